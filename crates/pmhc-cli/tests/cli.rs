//! End-to-end tests of the real `pmhc` binary on SQLite (and PostgreSQL when `PMHC_TEST_POSTGRES`
//! names a server), on generated data and on the public datasets in ../shared/data.

mod common;

use common::*;

#[test]
fn help_teaches_by_example() {
    let o = pmhc().arg("--help").output().unwrap();
    let text = stdout(&o);
    assert!(text.contains("pmhc demo --encounters"), "{text}");
    assert!(text.contains("PMHC_DATABASE"));
    let o = pmhc().args(["import", "--help"]).output().unwrap();
    let text = stdout(&o);
    assert!(text.contains("Examples:") && text.contains("--mapping toronto-pic") && text.contains("Exit status"), "{text}");
}

#[test]
fn demo_then_list_show_and_count() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        let o = run(db, &["demo", "--encounters", "3000", "--seed", "5", "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(json(&o)["inserted"], 3000);
        // The same seed again: deterministic, so nothing changes.
        let o = run(db, &["demo", "--encounters", "3000", "--seed", "5", "--json"]);
        assert_eq!(json(&o)["unchanged"], 3000, "{db}");
        let o = run(db, &["encounters", "count"]);
        assert_eq!(stdout(&o).trim(), "3000");
        let o = run(db, &["encounters", "list", "--limit", "3", "--format", "json"]);
        let list = json(&o);
        let first = &list[0];
        assert_eq!(list.as_array().unwrap().len(), 3);
        let key = first["source_key"].as_str().unwrap();
        let o = run(db, &["encounters", "show", "demo-cad", key, "--json"]);
        assert_eq!(json(&o)["source_key"], key);
        let o = run(db, &["encounters", "show", "demo-cad", "no-such-key"]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("no encounter"));
        let o = run(db, &["encounters", "count", "--disposition", "arrest"]);
        let arrests: u64 = stdout(&o).trim().parse().unwrap();
        assert!(arrests > 0 && arrests < 3000);
        let o = run(db, &["encounters", "count", "--disposition", "jail"]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("not a disposition code"), "{}", stderr(&o));
    }
}

