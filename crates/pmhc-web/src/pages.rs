//! The pages: server-rendered HTML over the same service layer as the API.

use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use pmhc_core::access::{Permission, Role};
use pmhc_core::outcomes::{Dimension, PUBLIC_THRESHOLD};
use pmhc_core::{CodeList, Disposition, Encounter, ResponseModel};
use pmhc_import::csv_safe::write_safe_record;
use pmhc_service::sharing;
use serde::Deserialize;

use pmhc_service::Acting;
use crate::api::{EncounterQuery, OutcomeParams};
use pmhc_service::outcomes::ReportQuery;
use crate::auth::{self, Auth, ClientAddr, MaybeAuth, Principal, audit};
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_service::audit::{Actor, ENCOUNTER_GROUPS};
use crate::error::PageError;
use pmhc_core::field_form;
use crate::present::{Nav, csv_download, page, page_link, path_segment};
use crate::views;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/public", get(public_page))
        .route("/healthz", get(|| async { "ok" }))
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/reauth", get(reauth_form).post(reauth))
        .route("/encounters", get(encounters))
        .route("/encounters/new", get(field_form_page).post(field_form_submit))
        .route("/encounters.csv", get(encounters_csv))
        .route("/encounters/{source}/{key}", get(encounter))
        .route("/imports", get(imports))
        .route("/imports/{id}", get(import_page))
        .route("/imports/{id}/rejects.csv", get(import_rejects))
        .route("/definitions", get(definitions).post(definitions_save))
        .route("/reports", get(reports))
        .route("/reports/download", get(report_download))
        .route("/users", get(users).post(users_add))
        .route("/users/tokens", post(tokens_add))
        .route("/users/unlock", post(users_unlock))
        .route("/users/reset-second-factor", post(users_reset_mfa))
        .route("/users/approve", post(users_approve))
        .route("/audit", get(audit_page))
        .route("/audit.csv", get(audit_csv))
        .fallback(|| async { PageError(AppError::NotFound("there is no such page".into())) })
}

// --- Sign-in -------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn sign_in_form(
    State(state): State<AppState>,
    MaybeAuth(who): MaybeAuth,
    auth::Pending(pending): auth::Pending,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    if who.is_some() {
        return Ok(Redirect::to(&auth::safe_next(q.next.as_deref())).into_response());
    }
    if pending.is_some() {
        let next = auth::urlencode(&auth::safe_next(q.next.as_deref()));
        return Ok(Redirect::to(&format!("/sign-in/second-factor?next={next}")).into_response());
    }
    sign_in_page(&state, None, q.next.as_deref().unwrap_or("/"), "", StatusCode::OK)
}

fn sign_in_page(state: &AppState, error: Option<String>, next: &str, username: &str, status: StatusCode) -> Result<Response, PageError> {
    let pre = pmhc_service::accounts::new_secret()?;
    let t = views::SignIn {
        nav: Nav::new(None, "sign-in"),
        error,
        next: auth::safe_next(Some(next)),
        username: username.to_string(),
        pre_csrf: pre.clone(),
    };
    let mut r = (status, page(&t)).into_response();
    let c = auth::set_cookie(auth::PRE_SESSION_COOKIE, &pre, Some(3600), state.config.behind_tls);
    if let Ok(v) = c.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Deserialize)]
struct SignInForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
    /// The use notice's checkbox.
    acknowledge: Option<String>,
}

