package gisio

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// needTool returns the path of an external program the test reads its output with; when it
// is missing the test fails under CI (CI set) and is skipped elsewhere.
func needTool(t *testing.T, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (%s)", name, hint)
		}
		t.Skipf("%s not installed (%s)", name, hint)
	}
	return p
}

// exportFile writes sn in format f and CRS c to a file in a temporary directory.
func exportFile(t *testing.T, sn *spatial.Snapshot, f Format, c crs.CRS) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), sn.Layer.ID+f.Ext())
	out, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), out, sn, f, WriteOptions{CRS: c, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

// projected returns the geometry of f in c (lon/lat for the geographic CRSs).
func projected(t *testing.T, f *spatial.Feature, c crs.CRS) orb.Geometry {
	t.Helper()
	if c.Geographic() {
		return f.Geometry
	}
	g, err := crs.TransformFromLonLat(f.Geometry, c)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// window returns a rectangle over part of the layer in c: the given fractions of its extent.
func window(t *testing.T, sn *spatial.Snapshot, c crs.CRS, x0, y0, x1, y1 float64) orb.Bound {
	t.Helper()
	var all orb.Bound
	for i, f := range sn.Features() {
		b := projected(t, f, c).Bound()
		if i == 0 {
			all = b
		} else {
			all = all.Union(b)
		}
	}
	w, h := all.Max[0]-all.Min[0], all.Max[1]-all.Min[1]
	return orb.Bound{Min: orb.Point{all.Min[0] + x0*w, all.Min[1] + y0*h}, Max: orb.Point{all.Min[0] + x1*w, all.Min[1] + y1*h}}
}

// meetsWindow reports whether polygon geometry g and rectangle r have a point in common:
// a vertex of g in r, a corner of r in g, or crossing edges.
func meetsWindow(g orb.Geometry, r orb.Bound) bool {
	if !g.Bound().Intersects(r) {
		return false
	}
	mp := orb.MultiPolygon(spatial.Polygons(g))
	corners := []orb.Point{r.Min, {r.Max[0], r.Min[1]}, r.Max, {r.Min[0], r.Max[1]}}
	for _, c := range corners {
		if planar.MultiPolygonContains(mp, c) {
			return true
		}
	}
	for _, p := range mp {
		for _, ring := range p {
			for i, a := range ring {
				if r.Contains(a) {
					return true
				}
				if i == 0 {
					continue
				}
				for k := range corners {
					if segmentsCross(ring[i-1], a, corners[k], corners[(k+1)%4]) {
						return true
					}
				}
			}
		}
	}
	return false
}

func segmentsCross(a, b, c, d orb.Point) bool {
	orient := func(p, q, r orb.Point) float64 { return (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0]) }
	d1, d2 := orient(c, d, a), orient(c, d, b)
	d3, d4 := orient(a, b, c), orient(a, b, d)
	return (d1 > 0) != (d2 > 0) && (d3 > 0) != (d4 > 0)
}

var (
	ogrFeature = regexp.MustCompile(`^OGRFeature\(([^)]*)\):(\d+)$`)
	ogrField   = regexp.MustCompile(`^  (.+) \(([A-Za-z0-9()]+)\) = (.*)$`)
)

// ogrFeatures parses the features of `ogrinfo -al -q -geom=NO` output into maps of field name
// to value text, keyed by the value of the "id" field.
func ogrFeatures(t *testing.T, out string) map[string]map[string]string {
	t.Helper()
	feats := map[string]map[string]string{}
	var cur map[string]string
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		if ogrFeature.MatchString(line) {
			cur = map[string]string{}
			continue
		}
		if m := ogrField.FindStringSubmatch(line); m != nil && cur != nil {
			cur[m[1]] = m[3]
			if m[1] == "id" {
				feats[m[3]] = cur
			}
		}
	}
	return feats
}

