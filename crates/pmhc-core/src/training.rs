//! Training (Framework question 3): courses, sessions, the staff roster, completions, and the
//! coverage the workgroup reviews — the share of patrol officers and dispatchers trained, by
//! precinct and shift, the refreshers overdue, and how often a trained officer reached the calls
//! that asked for one. Pure code: the caller passes today's date.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::sharing::PartnerId;

closed_list!(
    /// What a course is.
    name CourseKind, "course kind" {
        /// The 40-hour Crisis Intervention Team course (Memphis model).
        BasicCit = "basic_cit" / "Basic CIT (40 hours)",
        Advanced = "advanced" / "Advanced topics",
        Refresher = "refresher" / "Refresher",
        /// For 911 and 988 call-takers and dispatchers.
        Dispatcher = "dispatcher" / "Dispatcher course",
        DeEscalation = "de_escalation" / "De-escalation",
        CulturalCompetence = "cultural_competence" / "Cultural competence",
        Other = "other" / "Other",
    }
);

closed_list!(
    /// Who taught a session.
    name InstructorType, "instructor type" {
        Police = "police" / "Police trainer",
        Clinician = "clinician" / "Clinician",
        LivedExperience = "lived_experience" / "Person with lived experience",
        FamilyMember = "family_member" / "Family member",
        Advocate = "advocate" / "Advocate",
        Other = "other" / "Other",
    }
);

closed_list!(
    /// A staff member's role on the roster.
    name StaffRole, "staff role" {
        PatrolOfficer = "patrol_officer" / "Patrol officer",
        Supervisor = "supervisor" / "Supervisor",
        Dispatcher = "dispatcher" / "Dispatcher",
        Clinician = "clinician" / "Clinician",
        Other = "other" / "Other",
    }
);

impl StaffRole {
    /// The courses that make a member of this role "trained": the 40-hour CIT course for those
    /// who answer calls in person, the dispatcher course (or the full CIT course) for dispatchers.
    pub fn qualifying(self) -> &'static [CourseKind] {
        match self {
            StaffRole::PatrolOfficer | StaffRole::Supervisor => &[CourseKind::BasicCit],
            StaffRole::Dispatcher => &[CourseKind::Dispatcher, CourseKind::BasicCit],
            StaffRole::Clinician | StaffRole::Other => &[],
        }
    }

    /// The coverage group this role counts in, if any.
    pub fn coverage_group(self) -> Option<CoverageGroup> {
        match self {
            StaffRole::PatrolOfficer | StaffRole::Supervisor => Some(CoverageGroup::Officers),
            StaffRole::Dispatcher => Some(CoverageGroup::Dispatchers),
            StaffRole::Clinician | StaffRole::Other => None,
        }
    }
}

/// The two groups whose coverage the Framework asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CoverageGroup {
    Officers,
    Dispatchers,
}

impl CoverageGroup {
    pub fn label(self) -> &'static str {
        match self {
            CoverageGroup::Officers => "Patrol officers and supervisors",
            CoverageGroup::Dispatchers => "Dispatchers",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CoverageGroup::Officers => "officers",
            CoverageGroup::Dispatchers => "dispatchers",
        }
    }
}

/// A course of the training programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Course {
    #[serde(default)]
    pub id: i64,
    pub name: String,
    pub kind: CourseKind,
    pub hours: f64,
    /// Months a completion counts before a refresher is due (none: never due).
    pub refresher_months: Option<u32>,
}

/// One time a course was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainingSession {
    #[serde(default)]
    pub id: i64,
    pub course_id: i64,
    pub held_on: NaiveDate,
    pub location: String,
    pub instructors: Vec<InstructorType>,
}

/// A member of a partner's staff roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffMember {
    #[serde(default)]
    pub id: i64,
    pub partner: PartnerId,
    /// The badge or employee number: officers on encounters are matched by it.
    pub staff_key: String,
    pub name: String,
    pub agency: String,
    pub precinct: Option<String>,
    pub shift: Option<String>,
    pub role: StaffRole,
    pub active: bool,
}

