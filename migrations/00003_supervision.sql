-- Supervision after registration: market entities and their links to the
-- address library, the registration feed, departments and scope rules,
-- tasks, inspections and their item templates, leads, complaints, violations
-- and the abnormal-operation list.
--
-- Every row that belongs somewhere carries town_code, the key a
-- distribution by town would use. Statuses a clock changes (overdue tasks)
-- are never stored: queries compute them.

-- +goose Up
CREATE TABLE departments (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name text NOT NULL CHECK (name <> ''),
    coordinator boolean NOT NULL DEFAULT false
);

-- Business-scope rules (DESIGN.md section 8), editable data.
CREATE TABLE scope_rules (
    department_code text NOT NULL REFERENCES departments (code),
    keyword text NOT NULL CHECK (keyword <> ''),
    position integer NOT NULL,
    PRIMARY KEY (department_code, keyword)
);

-- Inspection items: the city's "4+2" (town_code NULL) and each town's own.
CREATE TABLE inspection_items (
    code text NOT NULL CHECK (code ~ '^[a-z0-9_]{1,40}$'),
    town_code text REFERENCES towns (code),
    label text NOT NULL CHECK (label <> ''),
    answers text[] NOT NULL CHECK (cardinality(answers) >= 2),
    position integer NOT NULL
);
CREATE UNIQUE INDEX inspection_items_code_idx ON inspection_items (coalesce(town_code, ''), code);

