//! Property tests of the mapping engine (`pmhc_import::run`) on generated CSV files.
//!
//! - Every row is accounted for: received = accepted + rejected = data rows written; every
//!   rejected row is in the rejects CSV exactly once, with its line and its fields (written
//!   spreadsheet-safe, `pmhc_core::csv_safe`), and every accepted row's encounter is exactly
//!   what its inputs imply (checked against an independent model of the mapping's rules).
//! - `rows_per_encounter = "many"`: the order of the rows in the file does not change the merged
//!   encounters, and there is one encounter per distinct valid key.
//! - Import is deterministic: two runs over the same file give identical results.
//! - `MappingSpec::from_toml` never panics, whatever the text; mappings it accepts map rows
//!   without panicking.
//!
//! Case counts are modest (64–128) so the suite stays fast in debug builds; set
//! `PROPTEST_CASES=5000` for a deeper run.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use pmhc_core::{DatePrecision, Encounter, Field, Officer, UseOfForce};
use pmhc_import::{CompiledMapping, EngineOptions, EngineSummary, MappingSpec, Sink, run};
use proptest::prelude::*;
use proptest::test_runner::Config;

// ---------------------------------------------------------------------------------------------
// The mappings under test
// ---------------------------------------------------------------------------------------------

const HEADER_ONE: [&str; 5] = ["id", "day", "force", "injured", "minutes"];

/// Source code -> canonical use-of-force code (`None`: the code that means "unknown").
const FORCE_CODES: [(&str, Option<UseOfForce>); 6] = [
    ("N", Some(UseOfForce::None)),
    ("R", Some(UseOfForce::RestraintOnly)),
    ("L1", Some(UseOfForce::Level1)),
    ("L2", Some(UseOfForce::Level2)),
    ("L3", Some(UseOfForce::Level3)),
    ("U", None),
];

const FIELDS: &str = r#"
[fields.occurred]
column = "day"
format = "%Y-%m-%d"

[fields.use_of_force]
column = "force"
codes = { "N" = "none", "R" = "restraint_only", "L1" = "level_1", "L2" = "level_2", "L3" = "level_3", "U" = "unknown" }

[fields.subject_injured]
column = "injured"

[fields.time_on_scene_minutes]
column = "minutes"
"#;

/// One row per encounter: a key, a date, a code field without `other`, a yes/no and an integer.
fn mapping_one() -> MappingSpec {
    let text = format!("[source]\nname = \"prop-one\"\nsystem = \"prop\"\n\n[key]\ncolumns = [\"id\"]\n{FIELDS}");
    MappingSpec::from_toml(&text).expect("the test mapping is valid")
}

/// The same, with several rows per encounter and an officer per row. Every field it maps merges
/// independently of row order (earliest date, highest force, yes if any row says yes, longest
/// time on scene, every officer).
fn mapping_many() -> MappingSpec {
    let text = format!(
        "[source]\nname = \"prop-many\"\nsystem = \"prop\"\n\n[key]\ncolumns = [\"id\"]\nrows_per_encounter = \"many\"\n{FIELDS}\n\
         [fields.officer_id]\ncolumn = \"officer\"\n"
    );
    MappingSpec::from_toml(&text).expect("the test mapping is valid")
}

const HEADER_MANY: [&str; 6] = ["id", "day", "force", "injured", "minutes", "officer"];

// ---------------------------------------------------------------------------------------------
// Files and runs
// ---------------------------------------------------------------------------------------------

/// Write `header` and `rows` with the csv crate (rows may have any number of fields); return the
/// line each row starts on (1-based, the header is line 1; quoted fields may span lines).
fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Vec<u64> {
    let mut bytes = Vec::new();
    let mut lines = Vec::with_capacity(rows.len());
    let record = |bytes: &mut Vec<u8>, fields: &[&str]| {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        w.write_record(fields).expect("write a record");
        bytes.extend(w.into_inner().expect("flush"));
    };
    record(&mut bytes, header);
    for row in rows {
        lines.push(1 + bytes.iter().filter(|&&b| b == b'\n').count() as u64);
        let fields: Vec<&str> = row.iter().map(String::as_str).collect();
        record(&mut bytes, &fields);
    }
    std::fs::write(path, bytes).expect("write the CSV file");
    lines
}

/// A sink that keeps each batch, to check that keys are unique within a batch.
#[derive(Default)]
struct Batches(Vec<Vec<Encounter>>);

impl Sink for Batches {
    fn write(&mut self, batch: Vec<Encounter>) -> Result<(), String> {
        self.0.push(batch);
        Ok(())
    }
}

