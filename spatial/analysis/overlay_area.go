package analysis

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
)

// This file computes area(P ∩ ⋃C) for a parcel polygon P whose boundary crosses the control
// polygons' boundaries, without building the intersection polygon. The boundary of P ∩ U
// (U = ⋃C) consists of
//
//   - the pieces of P's boundary whose interior side (left, with shells counter-clockwise and
//     holes clockwise) lies in U, and
//   - the pieces of U's boundary (pieces of the C boundaries with U on their left and not on
//     their right) that lie strictly inside P,
//
// where every edge is first split ("noded") where it meets another: at crossing points
// (computed in floating point and shared by both edges, so the loops close exactly), at
// vertices lying on it and along collinear overlaps. The ellipsoidal area of the closed loops
// these pieces form is the sum of Karney's per-edge S12 terms (the area between each geodesic
// edge and the equator), exactly as GeographicLib's and PostGIS's polygon area sums them, so
// the result equals the geodesic area of the planar lon/lat intersection that PostGIS's
// ST_Area(ST_Intersection(p, u)::geography) measures. Whenever a probe point is too close to a
// boundary to classify a piece with certainty, it gives up and the caller uses the general
// overlay engine.

// ncover records that the parameter range [t0, t1] of an edge lies on an edge of another
// polygon (poly, or the parcel when parcel is set), running the same way when same is set.
type ncover struct {
	t0, t1 float64
	poly   int32
	parcel bool
	same   bool
}

type npt struct {
	t float64
	p orb.Point
}

// nedge is an edge, oriented with its polygon's interior on the left, with its nodes.
type nedge struct {
	a, b   orb.Point
	bound  orb.Bound
	poly   int32 // control polygon index, or -1 for the parcel
	nodes  []npt
	covers []ncover
}

// areaScratch holds the buffers of overlayArea; one per goroutine (inside a relater).
type areaScratch struct {
	pe, ce []nedge
	pts    []npt
	found  []sideEdge
	odd    []int32
	skip   []int32
}

func (e *nedge) init(a, b orb.Point, poly int32) {
	e.a, e.b, e.poly = a, b, poly
	e.bound = segBound(a, b)
	e.nodes = e.nodes[:0]
	e.covers = e.covers[:0]
}

func addNode(e *nedge, p orb.Point) {
	if p == e.a || p == e.b {
		return
	}
	t := param(e.a, e.b, p)
	if t > 0 && t < 1 {
		e.nodes = append(e.nodes, npt{t, p})
	}
}

// node splits e and f where they meet. It reports false for a crossing so nearly parallel
// that its point cannot be placed reliably.
func node(e, f *nedge) bool {
	a, b, c, d := e.a, e.b, f.a, f.b
	o1, o2 := orient(a, b, c), orient(a, b, d)
	if o1 != 0 && o1 == o2 {
		return true
	}
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o3 != 0 && o3 == o4 {
		return true
	}
	if o1 == 0 && o2 == 0 {
		tc, td := param(a, b, c), param(a, b, d)
		if max(tc, td) < 0 || min(tc, td) > 1 {
			return true
		}
		same := (b[0]-a[0])*(d[0]-c[0])+(b[1]-a[1])*(d[1]-c[1]) > 0
		addNode(e, c)
		addNode(e, d)
		addNode(f, a)
		addNode(f, b)
		if t0, t1 := max(min(tc, td), 0), min(max(tc, td), 1); t1 > t0 {
			e.covers = append(e.covers, ncover{t0, t1, f.poly, f.poly < 0, same})
		}
		ta, tb := param(c, d, a), param(c, d, b)
		if t0, t1 := max(min(ta, tb), 0), min(max(ta, tb), 1); t1 > t0 {
			f.covers = append(f.covers, ncover{t0, t1, e.poly, e.poly < 0, same})
		}
		return true
	}
	if o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
		// Proper crossing: one shared, rounded intersection point.
		rx, ry := b[0]-a[0], b[1]-a[1]
		sx, sy := d[0]-c[0], d[1]-c[1]
		den := rx*sy - ry*sx
		t := ((c[0]-a[0])*sy - (c[1]-a[1])*sx) / den
		if !(t > 0 && t < 1) || math.IsNaN(t) {
			return false
		}
		x := orb.Point{a[0] + t*rx, a[1] + t*ry}
		if x == a || x == b || x == c || x == d {
			return false
		}
		addNode(e, x)
		addNode(f, x)
		return true
	}
	if o1 == 0 {
		addNode(e, c)
	}
	if o2 == 0 {
		addNode(e, d)
	}
	if o3 == 0 {
		addNode(f, a)
	}
	if o4 == 0 {
		addNode(f, b)
	}
	return true
}

// ringReversed reports whether ring ri of a polygon must be reversed to have the polygon's
// interior on its left (shell counter-clockwise, holes clockwise).
func ringReversed(ri int, r orb.Ring) bool {
	return (ri == 0) != (planarRingArea(r) > 0)
}

