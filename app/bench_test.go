package app_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/store"
	"github.com/mudi-gis/mudi/tiles"
)

// benchCounty returns an App over a new store in a temporary directory holding the generated
// county of n parcels (seed 1) as layers "parcels" and "control-lines", imported through
// PutLayer as mudi import does, with the tile cache on as mudi serve has it by default.
func benchCounty(b testing.TB, n int) *app.App {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "mudi.db"), store.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	core, err := app.New(app.Config{Store: db, TileCacheBytes: 256 << 20,
		Now: func() time.Time { return time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC) }})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := core.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	ds, err := fixtures.Generate(fixtures.Options{N: n, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	// The control layer first: the parcels layer then takes it as its control layer and its
	// parcels carry the control-line attributes.
	for _, l := range []struct {
		id    string
		kind  spatial.Kind
		write func(io.Writer) error
	}{
		{"control-lines", spatial.KindControl, ds.WriteControl},
		{"parcels", spatial.KindParcels, ds.WriteParcels},
	} {
		var buf bytes.Buffer
		if err := l.write(&buf); err != nil {
			b.Fatal(err)
		}
		imp, err := spatial.DecodeGeoJSON(&buf, spatial.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := core.PutLayer(context.Background(), app.LayerRequest{ID: l.id, Kind: l.kind, Import: imp}); err != nil {
			b.Fatal(err)
		}
	}
	if got := core.Index().Layer("parcels").Len(); got != n {
		b.Fatalf("the parcels layer holds %d parcels, want %d", got, n)
	}
	return core
}

// tileOf returns tile c of every layer, as the tile handler serves the default style's source
// (all layers, in id order, parcels with today's campaign classes).
func tileOf(b *testing.B, core *app.App, c tiles.Coord) tiles.Tile {
	b.Helper()
	var snaps []*spatial.Snapshot
	for _, sn := range core.Index().Layers() {
		snaps = append(snaps, core.WithClasses(sn, campaign.Date{}))
	}
	t, err := core.Tiles().Tile(context.Background(), snaps, c)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// aVertex returns the first vertex of a parcel's exterior ring: a point of the parcel, so the
// tile containing it holds the parcel.
func aVertex(b *testing.B, g orb.Geometry) orb.Point {
	b.Helper()
	switch g := g.(type) {
	case orb.Polygon:
		return g[0][0]
	case orb.MultiPolygon:
		return g[0][0][0]
	}
	b.Fatalf("a parcel is a %T, not a polygon", g)
	return orb.Point{}
}

// otherWarning returns a warning grade (YJDJ) other than cur, going round the four colours.
func otherWarning(cur string) string {
	switch cur {
	case "红":
		return "橙"
	case "橙":
		return "黄"
	case "黄":
		return "绿"
	}
	return "红"
}

// BenchmarkTileAfterEdit measures what a user waits for between saving an edit of a parcel and
// seeing it on the map: one attribute edit through [app.App.EditFeature] (the delivered warning
// grade YJDJ, which z14 tiles carry), then the z14 tile containing the parcel through the tile
// service, as the tile handler asks for it. Each iteration edits another parcel of the generated
// 20 000-parcel county, so every tile is the first one of a new layer version: it pays the
// store transaction, the new snapshot's campaign classes and tile properties, and the render.
//
// The first iteration also renders the tile before the edit (untimed, which puts it in the
// cache) and fails unless the tile after the edit is non-empty and differs from it, so that a
// stale cache cannot make the benchmark fast.
func BenchmarkTileAfterEdit(b *testing.B) {
	const n = 20000
	core := benchCounty(b, n)
	ctx := context.Background()
	var ids []spatial.FeatureID
	for _, f := range core.Index().Layer("parcels").Features() {
		ids = append(ids, f.ID)
	}
	// A prime stride that does not divide n visits every parcel once in n iterations, spread
	// over the county.
	const stride = 7919
	editor := app.Actor{Name: "bench", Role: app.RoleEditor}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := ids[(i*stride)%len(ids)]
		_, f, err := core.Feature("parcels", id)
		if err != nil {
			b.Fatal(err)
		}
		c := tiles.CoordAt(aVertex(b, f.Geometry), 14)
		var before tiles.Tile
		if i == 0 {
			b.StopTimer()
			before = tileOf(b, core, c)
			if before.Empty() {
				b.Fatalf("tile %v of parcel %d is empty before the edit", c, id)
			}
			b.StartTimer()
		}
		want := otherWarning(f.Attrs.String("YJDJ"))
		got, err := core.EditFeature(ctx, "parcels", id, app.Edit{Set: map[string]any{"YJDJ": want}, Actor: editor})
		if err != nil {
			b.Fatal(err)
		}
		after := tileOf(b, core, c)
		if after.Empty() {
			b.Fatalf("tile %v of parcel %d is empty after the edit", c, id)
		}
		if v := got.Attrs.String("YJDJ"); v != want {
			b.Fatalf("parcel %d: YJDJ is %q after the edit, want %q", id, v, want)
		}
		if i == 0 {
			b.StopTimer()
			if bytes.Equal(before.MVT, after.MVT) || before.ETag == after.ETag {
				b.Fatalf("tile %v (ETag %s) did not change when parcel %d's YJDJ became %s", c, after.ETag, id, want)
			}
			b.StartTimer()
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "edits/s")
}
