-- An import whose first 1,000 rows all fail the same way stops early and keeps nothing: status
-- `stopped`. Keep in step with ../sqlite/0012_stopped_imports.sql.
ALTER TABLE imports DROP CONSTRAINT IF EXISTS imports_status_check;
ALTER TABLE imports ADD CONSTRAINT imports_status_check
    CHECK (status IN ('running', 'complete', 'partial', 'failed', 'interrupted', 'stopped'));
