package analysis

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb/encoding/wkb"
)

// This file cross-checks the engine against PostGIS (docs/domain.md §4 "Accuracy"): a private
// PostgreSQL cluster is created in a temporary directory, listening on 127.0.0.1 at a random
// port, the generated county is loaded, and the same questions are asked in SQL. The test skips
// when PostgreSQL or PostGIS is not installed (Debian: postgresql-15-postgis-3).
//
// MUDITEST_PG_N sets the county size (default 20000, the county the acceptance names). MUDITEST_PG_BENCH=1 runs TestPostGISTiming, which
// times the equivalent SQL on the county of MUDITEST_PG_N parcels (default 100000) for comparison
// with the Go benchmarks.

// pgCluster is a running private PostgreSQL server.
type pgCluster struct {
	bin  string // directory of the server binaries
	dir  string // cluster directory (data, socket, log)
	port int
	as   string // OS user running the server ("" = the current user)
}

// findPostgres returns the binaries directory of the newest PostgreSQL with PostGIS, or why not.
func findPostgres() (string, string) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	if len(dirs) == 0 {
		return "", "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (install postgresql-15-postgis-3)"
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err != nil {
			continue
		}
		out, err := exec.Command(filepath.Join(d, "pg_config"), "--sharedir").Output()
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(out)), "extension", "postgis.control")); err == nil {
			return d, ""
		}
	}
	return "", "PostgreSQL found but no PostGIS extension (install postgresql-15-postgis-3)"
}

