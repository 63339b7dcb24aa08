package api

import (
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	ts := newSampleServer(t)
	ts.get("/api/layers")
	ts.get("/tiles/parcels/14/0/0.mvt")
	ts.get("/nope")
	r := ts.get("/metrics")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics = %d %s", r.status, r.header.Get("Content-Type"))
	}
	body := string(r.body)
	for _, want := range []string{
		`mudi_http_requests_total{code="200",method="GET",route="/api/layers"} 1`,
		`mudi_http_requests_total{code="204",method="GET",route="/tiles/:layers/:z/:x/:y"} 1`,
		`mudi_http_requests_total{code="404",method="GET",route="/*"} 1`,
		`mudi_http_request_duration_seconds_bucket{route="/api/layers",le="+Inf"} 1`,
		`mudi_layer_features{kind="parcels",layer="parcels"} 3000`,
		`mudi_tile_cache_misses_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
