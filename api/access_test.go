package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
)

// roleTokens authenticates "gs_<role>" as a city-wide principal of that
// role (grid managers and department officers get their scope), so the
// matrix test can act as every role without a database; the tokens
// themselves are tested against PostGIS in postgres/tokens_test.go and
// access_db_test.go.
type roleTokens struct{}

func (roleTokens) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	role, err := auth.ParseRole(strings.TrimPrefix(token, "gs_"))
	if err != nil {
		return auth.Principal{}, derrors.New(derrors.Unauthorized, "unknown token")
	}
	p := auth.Principal{TokenID: 1, Role: role}
	switch role {
	case auth.GridManager:
		p.TownCode = "441900003"
	case auth.Department:
		p.Department = "market"
	}
	return p, nil
}

// exampleVars fill a route template's variables with well-formed values.
var exampleVars = map[string]string{
	"{uscc}": "91441900MA4UTEST01", "{id}": "1", "{code}": "441900003", "{assignee}": "441900003",
	"{layers}": "buildings", "{z}": "14", "{x}": "13372", "{y}": "7121",
}

func examplePath(template string) string {
	for k, v := range exampleVars {
		template = strings.ReplaceAll(template, k, v)
	}
	return template
}

// TestEveryRouteHasAPermission walks the router: every route is either
// public by name or registered with the permission it needs.
func TestEveryRouteHasAPermission(t *testing.T) {
	s := New(Config{}, nil, nil, slog.New(slog.DiscardHandler), WithConsole(fstest.MapFS{"index.html": {Data: []byte("<html>")}}))
	seen := 0
	err := s.router.Walk(func(route *mux.Route, router *mux.Router, ancestors []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		if tpl == "/assets/" { // a path prefix: every method of it is a file read
			if !publicRoutes["GET /assets/"] {
				t.Error("/assets/ is neither public nor protected")
			}
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			t.Errorf("%s: no methods: %v", tpl, err)
			return nil
		}
		for _, m := range methods {
			key := m + " " + tpl
			_, protected := s.access[key]
			if m == http.MethodHead && publicRoutes["GET "+tpl] {
				continue
			}
			if protected == publicRoutes[key] {
				t.Errorf("%s: protected %v, public %v: want exactly one", key, protected, publicRoutes[key])
			}
			seen++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 60 {
		t.Errorf("walked %d routes; the API has more than 60", seen)
	}
	// Every permission but unmask (a query parameter) guards some route.
	used := map[auth.Permission]bool{}
	for _, ep := range s.access {
		used[ep.perm] = true
	}
	for _, perm := range auth.AllPermissions {
		if !used[perm] && perm != auth.Unmask {
			t.Errorf("no route needs %s", perm)
		}
	}
}

// TestRoleEndpointMatrix asks every route as every role: a role without
// the route's permission gets 403, one with it gets past authorization
// (the handler then answers as it may without its stores: 400, 404, 503).
// Without a token every protected route answers 401.
func TestRoleEndpointMatrix(t *testing.T) {
	s := New(Config{}, nil, nil, slog.New(slog.DiscardHandler), WithAuthenticator(roleTokens{}))
	h := s.Handler()
	do := func(method, path, token string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Body)
		return rec.Code, string(body)
	}
	for key, ep := range s.access {
		method, tpl, _ := strings.Cut(key, " ")
		path := examplePath(tpl)
		if code, body := do(method, path, ""); code != http.StatusUnauthorized || !strings.Contains(body, "Authorization: Bearer") {
			t.Errorf("%s without a token: %d %s, want 401 saying how to send one", key, code, body)
		}
		if code, _ := do(method, path, "gs_nobody"); code != http.StatusUnauthorized {
			t.Errorf("%s with an unknown token: %d, want 401", key, code)
		}
		for _, role := range auth.Roles {
			code, body := do(method, path, "gs_"+string(role))
			allowed := ep.perm == "" || auth.Permissions[role] != nil && auth.Principal{Role: role}.Can(ep.perm)
			switch {
			case !allowed && code != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403 (no %s)", key, role, code, ep.perm)
			case !allowed && !strings.Contains(body, string(role)):
				t.Errorf("%s as %s: 403 %s does not name the role", key, role, body)
			case allowed && (code == http.StatusForbidden || code == http.StatusUnauthorized):
				t.Errorf("%s as %s: %d %s, want it past authorization", key, role, code, body)
			}
		}
	}
}

// TestPublicTiles: tiles need a token unless the server is configured to
// serve them to anyone; the rest of the API needs one either way.
func TestPublicTiles(t *testing.T) {
	for _, public := range []bool{false, true} {
		s := New(Config{PublicTiles: public}, nil, nil, slog.New(slog.DiscardHandler), WithAuthenticator(roleTokens{}))
		for path, wantOpen := range map[string]bool{"/tiles": public, "/tiles/buildings/14/13372/7121.mvt": public, "/v1/divisions": false} {
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if open := rec.Code != http.StatusUnauthorized; open != wantOpen {
				t.Errorf("public tiles %v: GET %s without a token = %d", public, path, rec.Code)
			}
		}
		// A tile reader may give the token as ?access_token=.
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tiles?access_token=gs_nobody", nil))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("public tiles %v: a bad access_token = %d, want 401", public, rec.Code)
		}
	}
}

func TestRateLimits(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	l := newRateLimits(2, 3) // 2/s in bursts of 3
	l.now = func() time.Time { return now }
	for i := range 3 {
		if err := l.allow("a"); err != nil {
			t.Fatalf("request %d of the burst: %v", i+1, err)
		}
	}
	err := l.allow("a")
	var limited errRateLimited
	if !errors.As(err, &limited) || limited.retryAfter != 500*time.Millisecond || limited.retryAfterSeconds() != "1" {
		t.Fatalf("4th request: %v, want 429 after 500ms", err)
	}
	if err := l.allow("b"); err != nil {
		t.Errorf("another caller shares the bucket: %v", err)
	}
	now = now.Add(500 * time.Millisecond)
	if err := l.allow("a"); err != nil {
		t.Errorf("after the wait: %v", err)
	}
	if err := l.allow("a"); err == nil {
		t.Error("the refused request was counted as nothing, but the bucket refilled twice")
	}
	// Idle callers are forgotten after a minute.
	now = now.Add(2 * time.Minute)
	_ = l.allow("c")
	if _, ok := l.buckets["a"]; ok {
		t.Error("an idle bucket was kept")
	}
}

// TestRateLimitHTTP: the 429 carries Retry-After and an error body, per token.
func TestRateLimitHTTP(t *testing.T) {
	s := New(Config{RateLimit: 1, RateBurst: 2}, nil, nil, slog.New(slog.DiscardHandler), WithAuthenticator(roleTokens{}))
	get := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}
	for range 2 {
		if rec := get("gs_admin"); rec.Code != http.StatusOK {
			t.Fatalf("within the burst: %d %s", rec.Code, rec.Body)
		}
	}
	rec := get("gs_admin")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" ||
		!strings.Contains(rec.Body.String(), `"code":"rate_limited"`) {
		t.Errorf("over the rate: %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if rec := get("gs_clerk"); rec.Code != http.StatusOK {
		t.Errorf("another token: %d", rec.Code)
	}
}

// TestTokenCache: a checked token is trusted for the TTL only.
func TestTokenCache(t *testing.T) {
	calls := 0
	next := authFunc(func(ctx context.Context, token string) (auth.Principal, error) {
		calls++
		if token == "gs_revoked" {
			return auth.Principal{}, derrors.New(derrors.Unauthorized, "revoked")
		}
		return auth.Principal{TokenID: 7, Role: auth.Clerk}, nil
	})
	c := newTokenCache(next, 10*time.Second)
	now := time.Now()
	c.now = func() time.Time { return now }
	for range 3 {
		if p, err := c.Authenticate(context.Background(), "gs_good"); err != nil || p.TokenID != 7 {
			t.Fatalf("%v %v", p, err)
		}
	}
	if calls != 1 {
		t.Errorf("%d look-ups within the TTL, want 1", calls)
	}
	now = now.Add(11 * time.Second)
	_, _ = c.Authenticate(context.Background(), "gs_good")
	if calls != 2 {
		t.Errorf("after the TTL: %d look-ups, want 2", calls)
	}
	for range 2 {
		if _, err := c.Authenticate(context.Background(), "gs_revoked"); err == nil {
			t.Error("a refused token passed")
		}
	}
	if calls != 4 {
		t.Errorf("refusals were cached: %d look-ups, want 4", calls)
	}
}

type authFunc func(ctx context.Context, token string) (auth.Principal, error)

func (f authFunc) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	return f(ctx, token)
}

