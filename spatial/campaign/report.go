package campaign

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Disposal states (CZZT) before [ClosedOff], in workflow order: 未启动 → 处置中 → 待核验 → 已销号.
const (
	DisposalNotStarted    = "未启动"
	DisposalInProgress    = "处置中"
	DisposalAwaitingCheck = "待核验"
)

// ReportParcel is one parcel as it stood at the end of a report's month: its ledger rebuilt as of
// the last day of the month and its classes computed as of that day ([ComputeLayer]).
// [ReportParcels] builds them from a layer snapshot.
type ReportParcel struct {
	// Code is the parcel's business code (role code).
	Code string `json:"code"`
	// Group holds the parcel's value of each grouping key (e.g. "district" → 柯城区); a key it
	// lacks, or a blank value, puts it in the group of parcels with no value.
	Group map[string]string `json:"group"`
	// AreaMu is the parcel's area in 亩 (mudi's ellipsoidal area).
	AreaMu float64 `json:"area_mu"`
	// Classes are the computed classes as of the month end. They are not serialised here;
	// [Classes.Map] publishes them.
	Classes Classes `json:"-"`
	// State is the disposal state CZZT: one of [DisposalNotStarted], [DisposalInProgress],
	// [DisposalAwaitingCheck], [ClosedOff], or "" when the field is empty.
	State string `json:"disposal_state"`
	// ClosedOn is the close-off date XHRQ (zero when empty).
	ClosedOn Date `json:"closed_on,omitzero"`
	// Deadline is the ledger deadline WCSX (zero when empty).
	Deadline Date `json:"deadline,omitzero"`
}

// Count is a number of parcels and their area.
type Count struct {
	Parcels int     `json:"parcels"`
	Mu      float64 `json:"mu"` // 亩, the exact sum of the parcels' areas
}

func (c *Count) add(mu float64) { c.Parcels++; c.Mu += mu }

func (c *Count) merge(o Count) { c.Parcels += o.Parcels; c.Mu += o.Mu }

// StateCounts counts parcels by disposal state (CZZT). Unset counts an empty state (未填);
// Other a value that is none of the four states.
type StateCounts struct {
	NotStarted    Count `json:"not_started"`    // 未启动
	InProgress    Count `json:"in_progress"`    // 处置中
	AwaitingCheck Count `json:"awaiting_check"` // 待核验
	ClosedOff     Count `json:"closed_off"`     // 已销号
	Unset         Count `json:"unset"`          // 未填
	Other         Count `json:"other"`          // 其他
}

// IdleCounts counts idle parcels by idle class.
type IdleCounts struct {
	OneYear  Count `json:"one_year"`  // 闲置满一年
	TwoYears Count `json:"two_years"` // 闲置满两年
}

// WuweiCounts counts parcels by 五未 class.
type WuweiCounts struct {
	ApprovedNotSupplied Count `json:"approved_not_supplied"` // 批而未供
	SuppliedNotUsed     Count `json:"supplied_not_used"`     // 供而未用
	UsedNotFinished     Count `json:"used_not_finished"`     // 用而未尽
	BuiltNotProducing   Count `json:"built_not_producing"`   // 建而未投
	ProducingBelowPar   Count `json:"producing_below_par"`   // 投而未达标
}

// WarningCounts counts parcels by warning colour. None counts a null warning: closed-off
// parcels and those whose warning could not be decided.
type WarningCounts struct {
	Red    int `json:"red"`    // 红
	Orange int `json:"orange"` // 橙
	Yellow int `json:"yellow"` // 黄
	Green  int `json:"green"`  // 绿
	None   int `json:"none"`   // 无
}

// MuClassCounts counts parcels by 亩均 class. A parcel that is rated but was not ranked
// (MuClass "") is in none of them.
type MuClassCounts struct {
	A int `json:"a"`
	B int `json:"b"`
	C int `json:"c"`
	D int `json:"d"`
	T int `json:"t"` // 未评价
}

