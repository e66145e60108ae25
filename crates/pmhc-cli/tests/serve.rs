//! `pmhc serve` end to end: the real binary on a free port, over HTTP, on SQLite and (when
//! `PMHC_TEST_POSTGRES` is set) PostgreSQL — pages, API, sign-in, sessions, CSRF, every role
//! refused what it may not do, imports of a real dataset, and the API's report against the CLI's.

mod common;

use common::*;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse 42";
/// One user per role, named by it (`analyst` and `viewer` are the first release's names of the
/// data specialist and the workgroup member, still accepted).
const ROLES: [&str; 8] =
    ["administrator", "analyst", "viewer", "project_coordinator", "officer", "clinician", "installation_administrator", "auditor"];
/// The roles that read records.
const READERS: &[&str] = &["administrator", "analyst", "project_coordinator", "officer", "clinician"];
/// The roles that create records.
const WRITERS: &[&str] = &["administrator", "analyst", "officer", "clinician"];
/// Everyone signed in.
const EVERYONE: &[&str] = &ROLES;

/// A database with demo data, one user per role, and the server on it.
fn setup(db: &str) -> Server {
    let out = run(db, &["demo", "--encounters", "3000", "--seed", "5"]);
    assert!(out.status.success(), "demo: {}", stderr(&out));
    for r in ROLES {
        add_user(db, r, r, PASSWORD);
    }
    Server::start(db)
}

/// A client signed in as `role`: a session of this server kept from before while it still
/// works (each fresh sign-in of a record-reading role takes a new authenticator code).
fn signed_in(s: &Server, role: &str) -> Http {
    static SESSIONS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<(String, String), std::collections::BTreeMap<String, String>>>> =
        std::sync::OnceLock::new();
    let sessions = SESSIONS.get_or_init(Default::default);
    let key = (s.base.clone(), role.to_string());
    let mut h = Http::new(&s.base);
    if let Some(c) = sessions.lock().expect("sessions").get(&key).cloned() {
        h.cookies = c;
        if h.get("/api/v1/me").status == 200 {
            return h;
        }
        h = Http::new(&s.base);
    }
    h.sign_in(role, PASSWORD);
    sessions.lock().expect("sessions").insert(key, h.cookies.clone());
    h
}

/// Every route, and which roles may use it (an oracle written out by hand, independent of the
/// permission table in pmhc-core).
const ROUTES: &[(&str, &str, &[&str])] = &[
    ("GET", "/", EVERYONE),
    ("GET", "/definitions", EVERYONE),
    ("GET", "/reports", EVERYONE),
    ("GET", "/reports/download?format=csv", EVERYONE),
    ("GET", "/sharing", EVERYONE),
    ("GET", "/gaps", EVERYONE),
    ("GET", "/training", EVERYONE),
    ("GET", "/training?format=csv", EVERYONE),
    ("GET", "/api/v1/training/coverage", EVERYONE),
    ("GET", "/referrals", READERS),
    ("GET", "/api/v1/referrals", READERS),
    ("GET", "/encounters", READERS),
    ("GET", "/encounters.csv?from=2024-01-01&to=2024-01-31", READERS),
    ("GET", "/encounters/new", WRITERS),
    ("GET", "/imports", &["administrator", "analyst"]),
    ("GET", "/users", &["administrator", "installation_administrator"]),
    ("GET", "/audit", &["administrator", "project_coordinator", "auditor"]),
    ("GET", "/consents", &["administrator", "clinician"]),
    ("GET", "/api/v1/me", EVERYONE),
    ("GET", "/api/v1/outcomes", EVERYONE),
    ("GET", "/api/v1/definitions", EVERYONE),
    ("GET", "/api/v1/definitions/history", EVERYONE),
    ("GET", "/api/v1/partners", EVERYONE),
    ("GET", "/api/v1/agreements", EVERYONE),
    ("GET", "/api/v1/encounters?limit=2", READERS),
    ("GET", "/api/v1/imports", &["administrator", "analyst"]),
    ("GET", "/api/v1/consents", &["administrator", "clinician"]),
    ("GET", "/api/v1/consents/accounting?subject=x", &["administrator", "clinician"]),
    // The workgroup (the demo makes one): kept by the coordinator and administrators, read by
    // workgroup members (`viewer`), nothing for anyone else.
    ("GET", "/workgroup", WORKGROUP),
    ("GET", "/workgroup/members/1", WORKGROUP),
    ("GET", "/workgroup/meetings", WORKGROUP),
    ("GET", "/workgroup/meetings/1", WORKGROUP),
    ("GET", "/workgroup/actions", WORKGROUP),
    ("GET", "/api/v1/workgroup", WORKGROUP),
    ("GET", "/api/v1/workgroup/members", WORKGROUP),
    ("GET", "/api/v1/workgroup/members/1", WORKGROUP),
    ("GET", "/api/v1/workgroup/meetings", WORKGROUP),
    ("GET", "/api/v1/workgroup/meetings/1", WORKGROUP),
    ("GET", "/api/v1/workgroup/actions", WORKGROUP),
    ("GET", "/api/v1/workgroup/actions?overdue=true", WORKGROUP),
    ("GET", "/api/v1/workgroup/participation", WORKGROUP),
];

/// Those who read the workgroup.
const WORKGROUP: &[&str] = &["administrator", "viewer", "project_coordinator"];

#[test]
fn the_web_application_on_every_backend() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        let s = setup(db);
        anonymous_visitors(&s);
        sign_in_and_sessions(&s);
        every_role_is_refused_what_it_may_not_do(&s);
        csrf_protection(&s);
        encounters_api(&s);
        field_form(&s);
        definitions(&s);
        outcomes_match_the_cli(&s);
        referrals_are_paged(&s);
        hostile_strings_are_escaped(&s);
        eprintln!("web application checks passed on {}", db.split(':').next().unwrap_or(""));
    }
}

fn anonymous_visitors(s: &Server) {
    let mut h = Http::new(&s.base);
    let r = h.get("/public");
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert!(page.contains("Public outcomes") && page.contains("Outcome 1: Connection to resources"), "{page}");
    assert!(r.header("content-security-policy").is_some_and(|c| c.contains("default-src 'self'")));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    // Pages redirect to sign-in, keeping where the visitor wanted to go; the API answers 401 JSON.
    let r = h.get("/encounters?precinct=North");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/sign-in?next=%2Fencounters%3Fprecinct%3DNorth"));
    let r = h.get("/api/v1/encounters");
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "unauthenticated");
    assert!(r.header("www-authenticate").is_some());
    let r = h.get("/api/v1/public/outcomes");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["public"], true);
    // The published periods only, each answer a release of the register, served again while the
    // numbers stay the same.
    let r = h.get(&format!("/api/v1/public/outcomes?baseline={}&comparison={}", demo_year(1), demo_year(4)));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap_or("").contains("published periods only"), "{}", r.text());
    let register = h.get("/api/v1/public/releases").json();
    let releases = register.as_array().map(Vec::len).unwrap_or(0);
    assert!(releases >= 1, "{register}");
    assert!(register.as_array().is_some_and(|a| a.iter().all(|r| r["made_by"] == "")), "who made a release is not public: {register}");
    assert_eq!(h.get("/api/v1/public/outcomes?by=precinct").status, 200);
    assert_eq!(h.get("/public").status, 200);
    assert_eq!(h.get("/api/v1/public/releases").json().as_array().map(Vec::len), Some(releases), "the same numbers, the same release");
    // Unbounded periods are refused (a bound on the work one anonymous request can ask for).
    let r = h.get("/api/v1/public/outcomes?baseline=0001-01-01..9999-12-31&comparison=0001-01-01..9999-12-31");
    assert_eq!(r.status, 400, "{}", r.text());
    let r = h.get("/api/v1/public/outcomes?baseline=1950-01-01..2000-12-31&comparison=2001-01-01..2001-12-31");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap_or("").contains("longer than 25 years"));
    let doc = h.get("/api/v1/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    for p in ["/api/v1/encounters", "/api/v1/encounters/{source_system}/{source_key}", "/api/v1/imports", "/api/v1/definitions", "/api/v1/outcomes"] {
        assert!(doc["paths"][p].is_object(), "the OpenAPI document lacks {p}");
    }
    assert!(doc["components"]["schemas"]["Encounter"].is_object());
    // A wrong token is refused, not treated as anonymous.
    h.token = Some("pmhc_0000".into());
    assert_eq!(h.get("/api/v1/public/outcomes").status, 401);
    assert_eq!(Http::new(&s.base).get("/no-such-page").status, 404);
}

