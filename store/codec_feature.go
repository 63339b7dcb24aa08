package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// Feature value format. Restart decodes every stored feature, so the format is flat binary that
// decodes without reflection: floats are 8-byte little-endian IEEE 754 (bit exact, NaN and -0
// included), counts and lengths are uvarints, integers zig-zag varints. The feature id is the
// key, not part of the value.
//
//	byte     format version (2; version 1 is still read, see below)
//	geometry tag byte, then by tag:
//	           0 nil
//	           1 Point            x y
//	           2 MultiPoint       n, n×(x y)
//	           3 LineString       n, n×(x y)
//	           4 MultiLineString  n, n×(m, m×(x y))
//	           5 Polygon          n rings, each m, m×(x y)
//	           6 MultiPolygon     n polygons, each as Polygon
//	           7 Ring             n, n×(x y)
//	           8 Bound            minx miny maxx maxy
//	           9 Collection       n, n×geometry (nested at most maxGeometryDepth deep)
//	derived  AreaM2 AreaMu OutsideRatio OutsideMu BlockMu (float64s), BlockID (uvarint),
//	         flags (byte; bit 0 Scattered), ControlPosition (uvarint length + bytes)
//	attrs    uvarint n, then when n > 0: n names in byte order (uvarint length + bytes each),
//	         then the packed values of spatial.Record (uvarint length + bytes) exactly as a
//	         feature keeps them in memory, so that loading a feature copies its values once
//	         instead of rebuilding them.
//
// Version 1 differs only in attrs: uvarint len+1 (0 means none), then len × (uvarint key
// length, key bytes, value tag, payload), keys in byte order. Value tags: 0 nil 1 false 2 true
// 3 int64 (zig-zag varint) 4 float64 5 string (uvarint length + bytes). Opening a store of schema
// 2 rewrites its features in version 2 (db.go, migrate).
//
// A decoder rejects unknown tags, counts larger than the bytes left, names out of order and
// trailing bytes, so corrupt input is an error, never a panic or a huge allocation.
const (
	featureFormatV1 = 1
	featureFormatV2 = 2
)

const (
	geomNil byte = iota
	geomPoint
	geomMultiPoint
	geomLineString
	geomMultiLineString
	geomPolygon
	geomMultiPolygon
	geomRing
	geomBound
	geomCollection
)

const maxGeometryDepth = 8

const (
	valNil byte = iota
	valFalse
	valTrue
	valInt
	valFloat
	valString
)

// featureEncoder encodes features; it keeps scratch space between calls and is not safe for
// concurrent use.
type featureEncoder struct {
	buf []byte
}

// encode returns the encoded value of f. The result is valid until the next call.
func (e *featureEncoder) encode(f *spatial.Feature) ([]byte, error) {
	b := append(e.buf[:0], featureFormatV2)
	b, err := appendGeometry(b, f.Geometry, 0)
	if err != nil {
		return nil, fmt.Errorf("feature %d: %w", f.ID, err)
	}
	d := &f.Derived
	for _, x := range [...]float64{d.AreaM2, d.AreaMu, d.OutsideRatio, d.OutsideMu, d.BlockMu} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	b = binary.AppendUvarint(b, d.BlockID)
	var flags byte
	if d.Scattered {
		flags |= 1
	}
	b = append(b, flags)
	b = appendString(b, string(d.ControlPosition))

	names, data := f.Attrs.Packed()
	b = binary.AppendUvarint(b, uint64(len(names)))
	if len(names) > 0 {
		for _, n := range names {
			b = appendString(b, n)
		}
		b = appendString(b, data)
	}
	e.buf = b
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendPoints(b []byte, pts []orb.Point) []byte {
	b = binary.AppendUvarint(b, uint64(len(pts)))
	for _, p := range pts {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
	}
	return b
}

func appendPolygon(b []byte, p orb.Polygon) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	for _, r := range p {
		b = appendPoints(b, r)
	}
	return b
}

