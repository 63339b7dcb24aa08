package campaign

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mudi-gis/mudi/spatial"
)

// state is what an attribute holds: nothing (missing: absent, null or blank), a usable value,
// or a value that cannot be read as the input's type.
type state uint8

const (
	absent state = iota
	present
	bad
)

// input is one attribute read for the rules: its Chinese label and field name (for reasons),
// its state and the raw value (for reasons about bad values).
type input struct {
	label, field string
	st           state
	raw          any
}

// missing is the reason for an absent input, e.g. 缺少约定竣工日期(YDJGRQ).
func (in input) missing() string { return "缺少" + in.name() }

// name is the input as named in reasons, e.g. 供地日期(GDRQ).
func (in input) name() string { return in.label + "(" + in.field + ")" }

// quoted returns the raw value for a reason, shortened to 24 characters.
func (in input) quoted() string {
	s := fmt.Sprint(in.raw)
	if utf8.RuneCountInString(s) > 24 {
		r := []rune(s)
		s = string(r[:24]) + "…"
	}
	return strconv.Quote(s)
}

// dateInput is a date attribute.
type dateInput struct {
	input
	d Date
}

// why is the reason the date cannot be used: missing or not a date.
func (in dateInput) why() string {
	if in.st == bad {
		return in.name() + "的值" + in.quoted() + "不是日期"
	}
	return in.missing()
}

// happened tells whether the event the date records had taken place by asOf: yes when the date is
// on or before asOf; no when it is missing or later; unknown when the value is not a date.
func (in dateInput) happened(asOf Date) cond {
	switch in.st {
	case present:
		return when(!in.d.After(asOf))
	case bad:
		return unknown(in.why())
	}
	return no
}

// numInput is a number attribute.
type numInput struct {
	input
	v      float64
	reason string // why a bad value is bad
}

func (in numInput) why() string {
	if in.st == bad {
		return in.name() + "的值" + in.quoted() + in.reason
	}
	return in.missing()
}

// readDate reads a date: an ISO YYYY-MM-DD string. nil and blank strings are missing; any other
// value (another string form, a number, a boolean) is bad.
func readDate(a spatial.Getter, field, label string) dateInput {
	in := dateInput{input: input{label: label, field: field, raw: a.Value(field)}}
	switch v := a.Value(field).(type) {
	case nil:
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			break
		}
		d, err := ParseDate(s)
		if err != nil {
			in.st = bad
			break
		}
		in.st, in.d = present, d
	default:
		in.st = bad
	}
	return in
}

// readNumber reads a number: int64, float64 or a string holding a decimal number ("0.25",
// " 12 "). nil and blank strings are missing; NaN, infinities, booleans and other strings are
// bad.
func readNumber(a spatial.Getter, field, label string) numInput {
	in := numInput{input: input{label: label, field: field, raw: a.Value(field)}}
	var v float64
	switch x := a.Value(field).(type) {
	case nil:
		return in
	case int64:
		v = float64(x)
	case int:
		v = float64(x)
	case float64:
		v = x
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return in
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			in.st, in.reason = bad, "不是数字"
			return in
		}
		v = f
	default:
		in.st, in.reason = bad, "不是数字"
		return in
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		in.st, in.reason = bad, "不是数字"
		return in
	}
	in.st, in.v = present, v
	return in
}

// readShare reads a fraction 0..1; a number outside that range is bad (a percentage such as 30
// is not guessed to mean 0.30).
func readShare(a spatial.Getter, field, label string) numInput {
	in := readNumber(a, field, label)
	if in.st == present && (in.v < 0 || in.v > 1) {
		in.st, in.reason = bad, "不在0到1之间"
	}
	return in
}

// readText reads a text attribute, trimmed; numbers and booleans are formatted, nil is "".
func readText(a spatial.Getter, field string) string {
	switch v := a.Value(field).(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	default:
		return fmt.Sprint(v)
	}
}

// cond is a condition in three-valued logic: yes, no, or unknown because an input is missing or
// bad; an unknown condition carries the reasons.
type cond struct {
	v   truth
	why []string
}

type truth uint8

const (
	isNo truth = iota
	isYes
	isUnknown
)

var (
	no  = cond{v: isNo}
	yes = cond{v: isYes}
)

func when(b bool) cond {
	if b {
		return yes
	}
	return no
}

func unknown(why ...string) cond { return cond{v: isUnknown, why: why} }

// not negates c; not unknown is unknown.
func not(c cond) cond {
	switch c.v {
	case isYes:
		return no
	case isNo:
		return yes
	}
	return c
}

// and is no if any operand is no, else unknown if any is unknown (with all their reasons), else
// yes.
func and(cs ...cond) cond {
	var why []string
	u := false
	for _, c := range cs {
		switch c.v {
		case isNo:
			return no
		case isUnknown:
			u = true
			why = append(why, c.why...)
		}
	}
	if u {
		return unknown(why...)
	}
	return yes
}

// or is yes if any operand is yes, else unknown if any is unknown (with all their reasons), else
// no.
func or(cs ...cond) cond {
	var why []string
	u := false
	for _, c := range cs {
		switch c.v {
		case isYes:
			return yes
		case isUnknown:
			u = true
			why = append(why, c.why...)
		}
	}
	if u {
		return unknown(why...)
	}
	return no
}

// joinReasons joins reasons with "；", dropping repeats.
func joinReasons(why []string) string {
	var out []string
	for _, w := range why {
		dup := false
		for _, o := range out {
			if o == w {
				dup = true
				break
			}
		}
		if !dup && w != "" {
			out = append(out, w)
		}
	}
	return strings.Join(out, "；")
}
