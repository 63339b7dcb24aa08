package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
)

// TestOGCInterop runs the tests of what QGIS and reverse proxies need from the OGC API against
// one server holding the sample county.
func TestOGCInterop(t *testing.T) {
	t.Parallel()
	ts := newSampleServer(t)
	for _, tt := range []struct {
		name string
		test func(*testing.T, *testServer)
	}{
		{"datetime selects by the supply date as brute force does", ogcDatetimeSelectsBySupplyDate},
		{"datetime is a problem where there is no temporal property", ogcDatetimeWithoutTemporalProperty},
		{"every link honours the proxy's sub-path", ogcLinksBehindAPrefixProxy},
		{"polygons are served as MultiPolygon, declared in a Part 5 schema", ogcMultiPolygonAndSchema},
		{"JSON and HTML are gzipped when accepted, tiles only once", ogcGzip},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, ts.with(t)) })
	}
}

func ogcDatetimeSelectsBySupplyDate(t *testing.T, ts *testServer) {
	sn := ts.index.Layer("parcels")
	// Brute force over the raw attribute: ISO dates compare as text.
	count := func(keep func(gdrq string) bool) int {
		n := 0
		for _, f := range sn.Features() {
			if d, ok := f.Attrs.Value("GDRQ").(string); ok && keep(d) {
				n++
			}
		}
		return n
	}
	for _, tt := range []struct {
		name, datetime string
		keep           func(string) bool
	}{
		{"from an instant, open end (QGIS 3.22's GDRQ >= date)", "2020-01-01T00:00:00Z/..", func(d string) bool { return d >= "2020-01-01" }},
		{"up to a date, open start", "../2020-01-01", func(d string) bool { return d <= "2020-01-01" }},
		{"up to an instant, empty start", "/2011-01-23T00:00:00Z", func(d string) bool { return d <= "2011-01-23" }},
		{"from a date, empty end", "2018-12-31/", func(d string) bool { return d >= "2018-12-31" }},
		{"a closed interval", "2011-01-23T00:00:00Z/2018-12-31T23:59:59Z", func(d string) bool { return d >= "2011-01-23" && d <= "2018-12-31" }},
		{"a single date", "2020-04-03", func(d string) bool { return d == "2020-04-03" }},
		{"a single instant: the day holding it", "2020-04-03T10:30:00Z", func(d string) bool { return d == "2020-04-03" }},
		{"an instant with an offset is a UTC day", "2020-04-04T02:00:00+08:00", func(d string) bool { return d == "2020-04-03" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := count(tt.keep)
			fc := ts.getOK("/ogc/collections/parcels/items?limit=10000&datetime=" + url.QueryEscape(tt.datetime))
			got := featureIDs(t, fc)
			if len(got) != want || fc["numberMatched"] != float64(want) {
				t.Errorf("datetime=%s: %d features (numberMatched %v), brute force %d", tt.datetime, len(got), fc["numberMatched"], want)
			}
			if want == 0 || want == sn.Len() {
				t.Errorf("datetime=%s selects %d of %d parcels: not a test of the filter", tt.datetime, want, sn.Len())
			}
		})
	}
	// With a filter and paging: the next link keeps datetime.
	fc := ts.getOK("/ogc/collections/parcels/items?limit=50&datetime=2015-01-01/..&filter=" + url.QueryEscape("XZQMC = '衢江区'"))
	want := 0
	for _, f := range sn.Features() {
		if d, ok := f.Attrs.Value("GDRQ").(string); ok && d >= "2015-01-01" && f.Attrs.Value("XZQMC") == "衢江区" {
			want++
		}
	}
	if fc["numberMatched"] != float64(want) || want <= 50 {
		t.Errorf("datetime and filter: numberMatched %v, brute force %d", fc["numberMatched"], want)
	}
	if next := links(t, fc, "next", ""); len(next) != 1 || !strings.Contains(next[0], "datetime=2015-01-01%2F..") {
		t.Errorf("next link %v does not keep datetime", next)
	}

	col := ts.getOK("/ogc/collections/parcels")
	temporal, _ := col["extent"].(map[string]any)["temporal"].(map[string]any)
	lo, hi := "", ""
	for _, f := range sn.Features() {
		if d, ok := f.Attrs.Value("GDRQ").(string); ok {
			if lo == "" || d < lo {
				lo = d
			}
			hi = max(hi, d)
		}
	}
	interval, _ := temporal["interval"].([]any)
	if len(interval) != 1 || !slices.Equal(interval[0].([]any), []any{lo + "T00:00:00Z", hi + "T23:59:59Z"}) ||
		temporal["trs"] != "http://www.opengis.net/def/uri/ISO-8601/0/Gregorian" {
		t.Errorf("extent.temporal = %v, want the days %s to %s", temporal, lo, hi)
	}
}

