//! A person's identifiers as a partner records them — the id its own records system gives the
//! person, or the name and date of birth — normalised here, once, for every way they come in
//! (an import's mapping, the field form, the encounter API), then replaced by a person key
//! ([`crate::PseudonymKey::person_key`]). Nothing here is ever stored, logged or shown back: the
//! types' `Debug` hides the values and no message quotes them.
//!
//! Normalisation ([`normalize`]), the same for ids and names:
//! 1. Unicode default case folding (`STRASSE`, `Straße` and `strasse` fold alike) and
//!    compatibility normalisation, as Unicode's compatibility caseless match does them (fold,
//!    NFKD, fold, NFKD), composed to NFKC: full-width letters and digits, ligatures, no-break and
//!    other spaces become their plain forms, accents their composed forms;
//! 2. leading and trailing white space removed, every run of white space inside made one space.
//!
//! A date of birth is a calendar date written as ISO 8601 (`YYYY-MM-DD`) in the key, from 1900 to
//! the last day it may be (today for the form and the API; the encounter's day for an import).
//! An id or a name is at most [`TEXT_LIMIT`] characters, without control characters other than
//! white space. A name is used only with its date of birth, and the agency's id wins over both.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::field_form::FieldProblem;

/// The most characters an agency's person id or a name may have (as typed).
pub const TEXT_LIMIT: usize = 200;
/// The earliest year of birth taken.
pub const FIRST_BIRTH_YEAR: i32 = 1900;

/// The field names of the identifiers (the field form's and the API's, alike).
pub const AGENCY_PERSON_ID: &str = "agency_person_id";
pub const PERSON_NAME: &str = "person_name";
pub const DATE_OF_BIRTH: &str = "date_of_birth";

/// Why an identifier is refused. The messages never quote the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonError {
    #[error("{what} is {chars} characters long; the limit is {TEXT_LIMIT}")]
    TooLong { field: &'static str, what: &'static str, chars: usize },
    #[error("{what} contains control characters")]
    Control { field: &'static str, what: &'static str },
    #[error("the date of birth is not a date (YYYY-MM-DD)")]
    NotADate,
    #[error("the date of birth is before {FIRST_BIRTH_YEAR}")]
    BornTooEarly,
    #[error("the date of birth is after {latest}")]
    BornAfter { latest: NaiveDate },
    #[error("a name is used only with the date of birth: enter the date of birth too")]
    NameWithoutBirthDate,
    #[error("a date of birth is used only with the name: enter the name too")]
    BirthDateWithoutName,
}

impl PersonError {
    /// The field to blame.
    pub fn field(&self) -> &'static str {
        match self {
            PersonError::TooLong { field, .. } | PersonError::Control { field, .. } => field,
            PersonError::NotADate | PersonError::BornTooEarly | PersonError::BornAfter { .. } | PersonError::NameWithoutBirthDate => {
                DATE_OF_BIRTH
            }
            PersonError::BirthDateWithoutName => PERSON_NAME,
        }
    }

    /// As a problem next to its field.
    pub fn problem(&self) -> FieldProblem {
        FieldProblem { field: self.field().into(), message: self.to_string() }
    }
}

/// The one normalisation of a person's id or name (see the module's documentation): case folded
/// and NFKC (Unicode's compatibility caseless form), trimmed, white space collapsed to single
/// spaces.
pub fn normalize(s: &str) -> String {
    // Unicode's compatibility caseless form (D146: NFKD(fold(NFKD(fold(NFD(s)))))), composed.
    let nfd: String = s.nfd().collect();
    let once: String = caseless::default_case_fold_str(&nfd).nfkd().collect();
    let folded: String = caseless::default_case_fold_str(&once).nfkc().collect();
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn checked(field: &'static str, what: &'static str, raw: &str) -> Result<Option<String>, PersonError> {
    let chars = raw.chars().count();
    if chars > TEXT_LIMIT {
        return Err(PersonError::TooLong { field, what, chars });
    }
    if raw.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(PersonError::Control { field, what });
    }
    let n = normalize(raw);
    Ok((!n.is_empty()).then_some(n))
}

/// Whether a date of birth may be one: from 1900 to `latest`.
pub fn check_birth_date(born: NaiveDate, latest: NaiveDate) -> Result<NaiveDate, PersonError> {
    if born.year() < FIRST_BIRTH_YEAR {
        Err(PersonError::BornTooEarly)
    } else if born > latest {
        Err(PersonError::BornAfter { latest })
    } else {
        Ok(born)
    }
}

/// Who a record is about, normalised: what a person key is made from.
#[derive(Clone, PartialEq, Eq)]
pub enum PersonIdentity {
    /// The id of the partner's own records system.
    AgencyId(String),
    /// The name with the date of birth.
    NameAndBirthDate { name: String, born: NaiveDate },
}

