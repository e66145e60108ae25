-- pmhc schema, SQLite dialect. Keep in step with ../postgres/0001_initial.sql (same version numbers).
-- Dates and times are ISO-8601 TEXT (sorts correctly); booleans are 0/1; codes are the lowercase
-- `CodeList::as_str` spellings; list fields are JSON arrays.

CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    file_name     TEXT NOT NULL,
    file_sha256   TEXT NOT NULL,
    mapping_name  TEXT NOT NULL,
    source_system TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'complete', 'partial', 'failed')),
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    received      INTEGER NOT NULL DEFAULT 0,
    accepted      INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    inserted      INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    unchanged     INTEGER NOT NULL DEFAULT 0,
    stale         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE encounters (
    id                        INTEGER PRIMARY KEY,
    source_system             TEXT NOT NULL,
    source_key                TEXT NOT NULL,
    source_updated_at         TEXT,
    agency                    TEXT,
    call_number               TEXT,
    occurred_on               TEXT NOT NULL,
    occurred_time             TEXT,
    date_precision            TEXT NOT NULL,
    reported_at               TEXT,
    dispatched_at             TEXT,
    arrived_at                TEXT,
    cleared_at                TEXT,
    precinct                  TEXT,
    sector                    TEXT,
    beat                      TEXT,
    latitude                  REAL,
    longitude                 REAL,
    call_source               TEXT NOT NULL,
    priority                  TEXT,
    initial_call_type         TEXT,
    final_call_type           TEXT,
    mh_recognised_at_dispatch BOOLEAN,
    mental_health_flag        BOOLEAN,
    response_model            TEXT NOT NULL,
    cit_requested             BOOLEAN,
    cit_dispatched            BOOLEAN,
    cit_arrived               BOOLEAN,
    clinician_on_scene        BOOLEAN,
    officers                  TEXT NOT NULL DEFAULT '[]',
    time_on_scene_minutes     INTEGER,
    disposition               TEXT NOT NULL,
    arrested                  BOOLEAN,
    cited                     BOOLEAN,
    involuntary_hold          BOOLEAN,
    referrals                 TEXT NOT NULL DEFAULT '[]',
    use_of_force              TEXT NOT NULL,
    force_types               TEXT NOT NULL DEFAULT '[]',
    subject_injured           BOOLEAN,
    officer_injured           BOOLEAN,
    weapon_involved           BOOLEAN,
    behaviours                TEXT NOT NULL DEFAULT '[]',
    veteran                   BOOLEAN,
    housing_status            TEXT NOT NULL,
    substance_use             BOOLEAN,
    subject_key               TEXT,
    age_band                  TEXT NOT NULL,
    gender                    TEXT NOT NULL,
    race_ethnicity            TEXT NOT NULL,
    content_hash              TEXT NOT NULL,
    import_id                 INTEGER REFERENCES imports (id) ON DELETE SET NULL,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL,
    UNIQUE (source_system, source_key)
);

CREATE INDEX encounters_occurred_on ON encounters (occurred_on);
CREATE INDEX encounters_subject_key ON encounters (subject_key) WHERE subject_key IS NOT NULL;
CREATE INDEX encounters_precinct ON encounters (precinct);
