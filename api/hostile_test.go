package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
)

// hostile is one request of the hostile corpus. want is the status class expected: 4 for a
// client error, 2 for success, 0 when either is a correct answer (a mutated input may still be
// valid).
type hostile struct {
	name        string
	method      string
	path        string
	contentType string
	body        []byte
	header      []string // name, value, …
	noKey       bool
	want        int
}

// hostileCorpus returns the corpus, the same for the same seed: malformed and mistyped JSON,
// huge and non-finite numbers, invalid UTF-8, control characters in names, deep nesting,
// oversized filters and bodies, bad CRS and bbox, zip oddities, wrong methods and traversal in
// ids, against every route that takes input. parcels and shp are a valid GeoJSON upload and a
// valid zipped Shapefile to mutate.
func hostileCorpus(seed uint64, parcels, shp []byte) []hostile {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var out []hostile
	add := func(h hostile) {
		if h.method == "" {
			h.method = http.MethodGet
		}
		out = append(out, h)
	}
	upload := func(name, id string, body []byte, want int) {
		add(hostile{name: name, method: "POST", path: "/api/layers?id=" + id, contentType: "application/geo+json", body: body, want: want})
	}
	sq := `[[[118.87,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.941],[118.87,28.94]]]`
	feat := func(props string) string {
		return `{"type":"Feature","geometry":{"type":"Polygon","coordinates":` + sq + `},"properties":` + props + `}`
	}
	fc := func(fs ...string) []byte {
		return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
	}
	good := feat(`{"DKBH":"H-1"}`)

	// Malformed JSON: truncations and byte flips of a valid upload.
	for i := range 40 {
		cut := 1 + r.IntN(len(parcels)-2)
		upload(fmt.Sprintf("truncated at byte %d", cut), fmt.Sprintf("trunc-%d", i), parcels[:cut], 4)
	}
	for i := range 40 {
		b := bytes.Clone(parcels)
		for range 1 + r.IntN(4) {
			b[r.IntN(len(b))] = byte(r.IntN(256))
		}
		upload(fmt.Sprintf("bytes flipped %d", i), fmt.Sprintf("flip-%d", i), b, 0)
	}
	for i, body := range []string{
		``, `null`, `[]`, `"x"`, `{`, `{"type":"FeatureCollection"}`, `{"type":"FeatureCollection","features":{}}`,
		`{"type":"FeatureCollection","features":"x"}`, `{"type":5,"features":[]}`, `{"type":"Topology"}`,
		`{"type":"FeatureCollection","features":[5]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":"x","properties":{}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":"x"},"properties":{}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[["a","b"]]]},"properties":{}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}}]}`,
		string(fc(feat(`[]`))), string(fc(feat(`5`))), string(fc(feat(`"x"`))),
		`{"type":"FeatureCollection","features":[]} trailing`,
		`{"type":"FeatureCollection","features":[` + good + `]}{}`,
	} {
		upload(fmt.Sprintf("malformed or mistyped GeoJSON %d", i), fmt.Sprintf("bad-%d", i), []byte(body), 4)
	}
	// Deep nesting.
	for i, depth := range []int{100, 1000, 10001, 100000} {
		nest := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		upload(fmt.Sprintf("properties nested %d deep", depth), fmt.Sprintf("deep-%d", i), fc(feat(`{"n":`+nest+`}`)), 0)
		upload(fmt.Sprintf("document nested %d deep", depth), fmt.Sprintf("deepdoc-%d", i), []byte(`{"type":"FeatureCollection","features":[`+nest+`]}`), 4)
	}
	// Values readers cannot take back: one bad feature beside a good one, lenient (201, the
	// bad one skipped) and strict (400).
	bad := []string{
		`{"MJ":1e400}`, `{"MJ":-1e400}`, `{"MJ":NaN}`, `{"MJ":Infinity}`, `{"MJ":-Infinity}`,
		"{\"QLR\":\"\xd5\xe3\xbd\xad\"}", "{\"\xff\":1}", `{"a\u0000b":1}`, `{"\u001f":1}`, `{"\u007f":1}`,
		`{"\u0085":1}`, `{"":1}`, `{"x":"` + strings.Repeat("v", 16385) + `"}`,
		`{"k":"` + strings.Repeat("长", 6000) + `"}`,
		`{"` + strings.Repeat("n", 255) + `":1}`,
		wideProps(241),
	}
	for i, props := range bad {
		upload(fmt.Sprintf("bad attribute %d, lenient", i), fmt.Sprintf("attr-%d", i), fc(good, feat(props)), 2)
		upload(fmt.Sprintf("bad attribute %d, strict", i), fmt.Sprintf("attrs-%d&strict=true", i), fc(good, feat(props)), 4)
		upload(fmt.Sprintf("bad attribute %d, alone", i), fmt.Sprintf("attra-%d", i), fc(feat(props)), 4)
	}
	for i, coords := range []string{"NaN", "Infinity", "1e400", "null", `"1"`, "[]", "181", "1e308"} {
		ring := `[[[118.87,28.94],[118.871,` + coords + `],[118.871,28.941],[118.87,28.941],[118.87,28.94]]]`
		body := fc(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":` + ring + `},"properties":{}}`)
		upload(fmt.Sprintf("coordinate %s", coords), fmt.Sprintf("coord-%d", i), body, 4)
	}
	// Too many fields in all, each feature within the limit.
	var many []string
	for i := range 121 {
		many = append(many, feat(fmt.Sprintf(`{"a%d":1,"b%d":2}`, i, i)))
	}
	upload("242 fields in all", "fields", fc(many...), 4)
	// Bad CRS.
	for i, c := range []string{"EPSG:99999", "foo", "EPSG:", "EPSG:4549%00", "EPSG:-1", strings.Repeat("9", 500), "EPSG:4549"} {
		add(hostile{name: "crs " + c, method: "POST", path: "/api/layers?id=crs-" + fmt.Sprint(i) + "&crs=" + url.QueryEscape(c),
			contentType: "application/geo+json", body: fc(good), want: 4})
	}
	upload("empty collection without allow_empty", "empty", fc(), 4)
	upload("empty collection: an empty layer", "empty&allow_empty=true", fc(), 2)
	upload("legacy crs member unknown", "crsm", []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::1"}},"features":[`+good+`]}`), 4)
	// Layer ids and parameters.
	for i, id := range []string{"", "A", "../etc", "..%2Fetc", "%00", "a%00b", strings.Repeat("a", 65), "a/b", "-a", "名字", "a%20b", "a.b"} {
		add(hostile{name: fmt.Sprintf("layer id %q", id), method: "POST", path: "/api/layers?id=" + id, contentType: "application/geo+json", body: fc(good), want: 4})
		_ = i
	}
	for i, q := range []string{"kind=weird", "control=nope", "roles=%7B", "roles=code=NOPE", "strict=maybe", "encoding=EBCDIC", "table=x", "title=" + strings.Repeat("t", 5000)} {
		add(hostile{name: "upload parameter " + q[:min(len(q), 20)], method: "POST", path: fmt.Sprintf("/api/layers?id=param-%d&%s", i, q), contentType: "application/geo+json", body: fc(good), want: 0})
	}
	for i, ct := range []string{"text/plain", "application/xml", "image/png", "multipart/form-data", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"} {
		add(hostile{name: "content type " + ct, method: "POST", path: fmt.Sprintf("/api/layers?id=ct-%d", i), contentType: ct, body: fc(good), want: 4})
	}
	add(hostile{name: "body over the limit", method: "POST", path: "/api/layers?id=big", contentType: "application/geo+json", body: bytes.Repeat([]byte(" "), 2<<20), want: 4})

	// Zip oddities, as multipart uploads.
	zipUpload := func(name, id, file string, data []byte, want int) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", file)
		_, _ = fw.Write(data)
		mw.Close()
		add(hostile{name: name, method: "POST", path: "/api/layers?id=" + id, contentType: mw.FormDataContentType(), body: body.Bytes(), want: want})
	}
	parts := unzipParts(shp)
	zipUpload("valid shapefile zip", "zip-ok", "p.zip", shp, 2)
	zipUpload("not a zip", "zip-0", "p.zip", []byte("PK\x03\x04 not really"), 4)
	zipUpload("empty zip", "zip-1", "p.zip", makeZip(nil), 4)
	zipUpload("zip of a text file", "zip-2", "p.zip", makeZip([]zipEntry{{name: "readme.txt", data: []byte("hi")}}), 4)
	zipUpload("path traversal", "zip-3", "p.zip", makeZip(renamed(parts, "../../x")), 4)
	zipUpload("absolute path", "zip-4", "p.zip", makeZip(renamed(parts, "/tmp/x")), 4)
	zipUpload("backslash traversal", "zip-5", "p.zip", makeZip(renamed(parts, `..\..\x`)), 4)
	zipUpload("symlink entry", "zip-6", "p.zip", makeZip(append(renamed(parts, "x"), zipEntry{name: "link.shp", data: []byte("/etc/passwd"), symlink: true})), 4)
	zipUpload("nested zip", "zip-7", "p.zip", makeZip([]zipEntry{{name: "inner.zip", data: shp}}), 4)
	zipUpload("no .dbf", "zip-8", "p.zip", makeZip(without(parts, ".dbf")), 4)
	zipUpload("no .shp", "zip-9", "p.zip", makeZip(without(parts, ".shp")), 4)
	zipUpload("two shapefiles", "zip-10", "p.zip", makeZip(append(renamed(parts, "a"), renamed(parts, "b")...)), 4)
	zipUpload("wrong .cpg", "zip-11", "p.zip", makeZip(withPart(parts, ".cpg", []byte("EBCDIC"))), 4)
	zipUpload("GBK declared for UTF-8 text", "zip-12", "p.zip", makeZip(withPart(parts, ".cpg", []byte("GBK"))), 0)
	zipUpload("bad .prj", "zip-13", "p.zip", makeZip(withPart(parts, ".prj", []byte("PROJCS[garbage"))), 0)
	zipUpload("truncated zip", "zip-14", "p.zip", shp[:len(shp)/2], 4)
	zipUpload("gpkg that is not SQLite", "zip-15", "p.gpkg", []byte("SQLite format 3\x00garbage"), 4)
	zipUpload("unknown extension", "zip-16", "p.exe", shp, 4)
	zipUpload("compression bomb", "zip-17", "p.zip", makeZip([]zipEntry{{name: "p.shp", data: bytes.Repeat([]byte{0}, 300<<20)}}), 4)
	for i := range 20 { // truncate or flip one component
		ext := []string{".shp", ".shx", ".dbf"}[i%3]
		mut := clonedParts(parts)
		for j := range mut {
			if strings.HasSuffix(mut[j].name, ext) {
				d := bytes.Clone(mut[j].data)
				if i%2 == 0 {
					d = d[:r.IntN(len(d))]
				} else {
					for range 1 + r.IntN(8) {
						d[r.IntN(len(d))] = byte(r.IntN(256))
					}
				}
				mut[j].data = d
			}
		}
		zipUpload(fmt.Sprintf("damaged %s %d", ext, i), fmt.Sprintf("zipd-%d", i), "p.zip", makeZip(mut), 0)
	}

	// Attribute edits.
	patch := func(name, path, body string, want int) {
		add(hostile{name: name, method: "PATCH", path: path, contentType: "application/merge-patch+json", body: []byte(body), want: want})
	}
	tenThousand := wideProps(10000)
	for i, body := range []string{
		``, `null`, `[]`, `"x"`, `5`, `{}`, `{`, `{"a":{"b":1}}`, `{"a":[1]}`, `{"area_mu":1}`, `{"block_id":null}`,
		`{"":1}`, `{"a\u0000":1}`, `{"\u0085":1}`, `{"a\nb":1}`, tenThousand, `{"x":"` + strings.Repeat("v", 16385) + `"}`,
		`{"x":1e400}`, `{"x":-1e400}`, "{\"x\":\"\xff\"}", "{\"\xfe\":1}", `{"` + strings.Repeat("k", 255) + `":1}`,
		`{"DKBH":5}`, `{"DKBH":true}`, `{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	} {
		patch(fmt.Sprintf("bad feature patch %d", i), "/api/layers/p/features/1", body, 4)
	}
	patch("patch adding 240 new fields", "/api/layers/p/features/2", wideProps(240), 4)
	for _, fid := range []string{"0", "-1", "99999999", "18446744073709551616", "1e3", "..%2F..%2Fetc", "%00", "abc", "1%2F2"} {
		patch("patch of feature "+fid, "/api/layers/p/features/"+fid, `{"a":1}`, 4)
		add(hostile{name: "get feature " + fid, path: "/api/layers/p/features/" + fid, want: 4})
		add(hostile{name: "history of feature " + fid, path: "/api/layers/p/features/" + fid + "/history", want: 4})
	}
	for _, body := range []string{`{"title":5}`, `{"roles":"x"}`, `{"control":"nope"}`, `{"unknown":1}`, `{"title":"` + strings.Repeat("t", 100000) + `"}`, "{\"title\":\"\xff\"}", `{"roles":{"code":"NOPE"}}`} {
		patch("layer patch "+body[:min(len(body), 20)], "/api/layers/p", body, 0)
	}

	// Analyses.
	hugeOr := strings.Repeat("DKBH = 'x' OR ", 100000) + "DKBH = 'y'"
	terms := strings.Repeat("DKBH = 'x' OR ", 1000) + "DKBH = 'y'"
	deep := strings.Repeat("(", 100) + "DKBH = 'x'" + strings.Repeat(")", 100)
	for i, body := range []string{
		`{}`, `{"layer":"nope"}`, `{"layer":"c"}`, `{"layer":"p","filter":"DKBH ="}`, `{"layer":"p","filter":` + jsonString(hugeOr) + `}`,
		`{"layer":"p","filter":` + jsonString(terms) + `}`, `{"layer":"p","filter":` + jsonString(deep) + `}`,
		`{"layer":"p","bbox":[1,2,3]}`, `{"layer":"p","bbox":[3,4,1,2]}`, `{"layer":"p","bbox":[1e400,0,1,1]}`, `{"layer":"p","bbox":"x"}`,
		`{"layer":"p","tolerance_m":-1,"group":true,"status":["闲置"]}`, `{"layer":"p","tolerance_m":1e308,"group":true,"status":["闲置"]}`,
		`{"layer":"p","min_mu":10,"max_mu":1}`, `{"layer":"p","save_as":"../x"}`, `{"layer":"p","save_as":"` + strings.Repeat("s", 100) + `"}`,
		`{"layer":"p","status":[1,2]}`, `{"layer":"p","positions":["nowhere"]}`, `{"layer":"p","overlay":true,"control":"p"}`,
		`{"layer":"p","sliver_ratio":2}`, `{"layer":"p","unknown":true}`, `[]`, `{"layer":"p","filter":"S_INTERSECTS(geometry, POINT(1e400 0))"}`,
	} {
		add(hostile{name: fmt.Sprintf("analysis %d", i), method: "POST", path: "/api/analyses", contentType: "application/json", body: []byte(body), want: 4})
	}
	for _, preset := range []string{"small-parcels", "outside-control", "contiguous-blocks"} {
		for _, q := range []string{"layer=nope", "layer=p&max_mu=abc", "layer=p&max_mu=1e400", "layer=p&max_mu=NaN", "layer=p&bbox=1,2,3",
			"layer=p&bbox=NaN,0,1,1", "layer=p&filter=" + url.QueryEscape(hugeOr[:200000]), "layer=p&filter=" + url.QueryEscape(terms),
			"layer=p&tolerance_m=-5", "layer=p&sliver_ratio=Infinity", "layer=p&min_mu=-1e400", "layer=p&status=%FF"} {
			add(hostile{name: preset + "?" + q[:min(len(q), 30)], path: "/api/analyses/" + preset + "?" + q, want: 0})
		}
	}
	add(hostile{name: "analysis id traversal", path: "/api/analyses/..%2F..%2Fetc%2Fpasswd", want: 4})
	add(hostile{name: "delete unknown analysis", method: "DELETE", path: "/api/analyses/nope", want: 4})
	add(hostile{name: "stats unknown layer", path: "/api/stats?layer=nope", want: 4})
	add(hostile{name: "stats long group_by", path: "/api/stats?layer=p&group_by=" + strings.Repeat("x,", 5000), want: 0})

	// OGC items and features.
	for _, q := range []string{
		"bbox=1,2,3", "bbox=NaN,0,1,1", "bbox=1e400,0,1,1", "bbox=3,4,1,2", "bbox=a,b,c,d", "bbox=1,2,3,4,5,6,7",
		"bbox-crs=EPSG:99999&bbox=1,2,3,4", "crs=foo", "crs=http://www.opengis.net/def/crs/EPSG/0/1", "limit=-1", "limit=1e10",
		"offset=-5", "filter-lang=cql2-json&filter=x", "filter-crs=bad&filter=DKBH%3D'x'",
		"filter=" + url.QueryEscape(hugeOr[:300000]), "filter=" + url.QueryEscape(terms), "filter=" + url.QueryEscape(deep),
		"filter=" + url.QueryEscape(strings.Repeat("NOT ", 100)+"TRUE"), "filter=nope%3D1", "filter=%FF", "datetime=x", "f=xml",
		"unknown=1", "sortby=x",
	} {
		add(hostile{name: "items?" + q[:min(len(q), 30)], path: "/ogc/collections/p/items?" + q, want: 4})
	}
	for _, q := range []string{"limit=99999999999999999999", "DKBH=" + strings.Repeat("x", 100000), "DKBH=%FF", "f=html&DKBH=%3Cscript%3E"} {
		add(hostile{name: "items?" + q[:min(len(q), 30)], path: "/ogc/collections/p/items?" + q, want: 0})
	}
	for _, p := range []string{"/ogc/collections/nope/items", "/ogc/collections/..%2F..%2Fetc/items", "/ogc/collections/p/items/0",
		"/ogc/collections/p/items/abc", "/ogc/collections/p/items/99999999999999999999", "/ogc/collections/%00", "/ogc/collections/p/queryables?f=xml"} {
		add(hostile{name: "ogc " + p, path: p, want: 4})
	}

	// Tiles, styles, assets, exports.
	for _, p := range []string{"/tiles/p/99/0/0.mvt", "/tiles/p/-1/0/0.mvt", "/tiles/p/3/9/9.mvt", "/tiles/p/1/0/0.png", "/tiles/p/a/b/c",
		"/tiles/p/1/0/99999999999999999999.mvt", "/tiles/nope/1/0/0.mvt", "/tiles/p,..%2F..%2Fx/1/0/0.mvt", "/tiles/" + strings.Repeat("p,", 500) + "p/1/0/0.mvt",
		"/tiles/nope", "/tiles/nope/metadata.json", "/styles/..%2F..%2Fgo.mod", "/styles/nope.json", "/assets/..%2F..%2Fgo.mod",
		"/assets/%2e%2e/%2e%2e/etc/passwd", "/assets/", "/api/layers/..%2F..%2Fetc%2Fpasswd", "/api/layers/%2e%2e", "/api/layers/nope",
		"/api/layers/p/export?format=exe", "/api/layers/p/export?crs=EPSG:1", "/api/layers/p/export?format=shp&encoding=EBCDIC",
		"/api/layers/p/export?crs=EPSG:3857&format=gpkg&encoding=GBK", "/api/layers/nope/export", "/nope", "/%00", "/api/%2e%2e/%2e%2e/etc/passwd"} {
		add(hostile{name: "get " + p[:min(len(p), 40)], path: p, want: 4})
	}

	// Wrong methods and missing or wrong keys.
	for _, m := range []struct{ method, path string }{
		{"PUT", "/healthz"}, {"DELETE", "/ogc"}, {"POST", "/tiles/p/0/0/0.mvt"}, {"PATCH", "/api/layers"}, {"TRACE", "/"},
		{"POST", "/api/layers/p/features/1"}, {"PUT", "/api/analyses/x"}, {"DELETE", "/api/layers/p/features/1"}, {"POST", "/ogc/collections/p/items"},
		{"CONNECT", "/api/layers"}, {"PROPFIND", "/api/layers"}, {"POST", "/metrics"},
	} {
		add(hostile{name: m.method + " " + m.path, method: m.method, path: m.path, want: 4})
	}
	add(hostile{name: "write without a key", method: "DELETE", path: "/api/layers/p", noKey: true, want: 4})
	add(hostile{name: "write with a wrong key", method: "DELETE", path: "/api/layers/p", header: []string{"Authorization", "Bearer nope"}, want: 4})
	add(hostile{name: "write with a malformed authorization", method: "DELETE", path: "/api/layers/p", header: []string{"Authorization", "Basic x"}, want: 4})
	add(hostile{name: "delete a control layer in use", method: "DELETE", path: "/api/layers/c", want: 4})
	add(hostile{name: "replace a layer with nothing valid", method: "PUT", path: "/api/layers/p", contentType: "application/geo+json", body: fc(feat(`{"MJ":1e400}`)), want: 4})
	add(hostile{name: "create an existing layer", method: "POST", path: "/api/layers?id=p", contentType: "application/geo+json", body: fc(good), want: 4})
	add(hostile{name: "hostile request id", path: "/healthz", header: []string{"X-Request-ID", "<script>x"}, want: 2})
	return out
}

// wideProps returns a properties object of n keys.
func wideProps(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteString("}")
	return b.String()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

type zipEntry struct {
	name    string
	data    []byte
	symlink bool
}

func makeZip(entries []zipEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.symlink {
			h.SetMode(0o777 | (1 << 27)) // os.ModeSymlink
		}
		w, _ := zw.CreateHeader(h)
		_, _ = w.Write(e.data)
	}
	zw.Close()
	return buf.Bytes()
}

func unzipParts(data []byte) []zipEntry {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		panic(err)
	}
	var out []zipEntry
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, zipEntry{name: f.Name, data: b})
	}
	return out
}

func clonedParts(parts []zipEntry) []zipEntry {
	out := make([]zipEntry, len(parts))
	for i, p := range parts {
		out[i] = zipEntry{name: p.name, data: bytes.Clone(p.data)}
	}
	return out
}

// renamed gives every part the base name base (keeping extensions).
func renamed(parts []zipEntry, base string) []zipEntry {
	out := clonedParts(parts)
	for i := range out {
		ext := out[i].name[strings.LastIndex(out[i].name, "."):]
		out[i].name = base + ext
	}
	return out
}

func without(parts []zipEntry, ext string) []zipEntry {
	var out []zipEntry
	for _, p := range clonedParts(parts) {
		if !strings.HasSuffix(p.name, ext) {
			out = append(out, p)
		}
	}
	return out
}

func withPart(parts []zipEntry, ext string, data []byte) []zipEntry {
	out := without(parts, ext)
	base := parts[0].name[:strings.LastIndex(parts[0].name, ".")]
	return append(out, zipEntry{name: base + ext, data: data})
}

// lightState summarises the store cheaply: each layer's version and feature count, and the
// saved analyses.
func (ts *testServer) lightState() string {
	ts.t.Helper()
	layers, err := ts.db.Layers()
	if err != nil {
		ts.t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range layers {
		fmt.Fprintf(&b, "%s v%d %d fields %d features; ", l.ID, l.Version, len(l.Fields), l.FeatureCount)
	}
	list, err := ts.db.Analyses()
	if err != nil {
		ts.t.Fatal(err)
	}
	fmt.Fprintf(&b, "%d analyses", len(list))
	return b.String()
}

// send sends h with the test key (unless noKey) and a client-side guard against a hung server.
func (ts *testServer) send(h hostile) (response, time.Duration) {
	ts.t.Helper()
	req, err := http.NewRequest(h.method, ts.http.URL+h.path, bytes.NewReader(h.body))
	if err != nil {
		ts.t.Fatalf("%s: %v", h.name, err)
	}
	if h.contentType != "" {
		req.Header.Set("Content-Type", h.contentType)
	}
	if !h.noKey {
		req.Header.Set("Authorization", "Bearer "+testKey)
	}
	for i := 0; i+1 < len(h.header); i += 2 {
		req.Header.Set(h.header[i], h.header[i+1])
	}
	client := &http.Client{Timeout: time.Minute}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		ts.t.Fatalf("%s: %v", h.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}, time.Since(start)
}

// checkProblem reports whether r is an RFC 9457 problem with r's status.
func checkProblem(t *testing.T, name string, r response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: %d with Content-Type %q, want application/problem+json\n%.300s", name, r.status, ct, r.body)
		return
	}
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil || p.Status != r.status || p.Title == "" || p.Type == "" {
		t.Errorf("%s: problem %.300s does not state status %d (%v)", name, r.body, r.status, err)
	}
}

// TestHostileRequests sends the hostile corpus to a server holding a parcels layer p and its
// control layer c, with a write key. Every answer must be a 4xx problem or a correct 2xx within
// the request deadline (2 s: a slower request would answer 503), a rejected write must leave the
// store as it was, and afterwards every stored layer must pass through every reader: features,
// OGC items (JSON and HTML), tiles over its bound at several zooms, the three analyses and every
// export format, with no 5xx and no empty 200.
func TestHostileRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("the hostile corpus takes a while")
	}
	ts := newTestServerWith(t, func(c *Config, _ *app.Config) { c.RequestTimeout = 2 * time.Second })
	ds, err := fixtures.Generate(fixtures.Options{N: 60, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	var pb, cb bytes.Buffer
	if err := ds.WriteParcels(&pb); err != nil {
		t.Fatal(err)
	}
	if err := ds.WriteControl(&cb); err != nil {
		t.Fatal(err)
	}
	if r := ts.upload("/api/layers?id=c&kind=control", cb.String()); r.status != 201 {
		t.Fatalf("control: %d %s", r.status, r.body)
	}
	if r := ts.upload("/api/layers?id=p&control=c", pb.String()); r.status != 201 {
		t.Fatalf("parcels: %d %s", r.status, r.body)
	}
	shp := ts.get("/api/layers/p/export?format=shp")
	if shp.status != 200 {
		t.Fatalf("shapefile export: %d", shp.status)
	}

	corpus := hostileCorpus(20261206, pb.Bytes(), shp.body)
	if len(corpus) < 300 {
		t.Fatalf("the corpus has %d requests, want at least 300", len(corpus))
	}
	var slowest time.Duration
	slowestName := ""
	classes := map[int]int{}
	for _, h := range corpus {
		write := h.method != http.MethodGet && h.method != http.MethodHead
		var before string
		if write {
			before = ts.lightState()
		}
		r, d := ts.send(h)
		if d > slowest {
			slowest, slowestName = d, h.name
		}
		class := r.status / 100
		classes[r.status]++
		switch {
		case class != 2 && class != 4:
			t.Errorf("%s: status %d, want a 2xx or a 4xx\n%.300s", h.name, r.status, r.body)
			continue
		case h.want != 0 && class != h.want:
			t.Errorf("%s: status %d, want %dxx\n%.300s", h.name, r.status, h.want, r.body)
		}
		if class == 4 {
			if h.method != http.MethodHead {
				checkProblem(t, h.name, r)
			}
			if write {
				if after := ts.lightState(); after != before {
					t.Errorf("%s: rejected with %d but the store changed:\n before %s\n after  %s", h.name, r.status, before, after)
				}
			}
			continue
		}
		if r.status != http.StatusNoContent && r.status != http.StatusNotModified && len(r.body) == 0 {
			t.Errorf("%s: %d with an empty body", h.name, r.status)
		}
	}
	t.Logf("%d requests; statuses %v; slowest %v (%s)", len(corpus), classes, slowest, slowestName)

	// Every stored layer through every reader.
	layers, err := ts.db.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) < 3 {
		t.Fatalf("only %d layers were stored: the corpus should have created some", len(layers))
	}
	read := func(path string) response {
		t.Helper()
		r, _ := ts.send(hostile{name: path, method: http.MethodGet, path: path})
		switch {
		case r.status >= 500:
			t.Errorf("GET %s: %d %.300s", path, r.status, r.body)
		case r.status == 200 && len(r.body) == 0:
			t.Errorf("GET %s: empty 200", path)
		case r.status >= 400:
			checkProblem(t, path, r)
		}
		return r
	}
	for _, l := range layers {
		sn := ts.index.Layer(l.ID)
		if sn == nil {
			t.Errorf("layer %s is stored but not indexed", l.ID)
			continue
		}
		for _, f := range sn.Features() {
			if r := read(fmt.Sprintf("/api/layers/%s/features/%d", l.ID, f.ID)); r.status != 200 {
				t.Errorf("feature %s/%d: %d", l.ID, f.ID, r.status)
			}
		}
		for _, q := range []string{"limit=10000", "limit=10000&f=html", "limit=3&offset=1"} {
			if r := read("/ogc/collections/" + l.ID + "/items?" + q); r.status != 200 {
				t.Errorf("items of %s?%s: %d", l.ID, q, r.status)
			}
		}
		b := sn.Layer.Bound
		for _, z := range []maptile.Zoom{0, 6, 10, 14, 17} {
			seen := map[maptile.Tile]bool{}
			for _, p := range [][2]float64{{b.Min[0], b.Min[1]}, {b.Max[0], b.Max[1]}, {(b.Min[0] + b.Max[0]) / 2, (b.Min[1] + b.Max[1]) / 2}} {
				tile := maptile.At([2]float64(p), z)
				if seen[tile] {
					continue
				}
				seen[tile] = true
				if r := read(fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", l.ID, tile.Z, tile.X, tile.Y)); r.status != 200 && r.status != 204 {
					t.Errorf("tile %s %v: %d", l.ID, tile, r.status)
				}
			}
		}
		if l.Kind == spatial.KindParcels {
			read("/api/analyses/small-parcels?layer=" + l.ID)
			read("/api/analyses/outside-control?layer=" + l.ID + "&control=c")
			read("/api/analyses/contiguous-blocks?layer=" + l.ID + "&status=" + url.QueryEscape("闲置"))
		}
		for _, q := range []string{"format=geojson", "format=csv", "format=shp", "format=shp&encoding=GBK", "format=gpkg", "format=gpkg&crs=EPSG:4549"} {
			if r := read("/api/layers/" + l.ID + "/export?" + q); r.status != 200 {
				t.Errorf("export of %s?%s: %d", l.ID, q, r.status)
			}
		}
	}
}

// TestHostileRegressions reproduces the defects the hostile corpus was built around, one by one.
func TestHostileRegressions(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config, _ *app.Config) { c.CORSOrigins = []string{"https://gis.example.org"} })
	if r := ts.upload("/api/layers?id=p", collection(feature(square(118.87, 28.94, 0.001), `{"DKBH":"A"}`), feature(square(118.88, 28.94, 0.001), `{"DKBH":"B"}`))); r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	patch := func(body string) response {
		return ts.do("PATCH", "/api/layers/p/features/1", "application/merge-patch+json", testKey, strings.NewReader(body))
	}
	exportsWork := func(t *testing.T) {
		t.Helper()
		for _, f := range []string{"geojson", "csv", "shp", "gpkg"} {
			if r := ts.get("/api/layers/p/export?format=" + f); r.status != 200 || len(r.body) == 0 {
				t.Errorf("export %s: %d %.200s", f, r.status, r.body)
			}
		}
	}
	t.Run("a patch of 10 000 keys is refused and the GeoPackage export still works", func(t *testing.T) {
		r := patch(wideProps(10000))
		if r.status != 400 || r.json(t)["param"] != "body" || !strings.Contains(r.json(t)["detail"].(string), "a feature has 10000 attributes; at most 240") {
			t.Errorf("%d %.300s", r.status, r.body)
		}
		exportsWork(t)
	})
	t.Run("fields added patch by patch stop at the limit", func(t *testing.T) {
		var a, b []string
		for i := range 200 {
			a = append(a, fmt.Sprintf(`"a%d":1`, i))
			b = append(b, fmt.Sprintf(`"b%d":1`, i))
		}
		if r := patch("{" + strings.Join(a, ",") + "}"); r.status != 200 {
			t.Fatalf("200 new fields: %d %.300s", r.status, r.body)
		}
		r := ts.do("PATCH", "/api/layers/p/features/2", "application/merge-patch+json", testKey, strings.NewReader("{"+strings.Join(b, ",")+"}"))
		if r.status != 400 || !strings.Contains(string(r.body), "a layer has 401 fields; at most 240") {
			t.Errorf("200 more: %d %.300s", r.status, r.body)
		}
		exportsWork(t)
	})
	for _, tt := range []struct {
		name, body, param, detail string
	}{
		{"NUL in a name", `{"a\u0000b":"x"}`, "a\x00b", `attribute "a\x00b": the name holds the control character U+0000`},
		{"value over 16 KiB", `{"x":"` + strings.Repeat("v", 16385) + `"}`, "x", `attribute "x": the value is 16385 bytes long`},
		{"1e400", `{"x":1e400}`, "", "1e400"},
		{"invalid UTF-8 value", "{\"x\":\"\xff\"}", "body", "the body is not valid UTF-8 (byte 6)"},
	} {
		t.Run("patch refused: "+tt.name, func(t *testing.T) {
			r := patch(tt.body)
			if r.status != 400 || !strings.Contains(string(r.body), jsonString(tt.detail)[1:len(jsonString(tt.detail))-1]) {
				t.Errorf("%d %.300s", r.status, r.body)
			}
			if tt.param != "" && r.json(t)["param"] != tt.param {
				t.Errorf("param = %v, want %q", r.json(t)["param"], tt.param)
			}
		})
	}
	t.Run("1e400 in an upload is a problem of its feature, not an Inf stored", func(t *testing.T) {
		body := collection(feature(square(118.87, 28.94, 0.001), `{"MJ":1}`), feature(square(118.88, 28.94, 0.001), `{"MJ":1e400}`))
		r := ts.upload("/api/layers?id=inf", body)
		if r.status != 201 || !strings.Contains(string(r.body), `attribute \"MJ\": the value is not a finite number`) {
			t.Errorf("lenient: %d %.300s", r.status, r.body)
		}
		if r := ts.upload("/api/layers?id=inf2&strict=true", body); r.status != 400 {
			t.Errorf("strict: %d %.300s", r.status, r.body)
		}
	})
	t.Run("oversized filters are 400 problems naming filter", func(t *testing.T) {
		long := strings.Repeat("DKBH = 'x' OR ", 10000) + "DKBH = 'y'"
		for _, r := range []response{
			ts.get("/ogc/collections/p/items?filter=" + url.QueryEscape(long)),
			ts.get("/api/analyses/small-parcels?layer=p&filter=" + url.QueryEscape(long)),
			ts.do("POST", "/api/analyses", "application/json", testKey, strings.NewReader(`{"layer":"p","filter":`+jsonString(long)+`}`)),
			ts.get("/ogc/collections/p/items?filter=" + url.QueryEscape(strings.Repeat("DKBH = 'x' OR ", 1000)+"DKBH = 'y'")),
		} {
			if r.status != 400 || r.json(t)["param"] != "filter" {
				t.Errorf("%d %.300s", r.status, r.body)
			}
		}
	})
	t.Run("nosniff everywhere, a CSP on HTML", func(t *testing.T) {
		for _, tt := range []struct {
			path string
			csp  string // a part of the expected policy; "" for none
		}{
			{"/api/layers", ""}, {"/api/layers/nope", ""}, {"/tiles/p/0/0/0.mvt", ""}, {"/ogc/collections/p/items?limit=1", ""},
			{"/ogc?f=html", "default-src 'none'; style-src 'unsafe-inline'"},
			{"/ogc/collections/p/items?f=html", "default-src 'none'; style-src 'unsafe-inline'"},
			{"/", "script-src 'self'; worker-src 'self' blob:"},
		} {
			r := ts.get(tt.path)
			if r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s (%d): X-Content-Type-Options = %q", tt.path, r.status, r.header.Get("X-Content-Type-Options"))
			}
			csp := r.header.Get("Content-Security-Policy")
			if tt.csp == "" && csp != "" || !strings.Contains(csp, tt.csp) {
				t.Errorf("%s (%d): Content-Security-Policy = %q, want one with %q", tt.path, r.status, csp, tt.csp)
			}
		}
	})
	t.Run("CORS: reads from anywhere, writes from configured origins", func(t *testing.T) {
		preflight := func(origin, method string) response {
			req, _ := http.NewRequest(http.MethodOptions, ts.http.URL+"/api/layers/p/features/1", nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", method)
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return response{status: resp.StatusCode, header: resp.Header}
		}
		tests := []struct {
			name, origin, method, allow string
		}{
			{"read preflight from anywhere", "https://evil.example", "GET", "*"},
			{"write preflight from anywhere", "https://evil.example", "PATCH", ""},
			{"write preflight from a configured origin", "https://gis.example.org", "PATCH", "https://gis.example.org"},
			{"write preflight from a look-alike origin", "https://gis.example.org.evil.example", "DELETE", ""},
		}
		for _, tt := range tests {
			r := preflight(tt.origin, tt.method)
			if got := r.header.Get("Access-Control-Allow-Origin"); got != tt.allow || r.status != 204 {
				t.Errorf("%s: %d, Access-Control-Allow-Origin %q, want 204 and %q", tt.name, r.status, got, tt.allow)
			}
			if tt.allow != "" && tt.method == "PATCH" && (!strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "PATCH") || r.header.Get("Access-Control-Allow-Headers") != "authorization, content-type") {
				t.Errorf("%s: methods %q headers %q", tt.name, r.header.Get("Access-Control-Allow-Methods"), r.header.Get("Access-Control-Allow-Headers"))
			}
		}
		if r := ts.get("/api/layers", "Origin", "https://evil.example"); r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "ETag") {
			t.Errorf("GET: %v", r.header)
		}
		req, _ := http.NewRequest("PATCH", ts.http.URL+"/api/layers/p/features/1", strings.NewReader(`{"DKBH":"C"}`))
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a write from an unlisted origin got Access-Control-Allow-Origin %q", resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
}
