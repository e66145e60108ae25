-- Shared definitions, versioned: every save is a new version; nothing is updated in place.
CREATE TABLE definitions (
    version    INTEGER PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    author     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
