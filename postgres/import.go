package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
)

var _ addressbook.Importer = (*DB)(nil)

// importLock serializes imports (pg_advisory_xact_lock key): two imports
// deciding concurrently what is new would both insert it.
const importLock = 0x6772696473656e74 // "gridsent"

// checkClient makes the backend of a bulk write check, every second while a
// statement runs, that its client is still connected (PostgreSQL 14+).
// Without it, the backend of a process killed mid-import (kill -9, a crash,
// a lost machine) goes on with the statement it is in, for minutes at city
// scale or for ever while it waits on a lock, and keeps the transaction's
// locks until then: the re-run waits for it. With it, the backend notices
// within a second, rolls back and lets go.
const checkClient = "SET LOCAL client_connection_check_interval = '1s'"

// ImportLibrary applies an import file to the library in one transaction:
//
//  1. every row the source hands out, good or rejected, is copied into a
//     staging table (COPY, so a file of millions of rows streams);
//  2. type by type in load order (roads, doorplates, places, buildings,
//     rooms), set-based SQL derives omitted divisions from the geometry,
//     rejects rows whose references or geometry do not hold, sorts the
//     good ones into insert / update / unchanged by comparing their content,
//     copies the rows about to change into address_history, and writes;
//  3. with RetireMissing (and no row rejected), what the file's towns no
//     longer list is retired;
//  4. the import is recorded in the imports table and committed.
//
// An unchanged row is not written at all, so re-importing a file changes
// nothing and wakes no change feed. Any error, a cancelled ctx included,
// rolls everything back; rejected rows are not errors, they are reported.
func (db *DB) ImportLibrary(ctx context.Context, src addressbook.RecordSource, opt addressbook.ImportOptions) (addressbook.ImportReport, error) {
	rep := addressbook.ImportReport{DryRun: opt.DryRun, ByType: map[addressbook.RecordType]addressbook.Counts{}}
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 1000
	}
	if opt.Kind == "" {
		opt.Kind = addressbook.KindAll
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return rep, translate(err, "begin import")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// An import of the whole city runs for minutes; the pool's statement
	// timeout is meant for API queries.
	for _, q := range []string{"SET LOCAL statement_timeout = 0", "SET LOCAL lock_timeout = '10min'", checkClient} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return rep, translate(err, "configure import")
		}
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(importLock)); err != nil {
		return rep, translate(err, "wait for other imports")
	}
	var importID int64
	if err := tx.QueryRow(ctx, "INSERT INTO imports (kind, source) VALUES ($1, $2) RETURNING id",
		string(opt.Kind), opt.Source).Scan(&importID); err != nil {
		return rep, translate(err, "record import")
	}
	if _, err := tx.Exec(ctx, stagingTable); err != nil {
		return rep, translate(err, "create staging table")
	}
	cs := &copySource{src: src, progress: opt.Progress}
	t0 := time.Now()
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_rows"}, stagingColumns, cs); err != nil {
		if cs.err != nil {
			// The file could not be read on: the reader's error, as it is
			// (derrors.Invalid for a malformed file, or the body's error).
			return rep, cs.err
		}
		return rep, translate(err, "stage import rows")
	}
	if opt.Trace != nil {
		opt.Trace("stage rows", cs.n, time.Since(t0))
	}
	for _, q := range []string{"CREATE INDEX ON import_rows (type, key)", "ANALYZE import_rows"} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return rep, translate(err, "index staging table")
		}
	}

	st := &importStep{tx: tx, importID: importID, trace: opt.Trace}
	if err := st.exec(ctx, "find duplicate rows", rejectDuplicates); err != nil {
		return rep, err
	}
	present, err := st.presentTypes(ctx)
	if err != nil {
		return rep, err
	}
	for _, t := range addressbook.RecordTypes() {
		if !present[t] {
			continue
		}
		if err := st.run(ctx, string(t), importSQL[t]); err != nil {
			return rep, err
		}
	}

	retired := map[addressbook.RecordType]int{}
	if opt.RetireMissing {
		var rejected int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM import_rows WHERE reason IS NOT NULL").Scan(&rejected); err != nil {
			return rep, translate(err, "count rejected rows")
		}
		if rejected > 0 {
			rep.RetireSkipped = fmt.Sprintf("nothing was retired: %d rows were rejected, so the file is not a complete list; fix them and import again", rejected)
		} else {
			for _, t := range addressbook.RecordTypes() {
				if q, ok := retireMissingSQL[t]; ok && present[t] {
					n, err := st.count(ctx, "retire missing "+string(t)+"s", q)
					if err != nil {
						return rep, err
					}
					retired[t] += n
				}
			}
		}
	}

	if err := st.report(ctx, &rep, opt, retired); err != nil {
		return rep, err
	}
	counts, _ := json.Marshal(struct {
		addressbook.Counts
		ByType        map[addressbook.RecordType]addressbook.Counts `json:"by_type"`
		DryRun        bool                                          `json:"dry_run,omitempty"`
		RetireMissing bool                                          `json:"retire_missing,omitempty"`
	}{rep.Counts, rep.ByType, opt.DryRun, opt.RetireMissing})
	if _, err := tx.Exec(ctx, "UPDATE imports SET counts = $2, finished_at = now() WHERE id = $1", importID, counts); err != nil {
		return rep, translate(err, "record import counts")
	}
	if opt.DryRun {
		return rep, nil // rolled back by the deferred Rollback
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, translate(err, "commit import")
	}
	rep.ImportID = importID
	return rep, nil
}

