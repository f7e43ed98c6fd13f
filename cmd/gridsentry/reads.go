package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
)

// Which reads go to the read replica (-read-database-url), and why.
//
// To the replica, through the read pool: what is read in bulk and may lag
// the primary by at most -read-max-lag:
//   - tiles: the table layers, and the coverage index behind the computed
//     layers (its first load and its reloads after each change);
//   - the lists: entities (GET /v1/entities, POST /v1/entities:search),
//     tasks, inspections, leads, complaints, flags;
//   - the exports: entities, the standard address library;
//   - statistics (/v1/stats/*: the rollups serve's refresher keeps on the
//     primary, read as of their last refresh).
//
// On the primary: the writes, and every read that a write depends on or
// that a user expects to see their own write in:
//   - reads inside write workflows (they run in the write's transaction);
//   - one record by id (an entity with its history, a task, a flag, ...),
//     the page a user opens after acting on it;
//   - token checks (a revocation takes effect at once), the audit log;
//   - the address index and the relinker, the flag evaluator, the LISTEN
//     followers (alerts, tile changes, library changes): they follow the
//     primary's change feeds and write;
//   - rules, departments, inspection items: small, edited and read back.
//
// A method not routed below stays on the primary: a new read is safe
// until someone decides it may lag.

// readPool is where the reads that may lag go: the replica's read pool, or
// the primary when no replica is configured.
type readPool struct {
	db      *postgres.DB
	replica *postgres.Replica // nil: no replica
}

// registerReads adds the read replica settings.
func (c *config) registerReads(fs *flag.FlagSet) {
	fs.StringVar(&c.ReadDatabaseURL, "read-database-url", env("GRIDSENTRY_READ_DATABASE_URL", ""),
		"PostgreSQL URL of a streaming replica of the database, for tiles, lists, exports and statistics "+
			"(gridsentry cluster replica start makes one of the private cluster); empty: every read on the primary (env GRIDSENTRY_READ_DATABASE_URL)")
	fs.DurationVar(&c.ReadMaxLag, "read-max-lag", envDuration("GRIDSENTRY_READ_MAX_LAG", 10*time.Second),
		"reads go to the primary while the replica is further behind than this, and a tile change waits at most this long for the replica to replay it (env GRIDSENTRY_READ_MAX_LAG)")
}

// openReads opens the read pool of -read-database-url over the primary db.
func openReads(ctx context.Context, cfg *config, db *postgres.DB, log *slog.Logger) (readPool, error) {
	if cfg.ReadDatabaseURL == "" {
		return readPool{db: db}, nil
	}
	if cfg.ReadMaxLag <= 0 {
		return readPool{}, fmt.Errorf("-read-max-lag: %s is not positive", cfg.ReadMaxLag)
	}
	r, err := postgres.OpenReplica(ctx, cfg.ReadDatabaseURL, db, postgres.ReplicaOptions{
		Options: postgres.Options{MaxConns: int32(cfg.DBMaxConns), StatementTimeout: cfg.StatementTimeout},
		MaxLag:  cfg.ReadMaxLag,
	}, log)
	if err != nil {
		return readPool{}, fmt.Errorf("-read-database-url: %w", err)
	}
	return readPool{db: r.DB(), replica: r}, nil
}

// close closes the read pool, unless it is the primary.
func (p readPool) close() {
	if p.replica != nil {
		p.replica.Close()
	}
}

// feed returns the tile change feed: the primary's, held back until the
// replica has replayed what it returns (postgres.Replica.TileFeed).
func (p readPool) feed(db *postgres.DB) tiles.ChangeFeed {
	if p.replica != nil {
		return p.replica.TileFeed()
	}
	return db
}

