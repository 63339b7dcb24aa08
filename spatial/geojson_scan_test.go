package spatial

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/fixtures"
)

// benchCounty is the generated county that BenchmarkDecodeGeoJSON imports: 100 000 parcels
// written by `mudi fixtures generate -n 100000 -o DIR`.
const benchCounty = "/tmp/mudi-bench-county-n100000-s1/parcels.geojson"

// benchParcels returns the parcels file to import: the 100 000-parcel county when present;
// in CI, where it is not, 20 000 parcels generated here.
func benchParcels(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile(benchCounty)
	if err == nil {
		return data
	}
	if os.Getenv("CI") == "" {
		b.Skipf("%s is missing: generate it with `go run ./cmd/mudi fixtures generate -n 100000 -o %s`", benchCounty, filepath.Dir(benchCounty))
	}
	ds, err := fixtures.Generate(fixtures.Options{N: 20000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	name := filepath.Join(b.TempDir(), "parcels.geojson")
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	if err := ds.WriteParcels(f); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	data, err = os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecodeGeoJSON imports the county with the scanner (scan) and with encoding/json
// alone (encoding-json).
func BenchmarkDecodeGeoJSON(b *testing.B) {
	data := benchParcels(b)
	for _, bb := range []struct {
		name string
		scan bool
	}{{"scan", true}, {"encoding-json", false}} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				imp, err := decodeGeoJSON(bytes.NewReader(data), ImportOptions{}, bb.scan)
				if err != nil {
					b.Fatal(err)
				}
				if len(imp.Features) == 0 {
					b.Fatal("no features")
				}
			}
		})
	}
}

// sameImport reports how two imports differ, "" when they do not: features (ids, geometry
// coordinates bit for bit, attributes bit for bit, derived values), sources, fields, CRS,
// problems and counts.
func sameImport(a, b *Import) string {
	if len(a.Features) != len(b.Features) {
		return fmt.Sprintf("%d features, want %d", len(a.Features), len(b.Features))
	}
	for i, fa := range a.Features {
		fb := b.Features[i]
		switch {
		case fa.ID != fb.ID:
			return fmt.Sprintf("feature %d: id %d, want %d", i, fa.ID, fb.ID)
		case !sameGeometry(fa.Geometry, fb.Geometry):
			return fmt.Sprintf("feature %d: geometry %v, want %v", i, fa.Geometry, fb.Geometry)
		case !fa.Attrs.Equal(fb.Attrs):
			return fmt.Sprintf("feature %d: attributes %v, want %v", i, fa.Attrs.Map(), fb.Attrs.Map())
		case !reflect.DeepEqual(fa.Derived, fb.Derived):
			return fmt.Sprintf("feature %d: derived %+v, want %+v", i, fa.Derived, fb.Derived)
		}
	}
	switch {
	case !reflect.DeepEqual(a.Sources, b.Sources):
		return fmt.Sprintf("sources %v, want %v", a.Sources, b.Sources)
	case !reflect.DeepEqual(a.Fields, b.Fields):
		return fmt.Sprintf("fields %v, want %v", a.Fields, b.Fields)
	case a.CRS != b.CRS:
		return fmt.Sprintf("CRS %v, want %v", a.CRS, b.CRS)
	case !reflect.DeepEqual(a.Problems, b.Problems):
		return fmt.Sprintf("problems %#v, want %#v", a.Problems, b.Problems)
	case a.Skipped != b.Skipped || a.Encoding != b.Encoding:
		return fmt.Sprintf("skipped %d %q, want %d %q", a.Skipped, a.Encoding, b.Skipped, b.Encoding)
	}
	return ""
}

// sameGeometry compares two geometries coordinate by coordinate, bit for bit (-0 is not 0).
func sameGeometry(a, b orb.Geometry) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	pa, pb := Polygons(a), Polygons(b)
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if len(pa[i]) != len(pb[i]) {
			return false
		}
		for j := range pa[i] {
			ra, rb := pa[i][j], pb[i][j]
			if len(ra) != len(rb) {
				return false
			}
			for k := range ra {
				for d := range 2 {
					if math.Float64bits(ra[k][d]) != math.Float64bits(rb[k][d]) {
						return false
					}
				}
			}
		}
	}
	return true
}

