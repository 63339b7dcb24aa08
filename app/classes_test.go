package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// TestClassesAfterEditsEqualAFullComputation edits parcels in ways that leave the 亩均 ranking
// alone (owner, disposal measures) and in ways that change it (tax, production date), reading
// the classes after each edit (which keeps the rows of untouched parcels): every class of every
// parcel equals what the campaign rules give computed afresh for the whole layer.
func TestClassesAfterEditsEqualAFullComputation(t *testing.T) {
	core := benchCounty(t, 400)
	ctx := context.Background()
	date, _ := campaign.NewDate(2026, 11, 21)
	actor := app.Actor{Name: "test", Role: app.RoleAdmin}
	edits := []app.Edit{
		{Set: map[string]any{"QLR": "改过的权利人"}},
		{Set: map[string]any{"CZCS": "协议收回"}},
		{Set: map[string]any{"SS": 9999.5}}, // the top of the ranking
		{Set: map[string]any{"SS": 0.01}},   // the bottom
		{Remove: []string{"SJTCRQ"}},        // out of the ranking
		{Set: map[string]any{"SJTCRQ": "2020-05-01"}},
		{Set: map[string]any{"QLR": "又一个权利人", "SS": 321.0}},
	}
	check := func(what string) {
		t.Helper()
		sn, err := core.AsOf("parcels", date)
		if err != nil {
			t.Fatal(err)
		}
		fields := campaign.FieldsOf(&sn.Layer)
		all := make([]*campaign.Classes, sn.Len())
		for i, f := range sn.Features() {
			c := campaign.Compute(f.Attrs, f.Derived.AreaMu, fields, date, campaign.DefaultParams())
			all[i] = &c
		}
		campaign.Rank(all, campaign.DefaultParams())
		for i, f := range sn.Features() {
			all[i].Each(func(key string, want any) {
				if got, _ := sn.ClassValue(f, key); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("%s: parcel %d: %s = %v, want %v", what, f.ID, key, got, want)
				}
			})
		}
	}
	check("before any edit")
	for i, e := range edits {
		sn, _ := core.AsOf("parcels", date)
		f := sn.Features()[(i*97)%sn.Len()]
		e.Actor = actor
		if _, err := core.EditFeature(ctx, "parcels", f.ID, e); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("after edit %d %v", i, e))
	}
}
