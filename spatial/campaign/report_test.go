package campaign

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// testParcel is a hand-made parcel for the report tests; dates are written as text so that the
// brute-force count below compares them as strings, independently of [Date].
type testParcel struct {
	code, district, town string
	area                 float64
	state, xhrq, wcsx    string
	idle, wuwei          string
	warning, muClass     string
}

// reportParcels: 27 parcels in three districts (one parcel has none) and six towns. The
// comments note what each one tests for November 2026.
var reportParcels = []testParcel{
	{"P01", "柯城区", "航埠镇", 10.5, "未启动", "", "2026-12-15", IdleOneYear, SuppliedNotUsed, Yellow, ClassUnrated},
	{"P02", "柯城区", "航埠镇", 20.25, "处置中", "", "2026-11-29", IdleTwoYears, SuppliedNotUsed, Red, ClassUnrated}, // overdue: the day before the month end
	{"P03", "柯城区", "航埠镇", 7.75, "处置中", "", "2026-11-30", NotIdle, "", Yellow, ClassA},                       // not overdue: deadline on the month end
	{"P04", "柯城区", "航埠镇", 15, "已销号", "2026-11-30", "2026-10-01", NotIdle, "", "", ClassB},                   // closed on the last day; past deadline but closed
	{"P05", "柯城区", "石室乡", 12, "已销号", "2026-12-01", "2026-12-31", NotIdle, "", "", ClassC},                   // closed on the first day of the next month
	{"P06", "柯城区", "石室乡", 3.125, "待核验", "", "2026-11-01", IdleOneYear, UsedNotFinished, Red, ClassUnrated},  // overdue
	{"P07", "柯城区", "石室乡", 40, "已销号", "2026-11-01", "", NotIdle, "", "", ClassA},                             // closed on the first day
	{"P08", "柯城区", "", 5.5, "", "", "", "", "", "", ClassUnrated},                                           // no town, no state, idle unknown
	{"P09", "柯城区", "", 6, "暂缓", "", "2025-01-01", NotIdle, BuiltNotProducing, Red, ClassD},                  // other state, overdue
	{"P10", "衢江区", "莲花镇", 30, "未启动", "", "", IdleTwoYears, ApprovedNotSupplied, Red, ClassUnrated},
	{"P11", "衢江区", "莲花镇", 25.5, "处置中", "", "2026-10-31", IdleTwoYears, SuppliedNotUsed, Red, ClassUnrated}, // overdue
	{"P12", "衢江区", "莲花镇", 9.25, "已销号", "2026-10-31", "", NotIdle, "", "", ClassB},                          // closed the month before
	{"P13", "衢江区", "莲花镇", 11, "待核验", "", "2027-03-01", NotIdle, ProducingBelowPar, Green, ClassD},
	{"P14", "衢江区", "高家镇", 14.5, "已销号", "2026-11-15", "2026-11-10", NotIdle, "", "", ClassC}, // closed in the month
	{"P15", "衢江区", "高家镇", 8, "处置中", "", "2026-12-01", IdleOneYear, "", Orange, ClassUnrated},
	{"P16", "衢江区", "高家镇", 2.5, "未启动", "", "", NotIdle, "", Green, ClassB},
	{"P17", "衢江区", "高家镇", 4.75, "未启动", "", "", NotIdle, UsedNotFinished, Yellow, ClassC},
	{"P18", "衢江区", "高家镇", 13, "已销号", "", "", NotIdle, "", "", ClassUnrated},                              // closed without a date
	{"P19", "智造新城", "东港", 50, "处置中", "", "2026-06-30", IdleTwoYears, SuppliedNotUsed, Red, ClassUnrated}, // overdue
	{"P20", "智造新城", "东港", 35.5, "已销号", "2026-11-20", "2026-12-31", NotIdle, "", "", ClassA},              // closed in the month
	{"P21", "智造新城", "东港", 1.25, "待核验", "", "2026-11-30", NotIdle, BuiltNotProducing, Yellow, ClassC},
	{"P22", "智造新城", "西区", 17, "未启动", "", "", IdleOneYear, SuppliedNotUsed, Orange, ClassUnrated},
	{"P23", "智造新城", "西区", 22, "处置中", "", "", NotIdle, ProducingBelowPar, Green, ClassD},
	{"P24", "智造新城", "西区", 0.5, "已销号", "2025-12-31", "", NotIdle, "", "", ClassB},
	{"P25", "", "", 19.75, "处置中", "", "2026-11-02", NotIdle, "", "", ClassUnrated},      // no district; warning unknown; overdue
	{"P26", "衢江区", "莲花镇", 6.5, " 已销号 ", "2026-11-30", "", NotIdle, "", "", ClassC},      // state with blanks, closed on the last day
	{"P27", "智造新城", "西区", 4, "处置中", "2026-11-10", "", NotIdle, "", Green, ClassUnrated}, // closed in the month and reopened
}

