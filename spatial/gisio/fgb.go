package gisio

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"math"
	"os"

	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// FlatGeobuf (format version 3): the magic bytes, a size-prefixed Header table, the packed
// Hilbert R-tree, then one size-prefixed Feature table per feature, in the order of the tree's
// leaves. The tables are encoded here with the flatbuffers builder; the field numbers below
// are those of the format's Header, Column, Crs, Geometry and Feature tables.

// fgbMagic starts every FlatGeobuf file: "fgb", major version 3, "fgb", patch level 1.
var fgbMagic = []byte{0x66, 0x67, 0x62, 0x03, 0x66, 0x67, 0x62, 0x01}

// fgbNodeSize is the number of children of each node of the spatial index.
const fgbNodeSize = 16

// Geometry types (as in WKB) and column types of the format.
const (
	fgbMultiPolygon = 6
	fgbPolygonType  = 3

	fgbBool     = 2
	fgbLong     = 7
	fgbDouble   = 10
	fgbString   = 11
	fgbDateTime = 13
)

// Field numbers of the tables.
const (
	// Header
	fgbHeaderName, fgbHeaderEnvelope, fgbHeaderGeometryType = 0, 1, 2
	fgbHeaderColumns, fgbHeaderFeaturesCount                = 7, 8
	fgbHeaderIndexNodeSize, fgbHeaderCRS, fgbHeaderTitle    = 9, 10, 11
	fgbHeaderDescription, fgbHeaderFields                   = 12, 14
	// Column
	fgbColumnName, fgbColumnType, fgbColumnTitle, fgbColumnFields = 0, 1, 2, 11
	// Crs
	fgbCRSOrg, fgbCRSCode, fgbCRSName, fgbCRSWKT, fgbCRSFields = 0, 1, 2, 4, 6
	// Geometry
	fgbGeomEnds, fgbGeomXY, fgbGeomType, fgbGeomParts, fgbGeomFields = 0, 1, 6, 7, 8
	// Feature
	fgbFeatureGeometry, fgbFeatureProperties, fgbFeatureFields = 0, 1, 3
)

// fgbNodeLen is the size of one index node: its bound (min x, min y, max x, max y) and an
// offset, little endian.
const fgbNodeLen = 40

// fgbTypeOf returns the FlatGeobuf column type of a field type.
func fgbTypeOf(t spatial.FieldType) byte {
	switch t {
	case spatial.FieldInteger:
		return fgbLong
	case spatial.FieldReal:
		return fgbDouble
	case spatial.FieldBoolean:
		return fgbBool
	case spatial.FieldDate:
		return fgbDateTime
	}
	return fgbString
}

// WriteFlatGeobuf writes sn as a FlatGeobuf file with a packed Hilbert R-tree index (node
// size 16), so readers can fetch the features of a bounding box without reading the rest.
//
// Header: the layer id as name, its title, geometry type MultiPolygon (a Polygon is written as
// a MultiPolygon of one), the envelope of all features, the CRS (EPSG code, name and OGC WKT
// definition) and the columns: "id" (the mudi feature id; "id_2" … when a field has that name),
// then the export columns under their own names (Chinese included) with their aliases as
// titles: integers as Long, reals as Double, booleans as Bool, dates as DateTime (ISO 8601
// text), everything else as String. Null values are left out of a feature's properties.
//
// Features are stored in the Hilbert order of their bounding-box centres, which the index
// requires. They are encoded into a temporary file in opts.TempDir while the index is built
// (memory holds one bound and offset per feature), then copied to w after the index.
func WriteFlatGeobuf(ctx context.Context, w io.Writer, sn *spatial.Snapshot, opts WriteOptions) error {
	opts, err := Resolve(sn, FormatFlatGeobuf, opts)
	if err != nil {
		return err
	}
	cols := columns(sn)
	feats := hilbertSorted(sn)

	tmp, err := os.CreateTemp(opts.TempDir, "mudi-export-*.fgb")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	tw := bufio.NewWriterSize(tmp, 256<<10)
	nodes := make([]fgbNode, len(feats))
	var envelope orb.Bound
	var offset uint64
	enc := fgbEncoder{b: flatbuffers.NewBuilder(4096), cols: cols}
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
			envelope = b
		} else {
			envelope = envelope.Union(b)
		}
		buf := enc.feature(f, g)
		if _, err := tw.Write(buf); err != nil {
			return err
		}
		nodes[i] = fgbNode{bound: b, offset: offset}
		offset += uint64(len(buf))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	bw := bufio.NewWriterSize(w, 256<<10)
	bw.Write(fgbMagic)
	bw.Write(fgbHeader(sn, cols, opts.CRS, envelope, len(feats)))
	if len(nodes) > 0 {
		if err := writeFGBIndex(bw, nodes); err != nil {
			return err
		}
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(bw, bufio.NewReaderSize(tmp, 256<<10)); err != nil {
		return err
	}
	return bw.Flush()
}

