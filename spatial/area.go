package spatial

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
)

// SquareMetresPerMu is the area of one 亩 in square metres (10000/15 m²).
const SquareMetresPerMu = 10000.0 / 15.0

// MuFromM2 converts square metres to 亩.
func MuFromM2(m2 float64) float64 { return m2 / SquareMetresPerMu }

// AreaM2 returns the ellipsoidal area of a Polygon or MultiPolygon in square metres: the area on
// the WGS 84 ellipsoid of the region bounded by geodesic edges, holes subtracted. This is the
// definition of PostGIS ST_Area(geography) and GeographicLib's Planimeter. Ring orientation does
// not matter. Other geometry types have area 0.
func AreaM2(g orb.Geometry) float64 {
	var sum float64
	for _, p := range Polygons(g) {
		sum += PolygonAreaM2(p)
	}
	return sum
}

// PolygonAreaM2 returns the ellipsoidal area of one polygon in square metres (see [AreaM2]).
func PolygonAreaM2(p orb.Polygon) float64 {
	var a float64
	for i, r := range p {
		ra := RingAreaM2(r)
		if i == 0 {
			a += ra
		} else {
			a -= ra
		}
	}
	return a
}

// RingAreaM2 returns the ellipsoidal area enclosed by a ring (closed or not) in square metres,
// whatever its orientation.
func RingAreaM2(r orb.Ring) float64 {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	if n < 3 {
		return 0
	}
	poly := geodesic.WGS84.PolygonInit(false)
	for _, pt := range r[:n] {
		poly.AddPoint(pt[1], pt[0]) // geodesic takes latitude first
	}
	var area float64
	// sign=true: a clockwise ring gives a negative area rather than the rest of the Earth.
	poly.Compute(false, true, &area, nil)
	return math.Abs(area)
}

// DistanceM returns the geodesic distance in metres between two lon/lat points on WGS 84.
func DistanceM(a, b orb.Point) float64 {
	var s float64
	geodesic.WGS84.Inverse(a[1], a[0], b[1], b[0], &s, nil, nil)
	return s
}
