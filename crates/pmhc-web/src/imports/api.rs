//! The imports API: starting an import (`POST /api/v1/imports`, a multipart upload), the import
//! history and one import with its progress or its summary.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pmhc_core::access::Permission;
use pmhc_core::import::ImportCounts;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ImportDetails;
use super::own_import;
use super::upload::{MaybeMultipart, multipart, start};
use pmhc_service::Acting;
use pmhc_service::model::ImportRecord;

use crate::auth::{Auth, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, limit_param};
use crate::{AppError, AppState};

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
    #[serde(flatten)]
    pub counts: ImportCounts,
    /// Percent of the file read, while it runs in this server.
    pub progress: Option<u64>,
    /// The summary (unknown codes, first rejected rows), once it ended.
    pub details: Option<ImportDetails>,
    /// Where the rejected rows can be downloaded (CSV), if any.
    pub rejects_href: Option<String>,
}

pub(crate) async fn import_info(state: &AppState, who: &Principal, r: ImportRecord, with_details: bool) -> Result<ImportInfo, AppError> {
    // Still "running" until its details are kept (the store marks it finished a moment before).
    let progress = state.imports.progress(r.id);
    let status = if progress.is_some() { "running".to_string() } else { r.status.to_string() };
    let details = if with_details {
        pmhc_service::imports::summary(&state.cx, Acting::User(&who.user), r.id).await?.and_then(|s| serde_json::from_str::<ImportDetails>(&s).ok())
    } else {
        None
    };
    Ok(ImportInfo {
        progress,
        rejects_href: (r.counts.rejected > 0).then(|| format!("/imports/{}/rejects.csv", r.id)),
        id: r.id,
        file_name: r.file_name,
        mapping_name: r.mapping_name,
        source_system: r.source_system,
        status,
        started_at: r.started_at.to_rfc3339(),
        finished_at: r.finished_at.map(|t| t.to_rfc3339()),
        counts: r.counts,
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
pub(super) async fn list_imports(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<LimitQuery>,
) -> Result<Json<Vec<ImportInfo>>, ApiError> {
    who.require(Permission::Import)?;
    let mut out = Vec::new();
    for r in pmhc_service::imports::history(&state.cx, Acting::User(&who.user), limit_param(q.limit)).await? {
        out.push(import_info(&state, &who, r, false).await?);
    }
    Ok(Json(out))
}

/// One import, with its progress or its summary.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports", params(("id" = i64, Path, description = "The import's id")),
    responses((status = 200, body = ImportInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn get_import(State(state): State<AppState>, Auth(who): Auth, ApiPath(id): ApiPath<i64>) -> Result<Json<ImportInfo>, ApiError> {
    who.require(Permission::Import)?;
    let r = own_import(&state, &who, id).await?;
    let info = import_info(&state, &who, r, true).await?;
    crate::auth::audit(&state, &who, pmhc_core::audit::AuditAction::View, format!("import:{id}"), &[], format!("import {}", info.status)).await?;
    Ok(Json(info))
}

/// The answer to starting an import.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportStarted {
    /// The import's id: poll `GET /api/v1/imports/{id}`.
    pub id: i64,
    pub status: String,
    pub href: String,
}

/// Start an import: a multipart form with the CSV as `file`, and either `mapping` (a shipped
/// mapping's name; `pmhc` by default) or `mapping_file` (a mapping in TOML).
#[utoipa::path(
    post, path = "/api/v1/imports", tag = "imports",
    request_body(content_type = "multipart/form-data", description = "`file`: the CSV; `mapping`: a shipped mapping name, or `mapping_file`: a TOML mapping; `source_system` (optional): a source system name of the importer's own instead of the mapping's"),
    responses(
        (status = 202, description = "The import started", body = ImportStarted),
        (status = 400, description = "No file, an unknown mapping, a malformed upload", body = crate::error::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not import", body = crate::error::ErrorBody),
        (status = 413, description = "The file is larger than the server's limit", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn upload_api(State(state): State<AppState>, Auth(who): Auth, mp: MaybeMultipart) -> Result<Response, ApiError> {
    who.require(Permission::Import)?;
    let id = start(&state, &who, multipart(mp)?).await?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        axum::Json(ImportStarted { id, status: "running".into(), href: format!("/api/v1/imports/{id}") }),
    )
        .into_response())
}
