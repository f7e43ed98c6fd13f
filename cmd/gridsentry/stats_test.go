package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// TestStatsCommands runs gridsentry stats refresh, incremental and full,
// and stats bench over the demo city.
func TestStatsCommands(t *testing.T) {
	url := pgtest.DemoURL(t)
	ctx := context.Background()
	db := []string{"-database-url", url, "-log-format", "text"}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var town string
	var towns int
	if err := conn.QueryRow(ctx, `SELECT min(code), count(*) FROM towns`).Scan(&town, &towns); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE tasks SET status = 'done', done_at = now()
		WHERE id = (SELECT min(id) FROM tasks WHERE town_code = $1 AND status = 'pushed')`, town); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	if err := run(ctx, append([]string{"stats", "refresh"}, db...), &out, &errOut); err != nil {
		t.Fatalf("stats refresh: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "town "+town) || !strings.Contains(out.String(), "refreshed 1 towns") {
		t.Errorf("stats refresh after a task of %s closed printed:\n%s", town, out.String())
	}
	out.Reset()
	if err := run(ctx, append([]string{"stats", "refresh", "-full"}, db...), &out, &errOut); err != nil {
		t.Fatalf("stats refresh -full: %v\n%s", err, errOut.String())
	}
	// Every town, and the entities not linked to one.
	if want := fmt.Sprintf("refreshed %d towns", towns+1); !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "whole town") {
		t.Errorf("stats refresh -full printed:\n%s\nwant %q", out.String(), want)
	}
	out.Reset()
	if err := run(ctx, append([]string{"stats", "bench", "-runs", "1", "-json"}, db...), &out, &errOut); err != nil {
		t.Fatalf("stats bench: %v\n%s", err, errOut.String())
	}
	routes := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var b struct {
			Route  string  `json:"route"`
			URL    string  `json:"url"`
			ColdMS float64 `json:"cold_ms"`
			WarmMS float64 `json:"warm_ms"`
			Bytes  int     `json:"bytes"`
		}
		if err := json.Unmarshal([]byte(line), &b); err != nil {
			t.Fatalf("stats bench line %q: %v", line, err)
		}
		if b.ColdMS <= 0 || b.WarmMS <= 0 || b.Bytes == 0 || !strings.HasPrefix(b.URL, "/v1/stats/") {
			t.Errorf("stats bench: %+v", b)
		}
		routes[strings.Split(strings.TrimPrefix(b.URL, "/v1/stats/"), "/")[0]] = true
	}
	for _, r := range []string{"towns", "villages", "departments", "trend", "industries", "complaints", "leads"} {
		if !routes[strings.Split(r, "?")[0]] {
			t.Errorf("stats bench timed no /v1/stats/%s", r)
		}
	}
}
