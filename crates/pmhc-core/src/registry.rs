//! What each field and each value of a record discloses: the one place that assigns every field
//! of [`Encounter`] and of the outcome engine's [`OutcomeRecord`] to its [`FieldGroup`], and that
//! says which *values* of other groups reveal substance use (42 CFR Part 2).
//!
//! Everything else is derived from here: [`withhold`] and [`withhold_outcome`] (what a viewer
//! sees of another partner's record), [`FieldGroup::keys`] (what the API leaves out), the detail
//! rows of the encounter page (checked against [`ENCOUNTER_FIELDS`] by a test). The field lists
//! below are exhaustive destructurings: a field added to `Encounter` or `OutcomeRecord` without a
//! group here stops the build.
//!
//! The list of `Encounter`'s fields below is also the one its digest, its canonical CSV and its
//! stored columns walk ([`Encounter::visit`], [`crate::visit`]).
//!
//! To add a field: add it to the struct, then one line `name: Some(Group)` (or `None` for the
//! envelope every visible record shows) to `encounter_fields!` below. To add a value that reveals
//! substance use: a word of the built-in vocabulary ([`SUBSTANCE_USE_WORDS`]) for every
//! installation, or a value in the shared definitions' `[disclosure]` section for one.

use crate::codes::ServiceType;
use crate::encounter::Encounter;
use crate::outcomes::{OutcomeRecord, Symbols};
use crate::sharing::{FieldGroup, FieldGroups};
use crate::visit::{ValueMut, ValueRef, Walk};

/// Blank `v` when its group is set and not visible.
fn blank<T: Default>(visible: FieldGroups, group: Option<FieldGroup>, v: &mut T) {
    if let Some(g) = group
        && !visible.contains(g)
    {
        *v = T::default();
    }
}

macro_rules! encounter_fields {
    ($( $field:ident : $group:expr ),+ $(,)?) => {
        /// Every field of [`Encounter`] (its JSON key) with the field group it belongs to; `None`
        /// for the envelope every visible record shows (what the record is: its keys, its date
        /// and its agency).
        pub const ENCOUNTER_FIELDS: &[(&str, Option<FieldGroup>)] = &[ $( (stringify!($field), $group) ),+ ];

        /// Blank every field of a group not in `visible` (no value rule: see [`withhold`]).
        fn blank_encounter(e: &mut Encounter, visible: FieldGroups) {
            // Exhaustive on purpose: a new field of `Encounter` must be given a group above.
            let Encounter { $( $field ),+ } = e;
            $( blank(visible, $group, $field); )+
        }

        impl Encounter {
            /// How many columns [`Encounter::visit`] walks (the area is five).
            pub const COLUMNS: usize = 0 $( + crate::visit::columns_of(|e: Encounter| e.$field) )+;

            /// Hand every column's value to `f`, in the order of the fields above (see
            /// [`crate::visit`]): the digest, the canonical CSV and the store's columns.
            pub fn visit<'a>(&'a self, mut f: impl FnMut(&'static str, ValueRef<'a>)) {
                let Encounter { $( $field ),+ } = self;
                $( Walk::walk($field, stringify!($field), &mut f); )+
            }

            /// Hand the list-valued columns (officers, referrals, lists of texts) to `f`, in the
            /// same order: [`Encounter::visit`] without the others.
            pub fn visit_lists<'a>(&'a self, mut f: impl FnMut(&'static str, ValueRef<'a>)) {
                let Encounter { $( $field ),+ } = self;
                $( Walk::walk_lists($field, stringify!($field), &mut f); )+
            }

            /// Hand every column's value to `f` to set, in the same order (reading a record
            /// back); the first error stops the walk.
            pub fn visit_mut<E>(&mut self, mut f: impl FnMut(&'static str, ValueMut<'_>) -> Result<(), E>) -> Result<(), E> {
                let Encounter { $( $field ),+ } = self;
                $( Walk::walk_mut($field, stringify!($field), &mut f)?; )+
                Ok(())
            }
        }
    };
}

macro_rules! outcome_fields {
    ($( $field:ident : $group:expr ),+ $(,)?) => {
        /// Every field of the outcome engine's [`OutcomeRecord`] with its field group (`None`:
        /// the envelope — the owning partner, the date, the agency).
        pub const OUTCOME_FIELDS: &[(&str, Option<FieldGroup>)] = &[ $( (stringify!($field), $group) ),+ ];

        fn blank_outcome(r: &mut OutcomeRecord, visible: FieldGroups) {
            // Exhaustive on purpose: a new field of `OutcomeRecord` must be given a group above.
            let OutcomeRecord { $( $field ),+ } = r;
            $( blank(visible, $group, $field); )+
        }
    };
}

