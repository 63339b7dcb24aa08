package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
	"github.com/mudi-gis/mudi/spatial/cql2"
	"github.com/mudi-gis/mudi/spatial/crs"
	"github.com/mudi-gis/mudi/store"
)

// AnalysisStore keeps saved analyses; *store.DB implements it.
type AnalysisStore interface {
	PutAnalysis(id string, doc []byte) error
	Analysis(id string) ([]byte, error)
	Analyses() ([]store.AnalysisDoc, error)
	DeleteAnalysis(id string) error
}

// analysisRequest is the JSON body of POST /api/analyses (and what the GET presets build from
// their query parameters).
type analysisRequest struct {
	Layer       string             `json:"layer"`
	Control     string             `json:"control,omitempty"`
	Status      []string           `json:"status,omitempty"`
	Filter      string             `json:"filter,omitempty"`
	BBox        []float64          `json:"bbox,omitempty"`
	Overlay     bool               `json:"overlay,omitempty"`
	Positions   []spatial.Position `json:"positions,omitempty"`
	SliverRatio *float64           `json:"sliver_ratio,omitempty"`
	Group       bool               `json:"group,omitempty"`
	ToleranceM  *float64           `json:"tolerance_m,omitempty"`
	MinMu       *float64           `json:"min_mu,omitempty"`
	MaxMu       *float64           `json:"max_mu,omitempty"`
	SaveAs      string             `json:"save_as,omitempty"`
	Title       string             `json:"title,omitempty"`
}

// presetParams are the query parameters each preset accepts.
var presetParams = map[string][]string{
	"small-parcels":     {"layer", "max_mu", "status", "filter", "bbox"},
	"outside-control":   {"layer", "control", "sliver_ratio", "status", "filter", "bbox"},
	"contiguous-blocks": {"layer", "control", "min_mu", "max_mu", "tolerance_m", "sliver_ratio", "status", "filter", "bbox"},
}

// preset serves GET /api/analyses/{preset}.
func (s *Server) preset(c *echo.Context) error {
	name := c.Param("id")
	if _, ok := presetParams[name]; !ok {
		return s.getAnalysis(c)
	}
	res, err := s.RunPreset(c.Request().Context(), name, c.QueryParams())
	if err != nil {
		return err
	}
	return s.sendResult(c, res)
}

// Presets lists the preset analyses by name with the parameters each accepts.
func Presets() map[string][]string { return presetParams }

// RunPreset runs the preset analysis name (small-parcels, outside-control,
// contiguous-blocks) with parameters as the HTTP API takes them (max_mu, tolerance_m …). It
// returns a *Problem naming the parameter at fault. mudi analyze uses it, so the command line
// and the API read parameters the same way.
func (s *Server) RunPreset(ctx context.Context, name string, q url.Values) (*analysis.Result, error) {
	allowed, ok := presetParams[name]
	if !ok {
		return nil, notFound("no preset %q (presets: small-parcels, outside-control, contiguous-blocks)", name)
	}
	for k := range q {
		if !contains(allowed, k) {
			return nil, badParam(k, "unknown parameter for %s (accepted: %s)", name, strings.Join(allowed, ", "))
		}
	}
	req := analysisRequest{Layer: q.Get("layer"), Control: q.Get("control"), Filter: q.Get("filter")}
	var err error
	if req.Status, err = listParam(q, "status"); err != nil {
		return nil, err
	}
	if req.BBox, err = bboxParam(q.Get("bbox")); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		name string
		dst  **float64
	}{{"max_mu", &req.MaxMu}, {"min_mu", &req.MinMu}, {"tolerance_m", &req.ToleranceM}, {"sliver_ratio", &req.SliverRatio}} {
		if *p.dst, err = floatParam(q, p.name); err != nil {
			return nil, err
		}
	}
	switch name {
	case "small-parcels":
		if req.MaxMu == nil {
			req.MaxMu = ptr(analysis.DefaultSmallMaxMu)
		}
	case "outside-control":
		req.Overlay = true
		req.Positions = []spatial.Position{spatial.Outside, spatial.Straddling}
	case "contiguous-blocks":
		req.Group = true
		if req.MinMu == nil && req.MaxMu == nil {
			req.MinMu = ptr(analysis.DefaultBlockMinMu)
		}
	}
	res, _, err := s.runAnalysis(ctx, req)
	return res, err
}

