package tiles

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles/pmtiles"
)

// DefaultArchiveMaxZoom is the highest zoom of an archive unless [ArchiveOptions] says
// otherwise. At z16 a tile is about 600 m wide in China and its 4096-unit grid about 15 cm,
// finer than the survey accuracy of parcel boundaries; map clients overzoom beyond it.
const DefaultArchiveMaxZoom Zoom = 16

// ArchiveOptions configure [WriteArchive]. The zero value gives the defaults documented on
// each field.
type ArchiveOptions struct {
	// MinZoom and MaxZoom bound the zooms of the archive (default 0 and
	// [DefaultArchiveMaxZoom]; MaxZoom 0 means the default; at most [MaxZoom]).
	MinZoom, MaxZoom Zoom
	// Name of the tileset in the metadata (default: the layer ids joined by ",").
	Name string
	// Description of the tileset in the metadata (default: the layer titles).
	Description string
	// Attribution shown by map clients (none by default).
	Attribution string
	// TempDir holds the temporary tile data while the archive is built (default os.TempDir()).
	TempDir string
	// Workers render tiles in parallel (default GOMAXPROCS). The archive's bytes do not depend
	// on it.
	Workers int
}

// ArchiveStats describe a written archive.
type ArchiveStats struct {
	Candidates int   // tiles whose buffered square meets a feature's bounding box: rendered
	Tiles      int   // non-empty tiles in the archive
	Contents   int   // distinct tile contents stored
	Entries    int   // directory entries (runs of identical consecutive tiles count once)
	LeafDirs   int   // leaf directories (0: the root directory holds every entry)
	Bytes      int64 // size of the archive
	MinZoom    Zoom  // zooms of the archive
	MaxZoom    Zoom  //
	Features   []int // features of each layer (nil snapshots and repeated ids left out)
	LayerIDs   []string
}

// ErrEmptyArchive is the error of [WriteArchive] when no tile of the zooms holds a feature.
var ErrEmptyArchive = errors.New("nothing to archive")

// archiveWindow is the number of tiles rendered ahead of the one being written, per worker.
const archiveWindow = 8

