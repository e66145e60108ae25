//! The service inventory and its capacity reports: importing them from CSV (read and checked by
//! `pmhc_import::inventory`), one capacity report, and the gap analysis.

use pmhc_core::access::{Permission, Role};
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::services::Service;
use pmhc_import::inventory::parse_inventory;

use crate::audit::{self, Actor};
use crate::{Acting, ServiceContext, ServiceError};

pub use pmhc_import::inventory::{COLUMNS, RowProblem, inventory_csv, open_at};

/// A file refused for its problems (every one with its line): `what` says what was not imported
/// ("the inventory was").
pub(crate) fn not_imported(what: &str, problems: Vec<RowProblem>) -> ServiceError {
    ServiceError::Invalid(format!(
        "{what} not imported ({} problem{}):\n{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        problems.iter().map(|p| format!("  line {}: {}", p.line, p.message)).collect::<Vec<_>>().join("\n")
    ))
}

/// The audit entry of a file import (`import`, of `object`): written after the file is read and
/// checked and before anything of it is saved; `Failed` when it was refused (nothing saved).
async fn audit_file(cx: &ServiceContext, actor: &Actor, object: String, parsed: Result<(), &ServiceError>) -> Result<(), ServiceError> {
    let outcome = if parsed.is_ok() { AuditOutcome::Success } else { AuditOutcome::Failed };
    audit::record(cx, actor, AuditAction::Admin, object, &[], outcome, "import").await
}

/// Whether `by` may speak for `provider`'s service `name`: the operator, or a user of the provider
/// (the role is checked apart).
fn speaks_for(by: Acting<'_>, provider: pmhc_core::sharing::PartnerId, name: &str) -> Result<(), ServiceError> {
    match by {
        Acting::User(u) if u.partner != provider => Err(ServiceError::NotProvider(name.to_string())),
        _ => Ok(()),
    }
}

/// Import an inventory file (`file_name` names it in the audit trail): every row saved (added, or
/// changed when the provider already has a service of that name), or nothing when any row has a
/// problem. A user imports as an administrator, and only their own partner's services. The file
/// is read and checked, then audited (a refused file as failed), then saved.
pub async fn import_inventory(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, file_name: &str, bytes: &[u8]) -> Result<Vec<Service>, ServiceError> {
    let store = cx.store();
    if by.user().is_some_and(|u| !u.roles.contains(Role::Administrator)) {
        return Err(ServiceError::NotYourPartner("the inventory is kept by the providers' administrators".into()));
    }
    let partners = store.list_partners().await?;
    let parsed = parse_inventory(bytes, &partners)
        .map_err(|p| not_imported("the inventory was", p))
        .and_then(|services| services.iter().try_for_each(|s| speaks_for(by, s.provider, &s.name)).map(|()| services));
    audit_file(cx, actor, format!("services:{file_name}"), parsed.as_ref().map(|_| ())).await?;
    let mut saved = Vec::new();
    for s in &parsed? {
        saved.push(store.save_service(s).await?);
    }
    Ok(saved)
}

/// Whether `by`'s role reports capacity: the operator, an administrator, or a role that records
/// data (whose services is [`speaks_for`]'s question).
fn reports_capacity(by: Acting<'_>) -> Result<(), ServiceError> {
    match by.user() {
        Some(u) if !u.roles.contains(Role::Administrator) => by.require(Permission::EditEncounters),
        _ => Ok(()),
    }
}

/// Record how many places a service has free (its provider's own users — an administrator, or a
/// role that edits encounters — or the operator). Audited before it is kept. Returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn record_capacity(
    cx: &ServiceContext,
    actor: &Actor,
    by: Acting<'_>,
    service_id: i64,
    at: chrono::NaiveDateTime,
    available: u32,
    total: Option<u32>,
) -> Result<i64, ServiceError> {
    may_report_capacity(cx, by, service_id).await?;
    let detail = format!("capacity {available} free{}", total.map(|t| format!(" of {t}")).unwrap_or_default());
    audit::record(cx, actor, AuditAction::Admin, format!("service:{service_id}"), &[], AuditOutcome::Success, detail).await?;
    Ok(cx.store().add_capacity_update(service_id, at, available, total, by.name_or(actor)).await?)
}

