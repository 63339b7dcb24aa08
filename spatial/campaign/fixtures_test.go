package campaign

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/paulmach/orb"
)

// The two dates every fixture is computed at.
var (
	d1 = MustParseDate("2026-06-30")
	d2 = MustParseDate("2027-03-01")
)

// Fragments of expectations that many parcels share. An expectation lists key=value for every
// published key that is not null, separated by spaces; a key that is not listed must be null.
const (
	notIdle = "idle_class=未闲置 idle_fee_wan=0 may_reclaim=false"
	noTax   = "mu_class=T mu_tax_reason=缺少税收(SS)与亩均税收(MJSS)"
	noStart = "缺少约定动工日期(YDDGRQ)与供地日期(GDRQ)"
	// A parcel that started long ago, has nothing overdue and no tax figure.
	calm = "start_due=2021-01-01 " + notIdle + " " + noTax
	// A parcel in production since 2023 or earlier, started and completed on time.
	producing = "start_due=2021-01-01 " + notIdle + " warning=绿"
)

type fixture struct {
	name       string
	attrs      spatial.Attrs
	area       float64 // 亩
	atD1, atD2 string  // expected as of d1 and d2
}

// fixtures are hand-made parcels; the expected values were worked out by hand from the rules in
// doc.go. The whole set is one layer, so the 亩均 classes rank the rated parcels among
// themselves: as of d1 they are 40 (P44), 30 (P38), 20 (P37, P43), 15 (P36), 10 (P35), 8 (P45),
// 5 (P42), n = 8, positions 0, 1, 2, 2, 4, 5, 6, 7 → A A B B B C C C; as of d2 P40 (30) joins:
// n = 9, positions 0, 1, 1, 3, 3, 5, 6, 7, 8 → p = 0, .11, .11, .33, .33, .56, .67, .78, .89 →
// A A A B B B C C C.
var fixtures = []fixture{
	// P1 path 1: d1 is the day before the first anniversary of the agreed start; d2 after it.
	{"P1", spatial.Attrs{"GDRQ": "2024-07-01", "YDDGRQ": "2025-07-01", "CRJK": int64(1000)}, 10,
		"start_due=2025-07-01 " + notIdle + " wuwei=供而未用 warning=黄 " + noTax,
		"start_due=2025-07-01 idle_class=闲置满一年 idle_since=2026-07-01 idle_years=1 idle_fee_wan=200 may_reclaim=false wuwei=供而未用 warning=橙 " + noTax},
	// P2 path 1: d1 is the first anniversary itself.
	{"P2", spatial.Attrs{"GDRQ": "2024-06-30", "YDDGRQ": "2025-06-30", "CRJK": int64(1000)}, 10,
		"start_due=2025-06-30 idle_class=闲置满一年 idle_since=2026-06-30 idle_years=1 idle_fee_wan=200 may_reclaim=false wuwei=供而未用 warning=橙 " + noTax,
		"start_due=2025-06-30 idle_class=闲置满一年 idle_since=2026-06-30 idle_years=1 idle_fee_wan=200 may_reclaim=false wuwei=供而未用 warning=橙 " + noTax},
	// P3 path 1: d1 is the day after the first anniversary.
	{"P3", spatial.Attrs{"GDRQ": "2024-06-29", "YDDGRQ": "2025-06-29", "CRJK": int64(1000)}, 10,
		"start_due=2025-06-29 idle_class=闲置满一年 idle_since=2026-06-29 idle_years=1 idle_fee_wan=200 may_reclaim=false wuwei=供而未用 warning=橙 " + noTax,
		"start_due=2025-06-29 idle_class=闲置满一年 idle_since=2026-06-29 idle_years=1 idle_fee_wan=200 may_reclaim=false wuwei=供而未用 warning=橙 " + noTax},
	// P4 path 1: d1 the day before the second anniversary (1 year, 橙); d2 after it (2 years, 红).
	{"P4", spatial.Attrs{"GDRQ": "2023-07-01", "YDDGRQ": "2024-07-01", "CRJK": int64(1000)}, 10,
		"start_due=2024-07-01 idle_class=闲置满一年 idle_since=2025-07-01 idle_years=1 idle_fee_wan=200 may_reclaim=false wuwei=供而未用 warning=橙 " + noTax,
		"start_due=2024-07-01 idle_class=闲置满两年 idle_since=2025-07-01 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax},
	// P5 path 1: d1 is the second anniversary: 闲置满两年, may be reclaimed.
	{"P5", spatial.Attrs{"GDRQ": "2023-06-30", "YDDGRQ": "2024-06-30", "CRJK": int64(1000)}, 10,
		"start_due=2024-06-30 idle_class=闲置满两年 idle_since=2025-06-30 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax,
		"start_due=2024-06-30 idle_class=闲置满两年 idle_since=2025-06-30 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax},
	// P6 path 1: d1 the day after the second anniversary.
	{"P6", spatial.Attrs{"GDRQ": "2023-06-29", "YDDGRQ": "2024-06-29", "CRJK": int64(1000)}, 10,
		"start_due=2024-06-29 idle_class=闲置满两年 idle_since=2025-06-29 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax,
		"start_due=2024-06-29 idle_class=闲置满两年 idle_since=2025-06-29 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax},
	// P7 path 1: d1 the day before the third anniversary (2 years); d2 after it (3 years).
	{"P7", spatial.Attrs{"GDRQ": "2022-07-01", "YDDGRQ": "2023-07-01", "CRJK": int64(1000)}, 10,
		"start_due=2023-07-01 idle_class=闲置满两年 idle_since=2024-07-01 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax,
		"start_due=2023-07-01 idle_class=闲置满两年 idle_since=2024-07-01 idle_years=3 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax},
	// P8 path 1: d1 is the third anniversary.
	{"P8", spatial.Attrs{"GDRQ": "2022-06-30", "YDDGRQ": "2023-06-30", "CRJK": int64(1000)}, 10,
		"start_due=2023-06-30 idle_class=闲置满两年 idle_since=2024-06-30 idle_years=3 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax,
		"start_due=2023-06-30 idle_class=闲置满两年 idle_since=2024-06-30 idle_years=3 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax},
	// P9 path 1: d1 the day after the third anniversary.
	{"P9", spatial.Attrs{"GDRQ": "2022-06-29", "YDDGRQ": "2023-06-29", "CRJK": int64(1000)}, 10,
		"start_due=2023-06-29 idle_class=闲置满两年 idle_since=2024-06-29 idle_years=3 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax,
		"start_due=2023-06-29 idle_class=闲置满两年 idle_since=2024-06-29 idle_years=3 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax},
	// P10 path 1 from 29 Feb: anniversaries fall on 28 Feb (2025, 2026, 2027 = the day before d2).
	{"P10", spatial.Attrs{"GDRQ": "2023-02-28", "YDDGRQ": "2024-02-29", "CRJK": int64(1000)}, 10,
		"start_due=2024-02-29 idle_class=闲置满两年 idle_since=2025-02-28 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax,
		"start_due=2024-02-29 idle_class=闲置满两年 idle_since=2025-02-28 idle_years=3 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax},
	// P11 path 1: d2 is the day before the first anniversary (0 years: overdue, not idle).
	{"P11", spatial.Attrs{"GDRQ": "2025-03-02", "YDDGRQ": "2026-03-02", "CRJK": int64(1000)}, 10,
		"start_due=2026-03-02 " + notIdle + " wuwei=供而未用 warning=黄 " + noTax,
		"start_due=2026-03-02 " + notIdle + " wuwei=供而未用 warning=黄 " + noTax},
	// P12 path 1: d2 is the first anniversary.
	{"P12", spatial.Attrs{"GDRQ": "2025-03-01", "YDDGRQ": "2026-03-01", "CRJK": int64(1000)}, 10,
		"start_due=2026-03-01 " + notIdle + " wuwei=供而未用 warning=黄 " + noTax,
		"start_due=2026-03-01 idle_class=闲置满一年 idle_since=2027-03-01 idle_years=1 idle_fee_wan=200 may_reclaim=false wuwei=供而未用 warning=橙 " + noTax},
	// P13 供而未用 boundary: start_due is the day after d1 (not yet overdue, 绿; the clock starts after D).
	{"P13", spatial.Attrs{"GDRQ": "2025-07-01", "YDDGRQ": "2026-07-01", "CRJK": int64(1000)}, 10,
		"start_due=2026-07-01 " + notIdle + " warning=绿 " + noTax,
		"start_due=2026-07-01 " + notIdle + " wuwei=供而未用 warning=黄 " + noTax},
	// P14 供而未用 boundary: start_due is d1 itself (D > start_due is strict: not overdue).
	{"P14", spatial.Attrs{"GDRQ": "2025-06-30", "YDDGRQ": "2026-06-30", "CRJK": int64(1000)}, 10,
		"start_due=2026-06-30 " + notIdle + " warning=绿 " + noTax,
		"start_due=2026-06-30 " + notIdle + " wuwei=供而未用 warning=黄 " + noTax},
	// P15 供而未用 boundary: start_due is the day before d1 (overdue: 供而未用, 黄).
	{"P15", spatial.Attrs{"GDRQ": "2025-06-29", "YDDGRQ": "2026-06-29", "CRJK": int64(1000)}, 10,
		"start_due=2026-06-29 " + notIdle + " wuwei=供而未用 warning=黄 " + noTax,
		"start_due=2026-06-29 " + notIdle + " wuwei=供而未用 warning=黄 " + noTax},
	// P16 start_due from GDRQ + 1 year (no YDDGRQ), falling on d1.
	{"P16", spatial.Attrs{"GDRQ": "2025-06-30", "CRJK": int64(1000)}, 10,
		"start_due=2026-06-30 " + notIdle + " warning=绿 " + noTax,
		"start_due=2026-06-30 " + notIdle + " wuwei=供而未用 warning=黄 " + noTax},
	// P17 start_due from a GDRQ of 29 Feb: 2025-02-28; its anniversaries 2026-02-28, 2027-02-28.
	{"P17", spatial.Attrs{"GDRQ": "2024-02-29", "CRJK": int64(1000)}, 10,
		"start_due=2025-02-28 idle_class=闲置满一年 idle_since=2026-02-28 idle_years=1 idle_fee_wan=200 may_reclaim=false wuwei=供而未用 warning=橙 " + noTax,
		"start_due=2025-02-28 idle_class=闲置满两年 idle_since=2026-02-28 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 warning=红 " + noTax},
	// P18 批而未供 by PZRQ; start_due unknown and not started: idle and warning null with the reason.
	{"P18", spatial.Attrs{"PZRQ": "2025-01-01"}, 10,
		"idle_reason=" + noStart + " wuwei=批而未供 warning_reason=" + noStart + " " + noTax,
		"idle_reason=" + noStart + " wuwei=批而未供 warning_reason=" + noStart + " " + noTax},
	// P19 批而未供 boundary: approved the day after d1 (not yet approved as of d1).
	{"P19", spatial.Attrs{"PZRQ": "2026-07-01"}, 10,
		"idle_reason=" + noStart + " warning_reason=" + noStart + " " + noTax,
		"idle_reason=" + noStart + " wuwei=批而未供 warning_reason=" + noStart + " " + noTax},
	// P20 批而未供 boundary: approved on d1.
	{"P20", spatial.Attrs{"PZRQ": "2026-06-30"}, 10,
		"idle_reason=" + noStart + " wuwei=批而未供 warning_reason=" + noStart + " " + noTax,
		"idle_reason=" + noStart + " wuwei=批而未供 warning_reason=" + noStart + " " + noTax},
	// P21 批而未供 by the delivered WWLX; supplied the day after d1, so supplied as of d2 (none then).
	{"P21", spatial.Attrs{"WWLX": "批而未供", "GDRQ": "2026-07-01", "CRJK": int64(1000)}, 10,
		"start_due=2027-07-01 " + notIdle + " wuwei=批而未供 warning=绿 " + noTax,
		"start_due=2027-07-01 " + notIdle + " warning=绿 " + noTax},
	// P22 path 2 by KFBL < 1/3, stopped 2025-07-01: idle from d2; 用而未尽 after YDJGRQ 2027-01-01.
	{"P22", spatial.Attrs{"GDRQ": "2023-01-01", "SJDGRQ": "2024-01-01", "KFBL": 0.2, "TZBL": 0.5, "TGRQ": "2025-07-01", "YDJGRQ": "2027-01-01", "CRJK": int64(500)}, 10,
		"start_due=2024-01-01 " + notIdle + " warning=绿 " + noTax,
		"start_due=2024-01-01 idle_class=闲置满一年 idle_since=2026-07-01 idle_years=1 idle_fee_wan=100 may_reclaim=false wuwei=用而未尽 warning=橙 " + noTax},
	// P23 path 2 by TZBL < 0.25 (KFBL above its limit), stopped on d1 two years earlier.
	{"P23", spatial.Attrs{"GDRQ": "2022-01-01", "SJDGRQ": "2023-01-01", "KFBL": 0.5, "TZBL": 0.1, "TGRQ": "2024-06-30", "YDJGRQ": "2025-01-01", "CRJK": int64(1000)}, 10,
		"start_due=2023-01-01 idle_class=闲置满两年 idle_since=2025-06-30 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=用而未尽 warning=红 " + noTax,
		"start_due=2023-01-01 idle_class=闲置满两年 idle_since=2025-06-30 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=用而未尽 warning=红 " + noTax},
	// P24 path 2 without TGRQ: low shares but construction never stopped → not idle.
	{"P24", spatial.Attrs{"GDRQ": "2022-01-01", "SJDGRQ": "2023-01-01", "KFBL": 0.1, "TZBL": 0.1, "YDJGRQ": "2028-01-01", "CRJK": int64(1000)}, 10,
		"start_due=2023-01-01 " + notIdle + " warning=绿 " + noTax,
		"start_due=2023-01-01 " + notIdle + " warning=绿 " + noTax},
	// P25 path 2 with KFBL above and TZBL exactly on its limit (0.25 is not below) → not idle;
	// YDJGRQ is d1 (用而未尽 only after it).
	{"P25", spatial.Attrs{"GDRQ": "2022-01-01", "SJDGRQ": "2023-01-01", "KFBL": 0.34, "TZBL": 0.25, "TGRQ": "2024-01-01", "YDJGRQ": "2026-06-30", "CRJK": int64(1000)}, 10,
		"start_due=2023-01-01 " + notIdle + " warning=绿 " + noTax,
		"start_due=2023-01-01 " + notIdle + " wuwei=用而未尽 warning=绿 " + noTax},
	// P26 path 2 with numbers as strings (KFBL "0.33" < 1/3, CRJK "800"); YDJGRQ the day before d1.
	{"P26", spatial.Attrs{"GDRQ": "2023-01-01", "SJDGRQ": "2024-01-01", "KFBL": "0.33", "TZBL": "0.9", "TGRQ": "2025-06-30", "YDJGRQ": "2026-06-29", "CRJK": "800"}, 10,
		"start_due=2024-01-01 idle_class=闲置满一年 idle_since=2026-06-30 idle_years=1 idle_fee_wan=160 may_reclaim=false wuwei=用而未尽 warning=橙 " + noTax,
		"start_due=2024-01-01 idle_class=闲置满一年 idle_since=2026-06-30 idle_years=1 idle_fee_wan=160 may_reclaim=false wuwei=用而未尽 warning=橙 " + noTax},
	// P27 用而未尽 boundary: YDJGRQ the day after d1.
	{"P27", spatial.Attrs{"GDRQ": "2023-01-01", "SJDGRQ": "2024-01-01", "YDJGRQ": "2026-07-01", "CRJK": int64(1000)}, 10,
		"start_due=2024-01-01 " + notIdle + " warning=绿 " + noTax,
		"start_due=2024-01-01 " + notIdle + " wuwei=用而未尽 warning=绿 " + noTax},
	// P28 path 2 with KFBL missing and TZBL above its limit: idle undecidable; YDJGRQ missing.
	{"P28", spatial.Attrs{"GDRQ": "2023-01-01", "SJDGRQ": "2024-01-01", "TGRQ": "2025-01-01", "TZBL": 0.5, "CRJK": int64(1000)}, 10,
		"start_due=2024-01-01 idle_reason=缺少开发比例(KFBL) wuwei_reason=缺少约定竣工日期(YDJGRQ) warning_reason=缺少开发比例(KFBL) " + noTax,
		"start_due=2024-01-01 idle_reason=缺少开发比例(KFBL) wuwei_reason=缺少约定竣工日期(YDJGRQ) warning_reason=缺少开发比例(KFBL) " + noTax},
	// P29 path 2 with KFBL missing but TZBL below (decided); 建而未投 boundary: YDTCRQ is d1.
	{"P29", spatial.Attrs{"GDRQ": "2023-01-01", "SJDGRQ": "2024-01-01", "TGRQ": "2025-01-01", "TZBL": 0.1, "SJJGRQ": "2025-06-01", "YDTCRQ": "2026-06-30", "CRJK": int64(1000)}, 10,
		"start_due=2024-01-01 idle_class=闲置满一年 idle_since=2026-01-01 idle_years=1 idle_fee_wan=200 may_reclaim=false warning=橙 " + noTax,
		"start_due=2024-01-01 idle_class=闲置满两年 idle_since=2026-01-01 idle_years=2 idle_fee_wan=200 may_reclaim=true wuwei=建而未投 warning=红 " + noTax},
	// P30 政府原因: still idle, fee 0, not reclaimable; 橙 instead of 红 after two years.
	{"P30", spatial.Attrs{"GDRQ": "2023-01-01", "YDDGRQ": "2024-01-01", "XZYY": "政府原因", "CRJK": int64(1000)}, 10,
		"start_due=2024-01-01 idle_class=闲置满两年 idle_since=2025-01-01 idle_years=2 idle_fee_wan=0 may_reclaim=false wuwei=供而未用 warning=橙 " + noTax,
		"start_due=2024-01-01 idle_class=闲置满两年 idle_since=2025-01-01 idle_years=3 idle_fee_wan=0 may_reclaim=false wuwei=供而未用 warning=橙 " + noTax},
	// P31 idle without CRJK: the fee is null with the reason, the rest is computed.
	{"P31", spatial.Attrs{"GDRQ": "2024-01-01", "YDDGRQ": "2025-01-01"}, 10,
		"start_due=2025-01-01 idle_class=闲置满一年 idle_since=2026-01-01 idle_years=1 may_reclaim=false idle_reason=缺少出让价款(CRJK) wuwei=供而未用 warning=橙 " + noTax,
		"start_due=2025-01-01 idle_class=闲置满两年 idle_since=2026-01-01 idle_years=2 may_reclaim=true idle_reason=缺少出让价款(CRJK) wuwei=供而未用 warning=红 " + noTax},
	// P32 建而未投 boundary: YDTCRQ the day before d1.
	{"P32", spatial.Attrs{"GDRQ": "2022-01-01", "SJDGRQ": "2023-01-01", "SJJGRQ": "2024-01-01", "YDTCRQ": "2026-06-29", "CRJK": int64(1000)}, 10,
		"start_due=2023-01-01 " + notIdle + " wuwei=建而未投 warning=绿 " + noTax,
		"start_due=2023-01-01 " + notIdle + " wuwei=建而未投 warning=绿 " + noTax},
	// P33 建而未投 boundary: YDTCRQ the day after d1.
	{"P33", spatial.Attrs{"GDRQ": "2022-01-01", "SJDGRQ": "2023-01-01", "SJJGRQ": "2024-01-01", "YDTCRQ": "2026-07-01", "CRJK": int64(1000)}, 10,
		"start_due=2023-01-01 " + notIdle + " warning=绿 " + noTax,
		"start_due=2023-01-01 " + notIdle + " wuwei=建而未投 warning=绿 " + noTax},
	// P34 completed the day after d1: 用而未尽 as of d1, 建而未投 as of d2.
	{"P34", spatial.Attrs{"GDRQ": "2022-01-01", "SJDGRQ": "2023-01-01", "SJJGRQ": "2026-07-01", "YDJGRQ": "2026-01-01", "YDTCRQ": "2026-12-01", "CRJK": int64(1000)}, 10,
		"start_due=2023-01-01 " + notIdle + " wuwei=用而未尽 warning=绿 " + noTax,
		"start_due=2023-01-01 " + notIdle + " wuwei=建而未投 warning=绿 " + noTax},
	// P35 投而未达标 boundary: in production a year minus a day before d1 (not yet checked), MJSS 10 < 20.
	{"P35", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2025-07-01", "MJSS": 10.0, "YDMJSS": int64(20)}, 10,
		producing + " mu_tax=10 mu_class=C",
		producing + " wuwei=投而未达标 mu_tax=10 mu_class=C"},
	// P36 投而未达标 boundary: d1 is the first anniversary of production; 亩均税收 from SS 150 / 10 亩.
	{"P36", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2025-06-30", "SS": 150.0, "YDMJSS": 20.0}, 10,
		producing + " wuwei=投而未达标 mu_tax=15 mu_class=B",
		producing + " wuwei=投而未达标 mu_tax=15 mu_class=B"},
	// P37 in production a year and a day before d1, 亩均税收 equal to the agreed figure: not below.
	{"P37", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2025-06-29", "MJSS": 20.0, "YDMJSS": 20.0}, 10,
		producing + " mu_tax=20 mu_class=B",
		producing + " mu_tax=20 mu_class=B"},
	// P38 in production, no agreed 亩均税收: 投而未达标 undecidable.
	{"P38", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2024-01-01", "MJSS": int64(30)}, 10,
		producing + " wuwei_reason=缺少约定亩均税收(YDMJSS) mu_tax=30 mu_class=A",
		producing + " wuwei_reason=缺少约定亩均税收(YDMJSS) mu_tax=30 mu_class=A"},
	// P39 in production without any tax figure: unrated (T), 投而未达标 undecidable.
	{"P39", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2024-01-01", "YDMJSS": 20.0}, 10,
		producing + " wuwei_reason=缺少税收(SS)与亩均税收(MJSS) " + noTax,
		producing + " wuwei_reason=缺少税收(SS)与亩均税收(MJSS) " + noTax},
	// P40 production starts the day after d1: unrated and 建而未投 as of d1, rated (tie at 30) as of d2.
	{"P40", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2025-01-01", "YDTCRQ": "2026-01-01", "SJTCRQ": "2026-07-01", "SS": int64(300), "YDMJSS": 20.0}, 10,
		producing + " wuwei=建而未投 mu_tax=30 mu_class=T",
		producing + " mu_tax=30 mu_class=A"},
	// P41 a tax figure but not in production: unrated.
	{"P41", spatial.Attrs{"GDRQ": "2022-01-01", "SJDGRQ": "2025-01-01", "YDJGRQ": "2027-12-31", "MJSS": 50.0}, 10,
		"start_due=2023-01-01 " + notIdle + " warning=绿 mu_tax=50 mu_class=T",
		"start_due=2023-01-01 " + notIdle + " warning=绿 mu_tax=50 mu_class=T"},
	// P42 SS wins over MJSS: 100 / 20 亩 = 5 (MJSS 99 ignored); above the agreed 4.
	{"P42", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2024-01-01", "SS": 100.0, "MJSS": 99.0, "YDMJSS": 4.0}, 20,
		producing + " mu_tax=5 mu_class=C",
		producing + " mu_tax=5 mu_class=C"},
	// P43 ties P37 at 20: both take the better position.
	{"P43", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2023-01-01", "MJSS": 20.0, "YDMJSS": 10.0}, 10,
		producing + " mu_tax=20 mu_class=B",
		producing + " mu_tax=20 mu_class=B"},
	// P44 best 亩均税收, MJSS as a string.
	{"P44", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2023-01-01", "MJSS": "40", "YDMJSS": 40.0}, 10,
		producing + " mu_tax=40 mu_class=A",
		producing + " mu_tax=40 mu_class=A"},
	// P45 投而未达标 long in production: 8 < 10.
	{"P45", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2023-01-01", "MJSS": 8.0, "YDMJSS": 10.0}, 10,
		producing + " wuwei=投而未达标 mu_tax=8 mu_class=C",
		producing + " wuwei=投而未达标 mu_tax=8 mu_class=C"},
	// P46 warning: WCSX the day before d1 → 红.
	{"P46", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "YDJGRQ": "2030-01-01", "WCSX": "2026-06-29"}, 10,
		calm + " warning=红", calm + " warning=红"},
	// P47 warning: WCSX = d1 → 黄 (within 0 days).
	{"P47", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "YDJGRQ": "2030-01-01", "WCSX": "2026-06-30"}, 10,
		calm + " warning=黄", calm + " warning=红"},
	// P48 warning: WCSX = d1 + 30 days → 黄.
	{"P48", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "YDJGRQ": "2030-01-01", "WCSX": "2026-07-30"}, 10,
		calm + " warning=黄", calm + " warning=红"},
	// P49 warning: WCSX = d1 + 31 days → 绿.
	{"P49", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "YDJGRQ": "2030-01-01", "WCSX": "2026-07-31"}, 10,
		calm + " warning=绿", calm + " warning=红"},
	// P50 warning: WCSX = d2 + 30 days → 黄 as of d2.
	{"P50", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "YDJGRQ": "2030-01-01", "WCSX": "2027-03-31"}, 10,
		calm + " warning=绿", calm + " warning=黄"},
	// P51 warning: WCSX = d2 + 31 days → 绿 as of d2.
	{"P51", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "YDJGRQ": "2030-01-01", "WCSX": "2027-04-01"}, 10,
		calm + " warning=绿", calm + " warning=绿"},
	// P52 已销号: no warning (null, no reason) although idle for years and past its deadline.
	{"P52", spatial.Attrs{"GDRQ": "2022-01-01", "YDDGRQ": "2023-01-01", "CZZT": "已销号", "WCSX": "2026-01-01", "CRJK": int64(1000)}, 10,
		"start_due=2023-01-01 idle_class=闲置满两年 idle_since=2024-01-01 idle_years=3 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 " + noTax,
		"start_due=2023-01-01 idle_class=闲置满两年 idle_since=2024-01-01 idle_years=4 idle_fee_wan=200 may_reclaim=true wuwei=供而未用 " + noTax},
	// P53 warning: WCSX not a date and nothing else applies → null with the reason.
	{"P53", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "YDJGRQ": "2030-01-01", "WCSX": "2026/07/01"}, 10,
		calm + ` warning_reason=完成时限(WCSX)的值"2026/07/01"不是日期`,
		calm + ` warning_reason=完成时限(WCSX)的值"2026/07/01"不是日期`},
	// P54 warning: idle undecidable (both shares missing) yet WCSX near d1 → 黄; past as of d2 → 红.
	{"P54", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "TGRQ": "2025-01-01", "YDJGRQ": "2030-01-01", "WCSX": "2026-07-10", "CRJK": int64(1000)}, 10,
		"start_due=2021-01-01 idle_reason=缺少开发比例(KFBL)；缺少投资比例(TZBL) warning=黄 " + noTax,
		"start_due=2021-01-01 idle_reason=缺少开发比例(KFBL)；缺少投资比例(TZBL) warning=红 " + noTax},
	// P55 SJDGRQ not a date: started or not is unknown, so idle, 五未 and warning are null.
	{"P55", spatial.Attrs{"GDRQ": "2024-01-01", "YDDGRQ": "2025-01-01", "SJDGRQ": "2025-13-01", "CRJK": int64(1000)}, 10,
		`start_due=2025-01-01 idle_reason=实际动工日期(SJDGRQ)的值"2025-13-01"不是日期 wuwei_reason=实际动工日期(SJDGRQ)的值"2025-13-01"不是日期 warning_reason=实际动工日期(SJDGRQ)的值"2025-13-01"不是日期 ` + noTax,
		`start_due=2025-01-01 idle_reason=实际动工日期(SJDGRQ)的值"2025-13-01"不是日期 wuwei_reason=实际动工日期(SJDGRQ)的值"2025-13-01"不是日期 warning_reason=实际动工日期(SJDGRQ)的值"2025-13-01"不是日期 ` + noTax},
	// P56 YDDGRQ not a date (30 Feb): start_due unknown, no fall-back to GDRQ.
	{"P56", spatial.Attrs{"GDRQ": "2025-01-01", "YDDGRQ": "2026-02-30", "CRJK": int64(1000)}, 10,
		`idle_reason=约定动工日期(YDDGRQ)的值"2026-02-30"不是日期 wuwei_reason=约定动工日期(YDDGRQ)的值"2026-02-30"不是日期 warning_reason=约定动工日期(YDDGRQ)的值"2026-02-30"不是日期 ` + noTax,
		`idle_reason=约定动工日期(YDDGRQ)的值"2026-02-30"不是日期 wuwei_reason=约定动工日期(YDDGRQ)的值"2026-02-30"不是日期 warning_reason=约定动工日期(YDDGRQ)的值"2026-02-30"不是日期 ` + noTax},
	// P57 SS not a number: 亩均税收 null (no fall-back to MJSS), unrated, 投而未达标 undecidable.
	{"P57", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "SJJGRQ": "2022-01-01", "SJTCRQ": "2023-01-01", "SS": "abc", "MJSS": 12.0, "YDMJSS": 10.0}, 10,
		producing + ` wuwei_reason=税收(SS)的值"abc"不是数字 mu_class=T mu_tax_reason=税收(SS)的值"abc"不是数字`,
		producing + ` wuwei_reason=税收(SS)的值"abc"不是数字 mu_class=T mu_tax_reason=税收(SS)的值"abc"不是数字`},
	// P58 KFBL given as a percentage (30): out of range, not guessed; idle and warning null.
	{"P58", spatial.Attrs{"GDRQ": "2023-01-01", "SJDGRQ": "2024-01-01", "KFBL": int64(30), "TZBL": 0.5, "TGRQ": "2025-01-01", "YDJGRQ": "2030-01-01", "CRJK": int64(1000)}, 10,
		`start_due=2024-01-01 idle_reason=开发比例(KFBL)的值"30"不在0到1之间 warning_reason=开发比例(KFBL)的值"30"不在0到1之间 ` + noTax,
		`start_due=2024-01-01 idle_reason=开发比例(KFBL)的值"30"不在0到1之间 warning_reason=开发比例(KFBL)的值"30"不在0到1之间 ` + noTax},
	// P59 SS with a zero area: 亩均税收 null with the reason.
	{"P59", spatial.Attrs{"GDRQ": "2020-01-01", "SJDGRQ": "2021-01-01", "YDJGRQ": "2030-01-01", "SS": 100.0}, 0,
		"start_due=2021-01-01 " + notIdle + " warning=绿 mu_class=T mu_tax_reason=地块面积(area_mu)不是正数，无法由税收(SS)计算亩均税收",
		"start_due=2021-01-01 " + notIdle + " warning=绿 mu_class=T mu_tax_reason=地块面积(area_mu)不是正数，无法由税收(SS)计算亩均税收"},
	// P60 explicit null and blank strings are missing: nothing known, nothing decided.
	{"P60", spatial.Attrs{"GDRQ": "", "YDDGRQ": nil, "SJDGRQ": "  ", "CZZT": "处置中"}, 10,
		"idle_reason=" + noStart + " warning_reason=" + noStart + " " + noTax,
		"idle_reason=" + noStart + " warning_reason=" + noStart + " " + noTax},
}

