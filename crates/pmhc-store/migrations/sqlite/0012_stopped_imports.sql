-- no-transaction
-- An import whose first 1,000 rows all fail the same way stops early and keeps nothing: status
-- `stopped`, a status the CHECK constraint of 0011 lacks. SQLite cannot change a CHECK
-- constraint, so the table is rebuilt as in 0011 (with foreign keys off, so that dropping the old
-- table neither nulls `encounters.import_id` nor deletes `import_details`). Keep in step with
-- ../postgres/0012_stopped_imports.sql.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE imports_rebuilt (
    id            INTEGER PRIMARY KEY,
    file_name     TEXT NOT NULL,
    file_sha256   TEXT NOT NULL,
    mapping_name  TEXT NOT NULL,
    source_system TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'complete', 'partial', 'failed', 'interrupted', 'stopped')),
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    received      INTEGER NOT NULL DEFAULT 0,
    accepted      INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    inserted      INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    unchanged     INTEGER NOT NULL DEFAULT 0,
    stale         INTEGER NOT NULL DEFAULT 0,
    partner_id    INTEGER NOT NULL DEFAULT 1,
    process       TEXT,
    heartbeat_at  TEXT
);
INSERT INTO imports_rebuilt (id, file_name, file_sha256, mapping_name, source_system, status, started_at, finished_at,
                             received, accepted, rejected, inserted, updated, unchanged, stale, partner_id, process, heartbeat_at)
    SELECT id, file_name, file_sha256, mapping_name, source_system, status, started_at, finished_at,
           received, accepted, rejected, inserted, updated, unchanged, stale, partner_id, process, heartbeat_at FROM imports;
DROP TABLE imports;
ALTER TABLE imports_rebuilt RENAME TO imports;
COMMIT;
PRAGMA foreign_keys = ON;
