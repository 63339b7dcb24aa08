package spatial

import (
	"errors"
	"fmt"
	"math"
	"unicode"
	"unicode/utf8"
)

// Limits on attributes, checked wherever attributes enter mudi (every import reader, through
// [BuildImport], and attribute edits), so that every reader and every export format can handle
// whatever was accepted:
//
//   - a Shapefile's .dbf record is at most 65 535 bytes, its text fields at most 254 bytes wide,
//     and many dBASE readers stop at 255 fields: a layer's fields plus the 8 derived attributes
//     ([DerivedKeys]) and the 2 fields that may bear their short names stay under 255 columns,
//     and 250 × 254 + 1 bytes fit in a record;
//   - a GeoPackage table is a SQLite table (at most 2 000 columns, names compared
//     case-insensitively, no NUL in a name);
//   - a vector tile carries the attributes of every feature it shows: the size of one value
//     and of one feature's attributes bounds the size of a tile.
const (
	// MaxFields is the most attribute fields a layer may have (and so the most attributes a
	// feature may have), not counting fields named like a derived attribute (see
	// [CountsTowardLimits]): exports add those columns, and a re-imported export must be
	// accepted.
	MaxFields = 240
	// MaxNameBytes is the longest attribute name, in bytes of UTF-8.
	MaxNameBytes = 254
	// MaxValueBytes is the longest text value of one attribute, in bytes of UTF-8.
	MaxValueBytes = 16 << 10
	// MaxRecordBytes is the most bytes of text values one feature's attributes may hold
	// together, not counting attributes named like derived ones.
	MaxRecordBytes = 64 << 10
)

// ErrLimit is wrapped by the [*AttributeError]s about a limit being exceeded (too many fields,
// a value or record too large), as opposed to a value that is wrong in itself.
var ErrLimit = errors.New("spatial: limit exceeded")

// AttributeError reports an attribute that mudi does not accept: Field names it (it may be
// empty or not valid UTF-8 when the name itself is at fault; print it with %q), or is empty when
// the fault is in a feature's attributes together (their number or total size).
type AttributeError struct {
	Field  string
	Reason string
	Err    error // ErrLimit for limits, else nil

	whole bool // the fault is in the attributes together (their number, their size)
}

func (e *AttributeError) Error() string { return "spatial: " + e.Detail() }

// Detail is the error without the package prefix, as reported to clients: "attribute "X":
// reason", or "attributes: reason" when the fault is not in one attribute.
func (e *AttributeError) Detail() string {
	if e.whole {
		return "attributes: " + e.Reason
	}
	return fmt.Sprintf("attribute %q: %s", e.Field, e.Reason)
}

func (e *AttributeError) Unwrap() error { return e.Err }

// CheckName reports whether name can name an attribute: 1 to [MaxNameBytes] bytes of valid
// UTF-8 without control characters (C0, DEL, C1, which break SQLite identifiers and dBASE
// headers and cannot be typed in a GIS). Returns an [*AttributeError] naming it otherwise.
func CheckName(name string) error {
	bad := func(format string, args ...any) error {
		return &AttributeError{Field: name, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case name == "":
		return bad("an attribute name must not be empty")
	case !utf8.ValidString(name):
		return bad("the name is not valid UTF-8")
	case len(name) > MaxNameBytes:
		return &AttributeError{Field: name, Reason: fmt.Sprintf("the name is %d bytes long; at most %d are allowed", len(name), MaxNameBytes), Err: ErrLimit}
	}
	for i, r := range name {
		if unicode.IsControl(r) {
			return bad("the name holds the control character U+%04X at byte %d", r, i)
		}
	}
	return nil
}

// CheckAttribute reports whether name and v make an attribute mudi can store and every
// export can write: a valid name ([CheckName]) and a value that is nil, a bool, an int64, a
// finite float64, or a string of valid UTF-8 of at most [MaxValueBytes] bytes. Returns an
// [*AttributeError] naming the field otherwise.
func CheckAttribute(name string, v any) error {
	if err := CheckName(name); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil, bool, int64:
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &AttributeError{Field: name, Reason: "the value is not a finite number (NaN, Infinity or beyond ±1.8e308)"}
		}
	case string:
		if !utf8.ValidString(v) {
			return &AttributeError{Field: name, Reason: "the value is not valid UTF-8"}
		}
		if len(v) > MaxValueBytes {
			return &AttributeError{Field: name, Reason: fmt.Sprintf("the value is %d bytes long; at most %d are allowed", len(v), MaxValueBytes), Err: ErrLimit}
		}
	default:
		return &AttributeError{Field: name, Reason: fmt.Sprintf("values are strings, numbers, booleans or null, not %T", v)}
	}
	return nil
}

