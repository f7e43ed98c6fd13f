package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

const leadColumns = `l.id, coalesce(l.uscc, ''), l.inspection_id, l.from_department, coalesce(l.department_code, ''),
	l.category, l.description, l.location, l.status, l.result, l.created_at, l.updated_at, coalesce(l.town_code, '')`

func scanLead(row pgx.CollectableRow) (supervision.Lead, error) {
	var l supervision.Lead
	var uscc, status string
	var loc []byte
	err := row.Scan(&l.ID, &uscc, &l.InspectionID, &l.FromDepartment, &l.Department, &l.Category,
		&l.Description, &loc, &status, &l.Result, &l.CreatedAt, &l.UpdatedAt, &l.TownCode)
	if err != nil {
		return l, err
	}
	l.USCC, l.Status = supervision.USCC(uscc), supervision.LeadStatus(status)
	if l.Location, err = pointOf(loc); err != nil {
		return l, fmt.Errorf("lead %d: location: %w", l.ID, err)
	}
	return l, nil
}

// CreateLead stores a new lead with its first history step. It goes to
// l.Department, or to the coordinator when that is empty (or names the
// coordinator). An unknown department or inspection is a 400 naming the
// field, an unknown entity a 404; a location must lie in the city. The
// lead's town is its entity's, else the town its location lies in.
func (db *DB) CreateLead(ctx context.Context, l supervision.Lead) (supervision.Lead, error) {
	if err := l.Validate(); err != nil {
		return l, invalidInput(err)
	}
	if l.Department == supervision.CoordinatorCode {
		l.Department = ""
	}
	var id int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if l.Department != "" {
			if err := departmentKnown(ctx, tx, "department", l.Department, false); err != nil {
				return err
			}
		}
		if l.InspectionID != nil {
			var uscc string
			err := tx.QueryRow(ctx, `SELECT uscc FROM inspections WHERE id = $1`, *l.InspectionID).Scan(&uscc)
			if err == pgx.ErrNoRows {
				return derrors.Field("inspection_id", "inspection %d does not exist", *l.InspectionID)
			}
			if err != nil {
				return translate(err, "find inspection")
			}
			if l.USCC == "" {
				l.USCC = supervision.USCC(uscc)
			} else if l.USCC != supervision.USCC(uscc) {
				return derrors.Field("inspection_id", "inspection %d is of %s, not %s", *l.InspectionID, uscc, l.USCC)
			}
		}
		var town *string
		if l.USCC != "" {
			if err := tx.QueryRow(ctx, `SELECT town_code FROM entities WHERE uscc = $1`, string(l.USCC)).Scan(&town); err != nil {
				return notFound(err, "entity", string(l.USCC))
			}
		}
		loc, err := pointEWKB(l.Location)
		if err != nil {
			return err
		}
		if l.Location != nil {
			if err := inCity(ctx, tx, "location", *l.Location); err != nil {
				return err
			}
		}
		status, holder, err := supervision.NextLead("", supervision.LeadCreate, "", l.Department)
		if err != nil {
			return conflict(err)
		}
		now := time.Now()
		err = tx.QueryRow(ctx, `INSERT INTO leads (uscc, inspection_id, from_department, department_code, category,
				description, location, town_code, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, ST_GeomFromEWKB($7::bytea),
				coalesce($8, (SELECT code FROM towns WHERE ST_Intersects(geom, ST_GeomFromEWKB($7::bytea)) ORDER BY code LIMIT 1)),
				$9, $10, $10)
			RETURNING id`,
			nullString(string(l.USCC)), l.InspectionID, l.FromDepartment, nullString(holder), l.Category,
			l.Description, loc, town, string(status), now).Scan(&id)
		if err != nil {
			return translate(err, "insert lead")
		}
		return leadEvent(ctx, tx, id, now, supervision.LeadCreate, l.FromDepartment, holder, status, l.Description)
	})
	if err != nil {
		return l, err
	}
	return db.Lead(ctx, id)
}

