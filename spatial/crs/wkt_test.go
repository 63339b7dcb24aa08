package crs_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial/crs"
)

// ESRI WKT as ArcGIS writes .prj files; the same text as
// `projinfo -q -o WKT1_ESRI --single-line EPSG:<code>` (PROJ 9.1).
const (
	prjCM120E   = `PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	prjZone40   = `PROJCS["CGCS2000_3_Degree_GK_Zone_40",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",40500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	prjCGCS2000 = `GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	prjWGS84    = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	prjWebMerc  = `PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]`

	prjXian80CM120E = `PROJCS["Xian_1980_3_Degree_GK_CM_120E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	prjBeijing54    = `PROJCS["Beijing_1954_3_Degree_GK_CM_120E",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	prjUTM50N       = `PROJCS["WGS_1984_UTM_Zone_50N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
)

// OGC WKT1 of EPSG:4549 as GDAL writes it, without its top-level AUTHORITY so that the
// parameters must be read.
const wkt1CM120E = `PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 120E",
    GEOGCS["China Geodetic Coordinate System 2000",
        DATUM["China_2000",
            SPHEROID["CGCS2000",6378137,298.257222101,
                AUTHORITY["EPSG","1024"]],
            AUTHORITY["EPSG","1043"]],
        PRIMEM["Greenwich",0,
            AUTHORITY["EPSG","8901"]],
        UNIT["degree",0.0174532925199433,
            AUTHORITY["EPSG","9122"]],
        AUTHORITY["EPSG","4490"]],
    PROJECTION["Transverse_Mercator"],
    PARAMETER["latitude_of_origin",0],
    PARAMETER["central_meridian",120],
    PARAMETER["scale_factor",1],
    PARAMETER["false_easting",500000],
    PARAMETER["false_northing",0],
    UNIT["metre",1,
        AUTHORITY["EPSG","9001"]],
    AXIS["Northing",NORTH],
    AXIS["Easting",EAST]]`

// WKT2 of EPSG:4528 as GDAL writes it, without USAGE and the top-level ID.
const wkt2Zone40 = `PROJCRS["CGCS2000 / 3-degree Gauss-Kruger zone 40",
    BASEGEOGCRS["China Geodetic Coordinate System 2000",
        DATUM["China 2000",
            ELLIPSOID["CGCS2000",6378137,298.257222101,
                LENGTHUNIT["metre",1]]],
        PRIMEM["Greenwich",0,
            ANGLEUNIT["degree",0.0174532925199433]],
        ID["EPSG",4490]],
    CONVERSION["3-degree Gauss-Kruger zone 40",
        METHOD["Transverse Mercator",
            ID["EPSG",9807]],
        PARAMETER["Latitude of natural origin",0,
            ANGLEUNIT["degree",0.0174532925199433],
            ID["EPSG",8801]],
        PARAMETER["Longitude of natural origin",120,
            ANGLEUNIT["degree",0.0174532925199433],
            ID["EPSG",8802]],
        PARAMETER["Scale factor at natural origin",1,
            SCALEUNIT["unity",1],
            ID["EPSG",8805]],
        PARAMETER["False easting",40500000,
            LENGTHUNIT["metre",1],
            ID["EPSG",8806]],
        PARAMETER["False northing",0,
            LENGTHUNIT["metre",1],
            ID["EPSG",8807]]],
    CS[Cartesian,2],
        AXIS["northing (X)",north,
            ORDER[1],
            LENGTHUNIT["metre",1]],
        AXIS["easting (Y)",east,
            ORDER[2],
            LENGTHUNIT["metre",1]]]`

// WKT2 of EPSG:3857 as GDAL writes it, without USAGE and the top-level ID.
const wkt2WebMerc = `PROJCRS["WGS 84 / Pseudo-Mercator",
    BASEGEOGCRS["WGS 84",
        ENSEMBLE["World Geodetic System 1984 ensemble",
            MEMBER["World Geodetic System 1984 (Transit)"],
            MEMBER["World Geodetic System 1984 (G2139)"],
            ELLIPSOID["WGS 84",6378137,298.257223563,
                LENGTHUNIT["metre",1]],
            ENSEMBLEACCURACY[2.0]],
        PRIMEM["Greenwich",0,
            ANGLEUNIT["degree",0.0174532925199433]],
        ID["EPSG",4326]],
    CONVERSION["Popular Visualisation Pseudo-Mercator",
        METHOD["Popular Visualisation Pseudo Mercator",
            ID["EPSG",1024]],
        PARAMETER["Latitude of natural origin",0,
            ANGLEUNIT["degree",0.0174532925199433]],
        PARAMETER["Longitude of natural origin",0,
            ANGLEUNIT["degree",0.0174532925199433]],
        PARAMETER["False easting",0,
            LENGTHUNIT["metre",1]],
        PARAMETER["False northing",0,
            LENGTHUNIT["metre",1]]],
    CS[Cartesian,2],
        AXIS["easting (X)",east,
            ORDER[1],
            LENGTHUNIT["metre",1]],
        AXIS["northing (Y)",north,
            ORDER[2],
            LENGTHUNIT["metre",1]]]`

// gk returns the ESRI WKT of a CGCS2000 Gauss-Krüger projection with the given name and
// central meridian, false easting and scale factor, as ArcGIS would write a custom one.
func gk(name, cm, falseEasting, scale string) string {
	return `PROJCS["` + name + `",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",` +
		falseEasting + `],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",` + cm +
		`],PARAMETER["Scale_Factor",` + scale + `],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
}

func TestESRIWKT(t *testing.T) {
	tests := []struct {
		name string
		crs  crs.CRS
		want string
	}{
		{"CM 120E", mustEPSG(t, 4549), prjCM120E},
		{"zone 40", mustEPSG(t, 4528), prjZone40},
		{"CGCS2000 geographic", crs.EPSG4490, prjCGCS2000},
		{"WGS 84 geographic", crs.EPSG4326, prjWGS84},
		{"CRS84 is WGS 84 geographic", crs.CRS84, prjWGS84},
		{"Web Mercator", crs.EPSG3857, prjWebMerc},
		{"zero value", crs.CRS{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.crs.ESRIWKT(); got != tt.want {
				t.Errorf("ESRIWKT() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestESRIWKTMatchesPROJ compares ESRIWKT with PROJ's ESRI WKT for every code, when projinfo
// (Debian package proj-bin) is installed.
func TestESRIWKTMatchesPROJ(t *testing.T) {
	if _, err := exec.LookPath("projinfo"); err != nil {
		missingTool(t, "projinfo (Debian package proj-bin) is not on PATH; TestESRIWKT still checks fixed texts")
	}
	if testing.Short() {
		t.Skip("runs projinfo 45 times; skipped in -short mode")
	}
	for _, c := range allCRS(t) {
		if c == crs.CRS84 {
			continue // PROJ has no ESRI name for it; ESRIWKT writes GCS_WGS_1984
		}
		out, err := exec.Command("projinfo", "-q", "-o", "WKT1_ESRI", "--single-line", c.String()).Output()
		if err != nil {
			t.Fatalf("projinfo %s: %v", c, err)
		}
		if got, want := c.ESRIWKT(), strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s ESRIWKT() =\n%s\nPROJ:\n%s", c, got, want)
		}
	}
}

func TestFromWKT(t *testing.T) {
	tests := []struct {
		name string
		wkt  string
		want crs.CRS
	}{
		{"ESRI CGCS2000_3_Degree_GK_CM_120E", prjCM120E, mustEPSG(t, 4549)},
		{"ESRI CGCS2000_3_Degree_GK_Zone_40", prjZone40, mustEPSG(t, 4528)},
		{"ESRI GCS_China_Geodetic_Coordinate_System_2000", prjCGCS2000, crs.EPSG4490},
		{"ESRI GCS_WGS_1984", prjWGS84, crs.EPSG4326},
		{"ESRI WGS_1984_Web_Mercator_Auxiliary_Sphere", prjWebMerc, crs.EPSG3857},
		{"GK recognised from its parameters, not its name", gk("Quzhou_local", "120.0", "500000.0", "1.0"), mustEPSG(t, 4549)},
		{"misleading name: parameters win", gk("CGCS2000_3_Degree_GK_CM_117E", "114.0", "500000.0", "1.0"), mustEPSG(t, 4547)},
		{"zone-prefixed false easting 38 500 000 is zone 38", gk("custom", "114", "38500000", "1"), mustEPSG(t, 4526)},
		{"first zone, 25", gk("custom", "75", "25500000", "1"), mustEPSG(t, 4513)},
		{"last CM zone, 135E", gk("custom", "135", "500000", "1"), mustEPSG(t, 4554)},
		{"6-degree CM 75E zone has the parameters of the 3-degree one", gk("CGCS2000_GK_CM_75E", "75.0", "500000.0", "1.0"), mustEPSG(t, 4534)},
		{"transverse Mercator on CGCS2000 is Gauss-Krüger",
			strings.Replace(prjCM120E, "Gauss_Kruger", "Transverse_Mercator", 1), mustEPSG(t, 4549)},
		{"OGC WKT1 without AUTHORITY", wkt1CM120E, mustEPSG(t, 4549)},
		{"OGC WKT1 with AUTHORITY uses the code",
			strings.TrimSuffix(wkt1CM120E, "]") + `,AUTHORITY["EPSG","4549"]]`, mustEPSG(t, 4549)},
		{"WKT2 without ID", wkt2Zone40, mustEPSG(t, 4528)},
		{"WKT2 with ID uses the code", strings.TrimSuffix(wkt2Zone40, "]") + `,ID["EPSG",4528]]`, mustEPSG(t, 4528)},
		{"WKT2 Web Mercator without ID", wkt2WebMerc, crs.EPSG3857},
		{"GDAL WKT1 of EPSG:3857 without AUTHORITY keeps the sphere in EXTENSION",
			`PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH],EXTENSION["PROJ4","+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs"]]`,
			crs.EPSG3857},
		{"WKT1 CGCS2000 geographic",
			`GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AXIS["Latitude",NORTH],AXIS["Longitude",EAST]]`,
			crs.EPSG4490},
		{"WKT2 CGCS2000 geographic",
			`GEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],CS[ellipsoidal,2],AXIS["geodetic latitude (Lat)",north,ORDER[1]],AXIS["geodetic longitude (Lon)",east,ORDER[2]]]`,
			crs.EPSG4490},
		{"unnamed datum on the CGCS2000 ellipsoid",
			`GEOGCS["unknown",DATUM["unknown",SPHEROID["GRS80",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]`,
			crs.EPSG4490},
		{"inverse flattening rounded to 298.257222",
			`GEOGCS["unnamed",DATUM["unknown",SPHEROID["GRS80",6378137,298.257222]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]`,
			crs.EPSG4490},
		{"Chinese datum name", strings.Replace(prjCGCS2000, "D_China_2000", "2000国家大地坐标系", 1), crs.EPSG4490},
		{"WKT1 of CRS84 lists longitude first",
			`GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AXIS["Longitude",EAST],AXIS["Latitude",NORTH]]`,
			crs.CRS84},
		{"WKT2 with OGC CRS84 ID", `GEOGCRS["WGS 84 (CRS84)",ENSEMBLE["World Geodetic System 1984 ensemble",ELLIPSOID["WGS 84",6378137,298.257223563]],ID["OGC","CRS84"]]`, crs.CRS84},
		{"byte order mark and trailing newline", "\ufeff" + prjCM120E + "\r\n", mustEPSG(t, 4549)},
		{"parentheses and lower-case keywords", strings.NewReplacer("[", "(", "]", ")", "PROJCS", "projcs").Replace(prjZone40), mustEPSG(t, 4528)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := crs.FromWKT(tt.wkt)
			if err != nil {
				t.Fatalf("FromWKT: %v", err)
			}
			if got != tt.want {
				t.Errorf("FromWKT = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFromWKTRejects(t *testing.T) {
	tests := []struct {
		name    string
		wkt     string
		wantMsg string // what the error must say was found
	}{
		{"Xian 1980 zone: same projection, other datum", prjXian80CM120E, `datum "D_Xian_1980"`},
		{"Beijing 1954 zone", prjBeijing54, `"Krasovsky_1940"`},
		{"Xian 1980 geographic",
			`GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`,
			"Xian"},
		{"UTM zone 50N on WGS 84", prjUTM50N, "WGS 84"},
		{"UTM-like scale factor on CGCS2000", gk("CGCS2000_UTM_Zone_50N", "117.0", "500000.0", "0.9996"), "scale factor 0.9996"},
		{"6-degree zone-prefixed easting", gk("CGCS2000_GK_Zone_20", "117.0", "20500000.0", "1.0"), "false easting 20500000"},
		{"central meridian not on a 3-degree zone", gk("custom", "118.5", "500000", "1"), "central meridian 118.5"},
		{"central meridian west of 75E", gk("custom", "72", "500000", "1"), "central meridian 72"},
		{"central meridian east of 135E", gk("custom", "138", "500000", "1"), "central meridian 138"},
		{"false northing", strings.Replace(prjCM120E, `"False_Northing",0.0`, `"False_Northing",-3000000.0`, 1), "false northing -3000000"},
		{"Lambert conformal conic on CGCS2000",
			strings.Replace(prjCM120E, "Gauss_Kruger", "Lambert_Conformal_Conic", 1), `"Lambert_Conformal_Conic"`},
		{"units in feet", strings.Replace(prjCM120E, `UNIT["Meter",1.0]`, `UNIT["Foot_US",0.3048006096012192]`, 1), "Foot_US"},
		{"prime meridian of Paris",
			strings.Replace(prjCGCS2000, `PRIMEM["Greenwich",0.0]`, `PRIMEM["Paris",2.33722917]`, 1), "Paris"},
		{"angles in grads", strings.Replace(prjCGCS2000, `UNIT["Degree",0.0174532925199433]`, `UNIT["Grad",0.01570796326794897]`, 1), "Grad"},
		{"World Mercator is not Web Mercator",
			`PROJCS["WGS 84 / World Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1]]`,
			"World Mercator"},
		{"Web Mercator on CGCS2000",
			`PROJCS["x",` + prjCGCS2000 + `,PROJECTION["Mercator_Auxiliary_Sphere"],UNIT["Meter",1.0]]`, "CGCS2000"},
		{"unsupported EPSG authority with unsupported content",
			strings.TrimSuffix(prjUTM50N, "]") + `,AUTHORITY["EPSG","32650"]]`, "WGS 84"},
		{"geocentric CRS", `GEOCCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["metre",1]]`, "GEOCCS"},
		{"empty", "", "malformed WKT"},
		{"unbalanced brackets", `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"`, "malformed WKT"},
		{"unterminated string", `GEOGCS["GCS_WGS_1984`, "malformed WKT"},
		{"text after the WKT", prjWGS84 + " extra", "malformed WKT"},
		{"too deeply nested", strings.Repeat("A[", 100) + strings.Repeat("]", 100), "malformed WKT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := crs.FromWKT(tt.wkt)
			if !errors.Is(err, crs.ErrUnsupported) {
				t.Fatalf("FromWKT = %v, %v; want an error wrapping ErrUnsupported", got, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// TestESRIWKTRoundTrip checks FromWKT(c.ESRIWKT()) == c for every CRS; CRS84 comes back as
// EPSG:4326 because ESRI WKT has no axis order.
func TestESRIWKTRoundTrip(t *testing.T) {
	for _, c := range allCRS(t) {
		want := c
		if c == crs.CRS84 {
			want = crs.EPSG4326
		}
		got, err := crs.FromWKT(c.ESRIWKT())
		if err != nil || got != want {
			t.Errorf("FromWKT(%s.ESRIWKT()) = %v, %v; want %v", c, got, err, want)
		}
	}
}

func FuzzFromWKT(f *testing.F) {
	for _, s := range []string{prjCM120E, prjZone40, prjCGCS2000, prjWGS84, prjWebMerc, prjXian80CM120E,
		prjUTM50N, wkt1CM120E, wkt2Zone40, wkt2WebMerc, `A[`, `A["`, `A[B[1,2],"x""y"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := crs.FromWKT(s)
		if err != nil {
			if !errors.Is(err, crs.ErrUnsupported) {
				t.Fatalf("FromWKT error %v does not wrap ErrUnsupported", err)
			}
			return
		}
		want := c
		if c == crs.CRS84 {
			want = crs.EPSG4326
		}
		if got, err := crs.FromWKT(c.ESRIWKT()); err != nil || got != want {
			t.Fatalf("FromWKT(%q) = %v, whose ESRI WKT reads back as %v, %v", s, c, got, err)
		}
	})
}
