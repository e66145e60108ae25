//! Public mode: every count of 1 to [`PUBLIC_THRESHOLD`] is suppressed (zeros are shown), with
//! the rates, intervals, changes and disparities built on it, and complementary suppression so
//! that no suppressed count can be recovered from the totals, breakdowns or monthly series.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::definition::Period;
use crate::disclosure::{CellId, CellKind, CellStatus, Suppression, SuppressionProblem, derivable};

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
    let s = b.problem.solve_with_ranges(PUBLIC_THRESHOLD);
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

/// Apply disclosure control to a report in place (alone: no earlier release is taken into account;
/// public outputs go through [`publish`]).
pub fn make_public(report: &mut OutcomeReport) {
    let b = build_problem(report);
    let s = b.problem.solve_with_ranges(PUBLIC_THRESHOLD);
    let suppressed = s.suppressed_count();
    apply(report, &b.ids, &s, suppressed);
}

/// What a public release holds for the register: its periods, and its disclosure problem — every
/// cell with what it counts (its key), its value and whether it was published, and the sums between
/// them — so that a later release can be protected jointly with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseCells {
    pub periods: Vec<Period>,
    pub cells: Vec<ReleaseCell>,
    /// `(total, parts)` by index into `cells`.
    pub constraints: Vec<(u32, Vec<u32>)>,
}

/// One cell of a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseCell {
    /// What it counts (`2015-01-01..2015-12-31|precinct=North|arrest.a`); `None` for a remainder,
    /// which is never published and links to nothing.
    pub key: Option<String>,
    pub kind: CellKind,
    pub value: u64,
    pub status: CellStatus,
}

/// Why a public release was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseRefusal {
    #[error("a public release covers whole months; {0} does not start on the first of a month and end on the last day of one")]
    NotWholeMonths(Period),
    #[error(
        "{new} overlaps {earlier}, a period of release {release}, without being the same period: the difference between \
         the two would reveal the counts of the days in one and not the other. Publish the same periods as earlier \
         releases, or periods that do not overlap them"
    )]
    PartialOverlap { new: Period, earlier: Period, release: usize },
    #[error(
        "with what earlier releases published, {} could be worked out exactly whatever this release suppresses \
         (e.g. {}); publish the same periods as before, or wait for the data to change more",
        if cells.len() == 1 { "one count".to_string() } else { format!("{} counts", cells.len()) },
        cells.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
    )]
    Unprotectable { cells: Vec<String> },
}

