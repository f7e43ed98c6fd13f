package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// A RecordImport is what an import of complaints or violations did.
// Rejected records were skipped; the others were applied together.
type RecordImport struct {
	Inserted  int
	Unchanged int // already stored under the same key
	Rejected  []RecordReject
}

// A RecordReject is a record an import skipped, by its index in the input.
type RecordReject struct {
	Index  int
	Reason string
}

// knownEntities returns which of codes are stored entities.
func knownEntities(ctx context.Context, q querier, codes []string) (map[string]bool, error) {
	rows, _ := q.Query(ctx, `SELECT uscc FROM entities WHERE uscc = ANY($1)`, codes)
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err, "find entities")
	}
	known := make(map[string]bool, len(found))
	for _, u := range found {
		known[u] = true
	}
	return known, nil
}

const complaintColumns = `c.id, c.source, coalesce(c.external_id, ''), c.at, c.category, c.industry, coalesce(c.uscc, ''),
	c.address_text, c.summary, coalesce(c.link_status, ''), coalesce(c.link_score, 0), coalesce(c.address_code, ''),
	coalesce(c.building_id, 0), coalesce(c.grid_code, ''), coalesce(c.village_code, ''), coalesce(c.town_code, ''),
	c.location`

func scanComplaint(row pgx.CollectableRow) (supervision.Complaint, error) {
	var c supervision.Complaint
	var source, category, uscc, status string
	var score float32
	var loc []byte
	err := row.Scan(&c.ID, &source, &c.ExternalID, &c.At, &category, &c.Industry, &uscc, &c.AddressText, &c.Summary,
		&status, &score, &c.Link.AddressCode, &c.Link.BuildingID, &c.Link.GridCode, &c.Link.VillageCode,
		&c.Link.TownCode, &loc)
	if err != nil {
		return c, err
	}
	c.Source, c.Category, c.USCC = supervision.ComplaintSource(source), supervision.ComplaintCategory(category), supervision.USCC(uscc)
	c.Link.Status, c.Link.Score = addressbook.MatchStatus(status), float64(score)
	if c.Link.Location, err = pointOf(loc); err != nil {
		return c, fmt.Errorf("complaint %d: location: %w", c.ID, err)
	}
	return c, nil
}

