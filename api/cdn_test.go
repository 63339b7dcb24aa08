package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// Tiles, TileJSON and styles say how long caches may keep them: tiles at the versioned URLs
// that TileJSON names for as long as configured, everything that describes the current data
// as briefly as configured (by default: revalidate every time).
func TestCacheControlOfTilesTileJSONAndStyle(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config, a *app.Config) {
		c.TileMaxAge, c.TileStaleWhileRevalidate = 2*time.Hour, 90*time.Second
		a.TileCacheBytes = 16 << 20
	})
	ts.loadSample()
	defaults := newTestServerWith(t, func(c *Config, a *app.Config) { c.TileUnversionedStaleWhileRevalidate = -time.Second })
	defaults.loadSample()
	tuned := newTestServerWith(t, func(c *Config, a *app.Config) {
		c.TileMaxAge, c.TileStaleWhileRevalidate = -1, -1
		c.TileUnversionedMaxAge, c.TileUnversionedStaleWhileRevalidate = 10*time.Second, 50*time.Second
	})
	tuned.loadSample()

	f := ts.index.Layer("parcels").Feature(1)
	c := tiles.CoordAt(f.Bound().Center(), 15)
	tilePath := func(ts *testServer) (versioned, unversioned string) {
		tj := ts.get("/tiles/parcels,control-lines.json").json(t)
		tmpl := tj["tiles"].([]any)[0].(string)
		v := strings.NewReplacer("{z}", fmt.Sprint(c.Z), "{x}", fmt.Sprint(c.X), "{y}", fmt.Sprint(c.Y)).Replace(tmpl)
		v = strings.TrimPrefix(v, ts.http.URL)
		u, _, _ := strings.Cut(v, "?")
		return v, u
	}
	versioned, unversioned := tilePath(ts)
	// Parcels carry the date of their campaign classes (the test clock: 2026-11-21 in China).
	if want := fmt.Sprintf("?v=%d-20261121.%d", ts.index.Layer("parcels").Layer.Version, ts.index.Layer("control-lines").Layer.Version); !strings.HasSuffix(versioned, want) {
		t.Fatalf("TileJSON tile URL %s does not end in %s", versioned, want)
	}
	dv, du := tilePath(defaults)
	tv, tu := tilePath(tuned)
	for _, tt := range []struct {
		name string
		ts   *testServer
		path string
		want string
	}{
		{"versioned tile", ts, versioned, "public, max-age=7200, stale-while-revalidate=90"},
		{"unversioned tile", ts, unversioned, "public, max-age=0, stale-while-revalidate=0"},
		{"tile of an outdated version", ts, unversioned + "?v=0.0", "public, max-age=0, stale-while-revalidate=0"},
		{"empty versioned tile", ts, "/tiles/parcels,control-lines/15/0/0.mvt" + versioned[strings.Index(versioned, "?"):], "public, max-age=7200, stale-while-revalidate=90"},
		{"TileJSON", ts, "/tiles/parcels,control-lines.json", "public, max-age=0, stale-while-revalidate=0"},
		{"tileset metadata", ts, "/tiles/parcels/metadata.json", "public, max-age=0, stale-while-revalidate=0"},
		{"style", ts, "/styles/default.json", "public, max-age=0, stale-while-revalidate=0"},
		{"default: versioned tile", defaults, dv, "public, max-age=86400, stale-while-revalidate=3600"},
		{"default: unversioned tile", defaults, du, "public, max-age=0, stale-while-revalidate=0"},
		{"tuned: versioned tile", tuned, tv, "public, max-age=0, stale-while-revalidate=0"},
		{"tuned: unversioned tile", tuned, tu, "public, max-age=10, stale-while-revalidate=50"},
		{"tuned: style", tuned, "/styles/default.json", "public, max-age=10, stale-while-revalidate=50"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.ts.get(tt.path, "Accept-Encoding", "gzip")
			if r.status != 200 && r.status != 204 {
				t.Fatalf("%s: %d %s", tt.path, r.status, r.body)
			}
			if got := r.header.Get("Cache-Control"); got != tt.want {
				t.Errorf("Cache-Control %q, want %q", got, tt.want)
			}
			if !slices.ContainsFunc(r.header.Values("Vary"), func(v string) bool {
				return slices.Contains(strings.Split(strings.ReplaceAll(v, " ", ""), ","), "Accept-Encoding")
			}) {
				t.Errorf("Vary %q", r.header.Values("Vary"))
			}
			if r.status == 204 {
				return
			}
			etag := r.header.Get("ETag")
			if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 4 {
				t.Errorf("ETag %q is not a strong ETag", etag)
			}
			if r2 := tt.ts.get(tt.path, "Accept-Encoding", "gzip", "If-None-Match", etag); r2.status != 304 {
				t.Errorf("If-None-Match %s: %d", etag, r2.status)
			}
			// The plain and the gzip form are different bytes: different strong ETags.
			if plain := tt.ts.get(tt.path); r.header.Get("Content-Encoding") == "gzip" && plain.header.Get("ETag") == etag {
				t.Errorf("the plain and gzip forms share the ETag %s", etag)
			}
		})
	}
}

