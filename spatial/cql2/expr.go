package cql2

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// Expr is a parsed filter. It is immutable and safe for concurrent use. Build one with
// [Parse], [ParseCRS], [Equals] or [And].
type Expr struct {
	root node
	crs  crs.CRS // CRS of the geometry literals as written
}

// binding holds the snapshot a filter's features come from.
type binding struct{ sn *spatial.Snapshot }

// In returns e bound to snapshot sn: properties that are campaign classes (which the snapshot,
// not the feature, carries) are read from it. Without a binding they are missing.
func (e *Expr) In(sn *spatial.Snapshot) *Expr {
	if e == nil {
		return nil
	}
	b := &binding{sn: sn}
	var bind func(n node)
	bind = func(n node) {
		if in, ok := n.(*intersects); ok {
			in.prop.in = b
			return
		}
		for _, s := range scalars(n) {
			if p, ok := s.(*propRef); ok {
				p.in = b
			}
		}
	}
	walk(e.root, bind)
	return e
}

// Match reports whether feature f passes the filter. A nil Expr matches every feature.
func (e *Expr) Match(f *spatial.Feature) bool {
	if e == nil {
		return true
	}
	return e.root.eval(f)
}

// String returns the filter as CQL2 text in a canonical form (keywords in capitals, minimal
// parentheses, geometry literals as written). Parsing it gives an equal filter.
func (e *Expr) String() string {
	if e == nil {
		return "TRUE"
	}
	var b strings.Builder
	e.root.write(&b)
	return b.String()
}

// PropertyRef is a property named in a filter: its name, the byte offset where it is written
// (-1 for filters built with [Equals]) and whether it is used as a geometry (in S_INTERSECTS).
type PropertyRef struct {
	Name     string
	Pos      int
	Geometry bool
}

// Properties returns the properties the filter names, in the order they are written.
func (e *Expr) Properties() []PropertyRef {
	if e == nil {
		return nil
	}
	var out []PropertyRef
	walk(e.root, func(n node) {
		switch n := n.(type) {
		case *intersects:
			out = append(out, PropertyRef{Name: n.prop.name, Pos: n.prop.pos, Geometry: true})
		default:
			for _, s := range scalars(n) {
				if p, ok := s.(*propRef); ok {
					out = append(out, PropertyRef{Name: p.name, Pos: p.pos})
				}
			}
		}
	})
	return out
}

// Bound returns a lon/lat bound that every matching feature's geometry intersects, when the
// filter implies one (an S_INTERSECTS at its top level, alone or joined by AND); callers use
// it to search a spatial index first.
func (e *Expr) Bound() (orb.Bound, bool) {
	if e == nil {
		return orb.Bound{}, false
	}
	return bound(e.root)
}

func bound(n node) (orb.Bound, bool) {
	switch n := n.(type) {
	case *intersects:
		return n.shape.bound, true
	case *and:
		lb, lok := bound(n.l)
		rb, rok := bound(n.r)
		switch {
		case lok && rok:
			if !lb.Intersects(rb) {
				return orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{0, 0}}, true // empty
			}
			return orb.Bound{Min: orb.Point{max(lb.Min[0], rb.Min[0]), max(lb.Min[1], rb.Min[1])},
				Max: orb.Point{min(lb.Max[0], rb.Max[0]), min(lb.Max[1], rb.Max[1])}}, true
		case lok:
			return lb, true
		case rok:
			return rb, true
		}
	}
	return orb.Bound{}, false
}

// Equals returns the filter property = value, where value is a string, int64, float64 or
// bool (as in [spatial.Attrs]).
func Equals(property string, value any) *Expr {
	return &Expr{root: &compare{op: "=", l: &propRef{name: property, pos: -1}, r: &literal{v: value}}, crs: crs.CRS84}
}

// And returns the conjunction of the non-nil filters, or nil when there are none.
func And(exprs ...*Expr) *Expr {
	var out *Expr
	for _, e := range exprs {
		switch {
		case e == nil:
		case out == nil:
			out = e
		default:
			out = &Expr{root: &and{l: out.root, r: e.root}, crs: out.crs}
		}
	}
	return out
}

