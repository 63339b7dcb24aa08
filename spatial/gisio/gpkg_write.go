package gisio

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// ogcWKT returns the OGC WKT 1 definition of c as EPSG (and GDAL) writes it.
func ogcWKT(c crs.CRS) string {
	const cgcs2000 = `GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]]`
	const wgs84 = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]]`
	switch {
	case c.EPSG() == 4490:
		return cgcs2000 + `,AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4490"]]`
	case c.EPSG() == 4326:
		return wgs84 + `,AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`
	case c.EPSG() == 3857:
		return `PROJCS["WGS 84 / Pseudo-Mercator",` + wgs84 + `,AUTHORITY["EPSG","4326"]],PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],EXTENSION["PROJ4","+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs"],AUTHORITY["EPSG","3857"]]`
	}
	lon0 := c.CentralMeridian()
	// False easting: 500 000 m, or the zone number in front for the zone-prefixed codes.
	fe := 500000.0
	if c.EPSG() <= 4533 {
		fe = lon0/3*1e6 + 500000
	}
	return fmt.Sprintf(`PROJCS[%q,%s,AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",%s],PARAMETER["scale_factor",1],PARAMETER["false_easting",%s],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Northing",NORTH],AXIS["Easting",EAST],AUTHORITY["EPSG","%d"]]`,
		c.Name(), cgcs2000, strconv.FormatFloat(lon0, 'f', -1, 64), strconv.FormatFloat(fe, 'f', -1, 64), c.EPSG())
}

// gpkgSchema is the minimal GeoPackage 1.3 schema: the two required metadata tables and
// gpkg_geometry_columns, with the three SRS rows the standard requires.
var gpkgSchema = []string{
	`PRAGMA application_id = 1196444487`, // "GPKG"
	`PRAGMA user_version = 10300`,
	`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
	`CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
	`CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
	`INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system')`,
	`INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system')`,
}

// gpkgBatch is the number of rows inserted per transaction.
const gpkgBatch = 5000

// WriteGeoPackage writes sn as a GeoPackage with one feature table named after the layer:
// fid (the mudi id), geom (Polygon, or MultiPolygon when any feature is one, in the target CRS,
// registered in gpkg_spatial_ref_sys under its EPSG code with its OGC WKT definition), then the
// attributes under their own names (Chinese included; TEXT, INTEGER, REAL, BOOLEAN, DATE) and
// the derived attributes. The file is built in a temporary file, rows inserted in batches of
// transactions, then copied to w.
func WriteGeoPackage(ctx context.Context, w io.Writer, sn *spatial.Snapshot, opts WriteOptions) error {
	opts, err := Resolve(sn, FormatGeoPackage, opts)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(opts.TempDir, "mudi-export-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "layer.gpkg")
	if err := buildGeoPackage(ctx, name, sn, opts.CRS); err != nil {
		return err
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, bufio.NewReaderSize(f, 256<<10))
	return err
}

func buildGeoPackage(ctx context.Context, name string, sn *spatial.Snapshot, to crs.CRS) (err error) {
	db, err := openSQLite(name, false)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	// A scratch file: no need for crash safety while it is built.
	for _, p := range []string{`PRAGMA journal_mode = OFF`, `PRAGMA synchronous = OFF`, `PRAGMA cache_size = -8000`} {
		if _, err := db.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	for _, q := range gpkgSchema {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("gisio: geopackage schema: %w", err)
		}
	}
	srsID := int32(to.EPSG())
	if _, err := db.ExecContext(ctx, `INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, 'EPSG', ?, ?, ?)`,
		to.Name(), srsID, srsID, ogcWKT(to), to.Name()); err != nil {
		return err
	}

	table := sn.Layer.ID
	cols := columns(sn)
	multi := false
	for _, f := range sn.Features() {
		if _, ok := f.Geometry.(orb.MultiPolygon); ok {
			multi = true
			break
		}
	}
	geomType := "POLYGON"
	if multi {
		geomType = "MULTIPOLYGON"
	}
	// Column names: the attribute names, made unique (case-insensitively, as SQLite compares
	// them) against fid, geom and each other.
	taken := map[string]bool{"fid": true, "geom": true}
	defs := []string{`"fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL`, `"geom" ` + geomType}
	colNames := make([]string, len(cols))
	for i, c := range cols {
		n := c.name
		for k := 2; taken[strings.ToLower(n)]; k++ {
			n = c.name + "_" + strconv.Itoa(k)
		}
		taken[strings.ToLower(n)] = true
		colNames[i] = n
		typ := map[spatial.FieldType]string{spatial.FieldInteger: "INTEGER", spatial.FieldReal: "REAL",
			spatial.FieldBoolean: "BOOLEAN", spatial.FieldDate: "DATE"}[c.typ]
		if typ == "" {
			typ = "TEXT"
		}
		defs = append(defs, quoteIdent(n)+" "+typ)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE `+quoteIdent(table)+` (`+strings.Join(defs, ", ")+`)`); err != nil {
		return err
	}
	updated := sn.Layer.Updated
	if updated.IsZero() {
		updated = time.Now()
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) VALUES (?, 'features', ?, ?, ?, ?)`,
		table, table, sn.Layer.Title, updated.UTC().Format("2006-01-02T15:04:05.000Z"), srsID); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)`, table, geomType, srsID); err != nil {
		return err
	}

	placeholders := strings.Repeat(", ?", len(cols))
	quoted := make([]string, len(colNames))
	for i, n := range colNames {
		quoted[i] = ", " + quoteIdent(n)
	}
	insert := `INSERT INTO ` + quoteIdent(table) + ` ("fid", "geom"` + strings.Join(quoted, "") + `) VALUES (?, ?` + placeholders + `)`

	var tx *sql.Tx
	var stmt *sql.Stmt
	commit := func() error {
		if tx == nil {
			return nil
		}
		stmt.Close()
		err := tx.Commit()
		tx, stmt = nil, nil
		return err
	}
	defer func() {
		if tx != nil {
			stmt.Close()
			tx.Rollback()
		}
	}()
	var bound orb.Bound
	args := make([]any, 2+len(cols))
	var blob []byte
	n := 0
	err = every(ctx, sn, func(f *spatial.Feature) error {
		if tx == nil {
			var err error
			if tx, err = db.BeginTx(ctx, nil); err != nil {
				return err
			}
			if stmt, err = tx.PrepareContext(ctx, insert); err != nil {
				return err
			}
		}
		g, err := project(f.Geometry, to)
		if err != nil {
			return featureError(f, err)
		}
		if p, ok := g.(orb.Polygon); ok && multi {
			g = orb.MultiPolygon{p}
		}
		b := g.Bound()
		if n == 0 {
			bound = b
		} else {
			bound = bound.Union(b)
		}
		n++
		blob = appendGPKGGeometry(blob[:0], g, srsID)
		args[0], args[1] = int64(f.ID), blob
		for i, c := range cols {
			v := c.value(f)
			if t, ok := v.(bool); ok {
				if t {
					v = int64(1)
				} else {
					v = int64(0)
				}
			}
			args[2+i] = v
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return featureError(f, err)
		}
		if n%gpkgBatch == 0 {
			return commit()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := commit(); err != nil {
		return err
	}
	if n > 0 {
		if _, err := db.ExecContext(ctx, `UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?`,
			bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1], table); err != nil {
			return err
		}
	}
	return nil
}
