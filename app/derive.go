package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
)

// derive computes the computed attributes of a parcels layer's new features in place, against
// control (the control layer as it will be published, nil for none), and records the control
// layer's version in l. The features must not have been published yet. Layers of other kinds
// keep only their areas.
func derive(ctx context.Context, l *spatial.Layer, fs []*spatial.Feature, control *spatial.Snapshot) error {
	l.ControlVersion = 0
	if l.Kind != spatial.KindParcels || len(fs) == 0 {
		return nil
	}
	if control != nil {
		l.ControlVersion = control.Layer.Version
	}
	tmp := spatial.NewSnapshot(*l, slices.Clone(fs))
	derived, err := analysis.Derive(ctx, tmp, control, analysis.DeriveOptions{KeepArea: true})
	if err != nil {
		return fmt.Errorf("derive attributes of layer %s: %w", l.ID, err)
	}
	for _, f := range fs {
		if d, ok := derived[f.ID]; ok {
			f.Derived = d
		}
	}
	return nil
}

// rederive returns the change that brings published parcels layer sn (with metadata l, which
// may name another control layer than sn does) up to date with control: the features whose
// computed attributes differ are rewritten, and the layer's version moves on.
func (a *App) rederive(ctx context.Context, sn *spatial.Snapshot, l spatial.Layer, control *spatial.Snapshot) (change, error) {
	next := make([]*spatial.Feature, sn.Len())
	for i, f := range sn.Features() {
		c := *f // Attrs and Geometry are shared: derive only sets Derived
		next[i] = &c
	}
	if err := derive(ctx, &l, next, control); err != nil {
		return change{}, err
	}
	var changed []*spatial.Feature
	for i, f := range next {
		if f.Derived != sn.Features()[i].Derived {
			changed = append(changed, f)
		}
	}
	if l.Version == sn.Layer.Version {
		l.Version++
		l.Updated = a.cfg.Now().UTC()
	}
	return change{op: opUpdate, prev: sn, next: sn.WithFeatures(l, changed), features: changed}, nil
}

// dependants returns the changes that keep the parcels layers using a control layer changed by
// cs current: each is re-derived against the control layer's new snapshot. A parcels layer
// changed by cs itself was derived already.
func (a *App) dependants(ctx context.Context, cs []change) ([]change, error) {
	var out []change
	for _, c := range cs {
		if c.next == nil || c.next.Layer.Kind != spatial.KindControl {
			continue
		}
		for _, user := range a.controlUsers(c.next.Layer.ID) {
			if slices.ContainsFunc(cs, func(o change) bool { return o.layerID() == user }) {
				continue
			}
			sn := a.index.Layer(user)
			ch, err := a.rederive(ctx, sn, sn.Layer, c.next)
			if err != nil {
				return nil, err
			}
			out = append(out, ch)
		}
	}
	return out, nil
}

// controlUsers lists, sorted, the parcels layers whose control layer is id.
func (a *App) controlUsers(id string) []string {
	var out []string
	for _, sn := range a.index.Layers() {
		if sn.Layer.ControlLayer == id {
			out = append(out, sn.Layer.ID)
		}
	}
	return out
}

// reconcile brings computed attributes up to date after a start: a parcels layer whose
// control layer has another version than the one its attributes were computed against is
// re-derived (this cannot happen with one-transaction writes, but stores written before them
// may hold such layers).
func (a *App) reconcile(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var cs []change
	for _, sn := range a.index.Layers() {
		l := sn.Layer
		if l.Kind != spatial.KindParcels {
			continue
		}
		var control *spatial.Snapshot
		var want uint64
		if l.ControlLayer != "" {
			if control = a.index.Layer(l.ControlLayer); control != nil {
				want = control.Layer.Version
			}
		}
		if l.ControlVersion == want {
			continue
		}
		ch, err := a.rederive(ctx, sn, l, control)
		if err != nil {
			return err
		}
		cs = append(cs, ch)
	}
	if len(cs) == 0 {
		return nil
	}
	if err := a.commit(ctx, cs, nil); err != nil {
		return err
	}
	for _, c := range cs {
		a.log.Info("computed attributes brought up to date", "layer", c.next.Layer.ID, "changed", len(c.features))
	}
	return nil
}
