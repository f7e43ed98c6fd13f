package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// Reading the statistics from the rollups of migration 00014 (refreshed
// by stats_refresh.go). Every answer reads in one read-only transaction at
// one snapshot, its queries sent in one batch: the city's answers read the
// town-level rollups (stats_town_*), a town's or a village's the
// grid-level ones of that town, through their town index.

// statsSource is where a read looks: the town-level rollups of the city
// or of one town, or the grid-level ones of a town or a village; group is
// the column its items are keyed by ("" for none).
type statsSource struct {
	townLevel     bool
	group         string
	town, village string
}

// statsSQL numbers the arguments of one query.
type statsSQL struct{ args []any }

func (b *statsSQL) arg(v any) string {
	b.args = append(b.args, v)
	return fmt.Sprintf("$%d", len(b.args))
}

func (s statsSource) table(name string) string {
	if s.townLevel {
		return "stats_town_" + name
	}
	return "stats_" + name
}

// where is the source's condition and extra ones, joined with AND.
func (s statsSource) where(b *statsSQL, extra ...string) string {
	var conds []string
	if s.town != "" || !s.townLevel {
		conds = append(conds, "town_code = "+b.arg(s.town))
	}
	if s.village != "" {
		conds = append(conds, "village_code = "+b.arg(s.village))
	}
	conds = append(conds, extra...)
	if len(conds) == 0 {
		return "true"
	}
	return strings.Join(conds, " AND ")
}

// between is the condition that month lies in p.
func between(b *statsSQL, p supervision.Period) string {
	return "month BETWEEN " + b.arg(p.From.Date()) + " AND " + b.arg(p.To.Date())
}

// statsRead runs fn's queries, queued on a batch, in a read-only
// transaction at one snapshot, and returns the as_of of the rollups of
// town ("" with all: every town).
func (db *DB) statsRead(ctx context.Context, town string, all bool, fn func(b *pgx.Batch)) (*time.Time, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, translate(err, "read statistics")
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	var asOf *time.Time
	// The rollups hold every change committed before the last refresh of
	// their town; a town with no change since holds every change committed
	// now. NULL: a town read was never refreshed.
	var filter any = town
	if all {
		filter = nil
	}
	b.Queue(`SELECT CASE WHEN bool_or(r.at IS NULL) THEN NULL ELSE coalesce(min(r.at), now()) END
		FROM (SELECT DISTINCT town_code FROM stats_dirty WHERE $1::text IS NULL OR town_code = $1) d
		LEFT JOIN stats_refreshed r USING (town_code)`, filter).QueryRow(func(row pgx.Row) error { return row.Scan(&asOf) })
	fn(b)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, translate(err, "read statistics")
	}
	return asOf, nil
}

// collect queues sql and hands each row's values to each.
func collect(b *pgx.Batch, sql string, args []any, each func(pgx.Rows) error) {
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// division is a town, village or grid: its code and name.
type division struct{ code, name string }

// statsLevel checks that the area of an area report exists and returns
// where its items are read and the divisions they are.
func (db *DB) statsLevel(ctx context.Context, q supervision.StatsQuery) (statsSource, []division, error) {
	var src statsSource
	var sql string
	var args []any
	switch q.Level {
	case supervision.StatsCity:
		src = statsSource{townLevel: true, group: "town_code", town: q.TownCode}
		sql, args = `SELECT code, name FROM towns WHERE $1 = '' OR code = $1 ORDER BY code`, []any{q.TownCode}
	case supervision.StatsTown:
		if err := db.statsAreaExists(ctx, "towns", q.TownCode, "town"); err != nil {
			return src, nil, err
		}
		src = statsSource{group: "village_code", town: q.TownCode}
		sql, args = `SELECT code, name FROM villages WHERE town_code = $1 ORDER BY code`, []any{q.TownCode}
	case supervision.StatsVillage:
		if err := db.statsAreaExists(ctx, "villages", q.VillageCode, "village"); err != nil {
			return src, nil, err
		}
		src = statsSource{group: "grid_code", town: q.TownCode, village: q.VillageCode}
		sql, args = `SELECT code, name FROM grids WHERE village_code = $1 ORDER BY code`, []any{q.VillageCode}
	}
	rows, _ := db.pool.Query(ctx, sql, args...)
	divs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (division, error) {
		var d division
		return d, row.Scan(&d.code, &d.name)
	})
	if err != nil {
		return src, nil, translate(err, "read divisions")
	}
	return src, divs, nil
}

