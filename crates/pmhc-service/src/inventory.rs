//! Importing the service inventory from CSV (read and checked by `pmhc_import::inventory`).

use pmhc_import::inventory::parse_inventory;
use pmhc_core::services::Service;
use pmhc_store::Store;

use crate::ServiceError;

pub use pmhc_import::inventory::{COLUMNS, RowProblem, inventory_csv, open_at};

/// Import an inventory file: every row saved (added, or changed when the provider already has a
/// service of that name), or nothing when any row has a problem.
pub async fn import_inventory(store: &Store, bytes: &[u8]) -> Result<Vec<Service>, ServiceError> {
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
    store: &Store,
    actor: &crate::audit::Actor,
    by: crate::Acting<'_>,
    service_id: i64,
    at: chrono::NaiveDateTime,
    available: u32,
    total: Option<u32>,
) -> Result<i64, ServiceError> {
    use pmhc_core::access::{Permission, Role};
    let service = store.service(service_id).await?.ok_or_else(|| ServiceError::NotFound(format!("there is no service #{service_id}")))?;
    if let crate::Acting::User(u) = by {
        // The provider's own users only (its administrator too; no other partner's).
        if u.partner != service.provider {
            return Err(ServiceError::NotProvider(service.name));
        }
        if !u.roles.contains(Role::Administrator) {
            by.require(Permission::EditEncounters)?;
        }
    }
    let detail = format!("capacity {available} free{}", total.map(|t| format!(" of {t}")).unwrap_or_default());
    crate::audit::record(store, actor, pmhc_core::audit::AuditAction::Admin, format!("service:{service_id}"), &[], pmhc_core::audit::AuditOutcome::Success, detail)
        .await?;
    Ok(store.add_capacity_update(service_id, at, available, total, by.name_or(actor)).await?)
}

/// Import a file of capacity reports (`service_id,reported_at,available,total`): every row saved,
/// or nothing when any row has a problem. Returns how many were saved.
pub async fn import_capacity(store: &Store, bytes: &[u8], reported_by: &str) -> Result<usize, ServiceError> {
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
pub async fn gap_analysis(store: &Store, scope: &pmhc_core::sharing::ReportScope, threshold: u64) -> Result<GapAnalysis, ServiceError> {
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
