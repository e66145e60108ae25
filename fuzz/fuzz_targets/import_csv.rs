//! Fuzz the import engine: arbitrary bytes as a CSV file through a shipped mapping.
//!
//! Input layout: the first byte chooses how to run, the rest is the file.
//! - bits 0-3: the shipped mapping, `(byte & 0x0F) % SHIPPED.len()` (in `SHIPPED` order:
//!   0 pmhc, 1 toronto-pic, 2 dallas-uof, 3 seattle-uof, 4 seattle-call-data,
//!   5 seattle-call-data-r, 6 seattle-crisis);
//! - bit 4 (0x10): run with a pseudonym key;
//! - bit 5 (0x20): batches of one encounter (otherwise the default 5,000);
//! - bit 7 (0x80): the rest is the whole file; otherwise a header line naming every column
//!   the mapping reads is written first, so the fuzzer reaches the row mapping at once.
//!
//! Checked on every run that completes: received = accepted + rejected; the sink got
//! `encounters` encounters, no more than the accepted rows, with unique keys; the rejects CSV
//! holds exactly the rejected rows.

#![no_main]

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pmhc_core::{Encounter, PseudonymKey};
use pmhc_import::shipped::SHIPPED;
use pmhc_import::{EngineOptions, MappingSpec, run};

struct Setup {
    /// (mapping, its header line) for every shipped mapping.
    mappings: Vec<(MappingSpec, Vec<u8>)>,
    input: PathBuf,
    rejects: PathBuf,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let mappings = SHIPPED
            .iter()
            .map(|(name, text)| {
                let spec = MappingSpec::from_toml(text).unwrap_or_else(|e| panic!("shipped mapping {name}: {e}"));
                let mut delim = [0u8; 4];
                spec.source.delimiter.encode_utf8(&mut delim);
                let mut w = csv::WriterBuilder::new().delimiter(delim[0]).from_writer(Vec::new());
                w.write_record(spec.columns()).expect("header");
                let header = w.into_inner().expect("header");
                (spec, header)
            })
            .collect();
        let dir = std::env::temp_dir().join(format!("pmhc-fuzz-import-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Setup { mappings, input: dir.join("in.csv"), rejects: dir.join("rejects.csv") }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let setup = setup();
    let (spec, header) = &setup.mappings[usize::from(mode & 0x0F) % setup.mappings.len()];
    let mut file = Vec::with_capacity(header.len() + rest.len());
    if mode & 0x80 == 0 {
        file.extend_from_slice(header);
    }
    file.extend_from_slice(rest);
    std::fs::write(&setup.input, &file).expect("write the input");
    let _ = std::fs::remove_file(&setup.rejects);

    let options = EngineOptions {
        batch_size: if mode & 0x20 != 0 { 1 } else { 5_000 },
        rejects_path: Some(setup.rejects.clone()),
        pseudonym_key: (mode & 0x10 != 0).then(|| PseudonymKey::from_bytes([7; 32])),
        progress: None,
    };
    let mut sink: Vec<Encounter> = Vec::new();
    let Ok(s) = run(&setup.input, spec, options, &mut sink) else { return };

    assert_eq!(s.counts.received, s.counts.accepted + s.counts.rejected, "received = accepted + rejected: {s:?}");
    assert_eq!(s.encounters, sink.len() as u64, "the summary counts the encounters the sink got");
    assert!(s.encounters <= s.counts.accepted, "more encounters than accepted rows: {s:?}");
    let keys: HashSet<(&str, &str)> = sink.iter().map(|e| (e.source_system.as_str(), e.source_key.as_str())).collect();
    assert_eq!(keys.len(), sink.len(), "an encounter key was emitted twice");
    let rejected_in_file = match std::fs::read(&setup.rejects) {
        Ok(bytes) => {
            let mut r = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(bytes.as_slice());
            let mut n = 0u64;
            for rec in r.byte_records() {
                rec.expect("the rejects file is valid CSV");
                n += 1;
            }
            n
        }
        Err(_) => 0,
    };
    assert_eq!(rejected_in_file, s.counts.rejected, "rows in the rejects file = rejected rows");
});
