// Command mudi-bench measures mudi side by side with PostGIS, the engine under pg_tileserv and
// Martin, on the same generated county and the same machine, and prints one markdown table of
// medians, p99s, throughputs and ratios against the performance goals of docs/design.md, "Performance goals".
//
//	go run ./cmd/mudi-bench -n 100000            # starts a private PostGIS with scripts/postgis.sh
//	go run ./cmd/mudi-bench -n 2000 -quick       # a smoke run in well under a minute
//	go run ./cmd/mudi-bench -n 1000000 -memory-only   # peak memory and edit to visible only, no PostGIS
//	go run ./cmd/mudi-bench -dsn postgres://…    # uses an existing PostGIS database (its tables
//	                                             # parcels and control are replaced)
//
// The work, each done on both sides and alternated so that both see the same machine:
//
//   - cold tiles: every z14 tile over the county plus seeded random samples at z10, z12 and z16,
//     rendered by mudi's renderer with no cache (2 goroutines) and by PostGIS's
//     ST_AsMVT(ST_AsMVTGeom(…)) over a GIST-indexed EPSG:3857 column, the query pg_tileserv and
//     Martin issue (2 connections), in alternating chunks of tiles;
//   - cached tiles over HTTP: mudi's API server in a child process with its 256 MiB tile cache,
//     warmed with the tile list, then a bounded keep-alive load loop on loopback;
//   - the control-line overlay (every parcel's position) and contiguous blocks over all parcels
//     at tolerance 0 and 20 m, against the equivalent SQL;
//   - import (decode, validate, derive, store the parcels GeoJSON) and restart (open the store,
//     load the index); PostGIS's column shows its load (COPY, transforms, indexes, ANALYZE);
//   - the hand-off exports of the parcels layer: a PMTiles archive of z0–z16, GeoParquet and
//     FlatGeobuf, in parcels per second and per second of CPU time (per core);
//   - memory, measured on the mudi binary built from this checkout (go build ./cmd/mudi) in
//     processes of its own: the peak of `mudi import` of the county, then the peak (VmHWM) of
//     `mudi serve` on that store after its restart, after distinct tiles of z10–z16, after the
//     three analyses and after a GeoPackage export over HTTP — never projected from a smaller
//     county;
//   - edit to visible, on that server: a parcel's attribute changed with PATCH, then the TileJSON
//     read for the new tile URL and the tile fetched, each tile checked to show the new value.
//
// The PostGIS side of each analysis gets 10 minutes over all its runs (pgBudget): runs that do
// not fit are left out, and a side whose first run does not finish within it is skipped at that
// size, which its row says.
//
// With -export-only, only the exports are measured; with -memory-only, only the memory and
// edit-to-visible work (neither needs PostGIS).
//
// The answers are compared too: the same feature ids in every tile at z ≥ 12 (below, mudi may
// drop sub-pixel features and keep tiles under 500 KB, so its ids must be a subset of PostGIS's
// and every omission must be one of those), the same control positions and the same block
// memberships at both tolerances. A mismatch makes the program exit with status 1 after it has
// printed the table.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mudi-bench:", err)
		}
		var u usageError
		if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errMismatch is returned when mudi and PostGIS disagree; the table has been printed.
var errMismatch = errors.New("mudi and PostGIS disagree (see above)")

