package gisio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
)

// dBASE III as Shapefiles use it: a 32-byte header (record count, header and record lengths,
// language driver id), 32-byte field descriptors ended by 0x0D, then fixed-length records, each
// a deletion flag (' ' or '*') followed by the fields' text.

// dbfField is one field descriptor.
type dbfField struct {
	rawName  []byte
	name     string // decoded, unique
	typ      byte   // C, N, F, D, L, …
	length   int
	decimals int
	offset   int // within the record, after the deletion flag
	kind     spatial.FieldType
}

type dbfHeader struct {
	records   int
	headerLen int
	recordLen int
	ldid      byte
	fields    []dbfField
}

const maxDBFFields = 2046 // the most a 65535-byte header can describe

// readDBFHeader reads and checks the header of a .dbf.
func readDBFHeader(r io.Reader, file string, size int64) (*dbfHeader, error) {
	var fixed [32]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return nil, fileErr(file, 0, "the file is too short for a dBASE header (%d bytes)", size)
	}
	h := &dbfHeader{
		records:   int(binary.LittleEndian.Uint32(fixed[4:8])),
		headerLen: int(binary.LittleEndian.Uint16(fixed[8:10])),
		recordLen: int(binary.LittleEndian.Uint16(fixed[10:12])),
		ldid:      fixed[29],
	}
	if h.headerLen < 33 {
		return nil, fileErr(file, 0, "header length %d is shorter than a dBASE header", h.headerLen)
	}
	if h.records < 0 || h.records > math.MaxInt32 {
		return nil, fileErr(file, 0, "record count %d is not valid", h.records)
	}
	rest := make([]byte, h.headerLen-32)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, fileErr(file, 0, "the header is truncated (header length %d, file %d bytes)", h.headerLen, size)
	}
	offset := 0
	for i := 0; i+32 <= len(rest) && rest[i] != 0x0D; i += 32 {
		d := rest[i : i+32]
		raw := d[:11]
		if n := bytes.IndexByte(raw, 0); n >= 0 {
			raw = raw[:n]
		}
		f := dbfField{rawName: bytes.TrimSpace(raw), typ: d[11], length: int(d[16]), decimals: int(d[17]), offset: offset}
		if f.typ == 'C' && f.decimals > 0 { // Clipper/FoxPro: lengths above 255 spill into the decimals byte
			f.length += 256 * f.decimals
			f.decimals = 0
		}
		offset += f.length
		h.fields = append(h.fields, f)
		if len(h.fields) > maxDBFFields {
			return nil, fileErr(file, 0, "too many fields")
		}
	}
	if offset+1 > h.recordLen {
		return nil, fileErr(file, 0, "the fields take %d bytes but a record has %d (inconsistent header)", offset+1, h.recordLen)
	}
	if size >= 0 {
		need := int64(h.headerLen) + int64(h.records)*int64(h.recordLen)
		if size < need {
			rec := 1
			if size > int64(h.headerLen) {
				rec = int((size-int64(h.headerLen))/int64(h.recordLen)) + 1
			}
			return nil, fileErr(file, rec, "the file is truncated: it ends inside record %d of %d (%d bytes, %d expected)", rec, h.records, size, need)
		}
	}
	return h, nil
}

// nameFields decodes the field names (trap: Shapefile libraries leave them raw), makes them
// unique and sets the field kinds. A name that is not valid in the encoding is a
// [*FileError] for file.
func (h *dbfHeader) nameFields(dec *decoder, file string) ([]spatial.Field, error) {
	seen := map[string]bool{}
	out := make([]spatial.Field, len(h.fields))
	for i := range h.fields {
		f := &h.fields[i]
		name, err := dec.name(f.rawName)
		if err != nil {
			return nil, fileErr(file, 0, "the name of field %d: %v", i+1, err)
		}
		if name == "" {
			name = fmt.Sprintf("field_%d", i+1)
		}
		base := name
		for n := 2; seen[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s_%d", base, n)
		}
		seen[strings.ToLower(name)] = true
		f.name = name
		switch f.typ {
		case 'N', 'F':
			if f.decimals == 0 && f.length <= 18 {
				f.kind = spatial.FieldInteger
			} else {
				f.kind = spatial.FieldReal
			}
		case 'I', '+':
			f.kind = spatial.FieldInteger
		case 'O':
			f.kind = spatial.FieldReal
		case 'D':
			f.kind = spatial.FieldDate
		case 'L':
			f.kind = spatial.FieldBoolean
		default:
			f.kind = spatial.FieldString
		}
		out[i] = spatial.Field{Name: name, Type: f.kind}
	}
	return out, nil
}

