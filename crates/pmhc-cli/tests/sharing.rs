//! The access matrix: every record route (pages, API, CSV export, search, reports) × every role ×
//! agreement state (none, active, expired, one-way the other way) × field group, on the real
//! binary and server, on SQLite and (with `PMHC_TEST_POSTGRES`) PostgreSQL. Each denied field
//! must be absent from HTML, JSON, CSV and reports, and a record of another partner without an
//! agreement must be refused by id. Then the consent rules of 42 CFR Part 2: a consent lacking an
//! element is refused; an expired, revoked or wrong-recipient consent blocks substance-use
//! details; a disclosure under consent carries the notice and enters the accounting.
//!
//! The oracle (which JSON keys, page labels and CSV columns belong to each field group) is
//! written out here by hand, independent of `pmhc_core::sharing`.

mod common;

use common::*;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse 42";
/// The roles of the clinic's users; all but the workgroup member may read records.
const ROLES: [&str; 6] = ["administrator", "project_coordinator", "data_specialist", "officer", "clinician", "workgroup_member"];

struct Group {
    name: &'static str,
    /// JSON keys of the record.
    keys: &'static [&'static str],
    /// Labels on the record page.
    labels: &'static [&'static str],
    /// Columns of the CSV export.
    columns: &'static [&'static str],
    /// Values of the test record that only this group discloses (found nowhere else).
    secrets: &'static [&'static str],
}

const GROUPS: &[Group] = &[
    Group {
        name: "incident_details",
        keys: &["call_number", "initial_call_type", "disposition", "arrested", "use_of_force", "officers", "referrals"],
        labels: &["Call number", "Initial call type", "Arrested", "Use of force"],
        columns: &["call_number", "initial_call_type", "arrested"],
        secrets: &["CALL-SECRET-1", "CALLTYPE-SECRET"],
    },
    Group {
        name: "area_and_time",
        keys: &["area", "occurred_time"],
        labels: &["Precinct", "Beat"],
        columns: &["precinct", "beat"],
        secrets: &["PRECINCT-SECRET", "BEAT-SECRET"],
    },
    Group {
        name: "subject_identity",
        keys: &["subject_key"],
        labels: &["Person key (pseudonymous)"],
        columns: &["subject_key"],
        secrets: &["SUBJ-SECRET-1"],
    },
    Group {
        name: "demographics",
        keys: &["age_band", "gender", "race_ethnicity", "veteran", "housing_status"],
        labels: &["Race / ethnicity", "Veteran"],
        columns: &["veteran"],
        secrets: &[],
    },
    Group {
        name: "mental_health_details",
        keys: &["mental_health_flag", "behaviours", "mh_recognised_at_dispatch", "involuntary_hold"],
        labels: &["Mental-health flag", "Observed behaviours"],
        columns: &["mental_health_flag", "involuntary_hold"],
        secrets: &["BEHAVIOUR-SECRET"],
    },
    Group {
        name: "substance_use_details",
        keys: &["substance_use"],
        labels: &["Substance use"],
        columns: &["substance_use"],
        secrets: &[],
    },
];

const ALL_GROUPS: &str =
    "incident_details,area_and_time,subject_identity,demographics,mental_health_details,substance_use_details";

fn police_record(key: &str) -> Value {
    json!({
        "source_system": "cad-police", "source_key": key, "occurred_on": day(-100), "occurred_time": "13:37:00",
        "call_number": "CALL-SECRET-1", "initial_call_type": "CALLTYPE-SECRET", "disposition": "arrest", "arrested": true,
        "area": {"precinct": "PRECINCT-SECRET", "beat": "BEAT-SECRET"},
        "mental_health_flag": true, "involuntary_hold": true, "behaviours": ["BEHAVIOUR-SECRET"],
        "subject_key": "SUBJ-SECRET-1", "substance_use": true, "veteran": true, "race_ethnicity": "white",
    })
}

fn cli(db: &str, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(out.status.success(), "pmhc {args:?}: {}", stderr(&out));
    stdout(&out)
}

/// One clinic user, signed in on the pages and holding an API token.
struct Client {
    role: &'static str,
    page: Http,
    api: Http,
}

struct World {
    server: Server,
    clinic: Vec<Client>,
}

