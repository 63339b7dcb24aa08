// Package analysis is mudi's overlay analysis engine (docs/domain.md §4): small parcels, parcels
// outside the industrial land control line, contiguous blocks, their combinations, the derived
// attributes of a parcels layer ([Derive]) and per-group statistics ([Stats]).
//
// One engine runs every question: select parcels (status or the low-efficiency rule, an
// attribute filter, a bounding box) → optionally overlay them with a control layer → optionally
// group them into contiguous blocks → filter parcels or blocks by area and position. A [Spec]
// describes the request; [SmallParcels], [OutsideControl] and [ContiguousBlocks] are the three
// presets; [Run] executes it on immutable [spatial.Snapshot]s and returns a [Result] that
// encodes as a GeoJSON FeatureCollection with a "summary" member.
//
// Coordinates are lon/lat degrees (CGCS2000 ≈ WGS 84). Areas are ellipsoidal
// ([spatial.AreaM2], as PostGIS ST_Area(geography)); 1 亩 = 10000/15 m². Overlay geometry is
// computed in the lon/lat plane, as PostGIS ST_Intersection on geometry does before ::geography:
//
//   - outside_ratio = 1 − area(parcel ∩ ⋃ control polygons)/area(parcel). Most parcels are
//     decided without overlay: a parcel whose bound meets no control polygon is outside, and an
//     exact classification of its boundary against the control polygons' boundaries (orientation
//     predicates in exact arithmetic; relate.go) proves most others wholly inside or wholly
//     outside even when they share edges or vertices with the control line. For parcels whose
//     boundary crosses the control line, the boundary of the intersection is assembled from
//     noded boundary pieces and its ellipsoidal area summed edge by edge with Karney's S12
//     terms (overlay_area.go) — the same number PostGIS's
//     ST_Area(ST_Intersection(p, u)::geography) gives, without building the polygon. Only the
//     rare pieces too close to another boundary to classify go to simplefeatures' port of JTS
//     OverlayNG, intersecting the parcel with the control polygons that touch it (large ones
//     clipped to the parcel's neighbourhood first) and unioning the parts.
//   - Two parcels are linked when they share a point (tolerance 0; exact predicate) or when
//     their geodesic distance is at most tolerance_m: the closest pair of points is found in a
//     local plane scaled by the ellipsoid's radii at the pair's latitude and measured with
//     [spatial.DistanceM], matching PostGIS ST_DWithin(geography) far within 1 % of the
//     tolerance. Blocks are connected components (union-find).
//   - A block's area is that of the union of its members: members whose interiors are disjoint
//     add their areas; members whose interiors overlap are unioned by overlay first. Its
//     geometry dissolves shared edges by cancelling opposite directed edges (a coverage of
//     parcels shares identical edges) and falls back to an overlay union when that does not
//     rebuild a result with the expected area.
//
// Every function that walks many parcels takes a context, runs on runtime.GOMAXPROCS workers
// and returns ctx.Err() when it is cancelled. Nothing is cached between calls; inputs are never
// modified.
package analysis
