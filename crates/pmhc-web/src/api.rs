//! The JSON API under `/api/v1`: encounters, imports, definitions and outcomes, over the same
//! service layer as the pages. The OpenAPI document (`/api/v1/openapi.json`) is generated from
//! these handlers' annotations.
//!
//! Machine clients authenticate with `Authorization: Bearer pmhc_…` (tokens made by
//! `pmhc user token` or on the Users page). A browser signed in to the pages may call the API
//! too; its unsafe requests then need the `X-CSRF-Token` header.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use pmhc_core::access::Permission;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::imports::ImportDetails;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(crate::openapi::routes())
        .route("/me", get(me))
        .merge(crate::encounters::api_routes())
        .merge(crate::outcomes::api_routes())
        .route("/imports", get(list_imports))
        .route("/imports/{id}", get(get_import))
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

// --- Imports ---------------------------------------------------------------------------------

/// An import in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportInfo {
    pub id: i64,
    pub file_name: String,
    pub mapping_name: String,
    pub source_system: String,
    /// `running`, `complete`, `partial` or `failed`.
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub received: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub stale: u64,
    /// Percent of the file read, while it runs in this server.
    pub progress: Option<u64>,
    /// The summary (unknown codes, first rejected rows), once it ended.
    pub details: Option<ImportDetails>,
    /// Where the rejected rows can be downloaded (CSV), if any.
    pub rejects_href: Option<String>,
}

pub(crate) async fn import_info(state: &AppState, r: pmhc_store::ImportRecord, with_details: bool) -> Result<ImportInfo, AppError> {
    // Still "running" until its details are kept (the store marks it finished a moment before).
    let progress = state.imports.progress(r.id);
    let status = if progress.is_some() { "running".to_string() } else { r.status.to_string() };
    let details = if with_details {
        state.store.import_summary(r.id).await?.and_then(|s| serde_json::from_str::<ImportDetails>(&s).ok())
    } else {
        None
    };
    Ok(ImportInfo {
        progress,
        rejects_href: (r.rejected > 0).then(|| format!("/imports/{}/rejects.csv", r.id)),
        id: r.id,
        file_name: r.file_name,
        mapping_name: r.mapping_name,
        source_system: r.source_system,
        status,
        started_at: r.started_at.to_rfc3339(),
        finished_at: r.finished_at.map(|t| t.to_rfc3339()),
        received: r.received,
        accepted: r.accepted,
        rejected: r.rejected,
        inserted: r.inserted,
        updated: r.updated,
        unchanged: r.unchanged,
        stale: r.stale,
        details,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// At most this many (1–1000; 100 by default).
    pub limit: Option<u32>,
}

/// The import history, most recent first.
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", params(LimitQuery),
    responses((status = 200, body = Vec<ImportInfo>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_imports(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<LimitQuery>,
) -> Result<Json<Vec<ImportInfo>>, ApiError> {
    who.require(Permission::Import)?;
    let mut out = Vec::new();
    for r in state.store.list_imports(Some(who.user.partner), q.limit.unwrap_or(100).clamp(1, 1000)).await? {
        out.push(import_info(&state, r, false).await?);
    }
    Ok(Json(out))
}

/// One import, with its progress or its summary.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports", params(("id" = i64, Path, description = "The import's id")),
    responses((status = 200, body = ImportInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn get_import(State(state): State<AppState>, Auth(who): Auth, ApiPath(id): ApiPath<i64>) -> Result<Json<ImportInfo>, ApiError> {
    who.require(Permission::Import)?;
    let r = crate::pages::own_import(&state, &who, id).await?;
    let info = import_info(&state, r, true).await?;
    crate::auth::audit(&state, &who, pmhc_core::audit::AuditAction::View, format!("import:{id}"), &[], format!("import {}", info.status)).await?;
    Ok(Json(info))
}

