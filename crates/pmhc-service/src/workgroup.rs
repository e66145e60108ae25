//! The interagency workgroup, for the CLI, the pages and the API alike: its charge, members (and
//! what each says of themself), the community's demographics and the representation table,
//! meetings and action items; CSV exports and imports of members, meetings and action items.
//!
//! Who may: the project coordinator and administrators keep it ([`Permission::ManageWorkgroup`]);
//! workgroup members read it ([`Permission::ViewWorkgroup`]) and keep their own action items (status
//! and follow-up notes) when their account is linked to the member who owns the item. What a member
//! says of themself is seen only by that member and the project coordinator (not administrators:
//! they keep the workgroup, not its members' personal data), and its every reading is audited.
//! Every change is audited before it is made.

use std::collections::HashMap;

use chrono::NaiveDate;
use pmhc_core::access::{Permission, Role};
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::field_form::FieldProblem;
use pmhc_core::workgroup::{
    self as wg, ActionItem, ActionStatus, Charge, CommunityShare, Meeting, MeetingId, Member, MemberId, Participation, Representation, SelfDescription,
};

use crate::audit::{self, Actor};
use crate::{Acting, ServiceContext, ServiceError};

pub mod csv;

/// The field group of what a member says of themself, as the audit trail names it.
const DEMOGRAPHICS: &[&str] = &["demographics"];

fn invalid(problems: Vec<FieldProblem>) -> ServiceError {
    ServiceError::InvalidFields(problems)
}

fn manage(by: Acting<'_>) -> Result<(), ServiceError> {
    by.require(Permission::ManageWorkgroup)
}

fn view(by: Acting<'_>) -> Result<(), ServiceError> {
    by.require(Permission::ViewWorkgroup)
}

/// The member linked to the acting user's account, if any.
pub fn member_of<'a>(by: Acting<'_>, members: &'a [Member]) -> Option<&'a Member> {
    let user = by.user()?;
    members.iter().find(|m| m.username.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&user.username)))
}

/// Whether `by` may read what `member` says of themself: the member (their linked account), the
/// project coordinator, the operator.
pub fn reads_self_description(by: Acting<'_>, member: &Member) -> bool {
    match by.user() {
        None => true,
        Some(u) => u.roles.contains(Role::ProjectCoordinator) || member.username.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&u.username)),
    }
}

/// Whether `by` keeps this action item: those who keep the workgroup, or its owner (status and
/// follow-up notes only).
pub fn keeps_action(by: Acting<'_>, item: &ActionItem, members: &[Member]) -> bool {
    by.require(Permission::ManageWorkgroup).is_ok() || (by.require(Permission::ViewWorkgroup).is_ok() && member_of(by, members).is_some_and(|m| m.id == item.owner))
}

/// The workgroup as a reader sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Workgroup {
    pub charge: Option<Charge>,
    pub members: Vec<Member>,
    pub community: Vec<CommunityShare>,
    pub representation: Representation,
    pub today: NaiveDate,
}

/// The charge, the members (past and present), the community's demographics and the
/// representation table on the clock's today.
pub async fn workgroup(cx: &ServiceContext, by: Acting<'_>) -> Result<Workgroup, ServiceError> {
    view(by)?;
    let store = cx.store();
    let today = cx.clock().today();
    let members = store.workgroup_members().await?;
    let community = store.community_demographics().await?;
    let described = store.self_descriptions().await?;
    let representation = wg::representation(&members, &described, &community, today);
    Ok(Workgroup { charge: store.workgroup_charge().await?, members, community, representation, today })
}

/// Every member, past and present (names, affiliations, sectors and roles: no self-description).
pub async fn members(cx: &ServiceContext, by: Acting<'_>) -> Result<Vec<Member>, ServiceError> {
    view(by)?;
    Ok(cx.store().workgroup_members().await?)
}

/// One member, with what they say of themself when the reader may see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberView {
    pub member: Member,
    /// Whether the reader may read (and change) the self-description.
    pub may_describe: bool,
    pub self_description: Option<SelfDescription>,
    /// The member they substitute for, and their substitutes.
    pub substitute_for: Option<Member>,
    pub substitutes: Vec<Member>,
}

