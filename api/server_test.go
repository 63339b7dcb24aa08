package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/store"
)

const testKey = "test-key"

type testServer struct {
	t     testing.TB
	srv   *Server
	app   *app.App
	db    *store.DB
	index *spatial.Index
	http  *httptest.Server
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	return newTestServerWith(t, nil)
}

// newTestServerWith is newTestServer with the configurations of the server and of its
// application core adjusted by configure.
func newTestServerWith(t testing.TB, configure func(*Config, *app.Config)) *testServer {
	t.Helper()
	db, err := store.Open(t.TempDir()+"/mudi.db", store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	acfg := app.Config{Store: db, Now: func() time.Time { return time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC) }}
	cfg := Config{Logger: slog.New(slog.DiscardHandler), Keys: testKeys(), MaxBodyBytes: 1 << 20}
	if configure != nil {
		configure(&cfg, &acfg)
	}
	core, err := app.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.App = core
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetReady(true)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &testServer{t: t, srv: srv, app: core, db: db, index: core.Index(), http: hs}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	return m
}

// do sends a request; key "" sends no Authorization header.
func (ts *testServer) do(method, path, contentType, key string, body io.Reader) response {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (ts *testServer) upload(path, geojson string) response {
	ts.t.Helper()
	return ts.do(http.MethodPost, path, "application/geo+json", testKey, strings.NewReader(geojson))
}

// storeState summarises what the store holds, to check that failed writes changed nothing.
func (ts *testServer) storeState() string {
	ts.t.Helper()
	layers, err := ts.db.Layers()
	if err != nil {
		ts.t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range layers {
		_, fs, err := ts.db.LoadLayer(context.Background(), l.ID)
		if err != nil {
			ts.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s v%d %d features; ", l.ID, l.Version, len(fs))
	}
	return b.String()
}

func square(x, y, d float64) string {
	return fmt.Sprintf(`[[%[1]v,%[2]v],[%[3]v,%[2]v],[%[3]v,%[4]v],[%[1]v,%[4]v],[%[1]v,%[2]v]]`, x, y, x+d, y+d)
}

func feature(ring, props string) string {
	return `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + ring + `]},"properties":` + props + `}`
}

func collection(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

var parcelsGeoJSON = collection(
	feature(square(118.87, 28.94, 0.001), `{"DKBH":"KC-001","QLR":"浙江衢州甲新材料有限公司","WWLX":"供而未用","MJSS":1.5}`),
	feature(square(118.871, 28.94, 0.001), `{"DKBH":"KC-002","QLR":"衢州乙机械有限公司","WWLX":null,"MJSS":32.0}`),
	feature(square(118.9, 28.96, 0.002), `{"DKBH":"KC-003","QLR":"丙化工有限公司","WWLX":"建而未投","MJSS":0.8}`),
)

var controlGeoJSON = collection(feature(square(118.869, 28.939, 0.004), `{"KZXLX":"工业用地控制线"}`))

func TestHealthAndReadiness(t *testing.T) {
	ts := newTestServer(t)
	if r := ts.do("GET", "/healthz", "", "", nil); r.status != 200 {
		t.Errorf("healthz = %d", r.status)
	}
	if r := ts.do("GET", "/readyz", "", "", nil); r.status != 200 {
		t.Errorf("readyz = %d", r.status)
	}
	ts.srv.SetReady(false)
	if r := ts.do("GET", "/readyz", "", "", nil); r.status != 503 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("readyz while loading = %d %s", r.status, r.header.Get("Content-Type"))
	}
}

func TestCreateListGetReplaceDeleteLayer(t *testing.T) {
	ts := newTestServer(t)
	if r := ts.upload("/api/layers?id=control-lines&kind=control", controlGeoJSON); r.status != 201 {
		t.Fatalf("create control = %d %s", r.status, r.body)
	}
	r := ts.upload("/api/layers?id=parcels&title=示例地块", parcelsGeoJSON)
	if r.status != 201 || r.header.Get("Location") != "/api/layers/parcels" {
		t.Fatalf("create parcels = %d %s", r.status, r.body)
	}
	layer := r.json(t)["layer"].(map[string]any)
	if layer["feature_count"] != 3.0 || layer["title"] != "示例地块" || layer["control_layer"] != "control-lines" || layer["kind"] != "parcels" {
		t.Errorf("layer = %v", layer)
	}
	roles := layer["roles"].(map[string]any)
	if roles["code"] != "DKBH" || roles["owner"] != "QLR" || roles["tax_per_mu"] != "MJSS" {
		t.Errorf("detected roles = %v", roles)
	}
	bounds := layer["bounds"].([]any)
	if bounds[0] != 118.87 || bounds[3] != 28.962 {
		t.Errorf("bounds = %v", bounds)
	}

	list := ts.do("GET", "/api/layers", "", "", nil).json(t)["layers"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["id"] != "control-lines" {
		t.Errorf("list = %v", list)
	}

	r = ts.do("PUT", "/api/layers/parcels", "application/geo+json", testKey, strings.NewReader(collection(
		feature(square(118.87, 28.94, 0.001), `{"DKBH":"KC-001"}`))))
	if r.status != 200 {
		t.Fatalf("replace = %d %s", r.status, r.body)
	}
	got := ts.do("GET", "/api/layers/parcels", "", "", nil).json(t)
	if got["version"] != 2.0 || got["feature_count"] != 1.0 || got["title"] != "示例地块" || got["control_layer"] != "control-lines" {
		t.Errorf("after replace = %v", got)
	}
	if r := ts.do("DELETE", "/api/layers/control-lines", "", testKey, nil); r.status != 409 {
		t.Errorf("deleting a control layer in use = %d, want 409", r.status)
	}
	if r := ts.do("DELETE", "/api/layers/parcels", "", testKey, nil); r.status != 204 {
		t.Errorf("delete = %d %s", r.status, r.body)
	}
	if r := ts.do("GET", "/api/layers/parcels", "", "", nil); r.status != 404 {
		t.Errorf("get deleted = %d", r.status)
	}
	if s := ts.storeState(); s != "control-lines v1 1 features; " {
		t.Errorf("store = %q", s)
	}
}

func TestMultipartUpload(t *testing.T) {
	ts := newTestServer(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("id", "uploaded")
	_ = mw.WriteField("kind", "parcels")
	fw, _ := mw.CreateFormFile("file", "地块.geojson")
	_, _ = fw.Write([]byte(parcelsGeoJSON))
	mw.Close()
	r := ts.do("POST", "/api/layers", mw.FormDataContentType(), testKey, &body)
	if r.status != 201 {
		t.Fatalf("multipart = %d %s", r.status, r.body)
	}
	src := r.json(t)["layer"].(map[string]any)["source"].(map[string]any)
	if src["file"] != "地块.geojson" || src["crs"] != "EPSG:4326" {
		t.Errorf("source = %v", src)
	}
}

// Every bad write answers with a problem naming what is wrong and leaves the store as it was.
func TestBadWritesAreProblemsAndChangeNothing(t *testing.T) {
	ts := newTestServer(t)
	if r := ts.upload("/api/layers?id=parcels", parcelsGeoJSON); r.status != 201 {
		t.Fatal(r.status, string(r.body))
	}
	before := ts.storeState()
	bad := feature(`[[118.87,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.941]]`, `{}`)
	tests := []struct {
		name, method, path, ct, key, body string
		status                            int
		detail                            string // substring of detail
		param                             string
		errFeature                        int // index in errors[0].feature, -1 for none
	}{
		{"invalid JSON", "POST", "/api/layers?id=x", "application/geo+json", testKey, `{"type":`, 400, "unexpected end", "", -1},
		{"non-polygon geometry", "POST", "/api/layers?id=x", "application/geo+json", testKey, collection(`{"type":"Feature","geometry":{"type":"Point","coordinates":[118.87,28.94]},"properties":{}}`), 400, "Point is not a polygon", "", 0},
		{"unclosed ring, strict", "POST", "/api/layers?id=x&strict=true", "application/geo+json", testKey, collection(feature(square(118.87, 28.94, 0.001), `{}`), bad), 400, "feature 1: exterior ring not closed", "", 1},
		{"NaN", "POST", "/api/layers?id=x", "application/geo+json", testKey, collection(feature(`[[118.87,28.94],[NaN,28.94],[118.871,28.941],[118.87,28.94]]`, `{}`)), 400, "not a finite number", "", 0},
		{"projected without CRS", "POST", "/api/layers?id=x", "application/geo+json", testKey, collection(feature(square(389826, 3203144, 100), `{}`)), 400, "look projected", "", 0},
		{"existing layer id", "POST", "/api/layers?id=parcels", "application/geo+json", testKey, parcelsGeoJSON, 409, "already exists", "id", -1},
		{"missing key", "POST", "/api/layers?id=x", "application/geo+json", "", parcelsGeoJSON, 401, "Bearer", "", -1},
		{"wrong key", "POST", "/api/layers?id=x", "application/geo+json", "nope", parcelsGeoJSON, 403, "not valid", "", -1},
		{"unsupported media type", "POST", "/api/layers?id=x", "text/csv", testKey, "a,b", 415, "text/csv", "", -1},
		{"body too large", "POST", "/api/layers?id=x", "application/geo+json", testKey, collection(strings.Repeat(feature(square(118.87, 28.94, 0.001), `{}`)+",", 8000) + feature(square(118.87, 28.94, 0.001), `{}`)), 413, "limit", "", -1},
		{"bad layer id", "POST", "/api/layers?id=Bad%20Id", "application/geo+json", testKey, parcelsGeoJSON, 400, "not a valid layer id", "id", -1},
		{"bad kind", "POST", "/api/layers?id=x&kind=roads", "application/geo+json", testKey, parcelsGeoJSON, 400, "parcels or control", "kind", -1},
		{"unknown CRS", "POST", "/api/layers?id=x&crs=EPSG:2385", "application/geo+json", testKey, parcelsGeoJSON, 400, "2385", "crs", -1},
		{"control layer that is not a control layer", "POST", "/api/layers?id=x&control=parcels", "application/geo+json", testKey, parcelsGeoJSON, 400, "not a control layer", "control", -1},
		{"role naming a missing field", "POST", "/api/layers?id=x&roles=code=NOPE", "application/geo+json", testKey, parcelsGeoJSON, 400, "NOPE", "roles", -1},
		{"replace unknown layer", "PUT", "/api/layers/nope", "application/geo+json", testKey, parcelsGeoJSON, 404, "does not exist", "", -1},
		{"delete unknown layer", "DELETE", "/api/layers/nope", "", testKey, "", 404, "does not exist", "", -1},
		{"patch a derived attribute", "PATCH", "/api/layers/parcels/features/1", "application/json", testKey, `{"area_mu":1}`, 400, "computed by mudi", "area_mu", -1},
		{"patch with a wrong type", "PATCH", "/api/layers/parcels/features/1", "application/json", testKey, `{"MJSS":"high"}`, 400, "type real", "MJSS", -1},
		{"patch an unknown feature", "PATCH", "/api/layers/parcels/features/99", "application/json", testKey, `{"CZZT":"处置中"}`, 404, "no feature 99", "", -1},
		{"patch with a bad feature id", "PATCH", "/api/layers/parcels/features/abc", "application/json", testKey, `{"CZZT":"处置中"}`, 400, "positive integers", "fid", -1},
		{"patch layer with unknown member", "PATCH", "/api/layers/parcels", "application/json", testKey, `{"colour":"red"}`, 400, "colour", "", -1},
		{"patch layer with a missing control layer", "PATCH", "/api/layers/parcels", "application/json", testKey, `{"control_layer":"nope"}`, 400, "does not exist", "control_layer", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			r := ts.do(tt.method, tt.path, tt.ct, tt.key, body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			p := r.json(t)
			if p["status"] != float64(tt.status) || p["type"] == "" || p["title"] == "" {
				t.Errorf("problem = %v", p)
			}
			if d, _ := p["detail"].(string); !strings.Contains(d, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", d, tt.detail)
			}
			if tt.param != "" && p["param"] != tt.param {
				t.Errorf("param = %v, want %s", p["param"], tt.param)
			}
			if tt.errFeature >= 0 {
				errs, _ := p["errors"].([]any)
				if len(errs) == 0 || errs[0].(map[string]any)["feature"] != float64(tt.errFeature) {
					t.Errorf("errors = %v, want feature %d first", p["errors"], tt.errFeature)
				}
			}
			if s := ts.storeState(); s != before {
				t.Errorf("store changed: %q → %q", before, s)
			}
		})
	}
}

func TestImportSkipsAndListsInvalidFeaturesWhenNotStrict(t *testing.T) {
	ts := newTestServer(t)
	in := collection(
		feature(square(118.87, 28.94, 0.001), `{"DKBH":"A"}`),
		feature(`[[118.87,28.94],[118.871,28.941],[118.871,28.94],[118.87,28.941],[118.87,28.94]]`, `{"DKBH":"bow tie"}`),
		feature(`[[118.88,28.94],[118.881,28.94],[118.881,28.941],[118.88,28.941]]`, `{"DKBH":"unclosed"}`),
	)
	r := ts.upload("/api/layers?id=p", in)
	if r.status != 201 {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["skipped"] != 1.0 || m["layer"].(map[string]any)["feature_count"] != 2.0 {
		t.Errorf("answer = %v", m)
	}
	problems := m["problems"].([]any)
	if len(problems) != 2 {
		t.Fatalf("problems = %v", problems)
	}
	first := problems[0].(map[string]any)
	if first["feature"] != 1.0 || !strings.Contains(first["reason"].(string), "self-intersects") || first["at"] == nil {
		t.Errorf("first problem = %v", first)
	}
	if second := problems[1].(map[string]any); second["feature"] != 2.0 || second["repaired"] != true {
		t.Errorf("second problem = %v", second)
	}
}

func TestFeatureEditsKeepAHistory(t *testing.T) {
	ts := newTestServer(t)
	if r := ts.upload("/api/layers?id=parcels", parcelsGeoJSON); r.status != 201 {
		t.Fatal(r.status)
	}
	f := ts.do("GET", "/api/layers/parcels/features/1", "", "", nil)
	if f.status != 200 || f.header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("get feature = %d %s", f.status, f.header.Get("Content-Type"))
	}
	props := f.json(t)["properties"].(map[string]any)
	if props["QLR"] != "浙江衢州甲新材料有限公司" || props["area_mu"].(float64) < 16 || props["area_mu"].(float64) > 16.3 {
		t.Errorf("properties = %v", props)
	}
	steps := []struct{ key, patch string }{
		{editorKey, `{"CZZT":"处置中","ZRDW":"柯城区经信局"}`},
		{editorKey, `{"CZZT":"待核验"}`},
		{reviewerKey, `{"CZZT":"已销号"}`},
		{editorKey, `{"ZRDW":null}`},
	}
	for _, s := range steps {
		if r := ts.do("PATCH", "/api/layers/parcels/features/1", "application/merge-patch+json", s.key, strings.NewReader(s.patch)); r.status != 200 {
			t.Fatalf("patch %s = %d %s", s.patch, r.status, r.body)
		}
	}
	props = ts.do("GET", "/api/layers/parcels/features/1", "", "", nil).json(t)["properties"].(map[string]any)
	// Closing off sets the close-off date: the server's clock is 2026-11-21 16:00 in China.
	if props["CZZT"] != "已销号" || props["XHRQ"] != "2026-11-21" {
		t.Errorf("after edits = %v", props)
	}
	if _, ok := props["ZRDW"]; ok {
		t.Errorf("ZRDW not removed: %v", props)
	}
	h := ts.do("GET", "/api/layers/parcels/features/1/history", "", "", nil).json(t)
	var got []string
	for _, c := range h["changes"].([]any) {
		m := c.(map[string]any)
		got = append(got, fmt.Sprintf("%v %v:%v→%v by %v", m["seq"], m["key"], m["before"], m["after"], m["actor"]))
	}
	want := []string{"1 CZZT:<nil>→处置中 by zhang-editor", "2 ZRDW:<nil>→柯城区经信局 by zhang-editor", "3 CZZT:处置中→待核验 by zhang-editor",
		"4 CZZT:待核验→已销号 by li-reviewer", "5 XHRQ:<nil>→2026-11-21 by li-reviewer", "6 ZRDW:柯城区经信局→<nil> by zhang-editor"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("history:\n got %v\nwant %v", got, want)
	}
	layer := ts.do("GET", "/api/layers/parcels", "", "", nil).json(t)
	if layer["version"] != 5.0 {
		t.Errorf("version after 4 edits = %v, want 5", layer["version"])
	}
	// The store holds the edit too (a restart would see it).
	_, fs, _ := ts.db.LoadLayer(context.Background(), "parcels")
	if fs[0].Attrs.Value("CZZT") != "已销号" {
		t.Errorf("stored CZZT = %v", fs[0].Attrs.Value("CZZT"))
	}
}

func TestPatchLayer(t *testing.T) {
	ts := newTestServer(t)
	ts.upload("/api/layers?id=parcels", parcelsGeoJSON)
	ts.upload("/api/layers?id=ctl&kind=control", controlGeoJSON)
	r := ts.do("PATCH", "/api/layers/parcels", "application/json", testKey, strings.NewReader(`{"title":"柯城区地块","roles":{"status":"WWLX","owner":null},"control_layer":"ctl"}`))
	if r.status != 200 {
		t.Fatalf("patch = %d %s", r.status, r.body)
	}
	m := r.json(t)
	roles := m["roles"].(map[string]any)
	if m["title"] != "柯城区地块" || m["control_layer"] != "ctl" || roles["status"] != "WWLX" || roles["owner"] != nil {
		t.Errorf("patched layer = %v", m)
	}
	stored, _ := ts.db.Layer("parcels")
	if stored.Title != "柯城区地块" || stored.ControlLayer != "ctl" {
		t.Errorf("stored layer = %+v", stored)
	}
}

func TestUnknownRouteIsAProblem(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do("GET", "/nope", "", "", nil)
	if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown route = %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r.header.Get("X-Request-ID") == "" || r.json(t)["request_id"] != r.header.Get("X-Request-ID") {
		t.Errorf("request id missing: %v", r.header)
	}
}

// Keys of the test servers, one per role (two reviewers, for the four-eyes rule).
const (
	editorKey    = "editor-secret-000001"
	reviewerKey  = "reviewer-secret-00001"
	reviewer2Key = "reviewer-secret-00002"
)

func testKeys() []Key {
	return []Key{
		{Name: "admin", Role: app.RoleAdmin, Hash: HashKey(testKey)},
		{Name: "zhang-editor", Role: app.RoleEditor, Hash: HashKey(editorKey)},
		{Name: "li-reviewer", Role: app.RoleReviewer, Hash: HashKey(reviewerKey)},
		{Name: "wang-reviewer", Role: app.RoleReviewer, Hash: HashKey(reviewer2Key)},
	}
}
