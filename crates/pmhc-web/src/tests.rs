//! The application as a whole, through the router: the addresses no feature answers, and the
//! layout of the crate (no feature imports another; shared modules import no feature; the store is
//! reached only through the service layer).

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
    for icon in ["/favicon.ico", "/static/favicon.svg"] {
        let r = app.get(icon, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{icon}");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "image/svg+xml");
    }
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

/// Every Rust file below `src`, with its text.
fn all_sources() -> Vec<(std::path::PathBuf, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                out.push((p, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// The raw store is out of the web's reach: handlers reach data only through the use cases of
/// pmhc-service (each with its permission check and audit entry), over the service context. No
/// module names the store's crate but `testing` (which opens an in-memory store for the router
/// tests; `lib.rs` builds the state from a service context), and the crate depends on it only
/// for its tests.
#[test]
fn the_store_is_reached_only_through_the_service_layer() {
    let (store_crate, store_package) = (["pmhc", "store"].join("_"), ["pmhc", "store"].join("-"));
    let files = all_sources();
    assert!(files.len() > 20, "the sources were found");
    for (path, text) in &files {
        if path.file_name().is_some_and(|n| n == "testing.rs") {
            continue;
        }
        assert!(!text.contains(&store_crate), "{} names {store_crate}: reach the data through a use case of pmhc_service", path.display());
    }
    let manifest = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).expect("Cargo.toml");
    let dependencies = manifest.split("[dependencies]").nth(1).and_then(|rest| rest.split("\n[").next()).expect("a [dependencies] table");
    assert!(!dependencies.contains(&store_package), "{store_package} is a dev-dependency only");
}

/// Each role's menu is the pages it may open: every entry it shows opens (200), every entry it
/// does not show is refused (403), and an anonymous visitor's menu is the public pages. The pages
/// that compute an outcome report (the dashboard, the reports, the gaps, the public page) read the
/// data on two connections, which the in-memory store of these tests does not have: for them only
/// the refusal is checked here (the end-to-end tests of `pmhc-cli` open them).
#[tokio::test]
async fn each_roles_menu_is_the_pages_it_may_open() {
    use pmhc_core::access::Role;
    let app = TestApp::new().await;
    const REPORTS: [&str; 4] = ["/", "/reports", "/gaps", "/public"];
    for role in Role::ALL {
        let token = app.token(role).await;
        let shown: Vec<&str> = crate::present::menu(Some(role.into())).into_iter().map(|(href, _, _)| href).collect();
        for &(href, _, _, _) in crate::present::MENU {
            if shown.contains(&href) {
                if !REPORTS.contains(&href) {
                    assert_eq!(app.get(href, Some(&token)).await.status(), StatusCode::OK, "{} opens {href} from its menu", role.as_str());
                }
            } else {
                let r = app.get(href, Some(&token)).await;
                assert_page_forbidden(&r, &format!("{} has no {href} in its menu and may not open it", role.as_str()));
            }
        }
    }
    let anonymous: Vec<&str> = crate::present::menu(None).into_iter().map(|(href, _, _)| href).collect();
    assert_eq!(anonymous, ["/public", "/resources", "/intercepts"]);
    for href in ["/resources", "/intercepts"] {
        assert_eq!(app.get(href, None).await.status(), StatusCode::OK, "{href} is public");
    }
}
