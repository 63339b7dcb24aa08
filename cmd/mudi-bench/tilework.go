package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// tileWorkers is the concurrency of each side in the cold-tile work: mudi renders with this
// many goroutines, PostGIS answers on this many connections (one query at a time on each).
const tileWorkers = 2

// chunkTiles is how many tiles one side renders before the other side takes its turn.
const chunkTiles = 32

// warmTiles is how many tiles of each zoom both sides render once, untimed, first.
const warmTiles = 8

// tileList returns the tiles of the cold-tile work, grouped by zoom: seeded random samples
// (with replacement) of the tiles over bound at z10 and z12, every z14 tile over bound (or
// z14Max of them spread evenly), and random z16 tiles.
func tileList(bound orb.Bound, seed int64, z10, z12, z14Max, z16 int) [][]tiles.Coord {
	sample := func(z tiles.Zoom, n int) []tiles.Coord {
		var all []tiles.Coord
		for c := range tiles.Covering(bound, z) {
			all = append(all, c)
		}
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(z)))
		out := make([]tiles.Coord, n)
		for i := range out {
			out[i] = all[rng.IntN(len(all))]
		}
		return out
	}
	var z14 []tiles.Coord
	for c := range tiles.Covering(bound, 14) {
		z14 = append(z14, c)
	}
	if z14Max > 0 && len(z14) > z14Max {
		spread := make([]tiles.Coord, z14Max)
		for i := range spread {
			spread[i] = z14[i*len(z14)/z14Max]
		}
		z14 = spread
	}
	return [][]tiles.Coord{sample(10, z10), sample(12, z12), z14, sample(16, z16)}
}

// tileRun is one side's results over a zoom group.
type tileRun struct {
	lat  []time.Duration // per tile and pass
	wall time.Duration   // sum of the wall times of this side's chunks
	out  [][]byte        // the tiles of the first pass (uncompressed MVT; nil or empty: no feature)
}

// tileGroup is the cold-tile work at one zoom.
type tileGroup struct {
	z        tiles.Zoom
	coords   []tiles.Coord
	mudi, pg tileRun
}

// runChunk renders coords[lo:hi] with tileWorkers workers; render gets the worker number.
func runChunk(ctx context.Context, coords []tiles.Coord, lo, hi int, run *tileRun, render func(ctx context.Context, worker int, c tiles.Coord) ([]byte, error)) error {
	var next atomic.Int64
	next.Store(int64(lo))
	var wg sync.WaitGroup
	errs := make([]error, tileWorkers)
	start := time.Now()
	for w := range tileWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= hi || ctx.Err() != nil {
					return
				}
				t := time.Now()
				b, err := render(ctx, w, coords[i])
				run.lat[i] = time.Since(t)
				if err != nil {
					errs[w] = err
					return
				}
				run.out[i] = b
			}
		}()
	}
	wg.Wait()
	run.wall += time.Since(start)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// coldTiles runs the cold-tile work, passes times over the list: per zoom, chunks of tiles alternately on mudi (renderer,
// no cache) and PostGIS (ST_AsMVT), the side going first alternating too. A few tiles per zoom
// are rendered once on both sides first, untimed (plans, buffers, pools).
func (b *bench) coldTiles(ctx context.Context, groups [][]tiles.Coord, passes int) ([]*tileGroup, error) {
	r, err := tiles.NewRenderer(tiles.Options{})
	if err != nil {
		return nil, err
	}
	layers := []*spatial.Snapshot{b.parcels}
	detailZoom := r.Options().DetailZoom
	mudi := func(ctx context.Context, _ int, c tiles.Coord) ([]byte, error) {
		return r.Render(ctx, layers, c)
	}
	pg := func(ctx context.Context, w int, c tiles.Coord) ([]byte, error) {
		return b.pg.tile(ctx, b.pg.workers[w], c, c.Z >= detailZoom)
	}
	var out []*tileGroup
	for _, coords := range groups {
		if len(coords) == 0 {
			continue
		}
		g := &tileGroup{z: coords[0].Z, coords: coords}
		warm := min(len(coords), warmTiles)
		var scratch tileRun
		scratch.lat, scratch.out = make([]time.Duration, warm), make([][]byte, warm)
		if err := runChunk(ctx, coords, 0, warm, &scratch, mudi); err != nil {
			return nil, err
		}
		if err := runChunk(ctx, coords, 0, warm, &scratch, pg); err != nil {
			return nil, err
		}
		b.log.printf("cold tiles z%d: %d tiles, %d passes, alternating chunks of %d", g.z, len(coords), passes, chunkTiles)
		for pass := range passes {
			var pm, pp tileRun
			for _, run := range []*tileRun{&pm, &pp} {
				run.lat = make([]time.Duration, len(coords))
				run.out = make([][]byte, len(coords))
			}
			for k, lo := 0, 0; lo < len(coords); k, lo = k+1, lo+chunkTiles {
				hi := min(len(coords), lo+chunkTiles)
				first, second := mudi, pg
				firstRun, secondRun := &pm, &pp
				if (k+pass)%2 == 1 {
					first, second, firstRun, secondRun = pg, mudi, &pp, &pm
				}
				if err := runChunk(ctx, coords, lo, hi, firstRun, first); err != nil {
					return nil, err
				}
				if err := runChunk(ctx, coords, lo, hi, secondRun, second); err != nil {
					return nil, err
				}
			}
			for _, x := range []struct{ dst, src *tileRun }{{&g.mudi, &pm}, {&g.pg, &pp}} {
				x.dst.lat = append(x.dst.lat, x.src.lat...)
				x.dst.wall += x.src.wall
				if pass == 0 {
					x.dst.out = x.src.out // the answers of the first pass are compared
				}
			}
		}
		out = append(out, g)
		b.logSlowest(g)
	}
	return out, nil
}

