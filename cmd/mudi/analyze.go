package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mudi-gis/mudi/api"
)

// analyzeConfig is the configuration of mudi analyze. Its analysis parameters are those of
// the HTTP presets, with dashes for underscores (--max-mu is max_mu).
type analyzeConfig struct {
	Layer, Control, Status, Filter, BBox, Output, Data string
	MaxMu, MinMu, ToleranceM, SliverRatio              string
}

func newAnalyzeSettings(c *analyzeConfig) *settings {
	s := &settings{name: "analyze"}
	s.str(&c.Layer, "layer", "parcels layer (default: the only one)")
	s.str(&c.Control, "control", "control layer (default: the layer's)")
	s.str(&c.MaxMu, "max-mu", "area below which, 亩 (small-parcels: 50)")
	s.str(&c.MinMu, "min-mu", "area from which, 亩 (contiguous-blocks: 300)")
	s.str(&c.ToleranceM, "tolerance-m", "gap bridged between parcels, metres (contiguous-blocks)")
	s.str(&c.SliverRatio, "sliver-ratio", "share of area tolerated across the control line (0.01)")
	s.str(&c.Status, "status", "comma-separated status values, * for all")
	s.str(&c.Filter, "filter", "CQL2-text filter on the parcels")
	s.str(&c.BBox, "bbox", "west,south,east,north in lon/lat")
	s.str(&c.Output, "o", "output GeoJSON file (default: standard output)")
	s.str(&c.Data, "data", "data directory (holds mudi.db)")
	return s
}

func runAnalyze(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	presets := make([]string, 0, 3)
	for name := range api.Presets() {
		presets = append(presets, name)
	}
	sort.Strings(presets)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError{"analyze needs a preset: " + strings.Join(presets, ", ")}
	}
	preset := args[0]
	cfg := analyzeConfig{Data: "./mudi-data"}
	set := newAnalyzeSettings(&cfg)
	rest, err := set.parse(args[1:], getenv, environ, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("analyze takes one preset, got also %q", rest)}
	}
	params := url.Values{}
	for _, p := range []struct{ name, value string }{
		{"layer", cfg.Layer}, {"control", cfg.Control}, {"max_mu", cfg.MaxMu}, {"min_mu", cfg.MinMu},
		{"tolerance_m", cfg.ToleranceM}, {"sliver_ratio", cfg.SliverRatio}, {"status", cfg.Status},
		{"filter", cfg.Filter}, {"bbox", cfg.BBox},
	} {
		if p.value != "" {
			params.Set(p.name, p.value)
		}
	}

	srv, db, err := openOffline(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := srv.RunPreset(ctx, preset, params)
	if p := api.ClientProblem(err); p != nil {
		return usageError{strings.ReplaceAll(p.Detail, "_", "-")} // name the flag, not the query parameter
	}
	if err != nil {
		return err
	}
	out, err := res.GeoJSON()
	if err != nil {
		return err
	}
	sum := res.Summary
	fmt.Fprintf(stderr, "%s: %d %s, %.4f 亩, %d parcels, %.0f ms\n", preset, sum.Count, res.Kind, sum.AreaMu, sum.ParcelCount, sum.ElapsedMS)
	if cfg.Output == "" || cfg.Output == "-" {
		_, err = stdout.Write(append(out, '\n'))
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(cfg.Output), ".mudi-analyze-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), cfg.Output)
}
