package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
	"github.com/mudi-gis/mudi/spatial/crs"
	"github.com/mudi-gis/mudi/spatial/gisio"
	"github.com/mudi-gis/mudi/store"
)

// Problem is an RFC 9457 problem detail. Param names the request parameter at fault; Errors
// lists per-feature problems of an import.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Param     string `json:"param,omitempty"`
	Errors    any    `json:"errors,omitempty"`

	cause error // logged, never sent
}

func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
	}
	return fmt.Sprintf("%d %s", p.Status, p.Title)
}

func (p *Problem) Unwrap() error { return p.cause }

// statusClientClosed is the status of a request whose client disconnected first (a convention
// of access logs; no client ever receives it).
const statusClientClosed = 499

const problemBase = "https://mudi.dev/problems/"

func problem(status int, kind, title, detail string) *Problem {
	return &Problem{Type: problemBase + kind, Title: title, Status: status, Detail: detail}
}

// badParam is a 400 naming the offending parameter.
func badParam(param, format string, args ...any) *Problem {
	p := problem(http.StatusBadRequest, "invalid-parameter", "invalid parameter", param+": "+fmt.Sprintf(format, args...))
	p.Param = param
	return p
}

func notFound(format string, args ...any) *Problem {
	return problem(http.StatusNotFound, "not-found", "not found", fmt.Sprintf(format, args...))
}

// toProblem maps an error to the problem sent to the client. It is the only place where errors
// become statuses. Unknown errors become a 500 that says nothing of the cause.
func toProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var (
		syntaxErr  *spatial.SyntaxError
		invalidErr *spatial.InvalidFeaturesError
		maxBytes   *http.MaxBytesError
		httpErr    *echo.HTTPError
		paramErr   *analysis.ParamError
		fileParam  *gisio.ParamError
		fileErr    *gisio.FileError
		appErr     *app.Error
		filterErr  *app.FilterError
		attrErr    *spatial.AttributeError
	)
	switch {
	case errors.As(err, &appErr):
		p = appProblem(appErr)
	case errors.As(err, &filterErr):
		p = badParam(filterErr.Param, "%s (at byte %d)", filterErr.Reason, filterErr.Pos)
		entry := map[string]any{"position": filterErr.Pos, "reason": filterErr.Reason}
		if filterErr.Property != "" {
			entry["property"] = filterErr.Property
		}
		p.Errors = []map[string]any{entry}
	case errors.Is(err, app.ErrTooLarge):
		p = problem(http.StatusRequestEntityTooLarge, "too-large", "file too large", err.Error())
		p.Param = "file"
	case errors.Is(err, gisio.ErrUnsupportedFormat):
		p = problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "unsupported file type", strings.TrimPrefix(err.Error(), "gisio: "))
	case errors.As(err, &syntaxErr):
		p = problem(http.StatusBadRequest, "invalid-geojson", "invalid GeoJSON", syntaxErr.Reason)
		if syntaxErr.Offset >= 0 {
			p.Errors = []map[string]any{{"offset": syntaxErr.Offset, "reason": syntaxErr.Reason}}
		}
	case errors.As(err, &invalidErr):
		p = problem(http.StatusBadRequest, "invalid-features", "invalid features", strings.TrimPrefix(strings.TrimPrefix(invalidErr.Error(), "spatial: invalid features"), ": "))
		p.Errors = invalidErr.Problems
	case errors.As(err, &paramErr):
		p = badParam(paramErr.Param, "%s", paramErr.Reason)
	case errors.As(err, &fileParam):
		p = badParam(fileParam.Param, "%s", fileParam.Reason)
	case errors.As(err, &fileErr):
		kind, title := "invalid-file", "invalid file"
		if errors.Is(err, gisio.ErrArchive) {
			kind, title = "invalid-archive", "archive refused"
		}
		p = problem(http.StatusBadRequest, kind, title, strings.TrimPrefix(fileErr.Error(), "gisio: "))
		entry := map[string]any{"file": fileErr.File, "reason": fileErr.Reason}
		if fileErr.Record > 0 {
			entry["record"] = fileErr.Record
		}
		p.Errors = []map[string]any{entry}
		p.Param = "file"
	case errors.As(err, &attrErr):
		p = problem(http.StatusBadRequest, "invalid-attribute", "invalid attribute", attrErr.Detail())
		p.Param = attrErr.Field
		entry := map[string]any{"reason": attrErr.Reason}
		if attrErr.Field != "" {
			entry["field"] = attrErr.Field
		} else {
			p.Param = "body"
		}
		p.Errors = []map[string]any{entry}
	case errors.Is(err, spatial.ErrInvalidGeometry):
		p = problem(http.StatusBadRequest, "invalid-geometry", "invalid geometry", err.Error())
	case errors.Is(err, crs.ErrUnsupported):
		p = badParam("crs", "%v", err)
	case errors.Is(err, store.ErrNotFound):
		p = notFound("%s", "the resource does not exist")
	case errors.Is(err, store.ErrExists):
		p = problem(http.StatusConflict, "conflict", "already exists", "the resource already exists")
	case errors.As(err, &maxBytes):
		p = problem(http.StatusRequestEntityTooLarge, "too-large", "request body too large",
			fmt.Sprintf("the body exceeds the limit of %d bytes", maxBytes.Limit))
	case errors.Is(err, syscall.ENOSPC):
		p = problem(http.StatusInsufficientStorage, "insufficient-storage", "insufficient storage",
			"the disk of the data directory is full: nothing was written; free space and send the request again")
	case errors.Is(err, context.Canceled):
		// The client went away before the request was done (nothing was written): the status
		// nobody receives, recorded in the access log as it really was.
		p = problem(statusClientClosed, "client-closed", "client closed request", "the client closed the connection before the request was complete")
	case errors.Is(err, context.DeadlineExceeded):
		p = problem(http.StatusServiceUnavailable, "timeout", "request timed out", "the request took longer than the configured limit")
	case errors.As(err, &httpErr):
		p = problem(httpErr.Code, "http", http.StatusText(httpErr.Code), "")
	case echo.StatusCode(err) != 0:
		code := echo.StatusCode(err)
		p = problem(code, "http", http.StatusText(code), "")
	default:
		p = problem(http.StatusInternalServerError, "internal", "internal error", "")
	}
	p.cause = err
	return p
}

