//! What the generator derives from the configuration before it starts: the window (its days, the
//! programme's dates and ramp-up, each day's expected volume and time slots) and the rates as
//! cumulative tables.

use chrono::{Datelike, Months, NaiveDate, TimeDelta, Weekday};
use pmhc_core::Gender;

use crate::rates::*;
use crate::{DemoConfig, Generator, Programme};
use crate::rng::{Draw, cumulative};

pub(crate) struct Window {
    pub(crate) start: NaiveDate,
    pub(crate) days: u32,
    pub(crate) launch: i64,
    pub(crate) citywide: i64,
    pub(crate) casemgmt: i64,
    pub(crate) mobile: i64,
    pub(crate) line988: i64,
    ramp_days: f64,
    pub(crate) cert_window: u32,
    pub(crate) programme: Programme,
}

impl Window {
    pub(crate) fn new(config: &DemoConfig) -> Window {
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
    pub(crate) fn progress(&self, day: i64) -> f64 {
        if day < self.launch {
            0.0
        } else {
            ((day - self.launch) as f64 / self.ramp_days).min(1.0)
        }
    }

    /// Expected relative volume of `date`.
    pub(crate) fn day_weight(&self, date: NaiveDate) -> f64 {
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
pub(crate) struct Tables {
    pub(crate) call: [f64; 10],
    pub(crate) priority: [[f64; 4]; 10],
    pub(crate) disposition: [[[f64; 11]; 10]; MODELS],
    pub(crate) force_norm: [[f64; 10]; MODELS],
    hour: [f64; 24],
    pub(crate) tier: [f64; 6],
    pub(crate) gender: [[f64; 4]; 2],
    pub(crate) age: [f64; 8],
    pub(crate) race: [f64; 10],
    pub(crate) beat: Vec<f64>,
    pub(crate) beat_unhoused: Vec<f64>,
    pub(crate) officer_count: [[f64; 3]; MODELS],
    pub(crate) referral_count: [f64; 3],
}

impl Tables {
    pub(crate) fn new() -> Tables {
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

impl Generator {
    /// Number of encounters of day `d` (exact total by cumulative rounding).
    pub(crate) fn day_count(&self, d: u32) -> u64 {
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

    pub(crate) fn fill_day(&mut self, d: u32) {
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
}
