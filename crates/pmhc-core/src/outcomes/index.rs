//! [`OutcomeIndex`]: the encounters of one filter under one definition, pre-aggregated so that any
//! pair of periods is answered without reading the encounters again.
//!
//! Per group (the whole population, then every group of every breakdown) and per day, the index
//! holds running totals of every per-encounter counter, so a period's total is two lookups. Dates
//! known only to the month or year go to a month or a year lane and count in a period only when
//! their whole month or year lies inside it. Medians and the person-level measures (repeat
//! encounters, frequent arrests) keep a compact list sorted by date instead.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::codes::*;
use crate::definition::{Period, SharedDefinition};

use super::data::{OutcomeData, OutcomeRecord, Sym, Symbols};
use super::measure::{ALL_BIT, CompiledDefinition, MH_BIT, SLOTS};

/// A breakdown of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Precinct,
    Sector,
    Beat,
    ResponseModel,
    CitPresence,
    RaceEthnicity,
    Gender,
    AgeBand,
    Agency,
}

impl Dimension {
    pub const ALL: &'static [Dimension] = &[
        Dimension::Precinct,
        Dimension::Sector,
        Dimension::Beat,
        Dimension::ResponseModel,
        Dimension::CitPresence,
        Dimension::RaceEthnicity,
        Dimension::Gender,
        Dimension::AgeBand,
        Dimension::Agency,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Dimension::Precinct => "precinct",
            Dimension::Sector => "sector",
            Dimension::Beat => "beat",
            Dimension::ResponseModel => "response_model",
            Dimension::CitPresence => "cit_presence",
            Dimension::RaceEthnicity => "race_ethnicity",
            Dimension::Gender => "gender",
            Dimension::AgeBand => "age_band",
            Dimension::Agency => "agency",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Dimension::Precinct => "Precinct / division",
            Dimension::Sector => "Sector",
            Dimension::Beat => "Beat / neighbourhood",
            Dimension::ResponseModel => "Response model",
            Dimension::CitPresence => "CIT officer present",
            Dimension::RaceEthnicity => "Race / ethnicity",
            Dimension::Gender => "Gender",
            Dimension::AgeBand => "Age band",
            Dimension::Agency => "Agency",
        }
    }

    pub fn parse(s: &str) -> Option<Dimension> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        let alias = match s.as_str() {
            "area" | "division" => "precinct",
            "cit" => "cit_presence",
            "race" | "ethnicity" => "race_ethnicity",
            "age" => "age_band",
            "model" => "response_model",
            "neighbourhood" | "neighborhood" => "beat",
            other => other,
        };
        Dimension::ALL.iter().copied().find(|d| d.id() == alias)
    }

    /// The group key of a record: a symbol, a code index, or `NONE` for unknown.
    fn key(self, r: &OutcomeRecord) -> u32 {
        let sym = |s: Option<Sym>| s.unwrap_or(NONE);
        match self {
            Dimension::Precinct => sym(r.precinct),
            Dimension::Sector => sym(r.sector),
            Dimension::Beat => sym(r.beat),
            Dimension::Agency => sym(r.agency),
            Dimension::ResponseModel => r.response_model as u32,
            Dimension::CitPresence => match r.cit_present {
                Some(true) => 0,
                Some(false) => 1,
                None => 2,
            },
            Dimension::RaceEthnicity => r.race_ethnicity as u32,
            Dimension::Gender => r.gender as u32,
            Dimension::AgeBand => r.age_band as u32,
        }
    }

    fn is_symbolic(self) -> bool {
        matches!(self, Dimension::Precinct | Dimension::Sector | Dimension::Beat | Dimension::Agency)
    }

    fn code_group(self, key: u32) -> (String, String) {
        fn code<C: CodeList>(k: u32) -> (String, String) {
            C::ALL
                .get(k as usize)
                .map(|c| (c.as_str().to_string(), c.label().to_string()))
                .unwrap_or_else(|| ("unknown".into(), "Unknown".into()))
        }
        match self {
            Dimension::ResponseModel => code::<ResponseModel>(key),
            Dimension::RaceEthnicity => code::<RaceEthnicity>(key),
            Dimension::Gender => code::<Gender>(key),
            Dimension::AgeBand => code::<AgeBand>(key),
            Dimension::CitPresence => match key {
                0 => ("yes".into(), "CIT officer present".into()),
                1 => ("no".into(), "No CIT officer".into()),
                _ => ("unknown".into(), "Unknown".into()),
            },
            _ => ("unknown".into(), "Unknown".into()),
        }
    }
}

