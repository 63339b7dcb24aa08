package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
	"github.com/mudi-gis/mudi/tiles"
)

// PyQGIS harness: tests run Python scripts of api/testdata/qgis (see harness.py there) with
// QGIS's own Python bindings against a test server, and compare what QGIS read with what the
// API serves. QGIS comes from Debian's qgis and python3-qgis packages (3.40 from
// bookworm-backports; .ci/run installs them).

// qgisPython is Debian's Python, which imports the qgis module of python3-qgis.
const qgisPython = "/usr/bin/python3"

var qgisCheck struct {
	once sync.Once
	err  string
}

// requireQGIS skips the test unless PyQGIS runs here; under CI (CI set) it fails instead.
func requireQGIS(tb testing.TB) {
	tb.Helper()
	qgisCheck.once.Do(func() {
		cmd := exec.Command(qgisPython, "-c", "import qgis.core")
		cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen")
		if out, err := cmd.CombinedOutput(); err != nil {
			qgisCheck.err = "PyQGIS not available (" + qgisPython + " -c 'import qgis.core': " + err.Error() + ": " + string(out) +
				"); install Debian's qgis and python3-qgis from bookworm-backports as .ci/run does"
		}
	})
	if qgisCheck.err != "" {
		if os.Getenv("CI") != "" {
			tb.Fatal(qgisCheck.err)
		}
		tb.Skip(qgisCheck.err)
	}
}

// runQGIS runs the PyQGIS script api/testdata/qgis/<script> with args (JSON, as its first
// argument) and returns the JSON object the script writes. It fails the test when the script
// does not run, writes nothing, or reports an error; it logs what QGIS logged.
func runQGIS(tb testing.TB, script string, args map[string]any) map[string]any {
	tb.Helper()
	return runQGISAt(tb, qgisHost, script, args)
}

// qgisEnv is a QGIS to test with: the host's (3.40 from bookworm-backports) or bookworm's own
// 3.22 in a chroot (root, made by .ci/run).
type qgisEnv struct {
	name string
	root string // "" for the host
}

var (
	qgisHost = qgisEnv{name: "QGIS 3.40"}
	qgis322  = qgisEnv{name: "QGIS 3.22", root: "/opt/mudi-qgis322"}
)

// requireQGIS322 skips (fails under CI) when the QGIS 3.22 chroot is missing.
func requireQGIS322(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(qgis322.root, "usr", "bin", "qgis")); err != nil || os.Geteuid() != 0 {
		why := "QGIS 3.22 is not installed in the chroot " + qgis322.root + " (.ci/run makes it, as root)"
		if os.Getenv("CI") != "" {
			tb.Fatal(why)
		}
		tb.Skip(why)
	}
}

// runQGISAt is runQGIS with the QGIS of env: for the chroot, the scripts are copied into it and
// run there (the test servers on 127.0.0.1 are the same network).
func runQGISAt(tb testing.TB, env qgisEnv, script string, args map[string]any) map[string]any {
	tb.Helper()
	var dir, inside string
	if env.root == "" {
		requireQGIS(tb)
		dir = tb.TempDir()
		inside = dir
	} else {
		requireQGIS322(tb)
		var err error
		if dir, err = os.MkdirTemp(filepath.Join(env.root, "tmp"), "mudi-qgis-"); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { os.RemoveAll(dir) })
		os.Chmod(dir, 0o700)
		inside = "/tmp/" + filepath.Base(dir)
		scripts, _ := filepath.Glob(filepath.Join("testdata", "qgis", "*.py"))
		for _, f := range scripts {
			b, err := os.ReadFile(f)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644)
			}
			if err != nil {
				tb.Fatal(err)
			}
		}
	}
	out := filepath.Join(dir, "out.json")
	all := map[string]any{"out": filepath.Join(inside, "out.json")}
	for k, v := range args {
		all[k] = v
	}
	a, err := json.Marshal(all)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if env.root == "" {
		path, err := filepath.Abs(filepath.Join("testdata", "qgis", script))
		if err != nil {
			tb.Fatal(err)
		}
		cmd = exec.CommandContext(ctx, qgisPython, path, string(a))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "HOME="+dir, "XDG_RUNTIME_DIR="+dir)
	} else {
		cmd = exec.CommandContext(ctx, "chroot", env.root, "env", "QT_QPA_PLATFORM=offscreen", "HOME="+inside,
			"XDG_RUNTIME_DIR="+inside, "python3", inside+"/"+script, string(a))
	}
	combined, runErr := cmd.CombinedOutput()
	b, err := os.ReadFile(out)
	if err != nil {
		tb.Fatalf("%s wrote no result (%v): %v\n%s", script, runErr, err, combined)
	}
	if runErr != nil {
		tb.Logf("%s exited with %v after writing its result\n%s", script, runErr, combined)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		tb.Fatalf("%s: result is not JSON: %v\n%s", script, err, b)
	}
	if log, _ := res["log"].([]any); len(log) > 0 {
		tb.Logf("%s: QGIS %v logged %d messages: %v", script, res["qgis"], len(log), log)
	}
	if e, ok := res["error"]; ok {
		tb.Fatalf("%s: %v\n%s", script, e, combined)
	}
	return res
}

