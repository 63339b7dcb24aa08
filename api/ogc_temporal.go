package api

import (
	"strings"
	"time"

	"github.com/mudi-gis/mudi/spatial"
)

// Temporal filtering (OGC API – Features Part 1, datetime). A collection's temporal property is
// the field [spatial.TemporalField] names (the supply date GDRQ by default); its values are
// dates, each standing for the whole day in UTC. datetime selects the features whose day
// intersects the instant or interval given; a feature without a valid date in the property has
// no place in time and is never selected by datetime. A collection without a temporal property
// answers datetime with a 400 problem naming it: the parameter is never ignored.

// trsGregorian is the temporal reference system of the collections' temporal extents.
const trsGregorian = "http://www.opengis.net/def/uri/ISO-8601/0/Gregorian"

// dayRange is a closed range of UTC days as "YYYY-MM-DD"; "" is an open end.
type dayRange struct{ from, to string }

func (r dayRange) contains(day string) bool {
	return (r.from == "" || day >= r.from) && (r.to == "" || day <= r.to)
}

// parseDatetime parses a datetime parameter into the range of days it covers: an RFC 3339
// date-time (the day holding it, in UTC), a date, or an interval "start/end" of those with ".."
// or "" for an open end (not both). Errors are 400 problems naming datetime.
func parseDatetime(v string) (dayRange, error) {
	bad := func(why string) (dayRange, error) {
		return dayRange{}, badParam("datetime", "%q is not %s", v, why)
	}
	const syntax = "an RFC 3339 date-time, a date or an interval start/end of those (.. for an open end)"
	parts := strings.Split(v, "/")
	switch len(parts) {
	case 1:
		d, ok := dayOf(v)
		if !ok {
			return bad(syntax)
		}
		return dayRange{d, d}, nil
	case 2:
		var r dayRange
		for i, p := range parts {
			if p == ".." || p == "" {
				continue
			}
			d, ok := dayOf(p)
			if !ok {
				return bad(syntax)
			}
			if i == 0 {
				r.from = d
			} else {
				r.to = d
			}
		}
		switch {
		case r.from == "" && r.to == "":
			return bad("an interval with at least one end")
		case r.from != "" && r.to != "" && r.from > r.to:
			return bad("an interval whose start precedes its end")
		}
		return r, nil
	}
	return bad(syntax)
}

// dayOf returns the UTC day of an RFC 3339 date-time, or the date itself, as "YYYY-MM-DD".
func dayOf(s string) (string, bool) {
	if len(s) == len("2006-01-02") {
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return s, true
		}
		return "", false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", false
	}
	return t.UTC().Format(time.DateOnly), true
}

// featureDay returns the day of a feature's temporal property field.
func featureDay(f *spatial.Feature, field string) (string, bool) {
	s, ok := f.Attrs.Value(field).(string)
	if !ok {
		return "", false
	}
	return dayOf(strings.TrimSpace(s))
}

// datetimeFilter returns the predicate the datetime parameter v sets on layer l's features, or
// nil when v is empty.
func datetimeFilter(l *spatial.Layer, v string) (func(*spatial.Feature) bool, error) {
	if v == "" {
		return nil, nil
	}
	field, ok := spatial.TemporalField(l)
	if !ok {
		return nil, badParam("datetime", "collection %s has no temporal property (a date field GDRQ or one named by the role %s)", l.ID, spatial.RoleTemporal)
	}
	r, err := parseDatetime(v)
	if err != nil {
		return nil, err
	}
	return func(f *spatial.Feature) bool {
		d, ok := featureDay(f, field)
		return ok && r.contains(d)
	}, nil
}

// temporalExtent returns the interval of a collection's temporal property: from the start of
// its first day to the end of its last, in UTC. ok is false when the layer has no temporal
// property or no feature has a date in it.
func temporalExtent(sn *spatial.Snapshot) (from, to string, ok bool) {
	field, has := spatial.TemporalField(&sn.Layer)
	if !has {
		return "", "", false
	}
	var lo, hi string
	for _, f := range sn.Features() {
		d, ok := featureDay(f, field)
		if !ok {
			continue
		}
		if lo == "" || d < lo {
			lo = d
		}
		if d > hi {
			hi = d
		}
	}
	if lo == "" {
		return "", "", false
	}
	return lo + "T00:00:00Z", hi + "T23:59:59Z", true
}

// keepFeatures returns the features of fs that keep accepts, in their order, in a new slice.
func keepFeatures(fs []*spatial.Feature, keep func(*spatial.Feature) bool) []*spatial.Feature {
	out := make([]*spatial.Feature, 0, len(fs))
	for _, f := range fs {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}
