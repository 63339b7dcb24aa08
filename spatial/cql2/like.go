package cql2

import "unicode/utf8"

// patternPart is one element of a compiled LIKE pattern: a literal rune, '_' (any one rune)
// or '%' (any run of runes).
type patternPart struct {
	r    rune
	kind byte // 'r' literal, '_' one, '%' any
}

// compilePattern compiles a LIKE pattern: % matches any run of characters, _ exactly one, and
// a backslash makes the next character literal. A trailing lone backslash stands for itself.
func compilePattern(p string) []patternPart {
	var out []patternPart
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		i += size
		switch r {
		case '%':
			if len(out) > 0 && out[len(out)-1].kind == '%' {
				continue // %% is %
			}
			out = append(out, patternPart{kind: '%'})
		case '_':
			out = append(out, patternPart{kind: '_'})
		case '\\':
			if i < len(p) {
				r, size = utf8.DecodeRuneInString(p[i:])
				i += size
			}
			out = append(out, patternPart{kind: 'r', r: r})
		default:
			out = append(out, patternPart{kind: 'r', r: r})
		}
	}
	return out
}

// matchPattern reports whether s matches the compiled pattern, rune by rune. It backtracks
// only to the last '%', so it runs in O(len(s) × len(pattern)) at worst.
func matchPattern(pat []patternPart, s string) bool {
	pi, si := 0, 0
	star, starS := -1, 0
	for si < len(s) {
		r, size := utf8.DecodeRuneInString(s[si:])
		if pi < len(pat) {
			switch p := pat[pi]; {
			case p.kind == '%':
				star, starS = pi, si
				pi++
				continue
			case p.kind == '_' || p.kind == 'r' && p.r == r:
				pi++
				si += size
				continue
			}
		}
		if star < 0 {
			return false
		}
		// Let the last % swallow one more rune and retry from there.
		_, size = utf8.DecodeRuneInString(s[starS:])
		starS += size
		si = starS
		pi = star + 1
	}
	for pi < len(pat) && pat[pi].kind == '%' {
		pi++
	}
	return pi == len(pat)
}
