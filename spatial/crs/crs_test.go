package crs_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial/crs"
)

// allCRS returns every CRS the package supports.
func allCRS(tb testing.TB) []crs.CRS {
	tb.Helper()
	all := []crs.CRS{crs.CRS84, crs.EPSG4326, crs.EPSG4490, crs.EPSG3857}
	for code := 4513; code <= 4554; code++ {
		all = append(all, mustEPSG(tb, code))
	}
	return all
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want crs.CRS
	}{
		{"EPSG prefix", "EPSG:4549", mustEPSG(t, 4549)},
		{"lower-case prefix", "epsg:4549", mustEPSG(t, 4549)},
		{"bare code", "4549", mustEPSG(t, 4549)},
		{"surrounding spaces", "  EPSG:4549\n", mustEPSG(t, 4549)},
		{"OGC URN without version", "urn:ogc:def:crs:EPSG::4549", mustEPSG(t, 4549)},
		{"OGC URN with version", "urn:ogc:def:crs:EPSG:9.8.15:4549", mustEPSG(t, 4549)},
		{"OGC http URI", "http://www.opengis.net/def/crs/EPSG/0/4549", mustEPSG(t, 4549)},
		{"OGC https URI", "https://www.opengis.net/def/crs/EPSG/0/4549", mustEPSG(t, 4549)},
		{"zone-prefixed code", "EPSG:4528", mustEPSG(t, 4528)},
		{"first zone-prefixed code", "EPSG:4513", mustEPSG(t, 4513)},
		{"last CM code", "EPSG:4554", mustEPSG(t, 4554)},
		{"CGCS2000 geographic", "EPSG:4490", crs.EPSG4490},
		{"WGS 84 geographic is latitude first", "EPSG:4326", crs.EPSG4326},
		{"Web Mercator URI", "http://www.opengis.net/def/crs/EPSG/0/3857", crs.EPSG3857},
		{"CRS84", "CRS84", crs.CRS84},
		{"OGC:CRS84", "OGC:CRS84", crs.CRS84},
		{"CRS84 lower case", "ogc:crs84", crs.CRS84},
		{"CRS84 URN", "urn:ogc:def:crs:OGC:1.3:CRS84", crs.CRS84},
		{"CRS84 http URI", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", crs.CRS84},
		{"CRS84 https URI", "https://www.opengis.net/def/crs/OGC/1.3/CRS84", crs.CRS84},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := crs.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"UTM zone 50N is not supported", "EPSG:32650"},
		{"6-degree CGCS2000 zone is not supported", "EPSG:4502"},
		{"code just below the zone-prefixed range", "EPSG:4512"},
		{"code just above the CM range", "EPSG:4555"},
		{"Xian 1980 3-degree zone", "EPSG:2385"},
		{"zero code", "EPSG:0"},
		{"negative code", "EPSG:-4549"},
		{"signed code", "+4549"},
		{"code with trailing text", "EPSG:4549x"},
		{"code too long", "EPSG:0000004549"},
		{"another authority", "ESRI:102100"},
		{"URN missing the version separator", "urn:ogc:def:crs:EPSG:4549"},
		{"URI without version", "http://www.opengis.net/def/crs/EPSG/4549"},
		{"URI with trailing slash", "http://www.opengis.net/def/crs/EPSG/0/4549/"},
		{"CRS84 in the EPSG register", "EPSG:CRS84"},
		{"WKT is not a name", `GEOGCS["GCS_WGS_1984"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := crs.Parse(tt.in)
			if !errors.Is(err, crs.ErrUnsupported) {
				t.Fatalf("Parse(%q) = %v, %v; want an error wrapping ErrUnsupported", tt.in, got, err)
			}
			if !strings.Contains(err.Error(), strconv.Quote(tt.in)) {
				t.Errorf("Parse(%q) error %q does not name the input", tt.in, err)
			}
		})
	}
}

func TestFromEPSG(t *testing.T) {
	for _, code := range []int{4326, 4490, 3857, 4513, 4528, 4533, 4534, 4549, 4554} {
		c, err := crs.FromEPSG(code)
		if err != nil || c.EPSG() != code {
			t.Errorf("FromEPSG(%d) = %v, %v", code, c, err)
		}
	}
	for _, code := range []int{0, -4549, 4512, 4555, 4502, 32650, 900913} {
		if c, err := crs.FromEPSG(code); !errors.Is(err, crs.ErrUnsupported) {
			t.Errorf("FromEPSG(%d) = %v, %v; want ErrUnsupported", code, c, err)
		}
	}
}

func TestCRSProperties(t *testing.T) {
	tests := []struct {
		name          string
		crs           crs.CRS
		epsg          int
		str, uri      string
		crsName       string
		geographic    bool
		northingFirst bool
		cm            float64
	}{
		{"CRS84 is longitude first", crs.CRS84, 4326, "OGC:CRS84",
			"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "WGS 84 (CRS84)", true, false, 0},
		{"EPSG:4326 is latitude first", crs.EPSG4326, 4326, "EPSG:4326",
			"http://www.opengis.net/def/crs/EPSG/0/4326", "WGS 84", true, true, 0},
		{"EPSG:4490 is latitude first", crs.EPSG4490, 4490, "EPSG:4490",
			"http://www.opengis.net/def/crs/EPSG/0/4490", "China Geodetic Coordinate System 2000", true, true, 0},
		{"Web Mercator is easting first", crs.EPSG3857, 3857, "EPSG:3857",
			"http://www.opengis.net/def/crs/EPSG/0/3857", "WGS 84 / Pseudo-Mercator", false, false, 0},
		{"Quzhou CM 120E is northing first (trap 10)", mustEPSG(t, 4549), 4549, "EPSG:4549",
			"http://www.opengis.net/def/crs/EPSG/0/4549", "CGCS2000 / 3-degree Gauss-Kruger CM 120E", false, true, 120},
		{"Linyi CM 117E", mustEPSG(t, 4548), 4548, "EPSG:4548",
			"http://www.opengis.net/def/crs/EPSG/0/4548", "CGCS2000 / 3-degree Gauss-Kruger CM 117E", false, true, 117},
		{"first CM zone 75E", mustEPSG(t, 4534), 4534, "EPSG:4534",
			"http://www.opengis.net/def/crs/EPSG/0/4534", "CGCS2000 / 3-degree Gauss-Kruger CM 75E", false, true, 75},
		{"last CM zone 135E", mustEPSG(t, 4554), 4554, "EPSG:4554",
			"http://www.opengis.net/def/crs/EPSG/0/4554", "CGCS2000 / 3-degree Gauss-Kruger CM 135E", false, true, 135},
		{"zone 40 has CM 120E", mustEPSG(t, 4528), 4528, "EPSG:4528",
			"http://www.opengis.net/def/crs/EPSG/0/4528", "CGCS2000 / 3-degree Gauss-Kruger zone 40", false, true, 120},
		{"zone 25 has CM 75E", mustEPSG(t, 4513), 4513, "EPSG:4513",
			"http://www.opengis.net/def/crs/EPSG/0/4513", "CGCS2000 / 3-degree Gauss-Kruger zone 25", false, true, 75},
		{"zone 45 has CM 135E", mustEPSG(t, 4533), 4533, "EPSG:4533",
			"http://www.opengis.net/def/crs/EPSG/0/4533", "CGCS2000 / 3-degree Gauss-Kruger zone 45", false, true, 135},
		{"zero value is not set", crs.CRS{}, 0, "", "", "", false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.crs
			if got := c.EPSG(); got != tt.epsg {
				t.Errorf("EPSG() = %d, want %d", got, tt.epsg)
			}
			if got := c.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if got := c.URI(); got != tt.uri {
				t.Errorf("URI() = %q, want %q", got, tt.uri)
			}
			if got := c.Name(); got != tt.crsName {
				t.Errorf("Name() = %q, want %q", got, tt.crsName)
			}
			if got := c.Geographic(); got != tt.geographic {
				t.Errorf("Geographic() = %v, want %v", got, tt.geographic)
			}
			if got := c.NorthingFirst(); got != tt.northingFirst {
				t.Errorf("NorthingFirst() = %v, want %v", got, tt.northingFirst)
			}
			if got := c.CentralMeridian(); got != tt.cm {
				t.Errorf("CentralMeridian() = %v, want %v", got, tt.cm)
			}
		})
	}
}

// TestStringAndURIParse checks that Parse reads back what String and URI write, for every CRS.
func TestStringAndURIParse(t *testing.T) {
	for _, c := range allCRS(t) {
		for _, s := range []string{c.String(), c.URI()} {
			got, err := crs.Parse(s)
			if err != nil || got != c {
				t.Errorf("Parse(%q) = %v, %v; want %v", s, got, err, c)
			}
		}
	}
}

func TestZeroValue(t *testing.T) {
	var c crs.CRS
	if c.ESRIWKT() != "" {
		t.Errorf("ESRIWKT() = %q, want empty", c.ESRIWKT())
	}
	if _, _, err := c.ToLonLat(500000, 3000000); !errors.Is(err, crs.ErrUnsupported) {
		t.Errorf("ToLonLat: err = %v, want ErrUnsupported", err)
	}
	if _, _, err := c.FromLonLat(120, 30); !errors.Is(err, crs.ErrUnsupported) {
		t.Errorf("FromLonLat: err = %v, want ErrUnsupported", err)
	}
}

func TestTextMarshalling(t *testing.T) {
	type config struct {
		Input  crs.CRS `json:"input"`
		Output crs.CRS `json:"output"`
		Unset  crs.CRS `json:"unset"`
	}
	in := config{Input: mustEPSG(t, 4528), Output: crs.CRS84}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"input":"EPSG:4528","output":"OGC:CRS84","unset":""}`; string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out config
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
	if err := json.Unmarshal([]byte(`{"input":"EPSG:32650"}`), &out); !errors.Is(err, crs.ErrUnsupported) {
		t.Errorf("unmarshal of an unsupported code: err = %v, want ErrUnsupported", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"EPSG:4549", "4549", "urn:ogc:def:crs:EPSG::4528", "urn:ogc:def:crs:EPSG:9.8:4490",
		"http://www.opengis.net/def/crs/EPSG/0/3857", "https://www.opengis.net/def/crs/EPSG/0/4326",
		"CRS84", "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "", "EPSG:", "urn:ogc:def:crs:EPSG::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := crs.Parse(s)
		if err != nil {
			if !errors.Is(err, crs.ErrUnsupported) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrUnsupported", s, err)
			}
			return
		}
		if c == (crs.CRS{}) {
			t.Fatalf("Parse(%q) returned the zero CRS without an error", s)
		}
		for _, again := range []string{c.String(), c.URI()} {
			if got, err := crs.Parse(again); err != nil || got != c {
				t.Fatalf("Parse(%q) = %v; Parse(%q) = %v, %v", s, c, again, got, err)
			}
		}
	})
}
