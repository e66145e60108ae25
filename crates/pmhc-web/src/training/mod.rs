//! Training: the coverage page (`/training`): the share of patrol officers and dispatchers trained
//! by precinct and shift, the refreshers overdue, how often a trained officer reached the calls that
//! asked for one, and the courses' results; with CSV downloads. Aggregates for every signed-in
//! user; staff names of overdue refreshers only for those who keep the records.
//!
//! The page also imports courses, rosters and completions; the API gives the coverage as JSON.

use axum::Router;
use axum::routing::{get, post};
use chrono::NaiveDate;
use pmhc_core::access::Permission;
use pmhc_service::training::{CoverageReader, TrainingCoverage, training_coverage};

use crate::AppState;
use crate::auth::Principal;

pub(crate) mod api;
mod pages;

/// The training page and its imports.
pub fn routes() -> Router<AppState> {
    Router::new().route("/training", get(pages::training)).route("/training/import", post(pages::import))
}

/// The training coverage API (nested under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new().route("/training/coverage", get(api::coverage_api))
}

/// The day asked for (YYYY-MM-DD), today by default.
fn day(state: &AppState, on: Option<&str>) -> Result<NaiveDate, crate::AppError> {
    match on.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| crate::AppError::BadRequest(format!("`{s}` is not a date (YYYY-MM-DD)"))),
        None => Ok(state.cx.clock().today()),
    }
}

/// The coverage on a day as this user may see it, and whether it names staff (the page and the
/// API alike).
async fn coverage_for(state: &AppState, who: &Principal, on: Option<&str>) -> Result<(TrainingCoverage, bool), crate::AppError> {
    who.require(Permission::ViewOutcomes)?;
    let today = day(state, on)?;
    // The agreements in force on that day.
    let viewer = pmhc_service::sharing::Viewer::of(&state.cx, &who.user, today).await?;
    let roles = who.roles();
    let names = roles.can(Permission::Import) || roles.can(Permission::ManageUsers);
    let reader = CoverageReader::viewer(&viewer, names);
    Ok((training_coverage(&state.cx, &reader, today).await?, names))
}

#[cfg(test)]
mod tests;
