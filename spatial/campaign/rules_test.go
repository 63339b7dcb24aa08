package campaign

import (
	"testing"

	"github.com/mudi-gis/mudi/spatial"
)

// TestWuweiBoundaries moves the date across each boundary of each 五未 rule: the day before, on
// and after the date that starts or ends it. "" means no class.
func TestWuweiBoundaries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs spatial.Attrs
		at    map[string]string // as-of date → expected wuwei
	}{
		{"批而未供 starts on approval (PZRQ ≤ D)",
			spatial.Attrs{"PZRQ": "2026-03-10"},
			map[string]string{"2026-03-09": "", "2026-03-10": "批而未供", "2026-03-11": "批而未供"}},
		{"批而未供 ends on supply (GDRQ ≤ D)",
			spatial.Attrs{"PZRQ": "2025-01-01", "GDRQ": "2026-03-10", "YDDGRQ": "2027-01-01"},
			map[string]string{"2026-03-09": "批而未供", "2026-03-10": "", "2026-03-11": ""}},
		{"供而未用 starts the day after start_due (D > start_due)",
			spatial.Attrs{"GDRQ": "2025-01-01", "YDDGRQ": "2026-03-10"},
			map[string]string{"2026-03-09": "", "2026-03-10": "", "2026-03-11": "供而未用"}},
		{"供而未用 from GDRQ + 1 year",
			spatial.Attrs{"GDRQ": "2025-03-10"},
			map[string]string{"2026-03-09": "", "2026-03-10": "", "2026-03-11": "供而未用"}},
		{"供而未用 ends on the actual start (SJDGRQ ≤ D)",
			spatial.Attrs{"GDRQ": "2024-01-01", "YDDGRQ": "2025-01-01", "SJDGRQ": "2026-03-10", "YDJGRQ": "2030-01-01"},
			map[string]string{"2026-03-09": "供而未用", "2026-03-10": "", "2026-03-11": ""}},
		{"用而未尽 starts the day after YDJGRQ",
			spatial.Attrs{"GDRQ": "2023-01-01", "SJDGRQ": "2024-01-01", "YDJGRQ": "2026-03-10"},
			map[string]string{"2026-03-09": "", "2026-03-10": "", "2026-03-11": "用而未尽"}},
		{"用而未尽 ends on completion (SJJGRQ ≤ D)",
			spatial.Attrs{"GDRQ": "2023-01-01", "SJDGRQ": "2024-01-01", "YDJGRQ": "2025-01-01", "SJJGRQ": "2026-03-10", "YDTCRQ": "2030-01-01"},
			map[string]string{"2026-03-09": "用而未尽", "2026-03-10": "", "2026-03-11": ""}},
		{"建而未投 starts the day after YDTCRQ",
			spatial.Attrs{"GDRQ": "2022-01-01", "SJDGRQ": "2023-01-01", "SJJGRQ": "2024-01-01", "YDTCRQ": "2026-03-10"},
			map[string]string{"2026-03-09": "", "2026-03-10": "", "2026-03-11": "建而未投"}},
		{"建而未投 ends on production; 投而未达标 from its first anniversary (D ≥ SJTCRQ + 1 year)",
			spatial.Attrs{"GDRQ": "2022-01-01", "SJDGRQ": "2023-01-01", "SJJGRQ": "2024-01-01", "YDTCRQ": "2025-01-01",
				"SJTCRQ": "2026-03-10", "MJSS": 1.0, "YDMJSS": 5.0},
			map[string]string{"2026-03-09": "建而未投", "2026-03-10": "", "2026-03-11": "",
				"2027-03-09": "", "2027-03-10": "投而未达标", "2027-03-11": "投而未达标"}},
		{"投而未达标 a year after a 29 Feb production date is checked from 28 Feb",
			spatial.Attrs{"GDRQ": "2021-01-01", "SJDGRQ": "2022-01-01", "SJJGRQ": "2023-01-01", "SJTCRQ": "2024-02-29",
				"MJSS": 1.0, "YDMJSS": 5.0},
			map[string]string{"2025-02-27": "", "2025-02-28": "投而未达标", "2025-03-01": "投而未达标"}},
	} {
		for date, want := range tc.at {
			t.Run(tc.name+"@"+date, func(t *testing.T) {
				c := Compute(tc.attrs, 10, DefaultFields(), MustParseDate(date), DefaultParams())
				if c.Wuwei != want || c.WuweiReason != "" {
					t.Errorf("wuwei %q (reason %q), want %q", c.Wuwei, c.WuweiReason, want)
				}
			})
		}
	}
}

// TestReasons checks the reasons of inputs that are missing or bad in other ways than the
// fixtures show.
func TestReasons(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs spatial.Attrs
		area  float64
		key   string
		want  string
	}{
		{"GDRQ not a date and no YDDGRQ", spatial.Attrs{"GDRQ": int64(20250101)}, 10,
			"idle_reason", `缺少约定动工日期(YDDGRQ)，供地日期(GDRQ)的值"20250101"不是日期`},
		{"MJSS not a number and no SS", spatial.Attrs{"MJSS": true}, 10,
			"mu_tax_reason", `缺少税收(SS)，亩均税收(MJSS)的值"true"不是数字`},
		{"MJSS NaN", spatial.Attrs{"MJSS": "NaN"}, 10,
			"mu_tax_reason", `缺少税收(SS)，亩均税收(MJSS)的值"NaN"不是数字`},
		{"投而未达标 with neither tax figure nor agreed figure",
			spatial.Attrs{"SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2023-01-01"}, 10,
			"wuwei_reason", "缺少税收(SS)与亩均税收(MJSS)；缺少约定亩均税收(YDMJSS)"},
		{"批而未供 undecidable: PZRQ not a date", spatial.Attrs{"PZRQ": "2025-1-1"}, 10,
			"wuwei_reason", `批准日期(PZRQ)的值"2025-1-1"不是日期`},
		{"建而未投 undecidable: no YDTCRQ", spatial.Attrs{"SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01"}, 10,
			"wuwei_reason", "缺少约定投产日期(YDTCRQ)"},
		{"TGRQ not a date", spatial.Attrs{"SJDGRQ": "2021-01-01", "TGRQ": "2025-06-31", "KFBL": 0.1}, 10,
			"idle_reason", `停工日期(TGRQ)的值"2025-06-31"不是日期`},
		{"negative CRJK", spatial.Attrs{"GDRQ": "2020-01-01", "CRJK": -5.0}, 10,
			"idle_reason", `出让价款(CRJK)的值"-5"是负数`},
		{"long value shortened", spatial.Attrs{"SS": "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"}, 10,
			"mu_tax_reason", `税收(SS)的值"一二三四五六七八九十一二三四五六七八九十一二三四…"不是数字`},
		{"SS with a negative area", spatial.Attrs{"SS": 1.0}, -3,
			"mu_tax_reason", "地块面积(area_mu)不是正数，无法由税收(SS)计算亩均税收"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Compute(tc.attrs, tc.area, DefaultFields(), d1, DefaultParams()).Map()[tc.key]
			if got != tc.want {
				t.Errorf("%s = %v, want %s", tc.key, got, tc.want)
			}
		})
	}
}
