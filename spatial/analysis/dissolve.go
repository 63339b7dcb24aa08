package analysis

import (
	"errors"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// errNoDissolve means the edge-cancelling dissolve could not rebuild a clean result; the caller
// falls back to a general overlay union.
var errNoDissolve = errors.New("analysis: coverage dissolve failed")

// tJunctionEps is the distance (degrees, about 0.1 mm) within which a boundary vertex is taken to
// lie on another boundary edge (a T-junction between neighbouring parcels digitised apart).
const tJunctionEps = 1e-9

// degenerateRing is the planar area (degrees², about 1e-5 m²) under which a rebuilt ring is a
// zero-width leftover of a shared edge and is dropped.
const degenerateRing = 1e-15

type dEdge struct {
	a, b  orb.Point
	alive bool
	used  bool
}

// dissolve returns the union of polygons whose interiors are pairwise disjoint (a coverage:
// neighbours share edges or vertices; the caller guarantees it — exact duplicates are detected,
// partial overlaps are not) by cancelling shared edges: every directed edge of a
// ring (shells counter-clockwise, holes clockwise) cancels against its reverse, the remaining
// edges are chained into rings (turning as far left as possible at a shared vertex so that
// shells touching at a point stay separate), and holes are assigned to the smallest shell that
// contains them. Edges that meet a vertex of a neighbour mid-way (T-junctions) are split there
// first. The (planar lon/lat) area of the result is checked against the sum of the inputs'
// areas; any inconsistency returns errNoDissolve.
func dissolve(polys []orb.Polygon) (orb.MultiPolygon, error) {
	edges := make([]dEdge, 0, 64)
	var planarSum float64
	for _, p := range polys {
		for ri, r := range p {
			ring := cleanRing(r)
			if len(ring) < 4 {
				continue
			}
			pa := planarRingArea(ring)
			if ri == 0 {
				planarSum += math.Abs(pa)
			} else {
				planarSum -= math.Abs(pa)
			}
			ccw := pa > 0
			rev := (ri == 0) != ccw // shells CCW, holes CW
			for i := 0; i+1 < len(ring); i++ {
				a, b := ring[i], ring[i+1]
				if rev {
					a, b = b, a
				}
				edges = append(edges, dEdge{a: a, b: b, alive: true})
			}
		}
	}
	edges, ok := cancel(edges)
	if !ok {
		return nil, errNoDissolve
	}
	if split, changed := splitTJunctions(edges); changed {
		if edges, ok = cancel(split); !ok {
			return nil, errNoDissolve
		}
	}
	rings, ok := chain(edges)
	if !ok {
		return nil, errNoDissolve
	}
	mp, ok := assemble(rings)
	if !ok {
		return nil, errNoDissolve
	}
	// Cancelling edges and chaining rings keep the boundary's edges, so the planar lon/lat area
	// is preserved exactly up to rounding when all went well; it is much cheaper to check than
	// the ellipsoidal one.
	var got float64
	for _, p := range mp {
		for _, r := range p {
			got += planarRingArea(r) // shells counter-clockwise (+), holes clockwise (−)
		}
	}
	if math.Abs(got-planarSum) > 1e-9*planarSum {
		return nil, errNoDissolve
	}
	return mp, nil
}

// cleanRing returns r closed and without repeated consecutive points.
func cleanRing(r orb.Ring) orb.Ring {
	out := make(orb.Ring, 0, len(r)+1)
	for _, p := range r {
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	if len(out) > 1 && out[0] != out[len(out)-1] {
		out = append(out, out[0])
	}
	return out
}

// cancel removes pairs of opposite directed edges and returns the rest in input order. It
// reports false when an edge occurs twice in the same direction (overlapping inputs).
func cancel(edges []dEdge) ([]dEdge, bool) {
	type key [2]orb.Point
	at := make(map[key]int, len(edges))
	for i := range edges {
		e := &edges[i]
		if j, ok := at[key{e.b, e.a}]; ok {
			edges[j].alive = false
			e.alive = false
			delete(at, key{e.b, e.a})
			continue
		}
		if _, dup := at[key{e.a, e.b}]; dup {
			return nil, false
		}
		at[key{e.a, e.b}] = i
	}
	out := edges[:0]
	for _, e := range edges {
		if e.alive {
			out = append(out, e)
		}
	}
	return out, true
}

// splitTJunctions splits every edge at the remaining vertices lying (within tJunctionEps) in
// its interior.
func splitTJunctions(edges []dEdge) ([]dEdge, bool) {
	var vt rtree.RTreeG[orb.Point]
	for _, e := range edges {
		vt.Insert(e.a, e.a, e.a)
	}
	type tp struct {
		t float64
		p orb.Point
	}
	var out []dEdge
	changed := false
	var ts []tp
	for _, e := range edges {
		b := segBound(e.a, e.b)
		ts = ts[:0]
		vt.Search(orb.Point{b.Min[0] - tJunctionEps, b.Min[1] - tJunctionEps}, orb.Point{b.Max[0] + tJunctionEps, b.Max[1] + tJunctionEps},
			func(_, _ [2]float64, v orb.Point) bool {
				if v == e.a || v == e.b || segDist2(v, e.a, e.b) > tJunctionEps*tJunctionEps {
					return true
				}
				dx, dy := e.b[0]-e.a[0], e.b[1]-e.a[1]
				t := ((v[0]-e.a[0])*dx + (v[1]-e.a[1])*dy) / (dx*dx + dy*dy)
				if t > 0 && t < 1 {
					ts = append(ts, tp{t, v})
				}
				return true
			})
		if len(ts) == 0 {
			out = append(out, dEdge{a: e.a, b: e.b, alive: true})
			continue
		}
		changed = true
		slices.SortFunc(ts, func(x, y tp) int { return cmpFloat(x.t, y.t) })
		prev := e.a
		for _, s := range ts {
			if s.p != prev {
				out = append(out, dEdge{a: prev, b: s.p, alive: true})
				prev = s.p
			}
		}
		out = append(out, dEdge{a: prev, b: e.b, alive: true})
	}
	return out, changed
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// chain links directed edges into closed rings. At a vertex with several outgoing edges it
// takes the leftmost turn (the face on the left is traced tightly), so rings never pinch.
func chain(edges []dEdge) ([]orb.Ring, bool) {
	out := make(map[orb.Point][]int32, len(edges))
	for i, e := range edges {
		out[e.a] = append(out[e.a], int32(i))
	}
	var rings []orb.Ring
	for s := range edges {
		if edges[s].used {
			continue
		}
		start := edges[s].a
		ring := orb.Ring{start}
		cur := int32(s)
		for steps := 0; ; steps++ {
			if steps > len(edges) {
				return nil, false
			}
			e := &edges[cur]
			e.used = true
			ring = append(ring, e.b)
			if e.b == start {
				break
			}
			next := int32(-1)
			bestTurn := math.Inf(-1)
			din := [2]float64{e.b[0] - e.a[0], e.b[1] - e.a[1]}
			for _, k := range out[e.b] {
				if edges[k].used {
					continue
				}
				d := [2]float64{edges[k].b[0] - edges[k].a[0], edges[k].b[1] - edges[k].a[1]}
				turn := math.Atan2(din[0]*d[1]-din[1]*d[0], din[0]*d[0]+din[1]*d[1])
				if edges[k].b == e.a {
					turn = -math.Pi // going straight back: last resort
				}
				if next < 0 || turn > bestTurn {
					next, bestTurn = k, turn
				}
			}
			if next < 0 {
				return nil, false
			}
			cur = next
		}
		rings = append(rings, splitPinches(ring)...)
	}
	return rings, true
}

// splitPinches splits a closed ring that passes through a vertex more than once (a hole
// touching its shell at a point, traced as one ring) into simple rings.
func splitPinches(r orb.Ring) []orb.Ring {
	seen := make(map[orb.Point]int, len(r))
	var out []orb.Ring
	stack := make(orb.Ring, 0, len(r))
	for _, p := range r {
		if i, ok := seen[p]; ok {
			loop := append(orb.Ring(nil), stack[i:]...)
			loop = append(loop, p)
			for _, q := range stack[i+1:] {
				delete(seen, q)
			}
			stack = stack[:i+1]
			if len(loop) >= 4 {
				out = append(out, loop)
			}
			continue
		}
		seen[p] = len(stack)
		stack = append(stack, p)
	}
	return out
}

// assemble sorts rings into shells (counter-clockwise) and holes (clockwise), drops degenerate
// rings, and puts each hole into the smallest shell containing it.
func assemble(rings []orb.Ring) (orb.MultiPolygon, bool) {
	type shell struct {
		ring  orb.Ring
		area  float64
		bound orb.Bound
		holes []orb.Ring
	}
	var shells []*shell
	var holes []orb.Ring
	for _, r := range rings {
		a := planarRingArea(r)
		switch {
		case math.Abs(a) < degenerateRing:
		case a > 0:
			shells = append(shells, &shell{ring: r, area: a, bound: r.Bound()})
		default:
			holes = append(holes, r)
		}
	}
	bySize := slices.Clone(shells)
	slices.SortStableFunc(bySize, func(x, y *shell) int { return cmpFloat(x.area, y.area) })
	for _, h := range holes {
		hb := h.Bound()
		var owner *shell
		for _, s := range bySize {
			if hb.Min[0] < s.bound.Min[0] || hb.Max[0] > s.bound.Max[0] || hb.Min[1] < s.bound.Min[1] || hb.Max[1] > s.bound.Max[1] {
				continue
			}
			if in, ok := ringContainsRing(s.ring, h); ok && in {
				owner = s
				break
			}
		}
		if owner == nil {
			return nil, false
		}
		owner.holes = append(owner.holes, h)
	}
	mp := make(orb.MultiPolygon, 0, len(shells))
	for _, s := range shells {
		p := orb.Polygon{s.ring}
		p = append(p, s.holes...)
		mp = append(mp, p)
	}
	return mp, true
}

// ringContainsRing decides whether ring h (which does not cross s) lies inside s, using the
// first vertex of h — or the midpoint of an edge — that is not on s. ok is false if every probe
// lies on s.
func ringContainsRing(s, h orb.Ring) (in, ok bool) {
	probe := func(p orb.Point) (bool, bool) {
		for i := 0; i+1 < len(s); i++ {
			if segDist2(p, s[i], s[i+1]) < guardEps2 {
				return false, false
			}
		}
		return ringCrossings(s, p)%2 == 1, true
	}
	for i := 0; i+1 < len(h); i++ {
		if in, ok := probe(h[i]); ok {
			return in, true
		}
		if in, ok := probe(lerp(h[i], h[i+1], 0.5)); ok {
			return in, true
		}
	}
	return false, false
}
