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

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{Datelike, Months, NaiveDate, NaiveTime, TimeDelta, Weekday};
use pmhc_core::{
    AgeBand, Area, CallSource, Disposition, Encounter, Gender, HousingStatus, Officer, RaceEthnicity, Referral,
    ReferralResult, ResponseModel, UseOfForce,
};

use crate::rates::*;
use crate::rng::{Draw, MainRng, SplitMix, cumulative, mix64};

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

struct Window {
    start: NaiveDate,
    days: u32,
    launch: i64,
    citywide: i64,
    casemgmt: i64,
    mobile: i64,
    line988: i64,
    ramp_days: f64,
    cert_window: u32,
    programme: Programme,
}

impl Window {
    fn new(config: &DemoConfig) -> Window {
        let min_start = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
        let max_start = NaiveDate::from_ymd_opt(2099, 1, 1).expect("valid date");
        let max_end = NaiveDate::from_ymd_opt(2100, 1, 1).expect("valid date");
        let start = config.start.clamp(min_start, max_start);
        let months = config.years.max(1).saturating_mul(12);
        let end = start
            .checked_add_months(Months::new(months))
            .unwrap_or(max_end)
            .min(max_end);
        let days = u32::try_from((end - start).num_days()).unwrap_or(1).max(1);
        let add = |m: u32| start.checked_add_months(Months::new(m)).unwrap_or(max_end);
        let launch_m = months * 3 / 8;
        let launch_d = add(launch_m);
        let citywide_d = add(launch_m + months / 6);
        let casemgmt_d = add(launch_m + months / 12);
        let mobile_d = add(launch_m + months * 5 / 24);
        let (y, m, d) = LINE_988_LAUNCH;
        let line988_d = NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
        let idx = |d: NaiveDate| (d - start).num_days();
        Window {
            start,
            days,
            launch: idx(launch_d),
            citywide: idx(citywide_d),
            casemgmt: idx(casemgmt_d),
            mobile: idx(mobile_d),
            line988: idx(line988_d),
            ramp_days: (f64::from(days) / 4.0).max(1.0),
            cert_window: (days * 5 / 12).max(1),
            programme: Programme {
                start,
                end,
                co_responder_launch: launch_d,
                co_responder_citywide: citywide_d,
                case_management_launch: casemgmt_d,
                mobile_crisis_launch: mobile_d,
                line_988_launch: line988_d,
            },
        }
    }

    /// How far the programme has ramped up on `day` (0 before the launch, 1 at full strength).
    fn progress(&self, day: i64) -> f64 {
        if day < self.launch {
            0.0
        } else {
            ((day - self.launch) as f64 / self.ramp_days).min(1.0)
        }
    }

    /// Expected relative volume of `date`.
    fn day_weight(&self, date: NaiveDate) -> f64 {
        let month = MONTH_FACTORS[date.month0() as usize];
        let dow = match date.weekday() {
            Weekday::Sat | Weekday::Sun => WEEKEND_FACTOR,
            _ => 1.0,
        };
        let years = (date - self.start).num_days() as f64 / 365.25;
        month * dow * (1.0 + ANNUAL_GROWTH).powf(years)
    }
}

/// Precomputed cumulative tables.
struct Tables {
    call: [f64; 10],
    priority: [[f64; 4]; 10],
    disposition: [[[f64; 11]; 10]; MODELS],
    force_norm: [[f64; 10]; MODELS],
    hour: [f64; 24],
    tier: [f64; 6],
    gender: [[f64; 4]; 2],
    age: [f64; 8],
    race: [f64; 10],
    beat: Vec<f64>,
    beat_unhoused: Vec<f64>,
    officer_count: [[f64; 3]; MODELS],
    referral_count: [f64; 3],
}

