package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
	"github.com/mudi-gis/mudi/spatial/gisio"
)

// TestREADMECommands runs every `go run ./cmd/mudi …` line of the README as written, in a
// folder holding the files they name (made from the embedded sample: kecheng.geojson in
// EPSG:4549, 交付成果.zip a GBK Shapefile) and a data directory with the sample county — only the
// size of the generated county is made smaller, and healthcheck asks a server of the test.
func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "go run ./cmd/mudi ") {
			lines = append(lines, l)
		}
	}
	if len(lines) < 8 {
		t.Fatalf("found %d commands in the README", len(lines))
	}

	dir := t.TempDir()
	t.Chdir(dir)
	ctx := context.Background()
	// ./mudi-data with the sample county, as mudi serve loads it.
	db, err := openStore("mudi-data")
	if err != nil {
		t.Fatal(err)
	}
	core, err := app.New(app.Config{Store: db})
	if err == nil {
		err = loadSample(ctx, core)
	}
	if err != nil {
		t.Fatal(err)
	}
	sn := core.Index().Layer(sampleParcels)
	write := func(name string, f gisio.Format, opts gisio.WriteOptions) {
		var b bytes.Buffer
		if err := gisio.Write(ctx, &b, sn, f, opts); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	epsg4549, _ := crs.Parse("EPSG:4549")
	write("kecheng.geojson", gisio.FormatGeoJSON, gisio.WriteOptions{CRS: epsg4549})
	write("交付成果.zip", gisio.FormatShapefile, gisio.WriteOptions{Encoding: "GBK"})
	db.Close()

	serveCtx, cancel := context.WithCancel(ctx)
	cfg := defaultServeConfig()
	cfg.Addr, cfg.Data, cfg.APIKeys = "127.0.0.1:0", t.TempDir(), []string{testAPIKey}
	base, done := startServe(t, serveCtx, cfg)
	defer func() { cancel(); <-done }()

	comment := regexp.MustCompile(`\s+#.*$`)
	for _, l := range lines {
		args := shellWords(comment.ReplaceAllString(strings.TrimPrefix(l, "go run ./cmd/mudi "), ""))
		for i, a := range args {
			switch {
			case a == "100000" && i > 0 && args[i-1] == "-n":
				args[i] = "300"
			case a == "/tmp/county":
				args[i] = filepath.Join(dir, "county")
			case a == ":8080" && args[0] == "healthcheck":
				args[i] = strings.TrimPrefix(base, "http://")
			}
		}
		var out bytes.Buffer
		if err := run(ctx, args, func(string) string { return "" }, nil, &out, &out); err != nil {
			t.Errorf("README: %s\n  %v\n%s", l, err, out.String())
		}
	}
	// What the commands made.
	for _, f := range []string{"parcels.zip", "台账.xlsx", "月报.xlsx", "blocks.geojson", filepath.Join("county", "parcels.geojson")} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s was not written: %v", f, err)
		}
	}
	db, err = openStore("mudi-data")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	layers, _ := db.Layers()
	var ids []string
	for _, l := range layers {
		ids = append(ids, l.ID)
		if l.ID == "kecheng" && (l.Kind != spatial.KindParcels || l.Source.CRS != "EPSG:4549") {
			t.Errorf("kecheng imported as %s from %s", l.Kind, l.Source.CRS)
		}
	}
	if got := strings.Join(ids, ","); got != "control-lines,kecheng,kecheng-2026,parcels" {
		t.Errorf("layers after the README's imports = %s", got)
	}
}

// shellWords splits a command line as a shell would for these simple lines: on spaces, with
// single quotes grouping.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, has := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, has = !quoted, true
		case r == ' ' && !quoted:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}
