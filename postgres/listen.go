package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// A listener follows one notification channel on a connection of its own,
// opened from the pool's settings so that it takes no connection from the
// pool. AlertListener and TileChangeListener are listeners with their own
// handling of what they hear.
type listener struct {
	db       *DB
	name     string // "alerts": the prefix of its log lines; "gridsentry alerts" is its application_name
	channel  string
	log      *slog.Logger
	onListen func()               // each time LISTEN takes effect: at start and after a reconnection
	onNotify func(payload string) // each notification
}

// run listens until ctx ends. When the connection is lost (the database
// restarted, the backend was terminated) it reconnects, waiting from one
// second up to thirty between attempts; onListen tells the owner it is
// listening again, since what was sent meanwhile did not reach it.
func (l listener) run(ctx context.Context) error {
	backoff := time.Second
	for {
		listened, err := l.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			backoff = time.Second
		}
		l.log.Warn(l.name+": listener lost; reconnecting", "err", err.Error(), "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// listen connects, listens and hands notifications over until the
// connection fails or ctx ends. It reports whether LISTEN took effect.
func (l listener) listen(ctx context.Context) (listened bool, err error) {
	cfg := l.db.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "gridsentry " + l.name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, translate(err, "connect "+l.name+" listener")
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		return false, translate(err, "listen for "+l.name)
	}
	l.onListen()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		l.onNotify(n.Payload)
	}
}
