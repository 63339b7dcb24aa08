package campaign

// Idle classes (idle_class).
const (
	NotIdle      = "未闲置"
	IdleOneYear  = "闲置满一年"
	IdleTwoYears = "闲置满两年"
)

// 五未 classes (wuwei), in lifecycle order.
const (
	ApprovedNotSupplied = "批而未供"
	SuppliedNotUsed     = "供而未用"
	UsedNotFinished     = "用而未尽"
	BuiltNotProducing   = "建而未投"
	ProducingBelowPar   = "投而未达标"
)

// 亩均 classes (mu_class): A to D by rank, T for a parcel that is not rated (未评价).
const (
	ClassA       = "A"
	ClassB       = "B"
	ClassC       = "C"
	ClassD       = "D"
	ClassUnrated = "T"
)

// Warning colours (warning).
const (
	Red    = "红"
	Orange = "橙"
	Yellow = "黄"
	Green  = "绿"
)

// Values of the input attributes that the rules recognise.
const (
	// GovernmentCause is the idle cause (XZYY) for which no fee is due and the land is not
	// reclaimed: the term is extended instead.
	GovernmentCause = "政府原因"
	// ClosedOff is the disposal state (CZZT) of a parcel whose disposal has been checked and
	// closed off; it gets no warning.
	ClosedOff = "已销号"
)

// Keys are the attribute names under which [Classes] are published (GeoJSON properties, tiles,
// exports), in order: the values, then the reasons.
var Keys = []string{
	"start_due", "idle_class", "idle_since", "idle_years", "idle_fee_wan", "may_reclaim",
	"wuwei", "mu_tax", "mu_class", "warning",
	"idle_reason", "wuwei_reason", "mu_tax_reason", "warning_reason",
}

// IsKey reports whether k is one of [Keys].
func IsKey(k string) bool {
	for _, c := range Keys {
		if c == k {
			return true
		}
	}
	return false
}

// Classes are the computed classes of one parcel as of a date. A zero Date, an empty string
// and a nil pointer mean null. Each reason is null (empty) when the values it explains were
// computed, and otherwise a short sentence naming the missing or bad input and its field.
type Classes struct {
	StartDue Date // agreed start: YDDGRQ, else GDRQ + 1 year; zero when unknown

	IdleClass  string   // NotIdle, IdleOneYear, IdleTwoYears; "" when unknown
	IdleSince  Date     // the day the parcel became idle; zero unless idle
	IdleYears  *int     // whole years on the idle clock; nil unless idle
	IdleFeeWan *float64 // idle-land fee, 万元: 0 unless idle and due; nil when unknown
	MayReclaim *bool    // whether the land may be reclaimed without compensation; nil when unknown
	IdleReason string   // why IdleClass, IdleFeeWan or MayReclaim is null

	Wuwei       string // the 五未 class; "" when none applies or it cannot be decided
	WuweiReason string // why it cannot be decided; "" when a class or none was decided

	MuTax       *float64 // 亩均税收, 万元/亩; nil when unknown
	MuTaxReason string   // why MuTax is null
	// MuClass is ClassA…ClassD by rank among the rated parcels of the layer or group, ClassUnrated
	// for a parcel that is not rated, and "" for a rated parcel that [Rank] has not ranked yet.
	MuClass string
	// Rated tells whether the parcel takes part in the 亩均 ranking: it has a MuTax and had gone
	// into production (SJTCRQ) by the date. It is not published.
	Rated bool

	Warning       string // Red, Orange, Yellow, Green; "" for a closed-off parcel or when unknown
	WarningReason string // why Warning is null when it could not be decided
}

// Each calls fn for every key of [Keys] in order with the published value: a YYYY-MM-DD string
// for dates, int64 for idle_years, float64 for money and 亩均税收, bool for may_reclaim, a string
// for classes and reasons, and nil for null.
func (c Classes) Each(fn func(key string, value any)) {
	fn("start_due", dateValue(c.StartDue))
	fn("idle_class", text(c.IdleClass))
	fn("idle_since", dateValue(c.IdleSince))
	if c.IdleYears != nil {
		fn("idle_years", int64(*c.IdleYears))
	} else {
		fn("idle_years", nil)
	}
	fn("idle_fee_wan", float(c.IdleFeeWan))
	if c.MayReclaim != nil {
		fn("may_reclaim", *c.MayReclaim)
	} else {
		fn("may_reclaim", nil)
	}
	fn("wuwei", text(c.Wuwei))
	fn("mu_tax", float(c.MuTax))
	fn("mu_class", text(c.MuClass))
	fn("warning", text(c.Warning))
	fn("idle_reason", text(c.IdleReason))
	fn("wuwei_reason", text(c.WuweiReason))
	fn("mu_tax_reason", text(c.MuTaxReason))
	fn("warning_reason", text(c.WarningReason))
}

// Map returns the published values keyed by [Keys], nil for null.
func (c Classes) Map() map[string]any {
	m := make(map[string]any, len(Keys))
	c.Each(func(k string, v any) { m[k] = v })
	return m
}

func dateValue(d Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func float(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
