// Package pmtiles writes PMTiles version 3 archives: one file holding a whole tile pyramid,
// which a client reads with HTTP range requests from any static file host, object store or
// CDN, or from a local file, without a tile server.
//
// An archive is a 127-byte [Header], a root directory, a JSON metadata object, optional leaf
// directories, and the tile data. Tiles are addressed by [TileID], a position on one Hilbert
// curve per zoom, counted across zooms from 0/0/0 upwards. Directories list [Entry] values
// (tile id, offset, length, run length) encoded as varint columns and gzip-compressed.
//
// The package knows nothing about what tiles contain; package tiles renders mudi's layers
// into an archive with it. Positions in the header are lon/lat degrees; tile coordinates are
// the XYZ scheme (y down from the north edge of Web Mercator).
package pmtiles