#[test]
fn canonical_export_reimports_to_the_same_records() {
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    let csv = dbs.dir().join("demo.csv");
    let o = run(db, &["demo", "--encounters", "2000", "--seed", "9", "--csv", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for db in &dbs.urls {
        let o = run(db, &["import", csv.to_str().unwrap(), "--mapping", "pmhc", "--json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let s = json(&o);
        assert_eq!((s["received"].as_u64(), s["accepted"].as_u64(), s["inserted"].as_u64()), (Some(2000), Some(2000), Some(2000)));
        // Export everything and import the export: every record is unchanged.
        let o = run(db, &["encounters", "list", "--limit", "5000", "--format", "csv"]);
        let export = dbs.dir().join("export.csv");
        std::fs::write(&export, &o.stdout).unwrap();
        let o = run(db, &["import", export.to_str().unwrap(), "--mapping", "pmhc", "--json"]);
        let s = json(&o);
        assert_eq!(s["unchanged"], 2000, "{s}");
        assert_eq!(s["inserted"], 0);
        assert_eq!(s["updated"], 0);
    }
}

#[test]
fn changed_rows_update_and_stale_versions_never_overwrite() {
    let dbs = Databases::new();
    let header = "source_system,source_key,source_updated_at,occurred,disposition";
    let v1 = format!("{header}\nrms,A,2024-01-01T00:00:00,2024-01-01,arrest\nrms,B,2024-01-01T00:00:00,2024-01-02,referral\n");
    let v2 = format!("{header}\nrms,A,2024-02-01T00:00:00,2024-01-01,citation\nrms,B,2024-01-01T00:00:00,2024-01-02,referral\n");
    let f1 = dbs.dir().join("v1.csv");
    let f2 = dbs.dir().join("v2.csv");
    std::fs::write(&f1, v1).unwrap();
    std::fs::write(&f2, v2).unwrap();
    let mapping = dbs.dir().join("small.toml");
    std::fs::write(
        &mapping,
        r#"
[source]
name = "small"
system = "rms"
[key]
columns = ["source_key"]
[fields.source_system]
column = "source_system"
[fields.source_updated_at]
column = "source_updated_at"
format = "%Y-%m-%dT%H:%M:%S"
[fields.occurred]
column = "occurred"
[fields.disposition]
column = "disposition"
"#,
    )
    .unwrap();
    let m = mapping.to_str().unwrap();
    for db in &dbs.urls {
        let s = json(&run(db, &["import", f1.to_str().unwrap(), "--mapping", m, "--json"]));
        assert_eq!(s["inserted"], 2);
        let s = json(&run(db, &["import", f2.to_str().unwrap(), "--mapping", m, "--json"]));
        assert_eq!((s["updated"].as_u64(), s["unchanged"].as_u64()), (Some(1), Some(1)), "{s}");
        // The older file again: A is stale and keeps the newer version.
        let s = json(&run(db, &["import", f1.to_str().unwrap(), "--mapping", m, "--json"]));
        assert_eq!((s["stale"].as_u64(), s["updated"].as_u64(), s["unchanged"].as_u64()), (Some(1), Some(0), Some(1)), "{s}");
        let e = json(&run(db, &["encounters", "show", "rms", "A", "--json"]));
        assert_eq!(e["disposition"], "citation");
    }
}

#[test]
fn real_toronto_import_is_complete_and_idempotent() {
    let Some(file) = shared("toronto-persons-in-crisis/raw_data_first32000.csv") else { return };
    let dbs = Databases::new();
    for db in &dbs.urls {
        let o = pmhc()
            .current_dir(dbs.dir())
            .args(["--database", db, "import"])
            .arg(&file)
            .args(["--mapping", "toronto-pic", "--json"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let s = json(&o);
        assert_eq!(s["received"], 32000);
        assert_eq!(s["accepted"], 32000);
        assert_eq!(s["rejected"], 0);
        assert_eq!(s["inserted"], 32000);
        let o = pmhc().current_dir(dbs.dir()).args(["--database", db, "import"]).arg(&file).args(["--mapping", "toronto-pic", "--json"]).output().unwrap();
        let s = json(&o);
        assert_eq!((s["inserted"].as_u64(), s["updated"].as_u64(), s["unchanged"].as_u64()), (Some(0), Some(0), Some(32000)), "{s}");
        // EVENT_ID 1254908: D51, January 2014, suicide-related, no apprehension.
        let e = json(&run(db, &["encounters", "show", "toronto-pic", "1254908", "--json"]));
        assert_eq!(e["area"]["precinct"], "D51");
        assert_eq!(e["occurred_on"], "2014-01-01");
        assert_eq!(e["date_precision"], "month");
        assert_eq!(e["involuntary_hold"], false);
        let o = run(db, &["imports", "--json"]);
        let imports = json(&o);
        assert_eq!(imports.as_array().unwrap().len(), 2);
        assert_eq!(imports[0]["status"], "complete");
    }
}

#[test]
fn real_use_of_force_files_merge_rows_without_double_counting() {
    let (Some(dallas), Some(seattle)) = (
        shared("dallas-uof-2016/37-00049_UOF-P_2016_prepped.csv"),
        shared("seattle-use-of-force/Use_Of_Force.csv"),
    ) else {
        return;
    };
    let dbs = Databases::new();
    for db in &dbs.urls {
        let s = json(&run(db, &["import", dallas.to_str().unwrap(), "--mapping", "dallas-uof", "--json", "--rejects", dbs.dir().join("d.csv").to_str().unwrap()]));
        assert_eq!((s["received"].as_u64(), s["rejected"].as_u64(), s["encounters"].as_u64()), (Some(2383), Some(0), Some(1664)), "{s}");
        let s = json(&run(db, &["import", seattle.to_str().unwrap(), "--mapping", "seattle-uof", "--json", "--rejects", dbs.dir().join("s.csv").to_str().unwrap()]));
        assert_eq!((s["received"].as_u64(), s["rejected"].as_u64(), s["encounters"].as_u64()), (Some(15181), Some(0), Some(9978)), "{s}");
        assert_eq!(s["inserted"], 9978);
        let o = run(db, &["encounters", "count"]);
        assert_eq!(stdout(&o).trim(), (1664 + 9978).to_string());
        let s = json(&run(db, &["import", seattle.to_str().unwrap(), "--mapping", "seattle-uof", "--json", "--rejects", dbs.dir().join("s.csv").to_str().unwrap()]));
        assert_eq!(s["unchanged"], 9978, "re-import is a no-op: {s}");
    }
}

#[test]
fn a_corrupted_file_keeps_every_good_row_and_exits_3() {
    let dbs = Databases::new();
    let header = "source_system,source_key,occurred,disposition,gender";
    let mut text = format!("{header}\n");
    for i in 0..50 {
        text.push_str(&format!("rms,K{i},2023-05-{:02},referral,female\n", i % 28 + 1));
    }
    text.push_str("rms,BAD1,2023-13-45,referral,female\n"); // line 52: bad date
    text.push_str("rms,BAD2,2023-05-01,jail,female\n"); // line 53: unknown disposition code
    text.push_str("rms,BAD3,2023-05-01\n"); // line 54: missing fields
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"rms,BAD4,2023-05-01,referral,f\xE9male\n"); // line 55: not UTF-8
    bytes.extend_from_slice(b"rms,BAD5,2023-05-0"); // line 56: truncated last line
    let file = dbs.dir().join("broken.csv");
    std::fs::write(&file, bytes).unwrap();
    let rejects = dbs.dir().join("broken.rejects.csv");
    for db in &dbs.urls {
        let o = run(db, &["import", file.to_str().unwrap(), "--mapping", "pmhc", "--json", "--rejects", rejects.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let s = json(&o);
        assert_eq!((s["received"].as_u64(), s["accepted"].as_u64(), s["rejected"].as_u64()), (Some(55), Some(50), Some(5)), "{s}");
        assert_eq!(s["inserted"], 50);
        let lines: Vec<u64> = s["first_rejects"].as_array().unwrap().iter().map(|r| r["line"].as_u64().unwrap()).collect();
        assert_eq!(lines, vec![52, 53, 54, 55, 56]);
        let reasons: Vec<String> = s["first_rejects"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap().to_string()).collect();
        assert!(reasons[0].contains("2023-13-45"), "{reasons:?}");
        assert!(reasons[1].contains("jail"), "{reasons:?}");
        assert!(reasons[2].contains("fields"), "{reasons:?}");
        assert!(reasons[3].contains("UTF-8"), "{reasons:?}");
        assert!(reasons[4].contains("fields"), "{reasons:?}");
        let written = std::fs::read_to_string(&rejects).unwrap_or_else(|_| String::from_utf8_lossy(&std::fs::read(&rejects).unwrap()).into_owned());
        assert_eq!(written.lines().count(), 6, "header + 5 rejected rows:\n{written}");
        assert!(written.lines().next().unwrap().starts_with("line,column,reason,source_system"));
    }
}

/// Without --rejects, rejected rows go beside the input as `<stem>.rejects.csv` (not into the
/// folder the command runs in), and the summary says where.
#[test]
fn the_rejects_file_is_written_beside_the_input() {
    let dbs = Databases::new();
    let data = dbs.dir().join("data");
    let elsewhere = dbs.dir().join("elsewhere");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let file = data.join("calls.csv");
    std::fs::write(&file, "source_system,source_key,occurred\nrms,K1,2023-05-01\nrms,K2,2023-13-45\n").unwrap();
    let o = pmhc().current_dir(&elsewhere).args(["--database", &dbs.urls[0], "import", file.to_str().unwrap(), "--mapping", "pmhc"]).output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let beside = data.join("calls.rejects.csv");
    assert!(beside.is_file(), "no {}", beside.display());
    assert!(std::fs::read_dir(&elsewhere).unwrap().next().is_none(), "nothing written where the command ran");
    assert!(stdout(&o).contains(&beside.display().to_string()), "{}", stdout(&o));
    // --rejects PATH chooses the place; the JSON names it.
    let chosen = dbs.dir().join("mine.csv");
    let s = json(&run(&dbs.urls[0], &["import", file.to_str().unwrap(), "--mapping", "pmhc", "--json", "--rejects", chosen.to_str().unwrap()]));
    assert_eq!(s["rejects_path"], chosen.display().to_string());
    assert!(chosen.is_file());
}

#[test]
fn mapping_problems_are_reported_before_anything_is_written() {
    let dbs = Databases::new();
    let db = &dbs.urls[0];
    let file = dbs.dir().join("x.csv");
    std::fs::write(&file, "a,b\n1,2\n").unwrap();
    let o = run(db, &["import", file.to_str().unwrap(), "--mapping", "no-such-mapping"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("toronto-pic"), "lists the shipped mappings: {}", stderr(&o));
    let o = run(db, &["import", file.to_str().unwrap(), "--mapping", "toronto-pic"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("EVENT_ID") && err.contains("lacks column"), "{err}");
    let o = run(db, &["encounters", "count"]);
    assert_eq!(stdout(&o).trim(), "0");
    let bad = dbs.dir().join("bad.toml");
    std::fs::write(&bad, "[source]\nname='x'\nsystem='x'\n[key]\ncolumns=['a']\n[fields.occurred]\ncolumn='a'\n[fields.disposition]\ncolumn='b'\ncodes={ J='jail' }\n").unwrap();
    let o = run(db, &["import", file.to_str().unwrap(), "--mapping", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("`jail` is not a disposition code"), "{}", stderr(&o));
}

/// `pmhc demo`'s hints name the database it used (by absolute path), so following one from
/// another folder reports on the demo's data; the same command without --database there says
/// that no database exists at that path and creates none.
#[test]
fn demo_hints_carry_the_database_and_work_from_another_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (work, elsewhere) = (dir.path().join("work"), dir.path().join("elsewhere"));
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let o = pmhc().current_dir(&work).args(["demo", "-n", "1000"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let database = format!("--database sqlite:{}", std::path::absolute(work.join("pmhc.sqlite")).unwrap().display());
    let hints: Vec<&str> = out.split('`').skip(1).step_by(2).filter(|h| h.starts_with("pmhc ")).collect();
    assert!(hints.len() >= 4, "{out}");
    for h in &hints {
        assert!(h.starts_with("pmhc ") && (h.contains(&database) || h.ends_with("--help")), "a hint without the database: {h}\n{out}");
    }
    let report = hints.iter().find(|h| h.contains(" report ")).expect("a report hint");
    let words: Vec<&str> = report.split_whitespace().skip(1).collect();
    let o = pmhc().current_dir(&elsewhere).args(&words).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("Outcome report"), "{}", stdout(&o));
    // Without --database, from elsewhere: no silent empty ./pmhc.sqlite and all-zero report.
    let without: Vec<&str> = words.iter().copied().filter(|w| !w.starts_with("--database") && !w.starts_with("sqlite:")).collect();
    let o = pmhc().current_dir(&elsewhere).args(&without).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let missing = std::path::absolute(elsewhere.join("pmhc.sqlite")).unwrap();
    assert!(stderr(&o).contains(&format!("there is no database at {}", missing.display())), "{}", stderr(&o));
    assert!(!missing.exists(), "nothing created");
    assert!(stdout(&o).is_empty());
    for read in [&["encounters", "count"][..], &["definitions", "show"], &["imports"]] {
        assert_eq!(pmhc().current_dir(&elsewhere).args(read).output().unwrap().status.code(), Some(2), "{read:?}");
    }
    assert!(!missing.exists(), "nothing created");
}

/// A command that answers from the encounters, pointed at a database that holds none, says so
/// and exits 2 instead of printing a report of zeros.
#[test]
fn an_empty_database_is_named_not_reported_as_zeros() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        assert_eq!(run(db, &["init"]).status.code(), Some(0));
        let o = run(db, &["report", "--baseline", "2020-01-01..2020-12-31", "--comparison", "2021-01-01..2021-12-31"]);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        assert!(stdout(&o).is_empty(), "{}", stdout(&o));
        let e = stderr(&o);
        assert!(e.contains("holds no encounters yet") && e.contains("pmhc --database") && e.contains(" demo`") && e.contains(" import FILE"), "{e}");
        let o = run(db, &["people", "repeat", "--period", "2021-01-01..2021-12-31", "--identifiable"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("holds no encounters yet"), "{}", stderr(&o));
        // Counting still answers 0.
        assert_eq!(stdout(&run(db, &["encounters", "count"])).trim(), "0");
    }
}

/// A file whose every row fails the same way (dates in another format) stops after its first
/// 1,000 rows: nothing kept, the import recorded as stopped with the reason, exit 3.
#[test]
fn an_import_whose_rows_all_fail_the_same_way_stops() {
    let dbs = Databases::new();
    let file = dbs.dir().join("us-dates.csv");
    let mut text = String::from("source_system,source_key,occurred,disposition\n");
    for i in 0..5_209 {
        text.push_str(&format!("rms,K{i},{:02}/{:02}/2023,referral\n", i % 12 + 1, i % 28 + 1));
    }
    std::fs::write(&file, text).unwrap();
    for db in &dbs.urls {
        let o = run(db, &["import", file.to_str().unwrap(), "--mapping", "pmhc", "--json", "--rejects", dbs.dir().join("r.csv").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let s = json(&o);
        assert_eq!(s["status"], "stopped", "{s}");
        assert_eq!((s["received"].as_u64(), s["accepted"].as_u64(), s["rejected"].as_u64(), s["inserted"].as_u64()), (Some(1000), Some(0), Some(1000), Some(0)));
        let why = s["stopped"].as_str().unwrap_or_default();
        assert!(why.starts_with("stopped: every row fails with column occurred: ") && why.contains("01/01/2023"), "{why}");
        assert_eq!(stdout(&run(db, &["encounters", "count"])).trim(), "0");
        let history = json(&run(db, &["imports", "--json"]));
        assert_eq!(history[0]["status"], "stopped", "{history}");
        assert_eq!(history[0]["received"], 1000);
        let audit = stdout(&run(db, &["audit", "list", "--action", "import", "--limit", "1"]));
        assert!(audit.contains("stopped: every row fails with"), "{audit}");
        // The table says it too.
        let o = run(db, &["import", file.to_str().unwrap(), "--mapping", "pmhc", "--rejects", dbs.dir().join("r.csv").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3));
        assert!(stdout(&o).contains("The import stopped: every row fails with"), "{}", stdout(&o));
    }
}

/// `pmhc partner set --person-namespace` names where the field form and the API make person keys
/// (its records system's namespace); an empty value forgets it (the field-form source's again).
#[test]
fn a_partner_names_the_namespace_of_its_person_keys() {
    let dbs = Databases::new();
    for db in &dbs.urls {
        assert!(run(db, &["init"]).status.success());
        let o = run(db, &["partner", "set", "1", "--person-namespace", " county-rms "]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("person keys in namespace county-rms"), "{}", stdout(&o));
        let o = run(db, &["partner", "set", "1", "--person-namespace", ""]);
        assert!(stdout(&o).contains("person keys in namespace pmhc-field."), "{}", stdout(&o));
        let o = run(db, &["partner", "set", "1", "--person-namespace", "bad\u{7}name"]);
        assert!(!o.status.success() && stderr(&o).contains("person_namespace"), "{}", stderr(&o));
    }
}

/// People with lived experience and families are sectors of the workgroup's members; a partner
/// organisation of them is recorded in advocacy — refused with the reason, not a database error.
#[test]
fn a_partner_is_an_organisation_of_a_partner_sector() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite:{}", dir.path().join("p.sqlite").display());
    assert!(run(&db, &["init"]).status.success());
    let out = run(&db, &["partner", "add", "Peer Support Network", "--sector", "lived_experience"]);
    assert!(!out.status.success(), "refused");
    assert!(stderr(&out).contains("a partner in advocacy"), "{}", stderr(&out));
    let out = run(&db, &["partner", "add", "Peer Support Network", "--sector", "advocacy"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
