package postgres_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
)

// TestCoverageTilesFollowOneEntity inspects one entity and checks, at
// zooms 10 to 16 in a 5 × 5 block of tiles around it, that the coverage
// tiles covering it change and no others do, that the follower reloaded
// the coverage and dropped each changed tile from the cache, and that
// tiles far from it stay cached.
func TestCoverageTilesFollowOneEntity(t *testing.T) {
	ctx := context.Background()
	db := linkedCity(t)
	cov := tiles.NewCoverage(db)
	cache := tiles.NewCache(256 << 20)
	fol := &tiles.Follower{Feed: db, Cache: cache, Coverage: cov}
	if err := fol.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cov.Load(ctx); err != nil {
		t.Fatal(err)
	}
	var uscc string
	var p orb.Point
	var cells [5]int64
	if err := db.Pool().QueryRow(ctx, `SELECT uscc, ST_X(location), ST_Y(location), h3_7, h3_8, h3_9, h3_10, h3_11
		FROM entities WHERE status = 'active' AND location IS NOT NULL AND grid_code IS NOT NULL AND last_inspected_at IS NULL
		ORDER BY uscc LIMIT 1`).Scan(&uscc, &p[0], &p[1], &cells[0], &cells[1], &cells[2], &cells[3], &cells[4]); err != nil {
		t.Fatal(err)
	}
	// The cell the entity counts in at res (supervision.CoverageIndex).
	cellAt := func(res int) h3.Cell {
		if res < supervision.MinH3Res {
			return h3.Cell(cells[0]).Parent(res)
		}
		return h3.Cell(cells[res-supervision.MinH3Res])
	}
	catalogue := tiles.DefaultCatalogue()
	hex, _ := catalogue.Lookup(tiles.CoverageHex)
	builder := cov.Builder()
	f := supervision.CoverageFilter{At: time.Now().Truncate(time.Minute)}
	key := func(t tiles.Tile) tiles.CacheKey {
		return tiles.CacheKey{Layers: tiles.CoverageHex, Filter: f.Key(), Tile: t}
	}
	type built struct {
		tile tiles.Tile
		blob []byte
	}
	build := func() []built {
		var out []built
		for z := 10; z <= 16; z += 2 {
			c := maptile.At(p, maptile.Zoom(z))
			for dx := -2; dx <= 2; dx++ {
				for dy := -2; dy <= 2; dy++ {
					tile, err := tiles.NewTile(z, int(c.X)+dx, int(c.Y)+dy)
					if err != nil {
						t.Fatal(err)
					}
					gen := cache.Generation()
					blob, err := builder.BuildTile(ctx, tile, hex, f, tiles.WholeCity)
					if err != nil {
						t.Fatal(err)
					}
					cache.Put(key(tile), tiles.Encode(blob), gen)
					out = append(out, built{tile, blob})
				}
			}
		}
		return out
	}
	before := build()
	if _, err := db.Pool().Exec(ctx, `INSERT INTO inspections (uscc, inspector, at, location, crs, items, outcome)
		SELECT uscc, '李四', $2, location, 'wgs84', '{}', 'operating' FROM entities WHERE uscc = $1`, uscc, f.At.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	n, err := fol.CatchUp(ctx)
	if err != nil || n == 0 {
		t.Fatalf("CatchUp: %d changes, %v; want the inspection's", n, err)
	}
	// What the cache still holds, before the tiles are built again.
	cached := map[tiles.Tile]bool{}
	for _, b := range before {
		_, cached[b.tile] = cache.Get(key(b.tile))
	}
	// Cached tiles that did not change, far from the entity, stay.
	stayed := 0
	for i, a := range build() {
		b := before[i]
		res := supervision.HexResolution(int(a.tile.Z))
		hexBound := supervision.CellBound(cellAt(res))
		pad := (a.tile.Bound().Max[0] - a.tile.Bound().Min[0]) * tiles.Buffer / tiles.Extent
		covers := a.tile.Bound().Pad(pad).Intersects(hexBound)
		changed := !bytes.Equal(a.blob, b.blob)
		holds := a.tile.Bound().Contains(p)
		switch {
		case holds && !changed:
			t.Errorf("tile %s holds the entity and did not change", a.tile)
		case changed && !covers:
			t.Errorf("tile %s changed, but does not cover the entity's hexagon %s", a.tile, cellAt(res))
		}
		if changed && cached[a.tile] {
			t.Errorf("tile %s changed and is still cached", a.tile)
		}
		if !covers && cached[a.tile] {
			stayed++
		}
	}
	if stayed == 0 {
		t.Errorf("no tile far from the entity stayed cached: the invalidation was not by area")
	}
}
