package app

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb/geojson"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// Changes of a parcels layer between two dates: the change layer of the monthly pack.

// Kinds of [ParcelChange].
const (
	ChangeAdded    = "added"    // the parcel came into the layer (an import, a new feature)
	ChangeRemoved  = "removed"  // the parcel left the layer (a replace without it, a deletion)
	ChangeReshaped = "reshaped" // the parcel's geometry changed (an import, an edit)
	ChangeClosed   = "closed"   // the parcel was closed off (已销号, its XHRQ in the period)
)

// changeOrder orders the kinds in the change layer; changeLabels names them in Chinese.
var (
	changeOrder  = map[string]int{ChangeAdded: 0, ChangeRemoved: 1, ChangeReshaped: 2, ChangeClosed: 3}
	changeLabels = map[string]string{ChangeAdded: "新增", ChangeRemoved: "移除", ChangeReshaped: "图形变化", ChangeClosed: "销号"}
)

// ParcelChange is one change of a parcel in a period.
type ParcelChange struct {
	Change string // ChangeAdded, ChangeRemoved, ChangeReshaped or ChangeClosed
	Code   string // the parcel's code ("" for a parcel without one)
	// Date is the day in China of the change: the import or edit that added, removed or reshaped
	// the parcel (the last one in the period), or the close-off date XHRQ.
	Date campaign.Date
	// Feature is the parcel: as it stood at the end of the period (its current geometry) for
	// added, reshaped and closed parcels; its last state, as archived, for a removed one.
	Feature *spatial.Feature
}

// PackChanges returns the changes of the parcels layer between the end of date since and the
// end of date until (days in China), from the layer as it stood at the end of both dates — its
// parcels and those archived since, with the history rewound as [App.LedgerAsOf] does —, the
// layer's archive of removed parcels and its change log:
//
//   - added: a parcel in the layer at the end of until that was not at the end of since (all
//     of them when the layer was created in the period);
//   - removed: a parcel archived in the period (removed by a replace, or deleted) and not back;
//   - reshaped: a parcel of both dates whose geometry changed in the period;
//   - closed: a parcel whose state at the end of until is 已销号 with XHRQ in the period.
//
// A parcel may appear twice (reshaped and closed, say), never twice with the same change. The
// changes are sorted by kind (added, removed, reshaped, closed), then code, then id.
//
// Errors: the layer does not exist or is not a parcels layer; until is before since or after
// today; ctx.Err().
func (a *App) PackChanges(ctx context.Context, layer string, since, until campaign.Date) ([]ParcelChange, error) {
	sn, err := a.Layer(layer)
	if err != nil {
		return nil, err
	}
	if sn.Layer.Kind != spatial.KindParcels {
		return nil, invalid("layer", "layer %s is a %s layer: changes are kept for parcels", layer, sn.Layer.Kind)
	}
	if until.Before(since) {
		return nil, invalid("until", "%s is before %s", until, since)
	}
	if today := a.Today(); until.After(today) {
		return nil, invalid("until", "%s is in the future (today is %s)", until, today)
	}
	from, to := endOf(since), endOf(until)
	in := func(t time.Time) bool { return t.After(from) && !t.After(to) }

	// The history starts with the layer: none of its parcels stood before its creation.
	stood := func(end time.Time) (*spatial.Snapshot, error) {
		if sn.Layer.Created.After(end) {
			return spatial.NewSnapshot(sn.Layer, nil), nil
		}
		return a.stoodAt(ctx, sn, end)
	}
	before, err := stood(from)
	if err != nil {
		return nil, err
	}
	after, err := stood(to)
	if err != nil {
		return nil, err
	}
	archive, err := a.db.Archive(layer)
	if err != nil {
		return nil, err
	}
	history, err := a.db.LayerHistory(sn.Layer.ID)
	if err != nil {
		return nil, err
	}
	log, err := a.LayerChanges(layer)
	if err != nil {
		return nil, err
	}
	addedAt := map[string]time.Time{} // code → the last replace in the period that added it
	for _, r := range log {
		if in(r.Time) {
			for _, c := range r.Added {
				addedAt[c] = r.Time
			}
		}
	}
	day := func(t time.Time) campaign.Date { return campaign.Today(t) }

	var out []ParcelChange
	add := func(kind, code string, t campaign.Date, f *spatial.Feature) {
		out = append(out, ParcelChange{Change: kind, Code: code, Date: t, Feature: f})
	}
	state := campaign.FieldsOf(&sn.Layer).DisposalState
	closedOn := fieldCase(&sn.Layer, campaign.ClosedOnField)
	for i, f := range after.Features() {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		code := parcelCode(&sn.Layer, f)
		if before.Feature(f.ID) == nil {
			var when time.Time
			if in(sn.Layer.Created) {
				when = sn.Layer.Created
			}
			if t, ok := addedAt[code]; ok && code != "" {
				when = t
			}
			for _, c := range history[f.ID] {
				if c.Key == "feature" && c.After == "created" && in(c.Time) && c.Time.After(when) {
					when = c.Time
				}
			}
			var d campaign.Date
			if !when.IsZero() {
				d = day(when)
			}
			add(ChangeAdded, code, d, f)
		} else {
			var when time.Time
			for _, c := range history[f.ID] {
				if c.Key == "geometry" && in(c.Time) && c.Time.After(when) {
					when = c.Time
				}
			}
			if !when.IsZero() {
				add(ChangeReshaped, code, day(when), f)
			}
		}
		if strings.TrimSpace(f.Attrs.String(state)) == campaign.ClosedOff {
			if d, err := campaign.ParseDate(strings.TrimSpace(f.Attrs.String(closedOn))); err == nil && d.After(since) && !d.After(until) {
				add(ChangeClosed, code, d, f)
			}
		}
	}
	for code, ar := range archive {
		if in(ar.Time) && after.Feature(ar.Feature.ID) == nil {
			add(ChangeRemoved, code, day(ar.Time), ar.Feature)
		}
	}
	slices.SortFunc(out, func(x, y ParcelChange) int {
		return cmp.Or(cmp.Compare(changeOrder[x.Change], changeOrder[y.Change]), strings.Compare(x.Code, y.Code),
			cmp.Compare(x.Feature.ID, y.Feature.ID))
	})
	return out, nil
}

