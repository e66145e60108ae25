//! `pmhc report` end to end: on every public dataset with the needed fields, the headline numbers
//! of the JSON report must equal an independent computation in plain SQL over the stored
//! encounters, exactly; the same data on PostgreSQL must give the same report.

mod common;

use common::*;
use serde_json::Value;
use sqlx::Row;

/// The default definition of a mental-health encounter, written out in SQL.
const MH_DEFAULT: &str = "(mental_health_flag = 1 OR mh_recognised_at_dispatch = 1 \
    OR UPPER(TRIM(initial_call_type)) IN ('PERSON IN CRISIS','SUICIDE','SUICIDE-RELATED','OVERDOSE','PERSON IN BEHAVIORAL/EMOTIONAL CRISIS','CRISIS COMPLAINT - GENERAL','MENTAL HEALTH') \
    OR UPPER(TRIM(final_call_type)) IN ('PERSON IN CRISIS','SUICIDE','SUICIDE-RELATED','OVERDOSE','PERSON IN BEHAVIORAL/EMOTIONAL CRISIS','CRISIS COMPLAINT - GENERAL','MENTAL HEALTH') \
    OR call_source = '988_transfer' OR response_model IN ('co_responder','mobile_crisis','case_management'))";

/// An encounter belongs to [from, to] when its whole day, month or year does.
fn in_period(from: &str, to: &str) -> String {
    format!(
        "((date_precision IN ('day','minute') AND occurred_on BETWEEN '{from}' AND '{to}') \
         OR (date_precision = 'month' AND occurred_on >= '{from}' AND date(occurred_on, '+1 month', '-1 day') <= '{to}') \
         OR (date_precision = 'year' AND occurred_on >= '{from}' AND date(occurred_on, '+1 year', '-1 day') <= '{to}'))"
    )
}

struct Oracle {
    pool: sqlx::SqlitePool,
    rt: tokio::runtime::Runtime,
}

impl Oracle {
    fn new(url: &str) -> Oracle {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let pool = rt.block_on(sqlx::SqlitePool::connect(url)).unwrap();
        Oracle { pool, rt }
    }

    fn count(&self, sql: &str) -> u64 {
        let row = self.rt.block_on(sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&self.pool)).unwrap();
        row.try_get::<i64, _>(0).unwrap() as u64
    }
}

fn measure(period: &Value, id: &str) -> (Option<u64>, Option<u64>) {
    let m = &period["measures"][id];
    (m["numerator"].as_u64(), m["denominator"].as_u64())
}

/// Check the headline numbers of one period against SQL.
fn check_period(o: &Oracle, report: &Value, which: &str, mh: &str, expect_repeat: bool) {
    check_scoped(o, report, which, mh, "1 = 1", expect_repeat)
}

