package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// moved returns a copy of f shifted by (dx, dy) degrees.
func moved(f *spatial.Feature, dx, dy float64) *spatial.Feature {
	g := f.Clone()
	geom := orb.Clone(f.Geometry)
	for _, p := range spatial.Polygons(geom) {
		for _, r := range p {
			for i := range r {
				r[i][0] += dx
				r[i][1] += dy
			}
		}
	}
	g.Geometry = geom
	return g
}

func edit(s *spatial.Snapshot, fs ...*spatial.Feature) *spatial.Snapshot {
	meta := s.Layer
	meta.Version++
	return s.WithFeatures(meta, fs)
}

func mustTile(tb testing.TB, svc *Service, layers []*spatial.Snapshot, c Coord) Tile {
	tb.Helper()
	t, err := svc.Tile(context.Background(), layers, c)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// TestCacheInvalidationIsExact: after an edit, exactly the cached tiles whose buffered square
// the old or new bound touches are re-rendered; all others are still served from the cache and
// equal a fresh render of the new snapshot.
func TestCacheInvalidationIsExact(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 1500})
	r := newTestRenderer(t, Options{})
	cache := NewCache(1 << 30)
	svc := NewService(r, cache)
	v1 := cty.parcels
	var coords []Coord
	for _, z := range []Zoom{11, 13, 14, 15} {
		for c := range Covering(v1.Layer.Bound, z) {
			coords = append(coords, c)
			mustTile(t, svc, []*spatial.Snapshot{v1}, c)
		}
	}
	f := v1.Features()[v1.Len()/2]
	g := moved(f, 0.002, 0.001) // ≈ 200 m east, 110 m north
	v2 := edit(v1, g)
	cache.Invalidate("parcels", v2.Layer.Version, f.Bound(), g.Bound())

	hits, misses := 0, 0
	for _, c := range coords {
		touched := r.Area(c).Intersects(f.Bound()) || r.Area(c).Intersects(g.Bound())
		_, hit := cache.Get([]*spatial.Snapshot{v2}, c)
		if hit == touched {
			t.Errorf("tile %v: touched by the edit = %v, cache hit = %v", c, touched, hit)
		}
		got := mustTile(t, svc, []*spatial.Snapshot{v2}, c)
		want, err := r.Render(context.Background(), []*spatial.Snapshot{v2}, c)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.MVT, want) {
			t.Errorf("tile %v (hit %v): served bytes differ from a render of the new snapshot", c, hit)
		}
		if hit {
			hits++
		} else {
			misses++
		}
	}
	t.Logf("%d tiles still cached, %d invalidated by the edit", hits, misses)
	if misses == 0 || hits == 0 {
		t.Fatal("test should invalidate some tiles and keep others")
	}
	// Readers still holding the old snapshot get old-version tiles, never a mix.
	for _, c := range coords[:20] {
		got := mustTile(t, svc, []*spatial.Snapshot{v1}, c)
		want, _ := r.Render(context.Background(), []*spatial.Snapshot{v1}, c)
		if !bytes.Equal(got.MVT, want) {
			t.Errorf("tile %v for the old snapshot differs from its render", c)
		}
	}
}

