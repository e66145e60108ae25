//! The service inventory and closed-loop referrals (Framework questions 3 and 4).
//!
//! A [`Service`] is what a provider (a partner) offers: its type, its place on the Sequential
//! Intercept Model, who it takes, its opening hours, its capacity, whether police may drop a
//! person off. A [`ClosedLoopReferral`] follows one person from an encounter to a service through
//! the states of the HL7 FHIR ServiceRequest + Task pattern; [`ReferralState::can_move_to`] is the
//! one table of legal moves. Pure code: the caller passes the clock.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};


closed_list!(
    /// What kind of service.
    name ServiceKind, "service type" {
        CrisisCentre = "crisis_centre" / "Crisis centre",
        MobileCrisis = "mobile_crisis" / "Mobile crisis team",
        Line988 = "line_988" / "988 crisis line",
        WarmLine = "warm_line" / "Warm line",
        Detox = "detox" / "Detox / withdrawal management",
        OutpatientMentalHealth = "outpatient_mental_health" / "Outpatient mental health",
        SubstanceUseTreatment = "substance_use_treatment" / "Substance use treatment",
        PeerSupport = "peer_support" / "Peer support",
        HousingShelter = "housing_shelter" / "Housing / shelter",
        CaseManagement = "case_management" / "Case management",
        EmergencyDepartment = "emergency_department" / "Emergency department",
        Other = "other" / "Other",
    }
);

closed_list!(
    /// The Sequential Intercept Model's intercepts, 0 to 5.
    name Intercept, "intercept" {
        Community = "0" / "0 · Community services (crisis lines, mobile crisis, walk-in care)",
        LawEnforcement = "1" / "1 · Law enforcement and 911/988",
        InitialDetention = "2" / "2 · Initial detention and first court appearance",
        JailsCourts = "3" / "3 · Jails and courts",
        Reentry = "4" / "4 · Reentry",
        CommunityCorrections = "5" / "5 · Community corrections",
    }
);

impl Intercept {
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// A weekly opening schedule: `24/7`, or segments like `Mon-Fri 08:00-17:00; Sat 10:00-14:00`
/// (a time range may cross midnight: `Fri-Sat 20:00-02:00` is open until 2 in the night after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    /// Per segment: the days (bit 0 = Monday) and the minutes from midnight it opens and closes.
    segments: Vec<(u8, u16, u16)>,
    always: bool,
}

/// Why opening hours cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("opening hours `{given}`: {reason} (write `24/7` or e.g. `Mon-Fri 08:00-17:00; Sat 10:00-14:00`)")]
pub struct InvalidHours {
    pub given: String,
    pub reason: String,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day_index(s: &str) -> Option<usize> {
    let s = s.trim().to_ascii_lowercase();
    let s = s.get(..3)?;
    DAYS.iter().position(|d| *d == s)
}

fn minutes(s: &str) -> Option<u16> {
    let t = NaiveTime::parse_from_str(s.trim(), "%H:%M").ok().or_else(|| (s.trim() == "24:00").then_some(NaiveTime::MIN))?;
    let m = (t.hour_minute().0 * 60 + t.hour_minute().1) as u16;
    Some(if s.trim() == "24:00" { 24 * 60 } else { m })
}

trait HourMinute {
    fn hour_minute(&self) -> (u32, u32);
}

impl HourMinute for NaiveTime {
    fn hour_minute(&self) -> (u32, u32) {
        use chrono::Timelike;
        (self.hour(), self.minute())
    }
}

impl FromStr for Hours {
    type Err = InvalidHours;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| InvalidHours { given: s.chars().take(200).collect(), reason: reason.to_string() };
        let t = s.trim();
        if t.eq_ignore_ascii_case("24/7") || t.eq_ignore_ascii_case("always") {
            return Ok(Hours { segments: Vec::new(), always: true });
        }
        if t.is_empty() {
            return Err(bad("empty"));
        }
        let mut segments = Vec::new();
        for part in t.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (days, times) = part.split_once(' ').ok_or_else(|| bad(&format!("`{part}` needs days and a time range")))?;
            let mut mask = 0u8;
            for d in days.split(',') {
                match d.split_once('-') {
                    Some((a, b)) => {
                        let (a, b) = (day_index(a), day_index(b));
                        let (Some(a), Some(b)) = (a, b) else { return Err(bad(&format!("`{d}` is not a day range"))) };
                        let mut i = a;
                        loop {
                            mask |= 1 << i;
                            if i == b {
                                break;
                            }
                            i = (i + 1) % 7;
                        }
                    }
                    None => mask |= 1 << day_index(d).ok_or_else(|| bad(&format!("`{d}` is not a day")))?,
                }
            }
            let times = times.trim();
            let (open, close) = if times.eq_ignore_ascii_case("all day") || times == "00:00-24:00" {
                (0, 24 * 60)
            } else {
                let (a, b) = times.split_once('-').ok_or_else(|| bad(&format!("`{times}` is not a time range")))?;
                let a = minutes(a).filter(|m| *m < 24 * 60).ok_or_else(|| bad(&format!("`{a}` is not a time (HH:MM)")))?;
                let b = minutes(b).ok_or_else(|| bad(&format!("`{b}` is not a time (HH:MM)")))?;
                if a == b {
                    return Err(bad(&format!("`{times}` opens and closes at the same time")));
                }
                (a, b)
            };
            segments.push((mask, open, close));
        }
        if segments.is_empty() {
            return Err(bad("no days and times given"));
        }
        Ok(Hours { segments, always: false })
    }
}

