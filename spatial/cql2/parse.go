package cql2

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial/crs"
)

// maxDepth bounds the nesting of NOT and parentheses, so that hostile input cannot exhaust
// the stack.
const maxDepth = 64

// Limits on the size of a filter. Evaluating a filter costs time per feature in proportion to
// its terms, and a filter arrives in a public GET: without a bound, a chain of a million ORs
// would cost seconds of CPU per request.
const (
	// MaxBytes is the longest filter text, in bytes.
	MaxBytes = 64 << 10
	// MaxTerms is the most terms a filter may hold: properties and values (each value of an
	// IN list is one), TRUE and FALSE predicates, and S_INTERSECTS predicates.
	MaxTerms = 2000
	// MaxVertices is the most vertices the geometry literals of a filter may have together,
	// after the edges of projected literals are densified.
	MaxVertices = 100_000
)

// Parse parses CQL2 text whose geometry literals are in CRS84 (longitude, latitude). It
// returns a *[SyntaxError] pointing at the first problem, including a filter over the limits
// [MaxBytes], [MaxTerms] or [MaxVertices].
func Parse(text string) (*Expr, error) { return ParseCRS(text, crs.CRS84) }

// ParseCRS parses CQL2 text whose geometry literals are in c, with the axis order of c's
// definition (filter-crs of OGC API – Features Part 3). It returns a *[SyntaxError] pointing
// at the first problem, including coordinates that are not positions in c.
func ParseCRS(text string, c crs.CRS) (*Expr, error) {
	if c == (crs.CRS{}) {
		return nil, errors.New("cql2: CRS not set")
	}
	if len(text) > MaxBytes {
		return nil, &SyntaxError{Pos: MaxBytes, Msg: fmt.Sprintf("the filter is %d bytes long; at most %d are allowed", len(text), MaxBytes)}
	}
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, crs: c}
	root, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t, "AND, OR or the end of the filter")
	}
	return &Expr{root: root, crs: c}, nil
}

type parser struct {
	toks     []token
	i        int
	crs      crs.CRS
	terms    int // terms so far (see MaxTerms)
	vertices int // vertices of geometry literals so far (see MaxVertices)
}

