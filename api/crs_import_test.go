package api

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// Reference points: lon/lat (EPSG:4490) and their Gauss-Krüger coordinates from PROJ:
//
//	printf '28.94 118.87\n28.9412345 118.8765432\n28.95 118.89\n' | cs2cs -f %.6f EPSG:4490 EPSG:4549
//	printf '28.94 118.87\n28.9412345 118.8765432\n28.95 118.89\n' | cs2cs -f %.6f EPSG:4490 EPSG:4528
//
// cs2cs prints northing first for these CRSs; files store easting first.
var gkReference = []struct {
	lonlat       orb.Point
	e4549, n4549 float64
	e4528, n4528 float64
}{
	{orb.Point{118.87, 28.94}, 389826.682981, 3203144.968178, 40389826.682981, 3203144.968178},
	{orb.Point{118.8765432, 28.9412345}, 390465.977710, 3203275.735958, 40390465.977710, 3203275.735958},
	{orb.Point{118.89, 28.95}, 391787.179299, 3204234.979743, 40391787.179298, 3204234.979743},
}

// metres returns the distance between two nearby lon/lat points in metres (equirectangular,
// ample for millimetres).
func metres(a, b orb.Point) float64 {
	const r = 6378137.0
	dx := (a[0] - b[0]) * math.Pi / 180 * r * math.Cos(a[1]*math.Pi/180)
	dy := (a[1] - b[1]) * math.Pi / 180 * r
	return math.Hypot(dx, dy)
}

func TestGaussKrugerImportsMatchPROJ(t *testing.T) {
	ring := func(zone40 bool) string {
		var pts []string
		for _, p := range gkReference {
			e, n := p.e4549, p.n4549
			if zone40 {
				e, n = p.e4528, p.n4528
			}
			pts = append(pts, fmt.Sprintf("[%.6f,%.6f]", e, n))
		}
		return "[" + strings.Join(append(pts, pts[0]), ",") + "]"
	}
	legacy := func(name, ring string) string {
		return `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"` + name + `"}},"features":[` + feature(ring, `{}`) + `]}`
	}
	tests := []struct {
		name, query, body, wantCRS string
	}{
		{"EPSG:4549 from the legacy crs member", "", legacy("urn:ogc:def:crs:EPSG::4549", ring(false)), "EPSG:4549"},
		{"EPSG:4549 from the crs parameter", "&crs=EPSG:4549", collection(feature(ring(false), `{}`)), "EPSG:4549"},
		{"EPSG:4528 zone-prefixed eastings", "&crs=EPSG:4528", collection(feature(ring(true), `{}`)), "EPSG:4528"},
		{"EPSG:4528 from the legacy crs member", "", legacy("EPSG:4528", ring(true)), "EPSG:4528"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			r := ts.upload(fmt.Sprintf("/api/layers?id=gk%d%s", i, tt.query), tt.body)
			if r.status != 201 {
				t.Fatalf("import = %d %s", r.status, r.body)
			}
			if got := r.json(t)["layer"].(map[string]any)["source"].(map[string]any)["crs"]; got != tt.wantCRS {
				t.Errorf("source crs = %v, want %s", got, tt.wantCRS)
			}
			f := ts.index.Layer(fmt.Sprintf("gk%d", i)).Feature(1)
			got := f.Geometry.(orb.Polygon)[0]
			worst := 0.0
			for j, ref := range gkReference {
				d := metres(got[j], ref.lonlat)
				worst = math.Max(worst, d)
				if d > 0.001 {
					t.Errorf("point %d: %v is %.6f m from PROJ's %v", j, got[j], d, ref.lonlat)
				}
			}
			t.Logf("largest distance from PROJ: %.2e m", worst)
		})
	}
}
