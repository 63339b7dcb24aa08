package tiles

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

var update = flag.Bool("update", false, "rewrite the golden tiles in testdata")

// goldenLayers is a small hand-made scene (lon/lat literals near Quzhou):
//
//	    118.8700   118.8720   118.8745
//	28.9515 +----------+-----------+
//	        |    1     x     2     |   x: shared edge with an extra vertex (118.8720, 28.9508)
//	        |          |   [hole]  |
//	28.9500 +----------+-----------+
//	        |    3  (island 3b)    |   3: MultiPolygon; 4: a 2 m parcel; control line over 1–2
//	28.9490 +----------------------+
func goldenLayers() []*spatial.Snapshot {
	ring := func(pts ...float64) orb.Ring {
		r := orb.Ring{}
		for i := 0; i < len(pts); i += 2 {
			r = append(r, orb.Point{pts[i], pts[i+1]})
		}
		return append(r, r[0])
	}
	p1 := orb.Polygon{ring(118.8700, 28.9500, 118.8720, 28.9500, 118.8720, 28.9508, 118.8720, 28.9515, 118.8700, 28.9515)}
	p2 := orb.Polygon{
		ring(118.8720, 28.9500, 118.8745, 28.9500, 118.8745, 28.9515, 118.8720, 28.9515, 118.8720, 28.9508),
		ring(118.8728, 28.9504, 118.8728, 28.9510, 118.8737, 28.9510, 118.8737, 28.9504),
	}
	p3 := orb.MultiPolygon{
		{ring(118.8700, 28.9490, 118.8745, 28.9490, 118.8745, 28.9500, 118.8720, 28.9500, 118.8700, 28.9500)},
		{ring(118.8750, 28.9492, 118.8753, 28.9492, 118.8753, 28.9495, 118.8750, 28.9495)},
	}
	p4 := orb.Polygon{ring(118.8760, 28.9500, 118.87602, 28.9500, 118.87602, 28.95002, 118.8760, 28.95002)}
	parcels := spatial.NewSnapshot(spatial.Layer{
		ID: "parcels", Kind: spatial.KindParcels, Version: 3,
		Fields: []spatial.Field{{Name: "DKBH"}, {Name: "QLR"}, {Name: "WWLX"}, {Name: "SFDX"}, {Name: "MJSS", Type: spatial.FieldReal}},
		Roles:  map[string]string{"code": "DKBH", "owner": "QLR"},
	}, []*spatial.Feature{
		{ID: 1, Geometry: p1, Attrs: spatial.Attrs{"DKBH": "KC-0001", "QLR": "衢州智造新材料有限公司", "WWLX": nil, "SFDX": "否", "MJSS": 35.2}.Record(),
			Derived: spatial.Derived{AreaMu: 46.1234, ControlPosition: spatial.Inside}},
		{ID: 2, Geometry: p2, Attrs: spatial.Attrs{"DKBH": "KC-0002", "QLR": "柯城区华丰五金厂", "WWLX": "供而未用", "SFDX": "是"}.Record(),
			Derived: spatial.Derived{AreaMu: 52.5, ControlPosition: spatial.Straddling, OutsideRatio: 0.5, OutsideMu: 26.25, BlockID: 7, BlockMu: 99.6, Scattered: true}},
		{ID: 3, Geometry: p3, Attrs: spatial.Attrs{"DKBH": "KC-0003", "SFDX": "是", "MJSS": int64(-3)}.Record(),
			Derived: spatial.Derived{AreaMu: 80.25, ControlPosition: spatial.Outside, OutsideRatio: 1, OutsideMu: 80.25, BlockID: 7, BlockMu: 99.6, Scattered: true}},
		{ID: 4, Geometry: p4, Attrs: spatial.Attrs{"DKBH": "KC-0004"}.Record(), Derived: spatial.Derived{AreaMu: 0.0006}},
	})
	control := spatial.NewSnapshot(spatial.Layer{
		ID: "control-lines", Kind: spatial.KindControl, Version: 1,
		Fields: []spatial.Field{{Name: "KZXLX"}},
	}, []*spatial.Feature{
		{ID: 1, Geometry: orb.Polygon{ring(118.8695, 28.9498, 118.8733, 28.9498, 118.8733, 28.9520, 118.8695, 28.9520)},
			Attrs: spatial.Attrs{"KZXLX": "工业用地控制线"}.Record(), Derived: spatial.Derived{AreaMu: 150}},
	})
	return []*spatial.Snapshot{parcels, control}
}

// goldenJSON is the readable form of a tile: typed properties and rings in tile coordinates.
type goldenJSON struct {
	Layers []goldenLayer `json:"layers"`
}

type goldenLayer struct {
	Name     string          `json:"name"`
	Version  uint32          `json:"version"`
	Extent   uint32          `json:"extent"`
	Features []goldenFeature `json:"features"`
}

