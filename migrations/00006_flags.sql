-- Flags (风险标记): explainable findings about entities, addresses,
-- buildings and grids, with their review lifecycle; the data the rules
-- read (approved cluster-registration hosts, restricted trades); the queue
-- of entities whose facts changed since the rules last looked at them; and
-- double-random (双随机) inspection campaigns.
--
-- A flag is keyed by (kind, subject): one finding per rule and subject,
-- whose evidence is replaced while it is open and whose fingerprint (a hash
-- of the evidence) re-opens a reviewed flag when the facts change.

-- +goose Up
CREATE TABLE flags (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
    subject text NOT NULL CHECK (subject <> ''),   -- entity:USCC, address:CODE, building:ID, grid:CODE, phone:HASH, person:HASH
    uscc text,                                      -- the entity, for a flag about one
    usccs text[] NOT NULL DEFAULT '{}',             -- every entity the finding concerns
    address_code text,
    building_id bigint,
    grid_code text,
    village_code text,
    town_code text,
    location geometry(Point, 4326),
    score real NOT NULL CHECK (score BETWEEN 0 AND 100),
    title text NOT NULL,
    evidence jsonb NOT NULL,
    fingerprint text NOT NULL,
    status text NOT NULL CHECK (status IN ('open', 'confirmed', 'dismissed', 'resolved')),
    raised_at timestamptz NOT NULL,                 -- first raised
    opened_at timestamptz NOT NULL,                 -- last (re-)opened
    updated_at timestamptz NOT NULL,
    reviewed_at timestamptz,
    reviewer text NOT NULL DEFAULT '',
    review_reason text NOT NULL DEFAULT '',
    resolved_at timestamptz,
    UNIQUE (kind, subject)
);
CREATE INDEX flags_status_idx ON flags (status, id);
CREATE INDEX flags_kind_idx ON flags (kind, status, id);
CREATE INDEX flags_town_idx ON flags (town_code, status, id);
CREATE INDEX flags_grid_idx ON flags (grid_code, status, id);
CREATE INDEX flags_uscc_idx ON flags (uscc) WHERE uscc IS NOT NULL;
CREATE INDEX flags_usccs_idx ON flags USING gin (usccs);
CREATE INDEX flags_address_idx ON flags (address_code) WHERE address_code IS NOT NULL;
CREATE INDEX flags_location_idx ON flags USING gist (location);

CREATE TABLE flag_events (
    id bigserial PRIMARY KEY,
    flag_id bigint NOT NULL REFERENCES flags (id),
    at timestamptz NOT NULL,
    action text NOT NULL CHECK (action IN ('raise', 'update', 'confirm', 'dismiss', 'reopen', 'resolve')),
    actor text NOT NULL DEFAULT '',
    status text NOT NULL,
    note text NOT NULL DEFAULT '',
    score real,
    evidence jsonb
);
CREATE INDEX flag_events_flag_idx ON flag_events (flag_id, id);

-- Linked parties (关联比对) look entities up by the legal representative's
-- ID number as they do by phone (entities_phone_idx).
CREATE INDEX entities_id_number_idx ON entities (id_number) WHERE id_number <> '';

-- Each full evaluation, for the last-run time (serve logs the incremental
-- ones; storing them would grow the table by the second).
CREATE TABLE flag_runs (
    id bigserial PRIMARY KEY,
    scope text NOT NULL CHECK (scope IN ('full', 'incremental')),
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    entities bigint NOT NULL DEFAULT 0,
    counts jsonb NOT NULL DEFAULT '{}'
);