// TestFlatGeobufWithOGR reads FlatGeobuf exports in a geographic and a Gauss-Krüger CRS with
// GDAL: the layer summary (feature count, geometry type, CRS, field names and types), every
// feature's values (Chinese text included) and the features a spatial filter returns through
// the file's index.
func TestFlatGeobufWithOGR(t *testing.T) {
	ogrinfo := needTool(t, "ogrinfo", "Debian gdal-bin; .ci/run installs it")
	sn := county(t, 600)
	for _, c := range []crs.CRS{crs.EPSG4490, mustCRS(t, "EPSG:4549")} {
		t.Run(c.String(), func(t *testing.T) {
			file := exportFile(t, sn, FormatFlatGeobuf, c)
			out, err := exec.Command(ogrinfo, "-ro", "-al", "-so", file).CombinedOutput()
			if err != nil {
				t.Fatalf("ogrinfo: %v\n%s", err, out)
			}
			s := string(out)
			for _, want := range []string{
				"using driver `FlatGeobuf' successful",
				"Layer name: county\n",
				"Geometry: Multi Polygon\n",
				"Feature Count: 600\n",
				fmt.Sprintf(`ID["EPSG",%d]]`, c.EPSG()),
				"\nid: Integer64 ",
				"\nBSM: Integer64 (0.0), alternative name=\"标识码\"\n",
				"\nQLR: String ",
				"\nZDMJ: Real ",
				"\nGDRQ: DateTime ",
				"\n所在园区名称: String ",
				"\n已核查: Integer(Boolean) ",
				"\narea_mu: Real (0.0), alternative name=\"面积(亩)\"\n",
				"\ncontrol_position: String ",
				"\nblock_id: Integer64 ",
			} {
				if !strings.Contains(s, want) {
					t.Errorf("ogrinfo -so lacks %q:\n%s", want, s)
				}
			}

			// Every feature, every value.
			out, err = exec.Command(ogrinfo, "-ro", "-al", "-q", "-geom=NO", file).CombinedOutput()
			if err != nil {
				t.Fatalf("ogrinfo: %v\n%s", err, out)
			}
			feats := ogrFeatures(t, string(out))
			if len(feats) != sn.Len() {
				t.Fatalf("ogrinfo lists %d features, want %d", len(feats), sn.Len())
			}
			chinese := 0
			for _, f := range sn.Features() {
				got := feats[strconv.FormatUint(uint64(f.ID), 10)]
				if got == nil {
					t.Fatalf("feature %d missing", f.ID)
				}
				for _, name := range []string{"QLR", "XZQMC", "所在园区名称", "DKBH"} {
					want, _ := f.Attrs.Value(name).(string)
					if got[name] != want {
						t.Errorf("feature %d %s = %q, want %q", f.ID, name, got[name], want)
					}
					if want != "" && strings.ContainsFunc(want, func(r rune) bool { return r > 0x4e00 }) {
						chinese++
					}
				}
				if want, ok := f.Attrs.Value("BSM").(int64); ok && got["BSM"] != strconv.FormatInt(want, 10) {
					t.Errorf("feature %d BSM = %q, want %d", f.ID, got["BSM"], want)
				}
				if want, ok := f.Attrs.Value("GDRQ").(string); ok && !strings.HasPrefix(got["GDRQ"], strings.ReplaceAll(want, "-", "/")) {
					t.Errorf("feature %d GDRQ = %q, want %s", f.ID, got["GDRQ"], want)
				}
				wantBool := map[bool]string{true: "1", false: "0"}[f.Attrs.Value("已核查") == true]
				if got["已核查"] != wantBool {
					t.Errorf("feature %d 已核查 = %q, want %s", f.ID, got["已核查"], wantBool)
				}
			}
			if chinese < sn.Len() {
				t.Errorf("only %d Chinese values compared", chinese)
			}

			// Spatial filters, answered through the index.
			for i, win := range []orb.Bound{
				window(t, sn, c, 0.31, 0.42, 0.47, 0.58),
				window(t, sn, c, 0.05, 0.61, 0.23, 0.93),
				window(t, sn, c, 0.701, 0.103, 0.7013, 0.1031),
			} {
				var want []string
				for _, f := range sn.Features() {
					if meetsWindow(projected(t, f, c), win) {
						want = append(want, strconv.FormatUint(uint64(f.ID), 10))
					}
				}
				if len(want) == 0 && i < 2 {
					t.Fatalf("window %v holds no feature: the test needs some", win)
				}
				args := []string{"-ro", "-al", "-q", "-geom=NO", "-spat"}
				for _, v := range []float64{win.Min[0], win.Min[1], win.Max[0], win.Max[1]} {
					args = append(args, strconv.FormatFloat(v, 'f', -1, 64))
				}
				out, err := exec.Command(ogrinfo, append(args, file)...).CombinedOutput()
				if err != nil {
					t.Fatalf("ogrinfo -spat: %v\n%s", err, out)
				}
				var got []string
				for id := range ogrFeatures(t, string(out)) {
					got = append(got, id)
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("window %v: ogrinfo returns %d features %v, want %d %v", win, len(got), got, len(want), want)
				}
			}
		})
	}
}

