package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mudi-gis/mudi/spatial"
)

// encodeV1 encodes f in feature format version 1, as the previous version of mudi wrote it (the
// layout is described in codec_feature.go). It lives in the tests only: mudi reads version 1
// and never writes it.
func encodeV1(tb testing.TB, f *spatial.Feature) []byte {
	tb.Helper()
	var e featureEncoder
	v2, err := e.encode(f)
	if err != nil {
		tb.Fatal(err)
	}
	// Geometry and derived attributes are the same in both versions: keep them, and write the
	// attributes the old way.
	r := reader{b: v2, off: 1}
	newFeatureDecoder().geometry(&r, 0)
	for range 5 {
		r.float()
	}
	r.uvarint()
	r.byte()
	r.bytes()
	if r.err != nil {
		tb.Fatal(r.err)
	}
	b := append([]byte{featureFormatV1}, v2[1:r.off]...)
	b = binary.AppendUvarint(b, uint64(f.Attrs.Len())+1)
	for k, v := range f.Attrs.All() { // in name order, as version 1 requires
		b = appendString(b, k)
		switch v := v.(type) {
		case nil:
			b = append(b, valNil)
		case bool:
			b = append(b, map[bool]byte{false: valFalse, true: valTrue}[v])
		case int64:
			b = binary.AppendVarint(append(b, valInt), v)
		case float64:
			b = binary.LittleEndian.AppendUint64(append(b, valFloat), math.Float64bits(v))
		case string:
			b = appendString(append(b, valString), v)
		}
	}
	return b
}

// TestOpenMigratesAStoreOfThePreviousVersion writes a store as the previous version left it
// (schema 2, features in format version 1, an archived parcel and a history), opens it, and
// checks that every feature was rewritten in the current format with the same content.
func TestOpenMigratesAStoreOfThePreviousVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mudi.db")
	fs := syntheticFeatures(300, 7)
	l := spatial.Layer{ID: "parcels", Title: "地块", Kind: spatial.KindParcels, Version: 4,
		Created: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), Updated: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)}
	archived := syntheticFeatures(1, 8)[0]
	archived.ID = 999
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		if err := tx.CreateLayer(ctx, l, fs, nil, nil); err != nil {
			return err
		}
		if err := tx.ArchiveParcels("parcels", []Archived{{Code: "KH-999", Feature: archived, Version: 3, Time: l.Updated}}); err != nil {
			return err
		}
		return tx.AppendHistory("parcels", map[spatial.FeatureID][]spatial.Change{
			fs[0].ID: {{Time: l.Updated, Key: "CZZT", Before: "未启动", After: "处置中", Actor: "zhang", Version: 4}},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Make it the previous version's file: schema 2, every feature and the archived parcel in
	// format version 1.
	err = withBolt(path, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFeatures).Bucket([]byte("parcels"))
		for _, f := range fs {
			if err := b.Put(fidKey(f.ID), encodeV1(t, f)); err != nil {
				return err
			}
		}
		rec, err := json.Marshal(archiveRecord{ID: uint64(archived.ID), Version: 3, Time: l.Updated, Feature: encodeV1(t, archived)})
		if err != nil {
			return err
		}
		ab := tx.Bucket(bucketArchive).Bucket([]byte("parcels"))
		if err := ab.Put([]byte("KH-999"), withVersion(archiveFormatV1, rec)); err != nil {
			return err
		}
		return putSchema(tx, 2)
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.view(func(tx *bolt.Tx) error {
		v, err := readSchema(tx, path)
		if err != nil {
			return err
		}
		if v != schemaVersion || schemaVersion != 3 {
			t.Errorf("schema after the migration = %d, want 3", v)
		}
		return tx.Bucket(bucketFeatures).Bucket([]byte("parcels")).ForEach(func(k, v []byte) error {
			if v[0] != featureFormatV2 {
				t.Errorf("feature %x is still in format version %d", k, v[0])
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	gotL, got, err := db.LoadLayer(ctx, "parcels")
	if err != nil {
		t.Fatal(err)
	}
	sameFeatures(t, got, fs)
	if gotL.Version != 4 || gotL.Title != "地块" {
		t.Errorf("layer after the migration = %+v", gotL)
	}
	h, err := db.History("parcels", fs[0].ID)
	if err != nil || len(h) != 1 || h[0].After != "处置中" {
		t.Errorf("history after the migration = %v, %v", h, err)
	}
	// Archived parcels keep format version 1, which is still read.
	ar, err := db.Archive("parcels")
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := ar["KH-999"]; !ok || a.Version != 3 {
		t.Fatalf("archive after the migration = %v", ar)
	} else {
		sameFeatures(t, []*spatial.Feature{a.Feature}, []*spatial.Feature{archived})
	}
}
