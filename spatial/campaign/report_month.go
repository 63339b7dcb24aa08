package campaign

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidMonth is returned (wrapped, with the offending text) by [ParseMonth] and
// [Month.UnmarshalText] for text that is not a calendar month YYYY-MM.
var ErrInvalidMonth = errors.New("campaign: not a month (YYYY-MM)")

// Month is a calendar month: a year and a month, with no day and no time zone. Years run from 1
// to 9999.
//
// The zero value is "no month": [Month.IsZero] reports it and [Month.String] returns "".
type Month struct {
	y int
	m time.Month
}

// ParseMonth parses a calendar month in the form YYYY-MM: exactly four year digits, a hyphen
// and two month digits, nothing before or after. Short forms (2026-1), days (2026-01-31),
// months outside 01..12 and year 0000 are rejected with an error wrapping [ErrInvalidMonth] that
// quotes the text.
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return Month{}, fmt.Errorf("%w: %q", ErrInvalidMonth, s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	if !ok1 || !ok2 {
		return Month{}, fmt.Errorf("%w: %q", ErrInvalidMonth, s)
	}
	if why := check(y, time.Month(m), 1); why != "" {
		return Month{}, fmt.Errorf("%w: %q: %s", ErrInvalidMonth, s, why)
	}
	return Month{y, time.Month(m)}, nil
}

// MustParseMonth is like [ParseMonth] but panics on an error. It is meant for constants in tests
// and examples.
func MustParseMonth(s string) Month {
	m, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

// MonthOf returns the month that contains d; the zero Month for the zero Date.
func MonthOf(d Date) Month { return Month{d.y, d.m} }

// IsZero reports whether m is the zero Month ("no month").
func (m Month) IsZero() bool { return m == Month{} }

// Year returns the year of m.
func (m Month) Year() int { return m.y }

// Month returns the month of the year of m.
func (m Month) Month() time.Month { return m.m }

// First returns the first day of m (the zero Date for the zero Month).
func (m Month) First() Date {
	if m.IsZero() {
		return Date{}
	}
	return Date{m.y, m.m, 1}
}

// Last returns the last day of m: the 28th to the 31st (the zero Date for the zero Month).
func (m Month) Last() Date {
	if m.IsZero() {
		return Date{}
	}
	return Date{m.y, m.m, daysIn(m.y, m.m)}
}

// Contains reports whether d is a day of m, from [Month.First] to [Month.Last] inclusive. The
// zero Date is in no month.
func (m Month) Contains(d Date) bool {
	return !m.IsZero() && d.y == m.y && d.m == m.m
}

// String returns m as YYYY-MM, or "" for the zero Month.
func (m Month) String() string {
	if m.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", m.y, int(m.m))
}

// MarshalText encodes m as YYYY-MM (empty for the zero Month).
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses YYYY-MM as [ParseMonth] does; empty text gives the zero Month.
func (m *Month) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = Month{}
		return nil
	}
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