func (p testParcel) row() ReportParcel {
	r := ReportParcel{
		Code:   p.code,
		Group:  map[string]string{"district": p.district, "town": p.town},
		AreaMu: p.area,
		State:  p.state,
		Classes: Classes{IdleClass: p.idle, Wuwei: p.wuwei, Warning: p.warning,
			MuClass: p.muClass},
	}
	if p.xhrq != "" {
		r.ClosedOn = MustParseDate(p.xhrq)
	}
	if p.wcsx != "" {
		r.Deadline = MustParseDate(p.wcsx)
	}
	return r
}

func testRows() []ReportParcel {
	rows := make([]ReportParcel, len(reportParcels))
	for i, p := range reportParcels {
		rows[i] = p.row()
	}
	return rows
}

// figure is one measure of a tally: a number of parcels and (for counts with an area) 亩.
type figure struct {
	parcels int
	mu      float64
}

// flatten lists the figures of a tally by name.
func flatten(t Tally) map[string]figure {
	c := func(c Count) figure { return figure{c.Parcels, c.Mu} }
	n := func(n int) figure { return figure{parcels: n} }
	return map[string]figure{
		"all":          c(t.All),
		"未启动":          c(t.State.NotStarted),
		"处置中":          c(t.State.InProgress),
		"待核验":          c(t.State.AwaitingCheck),
		"已销号":          c(t.State.ClosedOff),
		"未填":           c(t.State.Unset),
		"其他":           c(t.State.Other),
		"closed":       c(t.ClosedInMonth),
		"overdue":      c(t.Overdue),
		"闲置满一年":        c(t.Idle.OneYear),
		"闲置满两年":        c(t.Idle.TwoYears),
		"批而未供":         c(t.Wuwei.ApprovedNotSupplied),
		"供而未用":         c(t.Wuwei.SuppliedNotUsed),
		"用而未尽":         c(t.Wuwei.UsedNotFinished),
		"建而未投":         c(t.Wuwei.BuiltNotProducing),
		"投而未达标":        c(t.Wuwei.ProducingBelowPar),
		"红":            n(t.Warning.Red),
		"橙":            n(t.Warning.Orange),
		"黄":            n(t.Warning.Yellow),
		"绿":            n(t.Warning.Green),
		"warning null": n(t.Warning.None),
		"A":            n(t.MuClass.A),
		"B":            n(t.MuClass.B),
		"C":            n(t.MuClass.C),
		"D":            n(t.MuClass.D),
		"T":            n(t.MuClass.T),
	}
}

// bruteForce counts the parcels that pass in, measure by measure, straight from the
// definitions: month is "YYYY-MM" and lastDay its last day, both as text.
func bruteForce(ps []testParcel, in func(testParcel) bool, month, lastDay string) map[string]figure {
	type measure struct {
		name    string
		withMu  bool
		applies func(p testParcel) bool
	}
	state := func(p testParcel) string { return strings.TrimSpace(p.state) }
	is := func(s string) func(testParcel) bool { return func(p testParcel) bool { return state(p) == s } }
	measures := []measure{
		{"all", true, func(testParcel) bool { return true }},
		{"未启动", true, is("未启动")}, {"处置中", true, is("处置中")}, {"待核验", true, is("待核验")},
		{"已销号", true, is("已销号")}, {"未填", true, is("")},
		{"其他", true, func(p testParcel) bool {
			s := state(p)
			return s != "" && s != "未启动" && s != "处置中" && s != "待核验" && s != "已销号"
		}},
		{"closed", true, func(p testParcel) bool { return state(p) == "已销号" && strings.HasPrefix(p.xhrq, month+"-") }},
		{"overdue", true, func(p testParcel) bool { return state(p) != "已销号" && p.wcsx != "" && p.wcsx < lastDay }},
	}
	for _, v := range []string{"闲置满一年", "闲置满两年"} {
		measures = append(measures, measure{v, true, func(p testParcel) bool { return p.idle == v }})
	}
	for _, v := range []string{"批而未供", "供而未用", "用而未尽", "建而未投", "投而未达标"} {
		measures = append(measures, measure{v, true, func(p testParcel) bool { return p.wuwei == v }})
	}
	for _, v := range []string{"红", "橙", "黄", "绿"} {
		measures = append(measures, measure{v, false, func(p testParcel) bool { return p.warning == v }})
	}
	measures = append(measures, measure{"warning null", false, func(p testParcel) bool { return p.warning == "" }})
	for _, v := range []string{"A", "B", "C", "D", "T"} {
		measures = append(measures, measure{v, false, func(p testParcel) bool { return p.muClass == v }})
	}
	out := map[string]figure{}
	for _, m := range measures {
		var f figure
		for _, p := range ps {
			if in(p) && m.applies(p) {
				f.parcels++
				if m.withMu {
					f.mu += p.area
				}
			}
		}
		out[m.name] = f
	}
	return out
}

