package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/store"
)

// The test binary doubles as the mudi binary: with MUDITEST_MAIN=1 it runs main instead of the
// tests, so subprocess tests (locks, kill -9) exercise the real program.
func TestMain(m *testing.M) {
	if os.Getenv("MUDITEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func mudiCmd(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MUDITEST_MAIN=1")
	return cmd
}

// startServe runs serve in-process on a random port and returns its base URL.
func startServe(t *testing.T, ctx context.Context, cfg serveConfig) (string, <-chan error) {
	t.Helper()
	return startServeTo(t, ctx, cfg, io.Discard)
}

// startServeTo is startServe with serve's standard output going to stdout.
func startServeTo(t *testing.T, ctx context.Context, cfg serveConfig, stdout io.Writer) (string, <-chan error) {
	t.Helper()
	addrs := make(chan net.Addr, 1)
	cfg.listening = func(a net.Addr) { addrs <- a }
	done := make(chan error, 1)
	var logs bytes.Buffer
	log, _ := newLogger("text", &logs)
	go func() { done <- serve(ctx, cfg, log, stdout) }()
	select {
	case a := <-addrs:
		return "http://" + a.String(), done
	case err := <-done:
		t.Fatalf("serve stopped: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not listen within 30 s")
	}
	return "", nil
}

func getJSON(t testing.TB, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestServeLoadsTheEmbeddedSample(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := defaultServeConfig()
	cfg.Addr, cfg.Data, cfg.APIKeys = "127.0.0.1:0", t.TempDir(), []string{testAPIKey}
	start := time.Now()
	base, done := startServe(t, ctx, cfg)
	layers := getJSON(t, base+"/api/layers")["layers"].([]any)
	t.Logf("sample served after %v", time.Since(start))
	got := map[string]map[string]any{}
	for _, l := range layers {
		m := l.(map[string]any)
		got[m["id"].(string)] = m
	}
	p, c := got["parcels"], got["control-lines"]
	if p == nil || c == nil {
		t.Fatalf("layers = %v", layers)
	}
	if n := p["feature_count"].(float64); n < 2000 {
		t.Errorf("parcels has %v features, want ≥ 2000", n)
	}
	if p["control_layer"] != "control-lines" || c["kind"] != "control" {
		t.Errorf("parcels control = %v, control kind = %v", p["control_layer"], c["kind"])
	}
	b := p["bounds"].([]any)
	if b[0].(float64) < 118.5 || b[2].(float64) > 119.3 || b[1].(float64) < 28.6 || b[3].(float64) > 29.3 {
		t.Errorf("bounds %v are not around Quzhou", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after cancel: %v", err)
	}

	// A restart on the same data dir serves the stored layers, not a second copy of the sample.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	base, done = startServe(t, ctx2, cfg)
	if n := len(getJSON(t, base+"/api/layers")["layers"].([]any)); n != 2 {
		t.Errorf("after restart %d layers", n)
	}
	cancel2()
	<-done
}

func TestSecondServeOnTheSameDataFailsFast(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := defaultServeConfig()
	cfg.Addr, cfg.Data, cfg.APIKeys, cfg.NoSample = "127.0.0.1:0", t.TempDir(), []string{testAPIKey}, true
	_, done := startServe(t, ctx, cfg)

	cmd := mudiCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", cfg.Data, "--no-sample")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("second serve succeeded")
	}
	if elapsed > 2*time.Second {
		t.Errorf("second serve took %v to fail, want ≤ 2 s", elapsed)
	}
	t.Logf("second serve failed after %v: %s", elapsed.Round(time.Millisecond), strings.TrimSpace(stderr.String()))
	msg := stderr.String()
	if !strings.Contains(msg, "lock") || !strings.Contains(msg, filepath.Join(cfg.Data, "mudi.db")) {
		t.Errorf("message does not name the lock: %s", msg)
	}
	cancel()
	<-done
}

func TestUnknownEnvironmentVariableIsRejected(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"serve"}, func(string) string { return "" },
		[]string{"MUDI_ADRR=:9090"}, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "MUDI_ADRR") {
		t.Errorf("err = %v", err)
	}
}

func TestEffectiveConfigMasksKeys(t *testing.T) {
	cfg := defaultServeConfig()
	set := newServeSettings(&cfg)
	env := map[string]string{"MUDI_API_KEYS": "secret1,secret2", "MUDI_ADDR": ":9999"}
	if _, err := set.parse([]string{"--data", "/tmp/x"}, func(k string) string { return env[k] }, nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	desc := fmt.Sprint(set.describe()...)
	if strings.Contains(desc, "secret") || !strings.Contains(desc, "2 key(s) masked") {
		t.Errorf("described config leaks or loses keys: %s", desc)
	}
	if cfg.Addr != ":9999" || cfg.Data != "/tmp/x" {
		t.Errorf("cfg = %+v", cfg)
	}
}

// A kill -9 in the middle of an import leaves the store as it was: the earlier layer intact
// and no trace of the new one.
func TestKilledImportLeavesTheStoreAsItWas(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and imports a large county")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ds, err := fixtures.Generate(fixtures.Options{N: 40000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	// An earlier state: the control layer.
	out, err := mudiCmd(t, "import", filepath.Join(dir, "control-lines.geojson"), "--layer", "ctl", "--kind", "control", "--data", data).CombinedOutput()
	if err != nil {
		t.Fatalf("first import: %v\n%s", err, out)
	}

	cmd := mudiCmd(t, "import", filepath.Join(dir, "parcels.geojson"), "--layer", "big", "--data", data)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	killed := false
	for sc.Scan() {
		// Kill once the write transaction is under way, between 20 % and 90 % of it.
		if strings.HasPrefix(sc.Text(), "writing features") && !strings.Contains(sc.Text(), "(0%)") {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatal("the import finished before it could be killed")
	}

	db, err := store.Open(filepath.Join(data, "mudi.db"), store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	layers, err := db.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 || layers[0].ID != "ctl" {
		t.Fatalf("layers after the kill = %+v, want only ctl", layers)
	}
	if _, fs, err := db.LoadLayer(context.Background(), "ctl"); err != nil || len(fs) != layers[0].FeatureCount || len(fs) == 0 {
		t.Errorf("ctl after the kill: %d features (want %d), err %v", len(fs), layers[0].FeatureCount, err)
	}
	if _, _, err := db.LoadLayer(context.Background(), "big"); err == nil {
		t.Error("a partial layer big exists")
	}
}
