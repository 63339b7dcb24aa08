package app

import (
	"context"
	"slices"
	"unicode/utf8"

	"github.com/mudi-gis/mudi/spatial"
)

// Feature returns layer's snapshot and its feature id, or a NotFound error.
func (a *App) Feature(layer string, id spatial.FeatureID) (*spatial.Snapshot, *spatial.Feature, error) {
	sn, err := a.Layer(layer)
	if err != nil {
		return nil, nil, err
	}
	f := sn.Feature(id)
	if f == nil {
		return nil, nil, notFound("layer %q has no feature %d", layer, id)
	}
	return sn, f, nil
}

// Edit is a change to a feature's attributes: each entry of Set sets an attribute to a value
// (string, int64, float64 or bool, as decoded from JSON numbers by [AttrValue]), each name in
// Remove removes one. Actor is who makes it; Reason why (kept in the history; required when a
// parcel is returned after review or reopened).
type Edit struct {
	Set    map[string]any
	Remove []string
	Actor  Actor
	Reason string
}

// EditFeature applies an edit to a feature's attributes and appends every change to its
// history, in one transaction. Computed attributes cannot be edited; a value must fit its
// field's type; on a parcels layer the ledger's types and disposal workflow are enforced
// (docs/domain.md §7). It returns the feature as published.
func (a *App) EditFeature(ctx context.Context, layer string, id spatial.FeatureID, e Edit) (*spatial.Feature, error) {
	if len(e.Set)+len(e.Remove) == 0 {
		return nil, invalid("body", "the edit is empty: send attribute → new value")
	}
	if err := spatial.CheckAttrs(e.Set); err != nil { // before any work: a huge edit fails fast
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	sn, f, err := a.Feature(layer, id)
	if err != nil {
		return nil, err
	}
	if sn.Layer.Kind == spatial.KindDerived {
		return nil, readOnly(layer)
	}
	if e.Set == nil {
		e.Set = map[string]any{}
	}
	if sn.Layer.Kind == spatial.KindParcels {
		if err := a.ledgerEdit(&sn.Layer, f, &e); err != nil {
			return nil, err
		}
	}
	l := sn.Layer
	next := f.Clone()
	if next.Attrs == nil {
		next.Attrs = spatial.Attrs{}
	}
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
	for _, k := range append(keys, e.Remove...) {
		if spatial.IsDerivedKey(k) {
			return nil, invalid(k, "is computed by mudi and cannot be edited")
		}
		if k == "" || !utf8.ValidString(k) || len(k) > 254 {
			return nil, invalid("body", "%q is not a valid attribute name", k)
		}
	}
	for _, k := range e.Remove {
		if before, had := f.Attrs[k]; had {
			delete(next.Attrs, k)
			changes = append(changes, spatial.Change{Time: now, Key: k, Before: before, Removed: true, Actor: e.Actor.Name, Reason: e.Reason, Version: l.Version + 1})
		}
	}
	for _, k := range keys {
		val, err := checkType(k, e.Set[k], fields)
		if err != nil {
			return nil, err
		}
		before, had := f.Attrs[k]
		if had && before == val {
			continue
		}
		if !hasField(fields, k) {
			fields = append(slices.Clone(fields), spatial.Field{Name: k, Type: fieldTypeOf(val), Alias: spatial.FieldAliases[k]})
		}
		next.Attrs[k] = val
		changes = append(changes, spatial.Change{Time: now, Key: k, Before: before, After: val, Actor: e.Actor.Name, Reason: e.Reason, Version: l.Version + 1})
	}
	if len(changes) == 0 {
		return f, nil
	}
	if err := spatial.CheckEdit(fields, next.Attrs); err != nil {
		return nil, err
	}
	l.Fields = fields
	l.Version++
	l.Updated = now
	c := change{op: opUpdate, prev: sn, next: sn.WithFeatures(l, []*spatial.Feature{next}),
		features: []*spatial.Feature{next}, history: map[spatial.FeatureID][]spatial.Change{next.ID: changes}}
	if err := a.commit(ctx, []change{c}, nil); err != nil {
		return nil, err
	}
	a.log.Info("feature edited", "layer", l.ID, "feature", next.ID, "changes", len(changes), "actor", e.Actor.Name)
	return next, nil
}

// History returns the changes of feature id of layer, oldest first.
func (a *App) History(layer string, id spatial.FeatureID) ([]spatial.Change, error) {
	if _, _, err := a.Feature(layer, id); err != nil {
		return nil, err
	}
	return a.db.History(layer, id)
}

// AttrValue converts a value decoded from JSON (string, bool, float64) to an attribute value:
// whole numbers within ±2^53 become int64.
func AttrValue(key string, v any) (any, error) {
	switch v := v.(type) {
	case string, bool:
		return v, nil
	case float64:
		if v == float64(int64(v)) && v >= -9007199254740992 && v <= 9007199254740992 {
			return int64(v), nil
		}
		return v, nil
	case int64:
		return v, nil
	}
	return nil, invalid(key, "attribute values are strings, numbers, booleans or null, not %T", v)
}

// checkType checks val against the type of field key when the field exists, converting an
// integer for a real field.
func checkType(key string, v any, fields []spatial.Field) (any, error) {
	val, err := AttrValue(key, v)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if f.Name != key {
			continue
		}
		ok := false
		switch f.Type {
		case spatial.FieldString:
			_, ok = val.(string)
		case spatial.FieldDate:
			sv, isStr := val.(string)
			ok = isStr && isISODate(sv)
		case spatial.FieldInteger:
			_, ok = val.(int64)
		case spatial.FieldReal:
			switch n := val.(type) {
			case int64:
				val, ok = float64(n), true
			case float64:
				ok = true
			}
		case spatial.FieldBoolean:
			_, ok = val.(bool)
		}
		if !ok {
			return nil, invalid(key, "field %s is of type %s; %v does not fit", key, f.Type, v)
		}
	}
	return val, nil
}

func isISODate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, r := range s {
		if i != 4 && i != 7 && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func fieldTypeOf(v any) spatial.FieldType {
	switch v := v.(type) {
	case int64:
		return spatial.FieldInteger
	case float64:
		return spatial.FieldReal
	case bool:
		return spatial.FieldBoolean
	case string:
		if isISODate(v) {
			return spatial.FieldDate
		}
	}
	return spatial.FieldString
}
