package cql2

import (
	"errors"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// FuzzParse checks that the parser never panics, that every error is a *SyntaxError pointing
// inside the input, and that an accepted filter prints to text that parses to the same
// canonical text and the same answers.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"DKBH = 'KC-001'",
		"a = 1 OR b <> 2 AND NOT (c < 3.5 OR d >= -4e2)",
		"x NOT IN (1, 'a', TRUE) AND y IS NOT NULL AND z NOT LIKE '%有限\\%公司_'",
		"MJSS BETWEEN 1 AND 2 AND GDRQ > DATE('2020-01-01') AND t < TIMESTAMP('2020-01-01T00:00:00Z')",
		`"地块 编号" = 'it''s' AND 地块编号 = '甲'`,
		"S_INTERSECTS(geometry, BBOX(118.87, 28.94, 118.88, 28.95))",
		"S_INTERSECTS(geometry, POLYGON((118.86 28.93, 118.875 28.945, 118.86 28.945, 118.86 28.93)))",
		"S_INTERSECTS(MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2))), geometry)",
		"S_INTERSECTS(geometry, POINT(118.871 28.941)) AND TRUE",
		"S_INTERSECTS(geometry, BBOX(170, 28, -170, 29, 1, 2))",
		"((((a = 1))))", "NOT NOT NOT a = 1", "true = x", "FALSE",
		"a = 1e", "(a = 1", "a = 'x", "\xff", "",
	} {
		f.Add(seed)
	}
	features := []*spatial.Feature{
		parcel(),
		{ID: 2, Geometry: orb.MultiPolygon{square(0, 0, 1), square(2.5, 2.5, 1)}, Attrs: spatial.Attrs{"a": int64(1), "x": "a", "y": nil}.Record()},
		{ID: 3, Geometry: square(-179.5, 28.5, 0.2), Attrs: spatial.Attrs{"a": 1.0, "b": 2.0, "c": true}.Record()},
	}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := Parse(text)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) returned %T %v, not a *SyntaxError", text, err, err)
			}
			if se.Pos < 0 || se.Pos > len(text) {
				t.Fatalf("Parse(%q): position %d outside the input", text, se.Pos)
			}
			return
		}
		s := e.String()
		again, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) printed %q, which does not parse: %v", text, s, err)
		}
		if s2 := again.String(); s2 != s {
			t.Fatalf("Parse(%q): printing is not stable: %q then %q", text, s, s2)
		}
		for _, f := range features {
			if e.Match(f) != again.Match(f) {
				t.Fatalf("Parse(%q) and its printed form %q disagree on feature %d", text, s, f.ID)
			}
		}
		e.Properties()
		e.Bound()
	})
}
