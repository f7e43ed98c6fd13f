package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/procfs"
	"github.com/schollz/progressbar/v3"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/cluster"
	"github.com/gridsentry/gridsentry/supervision"
)

// The benchmark suite: `gridsentry bench -scale city|demo` builds or
// reuses the database gridsentry_bench_<scale>, measures the service on it
// and prints one table (make bench, make bench-quick). The service is the
// one serve runs (startService), in this process, on a loopback port; the
// requests come from this process too.

const benchUsage = `usage: gridsentry bench [-scale city|demo] [-rebuild] [flags]
       gridsentry bench readme [-scale city|demo] [-out var/bench] [-readme README.md]

Builds or reuses the database gridsentry_bench_<scale> of the private
PostgreSQL cluster and prints one Markdown table: the load of the city, the
bulk import and the link of its entities, the address index, validation in
process and over HTTP, vector tiles cold and warm by zoom, the flag
recompute, the statistics queries, an export of every entity, and the
memory of the serving process, with the machine and the commit. The table
is also written to -out as <scale>-<time>.md.

The database is reused when it holds the whole generated city of the
scale; pending migrations are applied, unlinked entities linked. Otherwise
(or with -rebuild) it is dropped, created and loaded. The load, import and
link times are measured when the database is built and recorded in it;
a run that reuses it reports the recorded figures, with when and at which
commit they were measured (an import or link never recorded is measured).

'bench readme' puts the newest table of -out for the scale into the README,
between its <!-- bench:<scale>:begin --> and <!-- bench:<scale>:end --> lines.

The "met" column judges each figure against the target the README states.
Exit status: 0 the table was printed; 1 the run failed; with -strict, 4
when a target was missed.

flags:
`

// exitMissed is the exit status of a bench -strict run that missed a
// target.
const exitMissed = 4

// benchOptions are the flags of gridsentry bench.
type benchOptions struct {
	scale        demo.Scale
	rebuild      bool
	database     string // in the private cluster
	url          string // instead of the private cluster
	dataDir      string
	out          string
	readme       string
	validateRate float64
	validateFor  time.Duration
	matchFor     time.Duration
	cases        int
	statsRepeat  int
	tilesFor     time.Duration
	tileClients  int
	tileAnchors  int // 0: every town's
	strict       bool
	skipImport   bool
}

// runBench is `gridsentry bench`.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	readmeOnly := len(args) > 0 && args[0] == "readme"
	if readmeOnly {
		args = args[1:]
	}
	var o benchOptions
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, benchUsage)
		fs.PrintDefaults()
	}
	scale := fs.String("scale", "demo", "scale of the city: city (2M entities; a build takes about 25 minutes) or demo (a minute)")
	fs.BoolVar(&o.rebuild, "rebuild", false, "drop and build the database even when it could be reused, measuring the load, import and link")
	fs.StringVar(&o.database, "db", "", "database of the private cluster (default gridsentry_bench_<scale>)")
	fs.StringVar(&o.url, "database-url", "", "a database to use instead of the private cluster's: loaded when empty, never dropped")
	fs.StringVar(&o.dataDir, "data-dir", env("GRIDSENTRY_DATA_DIR", "var/pg"), "directory of the private PostgreSQL cluster (env GRIDSENTRY_DATA_DIR)")
	fs.StringVar(&o.out, "out", "var/bench", "directory the table is written to as <scale>-<time>.md; empty: stdout only")
	fs.StringVar(&o.readme, "readme", "", "also put the table into this README (bench readme: default README.md)")
	fs.Float64Var(&o.validateRate, "validate-rate", 1000, "validation requests a second over HTTP")
	fs.DurationVar(&o.validateFor, "validate-duration", 0, "how long to send them (default 30s at city scale, 10s at demo)")
	fs.DurationVar(&o.matchFor, "match-duration", 3*time.Second, "how long to validate in process")
	fs.IntVar(&o.cases, "cases", 20000, "typed addresses of the generator to validate")
	fs.IntVar(&o.statsRepeat, "stats-repeat", 5, "times each statistics query is asked again after the first")
	fs.DurationVar(&o.tilesFor, "tile-throughput-duration", 5*time.Second, "how long to request cached tiles")
	fs.IntVar(&o.tileClients, "tile-clients", 8, "concurrent clients of the cached tiles")
	fs.BoolVar(&o.strict, "strict", false, "exit with status 4 when a target is missed")
	fs.BoolVar(&o.skipImport, "skip-import", false, "do not measure the bulk import on a reused database without a record of it: "+
		"the import locks the entities, and the tables that refer to them, against readers while it runs (minutes at city scale)")
	fs.IntVar(&o.tileAnchors, "tile-anchors", 0, "measure the tiles of this many towns' anchors only; 0: all (those of tiles bench)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	var err error
	if o.scale, err = demo.ParseScale(*scale); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("-scale: %w", err)}
	}
	if readmeOnly {
		return benchReadme(o.out, cmp.Or(o.readme, "README.md"), o.scale, stdout)
	}
	switch {
	case o.validateRate <= 0 || o.validateFor < 0 || o.matchFor <= 0 || o.tilesFor <= 0:
		return &exitError{code: 2, err: errors.New("bench: the rates and durations must be positive")}
	case o.cases < 1 || o.statsRepeat < 0 || o.tileClients < 1 || o.tileAnchors < 0:
		return &exitError{code: 2, err: errors.New("bench: -cases and -tile-clients must be at least 1, -stats-repeat and -tile-anchors at least 0")}
	case o.url != "" && (o.database != "" || o.rebuild):
		return &exitError{code: 2, err: errors.New("bench: -database-url names the database: -db and -rebuild are for the private cluster")}
	}
	if o.validateFor == 0 {
		o.validateFor = map[demo.Scale]time.Duration{demo.ScaleCity: 30 * time.Second, demo.ScaleDemo: 10 * time.Second}[o.scale]
	}
	o.database = cmp.Or(o.database, "gridsentry_bench_"+string(o.scale))

	b := &bencher{o: o, w: stderr, commit: buildCommit()}
	b.report = &benchReport{Scale: o.scale, Started: time.Now(), Commit: b.commit, Machine: readMachine()}
	// The service's settings are serve's defaults (and GRIDSENTRY_* from
	// the environment), but for those a benchmark must not have: no rate
	// limit for the one token sending everything, no tiles cached at start
	// (the cold tiles would be warm), quiet logs.
	sfs := flag.NewFlagSet("serve", flag.ContinueOnError)
	sfs.SetOutput(io.Discard)
	b.cfg.registerDatabase(sfs)
	b.cfg.registerHTTP(sfs)
	b.cfg.registerPolicy(sfs)
	b.cfg.registerFlagRules(sfs)
	b.cfg.RateLimit, b.cfg.TileSeedZoom, b.cfg.LogLevel, b.cfg.LogFormat = 0, 0, "warn", "text"
	if b.log, err = b.cfg.logger(stderr); err != nil {
		return err
	}
	if err := b.run(ctx); err != nil {
		return err
	}
	r := b.report
	r.Took = time.Since(r.Started).Round(time.Second)
	r.Machine.LoadEnd = loadAverage()
	table := r.markdown()
	fmt.Fprint(stdout, table)
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return err
		}
		name := filepath.Join(o.out, fmt.Sprintf("%s-%s.md", o.scale, r.Started.UTC().Format("2006-01-02T1504Z")))
		if err := os.WriteFile(name, []byte(table), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bench: the table is in %s\n", name)
	}
	if o.readme != "" {
		if err := writeReadme(o.readme, o.scale, table); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bench: the table is in %s\n", o.readme)
	}
	if missed := r.missed(); len(missed) > 0 {
		err := fmt.Errorf("bench: %d rows missed their target", len(missed))
		if o.strict {
			return &exitError{code: exitMissed, err: err}
		}
		fmt.Fprintln(stderr, err)
	}
	return nil
}

