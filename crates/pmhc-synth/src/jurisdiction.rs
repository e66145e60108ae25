//! Demo City's places and officers: the beats with their bounding boxes, the roster with each
//! officer's CIT certification, and the choice of the officers who attend.

use crate::rates::*;
use crate::rng::{Draw, MainRng, SplitMix};
use crate::window::Window;

pub(crate) struct Beat {
    pub(crate) precinct: usize,
    pub(crate) precinct_name: &'static str,
    pub(crate) sector: &'static str,
    pub(crate) code: String,
    /// lat min, lat max, lon min, lon max
    pub(crate) bbox: [f64; 4],
}

pub(crate) fn beats() -> Vec<Beat> {
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

pub(crate) struct RosterOfficer {
    pub(crate) id: String,
    pub(crate) base_years: u16,
    /// Day index from which the officer is CIT-certified (`i64::MIN`: before the window; `i64::MAX`: never).
    pub(crate) cert_day: i64,
}

pub(crate) struct Roster {
    /// Per precinct, sorted by certification day (so the certified officers on a day are a prefix).
    pub(crate) precincts: Vec<Vec<RosterOfficer>>,
    /// The co-responder unit (all certified).
    pub(crate) unit: Vec<RosterOfficer>,
}

impl Roster {
    pub(crate) fn new(salt: u64, window: &Window) -> Roster {
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

/// Which officer pool an officer came from: a precinct or the co-responder unit.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pool {
    Precinct(usize),
    Unit,
}

/// Up to three distinct officers.
pub(crate) struct Chosen {
    pub(crate) slots: [(Pool, usize); 3],
    pub(crate) n: usize,
}

impl Chosen {
    /// Add distinct officers drawn from `pool[lo..hi]` until there are `count` (or the pool runs dry).
    pub(crate) fn fill(&mut self, rng: &mut MainRng, pool: Pool, lo: usize, hi: usize, count: usize) {
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

pub(crate) fn certified_count(pool: &[RosterOfficer], day: i64) -> usize {
    pool.partition_point(|o| o.cert_day <= day)
}

pub(crate) fn point_in<R: Draw>(r: &mut R, b: &[f64; 4]) -> (f64, f64) {
    (b[0] + r.f() * (b[1] - b[0]), b[2] + r.f() * (b[3] - b[2]))
}

pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
