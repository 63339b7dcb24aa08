package spatial

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/paulmach/orb"
)

func randomFeatures(r *rand.Rand, n int) []*Feature {
	fs := make([]*Feature, n)
	for i := range fs {
		x, y := 118+r.Float64(), 28+r.Float64()
		w, h := r.Float64()*0.01, r.Float64()*0.01
		fs[i] = &Feature{ID: FeatureID(i + 1), Geometry: orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}}
	}
	return fs
}

func searchIDs(s *Snapshot, b orb.Bound) []FeatureID {
	var ids []FeatureID
	s.Search(b, func(f *Feature) bool { ids = append(ids, f.ID); return true })
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func bruteIDs(fs []*Feature, b orb.Bound) []FeatureID {
	var ids []FeatureID
	for _, f := range fs {
		if f.Bound().Intersects(b) {
			ids = append(ids, f.ID)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func equalIDs(a, b []FeatureID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSnapshotSearchMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fs := randomFeatures(r, 2000)
	s := NewSnapshot(Layer{ID: "t"}, append([]*Feature(nil), fs...))
	for i := 0; i < 200; i++ {
		x, y := 118+r.Float64(), 28+r.Float64()
		b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + r.Float64()*0.1, y + r.Float64()*0.1}}
		if got, want := searchIDs(s, b), bruteIDs(fs, b); !equalIDs(got, want) {
			t.Fatalf("search %v: got %d ids, want %d", b, len(got), len(want))
		}
	}
	if s.Layer.FeatureCount != 2000 || s.Feature(1234).ID != 1234 || s.Feature(5000) != nil {
		t.Error("count or lookup by id is wrong")
	}
}

func TestSnapshotWithFeaturesLeavesTheOldSnapshotUnchanged(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fs := randomFeatures(r, 100)
	old := NewSnapshot(Layer{ID: "t", Version: 1}, fs)
	moved := &Feature{ID: 7, Geometry: orb.Polygon{{{100, 10}, {100.1, 10}, {100.1, 10.1}, {100, 10}}}}
	next := old.WithFeatures(Layer{ID: "t", Version: 2}, []*Feature{moved})
	far := orb.Bound{Min: orb.Point{99, 9}, Max: orb.Point{101, 11}}
	if ids := searchIDs(next, far); !equalIDs(ids, []FeatureID{7}) {
		t.Errorf("new snapshot finds %v at the new place", ids)
	}
	if ids := searchIDs(old, far); len(ids) != 0 {
		t.Errorf("old snapshot changed: finds %v", ids)
	}
	if old.Feature(7) == moved || next.Feature(7) != moved || next.Layer.Version != 2 {
		t.Error("feature replacement leaked into the old snapshot or missed the new one")
	}
	if !next.Layer.Bound.Contains(orb.Point{100.05, 10.05}) {
		t.Error("bound of the new snapshot does not cover the moved feature")
	}
}

func TestIndexReadersSeeWholeSnapshots(t *testing.T) {
	var x Index
	if x.Layer("a") != nil || len(x.Layers()) != 0 {
		t.Fatal("zero index is not empty")
	}
	r := rand.New(rand.NewPCG(5, 6))
	base := NewSnapshot(Layer{ID: "a", Version: 1}, randomFeatures(r, 500))
	x.Put(base)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := x.Layer("a")
				// Every feature of a snapshot carries that snapshot's version in its attributes.
				for _, f := range s.Features()[:10] {
					if v, ok := f.Attrs.Get("v"); ok && v != int64(s.Layer.Version) {
						t.Errorf("snapshot v%d holds a feature of v%v", s.Layer.Version, v)
						return
					}
				}
			}
		}()
	}
	cur := base
	for v := uint64(2); v < 200; v++ {
		var changed []*Feature
		for _, f := range cur.Features()[:10] {
			c := f.Clone()
			c.Attrs = Attrs{"v": int64(v)}.Record()
			changed = append(changed, c)
		}
		cur = cur.WithFeatures(Layer{ID: "a", Version: v}, changed)
		x.Put(cur)
	}
	close(stop)
	wg.Wait()
	x.Remove("a")
	if x.Layer("a") != nil {
		t.Error("layer not removed")
	}
}

func FuzzIndexSearch(f *testing.F) {
	f.Add(uint64(1), 118.5, 28.5, 0.2, 0.2)
	f.Fuzz(func(t *testing.T, seed uint64, x, y, w, h float64) {
		r := rand.New(rand.NewPCG(seed, 1))
		fs := randomFeatures(r, 300)
		s := NewSnapshot(Layer{ID: "f"}, append([]*Feature(nil), fs...))
		b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + w, y + h}}
		if w < 0 || h < 0 || b.Min != b.Min || b.Max != b.Max { // NaN or inverted: nothing to compare
			return
		}
		if got, want := searchIDs(s, b), bruteIDs(fs, b); !equalIDs(got, want) {
			t.Fatalf("search %v: got %v, want %v", b, got, want)
		}
	})
}

func BenchmarkSnapshotSearch(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			s := NewSnapshot(Layer{ID: "b"}, randomFeatures(r, n))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x, y := 118+r.Float64(), 28+r.Float64()
				count := 0
				s.Search(orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 0.02, y + 0.02}}, func(*Feature) bool { count++; return true })
			}
		})
	}
}

// TestEditsKeepTheLayerBoundExact moves, replaces and removes the outermost features of a
// layer: the layer's bound, which the index keeps without walking every geometry, equals the
// union of the remaining features' bounds each time.
func TestEditsKeepTheLayerBoundExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	box := func(x, y, w float64) orb.Polygon {
		return orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + w}, {x, y + w}, {x, y}}}
	}
	var fs []*Feature
	for i := range 500 {
		fs = append(fs, &Feature{ID: FeatureID(i + 1), Geometry: box(118+rng.Float64(), 28+rng.Float64(), 0.001)})
	}
	s := NewSnapshot(Layer{ID: "a"}, fs)
	check := func(what string) {
		t.Helper()
		var want orb.Bound
		for i, f := range s.Features() {
			if i == 0 {
				want = f.Bound()
			} else {
				want = want.Union(f.Bound())
			}
		}
		if s.Layer.Bound != want {
			t.Fatalf("%s: bound %v, want %v", what, s.Layer.Bound, want)
		}
	}
	check("built")
	outermost := func() *Feature {
		for _, f := range s.Features() {
			b := f.Bound()
			if b.Min[0] == s.Layer.Bound.Min[0] || b.Max[1] == s.Layer.Bound.Max[1] {
				return f
			}
		}
		t.Fatal("no outermost feature")
		return nil
	}
	for range 20 {
		moved := outermost().Clone()
		moved.Geometry = box(118.5, 28.5, 0.0001) // inwards
		s = s.WithFeatures(s.Layer, []*Feature{moved})
		check("moved inwards")
		s = s.WithEdits(s.Layer, nil, []FeatureID{outermost().ID})
		check("removed")
	}
	grown := s.Features()[0].Clone()
	grown.Geometry = box(117, 27, 0.5)
	s = s.WithEdits(s.Layer, []*Feature{grown, {ID: 10_000, Geometry: box(119.9, 29.9, 0.3)}}, nil)
	check("grown and added")
}
