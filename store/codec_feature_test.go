package store

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

func encodeOne(tb testing.TB, f *spatial.Feature) []byte {
	tb.Helper()
	var e featureEncoder
	b, err := e.encode(f)
	if err != nil {
		tb.Fatal(err)
	}
	return slices.Clone(b)
}

func TestFeatureEncodingIsCanonical(t *testing.T) {
	// Map iteration order varies between runs; the encoding must not.
	f := syntheticFeatures(1, 9)[0]
	want := encodeOne(t, f)
	for range 20 {
		if got := encodeOne(t, f.Clone()); !bytes.Equal(got, want) {
			t.Fatal("two encodings of the same feature differ")
		}
	}
}

func TestFeatureDecoderRejectsCorruptValues(t *testing.T) {
	good := encodeOne(t, simpleFeature(1, "甲"))
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{name: "empty value", b: nil, want: "empty"},
		{name: "unknown format version", b: append([]byte{7}, good[1:]...), want: "unknown feature format version 7"},
		{name: "truncated", b: good[:len(good)-3], want: "corrupt"},
		{name: "trailing bytes", b: append(slices.Clone(good), 0), want: "trailing"},
		{name: "unknown geometry tag", b: []byte{1, 42}, want: "unknown geometry tag 42"},
		{name: "point count beyond the value", b: []byte{1, geomLineString, 0xff, 0xff, 0x03}, want: "exceeds"},
		{name: "huge attribute count", b: append(slices.Clone(good[:len(good)-countTail(t, good)]), 0xff, 0xff, 0xff, 0xff, 0x0f), want: "exceeds"},
		{name: "collections nested too deep", b: append([]byte{1}, bytes.Repeat([]byte{geomCollection, 1}, maxGeometryDepth+1)...), want: "nested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := newFeatureDecoder().decode(1, tt.b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("decode = %v, %v; want error containing %q", f, err, tt.want)
			}
		})
	}
}

// countTail returns the length of the attribute section of an encoded simpleFeature, so a
// test can replace it.
func countTail(t *testing.T, enc []byte) int {
	t.Helper()
	f := simpleFeature(1, "甲")
	f.Attrs = spatial.Record{}
	return len(enc) - len(encodeOne(t, f)) + 1
}

func TestFeatureEncoderRejectsUnsupportedValues(t *testing.T) {
	tests := []struct {
		name string
		f    *spatial.Feature
		want string
	}{
		{
			name: "collections nested too deep",
			f:    &spatial.Feature{ID: 1, Geometry: nest(orb.Point{1, 2}, maxGeometryDepth+1)},
			want: "nested more than",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e featureEncoder
			if _, err := e.encode(tt.f); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func nest(g orb.Geometry, depth int) orb.Geometry {
	for range depth {
		g = orb.Collection{g}
	}
	return g
}

func TestDecoderSharesNameSets(t *testing.T) {
	fs := syntheticFeatures(2000, 4)
	d := newFeatureDecoder()
	var got []*spatial.Feature
	for _, f := range fs {
		g, err := d.decode(f.ID, encodeOne(t, f))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, g)
	}
	sameFeatures(t, got, fs)
	first := got[0].Attrs.Names()
	for _, g := range got[1:] {
		if names := g.Attrs.Names(); &names[0] != &first[0] {
			t.Fatalf("feature %d has a name set of its own", g.ID)
		}
	}
	if len(d.sets) != 1 {
		t.Errorf("decoder holds %d name sets, want 1", len(d.sets))
	}
}

// FuzzDecodeFeature feeds arbitrary bytes to the decoder: it must never panic, and whatever it
// accepts must re-encode to a value that decodes to the same encoding (decode∘encode is the
// identity on the canonical encoding).
func FuzzDecodeFeature(f *testing.F) {
	for _, feat := range append(syntheticFeatures(20, 11), &spatial.Feature{ID: 1, Geometry: orb.Collection{orb.Point{1, 2}, orb.Bound{}}}) {
		f.Add(encodeOne(f, feat))
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		feat, err := newFeatureDecoder().decode(5, b)
		if err != nil {
			return
		}
		enc := encodeOne(t, feat)
		again, err := newFeatureDecoder().decode(5, enc)
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		if enc2 := encodeOne(t, again); !bytes.Equal(enc, enc2) {
			t.Fatalf("encode∘decode is not stable:\n%x\n%x", enc, enc2)
		}
		if len(enc) > len(b) {
			// The canonical form is never longer: only varints can shrink.
			t.Fatalf("canonical encoding %d bytes, input %d", len(enc), len(b))
		}
	})
}

// FuzzFeatureRoundTrip builds features from fuzzed values and checks that they come back
// exactly, bit for bit.
func FuzzFeatureRoundTrip(f *testing.F) {
	f.Add(uint64(1), "地块编号", "杭州恒达纺织有限公司", int64(-7), 0.1, true, 120.5, 30.25, uint8(3), "inside")
	f.Add(uint64(math.MaxUint64), "", "", int64(math.MinInt64), math.Inf(1), false, math.NaN(), -0.0, uint8(0), "")
	f.Fuzz(func(t *testing.T, id uint64, key, sval string, ival int64, fval float64, bval bool, x, y float64, nv uint8, pos string) {
		ring := orb.Ring{{x, y}}
		for i := range int(nv % 40) {
			ring = append(ring, orb.Point{x + float64(i), y - fval})
		}
		in := &spatial.Feature{
			ID:       spatial.FeatureID(id),
			Geometry: orb.MultiPolygon{{ring, {{y, x}}}, {{{fval, fval}}}},
			Attrs:    spatial.Attrs{key: sval, key + "i": ival, key + "f": fval, key + "b": bval, key + "n": nil}.Record(),
			Derived: spatial.Derived{
				AreaM2: x, AreaMu: y, ControlPosition: spatial.Position(pos), OutsideRatio: fval,
				OutsideMu: -fval, BlockID: id ^ 0xabcdef, BlockMu: float64(ival), Scattered: bval,
			},
		}
		enc := encodeOne(t, in)
		out, err := newFeatureDecoder().decode(in.ID, enc)
		if err != nil {
			t.Fatal(err)
		}
		if out.ID != in.ID || !bytes.Equal(encodeOne(t, out), enc) {
			t.Fatalf("round trip differs:\n in %#v\nout %#v", in, out)
		}
		for k, v := range in.Attrs.All() {
			w := out.Attrs.Value(k)
			switch v := v.(type) {
			case float64:
				if wf, ok := w.(float64); !ok || math.Float64bits(wf) != math.Float64bits(v) {
					t.Fatalf("attribute %q = %#v, want %#v", k, w, v)
				}
			default:
				if w != v {
					t.Fatalf("attribute %q = %#v (%T), want %#v (%T)", k, w, w, v, v)
				}
			}
		}
	})
}
