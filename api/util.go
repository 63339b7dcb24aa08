package api

import (
	"errors"
	"net/url"
	"sort"
	"strings"

	"github.com/labstack/echo/v5"
)

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// CheckPublicURL reports whether u can serve as the public base URL of the server
// ([Config.PublicURL]): an absolute http or https URL with a host and an optional path prefix,
// without query or fragment, e.g. https://gis.example.org/mudi. "" (derive the base from each
// request) is valid.
func CheckPublicURL(u string) error {
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	switch {
	case err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Opaque != "":
		return errors.New("the public URL must be an absolute http or https URL, e.g. https://gis.example.org/mudi")
	case p.RawQuery != "" || p.Fragment != "" || p.User != nil:
		return errors.New("the public URL must not have a query, a fragment or user information")
	}
	return nil
}

// publicBase returns the URL under which the client reaches this server, without a trailing
// slash: every absolute link the server writes (OGC API links, OpenAPI servers, TileJSON tile
// URLs, style sources, the viewer's settings) is this base followed by a path.
//
// It is [Config.PublicURL] when set. Otherwise it is built from the request as a reverse proxy
// forwards it: the scheme from X-Forwarded-Proto (http or https), the host from
// X-Forwarded-Host, and a path prefix from X-Forwarded-Prefix (e.g. /mudi for a proxy that
// serves mudi at https://host/mudi/ and strips the prefix); for each header the first of
// comma-separated values counts, and a malformed value is ignored. Without the headers it is
// the scheme and Host of the request itself.
func (s *Server) publicBase(c *echo.Context) string {
	if s.cfg.PublicURL != "" && CheckPublicURL(s.cfg.PublicURL) == nil {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	r := c.Request()
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(firstForwarded(r.Header.Get("X-Forwarded-Proto"))); p == "https" || p == "http" {
		scheme = p
	}
	host := r.Host
	if h := firstForwarded(r.Header.Get("X-Forwarded-Host")); validHost(h) {
		host = h
	}
	return scheme + "://" + host + forwardedPrefix(r.Header.Get("X-Forwarded-Prefix"))
}

// href returns the absolute URL of path (which starts with /) with query q, under the
// request's public base ([Server.publicBase]).
func (s *Server) href(c *echo.Context, path string, q url.Values) string {
	u := s.publicBase(c) + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// firstForwarded returns the first of the comma-separated values of a forwarding header.
func firstForwarded(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

// validHost reports whether h is a plausible host[:port]: letters, digits, '.', '-', ':' and
// the brackets of an IPv6 literal.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

// forwardedPrefix returns the path prefix of an X-Forwarded-Prefix header without a trailing
// slash ("" for none): a path that starts with one slash and holds only unreserved characters,
// '/' and percent escapes. Anything else is ignored, so that the header cannot make links point
// to another host.
func forwardedPrefix(v string) string {
	p := strings.TrimRight(firstForwarded(v), "/")
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || len(p) > 200 {
		return ""
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '/', c == '-', c == '.', c == '_', c == '~', c == '%':
		default:
			return ""
		}
	}
	return p
}
