package spatial_test

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// Areas are ellipsoidal (WGS 84, geodesic edges), as PostGIS ST_Area(geography) computes them.
func ExampleAreaM2() {
	parcel := orb.Polygon{{{118.87, 28.94}, {118.871, 28.94}, {118.871, 28.941}, {118.87, 28.941}, {118.87, 28.94}}}
	m2 := spatial.AreaM2(parcel)
	fmt.Printf("%.1f m² = %.4f 亩\n", m2, spatial.MuFromM2(m2))
	// Output: 10805.8 m² = 16.2087 亩
}

// DecodeGeoJSON validates every feature, converts projected input to lon/lat and reports
// what it repaired or skipped.
func ExampleDecodeGeoJSON() {
	in := `{"type":"FeatureCollection","features":[
	  {"type":"Feature","properties":{"DKBH":"KC-001","QLR":"衢州某新材料有限公司"},
	   "geometry":{"type":"Polygon","coordinates":[[[118.87,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.941]]]}},
	  {"type":"Feature","properties":{"DKBH":"KC-002"},
	   "geometry":{"type":"LineString","coordinates":[[118.87,28.94],[118.88,28.95]]}}]}`
	imp, err := spatial.DecodeGeoJSON(strings.NewReader(in), spatial.ImportOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := imp.Features[0]
	fmt.Printf("kept %d, skipped %d; feature %d %s %.2f 亩\n", len(imp.Features), imp.Skipped, f.ID, f.Attrs.Value("QLR"), f.Derived.AreaMu)
	for _, p := range imp.Problems {
		fmt.Println(p)
	}
	// Output:
	// kept 1, skipped 1; feature 1 衢州某新材料有限公司 16.21 亩
	// feature 0: exterior ring not closed (closed by repeating its first point) at (118.87, 28.94)
	// feature 1: geometry type LineString is not a polygon (Polygon or MultiPolygon expected)
}

// Readers search immutable snapshots without locking; one writer publishes new ones.
func ExampleIndex() {
	var index spatial.Index
	square := func(x, y float64) orb.Polygon {
		return orb.Polygon{{{x, y}, {x + 0.001, y}, {x + 0.001, y + 0.001}, {x, y + 0.001}, {x, y}}}
	}
	index.Put(spatial.NewSnapshot(spatial.Layer{ID: "parcels", Kind: spatial.KindParcels}, []*spatial.Feature{
		{ID: 1, Geometry: square(118.870, 28.940)},
		{ID: 2, Geometry: square(118.900, 28.960)},
	}))
	snap := index.Layer("parcels")
	snap.Search(orb.Bound{Min: orb.Point{118.86, 28.93}, Max: orb.Point{118.88, 28.95}}, func(f *spatial.Feature) bool {
		fmt.Println("found feature", f.ID)
		return true
	})
	fmt.Println(snap.Layer.FeatureCount, "features")
	// Output:
	// found feature 1
	// 2 features
}
