package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// DB is a pool of connections to the gridsentry database.
type DB struct {
	pool    *pgxpool.Pool
	ready   readiness
	flagCfg supervision.FlagConfig // the thresholds of the flag rules (SetFlagConfig)
}

// Options tune the pool. Zero values take the defaults.
type Options struct {
	MaxConns         int32         // default: pgx's (max(4, NumCPU))
	ConnectTimeout   time.Duration // default 3s: a stopped database must fail fast
	StatementTimeout time.Duration // default 30s, 0 keeps the default; negative disables
	// Tracer, when set, sees every query of the pool (a pgx.BatchTracer
	// too sees the queries of batches): tests record the SQL of a path.
	Tracer pgx.QueryTracer
}

// Open connects to the database at url. It does not fail when the database
// is down: the pool connects lazily, so the service can start and report
// itself unready until the database comes back.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	cfg, err := poolConfig(url, opt)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	return &DB{pool: pool}, nil
}

// poolConfig returns the settings of a pool of connections to url.
func poolConfig(url string, opt Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database url: %w", maskURLError(err))
	}
	if opt.ConnectTimeout == 0 {
		opt.ConnectTimeout = 3 * time.Second
	}
	cfg.ConnConfig.ConnectTimeout = opt.ConnectTimeout
	if opt.MaxConns > 0 {
		cfg.MaxConns = opt.MaxConns
	}
	switch {
	case opt.StatementTimeout == 0:
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = "30000"
	case opt.StatementTimeout > 0:
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(opt.StatementTimeout.Milliseconds())
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "gridsentry"
	cfg.ConnConfig.Tracer = opt.Tracer
	cfg.AfterConnect = registerGeometry
	return cfg, nil
}

// Close closes every connection.
func (db *DB) Close() {
	if db.ready.m != nil {
		db.ready.m.Close()
	}
	db.pool.Close()
}

// Pool returns the underlying pool, for tests and tools.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// registerGeometry teaches a connection that PostGIS geometry travels as
// EWKB bytes in binary format. Before the postgis extension exists (a fresh
// database, before migrating) there is nothing to register.
func registerGeometry(ctx context.Context, conn *pgx.Conn) error {
	var oid uint32
	err := conn.QueryRow(ctx, "SELECT oid FROM pg_type WHERE typname = 'geometry' AND typtype = 'b'").Scan(&oid)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "geometry", OID: oid, Codec: pgtype.ByteaCodec{}})
	return nil
}

// Ping reports whether the database answers within ctx.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return translate(err, "ping")
	}
	return nil
}

// translate maps a pgx error to a domain error. what names the operation for
// the log; the client sees only the domain code and a safe message.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return &derrors.Error{Kind: derrors.NotFound, Message: "not found", Err: err}
	case errors.As(err, &pgErr):
		switch {
		case pgErr.Code == "23505":
			return &derrors.Error{Kind: derrors.Conflict, Message: "already exists", Err: err}
		case pgErr.Code == "23503", pgErr.Code == "23514", pgErr.Code == "23502", pgErr.Code[:2] == "22":
			return &derrors.Error{Kind: derrors.Invalid, Message: "rejected by a database constraint", Err: err}
		case pgErr.Code == "57014":
			return &derrors.Error{Kind: derrors.Unavailable, Message: "the query took too long", Err: err}
		case pgErr.Code == "40001":
			// serialization_failure: only read-only transactions ask for
			// repeatable read here, so this is a read replica cancelling a
			// query whose rows the WAL it replays removes
			// (hot_standby_feedback prevents most of these).
			return &derrors.Error{Kind: derrors.Unavailable, Message: "the read replica cancelled the query; try again", Err: err}
		case pgErr.Code[:2] == "08", pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", pgErr.Code[:2] == "53":
			return &derrors.Error{Kind: derrors.Unavailable, Message: "the database is unavailable", Err: err}
		}
	case errors.As(err, &connErr), pgconn.Timeout(err), errors.As(err, &netErr),
		errors.Is(err, context.DeadlineExceeded):
		return &derrors.Error{Kind: derrors.Unavailable, Message: "the database is unavailable", Err: err}
	}
	// A connection that died mid-query (the server was stopped) surfaces as
	// a pgconn connection-level error, marked with SafeToRetry whether true
	// or false: either way the database, not the query, is at fault.
	var connLevel interface{ SafeToRetry() bool }
	if errors.As(err, &connLevel) {
		return &derrors.Error{Kind: derrors.Unavailable, Message: "the database is unavailable", Err: err}
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// maskURLError keeps a password in a malformed URL out of messages: pgx
// already redacts it in its ParseConfigError; anything else is generic.
func maskURLError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return err
	}
	return errors.New("malformed connection string")
}
