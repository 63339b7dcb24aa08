package spatial

import (
	"fmt"
	"slices"
)

// Attribute describes one attribute that mudi computes for every feature (see [Derived]). The
// list [Computed] is the single vocabulary of computed attributes: the API, OGC queryables and
// schemas, tiles and TileJSON, every export format, the analyses, the map style and the web
// viewer take names, types, units and labels from it. Computed attributes are read-only: an edit
// that sets one is refused, and a source attribute of the same name is shadowed.
type Attribute struct {
	Key   string    // published name, e.g. area_mu
	Type  FieldType // string, integer, real or boolean
	Unit  string    // m², 亩, or "" for none
	Alias string    // Chinese label, e.g. 面积(亩)
	Title string    // English description
	Short string    // dBASE (Shapefile) field name, at most 10 ASCII bytes
	Enum  []string  // the values a string attribute takes, when they are a fixed set
	Group Group     // when the attribute is present
	Tiles bool      // carried in vector tiles
}

// Group tells when a computed attribute is present on a feature.
type Group int

// Groups of computed attributes.
const (
	GroupArea    Group = iota // always (every layer)
	GroupControl              // parcels whose layer has a control layer
	GroupBlock                // parcels grouped into contiguous blocks
	GroupClasses              // campaign classes as of a date (docs/domain.md §8), on parcels
)

// Computed lists the computed attributes in publication order.
var Computed = []Attribute{
	{Key: "area_m2", Type: FieldReal, Unit: "m²", Alias: "面积(平方米)", Title: "ellipsoidal area, m²", Short: "area_m2", Group: GroupArea},
	{Key: "area_mu", Type: FieldReal, Unit: "亩", Alias: "面积(亩)", Title: "ellipsoidal area, 亩", Short: "area_mu", Group: GroupArea, Tiles: true},
	{Key: "control_position", Type: FieldString, Alias: "与控制线关系", Title: "position against the industrial land control line",
		Short: "CTRL_POS", Enum: []string{string(Inside), string(Straddling), string(Outside)}, Group: GroupControl, Tiles: true},
	{Key: "outside_ratio", Type: FieldReal, Alias: "线外比例", Title: "share of the area outside the control line, 0 to 1", Short: "OUT_RATIO", Group: GroupControl, Tiles: true},
	{Key: "outside_mu", Type: FieldReal, Unit: "亩", Alias: "线外面积(亩)", Title: "area outside the control line, 亩", Short: "outside_mu", Group: GroupControl, Tiles: true},
	{Key: "block_id", Type: FieldInteger, Alias: "连片区块编号", Title: "contiguous block the parcel belongs to", Short: "block_id", Group: GroupBlock, Tiles: true},
	{Key: "block_mu", Type: FieldReal, Unit: "亩", Alias: "连片区块面积(亩)", Title: "area of the contiguous block, 亩", Short: "block_mu", Group: GroupBlock, Tiles: true},
	{Key: "scattered", Type: FieldBoolean, Alias: "零星地块", Title: "the parcel's block is under the scattered threshold (50 亩 by default)", Short: "scattered", Group: GroupBlock, Tiles: true},

	// The campaign classes, as of a date (today in China unless a request names another).
	{Key: "start_due", Type: FieldDate, Alias: "应动工日期", Title: "agreed start: YDDGRQ, else the supply date GDRQ + 1 year", Short: "START_DUE", Group: GroupClasses},
	{Key: "idle_class", Type: FieldString, Alias: "闲置状态", Title: "idle land class", Short: "IDLE_CLS",
		Enum: []string{"未闲置", "闲置满一年", "闲置满两年"}, Group: GroupClasses, Tiles: true},
	{Key: "idle_since", Type: FieldDate, Alias: "闲置起算日期", Title: "the day the parcel became idle", Short: "IDLE_SINCE", Group: GroupClasses},
	{Key: "idle_years", Type: FieldInteger, Alias: "闲置年数", Title: "whole years idle", Short: "IDLE_YRS", Group: GroupClasses},
	{Key: "idle_fee_wan", Type: FieldReal, Unit: "万元", Alias: "闲置费(万元)", Title: "idle land fee, 万元", Short: "IDLE_FEE", Group: GroupClasses},
	{Key: "may_reclaim", Type: FieldBoolean, Alias: "可无偿收回", Title: "the land may be taken back without compensation", Short: "RECLAIM", Group: GroupClasses},
	{Key: "wuwei", Type: FieldString, Alias: "五未类型(计算)", Title: "five-未 class", Short: "WUWEI",
		Enum: []string{"批而未供", "供而未用", "用而未尽", "建而未投", "投而未达标"}, Group: GroupClasses, Tiles: true},
	{Key: "mu_tax", Type: FieldReal, Unit: "万元/亩", Alias: "亩均税收(计算)", Title: "tax per 亩, 万元", Short: "MU_TAX", Group: GroupClasses},
	{Key: "mu_class", Type: FieldString, Alias: "亩均等级(计算)", Title: "tax-per-亩 class among the rated parcels", Short: "MU_CLASS",
		Enum: []string{"A", "B", "C", "D", "T"}, Group: GroupClasses, Tiles: true},
	{Key: "warning", Type: FieldString, Alias: "预警等级(计算)", Title: "warning colour", Short: "WARNING",
		Enum: []string{"红", "橙", "黄", "绿"}, Group: GroupClasses, Tiles: true},
	{Key: "idle_reason", Type: FieldString, Alias: "闲置未定原因", Title: "why the idle class could not be computed", Short: "IDLE_WHY", Group: GroupClasses},
	{Key: "wuwei_reason", Type: FieldString, Alias: "五未未定原因", Title: "why the five-未 class could not be computed", Short: "WUWEI_WHY", Group: GroupClasses},
	{Key: "mu_tax_reason", Type: FieldString, Alias: "亩均未定原因", Title: "why the tax per 亩 could not be computed", Short: "MUTAX_WHY", Group: GroupClasses},
	{Key: "warning_reason", Type: FieldString, Alias: "预警未定原因", Title: "why the warning could not be computed", Short: "WARN_WHY", Group: GroupClasses},
}

