package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mudi-gis/mudi/fixtures"
)

// logger prints progress lines to stderr with the time since the start.
type logger struct {
	w     io.Writer
	start time.Time
}

func newLogger(w io.Writer) *logger { return &logger{w: w, start: time.Now()} }

func (l *logger) printf(format string, args ...any) {
	fmt.Fprintf(l.w, "[%7.1fs] %s\n", time.Since(l.start).Seconds(), fmt.Sprintf(format, args...))
}

// countyFiles returns the parcels and control GeoJSON files of the generated county of n
// parcels, generating them into dir unless a previous run left them there.
func countyFiles(log *logger, dir string, n int, seed int64) (parcels, control string, err error) {
	parcels = filepath.Join(dir, fixtures.ParcelsFile)
	control = filepath.Join(dir, fixtures.ControlFile)
	done := filepath.Join(dir, "complete")
	if _, err := os.Stat(done); err == nil {
		log.printf("county of %d parcels (seed %d): reusing %s", n, seed, dir)
		return parcels, control, nil
	}
	log.printf("county of %d parcels (seed %d): generating into %s", n, seed, dir)
	ds, err := fixtures.Generate(fixtures.Options{N: n, Seed: seed})
	if err != nil {
		return "", "", err
	}
	if err := ds.WriteDir(dir); err != nil {
		return "", "", err
	}
	// The marker is written last: an interrupted generation is redone, never reused half-written.
	if err := os.WriteFile(done, []byte(fmt.Sprintf("n=%d seed=%d\n", n, seed)), 0o644); err != nil {
		return "", "", err
	}
	return parcels, control, nil
}
