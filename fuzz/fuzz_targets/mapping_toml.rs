//! Fuzz mapping files: arbitrary UTF-8 to `MappingSpec::from_toml`. It must return an error or a
//! mapping, never panic; a mapping it accepts must compile against a header of exactly its
//! columns and map a few rows without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pmhc_core::PseudonymKey;
use pmhc_import::{CompiledMapping, MappingSpec};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(spec) = MappingSpec::from_toml(text) else { return };
    let header: Vec<String> = spec.columns().into_iter().map(str::to_string).collect();
    let compiled = CompiledMapping::compile(spec, &header, Some(PseudonymKey::from_bytes([7; 32])))
        .expect("a mapping that loads compiles against a header of exactly its columns");
    for value in ["", "1", "yes", "2021-05-01", "2021-05-01 10:30:00", "05/01/2021 10:30:00 PM", "2021 May", "-1.5", "NA"] {
        let row: Vec<&str> = header.iter().map(|_| value).collect();
        let _ = compiled.key(&row);
        let _ = compiled.map_row(&row, &mut Vec::new());
    }
});
