package spatial

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial/crs"
)

const square = `[[118.87,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.941],[118.87,28.94]]`

func fc(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

func polygonFeature(ring string, props string) string {
	return `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + ring + `]},"properties":` + props + `}`
}

func TestDecodeGeoJSONKeepsAttributesExactly(t *testing.T) {
	in := fc(polygonFeature(square, `{"DKBH":"KC-001","QLR":"浙江衢州某某新材料有限公司","BSM":12,"MJSS":3.5,"SFDX":"是","ok":true,"gone":null,"nested":{"a":[1,2]},"GDRQ":"2019-05-01","big":9007199254740993}`))
	imp, err := DecodeGeoJSON(strings.NewReader(in), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Features) != 1 || imp.Features[0].ID != 1 {
		t.Fatalf("features = %+v", imp.Features)
	}
	a := imp.Features[0].Attrs
	want := Attrs{"DKBH": "KC-001", "QLR": "浙江衢州某某新材料有限公司", "BSM": int64(12), "MJSS": 3.5, "SFDX": "是",
		"ok": true, "gone": nil, "nested": `{"a":[1,2]}`, "GDRQ": "2019-05-01", "big": int64(9007199254740993)}
	for k, v := range want {
		got, ok := a.Get(k)
		if !ok || got != v {
			t.Errorf("attr %s = %#v (present %v), want %#v", k, got, ok, v)
		}
	}
	var names []string
	types := map[string]FieldType{}
	for _, f := range imp.Fields {
		names = append(names, f.Name)
		types[f.Name] = f.Type
	}
	if got := strings.Join(names, ","); got != "DKBH,QLR,BSM,MJSS,SFDX,ok,gone,nested,GDRQ,big" {
		t.Errorf("field order = %s", got)
	}
	if types["BSM"] != FieldInteger || types["MJSS"] != FieldReal || types["GDRQ"] != FieldDate || types["ok"] != FieldBoolean {
		t.Errorf("field types = %v", types)
	}
	if imp.Fields[0].Alias != "地块编号" {
		t.Errorf("alias of DKBH = %q", imp.Fields[0].Alias)
	}
}

func TestDecodeGeoJSONRejects(t *testing.T) {
	good := polygonFeature(square, `{"name":"good"}`)
	tests := []struct {
		name   string
		in     string
		opts   ImportOptions
		syntax bool   // expect a *SyntaxError
		reason string // expect an *InvalidFeaturesError whose first problem contains this
		index  int
	}{
		{name: "invalid JSON", in: `{"type":"FeatureCollection","features":[`, syntax: true},
		{name: "not GeoJSON", in: `{"type":"Topology"}`, syntax: true},
		{name: "line string", in: fc(`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[118,28],[119,29]]},"properties":{}}`), reason: "LineString is not a polygon", index: 0},
		{name: "point among good ones, strict", in: fc(good, `{"type":"Feature","geometry":{"type":"Point","coordinates":[118,28]},"properties":{}}`), opts: ImportOptions{Strict: true}, reason: "Point is not a polygon", index: 1},
		{name: "unclosed ring, strict", in: fc(good, polygonFeature(`[[118.87,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.941]]`, `{}`)), opts: ImportOptions{Strict: true}, reason: "not closed", index: 1},
		{name: "NaN coordinate", in: fc(polygonFeature(`[[118.87,28.94],[NaN,28.94],[118.871,28.941],[118.87,28.94]]`, `{}`)), reason: "not a finite number", index: 0},
		{name: "too few points", in: fc(polygonFeature(`[[118.87,28.94],[118.871,28.94],[118.87,28.94]]`, `{}`)), reason: "at least 3 are needed", index: 0},
		{name: "bow tie", in: fc(polygonFeature(`[[118.87,28.94],[118.871,28.941],[118.871,28.94],[118.87,28.941],[118.87,28.94]]`, `{}`)), reason: "self-intersects", index: 0},
		{name: "projected coordinates without CRS", in: fc(good, polygonFeature(`[[500000,3200000],[500100,3200000],[500100,3200100],[500000,3200000]]`, `{}`)), reason: "look projected", index: 1},
		{name: "hole outside the shell", in: fc(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + square + `,[[118.88,28.95],[118.881,28.95],[118.881,28.951],[118.88,28.95]]]},"properties":{}}`), reason: "rings are inconsistent", index: 0},
		{name: "no geometry", in: fc(`{"type":"Feature","geometry":null,"properties":{}}`), reason: "no geometry", index: 0},
		{name: "lon/lat with a projected CRS", in: fc(good), opts: ImportOptions{CRS: mustCRS(t, "EPSG:4549")}, reason: "look like lon/lat", index: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeGeoJSON(strings.NewReader(tt.in), tt.opts)
			if tt.syntax {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a SyntaxError", err)
				}
				return
			}
			var ie *InvalidFeaturesError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InvalidFeaturesError", err)
			}
			p := ie.Problems[0]
			if !strings.Contains(p.Reason, tt.reason) || p.Index != tt.index {
				t.Errorf("problem = %+v, want feature %d with %q", p, tt.index, tt.reason)
			}
		})
	}
}

func TestDecodeGeoJSONRepairsAndSkipsWhenNotStrict(t *testing.T) {
	in := fc(
		polygonFeature(`[[118.87,28.94],[118.871,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.941]]`, `{"name":"unclosed with a repeated point"}`),
		polygonFeature(`[[118.87,28.94],[118.871,28.941],[118.871,28.94],[118.87,28.941],[118.87,28.94]]`, `{"name":"bow tie"}`),
		polygonFeature(square, `{"name":"good"}`),
	)
	imp, err := DecodeGeoJSON(strings.NewReader(in), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Features) != 2 || imp.Skipped != 1 {
		t.Fatalf("kept %d, skipped %d; want 2 and 1", len(imp.Features), imp.Skipped)
	}
	if got := imp.Features[0].Geometry.(orb.Polygon)[0]; len(got) != 5 || got[0] != got[4] {
		t.Errorf("repaired ring = %v, want 5 closed points", got)
	}
	if imp.Features[1].Attrs.Value("name") != "good" || imp.Features[1].ID != 2 {
		t.Errorf("second kept feature = %+v", imp.Features[1])
	}
	var repaired, skipped int
	for _, p := range imp.Problems {
		if p.Repaired {
			repaired++
		} else {
			skipped++
			if p.Index != 1 {
				t.Errorf("skipped problem names feature %d, want 1", p.Index)
			}
		}
	}
	if repaired != 1 || skipped != 1 {
		t.Errorf("problems = %+v", imp.Problems)
	}
}

func TestDecodeGeoJSONLegacyCRSMember(t *testing.T) {
	// A 100 m square in CGCS2000 / 3-degree Gauss-Kruger CM 120E, easting first as files store it.
	ring := `[[391000,3203000],[391100,3203000],[391100,3203100],[391000,3203100],[391000,3203000]]`
	for _, name := range []string{"EPSG:4549", "urn:ogc:def:crs:EPSG::4549"} {
		in := `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"` + name + `"}},"features":[` + polygonFeature(ring, `{}`) + `]}`
		imp, err := DecodeGeoJSON(strings.NewReader(in), ImportOptions{})
		if err != nil {
			t.Fatal(name, err)
		}
		if imp.CRS.EPSG() != 4549 {
			t.Errorf("%s: CRS = %v", name, imp.CRS)
		}
		b := imp.Features[0].Bound()
		if b.Min[0] < 118.8 || b.Max[0] > 118.9 || b.Min[1] < 28.9 || b.Max[1] > 29.0 {
			t.Errorf("%s: bound %v is not near Quzhou", name, b)
		}
		// A plane 100 m square is 10 000 m² on the plane; on the ellipsoid it differs by the GK
		// scale factor, about (1 + (Δλ cos φ)²/2)^-2 ≈ 1 - 1.6e-4 here.
		if a := imp.Features[0].Derived.AreaM2; a < 9990 || a > 10000 {
			t.Errorf("%s: area %.3f m², want a bit under 10 000", name, a)
		}
	}
}

func mustCRS(t testing.TB, s string) crs.CRS {
	t.Helper()
	c, err := crs.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func FuzzDecodeGeoJSON(f *testing.F) {
	f.Add([]byte(fc(polygonFeature(square, `{"a":1}`))))
	f.Add([]byte(fc(polygonFeature(`[[118.87,28.94],[NaN,28.94],[118.871,28.941]]`, `{"b":"是"}`))))
	f.Add([]byte(`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[` + square + `]]},"properties":null}`))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4549"}},"features":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		imp, err := DecodeGeoJSON(strings.NewReader(string(data)), ImportOptions{})
		if err != nil {
			return
		}
		for _, feat := range imp.Features {
			if _, bad, fatal := cleanGeometry(feat.Geometry); fatal != nil || len(bad) != 0 {
				t.Fatalf("accepted geometry is not clean: %v %v", bad, fatal)
			}
			if feat.Derived.AreaM2 < 0 {
				t.Fatalf("negative area")
			}
		}
	})
}

func TestDecodeGeoJSONLegacyCRSMemberAfterTheFeatures(t *testing.T) {
	ring := `[[391000,3203000],[391100,3203000],[391100,3203100],[391000,3203100],[391000,3203000]]`
	in := `{"type":"FeatureCollection","features":[` + polygonFeature(ring, `{}`) + `],"crs":{"type":"name","properties":{"name":"EPSG:4549"}}}`
	_, err := DecodeGeoJSON(strings.NewReader(in), ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), `crs member "EPSG:4549" follows the features`) {
		t.Errorf("err = %v, want the crs member named as coming too late", err)
	}
	// Given with the import, the CRS applies wherever the member is.
	imp, err := DecodeGeoJSON(strings.NewReader(in), ImportOptions{CRS: mustCRS(t, "EPSG:4549")})
	if err != nil || len(imp.Features) != 1 {
		t.Fatalf("with the CRS given: %v", err)
	}
	// A lon/lat CRS after the features changes nothing.
	in = `{"type":"FeatureCollection","features":[` + polygonFeature(square, `{}`) + `],"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}}`
	if imp, err := DecodeGeoJSON(strings.NewReader(in), ImportOptions{}); err != nil || len(imp.Features) != 1 {
		t.Errorf("CRS84 after the features: %v", err)
	}
}

