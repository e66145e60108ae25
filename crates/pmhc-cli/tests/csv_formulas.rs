//! CSV exports are opened in spreadsheets (OWASP "CSV injection"): a text cell a spreadsheet would
//! read as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) is written with a leading
//! `'`, numbers as they are, in the CLI's and the web's exports, the audit trail's included; the
//! canonical encounter CSV re-imports with the `pmhc` mapping into the very same records.

mod common;

use common::*;
use serde_json::Value;

const PASSWORD: &str = "correct horse 42";
const FORMULA: &str = "=HYPERLINK(\"http://x\",\"y\")";

/// pmhc's canonical CSV as pmhc writes it: the texts carry the prefix, the numbers do not.
const CANONICAL: &str = "source_key,occurred,subject_key,mental_health_flag,agency,precinct,beat,longitude,latitude,initial_call_type\n\
K1,2024-03-01,'=p1,true,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+North,''=A1,-122.33,47.61,'@CRISIS\n\
K2,2024-03-20,'=p1,true,'-agency,'-South,'quoted,-1.6,-33.9,PERSON IN CRISIS\n\
K3,2024-04-02,-7,false,@,+1,-,-0.5,0,'-\n";

const INVENTORY: &str = "provider,name,kind,intercept,eligibility,hours,capacity,police_dropoff,transit_access,phone,address,area
County Behavioral Health,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",crisis_centre,1,-adults 18+,24/7,12,yes,yes,+1 555 0100,@1 Main St,-North
County Behavioral Health,988 Lifeline,line_988,0,,24/7,,no,no,988,,
";

/// No cell of a CSV text starts as a formula; a cell that starts with `-` or `+` is a number.
fn assert_no_formulas(what: &str, text: &str) {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    for row in r.records() {
        for cell in row.expect("a CSV row").iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']) || cell.parse::<f64>().is_ok(), "{what}: a formula {cell:?}");
        }
    }
}

/// The row of each key (source_key written as is: none of these keys needs the prefix).
fn by_key(text: &str) -> std::collections::HashMap<String, std::collections::HashMap<String, String>> {
    csv_rows(text).into_iter().map(|r| (r["source_key"].clone(), r)).collect()
}

/// What the canonical rows of `CANONICAL` must look like in an export.
fn assert_canonical_rows(what: &str, text: &str) {
    assert_no_formulas(what, text);
    let rows = by_key(text);
    let k1 = &rows["K1"];
    for (column, cell) in [
        ("subject_key", "'=p1"),
        ("agency", "'=HYPERLINK(\"http://x\",\"y\")"),
        ("precinct", "'+North"),
        ("beat", "''=A1"),
        ("longitude", "-122.33"),
        ("latitude", "47.61"),
        ("initial_call_type", "'@CRISIS"),
    ] {
        assert_eq!(k1[column], cell, "{what}: K1 {column}");
    }
    let k3 = &rows["K3"];
    for (column, cell) in [("subject_key", "-7"), ("agency", "'@"), ("precinct", "+1"), ("beat", "'-"), ("longitude", "-0.5"), ("initial_call_type", "'-")] {
        assert_eq!(k3[column], cell, "{what}: K3 {column}");
    }
}

