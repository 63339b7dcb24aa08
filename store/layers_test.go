package store

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	bolt "go.etcd.io/bbolt"

	"github.com/mudi-gis/mudi/spatial"
)

func TestFeatureRoundTrip(t *testing.T) {
	inner := square(120, 30, 0.002)
	inner.Reverse() // holes run clockwise
	hole := orb.Polygon{square(120, 30, 0.01), inner}
	tests := []struct {
		name string
		f    *spatial.Feature
	}{
		{
			name: "chinese keys and values byte-exact",
			f: &spatial.Feature{ID: 1, Geometry: orb.Polygon{square(120, 30, 0.001)}, Attrs: spatial.Attrs{
				"地块编号": "330110-2024-000001", "权属单位名称": "杭州恒达纺织有限公司", "备注": "企业已搬迁，厂房空置〔2023〕",
				"emoji🏭": "\u00e9\u0301 combining + 𠀀 astral", "空": "",
			}.Record()},
		},
		{
			name: "every value type keeps its Go type",
			f: &spatial.Feature{ID: 2, Geometry: orb.Polygon{square(120, 30, 0.001)}, Attrs: spatial.Attrs{
				"s": "text", "i": int64(-42), "i_big": int64(math.MaxInt64), "i_min": int64(math.MinInt64),
				"i_zero": int64(0), "f": 0.1, "f_int": 3.0, "f_neg_zero": math.Copysign(0, -1),
				"f_inf": math.Inf(-1), "f_max": math.MaxFloat64, "t": true, "false": false, "null": nil,
			}.Record()},
		},
		{name: "nil attribute map", f: &spatial.Feature{ID: 3, Geometry: orb.Polygon{square(120, 30, 0.001)}}},
		{name: "empty attribute map", f: &spatial.Feature{ID: 4, Geometry: orb.Polygon{square(120, 30, 0.001)}, Attrs: spatial.Attrs{}.Record()}},
		{name: "polygon with hole", f: &spatial.Feature{ID: 5, Geometry: hole, Attrs: spatial.Attrs{"a": "b"}.Record()}},
		{
			name: "multipolygon with a holed member",
			f:    &spatial.Feature{ID: 6, Geometry: orb.MultiPolygon{hole, {square(121, 31, 0.003)}}, Attrs: spatial.Attrs{"a": int64(1)}.Record()},
		},
		{
			name: "all derived fields",
			f: &spatial.Feature{ID: 7, Geometry: orb.Polygon{square(120, 30, 0.001)}, Derived: spatial.Derived{
				AreaM2: 12345.678901234, AreaMu: 18.518518351851, ControlPosition: spatial.Straddling,
				OutsideRatio: 0.25, OutsideMu: 4.6296, BlockID: math.MaxUint64, BlockMu: 300.000001, Scattered: true,
			}},
		},
		{
			name: "unknown control position string kept",
			f:    &spatial.Feature{ID: 8, Geometry: orb.Polygon{square(120, 30, 0.001)}, Derived: spatial.Derived{ControlPosition: "未知"}},
		},
		{
			name: "other geometry types",
			f: &spatial.Feature{ID: 9, Geometry: orb.Collection{
				orb.Point{1, 2}, orb.MultiPoint{{1, 2}, {3, 4}}, orb.LineString{{0, 0}, {1, 1}},
				orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}, orb.Ring(square(0, 0, 1)),
				orb.Bound{Min: orb.Point{-1, -2}, Max: orb.Point{3, 4}}, orb.Collection{orb.Point{5, 6}},
			}},
		},
		{name: "largest feature id", f: &spatial.Feature{ID: math.MaxUint64, Geometry: orb.Point{120, 30}}},
	}
	db := openTemp(t)
	var all []*spatial.Feature
	for _, tt := range tests {
		all = append(all, tt.f)
	}
	want := mustCreate(t, db, "round-trip", all)
	l, got, err := db.LoadLayer(context.Background(), "round-trip")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("LoadLayer layer:\n got %#v\nwant %#v", l, want)
	}
	if len(got) != len(tests) {
		t.Fatalf("LoadLayer returned %d features, want %d", len(got), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(got[i], tt.f) {
				t.Errorf("got  %#v\nwant %#v", got[i], tt.f)
			}
			for k, v := range tt.f.Attrs.All() {
				if f, ok := v.(float64); ok && math.Float64bits(f) != math.Float64bits(got[i].Attrs.Value(k).(float64)) {
					t.Errorf("attribute %q: bits %x, want %x", k, math.Float64bits(got[i].Attrs.Value(k).(float64)), math.Float64bits(f))
				}
			}
		})
	}
}