/// One row of the rejects CSV: line, column, reason and the original fields.
type RejectLine = (u64, String, String, Vec<String>);

struct Outcome {
    summary: EngineSummary,
    encounters: Vec<Encounter>,
    rejects: Vec<RejectLine>,
    rejects_bytes: Vec<u8>,
}

fn import(path: &Path, spec: &MappingSpec, batch_size: usize, rejects_path: &Path) -> Outcome {
    let _ = std::fs::remove_file(rejects_path);
    let mut sink = Batches::default();
    let options = EngineOptions { batch_size, rejects_path: Some(rejects_path.to_path_buf()), ..EngineOptions::default() };
    let summary = run(path, spec, options, &mut sink).expect("the engine runs to the end");
    for batch in &sink.0 {
        let keys: HashSet<&str> = batch.iter().map(|e| e.source_key.as_str()).collect();
        assert_eq!(keys.len(), batch.len(), "keys are unique within a batch");
        assert!(!batch.is_empty() && batch.len() <= batch_size, "batch of {} with batch_size {batch_size}", batch.len());
    }
    let encounters: Vec<Encounter> = sink.0.into_iter().flatten().collect();
    let (rejects, rejects_bytes) = read_rejects(rejects_path, spec);
    assert_eq!(summary.rejects_path.is_some(), summary.counts.rejected > 0, "a rejects file exactly when rows were rejected");
    Outcome { summary, encounters, rejects, rejects_bytes }
}

fn read_rejects(path: &Path, spec: &MappingSpec) -> (Vec<RejectLine>, Vec<u8>) {
    let Ok(bytes) = std::fs::read(path) else { return (Vec::new(), Vec::new()) };
    let mut r = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(bytes.as_slice());
    let head: Vec<String> = r.headers().expect("rejects header").iter().map(str::to_string).collect();
    assert_eq!(&head[..3], ["line", "column", "reason"]);
    let expected_cols: Vec<&str> = if spec.key.rows_per_encounter == pmhc_import::mapping::RowsPerEncounter::Many {
        HEADER_MANY.to_vec()
    } else {
        HEADER_ONE.to_vec()
    };
    assert_eq!(head[3..], expected_cols[..], "the rejects file repeats the input's header");
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.expect("a rejects record");
        let line = rec[0].parse::<u64>().expect("a line number");
        out.push((line, rec[1].to_string(), rec[2].to_string(), rec.iter().skip(3).map(str::to_string).collect()));
    }
    (out, bytes)
}

fn sorted_by_key(mut v: Vec<Encounter>) -> Vec<Encounter> {
    v.sort_by(|a, b| a.source_key.cmp(&b.source_key));
    v
}

// ---------------------------------------------------------------------------------------------
// An independent model of what the mapping does with one row
// ---------------------------------------------------------------------------------------------

fn is_null(raw: &str) -> bool {
    let t = raw.trim();
    t.is_empty() || ["NA", "N/A", "NULL"].iter().any(|n| n.eq_ignore_ascii_case(t))
}

fn yes_no(t: &str) -> Option<bool> {
    match t.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "t" | "1" => Some(true),
        "n" | "no" | "false" | "f" | "0" => Some(false),
        _ => None,
    }
}

/// A whole number: an integer, or a number with no fraction ("7.0") below 1e15.
fn whole(t: &str) -> Option<i64> {
    t.parse::<i64>().ok().or_else(|| t.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64))
}

/// What a rejection must say: its column and words of its reason.
#[derive(Debug, Clone)]
struct Why {
    column: &'static str,
    words: String,
}

fn why(column: &'static str, words: impl Into<String>) -> Why {
    Why { column, words: words.into() }
}

/// The fields of one row, before the key-level checks (duplicates, merging).
#[derive(Debug, Clone)]
struct Mapped {
    key: String,
    date: NaiveDate,
    force: UseOfForce,
    injured: Option<bool>,
    minutes: Option<u32>,
    officer: Option<String>,
}

