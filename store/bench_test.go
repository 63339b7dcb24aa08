package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/mudi-gis/mudi/spatial"
)

var benchSizes = []int{1000, 100000}

var (
	benchMu       sync.Mutex
	benchFeatures = map[int][]*spatial.Feature{}
)

// benchCounty returns n synthetic parcels (seed 1), generated once per size.
func benchCounty(n int) []*spatial.Feature {
	benchMu.Lock()
	defer benchMu.Unlock()
	if fs, ok := benchFeatures[n]; ok {
		return fs
	}
	fs := syntheticFeatures(n, 1)
	benchFeatures[n] = fs
	return fs
}

// BenchmarkLoadLayer measures a restart's decoding: one LoadLayer of the whole layer. It reports
// ns/feature, parcels/s and the live heap per feature.
func BenchmarkLoadLayer(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			db := openTemp(b)
			mustCreate(b, db, "parcels", benchCounty(n))
			b.ReportAllocs()
			for b.Loop() {
				_, fs, err := db.LoadLayer(context.Background(), "parcels")
				if err != nil || len(fs) != n {
					b.Fatal(len(fs), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/feature")
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "parcels/s")
			b.StopTimer()
			b.ReportMetric(float64(liveHeap(func() any {
				_, fs, _ := db.LoadLayer(context.Background(), "parcels")
				return fs
			}))/float64(n), "heap-bytes/feature")
		})
	}
}

// liveHeap returns how much the live heap grows while the result of fn is kept alive.
func liveHeap(fn func() any) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := fn()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// BenchmarkCreateLayer measures an import's write: one CreateLayer transaction (encoding,
// bbolt pages, fsync) into a new file. It reports ns/feature, parcels/s and the file size.
func BenchmarkCreateLayer(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			fs := benchCounty(n)
			dir := b.TempDir()
			var size, used int64
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				b.StopTimer()
				path := filepath.Join(dir, fmt.Sprintf("mudi-%d.db", i))
				i++
				db, err := Open(path, Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := db.CreateLayer(context.Background(), testLayer("parcels"), fs, nil); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				st, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				size = st.Size()
				if err := db.view(func(tx *bolt.Tx) error { used = tx.Size(); return nil }); err != nil {
					b.Fatal(err)
				}
				db.Close()
				os.Remove(path)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/feature")
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "parcels/s")
			b.ReportMetric(float64(size)/float64(n), "file-bytes/feature")
			b.ReportMetric(float64(used)/float64(n), "page-bytes/feature")
		})
	}
}

// BenchmarkDecodeFeature isolates the feature decoder from bbolt.
func BenchmarkDecodeFeature(b *testing.B) {
	fs := benchCounty(1000)
	vals := make([][]byte, len(fs))
	var (
		e     featureEncoder
		total int
	)
	for i, f := range fs {
		v, err := e.encode(f)
		if err != nil {
			b.Fatal(err)
		}
		vals[i] = append([]byte(nil), v...)
		total += len(v)
	}
	b.ReportAllocs()
	d := newFeatureDecoder()
	i := 0
	for b.Loop() {
		if _, err := d.decode(fs[i].ID, vals[i]); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) % len(vals)
	}
	b.ReportMetric(float64(total)/float64(len(vals)), "value-bytes/feature")
}

// BenchmarkRestart measures what a restart does with one 100 000-parcel layer: open the
// existing file, load the layer and bulk-build its R-tree snapshot (docs/design.md, "Performance goals": ≤ 3 s). The file
// is in the page cache; a cold disk adds its read time (about 120 MB). It reports parcels/s.
func BenchmarkRestart(b *testing.B) {
	const n = 100000
	path := filepath.Join(b.TempDir(), "mudi.db")
	db, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	mustCreate(b, db, "parcels", benchCounty(n))
	db.Close()
	b.ReportAllocs()
	for b.Loop() {
		db, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		l, fs, err := db.LoadLayer(context.Background(), "parcels")
		if err != nil {
			b.Fatal(err)
		}
		if s := spatial.NewSnapshot(l, fs); s.Len() != n {
			b.Fatal(s.Len())
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "parcels/s")
}
