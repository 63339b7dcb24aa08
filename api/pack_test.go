package api

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/app"
)

// packParcel is a parcel of the pack tests: a square of 0.001° (about 100 m) at x, y.
type packParcel struct {
	x, y  float64
	props string
}

func packCollection(ps ...packParcel) string {
	var fs []string
	for _, p := range ps {
		fs = append(fs, feature(square(p.x, p.y, 0.001), p.props))
	}
	return collection(fs...)
}

// The parcels of the pack scenario. P-1 is idle (SFXZ 是): the map fills it purple, the others
// green.
var (
	packP1         = packParcel{118.80, 28.90, `{"DKBH":"P-1","XZQMC":"柯城区","XZMC":"府山街道","SFXZ":"是","CZZT":"未启动"}`}
	packP1Reshaped = packParcel{118.8002, 28.9002, `{"DKBH":"P-1","XZQMC":"柯城区","XZMC":"府山街道","SFXZ":"是","CZZT":"未启动"}`}
	packP2         = packParcel{118.81, 28.90, `{"DKBH":"P-2","XZQMC":"柯城区","XZMC":"府山街道","CZZT":"未启动"}`}
	packP3         = packParcel{118.82, 28.90, `{"DKBH":"P-3","XZQMC":"衢江区","XZMC":"樟潭街道","CZZT":"未启动"}`}
	packP4         = packParcel{118.83, 28.90, `{"DKBH":"P-4","XZQMC":"衢江区","XZMC":"樟潭街道","CZZT":"处置中"}`}
	packP5         = packParcel{118.80, 28.91, `{"DKBH":"P-5","XZQMC":"柯城区","XZMC":"白云街道","CZZT":"未启动"}`}
	packP6         = packParcel{118.81, 28.91, `{"DKBH":"P-6","XZQMC":"柯城区","XZMC":"白云街道","CZZT":"未启动"}`}
)

// packScenario builds a county over three months with a settable clock, and leaves the clock
// on 2026-03-10:
//
//   - 2026-01-05: control lines, then parcels P-1…P-4 imported; a small-parcels analysis saved
//     as "small"; P-4 closed off on 2026-01-12;
//   - February: P-3 closed off on 2026-02-20; on 2026-02-15 a re-survey reshapes P-1, drops
//     P-2 and adds P-5;
//   - 2026-03-05: a re-survey adds P-6.
func packScenario(t *testing.T) (*testServer, *clock) {
	t.Helper()
	var clk clock
	clk.set("2026-01-05T02:00:00Z")
	ts := newTestServerWith(t, func(_ *Config, a *app.Config) { a.Now = clk.now })
	if r := ts.upload("/api/layers?id=lines&kind=control&title=工业用地控制线", collection(feature(square(118.795, 28.895, 0.03), `{"KZXLX":"工业用地控制线"}`))); r.status != 201 {
		t.Fatalf("control = %d %s", r.status, r.body)
	}
	if r := ts.upload("/api/layers?id=county&title=示例县", packCollection(packP1, packP2, packP3, packP4)); r.status != 201 {
		t.Fatalf("import = %d %s", r.status, r.body)
	}
	if r := ts.do("POST", "/api/analyses", "application/json", testKey, strings.NewReader(`{"layer":"county","max_mu":50,"save_as":"small","title":"小于50亩地块"}`)); r.status != 201 {
		t.Fatalf("save analysis = %d %s", r.status, r.body)
	}
	patch := func(at, key, code, body string) {
		t.Helper()
		clk.set(at)
		if r := ts.do("PATCH", "/api/layers/county/parcels/"+code, "application/merge-patch+json", key, strings.NewReader(body)); r.status != 200 {
			t.Fatalf("%s %s at %s = %d %s", code, body, at, r.status, r.body)
		}
	}
	replace := func(at string, ps ...packParcel) {
		t.Helper()
		clk.set(at)
		if r := ts.do("PUT", "/api/layers/county", "application/geo+json", testKey, strings.NewReader(packCollection(ps...))); r.status != 200 {
			t.Fatalf("replace at %s = %d %s", at, r.status, r.body)
		}
	}
	patch("2026-01-10T03:00:00Z", editorKey, "P-4", `{"CZZT":"待核验"}`)
	patch("2026-01-12T03:00:00Z", reviewerKey, "P-4", `{"CZZT":"已销号"}`)
	patch("2026-02-03T03:00:00Z", editorKey, "P-3", `{"CZZT":"处置中"}`)
	patch("2026-02-10T03:00:00Z", editorKey, "P-3", `{"CZZT":"待核验"}`)
	replace("2026-02-15T03:00:00Z", packP1Reshaped, packP3, packP4, packP5)
	patch("2026-02-20T03:00:00Z", reviewerKey, "P-3", `{"CZZT":"已销号"}`)
	replace("2026-03-05T03:00:00Z", packP1Reshaped, packP3, packP4, packP5, packP6)
	clk.set("2026-03-10T03:00:00Z")
	return ts, &clk
}