// Tally holds the figures of a report for one group of parcels, or for all of them.
type Tally struct {
	// All counts every parcel.
	All Count `json:"all"`
	// State counts the parcels by disposal state.
	State StateCounts `json:"state"`
	// ClosedInMonth counts the parcels closed off in the month: state 已销号 and XHRQ within
	// the month (first to last day inclusive). A parcel reopened since is no longer 已销号 and
	// is not counted.
	ClosedInMonth Count `json:"closed_in_month"`
	// Overdue counts the parcels past their deadline at the month end: WCSX before the last day
	// of the month (a deadline on that day is not yet missed) and state not 已销号.
	Overdue Count `json:"overdue"`
	// Idle counts the idle parcels by idle class.
	Idle IdleCounts `json:"idle"`
	// Wuwei counts the parcels by 五未 class.
	Wuwei WuweiCounts `json:"wuwei"`
	// Warning counts the parcels by warning colour.
	Warning WarningCounts `json:"warning"`
	// MuClass counts the parcels by 亩均 class.
	MuClass MuClassCounts `json:"mu_class"`
}

// add counts one parcel of month m.
func (t *Tally) add(r *ReportParcel, m Month) {
	mu := r.AreaMu
	t.All.add(mu)
	state := strings.TrimSpace(r.State)
	switch state {
	case DisposalNotStarted:
		t.State.NotStarted.add(mu)
	case DisposalInProgress:
		t.State.InProgress.add(mu)
	case DisposalAwaitingCheck:
		t.State.AwaitingCheck.add(mu)
	case ClosedOff:
		t.State.ClosedOff.add(mu)
	case "":
		t.State.Unset.add(mu)
	default:
		t.State.Other.add(mu)
	}
	if state == ClosedOff && m.Contains(r.ClosedOn) {
		t.ClosedInMonth.add(mu)
	}
	if state != ClosedOff && !r.Deadline.IsZero() && r.Deadline.Before(m.Last()) {
		t.Overdue.add(mu)
	}
	switch r.Classes.IdleClass {
	case IdleOneYear:
		t.Idle.OneYear.add(mu)
	case IdleTwoYears:
		t.Idle.TwoYears.add(mu)
	}
	switch r.Classes.Wuwei {
	case ApprovedNotSupplied:
		t.Wuwei.ApprovedNotSupplied.add(mu)
	case SuppliedNotUsed:
		t.Wuwei.SuppliedNotUsed.add(mu)
	case UsedNotFinished:
		t.Wuwei.UsedNotFinished.add(mu)
	case BuiltNotProducing:
		t.Wuwei.BuiltNotProducing.add(mu)
	case ProducingBelowPar:
		t.Wuwei.ProducingBelowPar.add(mu)
	}
	switch r.Classes.Warning {
	case Red:
		t.Warning.Red++
	case Orange:
		t.Warning.Orange++
	case Yellow:
		t.Warning.Yellow++
	case Green:
		t.Warning.Green++
	default:
		t.Warning.None++
	}
	switch r.Classes.MuClass {
	case ClassA:
		t.MuClass.A++
	case ClassB:
		t.MuClass.B++
	case ClassC:
		t.MuClass.C++
	case ClassD:
		t.MuClass.D++
	case ClassUnrated:
		t.MuClass.T++
	}
}

// merge adds the figures of o to t.
func (t *Tally) merge(o *Tally) {
	to, from := t.counts(), o.counts()
	for i := range to {
		to[i].merge(*from[i])
	}
	ti, fi := t.ints(), o.ints()
	for i := range ti {
		*ti[i] += *fi[i]
	}
}

// counts returns pointers to every Count of t.
func (t *Tally) counts() []*Count {
	return []*Count{&t.All, &t.State.NotStarted, &t.State.InProgress, &t.State.AwaitingCheck,
		&t.State.ClosedOff, &t.State.Unset, &t.State.Other, &t.ClosedInMonth, &t.Overdue,
		&t.Idle.OneYear, &t.Idle.TwoYears, &t.Wuwei.ApprovedNotSupplied, &t.Wuwei.SuppliedNotUsed,
		&t.Wuwei.UsedNotFinished, &t.Wuwei.BuiltNotProducing, &t.Wuwei.ProducingBelowPar}
}

