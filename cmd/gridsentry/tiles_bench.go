package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/tiles"
)

// runTiles is `gridsentry tiles bench`: the tile benchmark over a
// database (see benchTiles).
func runTiles(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("tiles", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gridsentry tiles bench [flags]")
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	seconds := fs.Int("throughput-seconds", 5, "how long to request cached tiles over HTTP")
	clients := fs.Int("clients", 8, "concurrent HTTP clients of the cached-tile throughput")
	sweep := fs.Int("sweep-zoom", 12, "build every tile of the city from zoom 6 to this zoom, for the largest tile")
	if len(args) == 0 || args[0] != "bench" {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("tiles: say bench")}
	}
	if err := parse(fs, args[1:], 0); err != nil {
		return err
	}
	if *seconds < 1 || *clients < 1 || *sweep < 6 || *sweep > 14 {
		return &exitError{code: 2, err: errors.New("tiles bench: -throughput-seconds and -clients must be positive, -sweep-zoom 6 to 14")}
	}
	cfg.LogFormat = "text"
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	db, err := openReady(ctx, &cfg, log, stderr, "tiles bench")
	if err != nil {
		return err
	}
	defer db.Close()
	return benchTiles(ctx, db, log, stdout, *sweep, time.Duration(*seconds)*time.Second, *clients)
}

// benchLayerSets are the tiles measured: what a building view, and the
// style's two sources (every table layer, every coverage layer), ask for.
var benchLayerSets = []struct {
	layers     string
	minZ, maxZ int
}{
	{"buildings", 14, 16},
	{"towns,villages,grids,roads,buildings,doorplates,entities,flags", 8, 16},
	{"coverage_hex,coverage_grid,coverage_heat", 8, 16},
}

// benchTiles prints, for a fixed list of tiles (the tiles holding the
// first located entity of each town, at zooms 8 to 16), the latency of
// each built afresh (cold: the tile cache flushed before each) and served
// again from the cache (warm), with sizes; the largest tile of a sweep of
// the whole city to sweepZoom; and how many cached tiles a second the
// server answers over HTTP to clients on this machine.
func benchTiles(ctx context.Context, db *postgres.DB, log *slog.Logger, w io.Writer, sweepZoom int, d time.Duration, clients int) error {
	cfg := &config{TileCacheMB: 1024}
	parts, err := newTileParts(cfg, db, db)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := parts.coverage.Load(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "coverage index: %d entities loaded in %s\n", parts.coverage.Index.Len(), time.Since(start).Round(time.Millisecond))
	// The server's request log would time itself.
	srv := api.New(api.Config{CORSOrigins: []string{"*"}}, db, nil, slog.New(slog.DiscardHandler), parts.options()...)
	h := srv.Handler()
	anchors, err := benchAnchors(ctx, db)
	if err != nil {
		return err
	}
	get := func(path string, gzip bool) (*httptest.ResponseRecorder, time.Duration) {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
		if gzip {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		return rec, time.Since(t0)
	}
	fmt.Fprintf(w, "\n%d anchor points (the first located entity of each town); tiles built in process through the HTTP handler, gzip accepted.\n"+
		"first: the first build of each tile (database pages perhaps on disk); cold: built again with the tile cache flushed; warm: from the tile cache\n", len(anchors))
	list, err := measureTileList(anchors, get, func() { parts.cache.Flush() })
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layers\tz\ttiles\tfirst p95 ms\tcold p50 ms\tcold p95 ms\tcold max ms\twarm p50 µs\tmax KB\tmax gzip KB\t")
	var warmPaths []string
	largest, largestPath := 0, ""
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\t%.1f\t%.1f\t\n", r.layers, r.z, len(r.cold),
			ms(pct(r.first, 95)), ms(pct(r.cold, 50)), ms(pct(r.cold, 95)), ms(pct(r.cold, 100)), float64(pct(r.warm, 50).Nanoseconds())/1e3,
			float64(slices.Max(r.raw))/1024, float64(slices.Max(r.gz))/1024)
		warmPaths = append(warmPaths, r.paths...)
		if l, p := r.largest(); l > largest {
			largest, largestPath = l, p
		}
	}
	tw.Flush()

	// The sweep: every tile of the city at the low zooms, where the most
	// features meet in one tile.
	catalogue := tiles.DefaultCatalogue()
	swept := 0
	for _, set := range benchLayerSets[1:] {
		for z := 6; z <= sweepZoom; z++ {
			for _, t := range tiles.Covering(catalogue.Bounds, z) {
				path := "/tiles/" + set.layers + "/" + t.String() + ".mvt"
				rec, _ := get(path, false)
				if rec.Code != http.StatusOK && rec.Code != http.StatusNoContent {
					return fmt.Errorf("tiles bench: %s: %d %s", path, rec.Code, rec.Body.String())
				}
				raw := rec.Body.Len()
				if raw > largest {
					largest, largestPath = raw, path
				}
				swept++
			}
		}
	}
	verdict := "within"
	if largest > 500<<10 {
		verdict = "OVER"
	}
	fmt.Fprintf(w, "\nlargest tile of the list and of a sweep of %d tiles (z6-%d): %.1f KB, %s (%s the 500 KB limit)\n",
		swept, sweepZoom, float64(largest)/1024, largestPath, verdict)

	// Cached throughput over HTTP on the loopback, of the list's tiles
	// (each was flushed when the next was measured cold: cache them).
	for _, path := range warmPaths {
		get(path, true)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	tp := cachedThroughput(ctx, "http://"+ln.Addr().String(), nil, warmPaths, d, clients)
	fmt.Fprintf(w, "cached tiles over HTTP: %.0f tiles/s (%d clients on this machine, %s; p50 %.2f ms, p99 %.2f ms; %d failed)\n",
		tp.perSecond(), clients, d, ms(pct(tp.latencies, 50)), ms(pct(tp.latencies, 99)), tp.failed)
	st := parts.cache.Stats()
	fmt.Fprintf(w, "cache: %d tiles, %.1f MB; %d hits, %d misses\n", st.Entries, float64(st.Bytes)/(1<<20), st.Hits, st.Misses)
	return nil
}