const NONE: u32 = u32::MAX;

/// Which encounters a report covers (all given conditions must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OutcomeFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precinct: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_model: Option<ResponseModel>,
}

impl OutcomeFilter {
    /// The filter as conditions on breakdown groups, `(dimension, group key)`: what a breakdown by
    /// that dimension names the same encounters.
    pub fn conditions(&self) -> Vec<(Dimension, String)> {
        use crate::CodeList;
        let mut out: Vec<(Dimension, String)> =
            [(Dimension::Agency, &self.agency), (Dimension::Precinct, &self.precinct), (Dimension::Sector, &self.sector), (Dimension::Beat, &self.beat)]
                .into_iter()
                .filter_map(|(d, v)| v.clone().map(|v| (d, v)))
                .collect();
        if let Some(m) = self.response_model {
            out.push((Dimension::ResponseModel, m.as_str().to_string()));
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        *self == OutcomeFilter::default()
    }

    /// The test of a record against this filter, with the names resolved once against the
    /// symbols (a name never seen matches nothing).
    pub fn matcher(&self, symbols: &Symbols) -> impl Fn(&OutcomeRecord) -> bool + Sync + '_ {
        let want = |s: &Option<String>| s.as_ref().map(|s| symbols.get(s).unwrap_or(NONE));
        let (agency, precinct, sector, beat) =
            (want(&self.agency), want(&self.precinct), want(&self.sector), want(&self.beat));
        move |r: &OutcomeRecord| {
            let ok = |f: Option<u32>, v: Option<Sym>| f.is_none_or(|f| v == Some(f));
            ok(agency, r.agency)
                && ok(precinct, r.precinct)
                && ok(sector, r.sector)
                && ok(beat, r.beat)
                && self.response_model.is_none_or(|m| r.response_model == m)
        }
    }
}

/// A group of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub key: String,
    pub label: String,
}

/// One lane of running totals: `prefix[g][i]` holds the sum over buckets `< i` for group `g`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lane {
    first: i32,
    len: usize,
    prefix: Vec<[u32; SLOTS]>,
}

impl Lane {
    fn new(range: Option<(i32, i32)>, groups: usize) -> Lane {
        match range {
            Some((lo, hi)) => {
                let len = (hi - lo + 1) as usize;
                Lane { first: lo, len, prefix: vec![[0; SLOTS]; groups * (len + 1)] }
            }
            None => Lane { first: 0, len: 0, prefix: Vec::new() },
        }
    }

    #[inline]
    fn add(&mut self, group: usize, bucket: i32, mut bits: u32) {
        let i = group * (self.len + 1) + (bucket - self.first) as usize + 1;
        let cell = &mut self.prefix[i];
        while bits != 0 {
            let b = bits.trailing_zeros() as usize;
            cell[b] += 1;
            bits &= bits - 1;
        }
    }

    /// Add another lane of the same shape (not yet accumulated) into this one.
    fn add_lane(&mut self, other: &Lane) {
        for (a, b) in self.prefix.iter_mut().zip(&other.prefix) {
            for s in 0..SLOTS {
                a[s] += b[s];
            }
        }
    }

    fn accumulate(&mut self, groups: usize) {
        for g in 0..groups {
            let base = g * (self.len + 1);
            for i in 1..=self.len {
                let prev = self.prefix[base + i - 1];
                let cell = &mut self.prefix[base + i];
                for s in 0..SLOTS {
                    cell[s] += prev[s];
                }
            }
        }
    }

    /// Totals of `group` over buckets `lo..=hi` (clamped to the lane), added to `out`.
    fn sum_into(&self, group: usize, lo: i32, hi: i32, out: &mut [u64; SLOTS]) {
        if self.len == 0 || hi < lo {
            return;
        }
        let lo = lo.max(self.first);
        let hi = hi.min(self.first + self.len as i32 - 1);
        if hi < lo {
            return;
        }
        let base = group * (self.len + 1);
        let a = &self.prefix[base + (lo - self.first) as usize];
        let b = &self.prefix[base + (hi - self.first) as usize + 1];
        for s in 0..SLOTS {
            out[s] += u64::from(b[s] - a[s]);
        }
    }
}