impl Tables {
    fn new() -> Tables {
        let mut call = [0.0; 10];
        let mut priority = [[0.0; 4]; 10];
        for (i, ct) in CALL_TYPES.iter().enumerate() {
            call[i] = ct.weight;
            priority[i] = cumulative(ct.priority);
        }
        let mut disposition = [[[0.0; 11]; 10]; MODELS];
        let mut force_norm = [[1.0; 10]; MODELS];
        for m in 0..MODELS {
            for (c, ct) in CALL_TYPES.iter().enumerate() {
                let mult = [
                    1.0,
                    ct.referral,
                    1.0,
                    ct.transport,
                    ct.hold,
                    ct.arrest,
                    ct.arrest,
                    ct.citation,
                    1.0,
                    ct.utl,
                    1.0,
                ];
                let mut w = [0.0; 11];
                for d in 0..11 {
                    w[d] = DISPOSITION_BASE[m][d] * mult[d];
                }
                let total: f64 = w.iter().sum();
                let expected_force: f64 = (0..11).map(|d| w[d] / total * FORCE_BY_DISPOSITION[d]).sum::<f64>()
                    * (1.0 + ct.weapon * (FORCE_WEAPON_FACTOR - 1.0));
                force_norm[m][c] = if expected_force > 0.0 {
                    1.0 / expected_force
                } else {
                    1.0
                };
                disposition[m][c] = cumulative(w);
            }
        }
        let tier = cumulative(PERSON_TIERS.map(|t| t.0));
        let gender = [
            cumulative(GENDER.map(|g| g.1)),
            cumulative(GENDER.map(|g| match g.0 {
                Gender::Male => MALE_FREQUENT,
                Gender::Female => 1.0 - MALE_FREQUENT - 0.015,
                _ => g.1,
            })),
        ];
        let mut beat = Vec::with_capacity(45);
        let mut beat_unhoused = Vec::with_capacity(45);
        let pattern_total: f64 = BEAT_PATTERN.iter().sum();
        let (mut acc, mut acc_u) = (0.0, 0.0);
        for (p, prec) in PRECINCTS.iter().enumerate() {
            for w in BEAT_PATTERN {
                let x = prec.2 * w / pattern_total;
                acc += x;
                acc_u += if p == P_EAST { 2.0 * x } else { x };
                beat.push(acc);
                beat_unhoused.push(acc_u);
            }
        }
        Tables {
            call: cumulative(call),
            priority,
            disposition,
            force_norm,
            hour: cumulative(HOUR_WEIGHTS),
            tier,
            gender,
            age: cumulative(AGE.map(|a| a.1)),
            race: cumulative(RACE_WEIGHTS.map(|r| r.1)),
            beat,
            beat_unhoused,
            officer_count: OFFICER_COUNT.map(cumulative),
            referral_count: cumulative(REFERRAL_COUNT),
        }
    }
}

struct Beat {
    precinct: usize,
    precinct_name: &'static str,
    sector: &'static str,
    code: String,
    /// lat min, lat max, lon min, lon max
    bbox: [f64; 4],
}

fn beats() -> Vec<Beat> {
    let mut out = Vec::with_capacity(45);
    for (p, (name, sectors, _, b)) in PRECINCTS.iter().enumerate() {
        for (s, sector) in sectors.iter().enumerate() {
            for row in 0..3 {
                let (lat0, lat1) = (
                    b[0] + (b[1] - b[0]) * row as f64 / 3.0,
                    b[0] + (b[1] - b[0]) * (row + 1) as f64 / 3.0,
                );
                let (lon0, lon1) = (
                    b[2] + (b[3] - b[2]) * s as f64 / 3.0,
                    b[2] + (b[3] - b[2]) * (s + 1) as f64 / 3.0,
                );
                out.push(Beat {
                    precinct: p,
                    precinct_name: name,
                    sector,
                    code: format!("{sector}{}", row + 1),
                    bbox: [lat0, lat1, lon0, lon1],
                });
            }
        }
    }
    out
}

struct RosterOfficer {
    id: String,
    base_years: u16,
    /// Day index from which the officer is CIT-certified (`i64::MIN`: before the window; `i64::MAX`: never).
    cert_day: i64,
}

struct Roster {
    /// Per precinct, sorted by certification day (so the certified officers on a day are a prefix).
    precincts: Vec<Vec<RosterOfficer>>,
    /// The co-responder unit (all certified).
    unit: Vec<RosterOfficer>,
}

impl Roster {
    fn new(salt: u64, window: &Window) -> Roster {
        let mut r = SplitMix(salt);
        let offset = r.below(9000);
        let mut n = 0u32;
        let mut officer = |r: &mut SplitMix, cert_day: Option<i64>| {
            // 7919 is prime and does not divide 9000, so i -> i * 7919 mod 9000 is a bijection:
            // badge numbers are unique 4-digit strings.
            let badge = 1000 + (u64::from(n) * 7919 + u64::from(offset)) % 9000;
            n += 1;
            let base_years = r.exponential(OFFICER_EXPERIENCE_MEAN_YEARS).min(35.0) as u16;
            let cert_day = cert_day.unwrap_or_else(|| {
                let u = r.f();
                if u < CIT_CERTIFIED_AT_START {
                    i64::MIN
                } else if u < CIT_CERTIFIED_AT_START + CIT_CERTIFIED_AFTER_LAUNCH {
                    window.launch + i64::from(r.below(window.cert_window))
                } else {
                    i64::MAX
                }
            });
            RosterOfficer {
                id: badge.to_string(),
                base_years,
                cert_day,
            }
        };
        let mut precincts = Vec::with_capacity(PRECINCTS.len());
        for _ in 0..PRECINCTS.len() {
            let mut v: Vec<RosterOfficer> = (0..OFFICERS_PER_PRECINCT).map(|_| officer(&mut r, None)).collect();
            v.sort_by_key(|o| o.cert_day);
            precincts.push(v);
        }
        let unit = (0..CORESPONDER_UNIT)
            .map(|_| {
                let mut o = officer(&mut r, Some(i64::MIN));
                o.base_years = o.base_years.max(5);
                o
            })
            .collect();
        Roster { precincts, unit }
    }
}

