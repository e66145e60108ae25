//! Capacity over time and the gap analysis end to end: capacity reported on the command line, from
//! a file and through the API (providers only); referrals with random states, subject groups and
//! precincts; the monthly and disparity CSVs of /gaps checked against an independent computation
//! here, as the referrer sees them and as a provider sees them through a sharing agreement
//! (SQLite and, with `PMHC_TEST_POSTGRES`, PostgreSQL).

mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDateTime};
use common::*;
use serde_json::{Value, json};

const INVENTORY: &str = "provider,name,kind,intercept,eligibility,hours,capacity,police_dropoff,transit_access,phone,address,area
County Behavioral Health,Crisis Centre North,crisis_centre,1,adults 18+,24/7,12,yes,yes,555-0100,1 Main St,North
County Behavioral Health,Detox East,detox,1,,24/7,,no,no,,,East
County Behavioral Health,Sunday Clinic,outpatient_mental_health,0,,Sun 09:00-10:00,40,no,yes,555-0102,9 Elm St,South
";

/// A small deterministic generator (xorshift64*), seeded per run and printed on failure.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
    fn pick<'a>(&mut self, weighted: &[(&'a str, u64)]) -> &'a str {
        let total: u64 = weighted.iter().map(|w| w.1).sum();
        let mut r = self.below(total);
        for (v, w) in weighted {
            if r < *w {
                return v;
            }
            r -= w;
        }
        weighted[0].0
    }
}

/// Wilson score interval at 95%, written out again here.
fn wilson(x: f64, n: f64) -> (f64, f64) {
    let z = 1.959_963_984_540_054_f64;
    let p = x / n;
    let d = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / d;
    let h = z / d * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((c - h).max(0.0), (c + h).min(1.0))
}

fn month(t: NaiveDateTime) -> (i32, u32) {
    (t.year(), t.month())
}

fn close(csv: &str, want: f64, what: &str) {
    let got: f64 = csv.parse().unwrap_or_else(|_| panic!("{what}: `{csv}` is not a number"));
    assert!((got - want).abs() < 6e-4, "{what}: {got} != {want}");
}

/// One referral as the test made it.
struct Made {
    service: i64,
    race: &'static str,
    gender: &'static str,
    age: &'static str,
    precinct: &'static str,
}

