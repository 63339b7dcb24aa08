package analysis

import (
	"context"
	"fmt"
	"slices"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// block is a connected component of linked members.
type block struct {
	id      uint64  // smallest member FeatureID
	members []int32 // indices into the member slice, in FeatureID order
	// overlapping groups: members whose interiors overlap (connected by overlap), with ≥ 2
	// members each, and their unions. Members in no group have interiors disjoint from all
	// others in the block.
	groups  [][]int32
	unions  [][]orb.Polygon
	inGroup map[int32]bool
	areaM2  float64
}

// buildBlocks groups members into blocks at tolerance tolM and computes each block's area: the
// ellipsoidal area of the union of its members. Members that only touch contribute their own
// areas (the union of interior-disjoint polygons has the sum of their areas); members whose
// interiors overlap are unioned by overlay first, group by group.
func buildBlocks(ctx context.Context, ms []member, tolM float64) ([]*block, error) {
	pairs, err := link(ctx, ms, tolM)
	if err != nil {
		return nil, err
	}
	uf := newUnionFind(len(ms))
	ov := newUnionFind(len(ms))
	hasOverlap := false
	for _, p := range pairs {
		uf.union(p.i, p.j)
		if p.overlap {
			ov.union(p.i, p.j)
			hasOverlap = true
		}
	}
	// Members are in FeatureID order, so each block's members come out sorted and its root
	// (the smallest index) is its smallest FeatureID.
	byRoot := map[int32]*block{}
	var blocks []*block
	for i := range ms {
		r := uf.find(int32(i))
		b := byRoot[r]
		if b == nil {
			b = &block{id: uint64(ms[i].f.ID)}
			byRoot[r] = b
			blocks = append(blocks, b)
		}
		b.members = append(b.members, int32(i))
	}
	if hasOverlap {
		for _, b := range blocks {
			groups := map[int32][]int32{}
			var roots []int32
			for _, m := range b.members {
				r := ov.find(m)
				if _, ok := groups[r]; !ok {
					roots = append(roots, r)
				}
				groups[r] = append(groups[r], m)
			}
			for _, r := range roots {
				if g := groups[r]; len(g) > 1 {
					b.groups = append(b.groups, g)
					if b.inGroup == nil {
						b.inGroup = map[int32]bool{}
					}
					for _, m := range g {
						b.inGroup[m] = true
					}
				}
			}
		}
	}
	err = forEach(ctx, len(blocks), func(_, k int) error {
		b := blocks[k]
		var sum float64
		for _, m := range b.members {
			if !b.inGroup[m] {
				sum += ms[m].areaM2
			}
		}
		b.unions = make([][]orb.Polygon, len(b.groups))
		for gi, g := range b.groups {
			var ps []orb.Polygon
			for _, m := range g {
				ps = append(ps, ms[m].polys...)
			}
			u, err := unionPolygons(ps)
			if err != nil {
				return fmt.Errorf("block %d: %w", b.id, err)
			}
			b.unions[gi] = u
			for _, p := range u {
				sum += spatial.PolygonAreaM2(p)
			}
		}
		b.areaM2 = sum
		return nil
	})
	if err != nil {
		return nil, err
	}
	return blocks, nil
}

// parts returns the block's interior-disjoint pieces: the polygons of members in no
// overlapping group and the unions of the groups.
func (b *block) parts(ms []member) []orb.Polygon {
	var ps []orb.Polygon
	for _, m := range b.members {
		if !b.inGroup[m] {
			ps = append(ps, ms[m].polys...)
		}
	}
	for _, u := range b.unions {
		ps = append(ps, u...)
	}
	return ps
}

// geometry returns the dissolved union of the block's members: by edge cancellation when it
// rebuilds cleanly, else by overlay union of all members.
func (b *block) geometry(ms []member, d *dissolver) (orb.MultiPolygon, error) {
	ps := b.parts(ms)
	if len(b.members) == 1 && len(b.groups) == 0 {
		return oriented(ps), nil
	}
	mp, err := d.dissolve(ps)
	if err == nil {
		return mp, nil
	}
	var all []orb.Polygon
	for _, m := range b.members {
		all = append(all, ms[m].polys...)
	}
	u, err := unionPolygons(all)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", b.id, err)
	}
	return orb.MultiPolygon(u), nil
}

// insideM2 returns the area of the block inside the control line, given the members' own
// inside areas (inside[m] for member m).
func (b *block) insideM2(cs *controlSet, rl *relater, ms []member, inside []float64, st *overlayStats) (float64, error) {
	var sum float64
	for _, m := range b.members {
		if !b.inGroup[m] {
			sum += inside[m]
		}
	}
	for _, u := range b.unions {
		for _, p := range u {
			a, err := cs.polygonInsideM2(rl, p, spatial.PolygonAreaM2(p), st)
			if err != nil {
				return 0, fmt.Errorf("block %d: %w", b.id, err)
			}
			sum += a
		}
	}
	return min(sum, b.areaM2), nil
}

// oriented returns polygons as a MultiPolygon with shells counter-clockwise and holes clockwise
// (RFC 7946), sharing the rings that already are.
func oriented(ps []orb.Polygon) orb.MultiPolygon {
	mp := make(orb.MultiPolygon, len(ps))
	for i, p := range ps {
		q := slices.Clone(p)
		for ri, r := range q {
			if ringReversed(ri, r) {
				rr := slices.Clone(r)
				slices.Reverse(rr)
				q[ri] = rr
			}
		}
		mp[i] = q
	}
	return mp
}
