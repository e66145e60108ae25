//! The training coverage API (`/api/v1/training/coverage`): the same numbers as the page, for a
//! given day.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use pmhc_core::training::CoverageRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::coverage_for;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// Which day.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// The day to compute the coverage for (YYYY-MM-DD; default today, UTC).
    pub on: Option<String>,
}

/// A trained staff member whose refresher is overdue.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueInfo {
    pub partner: i64,
    pub staff_number: String,
    pub name: String,
    pub precinct: Option<String>,
    pub shift: Option<String>,
    pub role: String,
    pub due: NaiveDate,
}

/// The training coverage on a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingCoverageInfo {
    pub today: NaiveDate,
    /// Per group its total, then by precinct and shift (dispatchers by shift).
    pub coverage: Vec<CoverageRow>,
    /// The calls that requested a CIT officer: all of them first, then by precinct.
    pub reach: Vec<pmhc_core::training::CitReach>,
    pub courses: Vec<pmhc_core::training::CourseResults>,
    /// By name: only for those who keep the records, and only their own partner's staff (an
    /// administrator: everyone's).
    pub overdue: Vec<OverdueInfo>,
    pub overdue_total: u64,
    pub staff_on_roster: u64,
}

/// The training coverage: patrol officers and dispatchers trained by precinct and shift,
/// refreshers overdue, the calls that requested CIT, the courses' results.
#[utoipa::path(get, path = "/api/v1/training/coverage", tag = "training", params(CoverageQuery),
    responses((status = 200, body = TrainingCoverageInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn coverage_api(State(state): State<AppState>, Auth(who): Auth, ApiQuery(q): ApiQuery<CoverageQuery>) -> Result<Json<TrainingCoverageInfo>, ApiError> {
    let (c, _) = coverage_for(&state, &who, q.on.as_deref()).await?;
    Ok(Json(TrainingCoverageInfo {
        today: c.today,
        coverage: c.coverage,
        reach: c.reach,
        courses: c.courses,
        overdue: c
            .overdue
            .into_iter()
            .map(|o| OverdueInfo { partner: o.partner, staff_number: o.staff_number, name: o.name, precinct: o.precinct, shift: o.shift, role: o.role.to_string(), due: o.due })
            .collect(),
        overdue_total: c.overdue_total,
        staff_on_roster: c.staff_on_roster,
    }))
}
