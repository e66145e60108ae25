//! Outcomes: the dashboard, the public page, the reports and their downloads, the shared
//! definitions (pages), and the outcomes and definitions API under `/api/v1`.

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) mod api;
mod definition_form;
mod pages;

/// The outcome pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/public", get(pages::public_page))
        .route("/definitions", get(pages::definitions).post(pages::definitions_save))
        .route("/reports", get(pages::reports))
        .route("/reports/download", get(pages::report_download))
}

/// The outcomes and definitions API (nested under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/definitions", get(api::get_definitions).put(api::put_definitions))
        .route("/definitions/history", get(api::definition_history))
        .route("/outcomes", get(api::outcomes))
        .route("/public/outcomes", get(api::public_outcomes))
        .route("/public/releases", get(api::public_releases))
}

#[cfg(test)]
mod tests;