// unzipPack reads a pack into memory, path → bytes, and checks that its entries are in path
// order.
func unzipPack(t *testing.T, body []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the pack is not a zip: %v", err)
	}
	files := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		files[f.Name] = b
		names = append(names, f.Name)
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("zip entries are not in path order: %v", names)
	}
	return files
}

type packManifest struct {
	Format string `json:"format"`
	Layer  string `json:"layer"`
	Month  string `json:"month"`
	AsOf   string `json:"as_of"`
	Since  string `json:"since"`
	Mudi   string `json:"mudi"`
	Layers []struct {
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		Version int    `json:"version"`
		Tiles   string `json:"tiles"`
		Data    string `json:"data"`
	} `json:"layers"`
	Ledger  int `json:"ledger_rows"`
	Changes struct{ Added, Removed, Reshaped, Closed int }
	Files   []struct {
		Path   string `json:"path"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"files"`
}

// changeList reads changes.geojson as "change code" lines, sorted.
func changeList(t *testing.T, b []byte) []string {
	t.Helper()
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry   struct{ Type string } `json:"geometry"`
			Properties map[string]any        `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil || fc.Type != "FeatureCollection" {
		t.Fatalf("changes.geojson: %v %.200s", err, b)
	}
	var out []string
	for _, f := range fc.Features {
		if f.Geometry.Type != "Polygon" {
			t.Errorf("change %v has geometry %q", f.Properties, f.Geometry.Type)
		}
		out = append(out, fmt.Sprintf("%v %v %v", f.Properties["change"], f.Properties["code"], f.Properties["date"]))
	}
	slices.Sort(out)
	return out
}

// TestPackMonth builds the packs of January and February of the scenario and checks them: the
// manifest against every file's size and SHA-256, the change layer against the changes made,
// the workbooks with exceljs, the style's sources, and that the same request gives the same
// bytes.
func TestPackMonth(t *testing.T) {
	ts, _ := packScenario(t)
	r := ts.get("/api/pack?layer=county&month=2026-02")
	if r.status != 200 || r.header.Get("Content-Type") != "application/zip" ||
		r.header.Get("Content-Disposition") != `attachment; filename="county-2026-02.zip"` {
		t.Fatalf("pack = %d %s %s %.300s", r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"), r.body)
	}
	files := unzipPack(t, r.body)

	var m packManifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if m.Format != "mudi-pack/1" || m.Layer != "county" || m.Month != "2026-02" || m.AsOf != "2026-02-28" || m.Since != "2026-01-31" || m.Mudi == "" {
		t.Errorf("manifest = %+v", m)
	}
	// Every file but the manifest is listed, with its size and SHA-256.
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Path] = true
		b, ok := files[f.Path]
		if !ok {
			t.Errorf("manifest lists %s, which the zip lacks", f.Path)
			continue
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != f.SHA256 || int64(len(b)) != f.Size {
			t.Errorf("%s: size %d sha256 %s, manifest says %d %s", f.Path, len(b), got, f.Size, f.SHA256)
		}
	}
	for name := range files {
		if name != "manifest.json" && !listed[name] {
			t.Errorf("the zip has %s, which the manifest does not list", name)
		}
	}
	for _, want := range []string{"tiles/county.pmtiles", "tiles/lines.pmtiles", "tiles/small.pmtiles",
		"data/county.gpkg", "data/lines.gpkg", "data/small.gpkg", "台账.xlsx", "月报.xlsx", "changes.geojson", "style.json",
		"index.html", "assets/viewer.js", "assets/viewer.css", "data/pack.js", "data/ledger.js", "data/report.js", "data/changes.js",
		"data/tiles-county.js", "data/tiles-lines.js", "data/tiles-small.js"} {
		if _, ok := files[want]; !ok {
			t.Errorf("the pack lacks %s", want)
		}
	}
	for name := range files {
		if strings.Contains(name, "/.") || strings.HasPrefix(name, ".") {
			t.Errorf("the pack holds the dot file %s", name)
		}
	}
	var layers []string
	for _, l := range m.Layers {
		layers = append(layers, fmt.Sprintf("%s %s v%d %s %s", l.ID, l.Kind, l.Version, l.Tiles, l.Data))
	}
	// county: v1 import, four ledger edits, the February re-survey (v6), one edit, the March
	// re-survey (v8).
	if want := []string{"county parcels v8 tiles/county.pmtiles data/county.gpkg", "lines control v1 tiles/lines.pmtiles data/lines.gpkg",
		"small derived v1 tiles/small.pmtiles data/small.gpkg"}; !slices.Equal(layers, want) {
		t.Errorf("manifest layers =\n%v\nwant\n%v", layers, want)
	}
	for _, name := range []string{"tiles/county.pmtiles", "tiles/lines.pmtiles"} {
		if b := files[name]; len(b) < 127 || string(b[:7]) != "PMTiles" || b[7] != 3 {
			t.Errorf("%s is not a PMTiles v3 archive", name)
		}
	}
	if b := files["data/county.gpkg"]; len(b) < 16 || string(b[:16]) != "SQLite format 3\x00" {
		t.Errorf("data/county.gpkg is not an SQLite file")
	}

	// The change layer: exactly what February changed.
	want := []string{"added P-5 2026-02-15", "closed P-3 2026-02-20", "removed P-2 2026-02-15", "reshaped P-1 2026-02-15"}
	if got := changeList(t, files["changes.geojson"]); !slices.Equal(got, want) {
		t.Errorf("February changes =\n%v\nwant\n%v", got, want)
	}
	if m.Changes.Added != 1 || m.Changes.Removed != 1 || m.Changes.Reshaped != 1 || m.Changes.Closed != 1 {
		t.Errorf("manifest changes = %+v", m.Changes)
	}
	// The ledger at the end of February: P-1, P-3, P-4, P-5 (P-2 gone, P-6 still to come).
	if m.Ledger != 4 {
		t.Errorf("manifest ledger rows = %d, want 4", m.Ledger)
	}

	// The style: one source per archive, relative pmtiles:// URLs, every style layer on the
	// source of its layer.
	var style struct {
		Sources map[string]struct{ Type, URL string }
		Layers  []map[string]any
	}
	if err := json.Unmarshal(files["style.json"], &style); err != nil {
		t.Fatalf("style.json: %v", err)
	}
	for id, wantURL := range map[string]string{"county": "pmtiles://tiles/county.pmtiles", "lines": "pmtiles://tiles/lines.pmtiles", "small": "pmtiles://tiles/small.pmtiles"} {
		if s := style.Sources[id]; s.Type != "vector" || s.URL != wantURL {
			t.Errorf("style source %s = %+v, want vector %s", id, s, wantURL)
		}
	}
	if len(style.Sources) != 3 {
		t.Errorf("style sources = %v", style.Sources)
	}
	for _, l := range style.Layers {
		if sl, ok := l["source-layer"]; ok && l["source"] != sl {
			t.Errorf("style layer %v: source %v, source-layer %v", l["id"], l["source"], sl)
		}
	}

	// The same store and month give the same bytes (three times: a workbook writer that
	// ordered its entries by chance would differ in one of them with odds of 3 in 4).
	for range 3 {
		again := ts.get("/api/pack?layer=county&month=2026-02")
		if bytes.Equal(again.body, r.body) {
			continue
		}
		t.Errorf("a second pack of the same month differs (%d and %d bytes)", len(r.body), len(again.body))
		second := unzipPack(t, again.body)
		for name, b := range files {
			if !bytes.Equal(b, second[name]) {
				t.Errorf("%s differs", name)
			}
		}
		break
	}

	// January: the import brought P-1…P-4, and P-4 was closed off.
	jan := unzipPack(t, ts.get("/api/pack?layer=county&month=2026-01").body)
	want = []string{"added P-1 2026-01-05", "added P-2 2026-01-05", "added P-3 2026-01-05", "added P-4 2026-01-05", "closed P-4 2026-01-12"}
	if got := changeList(t, jan["changes.geojson"]); !slices.Equal(got, want) {
		t.Errorf("January changes =\n%v\nwant\n%v", got, want)
	}
	// Its ledger holds P-2, removed since, and not P-5 and P-6, added since.
	if err := json.Unmarshal(jan["manifest.json"], &m); err != nil || m.Ledger != 4 {
		t.Errorf("January manifest: %d ledger rows (%v), want 4", m.Ledger, err)
	}
	if js := string(jan["data/ledger.js"]); !strings.Contains(js, `"P-2"`) || strings.Contains(js, `"P-5"`) || strings.Contains(js, `"P-6"`) {
		t.Errorf("January ledger.js: %.400s", js)
	}
	// March, the month in progress: as of today; P-6 added.
	mar := unzipPack(t, ts.get("/api/pack?layer=county&month=2026-03").body)
	if got := changeList(t, mar["changes.geojson"]); !slices.Equal(got, []string{"added P-6 2026-03-05"}) {
		t.Errorf("March changes = %v, want added P-6", got)
	}
	if err := json.Unmarshal(mar["manifest.json"], &m); err != nil || m.AsOf != "2026-03-10" || m.Ledger != 5 {
		t.Errorf("March manifest: as of %s with %d ledger rows (%v), want 2026-03-10 and 5", m.AsOf, m.Ledger, err)
	}

	// Last, as it may be skipped without exceljs: the workbooks open in exceljs; the ledger has
	// a title, a header and the four parcels, the report a sheet per grouping the layer has
	// (district and town; it has no park).
	dir := filepath.Join("..", "spatial", "gisio", "testdata", "xlsxreader")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "exceljs")); err != nil {
		missingTool(t, "exceljs (npm ci in spatial/gisio/testdata/xlsxreader)")
	}
	read := func(name string) []map[string]any {
		t.Helper()
		f := filepath.Join(t.TempDir(), "book.xlsx")
		if err := os.WriteFile(f, files[name], 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("node", "read.mjs", f)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("exceljs %s: %v\n%s", name, err, out)
		}
		var doc struct {
			Sheets []map[string]any `json:"sheets"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("exceljs output: %v\n%.500s", err, out)
		}
		return doc.Sheets
	}
	ledger := read("台账.xlsx")
	rows := ledger[0]["rows"].([]any)
	var codes []string
	for _, row := range rows[2:] {
		for _, c := range row.(map[string]any)["cells"].([]any) {
			if cm := c.(map[string]any); cm["col"] == 2.0 {
				codes = append(codes, fmt.Sprint(cm["value"]))
			}
		}
	}
	if !slices.Equal(codes, []string{"P-1", "P-3", "P-4", "P-5"}) {
		t.Errorf("台账.xlsx codes = %v, want P-1 P-3 P-4 P-5", codes)
	}
	var sheets []string
	for _, s := range read("月报.xlsx") {
		sheets = append(sheets, s["name"].(string))
	}
	if !slices.Equal(sheets, []string{"按行政区", "按乡镇"}) {
		t.Errorf("月报.xlsx sheets = %v, want 按行政区 按乡镇", sheets)
	}
}

