// Command mudi is the mudi service and its tools: serve, import, export, pack, analyze, fixtures,
// version, healthcheck.
//
//	mudi serve [--addr :8080] [--data ./mudi-data] [--no-sample]
//	mudi import FILE --layer ID [--kind parcels|control] [--crs EPSG:4549] [--control ID] [--replace]
//	mudi analyze small-parcels|outside-control|contiguous-blocks [--layer ID] [--max-mu 50] … [-o out.geojson]
//	mudi export --layer ID --format geojson|csv|shp|gpkg [--crs EPSG:4549] [--encoding GBK] -o FILE
//	mudi pack [--layer ID] --month YYYY-MM -o pack.zip
//	mudi fixtures generate -n 100000 --seed 1 -o DIR
//	mudi version
//	mudi healthcheck [--addr :8080]
//
// Every flag has a MUDI_* environment twin (see README.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Environ(), os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var u usageError
		if !errors.As(err, &u) || u.msg != "" {
			fmt.Fprintln(os.Stderr, "mudi:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

const usage = `mudi — tiles, features and analyses for idle and low-efficiency industrial land

Usage:
  mudi serve    [--addr :8080] [--data ./mudi-data] [--tile-cache-mb 256] [--no-sample]
  mudi import   FILE --layer ID [--kind parcels|control] [--crs EPSG:4549] [--encoding GBK] [--table T] [--control ID] [--replace] [--data DIR]
                FILE: .geojson/.json, a zipped Shapefile (.zip), a .shp beside its .dbf/.shx/.prj/.cpg, or a GeoPackage (.gpkg)
  mudi analyze  small-parcels|outside-control|contiguous-blocks [--layer ID] [--max-mu 50] [--min-mu 300]
                [--tolerance-m 20] [--status a,b|*] [--filter CQL2] [--bbox w,s,e,n] [-o out.geojson] [--data DIR]
  mudi export   --layer ID [--format geojson|csv|shp|gpkg] [--crs EPSG:4549] [--encoding GBK] [--data DIR] -o FILE
  mudi pack     [--layer ID] --month YYYY-MM [--min-zoom 0] [--max-zoom 16] [--data DIR] -o FILE.zip
                the monthly offline pack: tiles, GeoPackages, ledger, report, changes and a page that opens from the file system
  mudi fixtures generate -n 100000 --seed 1 -o DIR
  mudi version
  mudi healthcheck [--addr :8080]   exit 0 when GET /healthz on this machine answers 200

Run 'mudi COMMAND -h' for the flags of a command.
`

// run is mudi's main, with its dependencies passed in so that tests can drive it end to end.
func run(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{}
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, environ, stdout, stderr)
	case "import":
		return runImport(ctx, args[1:], getenv, environ, stdout, stderr)
	case "analyze":
		return runAnalyze(ctx, args[1:], getenv, environ, stdout, stderr)
	case "export":
		return runExport(ctx, args[1:], getenv, environ, stdout, stderr)
	case "pack":
		return runPack(ctx, args[1:], getenv, environ, stdout, stderr)
	case "fixtures":
		return runFixtures(args[1:], stdout, stderr)
	case "version":
		return runVersion(args[1:], stdout)
	case "healthcheck":
		return runHealthcheck(ctx, args[1:], getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}
