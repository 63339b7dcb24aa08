package gisio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// ReadOptions configure the readers.
type ReadOptions struct {
	// CRS of the coordinates; it overrides the .prj or the GeoPackage's declaration.
	CRS crs.CRS
	// Encoding of Shapefile attributes (see [ParseEncoding]); it overrides the .cpg.
	Encoding string
	// Table chooses the GeoPackage table, or the Shapefile (base name) in an archive holding
	// several.
	Table string
	// Strict and MaxProblems as in [spatial.ImportOptions].
	Strict      bool
	MaxProblems int
	// Limits bound archives.
	Limits Limits
	// TempDir holds temporary files (a GeoPackage inside a zip); default os.TempDir().
	TempDir string
}

func (o ReadOptions) importOptions() spatial.ImportOptions {
	return spatial.ImportOptions{CRS: o.CRS, Strict: o.Strict, MaxProblems: o.MaxProblems}
}

// Info tells what a reader found besides the features.
type Info struct {
	Format   string   // "shp" or "gpkg"
	Name     string   // the .shp read (path in the archive) or the GeoPackage table
	Encoding Encoding // attribute encoding used (Shapefile; GeoPackages are UTF-8)
	// EncodingFrom says where Encoding came from: "parameter", ".cpg", "ldid" (the .dbf
	// language driver id), "detected" or "" (GeoPackage).
	EncodingFrom string
}

// Shape types of the Shapefile specification.
const (
	shapeNull     = 0
	shapePolygon  = 5
	shapePolygonZ = 15
	shapePolygonM = 25
)

var shapeTypeNames = map[int32]string{0: "Null", 1: "Point", 3: "PolyLine", 5: "Polygon", 8: "MultiPoint",
	11: "PointZ", 13: "PolyLineZ", 15: "PolygonZ", 18: "MultiPointZ", 21: "PointM", 23: "PolyLineM",
	25: "PolygonM", 28: "MultiPointM", 31: "MultiPatch"}

func shapeTypeName(t int32) string {
	if n, ok := shapeTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("unknown (%d)", t)
}

// ReadShapefile reads a Shapefile from disk: path names the .shp; its .dbf (required), .shx,
// .prj and .cpg are found beside it, whatever the case of their extensions.
func ReadShapefile(shpPath string, opts ReadOptions) (*spatial.Import, Info, error) {
	dir, base := filepath.Split(shpPath)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, Info{}, err
	}
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	siblings := map[string]string{}
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.EqualFold(strings.TrimSuffix(n, filepath.Ext(n)), stem) {
			siblings[strings.ToLower(filepath.Ext(n))] = n
		}
	}
	open := func(name string) (io.ReadCloser, int64, error) {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, st.Size(), nil
	}
	if _, ok := siblings[".shp"]; !ok {
		siblings[".shp"] = base
	}
	return readShapefile(open, siblings, opts)
}

// shapefileSet lists the files of one Shapefile inside an archive: extension → entry name.
func shapefileSet(a *archive, shp string) map[string]string {
	dir := path.Dir(shp)
	stem := strings.TrimSuffix(path.Base(shp), path.Ext(shp))
	set := map[string]string{}
	for _, n := range a.names {
		if path.Dir(n) == dir && strings.EqualFold(strings.TrimSuffix(path.Base(n), path.Ext(n)), stem) {
			set[strings.ToLower(path.Ext(n))] = n
		}
	}
	return set
}

