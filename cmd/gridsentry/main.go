// Command gridsentry is the geospatial service for market supervision: it
// serves the standard address library, divisions and buildings over HTTP,
// and manages its database and the demo city.
//
// Usage:
//
//	gridsentry dev                         private PostgreSQL under var/pg, demo city, serve on 127.0.0.1:8080
//	gridsentry serve                       serve the database at DATABASE_URL
//	gridsentry migrate up|down|status      apply, roll back one, or list migrations
//	gridsentry demo --scale demo|city --seed N   load the generated demo city into an empty database
//	gridsentry cluster start|stop|status|url|createdb   manage the private PostgreSQL cluster
//	gridsentry cluster replica start|stop|status       a streaming replica of it, for -read-database-url
//	gridsentry import addresses|buildings|all FILE     load a library file (docs/library-formats.md)
//	gridsentry import entities FILE                    load market entities (NDJSON or CSV)
//	gridsentry link [-all]                             link market entities to the library
//	gridsentry flags recompute|evaluate                evaluate the flag rules
//	gridsentry stats refresh [-full] | bench           refresh the statistics rollups, or time the statistics API
//	gridsentry tiles bench                             benchmark the vector tiles
//	gridsentry bench -scale city|demo [-rebuild]       the benchmark suite: one table (make bench)
//	gridsentry token create -role R [-town CODE] [-department D] [-ttl 720h]   issue an API token
//	gridsentry token list|revoke ID                    list the API tokens, or revoke one
//	gridsentry audit [-action A] [-since T] [-json] ...  print the audit log, newest first
//	gridsentry export addresses|buildings|all > FILE   write the library in the same formats
//	gridsentry soak -url URL [-rate 500] [-duration 10m]  soak a running server at a fixed rate
//	gridsentry version                     print the version
//
// Configuration comes from flags and the environment (DATABASE_URL,
// GRIDSENTRY_*); run a subcommand with -h for its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gridsentry:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `usage: gridsentry <command> [flags]

commands:
  dev       start (or reuse) the private PostgreSQL cluster under var/pg, migrate,
            load the demo city when the database is empty, and serve on 127.0.0.1:8080
  serve     serve the database at DATABASE_URL
  migrate   up | down | status: apply, roll back one, or list migrations
  demo      load the generated demo city (--scale demo|city --seed N) into an empty database
  cluster   start | stop | status | url | createdb: manage the private PostgreSQL cluster;
            replica start | stop | status: a streaming replica of it, for -read-database-url
  demo-cases  typed addresses of the demo city with ground truth, or as validate/vegeta requests
  import    addresses|buildings|all FILE: load a CSV or GeoJSON file into the standard address library;
            entities FILE: load market entities (NDJSON or CSV), linking and pushing them
  link      link unlinked market entities to the library (-all: re-link every one)
  flags     evaluate the flag rules: recompute (all, afresh) or evaluate (the queued changes)
  stats     refresh [-full]: bring the statistics rollups up to date (-full: every town afresh);
            bench: time every statistics route over the API in process
  tiles     bench: time vector tiles cold and cached, their sizes, and cached throughput over HTTP
  bench     the benchmark suite: build or reuse the city of -scale city|demo, measure the service on it,
            print one table (make bench, make bench-quick); readme: put the newest table into the README
  token     create -role R [-town CODE] [-department D] [-ttl 720h] [-note TEXT]: issue an API token,
            printed once; list: every token and its status; revoke ID: revoke one at once
  audit     print the audit log, newest first (-token, -action, -route, -object, -since, -until,
            -after, -limit filter it; -json prints NDJSON); the read is itself logged
  export    addresses|buildings|all: write the library as CSV or GeoJSON (the format import reads)
  soak      send a running server a fixed rate of validations, tiles and entity queries; fail on
            any failed request or a growing heap
  version   print the version

Run 'gridsentry <command> -h' for the flags of a command.
`

// run is the whole program; tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2, err: errors.New("no command given")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest, stdout, stderr)
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "cluster":
		return runCluster(ctx, rest, stdout, stderr)
	case "demo-cases":
		return runCases(ctx, rest, stdout, stderr)
	case "import":
		return runImport(ctx, rest, stdout, stderr)
	case "export":
		return runExport(ctx, rest, stdout, stderr)
	case "link":
		return runLink(ctx, rest, stdout, stderr)
	case "flags":
		return runFlags(ctx, rest, stdout, stderr)
	case "stats":
		return runStats(ctx, rest, stdout, stderr)
	case "tiles":
		return runTiles(ctx, rest, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "token":
		return runToken(ctx, rest, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, stdout, stderr)
	case "soak":
		return runSoak(ctx, rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", cmd)}
}
