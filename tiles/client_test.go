package tiles

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
)

// Real-client tests: the reference JavaScript decoder (@mapbox/vector-tile, as used by MapLibre
// GL JS) and GDAL's MVT driver read the tiles this package writes.

const clientDir = "testdata/mvtclient"

// needNode skips the test unless node and the client's node_modules (npm ci in
// tiles/testdata/mvtclient) are installed.
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missingTool(t, "node not on PATH: install Node.js and run `npm ci` in tiles/testdata/mvtclient")
	}
	if _, err := os.Stat(filepath.Join(clientDir, "node_modules", "@mapbox", "vector-tile")); err != nil {
		missingTool(t, "node_modules missing: run `npm ci` in tiles/testdata/mvtclient")
	}
	return node
}

type jsTile struct {
	File   string `json:"file"`
	Layers []struct {
		Name     string `json:"name"`
		Version  int    `json:"version"`
		Extent   int    `json:"extent"`
		Features []struct {
			ID         uint64            `json:"id"`
			Type       int               `json:"type"`
			Properties map[string]any    `json:"properties"`
			PropTypes  map[string]string `json:"propTypes"`
			Rings      [][][2]float64    `json:"rings"`
			Areas      []float64         `json:"areas"`
			Polygons   []int             `json:"polygons"`
		} `json:"features"`
	} `json:"layers"`
}

