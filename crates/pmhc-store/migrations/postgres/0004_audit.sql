-- The audit trail: append-only and hash-chained (see pmhc_core::audit). Entries are numbered from
-- 1 without gaps; `settings.audit_head` holds the newest entry's "id:hash". The triggers refuse
-- updates and deletes; `pmhc audit verify` finds any change made around them. Keep in step with
-- ../sqlite/0004_audit.sql.

CREATE TABLE audit_log (
    id           BIGINT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    partner      TEXT,
    action       TEXT NOT NULL,
    object       TEXT NOT NULL,
    field_groups TEXT NOT NULL,
    source       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    detail       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
