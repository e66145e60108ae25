//! The compact input of the outcome engine: one [`OutcomeRecord`] per encounter, holding only what
//! the outcomes read, with text values interned in [`Symbols`].

use chrono::NaiveDate;

use crate::codes::*;
use crate::encounter::{Encounter, Referral};

/// An interned string.
pub type Sym = u32;

/// Interned strings (area names, call types, agencies, person keys): one text arena and a hash
/// table of indexes into it, so a million person keys cost one allocation, not two million.
#[derive(Clone, Default)]
pub struct Symbols {
    arena: String,
    /// End offset in `arena` of each symbol (it starts where the previous one ends).
    ends: Vec<usize>,
    table: hashbrown::HashTable<Sym>,
    hasher: foldhash::fast::FixedState,
}

impl std::fmt::Debug for Symbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbols").field("len", &self.ends.len()).finish()
    }
}

fn slice<'a>(arena: &'a str, ends: &[usize], s: Sym) -> &'a str {
    let i = s as usize;
    let start = if i == 0 { 0 } else { ends.get(i - 1).copied().unwrap_or(0) };
    let end = ends.get(i).copied().unwrap_or(start);
    arena.get(start..end).unwrap_or("")
}

impl Symbols {
    /// Room for `n` symbols of about `bytes` bytes in all.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        Symbols {
            arena: String::with_capacity(bytes),
            ends: Vec::with_capacity(n),
            table: hashbrown::HashTable::with_capacity(n),
            hasher: foldhash::fast::FixedState::default(),
        }
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(s);
        let Symbols { arena, ends, table, hasher } = self;
        if let Some(&i) = table.find(hash, |&i| slice(arena, ends, i) == s) {
            return i;
        }
        let i = ends.len() as Sym;
        arena.push_str(s);
        ends.push(arena.len());
        table.insert_unique(hash, i, |&j| hasher.hash_one(slice(arena, ends, j)));
        i
    }

    /// The symbol of `s`, if it was ever interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(s);
        self.table.find(hash, |&i| slice(&self.arena, &self.ends, i) == s).copied()
    }

    pub fn name(&self, s: Sym) -> &str {
        slice(&self.arena, &self.ends, s)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// What the outcome engine reads of one encounter.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct OutcomeRecord {
    /// The partner the encounter belongs to.
    pub partner: crate::sharing::PartnerId,
    pub occurred_on: NaiveDate,
    pub date_precision: DatePrecision,
    pub agency: Option<Sym>,
    pub precinct: Option<Sym>,
    pub sector: Option<Sym>,
    pub beat: Option<Sym>,
    /// Call types, interned in upper case with surrounding spaces removed.
    pub initial_call_type: Option<Sym>,
    pub final_call_type: Option<Sym>,
    pub call_source: CallSource,
    pub mh_recognised_at_dispatch: Option<bool>,
    pub mental_health_flag: Option<bool>,
    pub response_model: ResponseModel,
    pub cit_requested: Option<bool>,
    pub cit_arrived: Option<bool>,
    /// A CIT-certified officer was on scene: CIT arrived, or an officer on the encounter is
    /// certified; `Some(false)` when neither and that is known.
    pub cit_present: Option<bool>,
    pub time_on_scene_minutes: Option<u32>,
    pub disposition: Disposition,
    pub arrested: Option<bool>,
    pub cited: Option<bool>,
    pub involuntary_hold: Option<bool>,
    /// Whether any referral is recorded.
    pub has_referral: bool,
    /// The referral results present (bit `r as usize` for each [`ReferralResult`]).
    pub referral_results: u16,
    /// The referral service types present (bit `s as usize` for each [`ServiceType`]).
    pub referral_services: u16,
    /// A closed-loop referral was made from the encounter (to a service of the inventory).
    pub loop_referral: bool,
    /// Days from the encounter to the first connection a provider confirmed, if one did.
    pub loop_connected_days: Option<u16>,
    pub use_of_force: UseOfForce,
    pub subject: Option<Sym>,
    pub age_band: AgeBand,
    pub gender: Gender,
    pub race_ethnicity: RaceEthnicity,
}

/// The encounters a report is computed over.
#[derive(Debug, Clone, Default)]
pub struct OutcomeData {
    pub symbols: Symbols,
    pub records: Vec<OutcomeRecord>,
}

/// Normalise a call type for matching: trimmed, upper case.
pub fn call_type_key(s: &str) -> String {
    s.trim().to_uppercase()
}

