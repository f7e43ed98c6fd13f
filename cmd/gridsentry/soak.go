package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The soak: `gridsentry soak` sends a fixed rate of real requests to a
// running server for a long time and checks that every one succeeds and
// that the server's memory stays flat. It is the load part of the
// reliability suite (make soak, scripts/soak.sh).

const defaultSoakMix = "validate=40,tiles=30,entities=30"

// soakClasses are the kinds of request the mix weighs, in report order.
var soakClasses = []string{"validate", "tiles", "entities"}

// runSoak is `gridsentry soak`.
func runSoak(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gridsentry soak [-url URL] [-token TOKEN] [-rate 500] [-duration 10m] [-mix "+defaultSoakMix+"] [-report FILE]")
		fmt.Fprintln(stderr, "Sends a fixed rate of address validations, vector tiles and entity queries, made from the server's own data,")
		fmt.Fprintln(stderr, "to a running server; fails when a request fails, is dropped, or the server's heap grows (see -max-heap-growth).")
		fs.PrintDefaults()
	}
	var c soakConfig
	fs.StringVar(&c.base, "url", env("GRIDSENTRY_URL", "http://127.0.0.1:8080"), "base URL of the running server (env GRIDSENTRY_URL)")
	fs.StringVar(&c.token, "token", env("GRIDSENTRY_TOKEN", ""), "API token, sent as Authorization: Bearer (env GRIDSENTRY_TOKEN)")
	fs.Float64Var(&c.rate, "rate", 500, "requests started per second, on schedule whether or not earlier ones have been answered")
	fs.DurationVar(&c.duration, "duration", 10*time.Minute, "how long to send, ramp included")
	fs.DurationVar(&c.ramp, "ramp", 30*time.Second, "climb to -rate over this long, at most a third of -duration (the memory judgement's warm-up)")
	mix := fs.String("mix", defaultSoakMix, "relative weights of the request kinds "+strings.Join(soakClasses, ", ")+"; an omitted kind is not sent")
	fs.IntVar(&c.maxInFlight, "max-in-flight", 256, "requests in flight at most: one due while this many are unanswered is dropped, and counted")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "a request unanswered after this long fails")
	fs.Float64Var(&c.maxHeapGrowth, "max-heap-growth", 10, "percent the median heap in use of the last third may exceed that of the middle third")
	fs.DurationVar(&c.progress, "progress", 10*time.Second, "how often to print progress")
	fs.DurationVar(&c.sample, "sample", 2*time.Second, "how often to read the server's memory from its /metrics")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the request mix: the same seed and data give the same requests")
	report := fs.String("report", "", "also write the figures as JSON to this file")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		return &exitError{code: 2, err: fmt.Errorf("soak: "+format, a...)}
	}
	var err error
	if c.mix, err = parseMix(*mix); err != nil {
		return usageErr("-mix: %v", err)
	}
	switch {
	case c.rate <= 0 || c.duration <= 0 || c.rate*c.duration.Seconds() < 1 || c.ramp < 0:
		return usageErr("-rate and -duration must be positive and make at least one request, -ramp at least 0")
	case c.maxInFlight < 1 || c.timeout <= 0 || c.progress <= 0 || c.sample <= 0:
		return usageErr("-max-in-flight, -timeout, -progress and -sample must be positive")
	case c.maxHeapGrowth < 0:
		return usageErr("-max-heap-growth must be a percentage ≥ 0")
	}
	u, err := url.Parse(c.base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr("-url: want http://host:port, not %q", c.base)
	}
	c.base = strings.TrimRight(c.base, "/")
	c.ramp = min(c.ramp, c.duration/3).Round(time.Millisecond)

	client := newSoakClient(c.base, c.token, c.maxInFlight)
	defer client.hc.CloseIdleConnections()
	data, err := fetchSoakData(ctx, client, c.mix, c.seed)
	if err != nil {
		return fmt.Errorf("soak: reading sample data from %s: %w", c.base, err)
	}
	fmt.Fprintf(stdout, "soak: %s, %.0f requests/s for %s, reached over the first %s (mix %s, at most %d in flight)\n",
		c.base, c.rate, c.duration, c.ramp, c.mix, c.maxInFlight)
	fmt.Fprintf(stdout, "soak: sample data: %d entities, %d addresses, %d tile anchors, tile sources %s\n",
		len(data.entities), len(data.addresses), len(data.anchors), strings.Join(data.sourceNames(), ", "))

	rep, err := soak(ctx, &c, client, data, stdout)
	if *report != "" {
		if werr := writeSoakReport(*report, rep); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// soakConfig holds the soak's flags.
type soakConfig struct {
	base, token   string
	rate          float64 // requests per second
	duration      time.Duration
	ramp          time.Duration
	mix           soakMix
	maxInFlight   int
	timeout       time.Duration
	maxHeapGrowth float64 // percent
	progress      time.Duration
	sample        time.Duration
	seed          uint64
}

// soakMix is the relative weight of each of soakClasses.
type soakMix []int

// parseMix reads weights such as "validate=40,tiles=30,entities=30".
func parseMix(s string) (soakMix, error) {
	m := make(soakMix, len(soakClasses))
	seen := map[string]bool{}
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("%q is not KIND=WEIGHT", part)
		}
		i := slices.Index(soakClasses, name)
		if i < 0 {
			return nil, fmt.Errorf("%q is not a kind of request; the kinds are %s", name, strings.Join(soakClasses, ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("%s is given twice", name)
		}
		seen[name] = true
		w, err := strconv.Atoi(strings.TrimSpace(weight))
		if err != nil || w < 0 {
			return nil, fmt.Errorf("the weight of %s must be a whole number ≥ 0, not %q", name, weight)
		}
		m[i] = w
		total += w
	}
	if total == 0 {
		return nil, errors.New("no kind of request has a weight above 0")
	}
	return m, nil
}

// pick returns the kind of request for r, a number from 0 to the total
// weight less one.
func (m soakMix) pick(r int) string {
	for i, w := range m {
		if r < w {
			return soakClasses[i]
		}
		r -= w
	}
	panic(fmt.Sprintf("soak: pick(%d) beyond the total weight", r))
}

func (m soakMix) total() int {
	t := 0
	for _, w := range m {
		t += w
	}
	return t
}

func (m soakMix) weight(class string) int { return m[slices.Index(soakClasses, class)] }

func (m soakMix) String() string {
	var parts []string
	for i, w := range m {
		if w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", soakClasses[i], w))
		}
	}
	return strings.Join(parts, ",")
}

