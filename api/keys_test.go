package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/app"
)

// API keys and roles: every write route needs a key, and the key's role must allow the route;
// histories record the key's name, and no secret ever reaches a history, a log line or the
// store.

// unknownKey is a well-formed key that the test servers do not know.
const unknownKey = "unknown-secret-000000001"

// sendAuth sends a request with the Authorization header set by auth (nil: none).
func (ts *testServer) sendAuth(method, path, contentType string, body []byte, auth func(*http.Request)) response {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+path, bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != nil {
		auth(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func bearerAuth(key string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) }
}

func basicAuth(user, key string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, key) }
}

// newKeysServer is a test server holding a parcels layer (KC-001 … KC-003) and a saved
// analysis (kept-blocks), on which every write route has something to act on.
func newKeysServer(t *testing.T, configure func(*Config, *app.Config)) *testServer {
	t.Helper()
	ts := newTestServerWith(t, configure)
	if r := ts.upload("/api/layers?id=parcels", parcelsGeoJSON); r.status != 201 {
		t.Fatalf("create parcels = %d %s", r.status, r.body)
	}
	if r := ts.do("POST", "/api/analyses", "application/json", testKey, strings.NewReader(`{"layer":"parcels","group":true,"min_mu":1,"save_as":"kept-blocks"}`)); r.status != 201 {
		t.Fatalf("save analysis = %d %s", r.status, r.body)
	}
	return ts
}

// writeRequest is a request that a write route accepts from a key of the right role.
type writeRequest struct {
	path, contentType string
	body              []byte
	status            int      // its success status
	need              app.Role // the least role that may send it
}

// writeRequests returns, by "METHOD /route", an accepted request for every write route.
func writeRequests(t *testing.T) map[string]writeRequest {
	var ev bytes.Buffer
	mw := multipart.NewWriter(&ev)
	fw, _ := mw.CreateFormFile("file", "照片.jpg")
	fw.Write(jpegFile(t, 4, 4))
	mw.Close()
	geo := "application/geo+json"
	return map[string]writeRequest{
		"POST /api/layers":                            {"/api/layers?id=new-parcels", geo, []byte(parcelsGeoJSON), 201, app.RoleEditor},
		"PUT /api/layers/:id":                         {"/api/layers/parcels", geo, []byte(parcelsGeoJSON), 200, app.RoleEditor},
		"PATCH /api/layers/:id":                       {"/api/layers/parcels", "application/json", []byte(`{"title":"柯城区"}`), 200, app.RoleAdmin},
		"DELETE /api/layers/:id":                      {"/api/layers/parcels", "", nil, 204, app.RoleAdmin},
		"PATCH /api/layers/:id/features/:fid":         {"/api/layers/parcels/features/2", "application/merge-patch+json", []byte(`{"ZRR":"张三"}`), 200, app.RoleEditor},
		"POST /api/analyses":                          {"/api/analyses", "application/json", []byte(`{"layer":"parcels","group":true,"min_mu":1,"save_as":"new-blocks"}`), 201, app.RoleEditor},
		"DELETE /api/analyses/:id":                    {"/api/analyses/kept-blocks", "", nil, 204, app.RoleEditor},
		"PATCH /api/layers/:id/parcels/:code":         {"/api/layers/parcels/parcels/KC-001", "application/merge-patch+json", []byte(`{"CZZT":"处置中"}`), 200, app.RoleEditor},
		"POST /api/layers/:id/parcels/:code/evidence": {"/api/layers/parcels/parcels/KC-002/evidence", mw.FormDataContentType(), ev.Bytes(), 201, app.RoleEditor},
		"PUT /api/targets":                            {"/api/targets?layer=parcels", "application/json", []byte(`{"group_by":[],"targets":[{"group":[],"mu":10,"due":"2026-12-31"}]}`), 200, app.RoleAdmin},
		"POST /ogc/collections/:id/items": {"/ogc/collections/parcels/items", geo,
			[]byte(feature(square(118.875, 28.94, 0.001), `{"DKBH":"KC-100","QLR":"新公司"}`)), 201, app.RoleEditor},
		"PUT /ogc/collections/:id/items/:fid": {"/ogc/collections/parcels/items/3", geo,
			[]byte(feature(square(118.9, 28.96, 0.002), `{"DKBH":"KC-003","QLR":"丙化工（新）"}`)), 200, app.RoleEditor},
		"PATCH /ogc/collections/:id/items/:fid":  {"/ogc/collections/parcels/items/2", "application/merge-patch+json", []byte(`{"properties":{"QLR":"改名公司"}}`), 200, app.RoleEditor},
		"DELETE /ogc/collections/:id/items/:fid": {"/ogc/collections/parcels/items/3", "", nil, 204, app.RoleEditor},
	}
}

