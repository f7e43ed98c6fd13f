package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// Entities lists the entities f selects in USCC order, from the one after
// f.After. It returns up to f.PageSize()+1 records: the extra one, when
// there, says that another page follows and is not part of this one.
//
// The query is built from the fields set, each one a condition with $n
// arguments, so the planner sees only what narrows the list: a town, village
// or grid walks its (code, uscc) index in order; a box or polygon uses the
// GiST index on location.
func (db *DB) Entities(ctx context.Context, f supervision.EntityFilter) ([]supervision.EntityRecord, error) {
	w, err := db.entityWhere(ctx, f, true)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, pageQuery(w, f.PageSize()+1), w.args...)
	if err != nil {
		return nil, translate(err, "list entities")
	}
	defer rows.Close()
	var out []supervision.EntityRecord
	for rows.Next() {
		rec, err := scanEntity(rows)
		if err != nil {
			return nil, translate(err, "scan entity")
		}
		out = append(out, rec)
	}
	return out, translate(rows.Err(), "list entities")
}

// pageQuery is the SQL of Entities: up to limit rows in USCC order.
func pageQuery(w *sqlConds, limit int) string {
	return "SELECT " + entityColumns + " FROM entities" + w.where() + " ORDER BY uscc LIMIT " + w.arg(limit)
}

// entityWhere checks f and returns the conditions on the entities table
// that it sets (all but its limit), shared by Entities, EachEntity,
// EntityCount and EntityPoints; ordered says the rows are wanted in USCC
// order. It reads the entities f compares others with (same_building_as,
// ...): one that does not exist is bad input.
func (db *DB) entityWhere(ctx context.Context, f supervision.EntityFilter, ordered bool) (*sqlConds, error) {
	if err := f.Validate(); err != nil {
		return nil, invalidInput(err)
	}
	plan, err := db.screenPlanOf(ctx, f, ordered)
	if err != nil {
		return nil, err
	}
	return entityConds(f, plan)
}

// entityConds returns the conditions of f, with what plan read for its
// screening criteria.
func entityConds(f supervision.EntityFilter, plan screenPlan) (*sqlConds, error) {
	w := &sqlConds{}
	w.eq("town_code", f.TownCode)
	w.eq("village_code", f.VillageCode)
	w.eq("grid_code", f.GridCode)
	if f.BuildingID != 0 {
		w.add("building_id = %s", f.BuildingID)
	}
	if b := f.BBox; b != nil {
		w.add("location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	}
	if f.Within != nil {
		g, err := geo.MarshalEWKB(f.Within)
		if err != nil {
			return nil, fmt.Errorf("postgres: entities within a polygon: %w", err)
		}
		w.add("ST_Intersects(location, ST_GeomFromEWKB(%s))", g)
	}
	w.eq("industry", f.Industry)
	w.eq("kind", string(f.Kind))
	w.eq("status", string(f.Status))
	if !f.RegisteredFrom.IsZero() {
		w.add("registered_at >= %s::date", f.RegisteredFrom.In(supervision.Beijing))
	}
	if !f.RegisteredTo.IsZero() {
		w.add("registered_at <= %s::date", f.RegisteredTo.In(supervision.Beijing))
	}
	if !f.InspectedBefore.IsZero() {
		w.add("last_inspected_at < %s", f.InspectedBefore)
	}
	if !f.InspectedAfter.IsZero() {
		w.add("last_inspected_at >= %s", f.InspectedAfter)
	}
	if f.NeverInspected {
		w.add("last_inspected_at IS NULL")
	}
	if f.TaskStatus != "" {
		w.add("EXISTS (SELECT 1 FROM tasks t WHERE t.uscc = entities.uscc AND " + taskStatusCond(f.TaskStatus, w) + ")")
	}
	if c := f.AddressCode; c != "" {
		if len(c) == 18 { // a room
			w.add("address_code = %s", c)
		} else {
			// A doorplate: the doorplate itself, or a building behind it.
			// ARRAY(...) runs the subquery once, first, so that both sides
			// of the OR use their index; building_id IN (SELECT ...) would
			// be a per-row subplan over the whole table.
			p := w.arg(c)
			w.add("(address_code = " + p + " OR building_id = ANY (ARRAY(SELECT b.id FROM buildings b WHERE b.doorplate_code = " + p + ")))")
		}
	}
	switch f.LinkStatus {
	case "":
	case supervision.LinkUnlinked:
		w.add("linked_at IS NULL")
	default:
		w.add("linked_at IS NOT NULL AND link_status = %s", f.LinkStatus)
	}
	screenConds(w, f, plan)
	if f.After != "" {
		w.add("uscc > %s", string(f.After))
	}
	return w, nil
}

// taskStatusCond is the condition on a task t of status s as clients see it
// (supervision.Task.StatusAt): overdue is never stored, so a stored open
// status counts only while the task is within its deadline.
func taskStatusCond(s supervision.TaskStatus, w *sqlConds) string {
	const open = "t.status IN ('pushed', 'received', 'feedback')"
	switch {
	case s == "open":
		return open
	case s == supervision.TaskOverdue:
		return open + " AND t.due_at < now()"
	case s.Open():
		return "t.status = " + w.arg(string(s)) + " AND t.due_at >= now()"
	}
	return "t.status = " + w.arg(string(s))
}

// sqlConds collects the conditions of a WHERE clause and their arguments.
// Values only ever travel as $n arguments; a condition's text is a constant
// of this file with %s where the placeholders go.
type sqlConds struct {
	conds []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (w *sqlConds) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// add adds a condition, replacing its %s with the placeholders of vals.
func (w *sqlConds) add(cond string, vals ...any) {
	ps := make([]any, len(vals))
	for i, v := range vals {
		ps[i] = w.arg(v)
	}
	if len(ps) > 0 {
		cond = fmt.Sprintf(cond, ps...)
	}
	w.conds = append(w.conds, cond)
}

// where returns the WHERE clause of the conditions, "" when there are none.
func (w *sqlConds) where() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// eq adds column = value when value is set.
func (w *sqlConds) eq(column, value string) {
	if value != "" {
		w.add(column+" = %s", value)
	}
}

// Entity returns the entity with code uscc.
func (db *DB) Entity(ctx context.Context, uscc supervision.USCC) (supervision.EntityRecord, error) {
	rec, err := scanEntity(db.pool.QueryRow(ctx, "SELECT "+entityColumns+" FROM entities WHERE uscc = $1", string(uscc)))
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return rec, derrors.New(derrors.NotFound, "no entity with USCC %s", uscc)
		}
		return rec, translate(err, "get entity")
	}
	return rec, nil
}

// EntitiesAt lists the entities registered at a standard address, in USCC
// order: for an 18-digit room code, those linked to the room; for a 16-digit
// doorplate code, those linked to the doorplate or to any building behind it
// (room codes do not carry their doorplate's code: rooms belong to buildings,
// buildings to doorplates). It is Entities with only f.AddressCode set, and
// returns up to limit+1 records in the same way.
func (db *DB) EntitiesAt(ctx context.Context, addressCode string, limit int) ([]supervision.EntityRecord, error) {
	return db.Entities(ctx, supervision.EntityFilter{AddressCode: addressCode, Limit: limit})
}
