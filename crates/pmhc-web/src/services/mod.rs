//! Services: the public resource guide and intercept map, the gap analysis with capacity and
//! access (pages), and the capacity API (`/api/v1/services/{id}/capacity`). The inventory itself
//! is imported with `pmhc services import`.

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) mod api;
mod pages;

/// The resource guide, the intercept map and the gap analysis.
pub fn routes() -> Router<AppState> {
    Router::new().route("/resources", get(pages::resources)).route("/intercepts", get(pages::intercepts)).route("/gaps", get(pages::gaps))
}

/// The capacity API (nested under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/services/{id}/capacity", post(api::report_capacity))
        .route("/services/{id}/capacity/{report}", get(api::capacity_report))
}

#[cfg(test)]
mod tests;
