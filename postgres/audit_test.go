package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// appendAudit appends e and returns its id, failing the test on an error.
func appendAudit(t *testing.T, db *postgres.DB, e audit.Entry) int64 {
	t.Helper()
	id, err := db.AppendAudit(context.Background(), e)
	if err != nil {
		t.Fatalf("AppendAudit(%+v): %v", e, err)
	}
	return id
}

// auditLog reads the whole log newest first.
func auditLog(t *testing.T, db *postgres.DB) []audit.Entry {
	t.Helper()
	es, more, err := db.AuditLog(context.Background(), audit.Filter{Limit: audit.MaxLimit})
	if err != nil || more {
		t.Fatalf("AuditLog = %d entries, more %v, %v", len(es), more, err)
	}
	return es
}

func TestAuditAppendAndReadBack(t *testing.T) {
	db := pgtest.New(t)
	at := time.Date(2026, 11, 27, 9, 30, 15, 123456000, time.FixedZone("CST", 8*3600))
	request := audit.Entry{
		At: at, TokenID: 7, Role: "grid_manager", TownCode: "441900003", Department: "amr_food",
		Action: audit.Unmask, Method: "GET", Route: "/v1/entities/{uscc}", Object: "uscc=91441900MA4W1234X5",
		Status: 200, Remote: "10.1.2.3, 203.0.113.9", RequestID: "4f2a9c0d1e3b5a67",
		Detail: map[string]any{"fields": []any{"phone", "id_number"}, "query": map[string]any{"unmask": []any{"true"}}},
	}
	command := audit.Entry{Actor: audit.CLIActor("root"), Action: audit.Write, Route: "import library",
		Detail: map[string]any{"rows": 1200, "outcome": "done"}}
	before := time.Now()
	idRequest := appendAudit(t, db, request)
	idCommand := appendAudit(t, db, command)
	if idCommand <= idRequest {
		t.Errorf("ids %d then %d, want increasing", idRequest, idCommand)
	}

	got := auditLog(t, db)
	if len(got) != 2 {
		t.Fatalf("read %d entries, want 2", len(got))
	}
	if got[0].At.Before(before.Add(-time.Minute)) || got[0].At.After(time.Now().Add(time.Minute)) {
		t.Errorf("an entry without a time got %v, want the database's now (about %v)", got[0].At, before)
	}
	request.ID, command.ID, command.At = idRequest, idCommand, got[0].At
	command.Detail = map[string]any{"rows": float64(1200), "outcome": "done"} // as JSON reads back
	if diff := cmp.Diff([]audit.Entry{command, request}, got); diff != "" {
		t.Errorf("AuditLog, newest first (-want +got):\n%s", diff)
	}
}

// What a hostile request sends is recorded mended, not lost.
func TestAuditRecordsHostileInput(t *testing.T) {
	db := pgtest.New(t)
	e := audit.Entry{Actor: "anonymous", Action: audit.Write, Method: "POST", Route: "/v1/entities/{uscc}",
		Object: "uscc=\xff\xfe'; DROP TABLE audit_log;--\x00", Status: 400,
		Remote:    "10.0.0.1, " + strings.Repeat("203.0.113.9, ", 500),
		RequestID: "r1", Detail: map[string]any{"q\x00": "\x00\xff", "big": strings.Repeat("x", 5000)}}
	appendAudit(t, db, e)
	got := auditLog(t, db)
	if len(got) != 1 {
		t.Fatalf("read %d entries, want 1", len(got))
	}
	want := e.Clean()
	want.ID, want.At = got[0].ID, got[0].At
	if diff := cmp.Diff([]audit.Entry{want}, got); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if got[0].Object != "uscc=\uFFFD'; DROP TABLE audit_log;--\uFFFD" || len(got[0].Remote) != audit.MaxRemote {
		t.Errorf("object %q, remote of %d bytes", got[0].Object, len(got[0].Remote))
	}
}

func TestAuditAppendRejects(t *testing.T) {
	db := pgtest.New(t)
	for _, tc := range []struct {
		name  string
		e     audit.Entry
		field string
	}{
		{"unknown action", audit.Entry{TokenID: 1, Action: "delete"}, "action"},
		{"nobody acted", audit.Entry{Action: audit.Write, Route: "/v1/flags/{id}/review"}, "actor"},
		{"bad status", audit.Entry{TokenID: 1, Action: audit.Write, Status: 42}, "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.AppendAudit(context.Background(), tc.e)
			var de *derrors.Error
			if !errors.As(err, &de) || !errors.Is(err, derrors.Invalid) || de.Field != tc.field {
				t.Errorf("AppendAudit err = %v, want invalid on field %q", err, tc.field)
			}
		})
	}
	if got := auditLog(t, db); len(got) != 0 {
		t.Errorf("stored %d entries after rejections", len(got))
	}
}

