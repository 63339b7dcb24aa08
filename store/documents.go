package store

import (
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// AnalysisDoc is a saved analysis: an opaque JSON document owned by the analysis engine.
type AnalysisDoc struct {
	ID  string
	Doc []byte
}

// PutAnalysis stores doc as analysis id, replacing any previous one; see [Tx.PutAnalysis].
func (db *DB) PutAnalysis(id string, doc []byte) error {
	return db.Update(func(tx *Tx) error { return tx.PutAnalysis(id, doc) })
}

// Analysis returns the document of analysis id. It returns an error wrapping ErrNotFound if
// there is no such analysis.
func (db *DB) Analysis(id string) ([]byte, error) {
	return db.getDoc(bucketAnalyses, "analysis", id, analysisFormatV1)
}

// Analyses returns every saved analysis, sorted by id.
func (db *DB) Analyses() ([]AnalysisDoc, error) {
	var out []AnalysisDoc
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAnalyses).ForEach(func(k, v []byte) error {
			doc, err := payload("analysis", v, analysisFormatV1)
			if err != nil {
				return fmt.Errorf("analysis %q: %w", k, err)
			}
			out = append(out, AnalysisDoc{ID: string(k), Doc: slices.Clone(doc)})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAnalysis removes analysis id. It returns an error wrapping ErrNotFound if there is no
// such analysis.
func (db *DB) DeleteAnalysis(id string) error {
	return db.deleteDoc(bucketAnalyses, "analysis", id)
}

// Setting returns the value of setting key. It returns an error wrapping ErrNotFound if the
// setting is not set.
func (db *DB) Setting(key string) ([]byte, error) {
	return db.getDoc(bucketSettings, "setting", key, settingFormatV1)
}

// PutSetting sets setting key to v (copied); see [Tx.PutSetting].
func (db *DB) PutSetting(key string, v []byte) error {
	return db.Update(func(tx *Tx) error { return tx.PutSetting(key, v) })
}

// DeleteSetting removes setting key. It returns an error wrapping ErrNotFound if the setting
// is not set.
func (db *DB) DeleteSetting(key string) error {
	return db.deleteDoc(bucketSettings, "setting", key)
}

func (db *DB) getDoc(bucket []byte, what, id string, version byte) ([]byte, error) {
	var out []byte
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("%s %q: %w", what, id, ErrNotFound)
		}
		doc, err := payload(what, v, version)
		if err != nil {
			return fmt.Errorf("%s %q: %w", what, id, err)
		}
		out = slices.Clone(doc) // v is only valid inside the transaction
		if out == nil {
			out = []byte{}
		}
		return nil
	})
	return out, err
}

func (db *DB) deleteDoc(bucket []byte, what, id string) error {
	return db.update(func(tx *bolt.Tx) error { return deleteDoc(tx, bucket, what, id) })
}
