//! Passwords and secrets.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, one lane
//! — OWASP's recommended minimum) into a PHC string that carries its own salt and parameters.
//! Session cookies and API tokens are 32 random bytes from the operating system, given to the
//! client once and stored only as their SHA-256.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

use crate::{ServiceContext, ServiceError};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (argon2 would take more, but a limit stops abuse).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Common passwords (8 to 64 characters, lower case): the list of zxcvbn-ts (MIT; see
/// `data/NOTICE`).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().filter(|l| !l.is_empty()).collect())
}

/// Check a new password against the rules (NIST SP 800-63B style): at least 8 characters, any
/// characters, no composition rules; not a commonly used password, not the user name, not one
/// character repeated.
pub fn check_password(password: &str) -> Result<(), ServiceError> {
    check_password_for(password, "")
}

/// [`check_password`], also refusing the user's own name.
pub fn check_password_for(password: &str, username: &str) -> Result<(), ServiceError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(ServiceError::Invalid(format!("the password must have at least {MIN_PASSWORD_CHARS} characters")));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(ServiceError::Invalid(format!("the password must have at most {MAX_PASSWORD_CHARS} characters")));
    }
    let lower = password.to_lowercase();
    if common_passwords().contains(lower.as_str()) {
        return Err(ServiceError::Invalid("this password is on the list of commonly used passwords; choose another (a few unrelated words make a good one)".into()));
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(ServiceError::Invalid("the password must not contain the user name".into()));
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err(ServiceError::Invalid("the password must not be one character repeated".into()));
    }
    Ok(())
}

/// Check a user name: 1–64 characters of letters, digits, `.`, `_`, `-`, `@`.
pub fn check_username(name: &str) -> Result<(), ServiceError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::Invalid(format!(
            "`{name}` is not a valid user name: use 1 to 64 letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

/// The argon2id PHC string of a password.
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.try_fill_bytes(&mut salt).map_err(|e| ServiceError::Internal(format!("random: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hashing: {e}")))
}

/// Whether `password` matches the stored PHC string (false for a malformed hash).
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so that "no such user" and "wrong
/// password" take the same time.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

/// A new random secret (32 bytes, hex).
pub fn new_secret() -> Result<String, ServiceError> {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.try_fill_bytes(&mut b).map_err(|e| ServiceError::Internal(format!("random: {e}")))?;
    Ok(hex::encode(b))
}

/// What the store keeps of a secret: its SHA-256, hex.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// API tokens carry a prefix so that a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "pmhc_";

/// A new API token (`pmhc_` + 64 hex digits).
pub fn new_api_token() -> Result<String, ServiceError> {
    Ok(format!("{TOKEN_PREFIX}{}", new_secret()?))
}

/// Make a user account after checking the name and the password.
pub async fn add_user(
    cx: &ServiceContext,
    username: &str,
    display_name: &str,
    roles: pmhc_core::access::Roles,
    partner: pmhc_core::sharing::PartnerId,
    password: &str,
) -> Result<pmhc_store::User, ServiceError> {
    let store = cx.store();
    check_username(username)?;
    check_password_for(password, username)?;
    if display_name.chars().count() > 200 || display_name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid("the full name must be at most 200 characters, without control characters".into()));
    }
    let pw = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))??;
    store.find_partner(&partner.to_string()).await?;
    Ok(store.create_user(username, display_name, roles, partner, &hash).await?)
}

/// Make an API token for a user; returns the token (shown once; only its hash is kept).
pub async fn add_api_token(cx: &ServiceContext, username: &str, name: &str) -> Result<String, ServiceError> {
    let store = cx.store();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid("the token name must be 1 to 100 characters, without control characters".into()));
    }
    let token = new_api_token()?;
    store.create_api_token(username, name, &secret_hash(&token)).await?;
    Ok(token)
}

// --- Administering accounts: one function per use case, scoped to the partner -----------------

use pmhc_core::access::{Role, Roles};
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::sharing::PartnerId;

use crate::Acting;
use crate::audit::Actor;

/// Whether `by` administers the accounts of `partner`: the operator, or an administrator of that
/// very partner. A partner's accounts are that partner's, for every role.
fn administers(by: Acting<'_>, partner: PartnerId) -> bool {
    match by {
        Acting::Operator => true,
        Acting::User(u) => u.roles.contains(Role::Administrator) && u.partner == partner,
    }
}

/// The account `username` if `by` administers its partner.
async fn account_of(store: &pmhc_store::Store, by: Acting<'_>, username: &str, what: &str) -> Result<pmhc_store::User, ServiceError> {
    by.require(pmhc_core::access::Permission::ManageUsers)?;
    let (u, _) = store
        .user_by_username(username)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("there is no user {username}")))?;
    if !administers(by, u.partner) {
        return Err(ServiceError::NotYourPartner(format!(
            "only an administrator of {username}'s partner (partner {}) may {what}",
            u.partner
        )));
    }
    Ok(u)
}