fn sign_in_and_sessions(s: &Server) {
    let mut h = Http::new(&s.base);
    let r = h.sign_in_status("analyst", "wrong password");
    assert_eq!(r.status, 401);
    assert!(r.text().contains("the user name or the password is wrong"));
    let r = h.sign_in_status("nobody", PASSWORD);
    assert_eq!(r.status, 401);
    assert!(r.text().contains("the user name or the password is wrong"), "same answer for an unknown user");
    // Without the sign-in form's cookie (login CSRF) the sign-in is refused.
    let mut bare = Http::new(&s.base);
    let r = bare.post_form("/sign-in", &[("username", "analyst"), ("password", PASSWORD), ("csrf", "x")]);
    assert_eq!(r.status, 403);
    // The use notice must be accepted.
    let form = h.get("/sign-in").text();
    assert!(form.contains("id=\"use-notice\""));
    let csrf = hidden(&form, "csrf");
    let r = h.post_form("/sign-in", &[("username", "analyst"), ("password", PASSWORD), ("csrf", &csrf)]);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("accept the use notice"));

    let r = h.sign_in_status("analyst", PASSWORD);
    assert_eq!(r.status, 303);
    let cookie = r.headers_named("set-cookie").into_iter().find(|c| c.starts_with("pmhc_session=")).expect("session cookie").to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "not behind TLS: {cookie}");
    assert_eq!(h.get("/").status, 200);
    // An open redirect through `next` is not possible.
    let mut o = Http::new(&s.base);
    let form = o.get("/sign-in?next=//evil.example/").text();
    let csrf = hidden(&form, "csrf");
    let r = o.post_form("/sign-in", &[("username", "viewer"), ("password", PASSWORD), ("csrf", &csrf), ("next", "//evil.example/"), ("acknowledge", "yes")]);
    assert_eq!(r.header("location"), Some("/"));
    // Sign-out ends the session on the server: the old cookie no longer works.
    let old = h.cookies.clone();
    let csrf = h.csrf();
    assert_eq!(h.post_form("/sign-out", &[("csrf", &csrf)]).status, 303);
    let mut replay = Http::new(&s.base);
    replay.cookies = old;
    assert_eq!(replay.get("/").status, 303, "a signed-out session must not work");
}

fn every_role_is_refused_what_it_may_not_do(s: &Server) {
    for role in ROLES {
        let mut page_client = signed_in(s, role);
        let mut api_client = Http::new(&s.base);
        api_client.token = Some(add_token(&s.db, role));
        for (method, path, allowed) in ROUTES {
            assert_eq!(*method, "GET");
            for (kind, h) in [("session", &mut page_client), ("token", &mut api_client)] {
                let r = h.get(path);
                let may = allowed.contains(&role);
                if may {
                    assert!(r.status == 200, "{role} ({kind}) GET {path}: expected 200, got {} {}", r.status, r.text());
                } else {
                    assert_eq!(r.status, 403, "{role} ({kind}) GET {path}: expected 403, got {} {}", r.status, r.text());
                    assert!(!r.text().contains("demo-cad"), "a refusal must not carry records");
                }
            }
        }
        // Writes.
        let may_edit = WRITERS.contains(&role);
        let may_import = ["administrator", "analyst"].contains(&role);
        let may_define = ["administrator", "analyst", "project_coordinator"].contains(&role);
        let e = json!({"source_system": "api-test", "source_key": format!("ROLE-{role}"), "occurred_on": "2024-05-01"});
        let r = api_client.send_json("POST", "/api/v1/encounters", &e, &[]);
        assert_eq!(r.status, if may_edit { 201 } else { 403 }, "{role} POST encounter: {}", r.text());
        let r = api_client.send_json("PUT", "/api/v1/definitions", &json!({"definition": {}, "note": "x"}), &[]);
        assert_eq!(r.status, if may_define { 422 } else { 403 }, "{role} PUT definitions: {}", r.text());
        let r = api_client.send_json("POST", "/api/v1/partners", &json!({"name": format!("P-{role}"), "sector": "other"}), &[]);
        assert_eq!(
            r.status,
            if ["administrator", "project_coordinator", "installation_administrator"].contains(&role) { 201 } else { 403 },
            "{role} POST partner: {}",
            r.text()
        );
        let r = api_client.post_multipart("/api/v1/imports", &[("mapping", "pmhc")], &[("file", "x.csv", b"a,b\n1,2\n")]);
        if may_import {
            assert_ne!(r.status, 403, "{role} may import");
            // The mapping does not fit the file: the import's answer names the columns the file
            // lacks, as the CLI does.
            let text = match r.json()["href"].as_str() {
                Some(href) => {
                    let mut t = String::new();
                    for _ in 0..100 {
                        t = api_client.get(href).text();
                        if !t.contains("\"running\"") {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                    t
                }
                None => r.text(),
            };
            assert!(text.contains("the file lacks column(s) the mapping needs"), "{role}: {text}");
        } else {
            assert_eq!(r.status, 403, "{role} POST import: {}", r.text());
        }
        let csrf = page_client.csrf();
        let r = page_client.post_form("/users", &[("csrf", &csrf), ("username", &format!("x-{role}")), ("role", "viewer"), ("password", "long enough pw")]);
        // The installation administrator's account in a partner with an administrator waits,
        // disabled, for that administrator's approval (the page says so).
        let expected = match role {
            "administrator" => 303,
            "installation_administrator" => 200,
            _ => 403,
        };
        assert_eq!(r.status, expected, "{role} POST /users: {}", r.text());
        let r = page_client.post_form("/encounters/new", &[("csrf", &csrf), ("draft_id", "ROLECHECK1"), ("occurred_on", "2024-01-01"), ("disposition", "referral")]);
        assert_eq!(r.status, if may_edit { 303 } else { 403 }, "{role} POST field form: {}", r.text());
        // The navigation shows only what the role may reach.
        let nav = page_client.get("/").text();
        assert_eq!(nav.contains("href=\"/encounters\""), READERS.contains(&role), "{role} nav");
        assert_eq!(nav.contains("href=\"/consents\""), ["administrator", "clinician"].contains(&role), "{role} nav");
        assert_eq!(nav.contains("href=\"/users\""), ["administrator", "installation_administrator"].contains(&role), "{role} nav");
        assert_eq!(nav.contains("href=\"/workgroup\""), WORKGROUP.contains(&role), "{role} nav");
        // Keeping the workgroup: the coordinator and administrators (a bad body: 422); the rest 403.
        let r = api_client.send_json("POST", "/api/v1/workgroup/members", &json!({"name": format!("M-{role}"), "sector": "advocacy", "role": "member", "joined_on": "2024-01-01", "left_on": "2023-01-01"}), &[]);
        let keeps = ["administrator", "project_coordinator"].contains(&role);
        assert_eq!(r.status, if keeps { 422 } else { 403 }, "{role} POST workgroup member: {}", r.text());
        let r = api_client.send_json("POST", "/api/v1/workgroup/actions/1", &json!({"note": "x"}), &[]);
        assert_eq!(r.status, if keeps { 200 } else { 403 }, "{role} note on someone else's action item: {}", r.text());
    }
}

fn csrf_protection(s: &Server) {
    let mut h = signed_in(s, "analyst");
    let csrf = h.csrf();
    // A form without the session's token.
    let r = h.post_form("/definitions", &[("csrf", "forged"), ("body", "name = 'x'"), ("note", "n")]);
    assert_eq!(r.status, 403);
    // A cross-site request carrying the session cookie, even with the right token.
    let r = h.post_form_with_origin("/definitions", "http://evil.example", &[("csrf", &csrf), ("body", "x"), ("note", "n")]);
    assert_eq!(r.status, 403);
    // API writes with a session need the X-CSRF-Token header.
    let e = json!({"source_system": "api-test", "source_key": "CSRF-1", "occurred_on": "2024-05-01"});
    assert_eq!(h.send_json("POST", "/api/v1/encounters", &e, &[]).status, 403);
    assert_eq!(h.send_json("POST", "/api/v1/encounters", &e, &[("X-CSRF-Token", &csrf)]).status, 201);
}

fn encounters_api(s: &Server) {
    let mut h = Http::new(&s.base);
    h.token = Some(add_token(&s.db, "analyst"));
    let e = json!({
        "source_system": "cad-vendor", "source_key": "A/1 7", "occurred_on": "2024-06-02", "occurred_time": "10:15:00",
        "area": {"precinct": "North"}, "disposition": "referral", "response_model": "co_responder",
        "referrals": [{"service_type": "mobile_crisis", "result": "accepted"}]
    });
    let r = h.send_json("POST", "/api/v1/encounters", &e, &[]);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("location"), Some("/api/v1/encounters/cad-vendor/A%2F1%207"));
    let got = h.get("/api/v1/encounters/cad-vendor/A%2F1%207");
    assert_eq!(got.status, 200, "{}", got.text());
    let got = got.json();
    assert_eq!(got["area"]["precinct"], "North");
    assert_eq!(got["referrals"][0]["result"], "accepted");
    // Creating it again conflicts; replacing it works.
    assert_eq!(h.send_json("POST", "/api/v1/encounters", &e, &[]).status, 409);
    let mut changed = e.clone();
    changed["disposition"] = json!("arrest");
    let r = h.send_json("PUT", "/api/v1/encounters/cad-vendor/A%2F1%207", &changed, &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["arrested"], true, "normalised like an import");
    assert_eq!(h.send_json("PUT", "/api/v1/encounters/cad-vendor/none", &changed, &[]).status, 404);
    assert_eq!(h.get("/api/v1/encounters/cad-vendor/none").status, 404);
    // Bad input: a clear error naming the problem.
    for (bad, needle) in [
        (json!({"source_system": "x", "source_key": "y", "occurred_on": "2024-13-01"}), "occurred_on"),
        (json!({"source_system": "x", "source_key": "y", "occurred_on": "2024-01-01", "disposition": "vaporised"}), "disposition"),
        (json!({"source_system": "", "source_key": "y", "occurred_on": "2024-01-01"}), "source_system"),
        (json!({"source_system": "x", "source_key": "y", "occurred_on": "2024-01-01", "arrived_at": "2024-01-01T10:00:00", "dispatched_at": "2024-01-01T11:00:00"}), "before"),
    ] {
        let r = h.send_json("POST", "/api/v1/encounters", &bad, &[]);
        assert_eq!(r.status, 422, "{bad}: {}", r.text());
        let body = r.json();
        assert_eq!(body["error"], "invalid");
        assert!(body.to_string().contains(needle), "{needle} not named in {body}");
    }
    // Every text field has a limit: 4 KiB for a short one (here a precinct), named in the 422.
    let long = "N".repeat(4097);
    let r = h.send_json("POST", "/api/v1/encounters", &json!({"source_system": "x", "source_key": "long", "occurred_on": "2024-01-01", "area": {"precinct": long}}), &[]);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("area.precinct is 4097 bytes long; the limit is 4096 bytes"), "{}", r.text());
    assert_eq!(h.get("/api/v1/encounters/x/long").status, 404, "nothing stored");
    // NUL, which PostgreSQL cannot store: refused the same way on both databases.
    let r = h.send_json("POST", "/api/v1/encounters", &json!({"source_system": "x", "source_key": "nul", "occurred_on": "2024-01-01", "agency": "a\u{0}b"}), &[]);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("NUL"), "{}", r.text());
    for path in ["/api/v1/encounters?source=a%00b", "/api/v1/encounters/a%00b/x", "/api/v1/public/outcomes?source=a%00b", "/encounters?precinct=%00"] {
        let r = h.get(path);
        assert_eq!(r.status, 400, "{path}: {}", r.text());
    }
    let r = h.get("/api/v1/encounters?from=yesterday");
    assert_eq!(r.status, 400);
    assert!(r.json()["message"].as_str().unwrap_or("").contains("from"));
    // Filters and paging.
    let page = h.get("/api/v1/encounters?source=cad-vendor&limit=5").json();
    assert_eq!(page["total"], 1);
    let all = h.get("/api/v1/encounters?limit=1000").json();
    assert!(all["total"].as_u64().unwrap_or(0) >= 3000);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1000));
}