// recordedRequest is a request a server received: method, request URI, the X-Forwarded-Prefix,
// Content-Type and Content-Crs it came with, and the scheme of its Authorization (Basic,
// Bearer; never the credentials).
type recordedRequest struct {
	Method, URI, Prefix, ContentType, ContentCRS, Auth string
	Status                                             int // the status the server answered
}

// statusRecorder keeps the status a handler writes.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// requestLog records the requests a server receives.
type requestLog struct {
	mu   sync.Mutex
	reqs []recordedRequest
}

func (l *requestLog) list() []recordedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]recordedRequest(nil), l.reqs...)
}

// recorded serves h on a new 127.0.0.1 port, recording each request once it is answered, and
// returns its URL.
func recorded(tb testing.TB, h http.Handler) (string, *requestLog) {
	tb.Helper()
	log := &requestLog{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		log.mu.Lock()
		log.reqs = append(log.reqs, recordedRequest{Method: r.Method, URI: r.URL.RequestURI(), Prefix: r.Header.Get("X-Forwarded-Prefix"),
			ContentType: r.Header.Get("Content-Type"), ContentCRS: r.Header.Get("Content-Crs"), Auth: scheme, Status: sw.status})
		log.mu.Unlock()
	}))
	tb.Cleanup(hs.Close)
	return hs.URL, log
}

// qgisSample is a server with the sample county and what the API serves of its parcels, for
// comparison with what QGIS reads.
type qgisSample struct {
	ts       *testServer
	features []map[string]any // the parcels as /ogc items, in id order
	names    []string         // every property name of the parcels
}

func newQGISSample(t *testing.T) *qgisSample {
	t.Helper()
	ts := newSampleServer(t)
	fc := ts.getOK("/ogc/collections/parcels/items?limit=10000")
	q := &qgisSample{ts: ts}
	seen := map[string]bool{}
	for _, f := range fc["features"].([]any) {
		fm := f.(map[string]any)
		q.features = append(q.features, fm)
		for k := range fm["properties"].(map[string]any) {
			if !seen[k] {
				seen[k] = true
				q.names = append(q.names, k)
			}
		}
	}
	slices.Sort(q.names)
	return q
}

