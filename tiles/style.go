package tiles

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/mudi-gis/mudi/spatial"
)

// Colours of the default style, by parcel status (docs/domain.md §3).
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
//   - parcels layers filled by status: 闲置 idle, 五未, low-efficiency, others efficient, with thin
//     outlines; parcels outside the control line outlined in red, straddling ones dashed red;
//   - control layers as dashed blue outlines;
//   - derived layers (blocks, analysis results) as translucent fills with a thick outline.
//
// name is the style's name. The result is also usable as a QGIS "style URL".
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
			fills = append(fills, layer("fill", "fill", obj{
				"fill-color":   statusColor(&s.Layer),
				"fill-opacity": 0.75,
			}))
			lines = append(lines, layer("outline", "line", obj{
				"line-color": "#5d4037", "line-opacity": 0.6, "line-width": zoomRamp(0.1, 1),
			}))
			outside := layer("outside", "line", obj{"line-color": ColorOutside, "line-width": zoomRamp(1, 2.5)})
			outside["filter"] = []any{"==", []any{"get", PropControlPosition}, string(spatial.Outside)}
			straddling := layer("straddling", "line", obj{
				"line-color": ColorOutside, "line-width": zoomRamp(1, 2), "line-dasharray": []float64{2, 1},
			})
			straddling["filter"] = []any{"==", []any{"get", PropControlPosition}, string(spatial.Straddling)}
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

// statusColor returns the fill-color expression for a parcels layer.
func statusColor(l *spatial.Layer) []any {
	set := func(field string) []any { // the attribute is present and not empty
		return []any{">", []any{"length", []any{"to-string", []any{"get", field}}}, 0}
	}
	is := func(field, v string) []any { return []any{"==", []any{"get", field}, v} }
	idle := []any{"any", is("SFXZ", "是")}
	five := []any{"any", set("WWLX")}
	low := []any{"any", is("SFDX", "是"), is("MJDJ", "D"), set("DXLX")}
	if f, ok := l.Role("status"); ok && !slices.Contains([]string{"SFXZ", "WWLX", "SFDX", "DXLX", "MJDJ"}, f) {
		in := func(vals []string) []any {
			return []any{"in", []any{"to-string", []any{"get", f}}, []any{"literal", vals}}
		}
		idle = append(idle, in(idleStatus))
		five = append(five, in(fiveWei))
		low = append(low, in(lowStatus))
	}
	return []any{"case", idle, ColorIdle, five, ColorFiveWei, low, ColorLowEfficiency, ColorEfficient}
}
