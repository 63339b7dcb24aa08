package api

import (
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/app"
)

// TestPrivateReads: with private reads every read needs a key (a reader key suffices), except
// the health checks and the viewer's page; a reader key cannot write; /metrics can be made
// private alone.
func TestPrivateReads(t *testing.T) {
	const readerKey = "reader-secret-0000001"
	ts := newTestServerWith(t, func(c *Config, _ *app.Config) {
		c.PrivateReads = true
		c.Keys = append(c.Keys, Key{Name: "auditor", Role: app.RoleReader, Hash: HashKey(readerKey)})
	})
	ts.loadSample()
	for _, path := range []string{"/api/layers", "/api/layers/parcels", "/tiles/parcels.json", "/ogc/collections", "/styles/default.json", "/metrics", "/api/ledger?layer=parcels"} {
		if r := ts.get(path); r.status != 401 || r.json(t)["type"] != "https://mudi.dev/problems/unauthorized" {
			t.Errorf("GET %s without a key = %d, want 401", path, r.status)
		}
		if r := ts.do("GET", path, "", readerKey, nil); r.status != 200 {
			t.Errorf("GET %s with a reader key = %d %.200s", path, r.status, r.body)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/"} {
		if r := ts.get(path); r.status != 200 {
			t.Errorf("GET %s without a key = %d, want 200", path, r.status)
		}
	}
	if r := ts.do("PATCH", "/api/layers/parcels/features/1", "application/json", readerKey, strings.NewReader(`{"ZRR":"张三"}`)); r.status != 403 {
		t.Errorf("a reader's edit = %d, want 403", r.status)
	}

	metricsOnly := newTestServerWith(t, func(c *Config, _ *app.Config) { c.PrivateMetrics = true })
	if r := metricsOnly.get("/metrics"); r.status != 401 {
		t.Errorf("private metrics without a key = %d, want 401", r.status)
	}
	if r := metricsOnly.get("/api/layers"); r.status != 200 {
		t.Errorf("public reads beside private metrics = %d, want 200", r.status)
	}
}

// TestDerivedLayersAreReadOnly: a saved analysis's layer cannot be replaced, patched or edited,
// and deleting it deletes the analysis with it.
func TestDerivedLayersAreReadOnly(t *testing.T) {
	ts := newSampleServer(t)
	body := `{"layer":"parcels","group":true,"status":["*"],"min_mu":100,"save_as":"blocks"}`
	if r := ts.do("POST", "/api/analyses", "application/json", testKey, strings.NewReader(body)); r.status != 201 {
		t.Fatalf("save_as = %d %s", r.status, r.body)
	}
	for _, w := range []struct{ method, path, ct, body string }{
		{"PUT", "/api/layers/blocks", "application/geo+json", `{"type":"FeatureCollection","features":[]}`},
		{"PATCH", "/api/layers/blocks", "application/json", `{"title":"x"}`},
		{"PATCH", "/api/layers/blocks/features/1", "application/json", `{"note":"x"}`},
	} {
		if r := ts.do(w.method, w.path, w.ct, testKey, strings.NewReader(w.body)); r.status != 409 || !strings.Contains(string(r.body), "read-only") {
			t.Errorf("%s %s = %d %s, want 409 read-only", w.method, w.path, r.status, r.body)
		}
	}
	if r := ts.do("DELETE", "/api/layers/blocks", "", testKey, nil); r.status != 204 {
		t.Fatalf("delete the layer = %d %s", r.status, r.body)
	}
	if r := ts.get("/api/analyses/blocks"); r.status != 404 {
		t.Errorf("the analysis after its layer was deleted = %d, want 404", r.status)
	}
}
