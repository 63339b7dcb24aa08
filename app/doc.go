// Package app is mudi's application core: every use case that changes or reads the land data
// lives here, below the HTTP adapter (package api) and the command line (cmd/mudi), which both
// parse their input, call one method of [App] and present the result.
//
// The App owns the three copies of the data and keeps them in step: the store (bbolt, the
// truth), the index (the published, immutable snapshots that readers use) and the tile cache.
// Every write follows one path (see commit in change.go):
//
//  1. under the App's write lock, the use case builds the new state of each layer it touches
//     and the computed attributes that depend on it (the parcels layers whose control layer
//     changed are re-derived as part of the same change);
//  2. one bbolt transaction writes all of it, so a crash leaves either the whole old or the
//     whole new state;
//  3. only then is each new snapshot published, and the tile cache told exactly which tiles
//     changed — from the difference between the old and the new snapshot, never by the caller.
//
// Once the input has been read, a write does not depend on the caller's connection: a client
// that disconnects during a long replace cannot leave it half-applied or its dependants stale.
//
// The design is described in docs/design.md.
package app
