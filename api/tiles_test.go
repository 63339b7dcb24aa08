package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// loadSample puts the embedded sample county into the test server as parcels and
// control-lines, as mudi serve does.
func (ts *testServer) loadSample() {
	ts.t.Helper()
	for _, l := range []struct {
		id   string
		kind spatial.Kind
		data func() ([]byte, error)
	}{{"control-lines", spatial.KindControl, fixtures.SampleControl}, {"parcels", spatial.KindParcels, fixtures.SampleParcels}} {
		data, err := l.data()
		if err != nil {
			ts.t.Fatal(err)
		}
		imp, err := spatial.DecodeGeoJSON(bytes.NewReader(data), spatial.ImportOptions{})
		if err != nil {
			ts.t.Fatal(err)
		}
		if _, _, err := ts.app.PutLayer(context.Background(), app.LayerRequest{ID: l.id, Kind: l.kind, Import: imp}); err != nil {
			ts.t.Fatal(err)
		}
	}
}

func newSampleServer(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServerWith(t, func(_ *Config, a *app.Config) { a.TileCacheBytes = 64 << 20 })
	ts.loadSample()
	return ts
}

func (ts *testServer) get(path string, header ...string) response {
	ts.t.Helper()
	req, _ := http.NewRequest("GET", ts.http.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	tr := &http.Transport{DisableCompression: true} // see the raw Content-Encoding
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// sampleTiles returns the z14 tiles covering the parcels layer.
func sampleTiles(ts *testServer, z tiles.Zoom) []tiles.Coord {
	var out []tiles.Coord
	for c := range tiles.Covering(ts.index.Layer("parcels").Layer.Bound, z) {
		out = append(out, c)
	}
	return out
}

func TestTileResponses(t *testing.T) {
	ts := newSampleServer(t)
	f := ts.index.Layer("parcels").Feature(1)
	c := tiles.CoordAt(f.Bound().Center(), 14)
	path := fmt.Sprintf("/tiles/parcels,control-lines/%d/%d/%d.mvt", c.Z, c.X, c.Y)

	plain := ts.get(path)
	if plain.status != 200 || plain.header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" ||
		plain.header.Get("Content-Encoding") != "" || plain.header.Get("ETag") == "" ||
		plain.header.Get("Cache-Control") == "" || plain.header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("plain tile: %d %v", plain.status, plain.header)
	}
	gz := ts.get(path, "Accept-Encoding", "gzip, deflate")
	if gz.status != 200 || gz.header.Get("Content-Encoding") != "gzip" || gz.header.Get("ETag") == plain.header.Get("ETag") {
		t.Fatalf("gzip tile: %d %v", gz.status, gz.header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain.body) {
		t.Error("gzip body does not decompress to the plain tile")
	}
	if r := ts.get(path, "Accept-Encoding", "gzip;q=0"); r.header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}
	if r := ts.get(path, "If-None-Match", plain.header.Get("ETag")); r.status != 304 || len(r.body) != 0 {
		t.Errorf("If-None-Match = %d", r.status)
	}
	if r := ts.get(path, "If-None-Match", `"other", `+gz.header.Get("ETag"), "Accept-Encoding", "gzip"); r.status != 304 {
		t.Errorf("If-None-Match list = %d", r.status)
	}
	if r := ts.get(strings.Replace(path, ".mvt", ".pbf", 1)); r.status != 200 || !bytes.Equal(r.body, plain.body) {
		t.Errorf(".pbf = %d", r.status)
	}
	if r := ts.get(path, "Origin", "http://example.org"); r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("CORS header = %q", r.header.Get("Access-Control-Allow-Origin"))
	}

	for _, tt := range []struct {
		name, path string
		status     int
		param      string
	}{
		{"empty tile", "/tiles/parcels/14/0/0.mvt", 204, ""},
		{"zoom above 24", "/tiles/parcels/25/0/0.mvt", 400, "z"},
		{"x outside the zoom", "/tiles/parcels/2/4/0.mvt", 400, "x"},
		{"y not a number", "/tiles/parcels/2/1/a.mvt", 400, "y"},
		{"negative y", "/tiles/parcels/2/1/-1.mvt", 400, "y"},
		{"unknown layer", "/tiles/nope/14/0/0.mvt", 404, ""},
		{"unknown layer among known", "/tiles/parcels,nope/14/0/0.mvt", 404, ""},
		{"unknown extension", "/tiles/parcels/14/0/0.png", 404, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.get(tt.path)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status >= 400 {
				p := r.json(t)
				if r.header.Get("Content-Type") != "application/problem+json" || (tt.param != "" && p["param"] != tt.param) {
					t.Errorf("problem = %v", p)
				}
			}
		})
	}
}

