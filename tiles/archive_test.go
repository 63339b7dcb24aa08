package tiles

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles/pmtiles"
)

const pmtilesClientDir = "testdata/pmtilesclient"

// needPMTilesReader returns the node binary for the pmtiles reader; without node or the
// reader's node_modules the test fails under CI and is skipped elsewhere.
func needPMTilesReader(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("%s (CI must run `npm ci` in tiles/testdata/pmtilesclient)", what)
		}
		t.Skip(what + ": install Node.js and run `npm ci` in tiles/testdata/pmtilesclient")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not on PATH")
	}
	if _, err := os.Stat(filepath.Join(pmtilesClientDir, "node_modules", "pmtiles")); err != nil {
		missing("the npm package pmtiles is not installed")
	}
	return node
}

// jsArchive is what read.mjs prints.
type jsArchive struct {
	Header struct {
		SpecVersion         int     `json:"specVersion"`
		NumAddressedTiles   int     `json:"numAddressedTiles"`
		NumTileEntries      int     `json:"numTileEntries"`
		NumTileContents     int     `json:"numTileContents"`
		Clustered           bool    `json:"clustered"`
		InternalCompression int     `json:"internalCompression"`
		TileCompression     int     `json:"tileCompression"`
		TileType            int     `json:"tileType"`
		MinZoom             int     `json:"minZoom"`
		MaxZoom             int     `json:"maxZoom"`
		MinLon              float64 `json:"minLon"`
		MinLat              float64 `json:"minLat"`
		MaxLon              float64 `json:"maxLon"`
		MaxLat              float64 `json:"maxLat"`
		CenterZoom          int     `json:"centerZoom"`
		CenterLon           float64 `json:"centerLon"`
		CenterLat           float64 `json:"centerLat"`
	} `json:"header"`
	Metadata struct {
		Name         string        `json:"name"`
		Attribution  string        `json:"attribution"`
		Bounds       []float64     `json:"bounds"`
		VectorLayers []VectorLayer `json:"vector_layers"`
	} `json:"metadata"`
	Tiles map[string]*string `json:"tiles"`
}

