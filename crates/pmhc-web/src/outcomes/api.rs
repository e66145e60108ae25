//! The outcomes API: the outcome reports (`/api/v1/outcomes`, `/api/v1/public/outcomes`) and the
//! shared definitions (`/api/v1/definitions`), and the report question both the pages and the API
//! ask ([`OutcomeParams`], [`scoped`]).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pmhc_core::ResponseModel;
use pmhc_core::access::Permission;
use pmhc_core::definition::{Period, SharedDefinition};
use std::sync::Arc;

use pmhc_core::outcomes::{Dimension, OutcomeFilter, OutcomeReport};
use pmhc_service::outcomes::ReportQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Auth, MaybeAuth, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiBody, ApiQuery, check_header_csrf, code_param, opt};
use crate::{AppError, AppState};

// --- Definitions -----------------------------------------------------------------------------

/// A version of the shared definitions.
#[derive(Debug, Serialize, ToSchema)]
pub struct DefinitionsBody {
    pub version: u32,
    pub author: String,
    pub note: String,
    pub created_at: String,
    /// The definitions (as `pmhc definitions show --json` prints them).
    #[schema(value_type = Object)]
    pub definition: SharedDefinition,
}

impl From<&pmhc_core::definition::DefinitionVersion> for DefinitionsBody {
    fn from(d: &pmhc_core::definition::DefinitionVersion) -> Self {
        DefinitionsBody {
            version: d.version,
            author: d.author.clone(),
            note: d.note.clone(),
            created_at: d.created_at.clone(),
            definition: d.definition.clone(),
        }
    }
}

/// New shared definitions.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DefinitionsUpdate {
    #[schema(value_type = Object)]
    pub definition: SharedDefinition,
    /// What changed and why.
    pub note: String,
}

