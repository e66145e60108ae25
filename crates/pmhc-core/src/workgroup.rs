//! The interagency workgroup (Handbook, Question 1): its charge, its members and how they reflect
//! the community, its meetings (agenda, attendance, minutes, numbered decisions) and the action
//! items that come out of them. Pure code: the caller passes the records and today's date.
//!
//! A member is a person, with or without a pmhc account (community members often have none). What
//! a member says of themself — lived or family experience, demographics, in their own words — is
//! optional and personal: the service shows it only to that member and the project coordinator.
//! Aggregated, in [`representation`], a group of 1 or 2 members shows "fewer than 3", and
//! [`protect`] withholds other cells until no such group can be worked out from the rest of the
//! table (see there).
//!
//! Champions, subcommittees, member surveys and staff recognition are further records that refer
//! to members ([`MemberId`]) and meetings ([`MeetingId`]); they are not here yet.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::field_form::FieldProblem;
use crate::sharing::{PartnerId, Sector};

closed_list!(
    /// A member's place in the workgroup.
    name MemberRole, "workgroup role" {
        /// Appointed by law enforcement and behavioral-health leaders.
        Chair = "chair" / "Chair",
        CoChair = "co_chair" / "Co-chair",
        Member = "member" / "Member",
        /// Attends in place of another member (named in `substitute_for`).
        Substitute = "substitute" / "Substitute",
        /// Staff to the workgroup (the project coordinator, a data specialist): no seat of their own.
        Staff = "staff" / "Staff",
    }
);

closed_list!(
    /// Which body met.
    name MeetingKind, "meeting kind" {
        Workgroup = "workgroup" / "Workgroup",
        Subcommittee = "subcommittee" / "Subcommittee",
        Leadership = "leadership" / "Leadership",
    }
);

closed_list!(
    /// Where an action item stands.
    name ActionStatus, "action item status" {
        Open = "open" / "Open",
        Done = "done" / "Done",
        /// No longer to be done (the decision changed, it was overtaken).
        Dropped = "dropped" / "Dropped",
    }
);

closed_list!(
    /// Whether a member came to a meeting.
    name Attendance, "attendance" {
        Present = "present" / "Present",
        /// Sent apologies.
        Excused = "excused" / "Excused",
        Absent = "absent" / "Absent",
    }
);

closed_list!(
    /// Lived or family experience, as the member describes it (optional).
    name LivedExperience, "lived or family experience" {
        Lived = "lived" / "Lived experience",
        Family = "family" / "Family experience",
        Both = "both" / "Lived and family experience",
        Neither = "neither" / "Neither",
    }
);

pub type MemberId = i64;
pub type MeetingId = i64;

/// A name, title or short text: 1 to this many characters.
pub const NAME_CHARS: usize = 200;
/// The longest minutes (bytes of Markdown): about 5,000 words, below the web's limit for free text
/// so that longer minutes are refused next to the field, not by the server.
pub const MINUTES_LIMIT: usize = 32 * 1024;
/// The longest free text besides the minutes (a charge's paragraphs, an action, a follow-up note).
pub const TEXT_LIMIT: usize = 8 * 1024;
/// Agenda items, decisions and lines of a charge a meeting or a charge may hold.
pub const ITEMS_LIMIT: usize = 60;
/// A group of fewer members than this is shown as "fewer than 3".
pub const SMALL: u64 = 3;
/// The words of a suppressed small cell.
pub const FEWER_THAN_3: &str = "fewer than 3";

/// The sectors the seeds ask a workgroup to include (file 000: people with mental illness, their
/// families and advocates as equal partners; file 002: 988, crisis response and housing besides
/// law enforcement and behavioral health).
pub const SEED_SECTORS: [Sector; 8] = [
    Sector::LawEnforcement,
    Sector::BehavioralHealth,
    Sector::SubstanceUseTreatment,
    Sector::CrisisServices,
    Sector::Housing,
    Sector::Advocacy,
    Sector::LivedExperience,
    Sector::Families,
];

fn problem(field: impl Into<String>, message: impl Into<String>) -> FieldProblem {
    FieldProblem { field: field.into(), message: message.into() }
}

/// A short text: 1 to [`NAME_CHARS`] characters, no control characters (when `required`).
fn check_name(out: &mut Vec<FieldProblem>, field: &str, what: &str, value: &str, required: bool) {
    let v = value.trim();
    if required && v.is_empty() {
        out.push(problem(field, format!("give the {what}")));
    } else if v.chars().count() > NAME_CHARS {
        out.push(problem(field, format!("the {what} is longer than {NAME_CHARS} characters")));
    } else if v.chars().any(char::is_control) {
        out.push(problem(field, format!("the {what} holds control characters")));
    }
}

