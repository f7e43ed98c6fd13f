package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// A screenTarget is what the links of a filter compare other entities with:
// the building, phone key, ID number and legal representative of one entity.
type screenTarget struct {
	building       int64  // 0: none
	phoneKey       string // phone_key of its phone, "" when it has none
	idKey          string // its ID number in upper case, "" when none
	legalRep, town string
}

// screenTargets reads the entities f's links compare with, by code. A code
// that names no entity is bad input, naming the field that gave it.
func (db *DB) screenTargets(ctx context.Context, f supervision.EntityFilter) (map[supervision.USCC]screenTarget, error) {
	fields := f.Targets()
	if len(fields) == 0 {
		return nil, nil
	}
	codes := make([]string, 0, len(fields))
	for _, c := range fields {
		codes = append(codes, string(c))
	}
	rows, err := db.pool.Query(ctx, `SELECT uscc, coalesce(building_id, 0), coalesce(phone_key(phone), ''),
		upper(id_number), legal_rep, coalesce(town_code, '') FROM entities WHERE uscc = ANY ($1)`, codes)
	if err != nil {
		return nil, translate(err, "read the entities to compare with")
	}
	out := map[supervision.USCC]screenTarget{}
	var uscc string
	var t screenTarget
	_, err = pgx.ForEachRow(rows, []any{&uscc, &t.building, &t.phoneKey, &t.idKey, &t.legalRep, &t.town}, func() error {
		out[supervision.USCC(uscc)] = t
		return nil
	})
	if err != nil {
		return nil, translate(err, "read the entities to compare with")
	}
	for _, field := range []string{"same_building_as", "same_phone_as", "same_legal_rep_as"} {
		if c, ok := fields[field]; ok {
			if _, found := out[c]; !found {
				return nil, derrors.Field(field, "no entity has the USCC %s", c)
			}
		}
	}
	return out, nil
}

// screenConds adds the screening criteria of f (the buffer, the links, the
// groups, the flags, the last inspection) to w. Each is shaped for an index
// (docs/screening.md):
//
//   - near: the box around the circle on the GiST index of location, then
//     the exact distance on the spheroid;
//   - links: the target's building, phone key or ID number, read first,
//     become constants that the building, phone_key and upper(id_number)
//     indexes find;
//   - groups: the keys of groups at least that big, from entity_groups
//     (migration 00015), whose members those indexes find;
//   - flags: the entities of the matching flags, or entity_open_flags;
//   - inspection_outcome: entity_visits, the last visit of each entity.
func screenConds(w *sqlConds, f supervision.EntityFilter, targets map[supervision.USCC]screenTarget) {
	if c := f.Near; c != nil {
		b := c.Bound()
		w.add("location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		w.add("ST_DWithin(location::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s)",
			c.Center[0], c.Center[1], c.RadiusM)
	}
	if u := f.SameBuildingAs; u != "" {
		if t := targets[u]; t.building != 0 {
			w.add("building_id = %s AND uscc <> %s", t.building, string(u))
		} else {
			w.add("false") // no building, no neighbours
		}
	}
	if u := f.SamePhoneAs; u != "" {
		if t := targets[u]; t.phoneKey != "" {
			w.add("phone <> '' AND phone_key(phone) = %s AND uscc <> %s", t.phoneKey, string(u))
		} else {
			w.add("false")
		}
	}
	if u := f.SameLegalRepAs; u != "" {
		w.add(legalRepCond(w, targets[u], u))
	}
	for _, g := range []struct {
		n          int
		link, cond string
	}{
		{f.SharedPhoneMin, "phone", "phone <> '' AND phone_key(phone) IN "},
		{f.SharedLegalRepMin, "legal_rep", "id_number <> '' AND upper(id_number) IN "},
		{f.BuildingEntitiesMin, "building", "building_id IN "},
	} {
		if g.n == 0 {
			continue
		}
		key := "g.key"
		if g.link == "building" {
			key = "g.key::bigint"
		}
		// n >= 2 besides n >= $k: the partial index's predicate, which the
		// planner cannot prove from a parameter.
		w.add(g.cond+"(SELECT "+key+" FROM entity_groups g WHERE g.link = %s AND g.n >= 2 AND g.n >= %s)", g.link, g.n)
	}
	if kind, status, ok := f.FlagSelection(); ok {
		cond := "f.status = " + w.arg(string(status))
		if kind != "" {
			cond += " AND f.kind = " + w.arg(string(kind))
		}
		w.add("uscc IN (SELECT u FROM flags f, unnest(f.usccs || f.uscc) u WHERE " + cond + ")")
	}
	if h := f.HasOpenFlag; h != nil {
		cond := "EXISTS (SELECT 1 FROM entity_open_flags c WHERE c.uscc = entities.uscc AND c.n > 0)"
		if !*h {
			cond = "NOT " + cond
		}
		w.add(cond)
	}
	if o := f.InspectionOutcome; o != "" {
		w.add("EXISTS (SELECT 1 FROM entity_visits v WHERE v.uscc = entities.uscc AND v.outcome = %s)", string(o))
	}
}

