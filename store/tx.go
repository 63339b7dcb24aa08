package store

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mudi-gis/mudi/spatial"
)

// Tx is one write transaction. Everything done through it is committed together when the
// function given to [DB.Update] returns nil, and nothing of it when that function returns an
// error or the process dies first: a change that needs several writes (a control layer and the
// recomputed attributes of the parcels layers that use it; a saved analysis and its layer) is
// one Tx.
type Tx struct {
	tx *bolt.Tx
	// after runs once the transaction has committed (to hand back history sequence numbers).
	after []func()
}

// Update runs fn in one write transaction and commits it when fn returns nil.
func (db *DB) Update(fn func(tx *Tx) error) error {
	t := &Tx{}
	err := db.update(func(btx *bolt.Tx) error {
		t.tx = btx
		return fn(t)
	})
	if err != nil {
		return err
	}
	for _, f := range t.after {
		f()
	}
	return nil
}

// CreateLayer stores a new layer l with features fs. It records FeatureCount and Bound computed
// from fs (overriding those of l); everything else in l is stored as given, Version included
// (the caller keeps versions). fs need not be sorted and is not modified.
//
// progress, if not nil, is called with the number of features written so far every 1000
// features and once at the end.
//
// staged, when not nil, holds fs written ahead by [DB.Stage]: they are moved into place instead
// of written (and progress is not called).
//
// It returns an error wrapping ErrExists if layer l.ID exists, an error if l.ID is not a valid
// layer id or a feature is invalid (nil, id 0, duplicate id, nil geometry, non-finite bound),
// and ctx.Err() (wrapped) if ctx is cancelled.
func (t *Tx) CreateLayer(ctx context.Context, l spatial.Layer, fs []*spatial.Feature, progress func(done int), staged *Staged) error {
	if !spatial.ValidLayerID(l.ID) {
		return fmt.Errorf("store: create layer: invalid layer id %q", l.ID)
	}
	sorted, bound, err := prepareFeatures(fs)
	if err != nil {
		return fmt.Errorf("store: create layer %q: %w", l.ID, err)
	}
	l.FeatureCount, l.Bound = len(sorted), bound
	id := []byte(l.ID)
	if t.tx.Bucket(bucketLayers).Get(id) != nil {
		return fmt.Errorf("layer %q: %w", l.ID, ErrExists)
	}
	err = func() error {
		if err := putLayer(t.tx, l); err != nil {
			return err
		}
		if _, err := recreateBucket(t.tx.Bucket(bucketHistory), id); err != nil {
			return err
		}
		return t.putFeatures(ctx, id, sorted, progress, staged)
	}()
	if err != nil {
		return fmt.Errorf("store: create layer %q: %w", l.ID, err)
	}
	return nil
}

// ReplaceLayer replaces the features of existing layer l.ID with fs and its metadata with l (as
// CreateLayer; FeatureCount and Bound are computed from fs). Features not in fs are removed.
// History follows feature ids: the history of a feature whose id is in fs is kept, the history
// of every other feature is deleted with it.
//
// It returns an error wrapping ErrNotFound if layer l.ID does not exist, and the errors of
// CreateLayer for invalid features or a cancelled ctx. staged is as for CreateLayer.
func (t *Tx) ReplaceLayer(ctx context.Context, l spatial.Layer, fs []*spatial.Feature, progress func(done int), staged *Staged) error {
	sorted, bound, err := prepareFeatures(fs)
	if err != nil {
		return fmt.Errorf("store: replace layer %q: %w", l.ID, err)
	}
	l.FeatureCount, l.Bound = len(sorted), bound
	id := []byte(l.ID)
	if t.tx.Bucket(bucketLayers).Get(id) == nil {
		return fmt.Errorf("layer %q: %w", l.ID, ErrNotFound)
	}
	err = func() error {
		if err := putLayer(t.tx, l); err != nil {
			return err
		}
		if err := t.putFeatures(ctx, id, sorted, progress, staged); err != nil {
			return err
		}
		return pruneHistory(ctx, t.tx, id, sorted)
	}()
	if err != nil {
		return fmt.Errorf("store: replace layer %q: %w", l.ID, err)
	}
	return nil
}

// putFeatures makes sorted the features of layer id: moved into place when staged, else written.
func (t *Tx) putFeatures(ctx context.Context, id []byte, sorted []*spatial.Feature, progress func(done int), staged *Staged) error {
	if staged != nil {
		return t.publishStaged(id, staged)
	}
	fb, err := recreateBucket(t.tx.Bucket(bucketFeatures), id)
	if err != nil {
		return err
	}
	return writeFeatures(ctx, fb, sorted, progress)
}

// DeleteLayer removes layer id, its features and their history. It returns an error wrapping
// ErrNotFound if there is no such layer.
func (t *Tx) DeleteLayer(id string) error {
	k := []byte(id)
	layers := t.tx.Bucket(bucketLayers)
	if layers.Get(k) == nil {
		return fmt.Errorf("layer %q: %w", id, ErrNotFound)
	}
	if err := layers.Delete(k); err != nil {
		return fmt.Errorf("store: delete layer %q: %w", id, err)
	}
	for _, name := range layerBuckets {
		err := t.tx.Bucket(name).DeleteBucket(k)
		if err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return fmt.Errorf("store: delete layer %q: %s: %w", id, name, err)
		}
	}
	return nil
}

// PutLayerMeta replaces the metadata of existing layer l.ID (title, roles, control layer,
// version …) with l, except FeatureCount and Bound, which describe the stored features and
// are kept. It returns an error wrapping ErrNotFound if there is no such layer.
func (t *Tx) PutLayerMeta(l spatial.Layer) error {
	old, err := getLayer(t.tx, l.ID)
	if err != nil {
		return err
	}
	l.FeatureCount, l.Bound = old.FeatureCount, old.Bound
	return putLayer(t.tx, l)
}

// PutAnalysis stores doc as analysis id, replacing any previous one. doc is copied.
func (t *Tx) PutAnalysis(id string, doc []byte) error {
	if id == "" {
		return errors.New("store: put analysis: empty id")
	}
	return t.tx.Bucket(bucketAnalyses).Put([]byte(id), withVersion(analysisFormatV1, doc))
}

// DeleteAnalysis removes analysis id. It returns an error wrapping ErrNotFound if there is no
// such analysis.
func (t *Tx) DeleteAnalysis(id string) error {
	return deleteDoc(t.tx, bucketAnalyses, "analysis", id)
}

// PutSetting sets setting key to v (copied).
func (t *Tx) PutSetting(key string, v []byte) error {
	if key == "" {
		return errors.New("store: put setting: empty key")
	}
	return t.tx.Bucket(bucketSettings).Put([]byte(key), withVersion(settingFormatV1, v))
}

func deleteDoc(tx *bolt.Tx, bucket []byte, what, id string) error {
	b := tx.Bucket(bucket)
	if b.Get([]byte(id)) == nil {
		return fmt.Errorf("%s %q: %w", what, id, ErrNotFound)
	}
	return b.Delete([]byte(id))
}
