//! Training end to end on the real binary and server (SQLite and, with `PMHC_TEST_POSTGRES`,
//! PostgreSQL): the three imports refuse bad files whole and name every problem; on generated
//! rosters, completions and encounters, the coverage and the CIT reach — from the CLI and from the
//! page's CSV — equal an independent computation written here; the page shows names of overdue
//! refreshers only to those who keep the records.

mod common;

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use common::*;
use pmhc_core::{Encounter, Officer};

/// A small deterministic generator for the test data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PRECINCTS: [&str; 3] = ["North", "South", "East"];
const SHIFTS: [&str; 2] = ["Day", "Night"];
const ROLES: [&str; 4] = ["patrol_officer", "supervisor", "dispatcher", "clinician"];

struct Person {
    number: String,
    precinct: Option<&'static str>,
    shift: &'static str,
    role: &'static str,
    active: bool,
    /// (course, day) completed.
    done: Vec<(&'static str, NaiveDate)>,
}

fn day(base: NaiveDate, n: u64) -> NaiveDate {
    base + Days::new(n)
}

#[test]
fn coverage_matches_an_independent_count() {
    let dbs = Databases::new();
    let base = NaiveDate::from_ymd_opt(2022, 1, 3).unwrap();
    let today = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    for (n, db) in dbs.urls.iter().enumerate() {
        assert!(run(db, &["init"]).status.success());
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str, body: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, body).unwrap();
            p.to_str().unwrap().to_string()
        };

