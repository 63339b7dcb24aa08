package gisio

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

func square(x, y, d float64, ccw bool) orb.Ring {
	r := orb.Ring{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}
	if !ccw {
		slices.Reverse(r)
	}
	return r
}

func TestAssembleRings(t *testing.T) {
	outerA := square(0, 0, 10, false) // clockwise: an outer ring in a Shapefile
	holeA := square(2, 2, 2, true)    // counter-clockwise: a hole
	outerB := square(20, 0, 10, false)
	holeB := square(22, 2, 3, true)
	tests := []struct {
		name  string
		rings []orb.Ring
		want  string // polygons: number of rings each
	}{
		{"one outer ring", []orb.Ring{outerA}, "1"},
		{"outer with a hole", []orb.Ring{outerA, holeA}, "2"},
		{"holes go to the outer ring that contains them, whatever the order", []orb.Ring{outerA, outerB, holeB, holeA}, "2,2"},
		{"a hole inside the smaller of two nested outers goes to the smaller", []orb.Ring{square(-50, -50, 100, false), outerA, square(3, 3, 1, true)}, "1,2"},
		{"an orphan hole becomes a polygon", []orb.Ring{outerA, square(50, 50, 1, true)}, "1,1"},
		{"all counter-clockwise: nesting decides", []orb.Ring{square(0, 0, 10, true), square(2, 2, 2, true), square(20, 0, 5, true)}, "2,1"},
		{"a hole touching its outer ring at a vertex", []orb.Ring{outerA, orb.Ring{{0, 0}, {3, 1}, {1, 3}, {0, 0}}}, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := assembleRings(tt.rings)
			var got []string
			for _, p := range spatial.Polygons(g) {
				got = append(got, strings.Repeat("", 0)+string(rune('0'+len(p))))
				if signedArea(p[0]) <= 0 {
					t.Errorf("outer ring is not counter-clockwise (RFC 7946)")
				}
				for _, h := range p[1:] {
					if signedArea(h) >= 0 {
						t.Errorf("hole is not clockwise")
					}
				}
			}
			if s := strings.Join(got, ","); s != tt.want {
				t.Errorf("rings per polygon = %s, want %s", s, tt.want)
			}
		})
	}
}

func TestShapefileFieldNamesAreShortASCIIAndUnique(t *testing.T) {
	in := []string{"DKBH", "area_mu", "control_position", "outside_ratio", "outside_mu", "所在园区名称", "备注", "tax-per-mu", "QLR_LXDH_A", "QLR_LXDH_B", "dkbh", "a_very_long_name_1", "a_very_long_name_2"}
	want := []string{"DKBH", "area_mu", "CTRL_POS", "OUT_RATIO", "outside_mu", "F6", "F7", "taxpermu", "QLR_LXDH_A", "QLR_LXDH_B", "dkbh_2", "a_very_lon", "a_very_l_2"}
	got := ShapefileFieldNames(in)
	if !slices.Equal(got, want) {
		t.Errorf("names\n got %q\nwant %q", got, want)
	}
	if again := ShapefileFieldNames(in); !slices.Equal(again, got) {
		t.Error("the mapping is not deterministic")
	}
}

func TestEncodingComesFromParameterCPGLDIDOrDetection(t *testing.T) {
	utf := shapefileParts(t, 10, WriteOptions{CRS: crs.EPSG4490})
	gbk := shapefileParts(t, 10, WriteOptions{CRS: crs.EPSG4490, Encoding: "GBK"})
	noCPG := func(p map[string][]byte) map[string][]byte { p = clone(p); delete(p, "county.cpg"); return p }
	noLDID := func(p map[string][]byte) map[string][]byte { p = noCPG(p); p["county.dbf"][29] = 0; return p }
	cpg936 := clone(gbk)
	cpg936["county.cpg"] = []byte("936\r\n")
	wrongCPG := clone(utf)
	wrongCPG["county.cpg"] = []byte("GBK")
	tests := []struct {
		name     string
		parts    map[string][]byte
		param    string
		want     Encoding
		from     string
		readable bool // the Chinese values come out right
	}{
		{"UTF-8 from the .cpg", utf, "", UTF8, ".cpg", true},
		{"GBK from the .cpg", gbk, "", GBK, ".cpg", true},
		{"936 in the .cpg is GBK", cpg936, "", GBK, ".cpg", true},
		{"GBK from the language driver id without a .cpg", noCPG(gbk), "", GBK, "ldid", true},
		{"GBK detected from the bytes", noLDID(gbk), "", GBK, "detected", true},
		{"UTF-8 detected from the bytes", noCPG(utf), "", UTF8, "detected", true},
		{"the parameter overrides the .cpg", wrongCPG, "UTF-8", UTF8, "parameter", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp, info, err := readZipBytes(zipOf(t, tt.parts, ""), ReadOptions{Encoding: tt.param})
			if err != nil {
				t.Fatal(err)
			}
			if info.Encoding != tt.want || info.EncodingFrom != tt.from {
				t.Errorf("encoding %s from %s, want %s from %s", info.Encoding, info.EncodingFrom, tt.want, tt.from)
			}
			var qlr string
			for _, f := range imp.Features {
				if s, ok := f.Attrs.Value("XZQMC").(string); ok {
					qlr = s
					break
				}
			}
			ok := strings.HasSuffix(qlr, "区") || strings.HasSuffix(qlr, "县") || strings.HasSuffix(qlr, "市")
			if ok != tt.readable {
				t.Errorf("XZQMC = %q, readable %v, want %v", qlr, ok, tt.readable)
			}
			if tt.readable && !slices.ContainsFunc(imp.Fields, func(f spatial.Field) bool { return f.Name == "F41" }) {
				t.Errorf("fields = %v", imp.Fields)
			}
		})
	}
}