/// A staff member who completed a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Completion {
    pub staff_id: i64,
    pub session_id: i64,
    pub completed_on: NaiveDate,
    /// Test scores, 0 to 100.
    pub pre_score: Option<f64>,
    pub post_score: Option<f64>,
    /// The participant's evaluation of the session, 1 (poor) to 5 (excellent).
    pub evaluation: Option<u8>,
}

/// Why a training record is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidTraining {
    #[error("a course needs a name")]
    NoName,
    #[error("hours must be more than 0 and at most 1000, not {0}")]
    Hours(f64),
    #[error("refresher months are from 1 to 120 (leave it empty when no refresher is due), not {0}")]
    RefresherMonths(u32),
    #[error("a {0} needs a staff number (badge or employee number)")]
    NoStaffKey(&'static str),
    #[error("a test score is from 0 to 100, not {0}")]
    Score(f64),
    #[error("an evaluation is from 1 (poor) to 5 (excellent), not {0}")]
    Evaluation(u8),
    #[error("completed on {completed} before the session was held ({held})")]
    BeforeSession { completed: NaiveDate, held: NaiveDate },
}

impl Course {
    pub fn validate(&self) -> Result<(), InvalidTraining> {
        if self.name.trim().is_empty() {
            return Err(InvalidTraining::NoName);
        }
        if !(self.hours > 0.0 && self.hours <= 1000.0) {
            return Err(InvalidTraining::Hours(self.hours));
        }
        if let Some(m) = self.refresher_months
            && !(1..=120).contains(&m)
        {
            return Err(InvalidTraining::RefresherMonths(m));
        }
        Ok(())
    }
}

impl StaffMember {
    pub fn validate(&self) -> Result<(), InvalidTraining> {
        if self.staff_key.trim().is_empty() {
            return Err(InvalidTraining::NoStaffKey("staff member"));
        }
        Ok(())
    }
}

impl Completion {
    pub fn validate(&self, session: &TrainingSession) -> Result<(), InvalidTraining> {
        for s in [self.pre_score, self.post_score].into_iter().flatten() {
            if !(0.0..=100.0).contains(&s) {
                return Err(InvalidTraining::Score(s));
            }
        }
        if let Some(e) = self.evaluation
            && !(1..=5).contains(&e)
        {
            return Err(InvalidTraining::Evaluation(e));
        }
        if self.completed_on < session.held_on {
            return Err(InvalidTraining::BeforeSession { completed: self.completed_on, held: session.held_on });
        }
        Ok(())
    }
}

/// Everything the coverage is computed from.
#[derive(Debug, Clone, Default)]
pub struct TrainingRecords {
    pub courses: Vec<Course>,
    pub sessions: Vec<TrainingSession>,
    pub staff: Vec<StaffMember>,
    pub completions: Vec<Completion>,
}

/// One staff member's training status on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffStatus {
    pub staff_id: i64,
    /// First completed a qualifying course on this day.
    pub trained_on: Option<NaiveDate>,
    /// The latest qualifying or refresher completion plus the qualifying course's refresher months.
    pub refresher_due: Option<NaiveDate>,
}

impl StaffStatus {
    pub fn trained(&self) -> bool {
        self.trained_on.is_some()
    }
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.refresher_due.is_some_and(|d| d < today)
    }
    /// Trained, and no refresher overdue.
    pub fn current(&self, today: NaiveDate) -> bool {
        self.trained() && !self.overdue(today)
    }
}

