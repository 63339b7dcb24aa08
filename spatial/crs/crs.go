package crs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnsupported is returned, wrapped with the offending input, for a coordinate reference
// system this package does not know or does not accept, and for a [CRS] that is not set.
var ErrUnsupported = errors.New("crs: unsupported coordinate reference system")

// ErrOutOfRange is returned, wrapped with the offending coordinates, by the coordinate
// conversions for input that is not a valid position in the CRS: NaN or infinite values,
// latitudes beyond ±90°, longitudes beyond ±180°, or Gauss-Krüger positions more than
// [MaxCentralMeridianOffset] degrees of longitude from the zone's central meridian.
var ErrOutOfRange = errors.New("crs: coordinate out of range")

// CRS is a coordinate reference system mudi accepts: geographic lon/lat (EPSG:4326,
// EPSG:4490, OGC CRS84), Web Mercator (EPSG:3857), or a CGCS2000 3-degree Gauss-Krüger zone
// (EPSG:4513–4554). See the package documentation for their parameters.
//
// CRS is a small comparable value: compare with ==, use it as a map key. Its zero value means
// "not set": it reports EPSG code 0 and empty strings, and its conversions fail with
// [ErrUnsupported]. Build one with [Parse], [FromEPSG], [FromWKT] or the variables below.
type CRS struct {
	code  int  // EPSG code; 0 = not set
	crs84 bool // OGC:CRS84, the EPSG:4326 datum with longitude first
}

// The CRSs that have names of their own; Gauss-Krüger zones come from [FromEPSG] or [Parse].
var (
	// CRS84 is OGC CRS84: WGS 84 longitude/latitude, longitude first (the GeoJSON default).
	CRS84 = CRS{code: 4326, crs84: true}
	// EPSG4326 is WGS 84 latitude/longitude, latitude first by definition.
	EPSG4326 = CRS{code: 4326}
	// EPSG4490 is CGCS2000 latitude/longitude, latitude first by definition.
	EPSG4490 = CRS{code: 4490}
	// EPSG3857 is Web Mercator (WGS 84 / Pseudo-Mercator), easting first, in metres.
	EPSG3857 = CRS{code: 3857}
)

// EPSG codes of the CGCS2000 3-degree Gauss-Krüger zones.
const (
	firstZoneCode = 4513 // "CGCS2000 / 3-degree Gauss-Kruger zone 25", central meridian 75°E
	lastZoneCode  = 4533 // zone 45, central meridian 135°E
	firstCMCode   = 4534 // "CGCS2000 / 3-degree Gauss-Kruger CM 75E"
	lastCMCode    = 4554 // CM 135E
)

// FromEPSG returns the CRS with the given EPSG code: 4326, 4490, 3857 or 4513–4554.
// Other codes return an error wrapping [ErrUnsupported].
func FromEPSG(code int) (CRS, error) {
	switch {
	case code == 4326, code == 4490, code == 3857,
		code >= firstZoneCode && code <= lastCMCode:
		return CRS{code: code}, nil
	}
	return CRS{}, fmt.Errorf("%w: EPSG:%d", ErrUnsupported, code)
}

// Parse returns the CRS named by s, case-insensitively and ignoring surrounding spaces. It
// accepts these spellings (shown for EPSG:4549):
//
//	EPSG:4549
//	4549
//	urn:ogc:def:crs:EPSG::4549                     (a version may stand between the colons)
//	http://www.opengis.net/def/crs/EPSG/0/4549     (also https, any version)
//	CRS84, OGC:CRS84, urn:ogc:def:crs:OGC:1.3:CRS84, http://www.opengis.net/def/crs/OGC/1.3/CRS84
//
// An unknown spelling or an unsupported code returns an error wrapping [ErrUnsupported] that
// quotes s.
func Parse(s string) (CRS, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "crs84", "ogc:crs84",
		"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84",
		"http://www.opengis.net/def/crs/ogc/1.3/crs84", "https://www.opengis.net/def/crs/ogc/1.3/crs84":
		return CRS84, nil
	}
	if code, ok := epsgCode(t); ok {
		if c, err := FromEPSG(code); err == nil {
			return c, nil
		}
	}
	return CRS{}, fmt.Errorf("%w: %q", ErrUnsupported, s)
}

// epsgCode extracts the code from a lower-case EPSG spelling accepted by [Parse].
func epsgCode(t string) (int, bool) {
	switch {
	case strings.HasPrefix(t, "epsg:"):
		return parseCode(t[len("epsg:"):])
	case strings.HasPrefix(t, "urn:ogc:def:crs:epsg:"):
		// urn:ogc:def:crs:EPSG:{version}:{code}, the version usually empty.
		version, code, ok := strings.Cut(t[len("urn:ogc:def:crs:epsg:"):], ":")
		if !ok || (version != "" && !isVersion(version)) {
			return 0, false
		}
		return parseCode(code)
	case strings.HasPrefix(t, "http://www.opengis.net/def/crs/epsg/"),
		strings.HasPrefix(t, "https://www.opengis.net/def/crs/epsg/"):
		// http://www.opengis.net/def/crs/EPSG/{version}/{code}, the version usually 0.
		_, rest, _ := strings.Cut(t, "/crs/epsg/")
		version, code, ok := strings.Cut(rest, "/")
		if !ok || !isVersion(version) {
			return 0, false
		}
		return parseCode(code)
	}
	return parseCode(t)
}