// config is the command line.
type config struct {
	N      int
	Seed   int64
	DSN    string
	Out    string
	Quick  bool
	Cache  string
	Work   string
	Keep   bool
	Script string
	PGPort int

	Runs         int // repetitions of the analyses, import and restart
	HTTPRequests int
	HTTPConns    int
	Z10, Z12     int // random tiles sampled at z10 and z12
	Z16          int
	Z14Max       int // at most this many z14 tiles (0: every tile over the county)
	Profile      string
	ExportOnly   bool
	MemoryOnly   bool
	Mudi         string // the mudi binary of the memory work (default: built from the checkout)
	MemoryTiles  int    // distinct tiles requested in the memory work
	Edits        int    // edits of the edit-to-visible work
	// MemoryLimitMB is the --memory-limit-mb of the mudi processes of the memory work (0: none)
	MemoryLimitMB int
	Scaling       string // SMALL.md,LARGE.md: print how each work grew between two -out tables
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("mudi-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.N, "n", 100000, "parcels in the generated county")
	fs.Int64Var(&c.Seed, "seed", 1, "seed of the county and of the tile samples")
	fs.StringVar(&c.DSN, "dsn", "", "PostGIS database (tables parcels and control are replaced); empty: start a private server with scripts/postgis.sh")
	fs.StringVar(&c.Out, "out", "", "also write the table to this file")
	fs.BoolVar(&c.Quick, "quick", false, "small samples and one run of each work: a smoke test, not a measurement")
	fs.StringVar(&c.Cache, "cache", "", "directory of the generated county, reused when present (default: $TMPDIR/mudi-bench-county-n<N>-s<seed>)")
	fs.StringVar(&c.Work, "work", "", "working directory for the store and the private PostGIS (default: a new temporary directory, removed at the end)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the working directory (and leave nothing running)")
	fs.StringVar(&c.Script, "postgis-script", "", "path of scripts/postgis.sh (default: found from the current directory upwards)")
	fs.IntVar(&c.PGPort, "pg-port", 0, "port of the private PostGIS (default: a free one)")
	fs.IntVar(&c.Runs, "runs", 0, "repetitions of the analyses, import and restart (default 3, 1 with -quick)")
	fs.IntVar(&c.HTTPRequests, "http-requests", 0, "requests of the cached-tile HTTP load (default 200000, 3000 with -quick)")
	fs.IntVar(&c.HTTPConns, "http-conns", 4, "keep-alive connections of the HTTP load (2 to 4 on 2 cores)")
	fs.IntVar(&c.Z10, "z10", 0, "random z10 tiles (default 20, 4 with -quick)")
	fs.IntVar(&c.Z12, "z12", 0, "random z12 tiles (default 200, 20 with -quick)")
	fs.IntVar(&c.Z16, "z16", 0, "random z16 tiles (default 500, 50 with -quick)")
	fs.IntVar(&c.Z14Max, "z14-max", 0, "at most this many z14 tiles, spread evenly (default: all; 60 with -quick)")
	fs.StringVar(&c.Profile, "profile", "", "write CPU profiles of mudi's side of each work into this directory (extra runs after the table)")
	fs.BoolVar(&c.ExportOnly, "export-only", false, "measure only the exports (PMTiles z0–z16, GeoParquet, FlatGeobuf) of the county imported into mudi: no PostGIS")
	fs.BoolVar(&c.MemoryOnly, "memory-only", false, "measure only the peak memory of mudi import and mudi serve (tiles, analyses, export over HTTP) and edit to visible: no PostGIS")
	fs.StringVar(&c.Mudi, "mudi", "", "mudi binary of the memory work (default: go build ./cmd/mudi from the checkout found upwards of the current directory)")
	fs.IntVar(&c.MemoryTiles, "memory-tiles", 0, "distinct tiles z10–z16 requested in the memory work (default 1000, 200 with -quick)")
	fs.IntVar(&c.Edits, "edits", 0, "edits of the edit-to-visible work (default 200, 20 with -quick)")
	fs.StringVar(&c.Scaling, "scaling", "", "SMALL,LARGE: read two tables written by -out (e.g. at 100 000 and 1 000 000 parcels) and print how much each work grew (goal: at most 12× the time for 10× the parcels); runs nothing else")
	fs.IntVar(&c.MemoryLimitMB, "memory-limit-mb", 1600, "--memory-limit-mb of mudi import and mudi serve in the memory work, as a deployment within 2 GB sets it (0: none)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	def := func(v *int, normal, quick int) {
		if *v == 0 {
			*v = normal
			if c.Quick {
				*v = quick
			}
		}
	}
	def(&c.Runs, 3, 1)
	def(&c.HTTPRequests, 200000, 3000)
	def(&c.Z10, 20, 4)
	def(&c.Z12, 200, 20)
	def(&c.Z16, 500, 50)
	def(&c.Z14Max, 0, 60)
	def(&c.MemoryTiles, 1000, 200)
	def(&c.Edits, 200, 20)
	switch {
	case c.N < 100 || c.N > 5_000_000:
		return nil, usageError{fmt.Sprintf("-n %d: want 100 to 5000000", c.N)}
	case c.HTTPConns < 1 || c.HTTPConns > 64:
		return nil, usageError{fmt.Sprintf("-http-conns %d: want 1 to 64", c.HTTPConns)}
	case c.Runs < 1 || c.HTTPRequests < 1 || c.Z10 < 0 || c.Z12 < 0 || c.Z16 < 0 || c.Z14Max < 0:
		return nil, usageError{"-runs, -http-requests, -z10, -z12, -z16 and -z14-max must not be negative"}
	case c.MemoryTiles < 1 || c.Edits < 1:
		return nil, usageError{"-memory-tiles and -edits must be at least 1"}
	case c.ExportOnly && c.MemoryOnly:
		return nil, usageError{"-export-only and -memory-only exclude each other"}
	}
	return c, nil
}

// run is the program, with its dependencies passed in so that tests can drive it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.Scaling != "" {
		small, large, ok := strings.Cut(cfg.Scaling, ",")
		if !ok {
			return fmt.Errorf("-scaling: give two tables, SMALL,LARGE")
		}
		return printScaling(stdout, small, large)
	}
	b := &bench{cfg: cfg, log: newLogger(stderr)}
	defer b.close()
	return b.run(ctx, stdout)
}
