package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"golang.org/x/sync/errgroup"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// Empty reports whether the database holds no city yet (no towns).
func (db *DB) Empty(ctx context.Context) (bool, error) {
	var exists bool
	err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM towns)").Scan(&exists)
	return !exists, translate(err, "check for data")
}

// LoadDemo generates the demo city for cfg and bulk-loads it with COPY in one
// transaction, so an interrupted load leaves the database as it was. It
// refuses a database that already holds a city. progress, if not nil, is
// called with the number of rows written after each COPY.
//
// Besides the address library it writes the market entities (registration
// only: linking them is the linker's job), their ground truth, two years of
// inspections, tasks, leads and records up to cfg.Until, the approved
// cluster-registration hosts and the truth of the flags. The flag queue's
// triggers stay off during the load: nothing is queued. So do the tile
// change feed's: the load records that everything its tables show changed,
// once, rather than working out the extent of every COPY. So do the
// statistics': the load marks every town stale (RefreshStats makes the
// rollups). A
// database without departments first gets the defaults (SeedDefaults),
// which the tasks and leads name.
func (db *DB) LoadDemo(ctx context.Context, cfg demo.Config, progress func(rows int)) (demo.Totals, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return demo.Totals{}, translate(err, "begin demo load")
	}
	defer tx.Rollback(ctx)
	// Serialize loaders and check emptiness inside the transaction.
	if _, err := tx.Exec(ctx, "LOCK TABLE towns IN EXCLUSIVE MODE"); err != nil {
		return demo.Totals{}, translate(err, "lock towns")
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM towns)").Scan(&exists); err != nil {
		return demo.Totals{}, translate(err, "check for data")
	}
	if exists {
		return demo.Totals{}, derrors.New(derrors.Conflict,
			"the database already holds a city; load the demo into an empty database")
	}
	// Entities registered into a database without a library would mix
	// with the demo's.
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM entities)").Scan(&exists); err != nil {
		return demo.Totals{}, translate(err, "check for entities")
	}
	if exists {
		return demo.Totals{}, derrors.New(derrors.Conflict,
			"the database already holds market entities; load the demo into an empty database")
	}
	// A bulk load is no API query: lift the statement timeout for it.
	if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off; SET LOCAL statement_timeout = 0; "+checkClient); err != nil {
		return demo.Totals{}, translate(err, "set bulk-load settings")
	}
	if err := seedDefaults(ctx, tx); err != nil {
		return demo.Totals{}, err
	}
	rebuild, err := dropIndexes(ctx, tx, demoTables)
	if err != nil {
		return demo.Totals{}, err
	}
	keys, err := dropForeignKeys(ctx, tx, demoTables)
	if err != nil {
		return demo.Totals{}, err
	}
	// The flag queue's triggers would queue every entity loaded; the flags
	// of a new city come from a full evaluation after the load instead.
	// The tile feed's would work out the extent of every COPY of a city
	// that, new, changes everything anyway.
	for _, t := range loadTriggersOff {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+t[0]+" DISABLE TRIGGER "+t[1]); err != nil {
			return demo.Totals{}, translate(err, "disable trigger "+t[1])
		}
	}
	sink := &copySink{tx: tx, progress: progress}
	totals, err := demo.Generate(ctx, cfg, sink)
	if err != nil {
		return totals, err
	}
	for _, stmt := range append(rebuild, keys...) {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return totals, translate(err, "rebuild indexes and foreign keys")
		}
	}
	for _, t := range loadTriggersOff {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+t[0]+" ENABLE TRIGGER "+t[1]); err != nil {
			return totals, translate(err, "enable trigger "+t[1])
		}
	}
	if _, err := tx.Exec(ctx, `SELECT record_tile_change_everywhere(t) FROM unnest($1::text[]) t`, tileChangesLoaded); err != nil {
		return totals, translate(err, "record the tile changes")
	}
	if _, err := tx.Exec(ctx, `INSERT INTO stats_dirty (town_code, grid_code) SELECT code, '*' FROM towns UNION ALL SELECT '', '*'
		ON CONFLICT DO NOTHING`); err != nil {
		return totals, translate(err, "mark the statistics stale")
	}
	// The history came with its IDs: move the sequences past them.
	for _, t := range []string{"inspections", "tasks", "task_events", "leads", "lead_events", "complaints", "violations", "abnormal_listings"} {
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce(max(id), 0) + 1, false) FROM `+
			pgx.Identifier{t}.Sanitize(), t); err != nil {
			return totals, translate(err, "set the id sequence of "+t)
		}
	}
	counts, _ := json.Marshal(totals)
	until := demo.DefaultUntil
	if !cfg.Until.IsZero() {
		until = cfg.Until
	}
	if _, err := tx.Exec(ctx, `INSERT INTO datasets (name, seed, scale, counts, until) VALUES ('demo', $1, $2, $3, $4)`,
		cfg.Seed, string(cfg.Scale), counts, until.In(supervision.Beijing).Format(time.DateOnly)); err != nil {
		return totals, translate(err, "record dataset")
	}
	if err := tx.Commit(ctx); err != nil {
		return totals, translate(err, "commit demo load")
	}
	// Analyze two tables at a time: each waits on reading its sample.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for _, t := range append([]string{"departments", "scope_rules", "inspection_items"}, demoTables...) {
		g.Go(func() error {
			_, err := db.pool.Exec(gctx, "ANALYZE "+pgx.Identifier{t}.Sanitize())
			return translate(err, "analyze "+t)
		})
	}
	return totals, g.Wait()
}

// demoTables are the tables LoadDemo fills, in the order it fills them.
var demoTables = []string{"towns", "villages", "grids", "roads", "doorplates", "places", "buildings", "rooms",
	"entities", "demo_entity_truth", "inspections", "tasks", "task_events", "leads", "lead_events",
	"complaints", "violations", "abnormal_listings", "cluster_hosts", "demo_flag_truth"}

// flagQueueTriggers are the triggers (table, trigger) that queue entities
// for the flag rules when their facts change (migration 00006).
var flagQueueTriggers = [][2]string{
	{"entities", "flag_queue_entities_insert"}, {"entities", "flag_queue_entities_update"},
	{"inspections", "flag_queue_inspections"}, {"complaints", "flag_queue_complaints"},
	{"tasks", "flag_queue_tasks"}, {"violations", "flag_queue_violations"},
}

// tileChangesLoaded are the sources of the tile change feed (migration
// 00009) that LoadDemo fills.
var tileChangesLoaded = []string{"towns", "villages", "grids", "roads", "doorplates", "buildings", "entities", "tasks"}

// loadTriggersOff are the triggers LoadDemo turns off: the flag queue's,
// the tile change feed's and the statistics' (migration 00014) for inserts
// and for the updates of entities that the inspections' trigger makes
// (last_inspected_at).
var loadTriggersOff = func() [][2]string {
	out := slices.Clone(flagQueueTriggers)
	for _, t := range tileChangesLoaded {
		out = append(out, [2]string{t, "tile_changes_" + t + "_insert"})
	}
	for _, t := range []string{"entities", "inspections", "tasks", "leads", "complaints"} {
		out = append(out, [2]string{t, "stats_dirty_" + t + "_insert"})
	}
	return append(out, [2]string{"entities", "tile_changes_entities_update"}, [2]string{"entities", "stats_dirty_entities_update"})
}()

// dropIndexes drops the plain indexes of tables and returns the statements
// that build them again, as the database defines them. A bulk load builds
// each index once, after the rows are in, which is faster than growing it
// a row at a time, GiST above all (the inspections' takes about four times
// as long to grow as to build). Indexes that keep a key or a unique value
// stay: the load is checked against them, and foreign keys and triggers
// look rows up by them. Dropping takes an exclusive lock on each table
// until the transaction ends.
func dropIndexes(ctx context.Context, tx pgx.Tx, tables []string) ([]string, error) {
	rows, _ := tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = ANY ($1::text[]::regclass[]) AND NOT i.indisunique
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY i.indrelid::regclass::text, i.indexrelid::regclass::text`, tables)
	var names, defs []string
	var name, def string
	if _, err := pgx.ForEachRow(rows, []any{&name, &def}, func() error {
		names, defs = append(names, name), append(defs, def)
		return nil
	}); err != nil {
		return nil, translate(err, "find indexes")
	}
	for _, n := range names {
		if _, err := tx.Exec(ctx, "DROP INDEX "+n); err != nil {
			return nil, translate(err, "drop index "+n)
		}
	}
	return defs, nil
}

