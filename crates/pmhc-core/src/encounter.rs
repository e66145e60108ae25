//! The canonical encounter record: one contact between responders and one person in (possible)
//! mental-health crisis, whatever system it came from.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::codes::*;

/// Where the encounter happened. Area codes are kept as the source spells them (trimmed);
/// junk values are removed by the mapping, never guessed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Area {
    pub precinct: Option<String>,
    pub sector: Option<String>,
    pub beat: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// An officer who took part in the encounter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Officer {
    pub id: Option<String>,
    pub years_experience: Option<u16>,
    pub cit_certified: Option<bool>,
}

/// A referral made at the encounter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Referral {
    pub service_type: ServiceType,
    pub service: Option<String>,
    pub result: ReferralResult,
}

/// The canonical encounter record. Everything is optional except the keys (`source_system`,
/// `source_key`, unique together) and the occurrence date. `None` and the `Unknown` codes mean
/// "the source did not say".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Encounter {
    /// The system the record came from (a mapping's `source.system`, or `pmhc` for field entry).
    pub source_system: String,
    /// The source's own key for this encounter (one person, one event).
    pub source_key: String,
    /// When the source last changed this record, if it says; used so that a stale version never
    /// overwrites a newer one.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "2023-05-01T14:03:00"))]
    pub source_updated_at: Option<NaiveDateTime>,
    pub agency: Option<String>,
    pub call_number: Option<String>,
    /// The day the encounter occurred (the first day of the month or year when only those are known).
    pub occurred_on: NaiveDate,
    /// The time of day, when known.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "14:03:00"))]
    pub occurred_time: Option<NaiveTime>,
    #[serde(default)]
    pub date_precision: DatePrecision,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "2023-05-01T14:03:00"))]
    pub reported_at: Option<NaiveDateTime>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "2023-05-01T14:03:00"))]
    pub dispatched_at: Option<NaiveDateTime>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "2023-05-01T14:03:00"))]
    pub arrived_at: Option<NaiveDateTime>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "2023-05-01T14:03:00"))]
    pub cleared_at: Option<NaiveDateTime>,
    #[serde(default)]
    pub area: Area,
    #[serde(default)]
    pub call_source: CallSource,
    pub priority: Option<String>,
    pub initial_call_type: Option<String>,
    pub final_call_type: Option<String>,
    /// Whether dispatch recognised a mental-health component when the call came in.
    pub mh_recognised_at_dispatch: Option<bool>,
    /// Whether the source flags a mental-health component at all (e.g. "mentally unstable").
    pub mental_health_flag: Option<bool>,
    #[serde(default)]
    pub response_model: ResponseModel,
    pub cit_requested: Option<bool>,
    pub cit_dispatched: Option<bool>,
    pub cit_arrived: Option<bool>,
    pub clinician_on_scene: Option<bool>,
    #[serde(default)]
    pub officers: Vec<Officer>,
    pub time_on_scene_minutes: Option<u32>,
    #[serde(default)]
    pub disposition: Disposition,
    /// Arrest, citation and involuntary hold are also kept as yes/no/unknown flags because sources
    /// often code them apart from the disposition; [`Encounter::normalize`] fills them from the
    /// disposition when the source did not.
    pub arrested: Option<bool>,
    pub cited: Option<bool>,
    pub involuntary_hold: Option<bool>,
    #[serde(default)]
    pub referrals: Vec<Referral>,
    #[serde(default)]
    pub use_of_force: UseOfForce,
    /// The force types as the source names them (e.g. "Taser", "Takedown - Arm").
    #[serde(default)]
    pub force_types: Vec<String>,
    pub subject_injured: Option<bool>,
    pub officer_injured: Option<bool>,
    pub weapon_involved: Option<bool>,
    #[serde(default)]
    pub behaviours: Vec<String>,
    pub veteran: Option<bool>,
    #[serde(default)]
    pub housing_status: HousingStatus,
    pub substance_use: Option<bool>,
    /// Pseudonymous key of the person (never a name): for repeat encounters.
    pub subject_key: Option<String>,
    #[serde(default)]
    pub age_band: AgeBand,
    #[serde(default)]
    pub gender: Gender,
    #[serde(default)]
    pub race_ethnicity: RaceEthnicity,
}

