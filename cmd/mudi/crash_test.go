package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
	"github.com/mudi-gis/mudi/store"
)

const crashKey = "crash-test-key-0123456789"

// serveProcess starts the real mudi serve on data and returns its base URL.
func serveProcess(t *testing.T, data string) (*exec.Cmd, string) {
	t.Helper()
	cmd := mudiCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", data, "--no-sample", "--api-keys", crashKey, "--tile-cache-mb", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "listening" {
			go io.Copy(io.Discard, stderr)
			return cmd, "http://" + m["addr"].(string)
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatal("mudi serve did not start")
	return nil, ""
}

// storedState reads the store as a restart finds it, before anything is reconciled: every
// layer and the saved analyses.
func storedState(t *testing.T, data string) (map[string]*spatial.Snapshot, map[string]bool) {
	t.Helper()
	db, err := store.Open(filepath.Join(data, "mudi.db"), store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var index spatial.Index
	if _, err := db.LoadIndex(context.Background(), &index); err != nil {
		t.Fatal(err)
	}
	layers := map[string]*spatial.Snapshot{}
	for _, sn := range index.Layers() {
		layers[sn.Layer.ID] = sn
	}
	docs, err := db.Analyses()
	if err != nil {
		t.Fatal(err)
	}
	analyses := map[string]bool{}
	for _, d := range docs {
		analyses[d.ID] = true
	}
	return layers, analyses
}

// TestKillDuringControlReplaceAndSaveAs kills mudi serve (SIGKILL) while it replaces a control
// layer — which re-derives the 10 000 parcels that use it — and while it saves an analysis as a
// layer, at moments spread over the time a write takes. After each kill the store holds either
// the whole old or the whole new state: the parcels derived against the control layer as
// stored, and a saved analysis with its layer or neither.
func TestKillDuringControlReplaceAndSaveAs(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a county and kills servers")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ds, err := fixtures.Generate(fixtures.Options{N: 10000, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"import", filepath.Join(dir, "control-lines.geojson"), "--layer", "ctl", "--kind", "control", "--data", data},
		{"import", filepath.Join(dir, "parcels.geojson"), "--layer", "p", "--control", "ctl", "--data", data},
	} {
		if out, err := mudiCmd(t, args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	control, err := os.ReadFile(filepath.Join(dir, "control-lines.geojson"))
	if err != nil {
		t.Fatal(err)
	}

	type write struct {
		name string
		send func(base string, i int) (*http.Request, error)
	}
	writes := []write{
		{"control replace", func(base string, i int) (*http.Request, error) {
			body := shiftControl(t, control, 0.0015*float64(i%4+1))
			req, err := http.NewRequest(http.MethodPut, base+"/api/layers/ctl", bytes.NewReader(body))
			if err == nil {
				req.Header.Set("Content-Type", "application/geo+json")
			}
			return req, err
		}},
		{"save_as", func(base string, i int) (*http.Request, error) {
			body := fmt.Sprintf(`{"layer":"p","group":true,"status":["*"],"min_mu":100,"save_as":"saved-%d"}`, i)
			req, err := http.NewRequest(http.MethodPost, base+"/api/analyses", strings.NewReader(body))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
			}
			return req, err
		}},
	}
	for _, w := range writes {
		// Measure how long the write takes when it is not interrupted.
		cmd, base := serveProcess(t, data)
		req, _ := w.send(base, 0)
		req.Header.Set("Authorization", "Bearer "+crashKey)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		full := time.Since(start)
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s: status %d", w.name, resp.StatusCode)
		}
		outcomes := map[string]int{}
		for i, frac := range []float64{0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 1.1, 1.5, 3} {
			before, _ := storedState(t, data)
			cmd, base := serveProcess(t, data)
			req, _ := w.send(base, i+1)
			req.Header.Set("Authorization", "Bearer "+crashKey)
			go func() {
				if resp, err := http.DefaultClient.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
			time.Sleep(time.Duration(frac * float64(full)))
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()

			layers, analyses := storedState(t, data)
			switch w.name {
			case "control replace":
				ctl, p := layers["ctl"], layers["p"]
				if ctl == nil || p == nil {
					t.Fatalf("kill at %.0f%%: layers missing: %v", frac*100, layers)
				}
				if p.Layer.ControlVersion != ctl.Layer.Version {
					t.Fatalf("kill at %.0f%%: parcels derived against control version %d, stored control is version %d", frac*100, p.Layer.ControlVersion, ctl.Layer.Version)
				}
				want, err := analysis.Derive(context.Background(), p, ctl, analysis.DeriveOptions{KeepArea: true})
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range p.Features() {
					if f.Derived.ControlPosition != want[f.ID].ControlPosition || f.Derived.OutsideRatio != want[f.ID].OutsideRatio {
						t.Fatalf("kill at %.0f%%: parcel %d carries attributes of another control layer", frac*100, f.ID)
					}
				}
				if ctl.Layer.Version == before["ctl"].Layer.Version {
					outcomes["old"]++
				} else {
					outcomes["new"]++
				}
			case "save_as":
				id := fmt.Sprintf("saved-%d", i+1)
				_, hasLayer := layers[id]
				if hasLayer != analyses[id] {
					t.Fatalf("kill at %.0f%%: layer %s stored %v, its analysis stored %v", frac*100, id, hasLayer, analyses[id])
				}
				if hasLayer {
					outcomes["new"]++
				} else {
					outcomes["old"]++
				}
			}
		}
		if outcomes["old"] == 0 || outcomes["new"] == 0 {
			t.Errorf("%s: the kills never found the store in one of the two states (%v): the moments did not straddle the write", w.name, outcomes)
		}
		t.Logf("%s (%v uninterrupted): after the kills the store held the old state %d times, the new %d times", w.name, full.Round(time.Millisecond), outcomes["old"], outcomes["new"])
	}
}

// shiftControl moves every position of a GeoJSON document dx degrees east.
func shiftControl(t *testing.T, data []byte, dx float64) []byte {
	t.Helper()
	out, err := fixtures.ShiftEast(data, dx)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUnfinishedDrainExitsNonZero: SIGTERM while an upload is still arriving; when the drain
// time runs out before the request is done, mudi serve exits with a non-zero status.
func TestUnfinishedDrainExitsNonZero(t *testing.T) {
	data := t.TempDir()
	cmd := mudiCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", data, "--no-sample", "--api-keys", crashKey, "--drain-timeout", "500ms")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	base := ""
	for base == "" && sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "listening" {
			base = "http://" + m["addr"].(string)
		}
	}
	go io.Copy(io.Discard, stderr)
	if base == "" {
		t.Fatal("mudi serve did not start")
	}
	// An upload that never finishes: its body arrives one byte at a time, then stalls.
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"type":"FeatureCollection","features":[`))
		time.Sleep(30 * time.Second)
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/layers?id=slow", pr)
	req.Header.Set("Content-Type", "application/geo+json")
	req.Header.Set("Authorization", "Bearer "+crashKey)
	go http.DefaultClient.Do(req)
	time.Sleep(300 * time.Millisecond) // the request is in flight
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("mudi serve after an unfinished drain: %v, want a non-zero exit status", err)
	}
}
