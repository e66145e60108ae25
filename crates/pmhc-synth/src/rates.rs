//! Every number the synthetic jurisdiction uses, and where it came from.
//!
//! Sources, abbreviated below:
//! - **TOR**: Toronto Police "Persons in Crisis Calls for Service Attended", 32,000 calls, 2014-01 to
//!   2015-06 (`shared/data/toronto-persons-in-crisis`), profiled in the project's data profile.
//! - **DAL**: Dallas Police use of force 2016, 2,383 rows / 1,517 keyed encounters (`dallas-uof-2016`).
//! - **SUOF**: Seattle Police use of force 2014–2023, 10,111 encounters / 7,895 people (`seattle-use-of-force`).
//! - **SCAD**: Seattle Police call data extracts, 4,405 calls, 169 mental-health calls (`seattle-call-data-samples`).
//! - **BRIEF**: the generator's design brief (ranges taken from published PMHC evaluations that the
//!   brief summarises: arrest 5–8% of MH encounters under standard patrol, involuntary hold 10–20%,
//!   voluntary transport 10–15%, referral 15–30%, use of force level 1 2–4%, level 2 0.5–1%).
//! - **CHOICE**: a modelling choice with no data behind it, kept plausible and round.
//!
//! ## Volume and time
//! - Hour of day: `HOUR_WEIGHTS` are TOR's share of calls per hour (peak 15:00 6.3%, trough 05:00 1.4%).
//! - Day of week: weekend days 0.83 of a weekday (TOR: ≈4,800 calls per weekday, ≈4,000 per weekend day).
//! - Month: `MONTH_FACTORS`, a mild summer peak (+7%) and winter dip (−7%): TOR's 2014 months run
//!   1,628..2,018 calls with no strong seasonality, and DAL's force is lower in the last quarter.
//!   CHOICE for the shape.
//! - Trend: volume grows 3% a year (CHOICE; MH calls rose in most US cities over 2019–2024).
//! - Dispatch delay (log-normal, σ 0.8) medians by priority 1–4: 2.5, 7, 18, 30 min; travel median
//!   7 min (σ 0.5), 22 min for a county mobile crisis team. SCAD's median queue-to-arrival is 27 min
//!   over all calls (mostly priority 3); MH calls are higher priority, so a median near 15 min results.
//! - Time on scene (log-normal, σ 0.55) medians by disposition in `ON_SCENE_MEDIAN_MIN`: 40 min when
//!   resolved on scene, 80 for a voluntary transport, 120 for an involuntary hold, 100 for an arrest
//!   (BRIEF: median 40–60 min overall, longer for holds and transports); ×1.2 for co-responder and
//!   ×1.3 for mobile crisis teams, who spend longer (CHOICE).
//!
//! ## Calls
//! - Call types `CALL_TYPES`: 56% of encounters start as a clearly mental-health call type and 44% as
//!   a general one (disturbance, suspicious person, trespass, assault, domestic) that turns out to
//!   involve mental health. Within the clear types the mix follows TOR (person in crisis 62%,
//!   suicide-related 30%, overdose 7%) with welfare checks and commitment orders added (CHOICE).
//! - Recognised at dispatch: 88% of clear-type calls, 10% of general ones (premise history): about
//!   54% overall. SCAD: only 39% of calls closing as MH were dispatched as MH, 57% of calls
//!   dispatched as MH closed as MH; a jurisdiction with a PMHC does better than that, hence higher.
//! - Final call type: a clear type stays 80%, becomes another clear type 10%, a general type 10%; a
//!   general type is reclassified "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS" 55% (SCAD shows flips both ways).
//! - Mental-health flag: false on 12% of the encounters whose final type is a general one (≈3% overall).
//! - Call source: 911 78%, non-emergency line 13%, officer-initiated 7%, other 2%; after the national
//!   988 launch (2022-07-16) 3 points of 911 become 988 transfers. SCAD: 911 50%, other telephone 40%,
//!   on-view 9% of *all* calls; crisis calls come by 911 more often (BRIEF: ~75%).
//! - Priority per call type (1 highest), e.g. suicide 1: 70%; SCAD's mix over all calls is 3: 50%,
//!   2: 27%, 1: 8%.
//!
//! ## People
//! - Encounters planned per person (`PERSON_TIERS`): 1: 65%, 2: 16%, 3–4: 10%, 5–9: 6.2%,
//!   10–24: 2.3%, 25–60: 0.5%. Returns that fall after the window are lost, and a burn-in year before
//!   the window gives the first months their repeaters, so the *observed* shares over six years come
//!   out near BRIEF's target: ≈72% of people seen once, ≈10% three or more times, a few dozen per
//!   10,000 people ten or more. SUOF (force only, 9 years) has 83.5% once and 16.5% 2+; DAL one year
//!   5.4% 2+; MH crisis contacts recur more than use of force does, hence the higher repeat share.
//! - Gaps between a person's encounters (`GAP_MIX`): a mixture of a short exponential (mean 14 days
//!   for occasional repeaters, 6 days for high utilisers), a medium one (75 / 30 days) and a long
//!   uniform one (150–900 / 90–300 days), so that about half of repeaters have two encounters within
//!   90 days (SUOF: 688 of 1,300 repeaters, 53%, have 2 within 90 days).
//! - Connection reduces repeats: an encounter whose referral ends *connected* to a service, or one
//!   handled by case management, ends the person's run of returns with probability 0.35 (CHOICE; the
//!   "reduced repeat encounters" outcome needs a mechanism, and connections rise after the launch).
//! - Gender: male 60%, female 38.5%, non-binary 0.5%, unknown 1% (SUOF 74% male and DAL 82% male
//!   are use-of-force subjects; crisis contacts are more evenly split), 68% male among people with 5+.
//! - Age: under 18 6%, 18–24 14%, 25–34 26%, 35–44 21%, 45–54 14%, 55–64 11%, 65+ 6%, unknown 2% (CHOICE).
//! - Race/ethnicity (`RACE_WEIGHTS`): white 46%, Black 24%, Hispanic 18%, Asian 4%, AIAN 1.5%, NHPI
//!   0.7%, MENA 0.8%, two or more 2%, other 1%, unknown 2%: a US mid-size city with Black residents
//!   over-represented among police contacts (SUOF: white 41%, Black 31%; DAL: Black 55%).
//! - Housing: unhoused 16% of people seen fewer than 5 times and 38% of those seen 5+ (unstable 8%,
//!   unknown 4%), so about 20% of encounters (BRIEF: 15–25%).
//! - Veteran: yes 6.5%, no 88.5%, not recorded 5% (BRIEF: 5–8%).
//! - Substance use per encounter: 70% for the 22% of people with a substance-use problem, 12% for the
//!   others, ≈25% of encounters (BRIEF: 20–30%).
//! - Place: each person has a home beat (unhoused people twice as likely downtown, in East); 70% of
//!   their encounters happen there, half of those at their home point ± 200 m.
//!
//! ## Areas
//! Five precincts (North, East, South, West, Southwest) with volume shares 22/26/20/18/14% (East holds
//! downtown; TOR's largest division has 12% of 17), three sectors of three beats each; beats are named
//! by sector letter and number (`N1`, like SUOF's `U2`). The city is a made-up place in rural central
//! Kansas (lat 38.30–38.60, lon −97.80 to −97.40) so points plot without landing on a real city.
//!
//! ## Programme (relative to the window, shown for the default 2019–2024 window)
//! - Co-responder team launch at 3/8 of the window (2021-04-01) in North and East; citywide a sixth of
//!   the window later (2022-04-01). It works 08:00–22:00 and takes 32% of the eligible calls at full
//!   strength (ramping up linearly over a quarter of the window).
//! - CIT: 24% of officers certified at the start (BRIEF: ~25%); another 24% certify at dates spread
//!   over 5/12 of the window after the launch. CIT responds to 18% of calls before the launch and
//!   to 40% of those not taken by the co-responder, mobile crisis or case management after it (≈28% of all).
//! - Case management for people with 10+ planned encounters from launch + 1/12 of the window:
//!   25% of their later encounters.
//! - County mobile crisis team from launch + 5/24 of the window (2022-07-01): 6% of calls, 25% of 988
//!   transfers.
//! - CIT requested but no CIT officer arrived: 12% of standard-patrol calls before the launch, 20%
//!   after, 5% of mobile-crisis and case-management responses; half of those had a CIT officer
//!   dispatched who was reassigned (CHOICE). A response counts as CIT-arrived exactly when a
//!   certified officer is among the officers; standard patrol draws only uncertified officers.
//! - Mobile crisis is not sent to commitment orders, assaults or domestic calls (`MOBILE_EXCLUDED`).
//! - Of the responses that are neither specialised nor CIT, 0.5% are coded "other" and 1% "unknown"
//!   (CHOICE: real exports carry such codes).
//! - Clinician on scene: always for co-responder and mobile crisis, half of case-management responses.
//!
//! ## Outcomes
//! - Dispositions per response model in `DISPOSITION_BASE` (percent), then scaled by call type
//!   (`CallType` multipliers) and renormalised. Standard patrol: resolved 35, referral 16,
//!   declined 6, voluntary transport 12, involuntary hold 14, arrest diverted 2, arrest 6.5,
//!   citation 1.5, no action 3.5, unable to locate 2.5, other 1. BRIEF ranges; TOR's 22% MHA
//!   apprehension (19.5% person in crisis, 27.4% suicide-related, 21% overdose) for the hold
//!   multipliers; SCAD shows only 1.2% physical arrest on MH calls, so co-responder and mobile
//!   crisis arrests (2.5% and 1%) are not implausibly low.
//! - Use of force per model in `FORCE_BASE`: standard patrol restraint only 4.5%, level 1 3.0%,
//!   level 2 1.0%, level 3 0.07% (BRIEF), so that among force encounters levels 1/2/3 are 73/25/2%
//!   (SUOF: 73.0 / 25.3 / 1.6 including shootings). Lower for CIT, co-responder and mobile crisis.
//!   Scaled by disposition (arrest ×4, hold ×2.2, diverted ×1.5, citation ×1, transport ×0.6, no
//!   action ×0.3, unable to locate 0, others ×0.45) and a weapon (×2.5), renormalised so the
//!   per-model shares hold.
//! - Injuries given force level 1/2/3: subject 20/45/80%, officer 8/14/25% (DAL: subject injured in
//!   29% of force encounters, officer in 9.8% of rows).
//! - Weapon involved: 2–15% by call type (assault 15%, domestic 10%, suicide 8%; CHOICE).
//! - Officers per encounter: standard 1/2/3 = 45/42/13%, CIT 40/45/15%, co-responder 85/15/0,
//!   mobile crisis one backup officer; +1 (up to 3) half the time after an arrest, a hold or force.
//!   DAL force encounters: 66/27/5%; SUOF 70/18/6%. Roster: 72 officers per precinct plus a
//!   10-officer co-responder unit, years of experience exponential (mean 9), growing with time.
//! - Referrals: 1/2/3 services on a referral disposition (70/25/5%), one on a declined resource
//!   (result declined), on a diverted arrest, on 60% of voluntary transports and 35% of holds, and on
//!   12% of encounters resolved on scene. Results: made 28, accepted 22, connected 27, declined 8,
//!   turned away for capacity 8, not eligible 4, closed 3 (outpatient services are "closed" four
//!   times as often out of hours); co-responder, mobile crisis and case management move 15 points
//!   from "made" to "connected" (warm hand-offs). CHOICE throughout.
//! - Force types (technique names after DAL's list): restraint only is handcuffing; level 1 one of
//!   control hold, firearm pointed, takedown (a second 30% of the time); level 2 one of baton, OC
//!   spray, strikes, Taser, plus a level-1 technique half the time; level 3 firearm discharged or neck
//!   restraint, plus a level-2 technique half the time.
//! - Referral details (CHOICE): a diverted arrest goes to the crisis centre 40%, substance use
//!   treatment 30%, detox 15%, outpatient 15%; a transport referral goes to the crisis centre 45% or
//!   the emergency department 55%, connected 60 / accepted 35 / turned away for capacity 5; a hold's
//!   referral is the emergency department, connected 70 / accepted 30; a referral on an encounter
//!   resolved on scene goes to the warm line, 988, outpatient or peer support (3:3:2:2).
//! - `source_updated_at` is 1–72 hours after clearance (report approval).
//! - Behaviours: one typical of the call type, "intoxicated" on 70% of substance-use encounters and a
//!   second random one 40% of the time (names after the Seattle crisis template's behaviour list).

