//! Who may reach the workgroup, through the router; the action-item flow on the pages and the
//! API (created in a meeting, overdue on the clock, done by its owner); bad input refused next to
//! its field with nothing saved; stored text rendered inert.

use axum::http::{Method, StatusCode, header};
use pmhc_core::access::Role;

use crate::testing::*;

/// The test's today: 20 March 2025 (the one clock, never the real date).
async fn app() -> TestApp {
    TestApp::on_day(2025, 3, 20).await
}

const PAGES: [&str; 3] = ["/workgroup", "/workgroup/meetings", "/workgroup/actions"];
const API: [&str; 5] = ["/api/v1/workgroup", "/api/v1/workgroup/members", "/api/v1/workgroup/meetings", "/api/v1/workgroup/actions", "/api/v1/workgroup/participation"];

#[tokio::test]
async fn anonymous_callers_sign_in_first_and_the_public_sees_nothing() {
    let app = TestApp::new().await;
    for p in API {
        assert_unauthenticated(app.get(p, None).await, p).await;
    }
    assert_sign_in_first(&app.get("/workgroup", None).await, "%2Fworkgroup");
    assert_sign_in_first(&app.get("/workgroup/actions", None).await, "%2Fworkgroup%2Factions");
    let r = app.json(Method::POST, "/api/v1/workgroup/members", None, "{}").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// Every route and role: the coordinator and administrators keep it, workgroup members read it,
/// every other role is refused (403) before its body is read.
#[tokio::test]
async fn the_access_matrix() {
    let app = app().await;
    let readers = [Role::Administrator, Role::ProjectCoordinator, Role::WorkgroupMember];
    let keepers = [Role::Administrator, Role::ProjectCoordinator];
    let coord = app.token(Role::ProjectCoordinator).await;
    let r = app.json(Method::POST, "/api/v1/workgroup/members", Some(&coord), r#"{"name":"Ana","sector":"advocacy","role":"chair","joined_on":"2024-01-01"}"#).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(r).await);
    let r = app.json(Method::POST, "/api/v1/workgroup/meetings", Some(&coord), r#"{"held_on":"2025-01-06","kind":"workgroup","title":"January","decisions":[{"number":1,"text":"Go"}]}"#).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(r).await);
    for role in pmhc_core::access::Role::ALL {
        let token = if role == Role::ProjectCoordinator { coord.clone() } else { app.token(role).await };
        let t = Some(token.as_str());
        let reads = readers.contains(&role);
        for p in PAGES.iter().chain(["/workgroup/members/1", "/workgroup/meetings/1"].iter()) {
            let r = app.get(p, t).await;
            if reads {
                assert_eq!(r.status(), StatusCode::OK, "{role} GET {p}");
            } else {
                assert_page_forbidden(&r, &format!("{role} GET {p}"));
            }
        }
        for p in API.iter().chain(["/api/v1/workgroup/members/1", "/api/v1/workgroup/meetings/1"].iter()) {
            let r = app.get(p, t).await;
            if reads {
                assert_eq!(r.status(), StatusCode::OK, "{role} GET {p}");
            } else {
                assert_api_forbidden(r, &format!("{role} GET {p}")).await;
            }
        }
        // Writes: refused before the body is read ("not json" would be 400 otherwise).
        let keeps = keepers.contains(&role);
        for (method, p) in [
            (Method::PUT, "/api/v1/workgroup/charge"),
            (Method::PUT, "/api/v1/workgroup/community"),
            (Method::POST, "/api/v1/workgroup/members"),
            (Method::PUT, "/api/v1/workgroup/members/1"),
            (Method::POST, "/api/v1/workgroup/meetings"),
            (Method::PUT, "/api/v1/workgroup/meetings/1"),
            (Method::POST, "/api/v1/workgroup/meetings/1/actions"),
        ] {
            let r = app.json(method.clone(), p, t, "not json").await;
            if keeps {
                assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{role} {method} {p}");
            } else {
                assert_api_forbidden(r, &format!("{role} {method} {p}")).await;
            }
        }
        for (method, p) in [(Method::POST, "/api/v1/workgroup/members/1/self-description"), (Method::POST, "/api/v1/workgroup/actions/1")] {
            let r = app.json(if p.ends_with("description") { Method::PUT } else { method }, p, t, "not json").await;
            if reads {
                assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{role} {p}");
            } else {
                assert_api_forbidden(r, &format!("{role} {p}")).await;
            }
        }
        for p in ["/workgroup/charge", "/workgroup/community", "/workgroup/members", "/workgroup/members/1", "/workgroup/meetings", "/workgroup/meetings/1", "/workgroup/meetings/1/actions"] {
            let r = app.form(Method::POST, p, t, "x=1").await;
            if keeps {
                assert_ne!(r.status(), StatusCode::FORBIDDEN, "{role} POST {p}");
            } else {
                assert_page_forbidden(&r, &format!("{role} POST {p}"));
            }
        }
    }
}

/// An action item created in a meeting (on the page), overdue on the clock (page and API), done
/// by its owner on the page and seen done through the API; the owner may not change its due day.
#[tokio::test]
async fn the_action_item_flow_on_the_pages_and_the_api() {
    let app = app().await;
    let coord = app.token(Role::ProjectCoordinator).await;
    let member = app.token(Role::WorkgroupMember).await;
    let body = r#"{"name":"Wren Member","username":"workgroup_member","sector":"lived_experience","role":"member","joined_on":"2024-01-01"}"#;
    let r = app.json(Method::POST, "/api/v1/workgroup/members", Some(&coord), body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(r).await);
    let r = app.form(Method::POST, "/workgroup/meetings", Some(&coord), "held_on=2025-02-03&kind=workgroup&title=February&agenda=Welcome+%7C+Wren+Member+%7C+10").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let at = r.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(at.starts_with("/workgroup/meetings/"), "{at}");
    let id: i64 = at.trim_start_matches("/workgroup/meetings/").split('?').next().and_then(|s| s.parse().ok()).expect("an id");
    let r = app.form(Method::POST, &format!("/workgroup/meetings/{id}"), Some(&coord), "held_on=2025-02-03&kind=workgroup&title=February&attendance_on_form=1&att%3A1=present&decisions=Ask+NAMI&minutes=**Met**").await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(r).await);
    let r = app.form(Method::POST, &format!("/workgroup/meetings/{id}/actions"), Some(&coord), "text=Call+NAMI&owner=1&due_on=2025-03-01&decision=1").await;
    let page = text(r).await;
    assert!(page.contains("Action item #1 added"), "{page}");
    // Overdue on the clock's today (20 March), on the page and in the API.
    let page = text(app.get("/workgroup/actions", Some(&member)).await).await;
    let overdue = page.split("<h2>Open</h2>").next().unwrap_or("");
    assert!(overdue.contains("Call NAMI") && overdue.contains("overdue") && overdue.contains("(you)"), "{page}");
    let api = text(app.get("/api/v1/workgroup/actions?overdue=true", Some(&member)).await).await;
    assert!(api.contains("\"overdue\":true") && api.contains("Call NAMI"), "{api}");
    // The next meeting's agenda starts with it.
    let r = app.form(Method::POST, "/workgroup/meetings", Some(&coord), "held_on=2025-04-07&kind=workgroup&title=April").await;
    let next = r.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let page = text(app.get(&next, Some(&member)).await).await;
    let agenda = page.split("<h2>Agenda</h2>").nth(1).unwrap_or("");
    assert!(agenda.find("Open action items").zip(agenda.find("Call NAMI")).is_some_and(|(a, b)| a < b), "{page}");
    // The owner may not move the due day; the status and a note they may.
    let r = app.json(Method::POST, "/api/v1/workgroup/actions/1", Some(&member), r#"{"due_on":"2025-06-01"}"#).await;
    assert_api_forbidden(r, "the owner moves the due day").await;
    let r = app.form(Method::POST, "/workgroup/actions/1", Some(&member), "status=done&note=Called+them").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let api = text(app.get("/api/v1/workgroup/actions", Some(&coord)).await).await;
    assert!(api.contains("\"status\":\"done\"") && api.contains("\"overdue\":false") && api.contains("2025-03-20 (workgroup_member): Called them"), "{api}");
    // Someone else's item: an administrator keeps every one; an auditor reads none.
    let audit = app.store.list_audit(&pmhc_service::model::AuditFilter { object_prefix: Some("action-item".into()), ..Default::default() }, 10, 0).await.expect("audit");
    assert_eq!(audit.len(), 2, "created and changed, each audited");
}

/// Bad input is refused next to its field, with what was typed kept and nothing saved.
#[tokio::test]
async fn bad_input_is_refused_next_to_its_field_and_nothing_is_saved() {
    let app = app().await;
    let coord = app.token(Role::ProjectCoordinator).await;
    let r = app.form(Method::POST, "/workgroup/members", Some(&coord), "name=Kept+Name&sector=housing&role=member&joined_on=2025-02-01&left_on=2025-01-01").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(r).await;
    assert!(page.contains("id=\"m-left_on-error\"") && page.contains("is before the day they joined"), "{page}");
    assert!(page.contains("value=\"Kept Name\""), "what was typed is kept");
    let r = app.json(Method::POST, "/api/v1/workgroup/members", Some(&coord), r#"{"name":"X","sector":"housing","role":"substitute","substitute_for":42,"joined_on":"2025-01-01"}"#).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(r).await.contains("there is no member #42"));
    assert!(text(app.get("/api/v1/workgroup/members", Some(&coord)).await).await == "[]", "nothing saved");

    let r = app.form(Method::POST, "/workgroup/meetings", Some(&coord), "held_on=2025-02-03&kind=workgroup&title=T&agenda=Welcome+%7C+Nobody").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(r).await.contains("`Nobody` is not a member of the workgroup"));
    let r = app.form(Method::POST, "/workgroup/meetings", Some(&coord), "held_on=2025-02-03&kind=workgroup&title=T").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for (minutes, says) in [
        ("%3Cscript%3Ealert(1)%3C%2Fscript%3E", "raw HTML"),
        ("x+%3Cimg+src%3Dx+onerror%3Dalert(1)%3E", "raw HTML"),
        ("%5Bx%5D(javascript%3Aalert(1))", "is not allowed"),
        (&"a".repeat(40_000), "the limit is 32768 bytes"),
    ] {
        let r = app.form(Method::POST, "/workgroup/meetings/1", Some(&coord), &format!("held_on=2025-02-03&kind=workgroup&title=T&minutes={minutes}")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{says}");
        let page = text(r).await;
        assert!(page.contains("id=\"minutes-error\"") && page.contains(says), "{says}: {page}");
        assert!(!page.contains("<script>alert") && !page.contains("<img src=x"), "the kept text is escaped");
    }
    let api = text(app.get("/api/v1/workgroup/meetings/1", Some(&coord)).await).await;
    assert!(api.contains("\"minutes\":\"\""), "nothing saved: {api}");
    let r = app.json(Method::POST, "/api/v1/workgroup/meetings/1/actions", Some(&coord), r#"{"owner":7,"text":"x","due_on":"2024-01-01"}"#).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = text(r).await;
    assert!(body.contains("\"field\":\"owner\"") && body.contains("\"field\":\"due_on\""), "{body}");
    let r = app.json(Method::POST, "/api/v1/workgroup/meetings", Some(&coord), r#"{"held_on":"+99999-01-01","kind":"workgroup","title":"x"}"#).await;
    assert!(r.status().is_client_error(), "a day out of range: {}", r.status());
}

/// Text that reached the database some other way renders inert on the meeting page.
#[tokio::test]
async fn stored_text_renders_inert() {
    let app = app().await;
    let coord = app.token(Role::ProjectCoordinator).await;
    let m = pmhc_core::workgroup::Meeting {
        id: 0,
        held_on: chrono::NaiveDate::from_ymd_opt(2025, 2, 3).expect("a day"),
        kind: pmhc_core::workgroup::MeetingKind::Workgroup,
        title: "<script>alert('t')</script>".into(),
        location: "\"><img src=x onerror=alert(1)>".into(),
        agenda: vec![pmhc_core::workgroup::AgendaItem { title: "<b onmouseover=alert(1)>x</b>".into(), presenter: None, minutes: None }],
        attendance: Vec::new(),
        minutes: "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(2)>".into(),
        decisions: vec![pmhc_core::workgroup::Decision { number: 1, text: "<svg onload=alert(1)>".into() }],
    };
    app.store.save_meetings(&[m]).await.expect("stored");
    let page = text(app.get("/workgroup/meetings/1", Some(&coord)).await).await;
    for bad in ["<script>alert", "<img src=x", "<b onmouseover", "<svg onload", "href=\"javascript:"] {
        assert!(!page.contains(bad), "{bad} in {page}");
    }
    assert!(page.contains("&lt;script&gt;"), "shown as text");
}