fn setup(db: &str) -> World {
    cli(db, &["init"]);
    cli(db, &["partner", "set", "1", "--name", "City Police", "--sector", "law_enforcement"]);
    cli(db, &["partner", "add", "County Clinic", "--sector", "behavioral_health"]);
    add_user_of(db, "police-ds", "data_specialist", "City Police", PASSWORD);
    for r in ROLES {
        add_user_of(db, &format!("clinic-{r}"), r, "County Clinic", PASSWORD);
    }
    let server = Server::start(db);
    let mut police_api = Http::new(&server.base);
    police_api.token = Some(add_token(db, "police-ds"));
    let r = police_api.send_json("POST", "/api/v1/encounters", &police_record("P-1"), &[]);
    assert_eq!(r.status, 201, "{}", r.text());
    let clinic = ROLES
        .iter()
        .map(|role| {
            let name = format!("clinic-{role}");
            let mut page = Http::new(&server.base);
            page.sign_in(&name, PASSWORD);
            let mut api = Http::new(&server.base);
            api.token = Some(add_token(db, &name));
            Client { role, page, api }
        })
        .collect::<Vec<_>>();
    // The clinic's own record: every clinic user who reads records sees it in full.
    let own = json!({"source_system": "clinic-ehr", "source_key": "C-1", "occurred_on": day(-99), "call_number": "CLINIC-OWN-1",
                     "subject_key": "SUBJ-CLINIC-1", "substance_use": true});
    let mut w = World { server, clinic };
    let ds = w.clinic.iter_mut().find(|c| c.role == "data_specialist").expect("clinic data specialist");
    let r = ds.api.send_json("POST", "/api/v1/encounters", &own, &[]);
    assert_eq!(r.status, 201, "{}", r.text());
    w
}

/// End every agreement, then record the given ones (discloser, recipient, groups, from, to).
fn agreements(db: &str, list: &[(&str, &str, &str, &str, &str)]) {
    let listing = cli(db, &["agreement", "list"]);
    for line in listing.lines().filter(|l| l.starts_with('#') && (l.contains("[in force]") || l.contains("[not yet in force]"))) {
        let id = line[1..].split_whitespace().next().expect("agreement id");
        cli(db, &["agreement", "end", id]);
    }
    for (i, (from, to, groups, effective, expires)) in list.iter().enumerate() {
        cli(db, &[
            "agreement", "add", "--title", &format!("test agreement {i}"), "--discloser", from, "--recipient", to, "--groups", groups,
            "--purpose", "care_coordination", "--legal-basis", "45 CFR 164.506(c)", "--effective", effective, "--expires", expires,
        ]);
    }
}


