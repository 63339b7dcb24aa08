package analysis

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// TestLinkageTable checks which parcel pairs separated by gaps of 5, 15 and 40 m (east–west,
// measured geodesically) are linked at tolerances 0, 10, 20 and 50 m.
func TestLinkageTable(t *testing.T) {
	gaps := []float64{5, 15, 40}
	tols := []float64{0, 10, 20, 50}
	for _, gap := range gaps {
		for _, tol := range tols {
			t.Run(fmt.Sprintf("gap %gm tolerance %gm", gap, tol), func(t *testing.T) {
				lat0, lat1 := 28.970, 28.971
				x1 := eastBy(118.921, (lat0+lat1)/2, gap)
				a := feat(1, box(118.920, lat0, 118.921, lat1))
				b := feat(2, box(x1, lat0, x1+0.001, lat1))
				ms := []member{memberOf(a), memberOf(b)}
				var rl relater
				got, _ := linked(&rl, &ms[0], &ms[1], tol)
				if want := gap <= tol; got != want {
					t.Errorf("linked = %v, want %v (distance %.4f m)", got, want, minDistanceM(ms[0].polys, ms[1].polys))
				}
				d := minDistanceM(ms[0].polys, ms[1].polys)
				// The facing edges are meridian segments: they are closest at their northern
				// ends (a degree of longitude is shorter there), measured geodesically.
				want := spatial.DistanceM(orb.Point{118.921, lat1}, orb.Point{x1, lat1})
				if !near(d, want, 1e-6) || !near(d, gap, 1e-3) {
					t.Errorf("distance %.6f m, want %.6f m (≈ %g)", d, want, gap)
				}
			})
		}
	}
}

func memberOf(f *spatial.Feature) member {
	m := newMember(f)
	m.areaM2 = spatial.AreaM2(f.Geometry)
	return m
}

func TestLinkedAtToleranceZero(t *testing.T) {
	base := box(118.920, 28.970, 118.921, 28.971)
	tests := []struct {
		name        string
		other       orb.Polygon
		wantLinked  bool
		wantOverlap bool
	}{
		{"sharing an edge", box(118.921, 28.970, 118.922, 28.971), true, false},
		{"sharing part of an edge", box(118.921, 28.9705, 118.922, 28.9715), true, false},
		{"touching at one corner", box(118.921, 28.971, 118.922, 28.972), true, false},
		{"corner on the other's edge (T-junction)", box(118.921, 28.9705, 118.922, 28.9708), true, false},
		{"overlapping duplicate", base, true, true},
		{"overlapping partly", box(118.9205, 28.9705, 118.9215, 28.9715), true, true},
		{"contained", box(118.9202, 28.9702, 118.9204, 28.9704), true, true},
		{"apart by 1e-7 degrees", box(118.9210001, 28.970, 118.922, 28.971), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := memberOf(feat(1, base)), memberOf(feat(2, tc.other))
			var rl relater
			gotL, gotO := linked(&rl, &a, &b, 0)
			if gotL != tc.wantLinked || gotO != tc.wantOverlap {
				t.Errorf("linked, overlap = %v, %v; want %v, %v", gotL, gotO, tc.wantLinked, tc.wantOverlap)
			}
			// Symmetric.
			gotL, gotO = linked(&rl, &b, &a, 0)
			if gotL != tc.wantLinked || gotO != tc.wantOverlap {
				t.Errorf("reversed: linked, overlap = %v, %v; want %v, %v", gotL, gotO, tc.wantLinked, tc.wantOverlap)
			}
		})
	}
}

func TestBlockAreas(t *testing.T) {
	r := refs(t)
	dup := orb.Polygon{r["dup_box"].ring}
	holed := orb.Polygon{r["holed_outer"].ring, r["holed_hole"].ring}
	filler := orb.Polygon{r["holed_hole"].ring}
	tests := []struct {
		name      string
		parcels   []orb.Geometry
		wantArea  float64
		wantRings []int // rings per polygon of the dissolved geometry
	}{
		{"overlapping duplicates: union counted once", []orb.Geometry{dup, dup}, r["dup_box"].areaM2, []int{1}},
		{"two parcels sharing an edge", []orb.Geometry{box(118.940, 28.980, 118.941, 28.981), box(118.941, 28.980, 118.942, 28.981)}, r["pair_union"].areaM2, []int{1}},
		{"parcel with a hole", []orb.Geometry{holed}, r["holed_outer"].areaM2 - r["holed_hole"].areaM2, []int{2}},
		{"parcel with a hole and the parcel filling it", []orb.Geometry{holed, filler}, r["holed_outer"].areaM2, []int{1}},
		{"2x2 block just under 300 亩", grid2x2(r["block_below"].ring), r["block_below"].areaM2, []int{1}},
		{"2x2 block just over 300 亩", grid2x2(r["block_above"].ring), r["block_above"].areaM2, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fs []*spatial.Feature
			for i, g := range tc.parcels {
				fs = append(fs, feat(spatial.FeatureID(i+1), g))
			}
			res, err := Run(context.Background(), layer("p", spatial.KindParcels, fs...), nil, Spec{Group: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Blocks) != 1 {
				t.Fatalf("got %d blocks, want 1", len(res.Blocks))
			}
			b := res.Blocks[0]
			if !near(b.AreaM2, tc.wantArea, 1e-9) {
				t.Errorf("block area %.5f m², want %.5f m² (Planimeter)", b.AreaM2, tc.wantArea)
			}
			if g := spatial.AreaM2(b.Geometry); !near(g, tc.wantArea, 1e-9) {
				t.Errorf("geometry area %.5f m², want %.5f m²", g, tc.wantArea)
			}
			var rings []int
			for _, p := range b.Geometry {
				rings = append(rings, len(p))
			}
			if !slices.Equal(rings, tc.wantRings) {
				t.Errorf("dissolved rings per polygon %v, want %v", rings, tc.wantRings)
			}
			if b.ID != 1 || b.ParcelCount != len(tc.parcels) {
				t.Errorf("block id %d count %d", b.ID, b.ParcelCount)
			}
		})
	}
}

