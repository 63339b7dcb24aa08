package tiles

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// A deterministic synthetic county for tests and benchmarks: industrial parks laid out as grids
// of parcels whose neighbours share exact edges (identical vertices, including extra vertices
// along the edges), with holes, multipolygons with islands, empty lots, typed attributes in
// Chinese, explicit nulls, derived attributes, and a control layer.

type countyOptions struct {
	Parcels    int       // number of parcels (default 1000)
	Seed       uint64    // default 1
	Center     orb.Point // default Quzhou (118.87°E, 28.95°N)
	CellM      float64   // nominal parcel width in metres (default 150)
	Cols, Rows int       // cells per park (default 20×25)
	GapM       float64   // distance between parks in metres (default 1500)
}

// sharedEdge is an edge shared by two parcels: the polyline from a's point of view.
type sharedEdge struct {
	a, b spatial.FeatureID
	line []orb.Point
}

type county struct {
	parcels *spatial.Snapshot
	control *spatial.Snapshot
	shared  []sharedEdge
}

var (
	qlrNames = []string{
		"浙江衢州巨化机械有限公司", "衢州智造新材料有限公司", "柯城区华丰五金厂", "浙江龙游纸业股份有限公司",
		"江山市恒达门业有限公司", "衢州市衢江区金鑫化工有限公司", "常山县胡柚食品有限公司", "开化县光伏科技有限公司",
		"浙江元立金属制品集团有限公司", "衢州东方集团股份有限公司", "Zhejiang Quzhou \"Test\" Co., Ltd.",
	}
	districts = []string{"柯城区", "衢江区", "龙游县", "江山市", "常山县", "开化县"}
	wwlx      = []string{"批而未供", "供而未用", "用而未尽", "建而未投", "投而未达标"}
	czzt      = []string{"未启动", "处置中", "待核验", "已销号"}
	yjdj      = []string{"红", "橙", "黄", "绿"}
	mjdj      = []string{"A", "B", "C", "D", "T"}
)

func parcelFields() []spatial.Field {
	return []spatial.Field{
		{Name: "BSM", Type: spatial.FieldInteger, Alias: "标识码"},
		{Name: "DKBH", Type: spatial.FieldString, Alias: "地块编号"},
		{Name: "ZDDM", Type: spatial.FieldString, Alias: "宗地代码"},
		{Name: "QLR", Type: spatial.FieldString, Alias: "权利人"},
		{Name: "XZQMC", Type: spatial.FieldString, Alias: "行政区名称"},
		{Name: "WWLX", Type: spatial.FieldString, Alias: "五未类型"},
		{Name: "SFDX", Type: spatial.FieldString, Alias: "是否低效"},
		{Name: "SFXZ", Type: spatial.FieldString, Alias: "是否闲置"},
		{Name: "MJDJ", Type: spatial.FieldString, Alias: "亩均评价等级"},
		{Name: "MJSS", Type: spatial.FieldReal, Alias: "亩均税收"},
		{Name: "RJL", Type: spatial.FieldReal, Alias: "容积率"},
		{Name: "CZZT", Type: spatial.FieldString, Alias: "处置状态"},
		{Name: "YJDJ", Type: spatial.FieldString, Alias: "预警等级"},
		{Name: "GDRQ", Type: spatial.FieldDate, Alias: "供地日期"},
		{Name: "SFGS", Type: spatial.FieldBoolean, Alias: "是否规上"},
		{Name: "BZ", Type: spatial.FieldString, Alias: "备注"},
	}
}

