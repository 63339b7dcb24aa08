package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// The ledger's browser test: web/test/ledger.mjs, in Debian's Chromium, edits a parcel's ledger
// in its popup with an editor's key, opens a second parcel from the dashboard's ledger table and
// tries the moves the server refuses, reads the ledger table, the monthly report and the progress
// chart, and photographs parcels on the warning map. This test checks what it saw against the
// API.

type ledgerInput struct {
	Base      string `json:"base"`
	Chromium  string `json:"chromium"`
	Artifacts string `json:"artifacts"`
	Key       string `json:"key"`
	Edit      struct {
		Code string  `json:"code"`
		Lon  float64 `json:"lon"`
		Lat  float64 `json:"lat"`
		CZCS string  `json:"czcs"`
		WCSX string  `json:"wcsx"`
	} `json:"edit"`
	Ret struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
	} `json:"ret"`
	Warning []viewerPoint `json:"warning"`
}

type ledgerReport struct {
	Error         string            `json:"error"`
	Steps         []string          `json:"steps"`
	Screenshots   map[string]string `json:"screenshots"`
	ConsoleErrors []string          `json:"consoleErrors"`
	PageErrors    []string          `json:"pageErrors"`
	Blocked       []string          `json:"blocked"`
	Requests      struct {
		Total    int      `json:"total"`
		Tiles    int      `json:"tiles"`
		NonLocal []string `json:"nonLocal"`
		URLs     []string `json:"urls"`
	} `json:"requests"`
	Key struct {
		DialogOpen bool   `json:"dialogOpen"`
		Stored     string `json:"stored"`
		Button     string `json:"button"`
	} `json:"key"`
	Before struct {
		State  string   `json:"state"`
		Moves  []string `json:"moves"`
		Inputs []struct{ Name, Type string }
	} `json:"before"`
	After struct {
		State, CZCS, WCSX string
		History           []string `json:"history"`
		TileRequests      int      `json:"tileRequests"`
	} `json:"after"`
	Table struct {
		Rows             int      `json:"rows"`
		Headers          []string `json:"headers"`
		Count            string   `json:"count"`
		SortedByAreaDesc []string `json:"sortedByAreaDesc"`
		AriaSort         string   `json:"ariaSort"`
		InProgress       []string `json:"inProgress"`
	} `json:"table"`
	Row struct {
		Center      [2]float64    `json:"center"`
		Bounds      [2][2]float64 `json:"bounds"`
		State       string        `json:"state"`
		Moves       []string      `json:"moves"`
		CloseOff    struct{ ID, Text string }
		ReasonLabel string `json:"reasonLabel"`
		NoReason    struct{ ID, Text string }
		After       string `json:"after"`
	} `json:"row"`
	Report struct {
		SelectedTab string `json:"selectedTab"`
		Groups      []struct {
			Group string   `json:"group"`
			Cells []string `json:"cells"`
		} `json:"groups"`
		Total   []string `json:"total"`
		Headers []string `json:"headers"`
		Month   string   `json:"month"`
	} `json:"report"`
	Downloads map[string]struct {
		Href   string `json:"href"`
		Status int    `json:"status"`
		Type   string `json:"type"`
		Size   int    `json:"size"`
		Zip    bool   `json:"zip"`
	} `json:"downloads"`
	Chart struct {
		Width, Height, Painted, Colours int
		Note                            string
	} `json:"chart"`
	WarningLegend []string `json:"warningLegend"`
	ModeRadio     bool     `json:"modeRadio"`
	Warning       []struct {
		Code       string  `json:"code"`
		X          float64 `json:"x"`
		Y          float64 `json:"y"`
		Inside     bool    `json:"inside"`
		Screenshot string  `json:"screenshot"`
	} `json:"warning"`
}

// ledgerRow is a row of GET /api/ledger, as far as this test reads it.
type ledgerRow struct {
	Code     string     `json:"code"`
	District string     `json:"district"`
	AreaMu   float64    `json:"area_mu"`
	Warning  *string    `json:"warning"`
	CZZT     *string    `json:"CZZT"`
	CZCS     *string    `json:"CZCS"`
	WCSX     *string    `json:"WCSX"`
	BBox     [4]float64 `json:"bbox"`
}

// The warning map's colours, and its opacity over the background.
var warningColors = map[string]string{"红": "#d32f2f", "橙": "#f57c00", "黄": "#fbc02d", "绿": "#388e3c", "": "#9e9e9e"}

const warningOpacity = 0.75