/// One member. Reading a self-description is audited (field group demographics) before it is
/// handed out.
pub async fn member(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, id: MemberId) -> Result<MemberView, ServiceError> {
    view(by)?;
    let store = cx.store();
    let members = store.workgroup_members().await?;
    let m = members.iter().find(|m| m.id == id).cloned().ok_or_else(|| ServiceError::NotFound(format!("there is no workgroup member #{id}")))?;
    let may_describe = reads_self_description(by, &m);
    let self_description = if may_describe {
        let d = store.self_descriptions().await?.remove(&id);
        if d.is_some() {
            audit::record(cx, actor, AuditAction::View, format!("workgroup-member:{id}"), DEMOGRAPHICS, AuditOutcome::Success, "self-description").await?;
        }
        d
    } else {
        None
    };
    Ok(MemberView {
        substitute_for: m.substitute_for.and_then(|s| members.iter().find(|x| x.id == s).cloned()),
        substitutes: members.iter().filter(|x| x.substitute_for == Some(id)).cloned().collect(),
        member: m,
        may_describe,
        self_description,
    })
}

/// Set the charge.
pub async fn save_charge(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, charge: Charge) -> Result<Charge, ServiceError> {
    manage(by)?;
    charge.validate().map_err(invalid)?;
    audit::record(cx, actor, AuditAction::Change, "workgroup-charge", &[], AuditOutcome::Success, "set the charge").await?;
    cx.store().save_workgroup_charge(&charge).await?;
    Ok(charge)
}