// CheckAttrs checks every attribute of one feature ([CheckAttribute], in name order so that
// the error does not depend on map order), their number ([MaxFields], not counting those
// named like derived attributes) and their total size
// ([MaxRecordBytes]). Returns the first [*AttributeError].
func CheckAttrs(a Attrs) error {
	if n := countOwn(len(a), func(yield func(string) bool) {
		for k := range a {
			if !yield(k) {
				return
			}
		}
	}); n > MaxFields {
		return &AttributeError{whole: true, Reason: fmt.Sprintf("a feature has %d attributes; at most %d are allowed", n, MaxFields), Err: ErrLimit}
	}
	var first *AttributeError
	size := 0
	for k, v := range a {
		if err := CheckAttribute(k, v); err != nil {
			if ae := err.(*AttributeError); first == nil || ae.Field < first.Field {
				first = ae
			}
			continue
		}
		if s, ok := v.(string); ok && CountsTowardLimits(k) {
			size += len(s)
		}
	}
	if first != nil {
		return first
	}
	if size > MaxRecordBytes {
		return &AttributeError{whole: true, Reason: fmt.Sprintf("the attributes take %d bytes; at most %d are allowed per feature", size, MaxRecordBytes), Err: ErrLimit}
	}
	return nil
}

// CheckFields checks a layer's schema: at most [MaxFields] fields besides those named like
// derived attributes, each with a valid name
// ([CheckName]). Returns an [*AttributeError] naming the first field at fault.
func CheckFields(fields []Field) error {
	n := 0
	for _, f := range fields {
		if !CountsTowardLimits(f.Name) {
			continue
		}
		if n++; n > MaxFields {
			return &AttributeError{Field: f.Name, Reason: fmt.Sprintf("a layer has %d fields; at most %d are allowed", countOwn(len(fields), func(yield func(string) bool) {
				for _, f := range fields {
					if !yield(f.Name) {
						return
					}
				}
			}), MaxFields), Err: ErrLimit}
		}
	}
	for _, f := range fields {
		if err := CheckName(f.Name); err != nil {
			return err
		}
	}
	return nil
}

// derivedShortNames are the names under which Shapefile exports, limited to 10-byte names,
// write the derived attributes whose names are longer (control_position, outside_ratio).
var derivedShortNames = map[string]bool{"CTRL_POS": true, "OUT_RATIO": true}

// CountsTowardLimits reports whether an attribute named name counts toward [MaxFields] and
// [MaxRecordBytes]: every attribute but those named like a derived attribute ([DerivedKeys], or
// the short names Shapefile exports give them, CTRL_POS and OUT_RATIO). Exports add at most
// those columns, so that an export of a layer at the limits can be imported again.
func CountsTowardLimits(name string) bool {
	return !IsDerivedKey(name) && !derivedShortNames[name]
}

// countOwn returns how many of the n names seq yields count toward the limits.
func countOwn(n int, seq func(yield func(string) bool)) int {
	if n <= MaxFields {
		return n // a count within the limit needs no closer look
	}
	own := 0
	seq(func(k string) bool {
		if CountsTowardLimits(k) {
			own++
		}
		return true
	})
	return own
}

// CheckEdit checks a feature's attributes after an edit and its layer's schema with any
// fields the edit added: [CheckFields] then [CheckAttrs].
func CheckEdit(fields []Field, a Attrs) error {
	if err := CheckFields(fields); err != nil {
		return err
	}
	return CheckAttrs(a)
}
