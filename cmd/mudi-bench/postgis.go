package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/ewkb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// privatePostGIS is a server started with scripts/postgis.sh.
type privatePostGIS struct {
	script, dir string
	port        int
}

// findScript returns scripts/postgis.sh, looked up from the current directory upwards.
func findScript(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scripts", "postgis.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("scripts/postgis.sh not found from the current directory upwards: run from the mudi checkout or pass -postgis-script (or -dsn)")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startPostGIS starts a private server in dir and returns it and its DSN.
func startPostGIS(ctx context.Context, script, dir string, port int) (*privatePostGIS, string, error) {
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, "", err
		}
	}
	p := &privatePostGIS{script: script, dir: dir, port: port}
	out, err := p.cmd(ctx, "start")
	if err != nil {
		return nil, "", err
	}
	dsn := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(dsn, '\n'); i >= 0 {
		dsn = dsn[i+1:]
	}
	return p, dsn, nil
}

func (p *privatePostGIS) cmd(ctx context.Context, verb string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "bash", p.script, verb, p.dir, strconv.Itoa(p.port))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", p.script, verb, err, stderr.String())
	}
	return out, nil
}

func (p *privatePostGIS) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := p.cmd(ctx, "stop")
	return err
}

// postgis is the PostGIS side: one connection for loading and analyses, and one per tile worker.
type postgis struct {
	admin   *pgx.Conn
	workers []*pgx.Conn
	version string
	gkSRID  int // the CGCS2000 3° Gauss-Krüger zone of the county, for metric distances

	tileSQL [2]string // [0] below the detail zoom, [1] from it
}

func connectPostGIS(ctx context.Context, dsn string, workers int) (*postgis, error) {
	p := &postgis{}
	var err error
	if p.admin, err = pgx.Connect(ctx, dsn); err != nil {
		return nil, fmt.Errorf("connect to PostGIS: %w", err)
	}
	for range workers {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("connect to PostGIS: %w", err)
		}
		p.workers = append(p.workers, c)
	}
	if err := p.admin.QueryRow(ctx, `SELECT 'PostgreSQL ' || current_setting('server_version') || ', PostGIS ' || postgis_lib_version() || ', GEOS ' || postgis_geos_version()`).Scan(&p.version); err != nil {
		p.close()
		return nil, fmt.Errorf("PostGIS missing in the database (CREATE EXTENSION postgis): %w", err)
	}
	return p, nil
}

func (p *postgis) close() {
	ctx := context.Background()
	if p.admin != nil {
		p.admin.Close(ctx)
	}
	for _, c := range p.workers {
		c.Close(ctx)
	}
}

// column is an attribute column of the parcels table.
type column struct {
	name string // attribute name = column name = MVT property name
	sql  string // SQL type
	get  func(f *spatial.Feature) any
}

// reservedColumns are the table's own columns; source attributes with these names are not
// copied (mudi's derived attributes shadow source attributes of the same name in tiles too).
var reservedColumns = []string{"id", "geom", "geom3857", "geog", "area_m2",
	tiles.PropAreaMu, tiles.PropControlPosition, tiles.PropOutsideRatio, tiles.PropOutsideMu,
	tiles.PropBlockID, tiles.PropBlockMu, tiles.PropScattered}

