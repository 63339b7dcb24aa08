package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/store"
	"github.com/mudi-gis/mudi/tiles"
)

// mudi runs the command in-process and returns its output.
func mudi(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, nil, &out, &out)
	return out.String(), err
}

// storedLayer loads one layer from the store under data.
func storedLayer(t *testing.T, data, id string) (spatial.Layer, []*spatial.Feature) {
	t.Helper()
	db, err := store.Open(filepath.Join(data, "mudi.db"), store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, fs, err := db.LoadLayer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return l, fs
}

// sameFeatures compares geometry (same vertices within 1e-8 degrees, about 1 mm) and the
// attributes of want (by name, through names when given) with got.
func sameFeatures(t *testing.T, want, got []*spatial.Feature, names func(string) string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d features, want %d", len(got), len(want))
	}
	bad := 0
	for i := range want {
		w, g := want[i], got[i]
		wb, gb := w.Geometry.Bound(), g.Geometry.Bound()
		if d := math.Max(math.Max(math.Abs(wb.Min[0]-gb.Min[0]), math.Abs(wb.Min[1]-gb.Min[1])), math.Max(math.Abs(wb.Max[0]-gb.Max[0]), math.Abs(wb.Max[1]-gb.Max[1]))); d > 1e-8 {
			t.Errorf("feature %d: bounds differ by %g°", w.ID, d)
			bad++
		}
		if math.Abs(w.Derived.AreaM2-g.Derived.AreaM2) > 1e-6*w.Derived.AreaM2 {
			t.Errorf("feature %d: area %v, want %v", w.ID, g.Derived.AreaM2, w.Derived.AreaM2)
			bad++
		}
		for k, v := range w.Attrs.All() {
			name := k
			if names != nil {
				name = names(k)
			}
			gv := g.Attrs.Value(name)
			if f, ok := v.(float64); ok {
				if gf, ok := gv.(float64); !ok || math.Abs(f-gf) > 1e-9*math.Max(1, math.Abs(f)) {
					t.Errorf("feature %d %s = %#v, want %#v", w.ID, name, gv, v)
					bad++
				}
			} else if gv != v {
				t.Errorf("feature %d %s = %#v, want %#v", w.ID, name, gv, v)
				bad++
			}
		}
		if bad > 10 {
			t.Fatal("too many differences")
		}
	}
}

