package postgres

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// Evaluating the flag rules: gather the facts (flag_facts.sql,
// flag_groups.sql, flag_areas.sql), run the pure rules of package
// supervision, reconcile the findings with the stored flags and write the
// difference. A full run covers every entity in one pass; an incremental
// run covers the entities the triggers of migration 00006 queued, and
// every group (address, phone, legal representative) they are or were in,
// gathered whole.

//go:embed flag_facts.sql
var flagFactsSQL string

//go:embed flag_areas.sql
var flagAreasSQL string

//go:embed flag_groups.sql
var flagGroupsSQL string

// withCond puts cond in place of the /*COND*/ mark of an embedded query.
func withCond(sql, cond string) string {
	return strings.Replace(sql, "/*COND*/ true", "("+cond+")", 1)
}

// The joins of flag_facts.sql that count an entity's complaints in the
// window and find its overdue first check: for a whole city, one pass over
// each table hashed by entity; for a few entities, a lookup each.
const (
	factsJoinsAll = `LEFT JOIN (SELECT uscc, count(*) AS n FROM complaints WHERE at >= $2 AND uscc IS NOT NULL GROUP BY uscc) c
		ON c.uscc = e.uscc
	LEFT JOIN (SELECT DISTINCT ON (uscc) uscc, id, assignee, pushed_at, due_at, status FROM tasks
		WHERE kind = 'first_check' AND status IN ('pushed', 'received', 'feedback') AND due_at < $1
		ORDER BY uscc, due_at) ft ON ft.uscc = e.uscc`
	factsJoinsFew = `LEFT JOIN LATERAL (SELECT count(*) AS n FROM complaints c WHERE c.uscc = e.uscc AND c.at >= $2) c ON true
	LEFT JOIN LATERAL (SELECT t.id, t.assignee, t.pushed_at, t.due_at, t.status FROM tasks t
		WHERE t.uscc = e.uscc AND t.kind = 'first_check' AND t.status IN ('pushed', 'received', 'feedback') AND t.due_at < $1
		ORDER BY t.due_at LIMIT 1) ft ON true`
)

// SetFlagConfig sets the thresholds of the flag rules; zero fields keep
// the defaults.
func (db *DB) SetFlagConfig(c supervision.FlagConfig) { db.flagCfg = c.WithDefaults() }

func (db *DB) flagConfig() supervision.FlagConfig {
	if db.flagCfg.ClusterRoom == 0 {
		return supervision.DefaultFlagConfig()
	}
	return db.flagCfg
}

// flagRules reads the restricted trades and returns the rules.
func (db *DB) flagRules(ctx context.Context, q querier) (supervision.FlagRules, error) {
	ts, err := restrictedTrades(ctx, q)
	return supervision.NewFlagRules(db.flagConfig(), ts), err
}

func restrictedTrades(ctx context.Context, q querier) ([]supervision.RestrictedTrade, error) {
	rows, _ := q.Query(ctx, `SELECT code, label, keywords, uses FROM restricted_trades ORDER BY position, code`)
	ts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.RestrictedTrade, error) {
		var t supervision.RestrictedTrade
		return t, row.Scan(&t.Code, &t.Label, &t.Keywords, &t.Uses)
	})
	if err != nil {
		return nil, translate(err, "read restricted trades")
	}
	return ts, nil
}

