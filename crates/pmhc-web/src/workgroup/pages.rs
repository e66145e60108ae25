//! The workgroup's pages. A refused form comes back with what was typed and each problem next to
//! its field (422); a saved one says what was done.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use pmhc_core::access::Permission;
use pmhc_core::field_form::FieldProblem;
use pmhc_core::numbers::percent_whole;
use pmhc_core::sharing::Sector;
use pmhc_core::workgroup::{
    ActionItem, ActionStatus, AgendaItem, Attendance, AttendanceRecord, Cell, Charge, CommunityShare, Decision, Demographic, LivedExperience, Meeting, MeetingKind,
    Member, MemberId, MemberRole, SelfDescription,
};
use pmhc_service::workgroup::{self as uc, ActionChange};
use pmhc_service::{Acting, ServiceError};
use serde::Deserialize;

use crate::auth::{Auth, Principal};
use crate::filters;
use crate::error::PageError;
use crate::present::{Nav, render};
use crate::{AppError, AppState};

type FormMap = HashMap<String, String>;

/// What a form sent, and what came of it.
#[derive(Default)]
pub struct Feedback {
    /// Which form was sent (its problems and values belong to it).
    pub form: &'static str,
    pub kept: FormMap,
    pub problems: Vec<FieldProblem>,
    /// A problem that is no one field's.
    pub error: Option<String>,
    pub message: Option<String>,
}

impl Feedback {
    fn done(message: impl Into<String>) -> Feedback {
        Feedback { message: Some(message.into()), ..Feedback::default() }
    }

    /// This field's problems (several joined), when `form` was the one sent.
    pub fn err(&self, form: &str, field: &str) -> Option<String> {
        if self.form != form {
            return None;
        }
        let found: Vec<&str> = self.problems.iter().filter(|p| p.field == field).map(|p| p.message.as_str()).collect();
        if found.is_empty() { None } else { Some(found.join("; ")) }
    }

    /// The value typed into a field of `form` when it was refused, or `default`.
    pub fn value(&self, form: &str, field: &str, default: &str) -> String {
        if self.form == form && (!self.problems.is_empty() || self.error.is_some()) {
            self.kept.get(field).cloned().unwrap_or_default()
        } else {
            default.to_string()
        }
    }

    /// Whether `form` was refused (its `<details>` opens).
    pub fn open(&self, form: &str) -> bool {
        self.form == form && (!self.problems.is_empty() || self.error.is_some())
    }
}

/// A refusal of a form: its problems next to its fields (422), or the error page when it is
/// not about the form.
fn refusal(form: &'static str, kept: FormMap, e: ServiceError) -> Result<Feedback, AppError> {
    match AppError::from(e) {
        AppError::Invalid(problems) => Ok(Feedback { form, kept, problems, ..Feedback::default() }),
        e @ (AppError::BadRequest(_) | AppError::Conflict(_)) => Ok(Feedback { form, kept, error: Some(e.to_string()), ..Feedback::default() }),
        e => Err(e),
    }
}

fn field<'a>(f: &'a FormMap, k: &str) -> &'a str {
    f.get(k).map(|s| s.trim()).unwrap_or("")
}

fn by(who: &Principal) -> Acting<'_> {
    Acting::User(&who.user)
}

fn status(fb: &Feedback) -> StatusCode {
    if fb.problems.is_empty() && fb.error.is_none() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
}

fn page<T: Template>(code: StatusCode, t: &T) -> Response {
    (code, Html(render(t))).into_response()
}

/// Parse what a form field holds, or a problem naming the field.
struct Parsed {
    problems: Vec<FieldProblem>,
}

impl Parsed {
    fn new() -> Parsed {
        Parsed { problems: Vec::new() }
    }
    fn bad(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(FieldProblem { field: field.into(), message: message.into() });
    }
    fn day(&mut self, f: &FormMap, k: &str, required: bool) -> Option<NaiveDate> {
        match field(f, k) {
            "" => {
                if required {
                    self.bad(k, "give a day");
                }
                None
            }
            s => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| self.bad(k, format!("`{s}` is not a day (YYYY-MM-DD)"))).ok(),
        }
    }
    fn parse<T: std::str::FromStr>(&mut self, f: &FormMap, k: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        field(f, k).parse::<T>().map_err(|e| self.bad(k, e.to_string())).ok()
    }
    fn id(&mut self, f: &FormMap, k: &str) -> Option<i64> {
        match field(f, k) {
            "" => None,
            s => s.parse::<i64>().map_err(|_| self.bad(k, format!("`{s}` is not one of the choices"))).ok(),
        }
    }
    fn finish<T>(self, v: Option<T>) -> Result<T, ServiceError> {
        match v {
            Some(v) if self.problems.is_empty() => Ok(v),
            _ => Err(ServiceError::InvalidFields(self.problems)),
        }
    }
}

fn named<T: Copy>(all: &[T], f: impl Fn(T) -> (&'static str, &'static str)) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| f(*v)).collect()
}

/// The form's pairs as a map (a repeated name's values joined by `,`).
fn form_map(pairs: Vec<(String, String)>) -> FormMap {
    let mut f = FormMap::new();
    for (k, v) in pairs {
        f.entry(k).and_modify(|old: &mut String| {
            old.push(',');
            old.push_str(&v);
        }).or_insert(v);
    }
    f
}

