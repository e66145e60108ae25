-- Imports record the process that runs them (`process`: host, pid and the process's start) and
-- a heartbeat, so that the next command finds an import whose process died and marks it
-- `interrupted`. The audit log refuses TRUNCATE (which row triggers do not see). Keep in step
-- with ../sqlite/0011_interrupted_imports.sql.
ALTER TABLE imports DROP CONSTRAINT IF EXISTS imports_status_check;
ALTER TABLE imports ADD CONSTRAINT imports_status_check
    CHECK (status IN ('running', 'complete', 'partial', 'failed', 'interrupted'));
ALTER TABLE imports ADD COLUMN process TEXT;
ALTER TABLE imports ADD COLUMN heartbeat_at TIMESTAMPTZ;

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