// readShapefile reads the Shapefile whose files are named in set (extension → name).
func readShapefile(open opener, set map[string]string, opts ReadOptions) (*spatial.Import, Info, error) {
	shpName := set[".shp"]
	info := Info{Format: "shp", Name: shpName}
	dbfName, ok := set[".dbf"]
	if !ok {
		return nil, info, fileErr(shpName, 0, "the .dbf with the attributes is missing (a Shapefile is at least .shp, .shx and .dbf)")
	}

	// CRS: the parameter, else the .prj.
	src, explicit := opts.CRS, opts.CRS != (crs.CRS{})
	if !explicit {
		if prj, ok := set[".prj"]; ok {
			text, err := readSmall(open, prj, 1<<16)
			if err != nil {
				return nil, info, err
			}
			c, err := crs.FromWKT(string(text))
			if err != nil {
				return nil, info, &ParamError{Param: "crs", Err: err, Reason: unsupportedCRS(prj, string(text), err)}
			}
			src, explicit = c, true
		}
	}
	if !explicit {
		src = crs.EPSG4326
	}

	// Encoding: the parameter, else the .cpg, else the language driver id, else detection.
	enc, err := ParseEncoding(opts.Encoding)
	if err != nil {
		return nil, info, &ParamError{Param: "encoding", Reason: err.Error(), Err: err}
	}
	info.EncodingFrom = "parameter"
	if enc == "" {
		if cpg, ok := set[".cpg"]; ok {
			text, err := readSmall(open, cpg, 1<<10)
			if err != nil {
				return nil, info, err
			}
			if enc, err = ParseEncoding(string(text)); err != nil {
				return nil, info, &ParamError{Param: "encoding", Err: err,
					Reason: fmt.Sprintf("%s names %v; pass encoding= (UTF-8 or GBK) to read the attributes", cpg, err)}
			}
			info.EncodingFrom = ".cpg"
		}
	}

	dbfRC, dbfSize, err := open(dbfName)
	if err != nil {
		return nil, info, err
	}
	defer dbfRC.Close()
	dbfBuf := bufio.NewReaderSize(dbfRC, 64<<10)
	h, err := readDBFHeader(dbfBuf, dbfName, dbfSize)
	if err != nil {
		return nil, info, err
	}
	if enc == "" {
		if h.ldid == 0x4D || h.ldid == 0x7A {
			enc, info.EncodingFrom = GBK, "ldid"
		} else {
			if enc, err = detectEncoding(open, dbfName, dbfSize, h); err != nil {
				return nil, info, err
			}
			info.EncodingFrom = "detected"
		}
	}
	info.Encoding = enc
	dec := newDecoder(enc)
	fields, err := h.nameFields(dec, dbfName)
	if err != nil {
		return nil, info, err
	}
	dbf := newDBFReader(dbfBuf, h, dbfName)

	var offsets []int64 // record offsets from the .shx, in bytes
	if shx, ok := set[".shx"]; ok {
		if offsets, err = readSHX(open, shx); err != nil {
			return nil, info, err
		}
		if len(offsets) != h.records {
			return nil, info, fileErr(shx, min(len(offsets), h.records)+1, "%s indexes %d records but %s has %d (inconsistent files)", shx, len(offsets), dbfName, h.records)
		}
	}

	shpRC, shpSize, err := open(shpName)
	if err != nil {
		return nil, info, err
	}
	defer shpRC.Close()
	shp, err := newSHPReader(shpRC, shpName, shpSize)
	if err != nil {
		return nil, info, err
	}
	switch shp.shapeType {
	case shapeNull, shapePolygon, shapePolygonZ, shapePolygonM:
	default:
		return nil, info, fileErr(shpName, 0, "the file holds %s shapes; mudi imports polygons", shapeTypeName(shp.shapeType))
	}

	var records []spatial.SourceFeature
	for n := 1; ; n++ {
		offset := shp.pos
		g, problem, err := shp.next(n)
		if errors.Is(err, io.EOF) {
			if n-1 != h.records {
				return nil, info, fileErr(dbfName, n, "%s has %d records but %s has %d (inconsistent files)", dbfName, h.records, shpName, n-1)
			}
			break
		}
		if err != nil {
			return nil, info, err
		}
		if offsets != nil && n <= len(offsets) && offsets[n-1] != offset {
			return nil, info, fileErr(set[".shx"], n, "the index points record %d at byte %d but it is at byte %d in %s (inconsistent files)", n, offsets[n-1], offset, shpName)
		}
		rec, deleted, err := dbf.next()
		if errors.Is(err, io.EOF) {
			return nil, info, fileErr(dbfName, n, "%s has %d records but %s has more (inconsistent files)", dbfName, h.records, shpName)
		}
		if err != nil {
			return nil, info, err
		}
		if deleted {
			continue
		}
		sf := spatial.SourceFeature{ID: n, Geometry: g, Problem: problem}
		attrs, err := h.attrs(rec, dec)
		if err != nil && sf.Problem == "" {
			sf.Problem = "attributes: " + err.Error()
		}
		sf.Attrs = attrs
		if sf.Attrs == nil {
			sf.Attrs = spatial.Attrs{}
		}
		records = append(records, sf)
	}
	imp, err := spatial.BuildImport(records, fields, src, explicit, opts.importOptions())
	if imp != nil {
		imp.Encoding = string(info.Encoding)
	}
	return imp, info, err
}

