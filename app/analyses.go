package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
	"github.com/mudi-gis/mudi/spatial/crs"
	"github.com/mudi-gis/mudi/store"
)

// AnalysisRequest is one analysis: the JSON body of POST /api/analyses, and what the presets
// and mudi analyze build from their parameters.
type AnalysisRequest struct {
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

// Presets are the three policy questions by name, with the parameters each accepts (named as
// the fields of [AnalysisRequest] are in JSON).
var Presets = map[string][]string{
	"small-parcels":     {"layer", "max_mu", "status", "filter", "bbox"},
	"outside-control":   {"layer", "control", "sliver_ratio", "status", "filter", "bbox"},
	"contiguous-blocks": {"layer", "control", "min_mu", "max_mu", "tolerance_m", "sliver_ratio", "status", "filter", "bbox"},
}

// Preset completes req as preset name asks: small parcels under 50 亩 by default; parcels
// outside or straddling the control line; contiguous blocks of 300 亩 or more by default.
func Preset(name string, req AnalysisRequest) (AnalysisRequest, error) {
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
	default:
		return req, notFound("no preset %q (presets: small-parcels, outside-control, contiguous-blocks)", name)
	}
	return req, nil
}

func ptr[T any](v T) *T { return &v }

// Analyze runs an analysis on the current snapshots of its layers.
func (a *App) Analyze(ctx context.Context, req AnalysisRequest) (*analysis.Result, error) {
	spec, parcels, control, err := a.spec(req)
	if err != nil {
		return nil, err
	}
	return analysis.Run(ctx, parcels, control, spec)
}

// spec turns a request into an analysis spec with the snapshots it needs, checking the layers.
func (a *App) spec(req AnalysisRequest) (analysis.Spec, *spatial.Snapshot, *spatial.Snapshot, error) {
	var spec analysis.Spec
	if req.Layer == "" {
		if req.Layer = a.OnlyLayer(spatial.KindParcels); req.Layer == "" {
			return spec, nil, nil, invalid("layer", "name the parcels layer to analyse")
		}
	}
	parcels := a.index.Layer(req.Layer)
	if parcels == nil {
		return spec, nil, nil, invalid("layer", "layer %q does not exist", req.Layer)
	}
	if parcels.Layer.Kind != spatial.KindParcels {
		return spec, nil, nil, invalid("layer", "layer %q is a %s layer, not a parcels layer", req.Layer, parcels.Layer.Kind)
	}
	spec = analysis.Spec{
		Layer: req.Layer, Status: req.Status, Overlay: req.Overlay, Positions: req.Positions,
		SliverRatio: req.SliverRatio, Group: req.Group, MinMu: req.MinMu, MaxMu: req.MaxMu,
	}
	if req.Filter != "" {
		filter, err := ParseFilter("filter", req.Filter, crs.CRS84, parcels.Layer)
		if err != nil {
			return spec, nil, nil, err
		}
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
			return spec, nil, nil, invalid("bbox", "must be [west, south, east, north] with west ≤ east and south ≤ north")
		}
		spec.Bound = &orb.Bound{Min: orb.Point{req.BBox[0], req.BBox[1]}, Max: orb.Point{req.BBox[2], req.BBox[3]}}
	}
	controlID := req.Control
	if controlID == "" {
		controlID = parcels.Layer.ControlLayer
	}
	var control *spatial.Snapshot
	if controlID != "" {
		if err := a.checkControl("control", controlID); err != nil {
			return spec, nil, nil, err
		}
		control = a.index.Layer(controlID)
		spec.Control = controlID
	} else if req.Overlay {
		return spec, nil, nil, invalid("control", "layer %q has no control layer: name one", req.Layer)
	}
	if err := spec.Validate(); err != nil {
		return spec, nil, nil, err
	}
	return spec, parcels, control, nil
}

// SavedAnalysis is the stored record of a saved analysis: the request, its summary and the
// derived layer that holds the result.
type SavedAnalysis struct {
	ID      string           `json:"id"`
	Title   string           `json:"title"`
	Layer   string           `json:"layer"` // the derived layer holding the result
	Kind    string           `json:"kind"`  // parcels or blocks
	Request AnalysisRequest  `json:"request"`
	Summary analysis.Summary `json:"summary"`
	Created time.Time        `json:"created"`
}

