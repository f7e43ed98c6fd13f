package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Refreshing the statistics rollups of migration 00014 (docs/stats.md).
// The triggers mark the towns and grids that writes touch (stats_dirty); a
// refresh claims a dirty town, takes its marks and recomputes, from the
// base tables, the rollup rows of the marked grids, moving the town's
// stats_town_ rows by the difference, or the whole town when almost all
// of it is marked, and its leads, all in one transaction.

// A rollup is one of the rollups: its grid-level table stats_<name>, its
// town-level table stats_town_<name> (none for leads), its key and count
// columns, and the query of its grid-level rows (town, village and grid
// codes, keys, counts) from the base tables, for the rows /*COND*/ selects.
// Every base table the query reads has town_code and grid_code, which the
// condition names.
type rollup struct {
	name   string
	keys   []string
	counts []string
	query  string
}

// month is the Beijing month of a timestamptz column as a date.
func month(col string) string {
	return "date_trunc('month', " + col + " AT TIME ZONE 'Asia/Shanghai')::date"
}

// area are the area columns of a base table's row, empty where it has none.
const area = `coalesce(town_code, ''), coalesce(village_code, ''), coalesce(grid_code, '')`

var rollups = []rollup{
	{name: "entities", keys: []string{"kind", "industry", "status"}, counts: []string{"n"},
		query: `SELECT ` + area + `, kind, industry, status, count(*)
			FROM entities WHERE /*COND*/ GROUP BY 1, 2, 3, 4, 5, 6`},
	{name: "coverage", keys: []string{"month"}, counts: []string{"n"},
		query: `SELECT ` + area + `, coalesce(` + month("last_inspected_at") + `, '-infinity'), count(*)
			FROM entities WHERE status = 'active' AND /*COND*/ GROUP BY 1, 2, 3, 4`},
	// One pass over the entities: each counts in the month it registered,
	// and, cancelled or revoked, in the month of its last change.
	{name: "registrations", keys: []string{"month", "industry"}, counts: []string{"registrations", "cancellations"},
		query: `SELECT ` + area + `, m.month, industry, count(*) FILTER (WHERE m.registered), count(*) FILTER (WHERE NOT m.registered)
			FROM entities CROSS JOIN LATERAL (VALUES (date_trunc('month', registered_at)::date, true),
				(CASE WHEN status <> 'active' THEN ` + month("changed_at") + ` END, false)) m (month, registered)
			WHERE m.month IS NOT NULL AND /*COND*/ GROUP BY 1, 2, 3, 4, 5`},
	// An inspection stores its town and grid but no village: the grid's
	// code begins with the village's.
	{name: "activity", keys: []string{"month"}, counts: []string{"inspections", "tasks_closed", "flags_raised"},
		query: `SELECT t, v, g, month, sum(i), sum(c), sum(r) FROM (
				SELECT coalesce(town_code, ''), coalesce(left(grid_code, 12), ''), coalesce(grid_code, ''), ` + month("at") + `, count(*), 0, 0
				FROM inspections WHERE /*COND*/ GROUP BY 1, 2, 3, 4
				UNION ALL
				SELECT ` + area + `, ` + month("done_at") + `, 0, count(*), 0
				FROM tasks WHERE status = 'done' AND /*COND*/ GROUP BY 1, 2, 3, 4
				UNION ALL
				SELECT ` + area + `, ` + month("raised_at") + `, 0, 0, count(*)
				FROM flags WHERE /*COND*/ GROUP BY 1, 2, 3, 4
			) x (t, v, g, month, i, c, r) GROUP BY 1, 2, 3, 4`},
	{name: "tasks", keys: []string{"department_code", "month", "open_due"},
		counts: []string{"n", "received", "answered", "closed", "returned", "closed_late"},
		query: `SELECT ` + area + `, coalesce(department_code, ''), ` + month("pushed_at") + `,
				CASE WHEN status IN ('pushed', 'received', 'feedback') THEN due_at ELSE 'infinity' END,
				count(*),
				count(*) FILTER (WHERE received_at IS NOT NULL OR feedback_at IS NOT NULL OR done_at IS NOT NULL),
				count(*) FILTER (WHERE feedback_at IS NOT NULL OR done_at IS NOT NULL),
				count(*) FILTER (WHERE status = 'done'),
				count(*) FILTER (WHERE status = 'returned'),
				count(*) FILTER (WHERE status = 'done' AND done_at > due_at)
			FROM tasks WHERE /*COND*/ GROUP BY 1, 2, 3, 4, 5, 6`},
	{name: "task_answers", keys: []string{"department_code", "month", "days"}, counts: []string{"n"},
		query: `SELECT ` + area + `, department_code, ` + month("pushed_at") + `,
				greatest(0, floor(extract(epoch FROM coalesce(feedback_at, done_at) - pushed_at) / 86400))::integer, count(*)
			FROM tasks WHERE department_code IS NOT NULL AND coalesce(feedback_at, done_at) IS NOT NULL AND /*COND*/
			GROUP BY 1, 2, 3, 4, 5, 6`},
	{name: "flags", keys: []string{"kind", "status"}, counts: []string{"n"},
		query: `SELECT ` + area + `, kind, status, count(*) FROM flags WHERE /*COND*/ GROUP BY 1, 2, 3, 4, 5`},
	{name: "complaints", keys: []string{"month", "industry", "source", "category"}, counts: []string{"n"},
		query: `SELECT ` + area + `, ` + month("at") + `, industry, source, category, count(*)
			FROM complaints WHERE /*COND*/ GROUP BY 1, 2, 3, 4, 5, 6, 7`},
}

