package gisio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver "sqlite"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// openSQLite opens a SQLite file; readOnly opens it immutable (no journal, no locks, nothing
// written beside it).
func openSQLite(name string, readOnly bool) (*sql.DB, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	u := url.URL{Scheme: "file", Path: abs}
	q := url.Values{}
	if readOnly {
		q.Set("mode", "ro")
		q.Set("immutable", "1")
	}
	u.RawQuery = q.Encode()
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ReadGeoPackage reads the features of one table of a GeoPackage file. With several feature
// tables, opts.Table names one; otherwise (or when it names none of them) a [*ParamError] for
// "table" lists them. The CRS comes from gpkg_spatial_ref_sys (its EPSG organization code, else
// its WKT definition) unless opts.CRS overrides it. Rows are read in primary-key order; the
// fid is each feature's source id.
func ReadGeoPackage(name string, opts ReadOptions) (*spatial.Import, Info, error) {
	base := filepath.Base(name)
	info := Info{Format: "gpkg"}
	f, err := os.Open(name)
	if err != nil {
		return nil, info, err
	}
	var magic [16]byte
	_, err = f.Read(magic[:])
	f.Close()
	if err != nil || string(magic[:15]) != "SQLite format 3" {
		return nil, info, fileErr(base, 0, "not a GeoPackage (not an SQLite database)")
	}
	db, err := openSQLite(name, true)
	if err != nil {
		return nil, info, err
	}
	defer db.Close()
	ctx := context.Background()
	bad := func(err error) error {
		return &FileError{File: base, Reason: fmt.Sprintf("cannot read the GeoPackage: %v", err), Err: err}
	}

	type table struct {
		name, column string
		srsID        int64
	}
	rows, err := db.QueryContext(ctx, `SELECT c.table_name, g.column_name, COALESCE(g.srs_id, c.srs_id, 0)
		FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
		WHERE c.data_type = 'features' ORDER BY c.table_name`)
	if err != nil {
		return nil, info, bad(err)
	}
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.column, &t.srsID); err != nil {
			rows.Close()
			return nil, info, bad(err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, info, bad(err)
	}
	if len(tables) == 0 {
		return nil, info, fileErr(base, 0, "the GeoPackage has no feature table")
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	var tbl *table
	switch {
	case opts.Table != "":
		for i := range tables {
			if tables[i].name == opts.Table {
				tbl = &tables[i]
			}
		}
		if tbl == nil {
			for i := range tables {
				if strings.EqualFold(tables[i].name, opts.Table) {
					tbl = &tables[i]
				}
			}
		}
		if tbl == nil {
			return nil, info, &ParamError{Param: "table", Reason: fmt.Sprintf("the GeoPackage has no feature table %q; its tables are %s", opts.Table, listNames(names, 50))}
		}
	case len(tables) > 1:
		return nil, info, &ParamError{Param: "table", Reason: fmt.Sprintf("the GeoPackage has %d feature tables (%s): choose one with table=", len(tables), listNames(names, 50))}
	default:
		tbl = &tables[0]
	}
	info.Name = tbl.name

	src, explicit := opts.CRS, opts.CRS != (crs.CRS{})
	if !explicit && tbl.srsID > 0 {
		var org, def sql.NullString
		var code sql.NullInt64
		err := db.QueryRowContext(ctx, `SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, tbl.srsID).Scan(&org, &code, &def)
		if err != nil {
			return nil, info, bad(fmt.Errorf("srs_id %d: %w", tbl.srsID, err))
		}
		var cerr error
		if strings.EqualFold(org.String, "EPSG") {
			src, cerr = crs.FromEPSG(int(code.Int64))
		}
		if !strings.EqualFold(org.String, "EPSG") || cerr != nil {
			var werr error
			if src, werr = crs.FromWKT(def.String); werr != nil {
				if cerr == nil {
					cerr = werr
				}
				return nil, info, &ParamError{Param: "crs", Err: cerr,
					Reason: unsupportedCRS(fmt.Sprintf("%s: table %s (%s:%d)", base, tbl.name, org.String, code.Int64), def.String, cerr)}
			}
		}
		explicit = true
	}
	if !explicit {
		src = crs.EPSG4326
	}

	// Columns: the integer primary key is the fid, the geometry column is the geometry, the
	// others are attributes.
	type column struct {
		name, decl string
		pk         bool
		kind       spatial.FieldType
	}
	crows, err := db.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?)`, tbl.name)
	if err != nil {
		return nil, info, bad(err)
	}
	var cols []column
	for crows.Next() {
		var c column
		var pk int
		if err := crows.Scan(&c.name, &c.decl, &pk); err != nil {
			crows.Close()
			return nil, info, bad(err)
		}
		c.pk = pk > 0
		cols = append(cols, c)
	}
	crows.Close()
	pk := ""
	var fields []spatial.Field
	var attrCols []column
	for _, c := range cols {
		decl := strings.ToUpper(c.decl)
		switch {
		case c.pk && strings.HasPrefix(decl, "INT") && pk == "":
			pk = c.name
			continue
		case strings.EqualFold(c.name, tbl.column):
			continue
		}
		switch {
		case decl == "BOOLEAN":
			c.kind = spatial.FieldBoolean
		case strings.Contains(decl, "INT"):
			c.kind = spatial.FieldInteger
		case decl == "REAL" || decl == "DOUBLE" || decl == "FLOAT" || strings.HasPrefix(decl, "NUMERIC"):
			c.kind = spatial.FieldReal
		case decl == "DATE":
			c.kind = spatial.FieldDate
		default:
			c.kind = spatial.FieldString
		}
		attrCols = append(attrCols, c)
		fields = append(fields, spatial.Field{Name: c.name, Type: c.kind})
	}
	sel := []string{"rowid"}
	if pk != "" {
		sel[0] = quoteIdent(pk)
	}
	sel = append(sel, quoteIdent(tbl.column))
	for _, c := range attrCols {
		sel = append(sel, quoteIdent(c.name))
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + quoteIdent(tbl.name) + " ORDER BY 1"
	rows, err = db.QueryContext(ctx, q)
	if err != nil {
		return nil, info, bad(err)
	}
	defer rows.Close()
	var records []spatial.SourceFeature
	vals := make([]any, len(sel))
	ptrs := make([]any, len(sel))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, info, bad(err)
		}
		fid, _ := vals[0].(int64)
		sf := spatial.SourceFeature{ID: fid, Attrs: make(spatial.Attrs, len(attrCols))}
		switch blob := vals[1].(type) {
		case nil:
			sf.Problem = "feature has no geometry"
		case []byte:
			g, err := decodeGPKGGeometry(blob)
			var np notPolygonError
			switch {
			case errors.As(err, &np):
				sf.Problem = np.Error()
			case err != nil:
				sf.Problem = "geometry: " + err.Error()
			case g == nil:
				sf.Problem = "empty geometry"
			default:
				sf.Geometry = g
			}
		default:
			sf.Problem = fmt.Sprintf("geometry column holds %T, not a GeoPackage geometry blob", blob)
		}
		for i, c := range attrCols {
			v, err := attrValue(vals[i+2], c.kind)
			if err != nil && sf.Problem == "" {
				sf.Problem = fmt.Sprintf("attribute %s: %v", c.name, err)
			}
			sf.Attrs[c.name] = v
		}
		records = append(records, sf)
	}
	if err := rows.Err(); err != nil {
		return nil, info, bad(err)
	}
	imp, err := spatial.BuildImport(records, fields, src, explicit, opts.importOptions())
	return imp, info, err
}

// attrValue converts a value scanned from SQLite to an attribute value of the column's kind.
func attrValue(v any, kind spatial.FieldType) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case int64:
		switch kind {
		case spatial.FieldBoolean:
			return v != 0, nil
		case spatial.FieldReal:
			return float64(v), nil
		case spatial.FieldString, spatial.FieldDate:
			return fmt.Sprint(v), nil
		}
		return v, nil
	case float64:
		if kind == spatial.FieldInteger && v == float64(int64(v)) {
			return int64(v), nil
		}
		if kind == spatial.FieldString || kind == spatial.FieldDate {
			return fmt.Sprint(v), nil
		}
		return v, nil
	case bool:
		return v, nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case time.Time:
		if kind == spatial.FieldDate {
			return v.Format(time.DateOnly), nil
		}
		return v.Format(time.RFC3339Nano), nil
	}
	return fmt.Sprint(v), nil
}
