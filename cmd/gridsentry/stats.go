package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/supervision"
)

// runStats is `gridsentry stats refresh [-full]`, which brings the
// statistics rollups up to date (what serve does every -stats-refresh),
// and `gridsentry stats bench`, which times the statistics API.
func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gridsentry stats refresh [-full] | bench [-runs N] [-json] [flags]")
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	full := fs.Bool("full", false, "refresh: recompute every town, not only those changed since the last refresh")
	runs := fs.Int("runs", 5, "bench: requests of each statistics route after the first")
	asJSON := fs.Bool("json", false, "bench: print one JSON object a line instead of a table")
	if len(args) == 0 || args[0] != "refresh" && args[0] != "bench" {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("stats: say refresh or bench")}
	}
	action := args[0]
	if err := parse(fs, args[1:], 0); err != nil {
		return err
	}
	if *runs < 1 {
		return &exitError{code: 2, err: errors.New("stats bench: -runs must be positive")}
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	db, err := openReady(ctx, &cfg, log, stderr, "stats")
	if err != nil {
		return err
	}
	defer db.Close()
	if action == "bench" {
		return benchStats(ctx, db, log, stdout, *runs, *asJSON)
	}
	return refreshStats(ctx, db, *full, stdout)
}

// refreshStats refreshes the rollups, a line per town on w.
func refreshStats(ctx context.Context, db *postgres.DB, full bool, w io.Writer) error {
	start := time.Now()
	done, err := db.RefreshStats(ctx, full, func(r postgres.StatsRefresh) {
		what := fmt.Sprintf("%d grids", r.Grids)
		if r.Whole {
			what = "whole town"
		}
		town := r.Town
		if town == "" {
			town = `"" (not linked)`
		}
		fmt.Fprintf(w, "town %-16s %-11s %8.2fs\n", town, what, r.Took.Seconds())
	})
	if err != nil {
		return fmt.Errorf("stats refresh: %w", err)
	}
	fmt.Fprintf(w, "refreshed %d towns in %.1fs\n", len(done), time.Since(start).Seconds())
	return nil
}

// A statsBench is one timed statistics request.
type statsBench struct {
	Route  string  `json:"route"`
	URL    string  `json:"url"`
	ColdMS float64 `json:"cold_ms"` // the first request
	WarmMS float64 `json:"warm_ms"` // the median of the runs after it
	MaxMS  float64 `json:"max_ms"`  // the slowest of those runs
	Bytes  int     `json:"bytes"`
}

// benchStats times each statistics route as an admin sees it, over the
// API in process (no network): the city's answers, those of the town
// with the most inspections, of its busiest village, and a CSV. The first
// request of each is "cold" (this process has read nothing; the database
// may have the rollups in its caches), the runs after it warm.
func benchStats(ctx context.Context, db *postgres.DB, log *slog.Logger, w io.Writer, runs int, asJSON bool) error {
	var town, village string
	err := db.Pool().QueryRow(ctx, `SELECT t.town_code, (SELECT village_code FROM stats_activity a
			WHERE a.town_code = t.town_code AND village_code <> '' GROUP BY 1 ORDER BY sum(inspections) DESC LIMIT 1)
		FROM stats_town_activity t WHERE t.town_code <> '' GROUP BY 1 ORDER BY sum(inspections) DESC LIMIT 1`).Scan(&town, &village)
	if err != nil {
		return fmt.Errorf("stats bench: find the largest town (run gridsentry stats refresh first): %w", err)
	}
	srv := api.New(api.Config{}, db, db, slog.New(slog.DiscardHandler), api.WithStats(db), api.WithFixedPrincipal(auth.Principal{Role: auth.Admin}))
	h := srv.Handler()
	decade := supervision.MonthOf(time.Now()).Add(-119).String()
	urls := [][2]string{
		{"towns", "/v1/stats/towns"},
		{"villages", "/v1/stats/towns/" + town + "/villages"},
		{"grids", "/v1/stats/villages/" + village + "/grids"},
		{"departments", "/v1/stats/departments"},
		{"trend", "/v1/stats/trend"},
		{"trend 120 months", "/v1/stats/trend?from=" + decade},
		{"trend of a town", "/v1/stats/trend?town=" + town},
		{"industries", "/v1/stats/industries"},
		{"complaints", "/v1/stats/complaints"},
		{"complaints of a town", "/v1/stats/complaints?town=" + town},
		{"leads", "/v1/stats/leads"},
		{"towns as CSV", "/v1/stats/towns?format=csv"},
	}
	get := func(url string) (time.Duration, int, error) {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		took := time.Since(start)
		if rec.Code != http.StatusOK {
			return took, 0, fmt.Errorf("%s: %d %.300s", url, rec.Code, rec.Body.String())
		}
		return took, rec.Body.Len(), nil
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var out []statsBench
	for _, u := range urls {
		cold, size, err := get(u[1])
		if err != nil {
			return fmt.Errorf("stats bench: %w", err)
		}
		var warm []time.Duration
		for range runs {
			d, _, err := get(u[1])
			if err != nil {
				return fmt.Errorf("stats bench: %w", err)
			}
			warm = append(warm, d)
		}
		slices.Sort(warm)
		out = append(out, statsBench{Route: u[0], URL: u[1], ColdMS: ms(cold), WarmMS: ms(warm[len(warm)/2]),
			MaxMS: ms(warm[len(warm)-1]), Bytes: size})
	}
	if asJSON {
		enc := json.NewEncoder(w)
		for _, b := range out {
			if err := enc.Encode(b); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "route\tcold ms\twarm ms\tmax ms\tbytes\turl\t")
	for _, b := range out {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%d\t%s\t\n", b.Route, b.ColdMS, b.WarmMS, b.MaxMS, b.Bytes, b.URL)
	}
	return tw.Flush()
}
