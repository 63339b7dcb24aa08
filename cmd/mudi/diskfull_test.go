package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/mudi-gis/mudi/fixtures"
)

// TestDiskFullIsA507 runs mudi serve on a data directory on a small tmpfs, fills it with an
// import, and expects a 507 problem; the layers already there stay readable and the server goes
// on serving. It needs root to mount the tmpfs (CI runs as root).
func TestDiskFullIsA507(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs")
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("this test mounts a tmpfs and needs root (CI is set: failing instead of skipping)")
		}
		t.Skip("needs root to mount a tmpfs")
	}
	data := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", data).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", data).Run() })

	cmd, base := serveProcess(t, data)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	post := func(id string, body []byte) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/layers?id="+id, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/geo+json")
		req.Header.Set("Authorization", "Bearer "+crashKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	small, err := fixtures.Generate(fixtures.Options{N: 50, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	var sb bytes.Buffer
	small.WriteParcels(&sb)
	if status, m := post("small", sb.Bytes()); status != 201 {
		t.Fatalf("first import = %d %v", status, m)
	}
	big, err := fixtures.Generate(fixtures.Options{N: 8000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var bb bytes.Buffer
	big.WriteParcels(&bb)
	status, m := post("big", bb.Bytes())
	if status != http.StatusInsufficientStorage || m["type"] != "https://mudi.dev/problems/insufficient-storage" {
		t.Fatalf("import on a full disk = %d %v, want 507 insufficient-storage", status, m)
	}
	resp, err := http.Get(base + "/api/layers/small")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the earlier layer after the failed import: %v %v", err, resp)
	}
	resp.Body.Close()
	if resp, err := http.Get(base + "/api/layers/big"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("the failed layer: %v %v, want 404", err, resp)
	}
}