use FieldGroup::{AreaAndTime, Demographics, IncidentDetails, MentalHealthDetails, SubjectIdentity, SubstanceUseDetails};

encounter_fields! {
    source_system: None,
    source_key: None,
    source_updated_at: Some(IncidentDetails),
    agency: None,
    call_number: Some(IncidentDetails),
    occurred_on: None,
    occurred_time: Some(AreaAndTime),
    date_precision: None,
    reported_at: Some(IncidentDetails),
    dispatched_at: Some(IncidentDetails),
    arrived_at: Some(IncidentDetails),
    cleared_at: Some(IncidentDetails),
    area: Some(AreaAndTime),
    call_source: Some(IncidentDetails),
    priority: Some(IncidentDetails),
    initial_call_type: Some(IncidentDetails),
    final_call_type: Some(IncidentDetails),
    mh_recognised_at_dispatch: Some(MentalHealthDetails),
    mental_health_flag: Some(MentalHealthDetails),
    response_model: Some(IncidentDetails),
    cit_requested: Some(IncidentDetails),
    cit_dispatched: Some(IncidentDetails),
    cit_arrived: Some(IncidentDetails),
    clinician_on_scene: Some(IncidentDetails),
    officers: Some(IncidentDetails),
    time_on_scene_minutes: Some(IncidentDetails),
    disposition: Some(IncidentDetails),
    arrested: Some(IncidentDetails),
    cited: Some(IncidentDetails),
    involuntary_hold: Some(MentalHealthDetails),
    referrals: Some(IncidentDetails),
    use_of_force: Some(IncidentDetails),
    force_types: Some(IncidentDetails),
    subject_injured: Some(IncidentDetails),
    officer_injured: Some(IncidentDetails),
    weapon_involved: Some(IncidentDetails),
    behaviours: Some(MentalHealthDetails),
    veteran: Some(Demographics),
    housing_status: Some(Demographics),
    substance_use: Some(SubstanceUseDetails),
    subject_key: Some(SubjectIdentity),
    age_band: Some(Demographics),
    gender: Some(Demographics),
    race_ethnicity: Some(Demographics),
}

outcome_fields! {
    partner: None,
    occurred_on: None,
    date_precision: None,
    agency: None,
    precinct: Some(AreaAndTime),
    sector: Some(AreaAndTime),
    beat: Some(AreaAndTime),
    initial_call_type: Some(IncidentDetails),
    final_call_type: Some(IncidentDetails),
    call_source: Some(IncidentDetails),
    mh_recognised_at_dispatch: Some(MentalHealthDetails),
    mental_health_flag: Some(MentalHealthDetails),
    response_model: Some(IncidentDetails),
    cit_requested: Some(IncidentDetails),
    cit_arrived: Some(IncidentDetails),
    cit_present: Some(IncidentDetails),
    time_on_scene_minutes: Some(IncidentDetails),
    disposition: Some(IncidentDetails),
    arrested: Some(IncidentDetails),
    cited: Some(IncidentDetails),
    involuntary_hold: Some(MentalHealthDetails),
    has_referral: Some(IncidentDetails),
    referral_results: Some(IncidentDetails),
    referral_services: Some(IncidentDetails),
    loop_referral: Some(IncidentDetails),
    loop_connected_days: Some(IncidentDetails),
    use_of_force: Some(IncidentDetails),
    subject: Some(SubjectIdentity),
    age_band: Some(Demographics),
    gender: Some(Demographics),
    race_ethnicity: Some(Demographics),
}

/// The group of an encounter field by its JSON key: `Some(None)` for the envelope, `None` for no
/// such field.
pub fn group_of(key: &str) -> Option<Option<FieldGroup>> {
    ENCOUNTER_FIELDS.iter().find(|(k, _)| *k == key).map(|(_, g)| *g)
}

/// The encounter's JSON keys in `group`.
pub fn keys_of(group: FieldGroup) -> impl Iterator<Item = &'static str> {
    ENCOUNTER_FIELDS.iter().filter(move |(_, g)| *g == Some(group)).map(|(k, _)| *k)
}