// bencher runs one benchmark.
type bencher struct {
	o      benchOptions
	w      io.Writer // progress
	log    *slog.Logger
	cfg    config // the service's
	commit string
	report *benchReport

	cluster *cluster.Cluster // nil with -database-url
	url     string
	db      *postgres.DB
	dataset postgres.Dataset
	record  buildRecord
	built   bool
	linkNow bool // the entities not linked yet are to be linked
}

// step announces a part of the run on the progress writer.
func (b *bencher) step(format string, a ...any) {
	fmt.Fprintf(b.w, "== %s (%s into the run)\n", fmt.Sprintf(format, a...), fmtDuration(time.Since(b.report.Started).Round(time.Second)))
}

func (b *bencher) add(r benchRow) { b.report.Rows = append(b.report.Rows, r) }

func (b *bencher) run(ctx context.Context) error {
	if err := b.prepare(ctx); err != nil {
		return err
	}
	defer b.db.Close()
	if v, g, err := b.db.ServerVersions(ctx); err == nil {
		b.report.Machine.Postgres, b.report.Machine.PostGIS = v, g
	}
	if err := b.buildFigures(ctx); err != nil {
		return err
	}
	if err := b.flags(ctx); err != nil {
		return err
	}
	return b.serving(ctx)
}

// prepare opens the database, building it when it cannot be reused.
func (b *bencher) prepare(ctx context.Context) error {
	exists := true
	name := b.o.database
	if b.o.url == "" {
		c, err := cluster.New(b.o.dataDir)
		if err != nil {
			return err
		}
		c.Log = b.w
		if err := c.Start(ctx); err != nil {
			return err
		}
		b.cluster, b.url = c, c.URL(name)
		if exists, err = c.DatabaseExists(ctx, name); err != nil {
			return err
		}
	} else {
		b.url = b.o.url
		if u, err := url.Parse(b.url); err == nil {
			name = strings.TrimPrefix(u.Path, "/")
		}
	}
	b.step("database %s", name)
	if b.o.rebuild || !exists {
		return b.build(ctx, name, map[bool]string{true: "-rebuild", false: "it does not exist"}[b.o.rebuild])
	}
	db, err := b.open(ctx)
	if err != nil {
		return err
	}
	m, err := db.Migrator()
	if err != nil {
		db.Close()
		return err
	}
	current, target, err := m.Versions(ctx)
	migrate := false
	if err == nil {
		migrate, err = schemaCheck(name, current, target)
	}
	if err == nil && migrate {
		fmt.Fprintf(b.w, "applying the migrations after %d, to %d\n", current, target)
		err = m.Up(ctx, b.log)
	}
	m.Close()
	if err != nil {
		db.Close()
		return err
	}
	ds, ok, err := db.Dataset(ctx)
	var have demo.Totals
	var unlinked int
	if err == nil && ok {
		fmt.Fprintln(b.w, "counting the library and the entities...")
		if have, err = db.LibraryCounts(ctx); err == nil {
			unlinked, err = db.CountEntities(ctx, true)
		}
	}
	if err != nil {
		db.Close()
		return err
	}
	plan := planBench(ds, ok, have, unlinked, b.o.scale)
	if plan.Build {
		db.Close()
		return b.build(ctx, name, plan.Why)
	}
	fmt.Fprintf(b.w, "reusing %s: %s\n", name, plan.Why)
	b.db, b.dataset, b.linkNow = db, ds, plan.Link
	if b.record, err = readBuildRecord(ctx, db); err != nil {
		return err
	}
	b.report.Database = b.describe(name, have, "reused")
	return nil
}

