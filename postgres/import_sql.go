package postgres

import (
	"strings"

	"github.com/gridsentry/gridsentry/addressbook"
)

// The statements of an import, type by type. Each works on the whole
// staging table (import_rows, see stagingTable) at once: a check is an
// UPDATE that gives the rows it catches a reason, and only rows without a
// reason go on. The order matters: derivations before the checks that use
// their result, checks before the classification, history before writes,
// writes that free a unique slot (retirements, moves) before inserts.
//
// $1, where used, is the id of the imports row.

// rejectDuplicates keeps the first of several rows with the same key.
const rejectDuplicates = `
UPDATE import_rows s SET reason = format('%s %s appears more than once in the file: first at line %s', s.type, s.key, d.first)
FROM (SELECT line, min(line) OVER (PARTITION BY type, key) AS first FROM import_rows WHERE reason IS NULL) d
WHERE s.line = d.line AND d.first <> d.line`

// expand fills in the placeholders of a statement template: {T} the record
// type, {table} its table (aliased x), {key} x's key as text, {keycol} and
// {cast} its key column and the cast of a text key to it, {match} the join
// of x to its staging row s.
func expand(t addressbook.RecordType, q string) string {
	r := strings.NewReplacer("{T}", string(t), "{table}", string(t)+"s",
		"{key}", "x.code", "{keycol}", "x.code", "{cast}", "", "{match}", "x.code = s.key")
	if t.KeyedByID() {
		r = strings.NewReplacer("{T}", string(t), "{table}", string(t)+"s",
			"{key}", "x.id::text", "{keycol}", "x.id", "{cast}", "::bigint", "{match}", "x.id = s.id")
	}
	return r.Replace(q)
}

func steps(t addressbook.RecordType, pairs ...string) []sqlStep {
	out := make([]sqlStep, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, sqlStep{what: pairs[i], sql: expand(t, pairs[i+1])})
	}
	return out
}

// reject builds a check: rows of the type matching cond get reason.
func reject(reason, from, cond string) string {
	q := "UPDATE import_rows s SET reason = " + reason
	if from != "" {
		q += " FROM " + from
	}
	return q + " WHERE s.type = '{T}' AND s.reason IS NULL AND " + cond
}

// uniqueInFile rejects the later of two good rows that share the values of
// cols (a unique key of the table other than the code).
func uniqueInFile(reason, cols, filter string) string {
	return `UPDATE import_rows s SET reason = ` + reason + `
		FROM (SELECT line, first_value(line) OVER w AS first, first_value(key) OVER w AS first_key
		      FROM import_rows WHERE type = '{T}' AND reason IS NULL ` + filter + `
		      WINDOW w AS (PARTITION BY ` + cols + ` ORDER BY line)) d
		WHERE s.line = d.line AND d.first <> d.line`
}

// notInFile is true for a stored row x that the file does not restate (or
// replace): its values stay as they are, so a good row may not take its key.
// (Two NOT EXISTS, not one with OR: the OR defeats the anti join and
// costs a scan of the staging table per stored row.)
const notInFile = `NOT EXISTS (SELECT 1 FROM import_rows o WHERE o.type = '{T}' AND o.reason IS NULL AND o.key = {key})
	AND NOT EXISTS (SELECT 1 FROM import_rows o WHERE o.type = '{T}' AND o.reason IS NULL AND o.replaces = {key})`

// historyOf copies the stored rows the file changes into address_history.
// Types without a version column number their versions by their history.
func historyOf(t addressbook.RecordType, which string) string {
	version := "x.version"
	if !t.HasLifecycle() {
		version = "1 + (SELECT count(*) FROM address_history h WHERE h.kind = '{T}' AND h.code = {key})"
	}
	return `INSERT INTO address_history (kind, code, version, row_data, import_id)
		SELECT '{T}', {key}, ` + version + `, to_jsonb(x), $1 FROM {table} x
		WHERE {keycol} IN (SELECT k{cast} FROM (` + which + `) w(k))`
}

// classifyInsert marks the good rows whose key is not stored yet.
const classifyInsert = `UPDATE import_rows s SET action = 'insert'
	WHERE s.type = '{T}' AND s.reason IS NULL AND NOT EXISTS (SELECT 1 FROM {table} x WHERE {match})`

