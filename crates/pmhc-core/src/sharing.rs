//! Partners, information-sharing agreements and 42 CFR Part 2 consent: who may see which field
//! groups of whose records, decided here once for pages, API, exports, search and reports.
//!
//! Every encounter belongs to one partner (the partner that created or imported it). A user of
//! partner B sees the records of partner A only through an [`InformationSharingAgreement`] in
//! force on the day of access, and only the [`FieldGroup`]s that agreement names; when it expires
//! or is ended, sharing stops by itself because the decision is made at every access. Substance-use
//! details of another partner's record need more: a [`Consent`] in force of the person the record
//! is about, naming the owner as discloser, the viewer's partner as recipient and the agreement's
//! purpose (42 CFR 2.31, 2.33). Pure code: the caller passes the agreements, consents and today.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::registry::{SensitiveValues, withhold, withhold_outcome};
use crate::registry::would_withhold_outcome;

/// A partner's id (the database's).
pub type PartnerId = i64;

/// The partner every record and user belongs to until partners are set up.
pub const DEFAULT_PARTNER: PartnerId = 1;

pub use crate::names::UnknownName;

closed_list!(
    /// The sector of a partner agency or organization.
    name Sector, "sector" {
        LawEnforcement = "law_enforcement" / "Law enforcement",
        BehavioralHealth = "behavioral_health" / "Behavioral health",
        SubstanceUseTreatment = "substance_use_treatment" / "Substance use treatment",
        CrisisServices = "crisis_services" / "911/988 and crisis services",
        Advocacy = "advocacy" / "Advocacy",
        Housing = "housing" / "Housing",
        /// People with lived experience of mental illness or of the justice and behavioral-health
        /// systems, and their peer organizations (seed 000: equal partners from the outset).
        LivedExperience = "lived_experience" / "People with lived experience",
        /// Family members of people with mental illness, and family organizations.
        Families = "families" / "Families",
        Other = "other" / "Other",
    }
);

impl Sector {
    /// The sectors a partner organisation is recorded under. People with lived experience and
    /// families are sectors of the workgroup's members; an organisation of them is a partner in
    /// `advocacy` (the partners table holds only these, as its check says).
    pub const OF_PARTNERS: [Sector; 7] = [
        Sector::LawEnforcement,
        Sector::BehavioralHealth,
        Sector::SubstanceUseTreatment,
        Sector::CrisisServices,
        Sector::Advocacy,
        Sector::Housing,
        Sector::Other,
    ];

    pub fn of_partners(self) -> bool {
        Sector::OF_PARTNERS.contains(&self)
    }
}

closed_list!(
    /// A group of encounter fields that an agreement shares or withholds as a whole.
    name FieldGroup, "field group" {
        /// Call number, call source and types, priority, times of the response, response model,
        /// CIT and clinician response, officers, disposition, arrest, citation, referrals, force,
        /// injuries, weapon.
        IncidentDetails = "incident_details" / "Incident details",
        /// Time of day and place (precinct, sector, beat, coordinates).
        AreaAndTime = "area_and_time" / "Area and time",
        /// The pseudonymous person key that links a person's encounters.
        SubjectIdentity = "subject_identity" / "Subject identity",
        /// Age band, gender, race/ethnicity, veteran status, housing.
        Demographics = "demographics" / "Demographics",
        /// Mental-health flag, recognised at dispatch, observed behaviours, involuntary hold.
        MentalHealthDetails = "mental_health_details" / "Mental-health details",
        /// Substance use (42 CFR Part 2: needs the person's consent as well).
        SubstanceUseDetails = "substance_use_details" / "Substance-use details",
    }
);

closed_list!(
    /// Why information is shared (an agreement's purpose, and what a consent allows).
    name Purpose, "purpose" {
        Treatment = "treatment" / "Treatment",
        CareCoordination = "care_coordination" / "Care coordination and case management",
        ProgramEvaluation = "program_evaluation" / "Program evaluation and outcome reporting",
        QualityImprovement = "quality_improvement" / "Quality improvement",
        Research = "research" / "Research",
    }
);

closed_list!(
    /// Whether an agreement shares from the discloser to the recipient only, or both ways.
    name Direction, "direction" {
        OneWay = "one_way" / "One way (discloser to recipient)",
        BothWays = "both_ways" / "Both ways",
    }
);

impl FieldGroup {
    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The encounter's JSON keys in this group (from [`crate::registry`]).
    pub fn keys(self) -> impl Iterator<Item = &'static str> {
        crate::registry::keys_of(self)
    }
}

