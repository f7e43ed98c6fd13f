package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// TestKillFeedReplay kills gridsentry serve while it applies a registration
// feed, starts it again and replays the whole feed, as the registration
// system does when a delivery gets no answer. A feed is applied in one
// transaction and every change is logged by (USCC, change time): the kill
// leaves what an earlier feed wrote and nothing of the killed one, the
// replay applies exactly the changes not applied yet (every entity once, at
// the version its changes give), and a second replay changes nothing.
func TestKillFeedReplay(t *testing.T) {
	for _, tc := range []feedCrash{
		{name: "blocked with its entities written", entities: 2000, first: 500,
			// The feed writes entities and their versions, then its tasks.
			block:  "LOCK TABLE tasks IN SHARE MODE",
			midway: `wait_event_type = 'Lock' AND backend_xid IS NOT NULL AND query ILIKE 'copy "tasks"%'`,
			what:   "the feed's entities written and its tasks waiting on a lock"},
		{name: "while writing", soak: true, entities: 30000, first: 5000,
			midway: `backend_xid IS NOT NULL AND (query LIKE '%entity_stage%' OR query LIKE '%entity_versions%')`,
			what:   "the feed's entities being written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.soak && !longRun() {
				t.Skip("a long run: set GRIDSENTRY_SOAK=1 (make soak)")
			}
			killFeed(t, tc)
		})
	}
}

// A feedCrash is a registration feed to kill the server in.
type feedCrash struct {
	name string
	soak bool // only with GRIDSENTRY_SOAK=1
	// entities are registered by the feed, every other one changed later
	// in it; the first of them come in an earlier feed.
	entities, first int
	block           string // as in importRun
	midway, what    string // as in importRun
}

