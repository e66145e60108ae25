//! Outcome report benchmark: `cargo bench -p pmhc-cli --bench report`.
//!
//! For each size (default 1M and 10M encounters; `PMHC_BENCH_ROWS=1000000` to choose) it makes a
//! synthetic jurisdiction with `pmhc demo` into a SQLite file and the same data as canonical CSV
//! (both kept under target/bench-report/ and reused by later runs), then measures, `PMHC_BENCH_RUNS`
//! times (default 5), medians reported:
//! - **cold**: the real `pmhc report` process end to end (start, open the store, read every
//!   encounter, build the index, compute the full report with every breakdown and the monthly
//!   series, write JSON), the database file already in the OS page cache;
//! - **warm**: the engine call a server makes with its cache warm (`OutcomeIndex::report` on an
//!   index built once), and the cache fill itself (read from the store, build the index);
//! - **DuckDB** (PyPI `duckdb`, the peer tool) in the same run: the same aggregates in SQL over the
//!   same data, loaded once from the CSV; its headline numbers must equal pmhc's.
//!
//! Python: `PMHC_BENCH_PYTHON`, else target/bench-venv/bin/python if present, else `python3`.
//! Results go to standard output and target/bench-report/results.md (for docs/performance.md).

mod common;

use common::{median, run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use pmhc_core::definition::{Period, Periods};
use pmhc_core::outcomes::{DefinitionRef, Dimension, Measure, OutcomeFilter, OutcomeIndex, ReportRequest, make_public};

const BASELINE: (&str, &str) = ("2019-07-01", "2020-06-30");
const COMPARISON: (&str, &str) = ("2023-07-01", "2024-06-30");



fn python(root: &Path) -> String {
    if let Ok(p) = std::env::var("PMHC_BENCH_PYTHON") {
        return p;
    }
    let venv = root.join("target/bench-venv/bin/python");
    if venv.exists() { venv.display().to_string() } else { "python3".into() }
}

/// Make the demo database and CSV for `n` encounters unless a previous run left them.
fn ensure_data(pmhc: &str, dir: &Path, n: u64) -> (PathBuf, PathBuf) {
    let db = dir.join(format!("demo-{n}.sqlite"));
    let csv = dir.join(format!("demo-{n}.csv"));
    let db_done = dir.join(format!("demo-{n}.sqlite.done"));
    let csv_done = dir.join(format!("demo-{n}.csv.done"));
    if !db_done.exists() {
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", db.display()));
        }
        eprintln!("== generating {n} encounters into {}", db.display());
        let (secs, _) = run(Command::new(pmhc)
            .args(["--database", &format!("sqlite:{}", db.display()), "demo", "--json", "--seed", "1", "-n", &n.to_string()]));
        eprintln!("   {secs:.1} s");
        std::fs::write(&db_done, "").expect("mark");
    }
    if !csv_done.exists() {
        eprintln!("== writing the same {n} encounters as CSV {}", csv.display());
        run(Command::new(pmhc).args(["demo", "--json", "--seed", "1", "-n", &n.to_string(), "--csv"]).arg(&csv));
        std::fs::write(&csv_done, "").expect("mark");
    }
    (db, csv)
}

