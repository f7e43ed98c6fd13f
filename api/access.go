package api

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// Authenticator finds the principal an API token stands for. A token that is
// malformed, unknown, expired or revoked is an Unauthorized error.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (auth.Principal, error)
}

// WithAuthenticator checks the bearer tokens of protected routes with a.
func WithAuthenticator(a Authenticator) Option {
	return func(s *Server) { s.authn = a }
}

// WithFixedPrincipal makes every request that carries no token act as p. It
// is for tests of other features and for embedding the server in a
// single-user tool; a server for people is given WithAuthenticator.
func WithFixedPrincipal(p auth.Principal) Option {
	return func(s *Server) { s.fixed = &p }
}

// An endpoint is a protected route: the permission it needs and what of it
// the audit log keeps.
type endpoint struct {
	perm auth.Permission
	// sensitive names the audit action (audit.Export, audit.ReadAudit, ...)
	// of a read that is logged like a write, or of a write logged under
	// its own action (audit.Token); "" for an ordinary read or a write.
	sensitive string
	// unmaskable routes show personal data in full when asked with
	// ?unmask=true by a principal holding auth.Unmask, and log it.
	unmaskable bool
}

// A route is one entry of a route table: method, path template, the
// permission it needs and its handler.
type route struct {
	method, path string
	perm         auth.Permission
	h            handlerFunc
}

// publicRoutes answer without a token: probes, metrics, the API's own
// description and the console's files (which ask for a token themselves).
var publicRoutes = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET /openapi.json": true,
	"GET /": true, "GET /assets/": true,
}

// add registers the routes of a table, each behind its permission.
func (s *Server) add(r *mux.Router, routes []route) {
	for _, rt := range routes {
		s.protect(r, rt.method, rt.path, endpoint{perm: rt.perm}, rt.h)
	}
}

// protect registers one route that needs ep.perm. Every route of the API
// but publicRoutes is registered here: TestEveryRouteHasAPermission walks
// the router to hold that.
func (s *Server) protect(r *mux.Router, method, path string, ep endpoint, h handlerFunc) *mux.Route {
	if _, dup := s.access[method+" "+path]; dup {
		panic("api: route registered twice: " + method + " " + path)
	}
	s.access[method+" "+path] = ep
	return r.Handle(path, s.handle(s.guard(ep, h))).Methods(method)
}

// guard authenticates the request, checks ep's permission and the caller's
// rate, and keeps the audit trail of writes and sensitive reads.
func (s *Server) guard(ep endpoint, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := checkQuery(r); err != nil { // before anything reads a parameter
			return err
		}
		p, ok, err := s.principal(r, ep)
		if err != nil {
			return err
		}
		key := "ip " + clientIP(r)
		if ok {
			key = p.String()
			if ep.perm != "" { // "": any valid token (GET /v1/me)
				if err := p.Require(ep.perm); err != nil {
					return err
				}
			}
		}
		if err := s.rates.allow(key); err != nil {
			return err
		}
		ctx := r.Context()
		if ok {
			ctx = context.WithValue(ctx, principalKey, p)
		}
		unmask, err := wantsUnmask(r, ep)
		if err != nil {
			return err
		}
		if unmask {
			if err := p.Require(auth.Unmask); err != nil {
				return err
			}
			// No personal data leaves unmasked without its trace: the entry is
			// written before the handler runs, and its failure is a 503.
			if err := s.record(r, p, audit.Unmask, http.StatusOK, nil); err != nil {
				return err
			}
			ctx = context.WithValue(ctx, unmaskKey, true)
		}
		r = r.WithContext(ctx)
		if ep.sensitive == "" && isRead(r.Method) {
			return h(w, r)
		}
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		action := ep.sensitive
		if action == "" {
			action = audit.Write
		}
		// Recorded after the handler, with the status it answered; also
		// when it aborts a response it had begun (an export failing
		// mid-stream panics with http.ErrAbortHandler), marked aborted.
		var herr error
		done := false
		defer func() {
			code, detail := sw.code, map[string]any(nil)
			switch {
			case !done:
				detail = map[string]any{"aborted": true}
			case herr != nil:
				code = status(herr)
			}
			if code == 0 { // nothing written: an empty 200, or a panic before any answer
				code = map[bool]int{true: http.StatusOK, false: http.StatusInternalServerError}[done]
			}
			if err := s.record(r, p, action, code, detail); err != nil && herr == nil {
				s.log.ErrorContext(ctx, "audit entry not written", "request_id", requestID(ctx), "err", err.Error())
			}
		}()
		herr = h(sw, r)
		done = true
		return herr
	}
}

