package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/mudi-gis/mudi/api/web"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// The browser test: Debian's Chromium, driven by playwright-core (web/test/viewer.mjs), opens
// the viewer against a server on the embedded sample county with every request to a host other
// than 127.0.0.1 blocked, and reports what it saw. This test checks it against the API.

// browserTools returns node and chromium, or skips the test saying what is missing.
func browserTools(t *testing.T) (node, chromium, webDir string) {
	t.Helper()
	if _, ok := web.Dist(); !ok {
		missingTool(t, "the web viewer is not built into this test binary: run make web (cd web && npm ci && npm run build), then test again")
	}
	// Debian's package; elsewhere the first chromium on PATH. A browser is never downloaded.
	chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		if chromium, err = exec.LookPath("chromium"); err != nil {
			missingTool(t, "Chromium is not installed (apt-get install chromium): the browser test drives the system browser and never downloads one")
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missingTool(t, "node is not installed: the browser test runs web/test/viewer.mjs with playwright-core")
	}
	webDir, _ = filepath.Abs(filepath.Join("..", "web"))
	if _, err := os.Stat(filepath.Join(webDir, "node_modules", "playwright-core", "package.json")); err != nil {
		missingTool(t, "web/node_modules is missing: run npm ci in web/ (make web does)")
	}
	return node, chromium, webDir
}

// viewerPoint is a position the script projects to screen pixels.
type viewerPoint struct {
	ID   spatial.FeatureID `json:"id"`
	Lon  float64           `json:"lon"`
	Lat  float64           `json:"lat"`
	Code string            `json:"code,omitempty"`
}

type viewerInput struct {
	Base      string        `json:"base"`
	Chromium  string        `json:"chromium"`
	Artifacts string        `json:"artifacts"`
	Parcels   []viewerPoint `json:"parcels"` // checked on the first view
	Click     viewerPoint   `json:"click"`
	ClickZoom float64       `json:"click_zoom"`
	Zoomed    []viewerPoint `json:"zoomed"` // checked on the close-up around Click
	Blocks    struct {
		MinMu      float64 `json:"min_mu"`
		ToleranceM float64 `json:"tolerance_m"`
	} `json:"blocks"`
	Key    string `json:"key"`
	SaveAs string `json:"save_as"`
}

type screenPos struct {
	ID     spatial.FeatureID `json:"id"`
	X, Y   float64
	Inside bool `json:"inside"`
}

type viewerReport struct {
	Error           string            `json:"error"`
	Steps           []string          `json:"steps"`
	State           string            `json:"state"`
	Title           string            `json:"title"`
	Lang            string            `json:"lang"`
	Zoom            float64           `json:"zoom"`
	Screenshots     map[string]string `json:"screenshots"`
	Positions       []screenPos       `json:"positions"`
	ZoomedPositions []screenPos       `json:"zoomedPositions"`
	Legend          []string          `json:"legend"`
	LayerToggles    []string          `json:"layerToggles"`
	ConsoleErrors   []string          `json:"consoleErrors"`
	PageErrors      []string          `json:"pageErrors"`
	Blocked         []string          `json:"blocked"`
	Requests        struct {
		Total    int      `json:"total"`
		Tiles    int      `json:"tiles"`
		NonLocal []string `json:"nonLocal"`
	} `json:"requests"`
	Popup struct {
		Feature, Text, Code, AreaMu string
		Labels                      []string
	} `json:"popup"`
	KeyboardTab struct {
		Selected, Focused string
		PanelVisible      bool
	} `json:"keyboardTab"`
	Summary struct {
		Count, AreaMu, ParcelCount, Text string
	} `json:"summary"`
	Result struct {
		SourceFeatures, Rendered, ListItems int
		Download                            string
	} `json:"result"`
	Saved *struct {
		OK           bool     `json:"ok"`
		Message      string   `json:"message"`
		Toggle       bool     `json:"toggle"`
		StyleLayers  []string `json:"styleLayers"`
		Rendered     int      `json:"rendered"`
		TileRequests int      `json:"tileRequests"`
		KeyStored    bool     `json:"keyStored"`
	} `json:"saved"`
	Stats []struct {
		District, Count string
		Statuses        int
	} `json:"stats"`
}