/// Map one row as the mapping documents it; `unknown` collects codes the mapping did not know.
fn model_row(row: &[String], width: usize, unknown: &mut BTreeMap<String, u64>) -> Result<Mapped, Why> {
    if row.len() != width {
        return Err(why("", format!("the row has {} fields, the header has {width}", row.len())));
    }
    if is_null(&row[0]) {
        return Err(why("id", "the encounter key column is empty"));
    }
    let key = row[0].trim().to_string();
    // `occurred` first, then the other fields in name order: subject_injured,
    // time_on_scene_minutes, use_of_force, officer_id... (officer_id sorts before subject_injured).
    if is_null(&row[1]) {
        return Err(why("day", "occurred is required but empty"));
    }
    let day = row[1].trim();
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| why("day", format!("`{day}` does not match the date format %Y-%m-%d")))?;
    let officer = if width == 6 && !is_null(&row[5]) { Some(row[5].trim().to_string()) } else { None };
    let injured = if is_null(&row[3]) {
        None
    } else {
        let t = row[3].trim();
        Some(yes_no(t).ok_or_else(|| why("injured", format!("`{t}` is not yes/no")))?)
    };
    let minutes = if is_null(&row[4]) {
        None
    } else {
        let t = row[4].trim();
        let n = whole(t).ok_or_else(|| why("minutes", format!("`{t}` is not a whole number")))?;
        Some(u32::try_from(n).map_err(|_| why("minutes", format!("{n} is out of range")))?)
    };
    let force = if is_null(&row[2]) {
        UseOfForce::Unknown
    } else {
        let t = row[2].trim();
        match FORCE_CODES.iter().find(|(code, _)| code.to_lowercase() == t.to_lowercase()) {
            Some((_, v)) => v.unwrap_or(UseOfForce::Unknown),
            None => {
                *unknown.entry(t.to_string()).or_insert(0) += 1;
                return Err(why("force", format!("unknown code `{t}` for use_of_force")));
            }
        }
    };
    if !(1900..2100).contains(&chrono::Datelike::year(&date)) {
        return Err(why("", "is outside 1900..2100"));
    }
    Ok(Mapped { key, date, force, injured, minutes, officer })
}

fn encounter_of(m: &Mapped) -> Encounter {
    let mut e = Encounter::new("prop", m.key.clone(), m.date);
    e.date_precision = DatePrecision::Day;
    e.use_of_force = m.force;
    e.subject_injured = m.injured;
    e.time_on_scene_minutes = m.minutes;
    if let Some(id) = &m.officer {
        e.officers = vec![Officer { id: Some(id.clone()), years_experience: None, cit_certified: None }];
    }
    e
}

/// The merge of several rows of one encounter, field by field as documented.
fn merged_of(rows: &[&Mapped]) -> Encounter {
    let mut e = encounter_of(rows[0]);
    e.occurred_on = rows.iter().map(|m| m.date).min().expect("rows");
    e.use_of_force = rows.iter().map(|m| m.force).max().expect("rows");
    e.subject_injured = if rows.iter().any(|m| m.injured == Some(true)) {
        Some(true)
    } else if rows.iter().any(|m| m.injured == Some(false)) {
        Some(false)
    } else {
        None
    };
    e.time_on_scene_minutes = rows.iter().filter_map(|m| m.minutes).max();
    let officers: BTreeSet<&String> = rows.iter().filter_map(|m| m.officer.as_ref()).collect();
    e.officers = officers.into_iter().map(|id| Officer { id: Some(id.clone()), years_experience: None, cit_certified: None }).collect();
    e
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// Awkward text: quotes, commas, newlines, non-ASCII, empty, whitespace, null spellings.
fn messy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ \t]{1,3}",
        "[\"',;\n\r a-zA-Z0-9é漢🙂\u{a0}\u{feff}-]{1,10}",
        "\\PC{0,12}",
        prop::sample::select(vec!["NA", "n/a", "NULL", " null ", "\"", ",", "\n", "\r\n", "\"\"", "#"]).prop_map(String::from),
    ]
}

/// Whitespace around a value (trimmed by the engine).
fn padded(s: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    ("[ \t]{0,2}", s, "[ \t]{0,2}").prop_map(|(a, s, b)| format!("{a}{s}{b}"))
}

/// Mixed case of an ASCII word.
fn any_case(word: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<bool>(), word.len()).prop_map(move |up| {
        word.chars().zip(up).map(|(c, u)| if u { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect()
    })
}

fn key_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => padded((0u32..80).prop_map(|n| format!("k{n}"))),
        2 => padded(prop::sample::select(vec!["k1", "K1", "ключ", "a,b", "x\"y", "two\nlines"]).prop_map(String::from)),
        1 => messy(),
    ]
}

fn date_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => padded((1890i32..2110, 1u32..=12, 1u32..=31).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))),
        1 => prop::sample::select(vec!["2021-02-30", "2021-13-01", "20210501", "2021-5-1", "01/05/2021", "+2021-05-01", "2021-05-01T10:00"])
            .prop_map(String::from),
        1 => messy(),
    ]
}

fn force_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => padded(prop::sample::select(vec!["N", "R", "L1", "L2", "L3", "U"]).prop_flat_map(any_case)),
        1 => prop::sample::select(vec!["L4", "none", "level_1", "Taser"]).prop_map(String::from),
        1 => messy(),
    ]
}

