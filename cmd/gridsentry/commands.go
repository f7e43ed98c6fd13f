package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/cluster"
	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/web"
)

// parse parses a command's flags, refusing stray arguments past want.
func parse(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > maxArgs {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(maxArgs))
	}
	return checkEnv()
}

// openDatabase connects to DATABASE_URL or, when it is empty, to a database
// in the private cluster, starting the cluster and creating the database if
// needed.
func openDatabase(ctx context.Context, cfg *config, log *slog.Logger, progress io.Writer) (*postgres.DB, error) {
	dbURL := cfg.DatabaseURL
	if dbURL == "" {
		c, err := cluster.New(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		c.Log = progress
		if err := c.Start(ctx); err != nil {
			return nil, err
		}
		if err := c.CreateDatabase(ctx, cfg.Database, false); err != nil {
			return nil, err
		}
		dbURL = c.URL(cfg.Database)
		log.Info("private PostgreSQL cluster", "dir", c.Dir, "port", c.Port, "database", cfg.Database)
	}
	return postgres.Open(ctx, dbURL, postgres.Options{
		MaxConns:         int32(cfg.DBMaxConns),
		StatementTimeout: cfg.StatementTimeout,
	})
}

// openReady opens the database as openDatabase does and checks that it is
// migrated, for the commands that work on a database the service runs on.
func openReady(ctx context.Context, cfg *config, log *slog.Logger, progress io.Writer, command string) (*postgres.DB, error) {
	db, err := openDatabase(ctx, cfg, log, progress)
	if err != nil {
		return nil, err
	}
	if err := db.Ready(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w (run gridsentry migrate up first)", command, err)
	}
	return db, nil
}

func migrateUp(ctx context.Context, db *postgres.DB, log *slog.Logger) error {
	m, err := db.Migrator()
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Up(ctx, log); err != nil {
		return err
	}
	// A database without departments gets the default departments, scope
	// rules and inspection items; later edits are kept.
	return db.SeedDefaults(ctx)
}

// runDev is the embedded default: private cluster, migrations, demo city
// when the database is empty, then serve.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.registerDatabase(fs)
	cfg.registerReads(fs)
	cfg.registerHTTP(fs)
	cfg.registerPolicy(fs)
	cfg.registerFlagRules(fs)
	city := demoFlags(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	dc, err := city()
	if err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	log.Info("gridsentry dev", append([]any{"version", versionString()}, cfg.logValues()...)...)
	db, err := openDatabase(ctx, &cfg, log, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrateUp(ctx, db, log); err != nil {
		return err
	}
	empty, err := db.Empty(ctx)
	if err != nil {
		return err
	}
	if empty {
		if err := loadDemo(ctx, db, dc, log, stderr); err != nil {
			return err
		}
	}
	// A local admin token for the developer at this machine, printed once.
	if cfg.devToken, _, err = db.CreateToken(ctx, auth.Principal{Role: auth.Admin}, 24*time.Hour, "gridsentry dev"); err != nil {
		return err
	}
	return serve(ctx, &cfg, db, log, stdout)
}

// runServe serves an existing database.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.registerDatabase(fs)
	cfg.registerReads(fs)
	cfg.registerHTTP(fs)
	cfg.registerPolicy(fs)
	cfg.registerFlagRules(fs)
	migrate := fs.Bool("migrate", false, "apply pending migrations before serving")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("serve needs DATABASE_URL (or -database-url); for the private cluster and demo city run: gridsentry dev")
	}
	log.Info("gridsentry serve", append([]any{"version", versionString()}, cfg.logValues()...)...)
	db, err := openDatabase(ctx, &cfg, log, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if *migrate {
		if err := migrateUp(ctx, db, log); err != nil {
			return err
		}
	} else if err := db.Ready(ctx); err != nil {
		// Serve anyway: /readyz reports the reason until it is fixed.
		log.Warn("database not ready", "err", err.Error())
	}
	return serve(ctx, &cfg, db, log, stdout)
}

func serve(ctx context.Context, cfg *config, db *postgres.DB, log *slog.Logger, stdout io.Writer) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (another gridsentry running? choose one with -addr)", cfg.Addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	svc, err := startService(ctx, cfg, db, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer func() { cancel(); svc.wait() }()
	url := "http://" + ln.Addr().String() + "/"
	log.Info("serving", "url", url)
	fmt.Fprintf(stdout, "gridsentry is serving at %s (Ctrl-C to stop)\n", url)
	if cfg.devToken != "" {
		fmt.Fprintf(stdout, "local admin token (24 h): %s\nconsole, signed in: %s#token=%s\n", cfg.devToken, url, cfg.devToken)
	}
	return svc.srv.Serve(ctx, ln)
}

