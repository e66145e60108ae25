//! Consents to disclose substance-use information (42 CFR Part 2): recording and revoking one,
//! each one use case for the CLI, the pages and the API, with its permission check and its audit
//! entry written before the change.

use pmhc_core::access::Permission;
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::sharing::Consent;

use crate::audit::{self, Actor};
use crate::{Acting, ServiceContext, ServiceError};

/// Whether `by` is a party to the consent (the operator: always).
pub fn party(by: Acting<'_>, c: &Consent) -> bool {
    by.partner().is_none_or(|p| c.discloser == p || c.recipient == p)
}

/// Record a consent. One lacking any element 42 CFR 2.31 requires is refused with all of them; a
/// user records only consents its own partner may disclose under (the consent is given to the
/// program holding the records).
pub async fn record(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, c: Consent) -> Result<Consent, ServiceError> {
    let store = cx.store();
    by.require(Permission::ManageConsents)?;
    c.validate().map_err(|e| ServiceError::InvalidField { field: "consent".into(), message: e.to_string() })?;
    if let Some(p) = by.partner()
        && c.discloser != p
    {
        return Err(ServiceError::Invalid("a consent is recorded by the partner that may disclose (your partner)".into()));
    }
    for p in [c.discloser, c.recipient] {
        store.find_partner(&p.to_string()).await?;
    }
    audit::record(
        cx,
        actor,
        AuditAction::Create,
        format!("consent:{}", c.subject_key.trim()),
        &["subject_identity"],
        AuditOutcome::Success,
        format!("to partner {} for {}", c.recipient, c.purpose),
    )
    .await?;
    Ok(store.add_consent(&c, by.name_or(actor)).await?)
}

/// Revoke a consent from `day` (today by default); disclosures already made stay in the
/// accounting. A consent the user's partner is no party to is as absent as one that does not exist.
pub async fn revoke(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, id: i64, day: Option<chrono::NaiveDate>) -> Result<Consent, ServiceError> {
    let store = cx.store();
    by.require(Permission::ManageConsents)?;
    if store.consent(id).await?.filter(|c| party(by, c)).is_none() {
        return Err(ServiceError::NotFound(format!("there is no consent #{id}")));
    }
    let day = day.unwrap_or_else(|| store.clock().today());
    audit::record(cx, actor, AuditAction::Change, format!("consent:{id}"), &["subject_identity"], AuditOutcome::Success, format!("revoke from {day}")).await?;
    Ok(store.revoke_consent(id, day).await?)
}

/// One consent `by`'s partner is a party to (another is as absent as one that does not exist),
/// its reading audited (`detail`: through what, e.g. `API`).
pub async fn get(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, id: i64, detail: &str) -> Result<Consent, ServiceError> {
    by.require(Permission::ManageConsents)?;
    let store = cx.store();
    let c = store.consent(id).await?.filter(|c| party(by, c)).ok_or_else(|| ServiceError::NotFound(format!("there is no consent #{id}")))?;
    audit::record(cx, actor, AuditAction::View, format!("consent:{id}"), &["subject_identity"], AuditOutcome::Success, detail).await?;
    Ok(c)
}

/// The consents of one person (`None` or blank: the newest), those `by`'s partner is a party to,
/// at most `limit`; the reading audited.
pub async fn list(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, subject: Option<&str>, limit: usize) -> Result<Vec<Consent>, ServiceError> {
    by.require(Permission::ManageConsents)?;
    let store = cx.store();
    let subject = subject.map(str::trim).filter(|s| !s.is_empty());
    let mut v: Vec<Consent> = store.list_consents(subject).await?.into_iter().filter(|c| party(by, c)).collect();
    v.truncate(limit);
    audit::record(
        cx,
        actor,
        AuditAction::View,
        format!("consents:{}", subject.unwrap_or("*")),
        &["subject_identity"],
        AuditOutcome::Success,
        format!("{} consents", v.len()),
    )
    .await?;
    Ok(v)
}