// insertComplaint stores c unless its (source, external_id) is stored
// already, and returns its id and whether it is new. A complaint that
// names an entity but whose address matched nothing takes the entity's
// place, so that it shows in its town's and grid's lists.
func insertComplaint(ctx context.Context, tx pgx.Tx, c *supervision.Complaint) (int64, bool, error) {
	l := c.Link
	loc, err := pointEWKB(l.Location)
	if err != nil {
		return 0, false, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO complaints (source, external_id, at, category, industry, uscc, address_text,
			summary, link_status, link_score, address_code, building_id, grid_code, village_code, town_code, location)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
			CASE WHEN $9::text IS NULL OR $9 <> 'matched' THEN coalesce($12, e.building_id) ELSE $12 END,
			CASE WHEN $9::text IS NULL OR $9 <> 'matched' THEN coalesce($13, e.grid_code) ELSE $13 END,
			CASE WHEN $9::text IS NULL OR $9 <> 'matched' THEN coalesce($14, e.village_code) ELSE $14 END,
			CASE WHEN $9::text IS NULL OR $9 <> 'matched' THEN coalesce($15, e.town_code) ELSE $15 END,
			CASE WHEN $9::text IS NULL OR $9 <> 'matched' THEN coalesce(ST_GeomFromEWKB($16::bytea), e.location)
			     ELSE ST_GeomFromEWKB($16::bytea) END
		FROM (SELECT 1) one LEFT JOIN entities e ON e.uscc = $6
		ON CONFLICT (source, external_id) DO NOTHING
		RETURNING id`,
		string(c.Source), nullString(c.ExternalID), c.At, string(c.Category), c.Industry, nullString(string(c.USCC)),
		c.AddressText, c.Summary, nullString(string(l.Status)), nullScore(l), nullString(l.AddressCode),
		nullInt(l.BuildingID), nullString(l.GridCode), nullString(l.VillageCode), nullString(l.TownCode), loc).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if err != pgx.ErrNoRows {
		return 0, false, translate(err, "insert complaint")
	}
	err = tx.QueryRow(ctx, `SELECT id FROM complaints WHERE source = $1 AND external_id = $2`,
		string(c.Source), c.ExternalID).Scan(&id)
	return id, false, translate(err, "find complaint")
}

func nullScore(l supervision.Link) *float32 {
	if l.Status == "" {
		return nil
	}
	s := float32(l.Score)
	return &s
}

// AddComplaint stores a complaint, linked by the caller, and returns it as
// stored and whether it is new: a complaint whose (source, external_id) is
// stored already is not written again. An unknown entity is a 404.
func (db *DB) AddComplaint(ctx context.Context, c supervision.Complaint) (supervision.Complaint, bool, error) {
	if err := c.Validate(); err != nil {
		return c, false, invalidInput(err)
	}
	var id int64
	var created bool
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if c.USCC != "" {
			known, err := knownEntities(ctx, tx, []string{string(c.USCC)})
			if err != nil {
				return err
			}
			if !known[string(c.USCC)] {
				return derrors.New(derrors.NotFound, "entity %s does not exist", c.USCC)
			}
		}
		var err error
		id, created, err = insertComplaint(ctx, tx, &c)
		return err
	})
	if err != nil {
		return c, false, err
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+complaintColumns+" FROM complaints c WHERE c.id = $1", id)
	stored, err := pgx.CollectExactlyOneRow(rows, scanComplaint)
	return stored, created, translate(err, "read complaint")
}

// ImportComplaints stores complaints in one transaction: those that do not
// validate or name an unknown entity are rejected, those stored already
// are left as they are.
func (db *DB) ImportComplaints(ctx context.Context, cs []supervision.Complaint) (RecordImport, error) {
	return importRecords(ctx, db, cs, (*supervision.Complaint).Validate,
		func(c *supervision.Complaint) supervision.USCC { return c.USCC }, insertComplaint)
}

// importRecords stores records in one transaction, rejecting those that do
// not validate or name an unknown entity.
func importRecords[T any](ctx context.Context, db *DB, recs []T, validate func(*T) error,
	uscc func(*T) supervision.USCC, insert func(context.Context, pgx.Tx, *T) (int64, bool, error)) (RecordImport, error) {
	var rep RecordImport
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rep = RecordImport{}
		if _, err := tx.Exec(ctx, checkClient); err != nil {
			return translate(err, "configure the import")
		}
		codes := make([]string, len(recs))
		for i := range recs {
			codes[i] = string(uscc(&recs[i]))
		}
		known, err := knownEntities(ctx, tx, codes)
		if err != nil {
			return err
		}
		for i := range recs {
			if err := validate(&recs[i]); err != nil {
				rep.Rejected = append(rep.Rejected, RecordReject{Index: i, Reason: err.Error()})
				continue
			}
			if codes[i] != "" && !known[codes[i]] {
				rep.Rejected = append(rep.Rejected, RecordReject{Index: i, Reason: fmt.Sprintf("uscc: entity %s does not exist", codes[i])})
				continue
			}
			_, created, err := insert(ctx, tx, &recs[i])
			if err != nil {
				return fmt.Errorf("record %d: %w", i, err)
			}
			if created {
				rep.Inserted++
			} else {
				rep.Unchanged++
			}
		}
		return nil
	})
	return rep, err
}

// Complaints lists complaints by id and reports whether another page follows.
func (db *DB) Complaints(ctx context.Context, f supervision.ComplaintFilter) ([]supervision.Complaint, bool, error) {
	var c conds
	for _, eq := range []struct{ col, v string }{
		{"c.town_code", f.TownCode}, {"c.grid_code", f.GridCode}, {"c.uscc", string(f.USCC)}, {"c.industry", f.Industry},
	} {
		if eq.v != "" {
			c.add(eq.col+" = $?", eq.v)
		}
	}
	if f.AtAfter != nil {
		c.add("c.at >= $?", *f.AtAfter)
	}
	if f.AtBefore != nil {
		c.add("c.at < $?", *f.AtBefore)
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+complaintColumns+" FROM complaints c"+c.page("c.id", f.After, f.Limit), c.args...)
	cs, err := pgx.CollectRows(rows, scanComplaint)
	if err != nil {
		return nil, false, translate(err, "list complaints")
	}
	cs, more := morePages(cs, f.Limit)
	return cs, more, nil
}

// EntityComplaints returns the complaints about an entity, newest first.
func (db *DB) EntityComplaints(ctx context.Context, uscc supervision.USCC) ([]supervision.Complaint, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+complaintColumns+" FROM complaints c WHERE c.uscc = $1 ORDER BY c.at DESC, c.id DESC", string(uscc))
	cs, err := pgx.CollectRows(rows, scanComplaint)
	if err != nil {
		return nil, translate(err, "read entity complaints")
	}
	return cs, nil
}

const violationColumns = `v.id, v.uscc, coalesce(v.external_id, ''), v.at, v.kind, v.authority, v.description, v.amount`

func scanViolation(row pgx.CollectableRow) (supervision.Violation, error) {
	var v supervision.Violation
	var uscc, kind string
	err := row.Scan(&v.ID, &uscc, &v.ExternalID, &v.At, &kind, &v.Authority, &v.Description, &v.Amount)
	v.USCC, v.Kind = supervision.USCC(uscc), supervision.ViolationKind(kind)
	return v, err
}

func insertViolation(ctx context.Context, tx pgx.Tx, v *supervision.Violation) (int64, bool, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO violations (uscc, external_id, at, kind, authority, description, amount)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (external_id) DO NOTHING RETURNING id`,
		string(v.USCC), nullString(v.ExternalID), v.At, string(v.Kind), v.Authority, v.Description, v.Amount).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if err != pgx.ErrNoRows {
		return 0, false, translate(err, "insert violation")
	}
	err = tx.QueryRow(ctx, `SELECT id FROM violations WHERE external_id = $1`, v.ExternalID).Scan(&id)
	return id, false, translate(err, "find violation")
}

