package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gridsentry/gridsentry/postgres/cluster/clustertest"
)

// TestReadReplica serves a database of its own private cluster with
// -read-database-url pointing at a streaming replica of it (made with
// gridsentry cluster replica start), and checks where reads and writes
// go: with the replica's replay paused, a change made on the primary shows
// in one entity (read on the primary) but not in the lists (read on the
// replica) until replay resumes; an API write lands on the primary; a tile
// cached before a change is not rebuilt from the replica before the
// replica holds the change; with the replica stopped, /readyz stays ready
// and says so, and the lists are read on the primary; started again, reads
// return to it. It never touches the shared cluster of the other tests.
func TestReadReplica(t *testing.T) {
	pg := clustertest.New(t) // skips without PostgreSQL unless GRIDSENTRY_REQUIRE_DB=1
	dir := pg.Dir            // the replica goes beside it, in pg-replica
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	gs := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		start := time.Now()
		if err := run(ctx, args, &out, &errOut); err != nil {
			t.Fatalf("gridsentry %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		t.Logf("gridsentry %s: %s", strings.Join(args[:2], " "), time.Since(start).Round(time.Millisecond))
		return strings.TrimSpace(out.String())
	}
	t.Cleanup(func() {
		for _, args := range [][]string{{"cluster", "stop", "--dir", dir}, {"cluster", "replica", "stop", "--dir", dir}} {
			if err := run(context.Background(), args, io.Discard, io.Discard); err != nil {
				t.Errorf("gridsentry %s: %v", strings.Join(args, " "), err)
			}
		}
	})

	// The replica command makes the primary (streaming from the start)
	// and the replica; the demo city is loaded on the primary and streams.
	replicaURL := gs("cluster", "replica", "start", "--dir", dir, "--db", "gridsentry")
	primaryURL := gs("cluster", "createdb", "--dir", dir, "--db", "gridsentry")
	if replicaURL == primaryURL {
		t.Fatalf("replica and primary at the same URL %s", replicaURL)
	}
	gs("demo", "-scale", "demo", "-database-url", primaryURL, "-log-format", "text")
	// Linked and flagged before serving, so that the server starts quiet.
	gs("link", "-database-url", primaryURL, "-log-format", "text")
	gs("flags", "recompute", "-database-url", primaryURL, "-log-format", "text")
	token := gs("token", "create", "-role", "admin", "-database-url", primaryURL)
	primary, replica := connect(ctx, t, primaryURL), connect(ctx, t, replicaURL)

	serveCtx, stopServe := context.WithCancel(ctx)
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(serveCtx, []string{"serve", "-addr", "127.0.0.1:0", "-database-url", primaryURL, "-read-database-url", replicaURL,
			"-read-max-lag", "10m", "-tile-seed-zoom", "0", "-rate-limit", "0", "-log-format", "text"}, stdout, stderr)
	}()
	defer func() {
		stopServe()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", stderr.String())
		}
	}()
	c := &apiClient{t: t, ctx: ctx, token: token}
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/`)
	waitUntil(ctx, t, "serve to print its URL", func() bool {
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, stderr.String())
		default:
		}
		c.base = urlRE.FindString(stdout.String())
		return c.base != ""
	})
	if log := stderr.String(); !strings.Contains(log, "read_database_url=") || !strings.Contains(log, replicaURL) {
		t.Errorf("serve does not log its read database URL at start")
	}
	var ready readyBody
	waitUntil(ctx, t, "/readyz 200 with reads on the replica", func() bool {
		code := c.getJSON("readyz", &ready)
		return code == http.StatusOK && ready.Replica.ReadsTo == "replica"
	})
	if ready.Replica.State != "up" || !ready.Replica.InRecovery || !ready.Replica.Reachable {
		t.Fatalf("/readyz replica %+v, want up, reachable, in recovery", ready.Replica)
	}

	// An active entity with a location, and the box around it that lists it.
	var uscc, name, industry string
	var lon, lat float64
	if err := primary.QueryRow(ctx, `SELECT uscc, name, industry, ST_X(location), ST_Y(location) FROM entities
		WHERE location IS NOT NULL AND status = 'active' AND industry NOT IN ('', 'T') ORDER BY uscc LIMIT 1`).
		Scan(&uscc, &name, &industry, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	box := fmt.Sprintf("entities?limit=500&bbox=%f,%f,%f,%f", lon-1e-5, lat-1e-5, lon+1e-5, lat+1e-5)
	listedName := func() string {
		var page struct {
			Items []struct{ USCC, Name string }
		}
		if code := c.getJSON("v1/"+box, &page); code != http.StatusOK {
			t.Fatalf("GET /v1/%s = %d", box, code)
		}
		for _, it := range page.Items {
			if it.USCC == uscc {
				return it.Name
			}
		}
		t.Fatalf("GET /v1/%s does not list %s", box, uscc)
		return ""
	}
	entityName := func() string {
		var e struct{ Name string }
		if code := c.getJSON("v1/entities/"+uscc, &e); code != http.StatusOK {
			t.Fatalf("GET /v1/entities/%s = %d", uscc, code)
		}
		return e.Name
	}

	t.Run("lists are read on the replica, one entity on the primary, writes go to the primary", func(t *testing.T) {
		before := c.metric(`gridsentry_db_reads_total{server="replica"}`)
		if got := listedName(); got != name {
			t.Fatalf("listed name %q, want %q", got, name)
		}
		if after := c.metric(`gridsentry_db_reads_total{server="replica"}`); after <= before {
			t.Fatalf("reads served by the replica: %v before a list, %v after", before, after)
		}
		var onReplica int
		if err := replica.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gridsentry reads'`).Scan(&onReplica); err != nil || onReplica == 0 {
			t.Fatalf("read pool connections on the replica: %d, %v", onReplica, err)
		}

		pauseReplay(ctx, t, replica)
		renamed := name + "（复核）"
		execSQL(ctx, t, primary, "UPDATE entities SET name = $1 WHERE uscc = $2", renamed, uscc)
		complaint := fmt.Sprintf(`{"source":"12345","external_id":"RR-%d","at":"2026-05-01T09:00:00+08:00","category":"complaint","uscc":%q,"summary":"replica test"}`,
			time.Now().UnixNano(), uscc)
		if code, body := c.post("v1/complaints", complaint); code != http.StatusCreated && code != http.StatusOK {
			t.Fatalf("POST /v1/complaints with the replica paused = %d %s, want it written on the primary", code, body)
		}
		var n int
		if err := primary.QueryRow(ctx, "SELECT count(*) FROM complaints WHERE uscc = $1 AND summary = 'replica test'", uscc).Scan(&n); err != nil || n != 1 {
			t.Fatalf("the complaint on the primary: %d, %v", n, err)
		}
		if got := entityName(); got != renamed {
			t.Errorf("GET /v1/entities/%s (the primary) = %q, want the new name %q", uscc, got, renamed)
		}
		if got := listedName(); got != name {
			t.Errorf("listed with replay paused: %q, want the replica's old name %q", got, name)
		}
		if got := c.complaints(uscc); got != 0 {
			t.Errorf("complaints listed with replay paused: %d, want none yet", got)
		}
		execSQL(ctx, t, replica, "SELECT pg_wal_replay_resume()")
		waitUntil(ctx, t, "the list to show the new name once replayed", func() bool { return listedName() == renamed })
		if got := c.complaints(uscc); got != 1 {
			t.Errorf("complaints listed after replay: %d, want 1", got)
		}
	})

	t.Run("a tile is not rebuilt from the replica before it replays the change", func(t *testing.T) {
		tile := maptile.At(orb.Point{lon, lat}, 15)
		path := fmt.Sprintf("tiles/entities/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y)
		if got, _ := c.tileIndustry(path, uscc); got != industry {
			t.Fatalf("tile shows industry %q, want %q", got, industry)
		}
		if _, cache := c.tileIndustry(path, uscc); cache != "hit" {
			t.Fatalf("second fetch of %s: X-Cache %q, want hit", path, cache)
		}
		pauseReplay(ctx, t, replica)
		execSQL(ctx, t, primary, "UPDATE entities SET industry = 'T' WHERE uscc = $1", uscc)
		// The follower hears of the change and waits for the replica
		// instead of dropping the tile, which would be rebuilt at once
		// from the paused replica, unchanged, and kept.
		waitUntil(ctx, t, "the tile follower to wait for the replica", func() bool {
			return c.metric("gridsentry_replica_replay_waits") >= 1
		})
		for range 2 {
			if got, cache := c.tileIndustry(path, uscc); got != industry || cache != "hit" {
				t.Fatalf("tile with replay paused: industry %q (X-Cache %s), want the cached %q", got, cache, industry)
			}
		}
		execSQL(ctx, t, replica, "SELECT pg_wal_replay_resume()")
		waitUntil(ctx, t, "the tile to show the change once replayed", func() bool {
			got, _ := c.tileIndustry(path, uscc)
			return got == "T"
		})
	})

	t.Run("replica stopped: ready, reads on the primary; started again: back on it", func(t *testing.T) {
		failovers := c.metric("gridsentry_replica_failovers_total")
		gs("cluster", "replica", "stop", "--dir", dir)
		waitUntil(ctx, t, "/readyz to report the replica down", func() bool {
			return c.getJSON("readyz", &ready) == http.StatusOK && ready.Replica.State == "down"
		})
		if ready.Replica.ReadsTo != "primary" || ready.Replica.Reachable || ready.Replica.Reason == "" {
			t.Errorf("/readyz replica %+v, want reads to the primary, unreachable, with a reason", ready.Replica)
		}
		if c.metric("gridsentry_replica_up") != 0 || c.metric("gridsentry_replica_failovers_total") < failovers+1 {
			t.Errorf("metrics: replica_up %v, failovers %v (was %v)", c.metric("gridsentry_replica_up"),
				c.metric("gridsentry_replica_failovers_total"), failovers)
		}
		before := c.metric(`gridsentry_db_reads_total{server="primary"}`)
		execSQL(ctx, t, primary, "UPDATE entities SET name = $1 WHERE uscc = $2", name, uscc)
		if got := listedName(); got != name {
			t.Errorf("listed with the replica down: %q, want the primary's %q at once", got, name)
		}
		if after := c.metric(`gridsentry_db_reads_total{server="primary"}`); after <= before {
			t.Errorf("reads served by the primary: %v before a list, %v after", before, after)
		}

		gs("cluster", "replica", "start", "--dir", dir)
		waitUntil(ctx, t, "reads to return to the replica", func() bool {
			return c.getJSON("readyz", &ready) == http.StatusOK && ready.Replica.ReadsTo == "replica"
		})
		before = c.metric(`gridsentry_db_reads_total{server="replica"}`)
		if got := listedName(); got != name {
			t.Errorf("listed on the restarted replica: %q, want %q", got, name)
		}
		if after := c.metric(`gridsentry_db_reads_total{server="replica"}`); after <= before {
			t.Errorf("reads served by the restarted replica: %v before a list, %v after", before, after)
		}
	})
}

