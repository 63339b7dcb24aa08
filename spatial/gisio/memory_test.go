package gisio

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// procStatus returns a field of /proc/self/status in bytes (VmRSS, VmHWM).
func procStatus(tb testing.TB, field string) int64 {
	tb.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	tb.Fatalf("%s not in /proc/self/status", field)
	return 0
}

// sampledContext measures the live heap as the export goes: the writers call Err every 1024
// features, and every tenth call it runs a full (stop-the-world) collection and records the
// live heap, so the samples hold exactly what the export keeps at that point.
type sampledContext struct {
	context.Context
	calls int
	peak  uint64
}

func (c *sampledContext) Err() error {
	c.calls++
	if c.calls%10 == 0 {
		c.peak = max(c.peak, liveHeap())
	}
	return c.Context.Err()
}

func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// memoryGrowth runs fn and returns how much more live heap than before it the export held at
// its peak (sampled every 10 240 features, after a full collection), and the growth of the
// peak RSS (VmHWM, reset before). During fn the GC runs by a memory limit 32 MiB above the
// memory in use instead of by GOGC, so that the RSS follows what the export keeps rather than
// the garbage a proportional GC lets pile up next to a large layer.
func memoryGrowth(tb testing.TB, fn func(ctx context.Context)) (heap, rss int64) {
	tb.Helper()
	base := liveHeap()
	debug.FreeOSMemory()
	total := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(total)
	inUse := int64(total[0].Value.Uint64() - total[1].Value.Uint64())
	oldGC := debug.SetGCPercent(-1)
	oldLimit := debug.SetMemoryLimit(inUse + 32<<20)
	defer func() {
		debug.SetGCPercent(oldGC)
		debug.SetMemoryLimit(oldLimit)
	}()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		tb.Skipf("cannot reset the peak RSS: %v", err)
	}
	baseRSS := procStatus(tb, "VmRSS")
	ctx := &sampledContext{Context: context.Background(), peak: base}
	fn(ctx)
	return int64(ctx.peak) - int64(base), procStatus(tb, "VmHWM") - baseRSS
}

// TestExportMemoryIsFlat exports 10 000 and 100 000 parcels of the generated county as
// GeoPackage and Shapefile (EPSG:4549, GBK for the Shapefile) with the same layer loaded, and
// checks that the memory an export holds does not grow with the number of features. Opt-in
// (MUDITEST_LARGE=1): the large county takes a minute to generate.
func TestExportMemoryIsFlat(t *testing.T) {
	if os.Getenv("MUDITEST_LARGE") != "1" {
		t.Skip("set MUDITEST_LARGE=1 to export the 100 000-parcel county and measure memory")
	}
	full := county(t, 100000)
	// The 10 000-parcel layer shares the features of the full one: the heap is the same
	// for both exports and only the number of features written differs.
	small := spatial.NewSnapshot(full.Layer, append([]*spatial.Feature(nil), full.Features()[:10000]...))
	type result struct{ heap, rss int64 }
	got := map[string]result{}
	for _, sn := range []*spatial.Snapshot{small, full} {
		for _, f := range []Format{FormatGeoPackage, FormatShapefile} {
			var written int64
			heap, rss := memoryGrowth(t, func(ctx context.Context) {
				cw := &countWriter{}
				if err := Write(ctx, cw, sn, f, WriteOptions{CRS: mustCRS(t, "EPSG:4549"), Encoding: map[Format]string{FormatShapefile: "GBK"}[f], TempDir: t.TempDir()}); err != nil {
					t.Fatal(err)
				}
				written = cw.n
			})
			key := fmt.Sprintf("%s n=%d", f, sn.Len())
			got[key] = result{heap, rss}
			t.Logf("%-14s %6.1f MB written: peak live heap %+6.2f MiB, peak RSS %+6.1f MiB", key, float64(written)/1e6, float64(heap)/(1<<20), float64(rss)/(1<<20))
		}
	}
	for _, f := range []Format{FormatGeoPackage, FormatShapefile} {
		s, l := got[fmt.Sprintf("%s n=10000", f)], got[fmt.Sprintf("%s n=100000", f)]
		// Ten times the features may not hold more memory: 2 MiB of slack for the heap; the
		// RSS, which also holds SQLite's cache and the GC's headroom, stays under 96 MiB.
		if l.heap > s.heap+2<<20 || l.rss > 96<<20 {
			t.Errorf("%s: memory grows with the layer: heap %+d vs %+d, RSS %+d vs %+d bytes", f, l.heap, s.heap, l.rss, s.rss)
		}
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
var _ = crs.EPSG4490
