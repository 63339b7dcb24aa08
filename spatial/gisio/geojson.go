package gisio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// WriteGeoJSON writes sn as a GeoJSON FeatureCollection, one feature per line, each with its
// mudi id, its source attributes and its derived attributes.
//
// In lon/lat (the default, CRS84 or EPSG:4326) the output is plain RFC 7946. In any other CRS
// (EPSG:4490, a Gauss-Krüger zone, EPSG:3857) it carries the legacy "crs" member
// ({"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4549"}}) that GDAL, QGIS and
// mudi's own import read, with coordinates easting (or longitude) first as GIS files store
// them: RFC 7946 readers that ignore the member will misplace projected coordinates, which is
// why lon/lat stays the default.
func WriteGeoJSON(ctx context.Context, w io.Writer, sn *spatial.Snapshot, opts WriteOptions) error {
	opts, err := Resolve(sn, FormatGeoJSON, opts)
	if err != nil {
		return err
	}
	cols := columns(sn)
	bw := bufio.NewWriterSize(w, 256<<10)
	b := []byte(`{"type":"FeatureCollection","name":`)
	b = appendJSONString(b, sn.Layer.ID)
	if opts.CRS != crs.CRS84 && opts.CRS != crs.EPSG4326 {
		b = append(b, `,"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::`...)
		b = strconv.AppendInt(b, int64(opts.CRS.EPSG()), 10)
		b = append(b, `"}}`...)
	}
	b = append(b, ",\"features\":[\n"...)
	if _, err := bw.Write(b); err != nil {
		return err
	}
	first := true
	err = every(ctx, sn, func(f *spatial.Feature) error {
		g, err := project(f.Geometry, opts.CRS)
		if err != nil {
			return featureError(f, err)
		}
		b = b[:0]
		if !first {
			b = append(b, ",\n"...)
		}
		first = false
		b = append(b, `{"type":"Feature","id":`...)
		b = strconv.AppendUint(b, uint64(f.ID), 10)
		b = append(b, `,"properties":{`...)
		for i, c := range cols {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, c.name)
			b = append(b, ':')
			b = appendJSONValue(b, c.value(f))
		}
		b = append(b, `},"geometry":`...)
		b = appendGeoJSONGeometry(b, g)
		b = append(b, '}')
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if _, err := bw.WriteString("\n]}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

func appendGeoJSONGeometry(b []byte, g orb.Geometry) []byte {
	poly := func(b []byte, p orb.Polygon) []byte {
		b = append(b, '[')
		for i, r := range p {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for k, pt := range r {
				if k > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = appendNumber(b, pt[0])
				b = append(b, ',')
				b = appendNumber(b, pt[1])
				b = append(b, ']')
			}
			b = append(b, ']')
		}
		return append(b, ']')
	}
	switch g := g.(type) {
	case orb.Polygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		b = poly(b, g)
	case orb.MultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = poly(b, p)
		}
		b = append(b, ']')
	default:
		return append(b, "null"...)
	}
	return append(b, '}')
}

func appendJSONValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...)
		}
		// Reals keep a decimal point, so that readers infer one type per field.
		start := len(b)
		b = appendNumber(b, v)
		if !bytes.ContainsAny(b[start:], ".eE") {
			b = append(b, ".0"...)
		}
		return b
	}
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

// appendJSONString appends s as a JSON string, leaving non-ASCII text (Chinese) and HTML
// characters unescaped.
func appendJSONString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		j, _ := json.Marshal(s)
		return append(b, j...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, fmt.Sprintf(`\u%04x`, c)...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
