package api

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"
	"github.com/mudi-gis/mudi/app"
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
// A JSON body (application/json or application/merge-patch+json: edits, analysis specs) must
// be valid UTF-8: decoding JSON would silently turn other bytes into U+FFFD and store that.
// Uploads (POST and PUT of layers) are left to the import, which checks the UTF-8 of every
// feature's attributes and names the feature, without a second copy of a large body.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.cfg.MaxBodyBytes {
			return &http.MaxBytesError{Limit: s.cfg.MaxBodyBytes}
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBodyBytes)
		upload := (r.Method == http.MethodPost || r.Method == http.MethodPut) && strings.HasPrefix(c.Path(), "/api/layers")
		if ct, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); !upload && (ct == "application/json" || ct == "application/merge-patch+json") {
			data, err := io.ReadAll(r.Body)
			if err != nil {
				return err
			}
			if !utf8.Valid(data) {
				off := 0
				for off < len(data) {
					r, size := utf8.DecodeRune(data[off:])
					if r == utf8.RuneError && size <= 1 {
						break
					}
					off += size
				}
				p := problem(http.StatusBadRequest, "invalid-json", "invalid JSON body", fmt.Sprintf("the body is not valid UTF-8 (byte %d)", off))
				p.Param = "body"
				return p
			}
			r.Body = io.NopCloser(bytes.NewReader(data))
		}
		return next(c)
	}
}

// HashKey returns the stored form of an API key (SHA-256, hex).
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Key is an accepted API key: its name (recorded in histories), role and the SHA-256 of its
// secret ([HashKey]); the secret itself is never kept.
type Key struct {
	Name string
	Role app.Role
	Hash string
}

// requireKey lets a request through only with a valid key of a role that allows need: the key
// comes as "Authorization: Bearer <key>" or as the password of HTTP Basic authentication (any
// user name, so that desktop GIS clients can send it). 401 with WWW-Authenticate when no key is
// sent, 403 when the key is unknown or its role does not allow the request.
func (s *Server) requireKey(need app.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			secret, ok := credential(c.Request())
			if !ok {
				return problem(http.StatusUnauthorized, "unauthorized", "API key required",
					"writes need an API key: an Authorization: Bearer <key> header, or HTTP Basic authentication with the key as password")
			}
			got := HashKey(secret)
			for _, k := range s.cfg.Keys {
				if subtle.ConstantTimeCompare([]byte(got), []byte(k.Hash)) != 1 {
					continue
				}
				if !k.Role.Allows(need) {
					return problem(http.StatusForbidden, "forbidden", "role not allowed",
						fmt.Sprintf("key %s is an %s key; this request needs a %s key", k.Name, k.Role, need))
				}
				c.Set(ctxKeyName, app.Actor{Name: k.Name, Role: k.Role})
				return next(c)
			}
			return problem(http.StatusForbidden, "forbidden", "invalid API key", "the API key is not valid for this server")
		}
	}
}

// credential returns the key a request carries, by Bearer or Basic authentication.
func credential(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if key, ok := strings.CutPrefix(h, "Bearer "); ok {
		key = strings.TrimSpace(key)
		return key, key != ""
	}
	if _, pass, ok := r.BasicAuth(); ok && pass != "" {
		return pass, true
	}
	return "", false
}

const ctxKeyName = "mudi.key_name"

// actor returns who made the request: the name and role of the API key that authorised it
// (zero for none); history entries record the name, never the key itself.
func actor(c *echo.Context) app.Actor {
	a, _ := c.Get(ctxKeyName).(app.Actor)
	return a
}

// pageCSP is the Content-Security-Policy of HTML pages that set none of their own (the OGC
// API's HTML pages, which use an inline style sheet and plain links, nothing else). The viewer
// at / sets a policy of its own that allows its scripts, workers and basemap.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

// securityHeaders marks every response nosniff, so that a browser never runs as a script or a
// page what was sent as data (an attribute value in a GeoJSON body, say), and gives HTML
// responses a Content-Security-Policy when their handler set none.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		c.Response().Header()["X-Content-Type-Options"] = []string{"nosniff"}
		if resp, err := echo.UnwrapResponse(c.Response()); err == nil {
			resp.Before(func() {
				h := resp.Header()
				if strings.HasPrefix(h.Get(echo.HeaderContentType), "text/html") && h.Get("Content-Security-Policy") == "" {
					h.Set("Content-Security-Policy", pageCSP)
				}
			})
		}
		return next(c)
	}
}

// corsExposed are the response headers that cross-origin scripts may read.
const corsExposed = "ETag, Location, X-Request-ID, Content-Crs, Link"

// cors answers cross-origin requests. Reads (GET, HEAD, and their preflights) are open to
// every origin, as a public map API's are. Writes are open only to the origins in
// Config.CORSOrigins (scheme://host[:port], compared exactly): for any other origin the
// preflight gets no CORS headers, so the browser does not send the write.
func (s *Server) cors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		r := c.Request()
		h := c.Response().Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" {
			return next(c)
		}
		method := r.Method
		preflight := method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			method = r.Header.Get("Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
		}
		read := method == http.MethodGet || method == http.MethodHead
		switch {
		case read:
			h.Set("Access-Control-Allow-Origin", "*")
		case s.writeOrigin(origin):
			h.Set("Access-Control-Allow-Origin", origin)
		default:
			if preflight {
				return c.NoContent(http.StatusNoContent)
			}
			return next(c)
		}
		if !preflight {
			h.Set("Access-Control-Expose-Headers", corsExposed)
			return next(c)
		}
		if read {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD")
		} else {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE")
		}
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
		h.Set("Access-Control-Max-Age", "600")
		return c.NoContent(http.StatusNoContent)
	}
}

// writeOrigin reports whether origin may send writes (see [Server.cors]).
func (s *Server) writeOrigin(origin string) bool {
	for _, o := range s.cfg.CORSOrigins {
		if o == origin {
			return true
		}
	}
	return false
}
