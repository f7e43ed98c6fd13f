package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// conds builds the WHERE clause of a list query: each condition names its
// argument $?, numbered as it is added.
type conds struct {
	list []string
	args []any
}

func (c *conds) add(cond string, arg any) {
	c.args = append(c.args, arg)
	c.list = append(c.list, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(c.args))))
}

// page adds the cursor condition on column and returns the WHERE clause
// with ORDER BY and LIMIT (one row more than the page, to tell whether
// another page follows).
func (c *conds) page(column string, after int64, limit int) string {
	if after > 0 {
		c.add(column+" > $?", after)
	}
	w := ""
	if len(c.list) > 0 {
		w = " WHERE " + strings.Join(c.list, " AND ")
	}
	c.args = append(c.args, limit+1)
	return fmt.Sprintf("%s ORDER BY %s LIMIT $%d", w, column, len(c.args))
}

// morePages trims a page read with conds.page to limit and reports whether
// more rows follow.
func morePages[T any](rows []T, limit int) ([]T, bool) {
	if len(rows) > limit {
		return rows[:limit], true
	}
	return rows, false
}

// taskColumns are the columns scanTask reads, of table alias t.
const taskColumns = `t.id, t.uscc, t.kind, t.assignee, coalesce(t.department_code, ''), coalesce(t.town_code, ''),
	coalesce(t.village_code, ''), coalesce(t.grid_code, ''), coalesce(t.building_id, 0), t.reason, t.keywords,
	t.items, t.status, t.pushed_at, t.due_at, t.received_at, t.feedback_at, t.done_at, t.returned_at,
	t.feedback, t.return_reason, t.inspection_id`

func scanTask(row pgx.Row, extra ...any) (supervision.Task, error) {
	var t supervision.Task
	var uscc, kind, status string
	err := row.Scan(append([]any{&t.ID, &uscc, &kind, &t.Assignee, &t.Department, &t.TownCode, &t.VillageCode,
		&t.GridCode, &t.BuildingID, &t.Reason, &t.Keywords, &t.Items, &status, &t.PushedAt, &t.DueAt,
		&t.ReceivedAt, &t.FeedbackAt, &t.DoneAt, &t.ReturnedAt, &t.Feedback, &t.ReturnReason, &t.InspectionID},
		extra...)...)
	t.USCC, t.Kind, t.Status = supervision.USCC(uscc), supervision.TaskKind(kind), supervision.TaskStatus(status)
	return t, err
}

func collectTasks(rows pgx.Rows, what string) ([]supervision.Task, error) {
	ts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.Task, error) { return scanTask(row) })
	if err != nil {
		return nil, translate(err, what)
	}
	return ts, nil
}

// openStatuses are the stored statuses of an open task.
const openStatuses = `('pushed', 'received', 'feedback')`

// Tasks lists tasks by id. Overdue is computed at f.Now, never stored: the
// status filter agrees with supervision.Task.StatusAt. It reports whether
// another page follows.
func (db *DB) Tasks(ctx context.Context, f supervision.TaskFilter) ([]supervision.Task, bool, error) {
	var c conds
	for _, eq := range []struct{ col, v string }{
		{"t.assignee", f.Assignee}, {"t.town_code", f.TownCode}, {"t.grid_code", f.GridCode},
		{"t.uscc", string(f.USCC)}, {"t.kind", string(f.Kind)}, {"t.department_code", f.Department},
	} {
		if eq.v != "" {
			c.add(eq.col+" = $?", eq.v)
		}
	}
	switch f.Status {
	case "":
	case "open":
		c.list = append(c.list, "t.status IN "+openStatuses)
	case supervision.TaskOverdue:
		c.add("t.status IN "+openStatuses+" AND t.due_at < $?", f.Now)
	case supervision.TaskPushed, supervision.TaskReceived, supervision.TaskFeedback:
		c.add("t.status = $?", string(f.Status))
		c.add("t.due_at >= $?", f.Now)
	default:
		c.add("t.status = $?", string(f.Status))
	}
	if f.DueBefore != nil {
		c.add("t.due_at < $?", *f.DueBefore)
	}
	if f.DueAfter != nil {
		c.add("t.due_at >= $?", *f.DueAfter)
	}
	q := "SELECT " + taskColumns + " FROM tasks t" + c.page("t.id", f.After, f.Limit)
	rows, _ := db.pool.Query(ctx, q, c.args...)
	ts, err := collectTasks(rows, "list tasks")
	if err != nil {
		return nil, false, err
	}
	ts, more := morePages(ts, f.Limit)
	return ts, more, nil
}