// statsAreaExists returns NotFound unless table (towns or villages) has code.
func (db *DB) statsAreaExists(ctx context.Context, table, code, what string) error {
	_, err := db.statsAreaName(ctx, table, code, what)
	return err
}

// statsAreaName returns the name of the town or village code (table towns
// or villages), or NotFound.
func (db *DB) statsAreaName(ctx context.Context, table, code, what string) (string, error) {
	var name string
	err := db.pool.QueryRow(ctx, "SELECT name FROM "+table+" WHERE code = $1", code).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", derrors.New(derrors.NotFound, "%s %s not found", what, code)
	}
	if err != nil {
		return "", translate(err, "look up "+what)
	}
	return name, nil
}

// AreaStats returns the statistics of the towns of the city, the villages
// of a town or the grids of a village (q.Level): one item for each, and
// one with code "" for the rows linked to none of them when there are any.
func (db *DB) AreaStats(ctx context.Context, q supervision.StatsQuery) (supervision.AreaReport, error) {
	rep := supervision.AreaReport{Period: q.Period}
	src, divs, err := db.statsLevel(ctx, q)
	if err != nil {
		return rep, err
	}
	// The total is the town or village asked about (the city's is named by
	// the caller).
	switch q.Level {
	case supervision.StatsTown:
		rep.Total.Code = q.TownCode
		rep.Total.Name, err = db.statsAreaName(ctx, "towns", q.TownCode, "town")
	case supervision.StatsVillage:
		rep.Total.Code = q.VillageCode
		rep.Total.Name, err = db.statsAreaName(ctx, "villages", q.VillageCode, "village")
	}
	if err != nil {
		return rep, err
	}
	areas := map[string]*supervision.AreaStats{}
	get := func(code string) *supervision.AreaStats {
		a, ok := areas[code]
		if !ok {
			a = &supervision.AreaStats{Code: code}
			areas[code] = a
		}
		return a
	}
	p, g := q.Period, src.group
	rep.AsOf, err = db.statsRead(ctx, q.TownCode, q.Level == supervision.StatsCity && q.TownCode == "", func(b *pgx.Batch) {
		s := &statsSQL{}
		collect(b, `SELECT `+g+`, kind, industry, status, sum(n) FROM `+src.table("entities")+` WHERE `+src.where(s)+
			` GROUP BY 1, 2, 3, 4`, s.args, func(rows pgx.Rows) error {
			var code, kind, industry, status string
			var n int64
			err := rows.Scan(&code, &kind, &industry, &status, &n)
			get(code).Entities.Add(kind, industry, status, n)
			return err
		})
		s = &statsSQL{}
		collect(b, `SELECT `+g+`, sum(n), coalesce(sum(n) FILTER (WHERE month >= `+s.arg(p.From.Date())+`), 0) FROM `+
			src.table("coverage")+` WHERE `+src.where(s)+` GROUP BY 1`, s.args, func(rows pgx.Rows) error {
			var code string
			var active, covered int64
			err := rows.Scan(&code, &active, &covered)
			a := get(code)
			a.Inspections.ActiveEntities, a.Inspections.Covered = active, covered
			return err
		})
		s = &statsSQL{}
		collect(b, `SELECT `+g+`, sum(registrations) FROM `+src.table("registrations")+` WHERE `+src.where(s, between(s, p))+
			` GROUP BY 1`, s.args, func(rows pgx.Rows) error {
			var code string
			var n int64
			err := rows.Scan(&code, &n)
			get(code).NewRegistrations = n
			return err
		})
		s = &statsSQL{}
		collect(b, `SELECT `+g+`, sum(inspections) FROM `+src.table("activity")+` WHERE `+src.where(s, between(s, p))+
			` GROUP BY 1`, s.args, func(rows pgx.Rows) error {
			var code string
			var n int64
			err := rows.Scan(&code, &n)
			get(code).Inspections.Count = n
			return err
		})
		s = &statsSQL{}
		collect(b, `SELECT `+g+`, `+taskSums(s, q.Now)+` FROM `+src.table("tasks")+` WHERE `+src.where(s, between(s, p))+
			` GROUP BY 1`, s.args, func(rows pgx.Rows) error {
			var code string
			var t supervision.TaskCounts
			err := scanTasks(rows, &code, &t)
			get(code).Tasks = t
			return err
		})
		s = &statsSQL{}
		collect(b, `SELECT `+g+`, kind, status, sum(n) FROM `+src.table("flags")+` WHERE `+src.where(s)+` GROUP BY 1, 2, 3`,
			s.args, func(rows pgx.Rows) error {
				var code, kind, status string
				var n int64
				err := rows.Scan(&code, &kind, &status, &n)
				get(code).Flags.Add(kind, status, n)
				return err
			})
		s = &statsSQL{}
		collect(b, `SELECT `+g+`, source, category, sum(n) FROM `+src.table("complaints")+` WHERE `+src.where(s, between(s, p))+
			` GROUP BY 1, 2, 3`, s.args, func(rows pgx.Rows) error {
			var code, source, category string
			var n int64
			err := rows.Scan(&code, &source, &category, &n)
			get(code).Complaints.Add(source, category, n)
			return err
		})
	})
	if err != nil {
		return rep, err
	}
	rep.Items = areaItems(divs, areas, func(a *supervision.AreaStats, code, name string) { a.Code, a.Name = code, name },
		func(a *supervision.AreaStats) bool { return a.Empty() })
	rep.Complete()
	return rep, nil
}

