package supervision

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridsentry/gridsentry/geo"
)

// TaskAction is a step in a task's life, as task_events records it.
type TaskAction string

// Task actions.
const (
	TaskPush     TaskAction = "push"     // the registration feed or a department pushed it
	TaskReceive  TaskAction = "receive"  // the assignee acknowledged it
	TaskAnswer   TaskAction = "feedback" // the assignee answered, possibly closing it
	TaskComplete TaskAction = "complete" // the assignee closed it
	TaskReturn   TaskAction = "return"   // the assignee sent it back to the coordinator
	TaskAssign   TaskAction = "assign"   // the coordinator re-routed it
	TaskInspect  TaskAction = "inspect"  // an on-site inspection answered it
)

// ReturnReason is why an assignee sends a task back to the coordinator.
type ReturnReason string

// Return reasons.
const (
	ReturnWrongDepartment     ReturnReason = "wrong_department"     // not this department's business
	ReturnOutsideJurisdiction ReturnReason = "outside_jurisdiction" // the entity is not in this grid (town)
)

// A TaskStep is one action on a task with what it carries.
type TaskStep struct {
	Action       TaskAction
	Actor        string
	Note         string
	Feedback     string       // TaskAnswer
	Done         bool         // TaskAnswer: the feedback closes the task
	Reason       ReturnReason // TaskReturn
	Assignee     string       // TaskAssign
	InspectionID int64        // TaskInspect
}

// Limits of a step's free text, in characters.
const (
	MaxFeedbackRunes = 2000
	MaxActorRunes    = 100
)

// Validate checks what a step must carry, before the task is looked at:
// feedback text for feedback, a known reason for a return, an assignee for
// an assignment.
func (s TaskStep) Validate() error {
	if utf8.RuneCountInString(s.Actor) > MaxActorRunes || !utf8.ValidString(s.Actor) {
		return fieldErr("actor", "at most %d characters of valid UTF-8", MaxActorRunes)
	}
	if utf8.RuneCountInString(s.Note) > MaxNotesRunes || !utf8.ValidString(s.Note) {
		return fieldErr("note", "at most %d characters of valid UTF-8", MaxNotesRunes)
	}
	switch s.Action {
	case TaskReceive, TaskComplete, TaskInspect, TaskPush:
	case TaskAnswer:
		if strings.TrimSpace(s.Feedback) == "" {
			return fieldErr("feedback", "is required: say what was found or done")
		}
		if utf8.RuneCountInString(s.Feedback) > MaxFeedbackRunes || !utf8.ValidString(s.Feedback) {
			return fieldErr("feedback", "at most %d characters of valid UTF-8", MaxFeedbackRunes)
		}
	case TaskReturn:
		if s.Reason != ReturnWrongDepartment && s.Reason != ReturnOutsideJurisdiction {
			return fieldErr("reason", "unknown reason %q: want wrong_department or outside_jurisdiction", s.Reason)
		}
	case TaskAssign:
		if s.Assignee == "" {
			return fieldErr("assignee", "is required: a department code or a grid, village or town code")
		}
		if s.Assignee == CoordinatorCode {
			return fieldErr("assignee", "the task is with the coordinator already; name a department or a division")
		}
	default:
		return fieldErr("action", "unknown task action %q", s.Action)
	}
	return nil
}

// DaysFor returns the deadline in working days of a task of kind k.
// Checks a department asks for take the change-check deadline.
func (p Policy) DaysFor(k TaskKind) int {
	p = p.WithDefaults()
	switch k {
	case TaskPermit:
		return p.PermitDays
	case TaskFirstCheck:
		return p.FirstCheckDays
	}
	return p.ChangeCheckDays
}