fn field_form(s: &Server) {
    let mut h = signed_in(s, "analyst");
    let form = h.get("/encounters/new").text();
    let csrf = hidden(&form, "csrf");
    let draft = hidden(&form, "draft_id");
    assert!(draft.starts_with("F-"), "{draft}");
    assert!(form.contains("name=\"viewport\""));
    // A failed submit keeps everything typed and puts the message next to the field.
    let r = h.post_form(
        "/encounters/new",
        &[("csrf", &csrf), ("draft_id", &draft), ("occurred_on", "2024-02-30"), ("precinct", "South"), ("disposition", "referral")],
    );
    assert_eq!(r.status, 422);
    let page = r.text();
    assert!(page.contains("id=\"occurred_on-error\""), "{page}");
    assert!(page.contains("one field needs attention") && page.contains("<a href=\"#occurred_on\">"), "the summary names the field and links to it: {page}");
    assert!(!page.contains('`'), "messages in words, without code quotes");
    assert!(page.contains("value=\"South\""), "typed values kept");
    assert!(page.contains("value=\"referral\" selected"), "choices kept");
    assert!(page.contains(&format!("value=\"{draft}\"")), "the draft keeps its id");
    // Fixed and sent (twice, as a flaky connection might): one encounter.
    for _ in 0..2 {
        let r = h.post_form(
            "/encounters/new",
            &[("csrf", &csrf), ("draft_id", &draft), ("occurred_on", "2024-02-28"), ("precinct", "South"), ("disposition", "referral")],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(r.header("location"), Some(format!("/encounters/pmhc-field/{draft}?saved=1").as_str()));
    }
    let list = h.get("/api/v1/encounters?source=pmhc-field&limit=1000").json();
    let same = list["items"].as_array().expect("items").iter().filter(|e| e["source_key"] == draft.as_str()).count();
    assert_eq!(same, 1, "{list}");
    let detail = h.get(&format!("/encounters/pmhc-field/{draft}?saved=1")).text();
    assert!(detail.contains("The encounter was saved.") && detail.contains("South"));
    assert!(detail.contains("href=\"/encounters/new\">Record another</a>"), "another encounter is one tap away");
}

fn definitions(s: &Server) {
    let mut h = signed_in(s, "analyst");
    let page = h.get("/definitions").text();
    assert!(page.contains("[mental_health]") && page.contains("# Which encounters count"), "annotated TOML shown");
    let csrf = hidden(&page, "csrf");
    let body = textarea(&page);
    let edited = body.replace("window_days = 90", "window_days = 60");
    assert_ne!(body, edited, "the default repeat window is 90 days");
    // Invalid TOML: an error, the text kept.
    let r = h.post_form("/definitions", &[("csrf", &csrf), ("body", "name = "), ("note", "broken")]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("not valid TOML") && r.text().contains("line 1"), "{}", r.text());
    // In words beside the TOML.
    assert!(page.contains("id=\"in-words\"") && page.contains("2 or more of their mental-health encounters fall within 90 days"), "{page}");
    let r = h.post_form("/definitions", &[("csrf", &csrf), ("body", &body.replace("window_days = 90", "window_days = 9o")), ("note", "typo")]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("write numbers as digits") && r.text().contains("window_days = 9o"), "the error in words, at its line: {}", r.text());
    let r = h.post_form("/definitions", &[("csrf", &csrf), ("body", &edited), ("note", "60-day repeat window, agreed 2026-11")]);
    assert_eq!(r.status, 200, "{}", r.text());
    // Version 1 is the default, version 2 the demo's published periods.
    assert!(r.text().contains("Saved as version 3"));
    let unescaped = unescape(&r.text());
    assert!(unescaped.contains("− repeat.window_days = 90") && unescaped.contains("+ repeat.window_days = 60"), "the history says what changed");
    let history = h.get("/api/v1/definitions/history").json();
    let history = history.as_array().expect("array");
    assert_eq!(history.len(), 3);
    assert_eq!(history[0]["author"], "analyst");
    assert_eq!(history[0]["note"], "60-day repeat window, agreed 2026-11");
    assert_eq!(history[0]["definition"]["repeat"]["window_days"], 60);
    // Reports follow the new version at once.
    let report = h.get(&format!("/api/v1/outcomes?baseline={}&comparison={}", demo_year(1), demo_year(4))).json();
    assert_eq!(report["definition"]["version"], 3);

    // The same settings as a form: each with what it means and its value.
    let page = h.get("/definitions").text();
    let mut fields = form_fields(&page, "definitions-form");
    let value = |fields: &[(String, String)], k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(value(&fields, "repeat.window_days"), "60", "the form shows the version in force");
    assert!(fields.iter().any(|(n, v)| n == "mental_health.call_sources" && v == "988_transfer"), "ticked choices: {fields:?}");
    assert!(page.contains("of their mental-health encounters fall within this many days"), "each setting says what it means");
    // A refused form comes back as typed, the message beside the setting, in words.
    let set = |fields: &mut Vec<(String, String)>, k: &str, v: &str| {
        fields.retain(|(n, _)| n != k);
        fields.push((k.to_string(), v.to_string()));
    };
    set(&mut fields, "name", "Workgroup definitions, December");
    set(&mut fields, "repeat.min_encounters", "1");
    set(&mut fields, "note", "three encounters make a repeat");
    let refs = |fields: &[(String, String)]| fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
    let pairs = refs(&fields);
    let r = h.post_form("/definitions", &pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>());
    assert_eq!(r.status, 422, "{}", r.text());
    let refused = r.text();
    let kept = form_fields(&refused, "definitions-form");
    assert_eq!(value(&kept, "name"), "Workgroup definitions, December", "what was typed is kept");
    assert_eq!(value(&kept, "note"), "three encounters make a repeat");
    assert_eq!(value(&kept, "repeat.min_encounters"), "1");
    let beside = refused.find("id=\"repeat-min_encounters-error\"").expect("the message beside the setting");
    assert!(refused[beside..].starts_with("id=\"repeat-min_encounters-error\">A repeat needs at least 2 encounters (this says 1)."), "{}", &refused[beside..beside + 200]);
    assert!(!refused.contains("repeat.min_encounters must"), "in words, not in TOML names");
    // Corrected, it saves as a new version; the history names the change.
    set(&mut fields, "repeat.min_encounters", "3");
    let pairs = refs(&fields);
    let r = h.post_form("/definitions", &pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>());
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("Saved as version 4"), "{}", r.text());
    let unescaped = unescape(&r.text());
    assert!(unescaped.contains("+ repeat.min_encounters = 3") && unescaped.contains("+ name = \"Workgroup definitions, December\""), "the history says what changed");
    let saved = h.get("/api/v1/definitions").json();
    assert_eq!(saved["definition"]["repeat"]["min_encounters"], 3);
    assert_eq!(saved["definition"]["repeat"]["window_days"], 60, "the other settings as they were");
    assert_eq!(saved["definition"]["periods"], history[0]["definition"]["periods"], "the published periods as they were");
    // The same form again changes nothing.
    let r = h.post_form("/definitions", &pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>());
    assert!(r.text().contains("Nothing changed"), "{}", r.text());
}

