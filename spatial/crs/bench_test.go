package crs_test

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial/crs"
)

// benchPositions returns n lon/lat positions within a zone of c and the same positions in c,
// from a fixed seed.
func benchPositions(tb testing.TB, c crs.CRS, n int) (lonLat, xy []orb.Point) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	cm := c.CentralMeridian()
	for range n {
		lon, lat := cm-1.5+3*rng.Float64(), 18+36*rng.Float64()
		if c == crs.EPSG3857 {
			lon, lat = -180+360*rng.Float64(), -85+170*rng.Float64()
		}
		p := mustFromLonLat(tb, c, lon, lat)
		lonLat, xy = append(lonLat, orb.Point{lon, lat}), append(xy, p)
	}
	return lonLat, xy
}

func benchmarkCRSs(b *testing.B) []crs.CRS {
	return []crs.CRS{mustEPSG(b, 4549), mustEPSG(b, 4528), crs.EPSG3857}
}

func BenchmarkToLonLat(b *testing.B) {
	for _, c := range benchmarkCRSs(b) {
		_, xy := benchPositions(b, c, 1024)
		b.Run(c.String(), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := xy[i%len(xy)]
				if _, _, err := c.ToLonLat(p[0], p[1]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkFromLonLat(b *testing.B) {
	for _, c := range benchmarkCRSs(b) {
		lonLat, _ := benchPositions(b, c, 1024)
		b.Run(c.String(), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := lonLat[i%len(lonLat)]
				if _, _, err := c.FromLonLat(p[0], p[1]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkTransformToLonLat converts a 1000-vertex polygon, as for one imported parcel.
func BenchmarkTransformToLonLat(b *testing.B) {
	c := mustEPSG(b, 4549)
	_, xy := benchPositions(b, c, 1000)
	ring := append(orb.Ring(xy), xy[0])
	polygon := orb.Polygon{ring}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := crs.TransformToLonLat(polygon, c); err != nil {
			b.Fatal(err)
		}
	}
}
