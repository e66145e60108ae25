//! The partners of the collaboration: adding and changing one, each one use case for the CLI, the
//! pages and the API, with its permission check and its audit entry written before the change.

use pmhc_core::access::Permission;
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::sharing::{Partner, Sector};

use crate::audit::{self, Actor};
use crate::{Acting, ServiceContext, ServiceError};

fn check_name(name: &str) -> Result<&str, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.chars().any(char::is_control) || name.chars().count() > 200 {
        return Err(ServiceError::InvalidField { field: "name".into(), message: "a partner's name: 1 to 200 characters, no control characters".into() });
    }
    Ok(name)
}

/// A partner organisation's sector is one of [`Sector::OF_PARTNERS`].
fn check_sector(sector: Sector) -> Result<(), ServiceError> {
    if sector.of_partners() {
        return Ok(());
    }
    Err(ServiceError::InvalidField {
        field: "sector".into(),
        message: format!(
            "“{}” is a sector of the workgroup's members, not of a partner organisation: an organisation of people with lived experience or of families is a partner in advocacy (partners' sectors: {})",
            sector.label(),
            Sector::OF_PARTNERS.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ),
    })
}

/// Add a partner (those who manage agreements: project coordinators and administrators; the
/// operator).
pub async fn add(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, name: &str, sector: Sector) -> Result<Partner, ServiceError> {
    let store = cx.store();
    by.require(Permission::ManageAgreements)?;
    let name = check_name(name)?;
    check_sector(sector)?;
    audit::record(cx, actor, AuditAction::Admin, format!("partner:{name}"), &[], AuditOutcome::Success, format!("add ({})", sector.label())).await?;
    Ok(store.add_partner(name, sector).await?)
}

/// The partner `key` names, when `by` may change it: the operator any partner, a user who manages
/// agreements only their own.
async fn managed(cx: &ServiceContext, by: Acting<'_>, key: &str) -> Result<Partner, ServiceError> {
    by.require(Permission::ManageAgreements)?;
    let p = cx.store().find_partner(key).await?;
    if let Some(own) = by.partner()
        && own != p.id
    {
        return Err(ServiceError::NotYourPartner(format!("partner {} is changed by its own users", p.id)));
    }
    Ok(p)
}

/// Rename a partner or change its sector (the operator, or an administrator of that partner).
pub async fn change(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, partner: &str, name: Option<&str>, sector: Option<Sector>) -> Result<Partner, ServiceError> {
    let store = cx.store();
    let p = managed(cx, by, partner).await?;
    let name = name.map(check_name).transpose()?;
    if let Some(s) = sector {
        check_sector(s)?;
    }
    let what = format!(
        "change:{}{}",
        name.map(|n| format!(" name to {n}")).unwrap_or_default(),
        sector.map(|s| format!(" sector to {}", s.label())).unwrap_or_default()
    );
    audit::record(cx, actor, AuditAction::Admin, format!("partner:{}", p.id), &[], AuditOutcome::Success, what).await?;
    Ok(store.update_partner(p.id, name, sector).await?)
}

/// Name the namespace of a partner's person keys — its records system's, as its imports' mapping
/// names it (`namespace`, else the source system) — so that the person identifiers typed into the
/// field form or sent to the API make the same person key as its imports; `None` forgets it (then
/// the field-form source's). Changing it changes the keys made from then on, not those stored.
/// The operator, or an administrator or project coordinator of that partner.
pub async fn set_person_namespace(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, partner: &str, namespace: Option<&str>) -> Result<Partner, ServiceError> {
    let store = cx.store();
    let p = managed(cx, by, partner).await?;
    let namespace = namespace.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = namespace
        && (n.chars().count() > 200 || n.chars().any(char::is_control))
    {
        return Err(ServiceError::InvalidField { field: "person_namespace".into(), message: "1 to 200 characters, no control characters".into() });
    }
    let what = format!("change: person-key namespace to {}", namespace.unwrap_or("(the field-form source)"));
    audit::record(cx, actor, AuditAction::Admin, format!("partner:{}", p.id), &[], AuditOutcome::Success, what).await?;
    store.set_person_namespace(p.id, namespace).await?;
    Ok(p)
}

/// The partners of the collaboration (names and sectors, no one's data: every signed-in user, the
/// public resource guide and the operator read them).
pub async fn list(cx: &ServiceContext) -> Result<Vec<Partner>, ServiceError> {
    Ok(cx.store().list_partners().await?)
}

/// One partner, by its id or its name (`NotFound` otherwise).
pub async fn find(cx: &ServiceContext, key: &str) -> Result<Partner, ServiceError> {
    Ok(cx.store().find_partner(key).await?)
}
