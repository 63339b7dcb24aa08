package cql2

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// shape is a geometry literal: as written (in the filter CRS's axis order) and converted to
// lon/lat, with its edges ready for intersection tests.
type shape struct {
	kind string // BBOX, POINT, POLYGON, MULTIPOLYGON

	// As written.
	nums  []float64        // BBOX
	src   orb.Point        // POINT
	polys orb.MultiPolygon // POLYGON (one member) and MULTIPOLYGON

	// In lon/lat.
	point orb.Point
	area  orb.MultiPolygon // the polygons (a BBOX is one box, or two across the antimeridian)
	edges []edge
	bound orb.Bound
	box   bool // area is exactly the box bound
}

type edge struct {
	a, b  orb.Point
	bound orb.Bound
}

// maxSegmentM is the longest piece an edge of a projected literal is cut into before it is
// converted to lon/lat; maxPieces caps the pieces of one edge.
const (
	maxSegmentM = 100.0
	maxPieces   = 1000
)

// resolve converts the literal as written in c to lon/lat. Its error message says what is
// wrong with the coordinates.
func (s *shape) resolve(c crs.CRS) error {
	conv := func(p orb.Point) (orb.Point, error) {
		x, y := p[0], p[1]
		if c.NorthingFirst() {
			x, y = y, x
		}
		lon, lat, err := c.ToLonLat(x, y)
		if err != nil {
			return orb.Point{}, fmt.Errorf("%s %s is not a position in %s", formatNum(p[0]), formatNum(p[1]), crsName(c))
		}
		return orb.Point{lon, lat}, nil
	}
	switch s.kind {
	case "POINT":
		p, err := conv(s.src)
		if err != nil {
			return err
		}
		s.point, s.bound = p, orb.Bound{Min: p, Max: p}
		return nil
	case "BBOX":
		return s.resolveBox(c, conv)
	}
	s.area = make(orb.MultiPolygon, len(s.polys))
	for i, pg := range s.polys {
		out := make(orb.Polygon, len(pg))
		for j, ring := range pg {
			r, err := convertRing(ring, c, conv)
			if err != nil {
				return err
			}
			out[j] = r
		}
		s.area[i] = out
	}
	s.finish()
	return nil
}

func (s *shape) resolveBox(c crs.CRS, conv func(orb.Point) (orb.Point, error)) error {
	n := s.nums
	lo, hi := orb.Point{n[0], n[1]}, orb.Point{n[2], n[3]}
	if len(n) == 6 {
		lo, hi = orb.Point{n[0], n[1]}, orb.Point{n[3], n[4]}
	}
	if c.NorthingFirst() {
		lo, hi = orb.Point{lo[1], lo[0]}, orb.Point{hi[1], hi[0]}
	}
	// lo and hi are now (easting or longitude, northing or latitude).
	if lo[1] > hi[1] {
		return fmt.Errorf("the lower corner lies north of the upper corner")
	}
	if c.Geographic() {
		for _, p := range []orb.Point{lo, hi} {
			if _, _, err := c.ToLonLat(p[0], p[1]); err != nil {
				return fmt.Errorf("longitude %s, latitude %s is not a position in %s", formatNum(p[0]), formatNum(p[1]), crsName(c))
			}
		}
		if lo[0] <= hi[0] {
			s.area = orb.MultiPolygon{boxPolygon(lo, hi)}
			s.box = true
		} else { // across the antimeridian
			s.area = orb.MultiPolygon{boxPolygon(lo, orb.Point{180, hi[1]}), boxPolygon(orb.Point{-180, lo[1]}, hi)}
		}
		s.finish()
		return nil
	}
	if lo[0] > hi[0] {
		return fmt.Errorf("the lower corner lies east of the upper corner")
	}
	ring := orb.Ring{lo, {hi[0], lo[1]}, hi, {lo[0], hi[1]}, lo}
	if c.NorthingFirst() { // convertRing takes positions as written
		for i, p := range ring {
			ring[i] = orb.Point{p[1], p[0]}
		}
	}
	r, err := convertRing(ring, c, conv)
	if err != nil {
		return err
	}
	s.area = orb.MultiPolygon{{r}}
	s.finish()
	return nil
}

func boxPolygon(lo, hi orb.Point) orb.Polygon {
	return orb.Polygon{{lo, {hi[0], lo[1]}, hi, {lo[0], hi[1]}, lo}}
}