func TestAuditLogFilters(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	entries := []audit.Entry{ // ids 1..6
		{At: day.Add(1 * time.Hour), TokenID: 7, Action: audit.Write, Method: "POST", Route: "/v1/tasks/{id}/receive", Object: "id=42", Status: 200},
		{At: day.Add(2 * time.Hour), TokenID: 7, Action: audit.Unmask, Method: "GET", Route: "/v1/entities/{uscc}", Object: "uscc=91441900MA4W1234X5", Status: 200},
		{At: day.Add(3 * time.Hour), TokenID: 8, Action: audit.Write, Method: "POST", Route: "/v1/tasks/{id}/receive", Object: "id=43", Status: 409},
		{At: day.Add(4 * time.Hour), TokenID: 8, Action: audit.Export, Method: "GET", Route: "/v1/entities/export", Status: 200},
		{At: day.Add(5 * time.Hour), Actor: "cli:root", Action: audit.Write, Route: "import library"},
		{At: day.Add(6 * time.Hour), TokenID: 7, Action: audit.Write, Method: "POST", Route: "/v1/flags/{id}/review", Object: "id=42", Status: 200},
	}
	for _, e := range entries {
		appendAudit(t, db, e)
	}
	for _, tc := range []struct {
		name string
		f    audit.Filter
		want []int64
	}{
		{"everything, newest first", audit.Filter{}, []int64{6, 5, 4, 3, 2, 1}},
		{"one token", audit.Filter{TokenID: 7}, []int64{6, 2, 1}},
		{"a token that never acted", audit.Filter{TokenID: 99}, nil},
		{"one action", audit.Filter{Action: audit.Write}, []int64{6, 5, 3, 1}},
		{"one route", audit.Filter{Route: "/v1/tasks/{id}/receive"}, []int64{3, 1}},
		{"a command", audit.Filter{Route: "import library"}, []int64{5}},
		{"one object across routes", audit.Filter{Object: "id=42"}, []int64{6, 1}},
		{"since, inclusive", audit.Filter{Since: day.Add(4 * time.Hour)}, []int64{6, 5, 4}},
		{"until, exclusive", audit.Filter{Until: day.Add(3 * time.Hour)}, []int64{2, 1}},
		{"a window in another zone", audit.Filter{Since: day.Add(10 * time.Hour).In(time.FixedZone("CST", 8*3600)),
			Until: day.Add(12 * time.Hour)}, nil},
		{"a window", audit.Filter{Since: day.Add(2 * time.Hour), Until: day.Add(5 * time.Hour)}, []int64{4, 3, 2}},
		{"below a cursor", audit.Filter{After: 4}, []int64{3, 2, 1}},
		{"all at once", audit.Filter{TokenID: 7, Action: audit.Write, Object: "id=42", Since: day, After: 6}, []int64{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es, more, err := db.AuditLog(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range es {
				got = append(got, e.ID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || more {
				t.Errorf("ids (-want +got):\n%s more = %v", diff, more)
			}
		})
	}
	if _, _, err := db.AuditLog(ctx, audit.Filter{Limit: audit.MaxLimit + 1}); !errors.Is(err, derrors.Invalid) {
		t.Errorf("AuditLog with limit %d: err = %v, want invalid", audit.MaxLimit+1, err)
	}
}

func TestAuditLogPages(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	for i := range 7 {
		action := audit.Write
		if i%2 == 1 {
			action = audit.Read
		}
		appendAudit(t, db, audit.Entry{TokenID: 1, Action: action, Object: fmt.Sprintf("id=%d", i+1)})
	}
	// pages reads every page of f, calling between after each page but the last.
	pages := func(f audit.Filter, between func()) [][]int64 {
		t.Helper()
		var out [][]int64
		for {
			es, more, err := db.AuditLog(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, e := range es {
				ids = append(ids, e.ID)
			}
			out = append(out, ids)
			if !more {
				return out
			}
			f.After = ids[len(ids)-1]
			between()
		}
	}
	for _, tc := range []struct {
		name  string
		f     audit.Filter
		pages [][]int64
	}{
		{"pages of 3", audit.Filter{Limit: 3}, [][]int64{{7, 6, 5}, {4, 3, 2}, {1}}},
		{"pages that end exactly", audit.Filter{Limit: 2, Action: audit.Read}, [][]int64{{6, 4}, {2}}},
		{"one page", audit.Filter{Limit: 4, Action: audit.Write}, [][]int64{{7, 5, 3, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.pages, pages(tc.f, func() {})); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})
	}
	// Entries appended while a reader pages land above its cursor: its
	// pages neither shift nor repeat.
	got := pages(audit.Filter{Limit: 3, TokenID: 1}, func() {
		appendAudit(t, db, audit.Entry{TokenID: 1, Action: audit.Write})
	})
	if diff := cmp.Diff([][]int64{{7, 6, 5}, {4, 3, 2}, {1}}, got); diff != "" {
		t.Errorf("pages while appending (-want +got):\n%s", diff)
	}
}

// The log is append-only in the database: UPDATE, DELETE and TRUNCATE fail
// with the trigger's message, in replica mode too, and the rows stay.
func TestAuditLogIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	for i := range 3 {
		appendAudit(t, db, audit.Entry{TokenID: int64(i + 1), Action: audit.Write, Route: "/v1/flags/{id}/review",
			Object: fmt.Sprintf("id=%d", i), Status: 200})
	}
	before := auditLog(t, db)
	for _, tc := range []struct {
		name, sql, op string
	}{
		{"update one row", `UPDATE audit_log SET token_id = 99 WHERE id = 1`, "UPDATE"},
		{"update every row", `UPDATE audit_log SET detail = '{}'`, "UPDATE"},
		{"delete one row", `DELETE FROM audit_log WHERE id = 2`, "DELETE"},
		{"delete every row", `DELETE FROM audit_log`, "DELETE"},
		{"truncate", `TRUNCATE audit_log`, "TRUNCATE"},
		{"truncate with restart", `TRUNCATE audit_log RESTART IDENTITY CASCADE`, "TRUNCATE"},
		{"update in replica mode", `SET LOCAL session_replication_role = replica; UPDATE audit_log SET actor = 'x'`, "UPDATE"},
		{"delete in replica mode", `SET LOCAL session_replication_role = replica; DELETE FROM audit_log`, "DELETE"},
		{"delete through a CTE", `WITH d AS (DELETE FROM audit_log RETURNING id) SELECT count(*) FROM d`, "DELETE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := db.Pool().Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			// Simple protocol so that two statements can go in one Exec.
			_, err = tx.Conn().PgConn().Exec(ctx, tc.sql).ReadAll()
			var pgErr *pgconn.PgError
			want := "audit_log is append-only: " + tc.op + " is not allowed"
			if !errors.As(err, &pgErr) || pgErr.Message != want || pgErr.Code != "42501" {
				t.Errorf("err = %v, want %q (42501)", err, want)
			}
		})
	}
	if diff := cmp.Diff(before, auditLog(t, db)); diff != "" {
		t.Errorf("the log changed (-before +after):\n%s", diff)
	}
	for _, tc := range []struct{ name, sql string }{
		{"an id chosen by the writer", `INSERT INTO audit_log (id, token_id, action) VALUES (1000, 1, 'write')`},
		{"nobody acted", `INSERT INTO audit_log (action) VALUES ('write')`},
		{"an action of another form", `INSERT INTO audit_log (token_id, action) VALUES (1, 'Write; DROP')`},
		{"detail not an object", `INSERT INTO audit_log (token_id, action, detail) VALUES (1, 'write', '[1]')`},
		{"status out of range", `INSERT INTO audit_log (token_id, action, status) VALUES (1, 'write', 1000)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.Pool().Exec(ctx, tc.sql); err == nil {
				t.Error("insert succeeded, want a refusal")
			}
		})
	}
}

// Pruning is the owner's deliberate act, as the migration documents it; and
// rolling the migration back refuses while the log holds entries.
func TestAuditLogPruningAndRollback(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	old := time.Now().AddDate(-6, 0, 0)
	appendAudit(t, db, audit.Entry{At: old, Actor: "cli:root", Action: audit.Write, Route: "import library"})
	keep := appendAudit(t, db, audit.Entry{TokenID: 1, Action: audit.Write})

	m, err := db.Migrator()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.DownTo(ctx, 12); err == nil || !strings.Contains(err.Error(), "audit_log holds entries") {
		t.Fatalf("rolling back over a log with entries: err = %v, want a refusal", err)
	}
	if got := auditLog(t, db); len(got) != 2 {
		t.Fatalf("after the refused rollback: %d entries, want 2", len(got))
	}

	prune := func(cutoff string) error {
		tx, err := db.Pool().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		_, err = tx.Conn().PgConn().Exec(ctx, `
			ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete;
			DELETE FROM audit_log WHERE at < `+cutoff+`;
			ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete;`).ReadAll()
		if err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
	if err := prune("now() - interval '5 years'"); err != nil {
		t.Fatalf("prune as the owner: %v", err)
	}
	got := auditLog(t, db)
	if len(got) != 1 || got[0].ID != keep {
		t.Fatalf("after pruning: %+v, want entry %d alone", got, keep)
	}
	if _, err := db.Pool().Exec(ctx, `DELETE FROM audit_log`); err == nil {
		t.Fatal("after pruning, the trigger is off: DELETE succeeded")
	}

	if err := prune("'infinity'"); err != nil {
		t.Fatal(err)
	}
	if err := m.DownTo(ctx, 12); err != nil {
		t.Errorf("rolling back an empty log: %v", err)
	}
}
