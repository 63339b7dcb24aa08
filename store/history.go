package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/mudi-gis/mudi/spatial"
)

// UpdateFeatures writes, in one transaction, the modified features fs of layer l.ID (each
// must already exist), appends changes to the history of the features they name, and stores l
// as the layer's metadata (FeatureCount is kept; l.Bound must cover the updated geometries, as
// [spatial.Snapshot.WithFeatures] computes it). Either all of it is applied or none.
//
// Each feature's history entries are numbered on from its last Seq (1 for the first), in the
// order given; the Seq fields in changes are ignored and, on success, set to the numbers
// assigned. Times are stored as given.
//
// It returns an error wrapping ErrNotFound naming the layer if it does not exist, or naming
// the feature id if a feature in fs or a key of changes does not exist; nothing is written
// then. It also fails on an invalid feature or an attribute or change value of an unsupported
// type.
func (db *DB) UpdateFeatures(l spatial.Layer, fs []*spatial.Feature, changes map[spatial.FeatureID][]spatial.Change) error {
	return db.Update(func(tx *Tx) error { return tx.UpdateFeatures(l, fs, changes) })
}

// UpdateFeatures is [DB.UpdateFeatures] within a transaction; the Seq fields of changes are set
// once the transaction has committed.
func (t *Tx) UpdateFeatures(l spatial.Layer, fs []*spatial.Feature, changes map[spatial.FeatureID][]spatial.Change) error {
	for i, f := range fs {
		if err := checkFeature(f); err != nil {
			return fmt.Errorf("store: update layer %q: feature at index %d: %w", l.ID, i, err)
		}
	}
	fids := make([]spatial.FeatureID, 0, len(changes))
	for fid, cs := range changes {
		if len(cs) > 0 {
			fids = append(fids, fid)
		}
	}
	slices.Sort(fids)
	var seqs []assigned
	err := func(tx *bolt.Tx) error {
		old, err := getLayer(tx, l.ID)
		if err != nil {
			return err
		}
		id := []byte(l.ID)
		fb := tx.Bucket(bucketFeatures).Bucket(id)
		if fb == nil {
			return errors.New("features bucket missing")
		}
		var (
			enc featureEncoder
			mem arena
		)
		for _, f := range fs {
			k := fidKey(f.ID)
			if fb.Get(k) == nil {
				return fmt.Errorf("layer %q feature %d: %w", l.ID, f.ID, ErrNotFound)
			}
			v, err := enc.encode(f)
			if err != nil {
				return err
			}
			if err := fb.Put(k, mem.copy(v)); err != nil {
				return fmt.Errorf("feature %d: %w", f.ID, err)
			}
		}
		var err2 error
		if seqs, err2 = appendHistory(tx, l.ID, fb, fids, changes); err2 != nil {
			return err2
		}
		l.FeatureCount = old.FeatureCount
		return putLayer(tx, l)
	}(t.tx)
	if errors.Is(err, ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("store: update layer %q: %w", l.ID, err)
	}
	t.after = append(t.after, func() {
		for _, a := range seqs {
			a.c.Seq = a.seq
		}
	})
	return nil
}

// AppendHistory appends changes to the history of the features they name, which must exist
// in layer (written earlier in the transaction, for a replace). The Seq fields are set once
// the transaction has committed.
func (t *Tx) AppendHistory(layer string, changes map[spatial.FeatureID][]spatial.Change) error {
	fb := t.tx.Bucket(bucketFeatures).Bucket([]byte(layer))
	if fb == nil {
		return fmt.Errorf("layer %q: %w", layer, ErrNotFound)
	}
	fids := make([]spatial.FeatureID, 0, len(changes))
	for fid, cs := range changes {
		if len(cs) > 0 {
			fids = append(fids, fid)
		}
	}
	slices.Sort(fids)
	seqs, err := appendHistory(t.tx, layer, fb, fids, changes)
	if err != nil {
		return fmt.Errorf("store: history of layer %q: %w", layer, err)
	}
	t.after = append(t.after, func() {
		for _, a := range seqs {
			a.c.Seq = a.seq
		}
	})
	return nil
}

type assigned struct {
	c   *spatial.Change
	seq uint64
}

// appendHistory appends changes[fid] for each of fids (sorted) to the history of layer.
func appendHistory(tx *bolt.Tx, layer string, fb *bolt.Bucket, fids []spatial.FeatureID, changes map[spatial.FeatureID][]spatial.Change) ([]assigned, error) {
	hb, err := tx.Bucket(bucketHistory).CreateBucketIfNotExists([]byte(layer))
	if err != nil {
		return nil, err
	}
	var seqs []assigned
	for _, fid := range fids {
		if fb.Get(fidKey(fid)) == nil {
			return nil, fmt.Errorf("layer %q feature %d: %w", layer, fid, ErrNotFound)
		}
		seq, err := lastSeq(hb, fid)
		if err != nil {
			return nil, err
		}
		cs := changes[fid]
		for i := range cs {
			seq++
			v, err := encodeChange(cs[i])
			if err != nil {
				return nil, fmt.Errorf("feature %d: %w", fid, err)
			}
			if err := hb.Put(historyKey(fid, seq), v); err != nil {
				return nil, fmt.Errorf("feature %d: %w", fid, err)
			}
			seqs = append(seqs, assigned{&cs[i], seq})
		}
	}
	return seqs, nil
}