// areaItems lists an item for each division, named with set, then one for
// each code read that is no division's (the "" of rows linked to none),
// unless it is empty.
func areaItems[T any](divs []division, read map[string]*T, set func(a *T, code, name string), empty func(*T) bool) []T {
	out := make([]T, 0, len(divs)+1)
	named := map[string]bool{}
	for _, d := range divs {
		named[d.code] = true
		a, ok := read[d.code]
		if !ok {
			a = new(T)
		}
		set(a, d.code, d.name)
		out = append(out, *a)
	}
	var rest []string
	for code, a := range read {
		if !named[code] && !empty(a) {
			rest = append(rest, code)
		}
	}
	slices.Sort(rest)
	for _, code := range rest {
		name := code
		if code == "" {
			name = supervision.UnlinkedName
		}
		set(read[code], code, name)
		out = append(out, *read[code])
	}
	return out
}

// taskSums are the sums of the tasks rollup as scanTasks reads them.
func taskSums(s *statsSQL, now time.Time) string {
	return `sum(n), sum(received), sum(answered), sum(closed), sum(returned),
		sum(closed_late) + coalesce(sum(n) FILTER (WHERE open_due < ` + s.arg(now) + `), 0),
		coalesce(sum(n) FILTER (WHERE open_due <> 'infinity'), 0)`
}

func scanTasks(rows pgx.Rows, key any, t *supervision.TaskCounts) error {
	return rows.Scan(key, &t.Pushed, &t.Received, &t.Answered, &t.Closed, &t.Returned, &t.Overdue, &t.Open)
}