// AddViolation stores a violation record and returns it as stored and
// whether it is new: one whose external_id is stored already is not
// written again. An unknown entity is a 404.
func (db *DB) AddViolation(ctx context.Context, v supervision.Violation) (supervision.Violation, bool, error) {
	if err := v.Validate(); err != nil {
		return v, false, invalidInput(err)
	}
	var id int64
	var created bool
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		known, err := knownEntities(ctx, tx, []string{string(v.USCC)})
		if err != nil {
			return err
		}
		if !known[string(v.USCC)] {
			return derrors.New(derrors.NotFound, "entity %s does not exist", v.USCC)
		}
		id, created, err = insertViolation(ctx, tx, &v)
		return err
	})
	if err != nil {
		return v, false, err
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+violationColumns+" FROM violations v WHERE v.id = $1", id)
	stored, err := pgx.CollectExactlyOneRow(rows, scanViolation)
	return stored, created, translate(err, "read violation")
}

// ImportViolations stores violation records in one transaction, like
// ImportComplaints.
func (db *DB) ImportViolations(ctx context.Context, vs []supervision.Violation) (RecordImport, error) {
	return importRecords(ctx, db, vs, (*supervision.Violation).Validate,
		func(v *supervision.Violation) supervision.USCC { return v.USCC }, insertViolation)
}

// Violations lists the violation records of an entity (all entities when
// uscc is empty) by id, and reports whether another page follows.
func (db *DB) Violations(ctx context.Context, uscc supervision.USCC, after int64, limit int) ([]supervision.Violation, bool, error) {
	var c conds
	if uscc != "" {
		c.add("v.uscc = $?", string(uscc))
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+violationColumns+" FROM violations v"+c.page("v.id", after, limit), c.args...)
	vs, err := pgx.CollectRows(rows, scanViolation)
	if err != nil {
		return nil, false, translate(err, "list violations")
	}
	vs, more := morePages(vs, limit)
	return vs, more, nil
}

// EntityViolations returns the violation records of an entity, newest first.
func (db *DB) EntityViolations(ctx context.Context, uscc supervision.USCC) ([]supervision.Violation, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+violationColumns+" FROM violations v WHERE v.uscc = $1 ORDER BY v.at DESC, v.id DESC", string(uscc))
	vs, err := pgx.CollectRows(rows, scanViolation)
	if err != nil {
		return nil, translate(err, "read entity violations")
	}
	return vs, nil
}

const abnormalColumns = `uscc, reason, listed_at, authority, removed_at`

func scanAbnormal(row pgx.CollectableRow) (supervision.AbnormalListing, error) {
	var a supervision.AbnormalListing
	var uscc, reason string
	err := row.Scan(&uscc, &reason, &a.ListedAt, &a.Authority, &a.RemovedAt)
	a.USCC, a.Reason = supervision.USCC(uscc), supervision.AbnormalReason(reason)
	a.ListedAt = beijingDate(a.ListedAt)
	if a.RemovedAt != nil {
		d := beijingDate(*a.RemovedAt)
		a.RemovedAt = &d
	}
	return a, err
}

// beijingDate is a stored date as midnight Beijing time.
func beijingDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, supervision.Beijing)
}

