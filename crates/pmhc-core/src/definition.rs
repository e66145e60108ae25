//! Shared definitions: what the partnership agreed counts as a mental-health encounter, a repeat
//! encounter, a frequent arrest, a connection to resources and a diversion, and the default
//! baseline and comparison periods. Stored as data (versioned by the store, written as TOML by
//! people), so that every report can say which version of the definitions it used.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::{CallSource, Disposition, ReferralResult, ResponseModel, ServiceType};

/// The definitions in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedDefinition {
    /// A short name people recognise ("Workgroup definitions, March 2026").
    pub name: String,
    #[serde(default)]
    pub mental_health: MentalHealthDefinition,
    #[serde(default)]
    pub repeat: RepeatDefinition,
    #[serde(default)]
    pub frequent_arrests: FrequentArrestDefinition,
    #[serde(default)]
    pub connection: ConnectionDefinition,
    #[serde(default)]
    pub diversion: DiversionDefinition,
    /// Values that reveal more than their field (withheld from partners who may not see them).
    #[serde(default)]
    pub disclosure: DisclosureDefinition,
    /// The periods a report compares when none are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periods: Option<Periods>,
}

/// Which encounters are mental-health encounters: any one criterion that is switched on and met
/// makes an encounter count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MentalHealthDefinition {
    /// Count every encounter, whatever it records (for sources that hold only crisis contacts,
    /// or to study all use of force).
    pub all_encounters: bool,
    /// Count encounters the source flags as involving mental health.
    pub flagged: bool,
    /// Count encounters dispatch recognised as mental-health calls.
    pub recognised_at_dispatch: bool,
    /// Count encounters whose initial or final call type is one of these (compared without regard
    /// to case or surrounding spaces).
    pub call_types: Vec<String>,
    /// Count encounters that came from these sources (e.g. 988 transfers).
    pub call_sources: Vec<CallSource>,
    /// Count encounters handled by these response models.
    pub response_models: Vec<ResponseModel>,
}

impl Default for MentalHealthDefinition {
    fn default() -> Self {
        MentalHealthDefinition {
            all_encounters: false,
            flagged: true,
            recognised_at_dispatch: true,
            call_types: [
                "PERSON IN CRISIS",
                "SUICIDE",
                "SUICIDE-RELATED",
                "OVERDOSE",
                "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS",
                "CRISIS COMPLAINT - GENERAL",
                "MENTAL HEALTH",
            ]
            .map(String::from)
            .to_vec(),
            call_sources: vec![CallSource::Transfer988],
            response_models: vec![ResponseModel::CoResponder, ResponseModel::MobileCrisis, ResponseModel::CaseManagement],
        }
    }
}

/// A person has repeat encounters in a period when `min_encounters` of their encounters in that
/// period fall within `window_days` of each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RepeatDefinition {
    pub min_encounters: u32,
    pub window_days: u32,
}

impl Default for RepeatDefinition {
    fn default() -> Self {
        RepeatDefinition { min_encounters: 2, window_days: 90 }
    }
}

/// A person has frequent arrests in a period when `min_arrests` of their arrests in that period
/// fall within `window_days` of each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FrequentArrestDefinition {
    pub min_arrests: u32,
    pub window_days: u32,
}

impl Default for FrequentArrestDefinition {
    fn default() -> Self {
        FrequentArrestDefinition { min_arrests: 3, window_days: 365 }
    }
}

/// What counts as a connection to resources (outcome 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionDefinition {
    /// Dispositions that are a referral or connection to resources.
    pub dispositions: Vec<Disposition>,
    /// Any recorded referral counts as a referral made.
    pub any_referral: bool,
    /// Referral results that confirm the person was connected.
    pub confirmed_results: Vec<ReferralResult>,
    /// A closed-loop referral counts as a confirmed connection when its provider confirmed the
    /// connection within this many days of the encounter.
    pub confirmed_within_days: u32,
}

impl Default for ConnectionDefinition {
    fn default() -> Self {
        ConnectionDefinition {
            dispositions: vec![Disposition::Referral, Disposition::VoluntaryTransport],
            any_referral: true,
            confirmed_results: vec![ReferralResult::Accepted, ReferralResult::Connected],
            confirmed_within_days: 30,
        }
    }
}

