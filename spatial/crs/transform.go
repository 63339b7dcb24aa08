package crs

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// MaxCentralMeridianOffset is how far from a Gauss-Krüger zone's central meridian, in degrees
// of longitude, a position may lie. A 3-degree zone is used within a few degrees of its
// meridian; within this limit the Krüger series keeps its nanometre accuracy (3900 km at the
// equator), beyond it a position in a zone is certainly an error.
const MaxCentralMeridianOffset = 35.0

// webMercatorMaxLat is the latitude, in degrees, at which Web Mercator is square: the limit of
// web map tiles. [CRS.FromLonLat] clamps latitudes to ±webMercatorMaxLat.
const webMercatorMaxLat = 85.05112878

const (
	radPerDeg = math.Pi / 180
	degPerRad = 180 / math.Pi
)

// ToLonLat converts x, y in c to longitude and latitude in degrees (on c's datum; CGCS2000
// and WGS 84 are not told apart). x is the easting or longitude, y the northing or latitude,
// whatever c.NorthingFirst says. Geographic input comes back unchanged.
//
// It returns an error wrapping [ErrOutOfRange] for NaN or infinite input, for geographic input
// beyond ±180° longitude or ±90° latitude, for a Web Mercator position beyond ±180° longitude,
// and for a Gauss-Krüger position more than [MaxCentralMeridianOffset] from the central
// meridian or beyond a pole; an error wrapping [ErrUnsupported] if c is the zero value.
func (c CRS) ToLonLat(x, y float64) (lon, lat float64, err error) {
	switch {
	case c.code == 0:
		return 0, 0, errNotSet
	case !isFinite(x) || !isFinite(y):
		return 0, 0, fmt.Errorf("%w: %s x=%v y=%v", ErrOutOfRange, c, x, y)
	case c.Geographic():
		return x, y, checkLonLat(c, x, y)
	case c.code == 3857:
		lon = x / semiMajor * degPerRad
		lat = math.Atan(math.Sinh(y/semiMajor)) * degPerRad
		if !(math.Abs(lon) <= 180+1e-9) {
			return 0, 0, fmt.Errorf("%w: %s x=%v is beyond 180° of longitude", ErrOutOfRange, c, x)
		}
		return lon, lat, nil
	}
	lon0, falseEasting, _ := c.gaussKruger()
	if !(math.Abs(y) <= cgcs2000TM.poleNorthing) {
		return 0, 0, fmt.Errorf("%w: %s northing %v is beyond the pole", ErrOutOfRange, c, y)
	}
	phi, lam := cgcs2000TM.inverse(x-falseEasting, y)
	if !(math.Abs(lam) <= MaxCentralMeridianOffset*radPerDeg) {
		return 0, 0, fmt.Errorf("%w: %s easting %v is more than %g° from the central meridian %g°E",
			ErrOutOfRange, c, x, MaxCentralMeridianOffset, lon0)
	}
	return lon0 + lam*degPerRad, phi * degPerRad, nil
}

// FromLonLat converts longitude and latitude in degrees to x, y in c: easting or longitude
// first, whatever c.NorthingFirst says. Geographic output is the input unchanged; Web Mercator
// clamps the latitude to ±85.05112878°, the edge of the tile pyramid.
//
// It returns an error wrapping [ErrOutOfRange] for NaN or infinite input, a longitude beyond
// ±180° or a latitude beyond ±90°, and for a Gauss-Krüger CRS a longitude more than
// [MaxCentralMeridianOffset] from the central meridian; an error wrapping [ErrUnsupported] if
// c is the zero value.
func (c CRS) FromLonLat(lon, lat float64) (x, y float64, err error) {
	if c.code == 0 {
		return 0, 0, errNotSet
	}
	if err := checkLonLat(c, lon, lat); err != nil {
		return 0, 0, err
	}
	switch {
	case c.Geographic():
		return lon, lat, nil
	case c.code == 3857:
		lat = max(-webMercatorMaxLat, min(webMercatorMaxLat, lat))
		return semiMajor * lon * radPerDeg, semiMajor * math.Log(math.Tan(math.Pi/4+lat*radPerDeg/2)), nil
	}
	lon0, falseEasting, _ := c.gaussKruger()
	dlon := math.Remainder(lon-lon0, 360)
	if !(math.Abs(dlon) <= MaxCentralMeridianOffset) {
		return 0, 0, fmt.Errorf("%w: %s longitude %v is more than %g° from the central meridian %g°E",
			ErrOutOfRange, c, lon, MaxCentralMeridianOffset, lon0)
	}
	x, y = cgcs2000TM.forward(lat*radPerDeg, dlon*radPerDeg)
	return x + falseEasting, y, nil
}