// importStep runs the statements of an import in its transaction.
type importStep struct {
	tx       pgx.Tx
	importID int64
	trace    func(step string, rows int, elapsed time.Duration)
}

func (s *importStep) exec(ctx context.Context, what, q string) error {
	_, err := s.count(ctx, what, q)
	return err
}

// count runs q, with the import id as $1 when it uses it, and returns the
// number of rows it affected.
func (s *importStep) count(ctx context.Context, what, q string) (int, error) {
	var args []any
	if strings.Contains(q, "$1") {
		args = append(args, s.importID)
	}
	t0 := time.Now()
	tag, err := s.tx.Exec(ctx, q, args...)
	if s.trace != nil && err == nil {
		s.trace(what, int(tag.RowsAffected()), time.Since(t0))
	}
	if err != nil {
		return 0, importError(err, what)
	}
	return int(tag.RowsAffected()), nil
}

// run executes the named statements of one record type in order.
func (s *importStep) run(ctx context.Context, typ string, steps []sqlStep) error {
	for _, st := range steps {
		if err := s.exec(ctx, typ+": "+st.what, st.sql); err != nil {
			return err
		}
	}
	return nil
}

// importError explains a statement that failed. Rows the checks let
// through can still collide in ways they do not foresee (two doorplates
// swapping numbers in one file): the whole import is then refused.
func importError(err error, what string) error {
	err = translate(err, "import: "+what)
	if errors.Is(err, derrors.Conflict) || errors.Is(err, derrors.Invalid) {
		var de *derrors.Error
		if errors.As(err, &de) {
			return &derrors.Error{Kind: de.Kind, Err: de.Err,
				Message: fmt.Sprintf("the import was refused, nothing was written: %s: %s (rows that pass their checks one by one collide; split the file)", what, de.Message)}
		}
	}
	return err
}

func (s *importStep) presentTypes(ctx context.Context) (map[addressbook.RecordType]bool, error) {
	rows, err := s.tx.Query(ctx, "SELECT DISTINCT type FROM import_rows WHERE reason IS NULL")
	if err != nil {
		return nil, translate(err, "list record types")
	}
	types, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err, "list record types")
	}
	present := map[addressbook.RecordType]bool{}
	for _, t := range types {
		present[addressbook.RecordType(t)] = true
	}
	return present, nil
}

// report counts what was done and hands out the rejected rows in line order.
func (s *importStep) report(ctx context.Context, rep *addressbook.ImportReport, opt addressbook.ImportOptions, retired map[addressbook.RecordType]int) error {
	rows, err := s.tx.Query(ctx, `
		SELECT coalesce(type, ''), count(*) FILTER (WHERE action = 'insert'), count(*) FILTER (WHERE action = 'update'),
		       count(*) FILTER (WHERE reason IS NULL AND action IS NULL), count(*) FILTER (WHERE reason IS NOT NULL),
		       count(*) FILTER (WHERE old_action IN ('retire', 'link'))
		FROM import_rows GROUP BY 1`)
	if err != nil {
		return translate(err, "count import rows")
	}
	for rows.Next() {
		var t string
		var c addressbook.Counts
		var replaced int
		if err := rows.Scan(&t, &c.Inserted, &c.Updated, &c.Unchanged, &c.Rejected, &replaced); err != nil {
			rows.Close()
			return translate(err, "count import rows")
		}
		c.Retired = replaced
		rt := addressbook.RecordType(t)
		if t == "" {
			rt = "unknown"
		}
		prev := rep.ByType[rt]
		prev.Add(c)
		rep.ByType[rt] = prev
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return translate(err, "count import rows")
	}
	for t, n := range retired {
		c := rep.ByType[t]
		c.Retired += n
		rep.ByType[t] = c
	}
	for _, c := range rep.ByType {
		rep.Counts.Add(c)
	}

	rows, err = s.tx.Query(ctx, `SELECT line, coalesce(type, ''), coalesce(key, ''), reason
		FROM import_rows WHERE reason IS NOT NULL ORDER BY line`)
	if err != nil {
		return translate(err, "list rejected rows")
	}
	defer rows.Close()
	rep.Errors = []addressbook.RowError{}
	for rows.Next() {
		var e addressbook.RowError
		var t string
		if err := rows.Scan(&e.Line, &t, &e.Code, &e.Reason); err != nil {
			return translate(err, "list rejected rows")
		}
		e.Type = addressbook.RecordType(t)
		if len(rep.Errors) < opt.MaxErrors {
			rep.Errors = append(rep.Errors, e)
		}
		if opt.OnReject != nil {
			if err := opt.OnReject(e); err != nil {
				return fmt.Errorf("import: report rejected row: %w", err)
			}
		}
	}
	return translate(rows.Err(), "list rejected rows")
}

