//! The audit trail: its page and its CSV export (no API).

use axum::Router;
use axum::routing::get;

use crate::AppState;

mod pages;

/// The audit pages.
pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(pages::audit_page)).route("/audit.csv", get(pages::audit_csv))
}

#[cfg(test)]
mod tests;
