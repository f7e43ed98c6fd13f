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
       gridsentry cluster replica <start|stop|status> [flags]

  start     create the private PostgreSQL cluster on first use and start it, or reuse
            the running one; progress goes to stderr, the admin URL to stdout
  stop      stop the cluster (fast shutdown); nothing to do when it is not running
  status    print running or stopped; exit status 3 when stopped
  url       print the URL of --db (default postgres); an error when not running
  createdb  start the cluster if needed and create --db (required) unless it exists;
            --fresh drops it first; prints its URL
  replica start   make --replica-dir a hot-standby streaming replica of the cluster on first
            use (pg_basebackup of the running cluster) and start it on a free loopback port,
            or reuse it; prints its URL, for -read-database-url. The cluster must stream
            WAL: a cluster running with wal_level=minimal needs --restart-primary
  replica stop    stop the replica
  replica status  print running or stopped, and how far the replica has replayed
            the primary's WAL; exit status 3 when stopped

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
	replicaDir := fs.String("replica-dir", "", "replica: directory of the streaming replica (default: --dir with -replica appended, var/pg-replica)")
	restart := fs.Bool("restart-primary", false, "replica start: restart the cluster with replication settings if it runs without (ends its open sessions)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), clusterUsage)
		fs.PrintDefaults()
	}

	// The subcommand (and replica's action) may come before or after the flags.
	var words []string
	for {
		for len(args) > 0 && !strings.HasPrefix(args[0], "-") && len(words) < 2 {
			words, args = append(words, args[0]), args[1:]
		}
		if err := fs.Parse(args); err != nil {
			return err
		}
		if args = fs.Args(); len(args) == 0 || len(words) == 2 || len(words) == 1 && words[0] != "replica" {
			break
		}
	}
	var sub, action string
	if len(words) > 0 {
		sub = words[0]
	}
	if len(words) > 1 {
		action = words[1]
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
	case action != "" && sub != "replica":
		return usageErr("unexpected argument %q", action)
	case *fresh && sub != "createdb":
		return usageErr("--fresh is for createdb")
	case (*replicaDir != "" || *restart) && sub != "replica":
		return usageErr("--replica-dir and --restart-primary are for replica")
	}
	if sub == "replica" {
		switch action {
		case "start", "stop", "status":
		case "":
			return usageErr("replica: say start, stop or status")
		default:
			return usageErr("replica: unknown action %q", action)
		}
		rdir := cmp.Or(*replicaDir, strings.TrimSuffix(*dir, "/")+"-replica")
		return runReplica(ctx, action, *dir, rdir, *restart, cmp.Or(*db, "postgres"), stdout, stderr)
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

// runReplica starts, stops or reports the streaming replica in rdir of the
// cluster in dir.
func runReplica(ctx context.Context, action, dir, rdir string, restart bool, database string, stdout, stderr io.Writer) error {
	if _, err := os.Stat(rdir); errors.Is(err, os.ErrNotExist) {
		switch action {
		case "stop":
			return nil
		case "status":
			return replicaNotRunning(dir, rdir, stdout)
		}
	}
	replica, err := cluster.New(rdir)
	if err != nil {
		return err
	}
	replica.Log = stderr
	primary, err := cluster.New(dir)
	if err != nil {
		return err
	}
	primary.Log = stderr
	switch action {
	case "start":
		if err := primary.EnableReplication(ctx, restart); err != nil {
			if errors.Is(err, cluster.ErrRestartNeeded) {
				return fmt.Errorf("%w: run again with --restart-primary (this ends the open sessions of %s)", err, dir)
			}
			return err
		}
		if err := primary.Start(ctx); err != nil {
			return err
		}
		if err := replica.StartReplica(ctx, primary); err != nil {
			return err
		}
		fmt.Fprintln(stdout, replica.URL(database))
	case "stop":
		return replica.Stop(ctx)
	case "status":
		if !replica.Running() {
			return replicaNotRunning(dir, rdir, stdout)
		}
		st, err := replica.Status(ctx, primary)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "running")
		fmt.Fprintf(stdout, "url: %s\n", replica.URL(database))
		switch {
		case !st.InRecovery:
			fmt.Fprintln(stdout, "not in recovery: promoted, no longer a replica")
		case st.Streaming:
			fmt.Fprintf(stdout, "streaming from %s\n", st.Sender)
		default:
			fmt.Fprintln(stdout, "not streaming: the primary is unreachable or the replica is catching up from its own WAL")
		}
		if st.Paused {
			fmt.Fprintln(stdout, "replay paused (SELECT pg_wal_replay_resume() on the replica resumes it)")
		}
		fmt.Fprintf(stdout, "replayed: %s\n", cluster.FormatLSN(st.Replayed))
		if st.Primary > 0 {
			fmt.Fprintf(stdout, "primary:  %s (%d bytes behind)\n", cluster.FormatLSN(st.Primary), st.Behind())
		} else {
			fmt.Fprintln(stdout, "primary:  not running")
		}
	}
	return nil
}

// replicaNotRunning answers replica status for a replica that is not running.
func replicaNotRunning(dir, rdir string, stdout io.Writer) error {
	fmt.Fprintln(stdout, "stopped")
	return &exitError{code: 3, err: fmt.Errorf("cluster: no replica running in %s: start it with: gridsentry cluster replica start --dir %s --replica-dir %s", rdir, dir, rdir)}
}