/// Disclosure control for a public release, jointly with every earlier release (`earlier`, oldest
/// first, each with its position in the register for messages): the cells of all of them form one
/// problem, the same count in two releases is linked (equal, or apart by a difference that is itself
/// protected when small — late records, changed definitions), the earlier releases' cells keep what
/// they published, and this release suppresses what it must so that no small count of any of them,
/// nor any small difference, can be worked out. Periods must be whole months and must equal or not
/// overlap the earlier releases' periods; a release that cannot be protected is refused.
///
/// On success the report is in its public form and the release's cells are returned for the register.
pub fn publish(report: &mut OutcomeReport, earlier: &[(usize, ReleaseCells)]) -> Result<ReleaseCells, ReleaseRefusal> {
    let periods: Vec<Period> = [&report.periods.baseline, &report.periods.comparison].iter().map(|p| Period { from: p.from, to: p.to }).collect();
    for p in &periods {
        if !crate::definition::is_whole_months(p) {
            return Err(ReleaseRefusal::NotWholeMonths(*p));
        }
    }
    for (release, e) in earlier {
        for pe in &e.periods {
            for pn in &periods {
                if pn != pe && pn.from <= pe.to && pe.from <= pn.to {
                    return Err(ReleaseRefusal::PartialOverlap { new: *pn, earlier: *pe, release: *release });
                }
            }
        }
    }
    let mut b = build_problem(report);
    let own_cells = b.problem.len();
    let own_constraints = b.problem.constraints().len();
    let keys = cell_keys(report, &b);
    // The earlier releases, each count linked to the same count in the release before it.
    let (latest, statuses) = add_earlier(&mut b.problem, earlier);
    for (i, key) in keys.iter().enumerate() {
        let id = CellId(i as u32);
        if let Some(before) = key.as_ref().and_then(|k| latest.get(k)).copied() {
            if link(&mut b.problem, before, id)
                && let Some(&status) = statuses.get(&before)
            {
                // The same number as before: published (or not) as it was.
                b.problem.lock(id, status);
            }
        }
    }
    // Counts the earlier releases already give away (a year whose every month they published) are
    // shown: suppressing them would protect nothing.
    for id in b.problem.known_from_locked() {
        let v = b.problem.value(id);
        if (id.0 as usize) < own_cells && (v == 0 || v > PUBLIC_THRESHOLD) {
            b.problem.lock(id, CellStatus::Shown);
        }
    }
    let s = b.problem.solve_with_ranges(PUBLIC_THRESHOLD);
    // What must not be worked out: the small counts, and the small differences between releases.
    let recovered = small_recovered(&b.problem, &s);
    if !recovered.is_empty() {
        // Cells the earlier releases gave away on their own (made before releases were joint) are
        // not this release's doing: the earlier cells and their links come first in both problems.
        let before = earlier_recoverable(earlier);
        let named: Vec<String> = recovered
            .iter()
            .filter(|&&c| (c.0 as usize) < own_cells || !before.contains(&(c.0 as usize - own_cells)))
            .map(|&c| describe(c, &keys, own_cells))
            .collect();
        if !named.is_empty() {
            return Err(ReleaseRefusal::Unprotectable { cells: named });
        }
    }
    let cells: Vec<ReleaseCell> = (0..own_cells)
        .map(|i| {
            let id = CellId(i as u32);
            ReleaseCell { key: keys[i].clone(), kind: b.problem.kind(id), value: b.problem.value(id), status: s.status(id) }
        })
        .collect();
    let constraints = b.problem.constraints()[..own_constraints]
        .iter()
        .map(|(t, ps)| (t.0, ps.iter().map(|p| p.0).collect()))
        .collect();
    let suppressed = cells.iter().filter(|c| matches!(c.status, CellStatus::Primary | CellStatus::Complementary)).count();
    apply(report, &b.ids, &s, suppressed);
    Ok(ReleaseCells { periods, cells, constraints })
}

/// The public form of a report whose numbers a release already published: its statuses applied
/// again. `false` (and the report unchanged) when the report's cells are not exactly the release's
/// (other data, definitions or question): then it is a new release.
pub fn apply_release(report: &mut OutcomeReport, release: &ReleaseCells) -> bool {
    let b = build_problem(report);
    let keys = cell_keys(report, &b);
    let same_cells = b.problem.len() == release.cells.len()
        && release.cells.iter().enumerate().all(|(i, c)| {
            let id = CellId(i as u32);
            c.key == keys[i] && c.value == b.problem.value(id) && c.kind == b.problem.kind(id)
        });
    let same_sums = same_cells
        && b.problem.constraints().len() == release.constraints.len()
        && b.problem.constraints().iter().zip(&release.constraints).all(|((t, ps), (rt, rps))| {
            t.0 == *rt && ps.len() == rps.len() && ps.iter().zip(rps).all(|(p, rp)| p.0 == *rp)
        });
    if !same_sums {
        return false;
    }
    let s = Suppression::from_statuses(release.cells.iter().map(|c| c.status).collect());
    let suppressed = release.cells.iter().filter(|c| matches!(c.status, CellStatus::Primary | CellStatus::Complementary)).count();
    apply(report, &b.ids, &s, suppressed);
    true
}

/// Links `now` to `before`, the same count in an earlier release: equal (true when they hold the
/// same number), else apart by a difference cell.
fn link(p: &mut SuppressionProblem, before: CellId, now: CellId) -> bool {
    let (a, b) = (p.value(before), p.value(now));
    if a == b {
        let _ = p.constrain(now, &[before]);
        return true;
    }
    let d = p.difference(a.abs_diff(b));
    let _ = if b > a { p.constrain(now, &[before, d]) } else { p.constrain(before, &[now, d]) };
    false
}

