package tiles

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
)

// styleCase is a parcel and the fill colour the default style must give it.
type styleCase struct {
	name  string
	attrs spatial.Attrs
	want  string
}

// TestStyleColoursWithMapLibreFilters evaluates the default style's fill filters with
// MapLibre's own filter code on hand-made parcels whose colours are written down here, and on a
// generated county against the analysis rule: every parcel is filled by exactly one layer, in
// its status colour; low-efficiency is exactly what analysis.IsLowEfficiency selects.
func TestStyleColoursWithMapLibreFilters(t *testing.T) {
	node := needNode(t)
	fields := []spatial.Field{{Name: "DKBH"}, {Name: "SFXZ"}, {Name: "WWLX"}, {Name: "SFDX"}, {Name: "DXLX"}, {Name: "MJDJ"}}
	conventional := []styleCase{
		{"nothing set is efficient", spatial.Attrs{}, ColorEfficient},
		{"all 否 is efficient", spatial.Attrs{"SFXZ": "否", "SFDX": "否", "WWLX": nil, "DXLX": nil, "MJDJ": "A"}, ColorEfficient},
		{"idle", spatial.Attrs{"SFXZ": "是"}, ColorIdle},
		{"idle wins over five-wei and low", spatial.Attrs{"SFXZ": "是", "WWLX": "批而未供", "SFDX": "是"}, ColorIdle},
		{"five-wei", spatial.Attrs{"SFXZ": "否", "WWLX": "供而未用"}, ColorFiveWei},
		{"five-wei wins over low", spatial.Attrs{"WWLX": "建而未投", "DXLX": "容积率偏低"}, ColorFiveWei},
		{"WWLX 无 is not five-wei", spatial.Attrs{"WWLX": "无"}, ColorEfficient},
		{"WWLX 否 is not five-wei", spatial.Attrs{"WWLX": "否"}, ColorEfficient},
		{"WWLX blank is not five-wei", spatial.Attrs{"WWLX": ""}, ColorEfficient},
		{"SFDX 是 is low", spatial.Attrs{"SFDX": "是"}, ColorLowEfficiency},
		{"SFDX yes is low", spatial.Attrs{"SFDX": "yes"}, ColorLowEfficiency},
		{"SFDX Y is low", spatial.Attrs{"SFDX": "Y"}, ColorLowEfficiency},
		{"SFDX 1 is low", spatial.Attrs{"SFDX": "1"}, ColorLowEfficiency},
		{"SFDX number 1 is low", spatial.Attrs{"SFDX": int64(1)}, ColorLowEfficiency},
		{"SFDX 否 is not low", spatial.Attrs{"SFDX": "否"}, ColorEfficient},
		{"SFDX number 0 is not low", spatial.Attrs{"SFDX": int64(0)}, ColorEfficient},
		{"DXLX set is low", spatial.Attrs{"DXLX": "亩均效益低下"}, ColorLowEfficiency},
		{"DXLX 无 is not low", spatial.Attrs{"DXLX": "无"}, ColorEfficient},
		{"DXLX 否 is not low", spatial.Attrs{"DXLX": "否"}, ColorEfficient},
		{"DXLX ' 无 ' is not low", spatial.Attrs{"DXLX": " 无 "}, ColorEfficient},
		{"DXLX blank is not low", spatial.Attrs{"DXLX": " "}, ColorEfficient},
		{"MJDJ D is low", spatial.Attrs{"MJDJ": "D"}, ColorLowEfficiency},
		{"MJDJ d is low", spatial.Attrs{"MJDJ": "d"}, ColorLowEfficiency},
		{"MJDJ C is not low", spatial.Attrs{"MJDJ": "C"}, ColorEfficient},
		{"SFXZ 否 with DXLX 无 and MJDJ D is low", spatial.Attrs{"SFXZ": "否", "DXLX": "无", "MJDJ": "D"}, ColorLowEfficiency},
	}
	// Values the layer did not hold when its style was made (an edit since): the rules' own
	// spellings still decide.
	unseen := []styleCase{
		{"SFDX True after an edit is low", spatial.Attrs{"SFDX": "True"}, ColorLowEfficiency},
		{"SFDX y after an edit is low", spatial.Attrs{"SFDX": "y"}, ColorLowEfficiency},
		{"a new DXLX type after an edit is low", spatial.Attrs{"DXLX": "其他"}, ColorLowEfficiency},
		{"a new WWLX type after an edit is five-wei", spatial.Attrs{"WWLX": "其他"}, ColorFiveWei},
		{"SFXZ 否 after an edit is efficient", spatial.Attrs{"SFXZ": "否"}, ColorEfficient},
	}
	statusFields := []spatial.Field{{Name: "DKBH"}, {Name: "状态"}}
	statusRole := []styleCase{
		{"status 闲置 is idle", spatial.Attrs{"状态": "闲置"}, ColorIdle},
		{"status 批而未供 is five-wei", spatial.Attrs{"状态": "批而未供"}, ColorFiveWei},
		{"status 低效用地 is low", spatial.Attrs{"状态": "低效用地"}, ColorLowEfficiency},
		{"status 正常 is efficient", spatial.Attrs{"状态": "正常"}, ColorEfficient},
		{"no status is efficient", spatial.Attrs{}, ColorEfficient},
	}
	layerOfCases := func(id string, fields []spatial.Field, roles map[string]string, cases []styleCase) *spatial.Snapshot {
		var fs []*spatial.Feature
		for i, c := range cases {
			x := 118.87 + float64(i)*0.001
			g := orb.Polygon{orb.Ring{{x, 28.9}, {x + 0.0005, 28.9}, {x + 0.0005, 28.9005}, {x, 28.9}}}
			fs = append(fs, &spatial.Feature{ID: spatial.FeatureID(i + 1), Geometry: g, Attrs: c.attrs.Record()})
		}
		return spatial.NewSnapshot(spatial.Layer{ID: id, Kind: spatial.KindParcels, Version: 1, Fields: fields, Roles: roles}, fs)
	}
	a := layerOfCases("conventional", fields, spatial.DetectRoles(fields), conventional)
	b := layerOfCases("status-role", statusFields, map[string]string{"status": "状态"}, statusRole)

	cty := genCounty(t, countyOptions{Parcels: 400})
	var countyCases []styleCase
	for _, f := range cty.parcels.Features() {
		want := ColorEfficient
		switch {
		case f.Attrs.Value("SFXZ") == "是":
			want = ColorIdle
		case analysis.SetTerm("WWLX").Holds(f.Attrs.Value("WWLX")):
			want = ColorFiveWei
		case analysis.IsLowEfficiency(&cty.parcels.Layer, f):
			want = ColorLowEfficiency
		}
		countyCases = append(countyCases, styleCase{"county parcel", f.Attrs.Map(), want})
	}
	classes := map[string]int{}
	for _, c := range countyCases {
		classes[c.want]++
	}
	if len(classes) != 4 {
		t.Fatalf("the generated county has parcels of %d status colours, want all 4: %v", len(classes), classes)
	}

	style, err := Style("mudi", []*spatial.Snapshot{a, b, cty.parcels}, "http://localhost/tiles/x.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	input := map[string][]map[string]any{}
	for _, l := range []struct {
		id    string
		cases []styleCase
	}{{"conventional", append(conventional, unseen...)}, {"status-role", statusRole}, {cty.parcels.Layer.ID, countyCases}} {
		for i, c := range l.cases {
			props := map[string]any{}
			for k, v := range c.attrs {
				if v != nil { // tiles leave out null attributes
					props[k] = v
				}
			}
			input[l.id] = append(input[l.id], map[string]any{"id": i + 1, "properties": props})
		}
	}
	stylePath, inputPath := filepath.Join(dir, "style.json"), filepath.Join(dir, "features.json")
	inputJSON, _ := json.Marshal(input)
	if err := os.WriteFile(stylePath, style, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inputPath, inputJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, filepath.Join(clientDir, "filter.mjs"), stylePath, inputPath).CombinedOutput()
	if err != nil {
		t.Fatalf("filter.mjs: %v\n%s", err, out)
	}
	var got map[string][]struct {
		ID    int
		Fills []struct{ ID, Color string }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("filter.mjs output: %v\n%s", err, out)
	}
	for _, l := range []struct {
		id    string
		cases []styleCase
	}{{"conventional", append(conventional, unseen...)}, {"status-role", statusRole}, {cty.parcels.Layer.ID, countyCases}} {
		for i, c := range l.cases {
			g := got[l.id][i]
			if len(g.Fills) != 1 || g.Fills[0].Color != c.want {
				t.Errorf("%s %d (%s, %v): filled by %+v, want exactly one fill of %s", l.id, i+1, c.name, c.attrs, g.Fills, c.want)
			}
		}
	}
}

// TestStyleUsesOnlyWhatOlderQGISConverts checks the default style against what QGIS 3.22's
// MapLibre style converter understands, which the QGIS tests cannot run (they have 3.40): in
// filters only the legacy forms all, any, none, has, in, !in and == on a property name with
// string or number values; fill colours and opacities constant (3.22 reads no case, match or
// step in a colour; it skips the layer's fill otherwise); widths only as zoom interpolations.
func TestStyleUsesOnlyWhatOlderQGISConverts(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 300})
	derived := layerOf("blocks")
	derived.Layer.Kind = spatial.KindDerived
	statusRole := spatial.NewSnapshot(spatial.Layer{ID: "parcels-2024", Kind: spatial.KindParcels,
		Roles: map[string]string{"status": "状态"}}, nil)
	b, err := Style("mudi", []*spatial.Snapshot{cty.parcels, cty.control, derived, statusRole}, "http://localhost/tiles/x.json")
	if err != nil {
		t.Fatal(err)
	}
	var style struct {
		Layers []struct {
			ID     string         `json:"id"`
			Type   string         `json:"type"`
			Filter []any          `json:"filter"`
			Paint  map[string]any `json:"paint"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(b, &style); err != nil {
		t.Fatal(err)
	}
	var checkFilter func(id string, f []any)
	checkFilter = func(id string, f []any) {
		op, _ := f[0].(string)
		switch op {
		case "all", "any", "none":
			if len(f) < 2 {
				t.Errorf("%s: %s of nothing", id, op)
			}
			for _, x := range f[1:] {
				sub, ok := x.([]any)
				if !ok {
					t.Errorf("%s: %s holds %v", id, op, x)
					continue
				}
				checkFilter(id, sub)
			}
		case "has", "in", "!in", "==":
			if _, ok := f[1].(string); !ok {
				t.Errorf("%s: %s on %v, not a property name", id, op, f[1])
			}
			if op == "has" && len(f) != 2 || op == "==" && len(f) != 3 {
				t.Errorf("%s: %v", id, f)
			}
			for _, v := range f[2:] {
				switch v.(type) {
				case string, float64:
				default:
					t.Errorf("%s: %s with the value %#v (only strings and numbers convert)", id, op, v)
				}
			}
		default:
			t.Errorf("%s: filter operator %q", id, op)
		}
	}
	fills := 0
	for _, l := range style.Layers {
		if l.Filter != nil {
			checkFilter(l.ID, l.Filter)
		}
		for k, v := range l.Paint {
			switch k {
			case "fill-color", "line-color", "background-color":
				if _, ok := v.(string); !ok {
					t.Errorf("%s: %s is %v, not a constant colour", l.ID, k, v)
				}
			case "fill-opacity", "line-opacity":
				if _, ok := v.(float64); !ok {
					t.Errorf("%s: %s is %v, not a constant", l.ID, k, v)
				}
			case "line-width":
				if e, ok := v.([]any); !ok || e[0] != "interpolate" {
					t.Errorf("%s: line-width %v", l.ID, v)
				}
			}
		}
		if l.Type == "fill" {
			fills++
		}
	}
	if fills != 4+1+4 {
		t.Errorf("%d fill layers, want 4 per parcels layer and 1 per derived layer", fills)
	}
}