// leadsRollup is stats_leads: leads have no grid, so it is by town only,
// recomputed whole when its town's rows without a grid are. A lead made in
// the field names the grid (or village, or town) it came from; the flows
// between departments count such sources as one each: grid, village, town.
var leadsRollup = `INSERT INTO stats_leads (town_code, from_department, to_department, month, status, n)
	SELECT coalesce(town_code, ''), CASE WHEN from_department ~ '^[0-9]{15}$' THEN 'grid'
			WHEN from_department ~ '^[0-9]{12}$' THEN 'village' WHEN from_department ~ '^[0-9]{9}$' THEN 'town'
			ELSE from_department END,
		coalesce(department_code, 'coordination'), ` + month("created_at") + `, status, count(*)
	FROM leads WHERE /*COND*/ GROUP BY 1, 2, 3, 4, 5`

func (r rollup) columns() string {
	return "town_code, village_code, grid_code, " + strings.Join(append(slices.Clone(r.keys), r.counts...), ", ")
}

// fields lists the rollup's keys and counts as a select list, each count
// passed through count (its negation, its sum).
func (r rollup) fields(count func(c string) string) string {
	out := slices.Clone(r.keys)
	for _, c := range r.counts {
		out = append(out, count(c)+" AS "+c)
	}
	return strings.Join(out, ", ")
}

// insert returns the statement that adds the rollup's grid rows for cond,
// returning their keys and counts.
func (r rollup) insert(cond string) string {
	return "INSERT INTO stats_" + r.name + " (" + r.columns() + ")\n" + strings.ReplaceAll(r.query, "/*COND*/", "("+cond+")") +
		"\nRETURNING " + r.fields(func(c string) string { return c })
}

// wholeTown returns the statements that recompute the rollup for the whole
// town $1 from the base rows cond selects: its grid rows, and its town
// rows as their sums, summed as they are written rather than read again.
func (r rollup) wholeTown(cond string) []string {
	keys := strings.Join(r.keys, ", ")
	return []string{
		"DELETE FROM stats_" + r.name + " WHERE town_code = $1",
		"DELETE FROM stats_town_" + r.name + " WHERE town_code = $1",
		"WITH new AS (" + r.insert(cond) + ")\nINSERT INTO stats_town_" + r.name + " (town_code, " + keys + ", " +
			strings.Join(r.counts, ", ") + ")\nSELECT $1, " + r.fields(func(c string) string { return "sum(" + c + ")" }) +
			" FROM new GROUP BY " + keys,
	}
}

