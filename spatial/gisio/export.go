package gisio

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// Format is an export format.
type Format string

// Export formats.
const (
	FormatGeoJSON    Format = "geojson"
	FormatCSV        Format = "csv"
	FormatShapefile  Format = "shp" // a zip of .shp, .shx, .dbf, .prj, .cpg and fields.csv
	FormatGeoPackage Format = "gpkg"
	FormatFlatGeobuf Format = "fgb"
	FormatGeoParquet Format = "parquet" // GeoParquet 1.1
)

// Formats lists the export formats.
var Formats = []Format{FormatGeoJSON, FormatCSV, FormatShapefile, FormatGeoPackage, FormatFlatGeobuf, FormatGeoParquet}

// formatNames is the list of format names in errors.
const formatNames = "geojson, csv, shp, gpkg, fgb, parquet"

// ParseFormat returns the format named s (case-insensitive; "shapefile", "zip", "json",
// "geopackage", "flatgeobuf", "geoparquet" and "geoparq" are accepted too).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "geojson", "json":
		return FormatGeoJSON, nil
	case "csv":
		return FormatCSV, nil
	case "shp", "shapefile", "zip":
		return FormatShapefile, nil
	case "gpkg", "geopackage":
		return FormatGeoPackage, nil
	case "fgb", "flatgeobuf":
		return FormatFlatGeobuf, nil
	case "parquet", "geoparquet", "geoparq":
		return FormatGeoParquet, nil
	}
	return "", &ParamError{Param: "format", Reason: fmt.Sprintf("%q is not one of %s", s, formatNames)}
}

// Ext returns the file extension of an export, with the dot: .geojson, .csv, .zip, .gpkg,
// .fgb, .parquet.
func (f Format) Ext() string {
	switch f {
	case FormatGeoJSON:
		return ".geojson"
	case FormatShapefile:
		return ".zip"
	}
	return "." + string(f)
}

// MediaType returns the Content-Type of an export.
func (f Format) MediaType() string {
	switch f {
	case FormatGeoJSON:
		return "application/geo+json"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatShapefile:
		return "application/zip"
	case FormatGeoPackage:
		return "application/geopackage+sqlite3"
	case FormatFlatGeobuf:
		return "application/flatgeobuf"
	case FormatGeoParquet:
		return "application/vnd.apache.parquet"
	}
	return "application/octet-stream"
}

// WriteOptions configure an export.
type WriteOptions struct {
	// CRS of the output coordinates. The zero value means: lon/lat (RFC 7946) for GeoJSON, the
	// layer's source CRS for the other formats (EPSG:4490 when that is unknown).
	CRS crs.CRS
	// Encoding of Shapefile attributes: UTF-8 (default), GBK or GB18030; other formats are
	// always UTF-8 and refuse anything else.
	Encoding string
	// TempDir holds the temporary files of Shapefile, GeoPackage and FlatGeobuf exports;
	// default os.TempDir().
	TempDir string
}

// Resolve fills the defaults of opts for exporting sn as f and checks them: the encoding
// suits the format and every feature can be expressed in the CRS (a Gauss-Krüger zone covers
// only positions within [crs.MaxCentralMeridianOffset] of its meridian). Errors are
// [*ParamError]s naming "encoding" or "crs". Call it before writing a response header: the
// writers call it too, but once streaming has begun an error can no longer become a status.
func Resolve(sn *spatial.Snapshot, f Format, opts WriteOptions) (WriteOptions, error) {
	enc, err := ParseEncoding(opts.Encoding)
	if err != nil {
		return opts, &ParamError{Param: "encoding", Reason: err.Error(), Err: err}
	}
	switch {
	case enc == "":
		enc = UTF8
	case f != FormatShapefile && enc != UTF8:
		return opts, &ParamError{Param: "encoding", Reason: fmt.Sprintf("%s is always UTF-8; encoding=%s applies to Shapefile exports only", f, enc)}
	case enc == Latin1:
		return opts, &ParamError{Param: "encoding", Reason: "Shapefiles are exported in UTF-8, GBK or GB18030"}
	}
	opts.Encoding = string(enc)
	if opts.CRS == (crs.CRS{}) {
		if f == FormatGeoJSON {
			opts.CRS = crs.CRS84
		} else if c, err := crs.Parse(sn.Layer.Source.CRS); err == nil {
			opts.CRS = c
		} else {
			opts.CRS = crs.EPSG4490
		}
	}
	if lon0 := opts.CRS.CentralMeridian(); lon0 != 0 && sn.Len() > 0 {
		b := sn.Layer.Bound
		if math.Abs(b.Min[0]-lon0) > crs.MaxCentralMeridianOffset || math.Abs(b.Max[0]-lon0) > crs.MaxCentralMeridianOffset {
			return opts, &ParamError{Param: "crs", Reason: fmt.Sprintf("layer %s spans longitudes %.4f..%.4f, beyond the reach of %s (central meridian %g°E): choose the zone of the data",
				sn.Layer.ID, b.Min[0], b.Max[0], opts.CRS.Name(), lon0)}
		}
	}
	return opts, nil
}

