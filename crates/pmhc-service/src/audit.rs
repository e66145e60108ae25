//! The audit trail's operations: record an event (fail closed), verify the whole chain.

use pmhc_core::audit::{AuditAction, AuditEntry, AuditEvent, AuditOutcome, ChainError, ChainKeying, ChainVerifier, audit_time};
use pmhc_store::AuditFilter;

use crate::{ServiceContext, ServiceError};

/// Who acts and from where, for the entries of one request or command.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub partner: Option<String>,
    /// The client's address, or `cli`.
    pub source: String,
}

impl Actor {
    /// The command line: the operating-system account running `pmhc`, as the system names it
    /// (its uid and the account name the password database gives it — not `$USER`, which anyone
    /// can set): actor `os:NAME`, source `cli uid N`.
    pub fn cli() -> Actor {
        let (uid, name) = os_account();
        Actor { name: format!("os:{name}"), partner: None, source: format!("cli uid {uid}") }
    }
}

/// The real uid of this process and its account name (`uid-N` when the system has no name for it).
#[cfg(unix)]
pub fn os_account() -> (u32, String) {
    // SAFETY: getuid cannot fail; getpwuid_r writes into the buffers given, and the name is read
    // only when it reports success with a non-null result.
    unsafe {
        let uid = libc::getuid();
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut out);
        let name = if rc == 0 && !out.is_null() && !pw.pw_name.is_null() {
            std::ffi::CStr::from_ptr(pw.pw_name).to_string_lossy().into_owned()
        } else {
            format!("uid-{uid}")
        };
        (uid, name)
    }
}

