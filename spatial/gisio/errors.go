package gisio

import (
	"errors"
	"fmt"
)

// FileError reports an input file that cannot be read: a malformed, truncated or
// inconsistent Shapefile component, an unreadable GeoPackage, or an archive entry refused by
// the [Limits] (then errors.Is(err, [ErrArchive]) holds).
type FileError struct {
	File   string // file or archive entry at fault, e.g. "parcels/parcels.dbf"
	Record int    // 1-based record number, 0 when the problem is not in one record
	Reason string
	Err    error // underlying cause, if any
}

func (e *FileError) Error() string {
	s := "gisio: " + e.File
	if e.Record > 0 {
		s += fmt.Sprintf(" record %d", e.Record)
	}
	return s + ": " + e.Reason
}

func (e *FileError) Unwrap() error { return e.Err }

// ParamError reports a read or write setting that is wrong or missing for this input: Param
// names it ("table", "encoding", "crs", "format").
type ParamError struct {
	Param  string
	Reason string
	Err    error // the underlying error, if any (e.g. one wrapping crs.ErrUnsupported)
}

func (e *ParamError) Error() string { return "gisio: " + e.Param + ": " + e.Reason }

func (e *ParamError) Unwrap() error { return e.Err }

// ErrArchive is wrapped by the [FileError]s about an archive itself: limits, path traversal,
// symlinks, a corrupt zip.
var ErrArchive = errors.New("gisio: archive refused")

func refuse(entry, format string, args ...any) error {
	return &FileError{File: entry, Reason: fmt.Sprintf(format, args...), Err: ErrArchive}
}

func fileErr(file string, record int, format string, args ...any) *FileError {
	return &FileError{File: file, Record: record, Reason: fmt.Sprintf(format, args...)}
}
