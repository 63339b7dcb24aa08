package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/store"
)

// Layer ids of the county in mudi (and table names in PostGIS: parcels, control).
const (
	parcelsLayer = "parcels"
	controlLayer = "control-lines"
)

// importResult is one in-process import of the county, as `mudi import` does it: decode the
// GeoJSON (with per-feature validation), then api.Server.PutLayer (derived attributes against
// the control layer, one bbolt transaction, publication in the index).
type importResult struct {
	parcels, control *spatial.Snapshot
	// Phases of the parcels import; total = decode + derive + store.
	decode, derive, store, total time.Duration
	controlImport                time.Duration // the control layer's import (not part of total)
	skipped                      int
}

func openStore(dir string) (*store.DB, error) {
	return store.Open(filepath.Join(dir, "mudi.db"), store.Options{Timeout: time.Second})
}

// importMudi imports the control layer, then the parcels layer (timed), into a new store in
// dir. The store is closed on return; the snapshots stay usable.
func importMudi(ctx context.Context, dir, parcelsFile, controlFile string) (*importResult, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	db, err := openStore(dir)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	srv, err := app.New(app.Config{Store: db})
	if err != nil {
		return nil, err
	}
	res := &importResult{}

	start := time.Now()
	imp, err := decodeFile(controlFile)
	if err != nil {
		return nil, err
	}
	res.control, _, err = srv.PutLayer(ctx, app.LayerRequest{ID: controlLayer, Kind: spatial.KindControl,
		FileName: filepath.Base(controlFile), Import: imp})
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", controlFile, err)
	}
	res.controlImport = time.Since(start)

	start = time.Now()
	imp, err = decodeFile(parcelsFile)
	if err != nil {
		return nil, err
	}
	res.decode = time.Since(start)
	res.skipped = imp.Skipped
	var firstWrite time.Time
	control := controlLayer
	req := app.LayerRequest{ID: parcelsLayer, Kind: spatial.KindParcels, Control: &control,
		FileName: filepath.Base(parcelsFile), Import: imp,
		Progress: func(int) {
			if firstWrite.IsZero() {
				firstWrite = time.Now()
			}
		}}
	put := time.Now()
	res.parcels, _, err = srv.PutLayer(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", parcelsFile, err)
	}
	res.total = time.Since(start)
	if firstWrite.IsZero() {
		firstWrite = put
	}
	res.derive = firstWrite.Sub(put)
	res.store = res.total - res.decode - res.derive
	return res, nil
}

func decodeFile(path string) (*spatial.Import, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	imp, err := spatial.DecodeGeoJSON(f, spatial.ImportOptions{})
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return imp, nil
}

// restartMudi opens the store in dir and loads every layer into a new index, as mudi serve does
// before it listens, and returns how long that took and the number of features loaded.
func restartMudi(ctx context.Context, dir string) (time.Duration, int, error) {
	start := time.Now()
	db, err := openStore(dir)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	var index spatial.Index
	n, err := db.LoadIndex(ctx, &index)
	return time.Since(start), n, err
}