// fgbHeader returns the size-prefixed Header table.
func fgbHeader(sn *spatial.Snapshot, cols []column, to crs.CRS, env orb.Bound, n int) []byte {
	b := flatbuffers.NewBuilder(1024)
	colOffs := make([]flatbuffers.UOffsetT, 0, len(cols)+1)
	addColumn := func(name, title string, typ byte) {
		nameOff := b.CreateString(name)
		var titleOff flatbuffers.UOffsetT
		if title != "" {
			titleOff = b.CreateString(title)
		}
		b.StartObject(fgbColumnFields)
		b.PrependUOffsetTSlot(fgbColumnName, nameOff, 0)
		b.PrependByteSlot(fgbColumnType, typ, 0)
		if titleOff != 0 {
			b.PrependUOffsetTSlot(fgbColumnTitle, titleOff, 0)
		}
		colOffs = append(colOffs, b.EndObject())
	}
	addColumn(uniqueName("id", cols), "", fgbLong)
	for _, c := range cols {
		addColumn(c.name, c.alias, fgbTypeOf(c.typ))
	}
	columnsOff := b.CreateVectorOfTables(colOffs)

	orgOff, crsNameOff, wktOff := b.CreateString("EPSG"), b.CreateString(to.Name()), b.CreateString(ogcWKT(to))
	b.StartObject(fgbCRSFields)
	b.PrependUOffsetTSlot(fgbCRSOrg, orgOff, 0)
	b.PrependInt32Slot(fgbCRSCode, int32(to.EPSG()), 0)
	b.PrependUOffsetTSlot(fgbCRSName, crsNameOff, 0)
	b.PrependUOffsetTSlot(fgbCRSWKT, wktOff, 0)
	crsOff := b.EndObject()

	var envOff flatbuffers.UOffsetT
	if n > 0 {
		b.StartVector(8, 4, 8)
		for _, v := range []float64{env.Max[1], env.Max[0], env.Min[1], env.Min[0]} {
			b.PrependFloat64(v)
		}
		envOff = b.EndVector(4)
	}
	nameOff := b.CreateString(sn.Layer.ID)
	var titleOff flatbuffers.UOffsetT
	if sn.Layer.Title != "" {
		titleOff = b.CreateString(sn.Layer.Title)
	}
	b.StartObject(fgbHeaderFields)
	b.PrependUOffsetTSlot(fgbHeaderName, nameOff, 0)
	if envOff != 0 {
		b.PrependUOffsetTSlot(fgbHeaderEnvelope, envOff, 0)
	}
	b.PrependByteSlot(fgbHeaderGeometryType, fgbMultiPolygon, 0)
	b.PrependUOffsetTSlot(fgbHeaderColumns, columnsOff, 0)
	b.PrependUint64Slot(fgbHeaderFeaturesCount, uint64(n), 0)
	nodeSize := uint16(fgbNodeSize)
	if n == 0 {
		nodeSize = 0 // no index without features
	}
	b.PrependUint16Slot(fgbHeaderIndexNodeSize, nodeSize, fgbNodeSize)
	b.PrependUOffsetTSlot(fgbHeaderCRS, crsOff, 0)
	if titleOff != 0 {
		b.PrependUOffsetTSlot(fgbHeaderTitle, titleOff, 0)
	}
	b.FinishSizePrefixed(b.EndObject())
	return b.FinishedBytes()
}

// fgbEncoder encodes features; it reuses its builder and buffers.
type fgbEncoder struct {
	b     *flatbuffers.Builder
	cols  []column
	props []byte
	parts []flatbuffers.UOffsetT
}