/// The fields a browser would send for the form with this id: inputs (ticked checkboxes only),
/// textareas and selected options, by name, as the page fills them.
fn form_fields(page: &str, form_id: &str) -> Vec<(String, String)> {
    let start = page.find(&format!("id=\"{form_id}\"")).expect("the form");
    let form = &page[start..start + page[start..].find("</form>").expect("the form's end")];
    let attr = |tag: &str, a: &str| {
        let key = format!(" {a}=\"");
        tag.find(&key).map(|i| unescape(tag[i + key.len()..].split('"').next().unwrap_or_default()))
    };
    let mut out = Vec::new();
    for piece in form.split('<').skip(1) {
        let tag = piece.split('>').next().unwrap_or_default();
        if tag.starts_with("input ") {
            let Some(name) = attr(tag, "name") else { continue };
            let kind = attr(tag, "type").unwrap_or_default();
            if (kind == "checkbox" || kind == "radio") && !tag.contains(" checked") {
                continue;
            }
            out.push((name, attr(tag, "value").unwrap_or_default()));
        } else if tag.starts_with("textarea ") {
            let name = attr(tag, "name").expect("a textarea's name");
            let text = piece.split_once('>').map(|(_, t)| t).unwrap_or_default();
            out.push((name, unescape(text)));
        }
    }
    out
}

/// The demo's referrals come a page at a time, newest first, with a count and the next page.
fn referrals_are_paged(s: &Server) {
    let mut h = signed_in(s, "administrator");
    let page = h.get("/referrals").text();
    let count = page.split("Referrals 1–").nth(1).and_then(|r| r.split('<').next()).expect("the count line");
    let total: u64 = count.split(" of ").nth(1).map(|t| t.trim().trim_end_matches('.').replace(',', "")).and_then(|t| t.parse().ok()).expect("a total");
    let rows = page.matches("<tr id=\"referral-").count() as u64;
    assert_eq!(rows, total.min(50), "{count}");
    if total > 50 {
        assert!(page.contains("offset=50") && page.contains("rel=\"next\""), "a next page");
        let second = h.get("/referrals?offset=50").text();
        assert!(second.contains("Referrals 51–") && second.contains("rel=\"prev\""), "the second page");
    } else {
        assert!(!page.contains("rel=\"next\""));
    }
    // Filtered by the partner on the other side: the demo's referrals all go to its provider.
    let of = |page: &str| -> u64 {
        let line = page.split("id=\"referral-count\">").nth(1).and_then(|r| r.split('.').next()).unwrap_or_default().to_string();
        line.split(" of ").nth(1).map(|t| t.replace(',', "")).and_then(|t| t.trim().parse().ok()).unwrap_or(0)
    };
    let provider = page.split("<option value=\"").find(|o| o.contains("County Behavioral Health (demo)")).and_then(|o| o.split('"').next()).expect("the provider offered");
    assert_eq!(of(&h.get(&format!("/referrals?partner={provider}")).text()), total, "every demo referral goes to the provider");
    let year = demo_year(4);
    let (from, to) = year.split_once("..").expect("a period");
    let in_year = of(&h.get(&format!("/referrals?partner={provider}&from={from}&to={to}")).text());
    assert!(in_year > 0 && in_year < total, "the dates narrow the list ({in_year} of {total})");
}

fn textarea(page: &str) -> String {
    let start = page.find("<textarea id=\"body\"").and_then(|i| page[i..].find('>').map(|j| i + j + 1)).expect("textarea");
    let end = page[start..].find("</textarea>").expect("end") + start;
    unescape(&page[start..end])
}

/// Undo HTML escaping (named and numeric forms).
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

fn outcomes_match_the_cli(s: &Server) {
    let mut h = Http::new(&s.base);
    h.token = Some(add_token(&s.db, "viewer"));
    let (b, c) = (demo_year(2), demo_year(4));
    let (b, c) = (b.as_str(), c.as_str());
    let periods = format!("baseline={b}&comparison={c}");
    let internal = vec!["--baseline", b, "--comparison", c];
    for (query, extra) in [
        (periods.clone(), internal.clone()),
        (format!("{periods}&precinct=North"), [&internal[..], &["--precinct", "North"]].concat()),
        // Public: the published periods (the demo's), a release of the register.
        ("public=true".to_string(), vec!["--public"]),
        ("public=true&precinct=North".to_string(), vec!["--public", "--precinct", "North"]),
    ] {
        let api = h.get(&format!("/api/v1/outcomes?{query}"));
        assert_eq!(api.status, 200, "{}", api.text());
        let mut args = vec!["report", "--format", "json"];
        args.extend(extra);
        let cli = run(&s.db, &args);
        assert!(cli.status.success(), "{}", stderr(&cli));
        let (a, c2): (Value, Value) = (api.json(), json(&cli));
        assert_eq!(a, c2, "the API and the CLI must give the same report ({query})");
    }
    // The dashboard shows the same sentences.
    let mut page = signed_in(s, "viewer");
    // Periods by name: the last twelve whole months against the twelve before, on the server's clock.
    let p = pmhc_core::definition::PeriodPreset::LastTwelveMonths.periods(clock().local_today());
    let dash = page.get("/?preset=last_12_months").text();
    assert!(dash.contains(&format!("value=\"{}\"", p.comparison)) && dash.contains(&format!("value=\"{}\"", p.baseline)), "{dash}");
    assert!(dash.contains("value=\"last_12_months\" selected"), "the preset stays chosen");
    assert!(page.get("/?preset=last_decade").text().contains("is not one of the periods offered"));
    let report = h.get(&format!("/api/v1/outcomes?baseline={b}&comparison={c}")).json();
    let dash = page.get(&format!("/?baseline={b}&comparison={c}")).text();
    for m in ["referral", "arrest", "any_force", "repeat_people"] {
        let sentence = report["changes"][m]["sentence"].as_str().expect("sentence");
        assert!(unescape(&dash).contains(sentence), "the dashboard lacks: {sentence}");
    }
    // Live filtering answers with the results only.
    let frag = page.get(&format!("/?baseline={b}&comparison={c}&precinct=North&fragment=1")).text();
    assert!(!frag.contains("<html") && frag.contains("Outcome 1"), "{}", &frag[..frag.len().min(400)]);
    let bad = page.get("/?baseline=2021-12-31..2021-01-01&comparison=2023-01-01..2023-12-31").text();
    assert!(bad.contains("class=\"error\""), "a bad period is explained on the page");
}

fn hostile_strings_are_escaped(s: &Server) {
    let mut h = Http::new(&s.base);
    h.token = Some(add_token(&s.db, "administrator"));
    let evil = "<script>alert(1)</script>\"'&";
    let e = json!({"source_system": "evil", "source_key": evil, "occurred_on": "2024-06-02", "area": {"precinct": evil}});
    let r = h.send_json("POST", "/api/v1/encounters", &e, &[]);
    assert_eq!(r.status, 201, "{}", r.text());
    let mut page = signed_in(s, "administrator");
    let list = page.get("/encounters?source=evil").text();
    assert!(!list.contains("<script>alert(1)"), "escaped in the list");
    assert!(unescape(&list).contains(evil), "shown as text");
    let detail = page.get("/encounters/evil/%3Cscript%3Ealert(1)%3C%2Fscript%3E%22'%26");
    assert_eq!(detail.status, 200, "{}", detail.text());
    assert!(!detail.text().contains("<script>alert(1)"));
}

/// An import through the API with a real dataset: the upload, the progress, the summary, the
/// rejected rows, and the same encounters as `pmhc import` makes.
#[test]
fn importing_a_real_dataset_through_the_web() {
    let Some(file) = shared("toronto-persons-in-crisis/raw_data_first32000.csv") else { return };
    let dbs = Databases::new();
    for db in &dbs.urls {
        add_user(db, "analyst", "analyst", PASSWORD);
        let s = Server::start(db);
        let mut h = Http::new(&s.base);
        h.token = Some(add_token(db, "analyst"));
        let bytes = std::fs::read(&file).expect("read dataset");
        let r = h.post_multipart("/api/v1/imports", &[("mapping", "toronto-pic")], &[("file", "raw_data_first32000.csv", &bytes)]);
        assert_eq!(r.status, 202, "{}", r.text());
        let id = r.json()["id"].as_i64().expect("id");
        let info = wait_for_import(&mut h, id);
        assert_eq!(info["status"], "complete", "{info}");
        assert_eq!(info["file_name"], "raw_data_first32000.csv");
        let received = info["received"].as_u64().expect("received");
        assert_eq!(received, 32000, "every data row of the file");
        assert_eq!(received, info["accepted"].as_u64().unwrap_or(0) + info["rejected"].as_u64().unwrap_or(0));
        assert!(info["details"]["seconds"].as_f64().is_some());
        // The same file through the CLI into a fresh database gives the same encounters.
        let other = Databases::new();
        let cli = run(&other.urls[0], &["import", file.to_str().expect("path"), "--mapping", "toronto-pic", "--json", "--rejects", other.dir().join("r.csv").to_str().expect("p")]);
        let cli = json(&cli);
        assert_eq!(cli["inserted"], info["inserted"]);
        assert_eq!(cli["rejected"], info["rejected"]);
        // The import page, the history and the dashboard.
        add_user(db, "admin", "administrator", PASSWORD);
        let mut page = signed_in(&s, "admin");
        let p = page.get(&format!("/imports/{id}")).text();
        assert!(p.contains("id=\"import-state\">complete<") && p.contains("id=\"received\">32,000<"), "the counts as pmhc writes numbers: {p}");
        let imports = page.get("/imports").text();
        assert!(imports.contains("raw_data_first32000.csv"));
        assert!(imports.contains("toronto-pic — Toronto Police Service persons-in-crisis calls attended"), "mappings by name and what they read");
        // The encounters' filters offer the sources and precincts there are, by name.
        let list = page.get("/encounters?precinct=d52").text();
        assert!(list.contains("<option value=\"toronto-pic\">Toronto Police Service persons-in-crisis calls attended (Open Data Toronto) (toronto-pic)</option>"), "{list}");
        assert!(list.contains("<datalist id=\"precinct-choices\">") && list.contains("<option value=\"D52\">"), "precincts offered as typed");
        assert!(list.contains(" encounters match") && !list.contains(">0 encounters match"), "a precinct typed in lower case finds its encounters");
        let api = h.get("/api/v1/outcomes?baseline=2014-01-01..2014-06-30&comparison=2015-01-01..2015-06-30").json();
        assert_eq!(api["periods"]["comparison"]["encounters"].as_u64().map(|n| n > 0), Some(true), "{api}");
    }
}

