package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
)

// clock is a settable clock for the application core.
type clock struct{ t atomic.Pointer[time.Time] }

func (c *clock) set(s string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	c.t.Store(&t)
}

func (c *clock) now() time.Time { return *c.t.Load() }

// monitorCounty is a small hand-made county: four parcels in two districts, squares of about
// 100 m, with ledger and lifecycle dates. P-1 was supplied on 2024-05-10 and never started (its
// agreed start is 2025-05-10: idle for one year from 2026-05-10, two from 2027-05-10).
func monitorCounty() []byte {
	square := func(x, y float64) string {
		d := 0.001
		return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
			x, y, x+d, y, x+d, y+d, x, y+d, x, y)
	}
	parcels := []struct {
		x, y  float64
		props string
	}{
		{118.80, 28.90, `{"DKBH":"P-1","XZQMC":"柯城区","GDRQ":"2024-05-10","YDDGRQ":"2025-05-10","CRJK":100,"CZZT":"未启动"}`},
		{118.81, 28.90, `{"DKBH":"P-2","XZQMC":"柯城区","GDRQ":"2020-01-01","SJDGRQ":"2020-06-01","CZZT":"未启动","WCSX":"2026-12-31"}`},
		{118.82, 28.90, `{"DKBH":"P-3","XZQMC":"衢江区","GDRQ":"2021-03-01","SJDGRQ":"2021-04-01","CZZT":"未启动"}`},
		{118.83, 28.90, `{"DKBH":"P-4","XZQMC":"衢江区","GDRQ":"2022-03-01","CZZT":"处置中"}`},
	}
	var fs []string
	for _, p := range parcels {
		fs = append(fs, `{"type":"Feature","geometry":`+square(p.x, p.y)+`,"properties":`+p.props+`}`)
	}
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
}

// TestLedgerAsOfReplaysTheHistory edits parcels over three months and checks the ledger as it
// stood at the end of each month against the values replayed by hand.
func TestLedgerAsOfReplaysTheHistory(t *testing.T) {
	var clk clock
	clk.set("2026-01-05T02:00:00Z")
	ts := newTestServerWith(t, func(_ *Config, a *app.Config) { a.Now = clk.now })
	if r := ts.do("POST", "/api/layers?id=county", "application/geo+json", testKey, bytes.NewReader(monitorCounty())); r.status != 201 {
		t.Fatalf("import = %d %s", r.status, r.body)
	}
	patch := func(at, key, code, body string) {
		t.Helper()
		clk.set(at)
		if r := ts.do("PATCH", "/api/layers/county/parcels/"+code, "application/merge-patch+json", key, strings.NewReader(body)); r.status != 200 {
			t.Fatalf("%s %s at %s = %d %s", code, body, at, r.status, r.body)
		}
	}
	// January.
	patch("2026-01-10T03:00:00Z", editorKey, "P-1", `{"CZZT":"处置中","ZRDW":"柯城区经信局"}`)
	// February: 2026-02-28 23:30 in China is still February.
	patch("2026-02-15T03:00:00Z", editorKey, "P-2", `{"CZZT":"处置中","CZCS":"盘活"}`)
	patch("2026-02-28T15:30:00Z", editorKey, "P-1", `{"CZZT":"待核验"}`)
	// March: 2026-02-28 16:30 UTC is 2026-03-01 00:30 in China.
	patch("2026-02-28T16:30:00Z", reviewerKey, "P-1", `{"CZZT":"已销号"}`)
	patch("2026-03-20T03:00:00Z", editorKey, "P-2", `{"ZRDW":"衢江区经信局","CZCS":null}`)
	clk.set("2026-04-02T03:00:00Z")

	ledger := func(asOf string) map[string]map[string]any {
		t.Helper()
		r := ts.get("/api/ledger?layer=county&as_of=" + asOf)
		if r.status != 200 {
			t.Fatalf("ledger %s = %d %s", asOf, r.status, r.body)
		}
		out := map[string]map[string]any{}
		for _, row := range r.json(t)["rows"].([]any) {
			m := row.(map[string]any)
			out[m["code"].(string)] = m
		}
		return out
	}
	// Replayed by hand: code → CZZT, ZRDW, CZCS, XHRQ at the end of each month.
	want := map[string]map[string][4]any{
		"2025-12-31": {"P-1": {"未启动", nil, nil, nil}, "P-2": {"未启动", nil, nil, nil}},
		"2026-01-31": {"P-1": {"处置中", "柯城区经信局", nil, nil}, "P-2": {"未启动", nil, nil, nil}},
		"2026-02-28": {"P-1": {"待核验", "柯城区经信局", nil, nil}, "P-2": {"处置中", nil, "盘活", nil}},
		"2026-03-31": {"P-1": {"已销号", "柯城区经信局", nil, "2026-03-01"}, "P-2": {"处置中", "衢江区经信局", nil, nil}},
	}
	for asOf, parcels := range want {
		got := ledger(asOf)
		for code, w := range parcels {
			row := got[code]
			g := [4]any{row["CZZT"], row["ZRDW"], row["CZCS"], row["XHRQ"]}
			if g != w {
				t.Errorf("ledger as of %s, %s: CZZT, ZRDW, CZCS, XHRQ = %v, want %v", asOf, code, g, w)
			}
		}
		if len(got) != 4 {
			t.Errorf("ledger as of %s has %d rows, want 4", asOf, len(got))
		}
	}
	// The classes are computed as of the date too: P-1 (agreed start 2025-05-10, never
	// started) is idle for one year from 2026-05-10.
	if got := ledger("2026-03-31")["P-1"]["idle_class"]; got != "未闲置" {
		t.Errorf("P-1 idle class as of 2026-03-31 = %v, want 未闲置", got)
	}
	for _, bad := range []string{"2026-13-01", "yesterday", "2026-4-1", "2026-04-03"} {
		r := ts.get("/api/ledger?layer=county&as_of=" + bad)
		if r.status != 400 || r.json(t)["param"] != "as_of" {
			t.Errorf("as_of=%s = %d %s, want 400 naming as_of", bad, r.status, r.body)
		}
	}
}

