//! The interagency workgroup on the pages (`/workgroup`: the charge, members and representation;
//! `/workgroup/members/{id}`; `/workgroup/meetings` with participation; `/workgroup/meetings/{id}`,
//! printable: the agenda before, the minutes after; `/workgroup/actions`: overdue and open action
//! items) and in the API (`/api/v1/workgroup/…`). Read by those with `ViewWorkgroup`, kept by those
//! with `ManageWorkgroup`; a member keeps their own action items. Every rule is the use case's
//! (`pmhc_service::workgroup`).

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) mod api;
mod pages;

/// The workgroup's pages and forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/workgroup", get(pages::overview))
        .route("/workgroup/charge", post(pages::charge))
        .route("/workgroup/community", post(pages::community))
        .route("/workgroup/members", post(pages::member_add))
        .route("/workgroup/members/{id}", get(pages::member).post(pages::member_change))
        .route("/workgroup/members/{id}/self", post(pages::member_describe))
        .route("/workgroup/meetings", get(pages::meetings).post(pages::meeting_add))
        .route("/workgroup/meetings/{id}", get(pages::meeting).post(pages::meeting_change))
        .route("/workgroup/meetings/{id}/actions", post(pages::action_add))
        .route("/workgroup/actions", get(pages::actions))
        .route("/workgroup/actions/{id}", post(pages::action_change))
}

/// The workgroup API (nested under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/workgroup", get(api::overview))
        .route("/workgroup/charge", axum::routing::put(api::put_charge))
        .route("/workgroup/community", axum::routing::put(api::put_community))
        .route("/workgroup/members", get(api::list_members).post(api::add_member))
        .route("/workgroup/members/{id}", get(api::get_member).put(api::put_member))
        .route("/workgroup/members/{id}/self-description", axum::routing::put(api::put_self_description))
        .route("/workgroup/meetings", get(api::list_meetings).post(api::add_meeting))
        .route("/workgroup/meetings/{id}", get(api::get_meeting).put(api::put_meeting))
        .route("/workgroup/meetings/{id}/actions", post(api::add_action))
        .route("/workgroup/actions", get(api::list_actions))
        .route("/workgroup/actions/{id}", post(api::change_action))
        .route("/workgroup/participation", get(api::participation))
}

#[cfg(test)]
mod tests;
