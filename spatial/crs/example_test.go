package crs_test

import (
	"fmt"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial/crs"
)

func ExampleCRS_ToLonLat() {
	// A Shapefile vertex near Quzhou in CGCS2000 / 3-degree Gauss-Kruger CM 120E: the easting
	// comes first, as in every file, although EPSG lists the northing first.
	c, err := crs.Parse("EPSG:4549")
	if err != nil {
		panic(err)
	}
	lon, lat, err := c.ToLonLat(389826.683, 3203144.968)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.6f %.6f\n", lon, lat)
	// Output: 118.870000 28.940000
}

func ExampleCRS_FromLonLat() {
	zone40, err := crs.FromEPSG(4528) // CGCS2000 / 3-degree Gauss-Kruger zone 40
	if err != nil {
		panic(err)
	}
	x, y, err := zone40.FromLonLat(118.87, 28.94)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.3f %.3f\n", x, y)
	// Output: 40389826.683 3203144.968
}

func ExampleParse() {
	for _, s := range []string{"EPSG:4549", "urn:ogc:def:crs:EPSG::4528", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"} {
		c, err := crs.Parse(s)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s | %s | northing first: %v\n", c, c.Name(), c.NorthingFirst())
	}
	// Output:
	// EPSG:4549 | CGCS2000 / 3-degree Gauss-Kruger CM 120E | northing first: true
	// EPSG:4528 | CGCS2000 / 3-degree Gauss-Kruger zone 40 | northing first: true
	// OGC:CRS84 | WGS 84 (CRS84) | northing first: false
}

func ExampleFromWKT() {
	// The .prj that ArcGIS writes next to a Shapefile; it carries no EPSG code.
	prj := `PROJCS["CGCS2000_3_Degree_GK_Zone_40",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",` +
		`DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],` +
		`UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",40500000.0],` +
		`PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],` +
		`PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	c, err := crs.FromWKT(prj)
	if err != nil {
		panic(err)
	}
	fmt.Println(c, c.CentralMeridian())

	// Same projection on the Xian 1980 datum: rejected, never converted approximately.
	_, err = crs.FromWKT(`GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],` +
		`PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`)
	fmt.Println(err)
	// Output:
	// EPSG:4528 120
	// crs: unsupported coordinate reference system: GEOGCS["GCS_Xian_1980"]: datum "D_Xian_1980" on ellipsoid "Xian_1980" (a=6378140.0, 1/f=298.257): only CGCS2000 and WGS 84 are supported
}

func ExampleTransformToLonLat() {
	c, err := crs.FromEPSG(4549)
	if err != nil {
		panic(err)
	}
	parcel := orb.Polygon{{{389800, 3203100}, {389900, 3203100}, {389900, 3203200}, {389800, 3203100}}}
	g, err := crs.TransformToLonLat(parcel, c)
	if err != nil {
		panic(err)
	}
	for _, p := range g.(orb.Polygon)[0] {
		fmt.Printf("%.6f %.6f\n", p[0], p[1])
	}
	// Output:
	// 118.869731 28.939592
	// 118.870756 28.939601
	// 118.870746 28.940503
	// 118.869731 28.939592
}
