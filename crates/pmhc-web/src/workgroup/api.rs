//! The workgroup API (`/api/v1/workgroup/…`): the same use cases as the pages, as JSON. Bodies
//! are the core's records (`Member`, `Meeting`, `Charge`, …); a refusal names each field.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use pmhc_core::access::Permission;
use pmhc_core::workgroup::{ActionItem, ActionStatus, Charge, CommunityShare, Meeting, Member, Participation, Representation, SelfDescription};
use pmhc_service::Acting;
use pmhc_service::workgroup as uc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiBody, ApiPath, ApiQuery, check_header_csrf};

/// The workgroup: its charge, members, the community's demographics and the representation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkgroupInfo {
    pub charge: Option<Charge>,
    pub members: Vec<Member>,
    pub community: Vec<CommunityShare>,
    pub representation: Representation,
}

/// A member, with what they say of themself when the caller is that member or the project
/// coordinator.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberInfo {
    pub member: Member,
    pub self_description: Option<SelfDescription>,
}

/// A meeting with the open action items its agenda starts with and those that came from it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingInfo {
    pub meeting: Meeting,
    pub carried_over: Vec<ActionItem>,
    pub actions: Vec<ActionItem>,
}

/// A new action item of a meeting.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAction {
    pub owner: i64,
    pub text: String,
    pub due_on: NaiveDate,
    /// The number of the meeting's decision it carries out.
    #[serde(default)]
    pub decision: Option<u32>,
}

/// A change of an action item: its owner may set the status and add a note; those who keep the
/// workgroup may change the rest too.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionChangeBody {
    #[serde(default)]
    pub status: Option<ActionStatus>,
    /// Added to the follow-up notes, dated and signed.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub owner: Option<i64>,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    #[serde(default)]
    pub text: Option<String>,
}

/// An action item, and whether it is overdue today.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionInfo {
    #[serde(flatten)]
    pub item: ActionItem,
    pub overdue: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionsQuery {
    /// Only the overdue ones.
    pub overdue: Option<bool>,
}

fn by(who: &crate::auth::Principal) -> Acting<'_> {
    Acting::User(&who.user)
}

