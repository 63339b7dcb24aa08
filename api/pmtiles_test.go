package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// The npm clients of the tiles package's tests: the pmtiles reader (the library MapLibre GL JS
// reads archives with) and the reference MVT decoder (@mapbox/vector-tile).
var (
	pmtilesClientDir = filepath.Join("..", "tiles", "testdata", "pmtilesclient")
	mvtClientDir     = filepath.Join("..", "tiles", "testdata", "mvtclient")
)

// npmClients returns node, or ends the test when node or the clients' node_modules are missing.
func npmClients(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missingTool(t, "node is not installed: the archive test reads archives with the npm pmtiles library")
	}
	for _, p := range []string{filepath.Join(pmtilesClientDir, "node_modules", "pmtiles"), filepath.Join(mvtClientDir, "node_modules", "@mapbox", "vector-tile")} {
		if _, err := os.Stat(p); err != nil {
			missingTool(t, p+" is missing: run npm ci in "+filepath.Dir(filepath.Dir(p)))
		}
	}
	return node
}

// mvtDecoder returns node, or ends the test when node or the reference MVT decoder is missing.
func mvtDecoder(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missingTool(t, "node is not installed: tiles are decoded with the npm @mapbox/vector-tile")
	}
	if _, err := os.Stat(filepath.Join(mvtClientDir, "node_modules", "@mapbox", "vector-tile")); err != nil {
		missingTool(t, "run npm ci in tiles/testdata/mvtclient")
	}
	return node
}

// archiveRead is what tiles/testdata/pmtilesclient/all.mjs prints.
type archiveRead struct {
	Header struct {
		NumAddressedTiles int     `json:"numAddressedTiles"`
		TileCompression   int     `json:"tileCompression"`
		TileType          int     `json:"tileType"`
		MinZoom           int     `json:"minZoom"`
		MaxZoom           int     `json:"maxZoom"`
		MinLon            float64 `json:"minLon"`
		MaxLat            float64 `json:"maxLat"`
	} `json:"header"`
	Metadata struct {
		Name         string `json:"name"`
		VectorLayers []struct {
			ID string `json:"id"`
		} `json:"vector_layers"`
		Mudi struct {
			Style struct {
				Version int              `json:"version"`
				Layers  []map[string]any `json:"layers"`
			} `json:"style"`
			Layers []struct {
				ID           string       `json:"id"`
				Kind         spatial.Kind `json:"kind"`
				FeatureCount int          `json:"feature_count"`
				Bounds       []float64    `json:"bounds"`
			} `json:"layers"`
		} `json:"mudi"`
	} `json:"metadata"`
	Tiles [][3]uint32 `json:"tiles"`
}