/// Adds the cells of the earlier releases (locked as they were published), their sums, and the links
/// between the same count in successive releases. Returns the latest cell of each key and the status
/// of each earlier cell.
fn add_earlier(p: &mut SuppressionProblem, earlier: &[(usize, ReleaseCells)]) -> (HashMap<String, CellId>, HashMap<CellId, CellStatus>) {
    let mut latest: HashMap<String, CellId> = HashMap::new();
    let mut statuses = HashMap::new();
    let mut links = Vec::new();
    for (_, e) in earlier {
        let base = p.len() as u32;
        for c in &e.cells {
            let id = match c.kind {
                CellKind::Published => p.cell(c.value),
                CellKind::Remainder => p.hidden(c.value),
                CellKind::Difference => p.difference(c.value),
            };
            p.lock(id, c.status);
            statuses.insert(id, c.status);
            if let Some(k) = &c.key {
                if let Some(&before) = latest.get(k) {
                    links.push((before, id));
                }
                latest.insert(k.clone(), id);
            }
        }
        for (t, ps) in &e.constraints {
            let parts: Vec<CellId> = ps.iter().map(|&x| CellId(base + x)).collect();
            let _ = p.constrain(CellId(base + t), &parts);
        }
    }
    for (before, now) in links {
        link(p, before, now);
    }
    (latest, statuses)
}

/// The cells of the earlier releases alone that can be worked out, numbered as [`add_earlier`]
/// numbers them from 0.
fn earlier_recoverable(earlier: &[(usize, ReleaseCells)]) -> std::collections::HashSet<usize> {
    let (p, s) = releases_alone(earlier);
    small_recovered(&p, &s).into_iter().map(|c| c.0 as usize).collect()
}

/// The earlier releases' problem on its own (every published cell locked as it was), and its
/// statuses (the differences between releases protected where small).
fn releases_alone(earlier: &[(usize, ReleaseCells)]) -> (SuppressionProblem, Suppression) {
    let mut p = SuppressionProblem::new();
    add_earlier(&mut p, earlier);
    let s = p.solve(PUBLIC_THRESHOLD);
    (p, s)
}

/// The small counts and small differences the attacker works out exactly.
fn small_recovered(p: &SuppressionProblem, s: &Suppression) -> Vec<CellId> {
    derivable(p, s).into_iter().filter(|&c| s.status(c) == CellStatus::Primary).collect()
}

/// The attacker against a series of releases read together (oldest first): the small counts of any
/// of them, and the small differences between the same count in two of them, that can be worked out
/// exactly from everything they published, and those whose feasible range is narrower than the
/// threshold. Both empty when the register's rule held.
pub fn recoverable_across(releases: &[ReleaseCells]) -> (Vec<String>, Vec<String>) {
    let numbered: Vec<(usize, ReleaseCells)> = releases.iter().cloned().enumerate().collect();
    let keys: Vec<Option<&String>> = releases.iter().flat_map(|r| r.cells.iter().map(|c| c.key.as_ref())).collect();
    let name = |i: usize| match keys.get(i) {
        Some(Some(k)) => (*k).clone(),
        Some(None) => "a remainder".into(),
        None => "a difference between two releases".into(),
    };
    let (p, s) = releases_alone(&numbered);
    let exact: Vec<String> = small_recovered(&p, &s).into_iter().map(|c| name(c.0 as usize)).collect();
    let narrow: Vec<String> = crate::disclosure::narrow_ranges(&p, &s, PUBLIC_THRESHOLD)
        .into_iter()
        .map(|(c, r)| format!("{} (between {} and {})", name(c.0 as usize), r.min, r.max.map_or("no bound".to_string(), |m| m.to_string())))
        .collect();
    (exact, narrow)
}

/// A cell in words for a refusal: its key, or what kind of cell it is.
fn describe(c: CellId, keys: &[Option<String>], own: usize) -> String {
    let i = c.0 as usize;
    match keys.get(i) {
        Some(Some(k)) => format!("{k} in this release"),
        Some(None) => "a remainder in this release".into(),
        None if i >= own => "a count of an earlier release, or a difference between two releases".into(),
        None => "a count".into(),
    }
}