CREATE TABLE entities (
    uscc text PRIMARY KEY CHECK (uscc ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    name text NOT NULL CHECK (name <> ''),
    kind text NOT NULL CHECK (kind IN ('enterprise', 'individual', 'cooperative')),
    status text NOT NULL CHECK (status IN ('active', 'cancelled', 'revoked')),
    registered_at date NOT NULL,
    address_text text NOT NULL,
    scope text NOT NULL DEFAULT '',
    industry text NOT NULL DEFAULT '' CHECK (industry ~ '^[A-T]?$'),
    legal_rep text NOT NULL DEFAULT '',
    phone text NOT NULL DEFAULT '',
    id_number text NOT NULL DEFAULT '',
    report_year smallint,
    changed_at timestamptz NOT NULL,          -- the registration system's change time
    version integer NOT NULL DEFAULT 1,       -- bumped by every accepted write
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- The link (supervision.Link); linked_at NULL means not linked yet.
    link_status text CHECK (link_status IN ('matched', 'ambiguous', 'not_found', 'invalid')),
    link_level text,
    link_score real,
    link_issues jsonb NOT NULL DEFAULT '[]',
    address_code text,
    building_id bigint,
    grid_code text,
    village_code text,
    town_code text,
    location geometry(Point, 4326),
    h3_7 bigint, h3_8 bigint, h3_9 bigint, h3_10 bigint, h3_11 bigint,
    linked_at timestamptz,
    last_inspected_at timestamptz,            -- kept by the inspections trigger below
    CHECK ((location IS NULL) = (h3_11 IS NULL))
);
CREATE INDEX entities_town_idx ON entities (town_code, uscc);
CREATE INDEX entities_grid_idx ON entities (grid_code, uscc);
CREATE INDEX entities_village_idx ON entities (village_code, uscc);
CREATE INDEX entities_building_idx ON entities (building_id);
CREATE INDEX entities_address_idx ON entities (address_code);
CREATE INDEX entities_location_idx ON entities USING gist (location);
CREATE INDEX entities_registered_idx ON entities (registered_at);
CREATE INDEX entities_unlinked_idx ON entities (uscc) WHERE linked_at IS NULL;
CREATE INDEX entities_phone_idx ON entities (phone) WHERE phone <> '';

-- Every accepted version of an entity, as written: nothing a write replaces
-- is lost, and concurrent writers can be audited.
CREATE TABLE entity_versions (
    uscc text NOT NULL REFERENCES entities (uscc),
    version integer NOT NULL,
    changed_at timestamptz NOT NULL,
    source text NOT NULL,                     -- api, feed, import, demo
    row_data jsonb NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (uscc, version)
);

-- The registration feed: every change received, applied or not. The key
-- (uscc, changed_at) makes a replayed change a no-op.
CREATE TABLE registration_changes (
    uscc text NOT NULL,
    changed_at timestamptz NOT NULL,
    change text NOT NULL CHECK (change IN ('new', 'change', 'cancel')),
    outcome text NOT NULL CHECK (outcome IN ('applied', 'stale', 'rejected')),  -- stale: a newer change was applied first
    payload jsonb NOT NULL,
    feed_id bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (uscc, changed_at)
);

CREATE TABLE feeds (
    id bigserial PRIMARY KEY,
    source text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    counts jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE inspections (
    id bigserial PRIMARY KEY,
    uscc text NOT NULL REFERENCES entities (uscc),
    inspector text NOT NULL CHECK (inspector <> ''),
    at timestamptz NOT NULL,
    location geometry(Point, 4326) NOT NULL,
    crs text NOT NULL CHECK (crs IN ('wgs84', 'cgcs2000', 'gcj02')),  -- as declared; location is WGS84
    items jsonb NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('operating', 'not_found', 'moved', 'closed')),
    notes text NOT NULL DEFAULT '',
    photos text[] NOT NULL DEFAULT '{}',
    town_code text,                           -- of the entity's link when inspected
    grid_code text,
    building_id bigint,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inspections_uscc_idx ON inspections (uscc, at DESC);
CREATE INDEX inspections_town_idx ON inspections (town_code, at);
CREATE INDEX inspections_location_idx ON inspections USING gist (location);

-- +goose StatementBegin
CREATE FUNCTION inspections_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE entities e SET last_inspected_at = n.at
    FROM (SELECT uscc, max(at) AS at FROM new_rows GROUP BY uscc) n
    WHERE e.uscc = n.uscc AND (e.last_inspected_at IS NULL OR e.last_inspected_at < n.at);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER inspections_seen AFTER INSERT ON inspections REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inspections_seen();

CREATE TABLE tasks (
    id bigserial PRIMARY KEY,
    uscc text NOT NULL REFERENCES entities (uscc),
    kind text NOT NULL CHECK (kind IN ('permit', 'first_check', 'change_check', 'check')),
    assignee text NOT NULL,                   -- a department code, or a grid/village/town code for checks
    department_code text REFERENCES departments (code),
    town_code text,
    village_code text,
    grid_code text,
    building_id bigint,
    reason text NOT NULL DEFAULT '',
    keywords text[] NOT NULL DEFAULT '{}',
    items text[] NOT NULL DEFAULT '{}',
    status text NOT NULL CHECK (status IN ('pushed', 'received', 'feedback', 'done', 'returned')),
    pushed_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    received_at timestamptz,
    feedback_at timestamptz,
    done_at timestamptz,
    returned_at timestamptz,
    feedback text NOT NULL DEFAULT '',
    return_reason text NOT NULL DEFAULT '',
    inspection_id bigint REFERENCES inspections (id),
    entity_version integer                    -- the entity version that pushed it
);
CREATE INDEX tasks_uscc_idx ON tasks (uscc);
CREATE INDEX tasks_assignee_idx ON tasks (assignee, status, due_at);
CREATE INDEX tasks_town_idx ON tasks (town_code, status, due_at);
CREATE INDEX tasks_grid_idx ON tasks (grid_code, status);
CREATE INDEX tasks_open_due_idx ON tasks (due_at) WHERE status IN ('pushed', 'received', 'feedback');

CREATE TABLE task_events (
    id bigserial PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id),
    at timestamptz NOT NULL DEFAULT now(),
    action text NOT NULL,                     -- push, receive, feedback, complete, return, assign, inspect
    actor text NOT NULL DEFAULT '',
    status text NOT NULL,
    note text NOT NULL DEFAULT ''
);
CREATE INDEX task_events_task_idx ON task_events (task_id, id);

CREATE TABLE leads (
    id bigserial PRIMARY KEY,
    uscc text REFERENCES entities (uscc),
    inspection_id bigint REFERENCES inspections (id),
    from_department text NOT NULL,
    department_code text REFERENCES departments (code),  -- the holder; NULL with the coordinator
    category text NOT NULL CHECK (category <> ''),
    description text NOT NULL DEFAULT '',
    location geometry(Point, 4326),
    town_code text,
    status text NOT NULL CHECK (status IN ('assigned', 'coordination', 'accepted', 'closed')),
    result text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK ((status = 'coordination') = (department_code IS NULL))
);
CREATE INDEX leads_uscc_idx ON leads (uscc);
CREATE INDEX leads_department_idx ON leads (department_code, status);
CREATE INDEX leads_town_idx ON leads (town_code, status);

CREATE TABLE lead_events (
    id bigserial PRIMARY KEY,
    lead_id bigint NOT NULL REFERENCES leads (id),
    at timestamptz NOT NULL,
    action text NOT NULL,
    actor text NOT NULL DEFAULT '',
    department_code text,
    status text NOT NULL,
    note text NOT NULL DEFAULT ''
);
CREATE INDEX lead_events_lead_idx ON lead_events (lead_id, id);

CREATE TABLE complaints (
    id bigserial PRIMARY KEY,
    source text NOT NULL CHECK (source IN ('12345', '12315', 'other')),
    external_id text,
    at timestamptz NOT NULL,
    category text NOT NULL CHECK (category IN ('complaint', 'report')),
    industry text NOT NULL DEFAULT '' CHECK (industry ~ '^[A-T]?$'),
    uscc text REFERENCES entities (uscc),
    address_text text NOT NULL DEFAULT '',
    summary text NOT NULL DEFAULT '',
    link_status text,
    link_score real,
    address_code text,
    building_id bigint,
    grid_code text,
    village_code text,
    town_code text,
    location geometry(Point, 4326),
    UNIQUE (source, external_id)
);
CREATE INDEX complaints_uscc_idx ON complaints (uscc);
CREATE INDEX complaints_town_idx ON complaints (town_code, at);
CREATE INDEX complaints_building_idx ON complaints (building_id);

CREATE TABLE violations (
    id bigserial PRIMARY KEY,
    uscc text NOT NULL REFERENCES entities (uscc),
    external_id text,
    at timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('penalty', 'warning', 'serious')),
    authority text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    amount numeric(14, 2) NOT NULL DEFAULT 0,
    UNIQUE (external_id)
);
CREATE INDEX violations_uscc_idx ON violations (uscc, at);