fn main() {
    let pmhc = env!("CARGO_BIN_EXE_pmhc");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sizes: Vec<u64> = std::env::var("PMHC_BENCH_ROWS")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("PMHC_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let dir = root.join("target/bench-report");
    std::fs::create_dir_all(&dir).expect("create target/bench-report");
    let py = python(&root);
    let duckdb_ok = Command::new(&py).args(["-c", "import duckdb"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !duckdb_ok {
        eprintln!("note: {py} has no `duckdb` (python3 -m venv target/bench-venv && target/bench-venv/bin/pip install duckdb); the peer comparison is skipped");
    }
    let script = root.join("crates/pmhc-cli/benches/report_duckdb.py");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let periods = Periods {
        baseline: Period::parse(&format!("{}..{}", BASELINE.0, BASELINE.1)).expect("period"),
        comparison: Period::parse(&format!("{}..{}", COMPARISON.0, COMPARISON.1)).expect("period"),
    };

    let mut table = String::from(
        "| encounters | pmhc cold: `pmhc report` process (s) | cache fill: read store (s) | cache fill: build index (s) | index memory (MiB) | pmhc warm: full report (ms) | + public mode (ms) | DuckDB: load CSV (s) | DuckDB: derive columns (s) | DuckDB: same aggregates (ms) | DuckDB ÷ pmhc warm |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for &n in &sizes {
        let (db, csv) = ensure_data(pmhc, &dir, n);
        let url = format!("sqlite:{}", db.display());
        // Cold: the whole command, every breakdown and the monthly series, JSON out.
        let out_json = dir.join(format!("report-{n}.json"));
        let args = [
            "--database",
            &url,
            "report",
            "--baseline",
            &format!("{}..{}", BASELINE.0, BASELINE.1),
            "--comparison",
            &format!("{}..{}", COMPARISON.0, COMPARISON.1),
            "--format",
            "json",
            "--output",
            out_json.to_str().expect("path"),
        ]
        .map(String::from);
        // One untimed run reads the file into the OS page cache.
        run(Command::new(pmhc).args(&args));
        let mut cold = Vec::new();
        for r in 1..=runs {
            let (secs, _) = run(Command::new(pmhc).args(&args));
            eprintln!("   {n}: cold run {r}: {secs:.2} s");
            cold.push(secs);
        }
        let report_text = std::fs::read_to_string(&out_json).expect("report");

        // Warm: the engine with its cache (the index) built once.
        let store = rt.block_on(pmhc_store::Store::open(&url)).expect("open");
        let dv = rt.block_on(store.current_definition()).expect("definitions");
        let (mut reads, mut builds) = (Vec::new(), Vec::new());
        let mut index = None;
        for _ in 0..runs.min(3) {
            let t = Instant::now();
            let data = rt.block_on(store.load_outcome_data(None)).expect("load");
            reads.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            index = Some(OutcomeIndex::build(&data, &dv.definition, &OutcomeFilter::default()));
            builds.push(t.elapsed().as_secs_f64());
        }
        let index = index.expect("index");
        let req = ReportRequest { periods, breakdowns: Dimension::ALL.to_vec(), monthly: true };
        let dref = DefinitionRef::new(dv.version, &dv.definition);
        let (mut warm, mut public) = (Vec::new(), Vec::new());
        let mut last = None;
        for _ in 0..runs.max(5) * 4 {
            let t = Instant::now();
            let r = index.report(dref.clone(), &req);
            warm.push(t.elapsed().as_secs_f64() * 1e3);
            let mut p = r.clone();
            let t = Instant::now();
            make_public(&mut p);
            public.push(t.elapsed().as_secs_f64() * 1e3);
            last = Some(r);
        }
        let last = last.expect("report");
        // The process and the in-process engine agree, to the last digit.
        assert_eq!(serde_json::to_string_pretty(&last).expect("json") + "\n", report_text, "cold and warm reports differ");
        let warm_ms = median(warm);

        let mut duck_cells = ("n/a".to_string(), "n/a".to_string(), "n/a".to_string(), "n/a".to_string());
        if duckdb_ok {
            let (_, out) = run(Command::new(&py).arg(&script).arg(&csv).arg(runs.to_string()).args([
                BASELINE.0,
                BASELINE.1,
                COMPARISON.0,
                COMPARISON.1,
            ]));
            let d: serde_json::Value = serde_json::from_str(out.trim()).expect("duckdb json");
            // Both tools computed the same headline numbers.
            for (side, key) in [("baseline", "baseline"), ("comparison", "comparison")] {
                let p = &last.periods;
                let pr = if side == "baseline" { &p.baseline } else { &p.comparison };
                assert_eq!(d[key]["all"].as_u64(), pr.all_encounters, "{side}: all encounters");
                assert_eq!(d[key]["mh"].as_u64(), pr.encounters, "{side}: mental-health encounters");
                let arrest = pr.measures.get(Measure::Arrest).and_then(|v| v.fraction()).expect("arrest");
                assert_eq!((d[key]["arrest"][0].as_u64(), d[key]["arrest"][1].as_u64()), (Some(arrest.0), Some(arrest.1)));
                let rep = pr.measures.get(Measure::RepeatPeople).and_then(|v| v.fraction()).expect("repeat");
                assert_eq!((d[key]["repeat"][0].as_u64(), d[key]["repeat"][1].as_u64()), (Some(rep.0), Some(rep.1)));
            }
            let report_ms = d["report_s"].as_f64().unwrap_or(f64::NAN) * 1e3;
            duck_cells = (
                format!("{:.1}", d["load_s"].as_f64().unwrap_or(f64::NAN)),
                format!("{:.2}", d["prepare_s"].as_f64().unwrap_or(f64::NAN)),
                format!("{report_ms:.0}"),
                format!("{:.0}×", report_ms / warm_ms),
            );
            eprintln!("   {n}: duckdb {out}");
        }
        table.push_str(&format!(
            "| {n} | {:.2} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {} | {} | {} | {} |\n",
            median(cold),
            median(reads),
            median(builds),
            index.memory_bytes() as f64 / (1 << 20) as f64,
            warm_ms,
            median(public),
            duck_cells.0,
            duck_cells.1,
            duck_cells.2,
            duck_cells.3,
        ));
        rt.block_on(store.close());
    }
    let machine = common::machine();
    let out = format!(
        "Machine: {machine}. Baseline {}..{}, comparison {}..{}; every breakdown and the monthly series. Medians of {runs} runs (warm: {} calls).\n\n{table}",
        BASELINE.0,
        BASELINE.1,
        COMPARISON.0,
        COMPARISON.1,
        runs.max(5) * 4
    );
    println!("{out}");
    let _ = std::fs::write(dir.join("results.md"), &out);
}
