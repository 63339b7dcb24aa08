package gisio

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
)

var (
	countyMu    sync.Mutex
	countyCache = map[int]*spatial.Snapshot{}
)

// county returns the generated county of n parcels as a layer snapshot with derived
// attributes computed against its control lines, plus a Chinese-named attribute (所在园区名称)
// and a boolean one (已核查), so that exports have every field type. Snapshots are cached per n.
func county(tb testing.TB, n int) *spatial.Snapshot {
	tb.Helper()
	countyMu.Lock()
	defer countyMu.Unlock()
	if sn := countyCache[n]; sn != nil {
		return sn
	}
	ds, err := fixtures.Generate(fixtures.Options{N: n, Seed: 5})
	if err != nil {
		tb.Fatal(err)
	}
	var pb, cb bytes.Buffer
	if err := ds.WriteParcels(&pb); err != nil {
		tb.Fatal(err)
	}
	if err := ds.WriteControl(&cb); err != nil {
		tb.Fatal(err)
	}
	imp, err := spatial.DecodeGeoJSON(&pb, spatial.ImportOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range imp.Features {
		f.Attrs = f.Attrs.With("所在园区名称", f.Attrs.Value("YQMC"))
		f.Attrs = f.Attrs.With("已核查", f.ID%3 == 0)
	}
	imp.Fields = append(imp.Fields, spatial.Field{Name: "所在园区名称", Type: spatial.FieldString}, spatial.Field{Name: "已核查", Type: spatial.FieldBoolean})
	cimp, err := spatial.DecodeGeoJSON(&cb, spatial.ImportOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	control := spatial.NewSnapshot(spatial.Layer{ID: "control", Kind: spatial.KindControl}, cimp.Features)
	layer := spatial.Layer{ID: "county", Title: "示例县工业用地", Kind: spatial.KindParcels, Fields: imp.Fields,
		Source: spatial.Source{CRS: "EPSG:4549"}, Updated: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)}
	sn := spatial.NewSnapshot(layer, imp.Features)
	if n <= 10000 { // the large counties of the memory test keep only their areas
		derived, err := analysis.Derive(context.Background(), sn, control, analysis.DeriveOptions{KeepArea: true})
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range sn.Features() {
			f.Derived = derived[f.ID]
		}
	}
	countyCache[n] = sn
	return sn
}

// distanceM returns the geodesic distance in metres between two lon/lat points.
func distanceM(a, b orb.Point) float64 {
	var d float64
	geodesic.WGS84.Inverse(a[1], a[0], b[1], b[0], &d, nil, nil)
	return d
}

// sameGeometry reports how two lon/lat geometries differ, "" when they have the same polygons
// and rings (either orientation, same start) with every vertex within tolM metres.
func sameGeometry(a, b orb.Geometry, tolM float64) string {
	pa, pb := spatial.Polygons(a), spatial.Polygons(b)
	if len(pa) != len(pb) {
		return fmt.Sprintf("%d polygons, want %d", len(pb), len(pa))
	}
	for i := range pa {
		if len(pa[i]) != len(pb[i]) {
			return fmt.Sprintf("polygon %d: %d rings, want %d", i, len(pb[i]), len(pa[i]))
		}
		for k := range pa[i] {
			ra, rb := orient(pa[i][k], true), orient(pb[i][k], true)
			if len(ra) != len(rb) {
				return fmt.Sprintf("polygon %d ring %d: %d points, want %d", i, k, len(rb), len(ra))
			}
			for j := range ra {
				if d := distanceM(ra[j], rb[j]); d > tolM || math.IsNaN(d) {
					return fmt.Sprintf("polygon %d ring %d point %d: %v vs %v, %.3g m apart", i, k, j, rb[j], ra[j], d)
				}
			}
		}
	}
	return ""
}

// sameValue compares attribute values; reals within 1e-9 relative.
func sameValue(want, got any) bool {
	if w, ok := want.(float64); ok {
		g, ok := got.(float64)
		return ok && math.Abs(w-g) <= 1e-9*math.Max(1, math.Abs(w))
	}
	return want == got
}

func writeFile(tb testing.TB, name string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(name, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func readAll(name string) ([]byte, error) { return os.ReadFile(name) }
