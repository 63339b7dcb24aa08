package tiles

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// Options configure a [Renderer]. The zero value gives the defaults documented on each field.
type Options struct {
	// Extent is the size of the tile grid, in tile units (default 4096).
	Extent uint32
	// Buffer is the margin around the tile, in tile units, inside which geometry is kept
	// (default 64). Features intersecting the buffered square are part of the tile.
	Buffer uint32

	// KeepAllZoom is the lowest zoom at which every feature intersecting a tile's buffered square
	// is encoded, whatever its size (default 12). Below it MinPixelArea and MaxTileBytes apply.
	KeepAllZoom Zoom
	// MinPixelArea drops, below KeepAllZoom, features whose bounding box covers less than this
	// many screen pixels, taking a tile as 256×256 pixels (default 1; negative: keep all).
	MinPixelArea float64
	// MaxTileBytes bounds the encoded size of a tile below KeepAllZoom (default 500 000 bytes;
	// negative: unbounded). When a tile would exceed it, the smallest features (by bounding box)
	// are left out; several layers share the budget fairly.
	MaxTileBytes int

	// AllAttributes makes tiles of parcels layers carry every attribute of the layer's schema
	// (and attributes outside it). By default they carry the layer's role fields and
	// StyleFields only, which keeps tiles small. Control and derived layers always carry their
	// whole schema.
	AllAttributes bool
	// StyleFields are the source attributes carried besides the role fields when AllAttributes
	// is false (default [DefaultStyleFields]).
	StyleFields []string
	// DetailZoom is the lowest zoom at which parcels carry the attributes above (default 14).
	// Below it they carry only ClassFields and the layer's "status" role field — the
	// low-cardinality classes a map colours and filters by — plus every derived attribute,
	// which keeps dense z12–z13 tiles, where every parcel must be present, under 500 KB. A
	// client wanting a parcel's details at those zooms asks the features API by feature id.
	DetailZoom Zoom
	// ClassFields are the source attributes of parcels below DetailZoom (default
	// [DefaultClassFields]).
	ClassFields []string

	// MaxZoom is the highest zoom advertised by [Renderer.TileJSON] and [Renderer.Metadata]
	// (default 18); clients overzoom beyond it. Render itself accepts zooms up to [MaxZoom].
	MaxZoom Zoom
}

// Defaults.
const (
	DefaultExtent       = 4096
	DefaultBuffer       = 64
	DefaultKeepAllZoom  = 12
	DefaultMaxTileBytes = 500_000
	DefaultMaxZoom      = 18
	DefaultDetailZoom   = 14
)

// maxBudgetOvershoot is kept free under MaxTileBytes for the tile and layer framing and for the
// values of the feature that crossed the budget (they stay in the value table).
const maxBudgetOvershoot = 4096

// Renderer renders Mapbox Vector Tiles (MVT 2.1) from layer snapshots. It is safe for
// concurrent use and never modifies the snapshots.
//
// The pipeline for each layer and tile:
//
//  1. query the snapshot's R-tree with the tile's buffered square in lon/lat ([Renderer.Area]);
//  2. below KeepAllZoom, drop features under MinPixelArea and rank the rest by size;
//  3. sort by feature id, so a tile's bytes depend only on its content;
//  4. per ring: project lon/lat to float tile pixels (Web Mercator), clip to the buffered square
//     (Sutherland–Hodgman with canonically ordered intersections), snap to the integer grid,
//     drop consecutive duplicates and A-B-A spikes, drop rings with fewer than three distinct
//     points or zero area, and orient exterior rings to positive and holes to negative area by
//     the surveyor's formula in tile coordinates (MVT 2.1 §4.3.4.4); a hole whose exterior was
//     dropped is dropped;
//  5. keep the feature if its polygon interior intersects the buffered square (decided on the
//     float geometry, before snapping); if, at or above KeepAllZoom, snapping left nothing of it,
//     encode a 1×1 unit square at its position so the feature id is still in the tile;
//  6. encode geometry with MoveTo/LineTo/ClosePath commands and zigzag deltas, properties as
//     typed values (nil omitted) in per-layer de-duplicated key and value tables.
//
// No simplification other than snapping and duplicate removal is done, so parcels sharing an
// edge encode the same vertices along it at every zoom.
type Renderer struct {
	opts  Options
	style []string
	class []string
	pool  sync.Pool // *scratch
}