// checkRead compares what oapif_read.py returned with the API's parcels: every feature once,
// in id order, MultiPolygon, with equal attributes (Chinese text, numbers, dates).
func (q *qgisSample) checkRead(t *testing.T, res map[string]any) {
	t.Helper()
	if res["valid"] != true || res["wkb_type"] != "MultiPolygon" {
		t.Fatalf("QGIS layer: valid %v, wkbType %v, want a valid MultiPolygon layer", res["valid"], res["wkb_type"])
	}
	got := res["features"].([]any)
	if len(got) != len(q.features) || res["feature_count"] != float64(len(q.features)) {
		t.Fatalf("QGIS read %d features (featureCount %v), the API has %d", len(got), res["feature_count"], len(q.features))
	}
	bad := 0
	for i, g := range got {
		gm, want := g.(map[string]any), q.features[i]
		props := want["properties"].(map[string]any)
		if gm["geometry"] != "MultiPolygon" {
			t.Errorf("feature %v: QGIS geometry %v", want["id"], gm["geometry"])
		}
		if n := len(want["geometry"].(map[string]any)["coordinates"].([]any)); gm["parts"] != float64(n) {
			t.Errorf("feature %v: QGIS has %v parts, the API %d", want["id"], gm["parts"], n)
		}
		attrs := gm["attrs"].(map[string]any)
		for _, k := range q.names {
			if a, b := attrs[k], props[k]; !sameValue(a, b) {
				if bad++; bad <= 10 {
					t.Errorf("feature %v (QGIS fid %v) %s: QGIS %#v, API %#v", want["id"], gm["fid"], k, a, b)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d attribute values differ", bad)
	}
}

// sameValue compares a value QGIS read with the API's (both decoded from JSON): numbers within
// a relative 1e-12 (QGIS may print doubles shorter), the rest exactly.
func sameValue(a, b any) bool {
	x, ok1 := a.(float64)
	y, ok2 := b.(float64)
	if ok1 && ok2 {
		return x == y || math.Abs(x-y) <= 1e-12*math.Max(math.Abs(x), math.Abs(y))
	}
	return a == b
}

func TestQGISReadsParcelsOverOAPIF(t *testing.T) {
	requireQGIS(t)
	q := newQGISSample(t)
	base, log := recorded(t, q.ts.srv.Handler())
	res := runQGIS(t, "oapif_read.py", map[string]any{"url": base + "/ogc", "typename": "parcels", "page_size": 500, "fields": q.names})
	q.checkRead(t, res)
	pages := 0
	for _, r := range log.list() {
		if strings.HasPrefix(r.URI, "/ogc/collections/parcels/items?limit=500") {
			pages++
		}
	}
	if pages != 6 {
		t.Errorf("QGIS read the parcels in %d pages of 500, want 6: %v", pages, log.list())
	}
}

func TestQGISReadsParcelsBehindAPrefixProxy(t *testing.T) {
	requireQGIS(t)
	q := newQGISSample(t)
	backend, log := recorded(t, q.ts.srv.Handler())
	base := prefixProxy(t, backend, "/mudi")
	res := runQGIS(t, "oapif_read.py", map[string]any{"url": base + "/ogc", "typename": "parcels", "page_size": 500, "fields": q.names})
	q.checkRead(t, res)
	reqs := log.list()
	for _, r := range reqs {
		if r.Prefix != "/mudi" {
			t.Errorf("QGIS requested %s %s around the proxy", r.Method, r.URI)
		}
	}
	if len(reqs) < 8 {
		t.Errorf("only %d requests reached the server: %v", len(reqs), reqs)
	}
}

func TestQGISSubsetOnTheSupplyDate(t *testing.T) {
	for _, env := range []qgisEnv{qgisHost, qgis322} {
		t.Run(env.name, func(t *testing.T) { subsetOnTheSupplyDate(t, env) })
	}
}

// subsetOnTheSupplyDate: the subsets on GDRQ read through env's QGIS give the brute-force
// counts, however that QGIS sends them (a CQL2 filter from 3.40, datetime from 3.22).
func subsetOnTheSupplyDate(t *testing.T, env qgisEnv) {
	q := newQGISSample(t)
	for _, tt := range []struct {
		name, subset string
		keep         func(gdrq string) bool
	}{
		{"from a date", `"GDRQ" >= '2020-01-01'`, func(d string) bool { return d >= "2020-01-01" }},
		{"before a date", `"GDRQ" < make_date(2010, 1, 1)`, func(d string) bool { return d < "2010-01-01" }},
		{"between dates", `"GDRQ" >= '2011-01-23' AND "GDRQ" <= '2018-12-31'`, func(d string) bool { return d >= "2011-01-23" && d <= "2018-12-31" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := 0
			for _, f := range q.features {
				if d, ok := f["properties"].(map[string]any)["GDRQ"].(string); ok && tt.keep(d) {
					want++
				}
			}
			base, log := recorded(t, q.ts.srv.Handler())
			res := runQGISAt(t, env, "oapif_read.py", map[string]any{"url": base + "/ogc", "typename": "parcels", "subset": tt.subset, "fields": []string{"GDRQ"}})
			if res["subset_accepted"] != true {
				t.Fatalf("QGIS refused the subset %s", tt.subset)
			}
			got := res["features"].([]any)
			for _, f := range got {
				d, _ := f.(map[string]any)["attrs"].(map[string]any)["GDRQ"].(string)
				if !tt.keep(d) {
					t.Errorf("QGIS returned a parcel with GDRQ %q for %s", d, tt.subset)
				}
			}
			if len(got) != want {
				t.Errorf("subset %s: QGIS read %d parcels, brute force %d", tt.subset, len(got), want)
			}
			var items []string
			for _, r := range log.list() {
				if strings.Contains(r.URI, "/items?") {
					items = append(items, r.URI)
				}
			}
			t.Logf("QGIS %v asked for %s with: %v", res["qgis"], tt.subset, items)
		})
	}
}

func TestQGISExportsAGeoPackageGDALReads(t *testing.T) {
	requireQGIS(t)
	ogrinfo := needTool(t, "ogrinfo", "gdal-bin")
	q := newQGISSample(t)
	gpkg := filepath.Join(t.TempDir(), "parcels.gpkg")
	res := runQGIS(t, "oapif_export.py", map[string]any{"url": q.ts.http.URL + "/ogc", "typename": "parcels", "path": gpkg, "layer": "parcels"})
	if res["written"] != 0.0 || res["wkb_type"] != "MultiPolygon" {
		t.Fatalf("QGIS export: %v (%v), layer %v", res["written"], res["message"], res["wkb_type"])
	}
	cmd := exec.Command(ogrinfo, "-ro", "-al", "-so", gpkg)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, stderr.String())
	}
	// A full read too: GDAL warns while reading a geometry of another type than the layer's.
	full := exec.Command(ogrinfo, "-ro", "-al", "-q", gpkg)
	var fullErr bytes.Buffer
	full.Stdout, full.Stderr = io.Discard, &fullErr
	if err := full.Run(); err != nil {
		t.Fatalf("ogrinfo -al: %v\n%s", err, fullErr.String())
	}
	out := stdout.String()
	if stderr.Len() > 0 || fullErr.Len() > 0 {
		t.Errorf("ogrinfo warned: %s%s", stderr.String(), fullErr.String())
	}
	for _, want := range []string{"Geometry: Multi Polygon", "Feature Count: " + strconv.Itoa(len(q.features)), "DKBH: String", "GDRQ: Date"} {
		if !strings.Contains(out, want) {
			t.Errorf("ogrinfo output lacks %q:\n%s", want, out)
		}
	}
}

func TestQGISConvertsTheStyle(t *testing.T) {
	for _, env := range []qgisEnv{qgisHost, qgis322} {
		t.Run(env.name, func(t *testing.T) {
			q := newQGISSample(t)
			res := runQGISAt(t, env, "style_convert.py", map[string]any{"style_url": q.ts.http.URL + "/styles/default.json",
				"url": q.ts.http.URL + "/ogc", "typename": "parcels", "key": "DKBH"})
			if v, _ := res["qgis"].(string); env.root != "" && !strings.HasPrefix(v, "3.22") {
				t.Fatalf("the chroot runs QGIS %v, not 3.22", res["qgis"])
			}
			checkStyleConversion(t, q, res)
		})
	}
}

// checkStyleConversion checks what style_convert.py reported: the conversion succeeded with no
// warning, and every parcel is filled by exactly one style, in its status colour.
func checkStyleConversion(t *testing.T, q *qgisSample, res map[string]any) {
	t.Helper()
	if res["result"] != 0.0 {
		t.Fatalf("conversion result %v: %v", res["result"], res["error"])
	}
	if w := res["warnings"].([]any); len(w) > 0 {
		t.Errorf("QGIS's style converter warned %d times: %v", len(w), w)
	}
	colors := map[string]string{}
	for _, s := range res["styles"].([]any) {
		sm := s.(map[string]any)
		colors[sm["name"].(string)], _ = sm["color"].(string)
		t.Logf("%s (%s, %s): colour %v opacity %v filter %v", sm["name"], sm["layer"], sm["geometry"], sm["color"], sm["opacity"], sm["filter"])
	}
	// Each parcel in QGIS: filled by exactly one style, in its status colour.
	sn := q.ts.index.Layer("parcels")
	byCode := map[string]*spatial.Feature{}
	for _, f := range sn.Features() {
		byCode[f.Attrs.String("DKBH")] = f
	}
	fills := res["fills"].([]any)
	if len(fills) != sn.Len() {
		t.Fatalf("QGIS applied the style to %d parcels, the layer has %d", len(fills), sn.Len())
	}
	bad, count := 0, map[string]int{}
	for _, x := range fills {
		xm := x.(map[string]any)
		f := byCode[xm["key"].(string)]
		// Idle (SFXZ 是) first, then five-wei (WWLX set), then what the low-efficiency rule of
		// the analyses selects, then the rest.
		want := tiles.ColorEfficient
		switch {
		case f.Attrs.Value("SFXZ") == "是":
			want = tiles.ColorIdle
		case analysis.SetTerm("WWLX").Holds(f.Attrs.Value("WWLX")):
			want = tiles.ColorFiveWei
		case analysis.IsLowEfficiency(&sn.Layer, f):
			want = tiles.ColorLowEfficiency
		}
		hits := xm["fills"].([]any)
		if len(hits) != 1 || colors[hits[0].(string)] != want {
			if bad++; bad <= 10 {
				t.Errorf("parcel %s: QGIS fills it with %v, want one fill of %s", xm["key"], hits, want)
			}
			continue
		}
		count[want]++
	}
	if bad > 0 {
		t.Errorf("%d parcels have another fill in QGIS", bad)
	}
	if len(count) != 4 {
		t.Errorf("QGIS shows %d status colours, want 4: %v", len(count), count)
	}
	t.Logf("parcels by colour in QGIS: %v", count)
}

// needTool returns the path of an external tool: a skip when it is missing, a failure under CI.
func needTool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s not installed (Debian %s)", name, pkg)
		}
		tb.Skipf("%s not installed (Debian %s)", name, pkg)
	}
	return p
}