/// A set of field groups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldGroups(u8);

impl FieldGroups {
    pub const NONE: FieldGroups = FieldGroups(0);
    pub const ALL: FieldGroups = FieldGroups(0b11_1111);

    pub fn of(groups: &[FieldGroup]) -> FieldGroups {
        FieldGroups(groups.iter().fold(0, |a, g| a | g.bit()))
    }
    pub fn contains(self, g: FieldGroup) -> bool {
        self.0 & g.bit() != 0
    }
    pub fn with(self, g: FieldGroup) -> FieldGroups {
        FieldGroups(self.0 | g.bit())
    }
    pub fn without(self, g: FieldGroup) -> FieldGroups {
        FieldGroups(self.0 & !g.bit())
    }
    pub fn union(self, o: FieldGroups) -> FieldGroups {
        FieldGroups(self.0 | o.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn is_all(self) -> bool {
        self == FieldGroups::ALL
    }
    pub fn iter(self) -> impl Iterator<Item = FieldGroup> {
        FieldGroup::ALL.iter().copied().filter(move |g| self.contains(*g))
    }
    /// The groups not in this set.
    pub fn complement(self) -> FieldGroups {
        FieldGroups(!self.0 & FieldGroups::ALL.0)
    }
    /// The stored form: group names joined by commas.
    pub fn to_list(self) -> String {
        self.iter().map(FieldGroup::as_str).collect::<Vec<_>>().join(",")
    }
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(FieldGroup::as_str).collect()
    }
    pub fn labels(self) -> String {
        let v: Vec<_> = self.iter().map(FieldGroup::label).collect();
        if v.is_empty() { "none".into() } else { v.join(", ") }
    }
}

impl FromStr for FieldGroups {
    type Err = UnknownName;
    /// Names separated by commas (or whitespace); `all` for every group; empty for none.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = FieldGroups::NONE;
        for part in s.split([',', ' ', '\n', '\t']).map(str::trim).filter(|p| !p.is_empty()) {
            if part.eq_ignore_ascii_case("all") {
                out = FieldGroups::ALL;
            } else {
                out = out.with(part.parse()?);
            }
        }
        Ok(out)
    }
}

impl Serialize for FieldGroups {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for FieldGroups {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<FieldGroup>::deserialize(d)?;
        Ok(FieldGroups::of(&v))
    }
}

/// An agency or organization of the partnership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
    pub sector: Sector,
}

/// An information-sharing agreement between two partners, as enforced data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InformationSharingAgreement {
    /// Given by the store (ignored when an agreement is sent to be saved).
    #[serde(default)]
    pub id: i64,
    pub title: String,
    /// The partner whose records are shared.
    pub discloser: PartnerId,
    /// The partner that receives them (and, both ways, also shares its own).
    pub recipient: PartnerId,
    pub direction: Direction,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<FieldGroup>))]
    pub field_groups: FieldGroups,
    pub purpose: Purpose,
    /// The legal basis (e.g. "HIPAA 45 CFR 164.506(c) treatment; MOU of 2026-03-01").
    pub legal_basis: String,
    pub effective_on: NaiveDate,
    /// The last day the agreement is in force.
    pub expires_on: NaiveDate,
    /// Ended early (the day it stopped applying), if it was (ignored when saving).
    #[serde(default)]
    pub ended_on: Option<NaiveDate>,
    /// The day the disclosing partner approved it: nothing is shared before (ignored when saving:
    /// a party approves through its own users).
    #[serde(default)]
    pub discloser_approved_on: Option<NaiveDate>,
    /// The day the recipient approved it (needed both ways: then it discloses too).
    #[serde(default)]
    pub recipient_approved_on: Option<NaiveDate>,
}

