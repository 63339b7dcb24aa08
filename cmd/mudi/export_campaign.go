package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/spatial/gisio"
)

// exportCampaign writes the campaign's Excel workbooks: the ledger (台账) as of a date, or the
// monthly report of one or more groupings — the same as GET /api/ledger and /api/report.
func exportCampaign(ctx context.Context, cfg exportConfig, stdout io.Writer) error {
	var asOf campaign.Date
	if cfg.AsOf != "" {
		d, err := campaign.ParseDate(cfg.AsOf)
		if err != nil {
			return usageError{fmt.Sprintf("--as-of %q is not a date: write it as YYYY-MM-DD", cfg.AsOf)}
		}
		asOf = d
	}
	var month campaign.Month
	if cfg.Format == "report" {
		if cfg.Month == "" {
			return usageError{"export --format report needs --month YYYY-MM"}
		}
		m, err := campaign.ParseMonth(cfg.Month)
		if err != nil {
			return usageError{fmt.Sprintf("--month %q is not a month: write it as YYYY-MM", cfg.Month)}
		}
		month = m
	}
	if err := requireStore(cfg.Data); err != nil {
		return err
	}
	core, db, err := openApp(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.Format == "ledger" {
		sn, classes, err := core.LedgerAsOf(ctx, cfg.Layer, asOf)
		if err != nil {
			return flagError(err)
		}
		if asOf.IsZero() {
			asOf = core.Today()
		}
		if err := writeOutput(cfg.Output, stdout, func(w io.Writer, _ string) error {
			return gisio.WriteLedgerXLSX(ctx, w, sn, classes, asOf)
		}); err != nil {
			return err
		}
		if cfg.Output != "-" {
			fmt.Fprintf(stdout, "exported the ledger of %d parcels of layer %s as of %s to %s\n", sn.Len(), cfg.Layer, asOf, cfg.Output)
		}
		return nil
	}
	groupings := [][]string{{"district"}}
	if cfg.GroupBy != "" {
		groupings = nil
		for _, g := range strings.Split(cfg.GroupBy, ";") {
			var keys []string
			for _, k := range strings.Split(g, ",") {
				if k = strings.TrimSpace(k); k != "" {
					keys = append(keys, k)
				}
			}
			groupings = append(groupings, keys)
		}
	}
	var reports []campaign.Report
	for _, g := range groupings {
		rep, _, _, err := core.Report(ctx, cfg.Layer, month, g)
		if err != nil {
			return flagError(err)
		}
		reports = append(reports, rep)
	}
	if err := writeOutput(cfg.Output, stdout, func(w io.Writer, _ string) error {
		return gisio.WriteReportXLSX(ctx, w, reports)
	}); err != nil {
		return err
	}
	if cfg.Output != "-" {
		fmt.Fprintf(stdout, "exported the %s report of layer %s (%d groupings) to %s\n", month, cfg.Layer, len(reports), cfg.Output)
	}
	return nil
}
