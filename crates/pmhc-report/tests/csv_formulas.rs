//! The CSV report is opened in spreadsheets: a text a spreadsheet would read as a formula (here
//! precincts named `=…`, `+…`, `-…`, `@…`) is written with a leading `'`; numbers, negative ones
//! included, are written as they are.

use pmhc_core::definition::{Period, Periods, SharedDefinition};
use pmhc_core::outcomes::{DefinitionRef, Dimension, OutcomeData, OutcomeFilter, OutcomeIndex, ReportRequest};
use pmhc_synth::{DemoConfig, generate};

#[test]
fn no_text_cell_is_a_formula() {
    let config = DemoConfig { encounters: 2_000, seed: 11, ..DemoConfig::default() };
    let mut data = OutcomeData::new();
    for mut e in generate(&config) {
        e.area.precinct = e.area.precinct.map(|p| format!("{}{p}", ['=', '+', '-', '@'][p.len() % 4]));
        data.push_encounter(&e);
    }
    let def = SharedDefinition { name: "=cmd|'/C calc'!A0".into(), ..SharedDefinition::default() };
    let index = OutcomeIndex::build(&data, &def, &OutcomeFilter::default());
    let periods = Periods {
        baseline: Period::parse("2019-07-01..2020-06-30").expect("a period"),
        comparison: Period::parse("2023-07-01..2024-06-30").expect("a period"),
    };
    let r = index.report(DefinitionRef::new(1, &def), &ReportRequest { periods, breakdowns: vec![Dimension::Precinct], monthly: true });
    let csv = pmhc_report::render_csv(&r).expect("the CSV");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let group = reader.headers().expect("a header").iter().position(|h| h == "group").expect("a group column");
    let mut groups = std::collections::BTreeSet::new();
    let mut negative_numbers = 0;
    for row in reader.records() {
        let row = row.expect("a row");
        for cell in row.iter() {
            if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                assert!(cell.parse::<f64>().is_ok(), "a formula in the CSV: {cell:?}");
                negative_numbers += 1;
            }
        }
        if let Some(g) = row.get(group).filter(|g| !g.is_empty()) {
            groups.insert(g.to_string());
        }
    }
    assert!(groups.len() >= 3 && groups.iter().all(|g| g.starts_with(['\'']) && g[1..].starts_with(['=', '+', '-', '@'])), "{groups:?}");
    assert!(negative_numbers > 0, "the report has negative numbers (changes), written as they are");
}
