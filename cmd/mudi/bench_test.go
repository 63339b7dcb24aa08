package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/store"
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
// (goal for n=100000: ≤ 10 s per op).
func BenchmarkImport(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			data := generatedCounty(b, n)
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				importInto(b, b.TempDir(), data)
			}
		})
	}
}

// BenchmarkRestart measures opening a store holding the generated county and rebuilding the
// index, which is what serve does before it listens (goal for n=100000: ≤ 3 s per op).
func BenchmarkRestart(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			dir := b.TempDir()
			importInto(b, dir, generatedCounty(b, n))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				db, err := store.Open(filepath.Join(dir, "mudi.db"), store.Options{Timeout: time.Second})
				if err != nil {
					b.Fatal(err)
				}
				var index spatial.Index
				got, err := db.LoadIndex(context.Background(), &index)
				if err != nil || got != index.Layer("parcels").Len() {
					b.Fatal(err, got)
				}
				db.Close()
				b.ReportMetric(time.Since(start).Seconds(), "s/restart")
			}
		})
	}
}