// DepartmentStats returns the tasks and leads of every department (of
// q.Department only, when given) within the city or q.TownCode.
func (db *DB) DepartmentStats(ctx context.Context, q supervision.StatsQuery) (supervision.DepartmentReport, error) {
	rep := supervision.DepartmentReport{Period: q.Period}
	if q.TownCode != "" {
		if err := db.statsAreaExists(ctx, "towns", q.TownCode, "town"); err != nil {
			return rep, err
		}
	}
	rows, _ := db.pool.Query(ctx, `SELECT code, name FROM departments WHERE $1 = '' OR code = $1 ORDER BY code`, q.Department)
	divs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (division, error) {
		var d division
		return d, row.Scan(&d.code, &d.name)
	})
	if err != nil {
		return rep, translate(err, "read departments")
	}
	depts := map[string]*supervision.DepartmentStats{}
	for _, d := range divs {
		depts[d.code] = &supervision.DepartmentStats{Code: d.code, Name: d.name, AnswerDays: map[int]int64{}}
	}
	// Rows of departments not listed (none, or not the caller's) are skipped.
	get := func(code string) *supervision.DepartmentStats {
		if d, ok := depts[code]; ok {
			return d
		}
		return &supervision.DepartmentStats{AnswerDays: map[int]int64{}}
	}
	src := statsSource{townLevel: true, town: q.TownCode}
	p := q.Period
	rep.AsOf, err = db.statsRead(ctx, q.TownCode, q.TownCode == "", func(b *pgx.Batch) {
		s := &statsSQL{}
		collect(b, `SELECT department_code, `+taskSums(s, q.Now)+` FROM stats_town_tasks WHERE `+src.where(s, between(s, p))+
			` GROUP BY 1`, s.args, func(rows pgx.Rows) error {
			var code string
			var t supervision.TaskCounts
			err := scanTasks(rows, &code, &t)
			get(code).Tasks = t
			return err
		})
		s = &statsSQL{}
		collect(b, `SELECT department_code, days, sum(n) FROM stats_town_task_answers WHERE `+src.where(s, between(s, p))+
			` GROUP BY 1, 2`, s.args, func(rows pgx.Rows) error {
			var code string
			var days int
			var n int64
			err := rows.Scan(&code, &days, &n)
			get(code).AnswerDays[days] = n
			return err
		})
		s = &statsSQL{}
		collect(b, `SELECT to_department, sum(n), coalesce(sum(n) FILTER (WHERE status <> 'closed'), 0),
				coalesce(sum(n) FILTER (WHERE status = 'closed'), 0)
			FROM stats_leads WHERE `+src.where(s, between(s, p))+` GROUP BY 1`,
			s.args, func(rows pgx.Rows) error {
				var code string
				var l supervision.LeadCounts
				err := rows.Scan(&code, &l.Received, &l.Open, &l.Closed)
				d := get(code)
				d.Leads.Received, d.Leads.Open, d.Leads.Closed = l.Received, l.Open, l.Closed
				return err
			})
		s = &statsSQL{}
		collect(b, `SELECT from_department, sum(n) FROM stats_leads WHERE `+src.where(s, between(s, p))+` GROUP BY 1`,
			s.args, func(rows pgx.Rows) error {
				var code string
				var n int64
				err := rows.Scan(&code, &n)
				get(code).Leads.Sent = n
				return err
			})
	})
	if err != nil {
		return rep, err
	}
	for _, d := range divs {
		rep.Items = append(rep.Items, *depts[d.code])
	}
	return rep, nil
}

// statsScope checks the area of a trend or an industry report (the
// village when q has one, else the town, else the city) and returns where
// its figures are read, its code and its name.
func (db *DB) statsScope(ctx context.Context, q supervision.StatsQuery) (statsSource, string, string, error) {
	var name, town string
	switch {
	case q.VillageCode != "":
		err := db.pool.QueryRow(ctx, `SELECT name, town_code FROM villages WHERE code = $1`, q.VillageCode).Scan(&name, &town)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && q.TownCode != "" && town != q.TownCode {
			return statsSource{}, "", "", derrors.New(derrors.NotFound, "village %s not found", q.VillageCode)
		}
		return statsSource{town: town, village: q.VillageCode}, q.VillageCode, name, translate(err, "look up village")
	case q.TownCode != "":
		err := db.pool.QueryRow(ctx, `SELECT name FROM towns WHERE code = $1`, q.TownCode).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return statsSource{}, "", "", derrors.New(derrors.NotFound, "town %s not found", q.TownCode)
		}
		return statsSource{townLevel: true, town: q.TownCode}, q.TownCode, name, translate(err, "look up town")
	}
	return statsSource{townLevel: true}, supervision.CityCode, supervision.CityName, nil
}

