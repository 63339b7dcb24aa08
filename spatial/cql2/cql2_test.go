package cql2

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// square returns a lon/lat square polygon with its lower-left corner at (x, y).
func square(x, y, d float64) orb.Polygon {
	return orb.Polygon{{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}}
}

// parcel is a parcel at 118.87..118.88 E, 28.94..28.95 N with a hole 118.874..118.876 E,
// 28.944..28.946 N, and the attribute types mudi stores.
func parcel() *spatial.Feature {
	shell := square(118.87, 28.94, 0.01)[0]
	hole := orb.Ring{{118.874, 28.944}, {118.874, 28.946}, {118.876, 28.946}, {118.876, 28.944}, {118.874, 28.944}}
	return &spatial.Feature{
		ID:       7,
		Geometry: orb.Polygon{shell, hole},
		Attrs: spatial.Attrs{
			"DKBH": "KC-001", "QLR": "浙江衢州甲新材料有限公司", "XZQMC": "柯城区", "BSM": int64(17),
			"MJSS": 1.5, "SFDX": true, "WWLX": nil, "GDRQ": "2020-05-01", "地块 编号": "it's",
			"地块编号": "甲-1", "BIG": int64(9007199254740993), "PCT": "100%", "area_mu": "shadowed",
		}.Record(),
		Derived: spatial.Derived{AreaM2: 8000, AreaMu: 12, ControlPosition: spatial.Outside, OutsideRatio: 1, OutsideMu: 12},
	}
}

