package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
)

// generatedCounty returns the parcels GeoJSON of the generated county of n parcels.
func generatedCounty(b *testing.B, n int) []byte {
	b.Helper()
	ds, err := fixtures.Generate(fixtures.Options{N: n, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := ds.WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "parcels.geojson"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// importInto decodes data and creates layer id in a new store under dir, as mudi import does.
func importInto(b *testing.B, dir string, data []byte) {
	b.Helper()
	db, err := openStore(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	core, err := app.New(app.Config{Store: db})
	if err != nil {
		b.Fatal(err)
	}
	imp, err := spatial.DecodeGeoJSON(bytes.NewReader(data), spatial.ImportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := core.PutLayer(context.Background(), app.LayerRequest{ID: "parcels", Import: imp}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkImport measures decoding, validating, measuring and storing the generated county
// into a new store (goal for n=100000: ≤ 10 s per op). It reports parcels/s.
func BenchmarkImport(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			data := generatedCounty(b, n)
			root := b.TempDir()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dir := filepath.Join(root, strconv.Itoa(i))
				i++
				importInto(b, dir, data)
				b.StopTimer()
				if err := os.RemoveAll(dir); err != nil { // a 100 000-parcel store is over 100 MB
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "parcels/s")
		})
	}
}

// BenchmarkRestart measures opening a store holding the generated county and loading the
// application core over it, which is what serve does before it listens (goal for n=100000:
// ≤ 3 s per op). It reports parcels/s.
func BenchmarkRestart(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			dir := b.TempDir()
			importInto(b, dir, generatedCounty(b, n))
			b.ReportAllocs()
			for b.Loop() {
				core, db, err := openApp(context.Background(), dir)
				if err != nil {
					b.Fatal(err)
				}
				if got := core.Index().Layer("parcels").Len(); got != n {
					b.Fatalf("restart loaded %d parcels, want %d", got, n)
				}
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "parcels/s")
		})
	}
}
