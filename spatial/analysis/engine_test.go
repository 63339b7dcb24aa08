package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// engineLayer is a small parcels layer with known answers (see the comments per group); the
// control layer is overlayControl's.
func engineLayer(t *testing.T) *spatial.Snapshot {
	r := refs(t)
	no := func(code string) []any { return []any{"DKBH", code, "SFDX", "否", "XZQMC", "柯城区", "SS", 10.0} }
	var fs []*spatial.Feature
	// 1, 2: single parcels just under and just over 50 亩, not low-efficiency, outside.
	fs = append(fs, feat(1, orb.Polygon{r["small_below"].ring}, no("D1")...))
	fs = append(fs, feat(2, orb.Polygon{r["small_above"].ring}, no("D2")...))
	// 11–14: a low-efficiency 2x2 block just under 300 亩 (SFDX = 是).
	for i, g := range grid2x2(r["block_below"].ring) {
		fs = append(fs, feat(spatial.FeatureID(11+i), g, "DKBH", "B"+string(rune('1'+i)), "SFDX", "是", "XZQMC", "衢江区", "SS", 30.0))
	}
	// 21–24: a low-efficiency 2x2 block just over 300 亩 (WWLX set on two, MJDJ = D on two).
	for i, g := range grid2x2(r["block_above"].ring) {
		kv := []any{"DKBH", "A" + string(rune('1'+i)), "SFDX", "否", "XZQMC", "衢江区", "SS", 20.0}
		if i < 2 {
			kv = append(kv, "WWLX", "供而未用")
		} else {
			kv = append(kv, "MJDJ", "D")
		}
		fs = append(fs, feat(spatial.FeatureID(21+i), g, kv...))
	}
	// 31, 32: a scattered low-efficiency block (≈ 32 亩) outside the control line.
	fs = append(fs, feat(31, box(118.950, 28.990, 118.951, 28.991), "DKBH", "S1", "DXLX", "低效用地", "XZQMC", "柯城区"))
	fs = append(fs, feat(32, box(118.951, 28.990, 118.952, 28.991), "DKBH", "S2", "DXLX", "低效用地", "XZQMC", "柯城区"))
	// 41, 42: a scattered low-efficiency block inside control polygon C1.
	fs = append(fs, feat(41, box(118.9005, 28.9605, 118.9015, 28.9615), "DKBH", "I1", "SFDX", "是", "XZQMC", "柯城区"))
	fs = append(fs, feat(42, box(118.9015, 28.9605, 118.9025, 28.9615), "DKBH", "I2", "SFDX", "是", "XZQMC", "柯城区"))
	return layer("parcels", spatial.KindParcels, fs...)
}

