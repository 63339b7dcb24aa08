package tiles

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// Oracles for tests, written independently of the renderer's pipeline: brute-force feature
// inclusion and exact float clipping of a projected polygon to a square.

// tileLL returns the lon/lat point at tile pixel (x, y) of tile c (extent 4096).
func tileLL(c Coord, x, y float64) orb.Point {
	n := float64(c.Z.Size()) * 4096
	return WorldToLonLat((float64(c.X)*4096+x)/n, (float64(c.Y)*4096+y)/n)
}

// tilePoly builds a lon/lat polygon from rings given in tile pixels of c.
func tilePoly(c Coord, rings ...[][2]float64) orb.Polygon {
	p := make(orb.Polygon, 0, len(rings))
	for _, r := range rings {
		ring := make(orb.Ring, 0, len(r)+1)
		for _, q := range r {
			ring = append(ring, tileLL(c, q[0], q[1]))
		}
		ring = append(ring, ring[0])
		p = append(p, ring)
	}
	return p
}

// projectPoly projects a lon/lat polygon to float tile pixels of c (open rings).
func projectPoly(c Coord, p orb.Polygon) [][][2]float64 {
	n := float64(c.Z.Size()) * 4096
	out := make([][][2]float64, 0, len(p))
	for _, r := range p {
		var ring [][2]float64
		for i, q := range r {
			if i == len(r)-1 && q == r[0] {
				break
			}
			x, y := LonLatToWorld(q)
			ring = append(ring, [2]float64{x*n - float64(c.X)*4096, y*n - float64(c.Y)*4096})
		}
		out = append(out, ring)
	}
	return out
}

// bruteIntersects reports whether the interior of polygon p (float tile pixels) meets the open
// square (lo, hi)²: some ring edge passes through the open square, or (no boundary inside) the
// square's centre lies inside the polygon.
func bruteIntersects(p [][][2]float64, lo, hi float64) bool {
	for _, r := range p {
		for i := range r {
			if segmentInOpenSquare(r[i], r[(i+1)%len(r)], lo, hi) {
				return true
			}
		}
	}
	return pointInPolygon(p, [2]float64{(lo + hi) / 2, (lo + hi) / 2})
}

// segmentInOpenSquare clips segment ab to the closed square (Liang–Barsky) and tests whether
// the middle of the clipped part is strictly inside: a chord of a convex set not lying on its
// boundary has its relative interior in the open set.
func segmentInOpenSquare(a, b [2]float64, lo, hi float64) bool {
	t0, t1 := 0.0, 1.0
	d := [2]float64{b[0] - a[0], b[1] - a[1]}
	for k := 0; k < 2; k++ {
		for _, e := range [2]struct{ p, q float64 }{{-d[k], a[k] - lo}, {d[k], hi - a[k]}} {
			if e.p == 0 {
				if e.q < 0 {
					return false
				}
				continue
			}
			t := e.q / e.p
			if e.p < 0 {
				t0 = math.Max(t0, t)
			} else {
				t1 = math.Min(t1, t)
			}
		}
	}
	if t0 > t1 {
		return false
	}
	tm := (t0 + t1) / 2
	x, y := a[0]+tm*d[0], a[1]+tm*d[1]
	return x > lo && x < hi && y > lo && y < hi
}

func pointInPolygon(p [][][2]float64, q [2]float64) bool {
	in := false
	for _, r := range p {
		for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
			a, b := r[i], r[j]
			if (a[1] > q[1]) != (b[1] > q[1]) && q[0] < (b[0]-a[0])*(q[1]-a[1])/(b[1]-a[1])+a[0] {
				in = !in
			}
		}
	}
	return in
}

// featureIntersects is the brute-force inclusion rule: some polygon's interior meets the open
// buffered square of tile c.
func featureIntersects(f *spatial.Feature, c Coord, buffer float64) bool {
	for _, p := range spatial.Polygons(f.Geometry) {
		if bruteIntersects(projectPoly(c, p), -buffer, 4096+buffer) {
			return true
		}
	}
	return false
}

// clipHalf clips an open ring to one half-plane given by inside and a crossing function.
func clipHalf(r [][2]float64, in func([2]float64) bool, cross func(a, b [2]float64) [2]float64) [][2]float64 {
	var out [][2]float64
	for i := range r {
		cur, prev := r[i], r[(i+len(r)-1)%len(r)]
		switch {
		case in(cur) && in(prev):
			out = append(out, cur)
		case in(cur):
			out = append(out, cross(prev, cur), cur)
		case in(prev):
			out = append(out, cross(prev, cur))
		}
	}
	return out
}

// clipToSquare clips every ring of p (tile pixels) to [lo, hi]².
func clipToSquare(p [][][2]float64, lo, hi float64) [][][2]float64 {
	out := make([][][2]float64, 0, len(p))
	for _, r := range p {
		for k := 0; k < 2; k++ {
			for _, b := range []float64{lo, hi} {
				in := func(q [2]float64) bool {
					if b == lo {
						return q[k] >= b
					}
					return q[k] <= b
				}
				cross := func(u, v [2]float64) [2]float64 {
					t := (b - u[k]) / (v[k] - u[k])
					w := [2]float64{u[0] + t*(v[0]-u[0]), u[1] + t*(v[1]-u[1])}
					w[k] = b
					return w
				}
				r = clipHalf(r, in, cross)
			}
		}
		out = append(out, r)
	}
	return out
}

// clippedArea returns the exact (float) area of polygon p ∩ [lo, hi]² (holes subtracted) and
// the perimeter of the clipped rings, p in tile pixels.
func clippedArea(p [][][2]float64, lo, hi float64) (area, perimeter float64) {
	for i, r := range clipToSquare(p, lo, hi) {
		var a float64
		for j := range r {
			u, v := r[j], r[(j+1)%len(r)]
			a += u[0]*v[1] - v[0]*u[1]
			perimeter += math.Hypot(v[0]-u[0], v[1]-u[1])
		}
		a = math.Abs(a / 2)
		if i == 0 {
			area += a
		} else {
			area -= a
		}
	}
	return area, perimeter
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }
