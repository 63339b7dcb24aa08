package analysis

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// Defaults of the analysis thresholds (docs/domain.md §1, §4).
const (
	DefaultSmallMaxMu  = 50.0  // small parcels: area_mu < 50
	DefaultBlockMinMu  = 300.0 // contiguous blocks: area_mu ≥ 300
	DefaultSliverRatio = 0.01  // control position: inside when outside_ratio ≤ 0.01
	DefaultScatteredMu = 50.0  // derived attribute scattered: block_mu < 50
)

// Spec is one analysis request: select parcels → optional overlay with a control layer →
// optional grouping into contiguous blocks → area filter on parcels or blocks. Its zero value
// selects every parcel of the layer and filters nothing. Build the three policy questions with
// [SmallParcels], [OutsideControl] and [ContiguousBlocks] and combine them by setting more
// fields.
type Spec struct {
	// Layer and Control are the ids of the parcels and control layers, echoed in the summary;
	// when set they must match the snapshots handed to [Run].
	Layer   string
	Control string

	// Selection. A parcel is selected when it passes all of these.
	//
	// Status, when non-empty, keeps parcels whose status attribute (the layer's "status" role,
	// else a field named "status") equals one of the values; the single value "*" keeps all.
	// When Status is empty and LowEfficiency is set, parcels are kept by the low-efficiency
	// rule of docs/domain.md §3 (see [IsLowEfficiency]).
	Status        []string
	LowEfficiency bool
	// Filter, when non-nil, keeps parcels for which it returns true. FilterText is its source
	// (e.g. a CQL2 expression), echoed in the summary.
	Filter     func(*spatial.Feature) bool
	FilterText string
	// Bound, when non-nil, keeps parcels whose geometry intersects it (lon/lat degrees).
	Bound *orb.Bound

	// Overlay computes each parcel's (or, with Group, each block's) position against the
	// control layer; Positions, when non-empty, keeps only results in those positions.
	Overlay   bool
	Positions []spatial.Position
	// SliverRatio is the share of area that may lie across the control line without changing
	// the position (nil: [DefaultSliverRatio]); it must be in [0, 0.5).
	SliverRatio *float64

	// Group joins selected parcels into contiguous blocks: parcels are linked when their
	// geodesic distance is at most ToleranceM metres (0: they touch or overlap).
	Group      bool
	ToleranceM float64

	// Area filter on parcels, or on blocks with Group: MinMu ≤ area_mu < MaxMu; nil bounds
	// are open.
	MinMu *float64
	MaxMu *float64
}

// ParamError reports an invalid analysis parameter. Param is the parameter's name as the HTTP
// API spells it (e.g. "tolerance_m"), so the caller can answer 400 naming it; use errors.As.
type ParamError struct {
	Param  string
	Reason string
}

func (e *ParamError) Error() string { return "analysis: parameter " + e.Param + ": " + e.Reason }

// SmallParcels is the preset for small parcels (零星/50 亩以下): parcels with area_mu < maxMu.
func SmallParcels(maxMu float64) Spec {
	return Spec{MaxMu: &maxMu}
}

// OutsideControl is the preset for parcels outside the control line (线外): the overlay keeps
// parcels positioned outside or straddling, with their outside_ratio and outside_mu.
func OutsideControl(sliverRatio float64) Spec {
	return Spec{Overlay: true, Positions: []spatial.Position{spatial.Outside, spatial.Straddling}, SliverRatio: &sliverRatio}
}

// ContiguousBlocks is the preset for contiguous blocks (连片): selected parcels are grouped at
// toleranceM metres and blocks filtered by minMu ≤ area_mu < maxMu. When both bounds are nil
// minMu defaults to [DefaultBlockMinMu]; when only maxMu is given there is no lower bound (so
// "scattered blocks under 50 亩" is ContiguousBlocks(nil, &fifty, …)). An empty status selects
// low-efficiency parcels (docs/domain.md §3); otherwise see [Spec].Status.
func ContiguousBlocks(minMu, maxMu *float64, toleranceM float64, status []string) Spec {
	if minMu == nil && maxMu == nil {
		d := DefaultBlockMinMu
		minMu = &d
	}
	return Spec{
		Group:         true,
		ToleranceM:    toleranceM,
		MinMu:         minMu,
		MaxMu:         maxMu,
		Status:        status,
		LowEfficiency: len(status) == 0,
	}
}

// maxToleranceM bounds tolerance_m: beyond a few kilometres "contiguous" means nothing and the
// candidate search degenerates.
const maxToleranceM = 5000