func TestLayerMetadataRoundTrip(t *testing.T) {
	db := openTemp(t)
	in := testLayer("meta")
	in.FeatureCount = 99                                                   // overridden by the store
	in.Bound = orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}       // overridden by the store
	fs := []*spatial.Feature{simpleFeature(2, "乙"), simpleFeature(1, "甲")} // unsorted on purpose
	if err := db.CreateLayer(context.Background(), in, fs, nil); err != nil {
		t.Fatal(err)
	}
	want := in
	want.FeatureCount = 2
	want.Bound = fs[0].Bound().Union(fs[1].Bound())
	got, err := db.Layer("meta")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Layer:\n got %#v\nwant %#v", got, want)
	}
	if !reflect.DeepEqual(ids(fs), []spatial.FeatureID{2, 1}) {
		t.Errorf("CreateLayer reordered the caller's slice: %v", ids(fs))
	}
	mustCreate(t, db, "a-first", []*spatial.Feature{simpleFeature(1, "x")})
	ls, err := db.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.ID)
	}
	if !slices.Equal(names, []string{"a-first", "meta"}) {
		t.Errorf("Layers() ids = %v, want sorted [a-first meta]", names)
	}
}

func TestCreateLayerExistingLeavesStoreUnchanged(t *testing.T) {
	db := openTemp(t)
	orig := []*spatial.Feature{simpleFeature(1, "甲"), simpleFeature(2, "乙")}
	want := mustCreate(t, db, "parcels", orig)
	l2 := testLayer("parcels")
	l2.Title = "other"
	err := db.CreateLayer(context.Background(), l2, []*spatial.Feature{simpleFeature(3, "丙")}, nil)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("CreateLayer on existing layer: err = %v, want ErrExists", err)
	}
	l, fs, err := db.LoadLayer(context.Background(), "parcels")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("layer changed:\n got %#v\nwant %#v", l, want)
	}
	sameFeatures(t, fs, orig)
}

func TestCreateLayerRejectsInvalidInput(t *testing.T) {
	tests := []struct {
		name string
		id   string
		fs   []*spatial.Feature
		want string
	}{
		{name: "layer id with upper case", id: "Parcels", fs: nil, want: "invalid layer id"},
		{name: "empty layer id", id: "", fs: nil, want: "invalid layer id"},
		{name: "nil feature", id: "x", fs: []*spatial.Feature{nil}, want: "nil feature"},
		{name: "feature id 0", id: "x", fs: []*spatial.Feature{simpleFeature(0, "a")}, want: "id 0"},
		{name: "duplicate feature id", id: "x", fs: []*spatial.Feature{simpleFeature(5, "a"), simpleFeature(5, "b")}, want: "duplicate feature id 5"},
		{name: "no geometry", id: "x", fs: []*spatial.Feature{{ID: 1}}, want: "feature 1: no geometry"},
		{
			name: "NaN coordinate", id: "x",
			fs:   []*spatial.Feature{{ID: 1, Geometry: orb.Polygon{{{math.NaN(), 0}, {1, 0}, {1, 1}, {math.NaN(), 0}}}}},
			want: "feature 1: non-finite",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTemp(t)
			err := db.CreateLayer(context.Background(), testLayer(tt.id), tt.fs, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			ls, err := db.Layers()
			if err != nil || len(ls) != 0 {
				t.Errorf("Layers() = %v, %v after a failed create; want none", ls, err)
			}
		})
	}
}

