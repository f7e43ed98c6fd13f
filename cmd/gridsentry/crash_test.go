package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The crash tests kill gridsentry with SIGKILL in the middle of a bulk
// write (an import, a registration feed being applied by the server) and
// check that nothing half-written is left and that running the same thing
// again completes it. Every import and every feed request writes in one
// transaction, so the promise is all or nothing: after the kill the database
// holds exactly what it held before (the row count of every table, the rows
// of the tables written, the schema), no lock, staging table or backend of
// the killed process is left to block the re-run, and the re-run gives what
// a clean run gives.
//
// Most kills land at a point the test fixes: the test holds a lock that the
// write needs after it has written part of its rows, waits until the write
// blocks on it, and kills the process then. The backend, left waiting on the
// lock, must notice its client is gone and roll back while the test still
// holds the lock (it would otherwise wait for ever, or, at city scale, finish
// a statement of minutes first). The soak (GRIDSENTRY_SOAK=1, make soak) adds
// larger runs killed where the write happens to be when the test sees it
// under way, as a real crash would.
//
// The process killed is this test binary started as gridsentry: it re-enters
// through TestGridsentryProcess, which calls main with the arguments after
// "--", so it runs the same main and run as the built binary without a
// second build of the command.

// soak reports whether the long crash runs are wanted (make soak sets
// GRIDSENTRY_SOAK=1).
func longRun() bool { return os.Getenv("GRIDSENTRY_SOAK") == "1" }

// childEnv marks a test binary started as gridsentry.
const childEnv = "GRIDSENTRY_TEST_AS_COMMAND"

// TestGridsentryProcess is not a test: it is gridsentry itself, for the
// tests that start it as a process of its own and kill it.
func TestGridsentryProcess(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Args = append([]string{"gridsentry"}, args...)
	main()
	os.Exit(0)
}

// A child is gridsentry running as a process of its own.
type child struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's, once done is closed
}

// startChild starts gridsentry with args. The process is killed when the
// test ends, if it still runs.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(exe, append([]string{"-test.run=^TestGridsentryProcess$", "--"}, args...)...)
	c.cmd.Env = append(os.Environ(), childEnv+"=1")
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start gridsentry %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.done
	})
	return c
}

// exited reports whether the process has exited.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// output is what the process printed, for failure messages.
func (c *child) output() string {
	return fmt.Sprintf("stdout:\n%s\nstderr (end):\n%s", c.stdout.String(), tail(c.stderr.String(), 3000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// kill sends SIGKILL and waits for the process to die of it. A process
// that exited by itself first fails the test: the kill did not land in the
// middle of anything.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("kill: %v", err)
	}
	<-c.done
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("gridsentry ended by itself (%v) before it was killed; the kill was to land mid-way\n%s", c.err, c.output())
	}
}

// wait waits for the process to exit by itself, at most d.
func (c *child) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(d):
		t.Fatalf("gridsentry %s still runs after %v\n%s", strings.Join(c.cmd.Args[3:], " "), d, c.output())
		return nil
	}
}

// watcher is the test's own connection to the database under test, named
// so that it is not taken for one of gridsentry's.
type watcher struct {
	t    *testing.T
	url  string
	conn *pgx.Conn
}

const watcherName = "gridsentry crash test"

func newWatcher(t *testing.T, url string) *watcher {
	t.Helper()
	return &watcher{t: t, url: url, conn: connectAs(t, url, watcherName)}
}

