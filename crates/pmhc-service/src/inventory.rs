//! Importing the service inventory from CSV (read and checked by `pmhc_import::inventory`).

use pmhc_import::inventory::parse_inventory;
use pmhc_core::services::Service;

use crate::{ServiceContext, ServiceError};

pub use pmhc_import::inventory::{COLUMNS, RowProblem, inventory_csv, open_at};

/// Import an inventory file: every row saved (added, or changed when the provider already has a
/// service of that name), or nothing when any row has a problem.
pub async fn import_inventory(cx: &ServiceContext, bytes: &[u8]) -> Result<Vec<Service>, ServiceError> {
    let store = cx.store();
    let partners = store.list_partners().await?;
    let services = parse_inventory(bytes, &partners).map_err(|problems| {
        ServiceError::Invalid(format!(
            "the inventory was not imported ({} problem{}):\n{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems.iter().map(|p| format!("  line {}: {}", p.line, p.message)).collect::<Vec<_>>().join("\n")
        ))
    })?;
    let mut saved = Vec::with_capacity(services.len());
    for s in &services {
        saved.push(store.save_service(s).await?);
    }
    Ok(saved)
}

/// Record how many places a service has free (its provider's own users — an administrator, or a
/// role that edits encounters — or the operator). Audited before it is kept. Returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn record_capacity(
    cx: &ServiceContext,
    actor: &crate::audit::Actor,
    by: crate::Acting<'_>,
    service_id: i64,
    at: chrono::NaiveDateTime,
    available: u32,
    total: Option<u32>,
) -> Result<i64, ServiceError> {
    let store = cx.store();
    may_report_capacity(cx, by, service_id).await?;
    let detail = format!("capacity {available} free{}", total.map(|t| format!(" of {t}")).unwrap_or_default());
    crate::audit::record(cx, actor, pmhc_core::audit::AuditAction::Admin, format!("service:{service_id}"), &[], pmhc_core::audit::AuditOutcome::Success, detail)
        .await?;
    Ok(store.add_capacity_update(service_id, at, available, total, by.name_or(actor)).await?)
}

/// The service whose capacity `by` may report: its provider's own users (its administrator, or a
/// role that edits encounters — no other partner's), or the operator. A front end asks before it
/// reads the report; [`record_capacity`] asks again.
pub async fn may_report_capacity(cx: &ServiceContext, by: crate::Acting<'_>, service_id: i64) -> Result<Service, ServiceError> {
    use pmhc_core::access::{Permission, Role};
    let service = cx.store().service(service_id).await?.ok_or_else(|| ServiceError::NotFound(format!("there is no service #{service_id}")))?;
    if let crate::Acting::User(u) = by {
        if u.partner != service.provider {
            return Err(ServiceError::NotProvider(service.name));
        }
        if !u.roles.contains(Role::Administrator) {
            by.require(Permission::EditEncounters)?;
        }
    }
    Ok(service)
}

/// Import a file of capacity reports (`service_id,reported_at,available,total`): every row saved,
/// or nothing when any row has a problem. Returns how many were saved.
pub async fn import_capacity(cx: &ServiceContext, bytes: &[u8], reported_by: &str) -> Result<usize, ServiceError> {
    let store = cx.store();
    let services = store.list_services().await?;
    let updates = pmhc_import::inventory::parse_capacity(bytes, &services, store.clock().now().naive_utc()).map_err(|problems| {
        ServiceError::Invalid(format!(
            "the capacity reports were not imported ({} problem{}):\n{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems.iter().map(|p| format!("  line {}: {}", p.line, p.message)).collect::<Vec<_>>().join("\n")
        ))
    })?;
    for u in &updates {
        store.add_capacity_update(u.service_id, u.reported_at, u.available, u.total, reported_by).await?;
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