// TestPMTilesReaderReadsArchive writes the archive of the sample county at z0–z14, reads it
// with the pmtiles library and checks, for every tile of every zoom over the county's bounds
// grown by one tile, that the library returns exactly the tile Render makes (nothing for an
// empty tile), that the header counts no other tile, and the header and metadata fields.
func TestPMTilesReaderReadsArchive(t *testing.T) {
	node := needPMTilesReader(t)
	cty := sampleCounty(t)
	r := newTestRenderer(t, Options{})
	layers := []*spatial.Snapshot{cty.parcels, cty.control}
	path := filepath.Join(t.TempDir(), "county.pmtiles")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := WriteArchive(context.Background(), f, r, layers, ArchiveOptions{MaxZoom: 14, Attribution: "© 示例县自然资源局", TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", st)

	bound := cty.parcels.Layer.Bound.Union(cty.control.Layer.Bound)
	var coords [][3]uint32
	for z := Zoom(0); z <= 14; z++ {
		lo := CoordAt(orb.Point{bound.Min[0], bound.Max[1]}, z)
		hi := CoordAt(orb.Point{bound.Max[0], bound.Min[1]}, z)
		n := z.Size()
		for y := max(lo.Y, 1) - 1; y <= min(hi.Y+1, n-1); y++ {
			for x := max(lo.X, 1) - 1; x <= min(hi.X+1, n-1); x++ {
				coords = append(coords, [3]uint32{uint32(z), x, y})
			}
		}
	}
	in, _ := json.Marshal(coords)
	cmd := exec.Command(node, filepath.Join(pmtilesClientDir, "read.mjs"), path)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node read.mjs: %v\n%s", err, stderr.String())
	}
	var got jsArchive
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}

	nonEmpty, mismatched := 0, 0
	for _, c := range coords {
		coord := Coord{Z: Zoom(c[0]), X: c[1], Y: c[2]}
		want, err := r.Render(context.Background(), layers, coord)
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("%d/%d/%d", c[0], c[1], c[2])
		js, ok := got.Tiles[key]
		switch {
		case !ok:
			t.Fatalf("reader did not answer for %s", key)
		case want == nil && js != nil:
			t.Errorf("tile %s: Render gives an empty tile, the archive has %d base64 bytes", key, len(*js))
		case want != nil && js == nil:
			t.Errorf("tile %s: missing from the archive (%d bytes rendered)", key, len(want))
		case want != nil:
			nonEmpty++
			b, err := base64.StdEncoding.DecodeString(*js)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				if mismatched++; mismatched <= 5 {
					t.Errorf("tile %s: %d bytes from the archive differ from the %d bytes rendered", key, len(b), len(want))
				}
			}
		}
	}
	if nonEmpty < 200 {
		t.Errorf("only %d non-empty tiles over the county", nonEmpty)
	}
	h := got.Header
	if h.NumAddressedTiles != nonEmpty || st.Tiles != nonEmpty {
		t.Errorf("header counts %d tiles, stats %d, the reader found %d over the county", h.NumAddressedTiles, st.Tiles, nonEmpty)
	}
	if h.SpecVersion != 3 || h.TileType != 1 || h.TileCompression != 2 || h.InternalCompression != 2 || !h.Clustered ||
		h.MinZoom != 0 || h.MaxZoom != 14 {
		t.Errorf("header %+v: want version 3, MVT (1), gzip (2) tiles and directories, clustered, zooms 0–14", h)
	}
	if h.NumTileContents > h.NumTileEntries || h.NumTileEntries > h.NumAddressedTiles || h.NumTileContents == 0 {
		t.Errorf("header: %d contents, %d entries, %d tiles", h.NumTileContents, h.NumTileEntries, h.NumAddressedTiles)
	}
	const e7 = 1e-7
	if h.MinLon > bound.Min[0] || h.MinLon < bound.Min[0]-e7 || h.MinLat > bound.Min[1] || h.MinLat < bound.Min[1]-e7 ||
		h.MaxLon < bound.Max[0] || h.MaxLon > bound.Max[0]+e7 || h.MaxLat < bound.Max[1] || h.MaxLat > bound.Max[1]+e7 {
		t.Errorf("header bounds %v,%v,%v,%v; the layers span %v", h.MinLon, h.MinLat, h.MaxLon, h.MaxLat, bound)
	}
	if c := bound.Center(); math.Abs(h.CenterLon-c[0]) > e7 || math.Abs(h.CenterLat-c[1]) > e7 || h.CenterZoom > 14 {
		t.Errorf("header centre %v,%v z%d; want %v", h.CenterLon, h.CenterLat, h.CenterZoom, c)
	}

	m := got.Metadata
	if m.Name != "parcels,control-lines" || m.Attribution != "© 示例县自然资源局" || len(m.Bounds) != 4 {
		t.Errorf("metadata name %q, attribution %q, bounds %v", m.Name, m.Attribution, m.Bounds)
	}
	if len(m.VectorLayers) != 2 {
		t.Fatalf("%d vector layers", len(m.VectorLayers))
	}
	for i, s := range layers {
		vl := m.VectorLayers[i]
		if vl.ID != s.Layer.ID || vl.MinZoom != 0 || vl.MaxZoom != 14 {
			t.Errorf("vector layer %d: id %q zooms %d–%d", i, vl.ID, vl.MinZoom, vl.MaxZoom)
		}
		// Every property of every tile of the layer is declared with its type.
		if len(vl.Fields) == 0 {
			t.Errorf("vector layer %s has no fields", vl.ID)
		}
	}
	// A few fields written out by hand: the roles and derived attributes tiles carry.
	for name, typ := range map[string]string{"DKBH": "String", "area_mu": "Number", "control_position": "String"} {
		if got := m.VectorLayers[0].Fields[name]; got != typ {
			t.Errorf("vector layer parcels: field %s is %q, want %q", name, got, typ)
		}
	}
}

