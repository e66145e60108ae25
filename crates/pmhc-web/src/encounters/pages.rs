//! The encounter pages: the list with its filters, the CSV export, the record page and the field
//! form.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pmhc_core::access::Permission;
use pmhc_core::audit::AuditAction;
use pmhc_core::{CodeList, Disposition, Encounter, ResponseModel, field_form};
use pmhc_service::Acting;
use pmhc_service::sharing;
use serde::Deserialize;

use super::api::EncounterQuery;
use crate::filters;
use crate::auth::{Auth, Principal};
use crate::error::PageError;
use crate::extract::offset_param;
use crate::present::{Nav, csv_download, page, page_link, path_segment};
use crate::{AppError, AppState};

#[derive(Default)]
pub struct EncounterFilterForm {
    pub from: String,
    pub to: String,
    pub precinct: String,
}

pub struct EncounterRow {
    pub date: String,
    pub href: String,
    pub source: String,
    pub key: String,
    pub area: String,
    pub call_type: String,
    pub response: String,
    pub disposition: String,
    pub force: String,
}

#[derive(Template)]
#[template(path = "encounters.html")]
pub struct Encounters {
    pub nav: Nav,
    pub f: EncounterFilterForm,
    pub dispositions: Vec<(String, String, bool)>,
    pub models: Vec<(String, String, bool)>,
    /// The source systems the viewer sees: (id, what it is, chosen).
    pub sources: Vec<(String, String, bool)>,
    /// The precincts of the data, offered as the precinct is typed.
    pub precincts: Vec<String>,
    pub rows: Vec<EncounterRow>,
    pub total: u64,
    pub first: u64,
    pub last: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The same filters as a CSV export.
    pub csv_href: String,
}

#[derive(Template)]
#[template(path = "encounter.html")]
pub struct EncounterView {
    pub nav: Nav,
    pub source: String,
    pub key: String,
    pub fields: Vec<(&'static str, String)>,
    pub json_href: String,
    pub saved: Option<String>,
    /// The partner the record belongs to.
    pub owner: String,
    /// The field groups withheld (empty when none).
    pub withheld: String,
    pub consent_scope: Option<String>,
    pub notice: Option<&'static str>,
    /// The person key of the record just saved ("not recorded" without one): what the page
    /// after saving shows of the person, never the identifiers typed.
    pub saved_person: Option<String>,
    /// The field form's address to complete or correct the record, for its own partner's users.
    pub edit_href: Option<String>,
    /// The versions kept (own records saved one at a time): number, when, who, how, what changed.
    pub versions: Vec<(i64, String, String, String, String)>,
}

pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub required: bool,
    pub help: &'static str,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub error: Option<String>,
    /// A person's identifier (not stored; the browser is asked not to remember it).
    pub identifier: bool,
}

pub struct FormValues {
    pub draft_id: String,
}

/// A new encounter, or a saved one completed or corrected later.
pub enum FormMode {
    New,
    Edit { href: String, person_key: Option<String> },
}

#[derive(Template)]
#[template(path = "encounter_form.html")]
pub struct EncounterForm {
    pub nav: Nav,
    pub v: FormValues,
    pub fields: Vec<FormField>,
    /// The problems, each `(field id to link to, or empty; what the field is called; message)`.
    pub errors: Vec<(String, String, String)>,
    /// The services a referral can be sent to: id, name (and provider), chosen.
    pub services: Vec<(i64, String, bool)>,
    /// Where the form is sent.
    pub action: String,
    /// Where the draft is kept on the device (`localStorage`), one per record.
    pub draft_key: String,
    /// Editing a saved record: its page, and its person key ("not recorded" without one).
    pub editing: Option<(String, String)>,
}

const PAGE_SIZE: u32 = 50;

