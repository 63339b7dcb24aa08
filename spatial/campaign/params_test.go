package campaign

import (
	"errors"
	"math"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
)

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Params{IdleFeeRate: 0.2, IdleYears: 1, IdleLongYears: 2, StartAfterSupplyYears: 1,
		DevelopedShareLimit: 1.0 / 3, InvestedShareLimit: 0.25, TaxCheckYears: 1, WarningDays: 30,
		CutA: 0.20, CutB: 0.60, CutC: 0.95}
	if p != want {
		t.Errorf("DefaultParams() = %+v, want %+v", p, want)
	}
}

func TestParamsValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Params)
		param  string // "" when valid
	}{
		{"fee rate 0", func(p *Params) { p.IdleFeeRate = 0 }, ""},
		{"fee rate 1", func(p *Params) { p.IdleFeeRate = 1 }, ""},
		{"negative fee rate", func(p *Params) { p.IdleFeeRate = -0.1 }, "idle_fee_rate"},
		{"fee rate over 1", func(p *Params) { p.IdleFeeRate = 1.5 }, "idle_fee_rate"},
		{"NaN fee rate", func(p *Params) { p.IdleFeeRate = math.NaN() }, "idle_fee_rate"},
		{"idle years 0", func(p *Params) { p.IdleYears = 0 }, "idle_years"},
		{"long idle not longer", func(p *Params) { p.IdleLongYears = 1 }, "idle_long_years"},
		{"idle years 2 and 3", func(p *Params) { p.IdleYears, p.IdleLongYears = 2, 3 }, ""},
		{"negative supply term", func(p *Params) { p.StartAfterSupplyYears = -1 }, "start_after_supply_years"},
		{"developed share limit 0", func(p *Params) { p.DevelopedShareLimit = 0 }, "developed_share_limit"},
		{"developed share limit infinite", func(p *Params) { p.DevelopedShareLimit = math.Inf(1) }, "developed_share_limit"},
		{"invested share limit over 1", func(p *Params) { p.InvestedShareLimit = 1.01 }, "invested_share_limit"},
		{"negative tax check term", func(p *Params) { p.TaxCheckYears = -1 }, "tax_check_years"},
		{"warning window 0", func(p *Params) { p.WarningDays = 0 }, ""},
		{"negative warning window", func(p *Params) { p.WarningDays = -1 }, "warning_days"},
		{"cut A 0", func(p *Params) { p.CutA = 0 }, "cut_a"},
		{"cut B below cut A", func(p *Params) { p.CutB = 0.1 }, "cut_b"},
		{"cut C below cut B", func(p *Params) { p.CutC = 0.5 }, "cut_c"},
		{"cut C over 1", func(p *Params) { p.CutC = 1.2 }, "cut_c"},
		{"equal cuts", func(p *Params) { p.CutA, p.CutB, p.CutC = 0.5, 0.5, 0.5 }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.change(&p)
			err := p.Validate()
			if tc.param == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate = %v, want a *ParamError", err)
			}
			if pe.Param != tc.param {
				t.Errorf("error names %q, want %q (%v)", pe.Param, tc.param, err)
			}
		})
	}
}

// TestParamsChangeTheRules runs one parcel with other thresholds than the defaults.
func TestParamsChangeTheRules(t *testing.T) {
	a := spatial.Attrs{"GDRQ": "2023-01-01", "SJDGRQ": "2024-01-01", "KFBL": 0.4, "TZBL": 0.3,
		"TGRQ": "2024-06-30", "YDJGRQ": "2030-01-01", "CRJK": 333.0, "WCSX": "2026-08-14"}
	p := DefaultParams()
	p.IdleFeeRate, p.DevelopedShareLimit, p.IdleLongYears, p.WarningDays, p.StartAfterSupplyYears = 0.1, 0.5, 3, 45, 2
	// KFBL 0.4 < 0.5 now; 2 whole years to d1 < 3: 闲置满一年, fee 0.1 × 333 = 33.3; WCSX = d1 + 45.
	checkClasses(t, Compute(a, 10, DefaultFields(), d1, p),
		"start_due=2025-01-01 idle_class=闲置满一年 idle_since=2025-06-30 idle_years=2 idle_fee_wan=33.3 may_reclaim=false "+
			"warning=橙 "+noTax)
	// The same parcel with the defaults: KFBL 0.4 and TZBL 0.3 are above their limits.
	checkClasses(t, Compute(a, 10, DefaultFields(), d1, DefaultParams()),
		"start_due=2024-01-01 "+notIdle+" warning=绿 "+noTax)
}

func TestFieldsOf(t *testing.T) {
	if got := FieldsOf(nil); got != DefaultFields() {
		t.Errorf("FieldsOf(nil) = %+v", got)
	}
	l := &spatial.Layer{
		Fields: []spatial.Field{{Name: "gdrq"}, {Name: "YDDGRQ"}, {Name: "Sjtcrq"}, {Name: "ss"}, {Name: "亩均"}, {Name: "WW"}},
		Roles: map[string]string{spatial.RoleTax: "ss", spatial.RoleTaxPerMu: "亩均", spatial.RoleFiveWei: "WW",
			spatial.RoleDisposalState: "", spatial.RoleDistrict: "XZQDM"},
	}
	want := DefaultFields()
	want.Supplied, want.InProduction, want.Tax, want.TaxPerMu, want.FiveWei = "gdrq", "Sjtcrq", "ss", "亩均", "WW"
	if got := FieldsOf(l); got != want {
		t.Errorf("FieldsOf = %+v\nwant      %+v", got, want)
	}
}

func TestKeysAndEach(t *testing.T) {
	want := []string{"start_due", "idle_class", "idle_since", "idle_years", "idle_fee_wan", "may_reclaim",
		"wuwei", "mu_tax", "mu_class", "warning", "idle_reason", "wuwei_reason", "mu_tax_reason", "warning_reason"}
	if len(Keys) != len(want) {
		t.Fatalf("Keys = %v", Keys)
	}
	var zero []string
	Classes{}.Each(func(k string, v any) {
		zero = append(zero, k)
		if v != nil {
			t.Errorf("zero Classes: %s = %v, want null", k, v)
		}
	})
	for i := range want {
		if Keys[i] != want[i] || zero[i] != want[i] {
			t.Errorf("key %d: Keys %s, Each %s, want %s", i, Keys[i], zero[i], want[i])
		}
	}
	years, fee, reclaim, tax := 2, 12.5, true, 3.25
	c := Classes{StartDue: MustParseDate("2024-01-01"), IdleClass: IdleTwoYears, IdleSince: MustParseDate("2025-01-01"),
		IdleYears: &years, IdleFeeWan: &fee, MayReclaim: &reclaim, Wuwei: SuppliedNotUsed, MuTax: &tax, MuClass: ClassB,
		Warning: Red}
	m := c.Map()
	for k, v := range map[string]any{"start_due": "2024-01-01", "idle_class": "闲置满两年", "idle_since": "2025-01-01",
		"idle_years": int64(2), "idle_fee_wan": 12.5, "may_reclaim": true, "wuwei": "供而未用", "mu_tax": 3.25,
		"mu_class": "B", "warning": "红", "idle_reason": nil, "wuwei_reason": nil, "mu_tax_reason": nil,
		"warning_reason": nil} {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
}