// NewRenderer returns a renderer with the given options, zero fields taking their defaults.
// It fails when Buffer is larger than Extent or Extent exceeds 1<<20.
func NewRenderer(o Options) (*Renderer, error) {
	if o.Extent == 0 {
		o.Extent = DefaultExtent
	}
	if o.Buffer == 0 {
		o.Buffer = DefaultBuffer
	}
	if o.KeepAllZoom == 0 {
		o.KeepAllZoom = DefaultKeepAllZoom
	}
	if o.MinPixelArea == 0 {
		o.MinPixelArea = 1
	}
	if o.MaxTileBytes == 0 {
		o.MaxTileBytes = DefaultMaxTileBytes
	}
	if o.MaxZoom == 0 {
		o.MaxZoom = DefaultMaxZoom
	}
	if o.DetailZoom == 0 {
		o.DetailZoom = DefaultDetailZoom
	}
	switch {
	case o.Extent > 1<<20:
		return nil, fmt.Errorf("tiles: extent %d exceeds %d", o.Extent, 1<<20)
	case o.Buffer > o.Extent:
		return nil, fmt.Errorf("tiles: buffer %d exceeds extent %d", o.Buffer, o.Extent)
	case !o.MaxZoom.Valid() || !o.KeepAllZoom.Valid() || !o.DetailZoom.Valid():
		return nil, fmt.Errorf("tiles: zoom above %d: %w", MaxZoom, ErrOutOfRange)
	}
	r := &Renderer{opts: o, style: o.StyleFields, class: o.ClassFields}
	if r.style == nil {
		r.style = DefaultStyleFields()
	}
	if r.class == nil {
		r.class = DefaultClassFields()
	}
	r.opts.StyleFields = slices.Clone(r.style)
	r.opts.ClassFields = slices.Clone(r.class)
	return r, nil
}

// Options returns the effective options, defaults filled in.
func (r *Renderer) Options() Options {
	o := r.opts
	o.StyleFields = slices.Clone(o.StyleFields)
	o.ClassFields = slices.Clone(o.ClassFields)
	return o
}

// Area returns the lon/lat bound of tile c's buffered square: the region whose features are in
// the tile and whose changes invalidate it.
func (r *Renderer) Area(c Coord) orb.Bound {
	n := float64(c.Z.Size()) * float64(r.opts.Extent)
	e, b := float64(r.opts.Extent), float64(r.opts.Buffer)
	x0 := (float64(c.X)*e - b) / n
	x1 := (float64(c.X+1)*e + b) / n
	y0 := max(0, (float64(c.Y)*e-b)/n)
	y1 := min(1, (float64(c.Y+1)*e+b)/n)
	const pad = 1e-9 // degrees, against rounding in the inverse projection
	sw := WorldToLonLat(x0, y1)
	ne := WorldToLonLat(x1, y0)
	return orb.Bound{
		Min: orb.Point{sw[0] - pad, sw[1] - pad},
		Max: orb.Point{ne[0] + pad, ne[1] + pad},
	}
}