async fn sign_in(State(state): State<AppState>, ClientAddr(addr): ClientAddr, headers: HeaderMap, Form(f): Form<SignInForm>) -> Result<Response, PageError> {
    let next = auth::safe_next(f.next.as_deref());
    let attempted: String = f.username.trim().chars().filter(|c| !c.is_control()).take(64).collect();
    let actor = Actor { name: attempted, partner: None, source: addr };
    let record = |outcome, detail: &'static str| {
        pmhc_service::audit::record(&state.store, &actor, AuditAction::SignIn, "session", &[], outcome, detail)
    };
    // Login CSRF: the form's token must equal the pre-session cookie set with the form.
    let pre = auth::cookie(&headers, auth::PRE_SESSION_COOKIE).unwrap_or("");
    if pre.is_empty() || pre != f.csrf {
        record(AuditOutcome::Refused, "the sign-in form's token did not match").await?;
        return sign_in_page(&state, Some(AppError::Csrf.to_string()), &next, &f.username, StatusCode::FORBIDDEN);
    }
    if f.acknowledge.as_deref() != Some("yes") {
        record(AuditOutcome::Refused, "use notice not acknowledged").await?;
        return sign_in_page(&state, Some("accept the use notice to sign in".into()), &next, &f.username, StatusCode::BAD_REQUEST);
    }
    match pmhc_service::signin::sign_in(&state.store, &state.throttle, &actor.source, &f.username, &f.password).await? {
        Ok(session) => {
            let to = if session.second_factor_next { format!("/sign-in/second-factor?next={}", auth::urlencode(&next)) } else { next };
            let mut r = Redirect::to(&to).into_response();
            let secure = state.config.behind_tls;
            for c in [
                auth::set_cookie(auth::SESSION_COOKIE, &session.secret, None, secure),
                auth::set_cookie(auth::PRE_SESSION_COOKIE, "", Some(0), secure),
            ] {
                if let Ok(v) = c.parse() {
                    r.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            Ok(r)
        }
        Err(refusal) => {
            let status = if refusal == auth::Refusal::Throttled { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::UNAUTHORIZED };
            sign_in_page(&state, Some(refusal.message().into()), &next, &f.username, status)
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn sign_out(
    State(state): State<AppState>,
    MaybeAuth(who): MaybeAuth,
    auth::Pending(pending): auth::Pending,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    // A session still waiting for its second factor can be abandoned.
    if let (None, Some(p)) = (&who, pending) {
        if p.csrf != f.csrf {
            return Err(AppError::Csrf.into());
        }
        state.store.delete_session(&p.token_hash).await?;
        return Ok(Redirect::to("/sign-in").into_response());
    }
    let who = who.ok_or(AppError::Unauthenticated)?;
    who.check_csrf(&f.csrf)?;
    audit(&state, &who, AuditAction::SignOut, "session", &[], "").await?;
    if let auth::Credential::Session { token_hash, .. } = &who.credential {
        state.store.delete_session(token_hash).await?;
    }
    let mut r = Redirect::to("/sign-in").into_response();
    if let Ok(v) = auth::set_cookie(auth::SESSION_COOKIE, "", Some(0), state.config.behind_tls).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

// --- Dashboard and public page ---------------------------------------------------------------

#[derive(Deserialize, Default)]
struct DashQuery {
    baseline: Option<String>,
    comparison: Option<String>,
    precinct: Option<String>,
    response_model: Option<String>,
    /// `1`: only the results (the page's script replaces them in place).
    fragment: Option<String>,
}

async fn dashboard(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewOutcomes)?;
    outcome_page(&state, Some(&who), q, false).await
}

async fn public_page(State(state): State<AppState>, MaybeAuth(who): MaybeAuth, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    outcome_page(&state, who.as_ref(), q, true).await
}

async fn outcome_page(state: &AppState, who: Option<&Principal>, q: DashQuery, public: bool) -> Result<Response, PageError> {
    let params = OutcomeParams {
        baseline: q.baseline.clone(),
        comparison: q.comparison.clone(),
        precinct: q.precinct.clone(),
        response_model: q.response_model.clone(),
        monthly: Some(true),
        public: Some(public),
        ..OutcomeParams::default()
    };
    let def = state.outcomes.current_definition().await?;
    // The dashboard shows the overview; the breakdowns are in the reports.
    let query = match params.query() {
        Ok(q) => Ok(crate::api::scoped(state, who.filter(|_| !public), ReportQuery { breakdowns: Vec::new(), ..q }).await?),
        Err(e) => Err(e),
    };
    let scope = query.as_ref().ok().and_then(|q| q.scope.clone());
    let (fragment, error, periods) = match query {
        Ok(query) => match state.outcomes.report(&query).await {
            Ok(r) => (pmhc_report::render_html_fragment(&r, false), None, Some((r.periods.baseline.clone(), r.periods.comparison.clone()))),
            Err(e) => (String::new(), Some(AppError::from(e).to_string()), None),
        },
        Err(e) => (String::new(), Some(e.to_string()), None),
    };
    if q.fragment.as_deref() == Some("1") {
        let mut html = String::new();
        if let Some(e) = &error {
            html.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>", pmhc_report::escape_html(e)));
        }
        html.push_str(&fragment);
        return Ok(Html(html).into_response());
    }
    let precinct = q.precinct.clone().unwrap_or_default();
    let precincts = state
        .outcomes
        .groups(Dimension::Precinct, scope)
        .await?
        .into_iter()
        .filter(|g| !g.key.is_empty())
        .map(|g| {
            let sel = g.label == precinct;
            (g.label, sel)
        })
        .collect();
    let model = q.response_model.clone().unwrap_or_default();
    let (b, c) = match periods {
        Some((b, c)) => (format!("{}..{}", b.from, b.to), format!("{}..{}", c.from, c.to)),
        None => (q.baseline.unwrap_or_default(), q.comparison.unwrap_or_default()),
    };
    let t = views::Dashboard {
        nav: Nav::new(who, if public { "public" } else { "dashboard" }),
        public,
        action: if public { "/public" } else { "/" },
        threshold: PUBLIC_THRESHOLD,
        form: views::DashForm { baseline: b, comparison: c },
        precincts,
        models: ResponseModel::ALL.iter().map(|m| (m.as_str().to_string(), m.label().to_string(), m.as_str() == model)).collect(),
        fragment,
        error,
        definition_version: def.version,
        definition_name: def.definition.name.clone(),
    };
    Ok(page(&t))
}


// --- Encounters ------------------------------------------------------------------------------

const PAGE_SIZE: u32 = 50;

async fn encounters(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<EncounterQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewEncounters)?;
    let filter = q.filter()?;
    let offset = q.offset.unwrap_or(0).min(i64::MAX as u64);
    let viewer = who.viewer(&state).await?;
    let total = sharing::count_encounters(&state.store, &viewer, &filter).await?;
    let actor = who.actor();
    let d = sharing::Disclosure { actor: &actor, channel: "page", action: AuditAction::View, object: format!("encounters?{filter:?}&offset={offset}"), detail: None };
    let rows = sharing::disclose_list(&state.store, &viewer, d, &filter, PAGE_SIZE, offset).await?;
    let filters = [("from", &q.from), ("to", &q.to), ("source", &q.source), ("precinct", &q.precinct), ("disposition", &q.disposition)];
    let link = |off: u64| page_link("/encounters", &filters, off);
    let n = rows.len() as u64;
    let disposition = q.disposition.clone().unwrap_or_default();
    let t = views::Encounters {
        nav: Nav::new(Some(&who), "encounters"),
        f: views::EncounterFilterForm {
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
            source: q.source.clone().unwrap_or_default(),
            precinct: q.precinct.clone().unwrap_or_default(),
        },
        dispositions: Disposition::ALL.iter().map(|d| (d.as_str().to_string(), d.label().to_string(), d.as_str() == disposition)).collect(),
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
async fn encounters_csv(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<EncounterQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewEncounters)?;
    let filter = q.filter()?;
    let viewer = who.viewer(&state).await?;
    let total = sharing::count_encounters(&state.store, &viewer, &filter).await?;
    if total > EXPORT_MAX {
        return Err(AppError::BadRequest(format!("{total} encounters match; an export holds at most {EXPORT_MAX}: narrow the filters")).into());
    }
    let actor = who.actor();
    let d = sharing::Disclosure { actor: &actor, channel: "export", action: AuditAction::Export, object: format!("encounters.csv?{filter:?}"), detail: None };
    let rows = sharing::disclose_all(&state.store, &viewer, d, &filter, EXPORT_MAX).await?;
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

fn row(e: &Encounter) -> views::EncounterRow {
    views::EncounterRow {
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
struct SavedQuery {
    saved: Option<String>,
}

async fn encounter(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path((source, key)): Path<(String, String)>,
    Query(sq): Query<SavedQuery>,
) -> Result<Response, PageError> {
    who.require(Permission::ViewEncounters)?;
    let viewer = who.viewer(&state).await?;
    let actor = who.actor();
    let d = sharing::Disclosure { actor: &actor, channel: "page", action: AuditAction::View, object: format!("encounter:{source}/{key}"), detail: Some(String::new()) };
    let r = sharing::disclose_one(&state.store, &viewer, d, &source, &key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no encounter {source}/{key}")))?;
    let e = &r.encounter;
    let partners = state.store.list_partners().await?;
    let owner = partners.iter().find(|p| p.id == r.owner).map_or_else(|| r.owner.to_string(), |p| p.name.clone());
    let t = views::EncounterView {
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
        source,
        key,
        saved: sq.saved.map(|_| "The encounter was saved.".to_string()),
    };
    Ok(page(&t))
}

async fn form_page(
    state: &AppState,
    who: &Principal,
    values: &HashMap<String, String>,
    problems: &[field_form::FieldProblem],
) -> Result<views::EncounterForm, AppError> {
    let chosen = values.get("refer_service").map(String::as_str).unwrap_or("");
    let partners = state.store.list_partners().await?;
    let services = state
        .store
        .list_services()
        .await?
        .into_iter()
        .map(|s| {
            let provider = partners.iter().find(|p| p.id == s.provider).map(|p| p.name.clone()).unwrap_or_default();
            (s.id, format!("{} ({provider}; {})", s.name, s.kind.label()), s.id.to_string() == chosen)
        })
        .collect();
    let fields = field_form::fields()
        .into_iter()
        .map(|f| views::FormField {
            name: f.name,
            label: f.label,
            kind: f.kind.as_str(),
            required: f.required,
            help: f.help,
            value: values.get(f.name).cloned().unwrap_or_default(),
            error: problems.iter().find(|p| p.field == f.name).map(|p| p.message.clone()),
            options: f.options,
        })
        .collect();
    Ok(views::EncounterForm {
        nav: Nav::new(Some(who), "field"),
        v: views::FormValues { draft_id: values.get("draft_id").cloned().unwrap_or_default() },
        fields,
        errors: problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect(),
        services,
    })
}

async fn field_form_page(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::EditEncounters)?;
    let mut values = HashMap::new();
    // A fresh draft id: the record's key, so a resubmitted draft saves once.
    let id = pmhc_service::accounts::new_secret()?;
    values.insert("draft_id".to_string(), format!("F-{}", &id[..20]));
    values.insert("occurred_on".to_string(), state.store.clock().local_today().to_string());
    Ok(page(&form_page(&state, &who, &values, &[]).await?))
}

async fn field_form_submit(
    State(state): State<AppState>,
    Auth(who): Auth,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    who.require(Permission::EditEncounters)?;
    who.check_csrf(values.get("csrf").map(String::as_str).unwrap_or(""))?;
    match field_form::parse(&values) {
        Ok(e) => {
            // Each partner's field-form records are its own source system.
            let viewer = who.viewer(&state).await?;
            let saved = pmhc_service::encounters::record_field_form(&state.store, Some(&state.outcomes), &who.actor(), Acting::User(&who.user), &viewer, e).await?;
            // A referral chosen on the form is sent to the provider with the encounter.
            if let Some(service) = values.get("refer_service").map(|s| s.trim()).filter(|s| !s.is_empty()) {
                let service: i64 = service.parse().map_err(|_| AppError::BadRequest(format!("`{service}` is not a service")))?;
                let already = state.store.referrals_of(&saved.source_system, &saved.source_key).await?;
                // A draft sent twice refers once.
                if !already.iter().any(|r| r.service_id == service) {
                    let sent = pmhc_core::services::ReferralState::Sent;
                    pmhc_service::referrals::make(&state.store, Some(&state.outcomes), &who.actor(), Acting::User(&who.user), &viewer, &saved.source_system, &saved.source_key, service, sent)
                        .await?;
                }
            }
            Ok(Redirect::to(&format!("{}?saved=1", href(&saved))).into_response())
        }
        Err(problems) => Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&form_page(&state, &who, &values, &problems).await?)).into_response()),
    }
}

// --- Imports ---------------------------------------------------------------------------------

async fn imports(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::Import)?;
    let history = state.store.list_imports(Some(who.user.partner), 100).await?;
    let mut mappings: Vec<String> = pmhc_import::shipped::names().into_iter().map(String::from).collect();
    mappings.sort();
    if let Some(i) = mappings.iter().position(|m| m == "pmhc") {
        let m = mappings.remove(i);
        mappings.insert(0, m);
    }
    let t = views::Imports {
        nav: Nav::new(Some(&who), "imports"),
        error: None,
        mappings,
        history,
        max_mb: state.config.max_upload_bytes >> 20,
    };
    Ok(page(&t))
}

async fn import_page(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Response, PageError> {
    who.require(Permission::Import)?;
    let r = own_import(&state, &who, id).await?;
    let mut info = crate::api::import_info(&state, r, true).await?;
    // The details name rejected rows and their reasons: audited before they are shown.
    audit(&state, &who, AuditAction::View, format!("import:{id}"), &[], format!("import {}", info.status)).await?;
    let t = views::ImportView {
        nav: Nav::new(Some(&who), "imports"),
        running: info.status == "running",
        percent: info.progress.unwrap_or(0),
        details: info.details.take().unwrap_or_default(),
        info,
    };
    Ok(page(&t))
}

/// An import of the user's partner (another partner's is answered as absent).
pub(crate) async fn own_import(state: &AppState, who: &Principal, id: i64) -> Result<pmhc_store::ImportRecord, AppError> {
    state
        .store
        .get_import(id)
        .await?
        .filter(|r| r.partner == who.user.partner)
        .ok_or_else(|| AppError::NotFound(format!("there is no import {id}")))
}

async fn import_rejects(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Response, PageError> {
    who.require(Permission::Import)?;
    own_import(&state, &who, id).await?;
    let bytes = state
        .store
        .import_rejects(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("import {id} kept no rejected rows")))?;
    audit(&state, &who, AuditAction::Export, format!("import:{id}/rejects"), ENCOUNTER_GROUPS, format!("{} bytes", bytes.len())).await?;
    Ok(csv_download(&format!("import-{id}-rejects.csv"), bytes))
}

// --- Definitions -----------------------------------------------------------------------------

async fn definitions_view(
    state: &AppState,
    who: &Principal,
    body: Option<String>,
    note: String,
    error: Option<String>,
    saved: Option<String>,
) -> Result<views::Definitions, AppError> {
    let dv = state.outcomes.current_definition().await?;
    let versions = state.store.definition_history().await?;
    let history = versions
        .iter()
        .enumerate()
        .map(|(i, h)| {
            // Newest first: the version before this one is the next in the list.
            let changes = match versions.get(i + 1) {
                Some(prev) => definition_changes(&prev.definition, &h.definition),
                None => "first version".to_string(),
            };
            (h.version, h.created_at.clone(), h.author.clone(), h.note.clone(), changes)
        })
        .collect();
    let body = match body {
        Some(b) => b,
        None => pmhc_service::definitions_toml(&dv.definition).map_err(AppError::BadRequest)?,
    };
    Ok(views::Definitions {
        nav: Nav::new(Some(who), "definitions"),
        version: dv.version,
        name: dv.definition.name.clone(),
        created_at: dv.created_at.clone(),
        author: dv.author.clone(),
        note: dv.note.clone(),
        body,
        note_value: note,
        can_edit: who.roles().can(Permission::EditDefinitions),
        error,
        saved,
        history,
    })
}

/// What changed between two versions, as the TOML lines removed (−) and added (+).
fn definition_changes(old: &pmhc_core::definition::SharedDefinition, new: &pmhc_core::definition::SharedDefinition) -> String {
    let (Ok(a), Ok(b)) = (toml::to_string_pretty(old), toml::to_string_pretty(new)) else { return String::new() };
    // Each line qualified by its section, so `window_days = 60` says which window.
    fn lines(t: &str) -> Vec<String> {
        let mut section = String::new();
        let mut out = Vec::new();
        for l in t.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if l.starts_with('[') {
                section = l.trim_matches(['[', ']']).to_string();
            } else if section.is_empty() {
                out.push(l.to_string());
            } else {
                out.push(format!("{section}.{l}"));
            }
        }
        out
    }
    let (la, lb) = (lines(&a), lines(&b));
    let mut changes: Vec<String> = la.iter().filter(|l| !lb.contains(l)).map(|l| format!("− {l}")).collect();
    changes.extend(lb.iter().filter(|l| !la.contains(l)).map(|l| format!("+ {l}")));
    if changes.is_empty() {
        return "no change".into();
    }
    let more = changes.len().saturating_sub(12);
    changes.truncate(12);
    if more > 0 {
        changes.push(format!("… and {more} more"));
    }
    changes.join("\n")
}

async fn definitions(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::ViewDefinitions)?;
    Ok(page(&definitions_view(&state, &who, None, String::new(), None, None).await?))
}

#[derive(Deserialize)]
struct DefinitionsForm {
    csrf: String,
    body: String,
    note: String,
}

async fn definitions_save(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<DefinitionsForm>) -> Result<Response, PageError> {
    who.require(Permission::EditDefinitions)?;
    who.check_csrf(&f.csrf)?;
    let parsed: Result<pmhc_core::definition::SharedDefinition, String> = toml::from_str(&f.body).map_err(|e| format!("the definitions are not valid TOML: {e}"));
    let result = match parsed {
        Ok(def) => match crate::api::save_definitions(&state, &who, def, &f.note).await {
            Ok(pmhc_service::definitions::Saved::New(saved)) => Ok(saved),
            Ok(pmhc_service::definitions::Saved::Unchanged(v)) => Err(format!("nothing changed: these are the definitions in force (version {v})")),
            Err(AppError::Unavailable(m)) => return Err(AppError::Unavailable(m).into()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(saved) => {
            let msg = format!("Saved as version {}. Reports and the dashboard use it now.", saved.version);
            Ok(page(&definitions_view(&state, &who, None, String::new(), None, Some(msg)).await?))
        }
        Err(e) => Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&definitions_view(&state, &who, Some(f.body), f.note, Some(e), None).await?)).into_response()),
    }
}

// --- Reports ---------------------------------------------------------------------------------

async fn reports(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::ViewOutcomes)?;
    let q = ReportQuery { breakdowns: Vec::new(), ..OutcomeParams { monthly: Some(false), ..OutcomeParams::default() }.query()? };
    let q = crate::api::scoped(&state, Some(&who), q).await?;
    let (b, c) = match state.outcomes.report(&q).await {
        Ok(r) => (
            format!("{}..{}", r.periods.baseline.from, r.periods.baseline.to),
            format!("{}..{}", r.periods.comparison.from, r.periods.comparison.to),
        ),
        Err(_) => (String::new(), String::new()),
    };
    Ok(page(&views::Reports { nav: Nav::new(Some(&who), "reports"), baseline: b, comparison: c }))
}