func TestViewerInChromium(t *testing.T) {
	node, chromium, webDir := browserTools(t)
	// A raster basemap on another port of 127.0.0.1, in the background's colour so that the
	// pixel checks hold: it shows that a configured basemap loads past the page's CSP.
	var basemapHits atomic.Int64
	tile := solidPNG(256, hexColor(tiles.ColorBackground))
	basemap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		basemapHits.Add(1)
		w.Header().Set("Access-Control-Allow-Origin", "*") // as Tianditu does: MapLibre fetches tiles
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(tile)
	}))
	t.Cleanup(basemap.Close)
	ts := newViewerServer(t, basemap.URL+"/{z}/{x}/{y}.png")
	ts.loadSample()
	parcels := ts.index.Layer("parcels")

	// Parcels whose pixels are checked: wide ones (large inscribed circle), away from the
	// control lines (a straddling parcel has a dashed blue line across it).
	type candidate struct {
		f      *spatial.Feature
		at     orb.Point
		radius float64 // metres from the interior point to the parcel's boundary
		margin float64 // metres from the interior point to the nearest control line
	}
	control := ts.index.Layer("control-lines").Features()
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
	point := func(c candidate) viewerPoint {
		code, _ := c.f.Attrs.Value("DKBH").(string)
		return viewerPoint{ID: c.f.ID, Lon: c.at[0], Lat: c.at[1], Code: code}
	}
	// The widest parcels are among the largest: measure the 200 largest only.
	largest := append([]*spatial.Feature(nil), parcels.Features()...)
	sort.Slice(largest, func(i, j int) bool { return largest[i].Derived.AreaMu > largest[j].Derived.AreaMu })
	wide := measure(largest[:200])
	in := viewerInput{Chromium: chromium, Key: testKey, SaveAs: "browser-blocks", ClickZoom: 16}
	for _, c := range wide {
		// The first view is at about zoom 10.4, 51 m a pixel: keep 3 pixels from any line.
		if len(in.Parcels) < 8 && c.margin > 160 && c.radius > 100 {
			in.Parcels = append(in.Parcels, point(c))
		}
	}
	// The clicked parcel: a wide one inside the control line, whose neighbours the close-up
	// (zoom 16, about 1 m a pixel) checks too.
	click := wide[0]
	for _, c := range wide {
		if c.radius >= 60 && c.f.Derived.ControlPosition == spatial.Inside && c.f.Attrs.Value("DKBH") != nil {
			click = c
			break
		}
	}
	in.Click = point(click)
	var near []*spatial.Feature
	parcels.Search(orb.Bound{Min: orb.Point{click.at[0] - 0.008, click.at[1] - 0.006}, Max: orb.Point{click.at[0] + 0.008, click.at[1] + 0.006}},
		func(f *spatial.Feature) bool { near = append(near, f); return true })
	for _, c := range measure(near) {
		if c.radius >= 20 && c.margin >= 10 {
			in.Zoomed = append(in.Zoomed, point(c))
		}
	}
	in.Blocks.MinMu, in.Blocks.ToleranceM = 300, 50

	// What the API answers for the same preset, asked directly.
	r := ts.get(fmt.Sprintf("/api/analyses/contiguous-blocks?layer=parcels&min_mu=%v&tolerance_m=%v", in.Blocks.MinMu, in.Blocks.ToleranceM))
	if r.status != 200 {
		t.Fatalf("contiguous-blocks = %d %s", r.status, r.body)
	}
	want := r.json(t)["summary"].(map[string]any)
	if want["count"].(float64) == 0 {
		t.Fatal("the sample has no contiguous blocks for these parameters: choose others")
	}

	in.Base = ts.http.URL // httptest listens on 127.0.0.1
	in.Artifacts = os.Getenv("MUDITEST_ARTIFACTS")
	if in.Artifacts == "" {
		in.Artifacts = t.TempDir()
	}
	if err := os.MkdirAll(in.Artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	rep := runViewerScript(t, node, webDir, in)
	t.Logf("screenshots in %s (set MUDITEST_ARTIFACTS to keep them); %d requests, %d tiles; first view at zoom %.2f",
		in.Artifacts, rep.Requests.Total, rep.Requests.Tiles, rep.Zoom)

	t.Run("page is the zh-CN viewer and loads with nothing but 127.0.0.1", func(t *testing.T) {
		if rep.State != "ready" || rep.Lang != "zh-CN" || !strings.Contains(rep.Title, "亩地") {
			t.Errorf("state %q, lang %q, title %q", rep.State, rep.Lang, rep.Title)
		}
		if len(rep.Blocked) > 0 || len(rep.Requests.NonLocal) > 0 {
			t.Errorf("requests left 127.0.0.1: blocked %v, seen %v", rep.Blocked, rep.Requests.NonLocal)
		}
		if rep.Requests.Tiles == 0 {
			t.Error("no tile request was seen")
		}
		if basemapHits.Load() == 0 || !slices.Contains(rep.LayerToggles, "basemap") {
			t.Errorf("basemap: %d tile requests, toggles %v", basemapHits.Load(), rep.LayerToggles)
		}
	})

	t.Run("no console errors", func(t *testing.T) {
		if len(rep.ConsoleErrors)+len(rep.PageErrors) > 0 {
			t.Errorf("console errors %q, page errors %q", rep.ConsoleErrors, rep.PageErrors)
		}
	})

	t.Run("layer panel lists the layers and the legend the status classes", func(t *testing.T) {
		if !slices.Contains(rep.LayerToggles, "parcels") || !slices.Contains(rep.LayerToggles, "control-lines") {
			t.Errorf("layer toggles %v", rep.LayerToggles)
		}
		legend := strings.Join(rep.Legend, "|")
		for _, w := range []string{"闲置", "五未", "低效", "控制线外", "工业用地控制线"} {
			if !strings.Contains(legend, w) {
				t.Errorf("legend lacks %s: %v", w, rep.Legend)
			}
		}
	})

	t.Run("first view shows parcel colours where the parcels are", func(t *testing.T) {
		img := readPNG(t, rep.Screenshots["main"])
		bg := hexColor(tiles.ColorBackground)
		if len(rep.Positions) != len(in.Parcels) || len(in.Parcels) < 5 {
			t.Fatalf("%d positions for %d parcels", len(rep.Positions), len(in.Parcels))
		}
		var right int
		for i, p := range rep.Positions {
			f := parcels.Feature(in.Parcels[i].ID)
			got := img.At(int(p.X), int(p.Y))
			want := blend(hexColor(statusColor(f.Attrs)), bg, 0.75)
			t.Logf("parcel %d at (%.0f, %.0f): %v, %.0f from the background, want %v", f.ID, p.X, p.Y, got, colorDistance(got, bg), want)
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
		var checked, right int
		for i, p := range rep.ZoomedPositions {
			// Inside the map, clear of the zoom buttons (top right) and the scale (bottom right).
			if !p.Inside || p.X < 400 || p.X > float64(bounds.Dx())-60 || p.Y < 60 || p.Y > float64(bounds.Dy())-40 {
				continue
			}
			f := parcels.Feature(in.Zoomed[i].ID)
			want := blend(hexColor(statusColor(f.Attrs)), hexColor(tiles.ColorBackground), 0.75)
			got := img.At(int(p.X), int(p.Y))
			checked++
			if d := colorDistance(got, want); d <= 20 {
				right++
			} else {
				t.Errorf("parcel %d (%s) at (%.0f, %.0f) is %v, want %v (status colour %s over the background)", f.ID, in.Zoomed[i].Code, p.X, p.Y, got, want, statusColor(f.Attrs))
			}
		}
		t.Logf("%d of %d parcels in the close-up have their status colour", right, checked)
		if checked < 3 {
			t.Errorf("only %d parcels could be checked in the close-up", checked)
		}
	})

	t.Run("clicking a parcel shows its attributes under Chinese labels", func(t *testing.T) {
		f := parcels.Feature(in.Click.ID)
		wantArea := strconv.FormatFloat(f.Derived.AreaMu, 'f', 4, 64)
		if rep.Popup.Feature != strconv.FormatUint(uint64(f.ID), 10) || rep.Popup.Code != in.Click.Code || rep.Popup.AreaMu != wantArea {
			t.Errorf("popup of feature %s shows code %q, area %q; want feature %d, %q, %q", rep.Popup.Feature, rep.Popup.Code, rep.Popup.AreaMu, f.ID, in.Click.Code, wantArea)
		}
		for _, label := range []string{"地块编号", "权利人", "面积(亩)", "五未类型", "亩均税收(万元/亩)", "容积率", "与控制线关系", "连片区块编号"} {
			if !slices.Contains(rep.Popup.Labels, label) {
				t.Errorf("popup lacks %s: %v", label, rep.Popup.Labels)
			}
		}
	})

	t.Run("tabs follow the arrow keys", func(t *testing.T) {
		if k := rep.KeyboardTab; k.Selected != "tab-analysis" || k.Focused != "tab-analysis" || !k.PanelVisible {
			t.Errorf("after ArrowRight on the first tab: %+v", k)
		}
	})

	t.Run("contiguous-blocks summary equals the API's answer and the blocks are drawn", func(t *testing.T) {
		count, area, pc := parseShown(t, rep.Summary.Count), parseShown(t, rep.Summary.AreaMu), parseShown(t, rep.Summary.ParcelCount)
		t.Logf("shown: %s; API: count %v, area_mu %v, parcel_count %v", rep.Summary.Text, want["count"], want["area_mu"], want["parcel_count"])
		if count != want["count"].(float64) || pc != want["parcel_count"].(float64) || math.Abs(area-want["area_mu"].(float64)) > 0.005+1e-9 {
			t.Errorf("shown count %v, 亩 %v, parcels %v; API %v, %v, %v", count, area, pc, want["count"], want["area_mu"], want["parcel_count"])
		}
		if rep.Result.SourceFeatures != int(count) || rep.Result.Rendered == 0 || rep.Result.ListItems != int(count) {
			t.Errorf("result on the map: %+v", rep.Result)
		}
		if !strings.HasSuffix(rep.Result.Download, ".geojson") {
			t.Errorf("download name %q", rep.Result.Download)
		}
	})

	t.Run("saved result appears in the layer panel and is drawn from tiles", func(t *testing.T) {
		s := rep.Saved
		if s == nil || !s.OK || !s.Toggle || s.Rendered == 0 || s.TileRequests == 0 || !s.KeyStored ||
			!slices.Contains(s.StyleLayers, in.SaveAs+"-fill") {
			t.Errorf("saved: %+v", s)
		}
		if sn := ts.index.Layer(in.SaveAs); sn == nil || sn.Layer.Kind != spatial.KindDerived || sn.Len() != int(want["count"].(float64)) {
			t.Errorf("layer %s in the index: %v", in.SaveAs, sn)
		}
	})

	t.Run("statistics list every district", func(t *testing.T) {
		r := ts.get("/api/stats?layer=parcels&group_by=district")
		var api struct {
			Stats struct {
				Groups []struct {
					Keys  []string
					Count int
				}
			}
		}
		if err := json.Unmarshal(r.body, &api); err != nil {
			t.Fatal(err)
		}
		shown := map[string]float64{}
		for _, s := range rep.Stats {
			shown[s.District] = parseShown(t, s.Count)
		}
		if len(shown) != len(api.Stats.Groups) {
			t.Errorf("%d districts shown, API has %d", len(shown), len(api.Stats.Groups))
		}
		for _, g := range api.Stats.Groups {
			if shown[g.Keys[0]] != float64(g.Count) {
				t.Errorf("district %s: shown %v parcels, API %d", g.Keys[0], shown[g.Keys[0]], g.Count)
			}
		}
	})
}

// runViewerScript runs web/test/viewer.mjs with in and returns its report.
func runViewerScript(t *testing.T, node, webDir string, in viewerInput) viewerReport {
	t.Helper()
	var rep viewerReport
	runNodeScript(t, node, webDir, "viewer.mjs", in, &rep)
	return rep
}

// interiorPoint returns a point well inside the geometry (of its largest polygon) and its
// distance to the boundary in metres: the best of a grid search refined once around the best
// cell (a coarse pole of inaccessibility).
func interiorPoint(g orb.Geometry) (orb.Point, float64) {
	var poly orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		poly = g
	case orb.MultiPolygon:
		for _, p := range g {
			if planar.Area(p) > planar.Area(poly) {
				poly = p
			}
		}
	}
	if len(poly) == 0 {
		return orb.Point{}, 0
	}
	b := poly.Bound()
	lat0 := b.Center()[1]
	kx, ky := 111320*math.Cos(lat0*math.Pi/180), 110574.0 // metres per degree, locally
	dist := func(p orb.Point) float64 {
		if !planar.PolygonContains(poly, p) {
			return -1
		}
		d := math.Inf(1)
		for _, ring := range poly {
			for i := 0; i+1 < len(ring); i++ {
				a := orb.Point{ring[i][0] * kx, ring[i][1] * ky}
				c := orb.Point{ring[i+1][0] * kx, ring[i+1][1] * ky}
				d = math.Min(d, planar.DistanceFromSegment(a, c, orb.Point{p[0] * kx, p[1] * ky}))
			}
		}
		return d
	}
	best, bestD := b.Center(), dist(b.Center())
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	search := func(x0, y0, dx, dy float64) {
		const n = 16
		for i := 0; i <= n; i++ {
			for j := 0; j <= n; j++ {
				p := orb.Point{x0 + dx*float64(i)/n, y0 + dy*float64(j)/n}
				if d := dist(p); d > bestD {
					best, bestD = p, d
				}
			}
		}
	}
	search(b.Min[0], b.Min[1], w, h)
	search(best[0]-w/16, best[1]-h/16, w/8, h/8)
	return best, bestD
}

