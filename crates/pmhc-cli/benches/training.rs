//! What the training coverage costs on a large jurisdiction: `cargo bench -p pmhc-cli --bench training`.
//!
//! `pmhc demo` makes a synthetic jurisdiction (`PMHC_BENCH_ROWS`, default 1,000,000 encounters)
//! with its training programme (the roster of the officers who answered the calls, their courses
//! and refreshers, dispatchers) in a temporary SQLite file; then, `PMHC_BENCH_RUNS` times (default
//! 5, median reported), `pmhc training coverage --format csv` (read the rosters, completions and
//! every call that requested CIT, match the officers to the roster, compute the coverage) and
//! `pmhc training coverage --format reach-csv`, each a whole process from start to exit.
//!
//! Results go to standard output and target/bench-training/results.md (for docs/performance.md).

mod common;

use std::process::Command;

use common::{machine, median, remove_db, run};

fn main() {
    let n: u64 = std::env::var("PMHC_BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let runs: usize = std::env::var("PMHC_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let pmhc = env!("CARGO_BIN_EXE_pmhc");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-training");
    std::fs::create_dir_all(&dir).expect("bench folder");
    let db_path = dir.join("training.sqlite");
    remove_db(&db_path);
    let db = format!("sqlite://{}", db_path.display());
    let (demo, _) = run(Command::new(pmhc).args(["--database", &db, "demo", "--encounters", &n.to_string(), "--json"]));
    eprintln!("pmhc demo --encounters {n}: {demo:.1} s");
    let (_, calls) = run(Command::new(pmhc).args(["--database", &db, "training", "coverage", "--format", "reach-csv", "--on", "2025-01-01"]));
    let requested = calls.lines().nth(1).and_then(|l| l.split(',').nth(2)).unwrap_or("?").to_string();
    let (_, roster) = run(Command::new(pmhc).args(["--database", &db, "training", "roster"]));
    let staff = roster.lines().count().saturating_sub(1);
    let mut coverage = Vec::new();
    let mut reach = Vec::new();
    for r in 1..=runs {
        let (t, _) = run(Command::new(pmhc).args(["--database", &db, "training", "coverage", "--format", "csv", "--on", "2025-01-01"]));
        coverage.push(t);
        let (t2, _) = run(Command::new(pmhc).args(["--database", &db, "training", "coverage", "--format", "reach-csv", "--on", "2025-01-01"]));
        reach.push(t2);
        eprintln!("run {r}: coverage {t:.3} s, reach {t2:.3} s");
    }
    let out = format!(
        "machine: {}\n\n| work ({n} encounters, {requested} calls that requested CIT, {staff} staff) | median of {runs} |\n|---|---|\n\
         | `pmhc training coverage --format csv` (whole process) | {:.3} s |\n\
         | `pmhc training coverage --format reach-csv` (whole process) | {:.3} s |\n\
         | `pmhc demo` with the training programme (once) | {demo:.1} s |\n",
        machine(),
        median(coverage),
        median(reach),
    );
    println!("{out}");
    let results = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-training");
    std::fs::create_dir_all(&results).expect("results folder");
    std::fs::write(results.join("results.md"), &out).expect("write the results");
    remove_db(&db_path);
}
