//! The fields of the canonical record by name: what a mapping file may set, and how.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::codes::*;
use crate::encounter::{Encounter, Officer, Referral};

/// What kind of value a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// A list of texts; a mapping may split one column on a separator or take several columns.
    TextList,
    Bool,
    Integer,
    Decimal,
    DateTime,
    /// The occurrence: a date, a date and time, or a month / year.
    Occurrence,
    /// One of a canonical code list (named).
    Code(&'static str),
    /// A JSON array of structured items (officers, referrals): the lossless canonical CSV form.
    Json,
}

/// A typed value produced by a mapping for a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    List(Vec<String>),
    Bool(bool),
    Integer(i64),
    Decimal(f64),
    DateTime(NaiveDateTime),
    Occurrence { date: NaiveDate, time: Option<NaiveTime>, precision: DatePrecision },
    Json(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("no canonical field is named `{0}`")]
    UnknownField(String),
    #[error("field `{field}` takes {expected}, not {got}")]
    WrongKind { field: &'static str, expected: &'static str, got: &'static str },
    #[error(transparent)]
    Code(#[from] UnknownCode),
    #[error("field `{field}`: not a valid JSON list: {message}")]
    Json { field: &'static str, message: String },
    #[error("field `{field}`: {value} is out of range")]
    OutOfRange { field: &'static str, value: String },
    #[error("field `{0}` is not stored: the import makes the person key from it")]
    NotStored(&'static str),
}

macro_rules! fields {
    ($( $variant:ident = $name:literal : $kind:expr, $doc:literal; )+) => {
        /// A settable field of the canonical record.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field { $( #[doc = $doc] $variant, )+ }

        impl Field {
            pub const ALL: &'static [Field] = &[ $( Field::$variant, )+ ];
            pub fn name(self) -> &'static str { match self { $( Field::$variant => $name, )+ } }
            pub fn kind(self) -> FieldKind { match self { $( Field::$variant => $kind, )+ } }
            pub fn doc(self) -> &'static str { match self { $( Field::$variant => $doc, )+ } }
            pub fn from_name(name: &str) -> Result<Field, FieldError> {
                match name { $( $name => Ok(Field::$variant), )+ _ => Err(FieldError::UnknownField(name.to_string())) }
            }
        }
    };
}

fields! {
    SourceSystem = "source_system": FieldKind::Text, "The source system (defaults to the mapping's `source.system`).";
    SourceKey = "source_key": FieldKind::Text, "The source's own key (the mapping's `[key]` builds it).";
    SourceUpdatedAt = "source_updated_at": FieldKind::DateTime, "When the source last changed the record.";
    Agency = "agency": FieldKind::Text, "Agency that recorded the encounter.";
    CallNumber = "call_number": FieldKind::Text, "Call / incident number.";
    Occurred = "occurred": FieldKind::Occurrence, "When it occurred (date, date and time, or month).";
    ReportedAt = "reported_at": FieldKind::DateTime, "When the call was received.";
    DispatchedAt = "dispatched_at": FieldKind::DateTime, "When a unit was dispatched.";
    ArrivedAt = "arrived_at": FieldKind::DateTime, "When the first unit arrived.";
    ClearedAt = "cleared_at": FieldKind::DateTime, "When the last unit cleared.";
    Precinct = "precinct": FieldKind::Text, "Precinct / division.";
    Sector = "sector": FieldKind::Text, "Sector.";
    Beat = "beat": FieldKind::Text, "Beat / reporting area.";
    Latitude = "latitude": FieldKind::Decimal, "Latitude (WGS84).";
    Longitude = "longitude": FieldKind::Decimal, "Longitude (WGS84).";
    CallSource = "call_source": FieldKind::Code("call_source"), "911, 988 transfer, non-emergency, officer-initiated, other.";
    Priority = "priority": FieldKind::Text, "Dispatch priority as the source codes it.";
    InitialCallType = "initial_call_type": FieldKind::Text, "Call type at dispatch.";
    FinalCallType = "final_call_type": FieldKind::Text, "Call type at clearance.";
    MhRecognisedAtDispatch = "mh_recognised_at_dispatch": FieldKind::Bool, "Mental health recognised at dispatch.";
    MentalHealthFlag = "mental_health_flag": FieldKind::Bool, "The source flags a mental-health component.";
    ResponseModel = "response_model": FieldKind::Code("response_model"), "CIT, co-responder, case management, mobile crisis, standard patrol.";
    CitRequested = "cit_requested": FieldKind::Bool, "A CIT officer was requested.";
    CitDispatched = "cit_dispatched": FieldKind::Bool, "A CIT officer was dispatched.";
    CitArrived = "cit_arrived": FieldKind::Bool, "A CIT officer arrived.";
    ClinicianOnScene = "clinician_on_scene": FieldKind::Bool, "A clinician was on scene.";
    Officers = "officers": FieldKind::Json, "Every officer, as a JSON list of {id, years_experience, cit_certified} (canonical CSV).";
    OfficerId = "officer_id": FieldKind::Text, "The row's officer id (rows of one encounter add officers).";
    OfficerYearsExperience = "officer_years_experience": FieldKind::Integer, "The row's officer's years of experience.";
    OfficerCitCertified = "officer_cit_certified": FieldKind::Bool, "The row's officer is CIT certified.";
    TimeOnSceneMinutes = "time_on_scene_minutes": FieldKind::Integer, "Minutes on scene.";
    Disposition = "disposition": FieldKind::Code("disposition"), "How the encounter ended (canonical disposition).";
    Arrested = "arrested": FieldKind::Bool, "The person was arrested.";
    Cited = "cited": FieldKind::Bool, "The person was cited.";
    InvoluntaryHold = "involuntary_hold": FieldKind::Bool, "Involuntary hold / emergency detention.";
    Referrals = "referrals": FieldKind::Json, "Every referral, as a JSON list of {service_type, service, result} (canonical CSV).";
    ReferralServiceType = "referral_service_type": FieldKind::Code("service_type"), "The row's referral: type of service.";
    ReferralService = "referral_service": FieldKind::Text, "The row's referral: the service.";
    ReferralResult = "referral_result": FieldKind::Code("referral_result"), "The row's referral: its result.";
    UseOfForce = "use_of_force": FieldKind::Code("use_of_force"), "none, restraint_only, level_1..level_3.";
    ForceTypes = "force_types": FieldKind::TextList, "Force types as the source names them.";
    SubjectInjured = "subject_injured": FieldKind::Bool, "The subject was injured.";
    OfficerInjured = "officer_injured": FieldKind::Bool, "An officer was injured.";
    WeaponInvolved = "weapon_involved": FieldKind::Bool, "A weapon was involved.";
    Behaviours = "behaviours": FieldKind::TextList, "Behaviours observed.";
    Veteran = "veteran": FieldKind::Bool, "The subject is a veteran.";
    HousingStatus = "housing_status": FieldKind::Code("housing_status"), "housed, unstable, unhoused.";
    SubstanceUse = "substance_use": FieldKind::Bool, "Substance use involved.";
    SubjectKey = "subject_key": FieldKind::Text, "The person's id in the source (normalised and pseudonymised on import).";
    SubjectName = "subject_name": FieldKind::Text, "The person's name: with subject_birth_date, made into the person key when the row has no subject_key; never stored.";
    SubjectBirthDate = "subject_birth_date": FieldKind::DateTime, "The person's date of birth: with subject_name, made into the person key; never stored.";
    AgeBand = "age_band": FieldKind::Code("age_band"), "Subject age band.";
    SubjectAge = "subject_age": FieldKind::Integer, "Subject age in years: stored only as its age band.";
    Gender = "gender": FieldKind::Code("gender"), "Subject gender.";
    RaceEthnicity = "race_ethnicity": FieldKind::Code("race_ethnicity"), "Subject race / ethnicity.";
}

/// The canonical spelling of `value` (matched case-insensitively) in the named code list, without
/// allocating: the hot path of imports.
pub fn canonical_code(list: &str, value: &str) -> Option<&'static str> {
    fn find<C: CodeList>(v: &str) -> Option<&'static str> {
        C::ALL.iter().map(|c| c.as_str()).find(|c| c.eq_ignore_ascii_case(v))
    }
    match list {
        "call_source" => find::<CallSource>(value),
        "response_model" => find::<ResponseModel>(value),
        "disposition" => find::<Disposition>(value),
        "use_of_force" => find::<UseOfForce>(value),
        "service_type" => find::<ServiceType>(value),
        "referral_result" => find::<ReferralResult>(value),
        "housing_status" => find::<HousingStatus>(value),
        "age_band" => find::<AgeBand>(value),
        "gender" => find::<Gender>(value),
        "race_ethnicity" => find::<RaceEthnicity>(value),
        _ => None,
    }
}

/// The canonical codes of a named list (for validating mapping files).
pub fn codes_of(list: &str) -> Option<Vec<&'static str>> {
    fn all<C: CodeList>() -> Vec<&'static str> {
        C::ALL.iter().map(|c| c.as_str()).collect()
    }
    Some(match list {
        "call_source" => all::<CallSource>(),
        "response_model" => all::<ResponseModel>(),
        "disposition" => all::<Disposition>(),
        "use_of_force" => all::<UseOfForce>(),
        "service_type" => all::<ServiceType>(),
        "referral_result" => all::<ReferralResult>(),
        "housing_status" => all::<HousingStatus>(),
        "age_band" => all::<AgeBand>(),
        "gender" => all::<Gender>(),
        "race_ethnicity" => all::<RaceEthnicity>(),
        _ => return None,
    })
}

