//! The referrals API (`/api/v1/referrals`): the referrals of the caller's partner, one with its
//! history, making one and moving one; `make` and `advance` serve the page too.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pmhc_core::access::Permission;
use pmhc_core::audit::AuditAction;
use pmhc_core::services::{ReferralState, TurnAwayReason};
use pmhc_service::referrals::{self, ReferralView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Auth, Principal, audit};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiBody, ApiPath, check_header_csrf};
use crate::{AppError, AppState};

/// One change of a referral's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralEventInfo {
    pub at: String,
    pub from: Option<ReferralState>,
    pub to: ReferralState,
    pub reason: Option<TurnAwayReason>,
    pub by: String,
    pub partner: i64,
}

/// A closed-loop referral.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralInfo {
    pub id: i64,
    pub source_system: String,
    pub source_key: String,
    pub service_id: i64,
    pub service: String,
    pub provider: i64,
    pub referrer: i64,
    pub state: ReferralState,
    pub reason: Option<TurnAwayReason>,
    pub created_at: String,
    pub updated_at: String,
    /// The moves the caller's partner may make now.
    pub moves: Vec<ReferralState>,
    pub history: Vec<ReferralEventInfo>,
}

fn info(v: &ReferralView, partner: i64) -> ReferralInfo {
    let r = &v.referral;
    ReferralInfo {
        id: r.id,
        source_system: r.source_system.clone(),
        source_key: r.source_key.clone(),
        service_id: v.service.id,
        service: v.service.name.clone(),
        provider: v.service.provider,
        referrer: v.referrer,
        state: r.state,
        reason: r.reason,
        created_at: r.created_at.to_rfc3339(),
        updated_at: r.updated_at.to_rfc3339(),
        moves: v.moves_for(partner),
        history: v
            .events
            .iter()
            .map(|e| ReferralEventInfo { at: e.at.to_rfc3339(), from: e.from, to: e.to, reason: e.reason, by: e.actor.clone(), partner: e.partner })
            .collect(),
    }
}

/// A referral to make.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewReferral {
    pub source_system: String,
    pub source_key: String,
    pub service_id: i64,
    /// `sent` (default) or `proposed`.
    #[serde(default)]
    pub state: Option<ReferralState>,
}

/// A move of a referral.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReferralMove {
    pub to: ReferralState,
    /// Required when turning away.
    #[serde(default)]
    pub reason: Option<TurnAwayReason>,
}

pub(super) async fn make(state: &AppState, who: &Principal, n: NewReferral) -> Result<ReferralView, AppError> {
    let viewer = who.viewer(state).await?;
    let to = n.state.unwrap_or(ReferralState::Sent);
    Ok(referrals::make(&state.cx, &who.actor(), pmhc_service::Acting::User(&who.user), &viewer, &n.source_system, &n.source_key, n.service_id, to).await?)
}

pub(super) async fn advance(state: &AppState, who: &Principal, id: i64, m: ReferralMove) -> Result<ReferralView, AppError> {
    let viewer = who.viewer(state).await?;
    Ok(referrals::advance(&state.cx, &who.actor(), pmhc_service::Acting::User(&who.user), &viewer, id, m.to, m.reason).await?)
}

/// The referrals the caller's partner is a party to (made from its encounters or sent to its services).
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals",
    responses((status = 200, body = Vec<ReferralInfo>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn list_api(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<Vec<ReferralInfo>>, ApiError> {
    who.require(Permission::ViewEncounters)?;
    let viewer = who.viewer(&state).await?;
    let list = referrals::list(&state.cx, &viewer, 500).await?;
    audit(&state, &who, AuditAction::View, "referrals", &[], format!("{} referrals", list.len())).await?;
    Ok(Json(list.iter().map(|v| info(v, who.user.partner)).collect()))
}

/// One referral with its history.
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals", params(("id" = i64, Path, description = "The referral")),
    responses((status = 200, body = ReferralInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn get_api(State(state): State<AppState>, Auth(who): Auth, ApiPath(id): ApiPath<i64>) -> Result<Json<ReferralInfo>, ApiError> {
    who.require(Permission::ViewEncounters)?;
    let viewer = who.viewer(&state).await?;
    let v = referrals::get(&state.cx, &viewer, id).await?.ok_or_else(|| AppError::NotFound(format!("there is no referral #{id}")))?;
    audit(&state, &who, AuditAction::View, format!("referral:{id}"), &[], "API").await?;
    Ok(Json(info(&v, who.user.partner)))
}

/// Refer an encounter of the caller's partner to a service.
#[utoipa::path(post, path = "/api/v1/referrals", tag = "referrals", request_body = NewReferral,
    responses((status = 201, body = ReferralInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn make_api(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, body: ApiBody) -> Result<Response, ApiError> {
    who.require(Permission::EditEncounters)?;
    check_header_csrf(&who, &headers)?;
    let n: NewReferral = body.json()?;
    let v = make(&state, &who, n).await?;
    let location = format!("/api/v1/referrals/{}", v.referral.id);
    Ok((StatusCode::CREATED, [(axum::http::header::LOCATION, location)], Json(info(&v, who.user.partner))).into_response())
}

/// Move a referral: the provider accepts, turns away (with the reason), confirms the connection
/// and the completion; the referrer sends, cancels or records the person's refusal. An illegal
/// move answers 409.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/move", tag = "referrals", request_body = ReferralMove, params(("id" = i64, Path, description = "The referral")),
    responses((status = 200, body = ReferralInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn move_api(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>, body: ApiBody) -> Result<Json<ReferralInfo>, ApiError> {
    who.require(Permission::EditEncounters)?;
    check_header_csrf(&who, &headers)?;
    let m: ReferralMove = body.json()?;
    let v = advance(&state, &who, id, m).await?;
    Ok(Json(info(&v, who.user.partner)))
}