pub(super) async fn encounters(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<EncounterQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewEncounters)?;
    let filter = q.filter()?;
    let offset = offset_param(q.offset);
    let viewer = who.viewer(&state).await?;
    let total = sharing::count_encounters(&state.cx, &viewer, &filter).await?;
    let actor = who.actor();
    let d = sharing::Disclosure { actor: &actor, channel: "page", action: AuditAction::View, object: format!("encounters: {}, from record {}", filter.describe(), offset + 1), detail: None };
    let rows = sharing::disclose_list(&state.cx, &viewer, d, &filter, PAGE_SIZE, offset).await?;
    let filters = [
        ("from", &q.from),
        ("to", &q.to),
        ("source", &q.source),
        ("precinct", &q.precinct),
        ("disposition", &q.disposition),
        ("response_model", &q.response_model),
    ];
    let link = |off: u64| page_link("/encounters", &filters, off);
    let n = rows.len() as u64;
    let disposition = q.disposition.clone().unwrap_or_default();
    let model = q.response_model.clone().unwrap_or_default();
    let source = q.source.clone().unwrap_or_default();
    let mut sources: Vec<(String, String, bool)> =
        sharing::source_choices(&state.cx, &viewer).await?.into_iter().map(|c| (c.system.clone(), c.description, c.system == source)).collect();
    if !source.is_empty() && !sources.iter().any(|s| s.2) {
        // A source named in the address that the viewer sees no records of: kept, so the filter shows.
        sources.push((source.clone(), "no records you may see".into(), true));
    }
    // The precincts the dashboard offers (the outcome index of the viewer's records, usually made
    // already): suggestions only, so a page without them is better than no page.
    let precincts = match state.cx.outcomes().groups(pmhc_core::outcomes::Dimension::Precinct, Some(viewer.view.report_scope())).await {
        Ok(groups) => groups.into_iter().map(|g| g.label).filter(|g| !g.is_empty() && g != "Unknown").collect(),
        Err(e) => {
            tracing::warn!(error = %e, "the encounters page offers no precincts: the outcome index could not be read");
            Vec::new()
        }
    };
    let t = Encounters {
        nav: Nav::new(Some(&who), "encounters"),
        f: EncounterFilterForm {
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
            precinct: q.precinct.clone().unwrap_or_default(),
        },
        dispositions: Disposition::ALL.iter().map(|d| (d.as_str().to_string(), d.label().to_string(), d.as_str() == disposition)).collect(),
        models: ResponseModel::ALL.iter().map(|m| (m.as_str().to_string(), m.label().to_string(), m.as_str() == model)).collect(),
        sources,
        precincts,
        rows: rows.iter().map(|r| row(&r.encounter)).collect(),
        total,
        first: if n == 0 { 0 } else { offset + 1 },
        last: offset + n,
        prev: (offset > 0).then(|| link(offset.saturating_sub(PAGE_SIZE as u64))),
        next: (offset + n < total).then(|| link(offset + n)),
        csv_href: page_link("/encounters.csv", &filters, 0),
    };
    Ok(page(&t))
}

/// Rows an export holds at most (narrow the filters for more).
const EXPORT_MAX: u64 = 200_000;

/// The filtered encounters as canonical CSV (re-importable with the `pmhc` mapping), as the
/// user's partner may see them: withheld field groups are empty, and each row says whose record
/// it is, what was withheld, and — for substance-use details disclosed under consent — the
/// consent's scope and the re-disclosure notice.
pub(super) async fn encounters_csv(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<EncounterQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewEncounters)?;
    let filter = q.filter()?;
    let viewer = who.viewer(&state).await?;
    let total = sharing::count_encounters(&state.cx, &viewer, &filter).await?;
    if total > EXPORT_MAX {
        return Err(AppError::BadRequest(format!("{total} encounters match; an export holds at most {EXPORT_MAX}: narrow the filters")).into());
    }
    let actor = who.actor();
    let d = sharing::Disclosure { actor: &actor, channel: "export", action: AuditAction::Export, object: format!("encounters.csv: {}", filter.describe()), detail: None };
    let rows = sharing::disclose_all(&state.cx, &viewer, d, &filter, EXPORT_MAX).await?;
    let extra = ["owner_partner", "withheld_field_groups", "consent_scope", "redisclosure_notice"];
    let body = (|| -> Result<Vec<u8>, csv::Error> {
        let mut w = pmhc_import::canonical::CanonicalWriter::with_extra_columns(Vec::new(), &extra)?;
        for r in rows.iter() {
            let owner = r.owner.to_string();
            let withheld = r.withheld().to_list();
            let scope = r.consent.as_ref().map(|c| c.scope()).unwrap_or_default();
            w.write_with(&r.encounter, &[&owner, &withheld, &scope, r.notice().unwrap_or("")])?;
        }
        w.finish()
    })()
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(csv_download("pmhc-encounters.csv", body))
}

fn href(e: &Encounter) -> String {
    format!("/encounters/{}/{}", path_segment(&e.source_system), path_segment(&e.source_key))
}

