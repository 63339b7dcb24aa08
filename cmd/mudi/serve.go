package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/api"
	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/store"
)

// serveConfig is the configuration of mudi serve.
type serveConfig struct {
	Addr           string
	Data           string
	TileCacheMB    int
	NoSample       bool
	MaxUploadMB    int
	RequestTimeout time.Duration
	MemoryLimitMB  int // soft memory limit of the Go runtime (GOMEMLIMIT), MiB; 0: none
	DrainTimeout   time.Duration
	APIKeys        []string
	LogFormat      string
	BasemapURL     string
	PublicURL      string
	CORSOrigins    []string
	PrivateReads   bool
	PrivateMetrics bool
	// Caching of tiles and of what describes them (see api.Config).
	TileMaxAge, TileStaleWhileRevalidate                       time.Duration
	TileUnversionedMaxAge, TileUnversionedStaleWhileRevalidate time.Duration

	// listening, when set, receives the address the server listens on (tests use :0).
	listening func(net.Addr)
}

func defaultServeConfig() serveConfig {
	return serveConfig{Addr: ":8080", Data: "./mudi-data", TileCacheMB: 256, MaxUploadMB: 512,
		RequestTimeout: 60 * time.Second, LogFormat: "json", DrainTimeout: 30 * time.Second,
		TileMaxAge: api.DefaultTileMaxAge, TileStaleWhileRevalidate: api.DefaultTileStaleWhileRevalidate}
}

func newServeSettings(c *serveConfig) *settings {
	s := &settings{name: "serve"}
	s.str(&c.Addr, "addr", "listen address")
	s.str(&c.Data, "data", "data directory (holds mudi.db)")
	s.integer(&c.TileCacheMB, "tile-cache-mb", "tile cache size in MiB, 0 turns it off")
	s.boolean(&c.NoSample, "no-sample", "do not load the embedded sample county into an empty store")
	s.duration(&c.TileMaxAge, "tile-max-age", "Cache-Control max-age of tiles at versioned URLs (?v=, as TileJSON writes them), which never change: browsers and CDNs may keep them this long")
	s.duration(&c.TileStaleWhileRevalidate, "tile-stale-while-revalidate", "Cache-Control stale-while-revalidate of tiles at versioned URLs")
	s.duration(&c.TileUnversionedMaxAge, "tile-unversioned-max-age", "Cache-Control max-age of tiles at unversioned URLs, TileJSON, styles and archives; above 0, caches may show what was before an edit for that long")
	s.duration(&c.TileUnversionedStaleWhileRevalidate, "tile-unversioned-stale-while-revalidate", "Cache-Control stale-while-revalidate of tiles at unversioned URLs, TileJSON, styles and archives")
	s.integer(&c.MaxUploadMB, "max-upload-mb", "largest request body in MiB")
	s.duration(&c.RequestTimeout, "request-timeout", "longest time one request may work")
	s.boolean(&c.PrivateReads, "private", "every read needs a key too (role reader or above), except the health checks and the viewer's page")
	s.boolean(&c.PrivateMetrics, "private-metrics", "GET /metrics needs a key")
	s.duration(&c.DrainTimeout, "drain-timeout", "how long SIGTERM waits for in-flight requests before stopping (then exit status 1)")
	s.integer(&c.MemoryLimitMB, "memory-limit-mb", memoryLimitUsage)
	s.secretList(&c.APIKeys, "api-keys", "comma-separated API keys, each name:role:secret (role editor, reviewer or admin; secrets of 16 characters or more); when empty an admin key is generated at first start")
	s.str(&c.LogFormat, "log-format", "json or text")
	// The URL may carry a key (Tianditu's tk=…): it is masked in the logged configuration, though
	// the browser necessarily sees it.
	s.add(setting{flag: "basemap-url", secret: true,
		usage: "web viewer's raster basemap, an XYZ URL template with {z}, {x} and {y} (e.g. Tianditu with tk=KEY); empty: plain background",
		set:   func(v string) error { c.BasemapURL = v; return api.CheckBasemapURL(v) },
		get:   func() string { return c.BasemapURL }})
	s.add(setting{flag: "public-url",
		usage: "URL clients reach the server under behind a reverse proxy, e.g. https://gis.example.org/mudi (default: from each request and its X-Forwarded-* headers)",
		set:   func(v string) error { c.PublicURL = v; return api.CheckPublicURL(v) },
		get:   func() string { return c.PublicURL }})
	s.add(setting{flag: "cors-origins",
		usage: "comma-separated origins (scheme://host[:port]) whose web pages may send writes; reads are open to every origin",
		set: func(v string) error {
			c.CORSOrigins = nil
			for _, o := range strings.Split(v, ",") {
				if o = strings.TrimSpace(o); o != "" {
					c.CORSOrigins = append(c.CORSOrigins, o)
				}
			}
			return nil
		},
		get: func() string { return strings.Join(c.CORSOrigins, ",") }})
	return s
}

