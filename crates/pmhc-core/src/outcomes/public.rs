//! Public mode: every count of 1 to [`PUBLIC_THRESHOLD`] is suppressed (zeros are shown), with
//! the rates, intervals, changes and disparities built on it, and complementary suppression so
//! that no suppressed count can be recovered from the totals, breakdowns or monthly series.

use std::collections::HashMap;

use crate::disclosure::{CellId, SuppressionProblem, Suppression};

use super::measure::Measure;
use super::report::{MeasureMap, MeasureValue, OutcomeReport, changes};

/// Counts from 1 to this are never published.
pub const PUBLIC_THRESHOLD: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    A,
    B,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Loc {
    PeriodAll(usize),
    Period(usize, Measure, Part),
    Group(usize, usize, usize, Measure, Part),
    Month(usize, Measure, Part),
}

/// The counts of a value: (A, B) = (numerator, denominator), (count, -), (n, -) or (people, encounters).
fn parts(v: &MeasureValue) -> Vec<(Part, u64)> {
    let (a, b) = match v {
        MeasureValue::Count { count, .. } => (*count, None),
        MeasureValue::Proportion { numerator, denominator, .. } => (*numerator, *denominator),
        MeasureValue::Median { n, .. } => (*n, None),
        MeasureValue::Mean { people, encounters, .. } => (*people, *encounters),
        MeasureValue::NotMeasurable { .. } => (None, None),
    };
    [(Part::A, a), (Part::B, b)].into_iter().filter_map(|(p, v)| v.map(|v| (p, v))).collect()
}

struct Builder {
    problem: SuppressionProblem,
    ids: HashMap<Loc, CellId>,
}

impl Builder {
    fn add(&mut self, loc: Loc, value: u64) -> CellId {
        let id = self.problem.cell(value);
        self.ids.insert(loc, id);
        id
    }

    fn add_values(&mut self, values: &MeasureMap<MeasureValue>, mut loc: impl FnMut(Measure, Part) -> Loc) {
        for (m, v) in values.iter() {
            for (part, value) in parts(v) {
                self.add(loc(*m, part), value);
            }
        }
    }
}

/// The disclosure problem of a report (every count it shows a cell, every breakdown and
/// whole-month series an additive constraint) and its solution: what [`make_public`] applies, and
/// what an auditor (or a test) can attack with [`crate::disclosure::derivable`].
pub fn disclosure_audit(report: &OutcomeReport) -> (SuppressionProblem, Suppression) {
    let b = build_problem(report);
    let s = b.problem.solve(PUBLIC_THRESHOLD);
    (b.problem, s)
}

fn build_problem(report: &OutcomeReport) -> Builder {
    let mut b = Builder { problem: SuppressionProblem::new(), ids: HashMap::new() };
    let periods = [&report.periods.baseline, &report.periods.comparison];
    for (p, pr) in periods.iter().enumerate() {
        if let Some(all) = pr.all_encounters {
            b.add(Loc::PeriodAll(p), all);
        }
        b.add_values(&pr.measures, |m, part| Loc::Period(p, m, part));
    }
    // Breakdowns: the groups of a breakdown add up to the period's total.
    for (d, bd) in report.breakdowns.iter().enumerate() {
        for (g, group) in bd.groups.iter().enumerate() {
            b.add_values(&group.baseline, |m, part| Loc::Group(d, g, 0, m, part));
            b.add_values(&group.comparison, |m, part| Loc::Group(d, g, 1, m, part));
        }
        for p in 0..2 {
            for &m in Measure::ALL {
                for part in [Part::A, Part::B] {
                    let members: Vec<CellId> = (0..bd.groups.len())
                        .filter_map(|g| b.ids.get(&Loc::Group(d, g, p, m, part)).copied())
                        .collect();
                    if members.len() != bd.groups.len() || members.is_empty() {
                        continue;
                    }
                    let total = match b.ids.get(&Loc::Period(p, m, part)) {
                        Some(&t) => t,
                        None => {
                            let sum = members.iter().map(|&c| b.problem.value(c)).sum();
                            b.add(Loc::Period(p, m, part), sum)
                        }
                    };
                    // A breakdown that does not add up (it always does) is simply not linked.
                    let _ = b.problem.constrain(total, &members);
                }
            }
        }
    }
    // Monthly series: when the whole months inside a period add up to its total, link them.
    for (i, point) in report.monthly.iter().enumerate() {
        b.add_values(&point.measures, |m, part| Loc::Month(i, m, part));
    }
    for (p, pr) in periods.iter().enumerate() {
        let inside: Vec<usize> = report
            .monthly
            .iter()
            .enumerate()
            .filter(|(_, mp)| {
                let Ok(start) = chrono::NaiveDate::parse_from_str(&format!("{}-01", mp.month), "%Y-%m-%d") else {
                    return false;
                };
                let next = start.checked_add_months(chrono::Months::new(1)).unwrap_or(start);
                pr.from <= start && next.pred_opt().is_some_and(|e| e <= pr.to)
            })
            .map(|(i, _)| i)
            .collect();
        if inside.is_empty() {
            continue;
        }
        for &m in Measure::ALL {
            for part in [Part::A, Part::B] {
                let Some(&total) = b.ids.get(&Loc::Period(p, m, part)) else { continue };
                let members: Vec<CellId> =
                    inside.iter().filter_map(|&i| b.ids.get(&Loc::Month(i, m, part)).copied()).collect();
                if members.len() == inside.len() {
                    let _ = b.problem.constrain(total, &members);
                }
            }
        }
    }

    b
}

