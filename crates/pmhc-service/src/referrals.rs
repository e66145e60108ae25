//! Closed-loop referrals between partners: the referring partner (the owner of the encounter)
//! makes, sends, cancels or records a person's refusal; the receiving provider (the partner
//! offering the service) accepts, turns away with a reason, and confirms the connection and the
//! completion. Both see the referral and its history; nobody else does.

use pmhc_core::services::{ReferralState, Service, TurnAwayReason};
use pmhc_core::sharing::PartnerId;
use pmhc_store::{ReferralEvent, ReferralRecord, Store};

use crate::ServiceError;
use crate::sharing::Viewer;
use crate::ServiceContext;

/// A referral with its service, its two parties and its history.
#[derive(Debug, Clone)]
pub struct ReferralView {
    pub referral: ReferralRecord,
    pub service: Service,
    /// The partner that referred (owns the encounter).
    pub referrer: PartnerId,
    pub events: Vec<ReferralEvent>,
}

impl ReferralView {
    /// The moves this viewer may make now.
    pub fn moves_for(&self, partner: PartnerId) -> Vec<ReferralState> {
        ReferralState::ALL
            .iter()
            .copied()
            .filter(|t| self.referral.state.can_move_to(*t))
            .filter(|t| if t.by_provider() { partner == self.service.provider } else { partner == self.referrer })
            .collect()
    }
}

/// What views of several referrals share: the services and the owners of source systems, read
/// once (not once per referral).
struct Lookup {
    services: Vec<Service>,
    owners: Vec<(String, PartnerId)>,
}

impl Lookup {
    async fn read(store: &Store) -> Result<Lookup, ServiceError> {
        Ok(Lookup { services: store.list_services().await?, owners: store.source_system_owners().await? })
    }

    async fn view(&self, store: &Store, r: ReferralRecord) -> Result<ReferralView, ServiceError> {
        let service = self
            .services
            .iter()
            .find(|s| s.id == r.service_id)
            .cloned()
            .ok_or_else(|| ServiceError::Internal(format!("referral #{} names a missing service", r.id)))?;
        let referrer = self.owners.iter().find(|(s, _)| *s == r.source_system).map(|(_, p)| *p).unwrap_or_default();
        let events = store.referral_events(r.id).await?;
        Ok(ReferralView { referral: r, service, referrer, events })
    }
}

async fn view(store: &Store, r: ReferralRecord) -> Result<ReferralView, ServiceError> {
    Lookup::read(store).await?.view(store, r).await
}

/// A referral the viewer's partner is a party to (`None` otherwise, as if it did not exist).
pub async fn get(cx: &ServiceContext, viewer: &Viewer, id: i64) -> Result<Option<ReferralView>, ServiceError> {
    let store = cx.store();
    let Some(r) = store.referral(id).await? else { return Ok(None) };
    let v = view(store, r).await?;
    Ok((v.referrer == viewer.partner || v.service.provider == viewer.partner).then_some(v))
}

/// Which of the viewer's partner's referrals a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferralQuery {
    pub state: Option<ReferralState>,
    pub service: Option<i64>,
    /// `Some(true)`: only those sent to the partner's services; `Some(false)`: only those it made.
    pub incoming: Option<bool>,
    /// Only those with this partner on the other side: the provider of a referral the viewer's
    /// partner made, or the referrer of one sent to it.
    pub partner: Option<PartnerId>,
    /// Made on or after / on or before (UTC days).
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    pub offset: u64,
    /// At most this many (with their histories).
    pub limit: u32,
}

/// One page of the referrals the viewer's partner is a party to, newest first, and how many match
/// in all. Only the page's referrals are read with their histories.
pub async fn page(cx: &ServiceContext, viewer: &Viewer, q: &ReferralQuery) -> Result<(Vec<ReferralView>, u64), ServiceError> {
    let store = cx.store();
    let lookup = Lookup::read(store).await?;
    let provider_of = |r: &ReferralRecord| lookup.services.iter().find(|s| s.id == r.service_id).map(|s| s.provider);
    let matching: Vec<ReferralRecord> = store
        .referrals_for_partner(viewer.partner, u32::MAX)
        .await?
        .into_iter()
        .filter(|r| q.state.is_none_or(|s| r.state == s))
        .filter(|r| q.service.is_none_or(|s| r.service_id == s))
        .filter(|r| q.incoming.is_none_or(|i| (provider_of(r) == Some(viewer.partner)) == i))
        .filter(|r| {
            q.partner.is_none_or(|p| {
                let referrer = lookup.owners.iter().find(|(s, _)| *s == r.source_system).map(|(_, o)| *o).unwrap_or_default();
                let provider = provider_of(r).unwrap_or_default();
                // The other side of the referral: whichever party is not the viewer's partner.
                if provider == viewer.partner { referrer == p } else { provider == p }
            })
        })
        .filter(|r| q.from.is_none_or(|d| r.created_at.date_naive() >= d))
        .filter(|r| q.to.is_none_or(|d| r.created_at.date_naive() <= d))
        .collect();
    let total = matching.len() as u64;
    let mut out = Vec::new();
    for r in matching.into_iter().skip(usize::try_from(q.offset).unwrap_or(usize::MAX)).take(q.limit as usize) {
        out.push(lookup.view(store, r).await?);
    }
    Ok((out, total))
}

