//! The canonical code lists of the encounter record.
//!
//! Every list has an explicit `Unknown` (or equivalent) value: pmhc never guesses a code that the
//! source did not give. Each code has a stable lowercase spelling (`as_str`) used in mapping files,
//! the database, CSV and JSON, and a human label for reports.

/// A code string that is not in a canonical list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a {list} code; expected one of: {expected}")]
pub struct UnknownCode {
    pub list: &'static str,
    pub value: String,
    pub expected: String,
}

/// Behaviour shared by every canonical code list.
pub trait CodeList: Sized + Copy + Eq + 'static {
    /// The list's name as used in mapping files and messages (e.g. `disposition`).
    const LIST: &'static str;
    /// Every value, in the list's natural order.
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn label(self) -> &'static str;
    fn parse_code(s: &str) -> Result<Self, UnknownCode> {
        let t = s.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownCode {
                list: Self::LIST,
                value: t.to_string(),
                expected: Self::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
            })
    }
}

closed_list! {
    /// How the call reached the police.
    code CallSource, "call_source", default = Unknown {
        Emergency911 = "911" / "911 call",
        Transfer988 = "988_transfer" / "988 transfer",
        NonEmergency = "non_emergency" / "Non-emergency line",
        OfficerInitiated = "officer_initiated" / "Officer-initiated (on view)",
        Other = "other" / "Other",
        Unknown = "unknown" / "Unknown",
    }
}

closed_list! {
    /// The response model that handled the encounter.
    code ResponseModel, "response_model", default = Unknown {
        Cit = "cit" / "Crisis Intervention Team",
        CoResponder = "co_responder" / "Co-responder team",
        CaseManagement = "case_management" / "Case management",
        MobileCrisis = "mobile_crisis" / "Mobile crisis team",
        StandardPatrol = "standard_patrol" / "Standard patrol",
        Other = "other" / "Other",
        Unknown = "unknown" / "Unknown",
    }
}

closed_list! {
    /// The canonical disposition: how the encounter ended.
    code Disposition, "disposition", default = Unknown {
        /// Stabilized or resolved on scene.
        ResolvedOnScene = "resolved_on_scene" / "Stabilized / resolved on scene",
        /// Referral or connection to a service.
        Referral = "referral" / "Referral or connection to a service",
        /// A resource was offered and declined.
        ResourceDeclined = "resource_declined" / "Resource offered and declined",
        /// Voluntary transport to a crisis centre or emergency department.
        VoluntaryTransport = "voluntary_transport" / "Voluntary transport (crisis centre / ED)",
        /// Involuntary hold / emergency detention.
        InvoluntaryHold = "involuntary_hold" / "Involuntary hold / emergency detention",
        /// Probable cause for arrest was present, and the person was diverted instead.
        ArrestDiverted = "arrest_diverted" / "Probable cause present, diverted",
        Arrest = "arrest" / "Arrest",
        Citation = "citation" / "Citation",
        NoActionPossible = "no_action_possible" / "No action possible / necessary",
        UnableToLocate = "unable_to_locate" / "Unable to locate",
        Other = "other" / "Other",
        Unknown = "unknown" / "Unknown",
    }
}

closed_list! {
    /// Use of force, in increasing order of severity. `Unknown` sorts first so that the maximum
    /// of a known level and `Unknown` is the known level.
    code UseOfForce, "use_of_force", default = Unknown {
        Unknown = "unknown" / "Unknown",
        None = "none" / "No force",
        RestraintOnly = "restraint_only" / "Restraint / handcuffs only",
        Level1 = "level_1" / "Level 1",
        Level2 = "level_2" / "Level 2",
        Level3 = "level_3" / "Level 3",
    }
}

impl UseOfForce {
    /// Whether any force (beyond handcuffing/restraint) was used; `None` when unknown.
    pub fn any_force(self) -> Option<bool> {
        match self {
            UseOfForce::Unknown => Option::None,
            UseOfForce::None | UseOfForce::RestraintOnly => Some(false),
            _ => Some(true),
        }
    }
}

closed_list! {
    /// Type of service a referral was made to.
    code ServiceType, "service_type", default = Unknown {
        CrisisCentre = "crisis_centre" / "Crisis centre",
        MobileCrisis = "mobile_crisis" / "Mobile crisis",
        Line988 = "988" / "988 / crisis line",
        WarmLine = "warm_line" / "Warm line",
        Detox = "detox" / "Detox / withdrawal management",
        OutpatientMentalHealth = "outpatient_mental_health" / "Outpatient mental health",
        SubstanceUseTreatment = "substance_use_treatment" / "Substance use treatment",
        PeerSupport = "peer_support" / "Peer support",
        Housing = "housing" / "Housing / shelter",
        CaseManagement = "case_management" / "Case management",
        EmergencyDepartment = "emergency_department" / "Emergency department",
        Other = "other" / "Other",
        Unknown = "unknown" / "Unknown",
    }
}

closed_list! {
    /// What became of a referral made at the encounter.
    code ReferralResult, "referral_result", default = Unknown {
        Made = "made" / "Made (no result yet)",
        Accepted = "accepted" / "Accepted",
        Connected = "connected" / "Connected to the service",
        Declined = "declined" / "Declined by the person",
        TurnedAwayNoCapacity = "turned_away_no_capacity" / "Turned away: no capacity",
        TurnedAwayNotEligible = "turned_away_not_eligible" / "Turned away: not eligible",
        TurnedAwayClosed = "turned_away_closed" / "Turned away: closed",
        Unknown = "unknown" / "Unknown",
    }
}

