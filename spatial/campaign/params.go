package campaign

import (
	"fmt"
	"math"
)

// Params holds every threshold of the computed classes. [DefaultParams] gives the values of the
// policy; a caller may change any of them and must then call [Params.Validate]. The JSON names
// are the names under which a request or a configuration file sets them, and the names
// [ParamError] reports.
type Params struct {
	// IdleFeeRate is the idle-land fee as a share of the land price CRJK (0.2: 20 %).
	IdleFeeRate float64 `json:"idle_fee_rate"`
	// IdleYears is the whole number of years without construction after which a parcel is
	// 闲置满一年 (1); IdleLongYears the number after which it is 闲置满两年 and may be reclaimed (2).
	IdleYears     int `json:"idle_years"`
	IdleLongYears int `json:"idle_long_years"`
	// StartAfterSupplyYears is the term from supply (GDRQ) to the agreed start when the start
	// date itself was not recorded (1 year).
	StartAfterSupplyYears int `json:"start_after_supply_years"`
	// DevelopedShareLimit and InvestedShareLimit: a started parcel whose developed-area share
	// (KFBL) or invested share (TZBL) is below its limit and whose construction stopped is on the
	// idle clock (1/3 and 0.25). Shares are fractions 0..1.
	DevelopedShareLimit float64 `json:"developed_share_limit"`
	InvestedShareLimit  float64 `json:"invested_share_limit"`
	// TaxCheckYears is the time in production after which the agreed tax per 亩 (YDMJSS) is
	// checked (1 year; 投而未达标).
	TaxCheckYears int `json:"tax_check_years"`
	// WarningDays is the window before the ledger deadline WCSX that warns yellow (30 days).
	WarningDays int `json:"warning_days"`
	// CutA, CutB and CutC divide the ranking by tax per 亩: a parcel at relative position p
	// (0 = best) is A if p < CutA, B if p < CutB, C if p < CutC, else D (0.20, 0.60, 0.95).
	CutA float64 `json:"cut_a"`
	CutB float64 `json:"cut_b"`
	CutC float64 `json:"cut_c"`
}

// DefaultParams returns the thresholds of the policy.
func DefaultParams() Params {
	return Params{
		IdleFeeRate:           0.2,
		IdleYears:             1,
		IdleLongYears:         2,
		StartAfterSupplyYears: 1,
		DevelopedShareLimit:   1.0 / 3,
		InvestedShareLimit:    0.25,
		TaxCheckYears:         1,
		WarningDays:           30,
		CutA:                  0.20,
		CutB:                  0.60,
		CutC:                  0.95,
	}
}

// ParamError reports an invalid parameter by its JSON name (e.g. "cut_b").
type ParamError struct {
	Param  string // JSON name of the parameter
	Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("campaign: parameter %s: %s", e.Param, e.Reason)
}

// Validate checks every parameter and returns a [*ParamError] naming the first invalid one:
// rates, shares and cuts must be finite; 0 ≤ idle_fee_rate ≤ 1; 0 < each share limit ≤ 1;
// 1 ≤ idle_years < idle_long_years ≤ 100; 0 ≤ start_after_supply_years, tax_check_years ≤ 100;
// 0 ≤ warning_days ≤ 3660; 0 < cut_a ≤ cut_b ≤ cut_c ≤ 1.
func (p Params) Validate() error {
	bad := func(name, reason string) error { return &ParamError{Param: name, Reason: reason} }
	for _, v := range []struct {
		name string
		v    float64
	}{
		{"idle_fee_rate", p.IdleFeeRate}, {"developed_share_limit", p.DevelopedShareLimit},
		{"invested_share_limit", p.InvestedShareLimit}, {"cut_a", p.CutA}, {"cut_b", p.CutB},
		{"cut_c", p.CutC},
	} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return bad(v.name, "must be a finite number")
		}
	}
	switch {
	case p.IdleFeeRate < 0 || p.IdleFeeRate > 1:
		return bad("idle_fee_rate", "must be between 0 and 1")
	case p.IdleYears < 1 || p.IdleYears > 100:
		return bad("idle_years", "must be between 1 and 100")
	case p.IdleLongYears <= p.IdleYears || p.IdleLongYears > 100:
		return bad("idle_long_years", "must be greater than idle_years and at most 100")
	case p.StartAfterSupplyYears < 0 || p.StartAfterSupplyYears > 100:
		return bad("start_after_supply_years", "must be between 0 and 100")
	case p.DevelopedShareLimit <= 0 || p.DevelopedShareLimit > 1:
		return bad("developed_share_limit", "must be greater than 0 and at most 1")
	case p.InvestedShareLimit <= 0 || p.InvestedShareLimit > 1:
		return bad("invested_share_limit", "must be greater than 0 and at most 1")
	case p.TaxCheckYears < 0 || p.TaxCheckYears > 100:
		return bad("tax_check_years", "must be between 0 and 100")
	case p.WarningDays < 0 || p.WarningDays > 3660:
		return bad("warning_days", "must be between 0 and 3660")
	case p.CutA <= 0 || p.CutA > 1:
		return bad("cut_a", "must be greater than 0 and at most 1")
	case p.CutB < p.CutA || p.CutB > 1:
		return bad("cut_b", "must be at least cut_a and at most 1")
	case p.CutC < p.CutB || p.CutC > 1:
		return bad("cut_c", "must be at least cut_b and at most 1")
	}
	return nil
}
