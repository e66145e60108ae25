-- When the session's user last proved who they are (sign-in or re-authentication): administrative
-- actions need it recent. Keep in step with ../sqlite/0006_reauth.sql.
ALTER TABLE sessions ADD COLUMN authenticated_at TIMESTAMPTZ;
