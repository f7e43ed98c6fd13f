package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// WriteOptions say where entity writes come from and whether they push
// tasks.
type WriteOptions struct {
	Source string // api, feed, import: recorded with every version
	Push   bool   // push tasks for new and changed entities (supervision.Policy.Plan)
	Policy supervision.Policy
	Now    time.Time // zero: the clock
	FeedID int64     // the feeds row of a registration feed; 0 otherwise
}

// errConcurrentCreate means another transaction created one of the
// entities between our check and our insert: the batch is retried.
var errConcurrentCreate = errors.New("an entity was created concurrently")

// WriteEntities applies writes in one transaction: each entity's writes in
// change-time order, each against the entity as stored (locked FOR UPDATE)
// or as the previous write left it. A change older than the stored one is
// stale and changes nothing; one with the stored change time changes
// nothing. Every accepted version is kept in entity_versions, and with
// opt.Push the tasks of new and changed entities are pushed.
func (db *DB) WriteEntities(ctx context.Context, writes []supervision.Write, opt WriteOptions) ([]supervision.WriteResult, error) {
	for attempt := 0; ; attempt++ {
		var res []supervision.WriteResult
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			var err error
			res, err = writeEntities(ctx, tx, writes, opt)
			return err
		})
		if errors.Is(err, errConcurrentCreate) && attempt < 3 {
			continue
		}
		return res, err
	}
}

// entityWriteColumns are the columns a write sets, in the order of
// writeRow.
var entityWriteColumns = append([]string{"uscc", "name", "kind", "status", "registered_at", "address_text",
	"scope", "industry", "legal_rep", "phone", "id_number", "report_year", "changed_at", "version", "updated_at"},
	linkColumns...)

func writeRow(rec *supervision.EntityRecord, now time.Time) ([]any, error) {
	e := &rec.Entity
	var year *int16
	if e.ReportYear != 0 {
		y := int16(e.ReportYear)
		year = &y
	}
	row := []any{string(e.USCC), e.Name, string(e.Kind), string(e.Status), e.RegisteredAt.In(supervision.Beijing).Format(time.DateOnly),
		e.AddressText, e.Scope, e.Industry, e.LegalRep, e.Phone, e.IDNumber, year, e.ChangedAt, rec.Version, now}
	if rec.LinkedAt == nil {
		return append(row, nil, nil, nil, []byte("[]"), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil), nil
	}
	lv, err := linkValues(rec.Link, *rec.LinkedAt)
	if err != nil {
		return nil, err
	}
	return append(row, lv...), nil
}

// entityState is an entity as the batch has it so far.
type entityState struct {
	rec     *supervision.EntityRecord // nil: does not exist
	dirty   bool                      // the batch changed it
	existed bool                      // it was stored before the batch
}

