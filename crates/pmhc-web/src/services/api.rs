//! The capacity API: a provider reports a service's capacity (`POST
//! /api/v1/services/{id}/capacity`), and a report can be read back.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Auth;


/// A provider's report of a service's capacity.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CapacityReport {
    /// Beds or slots free now (0: full).
    pub available: u32,
    /// Beds or slots in all, when it changed (replaces the inventory's capacity from then on).
    #[serde(default)]
    pub total: Option<u32>,
    /// When (UTC, `YYYY-MM-DDTHH:MM[:SS]`); now by default.
    #[serde(default)]
    pub reported_at: Option<String>,
}

/// A capacity report as recorded.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CapacityRecorded {
    pub id: i64,
    pub service_id: i64,
    pub reported_at: String,
    pub available: u32,
    pub total: Option<u32>,
    /// The user who reported it.
    pub reported_by: String,
}

impl CapacityRecorded {
    fn new(id: i64, u: &pmhc_core::capacity::CapacityUpdate, by: String) -> CapacityRecorded {
        CapacityRecorded {
            id,
            service_id: u.service_id,
            reported_at: u.reported_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            available: u.available,
            total: u.total,
            reported_by: by,
        }
    }
}

/// One capacity report of a service (capacity is about services, not people: every role that
/// sees the outcomes may read it).
#[utoipa::path(get, path = "/api/v1/services/{id}/capacity/{report}", tag = "services",
    params(("id" = i64, Path, description = "The service"), ("report" = i64, Path, description = "The capacity report")),
    responses((status = 200, body = CapacityRecorded), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn capacity_report(
    State(state): State<AppState>,
    Auth(who): Auth,
    crate::extract::ApiPath((id, report)): crate::extract::ApiPath<(i64, i64)>,
) -> Result<axum::Json<CapacityRecorded>, crate::error::ApiError> {
    who.require(pmhc_core::access::Permission::ViewOutcomes)?;
    let (u, by) = pmhc_service::inventory::capacity_report(&state.cx, pmhc_service::Acting::User(&who.user), id, report)
        .await?
        .ok_or_else(|| crate::AppError::NotFound(format!("service #{id} has no capacity report #{report}")))?;
    Ok(axum::Json(CapacityRecorded::new(report, &u, by)))
}

/// Report a service's capacity. Only a user of the service's provider (with a role that records
/// data) or an administrator may; the report is audited.
#[utoipa::path(post, path = "/api/v1/services/{id}/capacity", tag = "services", request_body = CapacityReport,
    params(("id" = i64, Path, description = "The service")),
    responses((status = 201, body = CapacityRecorded, headers(("Location" = String, description = "The report"))), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn report_capacity(
    State(state): State<AppState>,
    Auth(who): Auth,
    headers: axum::http::HeaderMap,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
    body: crate::extract::ApiBody,
) -> Result<Response, crate::error::ApiError> {
    crate::extract::check_header_csrf(&who, &headers)?;
    // Refused before the body is read (recording it checks the same): only the provider's own
    // users, its administrator or a role that edits encounters.
    pmhc_service::inventory::may_report_capacity(&state.cx, pmhc_service::Acting::User(&who.user), id).await?;
    let r: CapacityReport = body.json()?;
    let at = match r.reported_at.as_deref() {
        Some(a) => pmhc_import::inventory::parse_reported_at(a)
            .ok_or_else(|| crate::AppError::BadRequest(format!("reported_at `{a}` is not a date and time (YYYY-MM-DDTHH:MM)")))?,
        None => state.cx.clock().now().naive_utc(),
    };
    let new = pmhc_service::inventory::record_capacity(&state.cx, &who.actor(), pmhc_service::Acting::User(&who.user), id, at, r.available, r.total).await?;
    let u = pmhc_core::capacity::CapacityUpdate { service_id: id, reported_at: at, available: r.available, total: r.total };
    let location = format!("/api/v1/services/{id}/capacity/{new}");
    let body = CapacityRecorded::new(new, &u, who.user.username.clone());
    Ok((axum::http::StatusCode::CREATED, [(axum::http::header::LOCATION, location)], axum::Json(body)).into_response())
}
