package api

import (
	"context"
	"fmt"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
)

// derive computes the derived attributes of a parcels layer's features in place, against its
// control layer as currently published, and records that control layer's version in l. The
// features must not have been published yet. Layers of other kinds keep only their areas.
func (s *Server) derive(ctx context.Context, l *spatial.Layer, fs []*spatial.Feature) error {
	l.ControlVersion = 0
	if l.Kind != spatial.KindParcels || len(fs) == 0 {
		return nil
	}
	var control *spatial.Snapshot
	if l.ControlLayer != "" {
		if control = s.index.Layer(l.ControlLayer); control != nil {
			l.ControlVersion = control.Layer.Version
		}
	}
	tmp := spatial.NewSnapshot(*l, append([]*spatial.Feature(nil), fs...))
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

// rederive recomputes the derived attributes of a published parcels layer (after its control
// layer changed) and writes the features whose attributes changed. The caller holds writeMu.
func (s *Server) rederive(ctx context.Context, sn *spatial.Snapshot) error {
	l := sn.Layer
	next := make([]*spatial.Feature, len(sn.Features()))
	for i, f := range sn.Features() {
		c := *f // Attrs and Geometry are shared: derive only sets Derived
		next[i] = &c
	}
	if err := s.derive(ctx, &l, next); err != nil {
		return err
	}
	var changed []*spatial.Feature
	for i, f := range next {
		if f.Derived != sn.Features()[i].Derived {
			changed = append(changed, f)
		}
	}
	l.Version++
	l.Updated = s.cfg.Now().UTC()
	if err := s.store.UpdateFeatures(l, changed, nil); err != nil {
		return err
	}
	published := sn.WithFeatures(l, changed)
	s.index.Put(published)
	s.invalidateReplaced(sn, published)
	s.log.Info("derived attributes updated", "layer", l.ID, "control", l.ControlLayer, "changed", len(changed))
	return nil
}

// rederiveUsers recomputes the parcels layers whose control layer is id. The caller holds
// writeMu.
func (s *Server) rederiveUsers(ctx context.Context, id string) error {
	for _, user := range s.controlUsers(id) {
		if sn := s.index.Layer(user); sn != nil {
			if err := s.rederive(ctx, sn); err != nil {
				return err
			}
		}
	}
	return nil
}

// Reconcile brings derived attributes up to date after a start: a parcels layer whose control
// layer has another version than the one its attributes were computed against (for example
// after a crash between a control layer's replacement and the update of its users) is
// recomputed. mudi serve calls it once the index is loaded.
func (s *Server) Reconcile(ctx context.Context) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for _, sn := range s.index.Layers() {
		l := sn.Layer
		if l.Kind != spatial.KindParcels {
			continue
		}
		var want uint64
		if c := s.index.Layer(l.ControlLayer); l.ControlLayer != "" && c != nil {
			want = c.Layer.Version
		}
		if l.ControlVersion != want {
			if err := s.rederive(ctx, sn); err != nil {
				return err
			}
		}
	}
	return nil
}
