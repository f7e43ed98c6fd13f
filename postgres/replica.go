package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridsentry/gridsentry/tiles"
)

// Replica is the read pool of a streaming replica of the primary: the
// reads that tolerate a bounded staleness (tiles, lists, exports,
// statistics) use Replica.DB, whose connections go to the replica while it
// is usable and to the primary otherwise. Usable means: reachable, in
// recovery (a standby, not a promoted copy), at most MaxLag behind the
// primary, and holding every change a caller waited for (WaitReplayed).
// Run keeps that judgement current.
//
// The switch is made per connection, in the pool's hooks: a new connection
// goes to the replica or, when it is not usable, straight to the primary; an
// idle connection to a replica no longer usable is closed when taken from
// the pool, and a connection to the server reads no longer go to is closed
// when released. Reads therefore fail over to the primary and come back
// without a restart; a query running on the replica when it dies fails
// (503) and the next one goes to the primary.
type Replica struct {
	primary *DB
	reads   *DB
	probe   *pgx.ConnConfig // the replica alone, for Run
	toPrim  *pgconn.Config  // the primary's host, port and TLS, for connections while the replica is not usable
	maxLag  time.Duration
	every   time.Duration
	log     *slog.Logger

	usable atomic.Bool   // reads go to the replica
	epoch  atomic.Uint64 // counts the changes of usable; a connection remembers the epoch it was made in

	mu       sync.Mutex
	status   ReplicaStatus
	need     uint64        // the WAL position a waiter needs the replica to hold before it is used again
	observed chan struct{} // closed at each probe
	clock    lagClock
	conn     *pgx.Conn // Run's connection to the replica

	kick                      chan struct{}
	waiting                   atomic.Int64
	replicaReads, primaryRead atomic.Uint64
	failovers                 atomic.Uint64
}

// ReplicaOptions tune a Replica. Zero values take the defaults.
type ReplicaOptions struct {
	Options               // of the read pool
	MaxLag  time.Duration // default 10s: further behind, reads go to the primary
	Probe   time.Duration // how often the replica is checked; default 1s
}

// ReplicaStatus is what the last check found.
type ReplicaStatus struct {
	// State is "starting" (not checked yet), "up" (reads go to the
	// replica), "down" (unreachable), "not_standby" (not in recovery:
	// promoted, or the primary itself), "lagging" (over MaxLag behind, or
	// not yet holding a change a reader waits for).
	State      string
	Reachable  bool
	InRecovery bool
	Paused     bool          // WAL replay is paused on the replica
	Lag        time.Duration // how long ago the primary was where the replica has replayed to, to within the probe interval
	LagBytes   uint64        // the primary's WAL the replica has not replayed
	Replayed   uint64        // the replica's last replayed WAL position
	Error      string        // why the replica is not used, when it is not
	CheckedAt  time.Time
}

// Keys of a connection's custom data: whether it is to a standby, and the
// epoch it was made in.
const (
	serverKey = "gridsentry_standby"
	epochKey  = "gridsentry_epoch"
)

// errNotUsable rejects a connection made to the replica while it is not
// usable; the connection goes on to the primary.
var errNotUsable = errors.New("postgres: the read replica is not usable now")

// OpenReplica opens the read pool of the replica at url, a streaming
// replica of primary. Connections to the primary, when the replica is not
// usable, take the primary's host, port and TLS settings and url's user,
// password and database, the same on a physical replica. Like Open it
// connects lazily; reads go to the primary until Run has checked the
// replica once.
func OpenReplica(ctx context.Context, url string, primary *DB, opt ReplicaOptions, log *slog.Logger) (*Replica, error) {
	if opt.MaxLag <= 0 {
		opt.MaxLag = 10 * time.Second
	}
	if opt.Probe <= 0 {
		opt.Probe = time.Second
	}
	cfg, err := poolConfig(url, opt.Options)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "gridsentry reads"
	pc := primary.pool.Config().ConnConfig
	r := &Replica{
		primary: primary,
		probe:   cfg.ConnConfig.Copy(),
		toPrim:  &pc.Config,
		maxLag:  opt.MaxLag,
		every:   opt.Probe,
		log:     log,
		status:  ReplicaStatus{State: "starting", Error: "not checked yet"},
		kick:    make(chan struct{}, 1),
	}
	r.probe.RuntimeParams["application_name"] = "gridsentry replica probe"
	r.observed = make(chan struct{})
	// Should the replica fail to connect while still judged usable, the
	// connection goes on to the primary (and is closed after its query).
	cfg.ConnConfig.Fallbacks = append(cfg.ConnConfig.Fallbacks,
		&pgconn.FallbackConfig{Host: pc.Host, Port: pc.Port, TLSConfig: pc.TLSConfig})
	cfg.ConnConfig.Fallbacks = append(cfg.ConnConfig.Fallbacks, pc.Fallbacks...)
	cfg.BeforeConnect = r.beforeConnect
	cfg.ConnConfig.ValidateConnect = r.validateConnect
	cfg.PrepareConn = r.prepareConn
	cfg.AfterRelease = r.afterRelease
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open read pool: %w", err)
	}
	r.reads = &DB{pool: pool, flagCfg: primary.flagCfg}
	return r, nil
}