// writeTileFile writes b to dir/z/x/y.pbf and returns the path.
func writeTileFile(t *testing.T, dir string, c Coord, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, strconv.Itoa(int(c.Z)), strconv.Itoa(int(c.X)), strconv.Itoa(int(c.Y))+".pbf")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNodeDecoderReadsEveryZ14Tile renders every z14 tile over the sample county, decodes them
// all with @mapbox/vector-tile in one node run and checks, per tile and layer: the feature ids
// equal the brute-force set of features whose interior meets the buffered square (computed over
// all features, not through the index); each feature's area is within 1 % of the exact float
// clip of its projected geometry (or, for tiny pieces, within the snapping bound); exterior
// rings are positive and holes negative as the decoder classifies them, and holes of the source
// that lie inside the tile survive as holes; properties are typed, with nulls omitted.
func TestNodeDecoderReadsEveryZ14Tile(t *testing.T) {
	node := needNode(t)
	cty := sampleCounty(t)
	r := newTestRenderer(t, Options{})
	layers := []*spatial.Snapshot{cty.parcels, cty.control}
	dir := t.TempDir()
	byFile := map[string]Coord{}
	var files []string
	empty := 0
	for c := range Covering(cty.parcels.Layer.Bound.Union(cty.control.Layer.Bound), 14) {
		b, err := r.Render(context.Background(), layers, c)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			empty++
			for _, s := range layers {
				for _, f := range s.Features() {
					if featureIntersects(f, c, 64) {
						t.Errorf("tile %v is empty but %s feature %d intersects it", c, s.Layer.ID, f.ID)
					}
				}
			}
			continue
		}
		p := writeTileFile(t, dir, c, b)
		files = append(files, p)
		byFile[p] = c
	}
	cmd := exec.Command(node, append([]string{filepath.Join(clientDir, "decode.mjs")}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node decode: %v\n%s", err, stderr.String())
	}
	var decoded []jsTile
	if err := json.Unmarshal(out, &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded) != len(files) {
		t.Fatalf("node decoded %d tiles of %d", len(decoded), len(files))
	}
	var features, strict, loose, holes int
	for _, jt := range decoded {
		c := byFile[jt.File]
		for _, s := range layers {
			want := map[uint64]bool{}
			for _, f := range s.Features() {
				if featureIntersects(f, c, 64) {
					want[uint64(f.ID)] = true
				}
			}
			got := map[uint64]bool{}
			for _, l := range jt.Layers {
				if l.Name != s.Layer.ID {
					continue
				}
				if l.Version != 2 || l.Extent != 4096 {
					t.Errorf("tile %v layer %s: version %d extent %d", c, l.Name, l.Version, l.Extent)
				}
				for _, f := range l.Features {
					features++
					got[f.ID] = true
					src := s.Feature(spatial.FeatureID(f.ID))
					if src == nil || f.Type != 3 {
						t.Errorf("tile %v: feature %d unknown or type %d", c, f.ID, f.Type)
						continue
					}
					// winding as decoders see it
					if len(f.Areas) == 0 || f.Areas[0] <= 0 {
						t.Errorf("tile %v feature %d: first ring area %v", c, f.ID, f.Areas)
					}
					var got, wantArea, perim float64
					decodedHoles := 0
					for _, a := range f.Areas {
						if a == 0 {
							t.Errorf("tile %v feature %d: zero-area ring", c, f.ID)
						}
						got += a
						if a < 0 {
							decodedHoles++
						}
					}
					if n := sum(f.Polygons); n != len(f.Rings) || len(f.Polygons) != len(f.Areas)-decodedHoles {
						t.Errorf("tile %v feature %d: classifyRings grouped %v from %d rings (%d holes)", c, f.ID, f.Polygons, len(f.Rings), decodedHoles)
					}
					insideHoles := 0
					for _, p := range spatial.Polygons(src.Geometry) {
						pp := projectPoly(c, p)
						a, per := clippedArea(pp, -64, 4160)
						if a > 0 {
							wantArea += a
							perim += per
						}
						for _, h := range pp[1:] {
							if ringInside(h, 0, 4096) && ringArea(h) > 16 {
								insideHoles++
							}
						}
					}
					if decodedHoles < insideHoles {
						t.Errorf("tile %v feature %d: %d holes decoded, %d source holes inside the tile", c, f.ID, decodedHoles, insideHoles)
					}
					holes += decodedHoles
					switch d := math.Abs(got - wantArea); {
					case d <= 0.01*wantArea:
						strict++
					case d <= 0.71*perim+1:
						loose++
					default:
						t.Errorf("tile %v feature %d: decoded area %.1f, exact clip %.1f", c, f.ID, got, wantArea)
					}
					checkJSProps(t, c, s, src, f.Properties, f.PropTypes)
				}
			}
			if !mapsEqual(got, want) {
				t.Errorf("tile %v layer %s: ids differ from brute force: %s", c, s.Layer.ID, diffIDs(got, want))
			}
		}
	}
	t.Logf("%d tiles (%d empty), %d features, %d holes; areas: %d within 1%%, %d tiny pieces within the snapping bound",
		len(files), empty, features, holes, strict, loose)
	if strict < 20*loose {
		t.Errorf("too many features outside 1%%: %d of %d", loose, strict+loose)
	}
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

func ringInside(r [][2]float64, lo, hi float64) bool {
	for _, p := range r {
		if p[0] <= lo || p[0] >= hi || p[1] <= lo || p[1] >= hi {
			return false
		}
	}
	return true
}

func ringArea(r [][2]float64) float64 {
	var a float64
	for i := range r {
		u, v := r[i], r[(i+1)%len(r)]
		a += u[0]*v[1] - v[0]*u[1]
	}
	return math.Abs(a / 2)
}

func mapsEqual(a, b map[uint64]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func diffIDs(got, want map[uint64]bool) string {
	var missing, extra []uint64
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return fmt.Sprintf("missing %v, extra %v", missing, extra)
}

// checkJSProps: every source attribute carried is present with the right JavaScript type and
// value; nulls are absent; derived values are numbers/strings/booleans as documented.
func checkJSProps(t *testing.T, c Coord, s *spatial.Snapshot, f *spatial.Feature, props map[string]any, types map[string]string) {
	t.Helper()
	for k, v := range props {
		if v == "null" || v == nil {
			t.Errorf("tile %v feature %d: %s = %v", c, f.ID, k, v)
		}
	}
	for k, v := range f.Attrs.All() {
		jv, ok := props[k]
		switch v := v.(type) {
		case nil:
			if ok {
				t.Errorf("tile %v feature %d: null %s encoded as %v", c, f.ID, k, jv)
			}
		case string:
			if ok && (types[k] != "string" || jv != v) {
				t.Errorf("tile %v feature %d: %s = %v (%s), want %q", c, f.ID, k, jv, types[k], v)
			}
		case float64, int64:
			if ok && types[k] != "number" {
				t.Errorf("tile %v feature %d: %s is %s", c, f.ID, k, types[k])
			}
		}
	}
	if types[PropAreaMu] != "number" {
		t.Errorf("tile %v feature %d: area_mu is %q", c, f.ID, types[PropAreaMu])
	}
	if f.Derived.ControlPosition != "" && props[PropControlPosition] != string(f.Derived.ControlPosition) {
		t.Errorf("tile %v feature %d: control_position %v", c, f.ID, props[PropControlPosition])
	}
	if f.Derived.BlockID != 0 && types[PropScattered] != "boolean" {
		t.Errorf("tile %v feature %d: scattered is %q", c, f.ID, types[PropScattered])
	}
}

// TestStyleValidatesWithMapLibre runs the MapLibre style-spec validator on the default style.
func TestStyleValidatesWithMapLibre(t *testing.T) {
	node := needNode(t)
	validator := filepath.Join(clientDir, "node_modules", "@maplibre", "maplibre-gl-style-spec", "dist", "gl-style-validate.mjs")
	if _, err := os.Stat(validator); err != nil {
		missingTool(t, "style validator missing: run `npm ci` in tiles/testdata/mvtclient")
	}
	cty := genCounty(t, countyOptions{Parcels: 50})
	derived := layerOf("blocks-300")
	derived.Layer.Kind = spatial.KindDerived
	statusRole := spatial.NewSnapshot(spatial.Layer{ID: "parcels-2024", Kind: spatial.KindParcels,
		Roles: map[string]string{"status": "status"}}, nil)
	style, err := Style("mudi", []*spatial.Snapshot{cty.parcels, cty.control, derived, statusRole},
		"http://localhost:8080/tiles/parcels,control-lines,blocks-300,parcels-2024.json")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "style.json")
	if err := os.WriteFile(p, style, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, validator, p).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("gl-style-validate: %v\n%s", err, out)
	}
}