/// Which lane a date of a given precision goes to, and its bucket there.
pub(crate) fn lane_of(date: NaiveDate, precision: DatePrecision) -> (usize, i32) {
    match precision {
        DatePrecision::Day | DatePrecision::Minute => (0, date.num_days_from_ce()),
        DatePrecision::Month => (1, month_number(date)),
        DatePrecision::Year => (2, date.year()),
    }
}

/// Months since year 0 (`year * 12 + month0`).
pub fn month_number(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month0() as i32
}

/// The first day of a month number.
pub fn month_start(m: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1).unwrap_or(NaiveDate::MIN)
}

fn month_end(m: i32) -> NaiveDate {
    month_start(m + 1).pred_opt().unwrap_or(NaiveDate::MAX)
}

/// A period as bucket ranges of the three lanes (inclusive; empty when hi < lo).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LaneRanges {
    pub(crate) ranges: [(i32, i32); 3],
}

impl LaneRanges {
    pub(crate) fn of(p: &Period) -> LaneRanges {
        let days = (p.from.num_days_from_ce(), p.to.num_days_from_ce());
        let m_lo = month_number(p.from) + if p.from.day() == 1 { 0 } else { 1 };
        let m_hi = month_number(p.to) - if month_end(month_number(p.to)) == p.to { 0 } else { 1 };
        let y_lo = p.from.year() + if p.from.ordinal() == 1 { 0 } else { 1 };
        let y_hi = p.to.year() - if p.to.month() == 12 && p.to.day() == 31 { 0 } else { 1 };
        LaneRanges { ranges: [days, (m_lo, m_hi), (y_lo, y_hi)] }
    }

    #[inline]
    pub(crate) fn contains(&self, lane: usize, bucket: i32) -> bool {
        let (lo, hi) = self.ranges[lane];
        lo <= bucket && bucket <= hi
    }
}

/// One encounter of a person, for the person-level measures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PersonEntry {
    /// First day the date could be (for ordering and slicing).
    pub(crate) day: i32,
    pub(crate) lane: u8,
    pub(crate) bucket: i32,
    pub(crate) person: u32,
    /// Index (in the day-sorted list) of the person's previous entry, `NONE` if none.
    pub(crate) back: u32,
}

/// A list of person entries sorted by day with links back to the previous entry of the same
/// person, so "k entries within w days inside the period" is a short walk back.
#[derive(Debug, Clone, Default)]
pub(crate) struct PersonLane {
    pub(crate) entries: Vec<PersonEntry>,
    /// Encounters needed within the window (at least 2).
    pub(crate) k: u32,
    pub(crate) window_days: u32,
}

impl PersonLane {
    fn build(mut raw: Vec<(u32, i32, u8, i32)>, k: u32, window_days: u32) -> PersonLane {
        // Sort by person then day to find each entry's (k-1)-th previous, then by day.
        raw.sort_unstable_by_key(|&(p, d, lane, b)| (p, d, lane, b));
        let n = raw.len();
        let mut back_pos = vec![NONE; n];
        for i in 1..n {
            if raw[i - 1].0 == raw[i].0 {
                back_pos[i] = (i - 1) as u32;
            }
        }
        // Sort (day, person, position) triples in place: contiguous keys sort much faster than
        // positions compared through the list.
        let mut keyed: Vec<(i32, u32, u32)> = raw.iter().enumerate().map(|(i, r)| (r.1, r.0, i as u32)).collect();
        keyed.sort_unstable();
        let order: Vec<u32> = keyed.into_iter().map(|(_, _, i)| i).collect();
        let mut rank = vec![0u32; n];
        for (r, &i) in order.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        let entries = order
            .iter()
            .map(|&i| {
                let (person, day, lane, bucket) = raw[i as usize];
                let b = back_pos[i as usize];
                PersonEntry { day, lane, bucket, person, back: if b == NONE { NONE } else { rank[b as usize] } }
            })
            .collect();
        PersonLane { entries, k: k.max(2), window_days }
    }

