-- Statistics (issue 9): rollups of what GET /v1/stats/... reports, so that
-- an answer for the whole city sums a few thousand rows instead of reading
-- two million entities and ten million inspections (a plain GROUP BY
-- town_code over the entities alone takes 3 to 6 s at city scale).
--
-- Each rollup exists at two levels:
-- * stats_<name>: one row per grid and key. A row's town, village and grid
--   are those of the rows it counts, '' where they have none (an entity
--   not linked yet counts in town '', village '', grid ''; an inspection
--   stores no village, so its village is its grid's first 12 digits).
-- * stats_town_<name>: the same summed over each town's grids, for the
--   answers about the whole city, which would otherwise sum tens of
--   thousands of grid rows.
-- Leads have no grid: stats_leads is by town only.
--
-- Every table is keyed first by town_code, the key a distribution by town
-- would use (docs/stats.md).
--
-- Freshness. Statement-level triggers with transition tables (as in
-- 00006 and 00009) add to stats_dirty the town and grid of every row a
-- statement writes, old and new; they count nothing themselves, so a write
-- waits on no rollup row. A refresher (postgres.DB.RefreshStats, run by
-- serve and by gridsentry stats refresh) claims a dirty town, deletes its
-- marks and recomputes the rollups of its dirty grids, or of the whole town
-- when most of it is dirty, from the base tables, in one transaction; the
-- town's stats_town_ rows change by the difference between the grid rows
-- it replaced and those it wrote. stats_refreshed keeps when each town was
-- last refreshed: an answer's as_of.
--
-- Why marks and not counters kept by the triggers: counters would make
-- every inspection, task step and import wait on the same rollup rows as
-- every other write of its grid until it commits (an import of 60,000
-- entities would hold them for its whole transaction). A mark is an insert
-- nobody else touches.
--
-- Months are calendar months in Beijing time, stored as their first day.
-- Statuses the clock changes are computed when asked: a task is overdue
-- when it is open and its due time (kept for open tasks; 'infinity' for
-- the others) has passed, so the rollups need no refresh at midnight.

-- +goose Up
-- The indexes below read the inspections (ten million rows at city scale).
SET LOCAL statement_timeout = 0;

-- Entities now, by kind, industry (GB/T 4754 section, '' unknown) and status.
CREATE TABLE stats_entities (
    town_code text NOT NULL, village_code text NOT NULL, grid_code text NOT NULL,
    kind text NOT NULL, industry text NOT NULL, status text NOT NULL,
    n integer NOT NULL
);
CREATE TABLE stats_town_entities (
    town_code text NOT NULL,
    kind text NOT NULL, industry text NOT NULL, status text NOT NULL,
    n integer NOT NULL
);

-- Active entities by the month of their latest inspection ('-infinity':
-- never inspected): the active entities inspected since a month are those
-- of the rows from that month on.
CREATE TABLE stats_coverage (
    town_code text NOT NULL, village_code text NOT NULL, grid_code text NOT NULL,
    month date NOT NULL,
    n integer NOT NULL
);
CREATE TABLE stats_town_coverage (
    town_code text NOT NULL,
    month date NOT NULL,
    n integer NOT NULL
);

-- Registrations by the month of registered_at, and cancellations (the
-- entities now cancelled or revoked) by the month of their last change,
-- which for such an entity is its cancellation; by industry.
CREATE TABLE stats_registrations (
    town_code text NOT NULL, village_code text NOT NULL, grid_code text NOT NULL,
    month date NOT NULL, industry text NOT NULL,
    registrations integer NOT NULL, cancellations integer NOT NULL
);
CREATE TABLE stats_town_registrations (
    town_code text NOT NULL,
    month date NOT NULL, industry text NOT NULL,
    registrations integer NOT NULL, cancellations integer NOT NULL
);

-- What happened in a month: inspections made (where the entity was linked
-- when inspected), tasks closed (by done_at) and flags raised.
CREATE TABLE stats_activity (
    town_code text NOT NULL, village_code text NOT NULL, grid_code text NOT NULL,
    month date NOT NULL,
    inspections integer NOT NULL, tasks_closed integer NOT NULL, flags_raised integer NOT NULL
);
CREATE TABLE stats_town_activity (
    town_code text NOT NULL,
    month date NOT NULL,
    inspections integer NOT NULL, tasks_closed integer NOT NULL, flags_raised integer NOT NULL
);

-- Tasks by department ('' for none: checks assigned to a grid, village or
-- town), the month they were pushed, and their due time while open.
-- received: received, answered or closed; answered: feedback given or
-- closed; closed: done; returned: returned and not reassigned; closed_late:
-- done after the due time.
CREATE TABLE stats_tasks (
    town_code text NOT NULL, village_code text NOT NULL, grid_code text NOT NULL,
    department_code text NOT NULL, month date NOT NULL, open_due timestamptz NOT NULL,
    n integer NOT NULL, received integer NOT NULL, answered integer NOT NULL, closed integer NOT NULL,
    returned integer NOT NULL, closed_late integer NOT NULL
);
CREATE TABLE stats_town_tasks (
    town_code text NOT NULL,
    department_code text NOT NULL, month date NOT NULL, open_due timestamptz NOT NULL,
    n integer NOT NULL, received integer NOT NULL, answered integer NOT NULL, closed integer NOT NULL,
    returned integer NOT NULL, closed_late integer NOT NULL
);

-- The answered tasks of departments by whole days from push to the first
-- answer (feedback, or completion without one): a histogram the median
-- answer time is read from.
CREATE TABLE stats_task_answers (
    town_code text NOT NULL, village_code text NOT NULL, grid_code text NOT NULL,
    department_code text NOT NULL, month date NOT NULL, days integer NOT NULL,
    n integer NOT NULL
);
CREATE TABLE stats_town_task_answers (
    town_code text NOT NULL,
    department_code text NOT NULL, month date NOT NULL, days integer NOT NULL,
    n integer NOT NULL
);

-- Flags now, by kind and status.
CREATE TABLE stats_flags (
    town_code text NOT NULL, village_code text NOT NULL, grid_code text NOT NULL,
    kind text NOT NULL, status text NOT NULL,
    n integer NOT NULL
);
CREATE TABLE stats_town_flags (
    town_code text NOT NULL,
    kind text NOT NULL, status text NOT NULL,
    n integer NOT NULL
);

-- Complaints, reports and letters (source other, 信访) by month, industry,
-- source and category.
CREATE TABLE stats_complaints (
    town_code text NOT NULL, village_code text NOT NULL, grid_code text NOT NULL,
    month date NOT NULL, industry text NOT NULL, source text NOT NULL, category text NOT NULL,
    n integer NOT NULL
);
CREATE TABLE stats_town_complaints (
    town_code text NOT NULL,
    month date NOT NULL, industry text NOT NULL, source text NOT NULL, category text NOT NULL,
    n integer NOT NULL
);

-- Leads by who sent them (a department or a source such as a grid), who
-- holds them ('coordination' while the coordinator decides), the month
-- they were made and their status.
CREATE TABLE stats_leads (
    town_code text NOT NULL,
    from_department text NOT NULL, to_department text NOT NULL, month date NOT NULL, status text NOT NULL,
    n integer NOT NULL
);

-- Grid rows are read by town and village; a town's rows are found by
-- town and key, as the refresh adds the change of its grids to them.
CREATE INDEX stats_entities_area_idx ON stats_entities (town_code, village_code, grid_code);
CREATE INDEX stats_coverage_area_idx ON stats_coverage (town_code, village_code, grid_code);
CREATE INDEX stats_registrations_area_idx ON stats_registrations (town_code, village_code, grid_code);
CREATE INDEX stats_activity_area_idx ON stats_activity (town_code, village_code, grid_code);
CREATE INDEX stats_tasks_area_idx ON stats_tasks (town_code, village_code, grid_code);
CREATE INDEX stats_task_answers_area_idx ON stats_task_answers (town_code, village_code, grid_code);
CREATE INDEX stats_flags_area_idx ON stats_flags (town_code, village_code, grid_code);
CREATE INDEX stats_complaints_area_idx ON stats_complaints (town_code, village_code, grid_code);
CREATE UNIQUE INDEX stats_town_entities_key ON stats_town_entities (town_code, kind, industry, status);
CREATE UNIQUE INDEX stats_town_coverage_key ON stats_town_coverage (town_code, month);
CREATE UNIQUE INDEX stats_town_registrations_key ON stats_town_registrations (town_code, month, industry);
CREATE UNIQUE INDEX stats_town_activity_key ON stats_town_activity (town_code, month);
CREATE UNIQUE INDEX stats_town_tasks_key ON stats_town_tasks (town_code, department_code, month, open_due);
CREATE UNIQUE INDEX stats_town_task_answers_key ON stats_town_task_answers (town_code, department_code, month, days);
CREATE UNIQUE INDEX stats_town_flags_key ON stats_town_flags (town_code, kind, status);
CREATE UNIQUE INDEX stats_town_complaints_key ON stats_town_complaints (town_code, month, industry, source, category);
CREATE INDEX stats_leads_town_idx ON stats_leads (town_code, month);

-- The towns and grids whose rollups are stale: grid_code '' stands for the
-- town's rows that have no grid (and its leads), '*' for the whole town.
-- A statement adds each town and grid once per transaction (xid); the
-- marks of other transactions are never merged with, since a refresher may
-- already be reading past them.
CREATE TABLE stats_dirty (
    town_code text NOT NULL,
    grid_code text NOT NULL,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    marked_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (town_code, grid_code, xid)
);

-- When each town's rollups were last refreshed: they hold every change
-- committed before at (NULL: never). A refresher locks the town's row
-- while it works, so no two refresh a town at once.
CREATE TABLE stats_refreshed (
    town_code text PRIMARY KEY,
    at timestamptz,
    took interval,
    grids integer        -- grids recomputed; NULL: the whole town
);

-- The rows of a town that have no grid (an entity linked to a village or a
-- town, a flag about a phone), read when that part of a town is dirty.
CREATE INDEX entities_no_grid_idx ON entities (town_code) WHERE grid_code IS NULL;
CREATE INDEX inspections_no_grid_idx ON inspections (town_code) WHERE grid_code IS NULL;
CREATE INDEX tasks_no_grid_idx ON tasks (town_code) WHERE grid_code IS NULL;
CREATE INDEX flags_no_grid_idx ON flags (town_code) WHERE grid_code IS NULL;
CREATE INDEX complaints_grid_idx ON complaints (grid_code);

-- A grid's inspections are counted from this index alone (an index-only
-- scan): the list by grid (00005) keeps its order, and the index carries
-- the time and town the rollup reads. At city scale a grid has thousands
-- of inspections spread over the table, a page read each without it.
DROP INDEX inspections_grid_id_idx;
CREATE INDEX inspections_grid_id_idx ON inspections (grid_code, id) INCLUDE (at, town_code);

