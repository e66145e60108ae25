-- The interagency workgroup (Handbook, Question 1): its charge, members (with or without a pmhc
-- account), what a member says of themself (personal: seen by them and the project coordinator
-- only), the community's demographics, meetings with their agenda, attendance and numbered
-- decisions, and action items. Champions, subcommittees, surveys and recognition refer to
-- workgroup_members (id) and meetings (id) when they come. Keep in step with
-- ../postgres/0015_workgroup.sql. (0014 is another branch's.)

CREATE TABLE workgroup_charge (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    vision      TEXT NOT NULL DEFAULT '',
    mission     TEXT NOT NULL DEFAULT '',
    -- One item per line.
    principles  TEXT NOT NULL DEFAULT '',
    focus_areas TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL
);

CREATE TABLE workgroup_members (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    username       TEXT,
    affiliation    TEXT NOT NULL DEFAULT '',
    partner_id     INTEGER REFERENCES partners (id),
    sector         TEXT NOT NULL,
    role           TEXT NOT NULL,
    substitute_for INTEGER REFERENCES workgroup_members (id),
    joined_on      TEXT NOT NULL,
    left_on        TEXT,
    updated_at     TEXT NOT NULL,
    CHECK (left_on IS NULL OR left_on >= joined_on)
);

-- One member per account.
CREATE UNIQUE INDEX workgroup_members_username ON workgroup_members (lower(username)) WHERE username IS NOT NULL;

CREATE TABLE member_self_descriptions (
    member_id        INTEGER PRIMARY KEY REFERENCES workgroup_members (id),
    lived_experience TEXT,
    -- A JSON list of {category, group}.
    demographics     TEXT NOT NULL DEFAULT '[]',
    in_own_words     TEXT NOT NULL DEFAULT '',
    updated_at       TEXT NOT NULL
);

CREATE TABLE community_demographics (
    position INTEGER PRIMARY KEY,
    category TEXT NOT NULL,
    grp      TEXT NOT NULL,
    share    REAL NOT NULL CHECK (share >= 0 AND share <= 1),
    source   TEXT NOT NULL,
    year     INTEGER NOT NULL
);

CREATE TABLE meetings (
    id         INTEGER PRIMARY KEY,
    held_on    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    location   TEXT NOT NULL DEFAULT '',
    minutes    TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);

CREATE INDEX meetings_held_on ON meetings (held_on);

CREATE TABLE agenda_items (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    presenter  INTEGER REFERENCES workgroup_members (id),
    minutes    INTEGER,
    PRIMARY KEY (meeting_id, position)
);

CREATE TABLE meeting_attendance (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    member_id  INTEGER NOT NULL REFERENCES workgroup_members (id),
    attendance TEXT NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);

CREATE TABLE meeting_decisions (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    number     INTEGER NOT NULL CHECK (number > 0),
    text       TEXT NOT NULL,
    PRIMARY KEY (meeting_id, number)
);

CREATE TABLE action_items (
    id         INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    decision   INTEGER,
    owner_id   INTEGER NOT NULL REFERENCES workgroup_members (id),
    text       TEXT NOT NULL,
    due_on     TEXT NOT NULL,
    status     TEXT NOT NULL,
    follow_up  TEXT NOT NULL DEFAULT '',
    closed_on  TEXT,
    updated_at TEXT NOT NULL
);

CREATE INDEX action_items_open ON action_items (status, due_on);
