package tiles

import (
	"math"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
)

// Datasets from package fixtures: the embedded sample county and the generated 100 000-parcel
// county of the performance goals (docs/design.md, "Performance goals").

// sampleCounty returns the embedded sample county (fixtures.SampleN parcels).
func sampleCounty(tb testing.TB) *county {
	tb.Helper()
	pb, err := fixtures.SampleParcels()
	if err != nil {
		tb.Fatal(err)
	}
	cb, err := fixtures.SampleControl()
	if err != nil {
		tb.Fatal(err)
	}
	p, err := geojson.UnmarshalFeatureCollection(pb)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := geojson.UnmarshalFeatureCollection(cb)
	if err != nil {
		tb.Fatal(err)
	}
	return fromFixtures(p, c)
}

var bigCounty = sync.OnceValues(func() (*county, error) {
	d, err := fixtures.Generate(fixtures.Options{N: 100_000, Seed: 1})
	if err != nil {
		return nil, err
	}
	return fromFixtures(d.Parcels, d.Control), nil
})

// countyOf100k returns the generated 100 000-parcel county (built once per test binary).
func countyOf100k(tb testing.TB) *county {
	tb.Helper()
	c, err := bigCounty()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func fromFixtures(parcels, control *geojson.FeatureCollection) *county {
	return &county{
		parcels: snapshotOf("parcels", spatial.KindParcels, fixtures.ParcelFields(), parcels),
		control: snapshotOf("control-lines", spatial.KindControl, fixtures.ControlFields(), control),
	}
}

func snapshotOf(id string, kind spatial.Kind, names []string, fc *geojson.FeatureCollection) *spatial.Snapshot {
	types := map[string]spatial.FieldType{}
	feats := make([]*spatial.Feature, 0, len(fc.Features))
	for i, gf := range fc.Features {
		attrs := spatial.Attrs{}
		for k, v := range gf.Properties {
			if f, ok := v.(float64); ok && f == math.Trunc(f) && (k == "BSM" || k == "XZQDM" || k == "KZXBH") {
				v = int64(f)
			}
			attrs[k] = v
			if _, seen := types[k]; !seen && v != nil {
				switch v.(type) {
				case int64:
					types[k] = spatial.FieldInteger
				case float64:
					types[k] = spatial.FieldReal
				case bool:
					types[k] = spatial.FieldBoolean
				default:
					types[k] = spatial.FieldString
				}
			}
		}
		fid := spatial.FeatureID(i + 1)
		if n, ok := gf.ID.(float64); ok && n >= 1 {
			fid = spatial.FeatureID(n)
		}
		var g orb.Geometry
		switch geom := gf.Geometry.(type) {
		case orb.Polygon, orb.MultiPolygon:
			g = geom
		default:
			continue
		}
		f := &spatial.Feature{ID: fid, Geometry: g, Attrs: attrs.Record()}
		f.Derived.AreaMu = spatial.MuFromM2(planarAreaM2(g))
		if kind == spatial.KindParcels {
			f.Derived.ControlPosition = []spatial.Position{spatial.Inside, spatial.Inside, spatial.Outside, spatial.Straddling}[fid%4]
			f.Derived.OutsideRatio = float64(fid%4) / 4
			f.Derived.OutsideMu = f.Derived.OutsideRatio * f.Derived.AreaMu
			if attrs["SFDX"] == "是" {
				f.Derived.BlockID = uint64(fid%97 + 1)
				f.Derived.BlockMu = 300 + float64(fid%97)
			}
		}
		feats = append(feats, f)
	}
	fields := make([]spatial.Field, 0, len(names))
	for _, n := range names {
		t := types[n]
		if t == "" {
			t = spatial.FieldString
		}
		fields = append(fields, spatial.Field{Name: n, Type: t})
	}
	return spatial.NewSnapshot(spatial.Layer{
		ID: id, Title: id, Kind: kind, Version: 1, Fields: fields, Roles: spatial.DetectRoles(fields),
	}, feats)
}

// planarAreaM2 is a quick local-plane area, good enough for test attributes (not mudi's area).
func planarAreaM2(g orb.Geometry) float64 {
	var s float64
	for _, p := range spatial.Polygons(g) {
		for i, r := range p {
			if len(r) == 0 {
				continue
			}
			k := 111320 * math.Cos(r[0][1]*math.Pi/180)
			var a float64
			for j := 0; j+1 < len(r); j++ {
				a += (r[j][0]*k)*(r[j+1][1]*111320) - (r[j+1][0]*k)*(r[j][1]*111320)
			}
			if i == 0 {
				s += math.Abs(a / 2)
			} else {
				s -= math.Abs(a / 2)
			}
		}
	}
	return s
}
