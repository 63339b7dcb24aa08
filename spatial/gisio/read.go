package gisio

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
)

// ReadZip reads a zip archive holding one Shapefile (its .shp, .shx, .dbf, .prj and .cpg side
// by side, at the top or in a folder) or one GeoPackage. With several, opts.Table chooses one
// by base name; otherwise a [*ParamError] for "table" lists them. r is read in place: nothing is
// extracted, except a GeoPackage, which is copied to a temporary file that is removed before
// ReadZip returns.
func ReadZip(r io.ReaderAt, size int64, opts ReadOptions) (*spatial.Import, Info, error) {
	a, err := openArchive(r, size, opts.Limits)
	if err != nil {
		return nil, Info{}, err
	}
	candidates := append(a.find(".shp"), a.find(".gpkg")...)
	if len(candidates) == 0 {
		return nil, Info{}, fileErr("(zip)", 0, "the archive holds no Shapefile (.shp) or GeoPackage (.gpkg); it has %s", listNames(a.names, 10))
	}
	chosen := ""
	switch {
	case opts.Table != "" && len(candidates) > 1:
		for _, c := range candidates {
			if strings.EqualFold(strings.TrimSuffix(path.Base(c), path.Ext(c)), opts.Table) || strings.EqualFold(c, opts.Table) {
				chosen = c
			}
		}
		if chosen == "" {
			return nil, Info{}, &ParamError{Param: "table", Reason: fmt.Sprintf("the archive has no dataset %q; it has %s", opts.Table, listNames(candidates, 20))}
		}
	case len(candidates) > 1:
		return nil, Info{}, &ParamError{Param: "table", Reason: fmt.Sprintf("the archive holds %d datasets (%s): choose one with table=<name without extension>", len(candidates), listNames(candidates, 20))}
	default:
		chosen = candidates[0]
	}
	if strings.EqualFold(path.Ext(chosen), ".gpkg") {
		if len(candidates) > 1 {
			opts.Table = "" // the name chose the file, not a table in it
		}
		return readZippedGeoPackage(a, chosen, opts)
	}
	return readShapefile(a.open, shapefileSet(a, chosen), opts)
}

// ReadZipFile reads a zip archive from disk; see [ReadZip].
func ReadZipFile(name string, opts ReadOptions) (*spatial.Import, Info, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, Info{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, Info{}, err
	}
	return ReadZip(f, st.Size(), opts)
}

func readZippedGeoPackage(a *archive, name string, opts ReadOptions) (*spatial.Import, Info, error) {
	rc, _, err := a.open(name)
	if err != nil {
		return nil, Info{}, err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(opts.TempDir, "mudi-import-*.gpkg")
	if err != nil {
		return nil, Info{}, err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, rc)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, Info{}, err
	}
	return ReadGeoPackage(tmp.Name(), opts)
}

// ReadFile reads a Shapefile (.shp with its siblings), a zip archive or a GeoPackage from disk,
// chosen by the file's extension.
func ReadFile(name string, opts ReadOptions) (*spatial.Import, Info, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".zip":
		return ReadZipFile(name, opts)
	case ".shp":
		return ReadShapefile(name, opts)
	case ".gpkg":
		return ReadGeoPackage(name, opts)
	}
	return nil, Info{}, &ParamError{Param: "file", Reason: fmt.Sprintf("%s: mudi reads .zip (zipped Shapefile), .shp and .gpkg files here", filepath.Base(name))}
}

func listNames(names []string, limit int) string {
	if len(names) > limit {
		return strings.Join(names[:limit], ", ") + fmt.Sprintf(" … (%d in all)", len(names))
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}
