package postgres_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

var quiet = slog.New(slog.DiscardHandler)

func tables(t *testing.T, db *postgres.DB) []string {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(),
		`SELECT table_name FROM information_schema.tables
		 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
		   AND table_name NOT IN ('spatial_ref_sys', 'goose_db_version')
		 ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestMigrationsUpDownUp(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.NewURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.Migrator()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	if err := db.Ready(ctx); err == nil {
		t.Error("Ready on an unmigrated database = nil, want an error")
	}
	if err := m.Up(ctx, quiet); err != nil {
		t.Fatalf("up: %v", err)
	}
	want := "abnormal_listings address_history api_tokens audit_log buildings campaign_entities campaigns cluster_hosts complaints datasets " +
		"demo_entity_truth demo_flag_truth departments doorplates entities entity_open_flags entity_versions entity_visits feeds flag_events " +
		"flag_queue flag_runs flags grids imports inspection_items inspections lead_events leads library_changes places " +
		"registration_changes restricted_trades roads rooms scope_rules stats_activity stats_complaints stats_coverage stats_dirty " +
		"stats_entities stats_flags stats_leads stats_refreshed stats_registrations stats_task_answers stats_tasks stats_town_activity " +
		"stats_town_complaints stats_town_coverage stats_town_entities stats_town_flags stats_town_registrations " +
		"stats_town_task_answers stats_town_tasks task_events tasks tile_changes towns villages violations"
	if got := strings.Join(tables(t, db), " "); got != want {
		t.Errorf("tables after up = %q, want %q", got, want)
	}
	if err := db.Ready(ctx); err != nil {
		t.Errorf("Ready after up: %v", err)
	}
	if err := m.DownTo(ctx, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	if got := tables(t, db); len(got) != 0 {
		t.Errorf("tables after down = %q, want none", got)
	}
	if err := db.Ready(ctx); err == nil {
		t.Error("Ready after down = nil, want an error naming the schema version")
	}
	if err := m.Up(ctx, quiet); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if got := strings.Join(tables(t, db), " "); got != want {
		t.Errorf("tables after up again = %q, want %q", got, want)
	}
	current, err := m.Current(ctx)
	if err != nil || !current {
		t.Errorf("Current = %v, %v; want true", current, err)
	}
}

func TestSchemaKeepsHierarchyWhole(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	exec := func(sql string, args ...any) error {
		_, err := db.Pool().Exec(ctx, sql, args...)
		return err
	}
	square := "SRID=4326;MULTIPOLYGON(((113.7 23.0,113.8 23.0,113.8 23.1,113.7 23.1,113.7 23.0)))"
	if err := exec(`INSERT INTO towns VALUES ('441900003', '东城街道', '街道', $1)`, square); err != nil {
		t.Fatal(err)
	}
	if err := exec(`INSERT INTO towns VALUES ('441900004', '南城街道', '街道', $1)`, square); err != nil {
		t.Fatal(err)
	}
	if err := exec(`INSERT INTO villages VALUES ('441900003001', '441900003', '主山社区', '社区', $1)`, square); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, sql string
	}{
		{"village code not under its town", `INSERT INTO villages VALUES ('441900004002', '441900003', '某村', '村', $1)`},
		{"village of an unknown town", `INSERT INTO villages VALUES ('441900999001', '441900999', '某村', '村', $1)`},
		{"grid whose town is not its village's", `INSERT INTO grids VALUES ('441900003001001', '441900003001', '441900004', '网格', $1)`},
		{"grid code not under its village", `INSERT INTO grids VALUES ('441900003002001', '441900003001', '441900003', '网格', $1)`},
		{"town with a self-intersecting polygon", `INSERT INTO towns VALUES ('441900005', '万江街道', '街道', 'SRID=4326;MULTIPOLYGON(((0 0,1 1,1 0,0 1,0 0)))')`},
		{"town with a bad kind", `INSERT INTO towns VALUES ('441900006', '莞城街道', '区', $1)`},
		{"geometry in another SRID", `INSERT INTO towns VALUES ('441900006', '莞城街道', '街道', ST_SetSRID($1::geometry, 3857))`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args []any
			if strings.Contains(tc.sql, "$1") {
				args = append(args, square)
			}
			if err := exec(tc.sql, args...); err == nil {
				t.Errorf("insert succeeded, want a constraint violation")
			}
		})
	}
}