// TestPackParameters checks the 400 problems of GET /api/pack, each naming its parameter, the
// answer to HEAD, and the route's OpenAPI entry.
func TestPackParameters(t *testing.T) {
	ts, _ := packScenario(t)
	if r := ts.do("HEAD", "/api/pack?layer=county&month=2026-02", "", "", nil); r.status != 200 || r.header.Get("Content-Type") != "application/zip" || len(r.body) != 0 {
		t.Errorf("HEAD = %d %s, %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	doc := ts.get("/api/openapi.json").json(t)
	op, _ := doc["paths"].(map[string]any)["/api/pack"].(map[string]any)["get"].(map[string]any)
	if op == nil || op["operationId"] != "pack" {
		t.Fatalf("OpenAPI /api/pack get = %v", op)
	}
	var params []string
	for _, p := range op["parameters"].([]any) {
		params = append(params, p.(map[string]any)["name"].(string))
	}
	if !slices.Equal(params, []string{"layer", "month"}) {
		t.Errorf("OpenAPI /api/pack parameters = %v", params)
	}
	for _, c := range []struct {
		name, query, param string
	}{
		{"month missing", "layer=county", "month"},
		{"month not a month", "layer=county&month=2026-13", "month"},
		{"month not begun", "layer=county&month=2026-04", "month"},
		{"unknown layer", "layer=nope&month=2026-02", "layer"},
		{"not a parcels layer", "layer=lines&month=2026-02", "layer"},
		{"unknown parameter", "layer=county&month=2026-02&as_of=2026-02-01", "as_of"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ts.get("/api/pack?" + c.query)
			if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
			}
			if p := r.json(t)["param"]; p != c.param {
				t.Errorf("problem names %v, want %s: %s", p, c.param, r.body)
			}
		})
	}
}

