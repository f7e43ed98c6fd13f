package postgres_test

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// linkAccuracySQL judges every generated entity's link against the ground
// truth, as demo.AddressCase.Correct judges a match: an existing address
// must be linked to the true room (or building, or doorplate, at the level
// the text names); a made-up one must not be linked at all.
const linkAccuracySQL = `
SELECT t.noise, t.exists, count(*),
       count(*) FILTER (WHERE CASE
           WHEN NOT t.exists THEN e.link_status IS DISTINCT FROM 'matched'
           WHEN t.true_code <> '' THEN e.link_status = 'matched' AND e.address_code = t.true_code
           WHEN t.true_building_id <> 0 THEN e.link_status = 'matched' AND e.building_id = t.true_building_id
                AND e.address_code LIKE t.true_doorplate || '%'
           ELSE e.link_status = 'matched' AND e.address_code = t.true_doorplate
       END)
FROM demo_entity_truth t JOIN entities e USING (uscc)
GROUP BY 1, 2 ORDER BY 2 DESC, 1`

// TestLinkAccuracy links the generated entities of the demo city and
// measures the links against the generator's ground truth. With
// GRIDSENTRY_BENCH_DATABASE_URL it measures the links already in that
// database instead (make bench links the city scale first; make
// bench-entities measures it).
func TestLinkAccuracy(t *testing.T) {
	ctx := context.Background()
	db := linkedCity(t)
	rows, _ := db.Pool().Query(ctx, linkAccuracySQL)
	var noise string
	var exists bool
	var n, ok int
	var existing, existingOK, made, madeOK int
	t.Logf("%-24s %9s %9s", "kind", "entities", "correct")
	if _, err := pgx.ForEachRow(rows, []any{&noise, &exists, &n, &ok}, func() error {
		t.Logf("%-24s %9d %8.2f%%", noise, n, 100*float64(ok)/float64(n))
		if exists {
			existing, existingOK = existing+n, existingOK+ok
		} else {
			made, madeOK = made+n, madeOK+ok
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if existing == 0 || made == 0 {
		t.Fatalf("no ground truth: %d existing, %d made-up addresses", existing, made)
	}
	correct := float64(existingOK) / float64(existing)
	falseLinks := float64(made-madeOK) / float64(made)
	t.Logf("existing addresses linked correctly: %.2f%% of %d; made-up addresses linked anyway (false links): %.2f%% of %d",
		100*correct, existing, 100*falseLinks, made)
	if correct < 0.98 {
		t.Errorf("%.2f%% of existing addresses linked correctly, want at least 98%%", 100*correct)
	}
	if falseLinks > 0.01 {
		t.Errorf("%.2f%% of made-up addresses were linked, want at most 1%%", 100*falseLinks)
	}
}

// linkedCity returns the database at GRIDSENTRY_BENCH_DATABASE_URL, linked
// already (make bench links it), or else a copy of the demo city
// with its entities linked.
func linkedCity(t *testing.T) *postgres.DB {
	t.Helper()
	if os.Getenv("GRIDSENTRY_BENCH_DATABASE_URL") != "" {
		db, _ := pgtest.BenchDB(t)
		return db
	}
	ctx := context.Background()
	db := demoLibrary(t)
	index := postgres.NewAddressIndex(db, slog.New(slog.DiscardHandler))
	if err := index.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LinkEntities(ctx, index.Index(), postgres.LinkScope{Pending: true}, nil); err != nil {
		t.Fatal(err)
	}
	return db
}
