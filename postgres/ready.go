package postgres

import (
	"context"
	"sync"

	"github.com/gridsentry/gridsentry/derrors"
)

// readiness caches the migrator /readyz uses, so each check is two queries.
type readiness struct {
	once sync.Once
	m    *Migrator
	err  error
}

// Ready reports whether the database answers and every embedded migration is
// applied. It returns an error wrapping derrors.Unavailable otherwise.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.Ping(ctx); err != nil {
		return err
	}
	db.ready.once.Do(func() { db.ready.m, db.ready.err = db.Migrator() })
	if db.ready.err != nil {
		return db.ready.err
	}
	current, target, err := db.ready.m.Versions(ctx)
	if err != nil {
		return err
	}
	if current != target {
		return derrors.New(derrors.Unavailable,
			"database schema is at version %d, this build needs %d: run gridsentry migrate up", current, target)
	}
	return nil
}
