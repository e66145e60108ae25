//! Users, browser sessions, API tokens and import details: the tables of the web application.
//!
//! Secrets are never stored: sessions and tokens are kept as the hex SHA-256 of the random value
//! the client holds, and passwords only as the argon2id hash the caller computed. The role is
//! stored as its name and read back through [`Role`]'s parser, so an unknown role in the
//! database is a [`StoreError::Corrupt`], never a silent downgrade or upgrade.

use chrono::{DateTime, Utc};
use pmhc_core::access::{Role, Roles};
use pmhc_core::sharing::PartnerId;
use sqlx::Row;

use crate::{Store, StoreError, on_pool};

/// A user account (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Roles,
    /// The partner the user works for (what records they see follows from it).
    pub partner: PartnerId,
    /// Whether a second factor (TOTP) is enrolled.
    pub mfa_enrolled: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Locked after too many failed sign-ins (until [`User::locked_until`] or an administrator
    /// unlocks it), on the store's clock when the user was read.
    pub locked: bool,
    /// When the lock releases itself (while locked).
    pub locked_until: Option<DateTime<Utc>>,
    /// When an administrator last enabled the account (restarts the inactivity clock).
    pub active_since: Option<DateTime<Utc>>,
}

/// A browser session, found by the hash of its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user: User,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When the user last entered their password in this session (sign-in or re-authentication).
    pub authenticated_at: DateTime<Utc>,
    /// When the second factor was given in this session (`None`: the session waits for it and
    /// grants nothing else).
    pub second_factor_at: Option<DateTime<Utc>>,
}

/// An API token's description (the secret itself is shown once, when made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.roles, u.active, u.created_at, u.last_sign_in_at, \
     u.locked_at, u.active_since, u.partner_id, u.totp_secret IS NOT NULL";
/// How many columns [`USER_COLUMNS`] has (what a query selects after them starts here).
const USER_N: usize = 11;

/// The value written to the first release's `users.role` column (superseded by `roles`; its
/// CHECK constraint accepts only the old names).
fn legacy_role(roles: Roles) -> &'static str {
    if roles.contains(Role::Administrator) { "administrator" } else { "viewer" }
}

