package crs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// wktNode is one KEYWORD[…] element of a WKT string (WKT1, ESRI or WKT2; brackets or
// parentheses).
type wktNode struct {
	keyword  string     // upper case
	values   []string   // quoted strings (unquoted) and bare numbers or words, in order
	children []*wktNode // nested elements, in order
}

// child returns the first child with one of the keywords, or nil.
func (n *wktNode) child(keywords ...string) *wktNode {
	for _, c := range n.children {
		for _, k := range keywords {
			if c.keyword == k {
				return c
			}
		}
	}
	return nil
}

// value returns values[i], or "" if there is none. It is safe on a nil node.
func (n *wktNode) value(i int) string {
	if n == nil || i >= len(n.values) {
		return ""
	}
	return n.values[i]
}

// number returns values[i] as a number.
func (n *wktNode) number(i int) (float64, bool) {
	v, err := strconv.ParseFloat(n.value(i), 64)
	return v, err == nil
}

// maxWKTDepth bounds the nesting; real WKT2 nests about six levels deep.
const maxWKTDepth = 32

// parseWKT parses a whole WKT string into its root element. A leading byte order mark and
// surrounding white space are ignored, as .prj files written by some editors have them.
func parseWKT(s string) (*wktNode, error) {
	p := wktParser{s: strings.TrimPrefix(s, "\ufeff")}
	p.skipSpace()
	root, err := p.node(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.s) {
		return nil, p.errorf("unexpected text after the closing bracket")
	}
	return root, nil
}

type wktParser struct {
	s   string
	pos int
}

func (p *wktParser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *wktParser) skipSpace() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

// consume skips the byte c if it comes next.
func (p *wktParser) consume(c byte) bool {
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// word reads a keyword, number or bare enumeration value such as NORTH.
func (p *wktParser) word() string {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == '+' || c == '-') {
			break
		}
		p.pos++
	}
	return p.s[start:p.pos]
}

// quoted reads a double-quoted string; "" inside it stands for one quote.
func (p *wktParser) quoted() (string, error) {
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		if c != '"' {
			b.WriteByte(c)
			continue
		}
		if !p.consume('"') {
			return b.String(), nil
		}
		b.WriteByte('"')
	}
	return "", errors.New("unterminated quoted string")
}

// node reads KEYWORD[arg, arg, …] where each arg is a quoted string, a bare word or number,
// or a nested node.
func (p *wktParser) node(depth int) (*wktNode, error) {
	if depth > maxWKTDepth {
		return nil, p.errorf("nested more than %d levels deep", maxWKTDepth)
	}
	keyword := p.word()
	if keyword == "" {
		return nil, p.errorf("expected a WKT keyword")
	}
	p.skipSpace()
	if !p.consume('[') && !p.consume('(') {
		return nil, p.errorf("expected [ after %s", keyword)
	}
	n := &wktNode{keyword: strings.ToUpper(keyword)}
	for {
		p.skipSpace()
		switch {
		case p.pos >= len(p.s):
			return nil, p.errorf("unexpected end inside %s", n.keyword)
		case p.s[p.pos] == '"':
			s, err := p.quoted()
			if err != nil {
				return nil, err
			}
			n.values = append(n.values, s)
		default:
			start := p.pos
			w := p.word()
			if w == "" {
				return nil, p.errorf("unexpected %q inside %s", p.s[p.pos], n.keyword)
			}
			p.skipSpace()
			if p.pos < len(p.s) && (p.s[p.pos] == '[' || p.s[p.pos] == '(') {
				p.pos = start
				c, err := p.node(depth + 1)
				if err != nil {
					return nil, err
				}
				n.children = append(n.children, c)
			} else {
				n.values = append(n.values, w)
			}
		}
		p.skipSpace()
		switch {
		case p.pos >= len(p.s):
			return nil, p.errorf("unexpected end inside %s", n.keyword)
		case p.consume(','):
		case p.consume(']'), p.consume(')'):
			return n, nil
		default:
			return nil, p.errorf("expected , or ] inside %s", n.keyword)
		}
	}
}
