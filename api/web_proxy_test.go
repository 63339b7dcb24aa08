package api

import (
	"regexp"
	"strings"
	"testing"
)

// TestViewerBehindAPrefixProxy loads the web viewer in Chromium through a reverse proxy that
// serves mudi under /mudi/: the page, its assets, the API calls, the style and the tiles all go
// through the proxy, and the popup and an analysis work there.
func TestViewerBehindAPrefixProxy(t *testing.T) {
	node, chromium, webDir := browserTools(t)
	ts := newViewerServer(t, "")
	ts.loadSample()
	base := prefixProxy(t, ts.http.URL, "/mudi")

	// The page refers to its assets relative to itself.
	page := getURL(t, base+"/")
	assets := regexp.MustCompile(`(?:src|href)="([^"]*assets/[^"]+)"`).FindAllSubmatch(page.body, -1)
	if page.status != 200 || len(assets) == 0 {
		t.Fatalf("page through the proxy: %d, %d assets", page.status, len(assets))
	}
	for _, a := range assets {
		ref := string(a[1])
		if !strings.HasPrefix(ref, "./") {
			t.Errorf("asset %s is not relative to the page", ref)
			continue
		}
		if r := getURL(t, base+"/"+strings.TrimPrefix(ref, "./")); r.status != 200 {
			t.Errorf("asset %s through the proxy = %d", ref, r.status)
		}
	}

	f := ts.index.Layer("parcels").Feature(1)
	at, _ := interiorPoint(f.Geometry)
	code, _ := f.Attrs.Value("DKBH").(string)
	p := viewerPoint{ID: f.ID, Lon: at[0], Lat: at[1], Code: code}
	in := viewerInput{Base: base, Chromium: chromium, Artifacts: t.TempDir(), Parcels: []viewerPoint{p}, Click: p, ClickZoom: 16, Zoomed: []viewerPoint{p}}
	in.Blocks.MinMu, in.Blocks.ToleranceM = 300, 50
	rep := runViewerScript(t, node, webDir, in)
	if rep.State != "ready" || len(rep.ConsoleErrors)+len(rep.PageErrors) > 0 {
		t.Errorf("viewer behind the proxy: state %q, console errors %q, page errors %q", rep.State, rep.ConsoleErrors, rep.PageErrors)
	}
	if rep.Requests.Tiles == 0 || len(rep.Requests.NonLocal) > 0 || len(rep.Blocked) > 0 {
		t.Errorf("tiles %d, non-local requests %v, blocked %v", rep.Requests.Tiles, rep.Requests.NonLocal, rep.Blocked)
	}
	if rep.Popup.Code != code {
		t.Errorf("popup through the proxy shows %q, want %q", rep.Popup.Code, code)
	}
	if rep.Summary.Count == "" || rep.Summary.Count == "0" {
		t.Errorf("analysis through the proxy: %+v", rep.Summary)
	}
}
