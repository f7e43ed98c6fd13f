package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// CityMarginMetres is how far outside every town a reported point may lie
// and still count as in the city: GPS error, and the edge of the outline.
const CityMarginMetres = 5000

// inCity returns a 400 naming field unless p lies within CityMarginMetres of
// a town. The first ST_DWithin (in degrees, a little more than the margin
// at Dongguan's latitude) lets the towns' GiST index pick the candidates;
// the second measures on the spheroid.
func inCity(ctx context.Context, q querier, field string, p geo.WGS84) error {
	b, err := pointEWKB(&p)
	if err != nil {
		return err
	}
	rows, _ := q.Query(ctx, `WITH p AS (SELECT ST_GeomFromEWKB($1::bytea) AS g)
		SELECT EXISTS (SELECT 1 FROM towns, p WHERE ST_DWithin(towns.geom, p.g, 0.06)
			AND ST_DWithin(towns.geom::geography, p.g::geography, $2))`, b, CityMarginMetres)
	in, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[bool])
	if err != nil {
		return translate(err, "check the city")
	}
	if !in {
		return derrors.Field(field, "(%.6f, %.6f) is outside Dongguan: more than %d km from every town",
			p.Lon, p.Lat, CityMarginMetres/1000)
	}
	return nil
}

// inspectionColumns are the columns scanInspection reads, of alias i. The
// tasks an inspection closed are its entity's tasks, found by the uscc index.
const inspectionColumns = `i.id, i.uscc, i.inspector, i.at, i.location, i.crs, i.items, i.outcome, i.notes,
	i.photos, coalesce(i.town_code, ''), coalesce(i.grid_code, ''), coalesce(i.building_id, 0), i.created_at,
	ARRAY(SELECT t.id FROM tasks t WHERE t.uscc = i.uscc AND t.inspection_id = i.id ORDER BY t.id)`

func scanInspection(row pgx.CollectableRow) (supervision.InspectionRecord, error) {
	var r supervision.InspectionRecord
	var uscc, outcome string
	var loc []byte
	err := row.Scan(&r.ID, &uscc, &r.Inspector, &r.At, &loc, &r.CRS, &r.Items, &outcome, &r.Notes,
		&r.Photos, &r.TownCode, &r.GridCode, &r.BuildingID, &r.CreatedAt, &r.TaskIDs)
	if err != nil {
		return r, err
	}
	r.USCC, r.Outcome = supervision.USCC(uscc), supervision.Outcome(outcome)
	p, err := pointOf(loc)
	if err != nil {
		return r, fmt.Errorf("inspection %d: location: %w", r.ID, err)
	}
	r.Location = *p
	return r, nil
}

