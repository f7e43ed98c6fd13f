package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// applyFlagChanges writes what Reconcile asked for within tx: raised flags
// are inserted, updated and re-opened ones take the new facts, resolved
// ones close; each but a rescore leaves an event. It returns the counts by
// action and an alert per flag raised or re-opened.
func applyFlagChanges(ctx context.Context, tx pgx.Tx, changes []supervision.FlagChange, now time.Time) (map[supervision.FlagAction]int, []supervision.Alert, error) {
	counts := map[supervision.FlagAction]int{}
	if len(changes) == 0 {
		return counts, nil, nil
	}
	rows := make([][]any, len(changes))
	for i := range changes {
		c := &changes[i]
		counts[c.Action]++
		row := []any{int32(i), string(c.Action), c.ID, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, c.Fingerprint}
		if f := c.Finding; f != nil {
			ev, err := json.Marshal(f.Evidence)
			if err != nil {
				return nil, nil, err
			}
			usccs := make([]string, len(f.USCCs))
			for j, u := range f.USCCs {
				usccs[j] = string(u)
			}
			var lon, lat *float64
			if f.Location != nil {
				lon, lat = &f.Location.Lon, &f.Location.Lat
			}
			copy(row[3:], []any{string(f.Kind), f.Subject, nullString(string(f.USCC)), usccs, nullString(f.AddressCode),
				nullInt(f.BuildingID), nullString(f.GridCode), nullString(f.VillageCode), nullString(f.TownCode),
				lon, lat, float32(f.Score), f.Title, string(ev)})
		}
		rows[i] = row
	}
	src, err := stageFlagChanges(ctx, tx, rows)
	if err != nil {
		return nil, nil, err
	}
	// Raise: a concurrent evaluation may have raised the same flag first.
	q, args := src.from(2)
	res, _ := tx.Query(ctx, `INSERT INTO flags (kind, subject, uscc, usccs, address_code, building_id, grid_code,
			village_code, town_code, location, score, title, evidence, fingerprint, status, raised_at, opened_at, updated_at)
		SELECT c.kind, c.subject, c.uscc, c.usccs, c.address_code, c.building_id, c.grid_code, c.village_code, c.town_code,
			CASE WHEN c.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326) END,
			c.score, c.title, c.evidence, c.fingerprint, 'open', $1, $1, $1
		FROM `+q+` WHERE c.action = 'raise' ORDER BY c.n
		ON CONFLICT (kind, subject) DO NOTHING
		RETURNING id`, append([]any{now}, args...)...)
	raised, err := pgx.CollectRows(res, pgx.RowTo[int64])
	if err != nil {
		return nil, nil, translate(err, "raise flags")
	}
	_, err = tx.Exec(ctx, `UPDATE flags f SET uscc = c.uscc, usccs = c.usccs, address_code = c.address_code,
			building_id = c.building_id, grid_code = c.grid_code, village_code = c.village_code, town_code = c.town_code,
			location = CASE WHEN c.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326) END,
			score = c.score, title = c.title, evidence = c.evidence, fingerprint = c.fingerprint, updated_at = $1,
			status = CASE WHEN c.action = 'reopen' THEN 'open' ELSE f.status END,
			opened_at = CASE WHEN c.action = 'reopen' THEN $1 ELSE f.opened_at END,
			resolved_at = CASE WHEN c.action = 'reopen' THEN NULL ELSE f.resolved_at END
		FROM `+q+` WHERE c.id = f.id AND c.action IN ('update', 'reopen', 'rescore')`, append([]any{now}, args...)...)
	if err != nil {
		return nil, nil, translate(err, "update flags")
	}
	_, err = tx.Exec(ctx, `UPDATE flags f SET status = 'resolved', resolved_at = $1, updated_at = $1
		FROM `+q+` WHERE c.id = f.id AND c.action = 'resolve' AND f.status = 'open'`, append([]any{now}, args...)...)
	if err != nil {
		return nil, nil, translate(err, "resolve flags")
	}
	q2, args2 := src.from(3)
	_, err = tx.Exec(ctx, `INSERT INTO flag_events (flag_id, at, action, actor, status, score, evidence)
		SELECT f.id, $1::timestamptz, 'raise', 'system', f.status, f.score, f.evidence FROM flags f WHERE f.id = ANY($2)
		UNION ALL
		SELECT f.id, $1, c.action, 'system', f.status, c.score, c.evidence
		FROM `+q2+` JOIN flags f ON f.id = c.id WHERE c.action IN ('update', 'reopen', 'resolve')`, append([]any{now, raised}, args2...)...)
	if err != nil {
		return nil, nil, translate(err, "record flag events")
	}
	var reopened []int64
	for _, c := range changes {
		if c.Action == supervision.FlagReopen {
			reopened = append(reopened, c.ID)
		}
	}
	res, _ = tx.Query(ctx, `SELECT f.id, f.kind, CASE WHEN f.id = ANY($1) THEN 'raise' ELSE 'reopen' END,
			coalesce(f.uscc, ''), coalesce(f.town_code, ''), coalesce(f.grid_code, ''), f.score, f.title, f.location
		FROM flags f WHERE f.id = ANY($1::bigint[] || $2::bigint[])
		ORDER BY f.id`, raised, reopened)
	alerts, err := pgx.CollectRows(res, func(row pgx.CollectableRow) (supervision.Alert, error) {
		a := supervision.Alert{At: now}
		var kind, action, uscc string
		var score float32
		var loc []byte
		if err := row.Scan(&a.FlagID, &kind, &action, &uscc, &a.TownCode, &a.GridCode, &score, &a.Title, &loc); err != nil {
			return a, err
		}
		a.Kind, a.Action, a.USCC, a.Score = supervision.FlagKind(kind), supervision.FlagAction(action), supervision.USCC(uscc), float64(score)
		p, err := pointOf(loc)
		a.Location = p
		return a, err
	})
	if err != nil {
		return nil, nil, translate(err, "read raised flags")
	}
	return counts, alerts, src.drop(ctx, tx)
}