func TestMatchCoversEveryOperator(t *testing.T) {
	f := parcel()
	for _, tt := range []struct {
		name   string
		filter string
		want   bool
	}{
		{"string equality", "DKBH = 'KC-001'", true},
		{"string inequality", "DKBH <> 'KC-001'", false},
		{"string order is bytewise", "DKBH < 'KC-002' AND DKBH > 'KC-000' AND DKBH >= 'KC-001' AND DKBH <= 'KC-001'", true},
		{"float less than", "MJSS < 2", true},
		{"float not greater than itself", "MJSS > 1.5", false},
		{"float at least itself", "MJSS >= 1.5 AND MJSS <= 1.5", true},
		{"integer equals float of same value", "BSM = 17.0", true},
		{"integer compared with fraction", "BSM > 16.5 AND BSM < 17.5", true},
		{"integer beyond 2^53 compared exactly with a float", "BIG > 9007199254740992.0", true},
		{"integer beyond 2^53 equals itself", "BIG = 9007199254740993", true},
		{"negative literal", "BSM > -1", true},
		{"boolean equality", "SFDX = TRUE", true},
		{"boolean inequality", "SFDX <> FALSE", true},
		{"booleans are not ordered", "SFDX > FALSE", false},
		{"mismatched types compare false", "DKBH = 1", false},
		{"mismatched types compare false with <> too", "DKBH <> 1", false},
		{"missing property compares false", "NOPE = 1", false},
		{"missing property compares false with <>", "NOPE <> 1", false},
		{"NOT of a false comparison is true", "NOT NOPE = 1", true},
		{"null compares false", "WWLX = 'x' OR WWLX <> 'x'", false},
		{"IS NULL on null", "WWLX IS NULL", true},
		{"IS NULL on missing", "NOPE IS NULL", true},
		{"IS NOT NULL on value", "DKBH IS NOT NULL", true},
		{"IS NOT NULL on null", "WWLX IS NOT NULL", false},
		{"IN list of strings", "XZQMC IN ('衢江区', '柯城区')", true},
		{"IN list misses", "XZQMC IN ('衢江区', '龙游县')", false},
		{"NOT IN", "XZQMC NOT IN ('衢江区', '龙游县')", true},
		{"NOT IN on null is false", "WWLX NOT IN ('a')", false},
		{"IN mixes integers and floats", "BSM IN (1, 17.0)", true},
		{"LIKE suffix", "QLR LIKE '%有限公司'", true},
		{"LIKE prefix", "QLR LIKE '浙江%'", true},
		{"LIKE underscore is one character, not one byte", "QLR LIKE '_江%'", true},
		{"LIKE two underscores miss", "QLR LIKE '__江%'", false},
		{"LIKE whole string only", "QLR LIKE '衢州'", false},
		{"LIKE escaped percent", `PCT LIKE '100\%'`, true},
		{"LIKE escaped percent is literal", `PCT LIKE '10\%'`, false},
		{"LIKE with backtracking", "QLR LIKE '%衢%材料%公司'", true},
		{"NOT LIKE", "DKBH NOT LIKE 'KC-9%'", true},
		{"LIKE on a number is false", "BSM LIKE '17'", false},
		{"NOT LIKE on a number is false", "BSM NOT LIKE '18'", false},
		{"BETWEEN inclusive", "MJSS BETWEEN 1.5 AND 2", true},
		{"BETWEEN integers", "BSM BETWEEN 1 AND 16", false},
		{"NOT BETWEEN", "BSM NOT BETWEEN 1 AND 16", true},
		{"BETWEEN on missing is false", "NOPE BETWEEN 1 AND 2", false},
		{"NOT BETWEEN on missing is false", "NOPE NOT BETWEEN 1 AND 2", false},
		{"BETWEEN dates as strings", "GDRQ BETWEEN '2020-01-01' AND '2020-12-31'", true},
		{"DATE literal", "GDRQ >= DATE('2020-05-01')", true},
		{"TIMESTAMP literal compares as text", "GDRQ < TIMESTAMP('2020-05-02T00:00:00Z')", true},
		{"AND", "DKBH = 'KC-001' AND BSM = 18", false},
		{"OR", "DKBH = 'x' OR BSM = 17", true},
		{"AND binds tighter than OR", "BSM = 17 OR BSM = 1 AND BSM = 2", true},
		{"parentheses change grouping", "(BSM = 17 OR BSM = 1) AND BSM = 2", false},
		{"NOT", "NOT DKBH = 'x'", true},
		{"NOT of parentheses", "NOT (DKBH = 'KC-001' OR BSM = 1)", false},
		{"double NOT", "NOT NOT BSM = 17", true},
		{"TRUE predicate", "TRUE", true},
		{"FALSE predicate", "FALSE OR FALSE", false},
		{"keywords are case-insensitive", "DKBH = 'KC-001' and not (BSM is null) or false", true},
		{"quoted Chinese name with a space", `"地块 编号" = 'it''s'`, true},
		{"bare Chinese name", "地块编号 = '甲-1'", true},
		{"quoted plain name", `"DKBH" = 'KC-001'`, true},
		{"literal on the left", "'KC-001' = DKBH", true},
		{"derived area shadows a source attribute", "area_mu = 12", true},
		{"derived control position", "control_position = 'outside' AND outside_ratio = 1", true},
		{"derived block fields absent when not computed", "block_id IS NULL AND scattered IS NULL", true},
		{"exponent literal", "area_m2 = 8e3", true},
		{"S_INTERSECTS bbox overlapping", "S_INTERSECTS(geometry, BBOX(118.875, 28.93, 118.9, 28.941))", true},
		{"S_INTERSECTS bbox touching an edge", "S_INTERSECTS(geometry, BBOX(118.88, 28.90, 118.9, 28.941))", true},
		{"S_INTERSECTS bbox touching a corner", "S_INTERSECTS(geometry, BBOX(118.88, 28.95, 118.9, 28.96))", true},
		{"S_INTERSECTS bbox just outside", "S_INTERSECTS(geometry, BBOX(118.8800001, 28.90, 118.9, 28.941))", false},
		{"S_INTERSECTS bbox inside the hole", "S_INTERSECTS(geometry, BBOX(118.8745, 28.9445, 118.8755, 28.9455))", false},
		{"S_INTERSECTS bbox containing the parcel", "S_INTERSECTS(geometry, BBOX(118, 28, 119, 29))", true},
		{"S_INTERSECTS bbox inside the parcel", "S_INTERSECTS(geometry, BBOX(118.871, 28.941, 118.872, 28.942))", true},
		{"S_INTERSECTS bbox with heights", "S_INTERSECTS(geometry, BBOX(118.871, 28.941, 0, 118.872, 28.942, 10))", true},
		{"S_INTERSECTS literal first", "S_INTERSECTS(BBOX(118.871, 28.941, 118.872, 28.942), geometry)", true},
		{"S_INTERSECTS triangle crossing the shell", "S_INTERSECTS(geometry, POLYGON((118.86 28.93, 118.875 28.945, 118.86 28.945, 118.86 28.93)))", true},
		{"S_INTERSECTS triangle beside the parcel", "S_INTERSECTS(geometry, POLYGON((118.86 28.93, 118.869 28.945, 118.86 28.945, 118.86 28.93)))", false},
		{"S_INTERSECTS polygon in the hole", "S_INTERSECTS(geometry, POLYGON((118.8745 28.9445, 118.8755 28.9445, 118.875 28.9455, 118.8745 28.9445)))", false},
		{"S_INTERSECTS polygon whose hole holds the parcel", "S_INTERSECTS(geometry, POLYGON((118 28, 119 28, 119 29, 118 29, 118 28), (118.86 28.93, 118.89 28.93, 118.89 28.96, 118.86 28.96, 118.86 28.93)))", false},
		{"S_INTERSECTS multipolygon", "S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((118.871 28.941, 118.872 28.941, 118.872 28.942, 118.871 28.941))))", true},
		{"S_INTERSECTS point inside", "S_INTERSECTS(geometry, POINT(118.871 28.941))", true},
		{"S_INTERSECTS point on the boundary", "S_INTERSECTS(geometry, POINT(118.88 28.945))", true},
		{"S_INTERSECTS point in the hole", "S_INTERSECTS(geometry, POINT(118.875 28.945))", false},
		{"S_INTERSECTS point on the hole's boundary", "S_INTERSECTS(geometry, POINT(118.874 28.945))", true},
		{"S_INTERSECTS bbox across the antimeridian", "S_INTERSECTS(geometry, BBOX(170, 28, 118.871, 29))", true},
		{"S_INTERSECTS combined with attributes", "S_INTERSECTS(geometry, BBOX(118, 28, 119, 29)) AND DKBH LIKE 'KC%'", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.filter)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.filter, err)
			}
			if got := e.Match(f); got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", tt.filter, got, tt.want)
			}
			// The canonical text means the same.
			again, err := Parse(e.String())
			if err != nil {
				t.Fatalf("Parse(String()) of %q = %q: %v", tt.filter, e.String(), err)
			}
			if again.Match(f) != tt.want || again.String() != e.String() {
				t.Errorf("round trip of %q: %q → %q", tt.filter, e.String(), again.String())
			}
		})
	}
}