// Render returns the uncompressed MVT of tile c with one layer per snapshot, named by the
// layer id, in the order given (nil snapshots and repeated layer ids are skipped). Layers
// without features in the tile are left out; when no layer has any, Render returns nil and no
// error (an empty tile, which HTTP answers with 204).
//
// It returns an error wrapping [ErrOutOfRange] for an invalid c, and ctx.Err() when ctx is
// cancelled while rendering.
func (r *Renderer) Render(ctx context.Context, layers []*spatial.Snapshot, c Coord) ([]byte, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("tiles: render %v: %w", c, ErrOutOfRange)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := r.getScratch(len(layers))
	defer r.putScratch(s)

	t := newXform(c, r.opts.Extent, r.opts.Buffer)
	area := r.Area(c)
	budget := -1
	if c.Z < r.opts.KeepAllZoom && r.opts.MaxTileBytes > 0 {
		budget = max(0, r.opts.MaxTileBytes-maxBudgetOvershoot)
	}
	total := 0
	for i, snap := range layers {
		if snap == nil || slices.ContainsFunc(layers[:i], func(o *spatial.Snapshot) bool {
			return o != nil && o.Layer.ID == snap.Layer.ID
		}) {
			continue // layer names must be unique in a tile
		}
		if err := r.encodeLayer(ctx, s, &s.layers[i], snap, &t, area, c.Z, budget); err != nil {
			return nil, err
		}
		total += s.layers[i].size()
	}
	if budget >= 0 && total > budget {
		if err := r.shareBudget(ctx, s, layers, &t, area, c.Z, budget); err != nil {
			return nil, err
		}
	}

	n := 0
	for i := range layers {
		if l := &s.layers[i]; l.nfeat > 0 {
			m := l.bodyLen()
			n += 1 + varintLen(uint64(m)) + m
		}
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]byte, 0, n)
	for i := range layers {
		if l := &s.layers[i]; l.nfeat > 0 {
			out = append(out, tagTileLayer)
			out = appendVarint(out, uint64(l.bodyLen()))
			out = l.appendBody(out)
		}
	}
	return out, nil
}

// shareBudget splits the byte budget between layers by water-filling (small layers keep all
// they need, the rest share the remainder equally) and re-renders the layers over their share.
func (r *Renderer) shareBudget(ctx context.Context, s *scratch, layers []*spatial.Snapshot, t *xform, area orb.Bound, z Zoom, budget int) error {
	order := make([]int, 0, len(layers))
	for i, snap := range layers {
		if snap != nil && s.layers[i].nfeat > 0 {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(s.layers[a].size(), s.layers[b].size()) })
	remaining := budget
	for k, i := range order {
		share := remaining / (len(order) - k)
		if size := s.layers[i].size(); size <= share {
			remaining -= size
			continue
		}
		if err := r.encodeLayer(ctx, s, &s.layers[i], layers[i], t, area, z, share); err != nil {
			return err
		}
		remaining -= s.layers[i].size()
	}
	return nil
}

type candidate struct {
	f    *spatial.Feature
	b    orb.Bound // f's bounding box, as the index holds it
	size float64   // bounding box, in screen pixels (low zooms only)
}

// encodeLayer renders one snapshot into l. budget < 0 means unbounded.
func (r *Renderer) encodeLayer(ctx context.Context, s *scratch, l *layerBuf, snap *spatial.Snapshot, t *xform, area orb.Bound, z Zoom, budget int) error {
	l.reset(snap.Layer.ID)
	l.snap = snap
	detail := z >= r.opts.DetailZoom
	l.allAttrs = r.opts.AllAttributes && detail
	l.names = r.sourceFields(l.names[:0], &snap.Layer, detail)
	l.resetKeys()
	l.slotsOK = false

	cands := s.cands[:0]
	snap.SearchBounds(area, func(f *spatial.Feature, b orb.Bound) bool {
		cands = append(cands, candidate{f: f, b: b})
		return true
	})
	defer func() {
		clear(cands) // do not pin old snapshots' features from the pool
		s.cands = cands[:0]
	}()

	keepAll := z >= r.opts.KeepAllZoom
	if keepAll {
		slices.SortFunc(cands, func(a, b candidate) int { return cmp.Compare(a.f.ID, b.f.ID) })
	} else {
		px := float64(r.opts.Extent) / 256 // tile units per screen pixel
		minPx := r.opts.MinPixelArea
		kept := cands[:0]
		for _, c := range cands {
			w := (c.b.Max[0] - c.b.Min[0]) * t.kx
			h := (latToWorld(c.b.Min[1]) - latToWorld(c.b.Max[1])) * t.scale
			c.size = w * h / (px * px)
			if minPx > 0 && c.size < minPx {
				continue
			}
			kept = append(kept, c)
		}
		clear(cands[len(kept):])
		cands = kept
		// Largest first, so that a byte budget drops the smallest features.
		slices.SortFunc(cands, func(a, b candidate) int {
			if c := cmp.Compare(b.size, a.size); c != 0 {
				return c
			}
			return cmp.Compare(a.f.ID, b.f.ID)
		})
	}

	for i, c := range cands {
		if i&255 == 255 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if budget >= 0 && l.size() >= budget {
			break
		}
		mark := len(l.feats)
		if !s.encodeFeature(l, c.f, t, keepAll) {
			continue
		}
		if budget >= 0 && l.size() > budget {
			l.feats = l.feats[:mark]
			l.nfeat--
			break
		}
	}
	return nil
}