// TestMonthlyReportCountsEqualABruteForceCount checks the report of the sample county against
// counts made directly over its features, and the targets' progress.
func TestMonthlyReportCountsEqualABruteForceCount(t *testing.T) {
	var clk clock
	clk.set("2026-11-21T08:00:00Z")
	ts := newTestServerWith(t, func(_ *Config, a *app.Config) { a.Now = clk.now })
	ts.loadSample()
	r := ts.get("/api/report?layer=parcels&month=2026-11&group_by=district")
	if r.status != 200 {
		t.Fatalf("report = %d %s", r.status, r.body)
	}
	rep := r.json(t)["report"].(map[string]any)
	sn := ts.index.Layer("parcels")
	type count struct {
		n  int
		mu float64
	}
	byState := map[string]map[string]*count{} // district → state → count
	for _, f := range sn.Features() {
		d, st := f.Attrs.String("XZQMC"), f.Attrs.String("CZZT")
		if byState[d] == nil {
			byState[d] = map[string]*count{}
		}
		if byState[d][st] == nil {
			byState[d][st] = &count{}
		}
		byState[d][st].n++
		byState[d][st].mu += f.Derived.AreaMu
	}
	stateKey := map[string]string{"未启动": "not_started", "处置中": "in_progress", "待核验": "awaiting_check", "已销号": "closed_off", "": "unset"}
	groups := rep["groups"].([]any)
	if len(groups) != len(byState) {
		t.Fatalf("report has %d groups, the county %d districts", len(groups), len(byState))
	}
	for _, g := range groups {
		gm := g.(map[string]any)
		d := gm["key"].([]any)[0].(string)
		states := gm["state"].(map[string]any)
		for st, c := range byState[d] {
			k, ok := stateKey[st]
			if !ok {
				k = "other"
			}
			got := states[k].(map[string]any)
			if int(got["parcels"].(float64)) < c.n || (k != "other" && (int(got["parcels"].(float64)) != c.n || math.Abs(got["mu"].(float64)-c.mu) > 1e-6)) {
				t.Errorf("%s %s: report %v, brute force %d parcels %.4f 亩", d, st, got, c.n, c.mu)
			}
		}
	}

	// Targets: 亩 to close off in 柯城区 by the end of 2026, from 2026-01-01.
	if r := ts.do("PUT", "/api/targets?layer=parcels", "application/json", editorKey,
		strings.NewReader(`{"group_by":["district"],"targets":[{"group":["柯城区"],"mu":100,"start":"2026-01-01","due":"2026-12-31"}]}`)); r.status != 403 {
		t.Errorf("targets with an editor key = %d, want 403", r.status)
	}
	if r := ts.do("PUT", "/api/targets?layer=parcels", "application/json", testKey,
		strings.NewReader(`{"group_by":["district"],"targets":[{"group":["柯城区"],"mu":0,"due":"2026-12-31"}]}`)); r.status != 400 {
		t.Errorf("a target of 0 亩 = %d, want 400", r.status)
	}
	if r := ts.do("PUT", "/api/targets?layer=parcels", "application/json", testKey,
		strings.NewReader(`{"group_by":["district"],"targets":[{"group":["柯城区"],"mu":100,"start":"2026-01-01","due":"2026-12-31"}]}`)); r.status != 200 {
		t.Fatalf("targets = %d %s", r.status, r.body)
	}
	var closedMu float64
	for _, f := range sn.Features() {
		if f.Attrs.String("XZQMC") == "柯城区" && f.Attrs.String("CZZT") == spatial.StateClosed {
			if x := f.Attrs.String("XHRQ"); x != "" && x >= "2026-01-01" && x <= "2026-11-30" {
				closedMu += f.Derived.AreaMu
			}
		}
	}
	targets := ts.get("/api/report?layer=parcels&month=2026-11&group_by=district").json(t)["report"].(map[string]any)["targets"].([]any)
	if len(targets) != 1 {
		t.Fatalf("targets in the report = %v", targets)
	}
	tg := targets[0].(map[string]any)
	// 334 of the 365 days of 2026 have passed at the end of November.
	if math.Abs(tg["closed_mu"].(float64)-closedMu) > 1e-6 || math.Abs(tg["progress"].(float64)-closedMu/100) > 1e-9 ||
		math.Abs(tg["elapsed"].(float64)-334.0/365) > 1e-9 {
		t.Errorf("target progress = %v, want closed %.4f 亩, progress %.4f, elapsed %.4f", tg, closedMu, closedMu/100, 334.0/365)
	}

	for _, bad := range []struct{ query, param string }{
		{"month=2026-13", "month"}, {"month=11-2026", "month"}, {"", "month"}, {"month=2027-01", "month"},
		{"month=2026-11&format=pdf", "format"}, {"month=2026-11&group_by=,", "group_by"}, {"month=2026-11&layer=nope", "layer"},
	} {
		r := ts.get("/api/report?layer=parcels&" + bad.query)
		if strings.Contains(bad.query, "layer=") {
			r = ts.get("/api/report?" + bad.query)
		}
		if r.status != 400 || r.json(t)["param"] != bad.param {
			t.Errorf("report %s = %d %s, want 400 naming %s", bad.query, r.status, r.body, bad.param)
		}
	}
}