fn bool_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => padded(prop::sample::select(vec!["y", "yes", "true", "t", "1", "n", "no", "false", "f", "0"]).prop_flat_map(any_case)),
        1 => prop::sample::select(vec!["maybe", "2", "oui", "-"]).prop_map(String::from),
        1 => messy(),
    ]
}

fn int_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => padded((-20i64..5000).prop_map(|n| n.to_string())),
        1 => prop::sample::select(vec!["7.0", "7.5", "1e3", "+12", "-0", "99999999999", "4294967296", "NaN", "inf", "1,000"])
            .prop_map(String::from),
        1 => messy(),
    ]
}

/// A row of the five columns, or now and then a row with too few or too many fields.
fn row_one() -> impl Strategy<Value = Vec<String>> {
    let full = (key_cell(), date_cell(), force_cell(), bool_cell(), int_cell()).prop_map(|(a, b, c, d, e)| vec![a, b, c, d, e]);
    prop_oneof![
        12 => full,
        1 => prop::collection::vec(messy(), 1..=4),
        1 => prop::collection::vec(messy(), 6..=8),
    ]
}

/// Mostly valid rows of a few keys (some with padding, which the key trims), some invalid.
fn row_many() -> impl Strategy<Value = Vec<String>> {
    let valid = (
        padded(prop::sample::select(vec!["A", "B", "C", "D", "E", "F", "G", "H"]).prop_map(String::from)),
        (2000i32..2030, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        prop_oneof![Just(String::new()), prop::sample::select(vec!["N", "R", "L1", "L2", "L3", "U", "l2"]).prop_map(String::from)],
        prop_oneof![Just(String::new()), prop::sample::select(vec!["yes", "no", "Y", "N"]).prop_map(String::from)],
        prop_oneof![Just(String::new()), (0u32..600).prop_map(|n| n.to_string())],
        prop_oneof![Just(String::new()), prop::sample::select(vec!["o1", "o2", "o3", "O1", "o,4"]).prop_map(String::from)],
    )
        .prop_map(|(a, b, c, d, e, f)| vec![a, b, c, d, e, f]);
    (valid, 0u8..10, messy()).prop_map(|(mut row, bad, junk)| {
        // One row in ten is broken in one of several ways (rejected, so it must not count).
        match bad {
            0 => row[1] = "2021-02-30".into(),
            1 => row[2] = format!("Z{junk}"),
            2 => row[3] = "perhaps".into(),
            3 => row.push(junk),
            _ => {}
        }
        row
    })
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn check_accounting(rows: &[Vec<String>], lines: &[u64], out: &Outcome, expected: &[Result<Mapped, Why>]) {
    let s = &out.summary;
    assert_eq!(s.counts.received, rows.len() as u64, "received = data rows written");
    assert_eq!(s.counts.received, s.counts.accepted + s.counts.rejected, "received = accepted + rejected");
    assert_eq!(s.skipped_rows, 0);
    let want_rejected: Vec<usize> = expected.iter().enumerate().filter(|(_, e)| e.is_err()).map(|(i, _)| i).collect();
    assert_eq!(s.counts.rejected, want_rejected.len() as u64, "rejected count");
    // Every rejected row is in the rejects file exactly once, with its line and its fields.
    assert_eq!(out.rejects.len(), want_rejected.len(), "rows in the rejects file");
    let mut by_line: BTreeMap<u64, &RejectLine> = BTreeMap::new();
    for r in &out.rejects {
        assert!(by_line.insert(r.0, r).is_none(), "line {} is in the rejects file twice", r.0);
    }
    for &i in &want_rejected {
        let Err(w) = &expected[i] else { unreachable!() };
        let r = by_line.get(&lines[i]).unwrap_or_else(|| panic!("row {i} (line {}) is not in the rejects file: {:?}", lines[i], rows[i]));
        // Spreadsheet-safe: a text that would be read as a formula carries a leading `'`.
        let written: Vec<String> = rows[i].iter().map(|f| pmhc_core::csv_safe::neutralise(f).into_owned()).collect();
        assert_eq!(r.3, written, "the rejects file keeps the original fields of line {}", lines[i]);
        assert_eq!(r.1, w.column, "column of the rejection of line {} ({:?}): {}", lines[i], rows[i], r.2);
        assert!(r.2.contains(&w.words), "the reason for line {} should contain {:?}, is {:?}", lines[i], w.words, r.2);
    }
    // The summary's first rejects are the first lines of the rejects file.
    let first: Vec<(u64, Option<String>, String)> =
        out.rejects.iter().take(20).map(|r| (r.0, (!r.1.is_empty()).then(|| r.1.clone()), r.2.clone())).collect();
    let summary_first: Vec<(u64, Option<String>, String)> =
        s.first_rejects.iter().map(|r| (r.line, r.column.clone(), r.reason.clone())).collect();
    assert_eq!(summary_first, first);
}

/// Model a file of `rows` through the one-row-per-encounter mapping: each row's outcome (with
/// duplicate keys rejected) and the unknown codes seen.
fn model_one(rows: &[Vec<String>]) -> (Vec<Result<Mapped, Why>>, BTreeMap<String, u64>) {
    let mut unknown = BTreeMap::new();
    let mut seen = HashSet::new();
    let out = rows
        .iter()
        .map(|row| {
            let m = model_row(row, 5, &mut unknown)?;
            if !seen.insert(m.key.clone()) {
                return Err(why("", format!("duplicate encounter key `{}`", m.key)));
            }
            Ok(m)
        })
        .collect();
    (out, unknown)
}

/// `cases` per property, unless `PROPTEST_CASES` asks for more (or fewer) for a deeper run.
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    Config { cases, max_shrink_iters: 2_000, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config(128))]

    /// Arbitrary rows through a mapping with one row per encounter: every row accounted for,
    /// rejected rows listed once with line and reason, accepted rows mapped exactly.
    #[test]
    fn every_row_is_accounted_for_and_mapped_as_its_inputs_imply(
        rows in prop::collection::vec(row_one(), 0..40),
        batch_size in 1usize..8,
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("in.csv");
        let lines = write_csv(&path, &HEADER_ONE, &rows);
        let spec = mapping_one();
        let out = import(&path, &spec, batch_size, &dir.path().join("rejects.csv"));
        let (expected, unknown) = model_one(&rows);
        check_accounting(&rows, &lines, &out, &expected);

        let want: Vec<Encounter> = expected.iter().filter_map(|e| e.as_ref().ok()).map(encounter_of).collect();
        prop_assert_eq!(&out.encounters, &want);
        prop_assert_eq!(out.summary.encounters, want.len() as u64);
        prop_assert_eq!(out.summary.counts.accepted, want.len() as u64);
        let seen: BTreeMap<String, u64> = out
            .summary
            .unknown_codes
            .iter()
            .map(|u| {
                assert_eq!((u.field.as_str(), u.column.as_str()), ("use_of_force", "force"));
                (u.value.clone(), u.count)
            })
            .collect();
        prop_assert_eq!(seen, unknown);
    }

    /// Rows of one encounter spread through the file in any order merge into the same encounters
    /// as the same rows sorted by key; one encounter per distinct valid key.
    #[test]
    fn merged_encounters_do_not_depend_on_row_order(
        (rows, shuffled) in prop::collection::vec(row_many(), 1..40)
            .prop_flat_map(|rows| (Just(rows.clone()), Just(rows).prop_shuffle())),
        batch_size in 1usize..6,
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let spec = mapping_many();
        let mut sorted = rows.clone();
        sorted.sort_by(|a, b| a[0].trim().cmp(b[0].trim()));

        let shuffled_path = dir.path().join("shuffled.csv");
        let shuffled_lines = write_csv(&shuffled_path, &HEADER_MANY, &shuffled);
        let a = import(&shuffled_path, &spec, batch_size, &dir.path().join("rejects-a.csv"));
        let sorted_path = dir.path().join("sorted.csv");
        let sorted_lines = write_csv(&sorted_path, &HEADER_MANY, &sorted);
        let b = import(&sorted_path, &spec, 5_000, &dir.path().join("rejects-b.csv"));

        let mut unknown = BTreeMap::new();
        let model_a: Vec<Result<Mapped, Why>> = shuffled.iter().map(|r| model_row(r, 6, &mut unknown)).collect();
        let model_b: Vec<Result<Mapped, Why>> = sorted.iter().map(|r| model_row(r, 6, &mut unknown)).collect();
        check_accounting(&shuffled, &shuffled_lines, &a, &model_a);
        check_accounting(&sorted, &sorted_lines, &b, &model_b);

        // The merge of each key's valid rows, as documented.
        let mut groups: BTreeMap<&str, Vec<&Mapped>> = BTreeMap::new();
        for m in model_a.iter().filter_map(|m| m.as_ref().ok()) {
            groups.entry(m.key.as_str()).or_default().push(m);
        }
        let want: Vec<Encounter> = groups.values().map(|rows| merged_of(rows)).collect();

        let a_sorted = sorted_by_key(a.encounters.clone());
        let b_sorted = sorted_by_key(b.encounters.clone());
        let keys: BTreeSet<&str> = a.encounters.iter().map(|e| e.source_key.as_str()).collect();
        prop_assert_eq!(keys.len(), a.encounters.len(), "one encounter per key");
        prop_assert_eq!(a.encounters.len(), groups.len(), "one encounter per distinct valid key");
        prop_assert_eq!(a.summary.encounters, groups.len() as u64);
        prop_assert_eq!(b.encounters.len(), groups.len());
        let hashes = |v: &[Encounter]| v.iter().map(|e| (e.source_key.clone(), e.content_hash())).collect::<Vec<_>>();
        prop_assert_eq!(hashes(&a_sorted), hashes(&b_sorted), "shuffled and sorted files merge alike");
        prop_assert_eq!(&a_sorted, &want, "merged as documented");
    }

}