#![allow(clippy::unreadable_literal)]

use pmhc_core::{AgeBand, Disposition, Gender, RaceEthnicity, ServiceType};

/// Share of calls per hour of day, 0..23 (TOR, percent).
pub(crate) const HOUR_WEIGHTS: [f64; 24] = [
    3.55, 2.86, 2.35, 2.06, 1.52, 1.37, 1.43, 1.92, 2.73, 3.76, 4.87, 5.78, 5.72, 6.25, 6.10, 6.31, 6.08, 5.85, 5.62,
    5.09, 5.01, 5.03, 4.62, 4.12,
];

/// Relative volume per month, January first.
pub(crate) const MONTH_FACTORS: [f64; 12] = [0.94, 0.92, 0.99, 1.00, 1.06, 1.07, 1.07, 1.07, 1.03, 1.00, 0.95, 0.93];
pub(crate) const WEEKEND_FACTOR: f64 = 0.83;
pub(crate) const ANNUAL_GROWTH: f64 = 0.03;

/// The national 988 launch.
pub(crate) const LINE_988_LAUNCH: (i32, u32, u32) = (2022, 7, 16);

/// Dispositions in the order of every per-disposition table below.
pub(crate) const DISPOSITIONS: [Disposition; 11] = [
    Disposition::ResolvedOnScene,
    Disposition::Referral,
    Disposition::ResourceDeclined,
    Disposition::VoluntaryTransport,
    Disposition::InvoluntaryHold,
    Disposition::ArrestDiverted,
    Disposition::Arrest,
    Disposition::Citation,
    Disposition::NoActionPossible,
    Disposition::UnableToLocate,
    Disposition::Other,
];
pub(crate) const D_RESOLVED: usize = 0;
pub(crate) const D_REFERRAL: usize = 1;
pub(crate) const D_DECLINED: usize = 2;
pub(crate) const D_TRANSPORT: usize = 3;
pub(crate) const D_HOLD: usize = 4;
pub(crate) const D_DIVERTED: usize = 5;
pub(crate) const D_ARREST: usize = 6;
pub(crate) const D_UTL: usize = 9;

