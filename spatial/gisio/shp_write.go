package gisio

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// shortNames are the fixed dBASE names of the computed attributes (see [spatial.Attribute]).
var shortNames = func() map[string]string {
	m := make(map[string]string, len(spatial.Computed))
	for _, a := range spatial.Computed {
		m[a.Key] = a.Short
	}
	return m
}()

// ShapefileFieldNames returns the dBASE field names (at most 10 ASCII bytes, unique regardless
// of case) under which a Shapefile export stores attributes with the given names, in order.
// The mapping is deterministic:
//
//  1. a computed attribute takes the short name of its [spatial.Attribute]
//     (control_position → CTRL_POS, outside_ratio → OUT_RATIO; the others fit as they are);
//  2. a name of at most 10 ASCII letters, digits and underscores is kept (DKBH, MJSS …);
//  3. any other name keeps its ASCII letters, digits and underscores, cut to 10 bytes, and a
//     name left empty (所在园区, a Chinese name) becomes F followed by its 1-based column
//     number (F12);
//  4. a name already taken, case-insensitively, gets _2, _3 … in place of its last
//     characters (QLR_LXDH_A, QLR_LXDH_B → QLR_LXDH_A, QLR_LXDH_2).
//
// Every Shapefile export also holds fields.csv, listing each dBASE name with the original
// name, type and Chinese label.
func ShapefileFieldNames(names []string) []string {
	out := make([]string, len(names))
	taken := map[string]bool{}
	for i, n := range names {
		s, ok := shortNames[n]
		if !ok {
			var b strings.Builder
			for _, r := range n {
				if r < utf8.RuneSelf && (r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
					b.WriteRune(r)
				}
			}
			s = b.String()
			if len(s) > 10 {
				s = s[:10]
			}
			if s == "" {
				s = "F" + strconv.Itoa(i+1)
			}
		}
		base := s
		for k := 2; taken[strings.ToUpper(s)]; k++ {
			suffix := "_" + strconv.Itoa(k)
			s = base
			if len(s)+len(suffix) > 10 {
				s = s[:10-len(suffix)]
			}
			s += suffix
		}
		taken[strings.ToUpper(s)] = true
		out[i] = s
	}
	return out
}

// dbfColumn is an export column with its dBASE layout.
type dbfColumn struct {
	column
	dbfName  string
	typ      byte
	length   int
	decimals int
	intLen   int // reals: the widest integer part, sign included
	fracLen  int // reals: the most fractional digits needed
}

// planDBF decides the dBASE name, type and width of each column from the values of every
// feature (one pass over the attributes; no geometry is touched).
func planDBF(ctx context.Context, sn *spatial.Snapshot, cols []column, enc *encoder) ([]dbfColumn, error) {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	short := ShapefileFieldNames(names)
	out := make([]dbfColumn, len(cols))
	for i, c := range cols {
		d := dbfColumn{column: c, dbfName: short[i]}
		switch c.typ {
		case spatial.FieldInteger:
			d.typ, d.length = 'N', 1
		case spatial.FieldReal:
			d.typ, d.length = 'N', 1
		case spatial.FieldDate:
			d.typ, d.length = 'D', 8
		case spatial.FieldBoolean:
			d.typ, d.length = 'L', 1
		default:
			d.typ, d.length = 'C', 1
		}
		out[i] = d
	}
	var scratch []byte
	err := every(ctx, sn, func(f *spatial.Feature) error {
		for i := range out {
			d := &out[i]
			v := d.value(f)
			if v == nil {
				continue
			}
			switch d.column.typ {
			case spatial.FieldInteger:
				if n, ok := v.(int64); ok {
					d.length = max(d.length, len(strconv.FormatInt(n, 10)))
				} else if x, ok := toFloat(v); ok {
					d.length = max(d.length, len(strconv.FormatFloat(math.Trunc(x), 'f', 0, 64)))
				}
			case spatial.FieldReal:
				x, ok := toFloat(v)
				if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
					continue
				}
				scratch = strconv.AppendFloat(scratch[:0], x, 'f', -1, 64)
				s := string(scratch)
				intPart, frac, _ := strings.Cut(s, ".")
				d.intLen = max(d.intLen, len(intPart))
				d.fracLen = max(d.fracLen, len(frac))
			case spatial.FieldDate, spatial.FieldBoolean:
			default:
				d.length = max(d.length, min(254, len(enc.bytes(textOf(v)))))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		d := &out[i]
		if d.column.typ != spatial.FieldReal {
			d.length = min(d.length, 254)
			continue
		}
		if d.intLen == 0 { // only nulls: GDAL's default width for reals
			d.length, d.decimals = 24, 15
			continue
		}
		// At least one decimal, so that readers see a real and not an integer field.
		d.decimals = max(1, min(d.fracLen, 15, 23-d.intLen))
		d.length = min(d.intLen+1+d.decimals, 254)
	}
	return out, nil
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case string:
		x, err := strconv.ParseFloat(v, 64)
		return x, err == nil
	}
	return 0, false
}

func textOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return string(appendNumber(nil, v))
	}
	return fmt.Sprint(v)
}

