package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
)

// maxSuccessors bounds a successor chain, so a cycle written by hand into the
// library cannot loop.
const maxSuccessors = 32

// LookupCode says what a doorplate or room code is and, when it was retired,
// follows its successors to the current code.
func (db *DB) LookupCode(ctx context.Context, code string) (addressbook.CodeInfo, error) {
	info := addressbook.CodeInfo{Code: code}
	table, kind := "doorplates", "doorplate"
	if len(code) == 18 {
		table, kind = "rooms", "room"
	}
	info.Kind = kind
	building := "0::bigint"
	if kind == "room" {
		building = "t.building_id"
	}
	// The chain of successors, oldest first, from a recursive walk.
	rows, err := db.pool.Query(ctx, `
		WITH RECURSIVE chain (code, successor_code, retired_at, building_id, depth) AS (
			SELECT t.code, t.successor_code, t.retired_at, `+building+`, 0 FROM `+table+` t WHERE t.code = $1
			UNION ALL
			SELECT t.code, t.successor_code, t.retired_at, `+building+`, c.depth + 1
			FROM chain c JOIN `+table+` t ON t.code = c.successor_code
			WHERE c.depth < $2
		)
		SELECT code, retired_at, building_id FROM chain ORDER BY depth`, code, maxSuccessors)
	if err != nil {
		return info, translate(err, "look up code")
	}
	type link struct {
		Code       string
		RetiredAt  *time.Time
		BuildingID int64
	}
	chain, err := pgx.CollectRows(rows, pgx.RowToStructByPos[link])
	if err != nil {
		return info, translate(err, "look up code")
	}
	if len(chain) == 0 {
		return info, derrors.New(derrors.NotFound, "no %s has code %s", kind, code)
	}
	first, last := chain[0], chain[len(chain)-1]
	info.BuildingID = first.BuildingID
	if first.RetiredAt == nil {
		return info, nil
	}
	info.Retired, info.RetiredAt = true, first.RetiredAt
	for _, l := range chain {
		info.Chain = append(info.Chain, l.Code)
	}
	if last.RetiredAt == nil {
		info.Successor = last.Code
		info.BuildingID = last.BuildingID
	}
	return info, nil
}
