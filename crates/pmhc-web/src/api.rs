//! The JSON API under `/api/v1`: encounters, imports, definitions and outcomes, over the same
//! service layer as the pages. The OpenAPI document (`/api/v1/openapi.json`) is generated from
//! these handlers' annotations.
//!
//! Machine clients authenticate with `Authorization: Bearer pmhc_…` (tokens made by
//! `pmhc user token` or on the Users page). A browser signed in to the pages may call the API
//! too; its unsafe requests then need the `X-CSRF-Token` header.

use axum::routing::get;
use axum::{Json, Router};
use pmhc_core::access::Permission;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(crate::openapi::routes())
        .route("/me", get(me))
        .merge(crate::encounters::api_routes())
        .merge(crate::outcomes::api_routes())
        .merge(crate::imports::api_routes())
        .merge(crate::sharing_api::routes())
        .merge(crate::referrals::api_routes())
        .merge(crate::training_pages::api_routes())
        .merge(crate::services_pages::api_routes())
        .fallback(|| async { ApiError(AppError::NotFound("no such API endpoint; see /api/v1/openapi.json".into())) })
}

// --- Account -------------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    /// The user's roles: `administrator`, `project_coordinator`, `data_specialist`, `officer`,
    /// `clinician`, `workgroup_member`.
    pub roles: Vec<String>,
    /// The partner the user works for.
    pub partner: i64,
    /// What these roles may do.
    pub permissions: Vec<String>,
}

/// Who is calling, and what their role allows.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn me(Auth(who): Auth) -> Json<Me> {
    Json(Me {
        username: who.user.username.clone(),
        display_name: who.user.display_name.clone(),
        roles: who.roles().iter().map(|r| r.as_str().to_string()).collect(),
        partner: who.user.partner,
        permissions: Permission::ALL
            .iter()
            .filter(|p| who.roles().can(**p))
            .map(|p| serde_json::to_value(p).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
            .collect(),
    })
}

