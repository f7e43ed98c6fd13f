package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gridsentry/gridsentry/postgres/cluster"
)

const clusterUsage = `usage: gridsentry cluster <start|stop|status|url|createdb> [flags]

  start     create the private PostgreSQL cluster on first use and start it, or reuse
            the running one; progress goes to stderr, the admin URL to stdout
  stop      stop the cluster (fast shutdown); nothing to do when it is not running
  status    print running or stopped; exit status 3 when stopped
  url       print the URL of --db (default postgres); an error when not running
  createdb  start the cluster if needed and create --db (required) unless it exists;
            --fresh drops it first; prints its URL

flags:
`

// runCluster manages the private PostgreSQL cluster that dev uses when
// DATABASE_URL is empty. The subcommand may come before or after the flags.
func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", env("GRIDSENTRY_DATA_DIR", cluster.DefaultDir),
		"directory of the private cluster (env GRIDSENTRY_DATA_DIR)")
	db := fs.String("db", "", "database: the one in the URL that start and url print (default postgres), the one createdb creates")
	fresh := fs.Bool("fresh", false, "createdb: drop the database first, ending its sessions")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), clusterUsage)
		fs.PrintDefaults()
	}

	var sub string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sub == "" && fs.NArg() > 0 {
		sub = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	usageErr := func(format string, a ...any) error {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("cluster: "+format, a...)}
	}
	switch {
	case sub == "":
		return usageErr("no subcommand given")
	case fs.NArg() > 0:
		return usageErr("unexpected argument %q", fs.Arg(0))
	case *fresh && sub != "createdb":
		return usageErr("--fresh is for createdb")
	}
	database := cmp.Or(*db, "postgres")

	// stop, status and url need nothing installed when there is no cluster.
	if _, err := os.Stat(*dir); errors.Is(err, os.ErrNotExist) {
		switch sub {
		case "stop":
			return nil
		case "status", "url":
			return notRunning(sub, *dir, stdout)
		}
	}

	switch sub {
	case "start", "stop", "status", "url", "createdb":
	default:
		return usageErr("unknown subcommand %q", sub)
	}
	c, err := cluster.New(*dir)
	if err != nil {
		return err
	}
	c.Log = stderr
	switch sub {
	case "start":
		if err := c.Start(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, c.URL(database))
	case "stop":
		return c.Stop(ctx)
	case "status", "url":
		if !c.Running() {
			return notRunning(sub, *dir, stdout)
		}
		if sub == "status" {
			fmt.Fprintln(stdout, "running")
		} else {
			fmt.Fprintln(stdout, c.URL(database))
		}
	case "createdb":
		if *db == "" {
			return usageErr("createdb needs --db NAME")
		}
		if err := c.Start(ctx); err != nil {
			return err
		}
		if err := c.CreateDatabase(ctx, *db, *fresh); err != nil {
			return err
		}
		fmt.Fprintln(stdout, c.URL(*db))
	}
	return nil
}

// notRunning answers status and url for a cluster that is not running: status
// prints "stopped" and exits 3 (as pg_ctl status does), url fails.
func notRunning(sub, dir string, stdout io.Writer) error {
	err := fmt.Errorf("cluster: no PostgreSQL running in %s: start it with: gridsentry cluster start --dir %s", dir, dir)
	if sub == "status" {
		fmt.Fprintln(stdout, "stopped")
		return &exitError{code: 3, err: err}
	}
	return err
}
