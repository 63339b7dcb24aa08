package analysis

import (
	"math"
	"math/big"

	"github.com/paulmach/orb"
)

// ccwErrBound is Shewchuk's error bound for the floating-point orientation determinant
// ((3 + 16ε)ε with ε = 2⁻⁵³): when |det| exceeds it times the sum of the magnitudes of the two
// products, the sign of the rounded determinant is the sign of the exact one.
const ccwErrBound = (3 + 16*0x1p-53) * 0x1p-53

// orient returns the exact sign of the orientation of c relative to the directed line a→b in
// the lon/lat plane: +1 when c is to the left, -1 when to the right, 0 when the three points are
// collinear. It is exact for every finite input: a float filter decides almost all cases and
// the rest are evaluated in exact arithmetic.
func orient(a, b, c orb.Point) int {
	if c == a || c == b || a == b {
		return 0
	}
	detl := (b[0] - a[0]) * (c[1] - a[1])
	detr := (b[1] - a[1]) * (c[0] - a[0])
	det := detl - detr
	bound := ccwErrBound * (math.Abs(detl) + math.Abs(detr))
	switch {
	case det > bound:
		return 1
	case -det > bound:
		return -1
	case detl == 0 && detr == 0:
		// Both products are exactly zero only when a difference is exactly zero, which the
		// float computation gets right (differences of equal floats are exactly zero).
		if (b[0]-a[0] == 0 || c[1]-a[1] == 0) && (b[1]-a[1] == 0 || c[0]-a[0] == 0) {
			return 0
		}
	}
	return orientExact(a, b, c)
}

// orientExact evaluates the orientation determinant in exact rational arithmetic.
func orientExact(a, b, c orb.Point) int {
	r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	bx := new(big.Rat).Sub(r(b[0]), r(a[0]))
	by := new(big.Rat).Sub(r(b[1]), r(a[1]))
	cx := new(big.Rat).Sub(r(c[0]), r(a[0]))
	cy := new(big.Rat).Sub(r(c[1]), r(a[1]))
	l := new(big.Rat).Mul(bx, cy)
	rr := new(big.Rat).Mul(by, cx)
	return l.Cmp(rr)
}

// param returns the position of p along the segment a→b as a fraction (0 at a, 1 at b),
// measured on the segment's dominant axis. For a point exactly on the segment's line it is
// exact in order: distinct points get distinct parameters, a gets 0 and b gets 1.
func param(a, b, p orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	if math.Abs(dx) >= math.Abs(dy) {
		if p == b {
			return 1
		}
		return (p[0] - a[0]) / dx
	}
	if p == b {
		return 1
	}
	return (p[1] - a[1]) / dy
}

// lerp returns the point at parameter t along a→b.
func lerp(a, b orb.Point, t float64) orb.Point {
	return orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
}

// segDist2 returns the squared planar distance from p to the segment a→b (degrees², unscaled);
// it serves as a closeness guard, not as a measurement.
func segDist2(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
		t = max(0, min(1, t))
	}
	qx, qy := a[0]+t*dx-p[0], a[1]+t*dy-p[1]
	return qx*qx + qy*qy
}

// ringCrossings counts how often a ray from p towards +x crosses ring r (half-open rule, so a
// ray through a vertex is counted once). An odd count means p is inside the ring when p is not
// on it.
func ringCrossings(r orb.Ring, p orb.Point) int {
	n := 0
	for i := 0; i+1 < len(r); i++ {
		if crossesRay(r[i], r[i+1], p) {
			n++
		}
	}
	return n
}

// crossesRay reports whether the segment a→b crosses the ray from p towards +x.
func crossesRay(a, b, p orb.Point) bool {
	if (a[1] > p[1]) == (b[1] > p[1]) {
		return false
	}
	// Side of p relative to the upward-directed edge decides the crossing exactly.
	if a[1] > b[1] {
		a, b = b, a
	}
	return orient(a, b, p) > 0
}

// inPolygon reports whether p is inside polygon pg (holes excluded), assuming p is not on its
// boundary.
func inPolygon(pg orb.Polygon, p orb.Point) bool {
	n := 0
	for _, r := range pg {
		n += ringCrossings(r, p)
	}
	return n%2 == 1
}

// nearBoundary reports whether p lies within eps degrees of any edge of pg.
func nearBoundary(pg orb.Polygon, p orb.Point, eps2 float64) bool {
	for _, r := range pg {
		for i := 0; i+1 < len(r); i++ {
			if segDist2(p, r[i], r[i+1]) < eps2 {
				return true
			}
		}
	}
	return false
}

// guardEps2 is the squared distance (degrees², about 10 µm) under which a probe point is too
// close to a boundary for a point-in-polygon test to be trusted; such cases go to exact overlay.
const guardEps2 = 1e-10 * 1e-10

// boundsIntersect reports whether two bounds intersect (touching counts).
func boundsIntersect(a, b orb.Bound) bool {
	return a.Min[0] <= b.Max[0] && b.Min[0] <= a.Max[0] && a.Min[1] <= b.Max[1] && b.Min[1] <= a.Max[1]
}

// segBound returns the bound of segment a→b.
func segBound(a, b orb.Point) orb.Bound {
	return orb.Bound{
		Min: orb.Point{min(a[0], b[0]), min(a[1], b[1])},
		Max: orb.Point{max(a[0], b[0]), max(a[1], b[1])},
	}
}

// planarRingArea returns the signed area of r in degrees² (positive when counter-clockwise).
func planarRingArea(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += (r[i][0] - r[0][0]) * (r[i+1][1] - r[0][1])
		s -= (r[i+1][0] - r[0][0]) * (r[i][1] - r[0][1])
	}
	return s / 2
}
