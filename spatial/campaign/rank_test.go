package campaign

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// rated returns Classes of rated parcels with the given 亩均税收.
func rated(values ...float64) []*Classes {
	out := make([]*Classes, len(values))
	for i, v := range values {
		out[i] = &Classes{MuTax: &v, Rated: true}
	}
	return out
}

func classesOf(cs []*Classes) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.MuClass
	}
	return strings.Join(s, " ")
}

func TestRank(t *testing.T) {
	tax := 50.0
	for _, tc := range []struct {
		name  string
		group []*Classes
		want  string // classes in group order
	}{
		{"20 distinct values: positions 0-3 A, 4-11 B, 12-18 C, 19 D",
			rated(20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1),
			"A A A A B B B B B B B B C C C C C C C D"},
		{"values in scrambled order",
			rated(1, 20, 9, 8, 17, 3, 16, 12),
			// n = 8: 20→0 A, 17→1 A (.125), 16→2 B (.25), 12→3 B, 9→4 B (.5), 8→5 C (.625), 3→6 C, 1→7 C (.875)
			"C A B C A C B B"},
		{"ties take the best position of their group",
			rated(10, 10, 8, 8, 8, 5),
			// positions 0 0 2 2 2 5 of 6 → p 0 0 .33 .33 .33 .83
			"A A B B B C"},
		{"p equal to a cut falls in the lower class",
			rated(9, 7, 7, 3, 1),
			// positions 0 1 1 3 4 of 5 → p 0 .2 .2 .6 .8: .2 is not < .20, .6 is not < .60
			"A B B C C"},
		{"all tied", rated(5, 5, 5), "A A A"},
		{"one rated parcel", rated(0.5), "A"},
		{"negative and zero values rank last", rated(0, -2, 3, 1, 2), "C C A B B"},
		{"unrated parcels are T and do not count",
			append(rated(4, 2), &Classes{MuTax: &tax}, &Classes{Rated: true}, &Classes{}),
			// rated: 4→0 A, 2→1 of 2 → .5 B; a tax figure without production, Rated without a figure, nothing → T
			"A B T T T"},
		{"empty group", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			Rank(tc.group, DefaultParams())
			if got := classesOf(tc.group); got != tc.want {
				t.Errorf("classes %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRankDoesNotDependOnOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	values := make([]float64, 200)
	for i := range values {
		values[i] = float64(r.IntN(40)) / 4 // many ties
	}
	group := rated(values...)
	Rank(group, DefaultParams())
	want := map[float64]string{}
	for _, c := range group {
		if w, ok := want[*c.MuTax]; ok && w != c.MuClass {
			t.Fatalf("equal values %v in classes %s and %s", *c.MuTax, w, c.MuClass)
		}
		want[*c.MuTax] = c.MuClass
	}
	for range 5 {
		r.Shuffle(len(group), func(i, j int) { group[i], group[j] = group[j], group[i] })
		for _, c := range group {
			c.MuClass = ""
		}
		Rank(group, DefaultParams())
		for _, c := range group {
			if c.MuClass != want[*c.MuTax] {
				t.Fatalf("value %v: class %s after shuffling, %s before", *c.MuTax, c.MuClass, want[*c.MuTax])
			}
		}
	}
}

func TestRankWithOtherCuts(t *testing.T) {
	p := DefaultParams()
	p.CutA, p.CutB, p.CutC = 0.5, 0.5, 0.75
	group := rated(4, 3, 2, 1) // p = 0 .25 .5 .75
	Rank(group, p)
	if got := classesOf(group); got != "A A C D" {
		t.Errorf("classes %q, want %q", got, "A A C D")
	}
}

// TestComputeLayerGroups ranks per district: the same parcels rank differently per group than
// over the whole layer.
func TestComputeLayerGroups(t *testing.T) {
	inProduction := func(district any, mjss float64) spatial.Attrs {
		return spatial.Attrs{"XZQDM": district, "SJTCRQ": "2024-01-01", "MJSS": mjss}
	}
	attrs := []spatial.Attrs{
		inProduction("330802", 30),        // 1
		inProduction(int64(330802), 20),   // 2: an integer code is the same district
		inProduction("330802", 10),        // 3
		inProduction("330803", 5),         // 4
		inProduction("330803", 1),         // 5
		inProduction(nil, 100),            // 6: no district, a group of its own
		{"XZQDM": "330802", "MJSS": 99.0}, // 7: not in production → T, not counted
	}
	features := make([]*spatial.Feature, len(attrs))
	for i, a := range attrs {
		x := float64(i)
		features[i] = &spatial.Feature{ID: spatial.FeatureID(i + 1), Attrs: a.Record(),
			Geometry: orb.Polygon{{{x, 0}, {x + 0.5, 0}, {x + 0.5, 0.5}, {x, 0}}}}
	}
	sn := spatial.NewSnapshot(spatial.Layer{ID: "p"}, features)
	for _, tc := range []struct {
		groupBy, want string
	}{
		// 330802: 30 A (0), 20 B (1/3), 10 C (2/3); 330803: 5 A, 1 B (1/2); none: 100 A.
		{"XZQDM", "A B C A B A T"},
		// whole layer, n = 6: 100 0 A, 30 1/6 A, 20 2/6 B, 10 3/6 B, 5 4/6 C, 1 5/6 C.
		{"", "A B B C C A T"},
	} {
		got := ComputeLayer(sn, func(*spatial.Feature) float64 { return 1 }, d1, DefaultParams(), tc.groupBy)
		s := make([]string, len(attrs))
		for i := range attrs {
			s[i] = got[spatial.FeatureID(i+1)].MuClass
		}
		if g := strings.Join(s, " "); g != tc.want {
			t.Errorf("groupBy %q: classes %q, want %q", tc.groupBy, g, tc.want)
		}
	}
}

// TestComputeLayerUsesTheLayerFields reads the inputs from the fields the layer's roles name.
func TestComputeLayerUsesTheLayerFields(t *testing.T) {
	layer := spatial.Layer{ID: "p",
		Fields: []spatial.Field{{Name: "yddgrq", Type: spatial.FieldDate}, {Name: "税收额", Type: spatial.FieldReal},
			{Name: "状态", Type: spatial.FieldString}},
		Roles: map[string]string{spatial.RoleTax: "税收额", spatial.RoleDisposalState: "状态"},
	}
	f := &spatial.Feature{ID: 1, Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
		Attrs:   spatial.Attrs{"yddgrq": "2024-01-01", "税收额": 50.0, "SS": 1.0, "状态": "已销号", "CZZT": "处置中"}.Record(),
		Derived: spatial.Derived{AreaMu: 25}}
	got := ComputeLayer(spatial.NewSnapshot(layer, []*spatial.Feature{f}), nil, d1, DefaultParams(), "")[1]
	// 50 / 25 亩 from the layer's tax field; idle from the lower-case yddgrq; no warning (状态 已销号).
	checkClasses(t, got, "start_due=2024-01-01 idle_class=闲置满两年 idle_since=2025-01-01 idle_years=2 "+
		"may_reclaim=true idle_reason=缺少出让价款(CRJK) mu_tax=2 mu_class=T")
}
