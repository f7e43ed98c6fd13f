package postgres_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// BenchmarkCheckIn records check-ins with their off-site verdict in the
// database at GRIDSENTRY_BENCH_DATABASE_URL (make bench-flags points it at
// the city scale), one at a time as a phone app sends them: one in four
// 800 m from the registered building (raising the flag), the others at the
// door. It reports the p50 and p99 latency of RecordInspection, verdict
// included. The check-ins stay in the database, as real ones would.
func BenchmarkCheckIn(b *testing.B) {
	db, _ := pgtest.BenchDB(b)
	ctx := context.Background()
	rows, err := db.Pool().Query(ctx, `SELECT uscc, ST_X(location), ST_Y(location) FROM entities TABLESAMPLE SYSTEM (1)
		WHERE status = 'active' AND building_id IS NOT NULL LIMIT 2000`)
	if err != nil {
		b.Fatal(err)
	}
	type target struct {
		uscc supervision.USCC
		door geo.WGS84
	}
	var targets []target
	for rows.Next() {
		var t target
		var u string
		if err := rows.Scan(&u, &t.door.Lon, &t.door.Lat); err != nil {
			b.Fatal(err)
		}
		t.uscc = supervision.USCC(u)
		targets = append(targets, t)
	}
	if err := rows.Err(); err != nil || len(targets) == 0 {
		b.Fatalf("no linked entities to check in at (%v)", err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var took []time.Duration
	flagged := 0
	for i := 0; b.Loop(); i++ {
		t := targets[r.IntN(len(targets))]
		p := t.door
		if i%4 == 0 {
			p.Lat += 800 / 110574.0
		}
		start := time.Now()
		rec, err := db.RecordInspection(ctx, supervision.Inspection{USCC: t.uscc, Inspector: "基准测试", At: time.Now(),
			Location: p, CRS: "wgs84", Items: map[string]string{"address": "consistent"}, Outcome: supervision.OutcomeOperating}, nil)
		took = append(took, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		flagged += len(rec.Flags)
	}
	slices.Sort(took)
	q := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(flagged)/float64(len(took)), "flagged/op")
}