func killFeed(t *testing.T, tc feedCrash) {
	entities, first := tc.entities, tc.first
	url := pgtest.DemoURL(t)
	w := newWatcher(t, url)
	// The library of the demo city without its entities: a new server
	// would spend half a minute linking them in the background.
	if _, err := w.conn.Exec(context.Background(), `TRUNCATE entities CASCADE`); err != nil {
		t.Fatal(err)
	}
	token := adminToken(t, url)

	registered := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	changed := registered.Add(time.Hour)
	feed := newEntityLinesJSON(t, w, 2_000_000, entities, "new", registered)
	for i := 0; i < entities; i += 2 {
		var in supervision.EntityInput
		if err := json.Unmarshal([]byte(feed[i]), &in); err != nil {
			t.Fatal(err)
		}
		in.Name += "（更名）"
		in.Change, in.ChangedAt = "change", changed.Format(time.RFC3339)
		b, _ := json.Marshal(in)
		feed = append(feed, string(b))
	}
	whole := []byte(strings.Join(feed, "\n") + "\n")
	feedTables := []string{"entities", "entity_versions", "registration_changes", "feeds", "tasks"}

	s1, base := startServer(t, url)
	rep1 := postFeed(t, base, token, []byte(strings.Join(feed[:first], "\n")+"\n"))
	if rep1.Created != first || rep1.Rejected != 0 {
		t.Fatalf("first feed: %+v, want %d created", rep1, first)
	}
	// The server's background work (flags, tiles) goes on; only the
	// feed's tables are compared.
	before := w.tables(feedTables...)

	release := func() {}
	if tc.block != "" {
		release = w.block(tc.block)
	}
	answered := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"v1/feeds/registrations", bytes.NewReader(whole))
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
		answered <- err
	}()
	w.waitFor(s1, tc.what, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE datname = current_database() AND application_name <> '`+watcherName+`' AND `+tc.midway+`)`, 3*time.Minute)
	s1.kill(t)
	if err := <-answered; strings.HasPrefix(err.Error(), "answered") {
		t.Fatalf("the killed server %v the feed", err)
	}
	gone := w.waitOrphansGone()
	release()
	t.Logf("killed with %s; its backends were gone %v later", tc.what, gone.Round(time.Millisecond))
	w.assertNoLeftovers()
	if d := before.diff(w.tables(feedTables...)); d != "" {
		t.Errorf("the killed feed left changes:\n%s", d)
	}

	_, base = startServer(t, url)
	start := time.Now()
	rep2 := postFeed(t, base, token, whole)
	t.Logf("the replay took %v", time.Since(start).Round(time.Millisecond))
	want := supervision.FeedReport{FeedID: rep2.FeedID, Lines: len(feed), Created: entities - first,
		Updated: entities / 2, Unchanged: first, Replayed: first, TasksPushed: rep2.TasksPushed,
		Rejections: []supervision.LineError{}}
	if fmt.Sprint(rep2) != fmt.Sprint(want) {
		t.Errorf("replay: %+v\nwant %+v", rep2, want)
	}
	for _, c := range []struct {
		what string
		q    string
		want int
	}{
		{"entities", `SELECT count(*) FROM entities`, entities},
		{"changed entities at version 2", `SELECT count(*) FROM entities WHERE version = 2 AND name LIKE '%（更名）' AND changed_at = $1`, entities / 2},
		{"other entities at version 1", `SELECT count(*) FROM entities WHERE version = 1 AND name NOT LIKE '%（更名）' AND changed_at < $1`, entities - entities/2},
		{"entity versions", `SELECT count(*) FROM entity_versions`, len(feed)},
		{"entities whose versions are not 1 to their version", `SELECT count(*) FROM entities e
			WHERE (SELECT array_agg(v.version ORDER BY v.version) FROM entity_versions v WHERE v.uscc = e.uscc)
			   <> (SELECT array_agg(g) FROM generate_series(1, e.version) g)`, 0},
		{"logged changes", `SELECT count(*) FROM registration_changes`, len(feed)},
		{"feeds recorded (the first and the replay)", `SELECT count(*) FROM feeds`, 2},
		{"tasks", `SELECT count(*) FROM tasks`, rep1.TasksPushed + rep2.TasksPushed},
	} {
		var args []any
		if strings.Contains(c.q, "$1") {
			args = append(args, changed)
		}
		if n := w.int(c.q, args...); n != c.want {
			t.Errorf("%s: %d, want %d", c.what, n, c.want)
		}
	}

	// A second replay changes nothing.
	settled := w.tables("entities", "entity_versions", "registration_changes", "tasks")
	rep3 := postFeed(t, base, token, whole)
	if rep3.Created+rep3.Updated+rep3.TasksPushed != 0 || rep3.Replayed != len(feed) {
		t.Errorf("second replay: %+v, want every line replayed and nothing written", rep3)
	}
	if d := settled.diff(w.tables("entities", "entity_versions", "registration_changes", "tasks")); d != "" {
		t.Errorf("the second replay changed:\n%s", d)
	}
}

// adminToken issues an admin API token in the database at url.
func adminToken(t *testing.T, url string) string {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	token, _, err := db.CreateToken(context.Background(), auth.Principal{Role: auth.Admin}, time.Hour, "crash test")
	if err != nil {
		t.Fatal(err)
	}
	return token
}

var servingRE = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/`)

// startServer starts gridsentry serve on the database at url and waits
// until it is ready (its address index loaded). It returns the process
// and the server's base URL.
func startServer(t *testing.T, url string) (*child, string) {
	t.Helper()
	c := startChild(t, "serve", "-addr", "127.0.0.1:0", "-database-url", url, "-log-format", "text", "-tile-seed-zoom", "0")
	deadline := time.Now().Add(2 * time.Minute)
	var base string
	for {
		if c.exited() {
			t.Fatalf("serve exited: %v\n%s", c.err, c.output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready within 2 minutes\n%s", c.output())
		}
		if base == "" {
			base = servingRE.FindString(c.stdout.String())
		}
		if base != "" {
			resp, err := http.Get(base + "readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return c, base
				}
			}
		}
		time.Sleep(pollInterval)
	}
}

// postFeed sends a registration feed and returns the server's report.
func postFeed(t *testing.T, base, token string, body []byte) supervision.FeedReport {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"v1/feeds/registrations", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/feeds/registrations: %d %s", resp.StatusCode, b)
	}
	var rep supervision.FeedReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("feed report %s: %v", b, err)
	}
	return rep
}