// appProblem maps a use-case failure of the application core to its problem.
func appProblem(e *app.Error) *Problem {
	status, kind, title := http.StatusBadRequest, "invalid-parameter", "invalid parameter"
	switch e.Kind {
	case app.NotFound:
		status, kind, title = http.StatusNotFound, "not-found", "not found"
	case app.Conflict:
		status, kind, title = http.StatusConflict, "conflict", "conflict"
	case app.Forbidden:
		status, kind, title = http.StatusForbidden, "forbidden", "forbidden"
	case app.Unprocessable:
		status, kind, title = http.StatusUnprocessableEntity, "unprocessable", "rule refused"
	case app.Unsupported:
		status, kind, title = http.StatusUnsupportedMediaType, "unsupported-media-type", "unsupported media type"
	}
	if e.Type != "" {
		kind = e.Type
	}
	detail := e.Reason
	if e.Param != "" {
		detail = e.Param + ": " + e.Reason
	}
	p := problem(status, kind, title, detail)
	p.Param = e.Param
	return p
}

// ClientProblem returns the problem a client would get for err when err is the client's fault
// (a 4xx), and nil otherwise. Commands use it to report bad input as the API does.
func ClientProblem(err error) *Problem {
	if err == nil {
		return nil
	}
	if p := toProblem(err); p.Status >= 400 && p.Status < 500 {
		return p
	}
	return nil
}

// handleError is the Echo HTTPErrorHandler: it writes the problem for err and logs server-side
// failures with their full chain.
func (s *Server) handleError(c *echo.Context, err error) {
	if resp, uerr := echo.UnwrapResponse(c.Response()); uerr == nil && resp.Committed {
		return
	}
	p := *toProblem(err)
	p.Instance = c.Request().URL.Path
	p.RequestID = requestID(c)
	if p.Status >= 500 && !errors.Is(err, context.Canceled) {
		s.log.Error("request failed", "request_id", p.RequestID, "route", c.Path(), "err", err)
	}
	if p.Status == http.StatusUnauthorized {
		// Both ways of sending a key; Basic only to clients that are not a page's script, for
		// which a browser would open its own password dialog.
		h := c.Response().Header()
		h.Set("WWW-Authenticate", `Bearer realm="mudi"`)
		if m := c.Request().Header.Get("Sec-Fetch-Mode"); m == "" || m == "navigate" {
			h.Add("WWW-Authenticate", `Basic realm="mudi"`)
		}
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	if c.Request().Method != http.MethodHead {
		_ = writeJSON(c.Response(), p)
	}
}