/// As [`check_period`], for a report filtered to `scope` (an SQL condition).
fn check_scoped(o: &Oracle, report: &Value, which: &str, mh: &str, scope: &str, expect_repeat: bool) {
    let p = &report["periods"][which];
    let (from, to) = (p["from"].as_str().unwrap(), p["to"].as_str().unwrap());
    let inp = format!("{} AND ({scope})", in_period(from, to));
    let base = format!("FROM encounters WHERE {inp} AND {mh}");
    let all = o.count(&format!("SELECT COUNT(*) FROM encounters WHERE {inp}"));
    assert_eq!(p["all_encounters"].as_u64(), Some(all), "{which}: all encounters");
    let n = o.count(&format!("SELECT COUNT(*) {base}"));
    assert!(n > 0, "{which}: the test periods must hold mental-health encounters");
    assert_eq!(p["encounters"].as_u64(), Some(n), "{which}: mental-health encounters");
    let pair = |num: &str, den: &str| {
        (o.count(&format!("SELECT COUNT(*) {base} AND ({num})")), o.count(&format!("SELECT COUNT(*) {base} AND ({den})")))
    };
    let expect = |id: &str, (x, d): (u64, u64)| {
        let got = measure(p, id);
        if d == 0 {
            assert!(p["measures"][id]["not_measurable"].is_string(), "{which}/{id}: expected not measurable, got {}", p["measures"][id]);
        } else {
            assert_eq!(got, (Some(x), Some(d)), "{which}/{id}");
            let rate = p["measures"][id]["rate"].as_f64().unwrap();
            assert!((rate - x as f64 / d as f64).abs() < 1e-12);
        }
    };
    expect("arrest", pair("arrested = 1", "arrested IS NOT NULL"));
    expect("citation", pair("cited = 1", "cited IS NOT NULL"));
    expect("involuntary_hold", pair("involuntary_hold = 1", "involuntary_hold IS NOT NULL"));
    expect("any_force", pair("use_of_force IN ('level_1','level_2','level_3')", "use_of_force <> 'unknown'"));
    expect("force_level_2", pair("use_of_force = 'level_2'", "use_of_force <> 'unknown'"));
    expect(
        "referral",
        pair(
            "disposition IN ('referral','voluntary_transport') OR referrals <> '[]'",
            "disposition <> 'unknown' OR referrals <> '[]'",
        ),
    );
    expect("recognised_at_dispatch", pair("mh_recognised_at_dispatch = 1", "mh_recognised_at_dispatch IS NOT NULL"));
    // Repeat encounters (2+ within 90 days, both inside the period) with a window function.
    let people = o.count(&format!("SELECT COUNT(DISTINCT subject_key) {base} AND subject_key IS NOT NULL"));
    if expect_repeat {
        assert!(people > 0, "{which}: expected person keys");
        let repeat = o.count(&format!(
            "SELECT COUNT(DISTINCT subject_key) FROM (SELECT subject_key, julianday(occurred_on) - \
             julianday(LAG(occurred_on) OVER (PARTITION BY subject_key ORDER BY occurred_on)) AS gap {base} \
             AND subject_key IS NOT NULL) WHERE gap <= 90"
        ));
        assert_eq!(measure(p, "repeat_people"), (Some(repeat), Some(people)), "{which}/repeat_people");
        let keyed = o.count(&format!("SELECT COUNT(*) {base} AND subject_key IS NOT NULL"));
        assert_eq!(p["measures"]["encounters_per_person"]["encounters"].as_u64(), Some(keyed));
    } else {
        assert_eq!(people, 0);
        let r = p["measures"]["repeat_people"]["not_measurable"].as_str().unwrap();
        assert!(r.contains("not measurable with this data"), "{r}");
    }
}

