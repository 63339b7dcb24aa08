package crs

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// FromWKT recognises the CRS described by a WKT string: the ESRI WKT of a Shapefile's .prj,
// OGC WKT1 (GDAL, QGIS) or WKT2. It recognises
//
//   - a top-level AUTHORITY["EPSG","NNNN"] or ID["EPSG",NNNN] of a supported code, used as is;
//   - CGCS2000 lon/lat (GCS_China_Geodetic_Coordinate_System_2000, datum China_2000, or an
//     unnamed datum on the CGCS2000/GRS 80 ellipsoid, 1/f = 298.257222101) → EPSG:4490;
//   - WGS 84 lon/lat → EPSG:4326, or CRS84 when the axes are listed longitude first;
//   - Web Mercator (Mercator_Auxiliary_Sphere, Popular Visualisation Pseudo Mercator) → EPSG:3857;
//   - a CGCS2000 Gauss-Krüger or transverse Mercator projection, recognised from its
//     parameters, not its name: scale factor 1, latitude of origin 0, false northing 0, a
//     central meridian CM that is a multiple of 3 from 75°E to 135°E, and a false easting of
//     500 000 m (→ EPSG:4534 + (CM−75)/3) or zone·10⁶ + 500 000 m with zone = CM/3
//     (→ EPSG:4513 + zone − 25). A 6-degree "CM" zone on a meridian that is a multiple of 3 has
//     the same parameters as the 3-degree zone and is recognised as it.
//
// Anything else returns an error wrapping [ErrUnsupported] that names the CRS and says what
// was found: another datum (Beijing 1954, Xian 1980, …), another projection (Lambert, UTM,
// a 6-degree zone-prefixed easting, …), units other than metres and degrees, or malformed WKT.
func FromWKT(wkt string) (CRS, error) {
	root, err := parseWKT(wkt)
	if err != nil {
		return CRS{}, fmt.Errorf("%w: malformed WKT: %v", ErrUnsupported, err)
	}
	if c, ok := authority(root); ok {
		return c, nil
	}
	var c CRS
	switch root.keyword {
	case "GEOGCS", "GEOGCRS", "GEODCRS", "GEOGRAPHICCRS", "GEODETICCRS":
		c, err = geographicFromWKT(root)
	case "PROJCS", "PROJCRS", "PROJECTEDCRS":
		c, err = projectedFromWKT(root)
	default:
		err = fmt.Errorf("%s is neither a geographic nor a projected CRS", root.keyword)
	}
	if err != nil {
		return CRS{}, fmt.Errorf("%w: %s[%q]: %v", ErrUnsupported, root.keyword, root.value(0), err)
	}
	return c, nil
}

// authority returns the CRS named by a top-level AUTHORITY or ID element, if it is supported.
func authority(root *wktNode) (CRS, bool) {
	for _, a := range root.children {
		if a.keyword != "AUTHORITY" && a.keyword != "ID" {
			continue
		}
		switch strings.ToUpper(a.value(0)) {
		case "EPSG":
			if code, ok := parseCode(a.value(1)); ok {
				if c, err := FromEPSG(code); err == nil {
					return c, true
				}
			}
		case "OGC":
			if strings.EqualFold(a.value(1), "CRS84") {
				return CRS84, true
			}
		}
	}
	return CRS{}, false
}

// wgs84InvFlattening is the inverse flattening of the WGS 84 ellipsoid (EPSG:7030).
const wgs84InvFlattening = 298.257223563

// datum is a geodetic datum this package accepts.
type datum int

const (
	datumCGCS2000 datum = iota + 1
	datumWGS84
)

// Normalised names (see normName) of the accepted datums and of their geographic CRSs.
var (
	cgcs2000Names = []string{"china2000", "chinageodeticcoordinatesystem2000", "cgcs2000", "2000国家大地坐标系"}
	wgs84Names    = []string{"wgs1984", "wgs84", "worldgeodeticsystem1984", "worldgeodeticsystem1984ensemble"}
	unnamedNames  = []string{"", "unknown", "unnamed", "undefined", "notspecified"}
)