// TestDecodeGeoJSONStreams reads a collection larger than a batch one byte at a time, with the
// non-finite tokens split across reads everywhere: the result equals that of one read.
func TestDecodeGeoJSONStreams(t *testing.T) {
	var feats []string
	for i := range geojsonBatch + 10 {
		x := 118.8 + float64(i%100)*0.001
		y := 28.9 + float64(i/100)*0.001
		ring := fmt.Sprintf(`[[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f]]`, x, y, x+0.0008, y, x+0.0008, y+0.0008, x, y)
		props := fmt.Sprintf(`{"DKBH":"KC-%05d","note":"NaN -Infinity \"Infinity\"","n":%d}`, i, i)
		switch i {
		case 7:
			props = `{"MJ":NaN}`
		case geojsonBatch + 3:
			props = `{"MJ":-Infinity}`
		}
		feats = append(feats, polygonFeature(ring, props))
	}
	in := fc(feats...)
	whole, err := DecodeGeoJSON(strings.NewReader(in), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bytewise, err := DecodeGeoJSON(iotest.OneByteReader(strings.NewReader(in)), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Features) != geojsonBatch+8 || whole.Skipped != 2 {
		t.Fatalf("%d features, %d skipped; want %d and 2", len(whole.Features), whole.Skipped, geojsonBatch+8)
	}
	if !reflect.DeepEqual(whole.Problems, bytewise.Problems) || len(whole.Features) != len(bytewise.Features) {
		t.Fatalf("byte-wise read differs: %v", bytewise.Problems)
	}
	for _, p := range whole.Problems {
		if p.Index != 7 && p.Index != geojsonBatch+3 || !strings.Contains(p.Reason, "not a finite number") {
			t.Errorf("problem %+v", p)
		}
	}
	for i, f := range whole.Features {
		g := bytewise.Features[i]
		if f.ID != g.ID || !f.Attrs.Equal(g.Attrs) || !orb.Equal(f.Geometry, g.Geometry) {
			t.Fatalf("feature %d differs", f.ID)
		}
	}
	if got := whole.Features[0].Attrs.Value("note"); got != `NaN -Infinity "Infinity"` {
		t.Errorf("tokens inside a string were changed: %q", got)
	}
	if got := whole.Features[geojsonBatch].Attrs.Value("DKBH"); got != fmt.Sprintf("KC-%05d", geojsonBatch+1) {
		t.Errorf("feature %d is %v", geojsonBatch+1, got)
	}
}
