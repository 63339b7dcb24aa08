package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/store"
	"github.com/mudi-gis/mudi/tiles"
)

// Config configures an [App]. Store is required.
type Config struct {
	Logger *slog.Logger // default: discard
	Store  *store.DB
	// Tiles configures the vector tile renderer (zero value: MVT defaults, buffer 64).
	Tiles tiles.Options
	// TileCacheBytes bounds the in-memory tile cache; 0 turns it off.
	TileCacheBytes int64
	// Now returns the current time (layer versions, history entries); default time.Now.
	Now func() time.Time
	// MaxEvidenceBytes bounds one evidence file; default 20 MiB.
	MaxEvidenceBytes int64
	// Campaign are the thresholds of the campaign classes; nil: campaign.DefaultParams().
	Campaign *campaign.Params
}

// App is the application core. Build it with [New], then [App.Open] it; it is safe for
// concurrent use: reads use published snapshots, writes are serialised.
type App struct {
	cfg     Config
	log     *slog.Logger
	db      *store.DB
	index   *spatial.Index
	tiles   *tiles.Service
	codes   codes      // parcel code → id, per layer snapshot
	classes classCache // campaign classes per layer snapshot and date

	mu sync.Mutex // one writer at a time for the store, the index and the tile cache
}

// New returns an App over cfg.Store with an empty index; [App.Open] loads it.
func New(cfg Config) (*App, error) {
	if cfg.Store == nil {
		return nil, errors.New("app: Config.Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r, err := tiles.NewRenderer(cfg.Tiles)
	if err != nil {
		return nil, fmt.Errorf("app: tiles: %w", err)
	}
	return &App{cfg: cfg, log: cfg.Logger, db: cfg.Store, index: &spatial.Index{},
		tiles: tiles.NewService(r, tiles.NewCache(cfg.TileCacheBytes))}, nil
}

// Open loads every stored layer into the index and brings computed attributes up to date (a
// parcels layer whose attributes were computed against another version of its control layer
// is re-derived). It returns the number of features loaded.
func (a *App) Open(ctx context.Context) (int, error) {
	n, err := a.db.LoadIndex(ctx, a.index)
	if err != nil {
		return 0, err
	}
	return n, a.reconcile(ctx)
}

// Index returns the published layers. Readers take a snapshot and keep it for the whole
// request, so that they never mix two versions of a layer.
func (a *App) Index() *spatial.Index { return a.index }

// Tiles returns the tile service (renderer and cache) that the App keeps in step with edits.
func (a *App) Tiles() *tiles.Service { return a.tiles }

// Store returns the store (for reads such as history and saved analyses).
func (a *App) Store() *store.DB { return a.db }

// Now returns the current time of the App's clock.
func (a *App) Now() time.Time { return a.cfg.Now() }

// Layer returns the current snapshot of layer id, or a NotFound error.
func (a *App) Layer(id string) (*spatial.Snapshot, error) {
	if sn := a.index.Layer(id); sn != nil {
		return sn, nil
	}
	return nil, notFound("layer %q does not exist", id)
}

// OnlyLayer returns the id of the only layer of kind k, or "" when there are none or several.
func (a *App) OnlyLayer(k spatial.Kind) string {
	var id string
	for _, sn := range a.index.Layers() {
		if sn.Layer.Kind == k {
			if id != "" {
				return ""
			}
			id = sn.Layer.ID
		}
	}
	return id
}
