package api

import (
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/gorilla/mux"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/tiles"
)

// WithConsole serves the map console's files (index.html at /, the rest
// under /assets/) from files.
func WithConsole(files fs.FS) Option {
	return func(s *Server) { s.console = files }
}

// consoleFiles keeps the gzip form of each console file, made on first
// request: the bundle is a megabyte, a third of that compressed, and the
// files never change while the binary runs.
type consoleFiles struct{ gz sync.Map } // name → tiles.Encoded

// encoded returns the file called name with its gzip form and ETag.
func (c *consoleFiles) encoded(files fs.FS, name string) (tiles.Encoded, error) {
	if e, ok := c.gz.Load(name); ok {
		return e.(tiles.Encoded), nil
	}
	b, err := fs.ReadFile(files, name)
	if err != nil {
		return tiles.Encoded{}, err
	}
	e := tiles.Encode(b)
	c.gz.Store(name, e)
	return e, nil
}

// consoleRoutes serves the console. Its screens are hash routes
// (#/coverage, #/entity/…), so the server serves files only: index.html at
// / and the bundle under /assets/. index.html is revalidated on every load
// (a new release shows at once); the assets carry their content hash in
// their names and are cached for a year.
func (s *Server) consoleRoutes(r *mux.Router) {
	if s.console == nil {
		return
	}
	static := http.FileServerFS(s.console)
	r.Handle("/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, s.console, "index.html")
		return nil
	})).Methods(http.MethodGet, http.MethodHead)
	var gz consoleFiles
	r.PathPrefix("/assets/").Handler(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if _, err := fs.Stat(s.console, name); err != nil {
			return derrors.New(derrors.NotFound, "no console file %s", r.URL.Path)
		}
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			static.ServeHTTP(w, r)
			return nil
		}
		e, err := gz.encoded(s.console, name)
		if err != nil {
			return err
		}
		contentType := mime.TypeByExtension(path.Ext(name))
		if contentType == "" {
			contentType = "application/octet-stream"
		}
		writeEncoded(w, r, contentType, e, 31536000)
		return nil
	})).Methods(http.MethodGet, http.MethodHead)
}
