package tiles

import (
	"slices"

	"github.com/mudi-gis/mudi/spatial"
)

// Names of the derived properties every parcel feature carries in a tile (see [spatial.Derived]).
// A source attribute with one of these names is not copied into tiles: the derived value wins.
const (
	PropAreaMu          = "area_mu"          // double, 亩, always present
	PropControlPosition = "control_position" // "inside" | "straddling" | "outside", when computed
	PropOutsideRatio    = "outside_ratio"    // double 0..1, when control_position is present
	PropOutsideMu       = "outside_mu"       // double, 亩, when control_position is present
	PropBlockID         = "block_id"         // unsigned integer, when the block is computed
	PropBlockMu         = "block_mu"         // double, 亩, when block_id is present
	PropScattered       = "scattered"        // boolean, when block_id is present
)

var derivedProps = [...]string{
	PropAreaMu, PropControlPosition, PropOutsideRatio, PropOutsideMu,
	PropBlockID, PropBlockMu, PropScattered,
}

const (
	slotAreaMu = iota
	slotControlPosition
	slotOutsideRatio
	slotOutsideMu
	slotBlockID
	slotBlockMu
	slotScattered
	slotClasses // then one slot per class in tileClasses
)

// tileClasses are the campaign classes tiles carry (of a snapshot that carries classes).
var tileClasses = func() (out []struct{ key string }) {
	for _, a := range spatial.Computed {
		if a.Group == spatial.GroupClasses && a.Tiles {
			out = append(out, struct{ key string }{a.Key})
		}
	}
	return out
}()

var nDerived = slotClasses + len(tileClasses)

// isDerivedProp reports whether a source attribute is shadowed by a computed one (area_m2 is
// computed too, though tiles do not carry it).
func isDerivedProp(name string) bool { return spatial.IsDerivedKey(name) }

// DefaultStyleFields returns the source attributes that tiles carry by default, besides the
// fields named by the layer's roles (see [Options.StyleFields]): the conventional codes a map
// needs for colouring, labelling and a click-popup — 地块编号/宗地代码 DKBH/ZDDM, 权利人 QLR,
// 行政区 XZQMC, 五未类型 WWLX, 是否低效 SFDX, 低效类型 DXLX, 是否闲置 SFXZ, 亩均等级 MJDJ,
// 处置状态 CZZT, 预警等级 YJDJ, 亩均税收 MJSS and 容积率 RJL. Attributes a feature lacks, or holds
// as null, are simply omitted.
func DefaultStyleFields() []string {
	return []string{
		"DKBH", "ZDDM", "QLR", "XZQMC", "WWLX", "SFDX", "DXLX", "SFXZ",
		"MJDJ", "CZZT", "YJDJ", "MJSS", "RJL",
	}
}

// DefaultClassFields returns the source attributes that parcels carry below
// [Options.DetailZoom]: the low-cardinality classes the default style and typical filters use —
// 五未类型 WWLX, 是否低效 SFDX, 低效类型 DXLX, 是否闲置 SFXZ, 亩均等级 MJDJ, 处置状态 CZZT and
// 预警等级 YJDJ (and the layer's "status" role field).
func DefaultClassFields() []string {
	return []string{"WWLX", "SFDX", "DXLX", "SFXZ", "MJDJ", "CZZT", "YJDJ"}
}

// sourceFields appends to dst, in a deterministic order, the names of the source attributes a
// tile of layer l carries: the schema's order first, then selected names the schema lacks.
// Control and derived layers are small (few features, few attributes) and carry their whole
// schema; parcels layers carry the class fields below DetailZoom (detail false), and from it
// the style selection, or everything with AllAttributes.
func (r *Renderer) sourceFields(dst []string, l *spatial.Layer, detail bool) []string {
	add := func(name string) {
		if name != "" && !isDerivedProp(name) && !slices.Contains(dst, name) {
			dst = append(dst, name)
		}
	}
	if l.Kind == spatial.KindControl || l.Kind == spatial.KindDerived || (detail && r.opts.AllAttributes) {
		for _, f := range l.Fields {
			add(f.Name)
		}
		return dst
	}
	if !detail {
		status, _ := l.Role("status")
		for _, f := range l.Fields {
			if f.Name == status || slices.Contains(r.class, f.Name) {
				add(f.Name)
			}
		}
		for _, name := range r.class {
			add(name)
		}
		add(status)
		return dst
	}
	selected := func(name string) bool {
		if slices.Contains(r.style, name) {
			return true
		}
		for _, f := range l.Roles {
			if f == name {
				return true
			}
		}
		return false
	}
	for _, f := range l.Fields {
		if selected(f.Name) {
			add(f.Name)
		}
	}
	for _, name := range r.style {
		add(name)
	}
	if len(l.Roles) > 0 {
		roles := make([]string, 0, len(l.Roles))
		for role := range l.Roles {
			roles = append(roles, role)
		}
		slices.Sort(roles)
		for _, role := range roles {
			add(l.Roles[role])
		}
	}
	return dst
}
