package postgres

import (
	"context"

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

// A screenPlan is what the store reads before it writes the SQL of a
// filter's screening criteria: the entities its links compare with, and
// which of its group criteria select many entities.
type screenPlan struct {
	targets map[supervision.USCC]screenTarget
	// dense holds the group links (phone, legal_rep, building) whose groups
	// of the size asked hold more than denseGroupMembers entities.
	dense map[string]bool
}

// denseGroupMembers is the number of members above which a group criterion
// is dense: a page in USCC order then walks the primary key and tests each
// entity, rather than collecting every member and sorting them. The
// planner cannot tell, as it takes every building for an average one: the
// 2,441 buildings of 20 active entities or more hold 126,423 entities of
// the two million at city scale, not the 6,300 it expects.
const denseGroupMembers = 20000

// groupLinks are the group criteria: the table that counts each group,
// its key column, and the expression of an entity's key with the condition
// that the entity has one (matching the partial indexes of the key).
var groupLinks = map[string]struct{ table, key, expr, has string }{
	"phone":     {"phone_groups", "key", "phone_key(entities.phone)", "phone <> ''"},
	"legal_rep": {"legal_rep_groups", "key", "upper(entities.id_number)", "id_number <> ''"},
	"building":  {"building_groups", "building_id", "entities.building_id", ""},
}

// A groupSize is a group criterion: the link and the least group size.
type groupSize struct {
	link string
	n    int
}

// groupSizes are the group criteria f sets, in a fixed order (the SQL of
// a filter is the same text every time).
func groupSizes(f supervision.EntityFilter) []groupSize {
	var out []groupSize
	for _, g := range []groupSize{{"phone", f.SharedPhoneMin}, {"legal_rep", f.SharedLegalRepMin}, {"building", f.BuildingEntitiesMin}} {
		if g.n != 0 {
			out = append(out, g)
		}
	}
	return out
}

// screenPlanOf reads what the SQL of f's screening criteria needs: the
// entities its links compare with, by code (a code that names no entity is
// bad input naming the field that gave it), and, for a list in USCC order
// (ordered), how many entities its group criteria select.
func (db *DB) screenPlanOf(ctx context.Context, f supervision.EntityFilter, ordered bool) (screenPlan, error) {
	plan := screenPlan{dense: map[string]bool{}}
	if ordered {
		for _, g := range groupSizes(f) {
			var members int64
			if err := db.pool.QueryRow(ctx, `SELECT coalesce(sum(n), 0) FROM `+groupLinks[g.link].table+
				` WHERE n >= 2 AND n >= $1`, g.n).Scan(&members); err != nil {
				return plan, translate(err, "size the groups of "+g.link)
			}
			plan.dense[g.link] = members > denseGroupMembers
		}
	}
	fields := f.Targets()
	if len(fields) == 0 {
		return plan, nil
	}
	codes := make([]string, 0, len(fields))
	for _, c := range fields {
		codes = append(codes, string(c))
	}
	rows, err := db.pool.Query(ctx, `SELECT uscc, coalesce(building_id, 0), coalesce(phone_key(phone), ''),
		upper(id_number), legal_rep, coalesce(town_code, '') FROM entities WHERE uscc = ANY ($1)`, codes)
	if err != nil {
		return plan, translate(err, "read the entities to compare with")
	}
	plan.targets = map[supervision.USCC]screenTarget{}
	var uscc string
	var t screenTarget
	_, err = pgx.ForEachRow(rows, []any{&uscc, &t.building, &t.phoneKey, &t.idKey, &t.legalRep, &t.town}, func() error {
		plan.targets[supervision.USCC(uscc)] = t
		return nil
	})
	if err != nil {
		return plan, translate(err, "read the entities to compare with")
	}
	for _, field := range []string{"same_building_as", "same_phone_as", "same_legal_rep_as"} {
		if c, ok := fields[field]; ok {
			if _, found := plan.targets[c]; !found {
				return plan, derrors.Field(field, "no entity has the USCC %s", c)
			}
		}
	}
	return plan, nil
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
//   - groups: a semi-join with the counts of migration 00015 (phone_groups,
//     ...), through which the planner finds the members of few big groups
//     by the indexes of the keys; a dense criterion in a list in USCC order
//     is a test of each entity instead (see denseGroupMembers);
//   - flags: the entities of the matching flags, or entity_open_flags;
//   - inspection_outcome: entity_visits, the last visit of each entity.
func screenConds(w *sqlConds, f supervision.EntityFilter, plan screenPlan) {
	targets := plan.targets
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
	for _, size := range groupSizes(f) {
		g := groupLinks[size.link]
		cond := "EXISTS (SELECT 1 FROM " + g.table + " g WHERE g." + g.key + " = " + g.expr +
			// n >= 2 besides n >= $k: the partial index's predicate, which
			// the planner cannot prove from a parameter.
			" AND g.n >= 2 AND g.n >= " + w.arg(size.n)
		if plan.dense[size.link] {
			// OFFSET 0 keeps the subquery from becoming a join: it is a
			// test of each entity the walk of the order meets.
			cond += " OFFSET 0"
		}
		cond += ")"
		if g.has != "" {
			cond = g.has + " AND " + cond
		}
		w.add(cond)
	}
	if kind, status, ok := f.FlagSelection(); ok {
		cond := "f.status = " + w.arg(string(status))
		if kind != "" {
			cond += " AND f.kind = " + w.arg(string(kind))
		}
		// The entity a flag is about, from the index alone (flags_entity_idx),
		// and the members of the flags about many (flags_group_idx): the
		// members of a flag about one entity are that entity.
		w.add("uscc IN (SELECT f.uscc FROM flags f WHERE " + cond + " AND f.uscc IS NOT NULL" +
			" UNION ALL SELECT u FROM flags f, unnest(f.usccs) u WHERE " + cond +
			" AND (f.uscc IS NULL OR f.usccs <> ARRAY[f.uscc]))")
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
	w, err := db.entityWhere(ctx, f, false)
	if err != nil {
		return 0, err
	}
	var n int
	if err := db.pool.QueryRow(ctx, countQuery(w), w.args...).Scan(&n); err != nil {
		return 0, translate(err, "count entities")
	}
	return n, nil
}

// countQuery is the SQL of EntityCount.
func countQuery(w *sqlConds) string {
	return "SELECT count(*) FROM entities" + w.where()
}

// pointsQuery is the SQL of EntityPoints' points: it adds to w.
func pointsQuery(w *sqlConds, limit int) string {
	w.add("location IS NOT NULL")
	return `SELECT uscc, name, kind, status, industry, coalesce(town_code, ''), ST_X(location), ST_Y(location),
		coalesce((SELECT c.n FROM entity_open_flags c WHERE c.uscc = entities.uscc), 0)
		FROM entities` + w.where() + " ORDER BY uscc LIMIT " + w.arg(limit)
}

// EntityPoints returns the map layer of the entities f selects (its cursor
// and limit aside): how many there are, and the first limit of those with
// a location in USCC order, with their open flags.
func (db *DB) EntityPoints(ctx context.Context, f supervision.EntityFilter, limit int) (supervision.EntityMap, error) {
	var out supervision.EntityMap
	if limit < 1 || limit > supervision.MaxMapLimit {
		return out, derrors.Field("limit", "must be from 1 to %d, not %d", supervision.MaxMapLimit, limit)
	}
	f.After, f.Limit = "", 0
	if err := f.Validate(); err != nil {
		return out, invalidInput(err)
	}
	plan, err := db.screenPlanOf(ctx, f, true)
	if err != nil {
		return out, err
	}
	// The points stop at the limit of the USCC order; one more than the
	// limit says whether it cut the layer short.
	wp, err := entityConds(f, plan)
	if err != nil {
		return out, err
	}
	rows, err := db.pool.Query(ctx, pointsQuery(wp, limit+1), wp.args...)
	if err != nil {
		return out, translate(err, "map entities")
	}
	var p supervision.EntityPoint
	var uscc, kind, status string
	_, err = pgx.ForEachRow(rows, []any{&uscc, &p.Name, &kind, &status, &p.Industry, &p.TownCode,
		&p.Location.Lon, &p.Location.Lat, &p.OpenFlags}, func() error {
		p.USCC, p.Kind, p.Status = supervision.USCC(uscc), supervision.Kind(kind), supervision.Status(status)
		out.Points = append(out.Points, p)
		return nil
	})
	if err != nil {
		return out, translate(err, "map entities")
	}
	if len(out.Points) > limit {
		out.Points, out.Truncated = out.Points[:limit], true
	}
	// A box, a polygon or a buffer selects located entities only: when the
	// layer holds them all, it is the count. Otherwise the count reads
	// every row the filter selects, in any order (from an index alone when
	// it can).
	if !out.Truncated && (f.BBox != nil || f.Within != nil || f.Near != nil) {
		out.Total = len(out.Points)
		return out, nil
	}
	counted := plan
	counted.dense = nil
	wc, err := entityConds(f, counted)
	if err != nil {
		return out, err
	}
	if err := db.pool.QueryRow(ctx, countQuery(wc), wc.args...).Scan(&out.Total); err != nil {
		return out, translate(err, "count entities")
	}
	return out, nil
}