        // Courses: bad files import nothing and name every problem.
        let bad = path("bad-courses.csv", "name,kind,hours,refresher_months\nCIT,basic_cit,40,24\nYoga,spa,2,\nX,other,0,\n");
        let out = run(db, &["training", "import-courses", &bad]);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains("line 3") && err.contains("`spa`") && err.contains("line 4") && err.contains("hours"), "{err}");
        assert!(!stdout(&run(db, &["training", "courses"])).contains("CIT"), "nothing was imported");
        let courses = path(
            "courses.csv",
            "name,kind,hours,refresher_months\nCIT,basic_cit,40,24\nRefresher,refresher,8,\nDispatch,dispatcher,16,36\nCulture,cultural_competence,4,\n",
        );
        let out = run(db, &["training", "import-courses", &courses]);
        assert!(out.status.success(), "{}", stderr(&out));

        // A generated roster and completions.
        let mut g = Lcg(7 + n as u64);
        let mut people: Vec<Person> = (0..90)
            .map(|i| {
                let role = ROLES[g.below(4) as usize];
                Person {
                    number: format!("{}", 1000 + i),
                    precinct: (g.below(10) > 0).then(|| PRECINCTS[g.below(3) as usize]),
                    shift: SHIFTS[g.below(2) as usize],
                    role,
                    active: g.below(10) > 0,
                    done: Vec::new(),
                }
            })
            .collect();
        for p in &mut people {
            for course in ["CIT", "Refresher", "Dispatch", "Culture"] {
                if g.below(2) == 0 {
                    p.done.push((course, day(base, g.below(1400))));
                }
            }
        }
        let mut roster = String::from("staff_number,name,agency,precinct,shift,role,active\n");
        for p in &people {
            roster += &format!("{},Staff {},City PD,{},{},{},{}\n", p.number, p.number, p.precinct.unwrap_or(""), p.shift, p.role, if p.active { "yes" } else { "no" });
        }
        let bad = path("bad-roster.csv", &format!("{roster}9999,X,City PD,North,Day,sheriff,\n"));
        let err = stderr(&run(db, &["training", "import-roster", &bad]));
        assert!(err.contains(&format!("line {}", people.len() + 2)) && err.contains("`sheriff`"), "{err}");
        let out = run(db, &["training", "import-roster", &path("roster.csv", &roster)]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("90 added"), "{}", stdout(&out));
        let mut completions = String::from("staff_number,course,session_date,location,instructors,completed_on,pre_score,post_score,evaluation\n");
        for p in &people {
            for (course, on) in &p.done {
                completions += &format!("{},{course},{on},Academy,police;lived_experience,,50,80,4\n", p.number);
            }
        }
        let bad = path("bad-completions.csv", &format!("{completions}4242,CIT,2023-01-01,,,,,,\n1000,CIT,2023-01-01,,,,,,9\n"));
        let err = stderr(&run(db, &["training", "import-completions", &bad]));
        assert!(err.contains("not on the roster") && err.contains("evaluation"), "{err}");
        let out = run(db, &["training", "import-completions", &path("completions.csv", &completions)]);
        assert!(out.status.success(), "{}", stderr(&out));

        // Encounters: calls that requested CIT, with officers from the roster (and one stranger).
        let officers: Vec<&Person> = people.iter().filter(|p| matches!(p.role, "patrol_officer" | "supervisor")).collect();
        let mut calls: Vec<(NaiveDate, Option<&str>, Vec<String>)> = Vec::new();
        let mut w = pmhc_import::canonical::CanonicalWriter::new(Vec::new()).unwrap();
        for i in 0..160 {
            let on = day(base, g.below(1400));
            let mut e = Encounter::new("test-cad", format!("E{i}"), on);
            let precinct = (g.below(8) > 0).then(|| PRECINCTS[g.below(3) as usize]);
            e.area.precinct = precinct.map(String::from);
            let requested = g.below(3) > 0;
            e.cit_requested = Some(requested);
            let mut ids: Vec<String> = (0..g.below(3)).map(|_| officers[g.below(officers.len() as u64) as usize].number.clone()).collect();
            if g.below(10) == 0 {
                ids.push("X-1".into());
            }
            ids.sort();
            ids.dedup();
            e.officers = ids.iter().map(|id| Officer { id: Some(id.clone()), ..Default::default() }).collect();
            // The coverage on a day counts the calls up to that day.
            if requested && on <= today {
                calls.push((on, precinct, ids));
            }
            w.write(&e).unwrap();
        }
        let encounters = path("encounters.csv", &String::from_utf8(w.finish().unwrap()).unwrap());
        let out = run(db, &["import", &encounters, "--mapping", "pmhc"]);
        assert!(out.status.success(), "{}", stderr(&out));

        // The independent computation.
        let trained_on = |p: &Person| -> Option<NaiveDate> {
            let qualifying: &[&str] = match p.role {
                "patrol_officer" | "supervisor" => &["CIT"],
                "dispatcher" => &["Dispatch", "CIT"],
                _ => &[],
            };
            p.done.iter().filter(|(c, on)| qualifying.contains(c) && *on <= today).map(|x| x.1).min()
        };
        let group = |p: &Person| match p.role {
            "patrol_officer" | "supervisor" => Some("officers"),
            "dispatcher" => Some("dispatchers"),
            _ => None,
        };
        let mut expected: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
        for p in people.iter().filter(|p| p.active) {
            let Some(gr) = group(p) else { continue };
            let precinct = if gr == "officers" { p.precinct.unwrap_or("").to_string() } else { String::new() };
            for key in [(gr.to_string(), "total".to_string(), String::new()), (gr.to_string(), precinct, p.shift.to_string())] {
                let e = expected.entry(key).or_default();
                e.0 += 1;
                e.1 += u64::from(trained_on(p).is_some());
            }
        }
        let check = |rows: Vec<std::collections::HashMap<String, String>>, from: &str| {
            let mut got: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
            for r in rows {
                let key = if r["total"] == "true" {
                    (r["group"].clone(), "total".to_string(), String::new())
                } else {
                    (r["group"].clone(), r["precinct"].clone(), r["shift"].clone())
                };
                got.insert(key, (r["staff"].parse().unwrap(), r["trained"].parse().unwrap()));
            }
            assert_eq!(got, expected, "the coverage from {from}");
        };
        let on = today.to_string();
        check(csv_rows(&stdout(&run(db, &["training", "coverage", "--format", "csv", "--on", &on]))), "the CLI");

        let mut reach: BTreeMap<String, (u64, u64, u64, u64)> = BTreeMap::new();
        for (on, precinct, ids) in &calls {
            let on_roster: Vec<&&Person> = ids.iter().filter_map(|id| officers.iter().find(|p| &p.number == id)).collect();
            let trained = on_roster.iter().any(|p| {
                p.done.iter().any(|(c, d)| *c == "CIT" && d <= on)
            });
            // Untrained only when every officer is on the roster; otherwise not known.
            let all_on_roster = !ids.is_empty() && on_roster.len() == ids.len();
            for key in ["total".to_string(), precinct.unwrap_or("").to_string()] {
                let e = reach.entry(key).or_default();
                e.0 += 1;
                if trained {
                    e.1 += 1;
                } else if all_on_roster {
                    e.2 += 1;
                } else {
                    e.3 += 1;
                }
            }
        }
        let check_reach = |rows: Vec<std::collections::HashMap<String, String>>, from: &str| {
            let got: BTreeMap<String, (u64, u64, u64, u64)> = rows
                .into_iter()
                .map(|r| {
                    let key = if r["total"] == "true" { "total".to_string() } else { r["precinct"].clone() };
                    let n = |c: &str| r[c].parse::<u64>().unwrap();
                    (key, (n("requested"), n("reached_by_trained"), n("reached_by_untrained"), n("not_known")))
                })
                .collect();
            assert_eq!(got, reach, "the calls that requested CIT, from {from}");
        };
        check_reach(csv_rows(&stdout(&run(db, &["training", "coverage", "--format", "reach-csv", "--on", &on]))), "the CLI");

        // The page and its CSV, for a workgroup member and a data specialist of the same partner.
        add_user(db, "wg", "workgroup_member", "correct horse 42");
        add_user(db, "ds", "data_specialist", "correct horse 42");
        let s = Server::start(db);
        let mut wg = Http::new(&s.base);
        wg.sign_in("wg", "correct horse 42");
        check(csv_rows(&wg.get(&format!("/training?format=csv&on={on}")).text()), "the page");
        check_reach(csv_rows(&wg.get(&format!("/training?format=reach-csv&on={on}")).text()), "the page");
        // The API says the same, and refuses a day it cannot read.
        let api = wg.get(&format!("/api/v1/training/coverage?on={on}")).json();
        let officers_total = api["coverage"].as_array().unwrap().iter().find(|r| r["total"] == true && r["group"] == "officers").unwrap().clone();
        assert_eq!(officers_total["trained"].as_u64(), Some(expected[&("officers".to_string(), "total".to_string(), String::new())].1));
        assert_eq!(api["reach"][0]["requested"].as_u64(), Some(reach["total"].0));
        assert!(api["overdue"].as_array().unwrap().is_empty() && api["overdue_total"].as_u64().unwrap() > 0, "counts, no names, for a workgroup member");
        assert_eq!(wg.get("/api/v1/training/coverage?on=yesterday").status, 400);
        let page = wg.get(&format!("/training?on={on}"));
        assert_eq!(page.status, 200);
        let html = page.text();
        assert!(html.contains("<svg") && html.contains("Share of patrol officers"), "the chart");
        assert!(html.contains("Refreshers overdue: <strong>"), "the overdue count is shown to everyone");
        assert!(!html.contains("<table id=\"overdue\""), "a workgroup member sees no names");
        let mut ds = Http::new(&s.base);
        ds.sign_in("ds", "correct horse 42");
        let html = ds.get(&format!("/training?on={on}")).text();
        let overdue: Vec<&Person> = people
            .iter()
            .filter(|p| p.active && group(p).is_some() && trained_on(p).is_some_and(|_| {
                // Renewed by the latest qualifying or refresher course; CIT runs 24 months, the dispatcher course 36.
                let first = p.done.iter().filter(|(c, d)| *d <= today && match p.role { "dispatcher" => *c == "Dispatch" || *c == "CIT", _ => *c == "CIT" }).min_by_key(|x| x.1).unwrap();
                let months = if first.0 == "CIT" { 24 } else { 36 };
                let last = p.done.iter().filter(|(c, d)| *d <= today && (*c == "Refresher" || *c == first.0 || (p.role == "dispatcher" && (*c == "CIT" || *c == "Dispatch")))).map(|x| x.1).max().unwrap();
                last.checked_add_months(chrono::Months::new(months)).unwrap() < today
            }))
            .collect();
        assert!(!overdue.is_empty(), "the data has overdue refreshers");
        for p in &overdue {
            assert!(html.contains(&format!("<td>{}</td><td>Staff {}</td>", p.number, p.number)), "{} is listed as overdue", p.number);
        }
        assert!(html.contains(&format!("Refreshers overdue: <strong>{}</strong>", overdue.len())), "the overdue count");

        // The import form: a data specialist's file with a bad row imports nothing and lists the
        // problem with its line; a good one is imported for the specialist's partner.
        assert!(html.contains("action=\"/training/import\""), "the import form for those who import");
        assert!(!wg.get("/training").text().contains("action=\"/training/import\""), "no import form for a workgroup member");
        let csrf = ds.csrf();
        let bad = b"staff_number,name,agency,precinct,shift,role,active\n9001,New Officer,City PD,North,Day,patrol_officer,\n9002,X,City PD,North,Day,sheriff,\n";
        let r = ds.post_multipart("/training/import", &[("csrf", &csrf), ("kind", "roster")], &[("file", "roster.csv", bad)]);
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("line 3") && r.text().contains("Nothing was imported"), "{}", r.text());
        assert!(!stdout(&run(db, &["training", "roster"])).contains("9001"), "nothing was imported");
        let good = b"staff_number,name,agency,precinct,shift,role,active\n9001,New Officer,City PD,North,Day,patrol_officer,\n";
        let r = ds.post_multipart("/training/import", &[("csrf", &csrf), ("kind", "roster")], &[("file", "roster.csv", good)]);
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("1 staff added"), "{}", r.text());
        assert!(stdout(&run(db, &["training", "roster"])).contains("9001"), "imported through the page");
        let r = wg.post_multipart("/training/import", &[("csrf", "x"), ("kind", "roster")], &[("file", "roster.csv", good)]);
        assert_eq!(r.status, 403, "a workgroup member may not import");
        let courses = b"name,kind,hours,refresher_months\nCIT,other,1,\n";
        let r = ds.post_multipart("/training/import", &[("csrf", &csrf), ("kind", "courses")], &[("file", "courses.csv", courses)]);
        assert_eq!(r.status, 403, "the programme's courses are kept by administrators and coordinators, not a partner's data specialist");
        assert!(stdout(&run(db, &["training", "courses"])).contains("Basic CIT"), "the course is unchanged");

        // Another partner sees the calls only through an agreement sharing incident details, and
        // their precincts only with area and time; never the first partner's staff names.
        assert!(run(db, &["partner", "add", "County BH", "--sector", "behavioral_health"]).status.success());
        add_user_of(db, "bh", "data_specialist", "County BH", "correct horse 42");
        let mut bh = Http::new(&s.base);
        bh.sign_in("bh", "correct horse 42");
        let api = bh.get(&format!("/api/v1/training/coverage?on={on}")).json();
        assert_eq!(api["reach"][0]["requested"].as_u64(), Some(0), "no agreement: no calls");
        assert!(api["overdue"].as_array().unwrap().is_empty(), "no names of another partner's staff");
        let out = run(db, &[
            "agreement", "add", "--title", "incident details", "--discloser", "Default partner", "--recipient", "County BH",
            "--groups", "incident_details", "--purpose", "care_coordination", "--legal-basis", "45 CFR 164.506(c)",
            "--effective", "2025-01-01", "--expires", "2030-12-31",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let rows = csv_rows(&bh.get(&format!("/training?format=reach-csv&on={on}")).text());
        assert_eq!(rows[0]["requested"], reach["total"].0.to_string(), "the calls through the agreement");
        assert!(rows.iter().skip(1).all(|r| r["precinct"].is_empty()), "no precinct without area and time: {rows:?}");
        // On a day before the agreement, it shared nothing.
        let before = bh.get("/api/v1/training/coverage?on=2024-12-31").json();
        assert_eq!(before["reach"][0]["requested"].as_u64(), Some(0), "the agreement was not in force then");
    }
}
