package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
)

// TestBadInput runs a catalogue of bad inputs against every operation of
// the server's own OpenAPI document: wrong types, missing fields, huge
// values, invalid geometry, out-of-range coordinates, injection strings,
// invalid UTF-8, repeated parameters, malformed path variables. Each must be
// answered 4xx in the error shape, naming the field or parameter at fault,
// and none may store anything. An operation without a catalogue entry fails
// the test, so a route added later is caught.
//
// Every catalogue example must itself be accepted (the last subtest sends
// each once): each bad request is its example with one thing wrong, so the
// answer is about that one thing.
func TestBadInput(t *testing.T) {
	c := newBadInputCity(t)
	ops := readOperations(t, c.url)
	cat := badInputCatalogue(c.fx)

	t.Run("every operation has an entry", func(t *testing.T) {
		seen := map[string]bool{}
		for _, op := range ops {
			seen[op.key()] = true
			e, ok := cat[op.key()]
			if !ok {
				t.Errorf("%s: no entry in the catalogue of bad inputs: add a valid example and its fields", op.key())
				continue
			}
			e.checkAgainst(t, op)
		}
		for key := range cat {
			if !seen[key] {
				t.Errorf("%s: in the catalogue, not in the OpenAPI document", key)
			}
		}
	})

	tables := c.tables(t)
	start := time.Now()
	n := 0
	for _, op := range ops {
		e, ok := cat[op.key()]
		if !ok {
			continue
		}
		t.Run(op.key(), func(t *testing.T) {
			for _, p := range e.probes(op) {
				n++
				t.Run(p.name, func(t *testing.T) { c.check(t, p, e.lines) })
			}
		})
	}
	t.Logf("%d bad requests in %v", n, time.Since(start).Round(time.Millisecond))

	// A batch answers as it reads, so its status is sent before its body is
	// read. When a line too long stopped the reading with much of the body
	// left, the server dropped the connection after the answer, without a
	// word: the client's next request on it failed.
	t.Run("a batch line too long leaves the connection usable", func(t *testing.T) {
		one := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}, Timeout: 30 * time.Second}
		defer one.CloseIdleConnections()
		long := `{"address": "` + strings.Repeat("x", 512<<10) + `"}` + "\n" + `{"address": "x"}` + "\n"
		for i := range 3 {
			resp, err := one.Post(c.url+"/v1/addresses/validate:batch", "application/x-ndjson", strings.NewReader(long))
			if err != nil {
				t.Fatalf("batch %d: %v", i+1, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"field":"body"`)) {
				t.Fatalf("batch %d: %d %.300s", i+1, resp.StatusCode, b)
			}
		}
	})

	t.Run("nothing stored", func(t *testing.T) {
		for _, w := range c.writes(t) {
			t.Errorf("stored: %s", w)
		}
		if after := c.tables(t); !slices.Equal(after, tables) {
			t.Errorf("tables before: %v\nafter: %v", tables, after)
		}
	})

	// Last, since these store: each example is a request the server
	// accepts, free text holding the injection strings as data.
	t.Run("examples are accepted", func(t *testing.T) {
		for _, op := range ops {
			e, ok := cat[op.key()]
			if !ok {
				continue
			}
			t.Run(op.key(), func(t *testing.T) { c.accepted(t, op, e) })
		}
		// The watch of "nothing stored" sees what is stored.
		if w := c.writes(t); !slices.ContainsFunc(w, func(s string) bool { return strings.HasPrefix(s, "entities INSERT") }) {
			t.Errorf("the examples stored an entity, but the watch saw only %v", w)
		}
		if after := c.tables(t); !slices.Equal(after, tables) {
			t.Errorf("tables before: %v\nafter: %v", tables, after)
		}
	})
}

// Limits of the server under test. The batch limit is small so that a
// batch over it is cheap to send.
const (
	bodyLimit  = 1 << 20  // api.Config.MaxBodyBytes, its default
	batchLimit = 4 << 20  // api.Config.MaxBatchBytes
	lineLimit  = 64 << 10 // the longest NDJSON line of a batch or feed
)

// injections are strings that break what builds SQL, HTML or file paths by
// pasting. In free text they are data (the examples carry them); anywhere
// else they are bad input.
var injections = []string{`'; DROP TABLE entities; --`, `<script>alert(1)</script>`, `../../etc/passwd`, `%00`}

// inj appends the i-th injection string to a free-text value.
func inj(i int, s string) string { return s + " " + injections[i%len(injections)] }

// badInputCity is the demo city behind a server with every option wired,
// and the rows the examples act on.
type badInputCity struct {
	url string
	db  *postgres.DB
	fx  badFixture
}

func newBadInputCity(t *testing.T) *badInputCity {
	t.Helper()
	db := pgtest.Demo(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.DiscardHandler)
	ix := postgres.NewAddressIndex(db, log)
	if err := ix.Load(ctx); err != nil {
		t.Fatal(err)
	}
	go ix.Run(ctx)
	coverage := tiles.NewCoverage(db)
	if err := coverage.Load(ctx); err != nil {
		t.Fatal(err)
	}

	catalogue := tiles.DefaultCatalogue()
	tiler := &tiles.Tiler{Catalogue: catalogue, Builders: map[tiles.Kind]tiles.Builder{
		tiles.Table: db, tiles.Computed: coverage.Builder()}}
	srv := api.New(api.Config{MaxBodyBytes: bodyLimit, MaxBatchBytes: batchLimit}, db, db, log,
		api.WithAddresses(ix, db), api.WithLibraryFiles(db, db), api.WithEntities(&postgres.EntityWriter{DB: db}),
		api.WithEntityReader(db), api.WithWorkflow(db), api.WithTaskPolicy(supervision.Policy{}),
		api.WithFlags(db, supervision.FlagConfig{}), api.WithAlerts(api.NewAlertHub(0)), api.WithPlans(db),
		api.WithTiles(catalogue, tiler), api.WithAudit(db), api.WithTokens(db), api.WithAuthenticator(db), api.WithStats(db), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := &badInputCity{url: ts.URL, db: db}
	c.fx = c.fixture(t)
	c.watchWrites(t)
	return c
}

// badFixture holds the rows of the demo city the examples act on: one for
// each example that changes something, so that the examples do not depend
// on each other's order.
type badFixture struct {
	town, village, grid string
	building            int64
	doorplate, room     string // current codes; no cluster host at the room
	host                string // an approved cluster host
	entity              string // an active entity linked to a building
	lon, lat            float64
	far                 [2]float64       // a point of the city far from the entity
	inspection          int64            // of the entity
	tasks               map[string]int64 // by step: a task the step applies to
	assignee            string           // for the assign step's task
	leads               map[string]int64 // by step
	listed              string           // an entity not on the abnormal list for unreachable
	delisted, reason    string           // an entity on the abnormal list, and why
	flag                int64            // an open flag
	campaign            int64
	token               string // an admin's, for ?access_token=
	tokenID             int64  // a token to revoke
	newEntity, fed      string // codes of no entity, for PUT and the feed
	tile                tiles.Tile
}

func (c *badInputCity) fixture(t *testing.T) badFixture {
	t.Helper()
	ctx := context.Background()
	q := func(sql string, args []any, dest ...any) {
		t.Helper()
		if err := c.db.Pool().QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var fx badFixture
	// The demo city's entities are linked by the server's relinker, which
	// does not run here: the examples' entity is linked as it would link it.
	var far int64
	q(`SELECT id, town_code, village_code, grid_code FROM buildings WHERE status = 'existing' ORDER BY id LIMIT 1`, nil,
		&fx.building, &fx.town, &fx.village, &fx.grid)
	q(`SELECT id FROM buildings WHERE status = 'existing' AND town_code <> $1 ORDER BY id LIMIT 1`, []any{fx.town}, &far)
	fx.entity = insertEntity(t, c.db, 880001, "东莞坏输入商行", fx.building)
	// Others in the town, for the campaigns to draw.
	rows, err := c.db.Pool().Query(ctx, `SELECT id FROM buildings WHERE status = 'existing' AND town_code = $1 AND id <> $2
		ORDER BY id LIMIT 4`, fx.town, fx.building)
	if err != nil {
		t.Fatal(err)
	}
	others, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(others) < 4 {
		t.Fatalf("other buildings of %s: %v %v", fx.town, others, err)
	}
	for i, b := range others {
		insertEntity(t, c.db, 880002+i, fmt.Sprintf("东莞坏输入%d号店", i), b)
	}
	q(`SELECT ST_X(location), ST_Y(location) FROM entities WHERE uscc = $1`, []any{fx.entity}, &fx.lon, &fx.lat)
	q(`SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM buildings WHERE id = $1) b`, []any{far},
		&fx.far[0], &fx.far[1])
	q(`SELECT d.code FROM doorplates d WHERE d.retired_at IS NULL AND d.code LIKE $1 || '%' ORDER BY d.code LIMIT 1`,
		[]any{fx.town}, &fx.doorplate)
	q(`SELECT m.code FROM rooms m WHERE m.retired_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM cluster_hosts h WHERE h.address_code = m.code) ORDER BY m.code LIMIT 1`, nil, &fx.room)
	q(`SELECT address_code FROM cluster_hosts ORDER BY address_code LIMIT 1`, nil, &fx.host)
	fx.tasks = map[string]int64{}
	for _, s := range []struct{ step, where string }{
		{"receive", `status = 'pushed'`},
		{"return", `status = 'pushed' AND assignee <> 'coordinator'`},
		{"feedback", `status = 'received'`},
		{"complete", `status = 'feedback'`},
		{"assign", `status = 'returned' AND kind <> 'permit'`},
	} {
		var id int64
		q(`SELECT id FROM tasks WHERE `+s.where+` AND NOT id = ANY($1) ORDER BY id LIMIT 1`,
			[]any{append([]int64{0}, slices.Collect(maps.Values(fx.tasks))...)}, &id)
		fx.tasks[s.step] = id
	}
	q(`SELECT coalesce(grid_code, town_code) FROM tasks WHERE id = $1`, []any{fx.tasks["assign"]}, &fx.assignee)
	fx.leads = map[string]int64{}
	for _, s := range []struct{ step, status string }{
		{"transfer", "assigned"}, {"accept", "assigned"}, {"escalate", "accepted"}, {"close", "accepted"},
		{"decide", "coordination"},
	} {
		var id int64
		q(`SELECT id FROM leads WHERE status = $1 AND department_code IS DISTINCT FROM 'amr_drug' AND NOT id = ANY($2)
			ORDER BY id LIMIT 1`, []any{s.status, append([]int64{0}, slices.Collect(maps.Values(fx.leads))...)}, &id)
		fx.leads[s.step] = id
	}
	q(`SELECT uscc FROM entities e WHERE NOT EXISTS (SELECT 1 FROM abnormal_listings a WHERE a.uscc = e.uscc)
		ORDER BY uscc LIMIT 1`, nil, &fx.listed)
	q(`SELECT uscc, reason FROM abnormal_listings WHERE removed_at IS NULL ORDER BY uscc LIMIT 1`, nil, &fx.delisted, &fx.reason)
	fx.newEntity, fx.fed = uscc(t, 8800001), uscc(t, 8800002)
	var taken int
	q(`SELECT count(*) FROM entities WHERE uscc IN ($1, $2)`, []any{fx.newEntity, fx.fed}, &taken)
	if taken != 0 {
		t.Fatalf("the demo city has entity %s or %s", fx.newEntity, fx.fed)
	}
	covering := tiles.Covering(orb.Bound{Min: orb.Point{fx.lon, fx.lat}, Max: orb.Point{fx.lon, fx.lat}}, 14)
	if len(covering) == 0 {
		t.Fatalf("no tile covers (%v, %v)", fx.lon, fx.lat)
	}
	fx.tile = covering[0]

	// What the demo city lacks is made through the API: an open flag (an
	// inspection far from the entity raises one) and a campaign.
	var created struct {
		Inspection struct {
			ID int64 `json:"id"`
		} `json:"inspection"`
		Flags []struct {
			ID int64 `json:"id"`
		} `json:"flags"`
	}
	c.setup(t, "POST", "/v1/inspections", obj{"uscc": fx.entity, "inspector": "setup", "at": yesterday(),
		"location": point(fx.far[0], fx.far[1]), "items": obj{"address": "inconsistent"}, "outcome": "not_found"}, &created)
	if len(created.Flags) == 0 {
		t.Fatal("an inspection far from the entity raised no flag")
	}
	fx.flag, fx.inspection = created.Flags[0].ID, created.Inspection.ID
	var campaign struct {
		ID int64 `json:"id"`
	}
	c.setup(t, "POST", "/v1/campaigns", obj{"name": "setup", "seed": 1, "quotas": []any{obj{"town": fx.town, "count": 1}}}, &campaign)
	fx.campaign = campaign.ID
	var adminID int64
	if fx.token, adminID, err = c.db.CreateToken(ctx, auth.Principal{Role: auth.Admin}, time.Hour, "bad input"); err != nil {
		t.Fatal(err)
	}
	// Its use is stamped at most once a minute, an UPDATE the write watch
	// would count: stamp it ahead, so that no request of the test does.
	if _, err := c.db.Pool().Exec(ctx, `UPDATE api_tokens SET last_used_at = now() + interval '1 day' WHERE id = $1`, adminID); err != nil {
		t.Fatal(err)
	}
	if _, fx.tokenID, err = c.db.CreateToken(ctx, auth.Principal{Role: auth.Clerk}, time.Hour, "to revoke"); err != nil {
		t.Fatal(err)
	}
	return fx
}

// setup sends a request that must succeed, decoding the answer into out.
func (c *badInputCity) setup(t *testing.T, method, path string, body, out any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("setup: %s %s: %d %s", method, path, resp.StatusCode, answer)
	}
	if err := json.Unmarshal(answer, out); err != nil {
		t.Fatalf("setup: %s %s: %v", method, path, err)
	}
}

type obj = map[string]any

// yesterday is a time of the recent past, as a client sends it.
func yesterday() string { return time.Now().AddDate(0, 0, -1).Format(time.RFC3339) }

func point(lon, lat float64) obj { return obj{"type": "Point", "coordinates": []any{lon, lat}} }

// square is a small valid polygon around (lon, lat).
func square(lon, lat float64) obj {
	d := 0.01
	return obj{"type": "Polygon", "coordinates": []any{[]any{
		[]any{lon - d, lat - d}, []any{lon + d, lat - d}, []any{lon + d, lat + d}, []any{lon - d, lat + d}, []any{lon - d, lat - d}}}}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// An entry of the catalogue is a valid request of an operation, and what
// kind of value each of its fields and parameters holds. Field types, the
// required fields and the constraints of parameters come from the OpenAPI
// document.
type entry struct {
	vars     map[string]string // path variables
	query    url.Values
	alt      url.Values // valid values of parameters left out of query: they conflict with it
	headers  []string   // header parameters: mutated one at a time, absent from the example
	body     obj        // a JSON body; for ndjson, its one line
	altBody  obj        // valid values of fields left out of body
	raw      string     // a body that is not JSON (a CSV file)
	ctype    string     // the content type of raw
	required []string   // required fields beyond the document's
	text     []string   // free-text fields and parameters: any string within their limits is data
	point    []string   // GeoJSON Point fields; lon,lat parameters
	area     []string   // GeoJSON Polygon fields and parameters
	box      []string   // bounding boxes: [w, s, e, n] fields, "w,s,e,n" parameters
	dongguan []string   // points the API requires within Dongguan
	names    []string   // path variables that are names: a malformed one is an unknown name (404)
	ndjson   bool       // the body is NDJSON, one entity per line
	lines    bool       // a bad line is answered in a 200 stream, by an error line in its place
}

func (e entry) isText(name string) bool { return slices.Contains(e.text, name) }

// checkAgainst reports the fields and parameters of the operation that the
// entry does not know, and those it has that the document does not.
func (e entry) checkAgainst(t *testing.T, op operation) {
	t.Helper()
	have := map[string]bool{}
	for name := range e.vars {
		have["path "+name] = true
	}
	for name := range e.query {
		have["query "+name] = true
	}
	for name := range e.alt {
		have["query "+name] = true
	}
	for _, name := range e.headers {
		have["header "+name] = true
	}
	if op.body != nil && len(op.body.props) > 0 {
		for name := range e.body {
			have["field "+name] = true
		}
		for name := range e.altBody {
			have["field "+name] = true
		}
	}
	want := map[string]bool{}
	for _, p := range op.params {
		want[p.in+" "+p.name] = true
	}
	if op.body != nil {
		for name := range op.body.props {
			want["field "+name] = true
		}
		if e.body == nil && e.raw == "" {
			t.Errorf("%s takes a body; the entry has no example of it", op.key())
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if !have[k] {
			t.Errorf("%s: the catalogue lacks %s", op.key(), k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(have)) {
		if !want[k] {
			t.Errorf("%s: the catalogue has %s, which the document does not", op.key(), k)
		}
	}
	// Free text must carry an injection string, so that it is exercised.
	for _, name := range e.text {
		v, ok := e.body[name].(string)
		if !ok {
			v = e.query.Get(name)
		}
		if !slices.ContainsFunc(injections, func(s string) bool { return strings.Contains(v, s) }) {
			t.Errorf("%s: free text %s is %q: make it carry an injection string", op.key(), name, v)
		}
	}
}

// badInputCatalogue is a valid request of every operation.
func badInputCatalogue(fx badFixture) map[string]entry {
	id := func(n int64) map[string]string { return map[string]string{"id": strconv.FormatInt(n, 10)} }
	vals := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	entity := func(code string) obj {
		return obj{"uscc": code, "name": inj(0, "东莞测试贸易有限公司"), "kind": "enterprise", "status": "active",
			"registered_at": time.Now().AddDate(-1, 0, 0).Format(time.DateOnly),
			"address_text":  inj(1, "东莞市南城街道鸿福路88号"), "scope": inj(2, "预包装食品销售"), "industry": "F", "legal_rep": inj(3, "张三"), "phone": inj(1, "13812345678"), "id_number": inj(2, "44190019900101123X"),
			"report_year": 2025, "changed_at": yesterday()}
	}
	entityText := []string{"name", "address_text", "scope", "legal_rep", "phone", "id_number"}
	taskStep := func(step string, extra obj) entry {
		body := obj{"actor": inj(0, "网格员李四"), "note": inj(1, "已到场")}
		maps.Copy(body, extra)
		e := entry{vars: id(fx.tasks[step]), body: body, text: []string{"actor", "note"}}
		if _, ok := extra["feedback"]; ok {
			e.text = append(e.text, "feedback")
		}
		return e
	}
	leadStep := func(step string, extra obj) entry {
		body := obj{"actor": inj(2, "市场监管局")}
		maps.Copy(body, extra)
		e := entry{vars: id(fx.leads[step]), body: body, text: []string{"actor"}}
		for _, f := range []string{"note", "result"} {
			if _, ok := extra[f]; ok {
				e.text = append(e.text, f)
			}
		}
		return e
	}
	page := func(kv ...string) url.Values {
		return vals(append([]string{"limit", "10", "cursor", "aWQ6MQ"}, kv...)...) // id:1
	}
	entityFilters := func() (url.Values, url.Values) {
		q := vals("town", fx.town, "village", fx.village, "grid", fx.grid, "building", strconv.FormatInt(fx.building, 10),
			"bbox", fmt.Sprintf("%v,%v,%v,%v", fx.lon-0.01, fx.lat-0.01, fx.lon+0.01, fx.lat+0.01),
			"polygon", mustJSON(square(fx.lon, fx.lat)), "crs", "wgs84", "industry", "F", "kind", "enterprise",
			"status", "active", "registered_from", "2000-01-01", "registered_to", "2026-12-31",
			"inspected_before", "2026-12-31", "inspected_after", "2020-01-01", "task_status", "open",
			"address_code", fx.doorplate, "link_status", "matched", "limit", "10", "cursor", base64.RawURLEncoding.EncodeToString([]byte(fx.entity)))
		return q, vals("never_inspected", "true")
	}
	// A statistics query: the last six months, as CSV.
	period := func(kv ...string) url.Values {
		last := time.Now().In(supervision.Beijing)
		return vals(append([]string{"from", last.AddDate(0, -5, 0).Format("2006-01"), "to", last.Format("2006-01"), "format", "csv"}, kv...)...)
	}
	noInput := entry{}
	csv := "type,code,road_code,number,name,lon,lat,wkt\n" +
		"road,44190000399901,,,测试大道,,,\"LINESTRING(113.7795 22.9475,113.7837 22.9468)\"\n"

	q, alt := entityFilters()
	bodyFilters := obj{}
	for name := range q {
		bodyFilters[name] = q.Get(name)
	}
	bodyFilters["building"] = fx.building
	bodyFilters["limit"] = 10
	bodyFilters["bbox"] = []any{fx.lon - 0.01, fx.lat - 0.01, fx.lon + 0.01, fx.lat + 0.01}
	bodyFilters["polygon"] = square(fx.lon, fx.lat)

	return map[string]entry{
		"GET /healthz":      noInput,
		"GET /readyz":       noInput,
		"GET /metrics":      noInput,
		"GET /openapi.json": noInput,
		"GET /v1/me":        noInput,

		"GET /v1/divisions":        {query: vals("level", "village", "town", fx.town)},
		"GET /v1/towns/{code}":     {vars: map[string]string{"code": fx.town}},
		"GET /v1/grids/{code}":     {vars: map[string]string{"code": fx.grid}},
		"GET /v1/buildings/{id}":   {vars: id(fx.building)},
		"GET /v1/addresses/{code}": {vars: map[string]string{"code": fx.doorplate}},
		"GET /v1/addresses/parse":  {query: vals("q", inj(1, "东莞市南城鸿福路88号")), text: []string{"q"}},
		"GET /v1/addresses/search": {query: vals("q", inj(2, "鸿福路"), "town", fx.town, "limit", "5", "cursor", "0"), text: []string{"q"}},
		"POST /v1/addresses/validate": {body: obj{"address": inj(0, "东莞市南城街道鸿福路88号"), "town": fx.town},
			text: []string{"address"}},
		"POST /v1/addresses/validate:batch": {body: obj{"address": inj(3, "东莞市南城街道鸿福路88号"), "town": fx.town},
			required: []string{"address"}, text: []string{"address"}, lines: true},

		"POST /v1/library/import": {query: vals("kind", "addresses", "format", "csv", "type", "road", "crs", "wgs84",
			"dry_run", "true", "retire_missing", "false", "source", inj(2, "api")), raw: csv, ctype: "text/csv", text: []string{"source"}},
		"GET /v1/library/export": {query: vals("kind", "addresses", "format", "csv", "town", fx.town, "include_retired", "false")},
		"GET /v1/audit": {query: vals("token", "1", "action", "write", "route", inj(0, "/v1/leads"), "object", inj(1, "id=1"),
			"since", "2026-01-01T00:00:00+08:00", "until", "2026-12-31T00:00:00+08:00", "limit", "10", "cursor", "aWQ6MTAwMA"),
			text: []string{"route", "object"}},

		"GET /v1/entities": {query: q, alt: alt, box: []string{"bbox"}, area: []string{"polygon"}},
		"POST /v1/entities:search": {body: bodyFilters, altBody: obj{"never_inspected": true},
			box: []string{"bbox"}, area: []string{"polygon"}},
		"GET /v1/entities/{uscc}": {vars: map[string]string{"uscc": fx.entity}},
		"PUT /v1/entities/{uscc}": {vars: map[string]string{"uscc": fx.newEntity}, headers: []string{"If-Match"},
			body: entity(fx.newEntity), altBody: obj{"change": "new"}, text: entityText},
		"POST /v1/feeds/registrations": {query: vals("source", inj(0, "registration")),
			body:     func() obj { e := entity(fx.fed); e["change"] = "new"; return e }(),
			required: []string{"change", "changed_at"}, text: append(entityText, "source"), ndjson: true},

		"GET /v1/flags": {query: page("kind", "off_site", "status", "open", "town", fx.town, "grid", fx.grid,
			"uscc", fx.entity, "min_score", "10", "bbox", "113.5,22.6,114.3,23.2"), box: []string{"bbox"}},
		"GET /v1/flags/{id}": {vars: id(fx.flag)},
		"POST /v1/flags/{id}/review": {vars: id(fx.flag), body: obj{"decision": "confirm", "reviewer": inj(0, "王五"),
			"reason": inj(1, "核实属实")}, text: []string{"reviewer", "reason"}},
		"GET /v1/rules/flags":  noInput,
		"GET /v1/rules/trades": noInput,
		"PUT /v1/rules/trades": {body: obj{"trades": []any{obj{"code": "tobacco", "label": inj(0, "烟草"),
			"keywords": []any{"卷烟", "烟草"}, "uses": []any{"residential"}}}}},
		"GET /v1/rules/cluster-hosts": noInput,
		"PUT /v1/rules/cluster-hosts/{code}": {vars: map[string]string{"code": fx.room},
			body: obj{"name": inj(2, "众创空间"), "approved_at": time.Now().AddDate(0, -1, 0).Format(time.DateOnly), "approved_by": inj(3, "南城街道")},
			text: []string{"name", "approved_by"}},
		"DELETE /v1/rules/cluster-hosts/{code}": {vars: map[string]string{"code": fx.host}},
		"GET /v1/alerts/stream":                 {query: vals("town", fx.town, "grid", fx.grid, "kind", "off_site")},

		"POST /v1/campaigns": {body: obj{"name": inj(0, "2026年双随机"), "seed": 42,
			"quotas": []any{obj{"town": fx.town, "count": 2}}, "due_days": 10,
			"filters": obj{"industry": []any{}, "kind": []any{"enterprise"}}, "items": []any{"address"},
			"department": "amr_food", "created_by": inj(1, "市局"), "new_entity_days": 30},
			altBody: obj{"due_at": time.Now().AddDate(0, 1, 0).Format(time.RFC3339)}, text: []string{"name", "created_by"}},
		"GET /v1/campaigns/{id}": {vars: id(fx.campaign)},
		"GET /v1/plans/{assignee}": {vars: map[string]string{"assignee": fx.grid},
			query: vals("start", fmt.Sprintf("%v,%v", fx.lon, fx.lat), "crs", "wgs84"), point: []string{"start"}},

		"GET /tiles":            {query: vals("access_token", fx.token)},
		"GET /tiles/style.json": {query: vals("access_token", fx.token)},
		"GET /tiles/{layers}.json": {vars: map[string]string{"layers": "buildings,coverage_hex"},
			query: vals("access_token", fx.token), names: []string{"layers"}},
		"GET /tiles/{layers}/{z}/{x}/{y}.mvt": {vars: map[string]string{"layers": "coverage_hex", "z": strconv.Itoa(int(fx.tile.Z)),
			"x": strconv.Itoa(int(fx.tile.X)), "y": strconv.Itoa(int(fx.tile.Y))},
			query: vals("window", "90", "town", fx.town, "industry", "F", "kind", "enterprise", "access_token", fx.token), names: []string{"layers"}},

		"GET /v1/tokens": noInput,
		"POST /v1/tokens": {body: obj{"role": "clerk", "town_code": fx.town, "department": "amr_food", "ttl": "2h",
			"note": inj(0, "窗口3")}, text: []string{"note"}},
		"POST /v1/tokens/{id}/revoke": {vars: id(fx.tokenID)},
		"GET /v1/entities/export": {query: func() url.Values {
			e := cloneValues(q)
			e.Del("limit")
			e.Del("cursor")
			e.Set("format", "csv")
			return e
		}(), alt: alt, box: []string{"bbox"}, area: []string{"polygon"}},

		"GET /v1/departments":      noInput,
		"GET /v1/rules/scope":      noInput,
		"PUT /v1/rules/scope":      {body: obj{"rules": []any{obj{"department": "amr_food", "keywords": []any{"食品销售", "餐饮"}}}}},
		"GET /v1/inspection-items": {query: vals("town", fx.town)},
		"PUT /v1/towns/{code}/inspection-items": {vars: map[string]string{"code": fx.town},
			body: obj{"items": []any{obj{"code": "fire_safety", "label": inj(1, "消防安全"), "answers": []any{"ok", "hazard"}}}}},

		"GET /v1/tasks": {query: page("assignee", inj(0, fx.grid), "status", "open", "due_before", "2026-12-31T00:00:00+08:00",
			"due_after", "2020-01-01T00:00:00+08:00", "town", fx.town, "grid", fx.grid, "uscc", fx.entity, "kind", "check",
			"department", inj(1, "amr_food")), text: []string{"assignee", "department"}},
		"POST /v1/tasks": {body: obj{"uscc": fx.entity, "department": "amr_food", "items": []any{"address", "operation"},
			"reason": inj(2, "投诉核查"), "due_in_days": 5}, text: []string{"reason"}},
		"GET /v1/tasks/visits":         {query: vals("assignee", inj(3, fx.grid)), text: []string{"assignee"}},
		"GET /v1/tasks/{id}":           {vars: id(fx.tasks["receive"])},
		"POST /v1/tasks/{id}/receive":  taskStep("receive", nil),
		"POST /v1/tasks/{id}/feedback": taskStep("feedback", obj{"feedback": inj(2, "经营正常"), "done": false}),
		"POST /v1/tasks/{id}/complete": taskStep("complete", nil),
		"POST /v1/tasks/{id}/return":   taskStep("return", obj{"reason": "wrong_department"}),
		"POST /v1/tasks/{id}/assign":   taskStep("assign", obj{"assignee": fx.assignee}),
		"GET /v1/inspections/{id}":     {vars: id(fx.inspection)},
		"GET /v1/inspections": {query: page("uscc", fx.entity, "town", fx.town, "grid", fx.grid, "inspector", inj(0, "李四"),
			"after", "2020-01-01T00:00:00+08:00", "before", "2026-12-31T00:00:00+08:00"), text: []string{"inspector"}},
		"POST /v1/inspections": {body: obj{"uscc": fx.entity, "inspector": inj(1, "网格员李四"), "at": yesterday(),
			"crs": "wgs84", "location": point(fx.lon, fx.lat), "items": obj{"address": "consistent", "operation": "operating"},
			"outcome": "operating", "notes": inj(2, "现场核查"), "photos": []any{"photo-1.jpg"}, "task_ids": []any{}},
			text: []string{"inspector", "notes"}, point: []string{"location"}, dongguan: []string{"location"}},

		"POST /v1/leads": {body: obj{"uscc": fx.entity, "inspection_id": fx.inspection, "from_department": inj(3, "网格"),
			"department": "amr_food", "category": inj(0, "无证经营"), "description": inj(1, "现场发现"),
			"location": point(fx.lon, fx.lat), "crs": "wgs84"},
			text: []string{"from_department", "category", "description"}, point: []string{"location"}, dongguan: []string{"location"}},
		"GET /v1/leads": {query: page("department", inj(2, "amr_food"), "status", "assigned", "town", fx.town, "uscc", fx.entity),
			text: []string{"department"}},
		"GET /v1/leads/{id}":           {vars: id(fx.leads["transfer"])},
		"POST /v1/leads/{id}/transfer": leadStep("transfer", obj{"department": "amr_drug", "note": inj(3, "转交")}),
		"POST /v1/leads/{id}/escalate": leadStep("escalate", obj{"note": inj(0, "不属本部门")}),
		"POST /v1/leads/{id}/decide":   leadStep("decide", obj{"department": "amr_drug", "note": inj(1, "由药监处理")}),
		"POST /v1/leads/{id}/accept":   leadStep("accept", obj{"note": inj(2, "受理")}),
		"POST /v1/leads/{id}/close":    leadStep("close", obj{"result": inj(3, "已立案查处")}),

		"POST /v1/complaints": {body: obj{"source": "12345", "external_id": inj(0, "GD-2026-1"), "at": yesterday(),
			"category": "report", "industry": "F", "uscc": fx.entity, "address_text": inj(1, "东莞市南城街道鸿福路88号"),
			"summary": inj(2, "无证经营")}, text: []string{"external_id", "address_text", "summary"}},
		"GET /v1/complaints": {query: page("town", fx.town, "grid", fx.grid, "uscc", fx.entity, "industry", "F",
			"after", "2020-01-01T00:00:00+08:00", "before", "2026-12-31T00:00:00+08:00")},
		"POST /v1/violations": {body: obj{"uscc": fx.entity, "external_id": inj(3, "东市监罚〔2026〕1号"),
			"at": yesterday(), "kind": "penalty", "authority": inj(0, "东莞市市场监督管理局"),
			"description": inj(1, "超范围经营"), "amount": 5000},
			text: []string{"external_id", "authority", "description"}},
		"GET /v1/violations": {query: page("uscc", fx.entity)},
		"POST /v1/entities/{uscc}/abnormal": {vars: map[string]string{"uscc": fx.listed},
			body: obj{"reason": "unreachable", "listed_at": time.Now().AddDate(0, -1, 0).Format(time.DateOnly), "authority": inj(2, "东莞市市场监督管理局")},
			text: []string{"authority"}},
		"POST /v1/entities/{uscc}/abnormal/remove": {vars: map[string]string{"uscc": fx.delisted},
			body: obj{"reason": fx.reason, "removed_at": time.Now().Format(time.DateOnly)}},

		"GET /v1/stats/towns":                 {query: period()},
		"GET /v1/stats/towns/{code}/villages": {vars: map[string]string{"code": fx.town}, query: period()},
		"GET /v1/stats/villages/{code}/grids": {vars: map[string]string{"code": fx.village}, query: period()},
		"GET /v1/stats/departments":           {query: period("town", fx.town)},
		"GET /v1/stats/trend":                 {query: period("town", fx.town, "village", fx.village)},
		"GET /v1/stats/industries":            {query: period("town", fx.town, "village", fx.village)},
		"GET /v1/stats/complaints":            {query: period("town", fx.town)},
		"GET /v1/stats/leads":                 {query: period("town", fx.town)},
	}
}

// A probe is one bad request and the answers it may get.
type probe struct {
	name   string
	method string
	path   string // escaped
	query  string // encoded
	header map[string]string
	body   []byte
	ctype  string
	status []int  // the answers allowed
	field  string // the field or parameter the error must name
}

// probes returns the bad requests of an operation: its example with one
// thing wrong.
func (e entry) probes(op operation) []probe {
	var out []probe
	base := probe{method: op.method, path: fillPath(op.path, e.vars), query: e.query.Encode(), status: []int{400}}
	if e.body != nil {
		base.body, base.ctype = e.encode(e.body), "application/json"
		if e.ndjson || e.lines {
			base.ctype = "application/x-ndjson"
		}
	} else if e.raw != "" {
		base.body, base.ctype = []byte(e.raw), e.ctype
	}
	add := func(p probe, name string, edit func(*probe)) {
		p.name = name
		edit(&p)
		out = append(out, p)
	}

	// A method the path does not have.
	for _, m := range []string{http.MethodDelete, http.MethodPut, http.MethodPost, http.MethodGet} {
		if !slices.Contains(op.others, m) && m != op.method {
			add(base, "method "+m, func(p *probe) { p.method, p.status = m, []int{http.StatusMethodNotAllowed} })
			break
		}
	}

	for _, prm := range op.params {
		switch prm.in {
		case "path":
			values := []string{"abc", "-1", "1e30", strings.Repeat("9", 300), "\xff", "\x00", injections[0]}
			if min, ok := prm.schema["minimum"].(float64); ok && min >= 1 {
				values = append(values, "0")
			}
			for _, v := range values {
				add(base, "path "+prm.name+"="+short(v), func(p *probe) {
					vars := maps.Clone(e.vars)
					vars[prm.name] = v
					p.path, p.field = fillPath(op.path, vars), prm.name
					if slices.Contains(e.names, prm.name) {
						p.status, p.field = []int{http.StatusNotFound}, ""
					}
				})
			}
		case "header":
			for _, v := range []string{"abc", "-1", "0", `"1e30"`} {
				add(base, "header "+prm.name+"="+v, func(p *probe) {
					p.header, p.field = map[string]string{prm.name: v}, prm.name
				})
			}
		case "query":
			for _, m := range e.queryValues(prm) {
				add(base, "query "+prm.name+" "+m.name, func(p *probe) {
					q := cloneValues(e.query)
					if m.values == nil {
						q.Del(prm.name)
					} else {
						q[prm.name] = m.values
					}
					p.query, p.field = q.Encode(), prm.name
					if prm.name == "access_token" { // a credential: a malformed query 400, a bad token 401
						p.status, p.field = []int{http.StatusBadRequest, http.StatusUnauthorized}, ""
					}
				})
			}
		}
	}

	if e.body != nil {
		out = append(out, e.bodyProbes(op, base)...)
	} else if e.raw != "" {
		for _, m := range []struct{ name, body string }{
			{"not a library file", "a,b\n1,2\n"},
			{"invalid UTF-8", "\xff\xfe" + e.raw},
			{"empty", ""},
		} {
			add(base, "body "+m.name, func(p *probe) { p.body = []byte(m.body) })
		}
		add(base, "body over the limit", func(p *probe) {
			p.body, p.status = bytes.Repeat([]byte(e.raw), batchLimit/len(e.raw)+1), []int{http.StatusRequestEntityTooLarge}
		})
	}
	return out
}

// encode marshals a body, one NDJSON line for ndjson.
func (e entry) encode(body obj) []byte {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	if e.ndjson || e.lines {
		b = append(b, '\n')
	}
	return b
}

// A valueProbe is a query parameter's bad values (nil: absent).
type valueProbe struct {
	name   string
	values []string
}

// queryValues are the bad values of a query parameter, by its kind.
func (e entry) queryValues(prm param) []valueProbe {
	valid := e.query.Get(prm.name)
	if valid == "" {
		valid = e.alt.Get(prm.name)
	}
	one := func(name, v string) valueProbe { return valueProbe{name, []string{v}} }
	out := []valueProbe{
		one("invalid UTF-8", "\xff\xfe"),
		one("NUL", "a\x00b"),
		{"repeated", []string{valid, valid}},
	}
	if prm.required {
		out = append(out, valueProbe{"missing", nil})
	}
	if e.isText(prm.name) {
		return out
	}
	out = append(out, one("letters", "x"), one("huge", strings.Repeat("9", 32<<10)))
	for i, s := range injections {
		out = append(out, one(fmt.Sprintf("injection %d", i), s))
	}
	switch prm.schema["type"] {
	case "integer":
		out = append(out, one("fraction", "1.5"), one("1e30", "1e30"), one("2^64", "18446744073709551616"), one("-1", "-1"))
		if max, ok := prm.schema["maximum"].(float64); ok {
			out = append(out, one("over the maximum", strconv.FormatFloat(max+1, 'f', -1, 64)))
		}
		if min, ok := prm.schema["minimum"].(float64); ok && min != 0 {
			out = append(out, one("under the minimum", strconv.FormatFloat(min-1, 'f', -1, 64)))
		}
	case "number":
		out = append(out, one("NaN", "NaN"), one("Inf", "Inf"), one("1e400", "1e400"), one("-1", "-1"))
		if max, ok := prm.schema["maximum"].(float64); ok {
			out = append(out, one("over the maximum", strconv.FormatFloat(max+1, 'f', -1, 64)))
		}
	case "boolean":
		out = append(out, one("not a boolean", "maybe"))
	}
	switch prm.schema["format"] {
	case "date":
		out = append(out, one("no such date", "2026-02-30"))
	case "date-time":
		out = append(out, one("no such time", "2026-13-01T00:00:00+08:00"), one("a date", "2026-01-01"))
	}
	switch {
	case slices.Contains(e.box, prm.name):
		for _, b := range []struct{ name, v string }{
			{"3 numbers", "113.5,22.6,114.3"}, {"longitude 200", "200,22.6,201,23.2"}, {"latitude -95", "113.5,-95,114.3,23.2"},
			{"NaN", "NaN,NaN,NaN,NaN"}, {"west of east", "114.3,22.6,113.5,23.2"}, {"infinite", "-Inf,22.6,Inf,23.2"},
		} {
			out = append(out, one(b.name, b.v))
		}
	case slices.Contains(e.point, prm.name):
		for _, b := range []struct{ name, v string }{
			{"1 coordinate", "113.75"}, {"longitude 200", "200,23"}, {"latitude -95", "113.75,-95"}, {"NaN", "NaN,23"},
		} {
			out = append(out, one(b.name, b.v))
		}
	case slices.Contains(e.area, prm.name):
		for _, g := range badAreas {
			out = append(out, one(g.name, mustJSON(g.geom)))
		}
	}
	return out
}

// badAreas are polygons no filter can use.
var badAreas = []struct {
	name string
	geom any
}{
	{"unclosed ring", obj{"type": "Polygon", "coordinates": []any{[]any{[]any{113.7, 22.9}, []any{113.8, 22.9}, []any{113.8, 23.0}, []any{113.7, 23.0}}}}},
	{"self-intersecting", obj{"type": "Polygon", "coordinates": []any{[]any{[]any{113.7, 22.9}, []any{113.8, 23.0}, []any{113.8, 22.9}, []any{113.7, 23.0}, []any{113.7, 22.9}}}}},
	{"1 coordinate", obj{"type": "Polygon", "coordinates": []any{[]any{[]any{113.7}}}}},
	{"longitude 200", obj{"type": "Polygon", "coordinates": []any{[]any{[]any{199.9, 22.9}, []any{200, 22.9}, []any{200, 23.0}, []any{199.9, 22.9}}}}},
	{"latitude -95", obj{"type": "Polygon", "coordinates": []any{[]any{[]any{113.7, -95}, []any{113.8, -95}, []any{113.8, -94}, []any{113.7, -95}}}}},
	{"NaN as a string", obj{"type": "Polygon", "coordinates": []any{[]any{[]any{"NaN", 22.9}, []any{113.8, 22.9}, []any{113.8, 23.0}, []any{"NaN", 22.9}}}}},
	{"a point", point(113.75, 22.95)},
	{"no coordinates", obj{"type": "Polygon"}},
}

// badPoints are points no API takes.
var badPoints = []struct {
	name string
	geom any
}{
	{"no coordinates", obj{"type": "Point"}},
	{"1 coordinate", obj{"type": "Point", "coordinates": []any{113.75}}},
	{"longitude 200", point(200, 23)},
	{"latitude -95", point(113.75, -95)},
	{"NaN as a string", obj{"type": "Point", "coordinates": []any{"NaN", 23}}},
	{"1e308", point(1e308, 23)},
	{"a polygon", square(113.75, 22.95)},
	{"not GeoJSON", obj{"lon": 113.75, "lat": 22.95}},
}

// wrongTypes are values of every JSON type but kind's. null is tried on
// required fields only: for an optional one it means absent.
func wrongTypes(kind string) []any {
	var out []any
	for _, v := range []struct {
		kind string
		v    any
	}{{"string", "42"}, {"number", 42}, {"object", obj{"x": 1}}, {"array", []any{"x"}}, {"boolean", true}} {
		if v.kind != kind && !(kind == "integer" && v.kind == "number") {
			out = append(out, v.v)
		}
	}
	if kind == "integer" {
		out = append(out, 1.5)
	}
	return out
}

// jsonKind is the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64, int, int64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case obj:
		return "object"
	}
	return "null"
}

// A marker in a string field, replaced by raw bytes after marshalling.
const rawMarker = "RAW-BYTES-HERE"

// bodyProbes are the bad JSON bodies of an operation.
func (e entry) bodyProbes(op operation, base probe) []probe {
	var out []probe
	add := func(name string, body []byte, status int, field string) {
		p := base
		p.name, p.body, p.status, p.field = name, body, []int{status}, field
		out = append(out, p)
	}
	limit := bodyLimit
	if e.ndjson || e.lines {
		limit = lineLimit
	}
	required := slices.Clone(e.required)
	if op.body != nil {
		required = append(required, op.body.required...)
	}
	fields := slices.Sorted(maps.Keys(e.body))
	for name := range e.altBody {
		if !slices.Contains(fields, name) {
			fields = append(fields, name)
		}
	}
	for _, f := range fields {
		valid, ok := e.body[f]
		body := maps.Clone(e.body)
		if !ok {
			valid = e.altBody[f]
			body[f] = valid
		}
		kind := jsonKind(valid)
		if op.body != nil {
			if s, ok := op.body.props[f]["type"].(string); ok {
				kind = s
			}
		}
		with := func(v any) []byte {
			b := maps.Clone(body)
			b[f] = v
			return e.encode(b)
		}
		for _, w := range wrongTypes(kind) {
			add(f+" wrong type "+mustJSON(w), with(w), 400, f)
		}
		if slices.Contains(required, f) {
			without := maps.Clone(body)
			delete(without, f)
			add(f+" missing", e.encode(without), 400, f)
			add(f+" null", with(nil), 400, f)
		}
		switch kind {
		case "string":
			rest := len(with(""))
			// Beyond the limit the body is refused unread; just under it,
			// the field is too long.
			over, under := http.StatusRequestEntityTooLarge, ""
			if e.ndjson || e.lines {
				over, under = 400, "body"
			}
			add(f+" huge beyond the limit", with(strings.Repeat("x", limit+1024-rest)), over, under)
			add(f+" huge just under the limit", with(strings.Repeat("x", limit-64-rest)), 400, f)
			add(f+" invalid UTF-8", bytes.Replace(with(rawMarker), []byte(rawMarker), []byte("ab\xff\xfecd"), 1), 400, f)
			add(f+" NUL", with("a\x00b"), 400, f)
			if !e.isText(f) {
				for i, s := range injections {
					add(fmt.Sprintf("%s injection %d", f, i), with(s), 400, f)
				}
			}
		case "integer", "number":
			for _, n := range []string{"1e308", "-1", "9223372036854775808", "1e400"} {
				add(f+" "+n, bytes.Replace(with(rawMarker), []byte(`"`+rawMarker+`"`), []byte(n), 1), 400, f)
			}
		}
		switch {
		case slices.Contains(e.point, f):
			for _, g := range badPoints {
				add(f+" "+g.name, with(g.geom), 400, f)
			}
			if slices.Contains(e.dongguan, f) {
				add(f+" outside Dongguan", with(point(116.397, 39.909)), 400, f)
			}
		case slices.Contains(e.area, f):
			for _, g := range badAreas {
				add(f+" "+g.name, with(g.geom), 400, f)
			}
		case slices.Contains(e.box, f):
			for _, b := range []struct {
				name string
				v    []any
			}{
				{"3 numbers", []any{113.5, 22.6, 114.3}}, {"longitude 200", []any{200, 22.6, 201, 23.2}},
				{"latitude -95", []any{113.5, -95, 114.3, 23.2}}, {"west of east", []any{114.3, 22.6, 113.5, 23.2}},
				{"NaN as a string", []any{"NaN", 22.6, 114.3, 23.2}},
			} {
				add(f+" "+b.name, with(b.v), 400, f)
			}
		}
	}
	unknown := maps.Clone(e.body)
	unknown["colour"] = "red"
	add("unknown field", e.encode(unknown), 400, "colour")
	whole := e.encode(e.body)
	for _, m := range []struct{ name, body string }{
		{"not JSON", "not json\n"},
		{"truncated JSON", `{"a":` + "\n"},
		{"an array", "[" + strings.TrimSpace(string(whole)) + "]\n"},
		{"a string", `"x"` + "\n"},
		{"two values", strings.TrimSpace(string(whole)) + " {}\n"},
		{"empty", ""},
	} {
		if m.name == "empty" && e.lines {
			continue // an empty batch has nothing to answer
		}
		if m.name == "two values" && (e.ndjson || e.lines) {
			continue // a line each
		}
		add("body "+m.name, []byte(m.body), 400, "body")
	}
	if e.ndjson || e.lines {
		add("body over the batch limit", bytes.Repeat(whole, batchLimit/len(whole)+1), http.StatusRequestEntityTooLarge, "")
	}
	return out
}

func fillPath(template string, vars map[string]string) string {
	for name, v := range vars {
		template = strings.ReplaceAll(template, "{"+name+"}", url.PathEscape(v))
	}
	return template
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// short names a value in a subtest name.
func short(v string) string {
	v = strconv.Quote(v)
	if len(v) > 24 {
		v = v[:20] + "…" + strconv.Itoa(len(v))
	}
	return v
}

// client times out, so that a bad request the server takes for a stream
// fails rather than hangs.
var client = &http.Client{Timeout: 30 * time.Second}

func (c *badInputCity) send(t *testing.T, p probe) (*http.Response, []byte) {
	t.Helper()
	u := c.url + p.path
	if p.query != "" {
		u += "?" + p.query
	}
	var body io.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body)
	}
	req, err := http.NewRequest(p.method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if p.ctype != "" {
		req.Header.Set("Content-Type", p.ctype)
	}
	for k, v := range p.header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", p.method, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 300 && resp.Header.Get("Content-Type") == "text/event-stream" {
		return resp, nil // a stream: the status says it all
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// check sends a bad request and checks its answer: an allowed 4xx in the
// error shape naming the field at fault. lines: the answer is a 200 stream
// with an error line in place of the bad line.
func (c *badInputCity) check(t *testing.T, p probe, lines bool) {
	resp, b := c.send(t, p)
	what := func() string {
		body := p.body
		if len(body) > 300 {
			body = append(body[:300:300], "…"...)
		}
		q := p.query
		if len(q) > 300 {
			q = q[:300] + "…"
		}
		answer := b
		if len(answer) > 500 {
			answer = append(answer[:500:500], "…"...)
		}
		return fmt.Sprintf("%s %s?%s %q\n→ %d %s", p.method, p.path, q, body, resp.StatusCode, answer)
	}
	if lines && resp.StatusCode == http.StatusOK {
		line, _, _ := bytes.Cut(b, []byte("\n"))
		var e errorBody
		if err := json.Unmarshal(line, &e); err != nil || e.Error.Code == "" {
			t.Errorf("want an error line: %s", what())
			return
		}
		checkNames(t, e, p.field, what)
		return
	}
	if !slices.Contains(p.status, resp.StatusCode) {
		t.Errorf("status %d, want %v: %s", resp.StatusCode, p.status, what())
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			return
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json: %s", ct, what())
		return
	}
	var e errorBody
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("not the error shape {\"error\": {\"code\", \"message\"}}: %s", what())
		return
	}
	checkNames(t, e, p.field, what)
}

// checkNames checks that an error names field: as details.field (or a
// field within it: "items[2].code" names items), or, when the error is
// about the body as a whole, as a word of the message (an unknown field).
func checkNames(t *testing.T, e errorBody, field string, what func() string) {
	t.Helper()
	if field == "" {
		return
	}
	got, _ := e.Error.Details["field"].(string)
	if got == field || strings.HasPrefix(got, field+".") || strings.HasPrefix(got, field+"[") {
		return
	}
	if (got == "" || got == "body") && regexp.MustCompile(`\b`+regexp.QuoteMeta(field)+`\b`).MatchString(e.Error.Message) {
		return
	}
	t.Errorf("the error names %q, not %s: %s", got, field, what())
}

// accepted sends an example and checks that it succeeds.
func (c *badInputCity) accepted(t *testing.T, op operation, e entry) {
	p := probe{method: op.method, path: fillPath(op.path, e.vars), query: e.query.Encode()}
	if e.body != nil {
		p.body, p.ctype = e.encode(e.body), "application/json"
		if e.ndjson || e.lines {
			p.ctype = "application/x-ndjson"
		}
	} else if e.raw != "" {
		p.body, p.ctype = []byte(e.raw), e.ctype
	}
	resp, b := c.send(t, p)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s?%s: %d %.500s", p.method, p.path, p.query, resp.StatusCode, b)
	}
	if e.lines && bytes.Contains(b, []byte(`"error"`)) {
		t.Errorf("%s: an error line: %.500s", op.key(), b)
	}
	if e.ndjson {
		var report struct{ Rejected int }
		if err := json.Unmarshal(b, &report); err != nil || report.Rejected != 0 {
			t.Errorf("%s: %v %.500s", op.key(), err, b)
		}
	}
}

// watchWrites records every row that a committed transaction inserts,
// updates or deletes, in every table of the public schema but the audit
// log, in the table badinput_writes: a trigger on each table adds a row
// there in the same transaction, so a write that is rolled back leaves
// none. It is exact where row counts and checksums are not (an update that
// keeps the count, a table too big to checksum) and costs no scan.
//
// The audit log is left out: it records every write that is tried, refused
// ones too, by design. Sequences are left out: a refused insert may take a
// value of one, which stores nothing.
func (c *badInputCity) watchWrites(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	_, err := c.db.Pool().Exec(ctx, `
		CREATE TABLE badinput_writes (table_name text NOT NULL, op text NOT NULL);
		CREATE FUNCTION badinput_write() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			INSERT INTO badinput_writes VALUES (TG_TABLE_NAME, TG_OP);
			RETURN NULL;
		END $$`)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range c.tables(t) {
		if table == "audit_log" || table == "badinput_writes" {
			continue
		}
		id := pgx.Identifier{table}.Sanitize()
		if _, err := c.db.Pool().Exec(ctx, `
			CREATE TRIGGER badinput_row AFTER INSERT OR UPDATE OR DELETE ON `+id+`
				FOR EACH ROW EXECUTE FUNCTION badinput_write();
			CREATE TRIGGER badinput_truncate AFTER TRUNCATE ON `+id+`
				FOR EACH STATEMENT EXECUTE FUNCTION badinput_write()`); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
	}
}

// writes returns the writes watchWrites recorded: "entities INSERT × 2".
func (c *badInputCity) writes(t *testing.T) []string {
	t.Helper()
	rows, _ := c.db.Pool().Query(context.Background(), `SELECT table_name || ' ' || op || ' × ' || count(*)
		FROM badinput_writes GROUP BY table_name, op ORDER BY 1`)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tables returns the tables of the public schema.
func (c *badInputCity) tables(t *testing.T) []string {
	t.Helper()
	rows, _ := c.db.Pool().Query(context.Background(), `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 30 {
		t.Fatalf("only %d tables: %v", len(out), out)
	}
	return out
}

// An operation is a path and method of the OpenAPI document.
type operation struct {
	method, path string
	others       []string // the path's other methods
	params       []param
	body         *docBody
}

func (op operation) key() string { return op.method + " " + op.path }

type param struct {
	name, in string
	required bool
	schema   map[string]any
}

// docBody is a JSON request body: its top-level properties and the
// required ones (none known for a body without a schema).
type docBody struct {
	props    map[string]map[string]any
	required []string
}

// readOperations reads the operations of the server's /openapi.json.
func readOperations(t *testing.T, base string) []operation {
	t.Helper()
	code, b, _ := get(t, base+"/openapi.json")
	if code != http.StatusOK {
		t.Fatalf("openapi.json: %d", code)
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]map[string]any `json:"parameters"`
			Schemas    map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	ref := func(m map[string]any) map[string]any {
		for {
			r, ok := m["$ref"].(string)
			if !ok {
				return m
			}
			name := r[strings.LastIndex(r, "/")+1:]
			switch {
			case strings.HasPrefix(r, "#/components/parameters/"):
				m = doc.Components.Parameters[name]
			case strings.HasPrefix(r, "#/components/schemas/"):
				m = doc.Components.Schemas[name]
			default:
				t.Fatalf("unknown $ref %s", r)
			}
			if m == nil {
				t.Fatalf("no %s", r)
			}
		}
	}
	var schemaOf func(s map[string]any, into *docBody)
	schemaOf = func(s map[string]any, into *docBody) {
		s = ref(s)
		for _, part := range asSlice(s["allOf"]) {
			schemaOf(part.(map[string]any), into)
		}
		for name, p := range asMap(s["properties"]) {
			into.props[name] = ref(p.(map[string]any))
		}
		for _, r := range asSlice(s["required"]) {
			into.required = append(into.required, r.(string))
		}
	}
	var ops []operation
	for path, item := range doc.Paths {
		var shared []any
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				t.Fatal(err)
			}
		}
		var methods []string
		for m := range item {
			if m != "parameters" {
				methods = append(methods, strings.ToUpper(m))
			}
		}
		for m, raw := range item {
			if m == "parameters" {
				continue
			}
			var def struct {
				Parameters  []any `json:"parameters"`
				RequestBody *struct {
					Content map[string]struct {
						Schema map[string]any `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			}
			if err := json.Unmarshal(raw, &def); err != nil {
				t.Fatalf("%s %s: %v", m, path, err)
			}
			op := operation{method: strings.ToUpper(m), path: path, others: methods}
			for _, p := range append(slices.Clone(shared), def.Parameters...) {
				pm := ref(p.(map[string]any))
				req, _ := pm["required"].(bool)
				schema, _ := pm["schema"].(map[string]any)
				op.params = append(op.params, param{name: pm["name"].(string), in: pm["in"].(string), required: req, schema: ref(schema)})
			}
			if def.RequestBody != nil {
				op.body = &docBody{}
				for _, ct := range slices.Sorted(maps.Keys(def.RequestBody.Content)) {
					if s := def.RequestBody.Content[ct].Schema; s != nil && (strings.Contains(ct, "json") && ct != "application/geo+json") {
						op.body.props = map[string]map[string]any{}
						schemaOf(s, op.body)
						break
					}
				}
			}
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].key() < ops[j].key() })
	if len(ops) < 60 {
		t.Fatalf("only %d operations in the document", len(ops))
	}
	return ops
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