/// A person's stable attributes, recomputed from (seed, index).
struct Person {
    planned: u32,
    /// 0: occasional (< 5 planned), 1: frequent (5–9), 2: high utiliser (10+).
    class: usize,
    gender: Gender,
    age: AgeBand,
    race: RaceEthnicity,
    housing: HousingStatus,
    veteran: Option<bool>,
    sud: bool,
    home_beat: usize,
    home: (f64, f64),
}

/// Which officer pool an officer came from: a precinct or the co-responder unit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pool {
    Precinct(usize),
    Unit,
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

    /// Number of encounters of day `d` (exact total by cumulative rounding).
    fn day_count(&self, d: u32) -> u64 {
        self.cum_target(d + 1) - self.cum_target(d)
    }

    fn cum_target(&self, d: u32) -> u64 {
        if d == 0 {
            return 0;
        }
        if d >= self.window.days {
            return self.total;
        }
        let total_w = self.day_cum.last().copied().unwrap_or(1.0);
        let x = (self.total as f64 * self.day_cum[d as usize - 1] / total_w + 0.5).floor();
        (x as u64).min(self.total)
    }

    /// Simulate up to a year before the window (without emitting) so that the queue of returning
    /// people is in its steady state when the window opens.
    fn burn_in(&mut self) {
        let b = self.window.days.min(BURN_IN_DAYS);
        for d in 0..b {
            let k = self.day_count(d);
            let day = i64::from(d) - i64::from(b);
            self.returns.open(day);
            let day_start = day * 86_400;
            for i in 0..k {
                let t = day_start + ((2 * i + 1) * 86_400 / (2 * k)) as i64;
                let (idx, nth) = self.take_person(t);
                let p = self.person(idx);
                self.schedule(idx, nth, &p, t, false);
            }
        }
    }

    fn take_person(&mut self, t: i64) -> (u64, u32) {
        if let Some((idx, nth)) = self.returns.pop_due(t) {
            return (idx, nth);
        }
        let idx = self.next_person;
        self.next_person += 1;
        (idx, 0)
    }

    fn schedule(&mut self, idx: u64, nth: u32, p: &Person, t: i64, stop: bool) {
        if stop || nth + 1 >= p.planned {
            return;
        }
        let (s_share, s_mean, m_share, m_mean, l_min, l_max) = GAP_MIX[p.class];
        let u = self.rng.f();
        let days = if u < s_share {
            self.rng.exponential(s_mean)
        } else if u < s_share + m_share {
            self.rng.exponential(m_mean)
        } else {
            l_min + self.rng.f() * (l_max - l_min)
        };
        let secs = (days * 86_400.0).max(MIN_GAP_HOURS * 3600.0) as i64;
        self.returns.push((t + secs, idx, nth + 1));
    }

    fn person(&self, idx: u64) -> Person {
        let mut r = SplitMix(mix64(idx ^ self.salt[0]));
        let t = &self.tables;
        let (_, lo, hi) = PERSON_TIERS[r.pick(&t.tier)];
        let planned = r.range(lo, hi);
        let class = match planned {
            0..=4 => 0,
            5..=9 => 1,
            _ => 2,
        };
        let frequent = class > 0;
        let gender = GENDER[r.pick(&t.gender[usize::from(frequent)])].0;
        let age = AGE[r.pick(&t.age)].0;
        let race = RACE_WEIGHTS[r.pick(&t.race)].0;
        let u = r.f();
        let unhoused = if frequent { UNHOUSED_FREQUENT } else { UNHOUSED };
        let housing = if u < unhoused {
            HousingStatus::Unhoused
        } else if u < unhoused + UNSTABLE {
            HousingStatus::Unstable
        } else if u < unhoused + UNSTABLE + HOUSING_UNKNOWN {
            HousingStatus::Unknown
        } else {
            HousingStatus::Housed
        };
        let u = r.f();
        let veteran = if u < VETERAN_YES {
            Some(true)
        } else if u < VETERAN_YES + VETERAN_UNKNOWN {
            None
        } else {
            Some(false)
        };
        let sud = r.chance(SUD_PEOPLE);
        let home_beat = if housing == HousingStatus::Unhoused {
            r.pick(&t.beat_unhoused)
        } else {
            r.pick(&t.beat)
        };
        let home = point_in(&mut r, &self.beats[home_beat].bbox);
        Person {
            planned,
            class,
            gender,
            age,
            race,
            housing,
            veteran,
            sud,
            home_beat,
            home,
        }
    }

    /// `p-` and 24 hex digits: 64 bits from a bijection of the person index (so keys never
    /// collide) and 32 more from an independent hash.
    fn subject_key(&self, idx: u64) -> String {
        let a = mix64(idx ^ self.salt[1]);
        let b = mix64(idx.wrapping_add(self.salt[2])) >> 32;
        let mut s = String::with_capacity(26);
        s.push_str("p-");
        push_hex(&mut s, a, 16);
        push_hex(&mut s, b, 8);
        s
    }

    fn fill_day(&mut self, d: u32) {
        let k = self.day_count(d);
        self.slots.clear();
        for _ in 0..k {
            let h = self.rng.pick(&self.tables.hour) as u32;
            let s = h * 3600 + self.rng.below(3600);
            self.slots.push(s);
        }
        self.slots.sort_unstable();
        self.slot_pos = 0;
        self.returns.open(i64::from(d));
        self.cur_day = d;
        self.cur_date = self.window.start + TimeDelta::days(i64::from(d));
    }

    fn call_number(&mut self, year: i32) -> String {
        if year != self.seq_year {
            self.seq_year = year;
            self.seq = 0;
        }
        self.seq += 1;
        let mut s = String::with_capacity(16);
        s.push_str("DC");
        push_decimal(&mut s, u64::try_from(year).unwrap_or(0), 4);
        push_decimal(&mut s, self.seq, 7);
        s
    }

    fn build(&mut self, sec: u32) -> Encounter {
        let day = i64::from(self.cur_day);
        let t = day * 86_400 + i64::from(sec);
        let (idx, nth) = self.take_person(t);
        let person = self.person(idx);
        let date = self.cur_date;
        let call_number = self.call_number(date.year());
        let hour = sec / 3600;
        let reported = date.and_time(NaiveTime::MIN) + TimeDelta::seconds(i64::from(sec));
        let w = &self.window;
        let progress = w.progress(day);
        let tables = &self.tables;
        let rng = &mut self.rng;

        // The call.
        let ct_i = rng.pick(&tables.call);
        let ct = &CALL_TYPES[ct_i];
        let call_source = {
            let u = rng.f();
            let line988 = if day >= w.line988 { CALL_SOURCE_988 } else { 0.0 };
            let [p911, pnon, poff, _] = CALL_SOURCE_WEIGHTS;
            if u < line988 {
                CallSource::Transfer988
            } else if u < p911 {
                CallSource::Emergency911
            } else if u < p911 + pnon {
                CallSource::NonEmergency
            } else if u < p911 + pnon + poff {
                CallSource::OfficerInitiated
            } else {
                CallSource::Other
            }
        };
        let on_view = call_source == CallSource::OfficerInitiated;
        let prio = rng.pick(&tables.priority[ct_i]);

        // Where.
        let (beat_i, (lat, lon)) = if rng.chance(HOME_BEAT_SHARE) {
            let b = person.home_beat;
            if rng.chance(HOME_POINT_SHARE) {
                let j = HOME_POINT_JITTER_DEG;
                (
                    b,
                    (
                        person.home.0 + (rng.f() * 2.0 - 1.0) * j,
                        person.home.1 + (rng.f() * 2.0 - 1.0) * j,
                    ),
                )
            } else {
                (b, point_in(rng, &self.beats[b].bbox))
            }
        } else {
            let b = rng.pick(&tables.beat);
            (b, point_in(rng, &self.beats[b].bbox))
        };
        let beat = &self.beats[beat_i];
        let precinct = beat.precinct;

        // Who responds.
        let restricted = MOBILE_EXCLUDED.contains(&ct_i);
        let model = if person.class == 2 && day >= w.casemgmt && rng.chance(CASEMGMT_SHARE * progress) {
            ResponseModel::CaseManagement
        } else if day >= w.mobile
            && !on_view
            && !restricted
            && rng.chance(if call_source == CallSource::Transfer988 {
                MOBILE_SHARE_988
            } else {
                MOBILE_SHARE
            })
        {
            ResponseModel::MobileCrisis
        } else if day >= w.launch
            && !on_view
            && (PILOT_PRECINCTS.contains(&precinct) || day >= w.citywide)
            && (CORESP_HOURS.0..CORESP_HOURS.1).contains(&hour)
            && rng.chance(CORESP_SHARE * progress)
        {
            ResponseModel::CoResponder
        } else if rng.chance(CIT_SHARE_BEFORE + (CIT_SHARE_AFTER - CIT_SHARE_BEFORE) * progress)
            && certified_count(&self.roster.precincts[precinct], day) > 0
        {
            ResponseModel::Cit
        } else {
            let u = rng.f();
            if u < 0.005 {
                ResponseModel::Other
            } else if u < 0.015 {
                ResponseModel::Unknown
            } else {
                ResponseModel::StandardPatrol
            }
        };
        let m = match model {
            ResponseModel::Cit => M_CIT,
            ResponseModel::CoResponder => M_CORESP,
            ResponseModel::MobileCrisis => M_MOBILE,
            ResponseModel::CaseManagement => M_CASEMGMT,
            _ => M_STANDARD,
        };

        // What the call turned out to be.
        let final_i = if ct.clear {
            let u = rng.f();
            if u < FINAL_SAME_CLEAR {
                ct_i
            } else if u < FINAL_SAME_CLEAR + FINAL_OTHER_CLEAR {
                rng.below(5) as usize
            } else {
                5 + rng.below(5) as usize
            }
        } else if rng.chance(FINAL_GENERAL_TO_CRISIS) {
            CRISIS
        } else {
            ct_i
        };
        let recognised = if on_view {
            None
        } else {
            Some(rng.chance(if ct.clear { RECOGNISED_CLEAR } else { RECOGNISED_GENERAL }))
        };
        let mh_flag = CALL_TYPES[final_i].clear || !rng.chance(MH_FLAG_FALSE_GENERAL_FINAL);

        // Outcome.
        let d_i = rng.pick(&tables.disposition[m][ct_i]);
        let disposition = DISPOSITIONS[d_i];
        let located = d_i != D_UTL;
        let weapon = located && rng.chance(ct.weapon);
        let force_scale =
            FORCE_BY_DISPOSITION[d_i] * if weapon { FORCE_WEAPON_FACTOR } else { 1.0 } * tables.force_norm[m][ct_i];
        let force = {
            let u = rng.f();
            let levels = [
                UseOfForce::RestraintOnly,
                UseOfForce::Level1,
                UseOfForce::Level2,
                UseOfForce::Level3,
            ];
            let mut acc = 0.0;
            let mut level = UseOfForce::None;
            for (i, l) in levels.into_iter().enumerate() {
                acc += FORCE_BASE[m][i] * force_scale;
                if u < acc {
                    level = l;
                    break;
                }
            }
            level
        };
        let force_i = match force {
            UseOfForce::RestraintOnly => 1,
            UseOfForce::Level1 => 2,
            UseOfForce::Level2 => 3,
            UseOfForce::Level3 => 4,
            _ => 0,
        };
        let mut force_types: Vec<String> = Vec::new();
        if force_i > 0 {
            let mut ft = [usize::MAX; 2];
            match force {
                UseOfForce::RestraintOnly => ft[0] = FT_HANDCUFFING,
                UseOfForce::Level1 => {
                    ft[0] = FORCE_TYPES_L1[rng.below(3) as usize];
                    if rng.chance(0.3) {
                        ft[1] = FORCE_TYPES_L1[rng.below(3) as usize];
                    }
                }
                UseOfForce::Level2 => {
                    ft[0] = FORCE_TYPES_L2[rng.below(4) as usize];
                    if rng.chance(0.5) {
                        ft[1] = FORCE_TYPES_L1[rng.below(3) as usize];
                    }
                }
                _ => {
                    ft[0] = FORCE_TYPES_L3[rng.below(2) as usize];
                    if rng.chance(0.5) {
                        ft[1] = FORCE_TYPES_L2[rng.below(4) as usize];
                    }
                }
            }
            ft.sort_unstable();
            force_types.reserve(2);
            let mut last = usize::MAX;
            for f in ft {
                if f != usize::MAX && f != last {
                    force_types.push(FORCE_TYPES[f].to_string());
                    last = f;
                }
            }
        }
        let subject_injured = located && rng.chance(SUBJECT_INJURY[force_i]);
        let officer_injured = rng.chance(OFFICER_INJURY[force_i]);

        // Officers.
        let mut count = rng.pick(&tables.officer_count[m]) + 1;
        if (matches!(d_i, D_ARREST | D_HOLD) || force_i >= 2) && count < 3 && rng.chance(0.5) {
            count += 1;
        }
        let pool = &self.roster.precincts[precinct];
        let certified = certified_count(pool, day);
        let mut chosen = Chosen {
            slots: [(Pool::Unit, usize::MAX); 3],
            n: 0,
        };
        let local = Pool::Precinct(precinct);
        match model {
            ResponseModel::CoResponder => {
                chosen.fill(rng, Pool::Unit, 0, self.roster.unit.len(), 1);
                chosen.fill(rng, local, 0, pool.len(), count);
            }
            ResponseModel::Cit => {
                chosen.fill(rng, local, 0, certified, 1);
                chosen.fill(rng, local, 0, pool.len(), count);
            }
            ResponseModel::StandardPatrol | ResponseModel::Other | ResponseModel::Unknown => {
                // Standard patrol means no CIT officer reached the call.
                let lo = if certified < pool.len() { certified } else { 0 };
                chosen.fill(rng, local, lo, pool.len(), count);
            }
            _ => chosen.fill(rng, local, 0, pool.len(), count),
        }
        let n = chosen.n;
        let chosen = chosen.slots;
        let years_elapsed = u16::try_from(day.max(0) / 365).unwrap_or(u16::MAX);
        let mut officers: Vec<Officer> = Vec::with_capacity(n);
        let mut cit_arrived = false;
        for &(p, i) in &chosen[..n] {
            let o = match p {
                Pool::Unit => &self.roster.unit[i],
                Pool::Precinct(q) => &self.roster.precincts[q][i],
            };
            let cert = o.cert_day <= day;
            cit_arrived |= cert;
            officers.push(Officer {
                id: Some(o.id.clone()),
                years_experience: Some(o.base_years.saturating_add(years_elapsed)),
                cit_certified: Some(cert),
            });
        }
        officers.sort_by(|a, b| a.id.cmp(&b.id));
        let (cit_requested, cit_dispatched) = if cit_arrived {
            (true, true)
        } else {
            let unmet = match m {
                M_STANDARD => {
                    CIT_REQUESTED_UNMET_BEFORE + (CIT_REQUESTED_UNMET_AFTER - CIT_REQUESTED_UNMET_BEFORE) * progress
                }
                _ => 0.05,
            };
            let requested = rng.chance(unmet);
            (requested, requested && rng.chance(0.5))
        };
        let clinician = match model {
            ResponseModel::CoResponder | ResponseModel::MobileCrisis => true,
            ResponseModel::CaseManagement => rng.chance(0.5),
            _ => false,
        };

        // Times.
        let (dispatched, arrived) = if on_view {
            (reported, reported)
        } else {
            let q = rng
                .lognormal(DISPATCH_MEDIAN_MIN[prio] * 60.0, DISPATCH_SIGMA)
                .max(15.0);
            let travel_median = if model == ResponseModel::MobileCrisis {
                TRAVEL_MOBILE_MEDIAN_MIN
            } else {
                TRAVEL_MEDIAN_MIN
            };
            let tr = rng.lognormal(travel_median * 60.0, TRAVEL_SIGMA).max(60.0);
            let dsp = reported + TimeDelta::seconds(q as i64);
            (dsp, dsp + TimeDelta::seconds(tr as i64))
        };
        let scene_factor = match model {
            ResponseModel::CoResponder => 1.2,
            ResponseModel::MobileCrisis => 1.3,
            _ => 1.0,
        };
        let on_scene = rng
            .lognormal(ON_SCENE_MEDIAN_MIN[d_i] * scene_factor * 60.0, ON_SCENE_SIGMA)
            .clamp(180.0, 720.0 * 60.0) as i64;
        let cleared = arrived + TimeDelta::seconds(on_scene);
        let updated = cleared + TimeDelta::seconds(3600 + i64::from(rng.below(71 * 3600)));

        // People details.
        let substance = rng.chance(if person.sud {
            SUD_ENCOUNTER_WITH
        } else {
            SUD_ENCOUNTER_WITHOUT
        });
        let mut b = [usize::MAX; 3];
        b[0] = ct.behaviours[rng.below(ct.behaviours.len() as u32) as usize];
        if substance && rng.chance(BEHAVIOUR_INTOXICATED) {
            b[1] = B_INTOXICATED;
        }
        if rng.chance(BEHAVIOUR_EXTRA) {
            b[2] = rng.below(BEHAVIOURS.len() as u32) as usize;
        }
        b.sort_unstable();
        let mut behaviours = Vec::with_capacity(3);
        let mut last = usize::MAX;
        for x in b {
            if x != usize::MAX && x != last {
                behaviours.push(BEHAVIOURS[x].to_string());
                last = x;
            }
        }

        // Referrals.
        let warm = matches!(
            model,
            ResponseModel::CoResponder | ResponseModel::MobileCrisis | ResponseModel::CaseManagement
        );
        let referrals = referrals(rng, tables, d_i, &person, substance, warm, hour);
        let connected = referrals.iter().any(|r| r.result == ReferralResult::Connected);

        // Assemble.
        let mut e = Encounter::new(self.source_system.clone(), call_number.clone(), date);
        e.source_updated_at = Some(updated);
        e.agency = Some(AGENCY.to_string());
        e.call_number = Some(call_number);
        e.occurred_time = Some(reported.time());
        e.date_precision = pmhc_core::DatePrecision::Minute;
        e.reported_at = Some(reported);
        e.dispatched_at = Some(dispatched);
        e.arrived_at = Some(arrived);
        e.cleared_at = Some(cleared);
        e.area = Area {
            precinct: Some(beat.precinct_name.to_string()),
            sector: Some(beat.sector.to_string()),
            beat: Some(beat.code.clone()),
            latitude: Some(round6(lat)),
            longitude: Some(round6(lon)),
        };
        e.call_source = call_source;
        e.priority = Some(PRIORITIES[prio].to_string());
        e.initial_call_type = Some(ct.name.to_string());
        e.final_call_type = Some(CALL_TYPES[final_i].name.to_string());
        e.mh_recognised_at_dispatch = recognised;
        e.mental_health_flag = Some(mh_flag);
        e.response_model = model;
        e.cit_requested = Some(cit_requested);
        e.cit_dispatched = Some(cit_dispatched);
        e.cit_arrived = Some(cit_arrived);
        e.clinician_on_scene = Some(clinician);
        e.officers = officers;
        e.time_on_scene_minutes = Some((on_scene / 60) as u32);
        e.disposition = disposition;
        e.arrested = Some(disposition == Disposition::Arrest);
        e.cited = Some(disposition == Disposition::Citation);
        e.involuntary_hold = Some(disposition == Disposition::InvoluntaryHold);
        e.referrals = referrals;
        e.use_of_force = force;
        e.force_types = force_types;
        e.subject_injured = Some(subject_injured);
        e.officer_injured = Some(officer_injured);
        e.weapon_involved = Some(weapon);
        e.behaviours = behaviours;
        e.substance_use = Some(substance);
        if located {
            e.veteran = person.veteran;
            e.housing_status = person.housing;
            e.subject_key = Some(self.subject_key(idx));
            e.age_band = person.age;
            e.gender = person.gender;
            e.race_ethnicity = person.race;
        }

        let stop =
            (connected || model == ResponseModel::CaseManagement) && self.rng.chance(REPEAT_STOP_AFTER_CONNECTION);
        self.schedule(idx, nth, &person, t, stop);
        e
    }
}