func (b *bencher) open(ctx context.Context) (*postgres.DB, error) {
	return postgres.Open(ctx, b.url, postgres.Options{MaxConns: int32(b.cfg.DBMaxConns), StatementTimeout: b.cfg.StatementTimeout})
}

// describe is the report's line on the database.
func (b *bencher) describe(name string, have demo.Totals, how string) string {
	ds := b.dataset
	return fmt.Sprintf("`%s`, the %s scale (seed %d) loaded %s: %s entities, %s buildings, %s doorplates, %s rooms, %s grids; %s.",
		name, ds.Scale, ds.Seed, ds.LoadedAt.UTC().Format(time.DateOnly), fmtCount(have.Entities), fmtCount(have.Buildings),
		fmtCount(have.Doorplates), fmtCount(have.Rooms), fmtCount(have.Grids), how)
}

// build drops, creates and loads the database, timing the load.
func (b *bencher) build(ctx context.Context, name, why string) error {
	fmt.Fprintf(b.w, "building %s (%s)\n", name, why)
	if b.cluster != nil {
		if err := b.cluster.CreateDatabase(ctx, name, true); err != nil {
			return err
		}
	}
	db, err := b.open(ctx)
	if err != nil {
		return err
	}
	if err := migrateUp(ctx, db, b.log); err != nil {
		db.Close()
		return err
	}
	if b.cluster == nil {
		// A database given by URL is never dropped: load only an empty one.
		if empty, err := db.Empty(ctx); err != nil || !empty {
			db.Close()
			return cmp.Or(err, fmt.Errorf("bench: %s cannot be reused (%s) and, given by -database-url, is not dropped: give an empty database", name, why))
		}
	}
	b.db, b.built, b.record = db, true, buildRecord{}
	b.step("load the %s-scale city", b.o.scale)
	start := time.Now()
	if err := loadDemo(ctx, db, demo.Config{Scale: b.o.scale, Seed: 1, Until: time.Now().In(supervision.Beijing)}, b.log, b.w); err != nil {
		return err
	}
	took := time.Since(start)
	ds, _, err := db.Dataset(ctx)
	if err != nil {
		return err
	}
	b.dataset = ds
	b.record.Load = b.figure(took, ds.Counts.Rows(), "")
	if err := writeBuildRecord(ctx, db, b.record); err != nil {
		return err
	}
	have, err := db.LibraryCounts(ctx)
	if err != nil {
		return err
	}
	b.report.Database = b.describe(name, have, "built by this run")
	return nil
}

// figure is a build figure measured now.
func (b *bencher) figure(took time.Duration, rows int, detail string) *buildFigure {
	return &buildFigure{Seconds: took.Seconds(), Rows: rows, Detail: detail, MeasuredAt: time.Now().UTC(), Commit: b.commit}
}

// recorded says where a build figure comes from.
func (b *bencher) recorded(f *buildFigure) string {
	if f.MeasuredAt.After(b.report.Started) {
		return "measured by this run"
	}
	return fmt.Sprintf("recorded %s at %s, when the database was built (-rebuild measures again)", f.MeasuredAt.Format(time.DateOnly), f.Commit)
}

// buildFigures reports the load, and measures the link and the bulk import
// when the database was built or has no record of them.
func (b *bencher) buildFigures(ctx context.Context) error {
	if f := b.record.Load; f != nil {
		b.add(benchRow{What: fmt.Sprintf("load the %s scale into an empty database (generate, COPY, indexes; one transaction)", b.o.scale),
			Value: fmt.Sprintf("%s (%s rows)", fmtDuration(f.took()), fmtCount(f.Rows)), Target: "≤ 15 min",
			Checks: []benchCheck{{Name: "time", Got: f.took().Minutes(), Limit: 15, Unit: " min"}}, Note: b.recorded(f)})
	} else {
		b.add(benchRow{What: fmt.Sprintf("load the %s scale into an empty database", b.o.scale), Value: "not recorded",
			Target: "≤ 15 min", Note: "the database was built before the suite kept records: -rebuild measures it"})
	}
	linkAll := b.record.Link == nil
	importNow := b.record.Import == nil && (b.built || !b.o.skipImport)
	if linkAll || importNow || b.linkNow {
		// One index for the link and the import, dropped before the
		// service builds its own.
		b.step("build an address index for the link and the import")
		index := postgres.NewAddressIndex(b.db, b.log)
		if err := index.Load(ctx); err != nil {
			return err
		}
		ix := index.Index()
		if linkAll || b.linkNow {
			if err := b.link(ctx, ix, linkAll); err != nil {
				return err
			}
		}
		if importNow {
			if err := b.bulkImport(ctx, ix); err != nil {
				return err
			}
		}
		index, ix = nil, nil
		runtime.GC()
		debug.FreeOSMemory()
	}
	if f := b.record.Import; f != nil {
		b.add(benchRow{What: fmt.Sprintf("bulk import of %s entities (NDJSON: read, validated, linked, written in one transaction)", fmtCount(f.Rows)),
			Value: fmt.Sprintf("%s (%s/s)", fmtDuration(f.took()), fmtCount(float64(f.Rows)/f.Seconds)),
			Note:  "into the entities emptied within the import's transaction, rolled back; " + f.Detail + "; " + b.recorded(f)})
	} else {
		b.add(benchRow{What: "bulk import of the entities (NDJSON)", Value: "not recorded", Note: "-skip-import: a run without it measures it"})
	}
	if f := b.record.Link; f != nil {
		b.add(benchRow{What: fmt.Sprintf("link all %s entities (match, compare, write the changed links)", fmtCount(f.Rows)),
			Value: fmt.Sprintf("%s (%s/s)", fmtDuration(f.took()), fmtCount(float64(f.Rows)/f.Seconds)), Target: "≤ 5 min",
			Checks: []benchCheck{{Name: "time", Got: f.took().Minutes(), Limit: 5, Unit: " min"}},
			Note:   "gridsentry link -all; " + f.Detail + "; " + b.recorded(f)})
	}
	return nil
}

