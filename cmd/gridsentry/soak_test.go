package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     soakMix
		err      string
	}{
		{name: "default", in: defaultSoakMix, want: soakMix{40, 30, 30}},
		{name: "spaces and order", in: " entities = 1 , validate=2 ", want: soakMix{2, 0, 1}},
		{name: "omitted kind weighs 0", in: "tiles=5", want: soakMix{0, 5, 0}},
		{name: "unknown kind", in: "validate=1,flags=2", err: `"flags" is not a kind`},
		{name: "not a number", in: "validate=x", err: "whole number"},
		{name: "negative", in: "validate=-1,tiles=2", err: "whole number"},
		{name: "no equals", in: "validate", err: "KIND=WEIGHT"},
		{name: "twice", in: "tiles=1,tiles=2", err: "tiles is given twice"},
		{name: "all zero", in: "validate=0,tiles=0", err: "no kind"},
		{name: "empty", in: "", err: "no kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMix(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseMix(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseMix(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestSoakMixPick(t *testing.T) {
	m := soakMix{1, 0, 3}
	var got []string
	for r := range m.total() {
		got = append(got, m.pick(r))
	}
	if want := []string{"validate", "entities", "entities", "entities"}; !slices.Equal(got, want) {
		t.Errorf("picks over the total weight = %v, want %v (tiles weighs 0)", got, want)
	}
	if s := m.String(); s != "validate=1,entities=3" {
		t.Errorf("String() = %q", s)
	}
}

// samples returns readings every step over span with heap(t) in use.
func samples(span, step time.Duration, heap func(at time.Duration) float64) []memSample {
	var out []memSample
	for at := time.Duration(0); at <= span; at += step {
		out = append(out, memSample{At: at.Seconds(), HeapInuse: heap(at)})
	}
	return out
}

func TestJudgeFlat(t *testing.T) {
	const mb = 1 << 20
	span := 10 * time.Minute
	// The GC's sawtooth: from the live heap to twice it, over and over.
	sawtooth := func(live float64) func(time.Duration) float64 {
		return func(at time.Duration) float64 {
			phase := float64(at%(7*time.Second)) / float64(7*time.Second)
			return live * (1 + phase)
		}
	}
	for _, tc := range []struct {
		name           string
		samples        []memSample
		judged, flat   bool
		growthAbove    float64 // the growth must exceed this (when judged)
		growthAtMostOf float64
	}{
		{name: "steady sawtooth", samples: samples(span, 2*time.Second, sawtooth(110*mb)), judged: true, flat: true, growthAbove: -0.05, growthAtMostOf: 0.05},
		{name: "growth only in the warm-up", judged: true, flat: true, growthAbove: -0.05, growthAtMostOf: 0.05,
			samples: samples(span, 2*time.Second, func(at time.Duration) float64 {
				return sawtooth(110*mb)(at) + float64(min(at, span/3))/float64(span/3)*50*mb
			})},
		{name: "a leak of 20% per third", judged: true, flat: false, growthAbove: 0.10, growthAtMostOf: 0.5,
			samples: samples(span, 2*time.Second, func(at time.Duration) float64 {
				return 100*mb + 20*mb*float64(at)/float64(span/3)
			})},
		{name: "growth just under 10%", judged: true, flat: true, growthAbove: 0.07, growthAtMostOf: 0.10,
			samples: samples(span, 2*time.Second, func(at time.Duration) float64 {
				return 100*mb + 9*mb*float64(at)/float64(span/3)
			})},
		{name: "a small heap within the slack", judged: true, flat: true, growthAbove: 0.10, growthAtMostOf: 1,
			samples: samples(span, 2*time.Second, func(at time.Duration) float64 {
				return 4*mb + 3*mb*float64(at)/float64(span)
			})},
		{name: "too few readings", samples: samples(span, 4*time.Minute, sawtooth(10*mb))},
		{name: "no readings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := judgeFlat(tc.samples, span, 0.10)
			if f.Judged != tc.judged || f.Flat != tc.flat {
				t.Fatalf("judged %v flat %v, want %v %v: %s", f.Judged, f.Flat, tc.judged, tc.flat, f.Why)
			}
			if f.Why == "" {
				t.Error("no reason given")
			}
			if tc.judged && (f.Growth <= tc.growthAbove || f.Growth > tc.growthAtMostOf) {
				t.Errorf("growth %.3f, want in (%.2f, %.2f]: %s", f.Growth, tc.growthAbove, tc.growthAtMostOf, f.Why)
			}
		})
	}
}

