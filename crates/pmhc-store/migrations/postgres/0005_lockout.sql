-- Sign-in lockout and inactivity: failed sign-ins counted in a window; a locked account stays locked until an
-- administrator unlocks it; `active_since` (set when an account is enabled again) restarts the
-- 90-day inactivity clock. Keep in step with ../sqlite/0005_lockout.sql.
ALTER TABLE users ADD COLUMN failed_sign_ins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN first_failed_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN locked_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN active_since TIMESTAMPTZ;
