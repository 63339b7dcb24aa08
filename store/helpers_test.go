package store

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// openTemp opens a new store in a fresh temporary directory and closes it at the end of the
// test.
func openTemp(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(filepath.Join(tb.TempDir(), "data", "mudi.db"), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// mustCreate creates layer id with fs and returns the layer as stored.
func mustCreate(tb testing.TB, db *DB, id string, fs []*spatial.Feature) spatial.Layer {
	tb.Helper()
	l := testLayer(id)
	if err := db.CreateLayer(context.Background(), l, fs, nil); err != nil {
		tb.Fatalf("CreateLayer(%q): %v", id, err)
	}
	got, err := db.Layer(id)
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func testLayer(id string) spatial.Layer {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)
	return spatial.Layer{
		ID:      id,
		Title:   "余杭区工业用地 2025",
		Kind:    spatial.KindParcels,
		Version: 1,
		Source:  spatial.Source{File: "地块.shp", CRS: "EPSG:4549", Encoding: "GBK"},
		Fields: []spatial.Field{
			{Name: "DKBH", Type: spatial.FieldString, Alias: "地块编号"},
			{Name: "MJSS", Type: spatial.FieldReal, Alias: "亩均税收"},
		},
		Roles:        map[string]string{"code": "DKBH", "tax_per_mu": "MJSS"},
		ControlLayer: "control-lines",
		Created:      t0,
		Updated:      t0.Add(time.Hour),
	}
}

// square returns a closed ring around (x, y) with half-size r, counter-clockwise.
func square(x, y, r float64) orb.Ring {
	return orb.Ring{{x - r, y - r}, {x + r, y - r}, {x + r, y + r}, {x - r, y + r}, {x - r, y - r}}
}

// simpleFeature returns a small feature with one string attribute.
func simpleFeature(id spatial.FeatureID, name string) *spatial.Feature {
	x := 120 + float64(id)*0.01
	return &spatial.Feature{
		ID:       id,
		Geometry: orb.Polygon{square(x, 30, 0.001)},
		Attrs:    spatial.Attrs{"名称": name, "状态": "闲置"}.Record(),
		Derived:  spatial.Derived{AreaM2: 40000, AreaMu: 60},
	}
}

// Synthetic county for benchmarks and bulk tests: ~25 attributes per parcel with Chinese keys
// and values of every type, 20-vertex polygons, one in 10 with a hole, one in 20 a
// MultiPolygon.
var (
	districts = []string{"余杭区", "临平区", "西湖区", "拱墅区", "滨江区", "萧山区", "富阳区", "临安区", "桐庐县", "淳安县"}
	statuses  = []string{"低效", "闲置", "正常", "已处置"}
	landUses  = []string{"工业用地", "仓储用地", "物流用地", "新型产业用地", "研发用地"}
	streets   = []string{"良渚街道", "仁和街道", "瓶窑镇", "径山镇", "黄湖镇", "鸬鸟镇", "百丈镇", "中泰街道"}
	industry  = []string{"纺织业", "通用设备制造业", "化学原料和化学制品制造业", "金属制品业", "电气机械和器材制造业", "非金属矿物制品业"}
)

func syntheticFeatures(n int, seed uint64) []*spatial.Feature {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	fs := make([]*spatial.Feature, n)
	for i := range fs {
		id := spatial.FeatureID(i + 1)
		cx := 119.5 + rng.Float64()*1.2
		cy := 29.8 + rng.Float64()*0.6
		r := 0.0005 + rng.Float64()*0.002
		var g orb.Geometry
		poly := orb.Polygon{circle(cx, cy, r, 20)}
		if i%10 == 3 {
			poly = append(poly, circle(cx, cy, r/3, 8))
		}
		g = poly
		if i%20 == 7 {
			g = orb.MultiPolygon{poly, {circle(cx+3*r, cy, r/2, 12)}}
		}
		district := districts[rng.IntN(len(districts))]
		street := streets[rng.IntN(len(streets))]
		area := math.Pi * r * r * 1.07e10
		mu := area / (10000.0 / 15)
		a := spatial.Attrs{
			"DKBH":   fmt.Sprintf("330110-2024-%06d", i+1),
			"DKMC":   fmt.Sprintf("%s%s工业地块%d号", district, street, i+1),
			"XZQMC":  district,
			"JDMC":   street,
			"QSDWMC": fmt.Sprintf("杭州%s%s有限公司", []string{"华润", "恒达", "中天", "新安", "永泰"}[rng.IntN(5)], industry[rng.IntN(len(industry))]),
			"TDYT":   landUses[rng.IntN(len(landUses))],
			"ZT":     statuses[rng.IntN(len(statuses))],
			"HYLB":   industry[rng.IntN(len(industry))],
			"PZWH":   fmt.Sprintf("杭土资〔%d〕%d号", 2000+rng.IntN(25), rng.IntN(900)+1),
			"DJRQ":   fmt.Sprintf("20%02d-%02d-%02d", rng.IntN(25), rng.IntN(12)+1, rng.IntN(28)+1),
			"TDZL":   fmt.Sprintf("%s%s%s路%d号", district, street, []string{"文一", "龙潭", "凤新", "东湖"}[rng.IntN(4)], rng.IntN(999)+1),
			"LXR":    []string{"张伟", "王芳", "李娜", "刘洋", "陈杰"}[rng.IntN(5)],
			"LXDH":   fmt.Sprintf("1%010d", rng.Int64N(1e10)),
			"BZ":     nil,
			"YDMJ":   area,
			"YDMJMU": mu,
			"RJL":    math.Round(rng.Float64()*300) / 100,
			"MJSS":   math.Round(rng.Float64()*5000000) / 100,
			"JZMJ":   area * rng.Float64(),
			"NF":     int64(2000 + rng.IntN(25)),
			"QYS":    int64(rng.IntN(40)),
			"JYRS":   int64(rng.IntN(2000)),
			"SFCZ":   rng.IntN(2) == 0,
			"SFLW":   rng.IntN(3) == 0,
			"地块编号_旧": fmt.Sprintf("YH%07d", rng.IntN(1e7)),
		}
		if i%7 == 0 {
			a["BZ"] = "企业已搬迁，厂房空置，待收储"
		}
		fs[i] = &spatial.Feature{
			ID:       id,
			Geometry: g,
			Attrs:    a.Record(),
			Derived: spatial.Derived{
				AreaM2:          area,
				AreaMu:          mu,
				ControlPosition: []spatial.Position{spatial.Inside, spatial.Straddling, spatial.Outside}[rng.IntN(3)],
				OutsideRatio:    rng.Float64(),
				OutsideMu:       mu * rng.Float64(),
				BlockID:         uint64(rng.IntN(5000) + 1),
				BlockMu:         mu * 10,
				Scattered:       rng.IntN(2) == 0,
			},
		}
	}
	return fs
}

// circle returns a closed n-vertex ring (n+1 points) approximating a circle.
func circle(cx, cy, r float64, n int) orb.Ring {
	ring := make(orb.Ring, 0, n+1)
	for k := range n {
		a := 2 * math.Pi * float64(k) / float64(n)
		ring = append(ring, orb.Point{cx + r*math.Cos(a), cy + r*math.Sin(a)})
	}
	return append(ring, ring[0])
}

// sameFeatures fails the test unless got equals want exactly (types and values).
func sameFeatures(tb testing.TB, got, want []*spatial.Feature) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d features, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			tb.Fatalf("feature %d differs:\n got %#v\nwant %#v", want[i].ID, got[i], want[i])
		}
	}
}

func ids(fs []*spatial.Feature) []spatial.FeatureID {
	out := make([]spatial.FeatureID, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}
