package api

import (
	"bufio"
	"compress/gzip"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v5"
)

// gzipMinBytes is the body size from which a response is compressed: below it gzip's header
// and trailer cost more than they save.
const gzipMinBytes = 1024

// gzipWriters compress at gzip's fastest level: answers are made per request (an analysis of
// a province is hundreds of megabytes of GeoJSON), and on GeoJSON the fastest level takes a
// quarter of the default's time for a third more bytes (40 MB of parcels: 0.24 s and 8.3 MB
// against 0.97 s and 6.2 MB).
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// compressibleType reports whether responses of media type ct are compressed: JSON (GeoJSON,
// JSON Schema, OpenAPI, problems: every +json type) and HTML. Tiles, files and the viewer's
// assets are not: they are sent already compressed, or are compressed archives.
func compressibleType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/html"
}

// gzipResponses compresses JSON and HTML responses with gzip when the request's
// Accept-Encoding allows it, and says Vary: Accept-Encoding on every such response. A response
// that already has a Content-Encoding (tiles, the viewer's files) passes untouched, so nothing
// is compressed twice; so do HEAD requests, bodiless statuses and bodies under gzipMinBytes. A
// strong ETag becomes weak on a compressed response, which is no longer the same bytes.
func gzipResponses(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		if c.Request().Method == http.MethodHead {
			return next(c)
		}
		w := &gzipWriter{ResponseWriter: c.Response(), accept: acceptsGzip(c.Request().Header.Get("Accept-Encoding"))}
		c.SetResponse(w)
		err := next(c)
		c.SetResponse(w.ResponseWriter)
		if cerr := w.finish(); err == nil {
			err = cerr
		}
		return err
	}
}

// gzipWriter decides at WriteHeader whether the response is compressed, holds the first
// gzipMinBytes of a compressible body, and compresses from there on.
type gzipWriter struct {
	http.ResponseWriter
	accept bool

	state  gzipState
	status int
	buf    []byte
	gz     *gzip.Writer
}

type gzipState int

const (
	gzipUndecided gzipState = iota
	gzipPass                // written as is
	gzipHold                // compressible: holding the start of the body
	gzipOn                  // compressing
)

func (w *gzipWriter) WriteHeader(code int) {
	if w.state != gzipUndecided {
		return
	}
	h := w.ResponseWriter.Header()
	bodiless := code < 200 || code == http.StatusNoContent || code == http.StatusNotModified
	if bodiless || h.Get("Content-Encoding") != "" || !compressibleType(h.Get("Content-Type")) {
		w.state = gzipPass
		w.ResponseWriter.WriteHeader(code)
		return
	}
	addVary(h, "Accept-Encoding")
	if !w.accept {
		w.state = gzipPass
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.state, w.status = gzipHold, code
}

func (w *gzipWriter) Write(b []byte) (int, error) {
	if w.state == gzipUndecided {
		w.WriteHeader(http.StatusOK)
	}
	switch w.state {
	case gzipHold:
		w.buf = append(w.buf, b...)
		if len(w.buf) >= gzipMinBytes {
			if err := w.start(); err != nil {
				return 0, err
			}
		}
		return len(b), nil
	case gzipOn:
		return w.gz.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// start sends the header of a compressed response and the body held so far.
func (w *gzipWriter) start() error {
	h := w.ResponseWriter.Header()
	h.Del("Content-Length")
	h.Set("Content-Encoding", "gzip")
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		h.Set("ETag", "W/"+et)
	}
	w.ResponseWriter.WriteHeader(w.status)
	w.gz = gzipWriters.Get().(*gzip.Writer)
	w.gz.Reset(w.ResponseWriter)
	w.state = gzipOn
	_, err := w.gz.Write(w.buf)
	w.buf = nil
	return err
}

// finish ends the response: a held small body goes out as it is; a compressed one is closed.
func (w *gzipWriter) finish() error {
	switch w.state {
	case gzipHold:
		w.state = gzipPass
		w.ResponseWriter.WriteHeader(w.status)
		_, err := w.ResponseWriter.Write(w.buf)
		return err
	case gzipOn:
		err := w.gz.Close()
		w.gz.Reset(nil)
		gzipWriters.Put(w.gz)
		w.gz, w.state = nil, gzipPass
		return err
	}
	return nil
}

// Flush sends what is written so far, compressing from here on if the body is compressible.
func (w *gzipWriter) Flush() {
	if w.state == gzipHold {
		if err := w.start(); err != nil {
			return
		}
	}
	if w.state == gzipOn {
		_ = w.gz.Flush()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack is not possible once a compressed body has started.
func (w *gzipWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok && w.state == gzipUndecided {
		return h.Hijack()
	}
	return nil, nil, errors.New("api: cannot hijack a gzip response")
}

// Unwrap returns the underlying writer (Echo finds its *Response through it).
func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// addVary adds token to the Vary header unless it is there.
func addVary(h http.Header, token string) {
	for _, v := range h.Values("Vary") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return
			}
		}
	}
	h.Add("Vary", token)
}