// SaveAnalysis runs req and stores the result as derived layer req.SaveAs together with the
// analysis record, in one transaction.
func (a *App) SaveAnalysis(ctx context.Context, req AnalysisRequest) (*analysis.Result, *SavedAnalysis, error) {
	if req.SaveAs == "" {
		return nil, nil, invalid("save_as", "name the layer to save the result as")
	}
	if !spatial.ValidLayerID(req.SaveAs) {
		return nil, nil, invalid("save_as", "%q is not a valid layer id", req.SaveAs)
	}
	if a.index.Layer(req.SaveAs) != nil {
		return nil, nil, conflict("layer-exists", "save_as", "a layer %q already exists", req.SaveAs)
	}
	res, err := a.Analyze(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	b, err := res.GeoJSON()
	if err != nil {
		return nil, nil, err
	}
	imp, err := spatial.DecodeGeoJSON(bytesReader(b), spatial.ImportOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("save analysis %s: %w", req.SaveAs, err)
	}
	title := req.Title
	if title == "" {
		title = req.SaveAs
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.index.Layer(req.SaveAs) != nil {
		return nil, nil, conflict("layer-exists", "save_as", "a layer %q already exists", req.SaveAs)
	}
	if _, err := a.db.Analysis(req.SaveAs); err == nil {
		return nil, nil, conflict("analysis-exists", "save_as", "an analysis %q already exists", req.SaveAs)
	}
	now := a.cfg.Now().UTC()
	l := spatial.Layer{ID: req.SaveAs, Title: title, Kind: spatial.KindDerived, Version: 1, Created: now, Updated: now,
		Fields: imp.Fields, Roles: spatial.DetectRoles(imp.Fields), Source: spatial.Source{CRS: imp.CRS.String(), Encoding: "UTF-8"}}
	rec := &SavedAnalysis{ID: req.SaveAs, Title: title, Layer: req.SaveAs, Kind: res.Kind, Request: req, Summary: res.Summary, Created: now}
	doc, err := json.Marshal(rec)
	if err != nil {
		return nil, nil, err
	}
	c := change{op: opCreate, next: spatial.NewSnapshot(l, imp.Features)}
	err = a.commit(ctx, []change{c}, func(tx *store.Tx) error { return tx.PutAnalysis(req.SaveAs, doc) })
	if err != nil {
		return nil, nil, err
	}
	return res, rec, nil
}

// Analyses returns the saved analyses, sorted by id.
func (a *App) Analyses() ([]*SavedAnalysis, error) {
	docs, err := a.db.Analyses()
	if err != nil {
		return nil, err
	}
	out := make([]*SavedAnalysis, 0, len(docs))
	for _, d := range docs {
		var rec SavedAnalysis
		if err := json.Unmarshal(d.Doc, &rec); err != nil {
			return nil, fmt.Errorf("analysis %s: %w", d.ID, err)
		}
		out = append(out, &rec)
	}
	return out, nil
}

// Analysis returns saved analysis id.
func (a *App) Analysis(id string) (*SavedAnalysis, error) {
	doc, err := a.db.Analysis(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("analysis %q does not exist (presets: small-parcels, outside-control, contiguous-blocks)", id)
	}
	if err != nil {
		return nil, err
	}
	var rec SavedAnalysis
	if err := json.Unmarshal(doc, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// DeleteAnalysis removes a saved analysis and its derived layer in one transaction.
func (a *App) DeleteAnalysis(ctx context.Context, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.db.Analysis(id); errors.Is(err, store.ErrNotFound) {
		return notFound("analysis %q does not exist", id)
	} else if err != nil {
		return err
	}
	var cs []change
	if sn := a.index.Layer(id); sn != nil && sn.Layer.Kind == spatial.KindDerived {
		cs = append(cs, change{op: opDelete, prev: sn})
	}
	return a.commit(ctx, cs, func(tx *store.Tx) error { return tx.DeleteAnalysis(id) })
}

// deleteAnalysisOf returns the extra write that removes the saved analysis whose result is
// layer id, if there is one.
func (a *App) deleteAnalysisOf(id string) func(tx *store.Tx) error {
	if _, err := a.db.Analysis(id); err != nil {
		return nil
	}
	return func(tx *store.Tx) error { return tx.DeleteAnalysis(id) }
}

// Stats returns per-group counts, 亩 and 亩均税收 of a parcels layer ("" for the only one).
func (a *App) Stats(layer string, groupBy []string) (*spatial.Snapshot, *analysis.StatsResult, error) {
	if layer == "" {
		if layer = a.OnlyLayer(spatial.KindParcels); layer == "" {
			return nil, nil, invalid("layer", "name the parcels layer")
		}
	}
	sn := a.index.Layer(layer)
	if sn == nil {
		return nil, nil, invalid("layer", "layer %q does not exist", layer)
	}
	res, err := analysis.Stats(sn, slices.Clone(groupBy))
	return sn, res, err
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