// flagFacts runs the facts query with cond (on alias e, arguments from $4)
// and hands each row to each.
func flagFacts(ctx context.Context, q querier, cfg supervision.FlagConfig, now time.Time, joins, cond string, args []any, each func(*supervision.EntityFacts) error) error {
	all := append([]any{now, now.AddDate(0, 0, -cfg.HotspotDays), cfg.OffSiteMetres}, args...)
	sql := strings.Replace(withCond(flagFactsSQL, cond), "/*JOINS*/", joins, 1)
	rows, err := q.Query(ctx, sql, all...)
	if err != nil {
		return translate(err, "read flag facts")
	}
	defer rows.Close()
	for rows.Next() {
		var f supervision.EntityFacts
		var uscc, kind, status, linkStatus, linkLevel string
		var lon, lat *float64
		var visitID *int64
		var visitAt *time.Time
		var inspector, outcome, crs string
		var vlon, vlat *float64
		var streak int32
		var distance float64
		var complaints int64
		var ftID *int64
		var ftAssignee, ftStatus string
		var ftPushed, ftDue *time.Time
		err := rows.Scan(&uscc, &f.Name, &kind, &status, &f.Industry, &f.Scope, &f.AddressText, &f.RegisteredAt,
			&f.ReportYear, &f.LegalRep, &f.Phone, &f.IDNumber,
			&linkStatus, &linkLevel, &f.LinkScore, &f.LinkIssues,
			&f.AddressCode, &f.BuildingID, &f.GridCode, &f.VillageCode, &f.TownCode, &lon, &lat,
			&f.BuildingStatus, &f.BuildingUse, &f.BuildingLabel, &f.Host,
			&f.LastInspectedAt,
			&visitID, &visitAt, &inspector, &outcome, &crs, &vlon, &vlat, &streak, &distance,
			&complaints, &ftID, &ftAssignee, &ftPushed, &ftDue, &ftStatus)
		if err != nil {
			return translate(err, "scan flag facts")
		}
		f.USCC, f.Kind, f.Status = supervision.USCC(uscc), supervision.Kind(kind), supervision.Status(status)
		f.LinkStatus, f.LinkLevel = addressbook.MatchStatus(linkStatus), addressbook.MatchLevel(linkLevel)
		if lon != nil && lat != nil {
			f.Location = &geo.WGS84{Lon: *lon, Lat: *lat}
		}
		if visitID != nil {
			f.LastVisit = &supervision.VisitFact{ID: *visitID, At: *visitAt, Inspector: inspector,
				Outcome: supervision.Outcome(outcome), CRS: crs, Location: geo.WGS84{Lon: *vlon, Lat: *vlat}, DistanceM: distance}
			f.VisitStreak = int(streak)
		}
		f.Complaints = int(complaints)
		if ftID != nil {
			f.FirstCheck = &supervision.Task{ID: *ftID, USCC: f.USCC, Kind: supervision.TaskFirstCheck, Assignee: ftAssignee,
				Status: supervision.TaskStatus(ftStatus), PushedAt: *ftPushed, DueAt: *ftDue}
		}
		if err := each(&f); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "read flag facts")
}

// complaintAreas returns the complaint counts per building and grid and
// industry that reach the smallest threshold, for cond on alias c.
func complaintAreas(ctx context.Context, q querier, cfg supervision.FlagConfig, now time.Time, cond string, args ...any) ([]supervision.ComplaintArea, error) {
	least := 1 << 30
	for _, m := range []map[string]int{cfg.HotspotBuilding, cfg.HotspotGrid} {
		for _, v := range m {
			least = min(least, v)
		}
	}
	all := append([]any{now.AddDate(0, 0, -cfg.HotspotDays), least}, args...)
	rows, _ := q.Query(ctx, withCond(flagAreasSQL, cond), all...)
	areas, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.ComplaintArea, error) {
		var a supervision.ComplaintArea
		var lon, lat *float64
		var n int64
		var usccs []string
		err := row.Scan(&a.Level, &a.BuildingID, &a.GridCode, &a.VillageCode, &a.TownCode, &a.Industry, &lon, &lat, &n, &usccs)
		if lon != nil && lat != nil {
			a.Location = &geo.WGS84{Lon: *lon, Lat: *lat}
		}
		a.Count = int(n)
		for _, u := range usccs {
			a.USCCs = append(a.USCCs, supervision.USCC(u))
		}
		return a, err
	})
	if err != nil {
		return nil, translate(err, "count complaints by area")
	}
	return areas, nil
}

// FlagRun reports an evaluation: entities read, findings, and the changes
// written by action.
type FlagRun struct {
	Scope    string // full or incremental
	Entities int
	Findings int
	Changes  map[supervision.FlagAction]int
	Alerts   []supervision.Alert
	Took     time.Duration
	// FactsTook is how long reading the facts and running the rules took
	// of a full run; the rest went to reconciling and writing.
	FactsTook time.Duration
}