/// A diversion: an encounter with a known arrest status that was not arrested (no jail) and that
/// nothing in `ended_by` ended, nor one of the further dispositions or referral destinations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiversionDefinition {
    /// What ends a diversion. Absent (`None`) in versions saved before the setting existed: they
    /// keep the rule they were saved with (not arrested, and none of the excluded dispositions or
    /// service types), so an old report is reproduced exactly. Every version saved from now on
    /// has it ([`SharedDefinition::for_new_version`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<Vec<DiversionEnd>>,
    /// Further dispositions that end a diversion.
    pub excluded_dispositions: Vec<Disposition>,
    /// Further service types a referral to which ends a diversion.
    pub excluded_service_types: Vec<ServiceType>,
}

impl Default for DiversionDefinition {
    fn default() -> Self {
        DiversionDefinition {
            ended_by: Some(DiversionEnd::DEFAULT.to_vec()),
            excluded_dispositions: Vec::new(),
            excluded_service_types: Vec::new(),
        }
    }
}

impl DiversionDefinition {
    /// The rule of the versions saved before `ended_by` existed (their default).
    pub fn before_ended_by() -> Self {
        DiversionDefinition {
            ended_by: None,
            excluded_dispositions: vec![Disposition::Arrest, Disposition::InvoluntaryHold],
            excluded_service_types: vec![ServiceType::EmergencyDepartment],
        }
    }
}

/// One thing that ends a diversion (`diversion.ended_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiversionEnd {
    /// An arrest: the `arrested` field says yes, or the disposition is `arrest`.
    Arrest,
    /// An involuntary hold / emergency detention: the `involuntary_hold` field says yes, or the
    /// disposition is `involuntary_hold`.
    InvoluntaryHold,
    /// A referral or transport to an emergency department: a referral whose service type is
    /// `emergency_department`.
    EmergencyDepartment,
    /// A citation: the `cited` field says yes, or the disposition is `citation`.
    Citation,
    /// The disposition `voluntary_transport` (to a crisis centre or an emergency department: the
    /// code does not say which).
    VoluntaryTransport,
}

impl DiversionEnd {
    /// Every value, in the order the annotated definitions list them.
    pub const ALL: [DiversionEnd; 5] = [
        DiversionEnd::Arrest,
        DiversionEnd::InvoluntaryHold,
        DiversionEnd::EmergencyDepartment,
        DiversionEnd::Citation,
        DiversionEnd::VoluntaryTransport,
    ];
    /// What ends a diversion in a new version unless it says otherwise.
    pub const DEFAULT: [DiversionEnd; 3] =
        [DiversionEnd::Arrest, DiversionEnd::InvoluntaryHold, DiversionEnd::EmergencyDepartment];

    /// The name in the definitions' TOML and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DiversionEnd::Arrest => "arrest",
            DiversionEnd::InvoluntaryHold => "involuntary_hold",
            DiversionEnd::EmergencyDepartment => "emergency_department",
            DiversionEnd::Citation => "citation",
            DiversionEnd::VoluntaryTransport => "voluntary_transport",
        }
    }

    /// In words, for the definitions page.
    pub fn words(self) -> &'static str {
        match self {
            DiversionEnd::Arrest => "an arrest",
            DiversionEnd::InvoluntaryHold => "an involuntary hold or emergency detention",
            DiversionEnd::EmergencyDepartment => "a referral or transport to an emergency department",
            DiversionEnd::Citation => "a citation",
            DiversionEnd::VoluntaryTransport => "a voluntary transport",
        }
    }
}

/// Values of this partnership's sources that reveal substance use although they sit in another
/// field group (a CAD code, a local call type), beyond pmhc's built-in vocabulary
/// ([`crate::registry::SUBSTANCE_USE_WORDS`]): withheld from other partners' users without the
/// person's consent, on every page, export and report, like the `substance_use` field itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisclosureDefinition {
    /// Matched whole, ignoring case and surrounding spaces, against call types, behaviours and
    /// the names of the services referred to.
    pub substance_use_values: Vec<String>,
}

