//! Signing in: the password step, the second factor (TOTP), re-authentication — with the
//! lockout, the per-address throttle, the inactivity rule and the session's lifetime, each
//! audited. The web keeps the cookies, the forms and the headers; the policy is here.

use chrono::{DateTime, Duration, Utc};
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::totp;
use pmhc_store::User;

use crate::ServiceError;
use crate::accounts;
use crate::audit::{self, Actor};
use crate::ServiceContext;

pub use pmhc_core::access::{LOCKOUT_ATTEMPTS, LOCKOUT_RELEASE, LOCKOUT_WINDOW};

/// A session ends after this long without use…
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// …and this long after sign-in at most.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// How recent the password must be for an administrative action.
pub const REAUTH_WITHIN: Duration = Duration::minutes(5);
/// Failed sign-ins (either factor) from one client address within [`LOCKOUT_WINDOW`] after which
/// that address is refused until the window has passed (whatever the accounts tried).
pub const THROTTLE_ATTEMPTS: u32 = 20;
/// Accounts unused this long are disabled at their next sign-in (an administrator enables them).
pub const INACTIVE_AFTER: Duration = Duration::days(90);

/// Why a sign-in was refused (what the person is told, and what the audit trail records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown user, wrong password or a disabled account: the same answer for all three.
    WrongCredentials,
    /// Locked after failed sign-ins: the same answer as a wrong password (which would otherwise
    /// tell a guesser that the account exists).
    Locked,
    /// Unused for 90 days: disabled now.
    Inactive,
    /// Too many failed sign-ins from this address.
    Throttled,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::WrongCredentials | Refusal::Locked => {
                "the user name or the password is wrong — or, after 5 failed attempts within 15 minutes, the account is \
                 locked for 10 minutes (an administrator can unlock it sooner)"
            }
            Refusal::Inactive => {
                "this account was disabled after 90 days without a sign-in; an administrator can enable it (pmhc user enable)"
            }
            Refusal::Throttled => "too many failed sign-ins from this address: wait 15 minutes and try again",
        }
    }

    pub fn audit_detail(self) -> &'static str {
        match self {
            Refusal::WrongCredentials => "wrong user name or password",
            Refusal::Locked => "account locked",
            Refusal::Inactive => "account unused for 90 days: disabled",
            Refusal::Throttled => "too many failed sign-ins from this address",
        }
    }
}

/// Whether the account went unused for longer than [`INACTIVE_AFTER`].
pub fn idle_too_long(u: &User, now: DateTime<Utc>) -> bool {
    let last = [u.last_sign_in_at, u.active_since].into_iter().flatten().max().unwrap_or(u.created_at).max(u.created_at);
    now - last > INACTIVE_AFTER
}

/// When a session seen `now` expires: idle timeout, capped by the absolute timeout.
pub fn session_expiry(created_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    (now + IDLE_TIMEOUT).min(created_at + ABSOLUTE_TIMEOUT)
}

/// Whether the account signs in with a second factor: every account that can see identifiable
/// data, and any that enrolled one.
pub fn needs_second_factor(u: &User) -> bool {
    u.mfa_enrolled || u.roles.sees_records()
}

/// Failed sign-ins per client address (either factor): past [`THROTTLE_ATTEMPTS`] within
/// [`LOCKOUT_WINDOW`], the address is refused until the window has passed. Kept in memory (a
/// restart forgets it; the per-account lock is in the database).
#[derive(Debug, Default)]
pub struct SignInThrottle(std::sync::Mutex<std::collections::HashMap<String, (u32, DateTime<Utc>)>>);

impl SignInThrottle {
    /// Whether `addr` may try now.
    pub fn allows(&self, addr: &str, now: DateTime<Utc>) -> bool {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(addr).is_none_or(|(n, first)| *n < THROTTLE_ATTEMPTS || now - *first > LOCKOUT_WINDOW)
    }

