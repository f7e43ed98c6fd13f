package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/supervision"
)

// EachEntity calls fn with every entity f selects, in USCC order; f.Limit is
// ignored (an export has no pages), f.After is honoured. Rows are scanned
// one at a time as the server sends them, so memory does not grow with the
// selection, and the first error of fn stops the query and is returned.
//
// The query runs in a read-only transaction without the pool's statement
// timeout: a client reading two million rows may take longer than any API
// query should, and a client that hangs up cancels the query through ctx.
func (db *DB) EachEntity(ctx context.Context, f supervision.EntityFilter, fn func(supervision.EntityRecord) error) error {
	f.Limit = 0
	w, err := db.entityWhere(ctx, f, true)
	if err != nil {
		return err
	}
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return translate(err, "begin entity export")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return translate(err, "configure entity export")
	}
	rows, err := tx.Query(ctx, "SELECT "+entityColumns+" FROM entities"+w.where()+" ORDER BY uscc", w.args...)
	if err != nil {
		return translate(err, "export entities")
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := scanEntity(rows)
		if err != nil {
			return translate(err, "export entities")
		}
		if err := fn(rec); err != nil {
			return fmt.Errorf("export entity %s: %w", rec.USCC, err)
		}
	}
	return translate(rows.Err(), "export entities")
}