/// Response models with their own tables: standard patrol, CIT, co-responder, mobile crisis, case management.
pub(crate) const M_STANDARD: usize = 0;
pub(crate) const M_CIT: usize = 1;
pub(crate) const M_CORESP: usize = 2;
pub(crate) const M_MOBILE: usize = 3;
pub(crate) const M_CASEMGMT: usize = 4;
pub(crate) const MODELS: usize = 5;

/// Disposition percentages per model (rows) in `DISPOSITIONS` order (columns).
pub(crate) const DISPOSITION_BASE: [[f64; 11]; MODELS] = [
    [35.0, 16.0, 6.0, 12.0, 14.0, 2.0, 6.5, 1.5, 3.5, 2.5, 1.0],
    [34.0, 20.0, 6.0, 13.0, 13.0, 3.0, 4.5, 1.0, 3.0, 2.0, 0.5],
    [29.0, 33.0, 7.0, 12.0, 9.0, 3.5, 2.5, 0.5, 2.0, 1.0, 0.5],
    [35.0, 31.0, 8.0, 12.0, 8.0, 1.0, 1.0, 0.0, 2.0, 1.5, 0.5],
    [27.0, 39.0, 10.0, 10.0, 7.0, 2.0, 2.0, 0.5, 1.5, 0.5, 0.5],
];