// TestArchiveDeterministic checks that the archive's bytes do not depend on the number of
// workers, and that a run of cancelled context stops with its error.
func TestArchiveDeterministic(t *testing.T) {
	cty := sampleCounty(t)
	r := newTestRenderer(t, Options{})
	layers := []*spatial.Snapshot{cty.parcels, cty.control}
	var archives [][]byte
	for _, workers := range []int{1, 3} {
		var buf bytes.Buffer
		if _, err := WriteArchive(context.Background(), &buf, r, layers, ArchiveOptions{MaxZoom: 12, Workers: workers, TempDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		archives = append(archives, buf.Bytes())
	}
	if !bytes.Equal(archives[0], archives[1]) {
		t.Errorf("archives with 1 and 3 workers differ (%d and %d bytes)", len(archives[0]), len(archives[1]))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteArchive(ctx, &bytes.Buffer{}, r, layers, ArchiveOptions{MaxZoom: 12}); err != context.Canceled {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
}

func TestArchiveOptionsErrors(t *testing.T) {
	r := newTestRenderer(t, Options{})
	cty := sampleCounty(t)
	tests := []struct {
		name   string
		layers []*spatial.Snapshot
		o      ArchiveOptions
	}{
		{name: "min zoom above max zoom", layers: []*spatial.Snapshot{cty.parcels}, o: ArchiveOptions{MinZoom: 10, MaxZoom: 8}},
		{name: "max zoom above 24", layers: []*spatial.Snapshot{cty.parcels}, o: ArchiveOptions{MaxZoom: 25}},
		{name: "no features", layers: []*spatial.Snapshot{layerOf("empty")}, o: ArchiveOptions{MaxZoom: 4}},
		{name: "no layers", o: ArchiveOptions{MaxZoom: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := WriteArchive(context.Background(), &buf, r, tt.layers, tt.o); err == nil {
				t.Error("no error")
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
		})
	}
}

// BenchmarkWriteArchive writes the archive of a generated county of 20 000 parcels and its
// control lines at z0–z16 and reports features (parcels and control polygons) per second.
func BenchmarkWriteArchive(b *testing.B) {
	d, err := fixtures.Generate(fixtures.Options{N: 20_000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	cty := fromFixtures(d.Parcels, d.Control)
	r := newTestRenderer(b, Options{})
	layers := []*spatial.Snapshot{cty.parcels, cty.control}
	features := cty.parcels.Len() + cty.control.Len()
	b.ReportAllocs()
	var st ArchiveStats
	for b.Loop() {
		var err error
		if st, err = WriteArchive(context.Background(), discard{}, r, layers, ArchiveOptions{MaxZoom: 16, TempDir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(features)*float64(b.N)/b.Elapsed().Seconds(), "features/s")
	b.ReportMetric(float64(st.Tiles), "tiles")
	b.ReportMetric(float64(st.Bytes), "archive-bytes")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestPMTilesReaderReadsLeafDirectories writes an archive too large for a root directory alone
// and reads a sample of its tiles, and some absent ones, with the pmtiles library.
func TestPMTilesReaderReadsLeafDirectories(t *testing.T) {
	node := needPMTilesReader(t)
	w, err := pmtiles.NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	type tile struct {
		z    uint8
		x, y uint32
		data string
	}
	// About 100 000 of the 400×400 tiles of a block at z14, chosen at random, each with its own
	// content of random length, so that the directory compresses badly; added in id order.
	rng := rand.New(rand.NewPCG(5, 6))
	byID := map[uint64]tile{}
	var ids []uint64
	for x := uint32(8000); x < 8400; x++ {
		for y := uint32(5000); y < 5400; y++ {
			if rng.IntN(3) == 0 {
				continue
			}
			id, err := pmtiles.TileID(14, x, y)
			if err != nil {
				t.Fatal(err)
			}
			byID[id] = tile{14, x, y, fmt.Sprintf("%d/%d%s", x, y, strings.Repeat("#", rng.IntN(300)))}
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := w.Add(id, []byte(byID[id].data)); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "leaves.pmtiles")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.Finish(f, pmtiles.Header{TileType: pmtiles.TileTypeMVT, TileCompression: pmtiles.CompressionNone, MinZoom: 14, MaxZoom: 14}, []byte(`{"vector_layers":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if st.LeafDirs < 2 {
		t.Fatalf("%d leaf directories: the test needs several", st.LeafDirs)
	}
	coords := [][3]uint32{{14, 7999, 5000}, {14, 8400, 5100}, {14, 8100, 4999}}
	for i := 0; i < len(ids); i += 97 {
		c := byID[ids[i]]
		coords = append(coords, [3]uint32{uint32(c.z), c.x, c.y})
	}
	last := byID[ids[len(ids)-1]]
	coords = append(coords, [3]uint32{uint32(last.z), last.x, last.y})
	in, _ := json.Marshal(coords)
	cmd := exec.Command(node, filepath.Join(pmtilesClientDir, "read.mjs"), path)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node read.mjs: %v\n%s", err, stderr.String())
	}
	var got jsArchive
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for i, c := range coords {
		key := fmt.Sprintf("%d/%d/%d", c[0], c[1], c[2])
		js := got.Tiles[key]
		if i < 3 {
			if js != nil {
				t.Errorf("absent tile %s read as %q", key, *js)
			}
			continue
		}
		id, _ := pmtiles.TileID(uint8(c[0]), c[1], c[2])
		want := byID[id].data
		if js == nil {
			t.Errorf("tile %s missing", key)
			continue
		}
		if b, _ := base64.StdEncoding.DecodeString(*js); string(b) != want {
			t.Errorf("tile %s: %q, want %q", key, b, want)
		}
	}
	if got.Header.NumAddressedTiles != len(ids) {
		t.Errorf("header counts %d tiles, want %d", got.Header.NumAddressedTiles, len(ids))
	}
}
