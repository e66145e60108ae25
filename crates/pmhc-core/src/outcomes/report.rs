//! The outcome report: baseline vs comparison for every measure, with intervals for the change,
//! breakdowns with disparity ratios, monthly series, and the plain-language sentences.

use chrono::Datelike;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::definition::{Period, Periods, SharedDefinition};
use crate::numbers::{self, RelativeChange};
use crate::stats::{self, Estimate, Interval, Median};

use super::index::{Dimension, LaneRanges, OutcomeFilter, OutcomeIndex, PersonCounts, month_start};
use super::measure::{ALL_SLOT, BIT_MEASURES, MH_SLOT, Measure, MeasureKind, NBIT, SLOTS, bit_index};

/// What to put in a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    pub periods: Periods,
    /// The breakdowns to include (all when empty is not wanted: pass `Dimension::ALL`).
    pub breakdowns: Vec<Dimension>,
    /// Include the monthly series.
    pub monthly: bool,
}

/// The definition version a report used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefinitionRef {
    pub version: u32,
    pub name: String,
    pub repeat_min_encounters: u32,
    pub repeat_window_days: u32,
    pub frequent_arrests_min: u32,
    pub frequent_arrests_window_days: u32,
}

impl DefinitionRef {
    pub fn new(version: u32, d: &SharedDefinition) -> Self {
        DefinitionRef {
            version,
            name: d.name.clone(),
            repeat_min_encounters: d.repeat.min_encounters,
            repeat_window_days: d.repeat.window_days,
            frequent_arrests_min: d.frequent_arrests.min_arrests,
            frequent_arrests_window_days: d.frequent_arrests.window_days,
        }
    }
}

/// The value of one measure in one period (or group, or month).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MeasureValue {
    Count {
        count: Option<u64>,
        per_day: Option<f64>,
        #[serde(skip_serializing_if = "is_false")]
        suppressed: bool,
    },
    Proportion {
        numerator: Option<u64>,
        denominator: Option<u64>,
        rate: Option<f64>,
        ci95: Option<Interval>,
        #[serde(skip_serializing_if = "is_false")]
        suppressed: bool,
    },
    Median {
        n: Option<u64>,
        median: Option<f64>,
        ci95: Option<Interval>,
        #[serde(skip_serializing_if = "is_false")]
        suppressed: bool,
    },
    Mean {
        people: Option<u64>,
        encounters: Option<u64>,
        mean: Option<f64>,
        #[serde(skip_serializing)]
        sum_squares: u64,
        #[serde(skip_serializing_if = "is_false")]
        suppressed: bool,
    },
    NotMeasurable {
        not_measurable: String,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl MeasureValue {
    pub fn proportion(x: u64, n: u64) -> MeasureValue {
        MeasureValue::Proportion {
            numerator: Some(x),
            denominator: Some(n),
            rate: (n > 0).then(|| x as f64 / n as f64),
            ci95: stats::wilson(x, n, stats::Z95),
            suppressed: false,
        }
    }

    /// Numerator and denominator when both are shown.
    pub fn fraction(&self) -> Option<(u64, u64)> {
        match self {
            MeasureValue::Proportion { numerator: Some(x), denominator: Some(n), .. } => Some((*x, *n)),
            _ => None,
        }
    }

    pub fn rate(&self) -> Option<f64> {
        match self {
            MeasureValue::Proportion { rate, .. } => *rate,
            MeasureValue::Count { per_day, .. } => *per_day,
            MeasureValue::Median { median, .. } => *median,
            MeasureValue::Mean { mean, .. } => *mean,
            MeasureValue::NotMeasurable { .. } => None,
        }
    }

    pub fn is_suppressed(&self) -> bool {
        match self {
            MeasureValue::Count { suppressed, .. }
            | MeasureValue::Proportion { suppressed, .. }
            | MeasureValue::Median { suppressed, .. }
            | MeasureValue::Mean { suppressed, .. } => *suppressed,
            MeasureValue::NotMeasurable { .. } => false,
        }
    }
}

/// Values keyed by measure, serialised as a JSON object in report order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MeasureMap<T>(pub Vec<(Measure, T)>);

impl<T> MeasureMap<T> {
    pub fn get(&self, m: Measure) -> Option<&T> {
        self.0.iter().find(|(k, _)| *k == m).map(|(_, v)| v)
    }
    pub fn get_mut(&mut self, m: Measure) -> Option<&mut T> {
        self.0.iter_mut().find(|(k, _)| *k == m).map(|(_, v)| v)
    }
    pub fn iter(&self) -> impl Iterator<Item = &(Measure, T)> {
        self.0.iter()
    }
}

impl<T: Serialize> Serialize for MeasureMap<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.id(), v)?;
        }
        map.end()
    }
}

