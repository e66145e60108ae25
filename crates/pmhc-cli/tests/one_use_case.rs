//! One use case, one audit entry: the same operation made through the CLI, a page and the API
//! leaves the same entries (action, object, outcome) — only the actor and the source differ — on
//! SQLite and (with `PMHC_TEST_POSTGRES`) PostgreSQL. Table-driven: each row is an operation and
//! the front ends that offer it (all three, or the two that do); each front end makes it once, and
//! the entries it left about the object it names are compared with the others'.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse 42";

/// The audit trail, newest first.
fn audit(db: &str) -> Vec<Value> {
    json(&run(db, &["audit", "list", "--json", "--limit", "400"])).as_array().cloned().unwrap_or_default()
}

/// The newest entry's number: what an operation adds comes after it.
fn mark(db: &str) -> u64 {
    audit(db).first().and_then(|e| e["id"].as_u64()).unwrap_or(0)
}

/// The entries written after `mark` about `object` (not views of it), oldest first.
fn entries_since(db: &str, mark: u64, object: &str) -> Vec<Value> {
    let mut found: Vec<Value> =
        audit(db).into_iter().filter(|e| e["id"].as_u64().is_some_and(|id| id > mark) && e["object"] == object && e["action"] != "view").collect();
    found.reverse();
    found
}

/// What is compared of an entry: its action and its outcome (the object is the row's).
fn shape(e: &Value) -> (String, String) {
    (e["action"].as_str().unwrap_or("").into(), e["outcome"].as_str().unwrap_or("").into())
}

fn consent_args<'a>(subject: &'a str, expires: &'a str, signed: &'a str) -> Vec<&'a str> {
    vec![
        "consent", "add", "--subject", subject, "--discloser", "Default partner", "--recipient", "County Clinic", "--information",
        "substance use noted at encounters", "--purpose", "care_coordination", "--expires", expires, "--right-to-revoke-explained",
        "--signed-by", "the person", "--signed-on", signed,
    ]
}

/// Succeeds, or says why not.
fn ok(db: &str, args: &[&str]) -> String {
    let o = run(db, args);
    assert!(o.status.success(), "pmhc {args:?}: {}", stderr(&o));
    stdout(&o)
}

/// The number after `#` in a CLI message (`Recorded consent #3: …`).
fn number_after_hash(text: &str) -> i64 {
    text.split('#').nth(1).and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next()).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no #id in {text}"))
}

/// Everything the rows act with: the database, a folder for files, the users' clients (pages and
/// API) and what earlier rows made for later ones.
struct World {
    db: String,
    dir: PathBuf,
    /// The default partner's project coordinator, data specialist and clinician.
    coord_page: Http,
    coord_api: Http,
    ds_page: Http,
    ds_api: Http,
    clin_page: Http,
    clin_api: Http,
    /// County Clinic's coordinator (proposes the agreements the default partner approves).
    clinic_api: Http,
    consents: Vec<i64>,
    proposed: Vec<i64>,
    /// Two services of the default partner (capacity is reported by its own users).
    services: Vec<i64>,
    encounters: Vec<(String, String)>,
    referrals: Vec<i64>,
}

impl World {
    fn definitions(&self, version: u32) -> String {
        let text = ok(&self.db, &["definitions", "show"]);
        text.lines().map(|l| if l.starts_with("name = ") { format!("name = \"Version {version}\"") } else { l.to_string() }).collect::<Vec<_>>().join("\n")
    }

    /// An agreement the default partner shares its incident details under, as the API takes it.
    fn agreement(&self, title: &str) -> Value {
        json!({
            "title": title, "discloser": 1, "recipient": 2, "direction": "one_way", "field_groups": ["incident_details"],
            "purpose": "care_coordination", "legal_basis": "45 CFR 164.506(c)", "effective_on": day(-10), "expires_on": day(300)
        })
    }