// stoodAt returns the parcels of sn as they stood at instant end: its parcels and those
// archived (removed) since, every change after end undone ([App.rewind]). Geometries are the
// current ones, and an archived parcel's its last.
func (a *App) stoodAt(ctx context.Context, sn *spatial.Snapshot, end time.Time) (*spatial.Snapshot, error) {
	archive, err := a.db.Archive(sn.Layer.ID)
	if err != nil {
		return nil, err
	}
	fs := slices.Clone(sn.Features())
	n := len(fs)
	for _, ar := range archive {
		if ar.Time.After(end) && sn.Feature(ar.Feature.ID) == nil {
			fs = append(fs, ar.Feature)
		}
	}
	if len(fs) > n {
		sn = spatial.NewSnapshot(sn.Layer, fs)
	}
	return a.rewind(ctx, sn, end)
}

// changesGeoJSON returns the change layer as a GeoJSON FeatureCollection (lon/lat): one feature
// per change, with the properties change, change_label (新增, 移除, 图形变化, 销号), code,
// feature_id, date (YYYY-MM-DD, null when unknown) and area_mu.
func changesGeoJSON(changes []ParcelChange) ([]byte, error) {
	fc := geojson.NewFeatureCollection()
	for _, c := range changes {
		g := geojson.NewFeature(c.Feature.Geometry)
		var date any
		if !c.Date.IsZero() {
			date = c.Date.String()
		}
		var code any
		if c.Code != "" {
			code = c.Code
		}
		g.Properties = geojson.Properties{
			"change": c.Change, "change_label": changeLabels[c.Change], "code": code,
			"feature_id": c.Feature.ID, "date": date, "area_mu": c.Feature.Derived.AreaMu,
		}
		fc.Append(g)
	}
	return fc.MarshalJSON()
}
