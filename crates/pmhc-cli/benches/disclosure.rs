//! The price of protection against the statistical agencies' reference tool:
//! `cargo bench -p pmhc-cli --bench disclosure` (outside CI; needs ../shared/data and, for the
//! peer, a Python with `pytauargus` and `pandas`: `python3 -m venv target/tauargus-venv &&
//! target/tauargus-venv/bin/pip install pytauargus pandas`, or `PMHC_BENCH_TAUARGUS_PYTHON`).
//!
//! The tables: the two-way tables pmhc's public reports of the real use-of-force files publish —
//! precinct × force level and race × force level, each with every margin (a group's any force is
//! its levels' sum; a level's period total is its groups' sum), for the baseline and the comparison
//! period of Dallas 2016 (halves) and Seattle (2019 against 2020), every encounter counting.
//!
//! The methods, on the same cells with the same threshold (1 to 10 is unsafe, zeros are shown):
//! - pmhc `solve`: complementary suppression until the exact attacker recovers nothing;
//! - pmhc `solve_with_ranges`: further, until every primary cell's feasible range is ≥ 10 wide;
//! - τ-Argus MOD (modular, HiTaS) with the frequency rule FREQ(11, p) for two safety ranges p.
//!
//! Measured per method, summed over the tables: secondary suppressions, the count they hide, and
//! what pmhc's exact attacker (suppressed counts known to be ≥ 1, since zeros are shown) recovers
//! from each pattern: cells worked out exactly, and primary cells whose feasible range is narrower
//! than 10. Results go to standard output and target/bench-disclosure/results.md.

mod common;

use common::{machine, median, run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use pmhc_core::disclosure::{CellId, CellStatus, Suppression, SuppressionProblem, derivable, narrow_ranges};
use serde_json::Value;

const THRESHOLD: u64 = 10;
const LEVELS: [&str; 3] = ["force_level_1", "force_level_2", "force_level_3"];

/// A two-way table: `cells[row][col]`, with its labels.
struct Table {
    name: String,
    rows: Vec<String>,
    cells: Vec<[u64; 3]>,
}

impl Table {
    /// The cells in the benchmark's layout (interior row by row, row totals, column totals, grand
    /// total) and the sums between them.
    fn problem(&self) -> SuppressionProblem {
        let mut p = SuppressionProblem::new();
        let inner: Vec<Vec<CellId>> = self.cells.iter().map(|r| r.iter().map(|&v| p.cell(v)).collect()).collect();
        let rows: Vec<CellId> = self.cells.iter().map(|r| p.cell(r.iter().sum())).collect();
        let cols: Vec<CellId> = (0..3).map(|j| p.cell(self.cells.iter().map(|r| r[j]).sum())).collect();
        let grand = p.cell(self.cells.iter().flatten().sum());
        for (i, r) in inner.iter().enumerate() {
            p.constrain(rows[i], r).expect("rows add up");
        }
        for j in 0..3 {
            let col: Vec<CellId> = inner.iter().map(|r| r[j]).collect();
            p.constrain(cols[j], &col).expect("columns add up");
        }
        p.constrain(grand, &rows).expect("the grand total adds up");
        p.constrain(grand, &cols).expect("the grand total adds up");
        p
    }
}

/// What a suppression pattern costs and what the exact attacker gets from it.
#[derive(Default, Clone, Copy)]
struct Outcome {
    primaries: usize,
    secondaries: usize,
    hidden_count: u64,
    recovered: usize,
    narrow: usize,
    seconds: f64,
}

impl Outcome {
    fn of(p: &SuppressionProblem, s: &Suppression, seconds: f64) -> Outcome {
        let ids = (0..p.len()).map(|i| CellId(i as u32));
        let mut o = Outcome { seconds, ..Outcome::default() };
        for id in ids {
            match s.status(id) {
                CellStatus::Primary => o.primaries += 1,
                CellStatus::Complementary => {
                    o.secondaries += 1;
                    o.hidden_count += p.value(id);
                }
                _ => {}
            }
        }
        o.recovered = derivable(p, s).len();
        o.narrow = narrow_ranges(p, s, THRESHOLD).len();
        o
    }

    fn add(&mut self, o: Outcome) {
        self.primaries += o.primaries;
        self.secondaries += o.secondaries;
        self.hidden_count += o.hidden_count;
        self.recovered += o.recovered;
        self.narrow += o.narrow;
        self.seconds += o.seconds;
    }
}

/// pmhc's suppression of `p` (`ranges`: every primary range at least the threshold wide), timed
/// `runs` times (median).
fn timed_solve(p: &SuppressionProblem, ranges: bool, runs: usize) -> Outcome {
    let mut times = Vec::new();
    let mut s = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        s = Some(if ranges { p.solve_with_ranges(THRESHOLD) } else { p.solve(THRESHOLD) });
        times.push(started.elapsed().as_secs_f64());
    }
    Outcome::of(p, &s.expect("solved"), median(times))
}

