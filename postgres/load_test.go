package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

func TestLoadDemo(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	cfg := demo.Config{Scale: demo.ScaleDemo, Seed: 3, Until: time.Date(2026, 9, 30, 23, 0, 0, 0, supervision.Beijing)}
	schema := schemaOf(t, db)
	rows := 0
	start := time.Now()
	totals, err := db.LoadDemo(ctx, cfg, func(n int) { rows += n })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d rows in %s", rows, time.Since(start).Round(time.Millisecond))
	if got := schemaOf(t, db); got != schema {
		t.Errorf("the load changed the indexes and constraints: %s, was %s", got, schema)
	}
	if rows != totals.Rows() {
		t.Errorf("progress reported %d rows, totals say %d", rows, totals.Rows())
	}
	var until string
	if err := db.Pool().QueryRow(ctx, `SELECT until::text FROM datasets WHERE name = 'demo'`).Scan(&until); err != nil || until != "2026-09-30" {
		t.Errorf("the dataset records until %q (%v), want 2026-09-30", until, err)
	}

	count := func(table string) int {
		var n int
		if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for table, want := range map[string]int{
		"towns": totals.Towns, "villages": totals.Villages, "grids": totals.Grids, "roads": totals.Roads,
		"doorplates": totals.Doorplates, "places": totals.Places, "buildings": totals.Buildings, "rooms": totals.Rooms,
		"entities": totals.Entities, "demo_entity_truth": totals.Entities, "inspections": totals.Inspections,
		"tasks": totals.Tasks, "task_events": totals.TaskEvents, "leads": totals.Leads, "lead_events": totals.LeadEvents,
		"complaints": totals.Complaints, "violations": totals.Violations, "abnormal_listings": totals.AbnormalListings,
		"cluster_hosts": totals.Hosts, "demo_flag_truth": totals.FlagTruth,
		"departments": len(supervision.DefaultDepartments()), "inspection_items": len(supervision.DefaultItems()),
	} {
		if got := count(table); got != want || got == 0 {
			t.Errorf("%s: %d rows stored, generator reported %d", table, got, want)
		}
	}

	// The hierarchy holds in space too, checked by PostGIS, not by the generator.
	for _, c := range []struct{ name, sql string }{
		{"villages outside their town", `SELECT count(*) FROM villages v JOIN towns t ON t.code = v.town_code
			WHERE NOT ST_CoveredBy(v.geom, ST_Buffer(t.geom, 1e-7))`},
		{"grids outside their village", `SELECT count(*) FROM grids g JOIN villages v ON v.code = g.village_code
			WHERE NOT ST_CoveredBy(g.geom, ST_Buffer(v.geom, 1e-7))`},
		{"doorplates outside their grid", `SELECT count(*) FROM doorplates d JOIN grids g ON g.code = d.grid_code
			WHERE NOT ST_Intersects(d.geom, g.geom)`},
		{"buildings not in their grid", `SELECT count(*) FROM buildings b JOIN grids g ON g.code = b.grid_code
			WHERE NOT ST_Intersects(ST_PointOnSurface(b.geom), g.geom)`},
		{"overlapping villages", `SELECT count(*) FROM villages a JOIN villages b ON a.code < b.code
			AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********')`},
		{"overlapping buildings", `SELECT count(*) FROM buildings a JOIN buildings b ON a.id < b.id
			AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********')`},
	} {
		var n int
		if err := db.Pool().QueryRow(ctx, c.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n != 0 {
			t.Errorf("%s: %d", c.name, n)
		}
	}

	// The supervision history holds together in the database.
	for _, c := range []struct{ name, sql string }{
		{"last_inspected_at is not the last inspection", `SELECT count(*) FROM entities e
			LEFT JOIN (SELECT uscc, max(at) AS at FROM inspections GROUP BY uscc) i USING (uscc)
			WHERE e.last_inspected_at IS DISTINCT FROM i.at`},
		{"entities linked by the loader", `SELECT count(*) FROM entities WHERE linked_at IS NOT NULL OR link_status IS NOT NULL`},
		// GPS noise stays near the building; an entity operating
		// elsewhere is checked in far from it, beyond the off-site
		// threshold.
		{"inspections neither near nor far from their building", `SELECT count(*) FROM inspections i JOIN buildings b ON b.id = i.building_id
			WHERE NOT ST_DWithin(i.location::geography, b.geom::geography, 40) AND ST_DWithin(i.location::geography, b.geom::geography, 390)`},
		{"flag truth about an entity not active", `SELECT count(*) FROM demo_flag_truth t LEFT JOIN entities e USING (uscc)
			WHERE e.status IS DISTINCT FROM 'active'`},
		{"flag truth of an unknown kind", `SELECT count(*) FROM demo_flag_truth WHERE kind NOT IN ('address_unverified',
			'building_unfit', 'cluster_registration', 'restricted_trade', 'linked_parties', 'off_site', 'not_found', 'dormant')`},
		{"hosts that are no address", `SELECT count(*) FROM cluster_hosts h WHERE NOT EXISTS (SELECT 1 FROM rooms r WHERE r.code = h.address_code)
			AND NOT EXISTS (SELECT 1 FROM doorplates d WHERE d.code = h.address_code)`},
		{"entities queued for the flags by the load", `SELECT count(*) FROM flag_queue`},
		{"flag queue triggers left disabled", `SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'flag_queue_%' AND tgenabled <> 'O'`},
		{"check tasks done without their inspection", `SELECT count(*) FROM tasks t LEFT JOIN inspections i ON i.id = t.inspection_id
			WHERE t.kind = 'first_check' AND t.status = 'done' AND (i.id IS NULL OR i.uscc <> t.uscc OR i.at <> t.done_at)`},
		{"tasks whose last event disagrees", `SELECT count(*) FROM tasks t JOIN LATERAL
			(SELECT status FROM task_events e WHERE e.task_id = t.id ORDER BY id DESC LIMIT 1) e ON true WHERE e.status <> t.status`},
		{"leads whose last event disagrees", `SELECT count(*) FROM leads l JOIN LATERAL
			(SELECT status, at FROM lead_events e WHERE e.lead_id = l.id ORDER BY id DESC LIMIT 1) e ON true
			WHERE e.status <> l.status OR e.at <> l.updated_at`},
		{"truth that names no room", `SELECT count(*) FROM demo_entity_truth t WHERE t.true_code <> ''
			AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.code = t.true_code)`},
		{"truth that names no doorplate", `SELECT count(*) FROM demo_entity_truth t WHERE t.true_doorplate <> ''
			AND NOT EXISTS (SELECT 1 FROM doorplates d WHERE d.code = t.true_doorplate)`},
	} {
		var n int
		if err := db.Pool().QueryRow(ctx, c.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n != 0 {
			t.Errorf("%s: %d", c.name, n)
		}
	}
	// The loader writes last_inspected_at itself; the inspections_seen
	// trigger keeps it under COPY too.
	var uscc string
	if err := db.Pool().QueryRow(ctx, `SELECT uscc FROM entities ORDER BY uscc LIMIT 1`).Scan(&uscc); err != nil {
		t.Fatal(err)
	}
	later := time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)
	loc, err := geo.MarshalEWKB(orb.Point{113.75, 23.02})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().CopyFrom(ctx, pgx.Identifier{"inspections"}, []string{"uscc", "inspector", "at", "location", "crs", "items", "outcome"},
		pgx.CopyFromRows([][]any{{uscc, "test", later, loc, "wgs84", []byte(`{"address": "consistent"}`), "operating"}})); err != nil {
		t.Fatal(err)
	}
	var seen time.Time
	if err := db.Pool().QueryRow(ctx, `SELECT last_inspected_at FROM entities WHERE uscc = $1`, uscc).Scan(&seen); err != nil || !seen.Equal(later) {
		t.Errorf("after a COPY of a later inspection: last_inspected_at %s, %v; want %s", seen, err, later)
	}

	// The sequences were moved past the loaded IDs: a new row gets the next one.
	var next, last int64
	if err := db.Pool().QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('inspections', 'id')), (SELECT max(id) FROM inspections)`).Scan(&next, &last); err != nil {
		t.Fatal(err)
	}
	if next != last+1 {
		t.Errorf("the inspections sequence gives %d after a load up to %d", next, last)
	}

	if _, err := db.LoadDemo(ctx, cfg, nil); !errors.Is(err, derrors.Conflict) {
		t.Errorf("second load: err = %v, want a conflict", err)
	}
	if got := count("towns"); got != totals.Towns {
		t.Errorf("after the refused load: %d towns, want %d", got, totals.Towns)
	}
}

// schemaOf describes the indexes and constraints of db, which LoadDemo
// drops and builds again.
func schemaOf(t *testing.T, db *postgres.DB) string {
	t.Helper()
	var s string
	err := db.Pool().QueryRow(context.Background(), `SELECT string_agg(d, '; ' ORDER BY d) FROM (
		SELECT pg_get_indexdef(indexrelid) AS d FROM pg_index WHERE indrelid::regclass::text NOT LIKE 'pg_%'
		UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
		WHERE connamespace = 'public'::regnamespace) x`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLoadDemoInterrupted cancels a load half-way: nothing may be left behind.
func TestLoadDemoInterrupted(t *testing.T) {
	db := pgtest.New(t)
	schema := schemaOf(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	rows := 0
	_, err := db.LoadDemo(ctx, demo.Config{Scale: demo.ScaleDemo, Seed: 1}, func(n int) {
		rows += n
		if rows > 50000 {
			cancel()
		}
	})
	if err == nil {
		t.Fatal("interrupted load succeeded")
	}
	empty, err := db.Empty(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Pool().QueryRow(context.Background(),
		"SELECT (SELECT count(*) FROM towns) + (SELECT count(*) FROM rooms) + (SELECT count(*) FROM datasets)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if !empty || n != 0 {
		t.Errorf("after an interrupted load: empty=%v, %d rows left; want nothing", empty, n)
	}
	if got := schemaOf(t, db); got != schema {
		t.Errorf("an interrupted load changed the indexes and constraints: %s, was %s", got, schema)
	}
}
