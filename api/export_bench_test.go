package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// BenchmarkEntityExport streams synthetic entities through GET
// /v1/entities/export in each format, a tenth of them (one town) and all
// of them (GRIDSENTRY_EXPORT_BENCH_ROWS, default 100000), into a writer that
// discards them. Memory is constant when allocs/row and B/row do not grow
// with the rows and the live heap stays the same for ten times the rows:
//
//	go test ./api -run '^$' -bench EntityExport -benchtime 3x
func BenchmarkEntityExport(b *testing.B) {
	n := 100000
	if s := os.Getenv("GRIDSENTRY_EXPORT_BENCH_ROWS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 10 {
			b.Fatalf("GRIDSENTRY_EXPORT_BENCH_ROWS=%q: want a number of rows, at least 10", s)
		}
	}
	db := pgtest.New(b)
	_, err := db.Pool().Exec(context.Background(), `INSERT INTO entities (uscc, name, kind, status, registered_at,
		address_text, industry, legal_rep, phone, id_number, changed_at, link_status, link_level, link_score,
		address_code, building_id, town_code, location, h3_7, h3_8, h3_9, h3_10, h3_11, linked_at, last_inspected_at)
		SELECT '91441900' || lpad(i::text, 10, '0'), '东莞市测试商贸有限公司' || i, 'enterprise', 'active', '2020-01-01',
			'广东省东莞市东城街道东纵路' || i || '号201室', 'F', '张三丰', '13812345678', '44190019900101123X', now(),
			'matched', 'room', 0.9, '441900003000000001', i, CASE WHEN i % 10 = 0 THEN '441900003' ELSE '441900004' END,
			ST_SetSRID(ST_MakePoint(113.75 + i * 1e-7, 23.02), 4326), 1, 1, 1, 1, 1, now(), now()
		FROM generate_series(1, $1::int) i`, n)
	if err != nil {
		b.Fatal(err)
	}
	h := api.New(api.Config{}, db, db, slog.New(slog.DiscardHandler), api.WithEntityReader(db), asAdmin).Handler()
	for _, format := range []string{"csv", "ndjson", "geojson"} {
		for _, sel := range []struct {
			query string
			rows  int
		}{{"town=441900003", n / 10}, {"", n}} {
			b.Run(format+"/rows="+strconv.Itoa(sel.rows), func(b *testing.B) {
				w := &discardWriter{header: http.Header{}}
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.ReportAllocs()
				for b.Loop() {
					req := httptest.NewRequest(http.MethodGet, "/v1/entities/export?format="+format+"&"+sel.query, nil)
					w.code = 0
					h.ServeHTTP(w, req)
					if w.code != http.StatusOK {
						b.Fatalf("status %d", w.code)
					}
				}
				b.StopTimer()
				runtime.ReadMemStats(&after)
				rows := float64(b.N * sel.rows)
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/rows, "allocs/row")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/rows, "B/row")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
				b.ReportMetric(float64(w.liveHeap)/(1<<20), "max-live-heap-MB")
				b.ReportMetric(float64(w.bytes)/float64(b.N)/(1<<20), "MB/export")
			})
		}
	}
}

// discardWriter is a ResponseWriter that counts and discards what it is
// given, noting the largest live heap (as of the last collection) seen
// while writing.
type discardWriter struct {
	header   http.Header
	code     int
	bytes    int64
	liveHeap uint64
	sample   [1]metrics.Sample
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(code int) { w.code = code }

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.bytes += int64(len(p))
	w.sample[0].Name = "/gc/heap/live:bytes"
	metrics.Read(w.sample[:])
	w.liveHeap = max(w.liveHeap, w.sample[0].Value.Uint64())
	return len(p), nil
}
