package tiles

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

func TestTileJSON(t *testing.T) {
	layers := goldenLayers()
	r := newTestRenderer(t, Options{})
	tj := r.TileJSON(layers, "https://example.org/tiles/parcels,control-lines/{z}/{x}/{y}.mvt")
	b, err := json.Marshal(tj)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tilejson", "tiles", "vector_layers", "bounds", "center", "minzoom", "maxzoom"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("TileJSON lacks %q", k)
		}
	}
	if tj.TileJSON != "3.0.0" || tj.MinZoom != 0 || tj.MaxZoom != DefaultMaxZoom || tj.Scheme != "xyz" {
		t.Errorf("header %+v", tj)
	}
	if tj.Version != "3.1" {
		t.Errorf("version %q, want the layer versions 3.1", tj.Version)
	}
	b0 := layers[0].Layer.Bound.Union(layers[1].Layer.Bound)
	if tj.Bounds != [4]float64{b0.Min[0], b0.Min[1], b0.Max[0], b0.Max[1]} {
		t.Errorf("bounds %v, want %v", tj.Bounds, b0)
	}
	if !b0.Contains(orb.Point{tj.Center[0], tj.Center[1]}) || tj.Center[2] < 10 || tj.Center[2] > 18 {
		t.Errorf("center %v", tj.Center)
	}
	want := map[string]map[string]string{
		"parcels": {
			"DKBH": TypeString, "QLR": TypeString, "WWLX": TypeString, "SFDX": TypeString, "MJSS": TypeNumber,
			"area_mu": TypeNumber, "control_position": TypeString, "outside_ratio": TypeNumber, "outside_mu": TypeNumber,
			"block_id": TypeNumber, "block_mu": TypeNumber, "scattered": TypeBoolean,
		},
		"control-lines": {"KZXLX": TypeString, "area_mu": TypeNumber},
	}
	for _, vl := range tj.VectorLayers {
		w := want[vl.ID]
		for k, v := range w {
			if vl.Fields[k] != v {
				t.Errorf("layer %s field %s: %q, want %q", vl.ID, k, vl.Fields[k], v)
			}
		}
		if len(vl.Fields) != len(w) {
			t.Errorf("layer %s fields %v, want %v", vl.ID, vl.Fields, w)
		}
		if vl.MinZoom != 0 || vl.MaxZoom != DefaultMaxZoom {
			t.Errorf("layer %s zooms %d–%d", vl.ID, vl.MinZoom, vl.MaxZoom)
		}
	}
	// An empty tileset has world bounds and still valid JSON.
	empty := r.TileJSON([]*spatial.Snapshot{layerOf("empty")}, "u")
	if empty.Bounds[0] != -180 || empty.Bounds[2] != 180 || len(empty.VectorLayers[0].Fields) != 1 {
		t.Errorf("empty layer TileJSON %+v", empty)
	}
}

func TestMetadataForGDAL(t *testing.T) {
	layers := goldenLayers()
	r := newTestRenderer(t, Options{MaxZoom: 16})
	m := r.Metadata(layers, "mudi")
	if m.Format != "pbf" || m.MinZoom != "0" || m.MaxZoom != "16" || m.Name != "mudi" {
		t.Errorf("metadata %+v", m)
	}
	bounds := strings.Split(m.Bounds, ",")
	center := strings.Split(m.Center, ",")
	if len(bounds) != 4 || len(center) != 3 {
		t.Fatalf("bounds %q center %q", m.Bounds, m.Center)
	}
	for _, s := range append(bounds, center...) {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			t.Errorf("not a number: %q", s)
		}
	}
	var inner struct {
		VectorLayers []VectorLayer `json:"vector_layers"`
		TileStats    struct {
			LayerCount int `json:"layerCount"`
			Layers     []struct {
				Layer    string `json:"layer"`
				Count    int    `json:"count"`
				Geometry string `json:"geometry"`
			} `json:"layers"`
		} `json:"tilestats"`
	}
	if err := json.Unmarshal([]byte(m.JSON), &inner); err != nil {
		t.Fatalf("json member: %v", err)
	}
	if len(inner.VectorLayers) != 2 || inner.VectorLayers[0].Fields["QLR"] != TypeString {
		t.Errorf("vector_layers %+v", inner.VectorLayers)
	}
	if inner.TileStats.LayerCount != 2 || inner.TileStats.Layers[0].Count != 4 || inner.TileStats.Layers[0].Geometry != "Polygon" {
		t.Errorf("tilestats %+v", inner.TileStats)
	}
}

