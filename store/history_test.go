package store

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/spatial"
)

func TestUpdateFeaturesAppendsHistory(t *testing.T) {
	db := openTemp(t)
	l := mustCreate(t, db, "parcels", []*spatial.Feature{simpleFeature(1, "甲"), simpleFeature(2, "乙"), simpleFeature(3, "丙")})
	t0 := time.Date(2025, 6, 1, 8, 0, 0, 123456789, time.UTC)

	// First edit: feature 2 changes status; two changes in one call.
	f2 := simpleFeature(2, "乙")
	f2.Attrs = f2.Attrs.With("状态", "低效")
	f2.Attrs = f2.Attrs.With("税收", int64(120000))
	l.Version = 2
	first := map[spatial.FeatureID][]spatial.Change{2: {
		{Seq: 99, Time: t0, Key: "状态", Before: "闲置", After: "低效", Actor: "规划科"},
		{Time: t0, Key: "税收", Before: nil, After: int64(120000)},
	}}
	if err := db.UpdateFeatures(l, []*spatial.Feature{f2}, first); err != nil {
		t.Fatal(err)
	}
	// Second edit, another call: more changes to 2, one to 3.
	l.Version = 3
	second := map[spatial.FeatureID][]spatial.Change{
		2: {
			{Time: t0.Add(time.Hour), Key: "税收", Before: int64(120000), After: 1.5e5},
			{Time: t0.Add(time.Hour), Key: "状态", Before: "低效", After: nil, Removed: true},
			{Time: t0.Add(time.Hour), Key: "核查", Before: false, After: true},
		},
		3: {{Time: t0, Key: "x", Before: math.Inf(1), After: int64(math.MinInt64)}},
	}
	if err := db.UpdateFeatures(l, nil, second); err != nil {
		t.Fatal(err)
	}

	wantSeqs := map[string][]uint64{"first": {1, 2}, "second/2": {3, 4, 5}, "second/3": {1}}
	gotSeqs := map[string][]uint64{
		"first":    {first[2][0].Seq, first[2][1].Seq},
		"second/2": {second[2][0].Seq, second[2][1].Seq, second[2][2].Seq},
		"second/3": {second[3][0].Seq},
	}
	if !reflect.DeepEqual(gotSeqs, wantSeqs) {
		t.Errorf("assigned Seqs = %v, want %v", gotSeqs, wantSeqs)
	}

	tests := []struct {
		name string
		fid  spatial.FeatureID
		want []spatial.Change
	}{
		{name: "two calls append in Seq order", fid: 2, want: append(append([]spatial.Change{}, first[2]...), second[2]...)},
		{name: "separate Seq per feature", fid: 3, want: second[3]},
		{name: "untouched feature has empty history", fid: 1, want: []spatial.Change{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.History("parcels", tt.fid)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("History(%d):\n got %#v\nwant %#v", tt.fid, got, tt.want)
			}
		})
	}

	gotL, fs, err := db.LoadLayer(context.Background(), "parcels")
	if err != nil {
		t.Fatal(err)
	}
	if gotL.Version != 3 || gotL.FeatureCount != 3 {
		t.Errorf("layer version %d count %d, want 3 and 3", gotL.Version, gotL.FeatureCount)
	}
	if !reflect.DeepEqual(fs[1], f2) {
		t.Errorf("updated feature:\n got %#v\nwant %#v", fs[1], f2)
	}
}

func TestUpdateFeaturesNotFoundWritesNothing(t *testing.T) {
	tests := []struct {
		name    string
		layer   string
		fs      []*spatial.Feature
		changes map[spatial.FeatureID][]spatial.Change
		want    string
	}{
		{name: "unknown layer", layer: "nope", want: `layer "nope"`},
		{
			name: "unknown feature after a valid one", layer: "parcels",
			fs:   []*spatial.Feature{simpleFeature(1, "改"), simpleFeature(42, "x")},
			want: "feature 42",
		},
		{
			name: "change for unknown feature", layer: "parcels",
			fs:      []*spatial.Feature{simpleFeature(1, "改")},
			changes: map[spatial.FeatureID][]spatial.Change{1: {{Key: "a"}}, 77: {{Key: "b"}}},
			want:    "feature 77",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTemp(t)
			orig := []*spatial.Feature{simpleFeature(1, "甲")}
			wantLayer := mustCreate(t, db, "parcels", orig)
			l := testLayer(tt.layer)
			l.Version = 9
			err := db.UpdateFeatures(l, tt.fs, tt.changes)
			if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrNotFound naming %s", err, tt.want)
			}
			for _, cs := range tt.changes {
				for _, c := range cs {
					if c.Seq != 0 {
						t.Errorf("Seq %d assigned by a failed update", c.Seq)
					}
				}
			}
			gotL, fs, err := db.LoadLayer(context.Background(), "parcels")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotL, wantLayer) {
				t.Errorf("layer changed: %#v", gotL)
			}
			sameFeatures(t, fs, orig)
			if h, err := db.History("parcels", 1); err != nil || len(h) != 0 {
				t.Errorf("history = %v, %v; want empty", h, err)
			}
		})
	}
}

func TestUpdateFeaturesRejectsUnsupportedChangeValue(t *testing.T) {
	db := openTemp(t)
	l := mustCreate(t, db, "parcels", []*spatial.Feature{simpleFeature(1, "甲")})
	err := db.UpdateFeatures(l, nil, map[spatial.FeatureID][]spatial.Change{1: {{Key: "n", After: 3}}})
	if err == nil || !strings.Contains(err.Error(), "unsupported value type int") {
		t.Fatalf("err = %v, want unsupported value type", err)
	}
}

func TestHistoryOfLastFeatureID(t *testing.T) {
	db := openTemp(t)
	f := simpleFeature(math.MaxUint64, "末")
	l := mustCreate(t, db, "edge", []*spatial.Feature{simpleFeature(math.MaxUint64-1, "前"), f})
	for range 2 {
		if err := db.UpdateFeatures(l, nil, map[spatial.FeatureID][]spatial.Change{
			math.MaxUint64: {{Key: "a"}}, math.MaxUint64 - 1: {{Key: "b"}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, fid := range []spatial.FeatureID{math.MaxUint64, math.MaxUint64 - 1} {
		h, err := db.History("edge", fid)
		if err != nil || len(h) != 2 || h[0].Seq != 1 || h[1].Seq != 2 {
			t.Errorf("History(%d) = %+v, %v; want Seqs 1, 2", fid, h, err)
		}
	}
}
