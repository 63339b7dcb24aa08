package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/fixtures"
)

// TestExportLedgerAndReport writes the Excel ledger and the monthly report from the command
// line: real workbooks (their parts are there), and bad dates and months name their flags.
func TestExportLedgerAndReport(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ds, err := fixtures.Generate(fixtures.Options{N: 300, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if out, err := mudi(t, "import", filepath.Join(dir, fixtures.ParcelsFile), "--layer", "county", "--data", data); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		args  []string
		file  string
		sheet string
	}{
		{[]string{"--format", "ledger", "--as-of", "2026-06-30"}, "ledger.xlsx", "xl/worksheets/sheet1.xml"},
		{[]string{"--format", "report", "--month", "2026-06", "--group-by", "district;district,town"}, "report.xlsx", "xl/worksheets/sheet2.xml"},
	} {
		file := filepath.Join(dir, tt.file)
		out, err := mudi(t, append([]string{"export", "--layer", "county", "--data", data, "-o", file}, tt.args...)...)
		if err != nil {
			t.Fatalf("export %v: %v\n%s", tt.args, err, out)
		}
		zr, err := zip.OpenReader(file)
		if err != nil {
			t.Fatalf("%s is not a workbook: %v", tt.file, err)
		}
		found := false
		for _, f := range zr.File {
			found = found || f.Name == tt.sheet
		}
		zr.Close()
		if !found {
			t.Errorf("%s lacks %s", tt.file, tt.sheet)
		}
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "ledger", "--as-of", "2026-02-30"}, "--as-of"},
		{[]string{"--format", "report", "--month", "2026-13"}, "--month"},
		{[]string{"--format", "report"}, "--month"},
	} {
		out, err := mudi(t, append([]string{"export", "--layer", "county", "--data", data, "-o", filepath.Join(dir, "x.xlsx")}, bad.args...)...)
		if err == nil || !strings.Contains(err.Error(), bad.want) || exitCode(err) != 2 {
			t.Errorf("export %v: %v (want a usage error naming %s)\n%s", bad.args, err, bad.want, out)
		}
	}
	// An empty data directory is not turned into a store.
	empty := filepath.Join(dir, "empty")
	if _, err := mudi(t, "export", "--layer", "county", "--data", empty, "--format", "ledger", "-o", filepath.Join(dir, "y.xlsx")); err == nil {
		t.Error("export from an empty data directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(empty, "mudi.db")); err == nil {
		t.Error("export created a store in an empty data directory")
	}
}
