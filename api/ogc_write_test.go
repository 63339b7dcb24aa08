package api

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// call sends a request with a body and header name/value pairs (no key unless one is given).
func (ts *testServer) call(method, path, body string, header ...string) response {
	ts.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.http.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func bearer(key string) []string { return []string{"Authorization", "Bearer " + key} }

func basic(key string) []string {
	return []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("qgis:"+key))}
}

func geoJSONWith(key string) []string {
	return append([]string{"Content-Type", "application/geo+json"}, bearer(key)...)
}

// newWriteServer is a server with a control layer, three coded parcels (KC-001 … KC-003, ids
// 1–3) and a saved analysis result (layer small, read-only).
func newWriteServer(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServer(t)
	if r := ts.upload("/api/layers?id=control-lines&kind=control", controlGeoJSON); r.status != 201 {
		t.Fatalf("control: %d %s", r.status, r.body)
	}
	if r := ts.upload("/api/layers?id=parcels", parcelsGeoJSON); r.status != 201 {
		t.Fatalf("parcels: %d %s", r.status, r.body)
	}
	r := ts.do("POST", "/api/analyses", "application/json", testKey, strings.NewReader(`{"layer":"parcels","max_mu":1000,"save_as":"small"}`))
	if r.status != 201 || ts.index.Layer("small") == nil || ts.index.Layer("small").Layer.Kind != spatial.KindDerived {
		t.Fatalf("saved analysis: %d %s", r.status, r.body)
	}
	return ts
}

// problemOf checks that r is problem JSON with status and returns it.
func problemOf(t *testing.T, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want problem JSON: %s", ct, r.body)
	}
	p := r.json(t)
	if p["status"] != float64(status) || p["type"] == "" || p["title"] == "" {
		t.Fatalf("problem %v", p)
	}
	return p
}

const newParcel = `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[118.875,28.94],[118.876,28.94],[118.876,28.941],[118.875,28.941],[118.875,28.94]]]},"properties":{"DKBH":"KC-100","QLR":"新公司","MJSS":12.5,"area_mu":null}}`

func TestOGCWriteConformanceAndOptions(t *testing.T) {
	ts := newWriteServer(t)
	conf := ts.getOK("/ogc/conformance")["conformsTo"].([]any)
	for _, c := range []string{
		"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
		"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
		"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
	} {
		if !slices.Contains(conf, any(c)) {
			t.Errorf("conformance lacks %s", c)
		}
	}
	for _, tt := range []struct {
		path, allow string
	}{
		{"/ogc/collections/parcels/items", "GET, HEAD, OPTIONS, POST"},
		{"/ogc/collections/parcels/items/1", "GET, HEAD, OPTIONS, PUT, PATCH, DELETE"},
		{"/ogc/collections/parcels/items/unknown_id", "GET, HEAD, OPTIONS, PUT, PATCH, DELETE"},
		{"/ogc/collections/control-lines/items/99", "GET, HEAD, OPTIONS, PUT, PATCH, DELETE"},
		{"/ogc/collections/small/items", "GET, HEAD, OPTIONS"},
		{"/ogc/collections/small/items/1", "GET, HEAD, OPTIONS"},
	} {
		r := ts.call("OPTIONS", tt.path, "")
		if r.status != 204 || r.header.Get("Allow") != tt.allow {
			t.Errorf("OPTIONS %s: %d Allow %q, want %q", tt.path, r.status, r.header.Get("Allow"), tt.allow)
		}
	}
	problemOf(t, ts.call("OPTIONS", "/ogc/collections/nope/items", ""), 404)
}