// flagChangeColumns are the columns of a staged change.
var flagChangeColumns = []string{"n", "action", "id", "kind", "subject", "uscc", "usccs", "address_code", "building_id",
	"grid_code", "village_code", "town_code", "lon", "lat", "score", "title", "evidence", "fingerprint"}

// stagedChanges is where the statements of applyFlagChanges read the
// changes from: a few travel as arrays unnested in each statement (a
// check-in's verdict: no catalog churn), many are copied into a temporary
// table (a full run's).
type stagedChanges struct {
	rows [][]any
	temp bool
}

// stagedArrayLimit is the most changes passed as arrays.
const stagedArrayLimit = 200

func stageFlagChanges(ctx context.Context, tx pgx.Tx, rows [][]any) (stagedChanges, error) {
	if len(rows) <= stagedArrayLimit {
		return stagedChanges{rows: rows}, nil
	}
	_, err := tx.Exec(ctx, `CREATE TEMP TABLE flag_changes (
		n integer, action text, id bigint, kind text, subject text, uscc text, usccs text[], address_code text,
		building_id bigint, grid_code text, village_code text, town_code text, lon float8, lat float8,
		score real, title text, evidence jsonb, fingerprint text) ON COMMIT DROP`)
	if err != nil {
		return stagedChanges{}, translate(err, "stage flag changes")
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"flag_changes"}, flagChangeColumns, pgx.CopyFromRows(rows))
	return stagedChanges{temp: true}, translate(err, "stage flag changes")
}