// term counts one term at byte pos and fails past [MaxTerms].
func (p *parser) countTerm(pos int) error {
	if p.terms++; p.terms > MaxTerms {
		return p.errorf(pos, "the filter has more than %d terms (properties, values, TRUE/FALSE, S_INTERSECTS)", MaxTerms)
	}
	return nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isKeyword(t token, kw string) bool { return t.kind == tIdent && keyword(t.text) == kw }

func (p *parser) accept(kw string) bool {
	if p.isKeyword(p.peek(), kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) unexpected(t token, want string) error {
	return p.errorf(t.pos, "unexpected %s, expected %s", t.describe(), want)
}

func (p *parser) expect(kind tokenKind, want string) (token, error) {
	t := p.next()
	if t.kind != kind {
		return t, p.unexpected(t, want)
	}
	return t, nil
}

// expr = term { OR term }
func (p *parser) expr(depth int) (node, error) {
	l, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	for p.accept("OR") {
		r, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		l = &or{l: l, r: r}
	}
	return l, nil
}

// term = factor { AND factor }
func (p *parser) term(depth int) (node, error) {
	l, err := p.factor(depth)
	if err != nil {
		return nil, err
	}
	for p.accept("AND") {
		r, err := p.factor(depth)
		if err != nil {
			return nil, err
		}
		l = &and{l: l, r: r}
	}
	return l, nil
}

// factor = NOT factor | "(" expr ")" | S_INTERSECTS(…) | TRUE | FALSE | predicate
func (p *parser) factor(depth int) (node, error) {
	t := p.peek()
	if depth >= maxDepth {
		return nil, p.errorf(t.pos, "the filter is nested more than %d levels deep", maxDepth)
	}
	switch {
	case p.isKeyword(t, "NOT"):
		p.next()
		x, err := p.factor(depth + 1)
		if err != nil {
			return nil, err
		}
		return &not{x: x}, nil
	case t.kind == tLParen:
		p.next()
		x, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, `")"`); err != nil {
			return nil, err
		}
		return x, nil
	case p.isKeyword(t, "S_INTERSECTS"):
		if err := p.countTerm(t.pos); err != nil {
			return nil, err
		}
		return p.intersects()
	case (p.isKeyword(t, "TRUE") || p.isKeyword(t, "FALSE")) && !p.startsPredicate(p.peekAt(1)):
		if err := p.countTerm(t.pos); err != nil {
			return nil, err
		}
		p.next()
		return &boolConst{v: keyword(t.text) == "TRUE"}, nil
	case t.kind == tIdent && isSpatialKeyword(keyword(t.text)):
		return nil, p.errorf(t.pos, "%s is a geometry literal: use it in S_INTERSECTS(geometry, %s(…))", keyword(t.text), keyword(t.text))
	case t.kind == tIdent && keyword(t.text) != "" && !p.scalarKeyword(t):
		return nil, p.errorf(t.pos, "unexpected keyword %s: expected a predicate (quote a property with this name: %q)", keyword(t.text), t.text)
	}
	return p.predicate()
}

func isSpatialKeyword(k string) bool {
	return k == "BBOX" || k == "POINT" || k == "POLYGON" || k == "MULTIPOLYGON"
}

func (p *parser) scalarKeyword(t token) bool {
	switch keyword(t.text) {
	case "TRUE", "FALSE", "DATE", "TIMESTAMP":
		return true
	}
	return !keywords[keyword(t.text)] // not a reserved word: a property
}

// startsPredicate reports whether t continues a scalar into a predicate.
func (p *parser) startsPredicate(t token) bool {
	if t.kind == tOp {
		return true
	}
	switch keyword(t.text) {
	case "LIKE", "BETWEEN", "IN", "IS", "NOT":
		return t.kind == tIdent
	}
	return false
}

// predicate = scalar ( op scalar | [NOT] LIKE string | [NOT] BETWEEN scalar AND scalar |
// [NOT] IN "(" scalar {"," scalar} ")" | IS [NOT] NULL )
func (p *parser) predicate() (node, error) {
	x, err := p.scalar()
	if err != nil {
		return nil, err
	}
	t := p.next()
	if t.kind == tOp {
		y, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return &compare{op: t.text, l: x, r: y}, nil
	}
	if t.kind != tIdent {
		return nil, p.unexpected(t, "a comparison operator, LIKE, BETWEEN, IN or IS")
	}
	neg := false
	kw := keyword(t.text)
	if kw == "IS" {
		neg = p.accept("NOT")
		if nt := p.next(); !p.isKeyword(nt, "NULL") {
			return nil, p.unexpected(nt, "NULL")
		}
		return &isNull{x: x, neg: neg}, nil
	}
	if kw == "NOT" {
		neg = true
		t = p.next()
		kw = keyword(t.text)
		if t.kind != tIdent {
			kw = ""
		}
	}
	switch kw {
	case "LIKE":
		pt := p.next()
		if pt.kind != tString {
			return nil, p.unexpected(pt, "a pattern in single quotes")
		}
		return &like{x: x, pattern: pt.text, neg: neg, compile: compilePattern(pt.text)}, nil
	case "BETWEEN":
		lo, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if at := p.next(); !p.isKeyword(at, "AND") {
			return nil, p.unexpected(at, "AND")
		}
		hi, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return &between{x: x, lo: lo, hi: hi, neg: neg}, nil
	case "IN":
		if _, err := p.expect(tLParen, `"(" and a list of values`); err != nil {
			return nil, err
		}
		var list []scalar
		for {
			v, err := p.scalar()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			sep := p.next()
			if sep.kind == tRParen {
				break
			}
			if sep.kind != tComma {
				return nil, p.unexpected(sep, `"," or ")"`)
			}
		}
		return &in{x: x, list: list, neg: neg}, nil
	}
	if neg {
		return nil, p.unexpected(t, "LIKE, BETWEEN or IN after NOT")
	}
	return nil, p.unexpected(t, "a comparison operator, LIKE, BETWEEN, IN or IS")
}

// scalar = property | 'string' | [-|+] number | TRUE | FALSE | DATE('…') | TIMESTAMP('…')
func (p *parser) scalar() (scalar, error) {
	t := p.next()
	if err := p.countTerm(t.pos); err != nil {
		return nil, err
	}
	switch t.kind {
	case tQuotedIdent:
		return &propRef{name: t.text, pos: t.pos}, nil
	case tString:
		return &literal{v: t.text}, nil
	case tNumber, tMinus, tPlus:
		p.i--
		v, err := p.number()
		if err != nil {
			return nil, err
		}
		return v, nil
	case tIdent:
		switch kw := keyword(t.text); kw {
		case "TRUE", "FALSE":
			return &literal{v: kw == "TRUE"}, nil
		case "DATE", "TIMESTAMP":
			return p.typedString(t, kw)
		case "":
		default:
			if keywords[kw] {
				return nil, p.errorf(t.pos, "unexpected keyword %s, expected a property or a value (quote a property with this name: %q)", kw, t.text)
			}
		}
		return &propRef{name: t.text, pos: t.pos}, nil
	}
	return nil, p.unexpected(t, "a property or a value")
}

func (p *parser) typedString(t token, kw string) (scalar, error) {
	if _, err := p.expect(tLParen, `"("`); err != nil {
		return nil, err
	}
	st := p.next()
	if st.kind != tString {
		return nil, p.unexpected(st, "a "+map[string]string{"DATE": "date", "TIMESTAMP": "timestamp"}[kw]+" in single quotes")
	}
	switch kw {
	case "DATE":
		if _, err := time.Parse("2006-01-02", st.text); err != nil {
			return nil, p.errorf(st.pos, "%q is not a date (YYYY-MM-DD)", st.text)
		}
	case "TIMESTAMP":
		if _, err := time.Parse(time.RFC3339Nano, st.text); err != nil {
			return nil, p.errorf(st.pos, "%q is not a timestamp (RFC 3339, e.g. 2024-06-30T08:00:00Z)", st.text)
		}
	}
	if _, err := p.expect(tRParen, `")"`); err != nil {
		return nil, err
	}
	return &literal{v: st.text, tag: kw}, nil
}

// number = [-|+] unsigned number; integers that fit in int64 stay integers.
func (p *parser) number() (*literal, error) {
	sign := p.peek()
	neg := false
	if sign.kind == tMinus || sign.kind == tPlus {
		neg = sign.kind == tMinus
		p.next()
	}
	t := p.next()
	if t.kind != tNumber {
		return nil, p.unexpected(t, "a number")
	}
	text := t.text
	if neg {
		text = "-" + text
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return &literal{v: i}, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, p.errorf(sign.pos, "number %s is out of range", text)
	}
	return &literal{v: f}, nil
}

func (p *parser) coordinate() (float64, error) {
	l, err := p.number()
	if err != nil {
		return 0, err
	}
	if v, ok := l.v.(int64); ok {
		return float64(v), nil
	}
	return l.v.(float64), nil
}

// intersects = S_INTERSECTS "(" geomExpr "," geomExpr ")" with one property and one literal.
func (p *parser) intersects() (node, error) {
	p.next() // S_INTERSECTS
	if _, err := p.expect(tLParen, `"("`); err != nil {
		return nil, err
	}
	n := &intersects{}
	for arg := 0; arg < 2; arg++ {
		if arg == 1 {
			if _, err := p.expect(tComma, `","`); err != nil {
				return nil, err
			}
		}
		t := p.peek()
		if t.kind == tIdent && isSpatialKeyword(keyword(t.text)) {
			if n.shape != nil {
				return nil, p.errorf(t.pos, "S_INTERSECTS of two literals: one argument must be the geometry property")
			}
			s, err := p.shape()
			if err != nil {
				return nil, err
			}
			n.shape = s
			continue
		}
		if t.kind != tIdent && t.kind != tQuotedIdent || t.kind == tIdent && keywords[keyword(t.text)] {
			return nil, p.unexpected(t, "the geometry property or a BBOX, POINT, POLYGON or MULTIPOLYGON literal")
		}
		if n.prop != nil {
			return nil, p.errorf(t.pos, "S_INTERSECTS of two properties is not supported: one argument must be a literal")
		}
		p.next()
		n.prop = &propRef{name: t.text, pos: t.pos}
		n.propFirst = arg == 0
	}
	if _, err := p.expect(tRParen, `")"`); err != nil {
		return nil, err
	}
	return n, nil
}

// shape parses BBOX(…), POINT(…), POLYGON(…) or MULTIPOLYGON(…) and converts it to lon/lat.
func (p *parser) shape() (*shape, error) {
	t := p.next()
	s := &shape{kind: keyword(t.text)}
	if _, err := p.expect(tLParen, `"("`); err != nil {
		return nil, err
	}
	switch s.kind {
	case "BBOX":
		for {
			v, err := p.coordinate()
			if err != nil {
				return nil, err
			}
			s.nums = append(s.nums, v)
			sep := p.next()
			if sep.kind == tRParen {
				break
			}
			if sep.kind != tComma {
				return nil, p.unexpected(sep, `"," or ")"`)
			}
		}
		if len(s.nums) != 4 && len(s.nums) != 6 {
			return nil, p.errorf(t.pos, "BBOX takes 4 numbers (or 6 with heights), not %d", len(s.nums))
		}
	case "POINT":
		pt, err := p.position()
		if err != nil {
			return nil, err
		}
		s.src = pt
		if _, err := p.expect(tRParen, `")"`); err != nil {
			return nil, err
		}
	case "POLYGON":
		pg, err := p.polygonBody()
		if err != nil {
			return nil, err
		}
		s.polys = orb.MultiPolygon{pg}
	case "MULTIPOLYGON":
		for {
			if _, err := p.expect(tLParen, `"(" opening a polygon`); err != nil {
				return nil, err
			}
			pg, err := p.polygonBody()
			if err != nil {
				return nil, err
			}
			s.polys = append(s.polys, pg)
			sep := p.next()
			if sep.kind == tRParen {
				break
			}
			if sep.kind != tComma {
				return nil, p.unexpected(sep, `"," or ")"`)
			}
		}
	}
	if p.vertices += s.vertices(p.crs); p.vertices > MaxVertices {
		return nil, p.errorf(t.pos, "%s: the geometry literals have more than %d vertices (edges in a projected CRS count a vertex every %g m)", s.kind, MaxVertices, maxSegmentM)
	}
	if err := s.resolve(p.crs); err != nil {
		return nil, p.errorf(t.pos, "%s: %v", s.kind, err)
	}
	return s, nil
}

// polygonBody parses the rings of a polygon after its opening "(" and through its closing ")".
func (p *parser) polygonBody() (orb.Polygon, error) {
	var pg orb.Polygon
	for {
		open, err := p.expect(tLParen, `"(" opening a ring`)
		if err != nil {
			return nil, err
		}
		var ring orb.Ring
		for {
			pt, err := p.position()
			if err != nil {
				return nil, err
			}
			ring = append(ring, pt)
			sep := p.next()
			if sep.kind == tRParen {
				break
			}
			if sep.kind != tComma {
				return nil, p.unexpected(sep, `"," or ")"`)
			}
		}
		switch {
		case len(ring) < 4:
			return nil, p.errorf(open.pos, "a ring needs at least 4 positions, this one has %d", len(ring))
		case ring[0] != ring[len(ring)-1]:
			return nil, p.errorf(open.pos, "ring not closed: its last position differs from its first")
		}
		pg = append(pg, ring)
		sep := p.next()
		if sep.kind == tRParen {
			return pg, nil
		}
		if sep.kind != tComma {
			return nil, p.unexpected(sep, `"," or ")"`)
		}
	}
}

// position = number number
func (p *parser) position() (orb.Point, error) {
	x, err := p.coordinate()
	if err != nil {
		return orb.Point{}, err
	}
	y, err := p.coordinate()
	if err != nil {
		return orb.Point{}, err
	}
	return orb.Point{x, y}, nil
}