    /// Count a failure from `addr`.
    pub fn failed(&self, addr: &str, now: DateTime<Utc>) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 10_000 {
            map.retain(|_, (_, first)| now - *first <= LOCKOUT_WINDOW);
        }
        let e = map.entry(addr.to_string()).or_insert((0, now));
        if now - e.1 > LOCKOUT_WINDOW {
            *e = (0, now);
        }
        e.0 += 1;
    }
}

async fn password_matches(password: &str, hash: String) -> Result<bool, ServiceError> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || accounts::verify_password(&pw, &hash))
        .await
        .map_err(|e| ServiceError::Internal(format!("password check failed: {e}")))
}

/// A session begun by the password step: its secret (the cookie's value) and its user.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub user: User,
    /// The session grants nothing until the second factor is given.
    pub second_factor_next: bool,
}

/// The password step. `from` is the client's address (the throttle's and the audit trail's).
/// Unknown users and wrong passwords get the same answer and take the same time. Every outcome
/// is audited (actor: the name tried); a session exists only once its entry is written.
pub async fn sign_in(cx: &ServiceContext, from: &str, username: &str, password: &str) -> Result<Result<NewSession, Refusal>, ServiceError> {
    let (store, throttle) = (cx.store(), cx.throttle());
    let attempted: String = username.trim().chars().filter(|c| !c.is_control()).take(64).collect();
    let actor = Actor { name: attempted, partner: None, source: from.to_string() };
    let now = store.clock().now();
    let actor = &actor;
    let refuse = |r: Refusal| async move {
        if r != Refusal::Throttled {
            throttle.failed(from, now);
        }
        audit::record(cx, actor, AuditAction::SignIn, "session", &[], AuditOutcome::Refused, r.audit_detail()).await?;
        Ok::<_, ServiceError>(Err(r))
    };
    if !throttle.allows(from, now) {
        return refuse(Refusal::Throttled).await;
    }
    if username.chars().any(char::is_control) || username.chars().count() > 64 {
        return refuse(Refusal::WrongCredentials).await;
    }
    let found = store.user_by_username(username.trim()).await?;
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), h),
        None => (None, accounts::dummy_hash().to_string()),
    };
    let ok = password_matches(password, hash).await?;
    let user = match user {
        Some(u) if u.locked => {
            tracing::info!(username, "sign-in refused: the account is locked");
            return refuse(Refusal::Locked).await;
        }
        Some(u) if ok && u.active && idle_too_long(&u, now) => {
            tracing::info!(username, "sign-in refused: the account was unused for 90 days; disabling it");
            store.update_user(&u.username, None, None, Some(false)).await?;
            return refuse(Refusal::Inactive).await;
        }
        Some(u) if ok && u.active => u,
        Some(u) => {
            tracing::info!(username, "sign-in refused");
            let locked = store.record_failed_sign_in(&u.username, LOCKOUT_WINDOW, LOCKOUT_ATTEMPTS).await?;
            return refuse(if locked { Refusal::Locked } else { Refusal::WrongCredentials }).await;
        }
        None => {
            tracing::info!(username, "sign-in refused");
            return refuse(Refusal::WrongCredentials).await;
        }
    };
    let secret = accounts::new_secret()?;
    let csrf = accounts::new_secret()?;
    let second_factor_next = needs_second_factor(&user);
    let token_hash = accounts::secret_hash(&secret);
    store.create_session(&token_hash, user.id, &csrf, session_expiry(now, now), !second_factor_next).await?;
    let detail = if second_factor_next { "password; second factor next" } else { "" };
    if let Err(e) = audit::record(cx, actor, AuditAction::SignIn, "session", &[], AuditOutcome::Success, detail).await {
        // Fail closed: without its audit entry the session must not be used.
        let _ = store.delete_session(&token_hash).await;
        return Err(e);
    }
    tracing::info!(username = %user.username, "signed in");
    Ok(Ok(NewSession { secret, user, second_factor_next }))
}

/// What the second-factor step gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// Accepted: the session may be used.
    Accepted,
    /// Wrong (or used already); `locked`: the account is now locked and the session ended.
    Wrong { locked: bool },
    /// Too many failures from this address.
    Throttled,
}

