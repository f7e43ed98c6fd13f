package postgres

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/tiles"
)

// tileChannel is the channel the tile_changed trigger (migration 00009)
// notifies with the id of each new tile_changes row.
const tileChannel = "gridsentry_tiles"

// TileChangesSince returns the changes of the transactions that had not
// ended by horizon (their xid at or past it; 0 for all), in id order,
// and the next horizon: the oldest transaction still running now, whose
// changes (and any later) the next read must cover. Changes already read
// come again while their transaction's horizon has not passed, and the
// reader skips them by ID (tiles.Follower does).
//
// Why not by id: an id is taken when the statement runs, not when its
// transaction commits, so a transaction that commits late adds a change
// below ids already read. A transaction older than the snapshot's xmin
// has ended, so its changes, if committed, are all visible now.
func (db *DB) TileChangesSince(ctx context.Context, horizon uint64) ([]tiles.Change, uint64, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, translate(err, "read the tile change feed")
	}
	defer tx.Rollback(ctx)
	var next uint64
	if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&next); err != nil {
		return nil, 0, translate(err, "read the tile change feed")
	}
	rows, _ := tx.Query(ctx, `SELECT id, source, west, south, east, north,
			cells IS NULL, coalesce(cells, '{}'), coalesce(buckets, '{}'), grids IS NULL, coalesce(grids, '{}')
		FROM tile_changes WHERE xid >= $1::text::xid8 ORDER BY id`, strconv.FormatUint(horizon, 10))
	cs, err := pgx.CollectRows(rows, scanTileChange)
	if err != nil {
		return nil, 0, translate(err, "read the tile change feed")
	}
	return cs, next, nil
}

func scanTileChange(row pgx.CollectableRow) (tiles.Change, error) {
	var c tiles.Change
	var west, south, east, north *float64
	var cells, buckets []int64
	err := row.Scan(&c.ID, &c.Source, &west, &south, &east, &north, &c.ManyCells, &cells, &buckets, &c.ManyGrids, &c.Grids)
	if west != nil && south != nil && east != nil && north != nil {
		c.Located = true
		c.Extent = orb.Bound{Min: orb.Point{*west, *south}, Max: orb.Point{*east, *north}}
	}
	c.Cells, c.Buckets = h3Cells(cells), h3Cells(buckets)
	if len(c.Grids) == 0 {
		c.Grids = nil
	}
	return c, err
}

func h3Cells(ids []int64) []h3.Cell {
	if len(ids) == 0 {
		return nil
	}
	out := make([]h3.Cell, len(ids))
	for i, v := range ids {
		out[i] = h3.Cell(v)
	}
	return out
}

// TileChangeHorizon returns the oldest transaction running now: a reader
// that loads everything after this call follows the feed from there
// (TileChangesSince), missing nothing a transaction still open adds.
func (db *DB) TileChangeHorizon(ctx context.Context) (uint64, error) {
	var h uint64
	err := db.pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&h)
	return h, translate(err, "read the tile change feed")
}

var _ tiles.ChangeFeed = (*DB)(nil)

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
// the feed (TileChangesSince) from its horizon.
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
