//! A deliberately corrupted copy of the real Toronto file: every good row is accepted, every bad
//! row is rejected with its line and a reason naming the problem, and the rejects CSV holds
//! exactly the bad lines.

use std::path::Path;

use pmhc_core::Encounter;
use pmhc_import::{EngineOptions, run, shipped};

const GOOD_ROWS: usize = 300;

/// A line's bytes, and for a bad line the column and words its rejection must name.
type Line<'a> = (Vec<u8>, Option<(&'a str, &'a str)>);

#[test]
fn corrupted_toronto_copy_rejects_exactly_the_bad_rows() {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/toronto-persons-in-crisis/raw_data_first32000.csv");
    if !real.exists() {
        assert!(std::env::var_os("PMHC_REQUIRE_ALL").is_none(), "PMHC_REQUIRE_ALL is set but {} is missing", real.display());
        println!("skipped: {} not present", real.display());
        return;
    }
    let text = std::fs::read_to_string(&real).expect("read the real file");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let good: Vec<&str> = lines.take(GOOD_ROWS).collect();
    assert_eq!(good.len(), GOOD_ROWS);
    // Columns: _id,OBJECTID,EVENT_ID,EVENT_DATE,EVENT_YEAR,EVENT_MONTH,EVENT_DOW,EVENT_HOUR,
    // EVENT_TYPE,DIVISION,OCCURRENCE_CREATED,APPREHENSION_MADE,HOOD_158,NEIGHBOURHOOD_158,...
    let with = |row: &str, col: usize, value: &str| {
        let mut f: Vec<String> = row.split(',').map(str::to_string).collect();
        f[col] = value.to_string();
        f.join(",")
    };
    let fresh_id = |row: &str, id: &str| with(row, 2, id);

    // (bytes of the line, Some((expected column, expected words in the reason)) when bad).
    let mut out: Vec<Line> = Vec::new();
    for (i, row) in good.iter().enumerate() {
        out.push((row.as_bytes().to_vec(), None));
        match i {
            // A bad date: a month that does not exist.
            20 => out.push((
                with(&fresh_id(row, "9000001"), 5, "Smarch").into_bytes(),
                Some(("EVENT_YEAR", "`2014 Smarch` does not match the date format")),
            )),
            // An unknown code on a field without `other`.
            60 => out.push((
                with(&fresh_id(row, "9000002"), 11, "Maybe").into_bytes(),
                Some(("APPREHENSION_MADE", "unknown code `Maybe` for involuntary_hold")),
            )),
            // A row with missing fields.
            100 => {
                let f: Vec<String> = fresh_id(row, "9000003").split(',').take(10).map(str::to_string).collect();
                out.push((f.join(",").into_bytes(), Some(("", "the row has 10 fields, the header has 16"))));
            }
            // Invalid UTF-8: a Latin-1 é (0xE9) in the neighbourhood name.
            150 => {
                let mut bytes = with(&fresh_id(row, "9000004"), 13, "Caf@").into_bytes();
                let at = bytes.iter().position(|&b| b == b'@').expect("marker");
                bytes[at] = 0xE9;
                out.push((bytes, Some(("", "is not valid UTF-8 (field 14 has byte 0xE9"))));
            }
            // A duplicate key: row 5 again.
            200 => out.push((good[5].as_bytes().to_vec(), Some(("", "duplicate encounter key `")))),
            _ => {}
        }
    }
    // A truncated last line (cut in the middle of a field, no final newline).
    let last = fresh_id(good[7], "9000005");
    let cut = &last[..last
        .find("Suicide")
        .or_else(|| last.find("Person"))
        .or_else(|| last.find("Overdose"))
        .expect("a type")
        + 4];
    out.push((
        cut.as_bytes().to_vec(),
        Some(("", "the row has 9 fields, the header has 16 (a truncated or broken line?)")),
    ));

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("corrupted.csv");
    let mut file: Vec<u8> = Vec::new();
    file.extend_from_slice(header.as_bytes());
    file.push(b'\n');
    for (n, (bytes, _)) in out.iter().enumerate() {
        file.extend_from_slice(bytes);
        if n + 1 < out.len() {
            file.push(b'\n');
        }
    }
    std::fs::write(&path, &file).expect("write the corrupted copy");
    // Line numbers: the header is line 1, and no row spans lines.
    let expected: Vec<(u64, &str, &str)> = out
        .iter()
        .enumerate()
        .filter_map(|(n, (_, bad))| bad.map(|(col, why)| (n as u64 + 2, col, why)))
        .collect();
    assert_eq!(expected.len(), 6);

    let rejects_path = dir.path().join("rejects.csv");
    let spec = shipped::shipped("toronto-pic").expect("shipped").expect("valid");
    let mut sink: Vec<Encounter> = Vec::new();
    let options = EngineOptions {
        rejects_path: Some(rejects_path.clone()),
        ..EngineOptions::default()
    };
    let s = run(&path, &spec, options, &mut sink).expect("the import runs to the end");

    assert_eq!(s.counts.received, GOOD_ROWS as u64 + 6);
    assert_eq!(s.counts.accepted, GOOD_ROWS as u64);
    assert_eq!(s.counts.rejected, 6);
    assert_eq!(sink.len(), GOOD_ROWS);
    let got: Vec<(u64, String, String)> = s
        .first_rejects
        .iter()
        .map(|r| (r.line, r.column.clone().unwrap_or_default(), r.reason.clone()))
        .collect();
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for ((line, col, reason), (eline, ecol, why)) in got.iter().zip(&expected) {
        assert_eq!(line, eline, "{reason}");
        assert_eq!(col, ecol, "line {line}: {reason}");
        assert!(reason.contains(why), "line {line}: `{reason}` should say `{why}`");
    }
    // The duplicate names the key of the earlier row.
    let dup_id = good[5].split(',').nth(2).expect("EVENT_ID");
    assert!(got[4].2.contains(&format!("`{dup_id}`")), "{}", got[4].2);
    // None of the bad rows' ids made it in; every good row did.
    assert!(sink.iter().all(|e| !e.source_key.starts_with("900000")));

    // The rejects file: a header, then exactly the bad lines, with line, column, reason and the
    // row's own fields.
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&rejects_path)
        .expect("rejects file");
    let head: Vec<String> = rdr.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(&head[..3], ["line", "column", "reason"]);
    assert_eq!(head[3..].join(","), header);
    let recs: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("record")).collect();
    let lines: Vec<u64> = recs.iter().map(|r| r[0].parse().expect("line number")).collect();
    assert_eq!(lines, expected.iter().map(|e| e.0).collect::<Vec<_>>());
    for (r, (_, col, why)) in recs.iter().zip(&expected) {
        assert_eq!(&r[1], *col);
        assert!(r[2].contains(why), "{}", &r[2]);
    }
    // The rejected rows' own values are kept (the bad month, the bad code, the cut type, ...).
    assert_eq!(&recs[0][3 + 5], "Smarch");
    assert_eq!(&recs[1][3 + 11], "Maybe");
    assert_eq!(recs[2].len(), 3 + 10);
    assert_eq!(&recs[3][3 + 13], "Caf\u{FFFD}");
    assert_eq!(&recs[3][3 + 2], "9000004");
    assert_eq!(&recs[4][3 + 2], dup_id);
    assert_eq!(recs[5].len(), 3 + 9);
}
