//! The application as a whole, through the router: the addresses no feature answers, and the
//! layout of the crate (no feature imports another; shared modules import no feature).

use axum::http::{StatusCode, header};

use crate::testing::*;

#[tokio::test]
async fn other_addresses_are_answered_by_the_fallbacks() {
    let app = TestApp::new().await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(text(r).await, "ok");
    assert_api_error(app.get("/api/v1/nothing-here", None).await, StatusCode::NOT_FOUND, "not_found", "an API address").await;
    let r = app.get("/nothing-here", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap_or("").starts_with("text/html"), "a page");
    let r = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status(), StatusCode::OK, "the OpenAPI document needs no sign-in");
    assert_eq!(text(r).await, crate::openapi_document());
    for asset in ["/static/app.css", "/static/app.js", "/static/report.css"] {
        assert_eq!(app.get(asset, None).await.status(), StatusCode::OK, "{asset}");
    }
}

const FEATURES: [&str; 9] = ["accounts", "audit", "encounters", "imports", "outcomes", "referrals", "services", "sharing", "training"];

/// The Rust files of `src/NAME` (a folder) or `src/NAME.rs`, with their text.
fn sources(name: &str) -> Vec<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let dir = src.join(name);
    let mut files: Vec<std::path::PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "rs")).collect(),
        Err(_) => vec![src.join(format!("{name}.rs"))],
    };
    files.sort();
    files.into_iter().map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))).collect()
}

/// Where `text` names feature `feature` (`crate::feature::…`, `crate::feature;` or in a
/// `crate::{…}` list).
fn names(text: &str, feature: &str) -> bool {
    text.contains(&format!("crate::{feature}::")) || text.contains(&format!("crate::{feature};")) || text.lines().any(|l| {
        l.trim_start().starts_with("use crate::{") && l.split(['{', ',', '}']).any(|w| w.trim() == feature || w.trim().starts_with(&format!("{feature}::")))
    })
}

#[test]
fn no_feature_imports_another() {
    for feature in FEATURES {
        for (file, text) in sources(feature) {
            assert!(!text.contains("super::super"), "{file} reaches out of its feature");
            for other in FEATURES.iter().filter(|o| **o != feature) {
                assert!(!names(&text, other), "{file} uses the feature `{other}`: move what they share to a shared module");
            }
        }
    }
}

#[test]
fn shared_modules_import_no_feature() {
    // `openapi` lists every feature's API and is the one exception.
    for shared in ["auth", "charts", "error", "extract", "limits", "pdf", "present", "statics", "views"] {
        for (file, text) in sources(shared) {
            for feature in FEATURES {
                assert!(!names(&text, feature), "{file} uses the feature `{feature}`");
            }
        }
    }
}
