package spatial

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// Reference areas from GeographicLib's own Planimeter (Debian geographiclib-tools, WGS 84),
// independent of this package, e.g.:
//
//	printf '28.94 118.87\n28.94 118.871\n28.941 118.871\n28.941 118.87\n' | Planimeter -p 9
//	→ 4 416.658881388 10805.7992
var areaCases = []struct {
	name string
	geom orb.Geometry
	want float64 // m²
}{
	{"square of 0.001° at Quzhou", orb.Polygon{{{118.87, 28.94}, {118.871, 28.94}, {118.871, 28.941}, {118.87, 28.941}, {118.87, 28.94}}}, 10805.7992},
	{"same square clockwise", orb.Polygon{{{118.87, 28.94}, {118.87, 28.941}, {118.871, 28.941}, {118.871, 28.94}, {118.87, 28.94}}}, 10805.7992},
	{"irregular quadrilateral", orb.Polygon{{{118.87, 28.94}, {118.8723, 28.94}, {118.8731, 28.9418}, {118.8702, 28.9421}, {118.87, 28.94}}}, 55595.6177},
	{"square with a hole", orb.Polygon{
		{{118.87, 28.94}, {118.871, 28.94}, {118.871, 28.941}, {118.87, 28.941}, {118.87, 28.94}},
		{{118.8705, 28.9405}, {118.8705, 28.9406}, {118.8706, 28.9406}, {118.8706, 28.9405}, {118.8705, 28.9405}},
	}, 10805.7992 - 108.0579},
	{"multipolygon at Quzhou and Linyi", orb.MultiPolygon{
		{{{118.87, 28.94}, {118.871, 28.94}, {118.871, 28.941}, {118.87, 28.941}, {118.87, 28.94}}},
		{{{118.35, 35.1}, {118.36, 35.1}, {118.36, 35.11}, {118.35, 35.11}, {118.35, 35.1}}},
	}, 10805.7992 + 1011478.3194},
	{"unclosed ring", orb.Polygon{{{118.87, 28.94}, {118.871, 28.94}, {118.871, 28.941}, {118.87, 28.941}}}, 10805.7992},
}

func TestAreaM2MatchesGeographicLib(t *testing.T) {
	for _, tt := range areaCases {
		t.Run(tt.name, func(t *testing.T) {
			got := AreaM2(tt.geom)
			if rel := math.Abs(got-tt.want) / tt.want; rel > 1e-6 {
				t.Errorf("AreaM2 = %.4f m², want %.4f (relative error %.2e)", got, tt.want, rel)
			}
		})
	}
}

// A spherical formula overstates areas by about 0.36 % at 29°N: enough to flip a 50 亩 decision.
func TestAreaIsEllipsoidalNotSpherical(t *testing.T) {
	p := areaCases[0].geom.(orb.Polygon)
	ell, sph := AreaM2(p), geo.Area(p)
	if d := (sph - ell) / ell; d < 0.003 || d > 0.004 {
		t.Errorf("spherical/ellipsoidal − 1 = %.4f; expected about +0.0036 at 29°N", d)
	}
}

func TestMuFromM2(t *testing.T) {
	if got := MuFromM2(10000.0 / 15); math.Abs(got-1) > 1e-15 {
		t.Errorf("one 亩 of square metres = %v 亩", got)
	}
	if got := MuFromM2(10000); math.Abs(got-15) > 1e-12 {
		t.Errorf("one hectare = %v 亩, want 15", got)
	}
}

func TestDistanceM(t *testing.T) {
	// echo '28.94 118.87 28.94 118.871' | GeodSolve -i -p 9 → azimuths 89.99975…, 90.00024…, distance 97.495125171
	got := DistanceM(orb.Point{118.87, 28.94}, orb.Point{118.871, 28.94})
	if math.Abs(got-97.495125171) > 1e-6 {
		t.Errorf("DistanceM = %.6f, want 97.495125171", got)
	}
}
