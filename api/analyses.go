package api

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial/analysis"
)

// preset serves GET /api/analyses/{preset}.
func (s *Server) preset(c *echo.Context) error {
	name := c.Param("id")
	if _, ok := app.Presets[name]; !ok {
		return s.getAnalysis(c)
	}
	req, err := presetRequest(name, c.QueryParams())
	if err != nil {
		return err
	}
	res, err := s.app.Analyze(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return s.sendResult(c, http.StatusOK, res)
}

// presetRequest reads the query parameters of preset name into an analysis request.
func presetRequest(name string, q url.Values) (app.AnalysisRequest, error) {
	allowed := app.Presets[name]
	for k := range q {
		if !slices.Contains(allowed, k) {
			return app.AnalysisRequest{}, badParam(k, "unknown parameter for %s (accepted: %s)", name, strings.Join(allowed, ", "))
		}
	}
	req := app.AnalysisRequest{Layer: q.Get("layer"), Control: q.Get("control"), Filter: q.Get("filter")}
	var err error
	if req.Status, err = listParam(q, "status"); err != nil {
		return req, err
	}
	if req.BBox, err = bboxParam(q.Get("bbox")); err != nil {
		return req, err
	}
	for _, p := range []struct {
		name string
		dst  **float64
	}{{"max_mu", &req.MaxMu}, {"min_mu", &req.MinMu}, {"tolerance_m", &req.ToleranceM}, {"sliver_ratio", &req.SliverRatio}} {
		if *p.dst, err = floatParam(q, p.name); err != nil {
			return req, err
		}
	}
	return app.Preset(name, req)
}

func listParam(q url.Values, name string) ([]string, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			return nil, badParam(name, "empty value in %q", v)
		}
		out = append(out, s)
	}
	return out, nil
}

func floatParam(q url.Values, name string) (*float64, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, badParam(name, "%q is not a number", v)
	}
	return &f, nil
}

func bboxParam(v string) ([]float64, error) {
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return nil, badParam("bbox", "%q is not west,south,east,north", v)
	}
	out := make([]float64, 4)
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, badParam("bbox", "%q is not a number", p)
		}
		out[i] = f
	}
	return out, nil
}

// sendResult streams the answer (see analysis.Result.WriteGeoJSON).
func (s *Server) sendResult(c *echo.Context, status int, res *analysis.Result) error {
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "application/geo+json")
	w.WriteHeader(status)
	return res.WriteGeoJSON(w)
}

// postAnalysis serves POST /api/analyses: run a full spec, optionally saving the result as a
// derived layer.
func (s *Server) postAnalysis(c *echo.Context) error {
	var req app.AnalysisRequest
	if err := decodeJSONBody(c, &req); err != nil {
		return err
	}
	if req.SaveAs == "" {
		res, err := s.app.Analyze(c.Request().Context(), req)
		if err != nil {
			return err
		}
		return s.sendResult(c, http.StatusOK, res)
	}
	res, _, err := s.app.SaveAnalysis(context.WithoutCancel(c.Request().Context()), req)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/analyses/"+req.SaveAs)
	return s.sendResult(c, http.StatusCreated, res)
}

// analysisView is the JSON form of a saved analysis.
type analysisView struct {
	*app.SavedAnalysis
	Links []link `json:"links"`
}

func viewAnalysis(rec *app.SavedAnalysis) analysisView {
	return analysisView{rec, []link{
		{Href: "/api/analyses/" + rec.ID, Rel: "self", Type: "application/json"},
		{Href: "/api/layers/" + rec.Layer, Rel: "layer", Type: "application/json"},
		{Href: "/tiles/" + rec.Layer + ".json", Rel: "tiles", Type: "application/json", Title: "TileJSON"},
	}}
}

func (s *Server) listAnalyses(c *echo.Context) error {
	recs, err := s.app.Analyses()
	if err != nil {
		return err
	}
	out := make([]analysisView, len(recs))
	for i, rec := range recs {
		out[i] = viewAnalysis(rec)
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"analyses": out})
}

func (s *Server) getAnalysis(c *echo.Context) error {
	rec, err := s.app.Analysis(c.Param("id"))
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "", viewAnalysis(rec))
}

// deleteAnalysis removes a saved analysis and its derived layer.
func (s *Server) deleteAnalysis(c *echo.Context) error {
	if err := s.app.DeleteAnalysis(context.WithoutCancel(c.Request().Context()), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// stats serves GET /api/stats?layer=…&group_by=district,status.
func (s *Server) stats(c *echo.Context) error {
	q := c.QueryParams()
	for k := range q {
		if k != "layer" && k != "group_by" {
			return badParam(k, "unknown parameter (accepted: layer, group_by)")
		}
	}
	groupBy, err := listParam(q, "group_by")
	if err != nil {
		return err
	}
	sn, res, err := s.app.Stats(q.Get("layer"), groupBy)
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layer": sn.Layer.ID, "version": sn.Layer.Version, "stats": res})
}
