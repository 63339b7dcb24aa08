package gisio

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// reportColumn is one figure column of a monthly report sheet.
type reportColumn struct {
	xlsxColumn
	value func(t *campaign.Tally) any
}

// countColumns returns the two columns of a count: parcels (宗) and area (亩).
func countColumns(label string, c func(t *campaign.Tally) campaign.Count) []reportColumn {
	return []reportColumn{
		{xlsxColumn{label + "(宗)", kindInt}, func(t *campaign.Tally) any { return c(t).Parcels }},
		{xlsxColumn{label + "(亩)", kindMu}, func(t *campaign.Tally) any { return c(t).Mu }},
	}
}

// intColumn returns a column of a number of parcels.
func intColumn(label string, n func(t *campaign.Tally) int) reportColumn {
	return reportColumn{xlsxColumn{label + "(宗)", kindInt}, func(t *campaign.Tally) any { return n(t) }}
}

// reportColumns are the figure columns of a monthly report sheet, after the group columns; see
// [campaign.Tally] for what each counts.
var reportColumns = func() []reportColumn {
	type T = campaign.Tally
	var cols []reportColumn
	add := func(c ...reportColumn) { cols = append(cols, c...) }
	add(countColumns("地块", func(t *T) campaign.Count { return t.All })...)
	add(countColumns("未启动", func(t *T) campaign.Count { return t.State.NotStarted })...)
	add(countColumns("处置中", func(t *T) campaign.Count { return t.State.InProgress })...)
	add(countColumns("待核验", func(t *T) campaign.Count { return t.State.AwaitingCheck })...)
	add(countColumns("已销号", func(t *T) campaign.Count { return t.State.ClosedOff })...)
	add(countColumns("状态未填", func(t *T) campaign.Count { return t.State.Unset })...)
	add(countColumns("状态其他", func(t *T) campaign.Count { return t.State.Other })...)
	add(countColumns("本月销号", func(t *T) campaign.Count { return t.ClosedInMonth })...)
	add(countColumns("逾期未销号", func(t *T) campaign.Count { return t.Overdue })...)
	add(countColumns("闲置满一年", func(t *T) campaign.Count { return t.Idle.OneYear })...)
	add(countColumns("闲置满两年", func(t *T) campaign.Count { return t.Idle.TwoYears })...)
	add(countColumns("批而未供", func(t *T) campaign.Count { return t.Wuwei.ApprovedNotSupplied })...)
	add(countColumns("供而未用", func(t *T) campaign.Count { return t.Wuwei.SuppliedNotUsed })...)
	add(countColumns("用而未尽", func(t *T) campaign.Count { return t.Wuwei.UsedNotFinished })...)
	add(countColumns("建而未投", func(t *T) campaign.Count { return t.Wuwei.BuiltNotProducing })...)
	add(countColumns("投而未达标", func(t *T) campaign.Count { return t.Wuwei.ProducingBelowPar })...)
	add(intColumn("红色预警", func(t *T) int { return t.Warning.Red }),
		intColumn("橙色预警", func(t *T) int { return t.Warning.Orange }),
		intColumn("黄色预警", func(t *T) int { return t.Warning.Yellow }),
		intColumn("绿色预警", func(t *T) int { return t.Warning.Green }),
		intColumn("无预警", func(t *T) int { return t.Warning.None }),
		intColumn("亩均A类", func(t *T) int { return t.MuClass.A }),
		intColumn("亩均B类", func(t *T) int { return t.MuClass.B }),
		intColumn("亩均C类", func(t *T) int { return t.MuClass.C }),
		intColumn("亩均D类", func(t *T) int { return t.MuClass.D }),
		intColumn("亩均未评价", func(t *T) int { return t.MuClass.T }))
	return cols
}()

// groupLabels are the column header and the short name (for sheet names) of the grouping
// keys that name roles.
var groupLabels = map[string][2]string{
	spatial.RoleDistrict: {"行政区", "行政区"},
	spatial.RoleTown:     {"乡镇(街道)", "乡镇"},
	spatial.RolePark:     {"所在园区", "园区"},
}

// groupLabel returns the column header and short name of a grouping key: the role's label,
// else the Chinese label of a conventional field code, else the key itself.
func groupLabel(key string) (header, short string) {
	if l, ok := groupLabels[key]; ok {
		return l[0], l[1]
	}
	if a, ok := spatial.FieldAliases[strings.ToUpper(key)]; ok {
		return a, a
	}
	return key, key
}

// Labels of the report workbook.
const (
	totalLabel   = "合计"
	noValueLabel = "(未填)"
	targetsSheet = "目标进度"
)

// targetStatuses are the Chinese words for the target statuses.
var targetStatuses = map[string]string{
	campaign.TargetDone:    "已完成",
	campaign.TargetOnTrack: "进度正常",
	campaign.TargetBehind:  "进度滞后",
	campaign.TargetUnknown: "无起始日期，无法判断",
}