/// Use of force per model: restraint only, level 1, level 2, level 3 (probabilities).
pub(crate) const FORCE_BASE: [[f64; 4]; MODELS] = [
    [0.045, 0.030, 0.010, 0.0007],
    [0.040, 0.024, 0.007, 0.0005],
    [0.025, 0.012, 0.003, 0.0002],
    [0.012, 0.006, 0.0015, 0.0],
    [0.020, 0.011, 0.002, 0.0001],
];

/// Force multiplier per disposition, `DISPOSITIONS` order.
pub(crate) const FORCE_BY_DISPOSITION: [f64; 11] = [0.45, 0.45, 0.45, 0.6, 2.2, 1.5, 4.0, 1.0, 0.3, 0.0, 0.45];
pub(crate) const FORCE_WEAPON_FACTOR: f64 = 2.5;

/// Subject / officer injury probability by force level (none, restraint, 1, 2, 3).
pub(crate) const SUBJECT_INJURY: [f64; 5] = [0.003, 0.02, 0.20, 0.45, 0.80];
pub(crate) const OFFICER_INJURY: [f64; 5] = [0.002, 0.01, 0.08, 0.14, 0.25];

/// Time on scene medians (minutes), `DISPOSITIONS` order.
pub(crate) const ON_SCENE_MEDIAN_MIN: [f64; 11] = [40.0, 55.0, 35.0, 80.0, 120.0, 85.0, 100.0, 45.0, 20.0, 12.0, 35.0];
pub(crate) const ON_SCENE_SIGMA: f64 = 0.55;

