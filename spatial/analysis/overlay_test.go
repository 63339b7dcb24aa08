package analysis

import (
	"context"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// Control polygons of the overlay tests:
//
//	28.964 ┌──────────C1──────────┐
//	       │                 ┌────┼────C2─────┐ 28.963
//	       │      P2 ▒ P5 ▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓ (P5 leaves C2 at x=118.907)
//	    P4 ▒▒      P1        └────┼──────────┘ 28.961
//	28.960 └──────────────────────┘
//	     118.900            118.903 118.904    118.907
func overlayControl() *spatial.Snapshot {
	return layer("control", spatial.KindControl,
		feat(1, box(118.900, 28.960, 118.904, 28.964)),
		feat(2, box(118.903, 28.961, 118.907, 28.963)),
		feat(3, box(118.9112, 28.9612, 118.9118, 28.9618)), // inside the hole of P7
	)
}

func TestOverlayPositions(t *testing.T) {
	r := refs(t)
	holed := orb.Polygon{r["holed_outer"].ring, r["holed_hole"].ring}
	tests := []struct {
		name      string
		geom      orb.Geometry
		wantRatio float64
		wantPos   spatial.Position
		tol       float64 // absolute tolerance on the ratio
	}{
		{"strictly inside C1", box(118.9005, 28.9605, 118.9015, 28.9615), 0, spatial.Inside, 0},
		{"inside C1 sharing its west edge", box(118.900, 28.962, 118.901, 28.963), 0, spatial.Inside, 0},
		{"outside touching C1 west edge", box(118.899, 28.962, 118.900, 28.963), 1, spatial.Outside, 0},
		{"outside touching C1 at a corner", box(118.899, 28.959, 118.900, 28.960), 1, spatial.Outside, 0},
		{"straddling C1 west edge (Planimeter)", orb.Polygon{r["p4"].ring}, 1 - r["p4_inside"].areaM2/r["p4"].areaM2, spatial.Straddling, 1e-9},
		{"over overlapping C1 and C2: inside counted once (Planimeter)", orb.Polygon{r["p5"].ring}, 1 - r["p5_inside"].areaM2/r["p5"].areaM2, spatial.Straddling, 1e-9},
		// Split at C1's and C2's edges, the geodesic edges of the pieces differ from the parcel's
		// own edges by ~1e-10 of the area (as in PostGIS): hence the tolerance.
		{"inside the union of overlapping C1 and C2", box(118.9025, 28.9615, 118.9065, 28.9625), 0, spatial.Inside, 1e-9},
		{"far away: no candidate", box(118.95, 28.99, 118.951, 28.991), 1, spatial.Outside, 0},
		{"holed parcel around a control polygon in its hole", holed, 1, spatial.Outside, 0},
		{"sliver outside: still inside", box(118.901, 28.963, 118.902, 28.964005), 0.005 / 1.005, spatial.Inside, 1e-5},
		{"sliver inside: still outside", box(118.901, 28.963995, 118.902, 28.965), 1 - 0.005/1.005, spatial.Outside, 1e-5},
		{"multipolygon: one part in, one part out", orb.MultiPolygon{box(118.9005, 28.9605, 118.9015, 28.9615), box(118.95, 28.99, 118.951, 28.9915)}, -1, spatial.Straddling, 0},
	}
	control := overlayControl()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := layer("parcels", spatial.KindParcels, feat(spatial.FeatureID(i+1), tc.geom))
			res, err := Run(context.Background(), p, control, Spec{Overlay: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Parcels) != 1 {
				t.Fatalf("got %d parcels, want 1", len(res.Parcels))
			}
			o := res.Parcels[0].Overlay
			want := tc.wantRatio
			if want < 0 { // the multipolygon: area-weighted
				a := spatial.AreaM2(tc.geom.(orb.MultiPolygon)[0])
				want = 1 - a/spatial.AreaM2(tc.geom)
			}
			if d := o.OutsideRatio - want; d > tc.tol+1e-12 || -d > tc.tol+1e-12 {
				t.Errorf("outside_ratio = %.12f, want %.12f", o.OutsideRatio, want)
			}
			if o.Position != tc.wantPos {
				t.Errorf("position = %s, want %s", o.Position, tc.wantPos)
			}
			if !near(o.OutsideMu, o.OutsideRatio*res.Parcels[0].AreaMu, 1e-12) {
				t.Errorf("outside_mu = %v, want ratio × area_mu", o.OutsideMu)
			}
		})
	}
}

