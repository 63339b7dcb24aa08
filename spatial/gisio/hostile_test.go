package gisio

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// shapefileParts exports the first n parcels of the county as a Shapefile and returns its
// files by name (county.shp, county.dbf …).
func shapefileParts(tb testing.TB, n int, opts WriteOptions) map[string][]byte {
	tb.Helper()
	full := county(tb, 300)
	sn := spatial.NewSnapshot(full.Layer, append([]*spatial.Feature(nil), full.Features()[:n]...))
	var buf bytes.Buffer
	if err := WriteShapefile(context.Background(), &buf, sn, opts); err != nil {
		tb.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		tb.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		parts[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return parts
}

// zipOf zips the files in name order, each name prefixed.
func zipOf(tb testing.TB, parts map[string][]byte, prefix string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(parts)) {
		data := parts[name]
		w, err := zw.Create(prefix + name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func readZipBytes(data []byte, opts ReadOptions) (*spatial.Import, Info, error) {
	return ReadZip(bytes.NewReader(data), int64(len(data)), opts)
}

func clone(parts map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range parts {
		out[k] = bytes.Clone(v)
	}
	return out
}

// bombZip returns a zip whose one entry declares size bytes but holds little: a deflate stream
// of zeros written raw with forged sizes.
func bombZip(tb testing.TB, name string, declared uint64, real int) []byte {
	tb.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	zeros := make([]byte, real)
	fw.Write(zeros)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared})
	if err != nil {
		tb.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	return buf.Bytes()
}

func TestHostileAndBrokenArchivesAreRefused(t *testing.T) {
	good := shapefileParts(t, 20, WriteOptions{CRS: crs.EPSG4490})
	truncatedDBF := clone(good)
	truncatedDBF["county.dbf"] = truncatedDBF["county.dbf"][:len(truncatedDBF["county.dbf"])-700]
	truncatedSHP := clone(good)
	truncatedSHP["county.shp"] = truncatedSHP["county.shp"][:len(truncatedSHP["county.shp"])/2]
	fewerDBF := clone(good) // the header says 19 records: the .shp has one more
	binary.LittleEndian.PutUint32(fewerDBF["county.dbf"][4:], 19)
	shxOff := clone(good)
	binary.BigEndian.PutUint32(shxOff["county.shx"][100+8*5:], 4242)
	hugeParts := clone(good) // record 1 claims a billion points
	binary.LittleEndian.PutUint32(hugeParts["county.shp"][100+8+40:], 1<<30)
	xian := clone(good)
	xian["county.prj"] = []byte(`PROJCS["Xian_1980_3_Degree_GK_CM_120E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`)
	lambert := clone(good)
	lambert["county.prj"] = []byte(`PROJCS["CGCS2000_Lambert",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Standard_Parallel_1",25.0],PARAMETER["Standard_Parallel_2",47.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`)
	badCPG := clone(good)
	badCPG["county.cpg"] = []byte("KOI8-R")
	noDBF := clone(good)
	delete(noDBF, "county.dbf")
	two := clone(good)
	for k, v := range good {
		two["other"+strings.TrimPrefix(k, "county")] = v
	}

	var many bytes.Buffer
	zw := zip.NewWriter(&many)
	for i := range 1001 {
		zw.Create(strings.Repeat("x", i%7+1) + string(rune('a'+i%26)) + "/" + strings.Repeat("f", i%13) + string(rune('0'+i%10)) + ".txt")
	}
	zw.Close()
	var sym bytes.Buffer
	zw = zip.NewWriter(&sym)
	h := &zip.FileHeader{Name: "county.shp"}
	h.SetMode(0o777 | 1<<27) // fs.ModeSymlink
	w, _ := zw.CreateHeader(h)
	w.Write([]byte("/etc/passwd"))
	zw.Close()

	tests := []struct {
		name    string
		zip     []byte
		param   string // a *ParamError for this parameter, or
		file    string // a *FileError naming this file
		record  int
		archive bool
		reason  string
	}{
		{name: "a zip bomb declaring 3 GiB is refused before inflating", zip: bombZip(t, "county.shp", 3<<30, 1<<10), file: "county.shp", archive: true, reason: "limit"},
		{name: "an entry inflating 1000 times is refused as a bomb", zip: bombZip(t, "county.dbf", 8<<20, 8<<20), file: "county.dbf", archive: true, reason: "ratio"},
		{name: "path traversal is refused", zip: zipOf(t, good, "../"), file: "../county.cpg", archive: true, reason: "traversal"},
		{name: "absolute paths are refused", zip: zipOf(t, good, "/tmp/"), file: "/tmp/county.cpg", archive: true, reason: "absolute"},
		{name: "symbolic links are refused", zip: sym.Bytes(), file: "county.shp", archive: true, reason: "symbolic link"},
		{name: "too many entries are refused", zip: many.Bytes(), file: "(zip)", archive: true, reason: "1001 entries"},
		{name: "not a zip", zip: []byte("PK\x03\x04 this is not really a zip"), file: "(zip)", archive: true},
		{name: "a truncated dbf names the record where it ends", zip: zipOf(t, truncatedDBF, ""), file: "county.dbf", record: 0, reason: "truncated"},
		{name: "a truncated shp names the record", zip: zipOf(t, truncatedSHP, ""), file: "county.shp", record: 0, reason: "truncated"},
		{name: "record count mismatch between dbf and shx", zip: zipOf(t, fewerDBF, ""), file: "county.shx", record: 20, reason: "inconsistent"},
		{name: "an index pointing elsewhere names the record", zip: zipOf(t, shxOff, ""), file: "county.shx", record: 6, reason: "inconsistent"},
		{name: "a record declaring more points than it holds", zip: zipOf(t, hugeParts, ""), file: "county.shp", record: 1, reason: "more than"},
		{name: "a prj in Xian 1980 names crs", zip: zipOf(t, xian, ""), param: "crs", reason: "Xian_1980_3_Degree_GK_CM_120E"},
		{name: "a prj in a Lambert projection names crs", zip: zipOf(t, lambert, ""), param: "crs", reason: "Lambert"},
		{name: "an unknown cpg names encoding", zip: zipOf(t, badCPG, ""), param: "encoding", reason: "KOI8-R"},
		{name: "a shapefile without dbf", zip: zipOf(t, noDBF, ""), file: "county.shp", reason: ".dbf"},
		{name: "two shapefiles need table", zip: zipOf(t, two, ""), param: "table", reason: "county.shp, other.shp"},
		{name: "an archive without a dataset", zip: bombZip(t, "readme.txt", 10, 10), file: "(zip)", reason: "no Shapefile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readZipBytes(tt.zip, ReadOptions{})
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
			if tt.param != "" {
				var pe *ParamError
				if !errors.As(err, &pe) || pe.Param != tt.param {
					t.Fatalf("error %v is not a ParamError for %s", err, tt.param)
				}
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a FileError", err, err)
			}
			if fe.File != tt.file {
				t.Errorf("error names file %q, want %q (%v)", fe.File, tt.file, err)
			}
			if tt.record != 0 && fe.Record != tt.record {
				t.Errorf("error names record %d, want %d (%v)", fe.Record, tt.record, err)
			}
			if tt.record == 0 && tt.reason == "truncated" && fe.Record == 0 {
				t.Errorf("a truncated file error names no record: %v", err)
			}
			if errors.Is(err, ErrArchive) != tt.archive {
				t.Errorf("errors.Is(ErrArchive) = %v, want %v", !tt.archive, tt.archive)
			}
		})
	}
	// The good files, in a sub-folder, read fine.
	imp, info, err := readZipBytes(zipOf(t, good, "交付/"), ReadOptions{})
	if err != nil || len(imp.Features) != 20 || info.Name != "交付/county.shp" {
		t.Fatalf("good shapefile in a folder: %v, %+v", err, info)
	}
	// table picks one of two.
	if imp, _, err := readZipBytes(zipOf(t, two, ""), ReadOptions{Table: "other"}); err != nil || len(imp.Features) != 20 {
		t.Fatalf("table=other: %v", err)
	}
}

func TestActualInflationIsCountedAgainstTheLimit(t *testing.T) {
	// Sizes declared honestly but over a small budget: refused before reading; and a budget
	// spent by reading is refused too.
	parts := shapefileParts(t, 50, WriteOptions{CRS: crs.EPSG4490})
	data := zipOf(t, parts, "")
	_, _, err := readZipBytes(data, ReadOptions{Limits: Limits{MaxUncompressed: 1000}})
	if !errors.Is(err, ErrArchive) || !strings.Contains(err.Error(), "limit of 1000 bytes") {
		t.Fatalf("err = %v", err)
	}
}
