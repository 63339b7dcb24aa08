package campaign

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// BenchmarkComputeLayer computes and ranks a layer of random parcels by district.
func BenchmarkComputeLayer(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			base := MustParseDate("2020-01-01")
			date := func() string { return base.AddDays(r.IntN(3000)).String() }
			features := make([]*spatial.Feature, n)
			for i := range features {
				a := spatial.Attrs{"XZQDM": fmt.Sprint(330801 + r.IntN(6)), "GDRQ": date(), "CRJK": float64(r.IntN(5000))}
				if r.IntN(2) == 0 {
					a["SJDGRQ"], a["YDJGRQ"], a["KFBL"], a["TZBL"] = date(), date(), r.Float64(), r.Float64()
				}
				if r.IntN(3) == 0 {
					a["SJJGRQ"], a["SJTCRQ"], a["MJSS"], a["YDMJSS"] = date(), date(), r.Float64()*50, 20.0
				}
				x := float64(i%1000) * 1e-3
				features[i] = &spatial.Feature{ID: spatial.FeatureID(i + 1), Attrs: a.Record(),
					Geometry: orb.Polygon{{{x, 0}, {x + 1e-4, 0}, {x + 1e-4, 1e-4}, {x, 0}}},
					Derived:  spatial.Derived{AreaMu: 1 + r.Float64()*100}}
			}
			sn := spatial.NewSnapshot(spatial.Layer{ID: "p"}, features)
			asOf := MustParseDate("2026-06-30")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				ComputeLayer(sn, nil, asOf, DefaultParams(), "XZQDM")
			}
		})
	}
}