func ptr[T any](v T) *T { return &v }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
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

// spec turns a request into an analysis spec with the snapshots it needs, checking the layers.
func (s *Server) spec(req analysisRequest) (analysis.Spec, *spatial.Snapshot, *spatial.Snapshot, error) {
	var spec analysis.Spec
	if req.Layer == "" {
		req.Layer = s.onlyLayer(spatial.KindParcels)
		if req.Layer == "" {
			return spec, nil, nil, badParam("layer", "name the parcels layer to analyse")
		}
	}
	parcels := s.index.Layer(req.Layer)
	if parcels == nil {
		return spec, nil, nil, badParam("layer", "layer %q does not exist", req.Layer)
	}
	if parcels.Layer.Kind != spatial.KindParcels {
		return spec, nil, nil, badParam("layer", "layer %q is a %s layer, not a parcels layer", req.Layer, parcels.Layer.Kind)
	}
	var filter *cql2.Expr
	if req.Filter != "" {
		var err error
		if filter, err = parseFilter("filter", req.Filter, crs.CRS84, parcels.Layer); err != nil {
			return spec, nil, nil, err
		}
	}
	spec = analysis.Spec{
		Layer: req.Layer, Status: req.Status, Overlay: req.Overlay, Positions: req.Positions,
		SliverRatio: req.SliverRatio, Group: req.Group, MinMu: req.MinMu, MaxMu: req.MaxMu,
	}
	if filter != nil {
		spec.Filter, spec.FilterText = filter.Match, req.Filter
	}
	if req.ToleranceM != nil {
		spec.ToleranceM = *req.ToleranceM
	}
	if req.Group && len(req.Status) == 0 {
		spec.LowEfficiency = true
	}
	if req.BBox != nil {
		if len(req.BBox) != 4 || req.BBox[0] > req.BBox[2] || req.BBox[1] > req.BBox[3] {
			return spec, nil, nil, badParam("bbox", "must be [west, south, east, north] with west ≤ east and south ≤ north")
		}
		spec.Bound = &orb.Bound{Min: orb.Point{req.BBox[0], req.BBox[1]}, Max: orb.Point{req.BBox[2], req.BBox[3]}}
	}
	controlID := req.Control
	if controlID == "" {
		controlID = parcels.Layer.ControlLayer
	}
	var control *spatial.Snapshot
	if controlID != "" {
		if err := s.checkControl("control", controlID); err != nil {
			return spec, nil, nil, err
		}
		control = s.index.Layer(controlID)
		spec.Control = controlID
	} else if req.Overlay {
		return spec, nil, nil, badParam("control", "layer %q has no control layer: name one", req.Layer)
	}
	if err := spec.Validate(); err != nil {
		return spec, nil, nil, err
	}
	return spec, parcels, control, nil
}

func (s *Server) runAnalysis(ctx context.Context, req analysisRequest) (*analysis.Result, analysis.Spec, error) {
	spec, parcels, control, err := s.spec(req)
	if err != nil {
		return nil, spec, err
	}
	res, err := analysis.Run(ctx, parcels, control, spec)
	return res, spec, err
}

func (s *Server) sendResult(c *echo.Context, res *analysis.Result) error {
	b, err := res.GeoJSON()
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/geo+json")
	return c.Blob(http.StatusOK, "application/geo+json", b)
}

// savedAnalysis is the stored record of a saved analysis.
type savedAnalysis struct {
	ID      string           `json:"id"`
	Title   string           `json:"title"`
	Layer   string           `json:"layer"` // the derived layer holding the result
	Kind    string           `json:"kind"`  // parcels or blocks
	Request analysisRequest  `json:"request"`
	Summary analysis.Summary `json:"summary"`
	Created time.Time        `json:"created"`
	Links   []link           `json:"links,omitempty"`
}

