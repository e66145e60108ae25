//! Information-sharing agreements, one function per use case (propose, approve, end), each with
//! its permission check and its audit entry written before the change: the CLI, the pages and
//! the API call these.
//!
//! A partner's records are that partner's: an agreement shares nothing until the disclosing
//! partner approves it (both ways: each party), through one of its own users who may manage
//! agreements. Anyone who may manage agreements may propose one (a project coordinator drafts
//! the collaboration's agreements); only the parties approve or end it. The installation's
//! operator on the command line records agreements already signed by both parties.

use pmhc_core::access::{Permission, Role};
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::sharing::{InformationSharingAgreement, PartnerId};
use pmhc_store::Store;

use crate::{Acting, ServiceError};
use crate::audit::{self, Actor};
use crate::ServiceContext;

/// Propose an agreement. A party's own user proposing it approves it for that party; the
/// operator records it approved by both.
pub async fn propose(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, mut a: InformationSharingAgreement) -> Result<InformationSharingAgreement, ServiceError> {
    let store = cx.store();
    by.require(Permission::ManageAgreements)?;
    a.validate().map_err(|e| ServiceError::Invalid(e.to_string()))?;
    for p in [a.discloser, a.recipient] {
        store.find_partner(&p.to_string()).await?;
    }
    let today = store.clock().today();
    let (d, r) = match by.partner() {
        None => (Some(today), Some(today)),
        Some(p) => ((p == a.discloser).then_some(today), (p == a.recipient).then_some(today)),
    };
    a.discloser_approved_on = d;
    a.recipient_approved_on = r;
    a.ended_on = None;
    let waiting = if a.approved() {
        "approved".to_string()
    } else {
        format!("awaiting partner {}", a.awaiting().iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" and "))
    };
    audit::record(
        cx,
        actor,
        AuditAction::Admin,
        format!("agreement:{}", a.title),
        &[],
        AuditOutcome::Success,
        format!("propose: partner {} to {} ({}), {}; {waiting}", a.discloser, a.recipient, a.direction, a.field_groups.to_list()),
    )
    .await?;
    let saved = store.add_agreement(&a, by.name()).await?;
    cx.outcomes().invalidate().await;
    Ok(saved)
}

/// The agreement `id` if `by` may act on it as a party (the operator: any).
async fn as_party(store: &Store, by: Acting<'_>, id: i64, what: &str) -> Result<InformationSharingAgreement, ServiceError> {
    by.require(Permission::ManageAgreements)?;
    let a = store.agreement(id).await?.ok_or_else(|| ServiceError::NotFound(format!("there is no agreement #{id}")))?;
    if let Some(p) = by.partner()
        && !a.party(p)
    {
        return Err(ServiceError::NotYourPartner(format!(
            "only the parties to agreement #{id} (partners {} and {}) may {what} it",
            a.discloser, a.recipient
        )));
    }
    Ok(a)
}

/// Whether `u` approves agreements for its own partner: its administrators and project
/// coordinators.
pub fn approves_for_its_partner(u: &pmhc_store::User) -> bool {
    u.roles.can(Permission::ManageAgreements) && (u.roles.contains(Role::Administrator) || u.roles.contains(Role::ProjectCoordinator))
}

/// Approve an agreement for the acting user's partner (the operator names the partner).
pub async fn approve(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, id: i64, operator_for: Option<PartnerId>) -> Result<InformationSharingAgreement, ServiceError> {
    let store = cx.store();
    let a = as_party(store, by, id, "approve").await?;
    let party = match (by.partner(), operator_for) {
        (Some(p), _) => p,
        (None, Some(p)) if a.party(p) => p,
        (None, _) => return Err(ServiceError::Invalid(format!("name the party that approves agreement #{id} (partner {} or {})", a.discloser, a.recipient))),
    };
    if let Acting::User(u) = by
        && !approves_for_its_partner(u)
    {
        return Err(ServiceError::NotYourPartner("an agreement is approved by its party's administrator or project coordinator".into()));
    }
    let today = store.clock().today();
    audit::record(cx, actor, AuditAction::Admin, format!("agreement:{id}"), &[], AuditOutcome::Success, format!("approve for partner {party}")).await?;
    let approved = store.approve_agreement(id, party, today, by.name()).await?;
    cx.outcomes().invalidate().await;
    Ok(approved)
}

/// End an agreement from `day` (today by default): nothing is shared under it from then.
pub async fn end(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, id: i64, day: Option<chrono::NaiveDate>) -> Result<chrono::NaiveDate, ServiceError> {
    let store = cx.store();
    as_party(store, by, id, "end").await?;
    let day = day.unwrap_or_else(|| store.clock().today());
    audit::record(cx, actor, AuditAction::Admin, format!("agreement:{id}"), &[], AuditOutcome::Success, format!("end from {day}")).await?;
    store.end_agreement(id, day).await?;
    cx.outcomes().invalidate().await;
    Ok(day)
}

/// The agreements `by` may read: those its partner is a party to, or every agreement for those
/// who manage agreements (and the operator).
pub async fn visible(cx: &ServiceContext, by: Acting<'_>) -> Result<Vec<InformationSharingAgreement>, ServiceError> {
    let all = by.user().is_none_or(|u| u.roles.can(Permission::ManageAgreements));
    let mine = by.partner();
    Ok(cx.store().list_agreements().await?.into_iter().filter(|a| all || mine.is_some_and(|p| a.discloser == p || a.recipient == p)).collect())
}