#[test]
fn capacity_over_time_and_the_gap_analysis() {
    let seed = rand_suffix() | 1;
    eprintln!("seed {seed}");
    let dbs = Databases::new();
    for db in &dbs.urls {
        let mut rng = Rng(seed);
        assert!(run(db, &["init"]).status.success());
        assert!(run(db, &["partner", "set", "1", "--name", "City Police", "--sector", "law_enforcement"]).status.success());
        assert!(run(db, &["partner", "add", "County Behavioral Health", "--sector", "behavioral_health"]).status.success());
        assert!(run(db, &["partner", "add", "Housing Services", "--sector", "housing"]).status.success());
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("services.csv");
        std::fs::write(&file, INVENTORY).unwrap();
        assert!(run(db, &["services", "import", file.to_str().unwrap()]).status.success());
        let ids: HashMap<String, i64> = stdout(&run(db, &["services", "list"]))
            .lines()
            .filter_map(|l| {
                let id = l.split_whitespace().next()?.parse().ok()?;
                ["Crisis Centre North", "Detox East", "Sunday Clinic"].iter().find(|n| l.contains(*n)).map(|n| (n.to_string(), id))
            })
            .collect();
        let (centre, detox, clinic_svc) = (ids["Crisis Centre North"], ids["Detox East"], ids["Sunday Clinic"]);
        let inventory_capacity: HashMap<i64, Option<u32>> = HashMap::from([(centre, Some(12)), (detox, None), (clinic_svc, Some(40))]);

        // Capacity on the command line, then from a file: a file with a bad row imports nothing
        // and names every problem with its line.
        let help = stdout(&run(db, &["services", "capacity", "--help"]));
        assert!(help.contains("--available") && help.contains("--total") && help.contains("--at"), "{help}");
        // Reports in the last year on the tests' clock: `at(-10, "15 08:00")` is the 15th of the
        // month ten months ago at 08:00.
        let at = |months: i32, rest: &str| format!("{}{rest}", &month_start(months)[..8]);
        let out = run(db, &["services", "capacity", &centre.to_string(), "--available", "0", "--total", "20", "--at", &at(-10, "15 08:00")]);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = run(db, &["services", "capacity", &centre.to_string(), "--available", "1", "--at", "1990-01-01"]);
        assert!(!out.status.success() && stderr(&out).contains("before 2000"), "{}", stderr(&out));
        let out = run(db, &["services", "capacity", "9999", "--available", "1"]);
        assert!(!out.status.success() && stderr(&out).contains("service"), "an unknown service is refused");
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, format!("service_id,reported_at,available,total\n{detox},{},2,6\n9999,{},1,\n{detox},soon,x,\n", at(-8, "01 00:00"), at(-8, "01"))).unwrap();
        let out = run(db, &["services", "capacity-import", bad.to_str().unwrap()]);
        let err = stderr(&out);
        assert!(!out.status.success() && err.contains("line 3") && err.contains("line 4") && err.contains("reported_at") && err.contains("available"), "{err}");
        let good = dir.path().join("capacity.csv");
        std::fs::write(&good, format!(
                "service_id,reported_at,available,total\n{detox},{},2,6\n{detox},{},0,\n{centre},{},0,\n",
                at(-8, "01 00:00"),
                at(-6, "10 12:00"),
                at(-5, "01")
            )).unwrap();
        let out = run(db, &["services", "capacity-import", good.to_str().unwrap()]);
        assert!(out.status.success() && stdout(&out).contains("Imported 3 capacity reports"), "{}", stderr(&out));
        // (service, reported_at, available, total)
        let mut updates: Vec<(i64, NaiveDateTime, u32, Option<u32>)> = vec![
            (centre, at(-10, "15T08:00:00").parse().unwrap(), 0, Some(20)),
            (detox, at(-8, "01T00:00:00").parse().unwrap(), 2, Some(6)),
            (detox, at(-6, "10T12:00:00").parse().unwrap(), 0, None),
            (centre, at(-5, "01T00:00:00").parse().unwrap(), 0, None),
        ];

        let pw = "correct horse 42";
        add_user_of(db, "officer1", "officer", "City Police", pw);
        add_user_of(db, "nurse1", "clinician", "County Behavioral Health", pw);
        add_user_of(db, "housing1", "clinician", "Housing Services", pw);
        let s = Server::start(db);
        let client = |user: &str| {
            let mut h = Http::new(&s.base);
            h.token = Some(add_token(db, user));
            h
        };
        let (mut police, mut clinic, mut housing) = (client("officer1"), client("nurse1"), client("housing1"));

        // Before any referral, the page says so.
        let mut page = Http::new(&s.base);
        page.sign_in("officer1", pw);
        let empty = page.get("/gaps");
        assert_eq!(empty.status, 200);
        assert!(empty.text().contains("No referrals yet."), "{}", empty.text());

        // The API: the provider reports; another partner's users may not.
        let path = format!("/api/v1/services/{clinic_svc}/capacity");
        let r = clinic.send_json("POST", &path, &json!({"available": 5, "total": 30, "reported_at": at(-7, "02T09:30")}), &[]);
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["total"], 30);
        let location = r.header("location").expect("Location").to_string();
        let back = police.get(&location);
        assert_eq!(back.status, 200, "{}", back.text());
        assert_eq!((back.json()["available"].clone(), back.json()["reported_by"].clone()), (json!(5), json!("nurse1")));
        assert_eq!(police.get(&format!("/api/v1/services/{centre}/capacity/{}", r.json()["id"])).status, 404, "of another service");
        updates.push((clinic_svc, at(-7, "02T09:30:00").parse().unwrap(), 5, Some(30)));
        for other in [&mut housing, &mut police] {
            let r = other.send_json("POST", &path, &json!({"available": 0}), &[]);
            assert_eq!(r.status, 403, "{}", r.text());
            assert_eq!(r.json()["error"], "forbidden");
        }
        assert_eq!(clinic.send_json("POST", "/api/v1/services/9999/capacity", &json!({"available": 0}), &[]).status, 404);
        assert_eq!(clinic.send_json("POST", &path, &json!({"available": -1}), &[]).status, 422);
        let r = clinic.send_json("POST", &path, &json!({"available": 1, "reported_at": "2099-01-01T00:00"}), &[]);
        assert!(r.status == 400 && r.text().contains("future"), "{}", r.text());
        let r = clinic.send_json("POST", &path, &json!({"available": 0}), &[]);
        assert_eq!(r.status, 201, "now, by default");
        let now_at: NaiveDateTime = r.json()["reported_at"].as_str().unwrap().parse().unwrap();
        updates.push((clinic_svc, now_at, 0, None));
        let doc = police.get("/api/v1/openapi.json").json();
        assert!(doc["paths"]["/api/v1/services/{id}/capacity"]["post"].is_object(), "in the OpenAPI document");
        assert!(doc["paths"]["/api/v1/services/{id}/capacity/{report}"]["get"].is_object(), "in the OpenAPI document");
        let audit = stdout(&run(db, &["audit", "list", "--actor", "nurse1", "--json", "--limit", "50"]));
        assert!(audit.contains(&format!("service:{clinic_svc}")) && audit.contains("capacity 5 free of 30"), "{audit}");

        // Referrals with random states, groups and precincts.
        let mut made: HashMap<i64, Made> = HashMap::new();
        for i in 0..60 {
            let m = Made {
                service: [centre, centre, detox, clinic_svc][rng.below(4) as usize],
                race: rng.pick(&[("black", 40), ("white", 30), ("hispanic", 20), ("asian", 6), ("unknown", 4)]),
                gender: rng.pick(&[("female", 45), ("male", 50), ("non_binary", 5)]),
                age: rng.pick(&[("18_24", 30), ("25_34", 40), ("35_44", 25), ("65_plus", 5)]),
                precinct: rng.pick(&[("North", 45), ("South", 40), ("East", 15)]),
            };
            let key = format!("G-{i}");
            let e = json!({"source_system": "cad", "source_key": key, "occurred_on": day(-3), "area": {"precinct": m.precinct},
                           "race_ethnicity": m.race, "gender": m.gender, "age_band": m.age});
            assert_eq!(police.send_json("POST", "/api/v1/encounters", &e, &[]).status, 201);
            let r = police.send_json("POST", "/api/v1/referrals", &json!({"source_system": "cad", "source_key": key, "service_id": m.service}), &[]);
            assert_eq!(r.status, 201, "{}", r.text());
            let id = r.json()["id"].as_i64().unwrap();
            let mv = |h: &mut Http, to: &str, reason: Option<&str>| {
                let body = json!({"to": to, "reason": reason});
                let r = h.send_json("POST", &format!("/api/v1/referrals/{id}/move"), &body, &[]);
                assert_eq!(r.status, 200, "{}", r.text());
            };
            match rng.below(6) {
                0 => {}
                1 => mv(&mut clinic, "accepted", None),
                2 | 3 => {
                    mv(&mut clinic, "accepted", None);
                    mv(&mut clinic, "connected", None);
                }
                4 => mv(&mut clinic, "turned_away", Some(["no_capacity", "not_eligible", "closed", "no_response"][rng.below(4) as usize])),
                _ => mv(&mut police, "cancelled", None),
            }
            made.insert(id, m);
        }
        let listed = police.get("/api/v1/referrals").json();
        let listed: Vec<&Value> = listed.as_array().expect("referrals").iter().filter(|r| made.contains_key(&r["id"].as_i64().unwrap())).collect();
        assert_eq!(listed.len(), 60);
        let made_at = |r: &Value| chrono::DateTime::parse_from_rfc3339(r["created_at"].as_str().unwrap()).unwrap().naive_utc();
        let connected = |r: &Value| r["state"] == "connected" || r["state"] == "completed";
        let no_capacity = |r: &Value| r["state"] == "turned_away" && r["reason"] == "no_capacity";

        // The monthly table, computed here: every month from the first referral or report to
        // the last, for every service with either.
        let months: Vec<(i32, u32)> = listed.iter().map(|r| month(made_at(r))).chain(updates.iter().map(|u| month(u.1))).collect();
        let (first, last) = (*months.iter().min().unwrap(), *months.iter().max().unwrap());
        let mut expected: Vec<BTreeMap<&str, String>> = Vec::new();
        for sid in [centre, detox, clinic_svc] {
            let mut m = first;
            while m <= last {
                let end = if m.1 == 12 { (m.0 + 1, 1) } else { (m.0, m.1 + 1) };
                let end: NaiveDateTime = format!("{:04}-{:02}-01T00:00:00", end.0, end.1).parse().unwrap();
                let here: Vec<&&Value> = listed.iter().filter(|r| r["service_id"] == sid && month(made_at(r)) == m).collect();
                let capacity = updates
                    .iter()
                    .filter(|u| u.0 == sid && u.1 < end && u.3.is_some())
                    .max_by_key(|u| u.1)
                    .map_or(inventory_capacity[&sid], |u| u.3);
                let mut row = BTreeMap::new();
                row.insert("service_id", sid.to_string());
                row.insert("month", format!("{:04}-{:02}", m.0, m.1));
                row.insert("referrals", here.len().to_string());
                row.insert("connected", here.iter().filter(|r| connected(r)).count().to_string());
                row.insert("turned_away_no_capacity", here.iter().filter(|r| no_capacity(r)).count().to_string());
                row.insert("capacity", capacity.map(|c| c.to_string()).unwrap_or_default());
                row.insert("reported_full", updates.iter().filter(|u| u.0 == sid && month(u.1) == m && u.2 == 0).count().to_string());
                row.insert("utilisation", capacity.filter(|c| *c > 0).map(|c| format!("{:.3}", here.len() as f64 / f64::from(c))).unwrap_or_default());
                expected.push(row);
                m = if m.1 == 12 { (m.0 + 1, 1) } else { (m.0, m.1 + 1) };
            }
        }
        let got: Vec<BTreeMap<&str, String>> = csv_rows(&police.get("/gaps?format=csv&table=monthly").text())
            .into_iter()
            .map(|r| expected[0].keys().map(|k| (*k, r[*k].clone())).collect())
            .collect();
        assert_eq!(got, expected, "the monthly table");

        // The disparity tables, computed here, as the referrer sees them (its own records).
        let check = |h: &mut Http, group_of: &dyn Fn(&str, &Made) -> String, ctx: &str| {
            let rows = csv_rows(&h.get("/gaps?format=csv&table=disparities").text());
            let mut tally = (0, 0);
            for dim in ["race_ethnicity", "gender", "age_band", "precinct"] {
                let mut groups: BTreeMap<String, (u64, u64)> = BTreeMap::new();
                for r in listed.iter().filter(|r| r["state"] != "proposed") {
                    let g = groups.entry(group_of(dim, &made[&r["id"].as_i64().unwrap()])).or_default();
                    g.0 += 1;
                    g.1 += u64::from(connected(r));
                }
                let (n, x) = groups.values().fold((0, 0), |a, g| (a.0 + g.0, a.1 + g.1));
                let mine: Vec<&HashMap<String, String>> = rows.iter().filter(|r| r["dimension"] == dim).collect();
                let mut codes: Vec<String> = mine.iter().map(|r| r["group_code"].clone()).collect();
                codes.sort();
                assert_eq!(codes, groups.keys().cloned().collect::<Vec<_>>(), "[{ctx}] the groups of {dim}");
                let hidden = mine.iter().filter(|r| r["suppressed"] == "true").count();
                assert!(hidden != 1 || mine.len() == 1, "[{ctx}] one hidden group alone would be the total minus the others");
                for r in &mine {
                    let (gn, gx) = groups[&r["group_code"]];
                    if (1..=10).contains(&gn) || r["suppressed"] == "true" {
                        tally.1 += 1;
                        assert!(r["suppressed"] == "true" && r["referrals"].is_empty() && r["rate"].is_empty(), "[{ctx}] {dim} {r:?} is small");
                        continue;
                    }
                    tally.0 += 1;
                    assert_eq!((r["referrals"].clone(), r["connected"].clone()), (gn.to_string(), gx.to_string()), "[{ctx}] {dim} {r:?}");
                    close(&r["rate"], gx as f64 / gn as f64, "rate");
                    let (lo, hi) = wilson(gx as f64, gn as f64);
                    close(&r["ci95_lower"], lo, "lower");
                    close(&r["ci95_upper"], hi, "upper");
                    if n > gn {
                        close(&r["difference"], gx as f64 / gn as f64 - (x - gx) as f64 / (n - gn) as f64, "difference");
                    }
                }
            }
            tally
        };
        let full = |dim: &str, m: &Made| match dim {
            "race_ethnicity" => m.race.to_string(),
            "gender" => m.gender.to_string(),
            "age_band" => m.age.to_string(),
            _ => m.precinct.to_string(),
        };
        let (shown, hidden) = check(&mut police, &full, "the referrer");
        assert!(shown > 4 && hidden > 0, "some groups shown, some small ones not ({shown}, {hidden})");
        // The provider has no agreement with the police: every group is "not known" to it.
        check(&mut clinic, &|_, _| "unknown".to_string(), "no agreement");
        // With an agreement sharing demographics but not the area, it sees the groups only.
        let out = run(db, &[
            "agreement", "add", "--title", "demographics for the gap analysis", "--discloser", "City Police", "--recipient",
            "County Behavioral Health", "--groups", "demographics", "--purpose", "care_coordination", "--legal-basis", "45 CFR 164.506(c)",
            "--effective", &day(-365), "--expires", &day(4 * 365),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        check(&mut clinic, &|d, m| if d == "precinct" { "unknown".to_string() } else { full(d, m) }, "demographics only");

        // The page: every section, its charts labelled, the old CSV unchanged.
        let html = page.get("/gaps").text();
        for id in ["id=\"monthly\"", "id=\"turn-aways\"", "id=\"strained\"", "id=\"under-used\"", "id=\"access-race_ethnicity\"", "id=\"access-precinct\""] {
            assert!(html.contains(id), "{id} on the page");
        }
        assert!(html.contains("role=\"img\"") && html.contains("<title id=\"turn-aways-t\">"));
        assert!(html.contains("out of reach") && html.contains("not eligible"), "the page says what out of reach means");
        let services = csv_rows(&police.get("/gaps?format=csv").text());
        assert!(services[0].contains_key("turned_away_no_capacity") && services.len() == 3);
        assert_eq!(police.get("/gaps?format=csv&table=nonsense").status, 400);
    }
}
