// Package gisio reads and writes the GIS files that land-administration staff exchange:
// zipped or bare Shapefiles (GBK or UTF-8 attributes) and GeoPackages on import; GeoJSON, CSV,
// Shapefile (zipped) and GeoPackage on export.
//
// Readers return the same [*spatial.Import] as [spatial.DecodeGeoJSON], built by
// [spatial.BuildImport] with the same per-feature validation: features get ids 1..n in input
// order and lon/lat geometry. The input CRS comes from the file (a .prj's ESRI WKT, a
// GeoPackage's gpkg_spatial_ref_sys) unless [ReadOptions.CRS] overrides it; the attribute
// encoding of a Shapefile from [ReadOptions.Encoding], else its .cpg, else the .dbf language
// driver id, else detection (bytes that are not UTF-8 but are valid GBK are GBK).
//
// Untrusted input is expected: archives are checked against [Limits] (entry count, declared
// and actual uncompressed size, compression ratio, path traversal, symlinks) and read from
// memory or a temporary file, never extracted; malformed or truncated files give a
// [*FileError] that names the file and the record, never a panic.
//
// Writers take a [*spatial.Snapshot], a target CRS and options, and stream features one at a
// time to an [io.Writer]: memory does not grow with the layer. Shapefile and GeoPackage
// output is first built in temporary files (their headers need totals) and then copied.
// Coordinates are written easting (or longitude) first, as GIS files store them.
package gisio