fn python(root: &Path) -> String {
    if let Ok(p) = std::env::var("PMHC_BENCH_TAUARGUS_PYTHON") {
        return p;
    }
    let venv = root.join("target/tauargus-venv/bin/python");
    if venv.exists() { venv.display().to_string() } else { "python3".into() }
}

/// Import a use-of-force file, count every encounter, and read the internal report's tables.
fn tables(pmhc: &str, dir: &Path, name: &str, file: &Path, mapping: &str, periods: [&str; 2]) -> Vec<Table> {
    let db = dir.join(format!("{name}.sqlite"));
    common::remove_db(&db);
    let url = format!("sqlite:{}", db.display());
    run(Command::new(pmhc).args(["--database", &url, "import"]).arg(file).args(["--mapping", mapping, "--rejects"]).arg(dir.join(format!("{name}.rejects.csv"))));
    let defs = dir.join(format!("{name}.toml"));
    std::fs::write(&defs, "name = \"All encounters\"\n[mental_health]\nall_encounters = true\nflagged = false\n").expect("write");
    run(Command::new(pmhc).args(["--database", &url, "definitions", "set"]).arg(&defs).args(["--note", "every encounter"]));
    let (_, out) = run(Command::new(pmhc).args([
        "--database", &url, "report", "--baseline", periods[0], "--comparison", periods[1], "--format", "json", "--by", "precinct,race",
    ]));
    let r: Value = serde_json::from_str(&out).expect("report JSON");
    let num = |m: &Value, id: &str| m[id]["numerator"].as_u64();
    let mut out = Vec::new();
    for b in r["breakdowns"].as_array().into_iter().flatten() {
        for p in ["baseline", "comparison"] {
            let mut t = Table { name: format!("{name} {} × force level, {p}", b["by"].as_str().unwrap_or("?")), rows: Vec::new(), cells: Vec::new() };
            for g in b["groups"].as_array().into_iter().flatten() {
                let m = &g[p];
                let (Some(l1), Some(l2), Some(l3), Some(any)) = (num(m, LEVELS[0]), num(m, LEVELS[1]), num(m, LEVELS[2]), num(m, "any_force")) else {
                    continue;
                };
                assert_eq!(l1 + l2 + l3, any, "{}: the levels add up to any force", t.name);
                if any > 0 {
                    t.rows.push(g["label"].as_str().unwrap_or("?").to_string());
                    t.cells.push([l1, l2, l3]);
                }
            }
            if t.rows.len() >= 2 {
                out.push(t);
            }
        }
    }
    out
}

