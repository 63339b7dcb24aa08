package campaign

import (
	"fmt"
	"math"

	"github.com/mudi-gis/mudi/spatial"
)

// parcel holds the inputs of one parcel, read once.
type parcel struct {
	approved, supplied, agreedStart, started       dateInput
	agreedCompletion, completed                    dateInput
	agreedProduction, inProduction, stopped        dateInput
	deadline                                       dateInput
	developed, invested, price, tax, taxPerMu, ydm numInput
	idleCause, fiveWei, disposalState              string
}

func read(a spatial.Getter, f Fields) parcel {
	return parcel{
		approved:         readDate(a, f.Approved, "批准日期"),
		supplied:         readDate(a, f.Supplied, "供地日期"),
		agreedStart:      readDate(a, f.AgreedStart, "约定动工日期"),
		started:          readDate(a, f.Started, "实际动工日期"),
		agreedCompletion: readDate(a, f.AgreedCompletion, "约定竣工日期"),
		completed:        readDate(a, f.Completed, "实际竣工日期"),
		agreedProduction: readDate(a, f.AgreedProduction, "约定投产日期"),
		inProduction:     readDate(a, f.InProduction, "实际投产日期"),
		stopped:          readDate(a, f.Stopped, "停工日期"),
		deadline:         readDate(a, f.Deadline, "完成时限"),
		developed:        readShare(a, f.DevelopedShare, "开发比例"),
		invested:         readShare(a, f.InvestedShare, "投资比例"),
		price:            readNumber(a, f.Price, "出让价款"),
		tax:              readNumber(a, f.Tax, "税收"),
		taxPerMu:         readNumber(a, f.TaxPerMu, "亩均税收"),
		ydm:              readNumber(a, f.AgreedTaxPerMu, "约定亩均税收"),
		idleCause:        readText(a, f.IdleCause),
		fiveWei:          readText(a, f.FiveWei),
		disposalState:    readText(a, f.DisposalState),
	}
}

// Compute returns the classes of one parcel with attributes a and area areaMu (亩, mudi's
// ellipsoidal area) as of the date asOf, reading the inputs from the fields f. Every value but
// MuClass is final; MuClass is ClassUnrated for a parcel that is not rated and "" for a rated one
// until [Rank] ranks it among its layer or group. p should be valid ([Params.Validate]); Compute
// never panics, whatever the attribute values.
func Compute(a spatial.Getter, areaMu float64, f Fields, asOf Date, p Params) Classes {
	in := read(a, f)
	var c Classes

	due, dueKnown := in.startDue(p)
	c.StartDue = due
	started := in.started.happened(asOf)
	// overdue: not started and the agreed start has passed (D > start_due, strictly).
	var pastDue cond
	if dueKnown.v == isYes {
		pastDue = when(asOf.After(due))
	} else {
		pastDue = dueKnown
	}
	overdue := and(not(started), pastDue)

	idle := in.idle(asOf, p, started, due, dueKnown)
	idle.apply(&c, in, p)

	muTax := in.muTax(areaMu)
	if muTax.v == isYes {
		v := muTax.value
		c.MuTax = &v
	} else {
		c.MuTaxReason = joinReasons(muTax.why)
	}
	c.Rated = muTax.v == isYes && in.inProduction.happened(asOf).v == isYes
	if !c.Rated {
		c.MuClass = ClassUnrated
	}

	c.Wuwei, c.WuweiReason = in.wuwei(asOf, p, started, pastDue, muTax)
	c.Warning, c.WarningReason = in.warning(asOf, p, idle, overdue)
	return c
}

// startDue is the agreed start: YDDGRQ, or else GDRQ + StartAfterSupplyYears. The cond is yes
// when it is known and unknown (with the reason) when it is not.
func (in parcel) startDue(p Params) (Date, cond) {
	switch in.agreedStart.st {
	case present:
		return in.agreedStart.d, yes
	case bad:
		return Date{}, unknown(in.agreedStart.why())
	}
	switch in.supplied.st {
	case present:
		return in.supplied.d.AddYears(p.StartAfterSupplyYears), yes
	case bad:
		return Date{}, unknown(in.agreedStart.missing() + "，" + in.supplied.why())
	}
	return Date{}, unknown("缺少" + in.agreedStart.name() + "与" + in.supplied.name())
}

