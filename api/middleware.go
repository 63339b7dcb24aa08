package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
)

const ctxRequestID = "mudi.request_id"

// newRequestID returns 16 random hex digits from math/rand/v2's per-thread ChaCha8 generator:
// request ids need to be unique within the logs, not secret, and this costs no system call.
func newRequestID() string {
	var b [16]byte
	v := mrand.Uint64()
	const digits = "0123456789abcdef"
	for i := range b {
		b[i] = digits[v>>60]
		v <<= 4
	}
	return string(b[:])
}

// validRequestID reports whether a client's X-Request-ID is 1–64 characters of [A-Za-z0-9._-].
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// withRequestID takes the client's X-Request-ID when it is sane, or makes one, and echoes it.
func withRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		var id string
		if v := c.Request().Header["X-Request-Id"]; len(v) > 0 { // canonical key: no allocation
			id = v[0]
		}
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Set(ctxRequestID, id)
		c.Response().Header()["X-Request-Id"] = []string{id}
		return next(c)
	}
}

func requestID(c *echo.Context) string {
	id, _ := c.Get(ctxRequestID).(string)
	return id
}

// accessLog writes one line per request after it is handled (typed attributes: no boxing of
// each value into an interface).
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		start := time.Now()
		err := next(c)
		status := http.StatusOK
		var size int64
		if resp, uerr := echo.UnwrapResponse(c.Response()); uerr == nil {
			if err != nil && !resp.Committed {
				s.handleError(c, err)
				err = nil
			}
			status, size = resp.Status, resp.Size
		}
		if !s.log.Enabled(c.Request().Context(), slog.LevelInfo) {
			return err
		}
		r := c.Request()
		attrs := make([]slog.Attr, 0, 10)
		attrs = append(attrs,
			slog.String("request_id", requestID(c)),
			slog.String("method", r.Method),
			slog.String("route", c.Path()),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Int64("bytes", size),
			slog.Float64("dur_ms", float64(time.Since(start).Microseconds())/1000),
		)
		if r.URL.RawQuery != "" {
			attrs = append(attrs, slog.String("query", redactQuery(r.URL.RawQuery)))
		}
		if z := c.Param("z"); z != "" {
			attrs = append(attrs, slog.String("z", z), slog.String("x", c.Param("x")),
				slog.String("y", strings.TrimSuffix(strings.TrimSuffix(c.Param("y"), ".mvt"), ".pbf")))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		return err
	}
}

// redactQuery returns a raw query string for the access log with the value of every key
// parameter (an API key) replaced by REDACTED; the rest is kept as the client sent it.
func redactQuery(raw string) string {
	if !strings.Contains(raw, "key") {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if strings.EqualFold(strings.TrimSpace(name), "key") {
			parts[i] = "key=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

// limitBody caps request bodies; reading past the cap fails with *http.MaxBytesError (→ 413).
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.cfg.MaxBodyBytes {
			return &http.MaxBytesError{Limit: s.cfg.MaxBodyBytes}
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBodyBytes)
		return next(c)
	}
}

// HashKey returns the stored form of an API key (SHA-256, hex).
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// requireKey lets a write through only with a valid "Authorization: Bearer <key>": 401 when
// the header is missing or malformed, 403 when the key is not known.
func (s *Server) requireKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		key, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(key) == "" {
			return problem(http.StatusUnauthorized, "unauthorized", "API key required",
				"writes need an Authorization: Bearer <key> header")
		}
		got := HashKey(strings.TrimSpace(key))
		for _, want := range s.cfg.KeyHashes {
			if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
				return next(c)
			}
		}
		return problem(http.StatusForbidden, "forbidden", "invalid API key", "the API key is not valid for this server")
	}
}
