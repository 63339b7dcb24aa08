package gisio

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// ledgerSheetName is the name of the ledger's sheet.
const ledgerSheetName = "台账"

// ledgerRow is what one row of the ledger is read from.
type ledgerRow struct {
	n      int // row number, from 1
	f      *spatial.Feature
	c      campaign.Classes // zero when the feature has no computed classes
	fields *ledgerFields
}

// ledgerFields are the attributes the ledger reads, resolved against the layer.
type ledgerFields struct {
	code, owner, district, town, park string // the fields playing these roles, "" for none
	// The ledger fields (一宗一策), by their conventional codes in the layer's letter case.
	cause, measure, deadline, unit, person, state, closedOn string
}

// ledgerColumn is one column of the ledger: its header, kind and value.
type ledgerColumn struct {
	xlsxColumn
	value func(r *ledgerRow) any
}

// ledgerColumns are the columns of the ledger, in order. The parcel's identity and place come
// from the fields playing the roles code, owner, district, town and park; its area is mudi's
// ellipsoidal area in 亩; the computed columns (闲置状态 … 预警等级) are the classes as of the
// ledger's date (empty when the classes were not computed); the ledger fields are read from
// their conventional codes XCYY, CZCS, WCSX, ZRDW, ZRR, CZZT (or the disposal_state role) and
// XHRQ.
var ledgerColumns = []ledgerColumn{
	{xlsxColumn{"序号", kindInt}, func(r *ledgerRow) any { return r.n }},
	{xlsxColumn{"地块编号", kindText}, func(r *ledgerRow) any { return r.text(r.fields.code) }},
	{xlsxColumn{"权利人", kindText}, func(r *ledgerRow) any { return r.text(r.fields.owner) }},
	{xlsxColumn{"行政区", kindText}, func(r *ledgerRow) any { return r.text(r.fields.district) }},
	{xlsxColumn{"乡镇(街道)", kindText}, func(r *ledgerRow) any { return r.text(r.fields.town) }},
	{xlsxColumn{"所在园区", kindText}, func(r *ledgerRow) any { return r.text(r.fields.park) }},
	{xlsxColumn{"面积(亩)", kindMu}, func(r *ledgerRow) any { return r.f.Derived.AreaMu }},
	{xlsxColumn{"与控制线关系", kindText}, func(r *ledgerRow) any { return controlPositions[r.f.Derived.ControlPosition] }},
	{xlsxColumn{"闲置状态", kindText}, func(r *ledgerRow) any { return r.c.IdleClass }},
	// idle_since: the day the parcel became idle, the first anniversary of the idle clock.
	{xlsxColumn{"闲置起算日期", kindDate}, func(r *ledgerRow) any { return r.c.IdleSince }},
	{xlsxColumn{"闲置年数", kindInt}, func(r *ledgerRow) any { return intOrNil(r.c.IdleYears) }},
	{xlsxColumn{"闲置费(万元)", kindMoney}, func(r *ledgerRow) any { return floatOrNil(r.c.IdleFeeWan) }},
	{xlsxColumn{"五未类型", kindText}, func(r *ledgerRow) any { return r.c.Wuwei }},
	{xlsxColumn{"亩均税收(万元/亩)", kindRate}, func(r *ledgerRow) any { return floatOrNil(r.c.MuTax) }},
	{xlsxColumn{"亩均等级", kindText}, func(r *ledgerRow) any { return r.c.MuClass }},
	{xlsxColumn{"预警等级", kindText}, func(r *ledgerRow) any { return r.c.Warning }},
	{xlsxColumn{"形成原因", kindText}, func(r *ledgerRow) any { return r.text(r.fields.cause) }},
	{xlsxColumn{"处置措施", kindText}, func(r *ledgerRow) any { return r.text(r.fields.measure) }},
	{xlsxColumn{"完成时限", kindDate}, func(r *ledgerRow) any { return r.date(r.fields.deadline) }},
	{xlsxColumn{"责任单位", kindText}, func(r *ledgerRow) any { return r.text(r.fields.unit) }},
	{xlsxColumn{"责任人", kindText}, func(r *ledgerRow) any { return r.text(r.fields.person) }},
	{xlsxColumn{"处置状态", kindText}, func(r *ledgerRow) any { return r.text(r.fields.state) }},
	{xlsxColumn{"销号日期", kindDate}, func(r *ledgerRow) any { return r.date(r.fields.closedOn) }},
}

// controlPositions are the Chinese words for the control positions; no position, no word.
var controlPositions = map[spatial.Position]any{
	spatial.Inside:     "线内",
	spatial.Straddling: "跨线",
	spatial.Outside:    "线外",
}

func (r *ledgerRow) text(field string) any {
	if field == "" {
		return nil
	}
	s := strings.TrimSpace(r.f.Attrs.String(field))
	if s == "" {
		return nil
	}
	return s
}

