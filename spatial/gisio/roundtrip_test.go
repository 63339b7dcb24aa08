package gisio

import (
	"bytes"
	"context"
	"testing"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// checkReimport compares a re-imported export with the layer it came from: same count, same
// geometry within 1 mm, same attribute values under the names the format gives them.
func checkReimport(t *testing.T, sn *spatial.Snapshot, imp *spatial.Import, names map[string]string) {
	t.Helper()
	if len(imp.Features) != sn.Len() {
		t.Fatalf("re-imported %d features, want %d (problems %v)", len(imp.Features), sn.Len(), imp.Problems)
	}
	cols := columns(sn)
	bad := 0
	for i, want := range sn.Features() {
		got := imp.Features[i]
		if d := sameGeometry(want.Geometry, got.Geometry, 0.001); d != "" {
			t.Errorf("feature %d: %s", want.ID, d)
			bad++
		}
		for _, c := range cols {
			name := c.name
			if names != nil {
				name = names[c.name]
			}
			if w, g := c.value(want), got.Attrs.Value(name); !sameValue(w, g) {
				t.Errorf("feature %d %s (%s): got %#v, want %#v", want.ID, c.name, name, g, w)
				bad++
			}
		}
		if bad > 10 {
			t.Fatal("too many differences")
		}
	}
}

func TestExportReimportReproducesTheLayer(t *testing.T) {
	sn := county(t, 300)
	cols := columns(sn)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	short := map[string]string{}
	for i, s := range ShapefileFieldNames(names) {
		short[names[i]] = s
	}
	tests := []struct {
		name     string
		format   Format
		crs      crs.CRS
		encoding string
		names    map[string]string
	}{
		{"shapefile UTF-8 in CGCS2000 lon/lat", FormatShapefile, crs.EPSG4490, "", short},
		{"shapefile GBK in Gauss-Kruger CM 120E", FormatShapefile, mustCRS(t, "EPSG:4549"), "GBK", short},
		{"shapefile GB18030 in zone 40", FormatShapefile, mustCRS(t, "EPSG:4528"), "GB18030", short},
		{"geopackage in CGCS2000 lon/lat", FormatGeoPackage, crs.EPSG4490, "", nil},
		{"geopackage in Gauss-Kruger CM 120E", FormatGeoPackage, mustCRS(t, "EPSG:4549"), "", nil},
		{"geojson RFC 7946", FormatGeoJSON, crs.CRS{}, "", nil},
		{"geojson with a legacy crs member", FormatGeoJSON, mustCRS(t, "EPSG:4549"), "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(context.Background(), &buf, sn, tt.format, WriteOptions{CRS: tt.crs, Encoding: tt.encoding, TempDir: t.TempDir()}); err != nil {
				t.Fatal(err)
			}
			var imp *spatial.Import
			var err error
			switch tt.format {
			case FormatShapefile:
				var info Info
				imp, info, err = ReadZip(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{})
				if err == nil && (info.EncodingFrom != ".cpg" || string(info.Encoding) != map[string]string{"": "UTF-8"}[tt.encoding]+tt.encoding) {
					t.Errorf("encoding %s from %s", info.Encoding, info.EncodingFrom)
				}
			case FormatGeoPackage:
				name := t.TempDir() + "/x.gpkg"
				writeFile(t, name, buf.Bytes())
				imp, _, err = ReadGeoPackage(name, ReadOptions{})
			case FormatGeoJSON:
				imp, err = spatial.DecodeGeoJSON(&buf, spatial.ImportOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
			wantCRS := tt.crs
			if wantCRS == (crs.CRS{}) {
				wantCRS = crs.EPSG4326
			}
			if imp.CRS != wantCRS {
				t.Errorf("re-imported CRS %v, want %v", imp.CRS, wantCRS)
			}
			checkReimport(t, sn, imp, tt.names)
		})
	}
}

func mustCRS(tb testing.TB, s string) crs.CRS {
	tb.Helper()
	c, err := crs.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