impl DisclosureDefinition {
    /// The values to withhold: the built-in vocabulary and these.
    pub fn sensitive_values(&self) -> crate::registry::SensitiveValues {
        crate::registry::SensitiveValues::new(&self.substance_use_values)
    }
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, DefinitionError> {
        if to < from {
            return Err(DefinitionError::EmptyPeriod { from, to });
        }
        Ok(Period { from, to })
    }

    /// Parse `FROM..TO` (inclusive ISO dates).
    pub fn parse(s: &str) -> Result<Period, DefinitionError> {
        let bad = || DefinitionError::PeriodSyntax(s.to_string());
        let (a, b) = s.trim().split_once("..").ok_or_else(bad)?;
        let from = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d").map_err(|_| bad())?;
        let to = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").map_err(|_| bad())?;
        Period::new(from, to)
    }

    /// Days in the period, both ends included.
    /// The period as people say it: whole months by name ("April 2021 to March 2022", "January to
    /// December 2025", "March 2022"), other periods by their days ("1 April 2021 to 15 March 2022").
    pub fn in_words(&self) -> String {
        use chrono::Datelike;
        let month = |d: NaiveDate| d.format("%B").to_string();
        if is_whole_months(self) {
            let (a, b) = (self.from, self.to);
            return if (a.year(), a.month()) == (b.year(), b.month()) {
                format!("{} {}", month(a), a.year())
            } else if a.year() == b.year() {
                format!("{} to {} {}", month(a), month(b), b.year())
            } else {
                format!("{} {} to {} {}", month(a), a.year(), month(b), b.year())
            };
        }
        let day = |d: NaiveDate| format!("{} {} {}", d.day(), month(d), d.year());
        if self.from == self.to { day(self.from) } else { format!("{} to {}", day(self.from), day(self.to)) }
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }
}

/// Whether a period is whole calendar months: from the first of a month to the last day of one.
pub fn is_whole_months(p: &Period) -> bool {
    use chrono::Datelike;
    p.from.day() == 1 && p.to.succ_opt().is_some_and(|next| next.day() == 1)
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

/// The baseline and the comparison period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Periods {
    pub baseline: Period,
    pub comparison: Period,
}

/// Periods chosen by name rather than typed: whole months before the current one (so they answer
/// month-precision data too), each against the same months a year earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodPreset {
    /// The last twelve whole months, against the twelve before.
    LastTwelveMonths,
    /// The last whole calendar quarter, against the same quarter a year earlier.
    LastQuarter,
    /// This year's whole months so far (last year's when none has ended), against the same months
    /// a year earlier.
    YearToDate,
}

impl PeriodPreset {
    pub const ALL: [PeriodPreset; 3] = [PeriodPreset::LastTwelveMonths, PeriodPreset::LastQuarter, PeriodPreset::YearToDate];

    pub fn id(self) -> &'static str {
        match self {
            PeriodPreset::LastTwelveMonths => "last_12_months",
            PeriodPreset::LastQuarter => "last_quarter",
            PeriodPreset::YearToDate => "year_to_date",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PeriodPreset::LastTwelveMonths => "Last 12 months against the 12 before",
            PeriodPreset::LastQuarter => "Last quarter against the same quarter a year earlier",
            PeriodPreset::YearToDate => "Year to date against the same months last year",
        }
    }

    pub fn parse(s: &str) -> Option<PeriodPreset> {
        PeriodPreset::ALL.into_iter().find(|p| p.id() == s)
    }

    /// The periods on `today`.
    pub fn periods(self, today: NaiveDate) -> Periods {
        use chrono::{Datelike, Months};
        let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
        let this_month = month_start(today);
        let back = |d: NaiveDate, m: u32| d.checked_sub_months(Months::new(m)).unwrap_or(d);
        let last_day = |start: NaiveDate| start.pred_opt().unwrap_or(start);
        // [from, to_exclusive) as a period.
        let period = |from: NaiveDate, until: NaiveDate| Period { from, to: last_day(until) };
        let comparison_from_until = match self {
            PeriodPreset::LastTwelveMonths => (back(this_month, 12), this_month),
            PeriodPreset::LastQuarter => {
                let q_start = NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap_or(this_month);
                (back(q_start, 3), q_start)
            }
            PeriodPreset::YearToDate => {
                let jan = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(this_month);
                if this_month == jan { (back(jan, 12), jan) } else { (jan, this_month) }
            }
        };
        let (from, until) = comparison_from_until;
        // Each against the same months a year earlier (for the last twelve months, the twelve before).
        Periods { baseline: period(back(from, 12), back(until, 12)), comparison: period(from, until) }
    }
}

