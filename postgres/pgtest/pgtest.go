// Package pgtest gives tests a fresh PostGIS database of their own.
//
// Tests that need the database call New (migrated) or NewURL (empty). They
// skip when GRIDSENTRY_TEST_DATABASE_URL is unset, unless
// GRIDSENTRY_REQUIRE_DB=1 (as make test and CI set), which turns the skip into
// a failure. The URL points at an administrative database of a cluster in
// which the tests may create and drop databases (make test uses the private
// cluster under var/pg).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/postgres"
)

// AdminURL returns the administrative URL, or skips (fails under
// GRIDSENTRY_REQUIRE_DB=1) when none is configured.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("GRIDSENTRY_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("GRIDSENTRY_REQUIRE_DB") == "1" {
			t.Fatal("GRIDSENTRY_REQUIRE_DB=1 but GRIDSENTRY_TEST_DATABASE_URL is unset: run the tests with make test")
		}
		t.Skip("no database: set GRIDSENTRY_TEST_DATABASE_URL (make test does)")
	}
	return u
}

// NewURL creates an empty database and returns its URL; the database is
// dropped when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	return createDatabase(t, AdminURL(t), "")
}

// createDatabase creates a database of the test's own with the options of
// clause (such as a TEMPLATE), dropped when the test ends, and returns its
// URL.
func createDatabase(t testing.TB, admin, clause string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "gridsentry_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", admin, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" "+clause); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withPath(t, admin, name)
}

// withPath returns the admin URL pointed at database name.
func withPath(t testing.TB, admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("pgtest: parse admin url: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// New returns an open, migrated database of the test's own.
func New(t testing.TB) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, NewURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	m, err := db.Migrator()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Up(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("pgtest: migrate up: %v", err)
	}
	return db
}

// BenchDB opens the loaded database the city-scale benchmarks run against
// (GRIDSENTRY_BENCH_DATABASE_URL, as scripts/bench-addresses.sh sets it) and
// returns the scale of the demo city it holds (GRIDSENTRY_BENCH_SCALE,
// default city; seed 1). It skips the benchmark when no database is set.
func BenchDB(b testing.TB) (*postgres.DB, demo.Scale) {
	b.Helper()
	url := os.Getenv("GRIDSENTRY_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("set GRIDSENTRY_BENCH_DATABASE_URL to a loaded database (make bench-addresses does)")
	}
	scale := demo.ScaleCity
	if s := os.Getenv("GRIDSENTRY_BENCH_SCALE"); s != "" {
		scale = demo.Scale(s)
	}
	db, err := postgres.Open(context.Background(), url, postgres.Options{StatementTimeout: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	return db, scale
}
