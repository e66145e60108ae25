//! Insert throughput into SQLite. Run in release mode:
//! `cargo test -p pmhc-store --release -- --ignored --nocapture`
//!
//! Environment: `PMHC_BENCH_N` records (200 000), `PMHC_BENCH_BATCH` per batch (10 000),
//! `PMHC_BENCH_INSERT_ONLY` to stop after the first import.

use std::time::Instant;

use chrono::{Days, NaiveTime};
use pmhc_core::*;
use pmhc_store::{EncounterFilter, Store};

use crate::helpers::*;

/// Synthetic, varied, normalised records (about as populated as a typical CAD export).
pub fn synthetic(n: usize) -> Vec<Encounter> {
    let precincts = ["North", "South", "East", "West", "Southwest"];
    let calls = ["SUICIDAL PERSON", "PERSON IN CRISIS", "DISTURBANCE", "WELFARE CHECK"];
    (0..n)
        .map(|i| {
            let mut e = Encounter::new("bench", format!("CAD-{i:09}"), day(2018, 1, 1) + Days::new((i % 2500) as u64));
            let x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            e.occurred_time = NaiveTime::from_hms_opt((x % 24) as u32, ((x >> 8) % 60) as u32, 0);
            e.call_number = Some(format!("{}-{:07}", 2018 + i % 7, i));
            e.area.precinct = Some(precincts[i % 5].into());
            e.area.beat = Some(format!("B{}", x % 50));
            e.area.latitude = Some(47.5 + (x % 1000) as f64 / 10_000.0);
            e.area.longitude = Some(-122.3 - ((x >> 10) % 1000) as f64 / 10_000.0);
            e.call_source = CallSource::Emergency911;
            e.initial_call_type = Some(calls[(x % 4) as usize].into());
            e.final_call_type = Some(calls[((x >> 3) % 4) as usize].into());
            e.response_model = if x.is_multiple_of(3) { ResponseModel::Cit } else { ResponseModel::StandardPatrol };
            e.disposition = [Disposition::Arrest, Disposition::Referral, Disposition::ResolvedOnScene][(x % 3) as usize];
            e.use_of_force = if x.is_multiple_of(11) { UseOfForce::Level1 } else { UseOfForce::None };
            e.officers = vec![Officer { id: Some(format!("{}", x % 900)), years_experience: None, cit_certified: Some(x.is_multiple_of(2)) }];
            if x.is_multiple_of(4) {
                e.behaviours = vec!["Suicidal threats".into()];
            }
            e.subject_key = (x.is_multiple_of(3)).then(|| format!("p-{:024x}", x % 40_000));
            e.age_band = AgeBand::from_age((18 + x % 60) as u32);
            e.gender = if x.is_multiple_of(2) { Gender::Male } else { Gender::Female };
            e.normalize();
            e
        })
        .collect()
}

/// CPU seconds used by this process so far (user + system), from `/proc/self/stat`; 0 elsewhere.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    let Some(after) = stat.rsplit_once(')').map(|(_, a)| a) else { return 0.0 };
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn bench_sqlite_insert_200k() {
    let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let n = env("PMHC_BENCH_N", 200_000);
    let batch = env("PMHC_BENCH_BATCH", 10_000);
    let records = synthetic(n);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("bench.db").display())).await.unwrap();
    store.migrate().await.unwrap();

    let (t, c) = (Instant::now(), cpu_seconds());
    for chunk in records.chunks(batch) {
        store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, chunk).await.unwrap();
    }
    let insert = t.elapsed();
    let insert_cpu = cpu_seconds() - c;
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), n as u64);
    if std::env::var_os("PMHC_BENCH_INSERT_ONLY").is_some() {
        println!(
            "SQLite, {n} records in batches of {batch}: insert {insert:.2?} ({:.0} rows/s, {:.2} CPU-µs/row)",
            n as f64 / insert.as_secs_f64(),
            insert_cpu * 1e6 / n as f64
        );
        return;
    }

    let (t, c) = (Instant::now(), cpu_seconds());
    for chunk in records.chunks(batch) {
        assert_eq!(store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, chunk).await.unwrap().unchanged, chunk.len() as u64);
    }
    let unchanged = t.elapsed();
    let unchanged_cpu = cpu_seconds() - c;
    let changed: Vec<Encounter> = records
        .iter()
        .map(|e| Encounter { priority: Some("2".into()), ..e.clone() })
        .collect();
    let (t, c) = (Instant::now(), cpu_seconds());
    for chunk in changed.chunks(batch) {
        assert_eq!(store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, chunk).await.unwrap().updated, chunk.len() as u64);
    }
    let updated = t.elapsed();
    let updated_cpu = cpu_seconds() - c;
    let t = Instant::now();
    let hashes: usize = records.iter().map(|e| e.content_hash().len()).sum();
    let hashing = t.elapsed();
    assert!(hashes > 0);
    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!(
        "SQLite, {n} records in batches of {batch}: insert {:.2?} ({:.0} rows/s, {:.2} CPU-µs/row); \
         unchanged re-import {:.2?} ({:.0} rows/s, {:.2} CPU-µs/row); \
         changed re-import {:.2?} ({:.0} rows/s, {:.2} CPU-µs/row); content_hash alone {:.2?} ({:.0} rows/s)",
        insert,
        rate(insert),
        insert_cpu * 1e6 / n as f64,
        unchanged,
        rate(unchanged),
        unchanged_cpu * 1e6 / n as f64,
        updated,
        rate(updated),
        updated_cpu * 1e6 / n as f64,
        hashing,
        rate(hashing)
    );
    store.close().await;
}