// TestWriteRoutesCheckKeysAndRoles walks every write route of the route table: without a key
// 401 with a challenge, with an unknown key 403, with a key whose role is too low 403 — each
// changing nothing — and with a key of a role that allows it (Bearer, or Basic with the key as
// the password) the write is done.
func TestWriteRoutesCheckKeysAndRoles(t *testing.T) {
	reqs := writeRequests(t)
	keys := []struct {
		name, secret string
		role         app.Role
	}{
		{"zhang-editor", editorKey, app.RoleEditor},
		{"li-reviewer", reviewerKey, app.RoleReviewer},
		{"admin", testKey, app.RoleAdmin},
	}
	// allowed is written out by hand: an editor may do what needs an editor; a reviewer what
	// needs an editor; an admin anything.
	allowed := func(role, need app.Role) bool {
		return role == app.RoleAdmin || need == app.RoleEditor
	}
	routes := 0
	for _, rt := range newTestServer(t).srv.routeTable() {
		if !rt.Write {
			continue
		}
		routes++
		name := rt.Method + " " + rt.Path
		req, ok := reqs[name]
		if !ok {
			t.Errorf("write route %s has no case in this test", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			ts := newKeysServer(t, nil)
			state := func() string {
				return ts.storeState() + string(ts.get("/api/analyses").body) + string(ts.get("/api/layers/parcels/parcels/KC-002/evidence").body) +
					string(ts.get("/api/targets?layer=parcels").body)
			}
			before := state()
			denied := []struct {
				why    string
				auth   func(*http.Request)
				status int
			}{
				{"no key", nil, 401},
				{"unknown key", bearerAuth(unknownKey), 403},
				{"unknown key by Basic", basicAuth("qgis", unknownKey), 403},
				{"empty Bearer", bearerAuth(""), 401},
				{"Basic without a password", basicAuth(editorKey, ""), 401},
			}
			for _, k := range keys {
				if !allowed(k.role, req.need) {
					denied = append(denied, struct {
						why    string
						auth   func(*http.Request)
						status int
					}{k.name, bearerAuth(k.secret), 403})
				}
			}
			for _, d := range denied {
				r := ts.sendAuth(rt.Method, req.path, req.contentType, req.body, d.auth)
				if r.status != d.status || r.header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s: %d %s, want %d", d.why, r.status, r.body, d.status)
					continue
				}
				if challenge := r.header.Get("WWW-Authenticate"); (d.status == 401) != (challenge != "") {
					t.Errorf("%s: WWW-Authenticate %q with status %d", d.why, challenge, d.status)
				}
				if d.status == 403 && d.auth != nil {
					detail := r.json(t)["detail"].(string)
					if strings.HasPrefix(d.why, "unknown") && !strings.Contains(detail, "not valid") {
						t.Errorf("%s: detail %q", d.why, detail)
					}
					if !strings.HasPrefix(d.why, "unknown") && (!strings.Contains(detail, d.why) || !strings.Contains(detail, "admin")) {
						t.Errorf("%s: detail %q does not name the key and the role needed", d.why, detail)
					}
				}
			}
			if after := state(); after != before {
				t.Errorf("refused requests changed the store:\n%s\n→\n%s", before, after)
			}
			// Each key whose role allows the route, on a fresh server; and an allowed key by Basic
			// authentication (any user name, the key as the password).
			type grant struct {
				why  string
				auth func(*http.Request)
			}
			var grants []grant
			for _, k := range keys {
				if allowed(k.role, req.need) {
					grants = append(grants, grant{k.name, bearerAuth(k.secret)})
				}
			}
			grants = append(grants, grant{"admin by Basic", basicAuth("qgis-user", testKey)})
			if req.need == app.RoleEditor {
				grants = append(grants, grant{"editor by Basic", basicAuth("", editorKey)})
			}
			for i, g := range grants {
				s := ts
				if i > 0 {
					s = newKeysServer(t, nil)
				}
				if r := s.sendAuth(rt.Method, req.path, req.contentType, req.body, g.auth); r.status != req.status {
					t.Errorf("%s: %d %s, want %d", g.why, r.status, r.body, req.status)
				}
			}
		})
	}
	if routes != len(reqs) {
		t.Errorf("the route table has %d write routes, this test knows %d", routes, len(reqs))
	}
}

