package gisio

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

func TestGeoPackageWithSeveralTablesNeedsTable(t *testing.T) {
	full := county(t, 300)
	sn := spatial.NewSnapshot(full.Layer, append([]*spatial.Feature(nil), full.Features()[:30]...))
	var buf bytes.Buffer
	if err := WriteGeoPackage(context.Background(), &buf, sn, WriteOptions{CRS: mustCRS(t, "EPSG:4549")}); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "two.gpkg")
	writeFile(t, name, buf.Bytes())
	db, err := openSQLite(name, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE "控制线" AS SELECT * FROM county WHERE fid <= 5`,
		`INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('控制线', 'features', '控制线', 4549)`,
		`INSERT INTO gpkg_geometry_columns VALUES ('控制线', 'geom', 'MULTIPOLYGON', 4549, 0, 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()

	_, _, err = ReadGeoPackage(name, ReadOptions{})
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Param != "table" || !strings.Contains(pe.Reason, "county, 控制线") {
		t.Fatalf("without table: %v", err)
	}
	imp, info, err := ReadGeoPackage(name, ReadOptions{Table: "控制线"})
	if err != nil || len(imp.Features) != 5 || info.Name != "控制线" || imp.CRS != mustCRS(t, "EPSG:4549") {
		t.Fatalf("table 控制线: %v, %+v", err, info)
	}
	// Zipped, with the table chosen.
	data := writeFileToZip(t, name)
	imp, _, err = readZipBytes(data, ReadOptions{Table: "county"})
	if err != nil || len(imp.Features) != 30 {
		t.Fatalf("zipped: %v", err)
	}
	checkReimport(t, sn, imp, nil)
	// The crs parameter overrides the declaration; here it is wrong, so the coordinates look
	// projected for lon/lat and the import is refused.
	if _, _, err := ReadGeoPackage(name, ReadOptions{Table: "county", CRS: crs.EPSG4490}); err == nil {
		t.Error("a wrong crs override was accepted")
	}
}

func writeFileToZip(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := readAll(name)
	if err != nil {
		tb.Fatal(err)
	}
	return zipOf(tb, map[string][]byte{"交付/" + filepath.Base(name): data}, "")
}