func TestCacheVersionRaces(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 300})
	r := newTestRenderer(t, Options{})
	f := cty.parcels.Features()[10]
	c := CoordAt(f.Bound().Center(), 15)
	v1 := cty.parcels
	g := moved(f, 0.0003, 0)
	v2 := edit(v1, g)
	area := r.Area(c)
	render := func(s *spatial.Snapshot) Tile {
		b, err := r.Render(context.Background(), []*spatial.Snapshot{s}, c)
		if err != nil {
			t.Fatal(err)
		}
		return NewTile(b, true)
	}
	tests := []struct {
		name string
		run  func(t *testing.T, cache *Cache)
	}{
		{"render of an old snapshot put after the invalidation is not served for the new one", func(t *testing.T, cache *Cache) {
			cache.Put([]*spatial.Snapshot{v1}, c, area, render(v1)) // log starts at v1
			stale := render(v1)                                     // a render starts on v1 …
			cache.Invalidate("parcels", 2, f.Bound(), g.Bound())    // … the edit lands …
			cache.Put([]*spatial.Snapshot{v1}, c, area, stale)      // … and the render finishes
			if _, ok := cache.Get([]*spatial.Snapshot{v1}, c); !ok {
				t.Error("version 1 readers should still hit")
			}
			if _, ok := cache.Get([]*spatial.Snapshot{v2}, c); ok {
				t.Error("stale render served for version 2")
			}
		}},
		{"new snapshot published before Invalidate is called: unknown version misses", func(t *testing.T, cache *Cache) {
			cache.Put([]*spatial.Snapshot{v1}, c, area, render(v1))
			if _, ok := cache.Get([]*spatial.Snapshot{v2}, c); ok {
				t.Error("entry of version 1 served for a version the log does not know")
			}
		}},
		{"new render put before the late Invalidate stays valid", func(t *testing.T, cache *Cache) {
			cache.Put([]*spatial.Snapshot{v1}, c, area, render(v1))
			cache.Put([]*spatial.Snapshot{v2}, c, area, render(v2))
			cache.Invalidate("parcels", 2, f.Bound(), g.Bound())
			got, ok := cache.Get([]*spatial.Snapshot{v2}, c)
			if !ok || !bytes.Equal(got.MVT, render(v2).MVT) {
				t.Error("version 2 entry should be served")
			}
		}},
		{"older render never replaces a newer entry", func(t *testing.T, cache *Cache) {
			cache.Invalidate("parcels", 1)
			cache.Put([]*spatial.Snapshot{v2}, c, area, render(v2))
			cache.Invalidate("parcels", 2, f.Bound(), g.Bound())
			cache.Put([]*spatial.Snapshot{v1}, c, area, render(v1))
			got, ok := cache.Get([]*spatial.Snapshot{v2}, c)
			if !ok || !bytes.Equal(got.MVT, render(v2).MVT) {
				t.Error("version 2 entry lost")
			}
		}},
		{"InvalidateLayer invalidates every tile of older versions", func(t *testing.T, cache *Cache) {
			cache.Put([]*spatial.Snapshot{v1}, c, area, render(v1))
			cache.InvalidateLayer("parcels", 2)
			if _, ok := cache.Get([]*spatial.Snapshot{v2}, c); ok {
				t.Error("served after InvalidateLayer")
			}
		}},
		{"an edit elsewhere keeps the entry and its ETag", func(t *testing.T, cache *Cache) {
			t1 := render(v1)
			cache.Put([]*spatial.Snapshot{v1}, c, area, t1)
			far := orb.Bound{Min: orb.Point{100, 20}, Max: orb.Point{100.1, 20.1}}
			cache.Invalidate("parcels", 2, far)
			got, ok := cache.Get([]*spatial.Snapshot{v2}, c)
			if !ok || got.ETag != t1.ETag {
				t.Error("entry should survive an edit elsewhere")
			}
		}},
		{"dropped layer's entries are never served, even if the id comes back at version 1", func(t *testing.T, cache *Cache) {
			cache.Put([]*spatial.Snapshot{v1}, c, area, render(v1))
			cache.DropLayer("parcels")
			if _, ok := cache.Get([]*spatial.Snapshot{v1}, c); ok {
				t.Error("served after DropLayer")
			}
		}},
		{"log truncation invalidates entries older than the log", func(t *testing.T, cache *Cache) {
			cache.Put([]*spatial.Snapshot{v1}, c, area, render(v1))
			far := orb.Bound{Min: orb.Point{100, 20}, Max: orb.Point{100.1, 20.1}}
			for v := uint64(2); v < 2+maxLogChanges+5; v++ {
				cache.Invalidate("parcels", v, far)
			}
			meta := v1.Layer
			meta.Version = 2 + maxLogChanges + 4
			if _, ok := cache.Get([]*spatial.Snapshot{v1.WithLayer(meta)}, c); ok {
				t.Error("served across a truncated log")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, NewCache(1<<20)) })
	}
}