// logSlowest logs the slowest tiles of a zoom group on each side, for profiling.
func (b *bench) logSlowest(g *tileGroup) {
	for _, side := range []struct {
		name string
		run  *tileRun
	}{{"mudi", &g.mudi}, {"PostGIS", &g.pg}} {
		idx := make([]int, len(side.run.lat))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, c int) int { return cmp.Compare(side.run.lat[c], side.run.lat[a]) })
		var parts []string
		for _, i := range idx[:min(3, len(idx))] {
			t := i % len(g.coords)
			ids, _ := mvtIDs(side.run.out[t], "parcels")
			if side.name == "mudi" {
				ids, _ = mvtIDs(side.run.out[t], parcelsLayer)
			}
			parts = append(parts, fmt.Sprintf("%v %s (%d features, %d B)", g.coords[t], fmtDur(side.run.lat[i]), len(ids), len(side.run.out[t])))
		}
		b.log.printf("  slowest %s tiles: %s", side.name, strings.Join(parts, "; "))
	}
}

// tileCheck is the outcome of comparing the feature ids of mudi's and PostGIS's tiles.
type tileCheck struct {
	tiles      int // tiles compared
	features   int // feature ids in PostGIS's tiles
	borderline int // differences accepted: features within one tile unit of the buffered square's edge, or under one unit² inside it
	dropped    int // below z12: features PostGIS encodes that mudi drops as sub-pixel or for the byte budget
	mismatches []string
}

// Tile-comparison constants: mudi's renderer defaults (tiles.Options), and the width of the
// borderline band.
const (
	extent      = 4096
	buffer      = 64
	keepAllZoom = 12
	borderUnits = 2 // tile units
)

// compareTiles compares feature ids tile by tile.
//
// At z ≥ 12 both must hold the same ids: every feature whose interior meets the tile's buffered
// square (tile + 64 units each side). The engines draw that line differently within a unit or
// two, and such differences are accepted and counted as borderline: PostGIS simplifies with a
// half-unit tolerance, clips to the buffered square grown by half a unit, snaps to the integer
// grid and drops a piece that snapping collapses (a sliver one or two units thick does), while
// mudi decides on the exact geometry and keeps a collapsed feature as a 1×1 square. So a feature
// may differ when its interior reaches no deeper than two units into the buffered square, or
// when less than four unit² of it is inside.
//
// Below z12 mudi may drop features whose bounding box covers less than one screen pixel
// (tiles.Options.MinPixelArea) and, in a tile at its 500 KB byte budget, the smallest features
// (tiles.Options.MaxTileBytes); pg_tileserv's query drops nothing. There mudi's ids must be a
// subset of PostGIS's (up to borderline features) and every id only PostGIS has must be
// sub-pixel or in a tile at the budget.
func compareTiles(groups []*tileGroup, parcels *spatial.Snapshot) (*tileCheck, error) {
	chk := &tileCheck{}
	for _, g := range groups {
		for i, c := range g.coords {
			mids, err := mvtIDs(g.mudi.out[i], parcelsLayer)
			if err != nil {
				return nil, fmt.Errorf("mudi tile %v: %w", c, err)
			}
			pids, err := mvtIDs(g.pg.out[i], "parcels")
			if err != nil {
				return nil, fmt.Errorf("PostGIS tile %v: %w", c, err)
			}
			chk.tiles++
			chk.features += len(pids)
			slices.Sort(mids)
			slices.Sort(pids)
			if slices.Equal(mids, pids) {
				continue
			}
			frame := newTileFrame(c)
			atBudget := len(g.mudi.out[i]) >= tiles.DefaultMaxTileBytes-8192
			borderline := func(id uint64) bool {
				f := parcels.Feature(spatial.FeatureID(id))
				if f == nil {
					return false
				}
				return frame.areaIn(f.Geometry, -buffer+borderUnits, extent+buffer-borderUnits) == 0 ||
					frame.areaIn(f.Geometry, -buffer, extent+buffer) < borderUnits*borderUnits
			}
			subPixel := func(id uint64) bool {
				f := parcels.Feature(spatial.FeatureID(id))
				if f == nil {
					return false
				}
				bd := f.Bound()
				lo, hi := frame.project(orb.Point{bd.Min[0], bd.Max[1]}), frame.project(orb.Point{bd.Max[0], bd.Min[1]})
				px := float64(extent) / 256
				return (hi[0]-lo[0])*(hi[1]-lo[1])/(px*px) < 1
			}
			var onlyMudi, onlyPG []uint64
			for a, b := 0, 0; a < len(mids) || b < len(pids); {
				switch {
				case b == len(pids) || (a < len(mids) && mids[a] < pids[b]):
					onlyMudi = append(onlyMudi, mids[a])
					a++
				case a == len(mids) || pids[b] < mids[a]:
					onlyPG = append(onlyPG, pids[b])
					b++
				default:
					a++
					b++
				}
			}
			for _, id := range onlyMudi {
				if borderline(id) {
					chk.borderline++
					continue
				}
				chk.mismatches = append(chk.mismatches, fmt.Sprintf("tile %v: feature %d only in mudi's tile", c, id))
			}
			for _, id := range onlyPG {
				switch {
				case borderline(id):
					chk.borderline++
				case c.Z < keepAllZoom && (atBudget || subPixel(id)):
					chk.dropped++
				default:
					chk.mismatches = append(chk.mismatches, fmt.Sprintf("tile %v: feature %d only in PostGIS's tile", c, id))
				}
			}
		}
	}
	return chk, nil
}