type goldenFeature struct {
	ID         uint64            `json:"id"`
	Properties map[string][2]any `json:"properties"` // name → [type, value]
	Rings      [][][2]int64      `json:"rings"`
	Areas      []int64           `json:"areas_x2"` // surveyor's formula ×2: + exterior, − hole
}

func toGolden(t *dTile) goldenJSON {
	var g goldenJSON
	for _, l := range t.Layers {
		gl := goldenLayer{Name: l.Name, Version: l.Version, Extent: l.Extent}
		for _, f := range l.Features {
			gf := goldenFeature{ID: f.ID, Properties: map[string][2]any{}, Rings: f.Rings}
			for k, v := range f.Props {
				var typ string
				switch v.(type) {
				case string:
					typ = "string"
				case float64:
					typ = "double"
				case int64:
					typ = "int"
				case uint64:
					typ = "uint"
				case bool:
					typ = "bool"
				}
				gf.Properties[k] = [2]any{typ, v}
			}
			for _, r := range f.Rings {
				gf.Areas = append(gf.Areas, area2(r))
			}
			gl.Features = append(gl.Features, gf)
		}
		g.Layers = append(g.Layers, gl)
	}
	return g
}

func TestGoldenTiles(t *testing.T) {
	layers := goldenLayers()
	r := newTestRenderer(t, Options{})
	centre := orb.Point{118.8722, 28.9503}
	for _, z := range []Zoom{10, 14, 18} {
		c := CoordAt(centre, z)
		name := filepath.Join("testdata", strconv.Itoa(int(c.Z))+"-"+strconv.Itoa(int(c.X))+"-"+strconv.Itoa(int(c.Y)))
		t.Run(name, func(t *testing.T) {
			b, err := r.Render(context.Background(), layers, c)
			if err != nil || b == nil {
				t.Fatalf("render: %v (%d bytes)", err, len(b))
			}
			got := toGolden(mustDecode(t, b))
			js, err := marshalGolden(got)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(name+".mvt", b, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name+".json", append(js, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantJS, err := os.ReadFile(name + ".json")
			if err != nil {
				t.Fatalf("%v (run go test ./tiles -update to create the golden files)", err)
			}
			// Primary check: the decoding, geometry within one tile unit.
			var want, have goldenJSON
			if err := json.Unmarshal(wantJS, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(js, &have); err != nil {
				t.Fatal(err)
			}
			if !goldenEqual(have, want) {
				t.Errorf("decoded tile differs from %s.json (-update to accept):\n got %s", name, js)
			}
			// Secondary check: the bytes.
			wantMVT, err := os.ReadFile(name + ".mvt")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, wantMVT) {
				t.Errorf("tile bytes differ from %s.mvt though the decoding matches (-update to accept an encoding change)", name)
			}
		})
	}
}

// marshalGolden writes one feature per line, for readable diffs.
func marshalGolden(g goldenJSON) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("{\"layers\": [\n")
	for i, l := range g.Layers {
		head, err := json.Marshal(struct {
			Name    string `json:"name"`
			Version uint32 `json:"version"`
			Extent  uint32 `json:"extent"`
		}{l.Name, l.Version, l.Extent})
		if err != nil {
			return nil, err
		}
		b.Write(head[:len(head)-1])
		b.WriteString(`, "features": [` + "\n")
		for j, f := range l.Features {
			fj, err := json.Marshal(f)
			if err != nil {
				return nil, err
			}
			b.WriteString("  ")
			b.Write(fj)
			if j < len(l.Features)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString("]}")
		if i < len(g.Layers)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

func goldenEqual(a, b goldenJSON) bool {
	if len(a.Layers) != len(b.Layers) {
		return false
	}
	for i := range a.Layers {
		la, lb := a.Layers[i], b.Layers[i]
		if la.Name != lb.Name || la.Version != lb.Version || la.Extent != lb.Extent || len(la.Features) != len(lb.Features) {
			return false
		}
		for j := range la.Features {
			fa, fb := la.Features[j], lb.Features[j]
			if fa.ID != fb.ID || !reflect.DeepEqual(fa.Properties, fb.Properties) || len(fa.Rings) != len(fb.Rings) {
				return false
			}
			for k := range fa.Rings {
				if len(fa.Rings[k]) != len(fb.Rings[k]) || (fa.Areas[k] > 0) != (fb.Areas[k] > 0) {
					return false
				}
				for m := range fa.Rings[k] {
					d0 := fa.Rings[k][m][0] - fb.Rings[k][m][0]
					d1 := fa.Rings[k][m][1] - fb.Rings[k][m][1]
					if d0 < -1 || d0 > 1 || d1 < -1 || d1 > 1 {
						return false
					}
				}
			}
		}
	}
	return true
}
