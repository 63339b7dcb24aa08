// Package crs knows the coordinate reference systems mudi accepts and converts coordinates
// between them and longitude/latitude.
//
// Supported systems, each a [CRS] value:
//
//   - geographic longitude/latitude in degrees: CGCS2000 (EPSG:4490), WGS 84 (EPSG:4326) and
//     OGC CRS84 (WGS 84, longitude first);
//   - Web Mercator (EPSG:3857), in metres, for tiles only (it is not equal-area);
//   - every CGCS2000 3-degree Gauss-Krüger zone, in metres: EPSG:4534–4554 (central meridian
//     75°E + 3°·(code−4534), false easting 500 000 m) and EPSG:4513–4533 (zone = code−4488,
//     central meridian 3°·zone, false easting zone·10⁶ + 500 000 m, the zone number prefixed to
//     the easting). All use the CGCS2000 ellipsoid (a = 6 378 137 m, 1/f = 298.257222101),
//     scale factor 1, latitude of origin 0 and false northing 0.
//
// # Coordinate conventions
//
// Every function takes and returns coordinates in the order files and GeoJSON store them:
// x is easting or longitude, y is northing or latitude, whatever axis order the EPSG
// definition declares. [CRS.NorthingFirst] reports when that declared order differs (EPSG:4490,
// EPSG:4326 and the Gauss-Krüger codes list northing or latitude first), for the formats that
// follow it, such as OGC API requests and responses with a non-CRS84 CRS. Angles are degrees,
// projected coordinates metres.
//
// CGCS2000 and WGS 84 are treated as the same datum (they differ by centimetres); no datum
// shift is ever applied. Other datums (Beijing 1954, Xian 1980, …) are rejected with
// [ErrUnsupported], never converted approximately.
//
// # Accuracy
//
// Gauss-Krüger uses the Krüger series to sixth order in the third flattening (Karney 2011,
// "Transverse Mercator with an accuracy of a few nanometers"), the same method as PROJ's
// +proj=tmerc since PROJ 6: both directions agree with PROJ 9.1's cs2cs within 1e-8 m (the
// tests compare with committed and, when cs2cs is installed, live PROJ values). Web Mercator
// uses the spherical formulas on a = 6 378 137 m, as EPSG:3857 defines.
//
// # Concurrency
//
// A [CRS] is an immutable, comparable value and every function in this package is safe for
// concurrent use; there are no locks and no caches. No function modifies its arguments.
package crs