// service is what serve runs: the API server over the database (and its
// read replica, if any), and the work it does in the background (the
// address index, the relinker, the flag evaluator, the alerts, the
// replica's checks, the tiles' coverage and cache).
type service struct {
	srv   *api.Server
	index *postgres.AddressIndex
	tiles *tileParts
	wait  func() // waits for the background work to end, once ctx is done, and closes the read pool
}

// startService builds the server and starts its background work, which
// runs until ctx is done. The benchmark suite (gridsentry bench) measures
// the same service in process.
func startService(ctx context.Context, cfg *config, db *postgres.DB, log *slog.Logger) (*service, error) {
	policy, err := cfg.policy()
	if err != nil {
		return nil, err
	}
	flagCfg, err := cfg.flagConfig()
	if err != nil {
		return nil, err
	}
	db.SetFlagConfig(flagCfg)
	reads, err := openReads(ctx, cfg, db, log)
	if err != nil {
		return nil, err
	}
	reads.db.SetFlagConfig(flagCfg)
	tileParts, err := newTileParts(cfg, reads.feed(db), reads.db)
	if err != nil {
		reads.close()
		return nil, err
	}
	// The address index loads in the background: the server answers at once
	// and /readyz says 503 until the index is in memory.
	index := postgres.NewAddressIndex(db, log)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// A soft memory limit keeps the garbage of building the index (1M
		// doorplates and 6.7M rooms at city scale, ~0.8 GB live) from
		// doubling the resident size. GOMEMLIMIT, if set, wins.
		if debug.SetMemoryLimit(-1) == math.MaxInt64 {
			debug.SetMemoryLimit(defaultMemoryLimit)
		}
		for ctx.Err() == nil {
			if err := index.Load(ctx); err == nil {
				// Building the index churns through several times its
				// size; hand the garbage back to the OS now rather than
				// over the next minutes.
				debug.FreeOSMemory()
				break
			} else if ctx.Err() == nil {
				log.Warn("address index: load failed; retrying in 5s", "err", err.Error())
				select {
				case <-ctx.Done():
				case <-time.After(5 * time.Second):
				}
			}
		}
		_ = index.Run(ctx)
	}()
	// The relinker links what is unlinked once the index is loaded, then
	// re-links the towns the index rebuilds when the library changes.
	relinker := postgres.NewRelinker(db, index, log)
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = relinker.Run(ctx)
	}()
	// The flag evaluator follows every change the triggers queue, and
	// evaluates everything afresh every -flags-full-every (first once the
	// relinker has linked a freshly loaded city).
	evaluator := postgres.NewFlagEvaluator(db, log)
	evaluator.FullEvery = cfg.FlagsFullEvery
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = evaluator.Run(ctx)
	}()
	// The statistics rollups follow the changes the triggers mark.
	if cfg.StatsRefresh > 0 {
		refresher := postgres.NewStatsRefresher(db, log, cfg.StatsRefresh)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = refresher.Run(ctx)
		}()
	}
	// Every node listens for the alerts of raised flags and streams them.
	alerts := api.NewAlertHub(0)
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = postgres.NewAlertListener(db, alerts, log).Run(ctx)
	}()
	// The read replica is checked until the end; reads go to the primary
	// until it is found usable (reads.go says which reads go to it).
	if reads.replica != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = reads.replica.Run(ctx)
		}()
	}

	opts := []api.Option{api.WithAddresses(index, db), api.WithLibraryFiles(db, reads.db),
		api.WithEntities(&postgres.EntityWriter{DB: db, Policy: policy}), api.WithEntityReader(entityReads{db, reads.db}),
		api.WithWorkflow(workflowReads{db, reads.db}), api.WithTaskPolicy(policy),
		api.WithFlags(flagReads{db, reads.db}, flagCfg), api.WithAlerts(alerts), api.WithPlans(db), api.WithConsole(web.Files()),
		api.WithAuthenticator(db), api.WithAudit(db), api.WithTokens(db), api.WithStats(reads.db)}
	srv := api.New(api.Config{MaxBodyBytes: cfg.MaxBodyBytes, MaxBatchBytes: cfg.MaxBatchBytes, ShutdownTimeout: cfg.ShutdownTimeout,
		CORSOrigins: cfg.corsOrigins(), PublicTiles: cfg.PublicTiles, RateLimit: float64(cfg.RateLimit), RateBurst: cfg.RateBurst, MaxExports: cfg.MaxExports},
		db, readiness{db, index, reads}, log, append(opts, tileParts.options()...)...)
	reads.registerMetrics(srv.Registry())
	// The coverage loads in the background, the tile cache is seeded, and
	// both follow the change feed.
	wg.Add(1)
	go func() {
		defer wg.Done()
		tileParts.run(ctx, db, srv, cfg.TileSeedZoom, log)
	}()
	return &service{srv: srv, index: index, tiles: tileParts, wait: func() {
		wg.Wait()
		reads.close()
	}}, nil
}