/// The referrals the viewer's partner is a party to, newest first.
pub async fn list(cx: &ServiceContext, viewer: &Viewer, limit: u32) -> Result<Vec<ReferralView>, ServiceError> {
    let store = cx.store();
    let lookup = Lookup::read(store).await?;
    let mut out = Vec::new();
    for r in store.referrals_for_partner(viewer.partner, limit).await? {
        out.push(lookup.view(store, r).await?);
    }
    Ok(out)
}

/// Refer one of the viewer's partner's encounters to a service (sent, or proposed to send later).
/// Audited before it is made; the outcome cache is refreshed.
#[allow(clippy::too_many_arguments)]
pub async fn make(
    cx: &ServiceContext,
    actor: &crate::audit::Actor,
    by: crate::Acting<'_>,
    viewer: &Viewer,
    source_system: &str,
    source_key: &str,
    service_id: i64,
    state: ReferralState,
) -> Result<ReferralView, ServiceError> {
    let store = cx.store();
    by.require(pmhc_core::access::Permission::EditEncounters)?;
    let own = crate::sharing::get_encounter(cx, viewer, source_system, source_key).await?.filter(|e| e.own());
    if own.is_none() {
        return Err(ServiceError::Invalid(format!(
            "encounter {source_system}/{source_key} is not one of your partner's: only the partner that holds an encounter refers from it"
        )));
    }
    if store.service(service_id).await?.is_none() {
        return Err(ServiceError::Invalid(format!("there is no service #{service_id} (see the resource guide)")));
    }
    crate::audit::record(
        cx,
        actor,
        pmhc_core::audit::AuditAction::Create,
        format!("referral:{source_system}/{source_key}"),
        &[],
        pmhc_core::audit::AuditOutcome::Success,
        format!("to service {service_id}"),
    )
    .await?;
    let r = store.create_referral(source_system, source_key, service_id, state, &viewer.username, viewer.partner).await?;
    cx.outcomes().invalidate().await;
    view(store, r).await
}

/// [`make`], unless the encounter was referred to that service already (a form sent twice refers
/// once): `None` then.
#[allow(clippy::too_many_arguments)]
pub async fn make_once(
    cx: &ServiceContext,
    actor: &crate::audit::Actor,
    by: crate::Acting<'_>,
    viewer: &Viewer,
    source_system: &str,
    source_key: &str,
    service_id: i64,
    state: ReferralState,
) -> Result<Option<ReferralView>, ServiceError> {
    let already = cx.store().referrals_of(source_system, source_key).await?;
    if already.iter().any(|r| r.service_id == service_id) {
        return Ok(None);
    }
    Ok(Some(make(cx, actor, by, viewer, source_system, source_key, service_id, state).await?))
}

/// Move a referral, if the viewer's partner is the party that makes that move (`Conflict`
/// otherwise, and for a move the referral's state does not allow). A referral the viewer's
/// partner is no party to is as absent as one that does not exist. Audited before the move.
#[allow(clippy::too_many_arguments)]
pub async fn advance(
    cx: &ServiceContext,
    actor: &crate::audit::Actor,
    by: crate::Acting<'_>,
    viewer: &Viewer,
    id: i64,
    to: ReferralState,
    reason: Option<TurnAwayReason>,
) -> Result<ReferralView, ServiceError> {
    let store = cx.store();
    by.require(pmhc_core::access::Permission::EditEncounters)?;
    let v = get(cx, viewer, id).await?.ok_or_else(|| ServiceError::NotFound(format!("there is no referral #{id}")))?;
    let by_provider = to.by_provider();
    if by_provider && viewer.partner != v.service.provider {
        return Err(ServiceError::Conflict(format!("only the provider ({}'s partner) marks a referral {}", v.service.name, to.label())));
    }
    if !by_provider && viewer.partner != v.referrer {
        return Err(ServiceError::Conflict(format!("only the referring partner marks a referral {}", to.label())));
    }
    crate::audit::record(cx, actor, pmhc_core::audit::AuditAction::Change, format!("referral:{id}"), &[], pmhc_core::audit::AuditOutcome::Success, format!("to {to}"))
        .await?;
    let r = store.move_referral(id, to, reason, &viewer.username, viewer.partner).await.map_err(|e| match e {
        pmhc_store::StoreError::Invalid(m) => ServiceError::Conflict(m),
        other => other.into(),
    })?;
    cx.outcomes().invalidate().await;
    view(store, r).await
}