// TestTilesShowTodaysClasses: a parcel that turns idle (橙) at midnight in China is 橙 in tiles
// requested after midnight, with no edit in between.
func TestTilesShowTodaysClasses(t *testing.T) {
	var clk clock
	clk.set("2026-05-09T15:59:00Z") // 2026-05-09 23:59 in China
	ts := newTestServerWith(t, func(_ *Config, a *app.Config) { a.Now = clk.now; a.TileCacheBytes = 16 << 20 })
	if r := ts.do("POST", "/api/layers?id=county", "application/geo+json", testKey, bytes.NewReader(monitorCounty())); r.status != 201 {
		t.Fatalf("import = %d %s", r.status, r.body)
	}
	warningOf := func() string {
		t.Helper()
		f := ts.get("/api/layers/county/parcels/P-1").json(t)
		w, _ := f["properties"].(map[string]any)["warning"].(string)
		return w
	}
	lon, lat := 118.8005, 28.9005 // inside P-1
	n := math.Exp2(14)
	x := int((lon + 180) / 360 * n)
	y := int((1 - math.Log(math.Tan(lat*math.Pi/180)+1/math.Cos(lat*math.Pi/180))/math.Pi) / 2 * n)
	tileURL := fmt.Sprintf("/tiles/county/14/%d/%d.mvt", x, y)
	before := ts.get(tileURL)
	if before.status != 200 {
		t.Fatalf("tile = %d", before.status)
	}
	if w := warningOf(); w != "黄" { // start overdue, not yet idle for a year
		t.Fatalf("P-1 warning before midnight = %q, want 黄", w)
	}
	clk.set("2026-05-09T16:01:00Z") // 2026-05-10 00:01 in China: idle for one year
	if w := warningOf(); w != "橙" {
		t.Fatalf("P-1 warning after midnight = %q, want 橙", w)
	}
	after := ts.get(tileURL)
	if after.status != 200 || bytes.Equal(before.body, after.body) || before.header.Get("ETag") == after.header.Get("ETag") {
		t.Fatalf("the tile did not change at midnight (ETag %s → %s)", before.header.Get("ETag"), after.header.Get("ETag"))
	}
	decoded := decodeTileProps(t, after.body, "county")
	if decoded["P-1"]["warning"] != "橙" || decoded["P-1"]["idle_class"] != "闲置满一年" {
		t.Errorf("P-1 in the tile after midnight: %v", decoded["P-1"])
	}
}

