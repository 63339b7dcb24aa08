package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/api/web"
	"github.com/mudi-gis/mudi/app"
)

// newViewerServer is newTestServer with the web viewer's settings.
func newViewerServer(t testing.TB, basemapURL string) *testServer {
	t.Helper()
	return newTestServerWith(t, func(c *Config, a *app.Config) {
		c.BasemapURL, a.TileCacheBytes = basemapURL, 64<<20
	})
}

// placeholderServer serves the viewer routes with the placeholder page, whatever the build.
func placeholderServer(t testing.TB) *testServer {
	t.Helper()
	ts := newTestServer(t)
	v := newViewer(web.Placeholder(), false, "", ts.srv.publicBase)
	e := echo.NewWithConfig(echo.Config{HTTPErrorHandler: ts.srv.handleError})
	e.GET("/", v.index)
	e.GET("/assets/*", v.asset)
	e.GET("/viewer/config.json", v.configJSON)
	hs := httptest.NewServer(e)
	t.Cleanup(hs.Close)
	ts.http = hs
	return ts
}

func TestCheckBasemapURL(t *testing.T) {
	for _, tt := range []struct {
		name, url string
		ok        bool
	}{
		{"empty means a plain background", "", true},
		{"Tianditu with a key", "https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=abc123", true},
		{"plain XYZ on a port", "http://127.0.0.1:9000/{z}/{x}/{y}.png", true},
		{"missing {y}", "https://tiles.example.com/{z}/{x}.png", false},
		{"not http", "ftp://tiles.example.com/{z}/{x}/{y}.png", false},
		{"relative", "/tiles/{z}/{x}/{y}.png", false},
		{"host template cannot be put in the CSP", "https://t{s}.tianditu.gov.cn/{z}/{x}/{y}", false},
		{"javascript", "javascript:alert(1)//{z}{x}{y}", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckBasemapURL(tt.url)
			if (err == nil) != tt.ok {
				t.Errorf("CheckBasemapURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
			}
		})
	}
}

func TestViewerConfig(t *testing.T) {
	for _, tt := range []struct {
		name, basemap, want string
		cspOrigin           string
	}{
		{"no basemap by default", "", "", ""},
		{"configured basemap is passed to the page and allowed by its CSP",
			"https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=k", "https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=k", "https://t0.tianditu.gov.cn"},
		{"invalid basemap is ignored", "https://x.example.com/tiles.png", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := newViewerServer(t, tt.basemap)
			r := ts.get("/viewer/config.json")
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || r.header.Get("Cache-Control") != "no-cache" {
				t.Fatalf("config: %d %v", r.status, r.header)
			}
			var cfg viewerConfig
			if err := json.Unmarshal(r.body, &cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.BasemapURL != tt.want || cfg.StyleURL != "/styles/default.json" {
				t.Errorf("config = %+v, want basemap %q", cfg, tt.want)
			}
			csp := ts.get("/").header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("CSP %q", csp)
			}
			if tt.cspOrigin != "" && !strings.Contains(csp, "img-src 'self' data: blob: "+tt.cspOrigin+";") {
				t.Errorf("CSP %q does not allow %s", csp, tt.cspOrigin)
			}
			if tt.cspOrigin == "" && strings.Contains(csp, "http") {
				t.Errorf("CSP %q allows another origin", csp)
			}
		})
	}
}

func TestViewerPage(t *testing.T) {
	ts := newTestServer(t)
	_, built := web.Files()
	r := ts.get("/")
	if r.status != 200 || r.header.Get("Content-Type") != "text/html; charset=utf-8" || r.header.Get("Cache-Control") != "no-cache" ||
		r.header.Get("ETag") == "" || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET / = %d %v", r.status, r.header)
	}
	if !bytes.Contains(r.body, []byte(`lang="zh-CN"`)) {
		t.Error("the page is not marked zh-CN")
	}
	if built != bytes.Contains(r.body, []byte("/assets/")) {
		t.Errorf("built = %v but the page %s assets", built, map[bool]string{true: "names", false: "does not name"}[!built])
	}
	for _, tt := range []struct {
		name   string
		header []string
		status int
	}{
		{"same ETag is not modified", []string{"If-None-Match", r.header.Get("ETag")}, 304},
		{"other ETag is sent again", []string{"If-None-Match", `"other"`}, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ts.get("/", tt.header...); got.status != tt.status {
				t.Errorf("status %d, want %d", got.status, tt.status)
			}
		})
	}
	if h := ts.do("HEAD", "/", "", "", nil); h.status != 200 || len(h.body) != 0 {
		t.Errorf("HEAD / = %d with %d bytes", h.status, len(h.body))
	}
}