impl std::fmt::Debug for PersonIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PersonIdentity::AgencyId(_) => f.write_str("AgencyId(..)"),
            PersonIdentity::NameAndBirthDate { .. } => f.write_str("NameAndBirthDate(..)"),
        }
    }
}

impl PersonIdentity {
    /// An agency's person id (`None` when it is empty once normalised).
    pub fn agency_id(raw: &str) -> Result<Option<PersonIdentity>, PersonError> {
        Ok(checked(AGENCY_PERSON_ID, "the agency's person id", raw)?.map(PersonIdentity::AgencyId))
    }

    /// A name with its date of birth, the date no later than `latest` (`None` when the name is
    /// empty once normalised).
    pub fn name_and_birth_date(name: &str, born: NaiveDate, latest: NaiveDate) -> Result<Option<PersonIdentity>, PersonError> {
        let name = checked(PERSON_NAME, "the name", name)?;
        let born = check_birth_date(born, latest)?;
        Ok(name.map(|name| PersonIdentity::NameAndBirthDate { name, born }))
    }

    /// The text hashed for the key: the id, or the date of birth (ISO) and the name.
    pub(crate) fn hashed(&self) -> (&'static str, String) {
        match self {
            PersonIdentity::AgencyId(id) => ("", id.clone()),
            PersonIdentity::NameAndBirthDate { name, born } => ("#name-dob", format!("{}|{name}", born.format("%Y-%m-%d"))),
        }
    }
}

/// The identifiers typed into the field form or sent to the encounter API with a record: each
/// optional. They are turned into the record's person key when it is saved and kept nowhere.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonIdentifiers {
    /// The person's id in the partner's own records system (at most 200 characters). Replaced by
    /// the person key, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200, nullable = false))]
    pub agency_person_id: Option<String>,
    /// The person's name, with `date_of_birth` (at most 200 characters). Replaced by the person
    /// key, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200, nullable = false))]
    pub person_name: Option<String>,
    /// The person's date of birth (YYYY-MM-DD, from 1900 to today), with `person_name`. Replaced
    /// by the person key, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = Date, nullable = false, example = "1980-04-30"))]
    pub date_of_birth: Option<String>,
}

impl std::fmt::Debug for PersonIdentifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |v: &Option<String>| if v.as_deref().is_some_and(|s| !s.trim().is_empty()) { "given" } else { "none" };
        f.debug_struct("PersonIdentifiers")
            .field("agency_person_id", &given(&self.agency_person_id))
            .field("person_name", &given(&self.person_name))
            .field("date_of_birth", &given(&self.date_of_birth))
            .finish()
    }
}