impl Hours {
    pub fn always() -> Hours {
        Hours { segments: Vec::new(), always: true }
    }

    /// Open at this local time.
    pub fn open_at(&self, at: NaiveDateTime) -> bool {
        if self.always {
            return true;
        }
        let day = at.weekday().num_days_from_monday() as u8;
        let prev = (day + 6) % 7;
        let m = {
            let (h, mi) = at.time().hour_minute();
            (h * 60 + mi) as u16
        };
        self.segments.iter().any(|&(mask, open, close)| {
            if open < close {
                mask & (1 << day) != 0 && open <= m && m < close
            } else {
                // Crosses midnight: the evening of a listed day, or the small hours after it.
                (mask & (1 << day) != 0 && m >= open) || (mask & (1 << prev) != 0 && m < close)
            }
        })
    }

    pub fn is_always(&self) -> bool {
        self.always
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.always {
            return f.write_str("24/7");
        }
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let parts: Vec<String> = self
            .segments
            .iter()
            .map(|&(mask, open, close)| {
                let days: Vec<&str> = (0..7).filter(|i| mask & (1 << i) != 0).map(|i| names[i]).collect();
                let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
                format!("{} {}-{}", days.join(","), hm(open), hm(close))
            })
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// A service of the inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Service {
    #[serde(default)]
    pub id: i64,
    /// The provider (a partner).
    pub provider: crate::sharing::PartnerId,
    pub name: String,
    pub kind: ServiceKind,
    pub intercept: Intercept,
    /// Who it takes (empty: anyone), e.g. "adults 18+; county residents".
    #[serde(default)]
    pub eligibility: String,
    /// Opening hours (see [`Hours`]).
    pub hours: String,
    /// Beds or slots (when it has a fixed number).
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Police may bring a person directly.
    #[serde(default)]
    pub police_dropoff: bool,
    /// Reachable by public transit.
    #[serde(default)]
    pub transit_access: bool,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    /// The precinct or area it serves or sits in.
    #[serde(default)]
    pub area: String,
}

/// Why a service cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidService {
    #[error("the service's name is required (at most 200 characters)")]
    Name,
    #[error(transparent)]
    Hours(#[from] InvalidHours),
    #[error("the {0} contains a NUL character")]
    Nul(&'static str),
}

impl Service {
    pub fn validate(&self) -> Result<Hours, InvalidService> {
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(InvalidService::Name);
        }
        for (what, v) in [
            ("name", &self.name),
            ("eligibility", &self.eligibility),
            ("hours", &self.hours),
            ("phone", &self.phone),
            ("address", &self.address),
            ("area", &self.area),
        ] {
            if v.contains('\0') {
                return Err(InvalidService::Nul(what));
            }
        }
        Ok(self.hours.parse::<Hours>()?)
    }
}

closed_list!(
    /// Where a closed-loop referral is (HL7 FHIR Task states in brackets).
    name ReferralState, "referral state" {
        /// Drafted at the scene (draft).
        Proposed = "proposed" / "Proposed",
        /// Sent to the provider (requested).
        Sent = "sent" / "Sent",
        /// The provider accepted it (accepted).
        Accepted = "accepted" / "Accepted",
        /// The person reached care: the provider confirms (in-progress).
        Connected = "connected" / "Connected",
        /// The service was delivered (completed).
        Completed = "completed" / "Completed",
        /// The person said no (cancelled, by the person).
        Declined = "declined" / "Declined by the person",
        /// The provider could not take the person (rejected).
        TurnedAway = "turned_away" / "Turned away",
        /// Withdrawn by the referrer (cancelled).
        Cancelled = "cancelled" / "Cancelled",
    }
);

closed_list!(
    /// Why a provider turned a referral away.
    name TurnAwayReason, "turn-away reason" {
        NoCapacity = "no_capacity" / "No capacity",
        NotEligible = "not_eligible" / "Not eligible",
        Closed = "closed" / "Closed",
        NoResponse = "no_response" / "No response",
    }
);

impl ReferralState {
    /// The one table of legal moves.
    pub fn can_move_to(self, to: ReferralState) -> bool {
        use ReferralState::*;
        matches!(
            (self, to),
            (Proposed, Sent | Declined | Cancelled)
                | (Sent, Accepted | TurnedAway | Declined | Cancelled)
                | (Accepted, Connected | Completed | Declined | Cancelled)
                | (Connected, Completed)
        )
    }