// link links every entity (all: and records the time) or those not linked
// yet.
func (b *bencher) link(ctx context.Context, ix *addressbook.Index, all bool) error {
	total, err := b.db.CountEntities(ctx, !all)
	if err != nil {
		return err
	}
	b.step("link %s entities", fmtCount(total))
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(b.w), progressbar.OptionSetDescription("linking entities"),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionThrottle(time.Second),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(b.w) }))
	stats, err := b.db.LinkEntities(ctx, ix, postgres.LinkScope{All: all, Pending: !all}, func(n int) { _ = bar.Set(n) })
	_ = bar.Finish()
	if err != nil {
		return fmt.Errorf("bench: link: %w", err)
	}
	if !all {
		return nil
	}
	b.record.Link = b.figure(stats.Duration, stats.Read, fmt.Sprintf("%s links changed; matched %s, ambiguous %s, not found %s",
		fmtCount(stats.Changed), fmtCount(stats.ByStatus[addressbook.Matched]), fmtCount(stats.ByStatus[addressbook.Ambiguous]),
		fmtCount(stats.ByStatus[addressbook.NotFound])))
	return writeBuildRecord(ctx, b.db, b.record)
}

// bulkImport writes every entity as an NDJSON import file, then imports
// the file as gridsentry import entities does, into the entities emptied
// within the import's transaction, and rolls it back.
func (b *bencher) bulkImport(ctx context.Context, ix *addressbook.Index) error {
	dir := cmp.Or(b.o.out, os.TempDir())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := filepath.Join(dir, "entities-"+string(b.o.scale)+".ndjson")
	b.step("write the entities as an import file, %s", name)
	n, err := writeEntityFile(ctx, b.db, name)
	if err != nil {
		return err
	}
	defer os.Remove(name)
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	b.step("bulk import of %s entities into the emptied entities (rolled back)", fmtCount(n))
	policy, err := b.cfg.policy()
	if err != nil {
		return err
	}
	start := time.Now()
	bar := byteBar(b.w, st.Size(), "importing "+filepath.Base(name))
	lines, err := newEntityLines(io.TeeReader(f, bar), false)
	if err != nil {
		return err
	}
	im, err := b.db.BeginScratchEntityImport(ctx, postgres.WriteOptions{Source: "import", Policy: policy})
	if err != nil {
		return err
	}
	defer im.Rollback(context.WithoutCancel(ctx))
	rep, err := importEntities(ctx, im, ix, lines, func(supervision.LineError) error { return nil })
	if err != nil {
		return fmt.Errorf("bench: bulk import: %w", err)
	}
	took := time.Since(start)
	_ = bar.Finish()
	if err := im.Rollback(ctx); err != nil {
		return err
	}
	b.record.Import = b.figure(took, rep.Lines, fmt.Sprintf("%s created, %s rejected, a %s file", fmtCount(rep.Created), fmtCount(rep.Rejected), fmtBytes(st.Size())))
	return writeBuildRecord(ctx, b.db, b.record)
}

// writeEntityFile writes every entity of db to name as NDJSON lines of an
// import, returning how many.
func writeEntityFile(ctx context.Context, db *postgres.DB, name string) (int, error) {
	f, err := os.Create(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	err = db.EachEntity(ctx, supervision.EntityFilter{}, func(r supervision.EntityRecord) error {
		n++
		return enc.Encode(supervision.InputOf(r.Entity))
	})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Close()
	}
	return n, err
}

// flags times the full evaluation of the flag rules: the first of the
// database's, raising every flag, when it has none yet, then the steady
// state serve repeats every few hours.
func (b *bencher) flags(ctx context.Context) error {
	fc, err := b.cfg.flagConfig()
	if err != nil {
		return err
	}
	b.db.SetFlagConfig(fc)
	last, err := b.db.LastFullFlagRun(ctx)
	if err != nil {
		return err
	}
	recompute := func(what string) (postgres.FlagRun, error) {
		b.step("%s", what)
		bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(b.w), progressbar.OptionSetDescription("evaluating the flag rules"),
			progressbar.OptionShowCount(), progressbar.OptionThrottle(time.Second), progressbar.OptionOnCompletion(func() { fmt.Fprintln(b.w) }))
		run, err := b.db.RecomputeFlags(ctx, time.Now(), func(done, total int) {
			bar.ChangeMax(total)
			_ = bar.Set(done)
		})
		_ = bar.Finish()
		return run, err
	}
	if last.IsZero() {
		run, err := recompute("the first full evaluation of the flag rules")
		if err != nil {
			return err
		}
		b.record.FlagsFirst = b.figure(run.Took, run.Entities, fmt.Sprintf("%s findings: %s", fmtCount(run.Findings), changeSummary(run.Changes)))
		if err := writeBuildRecord(ctx, b.db, b.record); err != nil {
			return err
		}
	}
	if f := b.record.FlagsFirst; f != nil {
		b.add(benchRow{What: "flag recompute, the first (raising every flag)", Value: fmtDuration(f.took()),
			Note: fmt.Sprintf("%s entities, %s; %s", fmtCount(f.Rows), f.Detail, b.recorded(f))})
	}
	run, err := recompute("the full evaluation of the flag rules, steady state")
	if err != nil {
		return err
	}
	b.add(benchRow{What: "flag recompute: every rule over every entity, steady state (serve repeats it every 6 h)",
		Value: fmt.Sprintf("%s (facts %s)", fmtDuration(run.Took), fmtDuration(run.FactsTook)), Target: "≤ 2 min",
		Checks: []benchCheck{{Name: "time", Got: run.Took.Minutes(), Limit: 2, Unit: " min"}},
		Note:   fmt.Sprintf("gridsentry flags recompute; %s entities, %s findings, %s", fmtCount(run.Entities), fmtCount(run.Findings), changeSummary(run.Changes))})
	return nil
}