// dropForeignKeys drops the foreign keys of tables and returns the
// statements that add them again, as the database defines them. Adding a
// foreign key checks every row in one join; kept during a bulk load, it
// checks them a row at a time, which doubles the time some tables take.
func dropForeignKeys(ctx context.Context, tx pgx.Tx, tables []string) ([]string, error) {
	rows, _ := tx.Query(ctx, `SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
		FROM pg_constraint c
		WHERE c.contype = 'f' AND c.conrelid = ANY ($1::text[]::regclass[])
		ORDER BY c.conrelid::regclass::text, c.conname`, tables)
	var drop, add []string
	var table, name, def string
	if _, err := pgx.ForEachRow(rows, []any{&table, &name, &def}, func() error {
		drop = append(drop, "ALTER TABLE "+table+" DROP CONSTRAINT "+name)
		add = append(add, "ALTER TABLE "+table+" ADD CONSTRAINT "+name+" "+def)
		return nil
	}); err != nil {
		return nil, translate(err, "find foreign keys")
	}
	for _, stmt := range drop {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return nil, translate(err, "drop foreign key")
		}
	}
	return add, nil
}

// copySink writes what the generator hands it with COPY, table by table.
type copySink struct {
	tx       pgx.Tx
	progress func(rows int)
}

var _ demo.Sink = (*copySink)(nil)

