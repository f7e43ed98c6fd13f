-- Advanced screening (高级筛选, 关联比对, 定向排查): saved filters, the group
-- sizes the screens of linked entities read, and the indexes and
-- statistics of the new criteria (docs/screening.md says what each costs).
--
-- phone_groups, legal_rep_groups and building_groups count the active
-- entities behind each phone (phone_key of migration 00008), each legal
-- representative's ID number (upper case) and each building, so that
-- "entities whose phone is shared by at least n entities" reads the few
-- keys of groups that big instead of grouping two million rows (25 s at
-- city scale). One table per link, each with its own key type and
-- statistics: the planner then knows how many keys a size selects. Like
-- entity_open_flags (00011) they are kept by statement-level triggers with
-- transition tables that add deltas: a row that leaves a group takes one
-- from it, a row that joins adds one. An update that changes none of
-- status, phone, id_number and building_id (last_inspected_at, a relink to
-- the same building) changes no count. Counts that fall to 0 stay as rows
-- of 0.

-- +goose Up
SET LOCAL statement_timeout = 0;

CREATE TABLE phone_groups (key text PRIMARY KEY, n integer NOT NULL);
CREATE TABLE legal_rep_groups (key text PRIMARY KEY, n integer NOT NULL);
CREATE TABLE building_groups (building_id bigint PRIMARY KEY, n integer NOT NULL);

