//! Closed-loop referrals on the pages (`/referrals`) and in the API (`/api/v1/referrals`): the
//! referring partner makes and sends them, the receiving provider accepts, turns away or confirms
//! the connection. Every view and move is audited.

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) mod api;
mod pages;

/// The referrals page and its forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/referrals", get(pages::referrals_page).post(pages::referral_make_page))
        .route("/referrals/{id}/move", post(pages::referral_move_page))
}

/// The referrals API (nested under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/referrals", get(api::list_api).post(api::make_api))
        .route("/referrals/{id}", get(api::get_api))
        .route("/referrals/{id}/move", post(api::move_api))
}

#[cfg(test)]
mod tests;