/// A day pmhc can hold and a person means: the years 1900 to 2200.
fn check_day(out: &mut Vec<FieldProblem>, field: &str, d: Option<NaiveDate>) {
    if let Some(d) = d
        && !(1900..=2200).contains(&d.year())
    {
        out.push(problem(field, format!("{d} is not a day of the years 1900 to 2200")));
    }
}

fn check_text(out: &mut Vec<FieldProblem>, field: &str, what: &str, value: &str, limit: usize) {
    if value.len() > limit {
        out.push(problem(field, format!("the {what} is {} bytes long; the limit is {limit} bytes", value.len())));
    } else if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        out.push(problem(field, format!("the {what} holds control characters")));
    }
}

/// The workgroup's charge: what it is for and how it works (Handbook: "set a clear charge").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Charge {
    /// The workgroup's name.
    pub name: String,
    pub vision: String,
    pub mission: String,
    /// One principle per item.
    pub principles: Vec<String>,
    /// The preliminary areas of focus (for subcommittees).
    pub focus_areas: Vec<String>,
}

impl Charge {
    pub fn validate(&self) -> Result<(), Vec<FieldProblem>> {
        let mut out = Vec::new();
        check_name(&mut out, "name", "workgroup's name", &self.name, true);
        check_text(&mut out, "vision", "vision", &self.vision, TEXT_LIMIT);
        check_text(&mut out, "mission", "mission", &self.mission, TEXT_LIMIT);
        for (field, what, items) in [("principles", "guiding principles", &self.principles), ("focus_areas", "areas of focus", &self.focus_areas)] {
            if items.len() > ITEMS_LIMIT {
                out.push(problem(field, format!("at most {ITEMS_LIMIT} {what}")));
            }
            for i in items {
                check_text(&mut out, field, what, i, TEXT_LIMIT / 4);
            }
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

/// A member of the workgroup (or staff to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// 0 for a new member.
    #[serde(default)]
    pub id: MemberId,
    pub name: String,
    /// Their pmhc account, if they have one (community members often do not).
    #[serde(default)]
    pub username: Option<String>,
    /// The partner agency or community organization they come from, as they name it.
    #[serde(default)]
    pub affiliation: String,
    /// Their partner in pmhc, if their affiliation is one.
    #[serde(default)]
    pub partner: Option<PartnerId>,
    /// The sector they bring to the table.
    pub sector: Sector,
    pub role: MemberRole,
    /// The member this one attends in place of (a substitute's).
    #[serde(default)]
    pub substitute_for: Option<MemberId>,
    pub joined_on: NaiveDate,
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
}

impl Member {
    /// A member on `day`: joined on or before it and not left before it.
    pub fn current_on(&self, day: NaiveDate) -> bool {
        self.joined_on <= day && self.left_on.is_none_or(|l| l >= day)
    }

    /// Whether this member holds a seat of their own (not a substitute, not staff).
    pub fn holds_seat(&self) -> bool {
        !matches!(self.role, MemberRole::Substitute | MemberRole::Staff)
    }

    /// The member's rules, against the other members (`members`, this one's earlier version
    /// included or not).
    pub fn validate(&self, members: &[Member]) -> Result<(), Vec<FieldProblem>> {
        let mut out = Vec::new();
        check_name(&mut out, "name", "member's name", &self.name, true);
        check_name(&mut out, "affiliation", "affiliation", &self.affiliation, false);
        if let Some(u) = &self.username {
            check_name(&mut out, "username", "account name", u, true);
        }
        check_day(&mut out, "joined_on", Some(self.joined_on));
        check_day(&mut out, "left_on", self.left_on);
        if let Some(left) = self.left_on
            && left < self.joined_on
        {
            out.push(problem("left_on", format!("the day they left ({left}) is before the day they joined ({})", self.joined_on)));
        }
        match (self.role, self.substitute_for) {
            (MemberRole::Substitute, None) => out.push(problem("substitute_for", "a substitute attends in place of a member: name that member")),
            (MemberRole::Substitute, Some(id)) if id == self.id => out.push(problem("substitute_for", "a member cannot substitute for themself")),
            (MemberRole::Substitute, Some(id)) => match members.iter().find(|m| m.id == id) {
                None => out.push(problem("substitute_for", format!("there is no member #{id}"))),
                Some(m) if !m.holds_seat() => out.push(problem("substitute_for", format!("{} holds no seat of their own to substitute for", m.name))),
                Some(_) => {}
            },
            (_, Some(_)) => out.push(problem("substitute_for", "only a substitute attends in place of another member (choose the role Substitute)")),
            (_, None) => {}
        }
        if let Some(u) = self.username.as_deref().map(str::trim).filter(|u| !u.is_empty())
            && let Some(other) = members.iter().find(|m| m.id != self.id && m.username.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(u)))
        {
            out.push(problem("username", format!("the account `{u}` is already linked to {}", other.name)));
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

/// One answer of a member about a demographic category of the community (e.g. "Race and
/// ethnicity": "Black or African American"), or a group of their own wording.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Demographic {
    pub category: String,
    pub group: String,
}

/// What a member says of themself: all optional, seen only by them and the project coordinator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SelfDescription {
    #[serde(default)]
    pub lived_experience: Option<LivedExperience>,
    /// At most one group per category.
    #[serde(default)]
    pub demographics: Vec<Demographic>,
    /// Anything else, in their own words.
    #[serde(default)]
    pub in_own_words: String,
}

impl SelfDescription {
    pub fn is_empty(&self) -> bool {
        self.lived_experience.is_none() && self.demographics.is_empty() && self.in_own_words.trim().is_empty()
    }

    pub fn validate(&self) -> Result<(), Vec<FieldProblem>> {
        let mut out = Vec::new();
        if self.demographics.len() > ITEMS_LIMIT {
            out.push(problem("demographics", format!("at most {ITEMS_LIMIT} answers")));
        }
        let mut seen = Vec::new();
        for d in &self.demographics {
            check_name(&mut out, "demographics", "category", &d.category, true);
            check_name(&mut out, "demographics", "group", &d.group, true);
            let key = d.category.trim().to_lowercase();
            if seen.contains(&key) {
                out.push(problem("demographics", format!("one answer per category (`{}` is given twice)", d.category.trim())));
            }
            seen.push(key);
        }
        check_text(&mut out, "in_own_words", "text in their own words", &self.in_own_words, TEXT_LIMIT);
        if out.is_empty() { Ok(()) } else { Err(out) }
    }

    fn group_of(&self, category: &str) -> Option<&str> {
        self.demographics.iter().find(|d| d.category.trim().eq_ignore_ascii_case(category.trim())).map(|d| d.group.trim())
    }
}

/// The community's share of one group of a category, with where the number comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunityShare {
    pub category: String,
    pub group: String,
    /// 0 to 1.
    pub share: f64,
    /// E.g. "U.S. Census Bureau, ACS 5-year estimates".
    pub source: String,
    pub year: i32,
}

/// The community's demographics, entered once: every problem, with the line (1-based) it is on.
pub fn validate_community(rows: &[CommunityShare]) -> Result<(), Vec<FieldProblem>> {
    let mut out = Vec::new();
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    let mut seen = Vec::new();
    if rows.len() > ITEMS_LIMIT * 4 {
        out.push(problem("community", format!("at most {} groups", ITEMS_LIMIT * 4)));
    }
    for (i, r) in rows.iter().enumerate() {
        let line = i + 1;
        let mut p = Vec::new();
        check_name(&mut p, "community", "category", &r.category, true);
        check_name(&mut p, "community", "group", &r.group, true);
        check_name(&mut p, "community", "source", &r.source, true);
        out.extend(p.into_iter().map(|x| problem(x.field, format!("line {line}: {}", x.message))));
        if !(r.share.is_finite() && (0.0..=1.0).contains(&r.share)) {
            out.push(problem("community", format!("line {line}: a share is from 0% to 100%")));
        }
        if !(1900..=2200).contains(&r.year) {
            out.push(problem("community", format!("line {line}: `{}` is not the year of a source", r.year)));
        }
        let key = (r.category.trim().to_lowercase(), r.group.trim().to_lowercase());
        if seen.contains(&key) {
            out.push(problem("community", format!("line {line}: {} / {} is given twice", r.category.trim(), r.group.trim())));
        }
        seen.push(key);
        *totals.entry(r.category.trim().to_string()).or_default() += if r.share.is_finite() { r.share } else { 0.0 };
    }
    for (category, total) in totals {
        if total > 1.005 {
            out.push(problem("community", format!("the shares of {category} add up to {}, more than 100%", crate::numbers::percent(total))));
        }
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}

/// An item of a meeting's agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgendaItem {
    pub title: String,
    /// The member presenting it.
    #[serde(default)]
    pub presenter: Option<MemberId>,
    /// Time allotted (minutes).
    #[serde(default)]
    pub minutes: Option<u32>,
}

impl AgendaItem {
    /// The item as one line, `title | presenter | minutes` (the meeting form's and the CSV's way),
    /// the presenter by `name`.
    pub fn line(&self, name: impl Fn(MemberId) -> String) -> String {
        let mut s = self.title.clone();
        if self.presenter.is_some() || self.minutes.is_some() {
            s += &format!(" | {}", self.presenter.map(&name).unwrap_or_default());
        }
        if let Some(n) = self.minutes {
            s += &format!(" | {n}");
        }
        s
    }

