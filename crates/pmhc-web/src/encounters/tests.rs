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

/// The API takes the person's identifiers beside the record and answers with the person key only;
/// a key and identifiers together, or a date of birth after today, are refused naming the field.
/// A field-form record is edited in the field form by the roles that use it.
#[tokio::test]
async fn the_api_and_the_field_form_make_person_keys_and_edit() {
    let app = TestApp::new().await;
    let officer = app.token(Role::Officer).await;
    let today = app.store.clock().local_today();
    let body = format!(r#"{{"source_system":"api-src","source_key":"K1","occurred_on":"{today}","agency_person_id":" AB-17 ","officers":[{{"id":"4127"}}]}}"#);
    let r = app.json(Method::POST, "/api/v1/encounters", Some(&officer), &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let saved = text(r).await;
    let v: serde_json::Value = serde_json::from_str(&saved).expect("JSON");
    let key = v["subject_key"].as_str().unwrap_or_default().to_string();
    assert!(key.starts_with("p-") && key.len() == 26, "{saved}");
    assert!(!saved.to_lowercase().contains("ab-17") && !saved.contains("agency_person_id"), "never answered back: {saved}");
    // The same person, typed otherwise, in the partner's namespace: the same key.
    let body = format!(r#"{{"source_system":"api-src","source_key":"K2","occurred_on":"{today}","agency_person_id":"ab-17"}}"#);
    let r = app.json(Method::POST, "/api/v1/encounters", Some(&officer), &body).await;
    let v: serde_json::Value = serde_json::from_str(&text(r).await).expect("JSON");
    assert_eq!(v["subject_key"].as_str(), Some(key.as_str()));
    let both = format!(r#"{{"source_system":"api-src","source_key":"K3","occurred_on":"{today}","subject_key":"p-1","agency_person_id":"ab-17"}}"#);
    let r = app.json(Method::POST, "/api/v1/encounters", Some(&officer), &both).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(r).await.contains("agency_person_id"));
    let born = today + chrono::Days::new(1);
    let future = format!(r#"{{"source_system":"api-src","source_key":"K4","occurred_on":"{today}","person_name":"Jo Doe","date_of_birth":"{born}"}}"#);
    let r = app.json(Method::PUT, "/api/v1/encounters/api-src/K1", Some(&officer), &future).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer = text(r).await;
    assert!(answer.contains("date_of_birth") && !answer.contains("Jo Doe"), "{answer}");

    // The field form: saved with the person, then opened again to complete it.
    let r = app.form(Method::POST, "/encounters/new", Some(&officer), &format!("draft_id=EDITME0001&occurred_on={today}&agency_person_id=ab-17&officers=4127")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", text(r).await);
    let page = text(app.get("/encounters/pmhc-field/EDITME0001?saved=1", Some(&officer)).await).await;
    assert!(page.contains(&key) && page.contains("id=\"saved-person-key\"") && page.contains("/encounters/pmhc-field/EDITME0001/edit"), "{page}");
    let edit = app.get("/encounters/pmhc-field/EDITME0001/edit", Some(&officer)).await;
    assert_eq!(edit.status(), StatusCode::OK);
    let edit = text(edit).await;
    assert!(edit.contains("value=\"4127\"") && edit.contains(&key) && edit.contains("action=\"/encounters/pmhc-field/EDITME0001/edit\""), "{edit}");
    let r = app.form(Method::POST, "/encounters/pmhc-field/EDITME0001/edit", Some(&officer), &format!("occurred_on={today}&officers=4127&disposition=referral")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", text(r).await);
    let page = text(app.get("/encounters/pmhc-field/EDITME0001?saved=edited", Some(&officer)).await).await;
    assert!(page.contains("The changes were saved.") && page.contains(&key) && page.contains("id=\"versions\""), "{page}");
    // Only field-form records, and only for the roles of the field form.
    assert_eq!(app.get("/encounters/api-src/K1/edit", Some(&officer)).await.status(), StatusCode::NOT_FOUND);
    let member = app.token(Role::WorkgroupMember).await;
    assert_page_forbidden(&app.get("/encounters/pmhc-field/EDITME0001/edit", Some(&member)).await, "the edit form");
}