/// Rows the mapping rejects are kept for download; a file over the limit is refused with 413.
#[test]
fn rejected_rows_and_limits() {
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    add_user(db, "analyst", "analyst", PASSWORD);
    let s = Server::start_with(db, &["--max-upload-mb", "1"]);
    let mut h = Http::new(&s.base);
    h.token = Some(add_token(db, "analyst"));
    // The canonical mapping: two good rows and one with a bad date.
    let out = run(db, &["demo", "--encounters", "2", "--csv", dbs.dir().join("two.csv").to_str().expect("p")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut csv = std::fs::read_to_string(dbs.dir().join("two.csv")).expect("csv");
    let last = csv.lines().last().expect("a row").to_string();
    let bad = last.replacen(&last.split(',').next().unwrap_or_default().to_string(), "demo-x", 1);
    let bad = bad.replace(&bad.split(',').find(|f| f.len() == 10 && f.as_bytes()[4] == b'-').unwrap_or("").to_string(), "2024-99-99");
    csv.push_str(&bad);
    csv.push('\n');
    let r = h.post_multipart("/api/v1/imports", &[("mapping", "pmhc")], &[("file", "three.csv", csv.as_bytes())]);
    assert_eq!(r.status, 202, "{}", r.text());
    let id = r.json()["id"].as_i64().expect("id");
    let info = wait_for_import(&mut h, id);
    assert_eq!(info["status"], "partial", "{info}");
    assert_eq!(info["rejected"], 1);
    assert!(info["details"]["first_rejects"][0]["reason"].as_str().is_some_and(|r| !r.is_empty()), "{info}");
    let rejects = info["rejects_href"].as_str().expect("rejects link").to_string();
    add_user(db, "admin", "administrator", PASSWORD);
    let mut page = signed_in(&s, "admin");
    let dl = page.get(&rejects);
    assert_eq!(dl.status, 200);
    assert!(dl.header("content-type").is_some_and(|c| c.starts_with("text/csv")));
    assert!(dl.text().contains("2024-99-99"), "{}", dl.text());
    // Unknown mapping, empty file, oversize file.
    let r = h.post_multipart("/api/v1/imports", &[("mapping", "no-such")], &[("file", "x.csv", csv.as_bytes())]);
    assert_eq!(r.status, 400);
    assert!(r.json()["message"].as_str().unwrap_or("").contains("no mapping called `no-such`"));
    let r = h.post_multipart("/api/v1/imports", &[("mapping", "pmhc")], &[("file", "x.csv", b"")]);
    assert_eq!(r.status, 400);
    // Not multipart at all: the API's JSON error, not the framework's text.
    let r = h.send_json("POST", "/api/v1/imports", &json!({}), &[]);
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["error"], "bad_request");
    // Just over the limit: the server answers before reading the rest, and the rest must still fit
    // in the loopback socket's buffers so the client gets to read the answer.
    let big = vec![b'a'; (1 << 20) + (64 << 10)];
    let mut refused = false;
    for _ in 0..3 {
        match h.try_post_multipart("/api/v1/imports", &[("mapping", "pmhc")], &[("file", "big.csv", &big)]) {
            Ok(r) => {
                assert_eq!(r.status, 413, "{}", r.text());
                assert_eq!(r.json()["error"], "too_large");
                refused = true;
                break;
            }
            // The server closed the connection before the client finished sending (a busy
            // machine): try again.
            Err(e) => eprintln!("upload cut off ({e}); again"),
        }
    }
    assert!(refused, "the oversize upload was answered 413");
    // Nothing of the refused uploads reached the history.
    let history = h.get("/api/v1/imports").json();
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{history}");
}

/// The report downloads: HTML, CSV, JSON, and the PDF printed by Chromium.
#[test]
fn report_downloads() {
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    let out = run(db, &["demo", "--encounters", "2000"]);
    assert!(out.status.success());
    add_user(db, "viewer", "viewer", PASSWORD);
    let s = Server::start(db);
    let mut h = signed_in(&s, "viewer");
    let (b, c) = (demo_year(2), demo_year(4));
    let q = format!("baseline={b}&comparison={c}");
    let html = h.get(&format!("/reports/download?format=html&{q}"));
    assert_eq!(html.status, 200);
    let name = format!("pmhc-outcomes-{}-vs-{}.html", &b[..10], &c[12..]);
    assert!(html.header("content-disposition").is_some_and(|d| d.contains(&name)), "{name}");
    assert!(html.text().starts_with("<!DOCTYPE html>"));
    // Public: the published periods only.
    assert_eq!(h.get(&format!("/reports/download?format=csv&{q}&public=true")).status, 400);
    let csv = h.get("/reports/download?format=csv&public=true");
    assert!(csv.text().lines().nth(1).is_some_and(|l| l.starts_with("definition,")), "{}", csv.text());
    assert!(csv.header("content-disposition").is_some_and(|d| d.contains("-public.csv")));
    let j = h.get(&format!("/reports/download?format=json&{q}")).json();
    assert_eq!(j["periods"]["baseline"]["from"], &b[..10]);
    assert_eq!(h.get(&format!("/reports/download?format=docx&{q}")).status, 400);
    let pdf = h.get(&format!("/reports/download?format=pdf&{q}"));
    let have_chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().any(|p| std::path::Path::new(p).exists())
        || std::env::var_os("PMHC_CHROMIUM").is_some();
    if have_chromium {
        assert_eq!(pdf.status, 200, "{}", pdf.text());
        assert!(pdf.body.starts_with(b"%PDF"), "a PDF");
        assert!(pdf.body.len() > 20_000, "the PDF holds the report ({} bytes)", pdf.body.len());
    } else {
        assert!(std::env::var_os("PMHC_TEST_BROWSER").is_none(), "PMHC_TEST_BROWSER is set but Chromium is missing");
        assert_eq!(pdf.status, 503, "without Chromium the PDF is unavailable, said plainly");
        assert!(pdf.text().contains("Chromium"));
    }
}

fn wait_for_import(h: &mut Http, id: i64) -> Value {
    for _ in 0..600 {
        let info = h.get(&format!("/api/v1/imports/{id}")).json();
        if info["status"] != "running" {
            return info;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("import {id} did not finish in 2 minutes");
}

/// Run SQL on a test database directly (as someone with access to the database would).
/// The error paragraph of a page.
fn error_text(html: &str) -> String {
    html.split("class=\"error\"").nth(1).and_then(|r| r.split_once('>')).map(|(_, r)| r.split('<').next().unwrap_or("").to_string()).unwrap_or_default()
}

fn sql(db: &str, statements: &[&str]) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        if db.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(db).await.map_err(|e| e.to_string())?;
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(*s)).execute(&pool).await.map_err(|e| e.to_string())?;
            }
        } else {
            let pool = sqlx::SqlitePool::connect(db).await.map_err(|e| e.to_string())?;
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(*s)).execute(&pool).await.map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