    /// Agenda lines `title | presenter | minutes` (presenter and minutes optional), presenters
    /// found by `member` (a name to its member, or why not); the items read, and a problem per
    /// item that could not be read whole (`item N: …`).
    pub fn parse_lines(text: &str, member: impl Fn(&str) -> Result<MemberId, String>) -> (Vec<AgendaItem>, Vec<String>) {
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        for (i, l) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            let parts: Vec<&str> = l.split('|').map(str::trim).collect();
            let presenter = match parts.get(1).copied().filter(|s| !s.is_empty()) {
                None => None,
                Some(n) => member(n).map_err(|e| problems.push(format!("item {}: {e}", i + 1))).ok(),
            };
            let minutes = match parts.get(2).copied().filter(|s| !s.is_empty()) {
                None => None,
                Some(n) => n.trim_end_matches("min").trim().parse().map_err(|_| problems.push(format!("item {}: `{n}` is not a number of minutes", i + 1))).ok(),
            };
            out.push(AgendaItem { title: parts[0].to_string(), presenter, minutes });
        }
        (out, problems)
    }
}

/// A decision of a meeting, numbered in the meeting from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    pub number: u32,
    pub text: String,
}

/// Whether one member came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceRecord {
    pub member: MemberId,
    pub attendance: Attendance,
}