// serving starts the service in process and measures it.
func (b *bencher) serving(ctx context.Context) error {
	b.step("generate %s typed addresses of the city", fmtCount(b.o.cases))
	cases, err := demo.GenerateAddressCases(ctx, demo.Config{Scale: b.dataset.Scale, Seed: b.dataset.Seed}, b.o.cases)
	if err != nil {
		return err
	}
	// What came before is not the serving process's: start its memory
	// afresh.
	runtime.GC()
	debug.FreeOSMemory()
	var rss peakRSS
	rss.reset()

	b.step("start the service")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	svc, err := startService(ctx, &b.cfg, b.db, b.log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- svc.srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-served
		svc.wait()
	}()
	heap := watchMemory(100 * time.Millisecond)
	indexTook, err := waitFor(ctx, start, "address index", func() bool { return svc.index.Index() != nil })
	if err != nil {
		return err
	}
	coverageTook, err := waitFor(ctx, start, "tile coverage", func() bool { return svc.tiles.coverage.Ready(ctx) == nil })
	if err != nil {
		return err
	}
	runtime.GC()
	after := readMemory()
	st := svc.index.Index().Stats()
	b.add(benchRow{What: "build the address index from PostGIS, at start", Value: fmtDuration(indexTook), Target: "≤ 60 s",
		Checks: []benchCheck{{Name: "time", Got: indexTook.Seconds(), Limit: 60, Unit: " s"}},
		Note:   fmt.Sprintf("%s doorplates, %s rooms; in the background of serve, which answers meanwhile", fmtCount(st.Doorplates), fmtCount(st.Rooms))})
	b.add(benchRow{What: "load the coverage of the tiles, at start", Value: fmtDuration(coverageTook),
		Note: fmt.Sprintf("%s active located entities; alongside the address index", fmtCount(svc.tiles.coverage.Index.Len()))})

	token, tokenID, err := b.db.CreateToken(ctx, auth.Principal{Role: auth.Admin}, time.Hour, "gridsentry bench")
	if err != nil {
		return err
	}
	defer b.db.RevokeToken(context.WithoutCancel(ctx), tokenID)
	client := newSoakClient("http://"+ln.Addr().String(), token, 256)
	defer client.hc.CloseIdleConnections()

	b.validation(ctx, svc.index.Index(), cases, client)
	if err := b.tiles(ctx, svc, client); err != nil {
		return err
	}
	if err := b.stats(ctx, client); err != nil {
		return err
	}
	peakBefore, err := b.export(ctx, client, &rss)
	if err != nil {
		return err
	}
	peakHeap := heap.stop()
	peak := max(peakBefore, rss.read())
	b.add(benchRow{What: "memory of the serving process after start (address index and coverage loaded)",
		Value: fmt.Sprintf("RSS %s, heap in use %s", fmtBytes(after.rss), fmtBytes(after.heapInuse)), Target: "RSS ≤ 1.5 GB",
		Checks: []benchCheck{{Name: "RSS", Got: float64(after.rss) / 1e6, Limit: 1500, Unit: " MB"}},
		Note:   "after a collection; the service as serve runs it, in this process"})
	b.add(benchRow{What: "memory of the serving process, peak over the run", Value: fmt.Sprintf("RSS %s, heap in use %s", fmtBytes(peak), fmtBytes(peakHeap)),
		Target: "RSS ≤ 1.5 GB", Checks: []benchCheck{{Name: "RSS", Got: float64(peak) / 1e6, Limit: 1500, Unit: " MB"}},
		Note: "VmHWM from the service's start (index build included) to the end, the requests' own memory included; heap sampled every 100 ms"})
	return nil
}

// readyWithin is how long the service may take to load its indexes.
const readyWithin = 20 * time.Minute

// waitFor polls ready every 50 ms and returns how long after start it
// became true, or an error once readyWithin has passed.
func waitFor(ctx context.Context, start time.Time, what string, ready func() bool) (time.Duration, error) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for !ready() {
		if time.Since(start) > readyWithin {
			return 0, fmt.Errorf("bench: the service did not load its %s within %s (its warnings are above)", what, readyWithin)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-t.C:
		}
	}
	return time.Since(start), nil
}

