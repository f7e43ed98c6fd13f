package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/postgres"
)

// Loading the demo city takes seconds; many tests want it. The first test
// of a test binary that asks loads it into a template database, and every
// test gets a copy (CREATE DATABASE … TEMPLATE, a file copy). The template's
// name carries a hash of the test binary, so a rebuilt binary (changed
// generator, loader or migrations) never reuses an old template, and the
// templates of older builds of the same package are dropped.
var templates struct {
	sync.Mutex
	name string
}

// DemoURL returns the URL of a fresh database of the test's own holding
// the demo city (scale demo, seed 1), migrated and seeded.
//
// Another test binary of the same package, built from other sources, drops
// this binary's template when it builds its own (a developer's second run
// beside a first): a template found gone is loaded again.
func DemoURL(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	tmpl := demoTemplate(t, admin)
	if !templateExists(t, admin, tmpl) {
		templates.Lock()
		templates.name = ""
		templates.Unlock()
		tmpl = demoTemplate(t, admin)
	}
	return createDatabase(t, admin, "TEMPLATE "+pgx.Identifier{tmpl}.Sanitize()+" STRATEGY FILE_COPY")
}

// templateExists reports whether the template database name exists.
func templateExists(t testing.TB, admin, name string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&ok); err != nil {
		t.Fatalf("pgtest: look for template: %v", err)
	}
	return ok
}

// Demo returns an open database of the test's own holding the demo city.
func Demo(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), DemoURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// demoTemplate returns the name of this binary's demo template, loading it
// the first time.
func demoTemplate(t testing.TB, admin string) string {
	templates.Lock()
	defer templates.Unlock()
	if templates.name != "" {
		return templates.name
	}
	prefix, hash := binaryKey(t)
	prefix += "_" + checkoutKey()
	name := "gridsentry_tmpl_" + prefix + "_" + hash
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	// Another process may build the same template: take turns.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", name); err != nil {
		t.Fatalf("pgtest: lock template: %v", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock(hashtext($1))", name)
	var ready bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&ready); err != nil {
		t.Fatalf("pgtest: look for template: %v", err)
	}
	if !ready {
		rows, _ := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2`,
			"gridsentry\\_tmpl\\_"+prefix+"\\_%", name)
		old, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("pgtest: list old templates: %v", err)
		}
		for _, o := range append(old, name) {
			id := pgx.Identifier{o}.Sanitize()
			if _, err := conn.Exec(ctx, "ALTER DATABASE "+id+" IS_TEMPLATE false"); err == nil {
				_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)")
			}
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			t.Fatalf("pgtest: create template: %v", err)
		}
		if err := loadTemplate(ctx, withPath(t, admin, name)); err != nil {
			_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			t.Fatalf("pgtest: load the demo city into the template: %v", err)
		}
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" IS_TEMPLATE true"); err != nil {
			t.Fatalf("pgtest: mark template: %v", err)
		}
	}
	templates.name = name
	return name
}

func loadTemplate(ctx context.Context, url string) error {
	db, err := postgres.Open(ctx, url, postgres.Options{StatementTimeout: -1})
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.Migrator()
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Up(ctx, slog.New(slog.DiscardHandler)); err != nil {
		return err
	}
	if _, err = db.LoadDemo(ctx, demo.Config{Scale: demo.ScaleDemo, Seed: 1}, nil); err != nil {
		return err
	}
	_, err = db.RefreshStats(ctx, true, nil) // the rollups, as gridsentry demo leaves them
	return err
}

// checkoutKey tells apart the checkouts (worktrees) whose tests share one
// cluster: a template is replaced only by a build of its own checkout, so
// two checkouts testing at once do not drop each other's template while it
// loads. Tests run in their package's directory, which lies in the checkout.
func checkoutKey() string {
	dir, err := os.Getwd()
	if err != nil {
		return "x"
	}
	sum := sha256.Sum256([]byte(dir))
	return hex.EncodeToString(sum[:])[:4]
}

// binaryKey names this test binary's package and hashes its contents.
func binaryKey(t testing.TB) (prefix, hash string) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatalf("pgtest: hash the test binary: %v", err)
	}
	prefix = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(strings.TrimSuffix(filepath.Base(exe), ".test")))
	return prefix, hex.EncodeToString(h.Sum(nil))[:12]
}
