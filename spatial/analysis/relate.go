package analysis

import (
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// This file decides how a polygon A lies relative to a set of polygons B (their union) without
// computing an overlay, using exact orientation predicates in the lon/lat plane:
//
//  1. every edge of A is tested against the edges of B near it; a proper crossing (the interiors
//     of two edges meet at one point) ends the test: the boundaries cross;
//  2. otherwise the boundaries meet only at points lying exactly on both, and along collinear
//     overlaps; A's edges are split at those points into pieces, and so are B's;
//  3. each piece lies entirely inside B, on B's boundary (a collinear overlap) or outside B,
//     which one probe point (its midpoint) decides; likewise B's pieces against A.
//
// If no piece of B's boundary lies inside A, A's interior (a connected set) is entirely inside
// or entirely outside B, and A's pieces say which. Probe points closer than about 10 µm to a
// boundary they are tested against are not trusted: the result is then "ambiguous" and the
// caller falls back to an exact overlay or to the conservative answer.

// cover records that the parameter range [t0, t1] of an edge lies on an edge of polygon poly of
// the other side.
type cover struct {
	t0, t1 float64
	poly   int32
}

// sideEdge is one edge of either side, with the contacts found on it.
type sideEdge struct {
	a, b    orb.Point
	bound   orb.Bound
	poly    int32 // index of the polygon within its side
	ring    int32
	splits  []float64 // interior parameters where the other side touches the edge
	covers  []cover
	touched bool
}

func (e *sideEdge) reset() {
	e.splits = e.splits[:0]
	e.covers = e.covers[:0]
	e.touched = false
}

// polySet is side B: a set of polygons whose union A is compared with. Without a tree its edges
// are enumerated by brute force (fine for a few small polygons); with one, by R-tree search.
// A polySet is immutable once built and safe for concurrent use.
type polySet struct {
	polys  []orb.Polygon
	bounds []orb.Bound
	tree   *rtree.RTreeG[edgeRef] // nil: brute force
	ptree  *rtree.RTreeG[int32]   // polygon bounds, with tree
	bound  orb.Bound              // union of bounds
	rev    [][]bool               // per ring: reverse it to have the interior on the left
}

// reversed reports whether ring ri of polygon pi runs with the polygon's interior on its right.
func (s *polySet) reversed(pi, ri int) bool {
	if s.rev == nil {
		return ringReversed(ri, s.polys[pi][ri])
	}
	return s.rev[pi][ri]
}

// edgeRef names edge idx (from point idx to idx+1) of ring ring of polygon poly.
type edgeRef struct{ poly, ring, idx int32 }

func newPolySet(polys []orb.Polygon, indexed bool) *polySet {
	s := &polySet{polys: polys, bounds: make([]orb.Bound, len(polys))}
	for i, p := range polys {
		s.bounds[i] = p.Bound()
		if i == 0 {
			s.bound = s.bounds[i]
		} else {
			s.bound = s.bound.Union(s.bounds[i])
		}
	}
	if indexed {
		s.rev = make([][]bool, len(polys))
		for pi, p := range polys {
			s.rev[pi] = make([]bool, len(p))
			for ri, r := range p {
				s.rev[pi][ri] = ringReversed(ri, r)
			}
		}
		s.tree = &rtree.RTreeG[edgeRef]{}
		s.ptree = &rtree.RTreeG[int32]{}
		for pi := range polys {
			s.ptree.Insert(s.bounds[pi].Min, s.bounds[pi].Max, int32(pi))
		}
		for pi, p := range polys {
			for ri, r := range p {
				for k := 0; k+1 < len(r); k++ {
					if r[k] == r[k+1] {
						continue
					}
					b := segBound(r[k], r[k+1])
					s.tree.Insert(b.Min, b.Max, edgeRef{int32(pi), int32(ri), int32(k)})
				}
			}
		}
	}
	return s
}

// appendEdges appends to dst the edges of the set whose bounds intersect b.
func (s *polySet) appendEdges(dst []sideEdge, b orb.Bound) []sideEdge {
	add := func(pi, ri, k int) {
		r := s.polys[pi][ri]
		n := len(dst)
		if n < cap(dst) {
			dst = dst[:n+1]
		} else {
			dst = append(dst, sideEdge{})
		}
		e := &dst[n]
		e.reset()
		e.a, e.b = r[k], r[k+1]
		e.bound = segBound(e.a, e.b)
		e.poly, e.ring = int32(pi), int32(ri)
	}
	if s.tree != nil {
		s.tree.Search(b.Min, b.Max, func(_, _ [2]float64, ref edgeRef) bool {
			add(int(ref.poly), int(ref.ring), int(ref.idx))
			return true
		})
		return dst
	}
	for pi, p := range s.polys {
		if !boundsIntersect(s.bounds[pi], b) {
			continue
		}
		for ri, r := range p {
			for k := 0; k+1 < len(r); k++ {
				if r[k] != r[k+1] && boundsIntersect(segBound(r[k], r[k+1]), b) {
					add(pi, ri, k)
				}
			}
		}
	}
	return dst
}

// oddPolys appends to dst the polygons of the set that strictly contain p by ray parity,
// assuming p is on none of their boundaries. With an edge tree, only polygons whose bound
// contains p are counted, along the shortest axis-parallel ray leaving all their bounds.
func (s *polySet) oddPolys(dst []int32, p orb.Point, skip []int32) []int32 {
	if s.tree != nil {
		var cands []int32
		var reach [4]float64 // distance to leave the candidates' bounds: +x, -x, +y, -y
		s.ptree.Search(p, p, func(_, _ [2]float64, pi int32) bool {
			if slices.Contains(skip, pi) {
				return true
			}
			b := s.bounds[pi]
			cands = append(cands, pi)
			reach[0] = max(reach[0], b.Max[0]-p[0])
			reach[1] = max(reach[1], p[0]-b.Min[0])
			reach[2] = max(reach[2], b.Max[1]-p[1])
			reach[3] = max(reach[3], p[1]-b.Min[1])
			return true
		})
		if len(cands) == 0 {
			return dst
		}
		dir := 0
		for d := 1; d < 4; d++ {
			if reach[d] < reach[dir] {
				dir = d
			}
		}
		lo, hi := p, p
		switch dir {
		case 0:
			hi[0] += reach[0]
		case 1:
			lo[0] -= reach[1]
		case 2:
			hi[1] += reach[2]
		case 3:
			lo[1] -= reach[3]
		}
		var odd []int32 // candidate polygons with odd parity, toggled
		s.tree.Search(lo, hi, func(_, _ [2]float64, ref edgeRef) bool {
			if !slices.Contains(cands, ref.poly) {
				return true
			}
			r := s.polys[ref.poly][ref.ring]
			if crossesRayDir(r[ref.idx], r[ref.idx+1], p, dir) {
				if i := slices.Index(odd, ref.poly); i >= 0 {
					odd = slices.Delete(odd, i, i+1)
				} else {
					odd = append(odd, ref.poly)
				}
			}
			return true
		})
		return append(dst, odd...)
	}
	for pi, pg := range s.polys {
		b := s.bounds[pi]
		if p[0] < b.Min[0] || p[0] > b.Max[0] || p[1] < b.Min[1] || p[1] > b.Max[1] || slices.Contains(skip, int32(pi)) {
			continue
		}
		if inPolygon(pg, p) {
			dst = append(dst, int32(pi))
		}
	}
	return dst
}

// crossesRayDir reports whether segment a→b crosses the axis-parallel ray from p in direction
// dir (0: +x, 1: −x, 2: +y, 3: −y), with the half-open rule at vertices.
func crossesRayDir(a, b, p orb.Point, dir int) bool {
	if dir < 2 {
		if (a[1] > p[1]) == (b[1] > p[1]) {
			return false
		}
		if a[1] > b[1] {
			a, b = b, a
		}
		if dir == 0 {
			return orient(a, b, p) > 0
		}
		return orient(a, b, p) < 0
	}
	if (a[0] > p[0]) == (b[0] > p[0]) {
		return false
	}
	if a[0] > b[0] {
		a, b = b, a
	}
	if dir == 2 {
		return orient(a, b, p) < 0
	}
	return orient(a, b, p) > 0
}

// relation is what [relater.relate] found out about A against B.
type relation struct {
	crossing  bool // A's and B's boundaries cross properly somewhere
	contact   bool // the boundaries meet (touch, overlap or cross)
	aIn       bool // a piece of A's boundary lies strictly inside B
	aOn       bool // a piece of A's boundary lies on B's boundary (and inside no other B polygon)
	aOut      bool // a piece of A's boundary lies strictly outside B
	bIn       bool // a piece of B's boundary lies strictly inside A
	bOut      bool // a piece of B's boundary lies strictly outside A
	ambiguous bool // a probe point was too close to a boundary to be trusted
}

// relater holds scratch buffers; one per goroutine.
type relater struct {
	aEdges []sideEdge
	bEdges []sideEdge
	ts     []float64
	odd    []int32
	skip   []int32
	pair   *polySet // a one-polygon set reused by pairwise tests
	area   areaScratch
	dist   distScratch
}

// guardPad widens the bound used to gather B's edges so that every edge a probe point of A
// could be too close to is seen.
const guardPad = 1e-9

// relate compares polygon a (bound ab) with the union of the polygons of set b.
// It stops early once the answer cannot change the callers' decisions: at a proper crossing,
// at an ambiguity, or when B's boundary is found inside A.
func (rl *relater) relate(a orb.Polygon, ab orb.Bound, b *polySet) relation {
	var rel relation
	pad := orb.Bound{Min: orb.Point{ab.Min[0] - guardPad, ab.Min[1] - guardPad}, Max: orb.Point{ab.Max[0] + guardPad, ab.Max[1] + guardPad}}
	rl.bEdges = b.appendEdges(rl.bEdges[:0], pad)
	if len(rl.bEdges) == 0 {
		// No boundary of B near A: A lies wholly inside or outside each B polygon, and no B
		// polygon lies inside A (its edges would be near A).
		if len(a) == 0 || len(a[0]) == 0 {
			return rel
		}
		if rl.odd = b.oddPolys(rl.odd[:0], a[0][0], nil); len(rl.odd) > 0 {
			rel.aIn = true
		} else {
			rel.aOut = true
		}
		return rel
	}

	// Side A: all edges.
	rl.aEdges = rl.aEdges[:0]
	for ri, r := range a {
		for k := 0; k+1 < len(r); k++ {
			if r[k] == r[k+1] {
				continue
			}
			n := len(rl.aEdges)
			if n < cap(rl.aEdges) {
				rl.aEdges = rl.aEdges[:n+1]
			} else {
				rl.aEdges = append(rl.aEdges, sideEdge{})
			}
			e := &rl.aEdges[n]
			e.reset()
			e.a, e.b = r[k], r[k+1]
			e.bound = segBound(e.a, e.b)
			e.ring = int32(ri)
		}
	}

	// Pairwise contacts.
	for i := range rl.aEdges {
		ea := &rl.aEdges[i]
		for j := range rl.bEdges {
			eb := &rl.bEdges[j]
			if !boundsIntersect(ea.bound, eb.bound) {
				continue
			}
			if contactEdges(ea, eb) {
				rel.crossing, rel.contact = true, true
				return rel
			}
			if ea.touched {
				rel.contact = true
			}
		}
	}

	// A's pieces against B.
	ringTouched := make([]bool, len(a))
	for i := range rl.aEdges {
		if rl.aEdges[i].touched {
			ringTouched[rl.aEdges[i].ring] = true
		}
	}
	for ri, r := range a {
		if !ringTouched[ri] {
			if len(r) == 0 {
				continue
			}
			if !rl.probeA(&rel, r[0], nil, b) {
				return rel
			}
		}
	}
	for i := range rl.aEdges {
		e := &rl.aEdges[i]
		if !ringTouched[e.ring] {
			continue
		}
		rl.ts = pieces(rl.ts[:0], e.splits)
		for k := 0; k+1 < len(rl.ts); k++ {
			mid := (rl.ts[k] + rl.ts[k+1]) / 2
			rl.skip = rl.skip[:0]
			for _, c := range e.covers {
				if c.t0 <= mid && mid <= c.t1 {
					rl.skip = append(rl.skip, c.poly)
				}
			}
			if !rl.probeA(&rel, lerp(e.a, e.b, mid), rl.skip, b) {
				return rel
			}
		}
	}

	// B's pieces against A.
	for j := range rl.bEdges {
		e := &rl.bEdges[j]
		rl.ts = pieces(rl.ts[:0], e.splits)
		for k := 0; k+1 < len(rl.ts); k++ {
			mid := (rl.ts[k] + rl.ts[k+1]) / 2
			covered := false
			for _, c := range e.covers {
				if c.t0 <= mid && mid <= c.t1 {
					covered = true
					break
				}
			}
			if covered {
				continue
			}
			m := lerp(e.a, e.b, mid)
			if m[0] < ab.Min[0] || m[0] > ab.Max[0] || m[1] < ab.Min[1] || m[1] > ab.Max[1] {
				rel.bOut = true
				continue
			}
			if nearBoundary(a, m, guardEps2) {
				rel.ambiguous = true
				return rel
			}
			if inPolygon(a, m) {
				rel.bIn = true
				return rel
			}
			rel.bOut = true
		}
	}
	return rel
}

// probeA classifies probe point m of A's boundary against B, ignoring the polygons in skip
// (those whose boundary the probe lies on). It returns false when relate should stop.
func (rl *relater) probeA(rel *relation, m orb.Point, skip []int32, b *polySet) bool {
	for j := range rl.bEdges {
		e := &rl.bEdges[j]
		if slices.Contains(skip, e.poly) {
			continue
		}
		if segDist2(m, e.a, e.b) < guardEps2 {
			rel.ambiguous = true
			return false
		}
	}
	rl.odd = b.oddPolys(rl.odd[:0], m, skip)
	in := len(rl.odd) > 0
	switch {
	case in:
		rel.aIn = true
	case len(skip) > 0:
		rel.aOn = true
	default:
		rel.aOut = true
	}
	return true
}

// pieces returns the sorted, distinct piece boundaries 0, splits…, 1 of an edge.
func pieces(dst []float64, splits []float64) []float64 {
	dst = append(dst, 0)
	dst = append(dst, splits...)
	dst = append(dst, 1)
	slices.Sort(dst)
	return slices.Compact(dst)
}

// contactEdges records the contacts between edge ea (side A) and eb (side B) and reports
// whether they cross properly (their interiors meet at a single point).
func contactEdges(ea, eb *sideEdge) (crossing bool) {
	a, b, c, d := ea.a, ea.b, eb.a, eb.b
	o1, o2 := orient(a, b, c), orient(a, b, d)
	if o1 != 0 && o1 == o2 {
		return false
	}
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o3 != 0 && o3 == o4 {
		return false
	}
	if o1 == 0 && o2 == 0 {
		// Collinear: they meet iff their parameter ranges on a→b overlap.
		tc, td := param(a, b, c), param(a, b, d)
		lo, hi := min(tc, td), max(tc, td)
		if hi < 0 || lo > 1 {
			return false
		}
		ea.touched, eb.touched = true, true
		addSplit(ea, tc)
		addSplit(ea, td)
		if t0, t1 := max(lo, 0), min(hi, 1); t1 > t0 {
			ea.covers = append(ea.covers, cover{t0, t1, eb.poly})
		}
		ta, tb := param(c, d, a), param(c, d, b)
		addSplit(eb, ta)
		addSplit(eb, tb)
		lo, hi = min(ta, tb), max(ta, tb)
		if t0, t1 := max(lo, 0), min(hi, 1); t1 > t0 {
			eb.covers = append(eb.covers, cover{t0, t1, ea.poly})
		}
		return false
	}
	if o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
		return true
	}
	// Not collinear and not crossing: each zero orientation puts that endpoint on the other
	// segment (the two lines meet only there, and the other segment reaches the line).
	ea.touched, eb.touched = true, true
	if o1 == 0 {
		addSplit(ea, param(a, b, c))
	}
	if o2 == 0 {
		addSplit(ea, param(a, b, d))
	}
	if o3 == 0 {
		addSplit(eb, param(c, d, a))
	}
	if o4 == 0 {
		addSplit(eb, param(c, d, b))
	}
	return false
}

