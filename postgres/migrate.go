package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/gridsentry/gridsentry/migrations"
)

// Migrator applies the embedded migrations with goose.
type Migrator struct {
	db       *DB
	sqlDB    *sql.DB
	provider *goose.Provider
}

// Migrator returns a migrator over db's pool. Close it when done.
func (db *DB) Migrator() (*Migrator, error) {
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return &Migrator{db: db, sqlDB: sqlDB, provider: p}, nil
}

// Close releases the migrator's handle (not db's pool).
func (m *Migrator) Close() error { return m.sqlDB.Close() }

// Up applies every pending migration and reports each to log.
func (m *Migrator) Up(ctx context.Context, log *slog.Logger) error {
	res, err := m.provider.Up(ctx)
	// Connections opened before the postgis extension existed do not know
	// the geometry type; start afresh.
	defer m.db.pool.Reset()
	for _, r := range res {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	if err != nil {
		return translate(err, "migrate up")
	}
	return nil
}

// Down rolls back the most recent migration.
func (m *Migrator) Down(ctx context.Context, log *slog.Logger) error {
	r, err := m.provider.Down(ctx)
	if r != nil {
		log.Info("migration rolled back", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	if err != nil {
		return translate(err, "migrate down")
	}
	return nil
}

// DownTo rolls back to version (0 rolls back everything).
func (m *Migrator) DownTo(ctx context.Context, version int64) error {
	_, err := m.provider.DownTo(ctx, version)
	return translate(err, "migrate down")
}

// Current reports whether every embedded migration is applied.
func (m *Migrator) Current(ctx context.Context) (bool, error) {
	pending, err := m.provider.HasPending(ctx)
	if err != nil {
		return false, translate(err, "migration status")
	}
	return !pending, nil
}

// Versions returns the database's version and the newest embedded one.
func (m *Migrator) Versions(ctx context.Context) (current, target int64, err error) {
	current, target, err = m.provider.GetVersions(ctx)
	return current, target, translate(err, "migration versions")
}

// PrintStatus writes one line per migration: applied or pending, and when.
func (m *Migrator) PrintStatus(ctx context.Context, w io.Writer) error {
	st, err := m.provider.Status(ctx)
	if err != nil {
		return translate(err, "migration status")
	}
	for _, s := range st {
		when := "-"
		if !s.AppliedAt.IsZero() {
			when = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(w, "%-8s %-20s %s\n", s.State, when, s.Source.Path)
	}
	return nil
}
