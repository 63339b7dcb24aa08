// Package packviewer holds the offline page of mudi's monthly pack (see app.App.Pack): an
// index.html with its script and style in assets/, and in assets/lib/ the libraries it uses —
// MapLibre GL JS and the PMTiles reader.
//
// The page opens from the file system (file://) with no server and no network. Chromium lets a
// page opened so load classic <script> files from its folder but refuses it fetch() and ES
// module scripts there, so the page is written for that: every library is a classic script
// (MapLibre's single-file build, which starts its worker from a blob, and the PMTiles reader's
// IIFE), and the pack's data — its description, the ledger, the report, the changes and the
// tile archives in base64 — come as data/*.js scripts that the pack writes next to them. The
// archives are read from memory through the PMTiles reader's source interface, so no request
// leaves the page.
//
// The libraries are not committed: web/pack (npm ci && npm run build) copies them into
// files/assets/lib, and the Go build embeds what is there. Without them [Files] still serves
// the page, whose ledger and report work and whose map area says how to build the map.
package packviewer

import (
	"embed"
	"io/fs"
)

// files is the page; the all: prefix keeps files/assets/lib/.gitignore, the committed file
// that makes the pattern match in a fresh clone (the pack leaves dot files out).
//
//go:embed all:files
var files embed.FS

// Files returns the page: index.html, assets/viewer.js, assets/viewer.css and assets/lib/….
func Files() fs.FS {
	sub, err := fs.Sub(files, "files")
	if err != nil { // unreachable: "files" is a valid, embedded directory
		panic(err)
	}
	return sub
}

// MapBuilt reports whether the map libraries were built into the binary (see the package
// documentation).
func MapBuilt() bool {
	for _, name := range []string{"assets/lib/maplibre-gl.js", "assets/lib/pmtiles.js"} {
		if _, err := fs.Stat(Files(), name); err != nil {
			return false
		}
	}
	return true
}
