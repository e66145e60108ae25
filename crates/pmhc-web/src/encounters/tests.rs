//! Who may reach the encounters, through the router.

use axum::http::{Method, StatusCode};
use pmhc_core::access::Role;

use crate::testing::*;

#[tokio::test]
async fn anonymous_callers_sign_in_first() {
    let app = TestApp::new().await;
    assert_unauthenticated(app.get("/api/v1/encounters", None).await, "the list").await;
    assert_unauthenticated(app.get("/api/v1/encounters/s/k", None).await, "a record").await;
    assert_unauthenticated(app.json(Method::POST, "/api/v1/encounters", None, "{}").await, "creating one").await;
    assert_sign_in_first(&app.get("/encounters", None).await, "%2Fencounters");
    assert_sign_in_first(&app.get("/encounters.csv", None).await, "%2Fencounters.csv");
    assert_sign_in_first(&app.get("/encounters/new", None).await, "%2Fencounters%2Fnew");
    assert_sign_in_first(&app.get("/encounters/s/k", None).await, "%2Fencounters%2Fs%2Fk");
}

#[tokio::test]
async fn records_are_for_roles_that_see_them() {
    let app = TestApp::new().await;
    let member = app.token(Role::WorkgroupMember).await;
    assert_api_forbidden(app.get("/api/v1/encounters", Some(&member)).await, "the list").await;
    assert_api_forbidden(app.get("/api/v1/encounters/s/k", Some(&member)).await, "a record").await;
    // Refused before the body is read: an invalid body says nothing.
    assert_api_forbidden(app.json(Method::POST, "/api/v1/encounters", Some(&member), "not JSON").await, "creating one").await;
    assert_page_forbidden(&app.get("/encounters", Some(&member)).await, "the list page");
    assert_page_forbidden(&app.get("/encounters.csv", Some(&member)).await, "the export");
    assert_page_forbidden(&app.get("/encounters/new", Some(&member)).await, "the field form");

    let officer = app.token(Role::Officer).await;
    let r = app.get("/api/v1/encounters", Some(&officer)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page: serde_json::Value = serde_json::from_str(&text(r).await).expect("JSON");
    assert_eq!(page["total"], 0);
    assert_eq!(app.get("/api/v1/encounters/s/k", Some(&officer)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/encounters/new", Some(&officer)).await.status(), StatusCode::OK);
}