// vertices returns how many vertices s has once converted to lon/lat in c (see convertRing),
// without converting it.
func (s *shape) vertices(c crs.CRS) int {
	switch s.kind {
	case "POINT":
		return 1
	case "BBOX":
		if c.Geographic() {
			return 10 // two boxes across the antimeridian
		}
		return 4*maxPieces + 1
	}
	n := 0
	for _, pg := range s.polys {
		for _, ring := range pg {
			n += len(ring)
			if c.Geographic() {
				continue
			}
			for i := 1; i < len(ring); i++ {
				p, q := ring[i], ring[i-1]
				d := math.Hypot(p[0]-q[0], p[1]-q[1])
				n += min(max(int(math.Ceil(d/maxSegmentM)), 1), maxPieces) - 1
			}
		}
	}
	return n
}

// convertRing converts a ring as written to lon/lat; edges of a projected ring are densified.
func convertRing(ring orb.Ring, c crs.CRS, conv func(orb.Point) (orb.Point, error)) (orb.Ring, error) {
	out := make(orb.Ring, 0, len(ring))
	for i, p := range ring {
		if i > 0 && !c.Geographic() {
			q := ring[i-1]
			d := math.Hypot(p[0]-q[0], p[1]-q[1])
			pieces := min(max(int(math.Ceil(d/maxSegmentM)), 1), maxPieces)
			for k := 1; k < pieces; k++ {
				t := float64(k) / float64(pieces)
				m, err := conv(orb.Point{q[0] + (p[0]-q[0])*t, q[1] + (p[1]-q[1])*t})
				if err != nil {
					return nil, err
				}
				out = append(out, m)
			}
		}
		m, err := conv(p)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// finish collects the edges and the bound of s.area.
func (s *shape) finish() {
	first := true
	for _, pg := range s.area {
		for _, ring := range pg {
			forEdges(ring, func(a, b orb.Point) bool {
				eb := segBound(a, b)
				s.edges = append(s.edges, edge{a: a, b: b, bound: eb})
				if first {
					s.bound, first = eb, false
				} else {
					s.bound = s.bound.Union(eb)
				}
				return true
			})
		}
	}
}

func crsName(c crs.CRS) string {
	if c == crs.CRS84 {
		return "CRS84 (longitude, latitude)"
	}
	return c.String()
}

func formatNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func (s *shape) write(b *strings.Builder) {
	switch s.kind {
	case "BBOX":
		b.WriteString("BBOX(")
		for i, v := range s.nums {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formatNum(v))
		}
		b.WriteByte(')')
	case "POINT":
		b.WriteString("POINT(" + formatNum(s.src[0]) + " " + formatNum(s.src[1]) + ")")
	case "POLYGON":
		b.WriteString("POLYGON")
		writePolygon(b, s.polys[0])
	case "MULTIPOLYGON":
		b.WriteString("MULTIPOLYGON(")
		for i, pg := range s.polys {
			if i > 0 {
				b.WriteString(", ")
			}
			writePolygon(b, pg)
		}
		b.WriteByte(')')
	}
}

func writePolygon(b *strings.Builder, pg orb.Polygon) {
	b.WriteByte('(')
	for i, ring := range pg {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j, p := range ring {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formatNum(p[0]) + " " + formatNum(p[1]))
		}
		b.WriteByte(')')
	}
	b.WriteByte(')')
}

// intersects reports whether the polygons of g (lon/lat) and the shape share at least one
// point, boundaries included.
func (s *shape) intersects(g orb.Geometry) bool {
	polys := spatial.Polygons(g)
	if len(polys) == 0 || !overlaps(g.Bound(), s.bound) {
		return false
	}
	if s.kind == "POINT" {
		for _, pg := range polys {
			if containsClosed(pg, s.point) {
				return true
			}
		}
		return false
	}
	if s.box && contains(s.bound, g.Bound()) {
		return true
	}
	for _, pg := range polys {
		if overlaps(pg.Bound(), s.bound) && s.meets(pg) {
			return true
		}
	}
	return false
}

// meets reports whether polygon pg and the shape's area share a point: their boundaries meet,
// or one lies inside the other.
func (s *shape) meets(pg orb.Polygon) bool {
	crossing := false
	for _, ring := range pg {
		forEdges(ring, func(a, b orb.Point) bool {
			eb := segBound(a, b)
			if !overlaps(eb, s.bound) {
				return true
			}
			for i := range s.edges {
				e := &s.edges[i]
				if overlaps(eb, e.bound) && segmentsMeet(a, b, e.a, e.b) {
					crossing = true
					return false
				}
			}
			return true
		})
		if crossing {
			return true
		}
	}
	// The boundaries are disjoint: pg is inside the area, the area inside pg, or neither.
	if len(pg) > 0 && len(pg[0]) > 0 {
		for _, a := range s.area {
			if containsClosed(a, pg[0][0]) {
				return true
			}
		}
	}
	for _, a := range s.area {
		if len(a) > 0 && len(a[0]) > 0 && containsClosed(pg, a[0][0]) {
			return true
		}
	}
	return false
}