// validation measures the address matcher in process on one goroutine,
// then POST /v1/addresses/validate over HTTP at a fixed rate.
func (b *bencher) validation(ctx context.Context, ix *addressbook.Index, cases []demo.AddressCase, client *soakClient) {
	b.step("validate addresses in process for %s", b.o.matchFor)
	var tally demo.Tally
	for _, c := range cases {
		tally.Add(c, ix.Match(c.Text, ""))
	}
	n, start := 0, time.Now()
	for ; time.Since(start) < b.o.matchFor; n++ {
		ix.Match(cases[n%len(cases)].Text, "")
	}
	rate := float64(n) / time.Since(start).Seconds()
	b.add(benchRow{What: "validate addresses in process, one goroutine", Value: fmtCount(rate) + " addresses/s", Target: "≥ 20,000/s",
		Checks: []benchCheck{{Name: "rate", Got: rate, Limit: 20000, AtLeast: true, Unit: "/s"}},
		Note: fmt.Sprintf("%s typed addresses of the generator: %.2f%% of the existing ones to the right address, %.2f%% of the made-up ones matched",
			fmtCount(len(cases)), tally.Top1(), tally.FalseMatches())})

	b.step("validate over HTTP, %.0f requests/s for %s", b.o.validateRate, b.o.validateFor)
	bodies := make([][]byte, len(cases))
	for i, c := range cases {
		bodies[i], _ = json.Marshal(map[string]string{"address": c.Text})
	}
	ramp := min(2*time.Second, b.o.validateFor/3)
	loop := newOpenLoop(b.o.validateRate, b.o.validateFor, ramp, 256)
	stats := newSoakStats()
	reqCtx := context.WithoutCancel(ctx)
	loop.run(ctx, time.Now(), func(i int64, due time.Time) {
		ctx, cancel := context.WithTimeout(reqCtx, 10*time.Second)
		defer cancel()
		status, _ := client.send(ctx, soakRequest{method: http.MethodPost, path: "/v1/addresses/validate", body: bodies[i%int64(len(bodies))]})
		// From when it was due, as the soak does: a late start is the
		// server's slowness too.
		stats.add("validate", status, time.Since(due))
	})
	loop.wait()
	rows := stats.rows(false)
	r := rows[len(rows)-1]
	b.add(benchRow{What: fmt.Sprintf("POST /v1/addresses/validate at %.0f/s for %s: p50 / p95 / p99", b.o.validateRate, b.o.validateFor),
		Value: fmt.Sprintf("%.1f / %.1f / %.1f ms", r.P50ms, r.P95ms, r.P99ms), Target: "p99 ≤ 10 ms",
		Checks: []benchCheck{{Name: "p99", Got: r.P99ms, Limit: 10, Unit: " ms"}, {Name: "failed or dropped", Got: float64(r.Failed + loop.dropped.Load()), Limit: 0}},
		Note: fmt.Sprintf("%s answered, %s failed, %s dropped; max %.1f ms; from this process over the loopback, open loop (latency from when each was due), reaching the rate over %s",
			fmtCount(r.Answered), fmtCount(r.Failed), fmtCount(loop.dropped.Load()), r.MaxMs, fmtDuration(ramp))})
}

// tiles measures the fixed list of tiles of tiles bench cold and warm, by
// zoom, and cached tiles over HTTP.
func (b *bencher) tiles(ctx context.Context, svc *service, client *soakClient) error {
	anchors, err := benchAnchors(ctx, b.db)
	if err != nil {
		return err
	}
	if b.o.tileAnchors > 0 {
		anchors = anchors[:min(len(anchors), b.o.tileAnchors)]
	}
	b.step("vector tiles: %d anchors, zooms 8 to 16, cold and warm", len(anchors))
	h := svc.srv.Handler()
	get := func(path string, gzip bool) (*httptest.ResponseRecorder, time.Duration) {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+client.token)
		if gzip {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		return rec, time.Since(t0)
	}
	list, err := measureTileList(anchors, get, func() { svc.tiles.cache.Flush() })
	if err != nil {
		return err
	}
	b.report.Rows = append(b.report.Rows, tileRows(list, len(anchors))...)

	var paths []string
	largest, largestPath := 0, ""
	for _, r := range list {
		paths = append(paths, r.paths...)
		if n, p := r.largest(); n > largest {
			largest, largestPath = n, p
		}
	}
	for _, p := range paths {
		get(p, true) // cached again: measuring each cold flushed the others
	}
	b.step("cached tiles over HTTP, %d clients for %s", b.o.tileClients, b.o.tilesFor)
	tp := cachedThroughput(ctx, client.base, http.Header{"Authorization": {"Bearer " + client.token}}, paths, b.o.tilesFor, b.o.tileClients)
	b.add(benchRow{What: fmt.Sprintf("cached tiles over HTTP, %d clients", b.o.tileClients), Value: fmtCount(tp.perSecond()) + " tiles/s",
		Target: "≥ 10,000/s", Checks: []benchCheck{{Name: "rate", Got: tp.perSecond(), Limit: 10000, AtLeast: true, Unit: "/s"}},
		Note: fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, %d failed; the list's tiles, gzipped, over the loopback from this process",
			ms(pct(tp.latencies, 50)), ms(pct(tp.latencies, 99)), tp.failed)})
	b.add(benchRow{What: "largest tile of the list", Value: fmt.Sprintf("%.1f KB", float64(largest)/1024), Target: "≤ 500 KB",
		Checks: []benchCheck{{Name: "size", Got: float64(largest) / 1024, Limit: 500, Unit: " KB"}},
		Note:   largestPath + " uncompressed; gridsentry tiles bench also sweeps the city from z6 to z12"})
	return nil
}

// tileSetNames are the short names of benchLayerSets in the table.
var tileSetNames = map[string]string{
	benchLayerSets[0].layers: "buildings",
	benchLayerSets[1].layers: "table layers",
	benchLayerSets[2].layers: "coverage",
}

