package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Errors returned by the store. Test for them with [errors.Is]: the returned errors wrap them
// with the layer, feature or key concerned.
var (
	// ErrNotFound: the layer, feature, analysis or setting does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists: a layer with that id already exists.
	ErrExists = errors.New("store: already exists")
	// ErrLocked: Open could not lock the data file because another process (normally another
	// mudi) has it open. The error returned by Open names the file.
	ErrLocked = errors.New("store: data file locked by another process")
)

// lockedError is the error Open returns when the file lock is held elsewhere.
type lockedError struct {
	path string
	wait time.Duration
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("store: %s is in use by another mudi process (no lock after %s); stop it or use another data directory", e.path, e.wait)
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// DefaultTimeout is how long Open waits for the file lock when [Options.Timeout] is zero.
const DefaultTimeout = time.Second

// Options configures [Open]. The zero value is ready to use.
type Options struct {
	// Timeout is how long Open waits for another process to release the file lock before it
	// fails with ErrLocked. Zero or negative means DefaultTimeout; Open never waits forever.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock (several read-only processes may open it, but
	// not while a read-write process holds it). Write methods then fail. The file must exist.
	ReadOnly bool
}

// schemaVersion is the layout version this build writes. Open migrates older files (see
// migrate) and refuses newer ones.
const schemaVersion uint64 = 3

// Top-level bucket names.
var (
	bucketMeta     = []byte("meta")
	bucketLayers   = []byte("layers")
	bucketFeatures = []byte("features")
	bucketHistory  = []byte("history")
	bucketAnalyses = []byte("analyses")
	bucketSettings = []byte("settings")
	// Since schema 2: per layer, the parcels removed by a replace (by code), the change log of
	// its replaces, and the evidence files attached to parcels.
	bucketArchive  = []byte("archive")
	bucketChanges  = []byte("changes")
	bucketEvidence = []byte("evidence")
	// Since schema 3: features of large layers written ahead of the transaction that publishes
	// them (staging.go).
	bucketStaging = []byte("staging")

	topBuckets = [][]byte{bucketMeta, bucketLayers, bucketFeatures, bucketHistory, bucketAnalyses, bucketSettings,
		bucketArchive, bucketChanges, bucketEvidence, bucketStaging}

	// layerBuckets are the top buckets that hold a sub-bucket per layer.
	layerBuckets = [][]byte{bucketFeatures, bucketHistory, bucketArchive, bucketChanges, bucketEvidence, bucketStaging}

	keySchema = []byte("schema")
)

// DB is an open mudi data file. It is safe for concurrent use by multiple goroutines; see the
// package documentation for how reads and writes interact.
type DB struct {
	bolt *bolt.DB
	path string
}

// Open opens the data file at path, creating it and its parent directory if they are absent
// (unless opts.ReadOnly), and checks or writes the schema version, migrating an older file.
//
// It returns an error wrapping ErrLocked, naming the file, when another process holds the file
// and does not release it within opts.Timeout; an error naming the version when the file was
// written by a newer mudi; and an error when the file is not a mudi data file.
func Open(path string, opts Options) (*DB, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("store: create data directory: %w", err)
		}
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  timeout,
		ReadOnly: opts.ReadOnly,
		// The hashmap freelist stays fast as a big file fragments; the freelist is still
		// synced (NoFreelistSync would make every Open scan the whole file), and fsync is on.
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: initialMmapSize(path),
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, &lockedError{path: path, wait: timeout}
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) { // already names the file
		return nil, fmt.Errorf("store: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{bolt: bdb, path: path}
	err = bdb.View(func(tx *bolt.Tx) error { return checkSchema(tx, path) })
	if err != nil && !opts.ReadOnly {
		// A new file to initialise or an older one to migrate (or a foreign file, which
		// initSchema reports).
		err = bdb.Update(func(tx *bolt.Tx) error { return initSchema(tx, path) })
	}
	if err == nil && !opts.ReadOnly {
		err = db.clearStagingIfAny()
	}
	if err != nil {
		bdb.Close()
		return nil, err
	}
	return db, nil
}

// clearStagingIfAny removes features staged by a write that never finished (a crash).
func (db *DB) clearStagingIfAny() error {
	left := false
	_ = db.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketStaging).Cursor().First()
		left = k != nil
		return nil
	})
	if !left {
		return nil
	}
	return db.update(clearStaging)
}

// initialMmapSize returns the size of the memory map to start with: at least 1 GiB, and
// twice the current file so that replacing every layer needs no remap.
//
// Each time a write transaction grows the map, bbolt copies every key and value it holds in
// memory out of the old map ("dereference"): a 100 000-feature import growing a new file
// from 32 KB to 120 MB went through a dozen remaps and 2 GB of copying, 3/4 of its time. On
// Linux the map only reserves address space: the file still grows as data is written, and
// untouched pages cost no memory. On 32-bit platforms the map is left to bbolt.
func initialMmapSize(path string) int {
	if math.MaxInt == math.MaxInt32 {
		return 0
	}
	size := 1 << 30
	if st, err := os.Stat(path); err == nil && 2*st.Size() > int64(size) {
		size = int(2 * st.Size())
	}
	return size
}

