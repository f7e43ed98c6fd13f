package postgres

import (
	"context"

	"github.com/gridsentry/gridsentry/addressbook"
)

// LookupCode says what a doorplate or room code is and, when it was retired,
// which current code it resolves to (ResolveAddress follows the chain); for
// a room it also gives the building of the current room.
func (db *DB) LookupCode(ctx context.Context, code string) (addressbook.CodeInfo, error) {
	res, err := db.ResolveAddress(ctx, code)
	if err != nil {
		return addressbook.CodeInfo{Code: code}, err
	}
	info := addressbook.CodeInfo{Code: code, Kind: string(res.Kind), Retired: res.Retired, RetiredAt: res.RetiredAt}
	if res.Retired {
		info.Chain = append([]string{code}, res.SuccessorChain...)
		info.Successor = res.Current
	}
	current := code
	if res.Retired {
		current = res.Current
	}
	if res.Kind == addressbook.TypeRoom && current != "" {
		err := db.pool.QueryRow(ctx, `SELECT building_id FROM rooms WHERE code = $1`, current).Scan(&info.BuildingID)
		if err != nil {
			return info, notFound(err, "room", current)
		}
	}
	return info, nil
}
