package pmtiles

import (
	"encoding/binary"
	"errors"
)

// Entry is one directory entry: RunLength consecutive tile ids starting at TileID share the
// bytes at Offset..Offset+Length of the tile data section, or, when RunLength is 0, a leaf
// directory starting at TileID lies at Offset..Offset+Length of the leaf directories section.
type Entry struct {
	TileID    uint64
	Offset    uint64
	Length    uint32
	RunLength uint32
}

// appendDirectory appends the uncompressed encoding of a directory: the number of entries,
// then the tile ids as deltas from the previous id, the run lengths, the lengths, and the
// offsets, each an unsigned LEB128 varint. An offset equal to the end of the previous entry
// (contiguous data) is written as 0, any other as offset + 1.
func appendDirectory(b []byte, entries []Entry) []byte {
	b = binary.AppendUvarint(b, uint64(len(entries)))
	var last uint64
	for _, e := range entries {
		b = binary.AppendUvarint(b, e.TileID-last)
		last = e.TileID
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.RunLength))
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.Length))
	}
	var next uint64
	for i, e := range entries {
		if i > 0 && e.Offset == next {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.Offset+1)
		}
		next = e.Offset + uint64(e.Length)
	}
	return b
}

var errDirectory = errors.New("pmtiles: malformed directory")

// parseDirectory decodes an uncompressed directory written by [appendDirectory].
func parseDirectory(b []byte) ([]Entry, error) {
	next := func() (uint64, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, errDirectory
		}
		b = b[n:]
		return v, nil
	}
	n, err := next()
	if err != nil || n > uint64(len(b)) {
		return nil, errDirectory
	}
	entries := make([]Entry, n)
	var last uint64
	for i := range entries {
		v, err := next()
		if err != nil {
			return nil, err
		}
		last += v
		entries[i].TileID = last
	}
	for i := range entries {
		v, err := next()
		if err != nil || v > 1<<32-1 {
			return nil, errDirectory
		}
		entries[i].RunLength = uint32(v)
	}
	for i := range entries {
		v, err := next()
		if err != nil || v > 1<<32-1 {
			return nil, errDirectory
		}
		entries[i].Length = uint32(v)
	}
	for i := range entries {
		v, err := next()
		if err != nil {
			return nil, err
		}
		if v == 0 && i > 0 {
			entries[i].Offset = entries[i-1].Offset + uint64(entries[i-1].Length)
		} else if v == 0 {
			return nil, errDirectory
		} else {
			entries[i].Offset = v - 1
		}
	}
	if len(b) != 0 {
		return nil, errDirectory
	}
	return entries, nil
}
