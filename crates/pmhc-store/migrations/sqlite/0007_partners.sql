-- Partners, ownership of records, information-sharing agreements, 42 CFR Part 2 consents and
-- the accounting of disclosures; users' partner, roles and second factor (TOTP). Keep in step
-- with ../postgres/0007_partners.sql.
--
-- Every encounter belongs to the partner that owns its source system (the first partner to
-- write it); everything stored before this version belongs to partner 1. `users.role` of the
-- first release is superseded by `users.roles` (SQLite cannot drop its CHECK constraint without
-- rebuilding the table, which would cascade to sessions): it is kept and written with a value it
-- accepts.

CREATE TABLE partners (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    sector     TEXT NOT NULL CHECK (sector IN ('law_enforcement', 'behavioral_health', 'substance_use_treatment',
                                               'crisis_services', 'advocacy', 'housing', 'other')),
    created_at TEXT NOT NULL
);
INSERT INTO partners (id, name, sector, created_at)
    VALUES (1, 'Default partner', 'other', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE TABLE source_systems (
    name       TEXT PRIMARY KEY NOT NULL,
    partner_id INTEGER NOT NULL REFERENCES partners (id),
    created_at TEXT NOT NULL
);
INSERT INTO source_systems (name, partner_id, created_at)
    SELECT DISTINCT source_system, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM encounters;

ALTER TABLE users ADD COLUMN partner_id INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT 'workgroup_member';
UPDATE users SET roles = CASE role WHEN 'analyst' THEN 'data_specialist' WHEN 'viewer' THEN 'workgroup_member'
                                   ELSE role END;
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
ALTER TABLE sessions ADD COLUMN second_factor_at TEXT;
-- Sessions that existed before the second factor: it is asked at their next sign-in.
UPDATE sessions SET second_factor_at = authenticated_at;

ALTER TABLE imports ADD COLUMN partner_id INTEGER NOT NULL DEFAULT 1;

CREATE TABLE sharing_agreements (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    discloser_id INTEGER NOT NULL REFERENCES partners (id),
    recipient_id INTEGER NOT NULL REFERENCES partners (id),
    direction    TEXT NOT NULL CHECK (direction IN ('one_way', 'both_ways')),
    field_groups TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    legal_basis  TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    expires_on   TEXT NOT NULL,
    ended_on     TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    CHECK (discloser_id <> recipient_id),
    CHECK (expires_on >= effective_on)
);

CREATE TABLE consents (
    id                           INTEGER PRIMARY KEY,
    subject_key                  TEXT NOT NULL,
    discloser_id                 INTEGER NOT NULL REFERENCES partners (id),
    recipient_id                 INTEGER NOT NULL REFERENCES partners (id),
    information                  TEXT NOT NULL,
    purpose                      TEXT NOT NULL,
    expires_on                   TEXT,
    expiry_event                 TEXT,
    right_to_revoke_acknowledged BOOLEAN NOT NULL,
    signed_by                    TEXT NOT NULL,
    signed_on                    TEXT NOT NULL,
    revoked_on                   TEXT,
    created_by                   TEXT NOT NULL,
    created_at                   TEXT NOT NULL,
    CHECK (expires_on IS NOT NULL OR expiry_event IS NOT NULL)
);
CREATE INDEX consents_subject ON consents (subject_key);

-- The accounting of disclosures made under consent (42 CFR 2.24): kept at least three years.
CREATE TABLE disclosures (
    id            INTEGER PRIMARY KEY,
    consent_id    INTEGER NOT NULL REFERENCES consents (id),
    subject_key   TEXT NOT NULL,
    discloser_id  INTEGER NOT NULL,
    recipient_id  INTEGER NOT NULL,
    purpose       TEXT NOT NULL,
    username      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    source_system TEXT NOT NULL,
    source_key    TEXT NOT NULL,
    disclosed_at  TEXT NOT NULL
);
CREATE INDEX disclosures_subject ON disclosures (subject_key, disclosed_at);