// forEdges calls fn for each edge of ring with distinct ends, closing the ring if needed,
// until fn returns false.
func forEdges(ring orb.Ring, fn func(a, b orb.Point) bool) {
	n := len(ring)
	for i := 0; i < n; i++ {
		a, b := ring[i], ring[(i+1)%n]
		if a == b {
			continue
		}
		if !fn(a, b) {
			return
		}
	}
}

// containsClosed reports whether p lies in polygon pg or on its boundary.
func containsClosed(pg orb.Polygon, p orb.Point) bool {
	if len(pg) == 0 {
		return false
	}
	in, on := locate(pg[0], p)
	if on {
		return true
	}
	if !in {
		return false
	}
	for _, hole := range pg[1:] {
		in, on := locate(hole, p)
		if on {
			return true
		}
		if in {
			return false
		}
	}
	return true
}

// locate tells whether p is strictly inside ring r or on its boundary, by exact orientation
// tests and a ray cast toward +x.
func locate(r orb.Ring, p orb.Point) (inside, onBoundary bool) {
	forEdges(r, func(a, b orb.Point) bool {
		o := orient(a, b, p)
		if o == 0 && within(a, b, p) {
			onBoundary = true
			return false
		}
		if (a[1] > p[1]) != (b[1] > p[1]) {
			if b[1] > a[1] && o > 0 || b[1] < a[1] && o < 0 {
				inside = !inside
			}
		}
		return true
	})
	if onBoundary {
		return false, true
	}
	return inside, false
}

// segmentsMeet reports whether closed segments ab and cd share a point.
func segmentsMeet(a, b, c, d orb.Point) bool {
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	return o1 == 0 && within(a, b, c) || o2 == 0 && within(a, b, d) ||
		o3 == 0 && within(c, d, a) || o4 == 0 && within(c, d, b)
}

// within reports whether p lies in the bounding box of segment ab (for a p on the line ab:
// on the segment).
func within(a, b, p orb.Point) bool {
	return p[0] >= min(a[0], b[0]) && p[0] <= max(a[0], b[0]) && p[1] >= min(a[1], b[1]) && p[1] <= max(a[1], b[1])
}

func segBound(a, b orb.Point) orb.Bound {
	return orb.Bound{Min: orb.Point{min(a[0], b[0]), min(a[1], b[1])}, Max: orb.Point{max(a[0], b[0]), max(a[1], b[1])}}
}

func overlaps(a, b orb.Bound) bool {
	return a.Min[0] <= b.Max[0] && b.Min[0] <= a.Max[0] && a.Min[1] <= b.Max[1] && b.Min[1] <= a.Max[1]
}

func contains(outer, inner orb.Bound) bool {
	return inner.Min[0] >= outer.Min[0] && inner.Max[0] <= outer.Max[0] && inner.Min[1] >= outer.Min[1] && inner.Max[1] <= outer.Max[1]
}

// orient returns the sign of the cross product (b−a)×(c−a): 1 when c lies to the left of
// the directed line ab, −1 to the right, 0 on it. The floating-point result is used when it
// is certain (Shewchuk's error bound); otherwise the sign is computed exactly.
func orient(a, b, c orb.Point) int {
	l := (b[0] - a[0]) * (c[1] - a[1])
	r := (b[1] - a[1]) * (c[0] - a[0])
	det := l - r
	bound := 3.3306690738754716e-16 * (math.Abs(l) + math.Abs(r))
	switch {
	case det > bound:
		return 1
	case -det > bound:
		return -1
	}
	return orientExact(a, b, c)
}

func orientExact(a, b, c orb.Point) int {
	r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	sub := func(x, y float64) *big.Rat { return new(big.Rat).Sub(r(x), r(y)) }
	l := new(big.Rat).Mul(sub(b[0], a[0]), sub(c[1], a[1]))
	rr := new(big.Rat).Mul(sub(b[1], a[1]), sub(c[0], a[0]))
	return l.Cmp(rr)
}
