package gisio

import (
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

// text decodes b; invalid sequences become U+FFFD.
func (d *decoder) text(b []byte) string {
	if d.enc == UTF8 || isASCII(b) {
		if utf8.Valid(b) {
			return string(b)
		}
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	s, err := d.dec.Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(s)
}

// name decodes a field name. Writers that cut long names at 10 bytes sometimes split the last
// character (GDAL does so in UTF-8): an incomplete trailing sequence is dropped.
func (d *decoder) name(b []byte) string {
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
func validGBKPrefix(b []byte) int {
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
			case t >= 0x30 && t <= 0x39 && i+3 < len(b) &&
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
