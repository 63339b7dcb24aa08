package spatial

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial/crs"
)

func TestCheckAttribute(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		value   any
		wantErr string // substring of the error; "" for none
		limit   bool   // errors.Is(err, ErrLimit)
	}{
		{name: "plain string", key: "DKBH", value: "KC-001"},
		{name: "chinese name and value", key: "所在园区", value: "衢州智造新城"},
		{name: "null int bool float", key: "x", value: nil},
		{name: "int64", key: "x", value: int64(-3)},
		{name: "bool", key: "x", value: true},
		{name: "largest float", key: "x", value: math.MaxFloat64},
		{name: "name of 254 bytes", key: strings.Repeat("a", 254), value: "v"},
		{name: "value of 16 KiB", key: "x", value: strings.Repeat("v", 16384)},
		{name: "+Inf refused (item 2: 1e400)", key: "MJ", value: math.Inf(1), wantErr: `attribute "MJ": the value is not a finite number`},
		{name: "-Inf refused", key: "MJ", value: math.Inf(-1), wantErr: "not a finite number"},
		{name: "NaN refused", key: "MJ", value: math.NaN(), wantErr: "not a finite number"},
		{name: "empty name", key: "", value: "v", wantErr: "must not be empty"},
		{name: "NUL in name (item 5)", key: "a\x00b", value: "v", wantErr: "control character U+0000 at byte 1"},
		{name: "newline in name", key: "a\nb", value: "v", wantErr: "U+000A"},
		{name: "C1 control in name", key: "a\u0085", value: "v", wantErr: "U+0085"},
		{name: "name not UTF-8", key: "a\xff", value: "v", wantErr: "not valid UTF-8"},
		{name: "name of 255 bytes", key: strings.Repeat("a", 255), value: "v", wantErr: "255 bytes long; at most 254", limit: true},
		{name: "value not UTF-8 (item 6)", key: "QLR", value: "\xd5\xe3", wantErr: `attribute "QLR": the value is not valid UTF-8`},
		{name: "value over 16 KiB (item 5: 50 MB attribute)", key: "x", value: strings.Repeat("v", 16385), wantErr: "16385 bytes long; at most 16384", limit: true},
		{name: "other type", key: "x", value: []int{1}, wantErr: "not []int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAttribute(tt.key, tt.value)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckAttribute = %v, want nil", err)
				}
				return
			}
			var ae *AttributeError
			if !errors.As(err, &ae) || ae.Field != tt.key {
				t.Fatalf("CheckAttribute = %#v, want an *AttributeError naming %q", err, tt.key)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrLimit) != tt.limit {
				t.Errorf("errors.Is(ErrLimit) = %v, want %v", !tt.limit, tt.limit)
			}
		})
	}
}

func manyAttrs(n int) Attrs {
	a := Attrs{}
	for i := range n {
		a[fmt.Sprintf("f%03d", i)] = int64(i)
	}
	return a
}