func appendGeometry(b []byte, g orb.Geometry, depth int) ([]byte, error) {
	switch g := g.(type) {
	case nil:
		return append(b, geomNil), nil
	case orb.Point:
		b = append(b, geomPoint)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(g[0]))
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(g[1])), nil
	case orb.MultiPoint:
		return appendPoints(append(b, geomMultiPoint), g), nil
	case orb.LineString:
		return appendPoints(append(b, geomLineString), g), nil
	case orb.Ring:
		return appendPoints(append(b, geomRing), g), nil
	case orb.MultiLineString:
		b = binary.AppendUvarint(append(b, geomMultiLineString), uint64(len(g)))
		for _, ls := range g {
			b = appendPoints(b, ls)
		}
		return b, nil
	case orb.Polygon:
		return appendPolygon(append(b, geomPolygon), g), nil
	case orb.MultiPolygon:
		b = binary.AppendUvarint(append(b, geomMultiPolygon), uint64(len(g)))
		for _, p := range g {
			b = appendPolygon(b, p)
		}
		return b, nil
	case orb.Bound:
		b = append(b, geomBound)
		for _, x := range [...]float64{g.Min[0], g.Min[1], g.Max[0], g.Max[1]} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b, nil
	case orb.Collection:
		if depth >= maxGeometryDepth {
			return nil, fmt.Errorf("geometry collections nested more than %d deep", maxGeometryDepth)
		}
		b = binary.AppendUvarint(append(b, geomCollection), uint64(len(g)))
		for _, m := range g {
			var err error
			if b, err = appendGeometry(b, m, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("unsupported geometry type %T", g)
}

// errCorrupt is wrapped by every feature decoding error.
var errCorrupt = errors.New("corrupt feature value")

// featureDecoder decodes feature values. It is built for bulk loading: features, points and
// rings are carved out of shared chunks (far fewer allocations; a chunk lives as long as any
// feature in it), attribute keys are interned, and repeated short string values (status,
// district …) share one string and one interface value. Not safe for concurrent use.
type featureDecoder struct {
	sets  map[string]*spatial.NameSet // by the bytes of the encoded names (version 2)
	keys  map[string]*keyIntern       // version 1
	feats []spatial.Feature
	pts   []orb.Point
	rings []orb.Ring
}

// keyIntern interns an attribute key and the values seen under it.
type keyIntern struct {
	name string
	vals map[string]any // nil once the key proved high-cardinality
}

// Interning limits: values longer than maxInternLen are not interned, and a key stops
// interning after maxInternVals distinct values (codes, names: every value differs).
const (
	maxInternLen  = 64
	maxInternVals = 512
)

// Chunk sizes of the decoder's allocation arenas.
const (
	featChunk  = 1024
	pointChunk = 16384
	ringChunk  = 2048
)

func newFeatureDecoder() *featureDecoder {
	return &featureDecoder{sets: make(map[string]*spatial.NameSet), keys: make(map[string]*keyIntern)}
}

// decode decodes the value b of feature id. The result does not reference b.
func (d *featureDecoder) decode(id spatial.FeatureID, b []byte) (*spatial.Feature, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("feature %d: %w: empty", id, errCorrupt)
	}
	version := b[0]
	if version != featureFormatV1 && version != featureFormatV2 {
		return nil, fmt.Errorf("feature %d: unknown feature format version %d (this mudi reads versions %d and %d)", id, b[0], featureFormatV1, featureFormatV2)
	}
	if len(d.feats) == 0 {
		d.feats = make([]spatial.Feature, featChunk)
	}
	f := &d.feats[0]
	r := reader{b: b, off: 1}
	f.ID = id
	f.Geometry = d.geometry(&r, 0)
	f.Derived.AreaM2 = r.float()
	f.Derived.AreaMu = r.float()
	f.Derived.OutsideRatio = r.float()
	f.Derived.OutsideMu = r.float()
	f.Derived.BlockMu = r.float()
	f.Derived.BlockID = r.uvarint()
	flags := r.byte()
	if flags&^1 != 0 {
		r.fail("unknown derived flags %#x", flags)
	}
	f.Derived.Scattered = flags&1 != 0
	f.Derived.ControlPosition = position(r.bytes())
	if version == featureFormatV1 {
		f.Attrs = d.attrsV1(&r).Record()
	} else {
		f.Attrs = d.attrs(&r)
	}
	if r.err == nil && r.off != len(b) {
		r.fail("%d trailing bytes", len(b)-r.off)
	}
	if r.err != nil {
		*f = spatial.Feature{}
		return nil, fmt.Errorf("feature %d: %w at byte %d: %v", id, errCorrupt, r.off, r.err)
	}
	d.feats = d.feats[1:]
	return f, nil
}