// Apply performs step on t at now, or returns an error saying why the task
// cannot take it (a conflict with its status, not bad input: check the step
// with Validate first). An assignment gets a fresh deadline from p.
//
//	pushed ─receive→ received ─feedback→ feedback ─(done / complete / inspect)→ done
//	any open ─return→ returned (to the coordinator) ─assign→ pushed
func (t *Task) Apply(s TaskStep, now time.Time, p Policy) error {
	open := t.Status.Open()
	switch s.Action {
	case TaskReceive:
		if t.Status != TaskPushed {
			return fmt.Errorf("task %d is %s; only a pushed task can be received", t.ID, t.Status)
		}
		t.Status, t.ReceivedAt = TaskReceived, &now
	case TaskAnswer:
		if !open {
			return fmt.Errorf("task %d is %s; feedback is given on an open task (pushed, received or feedback)", t.ID, t.Status)
		}
		if t.ReceivedAt == nil {
			t.ReceivedAt = &now
		}
		t.Status, t.Feedback, t.FeedbackAt = TaskFeedback, s.Feedback, &now
		if s.Done {
			t.Status, t.DoneAt = TaskDone, &now
		}
	case TaskComplete:
		if !open {
			return fmt.Errorf("task %d is %s; only an open task (pushed, received or feedback) can be completed", t.ID, t.Status)
		}
		t.Status, t.DoneAt = TaskDone, &now
	case TaskReturn:
		if !open {
			return fmt.Errorf("task %d is %s; only an open task (pushed, received or feedback) can be returned", t.ID, t.Status)
		}
		if t.Assignee == CoordinatorCode {
			return fmt.Errorf("task %d is with the coordinator already; the coordinator assigns it instead", t.ID)
		}
		t.Status, t.ReturnedAt, t.ReturnReason, t.Assignee = TaskReturned, &now, string(s.Reason), CoordinatorCode
	case TaskAssign:
		// The coordinator routes what was returned to it, and the open
		// tasks it holds because the link knew no place for them.
		if t.Status != TaskReturned && !(open && t.Assignee == CoordinatorCode) {
			return fmt.Errorf("task %d is %s with %s; only a returned task, or an open one with the coordinator, can be assigned", t.ID, t.Status, t.Assignee)
		}
		t.Assignee, t.Status, t.PushedAt = s.Assignee, TaskPushed, now
		t.DueAt = p.Calendar.Deadline(now, p.DaysFor(t.Kind))
		t.ReceivedAt, t.FeedbackAt, t.Feedback = nil, nil, ""
	case TaskInspect:
		if !open || !t.Kind.OnSite() {
			return fmt.Errorf("task %d (%s) is %s; an inspection closes open on-site tasks only", t.ID, t.Kind, t.Status)
		}
		id := s.InspectionID
		t.Status, t.DoneAt, t.InspectionID = TaskDone, &now, &id
	default:
		return fmt.Errorf("unknown task action %q", s.Action)
	}
	return nil
}

// A TaskEvent is one step of a task's history.
type TaskEvent struct {
	At     time.Time  `json:"at"`
	Action TaskAction `json:"action"`
	Actor  string     `json:"actor"`
	Status TaskStatus `json:"status"` // the stored status after the step
	Note   string     `json:"note,omitempty"`
}

// A CheckRequest is a department asking for an on-site check of an entity
// by the grid it lies in.
type CheckRequest struct {
	USCC       USCC
	Department string
	Items      []string
	Reason     string
	DueInDays  int // working days; 0 takes the policy's check deadline
}

// Validate checks a request against the items of the entity's town.
func (c *CheckRequest) Validate(items []Item) error {
	if c.Department == "" {
		return fieldErr("department", "is required")
	}
	if strings.TrimSpace(c.Reason) == "" || utf8.RuneCountInString(c.Reason) > MaxNotesRunes {
		return fieldErr("reason", "is required, at most %d characters", MaxNotesRunes)
	}
	if len(c.Items) == 0 {
		return fieldErr("items", "name at least one inspection item; the items here are %s", strings.Join(ItemCodes(items), ", "))
	}
	for i, code := range c.Items {
		if !slices.ContainsFunc(items, func(it Item) bool { return it.Code == code }) {
			return fieldErr(fmt.Sprintf("items[%d]", i), "no inspection item %q here; the items are %s", code, strings.Join(ItemCodes(items), ", "))
		}
		if slices.Index(c.Items, code) != i {
			return fieldErr(fmt.Sprintf("items[%d]", i), "%q is named twice", code)
		}
	}
	if c.DueInDays < 0 || c.DueInDays > 60 {
		return fieldErr("due_in_days", "must be 1 to 60 working days, not %d", c.DueInDays)
	}
	return nil
}

// An InspectionRecord is an inspection as stored: with the place of the
// entity's link when it was inspected.
type InspectionRecord struct {
	Inspection
	TownCode   string
	GridCode   string
	BuildingID int64
	CreatedAt  time.Time
	Flags      []Flag // the off-site flag the check-in raised or renewed, when it did
}

// Visits: "one visit, all items". An inspector checks a business once for
// every department's on-site task about it, and the businesses of one
// building in one go.