func ogcDatetimeWithoutTemporalProperty(t *testing.T, ts *testServer) {
	for _, tt := range []struct{ name, path, detail string }{
		{"control lines have no date", "/ogc/collections/control-lines/items?datetime=2020-01-01T00:00:00Z/..", "no temporal property"},
		{"both ends open", "/ogc/collections/parcels/items?datetime=../..", "at least one end"},
		{"no such day", "/ogc/collections/parcels/items?datetime=2020-02-30", "RFC 3339"},
		{"end before start", "/ogc/collections/parcels/items?datetime=2020-01-02/2020-01-01", "start precedes"},
		{"three parts", "/ogc/collections/parcels/items?datetime=2020-01-01/2020-01-02/2020-01-03", "RFC 3339"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.get(tt.path)
			p := r.json(t)
			if r.status != 400 || p["param"] != "datetime" || !strings.Contains(p["detail"].(string), tt.detail) {
				t.Errorf("%s = %d %v, want a 400 naming datetime (%s)", tt.path, r.status, p, tt.detail)
			}
		})
	}
	col := ts.getOK("/ogc/collections/control-lines")
	if _, ok := col["extent"].(map[string]any)["temporal"]; ok {
		t.Errorf("control lines declare a temporal extent: %v", col["extent"])
	}
}

// prefixProxy serves target under prefix (e.g. /mudi) on a new 127.0.0.1 port, as a reverse
// proxy does: it strips the prefix and sets X-Forwarded-Host, -Proto and -Prefix. It returns
// the proxy's URL with the prefix.
func prefixProxy(t testing.TB, target, prefix string) string {
	t.Helper()
	to, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(to)
		r.Out.URL.Path = strings.TrimPrefix(r.In.URL.Path, prefix)
		r.Out.URL.RawPath = ""
		r.SetXForwarded()
		r.Out.Header.Set("X-Forwarded-Prefix", prefix)
	}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, prefix+"/") {
			http.NotFound(w, r)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL + prefix
}

// getURL fetches an absolute URL.
func getURL(t testing.TB, u string) response {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// jsonURLs collects every URL a JSON document holds: href members, TileJSON tiles, style
// source urls, OpenAPI server urls, $id.
func jsonURLs(v any, dst []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch s, ok := x.(string); {
			case ok && (k == "href" || k == "url" || k == "$id"):
				dst = append(dst, s)
			case k == "tiles":
				for _, u := range x.([]any) {
					dst = append(dst, u.(string))
				}
			default:
				dst = jsonURLs(x, dst)
			}
		}
	case []any:
		for _, x := range v {
			dst = jsonURLs(x, dst)
		}
	}
	return dst
}

var hrefAttr = regexp.MustCompile(`href="([^"]*)"`)