/// Why a definition is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("the definition needs a name")]
    NoName,
    #[error("{0} contains a NUL character (U+0000)")]
    Nul(&'static str),
    #[error("disclosure.substance_use_values holds at most 1000 values, each 1 to 200 characters")]
    SensitiveValues,
    #[error("repeat.min_encounters must be at least 2 (it is {0})")]
    RepeatMin(u32),
    #[error("{0}.window_days must be between 1 and 3650 (it is {1})")]
    Window(&'static str, u32),
    #[error("frequent_arrests.min_arrests must be at least 2 (it is {0})")]
    ArrestMin(u32),
    #[error("mental_health: no criterion is switched on, so no encounter would count")]
    NoCriterion,
    #[error("diversion.ended_by must include \"arrest\": a diversion is an encounter that ended without jail")]
    DiversionWithoutArrest,
    #[error("period {from}..{to} ends before it starts")]
    EmptyPeriod { from: NaiveDate, to: NaiveDate },
    #[error("'{0}' is not a period: write FROM..TO with ISO dates, e.g. 2021-01-01..2021-12-31")]
    PeriodSyntax(String),
    #[error("periods: {0} is not whole months; the published periods run from the first of a month to the last day of one (e.g. 2021-01-01..2021-12-31)")]
    PeriodNotWholeMonths(Period),
}

impl DefinitionError {
    /// The setting the error is about, as the TOML names it (`repeat.min_encounters`), or its
    /// section when no one setting is (`mental_health`): the definitions form shows the message
    /// next to that setting.
    pub fn setting(&self) -> &'static str {
        match self {
            DefinitionError::NoName => "name",
            DefinitionError::Nul(s) => s,
            DefinitionError::SensitiveValues => "disclosure.substance_use_values",
            DefinitionError::RepeatMin(_) => "repeat.min_encounters",
            DefinitionError::Window("repeat", _) => "repeat.window_days",
            DefinitionError::Window(_, _) => "frequent_arrests.window_days",
            DefinitionError::ArrestMin(_) => "frequent_arrests.min_arrests",
            DefinitionError::NoCriterion => "mental_health",
            DefinitionError::DiversionWithoutArrest => "diversion.ended_by",
            DefinitionError::EmptyPeriod { .. } | DefinitionError::PeriodSyntax(_) | DefinitionError::PeriodNotWholeMonths(_) => "periods",
        }
    }

    /// The error in plain words, for a person filling in the definitions form (the `Display`
    /// text names the TOML settings, for the TOML and the API).
    pub fn in_words(&self) -> String {
        match self {
            DefinitionError::NoName => "Give the definitions a name people will recognise, e.g. “Workgroup definitions, March 2026”.".into(),
            DefinitionError::Nul(_) => "This text contains an invisible NUL character; type it again.".into(),
            DefinitionError::SensitiveValues => "Write at most 1,000 values, one per line, each 1 to 200 characters.".into(),
            DefinitionError::RepeatMin(n) => format!("A repeat needs at least 2 encounters (this says {n})."),
            DefinitionError::Window(_, n) => format!("Write a number of days from 1 to 3,650 (this says {n})."),
            DefinitionError::ArrestMin(n) => format!("Frequent arrests need at least 2 arrests (this says {n})."),
            DefinitionError::NoCriterion => "Choose at least one way an encounter counts as a mental-health encounter; as it stands no encounter would count.".into(),
            DefinitionError::DiversionWithoutArrest => "An arrest always ends a diversion: a diversion is an encounter that ended without jail.".into(),
            DefinitionError::EmptyPeriod { from, to } => format!("The period from {from} to {to} ends before it starts."),
            DefinitionError::PeriodSyntax(s) => format!("“{s}” is not a period: choose the first and the last month."),
            DefinitionError::PeriodNotWholeMonths(p) => format!("{p} is not whole months: a published period runs from the first day of a month to the last day of one."),
        }
    }
}