/// The audit trail: every sign-in (good or bad), view, change, import and administrative action
/// leaves an entry; any edit or removal in the database is found by `pmhc audit verify`, naming
/// the first broken entry; when the trail cannot be written, the access is refused.
#[test]
fn the_audit_trail() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        let out = run(db, &["demo", "--encounters", "500"]);
        assert!(out.status.success());
        add_user(db, "analyst", "analyst", PASSWORD);
        add_user(db, "admin", "administrator", PASSWORD);
        let s = Server::start(db);
        let mut bad = Http::new(&s.base);
        assert_eq!(bad.sign_in_status("analyst", "not the password").status, 401);
        let mut h = signed_in(&s, "analyst");
        assert_eq!(h.get("/encounters?precinct=North").status, 200);
        let list = h.get("/api/v1/encounters?limit=1").json();
        let key = list["items"][0]["source_key"].as_str().expect("a key").to_string();
        let system = list["items"][0]["source_system"].as_str().expect("a system").to_string();
        assert_eq!(h.get(&format!("/encounters/{system}/{key}")).status, 200);
        let csrf = h.csrf();
        let e = json!({"source_system": "audit", "source_key": "A1", "occurred_on": "2024-05-01"});
        assert_eq!(h.send_json("POST", "/api/v1/encounters", &e, &[("X-CSRF-Token", &csrf)]).status, 201);
        // The analyst may not read the trail; the administrator may.
        assert_eq!(h.get("/audit").status, 403);
        let mut admin = signed_in(&s, "admin");
        let page = unescape(&admin.get("/audit?verify=1").text());
        assert!(page.contains("The chain is intact"), "{page}");
        // The training page (names of staff due a refresher) and an import's page are audited too.
        assert_eq!(admin.get("/training").status, 200);
        assert_eq!(admin.get("/imports/1").status, 200);
        let entries = json(&run(db, &["audit", "list", "--json", "--limit", "100"]));
        let entries = entries.as_array().expect("entries");
        let has = |actor: &str, action: &str, outcome: &str, object: &str| {
            entries.iter().any(|e| e["actor"] == actor && e["action"] == action && e["outcome"] == outcome && e["object"].as_str().is_some_and(|o| o.starts_with(object)))
        };
        assert!(has("analyst", "sign_in", "refused", "session"), "a failed sign-in is recorded");
        assert!(has("analyst", "sign_in", "success", "session"));
        assert!(has("analyst", "view", "success", "encounters: "));
        assert!(!entries.iter().any(|e| e["object"].as_str().is_some_and(|o| o.contains("EncounterFilter"))), "the trail says filters in words");
        assert!(has("analyst", "view", "success", &format!("encounter:{system}/{key}")));
        assert!(has("analyst", "create", "success", "encounter:audit/A1"));
        assert!(has("admin", "view", "success", "audit"));
        assert!(has("admin", "view", "success", "training"), "/training is recorded");
        assert!(has("admin", "view", "success", "import:1"), "/imports/1 is recorded");
        assert!(entries.iter().any(|e| e["action"] == "admin" && e["object"] == "user:analyst" && e["source"].as_str().is_some_and(|s| s.starts_with("cli uid "))), "pmhc user add is recorded");
        assert!(entries.iter().any(|e| e["action"] == "import" && e["source"].as_str().is_some_and(|s| s.starts_with("cli uid "))) || entries.iter().any(|e| e["action"] == "admin"));
        let view = entries
            .iter()
            .find(|e| e["action"] == "view" && e["actor"] == "analyst" && e["object"].as_str().is_some_and(|o| o.starts_with("encounter:")))
            .expect("a view of a record");
        assert_eq!(view["source"], "127.0.0.1");
        let at = view["at"].as_str().expect("at");
        assert!(at.len() == "2026-11-27T04:05:06.12Z".len() && at.ends_with('Z'), "UTC to 0.01 s: {at}");
        assert!(view["field_groups"].as_array().is_some_and(|g| !g.is_empty()));

        let verify = run(db, &["audit", "verify"]);
        assert!(verify.status.success(), "{}", stderr(&verify));
        assert!(stdout(&verify).contains("intact"));
        // Entries are kept a year (of real time, like their stamps): a younger purge date is refused.
        let recent = (pmhc_store::clock::real_now().date_naive() - chrono::Duration::days(30)).to_string();
        let purge = run(db, &["audit", "purge", "--before", &recent]);
        assert!(!purge.status.success());
        assert!(stderr(&purge).contains("kept for at least a year"), "{}", stderr(&purge));

        // The database refuses edits while its triggers stand.
        assert!(sql(db, &["UPDATE audit_log SET actor = 'x' WHERE id = 3"]).is_err(), "append-only");
        // Someone with the database drops them and edits entry 3: verify names entry 3.
        let drop: &[&str] = if db.starts_with("postgres") {
            &["DROP TRIGGER audit_log_no_update ON audit_log"]
        } else {
            &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]
        };
        sql(db, drop).expect("drop the triggers");
        sql(db, &["UPDATE audit_log SET detail = 'nothing to see' WHERE id = 3"]).expect("edit");
        let verify = run(db, &["audit", "verify"]);
        assert_eq!(verify.status.code(), Some(1));
        assert!(stderr(&verify).contains("BROKEN at entry 3"), "{}", stderr(&verify));
        // Put it back, then remove entry 5 instead.
        let original: Value = entries.iter().find(|e| e["id"] == 3).cloned().expect("entry 3");
        let detail = original["detail"].as_str().unwrap_or("").replace('\'', "''");
        sql(db, &[&format!("UPDATE audit_log SET detail = '{detail}' WHERE id = 3")]).expect("restore");
        assert!(run(db, &["audit", "verify"]).status.success(), "restored");
        sql(db, &["DELETE FROM audit_log WHERE id = 5"]).expect("delete");
        let verify = run(db, &["audit", "verify"]);
        assert_eq!(verify.status.code(), Some(1));
        assert!(stderr(&verify).contains("BROKEN at entry 5"), "{}", stderr(&verify));

        // Fail closed: when no entry can be written, record-level pages are refused.
        let block: &[&str] = if db.starts_with("postgres") {
            &["CREATE FUNCTION audit_block() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'blocked'; END; $$",
              "CREATE TRIGGER audit_block BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_block()"]
        } else {
            &["CREATE TRIGGER audit_block BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'blocked'); END"]
        };
        sql(db, block).expect("block the audit log");
        let r = h.get("/encounters");
        assert_eq!(r.status, 503, "{}", r.text());
        assert!(!r.text().contains(&key), "no records without an audit entry");
        let r = h.get(&format!("/api/v1/encounters/{system}/{key}"));
        assert_eq!(r.status, 503);
        assert_eq!(r.json()["error"], "unavailable");
        let mut nobody = Http::new(&s.base);
        assert_ne!(nobody.sign_in_status("analyst", PASSWORD).status, 303, "no session without its audit entry");
    }
}

/// Every account that reaches records signs in with a second factor (TOTP): enrolled at the first
/// sign-in, a fresh code each time after, a code used once only, wrong codes counted towards the
/// lockout, reset by an administrator. An aggregates-only account needs none.
#[test]
fn second_factor_for_record_roles() {
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    add_user(db, "nurse", "clinician", PASSWORD);
    add_user(db, "member", "workgroup_member", PASSWORD);
    let s = Server::start(db);
    // The aggregates-only member is in after the password.
    let mut m = Http::new(&s.base);
    let r = m.sign_in_status("member", PASSWORD);
    assert_eq!(r.header("location"), Some("/"));
    assert_eq!(m.get("/api/v1/me").status, 200);

    // The password alone opens nothing for the clinician.
    let mut h = Http::new(&s.base);
    let form = h.get("/sign-in").text();
    let csrf = hidden(&form, "csrf");
    let r = h.post_form("/sign-in", &[("username", "nurse"), ("password", PASSWORD), ("csrf", &csrf), ("acknowledge", "yes")]);
    assert_eq!(r.status, 303);
    assert!(r.header("location").is_some_and(|l| l.starts_with("/sign-in/second-factor")), "{:?}", r.header("location"));
    assert_eq!(h.get("/api/v1/me").status, 401, "no access before the second factor");
    assert_eq!(h.get("/encounters").status, 303);
    assert!(h.get("/sign-in").header("location").is_some_and(|l| l.starts_with("/sign-in/second-factor")));
    // Enrolment: a QR code and the key; a wrong code is refused and keeps the same key.
    let page = h.get("/sign-in/second-factor").text();
    assert!(page.contains("id=\"totp-qr\"") && page.contains("<svg") && page.contains("otpauth://totp/pmhc:nurse"), "enrolment page");
    let key = page.split("id=\"totp-secret\">").nth(1).and_then(|r| r.split('<').next()).expect("key").to_string();
    let csrf = hidden(&page, "csrf");
    let r = h.post_form("/sign-in/second-factor", &[("csrf", &csrf), ("code", "000000"), ("secret", &key)]);
    assert_eq!(r.status, 401);
    assert!(r.text().contains(&key), "the same key is offered again");
    assert_eq!(h.get("/api/v1/me").status, 401);
    let secret = pmhc_core::totp::base32_decode(&key).expect("base32");
    let now = || u64::try_from(pmhc_store::clock::real_now().timestamp()).unwrap_or(0);
    let code = pmhc_core::totp::code_at(&secret, now());
    let r = h.post_form("/sign-in/second-factor", &[("csrf", &csrf), ("code", &code), ("secret", &key)]);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(h.get("/api/v1/me").status, 200, "in after the second factor");
    assert!(stdout(&run(db, &["user", "list"])).lines().any(|l| l.starts_with("nurse ")));

    // The same code cannot be used again (a replay), even by a fresh sign-in.
    let mut again = Http::new(&s.base);
    let form = again.get("/sign-in").text();
    let c = hidden(&form, "csrf");
    again.post_form("/sign-in", &[("username", "nurse"), ("password", PASSWORD), ("csrf", &c), ("acknowledge", "yes")]);
    let page = again.get("/sign-in/second-factor").text();
    assert!(!page.contains("id=\"totp-secret\""), "enrolled: no new key is shown");
    let c = hidden(&page, "csrf");
    let r = again.post_form("/sign-in/second-factor", &[("csrf", &c), ("code", &code)]);
    assert_eq!(r.status, 401, "a used code is refused");
    let next = pmhc_core::totp::code_at(&secret, now() + 30);
    let r = again.post_form("/sign-in/second-factor", &[("csrf", &c), ("code", &next)]);
    assert_eq!(r.status, 303, "the next code works: {}", r.text());
    // Wrong codes count towards the lockout, and the password step does not reset the count.
    let mut bad = Http::new(&s.base);
    let form = bad.get("/sign-in").text();
    let c = hidden(&form, "csrf");
    bad.post_form("/sign-in", &[("username", "nurse"), ("password", PASSWORD), ("csrf", &c), ("acknowledge", "yes")]);
    let c = hidden(&bad.get("/sign-in/second-factor").text(), "csrf");
    for _ in 0..2 {
        assert_eq!(bad.post_form("/sign-in/second-factor", &[("csrf", &c), ("code", "123456")]).status, 401);
    }
    let mut bad2 = Http::new(&s.base);
    let form = bad2.get("/sign-in").text();
    let c2 = hidden(&form, "csrf");
    bad2.post_form("/sign-in", &[("username", "nurse"), ("password", PASSWORD), ("csrf", &c2), ("acknowledge", "yes")]);
    let c2 = hidden(&bad2.get("/sign-in/second-factor").text(), "csrf");
    for _ in 0..2 {
        assert_eq!(bad2.post_form("/sign-in/second-factor", &[("csrf", &c2), ("code", "123456")]).status, 401);
    }
    let r = bad.post_form("/sign-in/second-factor", &[("csrf", &c), ("code", "123456")]);
    assert_eq!(r.header("location"), Some("/sign-in"), "the fifth failure locks and ends the session");
    assert!(stdout(&run(db, &["user", "list"])).lines().any(|l| l.starts_with("nurse ") && l.contains("locked")));
    let audit = stdout(&run(db, &["audit", "list", "--actor", "nurse", "--json"]));
    assert!(audit.contains("wrong second-factor code") && audit.contains("second factor enrolled"), "{audit}");
    // An administrator's reset: sessions end; the next sign-in enrols a new key.
    assert!(run(db, &["user", "unlock", "nurse"]).status.success());
    assert!(run(db, &["user", "reset-mfa", "nurse"]).status.success());
    assert_eq!(h.get("/api/v1/me").status, 401, "the reset ended the session");
    let mut fresh = Http::new(&s.base);
    let form = fresh.get("/sign-in").text();
    let c = hidden(&form, "csrf");
    fresh.post_form("/sign-in", &[("username", "nurse"), ("password", PASSWORD), ("csrf", &c), ("acknowledge", "yes")]);
    let page = fresh.get("/sign-in/second-factor").text();
    assert!(page.contains("id=\"totp-secret\""), "after a reset the user enrols again");
    assert!(!page.contains(&key), "with a new key");
}