// position returns the Position constant for b without allocating for the known values.
func position(b []byte) spatial.Position {
	switch string(b) {
	case "":
		return ""
	case string(spatial.Inside):
		return spatial.Inside
	case string(spatial.Straddling):
		return spatial.Straddling
	case string(spatial.Outside):
		return spatial.Outside
	}
	return spatial.Position(b)
}

// attrs reads the attributes of format version 2: the names are looked up by their bytes among
// the sets this decoder has seen (a layer's features mostly share one), the packed values are
// copied once and checked.
func (d *featureDecoder) attrs(r *reader) spatial.Record {
	n := r.uvarint()
	if r.err != nil || n == 0 {
		return spatial.Record{}
	}
	// Each name takes at least one byte (its length).
	if n > uint64(len(r.b)-r.off) {
		r.fail("attribute count %d exceeds the %d bytes left", n, len(r.b)-r.off)
		return spatial.Record{}
	}
	from := r.off
	for range n {
		if r.bytes(); r.err != nil {
			return spatial.Record{}
		}
	}
	span := r.b[from:r.off]
	set, ok := d.sets[string(span)]
	if !ok {
		names := make([]string, 0, n)
		rr := reader{b: span}
		for range n {
			names = append(names, string(rr.bytes()))
		}
		set = spatial.NameSetOf(names)
		if set == nil || len(set.Names()) != int(n) {
			r.fail("bad attribute names")
			return spatial.Record{}
		}
		d.sets[string(span)] = set
	}
	data := r.bytes()
	if r.err != nil {
		return spatial.Record{}
	}
	rec, err := spatial.RecordFromPacked(set.Names(), set, string(data))
	if err != nil {
		r.fail("%v", err)
		return spatial.Record{}
	}
	return rec
}

// attrsV1 reads the attributes of format version 1.
func (d *featureDecoder) attrsV1(r *reader) spatial.Attrs {
	x := r.uvarint()
	if r.err != nil || x == 0 {
		return nil
	}
	// Each entry takes at least 2 bytes (key length and value tag).
	if x-1 > uint64(len(r.b)-r.off)/2 {
		r.fail("attribute count %d exceeds the %d bytes left", x-1, len(r.b)-r.off)
		return nil
	}
	n := int(x - 1)
	a := make(spatial.Attrs, n)
	for i := 0; i < n && r.err == nil; i++ {
		kb := r.bytes()
		if r.err != nil {
			break
		}
		ki := d.keys[string(kb)]
		if ki == nil {
			ki = &keyIntern{name: string(kb), vals: make(map[string]any)}
			d.keys[ki.name] = ki
		}
		var v any
		switch tag := r.byte(); tag {
		case valNil:
		case valFalse:
			v = false
		case valTrue:
			v = true
		case valInt:
			v = r.varint()
		case valFloat:
			v = r.float()
		case valString:
			v = ki.value(r.bytes())
		default:
			r.fail("attribute %q: unknown value tag %d", ki.name, tag)
		}
		a[ki.name] = v
	}
	if r.err == nil && len(a) != n {
		r.fail("duplicate attribute keys")
	}
	return a
}

// value returns b as a string in an interface, shared with earlier equal values if possible.
func (k *keyIntern) value(b []byte) any {
	if k.vals == nil || len(b) > maxInternLen {
		return string(b)
	}
	if v, ok := k.vals[string(b)]; ok {
		return v
	}
	s := string(b)
	var v any = s
	if len(k.vals) < maxInternVals {
		k.vals[s] = v
	} else {
		k.vals = nil // high-cardinality key: stop looking values up
	}
	return v
}

