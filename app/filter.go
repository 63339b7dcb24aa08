package app

import (
	"errors"
	"fmt"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/cql2"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// FilterError is a CQL2 filter that does not parse or names a property the layer does not
// have. Param is the parameter that carried it; Pos the byte offset of the fault; Property the
// unknown property, if that is the fault.
type FilterError struct {
	Param    string
	Pos      int
	Property string
	Reason   string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("%s: %s (at byte %d)", e.Param, e.Reason, e.Pos)
}

// ParseFilter parses CQL2-text filter text for layer l, with geometry literals in CRS c, and
// checks that it names only the layer's properties: its fields and the computed attributes it
// has. It is the one filter parser of OGC items, analyses and exports.
func ParseFilter(param, text string, c crs.CRS, l spatial.Layer) (*cql2.Expr, error) {
	e, err := cql2.ParseCRS(text, c)
	var se *cql2.SyntaxError
	if errors.As(err, &se) {
		return nil, &FilterError{Param: param, Pos: se.Pos, Reason: "CQL2 syntax error: " + se.Msg}
	}
	if err != nil {
		return nil, err
	}
	for _, ref := range e.Properties() {
		reason := ""
		switch {
		case ref.Geometry && ref.Name != "geometry":
			reason = fmt.Sprintf("%q is not a geometry property: S_INTERSECTS takes geometry", ref.Name)
		case ref.Geometry:
			continue
		case ref.Name == "geometry":
			reason = "geometry is usable only in S_INTERSECTS"
		case !HasProperty(l, ref.Name):
			reason = fmt.Sprintf("unknown property %q: layer %s's queryables are listed at /ogc/collections/%s/queryables", ref.Name, l.ID, l.ID)
		default:
			continue
		}
		return nil, &FilterError{Param: param, Pos: ref.Pos, Property: ref.Name, Reason: reason}
	}
	return e, nil
}

// HasProperty reports whether features of layer l can have property name: one of its fields,
// or a computed attribute of its kind (parcels layers have them all, others the areas).
func HasProperty(l spatial.Layer, name string) bool {
	for _, a := range spatial.ComputedFor(l.Kind) {
		if a.Key == name {
			return true
		}
	}
	return !spatial.IsDerivedKey(name) && hasField(l.Fields, name)
}
