package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
)

var _ addressbook.Resolver = (*DB)(nil)

// resolveTables are the tables ResolveAddress reads, by code length; an
// allow-list, as the table name is part of the query text.
var resolveTables = map[int]struct {
	kind  addressbook.RecordType
	table string
}{
	14: {addressbook.TypeRoad, "roads"},
	16: {addressbook.TypeDoorplate, "doorplates"},
	18: {addressbook.TypeRoom, "rooms"},
}

// ResolveAddress says where a road, doorplate or room code leads: the code
// itself when it is current, else the chain of its successors to the
// current code. The walk stops at a code it has seen (a cycle written by
// hand) and after addressbook.MaxSuccessorDepth steps, and reports the chain
// as Broken. Roads have no lifecycle: a road code resolves to itself.
func (db *DB) ResolveAddress(ctx context.Context, code string) (addressbook.Resolved, error) {
	res := addressbook.Resolved{Code: code}
	t, ok := resolveTables[len(code)]
	if !ok || !isDigits(code) {
		return res, derrors.Field("code", "%q is not a road (14 digits), doorplate (16) or room (18) code", code)
	}
	res.Kind = t.kind
	if t.kind == addressbook.TypeRoad {
		var exists bool
		if err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM roads WHERE code = $1)", code).Scan(&exists); err != nil {
			return res, translate(err, "resolve road")
		}
		if !exists {
			return res, derrors.New(derrors.NotFound, "no road has code %s", code)
		}
		res.Current = code
		return res, nil
	}
	// The walk carries the codes it has passed, so a cycle ends it; the
	// last row tells whether it ended at a current code, at a retirement
	// without successor, or was cut short.
	rows, err := db.pool.Query(ctx, `
		WITH RECURSIVE chain (code, retired_at, successor_code, depth, path) AS (
			SELECT x.code, x.retired_at, x.successor_code, 0, ARRAY[x.code] FROM `+t.table+` x WHERE x.code = $1
			UNION ALL
			SELECT x.code, x.retired_at, x.successor_code, c.depth + 1, c.path || x.code
			FROM chain c JOIN `+t.table+` x ON x.code = c.successor_code
			WHERE c.depth < $2 AND NOT x.code = ANY (c.path)
		)
		SELECT code, retired_at, successor_code FROM chain ORDER BY depth`, code, addressbook.MaxSuccessorDepth)
	if err != nil {
		return res, translate(err, "resolve "+string(t.kind))
	}
	type link struct {
		Code          string
		RetiredAt     *time.Time
		SuccessorCode *string
	}
	chain, err := pgx.CollectRows(rows, pgx.RowToStructByPos[link])
	if err != nil {
		return res, translate(err, "resolve "+string(t.kind))
	}
	if len(chain) == 0 {
		return res, derrors.New(derrors.NotFound, "no %s has code %s", t.kind, code)
	}
	first, last := chain[0], chain[len(chain)-1]
	res.Retired, res.RetiredAt = first.RetiredAt != nil, first.RetiredAt
	for _, l := range chain[1:] {
		res.SuccessorChain = append(res.SuccessorChain, l.Code)
	}
	switch {
	case last.RetiredAt == nil:
		res.Current = last.Code
	case last.SuccessorCode != nil:
		res.Broken = true // a cycle or too long
	}
	return res, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