func TestLedgerViewerInChromium(t *testing.T) {
	node, chromium, webDir := browserTools(t)
	ts := newViewerServer(t, "")
	ts.loadSample()
	parcels := ts.index.Layer("parcels")
	control := ts.index.Layer("control-lines").Features()

	ledger := func() (asOf string, rows []ledgerRow) {
		r := ts.get("/api/ledger?layer=parcels")
		if r.status != 200 {
			t.Fatalf("ledger = %d %s", r.status, r.body)
		}
		var l struct {
			AsOf string      `json:"as_of"`
			Rows []ledgerRow `json:"rows"`
		}
		if err := json.Unmarshal(r.body, &l); err != nil {
			t.Fatal(err)
		}
		return l.AsOf, l.Rows
	}
	_, before := ledger()
	byCode := map[string]ledgerRow{}
	for _, r := range before {
		byCode[r.Code] = r
	}

	// Candidates: parcels wide enough to click and to photograph, clear of the control lines.
	type candidate struct {
		f      *spatial.Feature
		code   string
		at     [2]float64
		radius float64
	}
	var cands []candidate
	for _, f := range parcels.Features() {
		code, _ := f.Attrs.Value("DKBH").(string)
		if code == "" || f.Derived.ControlPosition == spatial.Straddling || f.Derived.AreaMu < 30 {
			continue
		}
		at, radius := interiorPoint(f.Geometry)
		if radius < 30 {
			continue
		}
		margin := math.Inf(1)
		for _, c := range control {
			margin = math.Min(margin, distanceToBoundary(c.Geometry, at))
		}
		if margin < 20 {
			continue
		}
		cands = append(cands, candidate{f, code, [2]float64{at[0], at[1]}, radius})
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].radius > cands[j].radius })
	unset := func(c candidate) bool { s := byCode[c.code].CZZT; return s == nil || *s == "" || *s == "未启动" }

	in := ledgerInput{Chromium: chromium, Key: editorKey, Base: ts.http.URL}
	var a, b *candidate
	for i := range cands {
		if !unset(cands[i]) {
			continue
		}
		if a == nil {
			a = &cands[i]
		} else if b == nil {
			b = &cands[i]
			break
		}
	}
	if a == nil || b == nil {
		t.Fatal("the sample has no two wide parcels without a disposal state")
	}
	in.Edit.Code, in.Edit.Lon, in.Edit.Lat = a.code, a.at[0], a.at[1]
	in.Edit.CZCS, in.Edit.WCSX = "企业自行盘活：引进智能装备项目\n2027 年上半年完成厂房改造", "2027-06-30"
	in.Ret.Code, in.Ret.Reason = b.code, "核验发现厂房尚未投产，退回继续处置"
	// The second parcel waits for review: moved there through the API by the same editor.
	for _, body := range []string{`{"CZZT":"处置中"}`, `{"CZZT":"待核验"}`} {
		if r := ts.do("PATCH", "/api/layers/parcels/parcels/"+url.PathEscape(b.code), "application/merge-patch+json", editorKey, strings.NewReader(body)); r.status != 200 {
			t.Fatalf("PATCH %s %s = %d %s", b.code, body, r.status, r.body)
		}
	}
	// Warning samples: up to three parcels of each level, the edited ones left out.
	perLevel := map[string]int{}
	for _, c := range cands {
		if c.code == a.code || c.code == b.code {
			continue
		}
		w := ""
		if p := byCode[c.code].Warning; p != nil {
			w = *p
		}
		if _, ok := warningColors[w]; !ok || perLevel[w] >= 3 {
			continue
		}
		perLevel[w]++
		in.Warning = append(in.Warning, viewerPoint{ID: c.f.ID, Lon: c.at[0], Lat: c.at[1], Code: c.code})
	}
	t.Logf("warning samples per level: %v", perLevel)

	in.Artifacts = os.Getenv("MUDITEST_ARTIFACTS")
	if in.Artifacts == "" {
		in.Artifacts = t.TempDir()
	}
	if err := os.MkdirAll(in.Artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	var rep ledgerReport
	runNodeScript(t, node, webDir, "ledger.mjs", in, &rep)
	t.Logf("screenshots in %s; %d requests, %d tiles", in.Artifacts, rep.Requests.Total, rep.Requests.Tiles)

	asOf, after := ledger()
	afterByCode := map[string]ledgerRow{}
	for _, r := range after {
		afterByCode[r.Code] = r
	}

	t.Run("nothing but 127.0.0.1, no console errors, the key never in a URL", func(t *testing.T) {
		if len(rep.Blocked) > 0 || len(rep.Requests.NonLocal) > 0 {
			t.Errorf("requests left 127.0.0.1: blocked %v, seen %v", rep.Blocked, rep.Requests.NonLocal)
		}
		// The browser logs the refused close-off (403) of the second parcel: that one is expected.
		var errs []string
		for _, e := range rep.ConsoleErrors {
			if !(strings.Contains(e, "403") && strings.Contains(e, "/parcels/"+url.PathEscape(b.code))) {
				errs = append(errs, e)
			}
		}
		if len(errs)+len(rep.PageErrors) > 0 {
			t.Errorf("console errors %q, page errors %q", errs, rep.PageErrors)
		}
		for _, u := range rep.Requests.URLs {
			if strings.Contains(u, editorKey) {
				t.Errorf("the key is in a URL: %s", u)
			}
		}
		if rep.Key.DialogOpen || rep.Key.Stored != editorKey {
			t.Errorf("key dialog: %+v", rep.Key)
		}
	})

	t.Run("the edit form offers the next states and edits dates as dates", func(t *testing.T) {
		if !slices.Equal(rep.Before.Moves, []string{"处置中"}) || rep.Before.State != "未启动" {
			t.Errorf("parcel %s: state %q, moves %v; want 未启动 and [处置中]", a.code, rep.Before.State, rep.Before.Moves)
		}
		types := map[string]string{}
		for _, i := range rep.Before.Inputs {
			types[i.Name] = i.Type
		}
		want := map[string]string{"XCYY": "text", "CZCS": "textarea", "WCSX": "date", "ZRDW": "text", "ZRR": "text"}
		for k, v := range want {
			if types[k] != v {
				t.Errorf("input %s is %q, want %q (all: %v)", k, types[k], v, types)
			}
		}
	})

	t.Run("the saved edit is the API's parcel and its history names the editor key", func(t *testing.T) {
		r := ts.get("/api/layers/parcels/parcels/" + url.PathEscape(a.code))
		p := r.json(t)
		props := p["properties"].(map[string]any)
		if p["state"] != "处置中" || props["CZCS"] != in.Edit.CZCS || props["WCSX"] != in.Edit.WCSX {
			t.Errorf("API parcel %s: state %v, CZCS %q, WCSX %v", a.code, p["state"], props["CZCS"], props["WCSX"])
		}
		if rep.After.State != "处置中" || rep.After.WCSX != in.Edit.WCSX || rep.After.CZCS != in.Edit.CZCS {
			t.Errorf("popup after saving: %+v", rep.After)
		}
		h := ts.get("/api/layers/parcels/parcels/" + url.PathEscape(a.code) + "/history").json(t)
		keys := map[string]string{}
		for _, c := range h["changes"].([]any) {
			c := c.(map[string]any)
			keys[c["key"].(string)] = c["actor"].(string)
		}
		for _, k := range []string{"CZCS", "WCSX", "CZZT"} {
			if keys[k] != "zhang-editor" {
				t.Errorf("history of %s: %s by %q, want zhang-editor (all %v)", a.code, k, keys[k], keys)
			}
		}
		if len(rep.After.History) != len(keys) || !strings.Contains(strings.Join(rep.After.History, "\n"), "zhang-editor") {
			t.Errorf("popup history %q; API has %d changes", rep.After.History, len(keys))
		}
		if rep.After.TileRequests == 0 {
			t.Error("the map did not fetch tiles again after the save")
		}
	})

	t.Run("the ledger table has the API's rows, sorted and filtered", func(t *testing.T) {
		if rep.Table.Rows != len(before) || len(before) != parcels.Len() {
			t.Errorf("table rows %d, API ledger rows %d, parcels %d", rep.Table.Rows, len(before), parcels.Len())
		}
		bySize := append([]ledgerRow(nil), after...)
		sort.SliceStable(bySize, func(i, j int) bool { return bySize[i].AreaMu > bySize[j].AreaMu })
		for i, code := range rep.Table.SortedByAreaDesc {
			if math.Abs(afterByCode[code].AreaMu-bySize[i].AreaMu) > 1e-9 {
				t.Errorf("row %d sorted by area: %s (%v 亩), the API's %d-th largest is %v 亩", i, code, afterByCode[code].AreaMu, i+1, bySize[i].AreaMu)
			}
		}
		if rep.Table.AriaSort != "descending" {
			t.Errorf("aria-sort %q", rep.Table.AriaSort)
		}
		var want []string
		for _, r := range after {
			if r.CZZT != nil && *r.CZZT == "处置中" {
				want = append(want, r.Code)
			}
		}
		got := slices.Clone(rep.Table.InProgress)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || !slices.Contains(got, a.code) || !slices.Contains(got, b.code) {
			t.Errorf("filtered on 处置中: %v, API %v", got, want)
		}
	})

	t.Run("a row zooms to its parcel and the refused moves show next to their fields", func(t *testing.T) {
		bb := afterByCode[b.code].BBox
		lo, hi := rep.Row.Bounds[0], rep.Row.Bounds[1]
		// The map fits the parcel, then pans so that its popup fits: the parcel's middle stays in
		// view and the view is a close-up.
		cx, cy := (bb[0]+bb[2])/2, (bb[1]+bb[3])/2
		if !(lo[0] <= cx && cx <= hi[0] && lo[1] <= cy && cy <= hi[1]) || hi[0]-lo[0] > 10*(bb[2]-bb[0]) {
			t.Errorf("map bounds %v after the row click; parcel bbox %v", rep.Row.Bounds, bb)
		}
		if rep.Row.State != "待核验" || !slices.Equal(rep.Row.Moves, []string{"处置中", "已销号"}) {
			t.Errorf("parcel %s: state %q, moves %v", b.code, rep.Row.State, rep.Row.Moves)
		}
		if !strings.HasSuffix(rep.Row.CloseOff.ID, "-CZZT-error") || !strings.Contains(rep.Row.CloseOff.Text, "处置状态") {
			t.Errorf("closing off with an editor key: error %+v, want it next to 处置状态", rep.Row.CloseOff)
		}
		if !strings.HasSuffix(rep.Row.NoReason.ID, "-reason-error") || !strings.Contains(rep.Row.ReasonLabel, "必填") {
			t.Errorf("returning without a reason: error %+v, label %q", rep.Row.NoReason, rep.Row.ReasonLabel)
		}
		h := ts.get("/api/layers/parcels/parcels/" + url.PathEscape(b.code) + "/history").json(t)
		changes := h["changes"].([]any)
		last := changes[len(changes)-1].(map[string]any)
		if rep.Row.After != "处置中" || last["after"] != "处置中" || last["reason"] != in.Ret.Reason || last["actor"] != "zhang-editor" {
			t.Errorf("returned parcel %s: popup %q, last change %v", b.code, rep.Row.After, last)
		}
	})

	t.Run("the monthly report shows the API's figures", func(t *testing.T) {
		if rep.Report.SelectedTab != "dash-tab-report" || rep.Report.Month != asOf[:7] {
			t.Errorf("report tab %q, month %q (ledger as of %s)", rep.Report.SelectedTab, rep.Report.Month, asOf)
		}
		r := ts.get("/api/report?layer=parcels&group_by=district&month=" + rep.Report.Month)
		if r.status != 200 {
			t.Fatalf("report = %d %s", r.status, r.body)
		}
		var api struct {
			Report struct {
				Groups []struct {
					Key []string `json:"key"`
					reportTally
				} `json:"groups"`
				Total reportTally `json:"total"`
			} `json:"report"`
		}
		if err := json.Unmarshal(r.body, &api); err != nil {
			t.Fatal(err)
		}
		// The columns 地块, 未启动, 处置中, 待核验, 已销号 of each group and of the total.
		check := func(name string, cells []string, tally reportTally) {
			want := []count{tally.All, tally.State.NotStarted, tally.State.InProgress, tally.State.AwaitingCheck, tally.State.ClosedOff}
			if len(cells) < len(want) {
				t.Errorf("%s: %d cells", name, len(cells))
				return
			}
			for i, w := range want {
				wantText := fmt.Sprintf("%s 宗%s 亩", groupDigits(w.Parcels), groupDigits2(w.Mu))
				if cells[i] != wantText {
					t.Errorf("%s, column %s: %q, want %q", name, rep.Report.Headers[i], cells[i], wantText)
				}
			}
		}
		if len(rep.Report.Groups) != len(api.Report.Groups) {
			t.Errorf("%d groups shown, API %d", len(rep.Report.Groups), len(api.Report.Groups))
		}
		for i, g := range api.Report.Groups {
			if i < len(rep.Report.Groups) {
				check(strings.Join(g.Key, " / "), rep.Report.Groups[i].Cells, g.reportTally)
			}
		}
		check("合计", rep.Report.Total, api.Report.Total)
		if api.Report.Total.All.Parcels != parcels.Len() {
			t.Errorf("report total %d parcels, layer %d", api.Report.Total.All.Parcels, parcels.Len())
		}
	})

	t.Run("the Excel downloads are workbooks", func(t *testing.T) {
		for _, name := range []string{"ledger", "report"} {
			d := rep.Downloads[name]
			if d.Status != 200 || !d.Zip || d.Size < 1000 || !strings.Contains(d.Href, "format=xlsx") {
				t.Errorf("%s download: %+v", name, d)
			}
		}
	})

	t.Run("the progress chart is drawn", func(t *testing.T) {
		c := rep.Chart
		// Bars, axes and labels: thousands of painted pixels in several colours.
		if c.Width < 300 || c.Height < 200 || c.Painted < 5000 || c.Colours < 4 {
			t.Errorf("chart canvas %+v", c)
		}
	})

	t.Run("the warning map colours parcels by their warning level", func(t *testing.T) {
		if len(rep.WarningLegend) < 5 || !rep.ModeRadio {
			t.Fatalf("warning legend %v, layer panel's 预警图 radio checked %v", rep.WarningLegend, rep.ModeRadio)
		}
		for i, w := range []string{"红", "橙", "黄", "绿", "无"} {
			if !strings.HasPrefix(rep.WarningLegend[i], w) {
				t.Errorf("legend item %d is %q, want %s…", i, rep.WarningLegend[i], w)
			}
		}
		bg := hexColor(tiles.ColorBackground)
		levels := map[string]bool{}
		for _, p := range rep.Warning {
			w := ""
			if v := afterByCode[p.Code].Warning; v != nil {
				w = *v
			}
			want := blend(hexColor(warningColors[w]), bg, warningOpacity)
			img := readPNG(t, p.Screenshot)
			got := img.At(int(p.X), int(p.Y))
			if !p.Inside || colorDistance(got, want) > 20 {
				t.Errorf("parcel %s (warning %q) at (%.0f, %.0f) is %v, want %v", p.Code, w, p.X, p.Y, got, want)
				continue
			}
			levels[w] = true
		}
		t.Logf("%d parcels checked; levels %v", len(rep.Warning), levels)
		if len(levels) < 3 {
			t.Errorf("only %d warning levels seen right: the sample should show at least three", len(levels))
		}
	})

	if t.Failed() {
		t.Logf("screenshots: %v", rep.Screenshots)
	}
}

