package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gridsentry/gridsentry/supervision"
)

// config is every setting of the service, from flags with defaults taken
// from the environment. It is printed at start with secrets masked.
type config struct {
	DatabaseURL      string        // DATABASE_URL; empty: the private cluster
	ReadDatabaseURL  string        // GRIDSENTRY_READ_DATABASE_URL: a streaming replica for the reads that may lag; empty: none
	ReadMaxLag       time.Duration // GRIDSENTRY_READ_MAX_LAG: further behind, reads go to the primary
	DataDir          string        // GRIDSENTRY_DATA_DIR: the private cluster's directory
	Database         string        // GRIDSENTRY_DATABASE: database name in the private cluster
	Addr             string        // GRIDSENTRY_ADDR: listen address
	LogLevel         string        // GRIDSENTRY_LOG_LEVEL: debug, info, warn, error
	LogFormat        string        // GRIDSENTRY_LOG_FORMAT: json or text
	MaxBodyBytes     int64         // GRIDSENTRY_MAX_BODY_BYTES
	MaxBatchBytes    int64         // GRIDSENTRY_MAX_BATCH_BYTES: bulk routes
	StatementTimeout time.Duration // GRIDSENTRY_STATEMENT_TIMEOUT
	ShutdownTimeout  time.Duration // GRIDSENTRY_SHUTDOWN_TIMEOUT
	DBMaxConns       int           // GRIDSENTRY_DB_MAX_CONNS; default 16; 0: pgx's (max(4, CPUs))
	FirstCheckDays   int           // GRIDSENTRY_FIRST_CHECK_DAYS: working days for a new registration's first on-site check
	ChangeCheckDays  int           // GRIDSENTRY_CHANGE_CHECK_DAYS: working days to check a changed address
	PermitDays       int           // GRIDSENTRY_PERMIT_DAYS: working days for a department's feedback
	HolidaysFile     string        // GRIDSENTRY_HOLIDAYS_FILE: public holidays and make-up working days
	FlagConfigFile   string        // GRIDSENTRY_FLAG_CONFIG: thresholds of the flag rules (JSON)
	FlagsFullEvery   time.Duration // GRIDSENTRY_FLAGS_FULL_EVERY: how often every flag is evaluated afresh
	StatsRefresh     time.Duration // GRIDSENTRY_STATS_REFRESH: how often the statistics rollups are refreshed; 0: never
	CORSOrigins      string        // GRIDSENTRY_CORS_ORIGINS: origins allowed to call the API from a browser
	PublicTiles      bool          // GRIDSENTRY_PUBLIC_TILES: tiles readable without a token
	RateLimit        int           // GRIDSENTRY_RATE_LIMIT: requests a second per token; 0: none
	RateBurst        int           // GRIDSENTRY_RATE_BURST: the bursts RateLimit allows
	MaxExports       int           // GRIDSENTRY_MAX_EXPORTS: bulk exports running at once
	TileCacheMB      int           // GRIDSENTRY_TILE_CACHE_MB: memory for built tiles
	TileSeedZoom     int           // GRIDSENTRY_TILE_SEED_ZOOM: deepest zoom cached at start; 0: none

	devToken string // the local admin token gridsentry dev made, printed once serving
}

// corsOrigins returns the allowed origins of -cors-origins: "*" for any,
// a comma-separated list, or none when empty.
func (c *config) corsOrigins() []string {
	out := []string{}
	for _, o := range strings.Split(c.CORSOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, strings.TrimSuffix(o, "/"))
		}
	}
	return out
}

// registerFlagRules adds the settings of the flag rules.
func (c *config) registerFlagRules(fs *flag.FlagSet) {
	fs.StringVar(&c.FlagConfigFile, "flag-config", env("GRIDSENTRY_FLAG_CONFIG", ""),
		"JSON file of flag thresholds over the defaults (see GET /v1/rules/flags and docs/flags.md); "+
			"empty: the defaults (env GRIDSENTRY_FLAG_CONFIG)")
	fs.DurationVar(&c.FlagsFullEvery, "flags-full-every", envDuration("GRIDSENTRY_FLAGS_FULL_EVERY", 6*time.Hour),
		"how often serve evaluates every flag afresh, besides the changes it evaluates as they come (env GRIDSENTRY_FLAGS_FULL_EVERY)")
}

// flagConfig returns the thresholds of the flag rules.
func (c *config) flagConfig() (supervision.FlagConfig, error) {
	if c.FlagConfigFile == "" {
		return supervision.DefaultFlagConfig(), nil
	}
	b, err := os.ReadFile(c.FlagConfigFile)
	if err != nil {
		return supervision.FlagConfig{}, fmt.Errorf("-flag-config: %w", err)
	}
	fc, err := supervision.ParseFlagConfig(b)
	if err != nil {
		return fc, fmt.Errorf("-flag-config %s: %w", c.FlagConfigFile, err)
	}
	return fc, nil
}

