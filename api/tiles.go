package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
)

// TileBuilder builds the MVT of layers at a tile in a scope (tiles.Tiler
// does, from the catalogue's builders).
type TileBuilder interface {
	Tile(ctx context.Context, t tiles.Tile, layers []tiles.Layer, f supervision.CoverageFilter, s tiles.Scope) ([]byte, error)
}

// tileServer is the catalogue, the builder and the cache of the tile
// routes.
type tileServer struct {
	catalogue *tiles.Catalogue
	builder   TileBuilder
	cache     *tiles.Cache // nil: none
	builds    singleflight.Group
}

// WithTiles enables the vector tile routes over a catalogue and a builder
// of its layers.
func WithTiles(c *tiles.Catalogue, b TileBuilder) Option {
	return func(s *Server) { s.tiles.catalogue, s.tiles.builder = c, b }
}

// WithTileCache keeps built tiles in c, whose statistics the server
// exports as metrics (gridsentry_tile_cache_*).
func WithTileCache(c *tiles.Cache) Option {
	return func(s *Server) {
		s.tiles.cache = c
		registerCacheMetrics(s.registry, c)
	}
}

// coverageTick is how often coverage moves on: tiles measure it as of the
// start of the current tick (so a tile can be cached for that long, and
// every node draws the same tile), and a task becomes overdue on the map
// at most one tick late.
const coverageTick = 10 * time.Minute

// Cache lifetimes of the tile routes. Tiles change with the data (a new
// entity, a flag raised), so browsers keep them a minute and then
// revalidate with If-None-Match, which costs a query but no transfer; the
// catalogue, TileJSON and the style change only with a new release.
const (
	tileMaxAge     = 60
	tileMetaMaxAge = 300
)

func (s *Server) tileRoutes(r *mux.Router) {
	for _, rt := range []struct {
		path string
		h    handlerFunc
	}{
		{"/tiles", s.tileCatalogue},
		// Before {layers}.json, which "style" would match too.
		{"/tiles/style.json", s.tileStyle},
		{"/tiles/{layers}.json", s.tileJSON},
		{"/tiles/{layers}/{z}/{x}/{y}.mvt", s.tile},
	} {
		s.protect(r, http.MethodGet, rt.path, endpoint{perm: auth.ReadTiles}, rt.h)
	}
}

// tileServer returns the tile routes' dependencies, or 503 when the
// server has none.
func (s *Server) tileServer() (*tileServer, error) {
	if s.tiles.catalogue == nil || s.tiles.builder == nil {
		return nil, derrors.New(derrors.Unavailable, "tiles are not enabled on this server")
	}
	return &s.tiles, nil
}

// tileScope returns the scope of the caller's tiles: its town for a
// town-scoped token, the whole city for a city-wide token and for an
// anonymous reader of public tiles.
func tileScope(ctx context.Context) tiles.Scope {
	if p, ok := principalOf(ctx); ok && !p.CityWide() {
		return tiles.Scope(p.TownCode)
	}
	return tiles.WholeCity
}

// tokenQuery returns the query that the URLs of the catalogue, TileJSON
// and the style carry: the caller's ?access_token= when that is how its
// token came (a GIS client following the document's URLs then sends it
// with every tile), "" when it came in the Authorization header (the
// client sends the header again) or there is none.
func tokenQuery(r *http.Request) string {
	if r.Header.Get("Authorization") != "" {
		return ""
	}
	if _, ok := principalOf(r.Context()); !ok {
		return ""
	}
	t := r.URL.Query().Get("access_token")
	if t == "" {
		return ""
	}
	return url.Values{"access_token": {t}}.Encode()
}

// origin returns the scheme and host the client reached this server at,
// for the absolute URLs of TileJSON and the style.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