// legalRepCond is the condition of the entities that share t's legal
// representative: the same ID number (in any case) when both have one,
// else the same name in the same town.
func legalRepCond(w *sqlConds, t screenTarget, u supervision.USCC) string {
	byName := func(idCond string) string {
		if t.legalRep == "" || t.town == "" {
			return ""
		}
		return "(" + idCond + "legal_rep <> '' AND town_code = " + w.arg(t.town) + " AND legal_rep = " + w.arg(t.legalRep) + ")"
	}
	var cond string
	if t.idKey != "" {
		cond = "(id_number <> '' AND upper(id_number) = " + w.arg(t.idKey) + ")"
		if n := byName("id_number = '' AND "); n != "" {
			cond = "(" + cond + " OR " + n + ")"
		}
	} else {
		cond = byName("")
	}
	if cond == "" {
		return "false" // neither an ID number nor a name with a town
	}
	return cond + " AND uscc <> " + w.arg(string(u))
}

// EntityCount counts the entities f selects (its cursor and limit aside).
func (db *DB) EntityCount(ctx context.Context, f supervision.EntityFilter) (int, error) {
	f.After, f.Limit = "", 0
	w, err := db.entityWhere(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM entities"+w.where(), w.args...).Scan(&n); err != nil {
		return 0, translate(err, "count entities")
	}
	return n, nil
}

// EntityPoints returns the map layer of the entities f selects (its cursor
// and limit aside): how many there are, how many of them have a location,
// and the first limit of those in USCC order, with their open flags.
func (db *DB) EntityPoints(ctx context.Context, f supervision.EntityFilter, limit int) (supervision.EntityMap, error) {
	var out supervision.EntityMap
	if limit < 1 || limit > supervision.MaxMapLimit {
		return out, derrors.Field("limit", "must be from 1 to %d, not %d", supervision.MaxMapLimit, limit)
	}
	f.After, f.Limit = "", 0
	w, err := db.entityWhere(ctx, f)
	if err != nil {
		return out, err
	}
	// The count reads every row the filter selects; the points stop at the
	// limit. One round trip.
	b := &pgx.Batch{}
	b.Queue("SELECT count(*), count(location) FROM entities"+w.where(), slices.Clone(w.args)...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&out.Total, &out.Located)
	})
	w.add("location IS NOT NULL")
	q := `SELECT uscc, name, kind, status, industry, coalesce(town_code, ''), ST_X(location), ST_Y(location),
		coalesce((SELECT c.n FROM entity_open_flags c WHERE c.uscc = entities.uscc), 0)
		FROM entities` + w.where() + " ORDER BY uscc LIMIT " + w.arg(limit)
	b.Queue(q, w.args...).Query(func(rows pgx.Rows) error {
		var p supervision.EntityPoint
		var uscc, kind, status string
		_, err := pgx.ForEachRow(rows, []any{&uscc, &p.Name, &kind, &status, &p.Industry, &p.TownCode,
			&p.Location.Lon, &p.Location.Lat, &p.OpenFlags}, func() error {
			p.USCC, p.Kind, p.Status = supervision.USCC(uscc), supervision.Kind(kind), supervision.Status(status)
			out.Points = append(out.Points, p)
			return nil
		})
		return err
	})
	if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
		return supervision.EntityMap{}, translate(err, "map entities")
	}
	return out, nil
}