// fakeClock is the open loop's clock in tests: sleeping moves it on by
// the time asked for and late more.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	late   time.Duration
	onNow  func(time.Time) error // may end the sleep with an error
	sleeps int
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d + c.late)
	c.sleeps++
	t := c.t
	c.mu.Unlock()
	if c.onNow != nil {
		return c.onNow(t)
	}
	return nil
}

func TestOpenLoop(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type fired struct {
		i        int64
		due, now time.Time
	}
	run := func(t *testing.T, ctx context.Context, clock *fakeClock, maxInFlight int, block chan struct{}) (*openLoop, []fired) {
		t.Helper()
		l := newOpenLoop(100, time.Second, 0, maxInFlight)
		l.now, l.sleep = clock.now, clock.sleep
		var mu sync.Mutex
		var got []fired
		l.run(ctx, start, func(i int64, due time.Time) {
			mu.Lock()
			got = append(got, fired{i, due, clock.now()})
			mu.Unlock()
			if block != nil {
				<-block
			}
		})
		if block != nil {
			close(block)
		}
		l.wait()
		slices.SortFunc(got, func(a, b fired) int { return int(a.i - b.i) })
		return l, got
	}
	checkSchedule := func(t *testing.T, got []fired) {
		t.Helper()
		for k, f := range got {
			if f.i != int64(k) {
				t.Fatalf("start %d has index %d", k, f.i)
			}
			if want := start.Add(time.Duration(k) * 10 * time.Millisecond); !f.due.Equal(want) {
				t.Errorf("start %d due at %v, want %v", k, f.due.Sub(start), want.Sub(start))
			}
			if f.now.Before(f.due) {
				t.Errorf("start %d began at %v, before it was due at %v", k, f.now.Sub(start), f.due.Sub(start))
			}
		}
	}
	t.Run("every start on schedule", func(t *testing.T) {
		clock := &fakeClock{t: start}
		l, got := run(t, context.Background(), clock, 1000, nil)
		if len(got) != 100 || l.scheduled.Load() != 100 || l.started.Load() != 100 || l.dropped.Load() != 0 {
			t.Fatalf("fired %d; scheduled %d, started %d, dropped %d; want 100, 100, 100, 0", len(got), l.scheduled.Load(), l.started.Load(), l.dropped.Load())
		}
		checkSchedule(t, got)
		if clock.sleeps != 99 {
			t.Errorf("slept %d times, want once before each start but the first", clock.sleeps)
		}
	})
	t.Run("late wake-ups catch up at once", func(t *testing.T) {
		// Every sleep overshoots by 35 ms: the starts overdue on waking go
		// at once, and the rate over the run is the same.
		clock := &fakeClock{t: start, late: 35 * time.Millisecond}
		l, got := run(t, context.Background(), clock, 1000, nil)
		if len(got) != 100 || l.dropped.Load() != 0 {
			t.Fatalf("fired %d, dropped %d; want 100, 0", len(got), l.dropped.Load())
		}
		checkSchedule(t, got)
		if clock.sleeps > 30 {
			t.Errorf("slept %d times: the overdue starts did not go together", clock.sleeps)
		}
	})
	t.Run("drops what is due while in flight is full", func(t *testing.T) {
		l, got := run(t, context.Background(), &fakeClock{t: start}, 3, make(chan struct{}))
		if len(got) != 3 || l.started.Load() != 3 || l.dropped.Load() != 97 || l.scheduled.Load() != 100 {
			t.Fatalf("fired %d; started %d, dropped %d of %d; want 3 started (never answered), 97 dropped of 100",
				len(got), l.started.Load(), l.dropped.Load(), l.scheduled.Load())
		}
		checkSchedule(t, got)
	})
	t.Run("ramp", func(t *testing.T) {
		// 100/s reached over 400 ms of a second: 20 starts in the ramp
		// (100 × 0.4 / 2), quickening, then 60 at 10 ms apart.
		l := newOpenLoop(100, time.Second, 400*time.Millisecond, 1000)
		clock := &fakeClock{t: start}
		l.now, l.sleep = clock.now, clock.sleep
		var dues []time.Duration
		var mu sync.Mutex
		l.run(context.Background(), start, func(_ int64, due time.Time) {
			mu.Lock()
			dues = append(dues, due.Sub(start))
			mu.Unlock()
		})
		l.wait()
		slices.Sort(dues)
		if len(dues) != 80 || l.due() != 80 {
			t.Fatalf("%d starts, %d due; want 80", len(dues), l.due())
		}
		inRamp := 0
		for k, d := range dues {
			if d < 400*time.Millisecond {
				inRamp++
			}
			if k < 2 {
				continue
			}
			gap, prev := d-dues[k-1], dues[k-1]-dues[k-2]
			if d <= 400*time.Millisecond && gap > prev {
				t.Errorf("start %d: gap %v after %v: the ramp slows", k, gap, prev)
			}
			if d > 400*time.Millisecond && (gap < 9999*time.Microsecond || gap > 10001*time.Microsecond) {
				t.Errorf("start %d: gap %v after the ramp, want 10 ms", k, gap)
			}
		}
		if inRamp != 20 || dues[79] > time.Second {
			t.Errorf("%d starts in the ramp, want 20; the last at %v", inRamp, dues[79])
		}
	})
	t.Run("stops when cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		clock := &fakeClock{t: start}
		clock.onNow = func(now time.Time) error {
			if now.Sub(start) >= 500*time.Millisecond {
				cancel()
				return ctx.Err()
			}
			return nil
		}
		l, got := run(t, ctx, clock, 1000, nil)
		if len(got) != 50 || l.scheduled.Load() != 50 {
			t.Fatalf("fired %d, scheduled %d; want the 50 due before 500 ms", len(got), l.scheduled.Load())
		}
	})
}