// Validate checks the parameters and returns a *[ParamError] naming the first bad one.
func (s *Spec) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if s.Layer != "" && !spatial.ValidLayerID(s.Layer) {
		return &ParamError{"layer", fmt.Sprintf("%q is not a valid layer id", s.Layer)}
	}
	if s.Control != "" && !spatial.ValidLayerID(s.Control) {
		return &ParamError{"control", fmt.Sprintf("%q is not a valid layer id", s.Control)}
	}
	if !finite(s.ToleranceM) || s.ToleranceM < 0 {
		return &ParamError{"tolerance_m", "must be a number ≥ 0"}
	}
	if s.ToleranceM > maxToleranceM {
		return &ParamError{"tolerance_m", fmt.Sprintf("must be at most %d m", maxToleranceM)}
	}
	if s.ToleranceM > 0 && !s.Group {
		return &ParamError{"tolerance_m", "applies only to contiguous blocks (group)"}
	}
	if s.MinMu != nil && (!finite(*s.MinMu) || *s.MinMu < 0) {
		return &ParamError{"min_mu", "must be a number ≥ 0"}
	}
	if s.MaxMu != nil && (!finite(*s.MaxMu) || *s.MaxMu <= 0) {
		return &ParamError{"max_mu", "must be a number > 0"}
	}
	if s.MinMu != nil && s.MaxMu != nil && *s.MinMu >= *s.MaxMu {
		return &ParamError{"min_mu", fmt.Sprintf("must be less than max_mu (%g ≥ %g)", *s.MinMu, *s.MaxMu)}
	}
	if s.SliverRatio != nil {
		if r := *s.SliverRatio; !finite(r) || r < 0 || r >= 0.5 {
			return &ParamError{"sliver_ratio", "must be in [0, 0.5)"}
		}
		if !s.Overlay {
			return &ParamError{"sliver_ratio", "applies only with the control overlay"}
		}
	}
	for _, p := range s.Positions {
		if p != spatial.Inside && p != spatial.Outside && p != spatial.Straddling {
			return &ParamError{"positions", fmt.Sprintf("%q is not inside, straddling or outside", p)}
		}
	}
	if len(s.Positions) > 0 && !s.Overlay {
		return &ParamError{"positions", "applies only with the control overlay"}
	}
	for _, v := range s.Status {
		if strings.TrimSpace(v) == "" {
			return &ParamError{"status", "empty value"}
		}
		if v == "*" && len(s.Status) > 1 {
			return &ParamError{"status", `"*" (all parcels) cannot be combined with other values`}
		}
	}
	if b := s.Bound; b != nil {
		if !finite(b.Min[0]) || !finite(b.Min[1]) || !finite(b.Max[0]) || !finite(b.Max[1]) ||
			b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			return &ParamError{"bbox", "must be minLon,minLat,maxLon,maxLat with min ≤ max"}
		}
		if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
			return &ParamError{"bbox", "must be in lon/lat degrees (EPSG:4326)"}
		}
	}
	return nil
}

// sliver returns the effective sliver ratio.
func (s *Spec) sliver() float64 {
	if s.SliverRatio != nil {
		return *s.SliverRatio
	}
	return DefaultSliverRatio
}

// Params returns the effective parameters as they are echoed in the result summary, keyed by
// their HTTP names.
func (s *Spec) Params() map[string]any {
	p := map[string]any{"layer": s.Layer, "group": s.Group, "overlay": s.Overlay}
	if s.Control != "" {
		p["control"] = s.Control
	}
	if s.MinMu != nil {
		p["min_mu"] = *s.MinMu
	}
	if s.MaxMu != nil {
		p["max_mu"] = *s.MaxMu
	}
	if s.Group {
		p["tolerance_m"] = s.ToleranceM
	}
	if s.Overlay {
		p["sliver_ratio"] = s.sliver()
		if len(s.Positions) > 0 {
			p["positions"] = slices.Clone(s.Positions)
		}
	}
	switch {
	case len(s.Status) > 0:
		p["status"] = slices.Clone(s.Status)
	case s.LowEfficiency:
		p["selection"] = "low_efficiency"
	}
	if s.FilterText != "" {
		p["filter"] = s.FilterText
	} else if s.Filter != nil {
		p["filter"] = "(function)"
	}
	if s.Bound != nil {
		p["bbox"] = []float64{s.Bound.Min[0], s.Bound.Min[1], s.Bound.Max[0], s.Bound.Max[1]}
	}
	return p
}

// PositionOf classifies an outside ratio with the sliver rule of docs/domain.md §4: inside when
// outsideRatio ≤ sliver, outside when ≥ 1 − sliver, else straddling.
func PositionOf(outsideRatio, sliver float64) spatial.Position {
	switch {
	case outsideRatio <= sliver:
		return spatial.Inside
	case outsideRatio >= 1-sliver:
		return spatial.Outside
	}
	return spatial.Straddling
}