fn row(e: &Encounter) -> EncounterRow {
    EncounterRow {
        date: match e.occurred_time {
            Some(t) => format!("{} {}", e.occurred_on, t.format("%H:%M")),
            None => e.occurred_on.to_string(),
        },
        href: href(e),
        source: e.source_system.clone(),
        key: e.source_key.clone(),
        area: [&e.area.precinct, &e.area.sector, &e.area.beat].iter().filter_map(|x| x.as_deref()).collect::<Vec<_>>().join(" / "),
        call_type: e.final_call_type.clone().or_else(|| e.initial_call_type.clone()).unwrap_or_default(),
        response: e.response_model.label().to_string(),
        disposition: e.disposition.label().to_string(),
        force: e.use_of_force.label().to_string(),
    }
}

fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "Yes".into(),
        Some(false) => "No".into(),
        None => "Not known".into(),
    }
}

fn opt_time(v: &Option<chrono::NaiveDateTime>) -> String {
    v.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "Not known".into())
}

fn opt_text<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_else(|| "Not known".into())
}

/// The fields of the record page, each with the record's field (its JSON key) it shows; the
/// field's group comes from [`pmhc_core::registry`] (a test checks every field is shown).
fn detail_fields(e: &Encounter) -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("Date", "occurred_on", e.occurred_on.to_string()),
        ("Time", "occurred_time", e.occurred_time.map(|t| t.format("%H:%M").to_string()).unwrap_or_else(|| "Not known".into())),
        ("Agency", "agency", opt_text(&e.agency)),
        ("Call number", "call_number", opt_text(&e.call_number)),
        ("Precinct", "area", opt_text(&e.area.precinct)),
        ("Sector", "area", opt_text(&e.area.sector)),
        ("Beat", "area", opt_text(&e.area.beat)),
        ("How the call came in", "call_source", e.call_source.label().into()),
        ("Call received", "reported_at", opt_time(&e.reported_at)),
        ("Dispatched", "dispatched_at", opt_time(&e.dispatched_at)),
        ("First unit arrived", "arrived_at", opt_time(&e.arrived_at)),
        ("Cleared", "cleared_at", opt_time(&e.cleared_at)),
        ("Priority", "priority", opt_text(&e.priority)),
        ("Initial call type", "initial_call_type", opt_text(&e.initial_call_type)),
        ("Final call type", "final_call_type", opt_text(&e.final_call_type)),
        ("Recognised at dispatch", "mh_recognised_at_dispatch", yes_no(e.mh_recognised_at_dispatch)),
        ("Mental-health flag", "mental_health_flag", yes_no(e.mental_health_flag)),
        ("Response", "response_model", e.response_model.label().into()),
        ("CIT requested", "cit_requested", yes_no(e.cit_requested)),
        ("CIT dispatched", "cit_dispatched", yes_no(e.cit_dispatched)),
        ("CIT on scene", "cit_arrived", yes_no(e.cit_arrived)),
        ("Clinician on scene", "clinician_on_scene", yes_no(e.clinician_on_scene)),
        ("Minutes on scene", "time_on_scene_minutes", opt_text(&e.time_on_scene_minutes)),
        (
            "Officers",
            "officers",
            if e.officers.is_empty() {
                "None recorded".into()
            } else {
                e.officers
                    .iter()
                    .map(|o| {
                        let mut about = Vec::new();
                        if o.cit_certified == Some(true) {
                            about.push("CIT certified".to_string());
                        }
                        if let Some(y) = o.years_experience {
                            about.push(format!("{y} years"));
                        }
                        let id = o.id.clone().unwrap_or_else(|| "Not known".into());
                        if about.is_empty() { id } else { format!("{id} ({})", about.join(", ")) }
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        ),
        ("Outcome", "disposition", e.disposition.label().into()),
        ("Arrested", "arrested", yes_no(e.arrested)),
        ("Cited", "cited", yes_no(e.cited)),
        ("Involuntary hold", "involuntary_hold", yes_no(e.involuntary_hold)),
        (
            "Referrals",
            "referrals",
            if e.referrals.is_empty() {
                "None".into()
            } else {
                e.referrals.iter().map(|r| format!("{} ({})", r.service_type.label(), r.result.label())).collect::<Vec<_>>().join("; ")
            },
        ),
        ("Use of force", "use_of_force", e.use_of_force.label().into()),
        ("Force types", "force_types", if e.force_types.is_empty() { "None recorded".into() } else { e.force_types.join(", ") }),
        ("Person injured", "subject_injured", yes_no(e.subject_injured)),
        ("Officer injured", "officer_injured", yes_no(e.officer_injured)),
        ("Weapon involved", "weapon_involved", yes_no(e.weapon_involved)),
        ("Age", "age_band", e.age_band.label().into()),
        ("Gender", "gender", e.gender.label().into()),
        ("Race / ethnicity", "race_ethnicity", e.race_ethnicity.label().into()),
        ("Housing", "housing_status", e.housing_status.label().into()),
        ("Veteran", "veteran", yes_no(e.veteran)),
        ("Person key (pseudonymous)", "subject_key", opt_text(&e.subject_key)),
        ("Observed behaviours", "behaviours", if e.behaviours.is_empty() { "None recorded".into() } else { e.behaviours.join(", ") }),
        ("Substance use", "substance_use", yes_no(e.substance_use)),
    ]
}

#[derive(Deserialize)]
pub(super) struct SavedQuery {
    saved: Option<String>,
}

pub(super) async fn encounter(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path((source, key)): Path<(String, String)>,
    Query(sq): Query<SavedQuery>,
) -> Result<Response, PageError> {
    who.require(Permission::ViewEncounters)?;
    let viewer = who.viewer(&state).await?;
    let actor = who.actor();
    let d = sharing::Disclosure { actor: &actor, channel: "page", action: AuditAction::View, object: format!("encounter:{source}/{key}"), detail: Some(String::new()) };
    let r = sharing::disclose_one(&state.cx, &viewer, d, &source, &key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no encounter {source}/{key}")))?;
    let e = &r.encounter;
    let own_field = r.own() && source == field_form::field_source(viewer.partner);
    // The history of a field-form record (its versions are read as a view of it: audited).
    let versions = if own_field {
        let vs = pmhc_service::encounters::versions(&state.cx, &actor, Acting::User(&who.user), &viewer, &source, &key).await?;
        vs.iter()
            .enumerate()
            .map(|(i, v)| {
                let before = i.checked_sub(1).map(|j| &vs[j].record);
                (v.version, v.saved_at.format("%Y-%m-%d %H:%M UTC").to_string(), v.saved_by.clone(), v.channel.clone(), changed_fields(before, &v.record))
            })
            .collect()
    } else {
        Vec::new()
    };
    let partners = pmhc_service::partners::list(&state.cx).await?;
    let owner = partners.iter().find(|p| p.id == r.owner).map_or_else(|| r.owner.to_string(), |p| p.name.clone());
    let t = EncounterView {
        nav: Nav::new(Some(&who), "encounters"),
        json_href: format!("/api/v1{}", href(e)),
        fields: detail_fields(e)
            .into_iter()
            // A field the registry does not know is not shown (fail closed).
            .filter(|(_, key, _)| pmhc_core::registry::group_of(key).is_some_and(|g| g.is_none_or(|g| r.groups.contains(g))))
            .map(|(label, _, v)| (label, v))
            .collect(),
        owner,
        withheld: if r.withheld().is_empty() { String::new() } else { r.withheld().labels() },
        consent_scope: r.consent.as_ref().map(|c| c.scope()),
        notice: r.notice(),
        saved_person: sq.saved.as_ref().map(|_| e.subject_key.clone().unwrap_or_else(|| "not recorded".into())),
        saved: sq.saved.as_deref().map(|s| if s == "edited" { "The changes were saved." } else { "The encounter was saved." }.to_string()),
        edit_href: (own_field && who.user.roles.can(Permission::EditEncounters)).then(|| format!("{}/edit", href(e))),
        versions,
        source,
        key,
    };
    Ok(page(&t))
}

async fn form_page(
    state: &AppState,
    who: &Principal,
    values: &HashMap<String, String>,
    problems: &[field_form::FieldProblem],
    mode: &FormMode,
) -> Result<EncounterForm, AppError> {
    let chosen = values.get("refer_service").map(String::as_str).unwrap_or("");
    let partners = pmhc_service::partners::list(&state.cx).await?;
    // A referral is sent with a new encounter; a saved one's referrals are on the referrals page.
    let services = match mode {
        FormMode::Edit { .. } => Vec::new(),
        FormMode::New => pmhc_service::inventory::services(&state.cx)
            .await?
            .into_iter()
            .map(|s| {
                let provider = partners.iter().find(|p| p.id == s.provider).map(|p| p.name.clone()).unwrap_or_default();
                (s.id, format!("{} ({provider}; {})", s.name, s.kind.label()), s.id.to_string() == chosen)
            })
            .collect(),
    };
    let known = field_form::fields();
    let errors = problems
        .iter()
        .map(|p| match known.iter().find(|f| f.name == p.field) {
            Some(f) => (f.name.to_string(), f.label.to_string(), p.message.clone()),
            None => (String::new(), "The form".to_string(), p.message.clone()),
        })
        .collect();
    let fields = known
        .into_iter()
        .map(|f| FormField {
            name: f.name,
            label: f.label,
            kind: f.kind.as_str(),
            required: f.required,
            help: f.help,
            value: values.get(f.name).cloned().unwrap_or_default(),
            error: problems.iter().find(|p| p.field == f.name).map(|p| p.message.clone()),
            options: f.options,
            identifier: f.identifier,
        })
        .collect();
    let draft_id = values.get("draft_id").cloned().unwrap_or_default();
    let (action, draft_key, editing) = match mode {
        FormMode::New => ("/encounters/new".to_string(), "field-encounter".to_string(), None),
        FormMode::Edit { href, person_key } => (
            format!("{href}/edit"),
            format!("field-edit-{draft_id}"),
            Some((href.clone(), person_key.clone().unwrap_or_else(|| "not recorded".into()))),
        ),
    };
    Ok(EncounterForm { nav: Nav::new(Some(who), "field"), v: FormValues { draft_id }, fields, errors, services, action, draft_key, editing })
}

/// The problems of a submitted form: the parser's, then the person's identifiers' (a date of
/// birth after today on the installation's clock), so that every field is named at once.
fn form_problems(state: &AppState, values: &HashMap<String, String>) -> Result<pmhc_core::Encounter, Vec<field_form::FieldProblem>> {
    let person = field_form::person(values).identity(state.cx.clock().local_today());
    match (field_form::parse(values), person) {
        (Ok(e), Ok(_)) => Ok(e),
        (Ok(_), Err(p)) => Err(p),
        (Err(mut problems), person) => {
            problems.extend(person.err().unwrap_or_default());
            Err(problems)
        }
    }
}

pub(super) async fn field_form_page(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::EditEncounters)?;
    let mut values = HashMap::new();
    // A fresh draft id: the record's key, so a resubmitted draft saves once.
    let id = pmhc_service::accounts::new_secret()?;
    values.insert("draft_id".to_string(), format!("F-{}", &id[..20]));
    values.insert("occurred_on".to_string(), state.cx.clock().local_today().to_string());
    Ok(page(&form_page(&state, &who, &values, &[], &FormMode::New).await?))
}

pub(super) async fn field_form_submit(
    State(state): State<AppState>,
    Auth(who): Auth,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    who.require(Permission::EditEncounters)?;
    who.check_csrf(values.get("csrf").map(String::as_str).unwrap_or(""))?;
    let refer_to = match values.get("refer_service").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<i64>().map_err(|_| AppError::BadRequest(format!("`{s}` is not a service")))?),
        None => None,
    };
    let person = field_form::person(&values);
    match form_problems(&state, &values) {
        Ok(e) => {
            // Each partner's field-form records are its own source system; a referral chosen on
            // the form is sent to the provider with the encounter.
            let viewer = who.viewer(&state).await?;
            let saved = pmhc_service::encounters::record_field_form(&state.cx, &who.actor(), Acting::User(&who.user), &viewer, e, &person, refer_to).await;
            saved_or_form(&state, &who, &values, saved, "1", &FormMode::New).await
        }
        Err(problems) => Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&form_page(&state, &who, &values, &problems, &FormMode::New).await?)).into_response()),
    }
}

