-- Each entity's latest visit and how many visits in a row ended the same
-- way, kept by a trigger on inspections, so that the flag rules read one
-- narrow row per entity instead of walking ten million inspections: the
-- off-site rule judges the latest check-in, the not-found rule counts the
-- visits in a row that found nobody.

-- +goose Up
-- The fold of the stored inspections takes minutes at city scale.
SET LOCAL statement_timeout = 0;

CREATE TABLE entity_visits (
    uscc text PRIMARY KEY,
    last_id bigint NOT NULL,
    last_at timestamptz NOT NULL,
    inspector text NOT NULL,
    outcome text NOT NULL,
    crs text NOT NULL,
    location geometry(Point, 4326) NOT NULL,
    streak integer NOT NULL CHECK (streak > 0)  -- latest visits in a row with this outcome
);

-- +goose StatementBegin
-- entity_visits_seen folds a statement's new inspections into
-- entity_visits: per entity the latest of the batch, and its streak within
-- the batch, extended by the stored streak when the whole batch agrees
-- with it. An inspection older than the stored latest (a late upload)
-- changes nothing.
CREATE FUNCTION entity_visits_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH b AS (
        SELECT uscc, id, at, inspector, outcome, crs, location,
               row_number() OVER w AS rn, first_value(outcome) OVER w AS latest
        FROM new_rows
        WINDOW w AS (PARTITION BY uscc ORDER BY at DESC, id DESC)
    ), s AS (
        SELECT uscc, min(id) FILTER (WHERE rn = 1) AS id, min(at) FILTER (WHERE rn = 1) AS at,
               min(inspector) FILTER (WHERE rn = 1) AS inspector, min(latest) AS outcome,
               min(crs) FILTER (WHERE rn = 1) AS crs, (array_agg(location) FILTER (WHERE rn = 1))[1] AS location,
               coalesce(min(rn) FILTER (WHERE outcome <> latest) - 1, count(*))::integer AS streak,
               bool_and(outcome = latest) AS whole
        FROM b GROUP BY uscc
    ), up AS (
        UPDATE entity_visits v SET last_id = s.id, last_at = s.at, inspector = s.inspector, outcome = s.outcome,
               crs = s.crs, location = s.location,
               streak = CASE WHEN s.whole AND v.outcome = s.outcome THEN v.streak + s.streak ELSE s.streak END
        FROM s WHERE v.uscc = s.uscc AND (s.at, s.id) > (v.last_at, v.last_id)
    )
    INSERT INTO entity_visits (uscc, last_id, last_at, inspector, outcome, crs, location, streak)
    SELECT uscc, id, at, inspector, outcome, crs, location, streak FROM s
    WHERE NOT EXISTS (SELECT 1 FROM entity_visits v WHERE v.uscc = s.uscc)
    ON CONFLICT (uscc) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER entity_visits_seen AFTER INSERT ON inspections REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entity_visits_seen();

-- The inspections already stored: the same fold over all of them.
INSERT INTO entity_visits (uscc, last_id, last_at, inspector, outcome, crs, location, streak)
WITH b AS (
    SELECT uscc, id, at, inspector, outcome, crs, location,
           row_number() OVER w AS rn, first_value(outcome) OVER w AS latest
    FROM inspections
    WINDOW w AS (PARTITION BY uscc ORDER BY at DESC, id DESC)
)
SELECT uscc, min(id) FILTER (WHERE rn = 1), min(at) FILTER (WHERE rn = 1), min(inspector) FILTER (WHERE rn = 1),
       min(latest), min(crs) FILTER (WHERE rn = 1), (array_agg(location) FILTER (WHERE rn = 1))[1],
       coalesce(min(rn) FILTER (WHERE outcome <> latest) - 1, count(*))::integer
FROM b GROUP BY uscc;

-- +goose Down
DROP TRIGGER entity_visits_seen ON inspections;
DROP FUNCTION entity_visits_seen();
DROP TABLE entity_visits;
