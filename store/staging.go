package store

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mudi-gis/mudi/spatial"
)

// Writing a large layer in one bbolt transaction holds every encoded feature and every new page
// in memory until the commit: about twice the layer's size on disk (2.4 GB for a million
// parcels). So a large layer is staged: its features are written ahead, a batch per
// transaction, into the bucket staging/<layer id>, which no reader looks at; the transaction
// that publishes the layer then moves that bucket into place, which costs nothing. The write
// stays all-or-nothing: until that transaction commits, the layer is as it was, and a staged
// bucket left by a failed write or a crash is removed by the next Stage of the layer or the next
// Open.

// StageAbove is the number of features above which the application stages a layer's features
// (smaller layers are written in the publishing transaction itself).
const StageAbove = 50_000

// stageBatch is the number of features written per staging transaction.
const stageBatch = 32_768

// Staged is a layer's features written ahead by [DB.Stage], for [Tx.CreateLayer] or
// [Tx.ReplaceLayer] to publish.
type Staged struct {
	layer string
}

// Stage writes fs (validated and sorted as [Tx.CreateLayer] does) into the staging bucket of
// layer, replacing anything staged there before. progress, if not nil, is called with the number
// of features written so far.
func (db *DB) Stage(ctx context.Context, layer string, fs []*spatial.Feature, progress func(done int)) (*Staged, error) {
	sorted, _, err := prepareFeatures(fs)
	if err != nil {
		return nil, fmt.Errorf("store: stage layer %q: %w", layer, err)
	}
	id := []byte(layer)
	err = db.update(func(tx *bolt.Tx) error {
		_, err := recreateBucket(tx.Bucket(bucketStaging), id)
		return err
	})
	for lo := 0; err == nil && lo < len(sorted); lo += stageBatch {
		batch := sorted[lo:min(lo+stageBatch, len(sorted))]
		err = db.update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketStaging).Bucket(id)
			if b == nil {
				return errors.New("staging bucket vanished")
			}
			return writeFeatures(ctx, b, batch, func(done int) {
				if progress != nil {
					progress(lo + done)
				}
			})
		})
	}
	if err != nil {
		db.Unstage(layer)
		return nil, fmt.Errorf("store: stage layer %q: %w", layer, err)
	}
	return &Staged{layer: layer}, nil
}

// Unstage removes what is staged for layer, if anything.
func (db *DB) Unstage(layer string) {
	_ = db.update(func(tx *bolt.Tx) error { return dropStaged(tx, []byte(layer)) })
}

func dropStaged(tx *bolt.Tx, id []byte) error {
	err := tx.Bucket(bucketStaging).DeleteBucket(id)
	if errors.Is(err, bolterrors.ErrBucketNotFound) {
		return nil
	}
	return err
}

// clearStaging removes every staged bucket (Open does it: nothing staged survives a restart).
func clearStaging(tx *bolt.Tx) error {
	st := tx.Bucket(bucketStaging)
	var names [][]byte
	if err := st.ForEachBucket(func(k []byte) error {
		names = append(names, append([]byte(nil), k...))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range names {
		if err := st.DeleteBucket(k); err != nil {
			return err
		}
	}
	return nil
}

// publishStaged moves the staged features of s into place as the features of layer id.
func (t *Tx) publishStaged(id []byte, s *Staged) error {
	if s.layer != string(id) {
		return fmt.Errorf("staged features of layer %q published as %q", s.layer, id)
	}
	top := t.tx.Bucket(bucketFeatures)
	if err := top.DeleteBucket(id); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return err
	}
	st := t.tx.Bucket(bucketStaging)
	b := st.Bucket(id)
	if b == nil {
		return errors.New("nothing staged (a restart removed it)")
	}
	return st.MoveBucket(id, top)
}