/// A meeting: before it, its agenda; after it, attendance, minutes and decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Meeting {
    #[serde(default)]
    pub id: MeetingId,
    pub held_on: NaiveDate,
    pub kind: MeetingKind,
    pub title: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub agenda: Vec<AgendaItem>,
    #[serde(default)]
    pub attendance: Vec<AttendanceRecord>,
    /// Markdown (no raw HTML; links to http, https and mailto only).
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub decisions: Vec<Decision>,
}

impl Meeting {
    /// The meeting's rules against the members (presenters and attendees must be members then).
    pub fn validate(&self, members: &[Member]) -> Result<(), Vec<FieldProblem>> {
        let mut out = Vec::new();
        check_name(&mut out, "title", "meeting's title", &self.title, true);
        check_name(&mut out, "location", "place", &self.location, false);
        check_day(&mut out, "held_on", Some(self.held_on));
        if self.agenda.len() > ITEMS_LIMIT {
            out.push(problem("agenda", format!("at most {ITEMS_LIMIT} agenda items")));
        }
        let known = |id: MemberId| members.iter().find(|m| m.id == id);
        for (i, a) in self.agenda.iter().enumerate() {
            let mut p = Vec::new();
            check_name(&mut p, "agenda", "item's title", &a.title, true);
            out.extend(p.into_iter().map(|x| problem("agenda", format!("item {}: {}", i + 1, x.message))));
            if let Some(id) = a.presenter
                && known(id).is_none()
            {
                out.push(problem("agenda", format!("item {}: the presenter (#{id}) is not a member", i + 1)));
            }
            if a.minutes.is_some_and(|m| m == 0 || m > 600) {
                out.push(problem("agenda", format!("item {}: the time allotted is 1 to 600 minutes", i + 1)));
            }
        }
        let mut seen = Vec::new();
        for a in &self.attendance {
            match known(a.member) {
                None => out.push(problem("attendance", format!("#{} is not a member", a.member))),
                Some(m) if !m.current_on(self.held_on) => {
                    out.push(problem("attendance", format!("{} was not a member on {}", m.name, self.held_on)))
                }
                Some(_) => {}
            }
            if seen.contains(&a.member) {
                out.push(problem("attendance", format!("member #{} is listed twice", a.member)));
            }
            seen.push(a.member);
        }
        if let Err(e) = check_minutes(&self.minutes) {
            out.push(problem("minutes", e));
        }
        if self.decisions.len() > ITEMS_LIMIT {
            out.push(problem("decisions", format!("at most {ITEMS_LIMIT} decisions")));
        }
        for (i, d) in self.decisions.iter().enumerate() {
            if d.number as usize != i + 1 {
                out.push(problem("decisions", format!("decisions are numbered 1, 2, 3… in order (found {} in place {})", d.number, i + 1)));
            }
            if d.text.trim().is_empty() {
                out.push(problem("decisions", format!("decision {} says nothing", i + 1)));
            }
            check_text(&mut out, "decisions", "decision", &d.text, TEXT_LIMIT / 4);
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }

    /// Whether the meeting has been held (has minutes, attendance or decisions).
    pub fn held(&self) -> bool {
        !self.minutes.trim().is_empty() || !self.attendance.is_empty() || !self.decisions.is_empty()
    }

    pub fn attended(&self, member: MemberId) -> bool {
        self.attendance.iter().any(|a| a.member == member && a.attendance == Attendance::Present)
    }
}

/// An action item: who does what by when, from which meeting (and decision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionItem {
    #[serde(default)]
    pub id: i64,
    pub meeting: MeetingId,
    /// The number of the meeting's decision it carries out.
    #[serde(default)]
    pub decision: Option<u32>,
    pub owner: MemberId,
    pub text: String,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    /// What was done since, one note per line.
    #[serde(default)]
    pub follow_up: String,
    /// When it was marked done or dropped.
    #[serde(default)]
    pub closed_on: Option<NaiveDate>,
}