/// Dispatch delay medians (minutes) by priority 1..4, and the travel medians.
pub(crate) const DISPATCH_MEDIAN_MIN: [f64; 4] = [2.5, 7.0, 18.0, 30.0];
pub(crate) const DISPATCH_SIGMA: f64 = 0.8;
pub(crate) const TRAVEL_MEDIAN_MIN: f64 = 7.0;
pub(crate) const TRAVEL_MOBILE_MEDIAN_MIN: f64 = 22.0;
pub(crate) const TRAVEL_SIGMA: f64 = 0.5;

/// Officers per encounter (1, 2, 3) per model.
pub(crate) const OFFICER_COUNT: [[f64; 3]; MODELS] = [
    [0.45, 0.42, 0.13],
    [0.40, 0.45, 0.15],
    [0.85, 0.15, 0.0],
    [1.0, 0.0, 0.0],
    [0.80, 0.20, 0.0],
];
pub(crate) const OFFICERS_PER_PRECINCT: u32 = 72;
pub(crate) const CORESPONDER_UNIT: u32 = 10;
pub(crate) const CIT_CERTIFIED_AT_START: f64 = 0.24;
pub(crate) const CIT_CERTIFIED_AFTER_LAUNCH: f64 = 0.24;
pub(crate) const OFFICER_EXPERIENCE_MEAN_YEARS: f64 = 9.0;

/// Response model shares.
pub(crate) const CIT_SHARE_BEFORE: f64 = 0.18;
pub(crate) const CIT_SHARE_AFTER: f64 = 0.40;
pub(crate) const CORESP_SHARE: f64 = 0.32;
pub(crate) const CORESP_HOURS: (u32, u32) = (8, 22);
pub(crate) const MOBILE_SHARE: f64 = 0.06;
/// Call types a mobile crisis team is not sent to (indices in `CALL_TYPES`): commitment order,
/// assault, domestic.
pub(crate) const MOBILE_EXCLUDED: [usize; 3] = [4, 8, 9];
pub(crate) const MOBILE_SHARE_988: f64 = 0.25;
pub(crate) const CASEMGMT_SHARE: f64 = 0.25;
pub(crate) const CIT_REQUESTED_UNMET_BEFORE: f64 = 0.12;
pub(crate) const CIT_REQUESTED_UNMET_AFTER: f64 = 0.20;
pub(crate) const REPEAT_STOP_AFTER_CONNECTION: f64 = 0.35;

/// Call sources: 911, non-emergency, officer-initiated, other (988 takes 3 points of 911 after launch).
pub(crate) const CALL_SOURCE_WEIGHTS: [f64; 4] = [0.78, 0.13, 0.07, 0.02];
pub(crate) const CALL_SOURCE_988: f64 = 0.03;

pub(crate) const RECOGNISED_CLEAR: f64 = 0.88;
pub(crate) const RECOGNISED_GENERAL: f64 = 0.10;
pub(crate) const MH_FLAG_FALSE_GENERAL_FINAL: f64 = 0.12;

/// A call type with its effect on the encounter.
pub(crate) struct CallType {
    pub name: &'static str,
    /// Clearly a mental-health call type.
    pub clear: bool,
    pub weight: f64,
    /// Priority 1..4 weights.
    pub priority: [f64; 4],
    pub weapon: f64,
    /// Disposition multipliers: hold, voluntary transport, arrest (and diverted), citation, unable to locate, referral.
    pub hold: f64,
    pub transport: f64,
    pub arrest: f64,
    pub citation: f64,
    pub utl: f64,
    pub referral: f64,
    /// Typical behaviours, indices in `BEHAVIOURS`.
    pub behaviours: &'static [usize],
}

pub(crate) const CRISIS: usize = 0;

