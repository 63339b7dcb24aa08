package analysis

import (
	"fmt"
	"sync"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"
)

// controlSet is a control layer prepared for overlay: its polygons, an R-tree over their edges
// (for the exact piece classification of [relater.relate]) and their simplefeatures forms (for
// the exact overlay of the cases the classification cannot decide). It is immutable and safe for
// concurrent use.
type controlSet struct {
	set    *polySet
	sfOnce []sync.Once
	sf     []sf.Polygon // converted on first use by the overlay fallback
}

func (cs *controlSet) sfPolygon(i int) sf.Polygon {
	cs.sfOnce[i].Do(func() { cs.sf[i] = toSF(cs.set.polys[i]) })
	return cs.sf[i]
}

// clipMinPoints is the size from which a control polygon is clipped to the neighbourhood of a
// parcel before it is handed to the overlay engine (which converts its whole input each time).
const clipMinPoints = 200

func newControlSet(s *spatial.Snapshot) *controlSet {
	if s == nil {
		return nil
	}
	var polys []orb.Polygon
	for _, f := range s.Features() {
		for _, p := range f.Polygons() {
			if len(p) > 0 && len(p[0]) >= 4 {
				polys = append(polys, p)
			}
		}
	}
	return &controlSet{set: newPolySet(polys, true), sfOnce: make([]sync.Once, len(polys)), sf: make([]sf.Polygon, len(polys))}
}

// overlayStats counts how parcels were decided; for tests and benchmarks.
type overlayStats struct {
	noCandidate, fastInside, fastOutside, pieces, overlay int
}

// insideM2 returns the ellipsoidal area in m² of (g ∩ union of the control polygons), where g
// is a Polygon or MultiPolygon in lon/lat degrees whose own area is areaM2. The overlay is planar
// in lon/lat (as PostGIS ST_Intersection on geometry) and its area ellipsoidal (as
// ::geography ST_Area). Easy cases are decided without overlay.
func (cs *controlSet) insideM2(rl *relater, g orb.Geometry, areaM2 float64, st *overlayStats) (float64, error) {
	polys := spatial.Polygons(g)
	if len(polys) == 1 {
		return cs.polygonInsideM2(rl, polys[0], areaM2, st)
	}
	var sum float64
	for _, p := range polys {
		a, err := cs.polygonInsideM2(rl, p, spatial.PolygonAreaM2(p), st)
		if err != nil {
			return 0, err
		}
		sum += a
	}
	return min(sum, areaM2), nil
}

func (cs *controlSet) polygonInsideM2(rl *relater, p orb.Polygon, areaM2 float64, st *overlayStats) (float64, error) {
	if len(p) == 0 {
		return 0, nil
	}
	pb := p.Bound()
	if !boundsIntersect(pb, cs.set.bound) {
		st.noCandidate++
		return 0, nil
	}
	candidate := false
	cs.set.ptree.Search(pb.Min, pb.Max, func(_, _ [2]float64, _ int32) bool {
		candidate = true
		return false
	})
	if !candidate {
		st.noCandidate++
		return 0, nil
	}
	rel := rl.relate(p, pb, cs.set)
	if !rel.crossing && !rel.bIn && !rel.ambiguous {
		switch {
		case rel.aIn && !rel.aOut:
			st.fastInside++
			return areaM2, nil
		case rel.aOut && !rel.aIn:
			st.fastOutside++
			return 0, nil
		}
	}
	if a, ok := rl.overlayArea(p, pb, cs.set); ok {
		st.pieces++
		return min(a, areaM2), nil
	}
	st.overlay++
	return cs.overlayM2(p, pb)
}

