package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/postgres"
)

// The benchmark suite's database: gridsentry_bench_<scale>, reused when it
// holds the whole generated city of that scale, linked; built (loaded and
// linked) otherwise. What a build took is recorded in the database (see
// postgres.DB.SetBenchRecord), so that a run reusing it still reports the
// load, import and link times, with when and at which commit they were
// measured.

// benchPlan is what the suite does with the database it found.
type benchPlan struct {
	Build bool   // drop it, create it, migrate, load the city
	Link  bool   // link the entities not linked yet
	Why   string // why it is built, or what is reused
}

// planBench decides from the dataset the database records (ok: it records
// one), the rows it holds and how many entities are unlinked whether the
// database can be reused for scale.
func planBench(ds postgres.Dataset, ok bool, have demo.Totals, unlinked int, scale demo.Scale) benchPlan {
	switch {
	case !ok:
		return benchPlan{Build: true, Why: "it holds no generated city"}
	case ds.Scale != scale:
		return benchPlan{Build: true, Why: fmt.Sprintf("it holds the %s scale, not %s", ds.Scale, scale)}
	}
	want := ds.Counts
	for _, c := range []struct {
		what       string
		have, want int
	}{
		{"towns", have.Towns, want.Towns}, {"villages", have.Villages, want.Villages}, {"grids", have.Grids, want.Grids},
		{"doorplates", have.Doorplates, want.Doorplates}, {"buildings", have.Buildings, want.Buildings},
		{"rooms", have.Rooms, want.Rooms}, {"entities", have.Entities, want.Entities},
	} {
		// Entities registered since the load are welcome; missing rows
		// are not.
		if c.have < c.want {
			return benchPlan{Build: true, Why: fmt.Sprintf("it holds %s of the %s %s the load wrote", fmtCount(c.have), fmtCount(c.want), c.what)}
		}
	}
	why := fmt.Sprintf("the %s scale (seed %d) loaded %s", ds.Scale, ds.Seed, ds.LoadedAt.UTC().Format(time.DateOnly))
	if unlinked > 0 {
		return benchPlan{Link: true, Why: why + fmt.Sprintf(", %s entities not linked yet", fmtCount(unlinked))}
	}
	return benchPlan{Why: why + ", every entity linked"}
}

// schemaCheck says whether a database at migration version current can
// serve a build whose newest migration is target: migrate says to apply
// the pending ones first; a newer database is an error, as this build
// does not know its schema.
func schemaCheck(db string, current, target int64) (migrate bool, err error) {
	if current > target {
		return false, fmt.Errorf("bench: %s is at migration %d, newer than this build's %d: run the bench from a newer checkout, or -rebuild",
			db, current, target)
	}
	return current < target, nil
}

// buildFigure is one recorded figure of a build.
type buildFigure struct {
	Seconds    float64   `json:"seconds"`
	Rows       int       `json:"rows,omitempty"` // what it loaded, imported or linked
	Detail     string    `json:"detail,omitempty"`
	MeasuredAt time.Time `json:"measured_at"`
	Commit     string    `json:"commit"`
}

func (f *buildFigure) took() time.Duration { return time.Duration(f.Seconds * float64(time.Second)) }

// buildRecord is what the database records of its build.
type buildRecord struct {
	Load       *buildFigure `json:"load,omitempty"`
	Import     *buildFigure `json:"import,omitempty"`
	Link       *buildFigure `json:"link,omitempty"`
	FlagsFirst *buildFigure `json:"flags_first,omitempty"` // the first full evaluation, raising every flag
}

// readBuildRecord returns the database's record; an empty one when it has
// none or it cannot be read.
func readBuildRecord(ctx context.Context, db *postgres.DB) (buildRecord, error) {
	var rec buildRecord
	raw, err := db.BenchRecord(ctx)
	if err != nil || raw == nil {
		return rec, err
	}
	if json.Unmarshal(raw, &rec) != nil {
		return buildRecord{}, nil
	}
	return rec, nil
}

func writeBuildRecord(ctx context.Context, db *postgres.DB, rec buildRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return db.SetBenchRecord(ctx, b)
}