// ints returns pointers to every parcel count of t that has no area.
func (t *Tally) ints() []*int {
	return []*int{&t.Warning.Red, &t.Warning.Orange, &t.Warning.Yellow, &t.Warning.Green,
		&t.Warning.None, &t.MuClass.A, &t.MuClass.B, &t.MuClass.C, &t.MuClass.D, &t.MuClass.T}
}

// GroupTally is the tally of one group: the parcels with the same values of the grouping keys.
type GroupTally struct {
	// Key holds the group's values of the report's GroupBy keys, in order; "" for parcels with
	// no value.
	Key []string `json:"key"`
	Tally
}

// Target is a disposal target of a group: Mu 亩 to close off by Due, counted from Start.
type Target struct {
	// Group holds the values of the report's GroupBy keys that select the group, in order; an
	// empty Group targets all parcels of the report.
	Group []string `json:"group"`
	// Mu is the area to dispose of, in 亩 (positive).
	Mu float64 `json:"mu"`
	// Start is the first day of the target period; zero when the target has none.
	Start Date `json:"start,omitzero"`
	// Due is the last day of the target period.
	Due Date `json:"due"`
}

// Target statuses ([Progress.Status]).
const (
	TargetDone    = "done"     // the target's area is closed off
	TargetOnTrack = "on_track" // progress at least the elapsed share of the period
	TargetBehind  = "behind"   // progress below the elapsed share, or the period is over
	TargetUnknown = "unknown"  // no start date and the period is not over: no elapsed share
)

// Progress is a target's progress at the end of a report's month.
//
// ClosedParcels and ClosedMu count the parcels of the target's group whose state is 已销号 with
// a close-off date XHRQ on or before the month end and, when the target has a Start, on or
// after Start; a 已销号 parcel without XHRQ is not counted. Progress = ClosedMu / Mu (it may
// exceed 1).
//
// Elapsed is the share of the target period that has passed by the month end, counting whole
// days with both ends included: (days from Start to the month end + 1) / (days from Start to
// Due + 1), 0 before Start and 1 from Due on. Without a Start it is 1 from Due on and null
// before.
//
// Status: [TargetDone] when Progress ≥ 1; otherwise [TargetOnTrack] when Progress ≥ Elapsed,
// [TargetBehind] when Progress < Elapsed (always so once the period is over), and
// [TargetUnknown] when Elapsed is null.
type Progress struct {
	Target
	ClosedParcels int      `json:"closed_parcels"`
	ClosedMu      float64  `json:"closed_mu"`
	Progress      float64  `json:"progress"`
	Elapsed       *float64 `json:"elapsed"`
	Status        string   `json:"status"`
}

// Report is the monthly report of a campaign: the figures per group and in total at the end of
// Month, and the progress of the targets.
type Report struct {
	Month Month `json:"month"`
	From  Date  `json:"from"` // first day of Month
	To    Date  `json:"to"`   // last day of Month: the day the ledger and classes stand as of
	// GroupBy names the grouping keys (e.g. ["district"] or ["district", "town"]); empty for a
	// report of the total alone.
	GroupBy []string `json:"group_by"`
	// Groups are the groups sorted by Key: value by value, in byte order of the UTF-8 text, the
	// group without a value after the others. Empty when GroupBy is.
	Groups []GroupTally `json:"groups"`
	// Total is the tally of all parcels: the sum of the groups, added in their order.
	Total   Tally      `json:"total"`
	Targets []Progress `json:"targets"`
}