// idleState is the outcome of the idle rule: unknown (known.v != isYes, with reasons), not idle,
// or idle for years whole years since the clock started.
type idleState struct {
	known cond
	idle  bool
	clock Date // start of the idle clock
	years int
}

// idle runs the idle rule. Path 1: not started (SJDGRQ missing or after asOf) and the agreed
// start known → the clock starts at the agreed start. Path 2: started, KFBL or TZBL below its
// limit, and construction stopped (TGRQ on or before asOf) → the clock starts at TGRQ. Otherwise
// the parcel is not idle. It is idle once the clock shows IdleYears whole years.
func (in parcel) idle(asOf Date, p Params, started cond, due Date, dueKnown cond) idleState {
	var clock Date
	switch started.v {
	case isUnknown:
		return idleState{known: started}
	case isNo:
		if dueKnown.v != isYes {
			return idleState{known: dueKnown}
		}
		clock = due
	case isYes:
		stopped := in.stopped.happened(asOf)
		if stopped.v != isYes {
			if stopped.v == isUnknown {
				return idleState{known: stopped}
			}
			return idleState{known: yes}
		}
		low := or(in.developed.below(p.DevelopedShareLimit), in.invested.below(p.InvestedShareLimit))
		switch low.v {
		case isUnknown:
			return idleState{known: low}
		case isNo:
			return idleState{known: yes}
		}
		clock = in.stopped.d
	}
	years := asOf.YearsSince(clock)
	if years < p.IdleYears {
		return idleState{known: yes}
	}
	return idleState{known: yes, idle: true, clock: clock, years: years}
}

// below tells whether the number is below limit; unknown when it is missing or bad.
func (in numInput) below(limit float64) cond {
	if in.st != present {
		return unknown(in.why())
	}
	return when(in.v < limit)
}

// apply writes the idle values to c.
func (s idleState) apply(c *Classes, in parcel, p Params) {
	if s.known.v != isYes {
		c.IdleReason = joinReasons(s.known.why)
		return
	}
	zero, no := 0.0, false
	if !s.idle {
		c.IdleClass, c.IdleFeeWan, c.MayReclaim = NotIdle, &zero, &no
		return
	}
	c.IdleClass = IdleOneYear
	if s.years >= p.IdleLongYears {
		c.IdleClass = IdleTwoYears
	}
	c.IdleSince = s.clock.AddYears(p.IdleYears)
	years := s.years
	c.IdleYears = &years
	if in.idleCause == GovernmentCause {
		c.IdleFeeWan, c.MayReclaim = &zero, &no
		return
	}
	reclaim := s.years >= p.IdleLongYears
	c.MayReclaim = &reclaim
	switch {
	case in.price.st != present:
		c.IdleReason = in.price.why()
	case in.price.v < 0:
		c.IdleReason = fmt.Sprintf("%s的值%s是负数", in.price.name(), in.price.quoted())
	default:
		fee := roundMoney(p.IdleFeeRate * in.price.v)
		c.IdleFeeWan = &fee
	}
}

// roundMoney rounds an amount in 万元 to 6 decimals (0.01 元), dropping the binary noise of the
// multiplication (0.2 × 333 = 66.6, not 66.60000000000001). Amounts of 10⁹ 万元 or more, where
// float64 has no 6 decimals to round, are returned as they are.
func roundMoney(v float64) float64 {
	if math.Abs(v) >= 1e9 {
		return v
	}
	return math.Round(v*1e6) / 1e6
}

// muTaxResult is 亩均税收 (when v is yes) or the reason it is unknown.
type muTaxResult struct {
	cond
	value float64
}

// muTax is SS / areaMu when SS is set, else MJSS as delivered.
func (in parcel) muTax(areaMu float64) muTaxResult {
	switch in.tax.st {
	case present:
		if !(areaMu > 0) || math.IsInf(areaMu, 0) {
			return muTaxResult{cond: unknown(fmt.Sprintf("地块面积(area_mu)不是正数，无法由%s计算亩均税收", in.tax.name()))}
		}
		v := in.tax.v / areaMu
		if math.IsInf(v, 0) {
			return muTaxResult{cond: unknown(fmt.Sprintf("%s的值%s除以面积超出数值范围", in.tax.name(), in.tax.quoted()))}
		}
		return muTaxResult{cond: yes, value: v}
	case bad:
		return muTaxResult{cond: unknown(in.tax.why())}
	}
	switch in.taxPerMu.st {
	case present:
		return muTaxResult{cond: yes, value: in.taxPerMu.v}
	case bad:
		return muTaxResult{cond: unknown(in.tax.missing() + "，" + in.taxPerMu.why())}
	}
	return muTaxResult{cond: unknown("缺少" + in.tax.name() + "与" + in.taxPerMu.name())}
}

