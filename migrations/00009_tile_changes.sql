-- A change feed of what the tiles and the coverage figures show, so that
-- every API node can drop the cached tiles of the layers and the area a
-- change touches and refresh its coverage index (LISTEN gridsentry_tiles;
-- the payload is the new row's id, and a node that missed notifications
-- reads the rows after the last id it saw).
--
-- As with the library's feed (00002), the triggers are statement-level
-- with transition tables: a COPY of two million entities, or a relink that
-- updates them all, costs one trigger call and adds one row. The row says
-- where (the WGS84 extent of every geometry concerned, old and new) and, for
-- the entity sources, which H3 cells and grids; over 1000 of either it
-- stores NULL and the extent stands for them, so a bulk statement neither
-- stores nor sends millions of codes.

-- +goose Up
CREATE TABLE tile_changes (
    id bigserial PRIMARY KEY,
    source text NOT NULL,             -- the table changed
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- The extent, WGS84 degrees; NULL when nothing concerned has a location.
    -- (xmin and xmax would clash with the system columns of those names.)
    west float8, south float8, east float8, north float8,
    cells bigint[],                   -- distinct h3_11 of the entities concerned; NULL when over 1000; '{}' for the library
    buckets bigint[],                 -- distinct h3_7 of the same entities (as stored, not always the cells' ancestors); NULL with cells
    grids text[],                     -- distinct grid codes concerned; NULL when over 1000
    -- The writing transaction. Ids are taken when a statement runs, not at
    -- commit, so a reader cannot go by id alone; it reads the changes of
    -- the transactions that had not ended at its last read (xid at or past
    -- the snapshot's xmin then), skipping those it has applied.
    xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
-- Pruning deletes by age; readers go by transaction.
CREATE INDEX tile_changes_changed_at_idx ON tile_changes (changed_at);
CREATE INDEX tile_changes_xid_idx ON tile_changes (xid);

-- +goose StatementBegin
-- record_tile_change adds a change of source to the feed and notifies the
-- listeners with its id.
CREATE FUNCTION record_tile_change(source text, box box2d, cells bigint[], buckets bigint[], grids text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    change_id bigint;
BEGIN
    INSERT INTO tile_changes (source, west, south, east, north, cells, buckets, grids)
    VALUES (source, ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box), cells, buckets, grids)
    RETURNING id INTO change_id;
    PERFORM pg_notify('gridsentry_tiles', change_id::text);
END
$$;

-- record_tile_change_everywhere records that anything source shows may
-- have changed: the whole world, and cells and grids too many to say. For
-- a TRUNCATE, and for the demo load, which keeps the triggers off.
CREATE FUNCTION record_tile_change_everywhere(source text) RETURNS void LANGUAGE sql AS $$
    SELECT record_tile_change(source, ST_MakeBox2D(ST_Point(-180, -90), ST_Point(180, 90)),
        CASE WHEN source IN ('entities', 'flags', 'tasks') THEN NULL ELSE '{}'::bigint[] END,
        CASE WHEN source IN ('entities', 'flags', 'tasks') THEN NULL ELSE '{}'::bigint[] END,
        CASE WHEN source IN ('entities', 'flags', 'tasks', 'grids') THEN NULL ELSE '{}'::text[] END)
$$;

-- tile_changed records one statement's change. Each table gives the rows
-- that matter as touched (loc, cell, bucket, grid): the geometries, the
-- H3 cells (h3_11) and buckets (h3_7) of the entities, and the grid codes
-- concerned. A statement that touched no place, cell or grid
-- (no row, or only entities not linked yet) changed nothing a tile or the
-- coverage shows, and is not recorded.
--
-- * entities: an update matters when it changes a column a tile or the
--   coverage reads; both the old and the new place count (an entity that
--   moves changes both), the old one only when it differs.
-- * flags: the flag's own location, and the entities it concerns (uscc and
--   usccs): their open_flags and coverage change.
-- * tasks: the entity of the task (its coverage counts overdue tasks).
-- * the library: the geometries, old and new; grids give their codes. A
--   road renamed relabels its doorplates, which lie beside the line, not
--   always inside its extent: they count too.
--
-- The distinct cells and grids are capped with LIMIT 1001 (1001 found means
-- over 1000: NULL). TRUNCATE has no transition table: everything changed.
CREATE FUNCTION tile_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched text;
    grid_expr text := CASE TG_TABLE_NAME WHEN 'grids' THEN 'code' ELSE 'NULL::text' END;
    box box2d;
    cell_set bigint[];
    bucket_set bigint[];
    grid_set text[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM record_tile_change_everywhere(TG_TABLE_NAME);
        RETURN NULL;
    END IF;
    CASE TG_TABLE_NAME
    WHEN 'entities' THEN
        touched := CASE TG_OP
            WHEN 'INSERT' THEN 'SELECT location, h3_11, h3_7, grid_code FROM new_rows'
            WHEN 'DELETE' THEN 'SELECT location, h3_11, h3_7, grid_code FROM old_rows'
            ELSE 'SELECT v.loc, v.cell, v.bucket, v.grid
                  FROM new_rows n JOIN old_rows o USING (uscc)
                  CROSS JOIN LATERAL (VALUES (true, n.location, n.h3_11, n.h3_7, n.grid_code),
                                             (false, o.location, o.h3_11, o.h3_7, o.grid_code)) v (new, loc, cell, bucket, grid)
                  WHERE (n.location, n.h3_11, n.status, n.kind, n.industry, n.grid_code, n.town_code, n.last_inspected_at)
                        IS DISTINCT FROM
                        (o.location, o.h3_11, o.status, o.kind, o.industry, o.grid_code, o.town_code, o.last_inspected_at)
                    AND (v.new OR (o.location, o.h3_11, o.grid_code) IS DISTINCT FROM (n.location, n.h3_11, n.grid_code))'
        END;
    WHEN 'flags' THEN
        touched := format(
            'WITH f (location, uscc, usccs) AS (%s)
             SELECT location, NULL::bigint, NULL::bigint, NULL::text FROM f
             UNION ALL
             SELECT e.location, e.h3_11, e.h3_7, e.grid_code FROM entities e
             WHERE e.uscc IN (SELECT uscc FROM f UNION SELECT unnest(usccs) FROM f)',
            CASE TG_OP
                WHEN 'INSERT' THEN 'SELECT location, uscc, usccs FROM new_rows'
                WHEN 'DELETE' THEN 'SELECT location, uscc, usccs FROM old_rows'
                ELSE 'SELECT v.* FROM new_rows n JOIN old_rows o USING (id)
                      CROSS JOIN LATERAL (VALUES (n.location, n.uscc, n.usccs), (o.location, o.uscc, o.usccs)) v
                      WHERE (n.status, n.score, n.kind, n.title, n.location, n.uscc, n.usccs)
                            IS DISTINCT FROM (o.status, o.score, o.kind, o.title, o.location, o.uscc, o.usccs)'
            END);
    WHEN 'tasks' THEN
        touched := format(
            'SELECT e.location, e.h3_11, e.h3_7, e.grid_code FROM (%s) t JOIN entities e ON e.uscc = t.uscc',
            CASE TG_OP
                WHEN 'INSERT' THEN 'SELECT uscc FROM new_rows'
                WHEN 'DELETE' THEN 'SELECT uscc FROM old_rows'
                ELSE 'SELECT v.uscc FROM new_rows n JOIN old_rows o USING (id)
                      CROSS JOIN LATERAL (VALUES (n.uscc), (nullif(o.uscc, n.uscc))) v (uscc)
                      WHERE (n.status, n.due_at, n.kind, n.uscc) IS DISTINCT FROM (o.status, o.due_at, o.kind, o.uscc)
                        AND v.uscc IS NOT NULL'
            END);
    ELSE
        touched := CASE TG_OP
            WHEN 'INSERT' THEN format('SELECT geom, NULL::bigint, NULL::bigint, %s FROM new_rows', grid_expr)
            WHEN 'DELETE' THEN format('SELECT geom, NULL::bigint, NULL::bigint, %s FROM old_rows', grid_expr)
            ELSE format('SELECT geom, NULL::bigint, NULL::bigint, %1$s FROM new_rows UNION ALL SELECT geom, NULL::bigint, NULL::bigint, %1$s FROM old_rows', grid_expr)
        END;
        IF TG_TABLE_NAME = 'roads' AND TG_OP = 'UPDATE' THEN
            touched := touched || '
                UNION ALL
                SELECT d.geom, NULL::bigint, NULL::bigint, NULL::text
                FROM new_rows n JOIN old_rows o USING (code) JOIN doorplates d ON d.road_code = n.code
                WHERE n.name IS DISTINCT FROM o.name AND d.retired_at IS NULL';
        END IF;
    END CASE;
    EXECUTE format(
        'WITH touched (loc, cell, bucket, grid) AS MATERIALIZED (%s)
         SELECT ST_Extent(loc),
                (SELECT CASE WHEN count(*) <= 1000 THEN coalesce(array_agg(cell ORDER BY cell), ''{}'') END
                 FROM (SELECT DISTINCT cell FROM touched WHERE cell IS NOT NULL LIMIT 1001) c),
                (SELECT CASE WHEN count(*) <= 1000 THEN coalesce(array_agg(bucket ORDER BY bucket), ''{}'') END
                 FROM (SELECT DISTINCT bucket FROM touched WHERE bucket IS NOT NULL LIMIT 1001) b),
                (SELECT CASE WHEN count(*) <= 1000 THEN coalesce(array_agg(grid ORDER BY grid), ''{}'') END
                 FROM (SELECT DISTINCT grid FROM touched WHERE grid IS NOT NULL LIMIT 1001) g)
         FROM touched', touched)
    INTO box, cell_set, bucket_set, grid_set;
    IF box IS NOT NULL OR cell_set IS DISTINCT FROM '{}' OR grid_set IS DISTINCT FROM '{}' THEN
        PERFORM record_tile_change(TG_TABLE_NAME, box, CASE WHEN bucket_set IS NOT NULL THEN cell_set END, CASE WHEN cell_set IS NOT NULL THEN bucket_set END, grid_set);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['entities', 'flags', 'tasks', 'towns', 'villages', 'grids', 'roads', 'buildings', 'doorplates'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION tile_changed()', 'tile_changes_' || t || '_insert', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION tile_changed()', 'tile_changes_' || t || '_update', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION tile_changed()', 'tile_changes_' || t || '_delete', t);
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION tile_changed()', 'tile_changes_' || t || '_truncate', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    t text;
    op text;
BEGIN
    FOREACH t IN ARRAY ARRAY['entities', 'flags', 'tasks', 'towns', 'villages', 'grids', 'roads', 'buildings', 'doorplates'] LOOP
        FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
            EXECUTE format('DROP TRIGGER %I ON %I', 'tile_changes_' || t || '_' || op, t);
        END LOOP;
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION tile_changed();
DROP FUNCTION record_tile_change_everywhere(text);
DROP FUNCTION record_tile_change(text, box2d, bigint[], bigint[], text[]);
DROP TABLE tile_changes;
