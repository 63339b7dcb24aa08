package tiles

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// testTile is a z14 tile over Quzhou.
var testTile = CoordAt(orb.Point{118.87, 28.95}, 14)

func newTestRenderer(tb testing.TB, o Options) *Renderer {
	tb.Helper()
	r, err := NewRenderer(o)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func layerOf(id string, feats ...*spatial.Feature) *spatial.Snapshot {
	return spatial.NewSnapshot(spatial.Layer{ID: id, Kind: spatial.KindParcels, Version: 1}, feats)
}

func feature(id spatial.FeatureID, g orb.Geometry) *spatial.Feature {
	return &spatial.Feature{ID: id, Geometry: g, Attrs: spatial.Attrs{}.Record()}
}

func render(tb testing.TB, r *Renderer, c Coord, layers ...*spatial.Snapshot) *dTile {
	tb.Helper()
	b, err := r.Render(context.Background(), layers, c)
	if err != nil {
		tb.Fatal(err)
	}
	if b == nil {
		return &dTile{}
	}
	return mustDecode(tb, b)
}

func reverseRings(p orb.Polygon) orb.Polygon {
	out := orb.Clone(p).(orb.Polygon)
	for _, r := range out {
		r.Reverse()
	}
	return out
}

func sq(x0, y0, x1, y1 float64) [][2]float64 {
	return [][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
}

func TestRenderWindingAndHoles(t *testing.T) {
	c := testTile
	donut := tilePoly(c, sq(1000.3, 1000.3, 3000.3, 3000.3), sq(1500.3, 1500.3, 2500.3, 2500.3))
	// tilePoly keeps the given order; in tile space (y down) sq() is clockwise, i.e. positive.
	clipped := tilePoly(c, sq(-1000.3, 1000.3, 2000.3, 3000.3), sq(-500.3, 1500.3, 500.3, 2500.3))
	island := tilePoly(c, sq(1800.3, 1800.3, 2200.3, 2200.3))
	tests := []struct {
		name      string
		geom      orb.Geometry
		wantHoles []int // holes per polygon, in order
	}{
		{"exterior with tile-space positive orientation stays positive, hole negative", donut, []int{1}},
		{"reversed input rings are re-oriented: exterior positive, hole negative", reverseRings(donut), []int{1}},
		{"exterior reversed but hole not: both fixed", orb.Polygon{reverseRings(donut)[0], donut[1]}, []int{1}},
		{"hole cut by the buffer edge stays a hole", clipped, []int{1}},
		{"multipolygon: each exterior followed by its own holes", orb.MultiPolygon{donut, island}, []int{1, 0}},
		{"multipolygon with reversed members", orb.MultiPolygon{reverseRings(donut), reverseRings(island)}, []int{1, 0}},
	}
	r := newTestRenderer(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tile := render(t, r, c, layerOf("parcels", feature(7, tc.geom)))
			l := tile.layer("parcels")
			if l == nil || len(l.Features) != 1 {
				t.Fatalf("want one feature, got %+v", tile)
			}
			polys, err := polygons(l.Features[0].Rings)
			if err != nil {
				t.Fatal(err)
			}
			var holes []int
			for _, p := range polys {
				holes = append(holes, len(p)-1)
			}
			if !slices.Equal(holes, tc.wantHoles) {
				t.Errorf("holes per polygon = %v, want %v", holes, tc.wantHoles)
			}
			if a := area2(l.Features[0].Rings[0]); a <= 0 {
				t.Errorf("first ring area %d, want positive", a)
			}
		})
	}
}