// mudi export writes every format; the Shapefile and the GeoPackage import back with mudi
// import and reproduce the layer.
func TestExportEndToEnd(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ds, err := fixtures.Generate(fixtures.Options{N: 400, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if out, err := mudi(t, "import", filepath.Join(dir, fixtures.ParcelsFile), "--layer", "county", "--data", data); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	_, want := storedLayer(t, data, "county")

	for _, tt := range []struct {
		name string
		args []string
		file string
	}{
		{"GBK Shapefile in EPSG:4549", []string{"--format", "shp", "--crs", "EPSG:4549", "--encoding", "GBK"}, "county.zip"},
		{"GeoPackage, format from the extension", []string{"--crs", "EPSG:4490"}, "county.gpkg"},
		{"GeoJSON", []string{"--format", "geojson"}, "county.geojson"},
		{"CSV", []string{"--crs", "EPSG:4549"}, "county.csv"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, tt.file)
			out, err := mudi(t, append([]string{"export", "--layer", "county", "--data", data, "-o", file}, tt.args...)...)
			if err != nil {
				t.Fatalf("export: %v\n%s", err, out)
			}
			if !strings.Contains(out, "exported 400 features") {
				t.Errorf("output: %s", out)
			}
			if ogrinfo, err := exec.LookPath("ogrinfo"); err == nil {
				open := file
				if strings.HasSuffix(file, ".zip") {
					open = "/vsizip/" + file + "/county.shp"
				}
				info, err := exec.Command(ogrinfo, "-ro", "-so", "-al", open).CombinedOutput()
				if err != nil || !strings.Contains(string(info), "Feature Count: 400") {
					t.Errorf("ogrinfo: %v\n%s", err, info)
				}
			}
			if strings.HasSuffix(file, ".csv") {
				return
			}
			id := strings.ReplaceAll(filepath.Ext(file)[1:], ".", "")
			if out, err := mudi(t, "import", file, "--layer", id, "--data", data); err != nil {
				t.Fatalf("re-import: %v\n%s", err, out)
			}
			_, got := storedLayer(t, data, id)
			sameFeatures(t, want, got, nil)
		})
	}

	// Mistakes are usage errors (exit status 2) that say what is wrong.
	for _, args := range [][]string{
		{"export", "--layer", "county", "--data", data},
		{"export", "--layer", "county", "--data", data, "-o", filepath.Join(dir, "x.kml")},
		{"export", "--layer", "county", "--data", data, "--format", "csv", "--encoding", "GBK", "-o", filepath.Join(dir, "x.csv")},
		{"export", "--layer", "county", "--data", data, "--crs", "EPSG:2385", "-o", filepath.Join(dir, "x.gpkg")},
	} {
		_, err := mudi(t, args...)
		var u usageError
		if !errors.As(err, &u) || u.msg == "" {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
	if _, err := mudi(t, "export", "--layer", "nope", "--data", data, "-o", filepath.Join(dir, "x.gpkg")); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown layer: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.gpkg")); err == nil {
		t.Error("a failed export left a file")
	}
}

// mudi import reads a GBK Shapefile made by GDAL, from the bare .shp with its siblings, as the
// real binary.
func TestImportGDALShapefileFromTheCommandLine(t *testing.T) {
	ogr2ogr, err := exec.LookPath("ogr2ogr")
	if err != nil {
		missingTool(t, "ogr2ogr not installed (Debian gdal-bin; .ci/run installs it)")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ds, err := fixtures.Generate(fixtures.Options{N: 500, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ds.Parcels.Features {
		f.Properties["所在园区名称"] = f.Properties["YQMC"]
	}
	if err := ds.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	shp := filepath.Join(dir, "gbk", "宗地.shp")
	os.MkdirAll(filepath.Dir(shp), 0o755)
	if out, err := exec.Command(ogr2ogr, "-f", "ESRI Shapefile", shp, filepath.Join(dir, fixtures.ParcelsFile),
		"-s_srs", "EPSG:4490", "-t_srs", "EPSG:4549", "-lco", "ENCODING=GBK").CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	cmd := mudiCmd(t, "import", shp, "--layer", "gbk", "--data", data)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mudi import: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "EPSG:4549, attributes in GBK (from .cpg)") || !strings.Contains(string(out), "imported 500 features") {
		t.Errorf("output:\n%s", out)
	}
	if out, err := mudi(t, "import", filepath.Join(dir, fixtures.ParcelsFile), "--layer", "original", "--data", data); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	_, want := storedLayer(t, data, "original")
	l, got := storedLayer(t, data, "gbk")
	if l.Source.CRS != "EPSG:4549" {
		t.Errorf("source CRS %q", l.Source.CRS)
	}
	sameFeatures(t, want, got, func(k string) string {
		if k == "所在园区名称" {
			return "所在园区名" // GDAL cut the name at 10 GBK bytes
		}
		return k
	})
}

var _ = io.Discard

// mudi export infers FlatGeobuf, GeoParquet and PMTiles from the -o extension; the archive of
// two layers holds, read with the npm pmtiles library, the tiles the application core's
// renderer (the one mudi serve uses) makes.
func TestExportInfersFormatsAndWritesArchives(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ds, err := fixtures.Generate(fixtures.Options{N: 300, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, l := range [][]string{{fixtures.ControlFile, "control", "--kind", "control"}, {fixtures.ParcelsFile, "county", "--control", "control"}} {
		if out, err := mudi(t, append([]string{"import", filepath.Join(dir, l[0]), "--layer", l[1], "--data", data}, l[2:]...)...); err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
	}
	for _, tt := range []struct{ file, format, magic string }{
		{"county.fgb", "fgb", "fgb\x03"},
		{"county.parquet", "parquet", "PAR1"},
	} {
		file := filepath.Join(dir, tt.file)
		out, err := mudi(t, "export", "--layer", "county", "--data", data, "-o", file)
		if err != nil || !strings.Contains(out, "exported 300 features") || !strings.Contains(out, " as "+tt.format+" ") {
			t.Fatalf("export -o %s: %v\n%s", tt.file, err, out)
		}
		if b, _ := os.ReadFile(file); !bytes.HasPrefix(b, []byte(tt.magic)) {
			t.Errorf("%s does not start with %q", tt.file, tt.magic)
		}
	}

	archive := filepath.Join(dir, "county.pmtiles")
	out, err := mudi(t, "export", "--layer", "county,control", "--minzoom", "11", "--maxzoom", "14", "--data", data, "-o", archive)
	if err != nil || !strings.Contains(out, "exported") || !strings.Contains(out, "as pmtiles: zooms 11 to 14") {
		t.Fatalf("export pmtiles: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(out))
	for _, args := range [][]string{
		{"--layer", "county", "--format", "pmtiles", "--crs", "EPSG:4549"},
		{"--layer", "county", "--minzoom", "15", "--maxzoom", "14"},
		{"--layer", "county", "--maxzoom", "0"},
		{"--layer", "county,county"},
		{"--layer", "county,control", "--format", "gpkg"},
	} {
		o := filepath.Join(dir, "bad.pmtiles")
		if slices.Contains(args, "gpkg") {
			o = filepath.Join(dir, "bad.gpkg")
		}
		_, err := mudi(t, append([]string{"export", "--data", data, "-o", o}, args...)...)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}

	node, err := exec.LookPath("node")
	reader := filepath.Join("..", "..", "tiles", "testdata", "pmtilesclient")
	if err != nil {
		missingTool(t, "node is not installed: the archive is read with the npm pmtiles library")
	}
	if _, err := os.Stat(filepath.Join(reader, "node_modules", "pmtiles")); err != nil {
		missingTool(t, "run npm ci in tiles/testdata/pmtilesclient")
	}
	tileDir := filepath.Join(dir, "tiles")
	cmd := exec.Command(node, filepath.Join(reader, "all.mjs"), archive, tileDir)
	cmd.Stderr = os.Stderr
	js, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Header struct{ MinZoom, MaxZoom int }
		Tiles  [][3]uint32
	}
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	if got.Header.MinZoom != 11 || got.Header.MaxZoom != 14 || len(got.Tiles) < 10 {
		t.Fatalf("header %+v, %d tiles", got.Header, len(got.Tiles))
	}
	core, db, err := openApp(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	layers := []*spatial.Snapshot{core.Index().Layer("county"), core.Index().Layer("control")}
	for _, c := range got.Tiles {
		b, err := os.ReadFile(filepath.Join(tileDir, fmt.Sprintf("%d-%d-%d.mvt", c[0], c[1], c[2])))
		if err != nil {
			t.Fatal(err)
		}
		want, err := core.Tiles().Renderer().Render(context.Background(), layers, tiles.Coord{Z: tiles.Zoom(c[0]), X: c[1], Y: c[2]})
		if err != nil || !bytes.Equal(b, want) {
			t.Fatalf("tile %v: %d bytes in the archive, the renderer makes %d (%v)", c, len(b), len(want), err)
		}
	}
}
