//! The encounters API (`/api/v1/encounters`): list, read, create and replace records, as the
//! caller's partner may see them.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pmhc_core::access::Permission;
use pmhc_core::audit::AuditAction;
use pmhc_core::person::PersonIdentifiers;
use pmhc_core::{Disposition, Encounter, ResponseModel};
use pmhc_service::sharing;
use pmhc_service::model::EncounterFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiBody, ApiPath, ApiQuery, check_header_csrf, code_param, date_param, limit_param, offset_param, opt};
use crate::present::path_segment;
use crate::{AppError, AppState};

/// Filters and paging of the encounter list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EncounterQuery {
    /// First day (YYYY-MM-DD), included.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD), included.
    #[param(format = Date)]
    pub to: Option<String>,
    /// Source system.
    pub source: Option<String>,
    pub precinct: Option<String>,
    /// A disposition code.
    #[param(value_type = Option<pmhc_core::Disposition>)]
    pub disposition: Option<String>,
    /// A response-model code.
    #[param(value_type = Option<pmhc_core::ResponseModel>)]
    pub response_model: Option<String>,
    /// At most this many (1–1000; 100 by default).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Skip this many.
    pub offset: Option<u64>,
}

impl EncounterQuery {
    pub fn filter(&self) -> Result<EncounterFilter, AppError> {
        Ok(EncounterFilter {
            source_system: opt(&self.source).map(String::from),
            from: date_param("from", &self.from)?,
            to: date_param("to", &self.to)?,
            precinct: opt(&self.precinct).map(String::from),
            disposition: code_param::<Disposition>("disposition", &self.disposition)?,
            response_model: code_param::<ResponseModel>("response_model", &self.response_model)?,
            subject_key: None,
            partners: None,
        })
    }
}

/// A page of encounters.
#[derive(Debug, Serialize, ToSchema)]
pub struct EncounterPage {
    /// How many encounters match the filters.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
    /// The encounters as the caller's partner may see them: the fields of field groups no
    /// agreement shares are left out (`withheld_field_groups` names them).
    #[schema(value_type = Vec<Encounter>)]
    pub items: Vec<serde_json::Value>,
}

/// An encounter to save: the record, and optionally the person's identifiers, which are made
/// into its `subject_key` as the partner's imports make theirs (its person-key namespace) and
/// kept nowhere: the answer carries the key, never them. Give the identifiers or a
/// `subject_key`, not both.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // read as its two parts; the type is the document's
pub struct EncounterInput {
    #[serde(flatten)]
    pub encounter: Encounter,
    #[serde(flatten)]
    pub person: PersonIdentifiers,
}

/// The body of a create or replace: the record, and the person's identifiers beside its keys.
fn encounter_input(body: &ApiBody) -> Result<(Encounter, PersonIdentifiers), AppError> {
    Ok((body.json()?, body.json()?))
}

/// An encounter as the API shows it: without the keys of withheld field groups, with the owning
/// partner, the groups withheld, and for substance-use details disclosed under consent the
/// consent's scope and the re-disclosure notice (42 CFR 2.32).
pub(crate) fn shared_json(r: &pmhc_service::sharing::SharedEncounter) -> serde_json::Value {
    let mut v = serde_json::to_value(&r.encounter).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        for g in r.withheld().iter() {
            for k in g.keys() {
                o.remove(k);
            }
        }
        o.insert("owner_partner".into(), r.owner.into());
        o.insert("withheld_field_groups".into(), serde_json::to_value(r.withheld()).unwrap_or_default());
        if let (Some(c), Some(n)) = (&r.consent, r.notice()) {
            o.insert("consent_scope".into(), c.scope().into());
            o.insert("redisclosure_notice".into(), n.into());
        }
    }
    v
}

