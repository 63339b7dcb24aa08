// Package cql2 parses and evaluates the subset of OGC CQL2 text (Common Query Language, OGC
// 21-065r2) that mudi accepts in the filter parameter of OGC API – Features and of analyses.
// It knows nothing of HTTP.
//
// The subset:
//
//   - comparisons =, <>, <, <=, >, >= between properties and literals;
//   - x [NOT] IN (a, b, …), x [NOT] LIKE 'pattern' (% any run of characters, _ one
//     character, \ escapes the next one), x [NOT] BETWEEN a AND b, x IS [NOT] NULL;
//   - AND, OR, NOT and parentheses; TRUE and FALSE as predicates;
//   - literals: strings in single quotes (a quote inside written twice), numbers (integers
//     stay integers), TRUE/FALSE,
//     DATE('2024-06-30') and TIMESTAMP('2024-06-30T08:00:00Z');
//   - property names bare (letters of any script, digits, _, :, .) or double-quoted ("地块 编号",
//     "" for a quote); keywords are case-insensitive;
//   - S_INTERSECTS(geometry, literal) with BBOX(west, south, east, north), POINT(x y),
//     POLYGON((x y, …), …) or MULTIPOLYGON(((x y, …)), …).
//
// Evaluation follows [spatial.Feature.Properties]: source attributes, shadowed by the derived
// attributes mudi computes. Numbers compare numerically whether stored as int64 or float64;
// strings compare bytewise; booleans support only = and <>. A comparison, LIKE, IN or BETWEEN
// whose operand is missing, null or of another type is false, and so are their NOT forms:
// `x <> 1` and `x NOT IN (1)` are false for a feature without x, while NOT (x = 1) is true.
//
// Coordinates of geometry literals are CRS84 longitude/latitude unless [ParseCRS] names another
// CRS, in which case they follow that CRS's axis order (EPSG:4490 latitude first, Gauss-Krüger
// northing first) and are converted to lon/lat once, at parse time. S_INTERSECTS is exact in
// the lon/lat plane: boundaries that touch intersect. Edges of literals in a projected CRS are
// densified (a vertex every 100 m, at most 1000 per edge) before conversion, so that they follow
// the projected straight line closely.
package cql2
