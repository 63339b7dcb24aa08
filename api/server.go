package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// Config configures a [Server]. Logger and App are required.
type Config struct {
	Logger *slog.Logger
	// App is the application core the server adapts to HTTP; it owns the store, the index and
	// the tile cache.
	App *app.App

	// Keys are the accepted API keys with their roles.
	Keys []Key
	// PrivateReads makes every read need a key (of any role, reader included), except the
	// health checks and the viewer's own page and assets; PrivateMetrics does so for /metrics
	// alone.
	PrivateReads, PrivateMetrics bool
	// MaxBodyBytes caps request bodies (uploads included); default 512 MiB.
	MaxBodyBytes int64
	// RequestTimeout bounds the work of one request; default 60 s.
	RequestTimeout time.Duration

	// CORSOrigins are the origins (scheme://host[:port]) whose pages may send writes;
	// reads are open to every origin.
	CORSOrigins []string

	// BasemapURL is the web viewer's optional raster basemap, an XYZ URL template such as
	// Tianditu's with a key (see [CheckBasemapURL]); "" shows a plain background.
	BasemapURL string

	// PublicURL is the URL clients reach the server under, e.g. https://gis.example.org/mudi
	// behind a reverse proxy (see [CheckPublicURL]); "" derives it from each request and its
	// X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Prefix headers.
	PublicURL string

	// Caching of tiles, TileJSON, tileset metadata, styles and archives, for browsers and for a
	// CDN or caching proxy in front of the server (all responses also carry Vary:
	// Accept-Encoding and strong ETags).
	//
	// TileMaxAge and TileStaleWhileRevalidate are the max-age and stale-while-revalidate of
	// tiles at versioned URLs: those whose v parameter names the current versions of their
	// layers, as the tile URLs of TileJSON do. Every edit changes the version and so the URLs,
	// so such a tile never changes and may be kept long. 0 means [DefaultTileMaxAge] and
	// [DefaultTileStaleWhileRevalidate]; a negative value means 0.
	TileMaxAge, TileStaleWhileRevalidate time.Duration
	// TileUnversionedMaxAge and TileUnversionedStaleWhileRevalidate are those of everything that
	// describes the current data: tiles at unversioned URLs (or at an outdated version),
	// TileJSON, tileset metadata, styles and archives. By default both are 0: every use
	// revalidates (an unchanged ETag costs a 304) and an edit shows at the next request. Larger
	// values let caches answer up to that long after an edit with what was before it.
	TileUnversionedMaxAge, TileUnversionedStaleWhileRevalidate time.Duration
}

// Server serves mudi's HTTP API. Build it with [New]; it is safe for concurrent use. Its
// handlers parse a request, call one method of the application core and encode the answer.
type Server struct {
	cfg   Config
	log   *slog.Logger
	app   *app.App
	index *spatial.Index // the app's published layers, for reads
	tiles *tiles.Service // the app's tile service, for reads
	echo  *echo.Echo

	metrics *metrics
	ready   atomic.Bool
}

// New returns a server for cfg. It returns an error when a required dependency is missing.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Logger == nil:
		return nil, errors.New("api: Config.Logger is required")
	case cfg.App == nil:
		return nil, errors.New("api: Config.App is required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 512 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, app: cfg.App, index: cfg.App.Index(), tiles: cfg.App.Tiles()}
	e := echo.NewWithConfig(echo.Config{Logger: cfg.Logger, HTTPErrorHandler: s.handleError})
	s.metrics = newMetrics(s)
	e.Use(
		withRequestID,
		s.metrics.observe,
		s.accessLog,
		middleware.Recover(),
		securityHeaders,
		s.cors,
		gzipResponses,
		s.timeout,
	)
	s.echo = e
	s.routes()
	return s, nil
}

// Handler returns the HTTP handler of the server.
func (s *Server) Handler() http.Handler { return s.echo }

// SetReady marks the server ready (GET /readyz answers 200) once the index is loaded.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// timeout bounds the request's context.
func (s *Server) timeout(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

func (s *Server) healthz(c *echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c *echo.Context) error {
	if !s.ready.Load() {
		return problem(http.StatusServiceUnavailable, "not-ready", "not ready", "the index is still loading")
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "layers": len(s.index.Layers())})
}

// writeJSON encodes v without escaping HTML characters (Chinese text and '<' stay readable).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// sendJSON writes v with status code and Content-Type ct (application/json when empty).
func sendJSON(c *echo.Context, code int, ct string, v any) error {
	if ct == "" {
		ct = echo.MIMEApplicationJSON
	}
	c.Response().Header().Set(echo.HeaderContentType, ct)
	c.Response().WriteHeader(code)
	return writeJSON(c.Response(), v)
}
