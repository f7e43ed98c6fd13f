package api

import (
	"context"
	_ "embed"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
)

// Checker reports whether a dependency is ready to serve (the database is
// reachable and migrated). A nil error means ready.
type Checker interface {
	Ready(ctx context.Context) error
}

// A ReadyReporter is a Checker that says more in /readyz than ready or
// not, such as the state of a read replica: ReadyDetails' fields join the
// answer of a ready server.
type ReadyReporter interface {
	ReadyDetails(ctx context.Context) map[string]any
}

// Config holds the HTTP settings.
type Config struct {
	MaxBodyBytes    int64         // default 1 MiB
	MaxBatchBytes   int64         // bulk routes (NDJSON batches, imports); default 1 GiB
	ReadyTimeout    time.Duration // how long /readyz waits for the database; default 2s
	ShutdownTimeout time.Duration // grace period for in-flight requests; default 15s
	// CORSOrigins are the origins allowed to call the API from a browser
	// ("*": any). nil or empty allows none: the console is served from the
	// same origin and needs no CORS.
	CORSOrigins []string
	// PublicTiles lets anyone read the tile routes without a token, seeing
	// the whole city; otherwise tiles need a token with read_tiles and show
	// only its town.
	PublicTiles bool
	// RateLimit is the requests a second each token may make, in bursts of
	// RateBurst; anonymous tile readers are counted by address. 0: no limit.
	RateLimit float64
	RateBurst int
	// TokenCacheTTL is how long a checked token is trusted without asking
	// the database again: a revocation takes effect within it. Default 10s;
	// negative: ask every time.
	TokenCacheTTL time.Duration
	// MaxExports is how many bulk exports (entities, the library) run at
	// once; each holds a database connection while it streams. Default 2.
	MaxExports int
}

func (c *Config) setDefaults() {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = 1 << 30
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = 2 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.RateBurst <= 0 {
		c.RateBurst = max(1, int(2*c.RateLimit))
	}
	if c.MaxExports <= 0 {
		c.MaxExports = 2
	}
	if c.TokenCacheTTL == 0 {
		c.TokenCacheTTL = 10 * time.Second
	}
}

// Server is gridsentry's HTTP server. Its dependencies are interfaces, set by
// the caller; it keeps no global state.
type Server struct {
	cfg      Config
	log      *slog.Logger
	library  addressbook.Library
	ready    Checker
	router   *mux.Router
	registry *prometheus.Registry
	metrics  *metrics
	index    IndexSource
	codes    CodeResolver
	limits   map[string]int64 // body limits of bulk routes, by route template
	importer addressbook.Importer
	exporter addressbook.Exporter
	entities EntityStore   // entities.go
	reader   EntityReader  // entities_read.go
	workflow WorkflowStore // workflow.go
	alerts   alertStreams  // alerts.go
	flags    flagger       // flags.go
	plans    PlanStore     // plans.go
	tiles    tileServer    // tiles.go
	console  fs.FS         // console.go
	audit    AuditLog      // audit.go
	stats    StatsStore    // stats.go

	authn   Authenticator       // access.go
	fixed   *auth.Principal     // access.go: the caller of requests without a token
	access  map[string]endpoint // "GET /v1/entities/{uscc}" → its permission
	rates   *rateLimits         // ratelimit.go
	apiDoc  []byte              // openapiDoc with each operation's permission
	tokens  TokenStore          // tokens.go
	exports chan struct{}       // export.go: one slot per export running
}

// IndexSource gives the current in-memory address index (nil until loaded).
type IndexSource interface {
	Index() *addressbook.Index
}

// CodeResolver finds what a standard address code is: for a room, its
// building; for a retired code, its successor.
type CodeResolver interface {
	LookupCode(ctx context.Context, code string) (addressbook.CodeInfo, error)
}

// An Option adds an optional dependency to a Server.
type Option func(*Server)

// WithAddresses enables the address routes over an index and a code resolver.
func WithAddresses(index IndexSource, codes CodeResolver) Option {
	return func(s *Server) { s.index, s.codes = index, codes }
}