fn check_form(who: &Principal, f: &FormMap, p: Permission) -> Result<(), AppError> {
    who.require(p)?;
    who.check_csrf(field(f, "csrf"))
}

// --- The workgroup ------------------------------------------------------------------------------

pub struct MemberRow {
    pub id: MemberId,
    pub name: String,
    pub affiliation: String,
    pub sector: &'static str,
    pub role: &'static str,
    pub dates: String,
    pub account: bool,
    pub current: bool,
    pub substitute_for: String,
}

pub struct RepRow {
    pub group: String,
    pub community: String,
    pub members: String,
    pub share: String,
    pub gap: String,
    pub small: bool,
}

pub struct RepTable {
    pub category: String,
    pub source: String,
    pub withheld: bool,
    pub rows: Vec<RepRow>,
}

#[derive(Template)]
#[template(path = "workgroup.html")]
pub struct OverviewPage {
    pub nav: Nav,
    pub csrf: String,
    pub manage: bool,
    pub today: NaiveDate,
    pub charge: Charge,
    pub has_charge: bool,
    pub chair: String,
    pub members: Vec<MemberRow>,
    pub current: u64,
    pub tables: Vec<RepTable>,
    pub sectors: Vec<(&'static str, u64)>,
    pub missing: Vec<&'static str>,
    pub gaps: Vec<String>,
    pub community_text: String,
    pub sector_choices: Vec<(&'static str, &'static str)>,
    pub role_choices: Vec<(&'static str, &'static str)>,
    pub partners: Vec<(String, String)>,
    pub seat_holders: Vec<(String, String)>,
    pub charge_fields: Vec<(&'static str, &'static str, String, &'static str)>,
    pub m_id: i64,
    pub member_fields: Vec<MemberField>,
    pub fb: Feedback,
}

/// A field of the member form: name, label, input type (or `select`), value, help.
pub type MemberField = (&'static str, &'static str, &'static str, String, &'static str);

fn member_fields(m: Option<&Member>) -> Vec<MemberField> {
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let id = |v: Option<i64>| v.map(|d| d.to_string()).unwrap_or_default();
    vec![
        ("name", "Name", "text", m.map(|m| m.name.clone()).unwrap_or_default(), ""),
        ("affiliation", "Affiliation (partner agency or community organization)", "text", m.map(|m| m.affiliation.clone()).unwrap_or_default(), ""),
        ("partner", "Partner in pmhc (if the affiliation is one)", "select", id(m.and_then(|m| m.partner)), ""),
        ("sector", "Sector they bring", "select", m.map(|m| m.sector.as_str().to_string()).unwrap_or_default(), ""),
        ("role", "Role in the workgroup", "select", m.map(|m| m.role.as_str().to_string()).unwrap_or_else(|| "member".into()), ""),
        ("substitute_for", "Substitute for (a substitute's member)", "select", id(m.and_then(|m| m.substitute_for)), ""),
        ("username", "pmhc account (optional)", "text", m.and_then(|m| m.username.clone()).unwrap_or_default(), "Community members often have none. Linked, the member sees what they said of themselves and keeps their own action items."),
        ("joined_on", "Joined", "date", m.map(|m| m.joined_on.to_string()).unwrap_or_default(), ""),
        ("left_on", "Left (empty while a member)", "date", day(m.and_then(|m| m.left_on)), ""),
    ]
}

/// The choices of a select of the member form.
fn choices_of(name: &str, sectors: &[(&'static str, &'static str)], roles: &[(&'static str, &'static str)], partners: &[(String, String)], seats: &[(String, String)]) -> Vec<(String, String)> {
    let own = |v: &[(&'static str, &'static str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    match name {
        "sector" => own(sectors),
        "role" => own(roles),
        "partner" => partners.to_vec(),
        "substitute_for" => seats.to_vec(),
        _ => Vec::new(),
    }
}

impl OverviewPage {
    pub fn choices(&self, name: &str) -> Vec<(String, String)> {
        choices_of(name, &self.sector_choices, &self.role_choices, &self.partners, &self.seat_holders)
    }
}

fn member_row(m: &Member, all: &[Member], today: NaiveDate) -> MemberRow {
    MemberRow {
        id: m.id,
        name: m.name.clone(),
        affiliation: m.affiliation.clone(),
        sector: m.sector.label(),
        role: m.role.label(),
        dates: match m.left_on {
            Some(l) => format!("{} to {l}", m.joined_on),
            None => format!("since {}", m.joined_on),
        },
        account: m.username.is_some(),
        current: m.current_on(today),
        substitute_for: m.substitute_for.and_then(|s| all.iter().find(|x| x.id == s)).map(|x| x.name.clone()).unwrap_or_default(),
    }
}

fn community_text(rows: &[CommunityShare]) -> String {
    rows.iter()
        .map(|r| format!("{} | {} | {} | {} | {}", r.category, r.group, pmhc_core::numbers::fixed(r.share * 100.0, 1), r.source, r.year))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn overview_page(state: &AppState, who: &Principal, fb: Feedback) -> Result<Response, AppError> {
    let w = uc::workgroup(&state.cx, by(who)).await?;
    let partners = pmhc_service::partners::list(&state.cx).await?;
    let r = &w.representation;
    let tables = r
        .categories
        .iter()
        .map(|t| RepTable {
            category: t.category.clone(),
            source: t.source.clone(),
            withheld: t.withheld,
            rows: t
                .rows
                .iter()
                .map(|row| RepRow {
                    group: row.group.clone(),
                    community: row.community_share.map(percent_whole).unwrap_or_else(|| "–".into()),
                    members: row.members.words(),
                    share: row.member_share.map(percent_whole).unwrap_or_else(|| "–".into()),
                    gap: row.gap.clone(),
                    small: row.members != Cell::Count(0) && !matches!(row.members, Cell::Count(_)),
                })
                .collect(),
        })
        .collect();
    let chair: Vec<String> = w.members.iter().filter(|m| m.role == MemberRole::Chair && m.current_on(w.today)).map(|m| m.name.clone()).collect();
    let page_ = OverviewPage {
        nav: Nav::new(Some(who), "workgroup"),
        csrf: who.csrf().to_string(),
        manage: who.roles().can(Permission::ManageWorkgroup),
        today: w.today,
        has_charge: w.charge.is_some(),
        charge: w.charge.clone().unwrap_or_default(),
        chair: chair.join(" and "),
        members: w.members.iter().map(|m| member_row(m, &w.members, w.today)).collect(),
        current: r.members,
        tables,
        sectors: r.sectors.iter().map(|s| (s.sector.label(), s.members)).collect(),
        missing: r.missing_sectors.iter().map(|s| s.label()).collect(),
        gaps: r.gaps.clone(),
        community_text: community_text(&w.community),
        sector_choices: named(Sector::ALL, |s| (s.as_str(), s.label())),
        role_choices: named(MemberRole::ALL, |s| (s.as_str(), s.label())),
        partners: partners.iter().map(|p| (p.id.to_string(), p.name.clone())).collect(),
        seat_holders: w.members.iter().filter(|m| m.holds_seat()).map(|m| (m.id.to_string(), m.name.clone())).collect(),
        charge_fields: {
            let c = w.charge.clone().unwrap_or_default();
            vec![
                ("name", "Name of the workgroup", c.name.clone(), "input"),
                ("vision", "Vision", c.vision.clone(), "text"),
                ("mission", "Mission", c.mission.clone(), "text"),
                ("principles", "Guiding principles (one per line)", c.principles.join("\n"), "text"),
                ("focus_areas", "Areas of focus (one per line)", c.focus_areas.join("\n"), "text"),
            ]
        },
        m_id: 0,
        member_fields: member_fields(None),
        fb,
    };
    Ok(page(status(&page_.fb), &page_))
}

pub(super) async fn overview(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::ViewWorkgroup)?;
    Ok(overview_page(&state, &who, Feedback::default()).await?)
}

pub(super) async fn charge(State(state): State<AppState>, Auth(who): Auth, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let f = form_map(pairs);
    check_form(&who, &f, Permission::ManageWorkgroup)?;
    let lines = |k: &str| field(&f, k).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect::<Vec<_>>();
    let c = Charge { name: field(&f, "name").into(), vision: field(&f, "vision").into(), mission: field(&f, "mission").into(), principles: lines("principles"), focus_areas: lines("focus_areas") };
    let fb = match uc::save_charge(&state.cx, &who.actor(), by(&who), c).await {
        Ok(_) => Feedback::done("The charge is saved."),
        Err(e) => refusal("charge", f, e)?,
    };
    Ok(overview_page(&state, &who, fb).await?)
}

/// The community's demographics as typed: `category | group | share % | source | year`.
fn parse_community(text: &str) -> Result<Vec<CommunityShare>, ServiceError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = l.split('|').map(str::trim).collect();
        let bad = |m: String| FieldProblem { field: "community".into(), message: format!("line {}: {m}", i + 1) };
        if parts.len() != 5 {
            problems.push(bad("write category | group | share % | source | year".into()));
            continue;
        }
        let share = parts[2].trim_end_matches('%').trim().parse::<f64>().ok().filter(|s| s.is_finite());
        let year = parts[4].parse::<i32>().ok();
        match (share, year) {
            (Some(s), Some(y)) => out.push(CommunityShare { category: parts[0].into(), group: parts[1].into(), share: s / 100.0, source: parts[3].into(), year: y }),
            (None, _) => problems.push(bad(format!("`{}` is not a share in percent", parts[2]))),
            (_, None) => problems.push(bad(format!("`{}` is not a year", parts[4]))),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(ServiceError::InvalidFields(problems)) }
}

pub(super) async fn community(State(state): State<AppState>, Auth(who): Auth, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let f = form_map(pairs);
    check_form(&who, &f, Permission::ManageWorkgroup)?;
    let r = match parse_community(field(&f, "community")) {
        Ok(rows) => uc::save_community(&state.cx, &who.actor(), by(&who), rows).await,
        Err(e) => Err(e),
    };
    let fb = match r {
        Ok(()) => Feedback::done("The community's demographics are saved."),
        Err(e) => refusal("community", f, e)?,
    };
    Ok(overview_page(&state, &who, fb).await?)
}

/// A member as the member form holds it.
fn member_from(f: &FormMap, id: MemberId) -> Result<Member, ServiceError> {
    let mut p = Parsed::new();
    let sector: Option<Sector> = p.parse(f, "sector");
    let role: Option<MemberRole> = p.parse(f, "role");
    let joined_on = p.day(f, "joined_on", true);
    let left_on = p.day(f, "left_on", false);
    let partner = p.id(f, "partner");
    let substitute_for = p.id(f, "substitute_for");
    if field(f, "name").is_empty() {
        p.bad("name", "give the member's name");
    }
    let m = match (sector, role, joined_on) {
        (Some(sector), Some(role), Some(joined_on)) => Some(Member {
            id,
            name: field(f, "name").into(),
            username: Some(field(f, "username").to_string()).filter(|u| !u.is_empty()),
            affiliation: field(f, "affiliation").into(),
            partner,
            sector,
            role,
            substitute_for,
            joined_on,
            left_on,
        }),
        _ => None,
    };
    // Both sets of problems: the form's and the rules' (dates out of order, an unknown member).
    if let Some(m) = &m
        && let Err(e) = m.validate(&[])
    {
        let seen: Vec<String> = p.problems.iter().map(|y| y.field.clone()).collect();
        p.problems.extend(e.into_iter().filter(|x| x.field != "substitute_for" && !seen.contains(&x.field)));
    }
    p.finish(m)
}

pub(super) async fn member_add(State(state): State<AppState>, Auth(who): Auth, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let f = form_map(pairs);
    check_form(&who, &f, Permission::ManageWorkgroup)?;
    let r = match member_from(&f, 0) {
        Ok(m) => uc::save_member(&state.cx, &who.actor(), by(&who), m).await,
        Err(e) => Err(e),
    };
    let fb = match r {
        Ok(m) => Feedback::done(format!("{} joined the workgroup ({}).", m.name, m.role.label())),
        Err(e) => refusal("member", f, e)?,
    };
    Ok(overview_page(&state, &who, fb).await?)
}

// --- One member ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "workgroup_member.html")]
pub struct MemberPage {
    pub nav: Nav,
    pub csrf: String,
    pub manage: bool,
    pub m: Member,
    pub row: MemberRow,
    pub partner_name: String,
    pub substitutes: Vec<String>,
    pub may_describe: bool,
    pub own: bool,
    pub described: SelfDescription,
    /// Each category of the community, the member's answer, and the community's groups.
    pub categories: Vec<(String, String, Vec<String>)>,
    pub lived_choices: Vec<(&'static str, &'static str)>,
    pub sector_choices: Vec<(&'static str, &'static str)>,
    pub role_choices: Vec<(&'static str, &'static str)>,
    pub partners: Vec<(String, String)>,
    pub seat_holders: Vec<(String, String)>,
    pub m_id: i64,
    pub member_fields: Vec<MemberField>,
    pub fb: Feedback,
}

impl MemberPage {
    /// The answer typed for a category when the form was refused, or the stored one.
    pub fn demo_value(&self, category: &str, answer: &str) -> String {
        self.fb.value("self", &format!("demo:{category}"), answer)
    }
    pub fn choices(&self, name: &str) -> Vec<(String, String)> {
        choices_of(name, &self.sector_choices, &self.role_choices, &self.partners, &self.seat_holders)
    }
    pub fn lived(&self) -> &'static str {
        self.described.lived_experience.map(|l| l.as_str()).unwrap_or("")
    }
}

async fn member_page(state: &AppState, who: &Principal, id: MemberId, fb: Feedback) -> Result<Response, AppError> {
    let v = uc::member(&state.cx, &who.actor(), by(who), id).await?;
    let w = uc::workgroup(&state.cx, by(who)).await?;
    let partners = pmhc_service::partners::list(&state.cx).await?;
    let described = v.self_description.clone().unwrap_or_default();
    let mut categories: Vec<(String, String, Vec<String>)> = Vec::new();
    for c in &w.community {
        match categories.iter_mut().find(|x| x.0.eq_ignore_ascii_case(c.category.trim())) {
            Some(x) => x.2.push(c.group.clone()),
            None => {
                let answer = described.demographics.iter().find(|d| d.category.eq_ignore_ascii_case(c.category.trim())).map(|d| d.group.clone()).unwrap_or_default();
                categories.push((c.category.trim().to_string(), answer, vec![c.group.clone()]));
            }
        }
    }
    for d in &described.demographics {
        if !categories.iter().any(|x| x.0.eq_ignore_ascii_case(&d.category)) {
            categories.push((d.category.clone(), d.group.clone(), Vec::new()));
        }
    }
    let p = MemberPage {
        nav: Nav::new(Some(who), "workgroup"),
        csrf: who.csrf().to_string(),
        manage: who.roles().can(Permission::ManageWorkgroup),
        row: member_row(&v.member, &w.members, w.today),
        partner_name: v.member.partner.and_then(|p| partners.iter().find(|x| x.id == p)).map(|p| p.name.clone()).unwrap_or_default(),
        substitutes: v.substitutes.iter().map(|s| s.name.clone()).collect(),
        may_describe: v.may_describe,
        own: v.member.username.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&who.user.username)),
        described,
        categories,
        lived_choices: named(LivedExperience::ALL, |s| (s.as_str(), s.label())),
        sector_choices: named(Sector::ALL, |s| (s.as_str(), s.label())),
        role_choices: named(MemberRole::ALL, |s| (s.as_str(), s.label())),
        partners: partners.iter().map(|p| (p.id.to_string(), p.name.clone())).collect(),
        seat_holders: w.members.iter().filter(|m| m.holds_seat() && m.id != id).map(|m| (m.id.to_string(), m.name.clone())).collect(),
        m_id: id,
        member_fields: member_fields(Some(&v.member)),
        m: v.member,
        fb,
    };
    Ok(page(status(&p.fb), &p))
}

