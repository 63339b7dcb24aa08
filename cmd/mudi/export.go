package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
	"github.com/mudi-gis/mudi/spatial/gisio"
	"github.com/mudi-gis/mudi/store"
	"github.com/mudi-gis/mudi/tiles"
)

// exportConfig is the configuration of mudi export.
type exportConfig struct {
	Layer, Format, CRS, Encoding, Data, Output string
	AsOf, Month, GroupBy                       string // the campaign's ledger and report
	Server                                     string // ask a running server instead
	MinZoom, MaxZoom                           int
}

// formatNames lists the export formats for messages.
const formatNames = "geojson, csv, shp, gpkg, fgb, parquet or pmtiles"

// formatByExt maps output file extensions to export formats.
var formatByExt = map[string]string{
	".geojson": "geojson", ".json": "geojson", ".csv": "csv", ".zip": "shp", ".gpkg": "gpkg",
	".fgb": "fgb", ".parquet": "parquet", ".geoparquet": "parquet", ".pmtiles": "pmtiles",
}

func newExportSettings(c *exportConfig) *settings {
	s := &settings{name: "export"}
	s.str(&c.Layer, "layer", "id of the layer to export; for pmtiles several joined by commas (one tile layer each)")
	s.str(&c.Format, "format", "geojson, csv, shp (a zip), gpkg, fgb (FlatGeobuf), parquet (GeoParquet) or pmtiles (an archive of the vector tiles); default: from the -o extension")
	s.str(&c.CRS, "crs", "CRS of the output, e.g. EPSG:4549 (default: lon/lat for GeoJSON, the layer's source CRS otherwise; pmtiles is always Web Mercator)")
	s.str(&c.Encoding, "encoding", "Shapefile attribute encoding: UTF-8 (default) or GBK")
	s.integer(&c.MinZoom, "minzoom", "pmtiles: lowest zoom of the archive")
	s.integer(&c.MaxZoom, "maxzoom", "pmtiles: highest zoom of the archive")
	s.str(&c.Data, "data", "data directory (holds mudi.db)")
	s.str(&c.Output, "o", "output file; - writes to standard output")
	s.str(&c.Server, "server", "URL of a running mudi server to export from (while it owns the data directory), e.g. http://localhost:8080")
	s.str(&c.AsOf, "as-of", "date the campaign classes (and the ledger) stand as of, YYYY-MM-DD (default: today in China)")
	s.str(&c.Month, "month", "month of --format report, YYYY-MM")
	s.str(&c.GroupBy, "group-by", "groupings of --format report, comma-separated; several reports: district;town;park (default district)")
	return s
}

func runExport(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	cfg := exportConfig{Data: "./mudi-data", MaxZoom: int(tiles.DefaultArchiveMaxZoom)}
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
		if cfg.Format = formatByExt[strings.ToLower(filepath.Ext(cfg.Output))]; cfg.Format == "" {
			return usageError{fmt.Sprintf("export needs --format (%s): -o %s does not tell", formatNames, cfg.Output)}
		}
	}
	if cfg.Server != "" {
		return exportFromServer(ctx, cfg, stdout)
	}
	if strings.EqualFold(cfg.Format, "pmtiles") {
		return exportArchive(ctx, cfg, stdout)
	}
	if strings.Contains(cfg.Layer, ",") {
		return usageError{fmt.Sprintf("--layer %q: only a pmtiles archive holds several layers", cfg.Layer)}
	}
	format, err := gisio.ParseFormat(cfg.Format)
	if err != nil {
		return usageError{fmt.Sprintf("--format %q is not %s", cfg.Format, formatNames)}
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

// exportArchive writes the PMTiles archive of the layers cfg.Layer names, rendered by the
// application core's tile renderer, as mudi serve renders the tiles it serves.
func exportArchive(ctx context.Context, cfg exportConfig, stdout io.Writer) error {
	switch {
	case cfg.CRS != "":
		return usageError{"--crs: a pmtiles archive holds Web Mercator vector tiles: leave --crs out"}
	case cfg.Encoding != "":
		return usageError{"--encoding applies to Shapefiles only"}
	case cfg.MaxZoom < 1 || cfg.MaxZoom > int(tiles.MaxZoom):
		return usageError{fmt.Sprintf("--maxzoom %d: the highest zoom is from 1 to %d", cfg.MaxZoom, tiles.MaxZoom)}
	case cfg.MinZoom > cfg.MaxZoom:
		return usageError{fmt.Sprintf("--minzoom %d is above --maxzoom %d", cfg.MinZoom, cfg.MaxZoom)}
	}
	ids := strings.Split(cfg.Layer, ",")
	core, db, err := openApp(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	snaps := make([]*spatial.Snapshot, 0, len(ids))
	features := 0
	for _, id := range ids {
		sn := core.Index().Layer(id)
		if sn == nil {
			return fmt.Errorf("layer %q does not exist in %s", id, cfg.Data)
		}
		if slices.Contains(snaps, sn) {
			return usageError{fmt.Sprintf("--layer: %q is listed twice", id)}
		}
		snaps = append(snaps, sn)
		features += sn.Len()
	}
	var st tiles.ArchiveStats
	err = writeOutput(cfg.Output, stdout, func(w io.Writer, tempDir string) error {
		st, err = tiles.WriteArchive(ctx, w, core.Tiles().Renderer(), snaps, tiles.ArchiveOptions{
			MinZoom: tiles.Zoom(cfg.MinZoom), MaxZoom: tiles.Zoom(cfg.MaxZoom), TempDir: tempDir,
		})
		return err
	})
	if err != nil || cfg.Output == "-" {
		return err
	}
	fmt.Fprintf(stdout, "exported %d features of layers %s (versions %s) to %s as pmtiles: zooms %d to %d, %d tiles, %d bytes\n",
		features, cfg.Layer, tiles.Versions(snaps), cfg.Output, st.MinZoom, st.MaxZoom, st.Tiles, st.Bytes)
	return nil
}
