//! Encounters: the list with its filters, the record page (with its versions), the CSV export and
//! the field form, new or editing a saved record (pages), and the encounters API under `/api/v1/encounters`.

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) mod api;
mod pages;

/// The encounter pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/encounters", get(pages::encounters))
        .route("/encounters/new", get(pages::field_form_page).post(pages::field_form_submit))
        .route("/encounters.csv", get(pages::encounters_csv))
        .route("/encounters/{source}/{key}", get(pages::encounter))
        .route("/encounters/{source}/{key}/edit", get(pages::field_form_edit_page).post(pages::field_form_edit_submit))
}

/// The encounters API (nested under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/encounters", get(api::list_encounters).post(api::create_encounter))
        .route("/encounters/{source_system}/{source_key}", get(api::get_encounter).put(api::update_encounter))
}

#[cfg(test)]
mod tests;