// TestPackTilesAreServedTiles reads the archives of the pack of the month in progress with the
// pmtiles library (tiles/testdata/pmtilesclient) and compares tiles with those the server
// sends for the same layers: the same bytes.
func TestPackTilesAreServedTiles(t *testing.T) {
	dir := filepath.Join("..", "tiles", "testdata", "pmtilesclient")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "pmtiles")); err != nil {
		missingTool(t, "the pmtiles reader (npm ci in tiles/testdata/pmtilesclient)")
	}
	ts, _ := packScenario(t)
	r := ts.get("/api/pack?layer=county&month=2026-03")
	if r.status != 200 {
		t.Fatalf("pack = %d %s", r.status, r.body)
	}
	files := unzipPack(t, r.body)
	// Tiles over P-1 (z14 and z12) and P-3 (z14), worked out from the tile formulas.
	coords := [][3]int{{14, 13598, 6817}, {14, 13599, 6817}, {12, 3399, 1704}}
	want, _ := json.Marshal(coords)
	for _, layer := range []string{"county", "lines", "small"} {
		archive := filepath.Join(t.TempDir(), layer+".pmtiles")
		if err := os.WriteFile(archive, files["tiles/"+layer+".pmtiles"], 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("node", "read.mjs", archive)
		cmd.Dir = dir
		cmd.Stdin = bytes.NewReader(want)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("read.mjs %s: %v", layer, err)
		}
		var doc struct{ Tiles map[string][]byte }
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("read.mjs %s: %v", layer, err)
		}
		for _, c := range coords {
			key := fmt.Sprintf("%d/%d/%d", c[0], c[1], c[2])
			served := ts.get(fmt.Sprintf("/tiles/%s/%s.mvt", layer, key))
			if served.status != 200 || len(doc.Tiles[key]) == 0 {
				t.Errorf("%s %s: served %d, archive %d bytes", layer, key, served.status, len(doc.Tiles[key]))
				continue
			}
			if !bytes.Equal(served.body, doc.Tiles[key]) {
				t.Errorf("%s %s: the archive's tile (%d bytes) is not the served one (%d bytes)", layer, key, len(doc.Tiles[key]), len(served.body))
			}
		}
	}
}