// TestGDALReadsTiles opens a single tile and a directory tileset with metadata.json with GDAL's
// MVT driver (ogrinfo) and checks layer names, feature counts, field names and types, and
// Chinese attribute values.
func TestGDALReadsTiles(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		missingTool(t, "ogrinfo not on PATH (Debian: apt-get install gdal-bin)")
	}
	cty := genCounty(t, countyOptions{Parcels: 600})
	r := newTestRenderer(t, Options{MaxZoom: 14})
	layers := []*spatial.Snapshot{cty.parcels, cty.control}
	dir := t.TempDir()
	counts := map[string]int{}
	var one string
	oneCounts := map[string]int{}
	for c := range Covering(cty.parcels.Layer.Bound, 14) {
		b, err := r.Render(context.Background(), layers, c)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			continue
		}
		p := writeTileFile(t, dir, c, b)
		tile := mustDecode(t, b)
		for _, l := range tile.Layers {
			counts[l.Name] += len(l.Features)
		}
		if one == "" || len(tile.Layers) == 2 && oneCounts["control-lines"] == 0 {
			one = p
			clear(oneCounts)
			for _, l := range tile.Layers {
				oneCounts[l.Name] = len(l.Features)
			}
		}
	}
	meta := r.Metadata(layers, "mudi test")
	meta.MinZoom = "14"
	mj, _ := json.Marshal(meta)
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), mj, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(ogrinfo, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tests := []struct {
		name  string
		path  string
		count map[string]int
	}{
		{"single z/x/y.pbf tile", one, oneCounts},
		{"zoom level of a directory tileset with metadata.json", filepath.Join(dir, "14"), counts},
	}
	countRe := regexp.MustCompile(`(?m)^Layer name: (\S+)[\s\S]*?^Feature Count: (\d+)`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			summary := run("-ro", "-al", "-so", tc.path)
			got := map[string]int{}
			for _, m := range countRe.FindAllStringSubmatch(summary, -1) {
				got[m[1]], _ = strconv.Atoi(m[2])
			}
			if !reflectEqual(got, tc.count) {
				t.Errorf("feature counts %v, want %v\n%s", got, tc.count, summary)
			}
			for _, want := range []string{"Geometry: Multi Polygon", "DKBH: String", "QLR: String", "area_mu: Real", "MJSS: Real", "KZXLX: String"} {
				if !strings.Contains(summary, want) {
					t.Errorf("summary lacks %q\n%s", want, summary)
				}
			}
			full := run("-ro", "-al", tc.path)
			for _, want := range []string{"工业用地控制线", "XZQMC (String) = ", "control_position (String) = ", "POLYGON"} {
				if !strings.Contains(full, want) {
					t.Errorf("feature dump lacks %q", want)
				}
			}
			if !regexp.MustCompile(`QLR \(String\) = \p{Han}+`).MatchString(full) {
				t.Error("no Chinese owner name in the feature dump")
			}
			if strings.Contains(full, "(String) = null") {
				t.Error("a null attribute was encoded as the text null")
			}
		})
	}
}

func reflectEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
