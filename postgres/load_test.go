package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

func TestLoadDemo(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	cfg := demo.Config{Scale: demo.ScaleDemo, Seed: 3}
	rows := 0
	totals, err := db.LoadDemo(ctx, cfg, func(n int) { rows += n })
	if err != nil {
		t.Fatal(err)
	}
	sum := totals.Towns + totals.Villages + totals.Grids + totals.Roads + totals.Doorplates +
		totals.Places + totals.Buildings + totals.Rooms
	if rows != sum {
		t.Errorf("progress reported %d rows, totals say %d", rows, sum)
	}

	count := func(table string) int {
		var n int
		if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for table, want := range map[string]int{
		"towns": totals.Towns, "villages": totals.Villages, "grids": totals.Grids, "roads": totals.Roads,
		"doorplates": totals.Doorplates, "places": totals.Places, "buildings": totals.Buildings, "rooms": totals.Rooms,
	} {
		if got := count(table); got != want || got == 0 {
			t.Errorf("%s: %d rows stored, generator reported %d", table, got, want)
		}
	}

	// The hierarchy holds in space too, checked by PostGIS, not by the generator.
	for _, c := range []struct{ name, sql string }{
		{"villages outside their town", `SELECT count(*) FROM villages v JOIN towns t ON t.code = v.town_code
			WHERE NOT ST_CoveredBy(v.geom, ST_Buffer(t.geom, 1e-7))`},
		{"grids outside their village", `SELECT count(*) FROM grids g JOIN villages v ON v.code = g.village_code
			WHERE NOT ST_CoveredBy(g.geom, ST_Buffer(v.geom, 1e-7))`},
		{"doorplates outside their grid", `SELECT count(*) FROM doorplates d JOIN grids g ON g.code = d.grid_code
			WHERE NOT ST_Intersects(d.geom, g.geom)`},
		{"buildings not in their grid", `SELECT count(*) FROM buildings b JOIN grids g ON g.code = b.grid_code
			WHERE NOT ST_Intersects(ST_PointOnSurface(b.geom), g.geom)`},
		{"overlapping villages", `SELECT count(*) FROM villages a JOIN villages b ON a.code < b.code
			AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********')`},
		{"overlapping buildings", `SELECT count(*) FROM buildings a JOIN buildings b ON a.id < b.id
			AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********')`},
	} {
		var n int
		if err := db.Pool().QueryRow(ctx, c.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n != 0 {
			t.Errorf("%s: %d", c.name, n)
		}
	}

	if _, err := db.LoadDemo(ctx, cfg, nil); !errors.Is(err, derrors.Conflict) {
		t.Errorf("second load: err = %v, want a conflict", err)
	}
	if got := count("towns"); got != totals.Towns {
		t.Errorf("after the refused load: %d towns, want %d", got, totals.Towns)
	}
}

// TestLoadDemoInterrupted cancels a load half-way: nothing may be left behind.
func TestLoadDemoInterrupted(t *testing.T) {
	db := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	rows := 0
	_, err := db.LoadDemo(ctx, demo.Config{Scale: demo.ScaleDemo, Seed: 1}, func(n int) {
		rows += n
		if rows > 50000 {
			cancel()
		}
	})
	if err == nil {
		t.Fatal("interrupted load succeeded")
	}
	empty, err := db.Empty(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Pool().QueryRow(context.Background(),
		"SELECT (SELECT count(*) FROM towns) + (SELECT count(*) FROM rooms) + (SELECT count(*) FROM datasets)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if !empty || n != 0 {
		t.Errorf("after an interrupted load: empty=%v, %d rows left; want nothing", empty, n)
	}
}