// copySource feeds the staging table from a RecordSource: one staging row
// per file row, a rejected one with its reason.
type copySource struct {
	src      addressbook.RecordSource
	progress func(int)
	n        int
	row      []any
	err      error // the source failed: the file cannot be read on
}

// The staging table holds the union of the record types' columns; key is the
// code, or the id in decimal for places and buildings.
const stagingTable = `
CREATE TEMP TABLE import_rows (
    line integer PRIMARY KEY,
    type text,
    key text,
    id bigint,
    reason text,
    action text,
    old_action text,
    town_code text, road_code text, village_code text, grid_code text,
    number integer, sub_number integer,
    doorplate_code text, place_id bigint, building_id bigint,
    name text, kind text, label text, use text,
    floors integer, basement_floors integer, status text,
    unit text, floor integer,
    retired_at timestamptz, successor_code text, replaces text,
    geom geometry(Geometry, 4326)
) ON COMMIT DROP`

var stagingColumns = []string{"line", "type", "key", "id", "reason",
	"town_code", "road_code", "village_code", "grid_code", "number", "sub_number",
	"doorplate_code", "place_id", "building_id", "name", "kind", "label", "use",
	"floors", "basement_floors", "status", "unit", "floor",
	"retired_at", "successor_code", "replaces", "geom"}

func (c *copySource) Next() bool {
	rec, err := c.src.Next()
	if err == io.EOF {
		return false
	}
	c.n++
	if c.progress != nil && c.n%1000 == 0 {
		c.progress(c.n)
	}
	// The row is reused: pgx encodes it before asking for the next.
	if c.row == nil {
		c.row = make([]any, len(stagingColumns))
	}
	var re *addressbook.RowError
	if errors.As(err, &re) {
		clear(c.row)
		c.row[0], c.row[1], c.row[2], c.row[4] = re.Line, nullStr(string(re.Type)), nullStr(re.Code), re.Reason
		return true
	}
	if err != nil {
		c.err = err
		return false
	}
	c.err = stagingRow(c.row, rec)
	return c.err == nil
}

func (c *copySource) Values() ([]any, error) { return c.row, nil }
func (c *copySource) Err() error             { return c.err }

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// stagingRow lays a good record out in v, in stagingColumns order.
func stagingRow(v []any, rec addressbook.Record) error {
	clear(v)
	put := func(col string, x any) { v[stagingIndex[col]] = x }
	put("line", rec.Line)
	put("type", string(rec.Type))
	put("key", rec.Key())
	lifecycle := func(l addressbook.Lifecycle) {
		if l.RetiredAt != nil {
			put("retired_at", *l.RetiredAt)
		}
		put("successor_code", nullStr(l.SuccessorCode))
		put("replaces", nullStr(rec.Replaces))
	}
	var g []byte
	var err error
	switch rec.Type {
	case addressbook.TypeRoad:
		r := rec.Road
		put("town_code", r.TownCode)
		put("name", r.Name)
		g, err = geo.MarshalEWKB(r.Geom)
	case addressbook.TypeDoorplate:
		d := rec.Doorplate
		put("road_code", d.RoadCode)
		put("town_code", d.TownCode)
		put("village_code", nullStr(d.VillageCode))
		put("grid_code", nullStr(d.GridCode))
		put("number", d.Number)
		put("sub_number", d.SubNumber)
		lifecycle(d.Lifecycle)
		g, err = geo.MarshalEWKB(d.Geom)
	case addressbook.TypePlace:
		p := rec.Place
		put("id", p.ID)
		put("name", p.Name)
		put("kind", p.Kind)
		put("town_code", p.TownCode)
		put("village_code", nullStr(p.VillageCode))
		put("doorplate_code", p.DoorplateCode)
		g, err = geo.MarshalEWKB(p.Geom)
	case addressbook.TypeBuilding:
		b := rec.Building
		put("id", b.ID)
		put("doorplate_code", b.DoorplateCode)
		put("place_id", nullID(b.PlaceID))
		put("label", b.Label)
		put("use", b.Use)
		put("floors", b.Floors)
		put("basement_floors", b.BasementFloors)
		put("status", b.Status)
		put("town_code", nullStr(b.TownCode))
		put("village_code", nullStr(b.VillageCode))
		put("grid_code", nullStr(b.GridCode))
		g, err = geo.MarshalEWKB(b.Geom)
	case addressbook.TypeRoom:
		r := rec.Room
		put("building_id", r.BuildingID)
		put("unit", r.Unit)
		put("floor", r.Floor)
		put("label", r.Label)
		lifecycle(r.Lifecycle)
	default:
		return fmt.Errorf("postgres: import line %d: unknown record type %q", rec.Line, rec.Type)
	}
	if err != nil {
		return fmt.Errorf("postgres: import line %d: %w", rec.Line, err)
	}
	if g != nil {
		put("geom", g)
	}
	return nil
}

var stagingIndex = func() map[string]int {
	m := map[string]int{}
	for i, c := range stagingColumns {
		m[c] = i
	}
	return m
}()

// sqlStep is one statement of an import, named for error messages.
type sqlStep struct {
	what string
	sql  string
}
