//! Record access through partners, agreements and consents: every page, API call and export of
//! encounter records goes through here, so the rule of [`pmhc_core::sharing`] is applied once.

use chrono::NaiveDate;
use pmhc_core::Encounter;
use pmhc_core::registry::SensitiveValues;
use pmhc_core::sharing::{Consent, FieldGroup, FieldGroups, PartnerId, REDISCLOSURE_NOTICE, SharingView, groups_searched, withhold};
use pmhc_store::{DisclosureRecord, EncounterFilter, Store, User};

use crate::{ServiceContext, ServiceError};

/// A user as the sharing rule sees them: their partner and the agreements in force today.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub username: String,
    pub partner: PartnerId,
    pub view: SharingView,
    /// The values that reveal substance use (the built-in words and the definitions' own).
    pub sensitive: SensitiveValues,
}

impl Viewer {
    /// The viewer for `user` on `day` (the agreements are read afresh: an agreement that
    /// expired yesterday shares nothing today).
    pub async fn of(cx: &ServiceContext, user: &User, day: NaiveDate) -> Result<Viewer, ServiceError> {
        let store = cx.store();
        let agreements = store.list_agreements().await?;
        let sensitive = store.current_definition().await?.definition.disclosure.sensitive_values();
        Ok(Viewer {
            username: user.username.clone(),
            partner: user.partner,
            view: SharingView::new(user.partner, &agreements, day),
            sensitive,
        })
    }

    /// Today's viewer (the store's clock, UTC).
    pub async fn today(cx: &ServiceContext, user: &User) -> Result<Viewer, ServiceError> {
        Self::of(cx, user, cx.clock().today()).await
    }
}

/// An encounter as one viewer may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedEncounter {
    /// With every field of a withheld group blanked.
    pub encounter: Encounter,
    pub owner: PartnerId,
    /// The groups shown.
    pub groups: FieldGroups,
    /// The agreements the record comes through (empty for the viewer's own).
    pub agreements: Vec<i64>,
    /// The consent under which substance-use details of another partner are shown.
    pub consent: Option<Consent>,
}

impl SharedEncounter {
    /// The groups not shown.
    pub fn withheld(&self) -> FieldGroups {
        self.groups.complement()
    }
    /// The viewer's partner owns the record.
    pub fn own(&self) -> bool {
        self.agreements.is_empty()
    }
    /// The re-disclosure notice this record carries (when substance-use details come under
    /// consent).
    pub fn notice(&self) -> Option<&'static str> {
        self.consent.as_ref().map(|_| REDISCLOSURE_NOTICE)
    }
}

/// The filter narrowed to the partners whose records the viewer may see *and* search on the
/// filter's fields (a search on a withheld group must not match, or it would disclose it).
pub fn visible_filter(viewer: &Viewer, filter: &EncounterFilter) -> EncounterFilter {
    let searched = groups_searched(
        filter.precinct.is_some(),
        filter.response_model.is_some() || filter.disposition.is_some(),
        filter.subject_key.is_some(),
    );
    let allowed = if searched.is_empty() { viewer.view.visible_owners() } else { viewer.view.owners_sharing(searched) };
    let partners = match &filter.partners {
        Some(asked) => allowed.into_iter().filter(|p| asked.contains(p)).collect(),
        None => allowed,
    };
    EncounterFilter { partners: Some(partners), ..filter.clone() }
}

/// Apply the rule to stored encounters (owners and consents looked up once for all).
async fn share(store: &Store, viewer: &Viewer, raw: Vec<Encounter>) -> Result<Vec<SharedEncounter>, ServiceError> {
    let owners = store.source_system_owners().await?;
    let owner_of = |e: &Encounter| owners.iter().find(|(s, _)| *s == e.source_system).map(|(_, p)| *p);
    // Consents matter only for other partners' records with a subject.
    let subjects: Vec<&str> = raw
        .iter()
        .filter(|e| owner_of(e).is_some_and(|o| o != viewer.partner))
        .filter_map(|e| e.subject_key.as_deref())
        .collect();
    let consents = store.consents_to(viewer.partner, &subjects).await?;
    let mut out = Vec::with_capacity(raw.len());
    for mut e in raw {
        // A record whose source system has no owner is shown to no one (it cannot happen
        // through the store, which claims every source system it writes).
        let Some(owner) = owner_of(&e) else { continue };
        let d = viewer.view.disclose(owner, e.subject_key.as_deref(), &consents);
        if !d.visible() {
            continue;
        }
        withhold(&mut e, d.groups, &viewer.sensitive);
        out.push(SharedEncounter { encounter: e, owner, groups: d.groups, agreements: d.agreements, consent: d.consent });
    }
    Ok(out)
}

/// The encounters the viewer may see, matching the filter, most recent first.
pub async fn list_encounters(
    cx: &ServiceContext,
    viewer: &Viewer,
    filter: &EncounterFilter,
    limit: u32,
    offset: u64,
) -> Result<Vec<SharedEncounter>, ServiceError> {
    let store = cx.store();
    let raw = store.list_encounters(&visible_filter(viewer, filter), limit, offset).await?;
    share(store, viewer, raw).await
}

