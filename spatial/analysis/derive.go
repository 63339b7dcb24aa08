package analysis

import (
	"context"
	"math"

	"github.com/mudi-gis/mudi/spatial"
)

// DeriveOptions tunes [Derive]. Its zero value uses the defaults.
type DeriveOptions struct {
	// KeepArea keeps Derived.AreaM2/AreaMu where they are already set instead of recomputing.
	KeepArea bool
	// SliverRatio for the control position (0: [DefaultSliverRatio]); in [0, 0.5).
	SliverRatio float64
	// ToleranceM links parcels into blocks (0, the default: they touch or overlap).
	ToleranceM float64
	// ScatteredMu is the block area under which a parcel is scattered (0: [DefaultScatteredMu]).
	ScatteredMu float64
}

// Derive computes the derived attributes of every parcel of a layer (docs/domain.md §4): AreaM2 and
// AreaMu; against control (when not nil) ControlPosition, OutsideRatio and OutsideMu; and the
// contiguous block over all parcels of the layer at opts.ToleranceM: BlockID (the smallest
// member FeatureID), BlockMu (the area of the union of the block) and Scattered (BlockMu <
// ScatteredMu). Features without polygonal geometry get a zero Derived. It returns a
// *[ParamError] for invalid options and ctx.Err() when ctx is done first.
func Derive(ctx context.Context, parcels, control *spatial.Snapshot, opts DeriveOptions) (map[spatial.FeatureID]spatial.Derived, error) {
	sliver := opts.SliverRatio
	if sliver == 0 {
		sliver = DefaultSliverRatio
	}
	if math.IsNaN(sliver) || sliver < 0 || sliver >= 0.5 {
		return nil, &ParamError{"sliver_ratio", "must be in [0, 0.5)"}
	}
	if math.IsNaN(opts.ToleranceM) || opts.ToleranceM < 0 || opts.ToleranceM > maxToleranceM {
		return nil, &ParamError{"tolerance_m", "must be in [0, 5000]"}
	}
	scattered := opts.ScatteredMu
	if scattered == 0 {
		scattered = DefaultScatteredMu
	}
	if math.IsNaN(scattered) || scattered < 0 {
		return nil, &ParamError{"scattered_mu", "must be ≥ 0"}
	}
	if parcels == nil {
		return nil, &ParamError{"layer", "no parcels layer"}
	}
	ms, err := selectMembers(ctx, parcels, nil, !opts.KeepArea)
	if err != nil {
		return nil, err
	}
	out := make(map[spatial.FeatureID]spatial.Derived, parcels.Len())
	for _, f := range parcels.Features() {
		out[f.ID] = spatial.Derived{}
	}
	var inside []float64
	if control != nil {
		if inside, _, err = memberInside(ctx, newControlSet(control), ms, nil); err != nil {
			return nil, err
		}
	}
	blocks, err := buildBlocks(ctx, ms, opts.ToleranceM)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		m := &ms[i]
		d := spatial.Derived{AreaM2: m.areaM2, AreaMu: spatial.MuFromM2(m.areaM2)}
		if inside != nil {
			o := overlayOf(inside[i], m.areaM2, sliver)
			d.ControlPosition, d.OutsideRatio, d.OutsideMu = o.Position, o.OutsideRatio, o.OutsideMu
		}
		out[m.f.ID] = d
	}
	for _, b := range blocks {
		mu := spatial.MuFromM2(b.areaM2)
		for _, m := range b.members {
			id := ms[m].f.ID
			d := out[id]
			d.BlockID, d.BlockMu, d.Scattered = b.id, mu, mu < scattered
			out[id] = d
		}
	}
	return out, nil
}
