package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// WorkflowStore runs the supervision workflow: departments and scope rules,
// tasks, inspections and their items, leads, complaints, violations and the
// abnormal-operation list. Lists are by id; each reports whether another
// page follows. Validation errors name the field; illegal steps are
// conflicts.
type WorkflowStore interface {
	Departments(ctx context.Context) ([]supervision.Department, error)
	ScopeRules(ctx context.Context) ([]supervision.ScopeRule, error)
	ReplaceScopeRules(ctx context.Context, rules []supervision.ScopeRule) error
	InspectionItems(ctx context.Context, townCode string) ([]supervision.Item, error)
	ReplaceTownItems(ctx context.Context, townCode string, items []supervision.Item) ([]supervision.Item, error)

	Tasks(ctx context.Context, f supervision.TaskFilter) ([]supervision.Task, bool, error)
	Task(ctx context.Context, id int64) (supervision.Task, []supervision.TaskEvent, error)
	StepTask(ctx context.Context, id int64, step supervision.TaskStep, p supervision.Policy) (supervision.Task, error)
	RequestCheck(ctx context.Context, req supervision.CheckRequest, p supervision.Policy) (supervision.Task, error)
	Visits(ctx context.Context, assignee string) ([]supervision.Visit, error)

	RecordInspection(ctx context.Context, in supervision.Inspection, taskIDs []int64) (supervision.InspectionRecord, error)
	Inspection(ctx context.Context, id int64) (supervision.InspectionRecord, error)
	Inspections(ctx context.Context, f supervision.InspectionFilter) ([]supervision.InspectionRecord, bool, error)

	CreateLead(ctx context.Context, l supervision.Lead) (supervision.Lead, error)
	Lead(ctx context.Context, id int64) (supervision.Lead, error)
	Leads(ctx context.Context, f supervision.LeadFilter) ([]supervision.Lead, bool, error)
	StepLead(ctx context.Context, id int64, action supervision.LeadAction, actor, department, note string) (supervision.Lead, error)

	AddComplaint(ctx context.Context, c supervision.Complaint) (supervision.Complaint, bool, error)
	Complaints(ctx context.Context, f supervision.ComplaintFilter) ([]supervision.Complaint, bool, error)
	AddViolation(ctx context.Context, v supervision.Violation) (supervision.Violation, bool, error)
	Violations(ctx context.Context, uscc supervision.USCC, after int64, limit int) ([]supervision.Violation, bool, error)
	ListAbnormal(ctx context.Context, a supervision.AbnormalListing) (supervision.AbnormalListing, bool, error)
	RemoveAbnormal(ctx context.Context, uscc supervision.USCC, reason supervision.AbnormalReason, removedAt time.Time) (supervision.AbnormalListing, error)
}

// workflow is the store with the deadlines of the tasks the API creates or
// re-routes. The Server keeps it in its workflow field; WithWorkflow and
// WithTaskPolicy each set their half, in either order.
type workflow struct {
	WorkflowStore
	policy supervision.Policy
}

// WithWorkflow enables the workflow routes over st.
func WithWorkflow(st WorkflowStore) Option {
	return func(s *Server) {
		w, _ := s.workflow.(workflow)
		w.WorkflowStore = st
		s.workflow = w
	}
}

// WithTaskPolicy sets the deadlines (working days, holiday calendar) of the
// tasks the workflow routes re-assign or create. Without it they count
// the default days over weekends only.
func WithTaskPolicy(p supervision.Policy) Option {
	return func(s *Server) {
		w, _ := s.workflow.(workflow)
		w.policy = p.WithDefaults()
		s.workflow = w
	}
}

// flow returns the workflow store, or 503 when the server has none.
func (s *Server) flow() (workflow, error) {
	w, _ := s.workflow.(workflow)
	if w.WorkflowStore == nil {
		return workflow{}, derrors.New(derrors.Unavailable, "the supervision workflow is not enabled on this server")
	}
	return w, nil
}

