package gisio

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mudi-gis/mudi/spatial/campaign"
)

// TestLedgerXLSXExcelize reads the ledger back with excelize's own reader: the formatted
// values show 亩 with four decimals and dates as yyyy-mm-dd, and the date cells hold numbers.
func TestLedgerXLSXExcelize(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteLedgerXLSX(context.Background(), &buf, ledgerLayer(), ledgerClasses(), campaign.MustParseDate("2026-11-30")); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "台账" {
		t.Fatalf("sheets %v", got)
	}
	rows, err := f.GetRows("台账")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 14 || len(rows[1]) != len(ledgerHeaders) || rows[1][22] != "销号日期" {
		t.Fatalf("%d rows, header %v", len(rows), rows[1])
	}
	for _, tc := range []struct{ cell, shown, raw string }{
		{"G3", "40.5000", "40.5"},           // KC-0001 面积(亩)
		{"G4", "0.0625", "0.0625"},          // KC-0002
		{"S3", "2026-11-15", "46341"},       // 完成时限, serial day of 2026-11-15
		{"W3", "2026-11-30", "46356"},       // 销号日期
		{"J5", "2024-03-15", "45366"},       // 闲置起算日期
		{"L9", "1,234.5679", "1234.567891"}, // 闲置费(万元)
		{"S9", "年底前", "年底前"},                // a deadline that is not a date
	} {
		shown, err := f.GetCellValue("台账", tc.cell)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := f.GetCellValue("台账", tc.cell, excelize.Options{RawCellValue: true})
		if shown != tc.shown || raw != tc.raw {
			t.Errorf("%s shows %q (raw %q), want %q (raw %q)", tc.cell, shown, raw, tc.shown, tc.raw)
		}
	}
}

// TestLedgerXLSXWithoutRoles: a layer whose roles were never set still fills the identity and
// place columns from the conventional fields.
func TestLedgerXLSXWithoutRoles(t *testing.T) {
	sn := ledgerLayer()
	layer := sn.Layer
	layer.Roles = nil
	sn = sn.WithLayer(layer)
	var buf bytes.Buffer
	if err := WriteLedgerXLSX(context.Background(), &buf, sn, nil, campaign.MustParseDate("2026-11-30")); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("台账")
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[2][1:6]; len(rows) != 14 || got[0] != "KC-0001" || got[1] != "浙江衢化新材料股份有限公司" || got[2] != "柯城区" || got[3] != "航埠镇" || got[4] != "衢州智造新城" {
		t.Errorf("first parcel %v", rows[2])
	}
}

func TestXLSXCell(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		v    any
		kind cellKind
		want any // the cell's value, nil for no cell
		text bool
	}{
		{"nil is no cell", nil, kindText, nil, false},
		{"empty text is no cell", "", kindText, nil, false},
		{"zero date is no cell", campaign.Date{}, kindDate, nil, false},
		{"NaN is no cell", math.NaN(), kindMu, nil, false},
		{"infinity is no cell", math.Inf(-1), kindMoney, nil, false},
		{"1 March 1900 is serial 61", campaign.MustParseDate("1900-03-01"), kindDate, 61, false},
		{"28 February 1900 is text: Excel counts a 29 February 1900", campaign.MustParseDate("1900-02-28"), kindDate, "1900-02-28", true},
		{"text in a date column stays text", "年底前", kindDate, "年底前", true},
		{"a number keeps its value", 12.3456789, kindMu, 12.3456789, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := st.cell(tc.v, tc.kind, false)
			if tc.want == nil {
				if got != nil {
					t.Fatalf("cell %v, want none", got)
				}
				return
			}
			c, ok := got.(excelize.Cell)
			if !ok || c.Value != tc.want {
				t.Fatalf("cell %#v, want value %v", got, tc.want)
			}
			if wantStyle := map[bool]int{true: st.plain[kindText], false: st.plain[tc.kind]}[tc.text]; c.StyleID != wantStyle {
				t.Errorf("style %d, want %d", c.StyleID, wantStyle)
			}
		})
	}
}
