package campaign

import (
	"strings"

	"github.com/mudi-gis/mudi/spatial"
)

// ClosedOnField is the conventional field code of the close-off date (XHRQ 销号日期).
const ClosedOnField = "XHRQ"

// ReportParcels returns the report rows of the parcels of sn, a layer as it stood at the end of
// a month, with their classes as of that day (a parcel missing from classes has null classes).
// Rows are in feature id order.
//
// Each grouping key of groupBy names a role (district, town, park, or any other role): the
// field the layer maps to it, or else the first of the role's conventional fields the layer
// has ([spatial.RoleCandidates]: XZQMC, XZQDM, district for district); a key that is not a role
// names an attribute, matched exactly and then regardless of letter case. The row's Group
// holds the value under the key as given. The code is the value of the code role, resolved the
// same way; the disposal state and the deadline come from the fields of [FieldsOf] the layer,
// the close-off date from XHRQ ([ClosedOnField], in the layer's letter case). A date that is
// not an ISO date YYYY-MM-DD counts as empty: it closes nothing off and misses no deadline.
func ReportParcels(sn *spatial.Snapshot, classes map[spatial.FeatureID]Classes, groupBy []string) []ReportParcel {
	l := &sn.Layer
	fields := FieldsOf(l)
	byUpper := make(map[string]string, len(l.Fields))
	byName := make(map[string]bool, len(l.Fields))
	for _, f := range l.Fields {
		byUpper[strings.ToUpper(f.Name)] = f.Name
		byName[f.Name] = true
	}
	resolve := func(key string) string {
		if name, ok := l.Role(key); ok {
			return name
		}
		for _, c := range spatial.RoleCandidates(key) {
			if name, ok := byUpper[strings.ToUpper(c)]; ok {
				return name
			}
		}
		if byName[key] {
			return key
		}
		if name, ok := byUpper[strings.ToUpper(key)]; ok {
			return name
		}
		return key
	}
	groupFields := make([]string, len(groupBy))
	for i, k := range groupBy {
		groupFields[i] = resolve(k)
	}
	codeField := resolve(spatial.RoleCode)
	closedField := resolve(ClosedOnField)

	features := sn.Features()
	rows := make([]ReportParcel, len(features))
	for i, f := range features {
		r := ReportParcel{
			Group:    make(map[string]string, len(groupBy)),
			AreaMu:   f.Derived.AreaMu,
			Classes:  classes[f.ID],
			State:    strings.TrimSpace(f.Attrs.String(fields.DisposalState)),
			ClosedOn: dateOrZero(f.Attrs, closedField),
			Deadline: dateOrZero(f.Attrs, fields.Deadline),
		}
		r.Code = strings.TrimSpace(f.Attrs.String(codeField))
		for k, key := range groupBy {
			r.Group[key] = strings.TrimSpace(f.Attrs.String(groupFields[k]))
		}
		rows[i] = r
	}
	return rows
}

// dateOrZero reads a date attribute; a missing or unreadable one gives the zero Date.
func dateOrZero(a spatial.Getter, field string) Date {
	s, ok := a.Value(field).(string)
	if !ok {
		return Date{}
	}
	d, err := ParseDate(strings.TrimSpace(s))
	if err != nil {
		return Date{}
	}
	return d
}