// TestHistoryNamesKeysAndNoSecretIsKept makes changes with every key, by Bearer and by Basic
// authentication, and refused requests with an unknown key and a key in the query string;
// then the histories name the keys, and no secret appears in any history entry, change log,
// evidence record, log line, or anywhere in the store's file.
func TestHistoryNamesKeysAndNoSecretIsKept(t *testing.T) {
	var logs lockedBuffer
	ts := newKeysServer(t, func(c *Config, a *app.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		a.Logger = c.Logger
	})
	secrets := []string{testKey, editorKey, reviewerKey, reviewer2Key, unknownKey}
	patch := func(code, body, reason string, auth func(*http.Request)) {
		t.Helper()
		p := parcelPath("parcels", code)
		if reason != "" {
			p += "?reason=" + reason
		}
		if r := ts.sendAuth("PATCH", p, "application/merge-patch+json", []byte(body), auth); r.status != 200 {
			t.Fatalf("PATCH %s %s = %d %s", code, body, r.status, r.body)
		}
	}
	patch("KC-001", `{"CZZT":"处置中","ZRR":"张三"}`, "", bearerAuth(editorKey))
	patch("KC-001", `{"CZZT":"待核验"}`, "", basicAuth("qgis-user", reviewerKey))
	patch("KC-001", `{"CZZT":"已销号"}`, "", basicAuth(reviewer2Key, reviewer2Key)) // the user name is ignored
	patch("KC-001", `{"CZZT":"处置中"}`, "recheck", bearerAuth(testKey))
	if r := ts.postEvidence("parcels", "KC-002", editorKey, "", evidenceFile{"照片.jpg", jpegFile(t, 4, 4)}); r.status != 201 {
		t.Fatalf("evidence = %d %s", r.status, r.body)
	}
	if r := ts.sendAuth("PUT", "/api/layers/parcels", "application/geo+json", []byte(collection(
		feature(square(118.87, 28.94, 0.001), `{"DKBH":"KC-001","QLR":"新"}`), feature(square(118.871, 28.94, 0.001), `{"DKBH":"KC-002"}`))), basicAuth("x", editorKey)); r.status != 200 {
		t.Fatalf("replace = %d %s", r.status, r.body)
	}
	// Refused: an unknown key, a key in the query string, an editor on an admin route.
	ts.sendAuth("PATCH", parcelPath("parcels", "KC-001"), "application/merge-patch+json", []byte(`{"ZRR":"李四"}`), bearerAuth(unknownKey))
	ts.sendAuth("PATCH", parcelPath("parcels", "KC-001")+"?key="+editorKey, "application/merge-patch+json", []byte(`{"ZRR":"李四"}`), nil)
	ts.get("/api/layers?key=" + reviewerKey)
	ts.sendAuth("DELETE", "/api/layers/parcels", "", nil, bearerAuth(editorKey))

	var got []string
	var all bytes.Buffer
	history := func(code string) {
		for _, c := range ts.historyJSON("parcels", code) {
			m := c.(map[string]any)
			got = append(got, code+" "+m["key"].(string)+" by "+m["actor"].(string))
			b, _ := json.Marshal(m)
			all.Write(b)
		}
	}
	for _, code := range []string{"KC-001", "KC-002", "KC-003"} {
		history(code)
	}
	want := []string{
		"KC-001 CZZT by zhang-editor", "KC-001 ZRR by zhang-editor", "KC-001 CZZT by li-reviewer", "KC-001 CZZT by wang-reviewer",
		"KC-001 XHRQ by wang-reviewer", "KC-001 XHRQ by admin", "KC-001 CZZT by admin",
		"KC-001 MJSS by zhang-editor", "KC-001 QLR by zhang-editor", "KC-001 WWLX by zhang-editor",
		"KC-002 evidence by zhang-editor", "KC-002 MJSS by zhang-editor", "KC-002 QLR by zhang-editor",
	}
	if !slices.Equal(got, want) {
		t.Errorf("history actors:\n got %q\nwant %q", got, want)
	}
	for _, p := range []string{"/api/layers/parcels/changes", parcelPath("parcels", "KC-002") + "/evidence", parcelPath("parcels", "KC-003"), "/api/analyses"} {
		all.Write(ts.get(p).body)
	}
	ts.http.Close() // waits for every request, so that every access log line is written
	logText := logs.String()
	if n := strings.Count(logText, `"msg":"request"`); n < 14 {
		t.Errorf("%d access log lines, want one per request", n)
	}
	if !strings.Contains(logText, "key=REDACTED") {
		t.Errorf("the access log does not show the redacted key parameter:\n%s", logText)
	}
	dbFile, err := os.ReadFile(ts.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		for what, text := range map[string]string{"a history or change log": all.String(), "the log": logText, "the store's file": string(dbFile)} {
			if strings.Contains(text, s) {
				t.Errorf("secret %q is in %s", s, what)
			}
		}
	}
}