fn report(db: &str, baseline: &str, comparison: &str, extra: &[&str]) -> Value {
    let mut args = vec!["report", "--baseline", baseline, "--comparison", comparison, "--format", "json"];
    args.extend_from_slice(extra);
    let o = run(db, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    json(&o)
}

fn import(db: &str, file: &std::path::Path, mapping: &str, dir: &std::path::Path) {
    let o = run(db, &["import", file.to_str().unwrap(), "--mapping", mapping, "--json", "--rejects", dir.join("rejects.csv").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Import `file` into every database, report on the two periods there, and check that the reports
/// are identical on every backend.
fn import_and_report(file: &std::path::Path, mapping: &str, baseline: &str, comparison: &str) -> (Databases, Vec<Value>) {
    let dbs = Databases::new();
    let mut reports = Vec::new();
    for db in &dbs.urls {
        import(db, file, mapping, dbs.dir());
        reports.push(report(db, baseline, comparison, &[]));
    }
    same_on_every_backend(&dbs, &reports);
    (dbs, reports)
}

/// The same report from SQLite and PostgreSQL (when given) must be identical.
fn same_on_every_backend(dbs: &Databases, reports: &[Value]) {
    for (url, r) in dbs.urls.iter().zip(reports).skip(1) {
        assert_eq!(r, &reports[0], "report differs on {url}");
    }
}

#[test]
fn toronto_report_matches_sql() {
    let Some(file) = shared("toronto-persons-in-crisis/raw_data_first32000.csv") else { return };
    let (dbs, reports) = import_and_report(&file, "toronto-pic", "2014-01-01..2014-06-30", "2015-01-01..2015-06-30");
    let o = Oracle::new(&dbs.urls[0]);
    let r = &reports[0];
    check_period(&o, r, "baseline", MH_DEFAULT, false);
    check_period(&o, r, "comparison", MH_DEFAULT, false);
    assert_eq!(r["definition"]["version"], 1);
    // Month-only dates: a period that cuts a month is refused (its days would count in the rates,
    // its month-dated encounters could not), naming the whole-month periods inside and around it.
    let o2 = run(&dbs.urls[0], &["report", "--baseline", "2014-01-15..2014-07-14", "--comparison", "2015-01-01..2015-06-30"]);
    assert_eq!(o2.status.code(), Some(2), "{}", stderr(&o2));
    let why = stderr(&o2);
    assert!(why.contains("cuts the month 2014-01") && why.contains("2014-02-01..2014-06-30") && why.contains("2014-01-01..2014-07-31"), "{why}");
    let r = report(&dbs.urls[0], "2014-02-01..2014-06-30", "2015-01-01..2015-06-30", &["--by", "precinct"]);
    check_period(&o, &r, "baseline", MH_DEFAULT, false);
    let feb_to_jun = o.count(&format!("SELECT COUNT(*) FROM encounters WHERE {}", in_period("2014-02-01", "2014-06-30")));
    assert_eq!(r["periods"]["baseline"]["all_encounters"].as_u64(), Some(feb_to_jun));
    // Divisions add up to the whole.
    let sum: u64 = r["breakdowns"][0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["comparison"]["encounters"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(Some(sum), r["periods"]["comparison"]["encounters"].as_u64());
    // The only source: --source changes nothing; another source has no encounters.
    let same = report(&dbs.urls[0], "2014-01-01..2014-06-30", "2015-01-01..2015-06-30", &["--source", "toronto-pic"]);
    assert_eq!(same["periods"], reports[0]["periods"]);
    let none = report(&dbs.urls[0], "2014-01-01..2014-06-30", "2015-01-01..2015-06-30", &["--source", "nowhere"]);
    assert_eq!(none["periods"]["baseline"]["all_encounters"], 0);
    assert!(none["periods"]["baseline"]["measures"]["arrest"]["not_measurable"].is_string());
    // A filtered report equals the SQL for that division.
    let r = report(&dbs.urls[0], "2014-01-01..2014-06-30", "2015-01-01..2015-06-30", &["--precinct", "D51"]);
    check_scoped(&o, &r, "baseline", MH_DEFAULT, "precinct = 'D51'", false);
    check_scoped(&o, &r, "comparison", MH_DEFAULT, "precinct = 'D51'", false);
}

#[test]
fn dallas_report_matches_sql() {
    let Some(file) = shared("dallas-uof-2016/37-00049_UOF-P_2016_prepped.csv") else { return };
    let (dbs, reports) = import_and_report(&file, "dallas-uof", "2016-01-01..2016-06-30", "2016-07-01..2016-12-31");
    let o = Oracle::new(&dbs.urls[0]);
    check_period(&o, &reports[0], "baseline", MH_DEFAULT, true);
    check_period(&o, &reports[0], "comparison", MH_DEFAULT, true);
}

#[test]
fn seattle_use_of_force_report_matches_sql_under_an_all_encounters_definition() {
    let Some(file) = shared("seattle-use-of-force/Use_Of_Force.csv") else { return };
    let dbs = Databases::new();
    let defs = dbs.dir().join("all.toml");
    let mut reports = Vec::new();
    for db in &dbs.urls {
        import(db, &file, "seattle-uof", dbs.dir());
        // The file records no mental-health flag: under the default definitions nothing counts,
        // and the report says so instead of inventing a number.
        let o = run(db, &["report", "--baseline", "2015-01-01..2016-12-31", "--comparison", "2021-01-01..2022-12-31", "--format", "json"]);
        let r = json(&o);
        assert_eq!(r["periods"]["baseline"]["encounters"], 0);
        assert!(r["periods"]["baseline"]["measures"]["any_force"]["not_measurable"].is_string());
        // Study every use of force: a new version of the definitions.
        let shown = stdout(&run(db, &["definitions", "show"]));
        let edited = shown.replace("all_encounters = false", "all_encounters = true").replace("name = \"pmhc default definitions\"", "name = \"All use of force\"");
        assert_ne!(edited, shown);
        std::fs::write(&defs, edited).unwrap();
        let o = run(db, &["definitions", "set", defs.to_str().unwrap(), "--note", "study all force", "--author", "test"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).contains("version 2"), "{}", stdout(&o));
        reports.push(report(db, "2015-01-01..2016-12-31", "2021-01-01..2022-12-31", &[]));
    }
    same_on_every_backend(&dbs, &reports);
    let r = &reports[0];
    assert_eq!(r["definition"]["version"], 2);
    assert_eq!(r["definition"]["name"], "All use of force");
    let o = Oracle::new(&dbs.urls[0]);
    check_period(&o, r, "baseline", "1 = 1", true);
    check_period(&o, r, "comparison", "1 = 1", true);
    // Version 1 is still there for reproducing earlier reports.
    let r1 = report(&dbs.urls[0], "2015-01-01..2016-12-31", "2021-01-01..2022-12-31", &["--definitions-version", "1"]);
    assert_eq!(r1["definition"]["version"], 1);
    let h = stdout(&run(&dbs.urls[0], &["definitions", "history"]));
    assert!(h.contains("study all force") && h.contains("default definitions"), "{h}");
}

#[test]
fn seattle_call_data_report_matches_sql() {
    let Some(file) = shared("seattle-call-data-samples/potential_mad_beach_calls_2010-2023.csv") else { return };
    let (dbs, reports) = import_and_report(&file, "seattle-call-data-r", "2010-01-01..2015-12-31", "2018-01-01..2023-12-31");
    let o = Oracle::new(&dbs.urls[0]);
    check_period(&o, &reports[0], "baseline", MH_DEFAULT, false);
    check_period(&o, &reports[0], "comparison", MH_DEFAULT, false);
}

#[test]
fn every_format_and_public_mode_on_demo_data() {
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    let o = run(db, &["demo", "-n", "20000", "--seed", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The demo's window is the six full years before the clock's year.
    let y0 = year(-6);
    let (baseline, comparison) = (format!("{y0}-07-01..{}-06-30", y0 + 1), format!("{}-07-01..{}-06-30", y0 + 4, y0 + 5));
    let periods = ["--baseline", baseline.as_str(), "--comparison", comparison.as_str()];
    let table = run(db, &[&["report"][..], &periods[..], &["--by", "precinct,race"]].concat());
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    let t = stdout(&table);
    assert!(t.contains("Arrests") && t.contains("By precinct") && t.contains("By race"), "{t}");
    let html_path = dbs.dir().join("r.html");
    // Periods other than the published ones are not public without --release, which publishes them
    // (here the published baseline, and the six months after it: no period overlaps a published
    // one without being equal to it).
    let o = run(db, &[&["report"][..], &periods[..], &["--format", "html", "--public", "--output", html_path.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("published periods only") && !html_path.exists(), "{}", stderr(&o));
    let published = json(&run(db, &["report", "--format", "json", "--by", "agency"]));
    let (b_from, b_to) = (published["periods"]["baseline"]["from"].as_str().unwrap(), published["periods"]["baseline"]["to"].as_str().unwrap());
    let next = chrono::NaiveDate::parse_from_str(b_to, "%Y-%m-%d").unwrap().succ_opt().unwrap();
    let after = next.checked_add_months(chrono::Months::new(6)).unwrap().pred_opt().unwrap();
    let (rb, rc) = (format!("{b_from}..{b_to}"), format!("{next}..{after}"));
    let release_periods = ["--baseline", rb.as_str(), "--comparison", rc.as_str()];
    let o = run(db, &[&["report"][..], &release_periods[..], &["--format", "html", "--public", "--release", "--output", html_path.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("Made release 1 of the register"), "{}", stderr(&o));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
    let csv = stdout(&run(db, &[&["report"][..], &periods[..], &["--format", "csv"]].concat()));
    assert!(csv.starts_with("section,period,from,to,breakdown,group,measure,numerator,denominator,value"));
    assert!(csv.lines().count() > 100);
    // Public JSON: no count from 1 to 10 anywhere.
    let r = json(&run(db, &[&["report"][..], &release_periods[..], &["--format", "json", "--public", "--release", "--by", "beat"]].concat()));
    assert_eq!(r["public"], true);
    let mut small = Vec::new();
    fn walk(v: &Value, path: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if ["numerator", "denominator", "count", "n", "people", "encounters", "all_encounters"].contains(&k.as_str())
                        && x.as_u64().is_some_and(|c| (1..=10).contains(&c))
                    {
                        out.push(format!("{path}/{k}"));
                    }
                    walk(x, format!("{path}/{k}"), out);
                }
            }
            Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| walk(x, format!("{path}/{i}"), out)),
            _ => {}
        }
    }
    walk(&r, String::new(), &mut small);
    assert!(small.is_empty(), "{small:?}");
    // Bad input: a clear message, no output file.
    let o = run(db, &["report", "--baseline", "2020-13-01..2020-12-31", "--comparison", "2021-01-01..2021-12-31"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("FROM..TO"), "{}", stderr(&o));
    let o = run(db, &[&["report"][..], &periods[..], &["--by", "shoe_size"]].concat());
    assert!(stderr(&o).contains("not a breakdown"), "{}", stderr(&o));
    // Without periods: the demo's published ones (the year before the co-responder launch, and the
    // last full year), and the public report of them is the published release.
    let o = run(db, &["report", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let internal = json(&o);
    let o = run(db, &["report", "--public", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)["periods"]["baseline"]["from"], internal["periods"]["baseline"]["from"]);
    let register = json(&run(db, &["releases", "--json"]));
    assert_eq!(register.as_array().map(Vec::len), Some(3), "{register}");
    // The repeat list needs the explicit flag, and agrees with the report.
    let o = run(db, &["people", "repeat", "--period", &comparison]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--identifiable"));
    let o = run(db, &["people", "repeat", "--period", &comparison, "--identifiable", "--format", "json"]);
    let people = json(&o);
    let r = json(&run(db, &[&["report"][..], &periods[..], &["--format", "json"]].concat()));
    assert_eq!(Some(people.as_array().unwrap().len() as u64), r["periods"]["comparison"]["measures"]["repeat_people"]["numerator"].as_u64());
}

/// Dallas's encounters as the dallas-uof mapping documents them, counted straight from the CSV
/// (not through pmhc): per encounter (subject and day; unidentified subjects by their fallback
/// key) whether it is a mental-health encounter, arrested and held (APOWW), yes if any row says yes.
struct DallasEncounter {
    half: u8,
    mental_health: bool,
    arrested: Option<bool>,
    held: Option<bool>,
}

fn dallas_from_csv(path: &std::path::Path) -> Vec<DallasEncounter> {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"));
    let [date, subject, offense, arrested, description] =
        ["INCIDENT_DATE", "SUBJECT_ID", "SUBJECT_OFFENSE", "SUBJECT_WAS_ARRESTED", "SUBJECT_DESCRIPTION"].map(col);
    let fallback = ["UOF_NUMBER", "OFFICER_ID", "SUBJECT_RACE", "SUBJECT_GENDER", "SUBJECT_OFFENSE", "SUBJECT_INJURY_TYPE"].map(col);
    let either = |a: Option<bool>, b: Option<bool>| match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), _) | (_, Some(false)) => Some(false),
        _ => None,
    };
    let mut by_key: std::collections::BTreeMap<String, (u8, Option<bool>, Option<bool>, Option<bool>)> = Default::default();
    // The first data row repeats the original column names.
    for row in r.records().skip(1) {
        let row = row.unwrap();
        let f = |i: usize| row.get(i).unwrap_or("").trim();
        let key = if f(subject) != "0" {
            format!("{}|{}", f(subject), f(date))
        } else {
            format!("0|{}", fallback.map(|i| f(i)).join("|"))
        };
        let month: u32 = f(date).split('/').next().unwrap().parse().unwrap();
        let offenses = f(offense);
        let apoww = offenses.split(',').any(|t| t.trim() == "APOWW");
        let row_arrested = if offenses == "APOWW" {
            Some(false)
        } else {
            match f(arrested) {
                "Yes" => Some(true),
                "No" => Some(false),
                _ => None,
            }
        };
        let held = (!offenses.is_empty() && offenses != "NULL").then_some(apoww);
        let flag = match f(description) {
            "Mentally unstable" => Some(true),
            "" | "NULL" => None,
            _ => Some(false),
        };
        let flag = if apoww { Some(true) } else { flag };
        let e = by_key.entry(key).or_insert((if month <= 6 { 1 } else { 2 }, None, None, None));
        (e.1, e.2, e.3) = (either(e.1, flag), either(e.2, row_arrested), either(e.3, held));
    }
    by_key
        .into_values()
        .map(|(half, flag, arrested, held)| DallasEncounter { half, mental_health: flag == Some(true), arrested, held })
        .collect()
}

/// Run one SQL statement on the database at `url` (SQLite or PostgreSQL).
fn execute(url: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        if url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&pool).await.unwrap();
        } else {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&pool).await.unwrap();
        }
    });
}

/// "Diverted (no jail, no emergency department)" on Dallas: an APOWW emergency detention is
/// recorded in the `involuntary_hold` field (the disposition is unknown), and under the
/// definitions saved before `diversion.ended_by` existed it counted as a diversion. Definitions
/// stored by such a version still give the old figure; a version saved now excludes the holds.
/// Both are checked against counts made from the CSV directly.
#[test]
fn dallas_diversion_excludes_emergency_detentions() {
    let Some(file) = shared("dallas-uof-2016/37-00049_UOF-P_2016_prepped.csv") else { return };
    let encounters = dallas_from_csv(&file);
    let count = |half: u8, diverted: &dyn Fn(&DallasEncounter) -> bool| {
        let known: Vec<&DallasEncounter> =
            encounters.iter().filter(|e| e.half == half && e.mental_health && e.arrested.is_some()).collect();
        (known.iter().filter(|e| diverted(e)).count() as u64, known.len() as u64)
    };
    let old_rule = |e: &DallasEncounter| e.arrested == Some(false);
    let new_rule = |e: &DallasEncounter| e.arrested == Some(false) && e.held != Some(true);
    let (old_b, new_b) = (count(1, &old_rule), count(1, &new_rule));
    let holds_b = count(1, &|e| e.arrested == Some(false) && e.held == Some(true)).0;
    eprintln!("Dallas baseline diversions: {old_b:?} before, {new_b:?} now; {holds_b} emergency detentions");
    assert!(holds_b > 100 && new_b.0 < old_b.0 / 5, "most of the old diversions are detentions");
    // As an older pmhc stored its default definitions: no `ended_by`.
    let old_body = stdout(&pmhc().args(["--database", "sqlite::memory:", "definitions", "show", "--json"]).output().unwrap());
    let mut old_def: Value = serde_json::from_str(&old_body).unwrap();
    let old_def = old_def["definition"].take();
    let mut old_def = old_def.clone();
    old_def["diversion"] = serde_json::json!({
        "excluded_dispositions": ["arrest", "involuntary_hold"],
        "excluded_service_types": ["emergency_department"]
    });
    let body = old_def.to_string().replace('\'', "''");
    let dbs = Databases::new();
    let (baseline, comparison) = ("2016-01-01..2016-06-30", "2016-07-01..2016-12-31");
    let diversion = |r: &Value, which: &str| measure(&r["periods"][which], "diversion");
    let mut reports = Vec::new();
    for db in &dbs.urls {
        assert_eq!(run(db, &["db", "migrate"]).status.code(), Some(0));
        execute(db, &format!(
            "INSERT INTO definitions (version, name, body, author, note, created_at) \
             VALUES (1, 'pmhc default definitions', '{body}', 'pmhc', 'default definitions', '2025-01-01T00:00:00.000Z')"
        ));
        import(db, &file, "dallas-uof", dbs.dir());
        let old = report(db, baseline, comparison, &[]);
        assert_eq!(old["definition"]["version"], 1);
        for (which, half) in [("baseline", 1), ("comparison", 2)] {
            let (x, n) = count(half, &old_rule);
            assert_eq!(diversion(&old, which), (Some(x), Some(n)), "{which}, the old definitions");
        }
        // The old version's TOML saved again: a new version, with the new rule.
        let shown = stdout(&run(db, &["definitions", "show"]));
        assert!(!shown.lines().any(|l| l.starts_with("ended_by")), "{shown}");
        let path = dbs.dir().join("defs.toml");
        std::fs::write(&path, shown).unwrap();
        let o = run(db, &["definitions", "set", path.to_str().unwrap(), "--note", "diversion means diversion"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let new = report(db, baseline, comparison, &[]);
        assert_eq!(new["definition"]["version"], 2);
        for (which, half) in [("baseline", 1), ("comparison", 2)] {
            let (x, n) = count(half, &new_rule);
            assert_eq!(diversion(&new, which), (Some(x), Some(n)), "{which}, the new definitions");
        }
        let shown = stdout(&run(db, &["definitions", "show"]));
        let saved: toml::Value = toml::from_str(&shown).unwrap();
        assert_eq!(saved["diversion"]["ended_by"], toml::Value::try_from(["arrest", "involuntary_hold", "emergency_department"]).unwrap());
        // Version 1 still reproduces its report exactly.
        assert_eq!(report(db, baseline, comparison, &["--definitions-version", "1"]), old);
        reports.push(new);
    }
    same_on_every_backend(&dbs, &reports);
}

/// `pmhc report --help` promises default periods from the shared definitions' `[periods]`
/// section (the published periods); the annotated definitions document that section with an
/// example which, saved, does what the help says.
#[test]
fn report_help_and_the_annotated_definitions_agree_on_periods() {
    let help = stdout(&pmhc().args(["report", "--help"]).output().unwrap());
    assert!(help.contains("`[periods.baseline]`") && help.contains("`[periods.comparison]`"), "{help}");
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    // A database without published periods (the demo publishes its own).
    assert_eq!(run(db, &["init"]).status.code(), Some(0));
    let shown = stdout(&run(db, &["definitions", "show"]));
    assert!(shown.contains("# [periods]: the published periods") && shown.contains("# [periods.baseline]"), "{shown}");
    let csv = dbs.dir().join("e.csv");
    assert_eq!(run(db, &["demo", "-n", "2000", "--csv", csv.to_str().unwrap()]).status.code(), Some(0));
    let o = run(db, &["import", csv.to_str().unwrap(), "--mapping", "pmhc"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(db, &["report"]);
    assert!(stderr(&o).contains("which periods?"), "{}", stderr(&o));
    let o = run(db, &["report", "--public"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no periods are published"), "{}", stderr(&o));
    let uncommented: String = shown
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.starts_with("[periods.") || rest.starts_with("from = ") || rest.starts_with("to = ") => rest,
            _ => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let path = dbs.dir().join("periods.toml");
    std::fs::write(&path, &uncommented).unwrap();
    let o = run(db, &["definitions", "set", path.to_str().unwrap(), "--note", "default periods"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&run(db, &["report", "--format", "json"]));
    assert_eq!((r["periods"]["baseline"]["from"].as_str(), r["periods"]["baseline"]["to"].as_str()), (Some("2020-01-01"), Some("2020-12-31")));
    assert_eq!(r["periods"]["comparison"]["from"], "2023-01-01");
    // Each falls back on its own.
    let r = json(&run(db, &["report", "--format", "json", "--comparison", "2021-01-01..2021-12-31"]));
    assert_eq!((r["periods"]["baseline"]["from"].as_str(), r["periods"]["comparison"]["from"].as_str()), (Some("2020-01-01"), Some("2021-01-01")));
    // Published periods are whole months.
    std::fs::write(&path, uncommented.replace("from = \"2020-01-01\"", "from = \"2020-01-15\"")).unwrap();
    let o = run(db, &["definitions", "set", path.to_str().unwrap(), "--note", "half a month"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("2020-01-15..2020-12-31 is not whole months"), "{}", stderr(&o));
    assert!(stdout(&run(db, &["definitions", "show"])).contains("# [periods]: the published periods"), "the set section is annotated");
}