// compareDecoders decodes data with the scanner and with encoding/json alone, each from a
// reader made by open, and reports how the results differ, "" when they do not.
func compareDecoders(data []byte, opts ImportOptions, open func([]byte) io.Reader) string {
	got, gotErr := decodeGeoJSON(open(data), opts, true)
	want, wantErr := decodeGeoJSON(open(data), opts, false)
	switch {
	case wantErr != nil || gotErr != nil:
		if !reflect.DeepEqual(gotErr, wantErr) {
			return fmt.Sprintf("error %#v (%v), want %#v (%v)", gotErr, gotErr, wantErr, wantErr)
		}
		return ""
	}
	return sameImport(got, want)
}

func wholeReader(b []byte) io.Reader { return bytes.NewReader(b) }

// scanCorpus returns the documents the two decoders are compared on: the inputs of the tests
// of this package, the hostile uploads of the API tests, generated and sample parcels and
// their truncations and byte flips, the fixture edge cases and hand-written corner cases.
func scanCorpus(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	add := func(name string, doc string) {
		if _, dup := out[name]; dup {
			t.Fatalf("corpus name %q twice", name)
		}
		out[name] = []byte(doc)
	}
	sq := func(props string) string { return polygonFeature(square, props) }
	good := sq(`{"DKBH":"H-1"}`)
	ring := func(coord string) string {
		return `[[118.87,28.94],[118.871,` + coord + `],[118.871,28.941],[118.87,28.941],[118.87,28.94]]`
	}
	wide := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%d`, i, i)
		}
		return b.String() + "}"
	}

	// Property values: one feature each, beside a good one.
	for i, props := range []string{
		`{}`, `null`, `[]`, `5`, `"x"`, `true`, `{"a":1}`,
		`{"e":"\u00e9","smile":"\ud83d\ude00","lone":"\ud83d","low":"\ude00x","pair2":"\ud83d\ud83d\ude00","bad":"\ud83dabc","esc":"a\"b\\c\/d\b\f\n\r\t","nul":"\u0000"}`,
		`{"n0":-0,"n1":1e308,"n2":1e309,"n3":9007199254740993,"n4":1.0,"n5":1e2,"n6":-0.0,"n7":0.1,"n8":123456789012345678,"n9":1234567890123456789,"n10":99999999999999999999,"n11":-9223372036854775808,"n12":-9223372036854775809,"n13":1E-7,"n14":2.2250738585072011e-308,"n15":4.9e-324,"n16":1e-400,"n17":0.30000000000000004,"n18":123.456e3,"n19":-1.5E+2,"n20":12345678901234567.5,"n21":9007199254740993.0}`,
		`{"nested":{"b":[1,2.50,{"z":null,"a":"<&>"}],"a":{}},"arr":[],"obj":{"x":1,"x":2},"deep":[[[[[]]]]]}`,
		`{"dup":1,"other":"x","dup":"two"}`,
		`{"dup":{"a":1},"dup":null}`,
		`{"a":1,"A":2,"\u0061":3}`,
		`{"k\u00e9y":"v","k\"q":1,"":2}`,
		`{"date":"2019-05-01","notdate":"2019-5-01","datetime":"2019-05-01T00:00:00Z"}`,
		`{"MJ":1e400}`, `{"MJ":-1e400}`, `{"MJ":NaN}`, `{"MJ":Infinity}`, `{"MJ":-Infinity}`,
		"{\"QLR\":\"\xd5\xe3\xbd\xad\"}", "{\"\xff\":1}", "{\"n\":{\"a\":\"\xff\"}}", "{\"a\xff\":1}",
		`{"a\u0000b":1}`, `{"\u001f":1}`, `{"\u007f":1}`, `{"\u0085":1}`, `{"":1}`,
		`{"x":"` + strings.Repeat("v", 16385) + `"}`,
		`{"k":"` + strings.Repeat("长", 6000) + `"}`,
		`{"` + strings.Repeat("n", 255) + `":1}`,
		wide(240), wide(241),
		`{"n":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
		`{"n":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`,
		`{"n":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
		`{"n":` + strings.Repeat(`{"a":`, 600) + `1` + strings.Repeat("}", 600) + `}`,
		`{ "a" : 1 , "b" : [ 1 , 2 ] , "c" : { } }`,
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":+1}`, `{"a":1e}`, `{"a":-}`, `{"a":tru}`, `{"a":nul}`,
		`{"a":"x` + "\x01" + `"}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":1,}`, `{,"a":1}`, `{"a" 1}`, `{"a":1 "b":2}`,
	} {
		add(fmt.Sprintf("props %d", i), fc(good, sq(props)))
		add(fmt.Sprintf("props %d alone", i), fc(sq(props)))
	}
	// Coordinates.
	for i, c := range []string{"NaN", "Infinity", "-Infinity", "1e400", "-1e400", "null", `"1"`, "[]", "181", "1e308", "-0", "28.94e0", "2894e-2", "true", "{}"} {
		add(fmt.Sprintf("coordinate %d", i), fc(good, polygonFeature(ring(c), `{}`)))
	}
	for i, g := range []string{
		`null`, `"x"`, `5`, `[]`, `{}`, `{"type":"Polygon"}`, `{"type":"Polygon","coordinates":null}`,
		`{"type":"Polygon","coordinates":[]}`, `{"type":"Polygon","coordinates":[[]]}`, `{"type":"Polygon","coordinates":[[[]]]}`,
		`{"type":"Polygon","coordinates":[[[1]]]}`, `{"type":"Polygon","coordinates":[[[118.87,28.94,5],[118.871,28.94,5],[118.871,28.941,5],[118.87,28.94,5]]]}`,
		`{"type":"Polygon","coordinates":"x"}`, `{"type":"Polygon","coordinates":[[["a","b"]]]}`,
		`{"coordinates":[` + square + `],"type":"Polygon"}`,
		`{"type":"MultiPolygon","coordinates":[[` + square + `]]}`,
		`{"type":"MultiPolygon","coordinates":[` + square + `]}`,
		`{"type":"Polygon","coordinates":[[` + square + `]]}`,
		`{"type":"MultiPolygon","coordinates":[[` + square + `],[[[118.88,28.95],[118.881,28.95],[118.881,28.951],[118.88,28.95]]]]}`,
		`{"type":"MultiPolygon","coordinates":[[` + square + `],[` + square + `]]}`,
		`{"type":"MultiPolygon","coordinates":[]}`,
		`{"type":"MultiPolygon","coordinates":[[` + square + `],[]]}`,
		`{"type":"Polygon","coordinates":[` + square + `,[[118.87,28.94],[118.871,28.94]]]}`,
		`{"type":"Point","coordinates":[118,28]}`, `{"type":"LineString","coordinates":[[118,28],[119,29]]}`,
		`{"type":"GeometryCollection","geometries":[]}`,
		`{"type":5,"coordinates":[]}`, `{"type":null,"coordinates":[` + square + `]}`,
		`{"TYPE":"Polygon","coordinates":[` + square + `]}`, `{"type":"Polygon","Coordinates":[` + square + `]}`,
		`{"type":"Polygon","coordinates":[` + square + `],"type":"MultiPolygon"}`,
		`{"type":"Polygon","coordinates":[` + square + `],"coordinates":null}`,
		`{"type":"Polygon","coordinates":[` + square + `],"bbox":[1,2,3,4],"crs":{"a":[1]}}`,
		`{"type":"Polygon","coordinates":[` + square + `],"ſ":1,"K":2}`,
		`{"type":"\u0050olygon","coordinates":[` + square + `]}`,
		`{"type":"polygon","coordinates":[` + square + `]}`,
		`{ "type" : "Polygon" , "coordinates" : [ [ [ 118.87 , 28.94 ] , [ 118.871 , 28.94 ] , [ 118.871 , 28.941 ] , [ 118.87 , 28.94 ] ] ] }`,
		`{"type":"Polygon","coordinates":[[[118.87,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.94],]]}`,
		`{"type":"Polygon","coordinates":[[[118.87,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.94]]}`,
		`{"type":"Polygon","coordinates":[[[118.87 28.94]]]}`,
	} {
		add(fmt.Sprintf("geometry %d", i), fc(good, `{"type":"Feature","geometry":`+g+`,"properties":{"g":`+fmt.Sprint(i)+`}}`))
	}
	// Features.
	for i, f := range []string{
		`{"type":"Feature","id":"A-1","geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{}}`,
		`{"type":"Feature","id":17,"geometry":{"type":"Point","coordinates":[1,2]},"properties":{}}`,
		`{"type":"Feature","id":-1.50e3,"geometry":null,"properties":{}}`,
		`{"type":"Feature","id":1e999,"geometry":null}`,
		`{"type":"Feature","id":NaN,"geometry":null}`,
		`{"type":"Feature","id":true,"geometry":null}`,
		`{"type":"Feature","id":null,"geometry":null}`,
		`{"type":"Feature","id":{"a":[1]},"geometry":null}`,
		`{"type":"Feature","id":[1,2],"geometry":null}`,
		`{"type":"Feature","id":"\u00e9\n","geometry":null}`,
		"{\"type\":\"Feature\",\"id\":\"\xff\",\"geometry\":null}",
		`{"type":"Feature","properties":{"a":1}}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]}}`,
		`{"geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{},"type":"Feature"}`,
		`{"type":"Feat","geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{}}`,
		`{"type":null,"geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{}}`,
		`{"geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{}}`,
		`{"type":5,"geometry":null}`, `{"type":["Feature"],"geometry":null}`,
		`{"type":"Feature","geometry":"x","properties":{}}`, `{"type":"Feature","geometry":[],"properties":{}}`,
		`{"type":"Feature","Type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]}}`,
		`{"type":"Feature","GEOMETRY":{"type":"Polygon","coordinates":[` + square + `]}}`,
		`{"type":"Feature","Properties":{"a":1},"geometry":{"type":"Polygon","coordinates":[` + square + `]}}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{"a":1},"properties":{"b":2}}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]},"geometry":{"type":"MultiPolygon"}}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]},"geometry":null}`,
		`{"type":"Feature","type":"Nope","geometry":{"type":"Polygon","coordinates":[` + square + `]}}`,
		`{"type":"Feature","id":1,"id":"two","geometry":{"type":"Polygon","coordinates":[` + square + `]}}`,
		`{"\u0074ype":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]}}`,
		`{"type":"Feature","bbox":[1,2,3,4],"title":"x","geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{"a":1}}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{"a":1}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{"a":1}}}`,
		`{"type":"Feature" "geometry":null}`, `{"type":"Feature",}`, `{}`, `{ }`, `null`, `5`, `"x"`, `[]`, `[5]`, `true`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{"n":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}}`,
	} {
		add(fmt.Sprintf("feature %d", i), fc(good, f, good))
		add(fmt.Sprintf("feature %d first", i), fc(f, good))
	}
	// Documents.
	for i, doc := range []string{
		``, `null`, `[]`, `"x"`, `{`, `{}`, `{"type":"FeatureCollection"}`, `{"type":"FeatureCollection","features":{}}`,
		`{"type":"FeatureCollection","features":"x"}`, `{"type":5,"features":[]}`, `{"type":"Topology"}`,
		`{"type":"FeatureCollection","features":[5]}`, `{"type":"FeatureCollection","features":[null]}`,
		`{"type":"FeatureCollection","features":[` + good + `,null,` + good + `]}`,
		`{"type":"FeatureCollection","features":[]} trailing`,
		`{"type":"FeatureCollection","features":[` + good + `]}{}`,
		`{"type":"FeatureCollection","features":[` + good + `]} `,
		`{"type":"FeatureCollection","features":[` + good + `]}]`,
		`{"type":"FeatureCollection","features":[` + good + `],}`,
		`{"type":"FeatureCollection","features":[` + good + `,]}`,
		`{"type":"FeatureCollection","features":[` + good + ` ` + good + `]}`,
		`{"type":"FeatureCollection","features":[` + good + `]`,
		`{"type":"FeatureCollection","features":[` + good + `,`,
		`{"type":"FeatureCollection","features":[` + good + ` , ` + good + `]`,
		`{"type":"FeatureCollection","features":[,` + good + `]}`,
		`{"type":"FeatureCollection","features":[]}`,
		` { "type" : "FeatureCollection" , "features" : [ ] } `,
		"\n{\n\"type\":\"FeatureCollection\",\n\"features\":[\n" + good + "\n,\n" + good + " \t\r\n,  " + good + "\n]\n}\n",
		`{"features":[` + good + `],"type":"FeatureCollection"}`,
		`{"features":[` + good + `]}`,
		`{"type":"FeatureCollection","features":[` + good + `],"features":[` + good + `,` + good + `]}`,
		`{"type":"FeatureCollection","features":[` + good + `],"features":5}`,
		`{"type":"FeatureCollection","features":[` + good + `],"features":[5]}`,
		`{"type":"Feature","features":[` + good + `]}`,
		`{"type":"FeatureCollection","name":"x","bbox":[1,2,3,4],"features":[` + good + `],"extra":{"a":[1,{"b":null}]}}`,
		`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::1"}},"features":[` + good + `]}`,
		`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4549"}},"features":[` + polygonFeature(`[[391000,3203000],[391100,3203000],[391100,3203100],[391000,3203100],[391000,3203000]]`, `{}`) + `]}`,
		`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4549"}},"features":[` + good + `]}`,
		`{"type":"FeatureCollection","features":[` + good + `],"crs":{"type":"name","properties":{"name":"EPSG:4549"}}}`,
		`{"type":"FeatureCollection","features":[` + good + `],"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}}`,
		`{"type":"FeatureCollection","crs":5,"features":[` + good + `]}`,
		`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4326"}},"features":[` + good + `],"crs":{"properties":{"name":"EPSG:4549"}}}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{"a":1},"id":7}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `]},"properties":{"a":1},"id":{"x":1}}`,
		`{"type":"Feature","geometry":null}`,
		`{"type":"FeatureCollection","features":[` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `]}`,
		`{"type":"FeatureCollection","features":[` + good + `,` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `]}`,
		`{"type":"FeatureCollection","features":[` + good + `,` + good + "]}\x00",
		`{"type":"FeatureCollection","x":"` + strings.Repeat("y", maxHead) + `","features":[` + good + `,` + good + `]}`,
	} {
		add(fmt.Sprintf("document %d", i), doc)
	}
	// The inputs of the other tests of DecodeGeoJSON.
	add("keeps attributes exactly", fc(sq(`{"DKBH":"KC-001","QLR":"浙江衢州某某新材料有限公司","BSM":12,"MJSS":3.5,"SFDX":"是","ok":true,"gone":null,"nested":{"a":[1,2]},"GDRQ":"2019-05-01","big":9007199254740993}`)))
	add("repairs and skips", fc(
		polygonFeature(`[[118.87,28.94],[118.871,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.941]]`, `{"name":"unclosed with a repeated point"}`),
		polygonFeature(`[[118.87,28.94],[118.871,28.941],[118.871,28.94],[118.87,28.941],[118.87,28.94]]`, `{"name":"bow tie"}`),
		sq(`{"name":"good"}`)))
	add("unclosed ring", fc(good, polygonFeature(`[[118.87,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.941]]`, `{}`)))
	add("too few points", fc(polygonFeature(`[[118.87,28.94],[118.871,28.94],[118.87,28.94]]`, `{}`)))
	add("projected without CRS", fc(good, polygonFeature(`[[500000,3200000],[500100,3200000],[500100,3200100],[500000,3200000]]`, `{}`)))
	add("hole outside the shell", fc(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[`+square+`,[[118.88,28.95],[118.881,28.95],[118.881,28.951],[118.88,28.95]]]},"properties":{}}`))
	add("legacy crs urn", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4549"}},"features":[`+
		polygonFeature(`[[391000,3203000],[391100,3203000],[391100,3203100],[391000,3203100],[391000,3203000]]`, `{}`)+`]}`)
	add("fuzz seed NaN", fc(polygonFeature(`[[118.87,28.94],[NaN,28.94],[118.871,28.941]]`, `{"b":"是"}`)))
	add("fuzz seed bare MultiPolygon", `{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[`+square+`]]},"properties":null}`)
	add("fuzz seed empty collection with crs", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4549"}},"features":[]}`)
	var streams []string
	for i := range geojsonBatch + 10 {
		x, y := 118.8+float64(i%100)*0.001, 28.9+float64(i/100)*0.001
		ring := fmt.Sprintf(`[[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f]]`, x, y, x+0.0008, y, x+0.0008, y+0.0008, x, y)
		props := fmt.Sprintf(`{"DKBH":"KC-%05d","note":"NaN -Infinity \"Infinity\"","n":%d}`, i, i)
		switch i {
		case 7:
			props = `{"MJ":NaN}`
		case geojsonBatch + 3:
			props = `{"MJ":-Infinity}`
		}
		streams = append(streams, polygonFeature(ring, props))
	}
	add("streams", fc(streams...))
	var many []string
	for i := range 121 {
		many = append(many, sq(fmt.Sprintf(`{"a%d":1,"b%d":2}`, i, i)))
	}
	add("242 fields in all", fc(many...))

	// Generated and sample parcels, whole, truncated and with bytes flipped.
	ds, err := fixtures.Generate(fixtures.Options{N: 2000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var county bytes.Buffer
	if err := ds.WriteParcels(&county); err != nil {
		t.Fatal(err)
	}
	out["county 2000"] = county.Bytes()
	var control bytes.Buffer
	if err := ds.WriteControl(&control); err != nil {
		t.Fatal(err)
	}
	out["control lines"] = control.Bytes()
	sample, err := fixtures.SampleParcels()
	if err != nil {
		t.Fatal(err)
	}
	out["sample parcels"] = sample
	// Mutations of the first 40 sample features.
	lines := bytes.SplitAfter(sample, []byte("\n"))
	small := bytes.Join(lines[:41], nil)
	small = append(bytes.TrimSuffix(bytes.TrimSpace(small), []byte(",")), "\n]}\n"...)
	out["sample 40"] = small
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 60 {
		cut := 1 + r.IntN(len(small)-2)
		out[fmt.Sprintf("sample truncated at %d", cut)] = small[:cut]
		b := bytes.Clone(small)
		for range 1 + r.IntN(4) {
			b[r.IntN(len(b))] = byte(r.IntN(256))
		}
		out[fmt.Sprintf("sample flipped %d", i)] = b
		b = bytes.Clone(small)
		b[r.IntN(len(b))] = "{}[],:\" \\0-eE.ntf"[r.IntN(17)]
		out[fmt.Sprintf("sample punctuated %d", i)] = b
	}
	// More than a batch, with a fault in the second batch.
	var feats []string
	for i := range geojsonBatch + 10 {
		feats = append(feats, sq(fmt.Sprintf(`{"i":%d}`, i)))
	}
	for name, fault := range map[string]string{
		"none": sq(`{"i":-1}`), "syntax": `{"type":"Feature" "geometry":null}`, "type": `{"type":5}`,
		"unread": `{"type":"Feature","TYPE":"Feature","geometry":null}`, "null": "null", "point": `{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}`,
	} {
		f := slices.Clone(feats)
		f[geojsonBatch+3] = fault
		out["batches, "+name] = []byte(fc(f...))
		f[2] = fault
		out["batches, twice "+name] = []byte(fc(f...))
	}
	whole := []byte(fc(feats...))
	out["batches, truncated"] = whole[:len(whole)-len(feats[0])*5]
	out["batches, cut at a batch"] = []byte(fc(feats[:geojsonBatch]...))
	out["batches, crs after"] = []byte(`{"type":"FeatureCollection","features":[` + strings.Join(feats, ",") + `],"crs":{"type":"name","properties":{"name":"EPSG:4549"}}}`)
	out["batches, unknown crs"] = []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:1"}},"features":[` + strings.Join(feats, ",") + `]}`)
	out["batches, unknown crs, syntax error"] = []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:1"}},"features":[` + strings.Join(feats[:100], ",") + `,{"a" 1}]}`)
	for _, name := range fixtures.EdgeNames() {
		data, err := fixtures.Edge(name + ".geojson")
		if err != nil {
			t.Fatal(err)
		}
		out["edge "+name] = data
	}
	return out
}

// TestScannerMatchesEncodingJSON compares the scanner with encoding/json on the corpus, read
// whole, byte by byte and in uneven pieces, with several options.
func TestScannerMatchesEncodingJSON(t *testing.T) {
	corpus := scanCorpus(t)
	names := slices.Sorted(maps.Keys(corpus))
	options := []ImportOptions{{}, {Strict: true}, {MaxProblems: 1}, {CRS: mustCRS(t, "EPSG:4549")}}
	readers := map[string]func([]byte) io.Reader{
		"whole":    wholeReader,
		"bytewise": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"halves":   func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	}
	for _, name := range names {
		data := corpus[name]
		for oi, opts := range options {
			for rname, open := range readers {
				big := len(data) > 200<<10
				if rname == "bytewise" && (len(data) > 50000 || oi > 0) || big && oi > 1 {
					continue
				}
				if diff := compareDecoders(data, opts, open); diff != "" {
					t.Errorf("%s (options %d, %s): %s", name, oi, rname, diff)
				}
			}
		}
	}
}

// FuzzScannerMatchesEncodingJSON compares the scanner with encoding/json on any input, read
// whole and in uneven pieces.
func FuzzScannerMatchesEncodingJSON(f *testing.F) {
	for name, data := range scanCorpus(f) {
		if len(data) < 4<<10 && !strings.HasPrefix(name, "sample ") {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if diff := compareDecoders(data, ImportOptions{}, wholeReader); diff != "" {
			t.Fatal(diff)
		}
		half := func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }
		if diff := compareDecoders(data, ImportOptions{Strict: true}, half); diff != "" {
			t.Fatal("strict, in pieces:", diff)
		}
	})
}

// TestParseFloat checks the direct computation of numbers against strconv.ParseFloat, bit for
// bit.
func TestParseFloat(t *testing.T) {
	lits := []string{"0", "-0", "0.0", "-0.0", "1", "-1", "0.1", "0.3", "118.3477071", "29.0740158",
		"9007199254740992", "9007199254740993", "9007199254740993.0", "900719925474099.3", "1234567890123456789",
		"0.0000000000000000000001", "1e22", "1e23", "1e308", "1e309", "-1e309", "4.9e-324", "1e-400",
		"2.2250738585072011e-308", "123.456e3", "1E-7", "0.30000000000000004", "12345678901234567.5",
		"3.141592653589793238462643383279", "1.7976931348623157e308", "1.7976931348623159e308"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		lits = append(lits, strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.IntN(30)-15)), 'f', r.IntN(20)-1, 64))
	}
	for _, lit := range lits {
		want, werr := strconv.ParseFloat(lit, 64)
		got, ok := parseFloat([]byte(lit))
		if ok != (werr == nil) || ok && math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("parseFloat(%s) = %v, %v; strconv: %v, %v", lit, got, ok, want, werr)
		}
	}
}

