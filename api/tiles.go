package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
)

// TileBuilder builds the MVT of layers at a tile (tiles.Tiler does, from
// the catalogue's builders).
type TileBuilder interface {
	Tile(ctx context.Context, t tiles.Tile, layers []tiles.Layer, f supervision.CoverageFilter) ([]byte, error)
}

// tileServer is the catalogue and the builder of the tile routes.
type tileServer struct {
	catalogue *tiles.Catalogue
	builder   TileBuilder
}

// WithTiles enables the vector tile routes over a catalogue and a builder
// of its layers.
func WithTiles(c *tiles.Catalogue, b TileBuilder) Option {
	return func(s *Server) { s.tiles = tileServer{c, b} }
}

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
		r.Handle(rt.path, s.cors(s.handle(rt.h))).Methods(http.MethodGet, http.MethodOptions)
	}
}

// tileServer returns the tile routes' dependencies, or 503 when the
// server has none.
func (s *Server) tileServer() (tileServer, error) {
	if s.tiles.catalogue == nil || s.tiles.builder == nil {
		return tileServer{}, derrors.New(derrors.Unavailable, "tiles are not enabled on this server")
	}
	return s.tiles, nil
}

// cors answers cross-origin requests from the allowed origins
// (Config.CORSOrigins) and their preflight OPTIONS requests.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		anyOrigin := slices.Contains(s.cfg.CORSOrigins, "*")
		allowed := origin != "" && (anyOrigin || slices.Contains(s.cfg.CORSOrigins, origin))
		if !anyOrigin {
			w.Header().Add("Vary", "Origin")
		}
		if allowed {
			if anyOrigin {
				w.Header().Set("Access-Control-Allow-Origin", "*")
			} else {
				w.Header().Set("Access-Control-Allow-Origin", origin)
			}
			w.Header().Set("Access-Control-Expose-Headers", "ETag, Content-Encoding")
		}
		if r.Method == http.MethodOptions {
			if allowed {
				w.Header().Set("Access-Control-Allow-Methods", "GET, OPTIONS")
				w.Header().Set("Access-Control-Allow-Headers", "If-None-Match, Accept-Encoding")
				w.Header().Set("Access-Control-Max-Age", "86400")
			}
			w.Header().Set("Allow", "GET, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
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
		TileJSON    string           `json:"tilejson"`
	}
	base := origin(r)
	out := struct {
		Layers []layer `json:"layers"`
		Style  string  `json:"style"`
	}{Style: base + "/tiles/style.json"}
	for _, l := range ts.catalogue.Layers() {
		fs := map[string]field{}
		for _, f := range l.Fields {
			fs[f.Name] = field{f.Type, f.Description}
		}
		out.Layers = append(out.Layers, layer{l.Name, l.Description, l.Kind, l.Geometry, l.MinZoom, l.MaxZoom,
			l.MaxFeatures, fs, tiles.TileJSONURL(base, []tiles.Layer{l})})
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
	return writeTileJSON(w, r, tiles.NewTileJSON(origin(r), ts.catalogue.Bounds, layers))
}

func (s *Server) tileStyle(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.tileServer()
	if err != nil {
		return err
	}
	return writeTileJSON(w, r, tiles.Style(origin(r), ts.catalogue))
}

// tile answers one tile of one or several layers. Layers without tiles at
// the zoom are left out; when none is left, the answer is 204 No Content.
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
	t, err := tiles.ParseTile(vars["z"], vars["x"], vars["y"])
	if err != nil {
		return err
	}
	var f supervision.CoverageFilter
	if tiles.Filtered(layers) {
		q := r.URL.Query()
		if f, err = supervision.ParseCoverageFilter(q.Get("window"), q.Get("town"), q.Get("industry"), q.Get("kind")); err != nil {
			return err
		}
	}
	layers = tiles.AtZoom(layers, int(t.Z))
	if len(layers) == 0 {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(tileMetaMaxAge))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	blob, err := ts.builder.Tile(r.Context(), t, layers, f)
	if err != nil {
		return err
	}
	writeCacheable(w, r, "application/vnd.mapbox-vector-tile", blob, tileMaxAge)
	return nil
}

func writeTileJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	writeCacheable(w, r, "application/json", b, tileMetaMaxAge)
	return nil
}

// writeCacheable writes body with a strong ETag (a hash of the bytes
// sent), answers 304 Not Modified when the client's If-None-Match has it,
// and compresses with gzip when the client accepts it. The gzip and
// identity forms of a body are different representations, so their tags
// differ ("-gz").
func writeCacheable(w http.ResponseWriter, r *http.Request, contentType string, body []byte, maxAge int) {
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(maxAge))
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	gz := acceptsGzip(r.Header.Get("Accept-Encoding")) && len(body) > 0
	if gz {
		tag += "-gz"
	}
	etag := `"` + tag + `"`
	h.Set("ETag", etag)
	if matchesETag(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if gz {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	writeBody(w, http.StatusOK, contentType, body)
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
