//! Who may reach partners, agreements and consents, through the router.

use axum::http::{Method, StatusCode};
use pmhc_core::access::Role;

use crate::testing::*;

#[tokio::test]
async fn anonymous_callers_sign_in_first() {
    let app = TestApp::new().await;
    for path in ["/api/v1/partners", "/api/v1/agreements", "/api/v1/consents", "/api/v1/consents/accounting?subject=x", "/api/v1/consents/1"] {
        assert_unauthenticated(app.get(path, None).await, path).await;
    }
    assert_unauthenticated(app.json(Method::POST, "/api/v1/partners", None, "{}").await, "adding a partner").await;
    assert_sign_in_first(&app.get("/sharing", None).await, "%2Fsharing");
    assert_sign_in_first(&app.get("/consents", None).await, "%2Fconsents");
}

#[tokio::test]
async fn consents_and_agreements_are_for_those_who_manage_them() {
    let app = TestApp::new().await;
    let member = app.token(Role::WorkgroupMember).await;
    assert_eq!(app.get("/api/v1/partners", Some(&member)).await.status(), StatusCode::OK, "every signed-in user sees the partners");
    assert_eq!(app.get("/sharing", Some(&member)).await.status(), StatusCode::OK, "and what is shared");
    assert_api_forbidden(app.get("/api/v1/consents", Some(&member)).await, "the consents").await;
    assert_api_forbidden(app.get("/api/v1/consents/accounting?subject=x", Some(&member)).await, "the accounting").await;
    assert_api_forbidden(app.json(Method::POST, "/api/v1/consents", Some(&member), "not JSON").await, "recording a consent").await;
    assert_api_forbidden(app.json(Method::POST, "/api/v1/partners", Some(&member), "not JSON").await, "adding a partner").await;
    assert_api_forbidden(app.json(Method::POST, "/api/v1/agreements", Some(&member), "not JSON").await, "recording an agreement").await;
    assert_page_forbidden(&app.get("/consents", Some(&member)).await, "the consents page");
    assert_page_forbidden(&app.form(Method::POST, "/sharing/partners", Some(&member), "csrf=&name=x&sector=health").await, "adding a partner on the page");
}