pub(crate) const CALL_TYPES: [CallType; 10] = [
    CallType {
        name: "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS",
        clear: true,
        weight: 24.0,
        priority: [0.25, 0.55, 0.18, 0.02],
        weapon: 0.04,
        hold: 1.1,
        transport: 1.0,
        arrest: 0.8,
        citation: 0.6,
        utl: 0.8,
        referral: 1.0,
        behaviours: &[1, 2, 3, 5, 7],
    },
    CallType {
        name: "SUICIDE - THREAT OR ATTEMPT",
        clear: true,
        weight: 12.0,
        priority: [0.70, 0.28, 0.02, 0.0],
        weapon: 0.08,
        hold: 1.8,
        transport: 1.4,
        arrest: 0.3,
        citation: 0.2,
        utl: 1.0,
        referral: 1.0,
        behaviours: &[9, 9, 8, 0],
    },
    CallType {
        name: "WELFARE CHECK",
        clear: true,
        weight: 13.0,
        priority: [0.05, 0.30, 0.55, 0.10],
        weapon: 0.02,
        hold: 0.6,
        transport: 0.8,
        arrest: 0.4,
        citation: 0.3,
        utl: 1.6,
        referral: 1.2,
        behaviours: &[6, 0, 2],
    },
    CallType {
        name: "OVERDOSE",
        clear: true,
        weight: 4.0,
        priority: [0.85, 0.15, 0.0, 0.0],
        weapon: 0.02,
        hold: 1.2,
        transport: 3.0,
        arrest: 0.5,
        citation: 0.3,
        utl: 0.8,
        referral: 1.1,
        behaviours: &[4],
    },
    CallType {
        name: "MENTAL HEALTH - INVOLUNTARY COMMITMENT",
        clear: true,
        weight: 3.0,
        priority: [0.05, 0.45, 0.45, 0.05],
        weapon: 0.03,
        hold: 4.0,
        transport: 1.0,
        arrest: 0.3,
        citation: 0.1,
        utl: 1.2,
        referral: 0.6,
        behaviours: &[3, 7, 10],
    },
    CallType {
        name: "DISTURBANCE",
        clear: false,
        weight: 18.0,
        priority: [0.10, 0.45, 0.40, 0.05],
        weapon: 0.03,
        hold: 0.7,
        transport: 0.7,
        arrest: 1.4,
        citation: 1.6,
        utl: 1.0,
        referral: 0.9,
        behaviours: &[1, 1, 5],
    },
    CallType {
        name: "SUSPICIOUS PERSON",
        clear: false,
        weight: 10.0,
        priority: [0.05, 0.35, 0.50, 0.10],
        weapon: 0.02,
        hold: 0.5,
        transport: 0.6,
        arrest: 1.2,
        citation: 1.2,
        utl: 1.7,
        referral: 0.9,
        behaviours: &[7, 2, 1],
    },
    CallType {
        name: "TRESPASS",
        clear: false,
        weight: 7.0,
        priority: [0.02, 0.28, 0.55, 0.15],
        weapon: 0.02,
        hold: 0.4,
        transport: 0.6,
        arrest: 2.0,
        citation: 3.0,
        utl: 1.3,
        referral: 1.0,
        behaviours: &[1, 6],
    },
    CallType {
        name: "ASSAULT",
        clear: false,
        weight: 4.0,
        priority: [0.50, 0.45, 0.05, 0.0],
        weapon: 0.15,
        hold: 0.5,
        transport: 0.6,
        arrest: 3.0,
        citation: 1.0,
        utl: 1.0,
        referral: 0.7,
        behaviours: &[10, 1],
    },
    CallType {
        name: "DOMESTIC DISTURBANCE",
        clear: false,
        weight: 5.0,
        priority: [0.40, 0.50, 0.10, 0.0],
        weapon: 0.10,
        hold: 0.6,
        transport: 0.6,
        arrest: 2.5,
        citation: 0.8,
        utl: 0.8,
        referral: 0.8,
        behaviours: &[10, 1, 0],
    },
];

/// Final-call-type reclassification.
pub(crate) const FINAL_SAME_CLEAR: f64 = 0.80;
pub(crate) const FINAL_OTHER_CLEAR: f64 = 0.10;
pub(crate) const FINAL_GENERAL_TO_CRISIS: f64 = 0.55;

