package spatial

import (
	"fmt"
	"regexp"
	"time"

	"github.com/paulmach/orb"
)

// FeatureID identifies a feature within its layer. It is stable for the life of the feature
// and doubles as the Mapbox Vector Tile feature id. Valid ids start at 1.
type FeatureID uint64

// Feature is one parcel or control-line polygon. Geometry is an [orb.Polygon] or
// [orb.MultiPolygon] in lon/lat degrees. Attrs are the source attributes exactly as imported
// (Chinese keys and values included); Derived are the attributes mudi computes.
//
// A Feature that has been published in an [Index] snapshot is immutable: writers make a
// modified copy (see [Feature.Clone]) instead of changing it.
type Feature struct {
	ID       FeatureID
	Geometry orb.Geometry
	Attrs    Record
	Derived  Derived
}

// Bound returns the feature's bounding box in lon/lat degrees.
func (f *Feature) Bound() orb.Bound { return f.Geometry.Bound() }

// Polygons returns the feature's polygons: one for a Polygon, the members of a MultiPolygon.
// The result shares memory with the feature and must not be modified.
func (f *Feature) Polygons() []orb.Polygon { return Polygons(f.Geometry) }

// Clone returns a copy of f. Attributes and geometry are shared: both are immutable.
func (f *Feature) Clone() *Feature {
	c := *f
	return &c
}

// Polygons returns the polygons of a Polygon or MultiPolygon geometry and nil for any other
// geometry type.
func Polygons(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

// Attrs holds attribute values keyed by field name, in the mutable form readers and edits
// build; features keep them packed as a [Record]. Values are string, int64, float64, bool or nil
// (an explicit null), as decoded from the source.
type Attrs map[string]any

// String returns the attribute as text: strings as they are, numbers formatted, "" for a missing
// or null value.
func (a Attrs) String(key string) string {
	switch v := a[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// Position tells where a parcel lies relative to its layer's control line.
type Position string

// Control positions; the empty Position means "not computed" (no control layer).
const (
	Inside     Position = "inside"
	Straddling Position = "straddling"
	Outside    Position = "outside"
)

// Derived holds the attributes mudi computes and keeps current for a feature.
type Derived struct {
	AreaM2 float64 // ellipsoidal area, square metres
	AreaMu float64 // AreaM2 in 亩

	// Against the layer's control layer; ControlPosition is "" when there is none.
	ControlPosition Position
	OutsideRatio    float64 // share of the area outside the control line, 0..1
	OutsideMu       float64 // area outside the control line, 亩

	// Contiguous block at the default tolerance; BlockID is 0 when not computed.
	BlockID   uint64
	BlockMu   float64 // area of the block's union, 亩
	Scattered bool    // the block is under the scattered threshold (50 亩 by default)
}

// Kind is the kind of a layer.
type Kind string

// Layer kinds.
const (
	KindParcels Kind = "parcels"
	KindControl Kind = "control"
	KindDerived Kind = "derived"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindParcels || k == KindControl || k == KindDerived }

// FieldType is the type of an attribute field.
type FieldType string

// Field types. Dates are kept as ISO 8601 strings with type FieldDate.
const (
	FieldString  FieldType = "string"
	FieldInteger FieldType = "integer"
	FieldReal    FieldType = "real"
	FieldBoolean FieldType = "boolean"
	FieldDate    FieldType = "date"
)

// Field describes one attribute of a layer's schema.
type Field struct {
	Name  string    `json:"name"`
	Type  FieldType `json:"type"`
	Alias string    `json:"alias,omitempty"` // Chinese label, e.g. 地块编号 for DKBH
}

// Source records where a layer's data came from.
type Source struct {
	File     string `json:"file,omitempty"`
	CRS      string `json:"crs"`                // CRS of the input, e.g. "EPSG:4549"
	Encoding string `json:"encoding,omitempty"` // attribute encoding of the input, e.g. "GBK"
}

// Layer is the metadata of a layer. Bound is in lon/lat degrees.
type Layer struct {
	ID           string            `json:"id"`
	Title        string            `json:"title"`
	Kind         Kind              `json:"kind"`
	Version      uint64            `json:"version"`
	Bound        orb.Bound         `json:"-"`
	FeatureCount int               `json:"feature_count"`
	Source       Source            `json:"source"`
	Fields       []Field           `json:"fields"`
	Roles        map[string]string `json:"roles"`                   // role → field name
	ControlLayer string            `json:"control_layer,omitempty"` // parcels layers only
	// ControlVersion is the version of ControlLayer that the derived attributes were computed
	// against (0: none); a mismatch means they must be recomputed.
	ControlVersion uint64 `json:"control_version,omitempty"`
	// MaxID is the largest feature id the layer has ever used (archived parcels included): new
	// parcels get ids above it, so an id never names two parcels.
	MaxID   uint64    `json:"max_id,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

var layerIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidLayerID reports whether id is a valid layer id: a slug of lower-case ASCII letters,
// digits, '_' and '-', 1 to 64 characters, starting with a letter or digit.
func ValidLayerID(id string) bool { return layerIDPattern.MatchString(id) }

// Role returns the field that plays role r (e.g. "code", "status") and whether there is one.
func (l *Layer) Role(r string) (string, bool) {
	f, ok := l.Roles[r]
	return f, ok && f != ""
}

// Properties returns the feature's source attributes merged with its derived attributes, as
// published in GeoJSON. A source attribute named like a derived one is shadowed.
func (f *Feature) Properties() map[string]any {
	m := make(map[string]any, f.Attrs.Len()+len(DerivedKeys))
	for k, v := range f.Attrs.All() {
		m[k] = v
	}
	f.Derived.Each(func(k string, v any) { m[k] = v })
	return m
}
