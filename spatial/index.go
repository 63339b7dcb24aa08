package spatial

import (
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Snapshot is an immutable view of one layer: its metadata, its features sorted by id, and an
// R-tree over their bounds. Readers get snapshots from [Index.Layer] or [Index.Layers] and may
// use them from any goroutine without locking; a snapshot never changes after it is published.
type Snapshot struct {
	Layer    Layer
	features []*Feature // sorted by ID
	tree     *rtree.RTreeG[*Feature]
	classes  *ClassTable // campaign classes as of a date, when a reader asked for them
}

// Features returns the layer's features in id order. The slice and the features are shared
// and must not be modified.
func (s *Snapshot) Features() []*Feature { return s.features }

// Len returns the number of features.
func (s *Snapshot) Len() int { return len(s.features) }

// Feature returns the feature with the given id, or nil.
func (s *Snapshot) Feature(id FeatureID) *Feature {
	i, ok := s.index(id)
	if !ok {
		return nil
	}
	return s.features[i]
}

// index returns the position of feature id in the snapshot's features.
func (s *Snapshot) index(id FeatureID) (int, bool) {
	return slices.BinarySearchFunc(s.features, id, func(f *Feature, id FeatureID) int {
		switch {
		case f.ID < id:
			return -1
		case f.ID > id:
			return 1
		}
		return 0
	})
}

// Search calls fn for every feature whose bounding box intersects b (lon/lat degrees) until fn
// returns false. The order is unspecified.
func (s *Snapshot) Search(b orb.Bound, fn func(*Feature) bool) {
	s.tree.Search([2]float64(b.Min), [2]float64(b.Max), func(_, _ [2]float64, f *Feature) bool {
		return fn(f)
	})
}

// SearchBounds is [Snapshot.Search] that also passes each feature's bounding box, as the index
// holds it.
func (s *Snapshot) SearchBounds(b orb.Bound, fn func(*Feature, orb.Bound) bool) {
	s.tree.Search([2]float64(b.Min), [2]float64(b.Max), func(min, max [2]float64, f *Feature) bool {
		return fn(f, orb.Bound{Min: min, Max: max})
	})
}

// NewSnapshot builds a snapshot of a layer from its features. It sorts features by id, fills
// layer.FeatureCount and layer.Bound, and takes ownership of the slice.
func NewSnapshot(layer Layer, features []*Feature) *Snapshot {
	sort.Slice(features, func(i, j int) bool { return features[i].ID < features[j].ID })
	tr := &rtree.RTreeG[*Feature]{}
	var bound orb.Bound
	for i, f := range features {
		b := f.Bound()
		if i == 0 {
			bound = b
		} else {
			bound = bound.Union(b)
		}
		tr.Insert([2]float64(b.Min), [2]float64(b.Max), f)
	}
	layer.FeatureCount = len(features)
	layer.Bound = bound
	return &Snapshot{Layer: layer, features: features, tree: tr}
}

// WithFeatures returns a new snapshot in which the given features replace the features with the
// same ids, with layer metadata meta. s is unchanged; the R-tree is shared copy-on-write.
// Features whose id is not in s are ignored.
//
// Only the single writer of an [Index] may call it (the R-tree copy is not safe for concurrent
// use); readers of s are not disturbed.
func (s *Snapshot) WithFeatures(meta Layer, changed []*Feature) *Snapshot {
	tr := s.tree.Copy()
	features := slices.Clone(s.features)
	for _, f := range changed {
		old := s.Feature(f.ID)
		if old == nil {
			continue
		}
		i, _ := slices.BinarySearchFunc(features, f.ID, func(x *Feature, id FeatureID) int {
			return int(min(max(int64(x.ID)-int64(id), -1), 1))
		})
		ob := old.Bound()
		tr.Delete([2]float64(ob.Min), [2]float64(ob.Max), old)
		nb := f.Bound()
		tr.Insert([2]float64(nb.Min), [2]float64(nb.Max), f)
		features[i] = f
	}
	meta.FeatureCount, meta.Bound = len(features), boundOf(tr)
	return &Snapshot{Layer: meta, features: features, tree: tr}
}

// boundOf returns the union of the bounds of the tree's features, which the tree keeps (an edit
// does not walk every geometry of the layer again).
func boundOf(tr *rtree.RTreeG[*Feature]) orb.Bound {
	if tr.Len() == 0 {
		return orb.Bound{}
	}
	min, max := tr.Bounds()
	return orb.Bound{Min: min, Max: max}
}

// WithEdits returns a new snapshot in which put features replace those with the same ids or are
// added, and the features with ids in removed are gone, with layer metadata meta. Like
// [Snapshot.WithFeatures] it leaves s unchanged and may only be called by the index's writer.
func (s *Snapshot) WithEdits(meta Layer, put []*Feature, removed []FeatureID) *Snapshot {
	var added []*Feature
	var changed []*Feature
	for _, f := range put {
		if s.Feature(f.ID) == nil {
			added = append(added, f)
		} else {
			changed = append(changed, f)
		}
	}
	next := s.WithFeatures(meta, changed)
	if len(added) == 0 && len(removed) == 0 {
		return next
	}
	features := next.features[:len(next.features):len(next.features)]
	for _, id := range removed {
		i, ok := slices.BinarySearchFunc(features, id, func(x *Feature, id FeatureID) int {
			return int(min(max(int64(x.ID)-int64(id), -1), 1))
		})
		if !ok {
			continue
		}
		old := features[i]
		b := old.Bound()
		next.tree.Delete([2]float64(b.Min), [2]float64(b.Max), old)
		features = slices.Delete(slices.Clone(features), i, i+1)
	}
	for _, f := range added {
		i, _ := slices.BinarySearchFunc(features, f.ID, func(x *Feature, id FeatureID) int {
			return int(min(max(int64(x.ID)-int64(id), -1), 1))
		})
		features = slices.Insert(slices.Clone(features), i, f)
		b := f.Bound()
		next.tree.Insert([2]float64(b.Min), [2]float64(b.Max), f)
	}
	meta = next.Layer
	meta.FeatureCount, meta.Bound = len(features), boundOf(next.tree)
	return &Snapshot{Layer: meta, features: features, tree: next.tree}
}

// Index holds the current snapshot of every layer. Readers call [Index.Layer] and
// [Index.Layers] from any goroutine, lock-free. Writers call [Index.Put] and [Index.Remove];
// these are serialised by an internal mutex and publish a new catalogue atomically, so a reader
// sees either the old or the new version of a layer, never a mix.
//
// Its zero value is an empty index ready to use.
type Index struct {
	mu  sync.Mutex
	cur atomic.Pointer[map[string]*Snapshot]
}

// Layer returns the current snapshot of layer id, or nil if there is none.
func (x *Index) Layer(id string) *Snapshot {
	m := x.cur.Load()
	if m == nil {
		return nil
	}
	return (*m)[id]
}

// Layers returns the current snapshots of all layers sorted by layer id.
func (x *Index) Layers() []*Snapshot {
	m := x.cur.Load()
	if m == nil {
		return nil
	}
	out := make([]*Snapshot, 0, len(*m))
	for _, s := range *m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Layer.ID < out[j].Layer.ID })
	return out
}

// Put publishes s as the current snapshot of layer s.Layer.ID.
func (x *Index) Put(s *Snapshot) {
	x.Update(func(m map[string]*Snapshot) { m[s.Layer.ID] = s })
}

// Remove removes layer id from the index.
func (x *Index) Remove(id string) {
	x.Update(func(m map[string]*Snapshot) { delete(m, id) })
}

// Update runs fn on a copy of the catalogue (layer id → snapshot) while holding the writer lock,
// then publishes the copy. Use it to replace several layers at once or to derive a new snapshot
// from the current one without racing other writers.
func (x *Index) Update(fn func(m map[string]*Snapshot)) {
	x.mu.Lock()
	defer x.mu.Unlock()
	m := map[string]*Snapshot{}
	if old := x.cur.Load(); old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	fn(m)
	x.cur.Store(&m)
}

// WithLayer returns a snapshot with new layer metadata and the same features. FeatureCount and
// Bound are kept from s.
func (s *Snapshot) WithLayer(meta Layer) *Snapshot {
	meta.FeatureCount, meta.Bound = s.Layer.FeatureCount, s.Layer.Bound
	return &Snapshot{Layer: meta, features: s.features, tree: s.tree}
}
