package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/cluster"
	"github.com/gridsentry/gridsentry/postgres/cluster/clustertest"
)

// outageCluster starts a private cluster of the test's own, which it may
// stop and start, with a migrated database and a pool over it.
func outageCluster(t *testing.T) (*cluster.Cluster, *postgres.DB) {
	t.Helper()
	ctx := context.Background()
	c := clustertest.Start(t)
	if err := c.CreateDatabase(ctx, "gridsentry", false); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, c.URL("gridsentry"), postgres.Options{ConnectTimeout: 2 * time.Second})
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
		t.Fatal(err)
	}
	return c, db
}

// TestDatabaseOutage stops a private cluster under a running server: the API
// answers 503 at once instead of hanging, and recovers by itself when the
// database returns.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	c, db := outageCluster(t)
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

// TestDatabaseOutageUnderLoad stops and restarts the database while clients
// keep calling the API with real tokens (checked against the database on
// every request, no cache) and a write that is audited. While it is down
// every answer is a 503 (never a 401, a 500 or a hang); once it is back
// every answer is a 200 again, without restarting the service.
func TestDatabaseOutageUnderLoad(t *testing.T) {
	ctx := context.Background()
	c, db := outageCluster(t)
	token, _, err := db.CreateToken(ctx, auth.Principal{Role: auth.Admin}, time.Hour, "outage test")
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{TokenCacheTTL: -1}, db, db, slog.New(slog.DiscardHandler),
		api.WithAuthenticator(db), api.WithAudit(db), api.WithTokens(db))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	client := &http.Client{Timeout: 10 * time.Second} // a hang fails the test

	// phase is what the clients are told the database is doing; each answer
	// is counted under the phase it was sent and answered in ("changing"
	// when they differ).
	var mu sync.Mutex
	phase := "up"
	counts := map[string]map[int]int{}
	var slowest time.Duration
	stop := make(chan struct{})
	var wg sync.WaitGroup
	requests := []struct{ method, path, body string }{
		{"GET", "/v1/divisions?level=town", ""},
		{"GET", "/v1/towns/441900003", ""},
		{"GET", "/v1/tokens", ""},                                             // an audited read
		{"POST", "/v1/tokens/999999/revoke", ""},                              // an audited write (404 when up)
		{"POST", "/v1/tokens", `{"role":"clerk","ttl":"1h","note":"outage"}`}, // a write
	}
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := i; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				rq := requests[n%len(requests)]
				mu.Lock()
				p := phase
				mu.Unlock()
				req, _ := http.NewRequest(rq.method, ts.URL+rq.path, strings.NewReader(rq.body))
				req.Header.Set("Authorization", "Bearer "+token)
				start := time.Now()
				resp, err := client.Do(req)
				code := -1
				if err == nil {
					code = resp.StatusCode
					resp.Body.Close()
				}
				mu.Lock()
				if phase != p { // sent in one phase, answered in another: either answer is right
					p = "changing"
				}
				if counts[p] == nil {
					counts[p] = map[int]int{}
				}
				counts[p][code]++
				if p == "down" {
					slowest = max(slowest, time.Since(start))
				}
				mu.Unlock()
			}
		}()
	}
	setPhase := func(p string) {
		mu.Lock()
		phase = p
		mu.Unlock()
	}
	waitAnswers := func(p string, n int) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); ; {
			mu.Lock()
			got := 0
			for _, k := range counts[p] {
				got += k
			}
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d answers in phase %s", got, p)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitAnswers("up", 50)
	setPhase("stopping")
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	setPhase("down")
	waitAnswers("down", 100)
	setPhase("restarting")
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Recovered: wait until a request succeeds, then count a clean phase.
	for deadline := time.Now().Add(30 * time.Second); ; {
		req, _ := http.NewRequest("GET", ts.URL+"/v1/divisions?level=town", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the service did not recover within 30 s of the database returning")
		}
		time.Sleep(100 * time.Millisecond)
	}
	setPhase("recovered")
	waitAnswers("recovered", 100)
	close(stop)
	wg.Wait()

	t.Logf("answers by phase and status: %v; slowest answer while down: %v", counts, slowest)
	for p, byCode := range counts {
		for code, n := range byCode {
			ok := false
			switch p {
			case "up", "recovered":
				ok = code == 200 || code == 201 || code == 404
			case "down":
				ok = code == 503
			default: // stopping, restarting, changing: either
				ok = code == 200 || code == 201 || code == 404 || code == 503
			}
			if !ok {
				t.Errorf("%d answers %d while the database was %s", n, code, p)
			}
		}
	}
}