// normName lower-cases a WKT name, drops ESRI's "D_" and "GCS_" prefixes and keeps only
// letters and digits: "D_China_2000" and "China 2000" both become "china2000".
func normName(s string) string {
	s = strings.ToLower(s)
	s = strings.TrimPrefix(s, "d_")
	s = strings.TrimPrefix(s, "gcs_")
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// datumOf identifies the datum of a geographic CRS element (GEOGCS, BASEGEOGCRS, GEOGCRS…)
// from the datum name, or from the CRS name and ellipsoid when the datum is unnamed, and
// checks the prime meridian, the angular unit and the ellipsoid.
func datumOf(geog *wktNode) (datum, error) {
	if pm := geog.child("PRIMEM", "PRIMEMERIDIAN"); pm != nil {
		if v, ok := pm.number(1); !ok || v != 0 {
			return 0, fmt.Errorf("prime meridian %q at %s is not Greenwich", pm.value(0), pm.value(1))
		}
	}
	if u := geog.child("UNIT", "ANGLEUNIT"); u != nil {
		if v, ok := u.number(1); !ok || !near(v, radPerDeg, 1e-12) {
			return 0, fmt.Errorf("angular unit %q (%s rad) is not the degree", u.value(0), u.value(1))
		}
	}
	d := geog.child("DATUM", "GEODETICDATUM", "TRF", "ENSEMBLE")
	var sph *wktNode
	if d != nil {
		sph = d.child("SPHEROID", "ELLIPSOID")
	}
	if sph == nil {
		sph = geog.child("SPHEROID", "ELLIPSOID")
	}
	var onGRS80, onWGS84 bool // the ellipsoid, if one is given
	if sph != nil {
		// The CGCS2000 (GRS 80) and WGS 84 ellipsoids differ only in 1/f, by 1.5e-6; allow
		// 1/f rounded to seven decimals and take the nearer one.
		a, aOK := sph.number(1)
		rf, rfOK := sph.number(2)
		if !aOK || !rfOK || a != semiMajor || !(near(rf, invFlattening, 1e-5) || near(rf, wgs84InvFlattening, 1e-5)) {
			return 0, fmt.Errorf("datum %q on ellipsoid %q (a=%s, 1/f=%s): only CGCS2000 and WGS 84 are supported",
				d.value(0), sph.value(0), sph.value(1), sph.value(2))
		}
		onGRS80 = math.Abs(rf-invFlattening) < math.Abs(rf-wgs84InvFlattening)
		onWGS84 = !onGRS80
	}
	name := normName(d.value(0))
	if slices.Contains(unnamedNames, name) {
		name = normName(geog.value(0))
	}
	switch {
	case slices.Contains(cgcs2000Names, name):
		return datumCGCS2000, nil
	case slices.Contains(wgs84Names, name):
		return datumWGS84, nil
	case slices.Contains(unnamedNames, name) && onGRS80:
		return datumCGCS2000, nil
	case slices.Contains(unnamedNames, name) && onWGS84:
		return datumWGS84, nil
	}
	return 0, fmt.Errorf("datum %q: only CGCS2000 and WGS 84 are supported", d.value(0))
}

func geographicFromWKT(root *wktNode) (CRS, error) {
	d, err := datumOf(root)
	if err != nil {
		return CRS{}, err
	}
	if d == datumCGCS2000 {
		return EPSG4490, nil
	}
	// WGS 84: OGC WKT of CRS84 differs from EPSG:4326 only by its axis order.
	if axis := root.child("AXIS"); axis != nil && strings.EqualFold(axis.value(1), "east") {
		return CRS84, nil
	}
	return EPSG4326, nil
}

func projectedFromWKT(root *wktNode) (CRS, error) {
	base := root.child("GEOGCS", "BASEGEOGCRS", "BASEGEODCRS")
	if base == nil {
		return CRS{}, fmt.Errorf("no geographic base CRS")
	}
	d, err := datumOf(base)
	if err != nil {
		return CRS{}, err
	}
	if err := checkMetres(root); err != nil {
		return CRS{}, err
	}
	method, params := projection(root)
	switch normName(method) {
	case "gausskruger", "transversemercator":
		if d != datumCGCS2000 {
			return CRS{}, fmt.Errorf("%s on WGS 84 (a UTM zone?): only CGCS2000 Gauss-Krüger zones are supported", method)
		}
		return gaussKrugerFromParams(method, params)
	case "mercatorauxiliarysphere", "popularvisualisationpseudomercator":
		return webMercatorFromParams(method, params, d)
	case "mercator1sp", "mercator":
		// GDAL's WKT1 of EPSG:3857 says Mercator_1SP on WGS 84 and keeps the sphere in a
		// PROJ.4 extension; without it, this is the ellipsoidal World Mercator (EPSG:3395).
		if ext := root.child("EXTENSION"); ext != nil &&
			strings.Contains(ext.value(1), "+a=6378137") && strings.Contains(ext.value(1), "+b=6378137") {
			return webMercatorFromParams(method, params, d)
		}
		return CRS{}, fmt.Errorf("ellipsoidal %s (World Mercator) is not Web Mercator", method)
	}
	return CRS{}, fmt.Errorf("projection %q: only Gauss-Krüger (transverse Mercator) and Web Mercator are supported", method)
}

// checkMetres checks that the linear unit of a projected CRS, if given, is the metre.
func checkMetres(root *wktNode) error {
	units := []*wktNode{root.child("UNIT", "LENGTHUNIT")}
	for _, c := range root.children {
		if c.keyword == "AXIS" || c.keyword == "CS" {
			units = append(units, c.child("UNIT", "LENGTHUNIT"))
		}
	}
	for _, u := range units {
		if u == nil {
			continue
		}
		if v, ok := u.number(1); !ok || v != 1 {
			return fmt.Errorf("linear unit %q (%s m) is not the metre", u.value(0), u.value(1))
		}
	}
	return nil
}

// wktParams holds projection parameters by normalised name, angles in degrees and lengths in
// metres.
type wktParams map[string]float64

// get returns the first parameter present under one of names, or def: WKT leaves out
// parameters at their default.
func (p wktParams) get(def float64, names ...string) float64 {
	for _, n := range names {
		if v, ok := p[n]; ok {
			return v
		}
	}
	return def
}

// projection returns the projection method name and its parameters: PROJECTION and
// PARAMETER elements at the top level in WKT1 and ESRI WKT, METHOD and PARAMETER inside
// CONVERSION in WKT2. A WKT2 parameter with its own unit is converted to degrees or metres;
// WKT1 parameters are in the units of the CRS, checked to be degrees and metres.
func projection(root *wktNode) (string, wktParams) {
	holder := root
	method := root.child("PROJECTION").value(0)
	if conv := root.child("CONVERSION"); conv != nil {
		holder = conv
		method = conv.child("METHOD", "PROJECTION").value(0)
	}
	params := wktParams{}
	for _, c := range holder.children {
		if c.keyword != "PARAMETER" {
			continue
		}
		v, ok := c.number(1)
		if !ok {
			continue
		}
		if u := c.child("ANGLEUNIT"); u != nil {
			if f, ok := u.number(1); ok {
				v *= f / radPerDeg
			}
		} else if u := c.child("LENGTHUNIT", "SCALEUNIT"); u != nil {
			if f, ok := u.number(1); ok {
				v *= f
			}
		}
		params[normName(c.value(0))] = v
	}
	return method, params
}

// Normalised parameter names, ESRI / OGC WKT1 first, then WKT2 (EPSG).
var (
	paramCentralMeridian = []string{"centralmeridian", "longitudeofnaturalorigin", "longitudeoforigin"}
	paramLatitudeOrigin  = []string{"latitudeoforigin", "latitudeofnaturalorigin", "standardparallel1"}
	paramFalseEasting    = []string{"falseeasting"}
	paramFalseNorthing   = []string{"falsenorthing"}
	paramScaleFactor     = []string{"scalefactor", "scalefactoratnaturalorigin"}
)

func gaussKrugerFromParams(method string, p wktParams) (CRS, error) {
	cm := p.get(0, paramCentralMeridian...)
	fe := p.get(0, paramFalseEasting...)
	k := p.get(1, paramScaleFactor...)
	lat0 := p.get(0, paramLatitudeOrigin...)
	fn := p.get(0, paramFalseNorthing...)
	found := fmt.Sprintf("%s with central meridian %s, false easting %s, false northing %s, scale factor %s, latitude of origin %s",
		method, num(cm), num(fe), num(fn), num(k), num(lat0))
	if !near(k, 1, 1e-12) || !near(lat0, 0, 1e-9) || !near(fn, 0, 1e-6) {
		return CRS{}, fmt.Errorf("%s: a CGCS2000 3-degree Gauss-Krüger zone has scale factor 1, latitude of origin 0 and false northing 0", found)
	}
	zone := math.Round(cm / 3)
	if !near(cm, 3*zone, 1e-9) || zone < 25 || zone > 45 {
		return CRS{}, fmt.Errorf("%s: the central meridian is not a 3-degree zone meridian from 75°E to 135°E", found)
	}
	switch {
	case near(fe, 500000, 1e-6):
		return FromEPSG(firstCMCode + int(zone) - 25)
	case near(fe, zone*1e6+500000, 1e-6):
		return FromEPSG(firstZoneCode + int(zone) - 25)
	}
	return CRS{}, fmt.Errorf("%s: zone %g needs false easting 500000 or %.0f (a 6-degree zone?)", found, zone, zone*1e6+500000)
}

func webMercatorFromParams(method string, p wktParams, d datum) (CRS, error) {
	if d != datumWGS84 {
		return CRS{}, fmt.Errorf("%s on CGCS2000: Web Mercator is defined on WGS 84", method)
	}
	zero := p.get(0, paramCentralMeridian...) == 0 && p.get(0, paramLatitudeOrigin...) == 0 &&
		p.get(0, paramFalseEasting...) == 0 && p.get(0, paramFalseNorthing...) == 0 &&
		p.get(1, paramScaleFactor...) == 1 && p.get(0, "auxiliaryspheretype") == 0
	if !zero {
		return CRS{}, fmt.Errorf("%s with non-default parameters %v is not EPSG:3857", method, map[string]float64(p))
	}
	return EPSG3857, nil
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// num formats a WKT parameter in plain decimal notation, as .prj files write them.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