proptest! {
    #![proptest_config(config(64))]

    /// Two runs over one file give identical encounters, summaries and rejects files.
    #[test]
    fn import_is_deterministic(
        rows in prop::collection::vec(row_one(), 0..30),
        many_rows in prop::collection::vec(row_many(), 0..30),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        for (spec, header, rows) in [
            (mapping_one(), &HEADER_ONE[..], &rows),
            (mapping_many(), &HEADER_MANY[..], &many_rows),
        ] {
            let path = dir.path().join("in.csv");
            write_csv(&path, header, rows);
            let first = import(&path, &spec, 7, &dir.path().join("rejects.csv"));
            let second = import(&path, &spec, 7, &dir.path().join("rejects.csv"));
            prop_assert_eq!(&first.encounters, &second.encounters);
            prop_assert_eq!(&first.rejects_bytes, &second.rejects_bytes);
            let counts = |s: &EngineSummary| (s.counts.received, s.counts.accepted, s.counts.rejected, s.encounters, s.bytes, s.unknown_codes.clone(), s.first_rejects.clone());
            prop_assert_eq!(counts(&first.summary), counts(&second.summary));
        }
    }

}

proptest! {
    #![proptest_config(config(128))]

    /// Any text: an error or a mapping, never a panic.
    #[test]
    fn from_toml_never_panics_on_arbitrary_text(text in prop_oneof![any::<String>(), "\\PC{0,200}", toml_ish()]) {
        let _ = MappingSpec::from_toml(&text);
    }

    /// Mapping-shaped TOML with random options: loading never panics, and a mapping that loads
    /// compiles against a header of its columns and maps arbitrary rows without panicking.
    #[test]
    fn mappings_that_load_map_rows_without_panicking(text in random_mapping(), rows in prop::collection::vec(prop::collection::vec(messy_or_value(), 0..6), 0..4)) {
        if let Ok(spec) = MappingSpec::from_toml(&text) {
            let header: Vec<String> = spec.columns().into_iter().map(str::to_string).collect();
            let compiled = CompiledMapping::compile(spec, &header, Some(pmhc_core::PseudonymKey::from_bytes([7; 32])));
            let compiled = compiled.expect("a mapping compiles against a header of exactly its columns");
            for row in &rows {
                let fields: Vec<&str> = (0..header.len()).map(|i| row.get(i % row.len().max(1)).map_or("", String::as_str)).collect();
                let _ = compiled.key(&fields);
                let _ = compiled.map_row(&fields, &mut Vec::new());
            }
        }
    }
}

