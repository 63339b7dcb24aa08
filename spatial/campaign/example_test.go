package campaign_test

import (
	"fmt"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// A parcel supplied in 2023 whose agreed start passed without construction.
func ExampleCompute() {
	attrs := spatial.Attrs{"DKBH": "KC-017", "GDRQ": "2023-03-15", "YDDGRQ": "2024-03-15", "CRJK": int64(1200)}
	asOf := campaign.MustParseDate("2026-06-30")
	c := campaign.Compute(attrs, 25.5, campaign.DefaultFields(), asOf, campaign.DefaultParams())
	c.Each(func(key string, value any) {
		if value != nil {
			fmt.Printf("%s: %v\n", key, value)
		}
	})
	// Output:
	// start_due: 2024-03-15
	// idle_class: 闲置满两年
	// idle_since: 2025-03-15
	// idle_years: 2
	// idle_fee_wan: 240
	// may_reclaim: true
	// wuwei: 供而未用
	// mu_class: T
	// warning: 红
	// mu_tax_reason: 缺少税收(SS)与亩均税收(MJSS)
}

func ExampleDate_YearsSince() {
	start := campaign.MustParseDate("2024-02-29")
	fmt.Println(start, "+ 1 year =", start.AddYears(1))
	for _, d := range []string{"2025-02-27", "2025-02-28", "2028-02-28", "2028-02-29"} {
		fmt.Println(d, campaign.MustParseDate(d).YearsSince(start))
	}
	// Output:
	// 2024-02-29 + 1 year = 2025-02-28
	// 2025-02-27 0
	// 2025-02-28 1
	// 2028-02-28 3
	// 2028-02-29 4
}
