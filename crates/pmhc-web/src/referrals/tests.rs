//! Who may reach the referrals, through the router.

use axum::http::{Method, StatusCode};
use pmhc_core::access::Role;

use crate::testing::*;

#[tokio::test]
async fn anonymous_callers_sign_in_first() {
    let app = TestApp::new().await;
    assert_unauthenticated(app.get("/api/v1/referrals", None).await, "the list").await;
    assert_unauthenticated(app.get("/api/v1/referrals/1", None).await, "a referral").await;
    assert_unauthenticated(app.json(Method::POST, "/api/v1/referrals", None, "{}").await, "making one").await;
    assert_unauthenticated(app.json(Method::POST, "/api/v1/referrals/1/move", None, "{}").await, "moving one").await;
    assert_sign_in_first(&app.get("/referrals", None).await, "%2Freferrals");
}

#[tokio::test]
async fn referrals_are_for_roles_that_see_records() {
    let app = TestApp::new().await;
    let member = app.token(Role::WorkgroupMember).await;
    assert_api_forbidden(app.get("/api/v1/referrals", Some(&member)).await, "the list").await;
    assert_api_forbidden(app.get("/api/v1/referrals/1", Some(&member)).await, "a referral").await;
    assert_api_forbidden(app.json(Method::POST, "/api/v1/referrals", Some(&member), "not JSON").await, "making one").await;
    assert_api_forbidden(app.json(Method::POST, "/api/v1/referrals/1/move", Some(&member), "not JSON").await, "moving one").await;
    assert_page_forbidden(&app.get("/referrals", Some(&member)).await, "the page");

    let officer = app.token(Role::Officer).await;
    let r = app.get("/api/v1/referrals", Some(&officer)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(text(r).await, "[]");
}
