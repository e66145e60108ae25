//! The second sign-in factor (TOTP, RFC 6238): asked after the password of every account that
//! reaches record-level data, enrolled at the first such sign-in, reset by an administrator.
//! A code works once (the step used is kept; an older or equal one is refused), and wrong codes
//! count towards the lockout like wrong passwords.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::totp;
use pmhc_service::audit::Actor;
use serde::Deserialize;

use crate::auth::{self, ClientAddr, MaybeAuth, Pending, PendingSecondFactor};
use crate::error::PageError;
use crate::views::{Nav, render};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/sign-in/second-factor", get(form).post(submit))
}

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

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn view(state: &AppState, p: &PendingSecondFactor, next: &str, secret: Option<String>, error: Option<String>) -> Result<SecondFactorPage, AppError> {
    let enrolled = state.store.totp_secret(p.user.id).await?.is_some();
    Ok(SecondFactorPage {
        nav: Nav::new(None, "sign-in"),
        csrf: p.csrf.clone(),
        next: auth::safe_next(Some(next)),
        enrol: if enrolled { None } else { Some(enrolment(&p.user.username, secret)?) },
        error,
    })
}

async fn form(State(state): State<AppState>, MaybeAuth(who): MaybeAuth, Pending(p): Pending, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    let next = auth::safe_next(q.next.as_deref());
    let Some(p) = p else {
        return Ok(Redirect::to(if who.is_some() { &next } else { "/sign-in" }).into_response());
    };
    Ok(page(StatusCode::OK, &view(&state, &p, &next, None, None).await?))
}

#[derive(Deserialize)]
struct CodeForm {
    csrf: String,
    code: String,
    next: Option<String>,
    /// The key being enrolled (shown on the page; only before enrolment).
    secret: Option<String>,
}

async fn submit(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Pending(p): Pending, Form(f): Form<CodeForm>) -> Result<Response, PageError> {
    let Some(p) = p else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    if f.csrf != p.csrf {
        return Err(AppError::Csrf.into());
    }
    let next = auth::safe_next(f.next.as_deref());
    let actor = Actor { name: p.user.username.clone(), partner: Some(p.user.partner.to_string()), source: addr };
    let record = |outcome, detail: &'static str| {
        pmhc_service::audit::record(&state.store, &actor, AuditAction::SignIn, "session", &[], outcome, detail)
    };
    if !state.throttle.allows(&actor.source, state.store.clock().now()) {
        record(AuditOutcome::Refused, "too many failed sign-ins from this address").await?;
        let msg = "too many failed sign-ins from this address: wait 15 minutes and try again".to_string();
        return Ok(page(StatusCode::TOO_MANY_REQUESTS, &view(&state, &p, &next, f.secret.clone(), Some(msg)).await?));
    }
    let stored = state.store.totp_secret(p.user.id).await?;
    let enrolling = stored.is_none();
    let (secret_b32, last) = match &stored {
        Some((s, last)) => (s.clone(), last.and_then(|l| u64::try_from(l).ok())),
        None => (f.secret.clone().unwrap_or_default(), None),
    };
    let key = totp::base32_decode(&secret_b32).filter(|k| k.len() >= 16);
    // The real time: the code comes from the user's authenticator, which knows no other clock.
    let now = u64::try_from(pmhc_store::clock::real_now().timestamp()).unwrap_or(0);
    let step = key.as_deref().and_then(|k| totp::verify(k, &f.code, now, last));
    let accepted = match step {
        Some(step) if enrolling => {
            state.store.set_totp_secret(&p.user.username, Some(&secret_b32), Some(step as i64)).await?;
            true
        }
        // A code works once, even between two servers racing on it.
        Some(step) => state.store.use_totp_step(p.user.id, step as i64).await?,
        None => false,
    };
    if !accepted {
        state.throttle.failed(&actor.source, state.store.clock().now());
        let locked = state.store.record_failed_sign_in(&p.user.username, auth::LOCKOUT_WINDOW, auth::LOCKOUT_ATTEMPTS).await?;
        record(AuditOutcome::Refused, if locked { "wrong second-factor code: account locked" } else { "wrong second-factor code" }).await?;
        if locked {
            state.store.delete_session(&p.token_hash).await?;
            return Ok(Redirect::to("/sign-in").into_response());
        }
        let keep = if enrolling { f.secret.clone() } else { None };
        let msg = "that code is not right (or was used already); enter the code the app shows now".to_string();
        return Ok(page(StatusCode::UNAUTHORIZED, &view(&state, &p, &next, keep, Some(msg)).await?));
    }
    if let Err(e) = record(AuditOutcome::Success, if enrolling { "second factor enrolled" } else { "second factor" }).await {
        let _ = state.store.delete_session(&p.token_hash).await;
        return Err(e.into());
    }
    state.store.complete_second_factor(&p.token_hash).await?;
    Ok(Redirect::to(&next).into_response())
}
