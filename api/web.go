package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/api/web"
)

// The web viewer: a single page (zh-CN, MapLibre GL JS) built from the repository's web/ folder
// and embedded by package [web]. It uses only the public API: /api/layers, /styles/default.json,
// /tiles/…, the features, analyses and stats endpoints, and /viewer/config.json for the
// deployment's settings (the optional raster basemap).

// CheckBasemapURL reports whether u can serve as the viewer's raster basemap: an http(s) URL
// template with {z}, {x} and {y} (e.g. Tianditu's
// https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY) and a plain host, so
// that the page's Content-Security-Policy can allow exactly that origin. "" (no basemap) is valid.
func CheckBasemapURL(u string) error {
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return errors.New("the basemap URL must be an http or https URL template")
	}
	if strings.ContainsAny(p.Host, "{}") {
		return errors.New("the basemap URL's host must not be a template (name one tile server)")
	}
	for _, v := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(u, v) {
			return fmt.Errorf("the basemap URL must contain %s", v)
		}
	}
	return nil
}

// viewer serves the embedded web viewer.
type viewer struct {
	files   fs.FS
	built   bool
	basemap string                       // the raster basemap's URL template, "" for none
	base    func(c *echo.Context) string // the request's public base URL ([Server.publicBase])
	csp     string                       // Content-Security-Policy of the page

	mu       sync.Mutex
	prepared map[string]*viewerFile
}

// viewerFile is an embedded file ready to serve: its bytes, a gzipped copy when that is worth
// it, and their strong ETags.
type viewerFile struct {
	body, gz     []byte
	etag, gzETag string
	contentType  string
}

// viewerConfig is the body of GET /viewer/config.json.
type viewerConfig struct {
	// BasemapURL is the raster basemap's XYZ URL template; "" means a plain background.
	BasemapURL string `json:"basemap_url"`
	// StyleURL is the MapLibre style the viewer draws mudi's layers with: its path, under the
	// path prefix of the public base.
	StyleURL string `json:"style_url"`
	// APIBase is the public base URL of the server (scheme, host and any path prefix a reverse
	// proxy adds, without a trailing slash), which the API paths follow.
	APIBase string `json:"api_base"`
	// Built is false when the binary carries the placeholder page instead of the viewer.
	Built bool `json:"built"`
}

func newViewer(files fs.FS, built bool, basemapURL string, base func(*echo.Context) string) *viewer {
	extra := ""
	if basemapURL != "" {
		p, _ := url.Parse(basemapURL) // checked by CheckBasemapURL
		extra = " " + p.Scheme + "://" + p.Host
	}
	// Same origin only, besides the configured basemap: the page works without the internet and
	// cannot be made to call anything else. MapLibre needs data: images (control icons in its
	// CSS), blob: for decoded images, and a same-origin module worker.
	csp := "default-src 'self'; script-src 'self'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob:" + extra + "; connect-src 'self'" + extra + "; font-src 'self'; " +
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
	return &viewer{files: files, built: built, basemap: basemapURL, base: base, csp: csp, prepared: map[string]*viewerFile{}}
}

func jsonBytes(v any) ([]byte, error) {
	var b bytes.Buffer
	err := writeJSON(&b, v)
	return b.Bytes(), err
}

// webRoutes returns the routes of the web viewer.
func (s *Server) webRoutes() []Route {
	basemap := s.cfg.BasemapURL
	if err := CheckBasemapURL(basemap); err != nil {
		s.log.Warn("basemap URL ignored", "err", err)
		basemap = ""
	}
	files, built := web.Files()
	v := newViewer(files, built, basemap, s.publicBase)
	return []Route{
		{Method: "GET", Path: "/", Handler: v.index, OperationID: "viewer", Tag: "web",
			Summary:  "The web viewer (zh-CN map of the layers, analyses and statistics), or a page explaining how to build it",
			Produces: "text/html", Responses: map[int]string{200: "the page", 304: "not modified"}},
		{Method: "GET", Path: "/assets/*", Handler: v.asset, OperationID: "viewerAsset", Tag: "web",
			Summary:  "The viewer's scripts, styles and images (content-hashed names, cached for a year)",
			Produces: "application/octet-stream", Responses: map[int]string{200: "the file", 304: "not modified", 404: "no such file"}},
		{Method: "GET", Path: "/viewer/config.json", Handler: v.configJSON, OperationID: "viewerConfig", Tag: "web",
			Summary:   "The viewer's settings: basemap_url (raster XYZ template, empty for none), style_url and api_base (the public base URL)",
			Responses: map[int]string{200: "the settings"}},
	}
}

