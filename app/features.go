package app

import (
	"context"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
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
	return a.updateFeature(ctx, layer, id, e.Actor, nil, func(*spatial.Feature) (orb.Geometry, Edit, error) { return nil, e, nil })
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