/// One period's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodResult {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub days: i64,
    /// Mental-health encounters in the period (the report's population).
    pub encounters: Option<u64>,
    /// All encounters in the period, mental-health or not.
    pub all_encounters: Option<u64>,
    pub measures: MeasureMap<MeasureValue>,
}

/// The change from baseline to comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Comparison minus baseline (points of a share as a fraction, minutes, or encounters a day).
    pub absolute: Option<f64>,
    pub absolute_ci95: Option<Interval>,
    /// Comparison divided by baseline, minus one.
    pub relative: Option<f64>,
    pub relative_ci95: Option<Interval>,
    /// The interval of the change excludes no change.
    pub significant: bool,
    pub sentence: String,
}

/// A measure's description, for readers of the JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureInfo {
    pub id: &'static str,
    pub label: &'static str,
    pub kind: MeasureKind,
    pub outcome: Option<u8>,
    pub of: &'static str,
}

/// A group rate divided by the overall rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disparity {
    pub ratio: f64,
    pub ci95: Interval,
    /// The interval excludes 1.
    pub flagged: bool,
}

/// One group of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupResult {
    pub key: String,
    pub label: String,
    pub baseline: MeasureMap<MeasureValue>,
    pub comparison: MeasureMap<MeasureValue>,
    /// Disparity ratios in the comparison period.
    pub disparity: MeasureMap<Option<Disparity>>,
}

/// One breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    pub by: Dimension,
    pub label: &'static str,
    pub groups: Vec<GroupResult>,
}

/// Which period a month belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MonthRole {
    Baseline,
    Comparison,
    Other,
}