// ringSpan locates one cleaned ring in scratch.pts.
type ringSpan struct{ start, end int }

// encodeFeature appends feature f to layer l and reports whether it did.
func (s *scratch) encodeFeature(l *layerBuf, f *spatial.Feature, t *xform, keepAll bool) bool {
	s.pts = s.pts[:0]
	s.rings = s.rings[:0]
	included := false
	var bestNet float64
	var bestPt fpt
	addPoly := func(p orb.Polygon) {
		net, pt := s.addPolygon(p, t)
		if net > 0 {
			included = true
			if net > bestNet {
				bestNet, bestPt = net, pt
			}
		}
	}
	switch g := f.Geometry.(type) {
	case orb.Polygon:
		addPoly(g)
	case orb.MultiPolygon:
		for _, p := range g {
			addPoly(p)
		}
	default:
		return false
	}
	if !included {
		return false
	}
	if len(s.rings) == 0 {
		if !keepAll {
			return false
		}
		// The feature intersects the tile but snapping collapsed it: keep a 1×1 square at its
		// position so that its id (and attributes) are still in the tile.
		lo, hi := int32(t.lo), int32(t.hi)-1
		x := min(max(int32(math.Floor(bestPt.x)), lo), hi)
		y := min(max(int32(math.Floor(bestPt.y)), lo), hi)
		s.pts = append(s.pts, ipt{x, y}, ipt{x + 1, y}, ipt{x + 1, y + 1}, ipt{x, y + 1})
		s.rings = append(s.rings, ringSpan{0, 4})
	}

	cmds := s.cmds[:0]
	var cx, cy int32
	for _, rs := range s.rings {
		ring := s.pts[rs.start:rs.end]
		p := ring[0]
		cmds = append(cmds, command(cmdMoveTo, 1), zigzag32(p.x-cx), zigzag32(p.y-cy))
		cmds = append(cmds, command(cmdLineTo, uint32(len(ring)-1)))
		cx, cy = p.x, p.y
		for _, p := range ring[1:] {
			cmds = append(cmds, zigzag32(p.x-cx), zigzag32(p.y-cy))
			cx, cy = p.x, p.y
		}
		cmds = append(cmds, command(cmdClosePath, 1))
	}
	s.cmds = cmds

	s.tags = l.appendTags(s.tags[:0], f, &s.extra)

	id := uint64(f.ID)
	geomLen := packedLen(cmds)
	n := 1 + varintLen(id) + featureTypeBytes + 1 + varintLen(uint64(geomLen)) + geomLen
	tagsLen := 0
	if len(s.tags) > 0 {
		tagsLen = packedLen(s.tags)
		n += 1 + varintLen(uint64(tagsLen)) + tagsLen
	}
	b := l.feats
	b = append(b, tagLayerFeature)
	b = appendVarint(b, uint64(n))
	b = append(b, tagFeatureID)
	b = appendVarint(b, id)
	if len(s.tags) > 0 {
		b = appendPacked(b, tagFeatureTags, s.tags, tagsLen)
	}
	b = append(b, tagFeatureType, geomTypePolygon)
	b = appendPacked(b, tagFeatureGeom, cmds, geomLen)
	l.feats = b
	l.nfeat++
	return true
}