#[derive(Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

async fn report_download(
    State(state): State<AppState>,
    Auth(who): Auth,
    Query(f): Query<FormatQuery>,
    Query(params): Query<OutcomeParams>,
) -> Result<Response, PageError> {
    who.require(Permission::ViewOutcomes)?;
    let format = f.format.as_deref().unwrap_or("html");
    let report = state.outcomes.report(&crate::api::scoped(&state, Some(&who), params.query()?).await?).await?;
    let stem = format!(
        "pmhc-outcomes-{}-vs-{}{}",
        report.periods.baseline.from,
        report.periods.comparison.to,
        if report.public { "-public" } else { "" }
    );
    let (ctype, ext, body): (&str, &str, Vec<u8>) = match format {
        "html" => ("text/html; charset=utf-8", "html", pmhc_report::render_html(&report).into_bytes()),
        "csv" => (
            "text/csv; charset=utf-8",
            "csv",
            pmhc_report::render_csv(&report).map_err(|e| AppError::Internal(e.into()))?.into_bytes(),
        ),
        "json" => ("application/json", "json", serde_json::to_vec_pretty(&report).map_err(|e| AppError::Internal(e.into()))?),
        "pdf" => ("application/pdf", "pdf", crate::pdf::html_to_pdf(&pmhc_report::render_html(&report)).await?),
        other => return Err(AppError::BadRequest(format!("format `{other}`: use html, pdf, csv or json")).into()),
    };
    audit(&state, &who, AuditAction::Export, format!("report:{stem}.{ext}"), &[], if report.public { "public (disclosure control)" } else { "internal (aggregates)" }).await?;
    Ok(([(header::CONTENT_TYPE, ctype.to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{stem}.{ext}\""))], body)
        .into_response())
}