/// A rule an encounter breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEncounter {
    #[error("the source key is empty")]
    EmptySourceKey,
    #[error("the source system is empty")]
    EmptySourceSystem,
    #[error("latitude {0} is outside -90..90")]
    Latitude(String),
    #[error("longitude {0} is outside -180..180")]
    Longitude(String),
    #[error("{field} ({later}) is before {earlier_field} ({earlier})")]
    TimesOutOfOrder { field: &'static str, later: NaiveDateTime, earlier_field: &'static str, earlier: NaiveDateTime },
    #[error("occurrence year {0} is outside 1900..2100")]
    Year(i32),
    #[error("{0} contains a NUL character (U+0000)")]
    Nul(&'static str),
    #[error(transparent)]
    TooLong(#[from] crate::limits::TooLong),
    #[error("{field} has {items} items; the limit is {limit}")]
    TooManyItems { field: &'static str, items: usize, limit: usize },
}

impl Encounter {
    /// A record with only its keys and date set; everything else unknown.
    pub fn new(source_system: impl Into<String>, source_key: impl Into<String>, occurred_on: NaiveDate) -> Self {
        Encounter {
            source_system: source_system.into(),
            source_key: source_key.into(),
            source_updated_at: None,
            agency: None,
            call_number: None,
            occurred_on,
            occurred_time: None,
            date_precision: DatePrecision::Day,
            reported_at: None,
            dispatched_at: None,
            arrived_at: None,
            cleared_at: None,
            area: Area::default(),
            call_source: CallSource::Unknown,
            priority: None,
            initial_call_type: None,
            final_call_type: None,
            mh_recognised_at_dispatch: None,
            mental_health_flag: None,
            response_model: ResponseModel::Unknown,
            cit_requested: None,
            cit_dispatched: None,
            cit_arrived: None,
            clinician_on_scene: None,
            officers: Vec::new(),
            time_on_scene_minutes: None,
            disposition: Disposition::Unknown,
            arrested: None,
            cited: None,
            involuntary_hold: None,
            referrals: Vec::new(),
            use_of_force: UseOfForce::Unknown,
            force_types: Vec::new(),
            subject_injured: None,
            officer_injured: None,
            weapon_involved: None,
            behaviours: Vec::new(),
            veteran: None,
            housing_status: HousingStatus::Unknown,
            substance_use: None,
            subject_key: None,
            age_band: AgeBand::Unknown,
            gender: Gender::Unknown,
            race_ethnicity: RaceEthnicity::Unknown,
        }
    }

    /// The occurrence as a date-time when the time of day is known.
    pub fn occurred_at(&self) -> Option<NaiveDateTime> {
        self.occurred_time.map(|t| self.occurred_on.and_time(t))
    }

    /// Fill what follows from what the source said, without guessing:
    /// - arrest / citation / involuntary-hold flags from a known disposition;
    /// - time on scene from arrival and clearance times;
    /// - the date precision from the presence of a time;
    /// - officers, force types and behaviours sorted and de-duplicated.
    pub fn normalize(&mut self) {
        if self.disposition != Disposition::Unknown {
            let d = self.disposition;
            self.arrested.get_or_insert(d == Disposition::Arrest);
            self.cited.get_or_insert(d == Disposition::Citation);
            self.involuntary_hold.get_or_insert(d == Disposition::InvoluntaryHold);
        }
        if self.time_on_scene_minutes.is_none()
            && let (Some(a), Some(c)) = (self.arrived_at, self.cleared_at)
        {
            let m = (c - a).num_minutes();
            if m >= 0 {
                self.time_on_scene_minutes = u32::try_from(m).ok();
            }
        }
        if self.occurred_time.is_some() {
            self.date_precision = DatePrecision::Minute;
        } else if self.date_precision == DatePrecision::Minute {
            self.date_precision = DatePrecision::Day;
        }
        match self.date_precision {
            DatePrecision::Month => self.occurred_on = self.occurred_on.with_day(1).unwrap_or(self.occurred_on),
            DatePrecision::Year => {
                self.occurred_on = NaiveDate::from_ymd_opt(self.occurred_on.year(), 1, 1).unwrap_or(self.occurred_on)
            }
            _ => {}
        }
        dedup_officers(&mut self.officers);
        self.referrals.dedup();
        sort_dedup(&mut self.force_types);
        sort_dedup(&mut self.behaviours);
    }

    /// Check the rules every stored encounter obeys.
    pub fn validate(&self) -> Result<(), InvalidEncounter> {
        // No text holds NUL (PostgreSQL cannot store it, and no source means it), and none is
        // over its limit (see `limits`).
        let lists: [(&'static str, usize); 4] = [
            ("officers", self.officers.len()),
            ("referrals", self.referrals.len()),
            ("force_types", self.force_types.len()),
            ("behaviours", self.behaviours.len()),
        ];
        if let Some((field, items)) = lists.iter().find(|(_, n)| *n > crate::limits::LIST_ITEMS) {
            return Err(InvalidEncounter::TooManyItems { field, items: *items, limit: crate::limits::LIST_ITEMS });
        }
        let one = |f: &'static str, s: &str| -> Result<(), InvalidEncounter> {
            if s.contains('\0') {
                return Err(InvalidEncounter::Nul(f));
            }
            crate::limits::check(f, s)?;
            Ok(())
        };
        let opt = |f: &'static str, s: &Option<String>| s.as_deref().map_or(Ok(()), |s| one(f, s));
        one("source_system", &self.source_system)?;
        one("source_key", &self.source_key)?;
        opt("agency", &self.agency)?;
        opt("call_number", &self.call_number)?;
        opt("precinct", &self.area.precinct)?;
        opt("sector", &self.area.sector)?;
        opt("beat", &self.area.beat)?;
        opt("priority", &self.priority)?;
        opt("initial_call_type", &self.initial_call_type)?;
        opt("final_call_type", &self.final_call_type)?;
        for o in &self.officers {
            opt("officers", &o.id)?;
        }
        for r in &self.referrals {
            opt("referrals", &r.service)?;
        }
        for f in &self.force_types {
            one("force_types", f)?;
        }
        for b in &self.behaviours {
            one("behaviours", b)?;
        }
        opt("subject_key", &self.subject_key)?;
        if self.source_system.trim().is_empty() {
            return Err(InvalidEncounter::EmptySourceSystem);
        }
        if self.source_key.trim().is_empty() {
            return Err(InvalidEncounter::EmptySourceKey);
        }
        let y = self.occurred_on.year();
        if !(1900..2100).contains(&y) {
            return Err(InvalidEncounter::Year(y));
        }
        if let Some(lat) = self.area.latitude
            && !(-90.0..=90.0).contains(&lat)
        {
            return Err(InvalidEncounter::Latitude(lat.to_string()));
        }
        if let Some(lon) = self.area.longitude
            && !(-180.0..=180.0).contains(&lon)
        {
            return Err(InvalidEncounter::Longitude(lon.to_string()));
        }
        let order = [
            ("reported_at", self.reported_at),
            ("dispatched_at", self.dispatched_at),
            ("arrived_at", self.arrived_at),
            ("cleared_at", self.cleared_at),
        ];
        let mut prev: Option<(&'static str, NaiveDateTime)> = None;
        for (name, t) in order {
            if let Some(t) = t {
                if let Some((pname, p)) = prev
                    && t < p
                {
                    return Err(InvalidEncounter::TimesOutOfOrder { field: name, later: t, earlier_field: pname, earlier: p });
                }
                prev = Some((name, t));
            }
        }
        Ok(())
    }

    /// A stable digest of the whole record (128-bit XXH3, 32 hex digits), used to tell an
    /// unchanged re-import from a change.
    pub fn content_hash(&self) -> String {
        crate::digest::content_hash(self)
    }

    /// Merge another row of the same encounter into this one (see [`MergeRules`]).
    pub fn merge(&mut self, other: Encounter, rules: &MergeRules) {
        macro_rules! first {
            ($($f:ident).+) => { if self.$($f).+.is_none() { self.$($f).+ = other.$($f).+; } };
        }
        macro_rules! code_first {
            ($f:ident, $unknown:expr) => { if self.$f == $unknown { self.$f = other.$f; } };
        }
        macro_rules! any {
            ($f:ident) => {
                self.$f = match (self.$f, other.$f) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    _ => None,
                };
            };
        }
        // Dates: the earliest occurrence; the latest source version.
        if other.occurred_on < self.occurred_on
            || (other.occurred_on == self.occurred_on && other.occurred_time < self.occurred_time && other.occurred_time.is_some())
        {
            self.occurred_on = other.occurred_on;
            self.occurred_time = other.occurred_time;
            self.date_precision = other.date_precision;
        }
        self.source_updated_at = self.source_updated_at.max(other.source_updated_at);
        first!(agency);
        first!(call_number);
        self.reported_at = min_some(self.reported_at, other.reported_at);
        self.dispatched_at = min_some(self.dispatched_at, other.dispatched_at);
        self.arrived_at = min_some(self.arrived_at, other.arrived_at);
        self.cleared_at = self.cleared_at.max(other.cleared_at);
        first!(area.precinct);
        first!(area.sector);
        first!(area.beat);
        first!(area.latitude);
        first!(area.longitude);
        code_first!(call_source, CallSource::Unknown);
        first!(priority);
        first!(initial_call_type);
        first!(final_call_type);
        any!(mh_recognised_at_dispatch);
        any!(mental_health_flag);
        code_first!(response_model, ResponseModel::Unknown);
        any!(cit_requested);
        any!(cit_dispatched);
        any!(cit_arrived);
        any!(clinician_on_scene);
        self.officers.extend(other.officers);
        self.time_on_scene_minutes = self.time_on_scene_minutes.max(other.time_on_scene_minutes);
        if rules.disposition_most_severe {
            if other.disposition.severity() > self.disposition.severity() {
                self.disposition = other.disposition;
            }
        } else {
            code_first!(disposition, Disposition::Unknown);
        }
        any!(arrested);
        any!(cited);
        any!(involuntary_hold);
        self.referrals.extend(other.referrals);
        self.use_of_force = self.use_of_force.max(other.use_of_force);
        self.force_types.extend(other.force_types);
        any!(subject_injured);
        any!(officer_injured);
        any!(weapon_involved);
        self.behaviours.extend(other.behaviours);
        any!(veteran);
        code_first!(housing_status, HousingStatus::Unknown);
        any!(substance_use);
        first!(subject_key);
        code_first!(age_band, AgeBand::Unknown);
        code_first!(gender, Gender::Unknown);
        code_first!(race_ethnicity, RaceEthnicity::Unknown);
        self.normalize();
    }
}

/// How rows that share an encounter key combine. The defaults: the earliest occurrence, the first
/// known value of each single-valued field, "yes" if any row says yes for yes/no fields, the
/// highest use-of-force level, and every officer, referral, force type and behaviour.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRules {
    /// Keep the most severe disposition (arrest over citation over hold over ...) instead of the first.
    #[serde(default)]
    pub disposition_most_severe: bool,
}

impl Disposition {
    /// Ordering used when several rows of one encounter disagree and the mapping asks for the
    /// most severe disposition.
    pub fn severity(self) -> u8 {
        match self {
            Disposition::Unknown => 0,
            Disposition::Other => 1,
            Disposition::UnableToLocate => 2,
            Disposition::NoActionPossible => 3,
            Disposition::ResolvedOnScene => 4,
            Disposition::ResourceDeclined => 5,
            Disposition::Referral => 6,
            Disposition::VoluntaryTransport => 7,
            Disposition::ArrestDiverted => 8,
            Disposition::InvoluntaryHold => 9,
            Disposition::Citation => 10,
            Disposition::Arrest => 11,
        }
    }
}

fn min_some<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn sort_dedup(v: &mut Vec<String>) {
    v.retain(|s| !s.trim().is_empty());
    v.sort();
    v.dedup();
}

/// One entry per officer id (the first that knows each attribute wins); anonymous officer rows are
/// kept only when no identified officer exists.
fn dedup_officers(v: &mut Vec<Officer>) {
    if v.len() < 2 {
        return;
    }
    let mut out: Vec<Officer> = Vec::with_capacity(v.len());
    for o in v.drain(..) {
        if let Some(existing) = out.iter_mut().find(|e| e.id == o.id) {
            if existing.years_experience.is_none() {
                existing.years_experience = o.years_experience;
            }
            if existing.cit_certified.is_none() {
                existing.cit_certified = o.cit_certified;
            }
        } else {
            out.push(o);
        }
    }
    if out.iter().any(|o| o.id.is_some()) {
        out.retain(|o| o.id.is_some());
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    *v = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn row(officer: &str, force: UseOfForce) -> Encounter {
        let mut e = Encounter::new("test", "K1", day(2020, 5, 4));
        e.officers.push(Officer { id: Some(officer.into()), years_experience: None, cit_certified: None });
        e.use_of_force = force;
        e
    }

    #[test]
    fn merge_keeps_highest_force_and_every_officer() {
        let mut a = row("7", UseOfForce::Level1);
        a.merge(row("3", UseOfForce::Level2), &MergeRules::default());
        a.merge(row("7", UseOfForce::None), &MergeRules::default());
        assert_eq!(a.use_of_force, UseOfForce::Level2);
        let ids: Vec<_> = a.officers.iter().map(|o| o.id.clone().unwrap()).collect();
        assert_eq!(ids, vec!["3", "7"]);
    }

    #[test]
    fn merge_is_order_independent_for_the_hash() {
        let rows = [row("1", UseOfForce::Level1), row("2", UseOfForce::Level3), row("3", UseOfForce::None)];
        let mut a = rows[0].clone();
        a.merge(rows[1].clone(), &MergeRules::default());
        a.merge(rows[2].clone(), &MergeRules::default());
        let mut b = rows[2].clone();
        b.merge(rows[1].clone(), &MergeRules::default());
        b.merge(rows[0].clone(), &MergeRules::default());
        assert_eq!(a.content_hash(), b.content_hash());
    }

    #[test]
    fn normalize_derives_flags_from_disposition_without_overriding_the_source() {
        let mut e = Encounter::new("t", "1", day(2021, 1, 1));
        e.disposition = Disposition::Arrest;
        e.normalize();
        assert_eq!((e.arrested, e.cited, e.involuntary_hold), (Some(true), Some(false), Some(false)));
        let mut e = Encounter::new("t", "1", day(2021, 1, 1));
        e.disposition = Disposition::Referral;
        e.arrested = Some(true);
        e.normalize();
        assert_eq!(e.arrested, Some(true));
        let mut e = Encounter::new("t", "1", day(2021, 1, 1));
        e.normalize();
        assert_eq!(e.arrested, None, "an unknown disposition says nothing about arrest");
    }

    #[test]
    fn normalize_computes_time_on_scene_and_month_precision() {
        let mut e = Encounter::new("t", "1", day(2021, 3, 17));
        e.arrived_at = Some(day(2021, 3, 17).and_hms_opt(10, 0, 0).unwrap());
        e.cleared_at = Some(day(2021, 3, 17).and_hms_opt(10, 45, 0).unwrap());
        e.date_precision = DatePrecision::Month;
        e.normalize();
        assert_eq!(e.time_on_scene_minutes, Some(45));
        assert_eq!(e.occurred_on, day(2021, 3, 1));
    }

    #[test]
    fn validate_catches_broken_records() {
        let mut e = Encounter::new("t", " ", day(2021, 1, 1));
        assert_eq!(e.validate(), Err(InvalidEncounter::EmptySourceKey));
        e.source_key = "1".into();
        e.area.latitude = Some(123.0);
        assert!(matches!(e.validate(), Err(InvalidEncounter::Latitude(_))));
        e.area.latitude = Some(47.6);
        e.arrived_at = Some(day(2021, 1, 1).and_hms_opt(12, 0, 0).unwrap());
        e.reported_at = Some(day(2021, 1, 1).and_hms_opt(13, 0, 0).unwrap());
        assert!(matches!(e.validate(), Err(InvalidEncounter::TimesOutOfOrder { .. })));
        e.reported_at = None;
        assert_eq!(e.validate(), Ok(()));
        e.area.beat = Some("B\u{0}1".into());
        assert_eq!(e.validate(), Err(InvalidEncounter::Nul("beat")));
        e.area.beat = None;
        e.force_types = vec!["Taser\u{0}".into()];
        assert_eq!(e.validate(), Err(InvalidEncounter::Nul("force_types")));
        // Every text has a limit (see `limits`), and every list.
        e.force_types = vec![];
        e.final_call_type = Some("x".repeat(crate::limits::SHORT_TEXT + 1));
        assert_eq!(
            e.validate().unwrap_err().to_string(),
            "final_call_type is 4097 bytes long; the limit is 4096 bytes (a short field)"
        );
        e.final_call_type = Some("x".repeat(crate::limits::SHORT_TEXT));
        assert_eq!(e.validate(), Ok(()));
        e.behaviours = vec!["b".into(); crate::limits::LIST_ITEMS + 1];
        assert!(matches!(e.validate(), Err(InvalidEncounter::TooManyItems { field: "behaviours", .. })));
    }

    #[test]
    fn content_hash_sees_every_kind_of_change() {
        let base = Encounter::new("t", "1", day(2021, 1, 1));
        let t = day(2021, 1, 1).and_hms_opt(1, 2, 3).unwrap();
        let changes: Vec<Box<dyn Fn(&mut Encounter)>> = vec![
            Box::new(|e| e.source_system = "u".into()),
            Box::new(|e| e.source_key = "2".into()),
            Box::new(move |e| e.source_updated_at = Some(t)),
            Box::new(|e| e.agency = Some(String::new())),
            Box::new(|e| e.occurred_on = day(2021, 1, 2)),
            Box::new(|e| e.occurred_time = Some(NaiveTime::MIN)),
            Box::new(|e| e.date_precision = DatePrecision::Month),
            Box::new(move |e| e.cleared_at = Some(t)),
            Box::new(move |e| e.reported_at = Some(t)),
            Box::new(|e| e.area.beat = Some("B".into())),
            Box::new(|e| e.area.sector = Some("B".into())),
            Box::new(|e| e.area.latitude = Some(0.0)),
            Box::new(|e| e.area.latitude = Some(-0.0)),
            Box::new(|e| e.call_source = CallSource::Other),
            Box::new(|e| e.mh_recognised_at_dispatch = Some(false)),
            Box::new(|e| e.cit_arrived = Some(true)),
            Box::new(|e| e.officers.push(Officer::default())),
            Box::new(|e| e.time_on_scene_minutes = Some(0)),
            Box::new(|e| e.disposition = Disposition::Other),
            Box::new(|e| e.cited = Some(false)),
            Box::new(|e| e.referrals.push(Referral::default())),
            Box::new(|e| e.use_of_force = UseOfForce::None),
            Box::new(|e| e.force_types.push(String::new())),
            Box::new(|e| e.behaviours.push("x".into())),
            Box::new(|e| e.weapon_involved = Some(false)),
            Box::new(|e| e.veteran = Some(false)),
            Box::new(|e| e.housing_status = HousingStatus::Housed),
            Box::new(|e| e.substance_use = Some(true)),
            Box::new(|e| e.subject_key = Some("p".into())),
            Box::new(|e| e.age_band = AgeBand::A65Plus),
            Box::new(|e| e.race_ethnicity = RaceEthnicity::Asian),
        ];
        let mut seen = std::collections::HashSet::new();
        seen.insert(base.content_hash());
        for (i, change) in changes.iter().enumerate() {
            let mut e = base.clone();
            change(&mut e);
            assert!(seen.insert(e.content_hash()), "change {i} did not give a new digest");
        }
        // Moving text between adjacent fields changes the digest too.
        let mut a = base.clone();
        a.area.precinct = Some("AB".into());
        let mut b = base.clone();
        b.area.precinct = Some("A".into());
        b.area.sector = Some("B".into());
        assert_ne!(a.content_hash(), b.content_hash());
    }

    #[test]
    fn content_hash_changes_with_content() {
        let a = Encounter::new("t", "1", day(2021, 1, 1));
        let mut b = a.clone();
        assert_eq!(a.content_hash(), b.content_hash());
        b.gender = Gender::Female;
        assert_ne!(a.content_hash(), b.content_hash());
    }
}
