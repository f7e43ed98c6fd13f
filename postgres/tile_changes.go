package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// tileChannel is the channel the tile_changed trigger (migration 00009)
// notifies with the id of each new tile_changes row.
const tileChannel = "gridsentry_tiles"

// A TileChange is one statement's change to what tiles show.
type TileChange struct {
	ID        int64
	Source    string // the table: entities, flags, tasks, towns, villages, grids, roads, buildings, doorplates
	At        time.Time
	Extent    orb.Bound // WGS84, of the old and new geometries concerned; valid only when Located
	Located   bool      // whether anything concerned has a location
	Cells     []h3.Cell // the h3_11 cells of the entities concerned; nil with ManyCells
	ManyCells bool      // more than 1000 cells: the extent stands for them
	Grids     []string  // the grid codes concerned; nil with ManyGrids
	ManyGrids bool      // more than 1000 grids: the extent stands for them
}

// TileChangesSince returns the changes after afterID in id order, at most
// limit (all when limit <= 0).
//
// An id is taken when the statement runs, not when its transaction
// commits: a transaction that commits late can add a change below an id
// already read. A reader that must miss nothing reads again from a little
// before its last id (the gaps it saw in the sequence are either rolled
// back or still to commit).
func (db *DB) TileChangesSince(ctx context.Context, afterID int64, limit int) ([]TileChange, error) {
	q := `SELECT id, source, changed_at, west, south, east, north,
			cells IS NULL, coalesce(cells, '{}'), grids IS NULL, coalesce(grids, '{}')
		FROM tile_changes WHERE id > $1 ORDER BY id`
	args := []any{afterID}
	if limit > 0 {
		q += " LIMIT $2"
		args = append(args, limit)
	}
	rows, _ := db.pool.Query(ctx, q, args...)
	cs, err := pgx.CollectRows(rows, scanTileChange)
	if err != nil {
		return nil, translate(err, "read the tile change feed")
	}
	return cs, nil
}

func scanTileChange(row pgx.CollectableRow) (TileChange, error) {
	var c TileChange
	var west, south, east, north *float64
	var cells []int64
	err := row.Scan(&c.ID, &c.Source, &c.At, &west, &south, &east, &north, &c.ManyCells, &cells, &c.ManyGrids, &c.Grids)
	if west != nil && south != nil && east != nil && north != nil {
		c.Located = true
		c.Extent = orb.Bound{Min: orb.Point{*west, *south}, Max: orb.Point{*east, *north}}
	}
	if len(cells) > 0 {
		c.Cells = make([]h3.Cell, len(cells))
		for i, v := range cells {
			c.Cells[i] = h3.Cell(v)
		}
	}
	if len(c.Grids) == 0 {
		c.Grids = nil
	}
	return c, err
}

// LastTileChange returns the id of the newest change, 0 when there is none:
// where a reader that has just loaded everything starts following the feed.
func (db *DB) LastTileChange(ctx context.Context) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM tile_changes`).Scan(&id)
	return id, translate(err, "read the tile change feed")
}

// PruneTileChanges deletes the changes recorded before before and returns
// how many it deleted.
func (db *DB) PruneTileChanges(ctx context.Context, before time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM tile_changes WHERE changed_at < $1`, before)
	if err != nil {
		return 0, translate(err, "prune the tile change feed")
	}
	return tag.RowsAffected(), nil
}

// TileChangeListener hears of every change to what tiles show (LISTEN on
// the tile change feed's channel) on a connection of its own, as
// AlertListener does. The notification carries no change: its owner reads
// the feed (TileChangesSince) from the last id it saw.
type TileChangeListener struct {
	l listener
}

// NewTileChangeListener returns a listener that calls onListen each time it
// starts listening (at start and after a lost connection: changes made
// meanwhile sent their notifications to nobody, so the owner reads the feed
// or drops what it cached) and onNotify on each notification. Neither
// should block for long: notifications wait while they run. Call Run.
func NewTileChangeListener(db *DB, log *slog.Logger, onListen func(), onNotify func()) *TileChangeListener {
	return &TileChangeListener{l: listener{db: db, name: "tiles", channel: tileChannel, log: log,
		onListen: onListen, onNotify: func(string) { onNotify() }}}
}

// Run listens until ctx ends, reconnecting as AlertListener.Run does.
func (l *TileChangeListener) Run(ctx context.Context) error { return l.l.run(ctx) }
