package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
	"github.com/gridsentry/gridsentry/tiles/tilestest"
)

// fakeTiles builds a tile whose bytes name the layers and the tile, and
// remembers whether it was asked.
type fakeTiles struct{ asked int }

func (f *fakeTiles) Tile(_ context.Context, t tiles.Tile, layers []tiles.Layer, _ supervision.CoverageFilter, _ tiles.Scope) ([]byte, error) {
	f.asked++
	var names []string
	for _, l := range layers {
		names = append(names, l.Name)
	}
	return []byte(strings.Repeat(strings.Join(names, ",")+"@"+t.String()+";", 50)), nil
}

func newTileServer(t *testing.T, cfg api.Config, b api.TileBuilder) *httptest.Server {
	srv := api.New(cfg, nil, nil, slog.New(slog.DiscardHandler), api.WithTiles(tiles.DefaultCatalogue(), b), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func getTile(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// The transport would ask for gzip and undo it itself: ask explicitly.
	if _, ok := header["Accept-Encoding"]; !ok {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestTileHTTPStatus(t *testing.T) {
	b := &fakeTiles{}
	ts := newTileServer(t, api.Config{}, b)
	for _, tc := range []struct {
		path string
		code int
		want string // in the body
	}{
		{"/tiles/buildings/16/53484/28454.mvt", 200, "buildings@16/53484/28454"},
		{"/tiles/grids,entities/14/13371/7113.mvt", 200, "grids,entities@14/13371/7113"},
		{"/tiles/towns,buildings/12/3342/1778.mvt", 200, "towns@12/3342/1778"}, // buildings start at 14
		{"/tiles/buildings/12/3342/1778.mvt", 204, ""},
		{"/tiles/buildings/19/0/0.mvt", 204, ""},
		{"/tiles/buildings/23/0/0.mvt", 400, `"field":"z"`},
		{"/tiles/buildings/3/8/0.mvt", 400, `"field":"x"`},
		{"/tiles/buildings/3/0/-1.mvt", 400, `"field":"y"`},
		{"/tiles/buildings/3/0/a.mvt", 400, `"field":"y"`},
		{"/tiles/nope/3/0/0.mvt", 404, `no layer \"nope\"`},
		{"/tiles/grids,grids/3/0/0.mvt", 400, "twice"},
		{"/tiles/nope.json", 404, "nope"},
		{"/tiles/buildings/3/0/0.pbf", 404, "no route"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := getTile(t, ts.URL+tc.path, nil)
			if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.want) {
				t.Errorf("%d %.200s; want %d with %s", resp.StatusCode, body, tc.code, tc.want)
			}
			if tc.code == 200 && resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
	// Tiles are off on a server without them.
	srv := api.New(api.Config{}, nil, nil, slog.New(slog.DiscardHandler), asAdmin)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tiles/buildings/16/0/0.mvt", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("without tiles: %d, want 503", rec.Code)
	}
}

func TestTileHTTPCaching(t *testing.T) {
	b := &fakeTiles{}
	ts := newTileServer(t, api.Config{}, b)
	url := ts.URL + "/tiles/buildings/16/53484/28454.mvt"
	resp, plain := getTile(t, url, nil)
	etag := resp.Header.Get("ETag")
	// Private: the caller has a token (public answers to anonymous readers
	// of public tiles are in TestTileTokens).
	if resp.StatusCode != 200 || !strings.HasPrefix(etag, `"`) || resp.Header.Get("Cache-Control") != "private, max-age=60" {
		t.Fatalf("%d, ETag %q, Cache-Control %q", resp.StatusCode, etag, resp.Header.Get("Cache-Control"))
	}
	resp, body := getTile(t, url, map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match: %d with %d bytes, want 304 and none", resp.StatusCode, len(body))
	}
	resp, _ = getTile(t, url, map[string]string{"If-None-Match": `"other", ` + etag})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match list: %d, want 304", resp.StatusCode)
	}

	// gzip: a different representation with its own tag, the same bytes once inflated.
	resp, zipped := getTile(t, url, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Accept-Encoding") {
		t.Fatalf("Content-Encoding %q, Vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	inflated, _ := io.ReadAll(zr)
	if !bytes.Equal(inflated, plain) || len(zipped) >= len(plain) {
		t.Errorf("gzip: %d bytes inflating to %d, want smaller and the %d plain bytes", len(zipped), len(inflated), len(plain))
	}
	gzTag := resp.Header.Get("ETag")
	if gzTag == etag {
		t.Errorf("gzip and identity share the ETag %s", etag)
	}
	if resp, _ := getTile(t, url, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gzTag}); resp.StatusCode != 304 {
		t.Errorf("gzip If-None-Match: %d, want 304", resp.StatusCode)
	}
	if resp, _ := getTile(t, url, map[string]string{"Accept-Encoding": "gzip;q=0"}); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
}

func TestTileHTTPCORS(t *testing.T) {
	preflight := func(ts *httptest.Server, origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, ts.URL+"/tiles/buildings/16/1/1.mvt", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// The default: no other origin (the console is served from the same one).
	defaultTS := newTileServer(t, api.Config{}, &fakeTiles{})
	resp, _ := getTile(t, defaultTS.URL+"/tiles/buildings.json", map[string]string{"Origin": "https://qgis.example"})
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("default: Access-Control-Allow-Origin %q, want none", got)
	}
	// Any origin.
	anyTS := newTileServer(t, api.Config{CORSOrigins: []string{"*"}}, &fakeTiles{})
	resp, _ = getTile(t, anyTS.URL+"/tiles/buildings.json", map[string]string{"Origin": "https://qgis.example"})
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("any: Access-Control-Allow-Origin %q, want *", got)
	}
	// An allow-list.
	b := &fakeTiles{}
	listTS := newTileServer(t, api.Config{CORSOrigins: []string{"https://map.example"}}, b)
	resp = preflight(listTS, "https://map.example")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://map.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "GET") {
		t.Errorf("preflight from an allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	if b.asked != 0 {
		t.Error("a preflight built a tile")
	}
	resp = preflight(listTS, "https://evil.example")
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin allowed: %v", resp.Header)
	}
	resp, _ = getTile(t, listTS.URL+"/tiles/buildings/16/1/1.mvt", map[string]string{"Origin": "https://evil.example"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("GET from another origin: %v", resp.Header)
	}
	// None.
	noneTS := newTileServer(t, api.Config{CORSOrigins: []string{}}, &fakeTiles{})
	if resp := preflight(noneTS, "https://map.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("no origins allowed, yet: %v", resp.Header)
	}
}

func TestTileHTTPDocuments(t *testing.T) {
	ts := newTileServer(t, api.Config{}, &fakeTiles{})
	var tj tiles.TileJSON
	resp, body := getTile(t, ts.URL+"/tiles/grids,buildings.json", nil)
	if err := json.Unmarshal(body, &tj); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s: %v", resp.StatusCode, body, err)
	}
	if want := ts.URL + "/tiles/grids,buildings/{z}/{x}/{y}.mvt"; len(tj.Tiles) != 1 || tj.Tiles[0] != want || len(tj.VectorLayers) != 2 {
		t.Errorf("tiles %v, want [%s]; %d vector layers", tj.Tiles, want, len(tj.VectorLayers))
	}
	var cat struct {
		Layers []struct{ Name, TileJSON string }
		Style  string
	}
	_, body = getTile(t, ts.URL+"/tiles", nil)
	if err := json.Unmarshal(body, &cat); err != nil || len(cat.Layers) != 11 || cat.Style != ts.URL+"/tiles/style.json" {
		t.Fatalf("catalogue %s: %v", body, err)
	}
	resp, body = getTile(t, ts.URL+"/tiles/style.json", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"version":8`) || !strings.Contains(string(body), ts.URL+"/tiles/towns,") {
		t.Errorf("style: %d %.300s", resp.StatusCode, body)
	}
}

// TestTileHTTPComposite: over HTTP from PostGIS, a composite tile of
// grids and buildings decodes with GDAL with both layers.
func TestTileHTTPComposite(t *testing.T) {
	db := pgtest.Demo(t)
	cat := tiles.DefaultCatalogue()
	tiler := &tiles.Tiler{Catalogue: cat, Builders: map[tiles.Kind]tiles.Builder{tiles.Table: db}}
	srv := api.New(api.Config{}, db, db, slog.New(slog.DiscardHandler), api.WithTiles(cat, tiler), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	var x, y int
	// The z15 tile of the first building's centroid.
	if err := db.Pool().QueryRow(context.Background(), `
		SELECT floor((ST_X(c) + 20037508.342789244) / w), floor((20037508.342789244 - ST_Y(c)) / w)
		FROM (SELECT ST_Transform(ST_Centroid(geom), 3857) AS c, 2 * 20037508.342789244 / 2 ^ 15 AS w
			FROM buildings ORDER BY id LIMIT 1) b`).Scan(&x, &y); err != nil {
		t.Fatal(err)
	}
	tile, err := tiles.NewTile(15, x, y)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := getTile(t, ts.URL+"/tiles/grids,buildings/"+tile.String()+".mvt", map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := io.ReadAll(zr)
	decoded := tilestest.Decode(t, tile, blob)
	if len(decoded["grids"]) == 0 || len(decoded["buildings"]) == 0 {
		t.Errorf("tile %s: %d grids and %d buildings, want both", tile, len(decoded["grids"]), len(decoded["buildings"]))
	}
}

// filterTiles records the filter of each tile it builds.
type filterTiles struct {
	fakeTiles
	filters []supervision.CoverageFilter
}

func (f *filterTiles) Tile(ctx context.Context, t tiles.Tile, layers []tiles.Layer, cf supervision.CoverageFilter, s tiles.Scope) ([]byte, error) {
	f.filters = append(f.filters, cf)
	return f.fakeTiles.Tile(ctx, t, layers, cf, s)
}

// TestTileCoverageParameters: the coverage layers read window, town,
// industry and kind; bad values are a 400 naming the parameter; the
// table layers ignore them.
func TestTileCoverageParameters(t *testing.T) {
	b := &filterTiles{}
	ts := newTileServer(t, api.Config{}, b)
	for _, tc := range []struct {
		query string
		code  int
		want  string // in the body of an error
	}{
		{"?window=90&town=441900118&industry=F&kind=individual", 200, ""},
		{"", 200, ""},
		{"?window=0", 400, `"field":"window"`},
		{"?window=abc", 400, `"field":"window"`},
		{"?town=4419", 400, `"field":"town"`},
		{"?industry=Z", 400, `"field":"industry"`},
		{"?kind=company", 400, `"field":"kind"`},
	} {
		resp, body := getTile(t, ts.URL+"/tiles/coverage_hex/12/3341/1781.mvt"+tc.query, nil)
		if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s, want %d with %s", tc.query, resp.StatusCode, body, tc.code, tc.want)
		}
	}
	if len(b.filters) != 2 {
		t.Fatalf("%d tiles built, want 2", len(b.filters))
	}
	got := b.filters[0]
	if got.WindowDays != 90 || got.TownCode != "441900118" || got.Industry != "F" || got.Kind != supervision.Individual || got.At.IsZero() {
		t.Errorf("filter %+v", got)
	}
	if d := b.filters[1]; d.WindowDays != supervision.DefaultCoverageWindow || d.TownCode != "" {
		t.Errorf("default filter %+v", d)
	}
	// A table layer does not read them, bad or not.
	if resp, body := getTile(t, ts.URL+"/tiles/buildings/16/53484/28454.mvt?window=0", nil); resp.StatusCode != 200 {
		t.Errorf("buildings with a bad window: %d %s", resp.StatusCode, body)
	}
}

// TestTileCache: a second request is a hit that builds nothing; an
// invalidation of the tile's layer and area makes it a miss again, one of
// another layer or place does not; filters are cached apart.
func TestTileCache(t *testing.T) {
	b := &fakeTiles{}
	cache := tiles.NewCache(16 << 20)
	srv := api.New(api.Config{}, nil, nil, slog.New(slog.DiscardHandler), api.WithTiles(tiles.DefaultCatalogue(), b), api.WithTileCache(cache), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	url := ts.URL + "/tiles/grids,buildings/16/53484/28454.mvt"
	tile, _ := tiles.NewTile(16, 53484, 28454)
	get := func(url string) string {
		resp, _ := getTile(t, url, map[string]string{"Accept-Encoding": "gzip"})
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", url, resp.StatusCode)
		}
		return resp.Header.Get("X-Cache")
	}
	if got := get(url); got != "miss" || b.asked != 1 {
		t.Fatalf("first: %s, %d built", got, b.asked)
	}
	if got := get(url); got != "hit" || b.asked != 1 {
		t.Fatalf("second: %s, %d built", got, b.asked)
	}
	elsewhere := orb.Bound{Min: orb.Point{114.2, 23.1}, Max: orb.Point{114.21, 23.11}}
	everywhere := func(b orb.Bound) func(int) []orb.Bound { return func(int) []orb.Bound { return []orb.Bound{b} } }
	cache.Invalidate("buildings", everywhere(elsewhere))
	cache.Invalidate("roads", everywhere(tile.Bound()))
	if got := get(url); got != "hit" {
		t.Errorf("after changes elsewhere and to another layer: %s", got)
	}
	cache.Invalidate("buildings", everywhere(tile.Bound().Pad(-0.0001)))
	if got := get(url); got != "miss" || b.asked != 2 {
		t.Errorf("after a change to a building in the tile: %s, %d built", got, b.asked)
	}
	cov := ts.URL + "/tiles/coverage_hex/16/53484/28454.mvt"
	get(cov + "?window=90")
	if got := get(cov + "?window=365"); got != "miss" {
		t.Errorf("another window: %s", got)
	}
	if got := get(cov + "?window=90"); got != "hit" {
		t.Errorf("the same window again: %s", got)
	}
	resp, body := getTile(t, ts.URL+"/metrics", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "gridsentry_tile_cache_hits_total 3") {
		t.Errorf("metrics: %d, no hit count of 3 in\n%s", resp.StatusCode, body)
	}
}

// roleAuth takes "gs_<role>" for a city-wide token of that role.
type roleAuth struct{}

func (roleAuth) Authenticate(_ context.Context, token string) (auth.Principal, error) {
	role, err := auth.ParseRole(strings.TrimPrefix(token, "gs_"))
	if err != nil {
		return auth.Principal{}, derrors.New(derrors.Unauthorized, "unknown token")
	}
	return auth.Principal{TokenID: 1, Role: role}, nil
}

// TestTileLayerPermissions: the entities and flags layers need the
// permission to read entities and flags; a composite drops what the role
// may not read, so one style serves every role.
func TestTileLayerPermissions(t *testing.T) {
	b := &fakeTiles{}
	srv := api.New(api.Config{}, nil, nil, slog.New(slog.DiscardHandler), api.WithTiles(tiles.DefaultCatalogue(), b),
		api.WithAuthenticator(roleAuth{}))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	const composite = "/tiles/buildings,entities,flags/16/53489/28485.mvt"
	for _, c := range []struct {
		role       auth.Role
		path       string
		code       int
		has, hasNo string
	}{
		{auth.Admin, composite, 200, "buildings,entities,flags@", ""},
		{auth.Clerk, composite, 200, "buildings,entities@", "flags"},
		{auth.GIS, composite, 200, "buildings@", "entities"},
		{auth.GIS, "/tiles/flags/16/53489/28485.mvt", 403, "flags layer", ""},
		{auth.GIS, "/tiles/entities,flags/16/53489/28485.mvt", 403, "entities, flags layer", ""},
		{auth.Inspector, "/tiles/flags/16/53489/28485.mvt", 200, "flags@", ""},
	} {
		resp, body := getTile(t, ts.URL+c.path, map[string]string{"Authorization": "Bearer gs_" + string(c.role)})
		if resp.StatusCode != c.code || !strings.Contains(string(body), c.has) || c.hasNo != "" && strings.Contains(string(body), c.hasNo) {
			t.Errorf("%s %s: %d %.120s, want %d with %q and no %q", c.role, c.path, resp.StatusCode, body, c.code, c.has, c.hasNo)
		}
	}
}
