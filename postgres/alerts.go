package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridsentry/gridsentry/supervision"
)

// execer runs a statement: a pgx.Tx, a *pgx.Conn or the pool.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// maxNotifyPayload is the longest payload PostgreSQL's NOTIFY accepts, in
// bytes (8000 less one, in the default build).
const maxNotifyPayload = 7999

// PublishAlert sends a on supervision.AlertChannel through q. Sent inside a
// transaction, it reaches the listeners when the transaction commits, and
// never if it rolls back. A title too long for a notification is shortened
// rather than failing the transaction that raised the flag.
func PublishAlert(ctx context.Context, q execer, a supervision.Alert) error {
	payload, err := alertPayload(a)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `SELECT pg_notify($1, $2)`, supervision.AlertChannel, payload)
	return translate(err, "publish alert")
}

// alertPayload encodes a as JSON of at most maxNotifyPayload bytes.
func alertPayload(a supervision.Alert) (string, error) {
	for {
		b, err := json.Marshal(a)
		if err != nil {
			return "", fmt.Errorf("postgres: encode alert of flag %d: %w", a.FlagID, err)
		}
		over := len(b) - maxNotifyPayload
		if over <= 0 {
			return string(b), nil
		}
		if a.Title == "" {
			return "", fmt.Errorf("postgres: alert of flag %d is %d bytes, over the notification limit", a.FlagID, len(b))
		}
		// Cut at least what is over (JSON escapes make it more), on a
		// rune boundary, and mark the cut.
		keep := max(len(a.Title)-over-len("…"), 0)
		for keep > 0 && !utf8.RuneStart(a.Title[keep]) {
			keep--
		}
		a.Title = a.Title[:keep] + "…"
	}
}

// An AlertSink receives the alerts an AlertListener hears.
type AlertSink interface {
	Publish(supervision.Alert)
	// Resync is called each time the listener starts listening, at
	// start and after a lost connection: alerts published while it was
	// not listening did not reach it, so whoever follows the sink should
	// re-read what it may have missed.
	Resync()
}

// AlertListener hears the alerts every node's store publishes (LISTEN on
// supervision.AlertChannel) on a connection of its own, opened from the
// pool's settings so that it takes no connection from the pool, and hands
// them to its sink.
type AlertListener struct {
	db   *DB
	sink AlertSink
	log  *slog.Logger
}

// NewAlertListener returns a listener that hands alerts to sink; call Run.
func NewAlertListener(db *DB, sink AlertSink, log *slog.Logger) *AlertListener {
	return &AlertListener{db: db, sink: sink, log: log}
}

// Run listens until ctx ends. When the connection is lost (the database
// restarted, the backend was terminated) it reconnects, waiting from one
// second up to thirty between attempts, and calls the sink's Resync once
// listening again.
func (l *AlertListener) Run(ctx context.Context) error {
	return listener{db: l.db, name: "alerts", channel: supervision.AlertChannel, log: l.log,
		onListen: l.sink.Resync, onNotify: l.publish}.run(ctx)
}

// publish hands the alert of a notification to the sink.
func (l *AlertListener) publish(payload string) {
	var a supervision.Alert
	if err := json.Unmarshal([]byte(payload), &a); err != nil {
		l.log.Warn("alerts: undecodable notification; skipped", "err", err.Error(), "bytes", len(payload))
		return
	}
	l.sink.Publish(a)
}
