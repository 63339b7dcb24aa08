package app

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/store"
)

// Whole-feature writes, as OGC API – Features Part 4 clients (QGIS) make them. A feature from a
// client is read through the one input pipeline — a one-feature [spatial.Import] — so that it
// is validated, converted and measured exactly like an import; attribute changes then follow
// the same rules as [App.EditFeature] (types, limits, the ledger's workflow) and every change is
// kept in the history.

// oneFeature returns the single feature of a client's import.
func oneFeature(imp *spatial.Import) (*spatial.Feature, error) {
	if imp == nil || len(imp.Features) != 1 {
		if imp != nil && len(imp.Problems) > 0 {
			return nil, &spatial.InvalidFeaturesError{Problems: imp.Problems, Total: len(imp.Problems)}
		}
		return nil, invalid("body", "send exactly one feature")
	}
	return imp.Features[0], nil
}

// splitComputed removes the computed attributes from attrs: a value equal to the feature's
// current one (a client sending back what it read) is ignored, another value is refused.
func splitComputed(attrs spatial.Attrs, cur func(key string) (any, bool)) error {
	for k, v := range attrs {
		a, ok := spatial.ComputedAttribute(k)
		if !ok {
			continue
		}
		have, present := cur(k)
		if v != nil && (!present || !sameValue(a, have, v)) {
			return invalid(k, "is computed by mudi and cannot be written (it is %v)", have)
		}
		delete(attrs, k)
	}
	return nil
}

// sameValue compares a computed value with one a client sent back (JSON numbers may come back
// as integers, and may have been rounded by the client to 1e-9 relative).
func sameValue(a spatial.Attribute, have, got any) bool {
	toF := func(v any) (float64, bool) {
		switch n := v.(type) {
		case float64:
			return n, true
		case int64:
			return float64(n), true
		}
		return 0, false
	}
	if x, ok := toF(have); ok {
		y, ok := toF(got)
		return ok && math.Abs(x-y) <= 1e-9*max(1, math.Abs(x))
	}
	return have == got
}

// computedOf returns the lookup of f's computed attributes as a client reads them now: derived
// attributes and today's campaign classes.
func (a *App) computedOf(layer string, f *spatial.Feature) func(string) (any, bool) {
	view := a.WithClasses(a.index.Layer(layer), campaign.Date{})
	return func(key string) (any, bool) { return view.Value(f, key) }
}

// nextID returns an id above every id layer sn has used, archived parcels included.
func (a *App) nextID(sn *spatial.Snapshot) (uint64, error) {
	m := sn.Layer.MaxID
	for _, f := range sn.Features() {
		m = max(m, uint64(f.ID))
	}
	archive, err := a.db.Archive(sn.Layer.ID)
	if err != nil {
		return 0, err
	}
	for _, ar := range archive {
		m = max(m, uint64(ar.Feature.ID))
	}
	return m + 1, nil
}

