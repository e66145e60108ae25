//! Accounts: signing in and out, the second factor, re-authentication, the Users page
//! (administrators), and `/api/v1/me`.

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) mod api;
mod second_factor;
mod signin;
mod users;

/// The account pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(signin::sign_in_form).post(signin::sign_in))
        .route("/sign-out", post(signin::sign_out))
        .route("/reauth", get(signin::reauth_form).post(signin::reauth))
        .route("/sign-in/second-factor", get(second_factor::form).post(second_factor::submit))
        .route("/users", get(users::users).post(users::users_add))
        .route("/users/tokens", post(users::tokens_add))
        .route("/users/unlock", post(users::users_unlock))
        .route("/users/reset-second-factor", post(users::users_reset_mfa))
        .route("/users/approve", post(users::users_approve))
}

/// `/me` (nested under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new().route("/me", get(api::me))
}

#[cfg(test)]
mod tests;