func TestFGBLevels(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want []int
	}{
		{name: "one feature still has a root above its leaf", n: 1, want: []int{1, 1}},
		{name: "a full node", n: 16, want: []int{16, 1}},
		{name: "one more than a node", n: 17, want: []int{17, 2, 1}},
		{name: "three levels", n: 600, want: []int{600, 38, 3, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fgbLevels(tt.n); !slices.Equal(got, tt.want) {
				t.Errorf("fgbLevels(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestHilbert(t *testing.T) {
	// The 4×4 curve, drawn by hand (x to the right, y down); it starts at the top left,
	// visits the quadrants top left, bottom left, bottom right, top right, and each quadrant's
	// sub-curve is turned so that it joins the next:
	//
	//	 0  1 14 15
	//	 3  2 13 12
	//	 4  7  8 11
	//	 5  6  9 10
	grid := [4][4]uint64{{0, 1, 14, 15}, {3, 2, 13, 12}, {4, 7, 8, 11}, {5, 6, 9, 10}}
	want := map[[2]uint64]uint64{}
	for y, row := range grid {
		for x, d := range row {
			want[[2]uint64{uint64(x), uint64(y)}] = d
		}
	}
	for xy, d := range want {
		if got := hilbert(4, xy[0], xy[1]); got != d {
			t.Errorf("hilbert(4, %d, %d) = %d, want %d", xy[0], xy[1], got, d)
		}
	}
}

func TestParseNewFormats(t *testing.T) {
	tests := []struct {
		in        string
		want      Format
		ext, mime string
	}{
		{"fgb", FormatFlatGeobuf, ".fgb", "application/flatgeobuf"},
		{"FlatGeobuf", FormatFlatGeobuf, ".fgb", "application/flatgeobuf"},
		{"parquet", FormatGeoParquet, ".parquet", "application/vnd.apache.parquet"},
		{"GeoParquet", FormatGeoParquet, ".parquet", "application/vnd.apache.parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := ParseFormat(tt.in)
			if err != nil || f != tt.want || f.Ext() != tt.ext || f.MediaType() != tt.mime {
				t.Errorf("ParseFormat(%q) = %q %v, ext %q, media type %q", tt.in, f, err, f.Ext(), f.MediaType())
			}
			if !slices.Contains(Formats, f) {
				t.Errorf("Formats lacks %q", f)
			}
		})
	}
}

// BenchmarkWriteFlatGeobuf exports the generated county of 10 000 parcels as FlatGeobuf in its
// Gauss-Krüger zone and reports features per second.
func BenchmarkWriteFlatGeobuf(b *testing.B) { benchmarkExport(b, FormatFlatGeobuf) }

func benchmarkExport(b *testing.B, f Format) {
	sn := county(b, 10000)
	c := mustCRS(b, "EPSG:4549")
	dir := b.TempDir()
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		cw := &countingWriter{}
		if err := Write(context.Background(), cw, sn, f, WriteOptions{CRS: c, TempDir: dir}); err != nil {
			b.Fatal(err)
		}
		n = cw.n
	}
	b.ReportMetric(float64(sn.Len())*float64(b.N)/b.Elapsed().Seconds(), "features/s")
	b.ReportMetric(float64(n), "file-bytes")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
