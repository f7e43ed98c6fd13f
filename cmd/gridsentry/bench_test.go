package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

func TestPlanBench(t *testing.T) {
	loaded := time.Date(2026, 11, 27, 15, 38, 0, 0, time.UTC)
	counts := demo.Totals{Towns: 36, Villages: 605, Grids: 3024, Doorplates: 959185, Buildings: 1018060, Rooms: 6732568, Entities: 1995162}
	city := postgres.Dataset{Seed: 1, Scale: demo.ScaleCity, LoadedAt: loaded, Counts: counts}
	fewer := func(f func(*demo.Totals)) demo.Totals {
		c := counts
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name     string
		ds       postgres.Dataset
		ok       bool
		have     demo.Totals
		unlinked int
		scale    demo.Scale
		want     benchPlan
	}{
		{"no city: build", postgres.Dataset{}, false, demo.Totals{}, 0, demo.ScaleCity,
			benchPlan{Build: true, Why: "it holds no generated city"}},
		{"the other scale: build", city, true, counts, 0, demo.ScaleDemo,
			benchPlan{Build: true, Why: "it holds the city scale, not demo"}},
		{"rooms missing: build", city, true, fewer(func(c *demo.Totals) { c.Rooms -= 1000 }), 0, demo.ScaleCity,
			benchPlan{Build: true, Why: "it holds 6,731,568 of the 6,732,568 rooms the load wrote"}},
		{"entities emptied: build", city, true, fewer(func(c *demo.Totals) { c.Entities = 0 }), 0, demo.ScaleCity,
			benchPlan{Build: true, Why: "it holds 0 of the 1,995,162 entities the load wrote"}},
		{"complete and linked: reuse", city, true, counts, 0, demo.ScaleCity,
			benchPlan{Why: "the city scale (seed 1) loaded 2026-11-27, every entity linked"}},
		{"entities registered since: reuse", city, true, fewer(func(c *demo.Totals) { c.Entities += 40 }), 0, demo.ScaleCity,
			benchPlan{Why: "the city scale (seed 1) loaded 2026-11-27, every entity linked"}},
		{"complete, some unlinked: reuse and link", city, true, counts, 1995162, demo.ScaleCity,
			benchPlan{Link: true, Why: "the city scale (seed 1) loaded 2026-11-27, 1,995,162 entities not linked yet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := planBench(tc.ds, tc.ok, tc.have, tc.unlinked, tc.scale)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("planBench (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemaCheck(t *testing.T) {
	if migrate, err := schemaCheck("db", 11, 13); err != nil || !migrate {
		t.Errorf("an older schema: migrate %v, err %v; want migrate", migrate, err)
	}
	if migrate, err := schemaCheck("db", 13, 13); err != nil || migrate {
		t.Errorf("the same schema: migrate %v, err %v; want nothing to do", migrate, err)
	}
	if _, err := schemaCheck("db", 14, 13); err == nil || !strings.Contains(err.Error(), "newer than this build's 13") {
		t.Errorf("a newer schema: err %v; want a refusal", err)
	}
}

func TestBenchVerdict(t *testing.T) {
	for _, tc := range []struct {
		name   string
		checks []benchCheck
		want   string
	}{
		{"no target", nil, ""},
		{"ceiling met", []benchCheck{{Name: "p99", Got: 7.2, Limit: 10, Unit: " ms"}}, "yes"},
		{"ceiling met exactly", []benchCheck{{Name: "p99", Got: 10, Limit: 10, Unit: " ms"}}, "yes"},
		{"ceiling missed", []benchCheck{{Name: "p99", Got: 12.34, Limit: 10, Unit: " ms"}}, "**no**: p99 12.3 > 10 ms"},
		{"floor met", []benchCheck{{Name: "rate", Got: 20000, Limit: 20000, AtLeast: true, Unit: "/s"}}, "yes"},
		{"floor missed", []benchCheck{{Name: "rate", Got: 4898.4, Limit: 10000, AtLeast: true, Unit: "/s"}}, "**no**: rate 4898.4 < 10000/s"},
		{"not measured", []benchCheck{{Name: "answer", Got: math.NaN(), Limit: 1, Unit: " s"}}, "**no**: answer n/a > 1 s"},
		{"one of two missed", []benchCheck{
			{Name: "buildings p95", Got: 47.7, Limit: 50, Unit: " ms"},
			{Name: "coverage p95", Got: 136.8, Limit: 100, Unit: " ms"},
		}, "**no**: coverage p95 136.8 > 100 ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (benchRow{Checks: tc.checks}).verdict(); got != tc.want {
				t.Errorf("verdict = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBenchMarkdown(t *testing.T) {
	r := &benchReport{
		Scale:   demo.ScaleDemo,
		Started: time.Date(2026, 11, 28, 9, 5, 0, 0, time.FixedZone("CST", 8*3600)),
		Took:    83 * time.Second,
		Commit:  "a9b821f",
		Machine: machineInfo{CPU: "AMD EPYC", Cores: 2, RAM: 24 << 30, OS: "Debian GNU/Linux 12 (bookworm)", Load: 1.55, LoadEnd: 2,
			Postgres: "15.18", PostGIS: "3.3.2"},
		Database: "`gridsentry_bench_demo`; reused.",
		Rows: []benchRow{
			{What: "link all", Value: "22.5 s", Target: "≤ 5 min", Note: "a | b\nc",
				Checks: []benchCheck{{Name: "time", Got: 0.4, Limit: 5, Unit: " min"}}},
			{What: "GET /v1/stats/towns", Value: "n/a (endpoint not on this build)", Target: "≤ 1 s"},
			{What: "cached tiles", Value: "4,898 tiles/s", Target: "≥ 10,000/s",
				Checks: []benchCheck{{Name: "rate", Got: 4898, Limit: 10000, AtLeast: true, Unit: "/s"}}},
		},
		Notes: []string{"the machine was busy"},
	}
	want := "**demo scale**, 2026-11-28 01:05 UTC, commit a9b821f; the run took 1 min 23 s.\n\n" +
		"Machine: AMD EPYC, 2 cores, 24.00 GiB RAM, Debian GNU/Linux 12 (bookworm), load average 1.6 at the start, 2.0 at the end; PostgreSQL 15.18, PostGIS 3.3.2.\n\n" +
		"Database: `gridsentry_bench_demo`; reused.\n\n" +
		"| what | measured | target | met | how |\n" +
		"|---|---|---|---|---|\n" +
		"| link all | 22.5 s | ≤ 5 min | yes | a \\| b c |\n" +
		"| GET /v1/stats/towns | n/a (endpoint not on this build) | ≤ 1 s |  |  |\n" +
		"| cached tiles | 4,898 tiles/s | ≥ 10,000/s | **no**: rate 4898 < 10000/s |  |\n" +
		"\n- the machine was busy\n"
	if diff := cmp.Diff(want, r.markdown()); diff != "" {
		t.Errorf("markdown (-want +got):\n%s", diff)
	}
	if missed := r.missed(); len(missed) != 1 || missed[0].What != "cached tiles" {
		t.Errorf("missed = %+v, want the cached tiles only", missed)
	}
}

func TestBenchFormats(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{85 * time.Microsecond, "85 µs"},
		{4200 * time.Microsecond, "4.2 ms"},
		{12 * time.Millisecond, "12 ms"},
		{120*time.Millisecond + 400*time.Microsecond, "120 ms"},
		{3640 * time.Millisecond, "3.6 s"},
		{59960 * time.Millisecond, "60 s"},
		{4*time.Minute + 11*time.Second + 400*time.Millisecond, "4 min 11 s"},
		{9*time.Minute + 59*time.Second + 600*time.Millisecond, "10 min 0 s"},
		{75 * time.Minute, "1 h 15 min"},
	} {
		if got := fmtDuration(tc.d); got != tc.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := fmtCount(1995162); got != "1,995,162" {
		t.Errorf("fmtCount(1995162) = %q", got)
	}
	if got := fmtCount(7240.4); got != "7,240" {
		t.Errorf("fmtCount(7240.4) = %q", got)
	}
	if got := fmtBytes(uint64(795 << 20)); got != "795 MiB" {
		t.Errorf("fmtBytes(795 MiB) = %q", got)
	}
	if got := fmtBytes(1.45 * (1 << 30)); got != "1.45 GiB" {
		t.Errorf("fmtBytes(1.45 GiB) = %q", got)
	}
}

func TestRank(t *testing.T) {
	var hundred []time.Duration
	for i := 100; i >= 1; i-- { // pct sorts: give them reversed
		hundred = append(hundred, time.Duration(i))
	}
	for _, tc := range []struct {
		ds   []time.Duration
		p    int
		want time.Duration
	}{
		{nil, 50, 0},
		{[]time.Duration{7}, 99, 7},
		{hundred, 50, 50},
		{hundred, 95, 95},
		{hundred, 99, 99},
		{hundred, 100, 100},
		{hundred, 0, 1},
		// Nearest rank: the 99th percentile of ten is the largest, the
		// 50th the fifth.
		{hundred[90:], 99, 10},
		{hundred[90:], 50, 5},
	} {
		if got := pct(tc.ds, tc.p); got != tc.want {
			t.Errorf("pct(%d values, %d) = %d, want %d", len(tc.ds), tc.p, got, tc.want)
		}
	}
	if hundred[0] != 100 {
		t.Error("pct sorted its argument in place")
	}
}

func TestSpliceReadme(t *testing.T) {
	doc := "# Title\n\n## Benchmarks\n<!-- bench:city:begin -->\nold city\n<!-- bench:city:end -->\n\n" +
		"<!-- bench:demo:begin -->\nold demo\n<!-- bench:demo:end -->\ntail\n"
	got, err := spliceReadme(doc, demo.ScaleDemo, "| new | table |\n\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\n## Benchmarks\n<!-- bench:city:begin -->\nold city\n<!-- bench:city:end -->\n\n" +
		"<!-- bench:demo:begin -->\n| new | table |\n<!-- bench:demo:end -->\ntail\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spliceReadme (-want +got):\n%s", diff)
	}
	// Splicing again gives the same document.
	if again, err := spliceReadme(got, demo.ScaleDemo, "| new | table |"); err != nil || again != got {
		t.Errorf("a second splice changed the document (err %v):\n%s", err, again)
	}
	for name, bad := range map[string]string{
		"no markers":     "# Title\n",
		"begin only":     "<!-- bench:demo:begin -->\n",
		"twice":          "<!-- bench:demo:begin --><!-- bench:demo:end --><!-- bench:demo:begin --><!-- bench:demo:end -->",
		"wrong order":    "<!-- bench:demo:end -->\n<!-- bench:demo:begin -->\n",
		"the other only": "<!-- bench:city:begin -->\n<!-- bench:city:end -->\n",
	} {
		if _, err := spliceReadme(bad, demo.ScaleDemo, "x"); err == nil {
			t.Errorf("%s: spliced, want an error", name)
		}
	}
}

func TestTileRows(t *testing.T) {
	ms := func(v ...float64) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x*float64(time.Millisecond)))
		}
		return out
	}
	list := []tileZoom{
		{layers: benchLayerSets[0].layers, z: 14, cold: ms(30, 40, 60), warm: ms(0.1, 0.2, 0.1)},
		{layers: benchLayerSets[1].layers, z: 8, cold: ms(1, 2), warm: ms(0.03, 0.05)},
		{layers: benchLayerSets[2].layers, z: 8, cold: ms(20, 25), warm: ms(0.08, 0.09)},
		{layers: benchLayerSets[2].layers, z: 14, cold: ms(8, 9, 19), warm: ms(0.07, 0.08, 0.09)},
	}
	rows := tileRows(list, 36)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want one per zoom (2): %+v", len(rows), rows)
	}
	z8, z14 := rows[0], rows[1]
	if !strings.Contains(z8.What, "z8") || z8.Value != "table layers 1.0 / 2.0; coverage 20.0 / 25.0" || z8.verdict() != "yes" {
		t.Errorf("z8 row: %q %q %q", z8.What, z8.Value, z8.verdict())
	}
	if z8.Target != "coverage p95 ≤ 100 ms" {
		t.Errorf("z8 target %q: the table layers have none, coverage ≤ 100 ms", z8.Target)
	}
	if z14.Value != "buildings 40.0 / 60.0; coverage 9.0 / 19.0" {
		t.Errorf("z14 value %q", z14.Value)
	}
	if got := z14.verdict(); got != "**no**: buildings p95 60 > 50 ms" {
		t.Errorf("z14 verdict %q, want the buildings' p95 over 50 ms", got)
	}
	if !strings.Contains(z14.Note, "warm p50 90 µs") || !strings.Contains(z14.Note, "3 tiles of each set") {
		t.Errorf("z14 note %q", z14.Note)
	}
}

// TestBenchCommand runs the suite on a copy of the demo city, loaded but
// not linked, with short durations: the first run links the entities and
// measures the link and the import, recording them in the database; the
// second reuses the database and reports the recorded figures.
func TestBenchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmark suite on the demo city twice")
	}
	url := pgtest.DemoURL(t)
	ctx := context.Background()
	dir := t.TempDir()
	args := []string{"bench", "-scale", "demo", "-database-url", url, "-out", dir, "-validate-rate", "200", "-validate-duration", "1s",
		"-match-duration", "100ms", "-cases", "300", "-stats-repeat", "1", "-tile-throughput-duration", "300ms",
		"-tile-clients", "2", "-tile-anchors", "2"}
	bench := func() string {
		t.Helper()
		var out, errOut bytes.Buffer
		// A busy machine may miss a target: the table says which, and
		// without -strict the run succeeds.
		if err := run(ctx, args, &out, &errOut); err != nil {
			t.Fatalf("bench: %v\n%s", err, errOut.String())
		}
		return out.String()
	}

	first := bench()
	for _, want := range []string{
		"**demo scale**", "Machine: ", "PostgreSQL 15", "| what | measured | target | met | how |",
		"link all ", "bulk import of ", "flag recompute, the first", "flag recompute: every rule",
		"build the address index", "validate addresses in process", "POST /v1/addresses/validate at 200/s",
		"cached tiles over HTTP", "largest tile of the list", "export every entity", "memory of the serving process, peak",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("the first run's table lacks %q:\n%s", want, first)
		}
	}
	for z := 8; z <= 16; z++ {
		if !strings.Contains(first, fmt.Sprintf("| vector tiles z%d, cold", z)) {
			t.Errorf("no row for the tiles at z%d", z)
		}
	}
	for _, s := range statsQueries {
		if !strings.Contains(first, "| GET "+strings.SplitN(s.url, "{", 2)[0]) {
			t.Errorf("no row for %s", s.url)
		}
	}
	if n := strings.Count(first, "measured by this run"); n != 3 {
		t.Errorf("%d figures measured by the first run, want 3 (the import, the link, the first flag recompute):\n%s", n, first)
	}
	if !strings.Contains(first, "load the demo scale into an empty database | not recorded") {
		t.Errorf("the first run reports a load it did not time:\n%s", first)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "demo-*.md")); len(files) != 1 {
		t.Errorf("%d tables in -out, want 1", len(files))
	} else if b, _ := os.ReadFile(files[0]); string(b) != first {
		t.Error("the table in -out is not the one printed")
	}

	second := bench()
	if !strings.Contains(second, "reused.") {
		t.Errorf("the second run did not reuse the database:\n%s", second)
	}
	if n := strings.Count(second, "measured by this run"); n != 0 {
		t.Errorf("the second run measured %d build figures again, want them recorded:\n%s", n, second)
	}
	if n := strings.Count(second, "when the database was built"); n != 3 {
		t.Errorf("%d recorded figures in the second run, want 3:\n%s", n, second)
	}
	if !strings.Contains(second, "flag recompute, the first") {
		t.Error("the second run dropped the recorded first flag recompute")
	}
}