// readArchive reads every tile of the archive at path with the pmtiles library into dir.
func readArchive(t *testing.T, node, path, dir string) archiveRead {
	t.Helper()
	cmd := exec.Command(node, filepath.Join(pmtilesClientDir, "all.mjs"), path, dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("all.mjs: %v\n%s", err, stderr.String())
	}
	var a archiveRead
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// download GETs path into a file and returns the response (its body left out).
func (ts *testServer) download(path, file string) response {
	ts.t.Helper()
	resp, err := http.Get(ts.http.URL + path)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return response{status: resp.StatusCode, header: resp.Header, body: b}
	}
	f, err := os.Create(file)
	if err != nil {
		ts.t.Fatal(err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		ts.t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		ts.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header}
}

// decodedTile is what tiles/testdata/mvtclient/decode.mjs prints for one file.
type decodedTile struct {
	Layers []struct {
		Name     string `json:"name"`
		Features []struct {
			ID    uint64         `json:"id"`
			Props map[string]any `json:"properties"`
			Rings [][][2]int     `json:"rings"`
		} `json:"features"`
	} `json:"layers"`
}

func decodeMVT(t *testing.T, node string, files []string) []decodedTile {
	t.Helper()
	cmd := exec.Command(node, append([]string{filepath.Join(mvtClientDir, "decode.mjs")}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("decode.mjs: %v\n%s", err, stderr.String())
	}
	var got []decodedTile
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// compareWithServedTiles checks every tile of the archive read into dir against what GET
// /tiles/{layers}/{z}/{x}/{y}.mvt answers: the same bytes, uncompressed. A spread of tiles
// is also decoded on both sides with @mapbox/vector-tile, whose ids and rings must agree and
// name features of the layers.
func compareWithServedTiles(t *testing.T, ts *testServer, node, list string, a archiveRead, dir string) {
	t.Helper()
	served := filepath.Join(dir, "served")
	if err := os.MkdirAll(served, 0o755); err != nil {
		t.Fatal(err)
	}
	var decodeArchive, decodeServed []string
	step := max(1, len(a.Tiles)/150)
	perZoom := map[uint32]int{}
	for i, c := range a.Tiles {
		name := fmt.Sprintf("%d-%d-%d.mvt", c[0], c[1], c[2])
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		r := ts.get(fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", list, c[0], c[1], c[2]))
		if r.status != 200 {
			t.Fatalf("tile %s of the archive: the server answers %d", name, r.status)
		}
		if !bytes.Equal(got, r.body) {
			t.Fatalf("tile %s: the archive holds %d bytes, the server sends %d other ones", name, len(got), len(r.body))
		}
		perZoom[c[0]]++
		if i%step == 0 {
			if err := os.WriteFile(filepath.Join(served, name), r.body, 0o644); err != nil {
				t.Fatal(err)
			}
			decodeArchive = append(decodeArchive, filepath.Join(dir, name))
			decodeServed = append(decodeServed, filepath.Join(served, name))
		}
	}
	t.Logf("%d tiles equal to the served ones, by zoom %v", len(a.Tiles), perZoom)

	fromArchive, fromServer := decodeMVT(t, node, decodeArchive), decodeMVT(t, node, decodeServed)
	features := 0
	for i := range fromArchive {
		ja, _ := json.Marshal(fromArchive[i].Layers)
		js, _ := json.Marshal(fromServer[i].Layers)
		if !bytes.Equal(ja, js) {
			t.Errorf("%s decodes differently from the archive and from the server", decodeArchive[i])
		}
		for _, l := range fromArchive[i].Layers {
			sn := ts.index.Layer(l.Name)
			if sn == nil {
				t.Errorf("%s: layer %q is not a layer of the server", decodeArchive[i], l.Name)
				continue
			}
			for _, f := range l.Features {
				if sn.Feature(spatial.FeatureID(f.ID)) == nil || len(f.Rings) == 0 {
					t.Errorf("%s: feature %d of %s is not in the layer or has no rings", decodeArchive[i], f.ID, l.Name)
				}
				features++
			}
		}
	}
	t.Logf("%d tiles decoded with @mapbox/vector-tile from both sides: %d features", len(fromArchive), features)
}

// The PMTiles archive of the generated 20 000-parcel county, downloaded from the API, holds at
// every tile exactly the tile the server serves there, read with the pmtiles library.
func TestPMTilesExportEqualsServedTiles(t *testing.T) {
	node := npmClients(t)
	cs := newCountyServer(t)
	ts := cs.testServer
	parcels, control := ts.index.Layer("parcels"), ts.index.Layer("control-lines")
	dir := t.TempDir()

	// The default zooms, 0 to 16; under the race detector the archive stops at z14 (a ninth of
	// the tiles).
	maxZoom, query := 16, ""
	if raceEnabled {
		maxZoom, query = 14, "?maxzoom=14"
	}
	t.Run(fmt.Sprintf("both layers, z0 to z%d", maxZoom), func(t *testing.T) {
		path := filepath.Join(dir, "county.pmtiles")
		t0 := time.Now()
		r := ts.download("/tiles/parcels,control-lines.pmtiles"+query, path)
		if r.status != 200 {
			t.Fatalf("archive: %d %s", r.status, r.body)
		}
		t.Logf("archive built and downloaded in %v", time.Since(t0).Round(time.Millisecond))
		if r.header.Get("Content-Type") != "application/vnd.pmtiles" ||
			r.header.Get("Content-Disposition") != `attachment; filename="parcels,control-lines.pmtiles"` ||
			r.header.Get("ETag") == "" || !strings.Contains(r.header.Get("Cache-Control"), "max-age=") {
			t.Errorf("headers %v", r.header)
		}
		if st, _ := os.Stat(path); st == nil || fmt.Sprint(st.Size()) != r.header.Get("Content-Length") {
			t.Errorf("Content-Length %s for a file of %v bytes", r.header.Get("Content-Length"), st.Size())
		}
		a := readArchive(t, node, path, filepath.Join(dir, "both"))
		if a.Header.MinZoom != 0 || a.Header.MaxZoom != maxZoom || a.Header.TileType != 1 || a.Header.TileCompression != 2 ||
			a.Header.NumAddressedTiles != len(a.Tiles) || len(a.Tiles) < 500 {
			t.Errorf("header %+v, %d tiles", a.Header, len(a.Tiles))
		}
		// Features under about a pixel are left out at low zooms: the lowest zooms of the county are empty.
		if zs := zoomsOf(a.Tiles); zs[0] > 8 || zs[len(zs)-1] != maxZoom {
			t.Errorf("zooms of the tiles: %v", zs)
		}
		if len(a.Metadata.VectorLayers) != 2 || a.Metadata.VectorLayers[0].ID != "parcels" || a.Metadata.VectorLayers[1].ID != "control-lines" {
			t.Errorf("vector_layers %+v", a.Metadata.VectorLayers)
		}
		// What the viewer draws the archive with, without a server.
		m := a.Metadata.Mudi
		if m.Style.Version != 8 || len(m.Style.Layers) < 5 || len(m.Layers) != 2 ||
			m.Layers[0].Kind != spatial.KindParcels || m.Layers[0].FeatureCount != 20000 ||
			m.Layers[1].Kind != spatial.KindControl || m.Layers[1].FeatureCount != control.Len() || len(m.Layers[0].Bounds) != 4 {
			t.Errorf("mudi metadata: style version %d with %d layers, layers %+v", m.Style.Version, len(m.Style.Layers), m.Layers)
		}
		compareWithServedTiles(t, ts, node, "parcels,control-lines", a, filepath.Join(dir, "both"))

		// No tile is missing: over the county at z0–z11, the server has a tile exactly where the
		// archive has one.
		in := map[[3]uint32]bool{}
		for _, c := range a.Tiles {
			in[c] = true
		}
		for z := tiles.Zoom(0); z <= 11; z++ {
			for c := range tiles.Covering(parcels.Layer.Bound.Union(control.Layer.Bound), z) {
				r := ts.get(fmt.Sprintf("/tiles/parcels,control-lines/%d/%d/%d.mvt", c.Z, c.X, c.Y))
				if (r.status == 200) != in[[3]uint32{uint32(c.Z), c.X, c.Y}] {
					t.Errorf("tile %v: the server answers %d, the archive has it: %v", c, r.status, in[[3]uint32{uint32(c.Z), c.X, c.Y}])
				}
			}
		}

		// The ETag names the layers' versions: asking again costs nothing.
		if r2 := ts.get("/tiles/parcels,control-lines.pmtiles"+query, "If-None-Match", r.header.Get("ETag")); r2.status != 304 {
			t.Errorf("If-None-Match: %d", r2.status)
		}
	})

	t.Run("one layer through the export route, z10 to z13", func(t *testing.T) {
		path := filepath.Join(dir, "parcels.pmtiles")
		r := ts.download("/api/layers/parcels/export?format=pmtiles&minzoom=10&maxzoom=13", path)
		if r.status != 200 || r.header.Get("Content-Disposition") != `attachment; filename="parcels.pmtiles"` {
			t.Fatalf("export: %d %v %s", r.status, r.header, r.body)
		}
		a := readArchive(t, node, path, filepath.Join(dir, "one"))
		if zs := zoomsOf(a.Tiles); a.Header.MinZoom != 10 || a.Header.MaxZoom != 13 || !slices.Equal(zs, []int{10, 11, 12, 13}) {
			t.Errorf("zooms: header %d–%d, tiles %v", a.Header.MinZoom, a.Header.MaxZoom, zs)
		}
		if len(a.Metadata.VectorLayers) != 1 || a.Metadata.VectorLayers[0].ID != "parcels" {
			t.Errorf("vector_layers %+v", a.Metadata.VectorLayers)
		}
		compareWithServedTiles(t, ts, node, "parcels", a, filepath.Join(dir, "one"))
	})
}

func zoomsOf(cs [][3]uint32) []int {
	var zs []int
	for _, c := range cs {
		if !slices.Contains(zs, int(c[0])) {
			zs = append(zs, int(c[0]))
		}
	}
	slices.Sort(zs)
	return zs
}

// Archive requests check their parameters before any work, with problems naming them.
func TestPMTilesExportParameters(t *testing.T) {
	ts := newTestServer(t)
	if r := ts.upload("/api/layers?id=parcels", parcelsGeoJSON); r.status != 201 {
		t.Fatal(r.status, string(r.body))
	}
	for _, tt := range []struct {
		name, path string
		status     int
		param      string
	}{
		{"minzoom not a number", "/tiles/parcels.pmtiles?minzoom=a", 400, "minzoom"},
		{"negative minzoom", "/tiles/parcels.pmtiles?minzoom=-1", 400, "minzoom"},
		{"maxzoom above 18", "/tiles/parcels.pmtiles?maxzoom=19", 400, "maxzoom"},
		{"maxzoom 0", "/tiles/parcels.pmtiles?maxzoom=0", 400, "maxzoom"},
		{"minzoom above maxzoom", "/tiles/parcels.pmtiles?minzoom=12&maxzoom=10", 400, "minzoom"},
		{"minzoom above the default maxzoom", "/tiles/parcels.pmtiles?minzoom=17", 400, "minzoom"},
		{"export: crs with pmtiles", "/api/layers/parcels/export?format=pmtiles&crs=EPSG:4549", 400, "crs"},
		{"export: zooms with geojson", "/api/layers/parcels/export?format=geojson&maxzoom=12", 400, "maxzoom"},
		{"export: bad maxzoom", "/api/layers/parcels/export?format=pmtiles&maxzoom=30", 400, "maxzoom"},
		{"unknown layer", "/tiles/parcels,nope.pmtiles", 404, ""},
		{"export of an unknown layer", "/api/layers/nope/export?format=pmtiles", 404, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.get(tt.path)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			p := r.json(t)
			if r.header.Get("Content-Type") != "application/problem+json" || (tt.param != "" && p["param"] != tt.param) {
				t.Errorf("problem %v", p)
			}
		})
	}
	// An empty layer has nothing to archive: a problem, not an empty file.
	if r := ts.do("POST", "/api/layers?id=empty&allow_empty=true", "application/geo+json", testKey, strings.NewReader(collection())); r.status != 201 {
		t.Fatal(r.status, string(r.body))
	}
	if r := ts.get("/tiles/empty.pmtiles"); r.status != 422 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("empty layer: %d %s", r.status, r.body)
	}
	// HEAD answers the headers without building the archive.
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodHead, ts.http.URL+"/tiles/parcels.pmtiles?maxzoom=14", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.pmtiles" {
		t.Errorf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
}
