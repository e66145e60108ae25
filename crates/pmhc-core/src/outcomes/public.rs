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

/// Where a set of measures is counted: a period, one group of a breakdown in a period, a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slice {
    Period(usize),
    Group(usize, usize, usize),
    Month(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Loc {
    /// All encounters (mental-health or not) in a period.
    PeriodAll(usize),
    Cell(Slice, Measure, Part),
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

/// The same number shown under several measures is one cell: the diversion measure's denominator
/// is the arrest measure's (encounters with a known arrest status); every force measure shares the
/// denominator of any force (encounters where force is recorded); the people seen are the
/// denominator of both person measures and the people of encounters per person.
fn canonical(m: Measure, part: Part) -> (Measure, Part) {
    use Measure::*;
    match (m, part) {
        (Diversion, Part::B) => (Arrest, Part::B),
        (RestraintOnly | ForceLevel1 | ForceLevel2 | ForceLevel3, Part::B) => (AnyForce, Part::B),
        (FrequentArrestPeople, Part::B) | (EncountersPerPerson, Part::A) => (RepeatPeople, Part::B),
        other => other,
    }
}

struct Builder {
    problem: SuppressionProblem,
    ids: HashMap<Loc, CellId>,
}

impl Builder {
    /// The cell at `loc`: the canonical measure's cell when it holds the same number, else a new one.
    fn add(&mut self, loc: Loc, value: u64) -> CellId {
        let canon = match loc {
            Loc::Cell(slice, m, part) => {
                let (m, part) = canonical(m, part);
                Loc::Cell(slice, m, part)
            }
            other => other,
        };
        let id = match self.ids.get(&canon) {
            Some(&id) if self.problem.value(id) == value => id,
            Some(_) => self.problem.cell(value),
            None => {
                let id = self.problem.cell(value);
                self.ids.insert(canon, id);
                id
            }
        };
        self.ids.insert(loc, id);
        id
    }

    fn get(&self, slice: Slice, m: Measure, part: Part) -> Option<CellId> {
        self.ids.get(&Loc::Cell(slice, m, part)).copied()
    }

    fn add_values(&mut self, slice: Slice, values: &MeasureMap<MeasureValue>) {
        for (m, v) in values.iter() {
            for (part, value) in parts(v) {
                self.add(Loc::Cell(slice, *m, part), value);
            }
        }
    }

    /// `total = sum(parts) + remainder`, the remainder a hidden cell (at least 0), when the counts
    /// bear it out (they always do: these are identities of the definitions).
    fn at_least(&mut self, total: CellId, parts: &[CellId]) {
        let sum: u64 = parts.iter().map(|&c| self.problem.value(c)).sum();
        let Some(rest) = self.problem.value(total).checked_sub(sum) else { return };
        let rest = self.problem.hidden(rest);
        let mut all = parts.to_vec();
        all.push(rest);
        let _ = self.problem.constrain(total, &all);
    }

    /// The identities between the measures of one slice that a reader who knows the definitions
    /// can use: the force levels add up to any force; any force, restraint only and no force
    /// (hidden) make up the encounters where force is recorded; arrests, diversions and the rest
    /// (hidden) make up the known arrest status.
    fn identities(&mut self, slice: Slice) {
        use Measure::*;
        let get = |b: &Builder, m, part| b.get(slice, m, part);
        if let (Some(any), Some(l1), Some(l2), Some(l3)) =
            (get(self, AnyForce, Part::A), get(self, ForceLevel1, Part::A), get(self, ForceLevel2, Part::A), get(self, ForceLevel3, Part::A))
        {
            let _ = self.problem.constrain(any, &[l1, l2, l3]);
        }
        if let (Some(known), Some(any), Some(restraint)) =
            (get(self, AnyForce, Part::B), get(self, AnyForce, Part::A), get(self, RestraintOnly, Part::A))
        {
            self.at_least(known, &[any, restraint]);
        }
        if let (Some(known), Some(arrests), Some(diverted)) =
            (get(self, Arrest, Part::B), get(self, Arrest, Part::A), get(self, Diversion, Part::A))
        {
            self.at_least(known, &[arrests, diverted]);
        }
    }
}

/// The disclosure problem of a report (every count it shows a cell, every breakdown, whole-month
/// series and identity between measures a constraint) and its solution: what [`make_public`]
/// applies, and what an auditor (or a test) can attack with [`crate::disclosure::derivable`] and
/// [`crate::disclosure::narrow_ranges`].
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
        b.add_values(Slice::Period(p), &pr.measures);
        b.identities(Slice::Period(p));
    }
    // Breakdowns: the groups of a breakdown add up to the period's total.
    for (d, bd) in report.breakdowns.iter().enumerate() {
        for (g, group) in bd.groups.iter().enumerate() {
            for (p, values) in [&group.baseline, &group.comparison].into_iter().enumerate() {
                b.add_values(Slice::Group(d, g, p), values);
                b.identities(Slice::Group(d, g, p));
            }
        }
        for p in 0..2 {
            for (m, part) in keys() {
                let members: Vec<CellId> = (0..bd.groups.len()).filter_map(|g| b.get(Slice::Group(d, g, p), m, part)).collect();
                if members.len() != bd.groups.len() || members.is_empty() {
                    continue;
                }
                let total = match b.get(Slice::Period(p), m, part) {
                    Some(t) => t,
                    None => {
                        let sum = members.iter().map(|&c| b.problem.value(c)).sum();
                        b.add(Loc::Cell(Slice::Period(p), m, part), sum)
                    }
                };
                // A breakdown that does not add up (it always does) is simply not linked.
                let _ = b.problem.constrain(total, &members);
            }
        }
    }
    // Monthly series: a period that is exactly its whole months, and whose months add up to it (no
    // encounter dated only to the year), is linked to them.
    for (i, point) in report.monthly.iter().enumerate() {
        b.add_values(Slice::Month(i), &point.measures);
        b.identities(Slice::Month(i));
    }
    for (p, pr) in periods.iter().enumerate() {
        let mut covered_days = 0;
        let inside: Vec<usize> = report
            .monthly
            .iter()
            .enumerate()
            .filter(|(_, mp)| {
                let Ok(start) = chrono::NaiveDate::parse_from_str(&format!("{}-01", mp.month), "%Y-%m-%d") else {
                    return false;
                };
                let next = start.checked_add_months(chrono::Months::new(1)).unwrap_or(start);
                let whole = pr.from <= start && next.pred_opt().is_some_and(|e| e <= pr.to);
                if whole {
                    covered_days += (next - start).num_days();
                }
                whole
            })
            .map(|(i, _)| i)
            .collect();
        if inside.is_empty() {
            continue;
        }
        let exact = covered_days == pr.days;
        for (m, part) in keys() {
            let Some(total) = b.get(Slice::Period(p), m, part) else { continue };
            let members: Vec<CellId> = inside.iter().filter_map(|&i| b.get(Slice::Month(i), m, part)).collect();
            if members.len() != inside.len() {
                continue;
            }
            let sum: u64 = members.iter().map(|&c| b.problem.value(c)).sum();
            if exact && sum == b.problem.value(total) {
                let _ = b.problem.constrain(total, &members);
            }
        }
    }

    b
}