/// Check members against the rules, the partners and the accounts (`others`: the members as
/// they are, and the earlier rows of a file).
async fn check_member(cx: &ServiceContext, m: &Member, others: &[Member]) -> Result<(), Vec<FieldProblem>> {
    let mut problems = m.validate(others).err().unwrap_or_default();
    let store = cx.store();
    if let Some(p) = m.partner
        && store.find_partner(&p.to_string()).await.is_err()
    {
        problems.push(FieldProblem { field: "partner".into(), message: format!("there is no partner #{p}") });
    }
    if let Some(u) = m.username.as_deref().map(str::trim).filter(|u| !u.is_empty())
        && !matches!(store.user_by_username(u).await, Ok(Some(_)))
    {
        problems.push(FieldProblem { field: "username".into(), message: format!("there is no pmhc account `{u}` (leave it empty for a member without one)") });
    }
    if m.id != 0 && !others.iter().any(|o| o.id == m.id) {
        problems.push(FieldProblem { field: "id".into(), message: format!("there is no workgroup member #{}", m.id) });
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// Add a member (id 0) or change one.
pub async fn save_member(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, mut m: Member) -> Result<Member, ServiceError> {
    manage(by)?;
    m.username = m.username.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
    let members = cx.store().workgroup_members().await?;
    if m.id != 0 && !members.iter().any(|o| o.id == m.id) {
        return Err(ServiceError::NotFound(format!("there is no workgroup member #{}", m.id)));
    }
    check_member(cx, &m, &members).await.map_err(invalid)?;
    let (action, object) = if m.id == 0 { (AuditAction::Create, "workgroup-member:new".to_string()) } else { (AuditAction::Change, format!("workgroup-member:{}", m.id)) };
    audit::record(cx, actor, action, object, &[], AuditOutcome::Success, format!("{} ({}, {})", m.name.trim(), m.role.label(), m.sector.label())).await?;
    let saved = cx.store().save_workgroup_members(std::slice::from_ref(&m)).await?;
    saved.into_iter().next().ok_or_else(|| ServiceError::Internal("the member was not saved".into()))
}

/// Set what a member says of themself (the member, through their linked account, or the
/// project coordinator). Audited without the values.
pub async fn describe_member(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, id: MemberId, d: SelfDescription) -> Result<(), ServiceError> {
    view(by)?;
    let members = cx.store().workgroup_members().await?;
    let m = members.iter().find(|m| m.id == id).ok_or_else(|| ServiceError::NotFound(format!("there is no workgroup member #{id}")))?;
    if !reads_self_description(by, m) {
        return Err(ServiceError::NotYourPartner("what a member says of themself is kept by that member and the project coordinator".into()));
    }
    d.validate().map_err(invalid)?;
    audit::record(cx, actor, AuditAction::Change, format!("workgroup-member:{id}"), DEMOGRAPHICS, AuditOutcome::Success, "self-description").await?;
    Ok(cx.store().save_self_description(id, &d).await?)
}

/// Enter the community's demographics (replacing those entered before).
pub async fn save_community(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, rows: Vec<CommunityShare>) -> Result<(), ServiceError> {
    manage(by)?;
    wg::validate_community(&rows).map_err(invalid)?;
    audit::record(cx, actor, AuditAction::Change, "workgroup-community", &[], AuditOutcome::Success, format!("{} groups", rows.len())).await?;
    Ok(cx.store().save_community_demographics(&rows).await?)
}

/// The meetings, newest first.
pub async fn meetings(cx: &ServiceContext, by: Acting<'_>) -> Result<Vec<Meeting>, ServiceError> {
    view(by)?;
    Ok(cx.store().meetings().await?)
}

/// A meeting with what its page shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MeetingView {
    pub meeting: Meeting,
    /// The open action items of earlier meetings: the agenda starts with them.
    pub carried_over: Vec<ActionItem>,
    /// The action items that came from this meeting.
    pub actions: Vec<ActionItem>,
    pub members: Vec<Member>,
    pub today: NaiveDate,
}

pub async fn meeting(cx: &ServiceContext, by: Acting<'_>, id: MeetingId) -> Result<MeetingView, ServiceError> {
    view(by)?;
    let store = cx.store();
    let meetings = store.meetings().await?;
    let meeting = meetings.iter().find(|m| m.id == id).cloned().ok_or_else(|| ServiceError::NotFound(format!("there is no meeting #{id}")))?;
    let items = store.action_items().await?;
    let carried_over = wg::carried_over(&items, &meetings, &meeting).into_iter().cloned().collect();
    let actions = items.iter().filter(|a| a.meeting == id).cloned().collect();
    Ok(MeetingView { meeting, carried_over, actions, members: store.workgroup_members().await?, today: cx.clock().today() })
}

fn meeting_problems(m: &Meeting, members: &[Member], items: &[ActionItem], exists: bool) -> Vec<FieldProblem> {
    let mut problems = m.validate(members).err().unwrap_or_default();
    if m.id != 0 && !exists {
        problems.push(FieldProblem { field: "id".into(), message: format!("there is no meeting #{}", m.id) });
    }
    for a in items.iter().filter(|a| a.meeting == m.id && m.id != 0) {
        if let Some(n) = a.decision
            && !m.decisions.iter().any(|d| d.number == n)
        {
            problems.push(FieldProblem { field: "decisions".into(), message: format!("decision {n} has an action item (#{}): keep it", a.id) });
        }
        if a.due_on < m.held_on {
            problems.push(FieldProblem { field: "held_on".into(), message: format!("action item #{} is due on {}, before this day", a.id, a.due_on) });
        }
    }
    problems
}

/// Add a meeting (id 0) or change one: its agenda, attendance, minutes and decisions together.
pub async fn save_meeting(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, m: Meeting) -> Result<Meeting, ServiceError> {
    manage(by)?;
    let store = cx.store();
    let members = store.workgroup_members().await?;
    let exists = m.id == 0 || store.meeting(m.id).await?.is_some();
    if !exists {
        return Err(ServiceError::NotFound(format!("there is no meeting #{}", m.id)));
    }
    let problems = meeting_problems(&m, &members, &store.action_items().await?, exists);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let (action, object) = if m.id == 0 { (AuditAction::Create, "meeting:new".to_string()) } else { (AuditAction::Change, format!("meeting:{}", m.id)) };
    audit::record(cx, actor, action, object, &[], AuditOutcome::Success, format!("{} {} ({})", m.held_on, m.title.trim(), m.kind.label())).await?;
    let saved = store.save_meetings(std::slice::from_ref(&m)).await?;
    saved.into_iter().next().ok_or_else(|| ServiceError::Internal("the meeting was not saved".into()))
}

/// Every action item, soonest due first.
pub async fn action_items(cx: &ServiceContext, by: Acting<'_>) -> Result<Vec<ActionItem>, ServiceError> {
    view(by)?;
    Ok(cx.store().action_items().await?)
}

/// Add an action item to a meeting (those who keep the workgroup).
pub async fn add_action_item(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, mut a: ActionItem) -> Result<ActionItem, ServiceError> {
    manage(by)?;
    let store = cx.store();
    let meeting = store.meeting(a.meeting).await?.ok_or_else(|| ServiceError::InvalidField { field: "meeting".into(), message: format!("there is no meeting #{}", a.meeting) })?;
    a.id = 0;
    a.closed_on = match a.status {
        ActionStatus::Open => None,
        _ => Some(a.closed_on.unwrap_or(cx.clock().today()).max(meeting.held_on)),
    };
    a.validate(&meeting, &store.workgroup_members().await?).map_err(invalid)?;
    audit::record(cx, actor, AuditAction::Create, format!("action-item:meeting:{}", a.meeting), &[], AuditOutcome::Success, format!("owner #{} due {}", a.owner, a.due_on))
        .await?;
    let saved = store.save_action_items(std::slice::from_ref(&a)).await?;
    saved.into_iter().next().ok_or_else(|| ServiceError::Internal("the action item was not saved".into()))
}

/// A change of an action item. Its owner may change the status and add a note; those who keep
/// the workgroup may change everything.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ActionChange {
    pub status: Option<ActionStatus>,
    /// Added to the follow-up notes, dated.
    pub note: Option<String>,
    pub owner: Option<MemberId>,
    pub due_on: Option<NaiveDate>,
    pub text: Option<String>,
}

