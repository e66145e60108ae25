//! The JSON API of partners, information-sharing agreements, consents and the accounting of
//! disclosures.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pmhc_core::access::Permission;
use pmhc_core::sharing::{Consent, InformationSharingAgreement, Partner, Sector};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use pmhc_service::Acting;
use pmhc_service::agreements;

use crate::extract::{ApiBody, ApiPath, ApiQuery, check_header_csrf};
use crate::auth::{Auth, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::{AppError, AppState};

/// The partners.
#[utoipa::path(get, path = "/api/v1/partners", tag = "sharing",
    responses((status = 200, body = Vec<Partner>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_partners(State(state): State<AppState>, Auth(_who): Auth) -> Result<Json<Vec<Partner>>, ApiError> {
    Ok(Json(pmhc_service::partners::list(&state.cx).await?))
}

/// A new partner.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPartner {
    pub name: String,
    pub sector: Sector,
}

/// Add a partner (project coordinators and administrators).
#[utoipa::path(post, path = "/api/v1/partners", tag = "sharing", request_body = NewPartner,
    responses((status = 201, body = Partner), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn add_partner(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, body: ApiBody) -> Result<Response, ApiError> {
    who.require(Permission::ManageAgreements)?;
    check_header_csrf(&who, &headers)?;
    who.require_recent_authentication()?;
    let p: NewPartner = body.json()?;
    let saved = pmhc_service::partners::add(&state.cx, &who.actor(), Acting::User(&who.user), &p.name, p.sector).await?;
    Ok(created(format!("/api/v1/partners/{}", saved.id), saved))
}

/// A 201 answer naming the new resource.
fn created<T: Serialize>(location: String, body: T) -> Response {
    (StatusCode::CREATED, [(axum::http::header::LOCATION, location)], Json(body)).into_response()
}

/// One partner.
#[utoipa::path(get, path = "/api/v1/partners/{id}", tag = "sharing", params(("id" = i64, Path, description = "The partner")),
    responses((status = 200, body = Partner), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn get_partner(State(state): State<AppState>, Auth(_who): Auth, ApiPath(id): ApiPath<i64>) -> Result<Json<Partner>, ApiError> {
    Ok(Json(pmhc_service::partners::find(&state.cx, &id.to_string()).await?))
}

/// One agreement (of the caller's partner, or any for those who manage agreements).
#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "sharing", params(("id" = i64, Path, description = "The agreement")),
    responses((status = 200, body = AgreementInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn get_agreement(State(state): State<AppState>, Auth(who): Auth, ApiPath(id): ApiPath<i64>) -> Result<Json<AgreementInfo>, ApiError> {
    let a = visible_agreements(&state, &who).await?.into_iter().find(|a| a.agreement.id == id);
    Ok(Json(a.ok_or_else(|| AppError::NotFound(format!("there is no agreement #{id}")))?))
}

/// One consent (the caller's partner a party to it).
#[utoipa::path(get, path = "/api/v1/consents/{id}", tag = "sharing", params(("id" = i64, Path, description = "The consent")),
    responses((status = 200, body = Consent), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn get_consent(State(state): State<AppState>, Auth(who): Auth, ApiPath(id): ApiPath<i64>) -> Result<Json<Consent>, ApiError> {
    who.require(Permission::ManageConsents)?;
    Ok(Json(pmhc_service::consents::get(&state.cx, &who.actor(), Acting::User(&who.user), id, "API").await?))
}

/// An agreement and its state today.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementInfo {
    #[serde(flatten)]
    pub agreement: InformationSharingAgreement,
    /// `in force`, `not yet in force`, `expired` or `ended`.
    pub state: &'static str,
}

/// The agreements the caller's partner is a party to (every agreement for those who manage
/// agreements).
pub(super) async fn visible_agreements(state: &AppState, who: &Principal) -> Result<Vec<AgreementInfo>, AppError> {
    let today = state.cx.clock().today();
    Ok(agreements::visible(&state.cx, Acting::User(&who.user))
        .await?
        .into_iter()
        .map(|a| AgreementInfo { state: a.state(today), agreement: a })
        .collect())
}

/// The information-sharing agreements.
#[utoipa::path(get, path = "/api/v1/agreements", tag = "sharing",
    responses((status = 200, body = Vec<AgreementInfo>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_agreements(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<Vec<AgreementInfo>>, ApiError> {
    Ok(Json(visible_agreements(&state, &who).await?))
}

/// Record an agreement (project coordinators and administrators).
#[utoipa::path(post, path = "/api/v1/agreements", tag = "sharing", request_body = InformationSharingAgreement,
    responses((status = 201, body = InformationSharingAgreement), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn add_agreement(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, body: ApiBody) -> Result<Response, ApiError> {
    who.require(Permission::ManageAgreements)?;
    check_header_csrf(&who, &headers)?;
    who.require_recent_authentication()?;
    let a: InformationSharingAgreement = body.json()?;
    let saved = save_agreement(&state, &who, a).await?;
    Ok(created(format!("/api/v1/agreements/{}", saved.id), saved))
}

pub(super) async fn save_agreement(
    state: &AppState,
    who: &Principal,
    a: InformationSharingAgreement,
) -> Result<InformationSharingAgreement, AppError> {
    Ok(agreements::propose(&state.cx, &who.actor(), Acting::User(&who.user), a).await?)
}

/// Approve an agreement for the caller's partner (its administrator or project coordinator):
/// until the disclosing party approves it, an agreement shares nothing.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/approve", tag = "sharing", params(("id" = i64, Path, description = "The agreement")),
    responses((status = 200, body = InformationSharingAgreement), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn approve_agreement(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>) -> Result<Json<InformationSharingAgreement>, ApiError> {
    who.require(Permission::ManageAgreements)?;
    check_header_csrf(&who, &headers)?;
    who.require_recent_authentication()?;
    Ok(Json(approve(&state, &who, id).await?))
}

pub(super) async fn approve(state: &AppState, who: &Principal, id: i64) -> Result<InformationSharingAgreement, AppError> {
    Ok(agreements::approve(&state.cx, &who.actor(), Acting::User(&who.user), id, None).await?)
}

/// End an agreement today: nothing is shared under it from now on.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/end", tag = "sharing", params(("id" = i64, Path, description = "The agreement")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn end_agreement(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>) -> Result<Response, ApiError> {
    who.require(Permission::ManageAgreements)?;
    check_header_csrf(&who, &headers)?;
    who.require_recent_authentication()?;
    finish_agreement(&state, &who, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn finish_agreement(state: &AppState, who: &Principal, id: i64) -> Result<(), AppError> {
    agreements::end(&state.cx, &who.actor(), Acting::User(&who.user), id, None).await?;
    Ok(())
}

/// Which consents.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubjectQuery {
    /// The person's pseudonymous subject key.
    pub subject: Option<String>,
}

/// The consents of one person (or the newest), those the caller's partner is a party to.
pub(super) async fn visible_consents(state: &AppState, who: &Principal, subject: Option<&str>) -> Result<Vec<Consent>, AppError> {
    Ok(pmhc_service::consents::list(&state.cx, &who.actor(), Acting::User(&who.user), subject, 200).await?)
}

/// Consents on file (clinicians and administrators).
#[utoipa::path(get, path = "/api/v1/consents", tag = "sharing", params(SubjectQuery),
    responses((status = 200, body = Vec<Consent>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn list_consents(State(state): State<AppState>, Auth(who): Auth, ApiQuery(q): ApiQuery<SubjectQuery>) -> Result<Json<Vec<Consent>>, ApiError> {
    who.require(Permission::ManageConsents)?;
    Ok(Json(visible_consents(&state, &who, q.subject.as_deref()).await?))
}

/// Record a consent; one lacking any element 42 CFR 2.31 requires is refused with all of them.
#[utoipa::path(post, path = "/api/v1/consents", tag = "sharing", request_body = Consent,
    responses((status = 201, body = Consent), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn add_consent(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, body: ApiBody) -> Result<Response, ApiError> {
    who.require(Permission::ManageConsents)?;
    check_header_csrf(&who, &headers)?;
    let c: Consent = body.json()?;
    let saved = save_consent(&state, &who, c).await?;
    Ok(created(format!("/api/v1/consents/{}", saved.id), saved))
}

pub(super) async fn save_consent(state: &AppState, who: &Principal, c: Consent) -> Result<Consent, AppError> {
    Ok(pmhc_service::consents::record(&state.cx, &who.actor(), Acting::User(&who.user), c).await?)
}

/// Revoke a consent today (disclosures already made stay in the accounting).
#[utoipa::path(post, path = "/api/v1/consents/{id}/revoke", tag = "sharing", params(("id" = i64, Path, description = "The consent")),
    responses((status = 200, body = Consent), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn revoke_consent(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>) -> Result<Json<Consent>, ApiError> {
    who.require(Permission::ManageConsents)?;
    check_header_csrf(&who, &headers)?;
    Ok(Json(withdraw_consent(&state, &who, id).await?))
}

pub(super) async fn withdraw_consent(state: &AppState, who: &Principal, id: i64) -> Result<Consent, AppError> {
    Ok(pmhc_service::consents::revoke(&state.cx, &who.actor(), Acting::User(&who.user), id, None).await?)
}

/// One disclosure in the accounting.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureInfo {
    pub disclosed_at: String,
    pub consent: i64,
    pub discloser: i64,
    pub recipient: i64,
    pub purpose: pmhc_core::sharing::Purpose,
    pub user: String,
    /// `page`, `api` or `export`.
    pub channel: String,
    pub record: String,
}

pub(super) async fn accounting_of(state: &AppState, who: &Principal, subject: &str) -> Result<Vec<DisclosureInfo>, AppError> {
    // Audited (with every disclosure counted), then narrowed to those the caller's partner made
    // or received.
    let rows = pmhc_service::sharing::accounting(&state.cx, &who.actor(), Acting::User(&who.user), subject).await?;
    Ok(rows
        .into_iter()
        .map(|d| DisclosureInfo {
            disclosed_at: d.disclosed_at.to_rfc3339(),
            consent: d.consent_id,
            discloser: d.discloser,
            recipient: d.recipient,
            purpose: d.purpose,
            user: d.username,
            channel: d.channel,
            record: format!("{}/{}", d.source_system, d.source_key),
        })
        .collect())
}

/// The accounting of disclosures of one person's records under consent, three years back.
#[utoipa::path(get, path = "/api/v1/consents/accounting", tag = "sharing", params(SubjectQuery),
    responses((status = 200, body = Vec<DisclosureInfo>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn accounting(State(state): State<AppState>, Auth(who): Auth, ApiQuery(q): ApiQuery<SubjectQuery>) -> Result<Json<Vec<DisclosureInfo>>, ApiError> {
    who.require(Permission::ManageConsents)?;
    let subject = q.subject.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| AppError::BadRequest("give the person: ?subject=KEY".into()))?;
    Ok(Json(accounting_of(&state, &who, subject).await?))
}
