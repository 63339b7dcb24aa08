package app

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/store"
)

// Monitoring (docs/domain.md §9): the ledger as it stood at a date, rebuilt from the history;
// the monthly report per group against targets.

// china is the time zone of the campaign's calendar dates (no daylight saving since 1991).
var china = time.FixedZone("CST", 8*3600)

// endOf returns the instant at which date d ends in China.
func endOf(d campaign.Date) time.Time {
	t, _ := time.ParseInLocation("2006-01-02", d.AddDays(1).String(), china)
	return t
}

// LedgerAsOf returns layer as its parcels stood at the end of date (today: as they are): every
// attribute change made after that day — edits and imports alike — undone from the history,
// parcels created since left out and parcels removed since put back; with their campaign
// classes as of date. Geometries are the current ones (a removed parcel's, its last).
func (a *App) LedgerAsOf(ctx context.Context, layer string, date campaign.Date) (*spatial.Snapshot, map[spatial.FeatureID]campaign.Classes, error) {
	sn, err := a.Layer(layer)
	if err != nil {
		return nil, nil, err
	}
	if sn.Layer.Kind != spatial.KindParcels {
		return nil, nil, invalid("layer", "layer %s is a %s layer: ledgers are kept for parcels", layer, sn.Layer.Kind)
	}
	today := a.Today()
	if date.IsZero() {
		date = today
	}
	if date.After(today) {
		return nil, nil, invalid("as_of", "%s is in the future (today is %s)", date, today)
	}
	view := sn
	if date.Before(today) {
		if view, err = a.stoodAt(ctx, sn, endOf(date)); err != nil {
			return nil, nil, err
		}
	}
	classes := campaign.ComputeLayer(view, nil, date, a.campaignParams(), "")
	return view, classes, nil
}

// rewind returns a snapshot of sn's parcels with every change after end undone.
func (a *App) rewind(ctx context.Context, sn *spatial.Snapshot, end time.Time) (*spatial.Snapshot, error) {
	history, err := a.db.LayerHistory(sn.Layer.ID)
	if err != nil {
		return nil, err
	}
	added := map[string]bool{} // codes a replace added after end
	if docs, err := a.db.LayerChanges(sn.Layer.ID); err == nil {
		for _, d := range docs {
			var r ReplaceReport
			if json.Unmarshal(d, &r) == nil && r.Time.After(end) {
				for _, c := range r.Added {
					added[c] = true
				}
			}
		}
	}
	out := make([]*spatial.Feature, 0, sn.Len())
	for i, f := range sn.Features() {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if code := parcelCode(&sn.Layer, f); code != "" && added[code] {
			continue
		}
		changes := history[f.ID]
		created := false
		var attrs spatial.Attrs
		for j := len(changes) - 1; j >= 0; j-- {
			c := changes[j]
			if !c.Time.After(end) {
				break
			}
			if c.Key == "feature" && c.After == "created" {
				created = true
				break
			}
			if c.Key == "geometry" || c.Key == "evidence" {
				continue
			}
			if attrs == nil {
				attrs = f.Attrs.Map()
			}
			if c.Before == nil {
				delete(attrs, c.Key)
			} else {
				attrs[c.Key] = c.Before
			}
		}
		if created {
			continue
		}
		if attrs != nil {
			g := *f
			g.Attrs = attrs.Record()
			f = &g
		}
		out = append(out, f)
	}
	return spatial.NewSnapshot(sn.Layer, out), nil
}

// TargetSet is the targets of a layer for one grouping.
type TargetSet struct {
	GroupBy []string          `json:"group_by"`
	Targets []campaign.Target `json:"targets"`
}

func targetsKey(layer string) string { return "targets/" + layer }

// Targets returns the targets set for a layer (none: an empty set).
func (a *App) Targets(layer string) (TargetSet, error) {
	if _, err := a.Layer(layer); err != nil {
		return TargetSet{}, err
	}
	raw, err := a.db.Setting(targetsKey(layer))
	if errors.Is(err, store.ErrNotFound) {
		return TargetSet{GroupBy: []string{}, Targets: []campaign.Target{}}, nil
	}
	if err != nil {
		return TargetSet{}, err
	}
	var ts TargetSet
	return ts, json.Unmarshal(raw, &ts)
}

// SetTargets replaces the targets of a layer: 亩 to dispose of per group of the grouping, by a
// due date. They are checked as a report would use them.
func (a *App) SetTargets(ctx context.Context, layer string, ts TargetSet) (TargetSet, error) {
	if _, err := a.Layer(layer); err != nil {
		return TargetSet{}, err
	}
	if ts.GroupBy == nil {
		ts.GroupBy = []string{}
	}
	if ts.Targets == nil {
		ts.Targets = []campaign.Target{}
	}
	// A report of any month checks the targets (group length, area, dates).
	if _, err := campaign.BuildReport(nil, ts.GroupBy, campaign.MonthOf(a.Today()), ts.Targets); err != nil {
		return TargetSet{}, reportError(err)
	}
	raw, err := json.Marshal(ts)
	if err != nil {
		return TargetSet{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	err = a.commit(ctx, nil, func(tx *store.Tx) error { return tx.PutSetting(targetsKey(layer), raw) })
	return ts, err
}

// Report is the monthly report of a parcels layer: the ledger at the end of month (rebuilt
// from the history), the classes as of that day, tallied per group of groupBy, with the
// progress of the layer's targets when they are set for the same grouping.
func (a *App) Report(ctx context.Context, layer string, month campaign.Month, groupBy []string) (campaign.Report, *spatial.Snapshot, map[spatial.FeatureID]campaign.Classes, error) {
	if month.IsZero() {
		return campaign.Report{}, nil, nil, invalid("month", "name the month, YYYY-MM")
	}
	end := month.Last()
	if today := a.Today(); end.After(today) {
		if month.First().After(today) {
			return campaign.Report{}, nil, nil, invalid("month", "%s has not begun (today is %s)", month, today)
		}
		end = today // the month so far
	}
	sn, classes, err := a.LedgerAsOf(ctx, layer, end)
	if err != nil {
		return campaign.Report{}, nil, nil, err
	}
	ts, err := a.Targets(layer)
	if err != nil {
		return campaign.Report{}, nil, nil, err
	}
	var targets []campaign.Target
	if slices.Equal(ts.GroupBy, groupBy) {
		targets = ts.Targets
	}
	rows := campaign.ReportParcels(sn, classes, groupBy)
	rep, err := campaign.BuildReport(rows, groupBy, month, targets)
	if err != nil {
		return campaign.Report{}, nil, nil, reportError(err)
	}
	return rep, sn, classes, nil
}

// reportError turns a parameter error of the report engine into an invalid-parameter error.
func reportError(err error) error {
	var pe *campaign.ParamError
	if errors.As(err, &pe) {
		return invalid(pe.Param, "%s", pe.Reason)
	}
	return err
}