-- +goose StatementBegin
-- stats_mark_dirty marks the towns and grids of the rows a statement
-- wrote: inserted or deleted rows, and both versions of updated rows whose
-- counted columns changed (an update of a flag's evidence, or of an
-- entity's phone, counts nothing). A TRUNCATE marks every town whole.
CREATE FUNCTION stats_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pk text := CASE TG_TABLE_NAME WHEN 'entities' THEN 'uscc' ELSE 'id' END;
    counted text[] := CASE TG_TABLE_NAME
        WHEN 'entities' THEN ARRAY['kind', 'status', 'industry', 'registered_at', 'changed_at', 'last_inspected_at',
                                   'town_code', 'village_code', 'grid_code']
        WHEN 'inspections' THEN ARRAY['at', 'town_code', 'grid_code']
        WHEN 'tasks' THEN ARRAY['department_code', 'status', 'pushed_at', 'due_at', 'received_at', 'feedback_at', 'done_at',
                                'town_code', 'village_code', 'grid_code']
        WHEN 'flags' THEN ARRAY['kind', 'status', 'raised_at', 'town_code', 'village_code', 'grid_code']
        WHEN 'complaints' THEN ARRAY['source', 'category', 'industry', 'at', 'town_code', 'village_code', 'grid_code']
        WHEN 'leads' THEN ARRAY['from_department', 'department_code', 'status', 'created_at', 'town_code']
    END;
    grid text := CASE TG_TABLE_NAME WHEN 'leads' THEN 'NULL::text' ELSE '%s.grid_code' END;
    touched text;
    marked bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO stats_dirty (town_code, grid_code)
        SELECT code, '*' FROM towns UNION SELECT '', '*' UNION SELECT town_code, '*' FROM stats_refreshed
        ON CONFLICT DO NOTHING;
        PERFORM pg_notify('gridsentry_stats', '');
        RETURN NULL;
    END IF;
    touched := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT r.town_code, %s FROM new_rows r', format(grid, 'r'))
        WHEN 'DELETE' THEN format('SELECT r.town_code, %s FROM old_rows r', format(grid, 'r'))
        ELSE format('SELECT v.town, v.grid FROM new_rows n JOIN old_rows o USING (%s)
                     CROSS JOIN LATERAL (VALUES (n.town_code, %s), (o.town_code, %s)) v (town, grid)
                     WHERE (%s) IS DISTINCT FROM (%s)', pk, format(grid, 'n'), format(grid, 'o'),
                    (SELECT string_agg('n.' || c, ', ') FROM unnest(counted) c),
                    (SELECT string_agg('o.' || c, ', ') FROM unnest(counted) c))
    END;
    EXECUTE format('INSERT INTO stats_dirty (town_code, grid_code)
                    SELECT DISTINCT coalesce(t, ''''), coalesce(g, '''') FROM (%s) x (t, g)
                    ON CONFLICT DO NOTHING', touched);
    GET DIAGNOSTICS marked = ROW_COUNT;
    IF marked > 0 THEN
        PERFORM pg_notify('gridsentry_stats', '');
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
    FOREACH t IN ARRAY ARRAY['entities', 'inspections', 'tasks', 'flags', 'complaints', 'leads'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_dirty()', 'stats_dirty_' || t || '_insert', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_dirty()', 'stats_dirty_' || t || '_update', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_dirty()', 'stats_dirty_' || t || '_delete', t);
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_dirty()', 'stats_dirty_' || t || '_truncate', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- What is stored already: every town is stale until the first refresh
-- (gridsentry stats refresh, or serve's refresher).
INSERT INTO stats_dirty (town_code, grid_code) SELECT code, '*' FROM towns UNION ALL SELECT '', '*';
INSERT INTO stats_refreshed (town_code) SELECT code FROM towns UNION ALL SELECT '';

-- +goose Down
SET LOCAL statement_timeout = 0;

-- +goose StatementBegin
DO $$
DECLARE
    t text;
    op text;
BEGIN
    FOREACH t IN ARRAY ARRAY['entities', 'inspections', 'tasks', 'flags', 'complaints', 'leads'] LOOP
        FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
            EXECUTE format('DROP TRIGGER %I ON %I', 'stats_dirty_' || t || '_' || op, t);
        END LOOP;
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION stats_mark_dirty();
DROP INDEX inspections_grid_id_idx;
CREATE INDEX inspections_grid_id_idx ON inspections (grid_code, id);
DROP INDEX complaints_grid_idx;
DROP INDEX flags_no_grid_idx;
DROP INDEX tasks_no_grid_idx;
DROP INDEX inspections_no_grid_idx;
DROP INDEX entities_no_grid_idx;
DROP TABLE stats_refreshed;
DROP TABLE stats_dirty;
DROP TABLE stats_leads;
DROP TABLE stats_town_complaints;
DROP TABLE stats_complaints;
DROP TABLE stats_town_flags;
DROP TABLE stats_flags;
DROP TABLE stats_town_task_answers;
DROP TABLE stats_task_answers;
DROP TABLE stats_town_tasks;
DROP TABLE stats_tasks;
DROP TABLE stats_town_activity;
DROP TABLE stats_activity;
DROP TABLE stats_town_registrations;
DROP TABLE stats_registrations;
DROP TABLE stats_town_coverage;
DROP TABLE stats_coverage;
DROP TABLE stats_town_entities;
DROP TABLE stats_entities;
