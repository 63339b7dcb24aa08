package campaign

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidDate is returned (wrapped, with the offending text) by [ParseDate] and
// [Date.UnmarshalText] for text that is not an ISO calendar date YYYY-MM-DD.
var ErrInvalidDate = errors.New("campaign: not a date (YYYY-MM-DD)")

// Date is a civil calendar date: a year, month and day with no time of day and no time zone.
// Years run from 1 to 9999 for parsed dates. Dates compare with [Date.Compare] (or ==).
//
// The zero value is "no date": [Date.IsZero] reports it and [Date.String] returns "".
type Date struct {
	y int
	m time.Month
	d int
}

// shanghai is China Standard Time, UTC+8. China has had no daylight saving time since 1991, so a
// fixed offset is exact for every date mudi handles and needs no time zone database.
var shanghai = time.FixedZone("CST", 8*60*60)

// Today returns the calendar date in Asia/Shanghai (UTC+8) at the instant now.
func Today(now time.Time) Date {
	return DateOf(now.In(shanghai))
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// NewDate returns the date y-m-d. It returns an error wrapping [ErrInvalidDate] when the year is
// outside 1..9999 or the day does not exist (e.g. 2026-02-30).
func NewDate(y int, m time.Month, d int) (Date, error) {
	if why := check(y, m, d); why != "" {
		return Date{}, fmt.Errorf("%w: %s", ErrInvalidDate, why)
	}
	return Date{y, m, d}, nil
}

// check returns why y-m-d is not a date, or "".
func check(y int, m time.Month, d int) string {
	switch {
	case y < 1 || y > 9999:
		return fmt.Sprintf("year %d out of range 1..9999", y)
	case m < time.January || m > time.December:
		return fmt.Sprintf("month %d out of range 1..12", int(m))
	case d < 1 || d > daysIn(y, m):
		return fmt.Sprintf("day %d out of range 1..%d for %04d-%02d", d, daysIn(y, m), y, int(m))
	}
	return ""
}

// ParseDate parses an ISO 8601 calendar date in the extended form YYYY-MM-DD: exactly four year
// digits, two month digits and two day digits, nothing before or after. Days that do not exist
// (2026-02-30, 2026-13-01), short forms (2026-2-3), times and time zones are rejected with an
// error wrapping [ErrInvalidDate] that quotes the text.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("%w: %q", ErrInvalidDate, s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, fmt.Errorf("%w: %q", ErrInvalidDate, s)
	}
	if why := check(y, time.Month(m), d); why != "" {
		return Date{}, fmt.Errorf("%w: %q: %s", ErrInvalidDate, s, why)
	}
	return Date{y, time.Month(m), d}, nil
}

// digits parses a string of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// MustParseDate is like [ParseDate] but panics on an error. It is meant for constants in tests
// and examples.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == Date{} }

// Year returns the year of d.
func (d Date) Year() int { return d.y }

// Month returns the month of d.
func (d Date) Month() time.Month { return d.m }

// Day returns the day of the month of d.
func (d Date) Day() int { return d.d }

func (d Date) parts() [3]int { return [3]int{d.y, int(d.m), d.d} }

// String returns d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.y, int(d.m), d.d)
}

// MarshalText encodes d as YYYY-MM-DD (empty for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses YYYY-MM-DD as [ParseDate] does; empty text gives the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Compare returns -1 if d is before e, 0 if they are the same day and +1 if d is after e.
func (d Date) Compare(e Date) int {
	a, b := d.parts(), e.parts()
	for i := range a {
		switch {
		case a[i] < b[i]:
			return -1
		case a[i] > b[i]:
			return 1
		}
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// AddYears returns the same month and day n years later (earlier for negative n). 29 February
// becomes 28 February in a year that is not a leap year.
func (d Date) AddYears(n int) Date {
	y := d.y + n
	day := d.d
	if d.m == time.February && day == 29 && !isLeap(y) {
		day = 28
	}
	return Date{y, d.m, day}
}

// AddDays returns the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.y, d.m, d.d+n, 0, 0, 0, 0, time.UTC))
}

// YearsSince returns the whole years from start to d: the largest n with start.AddYears(n) on or
// before d. It is 0 the day before the first anniversary and 1 on it; the anniversary of
// 29 February in a common year is 28 February, as in [Date.AddYears]. It is negative when d is
// before start (−1 from the day before start back to the anniversary a year earlier).
func (d Date) YearsSince(start Date) int {
	n := d.y - start.y
	for start.AddYears(n).After(d) {
		n--
	}
	for !start.AddYears(n + 1).After(d) {
		n++
	}
	return n
}

// DaysSince returns the number of days from start to d (negative when d is before start).
func (d Date) DaysSince(start Date) int {
	a := time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC).Unix()
	b := time.Date(start.y, start.m, start.d, 0, 0, 0, 0, time.UTC).Unix()
	return int((a - b) / (24 * 60 * 60))
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
