//! # pmhc-synth
//!
//! A deterministic synthetic jurisdiction, "Demo City", for demos, tests and benchmarks: mental-health
//! encounters of a made-up police department over several years, with repeat subjects, a
//! co-responder programme launched partway, CIT expansion, referrals to made-up providers and use
//! of force.
//!
//! ```
//! let config = pmhc_synth::DemoConfig { encounters: 1_000, seed: 42, ..Default::default() };
//! let records: Vec<_> = pmhc_synth::generate(&config).collect();
//! assert_eq!(records.len(), 1_000);
//! assert!(records.iter().all(|e| e.validate().is_ok()));
//! ```
//!
//! The records are valid ([`Encounter::validate`]), already normalized ([`Encounter::normalize`]
//! leaves them unchanged), in occurrence order, with unique `source_key` and `call_number`, and
//! identical for the same [`DemoConfig`] (the random streams are portable; durations go through the
//! platform's `ln`/`exp`/`sin_cos`, so another platform could in principle round a rare time one
//! second differently). The main stream is ChaCha8; a person's stable
//! attributes come from a SplitMix64 stream keyed by the seed and the person's index, so nothing
//! per person is stored and memory stays small (a queue of pending returns) at 10 million rows.
//!
//! Every rate, and where it came from, is documented in the [`rates`] module.
//!
//! ## How the timeline is built
//! The window is divided into days whose expected volume follows month, weekday and trend factors;
//! the requested number of encounters is spread over the days by cumulative rounding (so the total
//! is exact), and over each day's hours by the Toronto hour profile. Each slot takes the person
//! whose planned return is due (a calendar queue: a bucket per day feeding a small heap), or a new
//! person. A person's number of encounters
//! and the gaps between them are drawn from a skewed, clustered distribution; a burn-in year
//! before the window seeds the queue so the first months already contain returning people.

pub mod rates;
pub mod rng;
mod encounter;
mod jurisdiction;
mod people;
mod window;

use chrono::{NaiveDate, TimeDelta};
use pmhc_core::Encounter;

use crate::jurisdiction::{Beat, Roster, beats};
use crate::people::{BURN_IN_DAYS, Returns};
use crate::rates::*;
use crate::rng::{Draw, MainRng, SplitMix};
use crate::window::{Tables, Window};

/// The agency every demo record belongs to.
pub const AGENCY: &str = "Demo City Police Department";

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Number of encounters (exactly this many are produced).
    pub encounters: u64,
    pub seed: u64,
    /// First day of the window (default 2019-01-01).
    pub start: NaiveDate,
    /// Length of the window in years (default 6; 0 is treated as 1). The window is clipped to the
    /// years 1900..2099 so that every record validates.
    pub years: u32,
    /// `source_system` of every record (default `demo-cad`).
    pub source_system: String,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            encounters: 10_000,
            seed: 1,
            start: NaiveDate::from_ymd_opt(2019, 1, 1).expect("2019-01-01 is a valid date"),
            years: 6,
            source_system: "demo-cad".to_string(),
        }
    }
}

/// The dates of the demo jurisdiction's programme changes (useful to pick baseline and comparison
/// periods). Dates past the window's end simply never take effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Programme {
    /// First day of the window.
    pub start: NaiveDate,
    /// The day after the window's last day.
    pub end: NaiveDate,
    /// Co-responder pilot (North and East precincts) and the start of CIT expansion.
    pub co_responder_launch: NaiveDate,
    /// Co-responder team in every precinct.
    pub co_responder_citywide: NaiveDate,
    /// Case management for high utilisers.
    pub case_management_launch: NaiveDate,
    /// County mobile crisis team.
    pub mobile_crisis_launch: NaiveDate,
    /// National 988 launch (988 transfers appear from this day).
    pub line_988_launch: NaiveDate,
}

/// The programme dates for a configuration.
pub fn programme(config: &DemoConfig) -> Programme {
    Window::new(config).programme
}

/// The encounters of the demo jurisdiction for `config`, in occurrence order.
pub fn generate(config: &DemoConfig) -> Generator {
    Generator::new(config)
}