/// The second factor of a session waiting for it (`token_hash`): a code from the user's
/// authenticator, enrolling `enrol_secret` (base32) when the account has no key yet. A code
/// works once; a wrong one counts towards the lockout. Audited either way.
pub async fn second_factor(
    cx: &ServiceContext,
    from: &str,
    user: &User,
    token_hash: &str,
    code: &str,
    enrol_secret: Option<&str>,
) -> Result<SecondFactor, ServiceError> {
    let (store, throttle) = (cx.store(), cx.throttle());
    let actor = Actor { name: user.username.clone(), partner: Some(user.partner.to_string()), source: from.to_string() };
    let record = |outcome, detail: &'static str| audit::record(cx, &actor, AuditAction::SignIn, "session", &[], outcome, detail);
    if !throttle.allows(from, store.clock().now()) {
        record(AuditOutcome::Refused, "too many failed sign-ins from this address").await?;
        return Ok(SecondFactor::Throttled);
    }
    let stored = store.totp_secret(user.id).await?;
    let enrolling = stored.is_none();
    let (secret_b32, last) = match &stored {
        Some((s, last)) => (s.clone(), last.and_then(|l| u64::try_from(l).ok())),
        None => (enrol_secret.unwrap_or_default().to_string(), None),
    };
    let key = totp::base32_decode(&secret_b32).filter(|k| k.len() >= 16);
    // The real time: the code comes from the user's authenticator, which knows no other clock.
    let now = u64::try_from(pmhc_store::clock::real_now().timestamp()).unwrap_or(0);
    let step = key.as_deref().and_then(|k| totp::verify(k, code, now, last));
    let accepted = match step {
        Some(step) if enrolling => {
            store.set_totp_secret(&user.username, Some(&secret_b32), Some(step as i64)).await?;
            true
        }
        // A code works once, even between two servers racing on it.
        Some(step) => store.use_totp_step(user.id, step as i64).await?,
        None => false,
    };
    if !accepted {
        throttle.failed(from, store.clock().now());
        let locked = store.record_failed_sign_in(&user.username, LOCKOUT_WINDOW, LOCKOUT_ATTEMPTS).await?;
        record(AuditOutcome::Refused, if locked { "wrong second-factor code: account locked" } else { "wrong second-factor code" }).await?;
        if locked {
            store.delete_session(token_hash).await?;
        }
        return Ok(SecondFactor::Wrong { locked });
    }
    if let Err(e) = record(AuditOutcome::Success, if enrolling { "second factor enrolled" } else { "second factor" }).await {
        let _ = store.delete_session(token_hash).await;
        return Err(e);
    }
    store.complete_second_factor(token_hash).await?;
    Ok(SecondFactor::Accepted)
}

/// Check a signed-in user's password again (re-authentication, before administrative actions).
/// A wrong password counts towards the lockout; locking ends the session. Audited either way.
pub async fn reauthenticate(cx: &ServiceContext, actor: &Actor, user: &User, token_hash: &str, password: &str) -> Result<Result<(), Refusal>, ServiceError> {
    let store = cx.store();
    let record = |outcome, detail: &'static str| audit::record(cx, actor, AuditAction::SignIn, "session", &[], outcome, detail);
    let (_, hash) = store.user_by_username(&user.username).await?.ok_or_else(|| ServiceError::NotFound(format!("there is no user {}", user.username)))?;
    if !password_matches(password, hash).await? {
        record(AuditOutcome::Refused, "re-authentication: wrong password").await?;
        if store.record_failed_sign_in(&user.username, LOCKOUT_WINDOW, LOCKOUT_ATTEMPTS).await? {
            let _ = store.delete_session(token_hash).await;
            return Ok(Err(Refusal::Locked));
        }
        return Ok(Err(Refusal::WrongCredentials));
    }
    record(AuditOutcome::Success, "re-authentication").await?;
    store.reauthenticate_session(token_hash).await?;
    Ok(Ok(()))
}

// --- Sessions and API tokens: who a request is -------------------------------------------------