pub(super) async fn member(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Response, PageError> {
    who.require(Permission::ViewWorkgroup)?;
    Ok(member_page(&state, &who, id, Feedback::default()).await?)
}

pub(super) async fn member_change(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let f = form_map(pairs);
    check_form(&who, &f, Permission::ManageWorkgroup)?;
    let r = match member_from(&f, id) {
        Ok(m) => uc::save_member(&state.cx, &who.actor(), by(&who), m).await,
        Err(e) => Err(e),
    };
    let fb = match r {
        Ok(m) => Feedback::done(format!("{} is saved.", m.name)),
        Err(e) => refusal("member", f, e)?,
    };
    Ok(member_page(&state, &who, id, fb).await?)
}

pub(super) async fn member_describe(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let f = form_map(pairs);
    check_form(&who, &f, Permission::ViewWorkgroup)?;
    let mut p = Parsed::new();
    let lived = match field(&f, "lived_experience") {
        "" => None,
        _ => p.parse::<LivedExperience>(&f, "lived_experience"),
    };
    let demographics = f
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("demo:").map(|c| (c.to_string(), v.trim().to_string())))
        .filter(|(_, v)| !v.is_empty())
        .map(|(category, group)| Demographic { category, group })
        .collect::<Vec<_>>();
    let d = SelfDescription { lived_experience: lived, demographics, in_own_words: field(&f, "in_own_words").into() };
    let r = match p.finish(Some(d)) {
        Ok(d) => uc::describe_member(&state.cx, &who.actor(), by(&who), id, d).await,
        Err(e) => Err(e),
    };
    let fb = match r {
        Ok(()) => Feedback::done("Saved. Only you and the project coordinator see it; the representation table counts it without your name."),
        Err(e) => refusal("self", f, e)?,
    };
    Ok(member_page(&state, &who, id, fb).await?)
}