// CreateFeature adds a feature to a layer. On a parcels layer with a code field the code is
// required and must be new (a code archived by an earlier replace comes back with its id,
// history and evidence); the ledger starts in its first state.
func (a *App) CreateFeature(ctx context.Context, layer string, imp *spatial.Import, actor Actor) (*spatial.Feature, error) {
	f, err := oneFeature(imp)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	sn, err := a.Layer(layer)
	if err != nil {
		return nil, err
	}
	if sn.Layer.Kind == spatial.KindDerived {
		return nil, readOnly(layer)
	}
	attrs := f.Attrs.Map()
	if err := splitComputed(attrs, func(string) (any, bool) { return nil, false }); err != nil {
		return nil, err
	}
	l := sn.Layer
	var unarchive []string
	id, err := a.nextID(sn)
	if err != nil {
		return nil, err
	}
	if field, ok := codeField(&l); ok {
		code := strings.TrimSpace(attrs.String(field))
		if code == "" {
			return nil, invalid(field, "a new parcel needs its code (%s)", field)
		}
		if _, taken := a.codes.lookup(sn, code); taken {
			return nil, conflict("code-exists", field, "layer %s already has a parcel with code %q", layer, code)
		}
		archive, err := a.db.Archive(layer)
		if err != nil {
			return nil, err
		}
		if ar, ok := archive[code]; ok {
			id = uint64(ar.Feature.ID)
			unarchive = []string{code}
		}
	}
	f.ID = spatial.FeatureID(id)
	e := Edit{Set: map[string]any(attrs), Actor: actor}
	if err := a.checkNewAttrs(&l, &spatial.Feature{}, &e); err != nil {
		return nil, err
	}
	f.Attrs = spatial.Attrs(e.Set).Record()
	l.MaxID = max(l.MaxID, id)
	fields, err := mergeFields(l.Fields, spatial.Attrs(e.Set))
	if err != nil {
		return nil, err
	}
	l.Fields = fields
	now := a.cfg.Now().UTC()
	l.Version++
	l.Updated = now
	hist := []spatial.Change{{Time: now, Key: "feature", After: "created", Actor: actor.Name, Version: l.Version}}
	c, err := a.featureChange(ctx, sn, l, []*spatial.Feature{f}, nil)
	if err != nil {
		return nil, err
	}
	c.history = map[spatial.FeatureID][]spatial.Change{f.ID: hist}
	err = a.commitAll(ctx, []change{c}, func(tx *store.Tx) error { return tx.UnarchiveParcels(layer, unarchive) })
	if err != nil {
		return nil, err
	}
	return c.next.Feature(f.ID), nil
}

// ReplaceFeature replaces a feature's geometry and attributes with those of imp (a PUT of the
// whole feature). Attributes the client leaves out are removed; the difference is applied as an
// edit with reason, so the ledger's rules hold. ifMatch, when not nil, is called with the
// current feature and may refuse the write (a stale ETag).
func (a *App) ReplaceFeature(ctx context.Context, layer string, id spatial.FeatureID, imp *spatial.Import, actor Actor, reason string, ifMatch func(*spatial.Snapshot, *spatial.Feature) error) (*spatial.Feature, error) {
	nf, err := oneFeature(imp)
	if err != nil {
		return nil, err
	}
	return a.updateFeature(ctx, layer, id, actor, ifMatch, func(f *spatial.Feature) (orb.Geometry, Edit, error) {
		attrs := nf.Attrs.Map()
		if err := splitComputed(attrs, a.computedOf(layer, f)); err != nil {
			return nil, Edit{}, err
		}
		e := Edit{Set: map[string]any{}, Actor: actor, Reason: reason}
		for k, v := range attrs {
			if f.Attrs.Value(k) != v {
				e.Set[k] = v
			}
		}
		for _, k := range f.Attrs.Names() {
			if _, keep := attrs[k]; !keep && !spatial.IsLedgerField(k) {
				e.Remove = append(e.Remove, k)
			}
		}
		return nf.Geometry, e, nil
	})
}

// PatchFeature changes some attributes and, if geom is not nil (already validated and in
// lon/lat), the geometry of a feature (a JSON merge patch).
func (a *App) PatchFeature(ctx context.Context, layer string, id spatial.FeatureID, geom orb.Geometry, e Edit, ifMatch func(*spatial.Snapshot, *spatial.Feature) error) (*spatial.Feature, error) {
	return a.updateFeature(ctx, layer, id, e.Actor, ifMatch, func(f *spatial.Feature) (orb.Geometry, Edit, error) {
		set := spatial.Attrs(e.Set)
		if err := splitComputed(set, a.computedOf(layer, f)); err != nil {
			return nil, Edit{}, err
		}
		var rm []string
		for _, k := range e.Remove {
			if !spatial.IsDerivedKey(k) {
				rm = append(rm, k)
			}
		}
		e.Set, e.Remove = map[string]any(set), rm
		return geom, e, nil
	})
}

