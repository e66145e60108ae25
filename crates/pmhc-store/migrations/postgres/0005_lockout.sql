-- Sign-in lockout: failed sign-ins counted in a window; a locked account stays locked until an
-- administrator unlocks it. Keep in step with ../sqlite/0005_lockout.sql.
ALTER TABLE users ADD COLUMN failed_sign_ins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN first_failed_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN locked_at TIMESTAMPTZ;