// date returns the date in field: a campaign.Date, or the text as it is when it is not an ISO
// date, so that nothing recorded is lost.
func (r *ledgerRow) date(field string) any {
	v := r.text(field)
	s, ok := v.(string)
	if !ok {
		return v
	}
	if d, err := campaign.ParseDate(s); err == nil {
		return d
	}
	return s
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func floatOrNil(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// resolveLedgerFields finds the ledger's fields in layer l: for the parcel's identity and place
// the fields playing the roles, or else the role's conventional fields (DKBH, QLR, XZQMC …);
// for the ledger fields their conventional codes, in the layer's letter case.
func resolveLedgerFields(l *spatial.Layer) *ledgerFields {
	byUpper := make(map[string]string, len(l.Fields))
	for _, f := range l.Fields {
		byUpper[strings.ToUpper(f.Name)] = f.Name
	}
	code := func(c string) string {
		if name, ok := byUpper[c]; ok {
			return name
		}
		return c
	}
	role := func(r string) string {
		if name, ok := l.Role(r); ok {
			return name
		}
		for _, c := range spatial.RoleCandidates(r) {
			if name, ok := byUpper[strings.ToUpper(c)]; ok {
				return name
			}
		}
		return ""
	}
	cf := campaign.FieldsOf(l)
	return &ledgerFields{
		code: role(spatial.RoleCode), owner: role(spatial.RoleOwner), district: role(spatial.RoleDistrict),
		town: role(spatial.RoleTown), park: role(spatial.RolePark),
		cause: code("XCYY"), measure: code("CZCS"), deadline: cf.Deadline, unit: code("ZRDW"),
		person: code("ZRR"), state: cf.DisposalState, closedOn: code(campaign.ClosedOnField),
	}
}

// WriteLedgerXLSX writes the ledger (台账) of the parcels of sn as an Excel workbook to w: one
// sheet named 台账 with a title row naming the layer and the date asOf, a header row of Chinese
// column names (序号, 地块编号, 权利人, 行政区, 乡镇(街道), 所在园区, 面积(亩), 与控制线关系, 闲置状态,
// 闲置起算日期, 闲置年数, 闲置费(万元), 五未类型, 亩均税收(万元/亩), 亩均等级, 预警等级, 形成原因,
// 处置措施, 完成时限, 责任单位, 责任人, 处置状态, 销号日期), then one row per parcel in order of
// its code (byte order; parcels without a code last, ties by id). 与控制线关系 is 线内, 跨线 or
// 线外 (empty when the layer has no control layer).
//
// classes are the parcels' classes as of asOf ([campaign.ComputeLayer]); a parcel missing from
// it has empty computed columns. Areas are numbers shown with four decimals (0.0000), money and
// 亩均税收 numbers, dates real Excel dates shown as yyyy-mm-dd (a date attribute that is not an
// ISO date is kept as text; dates before 1 March 1900, which Excel cannot number, too). The
// title and header rows are frozen, the auto-filter covers the header and the parcels, and each
// column is as wide as its widest entry (a CJK character counting two), within 6 to 60.
//
// Rows are streamed: memory holds one row of cells at a time, the code and a pointer per
// parcel for the code order, the stream's buffer (at most 16 MiB of sheet XML; beyond that it
// goes to a temporary file) and the compressed workbook while it is copied to w (about 1 MB
// per 10 000 parcels). It checks ctx every 1024 rows.
func WriteLedgerXLSX(ctx context.Context, w io.Writer, sn *spatial.Snapshot, classes map[spatial.FeatureID]campaign.Classes, asOf campaign.Date) error {
	fields := resolveLedgerFields(&sn.Layer)
	type keyed struct {
		code string
		f    *spatial.Feature
	}
	order := make([]keyed, sn.Len())
	for i, f := range sn.Features() {
		order[i].f = f
		if fields.code != "" {
			order[i].code = strings.TrimSpace(f.Attrs.String(fields.code))
		}
	}
	slices.SortStableFunc(order, func(a, b keyed) int {
		switch {
		case a.code == b.code:
			return 0 // stable: id order
		case a.code == "":
			return 1
		case b.code == "":
			return -1
		}
		return strings.Compare(a.code, b.code)
	})
	cols := make([]xlsxColumn, len(ledgerColumns))
	for i, c := range ledgerColumns {
		cols[i] = c.xlsxColumn
	}
	title := sn.Layer.Title
	if title == "" {
		title = sn.Layer.ID
	}
	sheet := &xlsxSheet{
		name:       ledgerSheetName,
		title:      title + " 台账（截至 " + asOf.String() + "）",
		cols:       cols,
		freezeCols: 0,
		rows: func(ctx context.Context, emit func([]any) error) error {
			vals := make([]any, len(ledgerColumns))
			r := ledgerRow{fields: fields}
			for i, o := range order {
				f := o.f
				r.n, r.f = i+1, f
				r.c = classes[f.ID]
				for k, c := range ledgerColumns {
					vals[k] = c.value(&r)
				}
				if err := emit(vals); err != nil {
					return err
				}
			}
			return nil
		},
	}
	return writeWorkbook(ctx, w, []*xlsxSheet{sheet})
}
