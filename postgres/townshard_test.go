package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
)

// townTables are the tables docs/scaling.md distributes by town_code in
// Citus; the test LIST-partitions them by town_code, one partition a town
// and one for rows without a town, as a stand-in for shards.
var townTables = []string{"entities", "tasks", "inspections", "flags", "leads", "complaints",
	"roads", "doorplates", "places", "buildings"}

// reach says which towns' partitions a query's plan reads.
type reach string

const (
	oneTown  reach = "one town"  // only the town asked for: a single-shard (router) query under Citus
	allTowns reach = "all towns" // every town: a multi-shard query, fine for a scan or an aggregate
)

// TestTownPartitionPruning is the tested part of the Citus plan
// (docs/scaling.md): in a scratch database migrated like production, it
// LIST-partitions the town tables by town_code and, for each hot-path read,
// records the SQL the store really sends and reads its plan (EXPLAIN, with
// the same arguments). A read the plan calls single-town must read only the
// asked town's partitions, the stand-in for Citus routing it to one shard;
// the reads of every town are listed with the rework they need or why
// they may fan out, and the reworks, as SQL, must read one town. When a
// read changes reach, this test fails until docs/scaling.md (and this
// table) says so.
//
// What it does not prove: Citus plans with its own planner (router,
// pushdown, recursive planning), needs the distribution column in the
// joins of co-located tables, refuses NULL in it and any UPDATE of it,
// and runs none of the statement triggers; a partition is not a shard on
// another machine, and nothing here measures speed. See docs/scaling.md,
// "What was tested".
func TestTownPartitionPruning(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	migrated, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrated.Migrator()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	m.Close()
	migrated.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())

	// Which partitions a plan reads is decided from the SQL and the
	// partition bounds, before any row is read: the tables stay empty.
	// Data would change how the planner joins, not which towns it reads.
	const town, village, grid, uscc = "441900003", "441900003001", "441900003001001", "91441900MA4W0000X1"
	towns := []string{"441900003", "441900004", "441900005", "441900006", "441900100", "441900101"}
	lon, lat := 113.7518, 23.0205
	for _, table := range townTables {
		partitionByTown(ctx, t, conn, table, towns)
	}

	rec := &recorder{}
	db, err := postgres.Open(ctx, url, postgres.Options{Tracer: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	tile := maptile.At(orb.Point{lon, lat}, 15)
	tt, err := tiles.NewTile(int(tile.Z), int(tile.X), int(tile.Y))
	if err != nil {
		t.Fatal(err)
	}
	layer := func(name string) []tiles.Layer {
		l, ok := tiles.DefaultCatalogue().Layer(name)
		if !ok {
			t.Fatalf("no layer %s", name)
		}
		return []tiles.Layer{l}
	}
	cases := []struct {
		name string
		run  func() error
		want reach
	}{
		{"entities of a town", func() error {
			_, err := db.Entities(ctx, supervision.EntityFilter{TownCode: town, Limit: 50})
			return err
		}, oneTown},
		{"active retail entities of a town never inspected", func() error {
			_, err := db.Entities(ctx, supervision.EntityFilter{TownCode: town, Industry: "F", Status: supervision.Active, NeverInspected: true, Limit: 50})
			return err
		}, oneTown},
		{"entities of a town with an open task", func() error {
			_, err := db.Entities(ctx, supervision.EntityFilter{TownCode: town, TaskStatus: "open", Limit: 50})
			return err
		}, allTowns},
		{"entities of a village", func() error {
			_, err := db.Entities(ctx, supervision.EntityFilter{VillageCode: village, Limit: 50})
			return err
		}, allTowns},
		{"entities of a grid", func() error {
			_, err := db.Entities(ctx, supervision.EntityFilter{GridCode: grid, Limit: 50})
			return err
		}, allTowns},
		{"one entity", func() error {
			if _, err := db.Entity(ctx, supervision.USCC(uscc)); derrors.Code(err) != "not_found" {
				return err // the tables are empty
			}
			return nil
		}, allTowns},
		{"open tasks of a town", func() error {
			_, _, err := db.Tasks(ctx, supervision.TaskFilter{TownCode: town, Status: "open", Now: now, Limit: 50})
			return err
		}, oneTown},
		{"overdue tasks of a town", func() error {
			_, _, err := db.Tasks(ctx, supervision.TaskFilter{TownCode: town, Status: supervision.TaskOverdue, Now: now, Limit: 50})
			return err
		}, oneTown},
		{"inspections of a town", func() error {
			_, _, err := db.Inspections(ctx, supervision.InspectionFilter{TownCode: town, Limit: 50})
			return err
		}, allTowns},
		{"open flags of a town", func() error {
			_, _, err := db.Flags(ctx, supervision.FlagFilter{TownCode: town, Status: supervision.FlagOpen, Limit: 50})
			return err
		}, oneTown},
		{"leads of a town", func() error {
			_, _, err := db.Leads(ctx, supervision.LeadFilter{TownCode: town, Limit: 50})
			return err
		}, oneTown},
		{"complaints of a town", func() error {
			_, _, err := db.Complaints(ctx, supervision.ComplaintFilter{TownCode: town, Limit: 50})
			return err
		}, oneTown},
		{"a town's entities tile", func() error {
			_, err := db.BuildTile(ctx, tt, layer("entities"), supervision.CoverageFilter{}, tiles.Scope(town))
			return err
		}, oneTown},
		{"a town's flags tile", func() error {
			_, err := db.BuildTile(ctx, tt, layer("flags"), supervision.CoverageFilter{}, tiles.Scope(town))
			return err
		}, oneTown},
		{"the city's entities tile", func() error {
			_, err := db.BuildTile(ctx, tt, layer("entities"), supervision.CoverageFilter{}, tiles.WholeCity)
			return err
		}, allTowns},
		{"the city's buildings tile", func() error {
			_, err := db.BuildTile(ctx, tt, layer("buildings"), supervision.CoverageFilter{}, tiles.WholeCity)
			return err
		}, allTowns},
	}
	// The reworks docs/scaling.md proposes for the cross-town reads above,
	// as SQL: each must read one town.
	reworks := []struct {
		name string
		q    query
	}{
		{"entities of a town with an open task, the task joined by town too", query{`SELECT e.uscc FROM entities e
			WHERE e.town_code = $1 AND EXISTS (SELECT 1 FROM tasks t WHERE t.town_code = e.town_code AND t.uscc = e.uscc
				AND t.status IN ('pushed', 'received', 'feedback')) ORDER BY e.uscc LIMIT 51`, []any{town}}},
		{"entities of a village, its town derived from its code", query{`SELECT e.uscc FROM entities e
			WHERE e.town_code = $1 AND e.village_code = $2 ORDER BY e.uscc LIMIT 51`, []any{village[:9], village}}},
		// Joined by t.town_code = i.town_code alone, a correlated subquery
		// still reads every town's tasks: the town is given to it as well.
		{"inspections of a town, their tasks filtered by the same town", query{`SELECT i.id,
				ARRAY(SELECT t.id FROM tasks t WHERE t.town_code = $1 AND t.uscc = i.uscc AND t.inspection_id = i.id ORDER BY t.id)
			FROM inspections i WHERE i.town_code = $1 ORDER BY i.id LIMIT 51`, []any{town}}},
		{"one entity, its town looked up first", query{`SELECT e.uscc FROM entities e WHERE e.town_code = $1 AND e.uscc = $2`, []any{town, uscc}}},
	}
	for _, rw := range reworks {
		cases = append(cases, struct {
			name string
			run  func() error
			want reach
		}{"rework: " + rw.name, func() error { rec.add(rw.q.sql, rw.q.args); return nil }, oneTown})
	}
	partRE := regexp.MustCompile(`^(` + strings.Join(townTables, "|") + `)_(t[0-9]{9}|none|other)$`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec.reset()
			if err := tc.run(); err != nil {
				t.Fatal(err)
			}
			queries := rec.taken()
			if len(queries) == 0 {
				t.Fatal("no query recorded")
			}
			got := oneTown
			var touched []string
			for _, q := range queries {
				for _, rel := range explainRelations(ctx, t, conn, q) {
					m := partRE.FindStringSubmatch(rel)
					if m == nil {
						continue
					}
					touched = append(touched, rel)
					if m[2] != "t"+town {
						got = allTowns
					}
				}
			}
			sort.Strings(touched)
			touched = slices.Compact(touched)
			t.Logf("%s: %s", got, summarize(touched))
			if len(touched) == 0 {
				t.Fatalf("the plans read no town table: %q", queries)
			}
			if got != tc.want {
				t.Errorf("reads %s, want %s (docs/scaling.md lists each query's reach); partitions read: %s\nSQL: %s",
					got, tc.want, summarize(touched), queries[0].sql)
			}
		})
	}
}

