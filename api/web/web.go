// Package web holds the files of mudi's web viewer, embedded in the binary.
//
// The viewer's sources are in the repository's web/ folder; `make web` (npm ci && npm run build
// there) writes the built files to this package's dist/ folder, which is not committed. A fresh
// clone therefore builds with Go alone: dist/ then holds only .gitkeep, and [Files] returns the
// committed placeholder page instead, which explains (in Chinese and English) how to build the
// viewer.
package web

import (
	"embed"
	"io/fs"
)

// dist is the output of the web build. The all: prefix keeps dist/.gitkeep, the committed file
// that makes the pattern match in a fresh clone.
//
//go:embed all:dist
var dist embed.FS

//go:embed placeholder
var placeholder embed.FS

// Dist returns the built viewer ("index.html" and "assets/…"), or false when it was not built
// before the binary was compiled.
func Dist() (fs.FS, bool) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, false
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil, false
	}
	return sub, true
}

// Placeholder returns the page served at / when the viewer was not built: "index.html" only.
func Placeholder() fs.FS {
	sub, err := fs.Sub(placeholder, "placeholder")
	if err != nil { // unreachable: "placeholder" is a valid, embedded directory
		panic(err)
	}
	return sub
}

// Files returns the built viewer when there is one, else the placeholder, and which it is.
func Files() (files fs.FS, built bool) {
	if d, ok := Dist(); ok {
		return d, true
	}
	return Placeholder(), false
}