// from returns the changes as a FROM item aliased c, its parameters
// numbered from $first, and their values.
func (s stagedChanges) from(first int) (string, []any) {
	if s.temp {
		return "flag_changes c", nil
	}
	cols := make([][]any, len(flagChangeColumns))
	for _, row := range s.rows {
		for j, v := range row {
			if j == 6 && v != nil { // usccs: one text per row, split again below
				v = strings.Join(v.([]string), ",")
			}
			cols[j] = append(cols[j], v)
		}
	}
	types := []string{"integer", "text", "bigint", "text", "text", "text", "text", "text", "bigint", "text", "text", "text",
		"float8", "float8", "real", "text", "text", "text"}
	params := make([]string, len(cols))
	for j := range cols {
		params[j] = fmt.Sprintf("$%d::%s[]", first+j, types[j])
	}
	sql := `(SELECT n, action, id, kind, subject, uscc, string_to_array(usccs, ',') AS usccs, address_code, building_id,
		grid_code, village_code, town_code, lon, lat, score, title, evidence::jsonb AS evidence, fingerprint
		FROM unnest(` + strings.Join(params, ", ") + `) AS x(` + strings.Join(flagChangeColumns, ", ") + `)) c`
	args := make([]any, len(cols))
	for j, c := range cols {
		args[j] = c
	}
	return sql, args
}

func (s stagedChanges) drop(ctx context.Context, tx pgx.Tx) error {
	if !s.temp {
		return nil
	}
	_, err := tx.Exec(ctx, "DROP TABLE flag_changes")
	return translate(err, "drop the staged flag changes")
}

// publishAlerts notifies every listening node of the alerts, delivered
// when tx commits.
func publishAlerts(ctx context.Context, tx pgx.Tx, alerts []supervision.Alert) error {
	for _, a := range alerts {
		if err := PublishAlert(ctx, tx, a); err != nil {
			return err
		}
	}
	return nil
}

// flagColumns are the columns scanFlag reads, of alias f.
const flagColumns = `f.id, f.kind, f.subject, coalesce(f.uscc, ''), f.usccs, coalesce(f.address_code, ''),
	coalesce(f.building_id, 0), coalesce(f.grid_code, ''), coalesce(f.village_code, ''), coalesce(f.town_code, ''),
	f.location, f.score, f.title, f.evidence, f.fingerprint, f.status, f.raised_at, f.opened_at, f.updated_at,
	f.reviewed_at, f.reviewer, f.review_reason, f.resolved_at`

func scanFlag(row pgx.CollectableRow) (supervision.Flag, error) {
	var f supervision.Flag
	var kind, uscc, status string
	var usccs []string
	var loc []byte
	var score float32
	err := row.Scan(&f.ID, &kind, &f.Subject, &uscc, &usccs, &f.AddressCode, &f.BuildingID, &f.GridCode,
		&f.VillageCode, &f.TownCode, &loc, &score, &f.Title, &f.Evidence, &f.Fingerprint, &status,
		&f.RaisedAt, &f.OpenedAt, &f.UpdatedAt, &f.ReviewedAt, &f.Reviewer, &f.ReviewReason, &f.ResolvedAt)
	if err != nil {
		return f, err
	}
	f.Kind, f.USCC, f.Status, f.Score = supervision.FlagKind(kind), supervision.USCC(uscc), supervision.FlagStatus(status), float64(score)
	f.USCCs = make([]supervision.USCC, len(usccs))
	for i, u := range usccs {
		f.USCCs[i] = supervision.USCC(u)
	}
	if f.Location, err = pointOf(loc); err != nil {
		return f, fmt.Errorf("flag %d: location: %w", f.ID, err)
	}
	return f, nil
}

// Flags lists flags by id and reports whether another page follows.
func (db *DB) Flags(ctx context.Context, ff supervision.FlagFilter) ([]supervision.Flag, bool, error) {
	var c conds
	for _, eq := range []struct{ col, v string }{
		{"f.kind", string(ff.Kind)}, {"f.status", string(ff.Status)}, {"f.town_code", ff.TownCode}, {"f.grid_code", ff.GridCode},
	} {
		if eq.v != "" {
			c.add(eq.col+" = $?", eq.v)
		}
	}
	if ff.USCC != "" {
		c.add("$? = ANY(f.usccs)", string(ff.USCC))
	}
	if ff.MinScore != nil {
		c.add("f.score >= $?", *ff.MinScore)
	}
	if b := ff.BBox; b != nil {
		c.add("f.location && ST_MakeEnvelope(($?::float8[])[1], ($?::float8[])[2], ($?::float8[])[3], ($?::float8[])[4], 4326)", b[:])
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+flagColumns+" FROM flags f"+c.page("f.id", ff.After, ff.Limit), c.args...)
	fs, err := pgx.CollectRows(rows, scanFlag)
	if err != nil {
		return nil, false, translate(err, "list flags")
	}
	fs, more := morePages(fs, ff.Limit)
	return fs, more, nil
}

