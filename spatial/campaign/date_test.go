package campaign

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string // "" when the text must be rejected
	}{
		{"plain", "2026-06-30", "2026-06-30"},
		{"leap day in a leap year", "2024-02-29", "2024-02-29"},
		{"leap day in a century leap year", "2000-02-29", "2000-02-29"},
		{"first day of year 1", "0001-01-01", "0001-01-01"},
		{"last day of year 9999", "9999-12-31", "9999-12-31"},
		{"30 February", "2026-02-30", ""},
		{"29 February in a common year", "2026-02-29", ""},
		{"29 February in a century common year", "1900-02-29", ""},
		{"31 April", "2026-04-31", ""},
		{"month 13", "2026-13-01", ""},
		{"month 0", "2026-00-10", ""},
		{"day 0", "2026-01-00", ""},
		{"year 0", "0000-01-01", ""},
		{"short month and day", "2026-2-3", ""},
		{"slashes", "2026/02/03", ""},
		{"compact", "20260203", ""},
		{"with a time", "2026-02-03T00:00:00Z", ""},
		{"with a space time", "2026-02-03 08:00", ""},
		{"leading space", " 2026-02-03", ""},
		{"plus sign", "+026-02-03", ""},
		{"minus in the year", "-026-02-03", ""},
		{"full-width digits", "２０２６-０２-０３", ""},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDate(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %s, want an error", tc.in, d)
				}
				if !errors.Is(err, ErrInvalidDate) {
					t.Errorf("error %v does not wrap ErrInvalidDate", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tc.in, err)
			}
			if d.String() != tc.want {
				t.Errorf("ParseDate(%q) = %s, want %s", tc.in, d, tc.want)
			}
		})
	}
}

func TestParseDateErrorNamesTheText(t *testing.T) {
	_, err := ParseDate("2026-02-30")
	if err == nil || err.Error() != `campaign: not a date (YYYY-MM-DD): "2026-02-30": day 30 out of range 1..28 for 2026-02` {
		t.Errorf("error = %v", err)
	}
	_, err = ParseDate("2026-2-3")
	if err == nil || err.Error() != `campaign: not a date (YYYY-MM-DD): "2026-2-3"` {
		t.Errorf("error = %v", err)
	}
}

func TestDateZeroValue(t *testing.T) {
	var d Date
	if !d.IsZero() || d.String() != "" {
		t.Errorf("zero Date: IsZero %v, String %q", d.IsZero(), d.String())
	}
	if MustParseDate("0001-01-01").IsZero() {
		t.Error("0001-01-01 is not the zero Date")
	}
}

func TestDateCompare(t *testing.T) {
	a, b, c := MustParseDate("2026-06-30"), MustParseDate("2026-07-01"), MustParseDate("2027-01-01")
	for _, tc := range []struct {
		name string
		x, y Date
		want int
	}{
		{"day before", a, b, -1},
		{"same day", a, MustParseDate("2026-06-30"), 0},
		{"day after", b, a, 1},
		{"year decides before month", c, b, 1},
		{"month decides before day", MustParseDate("2026-06-30"), MustParseDate("2026-07-01"), -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.x.Compare(tc.y); got != tc.want {
				t.Errorf("%s.Compare(%s) = %d, want %d", tc.x, tc.y, got, tc.want)
			}
			if got := tc.x.Before(tc.y); got != (tc.want < 0) {
				t.Errorf("Before = %v", got)
			}
			if got := tc.x.After(tc.y); got != (tc.want > 0) {
				t.Errorf("After = %v", got)
			}
		})
	}
}

