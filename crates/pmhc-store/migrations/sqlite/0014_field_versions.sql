-- The field form knows the person and keeps every version. Keep in step with
-- ../postgres/0014_field_versions.sql.
--
-- `partners.person_namespace`: the namespace of the person keys of the partner's records system
-- (the subject_key namespace of its imports' mapping), in which the field form and the API make
-- the person key of the identifiers typed with a record; none: the partner's field-form source.
ALTER TABLE partners ADD COLUMN person_namespace TEXT;

-- Every version of an encounter saved one at a time (the field form, its edits, the API): the
-- record as saved (JSON of the canonical record: the person only as its key), who saved it, when
-- and how. Never updated or deleted.
CREATE TABLE encounter_versions (
    id            INTEGER PRIMARY KEY,
    source_system TEXT NOT NULL,
    source_key    TEXT NOT NULL,
    version       INTEGER NOT NULL,
    saved_at      TEXT NOT NULL,
    saved_by      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    record        TEXT NOT NULL,
    UNIQUE (source_system, source_key, version)
);
CREATE TRIGGER encounter_versions_no_update BEFORE UPDATE ON encounter_versions
BEGIN SELECT RAISE(ABORT, 'encounter versions are kept as saved'); END;
CREATE TRIGGER encounter_versions_no_delete BEFORE DELETE ON encounter_versions
BEGIN SELECT RAISE(ABORT, 'encounter versions are kept as saved'); END;
