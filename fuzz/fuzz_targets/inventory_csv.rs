//! The service inventory importer on any file: never a panic; either services that each pass
//! validation and write back to the same services, or problems that each name a line of the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pmhc_core::sharing::{Partner, Sector};
use pmhc_import::inventory::{inventory_csv, parse_inventory};

fuzz_target!(|data: &[u8]| {
    let partners = vec![
        Partner { id: 1, name: "County BH".into(), sector: Sector::BehavioralHealth },
        Partner { id: 2, name: "City Police".into(), sector: Sector::LawEnforcement },
    ];
    match parse_inventory(data, &partners) {
        Ok(services) => {
            for s in &services {
                assert!(s.validate().is_ok());
                assert!(partners.iter().any(|p| p.id == s.provider));
            }
            let back = inventory_csv(&services, &partners).expect("write");
            assert_eq!(parse_inventory(&back, &partners).expect("read back"), services);
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            assert!(problems.iter().all(|p| !p.message.is_empty()));
        }
    }
});
