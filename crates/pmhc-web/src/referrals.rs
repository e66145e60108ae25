//! Closed-loop referrals on the pages (`/referrals`) and in the API (`/api/v1/referrals`): the
//! referring partner makes and sends them, the receiving provider accepts, turns away or confirms
//! the connection. Every view and move is audited.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pmhc_core::access::Permission;
use pmhc_core::audit::AuditAction;
use pmhc_core::services::{ReferralState, TurnAwayReason};
use pmhc_service::referrals::{self, ReferralView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::{ApiBody, ApiPath, check_header_csrf};
use crate::auth::{Auth, Principal, audit};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::present::{Nav, render};
use crate::{AppError, AppState};

pub fn page_routes() -> Router<AppState> {
    Router::new().route("/referrals", get(referrals_page).post(referral_make_page)).route("/referrals/{id}/move", post(referral_move_page))
}

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/referrals", get(list_api).post(make_api))
        .route("/referrals/{id}", get(get_api))
        .route("/referrals/{id}/move", post(move_api))
}

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

async fn make(state: &AppState, who: &Principal, n: NewReferral) -> Result<ReferralView, AppError> {
    let viewer = who.viewer(state).await?;
    let to = n.state.unwrap_or(ReferralState::Sent);
    Ok(referrals::make(&state.store, Some(&state.outcomes), &who.actor(), pmhc_service::Acting::User(&who.user), &viewer, &n.source_system, &n.source_key, n.service_id, to).await?)
}

async fn advance(state: &AppState, who: &Principal, id: i64, m: ReferralMove) -> Result<ReferralView, AppError> {
    let viewer = who.viewer(state).await?;
    Ok(referrals::advance(&state.store, Some(&state.outcomes), &who.actor(), pmhc_service::Acting::User(&who.user), &viewer, id, m.to, m.reason).await?)
}

/// The referrals the caller's partner is a party to (made from its encounters or sent to its services).
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals",
    responses((status = 200, body = Vec<ReferralInfo>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn list_api(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<Vec<ReferralInfo>>, ApiError> {
    who.require(Permission::ViewEncounters)?;
    let viewer = who.viewer(&state).await?;
    let list = referrals::list(&state.store, &viewer, 500).await?;
    audit(&state, &who, AuditAction::View, "referrals", &[], format!("{} referrals", list.len())).await?;
    Ok(Json(list.iter().map(|v| info(v, who.user.partner)).collect()))
}

/// One referral with its history.
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals", params(("id" = i64, Path, description = "The referral")),
    responses((status = 200, body = ReferralInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn get_api(State(state): State<AppState>, Auth(who): Auth, ApiPath(id): ApiPath<i64>) -> Result<Json<ReferralInfo>, ApiError> {
    who.require(Permission::ViewEncounters)?;
    let viewer = who.viewer(&state).await?;
    let v = referrals::get(&state.store, &viewer, id).await?.ok_or_else(|| AppError::NotFound(format!("there is no referral #{id}")))?;
    audit(&state, &who, AuditAction::View, format!("referral:{id}"), &[], "API").await?;
    Ok(Json(info(&v, who.user.partner)))
}

/// Refer an encounter of the caller's partner to a service.
#[utoipa::path(post, path = "/api/v1/referrals", tag = "referrals", request_body = NewReferral,
    responses((status = 201, body = ReferralInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn make_api(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, body: ApiBody) -> Result<Response, ApiError> {
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
pub(crate) async fn move_api(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>, body: ApiBody) -> Result<Json<ReferralInfo>, ApiError> {
    who.require(Permission::EditEncounters)?;
    check_header_csrf(&who, &headers)?;
    let m: ReferralMove = body.json()?;
    let v = advance(&state, &who, id, m).await?;
    Ok(Json(info(&v, who.user.partner)))
}

pub struct ReferralRow {
    pub id: i64,
    pub encounter: String,
    pub encounter_href: String,
    pub service: String,
    pub state: &'static str,
    pub updated: String,
    pub incoming: bool,
    pub moves: Vec<(&'static str, &'static str)>,
    pub turn_away: bool,
}

#[derive(Template)]
#[template(path = "referrals.html")]
pub struct ReferralsPage {
    pub nav: Nav,
    pub error: Option<String>,
    pub rows: Vec<ReferralRow>,
    pub services: Vec<(i64, String)>,
    pub reasons: Vec<(&'static str, &'static str)>,
}

async fn page_view(state: &AppState, who: &Principal, error: Option<String>) -> Result<ReferralsPage, AppError> {
    who.require(Permission::ViewEncounters)?;
    let viewer = who.viewer(state).await?;
    let list = referrals::list(&state.store, &viewer, 500).await?;
    audit(state, who, AuditAction::View, "referrals", &[], format!("{} referrals", list.len())).await?;
    let rows = list
        .iter()
        .map(|v| {
            let r = &v.referral;
            let moves = v.moves_for(who.user.partner);
            ReferralRow {
                id: r.id,
                encounter: format!("{}/{}", r.source_system, r.source_key),
                encounter_href: format!("/encounters/{}/{}", crate::present::path_segment(&r.source_system), crate::present::path_segment(&r.source_key)),
                service: v.service.name.clone(),
                state: r.state.label(),
                updated: r.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                incoming: v.service.provider == who.user.partner,
                turn_away: moves.contains(&ReferralState::TurnedAway),
                moves: moves.iter().filter(|m| **m != ReferralState::TurnedAway).map(|m| (m.as_str(), m.label())).collect(),
            }
        })
        .collect();
    let services = state.store.list_services().await?.into_iter().map(|s| (s.id, s.name)).collect();
    Ok(ReferralsPage {
        nav: Nav::new(Some(who), "referrals"),
        error,
        rows,
        services,
        reasons: TurnAwayReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
    })
}

async fn referrals_page(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    Ok(Html(render(&page_view(&state, &who, None).await?)).into_response())
}

/// Answer a page action: back to the list, or the list with the reason it was refused.
async fn after(state: &AppState, who: &Principal, r: Result<(), AppError>) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(Redirect::to("/referrals").into_response()),
        Err(e) if e.is_not_about_the_form() => Err(e.into()),
        Err(e) => Ok((e.status(), Html(render(&page_view(state, who, Some(e.to_string())).await?))).into_response()),
    }
}

#[derive(Deserialize)]
struct MakeForm {
    csrf: String,
    source_system: String,
    source_key: String,
    service_id: i64,
}

async fn referral_make_page(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<MakeForm>) -> Result<Response, PageError> {
    who.check_csrf(&f.csrf)?;
    let n = NewReferral { source_system: f.source_system.trim().into(), source_key: f.source_key.trim().into(), service_id: f.service_id, state: None };
    let r = make(&state, &who, n).await.map(|_| ());
    after(&state, &who, r).await
}

#[derive(Deserialize)]
struct MoveForm {
    csrf: String,
    to: String,
    reason: Option<String>,
}

async fn referral_move_page(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(f): Form<MoveForm>) -> Result<Response, PageError> {
    who.check_csrf(&f.csrf)?;
    let r = async {
        let to: ReferralState = f.to.parse().map_err(|e: pmhc_core::sharing::UnknownName| AppError::BadRequest(e.to_string()))?;
        let reason = match f.reason.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(s.parse::<TurnAwayReason>().map_err(|e| AppError::BadRequest(e.to_string()))?),
            None => None,
        };
        advance(&state, &who, id, ReferralMove { to, reason }).await.map(|_| ())
    }
    .await;
    after(&state, &who, r).await
}
