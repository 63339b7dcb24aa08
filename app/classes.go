package app

import (
	"sync"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// The campaign classes (idle land, 五未, 亩均, warnings: docs/domain.md §8) depend on a date. They
// are not stored: a reader asks for a layer as of a date and gets its snapshot carrying a class
// table, computed once per snapshot and date and cached. After an edit only the edited parcels
// are computed again (the 亩均 ranking, which compares every parcel, is redone in full).

// classCache keeps, per layer, the classes of the latest snapshot asked for, per date.
type classCache struct {
	mu sync.Mutex
	m  map[string]map[string]*classEntry // layer → date → entry
}

type classEntry struct {
	base    *spatial.Snapshot
	classes map[spatial.FeatureID]*campaign.Classes
	view    *spatial.Snapshot // base carrying the class table
}

// Today returns today's date in China by the App's clock.
func (a *App) Today() campaign.Date { return campaign.Today(a.cfg.Now()) }

// AsOf returns the published snapshot of layer with the campaign classes as of date (today
// when date is zero). Layers other than parcels layers come as they are.
func (a *App) AsOf(layer string, date campaign.Date) (*spatial.Snapshot, error) {
	sn, err := a.Layer(layer)
	if err != nil {
		return nil, err
	}
	return a.WithClasses(sn, date), nil
}

// WithClasses returns snapshot sn carrying its classes as of date (today when zero); layers
// other than parcels layers come as they are.
func (a *App) WithClasses(sn *spatial.Snapshot, date campaign.Date) *spatial.Snapshot {
	if sn.Layer.Kind != spatial.KindParcels {
		return sn
	}
	if date.IsZero() {
		date = a.Today()
	}
	return a.classView(sn, date)
}

// classView returns sn with its class table as of date: the same snapshot value for the same
// snapshot and date, so that per-snapshot caches (tile property tables) keep working.
func (a *App) classView(sn *spatial.Snapshot, date campaign.Date) *spatial.Snapshot {
	c := &a.classes
	key := date.String()
	c.mu.Lock()
	prev := c.m[sn.Layer.ID][key]
	c.mu.Unlock()
	if prev != nil && prev.base == sn {
		return prev.view
	}
	params := a.campaignParams()
	fields := campaign.FieldsOf(&sn.Layer)
	classes := make(map[spatial.FeatureID]*campaign.Classes, sn.Len())
	all := make([]*campaign.Classes, 0, sn.Len())
	for _, f := range sn.Features() {
		var cl *campaign.Classes
		if prev != nil && prev.base.Layer.ID == sn.Layer.ID {
			if old := prev.base.Feature(f.ID); old == f { // the same parcel, untouched
				copied := *prev.classes[f.ID]
				cl = &copied
			}
		}
		if cl == nil {
			computed := campaign.Compute(f.Attrs, f.Derived.AreaMu, fields, date, params)
			cl = &computed
		}
		classes[f.ID] = cl
		all = append(all, cl)
	}
	campaign.Rank(all, params)
	table := &spatial.ClassTable{Date: key, Values: make(map[spatial.FeatureID][]any, len(classes))}
	for id, cl := range classes {
		vals := make([]any, 0, len(spatial.ClassKeys))
		cl.Each(func(_ string, v any) { vals = append(vals, v) })
		table.Values[id] = vals
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]map[string]*classEntry{}
	}
	if c.m[sn.Layer.ID] == nil || len(c.m[sn.Layer.ID]) > 8 { // keep a few dates per layer
		c.m[sn.Layer.ID] = map[string]*classEntry{}
	}
	view := sn.WithClasses(table)
	c.m[sn.Layer.ID][key] = &classEntry{base: sn, classes: classes, view: view}
	c.mu.Unlock()
	return view
}

// campaignParams are the thresholds of the class rules (docs/domain.md §8).
func (a *App) campaignParams() campaign.Params {
	if a.cfg.Campaign != nil {
		return *a.cfg.Campaign
	}
	return campaign.DefaultParams()
}