// registerPolicy adds the task deadline settings.
func (c *config) registerPolicy(fs *flag.FlagSet) {
	fs.IntVar(&c.FirstCheckDays, "first-check-days", envInt("GRIDSENTRY_FIRST_CHECK_DAYS", 10),
		"working days within which a new registration gets its first on-site check (env GRIDSENTRY_FIRST_CHECK_DAYS)")
	fs.IntVar(&c.ChangeCheckDays, "change-check-days", envInt("GRIDSENTRY_CHANGE_CHECK_DAYS", 10),
		"working days within which a changed registered address is checked (env GRIDSENTRY_CHANGE_CHECK_DAYS)")
	fs.IntVar(&c.PermitDays, "permit-days", envInt("GRIDSENTRY_PERMIT_DAYS", 10),
		"working days within which a department gives feedback on a pushed entity (env GRIDSENTRY_PERMIT_DAYS)")
	fs.StringVar(&c.HolidaysFile, "holidays-file", env("GRIDSENTRY_HOLIDAYS_FILE", ""),
		"file of public holidays (2026-10-01) and make-up working days (+2026-09-27), one per line; "+
			"empty: weekends only (env GRIDSENTRY_HOLIDAYS_FILE)")
}

// policy returns the task deadlines the config sets.
func (c *config) policy() (supervision.Policy, error) {
	p := supervision.Policy{FirstCheckDays: c.FirstCheckDays, ChangeCheckDays: c.ChangeCheckDays, PermitDays: c.PermitDays}
	for name, v := range map[string]int{"-first-check-days": c.FirstCheckDays, "-change-check-days": c.ChangeCheckDays, "-permit-days": c.PermitDays} {
		if v < 1 || v > 365 {
			return p, fmt.Errorf("%s: %d is not between 1 and 365 working days", name, v)
		}
	}
	if c.HolidaysFile != "" {
		b, err := os.ReadFile(c.HolidaysFile)
		if err != nil {
			return p, fmt.Errorf("-holidays-file: %w", err)
		}
		if p.Calendar, err = supervision.ParseCalendar(string(b)); err != nil {
			return p, fmt.Errorf("-holidays-file %s: %w", c.HolidaysFile, err)
		}
	}
	return p, nil
}

// register adds the flags of the fields a command uses. Each default comes
// from the environment when set.
func (c *config) registerDatabase(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", ""),
		"PostgreSQL URL (env DATABASE_URL); empty uses the private cluster under -data-dir")
	fs.StringVar(&c.DataDir, "data-dir", env("GRIDSENTRY_DATA_DIR", "var/pg"),
		"directory of the private PostgreSQL cluster (env GRIDSENTRY_DATA_DIR)")
	fs.StringVar(&c.Database, "database", env("GRIDSENTRY_DATABASE", "gridsentry"),
		"database name in the private cluster (env GRIDSENTRY_DATABASE)")
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", envDuration("GRIDSENTRY_STATEMENT_TIMEOUT", 30*time.Second),
		"PostgreSQL statement_timeout for API queries (env GRIDSENTRY_STATEMENT_TIMEOUT)")
	fs.IntVar(&c.DBMaxConns, "db-max-conns", envInt("GRIDSENTRY_DB_MAX_CONNS", 16),
		"maximum database connections: an entity's page makes six queries and each export holds one while it streams; "+
			"0 is pgx's max(4, CPUs) (env GRIDSENTRY_DB_MAX_CONNS)")
	c.registerLog(fs)
}

func (c *config) registerLog(fs *flag.FlagSet) {
	fs.StringVar(&c.LogLevel, "log-level", env("GRIDSENTRY_LOG_LEVEL", "info"),
		"log level: debug, info, warn or error (env GRIDSENTRY_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("GRIDSENTRY_LOG_FORMAT", "json"),
		"log format: json or text (env GRIDSENTRY_LOG_FORMAT)")
}