func TestOGCWriteStatuses(t *testing.T) {
	ts := newWriteServer(t)
	item := "/ogc/collections/parcels/items/"

	// 201: a new parcel, Location naming it, the body as stored (computed attributes mudi's).
	r := ts.call("POST", "/ogc/collections/parcels/items", newParcel, geoJSONWith(editorKey)...)
	if r.status != 201 {
		t.Fatalf("POST = %d %s", r.status, r.body)
	}
	created := r.json(t)
	newID := int(created["id"].(float64))
	if loc := r.header.Get("Location"); loc != ts.http.URL+item+strconv.Itoa(newID) || newID != 4 {
		t.Errorf("Location %q for id %d, want %s%s4", loc, newID, ts.http.URL, item)
	}
	props := created["properties"].(map[string]any)
	if props["DKBH"] != "KC-100" || props["MJSS"] != 12.5 || props["area_mu"].(float64) < 1 || r.header.Get("ETag") == "" {
		t.Errorf("created feature %v, ETag %q", props, r.header.Get("ETag"))
	}
	got := ts.getOK(item + strconv.Itoa(newID))
	if got["properties"].(map[string]any)["QLR"] != "新公司" {
		t.Errorf("GET after POST: %v", got["properties"])
	}

	// 200: PATCH an attribute, with the key as the password of Basic authentication.
	r = ts.call("PATCH", item+"2", `{"properties":{"QLR":"改名公司","WWLX":"建而未投"}}`,
		append([]string{"Content-Type", "application/merge-patch+json"}, basic(editorKey)...)...)
	if r.status != 200 {
		t.Fatalf("PATCH = %d %s", r.status, r.body)
	}
	if p := r.json(t)["properties"].(map[string]any); p["QLR"] != "改名公司" || p["WWLX"] != "建而未投" || p["DKBH"] != "KC-002" {
		t.Errorf("patched %v", p)
	}

	// 200: PUT back what GET served (computed attributes unchanged are ignored) with one
	// attribute changed and one left out.
	cur := ts.getOK(item + "3")
	cp := cur["properties"].(map[string]any)
	cp["QLR"] = "丙化工（新）"
	delete(cp, "WWLX")
	body, _ := json.Marshal(cur)
	r = ts.call("PUT", item+"3", string(body), geoJSONWith(editorKey)...)
	if r.status != 200 {
		t.Fatalf("PUT = %d %s", r.status, r.body)
	}
	if p := r.json(t)["properties"].(map[string]any); p["QLR"] != "丙化工（新）" || p["WWLX"] != nil || p["DKBH"] != "KC-003" {
		t.Errorf("replaced %v", p)
	}

	// 204: DELETE.
	if r := ts.call("DELETE", item+strconv.Itoa(newID), "", bearer(editorKey)...); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("DELETE = %d %s", r.status, r.body)
	}
	problemOf(t, ts.call("GET", item+strconv.Itoa(newID), ""), 404)

	patchJSON := func(key string) []string {
		return append([]string{"Content-Type", "application/json"}, bearer(key)...)
	}
	cases := []struct {
		name         string
		method, path string
		body         string
		header       []string
		status       int
		param        string // the problem's param, when it names one
		detail       []string
	}{
		{"not JSON", "POST", "/ogc/collections/parcels/items", `{"type":"Feature",`, geoJSONWith(editorKey), 400, "", nil},
		{"not a Feature", "POST", "/ogc/collections/parcels/items", collection(newParcel), geoJSONWith(editorKey), 400, "body", nil},
		{"no geometry", "POST", "/ogc/collections/parcels/items", `{"type":"Feature","geometry":null,"properties":{"DKBH":"KC-101"}}`, geoJSONWith(editorKey), 400, "", nil},
		{"no code", "POST", "/ogc/collections/parcels/items", strings.Replace(newParcel, `"DKBH":"KC-100",`, "", 1), geoJSONWith(editorKey), 400, "DKBH", nil},
		{"computed attribute changed", "POST", "/ogc/collections/parcels/items", strings.Replace(newParcel, `"area_mu":null`, `"area_mu":99`, 1), geoJSONWith(editorKey), 400, "area_mu", nil},
		{"computed attribute patched", "PATCH", item + "1", `{"properties":{"outside_ratio":0.5}}`, patchJSON(editorKey), 400, "outside_ratio", nil},
		{"mistyped attribute", "PATCH", item + "1", `{"properties":{"MJSS":"many"}}`, patchJSON(editorKey), 400, "MJSS", nil},
		{"unsupported Content-Crs", "POST", "/ogc/collections/parcels/items", newParcel,
			append(geoJSONWith(editorKey), "Content-Crs", "<http://www.opengis.net/def/crs/EPSG/0/3857>"), 400, "Content-Crs", nil},
		{"geometry removed", "PATCH", item + "1", `{"geometry":null}`, patchJSON(editorKey), 400, "geometry", nil},
		{"invalid geometry in a patch", "PATCH", item + "1", `{"geometry":{"type":"Polygon","coordinates":[[[118.87,28.94],[118.871,28.94]]]}}`, patchJSON(editorKey), 400, "", nil},
		{"no key", "POST", "/ogc/collections/parcels/items", newParcel, []string{"Content-Type", "application/geo+json"}, 401, "", nil},
		{"no key to delete", "DELETE", item + "1", "", nil, 401, "", nil},
		{"unknown key", "PUT", item + "1", newParcel, append([]string{"Content-Type", "application/geo+json"}, basic("not-a-key")...), 403, "", nil},
		{"an editor closes a parcel off", "PATCH", item + "1", `{"properties":{"CZZT":"已销号"}}`, patchJSON(editorKey), 409, "CZZT", []string{"未启动", "处置中"}},
		{"unknown collection", "POST", "/ogc/collections/nope/items", newParcel, geoJSONWith(editorKey), 404, "", nil},
		{"unknown feature", "PUT", item + "999", newParcel, geoJSONWith(editorKey), 404, "", nil},
		{"unknown feature to patch", "PATCH", item + "999", `{"properties":{"QLR":"x"}}`, patchJSON(editorKey), 404, "", nil},
		{"not a feature id", "DELETE", item + "abc", "", bearer(editorKey), 404, "", nil},
		{"deleted feature", "DELETE", item + strconv.Itoa(newID), "", bearer(editorKey), 404, "", nil},
		{"write to an analysis result", "POST", "/ogc/collections/small/items", newParcel, geoJSONWith(editorKey), 405, "", nil},
		{"delete from an analysis result", "DELETE", "/ogc/collections/small/items/1", "", bearer(editorKey), 405, "", nil},
		{"code exists", "POST", "/ogc/collections/parcels/items", strings.Replace(newParcel, "KC-100", "KC-001", 1), geoJSONWith(editorKey), 409, "DKBH", []string{"KC-001"}},
		{"code taken by a patch", "PATCH", item + "2", `{"properties":{"DKBH":"KC-001"}}`, patchJSON(editorKey), 409, "DKBH", nil},
		{"skipping a state", "PATCH", item + "1", `{"properties":{"CZZT":"已销号"}}`, patchJSON(reviewerKey), 409, "CZZT", []string{"未启动", "已销号", "处置中"}},
		{"stale If-Match", "PATCH", item + "1", `{"properties":{"QLR":"x"}}`, append(patchJSON(editorKey), "If-Match", `"0123456789abcdef-0"`), 412, "If-Match", nil},
		{"stale If-Match on delete", "DELETE", item + "1", "", append(bearer(editorKey), "If-Match", `"0123456789abcdef-0"`), 412, "If-Match", nil},
		{"text body", "POST", "/ogc/collections/parcels/items", newParcel, append([]string{"Content-Type", "text/plain"}, bearer(editorKey)...), 415, "Content-Type", nil},
		{"no Content-Type", "PUT", item + "1", newParcel, bearer(editorKey), 415, "Content-Type", nil},
		{"merge patch as a replacement", "PUT", item + "1", newParcel, append([]string{"Content-Type", "application/merge-patch+json"}, bearer(editorKey)...), 415, "Content-Type", nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.storeState()
			r := ts.with(t).call(tt.method, tt.path, tt.body, tt.header...)
			p := problemOf(t, r, tt.status)
			if tt.param != "" && p["param"] != tt.param {
				t.Errorf("param %v, want %s: %v", p["param"], tt.param, p)
			}
			for _, d := range tt.detail {
				if !strings.Contains(p["detail"].(string), d) {
					t.Errorf("detail %q does not mention %s", p["detail"], d)
				}
			}
			switch tt.status {
			case 401:
				if got := r.header.Values("WWW-Authenticate"); !slices.Contains(got, `Bearer realm="mudi"`) || !slices.Contains(got, `Basic realm="mudi"`) {
					t.Errorf("WWW-Authenticate %q, want a Bearer and a Basic challenge", got)
				}
			case 405:
				if a := r.header.Get("Allow"); a != "GET, HEAD, OPTIONS" {
					t.Errorf("Allow %q", a)
				}
			}
			if after := ts.with(t).storeState(); after != before {
				t.Errorf("a refused write changed the store: %s → %s", before, after)
			}
		})
	}
	// A page's script gets no Basic challenge (the browser would open its password dialog).
	r = ts.call("DELETE", item+"1", "", "Sec-Fetch-Mode", "cors")
	if got := r.header.Values("WWW-Authenticate"); r.status != 401 || len(got) != 1 || got[0] != `Bearer realm="mudi"` {
		t.Errorf("401 to a script: %d %q", r.status, got)
	}
}