func compareFigures(t *testing.T, where string, got, want map[string]figure) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d measures, want %d", where, len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		if g.parcels != w.parcels || math.Abs(g.mu-w.mu) > 1e-9 {
			t.Errorf("%s %s: got %d parcels %.4f 亩, want %d parcels %.4f 亩", where, name, g.parcels, g.mu, w.parcels, w.mu)
		}
	}
}

// TestBuildReportBruteForce checks every figure of every group, for two groupings and two
// months, against a count over the parcels written from the definitions.
func TestBuildReportBruteForce(t *testing.T) {
	for _, tc := range []struct {
		month, lastDay string
		groupBy        []string
		wantKeys       [][]string
	}{
		{"2026-11", "2026-11-30", []string{"district"}, [][]string{{"智造新城"}, {"柯城区"}, {"衢江区"}, {""}}},
		{"2026-11", "2026-11-30", []string{"district", "town"}, [][]string{
			{"智造新城", "东港"}, {"智造新城", "西区"}, {"柯城区", "石室乡"}, {"柯城区", "航埠镇"}, {"柯城区", ""},
			{"衢江区", "莲花镇"}, {"衢江区", "高家镇"}, {"", ""}}},
		{"2026-12", "2026-12-31", []string{"district"}, [][]string{{"智造新城"}, {"柯城区"}, {"衢江区"}, {""}}},
		{"2026-10", "2026-10-31", []string{"town"}, [][]string{{"东港"}, {"石室乡"}, {"航埠镇"}, {"莲花镇"}, {"西区"}, {"高家镇"}, {""}}},
	} {
		t.Run(tc.month+" by "+strings.Join(tc.groupBy, "+"), func(t *testing.T) {
			rep, err := BuildReport(testRows(), tc.groupBy, MustParseMonth(tc.month), nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.From.String() != tc.month+"-01" || rep.To.String() != tc.lastDay {
				t.Errorf("report runs %s..%s, want %s-01..%s", rep.From, rep.To, tc.month, tc.lastDay)
			}
			if len(rep.Groups) != len(tc.wantKeys) {
				t.Fatalf("%d groups, want %d", len(rep.Groups), len(tc.wantKeys))
			}
			for i, g := range rep.Groups {
				if strings.Join(g.Key, "|") != strings.Join(tc.wantKeys[i], "|") {
					t.Errorf("group %d is %q, want %q", i, g.Key, tc.wantKeys[i])
				}
				key := g.Key
				in := func(p testParcel) bool {
					vals := map[string]string{"district": p.district, "town": p.town}
					for k, name := range tc.groupBy {
						if vals[name] != key[k] {
							return false
						}
					}
					return true
				}
				compareFigures(t, strings.Join(g.Key, "/"), flatten(g.Tally), bruteForce(reportParcels, in, tc.month, tc.lastDay))
			}
			compareFigures(t, "total", flatten(rep.Total), bruteForce(reportParcels, func(testParcel) bool { return true }, tc.month, tc.lastDay))
		})
	}
}

// TestBuildReportMonthBoundary pins, by hand, the parcels closed on the last day of a month and
// on the first day of the next.
func TestBuildReportMonthBoundary(t *testing.T) {
	for _, tc := range []struct {
		name, month string
		closed      int
		closedMu    float64
		overdue     int
	}{
		// P04 (15, 11-30), P07 (40, 11-01), P14 (14.5), P20 (35.5), P26 (6.5, 11-30); not P05
		// (12-01), nor P27 (reopened).
		// Overdue: P02, P06, P09, P11, P19, P25 (WCSX before 11-30); not P03 or P21 (on 11-30).
		{"last day of November counts in November", "2026-11", 5, 111.5, 6},
		// P05 (12, 12-01) only. Overdue adds P01 (12-15), P03 and P21 (11-30), P15 (12-01).
		{"first day of December counts in December", "2026-12", 1, 12, 10},
		// P12 (9.25, 10-31). Overdue: P09 (2025-01-01), P19 (06-30); not P11 (10-31).
		{"October", "2026-10", 1, 9.25, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := BuildReport(testRows(), nil, MustParseMonth(tc.month), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Groups) != 0 {
				t.Errorf("%d groups without grouping keys, want none", len(rep.Groups))
			}
			if got := rep.Total.ClosedInMonth; got.Parcels != tc.closed || got.Mu != tc.closedMu {
				t.Errorf("closed in month: %+v, want %d parcels %v 亩", got, tc.closed, tc.closedMu)
			}
			if got := rep.Total.Overdue.Parcels; got != tc.overdue {
				t.Errorf("overdue: %d parcels, want %d", got, tc.overdue)
			}
			// 柯城区 120.125 + 衢江区 125 + 智造新城 130.25 + no district 19.75.
			if got := rep.Total.All; got.Parcels != 27 || got.Mu != 395.125 {
				t.Errorf("all: %+v, want 27 parcels 395.125 亩", got)
			}
		})
	}
}

