package gisio

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/mudi-gis/mudi/spatial/campaign"
)

// XLSXMediaType is the Content-Type of the Excel workbooks written by [WriteLedgerXLSX] and
// [WriteReportXLSX].
const XLSXMediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// cellKind is the type and number format of a column of a workbook.
type cellKind int

const (
	kindText    cellKind = iota // text as it is
	kindInt                     // whole number, format 0
	kindMu                      // area in 亩, format 0.0000
	kindMoney                   // 万元, format #,##0.0000
	kindRate                    // 万元/亩, format 0.0000
	kindDate                    // calendar date, format yyyy-mm-dd
	kindPercent                 // share 0..1, format 0.0%
)

// numFmt is the Excel number format of each kind (none for text).
var numFmt = map[cellKind]string{
	kindInt:     "0",
	kindMu:      "0.0000",
	kindMoney:   "#,##0.0000",
	kindRate:    "0.0000",
	kindDate:    "yyyy-mm-dd",
	kindPercent: "0.0%",
}

// xlsxColumn is one column of a sheet: its header and kind.
type xlsxColumn struct {
	header string
	kind   cellKind
}

// xlsxSheet describes one sheet: a title row across the table, a header row, the data rows and
// an optional totals row. The first freezeCols columns and the two top rows stay in view; the
// auto-filter covers the header and the data rows (not the totals).
type xlsxSheet struct {
	name       string
	title      string
	cols       []xlsxColumn
	freezeCols int
	// rows calls emit once per data row with one value per column: nil (empty cell), string,
	// int, int64, float64 or campaign.Date (an empty Date is an empty cell). A string in a
	// date column is written as text. rows is called twice: once to measure the columns,
	// once to write; it must give the same rows both times.
	rows  func(ctx context.Context, emit func(row []any) error) error
	total []any // the totals row, nil for none
}

// xlsxStyles are the cell styles of a workbook: per kind a plain and a bold (totals) style.
type xlsxStyles struct {
	title, header int
	plain, bold   map[cellKind]int
}

func newStyles(f *excelize.File) (*xlsxStyles, error) {
	s := &xlsxStyles{plain: map[cellKind]int{}, bold: map[cellKind]int{}}
	var err error
	if s.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14},
		Alignment: &excelize.Alignment{Vertical: "center"}}); err != nil {
		return nil, err
	}
	border := []excelize.Border{{Type: "left", Color: "808080", Style: 1}, {Type: "right", Color: "808080", Style: 1},
		{Type: "top", Color: "808080", Style: 1}, {Type: "bottom", Color: "808080", Style: 1}}
	if s.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}); err != nil {
		return nil, err
	}
	for _, k := range []cellKind{kindText, kindInt, kindMu, kindMoney, kindRate, kindDate, kindPercent} {
		for _, bold := range []bool{false, true} {
			st := &excelize.Style{}
			if nf, ok := numFmt[k]; ok {
				st.CustomNumFmt = &nf
			}
			if bold {
				st.Font = &excelize.Font{Bold: true}
				st.Border = []excelize.Border{{Type: "top", Color: "000000", Style: 1}}
			}
			id, err := f.NewStyle(st)
			if err != nil {
				return nil, err
			}
			if bold {
				s.bold[k] = id
			} else {
				s.plain[k] = id
			}
		}
	}
	return s, nil
}

// Column widths, in Excel's units (about one Latin digit): a CJK character counts two.
const (
	minColumnWidth = 6
	maxColumnWidth = 60
)

// textWidth is the display width of s: two for a wide (CJK, full-width) character, one for
// any other.
func textWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115F || (r >= 0x2E80 && r <= 0xA4CF) || (r >= 0xAC00 && r <= 0xD7A3) ||
			(r >= 0xF900 && r <= 0xFAFF) || (r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
			(r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x20000 && r <= 0x3FFFD)) {
			w += 2
		} else {
			w++
		}
	}
	return w
}

// cellWidth is the display width of a value as the column's number format shows it.
func cellWidth(v any, k cellKind) int {
	switch v := v.(type) {
	case nil:
		return 0
	case string:
		return textWidth(v)
	case campaign.Date:
		return 10
	case int:
		return len(strconv.Itoa(v))
	case int64:
		return len(strconv.FormatInt(v, 10))
	case float64:
		switch k {
		case kindPercent:
			return len(strconv.FormatFloat(v*100, 'f', 1, 64)) + 1
		case kindMoney:
			s := strconv.FormatFloat(v, 'f', 4, 64)
			return len(s) + (len(s)-6)/3 // thousands separators
		case kindInt:
			return len(strconv.FormatFloat(v, 'f', 0, 64))
		}
		return len(strconv.FormatFloat(v, 'f', 4, 64))
	}
	return utf8.RuneCountInString(fmt.Sprint(v))
}

// excelEpoch is day 0 of Excel's 1900 date system as it counts from 1 March 1900 on.
var excelEpoch = campaign.MustParseDate("1899-12-30")

// firstSerialDate is the first date whose Excel serial number is right: Excel counts a
// 29 February 1900 that never was, so earlier dates are written as text.
var firstSerialDate = campaign.MustParseDate("1900-03-01")

