package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"hash/fnv"
	"sync"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// Tile is a rendered tile ready to send. Its byte slices may be shared with the cache and must
// not be modified.
type Tile struct {
	MVT  []byte // uncompressed MVT; nil for an empty tile (HTTP 204)
	Gzip []byte // gzip of MVT; nil for an empty tile, or when the service has no cache
	ETag string // strong entity tag of the uncompressed MVT, quoted: "\"1a2b…\""

	gzipETag string // GzipETag, made once by NewTile
}

// Empty reports whether the tile has no features.
func (t Tile) Empty() bool { return len(t.MVT) == 0 }

// GzipETag returns the strong entity tag of the gzip representation: a strong validator must
// differ between content codings (RFC 9110 §8.8.1), so it is ETag with "-gz" appended inside
// the quotes.
func (t Tile) GzipETag() string {
	if t.gzipETag != "" {
		return t.gzipETag
	}
	if len(t.ETag) < 2 {
		return t.ETag
	}
	return t.ETag[:len(t.ETag)-1] + "-gz\""
}

// Gzipped returns t.Gzip, compressing MVT first if the service did not.
func (t *Tile) Gzipped() []byte {
	if t.Gzip == nil && len(t.MVT) > 0 {
		t.Gzip = gzipBytes(t.MVT)
	}
	return t.Gzip
}

// NewTile wraps rendered MVT bytes in a [Tile] with its ETag and, if withGzip, its gzip.
//
// The ETag is the FNV-1a 64-bit hash of the MVT bytes in hex. A strong ETag could be made "from
// layer version + tile"; a content hash is strictly more precise: it changes whenever the bytes
// change and, because rendering is deterministic (features in id order, tables in first-use
// order), it stays the same when an edit elsewhere in the layer bumps the version but leaves
// this tile's bytes alone, so clients keep their 304s across unrelated edits and server
// restarts.
func NewTile(mvt []byte, withGzip bool) Tile {
	h := fnv.New64a()
	h.Write(mvt)
	var sum [8]byte
	var tag [2 + 16]byte
	tag[0], tag[17] = '"', '"'
	hex.Encode(tag[1:17], h.Sum(sum[:0]))
	t := Tile{MVT: mvt, ETag: string(tag[:])}
	t.gzipETag = t.GzipETag()
	if withGzip && len(mvt) > 0 {
		t.Gzip = gzipBytes(mvt)
	}
	return t
}

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return w
}}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b)/2 + 64)
	w := gzipPool.Get().(*gzip.Writer)
	w.Reset(&buf)
	w.Write(b) // writes to a bytes.Buffer cannot fail
	w.Close()
	gzipPool.Put(w)
	return buf.Bytes()
}

// Service combines a [Renderer] and a [Cache]: what an HTTP tile handler needs. It is safe for
// concurrent use.
type Service struct {
	r *Renderer
	c *Cache
}

// NewService returns a service rendering with r and caching in c (nil or disabled: no cache).
func NewService(r *Renderer, c *Cache) *Service { return &Service{r: r, c: c} }

// Renderer returns the service's renderer.
func (s *Service) Renderer() *Renderer { return s.r }

// Cache returns the service's cache (possibly nil).
func (s *Service) Cache() *Cache { return s.c }

// Tile returns tile c of the given layer snapshots: from the cache when a valid entry exists,
// else rendered (and gzipped once, when the cache is enabled) and cached. An empty tile has a
// nil MVT. Errors are those of [Renderer.Render].
func (s *Service) Tile(ctx context.Context, layers []*spatial.Snapshot, c Coord) (Tile, error) {
	if t, ok := s.c.Get(layers, c); ok {
		return t, nil
	}
	mvt, err := s.r.Render(ctx, layers, c)
	if err != nil {
		return Tile{}, err
	}
	cached := s.c.Enabled()
	t := NewTile(mvt, cached)
	if cached {
		s.c.Put(layers, c, s.r.Area(c), t)
	}
	return t, nil
}

// Invalidate forwards to [Cache.Invalidate]; see there.
func (s *Service) Invalidate(layerID string, version uint64, bounds ...orb.Bound) {
	s.c.Invalidate(layerID, version, bounds...)
}

// InvalidateLayer forwards to [Cache.InvalidateLayer].
func (s *Service) InvalidateLayer(layerID string, version uint64) {
	s.c.InvalidateLayer(layerID, version)
}

// DropLayer forwards to [Cache.DropLayer].
func (s *Service) DropLayer(layerID string) { s.c.DropLayer(layerID) }
