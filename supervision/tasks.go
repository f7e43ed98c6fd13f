package supervision

import (
	"fmt"
	"time"
)

// TaskKind says why a task exists and who answers it.
type TaskKind string

// Task kinds. A permit task goes to a department, which answers with
// feedback; the check kinds go to the grid of the entity's location, and an
// on-site inspection answers them.
const (
	TaskPermit      TaskKind = "permit"       // the scope needs the department's permit: 许可办理情况
	TaskFirstCheck  TaskKind = "first_check"  // a new registration: first on-site check
	TaskChangeCheck TaskKind = "change_check" // the registered address changed: check the new one
	TaskCheck       TaskKind = "check"        // an on-site check asked by a department or a lead
)

// OnSite reports whether an inspection answers tasks of kind k.
func (k TaskKind) OnSite() bool { return k != TaskPermit }

// TaskStatus is where a task stands. Overdue is never stored: it is an open
// task past its deadline, computed when read.
type TaskStatus string

// Task statuses.
const (
	TaskPushed   TaskStatus = "pushed"   // sent, not yet acknowledged
	TaskReceived TaskStatus = "received" // acknowledged by the assignee
	TaskFeedback TaskStatus = "feedback" // the assignee answered; not yet closed
	TaskDone     TaskStatus = "done"
	TaskReturned TaskStatus = "returned" // sent back to the coordinator: wrong department or outside jurisdiction
	TaskOverdue  TaskStatus = "overdue"  // computed: open and past due
)

// Open reports whether a task in status s still waits for an answer.
func (s TaskStatus) Open() bool { return s == TaskPushed || s == TaskReceived || s == TaskFeedback }

// ParseTaskStatus checks a status filter, which may be "overdue" or "open".
func ParseTaskStatus(s string) (TaskStatus, error) {
	switch st := TaskStatus(s); st {
	case TaskPushed, TaskReceived, TaskFeedback, TaskDone, TaskReturned, TaskOverdue, "open":
		return st, nil
	}
	return "", fmt.Errorf("unknown task status %q: want pushed, received, feedback, done, returned, overdue or open", s)
}

// A Task is a piece of supervision work about one entity, pushed to a
// department or to a grid.
type Task struct {
	ID           int64
	USCC         USCC
	Kind         TaskKind
	Assignee     string // a department code, or the grid (village, town) code of a check
	Department   string // the department of a permit task or of the one who asked for a check
	TownCode     string // where the entity is, for scope and filters
	VillageCode  string
	GridCode     string
	BuildingID   int64
	Reason       string   // why it was pushed, for people
	Keywords     []string // the scope keywords behind a permit task
	Items        []string // inspection item codes a check asks for
	Status       TaskStatus
	PushedAt     time.Time
	DueAt        time.Time
	ReceivedAt   *time.Time
	FeedbackAt   *time.Time
	DoneAt       *time.Time
	ReturnedAt   *time.Time
	Feedback     string
	ReturnReason string
	InspectionID *int64 // the inspection that closed a check
}

// StatusAt is the task's status as clients see it at now: stored statuses,
// except that an open task past its deadline is overdue.
func (t *Task) StatusAt(now time.Time) TaskStatus {
	if t.Status.Open() && !t.DueAt.IsZero() && now.After(t.DueAt) {
		return TaskOverdue
	}
	return t.Status
}

// Policy holds the deadlines of pushed tasks, in working days of Calendar.
type Policy struct {
	FirstCheckDays  int // a new registration's first on-site check; default 10
	ChangeCheckDays int // a changed address's check; default 10
	PermitDays      int // a department's feedback on a permit task; default 10
	Calendar        Calendar
}

// WithDefaults fills the zero deadlines.
func (p Policy) WithDefaults() Policy {
	if p.FirstCheckDays <= 0 {
		p.FirstCheckDays = 10
	}
	if p.ChangeCheckDays <= 0 {
		p.ChangeCheckDays = 10
	}
	if p.PermitDays <= 0 {
		p.PermitDays = 10
	}
	return p
}

// A Change is an entity as it was before a write (nil for a new one) and as
// it is after, with its link.
type Change struct {
	Old     *Entity
	OldLink *Link
	New     Entity
	Link    Link
}

// Plan returns the tasks a registration change pushes (DESIGN.md section 8):
//   - a new active entity: a permit task per department its scope needs, and
//     a first on-site check for its grid with the items of its town;
//   - a changed scope: permit tasks for the departments it newly needs;
//   - a changed registered address: a check of the new address;
//   - a cancelled or revoked entity, or an unchanged one: nothing.
//
// A check goes to the grid of the link, or the village or town when that is
// all the link knows, or the coordinator when it knows nothing. items are
// the inspection item codes of the entity's town.
func (p Policy) Plan(c Change, rules []ScopeRule, items []string, now time.Time) []Task {
	p = p.WithDefaults()
	e := c.New
	if e.Status != Active {
		return nil
	}
	base := Task{USCC: e.USCC, TownCode: c.Link.TownCode, VillageCode: c.Link.VillageCode,
		GridCode: c.Link.GridCode, BuildingID: c.Link.BuildingID, Status: TaskPushed, PushedAt: now}
	var out []Task
	permits := Route(rules, e.Scope)
	if c.Old != nil && c.Old.Status == Active {
		before := map[string]bool{}
		for _, r := range Route(rules, c.Old.Scope) {
			before[r.Department] = true
		}
		kept := permits[:0:0]
		for _, r := range permits {
			if !before[r.Department] {
				kept = append(kept, r)
			}
		}
		permits = kept
	}
	for _, r := range permits {
		t := base
		t.Kind, t.Assignee, t.Department = TaskPermit, r.Department, r.Department
		t.Keywords = r.Keywords
		t.Items = []string{ItemPermit}
		t.DueAt = p.Calendar.Deadline(now, p.PermitDays)
		if c.Old == nil {
			t.Reason = "新设立登记，经营范围涉及" + joinKeywords(r.Keywords)
		} else {
			t.Reason = "变更登记，经营范围新增" + joinKeywords(r.Keywords)
		}
		out = append(out, t)
	}
	check := base
	check.Assignee = c.Link.Assignee()
	check.Items = items
	switch {
	case c.Old == nil || c.Old.Status != Active:
		check.Kind, check.Reason = TaskFirstCheck, "新设立登记，首次实地核查"
		check.DueAt = p.Calendar.Deadline(now, p.FirstCheckDays)
		out = append(out, check)
	case c.Old.AddressText != e.AddressText:
		check.Kind, check.Reason = TaskChangeCheck, "住所（经营场所）变更，核查新址"
		check.DueAt = p.Calendar.Deadline(now, p.ChangeCheckDays)
		out = append(out, check)
	}
	return out
}

// Assignee is who checks an entity on site: the grid of its link, else its
// village or town, else the coordinator.
func (l Link) Assignee() string {
	switch {
	case l.GridCode != "":
		return l.GridCode
	case l.VillageCode != "":
		return l.VillageCode
	case l.TownCode != "":
		return l.TownCode
	}
	return CoordinatorCode
}

func joinKeywords(ks []string) string {
	s := ""
	for i, k := range ks {
		if i > 0 {
			s += "、"
		}
		s += k
	}
	return s
}