// openLoop starts work at a fixed rate, whether or not earlier work has
// finished (an open model: a slow server shows as latency and in-flight
// requests, not as a lower rate). The rate climbs linearly from 0 over the
// ramp, then holds for the rest of the duration; each start is due at a
// fixed time from the first, and a loop woken late starts every overdue
// one at once. One due while maxInFlight are running is dropped and
// counted. now and sleep are the clock, replaced in tests.
type openLoop struct {
	rate        float64 // starts per second, after the ramp
	duration    time.Duration
	ramp        time.Duration // at most duration
	maxInFlight int
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error

	scheduled, started, dropped atomic.Int64
	inFlight                    chan struct{}
	wg                          sync.WaitGroup
}

func newOpenLoop(rate float64, d, ramp time.Duration, maxInFlight int) *openLoop {
	return &openLoop{rate: rate, duration: d, ramp: min(ramp, d), maxInFlight: maxInFlight, now: time.Now, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// due returns how many starts the loop makes: rate × duration, less half
// the ramp's worth.
func (l *openLoop) due() int64 {
	return int64(l.rate * (l.duration.Seconds() - l.ramp.Seconds()/2))
}

// dueAt returns when the i-th start is due, from the first. Over the ramp
// of R seconds, rate·t²/(2R) starts are due by t; after it, rate·(t − R/2).
func (l *openLoop) dueAt(i int64) time.Duration {
	x, r := float64(i)/l.rate, l.ramp.Seconds() // x: seconds at the full rate
	t := x + r/2
	if x < r/2 {
		t = math.Sqrt(2 * x * r)
	}
	return time.Duration(t * float64(time.Second))
}

// run starts fire(i, due) in a goroutine for each start on schedule and
// returns when the last is started or dropped, or ctx is done; fires may
// still be running (see wait). start is the time of the first.
func (l *openLoop) run(ctx context.Context, start time.Time, fire func(i int64, due time.Time)) {
	l.inFlight = make(chan struct{}, l.maxInFlight)
	n := l.due()
	for i := int64(0); i < n; {
		due := start.Add(l.dueAt(i))
		if wait := due.Sub(l.now()); wait > 0 {
			if l.sleep(ctx, wait) != nil {
				return
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		l.scheduled.Add(1)
		select {
		case l.inFlight <- struct{}{}:
			l.started.Add(1)
			k := i // i moves on before the goroutine runs
			l.wg.Go(func() {
				defer func() { <-l.inFlight }()
				fire(k, due)
			})
		default:
			l.dropped.Add(1)
		}
		i++
	}
}

// wait waits for the started fires to return.
func (l *openLoop) wait() { l.wg.Wait() }

// soakClient sends the soak's requests with the token.
type soakClient struct {
	base, token string
	hc          *http.Client
}

func newSoakClient(base, token string, conns int) *soakClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// One idle connection kept for each request that may be in flight, so
	// that a steady rate reuses connections instead of opening new ones;
	// the tiles are asked for gzipped, as a browser does, and read as sent.
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.DisableCompression = conns, conns, true
	return &soakClient{base: base, token: token, hc: &http.Client{Transport: tr}}
}

func (c *soakClient) request(ctx context.Context, method, path string, body []byte, header http.Header) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// send sends r and reads the whole answer. It returns the answer's status,
// or "timeout" or "transport" when there is none, and the ETag of a 200.
func (c *soakClient) send(ctx context.Context, r soakRequest) (status, etag string) {
	req, err := c.request(ctx, r.method, r.path, r.body, r.header)
	if err != nil {
		return "transport", ""
	}
	resp, err := c.hc.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout", ""
	case err != nil:
		return "transport", ""
	case resp.StatusCode == http.StatusOK:
		etag = resp.Header.Get("ETag")
	}
	return strconv.Itoa(resp.StatusCode), etag
}

// getJSON decodes the answer to GET path into v; anything but 200 is an
// error.
func (c *soakClient) getJSON(ctx context.Context, path string, v any) error {
	req, err := c.request(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// soakEntity is what the soak reads of a market entity.
type soakEntity struct {
	USCC         string  `json:"uscc"`
	Kind         string  `json:"kind"`
	Status       string  `json:"status"`
	Industry     *string `json:"industry"`
	RegisteredAt string  `json:"registered_at"`
	AddressText  string  `json:"address_text"`
	Link         *struct {
		AddressCode *string `json:"address_code"`
		TownCode    *string `json:"town_code"`
		VillageCode *string `json:"village_code"`
		GridCode    *string `json:"grid_code"`
		BuildingID  *int64  `json:"building_id"`
		Location    *struct {
			Coordinates []float64 `json:"coordinates"`
		} `json:"location"`
	} `json:"link"`
}

// tileSource is one vector source of the server's map style.
type tileSource struct {
	name       string
	path       string // with {z}, {x} and {y}
	minZ, maxZ int
}

// soakData is the sample of the server's own data the requests are made
// of.
type soakData struct {
	entities  []soakEntity
	addresses []string // as registered and as the library writes them
	anchors   []orb.Point
	sources   []tileSource
}

func (d *soakData) sourceNames() []string {
	var out []string
	for _, s := range d.sources {
		out = append(out, s.name)
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

const (
	// soakEntities is about how many entities the sample holds, taken
	// evenly from the towns.
	soakEntities = 1000
	// soakLibraryAddresses is how many of their library addresses are read
	// to validate as the library writes them.
	soakLibraryAddresses = 200
	// soakAnchors is how many entity locations the tiles are taken around.
	// With zooms 10 to 16 and two sources that is a few thousand distinct
	// tiles, some tens of MB: the tile cache holds them all after the first
	// minute or two at 150 tiles/s, as it holds the busy parts of a map in
	// use, so the cache's filling stays in the warm-up and does not pass
	// for a leak in the memory judgement.
	soakAnchors = 300
	soakMinZoom = 10
	soakMaxZoom = 16
)

// fetchSoakData reads the map style's tile sources, entities from every
// town and some of their library addresses.
func fetchSoakData(ctx context.Context, c *soakClient, mix soakMix, seed uint64) (*soakData, error) {
	rng := rand.New(rand.NewPCG(seed, 0))
	var d soakData
	if mix.weight("tiles") > 0 {
		var style struct {
			Sources map[string]struct {
				Type    string   `json:"type"`
				Tiles   []string `json:"tiles"`
				MinZoom int      `json:"minzoom"`
				MaxZoom int      `json:"maxzoom"`
			} `json:"sources"`
		}
		if err := c.getJSON(ctx, "/tiles/style.json", &style); err != nil {
			return nil, err
		}
		for name, s := range style.Sources {
			if s.Type != "vector" || len(s.Tiles) == 0 {
				continue
			}
			u, err := url.Parse(s.Tiles[0])
			if err != nil {
				return nil, fmt.Errorf("style source %s: %w", name, err)
			}
			// The template's host is what the server saw; the path is
			// joined to -url.
			path, _ := url.PathUnescape(u.EscapedPath())
			ts := tileSource{name: name, path: path, minZ: max(s.MinZoom, soakMinZoom), maxZ: min(s.MaxZoom, soakMaxZoom)}
			if ts.minZ <= ts.maxZ {
				d.sources = append(d.sources, ts)
			}
		}
		slices.SortFunc(d.sources, func(a, b tileSource) int { return strings.Compare(a.name, b.name) })
		if len(d.sources) == 0 {
			return nil, errors.New("the map style has no vector source with tiles at zoom 10 to 16")
		}
	}

	var towns struct {
		Features []struct {
			Properties struct {
				Code string `json:"code"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := c.getJSON(ctx, "/v1/divisions?level=town", &towns); err != nil {
		return nil, err
	}
	if len(towns.Features) == 0 {
		return nil, errors.New("the server has no towns: load a city first")
	}
	per := max(1, soakEntities/len(towns.Features))
	for _, t := range towns.Features {
		var page struct {
			Items []soakEntity `json:"items"`
		}
		q := url.Values{"town": {t.Properties.Code}, "limit": {strconv.Itoa(per)}}
		if err := c.getJSON(ctx, "/v1/entities?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		d.entities = append(d.entities, page.Items...)
	}
	if len(d.entities) == 0 {
		return nil, errors.New("the server lists no entities in any town: load and link a city first")
	}
	rng.Shuffle(len(d.entities), func(i, j int) { d.entities[i], d.entities[j] = d.entities[j], d.entities[i] })

	library := 0
	for _, e := range d.entities {
		if e.AddressText != "" {
			d.addresses = append(d.addresses, e.AddressText)
		}
		if e.Link == nil {
			continue
		}
		if l := e.Link.Location; l != nil && len(l.Coordinates) == 2 && len(d.anchors) < soakAnchors {
			d.anchors = append(d.anchors, orb.Point{l.Coordinates[0], l.Coordinates[1]})
		}
		if code := e.Link.AddressCode; code != nil && library < soakLibraryAddresses && mix.weight("validate") > 0 {
			var a struct {
				Address struct {
					Full string `json:"full"`
				} `json:"address"`
			}
			if err := c.getJSON(ctx, "/v1/addresses/"+url.PathEscape(*code), &a); err != nil {
				return nil, err
			}
			if a.Address.Full != "" {
				d.addresses = append(d.addresses, a.Address.Full)
				library++
			}
		}
	}
	if len(d.anchors) == 0 && len(d.sources) > 0 {
		return nil, errors.New("no sampled entity has a location to take tiles around: link the entities first")
	}
	if len(d.addresses) == 0 && mix.weight("validate") > 0 {
		return nil, errors.New("no sampled entity has an address to validate")
	}
	return &d, nil
}

// soakRequest is one request of the mix.
type soakRequest struct {
	kind   string // the row it is reported in
	method string
	path   string
	body   []byte
	header http.Header
}

// soakGen makes the requests of the mix from the sample data. The tiles'
// ETags are remembered so that some tile requests revalidate, as a browser
// does once a tile's max-age has passed.
type soakGen struct {
	data  *soakData
	mix   soakMix
	seed  uint64
	etags sync.Map // tile path → ETag
}

// next returns the i-th request: the same seed and data give the same
// sequence, whichever goroutine asks.
func (g *soakGen) next(i int64) soakRequest {
	rng := rand.New(rand.NewPCG(g.seed, uint64(i)+1))
	switch g.mix.pick(rng.IntN(g.mix.total())) {
	case "validate":
		text := g.data.addresses[rng.IntN(len(g.data.addresses))]
		if rng.IntN(2) == 0 {
			text = perturbAddress(text, rng)
		}
		body, _ := json.Marshal(map[string]string{"address": text})
		return soakRequest{kind: "validate", method: http.MethodPost, path: "/v1/addresses/validate", body: body}
	case "tiles":
		s := g.data.sources[rng.IntN(len(g.data.sources))]
		p := g.data.anchors[rng.IntN(len(g.data.anchors))]
		t := maptile.At(p, maptile.Zoom(s.minZ+rng.IntN(s.maxZ-s.minZ+1)))
		path := strings.NewReplacer("{z}", strconv.Itoa(int(t.Z)), "{x}", strconv.Itoa(int(t.X)), "{y}", strconv.Itoa(int(t.Y))).Replace(s.path)
		h := http.Header{"Accept-Encoding": {"gzip"}}
		if etag, ok := g.etags.Load(path); ok && rng.IntN(4) == 0 {
			h.Set("If-None-Match", etag.(string))
		}
		return soakRequest{kind: "tiles:" + s.name, method: http.MethodGet, path: path, header: h}
	}
	e := g.data.entities[rng.IntN(len(g.data.entities))]
	if rng.IntN(2) == 0 {
		return soakRequest{kind: "entities:get", method: http.MethodGet, path: "/v1/entities/" + url.PathEscape(e.USCC)}
	}
	return soakRequest{kind: "entities:list", method: http.MethodGet, path: "/v1/entities?" + entityFilterOf(e, rng).Encode()}
}

// entityFilterOf returns a filter of GET /v1/entities that e passes, of
// one of the shapes a console or a report asks for.
func entityFilterOf(e soakEntity, rng *rand.Rand) url.Values {
	q := url.Values{"limit": {[]string{"20", "50"}[rng.IntN(2)]}}
	var town, village, grid string
	var building int64
	var loc []float64
	if l := e.Link; l != nil {
		town, village, grid = deref(l.TownCode), deref(l.VillageCode), deref(l.GridCode)
		if l.BuildingID != nil {
			building = *l.BuildingID
		}
		if l.Location != nil && len(l.Location.Coordinates) == 2 {
			loc = l.Location.Coordinates
		}
	}
	if town == "" {
		q.Set("kind", e.Kind)
		q.Set("status", e.Status)
		return q
	}
	switch rng.IntN(10) {
	case 0:
		q.Set("town", town)
	case 1:
		q.Set("town", town)
		q.Set("kind", e.Kind)
	case 2:
		q.Set("village", village)
	case 3:
		q.Set("grid", grid)
	case 4:
		if e.Industry != nil {
			q.Set("industry", *e.Industry)
		}
		q.Set("status", e.Status)
	case 5:
		if loc != nil {
			q.Set("bbox", fmt.Sprintf("%.5f,%.5f,%.5f,%.5f", loc[0]-0.01, loc[1]-0.01, loc[0]+0.01, loc[1]+0.01))
		} else {
			q.Set("town", town)
		}
	case 6:
		q.Set("town", town)
		q.Set("never_inspected", "true")
	case 7:
		q.Set("town", town)
		if y, _, ok := strings.Cut(e.RegisteredAt, "-"); ok {
			q.Set("registered_from", y+"-01-01")
			q.Set("registered_to", y+"-12-31")
		}
	case 8:
		q.Set("town", town)
		q.Set("task_status", "pushed")
	default:
		if building != 0 {
			q.Set("building", strconv.FormatInt(building, 10))
		} else {
			q.Set("town", town)
			q.Set("link_status", "matched")
		}
	}
	for k, v := range q {
		if v[0] == "" {
			q.Del(k)
		}
	}
	return q
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// perturbAddress changes an address the way people type them: without the
// city, with full-width digits, a stray space, another house number, a
// character left out, or a note added.
func perturbAddress(s string, rng *rand.Rand) string {
	runes := []rune(s)
	var out string
	switch rng.IntN(6) {
	case 0:
		out = strings.TrimPrefix(s, "东莞市")
	case 1:
		out = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r - '0' + '０'
			}
			return r
		}, s)
	case 2:
		i := rng.IntN(len(runes) + 1)
		out = string(runes[:i]) + " " + string(runes[i:])
	case 3:
		// The first number one higher: often a doorplate that does not exist.
		for i, r := range runes {
			if r >= '0' && r <= '9' {
				j := i
				for j < len(runes) && runes[j] >= '0' && runes[j] <= '9' {
					j++
				}
				n, _ := strconv.Atoi(string(runes[i:j]))
				out = string(runes[:i]) + strconv.Itoa(n+1) + string(runes[j:])
				break
			}
		}
	case 4:
		if len(runes) > 1 {
			i := rng.IntN(len(runes))
			out = string(runes[:i]) + string(runes[i+1:])
		}
	default:
		out = s + []string{"（自编）", "旁", "一楼", "之一"}[rng.IntN(4)]
	}
	if out == "" || !utf8.ValidString(out) {
		return s
	}
	return out
}

// soakStats counts the answers by kind of request: all of them, and those
// since the last progress line.
type soakStats struct {
	answered atomic.Int64 // all kinds, for the in-flight count
	mu       sync.Mutex
	kinds    map[string]*kindStats
}

type kindStats struct {
	statuses       map[string]int64 // "200", "304", "503", "timeout", "transport"
	latencies      []time.Duration  // of the successful answers
	windowStatuses map[string]int64
	window         []time.Duration
}

func newSoakStats() *soakStats { return &soakStats{kinds: map[string]*kindStats{}} }

// add records an answer: status is the HTTP status, "timeout" or "transport".
func (s *soakStats) add(kind, status string, latency time.Duration) {
	s.answered.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.kinds[kind]
	if k == nil {
		k = &kindStats{statuses: map[string]int64{}, windowStatuses: map[string]int64{}}
		s.kinds[kind] = k
	}
	k.statuses[status]++
	k.windowStatuses[status]++
	if soakOK(status) {
		k.latencies = append(k.latencies, latency)
		k.window = append(k.window, latency)
	}
}

// soakOK reports whether an answer's status is a success: 2xx, or 304 Not
// Modified to a revalidation.
func soakOK(status string) bool {
	return len(status) == 3 && status[0] == '2' || status == "304"
}

// kindRow is one kind's figures.
type kindRow struct {
	Kind     string           `json:"kind"`
	Answered int64            `json:"answered"`
	OK       int64            `json:"ok"`
	Failed   int64            `json:"failed"`
	Statuses map[string]int64 `json:"statuses"`
	P50ms    float64          `json:"p50_ms"`
	P95ms    float64          `json:"p95_ms"`
	P99ms    float64          `json:"p99_ms"`
	MaxMs    float64          `json:"max_ms"`
}

func rowOf(kind string, statuses map[string]int64, lat []time.Duration) kindRow {
	r := kindRow{Kind: kind, Statuses: statuses}
	for st, n := range statuses {
		r.Answered += n
		if soakOK(st) {
			r.OK += n
		} else {
			r.Failed += n
		}
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	r.P50ms, r.P95ms, r.P99ms, r.MaxMs = ms(rank(s, 50)), ms(rank(s, 95)), ms(rank(s, 99)), ms(rank(s, 100))
	return r
}

// rank returns the p-th percentile of sorted, by nearest rank.
func rank(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max(0, min(len(sorted)-1, (len(sorted)*p+99)/100-1))]
}

// rows returns every kind's figures in a fixed order, all of them together
// last; window: those since the last call with window set, which starts a
// new window.
func (s *soakStats) rows(window bool) []kindRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.kinds))
	for k := range s.kinds {
		names = append(names, k)
	}
	order := func(k string) int {
		return slices.IndexFunc(soakClasses, func(c string) bool { return strings.HasPrefix(k, c) })
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := order(a) - order(b); d != 0 {
			return d
		}
		// entities:list before entities:get; tiles by source.
		if strings.HasPrefix(a, "entities") {
			return -strings.Compare(a, b)
		}
		return strings.Compare(a, b)
	})
	var out []kindRow
	allStatuses := map[string]int64{}
	var allLat []time.Duration
	for _, name := range names {
		k := s.kinds[name]
		statuses, lat := k.statuses, k.latencies
		if window {
			statuses, lat = k.windowStatuses, k.window
		}
		out = append(out, rowOf(name, maps(statuses), lat))
		for st, n := range statuses {
			allStatuses[st] += n
		}
		allLat = append(allLat, lat...)
		if window {
			k.windowStatuses, k.window = map[string]int64{}, nil
		}
	}
	return append(out, rowOf("all", allStatuses, allLat))
}

func maps(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// failures writes the failed answers of a row by status, "none" when all
// succeeded.
func failures(r kindRow) string {
	var parts []string
	for st, n := range r.Statuses {
		if !soakOK(st) {
			parts = append(parts, fmt.Sprintf("%s×%d", st, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// memSample is one reading of the server's /metrics.
type memSample struct {
	At         float64 `json:"at_s"` // seconds since the first request was due
	HeapInuse  float64 `json:"heap_inuse_bytes"`
	RSS        float64 `json:"resident_bytes"`
	Goroutines float64 `json:"goroutines"`
	TileCache  float64 `json:"tile_cache_bytes"`
}

// scrapeMemory reads the server's memory from its /metrics.
func scrapeMemory(ctx context.Context, c *soakClient) (memSample, error) {
	var m memSample
	req, err := c.request(ctx, http.MethodGet, "/metrics", nil, nil)
	if err != nil {
		return m, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return m, fmt.Errorf("GET /metrics: %w", err)
	}
	value := func(name string) (float64, bool) {
		f := fams[name]
		if f == nil || len(f.GetMetric()) == 0 {
			return 0, false
		}
		mt := f.GetMetric()[0]
		switch {
		case mt.GetGauge() != nil:
			return mt.GetGauge().GetValue(), true
		case mt.GetUntyped() != nil:
			return mt.GetUntyped().GetValue(), true
		}
		return 0, false
	}
	var ok bool
	if m.HeapInuse, ok = value("go_memstats_heap_inuse_bytes"); !ok {
		return m, errors.New("GET /metrics: no go_memstats_heap_inuse_bytes")
	}
	m.RSS, _ = value("process_resident_memory_bytes")
	m.Goroutines, _ = value("go_goroutines")
	m.TileCache, _ = value("gridsentry_tile_cache_bytes")
	return m, nil
}

// flatness is the judgement of the server's heap over a soak.
//
// The run is cut in thirds by time. The first is the warm-up: connection
// pools grow, the tile cache fills with the soak's tiles (see soakAnchors),
// the GC finds its pace. The heap is flat when the median heap in use of
// the last third exceeds that of the middle third by at most MaxGrowth (a
// fraction) or by at most flatSlack bytes, whichever is more.
//
// Why medians of heap in use: between collections the heap in use climbs
// from the live heap towards the GC's goal (twice the live heap at
// GOGC=100) and falls back, many times a minute at this rate, so one
// reading says little; the median of a third's readings (about 100 of them
// at the default 2 s over 10 minutes) sits mid-sawtooth and moves only
// when the live heap does. Why 10% (the default): in four 10-minute soaks
// of the demo city the last third's median was -0.4% to +5.4% on the
// middle third's, the most where the server fell furthest behind (holding
// hundreds of requests at a time) and coverage's 10-minute tick had the
// tile cache take a second copy of the coverage tiles (+5 MiB); and a leak
// that 10% misses is small: 10% of the demo server's ~120 MiB over the
// 200 s between the thirds' centres is about 120 bytes for every request at
// 500/s. flatSlack keeps a small heap's sawtooth from failing the run:
// 4 MiB is the GC's smallest goal, below which the heap in use swings that
// much with nothing leaking. The resident size is reported, not judged: Go
// returns freed memory to the system lazily, so RSS may stay up after the
// heap has shrunk.
type flatness struct {
	Judged    bool       `json:"judged"`
	Flat      bool       `json:"flat"`
	Medians   [3]float64 `json:"heap_inuse_medians"` // of the thirds, bytes
	Growth    float64    `json:"growth"`             // last third on the middle third, a fraction
	MaxGrowth float64    `json:"max_growth"`
	Why       string     `json:"why"`
}

const (
	flatSlack       = 4 << 20
	minThirdSamples = 3
)

// judgeFlat judges the heap in use of samples taken over a run of span.
func judgeFlat(samples []memSample, span time.Duration, maxGrowth float64) flatness {
	f := flatness{MaxGrowth: maxGrowth}
	thirds := thirdsOf(samples, span)
	for i, t := range thirds {
		f.Medians[i] = median(t, func(m memSample) float64 { return m.HeapInuse })
	}
	if len(thirds[1]) < minThirdSamples || len(thirds[2]) < minThirdSamples {
		f.Why = fmt.Sprintf("not judged: %d and %d memory readings in the middle and last thirds, fewer than %d",
			len(thirds[1]), len(thirds[2]), minThirdSamples)
		return f
	}
	f.Judged = true
	mid, last := f.Medians[1], f.Medians[2]
	if mid > 0 {
		f.Growth = (last - mid) / mid
	}
	allowed := max(maxGrowth*mid, flatSlack)
	f.Flat = last-mid <= allowed
	verdict := "flat"
	if !f.Flat {
		verdict = "GREW"
	}
	f.Why = fmt.Sprintf("%s: the median heap in use of the last third is %s, %+.1f%% on the middle third's %s (allowed: %+.0f%% or %s)",
		verdict, mib(last), 100*f.Growth, mib(mid), 100*maxGrowth, mib(flatSlack))
	return f
}

// thirdsOf splits samples by the third of span they were taken in; those
// after span go to the last.
func thirdsOf(samples []memSample, span time.Duration) [3][]memSample {
	var out [3][]memSample
	third := span.Seconds() / 3
	for _, s := range samples {
		i := 2
		if third > 0 {
			i = min(2, max(0, int(s.At/third)))
		}
		out[i] = append(out[i], s)
	}
	return out
}

func median(samples []memSample, v func(memSample) float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	vs := make([]float64, len(samples))
	for i, s := range samples {
		vs[i] = v(s)
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2
	}
	return vs[len(vs)/2]
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

// soakReport is the soak's figures, also written as JSON with -report.
type soakReport struct {
	URL          string      `json:"url"`
	Rate         float64     `json:"rate"`
	Duration     string      `json:"duration"`
	Ramp         string      `json:"ramp"`
	Mix          string      `json:"mix"`
	MaxInFlight  int         `json:"max_in_flight"`
	Started      time.Time   `json:"started"`
	Elapsed      float64     `json:"elapsed_s"` // from the first due request to the last answer
	Due          int64       `json:"due"`
	Sent         int64       `json:"sent"`
	Dropped      int64       `json:"dropped"`
	Failed       int64       `json:"failed"`
	AchievedRate float64     `json:"achieved_rate"` // rate × sent / due: the loop keeps to the schedule but for drops
	Kinds        []kindRow   `json:"kinds"`
	Memory       []memSample `json:"memory"`
	ScrapeErrors int64       `json:"scrape_errors"`
	Heap         flatness    `json:"heap"`
	Pass         bool        `json:"pass"`
}

// soak runs the schedule, prints progress and the summary, and returns the
// figures and an error when the soak failed.
func soak(ctx context.Context, c *soakConfig, client *soakClient, data *soakData, w io.Writer) (*soakReport, error) {
	gen := &soakGen{data: data, mix: c.mix, seed: c.seed}
	stats := newSoakStats()
	loop := newOpenLoop(c.rate, c.duration, c.ramp, c.maxInFlight)
	// In-flight requests finish, or time out, after the soak is
	// interrupted: they are counted as what they are, not as failures.
	reqCtx := context.WithoutCancel(ctx)
	fire := func(i int64, due time.Time) {
		r := gen.next(i)
		ctx, cancel := context.WithTimeout(reqCtx, c.timeout)
		defer cancel()
		status, etag := client.send(ctx, r)
		// From when it was due, not when it was sent: a late start is the
		// server's slowness too (no coordinated omission).
		stats.add(r.kind, status, time.Since(due))
		if etag != "" && strings.HasPrefix(r.kind, "tiles") {
			gen.etags.Store(r.path, etag)
		}
	}

	rep := &soakReport{URL: c.base, Rate: c.rate, Duration: c.duration.String(), Ramp: c.ramp.String(), Mix: c.mix.String(),
		MaxInFlight: c.maxInFlight, Due: loop.due()}
	var mu sync.Mutex // guards rep.Memory, rep.ScrapeErrors
	var lastErr error
	scrape := func(start time.Time) {
		m, err := scrapeMemory(ctx, client)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			rep.ScrapeErrors++
			lastErr = err
			return
		}
		m.At = time.Since(start).Seconds()
		rep.Memory = append(rep.Memory, m)
	}
	latest := func() (memSample, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(rep.Memory) == 0 {
			return memSample{}, false
		}
		return rep.Memory[len(rep.Memory)-1], true
	}

	start := time.Now()
	rep.Started = start
	scrape(start)
	done := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		t := time.NewTicker(c.sample)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				scrape(start)
			}
		}
	})
	bg.Go(func() {
		t := time.NewTicker(c.progress)
		defer t.Stop()
		prevSent, prev := int64(0), start
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				sent := loop.started.Load()
				m, _ := latest()
				inFlight := sent - stats.answered.Load()
				printProgress(w, now.Sub(start), float64(sent-prevSent)/now.Sub(prev).Seconds(), loop.dropped.Load(), inFlight, stats.rows(true), m)
				prevSent, prev = sent, now
			}
		}
	})
	loop.run(ctx, start, fire)
	loop.wait()
	close(done)
	bg.Wait()
	scrape(start)
	rep.Elapsed = time.Since(start).Seconds()

	rep.Sent, rep.Dropped = loop.started.Load(), loop.dropped.Load()
	rep.Kinds = stats.rows(false)
	rep.Failed = rep.Kinds[len(rep.Kinds)-1].Failed
	span := min(c.duration, time.Since(start))
	rep.AchievedRate = c.rate * float64(rep.Sent) / float64(rep.Due)
	rep.Heap = judgeFlat(rep.Memory, span, c.maxHeapGrowth/100)
	printSoakSummary(w, rep, span)

	var problems []string
	if err := ctx.Err(); err != nil {
		problems = append(problems, fmt.Sprintf("interrupted after %s", span.Round(time.Second)))
	}
	if rep.Failed > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d requests failed", rep.Failed, rep.Sent))
	}
	if rep.Dropped > 0 {
		problems = append(problems, fmt.Sprintf("%d requests dropped with %d in flight", rep.Dropped, c.maxInFlight))
	}
	if !rep.Heap.Flat {
		why := rep.Heap.Why
		if rep.ScrapeErrors > 0 {
			why += fmt.Sprintf(" (%d readings of /metrics failed, the last: %v)", rep.ScrapeErrors, lastErr)
		}
		problems = append(problems, "heap "+why)
	}
	rep.Pass = len(problems) == 0
	if !rep.Pass {
		return rep, &exitError{code: 1, err: errors.New("soak failed: " + strings.Join(problems, "; "))}
	}
	fmt.Fprintln(w, "soak: passed")
	return rep, nil
}

// printProgress writes two lines on the last progress interval: the rate
// sent, the answers, failures and drops, the server's latest memory
// reading, and each kind's latency percentiles.
func printProgress(w io.Writer, at time.Duration, rate float64, dropped, inFlight int64, rows []kindRow, m memSample) {
	all := rows[len(rows)-1]
	fmt.Fprintf(w, "%7s  %.1f/s sent, %d answered, failed: %s, %d dropped so far, %d in flight; heap %s, rss %s, %.0f goroutines\n",
		at.Round(time.Second), rate, all.Answered, failures(all), dropped, inFlight,
		mib(m.HeapInuse), mib(m.RSS), m.Goroutines)
	var parts []string
	for _, r := range rows[:len(rows)-1] {
		parts = append(parts, fmt.Sprintf("%s %.1f/%.1f/%.1f", r.Kind, r.P50ms, r.P95ms, r.P99ms))
	}
	fmt.Fprintf(w, "         p50/p95/p99 ms: %s\n", strings.Join(parts, "  "))
}

func printSoakSummary(w io.Writer, r *soakReport, span time.Duration) {
	fmt.Fprintf(w, "\nsoak: %d requests due over %s at %.0f/s after a %s ramp: %d sent (%.1f/s), %d dropped, %d failed\n\n",
		r.Due, span.Round(time.Second), r.Rate, r.Ramp, r.Sent, r.AchievedRate, r.Dropped, r.Failed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tanswered\tok\tfailed\tp50 ms\tp95 ms\tp99 ms\tmax ms\tfailures\t")
	for _, k := range r.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.1f\t%s\t\n", k.Kind, k.Answered, k.OK, k.Failed, k.P50ms, k.P95ms, k.P99ms, k.MaxMs, failures(k))
	}
	tw.Flush()

	thirds := thirdsOf(r.Memory, span)
	fmt.Fprintf(w, "\nserver memory from /metrics (%d readings; medians of each third of the run):\n\n", len(r.Memory))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tfirst third\tmiddle third\tlast third\tmax\t")
	for _, row := range []struct {
		name string
		v    func(memSample) float64
		f    func(float64) string
	}{
		{"heap in use", func(m memSample) float64 { return m.HeapInuse }, mib},
		{"resident (RSS)", func(m memSample) float64 { return m.RSS }, mib},
		{"tile cache", func(m memSample) float64 { return m.TileCache }, mib},
		{"goroutines", func(m memSample) float64 { return m.Goroutines }, func(v float64) string { return fmt.Sprintf("%.0f", v) }},
	} {
		peak := 0.0
		for _, m := range r.Memory {
			peak = max(peak, row.v(m))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", row.name, row.f(median(thirds[0], row.v)), row.f(median(thirds[1], row.v)),
			row.f(median(thirds[2], row.v)), row.f(peak))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nheap: %s\nRSS is reported, not judged: Go returns freed memory to the system lazily.\n", r.Heap.Why)
	if r.ScrapeErrors > 0 {
		fmt.Fprintf(w, "%d readings of /metrics failed\n", r.ScrapeErrors)
	}
}

func writeSoakReport(path string, r *soakReport) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("soak: -report: %w", err)
	}
	return nil
}
