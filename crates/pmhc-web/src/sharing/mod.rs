//! Sharing: the sharing screen (what each partner shares with whom; partners and agreements for
//! those who manage them), the consents page with the accounting of disclosures, and their API
//! (`/api/v1/partners`, `/agreements`, `/consents`).

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) mod api;
mod pages;

/// The sharing and consents pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sharing", get(pages::sharing))
        .route("/sharing/agreements", post(pages::agreement_add))
        .route("/sharing/agreements/{id}/end", post(pages::agreement_end))
        .route("/sharing/agreements/{id}/approve", post(pages::agreement_approve))
        .route("/sharing/partners", post(pages::partner_add))
        .route("/consents", get(pages::consents).post(pages::consent_add))
        .route("/consents/{id}/revoke", post(pages::consent_revoke))
}

/// The partners, agreements and consents API (nested under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/partners", get(api::list_partners).post(api::add_partner))
        .route("/partners/{id}", get(api::get_partner))
        .route("/agreements", get(api::list_agreements).post(api::add_agreement))
        .route("/agreements/{id}", get(api::get_agreement))
        .route("/consents/{id}", get(api::get_consent))
        .route("/agreements/{id}/end", post(api::end_agreement))
        .route("/agreements/{id}/approve", post(api::approve_agreement))
        .route("/consents", get(api::list_consents).post(api::add_consent))
        .route("/consents/{id}/revoke", post(api::revoke_consent))
        .route("/consents/accounting", get(api::accounting))
}

#[cfg(test)]
mod tests;