CREATE TABLE abnormal_listings (
    id bigserial PRIMARY KEY,
    uscc text NOT NULL REFERENCES entities (uscc),
    reason text NOT NULL CHECK (reason IN ('no_annual_report', 'unreachable', 'false_info', 'no_disclosure')),
    listed_at date NOT NULL,
    authority text NOT NULL DEFAULT '',
    removed_at date,
    CHECK (removed_at IS NULL OR removed_at >= listed_at)
);
CREATE UNIQUE INDEX abnormal_listings_open_idx ON abnormal_listings (uscc, reason) WHERE removed_at IS NULL;

-- The generator's ground truth for entities: the standard address each one
-- really registered. Tests and benchmarks read it; the service never does.
CREATE TABLE demo_entity_truth (
    uscc text PRIMARY KEY,
    exists boolean NOT NULL,                  -- false: the registered address was made up
    noise text NOT NULL,
    true_code text NOT NULL DEFAULT '',
    true_building_id bigint NOT NULL DEFAULT 0,
    true_doorplate text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE demo_entity_truth;
DROP TABLE abnormal_listings;
DROP TABLE violations;
DROP TABLE complaints;
DROP TABLE lead_events;
DROP TABLE leads;
DROP TABLE task_events;
DROP TABLE tasks;
DROP TABLE inspections;
DROP FUNCTION inspections_seen();
DROP TABLE feeds;
DROP TABLE registration_changes;
DROP TABLE entity_versions;
DROP TABLE entities;
DROP TABLE inspection_items;
DROP TABLE scope_rules;
DROP TABLE departments;
