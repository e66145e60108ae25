//! The one clock: `PMHC_NOW` moves what pmhc considers today (the demo's window, the server's
//! "now" with `--test-clock`), never the audit trail's real time.

mod common;

use common::*;

/// `pmhc` with its clock set to `at` (whatever the tests' own clock says).
fn pmhc_at(at: &str, db: &str, args: &[&str]) -> std::process::Output {
    pmhc().env("PMHC_NOW", at).arg("--database").arg(db).args(args).output().expect("run pmhc")
}

#[test]
fn an_audit_entry_made_with_the_clock_in_the_past_carries_the_real_time() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        let out = pmhc_at("2020-01-01T12:00:00Z", db, &["partner", "add", "Clock Clinic", "--sector", "behavioral_health"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let entries = json(&run(db, &["audit", "list", "--json", "--limit", "20"]));
        let entry = entries
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["object"] == "partner:Clock Clinic")
            .unwrap_or_else(|| panic!("the partner's entry: {entries}"))
            .clone();
        let at = chrono::DateTime::parse_from_rfc3339(entry["at"].as_str().expect("at")).expect("an RFC 3339 time");
        let real = pmhc_store::clock::real_now();
        assert!((real - at.to_utc()).num_minutes().abs() < 10, "stamped {at}, the real time is {real}, PMHC_NOW said 2020");
        let verify = run(db, &["audit", "verify"]);
        assert!(verify.status.success(), "the chain stays intact: {}", stderr(&verify));
    }
}

#[test]
fn the_demo_ends_with_the_last_full_year_of_the_clock() {
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    let out = pmhc_at("2031-06-15T12:00:00Z", db, &["demo", "--encounters", "400", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let newest = json(&run(db, &["encounters", "list", "--limit", "1", "--format", "json"]));
    let day = newest[0]["occurred_on"].as_str().expect("a date");
    assert!(day.starts_with("2030-"), "the newest demo encounter is of 2030: {day}");
    // The training programme runs up to the clock's today: refreshers are not all overdue.
    let staff = stdout(&pmhc_at("2031-06-15T12:00:00Z", db, &["training", "coverage", "--format", "csv"]));
    assert!(!staff.trim().is_empty(), "coverage computed");
}

#[test]
fn a_bad_clock_is_refused_and_a_server_uses_it_only_when_asked() {
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    let out = pmhc_at("next tuesday", db, &["encounters", "count"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("PMHC_NOW") && err.contains("RFC 3339") && err.contains("next tuesday"), "{err}");
    // A real server refuses a set clock; a test server says so explicitly.
    let out = pmhc_at("2030-01-01T00:00:00Z", db, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--test-clock"), "{}", stderr(&out));
    let help = stdout(&pmhc().args(["serve", "--help"]).output().expect("help"));
    assert!(help.contains("--test-clock") && help.contains("PMHC_NOW"), "{help}");
}