/// How many encounters the viewer may see match the filter.
pub async fn count_encounters(cx: &ServiceContext, viewer: &Viewer, filter: &EncounterFilter) -> Result<u64, ServiceError> {
    Ok(cx.store().count_encounters(&visible_filter(viewer, filter)).await?)
}

/// One encounter, if it exists and the viewer may see it (`None` otherwise: a record of a
/// partner without an agreement is as absent as one that does not exist).
pub async fn get_encounter(cx: &ServiceContext, viewer: &Viewer, system: &str, key: &str) -> Result<Option<SharedEncounter>, ServiceError> {
    let store = cx.store();
    let Some(e) = store.get_encounter(system, key).await? else { return Ok(None) };
    Ok(share(store, viewer, vec![e]).await?.pop())
}

/// Whether the viewer's partner may change this record (it owns the record's source system, or
/// nobody does yet).
pub async fn may_write(cx: &ServiceContext, viewer: &Viewer, system: &str) -> Result<bool, ServiceError> {
    Ok(cx.store().owner_of_source(system).await?.is_none_or(|o| o == viewer.partner))
}

/// Enter the disclosures of substance-use details under consent into the accounting.
pub async fn account(cx: &ServiceContext, viewer: &Viewer, channel: &str, records: &[SharedEncounter]) -> Result<(), ServiceError> {
    let store = cx.store();
    // A record of what was disclosed when, like the audit trail: the real time.
    let now = pmhc_store::clock::real_now();
    let rows: Vec<DisclosureRecord> = records
        .iter()
        .filter(|r| r.groups.contains(FieldGroup::SubstanceUseDetails))
        .filter_map(|r| {
            let c = r.consent.as_ref()?;
            Some(DisclosureRecord {
                consent_id: c.id,
                subject_key: c.subject_key.clone(),
                discloser: r.owner,
                recipient: viewer.partner,
                purpose: c.purpose,
                username: viewer.username.clone(),
                channel: channel.to_string(),
                source_system: r.encounter.source_system.clone(),
                source_key: r.encounter.source_key.clone(),
                disclosed_at: now,
            })
        })
        .collect();
    Ok(store.record_disclosures(&rows).await?)
}

/// How long the accounting of disclosures is kept and shown (42 CFR 2.24: three years).
pub const ACCOUNTING_YEARS: i64 = 3;

/// The accounting of disclosures of one person's records for the last three years (those who
/// manage consents), its reading audited: the disclosures `by`'s partner made or received (the
/// operator: all).
pub async fn accounting(cx: &ServiceContext, actor: &crate::audit::Actor, by: crate::Acting<'_>, subject: &str) -> Result<Vec<DisclosureRecord>, ServiceError> {
    by.require(pmhc_core::access::Permission::ManageConsents)?;
    let store = cx.store();
    // The accounting's entries carry the real time, so its window is counted in real time.
    let since = pmhc_store::clock::real_now() - chrono::Duration::days(365 * ACCOUNTING_YEARS + 1);
    let rows = store.list_disclosures(subject, since).await?;
    crate::audit::record(
        cx,
        actor,
        pmhc_core::audit::AuditAction::View,
        format!("accounting:{subject}"),
        &["subject_identity"],
        pmhc_core::audit::AuditOutcome::Success,
        format!("{} disclosures", rows.len()),
    )
    .await?;
    let mine = by.partner();
    Ok(rows.into_iter().filter(|d| mine.is_none_or(|p| d.discloser == p || d.recipient == p)).collect())
}

// --- Disclosure: read, audit, account, as one operation -----------------------------------------

/// Records that may now be shown or sent. A value of this type is made only here, and only after
/// the audit entry (with the field groups actually disclosed) and the accounting of consented
/// disclosures are written: a front end that holds one has done both.
#[derive(Debug)]
pub struct Disclosed<T>(T);

impl<T> Disclosed<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: serde::Serialize> serde::Serialize for Disclosed<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<T> std::ops::Deref for Disclosed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// How a disclosure is recorded: by whom, through which channel (`page`, `api`, `export`, `cli`)
/// with which action and object (the record, or the search), and a detail (`None`: "N records").
pub struct Disclosure<'a> {
    pub actor: &'a crate::audit::Actor,
    pub channel: &'static str,
    pub action: pmhc_core::audit::AuditAction,
    pub object: String,
    pub detail: Option<String>,
}

/// The field groups the records disclose (the union over them).
pub fn disclosed_groups(items: &[SharedEncounter]) -> Vec<&'static str> {
    items.iter().fold(FieldGroups::NONE, |a, r| a.union(r.groups)).names()
}

async fn disclose(cx: &ServiceContext, viewer: &Viewer, d: Disclosure<'_>, items: Vec<SharedEncounter>) -> Result<Disclosed<Vec<SharedEncounter>>, ServiceError> {
    let detail = d.detail.unwrap_or_else(|| format!("{} records", items.len()));
    crate::audit::record(cx, d.actor, d.action, d.object, &disclosed_groups(&items), pmhc_core::audit::AuditOutcome::Success, detail).await?;
    account(cx, viewer, d.channel, &items).await?;
    Ok(Disclosed(items))
}

