package api

import (
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/api/web"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// pmtilesViewerInput is the input of web/test/pmtiles.mjs.
type pmtilesViewerInput struct {
	Page      string        `json:"page"`
	Chromium  string        `json:"chromium"`
	Artifacts string        `json:"artifacts"`
	Parcels   []viewerPoint `json:"parcels"`
	Closeup   struct {
		Lon  float64 `json:"lon"`
		Lat  float64 `json:"lat"`
		Zoom float64 `json:"zoom"`
	} `json:"closeup"`
	Zoomed []viewerPoint `json:"zoomed"`
}

type pmtilesViewerReport struct {
	Error           string            `json:"error"`
	Steps           []string          `json:"steps"`
	State           string            `json:"state"`
	Source          string            `json:"source"`
	Status          string            `json:"status"`
	Zoom            float64           `json:"zoom"`
	StyleSources    map[string]string `json:"styleSources"`
	Legend          []string          `json:"legend"`
	LayerToggles    []string          `json:"layerToggles"`
	HiddenTabs      []string          `json:"hiddenTabs"`
	Rendered        int               `json:"rendered"`
	Screenshots     map[string]string `json:"screenshots"`
	Positions       []screenPos       `json:"positions"`
	ZoomedPositions []screenPos       `json:"zoomedPositions"`
	ConsoleErrors   []string          `json:"consoleErrors"`
	PageErrors      []string          `json:"pageErrors"`
	Blocked         []string          `json:"blocked"`
	Requests        []struct {
		URL   string `json:"url"`
		Range string `json:"range"`
	} `json:"requests"`
}

// The viewer opens a PMTiles export of the sample county with no mudi server: the built viewer
// and the archive are files of a plain file server, every request to another host than
// 127.0.0.1 is aborted, and the parcels show in their status colours.
func TestViewerOpensPMTilesOffline(t *testing.T) {
	node, chromium, webDir := browserTools(t)
	dist, _ := web.Dist()

	// The archive, exported by the server, is the only thing taken from it.
	ts := newViewerServer(t, "")
	ts.loadSample()
	dir := t.TempDir()
	if err := os.CopyFS(dir, dist); err != nil {
		t.Fatal(err)
	}
	if r := ts.download("/tiles/parcels,control-lines.pmtiles", filepath.Join(dir, "county.pmtiles")); r.status != 200 {
		t.Fatalf("archive: %d %s", r.status, r.body)
	}
	parcels, control := ts.index.Layer("parcels"), ts.index.Layer("control-lines").Features()
	ts.http.Close() // from here on there is no mudi server

	var mu sync.Mutex
	var served []string
	files := http.FileServer(http.Dir(dir))
	fsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served = append(served, r.URL.Path)
		mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(fsrv.Close)

	// Parcels whose pixels are checked, as in the viewer's own browser test: wide ones, away
	// from the control lines.
	type candidate struct {
		f              *spatial.Feature
		at             orb.Point
		radius, margin float64
	}
	measure := func(fs []*spatial.Feature) []candidate {
		var out []candidate
		for _, f := range fs {
			if f.Derived.ControlPosition == spatial.Straddling {
				continue
			}
			at, r := interiorPoint(f.Geometry)
			margin := math.Inf(1)
			for _, c := range control {
				margin = math.Min(margin, distanceToBoundary(c.Geometry, at))
			}
			out = append(out, candidate{f, at, r, margin})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].radius > out[j].radius })
		return out
	}
	point := func(c candidate) viewerPoint { return viewerPoint{ID: c.f.ID, Lon: c.at[0], Lat: c.at[1]} }
	largest := slices.Clone(parcels.Features())
	sort.Slice(largest, func(i, j int) bool { return largest[i].Derived.AreaMu > largest[j].Derived.AreaMu })
	wide := measure(largest[:200])
	in := pmtilesViewerInput{Chromium: chromium, Page: fsrv.URL + "/index.html?pmtiles=county.pmtiles"}
	for _, c := range wide {
		if len(in.Parcels) < 8 && c.margin > 160 && c.radius > 100 {
			in.Parcels = append(in.Parcels, point(c))
		}
	}
	centre := wide[0]
	in.Closeup.Lon, in.Closeup.Lat, in.Closeup.Zoom = centre.at[0], centre.at[1], 16
	var near []*spatial.Feature
	parcels.Search(orb.Bound{Min: orb.Point{centre.at[0] - 0.008, centre.at[1] - 0.006}, Max: orb.Point{centre.at[0] + 0.008, centre.at[1] + 0.006}},
		func(f *spatial.Feature) bool { near = append(near, f); return true })
	for _, c := range measure(near) {
		if c.radius >= 20 && c.margin >= 10 {
			in.Zoomed = append(in.Zoomed, point(c))
		}
	}
	in.Artifacts = os.Getenv("MUDITEST_ARTIFACTS")
	if in.Artifacts == "" {
		in.Artifacts = t.TempDir()
	}
	if err := os.MkdirAll(in.Artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	var rep pmtilesViewerReport
	runNodeScript(t, node, webDir, "pmtiles.mjs", in, &rep)
	t.Logf("screenshots in %s; %d requests; first view at zoom %.2f; status %q", in.Artifacts, len(rep.Requests), rep.Zoom, rep.Status)

	t.Run("the page reads the archive from the file server and nothing else", func(t *testing.T) {
		if rep.Source != "pmtiles" || !strings.HasPrefix(rep.StyleSources["mudi"], "pmtiles://"+fsrv.URL+"/county.pmtiles") {
			t.Errorf("source %q, style sources %v", rep.Source, rep.StyleSources)
		}
		if len(rep.Blocked) > 0 {
			t.Errorf("requests to other hosts: %v", rep.Blocked)
		}
		ranges := 0
		for _, r := range rep.Requests {
			u, err := url.Parse(r.URL)
			if err != nil || (u.Scheme != "data" && u.Scheme != "blob" && "http://"+u.Host != fsrv.URL) {
				t.Errorf("request to %s: not the file server", r.URL)
			}
			if strings.HasSuffix(u.Path, "/county.pmtiles") && strings.HasPrefix(r.Range, "bytes=") {
				ranges++
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, p := range served {
			if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/tiles/") || strings.HasPrefix(p, "/styles/") || p == "/viewer/config.json" {
				t.Errorf("the viewer asked the file server for %s, a route of the mudi server", p)
			}
		}
		if ranges < 2 {
			t.Errorf("%d range requests of the archive", ranges)
		}
	})

	t.Run("no page errors, no console errors", func(t *testing.T) {
		if len(rep.PageErrors)+len(rep.ConsoleErrors) > 0 {
			t.Errorf("page errors %q, console errors %q", rep.PageErrors, rep.ConsoleErrors)
		}
	})

	t.Run("the layer panel and the legend come from the archive", func(t *testing.T) {
		if !slices.Equal(rep.LayerToggles, []string{"parcels", "control-lines"}) || !strings.Contains(rep.Status, "地块 "+groupDigits(parcels.Len())) {
			t.Errorf("layer toggles %v, status %q", rep.LayerToggles, rep.Status)
		}
		legend := strings.Join(rep.Legend, "|")
		for _, w := range []string{"闲置", "五未", "低效", "工业用地控制线"} {
			if !strings.Contains(legend, w) {
				t.Errorf("legend lacks %s: %v", w, rep.Legend)
			}
		}
		if !slices.Contains(rep.HiddenTabs, "tab-analysis") || !slices.Contains(rep.HiddenTabs, "tab-stats") {
			t.Errorf("tabs that need the server are shown: hidden %v", rep.HiddenTabs)
		}
		if rep.Rendered == 0 {
			t.Error("no feature of the archive is rendered")
		}
	})

	bg := hexColor(tiles.ColorBackground)
	t.Run("first view shows parcel colours where the parcels are", func(t *testing.T) {
		img := readPNG(t, rep.Screenshots["main"])
		if len(rep.Positions) != len(in.Parcels) || len(in.Parcels) < 5 {
			t.Fatalf("%d positions for %d parcels", len(rep.Positions), len(in.Parcels))
		}
		right := 0
		for i, p := range rep.Positions {
			f := parcels.Feature(in.Parcels[i].ID)
			got := img.At(int(p.X), int(p.Y))
			want := blend(hexColor(statusColor(f.Attrs)), bg, 0.75)
			t.Logf("parcel %d at (%.0f, %.0f): %v, want %v", f.ID, p.X, p.Y, got, want)
			if !p.Inside || colorDistance(got, bg) < 40 {
				t.Errorf("parcel %d at (%.0f, %.0f) shows the background %v", f.ID, p.X, p.Y, got)
			}
			if colorDistance(got, want) <= 20 {
				right++
			}
		}
		// A few pixels wide at this zoom, a parcel may take an outline's colour at its centre.
		if right < len(rep.Positions)-1 {
			t.Errorf("only %d of %d parcels show their status colour", right, len(rep.Positions))
		}
	})

	t.Run("close-up shows each parcel in its status colour", func(t *testing.T) {
		img := readPNG(t, rep.Screenshots["zoomed"])
		bounds := img.Bounds()
		checked := 0
		for i, p := range rep.ZoomedPositions {
			if !p.Inside || p.X < 400 || p.X > float64(bounds.Dx())-60 || p.Y < 60 || p.Y > float64(bounds.Dy())-40 {
				continue
			}
			f := parcels.Feature(in.Zoomed[i].ID)
			want := blend(hexColor(statusColor(f.Attrs)), bg, 0.75)
			got := img.At(int(p.X), int(p.Y))
			checked++
			if d := colorDistance(got, want); d > 20 {
				t.Errorf("parcel %d at (%.0f, %.0f) is %v, want %v (status colour %s over the background)", f.ID, p.X, p.Y, got, want, statusColor(f.Attrs))
			}
		}
		t.Logf("%d parcels checked in the close-up", checked)
		if checked < 3 {
			t.Errorf("only %d parcels could be checked in the close-up", checked)
		}
	})
}