/// Words that reveal substance use wherever they appear in a call type, a behaviour or a
/// service's name (compared in upper case, as whole words; a word ending in `*` matches every
/// word it begins). The built-in vocabulary every installation withholds.
pub const SUBSTANCE_USE_WORDS: &[&str] = &[
    "INTOX*", "INEBRIAT*", "DRUNK*", "ALCOHOL*", "LIQUOR", "DRUG", "DRUGS", "NARCOTIC*", "SUBSTANCE*", "OVERDOS*", "OD",
    "DETOX*", "WITHDRAWAL", "OPIOID*", "OPIATE*", "HEROIN", "FENTANYL", "METH", "METHAMPHETAMINE", "COCAINE", "NALOXONE",
    "NARCAN", "DUI", "DWI", "SUD",
];

/// Phrases that reveal substance use (compared in upper case, words separated by single spaces).
pub const SUBSTANCE_USE_PHRASES: &[&str] = &["UNDER THE INFLUENCE"];

/// The values that reveal substance use beyond the `substance_use` field: the built-in vocabulary
/// plus the values a partnership names in its shared definitions (`[disclosure]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SensitiveValues {
    /// Extra values, trimmed and in upper case, matched whole.
    extra: Vec<String>,
}

impl SensitiveValues {
    /// The built-in vocabulary and `extra` (e.g. a CAD code such as `SU1`).
    pub fn new<S: AsRef<str>>(extra: &[S]) -> SensitiveValues {
        let mut extra: Vec<String> = extra.iter().map(|s| normalise(s.as_ref())).filter(|s| !s.is_empty()).collect();
        extra.sort();
        extra.dedup();
        SensitiveValues { extra }
    }

    /// Whether a text value (a call type, a behaviour, a service's name) reveals substance use.
    pub fn reveals_substance_use(&self, text: &str) -> bool {
        let t = normalise(text);
        if t.is_empty() {
            return false;
        }
        if self.extra.iter().any(|x| *x == t) {
            return true;
        }
        let words: Vec<&str> = t.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let word_hit = words.iter().any(|w| {
            SUBSTANCE_USE_WORDS.iter().any(|v| match v.strip_suffix('*') {
                Some(prefix) => w.starts_with(prefix),
                None => w == v,
            })
        });
        word_hit || {
            let joined = words.join(" ");
            SUBSTANCE_USE_PHRASES.iter().any(|p| joined.contains(p))
        }
    }

    /// The symbols of `symbols` that reveal substance use (for the outcome engine's call types).
    pub fn symbols(&self, symbols: &Symbols) -> Vec<bool> {
        (0..symbols.len()).map(|i| self.reveals_substance_use(symbols.name(i as crate::outcomes::Sym))).collect()
    }
}

fn normalise(s: &str) -> String {
    s.trim().to_uppercase()
}

impl ServiceType {
    /// The field group a referral to this type of service reveals beyond the referral itself.
    pub fn reveals(self) -> Option<FieldGroup> {
        match self {
            ServiceType::Detox | ServiceType::SubstanceUseTreatment => Some(SubstanceUseDetails),
            _ => None,
        }
    }
}

/// The referral service-type bits of [`OutcomeRecord::referral_services`] that reveal substance use.
fn substance_use_service_bits() -> u16 {
    <ServiceType as crate::CodeList>::ALL
        .iter()
        .filter(|s| s.reveals() == Some(SubstanceUseDetails))
        .fold(0u16, |b, s| b | (1u16 << (*s as usize)))
}

/// Blank every field of `e` whose group is not in `visible`, and — unless substance-use details
/// are visible — every value of another group that reveals substance use: such behaviours are
/// left out, such call types read as not known, a referral to such a service keeps its result but
/// not its type or the service's name. The record's key, date and agency stay: they are what the
/// record is.
pub fn withhold(e: &mut Encounter, visible: FieldGroups, sensitive: &SensitiveValues) {
    blank_encounter(e, visible);
    if visible.contains(SubstanceUseDetails) {
        return;
    }
    let reveals = |v: &Option<String>| v.as_deref().is_some_and(|t| sensitive.reveals_substance_use(t));
    if reveals(&e.initial_call_type) {
        e.initial_call_type = None;
    }
    if reveals(&e.final_call_type) {
        e.final_call_type = None;
    }
    e.behaviours.retain(|b| !sensitive.reveals_substance_use(b));
    for r in &mut e.referrals {
        if r.service_type.reveals().is_some() || reveals(&r.service) {
            r.service_type = ServiceType::Unknown;
            r.service = None;
        }
    }
}