func addSplit(e *sideEdge, t float64) {
	if t > 0 && t < 1 {
		e.splits = append(e.splits, t)
	}
}

// intersectsPoly reports whether polygons a and b (bounds ab, bb) share at least one point
// (touching counts), exactly in the lon/lat plane.
func intersectsPoly(a orb.Polygon, ab orb.Bound, b orb.Polygon, bb orb.Bound) bool {
	if !boundsIntersect(ab, bb) {
		return false
	}
	for _, ra := range a {
		for i := 0; i+1 < len(ra); i++ {
			sa := segBound(ra[i], ra[i+1])
			if !boundsIntersect(sa, bb) {
				continue
			}
			for _, rb := range b {
				for j := 0; j+1 < len(rb); j++ {
					if boundsIntersect(sa, segBound(rb[j], rb[j+1])) && segmentsMeet(ra[i], ra[i+1], rb[j], rb[j+1]) {
						return true
					}
				}
			}
		}
	}
	// Boundaries disjoint: one contains the other or they are apart.
	if len(a) > 0 && len(a[0]) > 0 && inPolygon(b, a[0][0]) {
		return true
	}
	if len(b) > 0 && len(b[0]) > 0 && inPolygon(a, b[0][0]) {
		return true
	}
	return false
}

// segmentsMeet reports whether closed segments a–b and c–d share a point, exactly.
func segmentsMeet(a, b, c, d orb.Point) bool {
	o1, o2 := orient(a, b, c), orient(a, b, d)
	if o1 != 0 && o1 == o2 {
		return false
	}
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o3 != 0 && o3 == o4 {
		return false
	}
	if o1 == 0 && o2 == 0 {
		tc, td := param(a, b, c), param(a, b, d)
		if a == b {
			return a == c || a == d || (c != d && orient(c, d, a) == 0 && between(c, d, a))
		}
		return !(max(tc, td) < 0 || min(tc, td) > 1)
	}
	return true
}

// between reports whether p, collinear with a–b, lies within the segment's bound.
func between(a, b, p orb.Point) bool {
	return p[0] >= min(a[0], b[0]) && p[0] <= max(a[0], b[0]) && p[1] >= min(a[1], b[1]) && p[1] <= max(a[1], b[1])
}
