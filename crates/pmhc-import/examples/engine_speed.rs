//! How fast the import engine alone runs (CSV decode, mapping, merge; no database):
//! `cargo run --release -p pmhc-import --example engine_speed -- FILE MAPPING-NAME`.

use std::time::Instant;

use pmhc_core::Encounter;
use pmhc_import::{EngineOptions, Sink, shipped};

struct Count(u64);

impl Sink for Count {
    fn write(&mut self, batch: Vec<Encounter>) -> Result<(), String> {
        self.0 += batch.len() as u64;
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(name)) = (args.next(), args.next()) else {
        return Err("usage: engine_speed FILE MAPPING-NAME".into());
    };
    let spec = shipped::shipped(&name).ok_or("no such shipped mapping")??;
    let key = pmhc_core::PseudonymKey::from_bytes([7; 32]);
    let started = Instant::now();
    let mut sink = Count(0);
    let s = pmhc_import::run(file.as_ref(), &spec, EngineOptions { pseudonym_key: Some(key), ..EngineOptions::default() }, &mut sink)?;
    let secs = started.elapsed().as_secs_f64();
    println!("{} rows, {} encounters in {secs:.2} s: {:.0} rows/s", s.counts.received, sink.0, s.counts.received as f64 / secs);
    Ok(())
}