// unsupportedCRS explains that the WKT in file describes a CRS mudi does not support.
func unsupportedCRS(file, wkt string, err error) string {
	why := strings.TrimPrefix(err.Error(), crs.ErrUnsupported.Error()+": ")
	if sum := summarizeWKT(wkt); !strings.Contains(why, sum) {
		why = sum + ": " + why
	}
	return fmt.Sprintf("%s describes a coordinate system mudi does not support: %s. mudi reads CGCS2000 and WGS 84 lon/lat (EPSG:4490, EPSG:4326) and the CGCS2000 3-degree Gauss-Kruger zones (EPSG:4513-4554): pass crs= if the coordinates are in one of these", file, why)
}

// summarizeWKT returns the name of the CRS a WKT string describes, e.g.
// PROJCS["Xian_1980_3_Degree_GK_CM_120E"], or the start of the text.
func summarizeWKT(wkt string) string {
	s := strings.TrimSpace(wkt)
	if i := strings.Index(s, "\""); i > 0 {
		if j := strings.Index(s[i+1:], "\""); j >= 0 {
			return s[:i+j+2] + "]"
		}
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

// readSmall reads a small file whole, refusing one larger than limit.
func readSmall(open opener, name string, limit int64) ([]byte, error) {
	rc, size, err := open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > limit {
		return nil, fileErr(name, 0, "%d bytes is too large for this kind of file (limit %d)", size, limit)
	}
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fileErr(name, 0, "too large for this kind of file (limit %d bytes)", limit)
	}
	return b, nil
}

// detectEncoding reads the field names and text values of a .dbf and decides their encoding.
func detectEncoding(open opener, name string, size int64, h *dbfHeader) (Encoding, error) {
	rc, _, err := open(name)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	if _, err := io.CopyN(io.Discard, br, int64(h.headerLen)); err != nil {
		return "", fileErr(name, 0, "the header is truncated")
	}
	var d detector
	for _, f := range h.fields {
		d.add(f.rawName)
	}
	r := newDBFReader(br, h, name)
	for {
		rec, _, err := r.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		for _, f := range h.fields {
			if f.typ == 'C' {
				d.add(rec[f.offset : f.offset+f.length])
			}
		}
		if d.notUTF8 && d.notGBK {
			break
		}
	}
	return d.result(), nil
}

// readSHX reads the record offsets (bytes) of a .shx.
func readSHX(open opener, name string) ([]int64, error) {
	rc, size, err := open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	var hdr [100]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, fileErr(name, 0, "the file is too short for a Shapefile index header")
	}
	if binary.BigEndian.Uint32(hdr[0:4]) != 9994 {
		return nil, fileErr(name, 0, "not a Shapefile index (file code %d, want 9994)", binary.BigEndian.Uint32(hdr[0:4]))
	}
	length := int64(binary.BigEndian.Uint32(hdr[24:28])) * 2
	if length < 100 || (length-100)%8 != 0 {
		return nil, fileErr(name, 0, "index length %d bytes is not 100 + 8 per record", length)
	}
	if size >= 0 && length > size {
		rec := int((size-100)/8) + 1
		return nil, fileErr(name, rec, "the file is truncated: it ends in record %d (%d bytes, header says %d)", rec, size, length)
	}
	n := int((length - 100) / 8)
	out := make([]int64, 0, min(n, 1<<20))
	var rec [8]byte
	for i := 0; i < n; i++ {
		if _, err := io.ReadFull(br, rec[:]); err != nil {
			return nil, fileErr(name, i+1, "the file is truncated: short read in record %d", i+1)
		}
		out = append(out, int64(binary.BigEndian.Uint32(rec[0:4]))*2)
	}
	return out, nil
}

// shpReader reads the records of a .shp one by one.
type shpReader struct {
	r         *bufio.Reader
	file      string
	size      int64 // actual size, -1 when unknown
	length    int64 // declared length in bytes
	pos       int64
	shapeType int32
	buf       []byte
}