/// Behaviours, in alphabetical order (so sorted indices give sorted strings).
pub(crate) const BEHAVIOURS: [&str; 11] = [
    "Depression",
    "Disorderly / disruptive",
    "Disorientation / confusion",
    "Hallucinations / delusions",
    "Intoxicated / under the influence",
    "Mania",
    "Neglect of self-care",
    "Out of touch with reality",
    "Self-harm",
    "Suicidal threats or ideation",
    "Threats to harm others",
];
pub(crate) const B_INTOXICATED: usize = 4;
pub(crate) const BEHAVIOUR_INTOXICATED: f64 = 0.70;
pub(crate) const BEHAVIOUR_EXTRA: f64 = 0.40;

/// Force types, in alphabetical order.
pub(crate) const FORCE_TYPES: [&str; 10] = [
    "Baton",
    "Control hold",
    "Firearm discharged",
    "Firearm pointed",
    "Handcuffing",
    "Neck restraint",
    "OC spray",
    "Strikes",
    "Takedown",
    "Taser",
];
pub(crate) const FORCE_TYPES_L1: [usize; 3] = [1, 3, 8];
pub(crate) const FORCE_TYPES_L2: [usize; 4] = [0, 6, 7, 9];
pub(crate) const FORCE_TYPES_L3: [usize; 2] = [2, 5];
pub(crate) const FT_HANDCUFFING: usize = 4;

/// Planned encounters per person: (share, min, max).
pub(crate) const PERSON_TIERS: [(f64, u32, u32); 6] = [
    (0.70, 1, 1),
    (0.15, 2, 2),
    (0.085, 3, 4),
    (0.045, 5, 9),
    (0.016, 10, 24),
    (0.004, 25, 60),
];
/// Gap mixture per utiliser class (occasional: < 5 planned; frequent: 5–9; high: 10+):
/// (short share, short mean days, medium share, medium mean days, long min days, long max days).
pub(crate) const GAP_MIX: [(f64, f64, f64, f64, f64, f64); 3] = [
    (0.30, 25.0, 0.30, 120.0, 150.0, 900.0),
    (0.40, 14.0, 0.35, 60.0, 120.0, 500.0),
    (0.60, 8.0, 0.30, 35.0, 90.0, 300.0),
];
pub(crate) const MIN_GAP_HOURS: f64 = 4.0;

pub(crate) const GENDER: [(Gender, f64); 4] = [
    (Gender::Male, 0.60),
    (Gender::Female, 0.385),
    (Gender::NonBinary, 0.005),
    (Gender::Unknown, 0.01),
];
pub(crate) const MALE_FREQUENT: f64 = 0.68;
pub(crate) const AGE: [(AgeBand, f64); 8] = [
    (AgeBand::Under18, 0.06),
    (AgeBand::A18To24, 0.14),
    (AgeBand::A25To34, 0.26),
    (AgeBand::A35To44, 0.21),
    (AgeBand::A45To54, 0.14),
    (AgeBand::A55To64, 0.11),
    (AgeBand::A65Plus, 0.06),
    (AgeBand::Unknown, 0.02),
];
pub(crate) const RACE_WEIGHTS: [(RaceEthnicity, f64); 10] = [
    (RaceEthnicity::White, 0.46),
    (RaceEthnicity::Black, 0.24),
    (RaceEthnicity::Hispanic, 0.18),
    (RaceEthnicity::Asian, 0.04),
    (RaceEthnicity::AmericanIndianAlaskaNative, 0.015),
    (RaceEthnicity::NativeHawaiianPacificIslander, 0.007),
    (RaceEthnicity::MiddleEasternNorthAfrican, 0.008),
    (RaceEthnicity::Multiple, 0.02),
    (RaceEthnicity::Other, 0.01),
    (RaceEthnicity::Unknown, 0.02),
];
/// Unhoused share of people seen fewer than 5 times / 5+; unstable; unknown.
pub(crate) const UNHOUSED: f64 = 0.16;
pub(crate) const UNHOUSED_FREQUENT: f64 = 0.38;
pub(crate) const UNSTABLE: f64 = 0.08;
pub(crate) const HOUSING_UNKNOWN: f64 = 0.04;
pub(crate) const VETERAN_YES: f64 = 0.065;
pub(crate) const VETERAN_UNKNOWN: f64 = 0.05;
pub(crate) const SUD_PEOPLE: f64 = 0.22;
pub(crate) const SUD_ENCOUNTER_WITH: f64 = 0.70;
pub(crate) const SUD_ENCOUNTER_WITHOUT: f64 = 0.12;
pub(crate) const HOME_BEAT_SHARE: f64 = 0.70;
pub(crate) const HOME_POINT_SHARE: f64 = 0.50;
pub(crate) const HOME_POINT_JITTER_DEG: f64 = 0.002;