// classify marks the good rows whose stored row differs in a column of same
// (geometry compared exactly, vertex by vertex) for update. The rows it
// leaves without an action are unchanged: on a re-import, which is most of
// the rows, nothing is written, not even to the staging table.
func classify(same string) string {
	return `UPDATE import_rows s SET action = 'update'
		FROM {table} x WHERE s.type = '{T}' AND s.reason IS NULL AND {match} AND NOT (` + same + `)`
}

// Checks and writes of the lifecycle (retired_at, successor_code, replaces)
// shared by doorplates and rooms.
var (
	lifecycleChecks = []string{
		"retired codes stay retired", reject(
			`format('{T} %s was retired on %s%s; a retired code is not brought back', s.key,
				to_char(x.retired_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
				coalesce(' (its successor is ' || x.successor_code || ')', ''))`,
			"{table} x", "x.code = s.key AND x.retired_at IS NOT NULL AND s.retired_at IS NULL"),
		"successors exist", reject(`format('successor_code: %s does not exist', s.successor_code)`, "",
			`s.successor_code IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.code = s.successor_code)
			AND NOT EXISTS (SELECT 1 FROM import_rows o WHERE o.type = '{T}' AND o.key = s.successor_code AND o.reason IS NULL)`),
		"replaced codes exist", reject(`format('replaces: there is no {T} %s', s.replaces)`, "",
			"s.replaces IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.code = s.replaces)"),
		"replaced codes are not restated", reject(`format('replaces: %s, which the file also lists at line %s', s.replaces, o.line)`,
			"import_rows o", "s.replaces IS NOT NULL AND o.type = '{T}' AND o.key = s.replaces"),
		"replaced codes have no other successor", reject(`format('replaces: %s, which %s already succeeds', s.replaces, x.successor_code)`,
			"{table} x", "x.code = s.replaces AND x.successor_code IS NOT NULL AND x.successor_code <> s.key"),
		"one successor per replaced code", uniqueInFile(`format('replaces: %s, which line %s replaces too', s.replaces, d.first)`,
			"replaces", "AND replaces IS NOT NULL"),
	}
	// lifecycleWrites follow the history: retire the replaced codes (freeing
	// their unique slots), update, insert, then link successors, which
	// may be rows inserted just before.
	lifecycleWrites = []string{
		"mark replaced codes", `UPDATE import_rows s
			SET old_action = CASE WHEN x.retired_at IS NULL THEN 'retire' WHEN x.successor_code IS NULL THEN 'link' END
			FROM {table} x WHERE s.type = '{T}' AND s.reason IS NULL AND s.replaces IS NOT NULL AND x.code = s.replaces`,
		"history", historyOf(addressbook.TypeDoorplate,
			`SELECT key FROM import_rows WHERE type = '{T}' AND action = 'update'
			 UNION ALL SELECT replaces FROM import_rows WHERE type = '{T}' AND old_action IS NOT NULL`),
		"retire replaced codes", `UPDATE {table} x SET retired_at = coalesce(x.retired_at, now()), version = x.version + 1
			FROM import_rows s WHERE s.type = '{T}' AND s.old_action IS NOT NULL AND x.code = s.replaces`,
	}
	lifecycleLinks = []string{
		"set successors", `UPDATE {table} x SET successor_code = s.successor_code
			FROM import_rows s WHERE s.type = '{T}' AND (s.action = 'update' OR s.action = 'insert' AND s.successor_code IS NOT NULL)
			AND x.code = s.key AND x.successor_code IS DISTINCT FROM s.successor_code`,
		"link replaced codes", `UPDATE {table} x SET successor_code = s.key
			FROM import_rows s WHERE s.type = '{T}' AND s.old_action IS NOT NULL AND x.code = s.replaces`,
	}
)

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// importSQL are the statements of each record type, run in load order.
var importSQL = map[addressbook.RecordType][]sqlStep{
	addressbook.TypeRoad: steps(addressbook.TypeRoad,
		"towns exist", reject(`format('town %s does not exist', s.town_code)`, "",
			"NOT EXISTS (SELECT 1 FROM towns t WHERE t.code = s.town_code)"),
		"roads in their town", reject(`format('the road lies outside town %s', s.town_code)`, "",
			"NOT EXISTS (SELECT 1 FROM towns t WHERE t.code = s.town_code AND ST_Intersects(t.geom, s.geom))"),
		"names unique in the file", uniqueInFile(`format('name %s: road %s at line %s has it too', s.name, d.first_key, d.first)`,
			"town_code, name", ""),
		"names unique in the town", reject(`format('name %s is taken by road %s', s.name, x.code)`, "roads x",
			"x.town_code = s.town_code AND x.name = s.name AND x.code <> s.key AND "+notInFile),
		"find changed rows", classify("x.name = s.name AND x.geom = s.geom"),
		"find new rows", classifyInsert,
		"history", historyOf(addressbook.TypeRoad, `SELECT key FROM import_rows WHERE type = '{T}' AND action = 'update'`),
		"update", `UPDATE roads x SET name = s.name, geom = s.geom
			FROM import_rows s WHERE s.type = '{T}' AND s.action = 'update' AND x.code = s.key`,
		"insert", `INSERT INTO roads (code, town_code, name, geom)
			SELECT key, town_code, name, geom FROM import_rows WHERE type = '{T}' AND action = 'insert' ORDER BY line`,
	),

	addressbook.TypeDoorplate: steps(addressbook.TypeDoorplate, concat([]string{
		"towns exist", reject(`format('town %s does not exist', s.town_code)`, "",
			"NOT EXISTS (SELECT 1 FROM towns t WHERE t.code = s.town_code)"),
		"roads exist", reject(`format('road_code: road %s does not exist', s.road_code)`, "",
			"NOT EXISTS (SELECT 1 FROM roads r WHERE r.code = s.road_code)"),
		"derive grids", `UPDATE import_rows s SET grid_code = m.code, village_code = m.village_code
			FROM (SELECT DISTINCT ON (s.line) s.line, g.code, g.village_code
			      FROM import_rows s JOIN grids g ON g.town_code = s.town_code
			       AND (s.village_code IS NULL OR g.village_code = s.village_code) AND ST_Intersects(g.geom, s.geom)
			      WHERE s.type = '{T}' AND s.reason IS NULL AND s.grid_code IS NULL
			      ORDER BY s.line, g.code) m
			WHERE s.line = m.line`,
		"grid found", reject(`format('the point lies in no grid of %s', coalesce('village ' || s.village_code, 'town ' || s.town_code))`, "",
			"s.grid_code IS NULL"),
		"grids exist", reject(`format('grid_code: grid %s does not exist', s.grid_code)`, "",
			"NOT EXISTS (SELECT 1 FROM grids g WHERE g.code = s.grid_code)"),
		"points in their grid", reject(`format('the point lies outside grid %s', s.grid_code)`, "",
			"NOT EXISTS (SELECT 1 FROM grids g WHERE g.code = s.grid_code AND ST_Intersects(g.geom, s.geom))"),
	}, lifecycleChecks, []string{
		"numbers unique in the file", uniqueInFile(
			`format('number %s%s on road %s: doorplate %s at line %s has it too', s.number,
				CASE WHEN s.sub_number > 0 THEN '-' || s.sub_number ELSE '' END, s.road_code, d.first_key, d.first)`,
			"road_code, number, sub_number", "AND retired_at IS NULL"),
		"numbers unique on the road", reject(
			`format('number %s%s on road %s is already doorplate %s', s.number,
				CASE WHEN s.sub_number > 0 THEN '-' || s.sub_number ELSE '' END, s.road_code, x.code)`, "doorplates x",
			`s.retired_at IS NULL AND x.road_code = s.road_code AND x.number = s.number AND x.sub_number = s.sub_number
			AND x.retired_at IS NULL AND x.code <> s.key AND `+notInFile),
		"find changed rows", classify(`(x.road_code, x.town_code, x.village_code, x.grid_code, x.number, x.sub_number, x.retired_at, x.successor_code)
			IS NOT DISTINCT FROM (s.road_code, s.town_code, s.village_code, s.grid_code, s.number, s.sub_number, s.retired_at, s.successor_code)
			AND x.geom = s.geom`),
		"find new rows", classifyInsert,
	}, lifecycleWrites, []string{
		"update", `UPDATE doorplates x SET road_code = s.road_code, town_code = s.town_code, village_code = s.village_code,
			grid_code = s.grid_code, number = s.number, sub_number = s.sub_number, geom = s.geom,
			retired_at = s.retired_at, version = x.version + 1
			FROM import_rows s WHERE s.type = '{T}' AND s.action = 'update' AND x.code = s.key`,
		"insert", `INSERT INTO doorplates (code, road_code, town_code, village_code, grid_code, number, sub_number, geom, retired_at)
			SELECT key, road_code, town_code, village_code, grid_code, number, sub_number, geom, retired_at
			FROM import_rows WHERE type = '{T}' AND action = 'insert' ORDER BY line`,
	}, lifecycleLinks)...),

	addressbook.TypePlace: steps(addressbook.TypePlace,
		"towns exist", reject(`format('town %s does not exist', s.town_code)`, "",
			"NOT EXISTS (SELECT 1 FROM towns t WHERE t.code = s.town_code)"),
		"doorplates exist", reject(`format('doorplate_code: doorplate %s does not exist', s.doorplate_code)`, "",
			"NOT EXISTS (SELECT 1 FROM doorplates d WHERE d.code = s.doorplate_code)"),
		"derive villages", `UPDATE import_rows s SET village_code = m.code
			FROM (SELECT DISTINCT ON (s.line) s.line, v.code
			      FROM import_rows s JOIN villages v ON v.town_code = s.town_code AND ST_Intersects(v.geom, s.geom)
			      WHERE s.type = '{T}' AND s.reason IS NULL AND s.village_code IS NULL
			      ORDER BY s.line, v.code) m
			WHERE s.line = m.line`,
		"village found", reject(`format('the point lies in no village of town %s', s.town_code)`, "", "s.village_code IS NULL"),
		"villages exist", reject(`format('village_code: village %s does not exist in town %s', s.village_code, s.town_code)`, "",
			"NOT EXISTS (SELECT 1 FROM villages v WHERE v.code = s.village_code AND v.town_code = s.town_code)"),
		"points in their village", reject(`format('the point lies outside village %s', s.village_code)`, "",
			"NOT EXISTS (SELECT 1 FROM villages v WHERE v.code = s.village_code AND ST_Intersects(v.geom, s.geom))"),
		"names unique in the file", uniqueInFile(`format('name %s: place %s at line %s has it too', s.name, d.first_key, d.first)`,
			"town_code, name", ""),
		"names unique in the town", reject(`format('name %s is taken by place %s', s.name, x.id)`, "places x",
			"x.town_code = s.town_code AND x.name = s.name AND x.id <> s.id AND "+notInFile),
		"find changed rows", classify(`(x.name, x.kind, x.town_code, x.village_code, x.doorplate_code)
			IS NOT DISTINCT FROM (s.name, s.kind, s.town_code, s.village_code, s.doorplate_code) AND x.geom = s.geom`),
		"find new rows", classifyInsert,
		"history", historyOf(addressbook.TypePlace, `SELECT key FROM import_rows WHERE type = '{T}' AND action = 'update'`),
		"update", `UPDATE places x SET name = s.name, kind = s.kind, town_code = s.town_code, village_code = s.village_code,
			doorplate_code = s.doorplate_code, geom = s.geom
			FROM import_rows s WHERE s.type = '{T}' AND s.action = 'update' AND x.id = s.id`,
		"insert", `INSERT INTO places (id, name, kind, town_code, village_code, doorplate_code, geom)
			SELECT id, name, kind, town_code, village_code, doorplate_code, geom
			FROM import_rows WHERE type = '{T}' AND action = 'insert' ORDER BY line`,
	),

	addressbook.TypeBuilding: steps(addressbook.TypeBuilding,
		"valid footprints", reject(`format('geometry: invalid footprint: %s', ST_IsValidReason(s.geom))`, "", "NOT ST_IsValid(s.geom)"),
		"doorplates exist", reject(`format('doorplate_code: doorplate %s does not exist', s.doorplate_code)`, "",
			"NOT EXISTS (SELECT 1 FROM doorplates d WHERE d.code = s.doorplate_code)"),
		"places exist", reject(`format('place_id: place %s does not exist', s.place_id)`, "",
			"s.place_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM places p WHERE p.id = s.place_id)"),
		"towns exist", reject(`format('town %s does not exist', s.town_code)`, "",
			"s.town_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM towns t WHERE t.code = s.town_code)"),
		"derive grids", `UPDATE import_rows s SET grid_code = m.code, village_code = m.village_code, town_code = m.town_code
			FROM (SELECT DISTINCT ON (s.line) s.line, g.code, g.village_code, g.town_code
			      FROM import_rows s JOIN grids g ON (s.town_code IS NULL OR g.town_code = s.town_code)
			       AND (s.village_code IS NULL OR g.village_code = s.village_code)
			       AND ST_Intersects(g.geom, ST_PointOnSurface(s.geom))
			      WHERE s.type = '{T}' AND s.reason IS NULL AND s.grid_code IS NULL
			      ORDER BY s.line, g.code) m
			WHERE s.line = m.line`,
		"grid found", reject(`format('the footprint lies in no grid%s', coalesce(' of village ' || s.village_code, ' of town ' || s.town_code, ''))`, "",
			"s.grid_code IS NULL"),
		"grids exist", reject(`format('grid_code: grid %s does not exist', s.grid_code)`, "",
			"NOT EXISTS (SELECT 1 FROM grids g WHERE g.code = s.grid_code)"),
		"footprints in their grid", reject(`format('the footprint lies outside grid %s', s.grid_code)`, "",
			"NOT EXISTS (SELECT 1 FROM grids g WHERE g.code = s.grid_code AND ST_Intersects(g.geom, ST_PointOnSurface(s.geom)))"),
		"labels unique in the file", uniqueInFile(`format('label %s at doorplate %s: building %s at line %s has it too', s.label, s.doorplate_code, d.first_key, d.first)`,
			"doorplate_code, label", ""),
		"labels unique at the doorplate", reject(`format('label %s at doorplate %s is already building %s', s.label, s.doorplate_code, x.id)`, "buildings x",
			"x.doorplate_code = s.doorplate_code AND x.label = s.label AND x.id <> s.id AND "+notInFile),
		"find changed rows", classify(`(x.doorplate_code, x.place_id, x.label, x.use, x.floors, x.basement_floors, x.status, x.town_code, x.village_code, x.grid_code)
			IS NOT DISTINCT FROM (s.doorplate_code, s.place_id, s.label, s.use, s.floors::smallint, s.basement_floors::smallint, s.status, s.town_code, s.village_code, s.grid_code)
			AND x.geom = s.geom`),
		"find new rows", classifyInsert,
		"history", historyOf(addressbook.TypeBuilding, `SELECT key FROM import_rows WHERE type = '{T}' AND action = 'update'`),
		"update", `UPDATE buildings x SET doorplate_code = s.doorplate_code, place_id = s.place_id, label = s.label, use = s.use,
			floors = s.floors, basement_floors = s.basement_floors, status = s.status,
			town_code = s.town_code, village_code = s.village_code, grid_code = s.grid_code, geom = s.geom
			FROM import_rows s WHERE s.type = '{T}' AND s.action = 'update' AND x.id = s.id`,
		"insert", `INSERT INTO buildings (id, doorplate_code, place_id, label, use, floors, basement_floors, status, town_code, village_code, grid_code, geom)
			SELECT id, doorplate_code, place_id, label, use, floors, basement_floors, status, town_code, village_code, grid_code, geom
			FROM import_rows WHERE type = '{T}' AND action = 'insert' ORDER BY line`,
	),

	addressbook.TypeRoom: steps(addressbook.TypeRoom, concat([]string{
		"buildings exist", reject(`format('building_id: building %s does not exist', s.building_id)`, "",
			"NOT EXISTS (SELECT 1 FROM buildings b WHERE b.id = s.building_id)"),
		"rooms in their building's town", reject(
			`format('code: %s is a code of town %s, building %s is in town %s', s.key, left(s.key, 9), b.id, b.town_code)`,
			"buildings b", "b.id = s.building_id AND b.town_code <> left(s.key, 9)"),
		"floors in their building", reject(
			`format('floor %s is not in building %s (floors %s to %s)', s.floor, b.id, CASE WHEN b.basement_floors > 0 THEN -b.basement_floors ELSE 1 END, b.floors)`,
			"buildings b", "b.id = s.building_id AND (s.floor > b.floors OR s.floor < -b.basement_floors)"),
	}, lifecycleChecks, []string{
		"labels unique in the file", uniqueInFile(
			`format('label %s%s in building %s: room %s at line %s has it too', CASE WHEN s.unit <> '' THEN 'unit ' || s.unit || ' ' ELSE '' END,
				s.label, s.building_id, d.first_key, d.first)`,
			"building_id, unit, label", "AND retired_at IS NULL"),
		"labels unique in the building", reject(
			`format('label %s%s in building %s is already room %s', CASE WHEN s.unit <> '' THEN 'unit ' || s.unit || ' ' ELSE '' END,
				s.label, s.building_id, x.code)`, "rooms x",
			`s.retired_at IS NULL AND x.building_id = s.building_id AND x.unit = s.unit AND x.label = s.label
			AND x.retired_at IS NULL AND x.code <> s.key AND `+notInFile),
		"find changed rows", classify(`(x.building_id, x.unit, x.floor, x.label, x.retired_at, x.successor_code)
			IS NOT DISTINCT FROM (s.building_id, s.unit, s.floor::smallint, s.label, s.retired_at, s.successor_code)`),
		"find new rows", classifyInsert,
	}, lifecycleWrites, []string{
		"update", `UPDATE rooms x SET building_id = s.building_id, unit = s.unit, floor = s.floor, label = s.label,
			retired_at = s.retired_at, version = x.version + 1
			FROM import_rows s WHERE s.type = '{T}' AND s.action = 'update' AND x.code = s.key`,
		"insert", `INSERT INTO rooms (code, building_id, unit, floor, label, retired_at)
			SELECT key, building_id, unit, floor, label, retired_at
			FROM import_rows WHERE type = '{T}' AND action = 'insert' ORDER BY line`,
	}, lifecycleLinks)...),
}

