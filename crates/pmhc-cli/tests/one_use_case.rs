//! One use case, one audit entry: the same operation made through the CLI, a page and the API
//! leaves the same entry (action, object, outcome) — only the actor and the source differ — on
//! SQLite and (with `PMHC_TEST_POSTGRES`) PostgreSQL. Table-driven: each row is an operation and
//! how each front end asks for it.

mod common;

use common::*;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse 42";

/// The newest audit entry whose object starts with `prefix` (actor, action, object, outcome).
fn newest(db: &str, prefix: &str) -> Value {
    let all = json(&run(db, &["audit", "list", "--json", "--limit", "400"]));
    all.as_array()
        .and_then(|v| v.iter().find(|e| e["object"].as_str().is_some_and(|o| o.starts_with(prefix)) && e["action"] != "view").cloned())
        .unwrap_or_else(|| panic!("no entry for {prefix}"))
}

fn shape(e: &Value) -> (String, String, String) {
    (e["action"].as_str().unwrap_or("").into(), e["object"].as_str().unwrap_or("").into(), e["outcome"].as_str().unwrap_or("").into())
}

fn consent_args<'a>(subject: &'a str, expires: &'a str, signed: &'a str) -> Vec<&'a str> {
    vec![
        "consent", "add", "--subject", subject, "--discloser", "Default partner", "--recipient", "County Clinic", "--information",
        "substance use noted at encounters", "--purpose", "care_coordination", "--expires", expires, "--right-to-revoke-explained",
        "--signed-by", "the person", "--signed-on", signed,
    ]
}

#[test]
fn the_cli_the_page_and_the_api_leave_the_same_entry_for_each_use_case() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        assert!(run(db, &["init"]).status.success());
        assert!(run(db, &["partner", "add", "County Clinic", "--sector", "behavioral_health"]).status.success());
        add_user(db, "coord", "project_coordinator", PASSWORD);
        add_user(db, "clin", "clinician", PASSWORD);
        let s = Server::start(db);
        let mut coord_page = Http::new(&s.base);
        coord_page.sign_in("coord", PASSWORD);
        let mut coord_api = Http::new(&s.base);
        coord_api.token = Some(add_token(db, "coord"));
        let mut clin_page = Http::new(&s.base);
        clin_page.sign_in("clin", PASSWORD);
        let mut clin_api = Http::new(&s.base);
        clin_api.token = Some(add_token(db, "clin"));
        let (expires, signed) = (day(300), day(-1));

        // Three consents to revoke, one per front end.
        let mut consent_ids = Vec::new();
        for subject in ["S-CLI", "S-PAGE", "S-API"] {
            let o = run(db, &consent_args(subject, &expires, &signed));
            assert!(o.status.success(), "{}", stderr(&o));
            let id: i64 = stdout(&o).split('#').nth(1).and_then(|r| r.split(':').next()).and_then(|n| n.trim().parse().ok()).expect("the consent's id");
            consent_ids.push(id);
        }
        let definitions = |version: u32| -> String {
            let text = stdout(&run(db, &["definitions", "show"]));
            text.lines().map(|l| if l.starts_with("name = ") { format!("name = \"Version {version}\"") } else { l.to_string() }).collect::<Vec<_>>().join("\n")
        };

        // Each row: an operation, and for each front end the object its entry must name.
        let dir = dbs.dir().to_path_buf();
        let rows: [(&str, [String; 3]); 3] = [
            ("add a partner", ["partner:Clinic A".into(), "partner:Clinic B".into(), "partner:Clinic C".into()]),
            ("save the definitions", ["definitions:2".into(), "definitions:3".into(), "definitions:4".into()]),
            ("revoke a consent", consent_ids.iter().map(|id| format!("consent:{id}")).collect::<Vec<_>>().try_into().expect("three")),
        ];
        for (what, objects) in rows {
            let mut shapes = Vec::new();
            for (front, object) in ["cli", "page", "api"].into_iter().zip(objects) {
                match (what, front) {
                    ("add a partner", "cli") => assert!(run(db, &["partner", "add", "Clinic A", "--sector", "behavioral_health"]).status.success()),
                    ("add a partner", "page") => {
                        let csrf = coord_page.csrf();
                        let r = coord_page.post_form("/sharing/partners", &[("csrf", &csrf), ("name", "Clinic B"), ("sector", "behavioral_health")]);
                        assert!(r.status < 400, "{}", r.text());
                    }
                    ("add a partner", _) => {
                        let r = coord_api.send_json("POST", "/api/v1/partners", &json!({"name": "Clinic C", "sector": "behavioral_health"}), &[]);
                        assert_eq!(r.status, 201, "{}", r.text());
                    }
                    ("save the definitions", "cli") => {
                        let f = dir.join("d2.toml");
                        std::fs::write(&f, definitions(2)).expect("write");
                        let o = run(db, &["definitions", "set", f.to_str().expect("p"), "--note", "two"]);
                        assert!(o.status.success(), "{}", stderr(&o));
                    }
                    ("save the definitions", "page") => {
                        let csrf = coord_page.csrf();
                        let r = coord_page.post_form("/definitions", &[("csrf", &csrf), ("body", &definitions(3)), ("note", "three")]);
                        assert_eq!(r.status, 200, "{}", r.text());
                    }
                    ("save the definitions", _) => {
                        let def = toml_to_json(&definitions(4));
                        let r = coord_api.send_json("PUT", "/api/v1/definitions", &json!({"definition": def, "note": "four"}), &[]);
                        assert_eq!(r.status, 200, "{}", r.text());
                    }
                    (_, "cli") => assert!(run(db, &["consent", "revoke", &consent_ids[0].to_string()]).status.success()),
                    (_, "page") => {
                        let csrf = clin_page.csrf();
                        let r = clin_page.post_form(&format!("/consents/{}/revoke", consent_ids[1]), &[("csrf", &csrf)]);
                        assert!(r.status < 400, "{}", r.text());
                    }
                    (_, _) => {
                        let r = clin_api.send_json("POST", &format!("/api/v1/consents/{}/revoke", consent_ids[2]), &json!({}), &[]);
                        assert_eq!(r.status, 200, "{}", r.text());
                    }
                }
                let e = newest(db, &object);
                assert_eq!(e["object"], object.as_str(), "{what} ({front}): {e}");
                let (action, _, outcome) = shape(&e);
                shapes.push((action, outcome));
            }
            assert!(shapes.windows(2).all(|w| w[0] == w[1]), "{what}: the CLI, the page and the API left different entries: {shapes:?}");
        }
        drop(s);
    }
}

/// The definitions TOML as the JSON the API takes.
fn toml_to_json(text: &str) -> Value {
    let v: toml::Value = toml::from_str(text).expect("TOML");
    serde_json::to_value(v).expect("JSON")
}