// The ledger's workflow through PATCH: the moves, then closing off, which needs a reviewer
// other than the one who submitted the parcel for verification (403), then another (200).
func TestOGCWriteLedgerWorkflow(t *testing.T) {
	ts := newWriteServer(t)
	path := "/ogc/collections/parcels/items/1"
	patch := func(key, state string) response {
		return ts.call("PATCH", path, `{"properties":{"CZZT":"`+state+`"}}`, append([]string{"Content-Type", "application/merge-patch+json"}, bearer(key)...)...)
	}
	for _, step := range []struct{ key, state string }{{editorKey, "处置中"}, {reviewerKey, "待核验"}} {
		if r := patch(step.key, step.state); r.status != 200 {
			t.Fatalf("→ %s: %d %s", step.state, r.status, r.body)
		}
	}
	p := problemOf(t, patch(editorKey, "已销号"), 403)
	if p["type"] != problemBase+"reviewer-required" || p["param"] != "CZZT" {
		t.Errorf("editor closing off: %v", p)
	}
	p = problemOf(t, patch(reviewerKey, "已销号"), 403)
	if p["type"] != problemBase+"four-eyes" || !strings.Contains(p["detail"].(string), "li-reviewer") {
		t.Errorf("submitter closing off: %v", p)
	}
	r := patch(reviewer2Key, "已销号")
	if r.status != 200 {
		t.Fatalf("second reviewer: %d %s", r.status, r.body)
	}
	props := r.json(t)["properties"].(map[string]any)
	if props["CZZT"] != "已销号" || props["XHRQ"] != "2026-11-21" {
		t.Errorf("closed off: %v", props)
	}
	var actors []string
	for _, c := range ts.getOK("/api/layers/parcels/features/1/history")["changes"].([]any) {
		if cm := c.(map[string]any); cm["key"] == "CZZT" {
			actors = append(actors, cm["actor"].(string)+":"+cm["after"].(string))
		}
	}
	if want := []string{"zhang-editor:处置中", "li-reviewer:待核验", "wang-reviewer:已销号"}; !slices.Equal(actors, want) {
		t.Errorf("history %v, want %v", actors, want)
	}
}

