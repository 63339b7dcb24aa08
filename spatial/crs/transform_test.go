package crs_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial/crs"
)

// TestRoundTrip checks ToLonLat(FromLonLat(p)) == p within 1e-9 degrees, and
// FromLonLat(ToLonLat(x, y)) == (x, y) within a micrometre, over a grid around each zone.
func TestRoundTrip(t *testing.T) {
	for _, c := range allCRS(t) {
		t.Run(c.String(), func(t *testing.T) {
			lon0, lonSpan, lat0, latSpan := c.CentralMeridian(), 5.0, 15.0, 40.0
			if !strings.Contains(c.Name(), "Gauss-Kruger") {
				lon0, lonSpan, lat0, latSpan = 0, 179.9, -85, 170
			}
			var maxDeg, maxMetres float64
			for i := -10; i <= 10; i++ {
				for j := 0; j <= 20; j++ {
					lon, lat := lon0+lonSpan*float64(i)/10, lat0+latSpan*float64(j)/20
					x, y, err := c.FromLonLat(lon, lat)
					if err != nil {
						t.Fatalf("FromLonLat(%v, %v): %v", lon, lat, err)
					}
					lon2, lat2, err := c.ToLonLat(x, y)
					if err != nil {
						t.Fatalf("ToLonLat(%v, %v): %v", x, y, err)
					}
					d := max(math.Abs(lon2-lon), math.Abs(lat2-lat))
					if d > 1e-9 {
						t.Errorf("ToLonLat(FromLonLat(%v, %v)) = %v, %v: off by %g°", lon, lat, lon2, lat2, d)
					}
					x2, y2, err := c.FromLonLat(lon2, lat2)
					if err != nil {
						t.Fatalf("FromLonLat(%v, %v): %v", lon2, lat2, err)
					}
					dm := math.Hypot(x2-x, y2-y)
					if dm > 1e-6 {
						t.Errorf("FromLonLat(ToLonLat(%v, %v)) = %v, %v: off by %g m", x, y, x2, y2, dm)
					}
					maxDeg, maxMetres = max(maxDeg, d), max(maxMetres, dm)
				}
			}
			t.Logf("largest round-trip error: %.2g° from lon/lat, %.2g m from %s", maxDeg, maxMetres, c)
		})
	}
}

func TestKnownPositions(t *testing.T) {
	tests := []struct {
		name     string
		code     int
		lon, lat float64
		x, y     float64 // PROJ, rounded to the millimetre
	}{
		{"Quzhou in CM 120E", 4549, 118.87, 28.94, 389826.683, 3203144.968},
		{"Quzhou in zone 40 carries the zone in the easting", 4528, 118.87, 28.94, 40389826.683, 3203144.968},
		{"central meridian maps to the false easting", 4549, 120, 0, 500000, 0},
		{"equator on the central meridian of zone 25", 4513, 75, 0, 25500000, 0},
		{"Web Mercator origin", 3857, 0, 0, 0, 0},
		{"Web Mercator antimeridian", 3857, 180, 0, 20037508.343, 0},
		{"Web Mercator clamps latitude to the tile pyramid", 3857, 0, 89.9, 0, 20037508.343},
		{"geographic is the identity", 4490, 118.87, 28.94, 118.87, 28.94},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustEPSG(t, tt.code)
			x, y, err := c.FromLonLat(tt.lon, tt.lat)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(x-tt.x) > 5e-4 || math.Abs(y-tt.y) > 5e-4 {
				t.Errorf("%s FromLonLat(%v, %v) = %.4f, %.4f; want %.3f, %.3f", c, tt.lon, tt.lat, x, y, tt.x, tt.y)
			}
		})
	}
}