// lastSeq returns the Seq of the last history entry of feature fid, 0 if it has none.
func lastSeq(hb *bolt.Bucket, fid spatial.FeatureID) (uint64, error) {
	c := hb.Cursor()
	var k []byte
	if fid == math.MaxUint64 {
		k, _ = c.Last()
	} else if k, _ = c.Seek(historyKey(fid+1, 0)); k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil {
		return 0, nil
	}
	if len(k) != 16 {
		return 0, fmt.Errorf("bad history key %x", k)
	}
	if binary.BigEndian.Uint64(k) != uint64(fid) {
		return 0, nil
	}
	seq := binary.BigEndian.Uint64(k[8:])
	if seq == math.MaxUint64 {
		return 0, fmt.Errorf("feature %d: history full", fid)
	}
	return seq, nil
}

// History returns the history of feature id of layer layerID in Seq order; an empty, non-nil
// slice if it has none. It returns an error wrapping ErrNotFound if the layer or the feature
// does not exist.
func (db *DB) History(layerID string, id spatial.FeatureID) ([]spatial.Change, error) {
	out := []spatial.Change{}
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := getLayer(tx, layerID); err != nil {
			return err
		}
		lk := []byte(layerID)
		fb := tx.Bucket(bucketFeatures).Bucket(lk)
		if fb == nil || fb.Get(fidKey(id)) == nil {
			archived, err := archivedIDs(tx, lk)
			if err != nil {
				return err
			}
			if _, ok := slices.BinarySearch(archived, id); !ok {
				return fmt.Errorf("layer %q feature %d: %w", layerID, id, ErrNotFound)
			}
		}
		hb := tx.Bucket(bucketHistory).Bucket(lk)
		if hb == nil {
			return nil
		}
		prefix := fidKey(id)
		c := hb.Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) >= 8 && string(k[:8]) == string(prefix); k, v = c.Next() {
			if len(k) != 16 {
				return fmt.Errorf("store: layer %q: bad history key %x", layerID, k)
			}
			ch, err := decodeChange(binary.BigEndian.Uint64(k[8:]), v)
			if err != nil {
				return fmt.Errorf("layer %q feature %d: %w", layerID, id, err)
			}
			out = append(out, ch)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EditFeatures writes the features put of layer l.ID (new ones or new versions), deletes the
// features removed, appends changes to the histories of the features they name (the history of
// a removed feature is kept: archive it first when it is a parcel with a code) and stores l as
// the layer's metadata — its FeatureCount and Bound as the caller computed them for the result.
func (t *Tx) EditFeatures(l spatial.Layer, put []*spatial.Feature, removed []spatial.FeatureID, changes map[spatial.FeatureID][]spatial.Change) error {
	for i, f := range put {
		if err := checkFeature(f); err != nil {
			return fmt.Errorf("store: edit layer %q: feature at index %d: %w", l.ID, i, err)
		}
	}
	if _, err := getLayer(t.tx, l.ID); err != nil {
		return err
	}
	fb := t.tx.Bucket(bucketFeatures).Bucket([]byte(l.ID))
	if fb == nil {
		return errors.New("store: features bucket missing")
	}
	var (
		enc featureEncoder
		mem arena
	)
	for _, f := range put {
		v, err := enc.encode(f)
		if err != nil {
			return err
		}
		if err := fb.Put(mem.copy(fidKey(f.ID)), mem.copy(v)); err != nil {
			return fmt.Errorf("feature %d: %w", f.ID, err)
		}
	}
	for _, id := range removed {
		if fb.Get(fidKey(id)) == nil {
			return fmt.Errorf("layer %q feature %d: %w", l.ID, id, ErrNotFound)
		}
		if err := fb.Delete(fidKey(id)); err != nil {
			return err
		}
	}
	if err := putLayer(t.tx, l); err != nil {
		return err
	}
	live := map[spatial.FeatureID][]spatial.Change{}
	for id, cs := range changes {
		if !slices.Contains(removed, id) {
			live[id] = cs
		}
	}
	return t.AppendHistory(l.ID, live)
}

// LayerHistory returns the history of every feature of layer (archived parcels included), by
// feature id, each oldest first.
func (db *DB) LayerHistory(layerID string) (map[spatial.FeatureID][]spatial.Change, error) {
	out := map[spatial.FeatureID][]spatial.Change{}
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := getLayer(tx, layerID); err != nil {
			return err
		}
		hb := tx.Bucket(bucketHistory).Bucket([]byte(layerID))
		if hb == nil {
			return nil
		}
		return hb.ForEach(func(k, v []byte) error {
			if len(k) != 16 {
				return fmt.Errorf("store: layer %q: bad history key %x", layerID, k)
			}
			id := spatial.FeatureID(binary.BigEndian.Uint64(k[:8]))
			ch, err := decodeChange(binary.BigEndian.Uint64(k[8:]), v)
			if err != nil {
				return fmt.Errorf("layer %q feature %d: %w", layerID, id, err)
			}
			out[id] = append(out[id], ch)
			return nil
		})
	})
	return out, err
}