func mix(vs ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range vs {
		h ^= v + 0x9e3779b97f4a7c15 + h<<6 + h>>2
		h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
		h = (h ^ h>>27) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

func genCounty(tb testing.TB, o countyOptions) *county {
	tb.Helper()
	if o.Parcels == 0 {
		o.Parcels = 1000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Center == (orb.Point{}) {
		o.Center = orb.Point{118.87, 28.95}
	}
	if o.CellM == 0 {
		o.CellM = 150
	}
	if o.Cols == 0 {
		o.Cols, o.Rows = 20, 25
	}
	if o.GapM == 0 {
		o.GapM = 1500
	}
	mLat := 111320.0
	mLon := 111320.0 * math.Cos(o.Center[1]*math.Pi/180)
	perPark := o.Cols * o.Rows
	nParks := (o.Parcels*100/95)/perPark + 1
	side := int(math.Ceil(math.Sqrt(float64(nParks))))
	parkW := float64(o.Cols)*o.CellM + o.GapM
	parkH := float64(o.Rows)*o.CellM + o.GapM
	x0 := -float64(side) * parkW / 2
	y0 := -float64(side) * parkH / 2
	pt := func(x, y float64) orb.Point {
		return orb.Point{
			math.Round((o.Center[0]+x/mLon)*1e7) / 1e7,
			math.Round((o.Center[1]+y/mLat)*1e7) / 1e7,
		}
	}
	c := &county{}
	var feats, ctrl []*spatial.Feature
	id := spatial.FeatureID(0)
	for p := 0; p < nParks && len(feats) < o.Parcels; p++ {
		ox := x0 + float64(p%side)*parkW
		oy := y0 + float64(p/side)*parkH
		rng := rand.New(rand.NewPCG(o.Seed, uint64(p)))
		// lattice vertices, jittered
		V := make([][]orb.Point, o.Cols+1)
		for i := range V {
			V[i] = make([]orb.Point, o.Rows+1)
			for j := range V[i] {
				jx := (rng.Float64() - 0.5) * 0.4 * o.CellM
				jy := (rng.Float64() - 0.5) * 0.4 * o.CellM
				V[i][j] = pt(ox+float64(i)*o.CellM+jx, oy+float64(j)*o.CellM+jy)
			}
		}
		// edge polylines with 0–3 extra vertices, shared by both sides
		edge := func(i, j int, horizontal bool) []orb.Point {
			a := V[i][j]
			var b orb.Point
			if horizontal {
				b = V[i+1][j]
			} else {
				b = V[i][j+1]
			}
			h := mix(o.Seed, uint64(p), uint64(i), uint64(j), map[bool]uint64{true: 1, false: 2}[horizontal])
			k := int(h % 4)
			line := []orb.Point{a}
			for m := 1; m <= k; m++ {
				t := float64(m) / float64(k+1)
				off := (float64(mix(h, uint64(m))%1000)/1000 - 0.5) * 0.1 * o.CellM
				x := a[0] + t*(b[0]-a[0])
				y := a[1] + t*(b[1]-a[1])
				if horizontal {
					y += off / mLat
				} else {
					x += off / mLon
				}
				line = append(line, orb.Point{math.Round(x*1e7) / 1e7, math.Round(y*1e7) / 1e7})
			}
			return append(line, b)
		}
		reversed := func(l []orb.Point) []orb.Point {
			r := make([]orb.Point, len(l))
			for i := range l {
				r[len(l)-1-i] = l[i]
			}
			return r
		}
		ids := make([][]spatial.FeatureID, o.Cols)
		for i := 0; i < o.Cols; i++ {
			ids[i] = make([]spatial.FeatureID, o.Rows)
			for j := 0; j < o.Rows && len(feats) < o.Parcels; j++ {
				if mix(o.Seed, uint64(p), uint64(i), uint64(j), 7)%20 == 0 {
					continue // empty lot
				}
				bottom := edge(i, j, true)
				right := edge(i+1, j, false)
				top := reversed(edge(i, j+1, true))
				left := reversed(edge(i, j, false))
				var ring orb.Ring
				for _, l := range [][]orb.Point{bottom, right, top, left} {
					ring = append(ring, l[:len(l)-1]...)
				}
				ring = append(ring, ring[0])
				poly := orb.Polygon{ring}
				var geom orb.Geometry = poly
				cx := ox + (float64(i)+0.5)*o.CellM
				cy := oy + (float64(j)+0.5)*o.CellM
				switch r := rng.IntN(100); {
				case r < 4: // hole
					s := 0.15 * o.CellM
					poly = append(poly, orb.Ring{pt(cx-s, cy-s), pt(cx-s, cy+s), pt(cx+s, cy+s), pt(cx+s, cy-s), pt(cx-s, cy-s)})
					geom = poly
				case r < 6: // hole with an island inside: a MultiPolygon
					s, t := 0.2*o.CellM, 0.08*o.CellM
					poly = append(poly, orb.Ring{pt(cx-s, cy-s), pt(cx-s, cy+s), pt(cx+s, cy+s), pt(cx+s, cy-s), pt(cx-s, cy-s)})
					island := orb.Polygon{{pt(cx-t, cy-t), pt(cx+t, cy-t), pt(cx+t, cy+t), pt(cx-t, cy+t), pt(cx-t, cy-t)}}
					geom = orb.MultiPolygon{poly, island}
				}
				id++
				ids[i][j] = id
				f := &spatial.Feature{ID: id, Geometry: geom, Attrs: genAttrs(rng, id, p).Record()}
				f.Derived.AreaM2 = spatial.AreaM2(geom)
				f.Derived.AreaMu = spatial.MuFromM2(f.Derived.AreaM2)
				switch r := rng.IntN(10); {
				case r < 7:
					f.Derived.ControlPosition = spatial.Inside
				case r < 9:
					f.Derived.ControlPosition = spatial.Outside
					f.Derived.OutsideRatio, f.Derived.OutsideMu = 1, f.Derived.AreaMu
				default:
					f.Derived.ControlPosition = spatial.Straddling
					f.Derived.OutsideRatio = 0.4
					f.Derived.OutsideMu = 0.4 * f.Derived.AreaMu
				}
				if f.Attrs.Value("SFDX") == "是" {
					f.Derived.BlockID = uint64(p + 1)
					f.Derived.BlockMu = 350.5 + float64(p)
					f.Derived.Scattered = p%3 == 0
				}
				feats = append(feats, f)
				if i > 0 && ids[i-1][j] != 0 {
					c.shared = append(c.shared, sharedEdge{a: ids[i-1][j], b: id, line: edge(i, j, false)})
				}
				if j > 0 && ids[i][j-1] != 0 {
					c.shared = append(c.shared, sharedEdge{a: ids[i][j-1], b: id, line: edge(i, j, true)})
				}
			}
		}
		// control polygon: most of the park, with a hole
		w, h := float64(o.Cols)*o.CellM, float64(o.Rows)*o.CellM
		cr := orb.Ring{pt(ox-50, oy-50), pt(ox+0.7*w, oy-50), pt(ox+0.7*w, oy+0.5*h), pt(ox+w+50, oy+0.5*h), pt(ox+w+50, oy+h+50), pt(ox-50, oy+h+50), pt(ox-50, oy-50)}
		hole := orb.Ring{pt(ox+0.2*w, oy+0.2*h), pt(ox+0.2*w, oy+0.3*h), pt(ox+0.3*w, oy+0.3*h), pt(ox+0.3*w, oy+0.2*h), pt(ox+0.2*w, oy+0.2*h)}
		cf := &spatial.Feature{ID: spatial.FeatureID(p + 1), Geometry: orb.Polygon{cr, hole},
			Attrs: spatial.Attrs{"KZXLX": "工业用地控制线", "XZQDM": int64(330802 + p%6)}.Record()}
		cf.Derived.AreaM2 = spatial.AreaM2(cf.Geometry)
		cf.Derived.AreaMu = spatial.MuFromM2(cf.Derived.AreaM2)
		ctrl = append(ctrl, cf)
	}
	c.parcels = spatial.NewSnapshot(spatial.Layer{
		ID: "parcels", Title: "工业用地地块", Kind: spatial.KindParcels, Version: 1,
		Fields: parcelFields(),
		Roles: map[string]string{"code": "DKBH", "district": "XZQMC", "owner": "QLR",
			"tax_per_mu": "MJSS", "far": "RJL", "disposal_state": "CZZT"},
		ControlLayer: "control-lines",
	}, feats)
	c.control = spatial.NewSnapshot(spatial.Layer{
		ID: "control-lines", Title: "工业用地控制线", Kind: spatial.KindControl, Version: 1,
		Fields: []spatial.Field{{Name: "KZXLX", Type: spatial.FieldString}, {Name: "XZQDM", Type: spatial.FieldInteger}},
	}, ctrl)
	return c
}

func genAttrs(rng *rand.Rand, id spatial.FeatureID, park int) spatial.Attrs {
	n := int64(id)
	a := spatial.Attrs{
		"BSM":   n,
		"DKBH":  "KC" + strconv.FormatInt(100000+n, 10),
		"ZDDM":  "330802" + strconv.Itoa(100+park%900) + "002GB" + strconv.FormatInt(10000+n%90000, 10),
		"QLR":   qlrNames[rng.IntN(len(qlrNames))],
		"XZQMC": districts[park%len(districts)],
		"SFDX":  map[bool]string{true: "是", false: "否"}[rng.IntN(5) == 0],
		"SFXZ":  map[bool]string{true: "是", false: "否"}[rng.IntN(20) == 0],
		"MJDJ":  mjdj[rng.IntN(len(mjdj))],
		"MJSS":  math.Round(rng.Float64()*8000) / 100,
		"RJL":   math.Round((0.3+rng.Float64()*2.2)*100) / 100,
		"CZZT":  czzt[rng.IntN(len(czzt))],
		"YJDJ":  yjdj[rng.IntN(len(yjdj))],
		"GDRQ":  "20" + strconv.Itoa(10+rng.IntN(14)) + "-0" + strconv.Itoa(1+rng.IntN(9)) + "-15",
		"SFGS":  rng.IntN(2) == 0,
		"BZ":    "备注：第" + strconv.FormatInt(n, 10) + "号地块",
	}
	switch r := rng.IntN(20); {
	case r < 2:
		a["WWLX"] = wwlx[rng.IntN(len(wwlx))]
	case r < 4:
		a["WWLX"] = nil // explicit null: must be omitted, never "null"
	}
	if rng.IntN(10) == 0 {
		a["RJL"] = nil
	}
	return a
}