/// Text that looks a little like TOML (tables, keys, quotes, brackets).
fn toml_ish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                "[source]\n", "[key]\n", "[fields.occurred]\n", "[[rules]]\n", "name = ", "system = ", "columns = ", "column = ",
                "format = ", "codes = ", "\"", "'", "'''", "[", "]", "{", "}", "=", ",", "\n", "true", "1", "-1.5e3", "\"x\"",
                "# c\n", "\\u0000", "\\",
            ])
            .prop_map(String::from),
            "\\PC{0,4}",
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

fn messy_or_value() -> impl Strategy<Value = String> {
    prop_oneof![messy(), date_cell(), int_cell(), bool_cell(), "[0-9:/ T.-]{0,20}"]
}

/// A TOML string literal of `s`.
fn lit(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A random TOML value (as text).
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,10}".prop_map(|s| lit(&s)),
        prop::sample::select(vec![
            "none", "level_1", "unknown", "arrest", "yes", "no", "2021-05-01", "2021-05-01 10:00:00", "911", "housed", "35_44",
            "female",
        ])
        .prop_map(lit),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        prop::sample::select(vec!["1.5", "-0.0", "inf", "nan", "1e308"]).prop_map(String::from),
        Just("[\"a\", \"b\"]".to_string()),
    ]
}

