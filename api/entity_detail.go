package api

import (
	"context"
	"time"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/supervision"
)

// EntityHistory reads what surrounds one entity: its tasks, inspections,
// leads and records. The workflow store implements it.
type EntityHistory interface {
	EntityTasks(ctx context.Context, uscc supervision.USCC) ([]supervision.Task, error)
	EntityInspections(ctx context.Context, uscc supervision.USCC, limit int) ([]supervision.InspectionRecord, error)
	EntityLeads(ctx context.Context, uscc supervision.USCC) ([]supervision.Lead, error)
	EntityComplaints(ctx context.Context, uscc supervision.USCC) ([]supervision.Complaint, error)
	EntityViolations(ctx context.Context, uscc supervision.USCC) ([]supervision.Violation, error)
	EntityAbnormal(ctx context.Context, uscc supervision.USCC) ([]supervision.AbnormalListing, error)
}

// entityInspectionsShown is how many of an entity's inspections (the
// latest) GET /v1/entities/{uscc} shows; GET /v1/inspections?uscc= pages
// through all.
const entityInspectionsShown = 50

// entityDetailJSON is GET /v1/entities/{uscc}: the entity with its link,
// and everything the supervision workflow knows about it.
type entityDetailJSON struct {
	entityJSON
	// Each list is null when the caller may not read it (a clerk sees no
	// tasks, inspections, leads, complaints or flags), [] when empty.
	Tasks       []taskJSON       `json:"tasks"`       // read_tasks
	Inspections []inspectionJSON `json:"inspections"` // read_tasks
	Leads       []leadJSON       `json:"leads"`       // read_leads
	Complaints  []complaintJSON  `json:"complaints"`  // read_tasks
	Violations  []violationJSON  `json:"violations"`
	Abnormal    []abnormalJSON   `json:"abnormal"`
	Flags       []flagJSON       `json:"flags,omitempty"` // read_flags; open ones; absent without flags
}

// entityDetail adds the workflow's records to an entity. Without a
// workflow store it returns the entity alone.
func (s *Server) entityDetail(ctx context.Context, rec supervision.EntityRecord) (any, error) {
	w, _ := s.workflow.(workflow)
	h, ok := w.WorkflowStore.(EntityHistory)
	if !ok {
		return entityJSONOf(rec, unmasked(ctx)), nil
	}
	out := entityDetailJSON{entityJSON: entityJSONOf(rec, unmasked(ctx)), Violations: []violationJSON{}, Abnormal: []abnormalJSON{}}
	// may reports whether the caller holds perm (a server without
	// authentication: everyone).
	may := func(perm auth.Permission) bool {
		p, ok := principalOf(ctx)
		return !ok || p.Can(perm)
	}
	now := time.Now()
	if may(auth.ReadTasks) {
		tasks, err := h.EntityTasks(ctx, rec.USCC)
		if err != nil {
			return nil, err
		}
		out.Tasks = make([]taskJSON, 0, len(tasks))
		for _, t := range tasks {
			out.Tasks = append(out.Tasks, toTaskJSON(t, now))
		}
		inspections, err := h.EntityInspections(ctx, rec.USCC, entityInspectionsShown)
		if err != nil {
			return nil, err
		}
		out.Inspections = make([]inspectionJSON, 0, len(inspections))
		for _, in := range inspections {
			out.Inspections = append(out.Inspections, toInspectionJSON(in))
		}
		complaints, err := h.EntityComplaints(ctx, rec.USCC)
		if err != nil {
			return nil, err
		}
		out.Complaints = make([]complaintJSON, 0, len(complaints))
		for _, c := range complaints {
			out.Complaints = append(out.Complaints, toComplaintJSON(c))
		}
	}
	if may(auth.ReadLeads) {
		leads, err := h.EntityLeads(ctx, rec.USCC)
		if err != nil {
			return nil, err
		}
		out.Leads = make([]leadJSON, 0, len(leads))
		for _, l := range leads {
			out.Leads = append(out.Leads, toLeadJSON(l))
		}
	}
	violations, err := h.EntityViolations(ctx, rec.USCC)
	if err != nil {
		return nil, err
	}
	for _, v := range violations {
		out.Violations = append(out.Violations, toViolationJSON(v))
	}
	abnormal, err := h.EntityAbnormal(ctx, rec.USCC)
	if err != nil {
		return nil, err
	}
	for _, a := range abnormal {
		out.Abnormal = append(out.Abnormal, toAbnormalJSON(a))
	}
	if may(auth.ReadFlags) {
		if out.Flags, err = s.openFlags(ctx, []supervision.USCC{rec.USCC}, ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// beijing shows a time in China Standard Time, as every time of the API
// is shown (RFC 3339 with +08:00).
func beijing(t time.Time) time.Time { return t.In(supervision.Beijing) }

func beijingPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	b := beijing(*t)
	return &b
}