/// What one clinic user sees of the police record P-1, checked on every route: `visible` is the
/// set of field groups that should show (`None`: the record must not show at all).
fn check(w: &mut World, state: &str, visible: Option<&[&str]>) {
    let reads = |role: &str| role != "workgroup_member";
    for c in &mut w.clinic {
        let ctx = format!("[{state}] {}", c.role);
        // The record by id: JSON and page.
        let api = c.api.get("/api/v1/encounters/cad-police/P-1");
        let page = c.page.get("/encounters/cad-police/P-1");
        let list_api = c.api.get("/api/v1/encounters?limit=100");
        let list_page = c.page.get("/encounters");
        let export = c.page.get("/encounters.csv");
        let search = c.api.get("/api/v1/encounters?precinct=PRECINCT-SECRET");
        let search_subject_page = c.page.get("/encounters?precinct=PRECINCT-SECRET");
        if !reads(c.role) {
            for (what, r) in [("api", &api), ("page", &page), ("list api", &list_api), ("list page", &list_page), ("csv", &export), ("search", &search)] {
                assert_eq!(r.status, 403, "{ctx} {what}: {}", r.text());
            }
        }
        // (The search page echoes the precinct typed into its filter: that is not a disclosure.)
        let everything = [&api, &page, &list_api, &list_page, &export, &search].map(|r| r.text()).join("\n");
        match visible {
            _ if !reads(c.role) => {
                for g in GROUPS {
                    for s in g.secrets {
                        assert!(!everything.contains(s), "{ctx}: {s} leaked");
                    }
                }
            }
            None => {
                assert_eq!(api.status, 404, "{ctx}: another partner's record by id must be refused: {}", api.text());
                assert_eq!(page.status, 404, "{ctx}: {}", page.text());
                let lists = [&list_api, &list_page, &export, &search, &search_subject_page].map(|r| r.text()).join("\n");
                assert!(!lists.contains("P-1"), "{ctx}: the record shows in a list, search or export");
                for g in GROUPS {
                    for s in g.secrets {
                        assert!(!everything.contains(s), "{ctx}: {s} leaked");
                    }
                }
                // The clinic's own record shows in full.
                assert!(list_api.text().contains("CLINIC-OWN-1"), "{ctx}: own record missing");
            }
            Some(groups) => {
                assert_eq!(api.status, 200, "{ctx}: {}", api.text());
                assert_eq!(page.status, 200, "{ctx}: {}", page.text());
                let rec = api.json();
                let listed = list_api.json()["items"].as_array().expect("items").iter().find(|i| i["source_key"] == "P-1").cloned();
                let listed = listed.unwrap_or_else(|| panic!("{ctx}: P-1 missing from the list"));
                let rows = csv_rows(&export.text());
                let row = rows.iter().find(|r| r["source_key"] == "P-1").unwrap_or_else(|| panic!("{ctx}: P-1 missing from the CSV"));
                let html = page.text();
                assert!(list_page.text().contains("P-1"), "{ctx}: P-1 missing from the list page");
                for g in GROUPS {
                    let shown = groups.contains(&g.name);
                    for k in g.keys {
                        assert_eq!(rec.get(*k).is_some(), shown, "{ctx}: JSON key {k} of {}", g.name);
                        assert_eq!(listed.get(*k).is_some(), shown, "{ctx}: listed JSON key {k} of {}", g.name);
                    }
                    for l in g.labels {
                        assert_eq!(html.contains(&format!("<dt>{l}</dt>")), shown, "{ctx}: page label {l} of {}", g.name);
                    }
                    for col in g.columns {
                        assert_eq!(!row[*col].is_empty(), shown, "{ctx}: CSV column {col} of {}: {:?}", g.name, row[*col]);
                    }
                    for s in g.secrets {
                        if shown {
                            assert!(rec.to_string().contains(s), "{ctx}: {s} should show");
                        } else {
                            assert!(!everything.contains(s), "{ctx}: {s} of {} leaked", g.name);
                        }
                    }
                }
                // A search on a withheld field does not find the record.
                let found = search.json()["total"].as_u64().expect("total");
                assert_eq!(found, u64::from(groups.contains(&"area_and_time")), "{ctx}: search by precinct");
                assert_eq!(
                    rec["withheld_field_groups"].as_array().map(Vec::len),
                    Some(GROUPS.len() - groups.len()),
                    "{ctx}: withheld_field_groups"
                );
            }
        }
        // Nobody of the clinic changes the police's record, whatever is shared.
        let r = c.api.send_json("PUT", "/api/v1/encounters/cad-police/P-1", &police_record("P-1"), &[]);
        assert!(matches!(r.status, 403 | 404), "{ctx}: PUT another partner's record: {} {}", r.status, r.text());
        let r = c.api.send_json("POST", "/api/v1/encounters", &police_record("P-2"), &[]);
        assert_eq!(r.status, 403, "{ctx}: POST into another partner's source system: {}", r.text());
        // Reports: the police record counts only when shared, its precinct shows only when the
        // area is shared; the public report counts every partner's records.
        // The records are from 100 days ago (the tests' clock): in the comparison period.
        let report = c.api.get(&format!("/api/v1/outcomes?baseline={}..{}&comparison={}..{}&by=precinct", day(-400), day(-300), day(-200), day(0)));
        assert_eq!(report.status, 200, "{ctx}: {}", report.text());
        let text = report.text();
        // (Breakdowns are over mental-health encounters: without that group the record is not one.)
        let area = visible.is_some_and(|g| g.contains(&"area_and_time") && g.contains(&"mental_health_details"));
        assert_eq!(text.contains("PRECINCT-SECRET"), area, "{ctx}: the report's precinct breakdown");
        let enc = encounters_in_comparison(&report.json());
        let expected = u64::from(visible.is_some_and(|g| g.contains(&"mental_health_details")));
        assert_eq!(enc, expected, "{ctx}: mental-health encounters in the report");
        // The clinic's own encounter, and the police's when it is shared at all.
        assert_eq!(all_in_comparison(&report.json()), 1 + u64::from(visible.is_some()), "{ctx}: all encounters in the report");
    }
}

/// The mental-health encounters of the comparison period in a report.
fn encounters_in_comparison(report: &Value) -> u64 {
    let p = &report["periods"]["comparison"];
    p["encounters"].as_u64().unwrap_or_else(|| panic!("no encounter count in {p}"))
}

/// All encounters (mental-health or not) of the comparison period in a report.
fn all_in_comparison(report: &Value) -> u64 {
    let p = &report["periods"]["comparison"];
    p["all_encounters"].as_u64().unwrap_or_else(|| panic!("no encounter count in {p}"))
}

#[test]
fn the_access_matrix_on_every_backend() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        let mut w = setup(db);
        let today = common::today();
        let (from, to) = ((today - chrono::Days::new(30)).to_string(), (today + chrono::Days::new(365)).to_string());
        // No agreement.
        agreements(db, &[]);
        check(&mut w, "none", None);
        // Expired.
        agreements(db, &[("City Police", "County Clinic", ALL_GROUPS, "2020-01-01", "2020-12-31")]);
        check(&mut w, "expired", None);
        // One way, the other way: the clinic shares with the police, not the reverse.
        agreements(db, &[("County Clinic", "City Police", ALL_GROUPS, &from, &to)]);
        check(&mut w, "one-way (clinic to police)", None);
        // Active, every group but one (substance use is never shown without consent).
        for g in GROUPS {
            let groups: Vec<&str> = GROUPS.iter().map(|x| x.name).filter(|n| *n != g.name).collect();
            agreements(db, &[("City Police", "County Clinic", &groups.join(","), &from, &to)]);
            let visible: Vec<&str> = groups.iter().copied().filter(|n| *n != "substance_use_details").collect();
            check(&mut w, &format!("active without {}", g.name), Some(&visible));
        }
        consent_rules(&mut w, db, &from, &to);
        eprintln!("access matrix passed on {}", db.split(':').next().unwrap_or(""));
    }
}