// The database serves the API's entity reads and its workflow, entity
// history included.
var (
	_ api.EntityReader  = (*postgres.DB)(nil)
	_ api.WorkflowStore = (*postgres.DB)(nil)
	_ api.EntityHistory = (*postgres.DB)(nil)
	_ api.EntityStore   = (*postgres.EntityWriter)(nil)
	_ api.FlagStore     = (*postgres.DB)(nil)
	_ api.StatsStore    = (*postgres.DB)(nil)
)

// The database streams the API's entity exports.
var _ api.EntityExporter = (*postgres.DB)(nil)

// The stores that route reads between the primary and the read pool serve
// the same interfaces.
var (
	_ api.EntityReader   = entityReads{}
	_ api.EntityExporter = entityReads{}
	_ api.WorkflowStore  = workflowReads{}
	_ api.EntityHistory  = workflowReads{}
	_ api.FlagStore      = flagReads{}
	_ api.ReadyReporter  = readiness{}
)

// The API's alert hub follows the database's alert listener.
var _ postgres.AlertSink = (*api.AlertHub)(nil)

// defaultMemoryLimit is the soft memory limit of serve and dev when
// GOMEMLIMIT is not set: the address index (about 0.8 GB at city scale),
// the coverage index (64 MB) and the tile cache (-tile-cache-mb, 256 MB by
// default), with room for the garbage of building them.
const defaultMemoryLimit = 1700 << 20

// readiness is ready when the database is and the address index is loaded.
// The read replica does not decide it: reads fail over to the primary
// while the replica is unusable, so a node without it still answers. It
// reports the replica's state beside (ReadyDetails).
type readiness struct {
	db    *postgres.DB
	index *postgres.AddressIndex
	reads readPool
}

// ReadyDetails reports the read replica in /readyz.
func (r readiness) ReadyDetails(context.Context) map[string]any { return r.reads.details() }

func (r readiness) Ready(ctx context.Context) error {
	if err := r.db.Ready(ctx); err != nil {
		return err
	}
	if r.index.Index() == nil {
		return derrors.New(derrors.Unavailable, "the address index is loading")
	}
	return nil
}

