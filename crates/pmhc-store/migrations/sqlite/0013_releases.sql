-- The register of public releases: every public output is a release, frozen with its question,
-- the data and definitions it was made from, the public report as published, and its disclosure
-- problem (every cell, its value and whether it was published) so that later releases are
-- protected jointly with it. Keep in step with ../postgres/0013_releases.sql.
CREATE TABLE releases (
    id                  INTEGER PRIMARY KEY,
    created_at          TEXT NOT NULL,
    made_by             TEXT NOT NULL,
    question            TEXT NOT NULL,
    data_stamp          TEXT NOT NULL,
    definitions_version INTEGER NOT NULL,
    baseline            TEXT NOT NULL,
    comparison          TEXT NOT NULL,
    report              TEXT NOT NULL,
    cells               TEXT NOT NULL
);
CREATE INDEX releases_question ON releases (question, data_stamp);