fn consent_rules(w: &mut World, db: &str, from: &str, to: &str) {
    agreements(db, &[("City Police", "County Clinic", ALL_GROUPS, from, to)]);
    let without_su: Vec<&str> = GROUPS.iter().map(|g| g.name).filter(|n| *n != "substance_use_details").collect();
    check(w, "active, all groups, no consent", Some(&without_su));
    let signed_on = day(-60);
    let consent = |recipient: &str, expires: &str| -> String {
        let args = [
            "consent", "add", "--subject", "SUBJ-SECRET-1", "--discloser", "City Police", "--recipient", recipient,
            "--information", "substance use noted at encounters", "--purpose", "care_coordination", "--expires", expires,
            "--right-to-revoke-explained", "--signed-by", "the person", "--signed-on", &signed_on,
        ];
        cli(db, &args)
    };
    // Missing elements are refused, each named.
    let out = run(db, &["consent", "add", "--subject", "SUBJ-SECRET-1", "--discloser", "City Police", "--recipient", "County Clinic",
                        "--information", " ", "--purpose", "care_coordination", "--signed-by", "", "--signed-on", &signed_on]);
    assert!(!out.status.success());
    let err = stderr(&out);
    for missing in ["what information", "expiry date or event", "right to revoke", "signature"] {
        assert!(err.contains(missing), "the refusal names {missing}: {err}");
    }
    let clinician = w.clinic.iter_mut().find(|c| c.role == "clinician").expect("clinician");
    let r = clinician.api.send_json("POST", "/api/v1/consents", &json!({
        "subject_key": "SUBJ-SECRET-1", "discloser": 1, "recipient": 2, "information": "x", "purpose": "care_coordination",
        "right_to_revoke_acknowledged": false, "signed_by": "p", "signed_on": signed_on}), &[]);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("expiry") && r.text().contains("right to revoke"), "{}", r.text());
    // A consent to another recipient, and an expired one: still nothing.
    let other = run(db, &["partner", "add", "Housing Services", "--sector", "housing"]);
    assert!(other.status.success());
    consent("Housing Services", &day(400));
    consent("County Clinic", &day(-30));
    check(w, "consent to another recipient / expired", Some(&without_su));
    // A consent in force: the substance-use details show, with the notice and the scope, and the
    // disclosure is accounted for.
    let added = consent("County Clinic", to);
    let id = added.split('#').nth(1).and_then(|s| s.split(':').next()).expect("consent id").to_string();
    let all: Vec<&str> = GROUPS.iter().map(|g| g.name).collect();
    check(w, "consent in force", Some(&all));
    let clinician = w.clinic.iter_mut().find(|c| c.role == "clinician").expect("clinician");
    let rec = clinician.api.get("/api/v1/encounters/cad-police/P-1").json();
    assert!(rec["redisclosure_notice"].as_str().is_some_and(|n| n.contains("42 CFR part 2")), "{rec}");
    assert!(rec["consent_scope"].as_str().is_some_and(|n| n.contains(&format!("consent #{id}"))), "{rec}");
    let page = clinician.page.get("/encounters/cad-police/P-1").text();
    assert!(page.contains("id=\"redisclosure-notice\""), "the page carries the notice");
    let export = clinician.page.get("/encounters.csv").text();
    let rows = csv_rows(&export);
    let row = rows.iter().find(|r| r["source_key"] == "P-1").expect("P-1 in the export");
    assert!(row["redisclosure_notice"].contains("42 CFR part 2"), "the export carries the notice");
    assert!(row["consent_scope"].contains(&format!("consent #{id}")));
    // The clinic's own substance-use details need no consent and carry no notice.
    let own = rows.iter().find(|r| r["source_key"] == "C-1").expect("C-1");
    assert_eq!(own["substance_use"], "true");
    assert!(own["redisclosure_notice"].is_empty());
    let accounting = clinician.api.get("/api/v1/consents/accounting?subject=SUBJ-SECRET-1").json();
    let channels: Vec<&str> = accounting.as_array().expect("accounting").iter().filter_map(|d| d["channel"].as_str()).collect();
    for ch in ["api", "page", "export"] {
        assert!(channels.contains(&ch), "the accounting lists the {ch} disclosure: {accounting}");
    }
    assert!(cli(db, &["consent", "accounting", "SUBJ-SECRET-1"]).contains(&format!("consent #{id}")), "the CLI's accounting");
    // Revoked: the details stop; the accounting keeps what was disclosed.
    cli(db, &["consent", "revoke", &id]);
    check(w, "consent revoked", Some(&without_su));
    let clinician = w.clinic.iter_mut().find(|c| c.role == "clinician").expect("clinician");
    let after = clinician.api.get("/api/v1/consents/accounting?subject=SUBJ-SECRET-1").json();
    assert_eq!(after.as_array().map(Vec::len), accounting.as_array().map(Vec::len), "revoking keeps the accounting");
    // Every access above is in the audit trail: who, their partner, which record, which field
    // groups; the auditors' CSV export carries it; the chain verifies.
    let admin = w.clinic.iter_mut().find(|c| c.role == "administrator").expect("administrator");
    let trail = csv_rows(&admin.page.get("/audit.csv?object=encounter:cad-police/P-1").text());
    let nurse_views: Vec<_> = trail.iter().filter(|r| r["actor"] == "clinic-clinician" && r["action"] == "view").collect();
    assert!(!nurse_views.is_empty(), "the clinician's views are audited");
    assert!(nurse_views.iter().all(|r| r["partner"] == "2"), "with the clinician's partner");
    assert!(nurse_views.iter().any(|r| r["field_groups"].contains("substance_use_details")), "with the groups disclosed");
    assert!(nurse_views.iter().any(|r| !r["field_groups"].contains("substance_use_details") && r["field_groups"].contains("incident_details")));
    assert!(trail.iter().all(|r| r["at_utc"].ends_with('Z') && r["hash"].len() == 64));
    let refused = csv_rows(&admin.page.get("/audit.csv?outcome=refused").text());
    assert!(
        refused.iter().any(|r| r["object"] == "GET /api/v1/encounters/cad-police/P-1" && r["detail"] == "not found or not shared"),
        "a request for another partner's record without an agreement is audited as refused"
    );
    assert!(
        refused.iter().any(|r| r["object"] == "POST /api/v1/encounters" && r["detail"] == "forbidden" && r["actor"] == "clinic-clinician"),
        "a refused write is audited"
    );
    let exports = csv_rows(&admin.page.get("/audit.csv?action=export").text());
    assert!(exports.iter().any(|r| r["object"].starts_with("encounters.csv") && r["actor"] == "clinic-clinician"), "exports are audited");
    let admin_actions = csv_rows(&admin.page.get("/audit.csv?action=admin").text());
    assert!(admin_actions.iter().any(|r| r["object"].starts_with("agreement:") && r["detail"].starts_with("end")), "ending an agreement is audited");
    // Revoking a consent is one use case whoever calls it (here the CLI): a change of the consent.
    let changes = csv_rows(&admin.page.get("/audit.csv?action=change").text());
    assert!(changes.iter().any(|r| r["object"].starts_with("consent:") && r["detail"].starts_with("revoke")), "revoking a consent is audited");
    assert!(run(db, &["audit", "verify"]).status.success(), "the chain verifies");
    let clinician = w.clinic.iter_mut().find(|c| c.role == "clinician").expect("clinician");
    // The sharing screen shows each side what it shares with whom.
    let screen = clinician.page.get("/sharing").text();
    assert!(screen.contains("id=\"shared-with\"") && screen.contains("City Police"), "{screen}");
    let mut police = Http::new(&w.server.base);
    police.sign_in("police-ds", PASSWORD);
    let screen = police.get("/sharing").text();
    assert!(screen.contains("id=\"shares\"") && screen.contains("County Clinic"), "the police see what they share");
}