// RecordInspection stores an on-site inspection and closes, in the same
// transaction, every open on-site task of the entity that it answers
// (supervision.Inspection.Answers), or exactly the tasks of taskIDs when
// given. The entity must exist (404); the answers are checked against the
// items of the entity's town and the location against the city (400); a
// listed task that is not the entity's is a 400, one the inspection cannot
// close a 409. in.Location is WGS84 (convert before); in.CRS says what the
// client declared.
func (db *DB) RecordInspection(ctx context.Context, in supervision.Inspection, taskIDs []int64) (supervision.InspectionRecord, error) {
	rec := supervision.InspectionRecord{Inspection: in}
	if !in.Location.Valid() {
		return rec, derrors.Field("location", "is not a point on the planet")
	}
	now := time.Now()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT coalesce(town_code, ''), coalesce(grid_code, ''), coalesce(building_id, 0)
			FROM entities WHERE uscc = $1`, string(in.USCC)).Scan(&rec.TownCode, &rec.GridCode, &rec.BuildingID)
		if err != nil {
			return notFound(err, "entity", string(in.USCC))
		}
		items, err := inspectionItems(ctx, tx, rec.TownCode)
		if err != nil {
			return err
		}
		if err := rec.Validate(items, now); err != nil {
			return invalidInput(err)
		}
		if err := inCity(ctx, tx, "location", in.Location); err != nil {
			return err
		}
		loc, err := pointEWKB(&in.Location)
		if err != nil {
			return err
		}
		photos := in.Photos
		if photos == nil {
			photos = []string{}
		}
		err = tx.QueryRow(ctx, `INSERT INTO inspections (uscc, inspector, at, location, crs, items, outcome, notes,
				photos, town_code, grid_code, building_id)
			VALUES ($1, $2, $3, ST_GeomFromEWKB($4::bytea), $5, $6, $7, $8, $9, $10, $11, $12)
			RETURNING id, created_at`,
			string(in.USCC), in.Inspector, in.At, loc, in.CRS, in.Items, string(in.Outcome), in.Notes, photos,
			nullString(rec.TownCode), nullString(rec.GridCode), nullInt(rec.BuildingID)).Scan(&rec.ID, &rec.CreatedAt)
		if err != nil {
			return translate(err, "insert inspection")
		}
		if rec.TaskIDs, err = closeAnswered(ctx, tx, &rec.Inspection, taskIDs); err != nil {
			return err
		}
		rec.Flags, err = db.offSiteVerdict(ctx, tx, rec.USCC, rec.ID, now)
		return err
	})
	return rec, err
}

// offSiteVerdict runs the off-site rule on the inspection just stored in
// tx, writes its flag, publishes the alert on commit, and returns the flag
// when the inspection raised or renewed it (none when on site). The other
// rules follow when the evaluator takes the entity off the queue.
func (db *DB) offSiteVerdict(ctx context.Context, tx pgx.Tx, uscc supervision.USCC, inspectionID int64, now time.Time) ([]supervision.Flag, error) {
	rules := supervision.NewFlagRules(db.flagConfig(), nil)
	var findings []supervision.Finding
	err := flagFacts(ctx, tx, rules.Config, now, factsJoinsFew, "e.uscc = $4", []any{string(uscc)}, func(f *supervision.EntityFacts) error {
		if x := rules.OffSite(f, now); x != nil {
			findings = append(findings, *x)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	subject := entitySubject(uscc)
	states, err := flagStates(ctx, tx, "f.subject = $1 AND f.kind = $2 FOR UPDATE", subject, string(supervision.FlagOffSite))
	if err != nil {
		return nil, err
	}
	_, alerts, err := applyFlagChanges(ctx, tx, supervision.Reconcile(states, findings), now)
	if err != nil {
		return nil, err
	}
	if err := publishAlerts(ctx, tx, alerts); err != nil {
		return nil, err
	}
	if len(findings) == 0 {
		return []supervision.Flag{}, nil
	}
	rows, _ := tx.Query(ctx, "SELECT "+flagColumns+` FROM flags f WHERE f.kind = $1 AND f.subject = $2
		AND f.status <> 'resolved' AND f.evidence->'inspection'->>'id' = $3`,
		string(supervision.FlagOffSite), subject, fmt.Sprint(inspectionID))
	fs, err := pgx.CollectRows(rows, scanFlag)
	return fs, translate(err, "read the off-site flag")
}

// closeAnswered closes the entity's open on-site tasks that in answers, or
// the listed ones, and returns their ids.
func closeAnswered(ctx context.Context, tx pgx.Tx, in *supervision.Inspection, listed []int64) ([]int64, error) {
	var rows pgx.Rows
	if listed == nil {
		rows, _ = tx.Query(ctx, "SELECT "+taskColumns+` FROM tasks t WHERE t.uscc = $1 AND t.kind <> 'permit'
			AND t.status IN `+openStatuses+" ORDER BY t.id FOR UPDATE", string(in.USCC))
	} else {
		rows, _ = tx.Query(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE t.id = ANY($1) ORDER BY t.id FOR UPDATE", listed)
	}
	tasks, err := collectTasks(rows, "find the inspected tasks")
	if err != nil {
		return nil, err
	}
	if listed != nil {
		for i, id := range listed {
			j := slices.IndexFunc(tasks, func(t supervision.Task) bool { return t.ID == id })
			if j < 0 || tasks[j].USCC != in.USCC {
				return nil, derrors.Field(fmt.Sprintf("task_ids[%d]", i), "%d is not a task about %s", id, in.USCC)
			}
			if slices.Index(listed, id) != i {
				return nil, derrors.Field(fmt.Sprintf("task_ids[%d]", i), "%d is listed twice", id)
			}
			if t := &tasks[j]; !in.Answers(t) {
				why := fmt.Sprintf("it is %s", t.Status)
				if t.Status.Open() && t.Kind.OnSite() {
					var missing []string
					for _, code := range t.Items {
						if _, ok := in.Items[code]; !ok {
							missing = append(missing, code)
						}
					}
					why = "the inspection does not answer " + strings.Join(missing, ", ")
				} else if !t.Kind.OnSite() {
					why = "a permit task is answered by its department, not on site"
				}
				return nil, derrors.New(derrors.Conflict, "task %d cannot be closed by this inspection: %s", id, why)
			}
		}
	}
	closed := []int64{}
	step := supervision.TaskStep{Action: supervision.TaskInspect, Actor: in.Inspector, InspectionID: in.ID}
	for i := range tasks {
		t := &tasks[i]
		if !in.Answers(t) {
			continue
		}
		if err := t.Apply(step, time.Now(), supervision.Policy{}); err != nil {
			return nil, conflict(err)
		}
		if err := saveTaskStep(ctx, tx, t, step); err != nil {
			return nil, err
		}
		closed = append(closed, t.ID)
	}
	return closed, nil
}

// Inspection returns one inspection.
func (db *DB) Inspection(ctx context.Context, id int64) (supervision.InspectionRecord, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+inspectionColumns+" FROM inspections i WHERE i.id = $1", id)
	r, err := pgx.CollectExactlyOneRow(rows, scanInspection)
	if err != nil {
		return r, notFound(err, "inspection", fmt.Sprint(id))
	}
	return r, nil
}

// Inspections lists inspections by id and reports whether another page follows.
func (db *DB) Inspections(ctx context.Context, f supervision.InspectionFilter) ([]supervision.InspectionRecord, bool, error) {
	var c conds
	for _, eq := range []struct{ col, v string }{
		{"i.uscc", string(f.USCC)}, {"i.town_code", f.TownCode}, {"i.grid_code", f.GridCode}, {"i.inspector", f.Inspector},
	} {
		if eq.v != "" {
			c.add(eq.col+" = $?", eq.v)
		}
	}
	if f.AtAfter != nil {
		c.add("i.at >= $?", *f.AtAfter)
	}
	if f.AtBefore != nil {
		c.add("i.at < $?", *f.AtBefore)
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+inspectionColumns+" FROM inspections i"+c.page("i.id", f.After, f.Limit), c.args...)
	rs, err := pgx.CollectRows(rows, scanInspection)
	if err != nil {
		return nil, false, translate(err, "list inspections")
	}
	rs, more := morePages(rs, f.Limit)
	return rs, more, nil
}

// EntityInspections returns the latest inspections of an entity, newest
// first, at most limit (all when limit <= 0).
func (db *DB) EntityInspections(ctx context.Context, uscc supervision.USCC, limit int) ([]supervision.InspectionRecord, error) {
	q := "SELECT " + inspectionColumns + " FROM inspections i WHERE i.uscc = $1 ORDER BY i.at DESC, i.id DESC"
	args := []any{string(uscc)}
	if limit > 0 {
		q += " LIMIT $2"
		args = append(args, limit)
	}
	rows, _ := db.pool.Query(ctx, q, args...)
	rs, err := pgx.CollectRows(rows, scanInspection)
	if err != nil {
		return nil, translate(err, "read entity inspections")
	}
	return rs, nil
}
