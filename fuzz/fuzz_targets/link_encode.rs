//! Fuzz the linkage encoder's input: arbitrary bytes as a key file, and arbitrary text as a
//! person's identifiers (one per line: given name, surname, date of birth, sex, postcode, then an
//! encoding in hex). Reading must return an error or a value, never panic; every encoding made is
//! balanced (exactly half its bits set), matches itself with a score of 1, and reads back from its
//! hex; an encoding read from hex is one of exactly the right length.

#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use pmhc_core::linkage::{self, Encoder, Encoding, LinkIdentifiers, LinkageSecret};

fuzz_target!(|data: &[u8]| {
    let (key, rest) = data.split_at(data.len().min(48));
    let secret = match LinkageSecret::from_key_file(key) {
        Ok(s) => s,
        Err(_) => LinkageSecret::from_key_file(&[42u8; 32]).expect("a 32-byte secret"),
    };
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.split('\n');
    let mut next = || lines.next().map(str::to_string).filter(|s| !s.is_empty());
    let given_name = next();
    let surname = next();
    let date_of_birth = next().and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let ids = LinkIdentifiers { given_name, surname, date_of_birth, sex: next(), postcode: next() };
    let encoder = Encoder::new(&secret);
    if let Ok(e) = encoder.encode(&ids) {
        assert_eq!(e.ones() as usize, linkage::BASE_BITS, "balanced");
        assert_eq!(Encoding::from_hex(&e.to_hex()).as_ref(), Ok(&e));
        let l = linkage::link(std::slice::from_ref(&e), std::slice::from_ref(&e), None);
        assert_eq!(l.links.len(), 1);
        assert!((l.links[0].score - 1.0).abs() < 1e-12);
    }
    if let Some(hex) = next()
        && let Ok(e) = Encoding::from_hex(&hex)
    {
        assert_eq!(e.to_hex().len(), linkage::ENCODING_BITS / 4);
    }
});