// parcelColumns returns the attribute columns: every source field of the layer, then mudi's
// derived attributes (NULL where mudi leaves them out of tiles).
func parcelColumns(l *spatial.Layer) []column {
	var cols []column
	for _, f := range l.Fields {
		if slices.Contains(reservedColumns, strings.ToLower(f.Name)) {
			continue
		}
		name := f.Name
		typ := "text"
		switch f.Type {
		case spatial.FieldInteger:
			typ = "bigint"
		case spatial.FieldReal:
			typ = "double precision"
		case spatial.FieldBoolean:
			typ = "boolean"
		}
		cols = append(cols, column{name: name, sql: typ, get: func(ft *spatial.Feature) any { return ft.Attrs.Value(name) }})
	}
	withPosition := func(fn func(d *spatial.Derived) any) func(*spatial.Feature) any {
		return func(f *spatial.Feature) any {
			if f.Derived.ControlPosition == "" {
				return nil
			}
			return fn(&f.Derived)
		}
	}
	withBlock := func(fn func(d *spatial.Derived) any) func(*spatial.Feature) any {
		return func(f *spatial.Feature) any {
			if f.Derived.BlockID == 0 {
				return nil
			}
			return fn(&f.Derived)
		}
	}
	return append(cols,
		column{tiles.PropAreaMu, "double precision", func(f *spatial.Feature) any { return f.Derived.AreaMu }},
		column{tiles.PropControlPosition, "text", withPosition(func(d *spatial.Derived) any { return string(d.ControlPosition) })},
		column{tiles.PropOutsideRatio, "double precision", withPosition(func(d *spatial.Derived) any { return d.OutsideRatio })},
		column{tiles.PropOutsideMu, "double precision", withPosition(func(d *spatial.Derived) any { return d.OutsideMu })},
		column{tiles.PropBlockID, "bigint", withBlock(func(d *spatial.Derived) any { return int64(d.BlockID) })},
		column{tiles.PropBlockMu, "double precision", withBlock(func(d *spatial.Derived) any { return d.BlockMu })},
		column{tiles.PropScattered, "boolean", withBlock(func(d *spatial.Derived) any { return d.Scattered })},
	)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// copyText appends v in COPY text format.
func copyText(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...), nil
	case string:
		for i := 0; i < len(x); i++ {
			switch c := x[i]; c {
			case '\\':
				b = append(b, `\\`...)
			case '\t':
				b = append(b, `\t`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			default:
				b = append(b, c)
			}
		}
		return b, nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, `\N`...), nil
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64), nil
	case bool:
		if x {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	}
	return nil, fmt.Errorf("attribute value %v of type %T", v, v)
}

// copyFeatures streams id, EWKB geometry and the columns of every feature of s.
func copyFeatures(ctx context.Context, conn *pgx.Conn, table string, s *spatial.Snapshot, cols []column) error {
	names := []string{"id", "geom"}
	for _, c := range cols {
		names = append(names, quoteIdent(c.name))
	}
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		var line []byte
		for _, f := range s.Features() {
			line = strconv.AppendUint(line[:0], uint64(f.ID), 10)
			line = append(line, '\t')
			hex, err := ewkb.MarshalToHex(f.Geometry, 4326)
			if err != nil {
				pw.CloseWithError(fmt.Errorf("feature %d: %w", f.ID, err))
				return
			}
			line = append(line, hex...)
			for _, c := range cols {
				line = append(line, '\t')
				if line, err = copyText(line, c.get(f)); err != nil {
					pw.CloseWithError(fmt.Errorf("feature %d, %s: %w", f.ID, c.name, err))
					return
				}
			}
			line = append(line, '\n')
			if _, err := w.Write(line); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(w.Flush())
	}()
	_, err := conn.PgConn().CopyFrom(ctx, pr, fmt.Sprintf("COPY %s (%s) FROM STDIN", table, strings.Join(names, ", ")))
	pr.Close()
	return err
}

