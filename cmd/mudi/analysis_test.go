package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/tiles"
	"github.com/paulmach/orb"
)

// A saved analysis survives a restart and is served as tiles.
func TestSavedAnalysisSurvivesRestart(t *testing.T) {
	cfg := defaultServeConfig()
	cfg.Addr, cfg.Data, cfg.APIKeys = "127.0.0.1:0", t.TempDir(), []string{testAPIKey}

	ctx, cancel := context.WithCancel(context.Background())
	base, done := startServe(t, ctx, cfg)
	req, _ := http.NewRequest("POST", base+"/api/analyses", strings.NewReader(
		`{"layer":"parcels","group":true,"tolerance_m":20,"min_mu":100,"save_as":"blocks"}`))
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("save = %d", resp.StatusCode)
	}
	cancel()
	<-done

	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	base, done = startServe(t, ctx2, cfg)
	layer := getJSON(t, base+"/api/layers/blocks")
	if layer["kind"] != "derived" || layer["feature_count"].(float64) == 0 {
		t.Fatalf("after restart: %v", layer)
	}
	if rec := getJSON(t, base+"/api/analyses/blocks"); rec["layer"] != "blocks" {
		t.Errorf("saved analysis after restart: %v", rec)
	}
	b := layer["bounds"].([]any)
	centre := orb.Point{(b[0].(float64) + b[2].(float64)) / 2, (b[1].(float64) + b[3].(float64)) / 2}
	found := false
	for z := tiles.Zoom(10); z <= 14 && !found; z++ {
		for c := range tiles.Covering(orb.Bound{Min: orb.Point{b[0].(float64), b[1].(float64)}, Max: orb.Point{b[2].(float64), b[3].(float64)}}, z) {
			resp, err := http.Get(fmt.Sprintf("%s/tiles/blocks/%d/%d/%d.mvt", base, c.Z, c.X, c.Y))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 200 && resp.Header.Get("Content-Type") == "application/vnd.mapbox-vector-tile" {
				found = true
				break
			}
		}
	}
	if !found {
		t.Errorf("no tile of the saved analysis served around %v", centre)
	}
	cancel2()
	<-done
}

// mudi analyze runs the presets on a store, with the API's parameters as flags.
func TestAnalyzeCommand(t *testing.T) {
	cfg := defaultServeConfig()
	cfg.Addr, cfg.Data, cfg.APIKeys = "127.0.0.1:0", t.TempDir(), []string{testAPIKey}
	ctx, cancel := context.WithCancel(context.Background())
	base, done := startServe(t, ctx, cfg)
	want := getJSON(t, base+"/api/analyses/contiguous-blocks?layer=parcels&tolerance_m=20&min_mu=100")["summary"].(map[string]any)
	cancel()
	<-done

	out := filepath.Join(t.TempDir(), "blocks.geojson")
	cmd := mudiCmd(t, "analyze", "contiguous-blocks", "--layer", "parcels", "--tolerance-m", "20", "--min-mu", "100", "-o", out, "--data", cfg.Data)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("analyze: %v\n%s", err, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []any          `json:"features"`
		Summary  map[string]any `json:"summary"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		t.Fatal(err)
	}
	if fc.Summary["count"] != want["count"] || fc.Summary["area_mu"] != want["area_mu"] || float64(len(fc.Features)) != want["count"] {
		t.Errorf("analyze: %v, the API: %v", fc.Summary, want)
	}
	if !strings.Contains(string(msg), "contiguous-blocks:") {
		t.Errorf("no summary on stderr: %s", msg)
	}

	cmd = mudiCmd(t, "analyze", "contiguous-blocks", "--tolerance-m", "-5", "--data", cfg.Data)
	msg, err = cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(msg), "tolerance-m") {
		t.Errorf("negative tolerance: %v\n%s", err, msg)
	}
}
