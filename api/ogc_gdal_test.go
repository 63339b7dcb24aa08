package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
)

// countyServer serves the generated 20 000-parcel county (fixtures.Generate{N: 20000, Seed: 1})
// imported through PutLayer as layers parcels and control-lines, and records the URLs of the
// item requests it answers.
type countyServer struct {
	*testServer
	mu    sync.Mutex
	pages []string // request URIs of /items requests
}

// importCounty imports the generated county of n parcels (seed 1) into core through PutLayer,
// as mudi import does: the layer control-lines, then parcels, which takes it as its control
// layer.
func importCounty(tb testing.TB, core *app.App, n int) {
	tb.Helper()
	ds, err := fixtures.Generate(fixtures.Options{N: n, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
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
			tb.Fatal(err)
		}
		imp, err := spatial.DecodeGeoJSON(&buf, spatial.ImportOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		if _, _, err := core.PutLayer(context.Background(), app.LayerRequest{ID: l.id, Kind: l.kind, Import: imp}); err != nil {
			tb.Fatal(err)
		}
	}
}

func newCountyServer(t *testing.T) *countyServer {
	t.Helper()
	ts := newTestServer(t)
	t0 := time.Now()
	importCounty(t, ts.app, 20000)
	t.Logf("generated and imported the county in %v", time.Since(t0).Round(time.Millisecond))
	cs := &countyServer{testServer: ts}
	// Serve through a recorder on a new listener (the helper's server stays unused).
	h := ts.srv.Handler()
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/items") {
			cs.mu.Lock()
			cs.pages = append(cs.pages, r.URL.RequestURI())
			cs.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Close)
	ts.http = rec
	return cs
}

func (cs *countyServer) itemRequests() []string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := slices.Clone(cs.pages)
	cs.pages = nil
	return out
}

// gdalFeature is a feature of an ogr2ogr GeoJSON output.
type gdalFeature struct {
	ID         int64          `json:"id"`
	Properties map[string]any `json:"properties"`
	Geometry   json.RawMessage
}

func ogr2ogr(t *testing.T, args ...string) []gdalFeature {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.geojson")
	cmd := exec.Command("ogr2ogr", append([]string{"-f", "GeoJSON", out}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr %v: %v\n%s", args, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct{ Features []gdalFeature }
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	return fc.Features
}

// TestGDALReadsEveryFeatureOverOGCAPI opens the OGC API with GDAL's OAPIF driver: ogrinfo
// lists every collection, ogr2ogr copies the whole 20 000-parcel collection in pages of 1 000
// (following next links to the end: same count, same ids, Chinese attributes intact), and with
// -spat (in pages of 300) returns exactly the parcels that a brute-force geometry-versus-box
// test selects.
func TestGDALReadsEveryFeatureOverOGCAPI(t *testing.T) {
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		missingTool(t, "ogrinfo/ogr2ogr not installed (Debian gdal-bin; .ci/run installs it)")
	}
	t.Parallel()
	cs := newCountyServer(t)
	root := "OAPIF:" + cs.http.URL + "/ogc"
	sn := cs.index.Layer("parcels")
	if sn.Len() != 20000 {
		t.Fatalf("the county has %d parcels", sn.Len())
	}

	out, err := exec.Command("ogrinfo", "-ro", "-so", root).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	for _, l := range cs.index.Layers() {
		if !strings.Contains(string(out), ": "+l.Layer.ID+" ") {
			t.Errorf("ogrinfo does not list collection %s:\n%s", l.Layer.ID, out)
		}
	}

	t.Run("whole collection in pages of 1000", func(t *testing.T) {
		cs.itemRequests()
		got := ogr2ogr(t, root, "parcels", "-oo", "PAGE_SIZE=1000", "-preserve_fid")
		pages := cs.itemRequests()
		full := 0
		for _, p := range pages {
			if strings.Contains(p, "limit=1000") {
				full++
			}
		}
		// GDAL reads one page to learn the schema, then every page from the first.
		if full < 20 {
			t.Errorf("GDAL made %d item requests with limit=1000: %v", full, pages)
		}
		if len(got) != sn.Len() {
			t.Fatalf("ogr2ogr copied %d features, the layer has %d", len(got), sn.Len())
		}
		mismatch := 0
		for i, gf := range got {
			f := sn.Features()[i]
			if gf.ID != int64(f.ID) {
				t.Fatalf("feature %d: id %d, want %d (ids in order)", i, gf.ID, f.ID)
			}
			for _, k := range []string{"DKBH", "QLR", "XZQMC", "XZMC", "YQMC", "CZZT", "WWLX", "GDRQ"} {
				want := f.Attrs.Value(k)
				if gv := gf.Properties[k]; gv != want && !(want == nil && gv == nil) {
					if mismatch++; mismatch <= 5 {
						t.Errorf("feature %d %s = %v, want %v", f.ID, k, gv, want)
					}
				}
			}
			for _, k := range []string{"area_mu", "MJSS", "BSM", "block_mu"} {
				sv, gv := f.Properties()[k], gf.Properties[k]
				want, _ := toFloat(sv)
				got, ok := toFloat(gv)
				if sv == nil && gv != nil || sv != nil && (!ok || math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want))) {
					if mismatch++; mismatch <= 5 {
						t.Errorf("feature %d %s = %v, want %v", f.ID, k, gf.Properties[k], want)
					}
				}
			}
		}
		if mismatch > 0 {
			t.Errorf("%d attribute values differ", mismatch)
		}
		t.Logf("ogr2ogr copied %d features in %d item requests", len(got), len(pages))
	})

	t.Run("spatial filter", func(t *testing.T) {
		b := sn.Layer.Bound
		// A box over a corner of the county, a fifth of each side, at odd coordinates.
		w, s := b.Min[0]+0.31*(b.Max[0]-b.Min[0]), b.Min[1]+0.27*(b.Max[1]-b.Min[1])
		e, n := w+0.2*(b.Max[0]-b.Min[0]), s+0.2*(b.Max[1]-b.Min[1])
		var want []int64
		for _, f := range sn.Features() {
			if bruteIntersects(f, w, s, e, n) {
				want = append(want, int64(f.ID))
			}
		}
		cs.itemRequests()
		got := ogr2ogr(t, root, "parcels", "-oo", "PAGE_SIZE=300", "-preserve_fid", "-spat", fmt.Sprint(w), fmt.Sprint(s), fmt.Sprint(e), fmt.Sprint(n))
		pages := cs.itemRequests()
		var ids []int64
		for _, gf := range got {
			ids = append(ids, gf.ID)
		}
		if len(want) == 0 || !slices.Equal(ids, want) {
			t.Errorf("-spat: GDAL returned %d parcels, brute force finds %d", len(ids), len(want))
		}
		bboxed := 0
		for _, p := range pages {
			if strings.Contains(p, "bbox=") {
				bboxed++
			}
		}
		if bboxed < 3 {
			t.Errorf("GDAL did not page through the bbox on the server (pages of 300): %v", pages)
		}
		t.Logf("-spat %.4f %.4f %.4f %.4f: %d parcels in %d item requests", w, s, e, n, len(ids), len(pages))
	})
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}