// Editing a feature changes the ETag of the tiles over it on the next request and of no other
// cached tile.
func TestFeatureEditInvalidatesExactlyItsTiles(t *testing.T) {
	ts := newSampleServer(t)
	coords := sampleTiles(ts, 14)
	etags := map[tiles.Coord]string{}
	for _, c := range coords {
		r := ts.get(fmt.Sprintf("/tiles/parcels/%d/%d/%d.mvt", c.Z, c.X, c.Y))
		etags[c] = r.header.Get("ETag")
	}
	f := ts.index.Layer("parcels").Feature(42)
	over := map[tiles.Coord]bool{}
	for _, c := range coords {
		if etags[c] != "" && ts.srv.tiles.Renderer().Area(c).Intersects(f.Bound()) {
			over[c] = true
		}
	}
	if len(over) == 0 {
		t.Fatal("feature 42 is in no tile")
	}
	// YJDJ (warning) is one of the styling attributes every zoom carries.
	r := ts.do("PATCH", "/api/layers/parcels/features/42", "application/json", testKey, strings.NewReader(`{"YJDJ":"测试"}`))
	if r.status != 200 {
		t.Fatal(r.status, string(r.body))
	}
	changed := 0
	for _, c := range coords {
		now := ts.get(fmt.Sprintf("/tiles/parcels/%d/%d/%d.mvt", c.Z, c.X, c.Y)).header.Get("ETag")
		switch {
		case over[c] && now == etags[c]:
			t.Errorf("tile %v over the edited parcel kept its ETag", c)
		case !over[c] && now != etags[c]:
			t.Errorf("tile %v away from the edit changed its ETag", c)
		case over[c]:
			changed++
		}
	}
	t.Logf("%d of %d z14 tiles changed", changed, len(coords))
}

func TestTileJSONMetadataAndStyle(t *testing.T) {
	ts := newSampleServer(t)
	tj := ts.get("/tiles/parcels,control-lines.json").json(t)
	want := fmt.Sprintf("/tiles/parcels,control-lines/{z}/{x}/{y}.mvt?v=%d-20261121.%d", ts.index.Layer("parcels").Layer.Version, ts.index.Layer("control-lines").Layer.Version)
	if tj["tilejson"] != "3.0.0" || !strings.HasSuffix(tj["tiles"].([]any)[0].(string), want) {
		t.Errorf("tilejson = %v", tj)
	}
	if vl := tj["vector_layers"].([]any); len(vl) != 2 || vl[0].(map[string]any)["id"] != "parcels" {
		t.Errorf("vector_layers = %v", vl)
	}
	md := ts.get("/tiles/parcels/metadata.json").json(t)
	if md["format"] != "pbf" || !strings.Contains(md["json"].(string), "vector_layers") {
		t.Errorf("metadata = %v", md)
	}
	st := ts.get("/styles/default.json").json(t)
	if st["version"] != 8.0 || len(st["layers"].([]any)) < 3 {
		t.Errorf("style = %v", st)
	}
	if r := ts.get("/styles/other.json"); r.status != 404 {
		t.Errorf("unknown style = %d", r.status)
	}
	if r := ts.get("/tiles/nope.json"); r.status != 404 {
		t.Errorf("unknown tilejson = %d", r.status)
	}
}

// GDAL's MVT driver reads the tileset over HTTP through metadata.json, Chinese values intact.
func TestGDALReadsTilesOverHTTP(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		missingTool(t, "ogrinfo not installed (Debian gdal-bin; .ci/run installs it)")
	}
	ts := newSampleServer(t)
	c := tiles.CoordAt(ts.index.Layer("parcels").Feature(1).Bound().Center(), 14)
	want := 0
	ts.index.Layer("parcels").Search(ts.srv.tiles.Renderer().Area(c), func(*spatial.Feature) bool { want++; return true })
	// GDAL opens a zoom level of the tileset and finds metadata.json beside it.
	url := fmt.Sprintf("MVT:%s/tiles/parcels/14", ts.http.URL)
	out, err := exec.Command("ogrinfo", "-ro", "-al", "-so", url).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "Layer name: parcels") || !strings.Contains(s, "DKBH: String") || !strings.Contains(s, "area_mu: Real") {
		t.Errorf("ogrinfo over HTTP:\n%s", s)
	}
	// Every parcel is in the z14 tileset: the distinct feature ids GDAL reads are the parcel ids.
	out, err = exec.Command("ogrinfo", "-ro", "-al", "-q", url).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v", err)
	}
	ids := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "mvt_id (Integer64) = "); ok {
			ids[v] = true
		}
	}
	if n := ts.index.Layer("parcels").Len(); len(ids) != n {
		t.Errorf("GDAL read %d distinct parcels over the z14 tileset, the layer has %d", len(ids), n)
	}
	tileURL := fmt.Sprintf("%s/tiles/parcels/%d/%d/%d.pbf", ts.http.URL, c.Z, c.X, c.Y)
	out, err = exec.Command("ogrinfo", "-ro", "-al", "MVT:"+tileURL).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo one tile: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "OGRFeature(parcels)"); n == 0 || n > want {
		t.Errorf("one tile: %d features, the index has %d candidates", n, want)
	}
	if !strings.Contains(string(out), "有限公司") {
		t.Errorf("Chinese values missing from the tile:\n%.2000s", out)
	}
}
