package postgres

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/supervision"
)

// BenchmarkScreens times the screens the console runs (高级筛选): for each
// filter its count, its first page of 100 and its map layer of 5,000
// points, against the city at GRIDSENTRY_BENCH_DATABASE_URL. It reports
// count-ms, page-ms, map-ms and total-ms per screen; with
// GRIDSENTRY_EXPLAIN=FILE it writes the SQL and plan of each query
// (EXPLAIN ANALYZE, run before the timed runs) to FILE.
//
//	GRIDSENTRY_BENCH_DATABASE_URL=postgres://.../gridsentry_bench_city \
//	  go test ./postgres -run '^$' -bench Screens -benchtime 1x
//
// A database migrated before 00015 (the shared city of issue 9 was) lacks
// the group counts: the benchmark then counts them into temporary tables
// of its one connection, which takes a few minutes. It needs the indexes
// and statistics of 00015 on entities and entity_visits all the same.
func BenchmarkScreens(b *testing.B) {
	url := os.Getenv("GRIDSENTRY_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("set GRIDSENTRY_BENCH_DATABASE_URL to a loaded, linked and flagged city")
	}
	ctx := context.Background()
	// One connection, so that temporary tables are seen by every query.
	db, err := Open(ctx, url, Options{MaxConns: 1, StatementTimeout: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	groupsInTemporaryTables(b, db)

	q := func(sql string, dest ...any) {
		b.Helper()
		if err := db.pool.QueryRow(ctx, sql).Scan(dest...); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	var town, inTown, phoneMate, idMate, bigBuilding string
	var lon, lat float64
	q(`SELECT town_code FROM entities WHERE town_code IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`, &town)
	q(`SELECT uscc, ST_X(location), ST_Y(location) FROM entities WHERE town_code = '`+town+`' AND location IS NOT NULL
		ORDER BY uscc OFFSET 1000 LIMIT 1`, &inTown, &lon, &lat)
	q(`SELECT e.uscc FROM entities e WHERE e.phone <> '' AND phone_key(e.phone) =
		(SELECT key FROM phone_groups WHERE n >= 2 ORDER BY key LIMIT 1) ORDER BY uscc LIMIT 1`, &phoneMate)
	q(`SELECT e.uscc FROM entities e WHERE e.id_number <> '' AND upper(e.id_number) =
		(SELECT key FROM legal_rep_groups WHERE n >= 3 ORDER BY key LIMIT 1) ORDER BY uscc LIMIT 1`, &idMate)
	q(`SELECT e.uscc FROM entities e WHERE e.building_id =
		(SELECT building_id FROM building_groups WHERE n >= 100 ORDER BY building_id LIMIT 1) ORDER BY uscc LIMIT 1`, &bigBuilding)
	d := 0.0075 // about 1.5 km across
	square := orb.Polygon{{{lon - d, lat - d}, {lon + d, lat - d}, {lon + d, lat + d}, {lon - d, lat + d}, {lon - d, lat - d}}}
	near := &supervision.Circle{Center: orb.Point{lon, lat}, RadiusM: 1000}
	yes, no := true, false
	var plans *os.File
	if path := os.Getenv("GRIDSENTRY_EXPLAIN"); path != "" {
		if plans, err = os.Create(path); err != nil {
			b.Fatal(err)
		}
		defer plans.Close()
	}

	for _, s := range []struct {
		name string
		f    supervision.EntityFilter
	}{
		{"everything", supervision.EntityFilter{}},
		{"town", supervision.EntityFilter{TownCode: town}},
		{"polygon 1.5 km", supervision.EntityFilter{Within: square}},
		{"near 1 km", supervision.EntityFilter{Near: near}},
		{"near 1 km with open flags", supervision.EntityFilter{Near: near, HasOpenFlag: &yes}},
		{"same building", supervision.EntityFilter{SameBuildingAs: supervision.USCC(bigBuilding)}},
		{"same phone", supervision.EntityFilter{SamePhoneAs: supervision.USCC(phoneMate)}},
		{"same legal rep", supervision.EntityFilter{SameLegalRepAs: supervision.USCC(idMate)}},
		{"shared phone 2", supervision.EntityFilter{SharedPhoneMin: 2}},
		{"shared legal rep 2", supervision.EntityFilter{SharedLegalRepMin: 2}},
		{"building entities 20", supervision.EntityFilter{BuildingEntitiesMin: 20}},
		{"building entities 5", supervision.EntityFilter{BuildingEntitiesMin: 5}},
		{"building entities 20 in town", supervision.EntityFilter{TownCode: town, BuildingEntitiesMin: 20}},
		{"flag not_found", supervision.EntityFilter{FlagKind: supervision.FlagNotFound}},
		{"flag cluster in town", supervision.EntityFilter{TownCode: town, FlagKind: supervision.FlagCluster}},
		{"has open flag", supervision.EntityFilter{HasOpenFlag: &yes}},
		{"active without open flag in town", supervision.EntityFilter{TownCode: town, Status: supervision.Active, HasOpenFlag: &no}},
		{"last inspection not_found", supervision.EntityFilter{InspectionOutcome: supervision.OutcomeNotFound}},
		{"last inspection moved in town", supervision.EntityFilter{TownCode: town, InspectionOutcome: supervision.OutcomeMoved}},
	} {
		b.Run(strings.ReplaceAll(s.name, " ", "_"), func(b *testing.B) {
			if plans != nil {
				fmt.Fprintf(plans, "\n===== %s\n", s.name)
				explainScreen(b, db, s.f, plans)
			}
			var count, page, points time.Duration
			n := 0
			for b.Loop() {
				start := time.Now()
				total, err := db.EntityCount(ctx, s.f)
				if err != nil {
					b.Fatal(err)
				}
				count += time.Since(start)
				start = time.Now()
				f := s.f
				f.Limit = 100
				if _, err := db.Entities(ctx, f); err != nil {
					b.Fatal(err)
				}
				page += time.Since(start)
				start = time.Now()
				m, err := db.EntityPoints(ctx, s.f, supervision.DefaultMapLimit)
				if err != nil {
					b.Fatal(err)
				}
				points += time.Since(start)
				if n == 0 {
					b.Logf("%s: %d entities, %d points", s.name, total, len(m.Points))
				}
				n++
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
			b.ReportMetric(ms(count), "count-ms")
			b.ReportMetric(ms(page), "page-ms")
			b.ReportMetric(ms(points), "map-ms")
			b.ReportMetric(ms(count+page+points), "total-ms")
		})
	}
}

// groupsInTemporaryTables counts the groups of migration 00015 into
// temporary tables when the database has none of its own: only the groups
// of two or more, which is all the screens read.
func groupsInTemporaryTables(b *testing.B, db *DB) {
	ctx := context.Background()
	var have bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('building_groups') IS NOT NULL`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have {
		return
	}
	start := time.Now()
	for _, stmt := range []string{
		`SET temp_buffers = '512MB'`,
		`CREATE TEMP TABLE phone_groups (key text PRIMARY KEY, n integer NOT NULL)`,
		`CREATE TEMP TABLE legal_rep_groups (key text PRIMARY KEY, n integer NOT NULL)`,
		`CREATE TEMP TABLE building_groups (building_id bigint PRIMARY KEY, n integer NOT NULL)`,
		`CREATE TEMP TABLE group_members AS SELECT phone_key(phone) AS phone, upper(nullif(id_number, '')) AS id, building_id
			FROM entities WHERE status = 'active'`,
		`INSERT INTO phone_groups SELECT phone, count(*) FROM group_members WHERE phone IS NOT NULL GROUP BY 1 HAVING count(*) >= 2`,
		`INSERT INTO legal_rep_groups SELECT id, count(*) FROM group_members WHERE id IS NOT NULL GROUP BY 1 HAVING count(*) >= 2`,
		`INSERT INTO building_groups SELECT building_id, count(*) FROM group_members WHERE building_id IS NOT NULL GROUP BY 1 HAVING count(*) >= 2`,
		`CREATE INDEX ON phone_groups (n, key) WHERE n >= 2`,
		`CREATE INDEX ON legal_rep_groups (n, key) WHERE n >= 2`,
		`CREATE INDEX ON building_groups (n, building_id) WHERE n >= 2`,
		`VACUUM ANALYZE phone_groups`, `VACUUM ANALYZE legal_rep_groups`, `VACUUM ANALYZE building_groups`,
	} {
		if _, err := db.pool.Exec(ctx, stmt); err != nil {
			b.Fatalf("%s: %v", stmt, err)
		}
	}
	b.Logf("no group counts in the database: counted into temporary tables in %v", time.Since(start).Round(time.Second))
}

// explainScreen writes the plans of a screen's three queries to out.
func explainScreen(b *testing.B, db *DB, f supervision.EntityFilter, out io.Writer) {
	ctx := context.Background()
	explain := func(what string, ordered bool, query func(*sqlConds) string) {
		plan, err := db.screenPlanOf(ctx, f, ordered)
		if err != nil {
			b.Fatal(err)
		}
		w, err := entityConds(f, plan)
		if err != nil {
			b.Fatal(err)
		}
		sql := query(w)
		rows, err := db.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, w.args...)
		if err != nil {
			b.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(out, "--- %s\n%s\n%s\n", what, sql, strings.Join(lines, "\n"))
	}
	explain("count", false, countQuery)
	explain("page", true, func(w *sqlConds) string { return pageQuery(w, 101) })
	explain(fmt.Sprintf("map of %d", supervision.DefaultMapLimit), true, func(w *sqlConds) string {
		return pointsQuery(w, supervision.DefaultMapLimit)
	})
}