func TestCreateLayerCancelledLeavesNothing(t *testing.T) {
	fs := syntheticFeatures(5000, 1)
	tests := []struct {
		name     string
		cancelAt int // cancel when progress reports this many; 0 = before the call
	}{
		{name: "cancelled before the call", cancelAt: 0},
		{name: "cancelled mid-import", cancelAt: 2000},
		{name: "cancelled after the last feature", cancelAt: 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTemp(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelAt == 0 {
				cancel()
			}
			var reports []int
			err := db.CreateLayer(ctx, testLayer("big"), fs, func(done int) {
				reports = append(reports, done)
				if done == tt.cancelAt {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if _, err := db.Layer("big"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Layer after cancelled create: err = %v, want ErrNotFound", err)
			}
			err = db.view(func(tx *bolt.Tx) error {
				if tx.Bucket(bucketFeatures).Bucket([]byte("big")) != nil || tx.Bucket(bucketHistory).Bucket([]byte("big")) != nil {
					return errors.New("nested buckets left behind")
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
			// The same import then succeeds.
			reports = nil
			if err := db.CreateLayer(context.Background(), testLayer("big"), fs, func(done int) { reports = append(reports, done) }); err != nil {
				t.Fatal(err)
			}
			if want := []int{1000, 2000, 3000, 4000, 5000}; !slices.Equal(reports, want) {
				t.Errorf("progress reports %v, want %v", reports, want)
			}
		})
	}
}

func TestReplaceLayer(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	mustCreate(t, db, "parcels", []*spatial.Feature{simpleFeature(1, "甲"), simpleFeature(2, "乙"), simpleFeature(3, "丙")})
	l, _ := db.Layer("parcels")
	changes := map[spatial.FeatureID][]spatial.Change{
		1: {{Key: "状态", Before: "闲置", After: "低效"}},
		3: {{Key: "状态", Before: "闲置", After: "正常"}, {Key: "备注", After: "已核查"}},
	}
	if err := db.UpdateFeatures(l, nil, changes); err != nil {
		t.Fatal(err)
	}

	newFs := []*spatial.Feature{simpleFeature(2, "乙2"), simpleFeature(3, "丙2"), simpleFeature(4, "丁")}
	nl := testLayer("parcels")
	nl.Version = 7
	if err := db.ReplaceLayer(ctx, nl, newFs, nil); err != nil {
		t.Fatal(err)
	}
	got, fs, err := db.LoadLayer(ctx, "parcels")
	if err != nil {
		t.Fatal(err)
	}
	sameFeatures(t, fs, newFs)
	if got.Version != 7 || got.FeatureCount != 3 {
		t.Errorf("layer after replace: version %d count %d, want 7 and 3", got.Version, got.FeatureCount)
	}

	historyTests := []struct {
		name    string
		fid     spatial.FeatureID
		wantLen int
		wantErr error
	}{
		{name: "history of a removed feature is gone", fid: 1, wantErr: ErrNotFound},
		{name: "surviving feature without history has none", fid: 2, wantLen: 0},
		{name: "surviving feature keeps its history", fid: 3, wantLen: 2},
		{name: "new feature has no history", fid: 4, wantLen: 0},
	}
	for _, tt := range historyTests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := db.History("parcels", tt.fid)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("History(%d) err = %v, want %v", tt.fid, err, tt.wantErr)
			}
			if len(h) != tt.wantLen {
				t.Errorf("History(%d) has %d entries, want %d", tt.fid, len(h), tt.wantLen)
			}
		})
	}
	// Re-adding id 1 must not resurrect its old ledger.
	if err := db.ReplaceLayer(ctx, nl, append(newFs, simpleFeature(1, "甲")), nil); err != nil {
		t.Fatal(err)
	}
	if h, err := db.History("parcels", 1); err != nil || len(h) != 0 {
		t.Errorf("History(1) after re-adding = %v, %v; want empty", h, err)
	}
	// Seq continues after a replace.
	more := map[spatial.FeatureID][]spatial.Change{3: {{Key: "状态", Before: "正常", After: "闲置"}}}
	if err := db.UpdateFeatures(nl, nil, more); err != nil {
		t.Fatal(err)
	}
	if more[3][0].Seq != 3 {
		t.Errorf("Seq after replace = %d, want 3", more[3][0].Seq)
	}
}

func TestReplaceLayerFailureKeepsOldState(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		id      string
		fs      []*spatial.Feature
		ctx     func() context.Context
		wantErr error
	}{
		{name: "unknown layer", id: "nope", fs: []*spatial.Feature{simpleFeature(1, "a")}, wantErr: ErrNotFound},
		{
			name: "cancelled context", id: "parcels", fs: syntheticFeatures(3000, 2), wantErr: context.Canceled,
			ctx: func() context.Context { c, cancel := context.WithCancel(ctx); cancel(); return c },
		},
		{name: "invalid feature", id: "parcels", fs: []*spatial.Feature{simpleFeature(1, "a"), {ID: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTemp(t)
			orig := []*spatial.Feature{simpleFeature(1, "甲"), simpleFeature(2, "乙")}
			wantLayer := mustCreate(t, db, "parcels", orig)
			c := ctx
			if tt.ctx != nil {
				c = tt.ctx()
			}
			err := db.ReplaceLayer(c, testLayer(tt.id), tt.fs, nil)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			l, fs, err := db.LoadLayer(ctx, "parcels")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(l, wantLayer) {
				t.Errorf("layer changed: %#v", l)
			}
			sameFeatures(t, fs, orig)
		})
	}
}

func TestDeleteLayerRemovesEverything(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	mustCreate(t, db, "parcels", []*spatial.Feature{simpleFeature(1, "甲"), simpleFeature(2, "乙")})
	mustCreate(t, db, "other", []*spatial.Feature{simpleFeature(1, "x")})
	l, _ := db.Layer("parcels")
	if err := db.UpdateFeatures(l, nil, map[spatial.FeatureID][]spatial.Change{1: {{Key: "k", After: "v"}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteLayer("parcels"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Layer("parcels"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Layer after delete: %v", err)
	}
	if _, _, err := db.LoadLayer(ctx, "parcels"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LoadLayer after delete: %v", err)
	}
	if _, err := db.History("parcels", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("History after delete: %v", err)
	}
	err := db.view(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketFeatures, bucketHistory} {
			if tx.Bucket(b).Bucket([]byte("parcels")) != nil {
				return errors.New(string(b) + " bucket of the deleted layer is still there")
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if err := db.DeleteLayer("parcels"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeleteLayer: %v, want ErrNotFound", err)
	}
	// The other layer is untouched; a new layer with the same id starts clean.
	if _, fs, err := db.LoadLayer(ctx, "other"); err != nil || len(fs) != 1 {
		t.Errorf("other layer: %d features, %v", len(fs), err)
	}
	mustCreate(t, db, "parcels", []*spatial.Feature{simpleFeature(1, "新")})
	if h, err := db.History("parcels", 1); err != nil || len(h) != 0 {
		t.Errorf("history of recreated layer = %v, %v; want empty", h, err)
	}
}

func TestPutLayerMetaKeepsFeatureFacts(t *testing.T) {
	db := openTemp(t)
	before := mustCreate(t, db, "parcels", []*spatial.Feature{simpleFeature(1, "甲"), simpleFeature(2, "乙")})
	l := before
	l.Title = "新标题"
	l.Roles = map[string]string{"status": "ZT"}
	l.ControlLayer = "lines-2025"
	l.Version = 2
	l.FeatureCount = 0
	l.Bound = orb.Bound{}
	if err := db.PutLayerMeta(l); err != nil {
		t.Fatal(err)
	}
	got, err := db.Layer("parcels")
	if err != nil {
		t.Fatal(err)
	}
	want := l
	want.FeatureCount, want.Bound = before.FeatureCount, before.Bound
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
}