// WriteArchive writes a PMTiles v3 archive of the layers (one MVT layer each, as
// [Renderer.Render] makes them) to w.
//
// Tiles: every tile from MinZoom to MaxZoom whose buffered square ([Renderer.Area]) meets the
// bounding box of a feature is rendered by r, exactly as the tile server renders it (same
// options, same byte budget); empty tiles are left out. The tiles are found by descending the
// tile pyramid from 0/0/0 and entering only the children whose buffered square meets a feature
// in the layers' R-trees, so sparse layers cost no work over their empty areas. Each tile is
// stored gzip-compressed, byte for byte what the server sends with Content-Encoding gzip.
//
// Rendering runs on Workers goroutines with a bounded window ahead of the writer; tiles are
// written in tile id order, so the archive's bytes depend only on the layers, r's options and
// o. Tile data is spilled to a temporary file in TempDir; memory holds the tile ids, the
// directory entries and the window of rendered tiles.
//
// The header carries tile type MVT, gzip tile compression, the zooms, the union of the layers'
// bounds and its centre; the metadata JSON carries name, description, attribution, type
// "overlay", zooms, bounds, centre and vector_layers (fields as [Renderer.TileJSON] describes them),
// and a member "mudi" that lets a map viewer show the archive without a server: "style", the
// default style of the layers ([Style]) whose vector source "mudi" has an empty url for the
// viewer to point at the archive, and "layers", each layer's id, title, kind, version,
// feature_count and bounds (west, south, east, north; absent for an empty layer).
//
// Errors: an invalid zoom range ([ErrOutOfRange]), no non-empty tile at all ([ErrEmptyArchive]),
// ctx.Err() on cancellation, and I/O errors.
func WriteArchive(ctx context.Context, w io.Writer, r *Renderer, layers []*spatial.Snapshot, o ArchiveOptions) (ArchiveStats, error) {
	if o.MaxZoom == 0 {
		o.MaxZoom = DefaultArchiveMaxZoom
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if !o.MaxZoom.Valid() || o.MinZoom > o.MaxZoom {
		return ArchiveStats{}, fmt.Errorf("tiles: archive zooms %d..%d (0 ≤ min ≤ max ≤ %d): %w", o.MinZoom, o.MaxZoom, MaxZoom, ErrOutOfRange)
	}
	layers = uniqueLayers(layers)
	st := ArchiveStats{MinZoom: o.MinZoom, MaxZoom: o.MaxZoom}
	for _, s := range layers {
		st.LayerIDs = append(st.LayerIDs, s.Layer.ID)
		st.Features = append(st.Features, s.Len())
	}

	ids, err := archiveCandidates(ctx, r, layers, o.MinZoom, o.MaxZoom)
	if err != nil {
		return st, err
	}
	st.Candidates = len(ids)

	pw, err := pmtiles.NewWriter(o.TempDir)
	if err != nil {
		return st, err
	}
	defer pw.Close()
	err = renderInOrder(ctx, r, layers, ids, o.Workers, func(id uint64, gz []byte) error {
		st.Tiles++
		return pw.Add(id, gz)
	})
	if err != nil {
		return st, err
	}
	if st.Tiles == 0 {
		return st, fmt.Errorf("tiles: archive of %v: %w (no feature in zooms %d..%d)", st.LayerIDs, ErrEmptyArchive, o.MinZoom, o.MaxZoom)
	}

	meta, err := r.archiveMetadata(layers, o)
	if err != nil {
		return st, err
	}
	b, center := boundsCenter(layers, o.MaxZoom)
	cz := max(o.MinZoom, min(Zoom(center[2]), o.MaxZoom))
	ps, err := pw.Finish(w, pmtiles.Header{
		TileType: pmtiles.TileTypeMVT, TileCompression: pmtiles.CompressionGzip,
		MinZoom: uint8(o.MinZoom), MaxZoom: uint8(o.MaxZoom),
		MinLon: b.Min[0], MinLat: b.Min[1], MaxLon: b.Max[0], MaxLat: b.Max[1],
		CenterZoom: uint8(cz), CenterLon: center[0], CenterLat: center[1],
	}, meta)
	if err != nil {
		return st, err
	}
	st.Contents, st.Entries, st.LeafDirs, st.Bytes = int(ps.TileContents), int(ps.TileEntries), ps.LeafDirs, int64(ps.Bytes)
	return st, nil
}

// uniqueLayers drops nil snapshots and repeated layer ids, as Render does.
func uniqueLayers(layers []*spatial.Snapshot) []*spatial.Snapshot {
	out := make([]*spatial.Snapshot, 0, len(layers))
	for _, s := range layers {
		if s != nil && !slices.ContainsFunc(out, func(o *spatial.Snapshot) bool { return o.Layer.ID == s.Layer.ID }) {
			out = append(out, s)
		}
	}
	return out
}

// archiveCandidates returns, sorted, the tile ids of the tiles from zoom lo to hi whose
// buffered square meets the bounding box of a feature. A child's buffered square lies inside
// its parent's (the buffer is a fixed share of the tile), so a tile that meets nothing has no
// descendant that does and the descent stops there.
func archiveCandidates(ctx context.Context, r *Renderer, layers []*spatial.Snapshot, lo, hi Zoom) ([]uint64, error) {
	meets := func(c Coord) bool {
		area := r.Area(c)
		found := false
		for _, s := range layers {
			s.Search(area, func(*spatial.Feature) bool {
				found = true
				return false
			})
			if found {
				return true
			}
		}
		return false
	}
	var ids []uint64
	var visited int
	var walk func(c Coord) error
	walk = func(c Coord) error {
		if visited++; visited&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if !meets(c) {
			return nil
		}
		if c.Z >= lo {
			id, err := pmtiles.TileID(uint8(c.Z), c.X, c.Y)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if c.Z == hi {
			return nil
		}
		for _, d := range [4][2]uint32{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
			if err := walk(Coord{Z: c.Z + 1, X: 2*c.X + d[0], Y: 2*c.Y + d[1]}); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(Coord{}); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// renderInOrder renders the tiles ids on workers goroutines and calls emit, in the order of
// ids, with the gzip of every non-empty one. At most workers×archiveWindow rendered tiles wait
// for emit at any time.
func renderInOrder(ctx context.Context, r *Renderer, layers []*spatial.Snapshot, ids []uint64, workers int, emit func(id uint64, gz []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		gz  []byte
		err error
	}
	window := workers * archiveWindow
	slots := make([]chan result, window)
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	tokens := make(chan struct{}, window)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				z, x, y := pmtiles.TileCoord(ids[i])
				mvt, err := r.Render(ctx, layers, Coord{Z: Zoom(z), X: x, Y: y})
				var gz []byte
				if err == nil && mvt != nil {
					gz = gzipBytes(mvt)
				}
				slots[i%window] <- result{gz, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range ids {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() {
		cancel() // stops the feeder, and the workers after their current tile
		wg.Wait()
	}()
	for i, id := range ids {
		var res result
		select {
		case res = <-slots[i%window]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-tokens
		if res.err != nil {
			return res.err
		}
		if res.gz == nil {
			continue
		}
		if err := emit(id, res.gz); err != nil {
			return err
		}
	}
	return nil
}

// archiveMetadata returns the metadata JSON of an archive: the tileset's name, description,
// attribution, type, zooms, bounds and centre as in TileJSON, and vector_layers with
// the fields of [Renderer.TileJSON], their zooms set to the archive's.
func (r *Renderer) archiveMetadata(layers []*spatial.Snapshot, o ArchiveOptions) ([]byte, error) {
	tj := r.TileJSON(layers, "")
	for i := range tj.VectorLayers {
		tj.VectorLayers[i].MinZoom = int(o.MinZoom)
		tj.VectorLayers[i].MaxZoom = int(o.MaxZoom)
	}
	name, desc := tj.Name, tj.Description
	if o.Name != "" {
		name = o.Name
	}
	if o.Description != "" {
		desc = o.Description
	}
	b, center := boundsCenter(layers, o.MaxZoom)
	center[2] = float64(max(o.MinZoom, min(Zoom(center[2]), o.MaxZoom)))
	style, err := Style("default", layers, "")
	if err != nil {
		return nil, err
	}
	type layerInfo struct {
		ID           string       `json:"id"`
		Title        string       `json:"title"`
		Kind         spatial.Kind `json:"kind"`
		Version      uint64       `json:"version"`
		FeatureCount int          `json:"feature_count"`
		Bounds       []float64    `json:"bounds,omitempty"`
	}
	type viewerInfo struct {
		Style  json.RawMessage `json:"style"`
		Layers []layerInfo     `json:"layers"`
	}
	viewer := viewerInfo{Style: json.RawMessage(style), Layers: make([]layerInfo, 0, len(layers))}
	for _, s := range layers {
		li := layerInfo{ID: s.Layer.ID, Title: s.Layer.Title, Kind: s.Layer.Kind, Version: s.Layer.Version, FeatureCount: s.Len()}
		if s.Len() > 0 {
			lb := s.Layer.Bound
			li.Bounds = []float64{lb.Min[0], lb.Min[1], lb.Max[0], lb.Max[1]}
		}
		viewer.Layers = append(viewer.Layers, li)
	}
	return json.Marshal(struct {
		Name         string        `json:"name"`
		Description  string        `json:"description,omitempty"`
		Attribution  string        `json:"attribution,omitempty"`
		Type         string        `json:"type"`
		Generator    string        `json:"generator"`
		MinZoom      int           `json:"minzoom"`
		MaxZoom      int           `json:"maxzoom"`
		Bounds       [4]float64    `json:"bounds"`
		Center       [3]float64    `json:"center"`
		VectorLayers []VectorLayer `json:"vector_layers"`
		Mudi         viewerInfo    `json:"mudi"`
	}{
		Name: name, Description: desc, Attribution: o.Attribution, Type: "overlay",
		Generator: "mudi", MinZoom: int(o.MinZoom), MaxZoom: int(o.MaxZoom),
		Bounds: [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, Center: center,
		VectorLayers: tj.VectorLayers, Mudi: viewer,
	})
}
