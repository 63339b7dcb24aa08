package gisio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
)

// Input is a GIS file to import: a GeoJSON document, a zipped Shapefile (or a GeoPackage in a
// zip), a GeoPackage, or — from disk only — a bare Shapefile beside its .dbf, .shx, .prj and
// .cpg. Exactly one of Path, Data and Body holds it; Name (a path's base name by default) picks
// the format by its extension and names the file in messages.
type Input struct {
	Name string
	Path string    // a file on disk
	Data []byte    // the whole file in memory (an upload)
	Body io.Reader // a GeoJSON stream (a request body)
}

// ErrUnsupportedFormat is wrapped by the error [Read] returns for a file of a kind mudi does
// not import.
var ErrUnsupportedFormat = errors.New("unsupported file format")

// formatOf tells the kind of input from its file name.
func formatOf(name string, onDisk bool) (string, error) {
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".geojson", ".json":
		return "geojson", nil
	case ".zip", ".shz":
		return "zip", nil
	case ".gpkg":
		return "gpkg", nil
	case ".shp":
		if onDisk {
			return "shp", nil
		}
		fallthrough
	case ".dbf", ".shx":
		return "", fmt.Errorf("file %q: %w: send a Shapefile as one .zip holding its .shp, .shx, .dbf, .prj and .cpg", name, ErrUnsupportedFormat)
	}
	return "", fmt.Errorf("file %q: %w: mudi imports GeoJSON (.geojson, .json), zipped Shapefiles (.zip), GeoPackages (.gpkg) and, from disk, Shapefiles (.shp)", name, ErrUnsupportedFormat)
}

// CheckInputName reports, before any byte is read, whether name is a file mudi can import.
func CheckInputName(name string, onDisk bool) error {
	_, err := formatOf(name, onDisk)
	return err
}

// Read imports in: the one reading path for every client (HTTP uploads, mudi import). It is
// cancellable through ctx: reading stops at the next block of input once ctx is done. GeoJSON is
// always UTF-8 (an encoding other than UTF-8 is a [*ParamError] for "encoding").
func Read(ctx context.Context, in Input, opts ReadOptions) (*spatial.Import, Info, error) {
	name := in.Name
	if name == "" {
		name = filepath.Base(in.Path)
	}
	format, err := formatOf(name, in.Path != "")
	if err != nil {
		return nil, Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, err
	}
	imp, info, err := read(ctx, in, name, format, opts)
	if err == nil {
		err = ctx.Err() // a cancelled read may have ended early at what looked like the end
	}
	if err != nil {
		return nil, Info{}, err
	}
	return imp, info, nil
}

func read(ctx context.Context, in Input, name, format string, opts ReadOptions) (*spatial.Import, Info, error) {
	if format == "geojson" {
		if opts.Encoding != "" {
			if enc, err := ParseEncoding(opts.Encoding); err != nil || enc != UTF8 {
				return nil, Info{}, &ParamError{Param: "encoding", Reason: "GeoJSON is always UTF-8 (encoding applies to Shapefiles)"}
			}
		}
		var r io.Reader
		switch {
		case in.Body != nil:
			r = in.Body
		case in.Data != nil:
			r = bytes.NewReader(in.Data)
		default:
			f, err := os.Open(in.Path)
			if err != nil {
				return nil, Info{}, err
			}
			defer f.Close()
			r = f
		}
		imp, err := spatial.DecodeGeoJSON(&ctxReader{ctx: ctx, r: r}, opts.importOptions())
		return imp, Info{Format: "geojson", Name: name}, err
	}
	if in.Body != nil {
		data, err := io.ReadAll(&ctxReader{ctx: ctx, r: in.Body})
		if err != nil {
			return nil, Info{}, err
		}
		in.Data, in.Body = data, nil
	}
	switch format {
	case "zip":
		if in.Data != nil {
			return ReadZip(&ctxReaderAt{ctx: ctx, r: bytes.NewReader(in.Data)}, int64(len(in.Data)), opts)
		}
		f, err := os.Open(in.Path)
		if err != nil {
			return nil, Info{}, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, Info{}, err
		}
		return ReadZip(&ctxReaderAt{ctx: ctx, r: f}, st.Size(), opts)
	case "shp":
		return ReadShapefile(in.Path, opts)
	}
	// A GeoPackage: SQLite needs a file.
	if in.Data == nil {
		return ReadGeoPackage(in.Path, opts)
	}
	dir, err := os.MkdirTemp(opts.TempDir, "mudi-upload-*")
	if err != nil {
		return nil, Info{}, err
	}
	defer os.RemoveAll(dir)
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if base == "." || base == ".." || base == "/" || strings.ContainsRune(base, 0) {
		base = "upload.gpkg"
	}
	file := filepath.Join(dir, base)
	if err := os.WriteFile(file, in.Data, 0o600); err != nil {
		return nil, Info{}, err
	}
	return ReadGeoPackage(file, opts)
}

// ctxReader stops a read once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ctxReaderAt stops a read once its context is done.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c *ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}
