package api

import (
	"bytes"
	"context"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/api/packviewer"
	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// The pack's browser test: Debian's Chromium, driven by playwright-core (web/pack/test/pack.mjs),
// opens the unpacked February pack of the pack scenario from file:// with every network request
// aborted, and reports what it saw; this test checks it.

type packPagePoint struct {
	Code string  `json:"code"`
	Lon  float64 `json:"lon"`
	Lat  float64 `json:"lat"`
}

type packPageReport struct {
	Error string   `json:"error"`
	Steps []string `json:"steps"`
	State struct {
		Ready bool
		Error string
	}
	Title       string            `json:"title"`
	Lang        string            `json:"lang"`
	PickShown   bool              `json:"pickShown"`
	Screenshots map[string]string `json:"screenshots"`
	Positions   []struct {
		Code   string  `json:"code"`
		X      float64 `json:"x"`
		Y      float64 `json:"y"`
		Inside bool    `json:"inside"`
	} `json:"positions"`
	Legend        []string `json:"legend"`
	ConsoleErrors []string `json:"consoleErrors"`
	PageErrors    []string `json:"pageErrors"`
	Blocked       []string `json:"blocked"`
	Requests      []string `json:"requests"`
	Ledger        struct {
		Rows    int      `json:"rows"`
		Header  []string `json:"header"`
		Codes   []string `json:"codes"`
		Caption string   `json:"caption"`
	} `json:"ledger"`
	Report struct {
		Headings []string     `json:"headings"`
		Tables   [][][]string `json:"tables"`
		Visible  bool         `json:"visible"`
	} `json:"report"`
	Changes [][]string `json:"changes"`
}

func TestPackOpensFromFileInChromium(t *testing.T) {
	tools := packBrowserTools(t)
	ts, _ := packScenario(t)
	t.Run("archives embedded", func(t *testing.T) {
		r := ts.get("/api/pack?layer=county&month=2026-02")
		if r.status != 200 {
			t.Fatalf("pack = %d %s", r.status, r.body)
		}
		root := unpackTo(t, r.body)
		checkPackPage(t, runPackPage(t, tools, root, "", "embedded"), root)
	})
	// A county whose archives are too large to embed: the page asks for the pack's folder and
	// reads the archives from the picked files.
	t.Run("archives from the picked folder", func(t *testing.T) {
		var b bytes.Buffer
		if _, err := ts.app.Pack(context.Background(), &b, app.PackRequest{Layer: "county", Month: campaign.MustParseMonth("2026-02"),
			Viewer: packviewer.Files(), EmbedLimit: -1}); err != nil {
			t.Fatal(err)
		}
		root := unpackTo(t, b.Bytes())
		if _, err := os.Stat(filepath.Join(root, "data", "tiles-county.js")); err == nil {
			t.Fatal("an archive is embedded despite EmbedLimit -1")
		}
		rep := runPackPage(t, tools, root, root, "picked")
		if !rep.PickShown {
			t.Error("the page did not ask for the pack's folder")
		}
		checkPackPage(t, rep, root)
	})
}

type packTools struct{ node, chromium, dir string }

// packBrowserTools returns node, chromium and web/pack, or skips the test saying what is missing.
func packBrowserTools(t *testing.T) packTools {
	t.Helper()
	if !packviewer.MapBuilt() {
		missingTool(t, "the pack's map libraries are not built into this test binary: run make web (cd web/pack && npm ci && npm run build), then test again")
	}
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		if chromium, err = exec.LookPath("chromium"); err != nil {
			missingTool(t, "Chromium is not installed (apt-get install chromium): the browser test drives the system browser and never downloads one")
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missingTool(t, "node is not installed: the browser test runs web/pack/test/pack.mjs with playwright-core")
	}
	dir, _ := filepath.Abs(filepath.Join("..", "web", "pack"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err != nil {
		missingTool(t, "web/pack/node_modules is missing: run npm ci in web/pack (make web does)")
	}
	return packTools{node, chromium, dir}
}

// unpackTo writes the files of a pack into a new folder and returns it.
func unpackTo(t *testing.T, pack []byte) string {
	t.Helper()
	root := t.TempDir()
	for name, b := range unzipPack(t, pack) {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// runPackPage opens root/index.html with pack.mjs (picking folder pick when set) and returns
// its report; screenshots are named after name.
func runPackPage(t *testing.T, tools packTools, root, pick, name string) packPageReport {
	t.Helper()
	artifacts := os.Getenv("MUDITEST_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	artifacts = filepath.Join(artifacts, name)
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	// Centres of the parcels at the end of February (P-1 as reshaped).
	input := map[string]any{
		"index": filepath.Join(root, "index.html"), "chromium": tools.chromium, "artifacts": artifacts, "pick": pick,
		"parcels": []packPagePoint{{"P-1", 118.8007, 28.9007}, {"P-3", 118.8205, 28.9005}, {"P-4", 118.8305, 28.9005}, {"P-5", 118.8005, 28.9105}},
	}
	var rep packPageReport
	runNodeScript(t, tools.node, tools.dir, "pack.mjs", input, &rep)
	t.Logf("screenshots in %s; steps %v", artifacts, rep.Steps)
	return rep
}

// checkPackPage checks what the page showed of the February pack of the pack scenario.
func checkPackPage(t *testing.T, rep packPageReport, root string) {
	t.Helper()
	if !rep.State.Ready || rep.State.Error != "" {
		t.Errorf("the map is not ready: %+v", rep.State)
	}
	if rep.Lang != "zh-CN" || !strings.Contains(rep.Title, "示例县") || !strings.Contains(rep.Title, "2026-02") {
		t.Errorf("page lang %q title %q", rep.Lang, rep.Title)
	}
	if len(rep.ConsoleErrors) > 0 || len(rep.PageErrors) > 0 {
		t.Errorf("console errors %v, page errors %v", rep.ConsoleErrors, rep.PageErrors)
	}
	// No request leaves the pack: every one is a file of the unpacked folder, or the blob
	// MapLibre starts its worker from.
	prefix := "file://" + filepath.ToSlash(root) + "/"
	for _, u := range rep.Requests {
		if !strings.HasPrefix(u, prefix) && !strings.HasPrefix(u, "blob:") {
			t.Errorf("request outside the pack: %s", u)
		}
	}
	if len(rep.Blocked) > 0 {
		t.Errorf("blocked network requests: %v", rep.Blocked)
	}

	// The map draws the parcels in their status colours, as the screenshot shows them: fills of
	// opacity 0.75 over the background #f4f1ea, and where January's saved analysis lies (P-1,
	// P-3, P-4) its fill #e64a19 at 0.25 over them. Worked out by hand, channel by channel:
	//   P-5, efficient #43a047:       0.75·(67,160,71) + 0.25·(244,241,234)  = (111,180,112)
	//   P-3, P-4, efficient + result: 0.75·(111,180,112) + 0.25·(230,74,25)  = (141,154,90)
	//   P-1, idle #7b1fa2 + result:   0.75·(153,84,180) + 0.25·(230,74,25)   = (172,81,141)
	want := map[string]color.RGBA{
		"P-1": {172, 81, 141, 255}, "P-3": {141, 154, 90, 255}, "P-4": {141, 154, 90, 255}, "P-5": {111, 180, 112, 255},
	}
	if shot := rep.Screenshots["map"]; shot != "" && len(rep.Positions) == 4 {
		img := readPNG(t, shot)
		for _, p := range rep.Positions {
			if !p.Inside {
				t.Errorf("%s is outside the map view", p.Code)
				continue
			}
			got := img.At(int(p.X), int(p.Y))
			if d := colorDistance(got, want[p.Code]); d > 6 {
				t.Errorf("%s at (%.0f, %.0f) is drawn %v, want %v (off by %.0f)", p.Code, p.X, p.Y, got, want[p.Code], d)
			}
		}
	} else {
		t.Errorf("no map screenshot or positions: %v %v", rep.Screenshots, rep.Positions)
	}
	for _, l := range []string{"闲置", "其他"} {
		if !slices.Contains(rep.Legend, l) {
			t.Errorf("legend %v lacks %s", rep.Legend, l)
		}
	}

	// The ledger table has one row per parcel of the ledger at the end of February.
	if rep.Ledger.Rows != 4 || !slices.Equal(rep.Ledger.Codes, []string{"P-1", "P-3", "P-4", "P-5"}) {
		t.Errorf("ledger table: %d rows %v, want P-1 P-3 P-4 P-5", rep.Ledger.Rows, rep.Ledger.Codes)
	}
	if len(rep.Ledger.Header) < 2 || rep.Ledger.Header[1] != "地块编号" || !strings.Contains(rep.Ledger.Caption, "共 4 宗") {
		t.Errorf("ledger header %v caption %q", rep.Ledger.Header, rep.Ledger.Caption)
	}

	// The report: by district and by town, each with its 合计 row. By district at the end of
	// February: 柯城区 P-1, P-5; 衢江区 P-3 (closed off in February), P-4 (closed off in January).
	if !rep.Report.Visible || !slices.Equal(rep.Report.Headings, []string{"按行政区", "按乡镇(街道)"}) || len(rep.Report.Tables) != 2 {
		t.Fatalf("report shown: %+v", rep.Report)
	}
	district := rep.Report.Tables[0]
	rows := map[string][]string{}
	for _, row := range district[1:] {
		rows[row[0]] = row
	}
	col := func(name string) int { return slices.Index(district[0], name) }
	for _, c := range []struct {
		group                    string
		parcels, closed, inMonth string
	}{
		{"柯城区", "2", "0", "0"},
		{"衢江区", "2", "2", "1"},
		{"合计", "4", "2", "1"},
	} {
		row, ok := rows[c.group]
		if !ok || col("宗数") < 0 || col("已销号") < 0 || col("本月销号") < 0 {
			t.Errorf("report by district lacks %s or a column: %v", c.group, district)
			continue
		}
		if row[col("宗数")] != c.parcels || row[col("已销号")] != c.closed || row[col("本月销号")] != c.inMonth {
			t.Errorf("report %s: 宗数 %s 已销号 %s 本月销号 %s, want %s %s %s", c.group,
				row[col("宗数")], row[col("已销号")], row[col("本月销号")], c.parcels, c.closed, c.inMonth)
		}
	}

	// The changes of the month, listed.
	var changes []string
	for _, c := range rep.Changes {
		changes = append(changes, c[0]+" "+c[1])
	}
	if !slices.Equal(changes, []string{"新增 P-5", "移除 P-2", "图形变化 P-1", "销号 P-3"}) {
		t.Errorf("changes shown = %v", changes)
	}
}
