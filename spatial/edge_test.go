package spatial_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/paulmach/orb/geo"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
)

// expectedEdge holds the areas of the hand-made edge cases measured with GeographicLib's
// Planimeter, independently of mudi (fixtures/edge/expected.json says how).
func expectedEdge(t *testing.T) map[string]map[string]struct {
	AreaM2 *float64 `json:"area_m2"`
} {
	t.Helper()
	raw, err := fixtures.Edge("expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases map[string]map[string]struct {
			AreaM2 *float64 `json:"area_m2"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Cases
}

func TestEdgeCaseAreasMatchPlanimeter(t *testing.T) {
	cases := expectedEdge(t)
	checked, worst := 0, 0.0
	for _, name := range fixtures.EdgeNames() {
		data, err := fixtures.Edge(name + ".geojson")
		if err != nil {
			t.Fatal(err)
		}
		imp, err := spatial.DecodeGeoJSON(bytes.NewReader(data), spatial.ImportOptions{Strict: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range imp.Features {
			fname := f.Attrs.String("name")
			want := cases[name][fname].AreaM2
			if want == nil {
				continue
			}
			checked++
			got := f.Derived.AreaM2
			rel := math.Abs(got-*want) / *want
			worst = math.Max(worst, rel)
			if rel > 1e-6 {
				t.Errorf("%s/%s: area %.5f m², Planimeter %.5f (relative %.1e)", name, fname, got, *want, rel)
			}
		}
	}
	t.Logf("%d features, largest relative difference from Planimeter %.1e", checked, worst)
	if checked < 15 {
		t.Errorf("only %d features had reference areas", checked)
	}
}

// The parcel just under 50 亩 stays under 50 亩 with mudi's ellipsoidal area, while a spherical
// formula (orb/geo.Area) puts it over: the decision the policy hinges on.
func TestParcelNear50MuIsDecidedEllipsoidally(t *testing.T) {
	data, err := fixtures.Edge("under-50mu.geojson")
	if err != nil {
		t.Fatal(err)
	}
	imp, err := spatial.DecodeGeoJSON(bytes.NewReader(data), spatial.ImportOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	f := imp.Features[0]
	if f.Derived.AreaMu >= 50 || f.Derived.AreaMu < 49.8 {
		t.Errorf("ellipsoidal area %.4f 亩, want just under 50", f.Derived.AreaMu)
	}
	if sph := spatial.MuFromM2(geo.Area(f.Geometry)); sph < 50 {
		t.Errorf("spherical area %.4f 亩: the fixture no longer shows the difference", sph)
	}
}
