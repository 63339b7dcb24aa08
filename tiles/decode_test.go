package tiles

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
)

// A strict MVT decoder for tests: it rejects anything the 2.1 specification does not allow
// (unknown wire types, bad command sequences, tags out of range).

type dTile struct{ Layers []dLayer }

type dLayer struct {
	Name     string
	Version  uint32
	Extent   uint32
	Keys     []string
	Values   []any
	Features []dFeature
}

type dFeature struct {
	ID    uint64
	HasID bool
	Type  uint32
	Tags  []uint32
	Geom  []uint32
	Props map[string]any
	Rings [][][2]int64 // open rings, tile coordinates
}

func (t *dTile) layer(name string) *dLayer {
	for i := range t.Layers {
		if t.Layers[i].Name == name {
			return &t.Layers[i]
		}
	}
	return nil
}

func (l *dLayer) ids() map[uint64]bool {
	m := map[uint64]bool{}
	for _, f := range l.Features {
		m[f.ID] = true
	}
	return m
}

type pbReader struct {
	b   []byte
	err error
}

func (r *pbReader) varint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *pbReader) fail(msg string) {
	if r.err == nil {
		r.err = fmt.Errorf("mvt: %s", msg)
	}
	r.b = nil
}

func (r *pbReader) bytes() []byte {
	n := r.varint()
	if uint64(len(r.b)) < n {
		r.fail("truncated field")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *pbReader) packed() []uint32 {
	sub := pbReader{b: r.bytes()}
	var out []uint32
	for len(sub.b) > 0 && sub.err == nil {
		v := sub.varint()
		if v > math.MaxUint32 {
			sub.fail("packed value exceeds uint32")
		}
		out = append(out, uint32(v))
	}
	if sub.err != nil {
		r.fail(sub.err.Error())
	}
	return out
}

func (r *pbReader) skip(wt uint64) {
	switch wt {
	case 0:
		r.varint()
	case 1:
		if len(r.b) < 8 {
			r.fail("truncated fixed64")
			return
		}
		r.b = r.b[8:]
	case 2:
		r.bytes()
	case 5:
		if len(r.b) < 4 {
			r.fail("truncated fixed32")
			return
		}
		r.b = r.b[4:]
	default:
		r.fail(fmt.Sprintf("wire type %d", wt))
	}
}

func decodeTile(b []byte) (*dTile, error) {
	r := pbReader{b: b}
	t := &dTile{}
	for len(r.b) > 0 && r.err == nil {
		k := r.varint()
		if k == tagTileLayer {
			l, err := decodeLayer(r.bytes())
			if err != nil {
				return nil, err
			}
			t.Layers = append(t.Layers, *l)
			continue
		}
		r.skip(k & 7)
	}
	return t, r.err
}

func decodeLayer(b []byte) (*dLayer, error) {
	r := pbReader{b: b}
	l := &dLayer{Version: 1, Extent: 4096}
	var feats [][]byte
	for len(r.b) > 0 && r.err == nil {
		switch k := r.varint(); k {
		case tagLayerName:
			l.Name = string(r.bytes())
		case tagLayerVersion:
			l.Version = uint32(r.varint())
		case tagLayerExtent:
			l.Extent = uint32(r.varint())
		case tagLayerKey:
			l.Keys = append(l.Keys, string(r.bytes()))
		case tagLayerValue:
			v, err := decodeValue(r.bytes())
			if err != nil {
				return nil, err
			}
			l.Values = append(l.Values, v)
		case tagLayerFeature:
			feats = append(feats, r.bytes())
		default:
			r.skip(k & 7)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	for _, fb := range feats {
		f, err := l.decodeFeature(fb)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Name, err)
		}
		l.Features = append(l.Features, *f)
	}
	return l, nil
}

func decodeValue(b []byte) (any, error) {
	r := pbReader{b: b}
	var v any
	n := 0
	for len(r.b) > 0 && r.err == nil {
		n++
		switch k := r.varint(); k {
		case tagValueString:
			v = string(r.bytes())
		case 2<<3 | 5:
			if len(r.b) < 4 {
				return nil, fmt.Errorf("mvt: truncated float")
			}
			v = math.Float32frombits(binary.LittleEndian.Uint32(r.b))
			r.b = r.b[4:]
		case tagValueDouble:
			if len(r.b) < 8 {
				return nil, fmt.Errorf("mvt: truncated double")
			}
			v = math.Float64frombits(binary.LittleEndian.Uint64(r.b))
			r.b = r.b[8:]
		case tagValueInt:
			v = int64(r.varint())
		case tagValueUint:
			v = r.varint()
		case tagValueSint:
			u := r.varint()
			v = int64(u>>1) ^ -int64(u&1)
		case tagValueBool:
			v = r.varint() != 0
		default:
			return nil, fmt.Errorf("mvt: unknown value field %d", k>>3)
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("mvt: value with %d fields", n)
	}
	return v, r.err
}

func (l *dLayer) decodeFeature(b []byte) (*dFeature, error) {
	r := pbReader{b: b}
	f := &dFeature{}
	for len(r.b) > 0 && r.err == nil {
		switch k := r.varint(); k {
		case tagFeatureID:
			f.ID, f.HasID = r.varint(), true
		case tagFeatureTags:
			f.Tags = r.packed()
		case tagFeatureType:
			f.Type = uint32(r.varint())
		case tagFeatureGeom:
			f.Geom = r.packed()
		default:
			r.skip(k & 7)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(f.Tags)%2 != 0 {
		return nil, fmt.Errorf("feature %d: odd tag count", f.ID)
	}
	f.Props = map[string]any{}
	for i := 0; i < len(f.Tags); i += 2 {
		k, v := f.Tags[i], f.Tags[i+1]
		if int(k) >= len(l.Keys) || int(v) >= len(l.Values) {
			return nil, fmt.Errorf("feature %d: tag out of range", f.ID)
		}
		if _, dup := f.Props[l.Keys[k]]; dup {
			return nil, fmt.Errorf("feature %d: duplicate key %s", f.ID, l.Keys[k])
		}
		f.Props[l.Keys[k]] = l.Values[v]
	}
	rings, err := decodePolygonGeom(f.Geom)
	if err != nil {
		return nil, fmt.Errorf("feature %d: %w", f.ID, err)
	}
	f.Rings = rings
	return f, nil
}

// decodePolygonGeom decodes polygon commands strictly: MoveTo(1) LineTo(n≥2) ClosePath(1).
func decodePolygonGeom(g []uint32) ([][][2]int64, error) {
	var rings [][][2]int64
	var x, y int64
	unz := func(v uint32) int64 { return int64(int32(v>>1) ^ -int32(v&1)) }
	for i := 0; i < len(g); {
		c := g[i]
		if c&7 != cmdMoveTo || c>>3 != 1 {
			return nil, fmt.Errorf("expected MoveTo(1) at %d, got %d×%d", i, c&7, c>>3)
		}
		if i+3 > len(g) {
			return nil, fmt.Errorf("truncated MoveTo")
		}
		x += unz(g[i+1])
		y += unz(g[i+2])
		ring := [][2]int64{{x, y}}
		i += 3
		if i >= len(g) || g[i]&7 != cmdLineTo || g[i]>>3 < 2 {
			return nil, fmt.Errorf("expected LineTo(≥2) at %d", i)
		}
		n := int(g[i] >> 3)
		i++
		if i+2*n > len(g) {
			return nil, fmt.Errorf("truncated LineTo")
		}
		for k := 0; k < n; k++ {
			x += unz(g[i])
			y += unz(g[i+1])
			ring = append(ring, [2]int64{x, y})
			i += 2
		}
		if i >= len(g) || g[i] != command(cmdClosePath, 1) {
			return nil, fmt.Errorf("expected ClosePath at %d", i)
		}
		i++
		rings = append(rings, ring)
	}
	return rings, nil
}

// area2 is twice the signed area by the MVT surveyor's formula (positive: exterior).
func area2(r [][2]int64) int64 {
	var s int64
	for i := range r {
		a, b := r[i], r[(i+1)%len(r)]
		s += a[0]*b[1] - b[0]*a[1]
	}
	return s
}

// polygons groups rings as MVT 2.1 decoders do: a positive ring starts a polygon, negative
// rings are its holes.
func polygons(rings [][][2]int64) ([][][][2]int64, error) {
	var out [][][][2]int64
	for _, r := range rings {
		a := area2(r)
		switch {
		case a > 0:
			out = append(out, [][][2]int64{r})
		case a < 0:
			if len(out) == 0 {
				return nil, fmt.Errorf("hole before any exterior ring")
			}
			out[len(out)-1] = append(out[len(out)-1], r)
		default:
			return nil, fmt.Errorf("zero-area ring")
		}
	}
	return out, nil
}

func mustDecode(tb testing.TB, b []byte) *dTile {
	tb.Helper()
	t, err := decodeTile(b)
	if err != nil {
		tb.Fatalf("decode tile: %v", err)
	}
	for _, l := range t.Layers {
		if l.Version != 2 || l.Extent != 4096 && l.Extent != 0 {
			tb.Fatalf("layer %s: version %d extent %d", l.Name, l.Version, l.Extent)
		}
		for _, f := range l.Features {
			if f.Type != geomTypePolygon {
				tb.Fatalf("feature %d: type %d", f.ID, f.Type)
			}
			if _, err := polygons(f.Rings); err != nil {
				tb.Fatalf("feature %d: %v", f.ID, err)
			}
			for _, r := range f.Rings {
				if len(r) < 3 {
					tb.Fatalf("feature %d: ring with %d points", f.ID, len(r))
				}
				for i := range r {
					if r[i] == r[(i+1)%len(r)] {
						tb.Fatalf("feature %d: repeated point %v", f.ID, r[i])
					}
				}
			}
		}
	}
	return t
}