// addPolygon clips and snaps one polygon into s.pts/s.rings. It returns the polygon's area
// inside the buffered square before snapping (exterior minus holes, float tile units², 0 when
// it does not intersect) and a point of its clipped exterior for the collapsed-feature square.
// Rings of a polygon that does not intersect the square are removed again.
func (s *scratch) addPolygon(p orb.Polygon, t *xform) (net float64, at fpt) {
	if len(p) == 0 {
		return 0, at
	}
	markPts, markRings := len(s.pts), len(s.rings)
	extKept := false
	var extArea float64
	for i, ring := range p {
		var mn, mx fpt
		s.fa, mn, mx = t.projectRing(s.fa[:0], ring)
		if len(s.fa) < 3 || mx.x < t.lo || mn.x > t.hi || mx.y < t.lo || mn.y > t.hi {
			if i == 0 {
				return 0, at // exterior outside the square: so are its holes
			}
			continue
		}
		fr := s.fa
		if mn.x < t.lo || mx.x > t.hi || mn.y < t.lo || mx.y > t.hi {
			fr, s.fb = clipRing(s.fa, s.fb, t.lo, t.hi)
			s.fa = fr
		}
		a := math.Abs(floatArea(fr))
		if i == 0 {
			if a == 0 {
				return 0, at
			}
			extArea, net, at = a, a, fr[0]
		} else {
			net -= a
		}
		if i > 0 && !extKept {
			continue
		}
		start := len(s.pts)
		s.pts = snapRing(s.pts, fr)
		cleaned := cleanRing(s.pts[start:])
		var a2 int64
		if cleaned != nil {
			a2 = ringArea2(cleaned)
		}
		if a2 == 0 {
			s.pts = s.pts[:start]
			continue
		}
		k := copy(s.pts[start:], cleaned)
		s.pts = s.pts[:start+k]
		r := s.pts[start:]
		if (i == 0) != (a2 > 0) {
			reverseRing(r)
		}
		s.rings = append(s.rings, ringSpan{start, start + k})
		if i == 0 {
			extKept = true
		}
	}
	// Interior intersection test with a relative tolerance, so that a square lying in a hole
	// (exterior and hole both clipped to the square) does not count.
	if net <= extArea*1e-9 {
		s.pts, s.rings = s.pts[:markPts], s.rings[:markRings]
		return 0, at
	}
	return net, at
}

// layerBuf accumulates one MVT layer.
type layerBuf struct {
	name     string
	extent   uint32
	allAttrs bool
	feats    []byte // framed features
	nfeat    int

	names []string // source attributes carried, in key order of first use
	// slots are the positions of names in slotSet, the name set of the last feature encoded
	slotSet *spatial.NameSet
	slots   []int
	slotsOK bool
	snap    *spatial.Snapshot // being rendered
	keyIdx  []int32           // per names slot then per derived slot: key index or -1
	keys    []byte            // framed keys
	nkeys   uint32
	extras  map[string]uint32 // keys of attributes outside the schema (AllAttributes)

	vals  []byte // framed values
	nvals uint32
	// value table indices by kind: strings by text, numbers by their bits
	strIdx  map[string]uint32
	numIdx  [kindBool + 1]map[uint64]uint32
	boolIdx [2]int32
}

func (l *layerBuf) reset(name string) {
	l.name = name
	l.feats = l.feats[:0]
	l.nfeat = 0
	l.keys = l.keys[:0]
	l.nkeys = 0
	l.vals = l.vals[:0]
	l.nvals = 0
	l.clearValues()
	l.boolIdx = [2]int32{-1, -1}
	clear(l.extras)
}

func (l *layerBuf) clearValues() {
	clear(l.strIdx)
	for _, m := range l.numIdx {
		clear(m)
	}
}

func (l *layerBuf) resetKeys() {
	n := len(l.names) + nDerived
	l.keyIdx = slices.Grow(l.keyIdx[:0], n)[:n]
	for i := range l.keyIdx {
		l.keyIdx[i] = -1
	}
}

