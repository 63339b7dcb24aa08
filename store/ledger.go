package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mudi-gis/mudi/spatial"
)

// Archived is a parcel that a replace removed: its last state, kept under its code so that its
// ledger stays readable and its id and history come back if the code is imported again.
type Archived struct {
	Code    string
	Feature *spatial.Feature
	Version uint64    // the layer version that removed it
	Time    time.Time // when
}

const archiveFormatV1 = 1

type archiveRecord struct {
	ID      uint64    `json:"id"`
	Version uint64    `json:"version"`
	Time    time.Time `json:"time"`
	Feature []byte    `json:"feature"` // the feature codec
}

// layerBucket returns the sub-bucket of layer id in top bucket top, creating it when create is
// set (nil when it does not exist and create is not set).
func layerBucket(tx *bolt.Tx, top []byte, id string, create bool) (*bolt.Bucket, error) {
	b := tx.Bucket(top)
	if !create {
		return b.Bucket([]byte(id)), nil
	}
	return b.CreateBucketIfNotExists([]byte(id))
}

// ArchiveParcels records parcels removed from layer by a replace. Archive them before the
// replace in the same transaction: the replace keeps the history of archived ids.
func (t *Tx) ArchiveParcels(layer string, parcels []Archived) error {
	if len(parcels) == 0 {
		return nil
	}
	b, err := layerBucket(t.tx, bucketArchive, layer, true)
	if err != nil {
		return err
	}
	var enc featureEncoder
	for _, p := range parcels {
		if p.Code == "" || p.Feature == nil {
			return fmt.Errorf("store: archive in layer %q: a parcel needs a code and its feature", layer)
		}
		fb, err := enc.encode(p.Feature)
		if err != nil {
			return err
		}
		v, err := json.Marshal(archiveRecord{ID: uint64(p.Feature.ID), Version: p.Version, Time: p.Time, Feature: fb})
		if err != nil {
			return err
		}
		if err := b.Put([]byte(p.Code), withVersion(archiveFormatV1, v)); err != nil {
			return err
		}
	}
	return nil
}

// UnarchiveParcels forgets archived parcels whose codes were imported again.
func (t *Tx) UnarchiveParcels(layer string, codes []string) error {
	b, err := layerBucket(t.tx, bucketArchive, layer, false)
	if err != nil || b == nil {
		return err
	}
	for _, c := range codes {
		if err := b.Delete([]byte(c)); err != nil {
			return err
		}
	}
	return nil
}

// Archive returns the archived parcels of layer, by code.
func (db *DB) Archive(layer string) (map[string]Archived, error) {
	out := map[string]Archived{}
	err := db.view(func(tx *bolt.Tx) error {
		b, _ := layerBucket(tx, bucketArchive, layer, false)
		if b == nil {
			return nil
		}
		dec := newFeatureDecoder()
		return b.ForEach(func(k, v []byte) error {
			a, err := decodeArchived(dec, k, v)
			if err != nil {
				return err
			}
			out[a.Code] = a
			return nil
		})
	})
	return out, err
}

func decodeArchived(dec *featureDecoder, k, v []byte) (Archived, error) {
	b, err := payload("archived parcel", v, archiveFormatV1)
	if err != nil {
		return Archived{}, err
	}
	var rec archiveRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return Archived{}, fmt.Errorf("store: archived parcel %q: %w", k, err)
	}
	f, err := dec.decode(spatial.FeatureID(rec.ID), rec.Feature)
	if err != nil {
		return Archived{}, fmt.Errorf("store: archived parcel %q: %w", k, err)
	}
	return Archived{Code: string(k), Feature: f, Version: rec.Version, Time: rec.Time}, nil
}

// archivedIDs returns the ids of the archived parcels of a layer, sorted.
func archivedIDs(tx *bolt.Tx, layer []byte) ([]spatial.FeatureID, error) {
	b := tx.Bucket(bucketArchive).Bucket(layer)
	if b == nil {
		return nil, nil
	}
	var ids []spatial.FeatureID
	err := b.ForEach(func(k, v []byte) error {
		body, err := payload("archived parcel", v, archiveFormatV1)
		if err != nil {
			return err
		}
		var rec struct {
			ID uint64 `json:"id"`
		}
		if err := json.Unmarshal(body, &rec); err != nil {
			return err
		}
		ids = append(ids, spatial.FeatureID(rec.ID))
		return nil
	})
	slices.Sort(ids)
	return ids, err
}

