package postgres_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// statsCity is the demo city with the entities of two of its towns linked
// to their true buildings (the demo load links nothing, so the others
// count as not linked), flags of every status in both, and the rollups
// refreshed. The answers are checked against the base tables, counted
// here by plain queries that read no rollup.
type statsCity struct {
	db         *postgres.DB
	a, b       string // the two towns
	villageA   string // a village of a with several grids
	period     supervision.Period
	now        time.Time
	start, end time.Time // the period's first instant and the instant after it, Beijing time
}

func newStatsCity(t *testing.T) *statsCity {
	t.Helper()
	ctx := context.Background()
	c := &statsCity{db: pgtest.Demo(t)}
	pool := c.db.Pool()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// The two smallest towns with three grids or more.
	rows, _ := pool.Query(ctx, `SELECT b.town_code FROM demo_entity_truth d JOIN buildings b ON b.id = d.true_building_id
		GROUP BY 1 HAVING count(DISTINCT b.grid_code) >= 3 ORDER BY count(*), 1 LIMIT 2`)
	towns, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(towns) != 2 {
		t.Fatalf("two towns: %v %v", towns, err)
	}
	c.a, c.b = towns[0], towns[1]
	exec(`UPDATE entities e SET link_status = 'matched', building_id = b.id, town_code = b.town_code,
			village_code = b.village_code, grid_code = b.grid_code, location = ST_PointOnSurface(b.geom), h3_11 = 1, linked_at = now()
		FROM demo_entity_truth d JOIN buildings b ON b.id = d.true_building_id
		WHERE d.uscc = e.uscc AND b.town_code IN ($1, $2)`, c.a, c.b)
	// One entity of each town linked to its village only, with no grid.
	exec(`UPDATE entities SET grid_code = NULL WHERE uscc IN (SELECT min(uscc) FROM entities WHERE town_code IN ($1, $2) GROUP BY town_code)`, c.a, c.b)
	if err := pool.QueryRow(ctx, `SELECT village_code FROM entities WHERE town_code = $1 AND grid_code IS NOT NULL
		GROUP BY 1 HAVING count(DISTINCT grid_code) >= 2 ORDER BY count(*) DESC, 1 LIMIT 1`, c.a).Scan(&c.villageA); err != nil {
		t.Fatal(err)
	}
	// Flags: of each status, about entities of both towns; one with no
	// grid; one with no town.
	exec(`INSERT INTO flags (kind, subject, uscc, usccs, town_code, village_code, grid_code, score, title, evidence, fingerprint,
			status, raised_at, opened_at, updated_at)
		SELECT (ARRAY['dormant', 'off_site', 'not_found'])[1 + n % 3], 'entity:' || uscc, uscc, ARRAY[uscc], town_code, village_code,
			grid_code, 50, 'test', '{}', 'f', (ARRAY['open', 'open', 'confirmed', 'dismissed', 'resolved'])[1 + n % 5],
			now() - (n % 400) * interval '1 day', now(), now()
		FROM (SELECT uscc, town_code, village_code, grid_code, row_number() OVER (ORDER BY uscc) AS n
			FROM entities WHERE town_code IN ($1, $2)) e WHERE n % 7 = 0`, c.a, c.b)
	exec(`INSERT INTO flags (kind, subject, town_code, score, title, evidence, fingerprint, status, raised_at, opened_at, updated_at)
		VALUES ('linked_parties', 'phone:x', $1, 60, 'test', '{}', 'f', 'open', now(), now(), now()),
		       ('linked_parties', 'phone:y', NULL, 60, 'test', '{}', 'f', 'open', now(), now(), now())`, c.a)
	if _, err := c.db.RefreshStats(ctx, true, nil); err != nil {
		t.Fatal(err)
	}
	// The demo's history runs to 2026-11-01.
	c.period = supervision.Period{From: supervision.Month{Year: 2025, Month: 11}, To: supervision.Month{Year: 2026, Month: 10}}
	c.now = time.Date(2026, 11, 15, 10, 0, 0, 0, supervision.Beijing)
	c.start = time.Date(2025, 11, 1, 0, 0, 0, 0, supervision.Beijing)
	c.end = time.Date(2026, 11, 1, 0, 0, 0, 0, supervision.Beijing)
	return c
}