var errNotSet = fmt.Errorf("%w: CRS not set", ErrUnsupported)

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkLonLat checks that lon, lat are degrees within ±180 and ±90. Its error names c and
// points out the likely cause: projected coordinates declared as degrees.
func checkLonLat(c CRS, lon, lat float64) error {
	if math.Abs(lon) <= 180 && math.Abs(lat) <= 90 {
		return nil
	}
	hint := ""
	if isFinite(lon) && isFinite(lat) && (math.Abs(lon) > 180 || math.Abs(lat) > 180) {
		hint = " (projected coordinates, not degrees?)"
	}
	return fmt.Errorf("%w: %s longitude %v, latitude %v is not a position in degrees%s",
		ErrOutOfRange, c, lon, lat, hint)
}

// TransformToLonLat returns a new geometry with every point of g converted from the CRS from
// to longitude/latitude degrees by [CRS.ToLonLat]. g is never modified. It handles every orb
// geometry type except [orb.Bound] (the corners of a bound do not bound the converted shape);
// the result has the same type and nesting, and nil slices stay nil. A nil g gives nil.
// On the first point that fails, it returns a nil geometry and that point's error.
func TransformToLonLat(g orb.Geometry, from CRS) (orb.Geometry, error) {
	return transform(g, from.ToLonLat)
}

// TransformFromLonLat returns a new geometry with every point of g, in longitude/latitude
// degrees, converted to the CRS to by [CRS.FromLonLat]. It follows the rules of
// [TransformToLonLat].
func TransformFromLonLat(g orb.Geometry, to CRS) (orb.Geometry, error) {
	return transform(g, to.FromLonLat)
}

// pointFunc converts one position, easting or longitude first.
type pointFunc func(x, y float64) (float64, float64, error)

func transform(g orb.Geometry, f pointFunc) (orb.Geometry, error) {
	point := func(p orb.Point) (orb.Point, error) {
		x, y, err := f(p[0], p[1])
		return orb.Point{x, y}, err
	}
	ring := func(r orb.Ring) (orb.Ring, error) { return mapSlice(r, point) }
	polygon := func(p orb.Polygon) (orb.Polygon, error) { return mapSlice(p, ring) }

	var out orb.Geometry
	var err error
	switch g := g.(type) {
	case nil:
		return nil, nil
	case orb.Point:
		out, err = point(g)
	case orb.MultiPoint:
		out, err = mapSlice(g, point)
	case orb.LineString:
		out, err = mapSlice(g, point)
	case orb.MultiLineString:
		out, err = mapSlice(g, func(ls orb.LineString) (orb.LineString, error) { return mapSlice(ls, point) })
	case orb.Ring:
		out, err = ring(g)
	case orb.Polygon:
		out, err = polygon(g)
	case orb.MultiPolygon:
		out, err = mapSlice(g, polygon)
	case orb.Collection:
		out, err = mapSlice(g, func(m orb.Geometry) (orb.Geometry, error) { return transform(m, f) })
	default:
		return nil, fmt.Errorf("crs: cannot transform a %T; transform the geometry it was computed from", g)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mapSlice returns a new slice holding f of each element of in; nil stays nil.
func mapSlice[S ~[]E, E any](in S, f func(E) (E, error)) (S, error) {
	if in == nil {
		return nil, nil
	}
	out := make(S, len(in))
	for i, v := range in {
		w, err := f(v)
		if err != nil {
			return nil, err
		}
		out[i] = w
	}
	return out, nil
}
