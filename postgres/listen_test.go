package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/postgres"
)

// runListener runs a listener's Run in the background until the test
// ends, and checks that it then returns nil.
func runListener(t *testing.T, run func(context.Context) error) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want nil once stopped", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
}

// waitFor waits for a value on ch, failing the test after 30 s.
func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// killListener terminates the backend of the listener whose connection
// has application name app, and checks there was one.
func killListener(t *testing.T, db *postgres.DB, app string) {
	t.Helper()
	var killed int
	err := db.Pool().QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, app).Scan(&killed)
	if err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listener backends, want 1", killed)
	}
}
