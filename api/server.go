package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// Store is the persistence the API needs; *store.DB implements it.
type Store interface {
	Layers() ([]spatial.Layer, error)
	CreateLayer(ctx context.Context, l spatial.Layer, fs []*spatial.Feature, progress func(done int)) error
	ReplaceLayer(ctx context.Context, l spatial.Layer, fs []*spatial.Feature, progress func(done int)) error
	DeleteLayer(id string) error
	PutLayerMeta(l spatial.Layer) error
	UpdateFeatures(l spatial.Layer, fs []*spatial.Feature, changes map[spatial.FeatureID][]spatial.Change) error
	History(layerID string, id spatial.FeatureID) ([]spatial.Change, error)
}

// Config configures a [Server]. Logger, Store and Index are required.
type Config struct {
	Logger *slog.Logger
	Store  Store // when it also implements AnalysisStore, analyses can be saved
	Index  *spatial.Index

	// KeyHashes are the accepted write keys, as [HashKey] returns them.
	KeyHashes []string
	// MaxBodyBytes caps request bodies (uploads included); default 512 MiB.
	MaxBodyBytes int64
	// RequestTimeout bounds the work of one request; default 60 s.
	RequestTimeout time.Duration
	// Now returns the current time (for history entries); default time.Now.
	Now func() time.Time

	// Tiles configures the vector tile renderer (zero value: MVT defaults, buffer 64).
	Tiles tiles.Options
	// TileCacheBytes bounds the in-memory tile cache; 0 turns it off.
	TileCacheBytes int64

	// BasemapURL is the web viewer's optional raster basemap, an XYZ URL template such as
	// Tianditu's with a key (see [CheckBasemapURL]); "" shows a plain background.
	BasemapURL string

	// PublicURL is the URL clients reach the server under, e.g. https://gis.example.org/mudi
	// behind a reverse proxy (see [CheckPublicURL]); "" derives it from each request and its
	// X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Prefix headers.
	PublicURL string
}

// Server serves mudi's HTTP API. Build it with [New]; it is safe for concurrent use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    Store
	analyses AnalysisStore
	index    *spatial.Index
	echo     *echo.Echo

	renderer *tiles.Renderer
	tiles    *tiles.Service
	metrics  *metrics

	writeMu sync.Mutex // serialises writes: one writer for the store and the index
	ready   atomic.Bool
}

// New returns a server for cfg. It returns an error when a required dependency is missing.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Logger == nil:
		return nil, errors.New("api: Config.Logger is required")
	case cfg.Store == nil:
		return nil, errors.New("api: Config.Store is required")
	case cfg.Index == nil:
		return nil, errors.New("api: Config.Index is required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 512 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r, err := tiles.NewRenderer(cfg.Tiles)
	if err != nil {
		return nil, fmt.Errorf("api: tiles: %w", err)
	}
	as, _ := cfg.Store.(AnalysisStore)
	if as == nil {
		return nil, errors.New("api: Config.Store must also keep analyses (AnalysisStore)")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, store: cfg.Store, analyses: as, index: cfg.Index,
		renderer: r, tiles: tiles.NewService(r, tiles.NewCache(cfg.TileCacheBytes))}
	e := echo.NewWithConfig(echo.Config{Logger: cfg.Logger, HTTPErrorHandler: s.handleError})
	s.metrics = newMetrics(s)
	e.Use(
		withRequestID,
		s.metrics.observe,
		s.accessLog,
		middleware.Recover(),
		middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  []string{"*"},
			ExposeHeaders: []string{"ETag", "Location", "X-Request-ID", "Content-Crs", "Link"},
		}),
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