func (s *Server) tileCatalogue(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.tileServer()
	if err != nil {
		return err
	}
	type field struct {
		Type        tiles.FieldType `json:"type"`
		Description string          `json:"description"`
	}
	type layer struct {
		Name        string           `json:"name"`
		Description string           `json:"description"`
		Kind        tiles.Kind       `json:"kind"`
		Geometry    tiles.Geometry   `json:"geometry"`
		MinZoom     int              `json:"minzoom"`
		MaxZoom     int              `json:"maxzoom"`
		MaxFeatures int              `json:"max_features"`
		Fields      map[string]field `json:"fields"`
		Parameters  []string         `json:"parameters,omitempty"`
		Scoped      bool             `json:"scoped"`
		TileJSON    string           `json:"tilejson"`
	}
	base, query := origin(r), tokenQuery(r)
	out := struct {
		Layers []layer `json:"layers"`
		Style  string  `json:"style"`
	}{Style: tiles.StyleURL(base, query)}
	for _, l := range ts.catalogue.Layers() {
		fs := map[string]field{}
		for _, f := range l.Fields {
			fs[f.Name] = field{f.Type, f.Description}
		}
		var params []string
		if l.Filtered {
			params = []string{"window", "town", "industry", "kind"}
		}
		out.Layers = append(out.Layers, layer{l.Name, l.Description, l.Kind, l.Geometry, l.MinZoom, l.MaxZoom,
			l.MaxFeatures, fs, params, l.Scoped, tiles.TileJSONURL(base, query, []tiles.Layer{l})})
	}
	return writeTileJSON(w, r, out)
}

func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.tileServer()
	if err != nil {
		return err
	}
	layers, err := ts.catalogue.Lookup(mux.Vars(r)["layers"])
	if err != nil {
		return err
	}
	return writeTileJSON(w, r, tiles.NewTileJSON(origin(r), tokenQuery(r), ts.catalogue.Bounds, layers))
}

func (s *Server) tileStyle(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.tileServer()
	if err != nil {
		return err
	}
	return writeTileJSON(w, r, tiles.Style(origin(r), tokenQuery(r), ts.catalogue))
}

// tile answers one tile of one or several layers. Layers without tiles at
// the zoom are left out; when none is left, the answer is 204 No Content.
// A town-scoped caller sees its town's entities, flags and coverage only:
// the coverage filter's town is its own (another is 403), and the tile is
// built and cached in its town's scope.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.tileServer()
	if err != nil {
		return err
	}
	vars := mux.Vars(r)
	layers, err := ts.catalogue.Lookup(vars["layers"])
	if err != nil {
		return err
	}
	if layers, err = readableLayers(r.Context(), layers); err != nil {
		return err
	}
	t, err := tiles.ParseTile(vars["z"], vars["x"], vars["y"])
	if err != nil {
		return err
	}
	key := tiles.CacheKey{Layers: layerNames(layers), Tile: t}
	var f supervision.CoverageFilter
	if tiles.Filtered(layers) {
		q := r.URL.Query()
		if f, err = supervision.ParseCoverageFilter(q.Get("window"), q.Get("town"), q.Get("industry"), q.Get("kind")); err != nil {
			return asInvalid(err, "")
		}
		if err := scopeTown(r.Context(), &f.TownCode); err != nil {
			return err
		}
		f.At = time.Now().Truncate(coverageTick)
		key.Filter = f.Key()
	}
	layers = tiles.AtZoom(layers, int(t.Z))
	if len(layers) == 0 {
		w.Header().Set("Cache-Control", cacheControl(r, tileMetaMaxAge))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	// Only the layers drawn at this zoom decide: a tile of the map's
	// layers alone is the same for everyone, and shared.
	key.Scope = tileScope(r.Context()).For(layers)
	tile, hit, err := s.cachedTile(r.Context(), key, layers, f)
	if err != nil {
		return err
	}
	if hit {
		w.Header().Set("X-Cache", "hit")
	} else {
		w.Header().Set("X-Cache", "miss")
	}
	writeEncoded(w, r, "application/vnd.mapbox-vector-tile", tile, tileMaxAge)
	return nil
}

