package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
	"github.com/mudi-gis/mudi/tiles"
)

// bench is one run of the harness.
type bench struct {
	cfg *config
	log *logger

	work       string
	removeWork bool
	private    *privatePostGIS
	pg         *postgis

	parcelsFile, controlFile string
	parcels, control         *spatial.Snapshot

	rows   []row
	checks []*check
	notes  []string
}

func (b *bench) close() {
	if b.pg != nil {
		b.pg.close()
	}
	if b.private != nil {
		if err := b.private.stop(); err != nil {
			b.log.printf("stopping PostGIS: %v", err)
		}
	}
	if b.removeWork && b.work != "" {
		os.RemoveAll(b.work)
	}
}

func (b *bench) run(ctx context.Context, stdout io.Writer) error {
	cfg := b.cfg
	switch {
	case cfg.ExportOnly:
		return b.runExportOnly(ctx, stdout)
	case cfg.MemoryOnly:
		return b.runMemoryOnly(ctx, stdout)
	}
	load := loadAverage()
	if err := b.setup(ctx); err != nil {
		return err
	}
	b.notes = append([]string{
		fmt.Sprintf("County: %d parcels, %d control-line polygons (fixtures.Generate, seed %d). Machine: %d CPUs (GOMAXPROCS %d), %s; load average at start %s.",
			b.parcels.Len(), b.control.Len(), cfg.Seed, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), load),
		"PostGIS: " + b.pg.version + "."}, b.notes...)

	groups := tileList(b.parcels.Layer.Bound, cfg.Seed, cfg.Z10, cfg.Z12, cfg.Z14Max, cfg.Z16)
	tg, err := b.coldTiles(ctx, groups, cfg.Runs)
	if err != nil {
		return err
	}
	b.tileRows(tg)
	tc, err := compareTiles(tg, b.parcels)
	if err != nil {
		return err
	}
	b.checks = append(b.checks, &check{name: "feature ids per tile", compared: tc.tiles, unit: "tiles", exempt: tc.borderline,
		mismatches: tc.mismatches,
		note: fmt.Sprintf("%d PostGIS features; %d borderline (reaching at most 2 tile units into the buffered square, or under 4 units² inside it); below z12, %d sub-pixel or over-budget features mudi leaves out",
			tc.features, tc.borderline, tc.dropped)})
	// The HTTP work requests every non-empty tile; the tiles themselves are dropped so that
	// they do not weigh on the garbage collector during the rest of mudi's work.
	paths := tilePaths(tg)
	for _, g := range tg {
		g.mudi.out, g.pg.out = nil, nil
	}

	works, ares, err := b.analyses(ctx, cfg.Runs)
	if err != nil {
		return err
	}
	for _, w := range works {
		b.analysisRow(w)
	}
	if ares.pgOverlay != nil {
		b.checks = append(b.checks, compareOverlay(ares.overlay, ares.pgOverlay))
	} else {
		b.checks = append(b.checks, &check{name: "control positions", unit: "parcels", note: "not compared: PostGIS skipped at this size"})
	}
	for k, tol := range blockTolerances {
		if ares.pgBlocks[k] == nil {
			b.checks = append(b.checks, &check{name: fmt.Sprintf("block memberships, tolerance %g m", tol), unit: "parcels",
				note: "not compared: PostGIS skipped at this size"})
			continue
		}
		c, err := compareBlocks(ctx, b.pg, tol, ares.blocks[k], ares.pgBlocks[k])
		if err != nil {
			return err
		}
		b.checks = append(b.checks, c)
	}
	ares = nil // the answers are checked: let the collector have them

	if err := b.restartRow(ctx); err != nil {
		return err
	}
	if err := b.exportRows(ctx); err != nil {
		return err
	}
	if err := b.httpLoad(ctx, paths); err != nil {
		return err
	}
	// The memory work measures mudi in processes of its own. Without -profile the harness needs
	// the county no more: let it go, so that the machine holds one copy of it, not two.
	if cfg.Profile == "" {
		b.parcels, b.control = nil, nil
		runtime.GC()
		debug.FreeOSMemory()
	}
	if err := b.memoryWork(ctx); err != nil {
		return err
	}

	b.notes[0] += " Load average at the end: " + loadAverage() + "."
	if err := b.output(stdout); err != nil {
		return err
	}
	if cfg.Profile != "" {
		if err := b.profile(ctx, groups); err != nil {
			return err
		}
	}
	for _, c := range b.checks {
		if len(c.mismatches) > 0 {
			return errMismatch
		}
	}
	return nil
}