func TestRenderDegenerateRings(t *testing.T) {
	c := testTile
	tests := []struct {
		name     string
		geom     orb.Geometry
		zoomDiff int   // render the parent tile this many levels up
		wantArea []int // twice the area of each decoded ring; nil: feature absent
		noPoint  [2]int64
	}{
		{
			name:     "sliver thinner than a unit becomes a 1×1 square so its id is present",
			geom:     tilePoly(c, [][2]float64{{100.1, 100.1}, {100.3, 100.1}, {100.3, 300.2}, {100.1, 300.2}}),
			wantArea: []int{2},
		},
		{
			name:     "A-B-A spike is removed after snapping",
			geom:     tilePoly(c, [][2]float64{{100, 100}, {200, 100}, {200, 150}, {400.2, 150.1}, {200.1, 149.9}, {200, 200}, {100, 200}}),
			wantArea: []int{20000},
			noPoint:  [2]int64{400, 150},
		},
		{
			name:     "points that snap to the same grid point are merged",
			geom:     tilePoly(c, [][2]float64{{100.1, 100.1}, {100.3, 100.2}, {200, 100}, {200, 200}, {100, 200}}),
			wantArea: []int{20000},
		},
		{
			name: "hole smaller than a unit is dropped, its exterior kept",
			geom: tilePoly(c, sq(100, 100, 200, 200),
				[][2]float64{{150.1, 150.1}, {150.1, 150.3}, {150.3, 150.3}, {150.3, 150.1}}),
			wantArea: []int{20000},
		},
		{
			name: "exterior that collapses takes its holes with it (replaced by the id square)",
			geom: tilePoly(c, [][2]float64{{100.1, 100.1}, {100.3, 100.1}, {100.3, 300.2}, {100.1, 300.2}},
				[][2]float64{{100.15, 150}, {100.15, 160}, {100.2, 160}, {100.2, 150}}),
			wantArea: []int{2},
		},
		{
			name:     "below KeepAllZoom a feature collapsed by snapping is dropped",
			geom:     tilePoly(c, sq(100, 100, 101, 101)),
			zoomDiff: 4,
			wantArea: nil,
		},
	}
	r := newTestRenderer(t, Options{MinPixelArea: -1})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc2 := c
			for range tc.zoomDiff {
				tc2 = Coord{Z: tc2.Z - 1, X: tc2.X / 2, Y: tc2.Y / 2}
			}
			tile := render(t, r, tc2, layerOf("parcels", feature(3, tc.geom)))
			l := tile.layer("parcels")
			if tc.wantArea == nil {
				if l != nil {
					t.Fatalf("want no feature, got %v", l.Features)
				}
				return
			}
			if l == nil || len(l.Features) != 1 || l.Features[0].ID != 3 {
				t.Fatalf("want feature 3, got %+v", l)
			}
			var got []int
			for _, ring := range l.Features[0].Rings {
				got = append(got, int(area2(ring)))
				if slices.Contains(ring, tc.noPoint) && tc.noPoint != ([2]int64{}) {
					t.Errorf("ring still has spike point %v: %v", tc.noPoint, ring)
				}
			}
			if !slices.Equal(got, tc.wantArea) {
				t.Errorf("ring areas ×2 = %v, want %v (rings %v)", got, tc.wantArea, l.Features[0].Rings)
			}
		})
	}
}

func TestRenderFeatureIDs(t *testing.T) {
	c := testTile
	var feats []*spatial.Feature
	ids := []spatial.FeatureID{1, 2, 127, 128, 1 << 40, math.MaxUint64}
	for i, id := range ids {
		x := 100 + float64(i)*300
		feats = append(feats, feature(id, tilePoly(c, sq(x, 100, x+200, 300))))
	}
	tile := render(t, newTestRenderer(t, Options{}), c, layerOf("parcels", feats...))
	var got []spatial.FeatureID
	for _, f := range tile.layer("parcels").Features {
		if !f.HasID {
			t.Errorf("feature without id")
		}
		got = append(got, spatial.FeatureID(f.ID))
	}
	if !slices.Equal(got, ids) {
		t.Errorf("ids = %v, want %v (in id order)", got, ids)
	}
}

