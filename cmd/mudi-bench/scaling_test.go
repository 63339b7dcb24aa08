package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScalingComparesTheSameWorksAtTwoSizes(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.md")
	large := filepath.Join(dir, "large.md")
	header := "| work | mudi median | mudi p99 | mudi throughput | PostGIS median | PostGIS p99 | PostGIS throughput | ratio | goal | met? |\n|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n"
	os.WriteFile(small, []byte(header+
		"| import 100000 parcels (GeoJSON → decode) | 2.66 s | 2.74 s | x | 4.15 s | | | 1.6× | | |\n"+
		"| cold tiles z14 (2052, every tile over the county) | 0.07 ms | 0.93 ms | x | | | | | | |\n"+
		"| contiguous blocks, tolerance 0 (100000 parcels, 3 runs) | 466 ms | 479 ms | x | | | | | | |\n"+
		"| memory: after the three analyses over HTTP — small parcels 3.01 s | 5.25 s |   | peak 349 MiB | | | | | | |\n"+
		"| only at the small size | 1.00 s | | | | | | | | |\n"), 0o644)
	os.WriteFile(large, []byte(header+
		"| import 1000000 parcels (GeoJSON → decode) | 25.68 s | 26 s | x | 40 s | | | 1.6× | | |\n"+
		"| cold tiles z14 (20113, every tile over the county) | 0.06 ms | 1.1 ms | x | | | | | | |\n"+
		"| contiguous blocks, tolerance 0 (1000000 parcels, 3 runs) | 6.00 s | 6.1 s | x | | | | | | |\n"+
		"| memory: after the three analyses over HTTP — small parcels 70 s | 129.62 s |   | peak 1.67 GiB | | | | | | |\n"), 0o644)
	var out strings.Builder
	if err := printScaling(&out, small, large); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"| work | mudi median, 100000 parcels | mudi median, 1000000 parcels |",
		"| import N parcels (GeoJSON → decode) | 2.66 s | 25.68 s | 9.7× | ≤ 12× for 10× the parcels | yes |",
		"| cold tiles z14 (N, every tile over the county) | 0.07 ms | 0.06 ms | 0.9× | ≤ 12× for 10× the parcels | yes |",
		"| contiguous blocks, tolerance 0 (N parcels, 3 runs) | 466 ms | 6.00 s | 12.9× | ≤ 12× for 10× the parcels | **no** |",
		"| memory: after the three analyses over HTTP | 5.25 s | 129.62 s | 24.7× | ≤ 12× for 10× the parcels | **no** |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "only at the small size") {
		t.Errorf("a work measured at one size only is compared:\n%s", got)
	}
	if err := printScaling(&out, small, filepath.Join(dir, "absent.md")); err == nil {
		t.Error("a missing table is not an error")
	}
}
