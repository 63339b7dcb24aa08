package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
)

// analysisWork is one analysis timed on both sides.
type analysisWork struct {
	name     string
	mudi, pg []time.Duration
	// The PostGIS side's budget (pgBudget): time spent so far, and whether its runs stopped
	// (a run was cancelled at the budget, or the next would not fit in what is left).
	pgSpent   time.Duration
	pgStopped bool
}

// pgBudget is the time the PostGIS side of one analysis may take over all its runs. Runs that
// would not fit are left out; a run still working when the budget is spent is cancelled by
// PostgreSQL's statement_timeout, and a side without any finished run is skipped at that size.
const pgBudget = 10 * time.Minute

// sqlQueryCanceled is PostgreSQL's SQLSTATE of a statement cancelled (by statement_timeout too).
const sqlQueryCanceled = "57014"

// pgTimed runs and times one run of w's PostGIS side within what is left of its budget.
func (b *bench) pgTimed(ctx context.Context, w *analysisWork, fn func() error) error {
	left := pgBudget - w.pgSpent
	if n := len(w.pg); w.pgStopped || (n > 0 && w.pg[n-1] > left) {
		w.pgStopped = true
		return nil
	}
	runtime.GC()
	if err := b.pg.statementTimeout(ctx, left); err != nil {
		return err
	}
	start := time.Now()
	err := fn()
	d := time.Since(start)
	w.pgSpent += d
	if terr := b.pg.statementTimeout(ctx, 0); err == nil {
		err = terr
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == sqlQueryCanceled {
		b.log.printf("  PostGIS %s: cancelled after %s (budget %s)", w.name, fmtDur(d), fmtDur(pgBudget))
		w.pgStopped = true
		return nil
	}
	if err != nil {
		return err
	}
	w.pg = append(w.pg, d)
	return nil
}

// analysisResults are the answers of the first run, kept for the comparison.
type analysisResults struct {
	overlay   *analysis.Result
	pgOverlay map[spatial.FeatureID]float64
	blocks    [2]*analysis.Result
	pgBlocks  [2][]pgBlock
}

var blockTolerances = [2]float64{0, 20}

// analyses times the control overlay (every parcel's position) and contiguous blocks over all
// parcels (status=*, every block) at tolerance 0 and 20 m, runs times, alternating the sides
// and which goes first.
func (b *bench) analyses(ctx context.Context, runs int) ([]*analysisWork, *analysisResults, error) {
	res := &analysisResults{}
	overlay := &analysisWork{name: "control overlay"}
	blocks := [2]*analysisWork{{name: "contiguous blocks, tolerance 0"}, {name: "contiguous blocks, tolerance 20 m"}}
	zero := 0.0
	timed := func(dst *[]time.Duration, fn func() error) error {
		runtime.GC()
		start := time.Now()
		if err := fn(); err != nil {
			return err
		}
		*dst = append(*dst, time.Since(start))
		return nil
	}
	for run := range runs {
		sides := func(mudi, pg func() error, w *analysisWork) error {
			if run%2 == 0 {
				if err := timed(&w.mudi, mudi); err != nil {
					return err
				}
				return b.pgTimed(ctx, w, pg)
			}
			if err := b.pgTimed(ctx, w, pg); err != nil {
				return err
			}
			return timed(&w.mudi, mudi)
		}
		b.log.printf("analyses, run %d of %d: control overlay", run+1, runs)
		err := sides(func() error {
			r, err := analysis.Run(ctx, b.parcels, b.control, analysis.Spec{Overlay: true})
			if run == 0 {
				res.overlay = r
			}
			return err
		}, func() error {
			r, err := b.pg.overlay(ctx)
			if run == 0 && err == nil {
				res.pgOverlay = r
			}
			return err
		}, overlay)
		if err != nil {
			return nil, nil, err
		}
		for k, tol := range blockTolerances {
			b.log.printf("analyses, run %d of %d: contiguous blocks, tolerance %g m", run+1, runs, tol)
			err := sides(func() error {
				r, err := analysis.Run(ctx, b.parcels, nil, analysis.ContiguousBlocks(&zero, nil, tol, []string{"*"}))
				if run == 0 {
					res.blocks[k] = r
				}
				return err
			}, func() error {
				r, err := b.pg.blocks(ctx, tol)
				if run == 0 && err == nil {
					res.pgBlocks[k] = r
				}
				return err
			}, blocks[k])
			if err != nil {
				return nil, nil, err
			}
		}
	}
	return []*analysisWork{overlay, blocks[0], blocks[1]}, res, nil
}

// check is the outcome of one comparison.
type check struct {
	name       string
	compared   int // parcels, tiles …
	unit       string
	exempt     int  // differences inside the documented tolerance
	alone      bool // a check of mudi's answers alone, not against PostGIS
	note       string
	mismatches []string
}

// compareOverlay compares control positions: identical except for parcels whose PostGIS outside
// ratio lies within 1e-4 of a threshold (docs/domain.md §4).
func compareOverlay(mudi *analysis.Result, pg map[spatial.FeatureID]float64) *check {
	c := &check{name: "control positions", unit: "parcels"}
	worst := 0.0
	sliver := analysis.DefaultSliverRatio
	for _, p := range mudi.Parcels {
		want, ok := pg[p.ID]
		if !ok {
			c.mismatches = append(c.mismatches, fmt.Sprintf("parcel %d: missing in PostGIS's answer", p.ID))
			continue
		}
		c.compared++
		worst = max(worst, math.Abs(p.Overlay.OutsideRatio-want))
		if analysis.PositionOf(want, sliver) == p.Overlay.Position {
			continue
		}
		if math.Abs(want-sliver) <= 1e-4 || math.Abs(want-(1-sliver)) <= 1e-4 {
			c.exempt++
			continue
		}
		c.mismatches = append(c.mismatches, fmt.Sprintf("parcel %d: %s (outside ratio %.6f), PostGIS %s (%.6f)",
			p.ID, p.Overlay.Position, p.Overlay.OutsideRatio, analysis.PositionOf(want, sliver), want))
	}
	if c.compared != len(pg) {
		c.mismatches = append(c.mismatches, fmt.Sprintf("mudi positioned %d parcels, PostGIS %d", c.compared, len(pg)))
	}
	c.note = fmt.Sprintf("largest outside-ratio difference %.1e", worst)
	return c
}

// compareBlocks compares block memberships and areas.
//
// Memberships must be identical except where the disagreement is explained by pairs of parcels
// whose geodesic distance lies within 1 % of the tolerance (docs/domain.md §4; PostGIS clusters in the
// county's Gauss-Krüger plane, whose scale differs from the ellipsoid's by up to 2e-4). Each
// region where the two partitions differ (blocks of one side overlapping several of the
// other's) is explained with PostGIS's own geodesic distances (ST_Distance on geography; at
// tolerance 0, ST_Intersects): it is a mismatch if a pair closer than 0.99·tolerance is split by
// either side, or if either side joins parts that no chain of pairs within 1.01·tolerance links.
// Blocks with the same members must have areas within 1e-6 (ellipsoidal area of the union).
func compareBlocks(ctx context.Context, pg *postgis, tol float64, mudi *analysis.Result, pgBlocks []pgBlock) (*check, error) {
	c := &check{name: fmt.Sprintf("block memberships, tolerance %g m", tol), unit: "parcels"}
	mb := map[spatial.FeatureID]int{}
	for i, bl := range mudi.Blocks {
		for _, id := range bl.ParcelIDs {
			mb[id] = i
		}
	}
	pb := map[spatial.FeatureID]int{}
	for i, bl := range pgBlocks {
		for _, id := range bl.ids {
			pb[spatial.FeatureID(id)] = i
		}
	}
	c.compared = len(pb)
	if len(mb) != len(pb) {
		c.mismatches = append(c.mismatches, fmt.Sprintf("mudi grouped %d parcels, PostGIS %d", len(mb), len(pb)))
	}
	// Nodes: mudi blocks 0..M-1, PostGIS blocks M..M+P-1, joined through shared parcels.
	m := len(mudi.Blocks)
	uf := newUnionFind(m + len(pgBlocks))
	for id, i := range mb {
		j, ok := pb[id]
		if !ok {
			c.mismatches = append(c.mismatches, fmt.Sprintf("parcel %d: in mudi's block %d, in no PostGIS block", id, mudi.Blocks[i].ID))
			continue
		}
		uf.union(i, m+j)
	}
	regions := map[int][]int{} // root → mudi blocks
	pgCount := map[int]int{}
	for i := range mudi.Blocks {
		regions[uf.find(i)] = append(regions[uf.find(i)], i)
	}
	for j := range pgBlocks {
		pgCount[uf.find(m+j)]++
	}
	worstArea := 0.0
	for root, blocks := range regions {
		if len(blocks) == 1 && pgCount[root] == 1 {
			bl := &mudi.Blocks[blocks[0]]
			want := pgBlocks[pb[bl.ParcelIDs[0]]].areaM2
			rel := math.Abs(bl.AreaM2-want) / want
			worstArea = max(worstArea, rel)
			if rel > 1e-6 {
				c.mismatches = append(c.mismatches, fmt.Sprintf("block %d (%d parcels): %.3f m², PostGIS %.3f m² (relative %.1e)",
					bl.ID, bl.ParcelCount, bl.AreaM2, want, rel))
			}
			continue
		}
		var ids []int64
		for _, i := range blocks {
			for _, id := range mudi.Blocks[i].ParcelIDs {
				ids = append(ids, int64(id))
			}
		}
		bad, err := explainRegion(ctx, pg, tol, ids, mb, pb)
		if err != nil {
			return nil, err
		}
		if bad == "" {
			c.exempt += len(ids)
			continue
		}
		c.mismatches = append(c.mismatches, bad)
	}
	c.note = fmt.Sprintf("%d blocks; largest block-area difference %.1e", len(mudi.Blocks), worstArea)
	return c, nil
}

// explainRegion decides whether the partitions of the parcels ids differ only by pairs within
// 1 % of the tolerance; it returns "" if so, else a description of the mismatch.
func explainRegion(ctx context.Context, pg *postgis, tol float64, ids []int64, mb, pb map[spatial.FeatureID]int) (string, error) {
	lo, hi := tol*0.99, tol*1.01
	var pairs []pgPair
	var err error
	if tol == 0 {
		pairs, err = pg.touching(ctx, ids)
	} else {
		pairs, err = pg.pairs(ctx, ids, hi)
	}
	if err != nil {
		return "", fmt.Errorf("PostGIS pairs: %w", err)
	}
	// Pieces: parcels sharing both their mudi block and their PostGIS block.
	type key struct{ m, p int }
	piece := map[key]int{}
	pieceOf := func(id spatial.FeatureID) int {
		k := key{mb[id], pb[id]}
		i, ok := piece[k]
		if !ok {
			i = len(piece)
			piece[k] = i
		}
		return i
	}
	for _, id := range ids {
		pieceOf(spatial.FeatureID(id))
	}
	uf := newUnionFind(len(piece))
	for _, p := range pairs {
		if p.m <= lo {
			if mb[p.a] != mb[p.b] {
				return fmt.Sprintf("parcels %d and %d are %.3f m apart (tolerance %g m) but in different mudi blocks", p.a, p.b, p.m, tol), nil
			}
			if pb[p.a] != pb[p.b] {
				return fmt.Sprintf("parcels %d and %d are %.3f m apart (tolerance %g m) but in different PostGIS blocks", p.a, p.b, p.m, tol), nil
			}
		}
		if p.m <= hi {
			uf.union(pieceOf(p.a), pieceOf(p.b))
		}
	}
	// Every block of either side must be linked within 1.01·tolerance.
	mRoot, pRoot := map[int]int{}, map[int]int{}
	for k, i := range piece {
		r := uf.find(i)
		if prev, ok := mRoot[k.m]; ok && prev != r {
			return fmt.Sprintf("a mudi block joins parcels (e.g. %d) that no chain of pairs within %.3g m links", ids[0], hi), nil
		}
		mRoot[k.m] = r
		if prev, ok := pRoot[k.p]; ok && prev != r {
			return fmt.Sprintf("a PostGIS block joins parcels (e.g. %d) that no chain of pairs within %.3g m links", ids[0], hi), nil
		}
		pRoot[k.p] = r
	}
	return "", nil
}

// touching returns the pairs of parcels among ids that intersect (distance 0 in the lon/lat
// plane, the tolerance-0 rule).
func (p *postgis) touching(ctx context.Context, ids []int64) ([]pgPair, error) {
	rows, err := p.admin.Query(ctx, `
SELECT a.id, b.id FROM parcels a JOIN parcels b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
WHERE a.id = ANY($1) AND b.id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pgPair
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return nil, err
		}
		out = append(out, pgPair{spatial.FeatureID(a), spatial.FeatureID(b), 0})
	}
	return out, rows.Err()
}

type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int) { u[u.find(a)] = u.find(b) }