func TestRenderTypedProperties(t *testing.T) {
	c := testTile
	attrs := spatial.Attrs{
		"DKBH": "KC-001", "QLR": "衢州市华丰五金有限公司", "WWLX": nil, "MJSS": 12.5,
		"BSM": int64(42), "NEG": int64(-7), "SFGS": true, "RJL": nil,
		"XZQMC": "柯城区", "area_mu": "source value shadowed by derived",
	}
	f1 := &spatial.Feature{ID: 1, Geometry: tilePoly(c, sq(100, 100, 300, 300)), Attrs: attrs.Record(),
		Derived: spatial.Derived{AreaMu: 12.25, ControlPosition: spatial.Straddling, OutsideRatio: 0.25,
			OutsideMu: 3.0625, BlockID: 9, BlockMu: 320.5, Scattered: false}}
	f2 := &spatial.Feature{ID: 2, Geometry: tilePoly(c, sq(400, 100, 600, 300)),
		Attrs: spatial.Attrs{"DKBH": "KC-002", "QLR": "衢州市华丰五金有限公司", "XZQMC": "柯城区"}.Record()}
	tests := []struct {
		name string
		opts Options
		want map[string]any
	}{
		{
			name: "default keeps styling and role fields, typed; nil and unsupported omitted",
			want: map[string]any{
				"DKBH": "KC-001", "QLR": "衢州市华丰五金有限公司", "MJSS": 12.5, "XZQMC": "柯城区",
				"area_mu": 12.25, "control_position": "straddling", "outside_ratio": 0.25,
				"outside_mu": 3.0625, "block_id": uint64(9), "block_mu": 320.5, "scattered": false,
			},
		},
		{
			name: "AllAttributes carries every attribute, ints as int or sint, bools as bool",
			opts: Options{AllAttributes: true},
			want: map[string]any{
				"DKBH": "KC-001", "QLR": "衢州市华丰五金有限公司", "MJSS": 12.5, "XZQMC": "柯城区",
				"BSM": int64(42), "NEG": int64(-7), "SFGS": true,
				"area_mu": 12.25, "control_position": "straddling", "outside_ratio": 0.25,
				"outside_mu": 3.0625, "block_id": uint64(9), "block_mu": 320.5, "scattered": false,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := spatial.NewSnapshot(spatial.Layer{ID: "parcels", Version: 1,
				Fields: []spatial.Field{{Name: "DKBH"}, {Name: "QLR"}, {Name: "BSM", Type: spatial.FieldInteger}},
				Roles:  map[string]string{"code": "DKBH"}}, []*spatial.Feature{f1, f2})
			tile := render(t, newTestRenderer(t, tc.opts), c, snap)
			l := tile.layer("parcels")
			if got := l.Features[0].Props; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("props\n got %#v\nwant %#v", got, tc.want)
			}
			for _, v := range l.Values {
				if v == "null" || v == "<nil>" {
					t.Errorf("value table holds %q", v)
				}
			}
			// de-duplicated tables
			if len(l.Keys) != len(uniq(l.Keys)) {
				t.Errorf("duplicate keys %v", l.Keys)
			}
			n := 0
			for _, v := range l.Values {
				if v == "衢州市华丰五金有限公司" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("shared value stored %d times", n)
			}
		})
	}
}

func uniq[T comparable](s []T) map[T]bool {
	m := map[T]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

func TestRenderClippingAndInclusion(t *testing.T) {
	c := testTile
	big := tilePoly(c, sq(-5000, -5000, 9000, 9000))
	// L-shape whose bbox covers the tile but whose arms stay outside the buffered square.
	ell := tilePoly(c, [][2]float64{{-800, -800}, {9000, -800}, {9000, -700}, {-700, -700}, {-700, 9000}, {-800, 9000}})
	hugeHole := tilePoly(c, sq(-9000, -9000, 13000, 13000), sq(-200, -200, 4300, 4300))
	tests := []struct {
		name     string
		geom     orb.Geometry
		want     bool
		wantRing [][2]int64 // expected first ring, if given
	}{
		{"polygon covering the tile is clipped to the buffered square", big, true,
			[][2]int64{{-64, -64}, {4160, -64}, {4160, 4160}, {-64, 4160}}},
		{"polygon lying only in the buffer is included", tilePoly(c, sq(4100, 1000, 4150, 1200)), true,
			[][2]int64{{4100, 1000}, {4150, 1000}, {4150, 1200}, {4100, 1200}}},
		{"polygon straddling the buffer edge is cut at the edge", tilePoly(c, sq(4100, 1000, 4300, 1200)), true,
			[][2]int64{{4100, 1000}, {4160, 1000}, {4160, 1200}, {4100, 1200}}},
		{"polygon beyond the buffer is excluded", tilePoly(c, sq(4170, 1000, 4300, 1200)), false, nil},
		{"polygon touching the buffer edge from outside is excluded", tilePoly(c, sq(4160, 1000, 4300, 1200)), false, nil},
		{"L-shape whose bounding box covers the tile but whose interior misses it is excluded", ell, false, nil},
		{"tile lying inside a hole is excluded", hugeHole, false, nil},
	}
	r := newTestRenderer(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := feature(5, tc.geom)
			if got := featureIntersects(f, c, 64); got != tc.want {
				t.Fatalf("oracle says %v, test expects %v", got, tc.want)
			}
			tile := render(t, r, c, layerOf("parcels", f))
			l := tile.layer("parcels")
			if (l != nil) != tc.want {
				t.Fatalf("present = %v, want %v", l != nil, tc.want)
			}
			if tc.wantRing != nil && !sameRing(l.Features[0].Rings[0], tc.wantRing) {
				t.Errorf("ring = %v, want %v", l.Features[0].Rings[0], tc.wantRing)
			}
		})
	}
}