// cachedTile returns the tile of key from the cache, or builds it in
// key's scope (once for all who ask at the same time) and caches it. It
// reports whether the cache had it.
func (s *Server) cachedTile(ctx context.Context, key tiles.CacheKey, layers []tiles.Layer, f supervision.CoverageFilter) (tiles.Encoded, bool, error) {
	ts := &s.tiles
	if ts.cache == nil {
		blob, err := ts.builder.Tile(ctx, key.Tile, layers, f, key.Scope)
		return tiles.Encode(blob).ForScope(key.Scope), false, err
	}
	if e, ok := ts.cache.Get(key); ok {
		return e, true, nil
	}
	flight := key.Layers + "|" + key.Filter + "|" + key.Scope.Town() + "|" + key.Tile.String()
	for {
		v, err, _ := ts.builds.Do(flight, func() (any, error) {
			// The generation before building: a change while the
			// tile is built keeps it out of the cache.
			gen := ts.cache.Generation()
			blob, err := ts.builder.Tile(ctx, key.Tile, layers, f, key.Scope)
			if err != nil {
				return nil, err
			}
			e := tiles.Encode(blob).ForScope(key.Scope)
			ts.cache.Put(key, e, gen)
			return e, nil
		})
		// The build ran under the context of whoever asked first; if
		// that client hung up, the others build it again.
		if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			continue
		}
		if err != nil {
			return tiles.Encoded{}, false, err
		}
		return v.(tiles.Encoded), false, nil
	}
}

// SeedTiles builds and caches the tiles of layers (a URL's list, e.g.
// "towns,villages,grids") from zoom minZoom to maxZoom over the
// catalogue's bounds, under the default coverage filter, for the whole
// city (what city-wide tokens and public readers see), calling progress
// after each tile. Seeding low zooms at start spares the first users the
// slowest tiles.
func (s *Server) SeedTiles(ctx context.Context, layers string, minZoom, maxZoom int, progress func(done, total int)) error {
	ts, err := s.tileServer()
	if err != nil {
		return err
	}
	ls, err := ts.catalogue.Lookup(layers)
	if err != nil {
		return err
	}
	var todo []tiles.Tile
	for z := minZoom; z <= maxZoom; z++ {
		todo = append(todo, tiles.Covering(ts.catalogue.Bounds, z)...)
	}
	for i, t := range todo {
		at := tiles.AtZoom(ls, int(t.Z))
		if len(at) == 0 {
			continue
		}
		key := tiles.CacheKey{Layers: layers, Scope: tiles.WholeCity, Tile: t}
		var f supervision.CoverageFilter
		if tiles.Filtered(at) {
			f.At = time.Now().Truncate(coverageTick)
			key.Filter = f.Key()
		}
		if _, _, err := s.cachedTile(ctx, key, at, f); err != nil {
			return fmt.Errorf("seed tile %s of %s: %w", t, layers, err)
		}
		if progress != nil {
			progress(i+1, len(todo))
		}
	}
	return nil
}

func writeTileJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	writeEncoded(w, r, "application/json", tiles.Encode(b), tileMetaMaxAge)
	return nil
}

// cacheControl returns the Cache-Control of an answer to r that may be
// kept maxAge seconds: public for an anonymous reader (a public route, or
// public tiles), which anyone may be given; private for a caller with a
// token, whose answer may be its town's view or carry its token (TileJSON
// with ?access_token=), and which a shared cache (a proxy) handing it to
// another reader, or to one without a token when tiles are not public,
// would leak.
func cacheControl(r *http.Request, maxAge int) string {
	if _, ok := principalOf(r.Context()); ok {
		return "private, max-age=" + strconv.Itoa(maxAge)
	}
	return "public, max-age=" + strconv.Itoa(maxAge)
}