// principal returns the caller of r: from its bearer token, or the fixed
// principal of a test server. ok is false for an anonymous caller of a
// public tile (tiles may be public by configuration).
func (s *Server) principal(r *http.Request, ep endpoint) (p auth.Principal, ok bool, err error) {
	token, given := bearer(r, ep)
	switch {
	case !given && s.fixed != nil:
		return *s.fixed, true, nil
	case !given && ep.perm == auth.ReadTiles && s.cfg.PublicTiles:
		return auth.Principal{}, false, nil
	case !given:
		return p, false, derrors.New(derrors.Unauthorized,
			"this route needs an API token: send it as Authorization: Bearer <token> (gridsentry token create)")
	case s.authn == nil:
		return p, false, derrors.New(derrors.Unauthorized, "this server checks no tokens")
	}
	p, err = s.authn.Authenticate(r.Context(), token)
	if err != nil {
		return p, false, err
	}
	return p, true, nil
}

// bearer returns the token of r's Authorization header. Tile routes also
// take ?access_token=, since a GIS client following TileJSON cannot always
// set a header.
func bearer(r *http.Request, ep endpoint) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", true // given, but not a bearer token: Authenticate refuses it
		}
		return strings.TrimSpace(token), true
	}
	if ep.perm == auth.ReadTiles {
		if t := r.URL.Query().Get("access_token"); t != "" {
			return t, true
		}
	}
	return "", false
}

// wantsUnmask reports whether r asks for personal data in full.
func wantsUnmask(r *http.Request, ep endpoint) (bool, error) {
	v := r.URL.Query().Get("unmask")
	switch {
	case v == "" || v == "false":
		return false, nil
	case v != "true":
		return false, derrors.Field("unmask", "want true or false, got %q", v)
	case !ep.unmaskable:
		return false, derrors.Field("unmask", "%s %s shows no personal data to unmask", r.Method, r.URL.Path)
	}
	return true, nil
}