    /// People seen in the period, people meeting the k-within-w rule there, keyed encounters, and
    /// the sum of squares of encounters per person.
    pub(crate) fn count(&self, p: &Period, persons: usize) -> PersonCounts {
        let r = LaneRanges::of(p);
        let lo = p.from.num_days_from_ce();
        let hi = p.to.num_days_from_ce();
        let start = self.entries.partition_point(|e| e.day < lo);
        let end = self.entries.partition_point(|e| e.day <= hi);
        let mut seen = vec![0u32; persons];
        let mut flagged = vec![false; persons];
        let mut out = PersonCounts::default();
        for e in &self.entries[start..end] {
            if !r.contains(e.lane as usize, e.bucket) {
                continue;
            }
            out.encounters += 1;
            let s = &mut seen[e.person as usize];
            if *s == 0 {
                out.people += 1;
            }
            *s += 1;
            if flagged[e.person as usize] {
                continue;
            }
            // Walk back through the person's earlier encounters within the window, counting those
            // inside the period (an earlier one can be outside it while a still earlier one is
            // inside: a month-only date at the period's edge).
            let mut need = self.k - 1;
            let mut j = e.back;
            while j != NONE {
                let b = &self.entries[j as usize];
                if (e.day - b.day) as u32 > self.window_days {
                    break;
                }
                if r.contains(b.lane as usize, b.bucket) {
                    need -= 1;
                    if need == 0 {
                        flagged[e.person as usize] = true;
                        out.meeting_rule += 1;
                        break;
                    }
                }
                j = b.back;
            }
        }
        out.sum_squares = seen.iter().map(|&c| u64::from(c) * u64::from(c)).sum();
        out
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PersonCounts {
    pub(crate) people: u64,
    pub(crate) meeting_rule: u64,
    pub(crate) encounters: u64,
    pub(crate) sum_squares: u64,
}

/// The pre-aggregated encounters of one filter under one definition.
#[derive(Debug, Clone)]
pub struct OutcomeIndex {
    pub(crate) lanes: [Lane; 3],
    /// Group 0 is everyone; then each dimension's groups in `dims[d].1`.
    pub(crate) dims: Vec<(Dimension, std::ops::Range<usize>)>,
    pub(crate) groups: Vec<Group>,
    /// (lane, bucket, minutes) of mental-health encounters with a time on scene, sorted.
    pub(crate) scene: Vec<(u8, i32, u16)>,
    pub(crate) repeat: PersonLane,
    pub(crate) arrests: PersonLane,
    pub(crate) persons: usize,
    /// Whether any encounter is coded "probable cause present, diverted".
    pub(crate) arrest_diversion_coded: bool,
    pub(crate) filter: OutcomeFilter,
    /// The first and last months with data (for the monthly series).
    pub(crate) month_span: Option<(i32, i32)>,
    /// Mental-health encounters known only to the year (outside every monthly series).
    pub(crate) year_only: u64,
    /// Per lane (day, month, year precision): the first and last bucket holding an encounter.
    pub(crate) lane_spans: [Option<(i32, i32)>; 3],
}

/// A period that cuts a month (or a year) within the span of encounters dated only to the month (or
/// the year): they could not be counted in it, but its days would be, so its rates would be wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PeriodPrecisionError {
    pub period: Period,
    /// `month` or `year`.
    pub unit: &'static str,
    /// The month (`YYYY-MM`) or year cut.
    pub cut: String,
    /// The nearest whole periods: inside the given one (if not empty) and around it.
    pub inside: Option<Period>,
    pub around: Period,
}

impl std::fmt::Display for PeriodPrecisionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let PeriodPrecisionError { period, unit, cut, inside, around } = self;
        write!(
            f,
            "the period {period} cuts the {unit} {cut}, and encounters in scope are dated only to the {unit}: \
             they cannot be counted in part of it. Use whole {unit}s, e.g. "
        )?;
        match inside {
            Some(i) => write!(f, "{i} (inside it) or {around} (around it)"),
            None => write!(f, "{around}"),
        }
    }
}

/// What the first pass over a share of the records finds.
struct Pass1 {
    bits: Vec<u32>,
    ranges: [Option<(i32, i32)>; 3],
    present: Vec<Vec<bool>>,
    arrest_diversion_coded: bool,
    month_span: Option<(i32, i32)>,
    year_only: u64,
}

