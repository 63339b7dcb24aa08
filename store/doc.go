// Package store persists mudi's layers, features, feature history, saved analyses and small
// settings in a single bbolt file. It owns the bucket layout, the key encoding, the versioned
// value encoding and the schema migrations, and returns [spatial] domain types: callers never
// see bbolt. Geometry is stored exactly as given (lon/lat degrees, see package spatial).
//
// # Layout
//
//	meta      "schema" → 8-byte big-endian schema version (the migration hook)
//	layers    layer id → encoded [spatial.Layer]
//	features  layer id → nested bucket: 8-byte big-endian FeatureID → encoded feature
//	history   layer id → nested bucket: 8-byte BE FeatureID + 8-byte BE Seq → encoded change
//	analyses  analysis id → document
//	settings  key → value
//
// Big-endian ids make cursor order equal to id order, so features load in id order and a
// feature's history in Seq order.
//
// # Values
//
// Every value (except the schema number itself) starts with a format version byte; decoding a
// version this build does not know is an error naming it, so a newer file is never misread.
// Layers are JSON (with the bound, which [spatial.Layer] leaves out of its JSON). Changes are
// JSON with typed before/after values, so an int64 stays an int64. Features use a compact
// binary format (see codec_feature.go) because restart decodes every feature of every layer.
//
// # Atomicity and concurrency
//
// Each exported method runs in one bbolt transaction: an import, replace or delete of 100 000
// features is applied completely or not at all, even if the process is killed (bbolt commits
// by writing and fsyncing a new meta page last). A [DB] is safe for concurrent use by multiple
// goroutines. Writes are serialised (one writer at a time); readers work on a consistent
// snapshot and are not blocked by writers. (Only when the file outgrows its memory map —
// initially 1 GiB or twice the file, whichever is larger — does a write wait for open read
// transactions such as a running [DB.LoadLayer] to finish.)
//
// Only one process can open the file: a second [Open] fails with [ErrLocked] after
// [Options.Timeout] instead of hanging.
package store