// WriteReportXLSX writes monthly reports ([campaign.BuildReport]) as one Excel workbook to w:
// a sheet per report, named after its grouping (按行政区, 按乡镇, 按园区, 按行政区、乡镇 …; 全部 for
// a report without grouping), then, when any report has targets, a sheet 目标进度.
//
// A report sheet has a title row (month and date of the figures), a header row of Chinese
// column names — the grouping keys, then parcels (宗) and area (亩) of every count of
// [campaign.Tally] and the numbers of parcels by warning colour and 亩均 class —, one row per
// group in the report's order (a group without a value shows (未填)) and a 合计 row with the
// report's total, which is the sum of the group rows. Counts and areas are numbers; areas are
// shown with four decimals (0.0000). The title and header rows and the group columns are
// frozen; the auto-filter covers the header and the group rows.
//
// The 目标进度 sheet has one row per target: the report's sheet, the group (全部 for a target
// of the whole report), the target area, start and due dates (real dates), the parcels and
// area closed off, the progress and the elapsed share of the period (percentages) and the
// status (已完成, 进度正常, 进度滞后, or 无法判断 without a start date), and the date of the
// figures.
//
// It returns a [*ParamError] naming "reports" when there is none.
func WriteReportXLSX(ctx context.Context, w io.Writer, reports []campaign.Report) error {
	if len(reports) == 0 {
		return &ParamError{Param: "reports", Reason: "no report to write"}
	}
	taken := map[string]bool{strings.ToLower(targetsSheet): true}
	var sheets []*xlsxSheet
	type targetRow struct {
		sheet string
		p     campaign.Progress
		asOf  campaign.Date
	}
	var targets []targetRow
	for i := range reports {
		rep := &reports[i]
		sh := reportSheet(rep, taken)
		sheets = append(sheets, sh)
		for _, p := range rep.Targets {
			targets = append(targets, targetRow{sh.name, p, rep.To})
		}
	}
	if len(targets) > 0 {
		sheets = append(sheets, &xlsxSheet{
			name:  targetsSheet,
			title: "处置目标进度",
			cols: []xlsxColumn{{"分组", kindText}, {"对象", kindText}, {"目标面积(亩)", kindMu},
				{"起始日期", kindDate}, {"完成期限", kindDate}, {"已销号(宗)", kindInt}, {"已销号(亩)", kindMu},
				{"完成进度", kindPercent}, {"时间进度", kindPercent}, {"状态", kindText}, {"统计截至", kindDate}},
			freezeCols: 2,
			rows: func(_ context.Context, emit func([]any) error) error {
				for _, t := range targets {
					p := t.p
					group := "全部"
					if len(p.Group) > 0 {
						vals := make([]string, len(p.Group))
						for i, v := range p.Group {
							vals[i] = valueLabel(v)
						}
						group = strings.Join(vals, " / ")
					}
					if err := emit([]any{t.sheet, group, p.Mu, p.Start, p.Due, p.ClosedParcels, p.ClosedMu,
						p.Progress, floatOrNil(p.Elapsed), targetStatuses[p.Status], t.asOf}); err != nil {
						return err
					}
				}
				return nil
			},
		})
	}
	return writeWorkbook(ctx, w, sheets)
}

// valueLabel shows a group value, (未填) for none.
func valueLabel(v string) string {
	if v == "" {
		return noValueLabel
	}
	return v
}

// reportSheet lays out one report as a sheet whose name is not yet in taken.
func reportSheet(rep *campaign.Report, taken map[string]bool) *xlsxSheet {
	var headers, shorts []string
	for _, k := range rep.GroupBy {
		h, s := groupLabel(k)
		headers, shorts = append(headers, h), append(shorts, s)
	}
	name, by := "全部", "全部地块"
	if len(shorts) > 0 {
		name, by = "按"+strings.Join(shorts, "、"), "按"+strings.Join(shorts, "、")
	}
	if len(headers) == 0 {
		headers = []string{"范围"}
	}
	nkey := len(headers)
	cols := make([]xlsxColumn, 0, nkey+len(reportColumns))
	for _, h := range headers {
		cols = append(cols, xlsxColumn{h, kindText})
	}
	for _, c := range reportColumns {
		cols = append(cols, c.xlsxColumn)
	}
	row := func(key []string, t *campaign.Tally) []any {
		vals := make([]any, 0, len(cols))
		for _, k := range key {
			vals = append(vals, k)
		}
		for len(vals) < nkey {
			vals = append(vals, nil)
		}
		for _, c := range reportColumns {
			vals = append(vals, c.value(t))
		}
		return vals
	}
	month := rep.Month.String()
	if m := rep.Month; !m.IsZero() {
		month = fmt.Sprintf("%d年%d月", m.Year(), int(m.Month()))
	}
	return &xlsxSheet{
		name:       sheetName(name, taken),
		title:      fmt.Sprintf("处置月报 %s（%s，截至 %s）", month, by, rep.To),
		cols:       cols,
		freezeCols: nkey,
		rows: func(_ context.Context, emit func([]any) error) error {
			for i := range rep.Groups {
				g := &rep.Groups[i]
				key := make([]string, len(g.Key))
				for k, v := range g.Key {
					key[k] = valueLabel(v)
				}
				if err := emit(row(key, &g.Tally)); err != nil {
					return err
				}
			}
			return nil
		},
		total: row([]string{totalLabel}, &rep.Total),
	}
}