/// List encounters, most recent first.
#[utoipa::path(get, path = "/api/v1/encounters", tag = "encounters", params(EncounterQuery),
    responses((status = 200, body = EncounterPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn list_encounters(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<EncounterQuery>,
) -> Result<Json<EncounterPage>, ApiError> {
    who.require(Permission::ViewEncounters)?;
    let filter = q.filter()?;
    let (limit, offset) = (limit_param(q.limit), offset_param(q.offset));
    let viewer = who.viewer(&state).await?;
    let total = sharing::count_encounters(&state.cx, &viewer, &filter).await?;
    let actor = who.actor();
    let d = sharing::Disclosure { actor: &actor, channel: "api", action: AuditAction::View, object: format!("encounters: {}, from record {}", filter.describe(), offset + 1), detail: None };
    let items = sharing::disclose_list(&state.cx, &viewer, d, &filter, limit, offset).await?;
    Ok(Json(EncounterPage { total, limit, offset, items: items.iter().map(shared_json).collect() }))
}

/// Create an encounter (409 if one with the same source system and key exists); the person's
/// identifiers, when given, become its person key.
#[utoipa::path(post, path = "/api/v1/encounters", tag = "encounters", request_body = EncounterInput,
    responses((status = 201, body = Encounter), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn create_encounter(
    State(state): State<AppState>,
    Auth(who): Auth,
    headers: HeaderMap,
    body: ApiBody,
) -> Result<Response, ApiError> {
    who.require(Permission::EditEncounters)?;
    check_header_csrf(&who, &headers)?;
    let (e, person) = encounter_input(&body)?;
    let viewer = who.viewer(&state).await?;
    let saved = pmhc_service::encounters::create(&state.cx, &who.actor(), pmhc_service::Acting::User(&who.user), &viewer, e, &person, pmhc_service::encounters::Channel::Api).await?;
    let location = format!("/api/v1/encounters/{}/{}", path_segment(&saved.source_system), path_segment(&saved.source_key));
    Ok((StatusCode::CREATED, [(axum::http::header::LOCATION, location)], Json(saved)).into_response())
}

/// Read one encounter.
#[utoipa::path(get, path = "/api/v1/encounters/{source_system}/{source_key}", tag = "encounters",
    params(("source_system" = String, Path, description = "The source system"), ("source_key" = String, Path, description = "The source's key")),
    responses((status = 200, body = Encounter), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn get_encounter(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiPath((system, key)): ApiPath<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    who.require(Permission::ViewEncounters)?;
    let viewer = who.viewer(&state).await?;
    let actor = who.actor();
    let d = sharing::Disclosure { actor: &actor, channel: "api", action: AuditAction::View, object: format!("encounter:{system}/{key}"), detail: Some("API".into()) };
    match sharing::disclose_one(&state.cx, &viewer, d, &system, &key).await? {
        Some(r) => Ok(Json(shared_json(&r))),
        None => Err(AppError::NotFound(format!("there is no encounter {system}/{key}")).into()),
    }
}

/// Replace an existing encounter (the keys in the path win over those in the body); the person's
/// identifiers, when given, become its person key. Every version is kept.
#[utoipa::path(put, path = "/api/v1/encounters/{source_system}/{source_key}", tag = "encounters", request_body = EncounterInput,
    params(("source_system" = String, Path, description = "The source system"), ("source_key" = String, Path, description = "The source's key")),
    responses((status = 200, body = Encounter), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn update_encounter(
    State(state): State<AppState>,
    Auth(who): Auth,
    headers: HeaderMap,
    ApiPath((system, key)): ApiPath<(String, String)>,
    body: ApiBody,
) -> Result<Json<Encounter>, ApiError> {
    who.require(Permission::EditEncounters)?;
    check_header_csrf(&who, &headers)?;
    let (e, person) = encounter_input(&body)?;
    let viewer = who.viewer(&state).await?;
    Ok(Json(pmhc_service::encounters::replace(&state.cx, &who.actor(), pmhc_service::Acting::User(&who.user), &viewer, &system, &key, e, &person).await?))
}
