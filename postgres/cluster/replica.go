package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// replicationFile, in a cluster's directory, marks a cluster whose WAL
// replicas may stream: every start then writes the settings of a primary
// (wal_level replica, WAL senders) instead of those of a lone server
// (wal_level minimal, which lets a bulk load skip the WAL).
const replicationFile = "replication"

// standbyConf, in a replica's data directory, holds the connection to its
// primary. StartReplica rewrites it at each start, as the primary's port
// may change; gridsentry.conf includes it.
const standbyConf = "gridsentry-standby.conf"

// hbaReplication lets replication connections in on loopback, as pg_hba.conf
// lets the others: the database "all" does not match a replication
// connection.
const hbaReplication = "local   replication  all                 trust\n" +
	"host    replication  all   127.0.0.1/32  trust\n"

func (c *Cluster) replicationMarked() bool {
	_, err := os.Stat(filepath.Join(c.Dir, replicationFile))
	return err == nil
}

// Standby reports whether the cluster is a replica: its data directory holds
// standby.signal, so the server starts in recovery and follows its primary.
func (c *Cluster) Standby() bool {
	_, err := os.Stat(filepath.Join(c.dataDir(), "standby.signal"))
	return err == nil
}

// ErrRestartNeeded is returned by EnableReplication when the running server
// must restart for replicas to stream from it, and the caller did not allow it.
var ErrRestartNeeded = errors.New("cluster: the server runs with wal_level=minimal and no WAL senders; replication needs a restart")

// EnableReplication lets streaming replicas copy and follow the cluster:
// it marks the cluster so that every start writes a primary's settings
// (wal_level replica, ten WAL senders, 1 GB of WAL kept for a replica that
// was stopped), and lets replication connections in on loopback. A running
// server reloads pg_hba.conf; if it runs with wal_level minimal it must
// restart, which EnableReplication does only when restart is set (a restart
// ends every open session), returning ErrRestartNeeded otherwise. A
// stopped cluster takes the settings at its next start.
func (c *Cluster) EnableReplication(ctx context.Context, restart bool) error {
	a, err := runAccount()
	if err != nil {
		return err
	}
	if err := c.prepareDir(a); err != nil {
		return err
	}
	if err := writeFile(a, filepath.Join(c.Dir, replicationFile),
		"Written by gridsentry: this cluster is a primary whose WAL replicas stream (see the package documentation).\n", 0o644); err != nil {
		return err
	}
	if c.dataVersion() == "" {
		return nil // initdb writes the replication lines
	}
	hbaChanged, err := c.allowReplication(a)
	if err != nil {
		return err
	}
	if !c.Running() {
		return nil
	}
	if hbaChanged {
		if err := c.run(ctx, a, "pg_ctl", "reload", "-D", c.dataDir(), "-s"); err != nil {
			return fmt.Errorf("cluster: reload %s: %w", c.Dir, err)
		}
	}
	ok, err := c.streams(ctx)
	if err != nil || ok {
		return err
	}
	if !restart {
		return ErrRestartNeeded
	}
	c.logf("cluster: restarting PostgreSQL in %s with the settings of a primary (wal_level replica)", c.Dir)
	if err := c.Stop(ctx); err != nil {
		return err
	}
	return c.Start(ctx)
}

// allowReplication adds the replication lines to pg_hba.conf unless it has
// them, and reports whether it changed the file.
func (c *Cluster) allowReplication(a *account) (bool, error) {
	path := filepath.Join(c.dataDir(), "pg_hba.conf")
	b, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("cluster: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 3 && !strings.HasPrefix(f[0], "#") && f[1] == "replication" {
			return false, nil
		}
	}
	return true, writeFile(a, path, string(b)+"# Added by gridsentry cluster replica: streaming replicas on loopback.\n"+hbaReplication, 0o600)
}

// streams reports whether the running server can feed a streaming replica:
// wal_level replica or logical, and WAL senders.
func (c *Cluster) streams(ctx context.Context) (bool, error) {
	conn, err := c.connect(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var level string
	var senders int
	if err := conn.QueryRow(ctx, "SELECT current_setting('wal_level'), current_setting('max_wal_senders')::int").Scan(&level, &senders); err != nil {
		return false, fmt.Errorf("cluster: read the replication settings of %s: %w", c.Dir, err)
	}
	return level != "minimal" && senders > 0, nil
}

// connect opens a connection to the postgres database of the running server.
func (c *Cluster) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(c.URL("postgres"))
	if err != nil {
		return nil, err
	}
	cfg.ConnectTimeout = 5 * time.Second
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to 127.0.0.1:%d: %w", c.Port, err)
	}
	return conn, nil
}

// StartReplica makes the cluster a hot-standby streaming replica of primary
// on first use and starts it, or reuses the running one, like Start. The
// first start copies the running primary with pg_basebackup (WAL streamed
// alongside, a fast checkpoint) and writes standby.signal, as
// pg_basebackup -R would; the connection to the primary (primary_conninfo)
// is written at every start instead of once, as the primary's port may
// change. The primary must allow replication (EnableReplication). The
// replica answers read-only queries on its own loopback port, with
// hot_standby_feedback on so that vacuum on the primary does not cancel its
// long reads.
func (c *Cluster) StartReplica(ctx context.Context, primary *Cluster) error {
	if filepath.Clean(c.Dir) == filepath.Clean(primary.Dir) {
		return fmt.Errorf("cluster: a replica needs a directory of its own, not its primary's %s", primary.Dir)
	}
	a, err := runAccount()
	if err != nil {
		return err
	}
	if err := c.prepareDir(a); err != nil {
		return err
	}
	unlock, err := c.lock(ctx, a)
	if err != nil {
		return err
	}
	err = c.prepareReplica(ctx, a, primary)
	unlock()
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return err
	}
	if !c.Standby() {
		return fmt.Errorf("cluster: %s started but is not a replica", c.Dir)
	}
	return nil
}

