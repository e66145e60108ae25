//! The field encounter form's parser on any submitted form: never a panic; either an encounter
//! that passes validation (with the draft's key) or problems that each name a field of the form.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use pmhc_core::field_form::{FIELD_SOURCE, fields, parse, valid_draft_id};

fuzz_target!(|data: &[u8]| {
    // The body as a browser would send it: key=value pairs joined by '&', percent-decoded
    // loosely (invalid UTF-8 replaced), last value wins.
    let text = String::from_utf8_lossy(data);
    let mut form = HashMap::new();
    for pair in text.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        form.insert(k.to_string(), v.to_string());
    }
    let known: Vec<&str> = fields().iter().map(|f| f.name).collect();
    match parse(&form) {
        Ok(e) => {
            assert_eq!(e.source_system, FIELD_SOURCE);
            assert!(valid_draft_id(&e.source_key));
            assert!(e.validate().is_ok());
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            for p in problems {
                assert!(p.field == "draft_id" || known.contains(&p.field.as_str()), "unknown field {}", p.field);
                assert!(!p.message.is_empty());
            }
        }
    }
});
