package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/audit"
)

// AppendAudit appends e.Clean() to the audit log and returns its id. The
// entry's time is e.At, or the database's clock when e.At is zero. The log
// is append-only: nothing here or elsewhere changes an entry once written
// (migrations/00013_audit.sql).
func (db *DB) AppendAudit(ctx context.Context, e audit.Entry) (int64, error) {
	e = e.Clean()
	if err := e.Validate(); err != nil {
		return 0, err
	}
	var detail []byte
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return 0, err // unreachable: Validate encoded it
		}
	}
	var at *time.Time
	if !e.At.IsZero() {
		at = &e.At
	}
	var id int64
	err := db.pool.QueryRow(ctx, `
		INSERT INTO audit_log (at, token_id, role, town_code, department, actor, action,
			method, route, object, status, remote, request_id, detail)
		VALUES (coalesce($1, now()), NULLIF($2, 0), NULLIF($3, ''), NULLIF($4, ''), NULLIF($5, ''), NULLIF($6, ''), $7,
			NULLIF($8, ''), NULLIF($9, ''), NULLIF($10, ''), NULLIF($11, 0), NULLIF($12, ''), NULLIF($13, ''), $14::jsonb)
		RETURNING id`,
		at, e.TokenID, e.Role, e.TownCode, e.Department, e.Actor, e.Action,
		e.Method, e.Route, e.Object, e.Status, e.Remote, e.RequestID, detail).Scan(&id)
	if err != nil {
		return 0, translate(err, "append to the audit log")
	}
	return id, nil
}

// AuditLog returns a page of the entries f selects, newest first (by id),
// and whether another page follows: the entries with ids below the last
// one returned (f.After of the next call).
func (db *DB) AuditLog(ctx context.Context, f audit.Filter) ([]audit.Entry, bool, error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	var c conds
	if f.TokenID != 0 {
		c.add("token_id = $?", f.TokenID)
	}
	for _, eq := range []struct{ col, v string }{{"action", f.Action}, {"route", f.Route}, {"object", f.Object}} {
		if eq.v != "" {
			c.add(eq.col+" = $?", eq.v)
		}
	}
	if !f.Since.IsZero() {
		c.add("at >= $?", f.Since)
	}
	if !f.Until.IsZero() {
		c.add("at < $?", f.Until)
	}
	if f.After != 0 {
		c.add("id < $?", f.After)
	}
	where := ""
	if len(c.list) > 0 {
		where = " WHERE " + strings.Join(c.list, " AND ")
	}
	limit := f.PageSize()
	c.args = append(c.args, limit+1)
	rows, _ := db.pool.Query(ctx, `
		SELECT id, at, coalesce(token_id, 0), coalesce(role, ''), coalesce(town_code, ''), coalesce(department, ''),
		       coalesce(actor, ''), action, coalesce(method, ''), coalesce(route, ''), coalesce(object, ''),
		       coalesce(status, 0), coalesce(remote, ''), coalesce(request_id, ''), detail
		FROM audit_log`+where+fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(c.args)), c.args...)
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (audit.Entry, error) {
		var e audit.Entry
		err := row.Scan(&e.ID, &e.At, &e.TokenID, &e.Role, &e.TownCode, &e.Department,
			&e.Actor, &e.Action, &e.Method, &e.Route, &e.Object,
			&e.Status, &e.Remote, &e.RequestID, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, false, translate(err, "read the audit log")
	}
	entries, more := morePages(entries, limit)
	return entries, more, nil
}
