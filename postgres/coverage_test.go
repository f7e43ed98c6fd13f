package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/postgres"
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
	overdueCheckAndFlag(t, db, uscc, until)
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

// TestCoverageIndexMatchesDatabase loads the linked demo city into the
// in-memory coverage index and checks it against the database's own
// counts (CoverageCells, CoverageGrids) under several filters; then that
// reloading one bucket after a change brings it level again.
func TestCoverageIndexMatchesDatabase(t *testing.T) {
	ctx := context.Background()
	db := linkedCity(t)
	var until time.Time
	var town string
	if err := db.Pool().QueryRow(ctx, `SELECT d.until, t.code FROM datasets d, towns t WHERE d.name = 'demo' ORDER BY t.code LIMIT 1`).
		Scan(&until, &town); err != nil {
		t.Fatal(err)
	}
	es, err := db.LoadCoverage(ctx, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	ix := supervision.NewCoverageIndex()
	ix.Replace(nil, true, es)
	city := [4]float64{-180, -90, 180, 90}
	everywhere := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	check := func(name string, f supervision.CoverageFilter) {
		t.Helper()
		want, err := db.CoverageCells(ctx, 9, city, f, until)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatalf("%s: no cells in the database", name)
		}
		got := ix.Cells(9, everywhere, f, until)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: cells (-database +index)\n%s", name, diff)
		}
		grids, err := db.CoverageGrids(ctx, city, f, until)
		if err != nil {
			t.Fatal(err)
		}
		codes := make([]string, len(grids))
		for i, g := range grids {
			codes[i] = g.GridCode
		}
		if diff := cmp.Diff(grids, ix.Grids(codes, f, until)); diff != "" {
			t.Errorf("%s: grids (-database +index)\n%s", name, diff)
		}
	}
	check("all", supervision.CoverageFilter{})
	check("town, 90 days", supervision.CoverageFilter{TownCode: town, WindowDays: 90})
	check("industry and kind, a year", supervision.CoverageFilter{Industry: "F", Kind: supervision.Individual, WindowDays: 365})

	// An overdue task, a flag and an inspection for one entity; the
	// index sees them once its bucket is reloaded.
	var uscc string
	var cell int64
	if err := db.Pool().QueryRow(ctx, `SELECT uscc, h3_7 FROM entities WHERE status = 'active' AND h3_11 IS NOT NULL
		AND last_inspected_at IS NULL ORDER BY uscc LIMIT 1`).Scan(&uscc, &cell); err != nil {
		t.Fatal(err)
	}
	overdueCheckAndFlag(t, db, uscc, until)
	if _, err := db.Pool().Exec(ctx, `UPDATE entities SET last_inspected_at = $2::timestamptz - interval '2 days' WHERE uscc = $1`, uscc, until); err != nil {
		t.Fatal(err)
	}
	bucket := h3.Cell(cell)
	some, err := db.LoadCoverage(ctx, []h3.Cell{bucket}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range some {
		if e.Cells[0] != bucket {
			t.Fatalf("bucket %s loaded an entity of %s", bucket, e.Cells[0])
		}
	}
	ix.Replace([]h3.Cell{bucket}, false, some)
	check("after the change", supervision.CoverageFilter{})
}

// overdueCheckAndFlag gives entity uscc an on-site check a day overdue at
// until and an open flag.
func overdueCheckAndFlag(t *testing.T, db *postgres.DB, uscc string, until time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Pool().Exec(ctx, `INSERT INTO tasks (uscc, kind, assignee, status, pushed_at, due_at)
		VALUES ($1, 'check', 'grid', 'pushed', $2::timestamptz - interval '30 days', $2::timestamptz - interval '1 day')`, uscc, until); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO flags (kind, subject, uscc, usccs, score, title, evidence, fingerprint,
			status, raised_at, opened_at, updated_at)
		VALUES ('blind_spot', 'entity:' || $1, $1, ARRAY[$1], 50, 't', '{}', 'x', 'open', now(), now(), now())`, uscc); err != nil {
		t.Fatal(err)
	}
}
