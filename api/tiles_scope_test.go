package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
)

// The towns of the scope tests: a grid manager's, and its neighbour's.
const (
	townA = "441900003"
	townB = "441900004"
)

// scopeFixture is a database with two entities of town A and two of town
// B in one z15 tile (A's in its west, B's in its east, 600 m apart), an
// open flag about the first of each town, and tokens of a grid manager
// of A and of a city-wide coordinator.
type scopeFixture struct {
	db        *postgres.DB
	tile      tiles.Tile
	entities  map[string][]string // town → USCCs
	hexes     map[string][]string // town → the res-10 cells (coverage_hex at z15) of its entities
	flags     map[string][]string // town → flag ids
	gm, city  string              // the tokens
	coverage  *tiles.Coverage
	catalogue *tiles.Catalogue
}

func newScopeFixture(t *testing.T) *scopeFixture {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	mt := maptile.At(orb.Point{113.75, 23.02}, 15)
	tile, err := tiles.NewTile(15, int(mt.X), int(mt.Y))
	if err != nil {
		t.Fatal(err)
	}
	c := tile.Bound().Center()
	f := &scopeFixture{db: db, tile: tile, entities: map[string][]string{}, hexes: map[string][]string{}, flags: map[string][]string{}}
	for i, e := range []struct {
		town   string
		dx, dy float64
	}{
		{townA, -0.003, 0}, {townA, -0.003, 0.002}, {townB, 0.003, 0}, {townB, 0.003, 0.002},
	} {
		first := "92441900MA0000" + string(rune('A'+i)) + "X0"
		check, err := supervision.USCCCheck(first)
		if err != nil {
			t.Fatal(err)
		}
		uscc := first + string(check)
		p := geo.WGS84{Lon: c.Lon() + e.dx, Lat: c.Lat() + e.dy}
		args := []any{uscc, e.town, p.Lon, p.Lat}
		for _, cell := range supervision.Cells(p) {
			args = append(args, int64(cell))
		}
		if _, err := db.Pool().Exec(ctx, `INSERT INTO entities (uscc, name, kind, status, registered_at, address_text,
				changed_at, link_status, link_level, link_score, town_code, location, h3_7, h3_8, h3_9, h3_10, h3_11, linked_at)
			VALUES ($1, '测试商行', 'individual', 'active', '2024-01-01', '东莞市', now(), 'matched', 'room', 0.9, $2,
				ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $6, $7, $8, $9, now())`, args...); err != nil {
			t.Fatal(err)
		}
		f.entities[e.town] = append(f.entities[e.town], uscc)
		if hex := p.Cell(supervision.HexResolution(15)).String(); !slices.Contains(f.hexes[e.town], hex) {
			f.hexes[e.town] = append(f.hexes[e.town], hex)
		}
		if e.dy == 0 {
			var id string
			if err := db.Pool().QueryRow(ctx, `INSERT INTO flags (kind, subject, uscc, usccs, town_code, location, score,
					title, evidence, fingerprint, status, raised_at, opened_at, updated_at)
				VALUES ('test_scope', 'entity:' || $1, $1, ARRAY[$1], $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), 60,
					'test flag', '{}', 'f', 'open', now(), now(), now())
				RETURNING id::text`, uscc, e.town, p.Lon, p.Lat).Scan(&id); err != nil {
				t.Fatal(err)
			}
			f.flags[e.town] = append(f.flags[e.town], id)
		}
	}
	f.coverage = tiles.NewCoverage(db)
	if err := f.coverage.Load(ctx); err != nil {
		t.Fatal(err)
	}
	f.catalogue = tiles.DefaultCatalogue()
	if f.gm, _, err = db.CreateToken(ctx, auth.Principal{Role: auth.GridManager, TownCode: townA}, time.Hour, "scope test"); err != nil {
		t.Fatal(err)
	}
	if f.city, _, err = db.CreateToken(ctx, auth.Principal{Role: auth.Coordinator}, time.Hour, "scope test"); err != nil {
		t.Fatal(err)
	}
	return f
}

// server returns a server of f's tiles, with a cache, checking tokens
// against the database, logging to log (nil: nowhere).
func (f *scopeFixture) server(t *testing.T, public bool, log *bytes.Buffer) *api.Server {
	t.Helper()
	tiler := &tiles.Tiler{Catalogue: f.catalogue, Builders: map[tiles.Kind]tiles.Builder{
		tiles.Table: f.db, tiles.Computed: f.coverage.Builder()}}
	handler := slog.DiscardHandler
	if log != nil {
		handler = slog.NewJSONHandler(log, nil)
	}
	return api.New(api.Config{PublicTiles: public, TokenCacheTTL: -1}, f.db, f.db, slog.New(handler),
		api.WithTiles(f.catalogue, tiler), api.WithTileCache(tiles.NewCache(16<<20)), api.WithAuthenticator(f.db))
}

