package tiles

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseCoord(t *testing.T) {
	tests := []struct {
		name    string
		z, x, y string
		want    Coord
		err     error
		param   string
	}{
		{"world tile", "0", "0", "0", Coord{}, nil, ""},
		{"z14 tile", "14", "13601", "6808", Coord{14, 13601, 6808}, nil, ""},
		{"largest tile at z24", "24", "16777215", "16777215", Coord{24, 1<<24 - 1, 1<<24 - 1}, nil, ""},
		{"leading zeros are accepted", "03", "007", "1", Coord{3, 7, 1}, nil, ""},
		{"z above 24 is out of range", "25", "0", "0", Coord{}, ErrOutOfRange, "z"},
		{"x equal to 2^z is out of range", "3", "8", "0", Coord{}, ErrOutOfRange, "x"},
		{"y equal to 2^z is out of range", "3", "0", "8", Coord{}, ErrOutOfRange, "y"},
		{"huge number is out of range, not a crash", "1", "99999999999999999999999", "0", Coord{}, ErrOutOfRange, "x"},
		{"negative number is malformed", "3", "-1", "0", Coord{}, ErrBadCoord, "x"},
		{"plus sign is malformed", "+3", "0", "0", Coord{}, ErrBadCoord, "z"},
		{"empty part is malformed", "3", "0", "", Coord{}, ErrBadCoord, "y"},
		{"non-numeric is malformed", "z", "0", "0", Coord{}, ErrBadCoord, "z"},
		{"extension left on y is malformed", "3", "0", "0.mvt", Coord{}, ErrBadCoord, "y"},
		{"full-width digits are malformed", "１", "0", "0", Coord{}, ErrBadCoord, "z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCoord(tc.z, tc.x, tc.y)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				var ce *CoordError
				if !errors.As(err, &ce) || ce.Param != tc.param {
					t.Errorf("error %v does not name parameter %q", err, tc.param)
				}
				return
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzParseCoord(f *testing.F) {
	for _, s := range [][3]string{{"0", "0", "0"}, {"14", "13601", "6808"}, {"24", "16777215", "0"}, {"25", "0", "0"}, {"3", "-1", "x"}, {"", "", ""}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, z, x, y string) {
		c, err := ParseCoord(z, x, y)
		if err != nil {
			if !errors.Is(err, ErrBadCoord) && !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !c.Valid() {
			t.Fatalf("accepted invalid %v", c)
		}
		// Round trip through the canonical form.
		zv, _ := strconv.ParseUint(z, 10, 64)
		xv, _ := strconv.ParseUint(x, 10, 64)
		yv, _ := strconv.ParseUint(y, 10, 64)
		if uint64(c.Z) != zv || uint64(c.X) != xv || uint64(c.Y) != yv {
			t.Fatalf("ParseCoord(%q,%q,%q) = %v", z, x, y, c)
		}
		back, err := ParseCoord(strconv.Itoa(int(c.Z)), strconv.Itoa(int(c.X)), strconv.Itoa(int(c.Y)))
		if err != nil || back != c {
			t.Fatalf("round trip of %v: %v, %v", c, back, err)
		}
		b := c.Bound()
		if !(b.Min[0] < b.Max[0] && b.Min[1] < b.Max[1]) {
			t.Fatalf("bound of %v is empty: %v", c, b)
		}
	})
}

func TestCoordBoundAndProjection(t *testing.T) {
	tests := []struct {
		name string
		c    Coord
		want orb.Bound
	}{
		{"world tile spans the Mercator square", Coord{}, orb.Bound{Min: orb.Point{-180, -MaxLatitude}, Max: orb.Point{180, MaxLatitude}}},
		{"z1 north-east quadrant", Coord{1, 1, 0}, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{180, MaxLatitude}}},
		{"z1 south-west quadrant", Coord{1, 0, 1}, orb.Bound{Min: orb.Point{-180, -MaxLatitude}, Max: orb.Point{0, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c.Bound()
			for i := 0; i < 2; i++ {
				if math.Abs(got.Min[i]-tc.want.Min[i]) > 1e-9 || math.Abs(got.Max[i]-tc.want.Max[i]) > 1e-9 {
					t.Fatalf("Bound = %v, want %v", got, tc.want)
				}
			}
		})
	}
	// Round trips and tile lookup.
	p := orb.Point{118.87, 28.95}
	x, y := LonLatToWorld(p)
	q := WorldToLonLat(x, y)
	if math.Abs(q[0]-p[0]) > 1e-12 || math.Abs(q[1]-p[1]) > 1e-12 {
		t.Errorf("round trip %v → %v", p, q)
	}
	for z := Zoom(0); z <= MaxZoom; z++ {
		c := CoordAt(p, z)
		if !c.Valid() || !c.Bound().Contains(p) {
			t.Errorf("CoordAt(%v, %d) = %v, bound %v", p, z, c, c.Bound())
		}
	}
	if c := CoordAt(orb.Point{180, -90}, 3); c != (Coord{3, 7, 7}) {
		t.Errorf("edge point clamps to %v", c)
	}
	m := LonLatToMercator(orb.Point{180, 0})
	if math.Abs(m[0]-math.Pi*EarthRadius) > 1e-6 || math.Abs(m[1]) > 1e-6 {
		t.Errorf("LonLatToMercator(180,0) = %v", m)
	}
	cover := orb.Bound{Min: orb.Point{118.5, 28.5}, Max: orb.Point{119.5, 29.5}}
	var n int
	for c := range Covering(cover, 10) {
		if !c.Bound().Intersects(cover) {
			t.Errorf("Covering gave %v outside the bound", c)
		}
		n++
	}
	nw, se := CoordAt(orb.Point{118.5, 29.5}, 10), CoordAt(orb.Point{119.5, 28.5}, 10)
	if want := int(se.X-nw.X+1) * int(se.Y-nw.Y+1); n != want || n < 9 {
		t.Errorf("Covering a 1° square at z10 gave %d tiles, want %d", n, want)
	}
	if s := (Coord{14, 13601, 6808}).String(); s != "14/13601/6808" {
		t.Errorf("String = %q", s)
	}
}

func TestIntersectIsSymmetric(t *testing.T) {
	// Clipping a→b and b→a must give bit-identical points: that keeps shared edges shared.
	r := newRand(3)
	for i := 0; i < 10000; i++ {
		a := fpt{r.Float64()*9000 - 2000, r.Float64()*9000 - 2000}
		b := fpt{r.Float64()*9000 - 2000, r.Float64()*9000 - 2000}
		for edge := 0; edge < 4; edge++ {
			if p, q := intersect(a, b, edge, -64, 4160), intersect(b, a, edge, -64, 4160); p != q {
				t.Fatalf("intersect(%v,%v) = %v but reversed %v", a, b, p, q)
			}
		}
	}
}

func TestCleanRing(t *testing.T) {
	P := func(xy ...int32) []ipt {
		var out []ipt
		for i := 0; i < len(xy); i += 2 {
			out = append(out, ipt{xy[i], xy[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		in   []ipt
		want []ipt
	}{
		{"clean ring unchanged", P(0, 0, 10, 0, 10, 10, 0, 10), P(0, 0, 10, 0, 10, 10, 0, 10)},
		{"consecutive duplicates removed", P(0, 0, 0, 0, 10, 0, 10, 10, 10, 10, 0, 10), P(0, 0, 10, 0, 10, 10, 0, 10)},
		{"closing duplicate removed", P(0, 0, 10, 0, 10, 10, 0, 10, 0, 0), P(0, 0, 10, 0, 10, 10, 0, 10)},
		{"A-B-A spike removed", P(0, 0, 10, 0, 20, 0, 10, 0, 10, 10, 0, 10), P(0, 0, 10, 0, 10, 10, 0, 10)},
		{"nested spike removed", P(0, 0, 10, 0, 15, 5, 20, 5, 15, 5, 10, 0, 10, 10, 0, 10), P(0, 0, 10, 0, 10, 10, 0, 10)},
		{"spike across the closure removed", P(5, -5, 0, 0, 10, 0, 10, 10, 0, 10, 0, 0), P(0, 0, 10, 0, 10, 10, 0, 10)},
		{"collinear points kept", P(0, 0, 5, 0, 10, 0, 10, 10, 0, 10), P(0, 0, 5, 0, 10, 0, 10, 10, 0, 10)},
		{"ring collapsing to a segment is nil", P(0, 0, 10, 0, 0, 0), nil},
		{"two points is nil", P(0, 0, 10, 0), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := cleanRing(append([]ipt(nil), tc.in...))
			if tc.want == nil {
				if got != nil {
					t.Fatalf("got %v, want nil", got)
				}
				return
			}
			a := make([][2]int64, len(got))
			for i, p := range got {
				a[i] = [2]int64{int64(p.x), int64(p.y)}
			}
			b := make([][2]int64, len(tc.want))
			for i, p := range tc.want {
				b[i] = [2]int64{int64(p.x), int64(p.y)}
			}
			if !sameRing(a, b) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
