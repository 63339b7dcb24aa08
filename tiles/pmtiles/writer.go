package pmtiles

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
)

// Writer builds a clustered PMTiles v3 archive. Tiles are added in increasing tile id order
// with [Writer.Add]; their bytes go to a temporary file at once, and only the directory
// entries and one hash per distinct tile stay in memory. [Writer.Finish] writes the archive:
//
//	header (127 bytes) | root directory | metadata | leaf directories | tile data
//
// Identical tile contents are stored once (found by SHA-256), and consecutive tile ids with
// identical contents share one entry with a run length. Directories and metadata are
// gzip-compressed. When the root directory of all entries would exceed [MaxRootLen]
// compressed, the entries go to leaf directories of equal entry counts, and the root lists the
// leaves (one level of leaves, as readers expect).
//
// A Writer is not safe for concurrent use. Call [Writer.Close] when done, after Finish or
// instead of it, to remove the temporary file.
type Writer struct {
	tmp     *os.File
	buf     *bufio.Writer
	entries []Entry
	blobs   map[[sha256.Size]byte]blob
	size    uint64 // bytes of tile data written
	last    uint64 // last tile id added
	count   uint64 // addressed tiles
	done    bool
}

// blob locates stored tile bytes in the data section.
type blob struct {
	offset uint64
	length uint32
}

// NewWriter returns a Writer whose tile data is kept in a temporary file in dir (os.TempDir()
// when dir is "").
func NewWriter(dir string) (*Writer, error) {
	f, err := os.CreateTemp(dir, "mudi-pmtiles-*")
	if err != nil {
		return nil, err
	}
	return &Writer{tmp: f, buf: bufio.NewWriterSize(f, 1<<20), blobs: map[[sha256.Size]byte]blob{}}, nil
}

// ErrOrder is returned by [Writer.Add] for a tile id not above the previous one.
var ErrOrder = errors.New("pmtiles: tile ids must be added in increasing order")

// Add appends the tile with id tileID (see [TileID]); data is its stored form (compressed
// as the header will say) and must not be empty: leave empty tiles out of the archive.
func (w *Writer) Add(tileID uint64, data []byte) error {
	switch {
	case w.done:
		return errors.New("pmtiles: Add after Finish")
	case len(data) == 0:
		return fmt.Errorf("pmtiles: tile %d is empty", tileID)
	case len(data) > 1<<32-1:
		return fmt.Errorf("pmtiles: tile %d has %d bytes", tileID, len(data))
	case w.count > 0 && tileID <= w.last:
		return fmt.Errorf("%w: %d after %d", ErrOrder, tileID, w.last)
	}
	sum := sha256.Sum256(data)
	b, seen := w.blobs[sum]
	if !seen {
		b = blob{offset: w.size, length: uint32(len(data))}
		if _, err := w.buf.Write(data); err != nil {
			return err
		}
		w.size += uint64(len(data))
		w.blobs[sum] = b
	}
	w.last = tileID
	w.count++
	if n := len(w.entries); n > 0 {
		if e := &w.entries[n-1]; e.Offset == b.offset && e.TileID+uint64(e.RunLength) == tileID && e.RunLength < 1<<32-1 {
			e.RunLength++
			return nil
		}
	}
	w.entries = append(w.entries, Entry{TileID: tileID, Offset: b.offset, Length: b.length, RunLength: 1})
	return nil
}

// Stats counts what an archive holds.
type Stats struct {
	AddressedTiles uint64 // tiles, counting each tile of a run
	TileEntries    uint64 // directory entries of tiles
	TileContents   uint64 // distinct tile blobs
	LeafDirs       int    // leaf directories (0: everything is in the root)
	Bytes          uint64 // size of the archive
}

