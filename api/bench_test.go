package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/store"
	"github.com/mudi-gis/mudi/tiles"
)

// benchServer returns a server built as mudi serve builds it (the tile cache on, at serve's
// default size) over a new store holding the generated county of n parcels (seed 1) as layers
// "parcels" and "control-lines".
func benchServer(b *testing.B, n int) (*Server, *app.App) {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "mudi.db"), store.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	core, err := app.New(app.Config{Store: db, TileCacheBytes: 256 << 20,
		Now: func() time.Time { return time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC) }})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := core.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	importCounty(b, core, n)
	srv, err := New(Config{Logger: slog.New(slog.DiscardHandler), App: core, Keys: testKeys()})
	if err != nil {
		b.Fatal(err)
	}
	srv.SetReady(true)
	return srv, core
}

// benchWriter is a ResponseWriter that keeps the status and counts the body, reused from one
// request to the next so that the benchmark measures the server's allocations, not its own.
type benchWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *benchWriter) Header() http.Header { return w.h }

func (w *benchWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

func (w *benchWriter) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
}

// densestTile returns, of the zoom-z tiles over fifty parcels spread over the layer, the one
// whose MVT of all layers is the largest.
func densestTile(b *testing.B, core *app.App, z tiles.Zoom) tiles.Coord {
	b.Helper()
	var snaps []*spatial.Snapshot
	for _, sn := range core.Index().Layers() {
		snaps = append(snaps, core.WithClasses(sn, campaign.Date{}))
	}
	fs := core.Index().Layer("parcels").Features()
	var best tiles.Coord
	size := 0
	for i := 0; i < len(fs); i += max(1, len(fs)/50) {
		var p orb.Point
		switch g := fs[i].Geometry.(type) {
		case orb.Polygon:
			p = g[0][0]
		case orb.MultiPolygon:
			p = g[0][0][0]
		default:
			b.Fatalf("parcel %d is a %T", fs[i].ID, g)
		}
		c := tiles.CoordAt(p, z)
		mvt, err := core.Tiles().Renderer().Render(context.Background(), snaps, c)
		if err != nil {
			b.Fatal(err)
		}
		if len(mvt) > size {
			best, size = c, len(mvt)
		}
	}
	return best
}

// BenchmarkTileCached measures the tile handler's path for a tile in the tile cache, through
// the whole middleware stack (ServeHTTP on the server's handler, no network): the default
// style's z14 tile of all layers, the densest of fifty over the generated 5 000-parcel county,
// asked for with gzip (the cached gzip body is sent), without it (the MVT as is), and
// revalidated with the gzip ETag (304, no body). Before timing it checks the responses'
// status, headers and bodies (the gzip body is the MVT compressed); each iteration checks the
// status and the body length, and the benchmark fails if a request missed the cache. It
// reports tiles/s.
func BenchmarkTileCached(b *testing.B) {
	srv, core := benchServer(b, 5000)
	h := srv.Handler()
	c := densestTile(b, core, 14)
	path := "/tiles/control-lines,parcels/" + c.String() + ".mvt"

	get := func(header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	plain := get()
	if plain.Code != http.StatusOK || plain.Header().Get("Content-Type") != mimeMVT || plain.Body.Len() == 0 || plain.Header().Get("Content-Encoding") != "" {
		b.Fatalf("GET %s: %d %v, %d bytes", path, plain.Code, plain.Header(), plain.Body.Len())
	}
	gz := get("Accept-Encoding", "gzip")
	etag := gz.Header().Get("ETag")
	if gz.Code != http.StatusOK || gz.Header().Get("Content-Encoding") != "gzip" || etag == "" || etag == plain.Header().Get("ETag") {
		b.Fatalf("GET %s with gzip: %d %v", path, gz.Code, gz.Header())
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body.Bytes()))
	if err != nil {
		b.Fatal(err)
	}
	if mvt, err := io.ReadAll(zr); err != nil || !bytes.Equal(mvt, plain.Body.Bytes()) {
		b.Fatalf("the gzip body of %s is not the MVT compressed (%v)", path, err)
	}
	if rec := get("Accept-Encoding", "gzip", "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		b.Fatalf("GET %s with If-None-Match: %d, %d bytes", path, rec.Code, rec.Body.Len())
	}
	misses := core.Tiles().Cache().Stats().Misses

	for _, bc := range []struct {
		name   string
		header []string
		status int
		body   int
	}{
		{"gzip", []string{"Accept-Encoding", "gzip, deflate, br"}, http.StatusOK, gz.Body.Len()},
		{"identity", nil, http.StatusOK, plain.Body.Len()},
		{"revalidate", []string{"Accept-Encoding", "gzip, deflate, br", "If-None-Match", etag}, http.StatusNotModified, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			for i := 0; i+1 < len(bc.header); i += 2 {
				req.Header.Set(bc.header[i], bc.header[i+1])
			}
			w := &benchWriter{h: http.Header{}}
			b.SetBytes(int64(bc.body))
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				h.ServeHTTP(w, req)
				if w.status != bc.status || w.n != bc.body {
					b.Fatalf("GET %s: %d, %d bytes; want %d, %d bytes", path, w.status, w.n, bc.status, bc.body)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
		})
	}
	if got := core.Tiles().Cache().Stats().Misses; got != misses {
		b.Errorf("%d requests missed the tile cache", got-misses)
	}
	b.Logf("tile %v: %d bytes, %d gzipped", c, plain.Body.Len(), gz.Body.Len())
}