/// Apply disclosure control to a report in place.
pub fn make_public(report: &mut OutcomeReport) {
    let b = build_problem(report);
    let s = b.problem.solve(PUBLIC_THRESHOLD);
    let hidden = |loc: Loc| b.ids.get(&loc).is_some_and(|&id| s.is_suppressed(id));

    report.public = true;
    let pr = [&mut report.periods.baseline, &mut report.periods.comparison];
    for (p, period) in pr.into_iter().enumerate() {
        if hidden(Loc::PeriodAll(p)) {
            period.all_encounters = None;
        }
        hide_values(&mut period.measures, &s, &b.ids, |m, part| Loc::Period(p, m, part));
        if let Some(MeasureValue::Count { count, .. }) = period.measures.get(Measure::Encounters) {
            period.encounters = *count;
        }
    }
    report.changes = changes(&report.periods.baseline, &report.periods.comparison);
    for (d, bd) in report.breakdowns.iter_mut().enumerate() {
        for (g, group) in bd.groups.iter_mut().enumerate() {
            hide_values(&mut group.baseline, &s, &b.ids, |m, part| Loc::Group(d, g, 0, m, part));
            hide_values(&mut group.comparison, &s, &b.ids, |m, part| Loc::Group(d, g, 1, m, part));
            for (m, disp) in group.disparity.0.iter_mut() {
                let shown_group = group.comparison.get(*m).and_then(|v| v.fraction()).is_some();
                let shown_all = report.periods.comparison.measures.get(*m).and_then(|v| v.fraction()).is_some();
                if !(shown_group && shown_all) {
                    *disp = None;
                }
            }
        }
    }
    for (i, point) in report.monthly.iter_mut().enumerate() {
        hide_values(&mut point.measures, &s, &b.ids, |m, part| Loc::Month(i, m, part));
        if let Some(MeasureValue::Count { count, .. }) = point.measures.get(Measure::Encounters) {
            point.encounters = *count;
        }
    }
    report.notes.push(format!(
        "Public output: counts from 1 to {PUBLIC_THRESHOLD} are suppressed, with the rates built on them; {} further counts are suppressed so that none can be worked out from totals.",
        (0..b.problem.len())
            .filter(|&i| s.status(CellId(i as u32)) == crate::disclosure::CellStatus::Complementary)
            .count()
    ));
}

fn hide_values(
    values: &mut MeasureMap<MeasureValue>,
    s: &Suppression,
    ids: &HashMap<Loc, CellId>,
    loc: impl Fn(Measure, Part) -> Loc,
) {
    for (m, v) in values.0.iter_mut() {
        let hidden = |part| ids.get(&loc(*m, part)).is_some_and(|&id| s.is_suppressed(id));
        let (ha, hb) = (hidden(Part::A), hidden(Part::B));
        if !(ha || hb) {
            continue;
        }
        match v {
            MeasureValue::Count { count, per_day, suppressed } => {
                *count = None;
                *per_day = None;
                *suppressed = true;
            }
            MeasureValue::Proportion { numerator, denominator, rate, ci95, suppressed } => {
                if ha {
                    *numerator = None;
                }
                if hb {
                    *denominator = None;
                }
                *rate = None;
                *ci95 = None;
                *suppressed = true;
            }
            MeasureValue::Median { n, median, ci95, suppressed } => {
                *n = None;
                *median = None;
                *ci95 = None;
                *suppressed = true;
            }
            MeasureValue::Mean { people, encounters, mean, suppressed, .. } => {
                if ha {
                    *people = None;
                }
                if hb {
                    *encounters = None;
                }
                *mean = None;
                *suppressed = true;
            }
            MeasureValue::NotMeasurable { .. } => {}
        }
    }
}