// DB returns the read pool, for the reads that may be served by the replica.
func (r *Replica) DB() *DB { return r.reads }

// Close closes the read pool.
func (r *Replica) Close() { r.reads.Close() }

// beforeConnect points a new connection straight at the primary while the
// replica is not usable. cc is the pool's copy for this connection.
func (r *Replica) beforeConnect(_ context.Context, cc *pgx.ConnConfig) error {
	if !r.usable.Load() {
		cc.Host, cc.Port, cc.TLSConfig, cc.Fallbacks = r.toPrim.Host, r.toPrim.Port, r.toPrim.TLSConfig, r.toPrim.Fallbacks
	}
	return nil
}

// validateConnect marks a new connection as to a standby or not, and turns
// one away from a standby not usable (reads became unusable while it
// connected): pgconn then tries the next host.
func (r *Replica) validateConnect(ctx context.Context, pc *pgconn.PgConn) error {
	standby, err := isStandby(ctx, pc)
	if err != nil {
		return err
	}
	pc.CustomData()[serverKey] = standby
	pc.CustomData()[epochKey] = r.epoch.Load()
	if standby && !r.usable.Load() {
		return errNotUsable
	}
	return nil
}

// isStandby reports whether the server is in recovery: from the
// in_hot_standby parameter it reports at connection (PostgreSQL 14 and
// later), else by asking.
func isStandby(ctx context.Context, pc *pgconn.PgConn) (bool, error) {
	switch pc.ParameterStatus("in_hot_standby") {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	res, err := pc.Exec(ctx, "SELECT pg_is_in_recovery()").ReadAll()
	if err != nil {
		return false, err
	}
	if len(res) != 1 || len(res[0].Rows) != 1 || len(res[0].Rows[0]) != 1 {
		return false, errors.New("postgres: pg_is_in_recovery() returned no row")
	}
	return string(res[0].Rows[0][0]) == "t", nil
}

func onStandby(c *pgx.Conn) bool {
	standby, _ := c.PgConn().CustomData()[serverKey].(bool)
	return standby
}

// prepareConn counts each read by the server that serves it. It closes a
// connection to a replica no longer usable, and one to the primary made
// while the replica was not usable once it is again: the pool then takes
// or makes another, which goes where reads go now. A connection to the
// primary made while the replica is usable (it failed to connect) serves
// its read, and is closed on release.
func (r *Replica) prepareConn(_ context.Context, c *pgx.Conn) (bool, error) {
	standby, usable := onStandby(c), r.usable.Load()
	if standby && !usable {
		return false, nil
	}
	if epoch, _ := c.PgConn().CustomData()[epochKey].(uint64); !standby && usable && epoch != r.epoch.Load() {
		return false, nil
	}
	if standby {
		r.replicaReads.Add(1)
	} else {
		r.primaryRead.Add(1)
	}
	return true, nil
}

// afterRelease closes a connection to the server reads no longer go to.
func (r *Replica) afterRelease(c *pgx.Conn) bool {
	return onStandby(c) == r.usable.Load()
}

// Status returns what the last check found.
func (r *Replica) Status() ReplicaStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Usable reports whether reads go to the replica now.
func (r *Replica) Usable() bool { return r.usable.Load() }

// Reads returns how many reads the read pool has served from the replica
// and from the primary.
func (r *Replica) Reads() (replica, primary uint64) {
	return r.replicaReads.Load(), r.primaryRead.Load()
}

// Failovers returns how many times reads have left the replica for the primary.
func (r *Replica) Failovers() uint64 { return r.failovers.Load() }

// Waiting returns how many callers wait in WaitReplayed.
func (r *Replica) Waiting() int64 { return r.waiting.Load() }

// Run checks the replica every probe interval (and sooner when a caller of
// WaitReplayed waits) until ctx ends.
func (r *Replica) Run(ctx context.Context) error {
	defer func() {
		if r.conn != nil {
			_ = r.conn.Close(context.WithoutCancel(ctx))
		}
	}()
	r.check(ctx, true)
	tick := time.NewTicker(r.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			r.check(ctx, true)
		case <-r.kick:
			r.check(ctx, false)
			// Waiters kick after every check: space the checks out.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// observation is what one probe of the replica finds.
type observation struct {
	inRecovery, paused bool
	replayed           uint64
}

// check probes the replica (and, when full, the primary's WAL position, for
// the lag) and decides whether reads go to it.
func (r *Replica) check(ctx context.Context, full bool) {
	var primaryAt uint64
	var primaryErr error
	if full {
		primaryAt, primaryErr = r.primary.walPosition(ctx)
	}
	obs, err := r.observe(ctx)
	if ctx.Err() != nil {
		return
	}
	now := time.Now()

	r.mu.Lock()
	st := r.status
	prevState := st.State
	st.CheckedAt = now
	usable, was := false, r.usable.Load()
	switch {
	case err != nil:
		st.State, st.Reachable, st.Error = "down", false, err.Error()
	default:
		st.Reachable, st.InRecovery, st.Paused, st.Replayed = true, obs.inRecovery, obs.paused, obs.replayed
		if full && primaryErr == nil {
			st.LagBytes = 0
			if primaryAt > obs.replayed {
				st.LagBytes = primaryAt - obs.replayed
			}
			st.Lag = r.clock.observe(now, primaryAt, obs.replayed)
		} else {
			st.Lag = r.clock.replayed(now, obs.replayed)
		}
		switch {
		case !obs.inRecovery:
			st.State, st.Error = "not_standby", "the read database is not in recovery: it is a primary (promoted, or the primary itself), not a replica of it"
		case st.Lag > r.maxLag:
			st.State, st.Error = "lagging", fmt.Sprintf("%s behind the primary, more than %s", st.Lag.Round(time.Millisecond), r.maxLag)
		case !was && full && primaryErr == nil && primaryAt > r.need:
			// Out of use: writes made on the primary meanwhile must be
			// replayed before reads come back, so a list never goes
			// back in time after a failover.
			r.need = primaryAt
			st.State, st.Error = "lagging", fmt.Sprintf("has not replayed %s yet, which the primary wrote while it was out", formatLSN(r.need))
		case !was && obs.replayed < r.need:
			// Back in use only once it holds what readers waited for
			// while it was out; while in use, a waiter takes it out
			// itself if it waits too long.
			st.State, st.Error = "lagging", fmt.Sprintf("has not replayed %s yet, which a reader waited for", formatLSN(r.need))
		default:
			st.State, st.Error, usable = "up", "", true
		}
	}
	r.status = st
	if was != usable {
		r.usable.Store(usable)
		r.epoch.Add(1)
	}
	close(r.observed)
	r.observed = make(chan struct{})
	r.mu.Unlock()

	switch {
	case was && !usable:
		r.failovers.Add(1)
		r.log.Warn("read replica: not usable; reads go to the primary", "state", st.State, "reason", st.Error)
	case !was && usable:
		r.log.Info("read replica: usable; reads go to it", "lag", st.Lag.String(), "replayed", formatLSN(st.Replayed))
	case !usable && st.State != prevState:
		r.log.Warn("read replica: still not usable; reads go to the primary", "state", st.State, "reason", st.Error)
	}
}

// observe asks the replica where it stands, on a connection of Run's own,
// reconnecting after a failure.
func (r *Replica) observe(ctx context.Context) (observation, error) {
	var obs observation
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if r.conn == nil || r.conn.IsClosed() {
		conn, err := pgx.ConnectConfig(ctx, r.probe)
		if err != nil {
			return obs, err
		}
		r.conn = conn
	}
	err := r.conn.QueryRow(ctx, `SELECT pg_is_in_recovery(),
			coalesce(CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END, false),
			coalesce(pg_last_wal_replay_lsn() - '0/0', 0)::bigint`).Scan(&obs.inRecovery, &obs.paused, &obs.replayed)
	if err != nil {
		_ = r.conn.Close(context.WithoutCancel(ctx))
		r.conn = nil
	}
	return obs, err
}

// WaitReplayed returns once reads no longer see the database as it was
// before WAL position lsn of the primary: at once when reads go to the
// primary, else when the replica has replayed lsn. A replica that has not
// within MaxLag is taken out of use (reads go to the primary) and
// WaitReplayed returns; it is used again only once it holds lsn. It fails
// only when ctx ends.
func (r *Replica) WaitReplayed(ctx context.Context, lsn uint64) error {
	r.waiting.Add(1)
	defer r.waiting.Add(-1)
	deadline := time.NewTimer(r.maxLag)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		r.need = max(r.need, lsn)
		if !r.usable.Load() || r.status.Replayed >= lsn {
			r.mu.Unlock()
			return nil
		}
		observed := r.observed
		r.mu.Unlock()
		select {
		case r.kick <- struct{}{}:
		default:
		}
		select {
		case <-observed:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			r.takeOut(fmt.Sprintf("did not replay %s within %s", formatLSN(lsn), r.maxLag))
			return nil
		}
	}
}

// takeOut sends reads to the primary until a check finds the replica
// usable again.
func (r *Replica) takeOut(reason string) {
	r.mu.Lock()
	was := r.usable.Swap(false)
	if was {
		r.epoch.Add(1)
		r.status.State, r.status.Error = "lagging", reason
	}
	r.mu.Unlock()
	if was {
		r.failovers.Add(1)
		r.log.Warn("read replica: not usable; reads go to the primary", "state", "lagging", "reason", reason)
	}
}

// AwaitPrimary waits (WaitReplayed) until reads see everything committed
// on the primary before the call.
func (r *Replica) AwaitPrimary(ctx context.Context) error {
	lsn, err := r.primary.walPosition(ctx)
	if err != nil {
		return err
	}
	return r.WaitReplayed(ctx, lsn)
}

// TileFeed returns the primary's tile change feed, each read of which
// returns once reads see what it returns. A tile cache that drops tiles
// as the feed says, and rebuilds them from the read pool, never caches a
// tile built from a replica that had not replayed the change that dropped
// it: the drop waits for the replay (or for the replica to be taken out of
// use). The same holds for the coverage index, reloaded from the read pool
// after each change and loaded whole after TileChangeHorizon.
func (r *Replica) TileFeed() tiles.ChangeFeed { return replayedFeed{r} }

type replayedFeed struct{ r *Replica }

func (f replayedFeed) TileChangesSince(ctx context.Context, horizon uint64) ([]tiles.Change, uint64, error) {
	cs, next, err := f.r.primary.TileChangesSince(ctx, horizon)
	if err != nil || len(cs) == 0 {
		return cs, next, err
	}
	// Every change just read committed before now: its commit record lies
	// before the primary's WAL position read after it.
	if err := f.r.AwaitPrimary(ctx); err != nil {
		return nil, 0, err
	}
	return cs, next, nil
}

func (f replayedFeed) TileChangeHorizon(ctx context.Context) (uint64, error) {
	h, err := f.r.primary.TileChangeHorizon(ctx)
	if err != nil {
		return 0, err
	}
	// What the reader loads next must hold every transaction ended before h.
	return h, f.r.AwaitPrimary(ctx)
}

// walPosition returns the primary's WAL insert position: every commit
// already visible has its commit record before it. A position just past
// a page header means the page holds no record yet, and a replica that
// has replayed everything stops at the page boundary before the header:
// that boundary is returned, or waiting for it would last until the next
// record is written.
func (db *DB) walPosition(ctx context.Context) (uint64, error) {
	var lsn, block uint64
	err := db.pool.QueryRow(ctx, `SELECT (pg_current_wal_insert_lsn() - '0/0')::bigint, current_setting('wal_block_size')::bigint`).Scan(&lsn, &block)
	if err != nil {
		return 0, translate(err, "read the WAL position")
	}
	return pageStart(lsn, block), nil
}

// Sizes of WAL page headers: the short one, and the long one at the start
// of each segment (XLogPageHeaderData, XLogLongPageHeaderData).
const (
	walShortHeader = 24
	walLongHeader  = 40
)

// pageStart returns lsn, or the start of its page when lsn is just past
// the page's header.
func pageStart(lsn, block uint64) uint64 {
	if block == 0 {
		return lsn
	}
	if off := lsn % block; off == walShortHeader || off == walLongHeader {
		return lsn - off
	}
	return lsn
}

func formatLSN(lsn uint64) string { return fmt.Sprintf("%X/%X", lsn>>32, uint32(lsn)) }

// lagClock measures how far behind the primary a replica is in time: it
// remembers when the primary reached each WAL position it was seen at,
// and a replica that has replayed up to p is as old as the first position
// past p.
type lagClock struct {
	samples []lagSample // ascending by position
}

type lagSample struct {
	at  time.Time
	lsn uint64
}

// maxLagSamples bounds the memory of a replica far behind: an hour of
// samples at one a second. Beyond, the newest are not kept, so the lag
// is still measured from the oldest unreplayed position.
const maxLagSamples = 3600

// observe records the primary at lsn now and returns the lag of a replica
// that has replayed up to replayed.
func (l *lagClock) observe(now time.Time, lsn, replayed uint64) time.Duration {
	if n := len(l.samples); (n == 0 || lsn > l.samples[n-1].lsn) && n < maxLagSamples {
		l.samples = append(l.samples, lagSample{now, lsn})
	}
	return l.replayed(now, replayed)
}

// replayed forgets the positions the replica has replayed and returns its lag.
func (l *lagClock) replayed(now time.Time, replayed uint64) time.Duration {
	i := 0
	for i < len(l.samples) && l.samples[i].lsn <= replayed {
		i++
	}
	l.samples = l.samples[i:]
	if len(l.samples) == 0 {
		return 0
	}
	return now.Sub(l.samples[0].at)
}