// Flag returns a flag with its history, oldest first.
func (db *DB) Flag(ctx context.Context, id int64) (supervision.Flag, []supervision.FlagEvent, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+flagColumns+" FROM flags f WHERE f.id = $1", id)
	f, err := pgx.CollectExactlyOneRow(rows, scanFlag)
	if err != nil {
		return f, nil, notFound(err, "flag", fmt.Sprint(id))
	}
	rows, _ = db.pool.Query(ctx, `SELECT at, action, actor, status, note, score, evidence FROM flag_events
		WHERE flag_id = $1 ORDER BY id`, id)
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.FlagEvent, error) {
		var e supervision.FlagEvent
		var status string
		var score *float32
		err := row.Scan(&e.At, &e.Action, &e.Actor, &status, &e.Note, &score, &e.Evidence)
		e.Status = supervision.FlagStatus(status)
		if score != nil {
			s := float64(*score)
			e.Score = &s
		}
		return e, err
	})
	if err != nil {
		return f, nil, translate(err, "read flag events")
	}
	return f, events, nil
}

// ReviewFlag records a reviewer's decision: 404 for an unknown flag, 400
// for an incomplete review, 409 for a step the flag's status does not
// allow.
func (db *DB) ReviewFlag(ctx context.Context, id int64, r supervision.Review) (supervision.Flag, error) {
	var f supervision.Flag
	if err := r.Validate(); err != nil {
		return f, invalidInput(err)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM flags WHERE id = $1 FOR UPDATE`, id).Scan(&status); err != nil {
			return notFound(err, "flag", fmt.Sprint(id))
		}
		next, err := supervision.FlagStatus(status).Next(r.Decision)
		if err != nil {
			return conflict(err)
		}
		now := time.Now()
		_, err = tx.Exec(ctx, `UPDATE flags SET status = $2, reviewed_at = $3, reviewer = $4, review_reason = $5,
				updated_at = $3, opened_at = CASE WHEN $2 = 'open' THEN $3 ELSE opened_at END
			WHERE id = $1`, id, string(next), now, r.Reviewer, r.Reason)
		if err != nil {
			return translate(err, "review flag")
		}
		_, err = tx.Exec(ctx, `INSERT INTO flag_events (flag_id, at, action, actor, status, note)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, now, string(r.Decision), r.Reviewer, string(next), r.Reason)
		if err != nil {
			return translate(err, "record the review")
		}
		rows, _ := tx.Query(ctx, "SELECT "+flagColumns+" FROM flags f WHERE f.id = $1", id)
		f, err = pgx.CollectExactlyOneRow(rows, scanFlag)
		return translate(err, "read the reviewed flag")
	})
	return f, err
}

// OpenFlags returns the open flags concerning any of the entities or the
// address, most severe first: what entity and address responses show.
func (db *DB) OpenFlags(ctx context.Context, usccs []supervision.USCC, addressCode string) ([]supervision.Flag, error) {
	us := make([]string, len(usccs))
	for i, u := range usccs {
		us[i] = string(u)
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+flagColumns+` FROM flags f
		WHERE f.status = 'open' AND (f.usccs && $1::text[] OR ($2 <> '' AND f.address_code = $2))
		ORDER BY f.score DESC, f.id LIMIT 200`, us, addressCode)
	fs, err := pgx.CollectRows(rows, scanFlag)
	if err != nil {
		return nil, translate(err, "read open flags")
	}
	return fs, nil
}

// RestrictedTrades returns the restricted-trade rules.
func (db *DB) RestrictedTrades(ctx context.Context) ([]supervision.RestrictedTrade, error) {
	return restrictedTrades(ctx, db.pool)
}