/// What [`create_account`] did.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub user: pmhc_store::User,
    /// Created disabled: it waits for an administrator of its partner to approve it.
    pub awaiting_approval: bool,
}

/// Create an account. A partner's administrator creates accounts of its own partner; an
/// installation administrator creates a partner's first administrator (active at once) or an
/// account that waits, disabled, for that partner's administrators to approve it; the operator
/// creates any. Audited before it is made.
#[allow(clippy::too_many_arguments)]
pub async fn create_account(
    cx: &ServiceContext,
    actor: &Actor,
    by: Acting<'_>,
    username: &str,
    display_name: &str,
    roles: Roles,
    partner: PartnerId,
    password: &str,
) -> Result<NewAccount, ServiceError> {
    let store = cx.store();
    by.require(pmhc_core::access::Permission::ManageUsers)?;
    store.find_partner(&partner.to_string()).await?;
    let installation = matches!(by, Acting::User(u) if u.roles.contains(Role::InstallationAdministrator));
    // Installation-level roles see beyond one partner: only the installation makes them.
    if (roles.contains(Role::InstallationAdministrator) || roles.contains(Role::Auditor)) && !matches!(by, Acting::Operator) && !installation {
        return Err(ServiceError::NotYourPartner("only an installation administrator makes installation administrators and auditors".into()));
    }
    let awaiting_approval = if administers(by, partner) {
        false
    } else if installation {
        // The partner's first administrator is active at once; anything else waits for them.
        let has_admin = store.list_users().await?.iter().any(|u| u.partner == partner && u.active && u.roles.contains(Role::Administrator));
        has_admin
    } else {
        return Err(ServiceError::NotYourPartner(format!("only an administrator of partner {partner} may add its accounts")));
    };
    let how = if awaiting_approval { "; disabled until an administrator of the partner approves it" } else { "" };
    crate::audit::record(
        cx,
        actor,
        AuditAction::Admin,
        format!("user:{username}"),
        &[],
        AuditOutcome::Success,
        format!("add as {roles} of partner {partner}{how}"),
    )
    .await?;
    let user = add_user(cx, username, display_name, roles, partner, password).await?;
    let user = if awaiting_approval { store.update_user(username, None, None, Some(false)).await? } else { user };
    Ok(NewAccount { user, awaiting_approval })
}

/// Approve (enable) an account of `by`'s partner.
pub async fn approve_account(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, username: &str) -> Result<pmhc_store::User, ServiceError> {
    let store = cx.store();
    account_of(store, by, username, "approve or enable the account").await?;
    crate::audit::record(cx, actor, AuditAction::Admin, format!("user:{username}"), &[], AuditOutcome::Success, "approve / enable").await?;
    Ok(store.update_user(username, None, None, Some(true)).await?)
}

/// Issue an API token for an account of `by`'s partner (tokens need no second factor, so only
/// the account's own partner issues them). Returns the token, shown once.
pub async fn issue_token(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, username: &str, name: &str) -> Result<String, ServiceError> {
    let store = cx.store();
    account_of(store, by, username, "issue its API tokens").await?;
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid("the token name must be 1 to 100 characters, without control characters".into()));
    }
    crate::audit::record(cx, actor, AuditAction::Admin, format!("user:{username}"), &[], AuditOutcome::Success, format!("API token \"{name}\"")).await?;
    add_api_token(cx, username, name).await
}

/// Unlock an account of `by`'s partner.
pub async fn unlock(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, username: &str) -> Result<(), ServiceError> {
    let store = cx.store();
    account_of(store, by, username, "unlock it").await?;
    crate::audit::record(cx, actor, AuditAction::Admin, format!("user:{username}"), &[], AuditOutcome::Success, "unlock").await?;
    Ok(store.unlock_user(username).await?)
}

/// Reset the second factor of an account of `by`'s partner (a lost phone).
pub async fn reset_second_factor(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, username: &str) -> Result<(), ServiceError> {
    let store = cx.store();
    account_of(store, by, username, "reset its second factor").await?;
    crate::audit::record(cx, actor, AuditAction::Admin, format!("user:{username}"), &[], AuditOutcome::Success, "reset second factor").await?;
    Ok(store.set_totp_secret(username, None, None).await?)
}

/// Set an account's password (its sessions end).
pub async fn set_password(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, username: &str, password: &str) -> Result<(), ServiceError> {
    let store = cx.store();
    account_of(store, by, username, "set its password").await?;
    check_password_for(password, username)?;
    let hash = hash_password(password)?;
    crate::audit::record(cx, actor, AuditAction::Admin, format!("user:{username}"), &[], AuditOutcome::Success, "set password").await?;
    store.update_user(username, Some(&hash), None, None).await?;
    Ok(())
}

