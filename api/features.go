package api

import (
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v5"
	"github.com/paulmach/orb/geojson"

	"github.com/mudi-gis/mudi/spatial"
)

// feature returns the layer snapshot and the feature named by the path parameters, or a 404.
func (s *Server) feature(c *echo.Context) (*spatial.Snapshot, *spatial.Feature, error) {
	sn, err := s.snapshot(c)
	if err != nil {
		return nil, nil, err
	}
	raw := c.Param("fid")
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || id == 0 {
		return nil, nil, badParam("fid", "feature ids are positive integers, not %q", raw)
	}
	f := sn.Feature(spatial.FeatureID(id))
	if f == nil {
		return nil, nil, notFound("layer %q has no feature %d", sn.Layer.ID, id)
	}
	return sn, f, nil
}

// geoJSONFeature is the RFC 7946 form of a feature: source and derived attributes as properties.
func geoJSONFeature(f *spatial.Feature) *geojson.Feature {
	gf := geojson.NewFeature(f.Geometry)
	gf.ID = uint64(f.ID)
	gf.Properties = f.Properties()
	return gf
}

func (s *Server) getFeature(c *echo.Context) error {
	sn, f, err := s.feature(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", fmt.Sprintf(`"%s-%d-%d"`, sn.Layer.ID, sn.Layer.Version, f.ID))
	return sendJSON(c, http.StatusOK, "application/geo+json", geoJSONFeature(f))
}

// patchFeature applies a JSON merge patch (RFC 7396) to a feature's attributes: each member
// sets an attribute, null removes it. Every change is appended to the feature's history.
func (s *Server) patchFeature(c *echo.Context) error {
	var patch map[string]any
	if err := decodeJSONBody(c, &patch); err != nil {
		return err
	}
	if len(patch) == 0 {
		return badParam("body", "the patch is empty: send an object of attribute → new value")
	}
	if err := spatial.CheckAttrs(patch); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	sn, f, err := s.feature(c)
	if err != nil {
		return err
	}
	l := sn.Layer
	next := f.Clone()
	if next.Attrs == nil {
		next.Attrs = spatial.Attrs{}
	}
	now := s.cfg.Now().UTC()
	var changes []spatial.Change
	fields := l.Fields
	for _, k := range sortedKeys(patch) {
		v := patch[k]
		if spatial.IsDerivedKey(k) {
			return badParam(k, "is computed by mudi and cannot be edited")
		}
		if k == "" || !utf8.ValidString(k) || len(k) > 254 {
			return badParam("body", "%q is not a valid attribute name", k)
		}
		before, had := f.Attrs[k]
		if v == nil {
			if !had {
				continue
			}
			delete(next.Attrs, k)
			changes = append(changes, spatial.Change{Time: now, Key: k, Before: before, Removed: true})
			continue
		}
		val, err := attrValue(k, v, fields)
		if err != nil {
			return err
		}
		if had && before == val {
			continue
		}
		if !hasField(fields, k) {
			fields = append(append([]spatial.Field(nil), fields...), spatial.Field{Name: k, Type: fieldTypeOf(val), Alias: spatial.FieldAliases[k]})
		}
		next.Attrs[k] = val
		changes = append(changes, spatial.Change{Time: now, Key: k, Before: before, After: val})
	}
	if len(changes) == 0 {
		return sendJSON(c, http.StatusOK, "application/geo+json", geoJSONFeature(f))
	}
	if err := spatial.CheckEdit(fields, next.Attrs); err != nil {
		return err
	}
	l.Fields = fields
	l.Version++
	l.Updated = now
	if err := s.store.UpdateFeatures(l, []*spatial.Feature{next}, map[spatial.FeatureID][]spatial.Change{next.ID: changes}); err != nil {
		return err
	}
	s.index.Put(sn.WithFeatures(l, []*spatial.Feature{next}))
	s.tiles.Invalidate(l.ID, l.Version, f.Bound(), next.Bound())
	s.log.Info("feature edited", "request_id", requestID(c), "layer", l.ID, "feature", next.ID, "changes", len(changes))
	return sendJSON(c, http.StatusOK, "application/geo+json", geoJSONFeature(next))
}

// attrValue converts a decoded JSON value to an attribute value and checks it against the
// field's type when the field exists.
func attrValue(key string, v any, fields []spatial.Field) (any, error) {
	var val any
	switch v := v.(type) {
	case string, bool:
		val = v
	case float64:
		if v == float64(int64(v)) && v >= -9007199254740992 && v <= 9007199254740992 {
			val = int64(v)
		} else {
			val = v
		}
	default:
		return nil, badParam(key, "attribute values are strings, numbers, booleans or null, not %T", v)
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
			return nil, badParam(key, "field %s is of type %s; %v does not fit", key, f.Type, v)
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

func (s *Server) featureHistory(c *echo.Context) error {
	sn, f, err := s.feature(c)
	if err != nil {
		return err
	}
	changes, err := s.store.History(sn.Layer.ID, f.ID)
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []spatial.Change{}
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layer": sn.Layer.ID, "feature": f.ID, "changes": changes})
}
