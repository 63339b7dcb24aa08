package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mudi-gis/mudi/app"
)

// analyzeConfig is the configuration of mudi analyze. Its analysis parameters are those of
// the HTTP presets, with dashes for underscores (--max-mu is max_mu).
type analyzeConfig struct {
	Layer, Control, Status, Filter, BBox, Output, Data string
	Server                                             string
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
	s.str(&c.Server, "server", "URL of a running mudi server to ask (while it owns the data directory), e.g. http://localhost:8080")
	return s
}

func runAnalyze(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	presets := slices.Sorted(maps.Keys(app.Presets))
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
	if cfg.Server != "" {
		q := url.Values{}
		for _, p := range []struct{ name, value string }{
			{"layer", cfg.Layer}, {"control", cfg.Control}, {"max_mu", cfg.MaxMu}, {"min_mu", cfg.MinMu},
			{"tolerance_m", cfg.ToleranceM}, {"sliver_ratio", cfg.SliverRatio}, {"status", cfg.Status},
			{"filter", cfg.Filter}, {"bbox", cfg.BBox},
		} {
			if p.value != "" {
				q.Set(p.name, p.value)
			}
		}
		if cfg.Output == "" {
			cfg.Output = "-"
		}
		return fetchFromServer(ctx, cfg.Server, "/api/analyses/"+url.PathEscape(preset), q, cfg.Output, stdout)
	}
	req := app.AnalysisRequest{Layer: cfg.Layer, Control: cfg.Control, Filter: cfg.Filter}
	if cfg.Status != "" {
		req.Status = strings.Split(cfg.Status, ",")
	}
	if cfg.BBox != "" {
		parts := strings.Split(cfg.BBox, ",")
		if len(parts) != 4 {
			return usageError{fmt.Sprintf("--bbox %q is not west,south,east,north", cfg.BBox)}
		}
		for _, p := range parts {
			v, err := parseNumber("bbox", p)
			if err != nil {
				return err
			}
			req.BBox = append(req.BBox, *v)
		}
	}
	for _, p := range []struct {
		flag, value string
		dst         **float64
	}{{"max-mu", cfg.MaxMu, &req.MaxMu}, {"min-mu", cfg.MinMu, &req.MinMu}, {"tolerance-m", cfg.ToleranceM, &req.ToleranceM}, {"sliver-ratio", cfg.SliverRatio, &req.SliverRatio}} {
		if p.value == "" {
			continue
		}
		if *p.dst, err = parseNumber(p.flag, p.value); err != nil {
			return err
		}
	}
	if req, err = app.Preset(preset, req); err != nil {
		return usageError{fmt.Sprintf("analyze: %v (presets: %s)", err, strings.Join(presets, ", "))}
	}

	if err := requireStore(cfg.Data); err != nil {
		return err
	}
	core, db, err := openApp(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := core.Analyze(ctx, req)
	if err != nil {
		return flagError(err)
	}
	sum := res.Summary
	fmt.Fprintf(stderr, "%s: %d %s, %.4f 亩, %d parcels, %.0f ms\n", preset, sum.Count, res.Kind, sum.AreaMu, sum.ParcelCount, sum.ElapsedMS)
	if cfg.Output == "" {
		cfg.Output = "-"
	}
	return writeOutput(cfg.Output, stdout, func(w io.Writer, _ string) error {
		if err := res.WriteGeoJSON(w); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\n")
		return err
	})
}

// parseNumber reads the finite number of a flag.
func parseNumber(flag, v string) (*float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, usageError{fmt.Sprintf("--%s: %q is not a number", flag, v)}
	}
	return &f, nil
}