// parseCode parses an EPSG code of one to six ASCII digits.
func parseCode(s string) (int, bool) {
	if len(s) == 0 || len(s) > 6 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	code, err := strconv.Atoi(s)
	return code, err == nil
}

// isVersion reports whether s looks like a register version: "0", "9.8.15".
func isVersion(s string) bool {
	return s != "" && strings.Trim(s, "0123456789.") == ""
}

// EPSG returns the EPSG code: 4326 for CRS84 too, 0 for the zero value.
func (c CRS) EPSG() int { return c.code }

// String returns the short identifier: "EPSG:4549", "OGC:CRS84"; "" for the zero value.
// [Parse] accepts it.
func (c CRS) String() string {
	switch {
	case c.code == 0:
		return ""
	case c.crs84:
		return "OGC:CRS84"
	}
	return "EPSG:" + strconv.Itoa(c.code)
}

// URI returns the OGC http URI, as used by OGC API - Features:
// "http://www.opengis.net/def/crs/EPSG/0/4549", or
// "http://www.opengis.net/def/crs/OGC/1.3/CRS84"; "" for the zero value. [Parse] accepts it.
func (c CRS) URI() string {
	switch {
	case c.code == 0:
		return ""
	case c.crs84:
		return "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	}
	return "http://www.opengis.net/def/crs/EPSG/0/" + strconv.Itoa(c.code)
}

// Name returns the EPSG name, e.g. "CGCS2000 / 3-degree Gauss-Kruger CM 120E" or
// "CGCS2000 / 3-degree Gauss-Kruger zone 40"; "" for the zero value.
func (c CRS) Name() string {
	switch {
	case c.crs84:
		return "WGS 84 (CRS84)"
	case c.code == 4326:
		return "WGS 84"
	case c.code == 4490:
		return "China Geodetic Coordinate System 2000"
	case c.code == 3857:
		return "WGS 84 / Pseudo-Mercator"
	case c.code >= firstCMCode && c.code <= lastCMCode:
		return fmt.Sprintf("CGCS2000 / 3-degree Gauss-Kruger CM %gE", c.CentralMeridian())
	case c.code >= firstZoneCode && c.code <= lastZoneCode:
		return fmt.Sprintf("CGCS2000 / 3-degree Gauss-Kruger zone %d", c.zone())
	}
	return ""
}

// Geographic reports whether coordinates are longitude/latitude degrees (EPSG:4326,
// EPSG:4490, CRS84).
func (c CRS) Geographic() bool { return c.code == 4326 || c.code == 4490 }

// NorthingFirst reports whether the EPSG or OGC definition, and so the CRS URI, lists the
// northing or latitude axis first: true for EPSG:4490, EPSG:4326 and every Gauss-Krüger code;
// false for CRS84, EPSG:3857 and the zero value. The conversions in this package ignore it and
// always take easting or longitude first; swap only when reading or writing a format that
// follows the declared axis order.
func (c CRS) NorthingFirst() bool { return c.code != 0 && c.code != 3857 && !c.crs84 }

// CentralMeridian returns the central meridian of a Gauss-Krüger zone in degrees east, and 0
// for every other CRS.
func (c CRS) CentralMeridian() float64 {
	lon0, _, _ := c.gaussKruger()
	return lon0
}

// zone returns the 3-degree zone number of a Gauss-Krüger CRS (central meridian / 3).
func (c CRS) zone() int {
	switch {
	case c.code >= firstZoneCode && c.code <= lastZoneCode:
		return c.code - 4488
	case c.code >= firstCMCode && c.code <= lastCMCode:
		return 25 + c.code - firstCMCode
	}
	return 0
}

// gaussKruger returns the central meridian (degrees) and false easting (metres) of a
// Gauss-Krüger CRS; ok is false for every other CRS.
func (c CRS) gaussKruger() (lon0, falseEasting float64, ok bool) {
	zone := c.zone()
	switch {
	case zone == 0:
		return 0, 0, false
	case c.code >= firstZoneCode && c.code <= lastZoneCode:
		return float64(3 * zone), float64(zone)*1e6 + 500000, true
	}
	return float64(3 * zone), 500000, true
}

// MarshalText implements [encoding.TextMarshaler] with [CRS.String], so a CRS can sit in JSON
// or configuration structs.
func (c CRS) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler] with [Parse]; empty text gives the zero
// value.
func (c *CRS) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*c = CRS{}
		return nil
	}
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*c = p
	return nil
}