// TestOverlayFastPathMatchesOverlay checks the overlay-free decisions and the piece summation
// against the general overlay engine on every parcel of a generated county.
func TestOverlayFastPathMatchesOverlay(t *testing.T) {
	parcels, control := county(t, 2000)
	cs := newControlSet(control)
	ms, err := selectMembers(context.Background(), parcels, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var rl relater
	var st overlayStats
	for _, m := range ms {
		for _, p := range m.polys {
			a := spatial.PolygonAreaM2(p)
			fast, err := cs.polygonInsideM2(&rl, p, a, &st)
			if err != nil {
				t.Fatal(err)
			}
			exact, err := cs.overlayM2(p, p.Bound())
			if err != nil {
				t.Fatal(err)
			}
			// The piece summation nodes in plain floating point; the overlay engine falls back
			// to snapping noders (tolerance ~1e-12 of the coordinates' magnitude) on near-
			// coincident edges, which moves areas by up to ~1e-7 — as GEOS in PostGIS does.
			if !near(fast, exact, 1e-6) && !(fast == 0 && exact < 1e-6) {
				t.Errorf("parcel %d: inside %.9f m² by classification, %.9f m² by overlay", m.f.ID, fast, exact)
			}
		}
	}
	t.Logf("%+v", st)
	if st.fastInside == 0 || st.noCandidate == 0 || st.pieces == 0 {
		t.Errorf("the county should exercise every path: %+v", st)
	}
}

func TestClipPolygonKeepsAreaInside(t *testing.T) {
	// A large jagged control polygon clipped to a window keeps the area inside the window.
	var ring orb.Ring
	for i := 0; i < 400; i++ {
		x := 118.9 + 0.00001*float64(i)
		y := 28.96 + 0.0005*float64(i%2)
		ring = append(ring, orb.Point{x, y})
	}
	ring = append(ring, orb.Point{118.904, 28.97}, orb.Point{118.9, 28.97}, ring[0])
	pg := orb.Polygon{ring}
	win := orb.Bound{Min: orb.Point{118.901, 28.9601}, Max: orb.Point{118.902, 28.965}}
	c := clipPolygon(pg, win)
	if len(c) == 0 {
		t.Fatal("clip returned nothing")
	}
	parcel := box(118.9012, 28.9602, 118.9018, 28.9648)
	cs := newControlSet(layer("c", spatial.KindControl, feat(1, pg)))
	got, err := cs.overlayM2(parcel[0:1], parcel.Bound())
	if err != nil {
		t.Fatal(err)
	}
	cs2 := newControlSet(layer("c", spatial.KindControl, feat(1, c)))
	want, err := cs2.overlayM2(parcel, parcel.Bound())
	if err != nil {
		t.Fatal(err)
	}
	if !near(got, want, 1e-9) || got == 0 {
		t.Errorf("inside %.6f with clipping, %.6f on the clipped polygon", got, want)
	}
}

// TestOverlayPieces covers the piece summation on control layers that are coverages (adjacent
// polygons sharing an edge) and that have holes.
func TestOverlayPieces(t *testing.T) {
	hole := orb.Polygon{
		{{118.930, 28.950}, {118.934, 28.950}, {118.934, 28.954}, {118.930, 28.954}, {118.930, 28.950}},
		{{118.931, 28.951}, {118.931, 28.953}, {118.933, 28.953}, {118.933, 28.951}, {118.931, 28.951}},
	}
	control := layer("control", spatial.KindControl,
		feat(4, box(118.920, 28.950, 118.922, 28.952)),
		feat(5, box(118.922, 28.950, 118.924, 28.952)), // shares the edge x = 118.922 with 4
		feat(6, hole),
		feat(7, box(118.940, 28.950, 118.942, 28.952)),
		feat(8, box(118.940, 28.950, 118.942, 28.951)), // inside 7, sharing its bottom edge
	)
	y0, y1 := 28.951, 28.9515
	tests := []struct {
		name   string
		parcel orb.Polygon
		inside orb.Polygon // the expected intersection, with the nodes as vertices
	}{
		{"across the shared edge of adjacent control polygons and out",
			box(118.921, y0, 118.925, y1),
			orb.Polygon{{{118.921, y0}, {118.922, y0}, {118.924, y0}, {118.924, y1}, {118.922, y1}, {118.921, y1}, {118.921, y0}}}},
		{"across the edge of a control polygon's hole",
			box(118.9305, 28.9515, 118.9315, 28.9525),
			orb.Polygon{{{118.9305, 28.9515}, {118.931, 28.9515}, {118.931, 28.9525}, {118.9305, 28.9525}, {118.9305, 28.9515}}}},
		{"across an edge two overlapping control polygons share",
			box(118.9405, 28.9495, 118.9415, 28.9505),
			orb.Polygon{{{118.9405, 28.950}, {118.9415, 28.950}, {118.9415, 28.9505}, {118.9405, 28.9505}, {118.9405, 28.950}}}},
		{"around a control polygon's hole",
			box(118.9305, 28.9505, 118.9335, 28.9535),
			orb.Polygon{box(118.9305, 28.9505, 118.9335, 28.9535)[0], {{118.931, 28.951}, {118.931, 28.953}, {118.933, 28.953}, {118.933, 28.951}, {118.931, 28.951}}}},
	}
	cs := newControlSet(control)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rl relater
			got, ok := rl.overlayArea(tc.parcel, tc.parcel.Bound(), cs.set)
			if !ok {
				t.Fatal("piece summation gave up")
			}
			want := spatial.PolygonAreaM2(tc.inside)
			if !near(got, want, 1e-9) {
				t.Errorf("inside %.6f m², want %.6f m²", got, want)
			}
			var st overlayStats
			viaRun, err := cs.polygonInsideM2(&rl, tc.parcel, spatial.PolygonAreaM2(tc.parcel), &st)
			if err != nil || !near(viaRun, want, 1e-9) {
				t.Errorf("polygonInsideM2 = %.6f (%v), want %.6f; %+v", viaRun, err, want, st)
			}
			exact, err := cs.overlayM2(tc.parcel, tc.parcel.Bound())
			if err != nil || !near(exact, want, 1e-9) {
				t.Errorf("overlay engine %.6f (%v), want %.6f", exact, err, want)
			}
		})
	}
}
