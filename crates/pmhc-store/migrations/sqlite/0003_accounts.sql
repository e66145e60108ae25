-- Accounts for the web application: users with argon2id password hashes and a role, browser
-- sessions and API tokens (both stored only as SHA-256 hashes of the secret), and the details of
-- each import that the import page shows (summary JSON, rejected rows). Keep in step with
-- ../postgres/0003_accounts.sql.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('administrator', 'analyst', 'viewer')),
    password_hash   TEXT NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    last_sign_in_at TEXT
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE import_details (
    import_id INTEGER PRIMARY KEY NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    summary   TEXT NOT NULL,
    rejects   BLOB
);