// RecomputeFlags evaluates every rule over every entity and reconciles all
// stored flags with the findings, in one transaction; progress, when not
// nil, hears the entities evaluated of the total. Alerts are not published
// for a full run: it re-states what the stream said, or starts one.
//
// The facts of the city stream through one query (hash joins over whole
// tables beat a lookup per entity) to two goroutines that run the rules
// and fingerprint the findings; the reconciler keeps only what changed,
// so memory holds the stored flags' keys, not every finding.
func (db *DB) RecomputeFlags(ctx context.Context, now time.Time, progress func(done, total int)) (FlagRun, error) {
	start := time.Now()
	run := FlagRun{Scope: "full"}
	rules, err := db.flagRules(ctx, db.pool)
	if err != nil {
		return run, err
	}
	total, err := db.CountEntities(ctx, false)
	if err != nil {
		return run, err
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// The city's facts take longer than the API's statement timeout.
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return translate(err, "lift the statement timeout")
		}
		states, err := flagStates(ctx, tx, "true")
		if err != nil {
			return err
		}
		rec := supervision.NewReconciler(states)
		var mu sync.Mutex
		add := func(fs []supervision.Finding) {
			fps := make([]string, len(fs))
			for i := range fs {
				fps[i] = supervision.Fingerprint(&fs[i])
			}
			mu.Lock()
			defer mu.Unlock()
			for i := range fs {
				rec.Add(&fs[i], fps[i])
			}
			run.Findings += len(fs)
		}
		batches := make(chan []*supervision.EntityFacts, 4)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for batch := range batches {
					var found []supervision.Finding
					for _, f := range batch {
						found = append(found, rules.Entity(f, now)...)
					}
					add(found)
					mu.Lock()
					run.Entities += len(batch)
					if progress != nil {
						progress(run.Entities, total)
					}
					mu.Unlock()
				}
			}()
		}
		batch := make([]*supervision.EntityFacts, 0, 1024)
		err = flagFacts(ctx, tx, rules.Config, now, factsJoinsAll, "true", nil, func(f *supervision.EntityFacts) error {
			if batch = append(batch, f); len(batch) == cap(batch) {
				batches <- batch
				batch = make([]*supervision.EntityFacts, 0, 1024)
			}
			return nil
		})
		batches <- batch
		close(batches)
		wg.Wait()
		if err != nil {
			return err
		}
		run.FactsTook = time.Since(start)
		groups, err := flagGroups(ctx, tx, rules.Config, "true", "true")
		if err != nil {
			return err
		}
		var found []supervision.Finding
		for i := range groups {
			if f := rules.Group(&groups[i]); f != nil {
				found = append(found, *f)
			}
		}
		areas, err := complaintAreas(ctx, tx, rules.Config, now, "true")
		if err != nil {
			return err
		}
		add(append(found, rules.Areas(areas)...))
		run.Changes, _, err = applyFlagChanges(ctx, tx, rec.Changes(), now)
		if err != nil {
			return err
		}
		// What was queued before this run began, the run has seen.
		if _, err := tx.Exec(ctx, `DELETE FROM flag_queue WHERE queued_at < $1`, start); err != nil {
			return translate(err, "clear the flag queue")
		}
		return logFlagRun(ctx, tx, &run, start)
	})
	run.Took = time.Since(start)
	return run, err
}

