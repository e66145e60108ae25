//! Who may reach the account pages and `/api/v1/me`, through the router.

use axum::http::{Method, StatusCode};
use pmhc_core::access::Role;

use crate::testing::*;

#[tokio::test]
async fn anonymous_callers_sign_in_first() {
    let app = TestApp::new().await;
    assert_unauthenticated(app.get("/api/v1/me", None).await, "who am I").await;
    assert_unauthenticated(app.get("/api/v1/me", Some("pmhc_not_a_token")).await, "an unknown token").await;
    assert_eq!(app.get("/sign-in", None).await.status(), StatusCode::OK, "the sign-in page is public");
    assert_sign_in_first(&app.get("/users", None).await, "%2Fusers");
    assert_sign_in_first(&app.get("/reauth", None).await, "%2Freauth");
    assert_eq!(app.get("/sign-in/second-factor", None).await.headers()["location"], "/sign-in", "no password given yet");
}

#[tokio::test]
async fn users_are_managed_by_administrators() {
    let app = TestApp::new().await;
    let officer = app.token(Role::Officer).await;
    let r = app.get("/api/v1/me", Some(&officer)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: serde_json::Value = serde_json::from_str(&text(r).await).expect("JSON");
    assert_eq!(me["username"], "officer");
    assert_eq!(me["roles"], serde_json::json!(["officer"]));
    assert_page_forbidden(&app.get("/users", Some(&officer)).await, "the Users page");
    for path in ["/users", "/users/tokens", "/users/unlock", "/users/reset-second-factor", "/users/approve"] {
        let form = "csrf=&username=x&name=x&role=officer&password=x";
        assert_page_forbidden(&app.form(Method::POST, path, Some(&officer), form).await, path);
    }

    let admin = app.token(Role::Administrator).await;
    assert_eq!(app.get("/users", Some(&admin)).await.status(), StatusCode::OK);
}