// fixtureSnapshot builds one layer of the fixtures, with the areas as mudi's derived areas.
func fixtureSnapshot(tb testing.TB) *spatial.Snapshot {
	tb.Helper()
	features := make([]*spatial.Feature, len(fixtures))
	for i, fx := range fixtures {
		x := float64(i) * 0.001
		features[i] = &spatial.Feature{
			ID:       spatial.FeatureID(i + 1),
			Geometry: orb.Polygon{{{x, 0}, {x + 0.0005, 0}, {x + 0.0005, 0.0005}, {x, 0}}},
			Attrs:    fx.attrs.Record(),
			Derived:  spatial.Derived{AreaMu: fx.area},
		}
	}
	return spatial.NewSnapshot(spatial.Layer{ID: "parcels", Kind: spatial.KindParcels}, features)
}

func TestFixtures(t *testing.T) {
	if len(fixtures) < 30 {
		t.Fatalf("%d fixtures, want at least 30", len(fixtures))
	}
	sn := fixtureSnapshot(t)
	for _, at := range []struct {
		date Date
		want func(fixture) string
	}{
		{d1, func(fx fixture) string { return fx.atD1 }},
		{d2, func(fx fixture) string { return fx.atD2 }},
	} {
		got := ComputeLayer(sn, nil, at.date, DefaultParams(), "")
		for i, fx := range fixtures {
			t.Run(fx.name+"@"+at.date.String(), func(t *testing.T) {
				checkClasses(t, got[spatial.FeatureID(i+1)], at.want(fx))
			})
		}
	}
}

