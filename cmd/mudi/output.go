package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial/analysis"
	"github.com/mudi-gis/mudi/spatial/gisio"
)

// writeOutput writes a command's output file through write. "-" is standard output. A regular
// file (or a new one) is written next to its destination and renamed over it, so that a failed
// command leaves no partial file; anything else — /dev/null, a FIFO, a terminal, a symlink to
// one — is written through in place, never replaced; a symlink to a regular file stays a
// symlink, its target replaced.
func writeOutput(name string, stdout io.Writer, write func(w io.Writer, tempDir string) error) error {
	if name == "-" {
		return write(stdout, "")
	}
	if resolved, err := filepath.EvalSymlinks(name); err == nil {
		name = resolved // a symlink stays one: its target is what gets replaced
	}
	if st, err := os.Stat(name); err == nil && !st.Mode().IsRegular() {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = write(f, "")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = write(tmp, dir)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// flagNames maps the parameter names of the application core to the commands' flags.
var flagNames = map[string]string{"id": "layer", "file": "FILE"}

// flagError turns an error caused by the command line into a usage error naming the flag, and
// returns other errors as they are.
func flagError(err error) error {
	var (
		ae *app.Error
		fe *app.FilterError
		ge *gisio.ParamError
		pe *analysis.ParamError
	)
	param, reason := "", ""
	switch {
	case errors.As(err, &ae) && ae.Kind != app.NotFound:
		param, reason = ae.Param, ae.Reason
	case errors.As(err, &ae):
		return usageError{ae.Reason}
	case errors.As(err, &fe):
		param, reason = fe.Param, fmt.Sprintf("%s (at byte %d)", fe.Reason, fe.Pos)
	case errors.As(err, &ge):
		param, reason = ge.Param, ge.Reason
	case errors.As(err, &pe):
		param, reason = pe.Param, pe.Reason
	case errors.Is(err, gisio.ErrUnsupportedFormat):
		return usageError{err.Error()}
	default:
		return err
	}
	if param == "" {
		return usageError{reason}
	}
	flag, ok := flagNames[param]
	if !ok {
		flag = strings.ReplaceAll(param, "_", "-")
	}
	if flag != "FILE" {
		flag = "--" + flag
	}
	return usageError{flag + ": " + reason}
}

// requireStore fails when dir holds no mudi store: reading commands never create one.
func requireStore(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "mudi.db")); err != nil {
		return fmt.Errorf("no mudi store in %s (import data first, or name the data directory with --data)", dir)
	}
	return nil
}