// overlayM2 intersects p with every control polygon whose bound meets p's and returns the
// ellipsoidal area of the union of the pieces.
func (cs *controlSet) overlayM2(p orb.Polygon, pb orb.Bound) (float64, error) {
	ps := toSF(p).AsGeometry()
	var parts []orb.Polygon
	pad := max(pb.Max[0]-pb.Min[0], pb.Max[1]-pb.Min[1])*0.25 + 1e-7
	clip := orb.Bound{Min: orb.Point{pb.Min[0] - pad, pb.Min[1] - pad}, Max: orb.Point{pb.Max[0] + pad, pb.Max[1] + pad}}
	for i, b := range cs.set.bounds {
		if !boundsIntersect(pb, b) {
			continue
		}
		var cg sf.Geometry
		if npoints(cs.set.polys[i]) >= clipMinPoints {
			c := clipPolygon(cs.set.polys[i], clip)
			if len(c) == 0 {
				continue
			}
			cg = toSF(c).AsGeometry()
		} else {
			cg = cs.sfPolygon(i).AsGeometry()
		}
		x, err := sf.Intersection(ps, cg)
		if err != nil {
			return 0, fmt.Errorf("intersection with control polygon %d: %w", i, err)
		}
		parts = fromSF(parts, x)
	}
	if len(parts) > 1 {
		u, err := unionPolygons(parts)
		if err != nil {
			return 0, err
		}
		parts = u
	}
	var a float64
	for _, q := range parts {
		a += spatial.PolygonAreaM2(q)
	}
	return a, nil
}

func npoints(p orb.Polygon) int {
	n := 0
	for _, r := range p {
		n += len(r)
	}
	return n
}

// clipPolygon clips every ring of p to the rectangle b (Sutherland–Hodgman). The result may
// have degenerate edges along b's sides; they lie outside the parcel the clip serves (b is a
// padded bound of the parcel), so the intersection with the parcel is unaffected.
func clipPolygon(p orb.Polygon, b orb.Bound) orb.Polygon {
	var out orb.Polygon
	for i, r := range p {
		c := clipRing(r, b)
		if len(c) < 4 {
			if i == 0 {
				return nil
			}
			continue
		}
		out = append(out, c)
	}
	return out
}

func clipRing(r orb.Ring, b orb.Bound) orb.Ring {
	// Fast path: ring wholly inside.
	rb := r.Bound()
	if rb.Min[0] >= b.Min[0] && rb.Max[0] <= b.Max[0] && rb.Min[1] >= b.Min[1] && rb.Max[1] <= b.Max[1] {
		return r
	}
	pts := []orb.Point(r)
	if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	type edgeFn struct {
		in  func(orb.Point) bool
		cut func(a, c orb.Point) orb.Point
	}
	xcut := func(x float64) func(a, c orb.Point) orb.Point {
		return func(a, c orb.Point) orb.Point {
			t := (x - a[0]) / (c[0] - a[0])
			return orb.Point{x, a[1] + t*(c[1]-a[1])}
		}
	}
	ycut := func(y float64) func(a, c orb.Point) orb.Point {
		return func(a, c orb.Point) orb.Point {
			t := (y - a[1]) / (c[1] - a[1])
			return orb.Point{a[0] + t*(c[0]-a[0]), y}
		}
	}
	edges := []edgeFn{
		{func(p orb.Point) bool { return p[0] >= b.Min[0] }, xcut(b.Min[0])},
		{func(p orb.Point) bool { return p[0] <= b.Max[0] }, xcut(b.Max[0])},
		{func(p orb.Point) bool { return p[1] >= b.Min[1] }, ycut(b.Min[1])},
		{func(p orb.Point) bool { return p[1] <= b.Max[1] }, ycut(b.Max[1])},
	}
	for _, e := range edges {
		if len(pts) == 0 {
			break
		}
		var next []orb.Point
		prev := pts[len(pts)-1]
		for _, cur := range pts {
			switch {
			case e.in(cur):
				if !e.in(prev) {
					next = append(next, e.cut(prev, cur))
				}
				next = append(next, cur)
			case e.in(prev):
				next = append(next, e.cut(prev, cur))
			}
			prev = cur
		}
		pts = next
	}
	if len(pts) < 3 {
		return nil
	}
	out := make(orb.Ring, 0, len(pts)+1)
	out = append(out, pts...)
	return append(out, pts[0])
}
