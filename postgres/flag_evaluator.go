package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// A FlagEvaluator keeps the flags current while the service runs: it
// drains the queue the triggers fill (every entity, inspection, complaint
// or task written, by any node or tool) a batch at a time, and re-runs the
// full evaluation every FullEvery, since some facts change with the clock
// alone (a first check falls overdue, months pass without an inspection).
// A full run also starts when the database has never had one.
//
// The first full run waits (at most LinkWait) for the relinker to link
// every entity: a freshly loaded city is unlinked, and evaluating it before
// would only queue every entity again when the links land.
type FlagEvaluator struct {
	db        *DB
	log       *slog.Logger
	FullEvery time.Duration // default 6h
	Poll      time.Duration // how often the queue is looked at; default 1s
	Batch     int           // entities per incremental run; default 2000
	LinkWait  time.Duration // default 15m
	started   time.Time
	waiting   bool
}

// NewFlagEvaluator returns an evaluator over db; Run starts it.
func NewFlagEvaluator(db *DB, log *slog.Logger) *FlagEvaluator {
	return &FlagEvaluator{db: db, log: log, FullEvery: 6 * time.Hour, Poll: time.Second, Batch: 2000, LinkWait: 15 * time.Minute}
}

// Run evaluates until ctx ends. Failures are logged and retried on the
// next tick: a database that is down delays flags, it does not stop them.
func (e *FlagEvaluator) Run(ctx context.Context) error {
	e.started = time.Now()
	tick := time.NewTicker(e.Poll)
	defer tick.Stop()
	for {
		if err := e.step(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("flags: evaluation failed; retrying", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// step runs a full evaluation when one is due, then drains the queue.
func (e *FlagEvaluator) step(ctx context.Context) error {
	last, err := e.db.LastFullFlagRun(ctx)
	if err != nil {
		return err
	}
	if last.IsZero() && time.Since(e.started) < e.LinkWait {
		unlinked, err := e.db.CountEntities(ctx, true)
		if err != nil {
			return err
		}
		if unlinked > 0 {
			if !e.waiting {
				e.log.Info("flags: waiting for the entities to be linked before the first evaluation", "unlinked", unlinked)
				e.waiting = true
			}
			return nil
		}
	}
	if last.IsZero() || time.Since(last) >= e.FullEvery {
		run, err := e.db.RecomputeFlags(ctx, time.Now(), nil)
		if err != nil {
			return err
		}
		e.log.Info("flags: full evaluation", "entities", run.Entities, "findings", run.Findings,
			"changes", run.Changes, "took", run.Took.Round(time.Millisecond).String())
	}
	for ctx.Err() == nil {
		run, err := e.db.EvaluateQueued(ctx, time.Now(), e.Batch)
		if err != nil || run.Entities == 0 {
			return err
		}
		e.log.Debug("flags: incremental evaluation", "entities", run.Entities, "changes", run.Changes,
			"alerts", len(run.Alerts), "took", run.Took.Round(time.Millisecond).String())
	}
	return nil
}

// LastFullFlagRun returns when the last full evaluation finished, zero
// when none has.
func (db *DB) LastFullFlagRun(ctx context.Context) (time.Time, error) {
	rows, _ := db.pool.Query(ctx, `SELECT coalesce(max(finished_at), 'epoch') FROM flag_runs WHERE scope = 'full'`)
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[time.Time])
	if err != nil {
		return time.Time{}, translate(err, "read the last flag run")
	}
	if t.Unix() == 0 {
		return time.Time{}, nil
	}
	return t, nil
}
