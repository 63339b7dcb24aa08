package gisio

import (
	"bytes"
	"io"
	"io/fs"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial/crs"
)

// memOpener serves files from memory.
func memOpener(files map[string][]byte) opener {
	return func(name string) (io.ReadCloser, int64, error) {
		b, ok := files[name]
		if !ok {
			return nil, 0, fs.ErrNotExist
		}
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	}
}

// FuzzReadShapefile feeds arbitrary .shp, .shx and .dbf bytes to the reader: it must return
// features or an error, never panic or allocate without bound.
func FuzzReadShapefile(f *testing.F) {
	good := shapefileParts(f, 3, WriteOptions{CRS: crs.EPSG4490, Encoding: "GBK"})
	f.Add(good["county.shp"], good["county.shx"], good["county.dbf"])
	f.Add(good["county.shp"][:150], good["county.shx"], good["county.dbf"][:400])
	f.Add([]byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, shp, shx, dbf []byte) {
		files := map[string][]byte{"a.shp": shp, "a.shx": shx, "a.dbf": dbf}
		set := map[string]string{".shp": "a.shp", ".shx": "a.shx", ".dbf": "a.dbf"}
		imp, _, err := readShapefile(memOpener(files), set, ReadOptions{})
		if err == nil && imp == nil {
			t.Fatal("no import and no error")
		}
	})
}

// FuzzDecodeGPKGGeometry feeds arbitrary geometry blobs to the GeoPackage geometry decoder.
func FuzzDecodeGPKGGeometry(f *testing.F) {
	poly := orb.Polygon{square(1, 2, 3, true), square(1.5, 2.5, 1, false)}
	f.Add(appendGPKGGeometry(nil, poly, 4490))
	f.Add(appendGPKGGeometry(nil, orb.MultiPolygon{poly, poly}, 4549))
	f.Add(appendWKB(nil, poly))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := decodeGPKGGeometry(b)
		if err == nil && g != nil {
			// What decodes must encode back to a blob that decodes the same.
			again, err := decodeGPKGGeometry(appendGPKGGeometry(nil, g, 0))
			if err != nil || len(again.(interface{ Bound() orb.Bound }).Bound().Min) != 2 {
				t.Fatalf("re-decode: %v", err)
			}
		}
	})
}