func (d *featureDecoder) points(r *reader) []orb.Point {
	n := r.count(16)
	if r.err != nil || n == 0 {
		return nil
	}
	var pts []orb.Point
	if n > pointChunk/8 {
		pts = make([]orb.Point, n)
	} else {
		if len(d.pts) < n {
			d.pts = make([]orb.Point, pointChunk)
		}
		pts = d.pts[:n:n]
		d.pts = d.pts[n:]
	}
	b := r.b[r.off : r.off+16*n]
	for i := range pts {
		pts[i][0] = math.Float64frombits(binary.LittleEndian.Uint64(b[16*i:]))
		pts[i][1] = math.Float64frombits(binary.LittleEndian.Uint64(b[16*i+8:]))
	}
	r.off += 16 * n
	return pts
}

func (d *featureDecoder) polygon(r *reader) orb.Polygon {
	n := r.count(1)
	if r.err != nil || n == 0 {
		return nil
	}
	var p orb.Polygon
	if n > ringChunk/8 {
		p = make(orb.Polygon, n)
	} else {
		if len(d.rings) < n {
			d.rings = make([]orb.Ring, ringChunk)
		}
		p = d.rings[:n:n]
		d.rings = d.rings[n:]
	}
	for i := range p {
		p[i] = d.points(r)
	}
	return p
}

func (d *featureDecoder) geometry(r *reader, depth int) orb.Geometry {
	switch tag := r.byte(); tag {
	case geomNil:
		return nil
	case geomPoint:
		return orb.Point{r.float(), r.float()}
	case geomMultiPoint:
		return orb.MultiPoint(d.points(r))
	case geomLineString:
		return orb.LineString(d.points(r))
	case geomRing:
		return orb.Ring(d.points(r))
	case geomMultiLineString:
		n := r.count(1)
		if r.err != nil || n == 0 {
			return orb.MultiLineString(nil)
		}
		mls := make(orb.MultiLineString, n)
		for i := range mls {
			mls[i] = d.points(r)
		}
		return mls
	case geomPolygon:
		return d.polygon(r)
	case geomMultiPolygon:
		n := r.count(1)
		if r.err != nil || n == 0 {
			return orb.MultiPolygon(nil)
		}
		mp := make(orb.MultiPolygon, n)
		for i := range mp {
			mp[i] = d.polygon(r)
		}
		return mp
	case geomBound:
		return orb.Bound{Min: orb.Point{r.float(), r.float()}, Max: orb.Point{r.float(), r.float()}}
	case geomCollection:
		if depth >= maxGeometryDepth {
			r.fail("geometry collections nested more than %d deep", maxGeometryDepth)
			return nil
		}
		n := r.count(1)
		if r.err != nil || n == 0 {
			return orb.Collection(nil)
		}
		c := make(orb.Collection, n)
		for i := range c {
			c[i] = d.geometry(r, depth+1)
		}
		return c
	default:
		if r.err == nil {
			r.fail("unknown geometry tag %d", tag)
		}
		return nil
	}
}

// reader reads a value. The first error sticks: later reads return zero values, so callers
// check r.err once after a group of reads.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *reader) byte() byte {
	if r.err != nil || r.off >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) float() float64 {
	if r.err != nil || len(r.b)-r.off < 8 {
		r.fail("unexpected end")
		return 0
	}
	x := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.off:]))
	r.off += 8
	return x
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad uvarint")
		return 0
	}
	r.off += n
	return x
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.off += n
	return x
}

// count reads a count of items that each take at least size bytes, and fails if there are not
// enough bytes left for them, which bounds every allocation by the value's length.
func (r *reader) count(size int) int {
	x := r.uvarint()
	if r.err != nil {
		return 0
	}
	if x > uint64(len(r.b)-r.off)/uint64(size) {
		r.fail("count %d exceeds the %d bytes left", x, len(r.b)-r.off)
		return 0
	}
	return int(x)
}

// bytes reads a length-prefixed byte string; the result aliases the input.
func (r *reader) bytes() []byte {
	x := r.uvarint()
	if r.err != nil {
		return nil
	}
	if x > uint64(len(r.b)-r.off) {
		r.fail("length %d exceeds the %d bytes left", x, len(r.b)-r.off)
		return nil
	}
	s := r.b[r.off : r.off+int(x)]
	r.off += int(x)
	return s
}