impl Pass1 {
    /// Add the findings of the following share of the records.
    fn merge(&mut self, other: Pass1) {
        self.bits.extend(other.bits);
        for (a, b) in self.ranges.iter_mut().zip(other.ranges) {
            if let Some((lo, hi)) = b {
                widen(a, lo, hi);
            }
        }
        for (a, b) in self.present.iter_mut().zip(other.present) {
            for (x, y) in a.iter_mut().zip(b) {
                *x |= y;
            }
        }
        self.arrest_diversion_coded |= other.arrest_diversion_coded;
        if let Some((lo, hi)) = other.month_span {
            widen(&mut self.month_span, lo, hi);
        }
        self.year_only += other.year_only;
    }
}

/// What the second pass over a share of the records accumulates.
struct Pass2 {
    lanes: [Lane; 3],
    scene: Vec<(u8, i32, u16)>,
    repeat_raw: Vec<(u32, i32, u8, i32)>,
    arrest_raw: Vec<(u32, i32, u8, i32)>,
}

fn widen(range: &mut Option<(i32, i32)>, lo: i32, hi: i32) {
    *range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
}

/// Minutes above this go to the last histogram bucket.
pub(crate) const SCENE_CAP: u16 = 24 * 60;

impl OutcomeIndex {
    /// Build the index of `data` for `filter` under `definition`.
    pub fn build(data: &OutcomeData, definition: &SharedDefinition, filter: &OutcomeFilter) -> OutcomeIndex {
        let def = CompiledDefinition::new(definition, &data.symbols);
        let keep = filter.matcher(&data.symbols);

        // The work is split in two halves of the records, each on its own thread (the machines
        // this runs on have few cores and a report is waited for).
        let mid = data.records.len() / 2;
        let (left, right) = data.records.split_at(mid);
        let nsym = data.symbols.len();

        // Pass 1: classify, find lane ranges and the groups of every dimension.
        let pass1 = |records: &[OutcomeRecord]| {
            let mut p = Pass1 {
                bits: Vec::with_capacity(records.len()),
                ranges: [None; 3],
                present: Dimension::ALL.iter().map(|d| vec![false; if d.is_symbolic() { nsym + 1 } else { 16 }]).collect(),
                arrest_diversion_coded: false,
                month_span: None,
                year_only: 0,
            };
            for r in records {
                if !keep(r) {
                    p.bits.push(0);
                    continue;
                }
                let (lane, bucket) = lane_of(r.occurred_on, r.date_precision);
                widen(&mut p.ranges[lane], bucket, bucket);
                if !def.is_mental_health(r) {
                    p.bits.push(ALL_BIT);
                    continue;
                }
                p.bits.push(def.measure_bits(r) | MH_BIT | ALL_BIT);
                p.arrest_diversion_coded |= r.disposition == Disposition::ArrestDiverted;
                if lane == 2 {
                    p.year_only += 1;
                } else {
                    let m = month_number(r.occurred_on);
                    widen(&mut p.month_span, m, m);
                }
                for (d, dim) in Dimension::ALL.iter().enumerate() {
                    let k = dim.key(r);
                    let slot = if k == NONE { p.present[d].len() - 1 } else { k as usize };
                    p.present[d][slot] = true;
                }
            }
            p
        };
        let (mut p1, p1b) = std::thread::scope(|s| {
            let h = s.spawn(|| pass1(right));
            let a = pass1(left);
            (a, h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        p1.merge(p1b);
        let Pass1 { bits, ranges, present, arrest_diversion_coded, month_span, year_only } = p1;

        // Groups: everyone, then each dimension's present groups (symbolic ones by name, unknown last).
        let mut groups = vec![Group { key: "all".into(), label: "All".into() }];
        let mut dims = Vec::new();
        let mut group_of: Vec<Vec<u32>> = Vec::new();
        for (d, dim) in Dimension::ALL.iter().enumerate() {
            let start = groups.len();
            let slots = present[d].len();
            let mut map = vec![NONE; slots];
            let mut keys: Vec<usize> = (0..slots).filter(|&s| present[d][s]).collect();
            if dim.is_symbolic() {
                keys.sort_by(|&a, &b| {
                    let unknown_a = a == slots - 1;
                    let unknown_b = b == slots - 1;
                    unknown_a.cmp(&unknown_b).then_with(|| {
                        natural_cmp(data.symbols.name(a as Sym), data.symbols.name(b as Sym))
                    })
                });
            }
            for s in keys {
                map[s] = groups.len() as u32;
                groups.push(if dim.is_symbolic() {
                    if s == slots - 1 {
                        Group { key: "unknown".into(), label: "Unknown".into() }
                    } else {
                        let name = data.symbols.name(s as Sym).to_string();
                        Group { key: name.clone(), label: name }
                    }
                } else {
                    let (key, label) = dim.code_group(s as u32);
                    Group { key, label }
                });
            }
            dims.push((*dim, start..groups.len()));
            group_of.push(map);
        }

        // Pass 2: accumulate, each half into lanes of its own, then add them up.
        let ngroups = groups.len();
        let (bits_left, bits_right) = bits.split_at(mid);
        let pass2 = |records: &[OutcomeRecord], bits: &[u32]| {
            let mut p = Pass2 {
                lanes: [Lane::new(ranges[0], ngroups), Lane::new(ranges[1], ngroups), Lane::new(ranges[2], ngroups)],
                scene: Vec::new(),
                repeat_raw: Vec::new(),
                arrest_raw: Vec::new(),
            };
            for (r, &b) in records.iter().zip(bits) {
                if b == 0 {
                    continue;
                }
                let (lane, bucket) = lane_of(r.occurred_on, r.date_precision);
                p.lanes[lane].add(0, bucket, b);
                if b & MH_BIT == 0 {
                    continue;
                }
                let b = b & !ALL_BIT;
                for (d, dim) in Dimension::ALL.iter().enumerate() {
                    let k = dim.key(r);
                    let map = &group_of[d];
                    let slot = if k == NONE { map.len() - 1 } else { k as usize };
                    p.lanes[lane].add(map[slot] as usize, bucket, b);
                }
                if let Some(m) = r.time_on_scene_minutes {
                    p.scene.push((lane as u8, bucket, m.min(u32::from(SCENE_CAP)) as u16));
                }
                // A person is their key's symbol.
                if let Some(person) = r.subject {
                    let day = r.occurred_on.num_days_from_ce();
                    p.repeat_raw.push((person, day, lane as u8, bucket));
                    if r.arrested == Some(true) {
                        p.arrest_raw.push((person, day, lane as u8, bucket));
                    }
                }
            }
            p
        };
        let (mut p2, p2b) = std::thread::scope(|s| {
            let h = s.spawn(|| pass2(right, bits_right));
            let a = pass2(left, bits_left);
            (a, h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        for (a, b) in p2.lanes.iter_mut().zip(&p2b.lanes) {
            a.add_lane(b);
        }
        p2.scene.extend(p2b.scene);
        p2.repeat_raw.extend(p2b.repeat_raw);
        p2.arrest_raw.extend(p2b.arrest_raw);
        let Pass2 { mut lanes, mut scene, repeat_raw, arrest_raw } = p2;

        // Running totals and the sorted lists, in parallel.
        let (repeat, arrests) = std::thread::scope(|s| {
            let h = s.spawn(|| {
                PersonLane::build(repeat_raw, definition.repeat.min_encounters, definition.repeat.window_days)
            });
            let arrests = PersonLane::build(
                arrest_raw,
                definition.frequent_arrests.min_arrests,
                definition.frequent_arrests.window_days,
            );
            for lane in &mut lanes {
                lane.accumulate(ngroups);
            }
            scene.sort_unstable();
            (h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), arrests)
        });
        OutcomeIndex {
            lanes,
            dims,
            groups,
            scene,
            repeat,
            arrests,
            persons: nsym,
            arrest_diversion_coded,
            filter: filter.clone(),
            month_span,
            year_only,
            lane_spans: ranges,
        }
    }

    /// Refuse a period that cuts a month within the span of encounters dated only to the month, or
    /// a year within the span of encounters dated only to the year (see [`PeriodPrecisionError`]), naming the nearest
    /// whole-month (whole-year) periods.
    pub fn check_precision(&self, p: &Period) -> Result<(), PeriodPrecisionError> {
        let holds = |lane: usize, bucket: i32| self.lane_spans[lane].is_some_and(|(lo, hi)| lo <= bucket && bucket <= hi);
        let (first_m, last_m) = (month_number(p.from), month_number(p.to));
        let cut_m = [(p.from.day() != 1).then_some(first_m), (month_end(last_m) != p.to).then_some(last_m)];
        if let Some(m) = cut_m.into_iter().flatten().find(|&m| holds(1, m)) {
            let lo = if p.from.day() == 1 { first_m } else { first_m + 1 };
            let hi = if month_end(last_m) == p.to { last_m } else { last_m - 1 };
            let inside = (lo <= hi).then(|| Period::new(month_start(lo), month_end(hi)).ok()).flatten();
            let around = Period::new(month_start(first_m), month_end(last_m)).unwrap_or(*p);
            let start = month_start(m);
            let cut = format!("{:04}-{:02}", start.year(), start.month());
            return Err(PeriodPrecisionError { period: *p, unit: "month", cut, inside, around });
        }
        let year_start = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1);
        let year_end = |y: i32| NaiveDate::from_ymd_opt(y, 12, 31);
        let cut_y = [(p.from.ordinal() != 1).then_some(p.from.year()), (year_end(p.to.year()) != Some(p.to)).then_some(p.to.year())];
        if let Some(y) = cut_y.into_iter().flatten().find(|&y| holds(2, y)) {
            let lo = if p.from.ordinal() == 1 { p.from.year() } else { p.from.year() + 1 };
            let hi = if year_end(p.to.year()) == Some(p.to) { p.to.year() } else { p.to.year() - 1 };
            let whole = |a: i32, b: i32| Period::new(year_start(a)?, year_end(b)?).ok();
            let inside = if lo <= hi { whole(lo, hi) } else { None };
            let around = whole(p.from.year(), p.to.year()).unwrap_or(*p);
            return Err(PeriodPrecisionError { period: *p, unit: "year", cut: y.to_string(), inside, around });
        }
        Ok(())
    }

    /// The counters of `group` over a period.
    pub(crate) fn totals(&self, group: usize, r: &LaneRanges) -> [u64; SLOTS] {
        let mut out = [0u64; SLOTS];
        for (lane, &(lo, hi)) in self.lanes.iter().zip(&r.ranges) {
            lane.sum_into(group, lo, hi, &mut out);
        }
        out
    }

    /// The counters of everyone in one calendar month (day and month precision).
    pub(crate) fn month_totals(&self, month: i32) -> [u64; SLOTS] {
        let mut out = [0u64; SLOTS];
        let lo = month_start(month).num_days_from_ce();
        let hi = month_end(month).num_days_from_ce();
        self.lanes[0].sum_into(0, lo, hi, &mut out);
        self.lanes[1].sum_into(0, month, month, &mut out);
        out
    }

    /// The histogram of minutes on scene of the period's mental-health encounters.
    pub(crate) fn scene_histogram(&self, r: &LaneRanges) -> Vec<u64> {
        let mut hist = vec![0u64; usize::from(SCENE_CAP) + 1];
        for lane in 0..3u8 {
            let (lo, hi) = r.ranges[lane as usize];
            if hi < lo {
                continue;
            }
            let a = self.scene.partition_point(|&(l, b, _)| (l, b) < (lane, lo));
            let z = self.scene.partition_point(|&(l, b, _)| (l, b) <= (lane, hi));
            for &(_, _, m) in &self.scene[a..z] {
                hist[usize::from(m)] += 1;
            }
        }
        hist
    }

    /// The first day of the first month and the last day of the last month with mental-health
    /// encounters (dated to the day or month).
    pub fn month_span(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.month_span.map(|(a, b)| (month_start(a), month_end(b)))
    }

    /// The filter the index was built for.
    pub fn filter(&self) -> &OutcomeFilter {
        &self.filter
    }

    /// The groups of a dimension.
    pub fn groups(&self, dim: Dimension) -> &[Group] {
        self.dims.iter().find(|(d, _)| *d == dim).map(|(_, r)| &self.groups[r.clone()]).unwrap_or(&[])
    }

    /// Approximate memory held, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.lanes.iter().map(|l| l.prefix.len() * SLOTS * 4).sum::<usize>()
            + self.scene.len() * 8
            + (self.repeat.entries.len() + self.arrests.entries.len()) * std::mem::size_of::<PersonEntry>()
    }
}

/// Compare names so that "2" sorts before "10".
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.to_lowercase().cmp(&b.to_lowercase()).then_with(|| a.cmp(b)),
    }
}
