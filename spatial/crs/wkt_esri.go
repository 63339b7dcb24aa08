package crs

import "fmt"

// ESRI WKT of the geographic systems, as ArcGIS (and GDAL's wkt_esri output) writes them.
const (
	esriCGCS2000 = `GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",` +
		`DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],` +
		`PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	esriWGS84 = `GEOGCS["GCS_WGS_1984",` +
		`DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],` +
		`PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	esriWebMercator = `PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",` + esriWGS84 + `,` +
		`PROJECTION["Mercator_Auxiliary_Sphere"],` +
		`PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],` +
		`PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],` +
		`PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]`
)

// ESRIWKT returns the single-line ESRI WKT that ArcGIS writes to a Shapefile's .prj for c,
// e.g. PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",
// …],PROJECTION["Gauss_Kruger"],…]. CRS84 and EPSG:4326 both give GCS_WGS_1984: ESRI WKT has
// no axis order, and files store longitude first anyway. The zero value gives "".
// [FromWKT] reads the result back.
func (c CRS) ESRIWKT() string {
	switch {
	case c.code == 4326:
		return esriWGS84
	case c.code == 4490:
		return esriCGCS2000
	case c.code == 3857:
		return esriWebMercator
	}
	lon0, falseEasting, ok := c.gaussKruger()
	if !ok {
		return ""
	}
	name := fmt.Sprintf("CGCS2000_3_Degree_GK_CM_%gE", lon0)
	if c.code <= lastZoneCode {
		name = fmt.Sprintf("CGCS2000_3_Degree_GK_Zone_%d", c.zone())
	}
	return fmt.Sprintf(`PROJCS["%s",%s,PROJECTION["Gauss_Kruger"],`+
		`PARAMETER["False_Easting",%.1f],PARAMETER["False_Northing",0.0],`+
		`PARAMETER["Central_Meridian",%.1f],PARAMETER["Scale_Factor",1.0],`+
		`PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`,
		name, esriCGCS2000, falseEasting, lon0)
}
