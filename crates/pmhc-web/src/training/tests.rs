//! Who may reach the training coverage and its imports, through the router.

use axum::http::Method;
use pmhc_core::access::Role;

use crate::testing::*;

#[tokio::test]
async fn anonymous_callers_sign_in_first() {
    let app = TestApp::new().await;
    assert_unauthenticated(app.get("/api/v1/training/coverage", None).await, "the coverage").await;
    assert_sign_in_first(&app.get("/training", None).await, "%2Ftraining");
    assert_sign_in_first(&app.get("/training?format=csv", None).await, "%2Ftraining%3Fformat%3Dcsv");
}

#[tokio::test]
async fn the_training_records_are_imported_by_those_who_keep_them() {
    let app = TestApp::new().await;
    let member = app.token(Role::WorkgroupMember).await;
    // Refused before the upload is read.
    let r = app.send(Method::POST, "/training/import", Some(&member), Some("multipart/form-data; boundary=X"), "--X--\r\n").await;
    assert_page_forbidden(&r, "importing a roster");
}