// TestViewerAssets checks that every file the built page names is served with its type, a
// year-long immutable cache and gzip.
func TestViewerAssets(t *testing.T) {
	files, ok := web.Dist()
	if !ok {
		missingTool(t, "the web viewer is not built into this test binary (make web)")
	}
	ts := newTestServer(t)
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="\.?(/assets/[^"]+)"`).FindAllSubmatch(index, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html names %d assets", len(refs))
	}
	wantType := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	for _, m := range refs {
		path := string(m[1])
		t.Run(path, func(t *testing.T) {
			plain := ts.get(path)
			ext := path[strings.LastIndex(path, "."):]
			if plain.status != 200 || plain.header.Get("Content-Type") != wantType[ext] ||
				plain.header.Get("Cache-Control") != "public, max-age=31536000, immutable" || plain.header.Get("ETag") == "" {
				t.Fatalf("%d %v", plain.status, plain.header)
			}
			gz := ts.get(path, "Accept-Encoding", "gzip")
			if len(plain.body) > 4096 && gz.header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("a %d-byte %s is not gzipped", len(plain.body), ext)
			}
			if gz.header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(gz.body))
				if err != nil {
					t.Fatal(err)
				}
				unzipped, _ := io.ReadAll(zr)
				if !bytes.Equal(unzipped, plain.body) || gz.header.Get("ETag") == plain.header.Get("ETag") {
					t.Error("gzip body or ETag is wrong")
				}
				if ts.get(path, "Accept-Encoding", "gzip", "If-None-Match", gz.header.Get("ETag")).status != 304 {
					t.Error("If-None-Match with the gzip ETag is not 304")
				}
			}
		})
	}
	// MapLibre's worker is loaded by URL, not named in the page.
	if matches, _ := fs.Glob(files, "assets/maplibre-gl-worker-*.mjs"); len(matches) != 1 {
		t.Errorf("worker files: %v", matches)
	} else if r := ts.get("/" + matches[0]); r.status != 200 || r.header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("worker: %d %v", r.status, r.header)
	}
}

func TestViewerNotFound(t *testing.T) {
	ts := newTestServer(t)
	for _, tt := range []struct{ name, path string }{
		{"unknown asset", "/assets/nope.js"},
		{"asset folder", "/assets/"},
		{"escape from the assets", "/assets/..%2f..%2fgo.mod"},
		{"encoded dot segments", "/assets/%2e%2e/index.html"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.get(tt.path)
			if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("GET %s = %d %s %s", tt.path, r.status, r.header.Get("Content-Type"), r.body)
			}
		})
	}
}

func TestPlaceholderExplainsHowToBuildTheViewer(t *testing.T) {
	ts := placeholderServer(t)
	r := ts.get("/")
	if r.status != 200 || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %v", r.status, r.header)
	}
	for _, want := range []string{"make web", "npm ci", "npm run build", "如何构建网页地图", "How to build the web viewer", "go run ./cmd/mudi serve"} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("placeholder lacks %q", want)
		}
	}
	if r := ts.get("/assets/index.js"); r.status != 404 || !strings.Contains(string(r.body), "make web") {
		t.Errorf("asset without a build = %d %s", r.status, r.body)
	}
	var cfg viewerConfig
	if err := json.Unmarshal(ts.get("/viewer/config.json").body, &cfg); err != nil || cfg.Built {
		t.Errorf("config %+v, %v", cfg, err)
	}
}
