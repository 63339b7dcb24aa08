package tiles

import (
	"sort"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// Cache is an in-memory LRU cache of rendered tiles bounded by bytes, safe for concurrent use.
//
// # Exact invalidation
//
// Entries are keyed by the requested layer ids and tile, and record the version of each layer
// they were rendered from and the lon/lat area of the tile's buffered square. The cache keeps,
// per layer, a log of changes fed by [Cache.Invalidate]: "version v changed these bounds". An
// entry rendered from version ve is served to a request holding a snapshot of version vc only
// if no logged change between ve and vc intersects the entry's area — so an edit invalidates
// exactly the tiles whose buffered square its old or new bound touches, and every other tile
// stays cached across the edit. Because validity is decided on every Get against the
// requester's own snapshot versions:
//
//   - an edit is visible to the next request that holds the new snapshot, whether Invalidate
//     was called before or after the snapshot was published: a version the log does not know
//     yet counts as "anything may have changed";
//   - a render that started on an older snapshot and is Put after an invalidation carries the
//     older version, so it is never served to a request holding the newer snapshot when the
//     change touched the tile.
//
// Layer versions must increase with every change of a layer (see [spatial.Layer.Version]) and
// every change must be reported with Invalidate (the bounds of the old and the new geometry of
// each changed feature; [Cache.InvalidateLayer] for a change of the whole layer, such as a
// replace or a change of roles). When a layer is deleted, call [Cache.DropLayer]: its id may be
// reused with versions starting again.
//
// The log keeps the last 1024 changes per layer; entries older than the log are re-rendered.
// NewCache(0) returns a disabled cache: Get always misses and Put does nothing.
type Cache struct {
	maxBytes int64

	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
	head    cacheEntry // sentinel of the LRU list: head.next is the most recently used
	bytes   int64
	logs    map[string]*changeLog
	stats   CacheStats
}

// CacheStats are counters for monitoring.
type CacheStats struct {
	Entries   int
	Bytes     int64
	Hits      uint64
	Misses    uint64
	Evictions uint64 // entries removed for space or found stale
}

type cacheKey struct {
	layers string // layer ids joined by ","
	c      Coord
}

type cacheEntry struct {
	key        cacheKey
	tile       Tile
	area       orb.Bound
	vers       []layerVersion
	size       int64
	prev, next *cacheEntry
}

type layerVersion struct {
	log *changeLog // identity of the layer's log: a dropped layer gets a new one
	v   uint64
}

// changeLog is the change history of one layer: every change with version in (floor, latest]
// is in recs, sorted by version.
type changeLog struct {
	floor, latest uint64
	recs          []change
}

type change struct {
	v      uint64
	bounds []orb.Bound // nil: nothing a tile shows changed
}

const maxLogChanges = 1024

// entryOverhead approximates the memory of an entry beyond its tile bytes.
const entryOverhead = 256

// NewCache returns a cache holding at most maxBytes of tiles (raw and gzip counted); 0 or less
// disables it.
func NewCache(maxBytes int64) *Cache {
	c := &Cache{
		maxBytes: maxBytes,
		entries:  make(map[cacheKey]*cacheEntry),
		logs:     make(map[string]*changeLog),
	}
	c.head.next, c.head.prev = &c.head, &c.head
	return c
}

// Enabled reports whether the cache stores anything.
func (c *Cache) Enabled() bool { return c != nil && c.maxBytes > 0 }

// makeKey names a tile of layers: the layer ids and, for a snapshot that carries campaign
// classes, their date — classes change with the date, not with the layer's version.
func makeKey(layers []*spatial.Snapshot, coord Coord) cacheKey {
	if len(layers) == 1 && layers[0] != nil && layers[0].Classes() == nil {
		return cacheKey{layers[0].Layer.ID, coord}
	}
	var b strings.Builder
	for i, l := range layers {
		if i > 0 {
			b.WriteByte(',')
		}
		if l != nil {
			b.WriteString(l.Layer.ID)
			if c := l.Classes(); c != nil {
				b.WriteString("@" + c.Date)
			}
		}
	}
	return cacheKey{b.String(), coord}
}

// Get returns the cached tile for these layer snapshots and tile coordinate, if there is one
// that is valid for the snapshots' versions (see [Cache]).
func (c *Cache) Get(layers []*spatial.Snapshot, coord Coord) (Tile, bool) {
	if !c.Enabled() {
		return Tile{}, false
	}
	key := makeKey(layers, coord)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil || len(e.vers) != len(layers) {
		c.stats.Misses++
		return Tile{}, false
	}
	stale := false
	for i, snap := range layers {
		if snap == nil {
			continue
		}
		ev := e.vers[i]
		lg := c.logs[snap.Layer.ID]
		if ev.log != lg {
			stale = true
			break
		}
		cur := snap.Layer.Version
		if ev.v == cur {
			continue
		}
		if !lg.unchanged(ev.v, cur, e.area) {
			if cur < ev.v {
				// The requester's snapshot is older than the entry: the entry may still be
				// right for newer snapshots, so keep it.
				c.stats.Misses++
				return Tile{}, false
			}
			stale = true
			break
		}
	}
	if stale {
		c.remove(e)
		c.stats.Evictions++
		c.stats.Misses++
		return Tile{}, false
	}
	// Valid for the requester's versions: advance the entry to them so later checks scan
	// only newer changes.
	for i, snap := range layers {
		if snap != nil && snap.Layer.Version > e.vers[i].v {
			e.vers[i].v = snap.Layer.Version
		}
	}
	c.moveToFront(e)
	c.stats.Hits++
	return e.tile, true
}

// Put stores a tile rendered from these layer snapshots. area is the lon/lat bound of the tile's
// buffered square ([Renderer.Area]): changes intersecting it invalidate the entry. The tile's
// byte slices must not be modified afterwards.
func (c *Cache) Put(layers []*spatial.Snapshot, coord Coord, area orb.Bound, t Tile) {
	if !c.Enabled() {
		return
	}
	size := int64(len(t.MVT)+len(t.Gzip)+len(t.ETag)) + entryOverhead
	if size > c.maxBytes {
		return
	}
	key := makeKey(layers, coord)
	c.mu.Lock()
	defer c.mu.Unlock()
	vers := make([]layerVersion, len(layers))
	for i, snap := range layers {
		if snap == nil {
			continue
		}
		v := snap.Layer.Version
		lg := c.logs[snap.Layer.ID]
		if lg == nil {
			lg = &changeLog{floor: v, latest: v}
			c.logs[snap.Layer.ID] = lg
		}
		if v < lg.floor {
			return // older than the change log: could never be validated
		}
		vers[i] = layerVersion{lg, v}
	}
	if old := c.entries[key]; old != nil {
		newer := false
		for i := range old.vers {
			if old.vers[i].log == vers[i].log && old.vers[i].v > vers[i].v {
				newer = true
			}
		}
		if newer {
			return // keep the entry rendered from newer snapshots
		}
		c.remove(old)
	}
	e := &cacheEntry{key: key, tile: t, area: area, vers: vers, size: size}
	c.entries[key] = e
	c.bytes += size
	c.pushFront(e)
	for c.bytes > c.maxBytes && c.head.prev != &c.head {
		c.remove(c.head.prev)
		c.stats.Evictions++
	}
}

// Invalidate records that version of layer layerID changed what tiles show within bounds
// (lon/lat): pass the bound of the old and of the new geometry of every changed feature. With
// no bounds it records a version that changed nothing a tile shows (e.g. a title). Call it for
// every new version, in version order, before or after publishing the snapshot.
func (c *Cache) Invalidate(layerID string, version uint64, bounds ...orb.Bound) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	lg := c.logs[layerID]
	if lg == nil {
		// Nothing cached from this layer yet: entries will start at or after this version.
		c.logs[layerID] = &changeLog{floor: version, latest: version}
		return
	}
	if version <= lg.floor {
		return
	}
	rec := change{v: version}
	if len(bounds) > 0 {
		rec.bounds = append([]orb.Bound(nil), bounds...)
	}
	i := sort.Search(len(lg.recs), func(i int) bool { return lg.recs[i].v >= version })
	if i < len(lg.recs) && lg.recs[i].v == version {
		lg.recs[i].bounds = append(lg.recs[i].bounds, rec.bounds...)
	} else {
		lg.recs = append(lg.recs, change{})
		copy(lg.recs[i+1:], lg.recs[i:])
		lg.recs[i] = rec
	}
	lg.latest = max(lg.latest, version)
	if n := len(lg.recs); n > maxLogChanges {
		drop := n - maxLogChanges
		lg.floor = lg.recs[drop-1].v
		lg.recs = append([]change(nil), lg.recs[drop:]...)
	}
}