/// After a save: the record's page (saying it was saved, with its person key); refused (a future
/// date, a blank form, an identifier that cannot be): the form again, as typed, with the reasons.
async fn saved_or_form(
    state: &AppState,
    who: &Principal,
    values: &HashMap<String, String>,
    saved: Result<Encounter, pmhc_service::ServiceError>,
    how: &str,
    mode: &FormMode,
) -> Result<Response, PageError> {
    let problems = match saved {
        Ok(saved) => return Ok(Redirect::to(&format!("{}?saved={how}", href(&saved))).into_response()),
        Err(pmhc_service::ServiceError::InvalidFields(problems)) => problems,
        Err(pmhc_service::ServiceError::InvalidField { field, message }) => vec![field_form::FieldProblem { field, message }],
        Err(e) => return Err(e.into()),
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&form_page(state, who, values, &problems, mode).await?)).into_response())
}

/// The field form of a saved field-form record, to complete or correct it (its own partner's
/// users of the field form): every field as saved, the person's identifiers empty (they are not
/// stored: left empty, the record keeps its person key).
pub(super) async fn field_form_edit_page(State(state): State<AppState>, Auth(who): Auth, Path((source, key)): Path<(String, String)>) -> Result<Response, PageError> {
    who.require(Permission::EditEncounters)?;
    let viewer = who.viewer(&state).await?;
    own_field_source(&viewer, &source, &key)?;
    let e = pmhc_service::encounters::field_record_to_edit(&state.cx, &who.actor(), Acting::User(&who.user), &viewer, &key).await?;
    let mode = FormMode::Edit { href: href(&e), person_key: e.subject_key.clone() };
    Ok(page(&form_page(&state, &who, &field_form::values_of(&e), &[], &mode).await?))
}