// --- Users (administrators) ----------------------------------------------------------------

async fn users_view(state: &AppState, who: &Principal, error: Option<String>, new_token: Option<String>) -> Result<views::Users, AppError> {
    let partners = state.store.list_partners().await?;
    let partner_name = |id: i64| partners.iter().find(|p| p.id == id).map_or_else(|| id.to_string(), |p| p.name.clone());
    let fmt = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into());
    Ok(views::Users {
        nav: Nav::new(Some(who), "users"),
        error,
        new_token,
        users: pmhc_service::accounts::visible_accounts(&state.store, Acting::User(&who.user))
            .await?
            .into_iter()
            .map(|u| {
                let state = match (u.active, u.locked) {
                    (false, _) => "disabled",
                    (true, true) => "locked",
                    (true, false) => "yes",
                };
                let state = if u.mfa_enrolled { format!("{state}; second factor set") } else { state.to_string() };
                (u.username, u.display_name, u.roles.labels(), state, fmt(u.last_sign_in_at), partner_name(u.partner))
            })
            .collect(),
        tokens: {
            let mine: Vec<String> = pmhc_service::accounts::visible_accounts(&state.store, Acting::User(&who.user))
                .await?
                .into_iter()
                .filter(|u| u.partner == who.user.partner)
                .map(|u| u.username)
                .collect();
            state.store.list_api_tokens().await?.into_iter().filter(move |t| mine.contains(&t.username))
        }
            .map(|t| (t.id, t.username, t.name, fmt(Some(t.created_at)), fmt(t.last_used_at), if t.revoked { "yes".into() } else { "no".into() }))
            .collect(),
        // The least privileged first (the default); installation-level roles last.
        roles: [
            Role::WorkgroupMember,
            Role::Officer,
            Role::Clinician,
            Role::DataSpecialist,
            Role::ProjectCoordinator,
            Role::Administrator,
            Role::Auditor,
            Role::InstallationAdministrator,
        ]
        .iter()
        .filter(|r| who.roles().contains(Role::InstallationAdministrator) || !matches!(r, Role::Auditor | Role::InstallationAdministrator))
        .map(|r| (r.as_str(), r.label()))
        .collect(),
        partners,
    })
}