func writeEntities(ctx context.Context, tx pgx.Tx, writes []supervision.Write, opt WriteOptions) ([]supervision.WriteResult, error) {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	usccs := make([]string, 0, len(writes))
	for _, w := range writes {
		usccs = append(usccs, string(w.Entity.USCC))
	}
	slices.Sort(usccs)
	usccs = slices.Compact(usccs)

	state := make(map[supervision.USCC]*entityState, len(usccs))
	rows, _ := tx.Query(ctx, "SELECT "+entityColumns+" FROM entities WHERE uscc = ANY($1) ORDER BY uscc FOR UPDATE", usccs)
	for rows.Next() {
		rec, err := scanEntity(rows)
		if err != nil {
			rows.Close()
			return nil, translate(err, "read entities")
		}
		state[rec.USCC] = &entityState{rec: &rec, existed: true}
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "read entities")
	}

	var push *pushData
	if opt.Push {
		var err error
		if push, err = loadPushData(ctx, tx); err != nil {
			return nil, err
		}
	}

	// Apply each entity's writes in change-time order.
	order := make([]int, len(writes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		wa, wb := &writes[a].Entity, &writes[b].Entity
		if c := strings.Compare(string(wa.USCC), string(wb.USCC)); c != 0 {
			return c
		}
		return wa.ChangedAt.Compare(wb.ChangedAt)
	})
	results := make([]supervision.WriteResult, len(writes))
	var versions [][]any
	var tasks []taskRow
	for _, i := range order {
		w := &writes[i]
		st := state[w.Entity.USCC]
		if st == nil {
			st = &entityState{}
			state[w.Entity.USCC] = st
		}
		var old *supervision.Entity
		if st.rec != nil {
			old = &st.rec.Entity
		}
		if w.Cancel {
			if old == nil {
				results[i] = supervision.WriteResult{USCC: w.Entity.USCC, Line: w.Line, Outcome: supervision.Rejected,
					Error: "a cancel change for an entity that is not registered here"}
				continue
			}
			e := *old
			e.Status, e.ChangedAt = w.Entity.Status, w.Entity.ChangedAt
			w.Entity = e
		}
		if w.IfVersion > 0 && (st.rec == nil || st.rec.Version != w.IfVersion) {
			have := 0
			if st.rec != nil {
				have = st.rec.Version
			}
			return nil, derrors.New(derrors.Conflict, "entity %s is at version %d, not %d: read it again and retry", w.Entity.USCC, have, w.IfVersion)
		}
		outcome := supervision.Decide(old, &w.Entity)
		r := supervision.WriteResult{USCC: w.Entity.USCC, Line: w.Line, Outcome: outcome}
		switch outcome {
		case supervision.Stale:
			r.Version = st.rec.Version
		case supervision.Unchanged:
			r.Version = st.rec.Version
			if w.Entity.ChangedAt.After(st.rec.ChangedAt) {
				// The same content, changed later: remember the later time,
				// so that a change between the two is stale.
				next := *st.rec
				next.ChangedAt = w.Entity.ChangedAt
				st.rec, st.dirty = &next, true
			}
		default:
			next := supervision.EntityRecord{Entity: w.Entity, Version: 1}
			if st.rec != nil {
				next.Version = st.rec.Version + 1
				next.LastInspectedAt = st.rec.LastInspectedAt
			}
			switch {
			case w.Link != nil:
				next.Link, next.LinkedAt = *w.Link, &now
			case st.rec != nil && st.rec.AddressText == w.Entity.AddressText:
				next.Link, next.LinkedAt = st.rec.Link, st.rec.LinkedAt
			}
			snapshot, err := json.Marshal(versionSnapshot(&next.Entity))
			if err != nil {
				return nil, err
			}
			versions = append(versions, []any{string(next.USCC), next.Version, next.ChangedAt, opt.Source, snapshot, now})
			if push != nil {
				var oldLink *supervision.Link
				if st.rec != nil {
					oldLink = &st.rec.Link
				}
				planned := opt.Policy.Plan(supervision.Change{Old: old, OldLink: oldLink, New: next.Entity, Link: next.Link},
					push.rules, push.items(next.Link.TownCode), now)
				for _, t := range planned {
					tasks = append(tasks, taskRow{task: t, version: next.Version, result: i})
				}
			}
			st.rec, st.dirty = &next, true
			r.Version = next.Version
		}
		results[i] = r
	}

	if err := storeEntities(ctx, tx, state, now); err != nil {
		return nil, err
	}
	if len(versions) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"entity_versions"},
			[]string{"uscc", "version", "changed_at", "source", "row_data", "written_at"}, pgx.CopyFromRows(versions)); err != nil {
			return nil, translate(err, "record entity versions")
		}
	}
	if len(tasks) > 0 {
		ids, err := insertTasks(ctx, tx, tasks, opt.Source)
		if err != nil {
			return nil, err
		}
		for k, t := range tasks {
			results[t.result].Tasks = append(results[t.result].Tasks, ids[k])
		}
	}
	return results, nil
}

// ApplyFeed applies a registration feed in one transaction: the writes of
// its valid lines (rejected lines already counted in report), with a log of
// every change received, so that a replayed feed changes nothing.
func (db *DB) ApplyFeed(ctx context.Context, source string, writes []supervision.Write, report supervision.FeedReport, opt WriteOptions) (supervision.FeedReport, error) {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, checkClient); err != nil {
			return translate(err, "configure the feed's transaction")
		}
		if err := tx.QueryRow(ctx, `INSERT INTO feeds (source) VALUES ($1) RETURNING id`, source).Scan(&report.FeedID); err != nil {
			return translate(err, "record the feed")
		}
		results, err := writeEntities(ctx, tx, writes, opt)
		if err != nil {
			return err
		}
		report.Count(results)
		logged, err := logChanges(ctx, tx, writes, results, report.FeedID)
		if err != nil {
			return err
		}
		report.Replayed = len(writes) - logged
		counts, _ := json.Marshal(report)
		_, err = tx.Exec(ctx, `UPDATE feeds SET counts = $2 WHERE id = $1`, report.FeedID, counts)
		return translate(err, "record the feed's counts")
	})
	return report, err
}

