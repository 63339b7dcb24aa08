package tiles

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
)

// Colours of the default style, by parcel status (low efficiency: docs/domain.md §3).
const (
	ColorBackground    = "#f4f1ea"
	ColorIdle          = "#7b1fa2" // 闲置 (SFXZ = 是)
	ColorFiveWei       = "#ef6c00" // 五未 (WWLX set)
	ColorLowEfficiency = "#fbc02d" // 低效 (SFDX = 是, DXLX set or MJDJ = D)
	ColorEfficient     = "#43a047" // others
	ColorOutside       = "#d50000" // outline of parcels outside / straddling the control line
	ColorControl       = "#1565c0" // control lines
	ColorBlock         = "#e64a19" // derived layers (blocks, analysis results)
)

// StyleSource is the name of the vector source in the style returned by [Style].
const StyleSource = "mudi"

// Status values of a layer's "status" role field that the default style recognises, besides
// the conventional SFXZ/WWLX/SFDX/DXLX/MJDJ codes.
var (
	idleStatus = []string{"闲置", "闲置土地", "idle"}
	fiveWei    = []string{"批而未供", "供而未用", "用而未尽", "建而未投", "投而未达标", "五未"}
	lowStatus  = []string{"低效", "低效用地", "low", "low-efficiency", "inefficient"}
)

