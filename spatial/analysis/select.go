package analysis

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// Role names used here; they match the role constants of package spatial.
const (
	roleCode          = "code"
	roleStatus        = "status"
	roleDistrict      = "district"
	roleTax           = "tax"
	roleTaxPerMu      = "tax_per_mu"
	roleEfficiency    = "efficiency"
	roleLowEfficiency = "low_efficiency"
	roleLowEffType    = "low_eff_type"
	roleFiveWei       = "five_wei"
)

// fieldFor returns the attribute that plays role in layer l: the role's field when the layer
// has that role, else the first of the fallback field names present in the layer's schema
// (case-insensitively); with no schema, the first fallback. ok is false when none applies.
func fieldFor(l *spatial.Layer, role string, fallbacks ...string) (string, bool) {
	if f, ok := l.Role(role); ok {
		return f, true
	}
	if len(l.Fields) == 0 {
		if len(fallbacks) > 0 {
			return fallbacks[0], true
		}
		return "", false
	}
	for _, fb := range fallbacks {
		for _, f := range l.Fields {
			if strings.EqualFold(f.Name, fb) {
				return f.Name, true
			}
		}
	}
	return "", false
}

// lowEffFields are the attributes of the low-efficiency rule for one layer; empty names are
// absent.
type lowEffFields struct{ sfdx, wwlx, dxlx, mjdj string }

func lowEffFieldsOf(l *spatial.Layer) lowEffFields {
	var f lowEffFields
	pick := func(role, code string) string {
		if n, ok := l.Role(role); ok {
			return n
		}
		if len(l.Fields) == 0 {
			return code
		}
		for _, fd := range l.Fields {
			if strings.EqualFold(fd.Name, code) {
				return fd.Name
			}
		}
		return ""
	}
	f.sfdx = pick(roleLowEfficiency, "SFDX")
	f.wwlx = pick(roleFiveWei, "WWLX")
	f.dxlx = pick(roleLowEffType, "DXLX")
	f.mjdj = pick(roleEfficiency, "MJDJ")
	return f
}

// IsLowEfficiency applies the low-efficiency selection of docs/domain.md §3 to a feature of layer l:
// SFDX (role low_efficiency) is yes (是, Y, YES, TRUE, 1 or boolean true), or WWLX (role
// five_wei) is set, or DXLX (role low_eff_type) is set, or MJDJ (role efficiency) is D. A value
// counts as set unless it is missing, null, blank, 无 or 否. [LowEfficiencyTerms] gives the same
// rule as data (the map style is built from it).
func IsLowEfficiency(l *spatial.Layer, f *spatial.Feature) bool {
	return lowEffFieldsOf(l).match(f.Attrs)
}

// LowEfficiencyTerms returns the low-efficiency rule of layer l ([IsLowEfficiency]) as terms: a
// feature is selected when any of them holds. Attributes the layer lacks have no term.
func LowEfficiencyTerms(l *spatial.Layer) []Term {
	return lowEffFieldsOf(l).terms()
}

func (lf lowEffFields) terms() []Term {
	var out []Term
	if lf.sfdx != "" {
		out = append(out, YesTerm(lf.sfdx))
	}
	if lf.wwlx != "" {
		out = append(out, SetTerm(lf.wwlx))
	}
	if lf.dxlx != "" {
		out = append(out, SetTerm(lf.dxlx))
	}
	if lf.mjdj != "" {
		out = append(out, Term{Field: lf.mjdj, Kind: OneOf, Values: slices.Clone(gradeD)})
	}
	return out
}

// match is [lowEffFields.terms] without building them: it runs for every feature.
func (lf lowEffFields) match(a spatial.Getter) bool {
	return (lf.sfdx != "" && holds(OneOf, yesValues, a.Value(lf.sfdx))) ||
		(lf.wwlx != "" && holds(NoneOf, unsetValues, a.Value(lf.wwlx))) ||
		(lf.dxlx != "" && holds(NoneOf, unsetValues, a.Value(lf.dxlx))) ||
		(lf.mjdj != "" && holds(OneOf, gradeD, a.Value(lf.mjdj)))
}

// The values of the terms of the rules.
var (
	yesValues   = []string{"是", "Y", "YES", "TRUE", "1"}
	unsetValues = []string{"无", "否"}
	gradeD      = []string{"D"}
)

// TermKind tells how a [Term] tests a value.
type TermKind int

const (
	// OneOf holds when the value's text, trimmed, is one of the term's values (ignoring case).
	OneOf TermKind = iota
	// NoneOf holds when the value's text, trimmed, is not blank and none of the term's values
	// (ignoring case); a missing or null value fails.
	NoneOf
)

// Term is one condition of a selection rule on one attribute. A value's text is the
// attribute's as [spatial.Attrs.String] gives it: strings as they are, numbers formatted
// (1 for 1.0), booleans as true or false, "" for a missing or null value.
type Term struct {
	Field  string
	Kind   TermKind
	Values []string
}

// YesTerm is the term "field means yes": 是, Y, YES, TRUE or 1 (a boolean true or the number 1
// included).
func YesTerm(field string) Term {
	return Term{Field: field, Kind: OneOf, Values: slices.Clone(yesValues)}
}

// SetTerm is the term "field is set": present, not blank, not 无 and not 否.
func SetTerm(field string) Term {
	return Term{Field: field, Kind: NoneOf, Values: slices.Clone(unsetValues)}
}

// Holds reports whether attribute value v (a value of [spatial.Attrs]) passes the term.
func (t Term) Holds(v any) bool { return holds(t.Kind, t.Values, v) }

func holds(kind TermKind, values []string, v any) bool {
	var s string
	switch v := v.(type) {
	case nil:
	case string:
		s = strings.TrimSpace(v)
	default:
		s = fmt.Sprint(v) // as spatial.Attrs.String formats it
	}
	in := false
	for _, x := range values {
		if strings.EqualFold(x, s) {
			in = true
			break
		}
	}
	if kind == OneOf {
		return in
	}
	return s != "" && !in
}

// statusField returns the attribute the status parameter filters on.
func statusField(l *spatial.Layer) (string, bool) {
	return fieldFor(l, roleStatus, "status")
}

// number reads an attribute as a number: numbers as they are, numeric strings parsed.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	return 0, false
}

// intersectsBound reports whether polygons ps (lon/lat) intersect rectangle b.
func intersectsBound(ps []orb.Polygon, b orb.Bound) bool {
	rect := orb.Polygon{orb.Ring{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}, b.Min}}
	for _, p := range ps {
		pb := p.Bound()
		if !boundsIntersect(pb, b) {
			continue
		}
		if pb.Min[0] >= b.Min[0] && pb.Max[0] <= b.Max[0] && pb.Min[1] >= b.Min[1] && pb.Max[1] <= b.Max[1] {
			return true
		}
		if intersectsPoly(p, pb, rect, b) {
			return true
		}
	}
	return false
}