// TestStatsMatchBaseTables checks every statistics answer against the base
// tables after a full refresh, then after changes of every kind and an
// incremental refresh, which must recompute the changed towns only.
func TestStatsMatchBaseTables(t *testing.T) {
	c := newStatsCity(t)
	c.check(t, "after a full refresh")

	ctx := context.Background()
	pool := c.db.Pool()
	exec := func(sql string, args ...any) {
		t.Helper()
		tag, err := pool.Exec(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if tag.RowsAffected() == 0 {
			t.Fatalf("%s: changed nothing", sql)
		}
	}
	var grid, other string // a grid of town a, and an entity of a to move to b
	if err := pool.QueryRow(ctx, `SELECT grid_code, max(uscc) FROM entities WHERE village_code = $1 AND grid_code IS NOT NULL
		GROUP BY 1 ORDER BY 1 LIMIT 1`, c.villageA).Scan(&grid, &other); err != nil {
		t.Fatal(err)
	}
	// Entities: a new one, a new industry, a cancellation, a move to b.
	exec(`INSERT INTO entities (uscc, name, kind, status, registered_at, address_text, industry, changed_at,
			town_code, village_code, grid_code, linked_at)
		VALUES ('91441900MA5CHK001X', '统计测试', 'enterprise', 'active', '2026-02-03', '某路1号', 'F', now(), $1, $2, $3, now())`,
		c.a, c.villageA, grid)
	exec(`UPDATE entities SET industry = 'H' WHERE uscc = (SELECT min(uscc) FROM entities WHERE town_code = $1 AND status = 'active' AND industry <> 'H')`, c.a)
	exec(`UPDATE entities SET status = 'cancelled', changed_at = '2026-09-10 10:00+08'
		WHERE uscc = (SELECT max(uscc) FROM entities WHERE town_code = $1 AND status = 'active')`, c.b)
	exec(`UPDATE entities e SET town_code = b.town_code, village_code = b.village_code, grid_code = b.grid_code
		FROM (SELECT town_code, village_code, grid_code FROM entities WHERE town_code = $2 AND grid_code IS NOT NULL LIMIT 1) b
		WHERE e.uscc = $1`, other, c.b)
	// Tasks: one pushed, one received, one answered, one closed late, one past due now.
	exec(`INSERT INTO tasks (uscc, kind, assignee, department_code, town_code, village_code, grid_code, status, pushed_at, due_at)
		VALUES ('91441900MA5CHK001X', 'permit', 'amr_food', 'amr_food', $1, $2, $3, 'pushed', '2026-10-20 09:00+08', '2026-11-03 00:00+08')`,
		c.a, c.villageA, grid)
	for _, step := range []string{
		`status = 'received', received_at = pushed_at + interval '1 hour'`,
		`status = 'feedback', received_at = pushed_at + interval '1 hour', feedback_at = pushed_at + interval '50 hours'`,
		`status = 'done', done_at = due_at + interval '2 days'`,
	} {
		exec(`UPDATE tasks SET `+step+` WHERE id = (SELECT min(id) FROM tasks WHERE town_code = $1
			AND status IN ('pushed', 'received', 'feedback') AND pushed_at >= $2 AND uscc <> '91441900MA5CHK001X')`, c.a, c.start)
	}
	// An inspection in b (its entity's last_inspected_at follows).
	exec(`INSERT INTO inspections (uscc, inspector, at, location, crs, items, outcome, town_code, grid_code)
		SELECT uscc, 'test', '2026-10-30 15:00+08', ST_SetSRID(ST_MakePoint(113.7, 22.9), 4326), 'wgs84', '{}', 'operating',
			town_code, grid_code FROM entities WHERE town_code = $1 AND status = 'active' AND grid_code IS NOT NULL
			ORDER BY uscc LIMIT 3`, c.b)
	// Flags: one raised, one dismissed.
	exec(`INSERT INTO flags (kind, subject, uscc, town_code, village_code, grid_code, score, title, evidence, fingerprint,
			status, raised_at, opened_at, updated_at)
		VALUES ('dormant', 'entity:91441900MA5CHK001X', '91441900MA5CHK001X', $1, $2, $3, 50, 'test', '{}', 'f', 'open',
			'2026-10-01 08:00+08', now(), now())`, c.a, c.villageA, grid)
	exec(`UPDATE flags SET status = 'dismissed', reviewed_at = now() WHERE id = (SELECT min(id) FROM flags WHERE town_code = $1 AND status = 'open')`, c.a)
	// Complaints: one in b, and one of b relabelled.
	exec(`INSERT INTO complaints (source, at, category, industry, town_code, village_code, grid_code)
		SELECT 'other', '2026-06-01 12:00+08', 'report', 'F', town_code, village_code, grid_code FROM entities
		WHERE town_code = $1 AND grid_code IS NOT NULL LIMIT 1`, c.b)
	exec(`UPDATE complaints SET industry = 'R' WHERE id = (SELECT min(id) FROM complaints WHERE town_code = $1 AND at >= $2)`, c.b, c.start)
	// Leads: one made in a, one of a closed.
	exec(`INSERT INTO leads (from_department, department_code, category, town_code, status, created_at, updated_at)
		VALUES ('amr_food', 'police', '无证经营', $1, 'assigned', '2026-07-07 07:00+08', now())`, c.a)
	exec(`UPDATE leads SET status = 'closed' WHERE id = (SELECT min(id) FROM leads WHERE town_code = $1 AND status <> 'closed' AND created_at >= $2)`,
		c.a, c.start)

	done, err := c.db.RefreshStats(ctx, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var towns []string
	for _, r := range done {
		towns = append(towns, r.Town)
		if r.Whole {
			t.Errorf("town %s: recomputed whole for a few grids", r.Town)
		}
	}
	slices.Sort(towns)
	if want := []string{c.a, c.b}; !slices.Equal(towns, want) {
		t.Errorf("refreshed towns %v, want only the changed ones %v", towns, want)
	}
	c.check(t, "after changes and an incremental refresh")
}

// TestStatsRefreshersShareTowns runs two refreshers at once over a city
// whose every town is stale: each town is refreshed once, by one of them,
// and the counts are those of the base tables (nothing twice).
func TestStatsRefreshersShareTowns(t *testing.T) {
	c := newStatsCity(t)
	ctx := context.Background()
	if _, err := c.db.Pool().Exec(ctx, `INSERT INTO stats_dirty (town_code, grid_code) SELECT town_code, '*' FROM stats_refreshed`); err != nil {
		t.Fatal(err)
	}
	rows := mustQuery(t, c.db, `SELECT town_code FROM stats_refreshed ORDER BY 1`)
	all, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([][]postgres.StatsRefresh, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.db.RefreshStats(ctx, false, nil)
		}()
	}
	wg.Wait()
	count := map[string]int{}
	for i := range 2 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		for _, r := range results[i] {
			count[r.Town]++
		}
	}
	for _, town := range all {
		if count[town] != 1 {
			t.Errorf("town %q refreshed %d times, want once", town, count[town])
		}
	}
	if len(results[0]) == 0 || len(results[1]) == 0 {
		t.Logf("one refresher did all %d towns: they did not overlap this time", len(all))
	}
	c.check(t, "after two refreshers at once")
}

