package analysis

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// Result is the outcome of [Run]: parcels, or blocks when the spec groups.
type Result struct {
	Kind    string         // "parcels" or "blocks"
	Parcels []ParcelResult // in FeatureID order
	Blocks  []BlockResult  // largest first, ties by block id
	Summary Summary
}

// Overlay is the position of a parcel or block against the control line.
type Overlay struct {
	Position     spatial.Position
	InsideM2     float64 // ellipsoidal area inside the union of the control polygons, m²
	OutsideRatio float64 // 1 − InsideM2/AreaM2, in [0, 1]
	OutsideMu    float64 // OutsideRatio × AreaMu
}

// InsideShare returns the share of the area inside the control line, 1 − OutsideRatio.
func (o *Overlay) InsideShare() float64 { return 1 - o.OutsideRatio }

// ParcelResult is one selected parcel. Geometry and Attrs are shared with the snapshot and must
// not be modified.
type ParcelResult struct {
	ID       spatial.FeatureID
	Geometry orb.Geometry
	Attrs    spatial.Record
	AreaM2   float64
	AreaMu   float64
	Overlay  *Overlay // nil without overlay
}

// BlockResult is one contiguous block.
type BlockResult struct {
	ID          uint64           // the smallest member FeatureID
	Geometry    orb.MultiPolygon // dissolved union of the members, lon/lat
	AreaM2      float64          // ellipsoidal area of the union
	AreaMu      float64
	ParcelIDs   []spatial.FeatureID // ascending
	ParcelCodes []string            // the members' code role values, aligned with ParcelIDs
	ParcelCount int
	Overlay     *Overlay // nil without a control layer
}

// Summary sums up a result.
type Summary struct {
	Count       int            `json:"count"`        // parcels or blocks returned
	AreaMu      float64        `json:"area_mu"`      // their total area
	ParcelCount int            `json:"parcel_count"` // parcels returned, or members of the blocks returned
	ElapsedMS   float64        `json:"elapsed_ms"`
	Params      map[string]any `json:"params"`
}