/// The shared definitions in force.
#[utoipa::path(get, path = "/api/v1/definitions", tag = "definitions",
    responses((status = 200, body = DefinitionsBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub(super) async fn get_definitions(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<DefinitionsBody>, ApiError> {
    who.require(Permission::ViewDefinitions)?;
    let d = pmhc_service::definitions::current(&state.cx, pmhc_service::Acting::User(&who.user)).await?;
    Ok(Json(DefinitionsBody::from(&*d)))
}

/// Every version of the shared definitions, newest first.
#[utoipa::path(get, path = "/api/v1/definitions/history", tag = "definitions",
    responses((status = 200, body = Vec<DefinitionsBody>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub(super) async fn definition_history(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<Vec<DefinitionsBody>>, ApiError> {
    who.require(Permission::ViewDefinitions)?;
    let history = pmhc_service::definitions::history(&state.cx, pmhc_service::Acting::User(&who.user)).await?;
    Ok(Json(history.iter().map(DefinitionsBody::from).collect()))
}

/// Save new shared definitions as the next version (the page and the API; see
/// `pmhc_service::definitions::save`).
pub(crate) async fn save_definitions(state: &AppState, who: &Principal, def: SharedDefinition, note: &str) -> Result<pmhc_service::definitions::Saved, AppError> {
    Ok(pmhc_service::definitions::save(&state.cx, &who.actor(), pmhc_service::Acting::User(&who.user), def, note, None).await?)
}

/// Save new shared definitions (a new version; nothing is overwritten).
#[utoipa::path(put, path = "/api/v1/definitions", tag = "definitions", request_body = DefinitionsUpdate,
    responses((status = 200, body = DefinitionsBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn put_definitions(
    State(state): State<AppState>,
    Auth(who): Auth,
    headers: HeaderMap,
    body: ApiBody,
) -> Result<Json<DefinitionsBody>, ApiError> {
    who.require(Permission::EditDefinitions)?;
    check_header_csrf(&who, &headers)?;
    let u: DefinitionsUpdate = body.json()?;
    match save_definitions(&state, &who, u.definition, &u.note).await? {
        pmhc_service::definitions::Saved::New(saved) => Ok(Json(DefinitionsBody::from(&saved))),
        // The same definitions again: nothing saved; the version in force answers.
        pmhc_service::definitions::Saved::Unchanged(_) => Ok(Json(DefinitionsBody::from(&*state.cx.outcomes().current_definition().await?))),
    }
}

// --- Outcomes --------------------------------------------------------------------------------

/// The question an outcome report answers.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutcomeParams {
    /// Baseline period `FROM..TO` (ISO dates, inclusive). With `comparison`; when both are
    /// absent, the definitions' default periods or the last twelve months of data against the
    /// twelve before.
    pub baseline: Option<String>,
    /// Comparison period `FROM..TO`.
    pub comparison: Option<String>,
    pub precinct: Option<String>,
    pub sector: Option<String>,
    pub beat: Option<String>,
    pub agency: Option<String>,
    /// A response-model code (e.g. `co_responder`).
    #[param(value_type = Option<pmhc_core::ResponseModel>)]
    pub response_model: Option<String>,
    /// Only encounters from this source system.
    pub source: Option<String>,
    /// Breakdowns, comma-separated (e.g. `precinct,race_ethnicity`); all when absent.
    pub by: Option<String>,
    /// Include the monthly series (default true).
    pub monthly: Option<bool>,
    /// A definitions version (the one in force when absent).
    #[param(minimum = 1)]
    pub definitions_version: Option<u32>,
    /// Suppress small counts (always on at `/public/outcomes`).
    pub public: Option<bool>,
}

/// Periods the API answers: inside 1900–2100 and at most 25 years long (a bound on the work and
/// the size of one report).
fn check_period(name: &str, p: &Period) -> Result<(), AppError> {
    use chrono::Datelike;
    if !(1900..=2100).contains(&p.from.year()) || !(1900..=2100).contains(&p.to.year()) {
        return Err(AppError::BadRequest(format!("{name}: {p} is outside the years 1900 to 2100")));
    }
    if p.days() > 25 * 366 {
        return Err(AppError::BadRequest(format!("{name}: {p} is longer than 25 years")));
    }
    Ok(())
}

impl OutcomeParams {
    pub fn query(&self) -> Result<ReportQuery, AppError> {
        let period = |name: &str, v: &Option<String>| -> Result<Option<Period>, AppError> {
            opt(v).map(|s| Period::parse(s).map_err(|e| AppError::BadRequest(format!("{name}: {e}")))).transpose()
        };
        let baseline = period("baseline", &self.baseline)?;
        let comparison = period("comparison", &self.comparison)?;
        for (name, p) in [("baseline", &baseline), ("comparison", &comparison)] {
            if let Some(p) = p {
                check_period(name, p)?;
            }
        }
        if baseline.is_some() != comparison.is_some() {
            return Err(AppError::BadRequest("give both periods, baseline and comparison, or neither".into()));
        }
        let breakdowns = match opt(&self.by) {
            None => Dimension::ALL.to_vec(),
            Some(list) => {
                let mut v = Vec::new();
                for b in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let d = Dimension::parse(b).ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "by: `{b}` is not a breakdown; use {}",
                            Dimension::ALL.iter().map(|d| d.id()).collect::<Vec<_>>().join(", ")
                        ))
                    })?;
                    if !v.contains(&d) {
                        v.push(d);
                    }
                }
                v
            }
        };
        Ok(ReportQuery {
            definitions_version: self.definitions_version,
            baseline,
            comparison,
            periods_from_data: true,
            breakdowns,
            monthly: self.monthly.unwrap_or(true),
            filter: OutcomeFilter {
                agency: opt(&self.agency).map(String::from),
                precinct: opt(&self.precinct).map(String::from),
                sector: opt(&self.sector).map(String::from),
                beat: opt(&self.beat).map(String::from),
                response_model: code_param::<ResponseModel>("response_model", &self.response_model)?,
            },
            source: opt(&self.source).map(String::from),
            public: self.public.unwrap_or(false),
            scope: None,
        })
    }
}

/// A report question as this user may ask it: an internal report covers the records their
/// partner sees (own, and shared under agreements in force, field group by field group); a
/// public one covers every record and always goes through disclosure control.
pub(crate) async fn scoped(state: &AppState, who: Option<&Principal>, mut q: ReportQuery) -> Result<ReportQuery, AppError> {
    match who {
        Some(who) if !q.public => q.scope = Some(who.viewer(state).await?.view.report_scope()),
        _ => q.public = true,
    }
    Ok(q)
}

/// A report as this user may have it: internal, under their scope; or public, a release of the
/// register (see `pmhc_service::releases`).
pub(crate) async fn report_for(state: &AppState, who: Option<&Principal>, q: ReportQuery) -> Result<Arc<OutcomeReport>, AppError> {
    Ok(release_for(state, who, q).await?.1)
}

/// [`report_for`], with the release a public report is (`None` for an internal one).
pub(crate) async fn release_for(
    state: &AppState,
    who: Option<&Principal>,
    q: ReportQuery,
) -> Result<(Option<pmhc_service::releases::Release>, Arc<OutcomeReport>), AppError> {
    let q = scoped(state, who, q).await?;
    if !q.public {
        return Ok((None, state.cx.outcomes().report(&q).await?));
    }
    let actor = match who {
        Some(w) => w.actor(),
        None => pmhc_service::audit::Actor { name: "public".into(), partner: None, source: "web".into() },
    };
    let release = pmhc_service::releases::public_report(&state.cx, &actor, &q, false).await?;
    let report = release.report.clone();
    Ok((Some(release), report))
}

/// The outcome report (the same JSON as `pmhc report --format json`).
#[utoipa::path(get, path = "/api/v1/outcomes", tag = "outcomes", params(OutcomeParams),
    responses((status = 200, description = "The outcome report", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn outcomes(State(state): State<AppState>, Auth(who): Auth, ApiQuery(p): ApiQuery<OutcomeParams>) -> Result<Response, ApiError> {
    who.require(Permission::ViewOutcomes)?;
    let report = report_for(&state, Some(&who), p.query()?).await?;
    Ok(Json(report.as_ref()).into_response())
}

/// The public outcome report: aggregates with disclosure control (no sign-in). It answers the
/// published periods (the shared definitions' `[periods]`; give none, or those) for the whole
/// jurisdiction, or one group of a breakdown (one of `agency`, `precinct`, `sector`, `beat`,
/// `response_model`), with the breakdowns of `by` and the monthly series unless `monthly=false`.
/// Anything else is 400. Each answer is a release of the register (`/api/v1/public/releases`).
#[utoipa::path(get, path = "/api/v1/public/outcomes", tag = "outcomes", params(OutcomeParams),
    responses((status = 200, description = "The public outcome report", body = Object), (status = 400, body = ErrorBody),
              (status = 409, description = "The release this would make is refused (it would reveal what earlier releases suppressed)", body = ErrorBody),
              (status = 401, description = "An Authorization header with a token that is not valid", body = ErrorBody)),
    security(()))]
pub(super) async fn public_outcomes(State(state): State<AppState>, _who: MaybeAuth, ApiQuery(p): ApiQuery<OutcomeParams>) -> Result<Response, ApiError> {
    let mut q = p.query()?;
    q.public = true;
    let report = report_for(&state, None, q).await?;
    Ok(Json(report.as_ref()).into_response())
}

/// The register of public releases, oldest first: what was published, when, for which periods and
/// question, from which data, and how many counts it published and suppressed (who made each is
/// left empty here; `pmhc releases` shows it).
#[utoipa::path(get, path = "/api/v1/public/releases", tag = "outcomes",
    responses((status = 200, description = "The register of public releases", body = [Object]),
              (status = 401, description = "An Authorization header with a token that is not valid", body = ErrorBody)),
    security(()))]
pub(super) async fn public_releases(State(state): State<AppState>, _who: MaybeAuth) -> Result<Response, ApiError> {
    let mut list = pmhc_service::releases::register(&state.cx).await.map_err(AppError::from)?;
    // Who made a release is the installation's business (a user or an OS account), not the public's.
    for r in &mut list {
        r.made_by = String::new();
    }
    Ok(Json(list).into_response())
}
