//! Who is asking: browser sessions and API tokens, CSRF protection, and the permission check
//! every route makes.
//!
//! - A session cookie (`pmhc_session`) holds 32 random bytes; the database keeps their SHA-256,
//!   the user, the session's CSRF token, and its times. Sessions end after
//!   [`IDLE_TIMEOUT`] without use and [`ABSOLUTE_TIMEOUT`] after sign-in, at sign-out, and when
//!   the user's password, role or active flag changes.
//! - API clients send `Authorization: Bearer pmhc_…`; tokens are stored hashed and can be revoked.
//! - Unsafe methods (POST, PUT, PATCH, DELETE) made with a session cookie must come from this
//!   site (`Sec-Fetch-Site`/`Origin`) and carry the session's CSRF token (form field `csrf` or
//!   header `X-CSRF-Token`). Bearer-token requests carry no ambient credentials and need neither.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use pmhc_core::access::{Permission, Roles};
use pmhc_service::model::User;
use pmhc_service::signin::{self, SessionState};
use pmhc_service::accounts;

use crate::{AppError, AppState};

pub const SESSION_COOKIE: &str = "pmhc_session";
/// The cookie that carries the sign-in form's CSRF token before there is a session.
pub const PRE_SESSION_COOKIE: &str = "pmhc_signin";
pub use pmhc_service::signin::{
    ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, INACTIVE_AFTER, LOCKOUT_ATTEMPTS, LOCKOUT_RELEASE, LOCKOUT_WINDOW, REAUTH_WITHIN, Refusal,
    THROTTLE_ATTEMPTS, needs_second_factor,
};

/// How the request proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    Session { token_hash: String, csrf: String, authenticated_at: DateTime<Utc> },
    ApiToken,
}

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub credential: Credential,
    /// Where the request came from (for the audit trail).
    pub source: String,
    /// When the request was authenticated, on the store's clock.
    pub at: DateTime<Utc>,
}

impl Principal {
    /// The actor of this request's audit entries.
    pub fn actor(&self) -> pmhc_service::audit::Actor {
        pmhc_service::audit::Actor {
            name: self.user.username.clone(),
            partner: Some(self.user.partner.to_string()),
            source: self.source.clone(),
        }
    }

    pub fn roles(&self) -> Roles {
        self.user.roles
    }

    /// Refuse unless one of the user's roles holds `p`.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.user.roles.can(p) { Ok(()) } else { Err(AppError::Forbidden(p)) }
    }

    /// The user as the sharing rule sees them today (their partner and its agreements).
    pub async fn viewer(&self, state: &crate::AppState) -> Result<pmhc_service::sharing::Viewer, AppError> {
        Ok(pmhc_service::sharing::Viewer::today(&state.cx, &self.user).await?)
    }

    /// Administrative actions need the password entered in the last [`REAUTH_WITHIN`] (sessions;
    /// API tokens are issued by an administrator and have no password to enter).
    pub fn require_recent_authentication(&self) -> Result<(), AppError> {
        match &self.credential {
            Credential::Session { authenticated_at, .. } if self.at - *authenticated_at > REAUTH_WITHIN => {
                Err(AppError::ReauthRequired)
            }
            _ => Ok(()),
        }
    }

    /// The CSRF token forms must carry (empty for token clients).
    pub fn csrf(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf, .. } => csrf,
            Credential::ApiToken => "",
        }
    }

    /// Check a submitted CSRF token (always fine for token clients).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        match &self.credential {
            Credential::Session { csrf, .. } if !constant_time_eq(csrf.as_bytes(), submitted.as_bytes()) => Err(AppError::Csrf),
            _ => Ok(()),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether an unsafe request with ambient credentials comes from this site.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), headers.get(header::HOST).and_then(|v| v.to_str().ok())) {
        (Some(origin), Some(host)) => {
            let o = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            o.eq_ignore_ascii_case(host)
        }
        // Neither header: not a browser's cross-site request (browsers send Origin on unsafe
        // cross-site requests); the CSRF token still has to match.
        _ => true,
    }
}