// updateFeature applies what modify returns — a new geometry (nil: keep) and an edit — to
// feature id: the attribute edit as [App.EditFeature] would, the geometry with every computed
// attribute of the layer brought up to date (a new shape may join or split blocks).
func (a *App) updateFeature(ctx context.Context, layer string, id spatial.FeatureID, actor Actor, ifMatch func(*spatial.Snapshot, *spatial.Feature) error,
	modify func(*spatial.Feature) (orb.Geometry, Edit, error)) (*spatial.Feature, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sn, f, err := a.Feature(layer, id)
	if err != nil {
		return nil, err
	}
	if sn.Layer.Kind == spatial.KindDerived {
		return nil, readOnly(layer)
	}
	if ifMatch != nil {
		if err := ifMatch(sn, f); err != nil {
			return nil, err
		}
	}
	geom, e, err := modify(f)
	if err != nil {
		return nil, err
	}
	if geom != nil && orb.Equal(geom, f.Geometry) {
		geom = nil
	}
	if len(e.Set)+len(e.Remove) == 0 && geom == nil {
		return f, nil
	}
	l := sn.Layer
	if field, ok := codeField(&l); ok {
		if v, set := e.Set[field]; set {
			code := strings.TrimSpace(fmt.Sprint(v))
			if other, taken := a.codes.lookup(sn, code); taken && other != id {
				return nil, conflict("code-exists", field, "layer %s already has a parcel with code %q", layer, code)
			}
		}
		if slices.Contains(e.Remove, field) {
			return nil, invalid(field, "a parcel's code cannot be removed")
		}
	}
	next, changes, fields, err := a.applyEdit(&l, f, &e)
	if err != nil {
		return nil, err
	}
	now := a.cfg.Now().UTC()
	if geom != nil {
		next.Geometry = geom
		m2 := spatial.AreaM2(geom)
		next.Derived.AreaM2, next.Derived.AreaMu = m2, spatial.MuFromM2(m2)
		changes = append(changes, spatial.Change{Time: now, Key: "geometry", Before: f.Derived.AreaMu, After: next.Derived.AreaMu, Actor: actor.Name, Reason: e.Reason, Version: l.Version + 1})
	}
	if len(changes) == 0 {
		return f, nil
	}
	l.Fields = fields
	l.Version++
	l.Updated = now
	c, err := a.featureChange(ctx, sn, l, []*spatial.Feature{next}, nil)
	if err != nil {
		return nil, err
	}
	c.history = map[spatial.FeatureID][]spatial.Change{next.ID: changes}
	if err := a.commitAll(ctx, []change{c}, nil); err != nil {
		return nil, err
	}
	return c.next.Feature(id), nil
}

// DeleteFeature removes a feature. A parcel with a code is archived (its ledger, history and
// evidence stay readable, and its code may come back).
func (a *App) DeleteFeature(ctx context.Context, layer string, id spatial.FeatureID, actor Actor, ifMatch func(*spatial.Snapshot, *spatial.Feature) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	sn, f, err := a.Feature(layer, id)
	if err != nil {
		return err
	}
	if sn.Layer.Kind == spatial.KindDerived {
		return readOnly(layer)
	}
	if ifMatch != nil {
		if err := ifMatch(sn, f); err != nil {
			return err
		}
	}
	l := sn.Layer
	now := a.cfg.Now().UTC()
	l.Version++
	l.Updated = now
	l.MaxID = max(l.MaxID, uint64(id))
	c, err := a.featureChange(ctx, sn, l, nil, []spatial.FeatureID{id})
	if err != nil {
		return err
	}
	var archive []store.Archived
	if code := parcelCode(&sn.Layer, f); code != "" {
		archive = []store.Archived{{Code: code, Feature: f, Version: l.Version, Time: now}}
	}
	return a.commitAll(ctx, []change{c}, func(tx *store.Tx) error { return tx.ArchiveParcels(layer, archive) })
}