impl TrainingRecords {
    /// Each staff member's status from the completions up to `today` (later ones are ignored).
    pub fn statuses(&self, today: NaiveDate) -> HashMap<i64, StaffStatus> {
        let courses: HashMap<i64, &Course> = self.courses.iter().map(|c| (c.id, c)).collect();
        let sessions: HashMap<i64, &Course> =
            self.sessions.iter().filter_map(|s| Some((s.id, *courses.get(&s.course_id)?))).collect();
        let roles: HashMap<i64, StaffRole> = self.staff.iter().map(|s| (s.id, s.role)).collect();
        let mut out: HashMap<i64, StaffStatus> = self
            .staff
            .iter()
            .map(|s| (s.id, StaffStatus { staff_id: s.id, trained_on: None, refresher_due: None }))
            .collect();
        // Per staff member: the first qualifying completion (and its course), the latest renewal.
        let mut first: HashMap<i64, (NaiveDate, Option<u32>)> = HashMap::new();
        let mut latest: HashMap<i64, NaiveDate> = HashMap::new();
        for c in self.completions.iter().filter(|c| c.completed_on <= today) {
            let (Some(course), Some(role)) = (sessions.get(&c.session_id), roles.get(&c.staff_id)) else { continue };
            let qualifies = role.qualifying().contains(&course.kind);
            if qualifies {
                let e = first.entry(c.staff_id).or_insert((c.completed_on, course.refresher_months));
                if c.completed_on < e.0 {
                    *e = (c.completed_on, course.refresher_months);
                }
            }
            if qualifies || course.kind == CourseKind::Refresher {
                let l = latest.entry(c.staff_id).or_insert(c.completed_on);
                *l = (*l).max(c.completed_on);
            }
        }
        for (id, (on, months)) in first {
            if let Some(s) = out.get_mut(&id) {
                s.trained_on = Some(on);
                let renewed = latest.get(&id).copied().unwrap_or(on).max(on);
                s.refresher_due = months.and_then(|m| renewed.checked_add_months(Months::new(m)));
            }
        }
        out
    }
}

/// One line of the coverage table: a group in a precinct on a shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageRow {
    pub group: CoverageGroup,
    /// The group's total (precinct and shift `None`).
    pub total: bool,
    /// `None`: not known (and for dispatchers, who serve every precinct).
    pub precinct: Option<String>,
    pub shift: Option<String>,
    /// Active staff of the group.
    pub staff: u64,
    pub trained: u64,
    /// Trained with no refresher overdue.
    pub current: u64,
    pub overdue: u64,
}

impl CoverageRow {
    pub fn share_trained(&self) -> Option<f64> {
        (self.staff > 0).then(|| self.trained as f64 / self.staff as f64)
    }
}

/// Coverage of the active staff by group, precinct and shift (dispatchers by shift only), in
/// that order, with one total row per group (precinct and shift `None`, `total` true) first.
pub fn coverage(records: &TrainingRecords, today: NaiveDate) -> Vec<CoverageRow> {
    let statuses = records.statuses(today);
    let mut rows: BTreeMap<(CoverageGroup, bool, Option<String>, Option<String>), CoverageRow> = BTreeMap::new();
    for s in records.staff.iter().filter(|s| s.active) {
        let Some(group) = s.role.coverage_group() else { continue };
        let status = &statuses[&s.id];
        let precinct = if group == CoverageGroup::Officers { s.precinct.clone() } else { None };
        for key in [(group, false, None, None), (group, true, precinct.clone(), s.shift.clone())] {
            let row = rows.entry(key.clone()).or_insert_with(|| CoverageRow {
                group,
                total: !key.1,
                precinct: key.2.clone(),
                shift: key.3.clone(),
                staff: 0,
                trained: 0,
                current: 0,
                overdue: 0,
            });
            row.staff += 1;
            row.trained += u64::from(status.trained());
            row.current += u64::from(status.current(today));
            row.overdue += u64::from(status.trained() && status.overdue(today));
        }
    }
    rows.into_values().collect()
}

/// A call that asked for a CIT officer, as the coverage reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitCall {
    /// The partner the encounter belongs to (its officers are on that partner's roster).
    pub partner: PartnerId,
    pub occurred_on: NaiveDate,
    pub precinct: Option<String>,
    /// The badge numbers of the officers on the encounter.
    pub officers: Vec<String>,
}

/// How the calls that requested a CIT officer were answered, by precinct.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CitReach {
    pub precinct: Option<String>,
    pub requested: u64,
    /// An officer trained on that day reached the call.
    pub reached_by_trained: u64,
    /// Every officer on the call is on the roster, none of them trained then.
    pub reached_by_untrained: u64,
    /// No trained officer among those on the roster, and no officer recorded or some of them
    /// not on the roster: not known.
    pub not_known: u64,
}

impl CitReach {
    /// Of the calls whose officers are known, the share a trained officer reached.
    pub fn share(&self) -> Option<f64> {
        let known = self.reached_by_trained + self.reached_by_untrained;
        (known > 0).then(|| self.reached_by_trained as f64 / known as f64)
    }
}