// partitionByTown replaces table by a table of the same columns
// LIST-partitioned by town_code, one partition a town (table_t441900003),
// one for NULL (table_none) and a default one (table_other), with the same
// indexes (unique ones made plain: a partitioned table's unique index must
// hold the partition key, as a Citus one must hold the distribution
// column). The table is left empty.
func partitionByTown(ctx context.Context, t *testing.T, conn *pgx.Conn, table string, towns []string) {
	t.Helper()
	id := func(s string) string { return pgx.Identifier{s}.Sanitize() }
	flat := table + "_flat"
	rows, _ := conn.Query(ctx, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1", table)
	type index struct{ Name, Def string }
	indexes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[index])
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		"ALTER TABLE " + id(table) + " RENAME TO " + id(flat),
		"CREATE TABLE " + id(table) + " (LIKE " + id(flat) + " INCLUDING DEFAULTS) PARTITION BY LIST (town_code)",
		"CREATE TABLE " + id(table+"_none") + " PARTITION OF " + id(table) + " FOR VALUES IN (NULL)",
		"CREATE TABLE " + id(table+"_other") + " PARTITION OF " + id(table) + " DEFAULT",
	}
	for _, code := range towns {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s PARTITION OF %s FOR VALUES IN ('%s')", id(table+"_t"+code), id(table), code))
	}
	for _, ix := range indexes {
		def := strings.Replace(ix.Def, "CREATE UNIQUE INDEX", "CREATE INDEX", 1)
		def = strings.Replace(def, "INDEX "+ix.Name+" ON public."+table+" ", "INDEX "+ix.Name+"_p ON public."+table+" ", 1)
		if !strings.Contains(def, ix.Name+"_p ON public."+table+" ") {
			t.Fatalf("cannot rewrite the index %s of %s: %s", ix.Name, table, ix.Def)
		}
		stmts = append(stmts, def)
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("partition %s: %s: %v", table, s, err)
		}
	}
}

