//! Signing in (the password, with the use notice and login CSRF), signing out, and entering the
//! password again before administrative actions. The second factor is in `second_factor`.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_service::audit::Actor;
use serde::Deserialize;

use crate::auth::{self, Auth, ClientAddr, MaybeAuth};
use crate::error::PageError;
use crate::extract::{CsrfForm, NextQuery};
use crate::present::{Nav, page, urlencode};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignIn {
    pub nav: Nav,
    pub error: Option<String>,
    pub next: String,
    pub username: String,
    pub pre_csrf: String,
}

#[derive(Template)]
#[template(path = "reauth.html")]
pub struct Reauth {
    pub nav: Nav,
    pub next: String,
    pub error: Option<String>,
}

pub(super) async fn sign_in_form(
    State(state): State<AppState>,
    MaybeAuth(who): MaybeAuth,
    auth::Pending(pending): auth::Pending,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    if who.is_some() {
        return Ok(Redirect::to(&auth::safe_next(q.next.as_deref())).into_response());
    }
    if pending.is_some() {
        let next = urlencode(&auth::safe_next(q.next.as_deref()));
        return Ok(Redirect::to(&format!("/sign-in/second-factor?next={next}")).into_response());
    }
    sign_in_page(&state, None, q.next.as_deref().unwrap_or("/"), "", StatusCode::OK)
}

fn sign_in_page(state: &AppState, error: Option<String>, next: &str, username: &str, status: StatusCode) -> Result<Response, PageError> {
    let pre = pmhc_service::accounts::new_secret()?;
    let t = SignIn {
        nav: Nav::new(None, "sign-in"),
        error,
        next: auth::safe_next(Some(next)),
        username: username.to_string(),
        pre_csrf: pre.clone(),
    };
    let mut r = (status, page(&t)).into_response();
    let c = auth::set_cookie(auth::PRE_SESSION_COOKIE, &pre, Some(3600), state.config.behind_tls);
    if let Ok(v) = c.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Deserialize)]
pub(super) struct SignInForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
    /// The use notice's checkbox.
    acknowledge: Option<String>,
}

pub(super) async fn sign_in(State(state): State<AppState>, ClientAddr(addr): ClientAddr, headers: HeaderMap, Form(f): Form<SignInForm>) -> Result<Response, PageError> {
    let next = auth::safe_next(f.next.as_deref());
    let attempted: String = f.username.trim().chars().filter(|c| !c.is_control()).take(64).collect();
    let actor = Actor { name: attempted, partner: None, source: addr };
    let record = |outcome, detail: &'static str| {
        pmhc_service::audit::record(&state.cx, &actor, AuditAction::SignIn, "session", &[], outcome, detail)
    };
    // Login CSRF: the form's token must equal the pre-session cookie set with the form.
    let pre = auth::cookie(&headers, auth::PRE_SESSION_COOKIE).unwrap_or("");
    if pre.is_empty() || pre != f.csrf {
        record(AuditOutcome::Refused, "the sign-in form's token did not match").await?;
        return sign_in_page(&state, Some(AppError::Csrf.to_string()), &next, &f.username, StatusCode::FORBIDDEN);
    }
    if f.acknowledge.as_deref() != Some("yes") {
        record(AuditOutcome::Refused, "use notice not acknowledged").await?;
        return sign_in_page(&state, Some("accept the use notice to sign in".into()), &next, &f.username, StatusCode::BAD_REQUEST);
    }
    match pmhc_service::signin::sign_in(&state.cx, &actor.source, &f.username, &f.password).await? {
        Ok(session) => {
            let to = if session.second_factor_next { format!("/sign-in/second-factor?next={}", urlencode(&next)) } else { next };
            let mut r = Redirect::to(&to).into_response();
            let secure = state.config.behind_tls;
            for c in [
                auth::set_cookie(auth::SESSION_COOKIE, &session.secret, None, secure),
                auth::set_cookie(auth::PRE_SESSION_COOKIE, "", Some(0), secure),
            ] {
                if let Ok(v) = c.parse() {
                    r.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            Ok(r)
        }
        Err(refusal) => {
            let status = if refusal == auth::Refusal::Throttled { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::UNAUTHORIZED };
            sign_in_page(&state, Some(refusal.message().into()), &next, &f.username, status)
        }
    }
}

pub(super) async fn sign_out(
    State(state): State<AppState>,
    MaybeAuth(who): MaybeAuth,
    auth::Pending(pending): auth::Pending,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    // A session still waiting for its second factor can be abandoned.
    if let (None, Some(p)) = (&who, pending) {
        if p.csrf != f.csrf {
            return Err(AppError::Csrf.into());
        }
        pmhc_service::signin::abandon(&state.cx, &p.token_hash).await?;
        return Ok(Redirect::to("/sign-in").into_response());
    }
    let who = who.ok_or(AppError::Unauthenticated)?;
    who.check_csrf(&f.csrf)?;
    let session = match &who.credential {
        auth::Credential::Session { token_hash, .. } => Some(token_hash.as_str()),
        auth::Credential::ApiToken => None,
    };
    pmhc_service::signin::sign_out(&state.cx, &who.actor(), session).await?;
    let mut r = Redirect::to("/sign-in").into_response();
    if let Ok(v) = auth::set_cookie(auth::SESSION_COOKIE, "", Some(0), state.config.behind_tls).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

// --- Re-authentication before administrative actions ------------------------------------

pub(super) async fn reauth_form(Auth(who): Auth, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    Ok(page(&Reauth { nav: Nav::new(Some(&who), "users"), next: auth::safe_next(q.next.as_deref()), error: None }))
}

#[derive(Deserialize)]
pub(super) struct ReauthForm {
    csrf: String,
    password: String,
    next: Option<String>,
}

pub(super) async fn reauth(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<ReauthForm>) -> Result<Response, PageError> {
    who.check_csrf(&f.csrf)?;
    let next = auth::safe_next(f.next.as_deref());
    let auth::Credential::Session { token_hash, .. } = &who.credential else {
        return Ok(Redirect::to(&next).into_response());
    };
    match pmhc_service::signin::reauthenticate(&state.cx, &who.actor(), &who.user, token_hash, &f.password).await? {
        Ok(()) => Ok(Redirect::to(&next).into_response()),
        Err(refusal) => {
            let m = if refusal == auth::Refusal::Locked { refusal.message() } else { "the password is wrong" }.to_string();
            Ok((StatusCode::UNAUTHORIZED, page(&Reauth { nav: Nav::new(Some(&who), "users"), next, error: Some(m) })).into_response())
        }
    }
}