// Task returns a task with its history, oldest step first.
func (db *DB) Task(ctx context.Context, id int64) (supervision.Task, []supervision.TaskEvent, error) {
	t, err := scanTask(db.pool.QueryRow(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE t.id = $1", id))
	if err != nil {
		return t, nil, notFound(err, "task", fmt.Sprint(id))
	}
	ev, err := taskEvents(ctx, db.pool, id)
	return t, ev, err
}

func taskEvents(ctx context.Context, q querier, id int64) ([]supervision.TaskEvent, error) {
	rows, _ := q.Query(ctx, `SELECT at, action, actor, status, note FROM task_events WHERE task_id = $1 ORDER BY id`, id)
	ev, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.TaskEvent, error) {
		var e supervision.TaskEvent
		err := row.Scan(&e.At, &e.Action, &e.Actor, &e.Status, &e.Note)
		return e, err
	})
	if err != nil {
		return nil, translate(err, "read task events")
	}
	return ev, nil
}

// EntityTasks returns every task about an entity, by id.
func (db *DB) EntityTasks(ctx context.Context, uscc supervision.USCC) ([]supervision.Task, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE t.uscc = $1 ORDER BY t.id", string(uscc))
	return collectTasks(rows, "read entity tasks")
}

// StepTask takes one step on a task (receive, feedback, complete, return,
// assign) in a transaction that locks the task: the step is checked with
// supervision.TaskStep.Validate (400) and supervision.Task.Apply (409 when
// the task's status does not allow it), the task is updated and the step
// recorded in task_events. An assignment takes its deadline from p.
func (db *DB) StepTask(ctx context.Context, id int64, step supervision.TaskStep, p supervision.Policy) (supervision.Task, error) {
	if err := step.Validate(); err != nil {
		return supervision.Task{}, invalidInput(err)
	}
	if step.Action == supervision.TaskInspect || step.Action == supervision.TaskPush {
		return supervision.Task{}, derrors.Field("action", "%s is not a step a client takes", step.Action)
	}
	var t supervision.Task
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		t, err = scanTask(tx.QueryRow(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE t.id = $1 FOR UPDATE", id))
		if err != nil {
			return notFound(err, "task", fmt.Sprint(id))
		}
		if step.Action == supervision.TaskAssign {
			dept, err := assigneeKind(ctx, tx, step.Assignee)
			if err != nil {
				return err
			}
			if t.Kind == supervision.TaskPermit && !dept {
				return derrors.Field("assignee", "a permit task goes to a department, and %s is not one", step.Assignee)
			}
			if err := t.Apply(step, time.Now(), p); err != nil {
				return conflict(err)
			}
			if dept && t.Kind == supervision.TaskPermit {
				t.Department = step.Assignee
			}
		} else if err := t.Apply(step, time.Now(), p); err != nil {
			return conflict(err)
		}
		return saveTaskStep(ctx, tx, &t, step)
	})
	return t, err
}

// assigneeKind checks that code names a department (true) or a grid,
// village or town (false).
func assigneeKind(ctx context.Context, tx pgx.Tx, code string) (bool, error) {
	var dept, division bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM departments WHERE code = $1 AND NOT coordinator),
		EXISTS (SELECT 1 FROM grids WHERE code = $1) OR EXISTS (SELECT 1 FROM villages WHERE code = $1)
		OR EXISTS (SELECT 1 FROM towns WHERE code = $1)`, code).Scan(&dept, &division)
	if err != nil {
		return false, translate(err, "find assignee")
	}
	if !dept && !division {
		return false, derrors.Field("assignee", "%q is neither a department nor a grid, village or town code", code)
	}
	return dept, nil
}

// saveTaskStep writes a task after a step and records the step.
func saveTaskStep(ctx context.Context, tx pgx.Tx, t *supervision.Task, step supervision.TaskStep) error {
	_, err := tx.Exec(ctx, `UPDATE tasks SET assignee = $2, department_code = $3, status = $4, pushed_at = $5,
		due_at = $6, received_at = $7, feedback_at = $8, done_at = $9, returned_at = $10, feedback = $11,
		return_reason = $12, inspection_id = $13 WHERE id = $1`,
		t.ID, t.Assignee, nullString(t.Department), string(t.Status), t.PushedAt, t.DueAt, t.ReceivedAt,
		t.FeedbackAt, t.DoneAt, t.ReturnedAt, t.Feedback, t.ReturnReason, t.InspectionID)
	if err != nil {
		return translate(err, "update task")
	}
	note := step.Note
	switch step.Action {
	case supervision.TaskAnswer:
		note = joinNote(step.Feedback, step.Note)
	case supervision.TaskReturn:
		note = joinNote(string(step.Reason), step.Note)
	case supervision.TaskAssign:
		note = joinNote("to "+step.Assignee, step.Note)
	case supervision.TaskInspect:
		note = joinNote(fmt.Sprintf("inspection %d", step.InspectionID), step.Note)
	}
	at := time.Now()
	switch {
	case step.Action == supervision.TaskReceive && t.ReceivedAt != nil:
		at = *t.ReceivedAt
	case t.DoneAt != nil && t.Status == supervision.TaskDone:
		at = *t.DoneAt
	case step.Action == supervision.TaskReturn && t.ReturnedAt != nil:
		at = *t.ReturnedAt
	case step.Action == supervision.TaskAssign:
		at = t.PushedAt
	}
	_, err = tx.Exec(ctx, `INSERT INTO task_events (task_id, at, action, actor, status, note) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, at, string(step.Action), step.Actor, string(t.Status), note)
	return translate(err, "record task step")
}

