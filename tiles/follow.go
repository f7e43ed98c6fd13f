package tiles

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/supervision"
)

// A Change is one change to what tiles show: a statement that wrote a
// source table, where it wrote, and the entities and grids it concerned.
type Change struct {
	ID     int64
	Source string // the table: entities, flags, tasks, towns, villages, grids, roads, buildings, doorplates
	// Extent is where the changed rows were and are (WGS84); valid
	// only when Located.
	Extent  orb.Bound
	Located bool
	// Cells are the MaxH3Res cells of the entities concerned, Buckets
	// their supervision.BucketRes cells (as stored, not always the
	// cells' ancestors); when ManyCells, too many to list, and Extent
	// stands for them.
	Cells     []h3.Cell
	Buckets   []h3.Cell
	ManyCells bool
	// Grids are the codes of the grids concerned; when ManyGrids, too
	// many to list.
	Grids     []string
	ManyGrids bool
}

// sourceLayers are the layers each source table's changes show in. An
// entity's open flags show in the entities layer; its tasks only in
// coverage (overdue tasks).
var sourceLayers = map[string][]string{
	"entities":   {"entities", CoverageHex, CoverageGrid, CoverageHeat},
	"flags":      {"flags", "entities", CoverageHex, CoverageGrid, CoverageHeat},
	"tasks":      {CoverageHex, CoverageGrid, CoverageHeat},
	"towns":      {"towns"},
	"villages":   {"villages"},
	"grids":      {"grids", CoverageGrid},
	"roads":      {"roads"},
	"buildings":  {"buildings"},
	"doorplates": {"doorplates"},
}

// coverageSources are the sources whose changes the coverage index
// reloads.
var coverageSources = map[string]bool{"entities": true, "flags": true, "tasks": true}

// A ChangeFeed is where changes are read. Changes are not written in
// order of ID (an ID is taken before its transaction commits), so the
// feed is read by transaction horizon: TileChangesSince returns the
// changes of every transaction not ended by horizon, in ID order, some
// perhaps read before, and the next horizon.
type ChangeFeed interface {
	TileChangesSince(ctx context.Context, horizon uint64) ([]Change, uint64, error)
	TileChangeHorizon(ctx context.Context) (uint64, error)
}

// A CoverageStore loads what the coverage layers show.
type CoverageStore interface {
	// LoadCoverage returns the active, located entities of the given
	// res-7 buckets, or of the city when all is set.
	LoadCoverage(ctx context.Context, buckets []h3.Cell, all bool) ([]supervision.CoverageEntity, error)
	LoadGridShapes(ctx context.Context) ([]GridShape, error)
}

// Coverage is the in-memory coverage index and grid outlines behind the
// coverage layers, loaded from a store and kept current by a Follower.
type Coverage struct {
	Index  *supervision.CoverageIndex
	Grids  *GridShapes
	store  CoverageStore
	once   sync.Once
	loaded chan struct{}
	err    error
}

// NewCoverage returns an empty coverage of store; call Load.
func NewCoverage(store CoverageStore) *Coverage {
	return &Coverage{Index: supervision.NewCoverageIndex(), Grids: &GridShapes{}, store: store, loaded: make(chan struct{})}
}

// Load loads the grids and the whole city. The first Load, successful or
// not, releases those waiting in Ready.
func (c *Coverage) Load(ctx context.Context) error {
	shapes, err := c.store.LoadGridShapes(ctx)
	if err == nil {
		c.Grids.Replace(shapes)
		var es []supervision.CoverageEntity
		if es, err = c.store.LoadCoverage(ctx, nil, true); err == nil {
			c.Index.Replace(nil, true, es)
		}
	}
	c.once.Do(func() {
		c.err = err
		close(c.loaded)
	})
	return err
}