// Write exports sn in format f to w; see the format's writer.
func Write(ctx context.Context, w io.Writer, sn *spatial.Snapshot, f Format, opts WriteOptions) error {
	switch f {
	case FormatGeoJSON:
		return WriteGeoJSON(ctx, w, sn, opts)
	case FormatCSV:
		return WriteCSV(ctx, w, sn, opts)
	case FormatShapefile:
		return WriteShapefile(ctx, w, sn, opts)
	case FormatGeoPackage:
		return WriteGeoPackage(ctx, w, sn, opts)
	case FormatFlatGeobuf:
		return WriteFlatGeobuf(ctx, w, sn, opts)
	case FormatGeoParquet:
		return WriteGeoParquet(ctx, w, sn, opts)
	}
	return &ParamError{Param: "format", Reason: fmt.Sprintf("%q is not one of %s", f, formatNames)}
}

// column is one attribute column of an export: a source field or a derived attribute.
type column struct {
	name    string // the attribute name
	typ     spatial.FieldType
	alias   string
	derived bool
	sn      *spatial.Snapshot // for computed attributes: the snapshot, which may carry classes
}

// columns returns the export columns of sn: its fields in schema order (except those named
// like a computed attribute, which the computed value shadows), then the computed attributes
// the layer has (see [spatial.Computed]): a group of them is a column when any feature has it.
func columns(sn *spatial.Snapshot) []column {
	var cols []column
	for _, f := range sn.Layer.Fields {
		if spatial.IsDerivedKey(f.Name) {
			continue
		}
		cols = append(cols, column{name: f.Name, typ: f.Type, alias: f.Alias})
	}
	present := map[spatial.Group]bool{spatial.GroupArea: true, spatial.GroupClasses: sn.Classes() != nil}
	for _, g := range []spatial.Group{spatial.GroupControl, spatial.GroupBlock} {
		for _, f := range sn.Features() {
			if f.Derived.Has(g) {
				present[g] = true
				break
			}
		}
	}
	for _, a := range spatial.Computed {
		if present[a.Group] {
			cols = append(cols, column{name: a.Key, typ: a.Type, alias: a.Alias, derived: true, sn: sn})
		}
	}
	return cols
}

// value returns the value of column c for feature f (nil when absent).
func (c column) value(f *spatial.Feature) any {
	if !c.derived {
		return f.Attrs.Value(c.name)
	}
	v, _ := c.sn.Value(f, c.name)
	return v
}

// project returns f's geometry in the target CRS.
func project(g orb.Geometry, to crs.CRS) (orb.Geometry, error) {
	if to.Geographic() {
		return g, nil
	}
	return crs.TransformFromLonLat(g, to)
}

// appendNumber formats a float64 the shortest way that reads back exactly.
func appendNumber(b []byte, v float64) []byte {
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// every calls fn for each feature of sn in id order, checking ctx every 1024 features.
func every(ctx context.Context, sn *spatial.Snapshot, fn func(f *spatial.Feature) error) error {
	for i, f := range sn.Features() {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// featureError wraps an error about one feature.
func featureError(f *spatial.Feature, err error) error {
	return fmt.Errorf("gisio: feature %d: %w", f.ID, err)
}
