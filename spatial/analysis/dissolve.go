package analysis

import (
	"errors"
	"math"
	"slices"

	"github.com/paulmach/orb"
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
	var d dissolver
	return d.dissolve(polys)
}

// dissolver holds the scratch buffers of dissolve, reused from one block to the next by a worker
// (a county's blocks allocated hundreds of megabytes of maps and R-tree nodes otherwise). Its
// zero value is ready to use; it is not safe for concurrent use.
type dissolver struct {
	edges, split []dEdge
	slots        []edgeSlot // cancel's hash table
	gen          uint32
	verts        []gridVertex
	order        []int32
	ring         orb.Ring
	pts          []orb.Point
}

// dissolve is [dissolve] with d's buffers. The result does not alias them.
func (d *dissolver) dissolve(polys []orb.Polygon) (orb.MultiPolygon, error) {
	edges := d.edges[:0]
	defer func() { d.edges = edges[:0] }()
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
	edges, ok := d.cancel(edges)
	if !ok {
		return nil, errNoDissolve
	}
	work := edges
	if split, changed := d.splitTJunctions(edges); changed {
		if work, ok = d.cancel(split); !ok {
			return nil, errNoDissolve
		}
	}
	rings, ok := d.chain(work)
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

// cleanRing returns r closed and without repeated consecutive points: r itself when it already
// is (it must then not be modified), else a new ring.
func cleanRing(r orb.Ring) orb.Ring {
	clean := len(r) > 1 && r[0] == r[len(r)-1]
	for i := 1; clean && i < len(r); i++ {
		clean = r[i] != r[i-1]
	}
	if clean {
		return r
	}
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

func lessPoint(a, b orb.Point) int {
	if c := cmpFloat(a[0], b[0]); c != 0 {
		return c
	}
	return cmpFloat(a[1], b[1])
}

// edgeSlot is a slot of cancel's hash table: an edge with the slot's undirected key, and the
// edge of that key still waiting for its opposite (-1: none). gen tells live slots from those
// of previous calls.
type edgeSlot struct {
	gen     uint32
	key     int32
	pending int32
}

func hashPoint(h uint64, p orb.Point) uint64 {
	h ^= math.Float64bits(p[0])
	h *= 0x9e3779b97f4a7c15
	h ^= math.Float64bits(p[1])
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>29
}

// cancel removes pairs of opposite directed edges and returns the rest in input order. It
// reports false when an edge occurs twice in the same direction before its opposite (overlapping
// inputs). Edges are matched through an open-addressing hash table of undirected edges kept in
// d and invalidated between calls by a generation counter.
func (d *dissolver) cancel(edges []dEdge) ([]dEdge, bool) {
	if need := 2 * len(edges); len(d.slots) < need {
		size := 1024
		for size < need {
			size *= 2
		}
		d.slots = make([]edgeSlot, size)
		d.gen = 0
	}
	d.gen++
	if d.gen == 0 { // wrapped: old slots could look live
		clear(d.slots)
		d.gen = 1
	}
	mask := uint64(len(d.slots) - 1)
	for i := range edges {
		e := &edges[i]
		lo, hi := e.a, e.b
		if lessPoint(hi, lo) < 0 {
			lo, hi = hi, lo
		}
		h := hashPoint(hashPoint(0, lo), hi) & mask
		for {
			sl := &d.slots[h]
			if sl.gen != d.gen {
				*sl = edgeSlot{gen: d.gen, key: int32(i), pending: int32(i)}
				break
			}
			k := &edges[sl.key]
			if !(k.a == lo && k.b == hi) && !(k.a == hi && k.b == lo) {
				h = (h + 1) & mask
				continue
			}
			switch p := sl.pending; {
			case p < 0:
				sl.pending = int32(i)
			case edges[p].a == e.a && lo != hi:
				return nil, false // the same direction twice
			default:
				edges[p].alive = false
				e.alive = false
				sl.pending = -1
			}
			break
		}
	}
	out := edges[:0]
	for _, e := range edges {
		if e.alive {
			out = append(out, e)
		}
	}
	return out, true
}

// gridVertex is a boundary vertex filed under its grid cell.
type gridVertex struct {
	cell uint64
	p    orb.Point
}

// splitTJunctions splits every edge at the remaining vertices lying (within tJunctionEps) in
// its interior. Vertices are found through a grid of cells about twice the mean edge extent,
// sorted by cell. The result is in d's split buffer.
func (d *dissolver) splitTJunctions(edges []dEdge) ([]dEdge, bool) {
	if len(edges) == 0 {
		return nil, false
	}
	bound := orb.Bound{Min: edges[0].a, Max: edges[0].a}
	var ext float64
	for _, e := range edges {
		bound = bound.Extend(e.a)
		ext += math.Abs(e.b[0]-e.a[0]) + math.Abs(e.b[1]-e.a[1])
	}
	cell := max(ext/float64(len(edges)), 16*tJunctionEps)
	x0, y0 := bound.Min[0]-2*tJunctionEps, bound.Min[1]-2*tJunctionEps
	nx := uint64((bound.Max[0]-x0)/cell) + 2
	cellOf := func(x, y float64) (int64, int64) {
		return int64(math.Floor((x - x0) / cell)), int64(math.Floor((y - y0) / cell))
	}
	verts := d.verts[:0]
	for _, e := range edges {
		cx, cy := cellOf(e.a[0], e.a[1])
		verts = append(verts, gridVertex{uint64(cy)*nx + uint64(cx), e.a})
	}
	slices.SortFunc(verts, func(a, b gridVertex) int {
		switch {
		case a.cell < b.cell:
			return -1
		case a.cell > b.cell:
			return 1
		}
		return 0
	})
	d.verts = verts
	type tp struct {
		t float64
		p orb.Point
	}
	out := d.split[:0]
	changed := false
	var ts []tp
	for _, e := range edges {
		b := segBound(e.a, e.b)
		ts = ts[:0]
		cx0, cy0 := cellOf(b.Min[0]-tJunctionEps, b.Min[1]-tJunctionEps)
		cx1, cy1 := cellOf(b.Max[0]+tJunctionEps, b.Max[1]+tJunctionEps)
		cx0, cy0 = max(cx0, 0), max(cy0, 0)
		cx1 = min(cx1, int64(nx)-1)
		for cy := cy0; cy <= cy1; cy++ {
			for cx := cx0; cx <= cx1; cx++ {
				key := uint64(cy)*nx + uint64(cx)
				k, _ := slices.BinarySearchFunc(verts, key, func(v gridVertex, key uint64) int {
					switch {
					case v.cell < key:
						return -1
					case v.cell > key:
						return 1
					}
					return 0
				})
				for ; k < len(verts) && verts[k].cell == key; k++ {
					v := verts[k].p
					if v == e.a || v == e.b || segDist2(v, e.a, e.b) > tJunctionEps*tJunctionEps {
						continue
					}
					dx, dy := e.b[0]-e.a[0], e.b[1]-e.a[1]
					t := ((v[0]-e.a[0])*dx + (v[1]-e.a[1])*dy) / (dx*dx + dy*dy)
					if t > 0 && t < 1 {
						ts = append(ts, tp{t, v})
					}
				}
			}
		}
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
	d.split = out
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
func (d *dissolver) chain(edges []dEdge) ([]orb.Ring, bool) {
	// Outgoing edges of a vertex: edge indices sorted by start point (ties in index order, as
	// they were listed before), found by binary search.
	order := d.order[:0]
	for i := range edges {
		order = append(order, int32(i))
	}
	slices.SortFunc(order, func(x, y int32) int {
		if c := lessPoint(edges[x].a, edges[y].a); c != 0 {
			return c
		}
		return int(x - y)
	})
	d.order = order
	outgoing := func(p orb.Point) []int32 {
		k, _ := slices.BinarySearchFunc(order, p, func(i int32, p orb.Point) int { return lessPoint(edges[i].a, p) })
		h := k
		for h < len(order) && edges[order[h]].a == p {
			h++
		}
		return order[k:h]
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
			for _, k := range outgoing(e.b) {
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
		rings = append(rings, d.splitPinches(ring)...)
	}
	return rings, true
}

// splitPinches splits a closed ring that passes through a vertex more than once (a hole
// touching its shell at a point, traced as one ring) into simple rings.
func (d *dissolver) splitPinches(r orb.Ring) []orb.Ring {
	// Most rings pass through each vertex once: check that by sorting first.
	pts := append(d.pts[:0], r[:len(r)-1]...)
	d.pts = pts
	slices.SortFunc(pts, lessPoint)
	simple := true
	for i := 1; i < len(pts); i++ {
		if pts[i] == pts[i-1] {
			simple = false
			break
		}
	}
	if simple {
		if len(r) < 4 {
			return nil
		}
		return []orb.Ring{r}
	}
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