// A VisitTask is an open on-site task with what a visit plan needs of its
// entity: the name, the building it is linked to now, its location.
type VisitTask struct {
	Task
	Name     string
	Location *geo.WGS84 // of the entity (or its building); nil when unknown
}

// A Visit is one stop of an inspector: a building (or a single entity
// without one), the entities there with their tasks, and every item to
// check.
type Visit struct {
	BuildingID int64 // 0: an entity without a building
	Location   *geo.WGS84
	Entities   []VisitEntity
	Items      []string // the union of the entities' items
	DueAt      time.Time
}

// A VisitEntity is one business of a visit.
type VisitEntity struct {
	USCC  USCC
	Name  string
	Tasks []int64
	Items []string // the union of its tasks' items, in first-seen order
}

// GroupVisits groups open on-site tasks into visits: by building, or by
// entity where the building is unknown. Visits come by earliest deadline,
// entities within a visit by earliest deadline, tasks by deadline; ties go
// by building id, code, task id.
func GroupVisits(tasks []VisitTask) []Visit {
	ts := slices.Clone(tasks)
	slices.SortStableFunc(ts, func(a, b VisitTask) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return cmpInt(a.ID, b.ID)
	})
	type key struct {
		building int64
		uscc     USCC
	}
	var out []Visit
	at := map[key]int{}
	for _, t := range ts {
		k := key{building: t.BuildingID}
		if t.BuildingID == 0 {
			k.uscc = t.USCC
		}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, Visit{BuildingID: t.BuildingID, DueAt: t.DueAt})
		}
		v := &out[i]
		if v.Location == nil && t.Location != nil {
			p := *t.Location
			v.Location = &p
		}
		j := slices.IndexFunc(v.Entities, func(e VisitEntity) bool { return e.USCC == t.USCC })
		if j < 0 {
			j = len(v.Entities)
			v.Entities = append(v.Entities, VisitEntity{USCC: t.USCC, Name: t.Name})
		}
		e := &v.Entities[j]
		e.Tasks = append(e.Tasks, t.ID)
		for _, it := range t.Items {
			if !slices.Contains(e.Items, it) {
				e.Items = append(e.Items, it)
			}
			if !slices.Contains(v.Items, it) {
				v.Items = append(v.Items, it)
			}
		}
	}
	// out is already by earliest deadline: a visit is created by its
	// earliest task, and the tasks come in deadline order.
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Filters of the workflow's lists. Every list is ordered by id; a page
// holds the rows after the cursor's id.

// TaskFilter selects tasks. Status may be any stored status, "open" or
// "overdue"; a stored open status matches only while the task is not
// overdue at Now, so that the filter agrees with StatusAt.
type TaskFilter struct {
	Assignee   string
	Status     TaskStatus
	DueBefore  *time.Time
	DueAfter   *time.Time
	TownCode   string
	GridCode   string
	USCC       USCC
	Kind       TaskKind
	Department string
	Now        time.Time
	After      int64 // id of the last task of the previous page
	Limit      int
}

// InspectionFilter selects inspections.
type InspectionFilter struct {
	USCC      USCC
	TownCode  string
	GridCode  string
	Inspector string
	AtAfter   *time.Time
	AtBefore  *time.Time
	After     int64
	Limit     int
}

// LeadFilter selects leads. Department "coordinator" selects those with the
// coordinator.
type LeadFilter struct {
	Department string
	Status     LeadStatus
	TownCode   string
	USCC       USCC
	After      int64
	Limit      int
}

// ComplaintFilter selects complaints.
type ComplaintFilter struct {
	TownCode string
	GridCode string
	USCC     USCC
	Industry string
	AtAfter  *time.Time
	AtBefore *time.Time
	After    int64
	Limit    int
}

// ParseTaskKind checks a task kind.
func ParseTaskKind(s string) (TaskKind, error) {
	switch k := TaskKind(s); k {
	case TaskPermit, TaskFirstCheck, TaskChangeCheck, TaskCheck:
		return k, nil
	}
	return "", fmt.Errorf("unknown task kind %q: want permit, first_check, change_check or check", s)
}

// ParseLeadStatus checks a lead status.
func ParseLeadStatus(s string) (LeadStatus, error) {
	switch st := LeadStatus(s); st {
	case LeadAssigned, LeadCoordination, LeadAccepted, LeadClosed:
		return st, nil
	}
	return "", fmt.Errorf("unknown lead status %q: want assigned, coordination, accepted or closed", s)
}