// ClassTable holds the campaign classes of a snapshot's parcels as of one date, a row per
// feature in the snapshot's feature order: the [GroupClasses] attributes packed (nil for null),
// except mu_class, which the 亩均 ranking sets for every parcel at once and which is kept apart.
// It is built for one snapshot ([Snapshot.WithClasses]).
type ClassTable struct {
	Date string // the as-of date, YYYY-MM-DD
	// rows and mu in chunks of classChunk rows, so that an edit copies the chunks it touches,
	// not the table
	rows [][]Record
	mu   [][]string // mu_class per row; "" for null
	n    int
}

// MuClassKey is the class kept apart from the packed rows of a [ClassTable].
const MuClassKey = "mu_class"

const classChunk = 1024

// NewClassTable returns the table of rows (packed by [ClassRecord]) and mu_class values, one
// per feature of the snapshot it is for, in its feature order. It keeps the slices.
func NewClassTable(date string, rows []Record, mu []string) *ClassTable {
	if len(rows) != len(mu) {
		panic(fmt.Sprintf("spatial: %d class rows and %d mu_class values", len(rows), len(mu)))
	}
	t := &ClassTable{Date: date, n: len(rows)}
	for lo := 0; lo < len(rows); lo += classChunk {
		hi := min(lo+classChunk, len(rows))
		t.rows = append(t.rows, rows[lo:hi:hi])
		t.mu = append(t.mu, mu[lo:hi:hi])
	}
	return t
}

// Edited returns a table like t in which row pos[k] holds rows[k] and mu[k]; the other rows are
// shared with t, which is unchanged.
func (t *ClassTable) Edited(pos []int, rows []Record, mu []string) *ClassTable {
	e := &ClassTable{Date: t.Date, rows: slices.Clone(t.rows), mu: slices.Clone(t.mu), n: t.n}
	copied := map[int]bool{}
	for k, i := range pos {
		c := i / classChunk
		if !copied[c] {
			e.rows[c], e.mu[c] = slices.Clone(e.rows[c]), slices.Clone(e.mu[c])
			copied[c] = true
		}
		e.rows[c][i%classChunk], e.mu[c][i%classChunk] = rows[k], mu[k]
	}
	return e
}

// Len returns the number of rows.
func (t *ClassTable) Len() int { return t.n }

// Row returns the packed classes of row i (all but mu_class) and its mu_class.
func (t *ClassTable) Row(i int) (Record, string) {
	return t.rows[i/classChunk][i%classChunk], t.mu[i/classChunk][i%classChunk]
}

// Value returns class key of row i.
func (t *ClassTable) Value(i int, key string) (any, bool) {
	row, mu := t.Row(i)
	if key == MuClassKey {
		if mu == "" {
			return nil, true
		}
		return mu, true
	}
	return row.Get(key)
}

// ClassNames is the name set of the packed rows of a class table: [ClassKeys] but mu_class,
// sorted.
var ClassNames = NameSetOf(slices.Sorted(func(yield func(string) bool) {
	for _, k := range ClassKeys {
		if k != MuClassKey && !yield(k) {
			return
		}
	}
}))

// ClassRecord packs the classes of one feature, given as key/value pairs in any order
// (mu_class is left out), into a row of a [ClassTable].
func ClassRecord(each func(fn func(key string, value any))) Record {
	names := ClassNames.Names()
	vals := make([]any, len(names))
	each(func(k string, v any) {
		if i := ClassNames.find(k); i >= 0 {
			vals[i] = v
		}
	})
	return Record{names: ClassNames, data: packValues(names, func(i int) any { return vals[i] })}
}