// TestServiceConcurrentEdits runs readers against a writer that keeps editing a feature; every
// tile a reader gets must equal a render of the snapshot that reader holds.
func TestServiceConcurrentEdits(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 400})
	r := newTestRenderer(t, Options{})
	svc := NewService(r, NewCache(64<<20))
	var idx spatial.Index
	idx.Put(cty.parcels)
	f := cty.parcels.Features()[cty.parcels.Len()/2]
	var coords []Coord
	for _, z := range []Zoom{13, 14, 15, 16} {
		for c := range Covering(f.Bound(), z) {
			coords = append(coords, c)
			coords = append(coords, Coord{z, c.X + 1, c.Y}, Coord{z, c.X, c.Y + 1})
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the single writer
		defer wg.Done()
		defer close(done)
		cur := f
		for i := 0; i < 60; i++ {
			s := idx.Layer("parcels")
			next := moved(cur, 0.0002*float64(i%3-1), 0.0001)
			ns := edit(s, next)
			if i%2 == 0 { // both orders of publish and invalidate
				idx.Put(ns)
				svc.Invalidate("parcels", ns.Layer.Version, cur.Bound(), next.Bound())
			} else {
				svc.Invalidate("parcels", ns.Layer.Version, cur.Bound(), next.Bound())
				idx.Put(ns)
			}
			cur = next
			time.Sleep(time.Millisecond)
		}
	}()
	var checked atomic.Int64
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				s := idx.Layer("parcels")
				c := coords[i%len(coords)]
				got, err := svc.Tile(context.Background(), []*spatial.Snapshot{s}, c)
				if err != nil {
					t.Error(err)
					return
				}
				want, _ := r.Render(context.Background(), []*spatial.Snapshot{s}, c)
				if !bytes.Equal(got.MVT, want) {
					t.Errorf("tile %v at version %d: stale or wrong tile served", c, s.Layer.Version)
					return
				}
				checked.Add(1)
			}
		}(w)
	}
	wg.Wait()
	st := svc.Cache().Stats()
	t.Logf("%d tiles checked; cache %+v", checked.Load(), st)
}

func TestCacheBoundedLRU(t *testing.T) {
	s := layerOf("a")
	tile := func(n int) Tile { return NewTile(bytes.Repeat([]byte{1}, n), false) }
	per := int64(1000 + len(tile(1000).ETag) + entryOverhead)
	c := NewCache(3 * per)
	area := orb.Bound{}
	for x := uint32(0); x < 3; x++ {
		c.Put([]*spatial.Snapshot{s}, Coord{5, x, 0}, area, tile(1000))
	}
	c.Get([]*spatial.Snapshot{s}, Coord{5, 0, 0}) // 0 becomes most recent; 1 is least
	c.Put([]*spatial.Snapshot{s}, Coord{5, 3, 0}, area, tile(1000))
	if _, ok := c.Get([]*spatial.Snapshot{s}, Coord{5, 1, 0}); ok {
		t.Error("least recently used entry not evicted")
	}
	for _, x := range []uint32{0, 2, 3} {
		if _, ok := c.Get([]*spatial.Snapshot{s}, Coord{5, x, 0}); !ok {
			t.Errorf("entry %d evicted", x)
		}
	}
	if st := c.Stats(); st.Bytes > 3*per || st.Entries != 3 || st.Evictions != 1 {
		t.Errorf("stats %+v", st)
	}
	c.Put([]*spatial.Snapshot{s}, Coord{5, 9, 0}, area, tile(10*1000)) // larger than the cache
	if _, ok := c.Get([]*spatial.Snapshot{s}, Coord{5, 9, 0}); ok {
		t.Error("entry larger than the cache stored")
	}
}

func TestServiceTile(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 300})
	r := newTestRenderer(t, Options{})
	c := CoordAt(cty.parcels.Features()[0].Bound().Center(), 14)
	layers := []*spatial.Snapshot{cty.parcels, cty.control}
	tests := []struct {
		name  string
		cache *Cache
	}{
		{"with cache: gzip computed once and served from the cache", NewCache(1 << 20)},
		{"disabled cache (0 bytes): rendered each time, gzip on demand", NewCache(0)},
		{"nil cache", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := NewService(r, tc.cache)
			a := mustTile(t, svc, layers, c)
			b := mustTile(t, svc, layers, c)
			if a.Empty() || a.ETag != b.ETag || !bytes.Equal(a.MVT, b.MVT) {
				t.Fatal("repeated requests differ")
			}
			if tc.cache.Enabled() != (a.Gzip != nil) {
				t.Errorf("gzip present = %v with cache enabled = %v", a.Gzip != nil, tc.cache.Enabled())
			}
			if tc.cache.Enabled() && &a.MVT[0] != &b.MVT[0] {
				t.Error("second request was not served from the cache")
			}
			zr, err := gzip.NewReader(bytes.NewReader(a.Gzipped()))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(zr)
			if !bytes.Equal(raw, a.MVT) {
				t.Error("gzip does not decompress to the MVT")
			}
			if len(a.ETag) != 18 || a.ETag[0] != '"' || a.GzipETag() == a.ETag {
				t.Errorf("ETag %s, gzip ETag %s", a.ETag, a.GzipETag())
			}
			empty := mustTile(t, svc, layers, Coord{14, 0, 0})
			if !empty.Empty() || empty.Gzipped() != nil {
				t.Error("empty tile should have no bytes")
			}
		})
	}
}