impl Value {
    fn kind_name(&self) -> &'static str {
        match self {
            Value::Text(_) => "text",
            Value::List(_) => "a list",
            Value::Bool(_) => "yes/no",
            Value::Integer(_) => "an integer",
            Value::Decimal(_) => "a number",
            Value::DateTime(_) => "a date-time",
            Value::Occurrence { .. } => "a date",
            Value::Json(_) => "JSON",
        }
    }
}

fn officer(e: &mut Encounter) -> &mut Officer {
    if e.officers.is_empty() {
        e.officers.push(Officer::default());
    }
    &mut e.officers[0]
}

fn referral(e: &mut Encounter) -> &mut Referral {
    if e.referrals.is_empty() {
        e.referrals.push(Referral::default());
    }
    &mut e.referrals[0]
}

impl Encounter {
    /// Set one field from a mapped value.
    pub fn set(&mut self, field: Field, value: Value) -> Result<(), FieldError> {
        let wrong = |expected: &'static str, v: &Value| FieldError::WrongKind { field: field.name(), expected, got: v.kind_name() };
        macro_rules! text {
            () => {
                match value {
                    Value::Text(s) => s,
                    Value::Integer(i) => i.to_string(),
                    v => return Err(wrong("text", &v)),
                }
            };
        }
        macro_rules! boolean {
            () => {
                match value {
                    Value::Bool(b) => b,
                    v => return Err(wrong("yes/no", &v)),
                }
            };
        }
        macro_rules! datetime {
            () => {
                match value {
                    Value::DateTime(t) => t,
                    Value::Occurrence { date, time, .. } => date.and_time(time.unwrap_or_default()),
                    v => return Err(wrong("a date-time", &v)),
                }
            };
        }
        macro_rules! code {
            ($t:ty) => {
                match value {
                    Value::Text(s) => s.parse::<$t>()?,
                    v => return Err(wrong("a code", &v)),
                }
            };
        }
        macro_rules! int {
            () => {
                match value {
                    Value::Integer(i) => i,
                    v => return Err(wrong("an integer", &v)),
                }
            };
        }
        macro_rules! decimal {
            () => {
                match value {
                    Value::Decimal(d) => d,
                    Value::Integer(i) => i as f64,
                    v => return Err(wrong("a number", &v)),
                }
            };
        }
        macro_rules! list {
            () => {
                match value {
                    Value::List(l) => l,
                    Value::Text(s) => vec![s],
                    v => return Err(wrong("a list", &v)),
                }
            };
        }
        macro_rules! json {
            ($t:ty) => {
                match value {
                    Value::Json(s) => serde_json::from_str::<Vec<$t>>(&s)
                        .map_err(|e| FieldError::Json { field: field.name(), message: e.to_string() })?,
                    v => return Err(wrong("JSON", &v)),
                }
            };
        }
        let range = |v: i64| FieldError::OutOfRange { field: field.name(), value: v.to_string() };
        match field {
            Field::SourceSystem => self.source_system = text!(),
            Field::SourceKey => self.source_key = text!(),
            Field::SourceUpdatedAt => self.source_updated_at = Some(datetime!()),
            Field::Agency => self.agency = Some(text!()),
            Field::CallNumber => self.call_number = Some(text!()),
            Field::Occurred => match value {
                Value::Occurrence { date, time, precision } => {
                    self.occurred_on = date;
                    self.occurred_time = time;
                    self.date_precision = precision;
                }
                Value::DateTime(t) => {
                    self.occurred_on = t.date();
                    self.occurred_time = Some(t.time());
                    self.date_precision = DatePrecision::Minute;
                }
                v => return Err(wrong("a date", &v)),
            },
            Field::ReportedAt => self.reported_at = Some(datetime!()),
            Field::DispatchedAt => self.dispatched_at = Some(datetime!()),
            Field::ArrivedAt => self.arrived_at = Some(datetime!()),
            Field::ClearedAt => self.cleared_at = Some(datetime!()),
            Field::Precinct => self.area.precinct = Some(text!()),
            Field::Sector => self.area.sector = Some(text!()),
            Field::Beat => self.area.beat = Some(text!()),
            Field::Latitude => self.area.latitude = Some(decimal!()),
            Field::Longitude => self.area.longitude = Some(decimal!()),
            Field::CallSource => self.call_source = code!(CallSource),
            Field::Priority => self.priority = Some(text!()),
            Field::InitialCallType => self.initial_call_type = Some(text!()),
            Field::FinalCallType => self.final_call_type = Some(text!()),
            Field::MhRecognisedAtDispatch => self.mh_recognised_at_dispatch = Some(boolean!()),
            Field::MentalHealthFlag => self.mental_health_flag = Some(boolean!()),
            Field::ResponseModel => self.response_model = code!(ResponseModel),
            Field::CitRequested => self.cit_requested = Some(boolean!()),
            Field::CitDispatched => self.cit_dispatched = Some(boolean!()),
            Field::CitArrived => self.cit_arrived = Some(boolean!()),
            Field::ClinicianOnScene => self.clinician_on_scene = Some(boolean!()),
            Field::Officers => self.officers.extend(json!(Officer)),
            Field::OfficerId => officer(self).id = Some(text!()),
            Field::OfficerYearsExperience => {
                let v = int!();
                officer(self).years_experience = Some(u16::try_from(v).ok().filter(|y| *y <= 70).ok_or_else(|| range(v))?);
            }
            Field::OfficerCitCertified => officer(self).cit_certified = Some(boolean!()),
            Field::TimeOnSceneMinutes => {
                let v = int!();
                self.time_on_scene_minutes = Some(u32::try_from(v).map_err(|_| range(v))?);
            }
            Field::Disposition => self.disposition = code!(Disposition),
            Field::Arrested => self.arrested = Some(boolean!()),
            Field::Cited => self.cited = Some(boolean!()),
            Field::InvoluntaryHold => self.involuntary_hold = Some(boolean!()),
            Field::Referrals => self.referrals.extend(json!(Referral)),
            Field::ReferralServiceType => referral(self).service_type = code!(ServiceType),
            Field::ReferralService => referral(self).service = Some(text!()),
            Field::ReferralResult => referral(self).result = code!(ReferralResult),
            Field::UseOfForce => self.use_of_force = code!(UseOfForce),
            Field::ForceTypes => self.force_types.extend(list!()),
            Field::SubjectInjured => self.subject_injured = Some(boolean!()),
            Field::OfficerInjured => self.officer_injured = Some(boolean!()),
            Field::WeaponInvolved => self.weapon_involved = Some(boolean!()),
            Field::Behaviours => self.behaviours.extend(list!()),
            Field::Veteran => self.veteran = Some(boolean!()),
            Field::HousingStatus => self.housing_status = code!(HousingStatus),
            Field::SubstanceUse => self.substance_use = Some(boolean!()),
            Field::SubjectKey => self.subject_key = Some(text!()),
            // Read by the import into the person key (pmhc_core::person), never set on a record.
            Field::SubjectName | Field::SubjectBirthDate => return Err(FieldError::NotStored(field.name())),
            Field::AgeBand => self.age_band = code!(AgeBand),
            Field::SubjectAge => {
                let v = int!();
                let band = u32::try_from(v).map(AgeBand::from_age).unwrap_or(AgeBand::Unknown);
                if band == AgeBand::Unknown {
                    return Err(range(v));
                }
                self.age_band = band;
            }
            Field::Gender => self.gender = code!(Gender),
            Field::RaceEthnicity => self.race_ethnicity = code!(RaceEthnicity),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip_and_code_fields_name_a_list() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()).unwrap(), *f);
            if let FieldKind::Code(list) = f.kind() {
                assert!(codes_of(list).is_some(), "{list}");
            }
        }
        assert!(Field::from_name("nope").is_err());
    }

    #[test]
    fn set_checks_kinds_and_codes() {
        let mut e = Encounter::new("t", "1", NaiveDate::from_ymd_opt(2020, 1, 1).unwrap());
        e.set(Field::Disposition, Value::Text("arrest".into())).unwrap();
        assert_eq!(e.disposition, Disposition::Arrest);
        assert!(matches!(e.set(Field::Disposition, Value::Text("jail".into())), Err(FieldError::Code(_))));
        assert!(matches!(e.set(Field::Arrested, Value::Text("yes".into())), Err(FieldError::WrongKind { .. })));
        e.set(Field::SubjectAge, Value::Integer(40)).unwrap();
        assert_eq!(e.age_band, AgeBand::A35To44);
        assert!(e.set(Field::SubjectAge, Value::Integer(-3)).is_err());
        e.set(Field::OfficerId, Value::Text("42".into())).unwrap();
        e.set(Field::OfficerYearsExperience, Value::Integer(7)).unwrap();
        assert_eq!(e.officers, vec![Officer { id: Some("42".into()), years_experience: Some(7), cit_certified: None }]);
        assert!(e.set(Field::OfficerYearsExperience, Value::Integer(-1)).is_err());
    }
}
