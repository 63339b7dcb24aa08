package gisio

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// WriteCSV writes sn as CSV for Excel and GIS: UTF-8 with a byte order mark (so Excel reads
// the Chinese text), a header of field names, then one row per feature: the geometry as WKT in
// the target CRS (column WKT, first, as GDAL writes and reads it), the mudi id (column id), the
// source attributes and the derived attributes. Numbers are written unquoted in full precision,
// booleans as true/false, nulls as empty cells. Text that Excel would run as a formula (it starts
// with =, +, - or @ and is not a number) gets a leading apostrophe.
//
// CSV has no place for a CRS: the coordinates are in opts.CRS, which the caller must state
// alongside the file.
func WriteCSV(ctx context.Context, w io.Writer, sn *spatial.Snapshot, opts WriteOptions) error {
	opts, err := Resolve(sn, FormatCSV, opts)
	if err != nil {
		return err
	}
	cols := columns(sn)
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // what Excel writes and expects
	header := []string{"WKT", uniqueName("id", cols)}
	for _, c := range cols {
		header = append(header, c.name)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, len(header))
	var wkt []byte
	err = every(ctx, sn, func(f *spatial.Feature) error {
		g, err := project(f.Geometry, opts.CRS)
		if err != nil {
			return featureError(f, err)
		}
		wkt = appendWKT(wkt[:0], g)
		row[0] = string(wkt)
		row[1] = strconv.FormatUint(uint64(f.ID), 10)
		for i, c := range cols {
			row[i+2] = csvValue(c.value(f))
		}
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// uniqueName returns name, or name_2, name_3 … if a column already has it.
func uniqueName(name string, cols []column) string {
	taken := map[string]bool{}
	for _, c := range cols {
		taken[strings.ToLower(c.name)] = true
	}
	out := name
	for n := 2; taken[strings.ToLower(out)]; n++ {
		out = name + "_" + strconv.Itoa(n)
	}
	return out
}

func csvValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		if v != "" && strings.ContainsRune("=+-@", rune(v[0])) {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return "'" + v
			}
		}
		return v
	case float64:
		return string(appendNumber(nil, v))
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	}
	return string(appendJSONValue(nil, v))
}

// appendWKT appends the WKT of a Polygon or MultiPolygon.
func appendWKT(b []byte, g orb.Geometry) []byte {
	poly := func(b []byte, p orb.Polygon) []byte {
		b = append(b, '(')
		for i, r := range p {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '(')
			for k, pt := range r {
				if k > 0 {
					b = append(b, ',')
				}
				b = appendNumber(b, pt[0])
				b = append(b, ' ')
				b = appendNumber(b, pt[1])
			}
			b = append(b, ')')
		}
		return append(b, ')')
	}
	switch g := g.(type) {
	case orb.Polygon:
		b = append(b, "POLYGON "...)
		return poly(b, g)
	case orb.MultiPolygon:
		b = append(b, "MULTIPOLYGON ("...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = poly(b, p)
		}
		return append(b, ')')
	}
	return append(b, "GEOMETRYCOLLECTION EMPTY"...)
}