func TestMultiPolygonFeatures(t *testing.T) {
	f := &spatial.Feature{ID: 1, Geometry: orb.MultiPolygon{square(0, 0, 1), square(10, 10, 1)}}
	for _, tt := range []struct {
		name, filter string
		want         bool
	}{
		{"second member hit", "S_INTERSECTS(geometry, POINT(10.5 10.5))", true},
		{"between members", "S_INTERSECTS(geometry, BBOX(2, 2, 9, 9))", false},
		{"spanning both", "S_INTERSECTS(geometry, BBOX(0.5, 0.5, 10.5, 10.5))", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Match(f); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStringIsCanonical(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a=1 or b=2 and c=3", "a = 1 OR b = 2 AND c = 3"},
		{"(a=1 or b=2) and c=3", "(a = 1 OR b = 2) AND c = 3"},
		{"a=1 and (b=2 and c=3)", "a = 1 AND (b = 2 AND c = 3)"},
		{"((a=1))", "a = 1"},
		{"not (a=1 and b=2)", "NOT (a = 1 AND b = 2)"},
		{`"地块 编号" = 'it''s'`, `"地块 编号" = 'it''s'`},
		{`"and" = 1`, `"and" = 1`},
		{`"1st" = 1`, `"1st" = 1`},
		{`"say ""hi""" = 1`, `"say ""hi""" = 1`},
		{"x = 2.50", "x = 2.5"},
		{"x = 2.", "x = 2.0"},
		{"x = -0.5e-3", "x = -0.0005"},
		{"x = +7", "x = 7"},
		{"x not in (1,'a',true)", "x NOT IN (1, 'a', TRUE)"},
		{"x not like 'a%' ", "x NOT LIKE 'a%'"},
		{"x is not null", "x IS NOT NULL"},
		{"x between 1 and 2", "x BETWEEN 1 AND 2"},
		{"d = date('2024-06-30')", "d = DATE('2024-06-30')"},
		{"s_intersects(geometry,bbox(1,2,3,4))", "S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))"},
		{"s_intersects(geometry, polygon((0 0,1 0,1 1,0 0)))", "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0)))"},
		{"true", "TRUE"},
		{"true = x", "TRUE = x"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSyntaxErrorsPointAtTheProblem(t *testing.T) {
	for _, tt := range []struct {
		name, filter string
		pos          int
		msg          string
	}{
		{"empty filter", "", 0, "end of input"},
		{"missing value", "DKBH = ", 7, "end of input"},
		{"double operator", "DKBH == 'x'", 6, `unexpected "="`},
		{"unterminated string", "DKBH = 'abc", 7, "unterminated string"},
		{"unterminated quoted name", `"DKBH = 'abc'`, 0, "unterminated quoted property name"},
		{"unclosed parenthesis", "(a = 1", 6, `expected ")"`},
		{"missing AND between predicates", "a = 1 b = 2", 6, `unexpected "b"`},
		{"LIKE without a string", "a LIKE 5", 7, "pattern"},
		{"BETWEEN without AND", "a BETWEEN 1 OR 2", 12, "expected AND"},
		{"empty IN list", "a IN ()", 6, "a property or a value"},
		{"IS without NULL", "a IS NUL", 5, "expected NULL"},
		{"NOT before nothing useful", "a NOT = 1", 6, "after NOT"},
		{"bad character", "a @ 1", 2, "unexpected character"},
		{"number out of range", "a = 1e999", 4, "out of range"},
		{"exponent without digits", "a = 1e", 5, "exponent"},
		{"number glued to a name", "a = 12ab", 6, "after number"},
		{"trailing AND", "a = 'x' AND", 11, "end of input"},
		{"keyword as property", "AND = 1", 0, "keyword AND"},
		{"keyword as value", "a = OR", 4, "keyword OR"},
		{"bare geometry literal", "BBOX(1,2,3,4)", 0, "S_INTERSECTS"},
		{"BBOX with 3 numbers", "S_INTERSECTS(geometry, BBOX(1,2,3))", 23, "4 numbers"},
		{"BBOX south above north", "S_INTERSECTS(geometry, BBOX(118,29,119,28))", 23, "north"},
		{"BBOX outside CRS84", "S_INTERSECTS(geometry, BBOX(0,0,500000,3000000))", 23, "not a position in CRS84"},
		{"ring not closed", "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1)))", 31, "not closed"},
		{"ring too short", "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 0 0)))", 31, "at least 4"},
		{"two literals", "S_INTERSECTS(BBOX(0,0,1,1), BBOX(0,0,1,1))", 28, "two literals"},
		{"two properties", "S_INTERSECTS(geometry, geom)", 23, "two properties"},
		{"S_INTERSECTS missing comma", "S_INTERSECTS(geometry BBOX(0,0,1,1))", 22, `expected ","`},
		{"point with one coordinate", "S_INTERSECTS(geometry, POINT(1))", 30, "a number"},
		{"bad date", "d = DATE('2024-13-01')", 9, "not a date"},
		{"invalid UTF-8", "a = '\xff'", 5, "invalid UTF-8"},
		{"nested too deeply", strings.Repeat("NOT ", 70) + "a = 1", 256, "nested"},
		{"parentheses nested too deeply", strings.Repeat("(", 70) + "a = 1" + strings.Repeat(")", 70), 64, "nested"},
		{"unknown function", "CASEI(a) = 'x'", 5, `unexpected "("`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.filter)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", tt.filter, err)
			}
			if se.Pos != tt.pos || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("Parse(%q): %v; want position %d and a message with %q", tt.filter, err, tt.pos, tt.msg)
			}
		})
	}
}

func TestParseCRSFollowsTheAxisOrderOfTheCRS(t *testing.T) {
	f := parcel()
	// The bbox 118.871..118.872 E, 28.941..28.942 N lies inside the parcel's shell.
	gk, err := crs.FromEPSG(4549)
	if err != nil {
		t.Fatal(err)
	}
	x0, y0, _ := gk.FromLonLat(118.871, 28.941)
	x1, y1, _ := gk.FromLonLat(118.872, 28.942)
	for _, tt := range []struct {
		name   string
		c      crs.CRS
		filter string
		want   bool
	}{
		{"EPSG:4490 is latitude first", crs.EPSG4490, "S_INTERSECTS(geometry, BBOX(28.941, 118.871, 28.942, 118.872))", true},
		{"EPSG:4490 point latitude first", crs.EPSG4490, "S_INTERSECTS(geometry, POINT(28.941 118.871))", true},
		{"EPSG:4549 is northing first", gk, "S_INTERSECTS(geometry, BBOX(" + num(y0) + ", " + num(x0) + ", " + num(y1) + ", " + num(x1) + "))", true},
		{"EPSG:4549 polygon northing first", gk, "S_INTERSECTS(geometry, POLYGON((" + num(y0) + " " + num(x0) + ", " + num(y0) + " " + num(x1) + ", " + num(y1) + " " + num(x1) + ", " + num(y0) + " " + num(x0) + ")))", true},
		{"EPSG:4549 far away", gk, "S_INTERSECTS(geometry, BBOX(3000000, 400000, 3000100, 400100))", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseCRS(tt.filter, tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Match(f); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
	// Longitude first is not a position in EPSG:4490: latitude 118.871 is beyond the pole.
	_, err = ParseCRS("S_INTERSECTS(geometry, BBOX(118.871, 28.941, 118.872, 28.942))", crs.EPSG4490)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != 23 || !strings.Contains(se.Msg, "EPSG:4490") {
		t.Errorf("longitude first in EPSG:4490: %v", err)
	}
}

func num(v float64) string { return formatNum(v) }

func TestPropertiesAndBound(t *testing.T) {
	e, err := Parse(`S_INTERSECTS("geometry", BBOX(1, 2, 3, 4)) AND (DKBH = 'x' OR 'y' IN (QLR, "地块 编号")) AND NOT S_INTERSECTS(geom, POINT(0 0))`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range e.Properties() {
		names = append(names, p.Name)
		if p.Geometry != (p.Name == "geometry" || p.Name == "geom") {
			t.Errorf("%s: Geometry = %v", p.Name, p.Geometry)
		}
	}
	if got := strings.Join(names, ","); got != "geometry,DKBH,QLR,地块 编号,geom" {
		t.Errorf("Properties = %s", got)
	}
	if b, ok := e.Bound(); !ok || b != (orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}}) {
		t.Errorf("Bound = %v, %v", b, ok)
	}
	or, _ := Parse("S_INTERSECTS(geometry, BBOX(1, 2, 3, 4)) OR a = 1")
	if _, ok := or.Bound(); ok {
		t.Error("a bound was implied by an OR")
	}
}

func TestEqualsAndAnd(t *testing.T) {
	f := parcel()
	e := And(nil, Equals("DKBH", "KC-001"), nil, Equals("BSM", int64(17)))
	if !e.Match(f) || e.String() != "DKBH = 'KC-001' AND BSM = 17" {
		t.Errorf("%s matches %v", e, e.Match(f))
	}
	if And() != nil || !(*Expr)(nil).Match(f) {
		t.Error("empty conjunction is not nil or nil does not match")
	}
	if Equals("地块 编号", "x").String() != `"地块 编号" = 'x'` {
		t.Error(Equals("地块 编号", "x").String())
	}
}

func TestNilAndZeroCRS(t *testing.T) {
	if _, err := ParseCRS("a = 1", crs.CRS{}); err == nil {
		t.Error("zero CRS accepted")
	}
}

func TestIntersectsBBox(t *testing.T) {
	f := parcel()
	gk, err := crs.FromEPSG(4549)
	if err != nil {
		t.Fatal(err)
	}
	x0, y0, _ := gk.FromLonLat(118.871, 28.941)
	x1, y1, _ := gk.FromLonLat(118.872, 28.942)
	for _, tt := range []struct {
		name  string
		nums  []float64
		c     crs.CRS
		match bool
		err   string
	}{
		{"CRS84 box over the parcel", []float64{118.871, 28.941, 118.872, 28.942}, crs.CRS84, true, ""},
		{"CRS84 box with heights", []float64{118.871, 28.941, -5, 118.872, 28.942, 5}, crs.CRS84, true, ""},
		{"CRS84 box elsewhere", []float64{100, 20, 101, 21}, crs.CRS84, false, ""},
		{"EPSG:4490 latitude first", []float64{28.941, 118.871, 28.942, 118.872}, crs.EPSG4490, true, ""},
		{"EPSG:4549 northing first", []float64{y0, x0, y1, x1}, gk, true, ""},
		{"EPSG:4549 lower corner east of the upper", []float64{y0, x1, y1, x0}, gk, false, "east"},
		{"five numbers", []float64{1, 2, 3, 4, 5}, crs.CRS84, false, "4 numbers"},
		{"NaN", []float64{math.NaN(), 2, 3, 4}, crs.CRS84, false, "finite"},
		{"latitude beyond the pole", []float64{0, 0, 1, 91}, crs.CRS84, false, "not a position"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := IntersectsBBox(tt.nums, tt.c)
			if tt.err != "" {
				var le *LiteralError
				if !errors.As(err, &le) || !strings.Contains(le.Msg, tt.err) {
					t.Fatalf("err = %v, want a *LiteralError with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Match(f) != tt.match {
				t.Errorf("Match = %v", !tt.match)
			}
			if p := e.Properties(); len(p) != 1 || p[0].Name != "geometry" || !p[0].Geometry {
				t.Errorf("Properties = %v", p)
			}
		})
	}
}
