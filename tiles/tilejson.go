package tiles

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// Field types as TileJSON's vector_layers and tippecanoe's metadata name them.
const (
	TypeString  = "String"
	TypeNumber  = "Number"
	TypeBoolean = "Boolean"
)

// FieldInfo describes one property that tiles of a layer carry.
type FieldInfo struct {
	Name  string
	Type  string // TypeString, TypeNumber or TypeBoolean
	Alias string // Chinese label from the layer schema, if any
}

// Fields returns the properties that tiles of the snapshot's layer carry from
// [Options.DetailZoom] on (below it, parcels carry a subset), in encoding order:
// the selected source attributes (see [Options.AllAttributes]) that the schema declares or that
// some feature holds, then the derived ones that some feature has. Source attribute types come
// from the schema, or from the first non-null value when the schema lacks the field.
func (r *Renderer) Fields(snap *spatial.Snapshot) []FieldInfo {
	l := &snap.Layer
	names := r.sourceFields(nil, l, true)
	schema := make(map[string]spatial.Field, len(l.Fields))
	for _, f := range l.Fields {
		schema[f.Name] = f
	}
	types := make(map[string]string, len(names))
	missing := 0
	for _, n := range names {
		if f, ok := schema[n]; ok {
			types[n] = fieldType(f.Type)
		} else {
			missing++
		}
	}
	var hasControl, hasBlock bool
	for _, f := range snap.Features() {
		if f.Derived.ControlPosition != "" {
			hasControl = true
		}
		if f.Derived.BlockID != 0 {
			hasBlock = true
		}
		if missing > 0 {
			for _, n := range names {
				if _, ok := types[n]; ok {
					continue
				}
				if v, ok := toValue(f.Attrs.Value(n)); ok {
					types[n] = valueType(v.kind)
					missing--
				}
			}
		}
		if missing == 0 && hasControl && hasBlock {
			break
		}
	}
	out := make([]FieldInfo, 0, len(names)+nDerived)
	for _, n := range names {
		if t, ok := types[n]; ok {
			out = append(out, FieldInfo{Name: n, Type: t, Alias: schema[n].Alias})
		}
	}
	for _, a := range spatial.Computed {
		if !a.Tiles || (a.Group == spatial.GroupControl && !hasControl) || (a.Group == spatial.GroupBlock && !hasBlock) ||
			(a.Group == spatial.GroupClasses && snap.Classes() == nil) {
			continue
		}
		out = append(out, FieldInfo{Name: a.Key, Type: fieldType(a.Type), Alias: a.Alias})
	}
	return out
}

func fieldType(t spatial.FieldType) string {
	switch t {
	case spatial.FieldInteger, spatial.FieldReal:
		return TypeNumber
	case spatial.FieldBoolean:
		return TypeBoolean
	}
	return TypeString
}

func valueType(k valueKind) string {
	switch k {
	case kindString:
		return TypeString
	case kindBool:
		return TypeBoolean
	}
	return TypeNumber
}

// TileJSON is a TileJSON 3.0.0 document (https://github.com/mapbox/tilejson-spec).
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name,omitempty"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version,omitempty"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	VectorLayers []VectorLayer `json:"vector_layers"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"` // west, south, east, north (degrees)
	Center       [3]float64    `json:"center"` // lon, lat, zoom
}

