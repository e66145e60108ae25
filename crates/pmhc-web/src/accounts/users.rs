//! The Users page (administrators): accounts of the partner (all, for an installation
//! administrator), adding one, API tokens, unlocking, approving and resetting a second factor.
//! Every action needs the password entered in the last minutes.

use askama::Template;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use pmhc_core::access::{Permission, Role};
use pmhc_service::Acting;
use serde::Deserialize;

use crate::auth::{Auth, Principal};
use crate::error::PageError;
use crate::present::{Nav, page};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "users.html")]
pub struct Users {
    pub nav: Nav,
    pub error: Option<String>,
    pub new_token: Option<String>,
    pub users: Vec<(String, String, String, String, String, String)>,
    pub tokens: Vec<(i64, String, String, String, String, String)>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub partners: Vec<pmhc_core::sharing::Partner>,
}

async fn users_view(state: &AppState, who: &Principal, error: Option<String>, new_token: Option<String>) -> Result<Users, AppError> {
    let partners = pmhc_service::partners::list(&state.cx).await?;
    let partner_name = |id: i64| partners.iter().find(|p| p.id == id).map_or_else(|| id.to_string(), |p| p.name.clone());
    let fmt = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into());
    Ok(Users {
        nav: Nav::new(Some(who), "users"),
        error,
        new_token,
        users: pmhc_service::accounts::visible_accounts(&state.cx, Acting::User(&who.user))
            .await?
            .into_iter()
            .map(|u| {
                let state = match (u.active, u.locked) {
                    (false, _) => "disabled",
                    (true, true) => "locked",
                    (true, false) => "yes",
                };
                let state = if u.mfa_enrolled { format!("{state}; second factor set") } else { state.to_string() };
                (u.username, u.display_name, u.roles.labels(), state, fmt(u.last_sign_in_at), partner_name(u.partner))
            })
            .collect(),
        tokens: pmhc_service::accounts::visible_tokens(&state.cx, Acting::User(&who.user))
            .await?
            .into_iter()
            .map(|t| (t.id, t.username, t.name, fmt(Some(t.created_at)), fmt(t.last_used_at), if t.revoked { "yes".into() } else { "no".into() }))
            .collect(),
        // The least privileged first (the default); installation-level roles last.
        roles: [
            Role::WorkgroupMember,
            Role::Officer,
            Role::Clinician,
            Role::DataSpecialist,
            Role::ProjectCoordinator,
            Role::Administrator,
            Role::Auditor,
            Role::InstallationAdministrator,
        ]
        .iter()
        .filter(|r| who.roles().contains(Role::InstallationAdministrator) || !matches!(r, Role::Auditor | Role::InstallationAdministrator))
        .map(|r| (r.as_str(), r.label()))
        .collect(),
        partners,
    })
}

pub(super) async fn users(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::ManageUsers)?;
    Ok(page(&users_view(&state, &who, None, None).await?))
}

/// The add-user form: several roles may be ticked (each comes as its own `role` field).
pub(super) async fn users_add(State(state): State<AppState>, Auth(who): Auth, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    users_form(&who, get("csrf"))?;
    let result = async {
        let mut roles = Vec::new();
        for (_, v) in pairs.iter().filter(|(n, _)| n == "role") {
            roles.push(v.parse::<Role>().map_err(|e: pmhc_core::access::UnknownRole| AppError::BadRequest(e.to_string()))?);
        }
        if roles.is_empty() {
            return Err(AppError::BadRequest("tick at least one role".into()));
        }
        let username = get("username").trim();
        let display = Some(get("display_name").trim()).filter(|s| !s.is_empty()).unwrap_or(username).to_string();
        let partner = match get("partner").trim() {
            "" => who.user.partner,
            p => p.parse::<i64>().map_err(|_| AppError::BadRequest(format!("partner: “{p}” is not a partner")))?,
        };
        pmhc_service::accounts::create_account(&state.cx, &who.actor(), Acting::User(&who.user), username, &display, pmhc_core::access::Roles::of(&roles), partner, get("password"))
            .await
            .map_err(AppError::from)
    }
    .await;
    match result {
        Ok(a) if a.awaiting_approval => {
            let partner = pmhc_service::partners::find(&state.cx, &a.user.partner.to_string()).await.map_or_else(|_| format!("partner {}", a.user.partner), |p| p.name);
            Ok(page(&users_view(
                &state,
                &who,
                Some(format!("{} was added, disabled: an administrator of {partner} approves it on their Users page", a.user.username)),
                None,
            )
            .await?))
        }
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(e) => Ok((e.status(), page(&users_view(&state, &who, Some(e.to_string()), None).await?)).into_response()),
    }
}

#[derive(Deserialize)]
pub(super) struct NewTokenForm {
    csrf: String,
    username: String,
    name: String,
}

pub(super) async fn tokens_add(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<NewTokenForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    match pmhc_service::accounts::issue_token(&state.cx, &who.actor(), Acting::User(&who.user), f.username.trim(), f.name.trim()).await {
        Ok(token) => Ok(page(&users_view(&state, &who, None, Some(token)).await?)),
        Err(e) => {
            let e = AppError::from(e);
            Ok((e.status(), page(&users_view(&state, &who, Some(e.to_string()), None).await?)).into_response())
        }
    }
}

#[derive(Deserialize)]
pub(super) struct UnlockForm {
    csrf: String,
    username: String,
}

/// The checks of every form on the Users page: the permission, the session's token, and the
/// password entered in the last minutes.
fn users_form(who: &Principal, csrf: &str) -> Result<(), AppError> {
    who.require(Permission::ManageUsers)?;
    who.check_csrf(csrf)?;
    who.require_recent_authentication()
}

/// Back to the Users page when an action on an account is done; the page with the reason (and
/// the refusal's status) when it is not.
async fn users_after<T>(state: &AppState, who: &Principal, r: Result<T, pmhc_service::ServiceError>) -> Result<Response, PageError> {
    match r {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(e) => {
            let e = AppError::from(e);
            Ok((e.status(), page(&users_view(state, who, Some(e.to_string()), None).await?)).into_response())
        }
    }
}

pub(super) async fn users_unlock(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<UnlockForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let r = pmhc_service::accounts::unlock(&state.cx, &who.actor(), Acting::User(&who.user), f.username.trim()).await;
    users_after(&state, &who, r).await
}

pub(super) async fn users_approve(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<UnlockForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let r = pmhc_service::accounts::approve_account(&state.cx, &who.actor(), Acting::User(&who.user), f.username.trim()).await;
    users_after(&state, &who, r).await
}

pub(super) async fn users_reset_mfa(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<UnlockForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let r = pmhc_service::accounts::reset_second_factor(&state.cx, &who.actor(), Acting::User(&who.user), f.username.trim()).await;
    users_after(&state, &who, r).await
}