// TestNumberValue checks the attribute values of numbers: int64 when integral and within
// range, else float64.
func TestNumberValue(t *testing.T) {
	tests := []struct {
		lit  string
		want any
	}{
		{"0", int64(0)}, {"-0", int64(0)}, {"12", int64(12)}, {"-12", int64(-12)},
		{"999999999999999999", int64(999999999999999999)}, {"-999999999999999999", int64(-999999999999999999)},
		{"9007199254740993", int64(9007199254740993)},
		{"9223372036854775807", int64(math.MaxInt64)}, {"-9223372036854775808", int64(math.MinInt64)},
		{"9223372036854775808", 9223372036854775808.0}, {"-9223372036854775809", -9223372036854775809.0},
		{"99999999999999999999", 1e20},
		{"1.0", 1.0}, {"1e2", 100.0}, {"1E2", 100.0}, {"-0.0", math.Copysign(0, -1)}, {"0.1", 0.1},
		{"1e309", math.Inf(1)}, {"-1e999", math.Inf(-1)}, {"1e-400", 0.0},
	}
	for _, tt := range tests {
		got := numberValue([]byte(tt.lit))
		same := reflect.TypeOf(got) == reflect.TypeOf(tt.want)
		if f, ok := got.(float64); ok && same {
			same = math.Float64bits(f) == math.Float64bits(tt.want.(float64))
		} else if same {
			same = got == tt.want
		}
		if !same {
			t.Errorf("numberValue(%s) = %#v, want %#v", tt.lit, got, tt.want)
		}
	}
}

