package api

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/app"
)

// Evidence files of a parcel: photos, PDFs and Office documents, recognised by their bytes,
// stored with a history entry, listed and downloaded as they were sent.

// jpegFile returns a real JPEG photo of w×h pixels.
func jpegFile(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(40 * x), uint8(60 * y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pdfFile returns a minimal one-page PDF 1.4 document (catalog, page tree, page, a content
// stream of text and a cross-reference table with the objects' byte offsets); pad adds a
// comment of that many bytes, to make a large file.
func pdfFile(text string, pad int) []byte {
	stream := "BT /F1 12 Tf 72 720 Td (" + text + ") Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	if pad > 0 {
		b.WriteString("%" + strings.Repeat("x", pad) + "\n")
	}
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// zipFile returns a zip archive of the named parts.
func zipFile(t testing.TB, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(parts); i += 2 {
		w, err := zw.Create(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(parts[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// docxFile returns a minimal WordprocessingML document: the content types, the package
// relationship to the main part, and one paragraph.
func docxFile(t testing.TB, text string) []byte {
	t.Helper()
	return zipFile(t,
		"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`+text+`</w:t></w:r></w:p></w:body></w:document>`,
	)
}

type evidenceFile struct {
	name string
	data []byte
}

// postEvidence sends files as multipart parts named file to the parcel with code.
func (ts *testServer) postEvidence(layer, code, key, reason string, files ...evidenceFile) response {
	ts.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		fw, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			ts.t.Fatal(err)
		}
		fw.Write(f.data)
	}
	mw.Close()
	p := parcelPath(layer, code) + "/evidence"
	if reason != "" {
		p += "?reason=" + url.QueryEscape(reason)
	}
	return ts.do("POST", p, mw.FormDataContentType(), key, &body)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestEvidenceUploadListDownload(t *testing.T) {
	ts := newTestServerWith(t, func(_ *Config, a *app.Config) { a.MaxEvidenceBytes = 32 << 10 })
	if r := ts.upload("/api/layers?id=parcels", parcelsGeoJSON); r.status != 201 {
		t.Fatal(r.status, string(r.body))
	}
	files := []struct {
		evidenceFile
		contentType string
	}{
		{evidenceFile{"现场照片.jpg", jpegFile(t, 6, 4)}, "image/jpeg"},
		{evidenceFile{"核查报告.pdf", pdfFile("KC-001 site check", 0)}, "application/pdf"},
		{evidenceFile{"处置方案.docx", docxFile(t, "处置方案：收回")}, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	}
	if !bytes.HasPrefix(files[0].data, []byte{0xFF, 0xD8, 0xFF}) || !bytes.HasPrefix(files[1].data, []byte("%PDF-1.4")) || !bytes.HasPrefix(files[2].data, []byte("PK\x03\x04")) {
		t.Fatal("the test files do not start with their signatures")
	}
	var send []evidenceFile
	for _, f := range files {
		send = append(send, f.evidenceFile)
	}
	r := ts.postEvidence("parcels", "KC-001", editorKey, "现场核查", send...)
	if r.status != 201 {
		t.Fatalf("upload = %d %s", r.status, r.body)
	}
	stored := r.json(t)["evidence"].([]any)
	if len(stored) != 3 {
		t.Fatalf("stored %d files: %v", len(stored), stored)
	}
	list := ts.get(parcelPath("parcels", "KC-001") + "/evidence").json(t)["evidence"].([]any)
	if !jsonEqual(list, stored) {
		t.Errorf("list = %v\nwant %v", list, stored)
	}
	for i, f := range files {
		e := stored[i].(map[string]any)
		if e["name"] != f.name || e["content_type"] != f.contentType || e["size"] != float64(len(f.data)) ||
			e["sha256"] != sha256Hex(f.data) || e["actor"] != "zhang-editor" {
			t.Errorf("evidence %d = %v", i, e)
		}
		href := e["href"].(string)
		if !strings.HasPrefix(href, "/api/layers/parcels/parcels/KC-001/evidence/") {
			t.Errorf("href = %s", href)
		}
		d := ts.get(href)
		if d.status != 200 || !bytes.Equal(d.body, f.data) {
			t.Errorf("download %s = %d, %d bytes, identical %v", f.name, d.status, len(d.body), bytes.Equal(d.body, f.data))
		}
		if ct := d.header.Get("Content-Type"); ct != f.contentType {
			t.Errorf("download %s: Content-Type %q, want %q", f.name, ct, f.contentType)
		}
		cd := d.header.Get("Content-Disposition")
		enc, ok := strings.CutPrefix(cd, "attachment; filename*=UTF-8''")
		if name, err := url.PathUnescape(enc); !ok || err != nil || name != f.name {
			t.Errorf("download %s: Content-Disposition %q", f.name, cd)
		}
	}
	if r := ts.get(parcelPath("parcels", "KC-001") + "/evidence/nope"); r.status != 404 {
		t.Errorf("unknown evidence = %d", r.status)
	}
	// Evidence belongs to its parcel.
	if r := ts.get(strings.Replace(stored[0].(map[string]any)["href"].(string), "KC-001", "KC-002", 1)); r.status != 404 {
		t.Errorf("another parcel's evidence = %d", r.status)
	}

	// The history has one entry per file, with the key's name and the reason.
	var got []string
	for _, c := range ts.historyJSON("parcels", "KC-001") {
		m := c.(map[string]any)
		got = append(got, fmt.Sprintf("%v %v→%v by %v: %v", m["key"], m["before"], m["after"], m["actor"], m["reason"]))
	}
	want := []string{"evidence <nil>→现场照片.jpg by zhang-editor: 现场核查", "evidence <nil>→核查报告.pdf by zhang-editor: 现场核查",
		"evidence <nil>→处置方案.docx by zhang-editor: 现场核查"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("history:\n got %v\nwant %v", got, want)
	}
}

// Files that are not evidence are refused and change nothing.
func TestEvidenceRefusals(t *testing.T) {
	ts := newTestServerWith(t, func(_ *Config, a *app.Config) { a.MaxEvidenceBytes = 32 << 10 })
	if r := ts.upload("/api/layers?id=parcels", parcelsGeoJSON); r.status != 201 {
		t.Fatal(r.status, string(r.body))
	}
	photo := evidenceFile{"照片.jpg", jpegFile(t, 4, 4)}
	elf := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00"), make([]byte, 200)...)
	mz := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 200)...)
	big := pdfFile("large", 40<<10)
	if len(big) <= 32<<10 {
		t.Fatalf("large PDF has %d bytes", len(big))
	}
	tests := []struct {
		name   string
		key    string
		code   string
		files  []evidenceFile
		status int
		param  string
		detail string
	}{
		{"over the size limit", editorKey, "KC-001", []evidenceFile{{"大文件.pdf", big}}, 413, "file", "limit"},
		{"ELF executable named as a PDF", editorKey, "KC-001", []evidenceFile{{"scan.pdf", elf}}, 415, "file", "application/x-executable"},
		{"MZ executable", editorKey, "KC-001", []evidenceFile{{"setup.exe", mz}}, 415, "file", "application/x-executable"},
		{"shell script", editorKey, "KC-001", []evidenceFile{{"notes.txt", []byte("#!/bin/sh\nrm -rf /\n")}}, 415, "file", "application/x-executable"},
		{"zip that is not an Office document", editorKey, "KC-001", []evidenceFile{{"photos.zip", zipFile(t, "a.jpg", "x")}}, 415, "file", "application/zip"},
		{"zip named as a Word document", editorKey, "KC-001", []evidenceFile{{"report.docx", zipFile(t, "notes.txt", "x")}}, 415, "file", "application/zip"},
		{"Word document named as a photo", editorKey, "KC-001", []evidenceFile{{"photo.jpg", docxFile(t, "x")}}, 415, "file", "application/zip"},
		{"a photo and an executable", editorKey, "KC-001", []evidenceFile{photo, {"tool.pdf", elf}}, 415, "file", "tool.pdf"},
		{"a photo and a file over the limit", editorKey, "KC-001", []evidenceFile{photo, {"大文件.pdf", big}}, 413, "file", "limit"},
		{"empty file", editorKey, "KC-001", []evidenceFile{{"empty.pdf", nil}}, 400, "file", "empty"},
		{"no file", editorKey, "KC-001", nil, 400, "file", "file"},
		{"no key", "", "KC-001", []evidenceFile{photo}, 401, "", "key"},
		{"unknown parcel", editorKey, "KC-404", []evidenceFile{photo}, 404, "", "KC-404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.parcelState("parcels", "KC-001")
			r := ts.postEvidence("parcels", tt.code, tt.key, "", tt.files...)
			if r.status != tt.status || r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d %s, want %d", r.status, r.body, tt.status)
			}
			p := r.json(t)
			if param, _ := p["param"].(string); param != tt.param {
				t.Errorf("param = %q, want %q", param, tt.param)
			}
			if d, _ := p["detail"].(string); !strings.Contains(d, tt.detail) {
				t.Errorf("detail %q does not name %q", d, tt.detail)
			}
			if after := ts.parcelState("parcels", "KC-001"); after != before {
				t.Errorf("the refused upload changed the parcel:\n%s\n→\n%s", before, after)
			}
		})
	}

	// An archived parcel's ledger can be read, not extended.
	if r := ts.do("PUT", "/api/layers/parcels", "application/geo+json", testKey, strings.NewReader(collection(
		feature(square(118.87, 28.94, 0.001), `{"DKBH":"KC-001"}`)))); r.status != 200 {
		t.Fatalf("replace = %d %s", r.status, r.body)
	}
	before := ts.parcelState("parcels", "KC-003")
	if r := ts.postEvidence("parcels", "KC-003", editorKey, "", photo); r.status != 409 {
		t.Errorf("evidence on an archived parcel = %d %s, want 409", r.status, r.body)
	}
	if after := ts.parcelState("parcels", "KC-003"); after != before {
		t.Errorf("evidence on an archived parcel changed it:\n%s\n→\n%s", before, after)
	}
}