// details are the replica's part of /readyz.
func (p readPool) details() map[string]any {
	if p.replica == nil {
		return nil
	}
	st := p.replica.Status()
	readsTo := "primary"
	if p.replica.Usable() {
		readsTo = "replica"
	}
	d := map[string]any{"state": st.State, "reads_to": readsTo, "reachable": st.Reachable, "in_recovery": st.InRecovery,
		"replay_paused": st.Paused, "lag_seconds": st.Lag.Seconds(), "lag_bytes": st.LagBytes}
	if st.Error != "" {
		d["reason"] = st.Error
	}
	if !st.CheckedAt.IsZero() {
		d["checked_at"] = st.CheckedAt.UTC().Format(time.RFC3339Nano)
	}
	return map[string]any{"replica": d}
}

// registerMetrics exports the replica's state to reg.
func (p readPool) registerMetrics(reg prometheus.Registerer) {
	r := p.replica
	if r == nil {
		return
	}
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	gauge("gridsentry_replica_up", "1 while reads go to the read replica, 0 while they fail over to the primary.", func() float64 {
		if r.Usable() {
			return 1
		}
		return 0
	})
	gauge("gridsentry_replica_lag_seconds", "How long ago the primary was where the replica has replayed to (to within a second).",
		func() float64 { return r.Status().Lag.Seconds() })
	gauge("gridsentry_replica_lag_bytes", "The primary's WAL the replica has not replayed.",
		func() float64 { return float64(r.Status().LagBytes) })
	gauge("gridsentry_replica_replay_waits", "Tile change feed reads waiting for the replica to replay what they read.",
		func() float64 { return float64(r.Waiting()) })
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gridsentry_replica_failovers_total",
		Help: "Times reads left the replica for the primary (down, lagging, not a standby)."}, func() float64 { return float64(r.Failovers()) }))
	for _, server := range []string{"replica", "primary"} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gridsentry_db_reads_total",
			Help:        "Connections the read pool handed to reads, by the server that served them.",
			ConstLabels: prometheus.Labels{"server": server}}, func() float64 {
			rep, prim := r.Reads()
			if server == "replica" {
				return float64(rep)
			}
			return float64(prim)
		}))
	}
}

// entityReads sends the entity lists and exports to the read pool; one
// entity, and any method not routed here, stay on the primary (the
// embedded DB).
type entityReads struct {
	*postgres.DB
	reads *postgres.DB
}

func (e entityReads) Entities(ctx context.Context, f supervision.EntityFilter) ([]supervision.EntityRecord, error) {
	return e.reads.Entities(ctx, f)
}

func (e entityReads) EachEntity(ctx context.Context, f supervision.EntityFilter, fn func(supervision.EntityRecord) error) error {
	return e.reads.EachEntity(ctx, f, fn)
}

// workflowReads sends the workflow lists to the read pool; the records by
// id, an entity's history and every write stay on the primary.
type workflowReads struct {
	*postgres.DB
	reads *postgres.DB
}

func (w workflowReads) Tasks(ctx context.Context, f supervision.TaskFilter) ([]supervision.Task, bool, error) {
	return w.reads.Tasks(ctx, f)
}

func (w workflowReads) Inspections(ctx context.Context, f supervision.InspectionFilter) ([]supervision.InspectionRecord, bool, error) {
	return w.reads.Inspections(ctx, f)
}

func (w workflowReads) Leads(ctx context.Context, f supervision.LeadFilter) ([]supervision.Lead, bool, error) {
	return w.reads.Leads(ctx, f)
}

func (w workflowReads) Complaints(ctx context.Context, f supervision.ComplaintFilter) ([]supervision.Complaint, bool, error) {
	return w.reads.Complaints(ctx, f)
}

// flagReads sends the flag list to the read pool; one flag, its review
// and the open flags a clerk is warned of stay on the primary.
type flagReads struct {
	*postgres.DB
	reads *postgres.DB
}

func (f flagReads) Flags(ctx context.Context, ff supervision.FlagFilter) ([]supervision.Flag, bool, error) {
	return f.reads.Flags(ctx, ff)
}

// The read pool exports the library.
var _ addressbook.Exporter = (*postgres.DB)(nil)