// bearer returns the header of a token.
func bearerOf(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// decodeLayer returns the values of property prop of the features of
// layer in an MVT, as strings, sorted, and the sum of property sum (""
// for none).
func decodeLayer(t *testing.T, blob []byte, layer, prop, sum string) ([]string, float64) {
	t.Helper()
	ls, err := mvt.Unmarshal(blob)
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	var vals []string
	total := 0.0
	for _, l := range ls {
		if l.Name != layer {
			continue
		}
		for _, ft := range l.Features {
			vals = append(vals, fmt.Sprint(ft.Properties[prop]))
			if sum != "" {
				switch n := ft.Properties[sum].(type) {
				case float64:
					total += n
				case int64:
					total += float64(n)
				case uint64:
					total += float64(n)
				default:
					t.Fatalf("%s %s is %T", layer, sum, n)
				}
			}
		}
	}
	sort.Strings(vals)
	return vals, total
}

func sorted(groups ...[]string) []string {
	out := slices.Concat(groups...)
	sort.Strings(out)
	return out
}

// TestTileTownScope: a grid manager of town A sees A's entities, flags and
// coverage in a tile over entities of A and B, a city-wide token sees both
// towns, and neither is ever answered from the other's cache entry; the
// map's layers are shared; the coverage of another town is forbidden.
func TestTileTownScope(t *testing.T) {
	f := newScopeFixture(t)
	ts := httptest.NewServer(f.server(t, false, nil).Handler())
	t.Cleanup(ts.Close)
	tilePath := "/" + f.tile.String() + ".mvt"

	type answer struct {
		cache, etag, cacheControl string
		values                    []string
		sum                       float64
	}
	get := func(path, token, layer, prop, sum string) answer {
		t.Helper()
		resp, body := getTile(t, ts.URL+path, bearerOf(token))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		vals, total := decodeLayer(t, body, layer, prop, sum)
		return answer{resp.Header.Get("X-Cache"), resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"), vals, total}
	}
	for _, tc := range []struct {
		name, path, layer, prop, sum string
		wantA, wantAll               []string
		wantSumA, wantSumAll         float64
	}{
		{name: "entities", path: "/tiles/entities" + tilePath, layer: "entities", prop: "uscc",
			wantA: sorted(f.entities[townA]), wantAll: sorted(f.entities[townA], f.entities[townB])},
		{name: "flags in a composite", path: "/tiles/grids,entities,flags" + tilePath, layer: "flags", prop: "id",
			wantA: sorted(f.flags[townA]), wantAll: sorted(f.flags[townA], f.flags[townB])},
		{name: "coverage_hex", path: "/tiles/coverage_hex" + tilePath, layer: tiles.CoverageHex, prop: "h3", sum: "entities",
			wantA: sorted(f.hexes[townA]), wantAll: sorted(f.hexes[townA], f.hexes[townB]), wantSumA: 2, wantSumAll: 4},
		{name: "coverage_grid and heat", path: "/tiles/coverage_grid,coverage_heat" + tilePath, layer: tiles.CoverageHeat, prop: "h3", sum: "entities",
			wantSumA: 2, wantSumAll: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := get(tc.path, f.gm, tc.layer, tc.prop, tc.sum)
			all := get(tc.path, f.city, tc.layer, tc.prop, tc.sum)
			if a.cache != "miss" || all.cache != "miss" {
				t.Errorf("X-Cache: town A %s, then the city %s; want miss for each scope", a.cache, all.cache)
			}
			if tc.wantA != nil && (!slices.Equal(a.values, tc.wantA) || !slices.Equal(all.values, tc.wantAll)) {
				t.Errorf("%s: town A sees %v, want %v; the city %v, want %v", tc.prop, a.values, tc.wantA, all.values, tc.wantAll)
			}
			if a.sum != tc.wantSumA || all.sum != tc.wantSumAll {
				t.Errorf("%s: town A counts %v, want %v; the city %v, want %v", tc.sum, a.sum, tc.wantSumA, all.sum, tc.wantSumAll)
			}
			if a.etag == all.etag || !strings.HasSuffix(a.etag, "-"+townA+`"`) {
				t.Errorf("ETags: town A %s, the city %s; want A's to name the town", a.etag, all.etag)
			}
			if a.cacheControl != "private, max-age=60" {
				t.Errorf("Cache-Control %q, want private: a proxy must not hand a town's tile to anyone else", a.cacheControl)
			}
			// Each scope is then answered from its own entry.
			if again := get(tc.path, f.gm, tc.layer, tc.prop, tc.sum); again.cache != "hit" || !slices.Equal(again.values, a.values) || again.etag != a.etag {
				t.Errorf("town A again: %s %v %s, want a hit of its own tile", again.cache, again.values, again.etag)
			}
			if again := get(tc.path, f.city, tc.layer, tc.prop, tc.sum); again.cache != "hit" || again.sum != all.sum || again.etag != all.etag {
				t.Errorf("the city again: %s %v, want a hit of its own tile", again.cache, again.sum)
			}
			// A town's ETag does not revalidate the city's tile.
			resp, _ := getTile(t, ts.URL+tc.path, map[string]string{"Authorization": "Bearer " + f.city, "If-None-Match": a.etag})
			if resp.StatusCode != http.StatusOK {
				t.Errorf("the city with town A's ETag: %d, want 200", resp.StatusCode)
			}
		})
	}

	// The map's layers are the same for everyone: one cache entry. At z12
	// the style's table source holds no entities or flags yet, so it is
	// shared too.
	for _, path := range []string{"/tiles/grids,buildings" + tilePath, "/tiles/towns,villages,grids,roads,buildings,doorplates,entities,flags/12/3342/1781.mvt"} {
		resp, _ := getTile(t, ts.URL+path, bearerOf(f.gm))
		resp2, _ := getTile(t, ts.URL+path, bearerOf(f.city))
		if resp.StatusCode != 200 || resp2.StatusCode != 200 || resp.Header.Get("X-Cache") != "miss" || resp2.Header.Get("X-Cache") != "hit" {
			t.Errorf("%s: town A %d %s, then the city %d %s; want the city to hit A's entry", path,
				resp.StatusCode, resp.Header.Get("X-Cache"), resp2.StatusCode, resp2.Header.Get("X-Cache"))
		}
	}

	// The coverage filter's town: another town is forbidden to A, its own
	// is what it sees anyway; a city-wide token may ask for any.
	for _, tc := range []struct {
		token, town string
		code        int
		sum         float64
	}{
		{f.gm, townB, http.StatusForbidden, 0},
		{f.gm, townA, http.StatusOK, 2},
		{f.city, townB, http.StatusOK, 2},
		{f.city, "", http.StatusOK, 4},
	} {
		resp, body := getTile(t, ts.URL+"/tiles/coverage_hex"+tilePath+"?town="+tc.town, bearerOf(tc.token))
		if resp.StatusCode != tc.code {
			t.Errorf("town=%s as %s: %d %s, want %d", tc.town, tc.token[:6], resp.StatusCode, body, tc.code)
			continue
		}
		if tc.code == http.StatusOK {
			if _, n := decodeLayer(t, body, tiles.CoverageHex, "h3", "entities"); n != tc.sum {
				t.Errorf("town=%s: %v entities, want %v", tc.town, n, tc.sum)
			}
		}
	}
	if resp, body := getTile(t, ts.URL+"/tiles/coverage_hex,entities"+tilePath+"?town="+townB, bearerOf(f.gm)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a composite with town=%s as A: %d %s, want 403", townB, resp.StatusCode, body)
	}
}

// TestTileTokens: without a token tiles are 401 unless they are public;
// public tiles show anonymous readers the whole city from the same cache
// entry as city-wide tokens, while a town's token still sees its town.
func TestTileTokens(t *testing.T) {
	f := newScopeFixture(t)
	entities := "/tiles/entities/" + f.tile.String() + ".mvt"
	gated := httptest.NewServer(f.server(t, false, nil).Handler())
	t.Cleanup(gated.Close)
	for _, path := range []string{entities, "/tiles/coverage_hex/" + f.tile.String() + ".mvt", "/tiles/entities.json", "/tiles/style.json", "/tiles"} {
		if resp, body := getTile(t, gated.URL+path, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d %s, want 401", path, resp.StatusCode, body)
		}
	}
	if resp, _ := getTile(t, gated.URL+entities, bearerOf("gs_"+strings.Repeat("x", 43))); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unknown token: %d, want 401", resp.StatusCode)
	}
	// The token may come as ?access_token=, scoped all the same.
	resp, body := getTile(t, gated.URL+entities+"?access_token="+f.gm, nil)
	if got, _ := decodeLayer(t, body, "entities", "uscc", ""); resp.StatusCode != 200 || !slices.Equal(got, sorted(f.entities[townA])) {
		t.Errorf("?access_token= of town A: %d %v, want %v", resp.StatusCode, got, f.entities[townA])
	}

	public := httptest.NewServer(f.server(t, true, nil).Handler())
	t.Cleanup(public.Close)
	all := sorted(f.entities[townA], f.entities[townB])
	for _, tc := range []struct {
		name   string
		header map[string]string
		cache  string
		want   []string
		cc     string
	}{
		{"a city-wide token", bearerOf(f.city), "miss", all, "private, max-age=60"},
		{"anonymous", nil, "hit", all, "public, max-age=60"},
		{"town A's token", bearerOf(f.gm), "miss", sorted(f.entities[townA]), "private, max-age=60"},
	} {
		resp, body := getTile(t, public.URL+entities, tc.header)
		got, _ := decodeLayer(t, body, "entities", "uscc", "")
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != tc.cache || !slices.Equal(got, tc.want) || resp.Header.Get("Cache-Control") != tc.cc {
			t.Errorf("public tiles, %s: %d %s %v %q; want 200 %s %v %q", tc.name, resp.StatusCode, resp.Header.Get("X-Cache"), got,
				resp.Header.Get("Cache-Control"), tc.cache, tc.want, tc.cc)
		}
	}
}