fn decode_user<R: Row>(r: &R, backend: &'static str, now: DateTime<Utc>) -> Result<User, StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let op = "read a user";
    let roles: String = r.try_get(3).map_err(StoreError::db(backend, op))?;
    let locked_at: Option<DateTime<Utc>> = r.try_get(7).map_err(StoreError::db(backend, op))?;
    let locked_until = locked_at.map(|t| t + pmhc_core::access::LOCKOUT_RELEASE).filter(|until| now < *until);
    Ok(User {
        id: r.try_get(0).map_err(StoreError::db(backend, op))?,
        username: r.try_get(1).map_err(StoreError::db(backend, op))?,
        display_name: r.try_get(2).map_err(StoreError::db(backend, op))?,
        roles: roles.parse().map_err(|e: pmhc_core::access::UnknownRole| StoreError::Corrupt {
            what: "users.roles".into(),
            detail: e.to_string(),
        })?,
        active: r.try_get(4).map_err(StoreError::db(backend, op))?,
        created_at: r.try_get(5).map_err(StoreError::db(backend, op))?,
        last_sign_in_at: r.try_get(6).map_err(StoreError::db(backend, op))?,
        locked: locked_until.is_some(),
        locked_until,
        active_since: r.try_get(8).map_err(StoreError::db(backend, op))?,
        partner: r.try_get(9).map_err(StoreError::db(backend, op))?,
        mfa_enrolled: r.try_get(10).map_err(StoreError::db(backend, op))?,
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Store {
    /// Make a user account. `password_hash` is a PHC string (argon2id) computed by the caller.
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        roles: Roles,
        partner: PartnerId,
        password_hash: &str,
    ) -> Result<User, StoreError> {
        let now = self.clock.now();
        let result = on_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO users (username, display_name, role, roles, partner_id, password_hash, active, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7) RETURNING id",
            )
            .bind(username)
            .bind(display_name)
            .bind(legacy_role(roles))
            .bind(roles.to_string())
            .bind(partner)
            .bind(password_hash)
            .bind(now)
            .fetch_one(pool)
            .await
        });
        match result {
            Ok(id) => Ok(User {
                id,
                username: username.to_string(),
                display_name: display_name.to_string(),
                roles,
                partner,
                mfa_enrolled: false,
                active: true,
                created_at: now,
                last_sign_in_at: None,
                locked: false,
                locked_until: None,
                active_since: None,
            }),
            Err(e) if is_unique_violation(&e) => Err(StoreError::UserExists(username.to_string())),
            Err(e) => Err(StoreError::db(self.backend_name(), "create a user")(e)),
        }
    }

    /// Change a user's password hash, role or active flag (those given). Signing a user out of
    /// every session when the password or role changes or the account is disabled.
    pub async fn update_user(
        &self,
        username: &str,
        password_hash: Option<&str>,
        roles: Option<Roles>,
        active: Option<bool>,
    ) -> Result<User, StoreError> {
        let op = "update a user";
        let changed = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET password_hash = COALESCE($2, password_hash), roles = COALESCE($3, roles), \
                 role = COALESCE($6, role), active = COALESCE($4, active), \
                 active_since = CASE WHEN $4 AND NOT active THEN $5 ELSE active_since END WHERE username = $1",
            )
            .bind(username)
            .bind(password_hash)
            .bind(roles.map(|r| r.to_string()))
            .bind(active)
            .bind(self.clock.now())
            .bind(roles.map(legacy_role))
            .execute(pool)
            .await
            .map_err(StoreError::db(BACKEND, op))?
            .rows_affected()
        });
        if changed == 0 {
            return Err(StoreError::UserNotFound(username.to_string()));
        }
        let (user, _) = self.user_by_username(username).await?.ok_or_else(|| StoreError::UserNotFound(username.into()))?;
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.id)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "end a user's sessions"))?.rows_affected()
        });
        Ok(user)
    }

    /// Count a failed sign-in of an existing user: failures within `window` of the first one
    /// add up; at `max` the account is locked. Returns whether it is locked now.
    pub async fn record_failed_sign_in(&self, username: &str, window: chrono::Duration, max: u32) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let op = "record a failed sign-in";
        let count: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "UPDATE users SET \
                 failed_sign_ins = CASE WHEN first_failed_at IS NULL OR first_failed_at < $2 THEN 1 ELSE failed_sign_ins + 1 END, \
                 first_failed_at = CASE WHEN first_failed_at IS NULL OR first_failed_at < $2 THEN $3 ELSE first_failed_at END \
                 WHERE username = $1 RETURNING failed_sign_ins",
            )
            .bind(username)
            .bind(now - window)
            .bind(now)
            .fetch_optional(pool)
            .await
            .map_err(StoreError::db(BACKEND, op))?
        });
        let Some(count) = count else { return Ok(false) };
        if count >= i64::from(max) {
            // Lock (again, when an earlier lock has released itself), start the count afresh, and
            // end the account's sessions: a session opened before the lock does not outlive it.
            on_pool!(self, pool => {
                let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
                sqlx::query(
                    "UPDATE users SET locked_at = $2, failed_sign_ins = 0, first_failed_at = NULL \
                     WHERE username = $1 AND (locked_at IS NULL OR locked_at <= $3)",
                )
                .bind(username)
                .bind(now)
                .bind(now - pmhc_core::access::LOCKOUT_RELEASE)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(BACKEND, op))?;
                sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)")
                    .bind(username)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
                tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
            });
            return Ok(true);
        }
        Ok(false)
    }

    /// Unlock a locked account (and forget its failed sign-ins).
    pub async fn unlock_user(&self, username: &str) -> Result<(), StoreError> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE users SET locked_at = NULL, failed_sign_ins = 0, first_failed_at = NULL WHERE username = $1")
                .bind(username)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "unlock a user"))?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::UserNotFound(username.to_string()));
        }
        Ok(())
    }

    /// A user and their password hash, by user name.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(username)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "find a user"))?;
            match row {
                Some(r) => {
                    let hash: String = r.try_get(USER_N).map_err(StoreError::db(BACKEND, "find a user"))?;
                    Ok(Some((decode_user(&r, BACKEND, self.clock.now())?, hash)))
                }
                None => Ok(None),
            }
        })
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.username");
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list users"))?;
            rows.iter().map(|r| decode_user(r, BACKEND, self.clock.now())).collect()
        })
    }

    /// How many accounts exist.
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(pool)
                .await
                .map_err(StoreError::db(BACKEND, "count users"))?
        });
        Ok(crate::count_from_db(n))
    }

    /// Start a session for a user who has just signed in.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
        second_factor_done: bool,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, authenticated_at, \
                 second_factor_at) VALUES ($1, $2, $3, $4, $4, $5, $4, $6)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now)
            .bind(expires_at)
            .bind(second_factor_done.then_some(now))
            .execute(pool)
            .await
            .map_err(StoreError::db(BACKEND, "start a session"))?;
            // Failed attempts are forgotten only once the whole sign-in succeeded (with its second
            // factor, when one is asked), so a known password does not reset the count of codes.
            sqlx::query(
                "UPDATE users SET last_sign_in_at = $2, \
                 failed_sign_ins = CASE WHEN $3 THEN 0 ELSE failed_sign_ins END, \
                 first_failed_at = CASE WHEN $3 THEN NULL ELSE first_failed_at END WHERE id = $1",
            )
                .bind(user_id)
                .bind(now)
                .bind(second_factor_done)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "record a sign-in"))?;
        });
        Ok(())
    }

    /// The session with this token hash and its user, if it exists (expired or not: the caller
    /// decides, and ends it).
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, s.authenticated_at, \
             s.second_factor_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
        );
        let op = "read a session";
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(token_hash)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, op))?;
            match row {
                Some(r) => Ok(Some(SessionRecord {
                    user: decode_user(&r, BACKEND, self.clock.now())?,
                    csrf_token: r.try_get(USER_N).map_err(StoreError::db(BACKEND, op))?,
                    created_at: r.try_get(USER_N + 1).map_err(StoreError::db(BACKEND, op))?,
                    last_seen_at: r.try_get(USER_N + 2).map_err(StoreError::db(BACKEND, op))?,
                    expires_at: r.try_get(USER_N + 3).map_err(StoreError::db(BACKEND, op))?,
                    authenticated_at: {
                        let created: DateTime<Utc> = r.try_get(USER_N + 1).map_err(StoreError::db(BACKEND, op))?;
                        r.try_get::<Option<DateTime<Utc>>, _>(USER_N + 4)
                            .map_err(StoreError::db(BACKEND, op))?
                            .unwrap_or(created)
                    },
                    second_factor_at: r.try_get(USER_N + 5).map_err(StoreError::db(BACKEND, op))?,
                })),
                None => Ok(None),
            }
        })
    }

    /// Note that a session was used now, and move its expiry.
    pub async fn touch_session(&self, token_hash: &str, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(self.clock.now())
                .bind(expires_at)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "renew a session"))?.rows_affected()
        });
        Ok(())
    }

    /// Note that the session's user has just entered their password again.
    pub async fn reauthenticate_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET authenticated_at = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(self.clock.now())
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "re-authenticate a session"))?
                .rows_affected()
        });
        Ok(())
    }

    /// Note that the session's user has given their second factor.
    pub async fn complete_second_factor(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET second_factor_at = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(self.clock.now())
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "complete a session's second factor"))?;
            sqlx::query(
                "UPDATE users SET failed_sign_ins = 0, first_failed_at = NULL \
                 WHERE id = (SELECT user_id FROM sessions WHERE token_hash = $1)",
            )
            .bind(token_hash)
            .execute(pool)
            .await
            .map_err(StoreError::db(BACKEND, "complete a session's second factor"))?
            .rows_affected()
        });
        Ok(())
    }

    /// A user's TOTP secret (base32) and the last time step used, if enrolled.
    pub async fn totp_secret(&self, user_id: i64) -> Result<Option<(String, Option<i64>)>, StoreError> {
        let row: Option<(Option<String>, Option<i64>)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT totp_secret, totp_last_step FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read a second factor"))?
        });
        Ok(row.and_then(|(s, step)| s.map(|s| (s, step))))
    }

    /// Enrol (`Some`) or reset (`None`) a user's TOTP secret. A reset ends the user's sessions.
    pub async fn set_totp_secret(&self, username: &str, secret: Option<&str>, step: Option<i64>) -> Result<(), StoreError> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE users SET totp_secret = $2, totp_last_step = $3 WHERE username = $1")
                .bind(username)
                .bind(secret)
                .bind(step)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "set a second factor"))?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::UserNotFound(username.to_string()));
        }
        if secret.is_none() {
            self.end_sessions_of(username).await?;
        }
        Ok(())
    }

    /// End every session of a user (what they may do or see changed).
    async fn end_sessions_of(&self, username: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)")
                .bind(username)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "end a user's sessions"))?
                .rows_affected()
        });
        Ok(())
    }

    /// Use a TOTP time step: true when it is later than every step this user used before (a
    /// code is good once), atomically.
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            )
            .bind(user_id)
            .bind(step)
            .execute(pool)
            .await
            .map_err(StoreError::db(BACKEND, "use a second-factor code"))?
            .rows_affected()
        }) == 1)
    }

    /// Move a user to another partner (ends their sessions: what they may see changes).
    pub async fn set_user_partner(&self, username: &str, partner: PartnerId) -> Result<(), StoreError> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE users SET partner_id = $2 WHERE username = $1")
                .bind(username)
                .bind(partner)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "move a user to a partner"))?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::UserNotFound(username.to_string()));
        }
        self.end_sessions_of(username).await
    }

    /// End a session (sign-out, expiry).
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "end a session"))?.rows_affected()
        });
        Ok(())
    }

    /// Remove every session that expired before `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "remove expired sessions"))?
                .rows_affected()
        }))
    }

    /// Record an API token for a user (by name); returns its id.
    pub async fn create_api_token(&self, username: &str, name: &str, token_hash: &str) -> Result<i64, StoreError> {
        let (user, _) = self.user_by_username(username).await?.ok_or_else(|| StoreError::UserNotFound(username.into()))?;
        on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(token_hash)
            .bind(user.id)
            .bind(name)
            .bind(self.clock.now())
            .fetch_one(pool)
            .await
            .map_err(StoreError::db(BACKEND, "create an API token"))
        })
    }

    /// The active user owning an unrevoked API token with this hash (and note its use).
    pub async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.id FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active"
        );
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(token_hash)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "check an API token"))?;
            let Some(r) = row else { return Ok(None) };
            let id: i64 = r.try_get(USER_N).map_err(StoreError::db(BACKEND, "check an API token"))?;
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(self.clock.now())
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "note an API token's use"))?;
            Ok(Some(decode_user(&r, BACKEND, self.clock.now())?))
        })
    }

    /// Every API token (without secrets), newest first.
    pub async fn list_api_tokens(&self) -> Result<Vec<ApiTokenInfo>, StoreError> {
        let op = "list API tokens";
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT t.id, u.username, t.name, t.created_at, t.last_used_at, t.revoked_at IS NOT NULL \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC",
            )
            .fetch_all(pool)
            .await
            .map_err(StoreError::db(BACKEND, op))?;
            rows.iter()
                .map(|r| {
                    Ok(ApiTokenInfo {
                        id: r.try_get(0).map_err(StoreError::db(BACKEND, op))?,
                        username: r.try_get(1).map_err(StoreError::db(BACKEND, op))?,
                        name: r.try_get(2).map_err(StoreError::db(BACKEND, op))?,
                        created_at: r.try_get(3).map_err(StoreError::db(BACKEND, op))?,
                        last_used_at: r.try_get(4).map_err(StoreError::db(BACKEND, op))?,
                        revoked: r.try_get(5).map_err(StoreError::db(BACKEND, op))?,
                    })
                })
                .collect()
        })
    }

    /// Revoke an API token by id; false when there is no such unrevoked token.
    pub async fn revoke_api_token(&self, id: i64) -> Result<bool, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(self.clock.now())
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "revoke an API token"))?
                .rows_affected()
        }) > 0)
    }

    /// Keep an import's summary (JSON) and its rejected rows (CSV bytes) for the import page.
    pub async fn save_import_details(&self, import_id: i64, summary_json: &str, rejects: Option<&[u8]>) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO import_details (import_id, summary, rejects) VALUES ($1, $2, $3) \
                 ON CONFLICT (import_id) DO UPDATE SET summary = excluded.summary, rejects = excluded.rejects",
            )
            .bind(import_id)
            .bind(summary_json)
            .bind(rejects)
            .execute(pool)
            .await
            .map_err(StoreError::db(BACKEND, "save an import's details"))?.rows_affected()
        });
        Ok(())
    }

    /// An import's summary JSON, if kept.
    pub async fn import_summary(&self, import_id: i64) -> Result<Option<String>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query_scalar("SELECT summary FROM import_details WHERE import_id = $1")
                .bind(import_id)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read an import's summary"))
        })
    }

    /// An import's rejected rows as CSV, if any were kept.
    pub async fn import_rejects(&self, import_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let v: Option<Option<Vec<u8>>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT rejects FROM import_details WHERE import_id = $1")
                .bind(import_id)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read an import's rejected rows"))?
        });
        Ok(v.flatten())
    }

    /// A stamp that changes whenever encounters or definitions may have changed by another
    /// process: the highest encounter row id, the number of imports and of finished imports, and
    /// the newest definitions version. Cheap (index lookups and a small table).
    pub async fn change_stamp(&self) -> Result<(i64, i64, i64, i64), StoreError> {
        on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM encounters), (SELECT COUNT(*) FROM imports), \
                 (SELECT COUNT(*) FROM imports WHERE finished_at IS NOT NULL), \
                 (SELECT COALESCE(MAX(version), 0) FROM definitions)",
            )
            .fetch_one(pool)
            .await
            .map_err(StoreError::db(BACKEND, "read the change stamp"))
        })
    }
}