/// The service whose capacity `by` may report: its provider's own users (its administrator, or a
/// role that edits encounters — no other partner's), or the operator. A front end asks before it
/// reads the report; [`record_capacity`] asks again.
pub async fn may_report_capacity(cx: &ServiceContext, by: Acting<'_>, service_id: i64) -> Result<Service, ServiceError> {
    let service = cx.store().service(service_id).await?.ok_or_else(|| ServiceError::NotFound(format!("there is no service #{service_id}")))?;
    // The provider's own users only (its administrator too; no other partner's).
    speaks_for(by, service.provider, &service.name)?;
    reports_capacity(by)?;
    Ok(service)
}

/// Import a file of capacity reports (`service_id,reported_at,available,total`; `file_name` names
/// it in the audit trail): every row saved, or nothing when any row has a problem. Returns how many
/// were saved. A user reports for their own partner's services only, like [`record_capacity`]. The
/// file is read and checked, then audited (a refused file as failed), then saved.
pub async fn import_capacity(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, file_name: &str, bytes: &[u8]) -> Result<usize, ServiceError> {
    let store = cx.store();
    reports_capacity(by)?;
    let services = store.list_services().await?;
    let parsed = pmhc_import::inventory::parse_capacity(bytes, &services, store.clock().now().naive_utc())
        .map_err(|p| not_imported("the capacity reports were", p))
        .and_then(|updates| {
            for u in &updates {
                if let Some(s) = services.iter().find(|s| s.id == u.service_id) {
                    speaks_for(by, s.provider, &s.name)?;
                }
            }
            Ok(updates)
        });
    audit_file(cx, actor, format!("capacity:{file_name}"), parsed.as_ref().map(|_| ())).await?;
    let updates = parsed?;
    for u in &updates {
        store.add_capacity_update(u.service_id, u.reported_at, u.available, u.total, by.name_or(actor)).await?;
    }
    Ok(updates.len())
}

/// The gap analysis as one viewer's partner may see it (see [`pmhc_core::capacity`]).
#[derive(Debug, Clone)]
pub struct GapAnalysis {
    pub gaps: Vec<pmhc_core::services::ServiceGap>,
    pub months: Vec<pmhc_core::capacity::MonthRow>,
    pub strained: Vec<pmhc_core::capacity::Strain>,
    pub under_used: Vec<pmhc_core::capacity::UnderUse>,
    /// By each [`pmhc_core::capacity::AccessDimension`], in its order.
    pub access: Vec<pmhc_core::capacity::AccessTable>,
}

/// Build the gap analysis: referrals and capacity in full (they are not about people), the
/// groups and precinct of each referral's encounter only where the scope shares them.
pub async fn gap_analysis(cx: &ServiceContext, scope: &pmhc_core::sharing::ReportScope, threshold: u64) -> Result<GapAnalysis, ServiceError> {
    let store = cx.store();
    use pmhc_core::capacity::{AccessDimension, access, monthly, most_strained, under_used};
    let services = store.list_services().await?;
    let rows: Vec<_> = store.referral_subjects().await?.into_iter().map(|(f, s)| (f, s.scoped(scope))).collect();
    let facts: Vec<_> = rows.iter().map(|(f, _)| f.clone()).collect();
    let updates = store.capacity_updates().await?;
    let gaps = pmhc_core::services::gap_report(&services, &facts);
    let months = monthly(&services, &facts, &updates);
    Ok(GapAnalysis {
        strained: most_strained(&gaps, &months),
        under_used: under_used(&gaps, &months),
        access: AccessDimension::ALL.iter().map(|d| access(&rows, *d, threshold)).collect(),
        gaps,
        months,
    })
}

/// The service inventory (services, not people: the public resource guide shows it).
pub async fn services(cx: &ServiceContext) -> Result<Vec<Service>, ServiceError> {
    Ok(cx.store().list_services().await?)
}

/// One service of the inventory.
pub async fn service(cx: &ServiceContext, id: i64) -> Result<Option<Service>, ServiceError> {
    Ok(cx.store().service(id).await?)
}