func ogcLinksBehindAPrefixProxy(t *testing.T, ts *testServer) {
	base := prefixProxy(t, ts.http.URL, "/mudi")
	checked := 0
	check := func(what string, urls []string) {
		t.Helper()
		if len(urls) == 0 {
			t.Errorf("%s: no links", what)
		}
		for _, u := range urls {
			checked++
			// OpenAPI's servers url is the base itself: the paths that follow start with /.
			openAPIServer := u == base && (what == "/ogc/api" || what == "/api/openapi.json")
			if !strings.HasPrefix(u, base+"/") && !openAPIServer {
				t.Errorf("%s: link %q does not start with %s/", what, u, base)
			}
		}
	}
	getJSON := func(u string) any {
		t.Helper()
		r := getURL(t, u)
		if r.status != 200 {
			t.Fatalf("GET %s = %d: %s", u, r.status, r.body)
		}
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		return v
	}
	for _, path := range []string{"/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/parcels",
		"/ogc/collections/parcels/queryables", "/ogc/collections/parcels/schema", "/ogc/collections/parcels/items/7",
		"/tiles/parcels,control-lines.json", "/styles/default.json", "/ogc/api", "/api/openapi.json"} {
		check(path, jsonURLs(getJSON(base+path), nil))
	}
	// The style's source leads to the TileJSON, whose tiles are served through the proxy.
	style := getJSON(base + "/styles/default.json").(map[string]any)
	tj := getJSON(style["sources"].(map[string]any)["mudi"].(map[string]any)["url"].(string)).(map[string]any)
	tile := strings.NewReplacer("{z}", "14", "{x}", "13604", "{y}", "6742").Replace(tj["tiles"].([]any)[0].(string))
	if r := getURL(t, tile); r.status != 200 && r.status != 204 {
		t.Errorf("tile %s through the proxy = %d", tile, r.status)
	}

	// Items: follow next links through the proxy to the end.
	next, seen := base+"/ogc/collections/parcels/items?limit=700", 0
	for next != "" {
		fc := getJSON(next).(map[string]any)
		check("items", jsonURLs(fc, nil))
		seen += len(fc["features"].([]any))
		next = ""
		if n := links(t, fc, "next", ""); len(n) == 1 {
			next = n[0]
		}
	}
	if want := ts.index.Layer("parcels").Len(); seen != want {
		t.Errorf("paging through the proxy gave %d features, want %d", seen, want)
	}

	// HTML pages: every link, the navigation's included.
	for _, path := range []string{"/ogc?f=html", "/ogc/collections?f=html", "/ogc/collections/parcels?f=html",
		"/ogc/collections/parcels/items?f=html&limit=3&offset=3", "/ogc/collections/parcels/items/7?f=html", "/ogc/api?f=html"} {
		r := getURL(t, base+path)
		var hrefs []string
		for _, m := range hrefAttr.FindAllSubmatch(r.body, -1) {
			hrefs = append(hrefs, string(m[1]))
		}
		check(path, hrefs)
	}

	// The viewer's settings: the API base and a same-origin style path.
	var cfg viewerConfig
	if err := json.Unmarshal(getURL(t, base+"/viewer/config.json").body, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.APIBase != base || cfg.StyleURL != "/mudi/styles/default.json" {
		t.Errorf("viewer config %+v, want api_base %s and style_url /mudi/styles/default.json", cfg, base)
	}
	t.Logf("%d links checked", checked)
}

func TestPublicURLOverridesTheRequest(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config, _ *app.Config) { c.PublicURL = "https://gis.example.org/mudi/" })
	if r := ts.upload("/api/layers?id=parcels", parcelsGeoJSON); r.status != 201 {
		t.Fatalf("upload = %d %s", r.status, r.body)
	}
	for _, path := range []string{"/ogc", "/ogc/collections", "/ogc/collections/parcels/items?limit=1", "/tiles/parcels.json", "/styles/default.json", "/ogc/api"} {
		urls := jsonURLs(ts.get(path, "X-Forwarded-Host", "evil.example.com", "X-Forwarded-Prefix", "/other").json(t), nil)
		if len(urls) == 0 {
			t.Errorf("%s: no links", path)
		}
		for _, u := range urls {
			if !strings.HasPrefix(u, "https://gis.example.org/mudi/") && u != "https://gis.example.org/mudi" {
				t.Errorf("%s: link %q ignores the public URL", path, u)
			}
		}
	}
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"", true}, {"https://gis.example.org", true}, {"http://10.0.0.5:8080/mudi", true},
		{"/mudi", false}, {"ftp://gis.example.org", false}, {"https://gis.example.org/?a=1", false}, {"https://u:p@gis.example.org", false},
	} {
		if err := CheckPublicURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckPublicURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestForwardedHeaders(t *testing.T) {
	ts := newTestServer(t)
	for _, tt := range []struct {
		name   string
		header []string
		want   string // prefix of the landing page's self link
	}{
		{"none: the request's host", nil, ts.http.URL + "/ogc"},
		{"proto, host and prefix", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "gis.example.org", "X-Forwarded-Prefix", "/mudi/"}, "https://gis.example.org/mudi/ogc"},
		{"first of a chain of proxies", []string{"X-Forwarded-Proto", "https, http", "X-Forwarded-Host", "a.example.org, b.internal"}, "https://a.example.org/ogc"},
		{"a prefix that is not a path is ignored", []string{"X-Forwarded-Prefix", "//evil.example.com"}, ts.http.URL + "/ogc"},
		{"a prefix with a quote is ignored", []string{"X-Forwarded-Prefix", `/a"b`}, ts.http.URL + "/ogc"},
		{"a host with a slash is ignored", []string{"X-Forwarded-Host", "evil.example.com/x"}, ts.http.URL + "/ogc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			self := links(t, ts.get("/ogc", tt.header...).json(t), "self", "")
			if len(self) != 1 || self[0] != tt.want {
				t.Errorf("self link %v, want %s", self, tt.want)
			}
		})
	}
}

