-- Advanced screening (高级筛选, 关联比对, 定向排查): saved filters, the group
-- sizes the screens of linked entities read, and the indexes of the new
-- criteria (docs/screening.md says what each costs).
--
-- entity_groups counts the active entities behind each phone (phone_key
-- of migration 00008), each legal representative's ID number (upper case)
-- and each building, so that "entities whose phone is shared by at least n
-- entities" reads the few keys of groups that big instead of grouping two
-- million rows (25 s at city scale). Like entity_open_flags (00011) it is
-- kept by statement-level triggers with transition tables that add deltas:
-- a row that leaves a group takes one from it, a row that joins adds one.
-- An update that changes none of status, phone, id_number and building_id
-- (last_inspected_at, a relink to the same building) changes no count.
-- Counts that fall to 0 stay as rows of 0.

-- +goose Up
SET LOCAL statement_timeout = 0;

CREATE TABLE entity_groups (
    link text NOT NULL CHECK (link IN ('phone', 'legal_rep', 'building')),
    key text NOT NULL,
    n integer NOT NULL,
    PRIMARY KEY (link, key)
);

-- +goose StatementBegin
-- entity_group_keys are the groups an entity in this state belongs to:
-- none unless active.
CREATE FUNCTION entity_group_keys(status text, phone text, id_number text, building_id bigint)
RETURNS TABLE (link text, key text) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT k.link, k.key
    FROM (VALUES ('phone', phone_key(phone)), ('legal_rep', nullif(upper(id_number), '')),
                 ('building', building_id::text)) k (link, key)
    WHERE status = 'active' AND k.key IS NOT NULL
$$;

-- entity_groups_refill counts every group again, for the migration and
-- after a bulk load that ran with the triggers off.
CREATE FUNCTION entity_groups_refill() RETURNS void LANGUAGE sql AS $$
    DELETE FROM entity_groups;
    INSERT INTO entity_groups (link, key, n)
    SELECT k.link, k.key, count(*)
    FROM entities e, entity_group_keys(e.status, e.phone, e.id_number, e.building_id) k
    GROUP BY k.link, k.key;
$$;

CREATE FUNCTION entity_groups_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM entity_groups;
        RETURN NULL;
    END IF;
    -- One row per entity state that joins (+1) or leaves (-1) its groups.
    delta := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT e.status, e.phone, e.id_number, e.building_id, 1 FROM new_rows e'
        WHEN 'DELETE' THEN 'SELECT e.status, e.phone, e.id_number, e.building_id, -1 FROM old_rows e'
        ELSE 'SELECT r.* FROM old_rows o JOIN new_rows n USING (uscc),
              LATERAL (VALUES (o.status, o.phone, o.id_number, o.building_id, -1),
                              (n.status, n.phone, n.id_number, n.building_id, 1)) r
              WHERE (o.status, o.phone, o.id_number, o.building_id)
                    IS DISTINCT FROM (n.status, n.phone, n.id_number, n.building_id)'
    END;
    -- In key order, so that two statements changing the same groups take
    -- their row locks in the same order rather than deadlock.
    EXECUTE format(
        'INSERT INTO entity_groups AS g (link, key, n)
         SELECT k.link, k.key, sum(r.d) FROM (%s) r (status, phone, id_number, building_id, d),
             entity_group_keys(r.status, r.phone, r.id_number, r.building_id) k
         GROUP BY k.link, k.key HAVING sum(r.d) <> 0
         ORDER BY k.link, k.key
         ON CONFLICT (link, key) DO UPDATE SET n = g.n + excluded.n', delta);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

SELECT entity_groups_refill();
-- The groups of a size: "n >= $1" reads only the keys of big groups.
CREATE INDEX entity_groups_size_idx ON entity_groups (link, n, key) WHERE n >= 2;

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
-- name within a town when an entity has no ID number.
CREATE INDEX entities_id_key_idx ON entities (upper(id_number)) WHERE id_number <> '';
CREATE INDEX entities_legal_rep_idx ON entities (town_code, legal_rep) WHERE legal_rep <> '';
-- inspection_outcome: the entities whose last visit ended so, rare
-- outcomes (not found, moved, closed) first.
CREATE INDEX entity_visits_outcome_idx ON entity_visits (outcome, uscc);

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
DROP INDEX entity_visits_outcome_idx;
DROP INDEX entities_legal_rep_idx;
DROP INDEX entities_id_key_idx;
DROP TRIGGER entity_groups_truncate ON entities;
DROP TRIGGER entity_groups_delete ON entities;
DROP TRIGGER entity_groups_update ON entities;
DROP TRIGGER entity_groups_insert ON entities;
DROP FUNCTION entity_groups_changed();
DROP FUNCTION entity_groups_refill();
DROP FUNCTION entity_group_keys(text, text, text, bigint);
DROP TABLE entity_groups;
