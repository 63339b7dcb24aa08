package main

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/fixtures"
)

// TestPack writes the monthly pack of a generated county from the command line: a zip whose
// manifest lists every other entry, with the month's workbooks; bad months and layers name
// their flags, and an empty data directory is not turned into a store.
func TestPack(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ds, err := fixtures.Generate(fixtures.Options{N: 300, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if out, err := mudi(t, "import", filepath.Join(dir, fixtures.ParcelsFile), "--layer", "county", "--data", data); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "pack.zip")
	out, err := mudi(t, "pack", "--month", "2026-06", "--max-zoom", "12", "--data", data, "-o", file)
	if err != nil || !strings.Contains(out, "packed layer county for 2026-06 (as of 2026-06-30)") {
		t.Fatalf("pack: %v\n%s", err, out)
	}
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatalf("the pack is not a zip: %v", err)
	}
	defer zr.Close()
	entries := map[string]bool{}
	var manifest struct {
		Month string
		Files []struct{ Path string }
	}
	for _, f := range zr.File {
		entries[f.Name] = true
		if f.Name == "manifest.json" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if err := json.Unmarshal(b, &manifest); err != nil {
				t.Fatalf("manifest.json: %v", err)
			}
		}
	}
	if manifest.Month != "2026-06" || len(manifest.Files) != len(entries)-1 {
		t.Errorf("manifest: month %q, %d files for %d entries", manifest.Month, len(manifest.Files), len(entries))
	}
	for _, want := range []string{"tiles/county.pmtiles", "data/county.gpkg", "台账.xlsx", "月报.xlsx", "changes.geojson", "style.json", "index.html"} {
		if !entries[want] {
			t.Errorf("the pack lacks %s", want)
		}
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--month", "2026-13"}, "--month"},
		{[]string{}, "--month"},
		{[]string{"--month", "2999-01"}, "--month"},
		{[]string{"--month", "2026-06", "--layer", "nope"}, "nope"},
		{[]string{"--month", "2026-06", "--max-zoom", "31"}, "--max-zoom"},
	} {
		out, err := mudi(t, append([]string{"pack", "--data", data, "-o", filepath.Join(dir, "x.zip")}, bad.args...)...)
		if err == nil || !strings.Contains(err.Error(), bad.want) || exitCode(err) != 2 {
			t.Errorf("pack %v: %v (want a usage error naming %s)\n%s", bad.args, err, bad.want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.zip")); err == nil {
		t.Error("a failed pack left its output file")
	}
	empty := filepath.Join(dir, "empty")
	if _, err := mudi(t, "pack", "--month", "2026-06", "--data", empty, "-o", filepath.Join(dir, "y.zip")); err == nil {
		t.Error("pack from an empty data directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(empty, "mudi.db")); err == nil {
		t.Error("pack created a store in an empty data directory")
	}
}
