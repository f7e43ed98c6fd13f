package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

var (
	_ api.FilterStore    = (*postgres.DB)(nil)
	_ api.EntityScreener = (*postgres.DB)(nil)
)

// screenCity is the demo city linked to its true buildings (the ground
// truth of the generator: a quick stand-in for the matcher), served with
// real tokens and the audit log, and a token of each kind a screen needs.
type screenCity struct {
	db         *postgres.DB
	ts         *httptest.Server
	townA      string // the town with the most entities
	townB      string // the next
	centre     geo.WGS84
	admin      string // city-wide tokens
	coord      string
	clerk      string
	gmA, gmB   string // grid managers of townA and townB
	department string
}

func newScreenCity(t *testing.T) *screenCity {
	t.Helper()
	db := pgtest.Demo(t)
	ctx := context.Background()
	// A bulk update, beyond the pool's statement timeout on a busy machine.
	if err := pgx.BeginFunc(ctx, db.Pool(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0;
			UPDATE entities e SET link_status = 'matched', link_level = 'building', link_score = 0.9,
				building_id = b.id, town_code = b.town_code, village_code = b.village_code, grid_code = b.grid_code,
				location = ST_PointOnSurface(b.geom), h3_11 = 1, linked_at = now()
			FROM demo_entity_truth t JOIN buildings b ON b.id = t.true_building_id
			WHERE t.uscc = e.uscc AND t.true_building_id <> 0`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := &screenCity{db: db}
	rows, err := db.Pool().Query(ctx, `SELECT town_code FROM entities WHERE town_code IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 2`)
	if err != nil {
		t.Fatal(err)
	}
	towns, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(towns) != 2 {
		t.Fatalf("towns: %v %v", towns, err)
	}
	c.townA, c.townB = towns[0], towns[1]
	if err := db.Pool().QueryRow(ctx, `SELECT ST_X(location), ST_Y(location) FROM entities WHERE town_code = $1
		ORDER BY uscc OFFSET 100 LIMIT 1`, c.townA).Scan(&c.centre.Lon, &c.centre.Lat); err != nil {
		t.Fatal(err)
	}
	// Open flags about the 300 entities nearest the centre, for the flag
	// criteria and the layer's open_flags.
	if _, err := db.Pool().Exec(ctx, `INSERT INTO flags (kind, subject, uscc, usccs, town_code, score, title, evidence,
			fingerprint, status, raised_at, opened_at, updated_at)
		SELECT 'dormant', 'entity:' || uscc, uscc, ARRAY[uscc], town_code, 60, '疑似未开业', '{}', 'f', 'open', now(), now(), now()
		FROM entities WHERE location IS NOT NULL
		ORDER BY location <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT 300`, c.centre.Lon, c.centre.Lat); err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{TokenCacheTTL: -1}, db, db, slog.New(slog.DiscardHandler),
		api.WithEntityReader(db), api.WithFilters(db), api.WithAuthenticator(db), api.WithAudit(db), api.WithTokens(db))
	c.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(c.ts.Close)
	token := func(p auth.Principal) string {
		secret, _, err := db.CreateToken(ctx, p, time.Hour, "screening "+string(p.Role))
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	c.admin, c.coord, c.clerk = token(auth.Principal{Role: auth.Admin}), token(auth.Principal{Role: auth.Coordinator}), token(auth.Principal{Role: auth.Clerk})
	c.gmA = token(auth.Principal{Role: auth.GridManager, TownCode: c.townA})
	c.gmB = token(auth.Principal{Role: auth.GridManager, TownCode: c.townB})
	c.department = token(auth.Principal{Role: auth.Department, Department: "amr_food"})
	return c
}

// do sends a request as token and returns the status, body and headers.
func (c *screenCity) do(t *testing.T, method, path, token string, body any, header ...string) (int, []byte, http.Header) {
	t.Helper()
	var r *strings.Reader
	switch b := body.(type) {
	case nil:
		r = strings.NewReader("")
	case string:
		r = strings.NewReader(b)
	default:
		r = strings.NewReader(mustJSON(b))
	}
	req, err := http.NewRequest(method, c.ts.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, []byte(sb.String()), resp.Header
}

// ok is do for a request that must answer 200 or 201, decoded into out.
func (c *screenCity) ok(t *testing.T, method, path, token string, body, out any) {
	t.Helper()
	code, b, _ := c.do(t, method, path, token, body)
	if code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("%s %s: %d %.400s", method, path, code, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %.200s", method, path, err, b)
		}
	}
}

// refused checks that a request answers status, naming field when given.
func (c *screenCity) refused(t *testing.T, method, path, token string, body any, status int, field string, header ...string) {
	t.Helper()
	code, b, _ := c.do(t, method, path, token, body, header...)
	var e errorBody
	_ = json.Unmarshal(b, &e)
	got, _ := e.Error.Details["field"].(string)
	if code != status || got != field {
		t.Errorf("%s %s: %d naming %q (%.300s), want %d naming %q", method, path, code, got, b, status, field)
	}
}

// list reads every page of an entity list (GET path with query, limit
// 1000) and returns the codes in order.
func (c *screenCity) list(t *testing.T, path, token string) []string {
	t.Helper()
	var out []string
	next := ""
	for {
		u := path
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "limit=1000"
		if next != "" {
			u += "&cursor=" + next
		}
		var page readPage
		c.ok(t, "GET", u, token, nil, &page)
		for _, e := range page.Items {
			out = append(out, e.USCC)
		}
		if page.Next == nil {
			return out
		}
		next = *page.Next
	}
}

func (c *screenCity) count(t *testing.T, path, token string) int {
	t.Helper()
	var n struct{ Count *int }
	c.ok(t, "GET", path, token, nil, &n)
	if n.Count == nil {
		t.Fatalf("GET %s: no count", path)
	}
	return *n.Count
}

// layer is GET /v1/entities/geojson as a client reads it.
type layer struct {
	Type     string
	Features []struct {
		ID         string
		Geometry   struct{ Coordinates [2]float64 }
		Properties map[string]any
	}
	Total     int
	Truncated *bool
}

func TestScreening(t *testing.T) {
	c := newScreenCity(t)
	near := fmt.Sprintf("%v,%v,600", c.centre.Lon, c.centre.Lat)

	t.Run("query, JSON body and count agree", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			body  map[string]any
		}{
			{"near=" + near, obj{"near": obj{"lon": c.centre.Lon, "lat": c.centre.Lat, "radius_m": 600}}},
			{"building_entities_min=20&town=" + c.townA, obj{"building_entities_min": 20, "town": c.townA}},
			{"has_open_flag=true&status=active", obj{"has_open_flag": true, "status": "active"}},
			{"flag_kind=dormant&near=" + near, obj{"flag_kind": "dormant", "near": obj{"lon": c.centre.Lon, "lat": c.centre.Lat, "radius_m": 600}}},
		} {
			got := c.list(t, "/v1/entities?"+tc.query, c.admin)
			if len(got) == 0 {
				t.Fatalf("%s selects nothing: pick a screen that selects some", tc.query)
			}
			if n := c.count(t, "/v1/entities/count?"+tc.query, c.admin); n != len(got) {
				t.Errorf("%s: count %d, list %d", tc.query, n, len(got))
			}
			for _, limit := range []int{20000, len(got) - 1} { // the whole layer, and one cut short
				var l layer
				c.ok(t, "GET", fmt.Sprintf("/v1/entities/geojson?limit=%d&%s", max(limit, 1), tc.query), c.admin, nil, &l)
				if l.Total != len(got) || l.Truncated == nil || *l.Truncated != (limit < len(got)) {
					t.Errorf("%s: the layer of %d says total %d, truncated %v; the list has %d", tc.query, limit, l.Total, l.Truncated, len(got))
				}
			}
			body := maps.Clone(tc.body)
			body["limit"] = 1000
			var page readPage
			c.ok(t, "POST", "/v1/entities:search", c.admin, body, &page)
			var viaJSON []string
			for _, e := range page.Items {
				viaJSON = append(viaJSON, e.USCC)
			}
			if !slices.Equal(viaJSON, got[:min(len(got), 1000)]) {
				t.Errorf("%s: the JSON body selects %d, the query %d", tc.query, len(viaJSON), len(got))
			}
		}
	})

	t.Run("near honours crs", func(t *testing.T) {
		gcj := c.centre.ToGCJ02()
		asGCJ := c.list(t, fmt.Sprintf("/v1/entities?crs=gcj02&near=%v,%v,300", gcj.Lon, gcj.Lat), c.admin)
		back := gcj.ToWGS84()
		asWGS := c.list(t, fmt.Sprintf("/v1/entities?near=%v,%v,300", back.Lon, back.Lat), c.admin)
		naive := c.list(t, fmt.Sprintf("/v1/entities?near=%v,%v,300", gcj.Lon, gcj.Lat), c.admin)
		if len(asGCJ) == 0 || !slices.Equal(asGCJ, asWGS) {
			t.Errorf("a GCJ-02 centre selects %d entities, its WGS84 equivalent %d", len(asGCJ), len(asWGS))
		}
		if slices.Equal(asGCJ, naive) {
			t.Errorf("a GCJ-02 centre selects what the same numbers do in WGS84 (%d): not converted", len(naive))
		}
	})

	t.Run("map layer", func(t *testing.T) {
		query := "building_entities_min=5&town=" + c.townA
		all := c.list(t, "/v1/entities?"+query, c.admin)
		if len(all) <= 50 {
			t.Fatalf("%s selects %d: too few for a cut layer", query, len(all))
		}
		code, b, hdr := c.do(t, "GET", "/v1/entities/geojson?limit=50&"+query, c.admin, nil)
		var l layer
		if code != 200 || json.Unmarshal(b, &l) != nil {
			t.Fatalf("%d %.300s", code, b)
		}
		if ct := hdr.Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("Content-Type %q", ct)
		}
		var ids []string
		for _, f := range l.Features {
			ids = append(ids, f.ID)
		}
		// Every entity of the demo linked here has a location: the layer is
		// the list's first 50.
		if l.Type != "FeatureCollection" || l.Total != len(all) || l.Truncated == nil || !*l.Truncated || !slices.Equal(ids, all[:50]) {
			t.Errorf("layer of 50: type %s, total %d (list %d), truncated %v, features %d (the list's first 50: %v)",
				l.Type, l.Total, len(all), l.Truncated, len(ids), slices.Equal(ids, all[:min(50, len(all))]))
		}
		var whole layer
		c.ok(t, "GET", "/v1/entities/geojson?"+query, c.admin, nil, &whole)
		if len(whole.Features) != len(all) || whole.Truncated == nil || *whole.Truncated {
			t.Errorf("the whole layer: %d features of %d, truncated %v", len(whole.Features), len(all), whole.Truncated)
		}
		for _, f := range whole.Features[:3] {
			if f.Properties["uscc"] != f.ID || f.Properties["town_code"] != c.townA || f.Geometry.Coordinates[0] < 113 {
				t.Errorf("feature %s: %v at %v", f.ID, f.Properties, f.Geometry.Coordinates)
			}
		}
		// open_flags: the flagged entities carry it for a reader of flags, for
		// nobody else.
		flagged := func(token string) int {
			var l layer
			c.ok(t, "GET", "/v1/entities/geojson?limit=20000", token, nil, &l)
			n := 0
			for _, f := range l.Features {
				if _, ok := f.Properties["open_flags"]; ok {
					n++
				}
			}
			return n
		}
		if n := flagged(c.coord); n == 0 {
			t.Error("no feature carries open_flags for the coordinator")
		}
		if n := flagged(c.clerk); n != 0 {
			t.Errorf("%d features carry open_flags for a clerk, who may not read flags", n)
		}
		c.refused(t, "GET", "/v1/entities/geojson?limit=20001", c.admin, nil, 400, "limit")
		c.refused(t, "GET", "/v1/entities/geojson?cursor=abc", c.admin, nil, 400, "cursor")
		c.refused(t, "GET", "/v1/entities/count?limit=5", c.admin, nil, 400, "limit")
	})

	t.Run("scope", func(t *testing.T) {
		query := "building_entities_min=3"
		wantA := c.list(t, "/v1/entities?"+query+"&town="+c.townA, c.admin)
		if got := c.list(t, "/v1/entities?"+query, c.gmA); !slices.Equal(got, wantA) {
			t.Errorf("the list of town A's grid manager: %d entities, want town A's %d", len(got), len(wantA))
		}
		if n := c.count(t, "/v1/entities/count?"+query, c.gmA); n != len(wantA) {
			t.Errorf("the count of town A's grid manager: %d, want %d", n, len(wantA))
		}
		var l layer
		c.ok(t, "GET", "/v1/entities/geojson?limit=20000&"+query, c.gmA, nil, &l)
		if l.Total != len(wantA) || len(l.Features) != len(wantA) {
			t.Errorf("town A's layer: total %d, %d features; want %d", l.Total, len(l.Features), len(wantA))
		}
		for _, path := range []string{"/v1/entities", "/v1/entities/count", "/v1/entities/geojson", "/v1/entities/export"} {
			c.refused(t, "GET", path+"?town="+c.townB, c.gmA, nil, 403, "")
		}
		code, b, _ := c.do(t, "GET", "/v1/entities/export?format=ndjson&"+query, c.gmA, nil)
		if got := ndjsonCodes(t, code, b); !slices.Equal(got, wantA) {
			t.Errorf("town A's export: %d entities, want %d", len(got), len(wantA))
		}
	})

	t.Run("criteria about flags and inspections need their permissions", func(t *testing.T) {
		for _, q := range []string{"flag_kind=dormant", "flag_status=open", "has_open_flag=false"} {
			c.refused(t, "GET", "/v1/entities?"+q, c.clerk, nil, 403, "")
			c.refused(t, "GET", "/v1/entities/count?"+q, c.clerk, nil, 403, "")
		}
		c.refused(t, "GET", "/v1/entities?inspection_outcome=moved", c.clerk, nil, 403, "")
		if n := c.count(t, "/v1/entities/count?inspection_outcome=moved&flag_kind=dormant", c.coord); n < 0 {
			t.Errorf("count %d", n)
		}
	})

	t.Run("bad input names the field", func(t *testing.T) {
		for _, tc := range []struct{ query, field string }{
			{"near=113.7,23", "near"}, {"near=113.7,23,0", "near"}, {"near=113.7,23,5001", "near"}, {"near=113.7,95,10", "near"},
			{"same_phone_as=91441900MA00000PP0", "same_phone_as"}, {"shared_phone_min=1", "shared_phone_min"},
			{"building_entities_min=1001", "building_entities_min"}, {"flag_kind=fraud", "flag_kind"},
			{"flag_status=closed", "flag_status"}, {"has_open_flag=maybe", "has_open_flag"},
			{"inspection_outcome=gone", "inspection_outcome"}, {"inspection_outcome=moved&never_inspected=true", "inspection_outcome"},
			{"flag_kind=dormant&has_open_flag=false", "has_open_flag"},
			{"same_building_as=" + uscc(t, 7700001), "same_building_as"}, // valid, but no such entity
		} {
			c.refused(t, "GET", "/v1/entities/count?"+tc.query, c.admin, nil, 400, tc.field)
		}
		c.refused(t, "POST", "/v1/entities:search", c.admin, `{"near": {"lon": 113.7, "lat": 23}}`, 400, "near")
		c.refused(t, "POST", "/v1/entities:search", c.admin, `{"near": {"lon": "x", "lat": 23, "radius_m": 5}}`, 400, "near.lon")
	})
}

// ndjsonCodes reads the codes of an NDJSON export.
func ndjsonCodes(t *testing.T, code int, b []byte) []string {
	t.Helper()
	if code != 200 {
		t.Fatalf("export: %d %.300s", code, b)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var e struct{ USCC string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		out = append(out, e.USCC)
	}
	return out
}

// savedFilter is a saved filter as a client reads it.
type savedFilter struct {
	ID          int64
	Name        string
	Description string
	Filter      map[string]any
	TownCode    string `json:"town_code"`
	CreatedBy   string `json:"created_by"`
	Version     int
}

func TestSavedFilters(t *testing.T) {
	c := newScreenCity(t)
	big := obj{"building_entities_min": 5}

	t.Run("lifecycle", func(t *testing.T) {
		var sf savedFilter
		code, b, hdr := c.do(t, "POST", "/v1/filters", c.admin, obj{"name": "集群注册", "description": "五户以上", "filter": big})
		if code != 201 || json.Unmarshal(b, &sf) != nil {
			t.Fatalf("save: %d %s", code, b)
		}
		path := "/v1/filters/" + strconv.FormatInt(sf.ID, 10)
		if hdr.Get("Location") != path || sf.Version != 1 || sf.TownCode != "" || sf.Filter["building_entities_min"] != float64(5) ||
			!strings.Contains(sf.CreatedBy, "admin") {
			t.Errorf("saved: %+v, Location %q", sf, hdr.Get("Location"))
		}
		var again savedFilter
		c.ok(t, "GET", path, c.coord, nil, &again)
		if again.Name != "集群注册" || again.Description != "五户以上" {
			t.Errorf("read back: %+v", again)
		}
		var list struct {
			Items []savedFilter
			Next  *string
		}
		c.ok(t, "GET", "/v1/filters", c.coord, nil, &list)
		if !slices.ContainsFunc(list.Items, func(x savedFilter) bool { return x.ID == sf.ID }) || list.Next != nil {
			t.Errorf("the list lacks the filter: %+v", list)
		}
		c.refused(t, "POST", "/v1/filters", c.coord, obj{"name": "集群注册", "filter": big}, 409, "name")
		var changed savedFilter
		code, b, _ = c.do(t, "PUT", path, c.coord, obj{"name": "集群注册十户", "filter": obj{"building_entities_min": 10}}, "If-Match", `"1"`)
		if code != 200 || json.Unmarshal(b, &changed) != nil || changed.Version != 2 || changed.Filter["building_entities_min"] != float64(10) {
			t.Fatalf("change: %d %s", code, b)
		}
		c.refused(t, "PUT", path, c.coord, obj{"name": "又改", "filter": big}, 409, "", "If-Match", `"1"`)
		if code, b, _ := c.do(t, "DELETE", path, c.coord, nil); code != 204 {
			t.Errorf("delete: %d %s", code, b)
		}
		c.refused(t, "GET", path, c.coord, nil, 404, "")
		c.refused(t, "GET", path+"/count", c.coord, nil, 404, "")
		c.refused(t, "POST", "/v1/filters", c.clerk, obj{"name": "x", "filter": big}, 403, "")
		c.ok(t, "POST", "/v1/filters", c.gmA, obj{"name": "盯防", "filter": obj{"flag_kind": "dormant"}}, nil)
	})

	t.Run("a bad filter is refused naming its field", func(t *testing.T) {
		for _, tc := range []struct {
			filter any
			field  string
		}{
			{obj{"near": obj{"lon": 113.7, "lat": 23, "radius_m": 0}}, "filter.near"},
			{obj{"shared_phone_min": 1}, "filter.shared_phone_min"},
			{obj{"same_phone_as": uscc(t, 7700002)}, "filter.same_phone_as"},
			{obj{"limit": 10}, "filter.limit"},
			{obj{"colour": "red"}, "filter"},
			{obj{"near": obj{"lon": "x", "lat": 23, "radius_m": 5}}, "filter.near.lon"},
			{"town=441900003", "filter"},
			{nil, "filter"},
		} {
			c.refused(t, "POST", "/v1/filters", c.admin, obj{"name": "坏的", "filter": tc.filter}, 400, tc.field)
		}
		c.refused(t, "POST", "/v1/filters", c.admin, obj{"filter": big}, 400, "name")
		c.refused(t, "POST", "/v1/filters", c.admin, obj{"name": strings.Repeat("名", 101), "filter": big}, 400, "name")
		var n int
		if err := c.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM saved_filters WHERE name = '坏的'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d bad filters stored (%v)", n, err)
		}
	})

	t.Run("scope", func(t *testing.T) {
		var city, mine savedFilter
		c.ok(t, "POST", "/v1/filters", c.admin, obj{"name": "全市五户", "filter": big}, &city)
		c.ok(t, "POST", "/v1/filters", c.gmA, obj{"name": "本镇五户", "filter": big}, &mine)
		if mine.TownCode != c.townA {
			t.Errorf("town A's grid manager saved for %q, want %s", mine.TownCode, c.townA)
		}
		c.refused(t, "POST", "/v1/filters", c.gmA, obj{"name": "他镇", "filter": big, "town_code": c.townB}, 403, "")
		c.refused(t, "POST", "/v1/filters", c.gmA, obj{"name": "他镇", "filter": obj{"town": c.townB}}, 403, "")
		c.refused(t, "POST", "/v1/filters", c.admin, obj{"name": "错镇", "filter": obj{"town": c.townB}, "town_code": c.townA}, 400, "filter.town")
		mineID, cityID := strconv.FormatInt(mine.ID, 10), strconv.FormatInt(city.ID, 10)
		for _, p := range []string{"", "/count", "/entities", "/geojson", "/export"} {
			c.refused(t, "GET", "/v1/filters/"+mineID+p, c.gmB, nil, 404, "")
		}
		c.refused(t, "PUT", "/v1/filters/"+mineID, c.gmB, obj{"name": "x", "filter": big}, 404, "")
		c.refused(t, "PUT", "/v1/filters/"+cityID, c.gmA, obj{"name": "x", "filter": big}, 403, "")
		c.refused(t, "DELETE", "/v1/filters/"+cityID, c.gmA, nil, 403, "")
		var listB struct{ Items []savedFilter }
		c.ok(t, "GET", "/v1/filters", c.gmB, nil, &listB)
		ids := map[int64]bool{}
		for _, x := range listB.Items {
			ids[x.ID] = true
		}
		if !ids[city.ID] || ids[mine.ID] {
			t.Errorf("town B's list: %v; want the city's filter %d, not town A's %d", ids, city.ID, mine.ID)
		}
		// Running the city's filter narrows it to the caller's town.
		wantA := c.list(t, "/v1/entities?building_entities_min=5&town="+c.townA, c.admin)
		if got := c.list(t, "/v1/filters/"+cityID+"/entities", c.gmA); !slices.Equal(got, wantA) {
			t.Errorf("the city's filter run by town A: %d entities, want town A's %d", len(got), len(wantA))
		}
		if n := c.count(t, "/v1/filters/"+cityID+"/count", c.gmA); n != len(wantA) {
			t.Errorf("its count for town A: %d, want %d", n, len(wantA))
		}
		everywhere := c.count(t, "/v1/filters/"+cityID+"/count", c.admin)
		if everywhere <= len(wantA) {
			t.Errorf("the city's count %d is no more than town A's %d", everywhere, len(wantA))
		}
		var elsewhere savedFilter
		c.ok(t, "POST", "/v1/filters", c.admin, obj{"name": "乙镇", "filter": obj{"town": c.townB}}, &elsewhere)
		c.refused(t, "GET", "/v1/filters/"+strconv.FormatInt(elsewhere.ID, 10)+"/count", c.gmA, nil, 403, "")
	})

	t.Run("export of a saved filter is its list", func(t *testing.T) {
		var sf savedFilter
		c.ok(t, "POST", "/v1/filters", c.coord, obj{"name": "导出用", "filter": obj{"building_entities_min": 3, "town": c.townA}}, &sf)
		path := "/v1/filters/" + strconv.FormatInt(sf.ID, 10)
		// Pages of 100 through the saved filter's own list.
		var listed []string
		next := ""
		for {
			var page readPage
			u := path + "/entities?limit=100"
			if next != "" {
				u += "&cursor=" + url.QueryEscape(next)
			}
			c.ok(t, "GET", u, c.coord, nil, &page)
			for _, e := range page.Items {
				listed = append(listed, e.USCC)
			}
			if page.Next == nil {
				break
			}
			next = *page.Next
		}
		if len(listed) <= 100 {
			t.Fatalf("the filter selects %d: too few for pages", len(listed))
		}
		code, b, hdr := c.do(t, "GET", path+"/export?format=ndjson", c.coord, nil)
		if got := ndjsonCodes(t, code, b); !slices.Equal(got, listed) {
			t.Errorf("export: %d entities, list: %d", len(got), len(listed))
		}
		if !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
			t.Errorf("Content-Disposition %q", hdr.Get("Content-Disposition"))
		}
		code, b, _ = c.do(t, "GET", path+"/export?format=csv", c.coord, nil)
		if rows := strings.Count(string(b), "\n"); code != 200 || rows != len(listed)+1 {
			t.Errorf("CSV export: %d, %d lines for %d entities and the header", code, rows, len(listed))
		}
		if n := c.count(t, path+"/count", c.coord); n != len(listed) {
			t.Errorf("count %d, list %d", n, len(listed))
		}
		// Exports are in the audit log as exports; a department may not export.
		var audited int
		if err := c.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log
			WHERE action = 'export' AND route = '/v1/filters/{id}/export' AND status = 200`).Scan(&audited); err != nil || audited != 2 {
			t.Errorf("%d exports of saved filters audited (%v), want 2", audited, err)
		}
		c.refused(t, "GET", path+"/export", c.department, nil, 403, "")
		c.refused(t, "GET", path+"/entities?town="+c.townA, c.coord, nil, 400, "town")
		c.refused(t, "GET", path+"/export?format=xls", c.coord, nil, 400, "format")
	})
}