/// Does this exported record reveal substance use through a value of another field group?
fn reveals_substance_use(fields: &[&str]) -> bool {
    let text = fields.join(" ").to_lowercase();
    ["intoxicated", "under the influence", "overdose", "detox", "substance_use_treatment"].iter().any(|w| text.contains(w))
}

/// The leak an outside test found: another partner's users saw substance use without consent
/// through behaviours ("Intoxicated / under the influence"), referrals to detox and call types
/// (OVERDOSE). Built again on the demo's records: the owner's export holds thousands of such
/// values, the other partner's CSV, API and pages none; its report does not count an encounter
/// whose only mental-health sign is an overdose call type; a consent shows them for its person.
#[test]
fn substance_use_does_not_leak_through_other_fields() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        let out = run(db, &["demo", "--encounters", "3000", "--seed", "9"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let provider = "County Behavioral Health (demo)";
        agreements(db, &[("Default partner", provider, ALL_GROUPS, &day(-365), &day(365))]);
        add_user_of(db, "police-ds", "data_specialist", "Default partner", PASSWORD);
        add_user_of(db, "bh-ds", "data_specialist", provider, PASSWORD);
        let server = Server::start(db);
        let client = |user: &str| {
            let mut h = Http::new(&server.base);
            h.token = Some(add_token(db, user));
            h
        };
        let (mut police, mut bh) = (client("police-ds"), client("bh-ds"));
        // Three records of the police's own: A flagged, B an overdose call only, C with an
        // intoxicated behaviour, a detox referral and a person.
        let at = day(-10);
        for e in [
            json!({"source_system": "cad-x", "source_key": "A", "occurred_on": at, "mental_health_flag": true}),
            json!({"source_system": "cad-x", "source_key": "B", "occurred_on": at, "final_call_type": "OVERDOSE",
                   "mental_health_flag": false, "mh_recognised_at_dispatch": false}),
            json!({"source_system": "cad-x", "source_key": "C", "occurred_on": at, "initial_call_type": "PERSON IN CRISIS",
                   "subject_key": "SUBJ-C", "behaviours": ["Agitated", "Intoxicated / under the influence"],
                   "referrals": [{"service_type": "detox", "service": "East Detox Centre", "result": "connected"}]}),
        ] {
            let r = police.send_json("POST", "/api/v1/encounters", &e, &[]);
            assert_eq!(r.status, 201, "{}", r.text());
        }

        // The exports: the owner's holds the values, the other partner's none.
        let count = |h: &mut Http| {
            let rows = csv_rows(&h.get("/encounters.csv").text());
            let n = rows
                .iter()
                .filter(|r| reveals_substance_use(&[&r["initial_call_type"], &r["final_call_type"], &r["behaviours"], &r["referrals"]]))
                .count();
            (rows.len(), n)
        };
        let (mine, in_mine) = count(&mut police);
        let (theirs, in_theirs) = count(&mut bh);
        assert!(theirs >= mine && in_mine > 100, "the owner's export holds the values ({in_mine} of {mine})");
        assert_eq!(in_theirs, 0, "the other partner's export reveals substance use in {in_theirs} of {theirs} records");
        // The API, every page of it.
        let mut offset = 0;
        let mut seen = 0;
        loop {
            let page = bh.get(&format!("/api/v1/encounters?limit=500&offset={offset}")).json();
            let items = page["items"].as_array().expect("items").clone();
            for item in &items {
                let text = item.to_string();
                assert!(!reveals_substance_use(&[&text]), "the API shows {text}");
                assert!(item.get("substance_use").is_none(), "{item}");
            }
            seen += items.len();
            offset += 500;
            if items.len() < 500 {
                break;
            }
        }
        assert_eq!(seen, theirs, "the API lists what the export holds");
        // The record page, and the same record under the person's consent.
        let mut page = Http::new(&server.base);
        page.sign_in("bh-ds", PASSWORD);
        let html = page.get("/encounters/cad-x/C").text();
        assert!(html.contains("Agitated") && !html.contains("Intoxicated") && !html.contains("Detox"), "the page of C: {html}");
        cli(db, &[
            "consent", "add", "--subject", "SUBJ-C", "--discloser", "Default partner", "--recipient", provider, "--information",
            "substance use noted at encounters", "--purpose", "care_coordination", "--expires", &day(200),
            "--right-to-revoke-explained", "--signed-by", "the person", "--signed-on", &day(-1),
        ]);
        let html = page.get("/encounters/cad-x/C").text();
        assert!(html.contains("Intoxicated") && html.contains("Detox"), "under consent the page shows them");

        // Reports: an encounter whose only mental-health sign is an overdose call type is not one
        // for the other partner; the owner counts it.
        let q = format!("/api/v1/outcomes?baseline={}..{}&comparison={}..{}&source=cad-x", day(-400), day(-300), day(-30), day(0));
        let owner = police.get(&q).json();
        let other = bh.get(&q).json();
        assert_eq!(encounters_in_comparison(&owner), 3, "{owner}");
        assert_eq!(encounters_in_comparison(&other), 2, "{other}");
        assert!(other["notes"].to_string().contains("reveal substance use"), "the report says so: {}", other["notes"]);
    }
}

