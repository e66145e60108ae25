//! The pages: server-rendered HTML over the same service layer as the API.

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use pmhc_core::access::{Permission, Role};
use pmhc_import::csv_safe::write_safe_record;
use serde::Deserialize;

use pmhc_service::Acting;
use crate::auth::{self, Auth, ClientAddr, MaybeAuth, Principal, audit};
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_service::audit::Actor;
use crate::error::PageError;
use crate::present::{Nav, csv_download, page, page_link};
use crate::views;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/reauth", get(reauth_form).post(reauth))
        .route("/users", get(users).post(users_add))
        .route("/users/tokens", post(tokens_add))
        .route("/users/unlock", post(users_unlock))
        .route("/users/reset-second-factor", post(users_reset_mfa))
        .route("/users/approve", post(users_approve))
        .route("/audit", get(audit_page))
        .route("/audit.csv", get(audit_csv))
        .fallback(|| async { PageError(AppError::NotFound("there is no such page".into())) })
}

// --- Sign-in -------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn sign_in_form(
    State(state): State<AppState>,
    MaybeAuth(who): MaybeAuth,
    auth::Pending(pending): auth::Pending,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    if who.is_some() {
        return Ok(Redirect::to(&auth::safe_next(q.next.as_deref())).into_response());
    }
    if pending.is_some() {
        let next = auth::urlencode(&auth::safe_next(q.next.as_deref()));
        return Ok(Redirect::to(&format!("/sign-in/second-factor?next={next}")).into_response());
    }
    sign_in_page(&state, None, q.next.as_deref().unwrap_or("/"), "", StatusCode::OK)
}

