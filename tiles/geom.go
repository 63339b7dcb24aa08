package tiles

import (
	"math"

	"github.com/paulmach/orb"
)

// fpt is a point in tile pixel space, float: x to the right, y down, 0..extent inside the tile.
type fpt struct{ x, y float64 }

// ipt is a point snapped to the integer tile grid.
type ipt struct{ x, y int32 }

// xform maps lon/lat degrees to the float pixel space of one tile.
type xform struct {
	scale  float64 // 2^z · extent: pixels per world unit
	kx     float64 // scale / 360
	ox, oy float64 // tile origin in world pixels
	lo, hi float64 // buffered square: [lo, hi]² in tile pixels
}

func newXform(c Coord, extent, buffer uint32) xform {
	scale := float64(c.Z.Size()) * float64(extent)
	return xform{
		scale: scale,
		kx:    scale / 360,
		ox:    float64(c.X) * float64(extent),
		oy:    float64(c.Y) * float64(extent),
		lo:    -float64(buffer),
		hi:    float64(extent) + float64(buffer),
	}
}

// project maps one lon/lat point to tile pixels. It is a pure function of the point, so a
// vertex shared by two parcels lands on exactly the same float in both.
func (t *xform) project(p orb.Point) fpt {
	return fpt{(p[0]+180)*t.kx - t.ox, latToWorld(p[1])*t.scale - t.oy}
}

// projectRing appends the projected vertices of r to dst, without the closing point, and
// returns the ring's pixel bounding box.
func (t *xform) projectRing(dst []fpt, r orb.Ring) ([]fpt, fpt, fpt) {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	mn := fpt{math.Inf(1), math.Inf(1)}
	mx := fpt{math.Inf(-1), math.Inf(-1)}
	for _, p := range r[:n] {
		q := t.project(p)
		mn.x, mn.y = min(mn.x, q.x), min(mn.y, q.y)
		mx.x, mx.y = max(mx.x, q.x), max(mx.y, q.y)
		dst = append(dst, q)
	}
	return dst, mn, mx
}

// clipRing clips the open ring in to the square [lo, hi]² with the Sutherland–Hodgman algorithm,
// using tmp as scratch, and returns the clipped ring (which aliases in or tmp). Points on the
// boundary count as inside.
//
// Intersection points are computed from the segment's endpoints in a canonical order (the
// lexicographically smaller endpoint first), so the segment a→b of one parcel and b→a of its
// neighbour yield bit-identical points: shared edges stay shared after clipping.
func clipRing(in, tmp []fpt, lo, hi float64) (out, spare []fpt) {
	a, b := in, tmp
	for edge := 0; edge < 4 && len(a) > 0; edge++ {
		b = b[:0]
		prev := a[len(a)-1]
		prevIn := inside(prev, edge, lo, hi)
		for _, cur := range a {
			curIn := inside(cur, edge, lo, hi)
			if curIn != prevIn {
				b = append(b, intersect(prev, cur, edge, lo, hi))
			}
			if curIn {
				b = append(b, cur)
			}
			prev, prevIn = cur, curIn
		}
		a, b = b, a
	}
	return a, b
}

func inside(p fpt, edge int, lo, hi float64) bool {
	switch edge {
	case 0:
		return p.x >= lo
	case 1:
		return p.x <= hi
	case 2:
		return p.y >= lo
	default:
		return p.y <= hi
	}
}

func intersect(a, b fpt, edge int, lo, hi float64) fpt {
	if b.x < a.x || (b.x == a.x && b.y < a.y) {
		a, b = b, a
	}
	switch edge {
	case 0, 1:
		x := lo
		if edge == 1 {
			x = hi
		}
		t := (x - a.x) / (b.x - a.x)
		return fpt{x, a.y + t*(b.y-a.y)}
	default:
		y := lo
		if edge == 3 {
			y = hi
		}
		t := (y - a.y) / (b.y - a.y)
		return fpt{a.x + t*(b.x-a.x), y}
	}
}

// floatArea returns the signed area of an open ring by the surveyor's formula (positive for a
// ring that is clockwise on screen, y down), computed relative to the first vertex to keep
// rounding small: a ring whose vertices all lie on one line has area exactly 0.
func floatArea(r []fpt) float64 {
	if len(r) < 3 {
		return 0
	}
	x0, y0 := r[0].x, r[0].y
	var s float64
	px, py := 0.0, 0.0
	for _, p := range r[1:] {
		x, y := p.x-x0, p.y-y0
		s += px*y - x*py
		px, py = x, y
	}
	return s / 2
}

// snapRing appends the rounded points of r to dst.
func snapRing(dst []ipt, r []fpt) []ipt {
	for _, p := range r {
		dst = append(dst, ipt{int32(math.Round(p.x)), int32(math.Round(p.y))})
	}
	return dst
}

// cleanRing removes, in place, consecutive duplicate points and A-B-A spikes (also across the
// ring's closure) from an open ring, and returns the remaining ring, which is nil when fewer
// than three points remain. No other point is removed: collinear points stay, so an edge
// shared with a neighbour keeps exactly the vertices the neighbour keeps.
func cleanRing(p []ipt) []ipt {
	out := p[:0]
	for _, q := range p {
		n := len(out)
		switch {
		case n >= 1 && out[n-1] == q:
			// duplicate
		case n >= 2 && out[n-2] == q:
			out = out[:n-1] // spike …q B q → …q
		default:
			out = append(out, q)
		}
	}
	for len(out) >= 3 {
		n := len(out)
		switch {
		case out[n-1] == out[0]:
			out = out[:n-1]
		case out[n-2] == out[0]:
			out = out[:n-2] // spike at the last point: …A B | A…
		case out[n-1] == out[1]:
			out = out[2:] // spike at the first point: …A | B A…
		default:
			return out
		}
	}
	return nil
}

// ringArea2 returns twice the signed area of an open integer ring by the surveyor's formula of
// the MVT 2.1 specification (§4.3.4.4): positive for an exterior ring, negative for a hole.
func ringArea2(r []ipt) int64 {
	var s int64
	n := len(r)
	for i := range r {
		a, b := r[i], r[(i+1)%n]
		s += int64(a.x)*int64(b.y) - int64(b.x)*int64(a.y)
	}
	return s
}

func reverseRing(r []ipt) {
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
}