// TestBuildReportTargets checks target progress against hand-computed figures.
func TestBuildReportTargets(t *testing.T) {
	d := MustParseDate
	targets := []Target{
		// 柯城区 closed by 11-30 since 2026-01-01: P04 15 + P07 40 = 55 (P05 closed 12-01).
		// Elapsed: 2026-01-01..11-30 is 334 days of 365.
		{Group: []string{"柯城区"}, Mu: 100, Start: d("2026-01-01"), Due: d("2026-12-31")},
		// 衢江区 since 2026-11-01: P14 14.5 + P26 6.5 = 21 (P12 10-31 is before the start, P18
		// has no date). Elapsed: 30 of 61 days; 21/40 = 0.525 ≥ 0.4918.
		{Group: []string{"衢江区"}, Mu: 40, Start: d("2026-11-01"), Due: d("2026-12-31")},
		// 智造新城 without a start: P20 35.5 + P24 0.5 = 36 ≥ 30: done.
		{Group: []string{"智造新城"}, Mu: 30, Due: d("2027-06-30")},
		// All parcels without a start, not yet due: 15+40+9.25+14.5+35.5+0.5+6.5 = 121.25.
		{Mu: 500, Due: d("2027-12-31")},
		// A group with no parcels, period over at the month end: behind.
		{Group: []string{"常山县"}, Mu: 10, Due: d("2026-11-30")},
		// Period not begun: elapsed 0, on track with nothing closed since the start.
		{Group: []string{"柯城区"}, Mu: 10, Start: d("2027-01-01"), Due: d("2027-12-31")},
	}
	rep, err := BuildReport(testRows(), []string{"district"}, MustParseMonth("2026-11"), targets)
	if err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	want := []struct {
		parcels  int
		mu       float64
		progress float64
		elapsed  *float64
		status   string
	}{
		{2, 55, 0.55, f(334.0 / 365), TargetBehind},
		{2, 21, 0.525, f(30.0 / 61), TargetOnTrack},
		{2, 36, 1.2, nil, TargetDone},
		{7, 121.25, 0.2425, nil, TargetUnknown},
		{0, 0, 0, f(1), TargetBehind},
		{0, 0, 0, f(0), TargetOnTrack},
	}
	if len(rep.Targets) != len(want) {
		t.Fatalf("%d targets, want %d", len(rep.Targets), len(want))
	}
	for i, w := range want {
		g := rep.Targets[i]
		if g.ClosedParcels != w.parcels || math.Abs(g.ClosedMu-w.mu) > 1e-9 || math.Abs(g.Progress-w.progress) > 1e-12 || g.Status != w.status {
			t.Errorf("target %d: %d parcels %v 亩 progress %v %s, want %d %v %v %s", i, g.ClosedParcels, g.ClosedMu, g.Progress, g.Status, w.parcels, w.mu, w.progress, w.status)
		}
		switch {
		case (g.Elapsed == nil) != (w.elapsed == nil):
			t.Errorf("target %d: elapsed %v, want %v", i, g.Elapsed, w.elapsed)
		case g.Elapsed != nil && math.Abs(*g.Elapsed-*w.elapsed) > 1e-12:
			t.Errorf("target %d: elapsed %v, want %v", i, *g.Elapsed, *w.elapsed)
		}
	}
}