func leadEvent(ctx context.Context, tx pgx.Tx, id int64, at time.Time, action supervision.LeadAction, actor, holder string,
	status supervision.LeadStatus, note string) error {
	_, err := tx.Exec(ctx, `INSERT INTO lead_events (lead_id, at, action, actor, department_code, status, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, at, string(action), actor, nullString(holder), string(status), note)
	return translate(err, "record lead step")
}

// Lead returns a lead with its full history, oldest step first.
func (db *DB) Lead(ctx context.Context, id int64) (supervision.Lead, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+leadColumns+" FROM leads l WHERE l.id = $1", id)
	l, err := pgx.CollectExactlyOneRow(rows, scanLead)
	if err != nil {
		return l, notFound(err, "lead", fmt.Sprint(id))
	}
	rows, _ = db.pool.Query(ctx, `SELECT at, action, actor, coalesce(department_code, ''), status, note
		FROM lead_events WHERE lead_id = $1 ORDER BY id`, id)
	l.History, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.LeadEvent, error) {
		var e supervision.LeadEvent
		err := row.Scan(&e.At, &e.Action, &e.Actor, &e.Department, &e.Status, &e.Note)
		return e, err
	})
	if err != nil {
		return l, translate(err, "read lead events")
	}
	return l, nil
}

// Leads lists leads by id and reports whether another page follows.
// Department "coordinator" selects the leads with the coordinator.
func (db *DB) Leads(ctx context.Context, f supervision.LeadFilter) ([]supervision.Lead, bool, error) {
	var c conds
	switch f.Department {
	case "":
	case supervision.CoordinatorCode:
		c.list = append(c.list, "l.department_code IS NULL")
	default:
		c.add("l.department_code = $?", f.Department)
	}
	for _, eq := range []struct{ col, v string }{
		{"l.status", string(f.Status)}, {"l.town_code", f.TownCode}, {"l.uscc", string(f.USCC)},
	} {
		if eq.v != "" {
			c.add(eq.col+" = $?", eq.v)
		}
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+leadColumns+" FROM leads l"+c.page("l.id", f.After, f.Limit), c.args...)
	ls, err := pgx.CollectRows(rows, scanLead)
	if err != nil {
		return nil, false, translate(err, "list leads")
	}
	ls, more := morePages(ls, f.Limit)
	return ls, more, nil
}

// EntityLeads returns the leads about an entity, by id, without history.
func (db *DB) EntityLeads(ctx context.Context, uscc supervision.USCC) ([]supervision.Lead, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+leadColumns+" FROM leads l WHERE l.uscc = $1 ORDER BY l.id", string(uscc))
	ls, err := pgx.CollectRows(rows, scanLead)
	if err != nil {
		return nil, translate(err, "read entity leads")
	}
	return ls, nil
}

// StepLead takes one step on a lead (transfer, escalate, decide, accept,
// close) in a transaction that locks it. supervision.NextLead decides what
// is allowed (409 otherwise); a transfer or decision names a known
// department (400 naming "department"); closing stores note as the result.
func (db *DB) StepLead(ctx context.Context, id int64, action supervision.LeadAction, actor, department, note string) (supervision.Lead, error) {
	switch action {
	case supervision.LeadTransfer, supervision.LeadDecide:
		if department == "" {
			return supervision.Lead{}, derrors.Field("department", "is required: the department the lead goes to")
		}
	case supervision.LeadEscalate, supervision.LeadAccept, supervision.LeadClose:
	default:
		return supervision.Lead{}, derrors.Field("action", "%q is not a step a client takes", action)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var from, holder string
		err := tx.QueryRow(ctx, `SELECT status, coalesce(department_code, '') FROM leads WHERE id = $1 FOR UPDATE`, id).
			Scan(&from, &holder)
		if err != nil {
			return notFound(err, "lead", fmt.Sprint(id))
		}
		if department != "" {
			if err := departmentKnown(ctx, tx, "department", department, false); err != nil {
				return err
			}
		}
		status, next, err := supervision.NextLead(supervision.LeadStatus(from), action, holder, department)
		if err != nil {
			return conflict(fmt.Errorf("lead %d: %w", id, err))
		}
		now := time.Now()
		result := ""
		if action == supervision.LeadClose {
			result = note
		}
		if _, err := tx.Exec(ctx, `UPDATE leads SET status = $2, department_code = $3, updated_at = $4,
			result = CASE WHEN $5 <> '' THEN $5 ELSE result END WHERE id = $1`,
			id, string(status), nullString(next), now, result); err != nil {
			return translate(err, "update lead")
		}
		return leadEvent(ctx, tx, id, now, action, actor, next, status, note)
	})
	if err != nil {
		return supervision.Lead{}, err
	}
	return db.Lead(ctx, id)
}