// runNodeScript runs test/<script> of the folder dir (web, web/pack) with in as its input file and
// decodes the JSON report it prints into out;
// it fails the test when the script failed.
func runNodeScript(t *testing.T, node, dir, script string, in, out any) {
	t.Helper()
	b, _ := json.Marshal(in)
	inPath := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(inPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("test", script), inPath)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var status struct {
		Error         string   `json:"error"`
		Steps         []string `json:"steps"`
		ConsoleErrors []string `json:"consoleErrors"`
	}
	body := bytes.TrimSpace(stdout.Bytes())
	if jerr := json.Unmarshal(body, &status); jerr != nil {
		t.Fatalf("%s: %v (%v)\nstdout: %s\nstderr: %s", script, err, jerr, stdout.String(), stderr.String())
	}
	if testing.Verbose() {
		t.Logf("%s:\n%s", script, stderr.String())
	}
	if err != nil || status.Error != "" {
		t.Fatalf("%s failed after steps %v: %v %s\nconsole errors: %q\nstderr: %s", script, status.Steps, err, status.Error, status.ConsoleErrors, stderr.String())
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s report: %v", script, err)
	}
}

// count and reportTally read the figures of GET /api/report that the viewer's table shows first.
type count struct {
	Parcels int     `json:"parcels"`
	Mu      float64 `json:"mu"`
}

type reportTally struct {
	All   count `json:"all"`
	State struct {
		NotStarted    count `json:"not_started"`
		InProgress    count `json:"in_progress"`
		AwaitingCheck count `json:"awaiting_check"`
		ClosedOff     count `json:"closed_off"`
	} `json:"state"`
}

// groupDigits writes an integer as the viewer does (zh-CN: 1,234).
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// groupDigits2 writes a number with two decimals as the viewer does (zh-CN: 1,234.57).
func groupDigits2(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	whole, frac, _ := strings.Cut(s, ".")
	n := 0
	fmt.Sscan(whole, &n)
	return groupDigits(n) + "." + frac
}