// likeEscaper makes text match itself in a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// ReplaceRestrictedTrades replaces the restricted-trade rules and queues
// for evaluation the entities they may change: those whose business scope
// names a keyword of the old rules or the new, and those with a restricted
// trade flag. (A scope written in traditional characters, which the rule
// reads simplified, waits for the next full run.)
func (db *DB) ReplaceRestrictedTrades(ctx context.Context, ts []supervision.RestrictedTrade) error {
	if err := supervision.ValidateTrades(ts); err != nil {
		return invalidInput(err)
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		old, err := restrictedTrades(ctx, tx)
		if err != nil {
			return err
		}
		var patterns []string
		for _, t := range append(old, ts...) {
			for _, k := range t.Keywords {
				patterns = append(patterns, "%"+likeEscaper.Replace(k)+"%")
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM restricted_trades"); err != nil {
			return translate(err, "replace restricted trades")
		}
		for i, t := range ts {
			if _, err := tx.Exec(ctx, `INSERT INTO restricted_trades (code, label, keywords, uses, position)
				VALUES ($1, $2, $3, $4, $5)`, t.Code, t.Label, t.Keywords, t.Uses, i); err != nil {
				return translate(err, "replace restricted trades")
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO flag_queue (uscc)
			SELECT uscc FROM entities WHERE status = 'active' AND building_id IS NOT NULL AND scope LIKE ANY($1)
			UNION SELECT uscc FROM flags WHERE kind = 'restricted_trade' AND status <> 'resolved'
			ON CONFLICT DO NOTHING`, patterns)
		return translate(err, "queue entities for the new rules")
	})
}

// ClusterHosts returns the approved cluster-registration hosts by address
// code.
func (db *DB) ClusterHosts(ctx context.Context) ([]supervision.ClusterHost, error) {
	rows, _ := db.pool.Query(ctx, `SELECT address_code, name, approved_at, approved_by FROM cluster_hosts ORDER BY address_code`)
	hs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.ClusterHost, error) {
		var h supervision.ClusterHost
		return h, row.Scan(&h.AddressCode, &h.Name, &h.ApprovedAt, &h.ApprovedBy)
	})
	if err != nil {
		return nil, translate(err, "read cluster hosts")
	}
	return hs, nil
}

// PutClusterHost approves (or updates) a cluster-registration host at a
// current standard address, and queues the entities registered there for
// evaluation. An unknown or retired address is a 400.
func (db *DB) PutClusterHost(ctx context.Context, h supervision.ClusterHost) error {
	if err := h.Validate(); err != nil {
		return invalidInput(err)
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var known bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM rooms WHERE code = $1 AND retired_at IS NULL)
			OR EXISTS (SELECT 1 FROM doorplates WHERE code = $1 AND retired_at IS NULL)`, h.AddressCode).Scan(&known)
		if err != nil {
			return translate(err, "look up the host's address")
		}
		if !known {
			return derrors.Field("address_code", "%s is not a current room or doorplate of the library", h.AddressCode)
		}
		_, err = tx.Exec(ctx, `INSERT INTO cluster_hosts (address_code, name, approved_at, approved_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (address_code) DO UPDATE SET name = excluded.name, approved_at = excluded.approved_at,
				approved_by = excluded.approved_by`, h.AddressCode, h.Name, h.ApprovedAt, h.ApprovedBy)
		if err != nil {
			return translate(err, "store the cluster host")
		}
		return queueAddress(ctx, tx, h.AddressCode)
	})
}

// DeleteClusterHost withdraws a host's approval; the entities registered
// there are evaluated again. An unknown host is a 404.
func (db *DB) DeleteClusterHost(ctx context.Context, addressCode string) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM cluster_hosts WHERE address_code = $1`, addressCode)
		if err != nil {
			return translate(err, "delete the cluster host")
		}
		if tag.RowsAffected() == 0 {
			return derrors.New(derrors.NotFound, "no cluster host at %s", addressCode)
		}
		return queueAddress(ctx, tx, addressCode)
	})
}

func queueAddress(ctx context.Context, tx pgx.Tx, code string) error {
	_, err := tx.Exec(ctx, `INSERT INTO flag_queue (uscc) SELECT uscc FROM entities WHERE address_code = $1
		ON CONFLICT DO NOTHING`, code)
	return translate(err, "queue the entities at the address")
}
