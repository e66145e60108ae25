//! The measures of the report: the four key outcomes and the context measures around them.

use serde::Serialize;

use crate::codes::*;
use crate::definition::{DiversionEnd, SharedDefinition};

use super::data::{OutcomeRecord, Sym};

/// How a measure is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// A number of encounters (compared per day).
    Count,
    /// A share: numerator out of denominator.
    Proportion,
    /// A median of minutes.
    Median,
    /// A mean per person.
    Mean,
}

macro_rules! measures {
    ($( $v:ident = $id:literal, $kind:ident, $outcome:expr, $label:literal, $of:literal; )+) => {
        /// A measure of the report, in report order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Measure { $( $v, )+ }
        impl Measure {
            pub const ALL: &'static [Measure] = &[ $( Measure::$v, )+ ];
            /// The stable identifier used in JSON and CSV.
            pub fn id(self) -> &'static str { match self { $( Measure::$v => $id, )+ } }
            pub fn kind(self) -> MeasureKind { match self { $( Measure::$v => MeasureKind::$kind, )+ } }
            /// Which of the four key outcomes it measures (None for context measures).
            pub fn outcome(self) -> Option<u8> { match self { $( Measure::$v => $outcome, )+ } }
            pub fn label(self) -> &'static str { match self { $( Measure::$v => $label, )+ } }
            /// What a share is a share of ("of mental-health encounters").
            pub fn of(self) -> &'static str { match self { $( Measure::$v => $of, )+ } }
        }
    };
}

measures! {
    Encounters = "encounters", Count, None, "Mental-health encounters", "";
    RecognisedAtDispatch = "recognised_at_dispatch", Proportion, None, "Recognised as mental health at dispatch", "of encounters where dispatch recognition is recorded";
    CitArrivedWhenRequested = "cit_arrived_when_requested", Proportion, None, "CIT officer arrived when requested", "of encounters where a CIT officer was requested";
    InvoluntaryHold = "involuntary_hold", Proportion, None, "Involuntary holds / emergency detentions", "of encounters where it is recorded";
    Diversion = "diversion", Proportion, None, "Diverted (no jail, no emergency department)", "of encounters with a known arrest status";
    TimeOnScene = "time_on_scene", Median, None, "Median time on scene (minutes)", "";
    Referral = "referral", Proportion, Some(1), "Referral or connection to resources", "of encounters with a known outcome";
    ConfirmedConnection = "confirmed_connection", Proportion, Some(1), "Confirmed connection to a service", "of encounters with a referral whose result is known";
    RepeatPeople = "repeat_people", Proportion, Some(2), "People with repeat encounters", "of people seen";
    EncountersPerPerson = "encounters_per_person", Mean, Some(2), "Encounters per person", "";
    Arrest = "arrest", Proportion, Some(3), "Arrests", "of encounters with a known arrest status";
    Citation = "citation", Proportion, Some(3), "Citations", "of encounters with a known citation status";
    ArrestDiverted = "arrest_diverted", Proportion, Some(3), "Probable cause present, diverted", "of encounters with probable cause for arrest";
    FrequentArrestPeople = "frequent_arrest_people", Proportion, Some(3), "People with frequent arrests", "of people seen";
    AnyForce = "any_force", Proportion, Some(4), "Any use of force", "of encounters where force is recorded";
    RestraintOnly = "restraint_only", Proportion, Some(4), "Restraint / handcuffs only", "of encounters where force is recorded";
    ForceLevel1 = "force_level_1", Proportion, Some(4), "Force level 1", "of encounters where force is recorded";
    ForceLevel2 = "force_level_2", Proportion, Some(4), "Force level 2", "of encounters where force is recorded";
    ForceLevel3 = "force_level_3", Proportion, Some(4), "Force level 3", "of encounters where force is recorded";
}

/// The measures counted per encounter (they have a numerator and denominator bit each and can be
/// broken down by group and month), in bit order.
pub const BIT_MEASURES: [Measure; 14] = [
    Measure::RecognisedAtDispatch,
    Measure::CitArrivedWhenRequested,
    Measure::InvoluntaryHold,
    Measure::Diversion,
    Measure::Referral,
    Measure::ConfirmedConnection,
    Measure::Arrest,
    Measure::Citation,
    Measure::ArrestDiverted,
    Measure::AnyForce,
    Measure::RestraintOnly,
    Measure::ForceLevel1,
    Measure::ForceLevel2,
    Measure::ForceLevel3,
];

/// Number of per-encounter measures.
pub const NBIT: usize = BIT_MEASURES.len();
/// Bit set on every mental-health encounter.
pub const MH_BIT: u32 = 1 << (2 * NBIT);
/// Bit set on every encounter (mental-health or not) in the overall group.
pub const ALL_BIT: u32 = 1 << (2 * NBIT + 1);
/// Counter slots per cell.
pub const SLOTS: usize = 2 * NBIT + 2;
/// Slot of the mental-health count.
pub const MH_SLOT: usize = 2 * NBIT;
/// Slot of the count of all encounters.
pub const ALL_SLOT: usize = 2 * NBIT + 1;

/// The position of a per-encounter measure among [`BIT_MEASURES`].
pub fn bit_index(m: Measure) -> Option<usize> {
    BIT_MEASURES.iter().position(|&b| b == m)
}

/// The definition compiled against a symbol table, so a record is classified without strings.
#[derive(Debug, Clone)]
pub struct CompiledDefinition {
    pub all_encounters: bool,
    pub flagged: bool,
    pub recognised: bool,
    pub call_types: Vec<Sym>,
    pub call_sources: Vec<CallSource>,
    pub response_models: Vec<ResponseModel>,
    pub connection_dispositions: Vec<Disposition>,
    pub any_referral: bool,
    pub confirmed_results: u16,
    pub confirmed_within_days: u32,
    pub diversion_excluded_dispositions: Vec<Disposition>,
    pub diversion_excluded_services: u16,
    /// `diversion.ended_by`, or None for a version saved before it existed (its lists alone).
    pub diversion_ended_by: Option<Vec<DiversionEnd>>,
}