func (s *copySink) Divisions(ctx context.Context, d *demo.Divisions) error {
	towns := make([][]any, len(d.Towns))
	for i, t := range d.Towns {
		g, err := ewkb(t.Geom)
		if err != nil {
			return fmt.Errorf("town %s: %w", t.Code, err)
		}
		towns[i] = []any{t.Code, t.Name, t.Kind, g}
	}
	villages := make([][]any, len(d.Villages))
	for i, v := range d.Villages {
		g, err := ewkb(v.Geom)
		if err != nil {
			return fmt.Errorf("village %s: %w", v.Code, err)
		}
		villages[i] = []any{v.Code, v.TownCode, v.Name, v.Kind, g}
	}
	grids := make([][]any, len(d.Grids))
	for i, r := range d.Grids {
		g, err := ewkb(r.Geom)
		if err != nil {
			return fmt.Errorf("grid %s: %w", r.Code, err)
		}
		grids[i] = []any{r.Code, r.VillageCode, r.TownCode, r.Name, g}
	}
	return s.copyAll(ctx, []copyTable{
		{name: "towns", columns: []string{"code", "name", "kind", "geom"}, rows: towns},
		{name: "villages", columns: []string{"code", "town_code", "name", "kind", "geom"}, rows: villages},
		{name: "grids", columns: []string{"code", "village_code", "town_code", "name", "geom"}, rows: grids},
	})
}

func (s *copySink) Contents(ctx context.Context, c *demo.TownContents) error {
	roads := make([][]any, len(c.Roads))
	for i, r := range c.Roads {
		g, err := ewkb(r.Geom)
		if err != nil {
			return fmt.Errorf("road %s: %w", r.Code, err)
		}
		roads[i] = []any{r.Code, r.TownCode, r.Name, g}
	}
	doorplates := make([][]any, len(c.Doorplates))
	for i, d := range c.Doorplates {
		g, err := ewkb(d.Geom)
		if err != nil {
			return fmt.Errorf("doorplate %s: %w", d.Code, err)
		}
		doorplates[i] = []any{d.Code, d.RoadCode, d.TownCode, d.VillageCode, d.GridCode, d.Number, d.SubNumber, g}
	}
	places := make([][]any, len(c.Places))
	for i, p := range c.Places {
		g, err := ewkb(p.Geom)
		if err != nil {
			return fmt.Errorf("place %d: %w", p.ID, err)
		}
		places[i] = []any{p.ID, p.Name, p.Kind, p.TownCode, p.VillageCode, p.DoorplateCode, g}
	}
	buildings := make([][]any, len(c.Buildings))
	for i, b := range c.Buildings {
		g, err := ewkb(b.Geom)
		if err != nil {
			return fmt.Errorf("building %d: %w", b.ID, err)
		}
		var place *int64
		if b.PlaceID != 0 {
			place = &b.PlaceID
		}
		buildings[i] = []any{b.ID, b.DoorplateCode, place, b.Label, b.Use, b.Floors, b.BasementFloors,
			b.Status, b.TownCode, b.VillageCode, b.GridCode, g}
	}
	rooms := make([][]any, len(c.Rooms))
	for i, r := range c.Rooms {
		rooms[i] = []any{r.Code, r.BuildingID, r.Unit, r.Floor, r.Label}
	}
	if err := s.copyAll(ctx, []copyTable{
		{name: "roads", columns: []string{"code", "town_code", "name", "geom"}, rows: roads},
		{name: "doorplates", columns: []string{"code", "road_code", "town_code", "village_code", "grid_code", "number", "sub_number", "geom"}, rows: doorplates},
		{name: "places", columns: []string{"id", "name", "kind", "town_code", "village_code", "doorplate_code", "geom"}, rows: places},
		{name: "buildings", columns: []string{"id", "doorplate_code", "place_id", "label", "use", "floors", "basement_floors",
			"status", "town_code", "village_code", "grid_code", "geom"}, rows: buildings},
		{name: "rooms", columns: []string{"code", "building_id", "unit", "floor", "label"}, rows: rooms},
	}); err != nil {
		return err
	}
	return s.supervision(ctx, c)
}