// overlayArea returns the ellipsoidal area of p ∩ ⋃set in m² (see the file comment), or
// ok = false when it cannot decide a piece reliably.
func (rl *relater) overlayArea(p orb.Polygon, pb orb.Bound, set *polySet) (area float64, ok bool) {
	if pb.Min[0] <= 0 && pb.Max[0] >= 0 || pb.Min[0] <= -180 || pb.Max[0] >= 180 {
		return 0, false // the S12 sum would need meridian-transit corrections
	}
	s := &rl.area
	// Parcel edges.
	s.pe = s.pe[:0]
	for ri, r := range p {
		rev := ringReversed(ri, r)
		for k := 0; k+1 < len(r); k++ {
			a, b := r[k], r[k+1]
			if a == b {
				continue
			}
			if rev {
				a, b = b, a
			}
			s.pe = growEdges(s.pe)
			s.pe[len(s.pe)-1].init(a, b, -1)
		}
	}
	// Control edges near the parcel.
	pad := orb.Bound{Min: orb.Point{pb.Min[0] - guardPad, pb.Min[1] - guardPad}, Max: orb.Point{pb.Max[0] + guardPad, pb.Max[1] + guardPad}}
	s.found = set.appendEdges(s.found[:0], pad)
	s.ce = s.ce[:0]
	for _, f := range s.found {
		a, b := f.a, f.b
		if set.reversed(int(f.poly), int(f.ring)) {
			a, b = b, a
		}
		s.ce = growEdges(s.ce)
		s.ce[len(s.ce)-1].init(a, b, f.poly)
	}
	// Noding.
	for i := range s.pe {
		for j := range s.ce {
			if boundsIntersect(s.pe[i].bound, s.ce[j].bound) && !node(&s.pe[i], &s.ce[j]) {
				return 0, false
			}
		}
	}
	for i := range s.ce {
		for j := i + 1; j < len(s.ce); j++ {
			if s.ce[i].poly != s.ce[j].poly && boundsIntersect(s.ce[i].bound, s.ce[j].bound) && !node(&s.ce[i], &s.ce[j]) {
				return 0, false
			}
		}
	}

	var sum, comp float64 // compensated sum of S12
	add := func(a, b orb.Point) {
		var s12 float64
		geodesic.WGS84.GenInverse(a[1], a[0], b[1], b[0], nil, nil, nil, nil, nil, nil, &s12)
		y := s12 - comp
		t := sum + y
		comp = (t - sum) - y
		sum = t
	}
	// Parcel pieces whose left side lies in U.
	for i := range s.pe {
		e := &s.pe[i]
		s.pts = piecePoints(s.pts[:0], e.a, e.b, e.nodes)
		for k := 0; k+1 < len(s.pts); k++ {
			tm := (s.pts[k].t + s.pts[k+1].t) / 2
			in := false
			s.skip = s.skip[:0]
			for _, c := range e.covers {
				if c.t0 <= tm && tm <= c.t1 {
					s.skip = append(s.skip, c.poly)
					in = in || c.same
				}
			}
			if !in {
				m := midpoint(s.pts[k].p, s.pts[k+1].p)
				if tooClose(m, s.ce, s.skip, -2) {
					return 0, false
				}
				s.odd = set.oddPolys(s.odd[:0], m, s.skip)
				in = len(s.odd) > 0
			}
			if in {
				add(s.pts[k].p, s.pts[k+1].p)
			}
		}
	}
	// Control pieces strictly inside the parcel with U on their left only.
	for i := range s.ce {
		e := &s.ce[i]
		s.pts = piecePoints(s.pts[:0], e.a, e.b, e.nodes)
		for k := 0; k+1 < len(s.pts); k++ {
			tm := (s.pts[k].t + s.pts[k+1].t) / 2
			onParcel, rightInU, dup := false, false, false
			s.skip = append(s.skip[:0], e.poly)
			for _, c := range e.covers {
				if !(c.t0 <= tm && tm <= c.t1) {
					continue
				}
				switch {
				case c.parcel:
					onParcel = true
				case !c.same:
					rightInU = true
				case c.poly < e.poly:
					dup = true // counted with the other polygon
				}
				s.skip = append(s.skip, c.poly)
			}
			if onParcel || rightInU || dup {
				continue
			}
			m := midpoint(s.pts[k].p, s.pts[k+1].p)
			if m[0] < pb.Min[0] || m[0] > pb.Max[0] || m[1] < pb.Min[1] || m[1] > pb.Max[1] {
				continue
			}
			if nearBoundary(p, m, guardEps2) || tooClose(m, s.ce, s.skip, e.poly) {
				return 0, false
			}
			if !inPolygon(p, m) {
				continue
			}
			s.odd = set.oddPolys(s.odd[:0], m, s.skip)
			rightInU = len(s.odd) > 0
			if !rightInU {
				add(s.pts[k].p, s.pts[k+1].p)
			}
		}
	}
	// GeographicLib accumulates S12 with clockwise loops positive; ours run counter-clockwise.
	return max(-sum, 0), true
}

func growEdges(es []nedge) []nedge {
	if len(es) < cap(es) {
		return es[:len(es)+1]
	}
	return append(es, nedge{})
}

// piecePoints returns a, the nodes in order, and b, without repeats.
func piecePoints(dst []npt, a, b orb.Point, nodes []npt) []npt {
	dst = append(dst, npt{0, a})
	dst = append(dst, nodes...)
	dst = append(dst, npt{1, b})
	slices.SortFunc(dst[1:len(dst)-1], func(x, y npt) int { return cmpFloat(x.t, y.t) })
	return slices.CompactFunc(dst, func(x, y npt) bool { return x.p == y.p })
}

func midpoint(a, b orb.Point) orb.Point { return orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2} }

// tooClose reports whether m lies within the guard distance of an edge of es, other than the
// edges of the polygons in skip (whose boundary m is known to lie on) and of polygon own.
func tooClose(m orb.Point, es []nedge, skip []int32, own int32) bool {
	for i := range es {
		e := &es[i]
		if e.poly == own || slices.Contains(skip, e.poly) {
			continue
		}
		if segDist2(m, e.a, e.b) < guardEps2 {
			return true
		}
	}
	return false
}