impl Default for SharedDefinition {
    fn default() -> Self {
        SharedDefinition {
            name: "pmhc default definitions".to_string(),
            mental_health: MentalHealthDefinition::default(),
            repeat: RepeatDefinition::default(),
            frequent_arrests: FrequentArrestDefinition::default(),
            connection: ConnectionDefinition::default(),
            diversion: DiversionDefinition::default(),
            disclosure: DisclosureDefinition::default(),
            periods: None,
        }
    }
}

impl SharedDefinition {
    /// These definitions as a new version is saved: settings a version written for an older pmhc
    /// lacks get their default now (`diversion.ended_by`), so that every new version uses them;
    /// stored versions are read as they were saved.
    pub fn for_new_version(mut self) -> Self {
        if self.diversion.ended_by.is_none() {
            self.diversion.ended_by = Some(DiversionEnd::DEFAULT.to_vec());
        }
        self
    }

    /// Check the rules a definition must follow.
    pub fn validate(&self) -> Result<(), DefinitionError> {
        if self.name.trim().is_empty() {
            return Err(DefinitionError::NoName);
        }
        if self.name.contains('\0') {
            return Err(DefinitionError::Nul("name"));
        }
        if self.mental_health.call_types.iter().any(|c| c.contains('\0')) {
            return Err(DefinitionError::Nul("mental_health.call_types"));
        }
        let values = &self.disclosure.substance_use_values;
        if values.iter().any(|c| c.contains('\0')) {
            return Err(DefinitionError::Nul("disclosure.substance_use_values"));
        }
        if values.len() > 1000 || values.iter().any(|v| v.trim().is_empty() || v.chars().count() > 200) {
            return Err(DefinitionError::SensitiveValues);
        }
        if self.repeat.min_encounters < 2 {
            return Err(DefinitionError::RepeatMin(self.repeat.min_encounters));
        }
        if !(1..=3650).contains(&self.repeat.window_days) {
            return Err(DefinitionError::Window("repeat", self.repeat.window_days));
        }
        if self.frequent_arrests.min_arrests < 2 {
            return Err(DefinitionError::ArrestMin(self.frequent_arrests.min_arrests));
        }
        if !(1..=3650).contains(&self.frequent_arrests.window_days) {
            return Err(DefinitionError::Window("frequent_arrests", self.frequent_arrests.window_days));
        }
        let mh = &self.mental_health;
        if !mh.all_encounters
            && !mh.flagged
            && !mh.recognised_at_dispatch
            && mh.call_types.is_empty()
            && mh.call_sources.is_empty()
            && mh.response_models.is_empty()
        {
            return Err(DefinitionError::NoCriterion);
        }
        if self.diversion.ended_by.as_ref().is_some_and(|e| !e.contains(&DiversionEnd::Arrest)) {
            return Err(DefinitionError::DiversionWithoutArrest);
        }
        if let Some(p) = &self.periods {
            for period in [p.baseline, p.comparison] {
                Period::new(period.from, period.to)?;
                if !is_whole_months(&period) {
                    return Err(DefinitionError::PeriodNotWholeMonths(period));
                }
            }
        }
        Ok(())
    }
}

