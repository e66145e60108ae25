//! Saving one encounter (the API's create and replace, the field form and its edits): one use
//! case each, with the permission check, the partner's ownership of the record, validation as an
//! import would do it, the person's identifiers made into the person key (as the partner's
//! imports make it), the audit entry written before the record, every version kept, and the
//! outcome cache refreshed.

use pmhc_core::Encounter;
use pmhc_core::access::Permission;
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::field_form::field_source;
use pmhc_core::person::PersonIdentifiers;
use pmhc_core::sharing::PartnerId;
use pmhc_store::{EncounterVersion, VersionNote};

use crate::audit::{self, Actor, ENCOUNTER_GROUPS};
use crate::sharing::{self, Viewer};
use crate::{Acting, ServiceContext, ServiceError};

/// Where a saved encounter came from (the audit entry's detail, the version's channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Api,
    FieldForm,
    /// A saved field-form record completed or corrected later.
    FieldFormEdit,
}

impl Channel {
    fn detail(self) -> &'static str {
        match self {
            Channel::Api => "API",
            Channel::FieldForm => "field form",
            Channel::FieldFormEdit => "field form edit",
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

/// Write the record and keep it as its next version (when it changed), in one transaction.
async fn write(cx: &ServiceContext, actor: &Actor, viewer: &Viewer, e: Encounter, channel: Channel) -> Result<Encounter, ServiceError> {
    cx.store().write_encounter_version(viewer.partner, &e, VersionNote { saved_by: &actor.name, channel: channel.detail() }).await?;
    cx.outcomes().invalidate().await;
    Ok(e)
}

/// The namespace of a partner's person keys: the one it named (`pmhc partner set
/// --person-namespace`, its records system's: where its imports make theirs), else its
/// field-form source's.
pub async fn person_namespace(cx: &ServiceContext, partner: PartnerId) -> Result<String, ServiceError> {
    Ok(cx.store().person_namespace(partner).await?.unwrap_or_else(|| field_source(partner)))
}

/// The person key of the identifiers typed with a record of `partner` (`None` when none were),
/// made as that partner's imports make theirs; a date of birth after today (the store's clock) is
/// refused. The identifiers go no further.
async fn person_key(cx: &ServiceContext, partner: PartnerId, person: &PersonIdentifiers) -> Result<Option<String>, ServiceError> {
    let Some(who) = person.identity(cx.clock().local_today()).map_err(ServiceError::InvalidFields)? else { return Ok(None) };
    let namespace = person_namespace(cx, partner).await?;
    Ok(Some(cx.store().pseudonym_key().await?.person_key(&namespace, &who)))
}

/// A record's person: its identifiers' key, refused next to the id when the body names the
/// person key too; otherwise the key given (or none).
async fn with_person(cx: &ServiceContext, viewer: &Viewer, mut e: Encounter, person: &PersonIdentifiers) -> Result<Encounter, ServiceError> {
    if person.is_empty() {
        return Ok(e);
    }
    if e.subject_key.is_some() {
        return Err(ServiceError::InvalidField {
            field: pmhc_core::person::AGENCY_PERSON_ID.into(),
            message: "give the person's identifiers or a subject_key, not both".into(),
        });
    }
    e.subject_key = person_key(cx, viewer.partner, person).await?;
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
/// The person's identifiers, when given, become its person key (a `subject_key` given too is
/// refused).
#[allow(clippy::too_many_arguments)]
pub async fn create(
    cx: &ServiceContext,
    actor: &Actor,
    by: Acting<'_>,
    viewer: &Viewer,
    e: Encounter,
    person: &PersonIdentifiers,
    channel: Channel,
) -> Result<Encounter, ServiceError> {
    let store = cx.store();
    by.require(Permission::EditEncounters)?;
    let e = validated(with_person(cx, viewer, e, person).await?)?;
    if !sharing::may_write(cx, viewer, &e.source_system).await? {
        return Err(ServiceError::ForeignRecord(e.source_system));
    }
    if store.get_encounter(&e.source_system, &e.source_key).await?.is_some() {
        return Err(ServiceError::Conflict(format!("encounter {}/{} exists already; change it with PUT", e.source_system, e.source_key)));
    }
    audit::record(cx, actor, AuditAction::Create, format!("encounter:{}/{}", e.source_system, e.source_key), ENCOUNTER_GROUPS, AuditOutcome::Success, channel.detail())
        .await?;
    write(cx, actor, viewer, e, channel).await
}

/// Record (or record again: the draft id is the key, so a resubmitted draft saves once) an
/// encounter from the field form, in the partner's own field-form source system, and send the
/// closed-loop referral to the inventory's service `refer_to` chosen with it (once per draft).
/// The person's identifiers typed with it become its person key, as the partner's imports make
/// it ([`person_namespace`]); they are kept nowhere. Refused, each problem naming its field and
/// nothing saved: a date after today (the store's clock), a blank form
/// ([`pmhc_core::field_form::submission_problems`]), identifiers that cannot be a person's
/// ([`PersonIdentifiers::identity`]).
#[allow(clippy::too_many_arguments)]
pub async fn record_field_form(
    cx: &ServiceContext,
    actor: &Actor,
    by: Acting<'_>,
    viewer: &Viewer,
    mut e: Encounter,
    person: &PersonIdentifiers,
    refer_to: Option<i64>,
) -> Result<Encounter, ServiceError> {
    by.require(Permission::EditEncounters)?;
    let today = cx.clock().local_today();
    e.subject_key = None;
    let mut person_problems = Vec::new();
    match person.identity(today) {
        Err(more) => person_problems = more,
        Ok(Some(_)) => e.subject_key = person_key(cx, viewer.partner, person).await?,
        Ok(None) => {}
    }
    // A person is content: a form with only the date and the person records an encounter with them.
    let mut problems = pmhc_core::field_form::submission_problems(&e, today, refer_to.is_some() || e.subject_key.is_some());
    problems.extend(person_problems);
    if !problems.is_empty() {
        return Err(ServiceError::InvalidFields(problems));
    }
    e.source_system = field_source(viewer.partner);
    let e = validated(e)?;
    audit::record(cx, actor, AuditAction::Create, format!("encounter:{}/{}", e.source_system, e.source_key), ENCOUNTER_GROUPS, AuditOutcome::Success, Channel::FieldForm.detail())
        .await?;
    let saved = write(cx, actor, viewer, e, Channel::FieldForm).await?;
    if let Some(service) = refer_to {
        // A draft sent twice refers once.
        let sent = pmhc_core::services::ReferralState::Sent;
        crate::referrals::make_once(cx, actor, by, viewer, &saved.source_system, &saved.source_key, service, sent).await?;
    }
    Ok(saved)
}

/// Replace an existing encounter the viewer's partner owns (the keys given win over those in the
/// record; an edit is newer than whatever the source said last). A record the viewer may not see
/// is as absent as one that does not exist. The person's identifiers, when given, become its
/// person key.
#[allow(clippy::too_many_arguments)]
pub async fn replace(
    cx: &ServiceContext,
    actor: &Actor,
    by: Acting<'_>,
    viewer: &Viewer,
    system: &str,
    key: &str,
    e: Encounter,
    person: &PersonIdentifiers,
) -> Result<Encounter, ServiceError> {
    by.require(Permission::EditEncounters)?;
    let Some(existing) = sharing::get_encounter(cx, viewer, system, key).await? else {
        return Err(ServiceError::NotFound(format!("there is no encounter {system}/{key}; create it with POST")));
    };
    // Only the owning partner changes a record (another partner sees it through an agreement).
    if !existing.own() {
        return Err(ServiceError::ForeignRecord(system.to_string()));
    }
    let mut e = with_person(cx, viewer, e, person).await?;
    e.source_system = system.to_string();
    e.source_key = key.to_string();
    e.source_updated_at = None;
    let e = validated(e)?;
    audit::record(cx, actor, AuditAction::Change, format!("encounter:{system}/{key}"), ENCOUNTER_GROUPS, AuditOutcome::Success, Channel::Api.detail()).await?;
    write(cx, actor, viewer, e, Channel::Api).await
}

/// A field-form record of the viewer's own partner, for the field form to edit: only its own
/// partner's users may (a record of another partner, or one not entered on the field form, is
/// refused; one the viewer may not see is as absent as one that does not exist).
async fn own_field_record(cx: &ServiceContext, viewer: &Viewer, key: &str) -> Result<Encounter, ServiceError> {
    let system = field_source(viewer.partner);
    match sharing::get_encounter(cx, viewer, &system, key).await? {
        Some(r) if r.own() => Ok(r.encounter),
        Some(_) => Err(ServiceError::ForeignRecord(system)),
        None => Err(ServiceError::NotFound(format!("there is no field-form encounter {key} of your partner"))),
    }
}

/// Complete or correct a saved field-form encounter (`key`: its draft id) from the field form:
/// its own partner's users who use the field form (officers, clinicians…), no one else's. The
/// record is replaced by the form as submitted, checked as a new one is (a date after today, a
/// blank form, the identifiers), except that without identifiers it keeps its person key (they
/// are not stored, so the form cannot show them). Audited as a change; the version before stays
/// in its history ([`versions`]).
#[allow(clippy::too_many_arguments)]
pub async fn edit_field_form(
    cx: &ServiceContext,
    actor: &Actor,
    by: Acting<'_>,
    viewer: &Viewer,
    key: &str,
    mut e: Encounter,
    person: &PersonIdentifiers,
) -> Result<Encounter, ServiceError> {
    by.require(Permission::EditEncounters)?;
    let existing = own_field_record(cx, viewer, key).await?;
    let today = cx.clock().local_today();
    e.subject_key = existing.subject_key.clone();
    let mut person_problems = Vec::new();
    match person.identity(today) {
        Err(more) => person_problems = more,
        Ok(Some(_)) => e.subject_key = person_key(cx, viewer.partner, person).await?,
        Ok(None) => {}
    }
    let mut problems = pmhc_core::field_form::submission_problems(&e, today, e.subject_key.is_some());
    problems.extend(person_problems);
    if !problems.is_empty() {
        return Err(ServiceError::InvalidFields(problems));
    }
    e.source_system = existing.source_system;
    e.source_key = existing.source_key;
    e.source_updated_at = None;
    let e = validated(e)?;
    audit::record(cx, actor, AuditAction::Change, format!("encounter:{}/{}", e.source_system, e.source_key), ENCOUNTER_GROUPS, AuditOutcome::Success, Channel::FieldFormEdit.detail())
        .await?;
    write(cx, actor, viewer, e, Channel::FieldFormEdit).await
}

/// The versions of one of the viewer's own partner's records, the first first (each as saved: the
/// person only as its key), read as a view of the record (audited). Records only ever imported
/// have none.
pub async fn versions(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, viewer: &Viewer, system: &str, key: &str) -> Result<Vec<EncounterVersion>, ServiceError> {
    by.require(Permission::ViewEncounters)?;
    match sharing::get_encounter(cx, viewer, system, key).await? {
        Some(r) if r.own() => {}
        Some(_) => return Err(ServiceError::ForeignRecord(system.to_string())),
        None => return Err(ServiceError::NotFound(format!("there is no encounter {system}/{key}"))),
    }
    audit::record(cx, actor, AuditAction::View, format!("encounter:{system}/{key}"), ENCOUNTER_GROUPS, AuditOutcome::Success, "versions").await?;
    Ok(cx.store().encounter_versions(system, key).await?)
}

/// A field-form record of the viewer's own partner as the edit form shows it (read as a view of
/// the record: audited); refused as [`edit_field_form`] refuses.
pub async fn field_record_to_edit(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, viewer: &Viewer, key: &str) -> Result<Encounter, ServiceError> {
    by.require(Permission::EditEncounters)?;
    let e = own_field_record(cx, viewer, key).await?;
    audit::record(cx, actor, AuditAction::View, format!("encounter:{}/{}", e.source_system, e.source_key), ENCOUNTER_GROUPS, AuditOutcome::Success, "field form edit")
        .await?;
    Ok(e)
}