    /// Wait for an import running in the server to end.
    fn finished(&mut self, id: i64) {
        for _ in 0..240 {
            let r = self.ds_api.get(&format!("/api/v1/imports/{id}"));
            if r.status == 200 && r.json()["status"] != "running" {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        panic!("import {id} did not end");
    }
}

/// Make `what` through `front`; the object its entries name.
fn act(w: &mut World, what: &str, front: &str) -> String {
    let db = w.db.clone();
    let i = ["cli", "page", "api"].iter().position(|f| *f == front).expect("a front end");
    let (expires, signed) = (day(300), day(-1));
    match (what, front) {
        ("add a partner", "cli") => {
            ok(&db, &["partner", "add", "Clinic A", "--sector", "behavioral_health"]);
            "partner:Clinic A".into()
        }
        ("add a partner", "page") => {
            let csrf = w.coord_page.csrf();
            let r = w.coord_page.post_form("/sharing/partners", &[("csrf", &csrf), ("name", "Clinic B"), ("sector", "behavioral_health")]);
            assert!(r.status < 400, "{}", r.text());
            "partner:Clinic B".into()
        }
        ("add a partner", _) => {
            let r = w.coord_api.send_json("POST", "/api/v1/partners", &json!({"name": "Clinic C", "sector": "behavioral_health"}), &[]);
            assert_eq!(r.status, 201, "{}", r.text());
            "partner:Clinic C".into()
        }
        ("save the definitions", "cli") => {
            let f = w.dir.join("d2.toml");
            std::fs::write(&f, w.definitions(2)).expect("write");
            ok(&db, &["definitions", "set", f.to_str().expect("p"), "--note", "two"]);
            "definitions:2".into()
        }
        ("save the definitions", "page") => {
            let (csrf, body) = (w.coord_page.csrf(), w.definitions(3));
            let r = w.coord_page.post_form("/definitions", &[("csrf", &csrf), ("body", &body), ("note", "three")]);
            assert_eq!(r.status, 200, "{}", r.text());
            "definitions:3".into()
        }
        ("save the definitions", _) => {
            let def = toml_to_json(&w.definitions(4));
            let r = w.coord_api.send_json("PUT", "/api/v1/definitions", &json!({"definition": def, "note": "four"}), &[]);
            assert_eq!(r.status, 200, "{}", r.text());
            "definitions:4".into()
        }
        ("record a consent", "cli") => {
            ok(&db, &consent_args("S-ADD-CLI", &expires, &signed));
            "consent:S-ADD-CLI".into()
        }
        ("record a consent", "page") => {
            let csrf = w.clin_page.csrf();
            let form = [
                ("csrf", csrf.as_str()), ("subject_key", "S-ADD-PAGE"), ("discloser", "1"), ("recipient", "2"), ("information", "substance use noted"),
                ("purpose", "care_coordination"), ("expires_on", &expires), ("right_to_revoke_acknowledged", "yes"), ("signed_by", "the person"),
                ("signed_on", &signed),
            ];
            let r = w.clin_page.post_form("/consents", &form);
            assert!(r.status < 400 && r.text().contains("Recorded consent"), "{}", r.text());
            "consent:S-ADD-PAGE".into()
        }
        ("record a consent", _) => {
            let body = json!({
                "subject_key": "S-ADD-API", "discloser": 1, "recipient": 2, "information": "substance use noted", "purpose": "care_coordination",
                "expires_on": expires, "right_to_revoke_acknowledged": true, "signed_by": "the person", "signed_on": signed
            });
            let r = w.clin_api.send_json("POST", "/api/v1/consents", &body, &[]);
            assert_eq!(r.status, 201, "{}", r.text());
            "consent:S-ADD-API".into()
        }
        ("revoke a consent", "cli") => {
            ok(&db, &["consent", "revoke", &w.consents[0].to_string()]);
            format!("consent:{}", w.consents[0])
        }
        ("revoke a consent", "page") => {
            let csrf = w.clin_page.csrf();
            let r = w.clin_page.post_form(&format!("/consents/{}/revoke", w.consents[1]), &[("csrf", &csrf)]);
            assert!(r.status < 400, "{}", r.text());
            format!("consent:{}", w.consents[1])
        }
        ("revoke a consent", _) => {
            let r = w.clin_api.send_json("POST", &format!("/api/v1/consents/{}/revoke", w.consents[2]), &json!({}), &[]);
            assert_eq!(r.status, 200, "{}", r.text());
            format!("consent:{}", w.consents[2])
        }
        ("add an agreement", "cli") => {
            ok(&db, &[
                "agreement", "add", "--title", "Agreement CLI", "--discloser", "Default partner", "--recipient", "County Clinic", "--groups",
                "incident_details", "--purpose", "care_coordination", "--legal-basis", "45 CFR 164.506(c)", "--effective", &day(-10), "--expires", &day(300),
            ]);
            "agreement:Agreement CLI".into()
        }
        ("add an agreement", "page") => {
            let csrf = w.coord_page.csrf();
            let (effective, expires) = (day(-10), day(300));
            let form = [
                ("csrf", csrf.as_str()), ("title", "Agreement page"), ("discloser", "1"), ("recipient", "2"), ("direction", "one_way"),
                ("field_groups", "incident_details"), ("purpose", "care_coordination"), ("legal_basis", "45 CFR 164.506(c)"),
                ("effective_on", &effective), ("expires_on", &expires),
            ];
            let r = w.coord_page.post_form("/sharing/agreements", &form);
            assert!(r.status < 400 && r.text().contains("agreement #"), "{}", r.text());
            "agreement:Agreement page".into()
        }
        ("add an agreement", _) => {
            let body = w.agreement("Agreement API");
            let r = w.coord_api.send_json("POST", "/api/v1/agreements", &body, &[]);
            assert_eq!(r.status, 201, "{}", r.text());
            "agreement:Agreement API".into()
        }
        ("approve an agreement" | "end an agreement", _) => {
            let id = w.proposed[i];
            let verb = if what.starts_with("approve") { "approve" } else { "end" };
            match front {
                "cli" if verb == "approve" => ok(&db, &["agreement", "approve", &id.to_string(), "--partner", "Default partner"]),
                "cli" => ok(&db, &["agreement", "end", &id.to_string()]),
                "page" => {
                    let csrf = w.coord_page.csrf();
                    let r = w.coord_page.post_form(&format!("/sharing/agreements/{id}/{verb}"), &[("csrf", &csrf)]);
                    assert!(r.status < 400, "{}", r.text());
                    String::new()
                }
                _ => {
                    let r = w.coord_api.send_json("POST", &format!("/api/v1/agreements/{id}/{verb}"), &json!({}), &[]);
                    assert!([200, 204].contains(&r.status), "{}", r.text());
                    String::new()
                }
            };
            format!("agreement:{id}")
        }
        ("save an encounter", "page") => {
            let form = w.clin_page.get("/encounters/new").text();
            let (csrf, draft) = (hidden(&form, "csrf"), hidden(&form, "draft_id"));
            let occurred = day(-3);
            let r = w.clin_page.post_form("/encounters/new", &[("csrf", &csrf), ("draft_id", &draft), ("occurred_on", &occurred), ("precinct", "North")]);
            assert_eq!(r.status, 303, "{}", r.text());
            let at = r.header("location").expect("the record's address").trim_start_matches("/encounters/").split('?').next().expect("path").to_string();
            let (system, key) = at.split_once('/').expect("system/key");
            w.encounters.push((system.to_string(), key.to_string()));
            format!("encounter:{at}")
        }
        ("save an encounter", _) => {
            let body = json!({"source_system": "cad-one", "source_key": "E-API", "occurred_on": day(-2), "disposition": "referral"});
            let r = w.clin_api.send_json("POST", "/api/v1/encounters", &body, &[]);
            assert_eq!(r.status, 201, "{}", r.text());
            w.encounters.push(("cad-one".into(), "E-API".into()));
            "encounter:cad-one/E-API".into()
        }
        ("make a referral", _) => {
            // Each front end refers another encounter of the partner, to its first service.
            let (system, key) = w.encounters[i - 1].clone();
            let service = w.services[0];
            if front == "page" {
                let csrf = w.clin_page.csrf();
                let r = w.clin_page.post_form("/referrals", &[("csrf", &csrf), ("source_system", &system), ("source_key", &key), ("service_id", &service.to_string())]);
                assert!(r.status < 400, "{}", r.text());
            } else {
                let r = w.clin_api.send_json("POST", "/api/v1/referrals", &json!({"source_system": system, "source_key": key, "service_id": service}), &[]);
                assert_eq!(r.status, 201, "{}", r.text());
            }
            let listed = w.clin_api.get("/api/v1/referrals").json();
            let id = listed.as_array().and_then(|l| l.iter().find(|r| r["source_key"] == key.as_str())).and_then(|r| r["id"].as_i64()).expect("the referral");
            w.referrals.push(id);
            format!("referral:{system}/{key}")
        }
        ("move a referral", _) => {
            let id = w.referrals[i - 1];
            if front == "page" {
                let csrf = w.clin_page.csrf();
                let r = w.clin_page.post_form(&format!("/referrals/{id}/move"), &[("csrf", &csrf), ("to", "cancelled")]);
                assert!(r.status < 400, "{}", r.text());
            } else {
                let r = w.clin_api.send_json("POST", &format!("/api/v1/referrals/{id}/move"), &json!({"to": "cancelled"}), &[]);
                assert_eq!(r.status, 200, "{}", r.text());
            }
            format!("referral:{id}")
        }
        ("record capacity", "cli") => {
            ok(&db, &["services", "capacity", &w.services[0].to_string(), "--available", "2", "--total", "10"]);
            format!("service:{}", w.services[0])
        }
        ("record capacity", _) => {
            let r = w.clin_api.send_json("POST", &format!("/api/v1/services/{}/capacity", w.services[1]), &json!({"available": 3, "total": 12}), &[]);
            assert_eq!(r.status, 201, "{}", r.text());
            format!("service:{}", w.services[1])
        }
        ("import a file", _) => {
            let file = w.dir.join("encounters.csv");
            let bytes = std::fs::read(&file).expect("the file");
            let id = match front {
                "cli" => json(&run(&db, &["import", file.to_str().expect("p"), "--mapping", "pmhc", "--json"]))["import_id"].as_i64().expect("import_id"),
                "page" => {
                    let csrf = w.ds_page.csrf();
                    let r = w.ds_page.post_multipart("/imports", &[("csrf", &csrf), ("mapping", "pmhc")], &[("file", "encounters.csv", &bytes)]);
                    assert_eq!(r.status, 303, "{}", r.text());
                    let at = r.header("location").expect("the import's page").to_string();
                    at.trim_start_matches("/imports/").parse().expect("the import's id")
                }
                _ => {
                    let r = w.ds_api.post_multipart("/api/v1/imports", &[("mapping", "pmhc")], &[("file", "encounters.csv", &bytes)]);
                    assert_eq!(r.status, 202, "{}", r.text());
                    r.json()["id"].as_i64().expect("id")
                }
            };
            if front != "cli" {
                w.finished(id);
            }
            format!("import:{id}")
        }
        ("import training records", "cli") => {
            let file = w.dir.join("courses-cli.csv");
            std::fs::write(&file, "name,kind,hours,refresher_months\nCIT basic,basic_cit,40,24\n").expect("write");
            ok(&db, &["training", "import-courses", file.to_str().expect("p")]);
            format!("training-courses:{}", file.display())
        }
        ("import training records", _) => {
            let csrf = w.coord_page.csrf();
            let body = b"name,kind,hours,refresher_months\nCIT refresher,refresher,8,\n";
            let r = w.coord_page.post_multipart("/training/import", &[("csrf", &csrf), ("kind", "courses")], &[("file", "courses-page.csv", body)]);
            assert!(r.status < 400, "{}", r.text());
            "training-courses:courses-page.csv".into()
        }
        other => panic!("no such row and front end: {other:?}"),
    }
}

#[test]
fn the_cli_the_page_and_the_api_leave_the_same_entry_for_each_use_case() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        ok(db, &["init"]);
        ok(db, &["partner", "add", "County Clinic", "--sector", "behavioral_health"]);
        for (user, role, partner) in
            [("coord", "project_coordinator", "1"), ("ds", "data_specialist", "1"), ("clin", "clinician", "1"), ("clinic-coord", "project_coordinator", "2")]
        {
            add_user_of(db, user, role, partner, PASSWORD);
        }
        let dir = dbs.dir().to_path_buf();
        // The default partner's services, and a file of encounters to import.
        let inventory = dir.join("inventory.csv");
        std::fs::write(&inventory, "provider,name,kind,intercept,hours,capacity\n1,Test Centre A,crisis_centre,1,24/7,10\n1,Test Centre B,detox,1,24/7,12\n").expect("write");
        ok(db, &["services", "import", inventory.to_str().expect("p")]);
        let listed = ok(db, &["services", "list"]);
        let services = ["Test Centre A", "Test Centre B"]
            .map(|name| listed.lines().find(|l| l.contains(name)).and_then(|l| l.split_whitespace().next()).and_then(|n| n.parse().ok()).expect(name));
        ok(db, &["demo", "--encounters", "30", "--seed", "7", "--csv", dir.join("encounters.csv").to_str().expect("p")]);

        let s = Server::start(db);
        let page = |user: &str| {
            let mut h = Http::new(&s.base);
            h.sign_in(user, PASSWORD);
            h
        };
        let api = |user: &str| {
            let mut h = Http::new(&s.base);
            h.token = Some(add_token(db, user));
            h
        };
        let mut w = World {
            db: db.clone(),
            dir: dir.clone(),
            coord_page: page("coord"),
            coord_api: api("coord"),
            ds_page: page("ds"),
            ds_api: api("ds"),
            clin_page: page("clin"),
            clin_api: api("clin"),
            clinic_api: api("clinic-coord"),
            consents: Vec::new(),
            proposed: Vec::new(),
            services: services.to_vec(),
            encounters: Vec::new(),
            referrals: Vec::new(),
        };
        // Three consents to revoke, and three agreements County Clinic proposes that wait for the
        // default partner's approval: one of each per front end.
        let (expires, signed) = (day(300), day(-1));
        for subject in ["S-CLI", "S-PAGE", "S-API"] {
            let id = number_after_hash(&ok(db, &consent_args(subject, &expires, &signed)));
            w.consents.push(id);
        }
        for title in ["Proposed 1", "Proposed 2", "Proposed 3"] {
            let body = w.agreement(title);
            let r = w.clinic_api.send_json("POST", "/api/v1/agreements", &body, &[]);
            assert_eq!(r.status, 201, "{}", r.text());
            w.proposed.push(r.json()["id"].as_i64().expect("id"));
        }

        let all = ["cli", "page", "api"].as_slice();
        let rows: [(&str, &[&str], usize); 13] = [
            ("add a partner", all, 1),
            ("save the definitions", all, 1),
            ("record a consent", all, 1),
            ("revoke a consent", all, 1),
            ("add an agreement", all, 1),
            ("approve an agreement", all, 1),
            ("end an agreement", all, 1),
            ("save an encounter", &["page", "api"], 1),
            ("make a referral", &["page", "api"], 1),
            ("move a referral", &["page", "api"], 1),
            ("record capacity", &["cli", "api"], 1),
            // Started, then finished.
            ("import a file", all, 2),
            ("import training records", &["cli", "page"], 1),
        ];
        for (what, fronts, count) in rows {
            let mut shapes = Vec::new();
            for front in fronts {
                let before = mark(db);
                let object = act(&mut w, what, front);
                let entries = entries_since(db, before, &object);
                assert_eq!(entries.len(), count, "{what} ({front}): the entries about {object}: {entries:?}");
                if what == "import a file" {
                    let details: Vec<&str> = entries.iter().map(|e| e["detail"].as_str().unwrap_or("")).collect();
                    assert!(details[0].starts_with("started") && details[1].starts_with("finished"), "{what} ({front}): {details:?}");
                }
                shapes.push(entries.iter().map(shape).collect::<Vec<_>>());
            }
            assert!(shapes.windows(2).all(|s| s[0] == s[1]), "{what}: the front ends left different entries: {fronts:?} {shapes:?}");
        }
        drop(s);
    }
}

/// The definitions TOML as the JSON the API takes.
fn toml_to_json(text: &str) -> Value {
    let v: toml::Value = toml::from_str(text).expect("TOML");
    serde_json::to_value(v).expect("JSON")
}
