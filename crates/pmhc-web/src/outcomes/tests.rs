//! Who may reach the outcomes and the shared definitions, through the router.

use axum::http::{Method, StatusCode};
use pmhc_core::access::Role;

use crate::testing::*;

#[tokio::test]
async fn anonymous_callers_sign_in_first() {
    let app = TestApp::new().await;
    assert_unauthenticated(app.get("/api/v1/outcomes", None).await, "the report").await;
    assert_unauthenticated(app.get("/api/v1/definitions", None).await, "the definitions").await;
    assert_unauthenticated(app.get("/api/v1/definitions/history", None).await, "their history").await;
    assert_unauthenticated(app.json(Method::PUT, "/api/v1/definitions", None, "{}").await, "saving them").await;
    assert_sign_in_first(&app.get("/", None).await, "%2F");
    assert_sign_in_first(&app.get("/definitions", None).await, "%2Fdefinitions");
    assert_sign_in_first(&app.get("/reports", None).await, "%2Freports");
    assert_sign_in_first(&app.get("/reports/download?format=csv", None).await, "%2Freports%2Fdownload%3Fformat%3Dcsv");
}

#[tokio::test]
async fn the_definitions_are_changed_by_those_who_keep_them() {
    let app = TestApp::new().await;
    let member = app.token(Role::WorkgroupMember).await;
    let r = app.get("/api/v1/definitions", Some(&member)).await;
    assert_eq!(r.status(), StatusCode::OK, "every role reads them");
    let d: serde_json::Value = serde_json::from_str(&text(r).await).expect("JSON");
    assert!(d["version"].as_u64().is_some());
    assert_api_forbidden(app.json(Method::PUT, "/api/v1/definitions", Some(&member), "not JSON").await, "saving them").await;
    let r = app.form(Method::POST, "/definitions", Some(&member), "csrf=&body=x&note=y").await;
    assert_page_forbidden(&r, "saving them on the page");
}