// Limits of a lead's text, in characters.
const MaxCategoryRunes = 60

// Validate checks a new lead: who hands it over, its category and text.
// The departments themselves are checked against the stored ones.
func (l *Lead) Validate() error {
	if strings.TrimSpace(l.FromDepartment) == "" || utf8.RuneCountInString(l.FromDepartment) > MaxActorRunes {
		return fieldErr("from_department", "is required, at most %d characters", MaxActorRunes)
	}
	if strings.TrimSpace(l.Category) == "" || utf8.RuneCountInString(l.Category) > MaxCategoryRunes || !utf8.ValidString(l.Category) {
		return fieldErr("category", "is required, at most %d characters", MaxCategoryRunes)
	}
	if utf8.RuneCountInString(l.Description) > MaxNotesRunes || !utf8.ValidString(l.Description) {
		return fieldErr("description", "at most %d characters of valid UTF-8", MaxNotesRunes)
	}
	if l.Location != nil && !l.Location.Valid() {
		return fieldErr("location", "is not a point on the planet")
	}
	return nil
}

// ValidateLeadStep checks the text of a step on a lead: who takes it, and
// its note (for a close, the result, and named so).
func ValidateLeadStep(action LeadAction, actor, note string) error {
	if n := utf8.RuneCountInString(actor); n > MaxActorRunes {
		return fieldErr("actor", "has %d characters, at most %d", n, MaxActorRunes)
	}
	field := "note"
	if action == LeadClose {
		field = "result"
	}
	if n := utf8.RuneCountInString(note); n > MaxNotesRunes {
		return fieldErr(field, "has %d characters, at most %d", n, MaxNotesRunes)
	}
	return nil
}

// ComplaintInput is a complaint as clients send it: the body of POST
// /v1/complaints and a line of an import.
type ComplaintInput struct {
	Source      string `json:"source"`
	ExternalID  string `json:"external_id"`
	At          string `json:"at"` // RFC 3339
	Category    string `json:"category"`
	Industry    string `json:"industry"`
	USCC        string `json:"uscc"`
	AddressText string `json:"address_text"`
	Summary     string `json:"summary"`
}

// Complaint checks the input and returns the complaint, not yet linked.
func (in ComplaintInput) Complaint() (Complaint, error) {
	c := Complaint{Source: ComplaintSource(in.Source), ExternalID: strings.TrimSpace(in.ExternalID),
		Category: ComplaintCategory(in.Category), Industry: in.Industry,
		AddressText: strings.TrimSpace(in.AddressText), Summary: strings.TrimSpace(in.Summary)}
	if in.USCC != "" {
		u, err := ParseUSCC(in.USCC)
		if err != nil {
			return c, &FieldError{Field: "uscc", Message: err.Error()}
		}
		c.USCC = u
	}
	at, err := parseTime("at", in.At)
	if err != nil {
		return c, err
	}
	c.At = at
	return c, c.Validate()
}

// ViolationInput is a violation record as clients send it: the body of
// POST /v1/violations and a line of an import.
type ViolationInput struct {
	USCC        string  `json:"uscc"`
	ExternalID  string  `json:"external_id"`
	At          string  `json:"at"` // RFC 3339
	Kind        string  `json:"kind"`
	Authority   string  `json:"authority"`
	Description string  `json:"description"`
	Amount      float64 `json:"amount"`
}

// Violation checks the input and returns the violation record.
func (in ViolationInput) Violation() (Violation, error) {
	v := Violation{ExternalID: strings.TrimSpace(in.ExternalID), Kind: ViolationKind(in.Kind),
		Authority: strings.TrimSpace(in.Authority), Description: strings.TrimSpace(in.Description), Amount: in.Amount}
	u, err := ParseUSCC(in.USCC)
	if err != nil {
		return v, &FieldError{Field: "uscc", Message: err.Error()}
	}
	v.USCC = u
	if v.At, err = parseTime("at", in.At); err != nil {
		return v, err
	}
	if utf8.RuneCountInString(v.Authority) > MaxActorRunes {
		return v, fieldErr("authority", "at most %d characters", MaxActorRunes)
	}
	return v, v.Validate()
}

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fieldErr(field, "is required (RFC 3339, e.g. 2026-11-27T09:30:00+08:00)")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fieldErr(field, "%q is not an RFC 3339 time (2026-11-27T09:30:00+08:00)", s)
	}
	return t, nil
}