/// An officer of the demo jurisdiction's roster (see [`Generator::roster`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOfficer {
    pub badge: String,
    pub precinct: Option<&'static str>,
    pub certified_on: Option<NaiveDate>,
    pub years: u16,
}

/// Iterator over the demo encounters (see [`generate`]).
pub struct Generator {
    rng: MainRng,
    source_system: String,
    window: Window,
    tables: Tables,
    roster: Roster,
    beats: Vec<Beat>,
    salt: [u64; 3],
    total: u64,
    emitted: u64,
    /// Cumulative expected volume per day.
    day_cum: Vec<f64>,
    next_day: u32,
    cur_day: u32,
    cur_date: NaiveDate,
    slots: Vec<u32>,
    slot_pos: usize,
    returns: Returns,
    next_person: u64,
    seq_year: i32,
    seq: u64,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("total", &self.total)
            .field("emitted", &self.emitted)
            .field("programme", &self.window.programme)
            .finish_non_exhaustive()
    }
}

impl Generator {
    fn new(config: &DemoConfig) -> Generator {
        let window = Window::new(config);
        let mut sm = SplitMix(config.seed ^ 0x6a09_e667_f3bc_c908);
        let salt = [sm.u64(), sm.u64(), sm.u64()];
        let roster = Roster::new(sm.u64(), &window);
        let mut day_cum = Vec::with_capacity(window.days as usize);
        let mut acc = 0.0;
        for d in 0..window.days {
            acc += window.day_weight(window.start + TimeDelta::days(i64::from(d)));
            day_cum.push(acc);
        }
        let mut g = Generator {
            rng: MainRng::new(config.seed),
            source_system: config.source_system.clone(),
            tables: Tables::new(),
            roster,
            beats: beats(),
            salt,
            total: config.encounters,
            emitted: 0,
            day_cum,
            next_day: 0,
            cur_day: 0,
            cur_date: window.start,
            slots: Vec::new(),
            slot_pos: 0,
            returns: Returns::new(i64::from(window.days.min(BURN_IN_DAYS)), window.days),
            next_person: 0,
            seq_year: 0,
            seq: 0,
            window,
        };
        g.burn_in();
        g
    }

    /// The officers who answer this jurisdiction's calls: badge number, precinct (`None` for the
    /// co-responder unit, which serves every precinct) and the day they completed the CIT course
    /// (`None`: never). Those certified before the data begins get a day before its start.
    pub fn roster(&self) -> Vec<DemoOfficer> {
        let day = |d: i64| match d {
            i64::MIN => Some(self.window.start - TimeDelta::days(400 + (d.unsigned_abs() % 7) as i64)),
            i64::MAX => None,
            d => Some(self.window.start + TimeDelta::days(d)),
        };
        let mut out = Vec::new();
        for (p, officers) in self.roster.precincts.iter().enumerate() {
            for o in officers {
                out.push(DemoOfficer { badge: o.id.clone(), precinct: Some(PRECINCTS[p].0), certified_on: day(o.cert_day), years: o.base_years });
            }
        }
        for o in &self.roster.unit {
            out.push(DemoOfficer { badge: o.id.clone(), precinct: None, certified_on: day(o.cert_day), years: o.base_years });
        }
        out
    }

    /// The programme dates of this jurisdiction.
    pub fn programme(&self) -> Programme {
        self.window.programme
    }
}

impl Iterator for Generator {
    type Item = Encounter;

    fn next(&mut self) -> Option<Encounter> {
        if self.emitted >= self.total {
            return None;
        }
        while self.slot_pos >= self.slots.len() {
            if self.next_day >= self.window.days {
                return None;
            }
            let d = self.next_day;
            self.fill_day(d);
            self.next_day += 1;
        }
        let sec = self.slots[self.slot_pos];
        self.slot_pos += 1;
        self.emitted += 1;
        Some(self.build(sec))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.total - self.emitted).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Generator {}

impl std::iter::FusedIterator for Generator {}

#[cfg(test)]
mod tests;
