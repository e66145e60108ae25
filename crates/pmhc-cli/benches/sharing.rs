//! What information sharing costs a report: `cargo bench -p pmhc-cli --bench sharing`.
//!
//! A synthetic jurisdiction (`PMHC_BENCH_ROWS`, default 1,000,000 encounters, generated in memory)
//! belongs to partner 1. For a viewer of partner 2 whose agreement shares incident details, area
//! and time, and mental-health details (the worst case: every record is copied and partly blanked),
//! it measures, `PMHC_BENCH_RUNS` times (default 5), medians reported:
//! - the whole data's index build (what every report of a viewer who sees everything uses);
//! - the scoped copy of the outcome data (`scoped_outcome_data`) and its index build;
//! - a page of 100 records through the sharing rule (`SharingView::disclose` + `withhold`).
//!
//! Results go to standard output and target/bench-sharing/results.md (for docs/performance.md).

mod common;

use std::time::Instant;

use common::median;
use pmhc_core::definition::SharedDefinition;
use pmhc_core::outcomes::{OutcomeData, OutcomeFilter, OutcomeIndex};
use pmhc_core::sharing::*;

fn main() {
    let n: u64 = std::env::var("PMHC_BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let runs: usize = std::env::var("PMHC_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let config = pmhc_synth::DemoConfig { encounters: n, seed: 1, ..Default::default() };
    let t = Instant::now();
    let mut data = OutcomeData::with_capacity(n as usize);
    let mut page = Vec::new();
    for e in pmhc_synth::generate(&config) {
        data.push_encounter(&e);
        if page.len() < 100 {
            page.push(e);
        }
    }
    eprintln!("generated {n} encounters in {:.1} s", t.elapsed().as_secs_f64());
    let def = SharedDefinition::default();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let agreement = InformationSharingAgreement {
        id: 1,
        title: "bench".into(),
        discloser: 1,
        recipient: 2,
        direction: Direction::OneWay,
        field_groups: "incident_details,area_and_time,mental_health_details".parse().expect("groups"),
        purpose: Purpose::CareCoordination,
        legal_basis: "bench".into(),
        effective_on: today,
        expires_on: today,
        ended_on: None,
        discloser_approved_on: Some(today),
        recipient_approved_on: None,
    };
    let view = SharingView::new(2, std::slice::from_ref(&agreement), today);
    let scope = view.report_scope();

    let (mut whole, mut copy, mut scoped_build, mut rule) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in 1..=runs {
        let t = Instant::now();
        let idx = OutcomeIndex::build(&data, &def, &OutcomeFilter::default());
        whole.push(t.elapsed().as_secs_f64());
        drop(idx);
        let t = Instant::now();
        let scoped = scoped_outcome_data(&data, &scope, &Default::default()).expect("a partial view copies");
        copy.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let idx = OutcomeIndex::build(&scoped, &def, &OutcomeFilter::default());
        scoped_build.push(t.elapsed().as_secs_f64());
        drop((idx, scoped));
        let t = Instant::now();
        for _ in 0..100 {
            for e in &page {
                let d = view.disclose(1, e.subject_key.as_deref(), &[]);
                let mut e = e.clone();
                withhold(&mut e, d.groups, &Default::default());
                std::hint::black_box(e);
            }
        }
        rule.push(t.elapsed().as_secs_f64() * 1e3 / 100.0);
        eprintln!("   run {r}: whole index {:.2} s, scoped copy {:.2} s, scoped index {:.2} s", whole[r - 1], copy[r - 1], scoped_build[r - 1]);
    }
    let table = format!(
        "| encounters | whole data: build index (s) | partner scope: copy data (s) | partner scope: build index (s) | a page of 100 records through the sharing rule (ms) |\n|---:|---:|---:|---:|---:|\n| {n} | {:.2} | {:.2} | {:.2} | {:.3} |\n",
        median(whole),
        median(copy),
        median(scoped_build),
        median(rule)
    );
    println!("{table}");
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-sharing");
    std::fs::create_dir_all(&dir).expect("create target/bench-sharing");
    std::fs::write(dir.join("results.md"), &table).expect("write results");
}
