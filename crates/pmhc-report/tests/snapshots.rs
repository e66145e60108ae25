//! Snapshot tests of one fixed synthetic jurisdiction (`pmhc-synth`, 4,000 encounters, seed 11),
//! internal and public: the terminal table, the head of the CSV, and the report section by section
//! — its outline, the periods' values, the changes with their sentences, one breakdown, the
//! monthly series of one measure and the notes, in the JSON's own words (one value to a line), and
//! the HTML's header, key outcomes, summary, one trend, breakdowns and notes. Each snapshot is a few
//! hundred lines at most, so a change to a number, word or chart is a diff that can be reviewed
//! (`cargo insta review`). The numbers themselves are checked against brute-force oracles by the
//! property tests of `pmhc-core`.

use std::fmt::Write;

use pmhc_core::definition::{Period, Periods, SharedDefinition};
use pmhc_core::outcomes::{
    Breakdown, DefinitionRef, Dimension, Measure, MeasureMap, MonthRole, OutcomeData, OutcomeFilter, OutcomeIndex,
    OutcomeReport, ReportRequest, make_public,
};
use pmhc_synth::{DemoConfig, generate};
use serde::Serialize;

/// The measure whose monthly series is shown: a key outcome (connection to resources).
const SERIES_MEASURE: Measure = Measure::Referral;

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

/// The report of the JSON snapshots: three breakdowns, of which the precinct is shown.
fn json_report(public: bool) -> OutcomeReport {
    report(public, vec![Dimension::Precinct, Dimension::ResponseModel, Dimension::AgeBand])
}

/// A value as the JSON has it, on one line.
fn json(v: &impl Serialize) -> String {
    serde_json::to_string(v).expect("the report serializes")
}

fn measure_lines<T: Serialize>(o: &mut String, indent: &str, suffix: &str, map: &MeasureMap<T>) {
    for (m, v) in map.iter() {
        let _ = writeln!(o, "{indent}{}{suffix}: {}", m.id(), json(v));
    }
}

/// What the report holds, with the parts no other snapshot shows counted.
fn outline(r: &OutcomeReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "report: {}", json(&r.report));
    let _ = writeln!(o, "definition: {}", json(&r.definition));
    let _ = writeln!(o, "filter: {}", json(&r.filter));
    let _ = writeln!(o, "public: {}", r.public);
    let _ = writeln!(o, "measures:");
    for m in &r.measures {
        let _ = writeln!(o, "  {}", json(m));
    }
    let _ = writeln!(o, "breakdowns:");
    for b in &r.breakdowns {
        let groups: Vec<&str> = b.groups.iter().map(|g| g.key.as_str()).collect();
        let _ = writeln!(o, "  {} ({}): {}", json(&b.by), b.label, groups.join(", "));
    }
    let months = |role| r.monthly.iter().filter(|p| p.role == role).count();
    let _ = writeln!(
        o,
        "monthly: {} months, {} .. {} ({} baseline, {} comparison)",
        r.monthly.len(),
        r.monthly.first().map_or("", |p| p.month.as_str()),
        r.monthly.last().map_or("", |p| p.month.as_str()),
        months(MonthRole::Baseline),
        months(MonthRole::Comparison),
    );
    let _ = writeln!(o, "notes: {}", r.notes.len());
    o
}

fn periods(r: &OutcomeReport) -> String {
    let mut o = String::new();
    for (name, p) in [("baseline", &r.periods.baseline), ("comparison", &r.periods.comparison)] {
        let _ = writeln!(
            o,
            "{name}: from {} to {}, {} days, encounters {}, all encounters {}",
            p.from,
            p.to,
            p.days,
            json(&p.encounters),
            json(&p.all_encounters)
        );
        measure_lines(&mut o, "  ", "", &p.measures);
    }
    o
}

fn changes(r: &OutcomeReport) -> String {
    let mut o = String::new();
    for (m, c) in r.changes.iter() {
        let numbers = serde_json::json!({
            "absolute": c.absolute,
            "absolute_ci95": c.absolute_ci95,
            "relative": c.relative,
            "relative_ci95": c.relative_ci95,
            "significant": c.significant,
        });
        let _ = writeln!(o, "{}: {}", m.id(), json(&numbers));
        let _ = writeln!(o, "  {}", c.sentence);
    }
    o
}

