package api

import (
	"context"
	"net/http"

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
	// Entries have their own JSON (audit.Entry.MarshalJSON), shown in
	// Beijing time; writeList's cursor is audit.Cursor of the last id, as
	// ParseFilter reads it.
	inBeijing := func(e audit.Entry) audit.Entry { e.At = beijing(e.At); return e }
	writePage(w, es, more, inBeijing, func(e audit.Entry) int64 { return e.ID })
	return nil
}