/// The same for the outcome engine's compact record. `sensitive_symbols[s]` says whether symbol
/// `s` reveals substance use ([`SensitiveValues::symbols`]).
pub fn withhold_outcome(r: &mut OutcomeRecord, visible: FieldGroups, sensitive_symbols: &[bool]) {
    blank_outcome(r, visible);
    if visible.contains(SubstanceUseDetails) {
        return;
    }
    if reveals_symbol(r.initial_call_type, sensitive_symbols) {
        r.initial_call_type = None;
    }
    if reveals_symbol(r.final_call_type, sensitive_symbols) {
        r.final_call_type = None;
    }
    r.referral_services &= !substance_use_service_bits();
}

fn reveals_symbol(s: Option<crate::outcomes::Sym>, sensitive_symbols: &[bool]) -> bool {
    s.is_some_and(|s| sensitive_symbols.get(s as usize).copied().unwrap_or(false))
}

/// Whether [`withhold_outcome`] may change `r` (without copying it): true whenever a group other
/// than substance use is hidden (its fields may be set), otherwise exactly when a value reveals
/// substance use to a viewer without it.
pub fn would_withhold_outcome(r: &OutcomeRecord, visible: FieldGroups, sensitive_symbols: &[bool]) -> bool {
    if visible.with(SubstanceUseDetails) != FieldGroups::ALL {
        return true;
    }
    !visible.contains(SubstanceUseDetails)
        && (reveals_symbol(r.initial_call_type, sensitive_symbols)
            || reveals_symbol(r.final_call_type, sensitive_symbols)
            || r.referral_services & substance_use_service_bits() != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::*;
    use chrono::NaiveDate;
    use serde_json::{Value, json};

    /// A value for every field of the record (a field without one fails this test: give it one).
    fn sample(key: &str) -> Value {
        match key {
            "source_system" => json!("cad-2"),
            "source_key" => json!("K-2"),
            "agency" => json!("City PD"),
            "occurred_on" => json!("2021-05-06"),
            "date_precision" => json!("month"),
            "source_updated_at" | "reported_at" | "dispatched_at" | "arrived_at" | "cleared_at" => json!("2021-03-04T10:11:12"),
            "occurred_time" => json!("10:11:12"),
            "area" => json!({"precinct": "P-SECRET", "sector": "S", "beat": "B", "latitude": 1.5, "longitude": 2.5}),
            "call_source" => json!("988_transfer"),
            "priority" | "call_number" | "initial_call_type" | "final_call_type" | "subject_key" => json!(format!("{key}-SECRET")),
            "officers" => json!([{"id": "O-SECRET", "years_experience": 3, "cit_certified": true}]),
            "time_on_scene_minutes" => json!(42),
            "response_model" => json!("co_responder"),
            "disposition" => json!("arrest"),
            "referrals" => json!([{"service_type": "housing", "service": "Shelter", "result": "connected"}]),
            "use_of_force" => json!("level_2"),
            "force_types" | "behaviours" => json!([format!("{key}-SECRET")]),
            "housing_status" => json!("unhoused"),
            "age_band" => json!("25_34"),
            "gender" => json!("female"),
            "race_ethnicity" => json!("asian"),
            k if k.ends_with("_at") => json!("2021-03-04T10:11:12"),
            _ => json!(true), // the yes/no fields
        }
    }

    fn all_sets() -> impl Iterator<Item = FieldGroups> {
        (0u8..64).map(|b| FieldGroup::ALL.iter().filter(|g| b & (1 << (**g as u8)) != 0).fold(FieldGroups::NONE, |s, g| s.with(*g)))
    }

    /// For every field and every set of visible groups: a record carrying only that field shows
    /// it exactly when its group is visible, and shows nothing of it otherwise.
    #[test]
    fn withholding_walks_every_field_and_every_view() {
        let blank = serde_json::to_value(Encounter::new("cad", "K-1", NaiveDate::from_ymd_opt(2021, 3, 4).unwrap())).unwrap();
        let none = SensitiveValues::default();
        for (key, group) in ENCOUNTER_FIELDS {
            let mut j = blank.clone();
            j[*key] = sample(key);
            let e: Encounter = serde_json::from_value(j.clone()).unwrap_or_else(|err| panic!("{key}: {err}"));
            assert_ne!(serde_json::to_value(&e).unwrap()[*key], blank[*key], "{key}: the sample differs from not known");
            for visible in all_sets() {
                let mut seen = e.clone();
                withhold(&mut seen, visible, &none);
                let shown = serde_json::to_value(&seen).unwrap();
                let expected = match group {
                    Some(g) if !visible.contains(*g) => &blank[*key],
                    _ => &j[*key],
                };
                assert_eq!(&shown[*key], expected, "{key} seen through {}", visible.to_list());
                // Nothing else changes.
                for (other, _) in ENCOUNTER_FIELDS.iter().filter(|(k, _)| k != key) {
                    assert_eq!(shown[*other], blank[*other], "{other} while withholding {key}");
                }
            }
        }
    }

    /// The outcome engine's record: withholding a set of groups changes exactly the fields of the
    /// hidden groups, for every set.
    #[test]
    fn outcome_withholding_walks_every_field() {
        let full = OutcomeRecord {
            partner: 2,
            occurred_on: NaiveDate::from_ymd_opt(2021, 3, 4).unwrap(),
            date_precision: DatePrecision::Day,
            agency: Some(1),
            precinct: Some(2),
            sector: Some(3),
            beat: Some(4),
            initial_call_type: Some(5),
            final_call_type: Some(6),
            call_source: CallSource::Transfer988,
            mh_recognised_at_dispatch: Some(true),
            mental_health_flag: Some(true),
            response_model: ResponseModel::CoResponder,
            cit_requested: Some(true),
            cit_arrived: Some(true),
            cit_present: Some(true),
            time_on_scene_minutes: Some(9),
            disposition: Disposition::Arrest,
            arrested: Some(true),
            cited: Some(true),
            involuntary_hold: Some(true),
            has_referral: true,
            referral_results: 1,
            referral_services: 1 << (ServiceType::Housing as usize),
            loop_referral: true,
            loop_connected_days: Some(3),
            use_of_force: UseOfForce::Level2,
            subject: Some(7),
            age_band: AgeBand::A25To34,
            gender: Gender::Female,
            race_ethnicity: RaceEthnicity::Asian,
        };
        let fj = serde_json::to_value(&full).unwrap();
        assert_eq!(fj.as_object().unwrap().len(), OUTCOME_FIELDS.len());
        for visible in all_sets() {
            let mut r = full.clone();
            withhold_outcome(&mut r, visible, &[]);
            if !would_withhold_outcome(&full, visible, &[]) {
                assert_eq!(r, full, "said unchanged through {}", visible.to_list());
            }
            let rj = serde_json::to_value(&r).unwrap();
            for (key, group) in OUTCOME_FIELDS {
                let hidden = group.is_some_and(|g| !visible.contains(g));
                assert_eq!(rj[*key] != fj[*key], hidden, "{key} through {}", visible.to_list());
            }
        }
    }

    #[test]
    fn the_vocabulary_finds_substance_use_and_nothing_else() {
        let v = SensitiveValues::new(&["su1 "]);
        for yes in ["Intoxicated / under the influence", "OVERDOSE", "overdose - opioid", "Drug activity", "DETOX", "Alcohol", "SU1", "od", "Narcan given"] {
            assert!(v.reveals_substance_use(yes), "{yes}");
        }
        for no in ["PERSON IN CRISIS", "SUICIDE", "Method", "Odd behaviour", "Disoriented", "", "Shelter", "Under the bridge"] {
            assert!(!v.reveals_substance_use(no), "{no}");
        }
        assert!(!SensitiveValues::default().reveals_substance_use("SU1"), "a partnership's own value only where it is named");
    }

    /// Every value that reveals substance use, alone on a record, is gone for a viewer who sees
    /// every other group, and stays for one who sees substance use too.
    #[test]
    fn values_that_reveal_substance_use_are_withheld_with_it() {
        let sensitive = SensitiveValues::new(&["SU1"]);
        let day = NaiveDate::from_ymd_opt(2021, 3, 4).unwrap();
        let cases: Vec<(&str, Box<dyn Fn(&mut Encounter)>)> = vec![
            ("Intoxicated", Box::new(|e: &mut Encounter| e.behaviours = vec!["Agitated".into(), "Intoxicated / under the influence".into()])),
            ("OVERDOSE", Box::new(|e: &mut Encounter| e.initial_call_type = Some("OVERDOSE".into()))),
            ("OVERDOSE", Box::new(|e: &mut Encounter| e.final_call_type = Some("overdose".into()))),
            ("SU1", Box::new(|e: &mut Encounter| e.final_call_type = Some("su1".into()))),
            ("detox", Box::new(|e: &mut Encounter| {
                e.referrals = vec![crate::Referral { service_type: ServiceType::Detox, service: None, result: ReferralResult::Connected }]
            })),
            ("substance_use_treatment", Box::new(|e: &mut Encounter| {
                e.referrals = vec![crate::Referral { service_type: ServiceType::SubstanceUseTreatment, service: None, result: ReferralResult::Made }]
            })),
            ("Detox Centre", Box::new(|e: &mut Encounter| {
                e.referrals = vec![crate::Referral { service_type: ServiceType::Other, service: Some("East Detox Centre".into()), result: ReferralResult::Made }]
            })),
        ];
        let all_but = FieldGroups::ALL.without(SubstanceUseDetails);
        for (marker, set) in &cases {
            let mut e = Encounter::new("cad", "K", day);
            set(&mut e);
            let mut seen = e.clone();
            withhold(&mut seen, all_but, &sensitive);
            let text = serde_json::to_string(&seen).unwrap().to_lowercase();
            assert!(!text.contains(&marker.to_lowercase()), "{marker} shows without substance-use details: {text}");
            let mut consented = e.clone();
            withhold(&mut consented, FieldGroups::ALL, &sensitive);
            assert_eq!(consented, e, "{marker}: shown in full with substance-use details");
        }
        // A referral keeps its result: a referral was made, to a service not known.
        let mut e = Encounter::new("cad", "K", day);
        e.referrals = vec![crate::Referral { service_type: ServiceType::Detox, service: Some("Detox".into()), result: ReferralResult::Connected }];
        withhold(&mut e, all_but, &sensitive);
        assert_eq!(e.referrals[0].service_type, ServiceType::Unknown);
        assert_eq!(e.referrals[0].result, ReferralResult::Connected);
        assert_eq!(e.behaviours.len(), 0);
    }

    #[test]
    fn outcome_records_lose_revealing_call_types_and_services() {
        let mut symbols = Symbols::with_capacity(4, 64);
        let crisis = symbols.intern("PERSON IN CRISIS");
        let od = symbols.intern("OVERDOSE");
        let flags = SensitiveValues::default().symbols(&symbols);
        let mut r = OutcomeRecord {
            partner: 2,
            occurred_on: NaiveDate::from_ymd_opt(2021, 3, 4).unwrap(),
            date_precision: DatePrecision::Day,
            agency: None,
            precinct: None,
            sector: None,
            beat: None,
            initial_call_type: Some(crisis),
            final_call_type: Some(od),
            call_source: CallSource::Unknown,
            mh_recognised_at_dispatch: None,
            mental_health_flag: None,
            response_model: ResponseModel::Unknown,
            cit_requested: None,
            cit_arrived: None,
            cit_present: None,
            time_on_scene_minutes: None,
            disposition: Disposition::Unknown,
            arrested: None,
            cited: None,
            involuntary_hold: None,
            has_referral: true,
            referral_results: 0,
            referral_services: (1 << (ServiceType::Detox as usize)) | (1 << (ServiceType::Housing as usize)),
            loop_referral: false,
            loop_connected_days: None,
            use_of_force: UseOfForce::Unknown,
            subject: None,
            age_band: AgeBand::Unknown,
            gender: Gender::Unknown,
            race_ethnicity: RaceEthnicity::Unknown,
        };
        let own = r.clone();
        let mut mine = own.clone();
        withhold_outcome(&mut mine, FieldGroups::ALL, &flags);
        assert_eq!(mine, own, "the owner's report keeps everything");
        assert!(!would_withhold_outcome(&own, FieldGroups::ALL, &flags));
        assert!(would_withhold_outcome(&own, FieldGroups::ALL.without(SubstanceUseDetails), &flags), "the overdose call type");
        withhold_outcome(&mut r, FieldGroups::ALL.without(SubstanceUseDetails), &flags);
        assert_eq!((r.initial_call_type, r.final_call_type), (Some(crisis), None));
        assert_eq!(r.referral_services, 1 << (ServiceType::Housing as usize));
        assert!(r.has_referral, "a referral was still made");
    }
}