// passed tells whether asOf is after the date (strictly); unknown when it is missing or bad.
func (in dateInput) passed(asOf Date) cond {
	if in.st != present {
		return unknown(in.why())
	}
	return when(asOf.After(in.d))
}

// wuwei returns the first 五未 class that applies, in lifecycle order, or "" when none does. When
// a rule cannot be decided before one applies, the class is "" and the reason names the inputs.
func (in parcel) wuwei(asOf Date, p Params, started, pastDue cond, muTax muTaxResult) (string, string) {
	supplied := in.supplied.happened(asOf)
	completed := in.completed.happened(asOf)
	producing := in.inProduction.happened(asOf)

	approved := or(in.approved.happened(asOf), when(in.fiveWei == ApprovedNotSupplied))
	var checkDue cond // in production for TaxCheckYears by asOf
	switch in.inProduction.st {
	case present:
		checkDue = when(!asOf.Before(in.inProduction.d.AddYears(p.TaxCheckYears)))
	case bad:
		checkDue = unknown(in.inProduction.why())
	default:
		checkDue = no
	}
	// The rules in order, each evaluated only when the ones before it do not apply.
	for class := range 5 {
		var c cond
		switch class {
		case 0:
			c = and(approved, not(supplied))
		case 1:
			c = and(supplied, not(started), pastDue)
		case 2:
			c = and(started, not(completed), in.agreedCompletion.passed(asOf))
		case 3:
			c = and(completed, not(producing), in.agreedProduction.passed(asOf))
		case 4:
			c = and(checkDue, in.belowPar(muTax))
		}
		switch c.v {
		case isYes:
			return wuweiClasses[class], ""
		case isUnknown:
			return "", joinReasons(c.why)
		}
	}
	return "", ""
}

// wuweiClasses are the 五未 classes in lifecycle order.
var wuweiClasses = [5]string{ApprovedNotSupplied, SuppliedNotUsed, UsedNotFinished, BuiltNotProducing, ProducingBelowPar}

// belowPar tells whether 亩均税收 is below the agreed figure YDMJSS; unknown when either is
// missing.
func (in parcel) belowPar(muTax muTaxResult) cond {
	if muTax.v == isYes && in.ydm.st == present {
		return when(muTax.value < in.ydm.v)
	}
	var why []string
	if muTax.v != isYes {
		why = append(why, muTax.why...)
	}
	if in.ydm.st != present {
		why = append(why, in.ydm.why())
	}
	return unknown(why...)
}

// warning returns the first colour that applies; "" with no reason for a closed-off parcel, and
// "" with the reasons when no colour applied but a rule could not be evaluated.
func (in parcel) warning(asOf Date, p Params, idle idleState, overdue cond) (string, string) {
	if in.disposalState == ClosedOff {
		return "", ""
	}
	idleFor := func(years int) cond {
		if idle.known.v != isYes {
			return idle.known
		}
		return when(idle.idle && idle.years >= years)
	}
	// The ledger deadline: a parcel without one has no deadline to miss.
	deadlinePassed, deadlineNear := no, no
	switch in.deadline.st {
	case present:
		deadlinePassed = when(in.deadline.d.Before(asOf))
		deadlineNear = when(!in.deadline.d.Before(asOf) && !in.deadline.d.After(asOf.AddDays(p.WarningDays)))
	case bad:
		deadlinePassed = unknown(in.deadline.why())
		deadlineNear = deadlinePassed
	}
	rules := []struct {
		colour string
		c      cond
	}{
		{Red, or(and(idleFor(p.IdleLongYears), when(in.idleCause != GovernmentCause)), deadlinePassed)},
		{Orange, idleFor(p.IdleYears)},
		{Yellow, or(overdue, deadlineNear)},
	}
	var why []string
	for _, r := range rules {
		switch r.c.v {
		case isYes:
			return r.colour, ""
		case isUnknown:
			why = append(why, r.c.why...)
		}
	}
	if len(why) > 0 {
		return "", joinReasons(why)
	}
	return Green, ""
}
