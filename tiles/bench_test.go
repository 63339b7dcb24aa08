package tiles

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/spatial"
)

// nonEmptyTiles returns up to limit tiles at zoom z over the county that have features, spread
// over the whole covering.
func nonEmptyTiles(tb testing.TB, r *Renderer, layers []*spatial.Snapshot, z Zoom, limit int) []Coord {
	tb.Helper()
	var all []Coord
	for c := range Covering(layers[0].Layer.Bound, z) {
		all = append(all, c)
	}
	step := max(1, len(all)/(4*limit))
	var out []Coord
	for i := 0; i < len(all) && len(out) < limit; i += step {
		b, err := r.Render(context.Background(), layers, all[i])
		if err != nil {
			tb.Fatal(err)
		}
		if b != nil {
			out = append(out, all[i])
		}
	}
	return out
}

// BenchmarkRender renders cold tiles (no cache) of the parcels and control layers of the
// generated 100 000-parcel county at z10–z16, cycling over non-empty tiles. It reports the mean
// tile size and tiles/s.
func BenchmarkRender(b *testing.B) {
	cty := countyOf100k(b)
	r := newTestRenderer(b, Options{})
	layers := []*spatial.Snapshot{cty.parcels, cty.control}
	for _, z := range []Zoom{10, 12, 14, 16} {
		coords := nonEmptyTiles(b, r, layers, z, 200)
		b.Run("z="+strconv.Itoa(int(z)), func(b *testing.B) {
			b.ReportAllocs()
			var bytes, n int
			i := 0
			for b.Loop() {
				t, err := r.Render(context.Background(), layers, coords[i%len(coords)])
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(t)
				n++
				i++
			}
			b.ReportMetric(float64(bytes)/float64(n), "B/tile")
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tiles/s")
		})
	}
}

// BenchmarkServiceCached measures cache hits (lookup and validation) for z14 tiles of the
// generated 100 000-parcel county, from one goroutine (serial) and from GOMAXPROCS goroutines
// at once (parallel), cycling over 200 tiles that are all in the cache. It reports tiles/s
// (for parallel: of all goroutines together).
func BenchmarkServiceCached(b *testing.B) {
	cty := countyOf100k(b)
	r := newTestRenderer(b, Options{})
	svc := NewService(r, NewCache(256<<20))
	layers := []*spatial.Snapshot{cty.parcels, cty.control}
	coords := nonEmptyTiles(b, r, layers, 14, 200)
	want := make([]string, len(coords))
	for i, c := range coords {
		t, err := svc.Tile(context.Background(), layers, c)
		if err != nil {
			b.Fatal(err)
		}
		want[i] = t.ETag
	}
	// Every tile must now come from the cache: the same bytes, and no miss.
	misses := svc.Cache().Stats().Misses
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			k := i % len(coords)
			t, err := svc.Tile(context.Background(), layers, coords[k])
			if err != nil {
				b.Fatal(err)
			}
			if t.ETag != want[k] {
				b.Fatalf("tile %v: ETag %s, want %s", coords[k], t.ETag, want[k])
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := svc.Tile(context.Background(), layers, coords[i%len(coords)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
	})
	if got := svc.Cache().Stats().Misses; got != misses {
		b.Errorf("%d requests missed the cache", got-misses)
	}
}

// TestLargeCounty renders every tile at z0–z16 over the generated 100 000-parcel county and
// reports the largest tile per zoom (none may exceed 500 KB) and the z14 latency percentiles.
// It takes a few minutes: run it with MUDITEST_LARGE=1 go test -run TestLargeCounty -v ./tiles.
func TestLargeCounty(t *testing.T) {
	if os.Getenv("MUDITEST_LARGE") == "" {
		t.Skip("set MUDITEST_LARGE=1 to render every z0–z16 tile of the 100 000-parcel county")
	}
	cty := countyOf100k(t)
	r := newTestRenderer(t, Options{})
	layers := []*spatial.Snapshot{cty.parcels, cty.control}
	t.Logf("county: %d parcels, %d control polygons, bound %v", cty.parcels.Len(), cty.control.Len(), cty.parcels.Layer.Bound)
	largest := 0
	for z := Zoom(0); z <= 16; z++ {
		var sizes []int
		var durs []time.Duration
		var feats, maxFeats int
		var maxAt Coord
		for c := range Covering(cty.parcels.Layer.Bound.Union(cty.control.Layer.Bound), z) {
			start := time.Now()
			b, err := r.Render(context.Background(), layers, c)
			d := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				continue
			}
			durs = append(durs, d)
			sizes = append(sizes, len(b))
			if len(b) > largest {
				largest = len(b)
			}
			if len(b) == slices.Max(sizes) {
				maxAt = c
				tile := mustDecode(t, b)
				maxFeats = 0
				for _, l := range tile.Layers {
					maxFeats += len(l.Features)
				}
			}
			feats++
		}
		if len(sizes) == 0 {
			continue
		}
		slices.Sort(durs)
		pct := func(p float64) time.Duration { return durs[min(len(durs)-1, int(p*float64(len(durs))))] }
		t.Logf("z%-2d %6d tiles  largest %7d B (%v, %d features)  p50 %8v  p99 %8v  max %8v",
			z, len(sizes), slices.Max(sizes), maxAt, maxFeats, pct(0.5), pct(0.99), durs[len(durs)-1])
		if slices.Max(sizes) > 500_000 {
			t.Errorf("z%d: tile %v is %d bytes, over 500 KB", z, maxAt, slices.Max(sizes))
		}
	}
	t.Logf("largest tile z0–z16: %d bytes", largest)
}