func TestConversionErrors(t *testing.T) {
	cm120 := mustEPSG(t, 4549)
	zone40 := mustEPSG(t, 4528)
	tests := []struct {
		name    string
		crs     crs.CRS
		inverse bool // ToLonLat instead of FromLonLat
		x, y    float64
		wantErr error
		wantMsg string
	}{
		{"NaN longitude", cm120, false, math.NaN(), 30, crs.ErrOutOfRange, "NaN"},
		{"infinite easting", cm120, true, math.Inf(1), 3e6, crs.ErrOutOfRange, "+Inf"},
		{"latitude beyond the pole", cm120, false, 120, 90.5, crs.ErrOutOfRange, "latitude 90.5"},
		{"longitude beyond 180", crs.EPSG4490, false, 180.5, 30, crs.ErrOutOfRange, "longitude 180.5"},
		{"Gauss-Krüger coordinates declared as lon/lat", crs.EPSG4490, true, 389826.68, 3203144.97,
			crs.ErrOutOfRange, "projected coordinates"},
		{"longitude far from the central meridian", cm120, false, 60, 30, crs.ErrOutOfRange, "central meridian 120°E"},
		{"longitude on the other side of the world", cm120, false, -60, 30, crs.ErrOutOfRange, "central meridian"},
		{"easting far from the central meridian", cm120, true, 9e6, 3e6, crs.ErrOutOfRange, "central meridian"},
		{"zone-40 easting without its zone prefix", zone40, true, 389826.68, 3203144.97, crs.ErrOutOfRange, "central meridian"},
		{"absurd easting", cm120, true, 1e300, 3e6, crs.ErrOutOfRange, "central meridian"},
		{"northing beyond the pole", cm120, true, 500000, 1.1e7, crs.ErrOutOfRange, "pole"},
		{"northing far beyond the pole", cm120, true, 500000, 4e7, crs.ErrOutOfRange, "pole"},
		{"Web Mercator easting beyond 180°", crs.EPSG3857, true, 2.1e7, 0, crs.ErrOutOfRange, "180°"},
		{"zero CRS", crs.CRS{}, false, 120, 30, crs.ErrUnsupported, "not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			convert, op := tt.crs.FromLonLat, "FromLonLat"
			if tt.inverse {
				convert, op = tt.crs.ToLonLat, "ToLonLat"
			}
			a, b, err := convert(tt.x, tt.y)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("%s %s(%v, %v) = %v, %v, %v; want an error wrapping %v", tt.crs, op, tt.x, tt.y, a, b, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// TestTransformAllGeometries checks every orb geometry type: same type and shape out, nil
// slices kept nil, Bound refused.
func TestTransformAllGeometries(t *testing.T) {
	for _, g := range orb.AllGeometries {
		name := "nil"
		if g != nil {
			name = reflect.TypeOf(g).Name()
		}
		t.Run(name, func(t *testing.T) {
			got, err := crs.TransformToLonLat(g, crs.EPSG3857)
			if _, isBound := g.(orb.Bound); isBound {
				if err == nil {
					t.Fatalf("TransformToLonLat(Bound) = %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Web Mercator (0, 0) is lon/lat (0, 0), so the result equals the input.
			if !reflect.DeepEqual(got, g) {
				t.Errorf("TransformToLonLat(%#v) = %#v", g, got)
			}
		})
	}
}

func TestTransformGeometry(t *testing.T) {
	c := mustEPSG(t, 4549)
	// A 100 m square parcel near Quzhou with a 20 m hole, in EPSG:4549.
	parcel := orb.Polygon{
		{{389800, 3203100}, {389900, 3203100}, {389900, 3203200}, {389800, 3203200}, {389800, 3203100}},
		{{389840, 3203140}, {389840, 3203160}, {389860, 3203160}, {389860, 3203140}, {389840, 3203140}},
	}
	tests := []struct {
		name string
		g    orb.Geometry
	}{
		{"point", orb.Point{389826.683, 3203144.968}},
		{"multi point", orb.MultiPoint{{389800, 3203100}, {389900, 3203200}}},
		{"line string", orb.LineString{{389800, 3203100}, {389900, 3203200}}},
		{"multi line string", orb.MultiLineString{{{389800, 3203100}, {389900, 3203200}}, nil}},
		{"ring", parcel[0]},
		{"polygon with a hole", parcel},
		{"multi polygon", orb.MultiPolygon{parcel, {parcel[0]}}},
		{"collection", orb.Collection{orb.Point{389826.683, 3203144.968}, parcel}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := orb.Clone(tt.g)
			lonLat, err := crs.TransformToLonLat(tt.g, c)
			if err != nil {
				t.Fatal(err)
			}
			if !orb.Equal(tt.g, before) {
				t.Fatalf("TransformToLonLat modified its input")
			}
			if reflect.TypeOf(lonLat) != reflect.TypeOf(tt.g) {
				t.Fatalf("TransformToLonLat returned a %T for a %T", lonLat, tt.g)
			}
			checkEachPoint(t, tt.g, lonLat, c.ToLonLat)

			back, err := crs.TransformFromLonLat(lonLat, c)
			if err != nil {
				t.Fatal(err)
			}
			checkEachPoint(t, lonLat, back, c.FromLonLat)
			if d := maxDistance(tt.g, back); d > 1e-6 {
				t.Errorf("TransformFromLonLat(TransformToLonLat(g)) is %g m off", d)
			}
		})
	}
}

func TestTransformError(t *testing.T) {
	// The second ring holds a point given in degrees by mistake.
	g := orb.Polygon{
		{{389800, 3203100}, {389900, 3203100}, {389900, 3203200}, {389800, 3203100}},
		{{118.87, 28.94}, {389900, 3203100}, {389900, 3203200}, {118.87, 28.94}},
	}
	got, err := crs.TransformToLonLat(g, mustEPSG(t, 4528))
	if !errors.Is(err, crs.ErrOutOfRange) || got != nil {
		t.Errorf("TransformToLonLat = %v, %v; want nil and an error wrapping ErrOutOfRange", got, err)
	}
}

// checkEachPoint checks that out is in holding convert of each point of in, in order.
func checkEachPoint(tb testing.TB, in, out orb.Geometry, convert func(x, y float64) (float64, float64, error)) {
	tb.Helper()
	pin, pout := points(in), points(out)
	if len(pin) != len(pout) {
		tb.Fatalf("%d points in, %d out", len(pin), len(pout))
	}
	for i, p := range pin {
		x, y, err := convert(p[0], p[1])
		if err != nil {
			tb.Fatal(err)
		}
		if (orb.Point{x, y}) != pout[i] {
			tb.Errorf("point %d: %v became %v, want %v", i, p, pout[i], orb.Point{x, y})
		}
	}
}

// points flattens a geometry into its points, in order.
func points(g orb.Geometry) []orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return []orb.Point{g}
	case orb.MultiPoint:
		return g
	case orb.LineString:
		return g
	case orb.Ring:
		return g
	case orb.MultiLineString:
		var ps []orb.Point
		for _, ls := range g {
			ps = append(ps, ls...)
		}
		return ps
	case orb.Polygon:
		var ps []orb.Point
		for _, r := range g {
			ps = append(ps, r...)
		}
		return ps
	case orb.MultiPolygon:
		var ps []orb.Point
		for _, p := range g {
			ps = append(ps, points(p)...)
		}
		return ps
	case orb.Collection:
		var ps []orb.Point
		for _, m := range g {
			ps = append(ps, points(m)...)
		}
		return ps
	}
	return nil
}

func maxDistance(a, b orb.Geometry) float64 {
	pa, pb := points(a), points(b)
	d := 0.0
	for i := range pa {
		d = max(d, math.Hypot(pa[i][0]-pb[i][0], pa[i][1]-pb[i][1]))
	}
	return d
}

// TestConcurrentUse converts from many goroutines at once; run it with -race.
func TestConcurrentUse(t *testing.T) {
	c := mustEPSG(t, 4547)
	want := mustFromLonLat(t, c, 113.08, 22.58)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				x, y, err := c.FromLonLat(113.08, 22.58)
				if err != nil || x != want[0] || y != want[1] {
					t.Errorf("FromLonLat = %v, %v, %v; want %v", x, y, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