impl ActionItem {
    /// Open and due before today.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status == ActionStatus::Open && self.due_on < today
    }

    pub fn validate(&self, meeting: &Meeting, members: &[Member]) -> Result<(), Vec<FieldProblem>> {
        let mut out = Vec::new();
        if self.text.trim().is_empty() {
            out.push(problem("text", "say what is to be done"));
        }
        check_text(&mut out, "text", "action", &self.text, TEXT_LIMIT / 4);
        check_text(&mut out, "follow_up", "follow-up notes", &self.follow_up, TEXT_LIMIT);
        check_day(&mut out, "due_on", Some(self.due_on));
        check_day(&mut out, "closed_on", self.closed_on);
        match members.iter().find(|m| m.id == self.owner) {
            None => out.push(problem("owner", format!("#{} is not a member", self.owner))),
            Some(m) if m.left_on.is_some_and(|l| l < meeting.held_on) => out.push(problem("owner", format!("{} had left the workgroup by {}", m.name, meeting.held_on))),
            Some(_) => {}
        }
        if self.due_on < meeting.held_on {
            out.push(problem("due_on", format!("the due day ({}) is before the meeting it comes from ({})", self.due_on, meeting.held_on)));
        }
        if let Some(n) = self.decision
            && !meeting.decisions.iter().any(|d| d.number == n)
        {
            out.push(problem("decision", format!("the meeting of {} has no decision {n}", meeting.held_on)));
        }
        if let Some(c) = self.closed_on
            && c < meeting.held_on
        {
            out.push(problem("closed_on", format!("it cannot be closed ({c}) before the meeting it comes from ({})", meeting.held_on)));
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

/// The open action items due before `today`, longest overdue first.
pub fn overdue(items: &[ActionItem], today: NaiveDate) -> Vec<&ActionItem> {
    let mut out: Vec<&ActionItem> = items.iter().filter(|a| a.overdue(today)).collect();
    out.sort_by_key(|a| (a.due_on, a.id));
    out
}

/// What a meeting's agenda starts with: the action items still open from earlier meetings (due
/// soonest first). A meeting already held shows them as they stand now.
pub fn carried_over<'a>(items: &'a [ActionItem], meetings: &[Meeting], meeting: &Meeting) -> Vec<&'a ActionItem> {
    let held_on: HashMap<MeetingId, NaiveDate> = meetings.iter().map(|m| (m.id, m.held_on)).collect();
    let mut out: Vec<&ActionItem> = items
        .iter()
        .filter(|a| a.status == ActionStatus::Open && a.meeting != meeting.id && held_on.get(&a.meeting).is_some_and(|d| *d <= meeting.held_on))
        .collect();
    out.sort_by_key(|a| (a.due_on, a.id));
    out
}

// --- Minutes ------------------------------------------------------------------------------------

/// The link schemes minutes may use (and relative links).
pub const SAFE_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Whether a link's destination is safe to render: http, https, mailto, or no scheme (relative).
/// Whitespace and control characters are ignored, as browsers do (`java\tscript:`).
pub fn safe_link(url: &str) -> bool {
    let compact: String = url.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
    let lower = compact.to_ascii_lowercase();
    match lower.find([':', '/', '?', '#']) {
        Some(i) if lower.as_bytes()[i] == b':' => SAFE_SCHEMES.contains(&&lower[..i]),
        _ => true,
    }
}

/// Minutes are Markdown, within [`MINUTES_LIMIT`], with no raw HTML (a tag, a comment, a
/// processing instruction) and no link or image to anything but http, https or mailto. The
/// renderer treats anything else as text as well; this refuses it at the door, saying why.
pub fn check_minutes(text: &str) -> Result<(), String> {
    if text.len() > MINUTES_LIMIT {
        return Err(format!("the minutes are {} bytes long; the limit is {MINUTES_LIMIT} bytes (about 5,000 words): shorten them or attach a summary", text.len()));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err("the minutes hold control characters".into());
    }
    for (n, line) in text.lines().enumerate() {
        let b = line.as_bytes();
        for i in 0..b.len() {
            if b[i] == b'<' && b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?')) {
                let tag: String = line[i..].chars().take_while(|c| !c.is_whitespace() && *c != '>').take(20).collect();
                return Err(format!(
                    "line {}: raw HTML (`{tag}`) is not allowed in minutes: write Markdown (a link is [text](https://…)); to show a `<`, write it with a space after it",
                    n + 1
                ));
            }
        }
        for dest in link_destinations(line) {
            if dest.contains("&#") || dest.to_ascii_lowercase().contains("&colon") {
                return Err(format!("line {}: a link written with character references (`{dest}`) is not allowed: write the address as it is", n + 1));
            }
            if !safe_link(&dest) {
                return Err(format!("line {}: the link `{dest}` is not allowed: links go to http, https or mailto addresses", n + 1));
            }
        }
    }
    Ok(())
}