func newSHPReader(r io.Reader, file string, size int64) (*shpReader, error) {
	s := &shpReader{r: bufio.NewReaderSize(r, 256<<10), file: file, size: size}
	var hdr [100]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		return nil, fileErr(file, 0, "the file is too short for a Shapefile header (%d bytes)", size)
	}
	if code := binary.BigEndian.Uint32(hdr[0:4]); code != 9994 {
		return nil, fileErr(file, 0, "not a Shapefile (file code %d, want 9994)", code)
	}
	s.length = int64(binary.BigEndian.Uint32(hdr[24:28])) * 2
	s.shapeType = int32(binary.LittleEndian.Uint32(hdr[32:36]))
	s.pos = 100
	if s.length < 100 {
		return nil, fileErr(file, 0, "declared length %d bytes is shorter than the header", s.length)
	}
	return s, nil
}

// next reads record n. It returns the geometry, or a problem that concerns only this record
// (a null shape, a non-polygon shape), or an error for a malformed file; io.EOF after the last
// record.
func (s *shpReader) next(n int) (orb.Geometry, string, error) {
	if s.pos >= s.length {
		return nil, "", io.EOF
	}
	var rh [8]byte
	if s.pos+8 > s.length {
		return nil, "", fileErr(s.file, n, "record %d header runs past the declared end of the file (byte %d)", n, s.length)
	}
	if _, err := io.ReadFull(s.r, rh[:]); err != nil {
		return nil, "", fileErr(s.file, n, "the file is truncated: short read in the header of record %d (the header says %d bytes)", n, s.length)
	}
	clen := int64(binary.BigEndian.Uint32(rh[4:8])) * 2
	end := s.pos + 8 + clen
	if clen < 4 || end > s.length {
		return nil, "", fileErr(s.file, n, "record %d content length %d bytes runs past the declared end of the file (byte %d)", n, clen, s.length)
	}
	if s.size >= 0 && end > s.size {
		return nil, "", fileErr(s.file, n, "the file is truncated: record %d ends at byte %d but the file has %d", n, end, s.size)
	}
	if int64(cap(s.buf)) < clen {
		s.buf = make([]byte, clen)
	}
	b := s.buf[:clen]
	if _, err := io.ReadFull(s.r, b); err != nil {
		return nil, "", fileErr(s.file, n, "the file is truncated: short read in record %d", n)
	}
	s.pos = end
	typ := int32(binary.LittleEndian.Uint32(b[0:4]))
	switch typ {
	case shapeNull:
		return nil, "null shape: the record has no geometry", nil
	case shapePolygon, shapePolygonZ, shapePolygonM:
	default:
		return nil, fmt.Sprintf("geometry type %s is not a polygon", shapeTypeName(typ)), nil
	}
	if len(b) < 44 {
		return nil, "", fileErr(s.file, n, "polygon record %d is %d bytes, too short for its header", n, len(b))
	}
	numParts := int64(int32(binary.LittleEndian.Uint32(b[36:40])))
	numPoints := int64(int32(binary.LittleEndian.Uint32(b[40:44])))
	if numParts < 0 || numPoints < 0 || 44+4*numParts+16*numPoints > int64(len(b)) {
		return nil, "", fileErr(s.file, n, "polygon record %d declares %d parts and %d points, more than its %d bytes hold", n, numParts, numPoints, len(b))
	}
	if numParts == 0 || numPoints == 0 {
		return nil, "polygon without rings (empty shape)", nil
	}
	if numParts > maxRings {
		return nil, fmt.Sprintf("polygon with %d rings, more than the %d mudi assembles", numParts, maxRings), nil
	}
	parts := make([]int, numParts+1)
	for i := range numParts {
		parts[i] = int(int32(binary.LittleEndian.Uint32(b[44+4*i:])))
	}
	parts[numParts] = int(numPoints)
	if parts[0] != 0 {
		return nil, "", fileErr(s.file, n, "polygon record %d: the first part starts at point %d, not 0", n, parts[0])
	}
	for i := 1; i <= int(numParts); i++ {
		if parts[i] < parts[i-1] || parts[i] > int(numPoints) {
			return nil, "", fileErr(s.file, n, "polygon record %d: part %d starts at point %d, out of order or beyond the %d points", n, i, parts[i], numPoints)
		}
	}
	pts := b[44+4*numParts:]
	rings := make([]orb.Ring, 0, numParts)
	for i := 0; i < int(numParts); i++ {
		r := make(orb.Ring, parts[i+1]-parts[i])
		for k := range r {
			o := 16 * (parts[i] + k)
			r[k] = orb.Point{
				math.Float64frombits(binary.LittleEndian.Uint64(pts[o:])),
				math.Float64frombits(binary.LittleEndian.Uint64(pts[o+8:])),
			}
		}
		rings = append(rings, r)
	}
	return assembleRings(rings), "", nil
}