func (s *Server) workflowRoutes(r *mux.Router) {
	get, post, put := http.MethodGet, http.MethodPost, http.MethodPut
	s.add(r, []route{
		{get, "/v1/departments", auth.ReadTasks, s.listDepartments},
		{get, "/v1/rules/scope", auth.ReadTasks, s.getScopeRules},
		{put, "/v1/rules/scope", auth.ManageRules, s.putScopeRules},
		{get, "/v1/inspection-items", auth.ReadTasks, s.listInspectionItems},
		{put, "/v1/towns/{code}/inspection-items", auth.ManageRules, s.putTownItems},

		// /v1/tasks/visits before /v1/tasks/{id}, which would take it.
		{get, "/v1/tasks/visits", auth.ReadTasks, s.taskVisits},
		{get, "/v1/tasks", auth.ReadTasks, s.listTasks},
		{post, "/v1/tasks", auth.WriteTasks, s.requestCheck},
		{get, "/v1/tasks/{id}", auth.ReadTasks, s.getTask},
		{post, "/v1/tasks/{id}/receive", auth.WriteTasks, s.taskStep(supervision.TaskReceive)},
		{post, "/v1/tasks/{id}/feedback", auth.WriteTasks, s.taskStep(supervision.TaskAnswer)},
		{post, "/v1/tasks/{id}/complete", auth.WriteTasks, s.taskStep(supervision.TaskComplete)},
		{post, "/v1/tasks/{id}/return", auth.WriteTasks, s.taskStep(supervision.TaskReturn)},
		{post, "/v1/tasks/{id}/assign", auth.WriteTasks, s.taskStep(supervision.TaskAssign)},

		{post, "/v1/inspections", auth.WriteInspections, s.postInspection},
		{get, "/v1/inspections", auth.ReadTasks, s.listInspections},
		{get, "/v1/inspections/{id}", auth.ReadTasks, s.getInspection},

		{post, "/v1/leads", auth.WriteInspections, s.postLead},
		{get, "/v1/leads", auth.ReadLeads, s.listLeads},
		{get, "/v1/leads/{id}", auth.ReadLeads, s.getLead},
		{post, "/v1/leads/{id}/transfer", auth.HandleLeads, s.leadStep(supervision.LeadTransfer)},
		{post, "/v1/leads/{id}/escalate", auth.HandleLeads, s.leadStep(supervision.LeadEscalate)},
		{post, "/v1/leads/{id}/decide", auth.HandleLeads, s.leadStep(supervision.LeadDecide)},
		{post, "/v1/leads/{id}/accept", auth.HandleLeads, s.leadStep(supervision.LeadAccept)},
		{post, "/v1/leads/{id}/close", auth.HandleLeads, s.leadStep(supervision.LeadClose)},

		{post, "/v1/complaints", auth.WriteInspections, s.postComplaint},
		{get, "/v1/complaints", auth.ReadTasks, s.listComplaints},
		{post, "/v1/violations", auth.WriteInspections, s.postViolation},
		{get, "/v1/violations", auth.ReadEntities, s.listViolations},
		{post, "/v1/entities/{uscc}/abnormal", auth.WriteEntities, s.abnormal(false)},
		{post, "/v1/entities/{uscc}/abnormal/remove", auth.WriteEntities, s.abnormal(true)},
	})
}

// asInvalid turns the domain's validation error into a 400 naming the
// field, prefixed with prefix ("items[2]." for an element).
func asInvalid(err error, prefix string) error {
	var fe *supervision.FieldError
	if errors.As(err, &fe) {
		return derrors.Field(prefix+fe.Field, "%s", fe.Message)
	}
	return err
}

// Paging of the workflow's lists.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// listPage reads limit and cursor. A cursor is the id of the last row of
// the previous page, encoded so that clients treat it as opaque.
func listPage(r *http.Request) (after int64, limit int, err error) {
	q := r.URL.Query()
	limit = defaultListLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			return 0, 0, derrors.Field("limit", "must be an integer from 1 to %d, not %q", maxListLimit, v)
		}
		limit = n
	}
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		id, ok := strings.CutPrefix(string(b), "id:")
		n, perr := strconv.ParseInt(id, 10, 64)
		if err != nil || !ok || perr != nil || n < 1 {
			return 0, 0, derrors.Field("cursor", "is not a cursor this API returned: %q", v)
		}
		after = n
	}
	return after, limit, nil
}

// writeList writes {"items": [...], "next": cursor or null}, the cursor
// pointing after lastID when more rows follow.
func writeList[T any](w http.ResponseWriter, items []T, more bool, lastID int64) {
	var next *string
	if more {
		c := base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(lastID, 10)))
		next = &c
	}
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": next})
}

// writePage writes a page of rows as the API shows them (show), the
// cursor after the last row's id.
func writePage[T, J any](w http.ResponseWriter, rows []T, more bool, show func(T) J, id func(T) int64) {
	items := make([]J, len(rows))
	var last int64
	for i, row := range rows {
		items[i], last = show(row), id(row)
	}
	writeList(w, items, more, last)
}

// idVar reads a positive integer id from the path.
func idVar(r *http.Request, name string) (int64, error) {
	raw := mux.Vars(r)[name]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, derrors.Field(name, "must be a positive integer id, not %q", raw)
	}
	return id, nil
}

// query reads the parameters of a list, keeping the first error.
type query struct {
	r   *http.Request
	err error
}

func (q *query) fail(err error) {
	if q.err == nil {
		q.err = err
	}
}

// time reads an optional RFC 3339 time.
func (q *query) time(name string) *time.Time {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		q.fail(derrors.Field(name, "%q is not an RFC 3339 time (2026-11-27T09:30:00+08:00)", v))
		return nil
	}
	return &t
}