// grids returns the statements that recompute the rollup's rows of the
// grids $2 of town $1 from the base rows each of conds selects, and move
// the town's rows by the difference between the grid rows replaced and
// those written. A town row whose counts come to zero is deleted.
func (r rollup) grids(conds []string) []string {
	keys := strings.Join(r.keys, ", ")
	var parts, news []string
	parts = append(parts, "old AS (DELETE FROM stats_"+r.name+" WHERE town_code = $1 AND grid_code = ANY($2) RETURNING "+
		r.fields(func(c string) string { return c })+")")
	diff := []string{"SELECT " + r.fields(func(c string) string { return "-" + c }) + " FROM old"}
	for i, cond := range conds {
		name := fmt.Sprintf("new%d", i+1)
		news = append(news, name)
		parts = append(parts, name+" AS ("+r.insert(cond)+")")
		diff = append(diff, "SELECT "+keys+", "+strings.Join(r.counts, ", ")+" FROM "+name)
	}
	var changed, update, zero []string
	for _, c := range r.counts {
		changed = append(changed, c+" <> 0")
		update = append(update, c+" = t."+c+" + excluded."+c)
		zero = append(zero, c+" = 0")
	}
	return []string{
		"WITH " + strings.Join(parts, ",\n") + ",\ndiff AS (SELECT " + r.fields(func(c string) string { return "sum(" + c + ")" }) +
			" FROM (" + strings.Join(diff, " UNION ALL ") + ") u GROUP BY " + keys + ")\n" +
			"INSERT INTO stats_town_" + r.name + " AS t (town_code, " + keys + ", " + strings.Join(r.counts, ", ") + ")\n" +
			"SELECT $1, " + keys + ", " + strings.Join(r.counts, ", ") + " FROM diff WHERE " + strings.Join(changed, " OR ") + "\n" +
			"ON CONFLICT (town_code, " + keys + ") DO UPDATE SET " + strings.Join(update, ", "),
		"DELETE FROM stats_town_" + r.name + " WHERE town_code = $1 AND " + strings.Join(zero, " AND "),
	}
}

// baseTown is the condition on a base table's town_code for town (empty
// for the rows of no town), with its argument when it takes one.
func baseTown(town string) (string, []any) {
	if town == "" {
		return "town_code IS NULL", nil
	}
	return "town_code = $1", []any{town}
}

// wholeTownShare is the share of a town's grids beyond which a refresh
// recomputes the whole town rather than grid by grid. Grid by grid, the
// inspections are counted from an index alone, while the whole town reads
// them from the table: at city scale 40 grids of a town of 130 took 5.4 s
// and the whole town 25 s, so a town is recomputed whole only when almost
// all of it changed (docs/stats.md).
const wholeTownShare = 0.9

// A StatsRefresh reports the refresh of one town.
type StatsRefresh struct {
	Town  string // "" for the rows not linked to a town
	Whole bool   // the whole town was recomputed
	Grids int    // otherwise, the grids recomputed ("" counted: the town's rows without a grid)
	Took  time.Duration
}