// distanceToBoundary returns the distance in metres (locally) from p to the rings of g.
func distanceToBoundary(g orb.Geometry, p orb.Point) float64 {
	kx, ky := 111320*math.Cos(p[1]*math.Pi/180), 110574.0
	q := orb.Point{p[0] * kx, p[1] * ky}
	d := math.Inf(1)
	var rings []orb.Ring
	switch g := g.(type) {
	case orb.Polygon:
		rings = g
	case orb.MultiPolygon:
		for _, poly := range g {
			rings = append(rings, poly...)
		}
	}
	for _, ring := range rings {
		for i := 0; i+1 < len(ring); i++ {
			a := orb.Point{ring[i][0] * kx, ring[i][1] * ky}
			b := orb.Point{ring[i+1][0] * kx, ring[i+1][1] * ky}
			d = math.Min(d, planar.DistanceFromSegment(a, b, q))
		}
	}
	return d
}

// statusColor returns the fill colour the default style gives a parcel of the sample (whose
// status field is WWLX), by the rules of tiles.Style.
func statusColor(a spatial.Getter) string {
	set := func(k string) bool { v, ok := a.Value(k).(string); return ok && v != "" }
	switch {
	case a.Value("SFXZ") == "是":
		return tiles.ColorIdle
	case set("WWLX"):
		return tiles.ColorFiveWei
	case a.Value("SFDX") == "是" || a.Value("MJDJ") == "D" || set("DXLX"):
		return tiles.ColorLowEfficiency
	}
	return tiles.ColorEfficient
}

func solidPNG(size int, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func hexColor(s string) color.RGBA {
	v, _ := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

// blend returns fg drawn with opacity alpha over bg.
func blend(fg, bg color.RGBA, alpha float64) color.RGBA {
	mix := func(a, b uint8) uint8 { return uint8(math.Round(alpha*float64(a) + (1-alpha)*float64(b))) }
	return color.RGBA{mix(fg.R, bg.R), mix(fg.G, bg.G), mix(fg.B, bg.B), 255}
}

// colorDistance is the largest difference of the red, green and blue channels (0–255).
func colorDistance(a color.Color, b color.RGBA) float64 {
	r, g, bl, _ := a.RGBA()
	return math.Max(math.Abs(float64(r>>8)-float64(b.R)), math.Max(math.Abs(float64(g>>8)-float64(b.G)), math.Abs(float64(bl>>8)-float64(b.B))))
}

// parseShown reads a number as the viewer shows it ("1,792.61").
func parseShown(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), 64)
	if err != nil {
		t.Errorf("shown number %q: %v", s, err)
	}
	return v
}