/// The destinations of inline links and images (`](dest)`) and of link reference definitions
/// (`[label]: dest`) on a line.
fn link_destinations(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("](") {
        let after = rest[i + 2..].trim_start().trim_start_matches('<');
        out.push(after.chars().take_while(|c| !c.is_whitespace() && *c != ')' && *c != '>').collect());
        rest = &rest[i + 2..];
    }
    let t = line.trim_start();
    if t.starts_with('[')
        && let Some(i) = t.find("]:")
    {
        let after = t[i + 2..].trim_start().trim_start_matches('<');
        out.push(after.chars().take_while(|c| !c.is_whitespace() && *c != '>').collect());
    }
    out
}

// --- Representation -----------------------------------------------------------------------------

/// A cell of the representation table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "shown", content = "members", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Cell {
    /// The number of members.
    Count(u64),
    /// 1 or 2 members: shown as "fewer than 3".
    FewerThan3,
    /// 3 or more, not shown so that a "fewer than 3" beside it cannot be worked out.
    Withheld,
}

impl Cell {
    pub fn words(self) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::FewerThan3 => FEWER_THAN_3.into(),
            Cell::Withheld => "not shown".into(),
        }
    }
}

/// The cells of one category, whose counts add up to `total` (every current member is in exactly
/// one cell: a group, "described otherwise" or "not given"); `None` when no choice of cells can
/// protect the small ones (then the category shows no counts at all).
///
/// Counts of 1 and 2 are [`Cell::FewerThan3`]. A reader knows the total (the member list is
/// theirs to read), that a "fewer than 3" is 1 or 2, and that a withheld cell is at least 3; for
/// each small cell the reader's exact range, from the one equation `sum = total`, is
/// `[max(1, R − Σ others' upper bounds), min(2, R − Σ others' lower bounds)]` (R: the total less
/// the cells shown). While that range is a single value for any small cell, the smallest shown
/// cell of 3 or more is withheld too. Zeros stay shown (they name a gap, and no one).
pub fn protect(counts: &[u64], total: u64) -> Option<Vec<Cell>> {
    let mut cells: Vec<Cell> = counts.iter().map(|&c| if (1..SMALL).contains(&c) { Cell::FewerThan3 } else { Cell::Count(c) }).collect();
    loop {
        if small_cells_safe(&cells, total) {
            return Some(cells);
        }
        let next = cells.iter().enumerate().filter_map(|(i, c)| matches!(c, Cell::Count(n) if *n >= SMALL).then_some((counts[i], i))).min()?;
        cells[next.1] = Cell::Withheld;
    }
}

/// Whether no [`Cell::FewerThan3`] has a single possible value, for a reader who knows `total`.
pub fn small_cells_safe(cells: &[Cell], total: u64) -> bool {
    let shown: u64 = cells.iter().map(|c| if let Cell::Count(n) = c { *n } else { 0 }).sum();
    let Some(rest) = total.checked_sub(shown) else { return false };
    let bounds: Vec<(u64, u64)> = cells
        .iter()
        .filter_map(|c| match c {
            Cell::Count(_) => None,
            Cell::FewerThan3 => Some((1, SMALL - 1)),
            Cell::Withheld => Some((SMALL, total)),
        })
        .collect();
    let (sum_lo, sum_hi): (u64, u64) = bounds.iter().fold((0, 0), |(a, b), (l, h)| (a + l, b + h));
    cells.iter().filter(|c| !matches!(c, Cell::Count(_))).zip(&bounds).all(|(c, (lo, hi))| {
        if *c != Cell::FewerThan3 {
            return true;
        }
        let (others_lo, others_hi) = (sum_lo - lo, sum_hi - hi);
        let min = (*lo as i128).max(rest as i128 - others_hi as i128);
        let max = (*hi as i128).min(rest as i128 - others_lo as i128);
        min < max
    })
}

