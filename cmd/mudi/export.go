package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
	"github.com/mudi-gis/mudi/spatial/gisio"
	"github.com/mudi-gis/mudi/store"
)

// exportConfig is the configuration of mudi export.
type exportConfig struct {
	Layer, Format, CRS, Encoding, Data, Output string
	AsOf, Month, GroupBy                       string // the campaign's ledger and report
	Server                                     string // ask a running server instead
}

func newExportSettings(c *exportConfig) *settings {
	s := &settings{name: "export"}
	s.str(&c.Layer, "layer", "id of the layer to export")
	s.str(&c.Format, "format", "geojson, csv, shp (a zip) or gpkg; default: from the -o extension")
	s.str(&c.CRS, "crs", "CRS of the output, e.g. EPSG:4549 (default: lon/lat for GeoJSON, the layer's source CRS otherwise)")
	s.str(&c.Encoding, "encoding", "Shapefile attribute encoding: UTF-8 (default) or GBK")
	s.str(&c.Data, "data", "data directory (holds mudi.db)")
	s.str(&c.Output, "o", "output file; - writes to standard output")
	s.str(&c.Server, "server", "URL of a running mudi server to export from (while it owns the data directory), e.g. http://localhost:8080")
	s.str(&c.AsOf, "as-of", "date the campaign classes (and the ledger) stand as of, YYYY-MM-DD (default: today in China)")
	s.str(&c.Month, "month", "month of --format report, YYYY-MM")
	s.str(&c.GroupBy, "group-by", "groupings of --format report, comma-separated; several reports: district;town;park (default district)")
	return s
}

func runExport(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	cfg := exportConfig{Data: "./mudi-data"}
	set := newExportSettings(&cfg)
	rest, err := set.parse(args, getenv, environ, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usageError{fmt.Sprintf("export takes no arguments, got %q (write the file with -o)", rest)}
	case cfg.Layer == "":
		return usageError{"export needs --layer ID"}
	case cfg.Output == "":
		return usageError{"export needs -o FILE (or -o - for standard output)"}
	}
	if cfg.Server != "" && (cfg.Format == "ledger" || cfg.Format == "report") {
		return exportFromServer(ctx, cfg, stdout)
	}
	if cfg.Format == "ledger" || cfg.Format == "report" {
		return exportCampaign(ctx, cfg, stdout)
	}
	if cfg.Format == "" {
		switch strings.ToLower(filepath.Ext(cfg.Output)) {
		case ".geojson", ".json":
			cfg.Format = "geojson"
		case ".csv":
			cfg.Format = "csv"
		case ".zip":
			cfg.Format = "shp"
		case ".gpkg":
			cfg.Format = "gpkg"
		default:
			return usageError{fmt.Sprintf("export needs --format (geojson, csv, shp or gpkg): -o %s does not tell", cfg.Output)}
		}
	}
	if cfg.Server != "" {
		return exportFromServer(ctx, cfg, stdout)
	}
	format, err := gisio.ParseFormat(cfg.Format)
	if err != nil {
		return usageError{fmt.Sprintf("--format %q is not geojson, csv, shp or gpkg", cfg.Format)}
	}
	var opts gisio.WriteOptions
	if cfg.CRS != "" {
		if opts.CRS, err = crs.Parse(cfg.CRS); err != nil {
			return usageError{fmt.Sprintf("--crs: %v", err)}
		}
	}
	opts.Encoding = cfg.Encoding

	if err := requireStore(cfg.Data); err != nil {
		return err
	}
	db, err := openStore(cfg.Data)
	if err != nil {
		return err
	}
	meta, fs, err := db.LoadLayer(ctx, cfg.Layer)
	db.Close()
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("layer %q does not exist in %s", cfg.Layer, cfg.Data)
	}
	if err != nil {
		return err
	}
	sn := spatial.NewSnapshot(meta, fs)
	if opts, err = gisio.Resolve(sn, format, opts); err != nil {
		return flagError(err)
	}

	err = writeOutput(cfg.Output, stdout, func(w io.Writer, tempDir string) error {
		opts.TempDir = tempDir
		return gisio.Write(ctx, w, sn, format, opts)
	})
	if err != nil || cfg.Output == "-" {
		return err
	}
	fmt.Fprintf(stdout, "exported %d features of layer %s (version %d) to %s as %s in %s\n",
		sn.Len(), sn.Layer.ID, sn.Layer.Version, cfg.Output, format, opts.CRS)
	return nil
}