// Run executes spec on a parcels snapshot and, for the overlay or for blocks' inside share, a
// control snapshot (may be nil otherwise). It returns a *[ParamError] for invalid parameters,
// ctx.Err() when ctx is done first, and an error wrapping the overlay engine's when an exact
// overlay fails.
//
// Semantics (docs/domain.md §4): a parcel is selected when it passes Status/LowEfficiency, Filter and
// Bound. Without Group the area filter (MinMu ≤ area_mu < MaxMu) and the position filter apply
// to parcels. With Group the selected parcels are linked at ToleranceM and the filters apply to
// blocks; a block's position follows its inside share with the same sliver rule as parcels.
// Areas are taken from Derived.AreaM2 when it is set, else computed.
func Run(ctx context.Context, parcels, control *spatial.Snapshot, spec Spec) (*Result, error) {
	start := time.Now()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if parcels == nil {
		return nil, &ParamError{"layer", "no parcels layer"}
	}
	if spec.Layer != "" && spec.Layer != parcels.Layer.ID {
		return nil, &ParamError{"layer", fmt.Sprintf("spec names %q but the snapshot is %q", spec.Layer, parcels.Layer.ID)}
	}
	if spec.Overlay && control == nil {
		return nil, &ParamError{"control", "the control-line overlay needs a control layer"}
	}
	if control != nil && spec.Control != "" && spec.Control != control.Layer.ID {
		return nil, &ParamError{"control", fmt.Sprintf("spec names %q but the snapshot is %q", spec.Control, control.Layer.ID)}
	}
	if spec.Layer == "" {
		spec.Layer = parcels.Layer.ID
	}
	if control != nil && spec.Control == "" && (spec.Overlay || spec.Group) {
		spec.Control = control.Layer.ID
	}

	ms, err := selectMembers(ctx, parcels, &spec, false)
	if err != nil {
		return nil, err
	}
	var res *Result
	if spec.Group {
		res, err = runBlocks(ctx, parcels, control, &spec, ms)
	} else {
		if !spec.Overlay {
			control = nil
		}
		res, err = runParcels(ctx, control, &spec, ms)
	}
	if err != nil {
		return nil, err
	}
	res.Summary.Params = spec.Params()
	res.Summary.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// selectMembers applies the selection of spec (all parcels when spec is nil) and computes the
// areas (always when recompute, else only where Derived.AreaM2 is unset).
func selectMembers(ctx context.Context, s *spatial.Snapshot, spec *Spec, recompute bool) ([]member, error) {
	var cands []*spatial.Feature
	if spec != nil && spec.Bound != nil {
		s.Search(*spec.Bound, func(f *spatial.Feature) bool {
			cands = append(cands, f)
			return true
		})
		slices.SortFunc(cands, func(a, b *spatial.Feature) int { return cmpID(a.ID, b.ID) })
	} else {
		cands = s.Features()
	}
	var keep func(*spatial.Feature) bool
	if spec != nil {
		var err error
		if keep, err = selector(&s.Layer, spec); err != nil {
			return nil, err
		}
	}
	ms := make([]member, 0, len(cands))
	for i, f := range cands {
		if i%1024 == 0 && ctx.Err() != nil { // a filter may cost up to ~0.1 ms per feature
			return nil, ctx.Err()
		}
		if f.Geometry == nil || len(f.Polygons()) == 0 {
			continue
		}
		if keep != nil && !keep(f) {
			continue
		}
		ms = append(ms, newMember(f))
	}
	drop := make([]bool, len(ms))
	err := forEach(ctx, len(ms), func(_, i int) error {
		m := &ms[i]
		if spec != nil && spec.Bound != nil && !intersectsBound(m.polys, *spec.Bound) {
			drop[i] = true
			return nil
		}
		if !recompute && m.f.Derived.AreaM2 > 0 {
			m.areaM2 = m.f.Derived.AreaM2
		} else {
			m.areaM2 = spatial.AreaM2(m.f.Geometry)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := ms[:0]
	for i, m := range ms {
		if !drop[i] {
			out = append(out, m)
		}
	}
	return out, nil
}

func cmpID(a, b spatial.FeatureID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// selector compiles the attribute selection of spec for layer l.
func selector(l *spatial.Layer, spec *Spec) (func(*spatial.Feature) bool, error) {
	var tests []func(*spatial.Feature) bool
	switch {
	case len(spec.Status) == 1 && spec.Status[0] == "*":
	case len(spec.Status) > 0:
		field, ok := statusField(l)
		if !ok {
			return nil, &ParamError{"status", fmt.Sprintf("layer %q has no status attribute (role status)", l.ID)}
		}
		values := map[string]bool{}
		for _, v := range spec.Status {
			values[v] = true
		}
		tests = append(tests, func(f *spatial.Feature) bool { return values[f.Attrs.String(field)] })
	case spec.LowEfficiency:
		lf := lowEffFieldsOf(l)
		if lf == (lowEffFields{}) {
			return nil, &ParamError{"status", fmt.Sprintf("layer %q has none of the low-efficiency attributes SFDX, WWLX, DXLX, MJDJ; pass status", l.ID)}
		}
		tests = append(tests, func(f *spatial.Feature) bool { return lf.match(f.Attrs) })
	}
	if spec.Filter != nil {
		tests = append(tests, spec.Filter)
	}
	return func(f *spatial.Feature) bool {
		for _, t := range tests {
			if !t(f) {
				return false
			}
		}
		return true
	}, nil
}

func (s *Spec) areaOK(mu float64) bool {
	if s.MinMu != nil && mu < *s.MinMu {
		return false
	}
	if s.MaxMu != nil && mu >= *s.MaxMu {
		return false
	}
	return true
}

func (s *Spec) positionOK(p spatial.Position) bool {
	return len(s.Positions) == 0 || slices.Contains(s.Positions, p)
}

func overlayOf(insideM2, areaM2, sliver float64) *Overlay {
	r := 1.0
	if areaM2 > 0 {
		r = max(0, min(1, 1-insideM2/areaM2))
	}
	return &Overlay{
		Position:     PositionOf(r, sliver),
		InsideM2:     insideM2,
		OutsideRatio: r,
		OutsideMu:    r * spatial.MuFromM2(areaM2),
	}
}

// memberInside computes the inside area of every member (indices idx, or all when idx is nil).
func memberInside(ctx context.Context, cs *controlSet, ms []member, idx []int32) ([]float64, overlayStats, error) {
	inside := make([]float64, len(ms))
	n := len(ms)
	if idx != nil {
		n = len(idx)
	}
	nw := workers(n)
	rls := make([]relater, nw)
	sts := make([]overlayStats, nw)
	err := forEach(ctx, n, func(w, k int) error {
		i := k
		if idx != nil {
			i = int(idx[k])
		}
		a, err := cs.insideM2(&rls[w], ms[i].f.Geometry, ms[i].areaM2, &sts[w])
		if err != nil {
			return fmt.Errorf("analysis: overlay of parcel %d: %w", ms[i].f.ID, err)
		}
		inside[i] = a
		return nil
	})
	var st overlayStats
	for _, s := range sts {
		st.noCandidate += s.noCandidate
		st.fastInside += s.fastInside
		st.fastOutside += s.fastOutside
		st.pieces += s.pieces
		st.overlay += s.overlay
	}
	return inside, st, err
}

func runParcels(ctx context.Context, control *spatial.Snapshot, spec *Spec, ms []member) (*Result, error) {
	var idx []int32
	for i := range ms {
		if spec.areaOK(spatial.MuFromM2(ms[i].areaM2)) {
			idx = append(idx, int32(i))
		}
	}
	var inside []float64
	if control != nil {
		var err error
		if inside, _, err = memberInside(ctx, newControlSet(control), ms, idx); err != nil {
			return nil, err
		}
	}
	res := &Result{Kind: "parcels"}
	for _, i := range idx {
		m := &ms[i]
		pr := ParcelResult{ID: m.f.ID, Geometry: m.f.Geometry, Attrs: m.f.Attrs, AreaM2: m.areaM2, AreaMu: spatial.MuFromM2(m.areaM2)}
		if inside != nil {
			pr.Overlay = overlayOf(inside[i], m.areaM2, spec.sliver())
			if !spec.positionOK(pr.Overlay.Position) {
				continue
			}
		}
		res.Parcels = append(res.Parcels, pr)
		res.Summary.AreaMu += pr.AreaMu
	}
	res.Summary.Count = len(res.Parcels)
	res.Summary.ParcelCount = len(res.Parcels)
	return res, nil
}

func runBlocks(ctx context.Context, parcels, control *spatial.Snapshot, spec *Spec, ms []member) (*Result, error) {
	blocks, err := buildBlocks(ctx, ms, spec.ToleranceM)
	if err != nil {
		return nil, err
	}
	var kept []*block
	var idx []int32
	for _, b := range blocks {
		if spec.areaOK(spatial.MuFromM2(b.areaM2)) {
			kept = append(kept, b)
			idx = append(idx, b.members...)
		}
	}
	var cs *controlSet
	var inside []float64
	if control != nil {
		cs = newControlSet(control)
		if inside, _, err = memberInside(ctx, cs, ms, idx); err != nil {
			return nil, err
		}
	}
	codeField, hasCode := fieldFor(&parcels.Layer, roleCode, spatial.RoleCandidates(roleCode)...)
	out := make([]BlockResult, len(kept))
	drop := make([]bool, len(kept))
	nw := workers(len(kept))
	rls := make([]relater, nw)
	sts := make([]overlayStats, nw)
	dss := make([]dissolver, nw)
	err = forEach(ctx, len(kept), func(w, k int) error {
		b := kept[k]
		geom, err := b.geometry(ms, &dss[w])
		if err != nil {
			return fmt.Errorf("analysis: %w", err)
		}
		br := BlockResult{
			ID:          b.id,
			Geometry:    geom,
			AreaM2:      b.areaM2,
			AreaMu:      spatial.MuFromM2(b.areaM2),
			ParcelCount: len(b.members),
			ParcelIDs:   make([]spatial.FeatureID, len(b.members)),
			ParcelCodes: make([]string, len(b.members)),
		}
		for i, m := range b.members {
			br.ParcelIDs[i] = ms[m].f.ID
			if hasCode {
				br.ParcelCodes[i] = ms[m].f.Attrs.String(codeField)
			}
		}
		if cs != nil {
			in, err := b.insideM2(cs, &rls[w], ms, inside, &sts[w])
			if err != nil {
				return fmt.Errorf("analysis: %w", err)
			}
			br.Overlay = overlayOf(in, b.areaM2, spec.sliver())
			if spec.Overlay && !spec.positionOK(br.Overlay.Position) {
				drop[k] = true
			}
		}
		out[k] = br
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Kind: "blocks"}
	for k := range out {
		if drop[k] {
			continue
		}
		res.Blocks = append(res.Blocks, out[k])
		res.Summary.AreaMu += out[k].AreaMu
		res.Summary.ParcelCount += out[k].ParcelCount
	}
	slices.SortFunc(res.Blocks, func(a, b BlockResult) int {
		if a.AreaM2 != b.AreaM2 {
			return cmpFloat(b.AreaM2, a.AreaM2)
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	res.Summary.Count = len(res.Blocks)
	return res, nil
}