func TestPerturbAddress(t *testing.T) {
	const addr = "东莞市虎门镇路东社区松山三路354号1栋"
	forms := map[string]bool{}
	for seed := range uint64(200) {
		got := perturbAddress(addr, rand.New(rand.NewPCG(seed, 0)))
		if got == "" || !utf8.ValidString(got) {
			t.Fatalf("seed %d: %q", seed, got)
		}
		forms[got] = true
	}
	for _, want := range []string{"虎门镇路东社区松山三路354号1栋", "东莞市虎门镇路东社区松山三路３５４号１栋", "东莞市虎门镇路东社区松山三路355号1栋"} {
		if !forms[want] {
			t.Errorf("never made %q", want)
		}
	}
	if forms[addr] {
		t.Error("returned the address unchanged")
	}
	if got := perturbAddress("号", rand.New(rand.NewPCG(0, 0))); got == "" {
		t.Error("emptied a one-character address")
	}
}

func TestEntityFilterOf(t *testing.T) {
	str := func(s string) *string { return &s }
	var full soakEntity
	if err := json.Unmarshal([]byte(`{"uscc":"9144190030044MQ2GQ","kind":"enterprise","status":"active","industry":"G",
		"registered_at":"2009-06-16","link":{"address_code":"441900115000008915","town_code":"441900115","village_code":"441900115022",
		"grid_code":"441900115022001","building_id":17877,"location":{"type":"Point","coordinates":[114.2034666,22.837116]}}}`), &full); err != nil {
		t.Fatal(err)
	}
	// The parameters of GET /v1/entities (api.entitySearchOfQuery).
	params := []string{"town", "village", "grid", "building", "bbox", "industry", "kind", "status", "registered_from",
		"registered_to", "never_inspected", "task_status", "link_status", "limit"}
	shapes := map[string]bool{}
	for seed := range uint64(100) {
		q := entityFilterOf(full, rand.New(rand.NewPCG(seed, 0)))
		var keys []string
		for k, v := range q {
			if !slices.Contains(params, k) || len(v) != 1 || v[0] == "" {
				t.Fatalf("seed %d: %s", seed, q.Encode())
			}
			if k != "limit" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		shapes[strings.Join(keys, "+")] = true
	}
	if len(shapes) < 10 {
		t.Errorf("%d shapes of filter, want the 10 there are: %v", len(shapes), shapes)
	}
	unlinked := soakEntity{USCC: "x", Kind: "individual", Status: "active", Industry: str("F")}
	q := entityFilterOf(unlinked, rand.New(rand.NewPCG(1, 0)))
	if q.Get("kind") != "individual" || q.Get("status") != "active" || q.Get("town") != "" {
		t.Errorf("filter of an unlinked entity: %s", q.Encode())
	}
}

// fakeServer answers the soak's requests like gridsentry does, from two
// towns of two entities each, and records what it was asked.
type fakeServer struct {
	validateStatus func(n int64) int // status of the n-th validation; 0: no answer
	heap           func(n int64) float64
	entities       bool

	validations, scrapes atomic.Int64
	mu                   sync.Mutex
	paths                []string
	badAuth              []string
	validated            []string // the addresses
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.Method+" "+r.URL.RequestURI())
	if r.URL.Path != "/metrics" && r.Header.Get("Authorization") != "Bearer gs_test" {
		f.badAuth = append(f.badAuth, r.URL.Path)
	}
	f.mu.Unlock()
	towns := []string{"441900121", "441900115"}
	entity := func(town string, k int) string {
		return fmt.Sprintf(`{"uscc":"91441900%s%d","kind":"enterprise","status":"active","industry":"G","registered_at":"2009-06-16",
			"address_text":"东莞市某镇某路%d号","link":{"address_code":"4419%s%d","town_code":%q,"village_code":"%s001",
			"grid_code":"%s001001","building_id":%d,"location":{"type":"Point","coordinates":[113.6%d,22.8%d]}}}`,
			town, k, k+1, town, k, town, town, town, k+1, k, k)
	}
	p := r.URL.Path
	switch {
	case p == "/tiles/style.json":
		fmt.Fprintf(w, `{"sources":{"gridsentry":{"type":"vector","tiles":["http://%[1]s/tiles/a,b/{z}/{x}/{y}.mvt"],"minzoom":6,"maxzoom":18},
			"coverage":{"type":"vector","tiles":["http://%[1]s/tiles/c/{z}/{x}/{y}.mvt"],"minzoom":12,"maxzoom":18},
			"photo":{"type":"raster","tiles":["http://%[1]s/photo/{z}/{x}/{y}.png"]}}}`, r.Host)
	case p == "/v1/divisions":
		fmt.Fprintf(w, `{"features":[{"properties":{"code":%q}},{"properties":{"code":%q}}]}`, towns[0], towns[1])
	case p == "/v1/entities" && r.URL.Query().Get("limit") == strconv.Itoa(soakEntities/len(towns)):
		var items []string
		if town := r.URL.Query().Get("town"); f.entities && slices.Contains(towns, town) {
			items = []string{entity(town, 0), entity(town, 1)}
		}
		fmt.Fprintf(w, `{"items":[%s],"next":null}`, strings.Join(items, ","))
	case p == "/v1/entities":
		fmt.Fprint(w, `{"items":[],"next":null}`)
	case strings.HasPrefix(p, "/v1/entities/91441900"):
		fmt.Fprintf(w, `{"uscc":%q}`, strings.TrimPrefix(p, "/v1/entities/"))
	case strings.HasPrefix(p, "/v1/addresses/4419"):
		fmt.Fprintf(w, `{"address":{"code":%q,"full":"东莞市某镇某社区某路1号"}}`, strings.TrimPrefix(p, "/v1/addresses/"))
	case p == "/v1/addresses/validate" && r.Method == http.MethodPost:
		var req struct{ Address string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Address == "" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.validated = append(f.validated, req.Address)
		f.mu.Unlock()
		st := f.validateStatus(f.validations.Add(1))
		if st == 0 {
			<-r.Context().Done() // until the client gives up
			return
		}
		if st != http.StatusOK {
			http.Error(w, "failing", st)
			return
		}
		fmt.Fprint(w, `{"status":"matched"}`)
	case strings.HasPrefix(p, "/tiles/") && strings.HasSuffix(p, ".mvt"):
		etag := `"` + p + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "tile")
	case p == "/metrics":
		fmt.Fprintf(w, "# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes %g\n"+
			"# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 2e8\n# TYPE go_goroutines gauge\ngo_goroutines 20\n",
			f.heap(f.scrapes.Add(1)))
	default:
		http.NotFound(w, r)
	}
}