/// One capacity report of a service, with who reported it (capacity is about services, not
/// people: every role that sees the outcomes may read it). `None`: no such report of that service.
pub async fn capacity_report(
    cx: &ServiceContext,
    by: crate::Acting<'_>,
    service_id: i64,
    report: i64,
) -> Result<Option<(pmhc_core::capacity::CapacityUpdate, String)>, ServiceError> {
    by.require(pmhc_core::access::Permission::ViewOutcomes)?;
    Ok(cx.store().capacity_update(report).await?.filter(|(u, _)| u.service_id == service_id))
}

#[cfg(test)]
mod tests {
    use pmhc_core::access::Roles;
    use pmhc_core::sharing::Sector;
    use pmhc_store::{AuditFilter, Store, User};

    use super::*;

    fn actor(u: &User) -> Actor {
        Actor { name: u.username.clone(), partner: Some(u.partner.to_string()), source: "test".into() }
    }

    /// The entries about `object`, newest first: (outcome, detail).
    async fn entries(store: &Store, object: &str) -> Vec<(AuditOutcome, String)> {
        let f = AuditFilter { object_prefix: Some(object.to_string()), ..AuditFilter::default() };
        store.list_audit(&f, 100, 0).await.expect("audit").into_iter().map(|e| (e.event.outcome, e.event.detail)).collect()
    }

    /// A provider's administrator imports its own services and capacity reports; a role that does
    /// not keep the inventory is refused before the file is read (no entry), another partner's file
    /// is refused after it is read (audited as failed, nothing saved).
    #[tokio::test]
    async fn the_inventory_and_capacity_are_their_providers_and_audited_before_they_are_saved() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&format!("sqlite:{}", dir.path().join("t.sqlite").display())).await.expect("open");
        store.migrate().await.expect("migrate");
        let cx = ServiceContext::new(store.clone());
        let other = store.add_partner("County Clinic", Sector::BehavioralHealth).await.expect("partner");
        let user = |name: &'static str, role: Role, partner| {
            let store = store.clone();
            async move { store.create_user(name, name, Roles::of(&[role]), partner, "x").await.expect("user") }
        };
        let admin = user("admin", Role::Administrator, 1).await;
        let clinician = user("clinician", Role::Clinician, 1).await;
        let stranger = user("stranger", Role::Administrator, other.id).await;
        let file = b"provider,name,kind,intercept,hours\n1,Crisis Centre,crisis_centre,1,24/7\n";

        let refused = import_inventory(&cx, &actor(&clinician), Acting::User(&clinician), "a.csv", file).await;
        assert!(matches!(refused, Err(ServiceError::NotYourPartner(_))), "{refused:?}");
        assert!(entries(&store, "services:a.csv").await.is_empty(), "refused before the file is read");
        let refused = import_inventory(&cx, &actor(&stranger), Acting::User(&stranger), "b.csv", file).await;
        assert!(matches!(refused, Err(ServiceError::NotProvider(_))), "{refused:?}");
        assert_eq!(entries(&store, "services:b.csv").await, [(AuditOutcome::Failed, "import".to_string())]);
        assert!(store.list_services().await.expect("services").is_empty());
        let saved = import_inventory(&cx, &actor(&admin), Acting::User(&admin), "c.csv", file).await.expect("imported");
        assert_eq!(entries(&store, "services:c.csv").await, [(AuditOutcome::Success, "import".to_string())]);

        let reports = format!("service_id,reported_at,available,total\n{},2024-05-01 08:00,3,\n", saved[0].id);
        let refused = import_capacity(&cx, &actor(&stranger), Acting::User(&stranger), "d.csv", reports.as_bytes()).await;
        assert!(matches!(refused, Err(ServiceError::NotProvider(_))), "{refused:?}");
        assert_eq!(entries(&store, "capacity:d.csv").await, [(AuditOutcome::Failed, "import".to_string())]);
        assert!(store.capacity_updates().await.expect("updates").is_empty());
        let n = import_capacity(&cx, &actor(&clinician), Acting::User(&clinician), "e.csv", reports.as_bytes()).await.expect("imported");
        assert_eq!(n, 1);
        assert_eq!(entries(&store, "capacity:e.csv").await, [(AuditOutcome::Success, "import".to_string())]);
        store.close().await;
    }
}