// PutLayerChange records the change log entry of a layer version (a replace's added, removed,
// reshaped and changed parcels): doc is an opaque JSON document.
func (t *Tx) PutLayerChange(layer string, version uint64, doc []byte) error {
	b, err := layerBucket(t.tx, bucketChanges, layer, true)
	if err != nil {
		return err
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], version)
	return b.Put(k[:], withVersion(changeLogFormatV1, doc))
}

const changeLogFormatV1 = 1

// LayerChanges returns the change log of layer, oldest first.
func (db *DB) LayerChanges(layer string) ([][]byte, error) {
	var out [][]byte
	err := db.view(func(tx *bolt.Tx) error {
		b, _ := layerBucket(tx, bucketChanges, layer, false)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			doc, err := payload("layer change", v, changeLogFormatV1)
			if err != nil {
				return err
			}
			out = append(out, slices.Clone(doc))
			return nil
		})
	})
	return out, err
}

// Evidence is a file attached to a parcel: its metadata (the content is read with
// [DB.EvidenceData]).
type Evidence struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Time        time.Time `json:"time"`
	Actor       string    `json:"actor,omitempty"`
}

const evidenceFormatV1 = 1

func evidenceKey(code, id string) []byte { return []byte(code + "\x00" + id) }

// PutEvidence stores an evidence file of parcel code in layer and sets e.ID: a number from the
// layer's sequence, unique in the layer and, as 12 digits, in the order the files were stored.
func (t *Tx) PutEvidence(layer, code string, e *Evidence, data []byte) error {
	b, err := layerBucket(t.tx, bucketEvidence, layer, true)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.ID = fmt.Sprintf("%012d", seq)
	meta, err := json.Marshal(e)
	if err != nil {
		return err
	}
	v := make([]byte, 0, 1+binary.MaxVarintLen64+len(meta)+len(data))
	v = append(v, evidenceFormatV1)
	v = binary.AppendUvarint(v, uint64(len(meta)))
	v = append(append(v, meta...), data...)
	return b.Put(evidenceKey(code, e.ID), v)
}

func splitEvidence(v []byte) (Evidence, []byte, error) {
	if len(v) == 0 || v[0] != evidenceFormatV1 {
		return Evidence{}, nil, fmt.Errorf("%w: evidence record of unknown format", errCorrupt)
	}
	n, k := binary.Uvarint(v[1:])
	if k <= 0 || uint64(len(v)-1-k) < n {
		return Evidence{}, nil, fmt.Errorf("%w: evidence record", errCorrupt)
	}
	var e Evidence
	if err := json.Unmarshal(v[1+k:1+k+int(n)], &e); err != nil {
		return Evidence{}, nil, fmt.Errorf("%w: evidence metadata: %v", errCorrupt, err)
	}
	return e, v[1+k+int(n):], nil
}

// EvidenceList returns the evidence files of parcel code in layer, oldest first.
func (db *DB) EvidenceList(layer, code string) ([]Evidence, error) {
	var out []Evidence
	err := db.view(func(tx *bolt.Tx) error {
		b, _ := layerBucket(tx, bucketEvidence, layer, false)
		if b == nil {
			return nil
		}
		prefix := []byte(code + "\x00")
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			e, _, err := splitEvidence(v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b Evidence) int { return a.Time.Compare(b.Time) })
	return out, err
}

// EvidenceData returns an evidence file and its content. It returns an error wrapping
// ErrNotFound when there is no such file.
func (db *DB) EvidenceData(layer, code, id string) (Evidence, []byte, error) {
	var (
		e    Evidence
		data []byte
	)
	err := db.view(func(tx *bolt.Tx) error {
		b, _ := layerBucket(tx, bucketEvidence, layer, false)
		var v []byte
		if b != nil {
			v = b.Get(evidenceKey(code, id))
		}
		if v == nil {
			return fmt.Errorf("evidence %q of parcel %q: %w", id, code, ErrNotFound)
		}
		var err error
		e, data, err = splitEvidence(v)
		data = slices.Clone(data)
		return err
	})
	return e, data, err
}
