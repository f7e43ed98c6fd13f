package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// BenchmarkValidateBatch streams GRIDSENTRY_BENCH_BATCH_LINES (default 2M)
// typed addresses of the city at GRIDSENTRY_BENCH_DATABASE_URL through
// POST /v1/addresses/validate:batch over HTTP and reads every answer line.
func BenchmarkValidateBatch(b *testing.B) {
	db, scale := pgtest.BenchDB(b)
	lines := 2_000_000
	if v := os.Getenv("GRIDSENTRY_BENCH_BATCH_LINES"); v != "" {
		lines, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	ix := postgres.NewAddressIndex(db, log)
	if err := ix.Load(ctx); err != nil {
		b.Fatal(err)
	}
	cases, err := demo.GenerateAddressCases(ctx, demo.Config{Scale: scale, Seed: 1}, 50000)
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([][]byte, len(cases))
	for i, c := range cases {
		reqs[i], _ = json.Marshal(map[string]string{"address": c.Text})
	}
	ts := httptest.NewServer(api.New(api.Config{}, db, db, log, api.WithAddresses(ix, db), asAdmin).Handler())
	defer ts.Close()
	b.ResetTimer()
	for b.Loop() {
		pr, pw := io.Pipe()
		go func() {
			bw := bufio.NewWriterSize(pw, 1<<16)
			for i := range lines {
				bw.Write(reqs[i%len(reqs)])
				bw.WriteByte('\n')
			}
			bw.Flush()
			pw.Close()
		}()
		resp, err := http.Post(ts.URL+"/v1/addresses/validate:batch", "application/x-ndjson", pr)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		n := 0
		for sc.Scan() {
			n++
		}
		resp.Body.Close()
		if n != lines {
			b.Fatalf("got %d answer lines for %d addresses", n, lines)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "addresses/s")
}