func TestScopeTown(t *testing.T) {
	scoped := context.WithValue(context.Background(), principalKey, auth.Principal{Role: auth.GridManager, TownCode: "441900003"})
	city := context.WithValue(context.Background(), principalKey, auth.Principal{Role: auth.Coordinator})
	for _, c := range []struct {
		name      string
		ctx       context.Context
		town      string
		want      string
		forbidden bool
	}{
		{"scoped, no filter", scoped, "", "441900003", false},
		{"scoped, own town", scoped, "441900003", "441900003", false},
		{"scoped, other town", scoped, "441900004", "", true},
		{"city-wide, no filter", city, "", "", false},
		{"city-wide, any town", city, "441900004", "441900004", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			town := c.town
			err := scopeTown(c.ctx, &town)
			if c.forbidden {
				if derrors.Code(err) != "forbidden" {
					t.Errorf("err %v, want forbidden", err)
				}
				return
			}
			if err != nil || town != c.want {
				t.Errorf("town %q err %v, want %q", town, err, c.want)
			}
		})
	}
	if err := seeTown(scoped, "441900004", "task 9"); derrors.Code(err) != "not_found" || !strings.Contains(err.Error(), "task 9 not found") {
		t.Errorf("a row of another town: %v, want not found", err)
	}
	if err := seeTown(scoped, "", "entity X"); derrors.Code(err) != "not_found" {
		t.Errorf("a row of no town: %v, want not found to a town-scoped caller", err)
	}
}
