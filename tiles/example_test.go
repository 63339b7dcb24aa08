package tiles_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

func ExampleParseCoord() {
	c, err := tiles.ParseCoord("14", "13602", "6814")
	fmt.Println(c, err)
	fmt.Printf("%.4f\n", c.Bound().Min)

	_, err = tiles.ParseCoord("3", "8", "0")
	var ce *tiles.CoordError
	fmt.Println(errors.Is(err, tiles.ErrOutOfRange), errors.As(err, &ce) && ce.Param == "x")

	_, err = tiles.ParseCoord("14", "abc", "0")
	fmt.Println(errors.Is(err, tiles.ErrBadCoord), err)
	// Output:
	// 14/13602/6814 <nil>
	// [118.8721 28.9409]
	// true true
	// true tiles: malformed tile coordinate: x="abc"
}

func ExampleRenderer_Render() {
	parcel := orb.Polygon{{
		{118.8700, 28.9500}, {118.8720, 28.9500}, {118.8720, 28.9515}, {118.8700, 28.9515}, {118.8700, 28.9500},
	}}
	layer := spatial.NewSnapshot(spatial.Layer{ID: "parcels", Kind: spatial.KindParcels, Version: 1},
		[]*spatial.Feature{{
			ID:       42,
			Geometry: parcel,
			Attrs:    spatial.Attrs{"DKBH": "KC-0042", "QLR": "衢州智造新材料有限公司", "WWLX": nil}.Record(),
			Derived:  spatial.Derived{AreaMu: 46.1},
		}})

	r, err := tiles.NewRenderer(tiles.Options{}) // extent 4096, buffer 64
	if err != nil {
		panic(err)
	}
	c := tiles.CoordAt(orb.Point{118.871, 28.9505}, 16)
	b, err := r.Render(context.Background(), []*spatial.Snapshot{layer}, c)
	if err != nil {
		panic(err)
	}

	// b is an uncompressed MVT 2.1 tile with one layer "parcels" holding feature 42 with
	// DKBH, QLR and area_mu (WWLX is null, so it is left out). Serve it as
	// application/vnd.mapbox-vector-tile.
	fmt.Println(c, len(b), "bytes")

	empty, _ := r.Render(context.Background(), []*spatial.Snapshot{layer}, tiles.Coord{Z: 16})
	fmt.Println("empty tile:", empty == nil)

	fields := r.Fields(layer)
	fmt.Println(fields[0].Name, fields[0].Type, fields[len(fields)-1].Name)
	// Output:
	// 16/54407/27257 127 bytes
	// empty tile: true
	// DKBH String area_mu
}

func ExampleService_Tile() {
	parcel := orb.Polygon{{
		{118.8700, 28.9500}, {118.8720, 28.9500}, {118.8720, 28.9515}, {118.8700, 28.9515}, {118.8700, 28.9500},
	}}
	v1 := spatial.NewSnapshot(spatial.Layer{ID: "parcels", Version: 1},
		[]*spatial.Feature{{ID: 1, Geometry: parcel, Attrs: spatial.Attrs{"DKBH": "KC-1"}.Record()}})
	r, _ := tiles.NewRenderer(tiles.Options{})
	svc := tiles.NewService(r, tiles.NewCache(64<<20))
	c := tiles.CoordAt(orb.Point{118.871, 28.9505}, 15)

	t1, _ := svc.Tile(context.Background(), []*spatial.Snapshot{v1}, c)

	// An edit: publish version 2 and report the old and new bounds of the changed feature.
	f := v1.Feature(1).Clone()
	f.Attrs = f.Attrs.With("DKBH", "KC-1A")
	meta := v1.Layer
	meta.Version = 2
	v2 := v1.WithFeatures(meta, []*spatial.Feature{f})
	svc.Invalidate("parcels", 2, f.Bound())

	t2, _ := svc.Tile(context.Background(), []*spatial.Snapshot{v2}, c)
	fmt.Println(t1.ETag != t2.ETag, len(t2.Gzip) > 0, svc.Cache().Stats().Misses)
	// Output:
	// true true 2
}
