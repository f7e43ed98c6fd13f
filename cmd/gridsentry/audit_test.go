package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// TestAuditCommand prints the log as a table and as NDJSON, filtered and
// paged, and finds each of its own reads on record.
func TestAuditCommand(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx := context.Background()
	dbFlags := []string{"-database-url", url, "-log-format", "text"}
	var errOut bytes.Buffer
	if err := run(ctx, append([]string{"migrate", "up"}, dbFlags...), io.Discard, &errOut); err != nil {
		t.Fatalf("migrate up: %v\n%s", err, errOut.String())
	}
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 11, 27, 1, 30, 0, 0, time.UTC)
	for _, e := range []audit.Entry{
		{At: at, TokenID: 7, Role: "grid_manager", TownCode: "441900003", Action: audit.Unmask, Method: "GET",
			Route: "/v1/entities/{uscc}", Object: "uscc=91441900MA4W1234X5", Status: 200, Remote: "10.1.2.3"},
		{At: at.Add(time.Hour), TokenID: 8, Role: "admin", Action: audit.Write, Method: "POST",
			Route: "/v1/flags/{id}/review", Object: "id=3\x1b[2J", Status: 409, Remote: "10.1.2.4",
			Detail: map[string]any{"query": "a=1"}},
	} {
		if _, err := db.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	audited := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, append(append([]string{"audit"}, dbFlags...), args...), &out, io.Discard); err != nil {
			t.Fatalf("audit %v: %v", args, err)
		}
		return out.String()
	}

	lines := strings.Split(strings.TrimSpace(audited()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("audit printed %q, want a header and three rows", lines)
	}
	// Newest first: this read itself, then entries 2 and 1.
	for i, want := range [][]string{
		{"3 ", "cli:", "read_audit", " audit "},
		{"2 ", "token 8 admin", "write", "POST", "/v1/flags/{id}/review", `id=3\x1b[2J`, "409", "10.1.2.4"},
		{"1 ", "token 7 grid_manager 441900003", "unmask", "GET", "uscc=91441900MA4W1234X5", "200"},
	} {
		for _, s := range want {
			if !strings.Contains(lines[i+1], s) {
				t.Errorf("row %q lacks %q", lines[i+1], s)
			}
		}
	}
	if strings.Contains(lines[2], "\x1b") {
		t.Error("the table passes an escape sequence to the terminal")
	}

	out := audited("-json", "-action", "write", "-since", "2026-11-27T09:00:00+08:00")
	var e map[string]any
	if err := json.Unmarshal([]byte(out), &e); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("-json -action write printed %q (%v), want one JSON line", out, err)
	}
	if e["id"] != 2.0 || e["object"] != "id=3\x1b[2J" || e["detail"].(map[string]any)["query"] != "a=1" || e["actor"] != nil {
		t.Errorf("NDJSON entry = %v", e)
	}

	// Every read is on record, with the filter it asked for.
	reads, _, err := db.AuditLog(ctx, audit.Filter{Action: audit.ReadAudit})
	if err != nil || len(reads) != 2 {
		t.Fatalf("read_audit entries = %d, %v; want 2", len(reads), err)
	}
	r := reads[0]
	if !strings.HasPrefix(r.Actor, "cli:") || len(r.Actor) == 4 || r.Route != "audit" || r.TokenID != 0 {
		t.Errorf("the command's read recorded as %+v", r)
	}
	if f, _ := r.Detail["filter"].(map[string]any); f["action"] != "write" || f["since"] != "2026-11-27T09:00:00+08:00" || len(f) != 2 {
		t.Errorf("recorded filter %v, want action and since", r.Detail)
	}

	// More than a page of the store: the command pages through it.
	if _, err := db.Pool().Exec(ctx, `INSERT INTO audit_log (token_id, action, route)
		SELECT 9, 'export', '/v1/entities/export' FROM generate_series(1, 1500)`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit string
		n     int
	}{{"0", 1500}, {"1200", 1200}, {"1000", 1000}, {"7", 7}} {
		t.Run("limit "+tc.limit, func(t *testing.T) {
			sc := bufio.NewScanner(strings.NewReader(audited("-json", "-token", "9", "-limit", tc.limit)))
			n, last := 0, int64(0)
			for sc.Scan() {
				var id struct{ ID int64 }
				if err := json.Unmarshal(sc.Bytes(), &id); err != nil {
					t.Fatal(err)
				}
				if last != 0 && id.ID != last-1 {
					t.Fatalf("id %d after %d: want every entry once, newest first", id.ID, last)
				}
				n, last = n+1, id.ID
			}
			if n != tc.n {
				t.Errorf("-limit %s printed %d entries, want %d", tc.limit, n, tc.n)
			}
		})
	}
	if n := strings.Count(audited("-token", "9", "-after", "100", "-limit", "0"), "\n"); n != 1+95 {
		t.Errorf("-after 100 printed %d lines, want a header and the 95 export entries below id 100 (5 to 99)", n)
	}
}

func TestAuditUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an argument", []string{"audit", "extra"}, `unexpected argument "extra"`},
		{"unknown action", []string{"audit", "-action", "drop"}, `-action: unknown action "drop"`},
		{"since not a time", []string{"audit", "-since", "yesterday"}, `-since: "yesterday" is not an RFC 3339 time`},
		{"until before since", []string{"audit", "-since", "2026-11-28", "-until", "2026-11-27"}, "-until: must be after since"},
		{"negative limit", []string{"audit", "-limit", "-1"}, "not negative"},
		{"negative duration", []string{"audit", "-since", "-24h"}, "-since:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", "")
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
			if exitCode(err) == 0 {
				t.Error("exit code 0 for bad usage")
			}
		})
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"2026-11-27T08:00:00+08:00", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)},
		{"2026-11-26", time.Date(2026, 11, 26, 0, 0, 0, 0, time.Local)},
		{"24h", now.Add(-24 * time.Hour)},
		{"90m", now.Add(-90 * time.Minute)},
	} {
		got, err := parseWhen(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