async fn users(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::ManageUsers)?;
    Ok(page(&users_view(&state, &who, None, None).await?))
}

#[derive(Deserialize)]
struct NewUserForm {
    csrf: String,
    username: String,
    display_name: Option<String>,
    role: String,
    partner: Option<i64>,
    password: String,
}

async fn users_add(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<NewUserForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let result = async {
        let role: Role = f.role.parse().map_err(|e: pmhc_core::access::UnknownRole| AppError::BadRequest(e.to_string()))?;
        let display = f.display_name.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or(f.username.trim()).to_string();
        let partner = f.partner.unwrap_or(who.user.partner);
        pmhc_service::accounts::create_account(&state.store, &who.actor(), Acting::User(&who.user), f.username.trim(), &display, role.into(), partner, &f.password)
            .await
            .map_err(AppError::from)
    }
    .await;
    match result {
        Ok(a) if a.awaiting_approval => Ok(page(&users_view(
            &state,
            &who,
            Some(format!("{} was added, disabled: an administrator of partner {} approves it on their Users page", a.user.username, a.user.partner)),
            None,
        )
        .await?)),
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(e) => Ok((e.status(), page(&users_view(&state, &who, Some(e.to_string()), None).await?)).into_response()),
    }
}

#[derive(Deserialize)]
struct NewTokenForm {
    csrf: String,
    username: String,
    name: String,
}

