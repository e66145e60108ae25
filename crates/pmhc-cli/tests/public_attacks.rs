//! The attacks an outside check ran on public reports of the real datasets, run again: a reader who
//! knows the definitions and reads the public JSON must not recover a suppressed count from the sums
//! between measures (any force = levels 1 + 2 + 3), the breakdowns (the groups add up to the period),
//! the months (whole months add up to the period) or the notes. The attacker here is written from the
//! JSON alone, independently of the suppression code.

mod common;

use common::*;
use serde_json::Value;

/// Every place that holds a set of measures: (where, measures).
fn slices(r: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for p in ["baseline", "comparison"] {
        out.push((format!("period {p}"), &r["periods"][p]["measures"]));
        for b in r["breakdowns"].as_array().into_iter().flatten() {
            for g in b["groups"].as_array().into_iter().flatten() {
                out.push((format!("{p} {} {}", b["by"], g["key"]), &g[p]));
            }
        }
    }
    for m in r["monthly"].as_array().into_iter().flatten() {
        out.push((format!("month {}", m["month"]), &m["measures"]));
    }
    out
}

/// A numerator: `Some(Some(n))` shown, `Some(None)` suppressed, `None` not measured.
fn numerator(measures: &Value, id: &str) -> Option<Option<u64>> {
    let v = measures.get(id)?;
    if v.get("not_measurable").is_some() {
        return None;
    }
    Some(v["numerator"].as_u64())
}

/// The suppressed counts a reader recovers exactly, with how.
fn recovered(r: &Value) -> Vec<String> {
    let mut found = Vec::new();
    // Sums between measures: any force = level 1 + level 2 + level 3.
    for (place, m) in slices(r) {
        let parts: Vec<Option<Option<u64>>> =
            ["any_force", "force_level_1", "force_level_2", "force_level_3"].iter().map(|id| numerator(m, id)).collect();
        if parts.iter().all(Option::is_some) {
            let hidden = parts.iter().filter(|p| **p == Some(None)).count();
            if hidden == 1 {
                found.push(format!("{place}: a force level from any force = levels 1 + 2 + 3"));
            }
        }
    }
    // Breakdowns: the groups' encounters add up to the period's.
    for p in ["baseline", "comparison"] {
        let total = r["periods"][p]["encounters"].as_u64();
        for b in r["breakdowns"].as_array().into_iter().flatten() {
            let groups: Vec<Option<u64>> =
                b["groups"].as_array().into_iter().flatten().map(|g| g[p]["encounters"]["count"].as_u64()).collect();
            if total.is_some() && groups.iter().filter(|g| g.is_none()).count() == 1 {
                found.push(format!("{p}: one group of {} from the period's encounters", b["by"]));
            }
        }
    }
    // Months: a period of whole months is its months.
    for p in ["baseline", "comparison"] {
        let (Some(from), Some(to)) = (r["periods"][p]["from"].as_str(), r["periods"][p]["to"].as_str()) else { continue };
        let Some(total) = r["periods"][p]["encounters"].as_u64() else { continue };
        let months: Vec<Option<u64>> = r["monthly"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["month"].as_str().is_some_and(|k| k >= &from[..7] && k <= &to[..7]))
            .map(|m| m["encounters"].as_u64())
            .collect();
        if from.ends_with("-01") && months.iter().filter(|m| m.is_none()).count() == 1 && !months.is_empty() {
            let shown: u64 = months.iter().flatten().sum();
            found.push(format!("{p}: one month = {total} - {shown}"));
        }
    }
    // Notes: no note names a count the report suppresses.
    for p in ["baseline", "comparison"] {
        if r["periods"][p]["encounters"].is_null() {
            let from = r["periods"][p]["from"].as_str().unwrap_or("?");
            for n in r["notes"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if n.starts_with(from) && n.contains(" of ") && n.chars().any(|c| c.is_ascii_digit()) && n.contains("mental-health encounters") {
                    found.push(format!("note: {n}"));
                }
            }
        }
    }
    found
}