/// A page of the encounters the viewer may see (see [`list_encounters`]), disclosed.
pub async fn disclose_list(
    cx: &ServiceContext,
    viewer: &Viewer,
    d: Disclosure<'_>,
    filter: &EncounterFilter,
    limit: u32,
    offset: u64,
) -> Result<Disclosed<Vec<SharedEncounter>>, ServiceError> {
    let items = list_encounters(cx, viewer, filter, limit, offset).await?;
    disclose(cx, viewer, d, items).await
}

/// Every encounter the viewer may see matching the filter, up to `max`, read in chunks (an
/// export), disclosed.
pub async fn disclose_all(cx: &ServiceContext, viewer: &Viewer, d: Disclosure<'_>, filter: &EncounterFilter, max: u64) -> Result<Disclosed<Vec<SharedEncounter>>, ServiceError> {
    const CHUNK: u32 = 5_000;
    let mut rows = Vec::new();
    let mut offset = 0u64;
    loop {
        let chunk = list_encounters(cx, viewer, filter, CHUNK, offset).await?;
        offset += u64::from(CHUNK);
        let done = chunk.len() < CHUNK as usize;
        rows.extend(chunk);
        if done || offset >= max {
            break;
        }
    }
    disclose(cx, viewer, d, rows).await
}

/// One encounter, if the viewer may see it, disclosed (`None`: absent or not shared — nothing is
/// recorded here; the refusal is the front end's to audit).
pub async fn disclose_one(cx: &ServiceContext, viewer: &Viewer, d: Disclosure<'_>, system: &str, key: &str) -> Result<Option<Disclosed<SharedEncounter>>, ServiceError> {
    let Some(r) = get_encounter(cx, viewer, system, key).await? else { return Ok(None) };
    let mut v = disclose(cx, viewer, d, vec![r]).await?.into_inner();
    Ok(v.pop().map(Disclosed))
}

/// The installation's operator (the `pmhc` command, with the database itself): every record,
/// every field group, audited as such.
pub async fn operator_list(
    cx: &ServiceContext,
    actor: &crate::audit::Actor,
    object: String,
    filter: &EncounterFilter,
    limit: u32,
    offset: u64,
) -> Result<Disclosed<Vec<Encounter>>, ServiceError> {
    let store = cx.store();
    let rows = store.list_encounters(filter, limit, offset).await?;
    crate::audit::record(cx, actor, pmhc_core::audit::AuditAction::View, object, crate::audit::ENCOUNTER_GROUPS, pmhc_core::audit::AuditOutcome::Success, format!("{} records", rows.len()))
        .await?;
    Ok(Disclosed(rows))
}

/// One record for the operator (see [`operator_list`]).
pub async fn operator_one(cx: &ServiceContext, actor: &crate::audit::Actor, system: &str, key: &str) -> Result<Option<Disclosed<Encounter>>, ServiceError> {
    let store = cx.store();
    let Some(e) = store.get_encounter(system, key).await? else { return Ok(None) };
    crate::audit::record(
        cx,
        actor,
        pmhc_core::audit::AuditAction::View,
        format!("encounter:{system}/{key}"),
        crate::audit::ENCOUNTER_GROUPS,
        pmhc_core::audit::AuditOutcome::Success,
        "",
    )
    .await?;
    Ok(Some(Disclosed(e)))
}

/// A source system the viewer may see records of, named for people: its id (what filters and
/// keys use) and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceChoice {
    pub system: String,
    pub description: String,
}

/// The source systems of the partners whose records the viewer sees (their own and those shared
/// with them by an agreement in force): each import's source with its mapping's description, and
/// the field forms of those partners.
pub async fn source_choices(cx: &ServiceContext, viewer: &Viewer) -> Result<Vec<SourceChoice>, ServiceError> {
    let owners = viewer.view.visible_owners();
    let mut out: Vec<SourceChoice> = Vec::new();
    for (partner, system, mapping) in cx.store().import_sources().await? {
        if !owners.contains(&partner) || out.iter().any(|c| c.system == system) {
            continue;
        }
        let description = match pmhc_import::shipped::shipped(&mapping) {
            Some(Ok(spec)) => spec.source.description.clone(),
            _ if mapping == "demo" => "Synthetic demo encounters (pmhc demo)".to_string(),
            _ => format!("imported through the mapping “{mapping}”"),
        };
        out.push(SourceChoice { system, description });
    }
    let partners = cx.store().list_partners().await?;
    for partner in owners {
        let system = pmhc_core::field_form::field_source(partner);
        if !out.iter().any(|c| c.system == system) {
            let name = partners.iter().find(|p| p.id == partner).map_or_else(|| format!("partner {partner}"), |p| p.name.clone());
            out.push(SourceChoice { description: format!("Entered on the field form ({name})"), system });
        }
    }
    Ok(out)
}
