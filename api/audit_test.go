package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/mux"

	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

var _ AuditLog = (*postgres.DB)(nil)

// auditServer serves GET /v1/audit over store on a router of its own (the
// server registers the route behind its permission).
func auditServer(t *testing.T, opts ...Option) *httptest.Server {
	t.Helper()
	s := New(Config{}, nil, nil, slog.New(slog.DiscardHandler), opts...)
	r := mux.NewRouter()
	r.Handle("/v1/audit", s.handle(s.auditLog)).Methods(http.MethodGet)
	ts := httptest.NewServer(r)
	t.Cleanup(ts.Close)
	return ts
}

// getJSON GETs url and decodes the body into v, returning the status.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return resp.StatusCode
}

func TestAuditLogRoute(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	at := time.Date(2026, 11, 27, 1, 30, 15, 0, time.UTC)
	for _, e := range []audit.Entry{
		{At: at, TokenID: 7, Role: "grid_manager", TownCode: "441900003", Department: "amr_food",
			Action: audit.Unmask, Method: "GET", Route: "/v1/entities/{uscc}", Object: "uscc=91441900MA4W1234X5",
			Status: 200, Remote: "10.1.2.3", RequestID: "4f2a9c0d1e3b5a67", Detail: map[string]any{"query": "unmask=true"}},
		{At: at.Add(time.Hour), Actor: "cli:root", Action: audit.Write, Route: "import library"},
		{At: at.Add(2 * time.Hour), TokenID: 8, Role: "admin", Action: audit.Write, Method: "POST",
			Route: "/v1/flags/{id}/review", Object: "id=3", Status: 409},
	} {
		if _, err := db.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	ts := auditServer(t, WithAudit(db))

	type page struct {
		Items []map[string]any `json:"items"`
		Next  *string          `json:"next"`
	}
	var p page
	if code := getJSON(t, ts.URL+"/v1/audit?limit=2", &p); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if len(p.Items) != 2 || p.Items[0]["id"] != 3.0 || p.Items[1]["id"] != 2.0 || p.Next == nil {
		t.Fatalf("first page = %+v, want entries 3 and 2 and a next cursor", p)
	}
	if *p.Next != audit.Cursor(2) {
		t.Errorf("next = %q, want the cursor after entry 2", *p.Next)
	}
	cli := map[string]any{"id": 2.0, "at": "2026-11-27T10:30:15+08:00", "token_id": nil, "role": nil,
		"town_code": nil, "department": nil, "actor": "cli:root", "action": "write", "method": nil,
		"route": "import library", "object": nil, "status": nil, "remote": nil, "request_id": nil,
		"detail": map[string]any{}}
	if diff := cmp.Diff(cli, p.Items[1]); diff != "" {
		t.Errorf("a command's entry (-want +got):\n%s", diff)
	}

	if code := getJSON(t, ts.URL+"/v1/audit?limit=2&cursor="+*p.Next, &p); code != http.StatusOK {
		t.Fatalf("second page: status %d", code)
	}
	unmask := map[string]any{"id": 1.0, "at": "2026-11-27T09:30:15+08:00", "token_id": 7.0, "role": "grid_manager",
		"town_code": "441900003", "department": "amr_food", "actor": nil, "action": "unmask", "method": "GET",
		"route": "/v1/entities/{uscc}", "object": "uscc=91441900MA4W1234X5", "status": 200.0, "remote": "10.1.2.3",
		"request_id": "4f2a9c0d1e3b5a67", "detail": map[string]any{"query": "unmask=true"}}
	if len(p.Items) != 1 || p.Next != nil {
		t.Fatalf("second page = %+v, want one entry and no next", p)
	}
	if diff := cmp.Diff(unmask, p.Items[0]); diff != "" {
		t.Errorf("a request's entry (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name, query string
		ids         []float64
	}{
		{"by token", "token=8", []float64{3}},
		{"by action", "action=write", []float64{3, 2}},
		{"by object", "object=uscc%3D91441900MA4W1234X5", []float64{1}},
		{"by route", "route=/v1/flags/{id}/review", []float64{3}},
		{"in a window", "since=2026-11-27T10:00:00%2B08:00&until=2026-11-27T03:00:00Z", []float64{2}},
		{"nothing matches", "token=99", []float64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p page
			if code := getJSON(t, ts.URL+"/v1/audit?"+tc.query, &p); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			ids := []float64{}
			for _, it := range p.Items {
				ids = append(ids, it["id"].(float64))
			}
			if diff := cmp.Diff(tc.ids, ids); diff != "" || p.Next != nil {
				t.Errorf("ids (-want +got):\n%s next %v", diff, p.Next)
			}
		})
	}
}

func TestAuditLogRouteRejects(t *testing.T) {
	ts := auditServer(t, WithAudit(nopAudit{}))
	for _, tc := range []struct{ query, field string }{
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"since=yesterday", "since"},
		{"since=2026-11-28T00:00:00Z&until=2026-11-27T00:00:00Z", "until"},
		{"token=-1", "token"},
		{"action=drop", "action"},
		{"cursor=bm90IGEgY3Vyc29y", "cursor"},
		{"sinse=2026-11-27T00:00:00Z", "sinse"},
		{"object=%FF", "object"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var body errorBody
			if code := getJSON(t, ts.URL+"/v1/audit?"+tc.query, &body); code != http.StatusBadRequest {
				t.Errorf("status %d, want 400", code)
			}
			if body.Error.Code != "invalid" || body.Error.Details["field"] != tc.field {
				t.Errorf("error %+v, want invalid naming %q", body.Error, tc.field)
			}
		})
	}

	var body errorBody
	if code := getJSON(t, auditServer(t).URL+"/v1/audit", &body); code != http.StatusServiceUnavailable {
		t.Errorf("a server without an audit log: status %d, want 503", code)
	}
}

// nopAudit is a log that holds nothing.
type nopAudit struct{}

func (nopAudit) AppendAudit(context.Context, audit.Entry) (int64, error) { return 1, nil }
func (nopAudit) AuditLog(context.Context, audit.Filter) ([]audit.Entry, bool, error) {
	return nil, false, nil
}
