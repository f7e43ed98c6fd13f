-- Changes to the standard address library: the history of every replaced
-- version, and a change feed by town that wakes the in-memory address index
-- of every API node (LISTEN address_library).
--
-- The feed triggers are statement-level with transition tables, so a bulk
-- COPY of millions of rows costs one trigger call, not one per row. They
-- record which towns changed; the index reloads just those towns.

-- +goose Up
-- Every version of a library row that was replaced or retired, as it was.
CREATE TABLE address_history (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('road', 'doorplate', 'room', 'place', 'building')),
    code text NOT NULL,
    version integer NOT NULL,
    row_data jsonb NOT NULL,
    superseded_at timestamptz NOT NULL DEFAULT now(),
    import_id bigint
);
CREATE INDEX address_history_code_idx ON address_history (kind, code, version);

-- Imports, so that history rows and reports can say where a change came from.
CREATE TABLE imports (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    source text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    counts jsonb NOT NULL DEFAULT '{}'
);

-- The change feed: one row per town per changing statement.
CREATE TABLE library_changes (
    id bigserial PRIMARY KEY,
    town_code text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX library_changes_town_idx ON library_changes (town_code, id);

-- +goose StatementBegin
CREATE FUNCTION library_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    town text;
BEGIN
    FOR town IN
        EXECUTE format(
            'SELECT DISTINCT town_code FROM (%s) AS t WHERE town_code IS NOT NULL',
            CASE TG_TABLE_NAME
                WHEN 'rooms' THEN
                    CASE TG_OP
                        WHEN 'DELETE' THEN 'SELECT b.town_code FROM old_rows r JOIN buildings b ON b.id = r.building_id'
                        WHEN 'INSERT' THEN 'SELECT b.town_code FROM new_rows r JOIN buildings b ON b.id = r.building_id'
                        ELSE 'SELECT b.town_code FROM new_rows r JOIN buildings b ON b.id = r.building_id
                              UNION SELECT b.town_code FROM old_rows r JOIN buildings b ON b.id = r.building_id'
                    END
                ELSE
                    CASE TG_OP
                        WHEN 'DELETE' THEN 'SELECT town_code FROM old_rows'
                        WHEN 'INSERT' THEN 'SELECT town_code FROM new_rows'
                        ELSE 'SELECT town_code FROM new_rows UNION SELECT town_code FROM old_rows'
                    END
            END)
    LOOP
        INSERT INTO library_changes (town_code) VALUES (town);
        PERFORM pg_notify('address_library', town);
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['roads', 'doorplates', 'places', 'buildings', 'rooms'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION library_changed()', t || '_changed_insert', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION library_changed()', t || '_changed_update', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION library_changed()', t || '_changed_delete', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- The address index loads the library town by town.
CREATE INDEX doorplates_town_idx ON doorplates (town_code);
CREATE INDEX buildings_town_idx ON buildings (town_code);

-- Successor lookups for retired codes.
CREATE INDEX doorplates_successor_idx ON doorplates (successor_code) WHERE successor_code IS NOT NULL;
CREATE INDEX rooms_successor_idx ON rooms (successor_code) WHERE successor_code IS NOT NULL;
CREATE INDEX rooms_building_idx ON rooms (building_id);

-- +goose Down
DROP INDEX buildings_town_idx;
DROP INDEX doorplates_town_idx;
DROP INDEX rooms_building_idx;
DROP INDEX rooms_successor_idx;
DROP INDEX doorplates_successor_idx;
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['roads', 'doorplates', 'places', 'buildings', 'rooms'] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_changed_insert', t);
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_changed_update', t);
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_changed_delete', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION library_changed();
DROP TABLE library_changes;
DROP TABLE imports;
DROP TABLE address_history;