// flagGroups reads the groups of entities sharing an address, phone or
// legal representative that have more members than the smallest
// threshold; members narrows the members (alias e), keys the keys (alias
// k), with arguments from $2.
func flagGroups(ctx context.Context, q querier, cfg supervision.FlagConfig, members, keys string, args ...any) ([]supervision.Group, error) {
	least := min(cfg.ClusterRoom, cfg.ClusterDoorplate, cfg.LinkedParties)
	sql := strings.Replace(strings.Replace(flagGroupsSQL, "/*MEMBERS*/ true", "("+members+")", 1), "/*KEYS*/ true", "("+keys+")", 1)
	rows, _ := q.Query(ctx, sql, append([]any{least}, args...)...)
	groups, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.Group, error) {
		var g supervision.Group
		var link string
		var usccs, names, levels, addresses, grids, villages, towns []string
		var buildings []int64
		var lons, lats []float64
		err := row.Scan(&link, &g.Key, &g.Host, &usccs, &names, &levels, &addresses, &buildings, &grids, &villages, &towns, &lons, &lats)
		g.Kind = supervision.FlagParties
		if link == "address" {
			g.Kind = supervision.FlagCluster
		}
		g.Members = make([]supervision.EntityFacts, len(usccs))
		for i := range usccs {
			m := &g.Members[i]
			m.USCC, m.Name, m.Status = supervision.USCC(usccs[i]), names[i], supervision.Active
			m.LinkLevel, m.AddressCode, m.BuildingID = addressbook.MatchLevel(levels[i]), addresses[i], buildings[i]
			m.GridCode, m.VillageCode, m.TownCode = grids[i], villages[i], towns[i]
			if !math.IsNaN(lons[i]) && !math.IsNaN(lats[i]) {
				m.Location = &geo.WGS84{Lon: lons[i], Lat: lats[i]}
			}
		}
		return g, err
	})
	if err != nil {
		return nil, translate(err, "gather entities by address, phone and legal representative")
	}
	return groups, nil
}

func logFlagRun(ctx context.Context, tx pgx.Tx, run *FlagRun, start time.Time) error {
	counts, _ := json.Marshal(run.Changes)
	_, err := tx.Exec(ctx, `INSERT INTO flag_runs (scope, started_at, finished_at, entities, counts)
		VALUES ($1, $2, clock_timestamp(), $3, $4)`, run.Scope, start, run.Entities, counts)
	return translate(err, "log the flag run")
}

// flagStates reads the stored flags matching cond (on alias f), locking
// them against a concurrent evaluation or review.
func flagStates(ctx context.Context, tx pgx.Tx, cond string, args ...any) ([]supervision.FlagState, error) {
	rows, _ := tx.Query(ctx, `SELECT f.id, f.kind, f.subject, f.status, f.fingerprint, f.score FROM flags f WHERE `+cond, args...)
	states, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.FlagState, error) {
		var s supervision.FlagState
		var kind, status string
		var score float32
		err := row.Scan(&s.ID, &kind, &s.Subject, &status, &s.Fingerprint, &score)
		s.Kind, s.Status, s.Score = supervision.FlagKind(kind), supervision.FlagStatus(status), float64(score)
		return s, err
	})
	if err != nil {
		return nil, translate(err, "read stored flags")
	}
	return states, nil
}

func entitySubject(u supervision.USCC) string { return "entity:" + string(u) }

// EvaluateQueued takes up to max entities off the queue, evaluates the
// rules over them (and whoever shares an address, phone or legal
// representative with them), reconciles the flags of that scope and
// publishes an alert per flag raised or re-opened, in one transaction.
// It returns what it did; Entities is 0 when the queue was empty. Only
// full runs are logged in flag_runs: the queue's runs, one a second on a
// busy day, would grow it without telling anyone anything.
func (db *DB) EvaluateQueued(ctx context.Context, now time.Time, max int) (FlagRun, error) {
	start := time.Now()
	run := FlagRun{Scope: "incremental"}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `DELETE FROM flag_queue WHERE uscc IN (
			SELECT uscc FROM flag_queue ORDER BY queued_at LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING uscc`, max)
		dirty, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return translate(err, "take queued entities")
		}
		if len(dirty) == 0 {
			return nil
		}
		run.Entities = len(dirty)
		var alerts []supervision.Alert
		run.Changes, alerts, err = db.evaluate(ctx, tx, dirty, now)
		if err != nil {
			return err
		}
		if err := publishAlerts(ctx, tx, alerts); err != nil {
			return err
		}
		run.Alerts = alerts
		return nil
	})
	run.Took = time.Since(start)
	return run, err
}