fn breakdown(b: &Breakdown) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} ({})", json(&b.by), b.label);
    for g in &b.groups {
        let _ = writeln!(o, "{} ({})", g.key, g.label);
        measure_lines(&mut o, "  ", " baseline", &g.baseline);
        measure_lines(&mut o, "  ", " comparison", &g.comparison);
        measure_lines(&mut o, "  ", " disparity", &g.disparity);
    }
    o
}

fn monthly(r: &OutcomeReport, m: Measure) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", m.id());
    for p in &r.monthly {
        let _ = writeln!(o, "{} {} encounters {}: {}", p.month, json(&p.role), json(&p.encounters), json(&p.measures.get(m)));
    }
    o
}

fn notes(r: &OutcomeReport) -> String {
    r.notes.iter().map(|n| format!("{n}\n")).collect()
}

fn precinct(r: &OutcomeReport) -> &Breakdown {
    r.breakdowns.iter().find(|b| b.by == Dimension::Precinct).expect("the report is broken down by precinct")
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
fn json_sections() {
    let r = json_report(false);
    insta::assert_snapshot!("json_outline", outline(&r));
    insta::assert_snapshot!("json_periods", periods(&r));
    insta::assert_snapshot!("json_changes", changes(&r));
    insta::assert_snapshot!("json_breakdown_precinct", breakdown(precinct(&r)));
    insta::assert_snapshot!("json_monthly_referral", monthly(&r, SERIES_MEASURE));
    insta::assert_snapshot!("json_notes", notes(&r));
}

#[test]
fn json_sections_public() {
    let r = json_report(true);
    insta::assert_snapshot!("json_public_outline", outline(&r));
    insta::assert_snapshot!("json_public_periods", periods(&r));
    insta::assert_snapshot!("json_public_changes", changes(&r));
    insta::assert_snapshot!("json_public_breakdown_precinct", breakdown(precinct(&r)));
    insta::assert_snapshot!("json_public_monthly_referral", monthly(&r, SERIES_MEASURE));
    insta::assert_snapshot!("json_public_notes", notes(&r));
}

/// From the line that starts with `start` to the line before the next that starts with one of
/// `ends` (or the end).
fn part<'a>(html: &'a str, start: &str, ends: &[&str]) -> &'a str {
    let from = html.find(&format!("\n{start}")).map(|i| i + 1).unwrap_or_else(|| panic!("the report has `{start}`"));
    let rest = &html[from + start.len()..];
    let to = ends.iter().filter_map(|e| rest.find(&format!("\n{e}"))).min().map_or(html.len(), |i| from + start.len() + i + 1);
    &html[from..to]
}

/// The headings of the whole document, with its charts and tables counted: what the sections
/// below leave out is at least outlined.
fn html_outline(html: &str) -> String {
    let mut o = String::new();
    for line in html.lines() {
        for tag in ["<h1>", "<h2>", "<h3>", "<h4>"] {
            if let Some(i) = line.find(tag) {
                let end = line[i..].find("</h").map_or(line.len(), |j| i + j);
                let _ = writeln!(o, "{}{}", "  ".repeat(tag.as_bytes()[2] as usize - b'1' as usize), &line[i + tag.len()..end]);
            }
        }
    }
    let _ = writeln!(o, "charts: {}, tables: {}", html.matches("<svg").count(), html.matches("<table").count());
    o
}

#[test]
fn html_sections() {
    let r = report(false, vec![Dimension::Precinct, Dimension::CitPresence]);
    let html = pmhc_report::render_html(&r);
    assert!(html.contains(pmhc_report::REPORT_CSS), "the stylesheet is inlined as it is");
    let section = |id: &str| part(&html, &format!("<section id=\"{id}\">"), &["<section id=", "</main>"]);
    insta::assert_snapshot!("html_outline", html_outline(&html));
    insta::assert_snapshot!("html_header", part(&html, "<header>", &["<main>"]));
    insta::assert_snapshot!("html_key_outcomes", section("key-outcomes"));
    insta::assert_snapshot!("html_summary", section("summary"));
    let trends = section("trends");
    insta::assert_snapshot!("html_trend_referral", part(trends, "<h3>Referral or connection to resources</h3>", &["<h3>", "</section>"]));
    insta::assert_snapshot!("html_breakdowns", section("breakdowns"));
    insta::assert_snapshot!("html_notes", part(&html, "<section id=\"notes\">", &["<footer>"]));
}

#[test]
fn csv_head() {
    let csv = pmhc_report::render_csv(&report(false, vec![Dimension::Precinct])).unwrap();
    let head: Vec<&str> = csv.lines().take(40).collect();
    insta::assert_snapshot!("csv_head", head.join("\n"));
}