// node is a boolean expression.
type node interface {
	eval(f *spatial.Feature) bool
	write(b *strings.Builder)
}

// scalar is a property or a literal value.
type scalar interface {
	value(f *spatial.Feature) (any, bool)
	write(b *strings.Builder)
}

type (
	and struct{ l, r node }
	or  struct{ l, r node }
	not struct{ x node }

	boolConst struct{ v bool }

	compare struct {
		op   string
		l, r scalar
	}
	like struct {
		x       scalar
		pattern string
		neg     bool
		compile []patternPart
	}
	between struct {
		x, lo, hi scalar
		neg       bool
	}
	in struct {
		x    scalar
		list []scalar
		neg  bool
	}
	isNull struct {
		x   scalar
		neg bool
	}
	intersects struct {
		prop      *propRef
		shape     *shape
		propFirst bool
	}

	propRef struct {
		name string
		pos  int
		in   *binding // the snapshot the filter is evaluated in, for computed classes
	}
	// literal is a string, int64, float64 or bool; tag is "DATE" or "TIMESTAMP" for typed
	// string literals.
	literal struct {
		v   any
		tag string
	}
)

func walk(n node, fn func(node)) {
	fn(n)
	switch n := n.(type) {
	case *and:
		walk(n.l, fn)
		walk(n.r, fn)
	case *or:
		walk(n.l, fn)
		walk(n.r, fn)
	case *not:
		walk(n.x, fn)
	}
}

func scalars(n node) []scalar {
	switch n := n.(type) {
	case *compare:
		return []scalar{n.l, n.r}
	case *like:
		return []scalar{n.x}
	case *between:
		return []scalar{n.x, n.lo, n.hi}
	case *in:
		return append([]scalar{n.x}, n.list...)
	case *isNull:
		return []scalar{n.x}
	}
	return nil
}

func (n *and) eval(f *spatial.Feature) bool        { return n.l.eval(f) && n.r.eval(f) }
func (n *or) eval(f *spatial.Feature) bool         { return n.l.eval(f) || n.r.eval(f) }
func (n *not) eval(f *spatial.Feature) bool        { return !n.x.eval(f) }
func (n *boolConst) eval(*spatial.Feature) bool    { return n.v }
func (n *intersects) eval(f *spatial.Feature) bool { return n.shape.intersects(f.Geometry) }

