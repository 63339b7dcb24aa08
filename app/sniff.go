package app

import (
	"archive/zip"
	"bytes"
	"net/http"
	"path"
	"strings"
)

// sniff tells the content type of an evidence file from its bytes: images, PDF and text as
// browsers sniff them; Office documents by their container (OOXML zip parts, or the OLE
// compound file of the older formats) together with their extension. Executables and
// anything unrecognised come out as application/octet-stream or their own type.
func sniff(name string, data []byte) string {
	ext := strings.ToLower(path.Ext(name))
	switch {
	case bytes.HasPrefix(data, []byte("MZ")), bytes.HasPrefix(data, []byte("\x7fELF")), bytes.HasPrefix(data, []byte("#!")):
		return "application/x-executable"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return "application/zip"
		}
		parts := map[string]bool{}
		for _, f := range zr.File {
			top, _, _ := strings.Cut(f.Name, "/")
			parts[top] = true
		}
		switch {
		case !parts["[Content_Types].xml"]:
			return "application/zip"
		case parts["word"] && ext == ".docx":
			return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		case parts["xl"] && ext == ".xlsx":
			return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		case parts["ppt"] && ext == ".pptx":
			return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
		}
		return "application/zip"
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		switch ext {
		case ".doc":
			return "application/msword"
		case ".xls":
			return "application/vnd.ms-excel"
		}
		return "application/x-ole-storage"
	}
	return http.DetectContentType(data)
}