// TestStatsKeepsLateCommits: a change whose transaction is still open
// when a refresh runs is not lost; the next refresh counts it.
func TestStatsKeepsLateCommits(t *testing.T) {
	c := newStatsCity(t)
	ctx := context.Background()
	tx, err := c.db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `UPDATE entities SET status = 'revoked', changed_at = now()
		WHERE uscc = (SELECT min(uscc) FROM entities WHERE town_code = $1 AND status = 'active')`, c.a); err != nil {
		t.Fatal(err)
	}
	if done, err := c.db.RefreshStats(ctx, false, nil); err != nil || len(done) != 0 {
		t.Fatalf("refresh while the change is uncommitted: %v, %v; want nothing to do", done, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	done, err := c.db.RefreshStats(ctx, false, nil)
	if err != nil || len(done) != 1 || done[0].Town != c.a {
		t.Fatalf("refresh after the commit: %v, %v; want town %s", done, err, c.a)
	}
	c.check(t, "after a late commit")
}

func mustQuery(t *testing.T, db *postgres.DB, sql string, args ...any) pgx.Rows {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// check compares every answer with the base tables.
func (c *statsCity) check(t *testing.T, when string) {
	t.Helper()
	ctx := context.Background()
	q := func(level supervision.StatsLevel, town, village string) supervision.StatsQuery {
		return supervision.StatsQuery{Period: c.period, Level: level, TownCode: town, VillageCode: village, Now: c.now}
	}
	for _, tc := range []struct {
		name  string
		q     supervision.StatsQuery
		group string // the base tables' column the items are by
		where string // and the rows they count
	}{
		{"towns of the city", q(supervision.StatsCity, "", ""), "town_code", "true"},
		{"town a alone (a town's caller)", q(supervision.StatsCity, c.a, ""), "town_code", "town_code = '" + c.a + "'"},
		{"villages of a", q(supervision.StatsTown, c.a, ""), "village_code", "town_code = '" + c.a + "'"},
		{"grids of a village", q(supervision.StatsVillage, c.a, c.villageA), "grid_code", "village_code = '" + c.villageA + "'"},
	} {
		rep, err := c.db.AreaStats(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: %s: %v", when, tc.name, err)
		}
		got := map[string]supervision.AreaStats{}
		for _, it := range rep.Items {
			if it.Name == "" {
				t.Errorf("%s: %s: item %q has no name", when, tc.name, it.Code)
			}
			got[it.Code] = normalArea(it)
		}
		want := c.wantAreas(t, tc.group, tc.where)
		for code := range want {
			if _, ok := got[code]; !ok {
				got[code] = normalArea(supervision.AreaStats{Code: code})
			}
		}
		for code := range got {
			if _, ok := want[code]; !ok {
				want[code] = normalArea(supervision.AreaStats{Code: code})
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: %s (-base tables +rollups):\n%s", when, tc.name, diff)
		}
		var total supervision.AreaStats
		for _, it := range rep.Items {
			total.AddArea(&it)
		}
		total.Code, total.Name = rep.Total.Code, rep.Total.Name
		if diff := cmp.Diff(normalArea(total), normalArea(rep.Total)); diff != "" {
			t.Errorf("%s: %s: the total is not the sum of the items:\n%s", when, tc.name, diff)
		}
		if rep.AsOf == nil {
			t.Errorf("%s: %s: as_of is null after a refresh", when, tc.name)
		}
	}
	for _, town := range []string{"", c.a} {
		rep, err := c.db.DepartmentStats(ctx, q(supervision.StatsCity, town, ""))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]supervision.DepartmentStats{}
		for _, d := range rep.Items {
			d.Name = ""
			maps.DeleteFunc(d.AnswerDays, func(_ int, n int64) bool { return n == 0 })
			got[d.Code] = d
		}
		if diff := cmp.Diff(c.wantDepartments(t, town), got); diff != "" {
			t.Errorf("%s: departments of %q (-base tables +rollups):\n%s", when, town, diff)
		}
	}
	for _, area := range []struct{ town, village string }{{"", ""}, {c.a, ""}, {c.a, c.villageA}} {
		c.checkTrend(t, when, area.town, area.village)
		c.checkIndustries(t, when, area.town, area.village)
	}
	for _, town := range []string{"", c.a} {
		c.checkComplaints(t, when, town)
		c.checkLeads(t, when, town)
	}
}

// normalArea drops the zero counts of an area's maps, and its name.
func normalArea(a supervision.AreaStats) supervision.AreaStats {
	nz := func(m map[string]int64) map[string]int64 {
		out := map[string]int64{}
		for k, v := range m {
			if v != 0 {
				out[k] = v
			}
		}
		return out
	}
	a.Name = ""
	a.Entities.ByKind, a.Entities.ByIndustry, a.Flags.ByKind = nz(a.Entities.ByKind), nz(a.Entities.ByIndustry), nz(a.Flags.ByKind)
	return a
}

// scan runs sql and calls each with every row's values.
func (c *statsCity) scan(t *testing.T, sql string, args []any, each func(vals []any)) {
	t.Helper()
	rows, err := c.db.Pool().Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		each(vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func n64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case nil:
		return 0
	}
	panic(fmt.Sprintf("%T", v))
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return v.(string)
}

// wantAreas counts from the base tables what each area (by group, of the
// rows where selects) holds. An inspection's village is its grid's.
func (c *statsCity) wantAreas(t *testing.T, group, where string) map[string]supervision.AreaStats {
	out := map[string]supervision.AreaStats{}
	upd := func(code any, f func(a *supervision.AreaStats)) {
		a := out[str(code)]
		a.Code = str(code)
		f(&a)
		out[str(code)] = a
	}
	in := []any{c.start, c.end}
	c.scan(t, `SELECT `+group+`, kind, industry, status, count(*) FROM entities WHERE `+where+` GROUP BY 1, 2, 3, 4`, nil,
		func(v []any) {
			upd(v[0], func(a *supervision.AreaStats) { a.Entities.Add(str(v[1]), str(v[2]), str(v[3]), n64(v[4])) })
		})
	c.scan(t, `SELECT `+group+`, count(*) FROM entities WHERE `+where+` AND registered_at >= $1::timestamptz AT TIME ZONE 'Asia/Shanghai'
		AND registered_at < $2::timestamptz AT TIME ZONE 'Asia/Shanghai' GROUP BY 1`, in,
		func(v []any) { upd(v[0], func(a *supervision.AreaStats) { a.NewRegistrations = n64(v[1]) }) })
	c.scan(t, `SELECT `+group+`, count(*), count(*) FILTER (WHERE last_inspected_at >= $1) FROM entities
		WHERE `+where+` AND status = 'active' GROUP BY 1`, []any{c.start},
		func(v []any) {
			upd(v[0], func(a *supervision.AreaStats) {
				a.Inspections.ActiveEntities, a.Inspections.Covered = n64(v[1]), n64(v[2])
			})
		})
	c.scan(t, `SELECT `+group+`, count(*) FROM (SELECT i.town_code, g.village_code, i.grid_code FROM inspections i
			LEFT JOIN grids g ON g.code = i.grid_code WHERE i.at >= $1 AND i.at < $2) i WHERE `+where+` GROUP BY 1`, in,
		func(v []any) { upd(v[0], func(a *supervision.AreaStats) { a.Inspections.Count = n64(v[1]) }) })
	c.scan(t, `SELECT `+group+`, count(*),
			count(*) FILTER (WHERE received_at IS NOT NULL OR feedback_at IS NOT NULL OR done_at IS NOT NULL),
			count(*) FILTER (WHERE feedback_at IS NOT NULL OR done_at IS NOT NULL),
			count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'returned'),
			count(*) FILTER (WHERE status IN ('pushed', 'received', 'feedback') AND due_at < $3 OR status = 'done' AND done_at > due_at),
			count(*) FILTER (WHERE status IN ('pushed', 'received', 'feedback'))
		FROM tasks WHERE `+where+` AND pushed_at >= $1 AND pushed_at < $2 GROUP BY 1`, []any{c.start, c.end, c.now},
		func(v []any) {
			upd(v[0], func(a *supervision.AreaStats) {
				a.Tasks = supervision.TaskCounts{Pushed: n64(v[1]), Received: n64(v[2]), Answered: n64(v[3]), Closed: n64(v[4]),
					Returned: n64(v[5]), Overdue: n64(v[6]), Open: n64(v[7])}
			})
		})
	c.scan(t, `SELECT `+group+`, kind, status, count(*) FROM flags WHERE `+where+` GROUP BY 1, 2, 3`, nil,
		func(v []any) {
			upd(v[0], func(a *supervision.AreaStats) { a.Flags.Add(str(v[1]), str(v[2]), n64(v[3])) })
		})
	c.scan(t, `SELECT `+group+`, count(*), count(*) FILTER (WHERE category = 'complaint'), count(*) FILTER (WHERE category = 'report'),
			count(*) FILTER (WHERE source = 'other')
		FROM complaints WHERE `+where+` AND at >= $1 AND at < $2 GROUP BY 1`, in,
		func(v []any) {
			upd(v[0], func(a *supervision.AreaStats) {
				a.Complaints = supervision.ComplaintCounts{Count: n64(v[1]), Complaints: n64(v[2]), Reports: n64(v[3]), Letters: n64(v[4])}
			})
		})
	for code, a := range out {
		out[code] = normalArea(a)
	}
	return out
}

// wantDepartments counts the tasks and leads of each department from the
// base tables; the days to answer are worked out here from the times.
func (c *statsCity) wantDepartments(t *testing.T, town string) map[string]supervision.DepartmentStats {
	out := map[string]supervision.DepartmentStats{}
	c.scan(t, `SELECT code FROM departments`, nil, func(v []any) {
		out[str(v[0])] = supervision.DepartmentStats{Code: str(v[0]), AnswerDays: map[int]int64{}}
	})
	c.scan(t, `SELECT department_code, status, due_at, pushed_at, received_at, feedback_at, done_at FROM tasks
		WHERE department_code IS NOT NULL AND pushed_at >= $1 AND pushed_at < $2 AND ($3 = '' OR town_code = $3)`,
		[]any{c.start, c.end, town}, func(v []any) {
			d := out[str(v[0])]
			status := str(v[1])
			due, pushed := v[2].(time.Time), v[3].(time.Time)
			received, feedback, done := v[4] != nil, v[5] != nil, v[6] != nil
			open := status == "pushed" || status == "received" || status == "feedback"
			d.Tasks.Pushed++
			if received || feedback || done {
				d.Tasks.Received++
			}
			if feedback || done {
				d.Tasks.Answered++
				answered := v[6]
				if feedback {
					answered = v[5]
				}
				d.AnswerDays[max(0, int(answered.(time.Time).Sub(pushed).Hours()/24))]++
			}
			switch {
			case status == "done":
				d.Tasks.Closed++
				if v[6].(time.Time).After(due) {
					d.Tasks.Overdue++
				}
			case status == "returned":
				d.Tasks.Returned++
			case open:
				d.Tasks.Open++
				if c.now.After(due) {
					d.Tasks.Overdue++
				}
			}
			out[str(v[0])] = d
		})
	c.scan(t, `SELECT department_code, status FROM leads WHERE created_at >= $1 AND created_at < $2 AND ($3 = '' OR town_code = $3)`,
		[]any{c.start, c.end, town}, func(v []any) {
			d, ok := out[str(v[0])]
			if !ok {
				return
			}
			d.Leads.Received++
			if str(v[1]) == "closed" {
				d.Leads.Closed++
			} else {
				d.Leads.Open++
			}
			out[str(v[0])] = d
		})
	c.scan(t, `SELECT from_department, count(*) FROM leads WHERE created_at >= $1 AND created_at < $2 AND ($3 = '' OR town_code = $3)
		GROUP BY 1`, []any{c.start, c.end, town}, func(v []any) {
		if d, ok := out[str(v[0])]; ok {
			d.Leads.Sent = n64(v[1])
			out[str(v[0])] = d
		}
	})
	return out
}

// areaWhere selects the base rows of the city, a town or a village.
func areaWhere(town, village string) string {
	switch {
	case village != "":
		return "village_code = '" + village + "'"
	case town != "":
		return "town_code = '" + town + "'"
	}
	return "true"
}

func (c *statsCity) checkTrend(t *testing.T, when, town, village string) {
	t.Helper()
	rep, err := c.db.TrendStats(context.Background(), supervision.StatsQuery{Period: c.period, TownCode: town, VillageCode: village, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	where := areaWhere(town, village)
	var got, want []string
	line := func(m supervision.Month, reg, cancel, active, pushed, closed, inspections, raised, complaints int64) string {
		return fmt.Sprintf("%s reg %d cancel %d active %d pushed %d closed %d inspections %d raised %d complaints %d",
			m, reg, cancel, active, pushed, closed, inspections, raised, complaints)
	}
	for _, m := range rep.Months {
		active := int64(-1)
		if m.ActiveEnd != nil {
			active = *m.ActiveEnd
		}
		got = append(got, line(m.Month, m.Registrations, m.Cancellations, active, m.TasksPushed, m.TasksClosed, m.Inspections,
			m.FlagsRaised, m.Complaints))
	}
	// The times of each source's rows, by Beijing month, counted here.
	byMonth := func(sql string) map[supervision.Month]int64 {
		out := map[supervision.Month]int64{}
		c.scan(t, sql, nil, func(v []any) { out[supervision.MonthOf(v[0].(time.Time))]++ })
		return out
	}
	pushed := byMonth(`SELECT pushed_at FROM tasks WHERE ` + where)
	closed := byMonth(`SELECT done_at FROM tasks WHERE status = 'done' AND ` + where)
	inspections := byMonth(`SELECT at FROM (SELECT i.town_code, g.village_code, i.at FROM inspections i
		LEFT JOIN grids g ON g.code = i.grid_code) i WHERE ` + where)
	raised := byMonth(`SELECT raised_at FROM flags WHERE ` + where)
	complaints := byMonth(`SELECT at FROM complaints WHERE ` + where)
	type entity struct {
		registered, changed supervision.Month
		active              bool
	}
	var entities []entity
	c.scan(t, `SELECT registered_at, changed_at, status = 'active' FROM entities WHERE `+where, nil, func(v []any) {
		entities = append(entities, entity{supervision.MonthOfDate(v[0].(time.Time)), supervision.MonthOf(v[1].(time.Time)), v[2].(bool)})
	})
	for _, m := range c.period.Months() {
		// Active at the month's end: registered by then, and active now or
		// cancelled (last changed) after it.
		var reg, cancel, active int64
		for _, e := range entities {
			if e.registered == m {
				reg++
			}
			if !e.active && e.changed == m {
				cancel++
			}
			if !m.Before(e.registered) && (e.active || m.Before(e.changed)) {
				active++
			}
		}
		if !m.Before(supervision.MonthOf(c.now)) {
			active = -1
		}
		want = append(want, line(m, reg, cancel, active, pushed[m], closed[m], inspections[m], raised[m], complaints[m]))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: trend of %q %q (-base tables +rollups):\n%s", when, town, village, diff)
	}
}

func (c *statsCity) checkIndustries(t *testing.T, when, town, village string) {
	t.Helper()
	rep, err := c.db.IndustryStats(context.Background(), supervision.StatsQuery{Period: c.period, TownCode: town, VillageCode: village, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Entities, New, Complaints, Letters, Previous int64 }
	got, want := map[string]row{}, map[string]row{}
	for _, it := range rep.Items {
		got[it.Industry] = row{it.Entities, it.NewRegistrations, it.Complaints, it.Letters, it.PreviousComplaints}
	}
	where := areaWhere(town, village)
	prev := c.start.AddDate(-1, 0, 0)
	upd := func(code string, f func(r *row)) {
		r := want[code]
		f(&r)
		want[code] = r
	}
	c.scan(t, `SELECT industry, count(*) FILTER (WHERE status = 'active'),
			count(*) FILTER (WHERE registered_at >= $1::timestamptz AT TIME ZONE 'Asia/Shanghai' AND registered_at < $2::timestamptz AT TIME ZONE 'Asia/Shanghai')
		FROM entities WHERE `+where+` GROUP BY 1`, []any{c.start, c.end}, func(v []any) {
		upd(str(v[0]), func(r *row) { r.Entities, r.New = n64(v[1]), n64(v[2]) })
	})
	c.scan(t, `SELECT industry, count(*) FILTER (WHERE at >= $2 AND source <> 'other'), count(*) FILTER (WHERE at >= $2 AND source = 'other'),
			count(*) FILTER (WHERE at < $2 AND source <> 'other')
		FROM complaints WHERE `+where+` AND at >= $1 AND at < $3 GROUP BY 1`, []any{prev, c.start, c.end}, func(v []any) {
		upd(str(v[0]), func(r *row) { r.Complaints, r.Letters, r.Previous = n64(v[1]), n64(v[2]), n64(v[3]) })
	})
	maps.DeleteFunc(want, func(_ string, r row) bool { return r == row{} })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: industries of %q %q (-base tables +rollups):\n%s", when, town, village, diff)
	}
	for i := 1; i < len(rep.Items); i++ {
		if rep.Items[i].Complaints > rep.Items[i-1].Complaints {
			t.Errorf("%s: industries not sorted by complaints: %+v", when, rep.Items)
		}
	}
}

func (c *statsCity) checkComplaints(t *testing.T, when, town string) {
	t.Helper()
	rep, err := c.db.ComplaintStats(context.Background(), supervision.StatsQuery{Period: c.period, TownCode: town, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Complaints, Letters, Previous int64
		Top                           []supervision.IndustryCount
	}
	got, want := map[string]row{}, map[string]row{}
	for _, it := range rep.Items {
		got[it.Code] = row{it.Complaints, it.Letters, it.PreviousComplaints, it.TopIndustries}
	}
	group, where := "coalesce(town_code, '')", "true"
	if town != "" {
		group, where = "coalesce(village_code, '')", "town_code = '"+town+"'"
	}
	prev := c.start.AddDate(-1, 0, 0)
	byIndustry := map[string]map[string]int64{}
	c.scan(t, `SELECT `+group+`, industry, count(*) FILTER (WHERE at >= $2 AND source <> 'other'), count(*) FILTER (WHERE at >= $2 AND source = 'other'),
			count(*) FILTER (WHERE at < $2 AND source <> 'other')
		FROM complaints WHERE `+where+` AND at >= $1 AND at < $3 GROUP BY 1, 2`, []any{prev, c.start, c.end}, func(v []any) {
		code := str(v[0])
		r := want[code]
		r.Complaints += n64(v[2])
		r.Letters += n64(v[3])
		r.Previous += n64(v[4])
		want[code] = r
		if byIndustry[code] == nil {
			byIndustry[code] = map[string]int64{}
		}
		byIndustry[code][str(v[1])] += n64(v[2])
	})
	for code, r := range want {
		r.Top = supervision.TopIndustries(byIndustry[code], 3)
		want[code] = r
	}
	for code, r := range got {
		if _, ok := want[code]; !ok && r.Complaints+r.Letters+r.Previous == 0 {
			delete(got, code)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: complaint hot spots of %q (-base tables +rollups):\n%s", when, town, diff)
	}
	for i := 1; i < len(rep.Items); i++ {
		if rep.Items[i].Complaints > rep.Items[i-1].Complaints {
			t.Errorf("%s: hot spots not sorted by complaints", when)
		}
	}
}

func (c *statsCity) checkLeads(t *testing.T, when, town string) {
	t.Helper()
	rep, err := c.db.LeadStats(context.Background(), supervision.StatsQuery{Period: c.period, TownCode: town, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	// A lead from the field names its grid: the grids count as one source.
	source := func(from string) string {
		if strings.Trim(from, "0123456789") == "" {
			return map[int]string{9: "town", 12: "village", 15: "grid"}[len(from)]
		}
		return from
	}
	flows := map[[2]string]*supervision.LeadFlow{}
	c.scan(t, `SELECT from_department, coalesce(department_code, 'coordination'), status = 'closed'
		FROM leads WHERE created_at >= $1 AND created_at < $2 AND ($3 = '' OR town_code = $3)`,
		[]any{c.start, c.end, town}, func(v []any) {
			key := [2]string{source(str(v[0])), str(v[1])}
			f, ok := flows[key]
			if !ok {
				f = &supervision.LeadFlow{From: key[0], To: key[1]}
				flows[key] = f
			}
			f.Count++
			if v[2].(bool) {
				f.Closed++
			} else {
				f.Open++
			}
		})
	var want []supervision.LeadFlow
	for _, f := range flows {
		want = append(want, *f)
	}
	slices.SortFunc(want, func(a, b supervision.LeadFlow) int {
		if c := cmpInt(b.Count, a.Count); c != 0 {
			return c
		}
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		return strings.Compare(a.To, b.To)
	})
	if diff := cmp.Diff(want, rep.Flows); diff != "" {
		t.Errorf("%s: lead flows of %q (-base tables +rollups):\n%s", when, town, diff)
	}
	if len(rep.Departments) == 0 {
		t.Errorf("%s: no department names", when)
	}
}

// TestStatsRefresherFollowsWrites runs serve's refresher: a write is in
// the answers soon after it commits, without a refresh by hand.
func TestStatsRefresherFollowsWrites(t *testing.T) {
	db := pgtest.Demo(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = postgres.NewStatsRefresher(db, quiet, 200*time.Millisecond).Run(ctx)
	}()
	defer func() { cancel(); <-done }()

	var town string
	var id int64
	var pushed time.Time
	if err := db.Pool().QueryRow(ctx, `UPDATE tasks SET status = 'done', done_at = now()
		WHERE id = (SELECT min(id) FROM tasks WHERE status = 'pushed' AND town_code IS NOT NULL)
		RETURNING town_code, id, pushed_at`).Scan(&town, &id, &pushed); err != nil {
		t.Fatal(err)
	}
	written := time.Now()
	m := supervision.MonthOf(pushed)
	q := supervision.StatsQuery{Period: supervision.Period{From: m, To: m}, Level: supervision.StatsCity, TownCode: town, Now: time.Now()}
	var want int64
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM tasks WHERE town_code = $1 AND status = 'done'
		AND pushed_at >= $2 AND pushed_at < $3`, town, m.Date().Add(-8*time.Hour), m.Add(1).Date().Add(-8*time.Hour)).Scan(&want); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		rep, err := db.AreaStats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Items) == 1 && rep.Items[0].Tasks.Closed == want && rep.AsOf != nil && rep.AsOf.After(written) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %d of %s closed: the rollups still say %d closed in %s (want %d), as of %v",
				id, town, rep.Items[0].Tasks.Closed, m, want, rep.AsOf)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