async fn tokens_add(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<NewTokenForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    match pmhc_service::accounts::issue_token(&state.store, &who.actor(), Acting::User(&who.user), f.username.trim(), f.name.trim()).await {
        Ok(token) => Ok(page(&users_view(&state, &who, None, Some(token)).await?)),
        Err(e) => {
            let e = AppError::from(e);
            Ok((e.status(), page(&users_view(&state, &who, Some(e.to_string()), None).await?)).into_response())
        }
    }
}

// --- Audit trail (administrators) ---------------------------------------------------------

#[derive(Deserialize, Default)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    object: Option<String>,
    from: Option<String>,
    to: Option<String>,
    offset: Option<u64>,
    verify: Option<String>,
}

/// The audit filters of a request.
fn audit_filter(q: &AuditQuery) -> Result<pmhc_store::AuditFilter, AppError> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let day = |name: &str, v: &Option<String>| -> Result<Option<String>, AppError> {
        match text(v) {
            None => Ok(None),
            Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map(|d| Some(d.to_string()))
                .map_err(|_| AppError::BadRequest(format!("{name}: `{d}` is not a date (YYYY-MM-DD)"))),
        }
    };
    let action = match text(&q.action) {
        Some(a) => Some(pmhc_core::audit::AuditAction::parse(&a).ok_or_else(|| AppError::BadRequest(format!("`{a}` is not an audit action")))?),
        None => None,
    };
    let outcome = match text(&q.outcome) {
        Some(o) => Some(AuditOutcome::parse(&o).ok_or_else(|| AppError::BadRequest(format!("`{o}` is not an outcome")))?),
        None => None,
    };
    Ok(pmhc_store::AuditFilter {
        actor: text(&q.actor),
        action,
        outcome,
        object_prefix: text(&q.object),
        from: day("from", &q.from)?,
        to: day("to", &q.to)?,
        scope: None,
    })
}