// DerivedKeys are the keys of [Computed], in order.
var DerivedKeys = func() []string {
	keys := make([]string, len(Computed))
	for i, a := range Computed {
		keys[i] = a.Key
	}
	return keys
}()

// ComputedAttribute returns the computed attribute named key.
func ComputedAttribute(key string) (Attribute, bool) {
	if i, ok := computedIndex[key]; ok {
		return Computed[i], true
	}
	return Attribute{}, false
}

// computedIndex is the position of each computed attribute in [Computed], by key.
var computedIndex = func() map[string]int {
	m := make(map[string]int, len(Computed))
	for i, a := range Computed {
		m[a.Key] = i
	}
	return m
}()

// IsDerivedKey reports whether k names a computed attribute.
func IsDerivedKey(k string) bool {
	_, ok := ComputedAttribute(k)
	return ok
}

// ClassKeys are the keys of the [GroupClasses] attributes, in [Computed] order.
var ClassKeys = func() []string {
	var keys []string
	for _, a := range Computed {
		if a.Group == GroupClasses {
			keys = append(keys, a.Key)
		}
	}
	return keys
}()

// Has reports whether the attributes of group g are present in d (the classes are not held in
// d: see [Snapshot.Value]).
func (d Derived) Has(g Group) bool {
	switch g {
	case GroupClasses:
		return false
	case GroupControl:
		return d.ControlPosition != ""
	case GroupBlock:
		return d.BlockID != 0
	}
	return true
}

// Value returns the value of computed attribute key in d, and false when it is not present.
// Values are float64, int64, string or bool.
func (d Derived) Value(key string) (any, bool) {
	switch key {
	case "area_m2":
		return d.AreaM2, true
	case "area_mu":
		return d.AreaMu, true
	}
	if a, ok := ComputedAttribute(key); !ok || !d.Has(a.Group) {
		return nil, false
	}
	switch key {
	case "control_position":
		return string(d.ControlPosition), true
	case "outside_ratio":
		return d.OutsideRatio, true
	case "outside_mu":
		return d.OutsideMu, true
	case "block_id":
		return int64(d.BlockID), true
	case "block_mu":
		return d.BlockMu, true
	case "scattered":
		return d.Scattered, true
	}
	return nil, false
}

// Each calls fn for every computed attribute present in d, in [Computed] order.
func (d Derived) Each(fn func(key string, value any)) {
	for _, a := range Computed {
		if v, ok := d.Value(a.Key); ok {
			fn(a.Key, v)
		}
	}
}

// WithClasses returns a snapshot like s whose parcels carry the campaign classes of t. It
// shares everything else with s.
func (s *Snapshot) WithClasses(t *ClassTable) *Snapshot {
	if t != nil && t.Len() != s.Len() {
		panic(fmt.Sprintf("spatial: a class table of %d rows for a snapshot of %d features", t.Len(), s.Len()))
	}
	c := *s
	c.classes = t
	return &c
}

// ClassRow returns the row of feature f in the snapshot's class table ([Snapshot.Classes]),
// when it carries one.
func (s *Snapshot) ClassRow(f *Feature) (int, bool) {
	if s.classes == nil {
		return 0, false
	}
	return s.index(f.ID)
}

// ClassValue returns class key of feature f, when the snapshot carries classes.
func (s *Snapshot) ClassValue(f *Feature, key string) (any, bool) {
	i, ok := s.ClassRow(f)
	if !ok {
		return nil, false
	}
	return s.classes.Value(i, key)
}

// Classes returns the class table the snapshot carries, or nil.
func (s *Snapshot) Classes() *ClassTable { return s.classes }

// Value returns computed attribute key of feature f of the snapshot: a derived attribute, or a
// class when the snapshot carries classes. The second result is false when f does not have it.
func (s *Snapshot) Value(f *Feature, key string) (any, bool) {
	a, ok := ComputedAttribute(key)
	if !ok {
		return nil, false
	}
	if a.Group != GroupClasses {
		return f.Derived.Value(key)
	}
	return s.ClassValue(f, key)
}

// Properties returns f's source attributes merged with its computed attributes — the classes
// too when the snapshot carries them (a null class is published as null).
func (s *Snapshot) Properties(f *Feature) map[string]any {
	m := f.Properties()
	if i, ok := s.ClassRow(f); ok {
		for _, k := range ClassKeys {
			m[k], _ = s.classes.Value(i, k)
		}
	}
	return m
}

// ComputedFor returns the computed attributes that features of a layer of kind k can have:
// parcels layers have them all, other layers the areas.
func ComputedFor(k Kind) []Attribute {
	if k == KindParcels {
		return Computed
	}
	var out []Attribute
	for _, a := range Computed {
		if a.Group == GroupArea {
			out = append(out, a)
		}
	}
	return out
}