// Ready waits until the first Load ends and returns its error; a later
// successful Load clears it.
func (c *Coverage) Ready(ctx context.Context) error {
	select {
	case <-c.loaded:
		if c.Index.Loaded() {
			return nil
		}
		return fmt.Errorf("tiles: coverage is not loaded: %w", c.err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Builder returns the builder of the coverage layers.
func (c *Coverage) Builder() *CoverageBuilder {
	return &CoverageBuilder{Index: c.Index, Grids: c.Grids, Ready: c.Ready}
}

// A Follower applies the change feed to a tile cache and a coverage: it
// reloads the coverage buckets and grids that changed, then drops the
// cached tiles that showed them (in that order, so a tile rebuilt in
// between is not built from stale coverage; see Cache.Put).
type Follower struct {
	Feed     ChangeFeed
	Cache    *Cache    // nil: no cache
	Coverage *Coverage // nil: no coverage layers
	mu       sync.Mutex
	horizon  uint64
	applied  map[int64]bool // the IDs applied that the next read may return again
	started  bool
}

// maxBuckets is the most buckets a change reloads one by one; beyond, the
// whole coverage is reloaded.
const maxBuckets = 64

// Start sets the follower at the end of the feed: what changed before is
// in what the coverage loads and the cache builds afterwards.
func (f *Follower) Start(ctx context.Context) error {
	h, err := f.Feed.TileChangeHorizon(ctx)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.horizon, f.applied, f.started = h, map[int64]bool{}, true
	f.mu.Unlock()
	return nil
}

// Resync is for when changes may have been missed (the feed's listener
// reconnected): it starts again at the end of the feed, reloads the
// coverage and flushes the cache.
func (f *Follower) Resync(ctx context.Context) error {
	if err := f.Start(ctx); err != nil {
		return err
	}
	if f.Coverage != nil {
		if err := f.Coverage.Load(ctx); err != nil {
			return err
		}
	}
	if f.Cache != nil {
		f.Cache.Flush()
	}
	return nil
}

// CatchUp applies the changes it has not applied yet and returns how
// many.
func (f *Follower) CatchUp(ctx context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.started {
		return 0, errors.New("tiles: follower not started")
	}
	changes, next, err := f.Feed.TileChangesSince(ctx, f.horizon)
	if err != nil {
		return 0, err
	}
	var fresh []Change
	for _, c := range changes {
		if !f.applied[c.ID] {
			fresh = append(fresh, c)
		}
	}
	if len(fresh) > 0 {
		if err := f.apply(ctx, fresh); err != nil {
			return 0, err
		}
	}
	// What the next read returns again: the changes of transactions not
	// ended by the next horizon, all among those just read or later.
	f.applied = map[int64]bool{}
	for _, c := range changes {
		f.applied[c.ID] = true
	}
	f.horizon = next
	return len(fresh), nil
}

// apply reloads what changes touched of the coverage, then invalidates
// the cache.
func (f *Follower) apply(ctx context.Context, changes []Change) error {
	if f.Coverage != nil {
		buckets := map[h3.Cell]bool{}
		all, grids := false, false
		for _, c := range changes {
			grids = grids || c.Source == "grids"
			if !coverageSources[c.Source] {
				continue
			}
			all = all || c.ManyCells
			for _, b := range c.Buckets {
				buckets[b] = true
			}
		}
		switch {
		case all || len(buckets) > maxBuckets:
			if err := f.Coverage.Load(ctx); err != nil {
				return err
			}
		case len(buckets) > 0:
			list := make([]h3.Cell, 0, len(buckets))
			for b := range buckets {
				list = append(list, b)
			}
			es, err := f.Coverage.store.LoadCoverage(ctx, list, false)
			if err != nil {
				return err
			}
			f.Coverage.Index.Replace(list, false, es)
		}
		if grids && !all {
			shapes, err := f.Coverage.store.LoadGridShapes(ctx)
			if err != nil {
				return err
			}
			f.Coverage.Grids.Replace(shapes)
		}
	}
	if f.Cache != nil {
		for _, c := range changes {
			f.invalidate(c)
		}
	}
	return nil
}

// invalidate drops the cached tiles a change shows in.
func (f *Follower) invalidate(c Change) {
	for _, layer := range sourceLayers[c.Source] {
		switch {
		case layer == CoverageGrid:
			if c.ManyGrids || f.Coverage == nil {
				f.Cache.InvalidateLayer(layer)
				continue
			}
			var bounds []orb.Bound
			for _, g := range c.Grids {
				if b, ok := f.Coverage.Grids.Bound(g); ok {
					bounds = append(bounds, b)
				}
			}
			if len(bounds) > 0 {
				f.Cache.Invalidate(layer, buffered(bounds))
			}
		case (layer == CoverageHex || layer == CoverageHeat) && !c.ManyCells:
			res := supervision.HexResolution
			if layer == CoverageHeat {
				res = HeatResolution
			}
			f.Cache.Invalidate(layer, func(z int) []orb.Bound {
				seen := map[h3.Cell]bool{}
				var out []orb.Bound
				// The cell an entity counts in at a resolution is the
				// one holding it, which may be a neighbour of its fine
				// cell's ancestor: pad by a hexagon.
				r := res(z)
				for _, cell := range c.Cells {
					p := cell.Parent(r)
					if !seen[p] {
						seen[p] = true
						out = append(out, padBuffer(supervision.CellBound(p).Pad(2*supervision.HexDegrees(r)), z))
					}
				}
				return out
			})
		case layer == CoverageHex || layer == CoverageHeat:
			// Too many cells to list: the extent, widened by the
			// coarsest hexagon drawn at each zoom.
			if c.Located {
				f.Cache.Invalidate(layer, func(z int) []orb.Bound {
					return []orb.Bound{padBuffer(c.Extent.Pad(2*supervision.HexDegrees(supervision.HexResolution(z))), z)}
				})
			}
		case c.Located:
			f.Cache.Invalidate(layer, buffered([]orb.Bound{c.Extent}))
		}
	}
}

// buffered returns the bounds at every zoom, each widened by the tile
// buffer at that zoom: a feature near a tile's edge is drawn in its
// neighbour's buffer too.
func buffered(bounds []orb.Bound) func(z int) []orb.Bound {
	return func(z int) []orb.Bound {
		out := make([]orb.Bound, len(bounds))
		for i, b := range bounds {
			out[i] = padBuffer(b, z)
		}
		return out
	}
}

// padBuffer widens b by the tile buffer at zoom z, in degrees.
func padBuffer(b orb.Bound, z int) orb.Bound {
	return b.Pad(360 / float64(uint64(1)<<z) * Buffer / Extent)
}
