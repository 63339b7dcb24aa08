package analysis

import (
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
// counts as set unless it is missing, null, blank, 无 or 否.
func IsLowEfficiency(l *spatial.Layer, f *spatial.Feature) bool {
	return lowEffFieldsOf(l).match(f.Attrs)
}

func (lf lowEffFields) match(a spatial.Attrs) bool {
	if lf.sfdx != "" && isYes(a[lf.sfdx]) {
		return true
	}
	if lf.wwlx != "" && isSet(a.String(lf.wwlx)) {
		return true
	}
	if lf.dxlx != "" && isSet(a.String(lf.dxlx)) {
		return true
	}
	if lf.mjdj != "" && strings.EqualFold(strings.TrimSpace(a.String(lf.mjdj)), "D") {
		return true
	}
	return false
}

func isYes(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case int64:
		return v == 1
	case float64:
		return v == 1
	case string:
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "是", "Y", "YES", "TRUE", "1":
			return true
		}
	}
	return false
}

func isSet(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && s != "无" && s != "否"
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