func TestStyle(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 20})
	blocks := layerOf("blocks")
	blocks.Layer.Kind = spatial.KindDerived
	b, err := Style("默认", []*spatial.Snapshot{cty.parcels, cty.control, blocks}, "/tiles/parcels,control-lines,blocks.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Version int            `json:"version"`
		Name    string         `json:"name"`
		Glyphs  string         `json:"glyphs"`
		Sources map[string]any `json:"sources"`
		Layers  []struct {
			ID          string         `json:"id"`
			Type        string         `json:"type"`
			Source      string         `json:"source"`
			SourceLayer string         `json:"source-layer"`
			Filter      []any          `json:"filter"`
			Paint       map[string]any `json:"paint"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Version != 8 || s.Name != "默认" || s.Glyphs != "" {
		t.Errorf("header: version %d name %q glyphs %q", s.Version, s.Name, s.Glyphs)
	}
	src, _ := s.Sources[StyleSource].(map[string]any)
	if src["type"] != "vector" || src["url"] != "/tiles/parcels,control-lines,blocks.json" {
		t.Errorf("source %v", s.Sources)
	}
	var ids []string
	for i, l := range s.Layers {
		ids = append(ids, l.ID)
		if l.Type == "symbol" {
			t.Errorf("layer %s: text layers need glyphs", l.ID)
		}
		if i > 0 && (l.Source != StyleSource || l.SourceLayer == "") {
			t.Errorf("layer %s: source %q/%q", l.ID, l.Source, l.SourceLayer)
		}
	}
	want := []string{"background", "parcels-idle", "parcels-five-wei", "parcels-low-efficiency", "parcels-efficient", "blocks-fill", "parcels-outline", "control-lines-line",
		"parcels-outside", "parcels-straddling", "blocks-outline"}
	if !slices.Equal(ids, want) {
		t.Errorf("layers %v, want %v", ids, want)
	}
	if !strings.Contains(string(b), `"SFXZ"`) || !strings.Contains(string(b), `"WWLX"`) || !strings.Contains(string(b), `"line-dasharray"`) {
		t.Error("style lacks status colouring or dashed control lines")
	}
}

func TestDetailZoomLimitsParcelAttributes(t *testing.T) {
	layers := goldenLayers()
	tests := []struct {
		name string
		opts Options
		z    Zoom
		want []string // source attributes of parcel 2
	}{
		{"below DetailZoom parcels carry class fields only", Options{}, 13, []string{"SFDX", "WWLX"}},
		{"at DetailZoom they carry the style selection", Options{}, 14, []string{"DKBH", "QLR", "SFDX", "WWLX"}},
		{"DetailZoom is configurable", Options{DetailZoom: 12}, 13, []string{"DKBH", "QLR", "SFDX", "WWLX"}},
		{"custom class fields", Options{ClassFields: []string{"QLR"}}, 12, []string{"QLR"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRenderer(t, tc.opts)
			tile := render(t, r, CoordAt(orb.Point{118.8722, 28.9503}, tc.z), layers...)
			var got []string
			for _, f := range tile.layer("parcels").Features {
				if f.ID != 2 {
					continue
				}
				for k := range f.Props {
					if !isDerivedProp(k) {
						got = append(got, k)
					}
				}
				if _, ok := f.Props[PropAreaMu]; !ok {
					t.Error("derived attributes missing")
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("attributes %v, want %v", got, tc.want)
			}
			if ctl := tile.layer("control-lines"); ctl == nil || ctl.Features[0].Props["KZXLX"] != "工业用地控制线" {
				t.Error("control layers carry their whole schema at every zoom")
			}
		})
	}
}

func TestNewRendererOptions(t *testing.T) {
	r := newTestRenderer(t, Options{})
	o := r.Options()
	if o.Extent != 4096 || o.Buffer != 64 || o.KeepAllZoom != 12 || o.DetailZoom != 14 || o.MaxTileBytes != 500_000 || o.MinPixelArea != 1 || len(o.StyleFields) == 0 {
		t.Errorf("defaults %+v", o)
	}
	for _, bad := range []Options{{Extent: 1 << 21}, {Buffer: 5000}, {MaxZoom: 30}} {
		if _, err := NewRenderer(bad); err == nil {
			t.Errorf("NewRenderer(%+v) accepted", bad)
		}
	}
	a := r.Area(testTile)
	b := testTile.Bound()
	pad := (b.Max[0] - b.Min[0]) * 64 / 4096
	if math.Abs(a.Min[0]-(b.Min[0]-pad)) > 1e-8 || math.Abs(a.Max[0]-(b.Max[0]+pad)) > 1e-8 || !a.Contains(b.Min) {
		t.Errorf("Area %v for tile bound %v", a, b)
	}
}