// feature returns the size-prefixed Feature table of f with geometry g (in the output CRS).
// The returned slice is valid until the next call.
func (e *fgbEncoder) feature(f *spatial.Feature, g orb.Geometry) []byte {
	b := e.b
	b.Reset()
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	e.parts = e.parts[:0]
	for _, p := range polys {
		e.parts = append(e.parts, fgbPolygon(b, p))
	}
	b.StartVector(4, len(e.parts), 4)
	for i := len(e.parts) - 1; i >= 0; i-- {
		b.PrependUOffsetT(e.parts[i])
	}
	partsOff := b.EndVector(len(e.parts))
	b.StartObject(fgbGeomFields)
	b.PrependUOffsetTSlot(fgbGeomParts, partsOff, 0)
	geomOff := b.EndObject()

	e.props = e.props[:0]
	e.props = binary.LittleEndian.AppendUint16(e.props, 0)
	e.props = binary.LittleEndian.AppendUint64(e.props, uint64(f.ID))
	for i, c := range e.cols {
		v := cellValue(c.typ, c.value(f))
		if v == nil {
			continue
		}
		e.props = binary.LittleEndian.AppendUint16(e.props, uint16(i+1))
		switch v := v.(type) {
		case int64:
			e.props = binary.LittleEndian.AppendUint64(e.props, uint64(v))
		case float64:
			e.props = binary.LittleEndian.AppendUint64(e.props, math.Float64bits(v))
		case bool:
			if v {
				e.props = append(e.props, 1)
			} else {
				e.props = append(e.props, 0)
			}
		case string:
			e.props = binary.LittleEndian.AppendUint32(e.props, uint32(len(v)))
			e.props = append(e.props, v...)
		}
	}
	propsOff := b.CreateByteVector(e.props)
	b.StartObject(fgbFeatureFields)
	b.PrependUOffsetTSlot(fgbFeatureGeometry, geomOff, 0)
	b.PrependUOffsetTSlot(fgbFeatureProperties, propsOff, 0)
	b.FinishSizePrefixed(b.EndObject())
	return b.FinishedBytes()
}

// fgbPolygon adds a Geometry table of one polygon: its rings' coordinates as one flat x, y
// array and, when it has holes, the end of each ring (in points).
func fgbPolygon(b *flatbuffers.Builder, p orb.Polygon) flatbuffers.UOffsetT {
	var endsOff flatbuffers.UOffsetT
	if len(p) > 1 {
		b.StartVector(4, len(p), 4)
		end := 0
		for _, r := range p {
			end += len(r)
		}
		for i := len(p) - 1; i >= 0; i-- {
			b.PrependUint32(uint32(end))
			end -= len(p[i])
		}
		endsOff = b.EndVector(len(p))
	}
	n := 0
	for _, r := range p {
		n += len(r)
	}
	b.StartVector(8, 2*n, 8)
	for i := len(p) - 1; i >= 0; i-- {
		r := p[i]
		for k := len(r) - 1; k >= 0; k-- {
			b.PrependFloat64(r[k][1])
			b.PrependFloat64(r[k][0])
		}
	}
	xyOff := b.EndVector(2 * n)
	b.StartObject(fgbGeomFields)
	if endsOff != 0 {
		b.PrependUOffsetTSlot(fgbGeomEnds, endsOff, 0)
	}
	b.PrependUOffsetTSlot(fgbGeomXY, xyOff, 0)
	b.PrependByteSlot(fgbGeomType, fgbPolygonType, 0)
	return b.EndObject()
}

// fgbNode is one node of the index: a bound and, for a leaf, the byte offset of its feature
// from the start of the features; for an inner node, the index of its first child.
type fgbNode struct {
	bound  orb.Bound
	offset uint64
}

// fgbLevels returns the number of nodes of each level of the packed R-tree of n items, from
// the leaves up to the root. There is always at least one level above the leaves.
func fgbLevels(n int) []int {
	levels := []int{n}
	for k := n; ; {
		k = (k + fgbNodeSize - 1) / fgbNodeSize
		levels = append(levels, k)
		if k == 1 {
			return levels
		}
	}
}

// writeFGBIndex writes the packed R-tree over leaves (in feature order): all levels, root
// first, leaves last; each inner node bounds up to 16 consecutive nodes of the level below.
func writeFGBIndex(w io.Writer, leaves []fgbNode) error {
	levels := fgbLevels(len(leaves))
	// start[l] is the index of the first node of level l (0 = leaves) in the written order.
	start := make([]int, len(levels))
	total := 0
	for l := len(levels) - 1; l >= 0; l-- {
		start[l] = total
		total += levels[l]
	}
	tree := make([]fgbNode, total)
	copy(tree[start[0]:], leaves)
	for l := 1; l < len(levels); l++ {
		for j := range levels[l] {
			first := start[l-1] + j*fgbNodeSize
			last := min(first+fgbNodeSize, start[l-1]+levels[l-1])
			b := tree[first].bound
			for _, c := range tree[first+1 : last] {
				b = b.Union(c.bound)
			}
			tree[start[l]+j] = fgbNode{bound: b, offset: uint64(first)}
		}
	}
	buf := make([]byte, 0, fgbNodeLen*256)
	for i, n := range tree {
		for _, v := range []float64{n.bound.Min[0], n.bound.Min[1], n.bound.Max[0], n.bound.Max[1]} {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
		buf = binary.LittleEndian.AppendUint64(buf, n.offset)
		if len(buf) == cap(buf) || i == len(tree)-1 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return nil
}