func (n *compare) eval(f *spatial.Feature) bool {
	a, ok := n.l.value(f)
	if !ok {
		return false
	}
	b, ok := n.r.value(f)
	if !ok {
		return false
	}
	c, ordered, ok := cmp(a, b)
	if !ok {
		return false
	}
	switch n.op {
	case "=":
		return c == 0
	case "<>":
		return c != 0
	}
	if !ordered {
		return false
	}
	switch n.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

func (n *like) eval(f *spatial.Feature) bool {
	v, ok := n.x.value(f)
	if !ok {
		return false
	}
	s, ok := v.(string)
	if !ok {
		return false
	}
	return matchPattern(n.compile, s) != n.neg
}

func (n *between) eval(f *spatial.Feature) bool {
	v, ok := n.x.value(f)
	if !ok {
		return false
	}
	lo, ok1 := n.lo.value(f)
	hi, ok2 := n.hi.value(f)
	if !ok1 || !ok2 {
		return false
	}
	c1, ord1, ok1 := cmp(v, lo)
	c2, ord2, ok2 := cmp(v, hi)
	if !ok1 || !ok2 || !ord1 || !ord2 {
		return false
	}
	return (c1 >= 0 && c2 <= 0) != n.neg
}

func (n *in) eval(f *spatial.Feature) bool {
	v, ok := n.x.value(f)
	if !ok {
		return false
	}
	found := false
	for _, s := range n.list {
		w, ok := s.value(f)
		if !ok {
			continue
		}
		if c, _, ok := cmp(v, w); ok && c == 0 {
			found = true
			break
		}
	}
	return found != n.neg
}

func (n *isNull) eval(f *spatial.Feature) bool {
	_, ok := n.x.value(f)
	return ok == n.neg
}

// value returns the property as [spatial.Feature.Properties] publishes it; false when it is
// missing or null.
func (p *propRef) value(f *spatial.Feature) (any, bool) {
	if p.in != nil && p.in.sn != nil && spatial.IsDerivedKey(p.name) {
		v, ok := p.in.sn.Value(f, p.name)
		return v, ok && v != nil
	}
	if spatial.IsDerivedKey(p.name) {
		var v any
		found := false
		f.Derived.Each(func(k string, x any) {
			if k == p.name {
				v, found = x, true
			}
		})
		if found {
			return v, true
		}
	}
	v, ok := f.Attrs.Get(p.name)
	return v, ok && v != nil
}

func (l *literal) value(*spatial.Feature) (any, bool) { return l.v, true }

// cmp compares two values: numbers numerically, strings bytewise, booleans for equality only
// (ordered is false). ok is false when the values cannot be compared.
func cmp(a, b any) (c int, ordered, ok bool) {
	switch a := a.(type) {
	case string:
		if b, isStr := b.(string); isStr {
			return strings.Compare(a, b), true, true
		}
		return 0, false, false
	case bool:
		if b, isBool := b.(bool); isBool {
			if a == b {
				return 0, false, true
			}
			return 1, false, true
		}
		return 0, false, false
	case int64:
		switch b := b.(type) {
		case int64:
			return cmpOrdered(a, b), true, true
		case float64:
			return cmpIntFloat(a, b)
		}
	case float64:
		switch b := b.(type) {
		case int64:
			c, ordered, ok := cmpIntFloat(b, a)
			return -c, ordered, ok
		case float64:
			if a != a || b != b {
				return 0, false, false
			}
			return cmpOrdered(a, b), true, true
		}
	}
	return 0, false, false
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpIntFloat compares an integer with a float exactly, also beyond 2^53.
func cmpIntFloat(i int64, f float64) (int, bool, bool) {
	switch {
	case f != f:
		return 0, false, false
	case f >= 9223372036854775808.0:
		return -1, true, true
	case f < -9223372036854775808.0:
		return 1, true, true
	}
	t := int64(f) // truncated toward zero, exact in range
	if c := cmpOrdered(i, t); c != 0 {
		return c, true, true
	}
	frac := f - float64(t)
	switch {
	case frac > 0:
		return -1, true, true
	case frac < 0:
		return 1, true, true
	}
	return 0, true, true
}

// Printing. Binary operators print their operands bare where precedence and left
// associativity make the parse come out the same, and in parentheses otherwise.

func (n *and) write(b *strings.Builder) {
	writeOperand(b, n.l, func(x node) bool { _, isOr := x.(*or); return isOr })
	b.WriteString(" AND ")
	writeOperand(b, n.r, func(x node) bool {
		switch x.(type) {
		case *or, *and:
			return true
		}
		return false
	})
}

func (n *or) write(b *strings.Builder) {
	n.l.write(b)
	b.WriteString(" OR ")
	writeOperand(b, n.r, func(x node) bool { _, isOr := x.(*or); return isOr })
}

func (n *not) write(b *strings.Builder) {
	b.WriteString("NOT ")
	writeOperand(b, n.x, func(x node) bool {
		switch x.(type) {
		case *or, *and:
			return true
		}
		return false
	})
}

func writeOperand(b *strings.Builder, n node, paren func(node) bool) {
	if paren(n) {
		b.WriteByte('(')
		n.write(b)
		b.WriteByte(')')
		return
	}
	n.write(b)
}

func (n *boolConst) write(b *strings.Builder) {
	if n.v {
		b.WriteString("TRUE")
	} else {
		b.WriteString("FALSE")
	}
}

func (n *compare) write(b *strings.Builder) {
	n.l.write(b)
	b.WriteString(" " + n.op + " ")
	n.r.write(b)
}

func (n *like) write(b *strings.Builder) {
	n.x.write(b)
	if n.neg {
		b.WriteString(" NOT")
	}
	b.WriteString(" LIKE ")
	writeString(b, n.pattern)
}

func (n *between) write(b *strings.Builder) {
	n.x.write(b)
	if n.neg {
		b.WriteString(" NOT")
	}
	b.WriteString(" BETWEEN ")
	n.lo.write(b)
	b.WriteString(" AND ")
	n.hi.write(b)
}

func (n *in) write(b *strings.Builder) {
	n.x.write(b)
	if n.neg {
		b.WriteString(" NOT")
	}
	b.WriteString(" IN (")
	for i, s := range n.list {
		if i > 0 {
			b.WriteString(", ")
		}
		s.write(b)
	}
	b.WriteByte(')')
}

func (n *isNull) write(b *strings.Builder) {
	n.x.write(b)
	if n.neg {
		b.WriteString(" IS NOT NULL")
	} else {
		b.WriteString(" IS NULL")
	}
}

func (n *intersects) write(b *strings.Builder) {
	b.WriteString("S_INTERSECTS(")
	if n.propFirst {
		n.prop.write(b)
		b.WriteString(", ")
		n.shape.write(b)
	} else {
		n.shape.write(b)
		b.WriteString(", ")
		n.prop.write(b)
	}
	b.WriteByte(')')
}

func (p *propRef) write(b *strings.Builder) {
	if plainIdent(p.name) {
		b.WriteString(p.name)
		return
	}
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(p.name, `"`, `""`))
	b.WriteByte('"')
}

func (l *literal) write(b *strings.Builder) {
	switch v := l.v.(type) {
	case string:
		if l.tag != "" {
			b.WriteString(l.tag + "(")
			writeString(b, v)
			b.WriteByte(')')
			return
		}
		writeString(b, v)
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(formatFloat(v))
	case bool:
		if v {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	}
}

func formatFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if strings.ContainsAny(s, ".eEn") { // n: NaN/Inf cannot occur, parse rejects them
		return s
	}
	return s + ".0" // keep a float a float when printed and parsed again
}

func writeString(b *strings.Builder, s string) {
	b.WriteByte('\'')
	b.WriteString(strings.ReplaceAll(s, `'`, `''`))
	b.WriteByte('\'')
}

// plainIdent reports whether name can be written without quotes.
func plainIdent(name string) bool {
	if name == "" || keywords[keyword(name)] {
		return false
	}
	for i, r := range name {
		if i == 0 && !identStart(r) || i > 0 && !identPart(r) {
			return false
		}
	}
	return true
}

var keywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range []string{"AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "TRUE", "FALSE",
		"S_INTERSECTS", "BBOX", "POINT", "POLYGON", "MULTIPOLYGON", "DATE", "TIMESTAMP"} {
		m[k] = true
	}
	return m
}()

