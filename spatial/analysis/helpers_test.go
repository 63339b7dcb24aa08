package analysis

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// ref is a named reference polygon of testdata/planimeter.in with its area from GeographicLib's
// Planimeter (testdata/planimeter.out, made by testdata/planimeter.sh).
type ref struct {
	ring   orb.Ring
	areaM2 float64
}

var (
	refsOnce sync.Once
	refsMap  map[string]ref
	refsErr  error
)

func refs(tb testing.TB) map[string]ref {
	tb.Helper()
	refsOnce.Do(func() { refsMap, refsErr = loadRefs() })
	if refsErr != nil {
		tb.Fatal(refsErr)
	}
	return refsMap
}

func loadRefs() (map[string]ref, error) {
	in, err := os.Open("testdata/planimeter.in")
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var names []string
	var rings []orb.Ring
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#"):
			name, _, _ := strings.Cut(strings.TrimSpace(line[1:]), ":")
			names = append(names, name)
			rings = append(rings, nil)
		case line == "":
		default:
			f := strings.Fields(line)
			lon, _ := strconv.ParseFloat(f[0], 64)
			lat, _ := strconv.ParseFloat(f[1], 64)
			rings[len(rings)-1] = append(rings[len(rings)-1], orb.Point{lon, lat})
		}
	}
	out, err := os.ReadFile("testdata/planimeter.out")
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	m := map[string]ref{}
	for i, name := range names {
		f := strings.Fields(lines[i])
		a, _ := strconv.ParseFloat(f[2], 64)
		r := append(rings[i], rings[i][0])
		m[name] = ref{ring: r, areaM2: a}
	}
	return m, nil
}

// box returns the lon/lat rectangle polygon, counter-clockwise.
func box(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

// feat is a test parcel: id, geometry and attributes as key/value pairs.
func feat(id spatial.FeatureID, g orb.Geometry, kv ...any) *spatial.Feature {
	a := spatial.Attrs{}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i].(string)] = kv[i+1]
	}
	return &spatial.Feature{ID: id, Geometry: g, Attrs: a.Record()}
}

// layer builds a snapshot; fields are detected from the features' attributes.
func layer(id string, kind spatial.Kind, fs ...*spatial.Feature) *spatial.Snapshot {
	seen := map[string]bool{}
	var fields []spatial.Field
	for _, f := range fs {
		for k := range f.Attrs.All() {
			if !seen[k] {
				seen[k] = true
				fields = append(fields, spatial.Field{Name: k, Type: spatial.FieldString})
			}
		}
	}
	l := spatial.Layer{ID: id, Kind: kind, Fields: fields, Roles: spatial.DetectRoles(fields)}
	return spatial.NewSnapshot(l, fs)
}

// eastBy returns the longitude d metres east of lon at latitude lat (local scale).
func eastBy(lon, lat, d float64) float64 {
	kx, _ := localScale(lat)
	return lon + d/kx
}

func f64(v float64) *float64 { return &v }

func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(math.Abs(want), 1e-300)
}