const BURN_IN_DAYS: u32 = 365;

/// A pending return: (due second relative to the window start, person index, encounter number).
type Pending = (i64, u64, u32);

/// The queue of pending returns: a bucket per day (a calendar queue), and a small heap holding the
/// returns of the open day and any still waiting from earlier days. Popping in (due, person) order
/// from the small heap is much cheaper than one heap of every pending return over the years, and
/// returns due after the window are dropped at once.
struct Returns {
    /// Day index of `buckets[0]` (negative: the burn-in).
    first_day: i64,
    buckets: Vec<Vec<Pending>>,
    /// Days up to this one have been moved into `ready`.
    open_day: i64,
    ready: BinaryHeap<Reverse<Pending>>,
}

impl Returns {
    fn new(burn_in_days: i64, days: u32) -> Returns {
        let n = usize::try_from(burn_in_days + i64::from(days)).unwrap_or(0);
        Returns {
            first_day: -burn_in_days,
            buckets: vec![Vec::new(); n],
            open_day: -burn_in_days - 1,
            ready: BinaryHeap::new(),
        }
    }

    fn push(&mut self, p: Pending) {
        let day = p.0.div_euclid(86_400);
        if day <= self.open_day {
            self.ready.push(Reverse(p));
        } else if let Some(b) = usize::try_from(day - self.first_day)
            .ok()
            .and_then(|i| self.buckets.get_mut(i))
        {
            b.push(p);
        }
    }