func ogcMultiPolygonAndSchema(t *testing.T, ts *testServer) {
	sn := ts.index.Layer("parcels")
	polygons := 0
	for _, f := range sn.Features() {
		if _, ok := f.Geometry.(interface{ GeoJSONType() string }); ok && f.Geometry.GeoJSONType() == "Polygon" {
			polygons++
		}
	}
	if polygons == 0 {
		t.Fatal("the sample has no Polygon features: not a test")
	}
	fc := ts.getOK("/ogc/collections/parcels/items?limit=10000")
	for _, f := range fc["features"].([]any) {
		fm := f.(map[string]any)
		g := fm["geometry"].(map[string]any)
		src := sn.Feature(spatial.FeatureID(fm["id"].(float64)))
		if g["type"] != "MultiPolygon" || len(g["coordinates"].([]any)) != len(src.Polygons()) {
			t.Fatalf("feature %v: %v with %d members, source has %d polygons", fm["id"], g["type"], len(g["coordinates"].([]any)), len(src.Polygons()))
		}
	}
	if g := ts.getOK("/ogc/collections/parcels/items/1")["geometry"].(map[string]any); g["type"] != "MultiPolygon" {
		t.Errorf("item 1: %v", g["type"])
	}

	col := ts.getOK("/ogc/collections/parcels")
	hrefs := links(t, col, "http://www.opengis.net/def/rel/ogc/1.0/schema", "application/schema+json")
	if len(hrefs) != 1 {
		t.Fatalf("collection has no schema link: %v", col["links"])
	}
	r := ts.get(ts.local(hrefs[0]))
	if r.status != 200 || r.header.Get("Content-Type") != "application/schema+json" {
		t.Fatalf("schema: %d %s", r.status, r.header.Get("Content-Type"))
	}
	schema := r.json(t)
	if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" || schema["$id"] != hrefs[0] || schema["type"] != "object" {
		t.Errorf("schema header: %v %v %v", schema["$schema"], schema["$id"], schema["type"])
	}
	props := schema["properties"].(map[string]any)
	for _, tt := range []struct {
		name string
		want map[string]any
	}{
		{"geometry", map[string]any{"format": "geometry-multipolygon", "x-ogc-role": "primary-geometry"}},
		{"id", map[string]any{"type": "integer", "x-ogc-role": "id", "readOnly": true}},
		{"DKBH", map[string]any{"type": "string", "title": "地块编号"}},
		{"QLR", map[string]any{"type": "string", "title": "权利人"}},
		{"BSM", map[string]any{"type": "integer", "title": "标识码"}},
		{"MJSS", map[string]any{"type": "number", "title": "亩均税收(万元/亩)"}},
		{"GDRQ", map[string]any{"type": "string", "format": "date", "title": "供地日期", "x-ogc-role": "primary-instant"}},
		{"SJDGRQ", map[string]any{"type": "string", "format": "date", "title": "实际动工日期"}},
		{"area_mu", map[string]any{"type": "number", "readOnly": true}},
		{"control_position", map[string]any{"type": "string", "readOnly": true}},
		{"scattered", map[string]any{"type": "boolean", "readOnly": true}},
	} {
		p, ok := props[tt.name].(map[string]any)
		if !ok {
			t.Errorf("schema lacks %s", tt.name)
			continue
		}
		for k, v := range tt.want {
			if p[k] != v {
				t.Errorf("schema %s.%s = %v, want %v", tt.name, k, p[k], v)
			}
		}
		if _, ro := p["readOnly"]; ro && tt.want["readOnly"] == nil {
			t.Errorf("schema %s is readOnly", tt.name)
		}
	}
	if p := props["DKBH"].(map[string]any); p["readOnly"] != nil || p["x-ogc-role"] != nil {
		t.Errorf("DKBH: %v", p)
	}
	if r := ts.get("/ogc/collections/nope/schema"); r.status != 404 {
		t.Errorf("schema of an unknown collection = %d", r.status)
	}
}