/// Precincts: name, sector letters, volume share, box (lat min, lat max, lon min, lon max).
pub(crate) const PRECINCTS: [(&str, [&str; 3], f64, [f64; 4]); 5] = [
    ("North", ["N", "L", "U"], 0.22, [38.50, 38.60, -97.80, -97.40]),
    ("East", ["E", "G", "C"], 0.26, [38.40, 38.50, -97.60, -97.40]),
    ("South", ["S", "R", "O"], 0.20, [38.30, 38.40, -97.60, -97.40]),
    ("West", ["W", "K", "D"], 0.18, [38.40, 38.50, -97.80, -97.60]),
    ("Southwest", ["F", "M", "Y"], 0.14, [38.30, 38.40, -97.80, -97.60]),
];
pub(crate) const P_EAST: usize = 1;
/// Relative volume of the nine beats of a precinct (sector-major).
pub(crate) const BEAT_PATTERN: [f64; 9] = [1.4, 1.0, 0.8, 1.2, 1.0, 0.9, 1.1, 0.9, 0.7];
/// Precincts where the co-responder pilot starts.
pub(crate) const PILOT_PRECINCTS: [usize; 2] = [0, 1];

/// Made-up providers: name and service type.
pub(crate) const SERVICES: [(&str, ServiceType); 12] = [
    ("Demo County Crisis Center", ServiceType::CrisisCentre),
    ("Riverbend Behavioral Health", ServiceType::OutpatientMentalHealth),
    ("Prairie Veterans Community Clinic", ServiceType::OutpatientMentalHealth),
    ("Harbor Light Recovery", ServiceType::SubstanceUseTreatment),
    ("Cedar House Withdrawal Management", ServiceType::Detox),
    ("Open Door Peer Network", ServiceType::PeerSupport),
    ("Lantern Street Shelter", ServiceType::Housing),
    ("Demo County Mobile Crisis", ServiceType::MobileCrisis),
    ("Sunflower 988 Lifeline", ServiceType::Line988),
    ("Friendship Warm Line", ServiceType::WarmLine),
    ("St. Agnes Emergency Department", ServiceType::EmergencyDepartment),
    ("Demo City Case Management Unit", ServiceType::CaseManagement),
];
pub(crate) const S_CRISIS: usize = 0;
pub(crate) const S_OUTPATIENT: usize = 1;
pub(crate) const S_VA: usize = 2;
pub(crate) const S_SUD: usize = 3;
pub(crate) const S_DETOX: usize = 4;
pub(crate) const S_PEER: usize = 5;
pub(crate) const S_HOUSING: usize = 6;
pub(crate) const S_988: usize = 8;
pub(crate) const S_WARM: usize = 9;
pub(crate) const S_ED: usize = 10;
pub(crate) const S_CASEMGMT: usize = 11;
/// Base weights of services on a referral disposition (`SERVICES` order, the VA clinic replaces
/// half of outpatient referrals for veterans).
pub(crate) const REFERRAL_SERVICE_WEIGHTS: [f64; 12] = [12.0, 30.0, 0.0, 10.0, 3.0, 8.0, 8.0, 3.0, 5.0, 5.0, 0.0, 6.0];
pub(crate) const REFERRAL_COUNT: [f64; 3] = [0.70, 0.25, 0.05];
pub(crate) const REFERRAL_ON_TRANSPORT: f64 = 0.60;
pub(crate) const REFERRAL_ON_HOLD: f64 = 0.35;
pub(crate) const REFERRAL_ON_RESOLVED: f64 = 0.12;
/// Referral results: made, accepted, connected, declined, no capacity, not eligible, closed.
pub(crate) const REFERRAL_RESULTS: [f64; 7] = [0.28, 0.22, 0.27, 0.08, 0.08, 0.04, 0.03];
pub(crate) const WARM_HANDOFF_SHIFT: f64 = 0.15;
pub(crate) const CLOSED_OUT_OF_HOURS_FACTOR: f64 = 4.0;
