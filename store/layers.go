package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/paulmach/orb"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mudi-gis/mudi/spatial"
)

// progressEvery is how many features pass between progress calls and between cancellation
// checks in long loops.
const progressEvery = 1000

// Layers returns the metadata of every layer, sorted by id.
func (db *DB) Layers() ([]spatial.Layer, error) {
	var out []spatial.Layer
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLayers).ForEach(func(k, v []byte) error {
			l, err := decodeLayer(v)
			if err != nil {
				return fmt.Errorf("layer %q: %w", k, err)
			}
			out = append(out, l)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Layer returns the metadata of layer id. It returns an error wrapping ErrNotFound if there is
// no such layer.
func (db *DB) Layer(id string) (spatial.Layer, error) {
	var l spatial.Layer
	err := db.view(func(tx *bolt.Tx) (err error) {
		l, err = getLayer(tx, id)
		return err
	})
	return l, err
}

// getLayer reads layer id in tx; ErrNotFound if absent.
func getLayer(tx *bolt.Tx, id string) (spatial.Layer, error) {
	v := tx.Bucket(bucketLayers).Get([]byte(id))
	if v == nil {
		return spatial.Layer{}, fmt.Errorf("layer %q: %w", id, ErrNotFound)
	}
	l, err := decodeLayer(v)
	if err != nil {
		return spatial.Layer{}, fmt.Errorf("layer %q: %w", id, err)
	}
	return l, nil
}

func putLayer(tx *bolt.Tx, l spatial.Layer) error {
	v, err := encodeLayer(l)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketLayers).Put([]byte(l.ID), v)
}

// releaseEvery is how many features LoadLayer decodes between two releases of the mapped file
// pages it read (see releaseMapped): about 40 MB of a parcels layer.
const releaseEvery = 1 << 16

// LoadLayer returns layer id and all its features in id order, read from one consistent
// snapshot. The features are new values owned by the caller; their geometries share backing
// arrays with other features of the same load and must not be modified in place (see
// [spatial.Feature]). Features with the same attribute names share them.
//
// It returns an error wrapping ErrNotFound if there is no such layer, and ctx.Err() (wrapped)
// if ctx is cancelled during the load.
func (db *DB) LoadLayer(ctx context.Context, id string) (spatial.Layer, []*spatial.Feature, error) {
	var (
		l  spatial.Layer
		fs []*spatial.Feature
	)
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		if l, err = getLayer(tx, id); err != nil {
			return err
		}
		fb := tx.Bucket(bucketFeatures).Bucket([]byte(id))
		if fb == nil {
			return errors.New("features bucket missing")
		}
		fs = make([]*spatial.Feature, 0, min(max(l.FeatureCount, 0), 1<<24))
		dec := newFeatureDecoder()
		c := fb.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(fs)%progressEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(fs)%releaseEvery == 0 {
				releaseMapped(tx)
			}
			if len(k) != 8 || v == nil {
				return fmt.Errorf("bad feature key %x", k)
			}
			f, err := dec.decode(spatial.FeatureID(binary.BigEndian.Uint64(k)), v)
			if err != nil {
				return err
			}
			if f.Geometry == nil { // never written so; it would crash the index build
				return fmt.Errorf("feature %d: %w: no geometry", f.ID, errCorrupt)
			}
			fs = append(fs, f)
		}
		releaseMapped(tx)
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return spatial.Layer{}, nil, err
	}
	if err != nil {
		return spatial.Layer{}, nil, fmt.Errorf("store: load layer %q: %w", id, err)
	}
	l.FeatureCount = len(fs)
	return l, fs, nil
}

// CreateLayer stores a new layer l with features fs in a transaction of its own, all or
// nothing: on any error, including a cancelled ctx or a crash, the store is left as it was.
// See [Tx.CreateLayer].
func (db *DB) CreateLayer(ctx context.Context, l spatial.Layer, fs []*spatial.Feature, progress func(done int)) error {
	return db.Update(func(tx *Tx) error { return tx.CreateLayer(ctx, l, fs, progress, nil) })
}

// ReplaceLayer atomically replaces layer l.ID, all or nothing; see [Tx.ReplaceLayer].
func (db *DB) ReplaceLayer(ctx context.Context, l spatial.Layer, fs []*spatial.Feature, progress func(done int)) error {
	return db.Update(func(tx *Tx) error { return tx.ReplaceLayer(ctx, l, fs, progress, nil) })
}

// DeleteLayer removes layer id, its features and their history in one transaction; see
// [Tx.DeleteLayer].
func (db *DB) DeleteLayer(id string) error {
	return db.Update(func(tx *Tx) error { return tx.DeleteLayer(id) })
}