// checkSchema verifies, read-only, that the file has the current schema.
func checkSchema(tx *bolt.Tx, path string) error {
	v, err := readSchema(tx, path)
	if err != nil {
		return err
	}
	if v > schemaVersion {
		return fmt.Errorf("store: %s has schema version %d, newer than this mudi (version %d): upgrade mudi", path, v, schemaVersion)
	}
	if v < schemaVersion {
		return fmt.Errorf("store: %s has schema version %d; this mudi reads version %d (open it read-write once to migrate)", path, v, schemaVersion)
	}
	return checkBuckets(tx, path)
}

func checkBuckets(tx *bolt.Tx, path string) error {
	for _, name := range topBuckets {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("store: %s is damaged: bucket %q missing", path, name)
		}
	}
	return nil
}

// readSchema returns the schema version recorded in the meta bucket.
func readSchema(tx *bolt.Tx, path string) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, fmt.Errorf("store: %s is not a mudi data file (no meta bucket)", path)
	}
	v := meta.Get(keySchema)
	if len(v) != 8 {
		return 0, fmt.Errorf("store: %s is not a mudi data file (bad schema record)", path)
	}
	return binary.BigEndian.Uint64(v), nil
}

// initSchema initialises an empty file, or checks and migrates an existing one.
func initSchema(tx *bolt.Tx, path string) error {
	empty := true
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
	if empty {
		for _, name := range topBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("store: initialise %s: %w", path, err)
			}
		}
		return putSchema(tx, schemaVersion)
	}
	v, err := readSchema(tx, path)
	if err != nil {
		return err
	}
	if v > schemaVersion {
		return fmt.Errorf("store: %s has schema version %d, newer than this mudi (version %d): upgrade mudi", path, v, schemaVersion)
	}
	for ; v < schemaVersion; v++ {
		if err := migrate(tx, v); err != nil {
			return fmt.Errorf("store: migrate %s from schema %d to %d: %w", path, v, v+1, err)
		}
		if err := putSchema(tx, v+1); err != nil {
			return err
		}
	}
	return checkBuckets(tx, path)
}

// migrate upgrades the layout from schema version from to from+1 inside tx. Open runs the
// steps in order and records each new version in the same transaction, so a migration is
// all-or-nothing too.
//
//	1 → 2: the parcel ledger — buckets for archived parcels, layer change logs and evidence.
//	2 → 3: features in format version 2 (attribute values packed as they are kept in
//	       memory, see codec_feature.go; archived parcels keep version 1, which is still read),
//	       and the staging bucket (staging.go).
func migrate(tx *bolt.Tx, from uint64) error {
	switch from {
	case 2:
		if _, err := tx.CreateBucketIfNotExists(bucketStaging); err != nil {
			return err
		}
		return rewriteFeatures(tx)
	case 1:
		for _, name := range [][]byte{bucketArchive, bucketChanges, bucketEvidence} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("no migration from schema version %d", from)
	}
}

// rewriteFeatures re-encodes every stored feature in the current format.
func rewriteFeatures(tx *bolt.Tx) error {
	top := tx.Bucket(bucketFeatures)
	var layers [][]byte
	if err := top.ForEachBucket(func(k []byte) error {
		layers = append(layers, slices.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, id := range layers {
		b := top.Bucket(id)
		dec := newFeatureDecoder()
		var enc featureEncoder
		var keys, vals [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("layer %q: bad feature key %x", id, k)
			}
			f, err := dec.decode(spatial.FeatureID(binary.BigEndian.Uint64(k)), v)
			if err != nil {
				return fmt.Errorf("layer %q: %w", id, err)
			}
			nv, err := enc.encode(f)
			if err != nil {
				return fmt.Errorf("layer %q: %w", id, err)
			}
			keys, vals = append(keys, slices.Clone(k)), append(vals, slices.Clone(nv))
			return nil
		})
		if err != nil {
			return err
		}
		for i, k := range keys {
			if err := b.Put(k, vals[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func putSchema(tx *bolt.Tx, v uint64) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return tx.Bucket(bucketMeta).Put(keySchema, b[:])
}

// Close releases the file and its lock. It waits for running transactions to finish.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

// Path returns the data file's path as given to [Open].
func (db *DB) Path() string { return db.path }

// Compact writes a compacted copy of the database to dst, a file that must not exist yet:
// bbolt never shrinks its file, so after large replaces and deletes the copy can be much
// smaller. db stays open and usable; the copy is a consistent snapshot. Swap the files while
// mudi is stopped. On error dst is removed.
func (db *DB) Compact(dst string) (err error) {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("store: compact: %s already exists", dst)
	}
	out, err := bolt.Open(dst, 0o600, &bolt.Options{
		Timeout:         DefaultTimeout,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: initialMmapSize(db.path),
	})
	if err != nil {
		return fmt.Errorf("store: compact: create %s: %w", dst, err)
	}
	// Grow the copy in small steps so it ends close to the size of its data (bbolt's default
	// adds up to 16 MB of slack at each growth).
	out.AllocSize = 1 << 20
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("store: compact: close %s: %w", dst, cerr)
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	// Commit every 64 MB so the copy never holds the whole file in memory; dst is a new file,
	// so intermediate commits are harmless.
	if err := bolt.Compact(out, db.bolt, 64<<20); err != nil {
		return fmt.Errorf("store: compact %s to %s: %w", db.path, dst, err)
	}
	return nil
}

// update runs fn in a read-write transaction.
func (db *DB) update(fn func(tx *bolt.Tx) error) error { return db.bolt.Update(fn) }

// view runs fn in a read-only transaction.
func (db *DB) view(fn func(tx *bolt.Tx) error) error { return db.bolt.View(fn) }