-- Entities whose facts changed since the rules last saw them, filled by the
-- triggers below and drained by the evaluator (FOR UPDATE SKIP LOCKED, so
-- several service nodes can share it).
CREATE TABLE flag_queue (
    uscc text PRIMARY KEY,
    queued_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION flag_queue_entities_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO flag_queue (uscc) SELECT uscc FROM new_rows ON CONFLICT DO NOTHING;
    PERFORM pg_notify('gridsentry_flags', '');
    RETURN NULL;
END
$$;
-- An update matters when it changes a fact a rule reads; last_inspected_at
-- and updated_at alone do not (the inspection queues the entity itself).
CREATE FUNCTION flag_queue_entities_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO flag_queue (uscc)
    SELECT n.uscc FROM new_rows n JOIN old_rows o USING (uscc)
    WHERE (n.status, n.scope, n.industry, n.legal_rep, n.phone, n.id_number, n.report_year, n.link_status,
           n.link_level, n.address_code, n.building_id, n.grid_code, n.town_code, n.registered_at, n.name)
        IS DISTINCT FROM
          (o.status, o.scope, o.industry, o.legal_rep, o.phone, o.id_number, o.report_year, o.link_status,
           o.link_level, o.address_code, o.building_id, o.grid_code, o.town_code, o.registered_at, o.name)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('gridsentry_flags', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION flag_queue_uscc_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO flag_queue (uscc) SELECT DISTINCT uscc FROM new_rows WHERE uscc IS NOT NULL ON CONFLICT DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('gridsentry_flags', '');
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER flag_queue_entities_insert AFTER INSERT ON entities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION flag_queue_entities_new();
CREATE TRIGGER flag_queue_entities_update AFTER UPDATE ON entities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION flag_queue_entities_changed();
CREATE TRIGGER flag_queue_inspections AFTER INSERT ON inspections REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION flag_queue_uscc_rows();
CREATE TRIGGER flag_queue_complaints AFTER INSERT ON complaints REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION flag_queue_uscc_rows();
CREATE TRIGGER flag_queue_tasks AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION flag_queue_uscc_rows();
CREATE TRIGGER flag_queue_violations AFTER INSERT ON violations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION flag_queue_uscc_rows();

-- Approved cluster-registration hosts (集群注册住所): addresses where many
-- entities may register (an incubator, a registered-agent office).
CREATE TABLE cluster_hosts (
    address_code text PRIMARY KEY,
    name text NOT NULL CHECK (name <> ''),
    approved_at date NOT NULL,
    approved_by text NOT NULL DEFAULT ''
);

-- Trades a building of these uses does not suit (rules as data): an
-- entity whose business scope names a keyword (outside a negation) and
-- whose building has one of the uses is flagged.
CREATE TABLE restricted_trades (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    label text NOT NULL CHECK (label <> ''),
    keywords text[] NOT NULL CHECK (cardinality(keywords) > 0),
    uses text[] NOT NULL CHECK (cardinality(uses) > 0),
    position integer NOT NULL
);

-- Double-random campaigns (双随机): the draw is reproducible from its seed
-- and parameters; each chosen entity gets a check task.
CREATE TABLE campaigns (
    id bigserial PRIMARY KEY,
    name text NOT NULL CHECK (name <> ''),
    seed bigint NOT NULL,
    params jsonb NOT NULL,
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    counts jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE campaign_entities (
    campaign_id bigint NOT NULL REFERENCES campaigns (id),
    uscc text NOT NULL REFERENCES entities (uscc),
    weight real NOT NULL,
    reason text NOT NULL,                           -- new (always included) or drawn
    quota text NOT NULL,                            -- the town or grid code of the quota it filled
    task_id bigint REFERENCES tasks (id),
    weights jsonb NOT NULL DEFAULT '{}',            -- the factors of the weight
    PRIMARY KEY (campaign_id, uscc)
);

-- The generator's injected anomalies: the entities a flag of each kind
-- should concern. Tests and benchmarks read it; the service never does.
CREATE TABLE demo_flag_truth (
    uscc text NOT NULL,
    kind text NOT NULL,
    note text NOT NULL DEFAULT '',
    PRIMARY KEY (kind, uscc)
);

-- +goose Down
DROP TABLE demo_flag_truth;
DROP TABLE campaign_entities;
DROP TABLE campaigns;
DROP TABLE restricted_trades;
DROP TABLE cluster_hosts;
DROP TRIGGER flag_queue_violations ON violations;
DROP TRIGGER flag_queue_tasks ON tasks;
DROP TRIGGER flag_queue_complaints ON complaints;
DROP TRIGGER flag_queue_inspections ON inspections;
DROP TRIGGER flag_queue_entities_update ON entities;
DROP TRIGGER flag_queue_entities_insert ON entities;
DROP FUNCTION flag_queue_uscc_rows();
DROP FUNCTION flag_queue_entities_changed();
DROP FUNCTION flag_queue_entities_new();
DROP TABLE flag_queue;
DROP TABLE flag_runs;
DROP INDEX entities_id_number_idx;
DROP TABLE flag_events;
DROP TABLE flags;
