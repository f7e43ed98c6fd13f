-- How many open flags concern each entity (about it, flags.uscc, or
-- naming it among others, flags.usccs), kept by a trigger on flags so
-- that a tile of thousands of entities reads one number each instead of
-- searching the flags twice per entity.
--
-- The trigger is statement-level with transition tables and adds deltas:
-- each flag row that leaves the open state (updated or deleted) takes one
-- from every entity it concerns, each that enters it (inserted or
-- updated) adds one. A full evaluation that raises 700,000 flags is one
-- aggregate over its transition table, not 700,000 recounts.

-- +goose Up
CREATE TABLE entity_open_flags (
    uscc text PRIMARY KEY,
    n integer NOT NULL  -- 0 once its flags are closed; a delta applied to no row would be negative, hence no CHECK
);

INSERT INTO entity_open_flags (uscc, n)
SELECT u, count(*)
FROM flags f, unnest(ARRAY(SELECT DISTINCT x FROM unnest(f.usccs || f.uscc) x WHERE x IS NOT NULL)) u
WHERE f.status = 'open'
GROUP BY u;

-- +goose StatementBegin
CREATE FUNCTION entity_open_flags_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM entity_open_flags;
        RETURN NULL;
    END IF;
    -- One row per entity and flag row that enters (+1) or leaves (-1)
    -- the open state.
    delta := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT f.usccs || f.uscc AS who, 1 AS d FROM new_rows f WHERE f.status = ''open'''
        WHEN 'DELETE' THEN 'SELECT f.usccs || f.uscc, -1 FROM old_rows f WHERE f.status = ''open'''
        ELSE 'SELECT f.usccs || f.uscc, 1 FROM new_rows f WHERE f.status = ''open''
              UNION ALL SELECT f.usccs || f.uscc, -1 FROM old_rows f WHERE f.status = ''open'''
    END;
    EXECUTE format(
        'INSERT INTO entity_open_flags AS c (uscc, n)
         SELECT u, sum(d) FROM (%s) r (who, d), unnest(ARRAY(SELECT DISTINCT x FROM unnest(r.who) x WHERE x IS NOT NULL)) u
         GROUP BY u HAVING sum(d) <> 0
         ON CONFLICT (uscc) DO UPDATE SET n = c.n + excluded.n', delta);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER entity_open_flags_insert AFTER INSERT ON flags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entity_open_flags_changed();
CREATE TRIGGER entity_open_flags_update AFTER UPDATE ON flags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entity_open_flags_changed();
CREATE TRIGGER entity_open_flags_delete AFTER DELETE ON flags REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entity_open_flags_changed();
CREATE TRIGGER entity_open_flags_truncate AFTER TRUNCATE ON flags
    FOR EACH STATEMENT EXECUTE FUNCTION entity_open_flags_changed();

-- +goose Down
DROP TRIGGER entity_open_flags_truncate ON flags;
DROP TRIGGER entity_open_flags_delete ON flags;
DROP TRIGGER entity_open_flags_update ON flags;
DROP TRIGGER entity_open_flags_insert ON flags;
DROP FUNCTION entity_open_flags_changed();
DROP TABLE entity_open_flags;
