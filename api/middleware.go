package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
)

const ctxRequestID = "mudi.request_id"

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID takes the client's X-Request-ID when it is sane, or makes one, and echoes it.
func withRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		id := c.Request().Header.Get("X-Request-ID")
		if !validRequestID.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		c.Response().Header().Set("X-Request-ID", id)
		return next(c)
	}
}

func requestID(c *echo.Context) string {
	id, _ := c.Get(ctxRequestID).(string)
	return id
}

// accessLog writes one line per request after it is handled.
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
		attrs := []any{
			"request_id", requestID(c),
			"method", c.Request().Method,
			"route", c.Path(),
			"path", c.Request().URL.Path,
			"status", status,
			"bytes", size,
			"dur_ms", float64(time.Since(start).Microseconds()) / 1000,
		}
		if z := c.Param("z"); z != "" {
			attrs = append(attrs, "z", z, "x", c.Param("x"), "y", strings.TrimSuffix(strings.TrimSuffix(c.Param("y"), ".mvt"), ".pbf"))
		}
		s.log.Info("request", attrs...)
		return err
	}
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
