//! The outcome pages: the dashboard and the public page (the same report, the public one under
//! disclosure control), the shared definitions with their history, and the report downloads.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use pmhc_core::access::Permission;
use pmhc_core::audit::AuditAction;
use pmhc_core::outcomes::{Dimension, PUBLIC_THRESHOLD};
use pmhc_core::{CodeList, ResponseModel};
use pmhc_service::outcomes::ReportQuery;
use serde::Deserialize;

use super::definition_form::{DefinitionForm, FormProblem};
use super::api::{OutcomeParams, release_for, report_for, save_definitions, scoped};
use crate::auth::{Auth, MaybeAuth, Principal, audit};
use crate::error::PageError;
use crate::present::{Nav, page};
use crate::{AppError, AppState};

#[derive(Default)]
pub struct DashForm {
    pub baseline: String,
    pub comparison: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    pub nav: Nav,
    pub public: bool,
    pub action: &'static str,
    pub threshold: u64,
    pub form: DashForm,
    /// Periods by name: (id, label, chosen).
    pub presets: Vec<(&'static str, &'static str, bool)>,
    pub precincts: Vec<(String, bool)>,
    pub models: Vec<(String, String, bool)>,
    pub fragment: String,
    pub error: Option<String>,
    pub definition_version: u32,
    pub definition_name: String,
    /// The public page: which release of the register it shows.
    pub release: Option<String>,
}

#[derive(Template)]
#[template(path = "definitions.html")]
pub struct Definitions {
    pub nav: Nav,
    pub version: u32,
    pub name: String,
    pub created_at: String,
    pub author: String,
    pub note: String,
    pub body: String,
    pub note_value: String,
    pub can_edit: bool,
    pub error: Option<String>,
    pub saved: Option<String>,
    /// Version, saved, by, why, what changed.
    pub history: Vec<(u32, String, String, String, String)>,
    /// The definitions in force in plain words: (what, sentence).
    pub in_words: Vec<(&'static str, String)>,
    /// The settings as a form: the definitions in force, or as typed when a save was refused.
    pub form: DefinitionForm,
    /// What the refused form must change, next to that setting.
    pub problem: Option<FormProblem>,
    /// The TOML was what was posted (its box starts open).
    pub toml_open: bool,
}

impl Definitions {
    /// The message for this setting (or for the section it names), if the save was refused there.
    pub fn problem_at(&self, setting: &str) -> Option<&str> {
        self.problem.as_ref().filter(|p| p.setting == setting).map(|p| p.message.as_str())
    }

    /// A setting's element id (`repeat.min_encounters` → `repeat-min_encounters`).
    pub fn dom_id(&self, setting: &str) -> String {
        setting.replace('.', "-")
    }