/// One row of a category: a group of the community, "described otherwise" or "not given".
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepresentationRow {
    pub group: String,
    /// The community's share (none for "described otherwise", "not given" and lived experience).
    pub community_share: Option<f64>,
    pub members: Cell,
    /// The share of current members (only beside a count shown).
    pub member_share: Option<f64>,
    /// The gap, in words.
    pub gap: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryTable {
    pub category: String,
    /// Where the community's shares come from (source, year).
    pub source: String,
    pub rows: Vec<RepresentationRow>,
    /// No counts of this category are shown: too few members to protect the small ones.
    pub withheld: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SectorCount {
    pub sector: Sector,
    /// Current members holding a seat (sectors are on the member list: not suppressed).
    pub members: u64,
}

/// The membership against the community (current members holding a seat on `on`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Representation {
    pub on: NaiveDate,
    pub members: u64,
    pub categories: Vec<CategoryTable>,
    pub sectors: Vec<SectorCount>,
    /// The sectors the seeds name that no current member brings.
    pub missing_sectors: Vec<Sector>,
    /// The gaps, in sentences.
    pub gaps: Vec<String>,
}

/// The category of lived and family experience (no community share).
pub const LIVED_CATEGORY: &str = "Lived or family experience";
pub const OTHERWISE: &str = "Described otherwise";
pub const NOT_GIVEN: &str = "Not given";
/// A gap of less than this (a share) is "about the community's share".
const CLOSE: f64 = 0.05;

fn pct(x: f64) -> String {
    crate::numbers::percent_whole(x)
}

/// The representation table: for each category of the community's demographics, the current
/// members (holding a seat) by group against the community's shares, with [`protect`]'s cells;
/// then lived or family experience; the sectors and the seeds' sectors missing.
pub fn representation(members: &[Member], described: &HashMap<MemberId, SelfDescription>, community: &[CommunityShare], on: NaiveDate) -> Representation {
    let current: Vec<&Member> = members.iter().filter(|m| m.holds_seat() && m.current_on(on)).collect();
    let total = current.len() as u64;
    let mut order: Vec<String> = Vec::new();
    for c in community {
        if !order.iter().any(|o| o.eq_ignore_ascii_case(c.category.trim())) {
            order.push(c.category.trim().to_string());
        }
    }
    let mut categories = Vec::new();
    let mut gaps = Vec::new();
    for category in &order {
        let groups: Vec<&CommunityShare> = community.iter().filter(|c| c.category.trim().eq_ignore_ascii_case(category)).collect();
        let mut counts = vec![0u64; groups.len() + 2];
        for m in &current {
            let i = match described.get(&m.id).and_then(|d| d.group_of(category)) {
                None => groups.len() + 1,
                Some(g) => groups.iter().position(|c| c.group.trim().eq_ignore_ascii_case(g)).unwrap_or(groups.len()),
            };
            counts[i] += 1;
        }
        let mut sources: Vec<String> = groups.iter().map(|g| format!("{} ({})", g.source.trim(), g.year)).collect();
        sources.dedup();
        let names: Vec<(String, Option<f64>)> =
            groups.iter().map(|g| (g.group.trim().to_string(), Some(g.share))).chain([(OTHERWISE.to_string(), None), (NOT_GIVEN.to_string(), None)]).collect();
        categories.push(table(category, sources.join("; "), &names, &counts, total, &mut gaps));
    }
    let mut counts = vec![0u64; LivedExperience::ALL.len() + 1];
    for m in &current {
        let i = match described.get(&m.id).and_then(|d| d.lived_experience) {
            Some(l) => LivedExperience::ALL.iter().position(|x| *x == l).unwrap_or(0),
            None => LivedExperience::ALL.len(),
        };
        counts[i] += 1;
    }
    let names: Vec<(String, Option<f64>)> = LivedExperience::ALL.iter().map(|l| (l.label().to_string(), None)).chain([(NOT_GIVEN.to_string(), None)]).collect();
    categories.push(table(LIVED_CATEGORY, String::new(), &names, &counts, total, &mut gaps));
    if let Some(t) = categories.last()
        && !t.withheld
        && t.rows.iter().take(3).all(|r| r.members == Cell::Count(0))
    {
        gaps.push("No current member says they have lived or family experience: the seeds ask for people with mental illness and their families as equal partners.".into());
    }
    let sectors: Vec<SectorCount> =
        Sector::ALL.iter().map(|s| SectorCount { sector: *s, members: current.iter().filter(|m| m.sector == *s).count() as u64 }).filter(|s| s.members > 0).collect();
    let missing_sectors: Vec<Sector> = SEED_SECTORS.iter().copied().filter(|s| !sectors.iter().any(|c| c.sector == *s)).collect();
    if !missing_sectors.is_empty() {
        gaps.push(format!("No current member brings: {}.", missing_sectors.iter().map(|s| s.label()).collect::<Vec<_>>().join(", ")));
    }
    Representation { on, members: total, categories, sectors, missing_sectors, gaps }
}

fn table(category: &str, source: String, names: &[(String, Option<f64>)], counts: &[u64], total: u64, gaps: &mut Vec<String>) -> CategoryTable {
    let cells = protect(counts, total);
    let withheld = cells.is_none();
    let rows = names
        .iter()
        .enumerate()
        .map(|(i, (group, community))| {
            let cell = cells.as_ref().map_or(Cell::Withheld, |c| c[i]);
            let member_share = match cell {
                Cell::Count(n) if total > 0 => Some(n as f64 / total as f64),
                _ => None,
            };
            let gap = gap_words(cell, member_share, *community, total);
            if let (Some(c), Cell::Count(_) | Cell::FewerThan3) = (community, cell)
                && (gap.starts_with("under") || gap.starts_with("no member"))
            {
                gaps.push(format!("{category}: {group} — {gap} (the community: {}).", pct(*c)));
            }
            RepresentationRow { group: group.clone(), community_share: *community, members: cell, member_share, gap }
        })
        .collect();
    CategoryTable { category: category.to_string(), source, rows, withheld }
}

/// The gap in words, from what the table shows only (a small cell's words depend on the total and
/// the community's share, never on whether it is 1 or 2).
fn gap_words(cell: Cell, member_share: Option<f64>, community: Option<f64>, total: u64) -> String {
    let Some(c) = community else { return String::new() };
    match (cell, member_share) {
        (Cell::Count(0), _) if c >= CLOSE => "no member, though the group is a real part of the community".into(),
        (Cell::Count(_), Some(m)) => {
            let d = m - c;
            if d.abs() < CLOSE {
                "about the community's share".into()
            } else if d < 0.0 {
                format!("under-represented by {} points", crate::numbers::fixed(-d * 100.0, 0))
            } else {
                format!("over-represented by {} points", crate::numbers::fixed(d * 100.0, 0))
            }
        }
        (Cell::FewerThan3, _) if total > 0 && ((SMALL - 1) as f64 / total as f64) < c - CLOSE => {
            format!("under-represented: fewer than 3 members, at most {} of the membership", pct((SMALL - 1) as f64 / total as f64))
        }
        (Cell::FewerThan3, _) => "fewer than 3 members: too few to compare".into(),
        _ => "not shown, so that the small counts beside it cannot be worked out".into(),
    }
}

// --- Participation ------------------------------------------------------------------------------

/// One member's attendance at the workgroup's meetings while they were a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberParticipation {
    pub member: MemberId,
    pub name: String,
    pub sector: Sector,
    /// Workgroup meetings held while they were a member.
    pub meetings: u64,
    pub attended: u64,
    /// Meetings they missed where their substitute came.
    pub by_substitute: u64,
}