/// A record of the field form is edited there only through its own partner's source.
fn own_field_source(viewer: &pmhc_service::sharing::Viewer, source: &str, key: &str) -> Result<(), AppError> {
    if source == field_form::field_source(viewer.partner) {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("there is no field-form encounter {source}/{key} of your partner to edit")))
    }
}

pub(super) async fn field_form_edit_submit(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path((source, key)): Path<(String, String)>,
    Form(mut values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    who.require(Permission::EditEncounters)?;
    who.check_csrf(values.get("csrf").map(String::as_str).unwrap_or(""))?;
    let viewer = who.viewer(&state).await?;
    own_field_source(&viewer, &source, &key)?;
    // The record's key is its address, whatever the form says.
    values.insert("draft_id".into(), key.clone());
    let person = field_form::person(&values);
    // The form again (refused) names the record's person key: read only then.
    let mode = || async {
        let existing = pmhc_service::encounters::field_record_to_edit(&state.cx, &who.actor(), Acting::User(&who.user), &viewer, &key).await?;
        Ok::<_, AppError>(FormMode::Edit { href: href(&existing), person_key: existing.subject_key })
    };
    match form_problems(&state, &values) {
        Ok(e) => match pmhc_service::encounters::edit_field_form(&state.cx, &who.actor(), Acting::User(&who.user), &viewer, &key, e, &person).await {
            Ok(saved) => Ok(Redirect::to(&format!("{}?saved=edited", href(&saved))).into_response()),
            refused => saved_or_form(&state, &who, &values, refused, "edited", &mode().await?).await,
        },
        Err(problems) => Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&form_page(&state, &who, &values, &problems, &mode().await?).await?)).into_response()),
    }
}