// output prints the table to stdout and to the -out file.
func (b *bench) output(stdout io.Writer) error {
	var out strings.Builder
	b.print(&out)
	fmt.Fprint(stdout, out.String())
	if b.cfg.Out != "" {
		return os.WriteFile(b.cfg.Out, []byte(out.String()), 0o644)
	}
	return nil
}

// setup makes the working directory, the county, the PostGIS database and the mudi store, and
// times the imports (alternating mudi's import and PostGIS's load).
func (b *bench) setup(ctx context.Context) error {
	cfg := b.cfg
	var err error
	if b.work = cfg.Work; b.work == "" {
		if b.work, err = os.MkdirTemp("", "mudi-bench-"); err != nil {
			return err
		}
		b.removeWork = !cfg.Keep
	}
	if err := os.MkdirAll(b.work, 0o755); err != nil {
		return err
	}
	// The private PostgreSQL runs as the postgres user when we are root: it must reach the
	// directory.
	if err := os.Chmod(b.work, 0o755); err != nil {
		return err
	}
	cache := cfg.Cache
	if cache == "" {
		cache = filepath.Join(os.TempDir(), fmt.Sprintf("mudi-bench-county-n%d-s%d", cfg.N, cfg.Seed))
	}
	if b.parcelsFile, b.controlFile, err = countyFiles(b.log, cache, cfg.N, cfg.Seed); err != nil {
		return err
	}
	dsn := cfg.DSN
	if dsn == "" {
		script, err := findScript(cfg.Script)
		if err != nil {
			return err
		}
		b.log.printf("starting a private PostGIS with %s", script)
		if b.private, dsn, err = startPostGIS(ctx, script, filepath.Join(b.work, "pg"), cfg.PGPort); err != nil {
			return err
		}
	}
	if b.pg, err = connectPostGIS(ctx, dsn, tileWorkers); err != nil {
		return err
	}

	var mudiTimes, pgTimes []time.Duration
	var last importResult
	for run := range cfg.Runs {
		b.log.printf("import, run %d of %d: mudi", run+1, cfg.Runs)
		// The previous run's county goes before this run makes another.
		b.parcels, b.control = nil, nil
		runtime.GC()
		r, err := importMudi(ctx, filepath.Join(b.work, "mudi"), b.parcelsFile, b.controlFile)
		if err != nil {
			return err
		}
		mudiTimes = append(mudiTimes, r.total)
		b.log.printf("  mudi import %.2f s (decode+validate %.2f s, derive %.2f s, store %.2f s; control layer %.2f s)",
			r.total.Seconds(), r.decode.Seconds(), r.derive.Seconds(), r.store.Seconds(), r.controlImport.Seconds())
		b.parcels, b.control = r.parcels, r.control
		last = *r
		last.parcels, last.control = nil, nil
		b.log.printf("import, run %d of %d: PostGIS", run+1, cfg.Runs)
		d, err := b.pg.load(ctx, b.parcels, b.control)
		if err != nil {
			return err
		}
		pgTimes = append(pgTimes, d)
		b.log.printf("  PostGIS load %.2f s", d.Seconds())
	}
	if last.skipped > 0 {
		return fmt.Errorf("mudi skipped %d invalid features of the generated county", last.skipped)
	}
	mm := summarize(mudiTimes)
	pm := summarize(pgTimes)
	b.rows = append(b.rows, row{
		work:  fmt.Sprintf("import %d parcels (GeoJSON → decode, validate, derive, store)", b.parcels.Len()),
		mudi:  [3]string{fmtDur(mm.median), fmtDur(mm.p99), rate(float64(b.parcels.Len()), mm.median, "parcels/s")},
		pg:    [3]string{fmtDur(pm.median), fmtDur(pm.p99), rate(float64(b.parcels.Len()), pm.median, "parcels/s")},
		ratio: ratio(pm.median.Seconds(), mm.median.Seconds()),
		goal:  "≥ 2× faster than PostGIS's load", met: yes(pm.median >= 2*mm.median),
	})
	b.notes = append(b.notes, fmt.Sprintf("Import: mudi in process, as `mudi import` (spatial.DecodeGeoJSON, then api.Server.PutLayer: derived attributes against the control layer, one bbolt transaction, index); last run: decode+validate %.2f s, derive %.2f s, store %.2f s. PostGIS: COPY of EWKB and attributes, CREATE TABLE AS with the EPSG:3857 and geography columns and ST_Area, GIST indexes on geom3857, geom and geog, VACUUM ANALYZE (its client-side EWKB encoding included).",
		last.decode.Seconds(), last.derive.Seconds(), last.store.Seconds()))
	return nil
}