/// Why an agreement cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAgreement {
    #[error("an agreement needs two different partners")]
    SamePartner,
    #[error("an agreement must share at least one field group")]
    NoFieldGroups,
    #[error("the {0} is required")]
    Missing(&'static str),
    #[error("the expiry date {expires} is before the effective date {effective}")]
    ExpiresBeforeEffective { effective: NaiveDate, expires: NaiveDate },
    #[error("the {0} contains a NUL character")]
    Nul(&'static str),
}

impl InformationSharingAgreement {
    pub fn validate(&self) -> Result<(), InvalidAgreement> {
        if self.discloser == self.recipient {
            return Err(InvalidAgreement::SamePartner);
        }
        if self.field_groups.is_empty() {
            return Err(InvalidAgreement::NoFieldGroups);
        }
        for (name, v) in [("title", &self.title), ("legal basis", &self.legal_basis)] {
            if v.trim().is_empty() {
                return Err(InvalidAgreement::Missing(name));
            }
            if v.contains('\0') {
                return Err(InvalidAgreement::Nul(name));
            }
        }
        if self.expires_on < self.effective_on {
            return Err(InvalidAgreement::ExpiresBeforeEffective {
                effective: self.effective_on,
                expires: self.expires_on,
            });
        }
        Ok(())
    }

    /// In force on `day`: approved by every party that discloses under it, effective, not
    /// expired, not ended.
    pub fn in_force(&self, day: NaiveDate) -> bool {
        self.approved() && self.effective_on <= day && day <= self.expires_on && self.ended_on.is_none_or(|e| day < e)
    }

    /// Approved by the discloser and, both ways, by the recipient too.
    pub fn approved(&self) -> bool {
        self.discloser_approved_on.is_some() && (self.direction == Direction::OneWay || self.recipient_approved_on.is_some())
    }

    /// The parties whose approval it still waits for.
    pub fn awaiting(&self) -> Vec<PartnerId> {
        let mut v = Vec::new();
        if self.discloser_approved_on.is_none() {
            v.push(self.discloser);
        }
        if self.direction == Direction::BothWays && self.recipient_approved_on.is_none() {
            v.push(self.recipient);
        }
        v
    }

    /// Whether `p` is a party to it.
    pub fn party(&self, p: PartnerId) -> bool {
        self.discloser == p || self.recipient == p
    }

    /// The state shown on the sharing screen.
    pub fn state(&self, day: NaiveDate) -> &'static str {
        if self.ended_on.is_some_and(|e| e <= day) {
            "ended"
        } else if !self.approved() {
            "awaiting approval"
        } else if day < self.effective_on {
            "not yet in force"
        } else if day > self.expires_on {
            "expired"
        } else {
            "in force"
        }
    }

    /// Whether this agreement lets `viewer` see records owned by `owner`.
    pub fn applies(&self, owner: PartnerId, viewer: PartnerId) -> bool {
        (self.discloser == owner && self.recipient == viewer)
            || (self.direction == Direction::BothWays && self.discloser == viewer && self.recipient == owner)
    }
}

/// The re-disclosure notice that accompanies every disclosure of substance-use details made
/// under consent (42 CFR 2.32, as amended in 2024).
pub const REDISCLOSURE_NOTICE: &str = "This record which has been disclosed to you is protected by \
Federal confidentiality rules (42 CFR part 2). These rules prohibit you from using or disclosing \
this record, or testimony that describes the information contained in this record, in any civil, \
criminal, administrative, or legislative proceedings by any Federal, State, or local authority, \
against the patient, unless authorized by the consent of the patient, except as provided at 42 CFR \
2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In addition, the \
Federal rules prohibit you from making any other use or disclosure of this record unless at least \
one of the following applies: further use or disclosure is expressly permitted by the written \
consent of the individual whose information is being disclosed in this record or as otherwise \
permitted by 42 CFR part 2; you are a covered entity or business associate and have received the \
record for treatment, payment, or health care operations; or you have received the record from a \
covered entity or business associate as permitted by 45 CFR part 164, subparts A and E. A general \
authorization for the release of medical or other information is NOT sufficient to meet the \
required elements of written consent to further use or redisclose the record (see 42 CFR 2.31).";

/// A person's written consent to the disclosure of their substance-use information
/// (42 CFR 2.31): every element the rule requires is a field, and [`Consent::validate`] refuses
/// a consent that lacks any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consent {
    /// Given by the store (ignored when a consent is sent to be saved).
    #[serde(default)]
    pub id: i64,
    /// The person (their pseudonymous subject key, as on their encounters).
    pub subject_key: String,
    /// Who may disclose: the partner holding the records.
    pub discloser: PartnerId,
    /// To whom: the recipient partner.
    pub recipient: PartnerId,
    /// What information, in the person's words or the form's (e.g. "substance use noted at
    /// crisis encounters, 2026").
    pub information: String,
    /// The purpose of the disclosure.
    pub purpose: Purpose,
    /// The expiry date, or …
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    /// … the expiry event (e.g. "end of treatment"); one of the two is required.
    #[serde(default)]
    pub expiry_event: Option<String>,
    /// The person was told of their right to revoke the consent (and how), and of what cannot
    /// be revoked (disclosures already made).
    pub right_to_revoke_acknowledged: bool,
    /// Who signed: the person, or their authorized representative (name and capacity).
    pub signed_by: String,
    pub signed_on: NaiveDate,
    /// Revoked on this day, if it was (ignored when saving).
    #[serde(default)]
    pub revoked_on: Option<NaiveDate>,
}

