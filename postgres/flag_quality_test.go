package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// flagQualitySQL compares the entities each kind of open flag concerns with
// the entities the generator made anomalous in that way.
const flagQualitySQL = `
WITH f AS (SELECT DISTINCT kind, unnest(usccs) AS uscc FROM flags WHERE status = 'open'),
     t AS (SELECT kind, uscc FROM demo_flag_truth)
SELECT k.kind,
       (SELECT count(*) FROM t WHERE t.kind = k.kind),
       (SELECT count(*) FROM f WHERE f.kind = k.kind),
       (SELECT count(*) FROM f JOIN t USING (kind, uscc) WHERE f.kind = k.kind)
FROM (SELECT DISTINCT kind FROM demo_flag_truth) k ORDER BY 1`

// TestFlagQuality links the demo city, evaluates every flag rule as of the
// day its history ends, and measures each kind's precision and recall
// against the anomalies the generator injected (table demo_flag_truth).
// With GRIDSENTRY_BENCH_DATABASE_URL it evaluates that database, linked
// already (make bench links it; make bench-flags runs this), and reports
// the time.
func TestFlagQuality(t *testing.T) {
	ctx := context.Background()
	db := linkedCity(t)
	var until time.Time
	if err := db.Pool().QueryRow(ctx, `SELECT until FROM datasets WHERE name = 'demo'`).Scan(&until); err != nil {
		t.Fatalf("the day the demo's history ends: %v", err)
	}
	run, err := db.RecomputeFlags(ctx, until, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("full evaluation of %d entities: %d findings, changes %v, in %s", run.Entities, run.Findings, run.Changes,
		run.Took.Round(time.Millisecond))
	rows, _ := db.Pool().Query(ctx, flagQualitySQL)
	var kind string
	var truth, flagged, hits int
	kinds := 0
	t.Logf("%-22s %8s %8s %9s %7s", "kind", "injected", "flagged", "precision", "recall")
	if _, err := pgx.ForEachRow(rows, []any{&kind, &truth, &flagged, &hits}, func() error {
		kinds++
		precision, recall := ratio(hits, flagged), ratio(hits, truth)
		t.Logf("%-22s %8d %8d %9.3f %7.3f", kind, truth, flagged, precision, recall)
		if truth == 0 || precision < 0.95 || recall < 0.95 {
			t.Errorf("%s: precision %.3f, recall %.3f over %d injected; want both at least 0.95", kind, precision, recall, truth)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if kinds < 8 {
		t.Errorf("ground truth for %d kinds of anomaly, want the 8 the generator injects", kinds)
	}
	// The trigger's count of each entity's open flags (entity_open_flags,
	// which the entities tiles read) agrees with a count made now.
	var wrong, counted int
	if err := db.Pool().QueryRow(ctx, `WITH recount AS (
			SELECT u AS uscc, count(*) AS n
			FROM flags f, unnest(ARRAY(SELECT DISTINCT x FROM unnest(f.usccs || f.uscc) x WHERE x IS NOT NULL)) u
			WHERE f.status = 'open' GROUP BY u)
		SELECT count(*) FILTER (WHERE coalesce(r.n, 0) <> coalesce(c.n, 0)), count(r.uscc)
		FROM recount r FULL JOIN entity_open_flags c USING (uscc)`).Scan(&wrong, &counted); err != nil {
		t.Fatal(err)
	}
	if wrong != 0 || counted == 0 {
		t.Errorf("entity_open_flags: %d entities counted wrong of %d with open flags", wrong, counted)
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