-- +goose StatementBegin
-- entity_groups_sql is the statement that adds the group memberships of
-- entity states, the rows (status, phone, id_number, building_id, d) of the
-- query put in place of %s, each with its weight d (+1 joins, -1 leaves),
-- to the counts: only active entities count. In key order, so that two
-- statements changing the same groups take their row locks in the same
-- order rather than deadlock. It is text for EXECUTE, since a trigger's
-- transition tables are visible to the trigger function's own queries only.
CREATE FUNCTION entity_groups_sql() RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'WITH r AS MATERIALIZED (
                SELECT * FROM (%s) r (status, phone, id_number, building_id, d) WHERE r.status = ''active''
            ), p AS (
                INSERT INTO phone_groups AS g (key, n)
                SELECT phone_key(r.phone), sum(r.d) FROM r WHERE phone_key(r.phone) IS NOT NULL
                GROUP BY 1 HAVING sum(r.d) <> 0 ORDER BY 1
                ON CONFLICT (key) DO UPDATE SET n = g.n + excluded.n
            ), l AS (
                INSERT INTO legal_rep_groups AS g (key, n)
                SELECT upper(r.id_number), sum(r.d) FROM r WHERE r.id_number <> ''''
                GROUP BY 1 HAVING sum(r.d) <> 0 ORDER BY 1
                ON CONFLICT (key) DO UPDATE SET n = g.n + excluded.n
            )
            INSERT INTO building_groups AS g (building_id, n)
            SELECT r.building_id, sum(r.d) FROM r WHERE r.building_id IS NOT NULL
            GROUP BY 1 HAVING sum(r.d) <> 0 ORDER BY 1
            ON CONFLICT (building_id) DO UPDATE SET n = g.n + excluded.n'
$$;

-- entity_groups_refill counts every group again, for the migration and
-- after a bulk load that ran with the triggers off.
CREATE FUNCTION entity_groups_refill() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM phone_groups;
    DELETE FROM legal_rep_groups;
    DELETE FROM building_groups;
    EXECUTE format(entity_groups_sql(), 'SELECT status, phone, id_number, building_id, 1 FROM entities');
END
$$;

CREATE FUNCTION entity_groups_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM phone_groups;
        DELETE FROM legal_rep_groups;
        DELETE FROM building_groups;
        RETURN NULL;
    END IF;
    -- One row per entity state that joins (+1) or leaves (-1) its groups.
    EXECUTE format(entity_groups_sql(), CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT e.status, e.phone, e.id_number, e.building_id, 1 FROM new_rows e'
        WHEN 'DELETE' THEN 'SELECT e.status, e.phone, e.id_number, e.building_id, -1 FROM old_rows e'
        -- A key that did not change (with the status) is left out of both
        -- rows, so that a relink does not recount phones.
        ELSE 'SELECT r.* FROM old_rows o JOIN new_rows n USING (uscc),
              LATERAL (SELECT o.status IS DISTINCT FROM n.status AS s) c,
              LATERAL (SELECT c.s OR o.phone IS DISTINCT FROM n.phone AS phone,
                              c.s OR o.id_number IS DISTINCT FROM n.id_number AS id_number,
                              c.s OR o.building_id IS DISTINCT FROM n.building_id AS building_id) k,
              LATERAL (VALUES
                  (o.status, CASE WHEN k.phone THEN o.phone END, CASE WHEN k.id_number THEN o.id_number END,
                   CASE WHEN k.building_id THEN o.building_id END, -1),
                  (n.status, CASE WHEN k.phone THEN n.phone END, CASE WHEN k.id_number THEN n.id_number END,
                   CASE WHEN k.building_id THEN n.building_id END, 1)) r
              WHERE (o.status, o.phone, o.id_number, o.building_id)
                    IS DISTINCT FROM (n.status, n.phone, n.id_number, n.building_id)'
    END);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

SELECT entity_groups_refill();
-- The groups of a size: "n >= $1" reads only the keys of big groups.
CREATE INDEX phone_groups_size_idx ON phone_groups (n, key) WHERE n >= 2;
CREATE INDEX legal_rep_groups_size_idx ON legal_rep_groups (n, key) WHERE n >= 2;
CREATE INDEX building_groups_size_idx ON building_groups (n, building_id) WHERE n >= 2;

CREATE TRIGGER entity_groups_insert AFTER INSERT ON entities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entity_groups_changed();
CREATE TRIGGER entity_groups_update AFTER UPDATE ON entities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entity_groups_changed();
CREATE TRIGGER entity_groups_delete AFTER DELETE ON entities REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entity_groups_changed();
CREATE TRIGGER entity_groups_truncate AFTER TRUNCATE ON entities
    FOR EACH STATEMENT EXECUTE FUNCTION entity_groups_changed();

-- same_legal_rep_as and shared_legal_rep_min find a legal representative
-- by ID number in any case (an 18-digit ID ends in X or x as typed), and by
-- name within a town when an entity has no ID number; inspection_outcome
-- reads the entities whose last visit ended so.
-- IF NOT EXISTS: the shared city-scale database of issue 9 got these
-- indexes and statistics ahead of the migration, to time the screens.
CREATE INDEX IF NOT EXISTS entities_id_key_idx ON entities (upper(id_number)) WHERE id_number <> '';
CREATE INDEX IF NOT EXISTS entities_legal_rep_idx ON entities (town_code, legal_rep) WHERE legal_rep <> '';
CREATE INDEX IF NOT EXISTS entity_visits_outcome_idx ON entity_visits (outcome, uscc);
-- flag_kind and flag_status read the entities of the flags about one
-- entity from an index alone, in USCC order, and the members of the few
-- flags about many (cluster registrations, hot spots) from their own.
CREATE INDEX IF NOT EXISTS flags_entity_idx ON flags (status, kind, uscc) WHERE uscc IS NOT NULL;
CREATE INDEX IF NOT EXISTS flags_group_idx ON flags (status, kind) WHERE uscc IS NULL OR usccs <> ARRAY[uscc];
-- The planner ignores the statistics of a partial index's expression:
-- without these it takes a set of phone keys or ID numbers to match half
-- the city, and scans two million rows for the thousand it wants.
CREATE STATISTICS IF NOT EXISTS entities_phone_key_stats ON (phone_key(phone)) FROM entities;
CREATE STATISTICS IF NOT EXISTS entities_id_key_stats ON (upper(id_number)) FROM entities;
ANALYZE entities, phone_groups, legal_rep_groups, building_groups;

-- Saved filters: a named entity filter (the JSON of POST
-- /v1/entities:search, without paging), city-wide (town_code '') or of
-- one town, whose tokens alone see it. Names are unique within a scope.
CREATE TABLE saved_filters (
    id bigserial PRIMARY KEY,
    town_code text NOT NULL DEFAULT '' CHECK (town_code ~ '^([0-9]{9})?$'),
    name text NOT NULL CHECK (name <> ''),
    description text NOT NULL DEFAULT '',
    filter jsonb NOT NULL CHECK (jsonb_typeof(filter) = 'object'),
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    UNIQUE (town_code, name)
);

-- +goose Down
DROP TABLE saved_filters;
DROP STATISTICS entities_id_key_stats;
DROP STATISTICS entities_phone_key_stats;
DROP INDEX flags_group_idx;
DROP INDEX flags_entity_idx;
DROP INDEX entity_visits_outcome_idx;
DROP INDEX entities_legal_rep_idx;
DROP INDEX entities_id_key_idx;
DROP TRIGGER entity_groups_truncate ON entities;
DROP TRIGGER entity_groups_delete ON entities;
DROP TRIGGER entity_groups_update ON entities;
DROP TRIGGER entity_groups_insert ON entities;
DROP FUNCTION entity_groups_changed();
DROP FUNCTION entity_groups_refill();
DROP FUNCTION entity_groups_sql();
DROP TABLE building_groups;
DROP TABLE legal_rep_groups;
DROP TABLE phone_groups;
