package analysis

import (
	"testing"

	"github.com/mudi-gis/mudi/spatial"
)

func TestIsLowEfficiency(t *testing.T) {
	l := &spatial.Layer{ID: "p", Kind: spatial.KindParcels, Fields: []spatial.Field{
		{Name: "SFDX"}, {Name: "WWLX"}, {Name: "DXLX"}, {Name: "MJDJ"}}}
	for _, tt := range []struct {
		name  string
		attrs spatial.Attrs
		want  bool
	}{
		{"nothing set", spatial.Attrs{}, false},
		{"SFDX 是", spatial.Attrs{"SFDX": "是"}, true},
		{"SFDX 否", spatial.Attrs{"SFDX": "否"}, false},
		{"SFDX yes in lower case with spaces", spatial.Attrs{"SFDX": " yes "}, true},
		{"SFDX boolean true", spatial.Attrs{"SFDX": true}, true},
		{"SFDX boolean false", spatial.Attrs{"SFDX": false}, false},
		{"SFDX number 1", spatial.Attrs{"SFDX": int64(1)}, true},
		{"SFDX number 1.0", spatial.Attrs{"SFDX": 1.0}, true},
		{"SFDX number 2", spatial.Attrs{"SFDX": int64(2)}, false},
		{"DXLX set", spatial.Attrs{"DXLX": "容积率偏低"}, true},
		{"DXLX 无 is not set", spatial.Attrs{"DXLX": "无"}, false},
		{"DXLX 否 is not set", spatial.Attrs{"DXLX": "否"}, false},
		{"DXLX blank is not set", spatial.Attrs{"DXLX": "  "}, false},
		{"DXLX null is not set", spatial.Attrs{"DXLX": nil}, false},
		{"DXLX 无 with a space is not set", spatial.Attrs{"DXLX": " 无"}, false},
		{"WWLX set", spatial.Attrs{"WWLX": "批而未供"}, true},
		{"WWLX 无", spatial.Attrs{"WWLX": "无"}, false},
		{"MJDJ D", spatial.Attrs{"MJDJ": "D"}, true},
		{"MJDJ d", spatial.Attrs{"MJDJ": "d"}, true},
		{"MJDJ C", spatial.Attrs{"MJDJ": "C"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &spatial.Feature{ID: 1, Attrs: tt.attrs.Record()}
			if got := IsLowEfficiency(l, f); got != tt.want {
				t.Errorf("IsLowEfficiency(%v) = %v, want %v", tt.attrs, got, tt.want)
			}
			// The terms give the same answer.
			any := false
			for _, term := range LowEfficiencyTerms(l) {
				any = any || term.Holds(tt.attrs[term.Field])
			}
			if any != tt.want {
				t.Errorf("LowEfficiencyTerms on %v = %v, want %v", tt.attrs, any, tt.want)
			}
		})
	}
	if n := len(LowEfficiencyTerms(&spatial.Layer{Fields: []spatial.Field{{Name: "DXLX"}, {Name: "QLR"}}})); n != 1 {
		t.Errorf("a layer with only DXLX has %d terms, want 1", n)
	}
}