type readyBody struct {
	Status  string `json:"status"`
	Replica struct {
		State      string  `json:"state"`
		ReadsTo    string  `json:"reads_to"`
		Reachable  bool    `json:"reachable"`
		InRecovery bool    `json:"in_recovery"`
		LagSeconds float64 `json:"lag_seconds"`
		Reason     string  `json:"reason"`
	} `json:"replica"`
}

// apiClient calls the served API with a token.
type apiClient struct {
	t     *testing.T
	ctx   context.Context
	base  string
	token string
}

func (c *apiClient) do(method, path, body string) (int, []byte, http.Header) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

func (c *apiClient) getJSON(path string, v any) int {
	c.t.Helper()
	code, b, _ := c.do(http.MethodGet, path, "")
	if code == http.StatusOK {
		if err := json.Unmarshal(b, v); err != nil {
			c.t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return code
}

func (c *apiClient) post(path, body string) (int, string) {
	c.t.Helper()
	code, b, _ := c.do(http.MethodPost, path, body)
	return code, string(b)
}

// complaints returns how many complaints of the replica test GET
// /v1/complaints lists for uscc.
func (c *apiClient) complaints(uscc string) int {
	c.t.Helper()
	var page struct{ Items []struct{ Summary string } }
	if code := c.getJSON("v1/complaints?uscc="+url.QueryEscape(uscc), &page); code != http.StatusOK {
		c.t.Fatalf("GET /v1/complaints = %d", code)
	}
	n := 0
	for _, it := range page.Items {
		if it.Summary == "replica test" {
			n++
		}
	}
	return n
}

// tileIndustry returns the industry the entities tile at path shows for
// uscc, and whether the tile came from the cache (X-Cache).
func (c *apiClient) tileIndustry(path, uscc string) (string, string) {
	c.t.Helper()
	code, b, h := c.do(http.MethodGet, path, "")
	if code != http.StatusOK {
		c.t.Fatalf("GET %s = %d: %s", path, code, b)
	}
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	for _, l := range layers {
		for _, f := range l.Features {
			if f.Properties["uscc"] == uscc {
				industry, _ := f.Properties["industry"].(string)
				return industry, h.Get("X-Cache")
			}
		}
	}
	c.t.Fatalf("tile %s does not show %s", path, uscc)
	return "", ""
}

// metric returns the value of a sample of /metrics, as written there
// (name with its labels), or 0 when absent.
func (c *apiClient) metric(sample string) float64 {
	c.t.Helper()
	code, b, _ := c.do(http.MethodGet, "metrics", "")
	if code != http.StatusOK {
		c.t.Fatalf("GET /metrics = %d", code)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				c.t.Fatalf("metric %s: %v", sample, err)
			}
			return f
		}
	}
	return 0
}

func connect(ctx context.Context, t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func execSQL(ctx context.Context, t *testing.T, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// waitUntil polls cond until it holds, failing the test when ctx ends first.
func waitUntil(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// pauseReplay pauses WAL replay on the replica and waits until it is
// paused: a pause is a request, which replay honours before its next record.
func pauseReplay(ctx context.Context, t *testing.T, replica *pgx.Conn) {
	t.Helper()
	execSQL(ctx, t, replica, "SELECT pg_wal_replay_pause()")
	waitUntil(ctx, t, "replay to pause", func() bool {
		var state string
		return replica.QueryRow(ctx, "SELECT pg_get_wal_replay_pause_state()").Scan(&state) == nil && state == "paused"
	})
}