// BuildReport aggregates the parcels rows, as they stood at the end of month, by the values of
// the keys groupBy, and computes the progress of the targets (see [Tally], [Progress]). Areas
// are exact sums, not rounded. It returns a [*ParamError] naming "month", "group_by" or the
// target ("targets[2].mu") when month is zero, a grouping key is blank or repeated, or a target
// has a group of the wrong length, a Mu that is not a positive number, no Due, or a Start after
// its Due.
func BuildReport(rows []ReportParcel, groupBy []string, month Month, targets []Target) (Report, error) {
	if month.IsZero() {
		return Report{}, &ParamError{Param: "month", Reason: "is required (YYYY-MM)"}
	}
	seen := map[string]bool{}
	for _, k := range groupBy {
		if strings.TrimSpace(k) == "" {
			return Report{}, &ParamError{Param: "group_by", Reason: "a grouping key is blank"}
		}
		if seen[k] {
			return Report{}, &ParamError{Param: "group_by", Reason: fmt.Sprintf("%q is repeated", k)}
		}
		seen[k] = true
	}
	for i, t := range targets {
		name := fmt.Sprintf("targets[%d]", i)
		switch {
		case len(t.Group) != 0 && len(t.Group) != len(groupBy):
			return Report{}, &ParamError{Param: name + ".group", Reason: fmt.Sprintf("has %d values for %d grouping keys", len(t.Group), len(groupBy))}
		case !(t.Mu > 0) || math.IsInf(t.Mu, 0):
			return Report{}, &ParamError{Param: name + ".mu", Reason: "must be a positive number of 亩"}
		case t.Due.IsZero():
			return Report{}, &ParamError{Param: name + ".due", Reason: "is required (YYYY-MM-DD)"}
		case t.Start.After(t.Due):
			return Report{}, &ParamError{Param: name + ".start", Reason: fmt.Sprintf("%s is after the due date %s", t.Start, t.Due)}
		}
	}

	rep := Report{Month: month, From: month.First(), To: month.Last(), GroupBy: append([]string{}, groupBy...),
		Groups: []GroupTally{}, Targets: []Progress{}}
	byKey := map[string]*GroupTally{}
	keys := make([]string, len(rows)) // each row's joined group key
	for i := range rows {
		r := &rows[i]
		vals := groupValues(r, groupBy)
		k := strings.Join(vals, "\x00")
		keys[i] = k
		g := byKey[k]
		if g == nil {
			g = &GroupTally{Key: vals}
			byKey[k] = g
		}
		g.add(r, month)
	}
	groups := make([]*GroupTally, 0, len(byKey))
	for _, g := range byKey {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool { return compareKeys(groups[i].Key, groups[j].Key) < 0 })
	for _, g := range groups {
		rep.Total.merge(&g.Tally)
		if len(groupBy) > 0 {
			rep.Groups = append(rep.Groups, *g)
		}
	}

	for _, t := range targets {
		want := strings.Join(t.Group, "\x00")
		p := Progress{Target: t}
		p.Group = append([]string{}, t.Group...)
		for i := range rows {
			r := &rows[i]
			if len(t.Group) > 0 && keys[i] != want {
				continue
			}
			if strings.TrimSpace(r.State) != ClosedOff || r.ClosedOn.IsZero() || r.ClosedOn.After(rep.To) ||
				(!t.Start.IsZero() && r.ClosedOn.Before(t.Start)) {
				continue
			}
			p.ClosedParcels++
			p.ClosedMu += r.AreaMu
		}
		p.Progress = p.ClosedMu / t.Mu
		p.Elapsed = elapsed(t, rep.To)
		switch {
		case p.Progress >= 1:
			p.Status = TargetDone
		case p.Elapsed == nil:
			p.Status = TargetUnknown
		case p.Progress >= *p.Elapsed:
			p.Status = TargetOnTrack
		default:
			p.Status = TargetBehind
		}
		rep.Targets = append(rep.Targets, p)
	}
	return rep, nil
}

// groupValues returns the row's values of the grouping keys, trimmed.
func groupValues(r *ReportParcel, groupBy []string) []string {
	vals := make([]string, len(groupBy))
	for i, k := range groupBy {
		vals[i] = strings.TrimSpace(r.Group[k])
	}
	return vals
}

// compareKeys orders group keys value by value: non-empty values in byte order, then "".
func compareKeys(a, b []string) int {
	for i := range a {
		x, y := a[i], b[i]
		switch {
		case x == y:
			continue
		case x == "":
			return 1
		case y == "":
			return -1
		}
		return strings.Compare(x, y)
	}
	return 0
}

// elapsed is the share of the target period passed by the day end (see [Progress]).
func elapsed(t Target, end Date) *float64 {
	var v float64
	switch {
	case !end.Before(t.Due):
		v = 1
	case t.Start.IsZero():
		return nil
	case end.Before(t.Start):
		v = 0
	default:
		v = float64(end.DaysSince(t.Start)+1) / float64(t.Due.DaysSince(t.Start)+1)
	}
	return &v
}
