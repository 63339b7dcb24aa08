package gisio

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// parquetRowGroup is the number of rows per row group: small enough that the bbox column's
// statistics let a reader skip most of a county for a small window, large enough to keep the
// per-group overhead low.
const parquetRowGroup = 16384

// orderedGroup is a parquet group whose fields keep the given order (parquet.Group orders
// them by name).
type orderedGroup struct {
	parquet.Group
	order []string
}

func (g orderedGroup) Fields() []parquet.Field {
	fields := slices.Clone(g.Group.Fields())
	rank := func(name string) int { return slices.Index(g.order, name) }
	slices.SortStableFunc(fields, func(a, b parquet.Field) int { return rank(a.Name()) - rank(b.Name()) })
	return fields
}

// parquetLeaf returns the optional parquet column of a field type: INT64, DOUBLE, BOOLEAN,
// DATE (days since 1970-01-01) or STRING (UTF-8).
func parquetLeaf(t spatial.FieldType) parquet.Node {
	switch t {
	case spatial.FieldInteger:
		return parquet.Optional(parquet.Int(64))
	case spatial.FieldReal:
		return parquet.Optional(parquet.Leaf(parquet.DoubleType))
	case spatial.FieldBoolean:
		return parquet.Optional(parquet.Leaf(parquet.BooleanType))
	case spatial.FieldDate:
		return parquet.Optional(parquet.Date())
	}
	return parquet.Optional(parquet.String())
}

// geoMetadata is the "geo" key-value metadata of a GeoParquet 1.1 file.
type geoMetadata struct {
	Version       string                       `json:"version"`
	PrimaryColumn string                       `json:"primary_column"`
	Columns       map[string]geoColumnMetadata `json:"columns"`
}

type geoColumnMetadata struct {
	Encoding      string                         `json:"encoding"`
	GeometryTypes []string                       `json:"geometry_types"`
	CRS           json.RawMessage                `json:"crs,omitempty"`
	BBox          []float64                      `json:"bbox,omitempty"`
	Covering      map[string]map[string][]string `json:"covering,omitempty"`
}