// writeEncoded writes a body with its strong ETag (a hash of the bytes),
// answers 304 Not Modified when the client's If-None-Match has it, and
// sends the gzip form when the client accepts it. The gzip and identity
// forms are different representations, so their tags differ ("-gz"). An
// answer to a caller with a token is private (cacheControl) and varies on
// Authorization, so that a browser does not answer one token's request
// with another's tile.
func writeEncoded(w http.ResponseWriter, r *http.Request, contentType string, e tiles.Encoded, maxAge int) {
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	if _, ok := principalOf(r.Context()); ok {
		h.Add("Vary", "Authorization")
	}
	h.Set("Cache-Control", cacheControl(r, maxAge))
	body, etag := e.MVT, e.ETag
	gz := e.Gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding"))
	if gz {
		body, etag = e.Gzip, e.GzipETag()
	}
	h.Set("ETag", etag)
	if matchesETag(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	writeBody(w, http.StatusOK, contentType, body)
}

// registerCacheMetrics exports the tile cache's statistics.
func registerCacheMetrics(reg prometheus.Registerer, c *tiles.Cache) {
	counter := func(name, help string, v func(tiles.CacheStats) uint64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gridsentry_tile_cache_" + name + "_total", Help: help},
			func() float64 { return float64(v(c.Stats())) }))
	}
	gauge := func(name, help string, v func(tiles.CacheStats) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gridsentry_tile_cache_" + name, Help: help},
			func() float64 { return v(c.Stats()) }))
	}
	counter("hits", "Tiles served from the cache.", func(s tiles.CacheStats) uint64 { return s.Hits })
	counter("misses", "Tiles not in the cache, built.", func(s tiles.CacheStats) uint64 { return s.Misses })
	counter("stores", "Built tiles stored.", func(s tiles.CacheStats) uint64 { return s.Stores })
	counter("refused", "Built tiles not stored: the data changed while they were built, or too big.", func(s tiles.CacheStats) uint64 { return s.Refused })
	counter("evictions", "Tiles evicted to stay within the byte limit.", func(s tiles.CacheStats) uint64 { return s.Evictions })
	counter("invalidated", "Tiles dropped because their data changed.", func(s tiles.CacheStats) uint64 { return s.Invalidated })
	gauge("entries", "Tiles in the cache.", func(s tiles.CacheStats) float64 { return float64(s.Entries) })
	gauge("bytes", "Bytes the cached tiles take.", func(s tiles.CacheStats) float64 { return float64(s.Bytes) })
	gauge("max_bytes", "The cache's byte limit.", func(s tiles.CacheStats) float64 { return float64(s.MaxBytes) })
}

// acceptsGzip reports whether an Accept-Encoding header accepts gzip
// (named, or by "*", with a q-value other than 0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" && name != "*" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
				q, _ = strconv.ParseFloat(v, 64)
			}
		}
		return q > 0
	}
	return false
}

// matchesETag reports whether an If-None-Match header names etag (or is
// "*"). If-None-Match compares weakly, so W/"x" matches "x".
func matchesETag(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// layerPermissions are what a layer needs beyond read_tiles: the entities
// and flags layers show supervision data row by row. The coverage layers
// show counts, and the map's layers the library.
var layerPermissions = map[string]auth.Permission{
	"entities": auth.ReadEntities,
	"flags":    auth.ReadFlags,
}

// readableLayers keeps the layers the caller may read. A composite loses
// the others (a clerk's map tile has no flags layer, so one style serves
// every role); asking for nothing else is a 403 naming the layer. An
// anonymous reader of public tiles reads every layer: the operator made
// them public.
func readableLayers(ctx context.Context, layers []tiles.Layer) ([]tiles.Layer, error) {
	p, ok := principalOf(ctx)
	if !ok {
		return layers, nil
	}
	out := layers[:0:0]
	var refused []string
	for _, l := range layers {
		if perm, need := layerPermissions[l.Name]; need && !p.Can(perm) {
			refused = append(refused, l.Name)
			continue
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, derrors.New(derrors.Forbidden, "a %s token may not read the %s layer", p.Role, strings.Join(refused, ", "))
	}
	return out, nil
}

func layerNames(layers []tiles.Layer) string {
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	return strings.Join(names, ",")
}
