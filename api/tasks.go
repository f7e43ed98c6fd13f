package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// taskJSON is a task as the API shows it: the status as of the answer,
// overdue included.
type taskJSON struct {
	ID           int64                   `json:"id"`
	USCC         string                  `json:"uscc"`
	Kind         string                  `json:"kind"`
	Assignee     string                  `json:"assignee"`
	Department   *string                 `json:"department"`
	TownCode     *string                 `json:"town_code"`
	VillageCode  *string                 `json:"village_code"`
	GridCode     *string                 `json:"grid_code"`
	BuildingID   *int64                  `json:"building_id"`
	Reason       string                  `json:"reason"`
	Keywords     []string                `json:"keywords"`
	Items        []string                `json:"items"`
	Status       string                  `json:"status"`
	PushedAt     time.Time               `json:"pushed_at"`
	DueAt        time.Time               `json:"due_at"`
	ReceivedAt   *time.Time              `json:"received_at"`
	FeedbackAt   *time.Time              `json:"feedback_at"`
	DoneAt       *time.Time              `json:"done_at"`
	ReturnedAt   *time.Time              `json:"returned_at"`
	Feedback     string                  `json:"feedback"`
	ReturnReason *string                 `json:"return_reason"`
	InspectionID *int64                  `json:"inspection_id"`
	History      []supervision.TaskEvent `json:"history,omitempty"`
}

func toTaskJSON(t supervision.Task, now time.Time) taskJSON {
	out := taskJSON{ID: t.ID, USCC: string(t.USCC), Kind: string(t.Kind), Assignee: t.Assignee,
		Department: strOrNil(t.Department), TownCode: strOrNil(t.TownCode), VillageCode: strOrNil(t.VillageCode),
		GridCode: strOrNil(t.GridCode), BuildingID: idOrNil(t.BuildingID), Reason: t.Reason,
		Keywords: t.Keywords, Items: t.Items, Status: string(t.StatusAt(now)), PushedAt: beijing(t.PushedAt), DueAt: beijing(t.DueAt),
		ReceivedAt: beijingPtr(t.ReceivedAt), FeedbackAt: beijingPtr(t.FeedbackAt), DoneAt: beijingPtr(t.DoneAt),
		ReturnedAt: beijingPtr(t.ReturnedAt),
		Feedback:   t.Feedback, ReturnReason: strOrNil(t.ReturnReason), InspectionID: t.InspectionID}
	if out.Keywords == nil {
		out.Keywords = []string{}
	}
	if out.Items == nil {
		out.Items = []string{}
	}
	return out
}

// GET /v1/tasks?assignee=&status=&due_before=&due_after=&town=&grid=&uscc=&kind=&department=
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	q := &query{r: r}
	f := supervision.TaskFilter{Assignee: r.URL.Query().Get("assignee"), Department: r.URL.Query().Get("department"),
		Status: parsed(q, "status", supervision.ParseTaskStatus), Kind: parsed(q, "kind", supervision.ParseTaskKind),
		DueBefore: q.time("due_before"), DueAfter: q.time("due_after"), TownCode: q.code("town", "town", 9),
		GridCode: q.code("grid", "grid", 15), USCC: q.uscc("uscc"), Now: time.Now()}
	if f.After, f.Limit = q.page(); q.err != nil {
		return q.err
	}
	if err := scopeFilter(r.Context(), &f.TownCode, &f.Department); err != nil {
		return err
	}
	ts, more, err := wf.Tasks(r.Context(), f)
	if err != nil {
		return err
	}
	writePage(w, ts, more, func(t supervision.Task) taskJSON { return toTaskJSON(t, f.Now) },
		func(t supervision.Task) int64 { return t.ID })
	return nil
}

