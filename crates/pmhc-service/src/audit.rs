//! The audit trail's operations: record an event (fail closed), verify the whole chain.

use pmhc_core::audit::{AuditAction, AuditEvent, AuditOutcome, ChainError, ChainVerifier, audit_time};
use pmhc_store::Store;

use crate::ServiceError;

/// Who acts and from where, for the entries of one request or command.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub partner: Option<String>,
    /// The client's address, or `cli`.
    pub source: String,
}

impl Actor {
    /// The command line: the operating-system user running `pmhc`.
    pub fn cli() -> Actor {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
        Actor { name: format!("cli:{user}"), partner: None, source: "cli".into() }
    }
}

/// The field groups of a whole encounter record (the names of [`pmhc_core::sharing::FieldGroup`]).
pub const ENCOUNTER_GROUPS: &[&str] = &[
    "incident_details",
    "area_and_time",
    "subject_identity",
    "demographics",
    "mental_health_details",
    "substance_use_details",
];

/// Record an event. An error means it was not recorded: the caller must refuse what it records.
pub async fn record(
    store: &Store,
    actor: &Actor,
    action: AuditAction,
    object: impl Into<String>,
    field_groups: &[&str],
    outcome: AuditOutcome,
    detail: impl Into<String>,
) -> Result<(), ServiceError> {
    let event = AuditEvent {
        // The real time, whatever the clock says: moving the clock never backdates an entry.
        at: audit_time(pmhc_store::clock::real_now()),
        actor: actor.name.clone(),
        partner: actor.partner.clone(),
        action,
        object: object.into(),
        field_groups: field_groups.iter().map(|g| g.to_string()).collect(),
        source: actor.source.clone(),
        outcome,
        detail: detail.into(),
    };
    store.append_audit(event).await.map_err(|e| {
        tracing::error!(error = %e, "the audit trail cannot be written; the access is refused");
        ServiceError::AuditUnavailable
    })?;
    Ok(())
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    /// The newest entry's id and hash (keep it outside the database to detect a rewritten log).
    pub head: Option<(u64, String)>,
}

/// Check the whole chain, in pages, against the head the store keeps. `Ok(Err(..))` is a broken
/// chain (with the first broken entry); `Err` is a failure to read it.
pub async fn verify(store: &Store) -> Result<Result<Verified, ChainError>, ServiceError> {
    let head = store.audit_head().await?;
    let anchor = store.audit_anchor().await?;
    let mut v = ChainVerifier::from_anchor(anchor.as_ref().map(|(id, h)| (*id, h.as_str())));
    let mut after = anchor.as_ref().map_or(0, |(id, _)| *id);
    loop {
        let page = store.audit_entries_after(after, 10_000).await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            if let Err(err) = v.push(e) {
                return Ok(Err(err));
            }
            after = e.id;
        }
    }
    match v.finish(head.as_ref().map(|(id, h)| (*id, h.as_str()))) {
        Ok(entries) => Ok(Ok(Verified { entries, head: v.last().map(|(id, h)| (id, h.to_string())) })),
        Err(e) => Ok(Err(e)),
    }
}

/// Entries are kept at least this many days.
pub const RETENTION_DAYS: i64 = 365;

/// Remove audit entries older than `before` — refused when `before` is less than a year ago. The
/// purge is itself audited (after it, as the newest entry).
pub async fn purge(store: &Store, actor: &Actor, before: chrono::NaiveDate) -> Result<u64, ServiceError> {
    // Entries carry the real time, so their retention is counted in real time too.
    let limit = pmhc_store::clock::real_now().date_naive() - chrono::Duration::days(RETENTION_DAYS);
    if before > limit {
        return Err(ServiceError::Invalid(format!(
            "audit entries are kept for at least a year: the purge date must be {limit} or earlier (it is {before})"
        )));
    }
    let n = store.purge_audit_before(&before.to_string()).await?;
    record(store, actor, AuditAction::Admin, "audit", &[], AuditOutcome::Success, format!("purged {n} entries before {before}")).await?;
    Ok(n)
}

/// What `user` reads of the audit trail: everything for an auditor; otherwise only the entries
/// about the user's own partner (its users' actions, its records, its accounts) — a partner's
/// audit entries are that partner's, for administrators and coordinators too.
pub fn scope_for(user: &pmhc_store::User) -> Option<pmhc_store::AuditScope> {
    if user.roles.contains(pmhc_core::access::Role::Auditor) {
        return None;
    }
    Some(pmhc_store::AuditScope { partner: user.partner })
}