    /// No move leaves it.
    pub fn is_final(self) -> bool {
        ReferralState::ALL.iter().all(|t| !self.can_move_to(*t))
    }

    /// Counts as a confirmed connection to care.
    pub fn is_connected(self) -> bool {
        matches!(self, ReferralState::Connected | ReferralState::Completed)
    }

    /// The button that moves a referral here, named for what the person pressing it does.
    pub fn verb(self) -> &'static str {
        match self {
            ReferralState::Proposed => "Save as proposed",
            ReferralState::Sent => "Send",
            ReferralState::Accepted => "Accept",
            ReferralState::Connected => "Confirm connection",
            ReferralState::Completed => "Confirm completion",
            ReferralState::Declined => "Record that the person declined",
            ReferralState::TurnedAway => "Turn away…",
            ReferralState::Cancelled => "Cancel the referral",
        }
    }

    /// Moves made by the receiving provider (the others by the referrer).
    pub fn by_provider(self) -> bool {
        matches!(self, ReferralState::Accepted | ReferralState::Connected | ReferralState::Completed | ReferralState::TurnedAway)
    }
}

/// A move the table does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IllegalMove {
    #[error("a referral that is {} cannot become {}", .from.label(), .to.label())]
    Transition { from: ReferralState, to: ReferralState },
    #[error("turning a referral away needs the reason (no capacity, not eligible, closed, no response)")]
    NoReason,
    #[error("a reason is given only when a referral is turned away")]
    ReasonWithoutTurnAway,
}

/// Check a move, with the reason a turn-away needs.
pub fn check_move(from: ReferralState, to: ReferralState, reason: Option<TurnAwayReason>) -> Result<(), IllegalMove> {
    if !from.can_move_to(to) {
        return Err(IllegalMove::Transition { from, to });
    }
    match (to, reason) {
        (ReferralState::TurnedAway, None) => Err(IllegalMove::NoReason),
        (ReferralState::TurnedAway, Some(_)) => Ok(()),
        (_, Some(_)) => Err(IllegalMove::ReasonWithoutTurnAway),
        (_, None) => Ok(()),
    }
}

/// What the gap report reads of one referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralFact {
    pub service_id: i64,
    pub state: ReferralState,
    pub reason: Option<TurnAwayReason>,
    pub made_at: NaiveDateTime,
    /// When a provider first confirmed the connection, if one did.
    pub connected_at: Option<NaiveDateTime>,
}

/// One service's line of the gap report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceGap {
    pub service_id: i64,
    pub name: String,
    pub kind: ServiceKind,
    pub intercept: Intercept,
    pub capacity: Option<u32>,
    /// Referrals made to it (every state but proposed).
    pub referrals: u64,
    pub accepted: u64,
    /// Connected or completed (confirmed by the provider).
    pub connected: u64,
    pub declined: u64,
    pub cancelled: u64,
    /// Turned away, by reason (in [`TurnAwayReason::ALL`]'s order).
    pub turned_away: Vec<(TurnAwayReason, u64)>,
    /// Days from referral to confirmed connection, the median (half-days rounded down).
    pub median_days_to_connection: Option<f64>,
    /// Turned away for no capacity at least as often as connected (and at least once): full.
    pub often_full: bool,
    /// No referral at all in the facts given: possibly under-used (or unknown to referrers).
    pub unused: bool,
}

