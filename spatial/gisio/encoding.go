package gisio

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// Encoding is an attribute text encoding of a Shapefile's .dbf, by its canonical name:
// "UTF-8", "GBK", "GB18030" or "ISO-8859-1".
type Encoding string

// The encodings mudi reads and writes.
const (
	UTF8    Encoding = "UTF-8"
	GBK     Encoding = "GBK"
	GB18030 Encoding = "GB18030"
	Latin1  Encoding = "ISO-8859-1"
)

// ParseEncoding returns the encoding named by s as .cpg files, ArcGIS, QGIS and GDAL spell
// it, case-insensitively: UTF-8, UTF8, 65001; GBK, 936, CP936, MS936, GB2312, EUC-CN;
// GB18030, 54936; ISO-8859-1, 88591, LATIN1, 28591. An empty s gives "" and no error.
func ParseEncoding(s string) (Encoding, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.NewReplacer("_", "", "-", "", " ", "").Replace(t)
	switch t {
	case "":
		return "", nil
	case "UTF8", "65001", "UTF8BOM":
		return UTF8, nil
	case "GBK", "936", "CP936", "MS936", "WINDOWS936", "GB2312", "EUCCN", "ANSI936", "CP20936":
		return GBK, nil
	case "GB18030", "54936", "CP54936":
		return GB18030, nil
	case "ISO88591", "88591", "LATIN1", "28591", "CP28591", "LDID/87", "LDID87":
		return Latin1, nil
	}
	return "", fmt.Errorf("encoding %q is not one of UTF-8, GBK (936), GB18030 or ISO-8859-1", strings.TrimSpace(s))
}

func (e Encoding) codec() encoding.Encoding {
	switch e {
	case GBK:
		return simplifiedchinese.GBK
	case GB18030:
		return simplifiedchinese.GB18030
	case Latin1:
		return charmap.ISO8859_1
	}
	return unicode.UTF8
}

// decoder turns raw .dbf text into UTF-8.
type decoder struct {
	enc Encoding
	dec *encoding.Decoder
}

func newDecoder(e Encoding) *decoder {
	return &decoder{enc: e, dec: e.codec().NewDecoder()}
}

// text decodes b. Bytes that are not valid in the encoding are an error (naming the first
// offending byte offset), never silently replaced: the decoders of GBK and GB18030 would turn
// them into U+FFFD.
func (d *decoder) text(b []byte) (string, error) {
	if d.enc == UTF8 || isASCII(b) {
		if !utf8.Valid(b) {
			return "", d.invalid(b, validUTF8Prefix(b))
		}
		return string(b), nil
	}
	if d.enc == GBK || d.enc == GB18030 {
		if n := validGBPrefix(b, d.enc == GB18030); n < len(b) {
			return "", d.invalid(b, n)
		}
	}
	s, err := d.dec.Bytes(b)
	// A well-formed sequence with no character assigned decodes to U+FFFD, which GBK lacks
	// (GB18030 has it, as 84 31 A4 37).
	if err != nil || bytes.ContainsRune(s, utf8.RuneError) && !(d.enc == GB18030 && bytes.Contains(b, []byte{0x84, 0x31, 0xA4, 0x37})) {
		return "", fmt.Errorf("the text is not valid %s (a byte sequence with no character)", d.enc)
	}
	return string(s), nil
}

// invalid reports the bytes of b from offset n as invalid in the encoding.
func (d *decoder) invalid(b []byte, n int) error {
	end := min(n+4, len(b))
	return fmt.Errorf("the text is not valid %s (bytes % X at offset %d)", d.enc, b[n:end], n)
}

// validUTF8Prefix returns the length of the longest prefix of b that is valid UTF-8.
func validUTF8Prefix(b []byte) int {
	i := 0
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return i
}

// name decodes a field name. Writers that cut long names at 10 bytes sometimes split the last
// character (GDAL does so in UTF-8): an incomplete trailing sequence is dropped.
func (d *decoder) name(b []byte) (string, error) {
	switch d.enc {
	case UTF8:
		for len(b) > 0 && !utf8.Valid(b) {
			r, size := utf8.DecodeLastRune(b)
			if r != utf8.RuneError || size > 1 {
				break
			}
			b = b[:len(b)-1]
		}
	case GBK, GB18030:
		if n := validGBKPrefix(b); n < len(b) && len(b)-n == 1 {
			b = b[:n]
		}
	}
	return d.text(b)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// validGBKPrefix returns the length of the longest prefix of b that is valid GBK/GB18030: ASCII,
// two-byte sequences (lead 0x81–0xFE, trail 0x40–0xFE except 0x7F) and GB18030 four-byte
// sequences.
func validGBKPrefix(b []byte) int { return validGBPrefix(b, true) }

// validGBPrefix is [validGBKPrefix], with four-byte sequences only when fourByte is set (they
// are GB18030's, not GBK's).
func validGBPrefix(b []byte, fourByte bool) int {
	i := 0
	for i < len(b) {
		c := b[i]
		switch {
		case c < 0x80:
			i++
		case c >= 0x81 && c <= 0xFE && i+1 < len(b):
			t := b[i+1]
			switch {
			case t >= 0x40 && t <= 0xFE && t != 0x7F:
				i += 2
			case fourByte && t >= 0x30 && t <= 0x39 && i+3 < len(b) &&
				b[i+2] >= 0x81 && b[i+2] <= 0xFE && b[i+3] >= 0x30 && b[i+3] <= 0x39:
				i += 4
			default:
				return i
			}
		default:
			return i
		}
	}
	return i
}

// detector decides the encoding of text whose encoding nobody declared: UTF-8 while every
// non-ASCII byte sequence is valid UTF-8, else GBK while it is valid GBK, else ISO-8859-1.
type detector struct {
	notUTF8, notGBK bool
}

func (d *detector) add(b []byte) {
	if isASCII(b) {
		return
	}
	if !d.notUTF8 && !utf8.Valid(b) {
		d.notUTF8 = true
	}
	if !d.notGBK && validGBKPrefix(b) != len(b) {
		d.notGBK = true
	}
}

func (d *detector) result() Encoding {
	switch {
	case !d.notUTF8:
		return UTF8
	case !d.notGBK:
		return GBK
	}
	return Latin1
}

// encoder turns UTF-8 text into the bytes of a .dbf.
type encoder struct {
	enc Encoding
	e   *encoding.Encoder
}

func newEncoder(e Encoding) *encoder {
	return &encoder{enc: e, e: encoding.ReplaceUnsupported(e.codec().NewEncoder())}
}

// bytes encodes s; characters the encoding lacks become '?' (GBK) — GB18030 and UTF-8 encode
// everything.
func (e *encoder) bytes(s string) []byte {
	if e.enc == UTF8 || isASCIIString(s) {
		return []byte(s)
	}
	b, err := e.e.Bytes([]byte(s))
	if err != nil {
		return []byte(strings.Map(func(r rune) rune {
			if r < 0x80 {
				return r
			}
			return '?'
		}, s))
	}
	return b
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