// WriteGeoParquet writes sn as a GeoParquet 1.1 file (zstd-compressed Parquet).
//
// Columns, in order: "id" (the mudi feature id, INT64), the export columns under their own
// names (Chinese included; nullable INT64, DOUBLE, BOOLEAN, DATE or STRING), "geometry" (the
// polygon as little-endian ISO WKB, in the target CRS, x = easting or longitude), and "bbox",
// a struct of xmin, ymin, xmax, ymax doubles with the geometry's bounding box, declared as the
// geometry's covering so that readers filter row groups by their statistics. A column whose
// name is taken gets "_2", "_3" … appended.
//
// Rows are in the Hilbert order of the features' bounding-box centres, in row groups of
// 16 384, so a window touches few row groups. The "geo" metadata names the geometry column
// as primary, its WKB encoding, the geometry types present, the bounding box of the layer and
// the CRS as PROJJSON (left out for OGC:CRS84, the GeoParquet default).
func WriteGeoParquet(ctx context.Context, w io.Writer, sn *spatial.Snapshot, opts WriteOptions) error {
	opts, err := Resolve(sn, FormatGeoParquet, opts)
	if err != nil {
		return err
	}
	cols := columns(sn)
	idName := uniqueName("id", cols)
	geomName := uniqueName("geometry", append(slices.Clone(cols), column{name: idName}))
	bboxName := uniqueName("bbox", append(slices.Clone(cols), column{name: idName}, column{name: geomName}))

	group := parquet.Group{idName: parquet.Required(parquet.Int(64))}
	order := []string{idName}
	for _, c := range cols {
		group[c.name] = parquetLeaf(c.typ)
		order = append(order, c.name)
	}
	double := parquet.Required(parquet.Leaf(parquet.DoubleType))
	group[geomName] = parquet.Required(parquet.Leaf(parquet.ByteArrayType))
	group[bboxName] = parquet.Required(orderedGroup{
		Group: parquet.Group{"xmin": double, "ymin": double, "xmax": double, "ymax": double},
		order: []string{"xmin", "ymin", "xmax", "ymax"},
	})
	order = append(order, geomName, bboxName)
	schema := parquet.NewSchema(sn.Layer.ID, orderedGroup{Group: group, order: order})

	feats := hilbertSorted(sn)
	types := map[string]bool{}
	var all orb.Bound
	for _, f := range feats {
		switch f.Geometry.(type) {
		case orb.Polygon:
			types["Polygon"] = true
		case orb.MultiPolygon:
			types["MultiPolygon"] = true
		}
	}
	var geomTypes []string
	for _, t := range []string{"Polygon", "MultiPolygon"} {
		if types[t] {
			geomTypes = append(geomTypes, t)
		}
	}
	if geomTypes == nil {
		geomTypes = []string{} // an empty list: the types are unknown
	}

	bw := bufio.NewWriterSize(w, 256<<10)
	pw := parquet.NewWriter(bw, schema, parquet.Compression(&parquet.Zstd), parquet.MaxRowsPerRowGroup(parquetRowGroup),
		parquet.CreatedBy("mudi", "", ""))
	rows := make([]parquet.Row, 0, 256)
	var wkb []byte
	flush := func() error {
		if _, err := pw.WriteRows(rows); err != nil {
			return err
		}
		rows = rows[:0]
		return nil
	}
	epoch := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, f := range feats {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		g, err := project(f.Geometry, opts.CRS)
		if err != nil {
			return featureError(f, err)
		}
		b := g.Bound()
		if i == 0 {
			all = b
		} else {
			all = all.Union(b)
		}
		row := make(parquet.Row, 0, len(cols)+6)
		row = append(row, parquet.Int64Value(int64(f.ID)).Level(0, 0, 0))
		for k, c := range cols {
			col := k + 1
			var v parquet.Value
			switch x := cellValue(c.typ, c.value(f)).(type) {
			case int64:
				v = parquet.Int64Value(x)
			case float64:
				v = parquet.DoubleValue(x)
			case bool:
				v = parquet.BooleanValue(x)
			case string:
				if c.typ == spatial.FieldDate {
					if d, err := time.Parse(time.DateOnly, x); err == nil {
						v = parquet.Int32Value(int32(d.Sub(epoch).Hours() / 24))
					}
				} else {
					v = parquet.ByteArrayValue([]byte(x))
				}
			}
			if v.IsNull() {
				row = append(row, parquet.NullValue().Level(0, 0, col))
			} else {
				row = append(row, v.Level(0, 1, col))
			}
		}
		wkb = appendWKB(wkb[:0], g)
		n := len(cols) + 1
		row = append(row, parquet.ByteArrayValue(slices.Clone(wkb)).Level(0, 0, n))
		for k, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
			row = append(row, parquet.DoubleValue(v).Level(0, 0, n+1+k))
		}
		rows = append(rows, row)
		if len(rows) == cap(rows) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}

	meta := geoMetadata{Version: "1.1.0", PrimaryColumn: geomName, Columns: map[string]geoColumnMetadata{
		geomName: {
			Encoding:      "WKB",
			GeometryTypes: geomTypes,
			CRS:           projJSON(opts.CRS),
			Covering: map[string]map[string][]string{"bbox": {
				"xmin": {bboxName, "xmin"}, "ymin": {bboxName, "ymin"},
				"xmax": {bboxName, "xmax"}, "ymax": {bboxName, "ymax"},
			}},
		},
	}}
	if len(feats) > 0 {
		c := meta.Columns[geomName]
		c.BBox = []float64{all.Min[0], all.Min[1], all.Max[0], all.Max[1]}
		meta.Columns[geomName] = c
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("gisio: geo metadata: %w", err)
	}
	pw.SetKeyValueMetadata("geo", string(mb))
	if err := pw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// projJSON returns the PROJJSON definition of c, or nil for OGC:CRS84, which GeoParquet