/// Entries an audit export holds at most (narrow the filters for more).
const AUDIT_EXPORT_MAX: u32 = 100_000;

/// The filtered audit trail as CSV, for auditors' own tools (the export itself is audited).
async fn audit_csv(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<AuditQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewAudit)?;
    let mut filter = audit_filter(&q)?;
    filter.scope = pmhc_service::audit::scope_for(&who.user);
    let entries = state.store.list_audit(&filter, AUDIT_EXPORT_MAX, 0).await?;
    audit(&state, &who, AuditAction::Export, "audit.csv", &[], format!("{} entries", entries.len())).await?;
    let body = (|| -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        write_safe_record(&mut w, ["id", "at_utc", "actor", "partner", "source", "action", "object", "field_groups", "outcome", "detail", "hash"])?;
        for e in &entries {
            let ev = &e.event;
            // Spreadsheet-safe: a failed sign-in's actor is whatever name was typed.
            write_safe_record(&mut w, [
                e.id.to_string().as_str(),
                &ev.at,
                &ev.actor,
                ev.partner.as_deref().unwrap_or(""),
                &ev.source,
                ev.action.as_str(),
                &ev.object,
                &ev.field_groups.join(","),
                ev.outcome.as_str(),
                &ev.detail,
                &e.hash,
            ])?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    })()
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(csv_download("pmhc-audit.csv", body))
}

