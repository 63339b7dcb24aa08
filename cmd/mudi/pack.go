package main

import (
	"context"
	"fmt"
	"io"

	"github.com/mudi-gis/mudi/api/packviewer"
	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/tiles"
)

// packConfig is the configuration of mudi pack.
type packConfig struct {
	Layer, Month, Data, Output string
	MinZoom, MaxZoom           int
}

func newPackSettings(c *packConfig) *settings {
	s := &settings{name: "pack"}
	s.str(&c.Layer, "layer", "parcels layer (default: the only one)")
	s.str(&c.Month, "month", "month of the pack, YYYY-MM (its figures stand as of its last day, or today for the month in progress)")
	s.str(&c.Data, "data", "data directory (holds mudi.db)")
	s.str(&c.Output, "o", "output zip; - writes to standard output")
	s.integer(&c.MinZoom, "min-zoom", "lowest zoom of the tile archives")
	s.integer(&c.MaxZoom, "max-zoom", fmt.Sprintf("highest zoom of the tile archives (0: %d)", tiles.DefaultArchiveMaxZoom))
	return s
}

// runPack writes the monthly offline pack of a parcels layer (see app.App.Pack).
func runPack(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	cfg := packConfig{Data: "./mudi-data"}
	set := newPackSettings(&cfg)
	rest, err := set.parse(args, getenv, environ, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usageError{fmt.Sprintf("pack takes no arguments, got %q (write the file with -o)", rest)}
	case cfg.Month == "":
		return usageError{"pack needs --month YYYY-MM"}
	case cfg.Output == "":
		return usageError{"pack needs -o FILE.zip (or -o - for standard output)"}
	case cfg.MinZoom < 0 || cfg.MaxZoom < 0 || cfg.MinZoom > int(tiles.MaxZoom) || cfg.MaxZoom > int(tiles.MaxZoom):
		return usageError{fmt.Sprintf("--min-zoom and --max-zoom are zooms from 0 to %d", tiles.MaxZoom)}
	}
	month, err := campaign.ParseMonth(cfg.Month)
	if err != nil {
		return usageError{fmt.Sprintf("--month %q is not a month: write it as YYYY-MM", cfg.Month)}
	}
	if err := requireStore(cfg.Data); err != nil {
		return err
	}
	core, db, err := openApp(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.Layer == "" {
		if cfg.Layer = core.OnlyLayer(spatial.KindParcels); cfg.Layer == "" {
			return usageError{"pack needs --layer ID: the store has no single parcels layer"}
		}
	}
	if !packviewer.MapBuilt() {
		fmt.Fprintln(stderr, "mudi pack: warning: this binary was built without the map libraries of the offline page (make web); the pack's page shows the ledger, the report and the changes, but no map")
	}
	var m app.PackManifest
	err = writeOutput(cfg.Output, stdout, func(w io.Writer, tempDir string) error {
		var err error
		m, err = core.Pack(ctx, w, app.PackRequest{Layer: cfg.Layer, Month: month, MinZoom: tiles.Zoom(cfg.MinZoom),
			MaxZoom: tiles.Zoom(cfg.MaxZoom), TempDir: tempDir, Viewer: packviewer.Files()})
		return err
	})
	if err != nil {
		return flagError(err)
	}
	if cfg.Output != "-" {
		fmt.Fprintf(stdout, "packed layer %s for %s (as of %s): %d layers, %d ledger rows, changes +%d −%d ~%d 销号 %d, %d files, to %s\n",
			m.Layer, m.Month, m.AsOf, len(m.Layers), m.Ledger, m.Changes.Added, m.Changes.Removed, m.Changes.Reshaped, m.Changes.Closed, len(m.Files)+1, cfg.Output)
	}
	return nil
}
