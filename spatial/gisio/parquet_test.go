package gisio

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

const parquetClientDir = "testdata/parquetclient"

// duckDB runs SQL queries with DuckDB (npm @duckdb/node-api) and returns each query's rows.
func duckDB(t *testing.T, queries ...string) [][]map[string]any {
	t.Helper()
	node := needTool(t, "node", "install Node.js and run `npm ci` in spatial/gisio/testdata/parquetclient")
	if _, err := os.Stat(filepath.Join(parquetClientDir, "node_modules", "@duckdb", "node-api")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("@duckdb/node-api not installed: CI must run `npm ci` in spatial/gisio/testdata/parquetclient")
		}
		t.Skip("@duckdb/node-api not installed: run `npm ci` in spatial/gisio/testdata/parquetclient")
	}
	in, _ := json.Marshal(queries)
	cmd := exec.Command(node, filepath.Join(parquetClientDir, "query.mjs"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb: %v\n%s", err, stderr.String())
	}
	var res [][]map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// refWKB is the little-endian ISO WKB of a Polygon or MultiPolygon, in hex (upper case, as
// DuckDB's hex prints it), written out here from the WKB layout: byte order 1, type 3 or 6,
// counts and coordinates.
func refWKB(g orb.Geometry) string {
	var b []byte
	le := binary.LittleEndian
	poly := func(p orb.Polygon) {
		b = append(b, 1)
		b = le.AppendUint32(b, 3)
		b = le.AppendUint32(b, uint32(len(p)))
		for _, r := range p {
			b = le.AppendUint32(b, uint32(len(r)))
			for _, pt := range r {
				b = le.AppendUint64(b, math.Float64bits(pt[0]))
				b = le.AppendUint64(b, math.Float64bits(pt[1]))
			}
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		poly(g)
	case orb.MultiPolygon:
		b = append(b, 1)
		b = le.AppendUint32(b, 6)
		b = le.AppendUint32(b, uint32(len(g)))
		for _, p := range g {
			poly(p)
		}
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// TestGeoParquetWithDuckDB reads GeoParquet exports in three CRSs with DuckDB: row count,
// column names and types, the "geo" metadata, every geometry's WKB and some attributes of every
// row (Chinese text, dates, booleans), the rows selected by a filter on the bbox covering
// column, and the spatial order of the rows.
func TestGeoParquetWithDuckDB(t *testing.T) {
	sn := county(t, 600)
	for _, c := range []crs.CRS{crs.EPSG4490, mustCRS(t, "EPSG:4549"), crs.CRS84} {
		t.Run(c.String(), func(t *testing.T) {
			file := exportFile(t, sn, FormatGeoParquet, c)
			src := fmt.Sprintf("read_parquet('%s', file_row_number = true)", file)
			win := window(t, sn, c, 0.31, 0.42, 0.47, 0.58)
			res := duckDB(t,
				"SET enable_geoparquet_conversion = false", // geometry as the stored WKB bytes
				"SELECT count(*)::INTEGER AS n FROM "+src,
				"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('"+file+"'))",
				"SELECT decode(value) AS geo FROM parquet_kv_metadata('"+file+"') WHERE decode(key) = 'geo'",
				`SELECT id, hex(geometry) AS wkb, "所在园区名称" AS park, QLR, GDRQ::VARCHAR AS gdrq, "已核查" AS checked, BSM FROM `+src+` ORDER BY file_row_number`,
				fmt.Sprintf("SELECT id FROM %s WHERE bbox.xmin <= %v AND bbox.xmax >= %v AND bbox.ymin <= %v AND bbox.ymax >= %v ORDER BY id",
					src, win.Max[0], win.Min[0], win.Max[1], win.Min[1]),
				"SET enable_geoparquet_conversion = true", // DuckDB recognises the GeoParquet column
				"SELECT column_type FROM (DESCRIBE SELECT geometry FROM read_parquet('"+file+"'))",
			)
			if typ, _ := res[7][0]["column_type"].(string); !strings.HasPrefix(typ, "GEOMETRY") {
				t.Errorf("with GeoParquet conversion, DuckDB reads the geometry column as %q", typ)
			}
			if n := res[1][0]["n"]; n != float64(sn.Len()) {
				t.Errorf("count = %v, want %d", n, sn.Len())
			}

			// Columns: id, the attributes in schema order, geometry, bbox.
			var names []string
			types := map[string]string{}
			for _, r := range res[2] {
				n := r["column_name"].(string)
				names = append(names, n)
				types[n] = r["column_type"].(string)
			}
			wantNames := []string{"id"}
			for _, col := range columns(sn) {
				wantNames = append(wantNames, col.name)
			}
			wantNames = append(wantNames, "geometry", "bbox")
			if !slices.Equal(names, wantNames) {
				t.Errorf("columns %v\nwant %v", names, wantNames)
			}
			for name, typ := range map[string]string{
				"id": "BIGINT", "BSM": "BIGINT", "QLR": "VARCHAR", "ZDMJ": "DOUBLE", "GDRQ": "DATE",
				"所在园区名称": "VARCHAR", "已核查": "BOOLEAN", "area_mu": "DOUBLE", "block_id": "BIGINT", "scattered": "BOOLEAN",
				"geometry": "BLOB", "bbox": "STRUCT(xmin DOUBLE, ymin DOUBLE, xmax DOUBLE, ymax DOUBLE)",
			} {
				if types[name] != typ {
					t.Errorf("column %s is %s, want %s", name, types[name], typ)
				}
			}

			// Rows: WKB and values, and the bounds of the layer.
			var all orb.Bound
			geomTypes := map[string]bool{}
			byID := map[string]*spatial.Feature{}
			for i, f := range sn.Features() {
				byID[strconv.FormatUint(uint64(f.ID), 10)] = f
				b := projected(t, f, c).Bound()
				if i == 0 {
					all = b
				} else {
					all = all.Union(b)
				}
				geomTypes[f.Geometry.GeoJSONType()] = true
			}
			rows := res[4]
			if len(rows) != sn.Len() {
				t.Fatalf("%d rows, want %d", len(rows), sn.Len())
			}
			var centres []orb.Point
			for _, r := range rows {
				id := r["id"].(string)
				f := byID[id]
				if f == nil {
					t.Fatalf("row with unknown id %s", id)
				}
				g := projected(t, f, c)
				centres = append(centres, g.Bound().Center())
				if r["wkb"] != refWKB(g) {
					t.Errorf("feature %s: WKB differs", id)
				}
				park, _ := f.Attrs.Value("所在园区名称").(string)
				qlr, _ := f.Attrs.Value("QLR").(string)
				gdrq, _ := f.Attrs.Value("GDRQ").(string)
				if r["park"] != nilIfEmpty(park) || r["QLR"] != nilIfEmpty(qlr) || r["gdrq"] != nilIfEmpty(gdrq) {
					t.Errorf("feature %s: 所在园区名称 %v, QLR %v, GDRQ %v; want %q, %q, %q", id, r["park"], r["QLR"], r["gdrq"], park, qlr, gdrq)
				}
				if r["checked"] != f.Attrs.Value("已核查") {
					t.Errorf("feature %s: 已核查 %v, want %v", id, r["checked"], f.Attrs.Value("已核查"))
				}
				if bsm, ok := f.Attrs.Value("BSM").(int64); ok && r["BSM"] != strconv.FormatInt(bsm, 10) {
					t.Errorf("feature %s: BSM %v, want %d", id, r["BSM"], bsm)
				}
			}

			// Spatial order: consecutive rows are much closer to each other than in a random order.
			path := func(pts []orb.Point) float64 {
				var d float64
				for i := 1; i < len(pts); i++ {
					d += math.Hypot(pts[i][0]-pts[i-1][0], pts[i][1]-pts[i-1][1])
				}
				return d
			}
			shuffled := slices.Clone(centres)
			rand.New(rand.NewPCG(7, 8)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if byRow, random := path(centres), path(shuffled); byRow > random/5 {
				t.Errorf("rows are not in spatial order: a path of %.4g through consecutive rows, %.4g in a random order", byRow, random)
			}

			// The bbox-filtered query against brute force.
			var want, got []string
			for _, f := range sn.Features() {
				if projected(t, f, c).Bound().Intersects(win) {
					want = append(want, strconv.FormatUint(uint64(f.ID), 10))
				}
			}
			for _, r := range res[5] {
				got = append(got, r["id"].(string))
			}
			slices.SortFunc(want, func(a, b string) int { return cmpNumeric(a, b) })
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("bbox filter: %d rows %v, want %d %v", len(got), got, len(want), want)
			}

			// The geo metadata.
			var geo struct {
				Version       string `json:"version"`
				PrimaryColumn string `json:"primary_column"`
				Columns       map[string]struct {
					Encoding      string                         `json:"encoding"`
					GeometryTypes []string                       `json:"geometry_types"`
					CRS           map[string]any                 `json:"crs"`
					BBox          []float64                      `json:"bbox"`
					Covering      map[string]map[string][]string `json:"covering"`
				} `json:"columns"`
			}
			if len(res[3]) != 1 {
				t.Fatalf("%d geo metadata entries", len(res[3]))
			}
			if err := json.Unmarshal([]byte(res[3][0]["geo"].(string)), &geo); err != nil {
				t.Fatal(err)
			}
			col, ok := geo.Columns["geometry"]
			if geo.Version != "1.1.0" || geo.PrimaryColumn != "geometry" || !ok || col.Encoding != "WKB" {
				t.Fatalf("geo metadata %+v", geo)
			}
			var wantTypes []string
			for _, typ := range []string{"Polygon", "MultiPolygon"} {
				if geomTypes[typ] {
					wantTypes = append(wantTypes, typ)
				}
			}
			if !slices.Equal(col.GeometryTypes, wantTypes) {
				t.Errorf("geometry_types %v, want %v", col.GeometryTypes, wantTypes)
			}
			if !slices.Equal(col.BBox, []float64{all.Min[0], all.Min[1], all.Max[0], all.Max[1]}) {
				t.Errorf("bbox %v, want %v", col.BBox, all)
			}
			wantCovering := map[string][]string{"xmin": {"bbox", "xmin"}, "ymin": {"bbox", "ymin"}, "xmax": {"bbox", "xmax"}, "ymax": {"bbox", "ymax"}}
			for k, v := range wantCovering {
				if !slices.Equal(col.Covering["bbox"][k], v) {
					t.Errorf("covering bbox %s = %v, want %v", k, col.Covering["bbox"][k], v)
				}
			}
			if c == crs.CRS84 {
				if col.CRS != nil {
					t.Errorf("crs %v for OGC:CRS84, want none", col.CRS)
				}
			} else {
				id, _ := col.CRS["id"].(map[string]any)
				if id["authority"] != "EPSG" || id["code"] != float64(c.EPSG()) {
					t.Errorf("crs id %v, want EPSG:%d", id, c.EPSG())
				}
			}
		})
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func cmpNumeric(a, b string) int {
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x - y
}

// TestProjJSONWithPROJ has PROJ read the PROJJSON of each kind of CRS and checks that it
// identifies it as the EPSG definition with full confidence.
func TestProjJSONWithPROJ(t *testing.T) {
	projinfo := needTool(t, "projinfo", "Debian proj-bin; .ci/run installs it")
	for _, code := range []int{4490, 4326, 3857, 4549, 4527} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			c := mustCRS(t, "EPSG:"+strconv.Itoa(code))
			def := string(projJSON(c))
			out, err := exec.Command(projinfo, "--identify", "-o", "PROJ", "-q", def).CombinedOutput()
			if err != nil {
				t.Fatalf("projinfo: %v\n%s", err, out)
			}
			if want := fmt.Sprintf("EPSG:%d: 100 %%", code); !strings.Contains(string(out), want) {
				t.Errorf("projinfo --identify does not find %q:\n%s", want, out)
			}
		})
	}
}

// BenchmarkWriteGeoParquet exports the generated county of 10 000 parcels as GeoParquet in its
// Gauss-Krüger zone and reports features per second.
func BenchmarkWriteGeoParquet(b *testing.B) { benchmarkExport(b, FormatGeoParquet) }

// TestEmptyLayerExports checks that a layer without features exports as files GDAL and DuckDB
// open: a FlatGeobuf without index and a GeoParquet without rows, both with the columns.
func TestEmptyLayerExports(t *testing.T) {
	sn := spatial.NewSnapshot(spatial.Layer{ID: "empty", Kind: spatial.KindParcels,
		Fields: []spatial.Field{{Name: "名称", Type: spatial.FieldString}}}, nil)
	t.Run("fgb", func(t *testing.T) {
		ogrinfo := needTool(t, "ogrinfo", "Debian gdal-bin; .ci/run installs it")
		out, err := exec.Command(ogrinfo, "-ro", "-al", "-so", exportFile(t, sn, FormatFlatGeobuf, crs.EPSG4490)).CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo: %v\n%s", err, out)
		}
		for _, want := range []string{"Feature Count: 0\n", "\n名称: String "} {
			if !strings.Contains(string(out), want) {
				t.Errorf("ogrinfo lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("parquet", func(t *testing.T) {
		file := exportFile(t, sn, FormatGeoParquet, crs.EPSG4490)
		res := duckDB(t, "SELECT count(*)::INTEGER AS n FROM read_parquet('"+file+"')",
			"SELECT count(*)::INTEGER AS n FROM (DESCRIBE SELECT * FROM read_parquet('"+file+"')) WHERE column_name IN ('id', '名称', 'geometry', 'bbox')")
		if res[0][0]["n"] != 0.0 || res[1][0]["n"] != 4.0 {
			t.Errorf("rows %v, columns found %v; want 0 and 4", res[0][0]["n"], res[1][0]["n"])
		}
	})
}