// cell returns the cell to write for value v of a column of kind k.
func (s *xlsxStyles) cell(v any, k cellKind, bold bool) any {
	styles := s.plain
	if bold {
		styles = s.bold
	}
	switch x := v.(type) {
	case nil:
		return nil
	case campaign.Date:
		if x.IsZero() {
			return nil
		}
		if x.Before(firstSerialDate) {
			return excelize.Cell{StyleID: styles[kindText], Value: x.String()}
		}
		return excelize.Cell{StyleID: styles[kindDate], Value: x.DaysSince(excelEpoch)}
	case string:
		if x == "" {
			return nil
		}
		return excelize.Cell{StyleID: styles[kindText], Value: x}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil // no number in a workbook is NaN or infinite
		}
	}
	return excelize.Cell{StyleID: styles[k], Value: v}
}

// writeSheet writes sh with a streaming writer into the sheet sh.name, which must exist and be
// empty; it checks ctx every 1024 rows.
func writeSheet(ctx context.Context, f *excelize.File, st *xlsxStyles, sh *xlsxSheet) error {
	ncol := len(sh.cols)
	widths := make([]int, ncol)
	for i, c := range sh.cols {
		widths[i] = textWidth(c.header)
	}
	n := 0
	measure := func(row []any) error {
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for i, v := range row {
			widths[i] = max(widths[i], cellWidth(v, sh.cols[i].kind))
		}
		return nil
	}
	if err := sh.rows(ctx, measure); err != nil {
		return err
	}
	for i, v := range sh.total {
		widths[i] = max(widths[i], cellWidth(v, sh.cols[i].kind))
	}

	sw, err := f.NewStreamWriter(sh.name)
	if err != nil {
		return err
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, float64(min(max(w+2, minColumnWidth), maxColumnWidth))); err != nil {
			return err
		}
	}
	first := cellName(sh.freezeCols+1, 3)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: sh.freezeCols, YSplit: 2, TopLeftCell: first,
		ActivePane: activePane(sh.freezeCols), Selection: []excelize.Selection{{SQRef: first, ActiveCell: first, Pane: activePane(sh.freezeCols)}}}); err != nil {
		return err
	}
	if err := sw.MergeCell("A1", cellName(ncol, 1)); err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: st.title, Value: sh.title}}, excelize.RowOpts{Height: 24}); err != nil {
		return err
	}
	header := make([]any, ncol)
	for i, c := range sh.cols {
		header[i] = excelize.Cell{StyleID: st.header, Value: c.header}
	}
	if err := sw.SetRow("A2", header, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	r := 2
	cells := make([]any, ncol)
	write := func(row []any, bold bool) error {
		r++
		if r&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for i, v := range row {
			cells[i] = st.cell(v, sh.cols[i].kind, bold)
		}
		return sw.SetRow(cellName(1, r), cells)
	}
	if err := sh.rows(ctx, func(row []any) error { return write(row, false) }); err != nil {
		return err
	}
	if r-2 != n {
		return fmt.Errorf("gisio: sheet %s: %d rows written, %d measured", sh.name, r-2, n)
	}
	lastData := r
	if sh.total != nil {
		if err := write(sh.total, true); err != nil {
			return err
		}
	}
	// The stream writer shares the sheet's settings with the workbook until Flush, so the
	// auto-filter set here is written with the sheet.
	if err := f.AutoFilter(sh.name, "A2:"+cellName(ncol, lastData), nil); err != nil {
		return err
	}
	return sw.Flush()
}

func activePane(freezeCols int) string {
	if freezeCols > 0 {
		return "bottomRight"
	}
	return "bottomLeft"
}

// cellName returns the A1 name of the cell at 1-based column col and row.
func cellName(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		panic(err) // columns and rows are within Excel's limits by construction
	}
	return name
}

// writeWorkbook writes sheets, in order, as one workbook to w.
func writeWorkbook(ctx context.Context, w io.Writer, sheets []*xlsxSheet) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	for i, sh := range sheets {
		if i == 0 {
			err = f.SetSheetName(f.GetSheetName(0), sh.name)
		} else {
			_, err = f.NewSheet(sh.name)
		}
		if err != nil {
			return fmt.Errorf("gisio: sheet %q: %w", sh.name, err)
		}
	}
	for _, sh := range sheets {
		if err := writeSheet(ctx, f, st, sh); err != nil {
			return err
		}
	}
	// The first sheet is the active one. Nothing may touch a sheet after its stream is flushed:
	// excelize would read the whole sheet back into cell objects (SetActiveSheet does).
	return f.Write(w)
}

// sheetName makes s a valid, unused Excel sheet name: at most 31 characters, none of
// : \ / ? * [ ], not starting or ending with an apostrophe; a name already in taken gets a
// suffix (2), (3) ….
func sheetName(s string, taken map[string]bool) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, s)
	s = strings.Trim(s, "'")
	if s == "" {
		s = "Sheet"
	}
	cut := func(s string, n int) string {
		if r := []rune(s); len(r) > n {
			return string(r[:n])
		}
		return s
	}
	name := cut(s, 31)
	for i := 2; taken[strings.ToLower(name)]; i++ {
		suffix := fmt.Sprintf("(%d)", i)
		name = cut(s, 31-len(suffix)) + suffix
	}
	taken[strings.ToLower(name)] = true
	return name
}