/// A TOML value (as text) that usually suits the field `name` (sometimes any value).
fn value_for(name: &str) -> BoxedStrategy<String> {
    use pmhc_core::FieldKind;
    let Ok(field) = Field::from_name(name) else { return toml_value().boxed() };
    let suited: BoxedStrategy<String> = match field.kind() {
        FieldKind::Code(list) => {
            let mut codes = pmhc_core::codes_of(list).unwrap_or_default();
            codes.push("not-a-code");
            prop::sample::select(codes).prop_map(lit).boxed()
        }
        FieldKind::Bool => prop_oneof![any::<bool>().prop_map(|b| b.to_string()), Just(lit("yes")), Just(lit("unknown"))].boxed(),
        FieldKind::Integer => prop_oneof![(-5i64..200).prop_map(|i| i.to_string()), any::<i64>().prop_map(|i| i.to_string())].boxed(),
        FieldKind::Decimal => prop_oneof![(-200.0f64..200.0).prop_map(|f| format!("{f:?}")), Just("nan".to_string())].boxed(),
        FieldKind::Text | FieldKind::TextList => "\\PC{0,8}".prop_map(|s| lit(&s)).boxed(),
        FieldKind::DateTime | FieldKind::Occurrence => prop::sample::select(vec!["2021-05-01", "2021-05-01T10:00:00", "2021-05-01 10:00:00", "1066", "x"])
            .prop_map(lit)
            .boxed(),
        FieldKind::Json => prop::sample::select(vec!["[{\"id\": \"1\"}]", "[{\"service_type\": \"housing\"}]", "[1", "[]"]).prop_map(lit).boxed(),
    };
    prop_oneof![4 => suited, 1 => toml_value()].boxed()
}

/// A field name: mostly real ones, sometimes not.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(Field::ALL.to_vec()).prop_map(|f| f.name().to_string()),
        1 => "[a-z_]{1,12}",
    ]
}

/// Text fragments for regular expressions and date formats.
fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => prop::sample::select(vec![
            "^(.*)$", "(\\d+)", "^(?:--)?(.*)$", "([", "(?P<x>a)", "a{1000000}", "(a)|b", "^[A-Z]", "\\p{Greek}", "(?i)(x)", "",
        ])
        .prop_map(String::from),
        1 => "[()\\[\\]\\\\.*+?{}|^$a-z0-9]{0,12}",
    ]
}

fn format_str() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y/%m", "%Y", "%B %Y", "%s", "%+", "%", "%Q", "%-d/%-m/%Y", "%Y-%m-%dT%H:%M:%S%.f", "%j",
            "%e %b %Y %I:%M %p", "%:z", "%#z", "", "%%",
        ])
        .prop_map(String::from),
        "[%YmdHMSjbBeIpzZs:/ .-]{0,12}",
    ]
}