/// The elements a consent lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the consent is missing {}", .0.join(", "))]
pub struct InvalidConsent(pub Vec<&'static str>);

impl Consent {
    /// Every missing or contradictory element, all at once.
    pub fn validate(&self) -> Result<(), InvalidConsent> {
        let mut missing = Vec::new();
        let blank = |s: &str| s.trim().is_empty() || s.contains('\0');
        if blank(&self.subject_key) {
            missing.push("the person (subject key)");
        }
        if self.discloser == self.recipient {
            missing.push("a recipient other than the discloser");
        }
        if blank(&self.information) {
            missing.push("what information may be disclosed");
        }
        let event = self.expiry_event.as_deref().is_some_and(|e| !blank(e));
        if self.expires_on.is_none() && !event {
            missing.push("an expiry date or event");
        }
        if self.expires_on.is_some_and(|d| d < self.signed_on) {
            missing.push("an expiry date on or after the signature date");
        }
        if !self.right_to_revoke_acknowledged {
            missing.push("the statement of the right to revoke");
        }
        if blank(&self.signed_by) {
            missing.push("the signature (who signed)");
        }
        if missing.is_empty() { Ok(()) } else { Err(InvalidConsent(missing)) }
    }

    /// In force on `day`: signed, not past its expiry date, not revoked. (An expiry event is
    /// recorded by revoking the consent on the day it happens.)
    pub fn in_force(&self, day: NaiveDate) -> bool {
        self.signed_on <= day && self.expires_on.is_none_or(|e| day <= e) && self.revoked_on.is_none_or(|r| day < r)
    }

    /// Whether it allows disclosure of `subject`'s records held by `discloser` to `recipient`
    /// for `purpose` on `day`.
    pub fn covers(&self, subject: &str, discloser: PartnerId, recipient: PartnerId, purpose: Purpose, day: NaiveDate) -> bool {
        self.subject_key == subject
            && self.discloser == discloser
            && self.recipient == recipient
            && self.purpose == purpose
            && self.in_force(day)
    }

    /// The consent's scope, as carried with each disclosure.
    pub fn scope(&self) -> String {
        let until = match (&self.expires_on, &self.expiry_event) {
            (Some(d), _) => format!("until {d}"),
            (None, Some(e)) => format!("until {e}"),
            (None, None) => String::new(),
        };
        format!("consent #{} signed {} for {}: {} {}", self.id, self.signed_on, self.purpose.label(), self.information, until)
    }
}

/// What a viewer may see of one record, and under what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub groups: FieldGroups,
    /// The agreements the groups come through (none for the owner's own records).
    pub agreements: Vec<i64>,
    /// The consent under which substance-use details are disclosed, when they come from
    /// another partner (the disclosure carries [`REDISCLOSURE_NOTICE`] and is accounted for).
    pub consent: Option<Consent>,
}

impl Disclosure {
    pub fn none() -> Disclosure {
        Disclosure { groups: FieldGroups::NONE, agreements: Vec::new(), consent: None }
    }
    /// Whether the record may be seen at all.
    pub fn visible(&self) -> bool {
        !self.groups.is_empty()
    }
}

/// The sharing in force for one viewing partner on one day: what each other partner's records
/// show. Built once per request from the agreements; asked per record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharingView {
    pub viewer: PartnerId,
    pub day: NaiveDate,
    /// Per owner: the groups shared, the agreements, and the purposes that share substance use.
    owners: Vec<(PartnerId, FieldGroups, Vec<i64>, Vec<Purpose>)>,
}

