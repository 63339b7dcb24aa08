package app

import (
	"context"
	"reflect"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/store"
)

// op is how a change is written to the store.
type op int

const (
	opCreate  op = iota + 1 // a new layer with all its features
	opReplace               // a layer's features and metadata replaced
	opUpdate                // some features (and the metadata) of a layer rewritten
	opMeta                  // the metadata of a layer only
	opDelete                // a layer removed
	opEdit                  // features of a layer put (added or rewritten) and removed
)

// change is what a write does to one layer: the snapshot before (nil for a new layer) and
// after (nil for a deletion), and how it is stored. It is the one event from which the store,
// the index and the tile cache are brought up to date.
type change struct {
	op   op
	prev *spatial.Snapshot
	next *spatial.Snapshot
	// For opUpdate and opEdit: the features written (and for opEdit removed) and the history
	// entries appended.
	features []*spatial.Feature
	removed  []spatial.FeatureID
	history  map[spatial.FeatureID][]spatial.Change
	progress func(done int) // for opCreate and opReplace
	// For opReplace of a parcels layer: parcels removed (archived) and back again, and the
	// change log entry of the version (JSON).
	archive   []store.Archived
	unarchive []string
	changeLog []byte
}

func (c change) layerID() string {
	if c.next != nil {
		return c.next.Layer.ID
	}
	return c.prev.Layer.ID
}

// commitAll commits changes together with the re-derivation of the parcels layers that use a
// control layer they change (see dependants).
func (a *App) commitAll(ctx context.Context, changes []change, extra func(tx *store.Tx) error) error {
	deps, err := a.dependants(ctx, changes)
	if err != nil {
		return err
	}
	return a.commit(ctx, append(changes, deps...), extra)
}

// commit writes changes (and whatever else extra writes) in one store transaction, then
// publishes them: the index receives every new snapshot at once and the tile cache learns which
// tiles changed. The caller holds a.mu. Nothing is published when the transaction fails.
//
// ctx bounds the writing of features; once committed, publication no longer depends on it.
func (a *App) commit(ctx context.Context, changes []change, extra func(tx *store.Tx) error) error {
	// Large layers are written ahead, a batch per transaction, and moved into place by the
	// transaction below (store/staging.go): memory stays bounded by a batch.
	staged := make([]*store.Staged, len(changes))
	for i, c := range changes {
		if (c.op == opCreate || c.op == opReplace) && c.next.Len() > store.StageAbove {
			s, err := a.db.Stage(ctx, c.next.Layer.ID, c.next.Features(), c.progress)
			if err != nil {
				return err
			}
			staged[i] = s
		}
	}
	err := a.db.Update(func(tx *store.Tx) error {
		for i, c := range changes {
			var err error
			switch c.op {
			case opCreate:
				err = tx.CreateLayer(ctx, c.next.Layer, c.next.Features(), c.progress, staged[i])
			case opReplace:
				if err = tx.UnarchiveParcels(c.next.Layer.ID, c.unarchive); err != nil {
					return err
				}
				if err = tx.ArchiveParcels(c.next.Layer.ID, c.archive); err != nil {
					return err
				}
				if err = tx.ReplaceLayer(ctx, c.next.Layer, c.next.Features(), c.progress, staged[i]); err != nil {
					return err
				}
				if err = tx.AppendHistory(c.next.Layer.ID, c.history); err != nil {
					return err
				}
				if c.changeLog != nil {
					err = tx.PutLayerChange(c.next.Layer.ID, c.next.Layer.Version, c.changeLog)
				}
			case opUpdate:
				err = tx.UpdateFeatures(c.next.Layer, c.features, c.history)
			case opEdit:
				err = tx.EditFeatures(c.next.Layer, c.features, c.removed, c.history)
			case opMeta:
				err = tx.PutLayerMeta(c.next.Layer)
			case opDelete:
				err = tx.DeleteLayer(c.prev.Layer.ID)
			}
			if err != nil {
				return err
			}
		}
		if extra != nil {
			return extra(tx)
		}
		return nil
	})
	if err != nil {
		for i, s := range staged {
			if s != nil {
				a.db.Unstage(changes[i].next.Layer.ID)
			}
		}
		return err
	}
	a.index.Update(func(m map[string]*spatial.Snapshot) {
		for _, c := range changes {
			if c.next == nil {
				delete(m, c.prev.Layer.ID)
			} else {
				m[c.next.Layer.ID] = c.next
			}
		}
	})
	for _, c := range changes {
		a.invalidate(c)
	}
	return nil
}

// invalidate tells the tile cache what change c did: the tiles of a deleted layer are dropped;
// a new layer, or a change of what tiles carry (roles, fields), changes every tile; otherwise
// exactly the tiles under the old and new bounds of the features that differ.
func (a *App) invalidate(c change) {
	switch {
	case c.next == nil:
		a.tiles.DropLayer(c.prev.Layer.ID)
		return
	case c.prev == nil:
		a.tiles.InvalidateLayer(c.next.Layer.ID, c.next.Layer.Version)
		return
	}
	old, next := c.prev, c.next
	if !reflect.DeepEqual(old.Layer.Roles, next.Layer.Roles) || !reflect.DeepEqual(old.Layer.Fields, next.Layer.Fields) {
		a.tiles.InvalidateLayer(next.Layer.ID, next.Layer.Version)
		return
	}
	var bounds []orb.Bound
	ok := true
	if c.op == opUpdate || c.op == opEdit {
		for _, f := range c.features {
			if pf := old.Feature(f.ID); pf != nil {
				bounds = append(bounds, pf.Bound())
			}
			bounds = append(bounds, f.Bound())
		}
		for _, id := range c.removed {
			if pf := old.Feature(id); pf != nil {
				bounds = append(bounds, pf.Bound())
			}
		}
	} else if c.op != opMeta {
		bounds, ok = changedBounds(old, next, 4096)
	}
	if !ok {
		a.tiles.InvalidateLayer(next.Layer.ID, next.Layer.Version)
		return
	}
	a.tiles.Invalidate(next.Layer.ID, next.Layer.Version, bounds...)
}

// changedBounds returns the old and new bounds of the features that differ between two
// snapshots of a layer (added, removed, or with another geometry or attributes), or false when
// more than limit bounds would be needed.
func changedBounds(old, next *spatial.Snapshot, limit int) ([]orb.Bound, bool) {
	var out []orb.Bound
	of, nf := old.Features(), next.Features()
	i, j := 0, 0
	for i < len(of) || j < len(nf) {
		switch {
		case j == len(nf) || (i < len(of) && of[i].ID < nf[j].ID):
			out = append(out, of[i].Bound())
			i++
		case i == len(of) || nf[j].ID < of[i].ID:
			out = append(out, nf[j].Bound())
			j++
		default:
			if !sameFeature(of[i], nf[j]) {
				out = append(out, of[i].Bound(), nf[j].Bound())
			}
			i++
			j++
		}
		if len(out) > limit {
			return nil, false
		}
	}
	return out, true
}

func sameFeature(a, b *spatial.Feature) bool {
	return a == b || (a.Derived == b.Derived && orb.Equal(a.Geometry, b.Geometry) && a.Attrs.Equal(b.Attrs))
}
