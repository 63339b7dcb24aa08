// Package campaign computes the classes of a land-consolidation campaign for each parcel as of a
// date: the agreed start, the idle class with its fee and reclaim flag, the 五未 class, the tax
// per 亩 (亩均税收) with its A–D rank, and the warning colour. It is a pure rule engine: attribute
// values in, published values out ([Classes.Each], keys [Keys]); it knows nothing of HTTP,
// storage or tiles. Every threshold is a field of [Params] ([DefaultParams] are the policy's).
// [Compute] does one parcel; [Rank] ranks a group; [ComputeLayer] does both for a layer. The
// functions keep no state and never modify their inputs, so they are safe for concurrent use.
//
// # Dates
//
// Everything is computed as of a date D (default: today in China, UTC+8; see [Today]). A [Date]
// is a calendar date without time zone. Date attributes are ISO strings YYYY-MM-DD; "X + n
// years" is the same month and day n years later, 29 February becoming 28 February in a common
// year ([Date.AddYears]); the whole years from X to D ([Date.YearsSince]) are the largest n with
// X + n years ≤ D, so the count reaches 1 on the first anniversary (28 February for a
// 29 February start in a common year).
//
// The dates of events that happen once — approval PZRQ, supply GDRQ, actual start SJDGRQ,
// completion SJJGRQ, production SJTCRQ, stop TGRQ — count only when they are on or before D:
// an event dated after D had not happened yet as of D, exactly as if the field were empty. This
// keeps a computation as of an earlier date consistent with the data recorded later.
//
// # Missing and bad inputs
//
// An input is missing when its field is absent, null or blank. A value that cannot be read as
// the input's type (a date not in YYYY-MM-DD form or not on the calendar, a number that is not a
// number, a share outside 0..1) is bad. Numbers may be int64, float64 or decimal strings
// ("0.25"); shares (KFBL, TZBL) are fractions, and 30 is not guessed to mean 30 %.
//
// A computed value whose inputs are missing is null, never a guess, and a reason says which
// input is missing or bad, naming its field: 缺少约定动工日期(YDDGRQ)与供地日期(GDRQ). Where an
// empty field has a meaning of its own (no SJDGRQ: not started; no GDRQ: not supplied; no TGRQ:
// not stopped; no YDDGRQ: fall back to GDRQ), a bad value does not take that meaning: the values
// that depend on it are null with the reason "…的值"…"不是日期".
//
// # Agreed start (start_due)
//
// start_due = YDDGRQ (约定动工日期); when YDDGRQ is empty, GDRQ (供地日期) + 1 year
// (StartAfterSupplyYears); when both are empty, unknown (null).
//
// # Idle (闲置)
//
// The idle clock starts at one of two dates; the first path that applies decides:
//
//  1. Not started (SJDGRQ empty or after D) and start_due known: the clock starts at start_due.
//     Not started with start_due unknown: the idle values are null with the reason.
//  2. Started (SJDGRQ ≤ D), the developed-area share KFBL < 1/3 (DevelopedShareLimit) or the
//     invested share TZBL < 0.25 (InvestedShareLimit), and construction stopped on TGRQ ≤ D: the
//     clock starts at TGRQ. When one share is below its limit the other is not needed; when
//     neither is known to be below and one is missing, the idle values are null.
//  3. Otherwise the parcel is not idle: started without a TGRQ (or a TGRQ after D), or with
//     both shares at or above their limits.
//
// idle_years is the whole years from the clock's start to D. The parcel is idle when
// idle_years ≥ 1 (IdleYears); the day before the first anniversary it is not. idle_class is
// 未闲置 (not idle, including a clock under one year or one that starts after D), 闲置满一年
// (1 ≤ idle_years < 2) or 闲置满两年 (idle_years ≥ 2, IdleLongYears). idle_since is the clock's
// start + 1 year: the first anniversary, the day the parcel became idle.
//
// When idle: if XZYY (闲置原因) is 政府原因 the parcel is still idle, but idle_fee_wan = 0 and
// may_reclaim = false (the term is extended instead). Otherwise idle_fee_wan = 0.2 (IdleFeeRate)
// × CRJK (出让价款, 万元), rounded to 6 decimals, null with the reason when CRJK is missing, bad
// or negative; may_reclaim = true once idle_years ≥ 2. When not idle: idle_since and idle_years
// are null, idle_fee_wan = 0, may_reclaim = false. idle_reason is null when all of them were
// computed.
//
// # 五未
//
// The first class that applies, in lifecycle order:
//
//   - 批而未供: approved — PZRQ ≤ D, or the delivered 五未 type (WWLX) says 批而未供 — and not
//     supplied (GDRQ empty or after D);
//   - 供而未用: supplied (GDRQ ≤ D), not started, and D > start_due (strictly: not on start_due);
//   - 用而未尽: started, not completed (SJJGRQ empty or after D), and D > YDJGRQ (约定竣工);
//   - 建而未投: completed (SJJGRQ ≤ D), not in production (SJTCRQ empty or after D), and
//     D > YDTCRQ (约定投产);
//   - 投而未达标: D ≥ SJTCRQ + 1 year (TaxCheckYears; on the anniversary it applies) and
//     亩均税收 < YDMJSS (约定亩均税收; equal is not below);
//   - otherwise none: wuwei is null and so is wuwei_reason.
//
// Each rule is a conjunction evaluated in three-valued logic: it does not apply as soon as one
// of its conditions is known to be false, even if others are unknown (a parcel that has not
// started needs no YDJGRQ). When a rule can be neither confirmed nor excluded (e.g. started,
// not completed, no YDJGRQ), the later rules are not tried: wuwei is null and wuwei_reason
// names the inputs.
//
// # 亩均税收 and its classes
//
// mu_tax = SS (税收, 万元) / area in 亩 (mudi's ellipsoidal area) when SS is set, else MJSS as
// delivered; null with the reason when both are missing, the one used is bad, the area is not
// positive, or the quotient overflows. A parcel is rated when it has a mu_tax and is in production (SJTCRQ ≤ D; a
// production date after D does not count yet). [Rank] sorts the rated parcels of a layer, or of
// each group (e.g. district), by mu_tax descending; a parcel's position i (0-based) is the
// number of rated parcels with a strictly higher mu_tax, so tied parcels share the best position
// of their run; with n rated parcels, p = i / n gives A if p < 0.20, B if p < 0.60, C if
// p < 0.95, else D (CutA, CutB, CutC). A parcel that is not rated is T (未评价). The result
// depends only on the values.
//
// # Warnings (预警)
//
// A parcel whose disposal state CZZT is 已销号 gets no warning (null, no reason). Otherwise the
// first colour that applies:
//
//   - 红: idle ≥ 2 years and XZYY is not 政府原因, or the ledger deadline WCSX is before D
//     (WCSX < D);
//   - 橙: idle ≥ 1 year (a 政府原因 parcel idle for two years is 橙);
//   - 黄: start overdue (not started and D > start_due), or WCSX within 30 days (WarningDays)
//     after D, both ends included: D ≤ WCSX ≤ D + 30;
//   - 绿: otherwise.
//
// A rule whose inputs are missing does not apply; a later rule may still apply. When no colour
// applied but some rule could not be evaluated (idle values null, start overdue undecidable,
// WCSX bad), the warning is null and warning_reason names the inputs. An empty WCSX is not a
// missing input: a parcel without a ledger deadline has no deadline to miss.
package campaign