impl SharingView {
    pub fn new(viewer: PartnerId, agreements: &[InformationSharingAgreement], day: NaiveDate) -> SharingView {
        let mut owners: Vec<(PartnerId, FieldGroups, Vec<i64>, Vec<Purpose>)> = Vec::new();
        for a in agreements.iter().filter(|a| a.in_force(day)) {
            for owner in [a.discloser, a.recipient] {
                if owner == viewer || !a.applies(owner, viewer) {
                    continue;
                }
                let i = match owners.iter().position(|o| o.0 == owner) {
                    Some(i) => i,
                    None => {
                        owners.push((owner, FieldGroups::NONE, Vec::new(), Vec::new()));
                        owners.len() - 1
                    }
                };
                let o = &mut owners[i];
                o.1 = o.1.union(a.field_groups);
                o.2.push(a.id);
                if a.field_groups.contains(FieldGroup::SubstanceUseDetails) {
                    o.3.push(a.purpose);
                }
            }
        }
        owners.sort_by_key(|o| o.0);
        SharingView { viewer, day, owners }
    }

    /// The groups shared by `owner` with the viewer before consent is considered (everything
    /// for the viewer's own records).
    pub fn groups_of(&self, owner: PartnerId) -> FieldGroups {
        if owner == self.viewer {
            return FieldGroups::ALL;
        }
        self.owners.iter().find(|o| o.0 == owner).map_or(FieldGroups::NONE, |o| o.1)
    }

    /// The partners whose records the viewer sees at all (their own included), ascending.
    pub fn visible_owners(&self) -> Vec<PartnerId> {
        let mut v: Vec<PartnerId> = self.owners.iter().filter(|o| !o.1.is_empty()).map(|o| o.0).collect();
        v.push(self.viewer);
        v.sort_unstable();
        v
    }

    /// The partners whose records show every group in `needed`.
    pub fn owners_sharing(&self, needed: FieldGroups) -> Vec<PartnerId> {
        let mut v: Vec<PartnerId> =
            self.owners.iter().filter(|o| o.1.union(needed) == o.1 && !o.1.is_empty()).map(|o| o.0).collect();
        v.push(self.viewer);
        v.sort_unstable();
        v
    }

    /// What the viewer may see of a record of `owner` about `subject`, given the consents on
    /// file for that subject.
    pub fn disclose(&self, owner: PartnerId, subject: Option<&str>, consents: &[Consent]) -> Disclosure {
        if owner == self.viewer {
            return Disclosure { groups: FieldGroups::ALL, agreements: Vec::new(), consent: None };
        }
        let Some((_, groups, agreements, su_purposes)) = self.owners.iter().find(|o| o.0 == owner) else {
            return Disclosure::none();
        };
        let mut groups = groups.without(FieldGroup::SubstanceUseDetails);
        let mut consent = None;
        if let Some(subject) = subject {
            consent = consents
                .iter()
                .find(|c| su_purposes.iter().any(|p| c.covers(subject, owner, self.viewer, *p, self.day)))
                .cloned();
            if consent.is_some() {
                groups = groups.with(FieldGroup::SubstanceUseDetails);
            }
        }
        Disclosure { groups, agreements: agreements.clone(), consent }
    }
}

/// What a viewer's reports cover: per partner, the field groups seen (partners not listed are
/// left out). Part of a report's cache key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ReportScope(pub Vec<(PartnerId, FieldGroups)>);

impl ReportScope {
    pub fn groups(&self, p: PartnerId) -> FieldGroups {
        self.0.iter().find(|(q, _)| *q == p).map_or(FieldGroups::NONE, |(_, g)| *g)
    }
}

impl SharingView {
    /// The scope of this viewer's reports: their own records in full, each other partner's
    /// through the groups its agreements share (substance use never enters a report).
    pub fn report_scope(&self) -> ReportScope {
        let mut v: Vec<(PartnerId, FieldGroups)> = self
            .owners
            .iter()
            .filter(|o| !o.1.is_empty())
            .map(|o| (o.0, o.1.without(FieldGroup::SubstanceUseDetails)))
            .collect();
        v.push((self.viewer, FieldGroups::ALL));
        v.sort_unstable();
        ReportScope(v)
    }
}

/// The outcome data as a scope sees it: records of partners outside it left out, fields of
/// groups not shared blanked. `None` when the scope sees `base` whole (use it as it is).
pub fn scoped_outcome_data(
    base: &crate::outcomes::OutcomeData,
    scope: &ReportScope,
    sensitive: &SensitiveValues,
) -> Option<crate::outcomes::OutcomeData> {
    let sensitive_symbols = sensitive.symbols(&base.symbols);
    let sees = |p: PartnerId| scope.groups(p);
    if base.records.iter().all(|r| !sees(r.partner).is_empty() && !would_withhold_outcome(r, sees(r.partner), &sensitive_symbols)) {
        return None;
    }
    let records = base
        .records
        .iter()
        .filter(|r| !sees(r.partner).is_empty())
        .map(|r| {
            let mut r = r.clone();
            let groups = sees(r.partner);
            withhold_outcome(&mut r, groups, &sensitive_symbols);
            r
        })
        .collect();
    Some(crate::outcomes::OutcomeData { symbols: base.symbols.clone(), records })
}