// keyword returns the ASCII upper case of an identifier made of ASCII letters and '_', the
// form keywords are matched in, and "" for any other identifier.
func keyword(ident string) string {
	for i := 0; i < len(ident); i++ {
		c := ident[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
			return ""
		}
	}
	return strings.ToUpper(ident)
}

// LiteralError reports coordinates that do not make a valid geometry literal, from
// [IntersectsBBox].
type LiteralError struct {
	Msg string
}

func (e *LiteralError) Error() string { return "cql2: " + e.Msg }

// IntersectsBBox returns the filter S_INTERSECTS(geometry, BBOX(nums…)): nums are 4 numbers
// (or 6, with heights, which are ignored) in the axis order of c, as the bbox and bbox-crs
// parameters of OGC API – Features give them. It returns a *[LiteralError] when they do not
// make a box in c.
func IntersectsBBox(nums []float64, c crs.CRS) (*Expr, error) {
	if len(nums) != 4 && len(nums) != 6 {
		return nil, &LiteralError{Msg: fmt.Sprintf("a bbox has 4 numbers (or 6 with heights), not %d", len(nums))}
	}
	for _, v := range nums {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &LiteralError{Msg: "a bbox has finite numbers"}
		}
	}
	s := &shape{kind: "BBOX", nums: append([]float64(nil), nums...)}
	if err := s.resolve(c); err != nil {
		return nil, &LiteralError{Msg: err.Error()}
	}
	return &Expr{root: &intersects{prop: &propRef{name: "geometry", pos: -1}, shape: s, propFirst: true}, crs: c}, nil
}