// postAnalysis serves POST /api/analyses: run a full spec, optionally saving the result as a
// derived layer.
func (s *Server) postAnalysis(c *echo.Context) error {
	var req analysisRequest
	if err := decodeJSONBody(c, &req); err != nil {
		return err
	}
	if req.SaveAs != "" && !spatial.ValidLayerID(req.SaveAs) {
		return badParam("save_as", "%q is not a valid layer id", req.SaveAs)
	}
	if req.SaveAs != "" && s.index.Layer(req.SaveAs) != nil {
		return badParam("save_as", "a layer %q already exists", req.SaveAs)
	}
	res, _, err := s.runAnalysis(c.Request().Context(), req)
	if err != nil {
		return err
	}
	if req.SaveAs == "" {
		return s.sendResult(c, res)
	}
	if err := s.saveAnalysis(c.Request().Context(), req, res); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/analyses/"+req.SaveAs)
	b, err := res.GeoJSON()
	if err != nil {
		return err
	}
	return c.Blob(http.StatusCreated, "application/geo+json", b)
}

// saveAnalysis stores a result as derived layer req.SaveAs plus the analysis record.
func (s *Server) saveAnalysis(ctx context.Context, req analysisRequest, res *analysis.Result) error {
	b, err := res.GeoJSON()
	if err != nil {
		return err
	}
	imp, err := spatial.DecodeGeoJSON(bytes.NewReader(b), spatial.ImportOptions{})
	if err != nil {
		return fmt.Errorf("save analysis %s: %w", req.SaveAs, err)
	}
	title := req.Title
	if title == "" {
		title = req.SaveAs
	}
	if _, err := s.PutLayer(ctx, LayerRequest{ID: req.SaveAs, Title: title, Kind: spatial.KindDerived, Import: imp}); err != nil {
		return err
	}
	rec := savedAnalysis{ID: req.SaveAs, Title: title, Layer: req.SaveAs, Kind: res.Kind, Request: req,
		Summary: res.Summary, Created: s.cfg.Now().UTC()}
	doc, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.analyses.PutAnalysis(req.SaveAs, doc)
}

func (rec *savedAnalysis) withLinks() *savedAnalysis {
	rec.Links = []link{
		{Href: "/api/analyses/" + rec.ID, Rel: "self", Type: "application/json"},
		{Href: "/api/layers/" + rec.Layer, Rel: "layer", Type: "application/json"},
		{Href: "/tiles/" + rec.Layer + ".json", Rel: "tiles", Type: "application/json", Title: "TileJSON"},
	}
	return rec
}

func (s *Server) listAnalyses(c *echo.Context) error {
	docs, err := s.analyses.Analyses()
	if err != nil {
		return err
	}
	out := make([]*savedAnalysis, 0, len(docs))
	for _, d := range docs {
		var rec savedAnalysis
		if err := json.Unmarshal(d.Doc, &rec); err != nil {
			return fmt.Errorf("analysis %s: %w", d.ID, err)
		}
		out = append(out, rec.withLinks())
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"analyses": out})
}

func (s *Server) getAnalysis(c *echo.Context) error {
	id := c.Param("id")
	doc, err := s.analyses.Analysis(id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("analysis %q does not exist (presets: small-parcels, outside-control, contiguous-blocks)", id)
	}
	if err != nil {
		return err
	}
	var rec savedAnalysis
	if err := json.Unmarshal(doc, &rec); err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "", rec.withLinks())
}

// deleteAnalysis removes a saved analysis and its derived layer.
func (s *Server) deleteAnalysis(c *echo.Context) error {
	id := c.Param("id")
	if _, err := s.analyses.Analysis(id); errors.Is(err, store.ErrNotFound) {
		return notFound("analysis %q does not exist", id)
	} else if err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if sn := s.index.Layer(id); sn != nil && sn.Layer.Kind == spatial.KindDerived {
		if err := s.store.DeleteLayer(id); err != nil {
			return err
		}
		s.index.Remove(id)
		s.tiles.DropLayer(id)
	}
	if err := s.analyses.DeleteAnalysis(id); err != nil {
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
	id := q.Get("layer")
	if id == "" {
		if id = s.onlyLayer(spatial.KindParcels); id == "" {
			return badParam("layer", "name the parcels layer")
		}
	}
	sn := s.index.Layer(id)
	if sn == nil {
		return badParam("layer", "layer %q does not exist", id)
	}
	groupBy, err := listParam(q, "group_by")
	if err != nil {
		return err
	}
	res, err := analysis.Stats(sn, groupBy)
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layer": id, "version": sn.Layer.Version, "stats": res})
}
