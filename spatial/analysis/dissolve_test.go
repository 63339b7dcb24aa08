package analysis

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// cancelWithMap is the reference for dissolver.cancel: edges processed in order, each
// cancelling a pending opposite edge, a pending edge of the same direction being an error.
func cancelWithMap(edges []dEdge) ([]dEdge, bool) {
	type key [2]orb.Point
	at := map[key]int{}
	for i := range edges {
		e := &edges[i]
		if j, ok := at[key{e.b, e.a}]; ok {
			edges[j].alive = false
			e.alive = false
			delete(at, key{e.b, e.a})
			continue
		}
		if _, dup := at[key{e.a, e.b}]; dup {
			return nil, false
		}
		at[key{e.a, e.b}] = i
	}
	var out []dEdge
	for _, e := range edges {
		if e.alive {
			out = append(out, e)
		}
	}
	return out, true
}

// TestCancelMatchesReference compares the hash-table cancel with the map reference on random
// edge lists over a small grid of points (so that edges repeat in both directions, sometimes
// twice in the same one), reusing one dissolver across calls as block workers do.
func TestCancelMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var d dissolver
	for round := range 2000 {
		n := 1 + rng.IntN(60)
		if round%100 == 0 {
			n = 3000 // grows the table
		}
		pts := 2 + rng.IntN(6)
		var edges []dEdge
		for range n {
			a := orb.Point{float64(rng.IntN(pts)), float64(rng.IntN(pts))}
			b := orb.Point{float64(rng.IntN(pts)), float64(rng.IntN(pts))}
			if a == b && rng.IntN(4) > 0 {
				continue
			}
			edges = append(edges, dEdge{a: a, b: b, alive: true})
		}
		want, wantOK := cancelWithMap(slices.Clone(edges))
		got, gotOK := d.cancel(slices.Clone(edges))
		if gotOK != wantOK || (wantOK && !slices.Equal(got, want)) {
			t.Fatalf("round %d: cancel(%v) = %v, %v; want %v, %v", round, edges, got, gotOK, want, wantOK)
		}
	}
}

// TestDissolverReuse dissolves blocks of different sizes with one dissolver, alternating, and
// compares with fresh dissolvers.
func TestDissolverReuse(t *testing.T) {
	square := func(x, y float64) orb.Polygon {
		return orb.Polygon{{{x, y}, {x + 1, y}, {x + 1, y + 1}, {x, y + 1}, {x, y}}}
	}
	var big, small []orb.Polygon
	for i := range 30 {
		for j := range 30 {
			big = append(big, square(float64(i), float64(j)))
		}
	}
	small = []orb.Polygon{square(100, 100), square(101, 100)}
	var d dissolver
	for round := range 4 {
		for _, ps := range [][]orb.Polygon{big, small} {
			got, err := d.dissolve(ps)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			want, err := dissolve(ps)
			if err != nil {
				t.Fatal(err)
			}
			if !orb.Equal(got, want) || len(got) != 1 || len(got[0]) != 1 {
				t.Fatalf("round %d: reused dissolver gave %v, fresh %v", round, got, want)
			}
		}
	}
}
