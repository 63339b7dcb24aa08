package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mudi-gis/mudi/spatial"
)

func stagedNames(t *testing.T, db *DB) []string {
	t.Helper()
	var names []string
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStaging).ForEachBucket(func(k []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestStagedWritesPublishAllOrNothing stages layers across several transactions: published, the
// layer holds exactly the staged features; never published (a crash), the layer is as it was
// and the next Open removes what was staged.
func TestStagedWritesPublishAllOrNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mudi.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := spatial.Layer{ID: "parcels", Kind: spatial.KindParcels, Version: 1, Created: time.Unix(0, 0).UTC()}
	first := syntheticFeatures(stageBatch+5, 1) // more than one staging transaction
	s, err := db.Stage(ctx, l.ID, first, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.CreateLayer(ctx, l, first, nil, s) }); err != nil {
		t.Fatal(err)
	}
	if n := stagedNames(t, db); len(n) != 0 {
		t.Errorf("staged after publishing: %v", n)
	}
	_, got, err := db.LoadLayer(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameFeatures(t, got, first)

	// A replace staged and then abandoned, as by a crash before its transaction.
	second := syntheticFeatures(300, 2)
	if _, err := db.Stage(ctx, l.ID, second, nil); err != nil {
		t.Fatal(err)
	}
	if n := stagedNames(t, db); len(n) != 1 || n[0] != l.ID {
		t.Fatalf("staged = %v, want [%s]", n, l.ID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := stagedNames(t, db); len(n) != 0 {
		t.Errorf("staged after a restart: %v", n)
	}
	_, got, err = db.LoadLayer(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameFeatures(t, got, first)

	// Published as a replace, the history of the kept ids stays and the rest goes.
	err = db.Update(func(tx *Tx) error {
		return tx.AppendHistory(l.ID, map[spatial.FeatureID][]spatial.Change{
			1:                      {{Time: time.Unix(10, 0).UTC(), Key: "QLR", After: "甲"}},
			first[len(first)-1].ID: {{Time: time.Unix(10, 0).UTC(), Key: "QLR", After: "乙"}},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err = db.Stage(ctx, l.ID, second, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Version++
	if err := db.Update(func(tx *Tx) error { return tx.ReplaceLayer(ctx, l, second, nil, s) }); err != nil {
		t.Fatal(err)
	}
	_, got, err = db.LoadLayer(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameFeatures(t, got, second)
	if h, err := db.History(l.ID, 1); err != nil || len(h) != 1 {
		t.Errorf("history of a kept id = %v, %v", h, err)
	}
	if h, _ := db.History(l.ID, first[len(first)-1].ID); len(h) != 0 {
		t.Errorf("history of a removed id = %v", h)
	}
	// Staged features are published under their own layer only.
	s, err = db.Stage(ctx, "other", second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.ReplaceLayer(ctx, l, second, nil, s) }); err == nil {
		t.Error("features staged for another layer were published")
	}
}
