-- The audit log (issue 8): one row for every write and every sensitive read,
-- saying who (the API token with its role and scope, or the actor of a local
-- command), what (action, method, route template, object, status, detail),
-- when (at) and from where (remote, request_id). Package audit describes the
-- rows; an empty field of audit.Entry is NULL here.
--
-- token_id is not a foreign key to api_tokens: tokens are never deleted, so
-- the id always resolves, and an append must never wait on, or fail because
-- of, another table.
--
-- Append-only, enforced in the database. A BEFORE UPDATE OR DELETE row
-- trigger and a BEFORE TRUNCATE statement trigger raise an exception, so no
-- statement of the service, nor one slipped into it, can change or remove an
-- entry. They are ENABLE ALWAYS, so a session in replica mode
-- (session_replication_role) does not skip them.
--
-- The service connects as a superuser in development (gridsentry dev), and a
-- superuser or the table's owner can disable triggers: there the triggers
-- guard against mistakes, not against the owner. A deployment gets a second
-- guard by running the service as a role that does not own the table and
-- holds only
--     GRANT SELECT, INSERT ON audit_log TO <service role>;
-- (an identity column needs no grant on its sequence). Such a role can
-- neither change rows nor ALTER TABLE to disable the triggers. PUBLIC is
-- refused UPDATE, DELETE and TRUNCATE below, so a grant to PUBLIC made
-- elsewhere does not open them.
--
-- Retention. The service never prunes the log. Removing old entries is a
-- deliberate act of the table's owner, in one transaction so that no other
-- session ever sees the trigger disabled (ALTER TABLE holds an exclusive lock
-- until COMMIT; appends wait meanwhile):
--     BEGIN;
--     ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete;
--     DELETE FROM audit_log WHERE at < now() - interval '5 years';
--     ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete;
--     COMMIT;
-- Keep a copy first (gridsentry audit -json -limit 0 -until ... > FILE).
-- Re-enable with ENABLE ALWAYS: a plain ENABLE would let replica mode skip it.
--
-- Rolling this migration back would destroy the log, so Down refuses while
-- it holds entries: empty it as above first.

-- +goose Up
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    token_id bigint CHECK (token_id > 0),
    role text,
    town_code text,
    department text,
    actor text,
    action text NOT NULL CHECK (action ~ '^[a-z][a-z_]{0,31}$'),
    method text,
    route text,
    object text,
    status smallint CHECK (status BETWEEN 100 AND 599),
    remote text,
    request_id text,
    detail jsonb CHECK (jsonb_typeof(detail) = 'object'),
    CHECK (token_id IS NOT NULL OR actor IS NOT NULL)  -- someone acted
);

-- The filters of audit.Filter; lists are newest first by id.
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_token ON audit_log (token_id, id) WHERE token_id IS NOT NULL;
CREATE INDEX audit_log_object ON audit_log (object, id) WHERE object IS NOT NULL;
CREATE INDEX audit_log_route ON audit_log (route, id) WHERE route IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Entries are never changed or removed by the service; pruning is a deliberate act of the table''s owner (see migrations/00013_audit.sql).';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete;
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM audit_log) THEN
        RAISE EXCEPTION 'audit_log holds entries: rolling back would destroy the audit trail'
            USING HINT = 'Keep a copy (gridsentry audit -json -limit 0), empty the table as its owner (see migrations/00013_audit.sql), and roll back again.';
    END IF;
END
$$;
-- +goose StatementEnd
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