// Style returns the default MapLibre style (style specification v8) for the given layers,
// served as one vector source whose TileJSON is at tileJSONURL (e.g.
// "https://host/tiles/parcels,control-lines.json"):
//
//   - a plain background (no external basemap, no glyphs or sprites, so it works offline);
//   - parcels layers filled by status, one style layer per class with a filter and a constant
//     colour ([StatusClasses]): 闲置 idle, 五未, low-efficiency, others efficient, with thin
//     outlines; parcels outside the control line outlined in red, straddling ones dashed red;
//   - control layers as dashed blue outlines;
//   - derived layers (blocks, analysis results) as translucent fills with a thick outline.
//
// Filters use only the filter forms every MapLibre renderer and QGIS's MapLibre style converter
// (3.22 as well as 3.40) understand: all, any, none, has, in and !in on a property name. They
// name the values that decide each test, taken from the rules' own value lists and from the
// distinct values of the layer's features, so that the colours follow the rules exactly for
// the data the style is made for (see [StatusClasses]). name is the style's name. The result
// is also usable as a QGIS "style URL".
func Style(name string, layers []*spatial.Snapshot, tileJSONURL string) ([]byte, error) {
	type obj = map[string]any
	out := []any{obj{
		"id": "background", "type": "background",
		"paint": obj{"background-color": ColorBackground},
	}}
	var fills, lines, tops []any
	for _, s := range nonNil(layers) {
		id := s.Layer.ID
		layer := func(suffix, typ string, paint obj) obj {
			return obj{"id": id + "-" + suffix, "type": typ, "source": StyleSource, "source-layer": id, "paint": paint}
		}
		switch s.Layer.Kind {
		case spatial.KindControl:
			lines = append(lines, layer("line", "line", obj{
				"line-color":     ColorControl,
				"line-width":     zoomRamp(1, 2.5),
				"line-dasharray": []float64{4, 2},
			}))
		case spatial.KindDerived:
			fills = append(fills, layer("fill", "fill", obj{
				"fill-color": ColorBlock, "fill-opacity": 0.25,
			}))
			tops = append(tops, layer("outline", "line", obj{
				"line-color": ColorBlock, "line-width": zoomRamp(1.5, 3),
			}))
		default: // parcels
			for _, c := range statusFills(s) {
				l := layer(c.suffix, "fill", obj{"fill-color": c.color, "fill-opacity": 0.75})
				if c.filter != nil {
					l["filter"] = c.filter
				}
				fills = append(fills, l)
			}
			lines = append(lines, layer("outline", "line", obj{
				"line-color": "#5d4037", "line-opacity": 0.6, "line-width": zoomRamp(0.1, 1),
			}))
			outside := layer("outside", "line", obj{"line-color": ColorOutside, "line-width": zoomRamp(1, 2.5)})
			outside["filter"] = []any{"==", PropControlPosition, string(spatial.Outside)}
			straddling := layer("straddling", "line", obj{
				"line-color": ColorOutside, "line-width": zoomRamp(1, 2), "line-dasharray": []float64{2, 1},
			})
			straddling["filter"] = []any{"==", PropControlPosition, string(spatial.Straddling)}
			tops = append(tops, outside, straddling)
		}
	}
	out = append(out, fills...)
	out = append(out, lines...)
	out = append(out, tops...)
	doc := obj{
		"version": 8,
		"name":    name,
		"sources": obj{StyleSource: obj{"type": "vector", "url": tileJSONURL}},
		"layers":  out,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep ">" readable: some style validators mis-read "\u003e"
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// zoomRamp interpolates a width linearly from a at zoom 10 to b at zoom 16.
func zoomRamp(a, b float64) []any {
	return []any{"interpolate", []any{"linear"}, []any{"zoom"}, 10, a, 16, b}
}

// StatusClass is a status class of the default style's parcels fill.
type StatusClass struct {
	Name  string // idle, five-wei, low-efficiency, efficient
	Color string
	// Terms select the class: a parcel is in the first class one of whose terms holds; the
	// last class, with no terms, takes the rest.
	Terms []analysis.Term
}

// StatusClasses returns the status classes of parcels layer l, in order of precedence:
//
//   - idle (闲置): the idle attribute (role idle, SFXZ) is yes;
//   - five-wei (五未): the five-wei attribute (role five_wei, WWLX) is set;
//   - low-efficiency (低效): the low-efficiency rule of [analysis.IsLowEfficiency] holds;
//   - efficient: all others.
//
// A value is yes or set as the analysis package defines it ([analysis.YesTerm],
// [analysis.SetTerm]): 无 and 否 are not set. When the layer's status role names a field other
// than these conventional codes, its values 闲置, the 五未 types and 低效 (and a few English
// synonyms) select the classes too.
func StatusClasses(l *spatial.Layer) []StatusClass {
	idle := StatusClass{Name: "idle", Color: ColorIdle}
	five := StatusClass{Name: "five-wei", Color: ColorFiveWei}
	low := StatusClass{Name: "low-efficiency", Color: ColorLowEfficiency, Terms: analysis.LowEfficiencyTerms(l)}
	if f, ok := styleField(l, spatial.RoleIdle, "SFXZ"); ok {
		idle.Terms = append(idle.Terms, analysis.YesTerm(f))
	}
	if f, ok := styleField(l, spatial.RoleFiveWei, "WWLX"); ok {
		five.Terms = append(five.Terms, analysis.SetTerm(f))
	}
	if f, ok := l.Role(spatial.RoleStatus); ok && !slices.Contains([]string{"SFXZ", "WWLX", "SFDX", "DXLX", "MJDJ"}, f) {
		in := func(vals []string) analysis.Term { return analysis.Term{Field: f, Kind: analysis.OneOf, Values: vals} }
		idle.Terms = append(idle.Terms, in(idleStatus))
		five.Terms = append(five.Terms, in(fiveWei))
		low.Terms = append(low.Terms, in(lowStatus))
	}
	return []StatusClass{idle, five, low, {Name: "efficient", Color: ColorEfficient}}
}

// styleField returns the field playing role in l, else the field named code (ignoring case);
// a layer without a schema is taken to have code.
func styleField(l *spatial.Layer, role, code string) (string, bool) {
	if f, ok := l.Role(role); ok {
		return f, true
	}
	if len(l.Fields) == 0 {
		return code, true
	}
	for _, f := range l.Fields {
		if strings.EqualFold(f.Name, code) {
			return f.Name, true
		}
	}
	return "", false
}

// statusFill is one fill layer of a parcels layer.
type statusFill struct {
	suffix string
	color  string
	filter []any // nil: every feature
}

// statusFills returns the fill layers of parcels snapshot s, one per status class that can
// hold a feature: each selects the features of its class and of no earlier one, so that every
// parcel is filled exactly once.
func statusFills(s *spatial.Snapshot) []statusFill {
	classes := StatusClasses(&s.Layer)
	observed := observedValues(s, classes)
	var out []statusFill
	var earlier []any // filters of the terms of the earlier classes
	for i, c := range classes {
		var mine []any
		for _, t := range c.Terms {
			mine = append(mine, termFilter(t, observed[t.Field]))
		}
		if len(mine) == 0 && i < len(classes)-1 {
			continue // no field of the layer tests this class: it holds no parcel
		}
		var filter []any
		switch {
		case len(mine) > 0 && len(earlier) > 0:
			filter = []any{"all", append([]any{"none"}, earlier...), append([]any{"any"}, mine...)}
		case len(mine) > 0:
			filter = append([]any{"any"}, mine...)
		case len(earlier) > 0:
			filter = append([]any{"none"}, earlier...)
		}
		out = append(out, statusFill{suffix: c.Name, color: c.Color, filter: filter})
		earlier = append(earlier, mine...)
	}
	return out
}

// observedValues returns the distinct values of the classes' fields over the features of s.
func observedValues(s *spatial.Snapshot, classes []StatusClass) map[string][]any {
	seen := map[string]map[any]bool{}
	for _, c := range classes {
		for _, t := range c.Terms {
			seen[t.Field] = map[any]bool{}
		}
	}
	for _, f := range s.Features() {
		for field, vals := range seen {
			if v, ok := f.Attrs.Get(field); ok && v != nil {
				vals[v] = true
			}
		}
	}
	out := make(map[string][]any, len(seen))
	for field, vals := range seen {
		list := make([]any, 0, len(vals))
		for v := range vals {
			list = append(list, v)
		}
		key := func(v any) string { return fmt.Sprintf("%T:%v", v, v) }
		slices.SortFunc(list, func(a, b any) int { return strings.Compare(key(a), key(b)) })
		out[field] = list
	}
	return out
}

// termFilter returns the legacy MapLibre filter that holds exactly where term t does, for the
// values of observed (the field's distinct values in the layer) and for every spelling of the
// term's own values: the field is present (tiles leave out null attributes) and is one of the
// values that pass (OneOf), or none of those that fail (NoneOf).
func termFilter(t analysis.Term, observed []any) []any {
	var cands []any
	add := func(v any) {
		if !slices.Contains(cands, v) {
			cands = append(cands, v)
		}
	}
	for _, v := range t.Values {
		add(v)
		add(strings.ToLower(v))
		if v != "" && v[0] < utf8.RuneSelf {
			add(strings.ToUpper(v[:1]) + strings.ToLower(v[1:])) // Yes, True
		}
	}
	add("")
	for _, v := range observed {
		switch v.(type) {
		case string, int64, float64, bool:
			add(v)
		}
	}
	op, decisive := "in", true // OneOf: name the values that pass
	if t.Kind == analysis.NoneOf {
		op, decisive = "!in", false // NoneOf: name the values that fail
	}
	out := []any{op, t.Field}
	for _, v := range cands {
		if t.Holds(v) == decisive {
			out = append(out, v)
		}
	}
	return []any{"all", []any{"has", t.Field}, out}
}
