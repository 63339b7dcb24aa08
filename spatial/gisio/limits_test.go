package gisio

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// limitLayer returns a layer at the limits of [spatial.CheckFields] and [spatial.CheckAttrs]:
// 240 fields (200 text, 20 integer, 10 real, 5 boolean, 5 date) whose names include the longest
// allowed one, names that collide in SQLite (a/A, fid, geom), SQL and CSV metacharacters, and a
// derived name; features holding the longest values, the largest record, extreme numbers,
// nothing at all, and the derived attributes of a control overlay and a block.
func limitLayer(tb testing.TB) *spatial.Snapshot {
	tb.Helper()
	special := []string{
		strings.Repeat("地", 84) + "ab", // 254 bytes
		`a"); DROP TABLE county; --`,
		"a", "A", "fid", "geom",
		"名 称, with \"quotes\" and spaces",
		"area_mu", // shadowed by the derived attribute in exports
		"e\u0301", "🏭",
	}
	fields := make([]spatial.Field, 0, spatial.MaxFields)
	for i := range 200 {
		name := fmt.Sprintf("s%03d", i)
		if i < len(special) {
			name = special[i]
		}
		fields = append(fields, spatial.Field{Name: name, Type: spatial.FieldString})
	}
	for i := range 20 {
		fields = append(fields, spatial.Field{Name: fmt.Sprintf("i%03d", i), Type: spatial.FieldInteger})
	}
	for i := range 10 {
		fields = append(fields, spatial.Field{Name: fmt.Sprintf("r%03d", i), Type: spatial.FieldReal})
	}
	for i := range 5 {
		fields = append(fields, spatial.Field{Name: fmt.Sprintf("b%03d", i), Type: spatial.FieldBoolean})
	}
	for i := range 5 {
		fields = append(fields, spatial.Field{Name: fmt.Sprintf("d%03d", i), Type: spatial.FieldDate})
	}
	if err := spatial.CheckFields(fields); err != nil || len(fields) != spatial.MaxFields {
		tb.Fatalf("the schema is not at the limit: %d fields, %v", len(fields), err)
	}

	// Feature 1: every text field 300 bytes wide (wider than a dBASE field), mixed scripts.
	wide := spatial.Attrs{}
	for i := range 200 {
		wide[fields[i].Name] = strings.Repeat("x", 150+i%7) + strings.Repeat("界", (300-150-i%7)/3)
	}
	// Feature 2: three values of the largest size, text that needs quoting, extreme numbers.
	big := spatial.Attrs{
		fields[10].Name: strings.Repeat("v", spatial.MaxValueBytes),
		fields[11].Name: strings.Repeat("浙", spatial.MaxValueBytes/3),
		fields[12].Name: strings.Repeat("a,\"b\"\n;=1+", spatial.MaxValueBytes/11),
		fields[13].Name: "=cmd|' /C calc'!A0",
		"a":             "lower",
		"A":             "upper",
		"fid":           "not the fid",
		"geom":          "not the geometry",
		"i000":          int64(math.MaxInt64),
		"i001":          int64(math.MinInt64),
		"i002":          int64(0),
		"i003":          int64(-999999999999999999),
		"r000":          0.1,
		"r001":          -2.5e15,
		"r002":          123456.789,
		"b000":          true,
		"b001":          false,
		"d000":          "2024-06-30",
		"d001":          "1900-01-01",
	}
	// Feature 3: the largest record: four values of 16 000 bytes and one that fills the rest.
	names := 0
	rec := spatial.Attrs{}
	for i := 20; i < 25; i++ {
		names += len(fields[i].Name)
	}
	for i := 20; i < 24; i++ {
		rec[fields[i].Name] = strings.Repeat("r", 16000)
	}
	rec[fields[24].Name] = strings.Repeat("r", spatial.MaxRecordBytes-names-4*16000)
	for _, a := range []spatial.Attrs{wide, big, rec} {
		if err := spatial.CheckAttrs(a); err != nil {
			tb.Fatalf("a limit feature is not accepted: %v", err)
		}
	}
	sq := func(x float64) orb.Polygon {
		return orb.Polygon{{{x, 28.9}, {x + 0.001, 28.9}, {x + 0.001, 28.901}, {x, 28.901}, {x, 28.9}}}
	}
	feats := []*spatial.Feature{
		{ID: 1, Geometry: sq(118.87), Attrs: wide.Record()},
		{ID: 2, Geometry: sq(118.88), Attrs: big.Record()},
		{ID: 3, Geometry: orb.MultiPolygon{sq(118.89), sq(118.895)}, Attrs: rec.Record()},
		{ID: 4, Geometry: sq(118.90), Attrs: spatial.Attrs{}.Record()},
	}
	for _, f := range feats {
		f.Derived.AreaM2 = spatial.AreaM2(f.Geometry)
		f.Derived.AreaMu = spatial.MuFromM2(f.Derived.AreaM2)
		f.Derived.ControlPosition, f.Derived.OutsideRatio, f.Derived.OutsideMu = spatial.Straddling, 0.25, f.Derived.AreaMu/4
		f.Derived.BlockID, f.Derived.BlockMu, f.Derived.Scattered = uint64(f.ID), f.Derived.AreaMu, true
	}
	layer := spatial.Layer{ID: "limits", Title: "at the limits", Kind: spatial.KindParcels, Fields: fields}
	return spatial.NewSnapshot(layer, feats)
}

