package cql2

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SyntaxError reports CQL2 text that does not parse, or that uses something outside the
// supported subset. Pos is the byte offset in the text where the problem is.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("cql2: syntax error at byte %d: %s", e.Pos, e.Msg)
}

type tokenKind int

const (
	tEOF tokenKind = iota
	tIdent
	tQuotedIdent
	tString
	tNumber
	tLParen
	tRParen
	tComma
	tOp // = <> < <= > >=
	tMinus
	tPlus
)

type token struct {
	kind tokenKind
	pos  int
	text string // identifier or string value (unescaped), number text, operator
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tIdent:
		return fmt.Sprintf("%q", t.text)
	case tQuotedIdent:
		return fmt.Sprintf("property %q", t.text)
	case tString:
		return fmt.Sprintf("string '%s'", t.text)
	case tNumber:
		return "number " + t.text
	case tLParen:
		return `"("`
	case tRParen:
		return `")"`
	case tComma:
		return `","`
	}
	return fmt.Sprintf("%q", t.text)
}

// lex splits text into tokens.
func lex(text string) ([]token, error) {
	if !utf8.ValidString(text) {
		for i := 0; i < len(text); {
			r, size := utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, &SyntaxError{Pos: i, Msg: "invalid UTF-8"}
			}
			i += size
		}
	}
	var toks []token
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '(':
			toks = append(toks, token{kind: tLParen, pos: i, text: "("})
			i++
		case r == ')':
			toks = append(toks, token{kind: tRParen, pos: i, text: ")"})
			i++
		case r == ',':
			toks = append(toks, token{kind: tComma, pos: i, text: ","})
			i++
		case r == '-':
			toks = append(toks, token{kind: tMinus, pos: i, text: "-"})
			i++
		case r == '+':
			toks = append(toks, token{kind: tPlus, pos: i, text: "+"})
			i++
		case r == '=':
			toks = append(toks, token{kind: tOp, pos: i, text: "="})
			i++
		case r == '<':
			op := "<"
			if i+1 < len(text) && (text[i+1] == '=' || text[i+1] == '>') {
				op = text[i : i+2]
			}
			toks = append(toks, token{kind: tOp, pos: i, text: op})
			i += len(op)
		case r == '>':
			op := ">"
			if i+1 < len(text) && text[i+1] == '=' {
				op = ">="
			}
			toks = append(toks, token{kind: tOp, pos: i, text: op})
			i += len(op)
		case r == '\'' || r == '"':
			s, end, ok := quoted(text, i)
			if !ok {
				what := "string"
				if r == '"' {
					what = "quoted property name"
				}
				return nil, &SyntaxError{Pos: i, Msg: "unterminated " + what}
			}
			kind := tString
			if r == '"' {
				kind = tQuotedIdent
				if s == "" {
					return nil, &SyntaxError{Pos: i, Msg: "empty property name"}
				}
			}
			toks = append(toks, token{kind: kind, pos: i, text: s})
			i = end
		case r >= '0' && r <= '9' || r == '.' && i+1 < len(text) && isDigit(text[i+1]):
			end, err := number(text, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tNumber, pos: i, text: text[i:end]})
			i = end
		case identStart(r):
			end := i + size
			for end < len(text) {
				r, size := utf8.DecodeRuneInString(text[end:])
				if !identPart(r) {
					break
				}
				end += size
			}
			toks = append(toks, token{kind: tIdent, pos: i, text: text[i:end]})
			i = end
		default:
			return nil, &SyntaxError{Pos: i, Msg: fmt.Sprintf("unexpected character %q", r)}
		}
	}
	return append(toks, token{kind: tEOF, pos: len(text)}), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func identStart(r rune) bool { return r == '_' || r == ':' || unicode.IsLetter(r) }

func identPart(r rune) bool {
	return identStart(r) || r == '.' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

// quoted reads a string delimited by text[start] in which a doubled delimiter stands for one.
func quoted(text string, start int) (s string, end int, ok bool) {
	q := text[start]
	var b strings.Builder
	for i := start + 1; i < len(text); i++ {
		if text[i] != q {
			b.WriteByte(text[i])
			continue
		}
		if i+1 < len(text) && text[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

// number returns the end of the unsigned number starting at start: digits, an optional
// fraction and an optional exponent.
func number(text string, start int) (int, error) {
	i := start
	for i < len(text) && isDigit(text[i]) {
		i++
	}
	if i < len(text) && text[i] == '.' {
		i++
		for i < len(text) && isDigit(text[i]) {
			i++
		}
	}
	if i < len(text) && (text[i] == 'e' || text[i] == 'E') {
		j := i + 1
		if j < len(text) && (text[j] == '+' || text[j] == '-') {
			j++
		}
		if j >= len(text) || !isDigit(text[j]) {
			return 0, &SyntaxError{Pos: i, Msg: "exponent without digits"}
		}
		for j < len(text) && isDigit(text[j]) {
			j++
		}
		i = j
	}
	if i < len(text) {
		if r, _ := utf8.DecodeRuneInString(text[i:]); identPart(r) {
			return 0, &SyntaxError{Pos: i, Msg: fmt.Sprintf("unexpected %q after number", r)}
		}
	}
	return i, nil
}