func (c *config) registerHTTP(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", env("GRIDSENTRY_ADDR", "127.0.0.1:8080"),
		"listen address (env GRIDSENTRY_ADDR)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", int64(envInt("GRIDSENTRY_MAX_BODY_BYTES", 1<<20)),
		"largest request body accepted, in bytes (env GRIDSENTRY_MAX_BODY_BYTES)")
	fs.Int64Var(&c.MaxBatchBytes, "max-batch-bytes", int64(envInt("GRIDSENTRY_MAX_BATCH_BYTES", 1<<30)),
		"largest body of a bulk request (NDJSON batch, import), in bytes (env GRIDSENTRY_MAX_BATCH_BYTES)")
	fs.StringVar(&c.CORSOrigins, "cors-origins", envOr("GRIDSENTRY_CORS_ORIGINS", ""),
		"origins allowed to call the API and read the tiles from a browser: a comma-separated list such as "+
			"https://gis.example.org, or * for any; empty for none, as the console is served from the same origin (env GRIDSENTRY_CORS_ORIGINS)")
	fs.BoolVar(&c.PublicTiles, "public-tiles", envBool("GRIDSENTRY_PUBLIC_TILES", false),
		"serve /tiles without a token, the whole city to anyone; otherwise tiles need a token with read_tiles and show its town only (env GRIDSENTRY_PUBLIC_TILES)")
	fs.IntVar(&c.RateLimit, "rate-limit", envInt("GRIDSENTRY_RATE_LIMIT", 50),
		"requests a second each token may make (anonymous tile readers: each address); over it, 429 with Retry-After; 0: no limit (env GRIDSENTRY_RATE_LIMIT)")
	fs.IntVar(&c.MaxExports, "max-exports", envInt("GRIDSENTRY_MAX_EXPORTS", 2),
		"bulk exports (entities, the library) running at once, each holding a database connection; more get 503 (env GRIDSENTRY_MAX_EXPORTS)")
	fs.IntVar(&c.RateBurst, "rate-burst", envInt("GRIDSENTRY_RATE_BURST", 400),
		"requests a token may make at once before -rate-limit applies: a map opening fetches a few hundred tiles (env GRIDSENTRY_RATE_BURST)")
	fs.IntVar(&c.TileCacheMB, "tile-cache-mb", envInt("GRIDSENTRY_TILE_CACHE_MB", 256),
		"memory for built vector tiles, in MiB; 0: no cache (env GRIDSENTRY_TILE_CACHE_MB)")
	fs.IntVar(&c.TileSeedZoom, "tile-seed-zoom", envInt("GRIDSENTRY_TILE_SEED_ZOOM", 12),
		"cache the style's tiles from zoom 6 to this zoom at start (and coverage again every 10 minutes); "+
			"0: none (env GRIDSENTRY_TILE_SEED_ZOOM)")
	fs.DurationVar(&c.StatsRefresh, "stats-refresh", envDuration("GRIDSENTRY_STATS_REFRESH", 30*time.Second),
		"how often the statistics rollups are brought up to date with the changes since the last refresh, and at once "+
			"after a quiet spell this long; 0: never (run gridsentry stats refresh instead) (env GRIDSENTRY_STATS_REFRESH)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration("GRIDSENTRY_SHUTDOWN_TIMEOUT", 15*time.Second),
		"grace period for in-flight requests at shutdown (env GRIDSENTRY_SHUTDOWN_TIMEOUT)")
}

// logger builds the logger the config asks for.
func (c *config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("-log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format: %q is not json or text", c.LogFormat)
}

// logValues returns the config as log attributes, the password of the
// database URL masked.
func (c *config) logValues() []any {
	return []any{
		"database_url", maskURL(c.DatabaseURL), "data_dir", c.DataDir, "database", c.Database,
		"read_database_url", maskURL(c.ReadDatabaseURL), "read_max_lag", c.ReadMaxLag.String(),
		"addr", c.Addr, "log_level", c.LogLevel, "log_format", c.LogFormat,
		"max_body_bytes", c.MaxBodyBytes, "max_batch_bytes", c.MaxBatchBytes, "statement_timeout", c.StatementTimeout.String(),
		"shutdown_timeout", c.ShutdownTimeout.String(), "db_max_conns", c.DBMaxConns,
		"first_check_days", c.FirstCheckDays, "change_check_days", c.ChangeCheckDays, "permit_days", c.PermitDays,
		"cors_origins", c.CORSOrigins, "public_tiles", c.PublicTiles, "rate_limit", c.RateLimit, "rate_burst", c.RateBurst, "max_exports", c.MaxExports, "holidays_file", c.HolidaysFile, "flag_config", c.FlagConfigFile, "flags_full_every", c.FlagsFullEvery.String(),
		"stats_refresh", c.StatsRefresh.String(),
		"tile_cache_mb", c.TileCacheMB, "tile_seed_zoom", c.TileSeedZoom,
	}
}

// maskURL hides the password of a connection URL.
func maskURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable, hidden)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// envOr returns the environment's value of key, even empty when set, or def.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v := env(key, ""); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if v := env(key, ""); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// checkEnv reports the first numeric or duration setting in the environment
// that does not parse, so a typo stops the command instead of being ignored.
func checkEnv() error {
	for _, key := range []string{"GRIDSENTRY_MAX_BODY_BYTES", "GRIDSENTRY_MAX_BATCH_BYTES", "GRIDSENTRY_DB_MAX_CONNS",
		"GRIDSENTRY_FIRST_CHECK_DAYS", "GRIDSENTRY_CHANGE_CHECK_DAYS", "GRIDSENTRY_PERMIT_DAYS"} {
		if v := env(key, ""); v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				return fmt.Errorf("%s=%q is not an integer", key, v)
			}
		}
	}
	for _, key := range []string{"GRIDSENTRY_STATEMENT_TIMEOUT", "GRIDSENTRY_SHUTDOWN_TIMEOUT", "GRIDSENTRY_READ_MAX_LAG", "GRIDSENTRY_STATS_REFRESH"} {
		if v := env(key, ""); v != "" {
			if _, err := time.ParseDuration(v); err != nil {
				return fmt.Errorf("%s=%q is not a duration such as 30s", key, v)
			}
		}
	}
	return nil
}

// envBool reads key as strconv.ParseBool does (1, true, 0, false, ...).
func envBool(key string, def bool) bool {
	if v := env(key, ""); v != "" {
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return def
}
