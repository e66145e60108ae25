//! What the features' router tests share: the whole application (`app()`) over a fresh in-memory
//! store, users of partner 1 with an API token each, and requests sent through the router itself
//! (`tower::ServiceExt::oneshot`: no port, no server). The one module of this crate that names the
//! store: it opens one, and a test may put fixtures in it directly.
//!
//! The in-memory store has one connection, which is enough for every route these tests call; a
//! route that computes an outcome report reads the data on two connections at once and is not
//! called here (the end-to-end tests of `pmhc-cli` cover those, on a file).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::Response;
use pmhc_core::access::Role;
use pmhc_store::Store;
use tower::ServiceExt;

pub(crate) struct TestApp {
    router: axum::Router,
    /// The store behind the application, for fixtures.
    pub(crate) store: Store,
    cx: pmhc_service::ServiceContext,
}

impl TestApp {
    pub(crate) async fn new() -> TestApp {
        TestApp::with_clock(pmhc_store::Clock::system()).await
    }

    /// The application on a day of the test's (noon, UTC): what it considers today.
    pub(crate) async fn on_day(y: i32, m: u32, d: u32) -> TestApp {
        use chrono::TimeZone;
        let at = chrono::Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).single().expect("a day");
        TestApp::with_clock(pmhc_store::Clock::fixed(at)).await
    }

    /// The application on a clock of the test's (what it considers today).
    pub(crate) async fn with_clock(clock: pmhc_store::Clock) -> TestApp {
        let store = Store::open("sqlite::memory:").await.expect("an in-memory store").with_clock(clock);
        store.migrate().await.expect("migrations");
        let cx = pmhc_service::ServiceContext::new(store.clone());
        let state = crate::AppState::new(cx.clone(), crate::ServeConfig::default()).expect("the application's state");
        TestApp { router: crate::app(state), store, cx }
    }

    /// A user of partner 1 holding `role` (named after it), and an API token of theirs.
    pub(crate) async fn token(&self, role: Role) -> String {
        let name = role.as_str();
        pmhc_service::accounts::add_user(&self.cx, name, name, role.into(), 1, "a long test passphrase").await.expect("a user");
        pmhc_service::accounts::add_api_token(&self.cx, name, "tests").await.expect("a token")
    }

    /// One request through the router, with `Authorization: Bearer TOKEN` when a token is given.
    pub(crate) async fn send(&self, method: Method, path: &str, token: Option<&str>, content_type: Option<&str>, body: impl Into<Body>) -> Response {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        self.router.clone().oneshot(req.body(body.into()).expect("a request")).await.expect("an answer")
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.send(Method::GET, path, token, None, Body::empty()).await
    }

    /// A request with a JSON body.
    pub(crate) async fn json(&self, method: Method, path: &str, token: Option<&str>, body: &str) -> Response {
        self.send(method, path, token, Some("application/json"), body.to_string()).await
    }

    /// A request with a form body (`a=1&b=2`).
    pub(crate) async fn form(&self, method: Method, path: &str, token: Option<&str>, body: &str) -> Response {
        self.send(method, path, token, Some("application/x-www-form-urlencoded"), body.to_string()).await
    }
}

/// The answer's body as text.
pub(crate) async fn text(r: Response) -> String {
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.expect("the body");
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// An API refusal: `status` with the API's JSON error `code`.
pub(crate) async fn assert_api_error(r: Response, status: StatusCode, code: &str, what: &str) {
    assert_eq!(r.status(), status, "{what}");
    assert!(r.headers().get(header::CONTENT_TYPE).is_some_and(|v| v == "application/json"), "{what}: JSON");
    let body: serde_json::Value = serde_json::from_str(&text(r).await).expect("a JSON error");
    assert_eq!(body["error"], code, "{what}");
}

/// An anonymous caller of the API: 401.
pub(crate) async fn assert_unauthenticated(r: Response, what: &str) {
    assert_api_error(r, StatusCode::UNAUTHORIZED, "unauthenticated", what).await;
}

/// A caller of the API whose role lacks the permission: 403.
pub(crate) async fn assert_api_forbidden(r: Response, what: &str) {
    assert_api_error(r, StatusCode::FORBIDDEN, "forbidden", what).await;
}

/// An anonymous visitor of a page: sent to sign in, and back here after.
pub(crate) fn assert_sign_in_first(r: &Response, next: &str) {
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}: a redirect");
    let to = r.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(to, format!("/sign-in?next={next}"), "the sign-in page, then back");
}

/// A page refused to a role that lacks the permission: 403, as a page.
pub(crate) fn assert_page_forbidden(r: &Response, what: &str) {
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what}");
    assert!(r.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html")), "{what}: a page");
}