impl OutcomeData {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `n` records (and as many distinct person keys).
    pub fn with_capacity(n: usize) -> Self {
        OutcomeData { symbols: Symbols::with_capacity(n + 64, n * 28 + 4096), records: Vec::with_capacity(n) }
    }

    /// Move every record of `other` here (its symbols re-interned into this table).
    pub fn append(&mut self, other: OutcomeData) {
        let map: Vec<Sym> = (0..other.symbols.len() as Sym).map(|s| self.symbols.intern(other.symbols.name(s))).collect();
        let m = |s: Option<Sym>| s.map(|s| map[s as usize]);
        self.records.reserve(other.records.len());
        for mut r in other.records {
            r.agency = m(r.agency);
            r.precinct = m(r.precinct);
            r.sector = m(r.sector);
            r.beat = m(r.beat);
            r.initial_call_type = m(r.initial_call_type);
            r.final_call_type = m(r.final_call_type);
            r.subject = m(r.subject);
            self.records.push(r);
        }
    }

    /// Intern an optional text value (empty text is no value).
    pub fn sym(&mut self, s: Option<&str>) -> Option<Sym> {
        match s {
            Some(s) if !s.is_empty() => Some(self.symbols.intern(s)),
            _ => None,
        }
    }

    /// Intern a call type in its matching form.
    pub fn call_type_sym(&mut self, s: Option<&str>) -> Option<Sym> {
        match s.map(str::trim) {
            Some(s) if !s.is_empty() => {
                if s.bytes().any(|b| b.is_ascii_lowercase()) || !s.is_ascii() {
                    Some(self.symbols.intern(&call_type_key(s)))
                } else {
                    Some(self.symbols.intern(s))
                }
            }
            _ => None,
        }
    }

    /// Add an encounter of the default partner.
    pub fn push_encounter(&mut self, e: &Encounter) {
        self.push_encounter_of(crate::sharing::DEFAULT_PARTNER, e);
    }

    /// Add an encounter belonging to `partner`.
    pub fn push_encounter_of(&mut self, partner: crate::sharing::PartnerId, e: &Encounter) {
        let cit_certified = e.officers.iter().any(|o| o.cit_certified == Some(true));
        let cit_known = e.officers.iter().any(|o| o.cit_certified.is_some());
        let (has_referral, referral_results, referral_services) = referral_bits(&e.referrals);
        let record = OutcomeRecord {
            partner,
            occurred_on: e.occurred_on,
            date_precision: e.date_precision,
            agency: self.sym(e.agency.as_deref()),
            precinct: self.sym(e.area.precinct.as_deref()),
            sector: self.sym(e.area.sector.as_deref()),
            beat: self.sym(e.area.beat.as_deref()),
            initial_call_type: self.call_type_sym(e.initial_call_type.as_deref()),
            final_call_type: self.call_type_sym(e.final_call_type.as_deref()),
            call_source: e.call_source,
            mh_recognised_at_dispatch: e.mh_recognised_at_dispatch,
            mental_health_flag: e.mental_health_flag,
            response_model: e.response_model,
            cit_requested: e.cit_requested,
            cit_arrived: e.cit_arrived,
            cit_present: cit_presence(e.cit_arrived, cit_certified, cit_known),
            time_on_scene_minutes: e.time_on_scene_minutes,
            disposition: e.disposition,
            arrested: e.arrested,
            cited: e.cited,
            involuntary_hold: e.involuntary_hold,
            has_referral,
            referral_results,
            referral_services,
            loop_referral: false,
            loop_connected_days: None,
            use_of_force: e.use_of_force,
            subject: self.sym(e.subject_key.as_deref()),
            age_band: e.age_band,
            gender: e.gender,
            race_ethnicity: e.race_ethnicity,
        };
        self.records.push(record);
    }
}

/// Whether any referral is recorded, and the bit sets of their results and service types (the
/// `has_referral`, `referral_results` and `referral_services` of an [`OutcomeRecord`]).
pub fn referral_bits(referrals: &[Referral]) -> (bool, u16, u16) {
    (
        !referrals.is_empty(),
        referrals.iter().fold(0, |m, r| m | 1 << r.result as u16),
        referrals.iter().fold(0, |m, r| m | 1 << r.service_type as u16),
    )
}

/// CIT presence from "CIT arrived" and the officers' certification.
pub fn cit_presence(cit_arrived: Option<bool>, any_officer_certified: bool, certification_known: bool) -> Option<bool> {
    if cit_arrived == Some(true) || any_officer_certified {
        Some(true)
    } else if cit_arrived == Some(false) || certification_known {
        Some(false)
    } else {
        None
    }
}
