//! Import throughput benchmark: `cargo bench -p pmhc-cli --bench import`.
//!
//! For each size (default 1M and 10M encounters; `PMHC_BENCH_ROWS=100000,1000000` to choose) it
//! generates pmhc's canonical CSV with `pmhc demo --csv`, then, `PMHC_BENCH_RUNS` times (default 3):
//! - imports it with the real `pmhc import --mapping pmhc` into a fresh SQLite file;
//! - re-imports it into the same file (the idempotent no-op path);
//! - loads the same CSV into a fresh DuckDB file with DuckDB's `read_csv` (PyPI `duckdb`), the
//!   peer tool, in the same run.
//!
//! It prints a Markdown table of medians (and writes it to target/bench-import/results.md) for
//! docs/performance.md. Timings are wall-clock of the whole command, process start included.

mod common;

use common::{median, remove_db, run};
use std::path::PathBuf;
use std::process::Command;




const DUCKDB: &str = r#"
import sys, time, duckdb
csv, db = sys.argv[1], sys.argv[2]
t = time.perf_counter()
con = duckdb.connect(db)
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE encounters AS SELECT * FROM read_csv(?, header = true)", [csv])
n = con.execute("SELECT count(*) FROM encounters").fetchone()[0]
con.close()
print(n, time.perf_counter() - t)
"#;

fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let pmhc = env!("CARGO_BIN_EXE_pmhc");
    let sizes: Vec<u64> = std::env::var("PMHC_BENCH_ROWS")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("PMHC_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-import");
    std::fs::create_dir_all(&dir).expect("create target/bench-import");
    let duckdb_ok = Command::new("python3").args(["-c", "import duckdb"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !duckdb_ok {
        eprintln!("note: python3 with `duckdb` is not installed (pip install duckdb); the peer comparison is skipped");
    }

    let mut table = String::from(
        "| encounters | CSV size | generate (s) | pmhc import into SQLite (s) | rows/s | re-import, no change (s) | rows/s | DuckDB read_csv (s) | rows/s | DuckDB ÷ pmhc time |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for &n in &sizes {
        let csv = dir.join(format!("demo-{n}.csv"));
        let db = dir.join(format!("bench-{n}.sqlite"));
        let duck = dir.join(format!("bench-{n}.duckdb"));
        eprintln!("== {n} encounters: generating {}", csv.display());
        let (gen_secs, _) = run(Command::new(pmhc).args(["--database", "sqlite::memory:", "demo", "--json", "--encounters", &n.to_string(), "--seed", "42", "--csv"]).arg(&csv));
        let size = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
        let (mut imports, mut reimports, mut ducks) = (Vec::new(), Vec::new(), Vec::new());
        for r in 1..=runs {
            remove_db(&db);
            let db_url = format!("sqlite:{}", db.display());
            let (secs, out) = run(Command::new(pmhc).args(["--database", &db_url, "import", "--mapping", "pmhc", "--json"]).arg(&csv));
            let summary: serde_json::Value = serde_json::from_str(&out).expect("import --json prints JSON");
            assert_eq!(summary["inserted"].as_u64(), Some(n), "every encounter inserted: {out}");
            eprintln!("   run {r}: import {secs:.2} s ({:.0} rows/s)", n as f64 / secs);
            imports.push(secs);
            let (secs, out) = run(Command::new(pmhc).args(["--database", &db_url, "import", "--mapping", "pmhc", "--json"]).arg(&csv));
            let summary: serde_json::Value = serde_json::from_str(&out).expect("import --json prints JSON");
            assert_eq!(summary["unchanged"].as_u64(), Some(n), "re-import changes nothing: {out}");
            eprintln!("   run {r}: re-import {secs:.2} s");
            reimports.push(secs);
            if duckdb_ok {
                remove_db(&duck);
                let (secs, out) = run(Command::new("python3").args(["-c", DUCKDB]).arg(&csv).arg(&duck));
                let loaded: u64 = out.lines().last().and_then(|l| l.split_whitespace().next()).and_then(|s| s.parse().ok()).unwrap_or(0);
                assert_eq!(loaded, n, "DuckDB loaded every row");
                eprintln!("   run {r}: duckdb {secs:.2} s");
                ducks.push(secs);
            }
        }
        let (imp, re, dk) = (median(imports), median(reimports), median(ducks));
        let fmt_duck = |v: f64, f: &dyn Fn(f64) -> String| if duckdb_ok { f(v) } else { "n/a".into() };
        table.push_str(&format!(
            "| {n} | {:.0} MiB | {gen_secs:.1} | {imp:.2} | {:.0} | {re:.2} | {:.0} | {} | {} | {} |\n",
            size as f64 / (1 << 20) as f64,
            n as f64 / imp,
            n as f64 / re,
            fmt_duck(dk, &|v| format!("{v:.2}")),
            fmt_duck(dk, &|v| format!("{:.0}", n as f64 / v)),
            fmt_duck(dk, &|v| format!("{:.2}", v / imp)),
        ));
        remove_db(&db);
        remove_db(&duck);
        let _ = std::fs::remove_file(&csv);
    }
    let machine = common::machine();
    let report = format!("Machine: {machine}. Medians of {runs} runs.\n\n{table}");
    println!("{report}");
    let _ = std::fs::write(dir.join("results.md"), &report);
}