// size is the number of bytes the layer's features and tables take so far.
func (l *layerBuf) size() int { return len(l.feats) + len(l.keys) + len(l.vals) + len(l.name) }

func (l *layerBuf) bodyLen() int {
	return 1 + varintLen(uint64(len(l.name))) + len(l.name) +
		len(l.feats) + len(l.keys) + len(l.vals) +
		1 + varintLen(uint64(l.extent)) + 2
}

func (l *layerBuf) appendBody(b []byte) []byte {
	b = appendBytesField(b, tagLayerName, l.name)
	b = append(b, l.feats...)
	b = append(b, l.keys...)
	b = append(b, l.vals...)
	b = append(b, tagLayerExtent)
	b = appendVarint(b, uint64(l.extent))
	b = append(b, tagLayerVersion, mvtVersion)
	return b
}

func (l *layerBuf) key(slot int, name string) uint32 {
	if k := l.keyIdx[slot]; k >= 0 {
		return uint32(k)
	}
	k := l.nkeys
	l.nkeys++
	l.keyIdx[slot] = int32(k)
	l.keys = appendBytesField(l.keys, tagLayerKey, name)
	return k
}

func (l *layerBuf) extraKey(name string) uint32 {
	if k, ok := l.extras[name]; ok {
		return k
	}
	if l.extras == nil {
		l.extras = make(map[string]uint32)
	}
	k := l.nkeys
	l.nkeys++
	l.extras[name] = k
	l.keys = appendBytesField(l.keys, tagLayerKey, name)
	return k
}

func (l *layerBuf) value(v valueKey) uint32 {
	switch v.kind {
	case kindString:
		if i, ok := l.strIdx[v.s]; ok {
			return i
		}
		if l.strIdx == nil {
			l.strIdx = make(map[string]uint32)
		}
		l.strIdx[v.s] = l.nvals
	case kindBool:
		if i := l.boolIdx[v.u]; i >= 0 {
			return uint32(i)
		}
		l.boolIdx[v.u] = int32(l.nvals)
	default:
		m := l.numIdx[v.kind]
		if i, ok := m[v.u]; ok {
			return i
		}
		if m == nil {
			m = make(map[uint64]uint32)
			l.numIdx[v.kind] = m
		}
		m[v.u] = l.nvals
	}
	i := l.nvals
	l.nvals++
	l.vals = appendValue(l.vals, v)
	return i
}

// appendTags appends the feature's key/value index pairs: source attributes in l.names order
// (plus, with AllAttributes, attributes outside the schema in name order), then the derived
// attributes. Nil values are omitted. The positions of l.names in a record's name set are looked
// up once per set and tile layer: a layer's features mostly share one set, so reading a value is
// two offsets in the feature's packed values, with no hashing and no boxing.
func (l *layerBuf) appendTags(tags []uint32, f *spatial.Feature, extra *[]string) []uint32 {
	if set := f.Attrs.NameSet(); !l.slotsOK || set != l.slotSet {
		l.slotSet, l.slotsOK = set, true
		l.slots = l.slots[:0]
		for _, name := range l.names {
			l.slots = append(l.slots, set.Index(name))
		}
	}
	found := 0
	for i, pos := range l.slots {
		if pos < 0 {
			continue
		}
		found++
		if vk, ok := scalarValue(f.Attrs.At(pos)); ok {
			tags = append(tags, l.key(i, l.names[i]), l.value(vk))
		}
	}
	if l.extras != nil || (l.allAttrs && f.Attrs.Len() > found) {
		tags = l.appendExtraTags(tags, f, extra)
	}
	return l.appendDerivedTags(tags, f)
}

// scalarValue is the tile value of an attribute value; false for null.
func scalarValue(v spatial.Scalar) (valueKey, bool) {
	switch v.Kind {
	case spatial.KindBool:
		return boolValue(v.Bits == 1), true
	case spatial.KindInt:
		return intValue(int64(v.Bits)), true
	case spatial.KindFloat:
		return valueKey{kind: kindDouble, u: v.Bits}, true
	case spatial.KindText:
		return valueKey{kind: kindString, s: v.Text}, true
	}
	return valueKey{}, false
}

