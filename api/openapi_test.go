package api

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The OpenAPI document describes exactly the routes of the route table that builds the router.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	ts := newTestServer(t)
	doc := ts.getOK("/api/openapi.json")
	if doc["openapi"] != "3.0.3" {
		t.Fatalf("openapi = %v", doc["openapi"])
	}
	if servers := doc["servers"].([]any); servers[0].(map[string]any)["url"] != ts.http.URL {
		t.Errorf("servers = %v", servers)
	}
	paths := doc["paths"].(map[string]any)
	seen := map[string]bool{}
	n := 0
	for _, r := range ts.srv.routeTable() {
		path, params := openAPIPath(r.Path)
		item, ok := paths[path].(map[string]any)
		if !ok {
			t.Errorf("%s %s: no path %s", r.Method, r.Path, path)
			continue
		}
		op, ok := item[strings.ToLower(r.Method)].(map[string]any)
		if !ok {
			t.Errorf("%s %s: no operation", r.Method, path)
			continue
		}
		n++
		if op["operationId"] != r.OperationID || r.OperationID == "" || seen[r.OperationID] {
			t.Errorf("%s %s: operationId %v (route %q) missing or not unique", r.Method, path, op["operationId"], r.OperationID)
		}
		seen[r.OperationID] = true
		declared := map[string]bool{}
		for _, p := range asSlice(op["parameters"]) {
			pm := p.(map[string]any)
			if pm["in"] == "path" {
				declared[pm["name"].(string)] = true
			}
		}
		for _, name := range params {
			if !declared[name] {
				t.Errorf("%s %s: path parameter %s not declared", r.Method, path, name)
			}
		}
		if r.Write && op["security"] == nil {
			t.Errorf("%s %s: a write without security", r.Method, path)
		}
	}
	if n < 20 {
		t.Errorf("only %d operations", n)
	}
	// What GDAL and QGIS read: the items operation with limit bounds.
	// QGIS reads the page size bounds from components/parameters/limit.
	items := paths["/ogc/collections/{id}/items"].(map[string]any)["get"].(map[string]any)
	refs := 0
	for _, p := range asSlice(items["parameters"]) {
		if p.(map[string]any)["$ref"] == "#/components/parameters/limit" {
			refs++
		}
	}
	limit := doc["components"].(map[string]any)["parameters"].(map[string]any)["limit"].(map[string]any)["schema"].(map[string]any)
	if refs != 1 || limit["type"] != "integer" || limit["maximum"] != 10000.0 || limit["default"] != 100.0 || limit["minimum"] != 1.0 {
		t.Errorf("limit: %d references, schema %v", refs, limit)
	}
	// /ogc/api serves the same document with the OpenAPI media type.
	r := ts.get("/ogc/api", "Accept", "application/vnd.oai.openapi+json;version=3.0, application/json")
	if r.status != 200 || r.header.Get("Content-Type") != "application/vnd.oai.openapi+json;version=3.0" {
		t.Errorf("/ogc/api: %d %s", r.status, r.header.Get("Content-Type"))
	}
	var other map[string]any
	if err := json.Unmarshal(r.body, &other); err != nil || len(other["paths"].(map[string]any)) != len(paths) {
		t.Errorf("/ogc/api differs from /api/openapi.json: %v", err)
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func TestOpenAPIPathConversion(t *testing.T) {
	for _, tt := range []struct {
		echo, want string
		params     []string
	}{
		{"/api/layers", "/api/layers", nil},
		{"/api/layers/:id/features/:fid", "/api/layers/{id}/features/{fid}", []string{"id", "fid"}},
		{"/tiles/:layers/:z/:x/:y", "/tiles/{layers}/{z}/{x}/{y}", []string{"layers", "z", "x", "y"}},
		{"/assets/*", "/assets/{path}", []string{"path"}},
		{"/", "/", nil},
	} {
		got, params := openAPIPath(tt.echo)
		if got != tt.want || strings.Join(params, ",") != strings.Join(tt.params, ",") {
			t.Errorf("openAPIPath(%q) = %q %v, want %q %v", tt.echo, got, params, tt.want, tt.params)
		}
	}
}

// TestOpenAPIValidatesWithSwaggerParser validates the document with an independent validator:
// @apidevtools/swagger-parser (npm, pinned in testdata/openapi-validate/package-lock.json;
// .ci/run runs npm ci there).
func TestOpenAPIValidatesWithSwaggerParser(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		missingTool(t, "node not installed (.ci/run installs it)")
	}
	if _, err := os.Stat("testdata/openapi-validate/node_modules/@apidevtools/swagger-parser"); err != nil {
		missingTool(t, "swagger-parser not installed: run npm ci in api/testdata/openapi-validate (.ci/run does)")
	}
	ts := newSampleServer(t)
	for _, path := range []string{"/api/openapi.json", "/ogc/api"} {
		r := ts.get(path)
		if r.status != 200 {
			t.Fatalf("%s: %d", path, r.status)
		}
		cmd := exec.Command("node", "validate.mjs", "-")
		cmd.Dir = "testdata/openapi-validate"
		cmd.Stdin = bytes.NewReader(r.body)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("swagger-parser rejects %s: %v\n%s", path, err, out)
		}
		t.Logf("%s: %s", path, strings.TrimSpace(string(out)))
	}
}