    /// Move the returns due on days up to `day` into the ready heap.
    fn open(&mut self, day: i64) {
        while self.open_day < day {
            self.open_day += 1;
            if let Some(b) = usize::try_from(self.open_day - self.first_day)
                .ok()
                .and_then(|i| self.buckets.get_mut(i))
            {
                let items = std::mem::take(b);
                self.ready.extend(items.into_iter().map(Reverse));
            }
        }
    }

    /// The earliest return due at or before `t`, if any.
    fn pop_due(&mut self, t: i64) -> Option<(u64, u32)> {
        match self.ready.peek() {
            Some(&Reverse((due, idx, nth))) if due <= t => {
                self.ready.pop();
                Some((idx, nth))
            }
            _ => None,
        }
    }
}

const PRIORITIES: [&str; 4] = ["1", "2", "3", "4"];

/// Up to three distinct officers.
struct Chosen {
    slots: [(Pool, usize); 3],
    n: usize,
}

impl Chosen {
    /// Add distinct officers drawn from `pool[lo..hi]` until there are `count` (or the pool runs dry).
    fn fill(&mut self, rng: &mut MainRng, pool: Pool, lo: usize, hi: usize, count: usize) {
        let count = count.min(self.slots.len());
        let mut misses = 0;
        while self.n < count && hi > lo && misses < 8 {
            let i = lo + rng.below(u32::try_from(hi - lo).unwrap_or(u32::MAX)) as usize;
            if self.slots[..self.n].contains(&(pool, i)) {
                misses += 1;
            } else {
                self.slots[self.n] = (pool, i);
                self.n += 1;
            }
        }
    }
}