// isPositionValue reports whether s is a value of the derived control_position attribute.
func isPositionValue(s string) bool {
	return s == string(spatial.Inside) || s == string(spatial.Straddling) || s == string(spatial.Outside)
}

// appendDerivedTags appends the derived attributes' key/value index pairs.
func (l *layerBuf) appendDerivedTags(tags []uint32, f *spatial.Feature) []uint32 {
	base := len(l.names)
	d := &f.Derived
	tags = append(tags, l.key(base+slotAreaMu, PropAreaMu), l.value(doubleValue(d.AreaMu)))
	if d.ControlPosition != "" {
		tags = append(tags,
			l.key(base+slotControlPosition, PropControlPosition),
			l.value(valueKey{kind: kindString, s: string(d.ControlPosition)}),
			l.key(base+slotOutsideRatio, PropOutsideRatio), l.value(doubleValue(d.OutsideRatio)),
			l.key(base+slotOutsideMu, PropOutsideMu), l.value(doubleValue(d.OutsideMu)))
	}
	if d.BlockID != 0 {
		tags = append(tags,
			l.key(base+slotBlockID, PropBlockID), l.value(valueKey{kind: kindUint, u: d.BlockID}),
			l.key(base+slotBlockMu, PropBlockMu), l.value(doubleValue(d.BlockMu)),
			l.key(base+slotScattered, PropScattered), l.value(boolValue(d.Scattered)))
	}
	if row, ok := l.snap.ClassRow(f); ok {
		t := l.snap.Classes()
		for i, c := range tileClasses {
			if v, _ := t.Value(row, c.key); v != nil {
				if s, ok := v.(string); ok && s != "" {
					tags = append(tags, l.key(base+slotClasses+i, c.key), l.value(valueKey{kind: kindString, s: s}))
				}
			}
		}
	}
	return tags
}

func (l *layerBuf) appendExtraTags(tags []uint32, f *spatial.Feature, extra *[]string) []uint32 {
	if !l.allAttrs {
		return tags
	}
	names := (*extra)[:0]
	for _, k := range f.Attrs.Names() {
		if !slices.Contains(l.names, k) && !isDerivedProp(k) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		if vk, ok := toValue(f.Attrs.Value(k)); ok {
			tags = append(tags, l.extraKey(k), l.value(vk))
		}
	}
	*extra = names[:0]
	return tags
}

// scratch holds the buffers of one Render call; it is pooled so that steady-state rendering
// allocates only the returned tile.
type scratch struct {
	cands  []candidate
	fa, fb []fpt
	pts    []ipt
	rings  []ringSpan
	cmds   []uint32
	tags   []uint32
	extra  []string
	layers []layerBuf
}

// maxPooledBytes bounds what a pooled scratch keeps after a large (low-zoom) tile.
const maxPooledBytes = 4 << 20

func (r *Renderer) getScratch(nlayers int) *scratch {
	s, _ := r.pool.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if cap(s.layers) < nlayers {
		s.layers = slices.Grow(s.layers[:cap(s.layers)], nlayers-cap(s.layers))
	}
	s.layers = s.layers[:nlayers]
	for i := range s.layers {
		s.layers[i].nfeat = 0
		s.layers[i].extent = r.opts.Extent
	}
	return s
}

func (r *Renderer) putScratch(s *scratch) {
	for i := range s.layers {
		l := &s.layers[i]
		if cap(l.feats)+cap(l.vals) > maxPooledBytes {
			l.feats, l.vals = nil, nil
			l.strIdx, l.numIdx = nil, [kindBool + 1]map[uint64]uint32{}
		}
		l.clearValues() // drop string references into snapshots
		clear(l.extras)
		l.slotSet, l.slotsOK, l.snap = nil, false, nil
	}
	if cap(s.cands) > 1<<16 {
		s.cands = nil
	}
	r.pool.Put(s)
}