// InvalidateLayer records that version of layer layerID may have changed every tile (a replace,
// a re-import, a change of roles): entries rendered from older versions are never served again.
func (c *Cache) InvalidateLayer(layerID string, version uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	lg := c.logs[layerID]
	if lg == nil {
		c.logs[layerID] = &changeLog{floor: version, latest: version}
		return
	}
	if version <= lg.floor {
		return
	}
	lg.floor = version
	lg.latest = max(lg.latest, version)
	i := sort.Search(len(lg.recs), func(i int) bool { return lg.recs[i].v > version })
	lg.recs = append([]change(nil), lg.recs[i:]...)
}

// DropLayer forgets layer layerID: entries rendered from it are never served again, and a new
// layer with the same id starts a new history (its versions may start again from 1).
func (c *Cache) DropLayer(layerID string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.logs, layerID)
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries = len(c.entries)
	s.Bytes = c.bytes
	return s
}

// unchanged reports whether no change with version between a and b (either order) intersects
// area, and whether the log covers that range at all.
func (lg *changeLog) unchanged(a, b uint64, area orb.Bound) bool {
	lo, hi := min(a, b), max(a, b)
	if lo < lg.floor || hi > lg.latest {
		return false
	}
	// A change recorded at version v covers everything after the previous record up to v, so
	// check records above lo up to and including the first at or above hi.
	i := sort.Search(len(lg.recs), func(i int) bool { return lg.recs[i].v > lo })
	for ; i < len(lg.recs); i++ {
		r := &lg.recs[i]
		for _, b := range r.bounds {
			if b.Intersects(area) {
				return false
			}
		}
		if r.v >= hi {
			break
		}
	}
	return true
}

func (c *Cache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.head, c.head.next
	e.next.prev = e
	c.head.next = e
}

func (c *Cache) moveToFront(e *cacheEntry) {
	if c.head.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	c.pushFront(e)
}

func (c *Cache) remove(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(c.entries, e.key)
	c.bytes -= e.size
}