// tileRows makes one row per zoom of the list's measurements: each layer
// set's cold p50 / p95, and the warm p50 of them all, judged against the
// targets (uncached building tiles p95 ≤ 50 ms at z14 to z16, coverage
// tiles p95 ≤ 100 ms at any zoom).
func tileRows(list []tileZoom, anchors int) []benchRow {
	byZoom := map[int][]tileZoom{}
	var zooms []int
	for _, r := range list {
		if _, ok := byZoom[r.z]; !ok {
			zooms = append(zooms, r.z)
		}
		byZoom[r.z] = append(byZoom[r.z], r)
	}
	slices.Sort(zooms)
	var rows []benchRow
	for _, z := range zooms {
		var parts, targets []string
		var checks []benchCheck
		var warm []time.Duration
		for _, r := range byZoom[z] {
			name := cmp.Or(tileSetNames[r.layers], r.layers)
			p95 := pct(r.cold, 95)
			parts = append(parts, fmt.Sprintf("%s %s / %s", name, fmtMS(pct(r.cold, 50)), fmtMS(p95)))
			warm = append(warm, r.warm...)
			switch name {
			case "buildings":
				targets = append(targets, "buildings p95 ≤ 50 ms")
				checks = append(checks, benchCheck{Name: "buildings p95", Got: msOf(p95), Limit: 50, Unit: " ms"})
			case "coverage":
				targets = append(targets, "coverage p95 ≤ 100 ms")
				checks = append(checks, benchCheck{Name: "coverage p95", Got: msOf(p95), Limit: 100, Unit: " ms"})
			}
		}
		rows = append(rows, benchRow{What: fmt.Sprintf("vector tiles z%d, cold p50 / p95 (ms)", z), Value: strings.Join(parts, "; "),
			Target: strings.Join(targets, ", "), Checks: checks,
			Note: fmt.Sprintf("warm p50 %s; %d tiles of each set (the tiles of %d anchors), built in process with the cache flushed, gzip",
				fmtDuration(pct(warm, 50)), len(byZoom[z][0].cold), anchors)})
	}
	return rows
}

// statsQueries are the statistics queries gridsentry bench measures: the route as the
// OpenAPI document names it, and the URL asked, {town} and {village}
// standing for a town's and a village's code.
var statsQueries = []struct{ what, route, url string }{
	{"towns", "/v1/stats/towns", "/v1/stats/towns"},
	{"towns as CSV", "/v1/stats/towns", "/v1/stats/towns?format=csv"},
	{"a town's villages", "/v1/stats/towns/{code}/villages", "/v1/stats/towns/{town}/villages"},
	{"a village's grids", "/v1/stats/villages/{code}/grids", "/v1/stats/villages/{village}/grids"},
	{"departments", "/v1/stats/departments", "/v1/stats/departments"},
	{"trend of the city", "/v1/stats/trend", "/v1/stats/trend"},
	{"trend of a town", "/v1/stats/trend", "/v1/stats/trend?town={town}"},
	{"industries", "/v1/stats/industries", "/v1/stats/industries"},
	{"complaints by town", "/v1/stats/complaints", "/v1/stats/complaints"},
	{"complaints by village of a town", "/v1/stats/complaints", "/v1/stats/complaints?town={town}"},
	{"lead flows", "/v1/stats/leads", "/v1/stats/leads"},
}

// places returns the town and the village the statistics queries and the
// town export ask for: the first town by code and its first village.
func (b *bencher) places(ctx context.Context) (town, village string, err error) {
	towns, err := b.db.Divisions(ctx, addressbook.DivisionFilter{Level: addressbook.LevelTown})
	if err != nil || len(towns) == 0 {
		return "", "", cmp.Or(err, errors.New("bench: the city has no towns"))
	}
	villages, err := b.db.Divisions(ctx, addressbook.DivisionFilter{Level: addressbook.LevelVillage, TownCode: towns[0].Code})
	if err != nil || len(villages) == 0 {
		return "", "", cmp.Or(err, fmt.Errorf("bench: town %s has no villages", towns[0].Code))
	}
	return towns[0].Code, villages[0].Code, nil
}

// stats times each statistics query: the first answer and repeats.
func (b *bencher) stats(ctx context.Context, client *soakClient) error {
	b.step("statistics queries")
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if err := client.getJSON(ctx, "/openapi.json", &doc); err != nil {
		return err
	}
	town, village, err := b.places(ctx)
	if err != nil {
		return err
	}
	for _, s := range statsQueries {
		path := strings.NewReplacer("{town}", town, "{village}", village).Replace(s.url)
		row := benchRow{What: "GET " + path, Target: "≤ 1 s"}
		if _, ok := doc.Paths[s.route]; !ok {
			row.Value = "n/a (endpoint not on this build)"
			b.add(row)
			continue
		}
		var took []time.Duration
		failed := ""
		for range 1 + b.o.statsRepeat {
			req, err := client.request(ctx, http.MethodGet, path, nil, nil)
			if err != nil {
				return err
			}
			t0 := time.Now()
			resp, err := client.hc.Do(req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			took = append(took, time.Since(t0))
			if err == nil && resp.StatusCode != http.StatusOK {
				err = errors.New(resp.Status)
			}
			if err != nil {
				failed = err.Error()
				break
			}
		}
		worst := slices.Max(took)
		if failed != "" {
			row.Value = "failed: " + failed
			row.Checks = []benchCheck{{Name: "answer", Got: math.NaN(), Limit: 1, Unit: " s"}}
		} else {
			row.Value = fmt.Sprintf("first %s, then p50 %s", fmtDuration(took[0]), fmtDuration(pct(took[1:], 50)))
			if len(took) == 1 {
				row.Value = "first " + fmtDuration(took[0])
			}
			row.Checks = []benchCheck{{Name: "slowest", Got: worst.Seconds(), Limit: 1, Unit: " s"}}
		}
		row.Note = fmt.Sprintf("%s; asked %d times, the slowest %s", s.what, len(took), fmtDuration(worst))
		b.add(row)
	}
	return nil
}

// export streams the entities of one town, then every entity, through GET
// /v1/entities/export, noting the live heap and the resident size while
// each runs: memory that grows with the rows shows as a larger rise for
// all of them than for the one town. It returns the peak resident size of
// the run before the exports.
func (b *bencher) export(ctx context.Context, client *soakClient, rss *peakRSS) (uint64, error) {
	before := rss.read()
	town, _, err := b.places(ctx)
	if err != nil {
		return before, err
	}
	b.step("export one town's entities and every entity, NDJSON, streamed")
	one, err := exportOnce(ctx, client, rss, "/v1/entities/export?format=ndjson&town="+town)
	if err != nil {
		return before, err
	}
	all, err := exportOnce(ctx, client, rss, "/v1/entities/export?format=ndjson")
	if err != nil {
		return before, err
	}
	b.add(benchRow{What: fmt.Sprintf("export every entity: GET /v1/entities/export?format=ndjson, %s rows", fmtCount(all.rows)),
		Value:  fmt.Sprintf("%s (%s rows/s, %s)", fmtDuration(all.took), fmtCount(float64(all.rows)/all.took.Seconds()), fmtBytes(all.bytes)),
		Target: "constant memory",
		Note: fmt.Sprintf("streamed over the loopback; while it ran the RSS peaked %+d MiB above its start and the live heap rose %+d MiB from %s "+
			"(a collection counts live what is allocated while it marks, more the larger the heap); for the %s rows of town %s: %+d MiB and %+d MiB",
			mibDelta(all.peakRSS, all.start.rss), mibDelta(all.maxLive, all.start.liveHeap), fmtBytes(all.start.liveHeap),
			fmtCount(one.rows), town, mibDelta(one.peakRSS, one.start.rss), mibDelta(one.maxLive, one.start.liveHeap))})
	return before, nil
}

// exportRun is what one export measured.
type exportRun struct {
	rows, bytes int64
	took        time.Duration
	start       memReading // after a collection, before the export
	maxLive     uint64     // the largest live heap while it ran
	peakRSS     uint64
}

// exportOnce asks for path and reads the export to its end.
func exportOnce(ctx context.Context, client *soakClient, rss *peakRSS, path string) (exportRun, error) {
	var r exportRun
	runtime.GC()
	r.start = readMemory()
	rss.reset()
	live := watchLiveHeap(50 * time.Millisecond)
	defer live.stop()
	req, err := client.request(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return r, err
	}
	t0 := time.Now()
	resp, err := client.hc.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return r, fmt.Errorf("bench: %s: %s: %s", path, resp.Status, msg)
	}
	var count lineCounter
	if _, err := io.Copy(&count, resp.Body); err != nil {
		return r, err
	}
	r.took, r.rows, r.bytes = time.Since(t0), count.lines, count.bytes
	r.maxLive, r.peakRSS = live.stop(), rss.read()
	return r, nil
}

