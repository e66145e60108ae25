//! Imports through the web: the upload (streamed to disk, size-limited), the import running in
//! the background through the service layer, its progress while it runs, and its details (summary,
//! unknown codes, rejected rows) kept in the database afterwards.
//!
//! Pages: the upload form with the import history (`/imports`), an import's page and its rejected
//! rows. API: `/api/v1/imports` (start one, the history) and `/api/v1/imports/{id}`.

use axum::Router;
use axum::routing::{get, post};

use crate::auth::Principal;
use crate::{AppError, AppState};

pub(crate) mod api;
mod jobs;
mod pages;
mod upload;

pub use api::{ImportInfo, ImportStarted};
pub use jobs::{ImportDetails, ImportJobs, Job, Reject, UnknownCode};

/// The import pages (the upload itself is in [`upload_routes`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(pages::imports))
        .route("/imports/{id}", get(pages::import_page))
        .route("/imports/{id}/rejects.csv", get(pages::import_rejects))
}

/// The imports API (nested under `/api/v1`; starting an import is in [`upload_routes`]).
pub fn api_routes() -> Router<AppState> {
    Router::new().route("/imports", get(api::list_imports)).route("/imports/{id}", get(api::get_import))
}

/// The routes that take uploads (their own body limit).
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/imports", post(pages::upload_page)).route("/api/v1/imports", post(api::upload_api))
}

/// An import of the user's partner (another partner's is answered as absent).
async fn own_import(state: &AppState, who: &Principal, id: i64) -> Result<pmhc_service::model::ImportRecord, AppError> {
    Ok(pmhc_service::imports::get(&state.cx, pmhc_service::Acting::User(&who.user), id).await?)
}

#[cfg(test)]
mod tests;