/// A partner's records are that partner's: an agreement another partner's coordinator proposes
/// shares nothing until the discloser approves it, and a partner that is not a party can neither
/// approve nor end it.
#[test]
fn agreements_need_the_disclosers_approval() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        cli(db, &["partner", "set", "1", "--name", "City Police", "--sector", "law_enforcement"]);
        cli(db, &["partner", "add", "County Clinic", "--sector", "behavioral_health"]);
        cli(db, &["partner", "add", "Housing Services", "--sector", "housing"]);
        add_user_of(db, "police-ds", "data_specialist", "City Police", PASSWORD);
        add_user_of(db, "police-admin", "administrator", "City Police", PASSWORD);
        add_user_of(db, "clinic-coord", "project_coordinator", "County Clinic", PASSWORD);
        add_user_of(db, "clinic-ds", "data_specialist", "County Clinic", PASSWORD);
        add_user_of(db, "housing-coord", "project_coordinator", "Housing Services", PASSWORD);
        let server = Server::start(db);
        let client = |user: &str| {
            let mut h = Http::new(&server.base);
            h.token = Some(add_token(db, user));
            h
        };
        let (mut police, mut police_admin, mut clinic_coord, mut clinic_ds, mut housing) =
            (client("police-ds"), client("police-admin"), client("clinic-coord"), client("clinic-ds"), client("housing-coord"));
        assert_eq!(police.send_json("POST", "/api/v1/encounters", &police_record("P-1"), &[]).status, 201);
        let reads = |h: &mut Http| h.get("/api/v1/encounters/cad-police/P-1").status;
        // The clinic's coordinator proposes that the police share everything with the clinic.
        let r = clinic_coord.send_json("POST", "/api/v1/agreements", &json!({
            "title": "all of it", "discloser": 1, "recipient": 2, "direction": "one_way", "field_groups": ["incident_details", "subject_identity"],
            "purpose": "care_coordination", "legal_basis": "45 CFR 164.506(c)", "effective_on": day(-10), "expires_on": day(300),
            "discloser_approved_on": day(-10)}), &[]);
        assert_eq!(r.status, 201, "{}", r.text());
        let id = r.json()["id"].as_i64().expect("id");
        assert!(r.json()["discloser_approved_on"].is_null(), "a proposer cannot approve for another partner: {}", r.text());
        assert_eq!(reads(&mut clinic_ds), 404, "nothing shared before the police approve");
        let state = |h: &mut Http| h.get(&format!("/api/v1/agreements/{id}")).json()["state"].clone();
        assert_eq!(state(&mut clinic_coord), "awaiting approval");
        // Another partner cannot approve or end it; the recipient's approval is not enough.
        let act = |h: &mut Http, what: &str| h.send_json("POST", &format!("/api/v1/agreements/{id}/{what}"), &json!({}), &[]).status;
        assert_eq!(act(&mut housing, "approve"), 403);
        assert_eq!(act(&mut housing, "end"), 403);
        assert_eq!(act(&mut clinic_coord, "approve"), 200);
        assert_eq!(reads(&mut clinic_ds), 404, "still the discloser's to approve");
        assert_eq!(act(&mut police, "approve"), 403, "a data specialist does not approve agreements");
        // The police's administrator approves: it shares from now.
        assert_eq!(act(&mut police_admin, "approve"), 200);
        assert_eq!(state(&mut clinic_coord), "in force");
        assert_eq!(reads(&mut clinic_ds), 200);
        assert_eq!(act(&mut housing, "end"), 403, "only the parties end it");
        assert_eq!(reads(&mut clinic_ds), 200);
        assert_eq!(act(&mut clinic_coord, "end"), 204);
        assert_eq!(reads(&mut clinic_ds), 404, "ended by a party");
        let audit = stdout(&run(db, &["audit", "list", "--json", "--limit", "100"]));
        assert!(audit.contains(&format!("agreement:{id}")) && audit.contains("approve for partner 1"), "audited");
        // The operator on the command line approves for a named party.
        let out = run(db, &["agreement", "approve", &id.to_string(), "--partner", "Housing Services"]);
        assert!(!out.status.success(), "not a party");
    }
}