// record appends an audit entry for r, answered with code, when the server
// keeps an audit log; detail adds to what the entry says of the request.
func (s *Server) record(r *http.Request, p auth.Principal, action string, code int, detail map[string]any) error {
	if s.audit == nil {
		return nil
	}
	e := audit.Entry{
		TokenID: p.TokenID, Role: string(p.Role), TownCode: p.TownCode, Department: p.Department,
		Action: action, Method: r.Method, Route: routeTemplate(r), Object: objectOf(r),
		Status: code, Remote: clientIP(r), RequestID: requestID(r.Context()),
	}
	if p.TokenID == 0 { // a server built WithFixedPrincipal: no token to name
		e.Actor = "fixed principal " + string(p.Role)
	}
	if detail == nil {
		detail = map[string]any{}
	}
	if q := r.URL.Query(); len(q) > 0 {
		q.Del("access_token")
		detail["query"] = q.Encode()
	}
	if f := r.Header.Get("X-Forwarded-For"); f != "" {
		detail["forwarded_for"] = f
	}
	if len(detail) > 0 {
		e.Detail = detail
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if _, err := s.audit.AppendAudit(ctx, e); err != nil {
		return &derrors.Error{Kind: derrors.Unavailable, Message: "the audit log cannot be written", Err: err}
	}
	return nil
}

// routeTemplate returns the path template of the route r matched.
func routeTemplate(r *http.Request) string {
	if rt := mux.CurrentRoute(r); rt != nil {
		if tpl, err := rt.GetPathTemplate(); err == nil {
			return tpl
		}
	}
	return r.URL.Path
}

// objectOf names what r acts on: its path variables, "id=42" or
// "uscc=9144…", joined in the order of the template.
func objectOf(r *http.Request) string {
	vars := mux.Vars(r)
	if len(vars) == 0 {
		return ""
	}
	var parts []string
	for _, name := range []string{"uscc", "id", "code", "assignee", "layers"} {
		if v, ok := vars[name]; ok {
			parts = append(parts, name+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// clientIP is the address the request came from.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func isRead(method string) bool { return method == http.MethodGet || method == http.MethodHead }

const (
	principalKey ctxKey = iota + 100
	unmaskKey
)

// principalOf returns the caller of a request; ok is false for an anonymous
// reader of public tiles.
func principalOf(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(principalKey).(auth.Principal)
	return p, ok
}

// unmasked reports whether the request asked for personal data in full and
// was allowed to (the unmasking is already in the audit log).
func unmasked(ctx context.Context) bool {
	v, _ := ctx.Value(unmaskKey).(bool)
	return v
}

// scopeTown narrows a list's town filter to the caller's town: an empty
// filter becomes the caller's town, another town is forbidden. The stores
// apply the filter in SQL, so a town-scoped caller's lists hold only its
// town's rows.
func scopeTown(ctx context.Context, town *string) error {
	p, ok := principalOf(ctx)
	if !ok || p.CityWide() {
		return nil
	}
	if *town != "" && *town != p.TownCode {
		return derrors.New(derrors.Forbidden, "a token of town %s may not read town %s", p.TownCode, *town)
	}
	*town = p.TownCode
	return nil
}

// seeTown returns a NotFound error, worded as if the row were absent, when
// one row read by id lies outside the caller's town.
func seeTown(ctx context.Context, town, what string) error {
	p, ok := principalOf(ctx)
	if !ok || p.SeesTown(town) {
		return nil
	}
	return derrors.New(derrors.NotFound, "%s not found", what)
}

// tokenCache trusts a checked token for a while, so a busy caller costs the
// database one look-up per ttl rather than one per request. Only successes
// are kept; the key is the token's hash, never the secret.
type tokenCache struct {
	next Authenticator
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	entries map[[32]byte]cachedPrincipal
}

type cachedPrincipal struct {
	p       auth.Principal
	expires time.Time
}

func newTokenCache(next Authenticator, ttl time.Duration) *tokenCache {
	return &tokenCache{next: next, ttl: ttl, now: time.Now, entries: map[[32]byte]cachedPrincipal{}}
}

// forget drops the token id from the cache, once revoked here.
func (c *tokenCache) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.p.TokenID == id {
			delete(c.entries, k)
		}
	}
}

func (c *tokenCache) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	key := sha256.Sum256([]byte(token))
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.p, nil
	}
	p, err := c.next.Authenticate(ctx, token)
	if err != nil {
		return p, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= 10000 { // many tokens at once: start again rather than grow
		clear(c.entries)
	}
	c.entries[key] = cachedPrincipal{p, now.Add(c.ttl)}
	return p, nil
}

// me answers who the caller is and what it may do, for the console.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	p, _ := principalOf(r.Context())
	perms := auth.Permissions[p.Role]
	writeJSON(w, http.StatusOK, map[string]any{
		"token_id": p.TokenID, "role": p.Role, "town_code": p.TownCode, "department": p.Department,
		"permissions": perms,
	})
	return nil
}

// scopeFilter narrows a list's town and department filters to the
// caller's: a town-scoped caller sees its town, a department officer the
// rows its department holds.
func scopeFilter(ctx context.Context, town, department *string) error {
	if err := scopeTown(ctx, town); err != nil {
		return err
	}
	p, ok := principalOf(ctx)
	if !ok || p.Role != auth.Department {
		return nil
	}
	if *department != "" && *department != p.Department {
		return derrors.New(derrors.Forbidden, "a token of department %s may not read department %s", p.Department, *department)
	}
	*department = p.Department
	return nil
}

// seeRow is seeTown for a row a department holds too (a task, a lead): a
// department officer sees only its department's.
func seeRow(ctx context.Context, town, department, what string) error {
	if err := seeTown(ctx, town, what); err != nil {
		return err
	}
	if p, ok := principalOf(ctx); ok && p.Role == auth.Department && department != p.Department {
		return derrors.New(derrors.NotFound, "%s not found", what)
	}
	return nil
}

// scopeAssignee forbids a town-scoped caller the plans and visits of an
// assignee outside its town: division codes begin with their town's code.
func scopeAssignee(ctx context.Context, assignee string) error {
	p, ok := principalOf(ctx)
	if !ok || p.CityWide() || strings.HasPrefix(assignee, p.TownCode) {
		return nil
	}
	return derrors.New(derrors.Forbidden, "a token of town %s may not read the work of %s", p.TownCode, assignee)
}

// entityInScope answers NotFound when the entity uscc lies outside the
// caller's town, before a write that concerns it.
func (s *Server) entityInScope(ctx context.Context, uscc supervision.USCC) error {
	p, ok := principalOf(ctx)
	if !ok || p.CityWide() {
		return nil
	}
	rd, err := s.entityReader()
	if err != nil {
		return err
	}
	rec, err := rd.Entity(ctx, uscc)
	if err != nil {
		return err
	}
	return seeTown(ctx, rec.Link.TownCode, "entity "+string(uscc))
}

// taskInScope and leadInScope check the row a step acts on.
func (s *Server) taskInScope(ctx context.Context, wf workflow, id int64) error {
	if p, ok := principalOf(ctx); !ok || p.CityWide() && p.Role != auth.Department {
		return nil
	}
	t, _, err := wf.Task(ctx, id)
	if err != nil {
		return err
	}
	return seeRow(ctx, t.TownCode, t.Department, fmt.Sprintf("task %d", id))
}

func (s *Server) leadInScope(ctx context.Context, wf workflow, id int64) error {
	if p, ok := principalOf(ctx); !ok || p.CityWide() && p.Role != auth.Department {
		return nil
	}
	l, err := wf.Lead(ctx, id)
	if err != nil {
		return err
	}
	return seeRow(ctx, l.TownCode, l.Department, fmt.Sprintf("lead %d", id))
}