func runServe(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	cfg := defaultServeConfig()
	set := newServeSettings(&cfg)
	if rest, err := set.parse(args, getenv, environ, stderr); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", rest)}
	}
	lw := &logWriter{w: stderr}
	defer lw.Flush()
	log, err := newLogger(cfg.LogFormat, lw)
	if err != nil {
		return err
	}
	log.Info("mudi starting", set.describe()...)
	return serve(ctx, cfg, log, stdout)
}

func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	}
	return nil, usageError{fmt.Sprintf("log-format: %q is not json or text", format)}
}

func serve(ctx context.Context, cfg serveConfig, log *slog.Logger, stdout io.Writer) error {
	start := time.Now()
	if setMemoryLimit(cfg.MemoryLimitMB) {
		log.Info("memory limit set", "limit_mb", cfg.MemoryLimitMB)
	}
	db, err := openStore(cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close() // after the server has drained: serve returns only then

	core, err := app.New(app.Config{Logger: log, Store: db, TileCacheBytes: int64(cfg.TileCacheMB) << 20})
	if err != nil {
		return err
	}
	n, err := core.Open(ctx)
	if err != nil {
		return err
	}
	log.Info("index loaded", "layers", len(core.Index().Layers()), "features", n, "dur_ms", time.Since(start).Milliseconds())
	keys, err := writeKeys(db, cfg.APIKeys, log, stdout)
	if err != nil {
		return err
	}
	srv, err := api.New(api.Config{
		Logger: log, App: core, Keys: keys,
		MaxBodyBytes: int64(cfg.MaxUploadMB) << 20, RequestTimeout: cfg.RequestTimeout,
		BasemapURL: cfg.BasemapURL, PublicURL: cfg.PublicURL, CORSOrigins: cfg.CORSOrigins,
		PrivateReads: cfg.PrivateReads, PrivateMetrics: cfg.PrivateMetrics,
		TileMaxAge: explicitZero(cfg.TileMaxAge), TileStaleWhileRevalidate: explicitZero(cfg.TileStaleWhileRevalidate),
		TileUnversionedMaxAge: cfg.TileUnversionedMaxAge, TileUnversionedStaleWhileRevalidate: cfg.TileUnversionedStaleWhileRevalidate,
	})
	if err != nil {
		return err
	}
	if len(core.Index().Layers()) == 0 && !cfg.NoSample {
		if err := loadSample(ctx, core); err != nil {
			return fmt.Errorf("load the embedded sample: %w", err)
		}
		log.Info("embedded sample loaded", "layers", len(core.Index().Layers()), "dur_ms", time.Since(start).Milliseconds())
	}
	srv.SetReady(true)
	var drainErr error
	sc := echo.StartConfig{
		Address:         cfg.Addr,
		HideBanner:      true,
		HidePort:        true,
		GracefulTimeout: cfg.DrainTimeout, // in-flight imports and analyses get time to finish
		ListenerAddrFunc: func(addr net.Addr) {
			log.Info("listening", "addr", addr.String(), "startup_ms", time.Since(start).Milliseconds())
			if cfg.listening != nil {
				cfg.listening(addr)
			}
		},
		BeforeServeFunc: func(s *http.Server) error {
			s.ReadHeaderTimeout = 10 * time.Second           // slow-loris protection
			s.ReadTimeout = cfg.RequestTimeout + time.Minute // large uploads on slow links
			s.WriteTimeout = cfg.RequestTimeout + 30*time.Second
			s.IdleTimeout = 2 * time.Minute
			return nil
		},
		OnShutdownError: func(err error) {
			log.Error("shutdown", "err", err)
			drainErr = err
		},
	}
	err = sc.Start(ctx, srv.Handler())
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if drainErr != nil {
		// Requests were still running when the drain time ran out: say so by the exit status.
		return fmt.Errorf("stopped before in-flight requests finished: %w", drainErr)
	}
	log.Info("mudi stopped")
	return nil
}

// explicitZero passes a duration to a setting of api.Config where 0 means "the default": a 0
// given on the command line becomes a negative value, which means 0 there.
func explicitZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// openStore opens DATA/mudi.db. When another process holds the file it fails within a second
// with an error that names the file and the lock.
func openStore(dir string) (*store.DB, error) {
	return store.Open(filepath.Join(dir, "mudi.db"), store.Options{Timeout: time.Second})
}

// openApp opens the store of a data directory and the application core over it, loaded: the
// one write and query path for the commands (import, export, analyze), the same as the server's.
// Close the returned store when done.
func openApp(ctx context.Context, dir string) (*app.App, *store.DB, error) {
	db, err := openStore(dir)
	if err != nil {
		return nil, nil, err
	}
	core, err := app.New(app.Config{Store: db})
	if err == nil {
		_, err = core.Open(ctx)
	}
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return core, db, nil
}

const memoryLimitUsage = "soft memory limit of the Go runtime in MiB (as GOMEMLIMIT): the collector works harder near it instead of letting the heap grow to twice what it holds; 0 for none"

// setMemoryLimit sets the runtime's soft memory limit to mb MiB, when mb > 0, and reports
// whether it did.
func setMemoryLimit(mb int) bool {
	if mb <= 0 {
		return false
	}
	debug.SetMemoryLimit(int64(mb) << 20)
	return true
}