func TestBuildReportInvalid(t *testing.T) {
	d := MustParseDate
	nov := MustParseMonth("2026-11")
	for _, tc := range []struct {
		name    string
		month   Month
		groupBy []string
		targets []Target
		param   string
	}{
		{"no month", Month{}, nil, nil, "month"},
		{"blank grouping key", nov, []string{"district", " "}, nil, "group_by"},
		{"repeated grouping key", nov, []string{"district", "district"}, nil, "group_by"},
		{"target group of the wrong length", nov, []string{"district"}, []Target{{Group: []string{"a", "b"}, Mu: 1, Due: d("2027-01-01")}}, "targets[0].group"},
		{"target of zero 亩", nov, nil, []Target{{Mu: 1, Due: d("2027-01-01")}, {Mu: 0, Due: d("2027-01-01")}}, "targets[1].mu"},
		{"target of NaN 亩", nov, nil, []Target{{Mu: math.NaN(), Due: d("2027-01-01")}}, "targets[0].mu"},
		{"target of infinite 亩", nov, nil, []Target{{Mu: math.Inf(1), Due: d("2027-01-01")}}, "targets[0].mu"},
		{"target without a due date", nov, nil, []Target{{Mu: 1}}, "targets[0].due"},
		{"target starting after its due date", nov, nil, []Target{{Mu: 1, Start: d("2027-01-02"), Due: d("2027-01-01")}}, "targets[0].start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BuildReport(testRows(), tc.groupBy, tc.month, tc.targets)
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Param != tc.param {
				t.Fatalf("error %v, want a ParamError naming %s", err, tc.param)
			}
		})
	}
}