/// A sector's seats filled at the workgroup's meetings in a quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SectorQuarter {
    pub sector: Sector,
    /// E.g. "2025 Q1".
    pub quarter: String,
    /// Seats: members of the sector × meetings they could attend.
    pub seats: u64,
    /// Seats filled, in person or by a substitute.
    pub filled: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Participation {
    pub members: Vec<MemberParticipation>,
    pub sectors: Vec<SectorQuarter>,
}

fn quarter(d: NaiveDate) -> String {
    format!("{} Q{}", d.year(), d.month0() / 3 + 1)
}

/// Attendance of the members holding a seat at the workgroup's meetings held up to `today`.
pub fn participation(members: &[Member], meetings: &[Meeting], today: NaiveDate) -> Participation {
    let held: Vec<&Meeting> = meetings.iter().filter(|m| m.kind == MeetingKind::Workgroup && m.held_on <= today && m.held()).collect();
    let substitutes: Vec<&Member> = members.iter().filter(|m| m.role == MemberRole::Substitute).collect();
    let mut out = Vec::new();
    let mut by_sector: BTreeMap<(Sector, String), (u64, u64)> = BTreeMap::new();
    for m in members.iter().filter(|m| m.holds_seat()) {
        let mut p = MemberParticipation { member: m.id, name: m.name.clone(), sector: m.sector, meetings: 0, attended: 0, by_substitute: 0 };
        for meeting in held.iter().filter(|x| m.current_on(x.held_on)) {
            p.meetings += 1;
            let came = meeting.attended(m.id);
            let sub = !came && substitutes.iter().any(|s| s.substitute_for == Some(m.id) && meeting.attended(s.id));
            p.attended += came as u64;
            p.by_substitute += sub as u64;
            let e = by_sector.entry((m.sector, quarter(meeting.held_on))).or_default();
            e.0 += 1;
            e.1 += (came || sub) as u64;
        }
        out.push(p);
    }
    out.sort_by(|a, b| a.sector.cmp(&b.sector).then_with(|| a.name.cmp(&b.name)));
    let sectors = by_sector.into_iter().map(|((sector, quarter), (seats, filled))| SectorQuarter { sector, quarter, seats, filled }).collect();
    Participation { members: out, sectors }
}

#[cfg(test)]
mod tests;
