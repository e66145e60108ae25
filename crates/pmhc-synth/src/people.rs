//! The people: a person's stable attributes (recomputed from the seed and their index), their
//! subject key, and their repeat encounters (the queue of planned returns, the gaps, the burn-in).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use pmhc_core::{AgeBand, Gender, HousingStatus, RaceEthnicity};

use crate::rates::*;
use crate::Generator;
use crate::jurisdiction::point_in;
use crate::rng::{Draw, SplitMix, mix64};

/// A person's stable attributes, recomputed from (seed, index).
pub(crate) struct Person {
    planned: u32,
    /// 0: occasional (< 5 planned), 1: frequent (5–9), 2: high utiliser (10+).
    pub(crate) class: usize,
    pub(crate) gender: Gender,
    pub(crate) age: AgeBand,
    pub(crate) race: RaceEthnicity,
    pub(crate) housing: HousingStatus,
    pub(crate) veteran: Option<bool>,
    pub(crate) sud: bool,
    pub(crate) home_beat: usize,
    pub(crate) home: (f64, f64),
}

impl Generator {
    /// Simulate up to a year before the window (without emitting) so that the queue of returning
    /// people is in its steady state when the window opens.
    pub(crate) fn burn_in(&mut self) {
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

    pub(crate) fn take_person(&mut self, t: i64) -> (u64, u32) {
        if let Some((idx, nth)) = self.returns.pop_due(t) {
            return (idx, nth);
        }
        let idx = self.next_person;
        self.next_person += 1;
        (idx, 0)
    }

    pub(crate) fn schedule(&mut self, idx: u64, nth: u32, p: &Person, t: i64, stop: bool) {
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

    pub(crate) fn person(&self, idx: u64) -> Person {
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
    pub(crate) fn subject_key(&self, idx: u64) -> String {
        let a = mix64(idx ^ self.salt[1]);
        let b = mix64(idx.wrapping_add(self.salt[2])) >> 32;
        let mut s = String::with_capacity(26);
        s.push_str("p-");
        push_hex(&mut s, a, 16);
        push_hex(&mut s, b, 8);
        s
    }

}

pub(crate) const BURN_IN_DAYS: u32 = 365;

/// A pending return: (due second relative to the window start, person index, encounter number).
type Pending = (i64, u64, u32);

/// The queue of pending returns: a bucket per day (a calendar queue), and a small heap holding the
/// returns of the open day and any still waiting from earlier days. Popping in (due, person) order
/// from the small heap is much cheaper than one heap of every pending return over the years, and
/// returns due after the window are dropped at once.
pub(crate) struct Returns {
    /// Day index of `buckets[0]` (negative: the burn-in).
    first_day: i64,
    buckets: Vec<Vec<Pending>>,
    /// Days up to this one have been moved into `ready`.
    open_day: i64,
    ready: BinaryHeap<Reverse<Pending>>,
}

impl Returns {
    pub(crate) fn new(burn_in_days: i64, days: u32) -> Returns {
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
    pub(crate) fn open(&mut self, day: i64) {
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

fn push_hex(s: &mut String, v: u64, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..digits).rev() {
        s.push(char::from(HEX[((v >> (i * 4)) & 0xf) as usize]));
    }
}