// grid2x2 splits the rectangle ring r into four parcels sharing edges.
func grid2x2(r orb.Ring) []orb.Geometry {
	b := r.Bound()
	mx, my := (b.Min[0]+b.Max[0])/2, (b.Min[1]+b.Max[1])/2
	return []orb.Geometry{
		box(b.Min[0], b.Min[1], mx, my), box(mx, b.Min[1], b.Max[0], my),
		box(b.Min[0], my, mx, b.Max[1]), box(mx, my, b.Max[0], b.Max[1]),
	}
}

func TestDissolve(t *testing.T) {
	tests := []struct {
		name      string
		polys     []orb.Polygon
		wantPolys int
		wantHoles int
	}{
		{"corner touch stays two polygons", []orb.Polygon{box(0.1, 0.1, 0.2, 0.2), box(0.2, 0.2, 0.3, 0.3)}, 2, 0},
		{"ring of eight around a hole", ringOfEight(), 1, 1},
		{"T-junction: two small parcels along one long edge", []orb.Polygon{
			box(118.92, 28.97, 118.921, 28.972), box(118.921, 28.97, 118.922, 28.971), box(118.921, 28.971, 118.922, 28.972)}, 1, 0},
		{"cap touching a U at two points: two polygons", []orb.Polygon{
			{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}},
			{{{1, 3}, {1.5, 2}, {2, 3}, {2, 4}, {1, 4}, {1, 3}}}}, 2, 0},
		{"hole touching the shell at one point", []orb.Polygon{
			{{{0, 0}, {1.5, 0}, {1.5, 1}, {1, 1}, {1.5, 2}, {0, 2}, {0, 0}}},
			{{{1.5, 0}, {3, 0}, {3, 2}, {1.5, 2}, {2, 1}, {1.5, 1}, {1.5, 0}}}}, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mp, err := dissolve(tc.polys)
			if err != nil {
				t.Fatal(err)
			}
			holes := 0
			for _, p := range mp {
				holes += len(p) - 1
			}
			if len(mp) != tc.wantPolys || holes != tc.wantHoles {
				t.Errorf("got %d polygons %d holes, want %d and %d: %v", len(mp), holes, tc.wantPolys, tc.wantHoles, mp)
			}
			for _, p := range mp {
				if planarRingArea(p[0]) <= 0 {
					t.Errorf("shell is not counter-clockwise")
				}
				for _, h := range p[1:] {
					if planarRingArea(h) >= 0 {
						t.Errorf("hole is not clockwise")
					}
				}
			}
			if err := toSF(mp[0]).Validate(); err != nil {
				t.Errorf("invalid result: %v", err)
			}
		})
	}
}

func ringOfEight() []orb.Polygon {
	xs := []float64{118.920, 118.921, 118.922, 118.923}
	ys := []float64{28.970, 28.971, 28.972, 28.973}
	var ps []orb.Polygon
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			if i == 1 && j == 1 {
				continue
			}
			ps = append(ps, box(xs[i], ys[j], xs[i+1], ys[j+1]))
		}
	}
	return ps
}

func TestDissolveRejectsOverlaps(t *testing.T) {
	a := box(0.1, 0.1, 0.2, 0.2)
	if _, err := dissolve([]orb.Polygon{a, a}); err == nil {
		t.Error("duplicates dissolved without error")
	}
}

// TestCountyBlocksDissolve checks, on a generated county, that every block's dissolved geometry
// is rebuilt by edge cancellation (no fallback) and has the block's area.
func TestCountyBlocksDissolve(t *testing.T) {
	parcels, _ := county(t, 2000)
	ms, err := selectMembers(context.Background(), parcels, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tol := range []float64{0, 20} {
		blocks, err := buildBlocks(context.Background(), ms, tol)
		if err != nil {
			t.Fatal(err)
		}
		multi := 0
		for _, b := range blocks {
			if len(b.members) < 2 {
				continue
			}
			multi++
			mp, err := dissolve(b.parts(ms))
			if err != nil {
				t.Errorf("tolerance %g: block %d (%d parcels) needs the overlay fallback", tol, b.id, len(b.members))
				continue
			}
			if g := spatial.AreaM2(mp); !near(g, b.areaM2, 1e-9) {
				t.Errorf("block %d: geometry %.4f m², block %.4f m²", b.id, g, b.areaM2)
			}
		}
		if multi == 0 {
			t.Errorf("tolerance %g: no multi-parcel block in the county", tol)
		}
	}
}