// If-Match is honoured when sent: the feature's current ETag (in any CRS, gzipped or not)
// lets the write through, an ETag served before another change to the feature does not.
func TestOGCWriteIfMatch(t *testing.T) {
	ts := newWriteServer(t)
	path := "/ogc/collections/parcels/items/2"
	first := ts.call("GET", path, "")
	inGK := ts.call("GET", path+"?crs=http://www.opengis.net/def/crs/EPSG/0/4549", "")
	gz := ts.call("GET", path, "", "Accept-Encoding", "gzip")
	etag := first.header.Get("ETag")
	if etag == "" || inGK.header.Get("ETag") == etag || (gz.header.Get("Content-Encoding") == "gzip" && gz.header.Get("ETag") != "W/"+etag) {
		t.Fatalf("ETags: %q, in EPSG:4549 %q, gzipped %q", etag, inGK.header.Get("ETag"), gz.header.Get("ETag"))
	}
	// Another feature's change leaves this one's ETag alone.
	if r := ts.call("PATCH", "/ogc/collections/parcels/items/1", `{"properties":{"QLR":"别家"}}`, append([]string{"Content-Type", "application/json"}, bearer(editorKey)...)...); r.status != 200 {
		t.Fatal(r.status, string(r.body))
	}
	if now := ts.call("GET", path, "").header.Get("ETag"); now != etag {
		t.Errorf("ETag of feature 2 changed from %s to %s by an edit of feature 1", etag, now)
	}
	send := func(match, qlr string) response {
		return ts.call("PATCH", path, `{"properties":{"QLR":"`+qlr+`"}}`, append([]string{"Content-Type", "application/json", "If-Match", match}, bearer(editorKey)...)...)
	}
	r := send(inGK.header.Get("ETag"), "甲")
	if r.status != 200 || r.header.Get("ETag") == etag {
		t.Fatalf("If-Match with the current ETag (EPSG:4549): %d %s, ETag %q", r.status, r.body, r.header.Get("ETag"))
	}
	next := r.header.Get("ETag")
	if got := ts.call("GET", path, "").header.Get("ETag"); got != next {
		t.Errorf("the write answered ETag %s, GET serves %s", next, got)
	}
	p := problemOf(t, send(etag, "乙"), 412)
	if p["param"] != "If-Match" || !strings.Contains(p["detail"].(string), next) {
		t.Errorf("stale If-Match: %v", p)
	}
	if r := send("W/"+next, "丙"); r.status != 200 {
		t.Errorf("If-Match with the gzipped form: %d %s", r.status, r.body)
	}
	if r := send(`"nope", *`, "丁"); r.status != 200 {
		t.Errorf("If-Match *: %d %s", r.status, r.body)
	}
	if q := ts.getOK(path)["properties"].(map[string]any)["QLR"]; q != "丁" {
		t.Errorf("QLR = %v", q)
	}
}