// RefreshStats brings the rollups up to date: with full, every town is
// recomputed whole (after a bulk load with the triggers off, or to check
// them); otherwise the dirty towns are, until none is left. Towns another
// refresher is working on are skipped (FOR UPDATE SKIP LOCKED), so several
// service nodes share the work; a full refresh waits for them instead.
// progress, if not nil, is called after each town.
func (db *DB) RefreshStats(ctx context.Context, full bool, progress func(StatsRefresh)) ([]StatsRefresh, error) {
	// Every town a refresh may claim has its row in stats_refreshed, made
	// here rather than in the claiming transaction, where a second
	// refresher inserting the same town would wait for the first to end.
	seed := `INSERT INTO stats_refreshed (town_code) SELECT DISTINCT town_code FROM stats_dirty ON CONFLICT DO NOTHING`
	if full {
		seed = `INSERT INTO stats_refreshed (town_code)
			SELECT code FROM towns UNION SELECT '' UNION SELECT town_code FROM stats_dirty ON CONFLICT DO NOTHING`
	}
	if _, err := db.pool.Exec(ctx, seed); err != nil {
		return nil, translate(err, "list the towns to refresh")
	}
	var towns []string
	if full {
		rows, _ := db.pool.Query(ctx, `SELECT town_code FROM stats_refreshed ORDER BY town_code`)
		var err error
		if towns, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, translate(err, "list the towns to refresh")
		}
	}
	var done []StatsRefresh
	seen := map[string]bool{} // a pass refreshes a town once, however busy it is
	for i := 0; !full || i < len(towns); i++ {
		var town *string
		if full {
			town = &towns[i]
		}
		r, outcome, err := db.refreshTown(ctx, town, seen)
		if err != nil {
			return done, err
		}
		if outcome == noTown {
			break
		}
		seen[r.Town] = true
		if outcome == alreadyDone {
			continue
		}
		done = append(done, r)
		if progress != nil {
			progress(r)
		}
	}
	return done, nil
}

// What refreshTown did.
type refreshOutcome int

const (
	noTown      refreshOutcome = iota // no dirty town was left to claim
	alreadyDone                       // the town claimed had just been refreshed by another refresher
	refreshed
)