/// A mapping with random options: columns a, b, c; random fields, codes, patterns, formats,
/// extracts, rules; random source options.
fn random_mapping() -> impl Strategy<Value = String> {
    let source = (
        prop_oneof![6 => Just("utf-8".to_string()), 2 => Just("latin-1".to_string()), 1 => "[a-z0-9-]{0,8}", 11 => Just("utf8".to_string())],
        prop_oneof![6 => Just(",".to_string()), 1 => Just(";".to_string()), 1 => Just("\t".to_string()), 1 => "\\PC"],
        0u32..3,
        prop::collection::vec("\\PC{0,4}", 0..3),
    );
    let key = (
        prop_oneof![12 => prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..3), 1 => Just(Vec::new())],
        prop::option::weighted(0.2, pattern()),
        any::<bool>(),
        any::<bool>(),
        prop::option::of("\\PC{0,3}"),
    );
    let occurred = (
        prop::option::weighted(0.6, format_str()),
        prop::option::weighted(0.2, prop::sample::select(vec!["minute", "day", "month", "year", "week"])),
    );
    let field = field_name().prop_flat_map(|name| {
        (
            Just(name.clone()),
            prop::sample::select(vec!["column = \"b\"", "columns = [\"b\", \"c\"]", "column = \"c\""]),
            prop::option::weighted(0.2, prop::sample::select(vec!["join", "first", "max", "any", "list", "sum"])),
            prop::collection::vec(("\\PC{0,4}", value_for(&name)), 0..3),
            prop::option::weighted(0.3, value_for(&name)),
            prop::option::weighted(0.2, value_for(&name)),
            prop::option::weighted(0.15, pattern()),
            prop::collection::vec((pattern(), value_for(&name)), 0..2),
            prop::option::weighted(0.2, prop::sample::select(vec![";", "json", ""])),
            any::<bool>(),
        )
    });
    let rule = field_name().prop_flat_map(|name| {
        (prop::sample::select(vec!["a", "b", "c"]), pattern(), Just(name.clone()), value_for(&name), any::<bool>())
    });
    (source, key, occurred, prop::collection::vec(field, 0..3), prop::collection::vec(rule, 0..2)).prop_map(
        |((enc, delim, skip, nulls), (kcols, kextract, many, pseudo, sep), (fmt, prec), fields, rules)| {
            let mut t = String::new();
            t += &format!("[source]\nname = \"r\"\nsystem = \"r\"\nencoding = {}\ndelimiter = {}\nskip_rows = {skip}\n", lit(&enc), lit(&delim));
            t += &format!("null_values = [{}]\n", nulls.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", "));
            t += &format!(
                "[key]\ncolumns = [{}]\nrows_per_encounter = \"{}\"\npseudonymize = {pseudo}\n",
                kcols.iter().map(|c| lit(c)).collect::<Vec<_>>().join(", "),
                if many { "many" } else { "one" }
            );
            if let Some(s) = sep {
                t += &format!("separator = {}\n", lit(&s));
            }
            if let (Some(re), Some(c)) = (kextract, kcols.first()) {
                t += &format!("extract = {{ {} = {} }}\n", lit(c), lit(&re));
            }
            t += "[fields.occurred]\ncolumn = \"a\"\n";
            if let Some(f) = fmt {
                t += &format!("format = {}\n", lit(&f));
            }
            if let Some(p) = prec {
                t += &format!("precision = \"{p}\"\n");
            }
            let mut names = BTreeSet::new();
            for (name, cols, combine, codes, other, default, extract, patterns, split, required) in fields {
                if name == "occurred" || !names.insert(name.clone()) {
                    continue;
                }
                t += &format!("[fields.{name}]\n{cols}\nrequired = {required}\n");
                if let Some(c) = combine {
                    t += &format!("combine = \"{c}\"\n");
                }
                if !codes.is_empty() {
                    let mut seen = BTreeSet::new();
                    let entries: Vec<String> =
                        codes.iter().filter(|(k, _)| seen.insert(k.clone())).map(|(k, v)| format!("{} = {v}", lit(k))).collect();
                    t += &format!("codes = {{ {} }}\n", entries.join(", "));
                }
                if let Some(o) = other {
                    t += &format!("other = {o}\n");
                }
                if let Some(d) = default {
                    t += &format!("default = {d}\n");
                }
                if let Some(e) = extract {
                    t += &format!("extract = {}\n", lit(&e));
                }
                if let Some(s) = split {
                    t += &format!("split = {}\n", lit(s));
                }
                for (re, v) in patterns {
                    t += &format!("[[fields.{name}.patterns]]\nregex = {}\nvalue = {v}\n", lit(&re));
                }
            }
            for (column, matches, set_field, value, overwrite) in rules {
                t += &format!(
                    "[[rules]]\ncolumn = \"{column}\"\nmatches = {}\nset = {{ {set_field} = {value} }}\noverwrite = {overwrite}\n",
                    lit(&matches)
                );
            }
            t
        },
    )
}

/// The generated files are what the model assumes (a sanity check of the test itself).
#[test]
fn the_model_agrees_with_a_hand_written_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path: PathBuf = dir.path().join("in.csv");
    let rows: Vec<Vec<String>> = [
        vec!["1", "2021-05-01", "L2", "yes", "12"],
        vec!["2", "2021-05-02", "Taser", "no", "3"],
        vec!["3", "2021-05-03", "n", " Y ", "7.0"],
        vec![" 1 ", "2021-05-04", "", "", ""],
        vec!["4", "1850-01-01", "U", "", ""],
        vec!["a\nb", "2021-05-05", "r", "0", "-1"],
    ]
    .iter()
    .map(|r| r.iter().map(|s| s.to_string()).collect())
    .collect();
    let lines = write_csv(&path, &HEADER_ONE, &rows);
    assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
    let out = import(&path, &mapping_one(), 2, &dir.path().join("rejects.csv"));
    let (expected, unknown) = model_one(&rows);
    check_accounting(&rows, &lines, &out, &expected);
    assert_eq!((out.summary.counts.accepted, out.summary.counts.rejected), (2, 4));
    assert_eq!(out.encounters[0].use_of_force, UseOfForce::Level2);
    assert_eq!(out.encounters[1].time_on_scene_minutes, Some(7));
    assert_eq!(unknown.get("Taser"), Some(&1));
}