// TestNonFiniteTokensAfterEscapes: the tokens are rewritten outside strings only, whatever
// escapes the strings before them hold.
func TestNonFiniteTokensAfterEscapes(t *testing.T) {
	props := `{"a":"x\ny\\","b":NaN,"c":"NaN","d":"\"Infinity\u0022","e":-Infinity,"f":"\\"}`
	in := fc(polygonFeature(square, `{"ok":1}`), polygonFeature(square, props), polygonFeature(square, `{"b":"NaN"}`))
	for name, r := range map[string]io.Reader{"whole": strings.NewReader(in), "bytewise": iotest.OneByteReader(strings.NewReader(in))} {
		imp, err := DecodeGeoJSON(r, ImportOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(imp.Problems) != 1 || imp.Problems[0].Index != 1 || !strings.Contains(imp.Problems[0].Reason, `attribute "b": the value is not a finite number`) {
			t.Errorf("%s: problems %v, want feature 1's NaN refused", name, imp.Problems)
		}
		if len(imp.Features) != 2 || imp.Features[1].Attrs.Value("b") != "NaN" {
			t.Errorf("%s: the text NaN of a string was changed: %v", name, imp.Features)
		}
	}
}

func TestISODate(t *testing.T) {
	re := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	for _, s := range []string{"2019-05-01", "2019-5-01", "2019-05-1", "2019-05-01 ", " 2019-05-01", "2019/05/01",
		"2019-05-01\n", "20190501", "abcd-ef-gh", "2019-05-0a", "٢٠١٩-٠٥-٠١", "", "0000-00-00", "2019-05-01T00:00"} {
		if got, want := isISODate(s), re.MatchString(s); got != want {
			t.Errorf("isISODate(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestScannerMatchesEncodingJSONOnReadErrors: a reader that fails, anywhere, fails the import
// the same way with the scanner as with encoding/json alone.
func TestScannerMatchesEncodingJSONOnReadErrors(t *testing.T) {
	corpus := scanCorpus(t)
	failure := errors.New("connection reset")
	r := rand.New(rand.NewPCG(3, 4))
	for _, name := range []string{"county 2000", "sample 40", "streams", "batches, syntax", "batches, type",
		"batches, truncated", "batches, crs after", "document 26", "props 7"} {
		data := corpus[name]
		cuts := []int{1, 30, 41, 100, 1000, 5000, 100000, 500000, len(data) - 3, len(data) - 1, len(data)}
		for range 8 {
			cuts = append(cuts, r.IntN(len(data)+1))
		}
		for _, cut := range cuts {
			if cut > len(data) {
				continue
			}
			for _, pieces := range []bool{false, true} {
				open := func(b []byte) io.Reader {
					var rd io.Reader = io.MultiReader(bytes.NewReader(b[:cut]), iotest.ErrReader(failure))
					if pieces {
						rd = iotest.HalfReader(rd)
					}
					return rd
				}
				if diff := compareDecoders(data, ImportOptions{}, open); diff != "" {
					t.Errorf("%s, failing after %d of %d bytes (in pieces: %v): %s", name, cut, len(data), pieces, diff)
				}
			}
		}
	}
}