func TestDateAddYears(t *testing.T) {
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-06-30", 1, "2027-06-30"},
		{"2024-02-29", 1, "2025-02-28"},
		{"2024-02-29", 4, "2028-02-29"},
		{"2024-02-29", -1, "2023-02-28"},
		{"2024-02-29", 76, "2100-02-28"}, // 2100 is not a leap year
		{"2024-02-29", 376, "2400-02-29"},
		{"2024-02-28", 1, "2025-02-28"},
		{"2023-03-01", 1, "2024-03-01"},
		{"2026-12-31", 0, "2026-12-31"},
	} {
		if got := MustParseDate(tc.from).AddYears(tc.n).String(); got != tc.want {
			t.Errorf("%s + %d years = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}

func TestDateAddDays(t *testing.T) {
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-06-30", 30, "2026-07-30"},
		{"2026-06-30", 31, "2026-07-31"},
		{"2027-03-01", 30, "2027-03-31"},
		{"2027-03-01", -1, "2027-02-28"},
		{"2024-03-01", -1, "2024-02-29"},
		{"2026-12-31", 1, "2027-01-01"},
		{"2026-01-01", 365, "2027-01-01"},
		{"2024-01-01", 366, "2025-01-01"},
	} {
		from := MustParseDate(tc.from)
		got := from.AddDays(tc.n)
		if got.String() != tc.want {
			t.Errorf("%s + %d days = %s, want %s", tc.from, tc.n, got, tc.want)
		}
		if back := got.DaysSince(from); back != tc.n {
			t.Errorf("%s.DaysSince(%s) = %d, want %d", got, from, back, tc.n)
		}
	}
}

func TestDateYearsSince(t *testing.T) {
	for _, tc := range []struct {
		name, start, to string
		want            int
	}{
		{"same day", "2025-06-30", "2025-06-30", 0},
		{"day before 1st anniversary", "2025-06-30", "2026-06-29", 0},
		{"on 1st anniversary", "2025-06-30", "2026-06-30", 1},
		{"day after 1st anniversary", "2025-06-30", "2026-07-01", 1},
		{"day before 2nd anniversary", "2025-06-30", "2027-06-29", 1},
		{"on 2nd anniversary", "2025-06-30", "2027-06-30", 2},
		{"day after 2nd anniversary", "2025-06-30", "2027-07-01", 2},
		{"day before 3rd anniversary", "2025-06-30", "2028-06-29", 2},
		{"on 3rd anniversary", "2025-06-30", "2028-06-30", 3},
		{"day after 3rd anniversary", "2025-06-30", "2028-07-01", 3},
		{"29 Feb: day before its common-year anniversary", "2024-02-29", "2025-02-27", 0},
		{"29 Feb: anniversary is 28 Feb in a common year", "2024-02-29", "2025-02-28", 1},
		{"29 Feb: day after", "2024-02-29", "2025-03-01", 1},
		{"29 Feb: 28 Feb of the next leap year is not the 4th anniversary", "2024-02-29", "2028-02-28", 3},
		{"29 Feb: 4th anniversary on 29 Feb", "2024-02-29", "2028-02-29", 4},
		{"28 Feb start into a leap year", "2023-02-28", "2024-02-28", 1},
		{"1 Mar start across a leap day", "2023-03-01", "2024-02-29", 0},
		{"day before the start", "2025-06-30", "2025-06-29", -1},
		{"a year before the start", "2025-06-30", "2024-06-30", -1},
		{"a year and a day before the start", "2025-06-30", "2024-06-29", -2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MustParseDate(tc.to).YearsSince(MustParseDate(tc.start)); got != tc.want {
				t.Errorf("years from %s to %s = %d, want %d", tc.start, tc.to, got, tc.want)
			}
		})
	}
}

func TestToday(t *testing.T) {
	for _, tc := range []struct {
		name string
		now  time.Time
		want string
	}{
		{"UTC 15:59 is 23:59 in Shanghai", time.Date(2026, 6, 30, 15, 59, 59, 0, time.UTC), "2026-06-30"},
		{"UTC 16:00 is midnight in Shanghai", time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC), "2026-07-01"},
		{"new year in Shanghai", time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), "2027-01-01"},
		{"instant given in another zone", time.Date(2026, 6, 30, 20, 0, 0, 0, time.FixedZone("EDT", -4*3600)), "2026-07-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Today(tc.now).String(); got != tc.want {
				t.Errorf("Today(%s) = %s, want %s", tc.now, got, tc.want)
			}
		})
	}
}

func TestDateText(t *testing.T) {
	var v struct {
		AsOf Date `json:"as_of"`
	}
	if err := json.Unmarshal([]byte(`{"as_of":"2027-03-01"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.AsOf != MustParseDate("2027-03-01") {
		t.Errorf("decoded %s", v.AsOf)
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `{"as_of":"2027-03-01"}` {
		t.Errorf("encoded %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"as_of":"2027-02-29"}`), &v); !errors.Is(err, ErrInvalidDate) {
		t.Errorf("decoding 2027-02-29: %v, want ErrInvalidDate", err)
	}
}