fn certified_count(pool: &[RosterOfficer], day: i64) -> usize {
    pool.partition_point(|o| o.cert_day <= day)
}

fn point_in<R: Draw>(r: &mut R, b: &[f64; 4]) -> (f64, f64) {
    (b[0] + r.f() * (b[1] - b[0]), b[2] + r.f() * (b[3] - b[2]))
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn referrals(
    rng: &mut MainRng,
    tables: &Tables,
    d_i: usize,
    person: &Person,
    substance: bool,
    warm: bool,
    hour: u32,
) -> Vec<Referral> {
    let mut services = [usize::MAX; 3];
    let mut n = 0;
    let mut fixed_result: Option<ReferralResult> = None;
    match d_i {
        D_REFERRAL | D_DECLINED => {
            let mut w = REFERRAL_SERVICE_WEIGHTS;
            if substance {
                w[S_SUD] *= 4.0;
                w[S_DETOX] *= 3.0;
            }
            if matches!(person.housing, HousingStatus::Unhoused | HousingStatus::Unstable) {
                w[S_HOUSING] *= 4.0;
            }
            if person.veteran == Some(true) {
                w[S_VA] = w[S_OUTPATIENT] / 2.0;
                w[S_OUTPATIENT] /= 2.0;
            }
            let count = if d_i == D_DECLINED {
                fixed_result = Some(ReferralResult::Declined);
                1
            } else {
                rng.pick(&tables.referral_count) + 1
            };
            let cum = cumulative(w);
            while n < count {
                let mut tries = 0;
                loop {
                    let s = rng.pick(&cum);
                    if !services[..n].contains(&s) {
                        services[n] = s;
                        n += 1;
                        break;
                    }
                    tries += 1;
                    if tries > 8 {
                        break;
                    }
                }
                if tries > 8 {
                    break;
                }
            }
        }
        D_DIVERTED => {
            let cum = [0.40, 0.70, 0.85, 1.0];
            services[0] = [S_CRISIS, S_SUD, S_DETOX, S_OUTPATIENT][rng.pick(&cum)];
            n = 1;
        }
        D_TRANSPORT if rng.chance(REFERRAL_ON_TRANSPORT) => {
            services[0] = if rng.chance(0.45) { S_CRISIS } else { S_ED };
            n = 1;
            let u = rng.f();
            fixed_result = Some(if u < 0.60 {
                ReferralResult::Connected
            } else if u < 0.95 {
                ReferralResult::Accepted
            } else {
                ReferralResult::TurnedAwayNoCapacity
            });
        }
        D_HOLD if rng.chance(REFERRAL_ON_HOLD) => {
            services[0] = S_ED;
            n = 1;
            fixed_result = Some(if rng.chance(0.7) {
                ReferralResult::Connected
            } else {
                ReferralResult::Accepted
            });
        }
        D_RESOLVED if rng.chance(REFERRAL_ON_RESOLVED) => {
            let cum = [3.0, 6.0, 8.0, 10.0];
            services[0] = [S_WARM, S_988, S_OUTPATIENT, S_PEER][rng.pick(&cum)];
            n = 1;
        }
        _ => {}
    }
    let mut out = Vec::with_capacity(n);
    for &s in &services[..n] {
        let (name, service_type) = SERVICES[s];
        let result = fixed_result.unwrap_or_else(|| {
            let mut w = REFERRAL_RESULTS;
            if warm {
                w[0] -= WARM_HANDOFF_SHIFT;
                w[2] += WARM_HANDOFF_SHIFT;
            }
            if matches!(s, S_OUTPATIENT | S_VA | S_PEER | S_CASEMGMT) && !(8..18).contains(&hour) {
                w[6] *= CLOSED_OUT_OF_HOURS_FACTOR;
            }
            [
                ReferralResult::Made,
                ReferralResult::Accepted,
                ReferralResult::Connected,
                ReferralResult::Declined,
                ReferralResult::TurnedAwayNoCapacity,
                ReferralResult::TurnedAwayNotEligible,
                ReferralResult::TurnedAwayClosed,
            ][rng.pick(&cumulative(w))]
        });
        out.push(Referral {
            service_type,
            service: Some(name.to_string()),
            result,
        });
    }
    out
}

fn push_hex(s: &mut String, v: u64, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..digits).rev() {
        s.push(char::from(HEX[((v >> (i * 4)) & 0xf) as usize]));
    }
}

/// Decimal, zero-padded to at least `width` digits.
fn push_decimal(s: &mut String, mut v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width.min(buf.len()));
    for &c in &buf[start..] {
        s.push(char::from(c));
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
