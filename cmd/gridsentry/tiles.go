package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/tiles"
)

// tileParts are the pieces behind the tile routes of serve: the
// catalogue, the builders, the cache, and the coverage kept current.
type tileParts struct {
	catalogue *tiles.Catalogue
	tiler     *tiles.Tiler
	cache     *tiles.Cache
	coverage  *tiles.Coverage
	follower  *tiles.Follower
}

// newTileParts checks the tile settings and builds the parts: tiles and
// coverage read from reads, changes followed on feed.
func newTileParts(cfg *config, feed tiles.ChangeFeed, reads *postgres.DB) (*tileParts, error) {
	if cfg.TileCacheMB < 0 {
		return nil, fmt.Errorf("-tile-cache-mb: %d is negative (0 turns the cache off)", cfg.TileCacheMB)
	}
	if cfg.TileSeedZoom != 0 && (cfg.TileSeedZoom < seedMinZoom || cfg.TileSeedZoom > 16) {
		return nil, fmt.Errorf("-tile-seed-zoom: %d is not 0 (none) or a zoom from %d to 16", cfg.TileSeedZoom, seedMinZoom)
	}
	p := &tileParts{catalogue: tiles.DefaultCatalogue(), coverage: tiles.NewCoverage(reads)}
	if cfg.TileCacheMB > 0 {
		p.cache = tiles.NewCache(int64(cfg.TileCacheMB) << 20)
	}
	p.tiler = &tiles.Tiler{Catalogue: p.catalogue, Builders: map[tiles.Kind]tiles.Builder{
		tiles.Table: reads, tiles.Computed: p.coverage.Builder()}}
	p.follower = &tiles.Follower{Feed: feed, Cache: p.cache, Coverage: p.coverage}
	return p, nil
}

// options are the server options of the tile routes.
func (p *tileParts) options() []api.Option {
	opts := []api.Option{api.WithTiles(p.catalogue, p.tiler)}
	if p.cache != nil {
		opts = append(opts, api.WithTileCache(p.cache))
	}
	return opts
}

// seedMinZoom is the shallowest zoom seeded: the city is one tile there.
const seedMinZoom = 6

// Timings of run.
const (
	tilePoll       = 5 * time.Second  // catch up even without a notification
	tilePruneAge   = 24 * time.Hour   // changes older than this are deleted
	tilePruneTick  = time.Hour        // how often
	coverageReseed = 10 * time.Minute // coverage moves on (api's coverage tick)
)

// run loads the coverage, seeds the cache, and follows the change feed
// until ctx ends: each notification (and every tilePoll, in case one was
// missed) applies the new changes; a reconnected listener resyncs (the
// coverage is reloaded and the cache flushed, since changes may have
// passed unheard).
func (p *tileParts) run(ctx context.Context, db *postgres.DB, srv *api.Server, seedZoom int, log *slog.Logger) {
	retry := func(what string, f func() error) bool {
		for ctx.Err() == nil {
			err := f()
			if err == nil {
				return true
			}
			if ctx.Err() == nil {
				log.Warn("tiles: "+what+" failed; retrying in 5s", "err", err.Error())
				select {
				case <-ctx.Done():
				case <-time.After(5 * time.Second):
				}
			}
		}
		return false
	}
	if !retry("start following changes", func() error { return p.follower.Start(ctx) }) {
		return
	}
	start := time.Now()
	if !retry("load coverage", func() error { return p.coverage.Load(ctx) }) {
		return
	}
	log.Info("tiles: coverage loaded", "entities", p.coverage.Index.Len(), "took", time.Since(start).Round(time.Millisecond).String())

	wake, resync := make(chan struct{}, 1), make(chan struct{}, 1)
	signal := func(c chan struct{}) {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	listened := false
	listener := postgres.NewTileChangeListener(db, log, func() {
		if listened {
			signal(resync)
		}
		listened = true
	}, func() { signal(wake) })
	go func() { _ = listener.Run(ctx) }()

	seed := func(sources ...string) {
		if seedZoom == 0 {
			return
		}
		for _, name := range sources {
			layers := tiles.StyleSources(p.catalogue)[name]
			names := make([]string, len(layers))
			for i, l := range layers {
				names[i] = l.Name
			}
			start := time.Now()
			n := 0
			err := srv.SeedTiles(ctx, strings.Join(names, ","), seedMinZoom, seedZoom, func(done, total int) { n = total })
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("tiles: seeding failed", "source", name, "err", err.Error())
				}
				return
			}
			log.Info("tiles: seeded", "source", name, "zooms", fmt.Sprintf("%d-%d", seedMinZoom, seedZoom), "tiles", n,
				"took", time.Since(start).Round(time.Millisecond).String())
		}
	}
	seed("gridsentry", "coverage")

	poll := time.NewTicker(tilePoll)
	defer poll.Stop()
	prune := time.NewTicker(tilePruneTick)
	defer prune.Stop()
	reseed := time.NewTicker(coverageReseed)
	defer reseed.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-resync:
			if err := p.follower.Resync(ctx); err != nil && ctx.Err() == nil {
				log.Warn("tiles: resync failed", "err", err.Error())
				signal(resync)
			}
		case <-wake:
		case <-poll.C:
		case <-prune.C:
			if n, err := db.PruneTileChanges(ctx, time.Now().Add(-tilePruneAge)); err != nil && ctx.Err() == nil {
				log.Warn("tiles: pruning the change feed failed", "err", err.Error())
			} else if n > 0 {
				log.Debug("tiles: pruned the change feed", "changes", n)
			}
			continue
		case <-reseed.C:
			seed("coverage")
			continue
		}
		if n, err := p.follower.CatchUp(ctx); err != nil && ctx.Err() == nil {
			log.Warn("tiles: applying changes failed", "err", err.Error())
		} else if n > 0 {
			log.Debug("tiles: applied changes", "changes", n)
		}
	}
}
