// Package tiles serves mudi's layers as Mapbox Vector Tiles: tile addressing ([Coord],
// [ParseCoord]), Web Mercator projection, clipping, MVT 2.1 encoding ([Renderer]), the in-memory
// tile cache with exact invalidation ([Cache], [Service]) and the documents clients read next to
// the tiles: TileJSON 3.0.0 ([Renderer.TileJSON]), tippecanoe-style metadata.json for GDAL
// ([Renderer.Metadata]) and the default MapLibre style ([Style]).
//
// Coordinates: input geometry is lon/lat degrees (EPSG:4490 ≈ EPSG:4326) as held by package
// spatial; tiles use the XYZ Web Mercator (EPSG:3857) scheme, y down, with integer tile
// coordinates 0..Extent (4096) plus a Buffer (64) on each side. Web Mercator is for display
// only: areas and distances are never measured here.
//
// The renderer never modifies the snapshots it reads (orb's MVT helpers project, clip and
// simplify in place, so this package has its own per-tile pipeline; see [Renderer]).
//
// Feature inclusion: a tile holds every feature whose polygon interior intersects the tile's
// buffered square (the tile grown by Buffer units on each side), as MVT clients expect of a
// buffer. At zoom ≥ [Options.KeepAllZoom] (12) all of them are encoded, even when snapping to the
// grid collapses one (it then becomes a 1×1 unit square, so its id is present); below that,
// features smaller than about a screen pixel may be dropped and tiles are kept under
// [Options.MaxTileBytes].
//
// The package imports spatial and orb only; HTTP lives in package api.
package tiles
