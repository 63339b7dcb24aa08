package analysis

import (
	"fmt"
	"sync"
	"testing"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb/geojson"
)

// county returns the generated county of n parcels (seed 1) as parcels and control snapshots,
// generated once per test process.
func county(tb testing.TB, n int) (parcels, control *spatial.Snapshot) {
	tb.Helper()
	countyMu.Lock()
	defer countyMu.Unlock()
	if c, ok := counties[n]; ok {
		return c[0], c[1]
	}
	ds, err := fixtures.Generate(fixtures.Options{N: n, Seed: 1})
	if err != nil {
		tb.Fatalf("generate county: %v", err)
	}
	parcels = snapshotOf(tb, "parcels", spatial.KindParcels, ds.Parcels, fixtures.ParcelFields())
	control = snapshotOf(tb, "control-lines", spatial.KindControl, ds.Control, fixtures.ControlFields())
	counties[n] = [2]*spatial.Snapshot{parcels, control}
	return parcels, control
}

var (
	countyMu sync.Mutex
	counties = map[int][2]*spatial.Snapshot{}
)

// snapshotOf converts a GeoJSON FeatureCollection into a snapshot; feature ids are the GeoJSON
// ids, or 1, 2, … in order.
func snapshotOf(tb testing.TB, id string, kind spatial.Kind, fc *geojson.FeatureCollection, fieldNames []string) *spatial.Snapshot {
	tb.Helper()
	fields := make([]spatial.Field, len(fieldNames))
	for i, n := range fieldNames {
		fields[i] = spatial.Field{Name: n, Type: spatial.FieldString}
	}
	layer := spatial.Layer{ID: id, Kind: kind, Fields: fields, Roles: spatial.DetectRoles(fields)}
	fs := make([]*spatial.Feature, 0, len(fc.Features))
	for i, f := range fc.Features {
		fid := spatial.FeatureID(i + 1)
		switch v := f.ID.(type) {
		case float64:
			fid = spatial.FeatureID(v)
		case int:
			fid = spatial.FeatureID(v)
		case int64:
			fid = spatial.FeatureID(v)
		case uint64:
			fid = spatial.FeatureID(v)
		case nil:
		default:
			tb.Fatalf("feature %d: id %v (%T)", i, f.ID, f.ID)
		}
		attrs := spatial.Attrs{}
		for k, v := range f.Properties {
			switch x := v.(type) {
			case int:
				attrs[k] = int64(x)
			case string, float64, int64, bool, nil:
				attrs[k] = x
			default:
				attrs[k] = fmt.Sprint(x)
			}
		}
		fs = append(fs, &spatial.Feature{ID: fid, Geometry: f.Geometry, Attrs: attrs.Record()})
	}
	return spatial.NewSnapshot(layer, fs)
}
