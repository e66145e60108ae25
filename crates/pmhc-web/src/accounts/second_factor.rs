//! The second sign-in factor (TOTP, RFC 6238): asked after the password of every account that
//! reaches record-level data, enrolled at the first such sign-in, reset by an administrator.
//! A code works once (the step used is kept; an older or equal one is refused), and wrong codes
//! count towards the lockout like wrong passwords.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use pmhc_core::totp;
use serde::Deserialize;

use pmhc_service::signin::SecondFactor;
use crate::auth::{self, ClientAddr, MaybeAuth, Pending, PendingSecondFactor};
use crate::error::PageError;
use crate::extract::NextQuery;
use crate::present::{Nav, render};
use crate::{AppError, AppState};

pub struct Enrolment {
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

#[derive(Template)]
#[template(path = "second_factor.html")]
pub struct SecondFactorPage {
    pub nav: Nav,
    pub csrf: String,
    pub next: String,
    pub enrol: Option<Enrolment>,
    pub error: Option<String>,
}

const ISSUER: &str = "pmhc";

fn enrolment(username: &str, secret: Option<String>) -> Result<Enrolment, AppError> {
    let secret = match secret {
        Some(s) => s,
        None => {
            // 160 random bits (RFC 4226's recommended length), from the system's generator.
            let raw = hex::decode(&pmhc_service::accounts::new_secret()?[..40]).map_err(|e| AppError::Internal(e.into()))?;
            totp::base32_encode(&raw)
        }
    };
    let uri = totp::otpauth_uri(ISSUER, username, &secret);
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|q| {
            q.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .dark_color(qrcode::render::svg::Color("#000000"))
                .light_color(qrcode::render::svg::Color("#ffffff"))
                .build()
        })
        .map_err(|e| AppError::Internal(anyhow::anyhow!("QR code: {e}")))?;
    // The renderer's output starts with an XML declaration: not wanted inside HTML.
    let qr_svg = qr_svg.find("<svg").map(|i| qr_svg[i..].to_string()).unwrap_or_default();
    let qr_svg = qr_svg.replacen("<svg", "<svg role=\"img\" aria-label=\"QR code of the authenticator key\"", 1);
    Ok(Enrolment { secret, uri, qr_svg })
}

fn page(status: StatusCode, t: &SecondFactorPage) -> Response {
    (status, Html(render(t))).into_response()
}

async fn view(state: &AppState, p: &PendingSecondFactor, next: &str, secret: Option<String>, error: Option<String>) -> Result<SecondFactorPage, AppError> {
    let enrolled = pmhc_service::signin::enrolled(&state.cx, &p.user).await?;
    Ok(SecondFactorPage {
        nav: Nav::new(None, "sign-in"),
        csrf: p.csrf.clone(),
        next: auth::safe_next(Some(next)),
        enrol: if enrolled { None } else { Some(enrolment(&p.user.username, secret)?) },
        error,
    })
}

pub(super) async fn form(State(state): State<AppState>, MaybeAuth(who): MaybeAuth, Pending(p): Pending, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    let next = auth::safe_next(q.next.as_deref());
    let Some(p) = p else {
        return Ok(Redirect::to(if who.is_some() { &next } else { "/sign-in" }).into_response());
    };
    Ok(page(StatusCode::OK, &view(&state, &p, &next, None, None).await?))
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    csrf: String,
    code: String,
    next: Option<String>,
    /// The key being enrolled (shown on the page; only before enrolment).
    secret: Option<String>,
}

pub(super) async fn submit(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Pending(p): Pending, Form(f): Form<CodeForm>) -> Result<Response, PageError> {
    let Some(p) = p else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    if f.csrf != p.csrf {
        return Err(AppError::Csrf.into());
    }
    let next = auth::safe_next(f.next.as_deref());
    match pmhc_service::signin::second_factor(&state.cx, &addr, &p.user, &p.token_hash, &f.code, f.secret.as_deref()).await? {
        SecondFactor::Accepted => {}
        SecondFactor::Throttled => {
            let msg = auth::Refusal::Throttled.message().to_string();
            return Ok(page(StatusCode::TOO_MANY_REQUESTS, &view(&state, &p, &next, f.secret.clone(), Some(msg)).await?));
        }
        SecondFactor::Wrong { locked: true } => return Ok(Redirect::to("/sign-in").into_response()),
        SecondFactor::Wrong { locked: false } => {
            let enrolling = !pmhc_service::signin::enrolled(&state.cx, &p.user).await?;
            let keep = if enrolling { f.secret.clone() } else { None };
            let msg = "that code is not right (or was used already); enter the code the app shows now".to_string();
            return Ok(page(StatusCode::UNAUTHORIZED, &view(&state, &p, &next, keep, Some(msg)).await?));
        }
    }
    Ok(Redirect::to(&next).into_response())
}
