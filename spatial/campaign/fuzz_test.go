package campaign

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
)

// fuzzFields are the default input fields, in a fixed order.
var fuzzFields = func() []string {
	f := DefaultFields()
	var out []string
	for _, p := range f.all() {
		out = append(out, *p)
	}
	return out
}()

// attrsFrom builds attributes for every input field from fuzz data: kinds[i] picks what field i
// holds (absent, null, the string s, the number n as float64 or int64, a boolean, a valid date
// near 2026, the number as a string, or a near-miss date).
func attrsFrom(kinds []byte, s string, n float64, i int64) spatial.Attrs {
	a := spatial.Attrs{}
	base := MustParseDate("2026-01-01")
	for j, field := range fuzzFields {
		var k byte
		if len(kinds) > 0 {
			k = kinds[j%len(kinds)] + byte(j)
		}
		switch k % 10 {
		case 0:
		case 1:
			a[field] = nil
		case 2:
			a[field] = s
		case 3:
			a[field] = n
		case 4:
			a[field] = i
		case 5:
			a[field] = i%2 == 0
		case 6, 7:
			a[field] = base.AddDays(int((i+int64(j)*97)%4000) - 2000).String()
		case 8:
			a[field] = spatial.Attrs{"x": n}.String("x")
		case 9:
			a[field] = "2026-02-" + s
		}
	}
	return a
}

// checkInvariants checks what must hold for any parcel, whatever its attributes.
func checkInvariants(tb testing.TB, c Classes) {
	tb.Helper()
	n := 0
	c.Each(func(k string, v any) {
		n++
		switch v.(type) {
		case nil, string, int64, float64, bool:
		default:
			tb.Errorf("%s has type %T", k, v)
		}
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			tb.Errorf("%s = %v", k, f)
		}
	})
	if n != len(Keys) {
		tb.Errorf("Each called fn %d times", n)
	}
	switch c.IdleClass {
	case "":
		if c.IdleReason == "" || c.IdleYears != nil || c.IdleFeeWan != nil || c.MayReclaim != nil || !c.IdleSince.IsZero() {
			tb.Errorf("unknown idle class with values or without a reason: %+v", c)
		}
	case NotIdle:
		if c.IdleYears != nil || !c.IdleSince.IsZero() || c.IdleFeeWan == nil || *c.IdleFeeWan != 0 ||
			c.MayReclaim == nil || *c.MayReclaim || c.IdleReason != "" {
			tb.Errorf("not idle with idle values: %+v", c)
		}
	case IdleOneYear, IdleTwoYears:
		if c.IdleYears == nil || *c.IdleYears < 1 || c.IdleSince.IsZero() || c.MayReclaim == nil {
			tb.Errorf("idle without idle values: %+v", c)
		}
		if (c.IdleFeeWan == nil) != (c.IdleReason != "") {
			tb.Errorf("idle fee %v with reason %q", c.IdleFeeWan, c.IdleReason)
		}
		if c.IdleYears != nil && (*c.IdleYears >= 2) != (c.IdleClass == IdleTwoYears) {
			tb.Errorf("%d years is not %s", *c.IdleYears, c.IdleClass)
		}
	default:
		tb.Errorf("idle class %q", c.IdleClass)
	}
	switch c.Wuwei {
	case "", ApprovedNotSupplied, SuppliedNotUsed, UsedNotFinished, BuiltNotProducing, ProducingBelowPar:
	default:
		tb.Errorf("wuwei %q", c.Wuwei)
	}
	if c.Wuwei != "" && c.WuweiReason != "" {
		tb.Errorf("wuwei %s with a reason %q", c.Wuwei, c.WuweiReason)
	}
	if (c.MuTax == nil) == (c.MuTaxReason == "") {
		tb.Errorf("mu_tax %v with reason %q", c.MuTax, c.MuTaxReason)
	}
	if c.Rated && c.MuTax == nil || c.Rated && c.MuClass != "" || !c.Rated && c.MuClass != ClassUnrated {
		tb.Errorf("rated %v, mu_tax %v, mu_class %q", c.Rated, c.MuTax, c.MuClass)
	}
	switch c.Warning {
	case "", Red, Orange, Yellow, Green:
	default:
		tb.Errorf("warning %q", c.Warning)
	}
	if c.Warning != "" && c.WarningReason != "" {
		tb.Errorf("warning %s with a reason %q", c.Warning, c.WarningReason)
	}
}

// FuzzCompute checks that Compute never panics and keeps its invariants on arbitrary attribute
// values, areas and dates.
func FuzzCompute(f *testing.F) {
	f.Add([]byte{0}, "", 0.0, int64(0), 0.0, 0)
	f.Add([]byte{2, 3, 4, 6, 7, 8, 9}, "29", 0.25, int64(7), 10.0, 200)
	f.Add([]byte{6, 6, 6, 6, 6, 6, 6, 3}, "已销号", 1e308, int64(-1), -5.0, -900)
	f.Add([]byte{5, 1, 9, 2}, "政府原因", math.NaN(), int64(math.MaxInt64), math.Inf(1), 1<<40)
	f.Add([]byte{8, 3, 4}, "\xff\x00", -0.0, int64(math.MinInt64), math.SmallestNonzeroFloat64, -1<<40)
	f.Fuzz(func(t *testing.T, kinds []byte, s string, n float64, i int64, area float64, days int) {
		asOf := MustParseDate("2026-06-30").AddDays(days % 40000)
		if days == 0 {
			asOf = Date{}
		}
		c := Compute(attrsFrom(kinds, s, n, i), area, DefaultFields(), asOf, DefaultParams())
		checkInvariants(t, c)
		Rank([]*Classes{&c}, DefaultParams())
	})
}

// TestComputeRandomParcels runs the invariants over many random parcels (fixed seed), then ranks
// them and checks that every rated parcel got a class.
func TestComputeRandomParcels(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 630))
	strs := []string{"", " ", "政府原因", "企业原因", "已销号", "abc", "0.25", "2026-02-30", "2026-06-30", "1e3", "NaN"}
	group := make([]*Classes, 0, 5000)
	for range 5000 {
		kinds := make([]byte, 1+r.IntN(20))
		for j := range kinds {
			kinds[j] = byte(r.IntN(256))
		}
		n := []float64{0, 0.2, 1.0 / 3, 0.25, 0.5, 1, 30, -1, 150, math.Inf(-1)}[r.IntN(10)]
		area := []float64{10, 0, -1, 0.001, math.NaN()}[r.IntN(5)]
		asOf := MustParseDate("2026-06-30").AddDays(r.IntN(3000) - 1500)
		c := Compute(attrsFrom(kinds, strs[r.IntN(len(strs))], n, r.Int64N(5000)), area, DefaultFields(), asOf, DefaultParams())
		checkInvariants(t, c)
		if t.Failed() {
			t.FailNow()
		}
		group = append(group, &c)
	}
	Rank(group, DefaultParams())
	count := map[string]int{}
	for _, c := range group {
		switch {
		case c.Rated && (c.MuClass < ClassA || c.MuClass > ClassD):
			t.Fatalf("rated parcel with class %q", c.MuClass)
		case !c.Rated && c.MuClass != ClassUnrated:
			t.Fatalf("unrated parcel with class %q", c.MuClass)
		}
		count[c.MuClass]++
	}
	t.Logf("classes: %v", count)
}
