//! Snapshot tests: the terminal table, the JSON and the HTML report of one fixed synthetic
//! jurisdiction (`pmhc-synth`, 4,000 encounters, seed 11), internal and public. A change to any
//! number, word or chart shows up as a reviewable diff (`cargo insta review`).

use pmhc_core::definition::{Period, Periods, SharedDefinition};
use pmhc_core::outcomes::{
    DefinitionRef, Dimension, OutcomeData, OutcomeFilter, OutcomeIndex, OutcomeReport, ReportRequest, make_public,
};
use pmhc_synth::{DemoConfig, generate};

fn report(public: bool, breakdowns: Vec<Dimension>) -> OutcomeReport {
    let config = DemoConfig { encounters: 4_000, seed: 11, ..DemoConfig::default() };
    let mut data = OutcomeData::new();
    for e in generate(&config) {
        data.push_encounter(&e);
    }
    let def = SharedDefinition::default();
    let index = OutcomeIndex::build(&data, &def, &OutcomeFilter::default());
    let periods = Periods {
        baseline: Period::parse("2019-07-01..2020-06-30").unwrap(),
        comparison: Period::parse("2023-07-01..2024-06-30").unwrap(),
    };
    let mut r = index.report(DefinitionRef::new(1, &def), &ReportRequest { periods, breakdowns, monthly: true });
    if public {
        make_public(&mut r);
    }
    r
}

#[test]
fn terminal_table() {
    let r = report(false, vec![Dimension::Precinct, Dimension::RaceEthnicity]);
    insta::assert_snapshot!("table", pmhc_report::render_table(&r));
}

#[test]
fn terminal_table_public() {
    let r = report(true, vec![Dimension::Precinct, Dimension::RaceEthnicity]);
    insta::assert_snapshot!("table_public", pmhc_report::render_table(&r));
}

#[test]
fn json() {
    let r = report(false, vec![Dimension::Precinct, Dimension::ResponseModel, Dimension::AgeBand]);
    insta::assert_json_snapshot!("json", r);
}

#[test]
fn json_public() {
    let r = report(true, vec![Dimension::Precinct, Dimension::ResponseModel, Dimension::AgeBand]);
    insta::assert_json_snapshot!("json_public", r);
}

#[test]
fn html() {
    let r = report(false, vec![Dimension::Precinct, Dimension::CitPresence]);
    insta::assert_snapshot!("html", pmhc_report::render_html(&r));
}

#[test]
fn csv_head() {
    let csv = pmhc_report::render_csv(&report(false, vec![Dimension::Precinct])).unwrap();
    let head: Vec<&str> = csv.lines().take(40).collect();
    insta::assert_snapshot!("csv_head", head.join("\n"));
}
