package postgres_test

import (
	"context"
	"log/slog"
	"runtime"
	"testing"

	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// BenchmarkLoadAddressIndex loads the address index of the database at
// GRIDSENTRY_BENCH_DATABASE_URL (make bench-addresses points it at the
// city-scale database) and reports the heap it holds.
func BenchmarkLoadAddressIndex(b *testing.B) {
	db, _ := pgtest.BenchDB(b)
	ctx := context.Background()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var ix *postgres.AddressIndex
	for b.Loop() {
		ix = postgres.NewAddressIndex(db, slog.New(slog.DiscardHandler))
		if err := ix.Load(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	st := ix.Index().Stats()
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-heap")
	b.ReportMetric(float64(st.Rooms), "rooms")
	b.ReportMetric(float64(st.Doorplates), "doorplates")
	runtime.KeepAlive(ix)
}

// BenchmarkMatchCity validates the generator's typed addresses of the city
// at GRIDSENTRY_BENCH_DATABASE_URL (loaded with the same scale and seed as
// GRIDSENTRY_BENCH_SCALE, default city, seed 1) against its index, on one
// goroutine, and reports accuracy as metrics.
func BenchmarkMatchCity(b *testing.B) {
	db, scale := pgtest.BenchDB(b)
	ctx := context.Background()
	keeper := postgres.NewAddressIndex(db, slog.New(slog.DiscardHandler))
	if err := keeper.Load(ctx); err != nil {
		b.Fatal(err)
	}
	ix := keeper.Index()
	cases, err := demo.GenerateAddressCases(ctx, demo.Config{Scale: scale, Seed: 1}, 20000)
	if err != nil {
		b.Fatal(err)
	}
	var tally demo.Tally
	for _, c := range cases {
		tally.Add(c, ix.Match(c.Text, ""))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Match(cases[i%len(cases)].Text, "")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "addresses/s")
	b.ReportMetric(tally.Top1(), "%top1")
	b.ReportMetric(tally.FalseMatches(), "%false")
}
