package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/supervision"
)

// LinkScope chooses the entities a link run reads.
type LinkScope struct {
	All     bool     // every entity
	Pending bool     // entities never linked, or whose address changed since
	Towns   []string // entities linked in these towns, and those no town claims
}

func (s LinkScope) where() (string, []any) {
	switch {
	case s.All:
		return "true", nil
	case len(s.Towns) > 0:
		return "(town_code = ANY($2) OR town_code IS NULL OR linked_at IS NULL)", []any{s.Towns}
	default:
		return "linked_at IS NULL", nil
	}
}

// LinkStats counts what a link run did.
type LinkStats struct {
	Read     int                             `json:"read"`
	Changed  int                             `json:"changed"`
	ByStatus map[addressbook.MatchStatus]int `json:"by_status"`
	Duration time.Duration                   `json:"-"`
}

// linkChunk is how many entities a link run reads, matches and writes in one
// transaction: a run cut short keeps its finished chunks.
const linkChunk = 10_000

// linkWriters is how many chunks of links are written at once, while the
// next chunk is read and matched: the writes (every index of entities gets
// an entry) are the slow part.
const linkWriters = 2

// LinkEntities matches the registered address of the entities in scope
// against ix and writes the links that changed. It works in chunks of
// entities in USCC order, each written in its own transaction, so an
// interrupted run keeps what it finished and a re-run completes it. A link
// is written only if the entity is still at the version read, so a
// concurrent write (which brings its own link) wins. Reading and matching
// the next chunk overlaps the writing of the previous ones. progress, if not
// nil, gets the number of entities read so far after each chunk is written.
func (db *DB) LinkEntities(ctx context.Context, ix *addressbook.Index, scope LinkScope, progress func(read int)) (LinkStats, error) {
	start := time.Now()
	stats := LinkStats{ByStatus: map[addressbook.MatchStatus]int{}}
	if ix == nil {
		return stats, fmt.Errorf("postgres: link entities: no address index")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type chunk struct {
		rows [][]any
		read int
	}
	chunks := make(chan chunk, linkWriters)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range linkWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range chunks {
				n := 0
				if len(c.rows) > 0 {
					var err error
					if n, err = db.writeLinks(ctx, c.rows); err != nil {
						cancel(err)
						continue
					}
				}
				mu.Lock()
				stats.Changed += n
				stats.Read += c.read
				if progress != nil {
					progress(stats.Read)
				}
				mu.Unlock()
			}
		}()
	}
	err := db.readAndMatch(ctx, ix, scope, func(recs []supervision.EntityRecord, links []supervision.Link) error {
		var changed [][]any
		now := time.Now()
		mu.Lock()
		for _, l := range links {
			stats.ByStatus[l.Status]++
		}
		mu.Unlock()
		for i, rec := range recs {
			if rec.LinkedAt != nil && rec.Link.Same(links[i]) {
				continue
			}
			vals, err := linkValues(links[i], now)
			if err != nil {
				return err
			}
			changed = append(changed, append([]any{string(rec.USCC), rec.Version}, vals...))
		}
		select {
		case chunks <- chunk{rows: changed, read: len(recs)}:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(chunks)
	wg.Wait()
	if err == nil {
		err = context.Cause(ctx) // a writer's failure
	}
	stats.Duration = time.Since(start)
	if err != nil {
		return stats, err
	}
	return stats, nil
}

// readAndMatch reads the entities in scope chunk by chunk in USCC order and
// hands each chunk with its links to fn.
func (db *DB) readAndMatch(ctx context.Context, ix *addressbook.Index, scope LinkScope, fn func([]supervision.EntityRecord, []supervision.Link) error) error {
	cond, extra := scope.where()
	query := "SELECT " + entityColumns + " FROM entities WHERE uscc > $1 AND " + cond + " ORDER BY uscc LIMIT " + fmt.Sprint(linkChunk)
	after := ""
	for {
		rows, _ := db.pool.Query(ctx, query, append([]any{after}, extra...)...)
		var recs []supervision.EntityRecord
		for rows.Next() {
			rec, err := scanEntity(rows)
			if err != nil {
				rows.Close()
				return translate(err, "read entities to link")
			}
			recs = append(recs, rec)
		}
		if err := rows.Err(); err != nil {
			if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
				return cause
			}
			return translate(err, "read entities to link")
		}
		if len(recs) == 0 {
			return nil
		}
		after = string(recs[len(recs)-1].USCC)
		if err := fn(recs, matchAll(ix, recs)); err != nil {
			return err
		}
		if len(recs) < linkChunk {
			return nil
		}
	}
}

// matchAll matches the registered addresses of recs on every core.
func matchAll(ix *addressbook.Index, recs []supervision.EntityRecord) []supervision.Link {
	out := make([]supervision.Link, len(recs))
	supervision.LinkEach(ix, len(recs), func(i int) (string, bool) { return recs[i].AddressText, true },
		func(i int, l supervision.Link) { out[i] = l })
	return out
}

var linkStageColumns = append([]string{"uscc", "version"}, linkColumns...)

// writeLinks writes links (rows of linkStageColumns) of entities still at
// the version read, and returns how many it wrote.
func (db *DB) writeLinks(ctx context.Context, rows [][]any) (int, error) {
	var n int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE link_stage ON COMMIT DROP AS
			SELECT `+strings.Join(linkStageColumns, ", ")+` FROM entities LIMIT 0`); err != nil {
			return translate(err, "create the link staging table")
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"link_stage"}, linkStageColumns, pgx.CopyFromRows(rows)); err != nil {
			return translate(err, "stage links")
		}
		set := make([]string, 0, len(linkStageColumns)-2)
		for _, c := range linkStageColumns[2:] {
			set = append(set, c+" = s."+c)
		}
		tag, err := tx.Exec(ctx, "UPDATE entities e SET "+strings.Join(set, ", ")+
			" FROM link_stage s WHERE e.uscc = s.uscc AND e.version = s.version")
		if err != nil {
			return translate(err, "write links")
		}
		n = tag.RowsAffected()
		return nil
	})
	return int(n), err
}

// A Relinker re-links entities when the address library changes: the
// address index tells it which towns it rebuilt, and it re-matches the
// entities of those towns (and those no town claims), writing only the
// links that changed. It also links entities left unlinked (a demo load, a
// write made while the index was loading).
type Relinker struct {
	db      *DB
	index   *AddressIndex
	log     *slog.Logger
	mu      sync.Mutex
	towns   map[string]bool
	pending bool
	wake    chan struct{}
	done    chan LinkStats // for tests: one value per run, dropped when nobody listens
}

// NewRelinker returns a relinker over the address index; Run starts it.
func NewRelinker(db *DB, index *AddressIndex, log *slog.Logger) *Relinker {
	r := &Relinker{db: db, index: index, log: log, towns: map[string]bool{}, pending: true,
		wake: make(chan struct{}, 1), done: make(chan LinkStats, 1)}
	index.OnRefresh(r.townsChanged)
	return r
}

func (r *Relinker) townsChanged(codes []string) {
	r.mu.Lock()
	for _, c := range codes {
		r.towns[c] = true
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Done returns a channel that receives the stats of each finished run.
func (r *Relinker) Done() <-chan LinkStats { return r.done }

// Run re-links until ctx ends: first the unlinked entities, once the index
// is loaded, then the towns the index rebuilds. A failed run is retried.
func (r *Relinker) Run(ctx context.Context) error {
	retry := time.NewTimer(0)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-retry.C:
		}
		ix := r.index.Index()
		if ix == nil {
			retry.Reset(time.Second)
			continue
		}
		r.mu.Lock()
		towns := make([]string, 0, len(r.towns))
		for t := range r.towns {
			towns = append(towns, t)
		}
		pending := r.pending
		clear(r.towns)
		r.pending = false
		r.mu.Unlock()
		if len(towns) == 0 && !pending {
			continue
		}
		scope := LinkScope{Pending: true, Towns: towns}
		stats, err := r.db.LinkEntities(ctx, ix, scope, nil)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.Warn("relink failed; retrying", "towns", towns, "err", err.Error())
			r.mu.Lock()
			for _, t := range towns {
				r.towns[t] = true
			}
			r.pending = true
			r.mu.Unlock()
			retry.Reset(5 * time.Second)
			continue
		}
		if stats.Read > 0 {
			r.log.Info("entities relinked", "towns", towns, "read", stats.Read, "changed", stats.Changed,
				"duration", stats.Duration.Round(time.Millisecond).String())
		}
		select {
		case r.done <- stats:
		default:
		}
	}
}

// CountEntities counts the entities, or only the unlinked ones.
func (db *DB) CountEntities(ctx context.Context, unlinkedOnly bool) (int, error) {
	q := "SELECT count(*) FROM entities"
	if unlinkedOnly {
		q += " WHERE linked_at IS NULL"
	}
	var n int
	err := db.pool.QueryRow(ctx, q).Scan(&n)
	return n, translate(err, "count entities")
}
