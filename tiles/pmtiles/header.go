package pmtiles

import (
	"encoding/binary"
	"math"
)

// HeaderLen is the size of the fixed header at the start of an archive, in bytes.
const HeaderLen = 127

// MaxRootLen bounds the compressed root directory, so that header and root directory fit in
// the first 16 384 bytes a client fetches in one request.
const MaxRootLen = 16384 - HeaderLen

// TileType is the kind of tile content.
type TileType uint8

// Tile types.
const (
	TileTypeUnknown TileType = 0
	TileTypeMVT     TileType = 1 // Mapbox Vector Tile
	TileTypePNG     TileType = 2
	TileTypeJPEG    TileType = 3
	TileTypeWebP    TileType = 4
	TileTypeAVIF    TileType = 5
)

// Compression is the compression of tiles or of the archive's directories and metadata.
type Compression uint8

// Compressions.
const (
	CompressionUnknown Compression = 0
	CompressionNone    Compression = 1
	CompressionGzip    Compression = 2
	CompressionBrotli  Compression = 3
	CompressionZstd    Compression = 4
)

// Header is the fixed 127-byte header of a PMTiles v3 archive. Offsets are from the start of
// the archive, lengths in bytes. Positions are lon/lat degrees (WGS 84), stored to 1e-7°.
type Header struct {
	RootOffset, RootLength         uint64
	MetadataOffset, MetadataLength uint64
	LeafOffset, LeafLength         uint64
	DataOffset, DataLength         uint64

	AddressedTiles uint64 // tiles, counting every tile of a run
	TileEntries    uint64 // directory entries of tiles (run length > 0)
	TileContents   uint64 // distinct tile blobs in the data section

	Clustered           bool // tile data in tile id order
	InternalCompression Compression
	TileCompression     Compression
	TileType            TileType
	MinZoom, MaxZoom    uint8

	MinLon, MinLat, MaxLon, MaxLat float64
	CenterZoom                     uint8
	CenterLon, CenterLat           float64
}

// MarshalBinary encodes h: the magic "PMTiles", version 3, then the fields in order, integers
// little endian, each position as two int32 of 1e-7 degrees (longitude first).
func (h Header) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, HeaderLen)
	b = append(b, "PMTiles"...)
	b = append(b, 3)
	for _, v := range []uint64{h.RootOffset, h.RootLength, h.MetadataOffset, h.MetadataLength,
		h.LeafOffset, h.LeafLength, h.DataOffset, h.DataLength,
		h.AddressedTiles, h.TileEntries, h.TileContents} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	var clustered byte
	if h.Clustered {
		clustered = 1
	}
	b = append(b, clustered, byte(h.InternalCompression), byte(h.TileCompression), byte(h.TileType), h.MinZoom, h.MaxZoom)
	// The bounds are rounded outwards, so that they still contain what they bound.
	b = appendPosition(b, math.Floor, h.MinLon, h.MinLat)
	b = appendPosition(b, math.Ceil, h.MaxLon, h.MaxLat)
	b = append(b, h.CenterZoom)
	b = appendPosition(b, math.Round, h.CenterLon, h.CenterLat)
	return b, nil
}

// appendPosition appends lon and lat as little-endian int32 of 1e-7 degrees, rounded by round.
func appendPosition(b []byte, round func(float64) float64, lon, lat float64) []byte {
	e7 := func(v float64) uint32 { return uint32(int32(round(v * 1e7))) }
	b = binary.LittleEndian.AppendUint32(b, e7(lon))
	return binary.LittleEndian.AppendUint32(b, e7(lat))
}
