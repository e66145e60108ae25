//! Who may reach the services' pages and report capacity, through the router.

use axum::http::{Method, StatusCode};
use pmhc_core::access::Role;
use pmhc_core::services::{Intercept, Service, ServiceKind};

use crate::testing::*;

#[tokio::test]
async fn the_guide_and_the_map_are_public_the_gaps_are_not() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/resources", None).await.status(), StatusCode::OK);
    assert_eq!(app.get("/intercepts", None).await.status(), StatusCode::OK);
    assert_sign_in_first(&app.get("/gaps", None).await, "%2Fgaps");
    assert_unauthenticated(app.json(Method::POST, "/api/v1/services/1/capacity", None, "{}").await, "reporting capacity").await;
    assert_unauthenticated(app.get("/api/v1/services/1/capacity/1", None).await, "reading a report").await;
}

#[tokio::test]
async fn capacity_is_reported_by_the_providers_staff_who_record_data() {
    let app = TestApp::new().await;
    let service = Service {
        id: 0,
        provider: 1,
        name: "Crisis centre".into(),
        kind: ServiceKind::CrisisCentre,
        intercept: Intercept::LawEnforcement,
        eligibility: String::new(),
        hours: "24/7".into(),
        capacity: Some(10),
        police_dropoff: true,
        transit_access: false,
        phone: String::new(),
        address: String::new(),
        area: String::new(),
    };
    let id = app.store.save_service(&service).await.expect("a service").id;
    let member = app.token(Role::WorkgroupMember).await;
    let path = format!("/api/v1/services/{id}/capacity");
    assert_api_forbidden(app.json(Method::POST, &path, Some(&member), "not JSON").await, "a workgroup member of the provider").await;
    assert_eq!(app.json(Method::POST, "/api/v1/services/999/capacity", Some(&member), "{}").await.status(), StatusCode::NOT_FOUND);

    let officer = app.token(Role::Officer).await;
    let r = app.json(Method::POST, &path, Some(&officer), r#"{"available": 3}"#).await;
    assert_eq!(r.status(), StatusCode::CREATED, "the provider's own staff");
    let to = r.headers().get("location").and_then(|v| v.to_str().ok()).map(String::from).expect("a Location");
    assert_eq!(app.get(&to, Some(&member)).await.status(), StatusCode::OK, "every role that sees outcomes reads it");
}