// supervision writes the entities of a town and their history, entities
// first: the inspections name them. Rows are made as COPY sends them: a
// town of the city scale has close to a million inspections.
func (s *copySink) supervision(ctx context.Context, c *demo.TownContents) error {
	// Entities come with the time of their last inspection, which the
	// inspections_seen trigger would set: it finds it set and leaves the rows
	// alone, rather than write every entity again.
	last := make(map[supervision.USCC]time.Time, len(c.Entities))
	for _, in := range c.Inspections {
		if in.At.After(last[in.USCC]) {
			last[in.USCC] = in.At
		}
	}
	var leadEvents [][]any
	for _, l := range c.Leads {
		for _, e := range l.History {
			leadEvents = append(leadEvents, []any{l.ID, e.At, string(e.Action), e.Actor, nullString(e.Department), string(e.Status), e.Note})
		}
	}
	return s.copyAll(ctx, []copyTable{
		{name: "entities", columns: []string{"uscc", "name", "kind", "status", "registered_at", "address_text", "scope",
			"industry", "legal_rep", "phone", "id_number", "report_year", "changed_at", "version", "updated_at", "last_inspected_at"},
			n: len(c.Entities), row: func(i int) ([]any, error) {
				e := &c.Entities[i]
				var year *int16
				if e.ReportYear != 0 {
					y := int16(e.ReportYear)
					year = &y
				}
				var seen *time.Time
				if t, ok := last[e.USCC]; ok {
					seen = &t
				}
				return []any{string(e.USCC), e.Name, string(e.Kind), string(e.Status), dateOnly(e.RegisteredAt),
					e.AddressText, e.Scope, e.Industry, e.LegalRep, e.Phone, e.IDNumber, year, e.ChangedAt, 1, e.ChangedAt, seen}, nil
			}},
		{name: "demo_entity_truth", columns: []string{"uscc", "exists", "noise", "true_code", "true_building_id", "true_doorplate"},
			n: len(c.EntityTruth), row: func(i int) ([]any, error) {
				t := &c.EntityTruth[i]
				return []any{string(t.USCC), t.Exists, t.Noise, t.TrueCode, t.TrueBuildingID, t.TrueDoorplate}, nil
			}},
		{name: "inspections", columns: []string{"id", "uscc", "inspector", "at", "location", "crs", "items", "outcome", "notes",
			"photos", "town_code", "grid_code", "building_id"},
			n: len(c.Inspections), row: func(i int) ([]any, error) {
				in := &c.Inspections[i]
				loc, err := ewkb(in.Location.Point())
				if err != nil {
					return nil, fmt.Errorf("inspection %d: %w", in.ID, err)
				}
				items, err := json.Marshal(in.Items)
				if err != nil {
					return nil, fmt.Errorf("inspection %d: %w", in.ID, err)
				}
				return []any{in.ID, string(in.USCC), in.Inspector, in.At, loc, in.CRS, json.RawMessage(items), string(in.Outcome),
					in.Notes, nonNil(in.Photos), nullString(in.TownCode), nullString(in.GridCode), nullInt(in.BuildingID)}, nil
			}},
		{name: "tasks", columns: []string{"id", "uscc", "kind", "assignee", "department_code", "town_code", "village_code",
			"grid_code", "building_id", "reason", "keywords", "items", "status", "pushed_at", "due_at", "received_at",
			"feedback_at", "done_at", "returned_at", "feedback", "return_reason", "inspection_id", "entity_version"},
			n: len(c.Tasks), row: func(i int) ([]any, error) {
				t := &c.Tasks[i]
				return []any{t.ID, string(t.USCC), string(t.Kind), t.Assignee, nullString(t.Department),
					nullString(t.TownCode), nullString(t.VillageCode), nullString(t.GridCode), nullInt(t.BuildingID),
					t.Reason, nonNil(t.Keywords), nonNil(t.Items), string(t.Status), t.PushedAt, t.DueAt,
					t.ReceivedAt, t.FeedbackAt, t.DoneAt, t.ReturnedAt, t.Feedback, t.ReturnReason, t.InspectionID, 1}, nil
			}},
		{name: "task_events", columns: []string{"task_id", "at", "action", "actor", "status", "note"},
			n: len(c.TaskEvents), row: func(i int) ([]any, error) {
				e := &c.TaskEvents[i]
				return []any{e.TaskID, e.At, e.Action, e.Actor, string(e.Status), e.Note}, nil
			}},
		{name: "leads", columns: []string{"id", "uscc", "inspection_id", "from_department", "department_code", "category",
			"description", "location", "town_code", "status", "result", "created_at", "updated_at"},
			n: len(c.Leads), row: func(i int) ([]any, error) {
				l := &c.Leads[i]
				loc, err := pointEWKB(l.Location)
				if err != nil {
					return nil, fmt.Errorf("lead %d: %w", l.ID, err)
				}
				return []any{l.ID, nullString(string(l.USCC)), l.InspectionID, l.FromDepartment, nullString(l.Department),
					l.Category, l.Description, loc, nullString(l.TownCode), string(l.Status), l.Result, l.CreatedAt, l.UpdatedAt}, nil
			}},
		{name: "lead_events", columns: []string{"lead_id", "at", "action", "actor", "department_code", "status", "note"}, rows: leadEvents},
		{name: "complaints", columns: []string{"id", "source", "external_id", "at", "category", "industry", "uscc",
			"address_text", "summary", "link_status", "link_score", "address_code", "building_id", "grid_code",
			"village_code", "town_code", "location"},
			n: len(c.Complaints), row: func(i int) ([]any, error) {
				m := &c.Complaints[i]
				loc, err := pointEWKB(m.Link.Location)
				if err != nil {
					return nil, fmt.Errorf("complaint %d: %w", m.ID, err)
				}
				var score *float32
				if m.Link.Status != "" {
					v := float32(m.Link.Score)
					score = &v
				}
				return []any{m.ID, string(m.Source), nullString(m.ExternalID), m.At, string(m.Category), m.Industry,
					nullString(string(m.USCC)), m.AddressText, m.Summary, nullString(string(m.Link.Status)), score,
					nullString(m.Link.AddressCode), nullInt(m.Link.BuildingID), nullString(m.Link.GridCode),
					nullString(m.Link.VillageCode), nullString(m.Link.TownCode), loc}, nil
			}},
		{name: "violations", columns: []string{"id", "uscc", "external_id", "at", "kind", "authority", "description", "amount"},
			n: len(c.Violations), row: func(i int) ([]any, error) {
				v := &c.Violations[i]
				return []any{v.ID, string(v.USCC), nullString(v.ExternalID), v.At, string(v.Kind), v.Authority, v.Description, v.Amount}, nil
			}},
		{name: "abnormal_listings", columns: []string{"uscc", "reason", "listed_at", "authority", "removed_at"},
			n: len(c.AbnormalListings), row: func(i int) ([]any, error) {
				a := &c.AbnormalListings[i]
				var removed *string
				if a.RemovedAt != nil {
					d := dateOnly(*a.RemovedAt)
					removed = &d
				}
				return []any{string(a.USCC), string(a.Reason), dateOnly(a.ListedAt), a.Authority, removed}, nil
			}},
		{name: "cluster_hosts", columns: []string{"address_code", "name", "approved_at", "approved_by"},
			n: len(c.Hosts), row: func(i int) ([]any, error) {
				h := &c.Hosts[i]
				return []any{h.AddressCode, h.Name, dateOnly(h.ApprovedAt), h.ApprovedBy}, nil
			}},
		{name: "demo_flag_truth", columns: []string{"uscc", "kind", "note"},
			n: len(c.FlagTruth), row: func(i int) ([]any, error) {
				f := &c.FlagTruth[i]
				return []any{string(f.USCC), string(f.Kind), f.Note}, nil
			}},
	})
}

// dateOnly writes the day of t in Beijing time, as a date column takes it.
func dateOnly(t time.Time) string { return t.In(supervision.Beijing).Format(time.DateOnly) }

// copyTable is what to copy into a table: rows, or n rows that row makes
// one at a time.
type copyTable struct {
	name    string
	columns []string
	rows    [][]any
	n       int
	row     func(i int) ([]any, error)
}

func (s *copySink) copyAll(ctx context.Context, tables []copyTable) error {
	for _, t := range tables {
		src := pgx.CopyFromRows(t.rows)
		if t.row != nil {
			src = pgx.CopyFromSlice(t.n, t.row)
		} else {
			t.n = len(t.rows)
		}
		if t.n == 0 {
			continue
		}
		n, err := s.tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, src)
		if err != nil {
			return translate(err, "copy "+t.name)
		}
		if s.progress != nil {
			s.progress(int(n))
		}
	}
	return nil
}

func ewkb(g orb.Geometry) ([]byte, error) { return geo.MarshalEWKB(g) }
