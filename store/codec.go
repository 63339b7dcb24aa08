package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// Format versions of the values other than features (see codec_feature.go). Bump one when its
// encoding changes, and keep decoding the old versions.
const (
	layerFormatV1    = 1
	changeFormatV1   = 1
	analysisFormatV1 = 1
	settingFormatV1  = 1
)

// payload checks the leading format version byte of a value of the given kind and returns the
// rest. An unknown version is an error naming it.
func payload(what string, v []byte, want byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("store: empty %s value", what)
	}
	if v[0] != want {
		return nil, fmt.Errorf("store: unknown %s format version %d (this mudi reads version %d)", what, v[0], want)
	}
	return v[1:], nil
}

// withVersion returns a new slice holding version followed by b.
func withVersion(version byte, b []byte) []byte {
	out := make([]byte, 0, 1+len(b))
	return append(append(out, version), b...)
}

// fidKey returns the key of a feature: its id, 8 bytes big-endian.
func fidKey(id spatial.FeatureID) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(id))
}

// historyKey returns the key of a history entry: feature id and Seq, 8 bytes big-endian each.
func historyKey(id spatial.FeatureID, seq uint64) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(id))
	return binary.BigEndian.AppendUint64(k, seq)
}

// layerRecord is the stored form of a layer: spatial.Layer keeps its bound out of its JSON.
type layerRecord struct {
	spatial.Layer
	BoundLonLat [4]float64 `json:"bound"` // min lon, min lat, max lon, max lat
}

func encodeLayer(l spatial.Layer) ([]byte, error) {
	rec := layerRecord{Layer: l, BoundLonLat: [4]float64{l.Bound.Min[0], l.Bound.Min[1], l.Bound.Max[0], l.Bound.Max[1]}}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("store: encode layer %q: %w", l.ID, err)
	}
	return withVersion(layerFormatV1, b), nil
}

// decodeLayer decodes a stored layer. The result does not reference v.
func decodeLayer(v []byte) (spatial.Layer, error) {
	b, err := payload("layer", v, layerFormatV1)
	if err != nil {
		return spatial.Layer{}, err
	}
	var rec layerRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return spatial.Layer{}, fmt.Errorf("store: decode layer: %w", err)
	}
	l := rec.Layer
	bb := rec.BoundLonLat
	l.Bound = orb.Bound{Min: orb.Point{bb[0], bb[1]}, Max: orb.Point{bb[2], bb[3]}}
	return l, nil
}

// changeRecord is the stored form of a spatial.Change. Seq is the key, not part of the value.
type changeRecord struct {
	Time    time.Time   `json:"time"`
	Key     string      `json:"key"`
	Before  *typedValue `json:"before"`
	After   *typedValue `json:"after"`
	Removed bool        `json:"removed,omitempty"`
	Actor   string      `json:"actor,omitempty"`
	Reason  string      `json:"reason,omitempty"`
	Version uint64      `json:"version,omitempty"`
}

// typedValue is an attribute value in JSON that keeps its Go type: plain JSON numbers would
// turn an int64 into a float64. Exactly one field is set; a nil *typedValue is a nil value.
// Floats are text (strconv 'g', shortest exact form) so NaN and ±Inf survive.
type typedValue struct {
	String *string `json:"string,omitempty"`
	Int    *int64  `json:"int,omitempty"`
	Float  *string `json:"float,omitempty"`
	Bool   *bool   `json:"bool,omitempty"`
}

func toTyped(v any) (*typedValue, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return &typedValue{String: &v}, nil
	case int64:
		return &typedValue{Int: &v}, nil
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		return &typedValue{Float: &s}, nil
	case bool:
		return &typedValue{Bool: &v}, nil
	}
	return nil, fmt.Errorf("unsupported value type %T (want string, int64, float64, bool or nil)", v)
}

func (t *typedValue) value() (any, error) {
	if t == nil {
		return nil, nil
	}
	var (
		v any
		n int
	)
	if t.String != nil {
		v, n = *t.String, n+1
	}
	if t.Int != nil {
		v, n = *t.Int, n+1
	}
	if t.Float != nil {
		f, err := strconv.ParseFloat(*t.Float, 64)
		if err != nil {
			return nil, fmt.Errorf("bad float %q", *t.Float)
		}
		v, n = f, n+1
	}
	if t.Bool != nil {
		v, n = *t.Bool, n+1
	}
	if n != 1 {
		return nil, fmt.Errorf("typed value with %d types set", n)
	}
	return v, nil
}

func encodeChange(c spatial.Change) ([]byte, error) {
	before, err := toTyped(c.Before)
	if err != nil {
		return nil, fmt.Errorf("change of %q: before: %w", c.Key, err)
	}
	after, err := toTyped(c.After)
	if err != nil {
		return nil, fmt.Errorf("change of %q: after: %w", c.Key, err)
	}
	b, err := json.Marshal(changeRecord{Time: c.Time, Key: c.Key, Before: before, After: after, Removed: c.Removed, Actor: c.Actor, Reason: c.Reason, Version: c.Version})
	if err != nil {
		return nil, fmt.Errorf("change of %q: %w", c.Key, err)
	}
	return withVersion(changeFormatV1, b), nil
}

func decodeChange(seq uint64, v []byte) (spatial.Change, error) {
	b, err := payload("change", v, changeFormatV1)
	if err != nil {
		return spatial.Change{}, err
	}
	var rec changeRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return spatial.Change{}, fmt.Errorf("store: decode change %d: %w", seq, err)
	}
	c := spatial.Change{Seq: seq, Time: rec.Time, Key: rec.Key, Removed: rec.Removed, Actor: rec.Actor, Reason: rec.Reason, Version: rec.Version}
	if c.Before, err = rec.Before.value(); err != nil {
		return spatial.Change{}, fmt.Errorf("store: decode change %d: before: %w", seq, err)
	}
	if c.After, err = rec.After.value(); err != nil {
		return spatial.Change{}, fmt.Errorf("store: decode change %d: after: %w", seq, err)
	}
	return c, nil
}

// finite reports whether every coordinate of b is finite.
func finite(b orb.Bound) bool {
	for _, x := range [...]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