/// What changed from one version to the next, as the record's JSON keys.
fn changed_fields(before: Option<&Encounter>, after: &Encounter) -> String {
    let Some(before) = before else { return "first saved".into() };
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) = (serde_json::to_value(before), serde_json::to_value(after)) else {
        return String::new();
    };
    let mut keys: Vec<&str> = b.iter().filter(|(k, v)| a.get(*k) != Some(v)).map(|(k, _)| k.as_str()).collect();
    keys.extend(a.keys().filter(|k| !b.contains_key(*k)).map(String::as_str));
    if keys.is_empty() { "nothing".into() } else { keys.join(", ") }
}

#[cfg(test)]
mod tests {
    /// The record page shows every field of the registry (the keys are the page's own header),
    /// and names only fields the registry knows.
    #[test]
    fn the_record_page_shows_every_registered_field() {
        let e = pmhc_core::Encounter::new("s", "k", chrono::NaiveDate::from_ymd_opt(2021, 3, 4).unwrap());
        let shown: Vec<&str> = super::detail_fields(&e).iter().map(|(_, k, _)| *k).collect();
        for (key, _) in pmhc_core::registry::ENCOUNTER_FIELDS {
            if ["source_system", "source_key", "date_precision", "source_updated_at"].contains(key) {
                continue; // the page's heading, the date's own precision, the source's version stamp
            }
            assert!(shown.contains(key), "the record page does not show `{key}`");
        }
        for k in shown {
            assert!(pmhc_core::registry::group_of(k).is_some(), "`{k}` is not a field");
        }
    }
}

