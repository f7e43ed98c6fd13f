package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/supervision"
)

// TestCoverage measures a town's coverage by hexagon and by grid on the
// linked demo city and checks it against counts made directly, then that
// an overdue task and an open flag land in the right hexagon.
func TestCoverage(t *testing.T) {
	ctx := context.Background()
	db := linkedCity(t)
	var until time.Time
	var town string
	var bbox [4]float64
	if err := db.Pool().QueryRow(ctx, `SELECT d.until, t.code, ST_XMin(t.geom), ST_YMin(t.geom), ST_XMax(t.geom), ST_YMax(t.geom)
		FROM datasets d, towns t WHERE d.name = 'demo' ORDER BY t.code LIMIT 1`).
		Scan(&until, &town, &bbox[0], &bbox[1], &bbox[2], &bbox[3]); err != nil {
		t.Fatal(err)
	}
	f := supervision.CoverageFilter{TownCode: town, WindowDays: 180}
	var want supervision.CoverageMetrics
	if err := db.Pool().QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE last_inspected_at >= $2),
			count(*) FILTER (WHERE last_inspected_at IS NULL)
		FROM entities WHERE status = 'active' AND town_code = $1 AND location IS NOT NULL`, town, until.AddDate(0, 0, -180)).
		Scan(&want.Entities, &want.Inspected, &want.NeverInspected); err != nil {
		t.Fatal(err)
	}
	if want.Entities == 0 || want.Inspected == 0 || want.NeverInspected == 0 {
		t.Fatalf("town %s: %+v, want entities both inspected and not", town, want)
	}
	cells, err := db.CoverageCells(ctx, 9, bbox, f, until)
	if err != nil {
		t.Fatal(err)
	}
	var got supervision.CoverageMetrics
	for _, c := range cells {
		if c.Cell.Resolution() != 9 {
			t.Fatalf("cell %s at resolution %d, want 9", c.Cell, c.Cell.Resolution())
		}
		got.Add(c.CoverageMetrics)
	}
	if got.Entities != want.Entities || got.Inspected != want.Inspected || got.NeverInspected != want.NeverInspected {
		t.Errorf("hexagons add up to %+v, want %+v", got, want)
	}
	grids, err := db.CoverageGrids(ctx, bbox, f, until)
	if err != nil {
		t.Fatal(err)
	}
	var byGrid supervision.CoverageMetrics
	for _, g := range grids {
		if g.TownCode != town {
			t.Errorf("grid %s of town %s in the coverage of %s", g.GridCode, g.TownCode, town)
		}
		byGrid.Add(g.CoverageMetrics)
	}
	if byGrid != got {
		t.Errorf("grids add up to %+v, hexagons to %+v", byGrid, got)
	}
	food, err := db.CoverageCells(ctx, 9, bbox, supervision.CoverageFilter{TownCode: town, Industry: "H", WindowDays: 180}, until)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range food {
		n += c.Entities
	}
	if n == 0 || n >= want.Entities {
		t.Errorf("industry H: %d entities of %d, want some but not all", n, want.Entities)
	}

	// An overdue check and an open flag for one entity count in its hexagon.
	var uscc string
	var cell int64
	if err := db.Pool().QueryRow(ctx, `SELECT uscc, h3_9 FROM entities WHERE status = 'active' AND town_code = $1
		AND h3_9 IS NOT NULL ORDER BY uscc LIMIT 1`, town).Scan(&uscc, &cell); err != nil {
		t.Fatal(err)
	}
	before := metricsOf(cells, h3.Cell(cell))
	if _, err := db.Pool().Exec(ctx, `INSERT INTO tasks (uscc, kind, assignee, status, pushed_at, due_at)
		VALUES ($1, 'check', 'grid', 'pushed', $2::timestamptz - interval '30 days', $2::timestamptz - interval '1 day')`, uscc, until); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO flags (kind, subject, uscc, usccs, score, title, evidence, fingerprint,
			status, raised_at, opened_at, updated_at)
		VALUES ('blind_spot', 'entity:' || $1, $1, ARRAY[$1], 50, 't', '{}', 'x', 'open', now(), now(), now())`, uscc); err != nil {
		t.Fatal(err)
	}
	cells, err = db.CoverageCells(ctx, 9, bbox, f, until)
	if err != nil {
		t.Fatal(err)
	}
	after := metricsOf(cells, h3.Cell(cell))
	if after.OverdueTasks != before.OverdueTasks+1 || after.OpenFlags != before.OpenFlags+1 || after.Entities != before.Entities {
		t.Errorf("cell %x before %+v, after %+v: want one more overdue task and the flag counted", cell, before, after)
	}
}

func metricsOf(cells []supervision.CoverageCell, c h3.Cell) supervision.CoverageMetrics {
	for _, x := range cells {
		if x.Cell == c {
			return x.CoverageMetrics
		}
	}
	return supervision.CoverageMetrics{}
}
