package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
	"github.com/mudi-gis/mudi/spatial/gisio"
)

// importConfig is the configuration of mudi import.
type importConfig struct {
	Layer, Title, Kind, CRS, Encoding, Control, Data, Table string
	Replace, Strict                                         bool
	MemoryLimitMB                                           int
}

func newImportSettings(c *importConfig) *settings {
	s := &settings{name: "import"}
	s.str(&c.Layer, "layer", "id of the layer to create (or replace with --replace)")
	s.str(&c.Title, "title", "title of the layer (default: its id)")
	s.str(&c.Kind, "kind", "parcels or control")
	s.str(&c.CRS, "crs", "CRS of the input when it has none, e.g. EPSG:4549")
	s.str(&c.Encoding, "encoding", "attribute encoding of a Shapefile (UTF-8, GBK, GB18030); default: its .cpg, else detected (GeoJSON is UTF-8)")
	s.str(&c.Table, "table", "GeoPackage table (or Shapefile in a zip) to import when there are several")
	s.str(&c.Control, "control", "control layer of a parcels layer")
	s.str(&c.Data, "data", "data directory (holds mudi.db)")
	s.boolean(&c.Replace, "replace", "replace the layer if it exists")
	s.boolean(&c.Strict, "strict", "reject the input on any invalid feature instead of skipping it")
	s.integer(&c.MemoryLimitMB, "memory-limit-mb", memoryLimitUsage)
	return s
}

func runImport(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	cfg := importConfig{Kind: "parcels", Data: "./mudi-data"}
	set := newImportSettings(&cfg)
	files, err := set.parse(args, getenv, environ, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(files) != 1:
		return usageError{"import takes exactly one FILE"}
	case cfg.Layer == "":
		return usageError{"import needs --layer ID"}
	case !spatial.ValidLayerID(cfg.Layer):
		return usageError{fmt.Sprintf("--layer %q is not a valid layer id", cfg.Layer)}
	case cfg.Kind != "parcels" && cfg.Kind != "control":
		return usageError{fmt.Sprintf("--kind %q is not parcels or control", cfg.Kind)}
	}
	setMemoryLimit(cfg.MemoryLimitMB)
	file := files[0]
	if err := gisio.CheckInputName(file, true); err != nil {
		return flagError(err)
	}
	var src crs.CRS
	if cfg.CRS != "" {
		if src, err = crs.Parse(cfg.CRS); err != nil {
			return usageError{fmt.Sprintf("--crs: %v", err)}
		}
	}
	// Open the store first: a store in use by another process fails within a second, before
	// a large file is read.
	core, db, err := openApp(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	exists := core.Index().Layer(cfg.Layer) != nil
	if exists && !cfg.Replace {
		return usageError{fmt.Sprintf("--layer: layer %q exists in %s: add --replace to replace it", cfg.Layer, cfg.Data)}
	}

	progress := newProgress(stderr)
	progress.phase("reading " + file)
	imp, info, err := gisio.Read(ctx, gisio.Input{Path: file}, gisio.ReadOptions{CRS: src, Encoding: cfg.Encoding, Table: cfg.Table, Strict: cfg.Strict})
	if err != nil {
		return flagError(err)
	}
	switch {
	case info.Encoding != "":
		progress.phase(fmt.Sprintf("read %s: %s, attributes in %s (from %s)", info.Name, imp.CRS, info.Encoding, info.EncodingFrom))
	case info.Format == "gpkg":
		progress.phase(fmt.Sprintf("read table %s: %s", info.Name, imp.CRS))
	}
	for _, p := range imp.Problems {
		fmt.Fprintln(stderr, "warning:", p.String())
	}

	req := app.LayerRequest{ID: cfg.Layer, Title: cfg.Title, Kind: spatial.Kind(cfg.Kind),
		FileName: filepath.Base(file), Import: imp, Replace: exists, Strict: cfg.Strict,
		Actor: app.Actor{Name: "mudi import", Role: app.RoleAdmin}}
	if cfg.Control != "" {
		req.Control = &cfg.Control
	}
	total := len(imp.Features)
	progress.phase(fmt.Sprintf("writing %d features", total))
	req.Progress = func(done int) { progress.count("writing features", done, total) }
	sn, report, err := core.PutLayer(ctx, req)
	if err != nil {
		return flagError(err)
	}
	progress.done()
	fmt.Fprintf(stdout, "imported %d features into layer %s (version %d, %d skipped)\n", sn.Len(), sn.Layer.ID, sn.Layer.Version, imp.Skipped)
	if report != nil && exists {
		fmt.Fprintf(stdout, "parcels by code: %d added, %d removed (archived), %d reshaped, %d with other attributes\n",
			len(report.Added), len(report.Removed), len(report.Reshaped), len(report.Changed))
	}
	return nil
}

// progress reports the progress of a long operation: a line that updates in place on a terminal,
// a line every tenth of the way otherwise.
type progress struct {
	w        io.Writer
	terminal bool
	lastStep int
	last     time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, lastStep: -1}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progress) phase(msg string) {
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", msg)
		return
	}
	fmt.Fprintln(p.w, msg)
}

func (p *progress) count(what string, done, total int) {
	if total == 0 {
		return
	}
	if p.terminal {
		if time.Since(p.last) > 100*time.Millisecond || done == total {
			p.last = time.Now()
			fmt.Fprintf(p.w, "\r\033[K%s %d/%d (%d%%)", what, done, total, done*100/total)
		}
		return
	}
	if step := done * 10 / total; step != p.lastStep {
		p.lastStep = step
		fmt.Fprintf(p.w, "%s %d/%d (%d%%)\n", what, done, total, done*100/total)
	}
}

func (p *progress) done() {
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}