closed_list! {
    code HousingStatus, "housing_status", default = Unknown {
        Housed = "housed" / "Housed",
        Unstable = "unstable" / "Unstably housed",
        Unhoused = "unhoused" / "Unhoused",
        Unknown = "unknown" / "Unknown",
    }
}

closed_list! {
    /// Subject age band (no exact ages are stored).
    code AgeBand, "age_band", default = Unknown {
        Under18 = "under_18" / "Under 18",
        A18To24 = "18_24" / "18–24",
        A25To34 = "25_34" / "25–34",
        A35To44 = "35_44" / "35–44",
        A45To54 = "45_54" / "45–54",
        A55To64 = "55_64" / "55–64",
        A65Plus = "65_plus" / "65 and over",
        Unknown = "unknown" / "Unknown",
    }
}

impl AgeBand {
    /// The band for an age in whole years.
    pub fn from_age(age: u32) -> AgeBand {
        match age {
            0..=17 => AgeBand::Under18,
            18..=24 => AgeBand::A18To24,
            25..=34 => AgeBand::A25To34,
            35..=44 => AgeBand::A35To44,
            45..=54 => AgeBand::A45To54,
            55..=64 => AgeBand::A55To64,
            65..=130 => AgeBand::A65Plus,
            _ => AgeBand::Unknown,
        }
    }
}

closed_list! {
    code Gender, "gender", default = Unknown {
        Female = "female" / "Female",
        Male = "male" / "Male",
        NonBinary = "non_binary" / "Non-binary / another gender",
        Unknown = "unknown" / "Unknown",
    }
}

closed_list! {
    /// Race / ethnicity, in the categories most agencies report (OMB-style, Hispanic as a category).
    code RaceEthnicity, "race_ethnicity", default = Unknown {
        AmericanIndianAlaskaNative = "american_indian_alaska_native" / "American Indian / Alaska Native",
        Asian = "asian" / "Asian",
        Black = "black" / "Black / African American",
        Hispanic = "hispanic" / "Hispanic / Latino",
        MiddleEasternNorthAfrican = "middle_eastern_north_african" / "Middle Eastern / North African",
        NativeHawaiianPacificIslander = "native_hawaiian_pacific_islander" / "Native Hawaiian / Pacific Islander",
        White = "white" / "White",
        Multiple = "multiple" / "Two or more",
        Other = "other" / "Other",
        Unknown = "unknown" / "Unknown",
    }
}

closed_list! {
    /// How precisely the occurrence date is known.
    code DatePrecision, "date_precision", default = Day {
        Year = "year" / "Year",
        Month = "month" / "Month",
        Day = "day" / "Day",
        Minute = "minute" / "Date and time",
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;

    fn roundtrip<C: CodeList + fmt::Debug>() {
        for c in C::ALL {
            assert_eq!(C::parse_code(c.as_str()).unwrap(), *c);
            assert_eq!(C::parse_code(&c.as_str().to_uppercase()).unwrap(), *c);
            assert!(!c.label().is_empty());
        }
        let err = C::parse_code("definitely-not-a-code").unwrap_err();
        assert_eq!(err.list, C::LIST);
        assert!(err.to_string().contains(C::ALL[0].as_str()));
    }

    #[test]
    fn every_list_roundtrips() {
        roundtrip::<CallSource>();
        roundtrip::<ResponseModel>();
        roundtrip::<Disposition>();
        roundtrip::<UseOfForce>();
        roundtrip::<ServiceType>();
        roundtrip::<ReferralResult>();
        roundtrip::<HousingStatus>();
        roundtrip::<AgeBand>();
        roundtrip::<Gender>();
        roundtrip::<RaceEthnicity>();
        roundtrip::<DatePrecision>();
    }

    #[test]
    fn force_levels_order_by_severity_with_unknown_lowest() {
        assert!(UseOfForce::Level3 > UseOfForce::Level1);
        assert!(UseOfForce::RestraintOnly > UseOfForce::None);
        assert_eq!(UseOfForce::Unknown.max(UseOfForce::None), UseOfForce::None);
        assert_eq!(UseOfForce::Level2.any_force(), Some(true));
        assert_eq!(UseOfForce::RestraintOnly.any_force(), Some(false));
        assert_eq!(UseOfForce::Unknown.any_force(), Option::None);
    }

    #[test]
    fn age_bands() {
        assert_eq!(AgeBand::from_age(17), AgeBand::Under18);
        assert_eq!(AgeBand::from_age(18), AgeBand::A18To24);
        assert_eq!(AgeBand::from_age(64), AgeBand::A55To64);
        assert_eq!(AgeBand::from_age(65), AgeBand::A65Plus);
        assert_eq!(AgeBand::from_age(200), AgeBand::Unknown);
    }

    #[test]
    fn serde_uses_codes() {
        let j = serde_json::to_string(&Disposition::InvoluntaryHold).unwrap();
        assert_eq!(j, "\"involuntary_hold\"");
        let d: Disposition = serde_json::from_str("\"arrest\"").unwrap();
        assert_eq!(d, Disposition::Arrest);
        assert!(serde_json::from_str::<Disposition>("\"jail\"").is_err());
    }
}