// refreshTown refreshes one town in a transaction: town, waiting for
// another refresher to finish with it, or else the dirty town refreshed
// longest ago that no other refresher holds, unless it is in seen.
func (db *DB) refreshTown(ctx context.Context, town *string, seen map[string]bool) (StatsRefresh, refreshOutcome, error) {
	start := time.Now()
	var r StatsRefresh
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return r, noTown, translate(err, "begin a statistics refresh")
	}
	defer tx.Rollback(ctx)
	// A whole town of the city scale reads a million inspections.
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = '15min'"); err != nil {
		return r, noTown, translate(err, "begin a statistics refresh")
	}
	var claim pgx.Row
	if town != nil {
		claim = tx.QueryRow(ctx, `SELECT town_code FROM stats_refreshed WHERE town_code = $1 FOR UPDATE`, *town)
	} else {
		claim = tx.QueryRow(ctx, `SELECT r.town_code FROM stats_refreshed r
			WHERE EXISTS (SELECT 1 FROM stats_dirty d WHERE d.town_code = r.town_code)
			ORDER BY r.at NULLS FIRST, r.town_code LIMIT 1 FOR UPDATE SKIP LOCKED`)
	}
	switch err := claim.Scan(&r.Town); {
	case errors.Is(err, pgx.ErrNoRows):
		return r, noTown, nil
	case err != nil:
		return r, noTown, translate(err, "claim a town to refresh")
	case town == nil && seen[r.Town]:
		return r, noTown, nil
	}
	// The marks this statement sees are those of changes committed before
	// it: the recomputation below, later, sees those changes. Marks
	// committed meanwhile stay for the next refresh.
	rows, _ := tx.Query(ctx, `DELETE FROM stats_dirty WHERE town_code = $1 RETURNING grid_code`, r.Town)
	marks, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return r, noTown, translate(err, "take the marks of town "+r.Town)
	}
	slices.Sort(marks)
	marks = slices.Compact(marks)
	if len(marks) == 0 && town == nil {
		// Another refresher took the marks as this one claimed the town:
		// the claim saw them in its snapshot, then locked the row the other
		// had just released.
		return r, alreadyDone, nil
	}
	r.Whole = town != nil || slices.Contains(marks, "*")
	if !r.Whole {
		var grids int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM grids WHERE town_code = $1`, r.Town).Scan(&grids); err != nil {
			return r, noTown, translate(err, "count the grids of town "+r.Town)
		}
		r.Whole = float64(len(marks)) > wholeTownShare*float64(max(grids, 1))
	}
	b := &pgx.Batch{}
	if r.Whole {
		queueWholeTown(b, r.Town)
	} else {
		r.Grids = len(marks)
		queueGrids(b, r.Town, marks)
	}
	// Leads have no grid: their triggers mark the town's "".
	if r.Whole || slices.Contains(marks, "") {
		b.Queue(`DELETE FROM stats_leads WHERE town_code = $1`, r.Town)
		cond, args := baseTown(r.Town)
		b.Queue(strings.ReplaceAll(leadsRollup, "/*COND*/", cond), args...)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return r, noTown, translate(err, "refresh the statistics of town "+r.Town)
	}
	r.Took = time.Since(start)
	grids := &r.Grids
	if r.Whole {
		grids = nil
	}
	if _, err := tx.Exec(ctx, `UPDATE stats_refreshed SET at = now(), took = $2, grids = $3 WHERE town_code = $1`,
		r.Town, r.Took, grids); err != nil {
		return r, noTown, translate(err, "record the refresh of town "+r.Town)
	}
	if err := tx.Commit(ctx); err != nil {
		return r, noTown, translate(err, "commit the refresh of town "+r.Town)
	}
	r.Took = time.Since(start)
	return r, refreshed, nil
}

// queueWholeTown queues the statements that recompute every row of town.
func queueWholeTown(b *pgx.Batch, town string) {
	cond := "town_code IS NULL"
	if town != "" {
		cond = "town_code = $1"
	}
	for _, ru := range rollups {
		for _, sql := range ru.wholeTown(cond) {
			b.Queue(sql, town)
		}
	}
}

// queueGrids queues the statements that recompute the rows of the grids of
// town ("" for its rows without a grid).
func queueGrids(b *pgx.Batch, town string, grids []string) {
	real := slices.DeleteFunc(slices.Clone(grids), func(g string) bool { return g == "" })
	inTown := "town_code IS NULL"
	if town != "" {
		inTown = "town_code = $1"
	}
	args := []any{town, grids}
	var conds []string
	if len(real) > 0 {
		args = append(args, real)
		conds = append(conds, inTown+" AND grid_code = ANY($3)")
	}
	if len(real) < len(grids) {
		conds = append(conds, inTown+" AND grid_code IS NULL")
	}
	for _, ru := range rollups {
		sqls := ru.grids(conds)
		b.Queue(sqls[0], args...)
		b.Queue(sqls[1], town)
	}
}

// A StatsRefresher keeps the rollups fresh while the service runs: it
// refreshes the dirty towns every Every, and at once when a write is heard
// of (LISTEN gridsentry_stats) after a quiet spell of Every or longer, so
// a quiet database shows a change within a second and a busy one is
// refreshed once per Every.
type StatsRefresher struct {
	db    *DB
	log   *slog.Logger
	Every time.Duration
}

// statsChannel is the channel the stats_mark_dirty trigger notifies.
const statsChannel = "gridsentry_stats"

// NewStatsRefresher returns a refresher over db; Run starts it.
func NewStatsRefresher(db *DB, log *slog.Logger, every time.Duration) *StatsRefresher {
	return &StatsRefresher{db: db, log: log, Every: every}
}

// Run refreshes until ctx ends. Failures are logged and retried on the
// next tick.
func (s *StatsRefresher) Run(ctx context.Context) error {
	heard := make(chan struct{}, 1)
	wake := func() {
		select {
		case heard <- struct{}{}:
		default:
		}
	}
	l := listener{db: s.db, name: "stats", channel: statsChannel, log: s.log, onListen: wake, onNotify: func(string) { wake() }}
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		_ = l.run(ctx)
	}()
	defer func() { <-listening }()
	tick := time.NewTicker(s.Every)
	defer tick.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-heard:
			if time.Since(last) < s.Every {
				continue
			}
		}
		last = time.Now()
		done, err := s.db.RefreshStats(ctx, false, nil)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("stats: refresh failed; retrying", "err", err.Error())
		}
		if len(done) > 0 {
			s.log.Debug("stats: refreshed", "towns", len(done), "took", time.Since(last).Round(time.Millisecond).String())
		}
	}
}