// VectorLayer describes one layer of a vector tileset, as TileJSON and tippecanoe's
// metadata.json do. Fields maps property names to "String", "Number" or "Boolean".
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// TileJSON returns the TileJSON 3.0.0 document of a tileset of the given layers (one MVT layer
// each) served at tileURL, a URL template with {z}, {x} and {y}, e.g.
// "https://host/tiles/parcels,control-lines/{z}/{x}/{y}.mvt". Zooms range from 0 to
// [Options.MaxZoom]; bounds are the union of the layers' bounds (the world when they are empty).
// The tileset version is [Versions] of the layers; it changes with every edit.
func (r *Renderer) TileJSON(layers []*spatial.Snapshot, tileURL string) TileJSON {
	layers = nonNil(layers)
	b, center := boundsCenter(layers, r.opts.MaxZoom)
	ids := make([]string, 0, len(layers))
	for _, s := range layers {
		ids = append(ids, s.Layer.ID)
	}
	return TileJSON{
		TileJSON:     "3.0.0",
		Name:         strings.Join(ids, ","),
		Description:  describe(layers),
		Version:      Versions(layers),
		Scheme:       "xyz",
		Tiles:        []string{tileURL},
		VectorLayers: r.vectorLayers(layers),
		MinZoom:      0,
		MaxZoom:      int(r.opts.MaxZoom),
		Bounds:       [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
		Center:       center,
	}
}

// Versions returns the versions of the layers joined by ".", e.g. "12.3" (nil snapshots left
// out), each followed by the date of its campaign classes when it carries them (12-20261206.3):
// the version of a tileset of those layers, which changes with every edit of any of them and,
// for parcels, every day.
// Tile URLs that carry it (?v=12.3) name tiles that never change, so caches may keep them long.
func Versions(layers []*spatial.Snapshot) string {
	var b []byte
	for _, s := range layers {
		if s == nil {
			continue
		}
		if len(b) > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendUint(b, s.Layer.Version, 10)
		if c := s.Classes(); c != nil { // classes change with the date, not the version
			b = append(b, '-')
			b = append(b, strings.ReplaceAll(c.Date, "-", "")...)
		}
	}
	return string(b)
}

func describe(layers []*spatial.Snapshot) string {
	titles := make([]string, 0, len(layers))
	for _, s := range layers {
		if s.Layer.Title != "" {
			titles = append(titles, s.Layer.Title)
		}
	}
	return strings.Join(titles, ", ")
}

func (r *Renderer) vectorLayers(layers []*spatial.Snapshot) []VectorLayer {
	out := make([]VectorLayer, 0, len(layers))
	for _, s := range layers {
		fields := map[string]string{}
		for _, f := range r.Fields(s) {
			fields[f.Name] = f.Type
		}
		out = append(out, VectorLayer{
			ID:          s.Layer.ID,
			Description: s.Layer.Title,
			MinZoom:     0,
			MaxZoom:     int(r.opts.MaxZoom),
			Fields:      fields,
		})
	}
	return out
}

// boundsCenter returns the union of the layers' bounds and a centre with a zoom at which the
// bounds fill about a tile.
func boundsCenter(layers []*spatial.Snapshot, maxZoom Zoom) (orb.Bound, [3]float64) {
	var b orb.Bound
	empty := true
	for _, s := range layers {
		if s.Len() == 0 {
			continue
		}
		if empty {
			b, empty = s.Layer.Bound, false
		} else {
			b = b.Union(s.Layer.Bound)
		}
	}
	if empty {
		b = orb.Bound{Min: orb.Point{-180, -MaxLatitude}, Max: orb.Point{180, MaxLatitude}}
	}
	c := b.Center()
	w := max(b.Max[0]-b.Min[0], 1e-9)
	z := math.Floor(math.Log2(360 / w))
	z = max(0, min(z, float64(maxZoom)))
	round := func(v float64) float64 { return math.Round(v*1e7) / 1e7 }
	return b, [3]float64{round(c[0]), round(c[1]), z}
}

// Metadata is the tippecanoe-style metadata.json of a directory tileset ({z}/{x}/{y}.pbf), the
// file GDAL's MVT driver and other MBTiles-minded readers look for. As in an MBTiles metadata
// table every value is a string; Json holds {"vector_layers":[…],"tilestats":{…}}.
type Metadata struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     string `json:"version"`
	MinZoom     string `json:"minzoom"`
	MaxZoom     string `json:"maxzoom"`
	Center      string `json:"center"` // "lon,lat,zoom"
	Bounds      string `json:"bounds"` // "west,south,east,north"
	Type        string `json:"type"`   // "overlay"
	Format      string `json:"format"` // "pbf"
	Generator   string `json:"generator"`
	JSON        string `json:"json"`
}

// Metadata returns the metadata.json of a tileset of the given layers named name.
func (r *Renderer) Metadata(layers []*spatial.Snapshot, name string) Metadata {
	layers = nonNil(layers)
	tj := r.TileJSON(layers, "")
	type attrStat struct {
		Attribute string `json:"attribute"`
		Type      string `json:"type"` // "string" | "number" | "boolean"
	}
	type layerStat struct {
		Layer          string     `json:"layer"`
		Count          int        `json:"count"`
		Geometry       string     `json:"geometry"`
		AttributeCount int        `json:"attributeCount"`
		Attributes     []attrStat `json:"attributes"`
	}
	type tileStats struct {
		LayerCount int         `json:"layerCount"`
		Layers     []layerStat `json:"layers"`
	}
	stats := tileStats{LayerCount: len(layers)}
	for _, s := range layers {
		ls := layerStat{Layer: s.Layer.ID, Count: s.Len(), Geometry: "Polygon"}
		for _, f := range r.Fields(s) {
			ls.Attributes = append(ls.Attributes, attrStat{f.Name, strings.ToLower(f.Type)})
		}
		ls.AttributeCount = len(ls.Attributes)
		stats.Layers = append(stats.Layers, ls)
	}
	inner, _ := json.Marshal(struct {
		VectorLayers []VectorLayer `json:"vector_layers"`
		TileStats    tileStats     `json:"tilestats"`
	}{tj.VectorLayers, stats}) // plain structs: cannot fail
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return Metadata{
		Name:        name,
		Description: tj.Description,
		Version:     "2",
		MinZoom:     strconv.Itoa(tj.MinZoom),
		MaxZoom:     strconv.Itoa(tj.MaxZoom),
		Center:      f(tj.Center[0]) + "," + f(tj.Center[1]) + "," + f(tj.Center[2]),
		Bounds:      f(tj.Bounds[0]) + "," + f(tj.Bounds[1]) + "," + f(tj.Bounds[2]) + "," + f(tj.Bounds[3]),
		Type:        "overlay",
		Format:      "pbf",
		Generator:   "mudi",
		JSON:        string(inner),
	}
}

// nonNil returns layers without nil snapshots (a copy only when there are some).
func nonNil(layers []*spatial.Snapshot) []*spatial.Snapshot {
	if !slices.Contains(layers, nil) {
		return layers
	}
	out := make([]*spatial.Snapshot, 0, len(layers))
	for _, s := range layers {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}
