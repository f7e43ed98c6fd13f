package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/derrors"
)

// reporter is a Checker with details, as serve's readiness reports its
// read replica.
type reporter struct {
	err     error
	details map[string]any
}

func (r reporter) Ready(context.Context) error                 { return r.err }
func (r reporter) ReadyDetails(context.Context) map[string]any { return r.details }

// TestReadyDetails: a ready server adds its checker's details to /readyz
// (never overriding the status); a server that is not ready answers 503
// whatever the details.
func TestReadyDetails(t *testing.T) {
	replica := map[string]any{"state": "down", "reads_to": "primary"}
	for _, tc := range []struct {
		name  string
		ready reporter
		code  int
	}{
		{"ready, replica down", reporter{details: map[string]any{"replica": replica, "status": "overridden?"}}, http.StatusOK},
		{"primary down", reporter{err: derrors.New(derrors.Unavailable, "down"), details: map[string]any{"replica": replica}}, http.StatusServiceUnavailable},
		{"not ready, plain error", reporter{err: errors.New("boom")}, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := api.New(api.Config{}, nil, tc.ready, slog.New(slog.DiscardHandler))
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tc.code {
				t.Fatalf("/readyz = %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if tc.code != http.StatusOK {
				return
			}
			var body struct {
				Status  string         `json:"status"`
				Replica map[string]any `json:"replica"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Status != "ready" || body.Replica["state"] != "down" || body.Replica["reads_to"] != "primary" {
				t.Fatalf("/readyz body %s", rec.Body)
			}
		})
	}
}
