package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/derrors"
)

// AuditLog keeps the audit log: the middleware appends an entry for every
// write and sensitive read; GET /v1/audit reads them back. The log is
// append-only, so there is nothing else.
type AuditLog interface {
	// AppendAudit appends e (cleaned, see audit.Entry.Clean) and returns its id.
	AppendAudit(ctx context.Context, e audit.Entry) (int64, error)
	// AuditLog returns a page of the entries f selects, newest first, and
	// whether another page follows.
	AuditLog(ctx context.Context, f audit.Filter) ([]audit.Entry, bool, error)
}

// WithAudit keeps the audit log in l.
func WithAudit(l AuditLog) Option { return func(s *Server) { s.audit = l } }

// auditJSON is an entry of the audit log as the API shows it: a field the
// entry does not have is null.
type auditJSON struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	TokenID    *int64         `json:"token_id"`
	Role       *string        `json:"role"`
	TownCode   *string        `json:"town_code"`
	Department *string        `json:"department"`
	Actor      *string        `json:"actor"`
	Action     string         `json:"action"`
	Method     *string        `json:"method"`
	Route      *string        `json:"route"`
	Object     *string        `json:"object"`
	Status     *int           `json:"status"`
	Remote     *string        `json:"remote"`
	RequestID  *string        `json:"request_id"`
	Detail     map[string]any `json:"detail"` // {} when none
}

func toAuditJSON(e audit.Entry) auditJSON {
	out := auditJSON{ID: e.ID, At: beijing(e.At), TokenID: idOrNil(e.TokenID), Role: strOrNil(e.Role),
		TownCode: strOrNil(e.TownCode), Department: strOrNil(e.Department), Actor: strOrNil(e.Actor),
		Action: e.Action, Method: strOrNil(e.Method), Route: strOrNil(e.Route), Object: strOrNil(e.Object),
		Remote: strOrNil(e.Remote), RequestID: strOrNil(e.RequestID), Detail: e.Detail}
	if e.Status != 0 {
		out.Status = &e.Status
	}
	if out.Detail == nil {
		out.Detail = map[string]any{}
	}
	return out
}

// GET /v1/audit?token=&action=&route=&object=&since=&until=&cursor=&limit=:
// the audit log, newest first.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	if s.audit == nil {
		return derrors.New(derrors.Unavailable, "the audit log is not enabled on this server")
	}
	f, err := audit.ParseFilter(r.URL.Query())
	if err != nil {
		return err
	}
	es, more, err := s.audit.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	// writeList's cursor is audit.Cursor of the last id, as ParseFilter reads it.
	writePage(w, es, more, toAuditJSON, func(e audit.Entry) int64 { return e.ID })
	return nil
}
