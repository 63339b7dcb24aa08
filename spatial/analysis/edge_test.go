package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb/geojson"
)

// The hand-made edge cases of package fixtures, with expected values measured by
// GeographicLib (fixtures/edge/expected.json).

func edgeLayer(t *testing.T, name string, kind spatial.Kind) (*spatial.Snapshot, map[string]spatial.FeatureID) {
	t.Helper()
	b, err := fixtures.Edge(name)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var fields []string
	ids := map[string]spatial.FeatureID{}
	for i, f := range fc.Features {
		ids[f.Properties.MustString("name", "")] = spatial.FeatureID(i + 1)
		for k := range f.Properties {
			if !seen[k] {
				seen[k] = true
				fields = append(fields, k)
			}
		}
	}
	slices.Sort(fields)
	return snapshotOf(t, name, kind, fc, fields), ids
}

func edgeExpected(t *testing.T) map[string]map[string]struct {
	AreaM2 float64 `json:"area_m2"`
	GapM   float64 `json:"gap_m"`
} {
	t.Helper()
	b, err := fixtures.Edge("expected")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases map[string]map[string]struct {
			AreaM2 float64 `json:"area_m2"`
			GapM   float64 `json:"gap_m"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Cases
}

func TestEdgeCases(t *testing.T) {
	exp := edgeExpected(t)
	ctx := context.Background()
	all := func(tol float64) Spec { return ContiguousBlocks(f64(0), nil, tol, []string{"*"}) }

	t.Run("blocks around 300 亩", func(t *testing.T) {
		s, ids := edgeLayer(t, "blocks-300mu", spatial.KindParcels)
		res, err := Run(ctx, s, nil, all(0))
		if err != nil {
			t.Fatal(err)
		}
		byID := map[uint64]BlockResult{}
		for _, b := range res.Blocks {
			byID[b.ID] = b
		}
		for _, which := range []string{"above", "below"} {
			b := byID[uint64(ids["block-"+which+"-sw"])]
			if want := exp["blocks-300mu"]["block-"+which+"-union"].AreaM2; b.ParcelCount != 4 || !near(b.AreaM2, want, 1e-8) {
				t.Errorf("block %s: %d parcels, %.5f m², want 4 and %.5f m²", which, b.ParcelCount, b.AreaM2, want)
			}
		}
		res, err = Run(ctx, s, nil, ContiguousBlocks(nil, nil, 0, nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Blocks) != 1 || res.Blocks[0].ID != uint64(ids["block-above-sw"]) {
			t.Errorf("≥ 300 亩: %+v", res.Blocks)
		}
	})

	t.Run("overlapping duplicates are counted once", func(t *testing.T) {
		s, ids := edgeLayer(t, "overlap-duplicate", spatial.KindParcels)
		res, err := Run(ctx, s, nil, all(0))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range res.Blocks {
			name := "duplicate-union"
			if b.ID == uint64(ids["near-duplicate-a"]) {
				name = "near-duplicate-union"
			}
			if want := exp["overlap-duplicate"][name].AreaM2; b.ParcelCount != 2 || !near(b.AreaM2, want, 1e-8) {
				t.Errorf("%s: %d parcels %.5f m², want 2 and %.5f", name, b.ParcelCount, b.AreaM2, want)
			}
			if g := spatial.AreaM2(b.Geometry); !near(g, b.AreaM2, 1e-8) {
				t.Errorf("%s: geometry %.5f m²", name, g)
			}
		}
		if len(res.Blocks) != 2 {
			t.Errorf("%d blocks, want 2", len(res.Blocks))
		}
	})

	t.Run("control overlap", func(t *testing.T) {
		s, ids := edgeLayer(t, "control-overlap-parcels", spatial.KindParcels)
		c, _ := edgeLayer(t, "control-overlap", spatial.KindControl)
		res, err := Run(ctx, s, c, Spec{Overlay: true})
		if err != nil {
			t.Fatal(err)
		}
		e := exp["control-overlap-parcels"]
		for name, id := range ids {
			i := slices.IndexFunc(res.Parcels, func(p ParcelResult) bool { return p.ID == id })
			p := res.Parcels[i]
			if !near(p.AreaM2, e[name].AreaM2, 1e-8) {
				t.Errorf("%s: area %.5f, want %.5f", name, p.AreaM2, e[name].AreaM2)
			}
			want := e[name+"-inside"].AreaM2 // 0 for "outside"
			if got := p.Overlay.InsideM2; !near(got, want, 1e-7) && !(want == 0 && got == 0) {
				t.Errorf("%s: inside %.5f m², want %.5f m² (%s)", name, got, want, p.Overlay.Position)
			}
		}
	})

	t.Run("gaps", func(t *testing.T) {
		s, ids := edgeLayer(t, "gaps", spatial.KindParcels)
		ms, err := selectMembers(ctx, s, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[spatial.FeatureID]*member{}
		for i := range ms {
			byID[ms[i].f.ID] = &ms[i]
		}
		for _, gap := range []int{5, 15, 40} {
			w, e := byID[ids[fmt.Sprintf("gap-%dm-west", gap)]], byID[ids[fmt.Sprintf("gap-%dm-east", gap)]]
			want := exp["gaps"][fmt.Sprintf("gap-%dm", gap)].GapM
			if d := minDistanceM(w.polys, e.polys); !near(d, want, 1e-6) {
				t.Errorf("gap %d m: distance %.9f m, GeodSolve %.9f m", gap, d, want)
			}
			for _, tol := range []float64{0, 10, 20, 50} {
				var rl relater
				if got, _ := linked(&rl, w, e, tol); got != (want <= tol) {
					t.Errorf("gap %d m tolerance %g m: linked %v", gap, tol, got)
				}
			}
		}
	})

	for _, name := range []string{"corner-touch", "shared-edge"} {
		t.Run(name+" links at tolerance 0", func(t *testing.T) {
			s, _ := edgeLayer(t, name, spatial.KindParcels)
			res, err := Run(ctx, s, nil, all(0))
			if err != nil {
				t.Fatal(err)
			}
			var sum float64
			for _, a := range exp[name] {
				sum += a.AreaM2
			}
			if len(res.Blocks) != 1 || !near(res.Blocks[0].AreaM2, sum, 1e-8) {
				t.Errorf("blocks %+v, want one of %.5f m²", res.Blocks, sum)
			}
		})
	}

	for _, name := range []string{"hole", "multipolygon", "rectangle", "under-50mu"} {
		t.Run(name+" area", func(t *testing.T) {
			s, ids := edgeLayer(t, name, spatial.KindParcels)
			d, err := Derive(ctx, s, nil, DeriveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for n, id := range ids {
				if want := exp[name][n].AreaM2; !near(d[id].AreaM2, want, 1e-8) || !near(d[id].BlockMu, spatial.MuFromM2(want), 1e-8) {
					t.Errorf("%s: %+v, want %.5f m²", n, d[id], want)
				}
			}
		})
	}
}
