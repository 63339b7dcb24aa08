package spatial

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
	for _, a := range Computed {
		if a.Key == key {
			return a, true
		}
	}
	return Attribute{}, false
}

// IsDerivedKey reports whether k names a computed attribute.
func IsDerivedKey(k string) bool {
	_, ok := ComputedAttribute(k)
	return ok
}

// Has reports whether the attributes of group g are present in d.
func (d Derived) Has(g Group) bool {
	switch g {
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