// sameRing compares open rings up to the starting point.
func sameRing(a, b [][2]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for s := range a {
		ok := true
		for i := range a {
			if a[(s+i)%len(a)] != b[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestRenderEmptyTile(t *testing.T) {
	c := genCounty(t, countyOptions{Parcels: 200})
	r := newTestRenderer(t, Options{})
	far := CoordAt(orb.Point{-70, -30}, 14)
	tests := []struct {
		name   string
		layers []*spatial.Snapshot
	}{
		{"no layers", nil},
		{"nil snapshot", []*spatial.Snapshot{nil}},
		{"layers without features here", []*spatial.Snapshot{c.parcels, c.control}},
		{"empty layer", []*spatial.Snapshot{layerOf("empty")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := r.Render(context.Background(), tc.layers, far)
			if err != nil || b != nil {
				t.Errorf("Render = %d bytes, %v; want nil, nil", len(b), err)
			}
		})
	}
}

func TestRenderLayers(t *testing.T) {
	c := testTile
	a := layerOf("a", feature(1, tilePoly(c, sq(100, 100, 200, 200))))
	b := layerOf("b", feature(1, tilePoly(c, sq(100, 100, 200, 200))))
	far := layerOf("far", feature(1, tilePoly(c, sq(9000, 9000, 9100, 9100))))
	tile := render(t, newTestRenderer(t, Options{}), c, b, far, nil, a, b)
	var names []string
	for _, l := range tile.Layers {
		names = append(names, l.Name)
	}
	if want := []string{"b", "a"}; !slices.Equal(names, want) {
		t.Errorf("layers = %v, want %v (request order, empty and repeated layers left out)", names, want)
	}
}

func TestRenderInvalidCoordAndCancel(t *testing.T) {
	r := newTestRenderer(t, Options{})
	_, err := r.Render(context.Background(), nil, Coord{Z: 3, X: 8})
	if !errors.Is(err, ErrOutOfRange) {
		t.Errorf("out of range coord: err = %v", err)
	}
	_, err = r.Render(context.Background(), nil, Coord{Z: 25})
	if !errors.Is(err, ErrOutOfRange) {
		t.Errorf("z25: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := genCounty(t, countyOptions{Parcels: 2000})
	_, err = r.Render(ctx, []*spatial.Snapshot{c.parcels}, CoordAt(c.parcels.Layer.Bound.Center(), 10))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

// TestRenderInclusionMatchesBruteForce: at zoom ≥ 12 the ids in a tile are exactly the features
// whose interior meets the buffered square, computed over all features without the index.
func TestRenderInclusionMatchesBruteForce(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 1500})
	r := newTestRenderer(t, Options{})
	feats := cty.parcels.Features()
	for _, z := range []Zoom{12, 14, 16} {
		tiles, present := 0, 0
		for c := range Covering(cty.parcels.Layer.Bound, z) {
			if z == 16 && (c.X+c.Y)%5 != 0 {
				continue // a sample is enough at z16
			}
			want := map[uint64]bool{}
			for _, f := range feats {
				if featureIntersects(f, c, 64) {
					want[uint64(f.ID)] = true
				}
			}
			tile := render(t, r, c, cty.parcels)
			got := map[uint64]bool{}
			if l := tile.layer("parcels"); l != nil {
				got = l.ids()
			}
			if !reflect.DeepEqual(got, want) {
				for id := range want {
					if !got[id] {
						t.Errorf("tile %v: feature %d intersects but is missing", c, id)
					}
				}
				for id := range got {
					if !want[id] {
						t.Errorf("tile %v: feature %d does not intersect but is present", c, id)
					}
				}
			}
			tiles++
			present += len(got)
		}
		t.Logf("z%d: %d tiles, %d feature instances", z, tiles, present)
	}
}

// TestRenderAreasMatchExactClip: each decoded polygon's area is within 1 % of the exact float
// area of the projected polygon clipped to the buffered square, or — for pieces so small that
// the integer grid cannot reach 1 % — within the bound of snapping every vertex by half a unit.
func TestRenderAreasMatchExactClip(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 800})
	r := newTestRenderer(t, Options{})
	for _, z := range []Zoom{13, 14, 15} {
		strict, loose := 0, 0
		for c := range Covering(cty.parcels.Layer.Bound, z) {
			tile := render(t, r, c, cty.parcels)
			l := tile.layer("parcels")
			if l == nil {
				continue
			}
			for _, df := range l.Features {
				f := cty.parcels.Feature(spatial.FeatureID(df.ID))
				var want, perim float64
				for _, p := range spatial.Polygons(f.Geometry) {
					a, per := clippedArea(projectPoly(c, p), -64, 4160)
					want += a
					perim += per
				}
				var got float64
				for _, ring := range df.Rings {
					got += float64(area2(ring)) / 2
				}
				diff := math.Abs(got - want)
				switch {
				case diff <= 0.01*want:
					strict++
				case diff <= 0.71*perim+1:
					loose++
				default:
					t.Errorf("tile %v feature %d: area %.1f, exact %.1f (perimeter %.1f)", c, df.ID, got, want, perim)
				}
			}
		}
		t.Logf("z%d: %d polygons within 1%%, %d small pieces within the snapping bound", z, strict, loose)
		if strict < 10*loose {
			t.Errorf("z%d: too many polygons outside 1%%: %d of %d", z, loose, strict+loose)
		}
	}
}

// TestRenderSharedEdges: parcels sharing an edge encode exactly the same vertices along it
// (traversed in opposite directions, as both exteriors are positive) at z10, z14 and z18.
func TestRenderSharedEdges(t *testing.T) {
	tests := []struct {
		name   string
		opts   countyOptions
		z      Zoom
		sample int // check every n-th covering tile
		strict bool
	}{
		{"z10 with 1.5 km parcels", countyOptions{Parcels: 100, CellM: 1500, Cols: 10, Rows: 10}, 10, 1, true},
		{"z14 with 150 m parcels", countyOptions{Parcels: 1000}, 14, 1, true},
		{"z18 with 150 m parcels", countyOptions{Parcels: 300}, 18, 7, true},
		{"z10 with 150 m parcels (some collapse)", countyOptions{Parcels: 1000}, 10, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cty := genCounty(t, tc.opts)
			r := newTestRenderer(t, Options{MinPixelArea: -1})
			checked, collapsed, i := 0, 0, 0
			for c := range Covering(cty.parcels.Layer.Bound, tc.z) {
				if i++; i%tc.sample != 0 {
					continue
				}
				tile := render(t, r, c, cty.parcels)
				l := tile.layer("parcels")
				if l == nil {
					continue
				}
				ch, co := checkSharedEdges(t, l, c, cty.shared)
				checked += ch
				collapsed += co
			}
			t.Logf("%d shared edge runs identical, %d collapsed by snapping", checked, collapsed)
			if checked == 0 {
				t.Fatal("no shared edge checked")
			}
			if tc.strict && collapsed > 0 {
				t.Errorf("%d shared edges missing from one side", collapsed)
			}
		})
	}
}

func checkSharedEdges(t *testing.T, l *dLayer, c Coord, edges []sharedEdge) (checked, collapsed int) {
	t.Helper()
	byID := map[uint64]*dFeature{}
	for i := range l.Features {
		byID[l.Features[i].ID] = &l.Features[i]
	}
	for _, e := range edges {
		fa, fb := byID[uint64(e.a)], byID[uint64(e.b)]
		if fa == nil || fb == nil {
			continue
		}
		proj := projectPoly(c, orb.Polygon{orb.Ring(e.line)})[0]
		var run [][2]int64
		flush := func() {
			if len(run) >= 2 {
				da, okA := findRun(fa.Rings, run)
				db, okB := findRun(fb.Rings, run)
				switch {
				case okA && okB && da == db:
					t.Errorf("tile %v: edge %d|%d traversed in the same direction", c, e.a, e.b)
				case okA && okB:
					checked++
				default:
					collapsed++
				}
			}
			run = run[:0]
		}
		for _, p := range proj {
			if p[0] <= -64 || p[0] >= 4160 || p[1] <= -64 || p[1] >= 4160 {
				flush()
				continue
			}
			q := [2]int64{int64(math.Round(p[0])), int64(math.Round(p[1]))}
			if len(run) == 0 || run[len(run)-1] != q {
				run = append(run, q)
			}
		}
		flush()
	}
	return checked, collapsed
}

// findRun looks for run as consecutive vertices of one of the rings, forwards (+1) or
// backwards (-1).
func findRun(rings [][][2]int64, run [][2]int64) (int, bool) {
	for _, r := range rings {
		n := len(r)
		for i := range r {
			if r[i] != run[0] {
				continue
			}
			for _, dir := range []int{1, -1} {
				ok := true
				for k := 1; k < len(run) && ok; k++ {
					ok = r[((i+dir*k)%n+n)%n] == run[k]
				}
				if ok {
					return dir, true
				}
			}
		}
	}
	return 0, false
}

func TestRenderNeverMutatesSnapshot(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 600})
	before := make([]spatial.Feature, 0, cty.parcels.Len())
	for _, f := range cty.parcels.Features() {
		g := *f
		g.Geometry = orb.Clone(f.Geometry)
		g.Attrs = f.Attrs
		before = append(before, g)
	}
	r := newTestRenderer(t, Options{})
	for _, z := range []Zoom{9, 12, 14, 17} {
		for c := range Covering(cty.parcels.Layer.Bound, z) {
			render(t, r, c, cty.parcels)
		}
	}
	for i, f := range cty.parcels.Features() {
		if !reflect.DeepEqual(*f, before[i]) {
			t.Fatalf("feature %d changed by rendering", f.ID)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 1000})
	feats := slices.Clone(cty.parcels.Features())
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(feats), func(i, j int) { feats[i], feats[j] = feats[j], feats[i] })
	// Rebuild the tree from a different insertion order, and edit a feature far away.
	shuffled := spatial.NewSnapshot(cty.parcels.Layer, feats)
	last := cty.parcels.Features()[cty.parcels.Len()-1].Clone()
	last.Attrs = last.Attrs.With("QLR", "新权利人")
	meta := cty.parcels.Layer
	meta.Version++
	edited := shuffled.WithFeatures(meta, []*spatial.Feature{last})
	r := newTestRenderer(t, Options{})
	c := CoordAt(cty.parcels.Features()[0].Bound().Center(), 15)
	if last.Bound().Intersects(r.Area(c)) {
		t.Fatal("test needs a feature outside the tile")
	}
	var want []byte
	for i, s := range []*spatial.Snapshot{cty.parcels, shuffled, edited} {
		b, err := r.Render(context.Background(), []*spatial.Snapshot{s}, c)
		if err != nil || b == nil {
			t.Fatal(b, err)
		}
		if i == 0 {
			want = b
		} else if !bytes.Equal(b, want) {
			t.Errorf("snapshot %d: tile bytes differ", i)
		}
	}
}