func parcelIDs(res *Result) []spatial.FeatureID {
	var ids []spatial.FeatureID
	for _, p := range res.Parcels {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestPresets(t *testing.T) {
	parcels, control := engineLayer(t), overlayControl()
	ctx := context.Background()
	r := refs(t)

	t.Run("small parcels under 50 亩", func(t *testing.T) {
		res, err := Run(ctx, parcels, nil, SmallParcels(DefaultSmallMaxMu))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := parcelIDs(res), []spatial.FeatureID{1, 31, 32, 41, 42}; !slices.Equal(got, want) {
			t.Errorf("ids %v, want %v", got, want)
		}
		if got := res.Parcels[0].AreaM2; !near(got, r["small_below"].areaM2, 1e-9) {
			t.Errorf("area %.5f, Planimeter %.5f", got, r["small_below"].areaM2)
		}
		if res.Summary.Count != 5 || res.Summary.ParcelCount != 5 || res.Summary.Params["max_mu"] != 50.0 {
			t.Errorf("summary %+v", res.Summary)
		}
	})

	t.Run("outside the control line", func(t *testing.T) {
		res, err := Run(ctx, parcels, control, OutsideControl(DefaultSliverRatio))
		if err != nil {
			t.Fatal(err)
		}
		want := []spatial.FeatureID{1, 2, 11, 12, 13, 14, 21, 22, 23, 24, 31, 32}
		if got := parcelIDs(res); !slices.Equal(got, want) {
			t.Errorf("ids %v, want %v", got, want)
		}
		for _, p := range res.Parcels {
			if p.Overlay.Position != spatial.Outside || p.Overlay.OutsideRatio != 1 || !near(p.Overlay.OutsideMu, p.AreaMu, 1e-12) {
				t.Errorf("parcel %d: %+v", p.ID, p.Overlay)
			}
		}
	})

	t.Run("contiguous low-efficiency blocks of 300 亩 or more", func(t *testing.T) {
		res, err := Run(ctx, parcels, control, ContiguousBlocks(nil, nil, 0, nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Blocks) != 1 {
			t.Fatalf("got %d blocks, want 1 (the 299.5 亩 block is below the threshold)", len(res.Blocks))
		}
		b := res.Blocks[0]
		if b.ID != 21 || !slices.Equal(b.ParcelIDs, []spatial.FeatureID{21, 22, 23, 24}) ||
			!slices.Equal(b.ParcelCodes, []string{"A1", "A2", "A3", "A4"}) || b.ParcelCount != 4 {
			t.Errorf("block %+v", b)
		}
		if !near(b.AreaM2, r["block_above"].areaM2, 1e-9) {
			t.Errorf("area %.5f m², Planimeter %.5f m²", b.AreaM2, r["block_above"].areaM2)
		}
		if b.Overlay == nil || b.Overlay.InsideShare() != 0 {
			t.Errorf("inside share: %+v", b.Overlay)
		}
		if res.Summary.Params["min_mu"] != 300.0 || res.Summary.Params["selection"] != "low_efficiency" {
			t.Errorf("params %v", res.Summary.Params)
		}
	})

	t.Run("blocks just under 300 亩 with min_mu 299", func(t *testing.T) {
		res, err := Run(ctx, parcels, nil, ContiguousBlocks(f64(299), nil, 0, nil))
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, b := range res.Blocks {
			ids = append(ids, b.ID)
		}
		if !slices.Equal(ids, []uint64{21, 11}) { // largest first
			t.Errorf("blocks %v, want [21 11]", ids)
		}
	})

	t.Run("combined: blocks under 50 亩 outside the control line", func(t *testing.T) {
		spec := ContiguousBlocks(nil, f64(DefaultSmallMaxMu), 0, nil)
		spec.Overlay = true
		spec.Positions = []spatial.Position{spatial.Outside}
		res, err := Run(ctx, parcels, control, spec)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Blocks) != 1 || res.Blocks[0].ID != 31 || res.Blocks[0].ParcelCount != 2 {
			t.Fatalf("blocks %+v, want only block 31 (block 41 lies inside)", res.Blocks)
		}
		if p := res.Blocks[0].Overlay.Position; p != spatial.Outside {
			t.Errorf("position %s", p)
		}
		if res.Summary.ParcelCount != 2 || res.Summary.Count != 1 {
			t.Errorf("summary %+v", res.Summary)
		}
	})

	t.Run("status values and all parcels", func(t *testing.T) {
		// The layer's status role is WWLX (detected).
		res, err := Run(ctx, parcels, nil, ContiguousBlocks(f64(0), nil, 0, []string{"供而未用"}))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Blocks) != 1 || !slices.Equal(res.Blocks[0].ParcelIDs, []spatial.FeatureID{21, 22}) {
			t.Errorf("blocks %+v", res.Blocks)
		}
		res, err = Run(ctx, parcels, nil, ContiguousBlocks(f64(0), nil, 0, []string{"*"}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.ParcelCount != parcels.Len() {
			t.Errorf("status * selected %d parcels, want %d", res.Summary.ParcelCount, parcels.Len())
		}
	})

	t.Run("tolerance bridges the gap between blocks", func(t *testing.T) {
		// Blocks 11 and 21 are ≈ 530 m apart.
		res, err := Run(ctx, parcels, nil, ContiguousBlocks(f64(500), nil, 600, nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Blocks) != 1 || res.Blocks[0].ParcelCount != 8 {
			t.Fatalf("blocks %+v", res.Blocks)
		}
		want := r["block_above"].areaM2 + r["block_below"].areaM2 // gaps not counted
		if !near(res.Blocks[0].AreaM2, want, 1e-9) || len(res.Blocks[0].Geometry) != 2 {
			t.Errorf("area %.4f want %.4f, %d polygons", res.Blocks[0].AreaM2, want, len(res.Blocks[0].Geometry))
		}
	})

	t.Run("filter and bbox", func(t *testing.T) {
		spec := Spec{
			Filter:     func(f *spatial.Feature) bool { return f.Attrs.String("XZQMC") == "柯城区" },
			FilterText: "XZQMC = '柯城区'",
			Bound:      &orb.Bound{Min: orb.Point{118.86, 28.93}, Max: orb.Point{118.9505, 28.995}},
		}
		res, err := Run(ctx, parcels, nil, spec)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := parcelIDs(res), []spatial.FeatureID{1, 2, 31, 41, 42}; !slices.Equal(got, want) {
			t.Errorf("ids %v, want %v", got, want)
		}
	})

	t.Run("zero Spec selects every parcel", func(t *testing.T) {
		res, err := Run(ctx, parcels, nil, Spec{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.Count != parcels.Len() || res.Kind != "parcels" {
			t.Errorf("summary %+v", res.Summary)
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		spec  Spec
		param string
	}{
		{"negative tolerance", Spec{Group: true, ToleranceM: -1}, "tolerance_m"},
		{"tolerance without grouping", Spec{ToleranceM: 10}, "tolerance_m"},
		{"min above max", Spec{MinMu: f64(300), MaxMu: f64(50)}, "min_mu"},
		{"min equal to max", Spec{MinMu: f64(50), MaxMu: f64(50)}, "min_mu"},
		{"negative min", Spec{MinMu: f64(-1)}, "min_mu"},
		{"zero max", Spec{MaxMu: f64(0)}, "max_mu"},
		{"sliver ratio 0.5", Spec{Overlay: true, SliverRatio: f64(0.5)}, "sliver_ratio"},
		{"negative sliver ratio", Spec{Overlay: true, SliverRatio: f64(-0.1)}, "sliver_ratio"},
		{"unknown position", Spec{Overlay: true, Positions: []spatial.Position{"beside"}}, "positions"},
		{"positions without overlay", Spec{Positions: []spatial.Position{spatial.Outside}}, "positions"},
		{"star with other status", Spec{Status: []string{"*", "闲置"}}, "status"},
		{"inverted bbox", Spec{Bound: &orb.Bound{Min: orb.Point{119, 29}, Max: orb.Point{118, 28}}}, "bbox"},
		{"projected bbox", Spec{Bound: &orb.Bound{Min: orb.Point{500000, 3200000}, Max: orb.Point{501000, 3201000}}}, "bbox"},
		{"bad layer id", Spec{Layer: "Parcels!"}, "layer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *ParamError", err)
			}
			if pe.Param != tc.param {
				t.Errorf("param %q, want %q (%v)", pe.Param, tc.param, err)
			}
		})
	}
	for _, s := range []Spec{{}, SmallParcels(50), OutsideControl(0), ContiguousBlocks(nil, nil, 20, nil), ContiguousBlocks(nil, f64(50), 0, []string{"*"})} {
		if err := s.Validate(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
}

func TestRunErrors(t *testing.T) {
	parcels := engineLayer(t)
	ctx := context.Background()
	var pe *ParamError
	if _, err := Run(ctx, parcels, nil, OutsideControl(0.01)); !errors.As(err, &pe) || pe.Param != "control" {
		t.Errorf("overlay without control: %v", err)
	}
	if _, err := Run(ctx, parcels, nil, Spec{Layer: "other"}); !errors.As(err, &pe) || pe.Param != "layer" {
		t.Errorf("layer mismatch: %v", err)
	}
	noStatus := layer("bare", spatial.KindParcels, feat(1, box(118.9, 28.9, 118.901, 28.901), "DKBH", "X1"))
	if _, err := Run(ctx, noStatus, nil, ContiguousBlocks(nil, nil, 0, nil)); !errors.As(err, &pe) || pe.Param != "status" {
		t.Errorf("low-efficiency selection without its attributes: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Run(cctx, parcels, nil, ContiguousBlocks(nil, nil, 0, nil)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// A filter is not evaluated once the context is done: the selection checks it.
	calls := 0
	spec := SmallParcels(1e9)
	spec.Filter = func(*spatial.Feature) bool { calls++; return true }
	if _, err := Run(cctx, parcels, nil, spec); !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("cancelled with a filter: %v after %d filter calls, want context.Canceled after none", err, calls)
	}
}

func TestDerive(t *testing.T) {
	parcels, control := engineLayer(t), overlayControl()
	r := refs(t)
	d, err := Derive(context.Background(), parcels, control, DeriveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != parcels.Len() {
		t.Fatalf("%d derived, want %d", len(d), parcels.Len())
	}
	if got := d[1]; !near(got.AreaM2, r["small_below"].areaM2, 1e-9) || !near(got.AreaMu, got.AreaM2*0.0015, 1e-12) ||
		got.ControlPosition != spatial.Outside || got.OutsideRatio != 1 || got.BlockID != 1 || !got.Scattered {
		t.Errorf("parcel 1: %+v", got)
	}
	for _, id := range []spatial.FeatureID{11, 12, 13, 14} {
		if got := d[id]; got.BlockID != 11 || !near(got.BlockMu, spatial.MuFromM2(r["block_below"].areaM2), 1e-9) || got.Scattered {
			t.Errorf("parcel %d: %+v", id, got)
		}
	}
	for _, id := range []spatial.FeatureID{41, 42} {
		if got := d[id]; got.ControlPosition != spatial.Inside || got.OutsideRatio != 0 || got.BlockID != 41 || !got.Scattered {
			t.Errorf("parcel %d: %+v", id, got)
		}
	}
	if _, err := Derive(context.Background(), parcels, nil, DeriveOptions{ToleranceM: -1}); err == nil {
		t.Error("negative tolerance accepted")
	}
}

func TestStats(t *testing.T) {
	parcels := engineLayer(t)
	d, err := Derive(context.Background(), parcels, nil, DeriveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var fs []*spatial.Feature
	for _, f := range parcels.Features() {
		c := f.Clone()
		c.Derived = d[f.ID]
		fs = append(fs, c)
	}
	s := spatial.NewSnapshot(parcels.Layer, fs)
	res, err := Stats(s, []string{"district"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 2 || res.Groups[0].Keys[0] != "柯城区" || res.Groups[1].Keys[0] != "衢江区" {
		t.Fatalf("groups %+v", res.Groups)
	}
	q := res.Groups[1] // 衢江区: 11–14 (SS 30 each) and 21–24 (SS 20 each)
	var mu float64
	for _, id := range []spatial.FeatureID{11, 12, 13, 14, 21, 22, 23, 24} {
		mu += d[id].AreaMu
	}
	if q.Count != 8 || !near(q.AreaMu, mu, 1e-12) || q.TaxPerMu == nil || !near(*q.TaxPerMu, 200/mu, 1e-12) {
		t.Errorf("衢江区: %+v (want 8 parcels, %.4f 亩, %.6f 万元/亩)", q, mu, 200/mu)
	}
	k := res.Groups[0] // 柯城区: tax only on 1 and 2
	wantK := 20 / (d[1].AreaMu + d[2].AreaMu)
	if k.Count != 6 || k.TaxPerMu == nil || !near(*k.TaxPerMu, wantK, 1e-12) {
		t.Errorf("柯城区: %+v, want tax per 亩 %.6f", k, wantK)
	}
	if res.Total.Count != parcels.Len() || res.TaxFrom != "tax" {
		t.Errorf("total %+v from %q", res.Total, res.TaxFrom)
	}
	var pe *ParamError
	if _, err := Stats(s, []string{"nope"}); !errors.As(err, &pe) || pe.Param != "group_by" {
		t.Errorf("unknown group: %v", err)
	}
}

func TestGeoJSON(t *testing.T) {
	parcels, control := engineLayer(t), overlayControl()
	spec := ContiguousBlocks(nil, f64(50), 0, nil)
	spec.Overlay = true
	res, err := Run(context.Background(), parcels, control, spec)
	if err != nil {
		t.Fatal(err)
	}
	data, err := res.GeoJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Type     string `json:"type"`
		Features []struct {
			ID         uint64         `json:"id"`
			Geometry   map[string]any `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
		Summary struct {
			Count       int            `json:"count"`
			AreaMu      float64        `json:"area_mu"`
			ParcelCount int            `json:"parcel_count"`
			ElapsedMS   *float64       `json:"elapsed_ms"`
			Params      map[string]any `json:"params"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Type != "FeatureCollection" || len(doc.Features) != 2 || doc.Summary.Count != 2 || doc.Summary.ParcelCount != 4 || doc.Summary.ElapsedMS == nil {
		t.Fatalf("document %s", data)
	}
	if doc.Summary.Params["tolerance_m"] != 0.0 || doc.Summary.Params["max_mu"] != 50.0 || doc.Summary.Params["control"] != "control" {
		t.Errorf("params %v", doc.Summary.Params)
	}
	f := doc.Features[0]
	for _, k := range []string{"block_id", "area_mu", "area_m2", "parcel_ids", "parcel_codes", "parcel_count", "inside_share", "control_position", "outside_mu"} {
		if _, ok := f.Properties[k]; !ok {
			t.Errorf("property %s missing: %v", k, f.Properties)
		}
	}
	if f.Geometry["type"] != "MultiPolygon" {
		t.Errorf("geometry %v", f.Geometry["type"])
	}
}

// TestWriteGeoJSONStreamsTheSameBytes: the streamed answer is byte for byte what encoding the
// whole collection at once gives, for parcels (with text that JSON escapes) and for blocks.
func TestWriteGeoJSONStreamsTheSameBytes(t *testing.T) {
	parcels, control := engineLayer(t), overlayControl()
	edited := parcels.Features()[0].Clone()
	edited.Attrs = edited.Attrs.With("QLR", `衢州 <A&B> "公司"`)
	parcels = parcels.WithFeatures(parcels.Layer, []*spatial.Feature{edited})
	for _, spec := range []Spec{ContiguousBlocks(nil, f64(50), 0, nil), {Overlay: true}} {
		res, err := Run(context.Background(), parcels, control, spec)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(res.FeatureCollection())
		if err != nil {
			t.Fatal(err)
		}
		got, err := res.GeoJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("streamed:\n%s\nwhole:\n%s", got, want)
		}
		if len(res.Parcels)+len(res.Blocks) == 0 {
			t.Error("an empty answer compares nothing")
		}
	}
}