// load replaces the tables parcels and control with the county: COPY of EWKB (EPSG:4326) and
// attributes into a staging table, then the table with its EPSG:3857 column (for tiles), its
// geography column (for geodesic distances) and its ellipsoidal area (as mudi stores area_m2),
// GIST indexes on the 3857, 4326 and geography columns, and ANALYZE.
func (p *postgis) load(ctx context.Context, parcels, control *spatial.Snapshot) (time.Duration, error) {
	cols := parcelColumns(&parcels.Layer)
	start := time.Now()
	defs := []string{"id bigint", "geom geometry"}
	sel := []string{"id", "geom::geometry(Geometry, 4326) AS geom",
		"ST_Transform(geom, 3857)::geometry(Geometry, 3857) AS geom3857",
		"geom::geography AS geog", "ST_Area(geom::geography) AS area_m2"}
	for _, c := range cols {
		defs = append(defs, quoteIdent(c.name)+" "+c.sql)
		sel = append(sel, quoteIdent(c.name))
	}
	if _, err := p.admin.Exec(ctx, fmt.Sprintf(`
DROP TABLE IF EXISTS parcels, control, parcels_load, control_load;
CREATE TABLE parcels_load (%s);
CREATE TABLE control_load (id bigint, geom geometry);`, strings.Join(defs, ", "))); err != nil {
		return 0, fmt.Errorf("PostGIS: create tables: %w", err)
	}
	if err := copyFeatures(ctx, p.admin, "parcels_load", parcels, cols); err != nil {
		return 0, fmt.Errorf("PostGIS: copy parcels: %w", err)
	}
	if err := copyFeatures(ctx, p.admin, "control_load", control, nil); err != nil {
		return 0, fmt.Errorf("PostGIS: copy control: %w", err)
	}
	if _, err := p.admin.Exec(ctx, fmt.Sprintf(`
CREATE TABLE parcels AS SELECT %s FROM parcels_load ORDER BY id;
CREATE TABLE control AS SELECT id, geom::geometry(Geometry, 4326) AS geom, geom::geography AS geog FROM control_load ORDER BY id;
DROP TABLE parcels_load, control_load;
ALTER TABLE parcels ADD PRIMARY KEY (id);
ALTER TABLE control ADD PRIMARY KEY (id);
CREATE INDEX parcels_geom3857 ON parcels USING gist (geom3857);
CREATE INDEX parcels_geom ON parcels USING gist (geom);
CREATE INDEX parcels_geog ON parcels USING gist (geog);
CREATE INDEX control_geom ON control USING gist (geom);`, strings.Join(sel, ", "))); err != nil {
		return 0, fmt.Errorf("PostGIS: build tables: %w", err)
	}
	for _, t := range []string{"parcels", "control"} {
		if _, err := p.admin.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return 0, fmt.Errorf("PostGIS: analyze: %w", err)
		}
	}
	elapsed := time.Since(start)

	// The local Gauss-Krüger zone (metres, scale error < 2e-4 within 1.5° of its meridian).
	c := parcels.Layer.Bound.Center()
	zone := int(math.Round((c[0] - 75) / 3))
	p.gkSRID = 4534 + zone
	p.tileSQL[0] = tileQuery(tileProps(&parcels.Layer, cols, false))
	p.tileSQL[1] = tileQuery(tileProps(&parcels.Layer, cols, true))
	return elapsed, nil
}

// tileProps returns the columns a PostGIS tile carries: the properties mudi's tiles of the
// layer carry at that zoom (see tiles.Options.DetailZoom and the renderer's field selection):
// below the detail zoom the class fields and the status role field, from it the style fields
// and every role field; and always the derived attributes.
func tileProps(l *spatial.Layer, cols []column, detail bool) []string {
	want := map[string]bool{}
	if detail {
		for _, f := range tiles.DefaultStyleFields() {
			want[f] = true
		}
		for _, f := range l.Roles {
			want[f] = true
		}
	} else {
		for _, f := range tiles.DefaultClassFields() {
			want[f] = true
		}
		if s, ok := l.Role("status"); ok {
			want[s] = true
		}
	}
	var out []string
	for _, c := range cols {
		if want[c.name] || slices.Contains(reservedColumns, c.name) {
			out = append(out, quoteIdent(c.name))
		}
	}
	return out
}

// tileQuery is the query pg_tileserv and Martin issue for a table source: features whose
// EPSG:3857 bounding box meets the buffered tile envelope, clipped and encoded by
// ST_AsMVTGeom (extent 4096, buffer 64, as mudi) and aggregated by ST_AsMVT with the feature id.
func tileQuery(props []string) string {
	return fmt.Sprintf(`SELECT ST_AsMVT(q, 'parcels', 4096, 'geom', 'id') FROM (
  SELECT id, %s, ST_AsMVTGeom(geom3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
  FROM parcels WHERE geom3857 && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)) q`, strings.Join(props, ", "))
}

// tile renders one tile on connection conn.
func (p *postgis) tile(ctx context.Context, conn *pgx.Conn, c tiles.Coord, detail bool) ([]byte, error) {
	q := p.tileSQL[0]
	if detail {
		q = p.tileSQL[1]
	}
	var b []byte
	if err := conn.QueryRow(ctx, q, int32(c.Z), int32(c.X), int32(c.Y)).Scan(&b); err != nil {
		return nil, fmt.Errorf("PostGIS tile %v: %w", c, err)
	}
	return b, nil
}

