//! The referrals page: the referrals of the user's partner with the moves it may make, and the
//! forms that make and move them.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use pmhc_core::access::Permission;
use pmhc_core::audit::AuditAction;
use pmhc_core::services::{ReferralState, TurnAwayReason};
use pmhc_service::referrals;
use serde::Deserialize;

use super::api::{NewReferral, ReferralMove, advance, make};
use crate::auth::{Auth, Principal, audit};
use crate::error::PageError;
use crate::present::{Nav, path_segment, render};
use crate::{AppError, AppState};

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
    let list = referrals::list(&state.cx, &viewer, 500).await?;
    audit(state, who, AuditAction::View, "referrals", &[], format!("{} referrals", list.len())).await?;
    let rows = list
        .iter()
        .map(|v| {
            let r = &v.referral;
            let moves = v.moves_for(who.user.partner);
            ReferralRow {
                id: r.id,
                encounter: format!("{}/{}", r.source_system, r.source_key),
                encounter_href: format!("/encounters/{}/{}", path_segment(&r.source_system), path_segment(&r.source_key)),
                service: v.service.name.clone(),
                state: r.state.label(),
                updated: r.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                incoming: v.service.provider == who.user.partner,
                turn_away: moves.contains(&ReferralState::TurnedAway),
                moves: moves.iter().filter(|m| **m != ReferralState::TurnedAway).map(|m| (m.as_str(), m.label())).collect(),
            }
        })
        .collect();
    let services = pmhc_service::inventory::services(&state.cx).await?.into_iter().map(|s| (s.id, s.name)).collect();
    Ok(ReferralsPage {
        nav: Nav::new(Some(who), "referrals"),
        error,
        rows,
        services,
        reasons: TurnAwayReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
    })
}

pub(super) async fn referrals_page(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
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
pub(super) struct MakeForm {
    csrf: String,
    source_system: String,
    source_key: String,
    service_id: i64,
}

pub(super) async fn referral_make_page(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<MakeForm>) -> Result<Response, PageError> {
    who.check_csrf(&f.csrf)?;
    let n = NewReferral { source_system: f.source_system.trim().into(), source_key: f.source_key.trim().into(), service_id: f.service_id, state: None };
    let r = make(&state, &who, n).await.map(|_| ());
    after(&state, &who, r).await
}

#[derive(Deserialize)]
pub(super) struct MoveForm {
    csrf: String,
    to: String,
    reason: Option<String>,
}

pub(super) async fn referral_move_page(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(f): Form<MoveForm>) -> Result<Response, PageError> {
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