// featureChange builds the change that puts and removes features of published layer sn (with
// new metadata l). For a parcels layer whose geometry changes, the computed attributes of the
// whole layer are brought up to date, and every feature whose attributes moved is written.
func (a *App) featureChange(ctx context.Context, sn *spatial.Snapshot, l spatial.Layer, put []*spatial.Feature, removed []spatial.FeatureID) (change, error) {
	tmp := sn.WithEdits(l, put, removed)
	c := change{op: opEdit, prev: sn, next: tmp, features: put, removed: removed}
	geometryMoved := len(removed) > 0
	for _, f := range put {
		if old := sn.Feature(f.ID); old == nil || !orb.Equal(old.Geometry, f.Geometry) {
			geometryMoved = true
		}
	}
	if l.Kind != spatial.KindParcels || !geometryMoved {
		return c, nil
	}
	rc, err := a.rederive(ctx, tmp, tmp.Layer, a.index.Layer(l.ControlLayer))
	if err != nil {
		return change{}, err
	}
	byID := map[spatial.FeatureID]*spatial.Feature{}
	for _, f := range put {
		byID[f.ID] = f
	}
	for _, f := range rc.features {
		byID[f.ID] = f
	}
	all := make([]*spatial.Feature, 0, len(byID))
	for _, f := range byID {
		all = append(all, f)
	}
	c.features = all
	c.next = sn.WithEdits(rc.next.Layer, all, removed)
	return c, nil
}

// applyEdit applies e to a copy of f under the edit rules (computed attributes refused, values
// typed, the ledger's workflow on parcels, limits) and returns the copy, the history entries and
// the layer's fields with any the edit added.
func (a *App) applyEdit(l *spatial.Layer, f *spatial.Feature, e *Edit) (*spatial.Feature, []spatial.Change, []spatial.Field, error) {
	if e.Set == nil {
		e.Set = map[string]any{}
	}
	if err := spatial.CheckAttrs(e.Set); err != nil {
		return nil, nil, nil, err
	}
	if l.Kind == spatial.KindParcels {
		if err := a.ledgerEdit(l, f, e); err != nil {
			return nil, nil, nil, err
		}
	}
	next := f.Clone()
	attrs := f.Attrs.Map()
	now := a.cfg.Now().UTC()
	var changes []spatial.Change
	fields := l.Fields
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range e.Set {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range append(slices.Clone(keys), e.Remove...) {
		if spatial.IsDerivedKey(k) {
			return nil, nil, nil, invalid(k, "is computed by mudi and cannot be edited")
		}
		if err := spatial.CheckName(k); err != nil {
			return nil, nil, nil, err
		}
	}
	for _, k := range e.Remove {
		if before, had := f.Attrs.Get(k); had {
			delete(attrs, k)
			changes = append(changes, spatial.Change{Time: now, Key: k, Before: before, Removed: true, Actor: e.Actor.Name, Reason: e.Reason, Version: l.Version + 1})
		}
	}
	for _, k := range keys {
		val, err := checkType(k, e.Set[k], fields)
		if err != nil {
			return nil, nil, nil, err
		}
		before, had := f.Attrs.Get(k)
		if had && before == val {
			continue
		}
		if !hasField(fields, k) {
			fields = append(slices.Clone(fields), spatial.Field{Name: k, Type: fieldTypeOf(val), Alias: spatial.FieldAliases[k]})
		}
		attrs[k] = val
		changes = append(changes, spatial.Change{Time: now, Key: k, Before: before, After: val, Actor: e.Actor.Name, Reason: e.Reason, Version: l.Version + 1})
	}
	if len(changes) > 0 {
		if err := spatial.CheckEdit(fields, attrs); err != nil {
			return nil, nil, nil, err
		}
		next.Attrs = attrs.Record()
	}
	return next, changes, fields, nil
}

// checkNewAttrs checks the attributes of a new feature as an edit from nothing.
func (a *App) checkNewAttrs(l *spatial.Layer, empty *spatial.Feature, e *Edit) error {
	_, _, _, err := a.applyEdit(l, empty, e)
	return err
}

// mergeFields returns fields with a field for every attribute of attrs it lacks.
func mergeFields(fields []spatial.Field, attrs spatial.Attrs) ([]spatial.Field, error) {
	out := fields
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range attrs {
			if !yield(k) {
				return
			}
		}
	}) {
		if !hasField(out, k) {
			out = append(slices.Clone(out), spatial.Field{Name: k, Type: fieldTypeOf(attrs[k]), Alias: spatial.FieldAliases[k]})
		}
	}
	return out, spatial.CheckFields(out)
}