// TestTileAccessTokenInDocuments: TileJSON, the style and the catalogue
// asked for with ?access_token= hand it on in their URLs, so a GIS client
// following them keeps sending it; asked for with the header, they do
// not; and the token is not logged.
func TestTileAccessTokenInDocuments(t *testing.T) {
	f := newScopeFixture(t)
	var log bytes.Buffer
	srv := f.server(t, false, &log)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	suffix := "?access_token=" + f.gm

	var tj tiles.TileJSON
	resp, body := getTile(t, ts.URL+"/tiles/grids,entities.json"+suffix, nil)
	if err := json.Unmarshal(body, &tj); err != nil || resp.StatusCode != 200 {
		t.Fatalf("TileJSON: %d %s %v", resp.StatusCode, body, err)
	}
	if want := ts.URL + "/tiles/grids,entities/{z}/{x}/{y}.mvt" + suffix; len(tj.Tiles) != 1 || tj.Tiles[0] != want {
		t.Fatalf("TileJSON tiles %v, want [%s]", tj.Tiles, want)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
		t.Errorf("TileJSON with a token in it: Cache-Control %q, want private", cc)
	}
	// Following it as a client does: the tile is town A's.
	url := strings.NewReplacer("{z}", "15", "{x}", itoa(int64(f.tile.X)), "{y}", itoa(int64(f.tile.Y))).Replace(tj.Tiles[0])
	resp, body = getTile(t, url, nil)
	if got, _ := decodeLayer(t, body, "entities", "uscc", ""); resp.StatusCode != 200 || !slices.Equal(got, sorted(f.entities[townA])) {
		t.Errorf("the TileJSON's tile: %d %v, want town A's %v", resp.StatusCode, got, f.entities[townA])
	}

	for _, path := range []string{"/tiles/style.json", "/tiles"} {
		_, body = getTile(t, ts.URL+path+suffix, nil)
		if n, with := strings.Count(string(body), "://"), strings.Count(string(body), suffix+`"`); n == 0 || with != n {
			t.Errorf("%s: %d URLs, %d with the token; want all\n%.400s", path, n, with, body)
		}
	}
	// With the header, the documents do not copy the token anywhere.
	for _, path := range []string{"/tiles/grids,entities.json", "/tiles/style.json", "/tiles"} {
		_, body = getTile(t, ts.URL+path, bearerOf(f.gm))
		if strings.Contains(string(body), "access_token") || strings.Contains(string(body), f.gm) {
			t.Errorf("%s asked with the header names the token:\n%.300s", path, body)
		}
	}

	// The request log has the path, not the query: no token. The request
	// is served in the test's goroutine, so its log line is written when
	// ServeHTTP returns.
	log.Reset()
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tiles/entities/"+f.tile.String()+".mvt"+suffix, nil))
	if rec.Code != 200 || !strings.Contains(log.String(), "/tiles/entities/"+f.tile.String()+".mvt") {
		t.Fatalf("%d; log %s", rec.Code, log.String())
	}
	if strings.Contains(log.String(), f.gm) || strings.Contains(log.String(), "access_token") {
		t.Errorf("the log has the token: %s", log.String())
	}
}