/// The calls that asked for CIT, matched to the roster: the total first, then by precinct.
pub fn cit_reach(records: &TrainingRecords, calls: &[CitCall]) -> Vec<CitReach> {
    let today = calls.iter().map(|c| c.occurred_on).max().unwrap_or(NaiveDate::MIN);
    let statuses = records.statuses(today);
    let roster: HashMap<(PartnerId, &str), i64> = records
        .staff
        .iter()
        .filter(|s| s.role.coverage_group() == Some(CoverageGroup::Officers))
        .map(|s| ((s.partner, s.staff_key.as_str()), s.id))
        .collect();
    let mut total = CitReach::default();
    let mut by: BTreeMap<Option<String>, CitReach> = BTreeMap::new();
    for c in calls {
        let mut officers: Vec<&str> = c.officers.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect();
        officers.sort_unstable();
        officers.dedup();
        let on_roster: Vec<&StaffStatus> =
            officers.iter().filter_map(|o| roster.get(&(c.partner, *o)).and_then(|id| statuses.get(id))).collect();
        let trained = on_roster.iter().any(|s| s.trained_on.is_some_and(|d| d <= c.occurred_on));
        // Untrained only when every officer on the call is on the roster (an officer not on it
        // may have been trained): otherwise, without a trained one, not known.
        let all_known = !officers.is_empty() && on_roster.len() == officers.len();
        let row = by.entry(c.precinct.clone()).or_insert_with(|| CitReach { precinct: c.precinct.clone(), ..Default::default() });
        for r in [&mut total, row] {
            r.requested += 1;
            if trained {
                r.reached_by_trained += 1;
            } else if all_known {
                r.reached_by_untrained += 1;
            } else {
                r.not_known += 1;
            }
        }
    }
    std::iter::once(total).chain(by.into_values()).collect()
}

/// A course's results: sessions, completions, mean scores before and after, mean evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CourseResults {
    pub course_id: i64,
    pub name: String,
    pub kind: CourseKind,
    pub hours: f64,
    pub sessions: u64,
    pub completions: u64,
    pub mean_pre: Option<f64>,
    pub mean_post: Option<f64>,
    pub mean_evaluation: Option<f64>,
    /// The instructor types that taught any of its sessions.
    pub instructors: Vec<InstructorType>,
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, s) = v.fold((0u64, 0.0), |(n, s), x| (n + 1, s + x));
    (n > 0).then(|| s / n as f64)
}

/// Each course's results up to `today` (later sessions and completions are left out).
pub fn course_results(records: &TrainingRecords, today: NaiveDate) -> Vec<CourseResults> {
    records
        .courses
        .iter()
        .map(|c| {
            let sessions: Vec<&TrainingSession> =
                records.sessions.iter().filter(|s| s.course_id == c.id && s.held_on <= today).collect();
            let done: Vec<&Completion> = records
                .completions
                .iter()
                .filter(|x| x.completed_on <= today && sessions.iter().any(|s| s.id == x.session_id))
                .collect();
            let mut instructors: Vec<InstructorType> = sessions.iter().flat_map(|s| s.instructors.iter().copied()).collect();
            instructors.sort();
            instructors.dedup();
            CourseResults {
                course_id: c.id,
                name: c.name.clone(),
                kind: c.kind,
                hours: c.hours,
                sessions: sessions.len() as u64,
                completions: done.len() as u64,
                mean_pre: mean(done.iter().filter_map(|x| x.pre_score)),
                mean_post: mean(done.iter().filter_map(|x| x.post_score)),
                mean_evaluation: mean(done.iter().filter_map(|x| x.evaluation.map(f64::from))),
                instructors,
            }
        })
        .collect()
}

/// Read a list of instructor types: names separated by `;` or `,` (empty: none).
pub fn parse_instructors(s: &str) -> Result<Vec<InstructorType>, crate::names::UnknownName> {
    let mut v = s.split([';', ',']).map(str::trim).filter(|t| !t.is_empty()).map(InstructorType::from_str).collect::<Result<Vec<_>, _>>()?;
    v.sort();
    v.dedup();
    Ok(v)
}