// appendDBFValue appends the fixed-width text of one value.
func (d *dbfColumn) appendValue(b []byte, v any, enc *encoder) []byte {
	start := len(b)
	pad := func(right bool) []byte {
		n := len(b) - start
		if n > d.length {
			b = b[:start+d.length]
			return b
		}
		fill := make([]byte, d.length-n)
		for i := range fill {
			fill[i] = ' '
		}
		if right {
			return append(b, fill...)
		}
		// numbers are right-aligned
		val := append([]byte(nil), b[start:]...)
		b = append(b[:start], fill...)
		return append(b, val...)
	}
	if v == nil {
		for range d.length {
			b = append(b, ' ')
		}
		return b
	}
	switch d.typ {
	case 'N':
		x, ok := toFloat(v)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			return pad(true)
		}
		if n, isInt := v.(int64); isInt && d.decimals == 0 {
			b = strconv.AppendInt(b, n, 10)
		} else {
			b = strconv.AppendFloat(b, x, 'f', d.decimals, 64)
		}
		if len(b)-start > d.length { // does not fit: the value would be wrong, write null
			b = b[:start]
			return pad(true)
		}
		return pad(false)
	case 'D':
		s, _ := v.(string)
		if len(s) == 10 && s[4] == '-' && s[7] == '-' {
			b = append(b, s[0:4]...)
			b = append(b, s[5:7]...)
			b = append(b, s[8:10]...)
		}
		return pad(true)
	case 'L':
		if t, ok := v.(bool); ok {
			if t {
				b = append(b, 'T')
			} else {
				b = append(b, 'F')
			}
		} else {
			b = append(b, '?')
		}
		return pad(true)
	}
	t := enc.bytes(textOf(v))
	if len(t) > d.length {
		t = t[:cutText(t, d.length, enc.enc)]
	}
	b = append(b, t...)
	return pad(true)
}

// cutText returns the longest length ≤ n at which b can be cut without splitting a character.
func cutText(b []byte, n int, enc Encoding) int {
	switch enc {
	case UTF8:
		for n > 0 && n < len(b) && !utf8.RuneStart(b[n]) {
			n--
		}
		return n
	case GBK, GB18030:
		return validGBKPrefix(b[:n])
	}
	return n
}

