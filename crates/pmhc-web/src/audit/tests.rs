//! Who may read the audit trail, through the router.

use axum::http::{StatusCode, header};
use pmhc_core::access::Role;

use crate::testing::*;

#[tokio::test]
async fn anonymous_visitors_sign_in_first() {
    let app = TestApp::new().await;
    assert_sign_in_first(&app.get("/audit", None).await, "%2Faudit");
    assert_sign_in_first(&app.get("/audit.csv", None).await, "%2Faudit.csv");
}

#[tokio::test]
async fn the_audit_trail_is_for_auditors_and_administrators() {
    let app = TestApp::new().await;
    let specialist = app.token(Role::DataSpecialist).await;
    assert_page_forbidden(&app.get("/audit", Some(&specialist)).await, "the audit page");
    assert_page_forbidden(&app.get("/audit.csv", Some(&specialist)).await, "the export");

    let auditor = app.token(Role::Auditor).await;
    assert_eq!(app.get("/audit", Some(&auditor)).await.status(), StatusCode::OK);
    let r = app.get("/audit.csv", Some(&auditor)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    // The refusals above are in it.
    let csv = text(r).await;
    assert!(csv.lines().any(|l| l.contains("data_specialist") && l.contains("refused")), "{csv}");
}
