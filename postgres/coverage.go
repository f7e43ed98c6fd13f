package postgres

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
)

//go:embed coverage.sql
var coverageSQL string

// coverageQuery returns coverage.sql for the area column and the filter's
// conditions, with their arguments after the six of the box and window.
func coverageQuery(area string, f supervision.CoverageFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", 6+len(args))))
	}
	if f.TownCode != "" {
		add("e.town_code = $?", f.TownCode)
	}
	if f.Industry != "" {
		add("e.industry = $?", f.Industry)
	}
	if f.Kind != "" {
		add("e.kind = $?", string(f.Kind))
	}
	cond := "true"
	if len(conds) > 0 {
		cond = strings.Join(conds, " AND ")
	}
	sql := strings.ReplaceAll(coverageSQL, "/*AREA*/", area)
	return strings.Replace(sql, "/*COND*/ true", cond, 1), args
}

func coverageRows(ctx context.Context, q querier, area string, bbox [4]float64, f supervision.CoverageFilter, now time.Time,
	each func(key any, m supervision.CoverageMetrics)) error {
	window := f.Window()
	sql, extra := coverageQuery(area, f)
	args := append([]any{bbox[0], bbox[1], bbox[2], bbox[3], now, now.AddDate(0, 0, -window)}, extra...)
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return translate(err, "measure coverage")
	}
	defer rows.Close()
	for rows.Next() {
		var key any
		var n, inspected, never, overdue, flags int64
		if err := rows.Scan(&key, &n, &inspected, &never, &overdue, &flags); err != nil {
			return translate(err, "measure coverage")
		}
		each(key, supervision.CoverageMetrics{Entities: int(n), Inspected: int(inspected), NeverInspected: int(never),
			OverdueTasks: int(overdue), OpenFlags: int(flags)})
	}
	return translate(rows.Err(), "measure coverage")
}

// CoverageCells returns the coverage of the H3 cells at resolution res
// (supervision.MinH3Res to MaxH3Res) of the active entities located in
// bbox (west, south, east, north, WGS84), as of now.
func (db *DB) CoverageCells(ctx context.Context, res int, bbox [4]float64, f supervision.CoverageFilter, now time.Time) ([]supervision.CoverageCell, error) {
	if res < supervision.MinH3Res || res > supervision.MaxH3Res {
		return nil, fmt.Errorf("postgres: coverage at H3 resolution %d: entities carry %d to %d", res, supervision.MinH3Res, supervision.MaxH3Res)
	}
	var out []supervision.CoverageCell
	err := coverageRows(ctx, db.pool, fmt.Sprintf("h3_%d", res), bbox, f, now, func(key any, m supervision.CoverageMetrics) {
		out = append(out, supervision.CoverageCell{Cell: h3.Cell(key.(int64)), CoverageMetrics: m})
	})
	return out, err
}

// CoverageGrids returns the coverage of the management grids of the
// active entities located in bbox, as of now.
func (db *DB) CoverageGrids(ctx context.Context, bbox [4]float64, f supervision.CoverageFilter, now time.Time) ([]supervision.CoverageGrid, error) {
	var out []supervision.CoverageGrid
	err := coverageRows(ctx, db.pool, "grid_code", bbox, f, now, func(key any, m supervision.CoverageMetrics) {
		g := key.(string)
		out = append(out, supervision.CoverageGrid{GridCode: g, VillageCode: g[:12], TownCode: g[:9], CoverageMetrics: m})
	})
	return out, err
}

//go:embed coverage_load.sql
var coverageLoadSQL string

// coverageLoadQueries are coverage_load.sql for the whole city and for
// some buckets ($1).
var coverageLoadQueries = struct{ city, buckets string }{
	city: strings.NewReplacer("/*BUCKETS*/ true", "true", "/*IN_SCOPE t*/ true", "true", "/*IN_SCOPE f*/ true", "true").
		Replace(coverageLoadSQL),
	buckets: strings.NewReplacer("/*BUCKETS*/ true", "e.h3_7 = ANY ($1)",
		"/*IN_SCOPE t*/ true", "t.uscc IN (SELECT uscc FROM scope)",
		"/*IN_SCOPE f*/ true", "f.uscc IN (SELECT uscc FROM scope)").Replace(coverageLoadSQL),
}

// LoadCoverage returns what the coverage index holds of the active,
// located entities of the res-7 buckets given, or of the whole city when
// all is set, in one snapshot.
func (db *DB) LoadCoverage(ctx context.Context, buckets []h3.Cell, all bool) ([]supervision.CoverageEntity, error) {
	sql, args := coverageLoadQueries.city, []any(nil)
	if !all {
		if len(buckets) == 0 {
			return nil, nil
		}
		ids := make([]int64, len(buckets))
		for i, b := range buckets {
			ids[i] = int64(b)
		}
		sql, args = coverageLoadQueries.buckets, []any{ids}
	}
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, translate(err, "load coverage")
	}
	defer tx.Rollback(ctx)
	if all {
		// The whole city is a bulk read: hash joins, never a nested loop.
		// Just after the city is linked, the statistics still say no
		// entity has a cell, and the planner, expecting one row, would
		// loop over the tasks and flags for each of the 2 million. Nor
		// is it an API query: on a busy machine it outlasts the API's
		// statement timeout (16 s idle, over 30 s while other work shared
		// the two cores), and the coverage would never load.
		if _, err := tx.Exec(ctx, "SET LOCAL enable_nestloop = off; SET LOCAL statement_timeout = 0"); err != nil {
			return nil, translate(err, "load coverage")
		}
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err, "load coverage")
	}
	defer rows.Close()
	var out []supervision.CoverageEntity
	for rows.Next() {
		var e supervision.CoverageEntity
		var cells [len(e.Cells)]int64
		var kind string
		var inspected *time.Time
		if err := rows.Scan(&cells[0], &cells[1], &cells[2], &cells[3], &cells[4], &e.GridCode, &e.TownCode, &e.Industry, &kind,
			&inspected, &e.TaskDues, &e.OpenFlags); err != nil {
			return nil, translate(err, "load coverage")
		}
		for i, c := range cells {
			e.Cells[i] = h3.Cell(c)
		}
		e.Kind = supervision.Kind(kind)
		if inspected != nil {
			e.LastInspected = *inspected
		}
		if len(e.TaskDues) == 0 {
			e.TaskDues = nil
		}
		out = append(out, e)
	}
	return out, translate(rows.Err(), "load coverage")
}

// LoadGridShapes returns the outlines of the management grids.
func (db *DB) LoadGridShapes(ctx context.Context) ([]tiles.GridShape, error) {
	rows, err := db.pool.Query(ctx, `SELECT code, name, village_code, town_code, ST_AsBinary(geom) FROM grids ORDER BY code`)
	if err != nil {
		return nil, translate(err, "load grid outlines")
	}
	defer rows.Close()
	var out []tiles.GridShape
	for rows.Next() {
		var g tiles.GridShape
		var shape []byte
		if err := rows.Scan(&g.Code, &g.Name, &g.VillageCode, &g.TownCode, &shape); err != nil {
			return nil, translate(err, "load grid outlines")
		}
		geom, err := wkb.Unmarshal(shape)
		if err != nil {
			return nil, fmt.Errorf("postgres: grid %s outline: %w", g.Code, err)
		}
		g.Geometry, g.Bound = geom, geom.Bound()
		out = append(out, g)
	}
	return out, translate(rows.Err(), "load grid outlines")
}