func connectAs(t *testing.T, url, name string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = name
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// block runs the statements of sql in a transaction of a connection of its
// own and keeps it open, with the locks it took, until release is called.
// (Not the watcher's connection: a transaction sees pg_stat_activity as it
// was at its first look.)
func (w *watcher) block(sql string) (release func()) {
	w.t.Helper()
	ctx := context.Background()
	tx, err := connectAs(w.t, w.url, watcherName).Begin(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, sql); err != nil {
		w.t.Fatalf("%s: %v", sql, err)
	}
	return func() { _ = tx.Rollback(ctx) }
}

// int runs a query of one integer.
func (w *watcher) int(q string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// bool runs a query of one boolean.
func (w *watcher) bool(q string, args ...any) bool {
	w.t.Helper()
	var b bool
	if err := w.conn.QueryRow(context.Background(), q, args...).Scan(&b); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	return b
}

// pollInterval is how often a watcher looks at the database while it waits.
const pollInterval = 10 * time.Millisecond

// waitFor polls cond, an SQL boolean, until it holds while c runs, and
// fails the test if c exits first or d passes.
func (w *watcher) waitFor(c *child, what, cond string, d time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(d)
	for !w.bool(cond) {
		if c != nil && c.exited() {
			w.t.Fatalf("gridsentry exited (%v) before %s\n%s", c.err, what, c.output())
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no %s within %v", what, d)
		}
		time.Sleep(pollInterval)
	}
}

// othersQuery counts the client backends of the database other than the
// test's: after a kill, those the dead process left.
const othersQuery = `SELECT count(*) FROM pg_stat_activity
	WHERE datname = current_database() AND backend_type = 'client backend' AND application_name <> '` + watcherName + `'`

// orphanDeadline bounds how long the backends of a killed process may
// outlive it. The bulk writes have them check every second that their
// client is there; the bound stays below the 30 s statement timeout, which
// would otherwise end a statement waiting on a lock and hide a backend that
// never checks.
const orphanDeadline = 10 * time.Second

// waitOrphansGone waits, at most orphanDeadline, until the killed process's
// backends have ended and returns how long that took: their transactions
// are then rolled back and their locks and temporary staging tables gone.
func (w *watcher) waitOrphansGone() time.Duration {
	w.t.Helper()
	start := time.Now()
	for w.int(othersQuery) > 0 {
		if time.Since(start) > orphanDeadline {
			rows, _ := w.conn.Query(context.Background(), `SELECT pid, application_name, state, wait_event_type, left(query, 200) AS query
				FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND application_name <> $1`, watcherName)
			left, _ := pgx.CollectRows(rows, pgx.RowToMap)
			w.t.Fatalf("backends of the killed process still there after %v: %v", orphanDeadline, left)
		}
		time.Sleep(pollInterval)
	}
	return time.Since(start)
}

// assertNoLeftovers checks that nothing of a killed writer remains that
// would block or confuse the next one: no lock held by anyone else, no
// prepared transaction, no temporary table of another session.
func (w *watcher) assertNoLeftovers() {
	w.t.Helper()
	if n := w.int(`SELECT count(*) FROM pg_locks WHERE pid IS DISTINCT FROM pg_backend_pid()
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`); n != 0 {
		w.t.Errorf("%d locks held after the kill", n)
	}
	if n := w.int(`SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()`); n != 0 {
		w.t.Errorf("%d prepared transactions after the kill", n)
	}
	// The watcher makes no temporary table: any is another session's.
	if n := w.int(`SELECT count(*) FROM pg_class WHERE relpersistence = 't'`); n != 0 {
		w.t.Errorf("%d temporary tables (staging) left after the kill", n)
	}
}

// state is what a database holds, table by table.
type state map[string]string

// schemaQuery digests the schema's indexes, constraints and triggers (and
// whether each is enabled): a bulk load drops and disables some of them in
// its transaction.
const schemaQuery = `SELECT md5(string_agg(d, E'\n' ORDER BY d)) FROM (
	SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'public'
	UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
	UNION ALL SELECT tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal) x`

// snapshot reads the state of the database: the schema, every table's row
// count, and the rows of digested in full (as text, sorted, hashed).
func (w *watcher) snapshot(digested ...string) state {
	w.t.Helper()
	rows, _ := w.conn.Query(context.Background(), `SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		w.t.Fatal(err)
	}
	s := w.tables(digested...)
	for tb, v := range w.counts(tables...) {
		if _, ok := s[tb]; !ok {
			s[tb] = v
		}
	}
	var schema string
	if err := w.conn.QueryRow(context.Background(), schemaQuery).Scan(&schema); err != nil {
		w.t.Fatal(err)
	}
	s["(schema)"] = "md5 " + schema
	return s
}

// counts reads the row counts of tables.
func (w *watcher) counts(tables ...string) state {
	w.t.Helper()
	s := state{}
	for _, tb := range tables {
		s[tb] = fmt.Sprintf("%d rows", w.int("SELECT count(*) FROM "+pgx.Identifier{tb}.Sanitize()))
	}
	return s
}

// tables reads the row counts and digests of tables only.
func (w *watcher) tables(tables ...string) state {
	w.t.Helper()
	s := w.counts(tables...)
	for _, tb := range tables {
		var sum string
		if err := w.conn.QueryRow(context.Background(), `SELECT md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM `+
			pgx.Identifier{tb}.Sanitize()+` x`).Scan(&sum); err != nil {
			w.t.Fatal(err)
		}
		s[tb] += ", md5 " + sum
	}
	return s
}

// diff lists the tables whose state differs, "" when none.
func (s state) diff(other state) string {
	var out []string
	for tb, v := range s {
		if other[tb] != v {
			out = append(out, fmt.Sprintf("%s: %s, now %s", tb, v, other[tb]))
		}
	}
	for tb, v := range other {
		if _, ok := s[tb]; !ok {
			out = append(out, fmt.Sprintf("%s: new, %s", tb, v))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}