// cs2cs returns PROJ's transformation of points from one CRS to another, both in the axis
// order of their EPSG definitions: a test fails without PROJ's cs2cs under CI.
func cs2cs(t *testing.T, from, to string, pts [][2]float64) [][2]float64 {
	t.Helper()
	bin := needTool(t, "cs2cs", "proj-bin")
	var in strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&in, "%.6f %.6f\n", p[0], p[1])
	}
	cmd := exec.Command(bin, "-f", "%.12f", from, to)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cs2cs: %v", err)
	}
	var res [][2]float64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		a, err1 := strconv.ParseFloat(f[0], 64)
		b, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("cs2cs printed %q", sc.Text())
		}
		res = append(res, [2]float64{a, b})
	}
	if len(res) != len(pts) {
		t.Fatalf("cs2cs: %d points for %d:\n%s", len(res), len(pts), out)
	}
	return res
}

// ringGK returns a closed ring of northing/easting pairs in EPSG:4549 (the CRS's axis order).
func ringGK(pts [][2]float64) string {
	var s []string
	for _, p := range append(pts, pts[0]) {
		s = append(s, fmt.Sprintf("[%.3f,%.3f]", p[0], p[1]))
	}
	return "[" + strings.Join(s, ",") + "]"
}

// A POST and a PUT in EPSG:4549, coordinates northing first as the CRS declares them, land
// where PROJ puts them, within a millimetre.
func TestOGCWriteInGaussKrugerMatchesPROJ(t *testing.T) {
	ts := newWriteServer(t)
	gk := []string{"Content-Type", "application/geo+json", "Content-Crs", "<http://www.opengis.net/def/crs/EPSG/0/4549>"}
	check := func(id string, nePts [][2]float64) {
		t.Helper()
		want := cs2cs(t, "EPSG:4549", "EPSG:4490", nePts) // latitude, longitude
		f := ts.getOK("/ogc/collections/parcels/items/" + id)
		coords := f["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)[0].([]any)
		if len(coords) != len(nePts)+1 {
			t.Fatalf("feature %s has %d positions, want %d", id, len(coords), len(nePts)+1)
		}
		worst := 0.0
		for i, w := range want {
			ll := orb.Point{w[1], w[0]}
			best := math.Inf(1)
			for _, c := range coords {
				p := c.([]any)
				best = math.Min(best, metres(orb.Point{p[0].(float64), p[1].(float64)}, ll))
			}
			worst = math.Max(worst, best)
			if best > 0.001 {
				t.Errorf("feature %s: PROJ's point %d %v is %.6f m from every position read back", id, i, ll, best)
			}
		}
		t.Logf("feature %s: largest distance from PROJ %.2e m", id, worst)
	}
	square := [][2]float64{{3203100, 389800}, {3203100, 389900}, {3203200, 389900}, {3203200, 389800}}
	r := ts.call("POST", "/ogc/collections/parcels/items",
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[`+ringGK(square)+`]},"properties":{"DKBH":"GK-001"}}`,
		append(gk, bearer(editorKey)...)...)
	if r.status != 201 {
		t.Fatalf("POST in EPSG:4549: %d %s", r.status, r.body)
	}
	if r.header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/4549>" {
		t.Errorf("answer Content-Crs %q", r.header.Get("Content-Crs"))
	}
	// The answer is in the CRS of the request, northing first: near the square's corners.
	ans := r.json(t)["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)[0].([]any)
	if p := ans[0].([]any); p[0].(float64) < 3e6 || p[1].(float64) > 1e6 {
		t.Errorf("answer position %v is not northing, easting", p)
	}
	id := strconv.Itoa(int(r.json(t)["id"].(float64)))
	check(id, square)
	// 100 m × 100 m = 15 亩 (to the projection's scale error, well under 0.1 %).
	if mu := ts.getOK("/ogc/collections/parcels/items/" + id)["properties"].(map[string]any)["area_mu"].(float64); math.Abs(mu-15) > 0.015 {
		t.Errorf("area %v 亩, want about 15", mu)
	}

	moved := [][2]float64{{3203150.25, 389810.5}, {3203120, 389950.75}, {3203260.125, 389960}, {3203255, 389805}}
	r = ts.call("PUT", "/ogc/collections/parcels/items/"+id,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[`+ringGK(moved)+`]},"properties":{"DKBH":"GK-001","QLR":"高斯公司"}}`,
		append(gk, bearer(editorKey)...)...)
	if r.status != 200 {
		t.Fatalf("PUT in EPSG:4549: %d %s", r.status, r.body)
	}
	check(id, moved)

	// A PATCH of the geometry alone, in EPSG:4490 (latitude first).
	lat := [][2]float64{{28.95, 118.88}, {28.95, 118.881}, {28.951, 118.881}, {28.951, 118.88}}
	var s []string
	for _, p := range append(lat, lat[0]) {
		s = append(s, fmt.Sprintf("[%v,%v]", p[0], p[1]))
	}
	r = ts.call("PATCH", "/ogc/collections/parcels/items/"+id, `{"geometry":{"type":"Polygon","coordinates":[[`+strings.Join(s, ",")+`]]}}`,
		append([]string{"Content-Type", "application/merge-patch+json", "Content-Crs", "http://www.opengis.net/def/crs/EPSG/0/4490"}, bearer(editorKey)...)...)
	if r.status != 200 {
		t.Fatalf("PATCH in EPSG:4490: %d %s", r.status, r.body)
	}
	f := ts.getOK("/ogc/collections/parcels/items/" + id)
	first := f["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)[0].([]any)
	var lons, lats []float64
	for _, c := range first {
		lons, lats = append(lons, c.([]any)[0].(float64)), append(lats, c.([]any)[1].(float64))
	}
	if slices.Min(lons) != 118.88 || slices.Max(lons) != 118.881 || slices.Min(lats) != 28.95 || slices.Max(lats) != 28.951 {
		t.Errorf("after the EPSG:4490 patch: %v", first)
	}
	if q := f["properties"].(map[string]any)["QLR"]; q != "高斯公司" {
		t.Errorf("a geometry patch changed QLR to %v", q)
	}
}

