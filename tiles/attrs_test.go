package tiles

import (
	"context"
	"fmt"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// TestTilesFollowNewSnapshots edits a parcel's attributes (a new snapshot sharing
// the other features) and replaces a layer: the next tile shows the new values.
func TestTilesFollowNewSnapshots(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 500})
	r := newTestRenderer(t, Options{})
	f := cty.parcels.Features()[42]
	c := CoordAt(f.Bound().Center(), 16)
	propsOf := func(s *spatial.Snapshot) map[string]any {
		t.Helper()
		for _, ft := range render(t, r, c, s).layer(s.Layer.ID).Features {
			if ft.ID == uint64(f.ID) {
				return ft.Props
			}
		}
		t.Fatalf("feature %d not in tile %v", f.ID, c)
		return nil
	}
	if got := propsOf(cty.parcels)["QLR"]; got == "edited owner" {
		t.Fatalf("QLR is already %q", got)
	}

	edited := f.Clone()
	edited.Attrs = edited.Attrs.With("QLR", "edited owner")
	meta := cty.parcels.Layer
	meta.Version++
	next := cty.parcels.WithFeatures(meta, []*spatial.Feature{edited})
	if got := propsOf(next)["QLR"]; got != "edited owner" {
		t.Errorf("after an edit: QLR = %v, want %q", got, "edited owner")
	}
	// The previous snapshot still renders its own values (tiles in flight during an edit).
	if got := propsOf(cty.parcels)["QLR"]; got == "edited owner" {
		t.Errorf("the previous snapshot shows the edit")
	}

	replaced := f.Clone()
	replaced.Attrs = replaced.Attrs.With("QLR", "replaced owner")
	meta.Version++
	whole := spatial.NewSnapshot(meta, []*spatial.Feature{replaced})
	if got := propsOf(whole)["QLR"]; got != "replaced owner" {
		t.Errorf("after a replace: QLR = %v, want %q", got, "replaced owner")
	}

}

// TestFeaturesWithOtherNamesInOneTile renders a tile whose features alternate between three sets
// of attribute names (the renderer looks the carried names up once per set): every feature
// carries exactly its own values.
func TestFeaturesWithOtherNamesInOneTile(t *testing.T) {
	var fs []*spatial.Feature
	for i := range 9 {
		x := 118.8 + float64(i)*0.0002
		f := feature(spatial.FeatureID(i+1), orb.Polygon{{{x, 28.9}, {x + 0.00015, 28.9}, {x + 0.00015, 28.9008}, {x, 28.9008}, {x, 28.9}}})
		a := spatial.Attrs{"DKBH": fmt.Sprintf("A-%d", i)}
		switch i % 3 {
		case 1:
			a["QLR"] = fmt.Sprintf("权利人%d", i)
		case 2:
			a = spatial.Attrs{"QLR": fmt.Sprintf("权利人%d", i), "MJSS": float64(i)}
		}
		f.Attrs = a.Record()
		fs = append(fs, f)
	}
	s := spatial.NewSnapshot(spatial.Layer{ID: "parcels", Kind: spatial.KindParcels, Version: 1,
		Fields: []spatial.Field{{Name: "DKBH", Type: spatial.FieldString}, {Name: "QLR", Type: spatial.FieldString}, {Name: "MJSS", Type: spatial.FieldReal}}}, fs)
	c := CoordAt(orb.Point{118.8009, 28.9004}, 14)
	got, err := newTestRenderer(t, Options{}).Render(context.Background(), []*spatial.Snapshot{s}, c)
	if err != nil {
		t.Fatal(err)
	}
	l := mustDecode(t, got).layer("parcels")
	if len(l.Features) != 9 {
		t.Fatalf("%d features in the tile, want 9", len(l.Features))
	}
	for _, ft := range l.Features {
		i := int(ft.ID) - 1
		want := map[string]any{"DKBH": fmt.Sprintf("A-%d", i)}
		switch i % 3 {
		case 1:
			want["QLR"] = fmt.Sprintf("权利人%d", i)
		case 2:
			want = map[string]any{"QLR": fmt.Sprintf("权利人%d", i), "MJSS": float64(i)}
		}
		for _, k := range []string{"DKBH", "QLR", "MJSS"} {
			if ft.Props[k] != want[k] {
				t.Errorf("feature %d: %s = %v, want %v", ft.ID, k, ft.Props[k], want[k])
			}
		}
	}
}

// TestSourceAndDerivedValuesShareTheValueTable: a source attribute whose value equals a
// derived one (a string "inside", a real equal to outside_ratio) is one entry of the value
// table.
func TestSourceAndDerivedValuesShareTheValueTable(t *testing.T) {
	var fs []*spatial.Feature
	for i := range 6 {
		x := 118.8 + float64(i)*0.001
		f := feature(spatial.FeatureID(i+1), orb.Polygon{{{x, 28.9}, {x + 0.0008, 28.9}, {x + 0.0008, 28.9008}, {x, 28.9008}, {x, 28.9}}})
		f.Attrs = f.Attrs.With("DKBH", []string{"inside", "outside", "A-1"}[i%3])
		f.Attrs = f.Attrs.With("MJSS", float64(i%2))
		f.Derived = spatial.Derived{AreaMu: 1, ControlPosition: spatial.Inside, OutsideRatio: 0, OutsideMu: 0, BlockID: 1, BlockMu: 1}
		fs = append(fs, f)
	}
	s := spatial.NewSnapshot(spatial.Layer{ID: "parcels", Kind: spatial.KindParcels, Version: 1,
		Fields: []spatial.Field{{Name: "DKBH", Type: spatial.FieldString}, {Name: "MJSS", Type: spatial.FieldReal}}}, fs)
	c := CoordAt(orb.Point{118.8025, 28.9004}, 14)
	got, err := newTestRenderer(t, Options{}).Render(context.Background(), []*spatial.Snapshot{s}, c)
	if err != nil {
		t.Fatal(err)
	}
	l := mustDecode(t, got).layer("parcels")
	seen := map[any]int{}
	for _, v := range l.Values {
		seen[v]++
		if seen[v] > 1 {
			t.Errorf("value %v (%T) is twice in the value table", v, v)
		}
	}
}
