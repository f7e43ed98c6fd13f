package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultDir is where the gridsentry command keeps its cluster, relative to
// the repository root.
const DefaultDir = "var/pg"

// Superuser is the role the cluster is made with; it has no password, as
// authentication is trust on loopback.
const Superuser = "postgres"

// Time limits handed to pg_ctl, and how long a started server may take to
// accept connections.
const (
	startTimeout = 300 * time.Second // crash recovery can replay up to max_wal_size of WAL
	stopTimeout  = 120 * time.Second
	readyTimeout = 60 * time.Second
)

// maxSocketPath is the longest Unix socket path (sun_path holds 108 bytes with the NUL).
const maxSocketPath = 107

// Cluster is a private PostgreSQL cluster in a directory.
type Cluster struct {
	Dir    string    // absolute; see the package documentation for its layout
	BinDir string    // holds initdb, pg_ctl and postgres
	Port   int       // the 127.0.0.1 port of the server; 0 until known
	Log    io.Writer // receives progress messages; may be nil
}

// New returns the cluster in dir, with the server binaries found by
// FindBinDir (those that made the cluster, if it exists and they are still
// installed) and the port of the running server or of the last start.
// It neither creates nor starts anything.
func New(dir string) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	c := &Cluster{Dir: abs}
	if c.BinDir, err = findBinDir(c.dataVersion()); err != nil {
		return nil, err
	}
	if pm, ok := c.postmaster(); ok {
		c.Port = pm.port
	} else {
		c.Port = c.rememberedPort()
	}
	return c, nil
}

func (c *Cluster) dataDir() string  { return filepath.Join(c.Dir, "data") }
func (c *Cluster) logFile() string  { return filepath.Join(c.Dir, "postgres.log") }
func (c *Cluster) portFile() string { return filepath.Join(c.Dir, "port") }

func (c *Cluster) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// URL returns the connection URL of database as the superuser.
func (c *Cluster) URL(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(Superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Running reports whether the server of the cluster is running, by the
// process named in its postmaster.pid. A running server may still be
// starting up or shutting down.
func (c *Cluster) Running() bool {
	_, ok := c.postmaster()
	return ok
}

// postmasterInfo is what postmaster.pid tells about a server.
type postmasterInfo struct {
	pid  int
	port int
}

// postmaster reads the data directory's postmaster.pid and reports whether
// the server it names is alive.
func (c *Cluster) postmaster() (postmasterInfo, bool) {
	b, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return postmasterInfo{}, false
	}
	// Lines: pid, data directory, start time, port, socket directory, listen address, shared memory key, status.
	lines := strings.Split(string(b), "\n")
	var pm postmasterInfo
	if pm.pid, err = strconv.Atoi(strings.TrimSpace(lines[0])); err != nil || pm.pid <= 0 {
		return postmasterInfo{}, false
	}
	if len(lines) > 3 {
		pm.port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	}
	return pm, postgresAlive(pm.pid)
}

// postgresAlive reports whether pid is a live postgres process; a pid left in
// a stale postmaster.pid may have been reused by another program.
func postgresAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	comm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return true // no /proc: trust the signal
	}
	name := strings.TrimSpace(string(comm))
	return strings.HasPrefix(name, "postgres") || strings.HasPrefix(name, "postmaster")
}

