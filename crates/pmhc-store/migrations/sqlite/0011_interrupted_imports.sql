-- no-transaction
-- Imports record the process that runs them (`process`: host, pid and the process's start) and
-- a heartbeat, so that the next command finds an import whose process died and marks it
-- `interrupted` (a status the first release's CHECK constraint lacks: SQLite cannot change a
-- CHECK constraint, so the table is rebuilt — with foreign keys off, so that dropping the old
-- table neither nulls `encounters.import_id` nor deletes rejected rows). Keep in step with
-- ../postgres/0011_interrupted_imports.sql.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE imports_rebuilt (
    id            INTEGER PRIMARY KEY,
    file_name     TEXT NOT NULL,
    file_sha256   TEXT NOT NULL,
    mapping_name  TEXT NOT NULL,
    source_system TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'complete', 'partial', 'failed', 'interrupted')),
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
                             received, accepted, rejected, inserted, updated, unchanged, stale, partner_id)
    SELECT id, file_name, file_sha256, mapping_name, source_system, status, started_at, finished_at,
           received, accepted, rejected, inserted, updated, unchanged, stale, partner_id FROM imports;
DROP TABLE imports;
ALTER TABLE imports_rebuilt RENAME TO imports;
COMMIT;
PRAGMA foreign_keys = ON;