/// Middleware: find the principal (session cookie or bearer token) and put it in the request's
/// extensions; refuse cross-site unsafe requests that carry the session cookie.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let fail = |e: AppError| if api { e.into_api_response() } else { e.into_page_response() };
    // NUL is never meaningful in a path or query (and PostgreSQL cannot compare text with it).
    if req.uri().path_and_query().is_some_and(|pq| pq.as_str().to_ascii_lowercase().contains("%00")) {
        return fail(AppError::BadRequest("the address contains a NUL character (%00)".into()));
    }
    let headers = req.headers();
    let mut set_cookie_header = None;
    let principal = if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let token = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
        let Some(token) = token else {
            return fail(AppError::Unauthenticated);
        };
        match signin::token_user(&state.cx, token).await {
            Ok(Some(user)) => Some(Principal {
                user,
                credential: Credential::ApiToken,
                source: client_address(req.headers(), req.extensions(), &state.config.trusted_proxies),
                at: state.cx.clock().now(),
            }),
            Ok(None) => return fail(AppError::Unauthenticated),
            Err(e) => return fail(e.into()),
        }
    } else if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        if is_unsafe(req.method()) && !same_origin(headers) {
            return fail(AppError::Csrf);
        }
        let hash = accounts::secret_hash(secret);
        let now = state.cx.clock().now();
        match signin::session(&state.cx, &hash, now).await {
            // Unknown, or ended (idle, too old, the account disabled or locked): the cookie goes.
            Ok(SessionState::Ended) => {
                set_cookie_header = Some(set_cookie(SESSION_COOKIE, "", Some(0), state.config.behind_tls));
                None
            }
            // Password given, second factor not yet: only the second-factor pages (and sign-out)
            // see this session.
            Ok(SessionState::Pending { user, csrf }) => {
                req.extensions_mut().insert(PendingSecondFactor { user, token_hash: hash, csrf });
                None
            }
            Ok(SessionState::Active { user, csrf, authenticated_at }) => Some(Principal {
                user,
                credential: Credential::Session { token_hash: hash, csrf, authenticated_at },
                source: client_address(req.headers(), req.extensions(), &state.config.trusted_proxies),
                at: now,
            }),
            Err(e) => return fail(e.into()),
        }
    } else {
        None
    };
    // Kept to audit a refusal (the request itself moves on).
    // A route with a parameter addresses one thing by its id (a record, an import, a referral, a
    // consent…): a 404 there is a refused read by id, whatever the route.
    let by_id = req.extensions().get::<axum::extract::MatchedPath>().is_some_and(|m| m.as_str().contains('{'));
    let refusal_context = principal.as_ref().map(|p| (p.actor(), format!("{} {}", req.method(), req.uri().path()), by_id));
    if let Some(p) = principal {
        req.extensions_mut().insert(p);
    }
    let mut resp = next.run(req).await;
    if let Some((actor, what, by_id)) = refusal_context {
        audit_refusal(&state, &actor, &what, by_id, resp.status()).await;
    }
    if let Some(c) = set_cookie_header
        && let Ok(v) = c.parse()
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// A refused attempt on record-level data or an administrative route (403, or 404 on an address
/// by id — `by_id`: the route has a parameter — since another partner's record without an
/// agreement answers as absent) is itself an audited event, with outcome `refused`.
async fn audit_refusal(state: &AppState, actor: &pmhc_service::audit::Actor, what: &str, by_id: bool, status: axum::http::StatusCode) {
    let refused = status == axum::http::StatusCode::FORBIDDEN || (status == axum::http::StatusCode::NOT_FOUND && by_id);
    if !refused {
        return;
    }
    let detail = if status == axum::http::StatusCode::FORBIDDEN { "forbidden" } else { "not found or not shared" };
    let object: String = what.chars().filter(|c| !c.is_control()).take(300).collect();
    let r = pmhc_service::audit::record(
        &state.cx,
        actor,
        pmhc_core::audit::AuditAction::View,
        object,
        &[],
        pmhc_core::audit::AuditOutcome::Refused,
        detail,
    )
    .await;
    if let Err(e) = r {
        // The request was refused anyway; the missing entry is logged for the operator.
        tracing::error!(error = %e, "a refused request could not be audited");
    }
}

/// Record an audit entry for a request's principal; an error refuses the request (fail closed).
pub async fn audit(
    state: &AppState,
    who: &Principal,
    action: pmhc_core::audit::AuditAction,
    object: impl Into<String>,
    groups: &[&str],
    detail: impl Into<String>,
) -> Result<(), AppError> {
    pmhc_service::audit::record(&state.cx, &who.actor(), action, object, groups, pmhc_core::audit::AuditOutcome::Success, detail)
        .await
        .map_err(AppError::from)
}

/// The client's address: the peer, or behind a TLS proxy the first `X-Forwarded-For` address.
/// The client's address for the audit trail and the sign-in throttle: the peer's, or — when the
/// peer is one of the `trusted` proxies — the last address of `X-Forwarded-For` that is not a
/// trusted proxy itself. A client's own `X-Forwarded-For` is never believed.
pub fn client_address(headers: &HeaderMap, extensions: &axum::http::Extensions, trusted: &[std::net::IpAddr]) -> String {
    let peer = extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let Some(peer) = peer else { return "unknown".into() };
    if trusted.contains(&peer)
        && let Some(f) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
    {
        let hops: Vec<&str> = f.split(',').map(str::trim).filter(|h| !h.is_empty()).collect();
        if let Some(client) = hops.iter().rev().find(|h| h.parse::<std::net::IpAddr>().map_or(true, |ip| !trusted.contains(&ip))) {
            return client.chars().filter(|c| !c.is_control()).take(64).collect();
        }
    }
    peer.to_string()
}