// TestReportJSON checks that every key of the report's JSON is snake_case and that areas are
// exact.
func TestReportJSON(t *testing.T) {
	rep, err := BuildReport(testRows(), []string{"district"}, MustParseMonth("2026-11"),
		[]Target{{Group: []string{"柯城区"}, Mu: 100, Start: MustParseDate("2026-01-01"), Due: MustParseDate("2026-12-31")}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !snake.MatchString(k) {
					t.Errorf("JSON key %q is not snake_case", k)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	for _, want := range []string{`"month":"2026-11"`, `"from":"2026-11-01"`, `"to":"2026-11-30"`,
		`"group_by":["district"]`, `"key":["柯城区"]`, `"closed_in_month":{"parcels":2,"mu":55}`,
		`"start":"2026-01-01"`, `"due":"2026-12-31"`, `"status":"behind"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	// A target without a start has no "start" key and a null elapsed share.
	rep, _ = BuildReport(nil, nil, MustParseMonth("2026-11"), []Target{{Mu: 1, Due: MustParseDate("2027-01-01")}})
	b, _ = json.Marshal(rep.Targets[0])
	if strings.Contains(string(b), `"start"`) || !strings.Contains(string(b), `"elapsed":null`) || !strings.Contains(string(b), `"status":"unknown"`) {
		t.Errorf("target without a start: %s", b)
	}
	// An empty report has empty lists, not null.
	b, _ = json.Marshal(rep)
	if !strings.Contains(string(b), `"groups":[]`) || !strings.Contains(string(b), `"group_by":[]`) || !strings.Contains(string(b), `"group":[]`) {
		t.Errorf("empty report: %s", b)
	}
}

func TestParseMonth(t *testing.T) {
	for _, tc := range []struct {
		in          string
		first, last string // "" when invalid
	}{
		{"2026-11", "2026-11-01", "2026-11-30"},
		{"2026-12", "2026-12-01", "2026-12-31"},
		{"2028-02", "2028-02-01", "2028-02-29"},
		{"2026-02", "2026-02-01", "2026-02-28"},
		{"2100-02", "2100-02-01", "2100-02-28"},
		{"2000-02", "2000-02-01", "2000-02-29"},
		{"0001-01", "0001-01-01", "0001-01-31"},
		{"9999-12", "9999-12-01", "9999-12-31"},
		{"2026-1", "", ""},
		{"2026-13", "", ""},
		{"2026-00", "", ""},
		{"0000-05", "", ""},
		{"2026-11-01", "", ""},
		{"2026/11", "", ""},
		{"202611", "", ""},
		{" 2026-11", "", ""},
		{"2026-1x", "", ""},
		{"+026-11", "", ""},
		{"", "", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			m, err := ParseMonth(tc.in)
			if tc.first == "" {
				if !errors.Is(err, ErrInvalidMonth) {
					t.Fatalf("ParseMonth(%q) = %v, %v; want ErrInvalidMonth", tc.in, m, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.String() != tc.in || m.First().String() != tc.first || m.Last().String() != tc.last {
				t.Errorf("%q: %s %s..%s, want %s..%s", tc.in, m, m.First(), m.Last(), tc.first, tc.last)
			}
			if !m.Contains(m.First()) || !m.Contains(m.Last()) || m.Contains(m.First().AddDays(-1)) || m.Contains(m.Last().AddDays(1)) {
				t.Errorf("%q: Contains is wrong at the boundaries", tc.in)
			}
			var back Month
			if err := back.UnmarshalText([]byte(tc.in)); err != nil || back != m {
				t.Errorf("UnmarshalText(%q) = %v, %v", tc.in, back, err)
			}
		})
	}
	var zero Month
	if !zero.IsZero() || zero.String() != "" || !zero.First().IsZero() || zero.Contains(Date{}) {
		t.Error("zero Month is not empty")
	}
	if got := MonthOf(MustParseDate("2026-02-28")); got.Year() != 2026 || got.Month() != time.February {
		t.Errorf("MonthOf = %v", got)
	}
}

// TestReportParcels reads rows from a layer: grouping keys by role, by exact and by
// case-insensitive field name; the code, state and dates from their fields; bad dates empty.
func TestReportParcels(t *testing.T) {
	layer := spatial.Layer{ID: "p", Kind: spatial.KindParcels,
		Fields: []spatial.Field{{Name: "DKBH"}, {Name: "XZQMC"}, {Name: "xzmc"}, {Name: "czzt"}, {Name: "xhrq"}, {Name: "wcsx"}, {Name: "片区"}},
		Roles:  map[string]string{"code": "DKBH", "district": "XZQMC", "disposal_state": "czzt"}}
	features := []*spatial.Feature{
		{ID: 2, Attrs: spatial.Attrs{"DKBH": "B", "XZQMC": "柯城区", "xzmc": "航埠镇", "czzt": "已销号", "xhrq": "2026-11-30", "wcsx": "2026-13-01", "片区": "一号"}.Record()},
		{ID: 1, Attrs: spatial.Attrs{"DKBH": "A", "XZQMC": " 衢江区 ", "czzt": " 处置中 ", "xhrq": int64(20261130), "wcsx": "2026-11-02"}.Record()},
	}
	for _, f := range features {
		f.Geometry = orb.Polygon{{{0, 0}, {1e-4, 0}, {1e-4, 1e-4}, {0, 0}}}
		f.Derived.AreaMu = float64(f.ID) * 1.5
	}
	sn := spatial.NewSnapshot(layer, features)
	classes := map[spatial.FeatureID]Classes{2: {Warning: Red}}
	rows := ReportParcels(sn, classes, []string{"district", "XZMC", "片区"})
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	a, b := rows[0], rows[1]
	if a.Code != "A" || a.Group["district"] != "衢江区" || a.Group["XZMC"] != "" || a.State != "处置中" ||
		!a.ClosedOn.IsZero() || a.Deadline.String() != "2026-11-02" || a.AreaMu != 1.5 || a.Classes.Warning != "" {
		t.Errorf("row A: %+v", a)
	}
	if b.Code != "B" || b.Group["district"] != "柯城区" || b.Group["XZMC"] != "航埠镇" || b.Group["片区"] != "一号" ||
		b.State != "已销号" || b.ClosedOn.String() != "2026-11-30" || !b.Deadline.IsZero() || b.AreaMu != 3 || b.Classes.Warning != Red {
		t.Errorf("row B: %+v", b)
	}
	// Without roles, district and code come from the conventional fields.
	layer.Roles = nil
	rows = ReportParcels(sn.WithLayer(layer), nil, []string{"district"})
	if rows[1].Group["district"] != "柯城区" || rows[1].Code != "B" || rows[1].State != "已销号" {
		t.Errorf("row B without roles: %+v", rows[1])
	}
}