async fn audit_page(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<AuditQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewAudit)?;
    let mut filter = audit_filter(&q)?;
    filter.scope = pmhc_service::audit::scope_for(&who.user);
    let (action, outcome) = (filter.action, filter.outcome);
    let offset = q.offset.unwrap_or(0).min(i64::MAX as u64);
    const PAGE: u32 = 100;
    let entries = state.store.list_audit(&filter, PAGE, offset).await?;
    // Reading the audit trail is itself audited.
    audit(&state, &who, AuditAction::View, "audit", &[], format!("{} entries", entries.len())).await?;
    let verified = if q.verify.is_some() {
        Some(match pmhc_service::audit::verify(&state.store, None).await? {
            Ok(v) => (
                true,
                match v.head {
                    Some((id, hash)) => format!("The chain is intact: {} entries; the newest is {id} with hash {hash}.", v.entries),
                    None => "The audit trail is empty.".to_string(),
                },
            ),
            Err(e) if !e.is_tampering() => (false, format!("The chain cannot be verified: {e}. Restore the key file and verify again.")),
            Err(broken) => (false, format!("The chain is BROKEN at entry {}: {broken}.", broken.entry())),
        })
    } else {
        None
    };
    let filters = [("actor", &q.actor), ("action", &q.action), ("outcome", &q.outcome), ("object", &q.object), ("from", &q.from), ("to", &q.to)];
    let next = (entries.len() as u32 == PAGE).then(|| page_link("/audit", &filters, offset + u64::from(PAGE)));
    let csv_href = page_link("/audit.csv", &filters, 0);
    let t = views::Audit {
        nav: Nav::new(Some(&who), "audit"),
        f: views::AuditFilterForm {
            actor: q.actor.clone().unwrap_or_default(),
            object: q.object.clone().unwrap_or_default(),
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
        },
        actions: pmhc_core::audit::AuditAction::ALL.iter().map(|a| (a.as_str(), Some(*a) == action)).collect(),
        outcomes: [AuditOutcome::Success, AuditOutcome::Refused, AuditOutcome::Failed].iter().map(|o| (o.as_str(), Some(*o) == outcome)).collect(),
        entries: entries
            .into_iter()
            .map(|e| {
                let ev = e.event;
                views::AuditRow {
                    id: e.id,
                    at: ev.at,
                    actor: ev.actor,
                    partner: ev.partner.unwrap_or_default(),
                    source: ev.source,
                    action: ev.action.as_str(),
                    object: ev.object,
                    groups: ev.field_groups.join(", "),
                    outcome: ev.outcome.as_str(),
                    detail: ev.detail,
                }
            })
            .collect(),
        verified,
        next,
        csv_href,
    };
    Ok(page(&t))
}

#[derive(Deserialize)]
struct UnlockForm {
    csrf: String,
    username: String,
}

/// The checks of every form on the Users page: the permission, the session's token, and the
/// password entered in the last minutes.
fn users_form(who: &Principal, csrf: &str) -> Result<(), AppError> {
    who.require(Permission::ManageUsers)?;
    who.check_csrf(csrf)?;
    who.require_recent_authentication()
}

/// Back to the Users page when an action on an account is done; the page with the reason (and
/// the refusal's status) when it is not.
async fn users_after<T>(state: &AppState, who: &Principal, r: Result<T, pmhc_service::ServiceError>) -> Result<Response, PageError> {
    match r {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(e) => {
            let e = AppError::from(e);
            Ok((e.status(), page(&users_view(state, who, Some(e.to_string()), None).await?)).into_response())
        }
    }
}

async fn users_unlock(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<UnlockForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let r = pmhc_service::accounts::unlock(&state.store, &who.actor(), Acting::User(&who.user), f.username.trim()).await;
    users_after(&state, &who, r).await
}

async fn users_approve(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<UnlockForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let r = pmhc_service::accounts::approve_account(&state.store, &who.actor(), Acting::User(&who.user), f.username.trim()).await;
    users_after(&state, &who, r).await
}

async fn users_reset_mfa(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<UnlockForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let r = pmhc_service::accounts::reset_second_factor(&state.store, &who.actor(), Acting::User(&who.user), f.username.trim()).await;
    users_after(&state, &who, r).await
}

// --- Re-authentication before administrative actions ------------------------------------

async fn reauth_form(Auth(who): Auth, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    Ok(page(&views::Reauth { nav: Nav::new(Some(&who), "users"), next: auth::safe_next(q.next.as_deref()), error: None }))
}

#[derive(Deserialize)]
struct ReauthForm {
    csrf: String,
    password: String,
    next: Option<String>,
}

async fn reauth(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<ReauthForm>) -> Result<Response, PageError> {
    who.check_csrf(&f.csrf)?;
    let next = auth::safe_next(f.next.as_deref());
    let auth::Credential::Session { token_hash, .. } = &who.credential else {
        return Ok(Redirect::to(&next).into_response());
    };
    match pmhc_service::signin::reauthenticate(&state.store, &who.actor(), &who.user, token_hash, &f.password).await? {
        Ok(()) => Ok(Redirect::to(&next).into_response()),
        Err(refusal) => {
            let m = if refusal == auth::Refusal::Locked { refusal.message() } else { "the password is wrong" }.to_string();
            Ok((StatusCode::UNAUTHORIZED, page(&views::Reauth { nav: Nav::new(Some(&who), "users"), next, error: Some(m) })).into_response())
        }
    }
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
