package gisio

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Limits bound what an archive may expand to. The zero value of a field means its default.
type Limits struct {
	// MaxUncompressed is the total uncompressed size of the entries read, as declared and as
	// actually inflated; default 2 GiB.
	MaxUncompressed int64
	// MaxRatio is the largest uncompressed/compressed size ratio of an entry larger than
	// 1 MiB; default 1000 (deflate cannot legitimately do much better; DBF padding reaches a
	// few hundred).
	MaxRatio int64
	// MaxEntries is the largest number of entries; default 1000.
	MaxEntries int
}

func (l Limits) withDefaults() Limits {
	if l.MaxUncompressed <= 0 {
		l.MaxUncompressed = 2 << 30
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = 1000
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = 1000
	}
	return l
}

// archive is a checked zip archive: every entry name is a clean relative path, no entry is a
// symlink, and the declared sizes are within the limits. Reads are counted against the
// uncompressed budget.
type archive struct {
	zr      *zip.Reader
	entries map[string]*zip.File // by cleaned name
	names   []string             // sorted
	budget  *int64               // bytes that may still be inflated
}

// openArchive checks a zip archive read from r (size bytes).
func openArchive(r io.ReaderAt, size int64, lim Limits) (*archive, error) {
	lim = lim.withDefaults()
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, refuse("(zip)", "not a readable zip archive: %v", err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, refuse("(zip)", "the archive has %d entries, more than the limit of %d", len(zr.File), lim.MaxEntries)
	}
	a := &archive{zr: zr, entries: map[string]*zip.File{}}
	var total uint64
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, "\\", "/")
		switch {
		case name == "" || strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':'):
			return nil, refuse(f.Name, "absolute path in the archive")
		case hasDotDot(name):
			return nil, refuse(f.Name, "path traversal (..) in the archive")
		case f.Mode()&fs.ModeSymlink != 0:
			return nil, refuse(f.Name, "symbolic link in the archive")
		case f.Mode()&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeCharDevice) != 0:
			return nil, refuse(f.Name, "special file in the archive")
		}
		if strings.HasSuffix(name, "/") || f.FileInfo().IsDir() {
			continue
		}
		if f.UncompressedSize64 > uint64(lim.MaxUncompressed) || total+f.UncompressedSize64 > uint64(lim.MaxUncompressed) {
			return nil, refuse(f.Name, "the entries expand to more than the limit of %d bytes (this one declares %d)", lim.MaxUncompressed, f.UncompressedSize64)
		}
		total += f.UncompressedSize64
		if f.UncompressedSize64 > 1<<20 && f.Method != zip.Store &&
			(f.CompressedSize64 == 0 || f.UncompressedSize64/f.CompressedSize64 > uint64(lim.MaxRatio)) {
			return nil, refuse(f.Name, "compression ratio %d:1 exceeds the limit of %d:1 (a zip bomb?)", f.UncompressedSize64/max(f.CompressedSize64, 1), lim.MaxRatio)
		}
		clean := path.Clean(name)
		if _, dup := a.entries[strings.ToLower(clean)]; dup {
			return nil, refuse(f.Name, "duplicate entry in the archive")
		}
		a.entries[strings.ToLower(clean)] = f
		a.names = append(a.names, clean)
	}
	sort.Strings(a.names)
	budget := lim.MaxUncompressed
	a.budget = &budget
	return a, nil
}

func hasDotDot(name string) bool {
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// ignored reports whether an entry is archive clutter: macOS resource forks and hidden files.
func ignored(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(base, ".")
}

// find returns the entries whose extension is ext (lower case, with the dot), clutter excepted.
func (a *archive) find(ext string) []string {
	var out []string
	for _, n := range a.names {
		if !ignored(n) && strings.EqualFold(path.Ext(n), ext) {
			out = append(out, n)
		}
	}
	return out
}

// open opens an entry by name (case-insensitive); the reader fails once the archive's
// uncompressed budget is spent. Returns fs.ErrNotExist when there is no such entry.
func (a *archive) open(name string) (io.ReadCloser, int64, error) {
	f := a.entries[strings.ToLower(path.Clean(name))]
	if f == nil {
		return nil, 0, fs.ErrNotExist
	}
	rc, err := f.Open()
	if err != nil {
		return nil, 0, refuse(f.Name, "cannot open the entry: %v", err)
	}
	return &budgetReader{rc: rc, name: f.Name, budget: a.budget}, int64(f.UncompressedSize64), nil
}

// budgetReader counts inflated bytes against a shared budget and reports zip format errors
// (a corrupt entry, a size or checksum that does not match) as archive errors.
type budgetReader struct {
	rc     io.ReadCloser
	name   string
	budget *int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	*b.budget -= int64(n)
	if *b.budget < 0 {
		return n, refuse(b.name, "the archive expands to more than its declared size limit")
	}
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrAlgorithm) {
			return n, refuse(b.name, "corrupt entry: %v", err)
		}
		var fe *FileError
		if !errors.As(err, &fe) {
			return n, refuse(b.name, "corrupt entry: %v", err)
		}
	}
	return n, err
}

func (b *budgetReader) Close() error { return b.rc.Close() }

// opener opens one file of a dataset by name and tells its size.
type opener func(name string) (io.ReadCloser, int64, error)

func (a *archive) String() string { return fmt.Sprintf("zip archive with %d files", len(a.names)) }