func ogcGzip(t *testing.T, ts *testServer) {
	for _, path := range []string{"/ogc/collections/parcels/items?limit=50", "/ogc/collections?f=html", "/ogc/collections/parcels/schema", "/api/openapi.json"} {
		plain := ts.get(path)
		gz := ts.get(path, "Accept-Encoding", "gzip")
		if plain.status != 200 || gz.status != 200 {
			t.Fatalf("%s: %d, %d", path, plain.status, gz.status)
		}
		if plain.header.Get("Content-Encoding") != "" || gz.header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: Content-Encoding %q without, %q with Accept-Encoding: gzip", path, plain.header.Get("Content-Encoding"), gz.header.Get("Content-Encoding"))
		}
		for _, r := range []response{plain, gz} {
			if r.header.Get("Vary") == "" || !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Accept-Encoding") {
				t.Errorf("%s: Vary %q", path, r.header.Values("Vary"))
			}
		}
		if got := gunzip(t, gz.body); !bytes.Equal(got, plain.body) || len(gz.body) >= len(plain.body) {
			t.Errorf("%s: %d bytes gzipped to %d, decompressed equal: %v", path, len(plain.body), len(gz.body), bytes.Equal(got, plain.body))
		}
	}
	if r := ts.get("/ogc/collections/parcels/items?limit=50", "Accept-Encoding", "gzip;q=0"); r.header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still gzipped")
	}
	// A feature's ETag weakens when gzipped, and If-None-Match still matches it.
	gz := ts.get("/ogc/collections/parcels/items/7", "Accept-Encoding", "gzip")
	if et := gz.header.Get("ETag"); !strings.HasPrefix(et, `W/"`) || gz.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("gzipped feature: ETag %q, Content-Encoding %q", et, gz.header.Get("Content-Encoding"))
	}
	// Tiles compress themselves: once, not twice.
	for _, c := range sampleTiles(ts, 14)[:5] {
		path := "/tiles/parcels/" + c.String() + ".mvt"
		plain, gz := ts.get(path), ts.get(path, "Accept-Encoding", "gzip")
		if plain.status != 200 {
			continue
		}
		if gz.header.Values("Content-Encoding")[0] != "gzip" || len(gz.header.Values("Content-Encoding")) != 1 || !bytes.Equal(gunzip(t, gz.body), plain.body) {
			t.Errorf("tile %s: Content-Encoding %v, decompressed once equal to the plain tile: %v", c, gz.header.Values("Content-Encoding"), bytes.Equal(gunzip(t, gz.body), plain.body))
		}
		if gz.header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("tile %s: Vary %q", c, gz.header.Values("Vary"))
		}
	}
	// Small bodies are not worth compressing.
	if r := ts.get("/healthz", "Accept-Encoding", "gzip"); r.header.Get("Content-Encoding") != "" {
		t.Errorf("healthz gzipped")
	}
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lockedBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAccessLogRecordsTheQueryWithoutKeys(t *testing.T) {
	var logs lockedBuffer
	ts := newTestServerWith(t, func(c *Config, _ *app.Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	ts.do("GET", "/ogc/collections?f=json&key=s3cret&Key=other&x=1", "", testKey, nil)
	ts.do("GET", "/ogc/collections/nope/items?filter="+url.QueryEscape("QLR = '衢州'"), "", "", nil)
	var queries []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if q, ok := m["query"].(string); ok {
			queries = append(queries, q)
		}
	}
	want := []string{"f=json&key=REDACTED&key=REDACTED&x=1", "filter=" + url.QueryEscape("QLR = '衢州'")}
	if !slices.Equal(queries, want) {
		t.Errorf("logged queries %q, want %q", queries, want)
	}
	if s := logs.String(); strings.Contains(s, "s3cret") || strings.Contains(s, "other") || strings.Contains(s, testKey) {
		t.Errorf("the log holds a key: %s", s)
	}
}
