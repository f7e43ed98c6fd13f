package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridsentry/gridsentry/derrors"
)

type ctxKey int

const requestIDKey ctxKey = iota

// requestID returns the id of the request in ctx, or "".
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// validRequestID accepts a caller's X-Request-Id only when it is short and plain.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush,
// deadlines) through this wrapper.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// metrics are the Prometheus collectors of the HTTP layer.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridsentry_http_requests_total",
			Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gridsentry_http_request_duration_seconds",
			Help:    "HTTP request latency by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe is the outermost middleware: it gives every request an id, limits
// its body, recovers from panics, and logs and counts the request under its
// route template (so /v1/towns/441900003 counts as /v1/towns/{code}).
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}

		route := "unmatched"
		var match mux.RouteMatch
		if s.router.Match(r, &match) && match.MatchErr == nil && match.Route != nil {
			if tpl, err := match.Route.GetPathTemplate(); err == nil {
				route = tpl
			}
		}

		defer func() {
			p := recover()
			// A handler that cannot finish a response it has begun (an export
			// failing mid-stream) aborts it with http.ErrAbortHandler, so the
			// client sees a broken transfer, not a short file: pass it on.
			if p == http.ErrAbortHandler {
				defer panic(p)
			} else if p != nil {
				s.log.ErrorContext(ctx, "panic", "request_id", id, "panic", fmt.Sprint(p))
				if sw.code == 0 {
					s.writeError(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			elapsed := time.Since(start)
			s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Inc()
			s.metrics.duration.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
			s.log.Log(ctx, logLevel(code), "request", "request_id", id, "method", r.Method,
				"path", r.URL.Path, "route", route, "status", code, "bytes", sw.bytes,
				"duration_ms", float64(elapsed.Microseconds())/1000, "remote", r.RemoteAddr)
		}()

		limit := s.cfg.MaxBodyBytes
		if l, ok := s.limits[route]; ok {
			limit = l
		}
		if r.ContentLength > limit {
			s.writeError(sw, r, derrors.New(derrors.TooLarge,
				"request body of %d bytes is over the limit of %d bytes", r.ContentLength, limit))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(sw, r.Body, limit)
		}
		next.ServeHTTP(sw, r)
	})
}

// cors lets the browsers of the allowed origins (Config.CORSOrigins) call
// the API, and answers their preflight OPTIONS requests on every path.
// Tokens travel in the Authorization header, never in cookies, so no
// credentials mode is offered.
func (s *Server) cors(next http.Handler) http.Handler {
	anyOrigin := slices.Contains(s.cfg.CORSOrigins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
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
			w.Header().Set("Access-Control-Expose-Headers", "ETag, Content-Encoding, Retry-After, X-Request-Id, X-Cache")
		}
		if r.Method == http.MethodOptions {
			if allowed {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
				w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match, Accept-Encoding, X-Request-Id")
				w.Header().Set("Access-Control-Max-Age", "86400")
			}
			w.Header().Set("Allow", "GET, POST, PUT, DELETE, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
