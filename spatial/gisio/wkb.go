package gisio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Well-known binary (ISO and EWKB flavours) of the polygon types, and the GeoPackage binary
// header in front of it.

var errWKB = errors.New("malformed WKB")

type wkbReader struct {
	b   []byte
	bo  binary.ByteOrder
	err error
}

func (r *wkbReader) u32() uint32 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 4 {
		r.err = errWKB
		return 0
	}
	v := r.bo.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *wkbReader) f64() float64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = errWKB
		return 0
	}
	v := math.Float64frombits(r.bo.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// header reads a byte order and geometry type; it returns the base type (1..7…) and the
// number of coordinates per point.
func (r *wkbReader) header() (int, int) {
	if r.err != nil {
		return 0, 0
	}
	if len(r.b) < 5 {
		r.err = errWKB
		return 0, 0
	}
	switch r.b[0] {
	case 0:
		r.bo = binary.BigEndian
	case 1:
		r.bo = binary.LittleEndian
	default:
		r.err = fmt.Errorf("%w: byte order %d", errWKB, r.b[0])
		return 0, 0
	}
	r.b = r.b[1:]
	t := r.u32()
	dim := 2
	if t&0x80000000 != 0 { // EWKB Z
		dim++
	}
	if t&0x40000000 != 0 { // EWKB M
		dim++
	}
	if t&0x20000000 != 0 { // EWKB SRID
		r.u32()
	}
	t &= 0x0FFFFFFF
	switch t / 1000 {
	case 1, 2:
		dim++
	case 3:
		dim += 2
	}
	return int(t % 1000), dim
}

// geometryTypeNames names the WKB geometry types.
var geometryTypeNames = map[int]string{1: "Point", 2: "LineString", 3: "Polygon", 4: "MultiPoint",
	5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection", 8: "CircularString",
	9: "CompoundCurve", 10: "CurvePolygon", 11: "MultiCurve", 12: "MultiSurface"}

// notPolygonError is a geometry that is well-formed but not a polygon.
type notPolygonError struct{ typ int }

func (e notPolygonError) Error() string {
	name := geometryTypeNames[e.typ]
	if name == "" {
		name = fmt.Sprintf("code %d", e.typ)
	}
	return fmt.Sprintf("geometry type %s is not a polygon (Polygon or MultiPolygon expected)", name)
}

func (r *wkbReader) polygon(dim int) orb.Polygon {
	n := r.u32()
	if r.err != nil || uint64(n)*4 > uint64(len(r.b)) {
		r.err = errWKB
		return nil
	}
	p := make(orb.Polygon, 0, n)
	for range n {
		m := r.u32()
		if r.err != nil || uint64(m)*uint64(dim)*8 > uint64(len(r.b)) {
			r.err = errWKB
			return nil
		}
		ring := make(orb.Ring, m)
		for k := range ring {
			ring[k] = orb.Point{r.f64(), r.f64()}
			for range dim - 2 {
				r.f64()
			}
		}
		p = append(p, ring)
	}
	return p
}

// decodeWKB decodes a Polygon or MultiPolygon.
func decodeWKB(b []byte) (orb.Geometry, error) {
	r := &wkbReader{b: b}
	typ, dim := r.header()
	if r.err != nil {
		return nil, r.err
	}
	switch typ {
	case 3:
		p := r.polygon(dim)
		return p, r.err
	case 6:
		n := r.u32()
		if r.err != nil || uint64(n)*9 > uint64(len(r.b)) {
			return nil, errWKB
		}
		mp := make(orb.MultiPolygon, 0, n)
		for range n {
			t, d := r.header()
			if r.err != nil {
				return nil, r.err
			}
			if t != 3 {
				return nil, notPolygonError{t}
			}
			mp = append(mp, r.polygon(d))
			if r.err != nil {
				return nil, r.err
			}
		}
		return mp, nil
	}
	return nil, notPolygonError{typ}
}

// appendWKB appends the little-endian 2D WKB of a Polygon or MultiPolygon.
func appendWKB(b []byte, g orb.Geometry) []byte {
	u32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	f64 := func(v float64) { b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v)) }
	poly := func(p orb.Polygon) {
		b = append(b, 1)
		u32(3)
		u32(uint32(len(p)))
		for _, r := range p {
			u32(uint32(len(r)))
			for _, pt := range r {
				f64(pt[0])
				f64(pt[1])
			}
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		poly(g)
	case orb.MultiPolygon:
		b = append(b, 1)
		u32(6)
		u32(uint32(len(g)))
		for _, p := range g {
			poly(p)
		}
	}
	return b
}

// decodeGPKGGeometry decodes a GeoPackage geometry blob: "GP", version, flags, srs_id, an
// optional envelope, then WKB. An empty geometry gives nil.
func decodeGPKGGeometry(b []byte) (orb.Geometry, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		// Some writers store plain WKB.
		if len(b) > 0 && (b[0] == 0 || b[0] == 1) {
			return decodeWKB(b)
		}
		return nil, errors.New("not a GeoPackage geometry (no GP header)")
	}
	flags := b[3]
	envLen := map[byte]int{0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags>>1)&7]
	if (flags>>1)&7 > 4 {
		return nil, fmt.Errorf("invalid envelope indicator %d", (flags>>1)&7)
	}
	if flags&0x10 != 0 { // empty
		return nil, nil
	}
	if len(b) < 8+envLen {
		return nil, errWKB
	}
	return decodeWKB(b[8+envLen:])
}

// appendGPKGGeometry appends a GeoPackage geometry blob (little endian, XY envelope) for g in
// the SRS srsID.
func appendGPKGGeometry(b []byte, g orb.Geometry, srsID int32) []byte {
	bound := g.Bound()
	b = append(b, 'G', 'P', 0, 0b0000_0011) // version 1 (0), little endian, XY envelope
	b = binary.LittleEndian.AppendUint32(b, uint32(srsID))
	for _, v := range []float64{bound.Min[0], bound.Max[0], bound.Min[1], bound.Max[1]} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return appendWKB(b, g)
}
