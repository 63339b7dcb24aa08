package tiles

import (
	"encoding/binary"
	"math"
)

// Minimal protocol-buffers writer for the vector_tile.proto messages (MVT 2.1). Field tags are
// (field number << 3) | wire type.
const (
	tagTileLayer = 3<<3 | 2

	tagLayerName     = 1<<3 | 2
	tagLayerFeature  = 2<<3 | 2
	tagLayerKey      = 3<<3 | 2
	tagLayerValue    = 4<<3 | 2
	tagLayerExtent   = 5<<3 | 0
	tagLayerVersion  = 15<<3 | 0
	tagFeatureID     = 1<<3 | 0
	tagFeatureTags   = 2<<3 | 2
	tagFeatureType   = 3<<3 | 0
	tagFeatureGeom   = 4<<3 | 2
	tagValueString   = 1<<3 | 2
	tagValueDouble   = 3<<3 | 1
	tagValueInt      = 4<<3 | 0
	tagValueUint     = 5<<3 | 0
	tagValueSint     = 6<<3 | 0
	tagValueBool     = 7<<3 | 0
	geomTypePolygon  = 3
	cmdMoveTo        = 1
	cmdLineTo        = 2
	cmdClosePath     = 7
	mvtVersion       = 2
	featureTypeBytes = 2 // tag + value of the type field
)

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func zigzag32(v int32) uint32 { return uint32(v<<1) ^ uint32(v>>31) }

func zigzag64(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func command(id, count uint32) uint32 { return id&7 | count<<3 }

func packedLen(vs []uint32) int {
	n := 0
	for _, v := range vs {
		n += varintLen(uint64(v))
	}
	return n
}

func appendPacked(b []byte, tag byte, vs []uint32, n int) []byte {
	b = append(b, tag)
	b = appendVarint(b, uint64(n))
	for _, v := range vs {
		b = appendVarint(b, uint64(v))
	}
	return b
}

func appendBytesField(b []byte, tag byte, s string) []byte {
	b = append(b, tag)
	b = appendVarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendValue appends one framed Value message (layer field 4).
func appendValue(b []byte, v valueKey) []byte {
	b = append(b, tagLayerValue)
	switch v.kind {
	case kindString:
		n := 1 + varintLen(uint64(len(v.s))) + len(v.s)
		b = appendVarint(b, uint64(n))
		b = appendBytesField(b, tagValueString, v.s)
	case kindDouble:
		b = append(b, 9, tagValueDouble)
		b = binary.LittleEndian.AppendUint64(b, v.u)
	case kindInt, kindUint, kindSint:
		tag := byte(tagValueInt)
		switch v.kind {
		case kindUint:
			tag = tagValueUint
		case kindSint:
			tag = tagValueSint
		}
		b = appendVarint(b, uint64(1+varintLen(v.u)))
		b = append(b, tag)
		b = appendVarint(b, v.u)
	case kindBool:
		b = append(b, 2, tagValueBool, byte(v.u))
	}
	return b
}

// valueKind is the Value field a property value is encoded in.
type valueKind uint8

const (
	kindString valueKind = iota + 1
	kindDouble
	kindInt  // int_value, for non-negative integers
	kindUint // uint_value
	kindSint // sint_value (zigzag), for negative integers
	kindBool
)

// valueKey identifies a property value for the per-layer value table: u holds the bits of
// numbers and booleans (zigzag-encoded for sint), s the text of strings.
type valueKey struct {
	kind valueKind
	u    uint64
	s    string
}

// toValue converts an attribute value to its MVT encoding; ok is false for nil and for types
// MVT cannot carry, which are omitted from the feature.
func toValue(v any) (valueKey, bool) {
	switch v := v.(type) {
	case string:
		return valueKey{kind: kindString, s: v}, true
	case float64:
		return doubleValue(v), true
	case float32:
		return doubleValue(float64(v)), true
	case int64:
		return intValue(v), true
	case int:
		return intValue(int64(v)), true
	case int32:
		return intValue(int64(v)), true
	case uint64:
		return valueKey{kind: kindUint, u: v}, true
	case uint32:
		return valueKey{kind: kindUint, u: uint64(v)}, true
	case bool:
		return boolValue(v), true
	}
	return valueKey{}, false
}

func doubleValue(f float64) valueKey { return valueKey{kind: kindDouble, u: math.Float64bits(f)} }

func intValue(i int64) valueKey {
	if i < 0 {
		return valueKey{kind: kindSint, u: zigzag64(i)}
	}
	return valueKey{kind: kindInt, u: uint64(i)}
}

func boolValue(b bool) valueKey {
	if b {
		return valueKey{kind: kindBool, u: 1}
	}
	return valueKey{kind: kindBool}
}