    /// Where the refused setting is on the page.
    pub fn problem_anchor(&self) -> String {
        self.problem.as_ref().map(|p| self.dom_id(p.setting)).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
pub struct Reports {
    pub nav: Nav,
    pub baseline: String,
    pub comparison: String,
}

#[derive(Deserialize, Default)]
pub(super) struct DashQuery {
    baseline: Option<String>,
    comparison: Option<String>,
    /// Periods by name (a `PeriodPreset` id, or `published`): they replace the dates.
    preset: Option<String>,
    precinct: Option<String>,
    response_model: Option<String>,
    /// `1`: only the results (the page's script replaces them in place).
    fragment: Option<String>,
}

pub(super) async fn dashboard(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewOutcomes)?;
    outcome_page(&state, Some(&who), q, false).await
}

pub(super) async fn public_page(State(state): State<AppState>, MaybeAuth(who): MaybeAuth, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    outcome_page(&state, who.as_ref(), q, true).await
}

async fn outcome_page(state: &AppState, who: Option<&Principal>, mut q: DashQuery, public: bool) -> Result<Response, PageError> {
    let def = state.cx.outcomes().current_definition().await?;
    let preset = q.preset.clone().filter(|p| !p.is_empty() && !public);
    let mut preset_error = None;
    if let Some(name) = &preset {
        let periods = match pmhc_core::definition::PeriodPreset::parse(name) {
            Some(p) => Some(p.periods(state.cx.clock().local_today())),
            None if name == "published" => def.definition.periods,
            None => None,
        };
        match periods {
            Some(p) => {
                q.baseline = Some(p.baseline.to_string());
                q.comparison = Some(p.comparison.to_string());
            }
            None if name == "published" => preset_error = Some("The shared definitions publish no periods: choose others, or type the dates.".to_string()),
            None => preset_error = Some(format!("“{name}” is not one of the periods offered.")),
        }
    }
    let params = OutcomeParams {
        baseline: q.baseline.clone(),
        comparison: q.comparison.clone(),
        precinct: q.precinct.clone(),
        response_model: q.response_model.clone(),
        monthly: Some(true),
        public: Some(public),
        ..OutcomeParams::default()
    };
    // The dashboard shows the overview; the breakdowns are in the reports.
    let query = match params.query() {
        Ok(q) => Ok(scoped(state, who.filter(|_| !public), ReportQuery { breakdowns: Vec::new(), ..q }).await?),
        Err(e) => Err(e),
    };
    let scope = query.as_ref().ok().and_then(|q| q.scope.clone());
    let mut release = None;
    let (fragment, error, periods) = match query {
        Ok(query) => match release_for(state, who.filter(|_| !public), query).await {
            Ok((rel, r)) => {
                if let Some(rel) = &rel {
                    release = Some(format!(
                        "Release {} of the register, made {} — counts as they were published then.",
                        rel.id,
                        rel.created_at.get(..10).unwrap_or(&rel.created_at)
                    ));
                }
                (pmhc_report::render_html_fragment(&r, false), None, Some((r.periods.baseline.clone(), r.periods.comparison.clone())))
            }
            Err(e) => (String::new(), Some(e.to_string()), None),
        },
        Err(e) => (String::new(), Some(e.to_string()), None),
    };
    let error = preset_error.or(error);
    if q.fragment.as_deref() == Some("1") {
        let mut html = String::new();
        // The periods answered, for the page's script to show in the date inputs (a named period
        // chosen from the list replaces the dates typed).
        if let Some((b, c)) = &periods {
            html.push_str(&format!(
                "<span hidden id=\"answered-periods\" data-baseline=\"{}..{}\" data-comparison=\"{}..{}\"></span>",
                b.from, b.to, c.from, c.to
            ));
        }
        if let Some(e) = &error {
            html.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>", pmhc_report::escape_html(e)));
        }
        html.push_str(&fragment);
        return Ok(Html(html).into_response());
    }
    let precinct = q.precinct.clone().unwrap_or_default();
    // The precincts of the data the page counts: the public release's breakdown has the same groups
    // (a release is served only while its numbers are the data's).
    let groups: Vec<String> = state.cx.outcomes().groups(Dimension::Precinct, scope).await?.into_iter().map(|g| g.label).collect();
    let precincts = groups
        .into_iter()
        .filter(|g| !g.is_empty() && g != "Unknown")
        .map(|g| {
            let sel = g == precinct;
            (g, sel)
        })
        .collect();
    let model = q.response_model.clone().unwrap_or_default();
    let (b, c) = match periods {
        Some((b, c)) => (format!("{}..{}", b.from, b.to), format!("{}..{}", c.from, c.to)),
        None => (q.baseline.unwrap_or_default(), q.comparison.unwrap_or_default()),
    };
    let t = Dashboard {
        nav: Nav::new(who, if public { "public" } else { "dashboard" }),
        public,
        action: if public { "/public" } else { "/" },
        threshold: PUBLIC_THRESHOLD,
        form: DashForm { baseline: b, comparison: c },
        presets: pmhc_core::definition::PeriodPreset::ALL
            .iter()
            .map(|p| (p.id(), p.label(), preset.as_deref() == Some(p.id())))
            .chain(def.definition.periods.map(|_| ("published", "The published periods", preset.as_deref() == Some("published"))))
            .collect(),
        precincts,
        models: ResponseModel::ALL.iter().map(|m| (m.as_str().to_string(), m.label().to_string(), m.as_str() == model)).collect(),
        fragment,
        error,
        definition_version: def.version,
        definition_name: def.definition.name.clone(),
        release,
    };
    Ok(page(&t))
}

// --- Definitions -----------------------------------------------------------------------------

/// What the definitions page shows besides the definitions in force: what was typed into a refused
/// save, and why it was refused, or that a save succeeded.
#[derive(Default)]
struct DefinitionsShown {
    body: Option<String>,
    form: Option<DefinitionForm>,
    problem: Option<FormProblem>,
    note: String,
    error: Option<String>,
    saved: Option<String>,
}

async fn definitions_view(state: &AppState, who: &Principal, shown: DefinitionsShown) -> Result<Definitions, AppError> {
    let DefinitionsShown { body, form, problem, note, error, saved } = shown;
    let dv = state.cx.outcomes().current_definition().await?;
    let versions = pmhc_service::definitions::history(&state.cx, pmhc_service::Acting::User(&who.user)).await?;
    let history = versions
        .iter()
        .enumerate()
        .map(|(i, h)| {
            // Newest first: the version before this one is the next in the list.
            let changes = match versions.get(i + 1) {
                Some(prev) => definition_changes(&prev.definition, &h.definition),
                None => "first version".to_string(),
            };
            (h.version, when(&h.created_at), h.author.clone(), h.note.clone(), changes)
        })
        .collect();
    let toml_open = body.is_some();
    let body = match body {
        Some(b) => b,
        None => pmhc_service::definitions_toml(&dv.definition).map_err(AppError::BadRequest)?,
    };
    let form = form.unwrap_or_else(|| DefinitionForm::from_definition(&dv.definition));
    Ok(Definitions {
        nav: Nav::new(Some(who), "definitions"),
        version: dv.version,
        name: dv.definition.name.clone(),
        created_at: when(&dv.created_at),
        author: dv.author.clone(),
        note: dv.note.clone(),
        body,
        note_value: note,
        can_edit: who.roles().can(Permission::EditDefinitions),
        error,
        saved,
        history,
        in_words: dv.definition.in_words(),
        form,
        problem,
        toml_open,
    })
}

/// A stored instant (RFC 3339) as pages write one: `2026-12-05 16:47 UTC`.
fn when(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map_or_else(|_| rfc3339.to_string(), |t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC").to_string())
}

/// A TOML error in words: the line and what is wrong there, with the line as typed.
fn toml_error(body: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else { return format!("the definitions could not be read: {}", e.message()) };
    let before = &body[..span.start.min(body.len())];
    let line = before.matches('\n').count() + 1;
    let text = body.lines().nth(line - 1).unwrap_or("").trim();
    let message = e.message();
    let hint = if message.contains("unknown field") {
        format!("{message} (a setting the definitions do not have: check its spelling against the explanations above it)")
    } else if message.contains("invalid") || message.contains("expected") {
        "this value cannot be read: write numbers as digits (60), yes and no as true and false, text in quotes (\"MENTAL HEALTH\") and lists in brackets ([\"a\", \"b\"])".to_string()
    } else {
        message.to_string()
    };
    format!("line {line} (“{text}”): {hint}")
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

pub(super) async fn definitions(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::ViewDefinitions)?;
    Ok(page(&definitions_view(&state, &who, DefinitionsShown::default()).await?))
}

/// Saving the definitions from the form (`mode=form`, each setting under its TOML name) or from
/// the TOML (`mode=toml`, `body`): both through the one save use case; a refusal shows the page
/// again with what was typed, and the message next to the setting to fix.
pub(super) async fn definitions_save(State(state): State<AppState>, Auth(who): Auth, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    who.require(Permission::EditDefinitions)?;
    let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    who.check_csrf(&one("csrf").unwrap_or_default())?;
    let note = one("note").unwrap_or_default();
    let mut shown = DefinitionsShown { note: note.clone(), ..DefinitionsShown::default() };
    let parsed = if let Some(body) = one("body") {
        let parsed = toml::from_str::<pmhc_core::definition::SharedDefinition>(&body).map_err(|e| format!("the definitions are not valid TOML: {}", toml_error(&body, &e)));
        shown.body = Some(body);
        parsed
    } else {
        let form = DefinitionForm::from_pairs(&pairs);
        let parsed = form.to_definition().map_err(|p| {
            let message = format!("The definitions were not saved: {}", p.message);
            shown.problem = Some(p);
            message
        });
        shown.form = Some(form);
        parsed
    };
    let result = match parsed {
        Ok(def) => match save_definitions(&state, &who, def, &note).await {
            Ok(pmhc_service::definitions::Saved::New(saved)) => Ok(saved),
            Ok(pmhc_service::definitions::Saved::Unchanged(v)) => Err(format!("Nothing changed: these are the definitions in force (version {v}).")),
            Err(AppError::Unavailable(m)) => return Err(AppError::Unavailable(m).into()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(saved) => {
            let msg = format!("Saved as version {}. Reports and the dashboard use it now.", saved.version);
            Ok(page(&definitions_view(&state, &who, DefinitionsShown { saved: Some(msg), ..DefinitionsShown::default() }).await?))
        }
        Err(e) => {
            shown.error = Some(e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&definitions_view(&state, &who, shown).await?)).into_response())
        }
    }
}

// --- Reports ---------------------------------------------------------------------------------

pub(super) async fn reports(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::ViewOutcomes)?;
    let q = ReportQuery { breakdowns: Vec::new(), ..OutcomeParams { monthly: Some(false), ..OutcomeParams::default() }.query()? };
    let q = scoped(&state, Some(&who), q).await?;
    let (b, c) = match state.cx.outcomes().report(&q).await {
        Ok(r) => (
            format!("{}..{}", r.periods.baseline.from, r.periods.baseline.to),
            format!("{}..{}", r.periods.comparison.from, r.periods.comparison.to),
        ),
        Err(_) => (String::new(), String::new()),
    };
    Ok(page(&Reports { nav: Nav::new(Some(&who), "reports"), baseline: b, comparison: c }))
}

#[derive(Deserialize)]
pub(super) struct FormatQuery {
    format: Option<String>,
}

pub(super) async fn report_download(
    State(state): State<AppState>,
    Auth(who): Auth,
    Query(f): Query<FormatQuery>,
    Query(params): Query<OutcomeParams>,
) -> Result<Response, PageError> {
    who.require(Permission::ViewOutcomes)?;
    let format = f.format.as_deref().unwrap_or("html");
    let report = report_for(&state, Some(&who), params.query()?).await?;
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