// dbfReader reads the records of a .dbf after its header.
type dbfReader struct {
	r    *bufio.Reader
	h    *dbfHeader
	file string
	buf  []byte
	n    int // records read
}

func newDBFReader(r io.Reader, h *dbfHeader, file string) *dbfReader {
	return &dbfReader{r: bufio.NewReaderSize(r, 64<<10), h: h, file: file, buf: make([]byte, h.recordLen)}
}

// next reads the next record; deleted tells whether it is marked deleted. It returns io.EOF
// after the last record of the header's count.
func (d *dbfReader) next() (rec []byte, deleted bool, err error) {
	if d.n >= d.h.records {
		return nil, false, io.EOF
	}
	d.n++
	if _, err := io.ReadFull(d.r, d.buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, false, fileErr(d.file, d.n, "the file is truncated: short read in record %d of %d", d.n, d.h.records)
		}
		return nil, false, err
	}
	switch d.buf[0] {
	case ' ':
	case '*':
		deleted = true
	case 0x1A:
		return nil, false, fileErr(d.file, d.n, "end-of-file marker in record %d of %d (truncated file or wrong record count)", d.n, d.h.records)
	}
	return d.buf[1:], deleted, nil
}

// attrs converts one record to attribute values.
func (h *dbfHeader) attrs(rec []byte, dec *decoder) (spatial.Attrs, error) {
	a := make(spatial.Attrs, len(h.fields))
	for i := range h.fields {
		f := &h.fields[i]
		raw := rec[f.offset : f.offset+f.length]
		v, err := f.value(raw, dec)
		if err != nil {
			return nil, fmt.Errorf("field %s: %v", f.name, err)
		}
		a[f.name] = v
	}
	return a, nil
}

func (f *dbfField) value(raw []byte, dec *decoder) (any, error) {
	switch f.typ {
	case 'I':
		if len(raw) != 4 {
			return nil, fmt.Errorf("binary integer of %d bytes", len(raw))
		}
		return int64(int32(binary.LittleEndian.Uint32(raw))), nil
	case 'O':
		if len(raw) != 8 {
			return nil, fmt.Errorf("binary double of %d bytes", len(raw))
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(raw)), nil
	case '+':
		if len(raw) != 4 {
			return nil, fmt.Errorf("autoincrement of %d bytes", len(raw))
		}
		return int64(int32(binary.LittleEndian.Uint32(raw))), nil
	}
	s := strings.TrimSpace(string(bytes.TrimRight(raw, "\x00 ")))
	switch f.typ {
	case 'N', 'F':
		if s == "" || strings.Trim(s, "*") == "" {
			return nil, nil
		}
		if f.kind == spatial.FieldInteger {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
			// Some writers put "1.0" in a field declared without decimals.
			if v, err := strconv.ParseFloat(s, 64); err == nil && v == math.Trunc(v) && math.Abs(v) < 1e18 {
				return int64(v), nil
			}
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return v, nil
	case 'D':
		if s == "" || strings.Trim(s, "0") == "" {
			return nil, nil
		}
		if len(s) != 8 || strings.Trim(s, "0123456789") != "" {
			return nil, fmt.Errorf("%q is not a date (YYYYMMDD)", s)
		}
		return s[0:4] + "-" + s[4:6] + "-" + s[6:8], nil
	case 'L':
		switch s {
		case "T", "t", "Y", "y":
			return true, nil
		case "F", "f", "N", "n":
			return false, nil
		}
		return nil, nil
	}
	// Text: trailing blanks are padding; an empty value is null (as shapelib reads it).
	b := bytes.TrimRight(raw, " \x00")
	if len(b) == 0 {
		return nil, nil
	}
	return dec.text(b)
}