// tileZoom is what the fixed list measured of one layer set at one zoom:
// each tile's latency built first, built cold (the cache flushed) and
// served warm, and its size raw and gzipped.
type tileZoom struct {
	layers            string
	z                 int
	paths             []string
	first, cold, warm []time.Duration
	raw, gz           []int
}

// largest returns the size and path of the largest tile, uncompressed.
func (r tileZoom) largest() (int, string) {
	size, path := 0, ""
	for i, n := range r.raw {
		if n > size {
			size, path = n, r.paths[i]
		}
	}
	return size, path
}

// measureTileList measures the fixed list of tiles: for each of
// benchLayerSets and each of its zooms, the tiles holding the anchors, each
// built (first), built again after flush (cold) and served again (warm).
// get requests a path, with gzip accepted or not, and times it; flush
// empties the tile cache.
func measureTileList(anchors []orb.Point, get func(path string, gzip bool) (*httptest.ResponseRecorder, time.Duration), flush func()) ([]tileZoom, error) {
	var out []tileZoom
	for _, set := range benchLayerSets {
		for z := set.minZ; z <= set.maxZ; z++ {
			r := tileZoom{layers: set.layers, z: z}
			seen := map[maptile.Tile]bool{}
			for _, a := range anchors {
				t := maptile.At(a, maptile.Zoom(z))
				if seen[t] {
					continue
				}
				seen[t] = true
				path := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", set.layers, z, t.X, t.Y)
				flush()
				_, first := get(path, true)
				flush()
				rec, cold := get(path, true)
				if rec.Code != http.StatusOK {
					return nil, fmt.Errorf("tiles bench: %s: %d %s", path, rec.Code, rec.Body.String())
				}
				gz := rec.Body.Len()
				rec, warm := get(path, false)
				raw := rec.Body.Len()
				if rec.Header().Get("X-Cache") != "hit" {
					return nil, fmt.Errorf("tiles bench: %s was not cached", path)
				}
				r.paths = append(r.paths, path)
				r.first, r.cold, r.warm = append(r.first, first), append(r.cold, cold), append(r.warm, warm)
				r.raw, r.gz = append(r.raw, raw), append(r.gz, gz)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// tileThroughput is what cachedThroughput measured.
type tileThroughput struct {
	served, failed int64
	took           time.Duration
	latencies      []time.Duration
}

func (t tileThroughput) perSecond() float64 { return float64(t.served) / t.took.Seconds() }

// cachedThroughput requests the given cached tiles, gzipped, from the
// server at base for d, from clients goroutines at once, each picking
// tiles at random; header goes with every request. An answer other than
// a cache hit counts as failed.
func cachedThroughput(ctx context.Context, base string, header http.Header, paths []string, d time.Duration, clients int) tileThroughput {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}}
	defer client.CloseIdleConnections()
	var served, failed atomic.Int64
	var lat []time.Duration
	var mu sync.Mutex
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			var mine []time.Duration
			for time.Now().Before(deadline) && ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+paths[rng.IntN(len(paths))], nil)
				for k, v := range header {
					req.Header[k] = v
				}
				req.Header.Set("Accept-Encoding", "gzip")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cache") != "hit" {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
				served.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return tileThroughput{served: served.Load(), failed: failed.Load(), took: d, latencies: lat}
}

// benchAnchors returns the location of the first located entity of each
// town: points where there is something to draw, the same for the same
// data.
func benchAnchors(ctx context.Context, db *postgres.DB) ([]orb.Point, error) {
	rows, err := db.Pool().Query(ctx, `SELECT ST_X(location), ST_Y(location) FROM (
		SELECT DISTINCT ON (town_code) location FROM entities
		WHERE status = 'active' AND location IS NOT NULL ORDER BY town_code, uscc) s`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orb.Point
	for rows.Next() {
		var p orb.Point
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("tiles bench: no located entities (load and link a city first)")
	}
	return out, nil
}

// pct returns the p-th percentile of ds by nearest rank (100: the
// largest), ds in any order.
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return rank(s, p)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