// explainRelations returns the relations the plan of q reads.
func explainRelations(ctx context.Context, t *testing.T, conn *pgx.Conn, q query) []string {
	t.Helper()
	var plan []struct{ Plan planNode }
	var raw []byte
	if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q.sql, q.args...).Scan(&raw); err != nil {
		t.Fatalf("EXPLAIN %s: %v", q.sql, err)
	}
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n planNode)
	walk = func(n planNode) {
		if n.Relation != "" {
			out = append(out, n.Relation)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, p := range plan {
		walk(p.Plan)
	}
	return out
}

type planNode struct {
	Relation string     `json:"Relation Name"`
	Plans    []planNode `json:"Plans"`
}

// summarize shortens a list of partitions to their tables and counts.
func summarize(parts []string) string {
	count := map[string]int{}
	for _, p := range parts {
		count[p[:strings.LastIndex(p, "_")]]++
	}
	var out []string
	for table, n := range count {
		out = append(out, fmt.Sprintf("%s ×%d", table, n))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// query is one statement a store sent, with its arguments.
type query struct {
	sql  string
	args []any
}

// recorder is a pgx tracer that keeps the queries it sees, batched or not.
type recorder struct {
	mu      sync.Mutex
	queries []query
}

func (r *recorder) add(sql string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, query{sql, args})
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = nil
}

func (r *recorder) taken() []query {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.queries)
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	// The pool's own queries (the geometry type at connect) are not the
	// path's.
	if !strings.Contains(d.SQL, "pg_type") {
		r.add(d.SQL, d.Args)
	}
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recorder) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (r *recorder) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	r.add(d.SQL, d.Args)
}

func (r *recorder) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