// nginxPath returns the nginx binary, or ends the test (failing under CI) when it is missing.
func nginxPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/nginx", "/usr/bin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	missingTool(t, "nginx is not installed (Debian nginx; .ci/run installs it): the CDN test puts a caching nginx in front of the server")
	return ""
}

// startCachingProxy runs nginx as a caching reverse proxy to upstream on a free port of
// 127.0.0.1, with its cache, temporary files, pid file and error log in a new directory, and
// returns its base URL. Responses say X-Cache-Status (MISS, HIT, EXPIRED …).
func startCachingProxy(t *testing.T, upstream string) string {
	t.Helper()
	bin := nginxPath(t)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	// nginx started by root hands its workers to an unprivileged user unless told otherwise;
	// they must be able to write the cache directory of the test.
	userLine := ""
	if os.Geteuid() == 0 {
		if u, err := user.Current(); err == nil {
			userLine = "user " + u.Username + ";"
		}
	}
	conf := fmt.Sprintf(`
%[1]s
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log info;
events { worker_connections 64; }
http {
	access_log %[2]s/access.log;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	proxy_cache_path %[2]s/cache levels=1:2 keys_zone=mudi:1m max_size=64m inactive=10m use_temp_path=off;
	server {
		listen %[3]s;
		location / {
			proxy_pass %[4]s;
			proxy_http_version 1.1;
			proxy_set_header Host $http_host;
			proxy_cache mudi;
			proxy_cache_revalidate on;
			add_header X-Cache-Status $upstream_cache_status always;
		}
	}
}
`, userLine, dir, addr, upstream)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error log:\n%s", b)
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx does not answer on %s: %v\n%s", addr, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A CDN (nginx with proxy_cache) honours the caching headers: a tile asked twice comes from
// its cache the second time, and after an edit the next map load (TileJSON, then its tile
// URL) gets the new tile, not the cached one.
func TestCachingProxyServesEditsAtTheNextMapLoad(t *testing.T) {
	node := mvtDecoder(t)
	ts := newTestServerWith(t, func(c *Config, a *app.Config) {
		c.TileMaxAge, c.TileStaleWhileRevalidate = time.Hour, time.Minute
		a.TileCacheBytes = 16 << 20
	})
	ts.loadSample()
	cdn := startCachingProxy(t, ts.http.URL)

	get := func(url string, header ...string) response {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{status: resp.StatusCode, header: resp.Header, body: b}
	}
	parcels := ts.index.Layer("parcels")
	f := parcels.Feature(42)
	at, _ := interiorPoint(f.Geometry)
	c := tiles.CoordAt(at, 16)

	// mapLoad does what a map client does: read the TileJSON, then the tile at c from the
	// template it names. It returns the tile URL and the warning class (YJDJ) the tile gives f.
	mapLoad := func() (string, response, any) {
		t.Helper()
		r := get(cdn+"/tiles/parcels.json", "Accept-Encoding", "gzip")
		if r.status != 200 {
			t.Fatalf("TileJSON through the proxy: %d %s", r.status, r.body)
		}
		if r.header.Get("X-Cache-Status") == "HIT" {
			t.Errorf("TileJSON came from the proxy's cache: it must always be current")
		}
		body := r.body
		if r.header.Get("Content-Encoding") == "gzip" {
			body = gunzip(t, body)
		}
		var tj struct{ Tiles []string }
		if err := json.Unmarshal(body, &tj); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tj.Tiles[0], cdn+"/tiles/parcels/") {
			t.Fatalf("TileJSON names %s, not the proxy's URL", tj.Tiles[0])
		}
		url := strings.NewReplacer("{z}", fmt.Sprint(c.Z), "{x}", fmt.Sprint(c.X), "{y}", fmt.Sprint(c.Y)).Replace(tj.Tiles[0])
		tile := get(url, "Accept-Encoding", "gzip")
		if tile.status != 200 {
			t.Fatalf("tile %s: %d", url, tile.status)
		}
		return url, tile, warningOf(t, node, tile, f.ID)
	}

	url, first, before := mapLoad()
	if first.header.Get("X-Cache-Status") != "MISS" || first.header.Get("Cache-Control") != "public, max-age=3600, stale-while-revalidate=60" {
		t.Errorf("first request of %s: X-Cache-Status %q, Cache-Control %q", url, first.header.Get("X-Cache-Status"), first.header.Get("Cache-Control"))
	}
	second := get(url, "Accept-Encoding", "gzip")
	if second.header.Get("X-Cache-Status") != "HIT" || string(second.body) != string(first.body) {
		t.Errorf("second request of %s: X-Cache-Status %q (want HIT), same body %v", url, second.header.Get("X-Cache-Status"), string(second.body) == string(first.body))
	}
	// An unversioned tile URL is never answered from the proxy's cache.
	plain, _, _ := strings.Cut(url, "?")
	get(plain, "Accept-Encoding", "gzip")
	if r := get(plain, "Accept-Encoding", "gzip"); r.header.Get("X-Cache-Status") == "HIT" {
		t.Errorf("unversioned tile %s came from the cache", plain)
	}

	const edited = "CDN测试"
	if before == edited {
		t.Fatalf("feature %d already has YJDJ %v", f.ID, before)
	}
	r, err := http.NewRequest("PATCH", cdn+fmt.Sprintf("/api/layers/parcels/features/%d", f.ID), strings.NewReader(`{"YJDJ":"`+edited+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/merge-patch+json")
	r.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PATCH through the proxy: %d", resp.StatusCode)
	}

	// The old URL still names the old tile (the proxy may keep it: nobody asks for it again)...
	if old := get(url, "Accept-Encoding", "gzip"); old.header.Get("X-Cache-Status") != "HIT" || warningOf(t, node, old, f.ID) != before {
		t.Errorf("old tile URL: X-Cache-Status %q", old.header.Get("X-Cache-Status"))
	}
	// ...and the next map load asks for another one, which shows the edit.
	url2, tile, after := mapLoad()
	if url2 == url {
		t.Fatalf("the tile URL did not change with the edit: %s", url)
	}
	if tile.header.Get("X-Cache-Status") != "MISS" || after != edited {
		t.Errorf("after the edit, %s: X-Cache-Status %q, YJDJ %v; want MISS and %q", url2, tile.header.Get("X-Cache-Status"), after, edited)
	}
	if again := get(url2, "Accept-Encoding", "gzip"); again.header.Get("X-Cache-Status") != "HIT" {
		t.Errorf("the new tile is not cached: %q", again.header.Get("X-Cache-Status"))
	}
	t.Logf("tile %v: %s → %s; YJDJ %v → %v", c, url[strings.Index(url, "?"):], url2[strings.Index(url2, "?"):], before, after)
}

// warningOf decodes a tile (gzip or not) with the reference decoder, @mapbox/vector-tile, and
// returns the YJDJ property of feature id in layer parcels (nil when it has none); the feature
// must be in the tile.
func warningOf(t *testing.T, node string, r response, id spatial.FeatureID) any {
	t.Helper()
	body := r.body
	if r.header.Get("Content-Encoding") == "gzip" {
		body = gunzip(t, body)
	}
	file := filepath.Join(t.TempDir(), "16-0-0.mvt")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, l := range decodeMVT(t, node, []string{file})[0].Layers {
		if l.Name != "parcels" {
			continue
		}
		for _, f := range l.Features {
			if f.ID == uint64(id) {
				return f.Props["YJDJ"]
			}
		}
	}
	t.Fatalf("feature %d is not in the tile", id)
	return nil
}