func TestRenderLowZoomBudget(t *testing.T) {
	cty := genCounty(t, countyOptions{Parcels: 3000})
	c := CoordAt(cty.parcels.Layer.Bound.Center(), 10)
	tests := []struct {
		name   string
		opts   Options
		layers []*spatial.Snapshot
		limit  int
	}{
		{"one layer over budget keeps the largest features within MaxTileBytes",
			Options{MaxTileBytes: 40_000}, []*spatial.Snapshot{cty.parcels}, 40_000},
		{"two layers share the budget and the small one keeps all it needs",
			Options{MaxTileBytes: 40_000}, []*spatial.Snapshot{cty.parcels, cty.control}, 40_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRenderer(t, tc.opts)
			b, err := r.Render(context.Background(), tc.layers, c)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > tc.limit || len(b) < tc.limit/2 {
				t.Errorf("tile is %d bytes, want ≤ %d and not far below", len(b), tc.limit)
			}
			tile := mustDecode(t, b)
			l := tile.layer("parcels")
			prev := math.Inf(1)
			for _, f := range l.Features {
				s := pixelSize(cty.parcels.Feature(spatial.FeatureID(f.ID)), c)
				if s > prev*1.0000001 {
					t.Fatalf("feature %d (%.2f px) after a smaller one (%.2f px)", f.ID, s, prev)
				}
				prev = s
			}
			if len(tc.layers) > 1 {
				full := render(t, newTestRenderer(t, Options{}), c, cty.control)
				if got, want := len(tile.layer("control-lines").Features), len(full.Layers[0].Features); got != want {
					t.Errorf("control layer has %d features, want all %d", got, want)
				}
			}
		})
	}
}

func pixelSize(f *spatial.Feature, c Coord) float64 {
	b := f.Bound()
	x0, y0 := LonLatToWorld(b.Min)
	x1, y1 := LonLatToWorld(b.Max)
	n := float64(c.Z.Size()) * 256
	return (x1 - x0) * n * (y0 - y1) * n
}
