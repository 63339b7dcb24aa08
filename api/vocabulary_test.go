package api

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
)

// TestComputedAttributesAreTheSameEverywhere checks that every computed attribute has the same
// name, type and Chinese label in the layer document, a feature's GeoJSON, the OGC queryables,
// the TileJSON, and the GeoPackage, Shapefile and CSV exports — the one vocabulary of
// spatial.Computed — and the hand-written expectations below pin that vocabulary down.
func TestComputedAttributesAreTheSameEverywhere(t *testing.T) {
	want := []struct{ name, typ, alias string }{
		{"area_m2", "real", "面积(平方米)"},
		{"area_mu", "real", "面积(亩)"},
		{"control_position", "string", "与控制线关系"},
		{"outside_ratio", "real", "线外比例"},
		{"outside_mu", "real", "线外面积(亩)"},
		{"block_id", "integer", "连片区块编号"},
		{"block_mu", "real", "连片区块面积(亩)"},
		{"scattered", "boolean", "零星地块"},
		{"start_due", "date", "应动工日期"},
		{"idle_class", "string", "闲置状态"},
		{"idle_since", "date", "闲置起算日期"},
		{"idle_years", "integer", "闲置年数"},
		{"idle_fee_wan", "real", "闲置费(万元)"},
		{"may_reclaim", "boolean", "可无偿收回"},
		{"wuwei", "string", "五未类型(计算)"},
		{"mu_tax", "real", "亩均税收(计算)"},
		{"mu_class", "string", "亩均等级(计算)"},
		{"warning", "string", "预警等级(计算)"},
		{"idle_reason", "string", "闲置未定原因"},
		{"wuwei_reason", "string", "五未未定原因"},
		{"mu_tax_reason", "string", "亩均未定原因"},
		{"warning_reason", "string", "预警未定原因"},
	}
	// The attributes tiles carry: all but area_m2 and the classes that are dates, amounts
	// or reasons.
	inTiles := map[string]bool{"area_mu": true, "control_position": true, "outside_ratio": true, "outside_mu": true,
		"block_id": true, "block_mu": true, "scattered": true, "idle_class": true, "wuwei": true, "mu_class": true, "warning": true}
	if len(want) != len(spatial.Computed) {
		t.Fatalf("spatial.Computed has %d attributes, the test knows %d", len(spatial.Computed), len(want))
	}
	ts := newSampleServer(t)

	// The layer document.
	computed := ts.get("/api/layers/parcels").json(t)["computed"].([]any)
	for i, w := range want {
		got := computed[i].(map[string]any)
		if got["name"] != w.name || got["type"] != w.typ || got["alias"] != w.alias {
			t.Errorf("layer document: computed[%d] = %v, want %v", i, got, w)
		}
	}

	// A feature: every computed attribute present with its JSON type (classes may be null).
	props := ts.get("/api/layers/parcels/features/1").json(t)["properties"].(map[string]any)
	jsonType := map[string]func(any) bool{
		"real":    func(v any) bool { _, ok := v.(float64); return ok },
		"integer": func(v any) bool { f, ok := v.(float64); return ok && f == float64(int64(f)) },
		"string":  func(v any) bool { _, ok := v.(string); return ok },
		"date":    func(v any) bool { s, ok := v.(string); return ok && len(s) == 10 },
		"boolean": func(v any) bool { _, ok := v.(bool); return ok },
	}
	for i, w := range want {
		v, ok := props[w.name]
		if !ok || (!jsonType[w.typ](v) && !(i >= 8 && v == nil)) {
			t.Errorf("feature 1: %s = %#v, want a %s", w.name, v, w.typ)
		}
	}

	// OGC queryables.
	schemaType := map[string]string{"real": "number", "integer": "integer", "string": "string", "date": "string", "boolean": "boolean"}
	qs := ts.get("/ogc/collections/parcels/queryables").json(t)["properties"].(map[string]any)
	for _, w := range want {
		q, _ := qs[w.name].(map[string]any)
		if q == nil || q["type"] != schemaType[w.typ] || q["title"] != w.alias {
			t.Errorf("queryable %s = %v, want type %s, title %s", w.name, q, schemaType[w.typ], w.alias)
		}
	}

	// TileJSON: the attributes tiles carry (all but area_m2), with their MVT types.
	tileType := map[string]string{"real": "Number", "integer": "Number", "string": "String", "boolean": "Boolean"}
	fields := ts.get("/tiles/parcels.json").json(t)["vector_layers"].([]any)[0].(map[string]any)["fields"].(map[string]any)
	for _, w := range want {
		got, ok := fields[w.name]
		if !inTiles[w.name] {
			if ok {
				t.Errorf("TileJSON lists %s, which tiles do not carry", w.name)
			}
			continue
		}
		if got != tileType[w.typ] {
			t.Errorf("TileJSON field %s = %v, want %s", w.name, got, tileType[w.typ])
		}
	}

	// Shapefile: fields.csv maps each dBASE name to the attribute, its type and label.
	shp := ts.get("/api/layers/parcels/export?format=shp")
	zr, err := zip.NewReader(bytes.NewReader(shp.body), int64(len(shp.body)))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, f := range zr.File {
		if f.Name != "fields.csv" {
			continue
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			rows[r[1]] = r
		}
	}
	short := map[string]string{"control_position": "CTRL_POS", "outside_ratio": "OUT_RATIO", "start_due": "START_DUE",
		"idle_class": "IDLE_CLS", "idle_since": "IDLE_SINCE", "idle_years": "IDLE_YRS", "idle_fee_wan": "IDLE_FEE", "may_reclaim": "RECLAIM",
		"wuwei": "WUWEI", "mu_tax": "MU_TAX", "mu_class": "MU_CLASS", "warning": "WARNING", "idle_reason": "IDLE_WHY",
		"wuwei_reason": "WUWEI_WHY", "mu_tax_reason": "MUTAX_WHY", "warning_reason": "WARN_WHY"}
	for _, w := range want {
		r := rows[w.name]
		wantShort := w.name
		if s, ok := short[w.name]; ok {
			wantShort = s
		}
		if r == nil || r[0] != wantShort || r[2] != w.typ || r[3] != w.alias {
			t.Errorf("Shapefile fields.csv row for %s = %v, want %s,%s,%s,%s", w.name, r, wantShort, w.name, w.typ, w.alias)
		}
	}

	// CSV: a column per computed attribute.
	header, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(ts.get("/api/layers/parcels/export?format=csv").body, []byte("\uFEFF")))).Read()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(","+strings.Join(header, ",")+",", ","+w.name+",") {
			t.Errorf("CSV header lacks %s: %v", w.name, header)
		}
	}

	// GeoPackage, as GDAL reads it: a column per computed attribute with the right type.
	requireGDAL(t)
	gpkg := filepath.Join(t.TempDir(), "parcels.gpkg")
	if err := os.WriteFile(gpkg, ts.get("/api/layers/parcels/export?format=gpkg").body, 0o644); err != nil {
		t.Fatal(err)
	}
	info := runTool(t, "ogrinfo", "-ro", "-so", "-al", gpkg)
	gdalType := map[string]string{"real": "Real", "integer": "Integer64", "string": "String", "date": "Date", "boolean": `Integer\(Boolean\)`}
	for _, w := range want {
		if !regexp.MustCompile(`(?m)^` + w.name + `: ` + gdalType[w.typ]).MatchString(info) {
			t.Errorf("GeoPackage column %s is not %s:\n%s", w.name, gdalType[w.typ], info)
		}
	}
}
