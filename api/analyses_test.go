package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
)

type featureCollection struct {
	Features []struct {
		ID         uint64         `json:"id"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
	Summary struct {
		Kind        string         `json:"kind"`
		Count       int            `json:"count"`
		AreaMu      float64        `json:"area_mu"`
		ParcelCount int            `json:"parcel_count"`
		Params      map[string]any `json:"params"`
	} `json:"summary"`
}

func decodeFC(t *testing.T, r response) featureCollection {
	t.Helper()
	if r.status != 200 && r.status != 201 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var fc featureCollection
	if err := json.Unmarshal(r.body, &fc); err != nil {
		t.Fatal(err)
	}
	return fc
}

func TestImportComputesDerivedAttributes(t *testing.T) {
	ts := newSampleServer(t)
	positions := map[spatial.Position]int{}
	blocks := 0
	for _, f := range ts.index.Layer("parcels").Features() {
		positions[f.Derived.ControlPosition]++
		if f.Derived.BlockID != 0 {
			blocks++
		}
	}
	if positions[spatial.Inside] == 0 || positions[spatial.Outside] == 0 || positions[spatial.Straddling] == 0 || positions[""] != 0 {
		t.Errorf("control positions = %v", positions)
	}
	if blocks != ts.index.Layer("parcels").Len() {
		t.Errorf("%d parcels have a block", blocks)
	}
	props := ts.get("/api/layers/parcels/features/1").json(t)["properties"].(map[string]any)
	for _, k := range []string{"control_position", "outside_ratio", "outside_mu", "block_id", "block_mu", "scattered"} {
		if _, ok := props[k]; !ok {
			t.Errorf("feature 1 lacks %s: %v", k, props)
		}
	}
}

func TestPresets(t *testing.T) {
	ts := newSampleServer(t)
	parcels := ts.index.Layer("parcels")

	small := decodeFC(t, ts.get("/api/analyses/small-parcels?layer=parcels&max_mu=20"))
	want := 0
	for _, f := range parcels.Features() {
		if f.Derived.AreaMu < 20 {
			want++
		}
	}
	if small.Summary.Count != want || len(small.Features) != want || want == 0 {
		t.Errorf("small parcels: %d features, summary %d, brute force %d", len(small.Features), small.Summary.Count, want)
	}

	outside := decodeFC(t, ts.get("/api/analyses/outside-control?layer=parcels"))
	for _, f := range outside.Features {
		pos := f.Properties["control_position"]
		if pos != "outside" && pos != "straddling" {
			t.Fatalf("outside-control returned a %v parcel", pos)
		}
		p := parcels.Feature(spatial.FeatureID(f.ID))
		if math.Abs(f.Properties["outside_ratio"].(float64)-p.Derived.OutsideRatio) > 1e-12 {
			t.Errorf("parcel %d: outside_ratio %v, derived %v", f.ID, f.Properties["outside_ratio"], p.Derived.OutsideRatio)
		}
	}
	if len(outside.Features) == 0 {
		t.Error("no parcel outside the control line in the sample")
	}

	blocks := decodeFC(t, ts.get("/api/analyses/contiguous-blocks?layer=parcels&tolerance_m=20&min_mu=100"))
	if blocks.Summary.Kind != "blocks" || len(blocks.Features) == 0 {
		t.Fatalf("contiguous blocks: %+v", blocks.Summary)
	}
	for _, b := range blocks.Features {
		if b.Properties["area_mu"].(float64) < 100 || b.Properties["parcel_count"].(float64) != float64(len(b.Properties["parcel_ids"].([]any))) {
			t.Errorf("block %v", b.Properties)
		}
		if _, ok := b.Properties["inside_share"]; !ok {
			t.Errorf("block without inside_share: %v", b.Properties)
		}
	}
}

// "Blocks under 50 亩 that lie outside the control line": one request.
func TestCombinedSmallBlocksOutsideControl(t *testing.T) {
	ts := newSampleServer(t)
	body := `{"layer":"parcels","status":["*"],"group":true,"max_mu":50,"overlay":true,"positions":["outside"]}`
	fc := decodeFC(t, ts.do("POST", "/api/analyses", "application/json", testKey, strings.NewReader(body)))
	if len(fc.Features) == 0 {
		t.Fatal("no scattered block outside the control line in the sample")
	}
	parcels := ts.index.Layer("parcels")
	for _, b := range fc.Features {
		if b.Properties["area_mu"].(float64) >= 50 || b.Properties["control_position"] != "outside" {
			t.Errorf("block %v", b.Properties)
		}
		for _, id := range b.Properties["parcel_ids"].([]any) {
			p := parcels.Feature(spatial.FeatureID(id.(float64)))
			if p.Derived.ControlPosition == spatial.Inside {
				t.Errorf("block %v holds parcel %v, which lies inside", b.ID, id)
			}
		}
	}
	if fc.Summary.Params["group"] != true || fc.Summary.Params["max_mu"] != 50.0 {
		t.Errorf("params = %v", fc.Summary.Params)
	}
}

func TestSavedAnalysisBecomesADerivedLayer(t *testing.T) {
	ts := newSampleServer(t)
	body := `{"layer":"parcels","group":true,"tolerance_m":20,"min_mu":100,"save_as":"blocks-100","title":"连片低效区块"}`
	r := ts.do("POST", "/api/analyses", "application/json", testKey, strings.NewReader(body))
	fc := decodeFC(t, r)
	if r.status != 201 || r.header.Get("Location") != "/api/analyses/blocks-100" {
		t.Fatalf("save = %d %v", r.status, r.header)
	}
	layer := ts.get("/api/layers/blocks-100").json(t)
	if layer["kind"] != "derived" || layer["feature_count"] != float64(len(fc.Features)) || layer["title"] != "连片低效区块" {
		t.Errorf("derived layer = %v", layer)
	}
	rec := ts.get("/api/analyses/blocks-100").json(t)
	if rec["layer"] != "blocks-100" || rec["summary"].(map[string]any)["count"] != float64(len(fc.Features)) {
		t.Errorf("saved analysis = %v", rec)
	}
	if list := ts.get("/api/analyses").json(t)["analyses"].([]any); len(list) != 1 {
		t.Errorf("analyses = %v", list)
	}
	if r := ts.do("POST", "/api/analyses", "application/json", testKey, strings.NewReader(body)); r.status != 409 || r.json(t)["param"] != "save_as" {
		t.Errorf("saving twice = %d %s", r.status, r.body)
	}
	if r := ts.do("DELETE", "/api/analyses/blocks-100", "", testKey, nil); r.status != 204 {
		t.Fatalf("delete = %d", r.status)
	}
	if r := ts.get("/api/layers/blocks-100"); r.status != 404 {
		t.Errorf("derived layer after delete = %d", r.status)
	}
}

func TestAnalysisParameterErrors(t *testing.T) {
	ts := newSampleServer(t)
	for _, tt := range []struct{ name, method, path, body, param string }{
		{"negative tolerance", "GET", "/api/analyses/contiguous-blocks?layer=parcels&tolerance_m=-5", "", "tolerance_m"},
		{"unknown layer", "GET", "/api/analyses/small-parcels?layer=nope", "", "layer"},
		{"a control layer that is not one", "GET", "/api/analyses/outside-control?layer=parcels&control=parcels", "", "control"},
		{"min_mu above max_mu", "GET", "/api/analyses/contiguous-blocks?layer=parcels&min_mu=300&max_mu=50", "", "min_mu"},
		{"not a number", "GET", "/api/analyses/small-parcels?layer=parcels&max_mu=fifty", "", "max_mu"},
		{"unknown parameter", "GET", "/api/analyses/small-parcels?layer=parcels&maxmu=3", "", "maxmu"},
		{"bad bbox", "GET", "/api/analyses/small-parcels?layer=parcels&bbox=1,2,3", "", "bbox"},
		{"sliver ratio out of range", "GET", "/api/analyses/outside-control?layer=parcels&sliver_ratio=0.7", "", "sliver_ratio"},
		{"analysing a control layer", "GET", "/api/analyses/small-parcels?layer=control-lines", "", "layer"},
		{"POST with a negative tolerance", "POST", "/api/analyses", `{"layer":"parcels","group":true,"tolerance_m":-1}`, "tolerance_m"},
		{"stats by an unknown field", "GET", "/api/stats?layer=parcels&group_by=nope", "", "group_by"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r response
			if tt.method == "POST" {
				r = ts.do("POST", tt.path, "application/json", testKey, strings.NewReader(tt.body))
			} else {
				r = ts.get(tt.path)
			}
			if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if p := r.json(t); p["param"] != tt.param {
				t.Errorf("param = %v, want %s (%v)", p["param"], tt.param, p["detail"])
			}
		})
	}
	if r := ts.get("/api/analyses/nope"); r.status != 404 {
		t.Errorf("unknown analysis = %d", r.status)
	}
}

func TestStats(t *testing.T) {
	ts := newSampleServer(t)
	m := ts.get("/api/stats?layer=parcels&group_by=district").json(t)
	st := m["stats"].(map[string]any)
	total := st["total"].(map[string]any)
	if total["count"] != float64(ts.index.Layer("parcels").Len()) {
		t.Errorf("total = %v", total)
	}
	var sum float64
	for _, g := range st["groups"].([]any) {
		sum += g.(map[string]any)["count"].(float64)
	}
	if sum != total["count"] {
		t.Errorf("groups add up to %v, total %v", sum, total["count"])
	}
	if total["tax_per_mu"] == nil {
		t.Error("no 亩均税收 in the totals")
	}
}

// Replacing the control layer recomputes the derived attributes of the parcels that use it.
func TestControlReplaceRederivesParcels(t *testing.T) {
	ts := newSampleServer(t)
	before := ts.index.Layer("parcels").Layer.Version
	// A control layer far away: every parcel ends up outside.
	r := ts.do("PUT", "/api/layers/control-lines", "application/geo+json", testKey, strings.NewReader(collection(feature(square(100, 20, 0.01), `{}`))))
	if r.status != 200 {
		t.Fatal(r.status, string(r.body))
	}
	after := ts.index.Layer("parcels")
	if after.Layer.Version <= before || after.Layer.ControlVersion != ts.index.Layer("control-lines").Layer.Version {
		t.Errorf("parcels version %d → %d, control version %d", before, after.Layer.Version, after.Layer.ControlVersion)
	}
	for _, f := range after.Features() {
		if f.Derived.ControlPosition != spatial.Outside || f.Derived.OutsideRatio != 1 {
			t.Fatalf("parcel %d is %s (%v) against a control layer far away", f.ID, f.Derived.ControlPosition, f.Derived.OutsideRatio)
		}
	}
}

// TestIDFieldPlaysTheCodeRole imports a county whose only identifier is a field named id: the
// field plays the code role, so contiguous-block results list the parcels' codes.
func TestIDFieldPlaysTheCodeRole(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config, _ *app.Config) { c.MaxBodyBytes = 64 << 20 })
	data, err := fixtures.SampleParcels()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	feats := doc["features"].([]any)[:400]
	for i, f := range feats {
		f.(map[string]any)["properties"] = map[string]any{"id": fmt.Sprintf("P-%04d", i+1)}
	}
	doc["features"] = feats
	body, _ := json.Marshal(doc)
	if r := ts.do("POST", "/api/layers?id=idonly&kind=parcels", "application/geo+json", testKey, bytes.NewReader(body)); r.status != 201 {
		t.Fatalf("import = %d %s", r.status, r.body)
	}
	if roles := ts.get("/api/layers/idonly").json(t)["roles"].(map[string]any); roles["code"] != "id" {
		t.Fatalf("roles = %v, want code → id", roles)
	}
	fc := ts.get("/api/analyses/contiguous-blocks?layer=idonly&status=*&min_mu=0").json(t)
	blocks := fc["features"].([]any)
	if len(blocks) == 0 {
		t.Fatal("no blocks")
	}
	for _, b := range blocks {
		p := b.(map[string]any)["properties"].(map[string]any)
		codes, _ := p["parcel_codes"].([]any)
		if len(codes) == 0 || float64(len(codes)) != p["parcel_count"] {
			t.Fatalf("block %v: parcel_codes %v for %v parcels", p["block_id"], codes, p["parcel_count"])
		}
		for _, c := range codes {
			if s, _ := c.(string); !strings.HasPrefix(s, "P-") {
				t.Fatalf("block %v: code %v is not one of the imported ids", p["block_id"], c)
			}
		}
	}
}