/// A partner's accounts are that partner's: an administrator of another partner neither adds
/// users to it nor issues its tokens, unlocks or resets its accounts; an installation
/// administrator creates a partner's first administrator, and any other account it adds waits
/// for that partner's administrator to approve it; consents stay with their parties.
#[test]
fn a_partners_accounts_are_its_own() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        cli(db, &["partner", "set", "1", "--name", "City Police", "--sector", "law_enforcement"]);
        cli(db, &["partner", "add", "County Clinic", "--sector", "behavioral_health"]);
        cli(db, &["partner", "add", "Housing Services", "--sector", "housing"]);
        add_user_of(db, "police-admin", "administrator", "City Police", PASSWORD);
        add_user_of(db, "housing-admin", "administrator", "Housing Services", PASSWORD);
        let out = pmhc()
            .args(["--database", db, "user", "add", "install", "--role", "workgroup_member", "--installation-admin", "--partner", "Housing Services", "--password-stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().expect("stdin").write_all(format!("{PASSWORD}\n").as_bytes())?;
                c.wait_with_output()
            })
            .expect("pmhc user add --installation-admin");
        assert!(out.status.success(), "{}", stderr(&out));
        let server = Server::start(db);
        let mut housing = Http::new(&server.base);
        housing.sign_in("housing-admin", PASSWORD);
        let csrf = housing.csrf();
        let users = housing.get("/users").text();
        assert!(!users.contains("police-admin"), "another partner's accounts are not listed");
        // Every action on partner 1's accounts is refused, and changes nothing.
        let r = housing.post_form("/users", &[("csrf", &csrf), ("username", "mole"), ("role", "data_specialist"), ("partner", "1"), ("password", "a long pass phrase")]);
        assert_eq!(r.status, 403, "{}", r.text());
        assert!(!stdout(&run(db, &["user", "list"])).contains("mole"));
        // Nor does it make an installation-level account inside its own partner.
        for role in ["auditor", "installation_administrator"] {
            let r = housing.post_form("/users", &[("csrf", &csrf), ("username", "spy"), ("role", role), ("partner", "3"), ("password", "a long pass phrase")]);
            assert_eq!(r.status, 403, "{role}: {}", r.text());
        }
        for (path, extra) in [("/users/tokens", Some(("name", "take-over"))), ("/users/reset-second-factor", None), ("/users/unlock", None), ("/users/approve", None)] {
            let mut form = vec![("csrf", csrf.as_str()), ("username", "police-admin")];
            form.extend(extra);
            let r = housing.post_form(path, &form);
            assert_eq!(r.status, 403, "{path}: {}", r.text());
        }
        assert!(stdout(&run(db, &["user", "tokens"])).lines().all(|l| !l.contains("take-over")), "no token issued");
        // The installation administrator: a partner's first administrator is active at once ...
        let mut install = Http::new(&server.base);
        install.sign_in("install", PASSWORD);
        let csrf_i = install.csrf();
        assert_eq!(install.get("/api/v1/encounters").status, 403, "the installation administrator reads no records");
        let r = install.post_form("/users", &[("csrf", &csrf_i), ("username", "clinic-first"), ("role", "administrator"), ("partner", "2"), ("password", "a long pass phrase")]);
        assert_eq!(r.status, 303, "{}", r.text());
        let mut first = Http::new(&server.base);
        assert_eq!(first.sign_in_status("clinic-first", "a long pass phrase").status, 303, "active at once");
        // ... an account in a partner that has an administrator waits for its approval.
        // (Several roles at once, ticked on the form.)
        let r = install.post_form(
            "/users",
            &[("csrf", &csrf_i), ("username", "police-new"), ("role", "officer"), ("role", "clinician"), ("partner", "1"), ("password", "a long pass phrase")],
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("disabled") && !r.text().contains("of partner 1 approves"), "the partner by name: {}", r.text());
        let list = stdout(&run(db, &["user", "list"]));
        let line = list.lines().find(|l| l.starts_with("police-new ")).expect("the new account");
        assert!(line.contains("officer") && line.contains("clinician"), "both roles: {line}");
        let r = install.post_form("/users", &[("csrf", &csrf_i), ("username", "no-role"), ("partner", "1"), ("password", "a long pass phrase")]);
        assert!(r.status >= 400 && r.text().contains("tick at least one role"), "{}", r.text());
        let mut newbie = Http::new(&server.base);
        assert_eq!(newbie.sign_in_status("police-new", "a long pass phrase").status, 401, "not before approval");
        let mut police = Http::new(&server.base);
        police.sign_in("police-admin", PASSWORD);
        let csrf_p = police.csrf();
        assert!(police.get("/users").text().contains("police-new"));
        assert_eq!(police.post_form("/users/approve", &[("csrf", &csrf_p), ("username", "police-new")]).status, 303);
        assert_eq!(newbie.sign_in_status("police-new", "a long pass phrase").status, 303, "approved by its partner");
        let audit = stdout(&run(db, &["audit", "list", "--json", "--limit", "100"]));
        assert!(audit.contains("disabled until an administrator of the partner approves it"), "audited");
        // The audit trail: partner 3's administrator reads its own partner's entries only; an
        // auditor reads everyone's (and is audited reading it).
        let rows = csv_rows(&housing.get("/audit.csv").text());
        assert!(!rows.is_empty() && rows.iter().any(|r| r["actor"] == "housing-admin"), "its own entries");
        assert!(
            rows.iter().all(|r| r["actor"] != "police-admin" && r["partner"] != "1"),
            "no entry of partner 1: {rows:?}"
        );
        add_user_of(db, "auditor1", "auditor", "Housing Services", PASSWORD);
        let mut auditor = Http::new(&server.base);
        auditor.sign_in("auditor1", PASSWORD);
        let all = csv_rows(&auditor.get("/audit.csv").text());
        assert!(all.iter().any(|r| r["actor"] == "police-admin"), "the auditor reads every partner's entries");
        assert_eq!(auditor.get("/api/v1/encounters").status, 403, "an auditor reads no records");
                // A consent between partners 1 and 2 is not partner 3's administrator's to read.
        cli(db, &[
            "consent", "add", "--subject", "S-9", "--discloser", "City Police", "--recipient", "County Clinic", "--information", "x",
            "--purpose", "care_coordination", "--expires", &day(100), "--right-to-revoke-explained", "--signed-by", "p", "--signed-on", &day(-1),
        ]);
        let mut housing_api = Http::new(&server.base);
        housing_api.token = Some(add_token(db, "housing-admin"));
        let list = housing_api.get("/api/v1/consents?subject=S-9").json();
        assert!(list.as_array().is_some_and(Vec::is_empty), "{list}");
        let acc = housing_api.get("/api/v1/consents/accounting?subject=S-9");
        assert!(!acc.text().contains("S-9") || acc.json().as_array().is_some_and(Vec::is_empty), "{}", acc.text());
    }
}