func joinNote(a, b string) string {
	if b == "" {
		return a
	}
	return a + ": " + b
}

// RequestCheck creates a check task for the grid of an entity's link (its
// village, town, or the coordinator when the link knows less): a
// department asks for an on-site check, which then joins the entity's
// other on-site tasks in one visit. The deadline is req.DueInDays working
// days, or the policy's check deadline.
func (db *DB) RequestCheck(ctx context.Context, req supervision.CheckRequest, p supervision.Policy) (supervision.Task, error) {
	var t supervision.Task
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var link supervision.Link
		var version int
		err := tx.QueryRow(ctx, `SELECT coalesce(town_code, ''), coalesce(village_code, ''), coalesce(grid_code, ''),
			coalesce(building_id, 0), version FROM entities WHERE uscc = $1`, string(req.USCC)).
			Scan(&link.TownCode, &link.VillageCode, &link.GridCode, &link.BuildingID, &version)
		if err != nil {
			return notFound(err, "entity", string(req.USCC))
		}
		if err := departmentKnown(ctx, tx, "department", req.Department, false); err != nil {
			return err
		}
		items, err := inspectionItems(ctx, tx, link.TownCode)
		if err != nil {
			return err
		}
		if err := req.Validate(items); err != nil {
			return invalidInput(err)
		}
		days := req.DueInDays
		if days == 0 {
			days = p.DaysFor(supervision.TaskCheck)
		}
		now := time.Now()
		t = supervision.Task{USCC: req.USCC, Kind: supervision.TaskCheck, Assignee: link.Assignee(),
			Department: req.Department, TownCode: link.TownCode, VillageCode: link.VillageCode,
			GridCode: link.GridCode, BuildingID: link.BuildingID, Reason: req.Reason, Items: req.Items,
			Keywords: []string{}, Status: supervision.TaskPushed, PushedAt: now,
			DueAt: p.Calendar.Deadline(now, days)}
		ids, err := insertTasks(ctx, tx, []taskRow{{task: t, version: version}}, req.Department)
		if err != nil {
			return err
		}
		t.ID = ids[0]
		return nil
	})
	return t, err
}

// Visits plans "one visit, all items" for an assignee: its open on-site
// tasks grouped by the building their entity is linked to now (or by
// entity, without a building), earliest deadline first.
func (db *DB) Visits(ctx context.Context, assignee string) ([]supervision.Visit, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+taskColumns+`, e.name, coalesce(e.building_id, t.building_id, 0),
			coalesce(e.location, ST_PointOnSurface(b.geom))
		FROM tasks t
		JOIN entities e ON e.uscc = t.uscc
		LEFT JOIN buildings b ON b.id = coalesce(e.building_id, t.building_id)
		WHERE t.assignee = $1 AND t.kind <> 'permit' AND t.status IN `+openStatuses+`
		ORDER BY t.due_at, t.id`, assignee)
	vts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.VisitTask, error) {
		var vt supervision.VisitTask
		var building int64
		var loc []byte
		t, err := scanTask(row, &vt.Name, &building, &loc)
		if err != nil {
			return vt, err
		}
		vt.Task, vt.BuildingID = t, building
		vt.Location, err = pointOf(loc)
		return vt, err
	})
	if err != nil {
		return nil, translate(err, "plan visits")
	}
	return supervision.GroupVisits(vts), nil
}

// pointOf reads an EWKB point, nil for NULL.
func pointOf(b []byte) (*geo.WGS84, error) {
	if b == nil {
		return nil, nil
	}
	g, err := geo.UnmarshalEWKB(b)
	if err != nil {
		return nil, err
	}
	p, ok := g.(orb.Point)
	if !ok {
		return nil, fmt.Errorf("want a point, got a %s", g.GeoJSONType())
	}
	w := geo.FromPoint(p)
	return &w, nil
}

// pointEWKB writes a point as EWKB, nil for nil.
func pointEWKB(p *geo.WGS84) ([]byte, error) {
	if p == nil {
		return nil, nil
	}
	return geo.MarshalEWKB(p.Point())
}
