package tiles

import (
	"bytes"
	"context"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// TestPropertyTablesGiveTheSameBytes renders tiles of a county at low, detail and high zooms
// with the property tables and with per-feature attribute lookups: the bytes must be equal
// (same values, same value-table order, same low-zoom size ranking).
func TestPropertyTablesGiveTheSameBytes(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 3000})
	layers := []*spatial.Snapshot{cty.parcels, cty.control}
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"defaults", Options{}},
		{"small byte budget below z12", Options{MaxTileBytes: 20_000}},
		{"all attributes at the detail zoom", Options{AllAttributes: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tables := newTestRenderer(t, tc.opts)
			direct := newTestRenderer(t, tc.opts)
			direct.directProps = true
			compared := 0
			for _, z := range []Zoom{9, 11, 13, 14, 16} {
				for c := range Covering(cty.parcels.Layer.Bound, z) {
					want, err := direct.Render(context.Background(), layers, c)
					if err != nil {
						t.Fatal(err)
					}
					got, err := tables.Render(context.Background(), layers, c)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("tile %v: %d bytes with property tables, %d without; they differ", c, len(got), len(want))
					}
					if want != nil {
						compared++
					}
					if compared > 400 {
						return
					}
				}
			}
		})
	}
}

// TestPropertyTablesFollowNewSnapshots edits a parcel's attributes (a new snapshot sharing
// the other features) and replaces a layer: the next tile shows the new values.
func TestPropertyTablesFollowNewSnapshots(t *testing.T) {
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

	svc := NewService(r, nil)
	svc.DropLayer(meta.ID)
	r.props.mu.Lock()
	_, kept := r.props.layers[meta.ID]
	r.props.mu.Unlock()
	if kept {
		t.Errorf("DropLayer kept the property tables of layer %s", meta.ID)
	}
}

// TestIDMemo checks the per-tile id memo across growth and generations.
func TestIDMemo(t *testing.T) {
	var m idMemo
	for gen := range 3 {
		m.reset()
		for id := uint32(1); id <= 5000; id += 3 {
			if _, ok := m.get(id); ok {
				t.Fatalf("generation %d: id %d found before it was put", gen, id)
			}
			m.put(id, id*7+uint32(gen))
		}
		for id := uint32(1); id <= 5000; id++ {
			v, ok := m.get(id)
			if want := (id-1)%3 == 0; ok != want || (ok && v != id*7+uint32(gen)) {
				t.Fatalf("generation %d: get(%d) = %d, %v", gen, id, v, ok)
			}
		}
	}
	m.gen = ^uint32(0)
	m.reset()
	if _, ok := m.get(1); ok {
		t.Errorf("after the generation wrapped, an old entry is still found")
	}
}

// TestPropertyTablesShareValuesWithDerivedAttributes: a source attribute whose value equals a
// derived one (a string "inside", a real equal to outside_ratio) is one entry of the value
// table, on both paths.
func TestPropertyTablesShareValuesWithDerivedAttributes(t *testing.T) {
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
	tables := newTestRenderer(t, Options{})
	direct := newTestRenderer(t, Options{})
	direct.directProps = true
	want, err := direct.Render(context.Background(), []*spatial.Snapshot{s}, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tables.Render(context.Background(), []*spatial.Snapshot{s}, c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("property tables give other bytes than the direct path")
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

// BenchmarkPropertyTable measures resolving the detail-zoom properties of the 100 000-parcel
// county: what the first tile of a new layer version pays.
func BenchmarkPropertyTable(b *testing.B) {
	cty := countyOf100k(b)
	r := newTestRenderer(b, Options{})
	names := r.sourceFields(nil, &cty.parcels.Layer, true)
	b.ReportAllocs()
	for b.Loop() {
		buildPropTable(cty.parcels, names)
	}
}