// prepareReplica copies the primary on first use, and points the replica at
// the primary's current port.
func (c *Cluster) prepareReplica(ctx context.Context, a *account, primary *Cluster) error {
	switch {
	case c.dataVersion() == "":
		if err := c.baseBackup(ctx, a, primary); err != nil {
			return err
		}
	case !c.Standby():
		return fmt.Errorf("cluster: %s holds a cluster that is not a replica (no standby.signal): choose another directory", c.Dir)
	}
	if primary.Port == 0 {
		return fmt.Errorf("cluster: the port of the primary in %s is unknown: start it first", primary.Dir)
	}
	conninfo := fmt.Sprintf("host=127.0.0.1 port=%d user=%s application_name=%s", primary.Port, Superuser, replicaName(c.Dir))
	conf := "# Written by gridsentry at every start of the replica: its primary (" + primary.Dir + ").\n" +
		"primary_conninfo = '" + strings.ReplaceAll(conninfo, "'", "''") + "'\n"
	if err := writeFile(a, filepath.Join(c.dataDir(), standbyConf), conf, 0o600); err != nil {
		return err
	}
	if err := writeFile(a, filepath.Join(c.Dir, replicationFile),
		"Written by gridsentry: this cluster is a streaming replica of "+primary.Dir+".\n", 0o644); err != nil {
		return err
	}
	if c.Running() {
		// primary_conninfo takes effect on reload.
		return c.run(ctx, a, "pg_ctl", "reload", "-D", c.dataDir(), "-s")
	}
	return nil
}

// replicaName is the application_name the replica's WAL receiver gives the
// primary, which names it in pg_stat_replication.
func replicaName(dir string) string {
	return "gridsentry_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, filepath.Base(dir))
}

// baseBackup copies the running primary into the data directory.
func (c *Cluster) baseBackup(ctx context.Context, a *account, primary *Cluster) error {
	if !primary.Running() {
		return fmt.Errorf("cluster: the primary in %s is not running: start it first (gridsentry cluster start)", primary.Dir)
	}
	ok, err := primary.streams(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("cluster: the primary in %s does not stream WAL (wal_level minimal): %w", primary.Dir, ErrRestartNeeded)
	}
	data := c.dataDir()
	if entries, err := os.ReadDir(data); err == nil && len(entries) > 0 {
		return fmt.Errorf("cluster: %s is not empty but holds no PostgreSQL cluster (no PG_VERSION): remove it", data)
	}
	c.logf("cluster: copying the primary on 127.0.0.1:%d into %s (pg_basebackup)", primary.Port, data)
	err = c.run(ctx, a, "pg_basebackup", "-D", data, "-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port),
		"-U", Superuser, "--no-password", "-X", "stream", "-c", "fast")
	if err == nil {
		err = writeFile(a, filepath.Join(data, "standby.signal"), "", 0o600)
	}
	if err != nil {
		// A half copy would pass for a cluster at the next start.
		_ = os.RemoveAll(data)
		return fmt.Errorf("cluster: copy the primary into %s: %w", data, err)
	}
	return nil
}

// ReplicaStatus is what a running replica says of its replication.
type ReplicaStatus struct {
	InRecovery bool   // the server is a standby; false once promoted
	Streaming  bool   // its WAL receiver is streaming from the primary
	Sender     string // host:port of the primary it streams from, when streaming
	Paused     bool   // WAL replay is paused (pg_wal_replay_pause)
	Replayed   uint64 // the last WAL position replayed
	Primary    uint64 // the primary's current WAL position; 0 when it is not running
}

// Behind returns how many bytes of the primary's WAL the replica has not
// replayed yet; 0 when the primary's position is unknown.
func (s ReplicaStatus) Behind() uint64 {
	if s.Primary > s.Replayed {
		return s.Primary - s.Replayed
	}
	return 0
}

// Status returns the replication status of the running replica c, with the
// position of primary when it runs.
func (c *Cluster) Status(ctx context.Context, primary *Cluster) (ReplicaStatus, error) {
	var st ReplicaStatus
	conn, err := c.connect(ctx)
	if err != nil {
		return st, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var sender *string
	err = conn.QueryRow(ctx, `SELECT pg_is_in_recovery(),
			coalesce(CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END, false),
			coalesce(pg_last_wal_replay_lsn() - '0/0', 0)::bigint,
			(SELECT status = 'streaming' FROM pg_stat_wal_receiver) IS TRUE,
			(SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver)`).
		Scan(&st.InRecovery, &st.Paused, &st.Replayed, &st.Streaming, &sender)
	if err != nil {
		return st, fmt.Errorf("cluster: replication status of %s: %w", c.Dir, err)
	}
	if sender != nil {
		st.Sender = *sender
	}
	if primary != nil && primary.Running() {
		pconn, err := primary.connect(ctx)
		if err != nil {
			return st, err
		}
		defer pconn.Close(context.WithoutCancel(ctx))
		if err := pconn.QueryRow(ctx, `SELECT (pg_current_wal_lsn() - '0/0')::bigint`).Scan(&st.Primary); err != nil {
			return st, fmt.Errorf("cluster: WAL position of %s: %w", primary.Dir, err)
		}
	}
	return st, nil
}

// FormatLSN writes a WAL position as PostgreSQL does (0/3000148).
func FormatLSN(lsn uint64) string {
	return fmt.Sprintf("%X/%X", lsn>>32, uint32(lsn))
}