// code reads an optional division code of the given length.
func (q *query) code(name, what string, digits int) string {
	v := q.r.URL.Query().Get(name)
	if v != "" && (len(v) != digits || strings.Trim(v, "0123456789") != "") {
		q.fail(derrors.Field(name, "must be a %d-digit %s code, not %q", digits, what, v))
	}
	return v
}

// uscc reads an optional unified social credit code.
func (q *query) uscc(name string) supervision.USCC {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return ""
	}
	u, err := supervision.ParseUSCC(v)
	if err != nil {
		q.fail(derrors.Field(name, "%v", err))
	}
	return u
}

// parsed reads an optional value with parse, which names what it wants.
func parsed[T ~string](q *query, name string, parse func(string) (T, error)) T {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return ""
	}
	t, err := parse(v)
	if err != nil {
		q.fail(derrors.Field(name, "%v", err))
	}
	return t
}

// page reads limit and cursor.
func (q *query) page() (after int64, limit int) {
	after, limit, err := listPage(q.r)
	q.fail(err)
	return after, limit
}

// usccVar reads the unified social credit code of the path.
func usccVar(r *http.Request) (supervision.USCC, error) {
	u, err := supervision.ParseUSCC(mux.Vars(r)["uscc"])
	if err != nil {
		return "", derrors.Field("uscc", "%v", err)
	}
	return u, nil
}

// flowID returns the workflow store and the id of the path.
func (s *Server) flowID(r *http.Request) (workflow, int64, error) {
	wf, err := s.flow()
	if err != nil {
		return wf, 0, err
	}
	id, err := idVar(r, "id")
	return wf, id, err
}

// pointInput is a client's point: a GeoJSON Point in the declared crs.
// It returns the WGS84 point, refusing what is not on the planet.
func pointInput(field string, raw json.RawMessage, crs string) (geo.WGS84, geo.CRS, error) {
	c, err := geo.ParseCRS(crs)
	if err != nil {
		return geo.WGS84{}, "", derrors.Field("crs", "%v", err)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return geo.WGS84{}, "", derrors.Field(field, "is required: a GeoJSON Point")
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return geo.WGS84{}, "", derrors.Field(field, "is not a GeoJSON geometry: %v", err)
	}
	p, ok := g.Coordinates.(orb.Point)
	if !ok {
		return geo.WGS84{}, "", derrors.Field(field, "must be a GeoJSON Point, not a %s", g.Type)
	}
	if !(geo.WGS84{Lon: p[0], Lat: p[1]}).Valid() || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
		return geo.WGS84{}, "", derrors.Field(field, "[%v, %v] is not on the planet: longitude -180 to 180, latitude -90 to 90, in that order", p[0], p[1])
	}
	return geo.ToWGS84(c, p[0], p[1]), c, nil
}

// pointJSON is a WGS84 point as GeoJSON, or null.
func pointJSON(p *geo.WGS84) *geojson.Geometry {
	if p == nil {
		return nil
	}
	return geojson.NewGeometry(rounded(p.Point()))
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func idOrNil(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// GET /v1/departments
func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	ds, err := wf.Departments(r.Context())
	if err != nil {
		return err
	}
	writeList(w, ds, false, 0)
	return nil
}

// scopeRulesBody is the rule set, read and written whole.
type scopeRulesBody struct {
	Rules []supervision.ScopeRule `json:"rules"`
}

// GET /v1/rules/scope
func (s *Server) getScopeRules(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	rules, err := wf.ScopeRules(r.Context())
	if err != nil {
		return err
	}
	if rules == nil {
		rules = []supervision.ScopeRule{}
	}
	writeJSON(w, http.StatusOK, scopeRulesBody{Rules: rules})
	return nil
}

// PUT /v1/rules/scope replaces every rule at once.
func (s *Server) putScopeRules(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	var body scopeRulesBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Rules == nil {
		return derrors.Field("rules", "is required (an empty list removes every rule)")
	}
	if err := wf.ReplaceScopeRules(r.Context(), body.Rules); err != nil {
		return err
	}
	return s.getScopeRules(w, r)
}

// GET /v1/inspection-items?town=CODE
func (s *Server) listInspectionItems(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	q := &query{r: r}
	town := q.code("town", "town", 9)
	if q.err != nil {
		return q.err
	}
	items, err := wf.InspectionItems(r.Context(), town)
	if err != nil {
		return err
	}
	writeList(w, items, false, 0)
	return nil
}

// PUT /v1/towns/{code}/inspection-items replaces the town's own items.
func (s *Server) putTownItems(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	code := mux.Vars(r)["code"]
	if !townCode.MatchString(code) {
		return derrors.Field("code", "must be a 9-digit town code, not %q", code)
	}
	var body struct {
		Items []supervision.Item `json:"items"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Items == nil {
		return derrors.Field("items", "is required (an empty list removes the town's items)")
	}
	items, err := wf.ReplaceTownItems(r.Context(), code, body.Items)
	if err != nil {
		return err
	}
	writeList(w, items, false, 0)
	return nil
}
