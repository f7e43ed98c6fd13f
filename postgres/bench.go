package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/demo"
)

// What the benchmark suite (gridsentry bench) asks of its database: which
// generated city it holds and whether all of it is there, the versions of
// the server, and a record of how long building it took.

// Dataset is the generated city a database holds, as LoadDemo recorded it.
type Dataset struct {
	Seed     int64
	Scale    demo.Scale
	LoadedAt time.Time
	Counts   demo.Totals // the rows the load wrote
}

// Dataset returns the generated city the database holds; ok is false when
// it holds none (nothing loaded, or a library imported from files).
func (db *DB) Dataset(ctx context.Context) (d Dataset, ok bool, err error) {
	var counts []byte
	var scale string
	err = db.pool.QueryRow(ctx, `SELECT coalesce(seed, 0), coalesce(scale, ''), loaded_at, counts
		FROM datasets WHERE name = 'demo'`).Scan(&d.Seed, &scale, &d.LoadedAt, &counts)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, false, nil
	}
	if err != nil {
		return d, false, translate(err, "read dataset")
	}
	d.Scale = demo.Scale(scale)
	if err := json.Unmarshal(counts, &d.Counts); err != nil {
		return d, false, fmt.Errorf("postgres: dataset counts: %w", err)
	}
	return d, true, nil
}

// LibraryCounts returns the rows of the library's tables and of the
// entities, counted exactly: towns, villages, grids, doorplates,
// buildings, rooms, entities. The history (inspections, tasks) grows as
// the service runs and is not counted.
func (db *DB) LibraryCounts(ctx context.Context) (demo.Totals, error) {
	var t demo.Totals
	err := db.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM towns), (SELECT count(*) FROM villages), (SELECT count(*) FROM grids),
		(SELECT count(*) FROM doorplates), (SELECT count(*) FROM buildings), (SELECT count(*) FROM rooms),
		(SELECT count(*) FROM entities)`).Scan(&t.Towns, &t.Villages, &t.Grids, &t.Doorplates, &t.Buildings, &t.Rooms, &t.Entities)
	return t, translate(err, "count the library")
}

// ServerVersions returns the versions of PostgreSQL and PostGIS.
func (db *DB) ServerVersions(ctx context.Context) (postgres, postgis string, err error) {
	err = db.pool.QueryRow(ctx, `SELECT current_setting('server_version'), postgis_lib_version()`).Scan(&postgres, &postgis)
	return postgres, postgis, translate(err, "server versions")
}

// benchRecordKey is the key of the benchmark's record in the database's
// comment.
const benchRecordKey = "gridsentry_bench"

// BenchRecord returns the record the benchmark suite keeps of the
// database's build (see SetBenchRecord): raw JSON, nil when there is none.
func (db *DB) BenchRecord(ctx context.Context) (json.RawMessage, error) {
	var comment *string
	err := db.pool.QueryRow(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database
		WHERE datname = current_database()`).Scan(&comment)
	if err != nil {
		return nil, translate(err, "read the bench record")
	}
	if comment == nil {
		return nil, nil
	}
	var c map[string]json.RawMessage
	if json.Unmarshal([]byte(*comment), &c) != nil {
		return nil, nil // a comment someone else wrote
	}
	return c[benchRecordKey], nil
}

// SetBenchRecord stores the benchmark suite's record of the database's
// build (how long loading, importing and linking took, and when) as the
// database's comment. A comment lives and dies with the database it
// describes: a database dropped and built again starts without one, so a
// record never outlives the data it timed, and it needs no table beside
// the migrated schema.
func (db *DB) SetBenchRecord(ctx context.Context, record json.RawMessage) error {
	comment, err := json.Marshal(map[string]json.RawMessage{benchRecordKey: record})
	if err != nil {
		return err
	}
	// COMMENT takes no parameters: let the server quote the literal.
	var stmt string
	if err := db.pool.QueryRow(ctx, `SELECT format('COMMENT ON DATABASE %I IS %L', current_database(), $1::text)`,
		string(comment)).Scan(&stmt); err != nil {
		return translate(err, "write the bench record")
	}
	_, err = db.pool.Exec(ctx, stmt)
	return translate(err, "write the bench record")
}
