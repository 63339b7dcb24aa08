package analysis

import (
	"context"
	"math"
	"slices"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// member is a selected parcel taking part in an analysis.
type member struct {
	f       *spatial.Feature
	polys   []orb.Polygon
	pbounds []orb.Bound // bounds of polys
	bound   orb.Bound
	areaM2  float64
}

func newMember(f *spatial.Feature) member {
	m := member{f: f, polys: f.Polygons()}
	m.pbounds = make([]orb.Bound, len(m.polys))
	for i, p := range m.polys {
		m.pbounds[i] = p.Bound()
		if i == 0 {
			m.bound = m.pbounds[i]
		} else {
			m.bound = m.bound.Union(m.pbounds[i])
		}
	}
	return m
}

// linkPair is a pair of linked members (indices into the member slice, i < j); overlap is set
// when their interiors overlap (their union is smaller than the sum of their areas).
type linkPair struct {
	i, j    int32
	overlap bool
}

// link finds every pair of members whose geodesic distance is at most tolM metres (0: they
// touch or overlap), using an R-tree over the members' bounds expanded by the tolerance.
// Pairs come back sorted.
func link(ctx context.Context, ms []member, tolM float64) ([]linkPair, error) {
	tr := &rtree.RTreeG[int32]{}
	for i := range ms {
		tr.Insert(ms[i].bound.Min, ms[i].bound.Max, int32(i))
	}
	nw := workers(len(ms))
	found := make([][]linkPair, nw)
	rls := make([]relater, nw)
	err := forEach(ctx, len(ms), func(w, i int) error {
		a := &ms[i]
		q := padBound(a.bound, tolM)
		tr.Search(q.Min, q.Max, func(_, _ [2]float64, j int32) bool {
			if int(j) <= i {
				return true
			}
			linked, overlap := linked(&rls[w], a, &ms[j], tolM)
			if linked {
				found[w] = append(found[w], linkPair{int32(i), j, overlap})
			}
			return true
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	var pairs []linkPair
	for _, f := range found {
		pairs = append(pairs, f...)
	}
	slices.SortFunc(pairs, func(x, y linkPair) int {
		if x.i != y.i {
			return int(x.i - y.i)
		}
		return int(x.j - y.j)
	})
	return pairs, nil
}

// linked reports whether members a and b are within tolM metres of each other, and whether
// their interiors overlap.
func linked(rl *relater, a, b *member, tolM float64) (link, overlap bool) {
	if !boundsIntersect(a.bound, b.bound) {
		if tolM <= 0 {
			return false, false
		}
	} else {
		for ia, pa := range a.polys {
			pab := a.pbounds[ia]
			for ib, pb := range b.polys {
				pbb := b.pbounds[ib]
				if !intersectsPoly(pa, pab, pb, pbb) {
					continue
				}
				link = true
				if interiorsOverlap(rl, pa, pab, pb, pbb) {
					return true, true
				}
			}
		}
		if link || tolM <= 0 {
			return link, false
		}
	}
	return rl.dist.withinM(a, b, tolM), false
}

// interiorsOverlap reports whether two intersecting polygons share interior points. Cases the
// exact classification cannot decide are reported as overlapping (the caller then computes a
// real union, which is correct either way).
func interiorsOverlap(rl *relater, a orb.Polygon, ab orb.Bound, b orb.Polygon, bb orb.Bound) bool {
	if rl.pair == nil {
		rl.pair = &polySet{polys: make([]orb.Polygon, 1), bounds: make([]orb.Bound, 1)}
	}
	rl.pair.polys[0], rl.pair.bounds[0], rl.pair.bound = b, bb, bb
	rel := rl.relate(a, ab, rl.pair)
	return rel.crossing || rel.aIn || rel.bIn || rel.ambiguous || (!rel.aOut && !rel.bOut)
}

// padBound expands b (lon/lat degrees) so that it contains every point within tolM metres of b,
// with 2 % to spare: metres per degree are taken at their smallest over the expanded band.
func padBound(b orb.Bound, tolM float64) orb.Bound {
	if tolM <= 0 {
		return b
	}
	t := tolM*1.02 + 0.01
	dLat := t / 110000 // a degree of latitude is ≥ 110 574 m on WGS 84
	latMax := min(89.9, max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))+dLat)
	dLon := t / (111319 * math.Cos(latMax*math.Pi/180)) // ≥ a·cos φ per degree of longitude
	return orb.Bound{Min: orb.Point{b.Min[0] - dLon, b.Min[1] - dLat}, Max: orb.Point{b.Max[0] + dLon, b.Max[1] + dLat}}
}

// localScale returns the metres per degree of longitude and of latitude at latitude lat on
// WGS 84 (prime-vertical and meridional radii of curvature).
func localScale(lat float64) (kx, ky float64) {
	const a, f = 6378137.0, 1 / 298.257223563
	e2 := f * (2 - f)
	phi := lat * math.Pi / 180
	s := math.Sin(phi)
	w := 1 - e2*s*s
	n := a / math.Sqrt(w)
	m := a * (1 - e2) / (w * math.Sqrt(w))
	return n * math.Cos(phi) * math.Pi / 180, m * math.Pi / 180
}

// minDistanceM returns the geodesic distance in metres between the boundaries of two disjoint
// polygon sets. The closest pair of points is found in a local equirectangular plane on the
// ellipsoid's radii at the pair's latitude (relative error about 1e-4 over a kilometre), then
// measured exactly on the ellipsoid with [spatial.DistanceM].
func minDistanceM(as, bs []orb.Polygon) float64 {
	var ub orb.Bound
	for i, p := range append(slices.Clip(as), bs...) {
		if i == 0 {
			ub = p.Bound()
		} else {
			ub = ub.Union(p.Bound())
		}
	}
	var ds distScratch
	return ds.distanceM(as, bs, ub, -1)
}

// withinM reports whether members a and b (not intersecting) are at most tolM metres apart.
func (ds *distScratch) withinM(a, b *member, tolM float64) bool {
	ub := a.bound.Union(b.bound)
	kx, ky := localScale((ub.Min[1] + ub.Max[1]) / 2)
	gx := max(b.bound.Min[0]-a.bound.Max[0], a.bound.Min[0]-b.bound.Max[0], 0) * kx
	gy := max(b.bound.Min[1]-a.bound.Max[1], a.bound.Min[1]-b.bound.Max[1], 0) * ky
	if lim := tolM*1.01 + 0.01; gx*gx+gy*gy > lim*lim {
		return false
	}
	return ds.distanceM(a.polys, b.polys, ub, tolM) <= tolM
}

// distScratch holds the buffers of distanceM; one per goroutine.
type distScratch struct {
	sa, sb []pseg
	cands  []pcand
}

// pseg is a segment in the local plane (metres).
type pseg struct{ a, b [2]float64 }

// pcand is a candidate closest pair in the local plane.
type pcand struct {
	d2   float64
	p, q [2]float64
}

// plane is a local equirectangular plane around (lon0, lat0), in metres.
type plane struct{ lon0, lat0, kx, ky float64 }

func (pl plane) proj(p orb.Point) [2]float64 {
	return [2]float64{(p[0] - pl.lon0) * pl.kx, (p[1] - pl.lat0) * pl.ky}
}

func (pl plane) unproj(q [2]float64) orb.Point {
	return orb.Point{pl.lon0 + q[0]/pl.kx, pl.lat0 + q[1]/pl.ky}
}

func (pl plane) segs(dst []pseg, ps []orb.Polygon) []pseg {
	for _, p := range ps {
		for _, r := range p {
			if len(r) == 0 {
				continue
			}
			prev := pl.proj(r[0])
			for _, pt := range r[1:] {
				cur := pl.proj(pt)
				dst = append(dst, pseg{prev, cur})
				prev = cur
			}
		}
	}
	return dst
}

func margin2(d2 float64) float64 { d := math.Sqrt(d2)*(1+1e-3) + 1e-3; return d * d }

// distanceM is [minDistanceM] on polygons within bound ub. With tolM ≥ 0 it may return the
// planar estimate when that is more than 1 % away from tolM (the plane is good to ~1e-4) —
// any estimate under 0.99·tolM as soon as one is found, and +Inf when nothing is within
// 1.01·tolM — and measures on the ellipsoid only near the tolerance.
func (ds *distScratch) distanceM(as, bs []orb.Polygon, ub orb.Bound, tolM float64) float64 {
	pl := plane{lon0: (ub.Min[0] + ub.Max[0]) / 2, lat0: (ub.Min[1] + ub.Max[1]) / 2}
	pl.kx, pl.ky = localScale(pl.lat0)
	ds.sa = pl.segs(ds.sa[:0], as)
	ds.sb = pl.segs(ds.sb[:0], bs)
	// Candidate closest pairs: everything within a small margin of the planar minimum, since
	// the plane's single scale can rank nearly equal pairs (e.g. along parallel edges) wrongly
	// by up to ~1e-5; each is then measured on the ellipsoid.
	ds.cands = ds.cands[:0]
	best := math.Inf(1)
	// With a tolerance only the answer "within or not" matters: pairs farther apart than the
	// tolerance's upper margin cannot change it, and a pair clearly within ends the search.
	limit2, sure2 := math.Inf(1), -1.0
	if tolM >= 0 {
		hi, lo := tolM*1.01+0.01, tolM*0.99
		limit2, sure2 = hi*hi, lo*lo
	}
	consider := func(d2 float64, p, q [2]float64) {
		if d2 < best {
			best = d2
		}
		if d2 <= margin2(best) {
			ds.cands = append(ds.cands, pcand{d2, p, q})
		}
	}
	for _, x := range ds.sa {
		a1, a2 := x.a, x.b
		for _, y := range ds.sb {
			b1, b2 := y.a, y.b
			// Cheap reject on the segments' bounds.
			gx := max(min(b1[0], b2[0])-max(a1[0], a2[0]), min(a1[0], a2[0])-max(b1[0], b2[0]), 0)
			gy := max(min(b1[1], b2[1])-max(a1[1], a2[1]), min(a1[1], a2[1])-max(b1[1], b2[1]), 0)
			if g2 := gx*gx + gy*gy; g2 > margin2(best) || g2 > limit2 {
				continue
			}
			d, p, q := ptSegDist2(a1, b1, b2)
			consider(d, p, q)
			d, p, q = ptSegDist2(a2, b1, b2)
			consider(d, p, q)
			d, q, p = ptSegDist2(b1, a1, a2)
			consider(d, p, q)
			d, q, p = ptSegDist2(b2, a1, a2)
			consider(d, p, q)
			if best < sure2 {
				return math.Sqrt(best) // clearly within the tolerance
			}
		}
	}
	if math.IsInf(best, 1) {
		return best
	}
	if d := math.Sqrt(best); tolM >= 0 && (d < tolM*0.99 || d > tolM*1.01+0.01) {
		return d
	}
	geo := math.Inf(1)
	lim := margin2(best)
	for _, c := range ds.cands {
		if c.d2 <= lim {
			geo = min(geo, spatial.DistanceM(pl.unproj(c.p), pl.unproj(c.q)))
		}
	}
	return geo
}

// ptSegDist2 returns the squared distance from p to segment a–b, p and the closest point.
func ptSegDist2(p, a, b [2]float64) (float64, [2]float64, [2]float64) {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = max(0, min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
	}
	q := [2]float64{a[0] + t*dx, a[1] + t*dy}
	ex, ey := q[0]-p[0], q[1]-p[1]
	return ex*ex + ey*ey, p, q
}

// unionFind is a disjoint-set forest over member indices.
type unionFind []int32

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = int32(i)
	}
	return u
}

func (u unionFind) find(i int32) int32 {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int32) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if ra < rb {
		u[rb] = ra
	} else {
		u[ra] = rb
	}
}
