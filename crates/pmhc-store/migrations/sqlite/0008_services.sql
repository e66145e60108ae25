-- The service inventory (Framework question 4) and closed-loop referrals from encounters, with
-- every change of a referral's state kept. Keep in step with ../postgres/0008_services.sql.

CREATE TABLE services (
    id             INTEGER PRIMARY KEY,
    provider_id    INTEGER NOT NULL REFERENCES partners (id),
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    intercept      TEXT NOT NULL CHECK (intercept IN ('0', '1', '2', '3', '4', '5')),
    eligibility    TEXT NOT NULL DEFAULT '',
    hours          TEXT NOT NULL,
    capacity       INTEGER CHECK (capacity IS NULL OR capacity >= 0),
    police_dropoff BOOLEAN NOT NULL DEFAULT 0,
    transit_access BOOLEAN NOT NULL DEFAULT 0,
    phone          TEXT NOT NULL DEFAULT '',
    address        TEXT NOT NULL DEFAULT '',
    area           TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (provider_id, name)
);

-- Capacity over time: what a provider reported available on a day.
CREATE TABLE capacity_updates (
    id          INTEGER PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services (id),
    reported_at TEXT NOT NULL,
    available   INTEGER NOT NULL CHECK (available >= 0),
    total       INTEGER CHECK (total IS NULL OR total >= 0),
    reported_by TEXT NOT NULL
);
CREATE INDEX capacity_updates_service ON capacity_updates (service_id, reported_at);

CREATE TABLE referrals (
    id            INTEGER PRIMARY KEY,
    source_system TEXT NOT NULL,
    source_key    TEXT NOT NULL,
    service_id    INTEGER NOT NULL REFERENCES services (id),
    state         TEXT NOT NULL,
    reason        TEXT,
    note          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX referrals_encounter ON referrals (source_system, source_key);
CREATE INDEX referrals_service ON referrals (service_id, state);

CREATE TABLE referral_events (
    id          INTEGER PRIMARY KEY,
    referral_id INTEGER NOT NULL REFERENCES referrals (id),
    at          TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    reason      TEXT,
    actor       TEXT NOT NULL,
    partner_id  INTEGER NOT NULL
);
CREATE INDEX referral_events_referral ON referral_events (referral_id, id);