impl SharedDefinition {
    /// The definitions in plain words, one sentence per setting a reader asks about: `(what,
    /// sentence)`. The definitions page shows them above the TOML.
    pub fn in_words(&self) -> Vec<(&'static str, String)> {
        use crate::CodeList;
        fn list(items: Vec<String>) -> String {
            match items.len() {
                0 => String::new(),
                1 => items[0].clone(),
                n => format!("{} or {}", items[..n - 1].join(", "), items[n - 1]),
            }
        }
        fn labels<C: CodeList>(v: &[C]) -> Vec<String> {
            v.iter().map(|c| c.label().to_lowercase()).collect()
        }
        let mh = &self.mental_health;
        let criteria = if mh.all_encounters {
            "Every encounter counts as a mental-health encounter, whatever it records.".to_string()
        } else {
            let mut ways = Vec::new();
            if mh.flagged {
                ways.push("the source flags it as involving mental health".to_string());
            }
            if mh.recognised_at_dispatch {
                ways.push("dispatch recognised it as a mental-health call".to_string());
            }
            if !mh.call_types.is_empty() {
                ways.push(format!("its call type is {}", list(mh.call_types.iter().map(|t| format!("“{t}”")).collect())));
            }
            if !mh.call_sources.is_empty() {
                ways.push(format!("it came in as {}", list(labels(&mh.call_sources))));
            }
            if !mh.response_models.is_empty() {
                ways.push(format!("it was handled by {}", list(labels(&mh.response_models))));
            }
            format!("An encounter counts as a mental-health encounter when {}.", list(ways))
        };
        let c = &self.connection;
        let mut referral = labels(&c.dispositions).into_iter().map(|d| format!("the disposition is {d}")).collect::<Vec<_>>();
        if c.any_referral {
            referral.push("any referral is recorded".into());
        }
        let diversion = match &self.diversion.ended_by {
            Some(ends) => format!(
                "An encounter is a diversion when its arrest status is known and it did not end in {}{}.",
                list(ends.iter().map(|e| e.words().to_string()).collect()),
                if self.diversion.excluded_dispositions.is_empty() { String::new() } else { format!(", nor the disposition {}", list(labels(&self.diversion.excluded_dispositions))) }
            ),
            None => "An encounter is a diversion when the person was not arrested and was neither held involuntarily nor sent to an emergency department (the rule of versions saved before `diversion.ended_by`).".into(),
        };
        let mut out = vec![
            ("Mental-health encounter", criteria),
            (
                "Repeat encounters",
                format!(
                    "A person has repeat encounters when {} or more of their mental-health encounters fall within {} days of each other.",
                    self.repeat.min_encounters, self.repeat.window_days
                ),
            ),
            (
                "Frequent arrests",
                format!(
                    "A person has frequent arrests when {} or more of their arrests fall within {} days of each other.",
                    self.frequent_arrests.min_arrests, self.frequent_arrests.window_days
                ),
            ),
            (
                "Connection to resources",
                format!(
                    "An encounter is a referral or connection to resources when {}; the connection is confirmed when the referral's result is {}, or when the provider confirms a closed-loop referral within {} days.",
                    if referral.is_empty() { "nothing (no criterion is set)".to_string() } else { list(referral) },
                    list(labels(&c.confirmed_results)),
                    c.confirmed_within_days
                ),
            ),
            ("Diversion", diversion),
        ];
        out.push((
            "Published periods",
            match &self.periods {
                Some(p) => format!("The public page and public reports compare {} with {}.", p.baseline.in_words(), p.comparison.in_words()),
                None => "No periods are published: the public page answers nothing until an editor sets them.".into(),
            },
        ));
        out
    }
}