// writeDBFHeader writes the header of a .dbf with n records.
func writeDBFHeader(w io.Writer, cols []dbfColumn, n int, updated time.Time, enc Encoding) error {
	recLen := 1
	for _, c := range cols {
		recLen += c.length
	}
	if recLen > math.MaxUint16 {
		return fmt.Errorf("gisio: a dBASE record of %d bytes is longer than 65535", recLen)
	}
	hdr := make([]byte, 32, 32+32*len(cols)+1)
	hdr[0] = 0x03
	if updated.IsZero() {
		updated = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	hdr[1], hdr[2], hdr[3] = byte(updated.Year()-1900), byte(updated.Month()), byte(updated.Day())
	binary.LittleEndian.PutUint32(hdr[4:], uint32(n))
	binary.LittleEndian.PutUint16(hdr[8:], uint16(32+32*len(cols)+1))
	binary.LittleEndian.PutUint16(hdr[10:], uint16(recLen))
	switch enc {
	case GBK, GB18030:
		hdr[29] = 0x4D // language driver: Chinese GBK (936)
	}
	for _, c := range cols {
		var d [32]byte
		copy(d[:10], c.dbfName)
		d[11] = c.typ
		d[16] = byte(c.length)
		d[17] = byte(c.decimals)
		hdr = append(hdr, d[:]...)
	}
	hdr = append(hdr, 0x0D)
	_, err := w.Write(hdr)
	return err
}

// WriteShapefile writes sn as a zipped Shapefile: <layer>.shp, .shx, .dbf, .prj (ESRI WKT of
// the CRS), .cpg (the attribute encoding: UTF-8 by default, GBK or GB18030 on request) and
// fields.csv (the dBASE name of each attribute with its original name, type and Chinese label;
// see [ShapefileFieldNames]). Polygons are written with outer rings clockwise and holes
// counter-clockwise; a MultiPolygon becomes one record with all its rings. DBF types: C text,
// N integers and reals (widths from the data), D dates, L booleans.
//
// The three main files are built in temporary files (their headers hold totals) and then
// copied into the zip: memory does not grow with the layer.
func WriteShapefile(ctx context.Context, w io.Writer, sn *spatial.Snapshot, opts WriteOptions) error {
	opts, err := Resolve(sn, FormatShapefile, opts)
	if err != nil {
		return err
	}
	enc := Encoding(opts.Encoding)
	en := newEncoder(enc)
	cols, err := planDBF(ctx, sn, columns(sn), en)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(opts.TempDir, "mudi-export-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	files := map[string]*os.File{}
	for _, ext := range []string{".shp", ".shx", ".dbf"} {
		f, err := os.Create(dir + "/layer" + ext)
		if err != nil {
			return err
		}
		defer f.Close()
		files[ext] = f
	}
	if err := writeShapes(ctx, sn, opts.CRS, cols, en, files[".shp"], files[".shx"], files[".dbf"], enc); err != nil {
		return err
	}

	zw := zip.NewWriter(w)
	modified := sn.Layer.Updated
	if modified.IsZero() {
		modified = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	add := func(name string, r io.Reader) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return err
		}
		_, err = io.Copy(fw, r)
		return err
	}
	base := sn.Layer.ID
	for _, ext := range []string{".shp", ".shx", ".dbf"} {
		f := files[ext]
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := add(base+ext, bufio.NewReaderSize(f, 256<<10)); err != nil {
			return err
		}
	}
	if err := add(base+".prj", strings.NewReader(opts.CRS.ESRIWKT())); err != nil {
		return err
	}
	if err := add(base+".cpg", strings.NewReader(string(enc))); err != nil {
		return err
	}
	var m strings.Builder
	m.WriteString("\uFEFFshapefile_field,name,type,alias\r\n")
	for _, c := range cols {
		fmt.Fprintf(&m, "%s,%s,%s,%s\r\n", c.dbfName, csvField(c.name), c.column.typ, csvField(c.alias))
	}
	if err := add("fields.csv", strings.NewReader(m.String())); err != nil {
		return err
	}
	return zw.Close()
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// writeShapes writes the .shp, .shx and .dbf of sn.
func writeShapes(ctx context.Context, sn *spatial.Snapshot, to crs.CRS, cols []dbfColumn, en *encoder, shpF, shxF, dbfF *os.File, enc Encoding) error {
	shp := bufio.NewWriterSize(shpF, 256<<10)
	shx := bufio.NewWriterSize(shxF, 64<<10)
	dbf := bufio.NewWriterSize(dbfF, 256<<10)
	var blank [100]byte
	shp.Write(blank[:])
	shx.Write(blank[:])
	if err := writeDBFHeader(dbf, cols, sn.Len(), sn.Layer.Updated, enc); err != nil {
		return err
	}
	var bound orb.Bound
	offset := int64(100) // bytes
	var rec, row []byte
	n := 0
	err := every(ctx, sn, func(f *spatial.Feature) error {
		g, err := project(f.Geometry, to)
		if err != nil {
			return featureError(f, err)
		}
		b := g.Bound()
		if n == 0 {
			bound = b
		} else {
			bound = bound.Union(b)
		}
		n++
		rec = appendPolygonRecord(rec[:0], n, g, b)
		if offset+int64(len(rec)) > math.MaxInt32 {
			return fmt.Errorf("gisio: the .shp would exceed 2 GiB (feature %d): export as GeoPackage", f.ID)
		}
		var idx [8]byte
		binary.BigEndian.PutUint32(idx[0:], uint32(offset/2))
		binary.BigEndian.PutUint32(idx[4:], uint32((len(rec)-8)/2))
		if _, err := shx.Write(idx[:]); err != nil {
			return err
		}
		if _, err := shp.Write(rec); err != nil {
			return err
		}
		offset += int64(len(rec))

		row = append(row[:0], ' ')
		for i := range cols {
			row = cols[i].appendValue(row, cols[i].value(f), en)
		}
		_, err = dbf.Write(row)
		return err
	})
	if err != nil {
		return err
	}
	if err := dbf.WriteByte(0x1A); err != nil {
		return err
	}
	for _, bw := range []*bufio.Writer{shp, shx, dbf} {
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if n == 0 {
		bound = orb.Bound{}
	}
	if _, err := shpF.WriteAt(shpHeader(offset, bound), 0); err != nil {
		return err
	}
	_, err = shxF.WriteAt(shpHeader(100+8*int64(n), bound), 0)
	return err
}

// shpHeader returns the 100-byte header of a .shp or .shx of length bytes.
func shpHeader(length int64, b orb.Bound) []byte {
	h := make([]byte, 100)
	binary.BigEndian.PutUint32(h[0:], 9994)
	binary.BigEndian.PutUint32(h[24:], uint32(length/2))
	binary.LittleEndian.PutUint32(h[28:], 1000)
	binary.LittleEndian.PutUint32(h[32:], shapePolygon)
	for i, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		binary.LittleEndian.PutUint64(h[36+8*i:], math.Float64bits(v))
	}
	return h
}

// appendPolygonRecord appends record n (header and content) for a Polygon or MultiPolygon:
// outer rings clockwise, holes counter-clockwise.
func appendPolygonRecord(b []byte, n int, g orb.Geometry, bound orb.Bound) []byte {
	var rings []orb.Ring
	for _, p := range spatial.Polygons(g) {
		for i, r := range p {
			rings = append(rings, orient(r, i > 0))
		}
	}
	points := 0
	for _, r := range rings {
		points += len(r)
	}
	content := 44 + 4*len(rings) + 16*points
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = binary.BigEndian.AppendUint32(b, uint32(content/2))
	b = binary.LittleEndian.AppendUint32(b, shapePolygon)
	for _, v := range []float64{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(rings)))
	b = binary.LittleEndian.AppendUint32(b, uint32(points))
	start := 0
	for _, r := range rings {
		b = binary.LittleEndian.AppendUint32(b, uint32(start))
		start += len(r)
	}
	for _, r := range rings {
		for _, p := range r {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
		}
	}
	return b
}