/// What each cell of a report's problem counts: period, filter and breakdown group, measure and part.
fn cell_keys(report: &OutcomeReport, b: &Builder) -> Vec<Option<String>> {
    let filter: Vec<(String, String)> = report.filter.conditions().into_iter().map(|(d, v)| (d.id().to_string(), v)).collect();
    let key = |from: NaiveDate, to: NaiveDate, extra: Option<(String, String)>, what: String| {
        let mut conds = filter.clone();
        conds.extend(extra);
        conds.sort();
        conds.dedup();
        let conds: Vec<String> = conds.iter().map(|(d, v)| format!("{d}={v}")).collect();
        format!("{from}..{to}|{}|{what}", conds.join(";"))
    };
    let periods = [&report.periods.baseline, &report.periods.comparison];
    let mut keys: Vec<Option<String>> = vec![None; b.problem.len()];
    let mut seen = std::collections::HashSet::new();
    // Canonical locations first, so an alias never names a cell.
    let mut locs: Vec<(&Loc, &CellId)> = b.ids.iter().collect();
    locs.sort_by_key(|(loc, _)| match loc {
        Loc::Cell(_, m, part) => (canonical(*m, *part) != (*m, *part)) as u8,
        Loc::PeriodAll(_) => 0,
    });
    for (loc, id) in locs {
        let i = id.0 as usize;
        if keys[i].is_some() {
            continue;
        }
        let k = match *loc {
            Loc::PeriodAll(p) => key(periods[p].from, periods[p].to, None, "all_encounters".into()),
            Loc::Cell(slice, m, part) => {
                let (m, part) = canonical(m, part);
                let what = format!("{}.{}", m.id(), if part == Part::A { "a" } else { "b" });
                match slice {
                    Slice::Period(p) => key(periods[p].from, periods[p].to, None, what),
                    Slice::Group(d, g, p) => {
                        let bd = &report.breakdowns[d];
                        key(periods[p].from, periods[p].to, Some((bd.by.id().to_string(), bd.groups[g].key.clone())), what)
                    }
                    Slice::Month(i) => {
                        let Some((from, to)) = month_bounds(&report.monthly[i].month) else { continue };
                        key(from, to, None, what)
                    }
                }
            }
        };
        if seen.insert(k.clone()) {
            keys[i] = Some(k);
        }
    }
    keys
}

/// The first and last day of a month written `YYYY-MM`.
fn month_bounds(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let start = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let end = start.checked_add_months(chrono::Months::new(1))?.pred_opt()?;
    Some((start, end))
}

/// Writes a solved problem into the report: suppressed values out, changes, disparities and notes
/// again from what is left.
fn apply(report: &mut OutcomeReport, ids: &HashMap<Loc, CellId>, s: &Suppression, suppressed: usize) {
    let before = super::report::count_notes(report);
    let hidden = |loc: Loc| ids.get(&loc).is_some_and(|&id| s.is_suppressed(id));

    report.public = true;
    let pr = [&mut report.periods.baseline, &mut report.periods.comparison];
    for (p, period) in pr.into_iter().enumerate() {
        if hidden(Loc::PeriodAll(p)) {
            period.all_encounters = None;
        }
        hide_values(&mut period.measures, s, ids, Slice::Period(p));
        if let Some(MeasureValue::Count { count, .. }) = period.measures.get(Measure::Encounters) {
            period.encounters = *count;
        }
    }
    report.changes = changes(&report.periods.baseline, &report.periods.comparison);
    for (d, bd) in report.breakdowns.iter_mut().enumerate() {
        for (g, group) in bd.groups.iter_mut().enumerate() {
            hide_values(&mut group.baseline, s, ids, Slice::Group(d, g, 0));
            hide_values(&mut group.comparison, s, ids, Slice::Group(d, g, 1));
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
        hide_values(&mut point.measures, s, ids, Slice::Month(i));
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
         so that none can be worked out from the totals, the breakdowns, the months, the sums between measures or earlier releases \
         ({suppressed} counts suppressed in all)."
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