/// A session's last-seen time is written at most this often.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// What a session cookie stands for now.
#[derive(Debug, Clone)]
pub enum SessionState {
    /// No such session, or it ended (idle or too old, the account disabled or locked — a lock
    /// set by another server or by hand too): it was removed; sign in again.
    Ended,
    /// The password was given, the second factor not yet: the session grants nothing but that step.
    Pending { user: User, csrf: String },
    /// Signed in.
    Active { user: User, csrf: String, authenticated_at: DateTime<Utc> },
}

/// The session whose secret hashes to `token_hash`, seen `now`: one that ended is removed, and a
/// live one's idle timeout starts again (written at most once a minute).
pub async fn session(cx: &ServiceContext, token_hash: &str, now: DateTime<Utc>) -> Result<SessionState, ServiceError> {
    let store = cx.store();
    let Some(s) = store.session(token_hash).await? else { return Ok(SessionState::Ended) };
    if !s.user.active || s.user.locked || now > s.expires_at || now > s.created_at + ABSOLUTE_TIMEOUT {
        let _ = store.delete_session(token_hash).await;
        return Ok(SessionState::Ended);
    }
    if now - s.last_seen_at > TOUCH_EVERY {
        store.touch_session(token_hash, session_expiry(s.created_at, now)).await?;
    }
    Ok(match s.second_factor_at {
        None => SessionState::Pending { user: s.user, csrf: s.csrf_token },
        Some(_) => SessionState::Active { user: s.user, csrf: s.csrf_token, authenticated_at: s.authenticated_at },
    })
}

/// The user an API token (as the client sends it) acts for: `None` for an unknown or revoked
/// token, a disabled account, and a locked one (its tokens wait for the lock to end, like its
/// sign-ins).
pub async fn token_user(cx: &ServiceContext, token: &str) -> Result<Option<User>, ServiceError> {
    Ok(cx.store().api_token_user(&accounts::secret_hash(token)).await?.filter(|u| !u.locked))
}

/// Sign out: audited, then the session (if the request came with one) ends.
pub async fn sign_out(cx: &ServiceContext, actor: &Actor, token_hash: Option<&str>) -> Result<(), ServiceError> {
    let store = cx.store();
    audit::record(cx, actor, AuditAction::SignOut, "session", &[], AuditOutcome::Success, "").await?;
    if let Some(h) = token_hash {
        store.delete_session(h).await?;
    }
    Ok(())
}

/// Abandon a session still waiting for its second factor (it granted nothing: not audited).
pub async fn abandon(cx: &ServiceContext, token_hash: &str) -> Result<(), ServiceError> {
    Ok(cx.store().delete_session(token_hash).await?)
}

/// Whether the user has enrolled an authenticator (otherwise the second-factor step enrols one).
pub async fn enrolled(cx: &ServiceContext, user: &User) -> Result<bool, ServiceError> {
    Ok(cx.store().totp_secret(user.id).await?.is_some())
}

/// Remove the sessions that have expired; returns how many.
pub async fn remove_expired_sessions(cx: &ServiceContext) -> Result<u64, ServiceError> {
    Ok(cx.store().delete_expired_sessions(cx.clock().now()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_when_idle_and_at_most_after_twelve_hours() {
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-01-01T08:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(session_expiry(t0, t0), t0 + IDLE_TIMEOUT);
        let late = t0 + Duration::hours(11) + Duration::minutes(50);
        assert_eq!(session_expiry(t0, late), t0 + ABSOLUTE_TIMEOUT);
    }

    #[test]
    fn the_throttle_refuses_an_address_after_twenty_failures_within_the_window() {
        let t = SignInThrottle::default();
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-01-01T08:00:00Z").unwrap().with_timezone(&Utc);
        for _ in 0..THROTTLE_ATTEMPTS {
            assert!(t.allows("10.0.0.1", t0));
            t.failed("10.0.0.1", t0);
        }
        assert!(!t.allows("10.0.0.1", t0 + Duration::minutes(1)));
        assert!(t.allows("10.0.0.2", t0), "per address");
        assert!(t.allows("10.0.0.1", t0 + LOCKOUT_WINDOW + Duration::seconds(1)), "until the window has passed");
    }
}