// zTiles returns the z14 tiles over bound b and their current ETags ("" for none).
func zTiles(ts *testServer, b orb.Bound) map[tiles.Coord]string {
	out := map[tiles.Coord]string{}
	for c := range tiles.Covering(b, 14) {
		out[c] = ts.get(fmt.Sprintf("/tiles/parcels/%d/%d/%d.mvt", c.Z, c.X, c.Y)).header.Get("ETag")
	}
	return out
}

// tilesChanged fails the test unless every tile of before now has another ETag.
func tilesChanged(t *testing.T, ts *testServer, what string, before map[tiles.Coord]string) {
	t.Helper()
	for c, et := range before {
		if now := ts.get(fmt.Sprintf("/tiles/parcels/%d/%d/%d.mvt", c.Z, c.X, c.Y)).header.Get("ETag"); now == et {
			t.Errorf("%s: tile %v kept its ETag %s", what, c, et)
		}
	}
}

// analysisIDs returns the ids of the parcels the small-parcels analysis finds with filter.
func analysisIDs(t *testing.T, ts *testServer, filter string) map[int]float64 {
	t.Helper()
	fc := decodeFC(t, ts.get("/api/analyses/small-parcels?layer=parcels&max_mu=100000&filter="+urlQuery(filter)))
	out := map[int]float64{}
	for _, f := range fc.Features {
		out[int(f.ID)] = f.Properties["area_mu"].(float64)
	}
	return out
}

