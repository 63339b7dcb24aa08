package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/gisio"
	"github.com/mudi-gis/mudi/tiles"
)

// exportWork is one hand-off format written from the parcels layer.
type exportWork struct {
	name  string
	file  string
	write func(ctx context.Context, w io.Writer) (detail string, err error)
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// exportRows times the hand-off formats over the parcels layer, each written Runs times to a
// file in the working directory: a PMTiles archive of z0–z16 (tiles.WriteArchive with the
// default renderer, as mudi export and the API build it), GeoParquet and FlatGeobuf
// (gisio.Write, as mudi export writes them). Throughput is parcels per second of wall time and
// per second of CPU time (user + system of the whole process), the latter being parcels per
// second per core whatever else runs on the machine.
func (b *bench) exportRows(ctx context.Context) error {
	r, err := tiles.NewRenderer(tiles.Options{})
	if err != nil {
		return err
	}
	layers := []*spatial.Snapshot{b.parcels}
	gis := func(f gisio.Format) func(context.Context, io.Writer) (string, error) {
		return func(ctx context.Context, w io.Writer) (string, error) {
			opts, err := gisio.Resolve(b.parcels, f, gisio.WriteOptions{TempDir: b.work})
			if err != nil {
				return "", err
			}
			return "", gisio.Write(ctx, w, b.parcels, f, opts)
		}
	}
	works := []exportWork{
		{"PMTiles z0–z16", "parcels.pmtiles", func(ctx context.Context, w io.Writer) (string, error) {
			st, err := tiles.WriteArchive(ctx, w, r, layers, tiles.ArchiveOptions{MaxZoom: 16, TempDir: b.work})
			return fmt.Sprintf("%d tiles", st.Tiles), err
		}},
		{"GeoParquet", "parcels.parquet", gis(gisio.FormatGeoParquet)},
		{"FlatGeobuf", "parcels.fgb", gis(gisio.FormatFlatGeobuf)},
	}
	n := float64(b.parcels.Len())
	for _, w := range works {
		var walls []time.Duration
		var perCPU []float64
		var detail string
		var size int64
		for run := range b.cfg.Runs {
			b.log.printf("export %s, run %d of %d", w.name, run+1, b.cfg.Runs)
			runtime.GC()
			path := filepath.Join(b.work, w.file)
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			cpu0, t0 := cpuTime(), time.Now()
			detail, err = w.write(ctx, f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			wall, cpu := time.Since(t0), cpuTime()-cpu0
			if err != nil {
				return fmt.Errorf("export %s: %w", w.name, err)
			}
			st, err := os.Stat(path)
			if err != nil {
				return err
			}
			size = st.Size()
			os.Remove(path)
			walls = append(walls, wall)
			perCPU = append(perCPU, n/max(cpu.Seconds(), 1e-9))
			b.log.printf("  %.2f s, %.2f s of CPU, %s", wall.Seconds(), cpu.Seconds(), fmtBytes(size))
		}
		s := summarize(walls)
		slices.Sort(perCPU)
		core := perCPU[len(perCPU)/2]
		what := fmtBytes(size)
		if detail != "" {
			what = detail + ", " + what
		}
		rw := row{
			work: fmt.Sprintf("export %s (%d parcels → %s)", w.name, b.parcels.Len(), what),
			mudi: [3]string{fmtDur(s.median), fmtDur(s.p99), fmt.Sprintf("%s; %.0f parcels/s/core", rate(n, s.median, "parcels/s"), core)},
			pg:   [3]string{"—", "—", "—"}, ratio: "—",
		}
		if w.file == "parcels.pmtiles" {
			rw.goal, rw.met = "≥ 5 000 parcels/s/core at 100 000 parcels", yes(core >= 5000)
		}
		b.rows = append(b.rows, rw)
	}
	b.notes = append(b.notes, fmt.Sprintf("Exports: the parcels layer written to a file in the working directory, %d runs each, in process: the PMTiles archive of z0–z16 by tiles.WriteArchive (default renderer, %d rendering goroutines, tiles spilled to a temporary file, as `mudi export --format pmtiles` and GET /tiles/{layers}.pmtiles build it), GeoParquet and FlatGeobuf by gisio.Write. Median and p99 of the wall times; parcels/s/core is parcels per second of the process's CPU time (user + system, median of the runs), independent of what else the machine runs.",
		b.cfg.Runs, runtime.GOMAXPROCS(0)))
	return nil
}

// runExportOnly measures only the exports: the county is imported into a mudi store once
// (no PostGIS), then written in each format.
func (b *bench) runExportOnly(ctx context.Context, stdout io.Writer) error {
	cfg := b.cfg
	load := loadAverage()
	if err := b.prepare(); err != nil {
		return err
	}
	b.log.printf("import into mudi")
	res, err := importMudi(ctx, filepath.Join(b.work, "mudi"), b.parcelsFile, b.controlFile)
	if err != nil {
		return err
	}
	b.parcels, b.control = res.parcels, res.control
	b.notes = append(b.notes, fmt.Sprintf("County: %d parcels, %d control-line polygons (fixtures.Generate, seed %d). Machine: %d CPUs (GOMAXPROCS %d), %s; load average at start %s. Exports only (-export-only): no PostGIS.",
		b.parcels.Len(), b.control.Len(), cfg.Seed, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), load))
	if err := b.exportRows(ctx); err != nil {
		return err
	}
	b.notes[0] += " Load average at the end: " + loadAverage() + "."
	return b.output(stdout)
}