/// The charge, members, community and representation table.
#[utoipa::path(get, path = "/api/v1/workgroup", tag = "workgroup",
    responses((status = 200, body = WorkgroupInfo), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub(super) async fn overview(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<WorkgroupInfo>, ApiError> {
    who.require(Permission::ViewWorkgroup)?;
    let w = uc::workgroup(&state.cx, by(&who)).await?;
    Ok(Json(WorkgroupInfo { charge: w.charge, members: w.members, community: w.community, representation: w.representation }))
}

/// Set the charge (vision, mission, guiding principles, areas of focus).
#[utoipa::path(put, path = "/api/v1/workgroup/charge", tag = "workgroup", request_body = Charge,
    responses((status = 200, body = Charge), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn put_charge(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, body: ApiBody) -> Result<Json<Charge>, ApiError> {
    who.require(Permission::ManageWorkgroup)?;
    check_header_csrf(&who, &headers)?;
    let c: Charge = body.json()?;
    Ok(Json(uc::save_charge(&state.cx, &who.actor(), by(&who), c).await?))
}

/// Enter the community's demographics (replacing those entered before).
#[utoipa::path(put, path = "/api/v1/workgroup/community", tag = "workgroup", request_body = Vec<CommunityShare>,
    responses((status = 200, body = Vec<CommunityShare>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn put_community(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, body: ApiBody) -> Result<Json<Vec<CommunityShare>>, ApiError> {
    who.require(Permission::ManageWorkgroup)?;
    check_header_csrf(&who, &headers)?;
    let rows: Vec<CommunityShare> = body.json()?;
    uc::save_community(&state.cx, &who.actor(), by(&who), rows.clone()).await?;
    Ok(Json(rows))
}

/// Every member, past and present (no one's self-description).
#[utoipa::path(get, path = "/api/v1/workgroup/members", tag = "workgroup",
    responses((status = 200, body = Vec<Member>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_members(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<Vec<Member>>, ApiError> {
    who.require(Permission::ViewWorkgroup)?;
    Ok(Json(uc::members(&state.cx, by(&who)).await?))
}

/// Add a member (a person with or without a pmhc account).
#[utoipa::path(post, path = "/api/v1/workgroup/members", tag = "workgroup", request_body = Member,
    responses((status = 201, body = Member), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn add_member(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, body: ApiBody) -> Result<Response, ApiError> {
    who.require(Permission::ManageWorkgroup)?;
    check_header_csrf(&who, &headers)?;
    let m: Member = body.json()?;
    let saved = uc::save_member(&state.cx, &who.actor(), by(&who), Member { id: 0, ..m }).await?;
    let location = format!("/api/v1/workgroup/members/{}", saved.id);
    Ok((StatusCode::CREATED, [(axum::http::header::LOCATION, location)], Json(saved)).into_response())
}

/// One member; their self-description for themself and the project coordinator only.
#[utoipa::path(get, path = "/api/v1/workgroup/members/{id}", tag = "workgroup", params(("id" = i64, Path, description = "The member")),
    responses((status = 200, body = MemberInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn get_member(State(state): State<AppState>, Auth(who): Auth, ApiPath(id): ApiPath<i64>) -> Result<Json<MemberInfo>, ApiError> {
    who.require(Permission::ViewWorkgroup)?;
    let v = uc::member(&state.cx, &who.actor(), by(&who), id).await?;
    Ok(Json(MemberInfo { member: v.member, self_description: v.self_description }))
}

/// Change a member.
#[utoipa::path(put, path = "/api/v1/workgroup/members/{id}", tag = "workgroup", request_body = Member, params(("id" = i64, Path, description = "The member")),
    responses((status = 200, body = Member), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn put_member(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>, body: ApiBody) -> Result<Json<Member>, ApiError> {
    who.require(Permission::ManageWorkgroup)?;
    check_header_csrf(&who, &headers)?;
    let m: Member = body.json()?;
    if id <= 0 {
        return Err(crate::AppError::NotFound(format!("there is no workgroup member #{id}")).into());
    }
    Ok(Json(uc::save_member(&state.cx, &who.actor(), by(&who), Member { id, ..m }).await?))
}

/// Set what a member says of themself (the member, or the project coordinator); `{}` removes it.
#[utoipa::path(put, path = "/api/v1/workgroup/members/{id}/self-description", tag = "workgroup", request_body = SelfDescription, params(("id" = i64, Path, description = "The member")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn put_self_description(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>, body: ApiBody) -> Result<StatusCode, ApiError> {
    who.require(Permission::ViewWorkgroup)?;
    check_header_csrf(&who, &headers)?;
    let d: SelfDescription = body.json()?;
    uc::describe_member(&state.cx, &who.actor(), by(&who), id, d).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The meetings, newest first.
#[utoipa::path(get, path = "/api/v1/workgroup/meetings", tag = "workgroup",
    responses((status = 200, body = Vec<Meeting>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_meetings(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<Vec<Meeting>>, ApiError> {
    who.require(Permission::ViewWorkgroup)?;
    Ok(Json(uc::meetings(&state.cx, by(&who)).await?))
}

/// Add a meeting: its agenda before it; attendance, minutes (Markdown) and decisions after.
#[utoipa::path(post, path = "/api/v1/workgroup/meetings", tag = "workgroup", request_body = Meeting,
    responses((status = 201, body = Meeting), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn add_meeting(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, body: ApiBody) -> Result<Response, ApiError> {
    who.require(Permission::ManageWorkgroup)?;
    check_header_csrf(&who, &headers)?;
    let m: Meeting = body.json()?;
    let saved = uc::save_meeting(&state.cx, &who.actor(), by(&who), Meeting { id: 0, ..m }).await?;
    let location = format!("/api/v1/workgroup/meetings/{}", saved.id);
    Ok((StatusCode::CREATED, [(axum::http::header::LOCATION, location)], Json(saved)).into_response())
}

/// One meeting, the open action items its agenda starts with, and the action items from it.
#[utoipa::path(get, path = "/api/v1/workgroup/meetings/{id}", tag = "workgroup", params(("id" = i64, Path, description = "The meeting")),
    responses((status = 200, body = MeetingInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn get_meeting(State(state): State<AppState>, Auth(who): Auth, ApiPath(id): ApiPath<i64>) -> Result<Json<MeetingInfo>, ApiError> {
    who.require(Permission::ViewWorkgroup)?;
    let v = uc::meeting(&state.cx, by(&who), id).await?;
    Ok(Json(MeetingInfo { meeting: v.meeting, carried_over: v.carried_over, actions: v.actions }))
}

/// Change a meeting (its agenda, attendance, minutes and decisions are replaced).
#[utoipa::path(put, path = "/api/v1/workgroup/meetings/{id}", tag = "workgroup", request_body = Meeting, params(("id" = i64, Path, description = "The meeting")),
    responses((status = 200, body = Meeting), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn put_meeting(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>, body: ApiBody) -> Result<Json<Meeting>, ApiError> {
    who.require(Permission::ManageWorkgroup)?;
    check_header_csrf(&who, &headers)?;
    let m: Meeting = body.json()?;
    if id <= 0 {
        return Err(crate::AppError::NotFound(format!("there is no meeting #{id}")).into());
    }
    Ok(Json(uc::save_meeting(&state.cx, &who.actor(), by(&who), Meeting { id, ..m }).await?))
}

/// Add an action item to a meeting.
#[utoipa::path(post, path = "/api/v1/workgroup/meetings/{id}/actions", tag = "workgroup", request_body = NewAction, params(("id" = i64, Path, description = "The meeting")),
    responses((status = 201, body = ActionItem), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn add_action(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>, body: ApiBody) -> Result<Response, ApiError> {
    who.require(Permission::ManageWorkgroup)?;
    check_header_csrf(&who, &headers)?;
    let n: NewAction = body.json()?;
    uc::meeting(&state.cx, by(&who), id).await?;
    let a = ActionItem { id: 0, meeting: id, decision: n.decision, owner: n.owner, text: n.text, due_on: n.due_on, status: ActionStatus::Open, follow_up: String::new(), closed_on: None };
    let saved = uc::add_action_item(&state.cx, &who.actor(), by(&who), a).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

/// The action items, soonest due first (`?overdue=true`: only those open past their due day).
#[utoipa::path(get, path = "/api/v1/workgroup/actions", tag = "workgroup", params(ActionsQuery),
    responses((status = 200, body = Vec<ActionInfo>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_actions(State(state): State<AppState>, Auth(who): Auth, ApiQuery(q): ApiQuery<ActionsQuery>) -> Result<Json<Vec<ActionInfo>>, ApiError> {
    who.require(Permission::ViewWorkgroup)?;
    let today = state.cx.clock().today();
    let items = uc::action_items(&state.cx, by(&who)).await?;
    Ok(Json(
        items.into_iter().map(|item| ActionInfo { overdue: item.overdue(today), item }).filter(|i| q.overdue != Some(true) || i.overdue).collect(),
    ))
}

/// Change an action item: its owner sets the status and adds notes; those who keep the workgroup
/// may also change the owner, the due day and the action.
#[utoipa::path(post, path = "/api/v1/workgroup/actions/{id}", tag = "workgroup", request_body = ActionChangeBody, params(("id" = i64, Path, description = "The action item")),
    responses((status = 200, body = ActionItem), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn change_action(State(state): State<AppState>, Auth(who): Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>, body: ApiBody) -> Result<Json<ActionItem>, ApiError> {
    who.require(Permission::ViewWorkgroup)?;
    check_header_csrf(&who, &headers)?;
    let c: ActionChangeBody = body.json()?;
    let change = uc::ActionChange { status: c.status, note: c.note, owner: c.owner, due_on: c.due_on, text: c.text };
    Ok(Json(uc::change_action_item(&state.cx, &who.actor(), by(&who), id, change).await?))
}

/// Attendance at the workgroup's meetings: per member, and per sector by quarter.
#[utoipa::path(get, path = "/api/v1/workgroup/participation", tag = "workgroup",
    responses((status = 200, body = Participation), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub(super) async fn participation(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<Participation>, ApiError> {
    who.require(Permission::ViewWorkgroup)?;
    Ok(Json(uc::participation(&state.cx, by(&who)).await?))
}