// checkClasses compares the published values of c with an expectation written as
// "key=value key=value …" (keys not listed are null). Numbers compare within 1e-9.
func checkClasses(tb testing.TB, c Classes, want string) {
	tb.Helper()
	w := map[string]string{}
	for _, kv := range strings.Fields(want) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !IsKey(k) {
			tb.Fatalf("bad expectation %q", kv)
		}
		if _, dup := w[k]; dup {
			tb.Fatalf("expectation lists %s twice", k)
		}
		w[k] = v
	}
	n := 0
	c.Each(func(k string, v any) {
		n++
		wv, listed := w[k]
		switch {
		case v == nil && !listed:
		case v == nil:
			tb.Errorf("%s = null, want %s", k, wv)
		case !listed:
			tb.Errorf("%s = %v (%T), want null", k, v, v)
		default:
			if !sameValue(v, wv) {
				tb.Errorf("%s = %v (%T), want %s", k, v, v, wv)
			}
		}
	})
	if n != len(Keys) {
		tb.Errorf("Each called fn %d times, want %d", n, len(Keys))
	}
}

func sameValue(v any, want string) bool {
	switch v := v.(type) {
	case string:
		return v == want
	case bool:
		return strconv.FormatBool(v) == want
	case int64:
		return strconv.FormatInt(v, 10) == want
	case float64:
		w, err := strconv.ParseFloat(want, 64)
		return err == nil && math.Abs(v-w) <= 1e-9*math.Max(1, math.Abs(w))
	}
	return false
}