// PutLayerMeta replaces the metadata of existing layer l.ID; see [Tx.PutLayerMeta].
func (db *DB) PutLayerMeta(l spatial.Layer) error {
	return db.Update(func(tx *Tx) error { return tx.PutLayerMeta(l) })
}

// prepareFeatures validates fs and returns them sorted by id (a copy if fs is not sorted) with
// the union of their bounds.
func prepareFeatures(fs []*spatial.Feature) ([]*spatial.Feature, orb.Bound, error) {
	var bound orb.Bound
	for i, f := range fs {
		if err := checkFeature(f); err != nil {
			return nil, bound, fmt.Errorf("feature at index %d: %w", i, err)
		}
		b := f.Bound()
		if !finite(b) {
			return nil, bound, fmt.Errorf("feature %d: non-finite coordinates", f.ID)
		}
		if i == 0 {
			bound = b
		} else {
			bound = bound.Union(b)
		}
	}
	cmp := func(a, b *spatial.Feature) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	}
	if !slices.IsSortedFunc(fs, cmp) {
		fs = slices.Clone(fs)
		slices.SortFunc(fs, cmp)
	}
	for i := 1; i < len(fs); i++ {
		if fs[i].ID == fs[i-1].ID {
			return nil, bound, fmt.Errorf("duplicate feature id %d", fs[i].ID)
		}
	}
	return fs, bound, nil
}

// checkFeature rejects features that would break a restart: the index needs a geometry to
// compute a bound, and ids start at 1.
func checkFeature(f *spatial.Feature) error {
	switch {
	case f == nil:
		return errors.New("nil feature")
	case f.ID == 0:
		return errors.New("feature id 0 (ids start at 1)")
	case f.Geometry == nil:
		return fmt.Errorf("feature %d: no geometry", f.ID)
	}
	return nil
}

// recreateBucket returns an empty nested bucket name in parent, deleting any existing one.
func recreateBucket(parent *bolt.Bucket, name []byte) (*bolt.Bucket, error) {
	if err := parent.DeleteBucket(name); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return nil, err
	}
	return parent.CreateBucket(name)
}

// writeFeatures puts fs, sorted by id, into the empty bucket b of a write transaction.
func writeFeatures(ctx context.Context, b *bolt.Bucket, fs []*spatial.Feature, progress func(int)) error {
	// Keys arrive in ascending order into an empty bucket: fill pages completely.
	b.FillPercent = 1.0
	var (
		enc featureEncoder
		mem arena
	)
	for i, f := range fs {
		if i%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil && i > 0 {
				progress(i)
			}
		}
		v, err := enc.encode(f)
		if err != nil {
			return err
		}
		// bbolt keeps the key and value slices until the commit: they must not be reused.
		if err := b.Put(mem.copy(fidKey(f.ID)), mem.copy(v)); err != nil {
			return fmt.Errorf("feature %d: %w", f.ID, err)
		}
	}
	if progress != nil {
		progress(len(fs))
	}
	return ctx.Err()
}

// pruneHistory deletes, from the history of layer id, the entries of features that are neither
// in fs (sorted by id) nor archived parcels.
func pruneHistory(ctx context.Context, tx *bolt.Tx, id []byte, fs []*spatial.Feature) error {
	hb := tx.Bucket(bucketHistory).Bucket(id)
	if hb == nil {
		_, err := tx.Bucket(bucketHistory).CreateBucket(id)
		return err
	}
	archived, err := archivedIDs(tx, id)
	if err != nil {
		return err
	}
	var doomed [][]byte
	c := hb.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != 16 {
			return fmt.Errorf("bad history key %x", k)
		}
		fid := spatial.FeatureID(binary.BigEndian.Uint64(k))
		_, found := slices.BinarySearchFunc(fs, fid, func(f *spatial.Feature, id spatial.FeatureID) int {
			switch {
			case f.ID < id:
				return -1
			case f.ID > id:
				return 1
			}
			return 0
		})
		if _, kept := slices.BinarySearch(archived, fid); !found && !kept {
			doomed = append(doomed, slices.Clone(k))
		}
	}
	// Delete after the walk: deleting under a moving cursor can skip keys.
	for i, k := range doomed {
		if i%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := hb.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// arena hands out copies of byte slices carved from blocks, so that a bulk write does not
// allocate once per key and value. Blocks start small (an edit writes one feature) and double up
// to 1 MiB; they are never reused.
type arena struct {
	block []byte
	size  int
}

const (
	arenaFirst = 4 << 10
	arenaMax   = 1 << 20
)

func (a *arena) copy(b []byte) []byte {
	if cap(a.block)-len(a.block) < len(b) {
		a.size = min(max(2*a.size, arenaFirst), arenaMax)
		a.block = make([]byte, 0, max(a.size, len(b)))
	}
	n := len(a.block)
	a.block = append(a.block, b...)
	return a.block[n:len(a.block):len(a.block)]
}