// TrendStats returns the history of the city, a town or a village, month
// by month.
func (db *DB) TrendStats(ctx context.Context, q supervision.StatsQuery) (supervision.TrendReport, error) {
	rep := supervision.TrendReport{Period: q.Period}
	src, code, name, err := db.statsScope(ctx, q)
	if err != nil {
		return rep, err
	}
	rep.AreaCode, rep.Area = code, name
	for _, m := range []*map[supervision.Month]int64{&rep.Registered, &rep.Cancelled, &rep.Pushed, &rep.Closed,
		&rep.Inspected, &rep.Raised, &rep.Reported} {
		*m = map[supervision.Month]int64{}
	}
	p := q.Period
	byMonth := func(b *pgx.Batch, sql string, args []any, into ...map[supervision.Month]int64) {
		collect(b, sql, args, func(rows pgx.Rows) error {
			var d time.Time
			ns := make([]int64, len(into))
			dest := []any{&d}
			for i := range ns {
				dest = append(dest, &ns[i])
			}
			err := rows.Scan(dest...)
			for i, m := range into {
				m[supervision.MonthOfDate(d)] = ns[i]
			}
			return err
		})
	}
	rep.AsOf, err = db.statsRead(ctx, src.town, src.town == "", func(b *pgx.Batch) {
		s := &statsSQL{}
		b.Queue(`SELECT coalesce(sum(n), 0) FROM `+src.table("entities")+` WHERE `+src.where(s, "status = 'active'"), s.args...).
			QueryRow(func(row pgx.Row) error { return row.Scan(&rep.ActiveNow) })
		// From the period's first month on, after it too: the active at a
		// month's end are worked back from those active now.
		s = &statsSQL{}
		byMonth(b, `SELECT month, sum(registrations), sum(cancellations) FROM `+src.table("registrations")+` WHERE `+
			src.where(s, "month >= "+s.arg(p.From.Date()))+` GROUP BY 1`, s.args, rep.Registered, rep.Cancelled)
		s = &statsSQL{}
		byMonth(b, `SELECT month, sum(n) FROM `+src.table("tasks")+` WHERE `+src.where(s, between(s, p))+` GROUP BY 1`,
			s.args, rep.Pushed)
		s = &statsSQL{}
		byMonth(b, `SELECT month, sum(inspections), sum(tasks_closed), sum(flags_raised) FROM `+src.table("activity")+` WHERE `+
			src.where(s, between(s, p))+` GROUP BY 1`, s.args, rep.Inspected, rep.Closed, rep.Raised)
		s = &statsSQL{}
		byMonth(b, `SELECT month, sum(n) FROM `+src.table("complaints")+` WHERE `+src.where(s, between(s, p))+` GROUP BY 1`,
			s.args, rep.Reported)
	})
	if err != nil {
		return rep, err
	}
	rep.Build(q.Now)
	return rep, nil
}

// IndustryStats returns the industries of the city, a town or a village by
// complaints within the period and the one before.
func (db *DB) IndustryStats(ctx context.Context, q supervision.StatsQuery) (supervision.IndustryReport, error) {
	rep := supervision.IndustryReport{Period: q.Period, Previous: q.Period.Previous()}
	src, _, _, err := db.statsScope(ctx, q)
	if err != nil {
		return rep, err
	}
	items := map[string]*supervision.IndustryStats{}
	get := func(code string) *supervision.IndustryStats {
		it, ok := items[code]
		if !ok {
			it = &supervision.IndustryStats{Industry: code, Name: supervision.IndustryLabel(code)}
			items[code] = it
		}
		return it
	}
	p, prev := q.Period, rep.Previous
	rep.AsOf, err = db.statsRead(ctx, src.town, src.town == "", func(b *pgx.Batch) {
		s := &statsSQL{}
		collect(b, `SELECT industry, sum(n) FROM `+src.table("entities")+` WHERE `+src.where(s, "status = 'active'")+
			` GROUP BY 1`, s.args, func(rows pgx.Rows) error {
			var code string
			var n int64
			err := rows.Scan(&code, &n)
			get(code).Entities = n
			return err
		})
		s = &statsSQL{}
		collect(b, `SELECT industry, sum(registrations) FROM `+src.table("registrations")+` WHERE `+src.where(s, between(s, p))+
			` GROUP BY 1`, s.args, func(rows pgx.Rows) error {
			var code string
			var n int64
			err := rows.Scan(&code, &n)
			get(code).NewRegistrations = n
			return err
		})
		s = &statsSQL{}
		collect(b, `SELECT industry, month >= `+s.arg(p.From.Date())+`, source = 'other', sum(n) FROM `+src.table("complaints")+
			` WHERE `+src.where(s, between(s, supervision.Period{From: prev.From, To: p.To}))+` GROUP BY 1, 2, 3`,
			s.args, func(rows pgx.Rows) error {
				var code string
				var current, letter bool
				var n int64
				err := rows.Scan(&code, &current, &letter, &n)
				it := get(code)
				switch {
				case current && letter:
					it.Letters += n
				case current:
					it.Complaints += n
				case !letter:
					it.PreviousComplaints += n
				}
				return err
			})
	})
	if err != nil {
		return rep, err
	}
	for _, it := range items {
		if it.Entities+it.NewRegistrations+it.Complaints+it.Letters+it.PreviousComplaints > 0 {
			rep.Items = append(rep.Items, *it)
		}
	}
	supervision.RankIndustries(rep.Items)
	return rep, nil
}