// restartRow times opening the store and loading the index.
func (b *bench) restartRow(ctx context.Context) error {
	var ds []time.Duration
	for run := range b.cfg.Runs {
		b.log.printf("restart, run %d of %d", run+1, b.cfg.Runs)
		runtime.GC()
		d, n, err := restartMudi(ctx, filepath.Join(b.work, "mudi"))
		if err != nil {
			return err
		}
		if n != b.parcels.Len()+b.control.Len() {
			return fmt.Errorf("restart loaded %d features, want %d", n, b.parcels.Len()+b.control.Len())
		}
		ds = append(ds, d)
	}
	s := summarize(ds)
	b.rows = append(b.rows, row{
		work: "restart (open store, load index)",
		mudi: [3]string{fmtDur(s.median), fmtDur(s.p99), rate(float64(b.parcels.Len()+b.control.Len()), s.median, "features/s")},
		pg:   [3]string{"—", "—", "—"}, ratio: "—", goal: restartGoalCell(b.parcels.Len()), met: yes(s.median <= restartGoal(b.parcels.Len())),
	})
	return nil
}

// httpLoad runs the cached-tile HTTP load against a mudi server in a child process.
func (b *bench) httpLoad(ctx context.Context, paths []string) error {
	if len(paths) == 0 {
		return fmt.Errorf("no non-empty tile to request over HTTP")
	}
	b.log.printf("cached tiles over HTTP: starting the server")
	ch, err := startChild(ctx, filepath.Join(b.work, "mudi"), filepath.Join(b.work, "server.log"), "")
	if err != nil {
		return err
	}
	defer ch.stop()
	b.log.printf("  server loaded the store in %d ms; warming its cache with %d tiles", ch.loadMS, len(paths))
	if _, err := loadHTTP(ctx, ch.addr, paths, len(paths), 1); err != nil {
		return err
	}
	var lat []time.Duration
	var tputs []float64
	var bytes int64
	for round := range b.cfg.Runs {
		b.log.printf("  round %d of %d: %d requests on %d connections", round+1, b.cfg.Runs, b.cfg.HTTPRequests, b.cfg.HTTPConns)
		res, err := loadHTTP(ctx, ch.addr, paths, b.cfg.HTTPRequests, b.cfg.HTTPConns)
		if err != nil {
			return err
		}
		lat = append(lat, res.lat...)
		tputs = append(tputs, float64(len(res.lat))/res.wall.Seconds())
		bytes += res.bytes
	}
	s := summarize(lat)
	slices.Sort(tputs)
	tput := tputs[len(tputs)/2]
	b.rows = append(b.rows, row{
		work: fmt.Sprintf("cached tiles over HTTP (%d rounds of %d requests, %d connections, %d distinct tiles)", b.cfg.Runs, b.cfg.HTTPRequests, b.cfg.HTTPConns, len(paths)),
		mudi: [3]string{fmtDur(s.median), fmtDur(s.p99), fmt.Sprintf("%.0f tiles/s", tput)},
		pg:   [3]string{"—", "—", "—"}, ratio: "—", goal: "≥ 30 000 tiles/s", met: yes(tput >= 30000),
	})
	b.notes = append(b.notes, fmt.Sprintf("Cached tiles: mudi's API server (api.New with a 256 MiB tile cache and its JSON access log, as `mudi serve` runs it) in a child process on 127.0.0.1, its cache warmed with every non-empty tile of the list; the load is %d keep-alive connections of a minimal HTTP/1.1 client in this process, one request at a time each, `Accept-Encoding: gzip` (%.0f KB per answer on average), on the same 2 cores as the server; throughput is the median of the rounds' (%s tiles/s), latencies are over all requests. The server loaded the store in %d ms in its own process.",
		b.cfg.HTTPConns, float64(bytes)/float64(len(lat))/1024, roundList(tputs), ch.loadMS))
	return nil
}

