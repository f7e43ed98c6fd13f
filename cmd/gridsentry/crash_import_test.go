package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// An importCrash is a bulk import to kill mid-way.
type importCrash struct {
	name  string
	soak  bool // only with GRIDSENTRY_SOAK=1
	empty bool // into an empty migrated database rather than the demo city
	// prepare writes the file to import into dir and says how to run the
	// import, where to kill it and how to judge the re-run.
	prepare func(t *testing.T, w *watcher, dir string) importRun
}

type importRun struct {
	args []string // the command, without the database flags
	// block, if not empty, is SQL the test runs in a transaction it keeps
	// open until the killed import's backend is gone: the import waits on
	// its locks mid-way.
	block string
	// midway is an SQL condition on a backend of the import in
	// pg_stat_activity, true once the import is demonstrably mid-way.
	midway string
	what   string   // what midway says, for messages
	digest []string // the tables the import writes, compared row by row
	// check judges the database after the re-run, and the re-run's standard
	// output, by what a clean run gives.
	check func(t *testing.T, w *watcher, stdout string)
}

// TestKillImport kills gridsentry import (and demo, the bulk load of the
// demo city) in the middle of each kind of bulk import and runs the same
// command again. Every import writes in one transaction: the kill leaves the
// database as it was, with no lock, staging table or backend behind, and the
// re-run does the whole import.
func TestKillImport(t *testing.T) {
	for _, tc := range []importCrash{
		{name: "library blocked with its roads written", prepare: libraryImport("441900003",
			"LOCK TABLE buildings IN SHARE MODE", "the roads written and the building update waiting on a lock",
			`wait_event_type = 'Lock' AND query LIKE 'UPDATE buildings%'`)},
		{name: "entities blocked in the second chunk", prepare: entityImport(entityChunk+500, 500, true)},
		{name: "violations blocked half way", prepare: violationImport(2000, true)},

		{name: "library while staging rows", soak: true, prepare: libraryImport("", "",
			"the file's rows being copied into the staging table", `state = 'active' AND query ILIKE 'copy "import_rows"%'`)},
		{name: "library with roads written and buildings under way", soak: true, prepare: libraryImport("", "",
			"the roads written and the buildings under way", `backend_xid IS NOT NULL AND query LIKE '%''building''%'`)},
		{name: "entities while writing", soak: true, prepare: entityImport(40000, 20000, false)},
		{name: "demo city while copying rooms", soak: true, empty: true, prepare: demoLoad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.soak && !longRun() {
				t.Skip("a long run: set GRIDSENTRY_SOAK=1 (make soak)")
			}
			var url string
			if tc.empty {
				// Migrated and seeded, as gridsentry demo leaves a database
				// before its load begins.
				url = pgtest.NewURL(t)
				if err := run(context.Background(), []string{"migrate", "up", "-database-url", url}, io.Discard, io.Discard); err != nil {
					t.Fatalf("migrate: %v", err)
				}
				db, err := postgres.Open(context.Background(), url, postgres.Options{})
				if err != nil {
					t.Fatal(err)
				}
				err = db.SeedDefaults(context.Background())
				db.Close()
				if err != nil {
					t.Fatal(err)
				}
			} else {
				url = pgtest.DemoURL(t)
			}
			w := newWatcher(t, url)
			r := tc.prepare(t, w, t.TempDir())
			args := append(r.args, "-database-url", url, "-log-format", "text")
			before := w.snapshot(r.digest...)

			release := func() {}
			if r.block != "" {
				release = w.block(r.block)
			}
			c := startChild(t, args...)
			w.waitFor(c, r.what, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
				WHERE datname = current_database() AND application_name <> '`+watcherName+`' AND `+r.midway+`)`, 3*time.Minute)
			c.kill(t)
			gone := w.waitOrphansGone()
			release()
			t.Logf("killed with %s; its backends were gone %v later", r.what, gone.Round(time.Millisecond))
			w.assertNoLeftovers()
			if d := before.diff(w.snapshot(r.digest...)); d != "" {
				t.Errorf("the killed import left changes:\n%s", d)
			}

			start := time.Now()
			again := startChild(t, args...)
			if err := again.wait(t, 10*time.Minute); err != nil {
				t.Fatalf("the re-run failed: %v\n%s", err, again.output())
			}
			t.Logf("the re-run took %v", time.Since(start).Round(time.Millisecond))
			r.check(t, w, again.stdout.String())
		})
	}
}

// libraryImport changes every road (its name) and every building (its
// floors) of a town, or of the whole demo city if town is empty, in one
// file, and kills the import where midway says.
func libraryImport(town, block, what, midway string) func(t *testing.T, w *watcher, dir string) importRun {
	return func(t *testing.T, w *watcher, dir string) importRun {
		export := func(path string) {
			t.Helper()
			args := []string{"export", "all", "-o", path, "-database-url", w.url}
			if town != "" {
				args = append(args, "-town", town)
			}
			if err := run(context.Background(), args, io.Discard, io.Discard); err != nil {
				t.Fatalf("export: %v", err)
			}
		}
		exported := filepath.Join(dir, "library.csv")
		export(exported)
		f, err := os.Open(exported)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		records, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, h := range records[0] {
			col[h] = i
		}
		// want is the export after a clean import of in.
		var want, in bytes.Buffer
		wantCSV, inCSV := csv.NewWriter(&want), csv.NewWriter(&in)
		_ = wantCSV.Write(records[0])
		_ = inCSV.Write(records[0])
		changed := 0
		for _, rec := range records[1:] {
			switch rec[col["type"]] {
			case "road":
				rec[col["name"]] += "新"
			case "building":
				floors, err := strconv.Atoi(rec[col["floors"]])
				if err != nil {
					t.Fatalf("building %s: floors %q", rec[col["id"]], rec[col["floors"]])
				}
				rec[col["floors"]] = strconv.Itoa(floors + 1)
			default:
				_ = wantCSV.Write(rec)
				continue
			}
			changed++
			_ = wantCSV.Write(rec)
			_ = inCSV.Write(rec)
		}
		wantCSV.Flush()
		inCSV.Flush()
		file := filepath.Join(dir, "changes.csv")
		if err := os.WriteFile(file, in.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		history := w.int(`SELECT count(*) FROM address_history`)
		imports := w.int(`SELECT count(*) FROM imports WHERE finished_at IS NOT NULL`)
		return importRun{
			args:   []string{"import", "all", file},
			block:  block,
			midway: midway,
			what:   what,
			digest: []string{"roads", "doorplates", "places", "buildings", "address_history", "imports"},
			check: func(t *testing.T, w *watcher, stdout string) {
				if s := fmt.Sprintf("0 inserted, %d updated, 0 unchanged, 0 retired, 0 rejected", changed); !strings.Contains(stdout, s) {
					t.Errorf("re-run printed %q, want %q", stdout, s)
				}
				after := filepath.Join(dir, "after.csv")
				export(after)
				got, err := os.ReadFile(after)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want.Bytes()) {
					t.Errorf("the library after the re-run is not the library with the file applied (the export differs)")
				}
				if n := w.int(`SELECT count(*) FROM address_history`) - history; n != changed {
					t.Errorf("%d rows of history written, want one per changed row, %d", n, changed)
				}
				if n := w.int(`SELECT count(*) FROM imports WHERE finished_at IS NOT NULL`) - imports; n != 1 {
					t.Errorf("%d finished imports recorded, want 1", n)
				}
			},
		}
	}
}

// newEntityLinesJSON returns NDJSON lines of n new entities, registered at
// addresses of the library, with the USCCs of testUSCC from first on (the
// demo city leaves 92441900MA1... to 92441900MA3... free: it uses MA4 and
// MA5) and the change kind given (empty for an import).
func newEntityLinesJSON(t *testing.T, w *watcher, first, n int, change string, changedAt time.Time) []string {
	t.Helper()
	rows, _ := w.conn.Query(context.Background(), `
		SELECT t.name || r.name || d.number || '号' || b.label || m.label
		FROM rooms m JOIN buildings b ON b.id = m.building_id JOIN doorplates d ON d.code = b.doorplate_code
		JOIN roads r ON r.code = d.road_code JOIN towns t ON t.code = b.town_code
		WHERE m.retired_at IS NULL ORDER BY m.code LIMIT $1`, n)
	addresses, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(addresses) < n {
		t.Fatalf("%d addresses for %d entities: %v", len(addresses), n, err)
	}
	scopes := []string{"小吃服务", "五金产品零售（不含危险化学品）", "日用百货销售", "预包装食品销售"}
	lines := make([]string, n)
	for i := range lines {
		b, err := json.Marshal(supervision.EntityInput{
			USCC: testUSCC(t, first+i), Name: fmt.Sprintf("东莞崩溃测试商行%d号", i), Kind: "individual",
			RegisteredAt: changedAt.In(supervision.Beijing).Format(time.DateOnly), AddressText: addresses[i],
			Scope: scopes[i%len(scopes)], Phone: fmt.Sprintf("139%08d", i), ChangedAt: changedAt.Format(time.RFC3339), Change: change,
		})
		if err != nil {
			t.Fatal(err)
		}
		lines[i] = string(b)
	}
	return lines
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// entityImport imports news new entities, then a change of changes existing
// ones (a new name, every other field as stored), pushing tasks. With
// blocked, the test holds a row lock on the first changed entity, past the
// first chunk: the import waits on it with its first chunk written.
func entityImport(news, changes int, blocked bool) func(t *testing.T, w *watcher, dir string) importRun {
	return func(t *testing.T, w *watcher, dir string) importRun {
		changedAt := time.Now().Add(-time.Hour).Truncate(time.Second)
		lines := newEntityLinesJSON(t, w, 1_000_000, news, "", changedAt)
		rows, _ := w.conn.Query(context.Background(), `
			SELECT json_build_object('uscc', uscc, 'name', name || '（更名）', 'kind', kind, 'status', status,
				'registered_at', registered_at, 'address_text', address_text, 'scope', scope, 'industry', industry,
				'legal_rep', legal_rep, 'phone', phone, 'id_number', id_number, 'report_year', coalesce(report_year, 0),
				'changed_at', $2::timestamptz)::text
			FROM entities WHERE changed_at < $2 ORDER BY uscc LIMIT $1`, changes, changedAt)
		changed, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(changed) < changes {
			t.Fatalf("%d entities to change: %v", len(changed), err)
		}
		file := filepath.Join(dir, "entities.ndjson")
		writeLines(t, file, append(lines, changed...))
		versions := w.int(`SELECT count(*) FROM entity_versions`)
		tasks := w.int(`SELECT count(*) FROM tasks`)
		oldVersions := w.int(`SELECT sum(version) FROM (SELECT version FROM entities WHERE changed_at < $2 ORDER BY uscc LIMIT $1) x`,
			changes, changedAt)
		r := importRun{
			args:   []string{"import", "entities", file},
			midway: `backend_xid IS NOT NULL AND (query LIKE '%entity_stage%' OR query LIKE '%entity_versions%')`,
			what:   "the entities of the first chunk being written",
			digest: []string{"entities", "entity_versions", "tasks"},
			check: func(t *testing.T, w *watcher, stdout string) {
				want := fmt.Sprintf("%d created, %d updated, 0 unchanged, 0 stale, 0 rejected", news, changes)
				if !strings.Contains(stdout, want) {
					t.Fatalf("re-run printed %q, want %q", stdout, want)
				}
				var pushed int
				if _, err := fmt.Sscanf(stdout[strings.Index(stdout, "0 rejected; ")+len("0 rejected; "):], "%d tasks pushed", &pushed); err != nil {
					t.Fatalf("re-run printed %q: %v", stdout, err)
				}
				if pushed < news {
					t.Errorf("%d tasks pushed, want at least a first check for each of the %d new entities", pushed, news)
				}
				if n := w.int(`SELECT count(*) FROM tasks`) - tasks; n != pushed {
					t.Errorf("%d tasks stored, the re-run pushed %d", n, pushed)
				}
				if n := w.int(`SELECT count(*) FROM entity_versions`) - versions; n != news+changes {
					t.Errorf("%d versions recorded, want one per line, %d", n, news+changes)
				}
				if n := w.int(`SELECT count(*) FROM entities WHERE name LIKE '东莞崩溃测试商行%' AND version = 1 AND linked_at IS NOT NULL`); n != news {
					t.Errorf("%d new entities at version 1, linked, want %d", n, news)
				}
				if n := w.int(`SELECT count(*) FROM entities WHERE name LIKE '%（更名）' AND changed_at = $1`, changedAt); n != changes {
					t.Errorf("%d entities renamed, want %d", n, changes)
				}
				// Each changed entity went up one version: no change applied twice.
				if n := w.int(`SELECT sum(version) FROM entities WHERE name LIKE '%（更名）'`) - oldVersions; n != changes {
					t.Errorf("the changed entities went up %d versions in all, want %d", n, changes)
				}
			},
		}
		if blocked {
			if news < entityChunk {
				t.Fatalf("%d new entities fill no chunk of %d", news, entityChunk)
			}
			var in supervision.EntityInput
			if err := json.Unmarshal([]byte(changed[0]), &in); err != nil {
				t.Fatal(err)
			}
			r.block = fmt.Sprintf(`SELECT 1 FROM entities WHERE uscc = '%s' FOR UPDATE`, in.USCC)
			r.midway = `wait_event_type = 'Lock' AND backend_xid IS NOT NULL AND query LIKE 'SELECT %FOR UPDATE'`
			r.what = "the first chunk written and the second waiting on a lock"
		}
		return r
	}
}

// violationImport imports n violation records of existing entities, one
// statement each, in one transaction. With blocked, the test inserts the
// record of the middle line first and keeps its transaction open: the
// import waits on it with half its records written.
func violationImport(n int, blocked bool) func(t *testing.T, w *watcher, dir string) importRun {
	return func(t *testing.T, w *watcher, dir string) importRun {
		rows, _ := w.conn.Query(context.Background(), `SELECT uscc FROM entities ORDER BY uscc LIMIT $1`, n)
		usccs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(usccs) < n {
			t.Fatalf("%d entities for %d violations: %v", len(usccs), n, err)
		}
		id := func(i int) string { return fmt.Sprintf("东市监罚〔2026〕崩%d号", i) }
		lines := make([]string, n)
		for i, u := range usccs {
			b, err := json.Marshal(supervision.ViolationInput{USCC: u, ExternalID: id(i),
				At: "2026-10-01T00:00:00+08:00", Kind: string(supervision.ViolationPenalty), Authority: "东莞市市场监督管理局", Amount: 2000})
			if err != nil {
				t.Fatal(err)
			}
			lines[i] = string(b)
		}
		file := filepath.Join(dir, "violations.ndjson")
		writeLines(t, file, lines)
		before := w.int(`SELECT count(*) FROM violations`)
		r := importRun{
			args:   []string{"import", "violations", file},
			midway: `backend_xid IS NOT NULL AND query LIKE 'INSERT INTO violations%'`,
			what:   "the violations being inserted",
			digest: []string{"violations"},
			check: func(t *testing.T, w *watcher, stdout string) {
				if want := fmt.Sprintf("%d inserted, 0 unchanged, 0 rejected", n); !strings.Contains(stdout, want) {
					t.Errorf("re-run printed %q, want %q", stdout, want)
				}
				if got := w.int(`SELECT count(*) FROM violations`) - before; got != n {
					t.Errorf("%d violations stored, want %d", got, n)
				}
				if got := w.int(`SELECT count(DISTINCT external_id) FROM violations WHERE external_id LIKE '东市监罚〔2026〕崩%'`); got != n {
					t.Errorf("%d distinct violations of the file stored, want %d", got, n)
				}
			},
		}
		if blocked {
			r.block = fmt.Sprintf(`INSERT INTO violations (uscc, external_id, at, kind, authority, description, amount)
				VALUES ('%s', '%s', '2026-10-01T00:00:00+08:00', 'penalty', '', '', 0)`, usccs[n/2], id(n/2))
			r.midway = `wait_event_type = 'Lock' AND query LIKE 'INSERT INTO violations%'`
			r.what = "half the violations written and the next waiting on a lock"
		}
		return r
	}
}

// demoLoad loads the demo city into an empty database, killed while it
// copies rooms: by then it has dropped indexes and foreign keys and turned
// triggers off, in its transaction.
func demoLoad(t *testing.T, w *watcher, dir string) importRun {
	until := time.Now().In(supervision.Beijing).Format(time.DateOnly)
	return importRun{
		args:   []string{"demo", "-scale", "demo", "-seed", "1", "-until", until},
		midway: `backend_xid IS NOT NULL AND query ILIKE 'copy "rooms"%'`,
		what:   "rooms being copied",
		check: func(t *testing.T, w *watcher, stdout string) {
			var b []byte
			if err := w.conn.QueryRow(context.Background(), `SELECT counts FROM datasets`).Scan(&b); err != nil {
				t.Fatalf("the dataset of the re-run: %v", err)
			}
			var tot demo.Totals
			if err := json.Unmarshal(b, &tot); err != nil {
				t.Fatal(err)
			}
			for tb, want := range map[string]int{"towns": tot.Towns, "villages": tot.Villages, "grids": tot.Grids,
				"roads": tot.Roads, "doorplates": tot.Doorplates, "places": tot.Places, "buildings": tot.Buildings,
				"rooms": tot.Rooms, "entities": tot.Entities, "demo_entity_truth": tot.Entities, "inspections": tot.Inspections,
				"tasks": tot.Tasks, "task_events": tot.TaskEvents, "leads": tot.Leads, "lead_events": tot.LeadEvents,
				"complaints": tot.Complaints, "violations": tot.Violations, "abnormal_listings": tot.AbnormalListings,
				"cluster_hosts": tot.Hosts, "demo_flag_truth": tot.FlagTruth} {
				if want == 0 {
					t.Errorf("the load counts no %s: %s", tb, b)
				}
				if got := w.int("SELECT count(*) FROM " + pgx.Identifier{tb}.Sanitize()); got != want {
					t.Errorf("%s: %d rows, the load says %d", tb, got, want)
				}
			}
			if n := w.int(`SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'`); n != 0 {
				t.Errorf("%d triggers left disabled", n)
			}
		},
	}
}