// ListAbnormal puts an entity on the abnormal-operation list and reports
// whether the listing is new. Listing it again for the same reason on the
// same date returns the listing; while it is listed for that reason since
// another date, it is a 409.
func (db *DB) ListAbnormal(ctx context.Context, a supervision.AbnormalListing) (supervision.AbnormalListing, bool, error) {
	if _, err := supervision.ParseAbnormalReason(string(a.Reason)); err != nil {
		return a, false, derrors.Field("reason", "%v", err)
	}
	var out supervision.AbnormalListing
	created := false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// Lock the entity: two listings for one reason must not race.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM entities WHERE uscc = $1 FOR UPDATE`, string(a.USCC)).Scan(&one); err != nil {
			return notFound(err, "entity", string(a.USCC))
		}
		rows, _ := tx.Query(ctx, "SELECT "+abnormalColumns+` FROM abnormal_listings
			WHERE uscc = $1 AND reason = $2 AND removed_at IS NULL`, string(a.USCC), string(a.Reason))
		open, err := pgx.CollectRows(rows, scanAbnormal)
		if err != nil {
			return translate(err, "find abnormal listing")
		}
		if len(open) > 0 {
			if !open[0].ListedAt.Equal(beijingDate(a.ListedAt.In(supervision.Beijing))) {
				return derrors.New(derrors.Conflict, "%s has been on the abnormal-operation list for %s since %s; remove it first",
					a.USCC, a.Reason, open[0].ListedAt.Format(time.DateOnly))
			}
			out = open[0]
			return nil
		}
		rows, _ = tx.Query(ctx, `INSERT INTO abnormal_listings (uscc, reason, listed_at, authority)
			VALUES ($1, $2, $3, $4) RETURNING `+abnormalColumns,
			string(a.USCC), string(a.Reason), a.ListedAt.In(supervision.Beijing).Format(time.DateOnly), a.Authority)
		out, err = pgx.CollectExactlyOneRow(rows, scanAbnormal)
		created = true
		return translate(err, "list abnormal")
	})
	return out, created, err
}

// RemoveAbnormal takes an entity off the abnormal-operation list for a
// reason. It is a 409 when the entity is not listed for it, a 400 when the
// removal date is before the listing.
func (db *DB) RemoveAbnormal(ctx context.Context, uscc supervision.USCC, reason supervision.AbnormalReason, removedAt time.Time) (supervision.AbnormalListing, error) {
	if _, err := supervision.ParseAbnormalReason(string(reason)); err != nil {
		return supervision.AbnormalListing{}, derrors.Field("reason", "%v", err)
	}
	var out supervision.AbnormalListing
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM entities WHERE uscc = $1 FOR UPDATE`, string(uscc)).Scan(&one); err != nil {
			return notFound(err, "entity", string(uscc))
		}
		day := removedAt.In(supervision.Beijing).Format(time.DateOnly)
		rows, _ := tx.Query(ctx, `UPDATE abnormal_listings SET removed_at = $3
			WHERE uscc = $1 AND reason = $2 AND removed_at IS NULL AND listed_at <= $3
			RETURNING `+abnormalColumns, string(uscc), string(reason), day)
		done, err := pgx.CollectRows(rows, scanAbnormal)
		if err != nil {
			return translate(err, "remove abnormal")
		}
		if len(done) == 1 {
			out = done[0]
			return nil
		}
		var listed *time.Time
		err = tx.QueryRow(ctx, `SELECT listed_at FROM abnormal_listings WHERE uscc = $1 AND reason = $2 AND removed_at IS NULL`,
			string(uscc), string(reason)).Scan(&listed)
		if err == pgx.ErrNoRows {
			return derrors.New(derrors.Conflict, "%s is not on the abnormal-operation list for %s", uscc, reason)
		}
		if err != nil {
			return translate(err, "find abnormal listing")
		}
		return derrors.Field("removed_at", "%s is before the listing on %s", day, listed.Format(time.DateOnly))
	})
	return out, err
}

// EntityAbnormal returns an entity's periods on the abnormal-operation
// list, the latest first.
func (db *DB) EntityAbnormal(ctx context.Context, uscc supervision.USCC) ([]supervision.AbnormalListing, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+abnormalColumns+` FROM abnormal_listings WHERE uscc = $1
		ORDER BY listed_at DESC, id DESC`, string(uscc))
	as, err := pgx.CollectRows(rows, scanAbnormal)
	if err != nil {
		return nil, translate(err, "read abnormal listings")
	}
	return as, nil
}
