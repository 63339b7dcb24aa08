package gisio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// The workbooks are read back with exceljs, an independent reader (testdata/xlsxreader).
const xlsxReaderDir = "testdata/xlsxreader"

// needXLSXReader returns the node binary, or skips (fails under CI) when node or exceljs is
// missing.
func needXLSXReader(t *testing.T) string {
	t.Helper()
	missing := ""
	node, err := exec.LookPath("node")
	if err != nil {
		missing = "node not on PATH: install Node.js and run `npm ci` in spatial/gisio/" + xlsxReaderDir
	} else if _, err := os.Stat(filepath.Join(xlsxReaderDir, "node_modules", "exceljs")); err != nil {
		missing = "exceljs missing: run `npm ci` in spatial/gisio/" + xlsxReaderDir
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	return node
}

// xlsxBook is a workbook as the reader prints it.
type xlsxBook struct {
	Sheets []*xlsxSheetDump `json:"sheets"`
}

type xlsxSheetDump struct {
	Name  string `json:"name"`
	Views []struct {
		State       string `json:"state"`
		XSplit      int    `json:"xSplit"`
		YSplit      int    `json:"ySplit"`
		TopLeftCell string `json:"topLeftCell"`
	} `json:"views"`
	AutoFilter any       `json:"autoFilter"`
	Merges     []string  `json:"merges"`
	RowCount   int       `json:"rowCount"`
	Widths     []float64 `json:"widths"`
	Rows       []struct {
		Row   int         `json:"row"`
		Cells []xlsxCellJ `json:"cells"`
	} `json:"rows"`
}

type xlsxCellJ struct {
	Ref    string `json:"ref"`
	Col    int    `json:"col"`
	Type   string `json:"type"`
	Value  any    `json:"value"`
	NumFmt string `json:"numFmt"`
}

// cell returns the cell at 1-based row and column; a zero cell when it is empty.
func (s *xlsxSheetDump) cell(row, col int) xlsxCellJ {
	for _, r := range s.Rows {
		if r.Row != row {
			continue
		}
		for _, c := range r.Cells {
			if c.Col == col {
				return c
			}
		}
	}
	return xlsxCellJ{}
}

// filter returns the auto-filter range without $ signs.
func (s *xlsxSheetDump) filter() string {
	switch f := s.AutoFilter.(type) {
	case string:
		return strings.ReplaceAll(f, "$", "")
	case map[string]any:
		return strings.ReplaceAll(fmt.Sprint(f["from"], ":", f["to"]), "$", "")
	}
	return fmt.Sprint(s.AutoFilter)
}

func (b *xlsxBook) sheet(t *testing.T, name string) *xlsxSheetDump {
	t.Helper()
	for _, s := range b.Sheets {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no sheet %q", name)
	return nil
}

// readXLSX reads a workbook with the independent reader.
func readXLSX(t *testing.T, data []byte) *xlsxBook {
	t.Helper()
	node := needXLSXReader(t)
	p := filepath.Join(t.TempDir(), "book.xlsx")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(node, filepath.Join(xlsxReaderDir, "read.mjs"), p)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("exceljs: %v\n%s", err, stderr.String())
	}
	var b xlsxBook
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	return &b
}

// ledgerHeaders are the ledger's columns, as the workbook must show them.
var ledgerHeaders = []string{"序号", "地块编号", "权利人", "行政区", "乡镇(街道)", "所在园区", "面积(亩)", "与控制线关系",
	"闲置状态", "闲置起算日期", "闲置年数", "闲置费(万元)", "五未类型", "亩均税收(万元/亩)", "亩均等级", "预警等级", "形成原因",
	"处置措施", "完成时限", "责任单位", "责任人", "处置状态", "销号日期"}

// ledgerLayer is a hand-made layer of 12 parcels with ledger fields, in id order; its codes
// are out of order, one parcel has none, one has a deadline that is not a date and one a
// responsible unit that looks like a formula.
func ledgerLayer() *spatial.Snapshot {
	fields := []spatial.Field{{Name: "DKBH"}, {Name: "QLR"}, {Name: "XZQMC"}, {Name: "XZMC"}, {Name: "YQMC"},
		{Name: "XCYY"}, {Name: "CZCS"}, {Name: "WCSX", Type: spatial.FieldDate}, {Name: "ZRDW"}, {Name: "ZRR"},
		{Name: "CZZT"}, {Name: "XHRQ", Type: spatial.FieldDate}}
	layer := spatial.Layer{ID: "ledger", Title: "柯城区工业用地", Kind: spatial.KindParcels, Fields: fields,
		Roles: spatial.DetectRoles(fields)}
	type p struct {
		code, owner, district, town, park, cause, measure, wcsx, unit, person, state, xhrq string
		mu                                                                                 float64
		pos                                                                                spatial.Position
	}
	parcels := []p{
		{"KC-0003", "衢州华达机械有限公司", "柯城区", "航埠镇", "衢州智造新城", "企业资金不足", "督促动工", "2026-12-31", "柯城区经信局", "王明", "处置中", "", 12.3456789, spatial.Inside},
		{"KC-0001", "浙江衢化新材料股份有限公司", "柯城区", "航埠镇", "衢州智造新城", "规划调整", "协议收回", "2026-11-15", "衢州市自然资源和规划局柯城分局", "李强", "已销号", "2026-11-30", 40.5, spatial.Straddling},
		{"QJ-0002", "衢江新能源科技有限公司", "衢江区", "莲花镇", "", "市场变化", "转让盘活", "2027-03-01", "衢江区经信局", "张华", "未启动", "", 7.25, spatial.Outside},
		{"", "无编号企业", "柯城区", "石室乡", "", "", "", "", "", "", "", "", 3.5, ""},
		{"KC-0010", "衢州恒远纺织有限公司", "柯城区", "石室乡", "衢州智造新城", "停产", "兼并重组", "年底前", "=SUM(A1:A2)", "赵六", "待核验", "", 100.0001, spatial.Inside},
		{"KC-0002", "衢州永安化工有限公司", "柯城区", "航埠镇", "", "", "", "2026-10-01", "柯城区经信局", "王明", "处置中", "", 0.0625, ""},
		{"QJ-0001", "衢江建材有限公司", "衢江区", "高家镇", "", "", "", "", "", "", "已销号", "2026-12-01", 22, spatial.Inside},
		{"KC-0005", "衢州天宇电子有限公司", "柯城区", "航埠镇", "", "", "", "", "", "", "未启动", "", 9, spatial.Inside},
		{"KC-0004", "衢州金源铸造有限公司", "柯城区", "航埠镇", "", "", "", "", "", "", "", "", 15.75, spatial.Outside},
		{"QJ-0010", "衢江食品有限公司", "衢江区", "高家镇", "", "", "", "", "", "", "处置中", "", 6.6, spatial.Inside},
		{"KC-0006", "衢州盛达物流有限公司", "柯城区", "航埠镇", "", "", "", "", "", "", "处置中", "", 5, spatial.Inside},
		{"QJ-0003", "衢江再生资源有限公司", "衢江区", "莲花镇", "", "", "", "", "", "", "处置中", "", 8.125, spatial.Inside},
	}
	features := make([]*spatial.Feature, len(parcels))
	for i, q := range parcels {
		x := float64(i) * 0.01
		a := spatial.Attrs{}
		for k, v := range map[string]string{"DKBH": q.code, "QLR": q.owner, "XZQMC": q.district, "XZMC": q.town, "YQMC": q.park,
			"XCYY": q.cause, "CZCS": q.measure, "WCSX": q.wcsx, "ZRDW": q.unit, "ZRR": q.person, "CZZT": q.state, "XHRQ": q.xhrq} {
			if v != "" {
				a[k] = v
			}
		}
		features[i] = &spatial.Feature{ID: spatial.FeatureID(i + 1), Attrs: a.Record(),
			Geometry: orb.Polygon{{{118.8 + x, 28.9}, {118.801 + x, 28.9}, {118.801 + x, 28.901}, {118.8 + x, 28.9}}},
			Derived:  spatial.Derived{AreaMu: q.mu, ControlPosition: q.pos}}
	}
	return spatial.NewSnapshot(layer, features)
}

// ledgerClasses are hand-made classes for some parcels of [ledgerLayer].
func ledgerClasses() map[spatial.FeatureID]campaign.Classes {
	two, one := 2, 1
	fee, fee2, zero := 240.5, 1234.567891, 0.0
	tax, tax2 := 12.5, 0.3333
	return map[spatial.FeatureID]campaign.Classes{
		1: {IdleClass: campaign.IdleTwoYears, IdleSince: campaign.MustParseDate("2024-03-15"), IdleYears: &two, IdleFeeWan: &fee,
			Wuwei: campaign.SuppliedNotUsed, MuClass: campaign.ClassUnrated, Warning: campaign.Red},
		2: {IdleClass: campaign.NotIdle, IdleFeeWan: &zero, MuTax: &tax, MuClass: campaign.ClassA},
		5: {IdleClass: campaign.IdleOneYear, IdleSince: campaign.MustParseDate("2025-11-30"), IdleYears: &one, IdleFeeWan: &fee2,
			MuTax: &tax2, MuClass: campaign.ClassD, Wuwei: campaign.ProducingBelowPar, Warning: campaign.Orange},
	}
}

// TestLedgerXLSX writes the ledger of 12 hand-made parcels and reads it back with exceljs:
// sheet, title, headers, code order, numbers and their formats, real dates, the frozen header,
// the auto-filter and the column widths.
func TestLedgerXLSX(t *testing.T) {
	var buf bytes.Buffer
	asOf := campaign.MustParseDate("2026-11-30")
	if err := WriteLedgerXLSX(context.Background(), &buf, ledgerLayer(), ledgerClasses(), asOf); err != nil {
		t.Fatal(err)
	}
	book := readXLSX(t, buf.Bytes())
	if len(book.Sheets) != 1 {
		t.Fatalf("%d sheets, want 1", len(book.Sheets))
	}
	s := book.sheet(t, "台账")
	if title := s.cell(1, 1); title.Value != "柯城区工业用地 台账（截至 2026-11-30）" {
		t.Errorf("title %v", title.Value)
	}
	if len(s.Merges) != 1 || s.Merges[0] != "A1:W1" {
		t.Errorf("merges %v, want the title across A1:W1", s.Merges)
	}
	for i, h := range ledgerHeaders {
		if c := s.cell(2, i+1); c.Value != h || c.Type != "string" {
			t.Errorf("header %d = %v (%s), want %s", i+1, c.Value, c.Type, h)
		}
	}
	if c := s.cell(2, len(ledgerHeaders)+1); c.Value != nil {
		t.Errorf("a column after the last header: %v", c.Value)
	}
	if s.RowCount != 14 {
		t.Errorf("%d rows, want title + header + 12", s.RowCount)
	}
	// Code order; the parcel without a code last.
	wantCodes := []string{"KC-0001", "KC-0002", "KC-0003", "KC-0004", "KC-0005", "KC-0006", "KC-0010", "QJ-0001", "QJ-0002", "QJ-0003", "QJ-0010", ""}
	wantMu := []float64{40.5, 0.0625, 12.3456789, 15.75, 9, 5, 100.0001, 22, 7.25, 8.125, 6.6, 3.5}
	for i, code := range wantCodes {
		r := i + 3
		if c := s.cell(r, 1); c.Value != float64(i+1) || c.Type != "number" {
			t.Errorf("row %d 序号 = %v (%s)", r, c.Value, c.Type)
		}
		if c := s.cell(r, 2); (code == "" && c.Value != nil) || (code != "" && c.Value != code) {
			t.Errorf("row %d 地块编号 = %v, want %q", r, c.Value, code)
		}
		if c := s.cell(r, 7); c.Type != "number" || c.NumFmt != "0.0000" || c.Value != wantMu[i] {
			t.Errorf("row %d 面积(亩) = %v (%s, %q), want the number %v with format 0.0000", r, c.Value, c.Type, c.NumFmt, wantMu[i])
		}
	}
	// Row 3 is KC-0001 (feature 2), row 5 KC-0003 (feature 1), row 9 KC-0010 (feature 5).
	for _, tc := range []struct {
		row, col    int
		typ, numFmt string
		value       any
		what        string
	}{
		{3, 3, "string", "", "浙江衢化新材料股份有限公司", "权利人 from the owner role"},
		{3, 4, "string", "", "柯城区", "行政区"},
		{3, 5, "string", "", "航埠镇", "乡镇(街道)"},
		{3, 6, "string", "", "衢州智造新城", "所在园区"},
		{3, 8, "string", "", "跨线", "与控制线关系"},
		{3, 9, "string", "", "未闲置", "闲置状态"},
		{3, 10, "", "", nil, "闲置起算日期 of a parcel that is not idle"},
		{3, 12, "number", "#,##0.0000", 0.0, "闲置费 0"},
		{3, 14, "number", "0.0000", 12.5, "亩均税收"},
		{3, 15, "string", "", "A", "亩均等级"},
		{3, 16, "", "", nil, "预警等级 of a closed-off parcel"},
		{3, 19, "date", "yyyy-mm-dd", "2026-11-15", "完成时限"},
		{3, 22, "string", "", "已销号", "处置状态"},
		{3, 23, "date", "yyyy-mm-dd", "2026-11-30", "销号日期"},
		{5, 10, "date", "yyyy-mm-dd", "2024-03-15", "闲置起算日期"},
		{5, 11, "number", "0", 2.0, "闲置年数"},
		{5, 12, "number", "#,##0.0000", 240.5, "闲置费(万元)"},
		{5, 13, "string", "", "供而未用", "五未类型"},
		{5, 14, "", "", nil, "亩均税收 unknown"},
		{5, 16, "string", "", "红", "预警等级"},
		{5, 17, "string", "", "企业资金不足", "形成原因"},
		{5, 18, "string", "", "督促动工", "处置措施"},
		{5, 20, "string", "", "柯城区经信局", "责任单位"},
		{5, 21, "string", "", "王明", "责任人"},
		{5, 23, "", "", nil, "销号日期 empty"},
		{9, 12, "number", "#,##0.0000", 1234.567891, "闲置费 with more decimals than shown"},
		{9, 14, "number", "0.0000", 0.3333, "亩均税收"},
		{9, 19, "string", "", "年底前", "完成时限 that is not a date stays text"},
		{9, 20, "string", "", "=SUM(A1:A2)", "text that looks like a formula stays text"},
		{4, 8, "", "", nil, "与控制线关系 not computed"},
		{4, 9, "", "", nil, "闲置状态 of a parcel without classes"},
		{10, 23, "date", "yyyy-mm-dd", "2026-12-01", "销号日期"},
		{14, 3, "string", "", "无编号企业", "the parcel without a code"},
	} {
		c := s.cell(tc.row, tc.col)
		if c.Type != tc.typ || c.NumFmt != tc.numFmt || c.Value != tc.value {
			t.Errorf("%s (row %d, %s): %v (%s, %q), want %v (%s, %q)", tc.what, tc.row, ledgerHeaders[tc.col-1], c.Value, c.Type, c.NumFmt, tc.value, tc.typ, tc.numFmt)
		}
	}
	// Every cell of a date column holds a date, except the one deadline that is not a date.
	for r := 3; r <= 14; r++ {
		for _, col := range []int{10, 19, 23} {
			if c := s.cell(r, col); c.Value != nil && c.Type != "date" && !(r == 9 && col == 19) {
				t.Errorf("row %d %s: %v is a %s, not a date", r, ledgerHeaders[col-1], c.Value, c.Type)
			}
		}
	}
	if len(s.Views) != 1 || s.Views[0].State != "frozen" || s.Views[0].YSplit != 2 || s.Views[0].XSplit != 0 || s.Views[0].TopLeftCell != "A3" {
		t.Errorf("views %+v, want the two top rows frozen", s.Views)
	}
	if f := s.filter(); f != "A2:W14" {
		t.Errorf("auto-filter %q, want A2:W14", f)
	}
	// Widths fit the widest entry, a CJK character counting two: 责任单位 holds 15 CJK characters,
	// 权利人 13; 序号 stays narrow.
	if len(s.Widths) != len(ledgerHeaders) {
		t.Fatalf("%d column widths", len(s.Widths))
	}
	for _, tc := range []struct {
		col      int
		min, max float64
	}{{20, 30, 34}, {3, 26, 30}, {1, 6, 8}, {7, 10, 12}, {19, 12, 14}} {
		if w := s.Widths[tc.col-1]; w < tc.min || w > tc.max {
			t.Errorf("%s is %v wide, want %v..%v", ledgerHeaders[tc.col-1], w, tc.min, tc.max)
		}
	}
}

// TestLedgerXLSXEmpty writes the ledger of a layer without parcels: title and header only.
func TestLedgerXLSXEmpty(t *testing.T) {
	var buf bytes.Buffer
	sn := spatial.NewSnapshot(spatial.Layer{ID: "empty", Kind: spatial.KindParcels}, nil)
	if err := WriteLedgerXLSX(context.Background(), &buf, sn, nil, campaign.MustParseDate("2026-01-31")); err != nil {
		t.Fatal(err)
	}
	s := readXLSX(t, buf.Bytes()).sheet(t, "台账")
	if s.RowCount != 2 || s.cell(1, 1).Value != "empty 台账（截至 2026-01-31）" || s.cell(2, 23).Value != "销号日期" || s.filter() != "A2:W2" {
		t.Errorf("empty ledger: %d rows, title %v, filter %s", s.RowCount, s.cell(1, 1).Value, s.filter())
	}
}

func TestLedgerXLSXCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sn, classes := ledgerOfSize(3000)
	err := WriteLedgerXLSX(ctx, &bytes.Buffer{}, sn, classes, campaign.MustParseDate("2026-01-31"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// reportRows are hand-made report rows for November 2026 in two districts and four towns.
func reportRows() []campaign.ReportParcel {
	d := campaign.MustParseDate
	row := func(district, town string, mu float64, state string, xhrq, wcsx string, warning string) campaign.ReportParcel {
		r := campaign.ReportParcel{Group: map[string]string{"district": district, "town": town}, AreaMu: mu, State: state,
			Classes: campaign.Classes{Warning: warning, MuClass: campaign.ClassUnrated}}
		if xhrq != "" {
			r.ClosedOn = d(xhrq)
		}
		if wcsx != "" {
			r.Deadline = d(wcsx)
		}
		return r
	}
	return []campaign.ReportParcel{
		row("柯城区", "航埠镇", 10.5, "已销号", "2026-11-30", "", ""),
		row("柯城区", "航埠镇", 20.25, "处置中", "", "2026-11-01", campaign.Red),
		row("柯城区", "石室乡", 7.125, "已销号", "2026-12-01", "", ""),
		row("柯城区", "石室乡", 1.0001, "未启动", "", "", campaign.Green),
		row("衢江区", "莲花镇", 30, "已销号", "2026-11-02", "", ""),
		row("衢江区", "莲花镇", 0.3333, "待核验", "", "2026-12-15", campaign.Yellow),
		row("衢江区", "高家镇", 44.44, "", "", "", ""),
		row("", "", 5, "处置中", "", "2026-06-30", campaign.Red),
	}
}

// TestReportXLSX writes the report by district and by district and town with targets, and
// reads it back with exceljs: sheets, headers, one row per group and a 合计 row equal to the
// sum of the rows, numbers with their formats, the frozen panes and auto-filters, and the
// targets with real dates and percentages.
func TestReportXLSX(t *testing.T) {
	d := campaign.MustParseDate
	nov := campaign.MustParseMonth("2026-11")
	byDistrict, err := campaign.BuildReport(reportRows(), []string{"district"}, nov, []campaign.Target{
		{Group: []string{"柯城区"}, Mu: 50, Start: d("2026-01-01"), Due: d("2026-12-31")},
		{Group: []string{"衢江区"}, Mu: 25, Due: d("2027-06-30")},
	})
	if err != nil {
		t.Fatal(err)
	}
	byTown, err := campaign.BuildReport(reportRows(), []string{"district", "town"}, nov, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteReportXLSX(context.Background(), &buf, []campaign.Report{byDistrict, byTown}); err != nil {
		t.Fatal(err)
	}
	book := readXLSX(t, buf.Bytes())
	var names []string
	for _, s := range book.Sheets {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "按行政区,按行政区、乡镇,目标进度" {
		t.Fatalf("sheets %v", names)
	}
	for _, tc := range []struct {
		sheet   string
		keys    []string // group columns
		groups  [][]string
		title   string
		lastCol string
	}{
		{"按行政区", []string{"行政区"}, [][]string{{"柯城区"}, {"衢江区"}, {"(未填)"}}, "处置月报 2026年11月（按行政区，截至 2026-11-30）", "AQ"},
		{"按行政区、乡镇", []string{"行政区", "乡镇(街道)"}, [][]string{{"柯城区", "石室乡"}, {"柯城区", "航埠镇"}, {"衢江区", "莲花镇"}, {"衢江区", "高家镇"}, {"(未填)", "(未填)"}},
			"处置月报 2026年11月（按行政区、乡镇，截至 2026-11-30）", "AR"},
	} {
		t.Run(tc.sheet, func(t *testing.T) {
			s := book.sheet(t, tc.sheet)
			nk := len(tc.keys)
			ncol := nk + 42
			if s.cell(1, 1).Value != tc.title {
				t.Errorf("title %v", s.cell(1, 1).Value)
			}
			wantHeaders := append(append([]string{}, tc.keys...), "地块(宗)", "地块(亩)", "未启动(宗)", "未启动(亩)", "处置中(宗)", "处置中(亩)",
				"待核验(宗)", "待核验(亩)", "已销号(宗)", "已销号(亩)", "状态未填(宗)", "状态未填(亩)", "状态其他(宗)", "状态其他(亩)",
				"本月销号(宗)", "本月销号(亩)", "逾期未销号(宗)", "逾期未销号(亩)", "闲置满一年(宗)", "闲置满一年(亩)", "闲置满两年(宗)", "闲置满两年(亩)",
				"批而未供(宗)", "批而未供(亩)", "供而未用(宗)", "供而未用(亩)", "用而未尽(宗)", "用而未尽(亩)", "建而未投(宗)", "建而未投(亩)",
				"投而未达标(宗)", "投而未达标(亩)", "红色预警(宗)", "橙色预警(宗)", "黄色预警(宗)", "绿色预警(宗)", "无预警(宗)",
				"亩均A类(宗)", "亩均B类(宗)", "亩均C类(宗)", "亩均D类(宗)", "亩均未评价(宗)")
			if len(wantHeaders) != ncol {
				t.Fatalf("test lists %d headers", len(wantHeaders))
			}
			for i, h := range wantHeaders {
				if c := s.cell(2, i+1); c.Value != h {
					t.Errorf("header %d = %v, want %s", i+1, c.Value, h)
				}
			}
			if c := s.cell(2, ncol+1); c.Value != nil {
				t.Errorf("a column after the last header: %v", c.Value)
			}
			ng := len(tc.groups)
			if s.RowCount != ng+3 {
				t.Fatalf("%d rows, want title + header + %d groups + 合计", s.RowCount, ng)
			}
			for i, g := range tc.groups {
				for k, v := range g {
					if c := s.cell(3+i, k+1); c.Value != v {
						t.Errorf("group %d key %d = %v, want %s", i, k, c.Value, v)
					}
				}
			}
			totalRow := ng + 3
			if c := s.cell(totalRow, 1); c.Value != "合计" {
				t.Errorf("last row starts with %v, want 合计", c.Value)
			}
			for col := nk + 1; col <= ncol; col++ {
				wantFmt := "0"
				if strings.HasSuffix(wantHeaders[col-1], "(亩)") {
					wantFmt = "0.0000"
				}
				sum := 0.0
				for r := 3; r < totalRow; r++ {
					c := s.cell(r, col)
					v, ok := c.Value.(float64)
					if !ok || c.Type != "number" || c.NumFmt != wantFmt {
						t.Fatalf("row %d %s: %v (%s, %q), want a number with format %s", r, wantHeaders[col-1], c.Value, c.Type, c.NumFmt, wantFmt)
					}
					sum += v
				}
				c := s.cell(totalRow, col)
				if v, ok := c.Value.(float64); !ok || c.Type != "number" || c.NumFmt != wantFmt || math.Abs(v-sum) > 1e-9*math.Max(1, math.Abs(sum)) {
					t.Errorf("合计 %s = %v (%s, %q), want %v, the sum of the rows", wantHeaders[col-1], c.Value, c.Type, c.NumFmt, sum)
				}
			}
			// Figures worked by hand: all parcels 118.6484 亩; closed in November: 10.5 + 30.
			for _, tc := range []struct {
				header string
				want   float64
			}{{"地块(宗)", 8}, {"地块(亩)", 118.6484}, {"本月销号(宗)", 2}, {"本月销号(亩)", 40.5}, {"已销号(亩)", 47.625},
				{"逾期未销号(宗)", 2}, {"逾期未销号(亩)", 25.25}, {"状态未填(亩)", 44.44}, {"红色预警(宗)", 2}, {"无预警(宗)", 4}, {"亩均未评价(宗)", 8}} {
				col := nk + 1
				for wantHeaders[col-1] != tc.header {
					col++
				}
				if v, _ := s.cell(totalRow, col).Value.(float64); math.Abs(v-tc.want) > 1e-9 {
					t.Errorf("合计 %s = %v, want %v", tc.header, v, tc.want)
				}
			}
			if len(s.Views) != 1 || s.Views[0].State != "frozen" || s.Views[0].YSplit != 2 || s.Views[0].XSplit != nk {
				t.Errorf("views %+v, want the two top rows and %d group columns frozen", s.Views, nk)
			}
			if f, want := s.filter(), fmt.Sprintf("A2:%s%d", tc.lastCol, totalRow-1); f != want {
				t.Errorf("auto-filter %s, want %s (header and groups, not 合计)", f, want)
			}
		})
	}

	s := book.sheet(t, "目标进度")
	if s.RowCount != 4 {
		t.Fatalf("目标进度: %d rows, want title + header + 2", s.RowCount)
	}
	for i, h := range []string{"分组", "对象", "目标面积(亩)", "起始日期", "完成期限", "已销号(宗)", "已销号(亩)", "完成进度", "时间进度", "状态", "统计截至"} {
		if c := s.cell(2, i+1); c.Value != h {
			t.Errorf("目标进度 header %d = %v, want %s", i+1, c.Value, h)
		}
	}
	// 柯城区: 10.5 亩 closed by 11-30 since 01-01 (7.125 closed 12-01 does not count): 21 % of
	// 50, behind 334/365 of the year. 衢江区: 30 of 25 亩, done; no start.
	for _, tc := range []struct {
		row, col    int
		typ, numFmt string
		value       any
	}{
		{3, 1, "string", "", "按行政区"}, {3, 2, "string", "", "柯城区"}, {3, 3, "number", "0.0000", 50.0},
		{3, 4, "date", "yyyy-mm-dd", "2026-01-01"}, {3, 5, "date", "yyyy-mm-dd", "2026-12-31"},
		{3, 6, "number", "0", 1.0}, {3, 7, "number", "0.0000", 10.5}, {3, 8, "number", "0.0%", 0.21},
		{3, 9, "number", "0.0%", 334.0 / 365}, {3, 10, "string", "", "进度滞后"}, {3, 11, "date", "yyyy-mm-dd", "2026-11-30"},
		{4, 2, "string", "", "衢江区"}, {4, 4, "", "", nil}, {4, 5, "date", "yyyy-mm-dd", "2027-06-30"},
		{4, 6, "number", "0", 1.0}, {4, 7, "number", "0.0000", 30.0}, {4, 8, "number", "0.0%", 1.2},
		{4, 9, "", "", nil}, {4, 10, "string", "", "已完成"},
	} {
		c := s.cell(tc.row, tc.col)
		if c.Type != tc.typ || c.NumFmt != tc.numFmt || c.Value != tc.value {
			if v, ok := c.Value.(float64); ok && c.Type == tc.typ && c.NumFmt == tc.numFmt && math.Abs(v-tc.value.(float64)) < 1e-12 {
				continue
			}
			t.Errorf("目标进度 row %d col %d: %v (%s, %q), want %v (%s, %q)", tc.row, tc.col, c.Value, c.Type, c.NumFmt, tc.value, tc.typ, tc.numFmt)
		}
	}
}

// TestReportXLSXSheetNames: a report without grouping, repeated groupings and a key that
// names an attribute.
func TestReportXLSXSheetNames(t *testing.T) {
	nov := campaign.MustParseMonth("2026-11")
	var reports []campaign.Report
	for _, g := range [][]string{nil, {"district"}, {"district"}, {"YQMC"}, {"park"}, {"town"}, {"片区/编号"}} {
		rep, err := campaign.BuildReport(reportRows(), g, nov, nil)
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, rep)
	}
	var buf bytes.Buffer
	if err := WriteReportXLSX(context.Background(), &buf, reports); err != nil {
		t.Fatal(err)
	}
	book := readXLSX(t, buf.Bytes())
	var names []string
	for _, s := range book.Sheets {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "全部,按行政区,按行政区(2),按所在园区,按园区,按乡镇,按片区_编号" {
		t.Errorf("sheets %s", got)
	}
	all := book.sheet(t, "全部")
	if all.RowCount != 3 || all.cell(2, 1).Value != "范围" || all.cell(3, 1).Value != "合计" || all.cell(3, 2).Value != 8.0 {
		t.Errorf("report without grouping: %d rows, %v / %v / %v", all.RowCount, all.cell(2, 1).Value, all.cell(3, 1).Value, all.cell(3, 2).Value)
	}

	if err := WriteReportXLSX(context.Background(), &buf, nil); err == nil {
		t.Error("no error for no report")
	} else if pe := (*ParamError)(nil); !errors.As(err, &pe) || pe.Param != "reports" {
		t.Errorf("error %v, want a ParamError naming reports", err)
	}
}
