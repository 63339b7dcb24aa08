package app

import (
	"sync"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// The campaign classes (idle land, 五未, 亩均, warnings: docs/domain.md §8) depend on a date. They
// are not stored: a reader asks for a layer as of a date and gets its snapshot carrying a class
// table (a packed row per parcel), computed once per snapshot and date and cached. After an edit
// only the edited parcels are computed again; the 亩均 ranking, which compares every parcel, is
// redone in full only when an edit changes what it ranks (a parcel's 亩均税收 or whether it is
// rated).

// classCache keeps, per layer, the classes of the latest snapshot asked for, per date.
type classCache struct {
	mu sync.Mutex
	m  map[string]map[string]*classEntry // layer → date → entry
}

type classEntry struct {
	base *spatial.Snapshot
	rank []rankInput       // per feature of base, what the 亩均 ranking compares
	view *spatial.Snapshot // base carrying the class table
}

// rankInput is what [campaign.Rank] reads of a parcel's classes.
type rankInput struct {
	muTax float64
	rated bool // rated and with a 亩均税收
}

func rankInputOf(c *campaign.Classes) rankInput {
	if c.Rated && c.MuTax != nil {
		return rankInput{muTax: *c.MuTax, rated: true}
	}
	return rankInput{}
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
// snapshot and date, so that per-snapshot caches keep working.
func (a *App) classView(sn *spatial.Snapshot, date campaign.Date) *spatial.Snapshot {
	c := &a.classes
	key := date.String()
	c.mu.Lock()
	prev := c.m[sn.Layer.ID][key]
	c.mu.Unlock()
	if prev != nil && prev.base == sn {
		return prev.view
	}
	var e *classEntry
	if prev != nil {
		e = a.classesAfterEdit(prev, sn, date)
	}
	if e == nil {
		e = a.allClasses(sn, date)
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]map[string]*classEntry{}
	}
	if c.m[sn.Layer.ID] == nil || len(c.m[sn.Layer.ID]) > 8 { // keep a few dates per layer
		c.m[sn.Layer.ID] = map[string]*classEntry{}
	}
	c.m[sn.Layer.ID][key] = e
	c.mu.Unlock()
	return e.view
}

// allClasses computes the classes of every parcel of sn, on every core, and ranks them. Each
// parcel's classes are packed as soon as they are computed (mu_class, which the ranking sets,
// is kept apart), so that the work holds a row per parcel, not its full classes.
func (a *App) allClasses(sn *spatial.Snapshot, date campaign.Date) *classEntry {
	params := a.campaignParams()
	fields := campaign.FieldsOf(&sn.Layer)
	fs := sn.Features()
	rows := make([]spatial.Record, len(fs))
	rank := make([]rankInput, len(fs))
	spatial.ParallelRange(len(fs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			cl := campaign.Compute(fs[i].Attrs, fs[i].Derived.AreaMu, fields, date, params)
			rows[i], rank[i] = classRow(&cl), rankInputOf(&cl)
		}
	})
	tax, rated := make([]float64, len(fs)), make([]bool, len(fs))
	for i, r := range rank {
		tax[i], rated[i] = r.muTax, r.rated
	}
	mu := campaign.RankTaxes(tax, rated, params)
	return &classEntry{base: sn, rank: rank, view: sn.WithClasses(spatial.NewClassTable(date.String(), rows, mu))}
}

// classesAfterEdit computes the classes of sn from those of prev, an earlier snapshot of the
// layer: parcels that did not change keep their rows; it returns nil when the changes touch the
// 亩均 ranking (then every parcel must be ranked again).
func (a *App) classesAfterEdit(prev *classEntry, sn *spatial.Snapshot, date campaign.Date) *classEntry {
	params := a.campaignParams()
	fields := campaign.FieldsOf(&sn.Layer)
	if fields != campaign.FieldsOf(&prev.base.Layer) {
		return nil // the roles changed: every parcel reads other fields
	}
	if e, ok := classesInPlace(prev, sn, date, fields, params); ok {
		return e
	}
	old, cur := prev.base.Features(), sn.Features()
	oldRows := prev.view.Classes()
	rows := make([]spatial.Record, len(cur))
	mu := make([]string, len(cur))
	rank := make([]rankInput, len(cur))
	j := 0
	for i, f := range cur {
		for j < len(old) && old[j].ID < f.ID {
			if prev.rank[j].rated {
				return nil // a rated parcel left the ranking
			}
			j++
		}
		if j < len(old) && old[j] == f {
			rows[i], mu[i] = oldRows.Row(j)
			rank[i] = prev.rank[j]
			j++
			continue
		}
		cl := campaign.Compute(f.Attrs, f.Derived.AreaMu, fields, date, params)
		rows[i], rank[i] = classRow(&cl), rankInputOf(&cl)
		switch {
		case j < len(old) && old[j].ID == f.ID: // an edited parcel
			if rank[i] != prev.rank[j] {
				return nil
			}
			_, mu[i] = oldRows.Row(j)
			j++
		case rank[i].rated: // a new rated parcel
			return nil
		default:
			mu[i] = campaign.ClassUnrated
		}
	}
	for ; j < len(old); j++ {
		if prev.rank[j].rated {
			return nil
		}
	}
	return &classEntry{base: sn, rank: rank, view: sn.WithClasses(spatial.NewClassTable(date.String(), rows, mu))}
}

// classesInPlace is classesAfterEdit for the common case of edits that add and remove no
// parcel: only the rows of the edited parcels are computed and copied, with the chunks of the
// class table that hold them. It returns e == nil, ok == true when the edits touch the ranking,
// and ok == false when parcels were added or removed.
func classesInPlace(prev *classEntry, sn *spatial.Snapshot, date campaign.Date, fields campaign.Fields, params campaign.Params) (e *classEntry, ok bool) {
	old, cur := prev.base.Features(), sn.Features()
	if len(old) != len(cur) {
		return nil, false
	}
	var pos []int
	for i, f := range cur {
		if f != old[i] {
			if f.ID != old[i].ID {
				return nil, false
			}
			pos = append(pos, i)
		}
	}
	oldRows := prev.view.Classes()
	rows := make([]spatial.Record, len(pos))
	mu := make([]string, len(pos))
	for k, i := range pos {
		cl := campaign.Compute(cur[i].Attrs, cur[i].Derived.AreaMu, fields, date, params)
		if rankInputOf(&cl) != prev.rank[i] {
			return nil, true
		}
		rows[k] = classRow(&cl)
		_, mu[k] = oldRows.Row(i)
	}
	// The ranking is unchanged: the rank inputs are shared.
	return &classEntry{base: sn, rank: prev.rank, view: sn.WithClasses(oldRows.Edited(pos, rows, mu))}, true
}

// classRow packs one parcel's classes (but mu_class) as a row of a class table.
func classRow(c *campaign.Classes) spatial.Record { return spatial.ClassRecord(c.Each) }

// campaignParams are the thresholds of the class rules (docs/domain.md §8).
func (a *App) campaignParams() campaign.Params {
	if a.cfg.Campaign != nil {
		return *a.cfg.Campaign
	}
	return campaign.DefaultParams()
}