// GET /v1/tasks/{id}: the task with its history.
func (s *Server) getTask(w http.ResponseWriter, r *http.Request) error {
	wf, id, err := s.flowID(r)
	if err != nil {
		return err
	}
	t, events, err := wf.Task(r.Context(), id)
	if err != nil {
		return err
	}
	if err := seeRow(r.Context(), t.TownCode, t.Department, fmt.Sprintf("task %d", id)); err != nil {
		return err
	}
	out := toTaskJSON(t, time.Now())
	out.History = events
	for i := range out.History {
		out.History[i].At = beijing(out.History[i].At)
	}
	if out.History == nil {
		out.History = []supervision.TaskEvent{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// taskStepBody is the body of every step on a task; each step reads its
// own fields and refuses the others.
type taskStepBody struct {
	Actor    string  `json:"actor"`
	Note     string  `json:"note"`
	Feedback *string `json:"feedback"`
	Done     *bool   `json:"done"`
	Reason   *string `json:"reason"`
	Assignee *string `json:"assignee"`
}

// POST /v1/tasks/{id}/receive|feedback|complete|return|assign
func (s *Server) taskStep(action supervision.TaskAction) handlerFunc {
	allowed := map[supervision.TaskAction][]string{
		supervision.TaskAnswer: {"feedback", "done"},
		supervision.TaskReturn: {"reason"},
		supervision.TaskAssign: {"assignee"},
	}[action]
	return func(w http.ResponseWriter, r *http.Request) error {
		wf, id, err := s.flowID(r)
		if err != nil {
			return err
		}
		var body taskStepBody
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		step := supervision.TaskStep{Action: action, Actor: body.Actor, Note: body.Note}
		for name, set := range map[string]bool{"feedback": body.Feedback != nil, "done": body.Done != nil,
			"reason": body.Reason != nil, "assignee": body.Assignee != nil} {
			if set && !slices.Contains(allowed, name) {
				return derrors.Field(name, "is not a field of %s", action)
			}
		}
		if body.Feedback != nil {
			step.Feedback = *body.Feedback
		}
		if body.Done != nil {
			step.Done = *body.Done
		}
		if body.Reason != nil {
			step.Reason = supervision.ReturnReason(*body.Reason)
		}
		if body.Assignee != nil {
			step.Assignee = *body.Assignee
		}
		if err := s.taskInScope(r.Context(), wf, id); err != nil {
			return err
		}
		t, err := wf.StepTask(r.Context(), id, step, wf.policy)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, toTaskJSON(t, time.Now()))
		return nil
	}
}

// POST /v1/tasks: a department asks for an on-site check of an entity.
func (s *Server) requestCheck(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	var body struct {
		USCC       string   `json:"uscc"`
		Department string   `json:"department"`
		Items      []string `json:"items"`
		Reason     string   `json:"reason"`
		DueInDays  int      `json:"due_in_days"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	u, err := supervision.ParseUSCC(body.USCC)
	if err != nil {
		return derrors.Field("uscc", "%v", err)
	}
	if err := s.entityInScope(r.Context(), u); err != nil {
		return err
	}
	t, err := wf.RequestCheck(r.Context(), supervision.CheckRequest{USCC: u, Department: body.Department,
		Items: body.Items, Reason: body.Reason, DueInDays: body.DueInDays}, wf.policy)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/tasks/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, toTaskJSON(t, time.Now()))
	return nil
}

// visitJSON is one stop of "one visit, all items".
type visitJSON struct {
	BuildingID *int64            `json:"building_id"`
	Location   *geojson.Geometry `json:"location"`
	Entities   []visitEntityJSON `json:"entities"`
	Items      []string          `json:"items"`
	DueAt      time.Time         `json:"due_at"`
}

type visitEntityJSON struct {
	USCC  string   `json:"uscc"`
	Name  string   `json:"name"`
	Tasks []int64  `json:"tasks"`
	Items []string `json:"items"`
}

// GET /v1/tasks/visits?assignee=GRID: the assignee's open on-site tasks
// grouped into visits by building, earliest deadline first.
func (s *Server) taskVisits(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.flow()
	if err != nil {
		return err
	}
	assignee := r.URL.Query().Get("assignee")
	if assignee == "" {
		return derrors.Field("assignee", "is required: the grid (village, town) code whose visits to plan")
	}
	if err := scopeAssignee(r.Context(), assignee); err != nil {
		return err
	}
	vs, err := wf.Visits(r.Context(), assignee)
	if err != nil {
		return err
	}
	items := make([]visitJSON, len(vs))
	for i, v := range vs {
		vj := visitJSON{BuildingID: idOrNil(v.BuildingID), Location: pointJSON(v.Location), Items: v.Items, DueAt: beijing(v.DueAt)}
		for _, e := range v.Entities {
			vj.Entities = append(vj.Entities, visitEntityJSON{USCC: string(e.USCC), Name: e.Name, Tasks: e.Tasks, Items: nonNilStrings(e.Items)})
		}
		vj.Items = nonNilStrings(vj.Items)
		items[i] = vj
	}
	writeList(w, items, false, 0)
	return nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