// New returns a server over library, reporting readiness from ready.
func New(cfg Config, library addressbook.Library, ready Checker, log *slog.Logger, opts ...Option) *Server {
	cfg.setDefaults()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{
		cfg:      cfg,
		log:      log,
		library:  library,
		ready:    ready,
		router:   mux.NewRouter(),
		registry: reg,
		metrics:  newMetrics(reg),
		limits:   map[string]int64{},
		access:   map[string]endpoint{},
		rates:    newRateLimits(cfg.RateLimit, cfg.RateBurst),
		exports:  make(chan struct{}, cfg.MaxExports),
	}
	for _, o := range opts {
		o(s)
	}
	if s.authn != nil && cfg.TokenCacheTTL > 0 {
		s.authn = newTokenCache(s.authn, cfg.TokenCacheTTL)
	}
	s.routes()
	s.apiDoc = withPermissions(openapiDoc, s.access)
	return s
}

// Registry returns the Prometheus registry, for other packages' collectors.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) routes() {
	r := s.router
	r.Handle("/healthz", s.handle(s.healthz)).Methods(http.MethodGet)
	r.Handle("/readyz", s.handle(s.readyz)).Methods(http.MethodGet)
	r.Handle("/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})).Methods(http.MethodGet)
	r.Handle("/openapi.json", s.handle(s.openapi)).Methods(http.MethodGet)

	// Full paths rather than a /v1 subrouter: gorilla/mux subrouters turn a
	// method mismatch into a 404 instead of a 405.
	get, post := http.MethodGet, http.MethodPost
	s.add(r, []route{
		{get, "/v1/me", "", s.me},
		{get, "/v1/divisions", auth.ReadLibrary, s.divisions},
		{get, "/v1/towns/{code}", auth.ReadLibrary, s.town},
		{get, "/v1/grids/{code}", auth.ReadLibrary, s.grid},
		{get, "/v1/buildings/{id}", auth.ReadLibrary, s.building},

		{post, "/v1/addresses/validate", auth.ReadLibrary, s.validate},
		{post, "/v1/addresses/validate:batch", auth.ReadLibrary, s.validateBatch},
		{get, "/v1/addresses/parse", auth.ReadLibrary, s.parse},
		{get, "/v1/addresses/search", auth.ReadLibrary, s.search},
		{get, "/v1/addresses/{code}", auth.ReadLibrary, s.addressByCode},

		{post, "/v1/library/import", auth.WriteLibrary, s.libraryImport},
	})
	s.limits["/v1/addresses/validate:batch"] = s.cfg.MaxBatchBytes
	s.limits["/v1/library/import"] = s.cfg.MaxBatchBytes
	s.protect(r, get, "/v1/library/export", endpoint{perm: auth.ReadLibrary, sensitive: audit.Export}, s.libraryExport)
	s.tokenRoutes(r)
	s.protect(r, get, "/v1/audit", endpoint{perm: auth.ReadAudit, sensitive: audit.ReadAudit}, s.auditLog)

	s.entityRoutes(r)
	s.entityReadRoutes(r)
	s.workflowRoutes(r)
	s.alertRoutes(r)
	s.flagRoutes(r)
	s.planRoutes(r)
	s.statsRoutes(r)
	s.tileRoutes(r)
	s.consoleRoutes(r)

	r.NotFoundHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return derrors.New(derrors.NotFound, "no route for %s %s", r.Method, r.URL.Path)
	})
	r.MethodNotAllowedHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{
			Code: "method_not_allowed", Message: r.Method + " is not allowed on " + r.URL.Path}})
		return nil
	})
}

// Handler returns the server's root handler with its middleware.
func (s *Server) Handler() http.Handler { return s.observe(s.cors(s.router)) }

// Serve answers requests on ln until ctx is cancelled, then shuts down
// gracefully, letting in-flight requests finish within the shutdown timeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if err := s.ready.Ready(ctx); err != nil {
		if derrors.Code(err) == "internal" {
			err = &derrors.Error{Kind: derrors.Unavailable, Message: "not ready", Err: err}
		}
		return err
	}
	body := map[string]any{"status": "ready"}
	if rr, ok := s.ready.(ReadyReporter); ok {
		for k, v := range rr.ReadyDetails(ctx) {
			if k != "status" {
				body[k] = v
			}
		}
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// openapiDoc is the OpenAPI document: openapi/base.json with the paths and
// component schemas of the other files in openapi/ merged in, one file per
// area of the API.
var openapiDoc = mustMergeOpenAPI()

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	writeBody(w, http.StatusOK, "application/json", s.apiDoc)
	return nil
}
