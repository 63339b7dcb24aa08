package campaign_test

import (
	"fmt"

	"github.com/mudi-gis/mudi/spatial/campaign"
)

// Two districts at the end of November 2026: one parcel closed off on the last day of the
// month, one on the first day of the next, one past its deadline.
func ExampleBuildReport() {
	d := campaign.MustParseDate
	rows := []campaign.ReportParcel{
		{Code: "KC-1", Group: map[string]string{"district": "柯城区"}, AreaMu: 12.5, State: "已销号", ClosedOn: d("2026-11-30")},
		{Code: "KC-2", Group: map[string]string{"district": "柯城区"}, AreaMu: 8, State: "已销号", ClosedOn: d("2026-12-01")},
		{Code: "QJ-1", Group: map[string]string{"district": "衢江区"}, AreaMu: 30, State: "处置中", Deadline: d("2026-11-29"),
			Classes: campaign.Classes{IdleClass: campaign.IdleTwoYears, Warning: campaign.Red}},
	}
	targets := []campaign.Target{{Group: []string{"柯城区"}, Mu: 40, Start: d("2026-01-01"), Due: d("2026-12-31")}}
	rep, err := campaign.BuildReport(rows, []string{"district"}, campaign.MustParseMonth("2026-11"), targets)
	if err != nil {
		panic(err)
	}
	for _, g := range rep.Groups {
		fmt.Printf("%s: %d parcels %.4f 亩, closed in %s %d (%.4f 亩), overdue %d, idle two years %d, red %d\n",
			g.Key[0], g.All.Parcels, g.All.Mu, rep.Month, g.ClosedInMonth.Parcels, g.ClosedInMonth.Mu,
			g.Overdue.Parcels, g.Idle.TwoYears.Parcels, g.Warning.Red)
	}
	fmt.Printf("total: %d parcels %.4f 亩\n", rep.Total.All.Parcels, rep.Total.All.Mu)
	p := rep.Targets[0]
	fmt.Printf("target %s: %.4f of %.4f 亩 closed (%.1f%%), %.1f%% of the period elapsed: %s\n",
		p.Group[0], p.ClosedMu, p.Mu, 100*p.Progress, 100**p.Elapsed, p.Status)
	// Output:
	// 柯城区: 2 parcels 20.5000 亩, closed in 2026-11 1 (12.5000 亩), overdue 0, idle two years 0, red 0
	// 衢江区: 1 parcels 30.0000 亩, closed in 2026-11 0 (0.0000 亩), overdue 1, idle two years 1, red 1
	// total: 3 parcels 50.5000 亩
	// target 柯城区: 12.5000 of 40.0000 亩 closed (31.2%), 91.5% of the period elapsed: behind
}