fn main() {
    let pmhc = env!("CARGO_BIN_EXE_pmhc");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let data = root.join("../shared/data");
    let dir = root.join("target/bench-disclosure");
    std::fs::create_dir_all(&dir).expect("create target/bench-disclosure");
    let runs: usize = std::env::var("PMHC_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let mut all = Vec::new();
    for (name, file, mapping, periods) in [
        ("dallas", "dallas-uof-2016/37-00049_UOF-P_2016_prepped.csv", "dallas-uof", ["2016-01-01..2016-06-30", "2016-07-01..2016-12-31"]),
        ("seattle", "seattle-use-of-force/Use_Of_Force.csv", "seattle-uof", ["2019-01-01..2019-12-31", "2020-01-01..2020-12-31"]),
    ] {
        let path = data.join(file);
        if !path.exists() {
            eprintln!("skipped {name}: {} is missing", path.display());
            continue;
        }
        all.extend(tables(pmhc, &dir, name, &path, mapping, periods));
    }
    assert!(!all.is_empty(), "no tables: ../shared/data is missing");
    let cells: usize = all.iter().map(|t| t.rows.len() * 4 + 4).sum();
    let unsafe_cells: usize = all.iter().flat_map(|t| t.cells.iter().flatten()).filter(|&&v| (1..=THRESHOLD).contains(&v)).count();
    eprintln!("{} tables, {cells} cells, {unsafe_cells} unsafe interior cells", all.len());

    let mut rows: Vec<(String, Outcome)> = Vec::new();
    for (label, ranges) in [("pmhc `solve` (not exactly recoverable)", false), ("pmhc `solve_with_ranges` (every range ≥ 10 wide)", true)] {
        let mut total = Outcome::default();
        for t in &all {
            let p = t.problem();
            total.add(timed_solve(&p, ranges, runs));
        }
        rows.push((label.to_string(), total));
    }

    let py = python(&root);
    let have = Command::new(&py).args(["-c", "import pytauargus, pandas"]).output().is_ok_and(|o| o.status.success());
    if have {
        let json: Vec<Value> = all
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": t.name,
                    // Codes τ-Argus can read; the labels stay here.
                    "rows": (0..t.rows.len()).map(|i| format!("g{i:03}")).collect::<Vec<_>>(),
                    "cols": ["L1", "L2", "L3"],
                    "cells": t.cells,
                })
            })
            .collect();
        let tables_path = dir.join("tables.json");
        std::fs::write(&tables_path, serde_json::to_string(&json).expect("json")).expect("write");
        let script = root.join("crates/pmhc-cli/benches/disclosure_tauargus.py");
        for rule in ["FREQ(11,10)", "FREQ(11,100)"] {
            let out_path = dir.join("tauargus.json");
            run(Command::new(&py).arg(&script).arg(&tables_path).arg(&out_path).args([rule, "MOD(1)"]));
            let results: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&out_path).expect("read")).expect("json");
            let mut total = Outcome::default();
            for (t, r) in all.iter().zip(&results) {
                let p = t.problem();
                let status: Vec<CellStatus> = r["status"]
                    .as_array()
                    .expect("status")
                    .iter()
                    .enumerate()
                    .map(|(i, s)| match s.as_str() {
                        Some("primary") => CellStatus::Primary,
                        Some("secondary") if (1..=THRESHOLD).contains(&p.value(CellId(i as u32))) => CellStatus::Primary,
                        Some("secondary") => CellStatus::Complementary,
                        _ => CellStatus::Shown,
                    })
                    .collect();
                assert_eq!(status.len(), p.len(), "{}: τ-Argus gave every cell a status", t.name);
                total.add(Outcome::of(&p, &Suppression::from_statuses(status), r["seconds"].as_f64().unwrap_or(f64::NAN)));
            }
            rows.push((format!("τ-Argus MOD, {rule}"), total));
        }
    } else {
        eprintln!("note: {py} has no `pytauargus`/`pandas`; the τ-Argus comparison is skipped (see the top of this file)");
    }

    let mut md = format!(
        "Machine: {}. {} tables ({cells} cells, {unsafe_cells} interior cells from 1 to {THRESHOLD}); pmhc times are medians of {runs} runs.\n\n\
         | method | primary | secondary | count hidden by secondaries | recovered exactly (pmhc's attacker) | primaries with a range < 10 | time (s, all tables) |\n|---|---:|---:|---:|---:|---:|---:|\n",
        machine(),
        all.len()
    );
    for (label, o) in &rows {
        md.push_str(&format!(
            "| {label} | {} | {} | {} | {} | {} | {:.3} |\n",
            o.primaries, o.secondaries, o.hidden_count, o.recovered, o.narrow, o.seconds
        ));
    }
    md.push_str(&whole_release(pmhc, &dir, runs));
    println!("{md}");
    std::fs::write(dir.join("results.md"), &md).expect("write results");
}

/// A whole public release (the demo's published periods, every breakdown, the monthly series):
/// what each protection costs there, and how long it takes.
fn whole_release(pmhc: &str, dir: &Path, runs: usize) -> String {
    let n: u64 = std::env::var("PMHC_BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let db = dir.join(format!("demo-{n}.sqlite"));
    common::remove_db(&db);
    let url = format!("sqlite:{}", db.display());
    run(Command::new(pmhc).args(["--database", &url, "demo", "--seed", "1", "-n", &n.to_string()]));
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let report = rt.block_on(async {
        let store = pmhc_store::Store::open(&url).await.expect("open");
        let cx = pmhc_service::ServiceContext::new(store);
        let q = pmhc_service::outcomes::ReportQuery {
            breakdowns: pmhc_core::outcomes::Dimension::ALL.to_vec(),
            monthly: true,
            ..Default::default()
        };
        pmhc_service::outcomes::compute_report(&cx, &q).await.expect("report")
    });
    let (p, _) = pmhc_core::outcomes::disclosure_audit(&report);
    let mut md = format!(
        "\nThe demo's whole published release ({n} encounters; {} against {}, every breakdown and the monthly series): {} cells.\n\n\
         | method | primary | secondary | count hidden by secondaries | recovered exactly | primaries with a range < 10 | time (s, median of {runs}) |\n|---|---:|---:|---:|---:|---:|---:|\n",
        report.periods.baseline.from,
        report.periods.comparison.to,
        p.len()
    );
    for (label, ranges) in [("pmhc `solve`", false), ("pmhc `solve_with_ranges`", true)] {
        let o = timed_solve(&p, ranges, runs);
        md.push_str(&format!(
            "| {label} | {} | {} | {} | {} | {} | {:.2} |\n",
            o.primaries, o.secondaries, o.hidden_count, o.recovered, o.narrow, o.seconds
        ));
    }
    md
}