// TestEveryExportWritesALayerAtTheLimits proves that whatever the limits accept, every export
// format writes, for every feature, and reads back: exactly for GeoJSON and GeoPackage, as
// text for CSV, and for Shapefiles within the dBASE format's own rules (text cut at 254 bytes
// on a character boundary, integers of more than 18 digits read as reals).
func TestEveryExportWritesALayerAtTheLimits(t *testing.T) {
	sn := limitLayer(t)
	ctx := context.Background()
	export := func(t *testing.T, f Format, opts WriteOptions) []byte {
		t.Helper()
		opts.TempDir = t.TempDir()
		var buf bytes.Buffer
		if err := Write(ctx, &buf, sn, f, opts); err != nil {
			t.Fatalf("export: %v", err)
		}
		return buf.Bytes()
	}
	source := func(f *spatial.Feature, name string) any { return f.Attrs.Value(name) }
	checkExact := func(t *testing.T, imp *spatial.Import, rename map[string]string) {
		t.Helper()
		if len(imp.Features) != sn.Len() || len(imp.Problems) != 0 {
			t.Fatalf("read back %d features, want %d (problems %v)", len(imp.Features), sn.Len(), imp.Problems)
		}
		for i, want := range sn.Features() {
			got := imp.Features[i]
			if d := sameGeometry(want.Geometry, got.Geometry, 0.001); d != "" {
				t.Errorf("feature %d: %s", want.ID, d)
			}
			for _, fd := range sn.Layer.Fields {
				if spatial.IsDerivedKey(fd.Name) {
					continue
				}
				name := fd.Name
				if r, ok := rename[name]; ok {
					name = r
				}
				if w, g := source(want, fd.Name), got.Attrs.Value(name); !sameValue(w, g) {
					t.Errorf("feature %d %q (as %q): got %.40q, want %.40q", want.ID, fd.Name, name, g, w)
				}
			}
		}
	}

	t.Run("geojson", func(t *testing.T) {
		imp, err := spatial.DecodeGeoJSON(bytes.NewReader(export(t, FormatGeoJSON, WriteOptions{})), spatial.ImportOptions{Strict: true})
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, imp, nil)
	})
	t.Run("geopackage", func(t *testing.T) {
		name := t.TempDir() + "/limits.gpkg"
		writeFile(t, name, export(t, FormatGeoPackage, WriteOptions{CRS: mustCRS(t, "EPSG:4549")}))
		imp, _, err := ReadGeoPackage(name, ReadOptions{Strict: true})
		if err != nil {
			t.Fatal(err)
		}
		// SQLite compares column names case-insensitively: the writer renames the second of
		// a pair, and the names of its own fid and geometry columns.
		checkExact(t, imp, map[string]string{"A": "A_2", "fid": "fid_2", "geom": "geom_2"})
	})
	t.Run("csv", func(t *testing.T) {
		data := bytes.TrimPrefix(export(t, FormatCSV, WriteOptions{}), []byte("\uFEFF"))
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+sn.Len() {
			t.Fatalf("%d rows, want a header and %d", len(rows), sn.Len())
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for i, f := range sn.Features() {
			for _, fd := range sn.Layer.Fields {
				if fd.Type != spatial.FieldString || spatial.IsDerivedKey(fd.Name) {
					continue
				}
				want, _ := f.Attrs.Value(fd.Name).(string)
				if strings.HasPrefix(want, "=") {
					want = "'" + want // not a formula in Excel
				}
				if got := rows[1+i][col[fd.Name]]; got != want {
					t.Errorf("feature %d %q: got %.40q, want %.40q", f.ID, fd.Name, got, want)
				}
			}
		}
	})
	for _, enc := range []string{"UTF-8", "GBK"} {
		t.Run("shapefile "+enc, func(t *testing.T) {
			data := export(t, FormatShapefile, WriteOptions{CRS: crs.EPSG4490, Encoding: enc})
			imp, _, err := ReadZip(bytes.NewReader(data), int64(len(data)), ReadOptions{Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(imp.Features) != sn.Len() {
				t.Fatalf("read back %d features, want %d", len(imp.Features), sn.Len())
			}
			cols := columns(sn)
			names := make([]string, len(cols))
			for i, c := range cols {
				names[i] = c.name
			}
			short := ShapefileFieldNames(names)
			for i, f := range sn.Features() {
				got := imp.Features[i]
				for k, c := range cols {
					if c.derived {
						continue
					}
					w, g := c.value(f), got.Attrs.Value(short[k])
					switch w := w.(type) {
					case string:
						gs, _ := g.(string)
						// Cut at 254 bytes of the encoding: at most 254 bytes of UTF-8 in
						// UTF-8, at most 127 Chinese characters in GBK; never inside one.
						if !strings.HasPrefix(w, gs) || !utf8.ValidString(gs) || (len(w) <= 127 && gs != w) || len(gs) < min(len(w), 127) {
							t.Errorf("feature %d %q: got %.40q (%d bytes), want a prefix of %.40q", f.ID, c.name, gs, len(gs), w)
						}
					case int64:
						if gi, ok := g.(int64); ok && gi == w {
							continue
						}
						if gf, ok := g.(float64); !ok || gf != float64(w) {
							t.Errorf("feature %d %q: got %#v, want %d", f.ID, c.name, g, w)
						}
					default:
						if !sameValue(w, g) {
							t.Errorf("feature %d %q: got %#v, want %#v", f.ID, c.name, g, w)
						}
					}
				}
			}
		})
	}
}

// TestGeoPackageValuesReadersCannotTakeBackAreRefused reproduces items 2 and 6 for
// GeoPackages: SQLite stores 1e999 as +Inf in a REAL column and keeps any bytes in TEXT.
func TestGeoPackageValuesReadersCannotTakeBackAreRefused(t *testing.T) {
	full := county(t, 300)
	sn := spatial.NewSnapshot(full.Layer, append([]*spatial.Feature(nil), full.Features()[:10]...))
	var buf bytes.Buffer
	if err := WriteGeoPackage(context.Background(), &buf, sn, WriteOptions{CRS: crs.EPSG4490}); err != nil {
		t.Fatal(err)
	}
	name := t.TempDir() + "/bad.gpkg"
	writeFile(t, name, buf.Bytes())
	db, err := openSQLite(name, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE county SET area_m2 = 1e999 WHERE fid = 3`,
		`UPDATE county SET area_mu = -1e999 WHERE fid = 4`,
		`UPDATE county SET "YQMC" = CAST(x'd5e3ff' AS TEXT) WHERE fid = 6`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()
	imp, _, err := ReadGeoPackage(name, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id     int64
		reason string
	}{
		{3, `attribute "area_m2": the value is not a finite number`},
		{4, `attribute "area_mu": the value is not a finite number`},
		{6, `attribute "YQMC": the value is not valid UTF-8`},
	}
	if len(imp.Features) != 7 || len(imp.Problems) != len(want) {
		t.Fatalf("%d features, problems %v; want 7 and %d problems", len(imp.Features), imp.Problems, len(want))
	}
	for i, w := range want {
		if p := imp.Problems[i]; p.SourceID != w.id || !strings.Contains(p.Reason, w.reason) {
			t.Errorf("problem %d = %+v, want fid %d: %s", i, p, w.id, w.reason)
		}
	}
	if _, _, err := ReadGeoPackage(name, ReadOptions{Strict: true}); err == nil {
		t.Error("strict: accepted")
	}
}