/// Five failed sign-ins within 15 minutes lock the account until an administrator unlocks it; a
/// successful sign-in before that starts the count again.
#[test]
fn lockout_after_five_failed_sign_ins() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        add_user(db, "lock", "analyst", PASSWORD);
        let s = Server::start(db);
        let mut h = Http::new(&s.base);
        for _ in 0..4 {
            assert_eq!(h.sign_in_status("lock", "wrong password").status, 401);
        }
        assert_eq!(h.sign_in_status("lock", PASSWORD).status, 303, "four failures do not lock");
        // A session opened before the lock does not outlive it.
        let mut before = Http::new(&s.base);
        before.sign_in("lock", PASSWORD);
        assert_eq!(before.get("/api/v1/me").status, 200);
        let token = add_token(db, "lock");
        let mut bearer = Http::new(&s.base);
        bearer.token = Some(token);
        assert_eq!(bearer.get("/api/v1/me").status, 200);
        let mut h = Http::new(&s.base);
        let mut answers = Vec::new();
        for _ in 0..5 {
            let r = h.sign_in_status("lock", "wrong password");
            assert_eq!(r.status, 401);
            answers.push(error_text(&r.text()));
        }
        let r = h.sign_in_status("lock", PASSWORD);
        assert_eq!(r.status, 401, "locked, even with the right password");
        answers.push(error_text(&r.text()));
        // Wrong password, locked account, unknown user: one answer (no account enumeration).
        for _ in 0..6 {
            let r = h.sign_in_status("nobody-at-all", "wrong password");
            assert_eq!(r.status, 401);
            answers.push(error_text(&r.text()));
        }
        answers.dedup();
        assert_eq!(answers.len(), 1, "one answer for all: {answers:?}");
        assert!(answers[0].contains("locked for 10 minutes"), "{answers:?}");
        assert_eq!(before.get("/api/v1/me").status, 401, "the session opened before the lock ended");
        assert_eq!(bearer.get("/api/v1/me").status, 401, "the account's tokens wait for the lock to end");
        let list = stdout(&run(db, &["user", "list"]));
        assert!(list.lines().any(|l| l.starts_with("lock ") && l.contains("locked")), "{list}");
        let out = run(db, &["user", "unlock", "lock"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(h.sign_in_status("lock", PASSWORD).status, 303, "unlocked");
        // Administrative actions need the password entered in the last 5 minutes.
        add_user(db, "boss", "administrator", PASSWORD);
        let mut admin = Http::new(&s.base);
        admin.sign_in("boss", PASSWORD);
        let csrf = admin.csrf();
        // Ten minutes before now on the clock the server runs on (the tests' clock).
        let at = (clock().now() - chrono::Duration::minutes(10)).to_rfc3339();
        let ten_minutes_ago = if db.starts_with("postgres") {
            format!("UPDATE sessions SET authenticated_at = '{at}'::timestamptz")
        } else {
            format!("UPDATE sessions SET authenticated_at = '{at}'")
        };
        sql(db, &[&ten_minutes_ago]).expect("age the sign-in");
        let r = admin.post_form("/users/unlock", &[("csrf", &csrf), ("username", "lock")]);
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/reauth?next=%2Fusers"));
        assert!(admin.get("/reauth?next=%2Fusers").text().contains("Confirm your password"));
        let r = admin.post_form("/reauth", &[("csrf", &csrf), ("password", "not it"), ("next", "/users")]);
        assert_eq!(r.status, 401);
        let r = admin.post_form("/reauth", &[("csrf", &csrf), ("password", PASSWORD), ("next", "/users")]);
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/users"));
        let r = admin.post_form("/users/unlock", &[("csrf", &csrf), ("username", "lock")]);
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/users"), "done after re-authentication");
        // A form that needs the password keeps what was typed: the page asking for it carries the
        // fields and makes the change once the password is right; a refused form comes back filled.
        assert!(run(db, &["partner", "add", "Reauth Clinic", "--sector", "behavioral_health"]).status.success());
        let clinic = stdout(&run(db, &["partner", "list"]))
            .lines()
            .find(|l| l.contains("Reauth Clinic"))
            .and_then(|l| l.split_whitespace().next())
            .expect("the clinic's id")
            .to_string();
        sql(db, &[&ten_minutes_ago]).expect("age the sign-in");
        let (from, to) = (day(0), day(365));
        let agreement = |title: &str, to: &str| -> Vec<(String, String)> {
            [
                ("csrf", csrf.as_str()),
                ("title", title),
                ("discloser", "1"),
                ("recipient", clinic.as_str()),
                ("direction", "one_way"),
                ("field_groups", "incident_details"),
                ("field_groups", "area_and_time"),
                ("purpose", "care_coordination"),
                ("legal_basis", "MOU section 4"),
                ("effective_on", from.as_str()),
                ("expires_on", to),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        let form = agreement("Crisis follow-up", &to);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = admin.post_form("/sharing/agreements", &pairs);
        assert_eq!(r.status, 200);
        let confirm = r.text();
        assert!(confirm.contains("Confirm your password") && confirm.contains("value=\"Crisis follow-up\"") && confirm.contains("value=\"incident_details,area_and_time\""), "{confirm}");
        let form_part = confirm.split("id=\"confirm-password\"").nth(1).expect("the confirmation form");
        let mut replay: Vec<(String, String)> = form_part
            .split("<input type=\"hidden\" name=\"")
            .skip(1)
            .filter_map(|r| {
                let (name, rest) = r.split_once('"')?;
                let value = rest.split("value=\"").nth(1)?.split('"').next()?;
                Some((name.to_string(), value.replace("&#x2C;", ",").replace("&#44;", ",")))
            })
            .collect();
        replay.push(("reauth_password".into(), "not it".into()));
        let pairs: Vec<(&str, &str)> = replay.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = admin.post_form("/sharing/agreements", &pairs);
        assert_eq!(r.status, 401, "{pairs:?} {}", r.text());
        assert!(r.text().contains("the password is wrong") && r.text().contains("value=\"Crisis follow-up\""), "the fields are still there");
        replay.pop();
        replay.push(("reauth_password".into(), PASSWORD.into()));
        let pairs: Vec<(&str, &str)> = replay.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = admin.post_form("/sharing/agreements", &pairs);
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("agreement #") && r.text().contains("(Crisis follow-up)"), "made after the password: {}", r.text());
        // Refused (it ends before it starts): the form comes back as it was typed.
        let bad = agreement("Backwards", &day(-30));
        let pairs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = admin.post_form("/sharing/agreements", &pairs);
        let page = r.text();
        assert!(r.status >= 400, "{page}");
        assert!(page.contains("value=\"Backwards\"") && page.contains("value=\"MOU section 4\""), "{page}");
        assert!(page.contains("value=\"area_and_time\" checked"), "the ticked groups stay ticked");
        // Changing the role ends the user's sessions.
        assert_eq!(h.get("/encounters").status, 200);
        assert!(run(db, &["user", "role", "lock", "viewer"]).status.success());
        assert_eq!(h.get("/encounters").status, 303, "the old session no longer works");
        let entries = json(&run(db, &["audit", "list", "--json", "--actor", "lock", "--limit", "100"]));
        assert!(entries.as_array().is_some_and(|v| v.iter().any(|e| e["detail"] == "account locked")), "{entries}");
        // An account unused for 90 days is disabled at its next sign-in.
        add_user(db, "idle", "viewer", PASSWORD);
        let at = (clock().now() - chrono::Duration::days(100)).to_rfc3339();
        let long_ago = if db.starts_with("postgres") {
            format!("UPDATE users SET created_at = '{at}'::timestamptz WHERE username = 'idle'")
        } else {
            format!("UPDATE users SET created_at = '{at}' WHERE username = 'idle'")
        };
        sql(db, &[&long_ago]).expect("age the account");
        let mut h = Http::new(&s.base);
        let r = h.sign_in_status("idle", PASSWORD);
        assert_eq!(r.status, 401);
        assert!(r.text().contains("90 days"), "{}", r.text());
        assert!(stdout(&run(db, &["user", "list"])).lines().any(|l| l.starts_with("idle ") && l.contains(" no ")), "disabled");
        assert!(run(db, &["user", "enable", "idle"]).status.success());
        assert_eq!(h.sign_in_status("idle", PASSWORD).status, 303, "enabling restarts the 90 days");
    }
}

/// The lock holds at the second factor: wrong codes in several sessions count for the account,
/// and once it is locked no session completes sign-in, even with the right code. Failed attempts
/// from one address are throttled whatever account they name.
#[test]
fn a_locked_account_completes_no_sign_in_at_any_factor() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        add_user(db, "nurse", "clinician", PASSWORD);
        let s = Server::start(db);
        // Enrol the second factor once.
        let mut first = Http::new(&s.base);
        assert_eq!(first.sign_in_status("nurse", PASSWORD).status, 303);
        // Six sessions with the right password, each waiting for its code.
        let mut waiting: Vec<Http> = (0..6)
            .map(|_| {
                let mut h = Http::new(&s.base);
                let form = h.get("/sign-in").text();
                let csrf = hidden(&form, "csrf");
                let r = h.post_form("/sign-in", &[("username", "nurse"), ("password", PASSWORD), ("csrf", &csrf), ("next", "/"), ("acknowledge", "yes")]);
                assert!(r.header("location").is_some_and(|l| l.starts_with("/sign-in/second-factor")), "{}", r.text());
                h
            })
            .collect();
        let last_csrf = {
            let last = waiting.last_mut().expect("a session");
            hidden(&last.get("/sign-in/second-factor").text(), "csrf")
        };
        for h in waiting.iter_mut().take(5) {
            let page = h.get("/sign-in/second-factor").text();
            let csrf = hidden(&page, "csrf");
            let r = h.post_form("/sign-in/second-factor", &[("csrf", &csrf), ("code", "000000"), ("next", "/")]);
            assert!(matches!(r.status, 401 | 303), "{}", r.status);
        }
        assert!(stdout(&run(db, &["user", "list"])).lines().any(|l| l.starts_with("nurse ") && l.contains("locked")), "locked after 5 codes");
        let last = waiting.last_mut().expect("a session");
        let key = (s.base.clone(), "nurse".to_string());
        let secret = totp_keys().lock().expect("keys").get(&key).map(|k| k.0.clone()).expect("enrolled");
        let code = pmhc_core::totp::code_at(&pmhc_core::totp::base32_decode(&secret).expect("base32"), next_totp_step(&key) * 30);
        let r = last.post_form("/sign-in/second-factor", &[("csrf", &last_csrf), ("code", &code), ("next", "/")]);
        assert_eq!(r.header("location"), Some("/sign-in"), "the right code does not complete a locked account's sign-in: {}", r.text());
        assert_eq!(last.get("/api/v1/me").status, 401);
        assert_eq!(first.get("/api/v1/me").status, 401, "the enrolled session ended with the lock");
        // An administrator unlocks it: sign-in works again.
        assert!(run(db, &["user", "unlock", "nurse"]).status.success());
        let mut again = Http::new(&s.base);
        assert_eq!(again.sign_in_status("nurse", PASSWORD).status, 303);
        assert_eq!(again.get("/api/v1/me").status, 200);

        // One address, many names: past 20 failures in 15 minutes the address waits.
        let mut guesser = Http::new(&s.base);
        let mut statuses = Vec::new();
        for i in 0..22 {
            statuses.push(guesser.sign_in_status(&format!("guess{i}"), "wrong password").status);
        }
        // The five wrong codes above came from this address too: 15 more are allowed.
        assert!(statuses[..15].iter().all(|s| *s == 401) && statuses[15..].iter().all(|s| *s == 429), "{statuses:?}");
        let entries = json(&run(db, &["audit", "list", "--json", "--limit", "50"]));
        assert!(entries.to_string().contains("too many failed sign-ins from this address"), "audited");
    }
}

