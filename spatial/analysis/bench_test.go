package analysis

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
)

// Benchmarks run on the generated county of MUDITEST_BENCH_N parcels (default 100 000, seed 1),
// generated once per process. Compare with TestPostGISTiming (MUDITEST_PG_BENCH=1).

// benchCounty returns the county with Derived attributes filled, as the store keeps them.
func benchCounty(b *testing.B) (parcels, control *spatial.Snapshot) {
	b.Helper()
	parcels, control = county(b, benchN())
	derivedMu.Lock()
	defer derivedMu.Unlock()
	if s, ok := derivedCounties[parcels]; ok {
		return s, control
	}
	d, err := Derive(context.Background(), parcels, control, DeriveOptions{})
	if err != nil {
		b.Fatal(err)
	}
	fs := make([]*spatial.Feature, 0, parcels.Len())
	for _, f := range parcels.Features() {
		c := *f
		c.Derived = d[f.ID]
		fs = append(fs, &c)
	}
	s := spatial.NewSnapshot(parcels.Layer, fs)
	derivedCounties[parcels] = s
	return s, control
}

var (
	derivedMu       sync.Mutex
	derivedCounties = map[*spatial.Snapshot]*spatial.Snapshot{}
)

func benchN() int {
	if n, err := strconv.Atoi(os.Getenv("MUDITEST_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 100000
}

func BenchmarkDerive(b *testing.B) {
	parcels, control := county(b, benchN())
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Derive(context.Background(), parcels, control, DeriveOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOutsideControl(b *testing.B) {
	parcels, control := benchCounty(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res, err := Run(context.Background(), parcels, control, OutsideControl(DefaultSliverRatio))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Summary.Count), "parcels")
	}
}

func BenchmarkContiguousBlocks(b *testing.B) {
	parcels, _ := benchCounty(b)
	for _, tol := range []float64{0, 20} {
		for _, sel := range []string{"all", "preset"} {
			b.Run(fmt.Sprintf("tol=%g/%s", tol, sel), func(b *testing.B) {
				spec := ContiguousBlocks(f64(0), nil, tol, []string{"*"}) // every parcel, every block
				if sel == "preset" {
					spec = ContiguousBlocks(nil, nil, tol, nil) // low-efficiency parcels, ≥ 300 亩
				}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					res, err := Run(context.Background(), parcels, nil, spec)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(res.Summary.Count), "blocks")
				}
			})
		}
	}
}

func BenchmarkSmallParcels(b *testing.B) {
	parcels, _ := benchCounty(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Run(context.Background(), parcels, nil, SmallParcels(DefaultSmallMaxMu)); err != nil {
			b.Fatal(err)
		}
	}
}