// versionSnapshot is the JSON of a version in entity_versions.
func versionSnapshot(e *supervision.Entity) map[string]any {
	return map[string]any{
		"uscc": e.USCC, "name": e.Name, "kind": e.Kind, "status": e.Status,
		"registered_at": e.RegisteredAt.In(supervision.Beijing).Format(time.DateOnly),
		"address_text":  e.AddressText, "scope": e.Scope, "industry": e.Industry, "legal_rep": e.LegalRep,
		"phone": e.Phone, "id_number": e.IDNumber, "report_year": e.ReportYear, "changed_at": e.ChangedAt,
	}
}

// storeEntities writes the entities the batch changed: new ones inserted,
// stored ones updated, through a staging table filled with COPY.
func storeEntities(ctx context.Context, tx pgx.Tx, state map[supervision.USCC]*entityState, now time.Time) error {
	var inserts, updates [][]any
	for _, st := range state {
		if !st.dirty {
			continue
		}
		row, err := writeRow(st.rec, now)
		if err != nil {
			return err
		}
		if st.existed {
			updates = append(updates, row)
		} else {
			inserts = append(inserts, row)
		}
	}
	cols := strings.Join(entityWriteColumns, ", ")
	if len(inserts) > 0 {
		if err := stage(ctx, tx, inserts); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "INSERT INTO entities ("+cols+") SELECT "+cols+" FROM entity_stage ON CONFLICT (uscc) DO NOTHING")
		if err != nil {
			return translate(err, "insert entities")
		}
		if tag.RowsAffected() != int64(len(inserts)) {
			return errConcurrentCreate
		}
	}
	if len(updates) > 0 {
		if err := stage(ctx, tx, updates); err != nil {
			return err
		}
		set := make([]string, 0, len(entityWriteColumns)-1)
		for _, c := range entityWriteColumns[1:] {
			set = append(set, c+" = s."+c)
		}
		if _, err := tx.Exec(ctx, "UPDATE entities e SET "+strings.Join(set, ", ")+
			" FROM entity_stage s WHERE e.uscc = s.uscc"); err != nil {
			return translate(err, "update entities")
		}
	}
	return nil
}

// stage fills the transaction's staging table with rows of
// entityWriteColumns.
func stage(ctx context.Context, tx pgx.Tx, rows [][]any) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS entity_stage
		(LIKE entities INCLUDING DEFAULTS) ON COMMIT DROP; TRUNCATE entity_stage`); err != nil {
		return translate(err, "create the entity staging table")
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"entity_stage"}, entityWriteColumns, pgx.CopyFromRows(rows)); err != nil {
		return translate(err, "stage entities")
	}
	return nil
}

// logChanges records the feed's changes in registration_changes; a change
// already there (a replay) is left as it is.
// It returns how many were new.
func logChanges(ctx context.Context, tx pgx.Tx, writes []supervision.Write, results []supervision.WriteResult, feedID int64) (int, error) {
	n := len(writes)
	usccs, changes, outcomes := make([]string, n), make([]string, n), make([]string, n)
	times := make([]time.Time, n)
	payloads := make([]string, n)
	for i, w := range writes {
		usccs[i], times[i], changes[i] = string(w.Entity.USCC), w.Entity.ChangedAt, w.Change
		outcomes[i] = "applied"
		switch results[i].Outcome {
		case supervision.Stale:
			outcomes[i] = "stale"
		case supervision.Rejected:
			outcomes[i] = "rejected"
		}
		b, err := json.Marshal(versionSnapshot(&w.Entity))
		if err != nil {
			return 0, err
		}
		payloads[i] = string(b)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO registration_changes (uscc, changed_at, change, outcome, payload, feed_id)
		SELECT u, t, c, o, p::jsonb, $6 FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[]) AS x(u, t, c, o, p)
		ON CONFLICT (uscc, changed_at) DO NOTHING`, usccs, times, changes, outcomes, payloads, feedID)
	return int(tag.RowsAffected()), translate(err, "log registration changes")
}

