//! Who may import and read the import history, through the router.

use axum::http::{Method, StatusCode};
use pmhc_core::access::Role;

use crate::testing::*;

const MULTIPART: &str = "multipart/form-data; boundary=X";

#[tokio::test]
async fn anonymous_callers_sign_in_first() {
    let app = TestApp::new().await;
    assert_unauthenticated(app.get("/api/v1/imports", None).await, "the history").await;
    assert_unauthenticated(app.get("/api/v1/imports/1", None).await, "an import").await;
    assert_unauthenticated(app.send(Method::POST, "/api/v1/imports", None, Some(MULTIPART), "--X--\r\n").await, "an upload").await;
    assert_sign_in_first(&app.get("/imports", None).await, "%2Fimports");
    assert_sign_in_first(&app.get("/imports/1", None).await, "%2Fimports%2F1");
    assert_sign_in_first(&app.get("/imports/1/rejects.csv", None).await, "%2Fimports%2F1%2Frejects.csv");
}

#[tokio::test]
async fn importing_is_for_roles_that_import() {
    let app = TestApp::new().await;
    let officer = app.token(Role::Officer).await;
    assert_api_forbidden(app.get("/api/v1/imports", Some(&officer)).await, "the history").await;
    assert_api_forbidden(app.get("/api/v1/imports/1", Some(&officer)).await, "an import").await;
    assert_api_forbidden(app.send(Method::POST, "/api/v1/imports", Some(&officer), Some(MULTIPART), "--X--\r\n").await, "an upload").await;
    assert_page_forbidden(&app.get("/imports", Some(&officer)).await, "the imports page");
    assert_page_forbidden(&app.send(Method::POST, "/imports", Some(&officer), Some(MULTIPART), "--X--\r\n").await, "the upload form");

    let specialist = app.token(Role::DataSpecialist).await;
    let r = app.get("/api/v1/imports", Some(&specialist)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(text(r).await, "[]");
    assert_eq!(app.get("/api/v1/imports/1", Some(&specialist)).await.status(), StatusCode::NOT_FOUND);
}
