package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/cluster/clustertest"
)

// TestDatabaseOutage stops a private cluster under a running server: the API
// answers 503 at once instead of hanging, and recovers by itself when the
// database returns.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	c := clustertest.Start(t)
	if err := c.CreateDatabase(ctx, "gridsentry", false); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, c.URL("gridsentry"), postgres.Options{ConnectTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.Migrator()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	m.Close()
	srv := api.New(api.Config{}, db, db, slog.New(slog.DiscardHandler), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	client := &http.Client{Timeout: 10 * time.Second} // a hang fails the test

	statusOf := func(path string) int {
		t.Helper()
		resp, err := client.Get(ts.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, p := range []string{"/readyz", "/v1/divisions?level=town"} {
		if got := statusOf(p); got != http.StatusOK {
			t.Fatalf("before the outage: GET %s = %d, want 200", p, got)
		}
	}

	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/readyz", "/v1/divisions?level=town", "/v1/towns/441900003", "/readyz"} {
		start := time.Now()
		got := statusOf(p)
		if got != http.StatusServiceUnavailable {
			t.Errorf("database down: GET %s = %d, want 503", p, got)
		}
		t.Logf("database down: GET %s answered %d in %v", p, got, time.Since(start))
	}
	if got := statusOf("/healthz"); got != http.StatusOK {
		t.Errorf("database down: /healthz = %d, want 200 (the process is alive)", got)
	}

	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// The pool reconnects on its own: poll until ready, without restarting
	// anything. The first request after the restart may still meet a dead
	// pooled connection; it must then say 503, never hang or 500.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := statusOf("/readyz")
		if got == http.StatusOK {
			break
		}
		if got != http.StatusServiceUnavailable {
			t.Fatalf("recovering: /readyz = %d, want 503 or 200", got)
		}
		if time.Now().After(deadline) {
			t.Fatal("the service did not recover within 30 s of the database returning")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for range 5 {
		if got := statusOf("/v1/divisions?level=town"); got != http.StatusOK {
			t.Errorf("after recovery: /v1/divisions = %d, want 200", got)
		}
	}
}
