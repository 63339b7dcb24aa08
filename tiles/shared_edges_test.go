package tiles

import (
	"bytes"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
)

// sharedSegments finds the segments that two features of a snapshot both have, traversed in
// opposite directions: the shared borders of a coverage.
func sharedSegments(s *spatial.Snapshot) []sharedEdge {
	type seg struct{ p, q orb.Point }
	owner := map[seg]spatial.FeatureID{}
	var out []sharedEdge
	for _, f := range s.Features() {
		for _, p := range f.Polygons() {
			for _, r := range p {
				for i := 0; i+1 < len(r); i++ {
					if other, ok := owner[seg{r[i+1], r[i]}]; ok && other != f.ID {
						out = append(out, sharedEdge{a: other, b: f.ID, line: []orb.Point{r[i], r[i+1]}})
					}
					owner[seg{r[i], r[i+1]}] = f.ID
				}
			}
		}
	}
	return out
}

// The hand-made fixtures with shared borders encode identical vertices along every shared
// edge, on both sides, at z10, z14 and z18.
func TestRenderSharedEdgesOfHandMadeFixtures(t *testing.T) {
	r := newTestRenderer(t, Options{MinPixelArea: -1})
	for _, name := range []string{"shared-edge", "blocks-300mu"} {
		data, err := fixtures.Edge(name + ".geojson")
		if err != nil {
			t.Fatal(err)
		}
		imp, err := spatial.DecodeGeoJSON(bytes.NewReader(data), spatial.ImportOptions{Strict: true})
		if err != nil {
			t.Fatal(err)
		}
		snap := spatial.NewSnapshot(spatial.Layer{ID: "parcels", Kind: spatial.KindParcels}, imp.Features)
		edges := sharedSegments(snap)
		if len(edges) == 0 {
			t.Fatalf("%s: no shared segments", name)
		}
		for _, z := range []Zoom{10, 14, 18} {
			checked, collapsed := 0, 0
			for c := range Covering(snap.Layer.Bound, z) {
				l := render(t, r, c, snap).layer("parcels")
				if l == nil {
					continue
				}
				ch, co := sameVerticesAlong(t, l, c, edges)
				checked += ch
				collapsed += co
			}
			if checked == 0 || collapsed > 0 {
				t.Errorf("%s z%d: %d shared segments identical on both sides, %d missing on one side", name, z, checked, collapsed)
			}
			t.Logf("%s z%d: %d (tile, shared segment) pairs checked over %d shared segments, identical", name, z, checked, len(edges))
		}
	}
}

// sameVerticesAlong checks, for every shared segment that crosses tile c, that both features
// encode the same set of vertices along it (within the snapping distance of the segment). It
// returns the segments checked and those where the sets differ.
func sameVerticesAlong(t *testing.T, l *dLayer, c Coord, edges []sharedEdge) (checked, differ int) {
	t.Helper()
	byID := map[uint64]*dFeature{}
	for i := range l.Features {
		byID[l.Features[i].ID] = &l.Features[i]
	}
	for _, e := range edges {
		fa, fb := byID[uint64(e.a)], byID[uint64(e.b)]
		if fa == nil || fb == nil {
			continue
		}
		pr := projectPoly(c, orb.Polygon{orb.Ring(e.line)})[0]
		a, b := pr[0], pr[1]
		va, vb := verticesNear(fa.Rings, a, b), verticesNear(fb.Rings, a, b)
		if len(va) == 0 && len(vb) == 0 {
			continue
		}
		checked++
		if len(va) != len(vb) {
			differ++
			t.Errorf("tile %v, edge %d|%d: %d vertices on one side, %d on the other", c, e.a, e.b, len(va), len(vb))
			continue
		}
		for v := range va {
			if !vb[v] {
				differ++
				t.Errorf("tile %v, edge %d|%d: vertex %v only on one side", c, e.a, e.b, v)
				break
			}
		}
	}
	return checked, differ
}

// verticesNear returns the vertices of rings within snapping distance (√2/2 units) of
// segment a–b in tile coordinates.
func verticesNear(rings [][][2]int64, a, b [2]float64) map[[2]int64]bool {
	out := map[[2]int64]bool{}
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	for _, r := range rings {
		for _, v := range r {
			px, py := float64(v[0]), float64(v[1])
			tt := ((px-a[0])*dx + (py-a[1])*dy) / l2
			tt = math.Max(0, math.Min(1, tt))
			if math.Hypot(a[0]+tt*dx-px, a[1]+tt*dy-py) <= math.Sqrt2/2+1e-9 {
				out[v] = true
			}
		}
	}
	return out
}