/// Every (measure, part) that can hold a cell, once per canonical cell.
fn keys() -> impl Iterator<Item = (Measure, Part)> {
    Measure::ALL
        .iter()
        .flat_map(|&m| [(m, Part::A), (m, Part::B)])
        .filter(|&(m, part)| canonical(m, part) == (m, part))
}

/// Apply disclosure control to a report in place.
pub fn make_public(report: &mut OutcomeReport) {
    let b = build_problem(report);
    let s = b.problem.solve(PUBLIC_THRESHOLD);
    let before = super::report::count_notes(report);
    let hidden = |loc: Loc| b.ids.get(&loc).is_some_and(|&id| s.is_suppressed(id));

    report.public = true;
    let pr = [&mut report.periods.baseline, &mut report.periods.comparison];
    for (p, period) in pr.into_iter().enumerate() {
        if hidden(Loc::PeriodAll(p)) {
            period.all_encounters = None;
        }
        hide_values(&mut period.measures, &s, &b.ids, Slice::Period(p));
        if let Some(MeasureValue::Count { count, .. }) = period.measures.get(Measure::Encounters) {
            period.encounters = *count;
        }
    }
    report.changes = changes(&report.periods.baseline, &report.periods.comparison);
    for (d, bd) in report.breakdowns.iter_mut().enumerate() {
        for (g, group) in bd.groups.iter_mut().enumerate() {
            hide_values(&mut group.baseline, &s, &b.ids, Slice::Group(d, g, 0));
            hide_values(&mut group.comparison, &s, &b.ids, Slice::Group(d, g, 1));
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
        hide_values(&mut point.measures, &s, &b.ids, Slice::Month(i));
        if let Some(MeasureValue::Count { count, .. }) = point.measures.get(Measure::Encounters) {
            point.encounters = *count;
        }
    }
    // Notes that carry counts are written again from what is published; the others stay.
    report.notes.retain(|n| !before.contains(n));
    let after = super::report::count_notes(report);
    report.notes.extend(after);
    report.notes.push(format!(
        "Public output: counts from 1 to {PUBLIC_THRESHOLD} are suppressed, with the rates built on them, and so are further counts, \
         so that none can be worked out from the totals, the breakdowns, the months or the sums between measures ({} counts suppressed in all).",
        s.suppressed_count()
    ));
}

fn hide_values(
    values: &mut MeasureMap<MeasureValue>,
    s: &Suppression,
    ids: &HashMap<Loc, CellId>,
    slice: Slice,
) {
    let loc = |m, part| Loc::Cell(slice, m, part);
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
