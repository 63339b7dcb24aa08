package store

import (
	"context"
	"fmt"

	"github.com/mudi-gis/mudi/spatial"
)

// LoadIndex loads every stored layer into index, one goroutine per layer, and publishes them
// together; it returns the number of features loaded. This is how a restart rebuilds the index.
func (db *DB) LoadIndex(ctx context.Context, index *spatial.Index) (int, error) {
	layers, err := db.Layers()
	if err != nil {
		return 0, err
	}
	type loaded struct {
		snap *spatial.Snapshot
		err  error
	}
	results := make(chan loaded, len(layers))
	for _, l := range layers {
		go func(id string) {
			meta, fs, err := db.LoadLayer(ctx, id)
			if err != nil {
				results <- loaded{err: fmt.Errorf("load layer %s: %w", id, err)}
				return
			}
			results <- loaded{snap: spatial.NewSnapshot(meta, fs)}
		}(l.ID)
	}
	var n int
	var firstErr error
	snaps := make([]*spatial.Snapshot, 0, len(layers))
	for range layers {
		r := <-results
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
		if r.snap != nil {
			snaps = append(snaps, r.snap)
			n += r.snap.Len()
		}
	}
	if firstErr != nil {
		return 0, firstErr
	}
	index.Update(func(m map[string]*spatial.Snapshot) {
		for _, s := range snaps {
			m[s.Layer.ID] = s
		}
	})
	return n, nil
}