/// A stored version of the definitions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefinitionVersion {
    pub version: u32,
    pub definition: SharedDefinition,
    /// Who saved it and why.
    pub author: String,
    pub note: String,
    /// When it was saved (UTC, RFC 3339).
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_round_trips_through_json() {
        let d = SharedDefinition::default();
        d.validate().unwrap();
        let j = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<SharedDefinition>(&j).unwrap(), d);
    }

    #[test]
    fn invalid_definitions_are_named() {
        let mut d = SharedDefinition::default();
        d.repeat.min_encounters = 1;
        assert_eq!(d.validate(), Err(DefinitionError::RepeatMin(1)));
        let mut d = SharedDefinition::default();
        d.repeat.window_days = 0;
        assert!(d.validate().unwrap_err().to_string().contains("repeat.window_days"));
        let d = SharedDefinition {
            mental_health: MentalHealthDefinition {
                all_encounters: false,
                flagged: false,
                recognised_at_dispatch: false,
                call_types: vec![],
                call_sources: vec![],
                response_models: vec![],
            },
            ..SharedDefinition::default()
        };
        assert_eq!(d.validate(), Err(DefinitionError::NoCriterion));
        assert!(serde_json::from_str::<SharedDefinition>(r#"{"name":"x","colour":"red"}"#).is_err());
    }

    #[test]
    fn the_definitions_in_words() {
        let words: std::collections::HashMap<_, _> = SharedDefinition::default().in_words().into_iter().collect();
        assert_eq!(words["Repeat encounters"], "A person has repeat encounters when 2 or more of their mental-health encounters fall within 90 days of each other.");
        assert!(words["Mental-health encounter"].starts_with("An encounter counts as a mental-health encounter when the source flags it"), "{}", words["Mental-health encounter"]);
        assert!(words["Mental-health encounter"].contains("“PERSON IN CRISIS”"));
        assert!(words["Connection to resources"].contains("within 30 days"));
        assert!(words["Diversion"].contains("arrest"), "{}", words["Diversion"]);
        assert!(words["Published periods"].starts_with("No periods are published"));
        let all = SharedDefinition { mental_health: MentalHealthDefinition { all_encounters: true, ..Default::default() }, ..Default::default() };
        assert_eq!(all.in_words()[0].1, "Every encounter counts as a mental-health encounter, whatever it records.");
    }

    #[test]
    fn period_presets_are_whole_months_before_today() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = |from: &str, to: &str| Period { from: d(from), to: d(to) };
        let today = d("2026-12-05");
        let l12 = PeriodPreset::LastTwelveMonths.periods(today);
        assert_eq!(l12.comparison, p("2025-12-01", "2026-11-30"));
        assert_eq!(l12.baseline, p("2024-12-01", "2025-11-30"));
        let q = PeriodPreset::LastQuarter.periods(today);
        assert_eq!((q.comparison, q.baseline), (p("2026-07-01", "2026-09-30"), p("2025-07-01", "2025-09-30")));
        let q = PeriodPreset::LastQuarter.periods(d("2026-02-10"));
        assert_eq!(q.comparison, p("2025-10-01", "2025-12-31"));
        let y = PeriodPreset::YearToDate.periods(today);
        assert_eq!((y.comparison, y.baseline), (p("2026-01-01", "2026-11-30"), p("2025-01-01", "2025-11-30")));
        // In January no month of the year has ended: last year against the year before.
        let y = PeriodPreset::YearToDate.periods(d("2027-01-20"));
        assert_eq!((y.comparison, y.baseline), (p("2026-01-01", "2026-12-31"), p("2025-01-01", "2025-12-31")));
        for preset in PeriodPreset::ALL {
            for day in ["2024-02-29", "2026-03-31", "2026-12-31", "2027-01-01"] {
                let ps = preset.periods(d(day));
                for period in [ps.baseline, ps.comparison] {
                    assert!(is_whole_months(&period) && period.to < d(day), "{} on {day}: {period}", preset.id());
                }
                assert_eq!(PeriodPreset::parse(preset.id()), Some(preset));
            }
        }
    }

    #[test]
    fn periods_in_words() {
        let p = |s: &str| Period::parse(s).unwrap().in_words();
        assert_eq!(p("2021-04-01..2022-03-31"), "April 2021 to March 2022");
        assert_eq!(p("2025-01-01..2025-12-31"), "January to December 2025");
        assert_eq!(p("2024-02-01..2024-02-29"), "February 2024");
        assert_eq!(p("2024-02-03..2024-02-29"), "3 February 2024 to 29 February 2024");
        assert_eq!(p("2024-02-03..2024-02-03"), "3 February 2024");
    }

    #[test]
    fn periods_parse() {
        let p = Period::parse("2021-01-01..2021-12-31").unwrap();
        assert_eq!(p.days(), 365);
        assert!(Period::parse("2021-12-31..2021-01-01").is_err());
        assert!(Period::parse("2021-01-01").unwrap_err().to_string().contains("FROM..TO"));
        assert!(Period::parse("2021-02-30..2021-03-01").is_err());
    }
}
