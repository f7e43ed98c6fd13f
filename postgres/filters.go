package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// savedFilterColumns are the columns scanSavedFilter reads, in its order.
const savedFilterColumns = `id, town_code, name, description, filter, created_by, created_at, updated_at, version`

func scanSavedFilter(row pgx.Row) (supervision.SavedFilter, error) {
	var sf supervision.SavedFilter
	err := row.Scan(&sf.ID, &sf.TownCode, &sf.Name, &sf.Description, &sf.Filter, &sf.CreatedBy,
		&sf.CreatedAt, &sf.UpdatedAt, &sf.Version)
	return sf, err
}

// filterWriteErr translates the errors of a write of a saved filter: a
// name taken in the scope is a conflict naming the field.
func filterWriteErr(err error, sf supervision.SavedFilter, what string) error {
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23505" {
		scope := "the city"
		if sf.TownCode != "" {
			scope = "town " + sf.TownCode
		}
		return &derrors.Error{Kind: derrors.Conflict, Field: "name",
			Message: fmt.Sprintf("a filter named %q is already saved for %s", sf.Name, scope), Err: err}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return derrors.New(derrors.NotFound, "saved filter %d not found", sf.ID)
	}
	return translate(err, what)
}

// CreateFilter saves a new filter and returns it as stored.
func (db *DB) CreateFilter(ctx context.Context, sf supervision.SavedFilter) (supervision.SavedFilter, error) {
	if err := sf.Validate(); err != nil {
		return sf, invalidInput(err)
	}
	out, err := scanSavedFilter(db.pool.QueryRow(ctx, `INSERT INTO saved_filters (town_code, name, description, filter, created_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+savedFilterColumns,
		sf.TownCode, sf.Name, sf.Description, sf.Filter, sf.CreatedBy))
	if err != nil {
		return sf, filterWriteErr(err, sf, "save filter")
	}
	return out, nil
}

// SavedFilter returns the saved filter id, or a NotFound error.
func (db *DB) SavedFilter(ctx context.Context, id int64) (supervision.SavedFilter, error) {
	sf, err := scanSavedFilter(db.pool.QueryRow(ctx, `SELECT `+savedFilterColumns+` FROM saved_filters WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return sf, derrors.New(derrors.NotFound, "saved filter %d not found", id)
	}
	return sf, translate(err, "read saved filter")
}

// SavedFilters lists the saved filters in id order after the id after, up
// to limit+1 of them (the extra one says another page follows): every
// filter when town is "", else the city-wide ones and the town's.
func (db *DB) SavedFilters(ctx context.Context, town string, after int64, limit int) ([]supervision.SavedFilter, error) {
	w := &sqlConds{}
	if town != "" {
		w.add("town_code IN ('', %s)", town)
	}
	if after > 0 {
		w.add("id > %s", after)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+savedFilterColumns+` FROM saved_filters`+w.where()+
		` ORDER BY id LIMIT `+w.arg(limit+1), w.args...)
	if err != nil {
		return nil, translate(err, "list saved filters")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.SavedFilter, error) {
		return scanSavedFilter(row)
	})
	return out, translate(err, "list saved filters")
}

// UpdateFilter replaces the name, description and filter of saved filter
// sf.ID (its scope and author stay) and returns it as stored. ifVersion,
// when not 0, is the version the caller last read: another one stored is a
// conflict.
func (db *DB) UpdateFilter(ctx context.Context, sf supervision.SavedFilter, ifVersion int) (supervision.SavedFilter, error) {
	if err := sf.Validate(); err != nil {
		return sf, invalidInput(err)
	}
	out, err := scanSavedFilter(db.pool.QueryRow(ctx, `UPDATE saved_filters
		SET name = $2, description = $3, filter = $4, updated_at = now(), version = version + 1
		WHERE id = $1 AND ($5 = 0 OR version = $5) RETURNING `+savedFilterColumns,
		sf.ID, sf.Name, sf.Description, sf.Filter, ifVersion))
	if errors.Is(err, pgx.ErrNoRows) && ifVersion != 0 {
		var version int
		if db.pool.QueryRow(ctx, `SELECT version FROM saved_filters WHERE id = $1`, sf.ID).Scan(&version) == nil {
			return sf, derrors.New(derrors.Conflict, "saved filter %d is at version %d, not %d: read it again", sf.ID, version, ifVersion)
		}
	}
	if err != nil {
		return sf, filterWriteErr(err, sf, "update saved filter")
	}
	return out, nil
}

// DeleteFilter deletes saved filter id.
func (db *DB) DeleteFilter(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM saved_filters WHERE id = $1`, id)
	if err != nil {
		return translate(err, "delete saved filter")
	}
	if tag.RowsAffected() == 0 {
		return derrors.New(derrors.NotFound, "saved filter %d not found", id)
	}
	return nil
}