/// The field groups a search on these encounter-list filters reads (a filter on a withheld
/// group must not match, or the search itself would disclose it).
pub fn groups_searched(area: bool, response_model: bool, subject: bool) -> FieldGroups {
    let mut g = FieldGroups::NONE;
    if area {
        g = g.with(FieldGroup::AreaAndTime);
    }
    if response_model {
        g = g.with(FieldGroup::IncidentDetails);
    }
    if subject {
        g = g.with(FieldGroup::SubjectIdentity);
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::*;
    use crate::encounter::Encounter;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn agreement(discloser: PartnerId, recipient: PartnerId, direction: Direction, groups: &str) -> InformationSharingAgreement {
        InformationSharingAgreement {
            id: 7,
            title: "MOU".into(),
            discloser,
            recipient,
            direction,
            field_groups: groups.parse().unwrap(),
            purpose: Purpose::CareCoordination,
            legal_basis: "45 CFR 164.506".into(),
            effective_on: day("2026-01-01"),
            expires_on: day("2026-12-31"),
            ended_on: None,
            discloser_approved_on: Some(day("2025-12-01")),
            recipient_approved_on: Some(day("2025-12-02")),
        }
    }

    #[test]
    fn nothing_is_shared_before_the_disclosing_parties_approve() {
        let on = day("2026-05-01");
        let one = InformationSharingAgreement { discloser_approved_on: None, recipient_approved_on: None, ..agreement(1, 2, Direction::OneWay, "all") };
        assert_eq!((one.state(on), one.awaiting()), ("awaiting approval", vec![1]));
        assert!(SharingView::new(2, std::slice::from_ref(&one), on).groups_of(1).is_empty(), "the recipient's approval is not enough");
        let one = InformationSharingAgreement { discloser_approved_on: Some(on), ..one };
        assert!(one.in_force(on) && one.awaiting().is_empty());
        let both = InformationSharingAgreement { recipient_approved_on: None, ..agreement(1, 2, Direction::BothWays, "all") };
        assert_eq!(both.awaiting(), vec![2]);
        assert!(SharingView::new(1, std::slice::from_ref(&both), on).groups_of(2).is_empty(), "both ways needs both");
        assert!(SharingView::new(2, std::slice::from_ref(&both), on).groups_of(1).is_empty());
        assert!(both.party(1) && both.party(2) && !both.party(3));
    }

    fn consent() -> Consent {
        Consent {
            id: 3,
            subject_key: "S1".into(),
            discloser: 1,
            recipient: 2,
            information: "substance use at encounters".into(),
            purpose: Purpose::CareCoordination,
            expires_on: Some(day("2026-06-30")),
            expiry_event: None,
            right_to_revoke_acknowledged: true,
            signed_by: "the person".into(),
            signed_on: day("2026-02-01"),
            revoked_on: None,
        }
    }

    /// The registry names every JSON key of the record once, and nothing else.
    #[test]
    fn every_field_has_one_group() {
        let e = Encounter::new("s", "k", day("2026-01-01"));
        let json = serde_json::to_value(&e).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut registered: Vec<&str> = crate::registry::ENCOUNTER_FIELDS.iter().map(|(k, _)| *k).collect();
        registered.sort_unstable();
        registered.dedup();
        assert_eq!(registered.len(), crate::registry::ENCOUNTER_FIELDS.len(), "a field is named twice");
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, registered, "the registry and the record's JSON keys");
        for g in FieldGroup::ALL {
            assert!(g.keys().count() > 0, "{g:?} has fields");
        }
    }

    #[test]
    fn own_records_show_everything() {
        let v = SharingView::new(1, &[], day("2026-05-01"));
        assert_eq!(v.disclose(1, Some("S1"), &[]).groups, FieldGroups::ALL);
        assert!(!v.disclose(2, Some("S1"), &[]).visible());
    }

    #[test]
    fn agreement_states_none_active_expired_one_way() {
        let a = agreement(1, 2, Direction::OneWay, "incident_details,demographics");
        let v = SharingView::new(2, std::slice::from_ref(&a), day("2026-05-01"));
        assert_eq!(v.groups_of(1), FieldGroups::of(&[FieldGroup::IncidentDetails, FieldGroup::Demographics]));
        // One way: partner 1 does not see partner 2's records.
        let back = SharingView::new(1, std::slice::from_ref(&a), day("2026-05-01"));
        assert!(back.groups_of(2).is_empty());
        // Both ways: it does.
        let both = agreement(1, 2, Direction::BothWays, "incident_details");
        assert!(SharingView::new(1, &[both], day("2026-05-01")).groups_of(2).contains(FieldGroup::IncidentDetails));
        // Expired, not yet in force, ended.
        assert!(SharingView::new(2, std::slice::from_ref(&a), day("2027-01-01")).groups_of(1).is_empty());
        assert!(SharingView::new(2, std::slice::from_ref(&a), day("2025-12-31")).groups_of(1).is_empty());
        let mut ended = a.clone();
        ended.ended_on = Some(day("2026-04-01"));
        assert!(SharingView::new(2, &[ended.clone()], day("2026-05-01")).groups_of(1).is_empty());
        assert_eq!(ended.state(day("2026-05-01")), "ended");
        assert_eq!(a.state(day("2026-05-01")), "in force");
        assert_eq!(a.state(day("2027-05-01")), "expired");
    }

    #[test]
    fn substance_use_needs_a_consent_covering_recipient_and_purpose() {
        let a = agreement(1, 2, Direction::OneWay, "all");
        let v = SharingView::new(2, &[a], day("2026-05-01"));
        let c = consent();
        let with = v.disclose(1, Some("S1"), std::slice::from_ref(&c));
        assert!(with.groups.contains(FieldGroup::SubstanceUseDetails));
        assert_eq!(with.consent.as_ref().map(|c| c.id), Some(3));
        assert!(!v.disclose(1, Some("S1"), &[]).groups.contains(FieldGroup::SubstanceUseDetails));
        assert!(!v.disclose(1, None, std::slice::from_ref(&c)).groups.contains(FieldGroup::SubstanceUseDetails));
        assert!(!v.disclose(1, Some("S2"), std::slice::from_ref(&c)).groups.contains(FieldGroup::SubstanceUseDetails));
        let blocked = |c: Consent| !v.disclose(1, Some("S1"), &[c]).groups.contains(FieldGroup::SubstanceUseDetails);
        assert!(blocked(Consent { revoked_on: Some(day("2026-04-01")), ..consent() }), "revoked");
        assert!(blocked(Consent { expires_on: Some(day("2026-04-30")), ..consent() }), "expired");
        assert!(blocked(Consent { recipient: 3, ..consent() }), "wrong recipient");
        assert!(blocked(Consent { purpose: Purpose::Research, ..consent() }), "wrong purpose");
        assert!(blocked(Consent { discloser: 4, ..consent() }), "wrong discloser");
        // An agreement without the substance-use group: no consent makes up for it.
        let v2 = SharingView::new(2, &[agreement(1, 2, Direction::OneWay, "incident_details")], day("2026-05-01"));
        assert!(!v2.disclose(1, Some("S1"), &[consent()]).groups.contains(FieldGroup::SubstanceUseDetails));
    }

    #[test]
    fn a_consent_lacking_elements_is_refused_with_all_of_them() {
        assert_eq!(consent().validate(), Ok(()));
        let bad = Consent {
            subject_key: " ".into(),
            information: String::new(),
            expires_on: None,
            right_to_revoke_acknowledged: false,
            signed_by: String::new(),
            recipient: 1,
            ..consent()
        };
        let e = bad.validate().unwrap_err();
        assert_eq!(e.0.len(), 6, "{e}");
        assert!(Consent { expires_on: None, expiry_event: Some("end of treatment".into()), ..consent() }.validate().is_ok());
    }

    #[test]
    fn agreements_validate() {
        assert!(agreement(1, 2, Direction::OneWay, "all").validate().is_ok());
        assert_eq!(agreement(1, 1, Direction::OneWay, "all").validate(), Err(InvalidAgreement::SamePartner));
        assert_eq!(agreement(1, 2, Direction::OneWay, "").validate(), Err(InvalidAgreement::NoFieldGroups));
        let mut a = agreement(1, 2, Direction::OneWay, "all");
        a.expires_on = day("2025-01-01");
        assert!(matches!(a.validate(), Err(InvalidAgreement::ExpiresBeforeEffective { .. })));
    }

    #[test]
    fn names_parse() {
        assert_eq!("Law enforcement".parse::<Sector>(), Ok(Sector::LawEnforcement));
        assert!("police".parse::<Sector>().is_err());
        assert_eq!("all".parse::<FieldGroups>(), Ok(FieldGroups::ALL));
        assert_eq!("".parse::<FieldGroups>(), Ok(FieldGroups::NONE));
        assert!("names".parse::<FieldGroups>().is_err());
    }

    fn groups() -> impl Strategy<Value = FieldGroups> {
        (0u8..64).prop_map(FieldGroups)
    }

    proptest! {
        #[test]
        fn field_groups_round_trip(g in groups()) {
            prop_assert_eq!(g.to_list().parse::<FieldGroups>().unwrap(), g);
            let json = serde_json::to_string(&g).unwrap();
            prop_assert_eq!(serde_json::from_str::<FieldGroups>(&json).unwrap(), g);
        }

        /// Withholding a group leaves nothing of it: a record seen through `g` equals the
        /// record seen through everything, then withheld to `g`; and withholding is idempotent
        /// and monotone (seeing less never shows more).
        #[test]
        fn withholding_is_idempotent_and_monotone(g in groups(), h in groups()) {
            let mut e = Encounter::new("s", "k", day("2026-01-01"));
            e.subject_key = Some("S".into());
            e.substance_use = Some(true);
            e.mental_health_flag = Some(true);
            e.call_number = Some("C1".into());
            e.area.precinct = Some("P".into());
            e.gender = Gender::Female;
            let mut once = e.clone();
            withhold(&mut once, g, &SensitiveValues::default());
            let mut twice = once.clone();
            withhold(&mut twice, g, &SensitiveValues::default());
            prop_assert_eq!(&once, &twice);
            let mut less = once.clone();
            withhold(&mut less, FieldGroups(g.0 & h.0), &SensitiveValues::default());
            let mut direct = e.clone();
            withhold(&mut direct, FieldGroups(g.0 & h.0), &SensitiveValues::default());
            prop_assert_eq!(less, direct);
            prop_assert_eq!(once.subject_key.is_some(), g.contains(FieldGroup::SubjectIdentity));
            prop_assert_eq!(once.substance_use.is_some(), g.contains(FieldGroup::SubstanceUseDetails));
            prop_assert_eq!(once.mental_health_flag.is_some(), g.contains(FieldGroup::MentalHealthDetails));
            prop_assert_eq!(once.call_number.is_some(), g.contains(FieldGroup::IncidentDetails));
            prop_assert_eq!(once.area.precinct.is_some(), g.contains(FieldGroup::AreaAndTime));
            prop_assert_eq!(once.gender != Gender::Unknown, g.contains(FieldGroup::Demographics));
        }

        /// A view never shows another partner more than the union of the agreements in force
        /// that apply to the pair, and never substance use without a consent.
        #[test]
        fn views_never_exceed_their_agreements(
            specs in proptest::collection::vec((1i64..4, 1i64..4, any::<bool>(), groups(), 0i64..400, (any::<bool>(), any::<bool>())), 0..6),
            viewer in 1i64..4, owner in 1i64..4, offset in 0i64..400,
        ) {
            let base = day("2026-01-01");
            let agreements: Vec<_> = specs.iter().enumerate().map(|(i, (d, r, both, g, start, (da, ra)))| InformationSharingAgreement {
                id: i as i64,
                title: "t".into(),
                discloser: *d,
                recipient: *r,
                direction: if *both { Direction::BothWays } else { Direction::OneWay },
                field_groups: *g,
                purpose: Purpose::Treatment,
                legal_basis: "b".into(),
                effective_on: base + chrono::Days::new(*start as u64),
                expires_on: base + chrono::Days::new(*start as u64 + 60),
                ended_on: None,
                discloser_approved_on: da.then_some(base),
                recipient_approved_on: ra.then_some(base),
            }).collect();
            let today = base + chrono::Days::new(offset as u64);
            let v = SharingView::new(viewer, &agreements, today);
            let d = v.disclose(owner, Some("S"), &[]);
            if owner == viewer {
                prop_assert!(d.groups.is_all());
            } else {
                let allowed = agreements.iter().filter(|a| a.in_force(today) && a.applies(owner, viewer))
                    .fold(FieldGroups::NONE, |acc, a| acc.union(a.field_groups));
                prop_assert_eq!(d.groups.union(allowed), allowed);
                prop_assert!(!d.groups.contains(FieldGroup::SubstanceUseDetails));
            }
        }
    }
}