func urlQuery(s string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", "'", "%27", "=", "%3D", "&", "%26", "+", "%2B").Replace(s)
}

// Writes through Part 4 are ledger changes like any other: the history names the key, the
// tiles over the parcel change and the analyses see the new state.
func TestOGCWriteHistoryTilesAndAnalyses(t *testing.T) {
	ts := newSampleServer(t)
	sn := ts.index.Layer("parcels")
	f := sn.Feature(42)
	code := f.Attrs.String("DKBH")
	tilesBefore := zTiles(ts, f.Bound())

	// Shrink parcel 42 to its south-west quarter.
	b := f.Bound()
	mid := orb.Point{(b.Min[0] + b.Max[0]) / 2, (b.Min[1] + b.Max[1]) / 2}
	ring := fmt.Sprintf(`[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]`, b.Min[0], b.Min[1], mid[0], b.Min[1], mid[0], mid[1], b.Min[0], mid[1], b.Min[0], b.Min[1])
	r := ts.call("PATCH", "/ogc/collections/parcels/items/42", `{"geometry":{"type":"Polygon","coordinates":[`+ring+`]},"properties":{"YJDJ":"测试"}}`,
		append([]string{"Content-Type", "application/merge-patch+json"}, basic(editorKey)...)...)
	if r.status != 200 {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	newMu := r.json(t)["properties"].(map[string]any)["area_mu"].(float64)
	if newMu >= f.Derived.AreaMu/2 {
		t.Errorf("area after shrinking: %v 亩, before %v", newMu, f.Derived.AreaMu)
	}
	var keys []string
	for _, c := range ts.getOK("/api/layers/parcels/features/42/history")["changes"].([]any) {
		cm := c.(map[string]any)
		if cm["actor"] == "zhang-editor" {
			keys = append(keys, cm["key"].(string))
		}
	}
	if !slices.Contains(keys, "geometry") || !slices.Contains(keys, "YJDJ") {
		t.Errorf("history entries of zhang-editor: %v", keys)
	}
	tilesChanged(t, ts, "patched parcel", tilesBefore)
	if got := analysisIDs(t, ts, "DKBH = '"+code+"'"); len(got) != 1 || math.Abs(got[42]-newMu) > 1e-9 {
		t.Errorf("analysis sees parcel 42 as %v, want %v 亩", got, newMu)
	}
	if got := analysisIDs(t, ts, "YJDJ = '测试'"); len(got) != 1 {
		t.Errorf("analysis by the new YJDJ: %v", got)
	}

	// A new parcel where the shrunk one was, then deleted.
	ring2 := fmt.Sprintf(`[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]`, mid[0], mid[1], b.Max[0], mid[1], b.Max[0], b.Max[1], mid[0], b.Max[1], mid[0], mid[1])
	before := zTiles(ts, orb.Bound{Min: mid, Max: b.Max})
	r = ts.call("POST", "/ogc/collections/parcels/items", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[`+ring2+`]},"properties":{"DKBH":"NEW-0001","QLR":"新来公司"}}`,
		geoJSONWith(editorKey)...)
	if r.status != 201 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	newID := int(r.json(t)["id"].(float64))
	tilesChanged(t, ts, "new parcel", before)
	if got := analysisIDs(t, ts, "DKBH = 'NEW-0001'"); len(got) != 1 || got[newID] == 0 {
		t.Errorf("analysis of the new parcel: %v (id %d)", got, newID)
	}
	if h := ts.getOK(fmt.Sprintf("/api/layers/parcels/features/%d/history", newID))["changes"].([]any); len(h) != 1 || h[0].(map[string]any)["actor"] != "zhang-editor" {
		t.Errorf("history of the new parcel: %v", h)
	}
	before = zTiles(ts, orb.Bound{Min: mid, Max: b.Max})
	if r := ts.call("DELETE", fmt.Sprintf("/ogc/collections/parcels/items/%d", newID), "", bearer(editorKey)...); r.status != 204 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	tilesChanged(t, ts, "deleted parcel", before)
	if got := analysisIDs(t, ts, "DKBH = 'NEW-0001'"); len(got) != 0 {
		t.Errorf("analysis still finds the deleted parcel: %v", got)
	}
}