/// Import a canonical CSV with the `pmhc` mapping; the JSON summary.
fn import(db: &str, path: &std::path::Path) -> Value {
    let rejects = path.with_extension("rejects.csv");
    let o = run(db, &["import", &path.display().to_string(), "--mapping", "pmhc", "--json", "--rejects", &rejects.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    json(&o)
}

#[test]
fn every_export_writes_formulas_as_text_and_re_imports_as_it_was() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("in.csv");
        std::fs::write(&file, CANONICAL).expect("write");
        let s = import(db, &file);
        assert_eq!((s["accepted"].as_u64(), s["rejected"].as_u64()), (Some(3), Some(0)), "{s}");

        // The prefix is taken off on import: the records hold the texts themselves.
        let list = json(&run(db, &["encounters", "list", "--format", "json"]));
        let k1 = list.as_array().and_then(|l| l.iter().find(|e| e["source_key"] == "K1")).expect("K1");
        assert_eq!(k1["agency"], FORMULA);
        assert_eq!(k1["subject_key"], "=p1");
        assert_eq!(k1["area"]["beat"], "'=A1");
        assert_eq!(k1["area"]["longitude"], -122.33);

        // `pmhc encounters list --format csv` writes them back as they came, and that re-imports
        // into the very same records.
        let o = run(db, &["encounters", "list", "--format", "csv"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let cli_csv = stdout(&o);
        assert_canonical_rows("encounters list --format csv", &cli_csv);
        let again = dir.path().join("cli.csv");
        std::fs::write(&again, &cli_csv).expect("write");
        let s = import(db, &again);
        assert_eq!((s["unchanged"].as_u64(), s["inserted"].as_u64(), s["updated"].as_u64()), (Some(3), Some(0), Some(0)), "{s}");

        // `pmhc people repeat --format csv`: the person key is text.
        let o = run(db, &["people", "repeat", "--period", "2024-01-01..2024-12-31", "--identifiable", "--format", "csv"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let people = stdout(&o);
        assert_no_formulas("people repeat", &people);
        assert_eq!(csv_rows(&people).iter().map(|r| r["subject_key"].as_str()).collect::<Vec<_>>(), ["'=p1"], "{people}");

        // The service inventory: `pmhc services export` writes the names as text, and reads its
        // own export back as it was (a second export is the same file).
        assert!(run(db, &["partner", "add", "County Behavioral Health", "--sector", "behavioral_health"]).status.success());
        let inventory = dir.path().join("services.csv");
        std::fs::write(&inventory, INVENTORY).expect("write");
        let o = run(db, &["services", "import", &inventory.display().to_string()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let exported = stdout(&run(db, &["services", "export"]));
        assert_no_formulas("services export", &exported);
        let crisis = csv_rows(&exported).into_iter().find(|r| r["name"] == format!("'{FORMULA}")).unwrap_or_else(|| panic!("{exported}"));
        assert_eq!((crisis["eligibility"].as_str(), crisis["phone"].as_str()), ("'-adults 18+", "'+1 555 0100"));
        std::fs::write(&inventory, &exported).expect("write");
        assert!(run(db, &["services", "import", &inventory.display().to_string()]).status.success());
        assert_eq!(stdout(&run(db, &["services", "export"])), exported, "the export re-imports as it was");

        add_user(db, "analyst", "analyst", PASSWORD);
        add_user(db, "auditor", "auditor", PASSWORD);
        let server = Server::start(db);
        // A failed sign-in whose user name is a formula: the name is the audit entry's actor.
        let mut stranger = Http::new(&server.base);
        assert_eq!(stranger.sign_in_status(FORMULA, "not the password").status, 401);

        // /encounters.csv: the same rows, and it re-imports into the same records too.
        let mut analyst = Http::new(&server.base);
        analyst.sign_in("analyst", PASSWORD);
        let r = analyst.get("/encounters.csv");
        assert_eq!(r.status, 200, "{}", r.text());
        let web_csv = r.text();
        assert_canonical_rows("/encounters.csv", &web_csv);
        let again = dir.path().join("web.csv");
        std::fs::write(&again, &web_csv).expect("write");
        let s = import(db, &again);
        assert_eq!((s["unchanged"].as_u64(), s["inserted"].as_u64(), s["updated"].as_u64()), (Some(3), Some(0), Some(0)), "{s}");

        // The gap analysis names the services.
        for table in ["services", "monthly", "disparities"] {
            let r = analyst.get(&format!("/gaps?format=csv&table={table}"));
            assert_eq!(r.status, 200, "{}", r.text());
            assert_no_formulas(&format!("/gaps {table}"), &r.text());
        }
        let gaps = csv_rows(&analyst.get("/gaps?format=csv").text());
        assert!(gaps.iter().any(|g| g["service"] == format!("'{FORMULA}")), "{gaps:?}");

        // /audit.csv: the typed name reaches the auditor's spreadsheet as text.
        let mut auditor = Http::new(&server.base);
        auditor.sign_in("auditor", PASSWORD);
        let r = auditor.get("/audit.csv");
        assert_eq!(r.status, 200, "{}", r.text());
        let audit = r.text();
        assert_no_formulas("/audit.csv", &audit);
        let refused = csv_rows(&audit)
            .into_iter()
            .find(|e| e["action"] == "sign_in" && e["outcome"] == "refused")
            .unwrap_or_else(|| panic!("the failed sign-in is in the export:\n{audit}"));
        assert_eq!(refused["actor"], format!("'{FORMULA}"));
    }
}
