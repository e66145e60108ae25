//! Fuzz the report's inputs: arbitrary UTF-8 as a shared-definitions TOML file and as period
//! strings. Parsing must return an error or a value, never panic; a definition that validates must
//! build an index over a small fixed set of encounters, report on any two valid periods, and go
//! through public-mode disclosure control without panicking, with no count of 1 to 10 left shown.

#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use pmhc_core::definition::{Period, Periods, SharedDefinition};
use pmhc_core::outcomes::{DefinitionRef, Dimension, OutcomeData, OutcomeFilter, OutcomeIndex, ReportRequest, make_public};
use pmhc_core::{DatePrecision, Encounter, UseOfForce};

fn data() -> OutcomeData {
    let mut data = OutcomeData::new();
    for i in 0..60u32 {
        let day = NaiveDate::from_ymd_opt(2020 + (i % 3) as i32, 1 + i % 12, 1 + i % 28).unwrap_or(NaiveDate::MIN);
        let mut e = Encounter::new("fuzz", format!("k{i}"), day);
        if i % 7 == 0 {
            e.date_precision = DatePrecision::Month;
        }
        e.mental_health_flag = Some(i % 5 != 0);
        e.arrested = Some(i % 4 == 0);
        e.use_of_force = if i % 6 == 0 { UseOfForce::Level1 } else { UseOfForce::None };
        e.subject_key = Some(format!("p{}", i % 9));
        e.area.precinct = Some(format!("P{}", i % 3));
        data.push_encounter(&e);
    }
    data
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    // Periods: the text split at a newline gives two candidates.
    let mut lines = text.lines();
    let (a, b) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    let periods = match (Period::parse(a), Period::parse(b)) {
        (Ok(baseline), Ok(comparison)) => Periods { baseline, comparison },
        _ => Periods {
            baseline: Period::parse("2020-01-01..2020-12-31").expect("valid"),
            comparison: Period::parse("2022-01-01..2022-12-31").expect("valid"),
        },
    };
    let definition = match toml::from_str::<SharedDefinition>(text) {
        Ok(d) if d.validate().is_ok() => d,
        _ => SharedDefinition::default(),
    };
    let index = OutcomeIndex::build(&data(), &definition, &OutcomeFilter::default());
    let req = ReportRequest { periods, breakdowns: Dimension::ALL.to_vec(), monthly: periods.baseline.days() < 4000 };
    let mut report = index.report(DefinitionRef::new(1, &definition), &req);
    make_public(&mut report);
    let json = serde_json::to_string(&report).expect("a report serialises");
    assert!(!json.contains("\"numerator\":1,"), "a count of 1 is shown in public mode");
});