// overlay computes every parcel's outside ratio against the union of the control polygons, in
// the form a PostGIS user tunes it to: the union subdivided and indexed, parcels within one
// piece taken whole, the others intersected with the pieces they meet and measured on the
// ellipsoid — ST_Area(ST_Intersection(p, ⋃control)::geography), as docs/domain.md §4 defines it.
func (p *postgis) overlay(ctx context.Context) (map[spatial.FeatureID]float64, error) {
	if _, err := p.admin.Exec(ctx, `
DROP TABLE IF EXISTS control_pieces;
CREATE TEMP TABLE control_pieces AS SELECT ST_Subdivide(ST_Union(geom), 64) AS geom FROM control;
CREATE INDEX ON control_pieces USING gist (geom);
ANALYZE control_pieces;`); err != nil {
		return nil, fmt.Errorf("PostGIS overlay: %w", err)
	}
	rows, err := p.admin.Query(ctx, `
SELECT p.id, 1 - coalesce((
  SELECT CASE WHEN bool_or(ST_Within(p.geom, c.geom)) THEN p.area_m2
              ELSE ST_Area(ST_Union(ST_Intersection(p.geom, c.geom))::geography) END
  FROM control_pieces c WHERE ST_Intersects(p.geom, c.geom)), 0) / p.area_m2
FROM parcels p`)
	if err != nil {
		return nil, fmt.Errorf("PostGIS overlay: %w", err)
	}
	out := map[spatial.FeatureID]float64{}
	var id int64
	var ratio float64
	_, err = pgx.ForEachRow(rows, []any{&id, &ratio}, func() error {
		out[spatial.FeatureID(id)] = min(1, max(0, ratio))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("PostGIS overlay: %w", err)
	}
	return out, nil
}

// pgBlock is one cluster of parcels from PostGIS.
type pgBlock struct {
	ids    []int64
	areaM2 float64
}

// blocks groups all parcels into contiguous blocks the PostGIS way: ST_ClusterDBSCAN with
// minpoints 1 (connected components of "distance ≤ eps"), on EPSG:4326 for tolerance 0 (touching
// or overlapping, exactly) and on the county's Gauss-Krüger zone in metres otherwise; then each
// block dissolved with ST_Union and measured on the ellipsoid.
func (p *postgis) blocks(ctx context.Context, tol float64) ([]pgBlock, error) {
	geom := "geom"
	if tol > 0 {
		geom = fmt.Sprintf("ST_Transform(geom, %d)", p.gkSRID)
	}
	rows, err := p.admin.Query(ctx, fmt.Sprintf(`
WITH c AS (SELECT id, geom, ST_ClusterDBSCAN(%s, eps := %g, minpoints := 1) OVER () AS cid FROM parcels)
SELECT array_agg(id ORDER BY id), ST_Area(ST_Union(geom)::geography) FROM c GROUP BY cid`, geom, tol))
	if err != nil {
		return nil, fmt.Errorf("PostGIS blocks: %w", err)
	}
	var out []pgBlock
	var ids []int64
	var area float64
	_, err = pgx.ForEachRow(rows, []any{&ids, &area}, func() error {
		out = append(out, pgBlock{ids: slices.Clone(ids), areaM2: area})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("PostGIS blocks: %w", err)
	}
	return out, nil
}

// pgPair is two parcels and their geodesic distance.
type pgPair struct {
	a, b spatial.FeatureID
	m    float64
}

// pairs returns the pairs of parcels among ids whose geodesic distance is at most within metres
// (ST_DWithin and ST_Distance on geography), for explaining disagreements.
func (p *postgis) pairs(ctx context.Context, ids []int64, within float64) ([]pgPair, error) {
	rows, err := p.admin.Query(ctx, `
SELECT a.id, b.id, ST_Distance(a.geog, b.geog) FROM parcels a JOIN parcels b
  ON a.id < b.id AND ST_DWithin(a.geog, b.geog, $2)
WHERE a.id = ANY($1) AND b.id = ANY($1)`, ids, within)
	if err != nil {
		return nil, err
	}
	var out []pgPair
	var a, b int64
	var m float64
	_, err = pgx.ForEachRow(rows, []any{&a, &b, &m}, func() error {
		out = append(out, pgPair{spatial.FeatureID(a), spatial.FeatureID(b), m})
		return nil
	})
	return out, err
}

// statementTimeout sets PostgreSQL's statement_timeout on the admin connection (0: none).
func (p *postgis) statementTimeout(ctx context.Context, d time.Duration) error {
	ms := d.Milliseconds()
	if d > 0 {
		ms = max(1, ms)
	}
	_, err := p.admin.Exec(ctx, fmt.Sprintf("SET statement_timeout = %d", ms))
	return err
}