/// Extractor: the client's address (for requests without a principal, such as sign-in).
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_address(&parts.headers, &parts.extensions, &state.config.trusted_proxies)))
    }
}

/// Extractor: the signed-in user (401 for the API, a redirect to sign-in for pages).
pub struct Auth(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Inside a nested router the URI has lost its prefix: look at the original one.
        let uri = parts.extensions.get::<axum::extract::OriginalUri>().map(|o| o.0.clone()).unwrap_or_else(|| parts.uri.clone());
        match parts.extensions.get::<Principal>() {
            Some(p) => Ok(Auth(p.clone())),
            None if uri.path().starts_with("/api/") => Err(AppError::Unauthenticated.into_api_response()),
            None => {
                let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let to = format!("/sign-in?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default());
                Err(axum::response::Redirect::to(&to).into_response())
            }
        }
    }
}

/// Extractor: the signed-in user if there is one.
pub struct MaybeAuth(pub Option<Principal>);

/// A session whose user gave the password but not yet the second factor.
#[derive(Debug, Clone)]
pub struct PendingSecondFactor {
    pub user: User,
    pub token_hash: String,
    pub csrf: String,
}

/// The pending session of a request, if any.
pub struct Pending(pub Option<PendingSecondFactor>);

impl<S: Send + Sync> FromRequestParts<S> for Pending {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Pending(parts.extensions.get::<PendingSecondFactor>().cloned()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuth {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuth(parts.extensions.get::<Principal>().cloned()))
    }
}

/// A safe place to go after signing in: a local path only.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        // A path of this site: no scheme or host (`//`, `/\`), no control character (browsers drop
        // tabs and newlines, so `/\t/evil.example` would be `//evil.example`).
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.chars().any(char::is_control) => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_parse() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; pmhc_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/encounters?page=2")), "/encounters?page=2");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "javascript:alert(1)", "/\t/evil.example/phish", "/\n/x"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_a_trusted_proxy() {
        let peer = |ip: &str| {
            let mut x = axum::http::Extensions::new();
            x.insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(ip.parse().unwrap(), 4000)));
            x
        };
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.2".parse().unwrap());
        let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        // No trusted proxy, or a peer that is not one: the peer is the client.
        assert_eq!(client_address(&h, &peer("198.51.100.9"), &[]), "198.51.100.9");
        assert_eq!(client_address(&h, &peer("198.51.100.9"), &[proxy]), "198.51.100.9");
        // Through the trusted proxy: the last hop that is not a trusted proxy.
        assert_eq!(client_address(&h, &peer("10.0.0.2"), &[proxy]), "203.0.113.7");
        assert_eq!(client_address(&HeaderMap::new(), &peer("10.0.0.2"), &[proxy]), "10.0.0.2");
        assert_eq!(client_address(&h, &axum::http::Extensions::new(), &[proxy]), "unknown");
    }

    #[test]
    fn origin_checks() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(same_origin(&h));
    }
}

/// The page that asks for the password before an administrative change, keeping the form.
#[derive(askama::Template)]
#[template(path = "confirm_password.html")]
pub struct ConfirmPassword {
    pub nav: crate::present::Nav,
    /// Where the form posts (the change's own address).
    pub action: String,
    /// The form's fields as they were sent (the CSRF token and any password left out).
    pub fields: Vec<(String, String)>,
    pub error: Option<String>,
}

/// An administrative change needs the password entered in the last 5 minutes. When it was not,
/// this answers the page that asks for it, with every field of the form kept, posting back to the
/// same change with the password beside them (`reauth_password`); sent that way, the password is
/// checked here and the change goes on. `None`: go on.
pub async fn confirm_recent(state: &AppState, who: &Principal, action: &str, form: &std::collections::HashMap<String, String>) -> Result<Option<Response>, AppError> {
    if who.require_recent_authentication().is_ok() {
        return Ok(None);
    }
    let Credential::Session { token_hash, .. } = &who.credential else { return Ok(None) };
    let mut error = None;
    if let Some(password) = form.get("reauth_password").filter(|p| !p.is_empty()) {
        match signin::reauthenticate(&state.cx, &who.actor(), &who.user, token_hash, password).await? {
            Ok(()) => return Ok(None),
            Err(refusal) => {
                error = Some(if refusal == Refusal::Locked { refusal.message() } else { "the password is wrong" }.to_string());
            }
        }
    }
    let mut fields: Vec<(String, String)> =
        form.iter().filter(|(k, _)| !["csrf", "reauth_password", "password"].contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    fields.sort();
    let status = if error.is_some() { axum::http::StatusCode::UNAUTHORIZED } else { axum::http::StatusCode::OK };
    let page = ConfirmPassword { nav: crate::present::Nav::new(Some(who), ""), action: action.to_string(), fields, error };
    Ok(Some((status, axum::response::Html(crate::views::render(&page))).into_response()))
}
