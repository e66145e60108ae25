//! The service inventory end to end: `pmhc services import/list/export` on the real binary, and
//! the public resource guide and intercept map served from it (SQLite and, with
//! `PMHC_TEST_POSTGRES`, PostgreSQL).

mod common;

use common::*;

const INVENTORY: &str = "provider,name,kind,intercept,eligibility,hours,capacity,police_dropoff,transit_access,phone,address,area
County Behavioral Health,Crisis Centre North,crisis_centre,1,adults 18+,24/7,12,yes,yes,555-0100,1 Main St,North
County Behavioral Health,988 Lifeline,line_988,0,,24/7,,no,no,988,,
County Behavioral Health,Sunday Clinic,outpatient_mental_health,0,,Sun 09:00-10:00,,no,yes,555-0102,9 Elm St,South
";

#[test]
fn the_inventory_the_guide_and_the_intercept_map() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        assert!(run(db, &["init"]).status.success());
        assert!(run(db, &["partner", "add", "County Behavioral Health", "--sector", "behavioral_health"]).status.success());
        let dir = tempfile::tempdir().expect("tempdir");
        // A file with bad rows imports nothing and names every problem with its line.
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, format!("{INVENTORY}Nobody,X,detox,1,,24/7,,no,no,,,\nCounty Behavioral Health,Y,spa,1,,24/7,,no,no,,,\n")).unwrap();
        let out = run(db, &["services", "import", bad.to_str().unwrap()]);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains("line 5") && err.contains("not a partner") && err.contains("line 6") && err.contains("`spa`"), "{err}");
        assert!(!stdout(&run(db, &["services", "list"])).contains("Crisis Centre North"), "nothing was imported");
        // A good file.
        let good = dir.path().join("services.csv");
        std::fs::write(&good, INVENTORY).unwrap();
        let out = run(db, &["services", "import", good.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("Imported 3 services"));
        // Importing again changes nothing; the export reads back the same.
        assert!(run(db, &["services", "import", good.to_str().unwrap()]).status.success());
        let list = stdout(&run(db, &["services", "list"]));
        assert_eq!(list.lines().filter(|l| l.contains("(County Behavioral Health)")).count(), 3, "{list}");
        let exported = stdout(&run(db, &["services", "export"]));
        let sorted = |t: &str| {
            let mut v: Vec<String> = t.replace("\r\n", "\n").lines().map(String::from).collect();
            v.sort();
            v
        };
        assert_eq!(sorted(&exported), sorted(INVENTORY), "the export holds the rows imported (by provider and name)");

        let s = Server::start(db);
        let mut anon = Http::new(&s.base);
        let page = anon.get("/resources");
        assert_eq!(page.status, 200, "the guide needs no sign-in");
        let html = page.text();
        for name in ["Crisis Centre North", "988 Lifeline", "Sunday Clinic"] {
            assert!(html.contains(name), "{name} in the guide");
        }
        assert!(html.contains("href=\"tel:555-0100\""), "phones are links");
        // The crisis line comes before the clinic (what to call first).
        assert!(html.find("988 Lifeline") < html.find("Sunday Clinic"));
        let dropoff = anon.get("/resources?dropoff=1").text();
        assert!(dropoff.contains("Crisis Centre North") && !dropoff.contains("988 Lifeline"), "the drop-off filter");
        let open = anon.get("/resources?open=1").text();
        assert!(open.contains("Crisis Centre North"), "24/7 is open now");
        let south = anon.get("/resources?area=South").text();
        assert!(south.contains("Sunday Clinic") && !south.contains("Crisis Centre North"), "the area filter");
        let map = anon.get("/intercepts");
        assert_eq!(map.status, 200);
        let map = map.text();
        let section = |n: u8| {
            let start = map.find(&format!("id=\"intercept-{n}\"")).expect("intercept section");
            let end = map[start..].find("</li>\n").map_or(map.len(), |e| start + e);
            map[start..end].to_string()
        };
        assert!(section(1).contains("Crisis Centre North") && section(1).contains("1 taking police drop-off"));
        assert!(section(1).contains("Gaps:") && section(1).contains("Mobile crisis team") && !section(1).contains("Gaps:</strong> Crisis centre"));
        assert!(section(0).contains("988 Lifeline") && !section(0).contains("988 crisis line,") && section(0).contains("Warm line"));
        assert!(section(3).contains("0 services"), "nothing at intercept 3 yet");
    }
}