// decodeTileProps decodes an MVT tile with the reference decoder and returns, per parcel code
// (DKBH), its properties in layer.
func decodeTileProps(t *testing.T, mvt []byte, layer string) map[string]map[string]any {
	t.Helper()
	dir := filepath.Join("..", "tiles", "testdata", "mvtclient")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@mapbox", "vector-tile")); err != nil {
		missingTool(t, "the npm reference decoder (npm ci in tiles/testdata/mvtclient)")
	}
	f := filepath.Join(t.TempDir(), "t.mvt")
	if err := os.WriteFile(f, mvt, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `import {VectorTile} from '@mapbox/vector-tile'; import {PbfReader} from 'pbf'; import fs from 'fs';
const t = new VectorTile(new PbfReader(fs.readFileSync(process.argv[1]))); const l = t.layers[process.argv[2]]; const out = {};
for (let i = 0; l && i < l.length; i++) { const p = l.feature(i).properties; out[p.DKBH] = p; }
console.log(JSON.stringify(out));`
	cmd := exec.Command("node", "--input-type=module", "-e", script, f, layer)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, out)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("decode: %v\n%s", err, out)
	}
	return m
}

// TestLedgerAndReportWorkbooksOpenInExcelJS downloads the ledger and the monthly report as
// xlsx and reads them with exceljs, an independent reader: Chinese headers, one row per
// parcel, 亩 as numbers with four decimals, dates as dates, a totals row.
func TestLedgerAndReportWorkbooksOpenInExcelJS(t *testing.T) {
	var clk clock
	clk.set("2026-11-21T08:00:00Z")
	ts := newTestServerWith(t, func(_ *Config, a *app.Config) { a.Now = clk.now })
	ts.loadSample()
	dir := filepath.Join("..", "spatial", "gisio", "testdata", "xlsxreader")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "exceljs")); err != nil {
		missingTool(t, "exceljs (npm ci in spatial/gisio/testdata/xlsxreader)")
	}
	read := func(body []byte) []map[string]any {
		t.Helper()
		f := filepath.Join(t.TempDir(), "book.xlsx")
		if err := os.WriteFile(f, body, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("node", "read.mjs", f)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("exceljs: %v\n%s", err, out)
		}
		var doc struct {
			Sheets []map[string]any `json:"sheets"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			var sheets []map[string]any
			if err2 := json.Unmarshal(out, &sheets); err2 != nil {
				t.Fatalf("exceljs output: %v\n%.500s", err, out)
			}
			return sheets
		}
		return doc.Sheets
	}
	r := ts.get("/api/ledger?layer=parcels&format=xlsx")
	if r.status != 200 || r.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("ledger xlsx = %d %s", r.status, r.header.Get("Content-Type"))
	}
	sheets := read(r.body)
	rows := sheets[0]["rows"].([]any)
	header := rows[1].(map[string]any)["cells"].([]any)
	var names []string
	for _, c := range header {
		names = append(names, fmt.Sprint(c.(map[string]any)["value"]))
	}
	if !strings.HasPrefix(strings.Join(names, ","), "序号,地块编号,权利人,行政区") {
		t.Errorf("ledger headers = %v", names)
	}
	n := ts.index.Layer("parcels").Len()
	if len(rows) != n+2 {
		t.Errorf("ledger has %d rows, want a title, a header and %d parcels", len(rows), n)
	}
	var muCell, dateCell map[string]any
	for _, row := range rows[2:] {
		for _, c := range row.(map[string]any)["cells"].([]any) {
			cm := c.(map[string]any)
			switch col := int(cm["col"].(float64)); {
			case col == 7 && muCell == nil:
				muCell = cm
			case names[col-1] == "完成时限" && dateCell == nil:
				dateCell = cm
			}
		}
	}
	if muCell == nil || muCell["type"] != "number" || muCell["numFmt"] != "0.0000" {
		t.Errorf("亩 cell = %v, want a number formatted 0.0000", muCell)
	}
	if dateCell == nil || dateCell["type"] != "date" {
		t.Errorf("完成时限 cell = %v, want a date", dateCell)
	}
	r = ts.get("/api/report?layer=parcels&month=2026-11&group_by=district&format=xlsx")
	if r.status != 200 {
		t.Fatalf("report xlsx = %d %s", r.status, r.body)
	}
	sheets = read(r.body)
	last := sheets[0]["rows"].([]any)
	found := false
	for _, c := range last[len(last)-1].(map[string]any)["cells"].([]any) {
		if c.(map[string]any)["value"] == "合计" {
			found = true
		}
	}
	if !found {
		t.Errorf("the report's last row is not the 合计 row: %v", last[len(last)-1])
	}
}
