package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/supervision"
)

// pushData is what pushing tasks needs from the database: the scope rules
// and the inspection items of the city and of each town.
type pushData struct {
	rules     []supervision.ScopeRule
	cityItems []string
	townItems map[string][]string
}

// items returns the item codes a check in town asks for: the city's, then
// the town's own.
func (p *pushData) items(town string) []string {
	if extra := p.townItems[town]; len(extra) > 0 {
		return append(append([]string(nil), p.cityItems...), extra...)
	}
	return p.cityItems
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func loadPushData(ctx context.Context, q querier) (*pushData, error) {
	p := &pushData{townItems: map[string][]string{}}
	rows, _ := q.Query(ctx, `SELECT department_code, array_agg(keyword ORDER BY position, keyword)
		FROM scope_rules GROUP BY department_code ORDER BY min(position), department_code`)
	var r supervision.ScopeRule
	if _, err := pgx.ForEachRow(rows, []any{&r.Department, &r.Keywords}, func() error {
		p.rules = append(p.rules, r)
		r = supervision.ScopeRule{}
		return nil
	}); err != nil {
		return nil, translate(err, "read scope rules")
	}
	rows, _ = q.Query(ctx, `SELECT coalesce(town_code, ''), code FROM inspection_items ORDER BY town_code NULLS FIRST, position, code`)
	var town, code string
	if _, err := pgx.ForEachRow(rows, []any{&town, &code}, func() error {
		if town == "" {
			p.cityItems = append(p.cityItems, code)
		} else {
			p.townItems[town] = append(p.townItems[town], code)
		}
		return nil
	}); err != nil {
		return nil, translate(err, "read inspection items")
	}
	return p, nil
}

// taskRow is a task to push, with the entity version that pushed it and the
// write it belongs to.
type taskRow struct {
	task    supervision.Task
	version int
	result  int
}

// insertTasks pushes tasks with COPY, with a push event each, and returns
// their ids in order.
func insertTasks(ctx context.Context, tx pgx.Tx, tasks []taskRow, actor string) ([]int64, error) {
	rows, _ := tx.Query(ctx, `SELECT nextval('tasks_id_seq') FROM generate_series(1, $1)`, len(tasks))
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, translate(err, "allocate task ids")
	}
	taskRows := make([][]any, len(tasks))
	events := make([][]any, len(tasks))
	for i, tr := range tasks {
		t := tr.task
		taskRows[i] = []any{ids[i], string(t.USCC), string(t.Kind), t.Assignee, nullString(t.Department),
			nullString(t.TownCode), nullString(t.VillageCode), nullString(t.GridCode), nullInt(t.BuildingID),
			t.Reason, nonNil(t.Keywords), nonNil(t.Items), string(t.Status), t.PushedAt, t.DueAt, tr.version}
		events[i] = []any{ids[i], t.PushedAt, "push", actor, string(t.Status), t.Reason}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"tasks"}, []string{"id", "uscc", "kind", "assignee", "department_code",
		"town_code", "village_code", "grid_code", "building_id", "reason", "keywords", "items", "status",
		"pushed_at", "due_at", "entity_version"}, pgx.CopyFromRows(taskRows)); err != nil {
		return nil, translate(err, "push tasks")
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"task_events"}, []string{"task_id", "at", "action", "actor", "status", "note"},
		pgx.CopyFromRows(events)); err != nil {
		return nil, translate(err, "record task pushes")
	}
	return ids, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