fn sign_in_page(state: &AppState, error: Option<String>, next: &str, username: &str, status: StatusCode) -> Result<Response, PageError> {
    let pre = pmhc_service::accounts::new_secret()?;
    let t = views::SignIn {
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
struct SignInForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
    /// The use notice's checkbox.
    acknowledge: Option<String>,
}

async fn sign_in(State(state): State<AppState>, ClientAddr(addr): ClientAddr, headers: HeaderMap, Form(f): Form<SignInForm>) -> Result<Response, PageError> {
    let next = auth::safe_next(f.next.as_deref());
    let attempted: String = f.username.trim().chars().filter(|c| !c.is_control()).take(64).collect();
    let actor = Actor { name: attempted, partner: None, source: addr };
    let record = |outcome, detail: &'static str| {
        pmhc_service::audit::record(&state.store, &actor, AuditAction::SignIn, "session", &[], outcome, detail)
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
    match pmhc_service::signin::sign_in(&state.store, &state.throttle, &actor.source, &f.username, &f.password).await? {
        Ok(session) => {
            let to = if session.second_factor_next { format!("/sign-in/second-factor?next={}", auth::urlencode(&next)) } else { next };
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

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn sign_out(
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
        state.store.delete_session(&p.token_hash).await?;
        return Ok(Redirect::to("/sign-in").into_response());
    }
    let who = who.ok_or(AppError::Unauthenticated)?;
    who.check_csrf(&f.csrf)?;
    audit(&state, &who, AuditAction::SignOut, "session", &[], "").await?;
    if let auth::Credential::Session { token_hash, .. } = &who.credential {
        state.store.delete_session(token_hash).await?;
    }
    let mut r = Redirect::to("/sign-in").into_response();
    if let Ok(v) = auth::set_cookie(auth::SESSION_COOKIE, "", Some(0), state.config.behind_tls).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

// --- Users (administrators) ----------------------------------------------------------------

async fn users_view(state: &AppState, who: &Principal, error: Option<String>, new_token: Option<String>) -> Result<views::Users, AppError> {
    let partners = state.store.list_partners().await?;
    let partner_name = |id: i64| partners.iter().find(|p| p.id == id).map_or_else(|| id.to_string(), |p| p.name.clone());
    let fmt = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into());
    Ok(views::Users {
        nav: Nav::new(Some(who), "users"),
        error,
        new_token,
        users: pmhc_service::accounts::visible_accounts(&state.store, Acting::User(&who.user))
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
        tokens: {
            let mine: Vec<String> = pmhc_service::accounts::visible_accounts(&state.store, Acting::User(&who.user))
                .await?
                .into_iter()
                .filter(|u| u.partner == who.user.partner)
                .map(|u| u.username)
                .collect();
            state.store.list_api_tokens().await?.into_iter().filter(move |t| mine.contains(&t.username))
        }
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

async fn users(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::ManageUsers)?;
    Ok(page(&users_view(&state, &who, None, None).await?))
}

#[derive(Deserialize)]
struct NewUserForm {
    csrf: String,
    username: String,
    display_name: Option<String>,
    role: String,
    partner: Option<i64>,
    password: String,
}

async fn users_add(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<NewUserForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let result = async {
        let role: Role = f.role.parse().map_err(|e: pmhc_core::access::UnknownRole| AppError::BadRequest(e.to_string()))?;
        let display = f.display_name.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or(f.username.trim()).to_string();
        let partner = f.partner.unwrap_or(who.user.partner);
        pmhc_service::accounts::create_account(&state.store, &who.actor(), Acting::User(&who.user), f.username.trim(), &display, role.into(), partner, &f.password)
            .await
            .map_err(AppError::from)
    }
    .await;
    match result {
        Ok(a) if a.awaiting_approval => Ok(page(&users_view(
            &state,
            &who,
            Some(format!("{} was added, disabled: an administrator of partner {} approves it on their Users page", a.user.username, a.user.partner)),
            None,
        )
        .await?)),
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(e) => Ok((e.status(), page(&users_view(&state, &who, Some(e.to_string()), None).await?)).into_response()),
    }
}

#[derive(Deserialize)]
struct NewTokenForm {
    csrf: String,
    username: String,
    name: String,
}

async fn tokens_add(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<NewTokenForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    match pmhc_service::accounts::issue_token(&state.store, &who.actor(), Acting::User(&who.user), f.username.trim(), f.name.trim()).await {
        Ok(token) => Ok(page(&users_view(&state, &who, None, Some(token)).await?)),
        Err(e) => {
            let e = AppError::from(e);
            Ok((e.status(), page(&users_view(&state, &who, Some(e.to_string()), None).await?)).into_response())
        }
    }
}

// --- Audit trail (administrators) ---------------------------------------------------------

#[derive(Deserialize, Default)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    object: Option<String>,
    from: Option<String>,
    to: Option<String>,
    offset: Option<u64>,
    verify: Option<String>,
}

/// The audit filters of a request.
fn audit_filter(q: &AuditQuery) -> Result<pmhc_store::AuditFilter, AppError> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let day = |name: &str, v: &Option<String>| -> Result<Option<String>, AppError> {
        match text(v) {
            None => Ok(None),
            Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map(|d| Some(d.to_string()))
                .map_err(|_| AppError::BadRequest(format!("{name}: `{d}` is not a date (YYYY-MM-DD)"))),
        }
    };
    let action = match text(&q.action) {
        Some(a) => Some(pmhc_core::audit::AuditAction::parse(&a).ok_or_else(|| AppError::BadRequest(format!("`{a}` is not an audit action")))?),
        None => None,
    };
    let outcome = match text(&q.outcome) {
        Some(o) => Some(AuditOutcome::parse(&o).ok_or_else(|| AppError::BadRequest(format!("`{o}` is not an outcome")))?),
        None => None,
    };
    Ok(pmhc_store::AuditFilter {
        actor: text(&q.actor),
        action,
        outcome,
        object_prefix: text(&q.object),
        from: day("from", &q.from)?,
        to: day("to", &q.to)?,
        scope: None,
    })
}

/// Entries an audit export holds at most (narrow the filters for more).
const AUDIT_EXPORT_MAX: u32 = 100_000;

/// The filtered audit trail as CSV, for auditors' own tools (the export itself is audited).
async fn audit_csv(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<AuditQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewAudit)?;
    let mut filter = audit_filter(&q)?;
    filter.scope = pmhc_service::audit::scope_for(&who.user);
    let entries = state.store.list_audit(&filter, AUDIT_EXPORT_MAX, 0).await?;
    audit(&state, &who, AuditAction::Export, "audit.csv", &[], format!("{} entries", entries.len())).await?;
    let body = (|| -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        write_safe_record(&mut w, ["id", "at_utc", "actor", "partner", "source", "action", "object", "field_groups", "outcome", "detail", "hash"])?;
        for e in &entries {
            let ev = &e.event;
            // Spreadsheet-safe: a failed sign-in's actor is whatever name was typed.
            write_safe_record(&mut w, [
                e.id.to_string().as_str(),
                &ev.at,
                &ev.actor,
                ev.partner.as_deref().unwrap_or(""),
                &ev.source,
                ev.action.as_str(),
                &ev.object,
                &ev.field_groups.join(","),
                ev.outcome.as_str(),
                &ev.detail,
                &e.hash,
            ])?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    })()
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(csv_download("pmhc-audit.csv", body))
}

async fn audit_page(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<AuditQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewAudit)?;
    let mut filter = audit_filter(&q)?;
    filter.scope = pmhc_service::audit::scope_for(&who.user);
    let (action, outcome) = (filter.action, filter.outcome);
    let offset = q.offset.unwrap_or(0).min(i64::MAX as u64);
    const PAGE: u32 = 100;
    let entries = state.store.list_audit(&filter, PAGE, offset).await?;
    // Reading the audit trail is itself audited.
    audit(&state, &who, AuditAction::View, "audit", &[], format!("{} entries", entries.len())).await?;
    let verified = if q.verify.is_some() {
        Some(match pmhc_service::audit::verify(&state.store, None).await? {
            Ok(v) => (
                true,
                match v.head {
                    Some((id, hash)) => format!("The chain is intact: {} entries; the newest is {id} with hash {hash}.", v.entries),
                    None => "The audit trail is empty.".to_string(),
                },
            ),
            Err(e) if !e.is_tampering() => (false, format!("The chain cannot be verified: {e}. Restore the key file and verify again.")),
            Err(broken) => (false, format!("The chain is BROKEN at entry {}: {broken}.", broken.entry())),
        })
    } else {
        None
    };
    let filters = [("actor", &q.actor), ("action", &q.action), ("outcome", &q.outcome), ("object", &q.object), ("from", &q.from), ("to", &q.to)];
    let next = (entries.len() as u32 == PAGE).then(|| page_link("/audit", &filters, offset + u64::from(PAGE)));
    let csv_href = page_link("/audit.csv", &filters, 0);
    let t = views::Audit {
        nav: Nav::new(Some(&who), "audit"),
        f: views::AuditFilterForm {
            actor: q.actor.clone().unwrap_or_default(),
            object: q.object.clone().unwrap_or_default(),
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
        },
        actions: pmhc_core::audit::AuditAction::ALL.iter().map(|a| (a.as_str(), Some(*a) == action)).collect(),
        outcomes: [AuditOutcome::Success, AuditOutcome::Refused, AuditOutcome::Failed].iter().map(|o| (o.as_str(), Some(*o) == outcome)).collect(),
        entries: entries
            .into_iter()
            .map(|e| {
                let ev = e.event;
                views::AuditRow {
                    id: e.id,
                    at: ev.at,
                    actor: ev.actor,
                    partner: ev.partner.unwrap_or_default(),
                    source: ev.source,
                    action: ev.action.as_str(),
                    object: ev.object,
                    groups: ev.field_groups.join(", "),
                    outcome: ev.outcome.as_str(),
                    detail: ev.detail,
                }
            })
            .collect(),
        verified,
        next,
        csv_href,
    };
    Ok(page(&t))
}

#[derive(Deserialize)]
struct UnlockForm {
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

async fn users_unlock(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<UnlockForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let r = pmhc_service::accounts::unlock(&state.store, &who.actor(), Acting::User(&who.user), f.username.trim()).await;
    users_after(&state, &who, r).await
}

async fn users_approve(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<UnlockForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let r = pmhc_service::accounts::approve_account(&state.store, &who.actor(), Acting::User(&who.user), f.username.trim()).await;
    users_after(&state, &who, r).await
}

async fn users_reset_mfa(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<UnlockForm>) -> Result<Response, PageError> {
    users_form(&who, &f.csrf)?;
    let r = pmhc_service::accounts::reset_second_factor(&state.store, &who.actor(), Acting::User(&who.user), f.username.trim()).await;
    users_after(&state, &who, r).await
}

// --- Re-authentication before administrative actions ------------------------------------

async fn reauth_form(Auth(who): Auth, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    Ok(page(&views::Reauth { nav: Nav::new(Some(&who), "users"), next: auth::safe_next(q.next.as_deref()), error: None }))
}

#[derive(Deserialize)]
struct ReauthForm {
    csrf: String,
    password: String,
    next: Option<String>,
}

async fn reauth(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<ReauthForm>) -> Result<Response, PageError> {
    who.check_csrf(&f.csrf)?;
    let next = auth::safe_next(f.next.as_deref());
    let auth::Credential::Session { token_hash, .. } = &who.credential else {
        return Ok(Redirect::to(&next).into_response());
    };
    match pmhc_service::signin::reauthenticate(&state.store, &who.actor(), &who.user, token_hash, &f.password).await? {
        Ok(()) => Ok(Redirect::to(&next).into_response()),
        Err(refusal) => {
            let m = if refusal == auth::Refusal::Locked { refusal.message() } else { "the password is wrong" }.to_string();
            Ok((StatusCode::UNAUTHORIZED, page(&views::Reauth { nav: Nav::new(Some(&who), "users"), next, error: Some(m) })).into_response())
        }
    }
}