// Finish writes the archive to out. h supplies the fields that describe the tiles (tile type
// and compression, zooms, bounds, centre); Finish sets the offsets, lengths and counts,
// Clustered and gzip internal compression. metadata is the JSON object of the metadata
// section (uncompressed; Finish compresses it). An archive needs at least one tile.
func (w *Writer) Finish(out io.Writer, h Header, metadata []byte) (Stats, error) {
	if w.done {
		return Stats{}, errors.New("pmtiles: Finish called twice")
	}
	w.done = true
	if len(w.entries) == 0 {
		return Stats{}, errors.New("pmtiles: an archive needs at least one tile")
	}
	if err := w.buf.Flush(); err != nil {
		return Stats{}, err
	}
	root, leaves, nleaves, err := buildDirectories(w.entries)
	if err != nil {
		return Stats{}, err
	}
	meta, err := gzipBytes(metadata)
	if err != nil {
		return Stats{}, err
	}
	h.Clustered = true
	h.InternalCompression = CompressionGzip
	h.RootOffset, h.RootLength = HeaderLen, uint64(len(root))
	h.MetadataOffset, h.MetadataLength = h.RootOffset+h.RootLength, uint64(len(meta))
	h.LeafOffset, h.LeafLength = h.MetadataOffset+h.MetadataLength, uint64(len(leaves))
	h.DataOffset, h.DataLength = h.LeafOffset+h.LeafLength, w.size
	h.AddressedTiles = w.count
	h.TileEntries = uint64(len(w.entries))
	h.TileContents = uint64(len(w.blobs))
	hb, _ := h.MarshalBinary() // cannot fail
	for _, b := range [][]byte{hb, root, meta, leaves} {
		if _, err := out.Write(b); err != nil {
			return Stats{}, err
		}
	}
	if _, err := w.tmp.Seek(0, io.SeekStart); err != nil {
		return Stats{}, err
	}
	n, err := io.Copy(out, bufio.NewReaderSize(w.tmp, 1<<20))
	if err != nil {
		return Stats{}, err
	}
	if uint64(n) != w.size {
		return Stats{}, fmt.Errorf("pmtiles: read back %d bytes of tile data, wrote %d", n, w.size)
	}
	return Stats{
		AddressedTiles: h.AddressedTiles, TileEntries: h.TileEntries, TileContents: h.TileContents,
		LeafDirs: nleaves, Bytes: h.DataOffset + h.DataLength,
	}, nil
}

// Close removes the temporary file.
func (w *Writer) Close() error {
	w.done = true
	err := w.tmp.Close()
	if rerr := os.Remove(w.tmp.Name()); err == nil {
		err = rerr
	}
	return err
}

// firstLeafSize is the number of entries per leaf directory tried first; it doubles until the
// root directory fits.
const firstLeafSize = 4096

// buildDirectories returns the compressed root directory and the concatenated compressed leaf
// directories (nil when every entry fits in the root) of entries.
func buildDirectories(entries []Entry) (root, leaves []byte, nleaves int, err error) {
	root, err = gzipBytes(appendDirectory(nil, entries))
	if err != nil || len(root) <= MaxRootLen {
		return root, nil, 0, err
	}
	var raw []byte
	for size := firstLeafSize; ; size *= 2 {
		leaves = leaves[:0]
		var rootEntries []Entry
		for i := 0; i < len(entries); i += size {
			chunk := entries[i:min(i+size, len(entries))]
			raw = appendDirectory(raw[:0], chunk)
			z, err := gzipBytes(raw)
			if err != nil {
				return nil, nil, 0, err
			}
			rootEntries = append(rootEntries, Entry{TileID: chunk[0].TileID, Offset: uint64(len(leaves)), Length: uint32(len(z))})
			leaves = append(leaves, z...)
		}
		if root, err = gzipBytes(appendDirectory(nil, rootEntries)); err != nil {
			return nil, nil, 0, err
		}
		if len(root) <= MaxRootLen {
			return root, leaves, len(rootEntries), nil
		}
	}
}

// gzipBytes compresses b (gzip, default level, no name or time in the header, so equal
// input gives equal output).
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