// --- Meetings -----------------------------------------------------------------------------------

pub struct MeetingRow {
    pub id: i64,
    pub held_on: NaiveDate,
    pub kind: &'static str,
    pub title: String,
    pub agenda: usize,
    pub present: usize,
    pub decisions: usize,
}

#[derive(Template)]
#[template(path = "workgroup_meetings.html")]
pub struct MeetingsPage {
    pub nav: Nav,
    pub csrf: String,
    pub manage: bool,
    pub upcoming: Vec<MeetingRow>,
    pub past: Vec<MeetingRow>,
    pub kinds: Vec<(&'static str, &'static str)>,
    /// Per member: name, sector, meetings, attended, by substitute, share.
    pub members: Vec<(MemberId, String, &'static str, u64, u64, u64, String)>,
    /// Quarters (columns) and per sector its cells ("filled of seats (share)").
    pub quarters: Vec<String>,
    pub sectors: Vec<(&'static str, Vec<String>)>,
    pub fb: Feedback,
}

fn share(n: u64, d: u64) -> String {
    if d == 0 { "–".into() } else { percent_whole(n as f64 / d as f64) }
}

async fn meetings_page(state: &AppState, who: &Principal, fb: Feedback) -> Result<Response, AppError> {
    let meetings = uc::meetings(&state.cx, by(who)).await?;
    let today = state.cx.clock().today();
    let row = |m: &Meeting| MeetingRow {
        id: m.id,
        held_on: m.held_on,
        kind: m.kind.label(),
        title: m.title.clone(),
        agenda: m.agenda.len(),
        present: m.attendance.iter().filter(|a| a.attendance == Attendance::Present).count(),
        decisions: m.decisions.len(),
    };
    let mut upcoming: Vec<MeetingRow> = meetings.iter().filter(|m| m.held_on >= today && !m.held()).map(row).collect();
    upcoming.reverse();
    let past = meetings.iter().filter(|m| m.held_on < today || m.held()).map(row).collect();
    let p = uc::participation(&state.cx, by(who)).await?;
    let mut quarters: Vec<String> = p.sectors.iter().map(|s| s.quarter.clone()).collect();
    quarters.sort();
    quarters.dedup();
    let quarters: Vec<String> = quarters.into_iter().rev().take(4).rev().collect();
    let mut sectors: Vec<(&'static str, Vec<String>)> = Vec::new();
    for s in Sector::ALL {
        let cells: Vec<String> = quarters
            .iter()
            .map(|q| p.sectors.iter().find(|x| x.sector == *s && &x.quarter == q).map_or("–".into(), |x| format!("{} of {} ({})", x.filled, x.seats, share(x.filled, x.seats))))
            .collect();
        if cells.iter().any(|c| c != "–") {
            sectors.push((s.label(), cells));
        }
    }
    let page_ = MeetingsPage {
        nav: Nav::new(Some(who), "meetings"),
        csrf: who.csrf().to_string(),
        manage: who.roles().can(Permission::ManageWorkgroup),
        upcoming,
        past,
        kinds: named(MeetingKind::ALL, |s| (s.as_str(), s.label())),
        members: p.members.iter().map(|m| (m.member, m.name.clone(), m.sector.label(), m.meetings, m.attended, m.by_substitute, share(m.attended + m.by_substitute, m.meetings))).collect(),
        quarters,
        sectors,
        fb,
    };
    Ok(page(status(&page_.fb), &page_))
}

pub(super) async fn meetings(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::ViewWorkgroup)?;
    Ok(meetings_page(&state, &who, Feedback::default()).await?)
}

/// Agenda lines `title | presenter | minutes` against the members' names.
fn parse_agenda(text: &str, members: &[Member], p: &mut Parsed) -> Vec<AgendaItem> {
    let (agenda, problems) = AgendaItem::parse_lines(text, |n| {
        members.iter().find(|m| m.name.trim().eq_ignore_ascii_case(n)).map(|m| m.id).ok_or_else(|| format!("`{n}` is not a member of the workgroup"))
    });
    for e in problems {
        p.bad("agenda", e);
    }
    agenda
}

/// The meeting form: day, kind, title, place, agenda; attendance (`att:ID`), decisions (one per
/// line) and minutes when they are on the form.
fn meeting_from(f: &FormMap, id: i64, members: &[Member], before: Option<&Meeting>) -> Result<Meeting, ServiceError> {
    let mut p = Parsed::new();
    let held_on = p.day(f, "held_on", true);
    let kind: Option<MeetingKind> = p.parse(f, "kind");
    let agenda = parse_agenda(field(f, "agenda"), members, &mut p);
    let mut attendance = Vec::new();
    for (k, v) in f {
        if let Some(member) = k.strip_prefix("att:").and_then(|m| m.parse::<i64>().ok())
            && !v.is_empty()
        {
            match v.parse::<Attendance>() {
                Ok(a) => attendance.push(AttendanceRecord { member, attendance: a }),
                Err(e) => p.bad("attendance", e.to_string()),
            }
        }
    }
    attendance.sort_by_key(|a| a.member);
    let decisions = match f.get("decisions") {
        Some(text) => text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate().map(|(i, t)| Decision { number: i as u32 + 1, text: t.to_string() }).collect(),
        None => before.map(|b| b.decisions.clone()).unwrap_or_default(),
    };
    let m = match (held_on, kind) {
        (Some(held_on), Some(kind)) => Some(Meeting {
            id,
            held_on,
            kind,
            title: field(f, "title").into(),
            location: field(f, "location").into(),
            agenda,
            attendance: if f.contains_key("attendance_on_form") { attendance } else { before.map(|b| b.attendance.clone()).unwrap_or_default() },
            minutes: f.get("minutes").cloned().unwrap_or_else(|| before.map(|b| b.minutes.clone()).unwrap_or_default()),
            decisions,
        }),
        _ => None,
    };
    p.finish(m)
}

pub(super) async fn meeting_add(State(state): State<AppState>, Auth(who): Auth, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let f = form_map(pairs);
    check_form(&who, &f, Permission::ManageWorkgroup)?;
    let members = uc::members(&state.cx, by(&who)).await?;
    let r = match meeting_from(&f, 0, &members, None) {
        Ok(m) => uc::save_meeting(&state.cx, &who.actor(), by(&who), m).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(m) => Ok(Redirect::to(&format!("/workgroup/meetings/{}?saved=1", m.id)).into_response()),
        Err(e) => Ok(meetings_page(&state, &who, refusal("meeting", f, e)?).await?),
    }
}

pub struct ActionRow {
    pub id: i64,
    pub text: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub status: &'static str,
    pub status_code: &'static str,
    pub overdue: bool,
    pub origin: String,
    pub meeting: i64,
    pub follow_up: Vec<String>,
    pub closed_on: String,
    pub keeps: bool,
    pub yours: bool,
    /// The form: each status with whether it is chosen, the note typed, the problems.
    pub status_options: Vec<(&'static str, &'static str, bool)>,
    pub note: String,
    pub note_error: Option<String>,
    pub other_error: Option<String>,
}

fn action_row(a: &ActionItem, members: &[Member], meetings: &[Meeting], today: NaiveDate, who: &Principal) -> ActionRow {
    let m = meetings.iter().find(|m| m.id == a.meeting);
    let me = uc::member_of(by(who), members);
    ActionRow {
        id: a.id,
        text: a.text.clone(),
        owner: members.iter().find(|m| m.id == a.owner).map(|m| m.name.clone()).unwrap_or_else(|| format!("#{}", a.owner)),
        due_on: a.due_on,
        status: a.status.label(),
        status_code: a.status.as_str(),
        overdue: a.overdue(today),
        origin: match (m, a.decision) {
            (Some(m), Some(d)) => format!("{} {} — decision {d}", m.held_on, m.title),
            (Some(m), None) => format!("{} {}", m.held_on, m.title),
            (None, _) => String::new(),
        },
        meeting: a.meeting,
        follow_up: a.follow_up.lines().map(String::from).collect(),
        closed_on: a.closed_on.map(|d| d.to_string()).unwrap_or_default(),
        keeps: uc::keeps_action(by(who), a, members),
        yours: me.is_some_and(|me| me.id == a.owner),
        status_options: ActionStatus::ALL.iter().map(|s| (s.as_str(), s.label(), *s == a.status)).collect(),
        note: String::new(),
        note_error: None,
        other_error: None,
    }
}

#[derive(Template)]
#[template(path = "workgroup_meeting.html")]
pub struct MeetingPage {
    pub nav: Nav,
    pub csrf: String,
    pub manage: bool,
    pub m: Meeting,
    pub kind: &'static str,
    pub upcoming: bool,
    pub carried: Vec<ActionRow>,
    pub agenda: Vec<(String, String, String)>,
    pub present: Vec<String>,
    pub excused: Vec<String>,
    pub absent: Vec<String>,
    pub minutes_html: String,
    pub actions: Vec<ActionRow>,
    /// For the forms: the members then (id, name, their attendance code).
    pub roll: Vec<(String, String, String)>,
    pub owners: Vec<(String, String)>,
    pub agenda_text: String,
    pub decisions_text: String,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub att_choices: Vec<(&'static str, &'static str)>,
    pub fb: Feedback,
}

impl MeetingPage {
    pub fn held_on_value(&self) -> String {
        self.fb.value("meeting", "held_on", &self.m.held_on.to_string())
    }
    /// A member's attendance as the refused form had it, or as recorded.
    pub fn kept_att(&self, id: &str, code: &str) -> String {
        self.fb.value("meeting", &format!("att:{id}"), code)
    }
}

async fn meeting_page(state: &AppState, who: &Principal, id: i64, fb: Feedback) -> Result<Response, AppError> {
    let v = uc::meeting(&state.cx, by(who), id).await?;
    let meetings = uc::meetings(&state.cx, by(who)).await?;
    let name = |id: MemberId| v.members.iter().find(|m| m.id == id).map(|m| m.name.clone()).unwrap_or_else(|| format!("#{id}"));
    let m = &v.meeting;
    let who_came = |k: Attendance| m.attendance.iter().filter(|a| a.attendance == k).map(|a| name(a.member)).collect::<Vec<_>>();
    let recorded: Vec<MemberId> = m.attendance.iter().map(|a| a.member).collect();
    let absent = v.members.iter().filter(|x| x.current_on(m.held_on) && x.holds_seat() && !recorded.contains(&x.id)).map(|x| x.name.clone()).collect();
    let agenda_text = m.agenda.iter().map(|a| a.line(name)).collect::<Vec<_>>().join("\n");
    let p = MeetingPage {
        nav: Nav::new(Some(who), "meetings"),
        csrf: who.csrf().to_string(),
        manage: who.roles().can(Permission::ManageWorkgroup),
        kind: m.kind.label(),
        upcoming: !m.held(),
        carried: v.carried_over.iter().map(|a| action_row(a, &v.members, &meetings, v.today, who)).collect(),
        agenda: m.agenda.iter().map(|a| (a.title.clone(), a.presenter.map(name).unwrap_or_default(), a.minutes.map(|n| format!("{n} min")).unwrap_or_default())).collect(),
        present: who_came(Attendance::Present),
        excused: who_came(Attendance::Excused),
        absent,
        minutes_html: crate::markdown::to_html(&m.minutes),
        actions: v.actions.iter().map(|a| action_row(a, &v.members, &meetings, v.today, who)).collect(),
        roll: v
            .members
            .iter()
            .filter(|x| x.current_on(m.held_on))
            .map(|x| (x.id.to_string(), x.name.clone(), m.attendance.iter().find(|a| a.member == x.id).map(|a| a.attendance.as_str().to_string()).unwrap_or_default()))
            .collect(),
        owners: v.members.iter().filter(|x| x.left_on.is_none_or(|l| l >= m.held_on)).map(|x| (x.id.to_string(), x.name.clone())).collect(),
        agenda_text,
        decisions_text: m.decisions.iter().map(|d| d.text.clone()).collect::<Vec<_>>().join("\n"),
        kinds: named(MeetingKind::ALL, |s| (s.as_str(), s.label())),
        att_choices: named(Attendance::ALL, |s| (s.as_str(), s.label())),
        m: v.meeting.clone(),
        fb,
    };
    Ok(page(status(&p.fb), &p))
}

#[derive(Deserialize)]
pub(super) struct SavedQuery {
    saved: Option<String>,
}

pub(super) async fn meeting(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Query(q): Query<SavedQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewWorkgroup)?;
    let fb = if q.saved.is_some() { Feedback::done("The meeting is saved.") } else { Feedback::default() };
    Ok(meeting_page(&state, &who, id, fb).await?)
}

pub(super) async fn meeting_change(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let f = form_map(pairs);
    check_form(&who, &f, Permission::ManageWorkgroup)?;
    let before = uc::meeting(&state.cx, by(&who), id).await?;
    let r = match meeting_from(&f, id, &before.members, Some(&before.meeting)) {
        Ok(m) => uc::save_meeting(&state.cx, &who.actor(), by(&who), m).await,
        Err(e) => Err(e),
    };
    let fb = match r {
        Ok(_) => Feedback::done("The meeting is saved."),
        Err(e) => refusal("meeting", f, e)?,
    };
    Ok(meeting_page(&state, &who, id, fb).await?)
}

pub(super) async fn action_add(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let f = form_map(pairs);
    check_form(&who, &f, Permission::ManageWorkgroup)?;
    uc::meeting(&state.cx, by(&who), id).await?;
    let mut p = Parsed::new();
    let owner = p.id(&f, "owner");
    if owner.is_none() && field(&f, "owner").is_empty() {
        p.bad("owner", "choose who will do it");
    }
    let due_on = p.day(&f, "due_on", true);
    let decision = match field(&f, "decision") {
        "" => None,
        s => s.parse::<u32>().map_err(|_| p.bad("decision", format!("`{s}` is not a decision of this meeting"))).ok(),
    };
    let a = match (owner, due_on) {
        (Some(owner), Some(due_on)) => {
            Some(ActionItem { id: 0, meeting: id, decision, owner, text: field(&f, "text").into(), due_on, status: ActionStatus::Open, follow_up: String::new(), closed_on: None })
        }
        _ => None,
    };
    let r = match p.finish(a) {
        Ok(a) => uc::add_action_item(&state.cx, &who.actor(), by(&who), a).await,
        Err(e) => Err(e),
    };
    let fb = match r {
        Ok(a) => Feedback::done(format!("Action item #{} added, due {}.", a.id, a.due_on)),
        Err(e) => refusal("action", f, e)?,
    };
    Ok(meeting_page(&state, &who, id, fb).await?)
}

// --- Action items -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "workgroup_actions.html")]
pub struct ActionsPage {
    pub nav: Nav,
    pub csrf: String,
    pub today: NaiveDate,
    pub overdue: Vec<ActionRow>,
    pub open: Vec<ActionRow>,
    pub closed: Vec<ActionRow>,
    pub linked: bool,
    pub fb: Feedback,
    /// The item the feedback is about is among the closed ones (their list opens).
    pub about_closed: bool,
}

async fn actions_page(state: &AppState, who: &Principal, fb: Feedback, about: i64) -> Result<Response, AppError> {
    let items = uc::action_items(&state.cx, by(who)).await?;
    let members = uc::members(&state.cx, by(who)).await?;
    let meetings = uc::meetings(&state.cx, by(who)).await?;
    let today = state.cx.clock().today();
    let mut rows: Vec<ActionRow> = items.iter().map(|a| action_row(a, &members, &meetings, today, who)).collect();
    // The refused form keeps what was typed, its problems beside its fields.
    if let Some(r) = rows.iter_mut().find(|r| r.id == about)
        && (!fb.problems.is_empty() || fb.error.is_some())
    {
        let kept = fb.kept.get("status").cloned().unwrap_or_default();
        for o in &mut r.status_options {
            o.2 = o.0 == kept;
        }
        r.note = fb.kept.get("note").cloned().unwrap_or_default();
        r.note_error = fb.err("item", "note");
        let rest: Vec<String> = fb.problems.iter().filter(|p| p.field != "note").map(|p| format!("{}: {}", p.field, p.message)).chain(fb.error.clone()).collect();
        r.other_error = if rest.is_empty() { None } else { Some(rest.join("; ")) };
    }
    let (open, closed): (Vec<ActionRow>, Vec<ActionRow>) = rows.into_iter().partition(|r| r.status_code == "open");
    let (overdue, open): (Vec<ActionRow>, Vec<ActionRow>) = open.into_iter().partition(|r| r.overdue);
    let mut closed = closed;
    closed.sort_by(|a, b| b.closed_on.cmp(&a.closed_on));
    let p = ActionsPage {
        nav: Nav::new(Some(who), "actions"),
        csrf: who.csrf().to_string(),
        today,
        overdue,
        open,
        linked: uc::member_of(by(who), &members).is_some(),
        about_closed: closed.iter().any(|a| a.id == about),
        closed,
        fb,
    };
    Ok(page(status(&p.fb), &p))
}

#[derive(Deserialize)]
pub(super) struct DoneQuery {
    done: Option<i64>,
}

pub(super) async fn actions(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<DoneQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewWorkgroup)?;
    let fb = match q.done {
        Some(id) => Feedback::done(format!("Action item #{id} is saved.")),
        None => Feedback::default(),
    };
    Ok(actions_page(&state, &who, fb, q.done.unwrap_or(0)).await?)
}

pub(super) async fn action_change(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let f = form_map(pairs);
    check_form(&who, &f, Permission::ViewWorkgroup)?;
    let mut p = Parsed::new();
    let status = match field(&f, "status") {
        "" => None,
        _ => p.parse::<ActionStatus>(&f, "status"),
    };
    let change = ActionChange { status, note: Some(field(&f, "note").to_string()).filter(|n| !n.is_empty()), ..ActionChange::default() };
    let r = match p.finish(Some(change)) {
        Ok(c) => uc::change_action_item(&state.cx, &who.actor(), by(&who), id, c).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/workgroup/actions?done={id}#item-{id}")).into_response()),
        Err(e) => {
            let fb = refusal("item", f, e)?;
            Ok(actions_page(&state, &who, fb, id).await?)
        }
    }
}