// QGIS edits the parcels through OGC API – Features Part 4 with a Basic authentication
// configuration holding an editor key: an attribute, a vertex, a new parcel and a deletion in
// one commit, then a ledger move the server refuses in another. mudi's history, tiles and
// analyses must show each accepted change, and QGIS must report the refused one.
func TestQGISEditsParcelsOverOAPIF(t *testing.T) {
	requireQGIS(t)
	ts := newSampleServer(t)
	sn := ts.index.Layer("parcels")
	// Four parcels: the refused move needs one that has not started (未启动).
	var picks []*spatial.Feature
	var bad *spatial.Feature
	for _, f := range sn.Features() {
		switch {
		case bad == nil && f.Attrs.Value("CZZT") == spatial.StateNotStarted:
			bad = f
		case len(picks) < 3 && f.ID > 100:
			picks = append(picks, f)
		}
	}
	if bad == nil || len(picks) < 3 {
		t.Fatal("the sample lacks the parcels to edit")
	}
	attrF, geomF, delF := picks[0], picks[1], picks[2]
	code := func(f *spatial.Feature) string { return f.Attrs.String("DKBH") }
	c := sn.Layer.Bound.Center()
	newRing := [][2]float64{{c[0], c[1]}, {c[0] + 0.0004, c[1]}, {c[0] + 0.0004, c[1] + 0.0004}, {c[0], c[1] + 0.0004}, {c[0], c[1]}}
	newBound := orb.Bound{Min: orb.Point{c[0], c[1]}, Max: orb.Point{c[0] + 0.0004, c[1] + 0.0004}}
	tilesBefore := map[string]map[tiles.Coord]string{
		"attribute": zTiles(ts, attrF.Bound()), "geometry": zTiles(ts, geomF.Bound()),
		"deletion": zTiles(ts, delF.Bound()), "new parcel": zTiles(ts, newBound),
	}
	historyLen := func(f *spatial.Feature) int {
		return len(ts.getOK(fmt.Sprintf("/api/layers/parcels/features/%d/history", f.ID))["changes"].([]any))
	}
	badHistory := historyLen(bad)

	base, log := recorded(t, ts.srv.Handler())
	const dx = 0.00003 // about 3 m east
	res := runQGIS(t, "oapif_edit.py", map[string]any{
		"url": base + "/ogc", "typename": "parcels", "key": editorKey, "code_field": "DKBH",
		"attr":   map[string]any{"code": code(attrF), "field": "YJDJ", "value": "QGIS改"},
		"geom":   map[string]any{"code": code(geomF), "vertex": 1, "dx": dx, "dy": 0},
		"add":    map[string]any{"code": "QGIS-0001", "owner": "QGIS新增公司", "ring": newRing},
		"delete": map[string]any{"code": code(delF)},
		"bad":    map[string]any{"code": code(bad), "field": "CZZT", "value": spatial.StateClosed},
	})
	t.Logf("QGIS %v: capabilities %v; commit %v %v; refused commit %v %v; provider errors %v", res["qgis"], res["capabilities"],
		res["commit"], res["commit_errors"], res["bad_commit"], res["bad_commit_errors"], res["bad_provider_errors"])
	for _, r := range log.list() {
		if r.Method != "GET" {
			t.Logf("QGIS sent %s %s (%s, Content-Crs %q, auth %s) → %d", r.Method, r.URI, r.ContentType, r.ContentCRS, r.Auth, r.Status)
		}
	}
	caps, _ := res["capabilities"].(map[string]any)
	for _, k := range []string{"add", "delete", "change_attributes", "change_geometries"} {
		if caps[k] != true {
			t.Errorf("QGIS's provider lacks the %s capability: %v", k, caps)
		}
	}
	if res["commit"] != true {
		t.Fatalf("QGIS's commit failed: %v", res["commit_errors"])
	}

	// The attribute.
	if f := ts.index.Layer("parcels").Feature(attrF.ID); f.Attrs.Value("YJDJ") != "QGIS改" {
		t.Errorf("parcel %s: YJDJ %v", code(attrF), f.Attrs.Value("YJDJ"))
	}
	if got := analysisIDs(t, ts, "YJDJ = 'QGIS改'"); len(got) != 1 || got[int(attrF.ID)] == 0 {
		t.Errorf("analysis by the new YJDJ: %v, want parcel %d", got, attrF.ID)
	}
	// The vertex: moved where QGIS moved it, the rest of the ring kept, the area measured again.
	after, before := res["vertex_after"].([]any), res["vertex_before"].([]any)
	moved := orb.Point{after[0].(float64), after[1].(float64)}
	old := orb.Point{before[0].(float64), before[1].(float64)}
	if math.Abs(moved[0]-old[0]-dx) > 1e-12 || moved[1] != old[1] {
		t.Errorf("QGIS moved the vertex from %v to %v", old, moved)
	}
	g := ts.index.Layer("parcels").Feature(geomF.ID)
	ring := spatial.Polygons(g.Geometry)[0][0]
	oldRing := spatial.Polygons(geomF.Geometry)[0][0]
	hasMoved, hasOld := false, false
	for _, p := range ring {
		hasMoved = hasMoved || (math.Abs(p[0]-moved[0]) < 1e-9 && math.Abs(p[1]-moved[1]) < 1e-9)
		hasOld = hasOld || p == old
	}
	if !hasMoved || hasOld || len(ring) != len(oldRing) {
		t.Errorf("parcel %s: ring %v after moving %v to %v (was %v)", code(geomF), ring, old, moved, oldRing)
	}
	if g.Derived.AreaMu == geomF.Derived.AreaMu {
		t.Errorf("parcel %s: area unchanged at %v 亩", code(geomF), g.Derived.AreaMu)
	}
	if got := analysisIDs(t, ts, "DKBH = '"+code(geomF)+"'"); math.Abs(got[int(geomF.ID)]-g.Derived.AreaMu) > 1e-9 {
		t.Errorf("analysis sees parcel %s as %v, want %v 亩", code(geomF), got, g.Derived.AreaMu)
	}
	// The new parcel and the deleted one.
	added := analysisIDs(t, ts, "DKBH = 'QGIS-0001'")
	var addedID int
	for id := range added {
		addedID = id
	}
	if len(added) != 1 || ts.index.Layer("parcels").Feature(spatial.FeatureID(addedID)).Attrs.Value("QLR") != "QGIS新增公司" {
		t.Errorf("analysis of the new parcel: %v", added)
	}
	if got := analysisIDs(t, ts, "DKBH = '"+code(delF)+"'"); len(got) != 0 || ts.index.Layer("parcels").Feature(delF.ID) != nil {
		t.Errorf("the deleted parcel %s is still there: %v", code(delF), got)
	}
	if n := ts.index.Layer("parcels").Len(); n != sn.Len() {
		t.Errorf("%d parcels after adding one and deleting one, had %d", n, sn.Len())
	}
	// History under the key's name.
	for _, h := range []struct {
		id  spatial.FeatureID
		key string
	}{{attrF.ID, "YJDJ"}, {geomF.ID, "geometry"}, {spatial.FeatureID(addedID), "feature"}} {
		found := false
		for _, ch := range ts.getOK(fmt.Sprintf("/api/layers/parcels/features/%d/history", h.id))["changes"].([]any) {
			cm := ch.(map[string]any)
			found = found || (cm["key"] == h.key && cm["actor"] == "zhang-editor")
		}
		if !found {
			t.Errorf("feature %d: no %s change by zhang-editor in its history", h.id, h.key)
		}
	}
	// Tiles over each change.
	for what, before := range tilesBefore {
		tilesChanged(t, ts, what, before)
	}

	// The refused move: nothing changed on the server, and QGIS says the commit failed.
	if res["bad_commit"] != false {
		t.Errorf("QGIS committed %s → %s", spatial.StateNotStarted, spatial.StateClosed)
	}
	if f := ts.index.Layer("parcels").Feature(bad.ID); f.Attrs.Value("CZZT") != spatial.StateNotStarted || historyLen(bad) != badHistory {
		t.Errorf("parcel %s after the refused move: CZZT %v", code(bad), f.Attrs.Value("CZZT"))
	}
	// QGIS 3.40 reports which change failed, not the server's reason (the 409's problem JSON
	// names the states; QGIS does not read error bodies).
	errs := fmt.Sprint(res["bad_commit_errors"])
	if !strings.Contains(errs, "1 attribute value change(s) not applied") || !strings.Contains(errs, fmt.Sprintf("Cannot modify feature of id %v", res["bad_fid"])) {
		t.Errorf("QGIS's commit errors do not report the refused change of QGIS feature %v: %s", res["bad_fid"], errs)
	}

	// What QGIS sent: OPTIONS to learn the capabilities, then writes with Basic authentication.
	var options, writes []string
	for _, r := range log.list() {
		switch r.Method {
		case "OPTIONS":
			options = append(options, r.URI)
		case "POST", "PUT", "PATCH", "DELETE":
			writes = append(writes, fmt.Sprintf("%s %d", r.Method, r.Status))
			if r.Status == http.StatusConflict && r.URI != fmt.Sprintf("/ogc/collections/parcels/items/%d", bad.ID) {
				t.Errorf("QGIS's %s %s was refused", r.Method, r.URI)
			}
			if r.Auth != "Basic" {
				t.Errorf("QGIS sent %s %s with auth %q", r.Method, r.URI, r.Auth)
			}
		}
	}
	if !slices.Contains(options, "/ogc/collections/parcels/items") || len(options) < 2 {
		t.Errorf("QGIS's OPTIONS requests: %v", options)
	}
	for _, w := range []string{"POST 201", "DELETE 204", "PATCH 200", "PATCH 409"} {
		if !slices.Contains(writes, w) {
			t.Errorf("QGIS's writes %v lack %s", writes, w)
		}
	}
}
