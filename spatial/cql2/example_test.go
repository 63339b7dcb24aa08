package cql2_test

import (
	"errors"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/cql2"
)

func ExampleParse() {
	f := &spatial.Feature{
		ID:       1,
		Geometry: orb.Polygon{{{118.87, 28.94}, {118.88, 28.94}, {118.88, 28.95}, {118.87, 28.95}, {118.87, 28.94}}},
		Attrs:    spatial.Attrs{"XZQMC": "柯城区", "WWLX": "供而未用", "MJSS": 1.5}.Record(),
		Derived:  spatial.Derived{AreaMu: 12.5},
	}
	e, err := cql2.Parse(`XZQMC = '衢江区' or XZQMC = '柯城区' and area_mu < 50 and S_INTERSECTS(geometry, BBOX(118.8, 28.9, 118.9, 29))`)
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Match(f))
	fmt.Println(e)

	_, err = cql2.Parse("MJSS < 2 AND WWLX LIKE")
	var se *cql2.SyntaxError
	if errors.As(err, &se) {
		fmt.Println(se.Pos, se.Msg)
	}
	// Output:
	// true
	// XZQMC = '衢江区' OR XZQMC = '柯城区' AND area_mu < 50 AND S_INTERSECTS(geometry, BBOX(118.8, 28.9, 118.9, 29))
	// 22 unexpected end of input, expected a pattern in single quotes
}
