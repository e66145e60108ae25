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

/// The field form refuses a date after today (the store's clock) and a blank form — the rule is
/// the service's — with the reason next to the field, what was typed kept, and nothing saved.
#[tokio::test]
async fn the_field_form_refuses_a_future_date_and_a_blank_form() {
    let app = TestApp::new().await;
    let officer = app.token(Role::Officer).await;
    let after_tomorrow = app.store.clock().local_today() + chrono::Days::new(2);
    let r = app.form(Method::POST, "/encounters/new", Some(&officer), &format!("draft_id=FUTURE0001&occurred_on={after_tomorrow}&precinct=South")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(r).await;
    assert!(page.contains("id=\"occurred_on-error\"") && page.contains("after today"), "{page}");
    assert!(page.contains(&format!("value=\"{after_tomorrow}\"")) && page.contains("value=\"South\""), "typed values kept");
    let today = app.store.clock().local_today();
    let r = app.form(Method::POST, "/encounters/new", Some(&officer), &format!("draft_id=BLANK00001&occurred_on={today}")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(r).await;
    assert!(page.contains("id=\"disposition-error\"") && page.contains("the form is blank"), "{page}");
    assert_eq!(app.store.count_encounters(&pmhc_service::model::EncounterFilter::default()).await.expect("count"), 0, "nothing saved");
    // Today, with something recorded: saved.
    let r = app.form(Method::POST, "/encounters/new", Some(&officer), &format!("draft_id=TODAY00001&occurred_on={today}&disposition=referral")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", text(r).await);
}