/// The gap report over the services: referrals, acceptance, connection, turn-aways by reason, time
/// to connection, and the flags the workgroup reviews (full, unused).
pub fn gap_report(services: &[Service], facts: &[ReferralFact]) -> Vec<ServiceGap> {
    services
        .iter()
        .map(|s| {
            let mine: Vec<&ReferralFact> = facts.iter().filter(|f| f.service_id == s.id && f.state != ReferralState::Proposed).collect();
            let count = |p: &dyn Fn(&ReferralFact) -> bool| mine.iter().filter(|f| p(f)).count() as u64;
            let turned_away: Vec<(TurnAwayReason, u64)> = TurnAwayReason::ALL
                .iter()
                .map(|r| (*r, count(&|f| f.state == ReferralState::TurnedAway && f.reason == Some(*r))))
                .collect();
            let connected = count(&|f| f.state.is_connected());
            let mut days: Vec<f64> = mine
                .iter()
                .filter_map(|f| f.connected_at.map(|c| (c - f.made_at).num_minutes().max(0) as f64 / (24.0 * 60.0)))
                .collect();
            days.sort_by(|a, b| a.total_cmp(b));
            let median = match days.len() {
                0 => None,
                n if n % 2 == 1 => Some(days[n / 2]),
                n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
            };
            let no_capacity = turned_away.iter().find(|(r, _)| *r == TurnAwayReason::NoCapacity).map_or(0, |x| x.1);
            ServiceGap {
                service_id: s.id,
                name: s.name.clone(),
                kind: s.kind,
                intercept: s.intercept,
                capacity: s.capacity,
                referrals: mine.len() as u64,
                // Accepted at some point: accepted, connected or completed (or declined after).
                accepted: count(&|f| matches!(f.state, ReferralState::Accepted) || f.state.is_connected()),
                connected,
                declined: count(&|f| f.state == ReferralState::Declined),
                cancelled: count(&|f| f.state == ReferralState::Cancelled),
                turned_away,
                median_days_to_connection: median,
                often_full: no_capacity > 0 && no_capacity >= connected,
                unused: mine.is_empty(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn hours_read_and_answer_open_now() {
        // 2026-11-23 is a Monday.
        let h: Hours = "Mon-Fri 08:00-17:00; Sat 10:00-14:00".parse().unwrap();
        assert!(h.open_at(at("2026-11-23 08:00")));
        assert!(!h.open_at(at("2026-11-23 17:00")));
        assert!(h.open_at(at("2026-11-28 11:00")), "Saturday");
        assert!(!h.open_at(at("2026-11-29 11:00")), "Sunday");
        let night: Hours = "Fri-Sat 20:00-02:00".parse().unwrap();
        assert!(night.open_at(at("2026-11-27 23:00")), "Friday night");
        assert!(night.open_at(at("2026-11-28 01:30")), "the small hours after Friday");
        assert!(night.open_at(at("2026-11-29 01:30")), "the small hours after Saturday");
        assert!(!night.open_at(at("2026-11-30 01:30")), "not after Sunday");
        assert!("24/7".parse::<Hours>().unwrap().open_at(at("2026-11-29 03:00")));
        assert!("Sun-Mon 00:00-24:00".parse::<Hours>().unwrap().open_at(at("2026-11-23 23:59")));
        for bad in ["", ";", " ; ", "Mon", "Funday 08:00-09:00", "Mon 8am-5pm", "Mon 09:00-09:00", "Mon 25:00-26:00"] {
            assert!(bad.parse::<Hours>().is_err(), "{bad}");
        }
        assert_eq!(h.to_string(), "Mon,Tue,Wed,Thu,Fri 08:00-17:00; Sat 10:00-14:00");
    }

    #[test]
    fn the_referral_table() {
        use ReferralState::*;
        assert!(Proposed.can_move_to(Sent));
        assert!(Sent.can_move_to(Accepted) && Accepted.can_move_to(Connected) && Connected.can_move_to(Completed));
        assert!(!Proposed.can_move_to(Connected), "no skipping the provider's acceptance");
        assert!(!Completed.can_move_to(Proposed));
        for s in [Completed, Declined, TurnedAway, Cancelled] {
            assert!(s.is_final(), "{s}");
        }
        assert_eq!(check_move(Sent, TurnedAway, None), Err(IllegalMove::NoReason));
        assert!(check_move(Sent, TurnedAway, Some(TurnAwayReason::NoCapacity)).is_ok());
        assert_eq!(check_move(Sent, Accepted, Some(TurnAwayReason::Closed)), Err(IllegalMove::ReasonWithoutTurnAway));
        assert!(matches!(check_move(Declined, Accepted, None), Err(IllegalMove::Transition { .. })));
    }

    /// The stored name, the JSON name and the parsed name are one (every closed list).
    #[test]
    fn stored_and_json_names_agree() {
        fn check<T: Copy + serde::Serialize + FromStr + PartialEq + fmt::Debug>(all: &[T], name: impl Fn(T) -> &'static str) {
            for v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), serde_json::Value::String(name(*v).into()));
                assert_eq!(name(*v).parse::<T>().ok(), Some(*v));
            }
        }
        check(ServiceKind::ALL, ServiceKind::as_str);
        check(Intercept::ALL, Intercept::as_str);
        check(ReferralState::ALL, ReferralState::as_str);
        check(TurnAwayReason::ALL, TurnAwayReason::as_str);
        use crate::sharing::*;
        check(Sector::ALL, Sector::as_str);
        check(FieldGroup::ALL, FieldGroup::as_str);
        check(Purpose::ALL, Purpose::as_str);
        check(Direction::ALL, Direction::as_str);
    }

    #[test]
    fn names_parse() {
        assert_eq!("Mobile crisis".parse::<ServiceKind>(), Ok(ServiceKind::MobileCrisis));
        assert_eq!("3".parse::<Intercept>(), Ok(Intercept::JailsCourts));
        assert_eq!(Intercept::Reentry.number(), 4);
        assert!("7".parse::<Intercept>().is_err());
        assert_eq!("turned away".parse::<ReferralState>(), Ok(ReferralState::TurnedAway));
    }

    #[test]
    fn the_gap_report_counts_each_service() {
        let svc = |id: i64, name: &str| Service {
            id,
            provider: 1,
            name: name.into(),
            kind: ServiceKind::Detox,
            intercept: Intercept::LawEnforcement,
            eligibility: String::new(),
            hours: "24/7".into(),
            capacity: Some(4),
            police_dropoff: false,
            transit_access: false,
            phone: String::new(),
            address: String::new(),
            area: String::new(),
        };
        let fact = |id: i64, state: ReferralState, reason: Option<TurnAwayReason>, days: Option<i64>| ReferralFact {
            service_id: id,
            state,
            reason,
            made_at: at("2026-01-01 00:00"),
            connected_at: days.map(|d| at("2026-01-01 00:00") + chrono::Duration::days(d)),
        };
        use ReferralState::*;
        let facts = vec![
            fact(1, Connected, None, Some(2)),
            fact(1, Completed, None, Some(4)),
            fact(1, Accepted, None, None),
            fact(1, TurnedAway, Some(TurnAwayReason::NoCapacity), None),
            fact(1, Proposed, None, None),
            fact(2, TurnedAway, Some(TurnAwayReason::NoCapacity), None),
            fact(2, TurnedAway, Some(TurnAwayReason::NotEligible), None),
        ];
        let r = gap_report(&[svc(1, "A"), svc(2, "B"), svc(3, "C")], &facts);
        assert_eq!((r[0].referrals, r[0].accepted, r[0].connected), (4, 3, 2));
        assert_eq!(r[0].median_days_to_connection, Some(3.0));
        assert!(!r[0].often_full);
        assert_eq!(r[1].turned_away[0], (TurnAwayReason::NoCapacity, 1));
        assert_eq!(r[1].turned_away[1], (TurnAwayReason::NotEligible, 1));
        assert!(r[1].often_full && !r[1].unused);
        assert!(r[2].unused && r[2].median_days_to_connection.is_none());
    }

    proptest! {
        /// Any path through the table ends in a final state within five moves, never comes back to
        /// a state it left, and a connection is reached only through the provider's acceptance.
        #[test]
        fn walks_through_the_table(choices in proptest::collection::vec(0usize..8, 0..10)) {
            let mut s = ReferralState::Proposed;
            let mut seen = vec![s];
            for c in choices {
                let next: Vec<ReferralState> = ReferralState::ALL.iter().copied().filter(|t| s.can_move_to(*t)).collect();
                if next.is_empty() {
                    prop_assert!(s.is_final());
                    break;
                }
                let t = next[c % next.len()];
                if t.is_connected() {
                    prop_assert!(seen.contains(&ReferralState::Accepted));
                }
                prop_assert!(!seen.contains(&t));
                seen.push(t);
                s = t;
            }
            prop_assert!(seen.len() <= 5);
        }

        /// Reading hours never panics, and what is read prints and reads back the same.
        #[test]
        fn hours_round_trip(s in "[A-Za-z0-9:;, /-]{0,40}") {
            if let Ok(h) = s.parse::<Hours>() {
                let again: Hours = h.to_string().parse().unwrap();
                prop_assert_eq!(again, h);
            }
        }
    }
}