#[cfg(not(unix))]
pub fn os_account() -> (u32, String) {
    (0, std::env::var("USERNAME").unwrap_or_else(|_| "unknown".into()))
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

fn event(actor: &Actor, action: AuditAction, object: String, field_groups: &[&str], outcome: AuditOutcome, detail: String) -> AuditEvent {
    AuditEvent {
        // The real time, whatever the clock says: moving the clock never backdates an entry.
        at: audit_time(pmhc_store::clock::real_now()),
        actor: actor.name.clone(),
        partner: actor.partner.clone(),
        action,
        object,
        field_groups: field_groups.iter().map(|g| g.to_string()).collect(),
        source: actor.source.clone(),
        outcome,
        detail,
    }
}

/// Record an event. An error means it was not recorded: the caller must refuse what it records.
pub async fn record(
    cx: &ServiceContext,
    actor: &Actor,
    action: AuditAction,
    object: impl Into<String>,
    field_groups: &[&str],
    outcome: AuditOutcome,
    detail: impl Into<String>,
) -> Result<(), ServiceError> {
    let event = event(actor, action, object.into(), field_groups, outcome, detail.into());
    cx.store().append_audit(event).await.map_err(unavailable)?;
    Ok(())
}

/// Why an entry could not be written, as the refusal says it.
pub(crate) fn unavailable(e: pmhc_store::StoreError) -> ServiceError {
    tracing::error!(error = %e, "the audit trail cannot be written; the access is refused");
    match e {
        e if e.is_disk_full() => ServiceError::AuditDiskFull,
        e if e.is_key_problem() => ServiceError::AuditKey(e.to_string()),
        _ => ServiceError::AuditUnavailable,
    }
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    /// The newest entry's id and hash (keep it outside the database to detect a rewritten log).
    pub head: Option<(u64, String)>,
}

/// Check the whole chain, in pages, against the head the store keeps and (if given) a head kept
/// outside the database. `Ok(Err(..))` is a broken chain (with the first broken entry) or one
/// that cannot be verified for want of the key ([`ChainError::KeyUnavailable`], not tampering);
/// `Err` is a failure to read it.
pub async fn verify(cx: &ServiceContext, expect_head: Option<&str>) -> Result<Result<Verified, ChainError>, ServiceError> {
    let store = cx.store();
    let keying = match store.keys().await {
        Ok(k) => ChainKeying { key: Some(k.audit), keyed_from: k.keyed_from },
        Err(e) if e.is_key_problem() => {
            tracing::warn!(error = %e, "verifying without the audit key");
            // What the database says about where the keyed part starts (not trusted, only for
            // saying how far the check went); none recorded: the whole log is keyed.
            let from = store.recorded_key().await?.map_or(1, |(_, from)| from);
            ChainKeying { key: None, keyed_from: from }
        }
        Err(e) => return Err(e.into()),
    };
    let head = store.audit_head().await?;
    let anchor = store.audit_anchor().await?;
    let mut v = ChainVerifier::from_anchor(anchor.as_ref().map(|(id, h)| (*id, h.as_str()))).keyed(keying).expecting_head(expect_head);
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

/// The newest entry's hash (hex), to keep outside the database (`pmhc audit head`); the genesis
/// value for an empty log.
pub async fn head(cx: &ServiceContext) -> Result<String, ServiceError> {
    let store = cx.store();
    let newest = store.audit_newest().await?;
    Ok(newest.map_or_else(|| pmhc_core::audit::GENESIS.to_string(), |(_, h)| h))
}

/// Entries are kept at least this many days.
pub const RETENTION_DAYS: i64 = 365;

/// Remove audit entries older than `before` — refused when `before` is less than a year ago. The
/// purge is itself audited (after it, as the newest entry).
pub async fn purge(cx: &ServiceContext, actor: &Actor, before: chrono::NaiveDate) -> Result<u64, ServiceError> {
    let store = cx.store();
    // Entries carry the real time, so their retention is counted in real time too.
    let limit = pmhc_store::clock::real_now().date_naive() - chrono::Duration::days(RETENTION_DAYS);
    if before > limit {
        return Err(ServiceError::Invalid(format!(
            "audit entries are kept for at least a year: the purge date must be {limit} or earlier (it is {before})"
        )));
    }
    // The purge writes its own entry (naming the anchor it leaves) in the same transaction.
    let by = event(actor, AuditAction::Delete, pmhc_core::audit::PURGE_OBJECT.to_string(), &[], AuditOutcome::Success, String::new());
    let n = store.purge_audit_before(&before.to_string(), by).await?;
    Ok(n)
}

/// A page of the audit trail (those who may read it), as `by` may read it ([`scope_for`]; the
/// operator: all of it), the reading itself audited.
pub async fn list(cx: &ServiceContext, actor: &Actor, by: crate::Acting<'_>, filter: AuditFilter, limit: u32, offset: u64) -> Result<Vec<AuditEntry>, ServiceError> {
    read(cx, actor, by, filter, limit, offset, AuditAction::View, "audit").await
}

/// The audit trail for an export (`file`: the export's name, its audit entry's object): at most
/// `max` entries, as `by` may read it, the export audited.
pub async fn export(cx: &ServiceContext, actor: &Actor, by: crate::Acting<'_>, filter: AuditFilter, max: u32, file: &str) -> Result<Vec<AuditEntry>, ServiceError> {
    read(cx, actor, by, filter, max, 0, AuditAction::Export, file).await
}

#[allow(clippy::too_many_arguments)]
async fn read(
    cx: &ServiceContext,
    actor: &Actor,
    by: crate::Acting<'_>,
    mut filter: AuditFilter,
    limit: u32,
    offset: u64,
    action: AuditAction,
    object: &str,
) -> Result<Vec<AuditEntry>, ServiceError> {
    by.require(pmhc_core::access::Permission::ViewAudit)?;
    filter.scope = by.user().and_then(scope_for);
    let store = cx.store();
    let entries = store.list_audit(&filter, limit, offset).await?;
    record(cx, actor, action, object, &[], AuditOutcome::Success, format!("{} entries", entries.len())).await?;
    Ok(entries)
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
