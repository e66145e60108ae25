-- Training (Framework question 3): courses, the sessions they were given in, each partner's staff
-- roster, and who completed what. Keep in step with ../postgres/0009_training.sql.

CREATE TABLE training_courses (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    hours            REAL NOT NULL CHECK (hours > 0),
    refresher_months INTEGER CHECK (refresher_months IS NULL OR refresher_months > 0)
);

-- A course is named once, whatever the case ("CIT" and "cit" are the same course).
CREATE UNIQUE INDEX training_courses_name ON training_courses (lower(name));

CREATE TABLE training_sessions (
    id          INTEGER PRIMARY KEY,
    course_id   INTEGER NOT NULL REFERENCES training_courses (id),
    held_on     TEXT NOT NULL,
    location    TEXT NOT NULL DEFAULT '',
    instructors TEXT NOT NULL DEFAULT '',
    UNIQUE (course_id, held_on, location)
);

CREATE TABLE staff (
    id         INTEGER PRIMARY KEY,
    partner_id INTEGER NOT NULL REFERENCES partners (id),
    staff_key  TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    agency     TEXT NOT NULL DEFAULT '',
    precinct   TEXT,
    shift      TEXT,
    role       TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    UNIQUE (partner_id, staff_key)
);

CREATE TABLE training_completions (
    id           INTEGER PRIMARY KEY,
    staff_id     INTEGER NOT NULL REFERENCES staff (id),
    session_id   INTEGER NOT NULL REFERENCES training_sessions (id),
    completed_on TEXT NOT NULL,
    pre_score    REAL CHECK (pre_score IS NULL OR (pre_score >= 0 AND pre_score <= 100)),
    post_score   REAL CHECK (post_score IS NULL OR (post_score >= 0 AND post_score <= 100)),
    evaluation   INTEGER CHECK (evaluation IS NULL OR (evaluation >= 1 AND evaluation <= 5)),
    UNIQUE (staff_id, session_id)
);
