package spatial

import (
	"math"
	"strings"
	"testing"
)

func TestRecordReadsAsTheMapItWasPackedFrom(t *testing.T) {
	a := Attrs{
		"DKBH": "KH2007-00001", "QLR": "衢州远航硅材料有限公司", "BSM": int64(-12), "MJSS": 17.11,
		"SFXZ": "否", "ok": true, "no": false, "gone": nil, "empty": "", "big": int64(math.MaxInt64),
		"negzero": math.Copysign(0, -1),
	}
	r := a.Record()
	if r.Len() != len(a) {
		t.Fatalf("Len = %d, want %d", r.Len(), len(a))
	}
	want := []string{"BSM", "DKBH", "MJSS", "QLR", "SFXZ", "big", "empty", "gone", "negzero", "no", "ok"}
	if got := r.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Names = %v, want %v", got, want)
	}
	for k, v := range a {
		got, ok := r.Get(k)
		if !ok || got != v {
			t.Errorf("Get(%s) = %#v, %v; want %#v", k, got, ok, v)
		}
		if r.String(k) != a.String(k) {
			t.Errorf("String(%s) = %q, want %q", k, r.String(k), a.String(k))
		}
	}
	if nz := r.Value("negzero").(float64); !math.Signbit(nz) {
		t.Error("-0 lost its sign")
	}
	if _, ok := r.Get("missing"); ok || r.Has("missing") || r.Value("missing") != nil || r.String("missing") != "" {
		t.Error("a missing attribute reads as present")
	}
	if !r.Has("gone") || r.String("gone") != "" {
		t.Error("a null attribute must be present and read as empty text")
	}
	if got := r.String("BSM"); got != "-12" {
		t.Errorf(`String("BSM") = %q, want "-12"`, got)
	}
	if got := r.String("MJSS"); got != "17.11" {
		t.Errorf(`String("MJSS") = %q, want "17.11"`, got)
	}
	n := 0
	for k, v := range r.All() {
		if a[k] != v && k != "negzero" {
			t.Errorf("All: %s = %#v, want %#v", k, v, a[k])
		}
		n++
	}
	if n != len(a) {
		t.Errorf("All yielded %d attributes, want %d", n, len(a))
	}
	m := r.Map()
	m["DKBH"] = "changed"
	if r.Value("DKBH") != "KH2007-00001" {
		t.Error("changing the map changed the record")
	}
}

func TestRecordWidensAndKeepsEveryValue(t *testing.T) {
	r := Attrs{"i": 7, "f": float32(0.5), "other": []int{1, 2}}.Record()
	if v := r.Value("i"); v != int64(7) {
		t.Errorf("int packs as %#v, want int64(7)", v)
	}
	if v := r.Value("f"); v != 0.5 {
		t.Errorf("float32 packs as %#v, want 0.5", v)
	}
	if v := r.Value("other"); v != "[1 2]" {
		t.Errorf("another type packs as %#v, want its text %q", v, "[1 2]")
	}
}

func TestRecordSharesNameSetsAndCompares(t *testing.T) {
	a := Attrs{"DKBH": "A", "QLR": "甲"}.Record()
	b := Attrs{"QLR": "乙", "DKBH": "B"}.Record()
	if &a.Names()[0] != &b.Names()[0] {
		t.Error("records with the same names do not share them")
	}
	if a.Equal(b) || !a.Equal(Attrs{"DKBH": "A", "QLR": "甲"}.Record()) {
		t.Error("Equal compares wrongly")
	}
	if !(Record{}).Equal(Attrs{}.Record()) || (Record{}).Equal(a) {
		t.Error("empty records compare wrongly")
	}
	if c := a.With("QLR", "丙"); c.Value("QLR") != "丙" || a.Value("QLR") != "甲" || c.Value("DKBH") != "A" {
		t.Error("With changed the original or lost a value")
	}
}

func TestRecordOverSixtyFourKiB(t *testing.T) {
	long := strings.Repeat("地", 12000) // 36 000 bytes
	r := Attrs{"a": long, "b": long, "c": int64(3)}.Record()
	if r.Value("a") != long || r.Value("b") != long || r.Value("c") != int64(3) {
		t.Fatal("values of a record over 64 KiB read back wrong")
	}
	names, data := r.Packed()
	if data[0] != offsetsWide {
		t.Errorf("offset width %d, want %d", data[0], offsetsWide)
	}
	back, err := RecordFromPacked(names, nil, data)
	if err != nil || !back.Equal(r) {
		t.Errorf("RecordFromPacked = %v, %v", back, err)
	}
}

func TestRecordFromPackedRefusesCorruptInput(t *testing.T) {
	names, data := Attrs{"a": "x", "b": int64(1)}.Record().Packed()
	cases := map[string]struct {
		names []string
		data  string
	}{
		"names out of order":     {[]string{"b", "a"}, data},
		"duplicate names":        {[]string{"a", "a"}, data},
		"offset width":           {names, "\x03" + data[1:]},
		"truncated":              {names, data[:len(data)-1]},
		"trailing byte":          {names, data + "x"},
		"offsets going back":     {names, data[:1] + "\x05\x00\x02\x00" + data[5:]},
		"unknown tag":            {names, strings.Replace(data, "\x05x", "\x09x", 1)},
		"short integer":          {[]string{"a"}, "\x02\x03\x00\x03\x01\x02"},
		"values without names":   {nil, data},
		"names without values":   {names, ""},
		"offset past the end":    {[]string{"a"}, "\x02\xff\x00\x05"},
		"empty value (no tag)":   {[]string{"a", "b"}, "\x02\x00\x00\x01\x00\x00"},
		"boolean with a payload": {[]string{"a"}, "\x02\x02\x00\x02\x01"},
	}
	for name, c := range cases {
		if _, err := RecordFromPacked(c.names, nil, c.data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if r, err := RecordFromPacked(names, nil, data); err != nil || r.Value("a") != "x" || r.Value("b") != int64(1) {
		t.Errorf("the intact record: %v, %v", r, err)
	}
}

func FuzzRecordFromPacked(f *testing.F) {
	_, data := Attrs{"a": "x", "b": int64(1), "c": nil}.Record().Packed()
	f.Add(data)
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		r, err := RecordFromPacked([]string{"a", "b", "c"}, nil, data)
		if err != nil {
			return
		}
		for range r.All() { // every accepted record reads without a panic
		}
		names, packed := r.Packed()
		if back, err := RecordFromPacked(names, nil, packed); err != nil || !back.Equal(r) {
			t.Errorf("re-packing an accepted record: %v", err)
		}
	})
}
