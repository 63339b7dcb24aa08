package tiles

import (
	"slices"
	"sync"
	"weak"

	"github.com/mudi-gis/mudi/spatial"
)

// Property tables: resolving a feature's tile properties means one map lookup in its Attrs per
// carried field (about twenty at the detail zoom), and with a hundred thousand attribute maps
// spread over the heap nearly every lookup is a cache miss — it was half of the rendering time
// of a z14 tile. So, as martin's sources project once at load, the renderer resolves the
// carried fields of every feature of a snapshot once, the first time it renders the snapshot:
// a cell per feature and field with the value's kind and bits, strings interned. Rendering a
// feature then reads its cells, and a tile appends each interned string on its first use
// without hashing it (layerBuf.tableString), so the tile's bytes are exactly those of the
// direct path. The same entry keeps the extents of the features' bounds, which the sub-pixel
// rule of low zooms needs for every candidate.
//
// Tables are built per snapshot (snapshots are immutable) and per field selection (below and
// from the detail zoom). The renderer keeps those of the two latest snapshots it rendered of
// each layer (so that tiles still rendering the previous version while the next is published
// do not make them flip), referring to the snapshots weakly: a replaced or deleted layer is not
// kept alive, and its tables go at the next new snapshot or with [Service.DropLayer]. A new
// version of a layer (an edit, a replace) is resolved again on its first tile: about 0.4 s and
// 20 MB for 100 000 parcels with twenty carried fields.

// propTable is the resolved tile properties of one snapshot for one field selection: a cell
// per feature and field, holding the value's kind (0: no value) and either its bits (numbers,
// booleans, as in valueKey.u) or the id of an interned string.
type propTable struct {
	names []string    // carried source fields, in key-slot order
	strs  []string    // interned strings; strs[0] is unused
	kinds []valueKind // per cell
	cells []uint64    // per cell
}

// buildPropTable resolves names for every feature of s.
func buildPropTable(s *spatial.Snapshot, names []string) *propTable {
	fs := s.Features()
	w := len(names)
	t := &propTable{names: slices.Clone(names), strs: make([]string, 1, 1024),
		kinds: make([]valueKind, len(fs)*w), cells: make([]uint64, len(fs)*w)}
	// Strings are interned: each is once in the table, which lets a tile append a string on its
	// first use without hashing it (layerBuf.tableString).
	intern := map[string]uint32{}
	for i, f := range fs {
		for j, name := range names {
			v, ok := f.Attrs.Get(name)
			if !ok {
				continue
			}
			vk, ok := toValue(v)
			if !ok {
				continue
			}
			c := i*w + j
			t.kinds[c] = vk.kind
			if vk.kind != kindString {
				t.cells[c] = vk.u
				continue
			}
			id, ok := intern[vk.s]
			if !ok {
				id = uint32(len(t.strs))
				t.strs = append(t.strs, vk.s)
				intern[vk.s] = id
			}
			t.cells[c] = uint64(id)
		}
	}
	t.strs = slices.Clip(t.strs)
	return t
}

// propTables caches the entries of the two latest snapshots rendered of each layer. It is safe
// for concurrent use; a table is built once even when several tiles of a new snapshot are
// rendered at the same time.
type propTables struct {
	mu     sync.Mutex
	layers map[string]*[2]*propEntry // [0] the latest
}

// propEntry holds what the renderer resolved of one snapshot: the row of each feature (its
// position in the snapshot), the extents of the features' bounds for the size rule of low zooms,
// and the property tables.
type propEntry struct {
	snap weak.Pointer[spatial.Snapshot]

	idxOnce sync.Once
	dense   []int32 // id → row+1, when ids are dense
	sparse  map[spatial.FeatureID]int32

	extOnce sync.Once
	ext     []float64 // per row: longitude extent (degrees), Web Mercator world-y extent

	once  [2]sync.Once
	table [2]*propTable // [0] below the detail zoom, [1] from it
}

// rowOf returns the row of f in snapshot s (the entry's snapshot), or -1.
func (e *propEntry) rowOf(s *spatial.Snapshot, f *spatial.Feature) int32 {
	e.idxOnce.Do(func() {
		fs := s.Features()
		if n := len(fs); n > 0 && uint64(fs[n-1].ID) <= 2*uint64(n)+1024 {
			e.dense = make([]int32, fs[n-1].ID+1)
			for i, f := range fs {
				e.dense[f.ID] = int32(i + 1)
			}
		} else {
			e.sparse = make(map[spatial.FeatureID]int32, n)
			for i, f := range fs {
				e.sparse[f.ID] = int32(i + 1)
			}
		}
	})
	var r int32
	if e.dense != nil {
		if uint64(f.ID) < uint64(len(e.dense)) {
			r = e.dense[f.ID]
		}
	} else {
		r = e.sparse[f.ID]
	}
	if r == 0 || s.Features()[r-1] != f {
		return -1
	}
	return r - 1
}

// extents returns, per row, the longitude extent of the feature's bound (degrees) and its
// extent in Web Mercator world y (latToWorld of its south minus its north edge), the numbers
// the size rule multiplies by the zoom's scale.
func (e *propEntry) extents(s *spatial.Snapshot) []float64 {
	e.extOnce.Do(func() {
		fs := s.Features()
		e.ext = make([]float64, 2*len(fs))
		for i, f := range fs {
			b := f.Bound()
			e.ext[2*i] = b.Max[0] - b.Min[0]
			e.ext[2*i+1] = latToWorld(b.Min[1]) - latToWorld(b.Max[1])
		}
	})
	return e.ext
}

// table returns the property table for selection sel (0 below the detail zoom, 1 from it) and
// field names, building it on first use, or nil if names differ from those the table was
// built with (the caller then looks attributes up directly).
func (e *propEntry) propTable(s *spatial.Snapshot, sel int, names []string) *propTable {
	e.once[sel].Do(func() { e.table[sel] = buildPropTable(s, names) })
	if t := e.table[sel]; slices.Equal(t.names, names) {
		return t
	}
	return nil
}

// entry returns the entry of snapshot s.
func (p *propTables) entry(s *spatial.Snapshot) *propEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.layers == nil {
		p.layers = map[string]*[2]*propEntry{}
	}
	slot := p.layers[s.Layer.ID]
	if slot == nil {
		slot = &[2]*propEntry{}
	}
	for _, c := range slot {
		if c != nil && c.snap.Value() == s {
			return c
		}
	}
	e := &propEntry{snap: weak.Make(s)}
	slot[0], slot[1] = e, slot[0]
	p.layers[s.Layer.ID] = slot
	// Forget the tables of snapshots that are gone (older versions, deleted layers).
	for id, sl := range p.layers {
		for i, c := range sl {
			if c != nil && c.snap.Value() == nil {
				sl[i] = nil
			}
		}
		if sl[0] == nil && sl[1] == nil {
			delete(p.layers, id)
		}
	}
	return e
}

// drop forgets the tables of layer id.
func (p *propTables) drop(id string) {
	p.mu.Lock()
	delete(p.layers, id)
	p.mu.Unlock()
}