pub fn instructors_to_string(v: &[InstructorType]) -> String {
    v.iter().map(|i| i.as_str()).collect::<Vec<_>>().join(";")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn staff(id: i64, role: StaffRole, precinct: &str, shift: &str) -> StaffMember {
        StaffMember {
            id,
            partner: 1,
            staff_key: format!("B{id}"),
            name: format!("Staff {id}"),
            agency: "City PD".into(),
            precinct: Some(precinct.into()),
            shift: Some(shift.into()),
            role,
            active: true,
        }
    }

    fn records() -> TrainingRecords {
        let courses = vec![
            Course { id: 1, name: "CIT 40".into(), kind: CourseKind::BasicCit, hours: 40.0, refresher_months: Some(24) },
            Course { id: 2, name: "Refresher".into(), kind: CourseKind::Refresher, hours: 8.0, refresher_months: None },
            Course { id: 3, name: "Dispatch".into(), kind: CourseKind::Dispatcher, hours: 16.0, refresher_months: None },
        ];
        let sessions = vec![
            TrainingSession { id: 10, course_id: 1, held_on: d("2023-01-09"), location: "Academy".into(), instructors: vec![InstructorType::Police, InstructorType::LivedExperience] },
            TrainingSession { id: 11, course_id: 2, held_on: d("2025-02-01"), location: "Academy".into(), instructors: vec![InstructorType::FamilyMember] },
            TrainingSession { id: 12, course_id: 3, held_on: d("2024-05-01"), location: "Comms".into(), instructors: vec![InstructorType::Clinician] },
        ];
        let staff = vec![
            staff(1, StaffRole::PatrolOfficer, "North", "Day"),
            staff(2, StaffRole::PatrolOfficer, "North", "Day"),
            staff(3, StaffRole::PatrolOfficer, "South", "Night"),
            staff(4, StaffRole::Dispatcher, "HQ", "Night"),
            staff(5, StaffRole::Clinician, "North", "Day"),
        ];
        let done = |staff_id, session_id, on: &str| Completion { staff_id, session_id, completed_on: d(on), pre_score: Some(50.0), post_score: Some(80.0), evaluation: Some(4) };
        let completions = vec![done(1, 10, "2023-01-13"), done(2, 10, "2023-01-13"), done(2, 11, "2025-02-01"), done(4, 12, "2024-05-01"), done(5, 10, "2023-01-13")];
        TrainingRecords { courses, sessions, staff, completions }
    }

    #[test]
    fn a_small_example_by_hand() {
        let r = records();
        let today = d("2026-11-27");
        let s = r.statuses(today);
        assert_eq!(s[&1].trained_on, Some(d("2023-01-13")));
        assert_eq!(s[&1].refresher_due, Some(d("2025-01-13")), "24 months after the course");
        assert!(s[&1].overdue(today) && !s[&1].current(today));
        assert_eq!(s[&2].refresher_due, Some(d("2027-02-01")), "renewed by the refresher");
        assert!(s[&2].current(today));
        assert!(!s[&3].trained());
        assert!(s[&4].trained() && s[&4].refresher_due.is_none());
        assert!(!s[&5].trained(), "a clinician has no qualifying course");
        let c = coverage(&r, today);
        let total = |g| c.iter().find(|r| r.total && r.group == g).unwrap().clone();
        let officers = total(CoverageGroup::Officers);
        assert_eq!((officers.staff, officers.trained, officers.current, officers.overdue), (3, 2, 1, 1));
        let north = c.iter().find(|r| !r.total && r.precinct.as_deref() == Some("North")).unwrap();
        assert_eq!((north.staff, north.trained), (2, 2));
        let disp = total(CoverageGroup::Dispatchers);
        assert_eq!((disp.staff, disp.trained), (1, 1));
        assert!(c.iter().filter(|r| !r.total && r.group == CoverageGroup::Dispatchers).all(|r| r.precinct.is_none()));
        // Before the course nobody was trained.
        assert!(r.statuses(d("2022-12-31")).values().all(|s| !s.trained()));

        let call = |on: &str, officers: &[&str]| CitCall { partner: 1, occurred_on: d(on), precinct: Some("North".into()), officers: officers.iter().map(|s| s.to_string()).collect() };
        let calls = [call("2022-06-01", &["B1"]), call("2023-06-01", &["B1", "B3"]), call("2023-06-01", &["B3"]), call("2023-06-01", &["X9"]), call("2023-06-01", &[])];
        let reach = cit_reach(&r, &calls);
        assert_eq!((reach[0].requested, reach[0].reached_by_trained, reach[0].reached_by_untrained, reach[0].not_known), (5, 1, 2, 2));
        assert_eq!(reach[0].share(), Some(1.0 / 3.0));

        let results = course_results(&r, d("2026-11-27"));
        assert_eq!(results[0].completions, 3);
        assert_eq!(results[0].mean_post, Some(80.0));
        assert_eq!(results[0].instructors, vec![InstructorType::Police, InstructorType::LivedExperience]);
    }

    #[test]
    fn records_validate() {
        let r = records();
        let mut c = r.courses[0].clone();
        c.hours = 0.0;
        assert!(c.validate().is_err());
        let mut x = r.completions[0].clone();
        x.post_score = Some(101.0);
        assert!(x.validate(&r.sessions[0]).is_err());
        x.post_score = Some(90.0);
        x.evaluation = Some(6);
        assert!(x.validate(&r.sessions[0]).is_err());
        x.evaluation = Some(5);
        x.completed_on = d("2023-01-01");
        assert!(matches!(x.validate(&r.sessions[0]), Err(InvalidTraining::BeforeSession { .. })));
        assert_eq!(parse_instructors("police; lived experience,police").unwrap(), vec![InstructorType::Police, InstructorType::LivedExperience]);
        assert!(parse_instructors("astronaut").is_err());
    }

    proptest! {
        /// The coverage's totals add up over the detail rows, counts nest (current ≤ trained ≤
        /// staff), and each total matches a count written out directly.
        #[test]
        fn coverage_adds_up(
            people in proptest::collection::vec((0usize..5, 0usize..3, 0usize..2, proptest::option::of(0usize..6), 0u32..1500, any::<bool>()), 0..60),
            today in 0u32..1500,
        ) {
            let base = d("2022-01-01");
            let mut r = records();
            r.staff.clear();
            r.completions.clear();
            for (i, (role, p, sh, course, day, active)) in people.iter().enumerate() {
                let id = i as i64 + 1;
                let mut s = staff(id, StaffRole::ALL[*role], ["North", "South", "East"][*p], ["Day", "Night"][*sh]);
                s.active = *active;
                r.staff.push(s);
                if let Some(c) = course.filter(|c| *c < 3) {
                    r.completions.push(Completion { staff_id: id, session_id: 10 + c as i64, completed_on: base + chrono::Days::new(u64::from(*day)), pre_score: None, post_score: None, evaluation: None });
                }
            }
            let today = base + chrono::Days::new(u64::from(today));
            let rows = coverage(&r, today);
            for g in [CoverageGroup::Officers, CoverageGroup::Dispatchers] {
                let detail: Vec<&CoverageRow> = rows.iter().filter(|r| !r.total && r.group == g).collect();
                let total = rows.iter().find(|r| r.total && r.group == g);
                let staff: u64 = detail.iter().map(|r| r.staff).sum();
                let trained: u64 = detail.iter().map(|r| r.trained).sum();
                prop_assert_eq!(total.map_or(0, |t| t.staff), staff);
                prop_assert_eq!(total.map_or(0, |t| t.trained), trained);
                for r in &detail {
                    prop_assert!(r.current <= r.trained && r.trained <= r.staff && r.overdue + r.current == r.trained);
                }
                // Directly: active members of the group with a qualifying completion on or before today.
                let direct = people.iter().enumerate().filter(|(_, (role, _, _, course, day, active))| {
                    let role = StaffRole::ALL[*role];
                    *active && role.coverage_group() == Some(g) && course.is_some_and(|c| c < 3 && {
                        let kind = [CourseKind::BasicCit, CourseKind::Refresher, CourseKind::Dispatcher][c];
                        role.qualifying().contains(&kind) && base + chrono::Days::new(u64::from(*day)) <= today
                    })
                }).count() as u64;
                prop_assert_eq!(trained, direct);
            }
        }
    }
}
