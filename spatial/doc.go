// Package spatial is mudi's domain: layers of land parcels and control lines, their features and
// attributes, geometry validation, ellipsoidal areas in 亩, coordinate reference systems, the
// in-memory R-tree [Index] and the overlay analyses.
//
// Coordinates are longitude/latitude in degrees on CGCS2000 (EPSG:4490), which equals WGS 84
// (EPSG:4326) at map scale; x is longitude, y is latitude, as in GeoJSON. Projected input (Gauss-
// Krüger zones, Web Mercator) is converted to lon/lat on import by package [crs] and never stored.
//
// Areas are computed on the WGS 84 ellipsoid with geodesic edges (Karney's algorithm), the same
// definition as PostGIS ST_Area(geography); never on a sphere and never in Web Mercator.
//
// The package knows nothing of HTTP, bbolt or tiles.
package spatial