func TestDBFTypesReadBack(t *testing.T) {
	layer := spatial.Layer{ID: "t", Fields: []spatial.Field{{Name: "s", Type: spatial.FieldString}, {Name: "i", Type: spatial.FieldInteger},
		{Name: "r", Type: spatial.FieldReal}, {Name: "d", Type: spatial.FieldDate}, {Name: "b", Type: spatial.FieldBoolean}}}
	geom := orb.Polygon{square(118.87, 28.94, 0.001, true)}
	attrs := []spatial.Attrs{
		{"s": "衢州 “智造” 新城, 一期", "i": int64(-42), "r": 1e-7, "d": "2024-02-29", "b": true},
		{"s": nil, "i": nil, "r": nil, "d": nil, "b": nil},
		{"s": "  leading blanks kept", "i": int64(9007199254740993), "r": -123456.789, "d": "1999-12-31", "b": false},
	}
	var fs []*spatial.Feature
	for i, a := range attrs {
		fs = append(fs, &spatial.Feature{ID: spatial.FeatureID(i + 1), Geometry: geom, Attrs: a.Record()})
	}
	sn := spatial.NewSnapshot(layer, fs)
	for _, enc := range []string{"UTF-8", "GBK"} {
		var buf bytes.Buffer
		if err := WriteShapefile(context.Background(), &buf, sn, WriteOptions{CRS: crs.EPSG4490, Encoding: enc}); err != nil {
			t.Fatal(err)
		}
		imp, _, err := readZipBytes(buf.Bytes(), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		types := map[string]spatial.FieldType{}
		for _, f := range imp.Fields {
			types[f.Name] = f.Type
		}
		for _, f := range layer.Fields {
			if types[f.Name] != f.Type {
				t.Errorf("%s: field %s type %s, want %s", enc, f.Name, types[f.Name], f.Type)
			}
		}
		for i, a := range attrs {
			for k, v := range a {
				if got := imp.Features[i].Attrs.Value(k); !sameValue(v, got) {
					t.Errorf("%s: feature %d %s = %#v, want %#v", enc, i+1, k, got, v)
				}
			}
		}
	}
}

func TestNullShapesAndPointsAreProblemsOfTheirRecord(t *testing.T) {
	parts := shapefileParts(t, 3, WriteOptions{CRS: crs.EPSG4490})
	shp := parts["county.shp"]
	// Record 2 becomes a null shape of the same length (content: type 0, then padding).
	off := 100 + 8 + int(uint32(shp[104])<<24|uint32(shp[105])<<16|uint32(shp[106])<<8|uint32(shp[107]))*2
	shp[off+8], shp[off+9], shp[off+10], shp[off+11] = 0, 0, 0, 0
	imp, _, err := readZipBytes(zipOf(t, parts, ""), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Features) != 2 || imp.Skipped != 1 || len(imp.Problems) != 1 || imp.Problems[0].SourceID != 2 ||
		!strings.Contains(imp.Problems[0].Reason, "null shape") {
		t.Fatalf("features %d, skipped %d, problems %+v", len(imp.Features), imp.Skipped, imp.Problems)
	}
	if _, _, err := readZipBytes(zipOf(t, parts, ""), ReadOptions{Strict: true}); err == nil {
		t.Error("strict accepted a null shape")
	}
}

// TestTextInvalidInTheDeclaredEncodingIsRefused reproduces item 6: bytes that are not valid in
// the encoding were replaced with U+FFFD and stored.
func TestTextInvalidInTheDeclaredEncodingIsRefused(t *testing.T) {
	gbk := shapefileParts(t, 10, WriteOptions{CRS: crs.EPSG4490, Encoding: "GBK"})
	for _, strict := range []bool{false, true} {
		_, _, err := readZipBytes(zipOf(t, gbk, ""), ReadOptions{Encoding: "UTF-8", Strict: strict})
		var ie *spatial.InvalidFeaturesError
		if !errors.As(err, &ie) || len(ie.Problems) == 0 {
			t.Fatalf("strict %v: err = %v, want every feature refused", strict, err)
		}
		if p := ie.Problems[0]; p.SourceID != 1 || !strings.Contains(p.Reason, "attributes: field XZQMC: the text is not valid UTF-8 (bytes ") {
			t.Errorf("strict %v: first problem = %+v", strict, p)
		}
	}
}

func TestDecoderText(t *testing.T) {
	tests := []struct {
		name    string
		enc     Encoding
		in      []byte
		want    string
		wantErr string
	}{
		{"UTF-8", UTF8, []byte("浙江"), "浙江", ""},
		{"UTF-8 cut inside a character", UTF8, []byte("浙江")[:4], "", "not valid UTF-8 (bytes E6 at offset 3)"},
		{"GBK", GBK, []byte{0xD5, 0xE3, 0xBD, 0xAD}, "浙江", ""},
		{"GBK lead byte without trail", GBK, []byte{0xD5, 0xE3, 0xBD}, "", "not valid GBK (bytes BD at offset 2)"},
		{"GBK trail byte 0x7F", GBK, []byte{0x41, 0xD5, 0x7F}, "", "not valid GBK (bytes D5 7F at offset 1)"},
		{"GB18030 four-byte sequence", GB18030, []byte{0x81, 0x30, 0x81, 0x30}, "\u0080", ""},
		{"four-byte sequence is not GBK", GBK, []byte{0x81, 0x30, 0x81, 0x30}, "", "not valid GBK (bytes 81 30 81 30 at offset 0)"},
		{"Latin-1 has no invalid byte", Latin1, []byte{0xE9, 0xFF}, "éÿ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newDecoder(tt.enc).text(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("text = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("text = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