// mibDelta returns a − b in whole MiB.
func mibDelta(a, b uint64) int64 { return int64(math.Round((float64(a) - float64(b)) / (1 << 20))) }

// lineCounter counts the bytes and lines written to it.
type lineCounter struct{ bytes, lines int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.bytes += int64(len(p))
	for _, x := range p {
		if x == '\n' {
			c.lines++
		}
	}
	return len(p), nil
}

// memReading is the process's memory at one moment.
type memReading struct {
	heapInuse uint64 // spans in use by the heap (Go's HeapInuse)
	liveHeap  uint64 // the heap marked live by the last collection
	rss       uint64
}

var memMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes", "/gc/heap/live:bytes"}

// readMemory reads the process's memory without stopping the world.
func readMemory() memReading {
	s := make([]metrics.Sample, len(memMetrics))
	for i, name := range memMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	m := memReading{heapInuse: s[0].Value.Uint64() + s[1].Value.Uint64(), liveHeap: s[2].Value.Uint64()}
	if p, err := procfs.Self(); err == nil {
		if st, err := p.NewStatus(); err == nil {
			m.rss = st.VmRSS
		}
	}
	return m
}

// peakRSS reads the process's peak resident size (VmHWM), which reset
// starts afresh from the present one (Linux's clear_refs); where it cannot
// be reset the peak is from the process's start.
type peakRSS struct{}

func (peakRSS) reset() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func (peakRSS) read() uint64 {
	p, err := procfs.Self()
	if err != nil {
		return 0
	}
	st, err := p.NewStatus()
	if err != nil {
		return 0
	}
	return st.VmHWM
}

// memWatch samples the process's memory until stopped, keeping the
// largest value of one reading.
type memWatch struct {
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
	max  uint64
}

func watch(every time.Duration, of func(memReading) uint64) *memWatch {
	w := &memWatch{done: make(chan struct{}), max: of(readMemory())}
	w.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-t.C:
				w.max = max(w.max, of(readMemory()))
			}
		}
	})
	return w
}

// watchMemory keeps the largest heap in use.
func watchMemory(every time.Duration) *memWatch {
	return watch(every, func(m memReading) uint64 { return m.heapInuse })
}

// watchLiveHeap keeps the largest live heap.
func watchLiveHeap(every time.Duration) *memWatch {
	return watch(every, func(m memReading) uint64 { return m.liveHeap })
}

// stop ends the sampling and returns the largest value read; it may be
// called again.
func (w *memWatch) stop() uint64 {
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
	return w.max
}

// writeReadme puts table into the README at path, between the markers of
// scale.
func writeReadme(path string, scale demo.Scale, table string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := spliceReadme(string(doc), scale, table)
	if err != nil {
		return fmt.Errorf("bench: %s: %w", path, err)
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

// benchReadme puts the newest table of dir for scale into the README.
func benchReadme(dir, readme string, scale demo.Scale, stdout io.Writer) error {
	names, err := filepath.Glob(filepath.Join(dir, string(scale)+"-*.md"))
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("bench readme: no %s-scale table in %s: run gridsentry bench -scale %s first", scale, dir, scale)
	}
	slices.Sort(names) // named by time
	newest := names[len(names)-1]
	table, err := os.ReadFile(newest)
	if err != nil {
		return err
	}
	if err := writeReadme(readme, scale, string(table)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: the table of %s\n", readme, newest)
	return nil
}
