package api

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gridsentry/gridsentry/derrors"
)

// WithConsole serves the map console's files (index.html at /, the rest
// under /assets/) from files.
func WithConsole(files fs.FS) Option {
	return func(s *Server) { s.console = files }
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
	r.PathPrefix("/assets/").Handler(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if _, err := fs.Stat(s.console, name); err != nil {
			return derrors.New(derrors.NotFound, "no console file %s", r.URL.Path)
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		static.ServeHTTP(w, r)
		return nil
	})).Methods(http.MethodGet, http.MethodHead)
}
