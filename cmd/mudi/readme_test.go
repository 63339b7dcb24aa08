package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
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

// TestREADMECurlCommands runs the README's curl examples, as written but for the address and
// with -f (a 4xx or 5xx fails), against mudi serve on the embedded sample, in a folder holding
// the files they send.
func TestREADMECurlCommands(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		missingToolCmd(t, "curl")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "## Using it")
	block := text[start:]
	block = block[strings.Index(block, "```sh\n")+6:]
	block = block[:strings.Index(block, "```")]
	var cmds []string
	for _, l := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "curl ") {
			cmds = append(cmds, strings.TrimSpace(l))
		}
	}
	if len(cmds) < 12 {
		t.Fatalf("found %d curl commands in the README", len(cmds))
	}

	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := defaultServeConfig()
	cfg.Addr, cfg.Data, cfg.APIKeys = "127.0.0.1:0", t.TempDir(), []string{testAPIKey}
	base, done := startServe(t, ctx, cfg)
	defer func() { cancel(); <-done }()

	// The files the examples send, made from the sample county the server loaded.
	db, err := openStore(t.TempDir())
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
	epsg4549, _ := crs.Parse("EPSG:4549")
	for _, f := range []struct {
		name   string
		format gisio.Format
		opts   gisio.WriteOptions
	}{
		{"kecheng.geojson", gisio.FormatGeoJSON, gisio.WriteOptions{CRS: epsg4549}},
		{"kecheng-2026.geojson", gisio.FormatGeoJSON, gisio.WriteOptions{CRS: epsg4549}},
		{"交付成果.zip", gisio.FormatShapefile, gisio.WriteOptions{Encoding: "GBK"}},
	} {
		var b bytes.Buffer
		if err := gisio.Write(ctx, &b, sn, f.format, f.opts); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	jpeg := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), bytes.Repeat([]byte{0}, 64)...)
	if err := os.WriteFile(filepath.Join(dir, "现场照片.jpg"), append(jpeg, 0xff, 0xd9), 0o644); err != nil {
		t.Fatal(err)
	}

	host := strings.TrimPrefix(base, "http://")
	for _, c := range cmds {
		line := "curl -f " + strings.TrimPrefix(strings.ReplaceAll(c, "localhost:8080", host), "curl ")
		cmd := exec.Command("bash", "-c", line)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "KEY="+testAPIKey)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("README: %s\n  %v\n%.500s", c, err, out)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "report.xlsx")); err != nil || st.Size() == 0 {
		t.Errorf("report.xlsx was not written: %v", err)
	}
}

// missingToolCmd fails when CI is set and skips otherwise, naming the missing tool.
func missingToolCmd(t *testing.T, tool string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (CI is set: failing instead of skipping)", tool)
	}
	t.Skipf("%s is not installed", tool)
}