// startPostGIS starts a private cluster, or skips the test when PostgreSQL/PostGIS is absent.
func startPostGIS(tb testing.TB) *pgCluster {
	tb.Helper()
	bin, why := findPostgres()
	if bin == "" {
		missingTool(tb, "PostGIS cross-check skipped: "+why)
	}
	c := &pgCluster{bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run it as the postgres user the package creates.
		if _, err := user.Lookup("postgres"); err != nil {
			missingTool(tb, "PostGIS cross-check skipped: running as root and there is no postgres user")
		}
		c.as = "postgres"
	}
	dir, err := os.MkdirTemp("", "mudi-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	c.dir = dir
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if c.as != "" {
		u, _ := user.Lookup(c.as)
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()

	data := filepath.Join(dir, "data")
	c.server(tb, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "-N")
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c work_mem=256MB", c.port, dir)
	c.server(tb, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start")
	tb.Cleanup(func() {
		cmd := c.command("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
		_ = cmd.Run()
	})
	c.sql(tb, "CREATE EXTENSION postgis;")
	return c
}

func (c *pgCluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.as != "" {
		return exec.Command("runuser", append([]string{"-u", c.as, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (c *pgCluster) server(tb testing.TB, name string, args ...string) {
	tb.Helper()
	cmd := c.command(name, args...)
	cmd.Dir = c.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		tb.Fatalf("%s: %v\n%s\n%s", name, err, out, log)
	}
}

// sql runs a script with psql and returns its unaligned, tab-separated output rows.
func (c *pgCluster) sql(tb testing.TB, script string) [][]string {
	tb.Helper()
	cmd := exec.Command(filepath.Join(c.bin, "psql"), "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres", "-d", "postgres", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("psql: %v\n%s\nscript:\n%.2000s", err, stderr.String(), script)
	}
	var rows [][]string
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}

// load copies a snapshot's geometries into table name(id bigint, geom geometry(4326), geog).
func (c *pgCluster) load(tb testing.TB, name string, s *spatial.Snapshot) {
	tb.Helper()
	f, err := os.CreateTemp(c.dir, name+"-*.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, ft := range s.Features() {
		h, err := wkb.MarshalToHex(ft.Geometry)
		if err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(w, "%d\t%s\n", ft.ID, h)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	c.sql(tb, fmt.Sprintf(`
CREATE TABLE %[1]s (id bigint PRIMARY KEY, geom geometry);
\copy %[1]s (id, geom) FROM '%[2]s'
UPDATE %[1]s SET geom = ST_SetSRID(geom, 4326);
ALTER TABLE %[1]s ALTER COLUMN geom TYPE geometry(Geometry, 4326);
ALTER TABLE %[1]s ADD COLUMN geog geography;
UPDATE %[1]s SET geog = geom::geography;
CREATE INDEX ON %[1]s USING gist (geom);
CREATE INDEX ON %[1]s USING gist (geog);
ANALYZE %[1]s;`, name, f.Name()))
}

func pgN(def int) int {
	if n, err := strconv.Atoi(os.Getenv("MUDITEST_PG_N")); err == nil && n > 0 {
		return n
	}
	return def
}

func parseFloat(tb testing.TB, s string) float64 {
	tb.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		tb.Fatalf("parse %q: %v", s, err)
	}
	return v
}

// TestPostGISCrossCheck compares areas, small parcels, control positions, block memberships
// (tolerance 0 and 20 m) and block areas with PostGIS on the generated county.
func TestPostGISCrossCheck(t *testing.T) {
	pg := startPostGIS(t)
	n := pgN(20000)
	parcels, control := county(t, n)
	t.Logf("county N=%d: %d parcels, %d control polygons", n, parcels.Len(), control.Len())
	pg.load(t, "parcels", parcels)
	pg.load(t, "control", control)
	ctx := context.Background()

	derived, err := Derive(ctx, parcels, control, DeriveOptions{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("areas", func(t *testing.T) {
		rows := pg.sql(t, `SELECT id, ST_Area(geog) FROM parcels ORDER BY id;`)
		if len(rows) != parcels.Len() {
			t.Fatalf("PostGIS has %d parcels, want %d", len(rows), parcels.Len())
		}
		worst, bad := 0.0, 0
		smallDiff := 0
		for _, r := range rows {
			id, _ := strconv.ParseUint(r[0], 10, 64)
			want := parseFloat(t, r[1])
			got := derived[spatial.FeatureID(id)].AreaM2
			rel := math.Abs(got-want) / want
			worst = max(worst, rel)
			if rel > 1e-6 {
				bad++
				if bad <= 5 {
					t.Errorf("parcel %d: area %.6f m², PostGIS %.6f m² (rel %.2e)", id, got, want, rel)
				}
			}
			// Small parcels (area_mu < 50): identical sets except within 1e-4 of the threshold.
			gotSmall := spatial.MuFromM2(got) < DefaultSmallMaxMu
			wantSmall := spatial.MuFromM2(want) < DefaultSmallMaxMu
			if gotSmall != wantSmall && math.Abs(spatial.MuFromM2(want)/DefaultSmallMaxMu-1) > 1e-4 {
				smallDiff++
				t.Errorf("parcel %d: small %v, PostGIS %v (%.6f 亩)", id, gotSmall, wantSmall, spatial.MuFromM2(want))
			}
		}
		t.Logf("areas: %d parcels, %d beyond 1e-6, worst relative difference %.2e; small-parcel mismatches %d", len(rows), bad, worst, smallDiff)
	})

	t.Run("control", func(t *testing.T) {
		rows := pg.sql(t, `
CREATE TABLE cu AS SELECT ST_Union(geom) AS geom FROM control;
SELECT p.id, ST_Area(p.geog), ST_Area(ST_Intersection(p.geom, cu.geom)::geography) FROM parcels p, cu ORDER BY p.id;`)
		worst, bad, exempt := 0.0, 0, 0
		for _, r := range rows {
			id, _ := strconv.ParseUint(r[0], 10, 64)
			area, inside := parseFloat(t, r[1]), parseFloat(t, r[2])
			ratio := max(0, min(1, 1-inside/area))
			d := derived[spatial.FeatureID(id)]
			diff := math.Abs(d.OutsideRatio - ratio)
			worst = max(worst, diff)
			if diff > 1e-4 {
				bad++
				if bad <= 5 {
					t.Errorf("parcel %d: outside_ratio %.8f, PostGIS %.8f", id, d.OutsideRatio, ratio)
				}
			}
			if want := PositionOf(ratio, DefaultSliverRatio); d.ControlPosition != want {
				if math.Abs(ratio-DefaultSliverRatio) <= 1e-4 || math.Abs(ratio-(1-DefaultSliverRatio)) <= 1e-4 {
					exempt++
					continue
				}
				bad++
				t.Errorf("parcel %d: position %s, PostGIS %s (ratio %.8f vs %.8f)", id, d.ControlPosition, want, d.OutsideRatio, ratio)
			}
		}
		t.Logf("control: %d parcels, worst outside_ratio difference %.2e, %d mismatches, %d threshold cases", len(rows), worst, bad, exempt)
	})

	for _, tol := range []float64{0, 20} {
		t.Run(fmt.Sprintf("blocks_tol_%g", tol), func(t *testing.T) {
			crossCheckBlocks(t, pg, parcels, tol)
		})
	}
}

func crossCheckBlocks(t *testing.T, pg *pgCluster, parcels *spatial.Snapshot, tol float64) {
	ctx := context.Background()
	// Pairs: ours from the engine's linker, PostGIS's from ST_DWithin(geography).
	ms, err := selectMembers(ctx, parcels, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := link(ctx, ms, tol)
	if err != nil {
		t.Fatal(err)
	}
	type pair [2]spatial.FeatureID
	ours := map[pair]bool{}
	for _, p := range pairs {
		ours[pair{ms[p.i].f.ID, ms[p.j].f.ID}] = true
	}
	rows := pg.sql(t, fmt.Sprintf(`SELECT a.id, b.id FROM parcels a JOIN parcels b ON a.id < b.id AND ST_DWithin(a.geog, b.geog, %g);`, tol))
	theirs := map[pair]bool{}
	for _, r := range rows {
		a, _ := strconv.ParseUint(r[0], 10, 64)
		b, _ := strconv.ParseUint(r[1], 10, 64)
		theirs[pair{spatial.FeatureID(a), spatial.FeatureID(b)}] = true
	}
	byID := map[spatial.FeatureID]*member{}
	for i := range ms {
		byID[ms[i].f.ID] = &ms[i]
	}
	mismatch, exempt := 0, 0
	check := func(p pair, oursHas bool) {
		a, b := byID[p[0]], byID[p[1]]
		d := 0.0
		if !intersectsFeature(a, b) {
			d = minDistanceM(a.polys, b.polys)
		}
		if tol > 0 && math.Abs(d-tol) <= 0.01*tol {
			exempt++
			return
		}
		mismatch++
		if mismatch <= 10 {
			t.Errorf("pair %d–%d: linked %v, PostGIS %v (our distance %.6f m)", p[0], p[1], oursHas, !oursHas, d)
		}
	}
	for p := range ours {
		if !theirs[p] {
			check(p, true)
		}
	}
	for p := range theirs {
		if !ours[p] {
			check(p, false)
		}
	}
	t.Logf("tolerance %g m: %d linked pairs (PostGIS %d), %d mismatches, %d within 1%% of the tolerance", tol, len(ours), len(theirs), mismatch, exempt)

	// Blocks over all parcels: memberships from the engine, areas against ST_Union.
	spec := Spec{Group: true, ToleranceM: tol, Status: []string{"*"}}
	res, err := Run(ctx, parcels, nil, spec)
	if err != nil {
		t.Fatal(err)
	}
	var tsv strings.Builder
	for _, b := range res.Blocks {
		for _, id := range b.ParcelIDs {
			fmt.Fprintf(&tsv, "%d\t%d\n", id, b.ID)
		}
	}
	f := filepath.Join(pg.dir, fmt.Sprintf("blocks-%g.tsv", tol))
	if err := os.WriteFile(f, []byte(tsv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tbl := fmt.Sprintf("blocks_%d", int(tol))
	rows = pg.sql(t, fmt.Sprintf(`
CREATE TABLE %[1]s (id bigint, block bigint);
\copy %[1]s FROM '%[2]s'
SELECT m.block, ST_Area(ST_Union(p.geom)::geography) FROM parcels p JOIN %[1]s m USING (id) GROUP BY m.block;`, tbl, f))
	want := map[uint64]float64{}
	for _, r := range rows {
		id, _ := strconv.ParseUint(r[0], 10, 64)
		want[id] = parseFloat(t, r[1])
	}
	worst, bad := 0.0, 0
	for _, b := range res.Blocks {
		w := want[b.ID]
		rel := math.Abs(b.AreaM2-w) / w
		worst = max(worst, rel)
		if rel > 1e-6 {
			bad++
			if bad <= 5 {
				t.Errorf("block %d (%d parcels): area %.4f m², PostGIS ST_Union %.4f m² (rel %.2e)", b.ID, b.ParcelCount, b.AreaM2, w, rel)
			}
		}
		if g := spatial.AreaM2(b.Geometry); math.Abs(g-b.AreaM2) > 1e-6*b.AreaM2 {
			t.Errorf("block %d: geometry area %.4f m² differs from block area %.4f m²", b.ID, g, b.AreaM2)
		}
	}
	sizes := make([]int, 0, len(res.Blocks))
	for _, b := range res.Blocks {
		sizes = append(sizes, b.ParcelCount)
	}
	slices.Sort(sizes)
	t.Logf("tolerance %g m: %d blocks (largest %d parcels), block areas worst relative difference %.2e, %d beyond 1e-6",
		tol, len(res.Blocks), sizes[len(sizes)-1], worst, bad)
}

func intersectsFeature(a, b *member) bool {
	for _, pa := range a.polys {
		for _, pb := range b.polys {
			if intersectsPoly(pa, pa.Bound(), pb, pb.Bound()) {
				return true
			}
		}
	}
	return false
}

// TestPostGISTiming times the PostGIS SQL equivalent to the engine's analyses (MUDITEST_PG_BENCH=1;
// county size MUDITEST_PG_N, default 100000; MUDITEST_PG_NAIVE=1 adds the literal SQL of the definition (docs/domain.md §4) for the
// control overlay, which takes minutes). Compare with BenchmarkOutsideControl and
// BenchmarkContiguousBlocks.
func TestPostGISTiming(t *testing.T) {
	if os.Getenv("MUDITEST_PG_BENCH") == "" {
		t.Skip("set MUDITEST_PG_BENCH=1 to time PostGIS")
	}
	pg := startPostGIS(t)
	n := pgN(100000)
	parcels, control := county(t, n)
	pg.load(t, "parcels", parcels)
	pg.load(t, "control", control)
	timed := func(name, script string) {
		start := time.Now()
		pg.sql(t, script)
		t.Logf("PostGIS N=%d %s: %.2f s", n, name, time.Since(start).Seconds())
	}
	timed("areas", `CREATE TEMP TABLE a AS SELECT id, ST_Area(geog) FROM parcels;`)
	timed("control union", `CREATE TABLE cu AS SELECT ST_Union(geom) AS geom FROM control;`)
	if os.Getenv("MUDITEST_PG_NAIVE") != "" { // minutes at N = 100 000
		timed("control overlay (literal SQL: intersection with the union)", `
CREATE TEMP TABLE o1 AS SELECT p.id, 1 - ST_Area(ST_Intersection(p.geom, cu.geom)::geography) / ST_Area(p.geog) AS outside_ratio FROM parcels p, cu;`)
	}
	timed("control overlay (tuned: union, subdivided, with ST_Within/ST_Intersects shortcuts)", `
CREATE TABLE cus AS SELECT ST_Subdivide(geom, 64) AS geom FROM cu;
CREATE INDEX ON cus USING gist (geom);
CREATE TEMP TABLE o2 AS
SELECT p.id, 1 - coalesce((
  SELECT CASE WHEN bool_or(ST_Within(p.geom, c.geom)) THEN ST_Area(p.geog)
              ELSE ST_Area(ST_Union(ST_Intersection(p.geom, c.geom))::geography) END
  FROM cus c WHERE ST_Intersects(p.geom, c.geom)), 0) / ST_Area(p.geog) AS outside_ratio
FROM parcels p;`)
	for _, tol := range []float64{0, 20} {
		timed(fmt.Sprintf("block pairs ST_DWithin(geography, %g)", tol),
			fmt.Sprintf(`CREATE TEMP TABLE pairs_%d AS SELECT a.id AS a, b.id AS b FROM parcels a JOIN parcels b ON a.id < b.id AND ST_DWithin(a.geog, b.geog, %g);`, int(tol), tol))
		timed(fmt.Sprintf("blocks ST_ClusterDBSCAN(EPSG:4549, eps %g) + ST_Union areas", tol),
			fmt.Sprintf(`CREATE TEMP TABLE cl_%[1]d AS SELECT id, geom, ST_ClusterDBSCAN(ST_Transform(geom, 4549), eps := %[2]g, minpoints := 1) OVER () AS cid FROM parcels;
CREATE TEMP TABLE bl_%[1]d AS SELECT cid, ST_Area(ST_Union(geom)::geography) AS area FROM cl_%[1]d GROUP BY cid;`, int(tol), tol))
	}
}
