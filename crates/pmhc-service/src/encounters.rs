//! Saving one encounter (the API's create and replace, the field form): one use case each, with
//! the permission check, the partner's ownership of the record, validation as an import would do
//! it, the audit entry written before the record, and the outcome cache refreshed.

use pmhc_core::Encounter;
use pmhc_core::access::Permission;
use pmhc_core::audit::{AuditAction, AuditOutcome};

use crate::audit::{self, Actor, ENCOUNTER_GROUPS};
use crate::sharing::{self, Viewer};
use crate::{Acting, ServiceContext, ServiceError};

/// Where a saved encounter came from (the audit entry's detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Api,
    FieldForm,
}

impl Channel {
    fn detail(self) -> &'static str {
        match self {
            Channel::Api => "API",
            Channel::FieldForm => "field form",
        }
    }
}

/// The keys of a record typed by hand: 1 to 200 characters, no control characters.
fn check_keys(e: &Encounter) -> Result<(), ServiceError> {
    for (field, v) in [("source_system", &e.source_system), ("source_key", &e.source_key)] {
        if v.trim().is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
            return Err(ServiceError::InvalidField { field: field.into(), message: "1 to 200 characters, no control characters".into() });
        }
    }
    Ok(())
}

async fn write(cx: &ServiceContext, viewer: &Viewer, e: Encounter) -> Result<Encounter, ServiceError> {
    cx.store().write_batch(viewer.partner, None, std::slice::from_ref(&e)).await?;
    cx.outcomes().invalidate().await;
    Ok(e)
}

fn validated(mut e: Encounter) -> Result<Encounter, ServiceError> {
    check_keys(&e)?;
    e.normalize();
    e.validate().map_err(|err| ServiceError::InvalidField { field: "encounter".into(), message: err.to_string() })?;
    Ok(e)
}

/// Create an encounter in a source system the viewer's partner owns (or nobody does yet);
/// `Conflict` when one with the same keys exists.
pub async fn create(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, viewer: &Viewer, e: Encounter, channel: Channel) -> Result<Encounter, ServiceError> {
    let store = cx.store();
    by.require(Permission::EditEncounters)?;
    let e = validated(e)?;
    if !sharing::may_write(cx, viewer, &e.source_system).await? {
        return Err(ServiceError::ForeignRecord(e.source_system));
    }
    if store.get_encounter(&e.source_system, &e.source_key).await?.is_some() {
        return Err(ServiceError::Conflict(format!("encounter {}/{} exists already; change it with PUT", e.source_system, e.source_key)));
    }
    audit::record(cx, actor, AuditAction::Create, format!("encounter:{}/{}", e.source_system, e.source_key), ENCOUNTER_GROUPS, AuditOutcome::Success, channel.detail())
        .await?;
    write(cx, viewer, e).await
}

/// Record (or record again: the draft id is the key, so a resubmitted draft saves once) an
/// encounter from the field form, in the partner's own field-form source system, and send the
/// closed-loop referral to the inventory's service `refer_to` chosen with it (once per draft).
/// Refused, each problem naming its field and nothing saved: a date after today (the store's
/// clock) and a blank form ([`pmhc_core::field_form::submission_problems`]).
#[allow(clippy::too_many_arguments)]
pub async fn record_field_form(
    cx: &ServiceContext,
    actor: &Actor,
    by: Acting<'_>,
    viewer: &Viewer,
    mut e: Encounter,
    refer_to: Option<i64>,
) -> Result<Encounter, ServiceError> {
    by.require(Permission::EditEncounters)?;
    let problems = pmhc_core::field_form::submission_problems(&e, cx.clock().local_today(), refer_to.is_some());
    if !problems.is_empty() {
        return Err(ServiceError::InvalidFields(problems));
    }
    e.source_system = pmhc_core::field_form::field_source(viewer.partner);
    let e = validated(e)?;
    audit::record(cx, actor, AuditAction::Create, format!("encounter:{}/{}", e.source_system, e.source_key), ENCOUNTER_GROUPS, AuditOutcome::Success, Channel::FieldForm.detail())
        .await?;
    let saved = write(cx, viewer, e).await?;
    if let Some(service) = refer_to {
        // A draft sent twice refers once.
        let sent = pmhc_core::services::ReferralState::Sent;
        crate::referrals::make_once(cx, actor, by, viewer, &saved.source_system, &saved.source_key, service, sent).await?;
    }
    Ok(saved)
}

/// Replace an existing encounter the viewer's partner owns (the keys given win over those in the
/// record; an edit is newer than whatever the source said last). A record the viewer may not see
/// is as absent as one that does not exist.
#[allow(clippy::too_many_arguments)]
pub async fn replace(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, viewer: &Viewer, system: &str, key: &str, mut e: Encounter) -> Result<Encounter, ServiceError> {
    by.require(Permission::EditEncounters)?;
    let Some(existing) = sharing::get_encounter(cx, viewer, system, key).await? else {
        return Err(ServiceError::NotFound(format!("there is no encounter {system}/{key}; create it with POST")));
    };
    // Only the owning partner changes a record (another partner sees it through an agreement).
    if !existing.own() {
        return Err(ServiceError::ForeignRecord(system.to_string()));
    }
    e.source_system = system.to_string();
    e.source_key = key.to_string();
    e.source_updated_at = None;
    let e = validated(e)?;
    audit::record(cx, actor, AuditAction::Change, format!("encounter:{system}/{key}"), ENCOUNTER_GROUPS, AuditOutcome::Success, Channel::Api.detail()).await?;
    write(cx, viewer, e).await
}