func TestCheckAttrs(t *testing.T) {
	big := strings.Repeat("x", 16000)
	tests := []struct {
		name    string
		attrs   Attrs
		wantErr string
	}{
		{name: "nil", attrs: nil},
		{name: "240 attributes", attrs: manyAttrs(240)},
		{name: "241 attributes (item 5: 10 000 keys)", attrs: manyAttrs(241), wantErr: "attributes: a feature has 241 attributes; at most 240"},
		{name: "64 KiB of text", attrs: Attrs{"a": big, "b": big, "c": big, "d": big, "e": big[:1536]}},
		{name: "over 64 KiB of text", attrs: Attrs{"a": big, "b": big, "c": big, "d": big, "e": big[:1537]}, wantErr: "attributes: the attributes take 65537 bytes; at most 65536"},
		{name: "derived names do not count toward the size", attrs: Attrs{"a": big, "b": big, "c": big, "d": big, "e": big[:1536], "control_position": "straddling", "CTRL_POS": "inside"}},
		{name: "derived names do not count toward the number", attrs: func() Attrs {
			a := manyAttrs(240)
			for _, k := range append(DerivedKeys, "CTRL_POS", "OUT_RATIO") {
				a[k] = 1.5
			}
			return a
		}()},
		{name: "first bad name in order", attrs: Attrs{"z": math.NaN(), "b": math.Inf(1), "a": "ok"}, wantErr: `attribute "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAttrs(tt.attrs)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("CheckAttrs = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("CheckAttrs = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheckFields(t *testing.T) {
	fields := func(n int) []Field {
		out := make([]Field, n)
		for i := range out {
			out[i] = Field{Name: fmt.Sprintf("f%03d", i), Type: FieldString}
		}
		return out
	}
	if err := CheckFields(fields(240)); err != nil {
		t.Errorf("240 fields: %v", err)
	}
	err := CheckFields(fields(241))
	var ae *AttributeError
	if !errors.As(err, &ae) || ae.Field != "f240" || !errors.Is(err, ErrLimit) {
		t.Errorf("241 fields: %v, want a limit error naming f240", err)
	}
	if err := CheckFields([]Field{{Name: "ok"}, {Name: "b\x00d"}}); err == nil || !strings.Contains(err.Error(), `"b\x00d"`) {
		t.Errorf("NUL in a field name: %v", err)
	}
}

// TestImportRefusesAttributesPerFeature reproduces the defects of items 2, 5 and 6: attribute
// values that readers cannot take back were stored. Each bad feature is now skipped and listed;
// with strict the import is refused.
func TestImportRefusesAttributesPerFeature(t *testing.T) {
	good := polygonFeature(square, `{"name":"good"}`)
	var wide strings.Builder
	wide.WriteString("{")
	for i := range 241 {
		if i > 0 {
			wide.WriteString(",")
		}
		fmt.Fprintf(&wide, `"k%d":%d`, i, i)
	}
	wide.WriteString("}")
	tests := []struct {
		name   string
		props  string
		reason string
	}{
		{"1e400 is not stored as +Inf", `{"MJ":1e400}`, `attribute "MJ": the value is not a finite number`},
		{"-1e400", `{"MJ":-1e400}`, `attribute "MJ": the value is not a finite number`},
		{"bare NaN", `{"MJ":NaN}`, `attribute "MJ": the value is not a finite number`},
		{"bare Infinity", `{"MJ":Infinity}`, `attribute "MJ": the value is not a finite number`},
		{"bare -Infinity", `{"MJ":-Infinity}`, `attribute "MJ": the value is not a finite number`},
		{"invalid UTF-8 value is not replaced", "{\"QLR\":\"\xd5\xe3\xbd\xad\"}", `properties: attribute "QLR": the value is not valid UTF-8`},
		{"invalid UTF-8 in a nested value", "{\"n\":{\"a\":\"\xff\"}}", `properties: attribute "n": the value is not valid UTF-8`},
		{"invalid UTF-8 name", "{\"a\xff\":1}", "properties: the name of attribute \"a\ufffd\" is not valid UTF-8"},
		{"control character in a name", `{"a\u0000b":1}`, `attribute "a\x00b": the name holds the control character U+0000`},
		{"value over 16 KiB", `{"x":"` + strings.Repeat("v", 16385) + `"}`, `attribute "x": the value is 16385 bytes long`},
		{"241 attributes", wide.String(), "attributes: a feature has 241 attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fc(good, polygonFeature(square, tt.props))
			imp, err := DecodeGeoJSON(strings.NewReader(in), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(imp.Features) != 1 || imp.Skipped != 1 || len(imp.Problems) != 1 {
				t.Fatalf("features %d skipped %d problems %v, want 1, 1 and one problem", len(imp.Features), imp.Skipped, imp.Problems)
			}
			if p := imp.Problems[0]; p.Index != 1 || !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("problem = %+v, want feature 1 with a reason containing %q", p, tt.reason)
			}
			_, err = DecodeGeoJSON(strings.NewReader(in), ImportOptions{Strict: true})
			var ie *InvalidFeaturesError
			if !errors.As(err, &ie) || ie.Total != 1 {
				t.Errorf("strict: %v, want an *InvalidFeaturesError with one problem", err)
			}
		})
	}
}

func TestImportRefusesTooManyFieldsInAll(t *testing.T) {
	// 121 features of 2 distinct keys each: every feature is within the limit, the layer's
	// schema (242 fields) is not.
	var feats []string
	for i := range 121 {
		feats = append(feats, polygonFeature(square, fmt.Sprintf(`{"a%d":1,"b%d":2}`, i, i)))
	}
	_, err := DecodeGeoJSON(strings.NewReader(fc(feats...)), ImportOptions{})
	var ie *InvalidFeaturesError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || !strings.Contains(ie.Problems[0].Reason, "a layer has 242 fields; at most 240") {
		t.Fatalf("err = %v, want the whole import refused for its 242 fields", err)
	}
	// A declared schema is checked before any record.
	fields := make([]Field, 241)
	for i := range fields {
		fields[i] = Field{Name: fmt.Sprintf("F%d", i), Type: FieldInteger}
	}
	_, err = BuildImport(nil, fields, crs.EPSG4326, false, ImportOptions{})
	if !errors.As(err, &ie) || !strings.Contains(ie.Error(), `attribute "F240": a layer has 241 fields`) {
		t.Fatalf("declared schema: err = %v", err)
	}
}

func TestNonFiniteCoordinatesStillNamed(t *testing.T) {
	for _, tok := range []string{"NaN", "Infinity", "-Infinity", "1e400", "-1e400", "null"} {
		ring := `[[118.87,28.94],[118.871,` + tok + `],[118.871,28.941],[118.87,28.941],[118.87,28.94]]`
		imp, err := DecodeGeoJSON(strings.NewReader(fc(polygonFeature(square, `{}`), polygonFeature(ring, `{}`))), ImportOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tok, err)
		}
		if len(imp.Problems) != 1 || !strings.Contains(imp.Problems[0].Reason, "coordinate is not a finite number") {
			t.Errorf("%s: problems = %v", tok, imp.Problems)
		}
	}
}

func TestCoordinatesMustBeNumbers(t *testing.T) {
	ring := `[[118.87,28.94],[118.871,"28.94"],[118.871,28.941],[118.87,28.941],[118.87,28.94]]`
	imp, err := DecodeGeoJSON(strings.NewReader(fc(polygonFeature(square, `{}`), polygonFeature(ring, `{}`))), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Problems) != 1 || !strings.Contains(imp.Problems[0].Reason, "Polygon coordinates must be an array of rings of [x, y] positions") {
		t.Errorf("problems = %v", imp.Problems)
	}
}
