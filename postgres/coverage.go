package postgres

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/supervision"
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