/// Give an account other roles (its sessions end). Installation-level roles only from the
/// installation (the operator, an installation administrator).
pub async fn set_roles(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, username: &str, roles: Roles) -> Result<pmhc_store::User, ServiceError> {
    let store = cx.store();
    account_of(store, by, username, "change its roles").await?;
    let installation = matches!(by, Acting::Operator) || matches!(by, Acting::User(u) if u.roles.contains(Role::InstallationAdministrator));
    if (roles.contains(Role::InstallationAdministrator) || roles.contains(Role::Auditor)) && !installation {
        return Err(ServiceError::NotYourPartner("only an installation administrator makes installation administrators and auditors".into()));
    }
    crate::audit::record(cx, actor, AuditAction::Admin, format!("user:{username}"), &[], AuditOutcome::Success, format!("roles {roles}")).await?;
    Ok(store.update_user(username, None, Some(roles), None).await?)
}

/// Move an account to another partner (its sessions end): the installation's operator only, since
/// it takes the account from one partner to another.
pub async fn move_to_partner(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, username: &str, partner: &str) -> Result<pmhc_core::sharing::Partner, ServiceError> {
    let store = cx.store();
    if !matches!(by, Acting::Operator) {
        return Err(ServiceError::NotYourPartner("an account moves to another partner only by the installation's operator".into()));
    }
    account_of(store, by, username, "move it").await?;
    let p = store.find_partner(partner).await?;
    crate::audit::record(cx, actor, AuditAction::Admin, format!("user:{username}"), &[], AuditOutcome::Success, format!("partner {}", p.id)).await?;
    store.set_user_partner(username, p.id).await?;
    Ok(p)
}

/// Disable an account: its sessions end and its API tokens stop working.
pub async fn disable(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, username: &str) -> Result<(), ServiceError> {
    let store = cx.store();
    account_of(store, by, username, "disable it").await?;
    crate::audit::record(cx, actor, AuditAction::Admin, format!("user:{username}"), &[], AuditOutcome::Success, "disable").await?;
    store.update_user(username, None, None, Some(false)).await?;
    Ok(())
}

/// Revoke an API token (the operator: any; an administrator: its partner's accounts' tokens).
pub async fn revoke_token(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, id: i64) -> Result<(), ServiceError> {
    let store = cx.store();
    by.require(pmhc_core::access::Permission::ManageUsers)?;
    let token = store.list_api_tokens().await?.into_iter().find(|t| t.id == id && !t.revoked);
    let Some(token) = token else {
        return Err(ServiceError::NotFound(format!("there is no unrevoked API token #{id} (see `pmhc user tokens`)")));
    };
    account_of(store, by, &token.username, "revoke its API tokens").await?;
    crate::audit::record(cx, actor, AuditAction::Admin, format!("token:{id}"), &[], AuditOutcome::Success, format!("revoke (of {})", token.username)).await?;
    store.revoke_api_token(id).await?;
    Ok(())
}

/// The accounts `by` administers (an installation administrator: every account, to see which
/// partners have an administrator).
pub async fn visible_accounts(cx: &ServiceContext, by: Acting<'_>) -> Result<Vec<pmhc_store::User>, ServiceError> {
    let store = cx.store();
    by.require(pmhc_core::access::Permission::ManageUsers)?;
    let installation = matches!(by, Acting::User(u) if u.roles.contains(Role::InstallationAdministrator));
    Ok(store.list_users().await?.into_iter().filter(|u| installation || administers(by, u.partner)).collect())
}

/// The API tokens of the accounts `by` administers in its own partner (the operator: every token).
pub async fn visible_tokens(cx: &ServiceContext, by: Acting<'_>) -> Result<Vec<pmhc_store::ApiTokenInfo>, ServiceError> {
    let mine: Vec<String> = visible_accounts(cx, by)
        .await?
        .into_iter()
        .filter(|u| by.partner().is_none_or(|p| u.partner == p))
        .map(|u| u.username)
        .collect();
    Ok(cx.store().list_api_tokens().await?.into_iter().filter(|t| mine.contains(&t.username)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a phc string"));
        assert_ne!(h, hash_password("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn password_and_username_rules() {
        assert!(check_password("1234567").is_err());
        assert!(check_password("8 chars!").is_ok());
        assert!(check_password("ééééééé").is_err(), "counted in characters");
        for common in ["password", "Password1", "qwertyuiop", "iloveyou", "12345678"] {
            assert!(check_password(common).is_err(), "{common} is common");
        }
        assert!(check_password("aaaaaaaaaa").is_err());
        assert!(check_password_for("jsmith-rules-ok", "jsmith").is_err());
        assert!(check_password("purple tractor umbrella").is_ok());
        assert!(common_passwords().len() > 10_000);
        assert!(check_password(&"x".repeat(257)).is_err());
        assert!(check_username("j.smith@pd").is_ok());
        for bad in ["", "a b", "<script>", &"a".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret().unwrap());
        assert_eq!(secret_hash(&a).len(), 64);
        assert_ne!(secret_hash(&a), a);
        assert!(new_api_token().unwrap().starts_with("pmhc_"));
    }
}