// retireMissingSQL retires, in the towns a file lists rows of a type for,
// what the file no longer lists: doorplates and rooms are retired without a
// successor, buildings marked demolished. Roads and places have no
// lifecycle and stay. Every statement copies the rows into the history
// first (a data-modifying CTE sees the rows as they were) and returns the
// number retired.
var retireMissingSQL = map[addressbook.RecordType]string{
	addressbook.TypeDoorplate: expand(addressbook.TypeDoorplate, `
		WITH gone AS (
			SELECT x.code FROM doorplates x
			WHERE x.retired_at IS NULL
			  AND x.town_code IN (SELECT DISTINCT town_code FROM import_rows WHERE type = '{T}' AND town_code IS NOT NULL)
			  AND NOT EXISTS (SELECT 1 FROM import_rows s WHERE s.type = '{T}' AND s.key = x.code)
		), history AS (`+historyOf(addressbook.TypeDoorplate, "SELECT code FROM gone")+`)
		UPDATE doorplates x SET retired_at = now(), version = x.version + 1 WHERE x.code IN (SELECT code FROM gone)`),
	addressbook.TypeRoom: expand(addressbook.TypeRoom, `
		WITH gone AS (
			SELECT x.code FROM rooms x
			WHERE x.retired_at IS NULL
			  AND left(x.code, 9) IN (SELECT DISTINCT left(key, 9) FROM import_rows WHERE type = '{T}' AND key IS NOT NULL)
			  AND NOT EXISTS (SELECT 1 FROM import_rows s WHERE s.type = '{T}' AND s.key = x.code)
		), history AS (`+historyOf(addressbook.TypeRoom, "SELECT code FROM gone")+`)
		UPDATE rooms x SET retired_at = now(), version = x.version + 1 WHERE x.code IN (SELECT code FROM gone)`),
	addressbook.TypeBuilding: expand(addressbook.TypeBuilding, `
		WITH gone AS (
			SELECT x.id FROM buildings x
			WHERE x.status <> 'demolished'
			  AND x.town_code IN (SELECT DISTINCT town_code FROM import_rows WHERE type = '{T}' AND town_code IS NOT NULL)
			  AND NOT EXISTS (SELECT 1 FROM import_rows s WHERE s.type = '{T}' AND s.key = x.id::text)
		), history AS (`+historyOf(addressbook.TypeBuilding, "SELECT id::text FROM gone")+`)
		UPDATE buildings x SET status = 'demolished' WHERE x.id IN (SELECT id FROM gone)`),
}
