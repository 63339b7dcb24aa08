package api

import (
	"bytes"
	"context"
	"encoding/json"
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
	requireQGIS(tb)
	dir := tb.TempDir()
	out := filepath.Join(dir, "out.json")
	all := map[string]any{"out": out}
	for k, v := range args {
		all[k] = v
	}
	a, err := json.Marshal(all)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	path, err := filepath.Abs(filepath.Join("testdata", "qgis", script))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, qgisPython, path, string(a))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "HOME="+dir, "XDG_RUNTIME_DIR="+dir)
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

// recordedRequest is a request a server received: method, request URI and the
// X-Forwarded-Prefix it came with.
type recordedRequest struct{ Method, URI, Prefix string }

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

// recorded serves h on a new 127.0.0.1 port, recording the requests, and returns its URL.
func recorded(tb testing.TB, h http.Handler) (string, *requestLog) {
	tb.Helper()
	log := &requestLog{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.mu.Lock()
		log.reqs = append(log.reqs, recordedRequest{r.Method, r.URL.RequestURI(), r.Header.Get("X-Forwarded-Prefix")})
		log.mu.Unlock()
		h.ServeHTTP(w, r)
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
	requireQGIS(t)
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
			res := runQGIS(t, "oapif_read.py", map[string]any{"url": base + "/ogc", "typename": "parcels", "subset": tt.subset, "fields": []string{"GDRQ"}})
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
	requireQGIS(t)
	q := newQGISSample(t)
	res := runQGIS(t, "style_convert.py", map[string]any{"style_url": q.ts.http.URL + "/styles/default.json",
		"url": q.ts.http.URL + "/ogc", "typename": "parcels", "key": "DKBH"})
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
		case f.Attrs["SFXZ"] == "是":
			want = tiles.ColorIdle
		case analysis.SetTerm("WWLX").Holds(f.Attrs["WWLX"]):
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