// Start makes the cluster on first use and starts its server, or reuses the
// running one, and returns once it accepts connections; c.Port is then set.
// It returns an error saying what to install when PostGIS is missing.
func (c *Cluster) Start(ctx context.Context) error {
	major, err := serverVersion(ctx, c.BinDir)
	if err != nil {
		return err
	}
	if err := checkPostGIS(ctx, c.BinDir, major); err != nil {
		return err
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
	defer unlock()
	if c.Running() {
		return c.attach(ctx, a)
	}
	if err := c.initdb(ctx, a, major); err != nil {
		return err
	}
	port, err := c.choosePort()
	if err != nil {
		return err
	}
	sockDir, err := c.makeSocketDir(a)
	if err != nil {
		return err
	}
	if err := c.writeConfig(a, port, sockDir); err != nil {
		return err
	}
	c.logf("cluster: starting PostgreSQL %d on 127.0.0.1:%d (%s, log in %s)", major, port, c.Dir, c.logFile())
	if err := c.run(ctx, a, "pg_ctl", "start", "-D", c.dataDir(), "-l", c.logFile(),
		"-w", "-t", strconv.Itoa(int(startTimeout.Seconds())), "-s"); err != nil {
		if c.Running() {
			return c.attach(ctx, a) // still starting after pg_ctl gave up, or started by hand meanwhile
		}
		return fmt.Errorf("cluster: start PostgreSQL in %s: %w%s", c.Dir, err, c.logTail())
	}
	c.Port = port
	if err := c.waitReady(ctx); err != nil {
		return err
	}
	return c.rememberPort(a)
}

// lock serializes Start between processes (two `make run` at once would
// otherwise both run initdb), and returns the function that unlocks.
func (c *Cluster) lock(ctx context.Context, a *account) (func(), error) {
	f, err := os.OpenFile(filepath.Join(c.Dir, "start.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if err := a.chown(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("cluster: lock %s: %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("cluster: wait for another start of %s: %w", c.Dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// attach takes the port of the running server and waits until it accepts connections.
func (c *Cluster) attach(ctx context.Context, a *account) error {
	pm, ok := c.postmaster()
	// The server adds its port to postmaster.pid shortly after writing the file.
	for ok && pm.port == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: PostgreSQL in %s is starting: %w", c.Dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		pm, ok = c.postmaster()
	}
	if !ok {
		return fmt.Errorf("cluster: PostgreSQL in %s exited while starting%s", c.Dir, c.logTail())
	}
	c.Port = pm.port
	c.logf("cluster: reusing the running PostgreSQL on 127.0.0.1:%d (%s)", c.Port, c.Dir)
	if err := c.waitReady(ctx); err != nil {
		return err
	}
	return c.rememberPort(a)
}

// Stop shuts the server down (fast: open sessions are ended, committed data
// is kept) and waits until it has exited. It does nothing when the server is
// not running.
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.Running() {
		return nil
	}
	a, err := runAccount()
	if err != nil {
		return err
	}
	c.logf("cluster: stopping PostgreSQL in %s", c.Dir)
	if err := c.run(ctx, a, "pg_ctl", "stop", "-D", c.dataDir(), "-m", "fast",
		"-w", "-t", strconv.Itoa(int(stopTimeout.Seconds())), "-s"); err != nil {
		if !c.Running() {
			return nil // stopped meanwhile by someone else
		}
		return fmt.Errorf("cluster: stop PostgreSQL in %s: %w", c.Dir, err)
	}
	return nil
}

// CreateDatabase creates the database name unless it exists. With dropFirst
// it first drops any database of that name, ending its sessions.
func (c *Cluster) CreateDatabase(ctx context.Context, name string, dropFirst bool) error {
	if name == "" {
		return errors.New("cluster: create database: empty name")
	}
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("cluster: create database %q: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	ident := pgx.Identifier{name}.Sanitize()
	if dropFirst {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("cluster: drop database %q: %w", name, err)
		}
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("cluster: create database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created concurrently
			return nil
		}
		return fmt.Errorf("cluster: create database %q: %w", name, err)
	}
	return nil
}

// DatabaseExists reports whether the running cluster has the database name.
func (c *Cluster) DatabaseExists(ctx context.Context, name string) (bool, error) {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return false, fmt.Errorf("cluster: look for database %q: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return false, fmt.Errorf("cluster: look for database %q: %w", name, err)
	}
	return exists, nil
}

// dataVersion returns the major version recorded in the data directory, or
// "" when there is none.
func (c *Cluster) dataVersion() string {
	b, err := os.ReadFile(filepath.Join(c.dataDir(), "PG_VERSION"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// initdb makes the data directory unless it exists, and checks that an
// existing one was made by the same major version as the binaries.
func (c *Cluster) initdb(ctx context.Context, a *account, major int) error {
	data := c.dataDir()
	if v := c.dataVersion(); v != "" {
		if v != strconv.Itoa(major) {
			return fmt.Errorf("cluster: %s was made by PostgreSQL %s but the binaries in %s are version %d: "+
				"install PostgreSQL %s again, set %s to its binaries, or remove %s to start afresh (this deletes its data)",
				data, v, c.BinDir, major, v, EnvBinDir, c.Dir)
		}
		return nil
	}
	if entries, err := os.ReadDir(data); err == nil && len(entries) > 0 {
		return fmt.Errorf("cluster: %s is not empty but holds no PostgreSQL cluster (no PG_VERSION): remove it", data)
	}
	c.logf("cluster: creating a PostgreSQL %d cluster in %s", major, data)
	// Collation C sorts by code point (fast, and what UTF-8 byte order gives);
	// ctype C.UTF-8 classifies non-ASCII letters properly. Systems without the
	// C.UTF-8 locale fall back to C with UTF-8 encoding.
	args := []string{"-D", data, "-U", Superuser, "-E", "UTF8", "-A", "trust"}
	err := c.run(ctx, a, "initdb", append(args, "--locale=C.UTF-8", "--lc-collate=C")...)
	if err != nil {
		c.logf("cluster: initdb with locale C.UTF-8 failed, trying locale C: %v", err)
		err = c.run(ctx, a, "initdb", append(args, "--locale=C")...)
	}
	if err != nil {
		return fmt.Errorf("cluster: create cluster in %s: %w", data, err)
	}
	hba := "# Written by gridsentry: the server listens on 127.0.0.1 and a private socket directory only.\n" +
		"# TYPE  DATABASE  USER  ADDRESS       METHOD\n" +
		"local   all       all                 trust\n" +
		"host    all       all   127.0.0.1/32  trust\n" +
		"# Streaming replicas (gridsentry cluster replica), which the database \"all\" does not admit.\n" +
		hbaReplication
	if err := writeFile(a, filepath.Join(data, "pg_hba.conf"), hba, 0o600); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	_, err = io.WriteString(f, "\n# gridsentry's settings, rewritten at every start.\ninclude_if_exists = 'gridsentry.conf'\n")
	return errors.Join(err, f.Close())
}

// writeConfig writes data/gridsentry.conf, included at the end of postgresql.conf.
func (c *Cluster) writeConfig(a *account, port int, sockDir string) error {
	mem := memTotal()
	conf := fmt.Sprintf(`# Written by gridsentry at every start. To change a setting for good, use
# ALTER SYSTEM (postgresql.auto.conf is read after this file).
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'

# Sized for bulk loads on a developer's machine (%d MiB of memory).
shared_buffers = %dMB
effective_cache_size = %dMB
maintenance_work_mem = %dMB
work_mem = 32MB
random_page_cost = 1.1
jit = off

# fsync stays on: a crash loses at most the last fraction of a second of
# commits, never the cluster.
synchronous_commit = off
max_wal_size = 4GB
checkpoint_timeout = 15min
checkpoint_completion_target = 0.9
`, port, strings.ReplaceAll(sockDir, "'", "''"), mem,
		clamp(mem/48, 128, 1024), clamp(mem/2, 256, 1<<20), clamp(mem/24, 64, 1024))
	if c.replicationMarked() || c.Standby() {
		// A primary and its replicas have the same settings: a standby
		// refuses to start with fewer WAL senders than its primary.
		conf += `
# Streaming replication (gridsentry cluster replica): WAL for replicas, and
# enough kept for one stopped for a while to catch up. A replica's feedback
# keeps vacuum on the primary from cancelling its long reads.
wal_level = replica
max_wal_senders = 10
wal_keep_size = 1GB
hot_standby = on
hot_standby_feedback = on
`
		if c.Standby() {
			conf += "include_if_exists = '" + standbyConf + "'\n"
		}
	} else {
		conf += `
# wal_level minimal lets COPY into a table made in the same transaction skip
# the WAL; gridsentry cluster replica turns on streaming replication.
wal_level = minimal
max_wal_senders = 0
`
	}
	return writeFile(a, filepath.Join(c.dataDir(), "gridsentry.conf"), conf, 0o600)
}

// memTotal returns the machine's memory in MiB, or 8 GiB when unknown.
func memTotal() int {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 8 << 10
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			if kb, err := strconv.Atoi(f[1]); err == nil {
				return kb >> 10
			}
		}
	}
	return 8 << 10
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// choosePort returns the port of the last start if it is free, else a free one.
func (c *Cluster) choosePort() (int, error) {
	if p := c.rememberedPort(); p > 0 {
		if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
			l.Close()
			return p, nil
		}
		c.logf("cluster: port %d of the last start is taken, choosing another", p)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cluster: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) rememberedPort() int {
	b, err := os.ReadFile(c.portFile())
	if err != nil {
		return 0
	}
	p, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || p <= 0 || p > 65535 {
		return 0
	}
	return p
}

func (c *Cluster) rememberPort(a *account) error {
	return writeFile(a, c.portFile(), strconv.Itoa(c.Port)+"\n", 0o644)
}

// socketDir returns the Unix socket directory for a cluster in dir: run/
// inside it, or a directory under /tmp named after dir when the socket path
// would be too long.
func socketDir(dir string) string {
	d := filepath.Join(dir, "run")
	if len(d)+len("/.s.PGSQL.65535") <= maxSocketPath {
		return d
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join("/tmp", "gridsentry-pg-"+hex.EncodeToString(sum[:6]))
}

// makeSocketDir creates the socket directory, private to the server's user,
// and returns it.
func (c *Cluster) makeSocketDir(a *account) (string, error) {
	d := socketDir(c.Dir)
	err := os.Mkdir(d, 0o700)
	switch {
	case err == nil:
		if err := a.chown(d); err != nil {
			return "", fmt.Errorf("cluster: %w", err)
		}
	case !errors.Is(err, fs.ErrExist):
		return "", fmt.Errorf("cluster: %w", err)
	}
	fi, err := os.Lstat(d)
	if err != nil {
		return "", fmt.Errorf("cluster: %w", err)
	}
	uid := uint32(os.Geteuid())
	if a != nil {
		uid = a.uid
	}
	if !fi.IsDir() || fi.Sys().(*syscall.Stat_t).Uid != uid {
		return "", fmt.Errorf("cluster: socket directory %s is not a directory of the server's user: remove it", d)
	}
	return d, nil
}

// waitReady waits until the server accepts connections.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		err := c.ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: PostgreSQL on 127.0.0.1:%d does not accept connections: %w%s", c.Port, err, c.logTail())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *Cluster) ping(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(c.URL("postgres"))
	if err != nil {
		return err
	}
	cfg.ConnectTimeout = 2 * time.Second
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// run runs a program of BinDir as the account a, in c.Dir, and returns its
// output in the error when it fails.
func (c *Cluster) run(ctx context.Context, a *account, program string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, program), args...)
	cmd.Dir = c.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl start leaves the server running; should it keep our pipe open, do not wait for it.
	cmd.WaitDelay = 5 * time.Second
	// PG* variables such as PGDATA or PGPORT would override what we pass.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if a != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: a.credential()}
		cmd.Env = append(cmd.Env, "HOME="+a.home, "USER="+a.name, "LOGNAME="+a.name)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", program, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// logTail returns the last lines of the server log, to explain a failure.
func (c *Cluster) logTail() string {
	f, err := os.Open(c.logFile())
	if err != nil {
		return ""
	}
	defer f.Close()
	const tail = 4 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > tail {
		f.Seek(fi.Size()-tail, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	if len(b) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines = lines[max(0, len(lines)-15):]
	return fmt.Sprintf("\nlast lines of %s:\n%s", c.logFile(), strings.Join(lines, "\n"))
}

// writeFile writes a file and gives it to a.
func writeFile(a *account, path, content string, perm fs.FileMode) error {
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if err := a.chown(path); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return nil
}