// readers assume when "crs" is absent. Coordinates are always written x first (easting or
// longitude) as GeoParquet requires, whatever the axis order the definition declares.
func projJSON(c crs.CRS) json.RawMessage {
	if c == crs.CRS84 {
		return nil
	}
	type id struct {
		Authority string `json:"authority"`
		Code      int    `json:"code"`
	}
	type unitValue struct {
		Name  string  `json:"name"`
		Value float64 `json:"value"`
		Unit  string  `json:"unit"`
		ID    id      `json:"id"`
	}
	type axis struct {
		Name         string `json:"name"`
		Abbreviation string `json:"abbreviation"`
		Direction    string `json:"direction"`
		Unit         string `json:"unit"`
	}
	type cs struct {
		Subtype string `json:"subtype"`
		Axis    []axis `json:"axis"`
	}
	type ellipsoid struct {
		Name              string  `json:"name"`
		SemiMajorAxis     float64 `json:"semi_major_axis"`
		InverseFlattening float64 `json:"inverse_flattening"`
	}
	type datum struct {
		Type      string    `json:"type"`
		Name      string    `json:"name"`
		Ellipsoid ellipsoid `json:"ellipsoid"`
	}
	type geographic struct {
		Schema string `json:"$schema,omitempty"`
		Type   string `json:"type"`
		Name   string `json:"name"`
		Datum  datum  `json:"datum"`
		CS     cs     `json:"coordinate_system"`
		ID     id     `json:"id"`
	}
	type method struct {
		Name string `json:"name"`
		ID   id     `json:"id"`
	}
	type conversion struct {
		Name       string      `json:"name"`
		Method     method      `json:"method"`
		Parameters []unitValue `json:"parameters"`
	}
	type projected struct {
		Schema     string     `json:"$schema"`
		Type       string     `json:"type"`
		Name       string     `json:"name"`
		BaseCRS    geographic `json:"base_crs"`
		Conversion conversion `json:"conversion"`
		CS         cs         `json:"coordinate_system"`
		ID         id         `json:"id"`
	}
	const schema = "https://proj.org/schemas/v0.7/projjson.schema.json"
	latLon := cs{Subtype: "ellipsoidal", Axis: []axis{
		{"Geodetic latitude", "Lat", "north", "degree"}, {"Geodetic longitude", "Lon", "east", "degree"}}}
	cgcs2000 := geographic{Type: "GeographicCRS", Name: "China Geodetic Coordinate System 2000",
		Datum: datum{"GeodeticReferenceFrame", "China 2000", ellipsoid{"CGCS2000", 6378137, 298.257222101}},
		CS:    latLon, ID: id{"EPSG", 4490}}
	wgs84 := geographic{Type: "GeographicCRS", Name: "WGS 84",
		Datum: datum{"GeodeticReferenceFrame", "World Geodetic System 1984", ellipsoid{"WGS 84", 6378137, 298.257223563}},
		CS:    latLon, ID: id{"EPSG", 4326}}
	param := func(name string, code int, v float64, unit string) unitValue {
		return unitValue{name, v, unit, id{"EPSG", code}}
	}
	var v any
	switch c.EPSG() {
	case 4490:
		cgcs2000.Schema = schema
		v = cgcs2000
	case 4326:
		wgs84.Schema = schema
		v = wgs84
	case 3857:
		v = projected{Schema: schema, Type: "ProjectedCRS", Name: c.Name(), BaseCRS: wgs84,
			Conversion: conversion{Name: "Popular Visualisation Pseudo-Mercator", Method: method{"Popular Visualisation Pseudo Mercator", id{"EPSG", 1024}},
				Parameters: []unitValue{
					param("Latitude of natural origin", 8801, 0, "degree"), param("Longitude of natural origin", 8802, 0, "degree"),
					param("False easting", 8806, 0, "metre"), param("False northing", 8807, 0, "metre")}},
			CS: cs{Subtype: "Cartesian", Axis: []axis{{"Easting", "X", "east", "metre"}, {"Northing", "Y", "north", "metre"}}},
			ID: id{"EPSG", 3857}}
	default: // a CGCS2000 3-degree Gauss-Krüger zone
		lon0 := c.CentralMeridian()
		fe := 500000.0
		if c.EPSG() <= 4533 { // zone-prefixed codes: the zone number in front of the easting
			fe = lon0/3*1e6 + 500000
		}
		v = projected{Schema: schema, Type: "ProjectedCRS", Name: c.Name(), BaseCRS: cgcs2000,
			Conversion: conversion{Name: fmt.Sprintf("Gauss-Kruger CM %gE", lon0), Method: method{"Transverse Mercator", id{"EPSG", 9807}},
				Parameters: []unitValue{
					param("Latitude of natural origin", 8801, 0, "degree"), param("Longitude of natural origin", 8802, lon0, "degree"),
					param("Scale factor at natural origin", 8805, 1, "unity"),
					param("False easting", 8806, fe, "metre"), param("False northing", 8807, 0, "metre")}},
			CS: cs{Subtype: "Cartesian", Axis: []axis{{"Northing", "X", "north", "metre"}, {"Easting", "Y", "east", "metre"}}},
			ID: id{"EPSG", c.EPSG()}}
	}
	b, _ := json.Marshal(v) // plain structs: cannot fail
	return b
}