// EntityVersions returns the stored versions of an entity, oldest first.
func (db *DB) EntityVersions(ctx context.Context, uscc supervision.USCC) ([]EntityVersion, error) {
	rows, _ := db.pool.Query(ctx, `SELECT version, changed_at, source, row_data, written_at
		FROM entity_versions WHERE uscc = $1 ORDER BY version`, string(uscc))
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[EntityVersion])
	if err != nil {
		return nil, translate(err, fmt.Sprintf("read versions of %s", uscc))
	}
	return out, nil
}

// An EntityVersion is one accepted version of an entity.
type EntityVersion struct {
	Version   int             `json:"version"`
	ChangedAt time.Time       `json:"changed_at"`
	Source    string          `json:"source"`
	Data      json.RawMessage `json:"data"`
	WrittenAt time.Time       `json:"written_at"`
}

// An EntityWriter writes entities with a task policy: the API's store.
type EntityWriter struct {
	DB     *DB
	Policy supervision.Policy
}

// WriteEntities writes and pushes tasks (see DB.WriteEntities).
func (w *EntityWriter) WriteEntities(ctx context.Context, writes []supervision.Write, source string) ([]supervision.WriteResult, error) {
	return w.DB.WriteEntities(ctx, writes, WriteOptions{Source: source, Push: true, Policy: w.Policy})
}

// ApplyFeed applies a registration feed and pushes tasks (see DB.ApplyFeed).
func (w *EntityWriter) ApplyFeed(ctx context.Context, source string, writes []supervision.Write, report supervision.FeedReport) (supervision.FeedReport, error) {
	return w.DB.ApplyFeed(ctx, source, writes, report, WriteOptions{Source: "feed", Push: true, Policy: w.Policy})
}

// An EntityImport writes entities in bulk in one transaction, chunk by
// chunk: all of them or, on failure or rollback, none. It locks the
// entities table against other writers (readers go on) for its duration.
type EntityImport struct {
	tx      pgx.Tx
	opt     WriteOptions
	scratch bool // begun by BeginScratchEntityImport: never committed
}

// BeginEntityImport starts a bulk import of entities.
func (db *DB) BeginEntityImport(ctx context.Context, opt WriteOptions) (*EntityImport, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "begin entity import")
	}
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL synchronous_commit = off; `+checkClient+`;
		LOCK TABLE entities IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		_ = tx.Rollback(ctx)
		return nil, translate(err, "lock entities for import")
	}
	return &EntityImport{tx: tx, opt: opt}, nil
}

// Write writes one chunk of the import.
func (im *EntityImport) Write(ctx context.Context, writes []supervision.Write) ([]supervision.WriteResult, error) {
	return writeEntities(ctx, im.tx, writes, im.opt)
}

// BeginScratchEntityImport starts a bulk import into an entities table
// emptied within the import's own transaction (TRUNCATE … CASCADE, which
// empties every table that refers to the entities too): an import of every
// entity from scratch, as into a new database, that is always rolled back.
// The benchmark suite times the bulk import with it without a copy of the
// database. Until the rollback the emptied tables are locked against
// readers as well as writers.
func (db *DB) BeginScratchEntityImport(ctx context.Context, opt WriteOptions) (*EntityImport, error) {
	im, err := db.BeginEntityImport(ctx, opt)
	if err != nil {
		return nil, err
	}
	if _, err := im.tx.Exec(ctx, "TRUNCATE entities CASCADE"); err != nil {
		_ = im.tx.Rollback(ctx)
		return nil, translate(err, "empty the entities for a scratch import")
	}
	im.scratch = true
	return im, nil
}

// Commit makes the import visible.
func (im *EntityImport) Commit(ctx context.Context) error {
	if im.scratch {
		return errors.New("postgres: a scratch entity import is never committed")
	}
	return translate(im.tx.Commit(ctx), "commit entity import")
}

// Rollback abandons the import: nothing is written.
func (im *EntityImport) Rollback(ctx context.Context) error { return im.tx.Rollback(ctx) }
