package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportAndAnalyzeBesideARunningServer: while mudi serve owns the data directory, export
// and analyze ask it with --server (a direct open would wait for the lock and fail).
func TestExportAndAnalyzeBesideARunningServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := defaultServeConfig()
	cfg.Addr, cfg.Data, cfg.APIKeys = "127.0.0.1:0", t.TempDir(), []string{testAPIKey}
	base, done := startServe(t, ctx, cfg)
	defer func() { cancel(); <-done }()

	dir := t.TempDir()
	gpkg := filepath.Join(dir, "parcels.gpkg")
	if out, err := mudi(t, "export", "--layer", "parcels", "--server", base, "-o", gpkg); err != nil {
		t.Fatalf("export --server: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(gpkg); err != nil || !strings.HasPrefix(string(b), "SQLite format 3") {
		t.Fatalf("%s is not a GeoPackage: %v", gpkg, err)
	}
	blocks := filepath.Join(dir, "blocks.geojson")
	if out, err := mudi(t, "analyze", "contiguous-blocks", "--server", base, "--tolerance-m", "50", "-o", blocks); err != nil {
		t.Fatalf("analyze --server: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(blocks); err != nil || !strings.Contains(string(b), `"FeatureCollection"`) {
		t.Fatalf("blocks: %v %.200s", err, b)
	}
	// A bad parameter is a usage error quoting the server's problem.
	_, err := mudi(t, "analyze", "contiguous-blocks", "--server", base, "--tolerance-m", "-5", "-o", blocks)
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "tolerance_m") {
		t.Errorf("analyze --tolerance-m -5 --server: %v", err)
	}
	if _, err := mudi(t, "export", "--layer", "parcels", "--server", "ftp://x", "-o", gpkg); err == nil || exitCode(err) != 2 {
		t.Errorf("export --server ftp://x: %v", err)
	}
}