// maxRings bounds the rings of one Shapefile polygon: assembling them compares rings pairwise.
const maxRings = 10000

// assembleRings turns the rings of a Shapefile polygon into a Polygon or MultiPolygon: outer
// rings are clockwise and holes counter-clockwise (the Shapefile convention); each hole goes to
// the smallest outer ring that contains it, and a hole that no outer ring contains becomes an
// outer ring of its own. When no ring is clockwise (a writer that ignored the convention), the
// nesting decides: rings inside an odd number of others are holes. The result has RFC 7946
// orientation: outer rings counter-clockwise, holes clockwise.
func assembleRings(rings []orb.Ring) orb.Geometry {
	type ringInfo struct {
		r     orb.Ring
		b     orb.Bound
		area  float64 // signed, positive counter-clockwise
		outer bool
	}
	infos := make([]ringInfo, len(rings))
	anyCW := false
	for i, r := range rings {
		a := signedArea(r)
		infos[i] = ringInfo{r: r, b: r.Bound(), area: a, outer: a <= 0}
		if a < 0 {
			anyCW = true
		}
	}
	if !anyCW && len(rings) > 1 {
		// Nesting depth decides.
		for i := range infos {
			depth := 0
			for j := range infos {
				if i != j && math.Abs(infos[j].area) > math.Abs(infos[i].area) && infos[j].b.Contains(infos[i].b.Min) &&
					infos[j].b.Contains(infos[i].b.Max) && ringInside(infos[i].r, infos[j].r) {
					depth++
				}
			}
			infos[i].outer = depth%2 == 0
		}
	} else if !anyCW {
		infos[0].outer = true
	}
	var outers []int
	for i, in := range infos {
		if in.outer {
			outers = append(outers, i)
		}
	}
	holes := map[int][]orb.Ring{}
	for i, in := range infos {
		if in.outer {
			continue
		}
		best := -1
		for _, o := range outers {
			if infos[o].b.Contains(in.b.Min) && infos[o].b.Contains(in.b.Max) && ringInside(in.r, infos[o].r) &&
				(best < 0 || math.Abs(infos[o].area) < math.Abs(infos[best].area)) {
				best = o
			}
		}
		if best < 0 { // an orphan hole becomes a polygon of its own
			infos[i].outer = true
			outers = append(outers, i)
			continue
		}
		holes[best] = append(holes[best], orient(in.r, false))
	}
	sort.Ints(outers)
	mp := make(orb.MultiPolygon, 0, len(outers))
	for _, o := range outers {
		p := orb.Polygon{orient(infos[o].r, true)}
		p = append(p, holes[o]...)
		mp = append(mp, p)
	}
	if len(mp) == 1 {
		return mp[0]
	}
	return mp
}

// signedArea returns the shoelace area of a ring, positive when counter-clockwise (y up).
func signedArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	var s float64
	x0, y0 := r[0][0], r[0][1] // relative coordinates keep precision with large eastings
	for i := 0; i+1 < len(r); i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	last := len(r) - 1
	if r[last] != r[0] {
		s += (r[last][0]-x0)*(r[0][1]-y0) - (r[0][0]-x0)*(r[last][1]-y0)
	}
	return s / 2
}

// orient returns r (or a reversed copy) counter-clockwise when ccw, clockwise otherwise.
func orient(r orb.Ring, ccw bool) orb.Ring {
	if (signedArea(r) >= 0) == ccw {
		return r
	}
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}

// ringInside reports whether ring a lies inside ring b, judged by the first vertex of a that is
// not on b's boundary.
func ringInside(a, b orb.Ring) bool {
	for _, p := range a {
		switch pointInRing(p, b) {
		case 1:
			return true
		case -1:
			return false
		}
	}
	return false
}

// pointInRing returns 1 inside, -1 outside, 0 on the boundary.
func pointInRing(p orb.Point, r orb.Ring) int {
	in := false
	n := len(r)
	if n < 3 {
		return -1
	}
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := r[i], r[j]
		// on the segment?
		cross := (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
		if cross == 0 && math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
			math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1]) {
			return 0
		}
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	if in {
		return 1
	}
	return -1
}