pub async fn change_action_item(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, id: i64, c: ActionChange) -> Result<ActionItem, ServiceError> {
    view(by)?;
    let store = cx.store();
    let items = store.action_items().await?;
    let members = store.workgroup_members().await?;
    let mut a = items.into_iter().find(|a| a.id == id).ok_or_else(|| ServiceError::NotFound(format!("there is no action item #{id}")))?;
    if !keeps_action(by, &a, &members) {
        return Err(ServiceError::NotYourPartner("an action item is kept by its owner and by those who keep the workgroup".into()));
    }
    if (c.owner.is_some() || c.due_on.is_some() || c.text.is_some()) && manage(by).is_err() {
        return Err(ServiceError::NotYourPartner("the owner, the due day and the action are changed by those who keep the workgroup; you may change the status and add a note".into()));
    }
    let today = cx.clock().today();
    let meeting = store.meeting(a.meeting).await?.ok_or_else(|| ServiceError::Internal(format!("action item #{id} has no meeting")))?;
    let before = a.status;
    if let Some(s) = c.status {
        a.status = s;
        a.closed_on = match s {
            ActionStatus::Open => None,
            _ if before == s => a.closed_on,
            _ => Some(today.max(meeting.held_on)),
        };
    }
    if let Some(note) = c.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        let line = format!("{today} ({}): {note}", by.name_or(actor));
        a.follow_up = if a.follow_up.trim().is_empty() { line } else { format!("{}\n{line}", a.follow_up.trim_end()) };
    }
    if let Some(o) = c.owner {
        a.owner = o;
    }
    if let Some(d) = c.due_on {
        a.due_on = d;
    }
    if let Some(t) = c.text {
        a.text = t;
    }
    a.validate(&meeting, &members).map_err(|mut p| {
        // A note over the limit is the note's problem, as the form names it.
        for x in &mut p {
            if x.field == "follow_up" {
                x.field = "note".into();
            }
        }
        invalid(p)
    })?;
    let what = format!("{}{}", a.status.label().to_lowercase(), if c.note.as_deref().is_some_and(|n| !n.trim().is_empty()) { ", note added" } else { "" });
    audit::record(cx, actor, AuditAction::Change, format!("action-item:{id}"), &[], AuditOutcome::Success, what).await?;
    let saved = store.save_action_items(std::slice::from_ref(&a)).await?;
    saved.into_iter().next().ok_or_else(|| ServiceError::Internal("the action item was not saved".into()))
}

/// Attendance of the workgroup's meetings up to today, per member and per sector by quarter.
pub async fn participation(cx: &ServiceContext, by: Acting<'_>) -> Result<Participation, ServiceError> {
    view(by)?;
    let store = cx.store();
    Ok(wg::participation(&store.workgroup_members().await?, &store.meetings().await?, cx.clock().today()))
}

/// Members by id (for names on pages and in files).
pub fn by_id(members: &[Member]) -> HashMap<MemberId, &Member> {
    members.iter().map(|m| (m.id, m)).collect()
}

#[cfg(test)]
mod tests;