/// `next` after sign-in is a path of this site, never another host.
#[test]
fn sign_in_redirects_stay_on_this_site() {
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    add_user(db, "reader", "viewer", PASSWORD);
    let s = Server::start(db);
    for (next, expected) in [("/%09/evil.example/phish", "/"), ("/%0a/x", "/"), ("//evil.example", "/"), ("/encounters?page=2", "/encounters?page=2")] {
        let mut h = Http::new(&s.base);
        let form = h.get(&format!("/sign-in?next={next}")).text();
        let csrf = hidden(&form, "csrf");
        let decoded = next.replace("%09", "\t").replace("%0a", "\n");
        let r = h.post_form("/sign-in", &[("username", "reader"), ("password", PASSWORD), ("csrf", &csrf), ("next", &decoded), ("acknowledge", "yes")]);
        assert_eq!(r.status, 303, "{next}: {}", r.text());
        assert_eq!(r.header("location"), Some(expected), "{next}");
    }
}

/// Two partners import with one shipped mapping: the second is told, on the command line and
/// in the API, that the mapping's source system is the first's, and imports under a name of its
/// own.
#[test]
fn two_partners_import_with_one_shipped_mapping() {
    let Some(file) = shared("toronto-persons-in-crisis/raw_data_first32000.csv") else { return };
    let dbs = Databases::new();
    for db in &dbs.urls {
        let text = std::fs::read_to_string(&file).expect("the Toronto file");
        let small: String = text.lines().take(41).map(|l| format!("{l}\n")).collect();
        let path = dbs.dir().join("toronto-40.csv");
        std::fs::write(&path, &small).expect("write");
        let p = path.to_str().expect("path");
        assert!(run(db, &["partner", "add", "Second Police", "--sector", "law_enforcement"]).status.success());
        let first = run(db, &["import", p, "--mapping", "toronto-pic"]);
        assert!(first.status.success(), "{}", stderr(&first));
        let second = run(db, &["import", p, "--mapping", "toronto-pic", "--partner", "Second Police"]);
        assert!(!second.status.success());
        assert!(stderr(&second).contains("--source-system"), "{}", stderr(&second));
        let own = run(db, &["import", p, "--mapping", "toronto-pic", "--partner", "Second Police", "--source-system", "second-pic"]);
        assert!(own.status.success(), "{}", stderr(&own));
        // The API: the reason, not "see the server log"; then a name of its own.
        add_user_of(db, "second-ds", "data_specialist", "Second Police", PASSWORD);
        let s = Server::start(db);
        let mut h = Http::new(&s.base);
        h.token = Some(add_token(db, "second-ds"));
        let r = h.post_multipart("/api/v1/imports", &[("mapping", "toronto-pic")], &[("file", "toronto-40.csv", small.as_bytes())]);
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.text().contains("belongs to partner") && r.text().contains("source system"), "{}", r.text());
        let r = h.post_multipart(
            "/api/v1/imports",
            &[("mapping", "toronto-pic"), ("source_system", "second-pic-web")],
            &[("file", "toronto-40.csv", small.as_bytes())],
        );
        assert_eq!(r.status, 202, "{}", r.text());
        let info = wait_for_import(&mut h, r.json()["id"].as_i64().expect("id"));
        assert_eq!(info["status"], "complete", "{info}");
        let list = h.get("/api/v1/encounters?limit=1&source=second-pic-web").json();
        assert_eq!(list["items"][0]["source_system"], "second-pic-web", "{list}");
    }
}

/// The first command shows the product: `pmhc demo --serve` makes the demo, a project coordinator
/// whose password it prints once, and serves; the coordinator signs in (enrolling a second factor)
/// and sees the dashboard and the public page of the demo's published periods.
#[test]
fn demo_serve_shows_the_product() {
    use std::io::BufRead;
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    let mut child = pmhc()
        .args(["--database", db, "demo", "-n", "2000", "--serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start pmhc demo --serve");
    let out = child.stdout.take().expect("stdout");
    let _guard = Kill(child);
    let mut lines = std::io::BufReader::new(out).lines();
    let (mut password, mut base) = (None, None);
    for line in lines.by_ref() {
        let line = line.expect("read the output");
        if let Some(rest) = line.split("with the password ").nth(1) {
            password = rest.split_whitespace().next().map(String::from);
        }
        if let Some(rest) = line.split("at http://").nth(1) {
            base = Some(format!("http://{}", rest.split('/').next().unwrap_or_default()));
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let (password, base) = (password.expect("the coordinator's password is printed"), base.expect("the address is printed"));
    let mut h = Http::new(&base);
    assert_eq!(h.get("/public").status, 200);
    h.sign_in("coordinator", &password);
    let r = h.get("/");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Outcome 1: Connection to resources"), "the dashboard of the demo");
}