/// Every encounter counts (use-of-force files hold no crisis flag), and `periods` (baseline,
/// comparison) are the published periods.
fn all_encounters(db: &str, dir: &std::path::Path, periods: [&str; 2]) {
    let defs = dir.join("all.toml");
    let [(bf, bt), (cf, ct)] = periods.map(|p| p.split_once("..").unwrap());
    std::fs::write(
        &defs,
        format!(
            "name = \"All encounters\"\n[mental_health]\nall_encounters = true\nflagged = false\n\
             [periods.baseline]\nfrom = \"{bf}\"\nto = \"{bt}\"\n[periods.comparison]\nfrom = \"{cf}\"\nto = \"{ct}\"\n"
        ),
    )
    .unwrap();
    let o = run(db, &["definitions", "set", defs.to_str().unwrap(), "--note", "every encounter"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The published release, by `by`: nothing recovered from it alone. Returns the slices attacked.
fn attack(db: &str, by: &str) -> usize {
    let o = run(db, &["report", "--public", "--format", "json", "--by", by]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["public"], true);
    let found = recovered(&r);
    assert!(found.is_empty(), "recovered from the public report ({by}): {found:#?}");
    slices(&r).len()
}

/// The register read as a whole: the exact attacker over every release together recovers nothing.
fn check_register(db: &str, releases: usize) {
    let o = run(db, &["releases", "--check"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains(&format!("{releases} releases read together; no suppressed count")), "{}", stderr(&o));
}

#[test]
fn public_reports_of_the_real_use_of_force_files_give_nothing_away() {
    let (Some(dallas), Some(seattle)) =
        (shared("dallas-uof-2016/37-00049_UOF-P_2016_prepped.csv"), shared("seattle-use-of-force/Use_Of_Force.csv"))
    else {
        return;
    };
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    // The file less its last 40 records first: a release, then the late records and a second one.
    let text = std::fs::read_to_string(&dallas).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let early = dbs.dir().join("early.csv");
    std::fs::write(&early, lines[..lines.len() - 40].join("\n") + "\n").unwrap();
    let o = run(db, &["import", early.to_str().unwrap(), "--mapping", "dallas-uof", "--rejects", dbs.dir().join("d0.csv").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    all_encounters(db, dbs.dir(), ["2016-01-01..2016-06-30", "2016-07-01..2016-12-31"]);
    let mut slices = attack(db, "precinct");
    let o = run(db, &["import", dallas.to_str().unwrap(), "--mapping", "dallas-uof", "--rejects", dbs.dir().join("d.csv").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The same question after late records: a new release, protected jointly with the first.
    slices += attack(db, "precinct");
    slices += attack(db, "race");
    check_register(db, 2);
    // Periods that overlap a release's without being equal are refused (the Toronto attack).
    let o = run(db, &["report", "--public", "--release", "--baseline", "2016-01-01..2016-05-31", "--comparison", "2016-07-01..2016-12-31"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("overlaps 2016-01-01..2016-06-30"), "{}", stderr(&o));
    // Other periods are not published at all without --release.
    let o = run(db, &["report", "--public", "--baseline", "2016-01-01..2016-03-31", "--comparison", "2016-10-01..2016-12-31"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("published periods only"), "{}", stderr(&o));

    let dbs2 = Databases::new();
    let db = &dbs2.urls[0];
    let o = run(db, &["import", seattle.to_str().unwrap(), "--mapping", "seattle-uof", "--rejects", dbs2.dir().join("s.csv").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    all_encounters(db, dbs2.dir(), ["2019-01-01..2019-12-31", "2020-01-01..2020-12-31"]);
    slices += attack(db, "precinct");
    slices += attack(db, "race");
    check_register(db, 1);
    assert!(slices > 100, "the reports have breakdowns and months to attack ({slices} slices)");
}

/// The published periods `periods` set on the default definitions (the mental-health criteria as
/// shipped).
fn publish_periods(db: &str, dir: &std::path::Path, periods: [&str; 2]) {
    let shown = stdout(&run(db, &["definitions", "show"]));
    let [(bf, bt), (cf, ct)] = periods.map(|p| p.split_once("..").unwrap());
    let text = shown
        .replace("# [periods.", "[periods.")
        .replace("# from = \"2020-01-01\"", &format!("from = \"{bf}\""))
        .replace("# to = \"2020-12-31\"", &format!("to = \"{bt}\""))
        .replace("# from = \"2023-01-01\"", &format!("from = \"{cf}\""))
        .replace("# to = \"2023-12-31\"", &format!("to = \"{ct}\""));
    let path = dir.join("published.toml");
    std::fs::write(&path, text).unwrap();
    let o = run(db, &["definitions", "set", path.to_str().unwrap(), "--note", "published periods"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The published release in the other public formats: no count from 1 to 10 in the CSV's count
/// columns, nor in the table's "(numerator/denominator)" and "n" figures.
fn other_formats_hide_small_counts(db: &str) {
    let csv = stdout(&run(db, &["report", "--public", "--format", "csv"]));
    let mut lines = csv.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cols: Vec<usize> = ["numerator", "denominator"].iter().filter_map(|c| header.iter().position(|h| h == c)).collect();
    assert_eq!(cols.len(), 2, "{header:?}");
    let mut rows = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        for &c in &cols {
            if let Some(n) = fields.get(c).and_then(|f| f.parse::<u64>().ok()) {
                assert!(!(1..=10).contains(&n), "a small count in the public CSV: {line}");
            }
        }
        rows += 1;
    }
    assert!(rows > 50, "the CSV holds the release ({rows} rows)");
    let table = stdout(&run(db, &["report", "--public", "--by", "precinct"]));
    for part in table.split('(').skip(1) {
        let Some((fraction, _)) = part.split_once(')') else { continue };
        if let Some((a, b)) = fraction.split_once('/') {
            for n in [a, b].map(|x| x.replace(',', "").parse::<u64>()) {
                assert!(!n.is_ok_and(|n| (1..=10).contains(&n)), "a small count in the public table: ({fraction})");
            }
        }
    }
}

#[test]
fn public_reports_of_the_toronto_crisis_calls_give_nothing_away() {
    let Some(toronto) = shared("toronto-persons-in-crisis/raw_data_first32000.csv") else { return };
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    let o = run(db, &["import", toronto.to_str().unwrap(), "--mapping", "toronto-pic", "--rejects", dbs.dir().join("t.csv").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    publish_periods(db, dbs.dir(), ["2014-01-01..2014-06-30", "2015-01-01..2015-06-30"]);
    let slices = attack(db, "precinct") + attack(db, "beat");
    assert!(slices > 100, "{slices} slices");
    other_formats_hide_small_counts(db);
    // Jan–May after Jan–Jun: refused, June is not given away.
    let o = run(db, &["report", "--public", "--release", "--baseline", "2014-01-01..2014-05-31", "--comparison", "2015-01-01..2015-06-30"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("overlaps 2014-01-01..2014-06-30"), "{}", stderr(&o));
    // A division's own release (its breakdown by neighbourhood) beside the published one.
    let o = run(db, &["report", "--public", "--release", "--precinct", "D51", "--by", "beat", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(recovered(&json(&o)).is_empty());
    check_register(db, 2);
}

/// The attacker itself finds what it should: a report with one force level hidden and the others
/// shown gives it away.
#[test]
fn the_attacker_finds_a_level_given_away() {
    let m = serde_json::json!({
        "any_force": {"numerator": 780, "denominator": 900},
        "force_level_1": {"numerator": 570, "denominator": 900},
        "force_level_2": {"numerator": 209, "denominator": 900},
        "force_level_3": {"numerator": null, "denominator": 900, "suppressed": true}
    });
    let r = serde_json::json!({"periods": {"baseline": {"measures": m, "encounters": 900}, "comparison": {"measures": {}, "encounters": 900}}, "breakdowns": [], "monthly": [], "notes": []});
    assert_eq!(recovered(&r).len(), 1);
}