// evaluate runs the rules over the entities dirty within tx and writes the
// changes.
//
// The group rules look at every group a dirty entity is in, or was in when
// last evaluated (it may have left: the members of its old group flags
// name the old keys), gathered whole by key.
func (db *DB) evaluate(ctx context.Context, tx pgx.Tx, dirty []string, now time.Time) (map[supervision.FlagAction]int, []supervision.Alert, error) {
	rules, err := db.flagRules(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	var findings []supervision.Finding
	subjects := make([]string, 0, len(dirty))
	for _, u := range dirty {
		subjects = append(subjects, entitySubject(supervision.USCC(u)))
	}
	var buildings []int64
	var grids []string
	err = flagFacts(ctx, tx, rules.Config, now, factsJoinsFew, "e.uscc = ANY($4)", []any{dirty}, func(f *supervision.EntityFacts) error {
		findings = append(findings, rules.Entity(f, now)...)
		if f.BuildingID != 0 {
			buildings = append(buildings, f.BuildingID)
		}
		if f.GridCode != "" {
			grids = append(grids, f.GridCode)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}

	// The keys of the dirty entities and of the members of their group flags.
	rows, _ := tx.Query(ctx, `SELECT coalesce(CASE WHEN link_status = 'matched' THEN address_code END, ''),
			coalesce(phone_key(phone), ''), coalesce(person_key(legal_rep, id_number), '')
		FROM entities WHERE status = 'active' AND uscc IN (
			SELECT unnest($1::text[])
			UNION SELECT unnest(f.usccs) FROM flags f WHERE f.usccs && $1::text[] AND f.uscc IS NULL
				AND f.kind IN ('cluster_registration', 'linked_parties'))`, dirty)
	var addresses, phones, persons []string
	var a, p, q string
	if _, err := pgx.ForEachRow(rows, []any{&a, &p, &q}, func() error {
		for _, x := range []struct {
			key  string
			list *[]string
			kind supervision.FlagKind
			link string
		}{{a, &addresses, supervision.FlagCluster, ""}, {p, &phones, supervision.FlagParties, "phone"}, {q, &persons, supervision.FlagParties, "person"}} {
			if x.key != "" && !slices.Contains(*x.list, x.key) {
				*x.list = append(*x.list, x.key)
				subjects = append(subjects, supervision.GroupSubject(x.kind, x.link, x.key))
			}
		}
		return nil
	}); err != nil {
		return nil, nil, translate(err, "read the group keys of queued entities")
	}
	groups, err := flagGroups(ctx, tx, rules.Config,
		"e.address_code = ANY($2) OR phone_key(e.phone) = ANY($3) OR person_key(e.legal_rep, e.id_number) = ANY($4)",
		"(k.link = 'address' AND k.key = ANY($2)) OR (k.link = 'phone' AND k.key = ANY($3)) OR (k.link = 'person' AND k.key = ANY($4))",
		addresses, phones, persons)
	if err != nil {
		return nil, nil, err
	}
	for i := range groups {
		if f := rules.Group(&groups[i]); f != nil {
			findings = append(findings, *f)
		}
	}
	areas, err := complaintAreas(ctx, tx, rules.Config, now, "(c.building_id = ANY($3) OR c.grid_code = ANY($4))", buildings, grids)
	if err != nil {
		return nil, nil, err
	}
	findings = append(findings, rules.Areas(areas)...)
	var prefixes []string
	for _, b := range buildings {
		prefixes = append(prefixes, fmt.Sprintf("building:%d:%%", b))
	}
	for _, g := range grids {
		prefixes = append(prefixes, "grid:"+g+":%")
	}
	// Group flags that named a dirty entity are in scope too: it may have
	// left the group.
	states, err := flagStates(ctx, tx, `(f.subject = ANY($1) OR f.subject LIKE ANY($2)
		OR (f.uscc IS NULL AND f.usccs && $3::text[] AND f.kind IN ('cluster_registration', 'linked_parties'))) FOR UPDATE`,
		subjects, prefixes, dirty)
	if err != nil {
		return nil, nil, err
	}
	return applyFlagChanges(ctx, tx, supervision.Reconcile(states, findings), now)
}