// runMigrate applies, rolls back or lists migrations.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gridsentry migrate up|down|status [flags]")
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	if len(args) == 0 {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("migrate: say up, down or status")}
	}
	action := args[0]
	if err := parse(fs, args[1:], 0); err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, &cfg, log, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.Migrator()
	if err != nil {
		return err
	}
	defer m.Close()
	switch action {
	case "up":
		return m.Up(ctx, log)
	case "down":
		return m.Down(ctx, log)
	case "status":
		return m.PrintStatus(ctx, stdout)
	}
	return &exitError{code: 2, err: fmt.Errorf("migrate: unknown action %q: say up, down or status", action)}
}

// runDemo loads the demo city into an empty database.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.registerDatabase(fs)
	city := demoFlags(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	dc, err := city()
	if err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, &cfg, log, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrateUp(ctx, db, log); err != nil {
		return err
	}
	return loadDemo(ctx, db, dc, log, stderr)
}

// demoFlags adds -scale and -seed to fs; the function it returns reads them
// once fs is parsed.
func demoFlags(fs *flag.FlagSet) func() (demo.Config, error) {
	scale := fs.String("scale", "demo", "scale of the demo city: demo (seconds to load) or city (1M buildings, 6.7M rooms; minutes)")
	seed := fs.Int64("seed", 1, "generator seed: the same seed gives the same city")
	until := fs.String("until", "", "the day the generated history (registrations, inspections, tasks) runs up to, YYYY-MM-DD; default today")
	return func() (demo.Config, error) {
		sc, err := demo.ParseScale(*scale)
		if err != nil {
			return demo.Config{}, fmt.Errorf("-scale: %w", err)
		}
		day := time.Now().In(supervision.Beijing)
		if *until != "" {
			if day, err = time.ParseInLocation(time.DateOnly, *until, supervision.Beijing); err != nil {
				return demo.Config{}, fmt.Errorf("-until: %q is not a date (YYYY-MM-DD)", *until)
			}
		}
		return demo.Config{Scale: sc, Seed: *seed, Until: day}, nil
	}
}

// loadDemo loads the demo city with a progress bar on w.
func loadDemo(ctx context.Context, db *postgres.DB, dc demo.Config, log *slog.Logger, w io.Writer) error {
	bar := progressbar.NewOptions(demo.Plan(dc).Rows(),
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("loading the %s-scale demo city (seed %d)", dc.Scale, dc.Seed)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionShowIts(),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	start := time.Now()
	totals, err := db.LoadDemo(ctx, dc, func(n int) { _ = bar.Add(n) })
	if err != nil {
		if derrors.Code(err) == "conflict" {
			return fmt.Errorf("demo: %w", err)
		}
		return fmt.Errorf("demo: load failed, nothing was stored: %w", err)
	}
	_ = bar.Finish()
	// The load keeps the statistics triggers off and marks every town:
	// the rollups are complete when the load returns.
	refreshed := time.Now()
	if _, err := db.RefreshStats(ctx, true, nil); err != nil {
		return fmt.Errorf("demo: the city is loaded, its statistics are not (run gridsentry stats refresh): %w", err)
	}
	log.Info("statistics refreshed", "duration", time.Since(refreshed).Round(time.Millisecond).String())
	log.Info("demo city loaded", "scale", dc.Scale, "seed", dc.Seed, "duration", time.Since(start).Round(time.Millisecond).String(),
		"towns", totals.Towns, "villages", totals.Villages, "grids", totals.Grids, "roads", totals.Roads,
		"doorplates", totals.Doorplates, "places", totals.Places, "buildings", totals.Buildings, "rooms", totals.Rooms,
		"entities", totals.Entities, "inspections", totals.Inspections, "tasks", totals.Tasks, "leads", totals.Leads,
		"complaints", totals.Complaints, "until", dc.Until.Format(time.DateOnly))
	return nil
}