impl PersonIdentifiers {
    /// Whether nothing was given.
    pub fn is_empty(&self) -> bool {
        [&self.agency_person_id, &self.person_name, &self.date_of_birth].iter().all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty()))
    }

    /// Who the identifiers name, normalised, with a date of birth no later than `today`: the
    /// agency's id when given, otherwise the name with the date of birth; `None` when nothing was
    /// given. Every problem names its field; a name without a date of birth (or the reverse) is
    /// one.
    pub fn identity(&self, today: NaiveDate) -> Result<Option<PersonIdentity>, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let id = PersonIdentity::agency_id(self.agency_person_id.as_deref().unwrap_or("")).map_err(|e| problems.push(e.problem())).ok().flatten();
        let name = checked(PERSON_NAME, "the name", self.person_name.as_deref().unwrap_or("")).map_err(|e| problems.push(e.problem())).ok();
        let dob = self.date_of_birth.as_deref().map(str::trim).unwrap_or("");
        let born = if dob.is_empty() {
            None
        } else {
            match NaiveDate::parse_from_str(dob, "%Y-%m-%d") {
                Ok(d) => check_birth_date(d, today).map_err(|e| problems.push(e.problem())).ok(),
                Err(_) => {
                    problems.push(PersonError::NotADate.problem());
                    None
                }
            }
        };
        match (&name, born, dob.is_empty()) {
            (Some(Some(_)), None, true) => problems.push(PersonError::NameWithoutBirthDate.problem()),
            (Some(None), _, false) => problems.push(PersonError::BirthDateWithoutName.problem()),
            _ => {}
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(match (id, name.flatten(), born) {
            (Some(id), _, _) => Some(id),
            (None, Some(name), Some(born)) => Some(PersonIdentity::NameAndBirthDate { name, born }),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn normalisation_trims_collapses_folds_and_takes_compatibility_forms() {
        assert_eq!(normalize("  Mary   Ann\tO'Neil \n"), "mary ann o'neil");
        assert_eq!(normalize("STRASSE"), normalize("Straße"));
        assert_eq!(normalize("ＡＢ１２３"), "ab123", "full-width letters and digits");
        assert_eq!(normalize("A\u{00A0}B\u{3000}C"), "a b c", "no-break and ideographic spaces");
        assert_eq!(normalize("ﬁnn"), "finn", "ligature");
        assert_eq!(normalize("Jose\u{0301}"), normalize("José"), "combining accent composed");
        assert_eq!(normalize("ΣΊΣΥΦΟΣ"), normalize("σίσυφος"), "final sigma folds");
        assert_eq!(normalize("46424"), "46424", "a numeric id is unchanged (keys made before stay the same)");
        assert_eq!(normalize(" \t "), "");
    }

    #[test]
    fn the_agency_id_wins_and_a_name_needs_its_date_of_birth() {
        let today = day("2024-03-05");
        let ids = |id: &str, name: &str, dob: &str| PersonIdentifiers {
            agency_person_id: Some(id.into()),
            person_name: Some(name.into()),
            date_of_birth: Some(dob.into()),
        };
        assert_eq!(ids("", "", "").identity(today), Ok(None));
        assert!(ids(" ", " ", "").is_empty());
        assert_eq!(ids(" A-17 ", "Jo Doe", "1980-01-02").identity(today), Ok(Some(PersonIdentity::AgencyId("a-17".into()))));
        assert_eq!(
            ids("", "  JO   doe ", "1980-01-02").identity(today),
            Ok(Some(PersonIdentity::NameAndBirthDate { name: "jo doe".into(), born: day("1980-01-02") }))
        );
        let fields = |r: Result<Option<PersonIdentity>, Vec<FieldProblem>>| r.unwrap_err().into_iter().map(|p| p.field).collect::<Vec<_>>();
        assert_eq!(fields(ids("", "Jo Doe", "").identity(today)), [DATE_OF_BIRTH]);
        assert_eq!(fields(ids("", "", "1980-01-02").identity(today)), [PERSON_NAME]);
        assert_eq!(fields(ids("", "Jo", "2024-03-06").identity(today)), [DATE_OF_BIRTH], "after today");
        assert_eq!(fields(ids("", "Jo", "1899-12-31").identity(today)), [DATE_OF_BIRTH], "before 1900");
        assert_eq!(fields(ids("", "Jo", "1980-02-30").identity(today)), [DATE_OF_BIRTH]);
        assert_eq!(fields(ids(&"9".repeat(TEXT_LIMIT + 1), "", "").identity(today)), [AGENCY_PERSON_ID]);
        assert_eq!(fields(ids("", &"é".repeat(TEXT_LIMIT + 1), "1980-01-02").identity(today)), [PERSON_NAME]);
        assert_eq!(fields(ids("a\u{1}b", "", "").identity(today)), [AGENCY_PERSON_ID]);
        assert!(ids(&"9".repeat(TEXT_LIMIT), "", "").identity(today).is_ok(), "the limit itself is taken");
        assert!(ids("", "Jo", "1900-01-01").identity(today).is_ok());
        assert!(ids("", "Jo", "2024-03-05").identity(today).is_ok(), "born today");
    }

    #[test]
    fn nothing_identifying_is_printed() {
        let ids = PersonIdentifiers { agency_person_id: Some("A-17".into()), person_name: Some("Jo Doe".into()), date_of_birth: Some("1980-01-02".into()) };
        let shown = format!("{ids:?} {:?}", ids.identity(day("2024-03-05")));
        for secret in ["A-17", "a-17", "Jo", "jo", "1980"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let e = PersonIdentifiers { date_of_birth: Some("1880-01-02".into()), person_name: Some("Jo".into()), ..Default::default() }.identity(day("2024-03-05"));
        assert!(!format!("{e:?}").contains("1880"));
    }

    proptest! {
        /// Normalising twice changes nothing, and spacing and case never change the result.
        #[test]
        fn normalisation_is_idempotent_and_ignores_spacing(s in "\\PC{0,40}", pad in "[ \t\u{00A0}\u{3000}]{0,3}") {
            let n = normalize(&s);
            prop_assert_eq!(normalize(&n), n.clone());
            prop_assert_eq!(normalize(&format!("{pad}{s}{pad}")), n.clone());
            prop_assert!(!n.starts_with(' ') && !n.ends_with(' ') && !n.contains("  "));
        }

        /// Upper and lower case are one (names and ids in Latin letters, accented or not).
        #[test]
        fn case_is_folded(s in "[A-Za-zÀ-ÖØ-öø-ÿ0-9 '-]{0,30}") {
            prop_assert_eq!(normalize(&s.to_uppercase()), normalize(&s.to_lowercase()));
            prop_assert_eq!(normalize(&s.to_uppercase()), normalize(&s));
        }

        /// Spaces inside a name are collapsed: any run of them is one.
        #[test]
        fn runs_of_spaces_are_one(words in proptest::collection::vec("[A-Za-zÀ-ÿ'-]{1,8}", 1..4), gaps in proptest::collection::vec("[ \t]{1,4}", 3)) {
            let spaced: String = words.iter().enumerate().map(|(i, w)| if i == 0 { w.clone() } else { format!("{}{w}", gaps[i - 1]) }).collect();
            prop_assert_eq!(normalize(&spaced), normalize(&words.join(" ")));
        }
    }
}