func TestSoakCommand(t *testing.T) {
	const mb = 1 << 20
	ok := func(int64) int { return http.StatusOK }
	for _, tc := range []struct {
		name     string
		server   *fakeServer
		args     []string
		err      string // in the error; none: the soak passes
		statuses []string
	}{
		{name: "a healthy server passes", server: &fakeServer{validateStatus: ok, heap: func(int64) float64 { return 100 * mb }, entities: true},
			statuses: []string{"200"}},
		{name: "failed requests fail the soak", err: "requests failed", statuses: []string{"200", "500"},
			server: &fakeServer{validateStatus: func(n int64) int {
				if n%5 == 0 {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			}, heap: func(int64) float64 { return 100 * mb }, entities: true}},
		{name: "unanswered requests time out", err: "requests failed", statuses: []string{"200", "timeout"}, args: []string{"-timeout", "100ms"},
			server: &fakeServer{validateStatus: func(n int64) int {
				if n%10 == 0 {
					return 0
				}
				return http.StatusOK
			}, heap: func(int64) float64 { return 100 * mb }, entities: true}},
		{name: "a growing heap fails the soak", err: "heap GREW",
			server: &fakeServer{validateStatus: ok, heap: func(n int64) float64 { return 100*mb + 8*mb*float64(n) }, entities: true}},
		{name: "no entities to send", err: "load and link a city first",
			server: &fakeServer{validateStatus: ok, heap: func(int64) float64 { return 100 * mb }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.server)
			defer srv.Close()
			t.Setenv("GRIDSENTRY_TOKEN", "gs_test")
			report := filepath.Join(t.TempDir(), "soak.json")
			// 125 requests (150 less half the ramp's, which is cut to a
			// third of the run), fewer than may be in flight: none can be
			// dropped however slow the machine.
			var out strings.Builder
			args := []string{"soak", "-url", srv.URL, "-rate", "100", "-duration", "1500ms", "-sample", "25ms", "-progress", "500ms", "-report", report}
			err := run(context.Background(), append(args, tc.args...), &out, io.Discard)
			if tc.err == "" && err != nil {
				t.Fatalf("soak: %v\n%s", err, out.String())
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || exitCode(err) != 1) {
				t.Fatalf("soak: %v (exit %d), want an error with %q and exit 1\n%s", err, exitCode(err), tc.err, out.String())
			}
			tc.server.mu.Lock()
			defer tc.server.mu.Unlock()
			if len(tc.server.badAuth) > 0 {
				t.Errorf("requests without the token: %v", tc.server.badAuth[:min(5, len(tc.server.badAuth))])
			}
			if tc.name == "no entities to send" {
				return
			}
			b, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			var rep soakReport
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Due != 125 || rep.Sent != 125 || rep.Dropped != 0 || rep.Ramp != "500ms" || rep.Pass != (tc.err == "") {
				t.Errorf("due %d, sent %d, dropped %d, ramp %s, pass %v; want 125, 125, 0, 500ms, %v", rep.Due, rep.Sent, rep.Dropped, rep.Ramp, rep.Pass, tc.err == "")
			}
			var kinds []string
			all := rep.Kinds[len(rep.Kinds)-1]
			for _, k := range rep.Kinds {
				kinds = append(kinds, k.Kind)
			}
			if want := []string{"validate", "tiles:coverage", "tiles:gridsentry", "entities:list", "entities:get", "all"}; !slices.Equal(kinds, want) {
				t.Errorf("kinds %v, want %v", kinds, want)
			}
			if all.Answered != 125 || all.OK+all.Failed != 125 || rep.Failed != all.Failed {
				t.Errorf("answered %d, ok %d, failed %d (report %d)", all.Answered, all.OK, all.Failed, rep.Failed)
			}
			for _, st := range tc.statuses {
				if all.Statuses[st] == 0 {
					t.Errorf("no %s answers: %v", st, all.Statuses)
				}
			}
			if !rep.Heap.Judged {
				t.Errorf("heap not judged: %s", rep.Heap.Why)
			}
			for _, want := range []string{"p50/p95/p99 ms:", "entities:get", "heap in use", "resident (RSS)"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			checkSoakPaths(t, tc.server.paths)
			// Both as registered and as the library writes them.
			var registered, library bool
			for _, a := range tc.server.validated {
				registered = registered || strings.Contains(a, "某镇某路")
				library = library || strings.Contains(a, "某社区")
			}
			if !registered || !library {
				t.Errorf("validated registered addresses %v, library addresses %v; want both: %q", registered, library, tc.server.validated)
			}
		})
	}
}

// checkSoakPaths checks what the soak asked the fake server: tiles of the
// style's vector sources at zoom 10 to 16 within each source's zooms, lists
// with filters, only known entities.
func checkSoakPaths(t *testing.T, paths []string) {
	t.Helper()
	seen := map[string]int{}
	for _, p := range paths {
		method, uri, _ := strings.Cut(p, " ")
		u, err := url.Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(u.Path, "/tiles/") && strings.HasSuffix(u.Path, ".mvt"):
			parts := strings.Split(strings.TrimSuffix(u.Path, ".mvt"), "/")
			z, _ := strconv.Atoi(parts[3])
			minZ := map[string]int{"a,b": 10, "c": 12}[parts[2]]
			if len(parts) != 6 || minZ == 0 || z < minZ || z > 16 {
				t.Errorf("tile %s: not a source's, or zoom outside %d-16", u.Path, minZ)
			}
			seen["tile "+parts[2]]++
		case u.Path == "/v1/entities" && u.Query().Get("limit") != strconv.Itoa(soakEntities/2):
			if len(u.Query()) < 2 {
				t.Errorf("entity list without a filter: %s", uri)
			}
			seen["list"]++
		case strings.HasPrefix(u.Path, "/v1/entities/"):
			seen["get"]++
		case method == http.MethodPost:
			seen["validate"]++
		}
	}
	for _, k := range []string{"tile a,b", "tile c", "list", "get", "validate"} {
		if seen[k] == 0 {
			t.Errorf("no %s requests: %v", k, seen)
		}
	}
}

func TestSoakOK(t *testing.T) {
	for st, want := range map[string]bool{"200": true, "204": true, "304": true, "301": false, "404": false, "429": false,
		"500": false, "503": false, "transport": false, "": false} {
		if got := soakOK(st); got != want {
			t.Errorf("soakOK(%q) = %v, want %v", st, got, want)
		}
	}
}

func TestSoakUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-mix", "validate=x"},
		{"-rate", "0"},
		{"-duration", "1ms", "-rate", "10"},
		{"-url", "ftp://x"},
		{"-max-in-flight", "0"},
		{"-max-heap-growth", "-1"},
		{"-ramp", "-1s"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			err := run(context.Background(), append([]string{"soak"}, args...), io.Discard, io.Discard)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 2 {
				t.Errorf("err = %v, want a usage error (exit 2)", err)
			}
		})
	}
}