// ComplaintStats returns the complaint hot spots of the towns of the city,
// or of the villages of q.TownCode.
func (db *DB) ComplaintStats(ctx context.Context, q supervision.StatsQuery) (supervision.ComplaintReport, error) {
	rep := supervision.ComplaintReport{Period: q.Period, Level: "town"}
	level := supervision.StatsCity
	if q.TownCode != "" {
		level, rep.Level = supervision.StatsTown, "village"
	}
	src, divs, err := db.statsLevel(ctx, supervision.StatsQuery{Level: level, TownCode: q.TownCode})
	if err != nil {
		return rep, err
	}
	areas := map[string]*supervision.ComplaintHotSpot{}
	byIndustry := map[string]map[string]int64{}
	get := func(code string) *supervision.ComplaintHotSpot {
		a, ok := areas[code]
		if !ok {
			a = &supervision.ComplaintHotSpot{Code: code}
			areas[code], byIndustry[code] = a, map[string]int64{}
		}
		return a
	}
	p, prev := q.Period, q.Period.Previous()
	rep.AsOf, err = db.statsRead(ctx, q.TownCode, q.TownCode == "", func(b *pgx.Batch) {
		s := &statsSQL{}
		collect(b, `SELECT `+src.group+`, industry, month >= `+s.arg(p.From.Date())+`, source = 'other', sum(n) FROM `+
			src.table("complaints")+` WHERE `+src.where(s, between(s, supervision.Period{From: prev.From, To: p.To}))+
			` GROUP BY 1, 2, 3, 4`, s.args, func(rows pgx.Rows) error {
			var code, industry string
			var current, letter bool
			var n int64
			err := rows.Scan(&code, &industry, &current, &letter, &n)
			a := get(code)
			switch {
			case current && letter:
				a.Letters += n
			case current:
				a.Complaints += n
				byIndustry[code][industry] += n
			case !letter:
				a.PreviousComplaints += n
			}
			return err
		})
	})
	if err != nil {
		return rep, err
	}
	for code, a := range areas {
		a.TopIndustries = supervision.TopIndustries(byIndustry[code], 3)
	}
	rep.Items = areaItems(divs, areas, func(a *supervision.ComplaintHotSpot, code, name string) { a.Code, a.Name = code, name },
		func(a *supervision.ComplaintHotSpot) bool { return a.Complaints+a.Letters+a.PreviousComplaints == 0 })
	slices.SortStableFunc(rep.Items, func(a, b supervision.ComplaintHotSpot) int {
		return cmp.Or(cmp.Compare(b.Complaints, a.Complaints), strings.Compare(a.Code, b.Code))
	})
	return rep, nil
}

// LeadStats returns the flows of the leads made within the period in the
// city or q.TownCode: from whom (a department or a source) to whom; with
// q.Department, those from or to it.
func (db *DB) LeadStats(ctx context.Context, q supervision.StatsQuery) (supervision.LeadReport, error) {
	rep := supervision.LeadReport{Period: q.Period, Departments: map[string]string{}}
	if q.TownCode != "" {
		if err := db.statsAreaExists(ctx, "towns", q.TownCode, "town"); err != nil {
			return rep, err
		}
	}
	src := statsSource{townLevel: true, town: q.TownCode}
	var err error
	rep.AsOf, err = db.statsRead(ctx, q.TownCode, q.TownCode == "", func(b *pgx.Batch) {
		s := &statsSQL{}
		extra := []string{between(s, q.Period)}
		if q.Department != "" {
			d := s.arg(q.Department)
			extra = append(extra, "(from_department = "+d+" OR to_department = "+d+")")
		}
		collect(b, `SELECT from_department, to_department, sum(n), coalesce(sum(n) FILTER (WHERE status <> 'closed'), 0),
				coalesce(sum(n) FILTER (WHERE status = 'closed'), 0)
			FROM stats_leads WHERE `+src.where(s, extra...)+` GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
			s.args, func(rows pgx.Rows) error {
				var f supervision.LeadFlow
				err := rows.Scan(&f.From, &f.To, &f.Count, &f.Open, &f.Closed)
				rep.Flows = append(rep.Flows, f)
				return err
			})
		collect(b, `SELECT code, name FROM departments ORDER BY code`, nil, func(rows pgx.Rows) error {
			var code, name string
			err := rows.Scan(&code, &name)
			rep.Departments[code] = name
			return err
		})
	})
	return rep, err
}