/// One month of the series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPoint {
    /// `YYYY-MM`.
    pub month: String,
    pub role: MonthRole,
    pub encounters: Option<u64>,
    pub measures: MeasureMap<MeasureValue>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeReport {
    pub report: &'static str,
    pub definition: DefinitionRef,
    pub filter: OutcomeFilter,
    pub public: bool,
    pub measures: Vec<MeasureInfo>,
    pub periods: PeriodPair,
    pub changes: MeasureMap<Change>,
    pub breakdowns: Vec<Breakdown>,
    pub monthly: Vec<MonthPoint>,
    pub notes: Vec<String>,
    /// Mental-health encounters dated only to the year (left out of the monthly series); for the
    /// notes, never published as a number in a public report.
    #[serde(skip)]
    pub year_only: u64,
    /// A view of one group of a public release's breakdown (`Precinct: East`): its counts are the
    /// group's; the count of all encounters is not published for a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// One group of a breakdown as a report of its own: its two periods, the change between them and
/// the notes written from its counts; no breakdowns or months (a release publishes none for a
/// group). The filter names the group. `None` when the report has no such group.
pub fn group_view(report: &OutcomeReport, dim: Dimension, key: &str) -> Option<OutcomeReport> {
    let group = report.breakdowns.iter().find(|b| b.by == dim)?.groups.iter().find(|g| g.key == key)?;
    let period = |p: &PeriodResult, values: &MeasureMap<MeasureValue>| {
        let mut measures = values.clone();
        // A period's counts come with their rate a day; a group's do not until now.
        for (_, v) in measures.0.iter_mut() {
            if let MeasureValue::Count { count: Some(c), per_day, .. } = v
                && p.days > 0
            {
                *per_day = Some(*c as f64 / p.days as f64);
            }
        }
        PeriodResult {
            from: p.from,
            to: p.to,
            days: p.days,
            encounters: match values.get(Measure::Encounters) {
                Some(MeasureValue::Count { count, .. }) => *count,
                _ => None,
            },
            all_encounters: None,
            measures,
        }
    };
    let periods = PeriodPair {
        baseline: period(&report.periods.baseline, &group.baseline),
        comparison: period(&report.periods.comparison, &group.comparison),
    };
    let mut filter = report.filter.clone();
    match dim {
        Dimension::Agency => filter.agency = Some(key.to_string()),
        Dimension::Precinct => filter.precinct = Some(key.to_string()),
        Dimension::Sector => filter.sector = Some(key.to_string()),
        Dimension::Beat => filter.beat = Some(key.to_string()),
        Dimension::ResponseModel => filter.response_model = <crate::ResponseModel as crate::CodeList>::parse_code(key).ok(),
        _ => {}
    }
    let mut view = OutcomeReport {
        report: report.report,
        definition: report.definition.clone(),
        filter,
        public: report.public,
        measures: report.measures.clone(),
        changes: changes(&periods.baseline, &periods.comparison),
        periods,
        breakdowns: Vec::new(),
        monthly: Vec::new(),
        notes: Vec::new(),
        year_only: 0,
        group: Some(format!("{}: {}", dim.label(), group.label)),
    };
    view.notes = count_notes(&view);
    view.notes.push(format!(
        "{}: {} — one group of the published release's {} breakdown (its breakdowns and months are not published).",
        dim.label(),
        group.label,
        dim.label().to_lowercase()
    ));
    Some(view)
}

/// The notes that carry counts, written from the report's values: [`crate::outcomes::make_public`]
/// removes the ones written from the counts and writes them again from what is published.
pub fn count_notes(report: &OutcomeReport) -> Vec<String> {
    let mut notes = Vec::new();
    for p in [&report.periods.baseline, &report.periods.comparison] {
        if let Some(MeasureValue::Mean { encounters, .. }) = p.measures.get(Measure::EncountersPerPerson) {
            match (encounters, p.encounters) {
                (Some(with_key), Some(mh)) if with_key < &mh => notes.push(format!(
                    "{}..{}: repeat-encounter measures cover the {with_key} of {mh} mental-health encounters that carry a person key.",
                    p.from, p.to
                )),
                (Some(_), Some(_)) => {}
                _ => notes.push(format!(
                    "{}..{}: repeat-encounter measures cover the mental-health encounters that carry a person key.",
                    p.from, p.to
                )),
            }
        }
    }
    if report.year_only > 0 && !report.monthly.is_empty() {
        notes.push(if report.public {
            "Some mental-health encounters are dated only to the year; they count in a period that covers the whole year and are left out of the monthly series.".to_string()
        } else {
            format!(
                "{} mental-health encounters are dated only to the year; they count in a period that covers the whole year and are left out of the monthly series.",
                report.year_only
            )
        });
    }
    notes
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodPair {
    pub baseline: PeriodResult,
    pub comparison: PeriodResult,
}

fn bit_values(t: &[u64; SLOTS]) -> MeasureMap<MeasureValue> {
    let mut m = MeasureMap(Vec::with_capacity(NBIT + 1));
    m.0.push((Measure::Encounters, MeasureValue::Count { count: Some(t[MH_SLOT]), per_day: None, suppressed: false }));
    for (i, &meas) in BIT_MEASURES.iter().enumerate() {
        m.0.push((meas, MeasureValue::proportion(t[NBIT + i], t[i])));
    }
    m
}

impl OutcomeIndex {
    /// Compute the report for two periods.
    pub fn report(&self, definition: DefinitionRef, req: &ReportRequest) -> OutcomeReport {
        let base = self.period_result(&req.periods.baseline);
        let comp = self.period_result(&req.periods.comparison);
        let changes = changes(&base, &comp);

        let rb = LaneRanges::of(&req.periods.baseline);
        let rc = LaneRanges::of(&req.periods.comparison);
        let all_c = self.totals(0, &rc);
        let mut breakdowns = Vec::new();
        for dim in &req.breakdowns {
            let Some((_, range)) = self.dims.iter().find(|(d, _)| d == dim) else { continue };
            let groups = range
                .clone()
                .map(|g| {
                    let tb = self.totals(g, &rb);
                    let tc = self.totals(g, &rc);
                    let mut disparity = MeasureMap(Vec::new());
                    for (i, &m) in BIT_MEASURES.iter().enumerate() {
                        let d = stats::disparity_ratio(tc[NBIT + i], tc[i], all_c[NBIT + i], all_c[i]).map(|e| {
                            Disparity { ratio: e.value, ci95: e.ci95, flagged: !e.ci95.contains(1.0) }
                        });
                        disparity.0.push((m, d));
                    }
                    GroupResult {
                        key: self.groups[g].key.clone(),
                        label: self.groups[g].label.clone(),
                        baseline: bit_values(&tb),
                        comparison: bit_values(&tc),
                        disparity,
                    }
                })
                .collect();
            breakdowns.push(Breakdown { by: *dim, label: dim.label(), groups });
        }

        let mut monthly = Vec::new();
        if req.monthly {
            let p = &req.periods;
            let lo = super::index::month_number(p.baseline.from.min(p.comparison.from));
            let hi = super::index::month_number(p.baseline.to.max(p.comparison.to));
            for m in lo..=hi {
                let t = self.month_totals(m);
                let start = month_start(m);
                let role = if within_month(&p.comparison, m) {
                    MonthRole::Comparison
                } else if within_month(&p.baseline, m) {
                    MonthRole::Baseline
                } else {
                    MonthRole::Other
                };
                monthly.push(MonthPoint {
                    month: format!("{:04}-{:02}", start.year(), start.month()),
                    role,
                    encounters: Some(t[MH_SLOT]),
                    measures: bit_values(&t),
                });
            }
        }

        let mut report = OutcomeReport {
            report: "pmhc outcome report",
            definition,
            filter: self.filter.clone(),
            public: false,
            measures: Measure::ALL
                .iter()
                .map(|&m| MeasureInfo { id: m.id(), label: m.label(), kind: m.kind(), outcome: m.outcome(), of: m.of() })
                .collect(),
            periods: PeriodPair { baseline: base, comparison: comp },
            changes,
            breakdowns,
            monthly,
            notes: Vec::new(),
            year_only: self.year_only,
            group: None,
        };
        let counted = count_notes(&report);
        report.notes.extend(counted);
        report
    }

    fn period_result(&self, p: &Period) -> PeriodResult {
        let r = LaneRanges::of(p);
        let t = self.totals(0, &r);
        let mut measures = MeasureMap(Vec::with_capacity(Measure::ALL.len()));
        let mh = t[MH_SLOT];
        let repeat = self.repeat.count(p, self.persons);
        let arrests = self.arrests.count(p, self.persons);
        for &m in Measure::ALL {
            let v = match m {
                Measure::Encounters => MeasureValue::Count {
                    count: Some(mh),
                    per_day: Some(mh as f64 / p.days() as f64),
                    suppressed: false,
                },
                Measure::TimeOnScene => match stats::median_from_histogram(&self.scene_histogram(&r)) {
                    Some(Median { n, value, ci95 }) => {
                        MeasureValue::Median { n: Some(n), median: Some(value), ci95: Some(ci95), suppressed: false }
                    }
                    None => not_measurable(mh, "no encounter in this period records the time on scene"),
                },
                Measure::RepeatPeople => person_share(mh, &repeat, repeat.meeting_rule),
                Measure::FrequentArrestPeople => person_share(mh, &repeat, arrests.meeting_rule),
                Measure::EncountersPerPerson => {
                    if repeat.people == 0 {
                        not_measurable(mh, NO_PERSON_KEY)
                    } else {
                        MeasureValue::Mean {
                            people: Some(repeat.people),
                            encounters: Some(repeat.encounters),
                            mean: Some(repeat.encounters as f64 / repeat.people as f64),
                            sum_squares: repeat.sum_squares,
                            suppressed: false,
                        }
                    }
                }
                Measure::ArrestDiverted if !self.arrest_diversion_coded => MeasureValue::NotMeasurable {
                    not_measurable: "not measurable with this data: no encounter is coded \"probable cause present, diverted\"".into(),
                },
                _ => {
                    let i = bit_index(m).unwrap_or(0);
                    let (x, n) = (t[NBIT + i], t[i]);
                    if n == 0 {
                        not_measurable(mh, "not measurable with this data: no encounter in this period records it")
                    } else {
                        MeasureValue::proportion(x, n)
                    }
                }
            };
            measures.0.push((m, v));
        }
        PeriodResult {
            from: p.from,
            to: p.to,
            days: p.days(),
            encounters: Some(mh),
            all_encounters: Some(t[ALL_SLOT]),
            measures,
        }
    }
}

const NO_PERSON_KEY: &str = "not measurable with this data: no encounter in this period carries a person key";

fn person_share(mh: u64, people: &PersonCounts, meeting: u64) -> MeasureValue {
    if people.people == 0 { not_measurable(mh, NO_PERSON_KEY) } else { MeasureValue::proportion(meeting, people.people) }
}

fn not_measurable(mh: u64, reason: &str) -> MeasureValue {
    let reason = if mh == 0 { "no mental-health encounters in this period" } else { reason };
    MeasureValue::NotMeasurable { not_measurable: reason.to_string() }
}

/// Whether month `m` overlaps the period.
fn within_month(p: &Period, m: i32) -> bool {
    let s = month_start(m);
    s <= p.to && p.from <= month_start(m + 1).pred_opt().unwrap_or(s)
}

/// The change of every measure between the two periods.
pub fn changes(base: &PeriodResult, comp: &PeriodResult) -> MeasureMap<Change> {
    let mut out = MeasureMap(Vec::new());
    for &m in Measure::ALL {
        let (Some(b), Some(c)) = (base.measures.get(m), comp.measures.get(m)) else { continue };
        out.0.push((m, change(m, b, c, base.days, comp.days)));
    }
    out
}

fn change(m: Measure, b: &MeasureValue, c: &MeasureValue, days_b: i64, days_c: i64) -> Change {
    let none = |sentence: String| Change {
        absolute: None,
        absolute_ci95: None,
        relative: None,
        relative_ci95: None,
        significant: false,
        sentence,
    };
    if let MeasureValue::NotMeasurable { not_measurable } = c {
        return none(format!("{}: {}.", m.label(), not_measurable));
    }
    if let MeasureValue::NotMeasurable { not_measurable } = b {
        return none(format!("{}: {} (baseline).", m.label(), not_measurable));
    }
    if b.is_suppressed() || c.is_suppressed() {
        return none(format!("{}: not shown, to protect small numbers.", m.label()));
    }
    match (b, c) {
        (MeasureValue::Count { count: Some(xb), .. }, MeasureValue::Count { count: Some(xc), .. }) => {
            let (pb, pc) = (*xb as f64 / days_b as f64, *xc as f64 / days_c as f64);
            let rr = stats::rate_ratio(*xb, days_b as f64, *xc, days_c as f64);
            let rel = rr.map(|e| Estimate {
                value: e.value - 1.0,
                ci95: Interval { lower: e.ci95.lower - 1.0, upper: e.ci95.upper - 1.0 },
            });
            // An interval that does not hold its estimate (or has no width) is not shown, nor
            // called significant.
            let rel = rel.filter(|e| numbers::relative_is_estimable(Some(e.value), Some(e.ci95)));
            let sig = rel.is_some_and(|e| !e.ci95.contains(0.0));
            let sentence = format!(
                "{} {}{}.",
                m.label(),
                numbers::moved(&numbers::number(pb), &numbers::number(pc), pc - pb, " a day"),
                relative_clause(rel)
            );
            Change {
                absolute: Some(pc - pb),
                absolute_ci95: None,
                relative: rel.map(|e| e.value),
                relative_ci95: rel.map(|e| e.ci95),
                significant: sig,
                sentence,
            }
        }
        (
            MeasureValue::Proportion { numerator: Some(xb), denominator: Some(nb), rate: Some(pb), .. },
            MeasureValue::Proportion { numerator: Some(xc), denominator: Some(nc), rate: Some(pc), .. },
        ) => {
            let diff = stats::newcombe_difference(*xb, *nb, *xc, *nc);
            // A share of 0% or 100% in either period leaves the ratio without a usable interval
            // (none, zero width, or one that misses the estimate): not estimable.
            let at_bound = |x: u64, n: u64| x == 0 || x == n;
            let ratio = if at_bound(*xb, *nb) || at_bound(*xc, *nc) {
                None
            } else {
                stats::ratio_of_proportions(*xb, *nb, *xc, *nc)
                    .filter(|e| numbers::relative_is_estimable(Some(e.value), Some(e.ci95)))
            };
            let sig = diff.is_some_and(|e| !e.ci95.contains(0.0));
            let of = if m.of().is_empty() { String::new() } else { format!(" {}", m.of()) };
            let sentence = format!(
                "{} {}{}.",
                m.label(),
                numbers::moved(&numbers::percent(*pb), &numbers::percent(*pc), pc - pb, &of),
                diff.map(|e| format!(
                    " ({} points, 95% CI {} to {})",
                    numbers::points(e.value),
                    numbers::points(e.ci95.lower),
                    numbers::points(e.ci95.upper)
                ))
                .unwrap_or_default()
            );
            Change {
                absolute: Some(pc - pb),
                absolute_ci95: diff.map(|e| e.ci95),
                relative: ratio.map(|e| e.value - 1.0),
                relative_ci95: ratio.map(|e| Interval { lower: e.ci95.lower - 1.0, upper: e.ci95.upper - 1.0 }),
                significant: sig,
                sentence,
            }
        }
        (
            MeasureValue::Median { n: Some(nb), median: Some(vb), ci95: Some(cb), .. },
            MeasureValue::Median { n: Some(nc), median: Some(vc), ci95: Some(cc), .. },
        ) => {
            let d = stats::median_difference(
                &Median { n: *nb, value: *vb, ci95: *cb },
                &Median { n: *nc, value: *vc, ci95: *cc },
            );
            difference_change("Median time on scene", " minutes", *vb, *vc, d, 1, numbers::number)
        }
        (
            MeasureValue::Mean { people: Some(pb), encounters: Some(eb), mean: Some(mb), sum_squares: sb, .. },
            MeasureValue::Mean { people: Some(pc), encounters: Some(ec), mean: Some(mc), sum_squares: sc, .. },
        ) => {
            let d = stats::mean_difference(*pb, *eb as f64, *sb as f64, *pc, *ec as f64, *sc as f64);
            difference_change("Encounters per person", "", *mb, *mc, d, 2, |x| numbers::fixed(x, 2))
        }
        _ => none(format!("{}: no change can be computed.", m.label())),
    }
}

/// The change of a median or a mean: the difference with its interval (no interval for the
/// ratio), and the sentence, e.g. "Median time on scene rose from 54 to 55 minutes (+1.0 minutes,
/// 95% CI −1.5 to +3.5)."
fn difference_change(
    label: &str,
    unit: &str,
    b: f64,
    c: f64,
    d: Option<Estimate>,
    decimals: usize,
    value: impl Fn(f64) -> String,
) -> Change {
    let sentence = format!(
        "{label} {}{}.",
        numbers::moved(&value(b), &value(c), c - b, unit),
        d.map(|e| format!(
            " ({}{unit}, 95% CI {} to {})",
            numbers::signed(e.value, decimals),
            numbers::signed(e.ci95.lower, decimals),
            numbers::signed(e.ci95.upper, decimals)
        ))
        .unwrap_or_default()
    );
    Change {
        absolute: Some(c - b),
        absolute_ci95: d.map(|e| e.ci95),
        relative: (b > 0.0).then(|| c / b - 1.0),
        relative_ci95: None,
        significant: d.is_some_and(|e| !e.ci95.contains(0.0)),
        sentence,
    }
}

/// " (+12.0%, 95% CI +3.1% to +21.0%)" for a relative change that may be shown, else nothing.
fn relative_clause(rel: Option<Estimate>) -> String {
    match numbers::relative_change(rel.map(|e| e.value), rel.map(|e| e.ci95)) {
        RelativeChange::Shown { value, ci: Some((lo, hi)) } => format!(" ({value}, 95% CI {lo} to {hi})"),
        RelativeChange::Shown { value, ci: None } => format!(" ({value})"),
        RelativeChange::NotEstimable => String::new(),
    }
}