func (v *viewer) index(c *echo.Context) error {
	f, err := v.file("index.html")
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", v.csp)
	h.Set("Referrer-Policy", "same-origin")
	// The page names the current hashed assets, so it must be revalidated on every load.
	return v.send(c, f, "no-cache")
}

func (v *viewer) asset(c *echo.Context) error {
	name := c.Param("*")
	if !fs.ValidPath(name) || name == "." {
		return notFound("no asset %q", name)
	}
	f, err := v.file(path.Join("assets", name))
	if err != nil {
		return err
	}
	cache := "no-cache"
	if v.built {
		cache = "public, max-age=31536000, immutable" // names carry a content hash
	}
	return v.send(c, f, cache)
}

func (v *viewer) configJSON(c *echo.Context) error {
	base := v.base(c)
	prefix := "" // the path part of the base: the style stays same-origin for the page's CSP
	if u, err := url.Parse(base); err == nil {
		prefix = u.Path
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return sendJSON(c, http.StatusOK, "", viewerConfig{BasemapURL: v.basemap, StyleURL: prefix + "/styles/default.json", APIBase: base, Built: v.built})
}

// send writes f, gzipped when the client accepts it, with cache-control cache, an ETag and 304
// on a matching If-None-Match.
func (v *viewer) send(c *echo.Context, f *viewerFile, cache string) error {
	h := c.Response().Header()
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	body, etag := f.body, f.etag
	if f.gz != nil {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(c.Request().Header.Get("Accept-Encoding")) {
			body, etag = f.gz, f.gzETag
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, f.contentType, body)
}

// file returns the prepared file name, or a 404. Files are prepared (hashed, compressed) on
// first use and kept: there are a handful and they never change.
func (v *viewer) file(name string) (*viewerFile, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if f, ok := v.prepared[name]; ok {
		return f, nil
	}
	b, err := fs.ReadFile(v.files, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || isDirErr(v.files, name) {
			if !v.built && strings.HasPrefix(name, "assets/") {
				return nil, notFound("the web viewer is not built into this binary (run make web)")
			}
			return nil, notFound("no file %q", name)
		}
		return nil, err
	}
	f := &viewerFile{body: b, contentType: contentTypeOf(name)}
	sum := sha256.Sum256(b)
	f.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	if compressible(name) && len(b) > 1024 {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write(b)
		if err := zw.Close(); err != nil {
			return nil, err
		}
		if z.Len() < len(b)*9/10 {
			f.gz = z.Bytes()
			f.gzETag = `"` + hex.EncodeToString(sum[:12]) + `-gz"`
		}
	}
	v.prepared[name] = f
	return f, nil
}

// isDirErr reports whether name is a directory (reading it fails with another error).
func isDirErr(files fs.FS, name string) bool {
	st, err := fs.Stat(files, name)
	return err == nil && st.IsDir()
}

// contentTypes are the media types of the viewer's files. A fixed table: the system's MIME
// database differs between machines (and distroless images have none).
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".webp":  "image/webp",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

func contentTypeOf(name string) string {
	if ct, ok := contentTypes[path.Ext(name)]; ok {
		return ct
	}
	return "application/octet-stream"
}

func compressible(name string) bool {
	switch path.Ext(name) {
	case ".html", ".js", ".mjs", ".css", ".json", ".map", ".svg", ".txt":
		return true
	}
	return false
}
