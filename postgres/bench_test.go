package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/supervision"
)

// TestBenchQueries checks what the benchmark suite reads of its database:
// the dataset the load recorded and the rows it holds, the record kept in
// the database's comment, and the scratch import that leaves nothing.
func TestBenchQueries(t *testing.T) {
	f := newEntityFixture(t)
	db, ctx := f.db, context.Background()

	ds, ok, err := db.Dataset(ctx)
	if err != nil || !ok {
		t.Fatalf("Dataset: ok %v, err %v; want the demo city", ok, err)
	}
	if ds.Scale != demo.ScaleDemo || ds.Seed != 1 || ds.Counts.Entities == 0 || time.Since(ds.LoadedAt) > 24*time.Hour {
		t.Errorf("Dataset = %+v", ds)
	}
	have, err := db.LibraryCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := ds.Counts
	if have.Towns != want.Towns || have.Villages != want.Villages || have.Grids != want.Grids || have.Doorplates != want.Doorplates ||
		have.Buildings != want.Buildings || have.Rooms != want.Rooms || have.Entities != want.Entities {
		t.Errorf("LibraryCounts = %+v, want the loaded %+v", have, want)
	}
	if pg, gis, err := db.ServerVersions(ctx); err != nil || pg == "" || gis == "" {
		t.Errorf("ServerVersions = %q, %q, %v", pg, gis, err)
	}

	if rec, err := db.BenchRecord(ctx); err != nil || rec != nil {
		t.Errorf("BenchRecord of a new database = %s, %v; want none", rec, err)
	}
	rec := json.RawMessage(`{"link":{"seconds":22.5,"rows":68341,"commit":"it's \"quoted\""}}`)
	if err := db.SetBenchRecord(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if got, err := db.BenchRecord(ctx); err != nil || string(got) != string(rec) {
		t.Errorf("BenchRecord = %s, %v; want %s", got, err, rec)
	}

	im, err := db.BeginScratchEntityImport(ctx, postgres.WriteOptions{Source: "import"})
	if err != nil {
		t.Fatal(err)
	}
	e := f.entity(t, 1, time.Now().Add(-time.Hour))
	l := supervision.LinkOf(f.ix.Match(e.AddressText, ""))
	res, err := im.Write(ctx, []supervision.Write{{Entity: e, Link: &l}})
	if err != nil || len(res) != 1 || res[0].Outcome != supervision.Created {
		t.Fatalf("scratch import write: %+v, %v", res, err)
	}
	if err := im.Commit(ctx); err == nil {
		t.Error("a scratch import committed")
	}
	if err := im.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "SELECT count(*) FROM entities"); n != want.Entities {
		t.Errorf("%d entities after the scratch import, want the %d there were", n, want.Entities)
	}
	if n := f.count(t, "SELECT count(*) FROM entities WHERE uscc = $1", string(e.USCC)); n != 0 {
		t.Error("the scratch import's entity was kept")
	}
}