impl CompiledDefinition {
    pub fn new(def: &SharedDefinition, symbols: &super::data::Symbols) -> Self {
        let mh = &def.mental_health;
        let mut call_types: Vec<Sym> =
            mh.call_types.iter().filter_map(|c| symbols.get(&super::data::call_type_key(c))).collect();
        call_types.sort_unstable();
        call_types.dedup();
        CompiledDefinition {
            all_encounters: mh.all_encounters,
            flagged: mh.flagged,
            recognised: mh.recognised_at_dispatch,
            call_types,
            call_sources: mh.call_sources.clone(),
            response_models: mh.response_models.clone(),
            connection_dispositions: def.connection.dispositions.clone(),
            any_referral: def.connection.any_referral,
            confirmed_results: def.connection.confirmed_results.iter().fold(0, |m, r| m | 1 << *r as u16),
            confirmed_within_days: def.connection.confirmed_within_days,
            diversion_excluded_dispositions: def.diversion.excluded_dispositions.clone(),
            diversion_excluded_services: def.diversion.excluded_service_types.iter().fold(0, |m, s| m | 1 << *s as u16),
            diversion_ended_by: def.diversion.ended_by.clone(),
        }
    }

    /// Whether the record is a mental-health encounter under the definition.
    pub fn is_mental_health(&self, r: &OutcomeRecord) -> bool {
        self.all_encounters
            || (self.flagged && r.mental_health_flag == Some(true))
            || (self.recognised && r.mh_recognised_at_dispatch == Some(true))
            || (!self.call_types.is_empty()
                && (r.initial_call_type.is_some_and(|c| self.call_types.binary_search(&c).is_ok())
                    || r.final_call_type.is_some_and(|c| self.call_types.binary_search(&c).is_ok())))
            || self.call_sources.contains(&r.call_source)
            || self.response_models.contains(&r.response_model)
    }

    /// The numerator and denominator bits of every per-encounter measure (denominator of measure
    /// `i` at bit `i`, numerator at bit `NBIT + i`), without [`MH_BIT`] / [`ALL_BIT`].
    pub fn measure_bits(&self, r: &OutcomeRecord) -> u32 {
        let mut bits = 0u32;
        let mut set = |i: usize, den: bool, num: bool| {
            if den {
                bits |= 1 << i;
                if num {
                    bits |= 1 << (NBIT + i);
                }
            }
        };
        set(0, r.mh_recognised_at_dispatch.is_some(), r.mh_recognised_at_dispatch == Some(true));
        set(1, r.cit_requested == Some(true) && r.cit_arrived.is_some(), r.cit_arrived == Some(true));
        set(2, r.involuntary_hold.is_some(), r.involuntary_hold == Some(true));
        let diverted = r.arrested == Some(false)
            && !self.diversion_excluded_dispositions.contains(&r.disposition)
            && r.referral_services & self.diversion_excluded_services == 0
            && !self.diversion_ended_by.as_ref().is_some_and(|ends| ends.iter().any(|&e| diversion_ended(e, r)));
        set(3, r.arrested.is_some(), diverted);
        // A closed-loop referral is a referral made whose result is known (its state), confirmed
        // when the provider confirmed the connection within the definition's days.
        let referred = self.connection_dispositions.contains(&r.disposition)
            || (self.any_referral && (r.has_referral || r.loop_referral));
        set(4, r.disposition != Disposition::Unknown || r.has_referral || r.loop_referral, referred);
        let known_results = r.referral_results & !(1 << ReferralResult::Unknown as u16);
        let loop_confirmed = r.loop_connected_days.is_some_and(|d| u32::from(d) <= self.confirmed_within_days);
        set(
            5,
            (r.has_referral && known_results != 0) || r.loop_referral,
            r.referral_results & self.confirmed_results != 0 || loop_confirmed,
        );
        set(6, r.arrested.is_some(), r.arrested == Some(true));
        set(7, r.cited.is_some(), r.cited == Some(true));
        set(
            8,
            matches!(r.disposition, Disposition::Arrest | Disposition::ArrestDiverted),
            r.disposition == Disposition::ArrestDiverted,
        );
        let force_known = r.use_of_force != UseOfForce::Unknown;
        set(9, force_known, r.use_of_force.any_force() == Some(true));
        set(10, force_known, r.use_of_force == UseOfForce::RestraintOnly);
        set(11, force_known, r.use_of_force == UseOfForce::Level1);
        set(12, force_known, r.use_of_force == UseOfForce::Level2);
        set(13, force_known, r.use_of_force == UseOfForce::Level3);
        bits
    }
}

/// Whether `end` happened at the encounter (see [`DiversionEnd`]).
fn diversion_ended(end: DiversionEnd, r: &OutcomeRecord) -> bool {
    match end {
        DiversionEnd::Arrest => r.arrested == Some(true) || r.disposition == Disposition::Arrest,
        DiversionEnd::InvoluntaryHold => r.involuntary_hold == Some(true) || r.disposition == Disposition::InvoluntaryHold,
        DiversionEnd::EmergencyDepartment => r.referral_services & (1 << ServiceType::EmergencyDepartment as u16) != 0,
        DiversionEnd::Citation => r.cited == Some(true) || r.disposition == Disposition::Citation,
        DiversionEnd::VoluntaryTransport => r.disposition == Disposition::VoluntaryTransport,
    }
}