/// Every referral as the operator exports it (no partner narrowing: the CLI's export).
pub async fn all(cx: &ServiceContext) -> Result<Vec<ReferralView>, ServiceError> {
    let store = cx.store();
    let lookup = Lookup::read(store).await?;
    let mut out = Vec::new();
    for r in store.list_referrals().await? {
        out.push(lookup.view(store, r).await?);
    }
    Ok(out)
}

/// The FHIR R4 `Task.status` of a state.
fn task_status(s: ReferralState) -> &'static str {
    match s {
        ReferralState::Proposed => "draft",
        ReferralState::Sent => "requested",
        ReferralState::Accepted => "accepted",
        ReferralState::Connected => "in-progress",
        ReferralState::Completed => "completed",
        ReferralState::TurnedAway => "rejected",
        ReferralState::Declined | ReferralState::Cancelled => "cancelled",
    }
}

/// The FHIR R4 `ServiceRequest.status` of a state.
fn request_status(s: ReferralState) -> &'static str {
    match s {
        ReferralState::Proposed => "draft",
        ReferralState::Sent | ReferralState::Accepted | ReferralState::Connected => "active",
        ReferralState::Completed => "completed",
        ReferralState::TurnedAway | ReferralState::Declined | ReferralState::Cancelled => "revoked",
    }
}

/// Referrals as a FHIR R4 Bundle (type `collection`) of ServiceRequest and Task resources, the
/// pattern used for social-care referrals: the ServiceRequest is what was asked of whom, the Task
/// its progress. The person appears only as the pseudonymous subject key (an identifier), the
/// partners as organisations by name. `subjects[i]` is the subject key of `referrals[i]`'s encounter.
pub fn fhir_bundle(
    referrals: &[ReferralView],
    subjects: &[Option<String>],
    partners: &[pmhc_core::sharing::Partner],
    generated_at: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    use serde_json::json;
    let org = |id: PartnerId| {
        let name = partners.iter().find(|p| p.id == id).map_or_else(|| format!("partner {id}"), |p| p.name.clone());
        json!({"identifier": {"system": "urn:pmhc:partner", "value": id.to_string()}, "display": name})
    };
    let mut entries = Vec::new();
    for (v, subject) in referrals.iter().zip(subjects) {
        let r = &v.referral;
        let sr_id = format!("sr-{}", r.id);
        let who = subject.as_ref().map(|s| json!({"identifier": {"system": "urn:pmhc:subject", "value": s}}));
        let mut request = json!({
            "resourceType": "ServiceRequest",
            "id": sr_id,
            "identifier": [{"system": "urn:pmhc:referral", "value": r.id.to_string()}],
            "status": request_status(r.state),
            "intent": "order",
            "category": [{"text": v.service.kind.label()}],
            "code": {"text": format!("Referral to {}", v.service.name)},
            "authoredOn": r.created_at.to_rfc3339(),
            "requester": org(v.referrer),
            "performer": [org(v.service.provider)],
            "supportingInfo": [{"identifier": {"system": format!("urn:pmhc:encounter:{}", r.source_system), "value": r.source_key}, "display": "The encounter the referral was made from"}],
            "note": [{"text": format!("Service: {} (Sequential Intercept Model intercept {})", v.service.name, v.service.intercept.number())}],
        });
        if let Some(w) = &who {
            request["subject"] = w.clone();
        } else {
            request["subject"] = json!({"display": "unknown person"});
        }
        let mut task = json!({
            "resourceType": "Task",
            "id": format!("task-{}", r.id),
            "identifier": [{"system": "urn:pmhc:referral", "value": r.id.to_string()}],
            "basedOn": [{"reference": format!("ServiceRequest/{sr_id}")}],
            "status": task_status(r.state),
            "intent": "order",
            "focus": {"reference": format!("ServiceRequest/{sr_id}")},
            "authoredOn": r.created_at.to_rfc3339(),
            "lastModified": r.updated_at.to_rfc3339(),
            "requester": org(v.referrer),
            "owner": org(v.service.provider),
            "businessStatus": {"text": r.state.label()},
        });
        if let Some(w) = who {
            task["for"] = w;
        }
        if let Some(reason) = r.reason {
            task["statusReason"] = json!({"text": reason.label()});
        } else if r.state == ReferralState::Declined {
            task["statusReason"] = json!({"text": "Declined by the person"});
        }
        entries.push(json!({"fullUrl": format!("urn:pmhc:ServiceRequest/{sr_id}"), "resource": request}));
        entries.push(json!({"fullUrl": format!("urn:pmhc:Task/task-{}", r.id), "resource": task}));
    }
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": generated_at.to_rfc3339(),
        "entry": entries,
    })
}