// tilePaths returns the HTTP paths of the distinct non-empty tiles of the cold-tile work.
func tilePaths(groups []*tileGroup) []string {
	var paths []string
	seen := map[tiles.Coord]bool{}
	for _, g := range groups {
		for i, c := range g.coords {
			if len(g.mudi.out[i]) > 0 && !seen[c] {
				seen[c] = true
				paths = append(paths, fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", parcelsLayer, c.Z, c.X, c.Y))
			}
		}
	}
	return paths
}

// tileRows adds the cold-tile rows: one per zoom and one for the whole list.
func (b *bench) tileRows(groups []*tileGroup) {
	var allM, allP []time.Duration
	var wallM, wallP time.Duration
	for _, g := range groups {
		m, p := summarize(g.mudi.lat), summarize(g.pg.lat)
		tm := float64(len(g.mudi.lat)) / g.mudi.wall.Seconds()
		tp := float64(len(g.pg.lat)) / g.pg.wall.Seconds()
		what := "random"
		if g.z == 14 {
			what = "every tile over the county"
		}
		r := row{
			work:  fmt.Sprintf("cold tiles z%d (%d, %s)", g.z, len(g.coords), what),
			mudi:  [3]string{fmtDur(m.median), fmtDur(m.p99), fmt.Sprintf("%.0f tiles/s", tm)},
			pg:    [3]string{fmtDur(p.median), fmtDur(p.p99), fmt.Sprintf("%.0f tiles/s", tp)},
			ratio: ratio(tm, tp), goal: "", met: "",
		}
		if g.z == 14 {
			r.goal, r.met = "≥ 6× PostGIS; p99 ≤ 2 ms", yes(tm >= 6*tp && m.p99 <= 2*time.Millisecond)
		}
		b.rows = append(b.rows, r)
		allM, allP = append(allM, g.mudi.lat...), append(allP, g.pg.lat...)
		wallM += g.mudi.wall
		wallP += g.pg.wall
	}
	m, p := summarize(allM), summarize(allP)
	tm, tp := float64(len(allM))/wallM.Seconds(), float64(len(allP))/wallP.Seconds()
	b.rows = append(b.rows, row{
		work:  fmt.Sprintf("cold tiles z10–z16, whole list (%d tiles × %d passes)", len(allM)/b.cfg.Runs, b.cfg.Runs),
		mudi:  [3]string{fmtDur(m.median), fmtDur(m.p99), fmt.Sprintf("%.0f tiles/s", tm)},
		pg:    [3]string{fmtDur(p.median), fmtDur(p.p99), fmt.Sprintf("%.0f tiles/s", tp)},
		ratio: ratio(tm, tp), goal: "≥ 8× PostGIS", met: yes(tm >= 8*tp),
	})
	b.notes = append(b.notes, fmt.Sprintf("Cold tiles: mudi's tiles.Renderer (defaults: extent 4096, buffer 64; no cache) on %d goroutines against PostGIS's `ST_AsMVT(ST_AsMVTGeom(geom3857, ST_TileEnvelope(z,x,y), 4096, 64, true))` over `geom3857 && ST_TileEnvelope(z,x,y, margin => 64.0/4096)` (the pg_tileserv/Martin query, prepared, same properties as mudi's tiles at that zoom) on %d connections; %d passes over the list; latency per tile as the client sees it, throughput = tiles / wall time; the sides alternate every %d tiles (and which goes first). The first %d tiles of each zoom are rendered once on both sides, untimed, before the timed pass: PostGIS plans its statements and fills its buffers, and both sides bring the county into their caches.",
		tileWorkers, tileWorkers, b.cfg.Runs, chunkTiles, warmTiles))
}

// analysisRow adds the row of an analysis. A PostGIS side cut short by its budget shows the
// runs it finished; one without any says that it was skipped at this size, and the ratio is
// then a lower bound (PostGIS took longer than the budget).
func (b *bench) analysisRow(w *analysisWork) {
	m, p := summarize(w.mudi), summarize(w.pg)
	n := float64(b.parcels.Len())
	r := row{
		work:  fmt.Sprintf("%s (%d parcels, %d runs)", w.name, b.parcels.Len(), len(w.mudi)),
		mudi:  [3]string{fmtDur(m.median), fmtDur(m.p99), rate(n, m.median, "parcels/s")},
		pg:    [3]string{fmtDur(p.median), fmtDur(p.p99), rate(n, p.median, "parcels/s")},
		ratio: ratio(p.median.Seconds(), m.median.Seconds()), goal: "≥ 10× the PostGIS SQL", met: yes(p.median >= 10*m.median),
	}
	switch {
	case len(w.pg) == 0:
		r.pg = [3]string{fmt.Sprintf("skipped at this size: over %s", fmtDur(pgBudget)), "—", "—"}
		r.ratio = "> " + ratio(pgBudget.Seconds(), m.median.Seconds())
		r.met = yes(pgBudget >= 10*m.median) + " (PostGIS over its budget)"
		b.notes = append(b.notes, fmt.Sprintf("PostGIS skipped at this size: %s — its first run was cancelled after %s (statement_timeout).", w.name, fmtDur(pgBudget)))
	case len(w.pg) < len(w.mudi):
		r.work += fmt.Sprintf("; PostGIS %d runs within its %s budget", len(w.pg), fmtDur(pgBudget))
		b.notes = append(b.notes, fmt.Sprintf("PostGIS cut short at this size: %s — %d of %d runs fitted in its %s budget.", w.name, len(w.pg), len(w.mudi), fmtDur(pgBudget)))
	}
	b.rows = append(b.rows, r)
	if w == nil || !strings.HasPrefix(w.name, "control") {
		return
	}
	b.notes = append(b.notes, "Analyses: mudi's analysis.Run in process (GOMAXPROCS workers) — the overlay positions every parcel (Spec{Overlay: true}); blocks group all parcels (status=*, min_mu 0) with dissolved geometry and ellipsoidal areas. PostGIS: the overlay as ST_Area(ST_Intersection(p, ⋃control)::geography) with the union subdivided and indexed and ST_Within shortcuts; blocks as ST_ClusterDBSCAN(minpoints 1) on EPSG:4326 (tolerance 0) or the county's Gauss-Krüger zone (20 m), then ST_Area(ST_Union(geom)::geography) per block. Median and p99 (the slowest of few runs) of the runs; ratio = PostGIS median / mudi median.")
}

// profile runs mudi's side of each work again with the CPU profiler on.
func (b *bench) profile(ctx context.Context, groups [][]tiles.Coord) error {
	dir := b.cfg.Profile
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	prof := func(name string, fn func() error) error {
		f, err := os.Create(filepath.Join(dir, name+".pprof"))
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
		b.log.printf("profiling %s into %s", name, f.Name())
		return fn()
	}
	r, err := tiles.NewRenderer(tiles.Options{})
	if err != nil {
		return err
	}
	zero := 0.0
	steps := []struct {
		name string
		fn   func() error
	}{
		{"import", func() error {
			_, err := importMudi(ctx, filepath.Join(b.work, "mudi-profile"), b.parcelsFile, b.controlFile)
			return err
		}},
		{"restart", func() error {
			for range 3 {
				if _, _, err := restartMudi(ctx, filepath.Join(b.work, "mudi")); err != nil {
					return err
				}
			}
			return nil
		}},
		{"tiles", func() error {
			for range 3 {
				for _, g := range groups {
					for _, c := range g {
						if _, err := r.Render(ctx, []*spatial.Snapshot{b.parcels}, c); err != nil {
							return err
						}
					}
				}
			}
			return nil
		}},
		{"overlay", func() error {
			_, err := analysis.Run(ctx, b.parcels, b.control, analysis.Spec{Overlay: true})
			return err
		}},
		{"blocks", func() error {
			for _, tol := range blockTolerances {
				if _, err := analysis.Run(ctx, b.parcels, nil, analysis.ContiguousBlocks(&zero, nil, tol, []string{"*"})); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, s := range steps {
		if err := prof(s.name, s.fn); err != nil {
			return err
		}
	}
	// The HTTP server profiles itself in its own process.
	var paths []string
	for _, g := range groups {
		for _, c := range g {
			paths = append(paths, fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", parcelsLayer, c.Z, c.X, c.Y))
		}
	}
	ch, err := startChild(ctx, filepath.Join(b.work, "mudi"), filepath.Join(b.work, "server-profile.log"), filepath.Join(dir, "http.pprof"))
	if err != nil {
		return err
	}
	b.log.printf("profiling the HTTP server into %s", filepath.Join(dir, "http.pprof"))
	var nonEmpty []string
	for _, p := range paths {
		if _, err := loadHTTP(ctx, ch.addr, []string{p}, 1, 1); err == nil {
			nonEmpty = append(nonEmpty, p)
		}
	}
	if err := ch.startProfile(); err != nil {
		return err
	}
	time.Sleep(100 * time.Millisecond)
	_, err = loadHTTP(ctx, ch.addr, nonEmpty, b.cfg.HTTPRequests, b.cfg.HTTPConns)
	if serr := ch.stop(); err == nil {
		err = serr
	}
	return err
}

func roundList(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%.0f", v)
	}
	return strings.Join(parts, ", ")
}

// stats are the summary of a sample of durations.
type stats struct{ median, p99 time.Duration }

func summarize(ds []time.Duration) stats {
	if len(ds) == 0 {
		return stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	pct := func(p float64) time.Duration {
		i := int(p*float64(len(s)) + 0.999999)
		return s[min(len(s)-1, max(0, i-1))]
	}
	return stats{median: pct(0.5), p99: pct(0.99)}
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
