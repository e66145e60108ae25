//! The workgroup's members, meetings and action items as CSV: exports that import again (written
//! spreadsheet-safe, read back with the prefix taken off), and imports that check the whole file
//! first — one bad row saves nothing, every problem is listed with its line — then audit, then
//! save in one transaction. Members are named by their names in the files (each name once).
//! What members say of themselves is never in these files.

use std::collections::HashMap;

use chrono::NaiveDate;
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::csv_safe::restore;
use pmhc_core::workgroup::{
    ActionItem, ActionStatus, AgendaItem, Attendance, AttendanceRecord, Decision, Meeting, MeetingKind, Member, MemberId,
};
use pmhc_import::csv_safe::write_safe_record;

use super::{check_member, manage, meeting_problems, view};
use crate::audit::{self, Actor};
use crate::{Acting, ServiceContext, ServiceError};

pub const MEMBER_COLUMNS: [&str; 10] = ["id", "name", "username", "affiliation", "partner", "sector", "role", "substitute_for", "joined_on", "left_on"];
pub const MEETING_COLUMNS: [&str; 10] = ["id", "held_on", "kind", "title", "location", "agenda", "present", "excused", "decisions", "minutes"];
pub const ACTION_COLUMNS: [&str; 11] =
    ["id", "meeting_id", "meeting_on", "meeting_title", "decision", "owner", "text", "due_on", "status", "follow_up", "closed_on"];

/// How an import changed the records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub added: usize,
    pub changed: usize,
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, ServiceError> {
    w.into_inner().map_err(|e| ServiceError::Internal(e.to_string()))
}

fn csv_error(e: csv::Error) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

fn opt_day(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The members, past and present.
pub async fn members_csv(cx: &ServiceContext, actor: &Actor, by: Acting<'_>) -> Result<Vec<u8>, ServiceError> {
    view(by)?;
    let members = cx.store().workgroup_members().await?;
    audit::record(cx, actor, AuditAction::Export, "workgroup-members", &[], AuditOutcome::Success, format!("{} members", members.len())).await?;
    let names = super::by_id(&members);
    let mut w = csv::Writer::from_writer(Vec::new());
    write_safe_record(&mut w, MEMBER_COLUMNS).map_err(csv_error)?;
    for m in &members {
        write_safe_record(&mut w, [
            m.id.to_string(),
            m.name.clone(),
            m.username.clone().unwrap_or_default(),
            m.affiliation.clone(),
            m.partner.map(|p| p.to_string()).unwrap_or_default(),
            m.sector.as_str().to_string(),
            m.role.as_str().to_string(),
            m.substitute_for.and_then(|s| names.get(&s)).map(|s| s.name.clone()).unwrap_or_default(),
            m.joined_on.to_string(),
            opt_day(m.left_on),
        ])
        .map_err(csv_error)?;
    }
    finish(w)
}

/// The meetings, oldest first: agenda items one per line (`title | presenter | minutes`),
/// attendance as names separated by `;`, decisions one per line (numbered in order).
pub async fn meetings_csv(cx: &ServiceContext, actor: &Actor, by: Acting<'_>) -> Result<Vec<u8>, ServiceError> {
    view(by)?;
    let store = cx.store();
    let (members, mut meetings) = (store.workgroup_members().await?, store.meetings().await?);
    meetings.reverse();
    audit::record(cx, actor, AuditAction::Export, "meetings", &[], AuditOutcome::Success, format!("{} meetings", meetings.len())).await?;
    let names = super::by_id(&members);
    let name = |id: MemberId| names.get(&id).map(|m| m.name.clone()).unwrap_or_else(|| format!("#{id}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    write_safe_record(&mut w, MEETING_COLUMNS).map_err(csv_error)?;
    for m in &meetings {
        let agenda: Vec<String> = m.agenda.iter().map(|a| a.line(name)).collect();
        let who = |k: Attendance| m.attendance.iter().filter(|a| a.attendance == k).map(|a| name(a.member)).collect::<Vec<_>>().join("; ");
        write_safe_record(&mut w, [
            m.id.to_string(),
            m.held_on.to_string(),
            m.kind.as_str().to_string(),
            m.title.clone(),
            m.location.clone(),
            agenda.join("\n"),
            who(Attendance::Present),
            who(Attendance::Excused),
            m.decisions.iter().map(|d| d.text.clone()).collect::<Vec<_>>().join("\n"),
            m.minutes.clone(),
        ])
        .map_err(csv_error)?;
    }
    finish(w)
}

/// The action items, soonest due first.
pub async fn actions_csv(cx: &ServiceContext, actor: &Actor, by: Acting<'_>) -> Result<Vec<u8>, ServiceError> {
    view(by)?;
    let store = cx.store();
    let (members, meetings, items) = (store.workgroup_members().await?, store.meetings().await?, store.action_items().await?);
    audit::record(cx, actor, AuditAction::Export, "action-items", &[], AuditOutcome::Success, format!("{} action items", items.len())).await?;
    let names = super::by_id(&members);
    let mut w = csv::Writer::from_writer(Vec::new());
    write_safe_record(&mut w, ACTION_COLUMNS).map_err(csv_error)?;
    for a in &items {
        let m = meetings.iter().find(|m| m.id == a.meeting);
        write_safe_record(&mut w, [
            a.id.to_string(),
            a.meeting.to_string(),
            m.map(|m| m.held_on.to_string()).unwrap_or_default(),
            m.map(|m| m.title.clone()).unwrap_or_default(),
            a.decision.map(|d| d.to_string()).unwrap_or_default(),
            names.get(&a.owner).map(|m| m.name.clone()).unwrap_or_default(),
            a.text.clone(),
            a.due_on.to_string(),
            a.status.as_str().to_string(),
            a.follow_up.clone(),
            opt_day(a.closed_on),
        ])
        .map_err(csv_error)?;
    }
    finish(w)
}

// --- Reading ------------------------------------------------------------------------------------

/// A problem of a file, with its line.
fn refused(what: &str, problems: Vec<String>) -> ServiceError {
    let shown: Vec<String> = problems.iter().take(50).cloned().collect();
    let more = if problems.len() > 50 { format!("\n… and {} more", problems.len() - 50) } else { String::new() };
    ServiceError::Invalid(format!("nothing was imported: the {what} has {} problem(s):\n{}{more}", problems.len(), shown.join("\n")))
}

/// The rows of a CSV file as maps from column to value (the spreadsheet prefix taken off), with
/// their line numbers; the columns must be among `known` and include `required`.
fn rows(bytes: &[u8], known: &[&str], required: &[&str]) -> Result<Vec<(u64, HashMap<String, String>)>, Vec<String>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)).map_err(|_| vec!["the file is not UTF-8 text".to_string()])?;
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().map_err(|e| vec![format!("line 1: {e}")])?.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut problems = Vec::new();
    for h in &header {
        if !known.contains(&h.as_str()) {
            problems.push(format!("line 1: unknown column `{h}` (the columns are {})", known.join(", ")));
        }
    }
    for c in required {
        if !header.iter().any(|h| h == c) {
            problems.push(format!("line 1: the column `{c}` is missing"));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = Vec::new();
    for rec in r.records() {
        match rec {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line());
                let map = header.iter().cloned().zip(rec.iter().map(|v| restore(v.trim()).to_string())).collect();
                out.push((line, map));
            }
            Err(e) => problems.push(format!("line {}: {e}", e.position().map_or(0, |p| p.line()))),
        }
        if out.len() > 10_000 {
            problems.push("more than 10,000 rows: split the file".into());
            break;
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

fn get<'a>(row: &'a HashMap<String, String>, k: &str) -> &'a str {
    row.get(k).map(String::as_str).unwrap_or("")
}

fn day(row: &HashMap<String, String>, k: &str) -> Result<Option<NaiveDate>, String> {
    match get(row, k) {
        "" => Ok(None),
        s => NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| format!("{k}: `{s}` is not a date (YYYY-MM-DD)")),
    }
}

fn id(row: &HashMap<String, String>, k: &str) -> Result<Option<i64>, String> {
    match get(row, k) {
        "" => Ok(None),
        s => s.parse::<i64>().ok().filter(|n| *n > 0).map(Some).ok_or_else(|| format!("{k}: `{s}` is not a number")),
    }
}

/// Members by name (lower case); a name held by two members is ambiguous.
fn names(members: &[Member]) -> HashMap<String, Option<MemberId>> {
    let mut out: HashMap<String, Option<MemberId>> = HashMap::new();
    for m in members {
        out.entry(m.name.trim().to_lowercase()).and_modify(|v| *v = None).or_insert(Some(m.id));
    }
    out
}

fn member_named(names: &HashMap<String, Option<MemberId>>, name: &str) -> Result<MemberId, String> {
    match names.get(&name.trim().to_lowercase()) {
        Some(Some(id)) => Ok(*id),
        Some(None) => Err(format!("two members are called `{}`: rename one first", name.trim())),
        None => Err(format!("`{}` is not a member of the workgroup", name.trim())),
    }
}

/// Import members: matched by `id`, else by name, else added. A substitute names the member
/// they attend for (a member already there, or one of an earlier row).
pub async fn import_members(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, file_name: &str, bytes: &[u8]) -> Result<Imported, ServiceError> {
    manage(by)?;
    let existing = cx.store().workgroup_members().await?;
    let parsed = read_members(cx, &existing, bytes).await;
    let object = format!("workgroup-members:{file_name}");
    match &parsed {
        Ok(rows) => audit::record(cx, actor, AuditAction::Import, object, &[], AuditOutcome::Success, format!("{} members", rows.len())).await?,
        Err(p) => audit::record(cx, actor, AuditAction::Import, object, &[], AuditOutcome::Failed, format!("not imported ({} problems)", p.len())).await?,
    }
    let rows = parsed.map_err(|p| refused("members file", p))?;
    let counts = Imported { added: rows.iter().filter(|m| m.id == 0).count(), changed: rows.iter().filter(|m| m.id != 0).count() };
    cx.store().save_workgroup_members(&rows).await?;
    Ok(counts)
}

async fn read_members(cx: &ServiceContext, existing: &[Member], bytes: &[u8]) -> Result<Vec<Member>, Vec<String>> {
    let rows = rows(bytes, &MEMBER_COLUMNS, &["name", "sector", "role", "joined_on"])?;
    let mut problems = Vec::new();
    let mut out: Vec<Member> = Vec::new();
    let mut known = names(existing);
    for (line, row) in &rows {
        let mut p = Vec::new();
        let name = get(row, "name").to_string();
        let by_id = id(row, "id").unwrap_or_else(|e| {
            p.push(e);
            None
        });
        let matched = match by_id {
            Some(i) if existing.iter().any(|m| m.id == i) => i,
            Some(i) => {
                p.push(format!("there is no member #{i} (leave the id empty to add one)"));
                0
            }
            None => existing.iter().find(|m| m.name.trim().eq_ignore_ascii_case(name.trim())).map_or(0, |m| m.id),
        };
        if out.iter().any(|o: &Member| (matched != 0 && o.id == matched) || o.name.trim().eq_ignore_ascii_case(name.trim())) {
            p.push(format!("`{}` is in the file twice", name.trim()));
        }
        let sector = get(row, "sector").parse().map_err(|e| p.push(format!("sector: {e}"))).ok();
        let role = get(row, "role").parse().map_err(|e| p.push(format!("role: {e}"))).ok();
        let joined_on = match day(row, "joined_on") {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                p.push("joined_on: give the day they joined".into());
                None
            }
            Err(e) => {
                p.push(e);
                None
            }
        };
        let left_on = day(row, "left_on").map_err(|e| p.push(e)).ok().flatten();
        let partner = id(row, "partner").map_err(|e| p.push(e)).ok().flatten();
        let substitute_for = match get(row, "substitute_for") {
            "" => None,
            s => match out.iter().position(|o| o.name.trim().eq_ignore_ascii_case(s.trim())) {
                // An earlier row: a placeholder the store resolves (-1 the first row).
                Some(i) if out[i].id == 0 => Some(-(i as i64) - 1),
                Some(i) => Some(out[i].id),
                None => member_named(&known, s).map_err(|e| p.push(format!("substitute_for: {e}"))).ok(),
            },
        };
        let username = Some(get(row, "username").to_string()).filter(|u| !u.is_empty());
        if let (Some(sector), Some(role), Some(joined_on)) = (sector, role, joined_on) {
            let m = Member {
                id: matched,
                name: name.clone(),
                username,
                affiliation: get(row, "affiliation").to_string(),
                partner,
                sector,
                role,
                substitute_for,
                joined_on,
                left_on,
            };
            // The rules against the members as they will be (placeholders stand for rows above).
            let mut others: Vec<Member> = existing.iter().filter(|e| e.id != matched).cloned().collect();
            for (i, o) in out.iter().enumerate() {
                others.push(Member { id: if o.id == 0 { -(i as i64) - 1 } else { o.id }, ..o.clone() });
            }
            let checked = Member { id: if matched == 0 { i64::MIN } else { matched }, ..m.clone() };
            let mut with_self = others.clone();
            if matched != 0 {
                with_self.push(checked.clone());
            }
            if let Err(e) = check_member(cx, &checked, &with_self).await {
                p.extend(e.into_iter().filter(|x| x.field != "id").map(|x| format!("{}: {}", x.field, x.message)));
            }
            known.entry(name.trim().to_lowercase()).or_insert(Some(m.id));
            out.push(m);
        }
        problems.extend(p.into_iter().map(|x| format!("line {line}: {x}")));
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// Import meetings: matched by `id`, else by day, kind and title, else added. Their agenda,
/// attendance and decisions are replaced by the file's.
pub async fn import_meetings(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, file_name: &str, bytes: &[u8]) -> Result<Imported, ServiceError> {
    manage(by)?;
    let store = cx.store();
    let (members, existing, items) = (store.workgroup_members().await?, store.meetings().await?, store.action_items().await?);
    let parsed = read_meetings(&members, &existing, &items, bytes);
    let object = format!("meetings:{file_name}");
    match &parsed {
        Ok(rows) => audit::record(cx, actor, AuditAction::Import, object, &[], AuditOutcome::Success, format!("{} meetings", rows.len())).await?,
        Err(p) => audit::record(cx, actor, AuditAction::Import, object, &[], AuditOutcome::Failed, format!("not imported ({} problems)", p.len())).await?,
    }
    let rows = parsed.map_err(|p| refused("meetings file", p))?;
    let counts = Imported { added: rows.iter().filter(|m| m.id == 0).count(), changed: rows.iter().filter(|m| m.id != 0).count() };
    store.save_meetings(&rows).await?;
    Ok(counts)
}

fn read_meetings(members: &[Member], existing: &[Meeting], items: &[ActionItem], bytes: &[u8]) -> Result<Vec<Meeting>, Vec<String>> {
    let rows = rows(bytes, &MEETING_COLUMNS, &["held_on", "kind", "title"])?;
    let known = names(members);
    let mut problems = Vec::new();
    let mut out: Vec<Meeting> = Vec::new();
    for (line, row) in &rows {
        let mut p = Vec::new();
        let held_on = match day(row, "held_on") {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                p.push("held_on: give the day of the meeting".into());
                None
            }
            Err(e) => {
                p.push(e);
                None
            }
        };
        let kind: Option<MeetingKind> = get(row, "kind").parse().map_err(|e| p.push(format!("kind: {e}"))).ok();
        let title = get(row, "title").to_string();
        let (agenda, agenda_problems) = AgendaItem::parse_lines(get(row, "agenda"), |n| member_named(&known, n));
        for e in agenda_problems {
            p.push(format!("agenda: {e}"));
        }
        let mut attendance = Vec::new();
        for (col, kind) in [("present", Attendance::Present), ("excused", Attendance::Excused)] {
            for n in get(row, col).split(';').map(str::trim).filter(|n| !n.is_empty()) {
                if let Ok(member) = member_named(&known, n).map_err(|e| p.push(format!("{col}: {e}"))) {
                    attendance.push(AttendanceRecord { member, attendance: kind });
                }
            }
        }
        let decisions: Vec<Decision> = get(row, "decisions")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(i, t)| Decision { number: i as u32 + 1, text: t.to_string() })
            .collect();
        if let (Some(held_on), Some(kind)) = (held_on, kind) {
            let mut matched = 0;
            match id(row, "id") {
                Ok(Some(i)) if existing.iter().any(|m| m.id == i) => matched = i,
                Ok(Some(i)) => p.push(format!("there is no meeting #{i} (leave the id empty to add one)")),
                Ok(None) => {
                    matched = existing.iter().find(|m| m.held_on == held_on && m.kind == kind && m.title.trim().eq_ignore_ascii_case(title.trim())).map_or(0, |m| m.id)
                }
                Err(e) => p.push(e),
            }
            let m = Meeting { id: matched, held_on, kind, title, location: get(row, "location").to_string(), agenda, attendance, minutes: row.get("minutes").cloned().unwrap_or_default(), decisions };
            if out.iter().any(|o| (matched != 0 && o.id == matched) || (o.held_on == m.held_on && o.kind == m.kind && o.title.trim().eq_ignore_ascii_case(m.title.trim()))) {
                p.push("this meeting is in the file twice".into());
            }
            p.extend(meeting_problems(&m, members, items, true).into_iter().map(|x| format!("{}: {}", x.field, x.message)));
            out.push(m);
        }
        problems.extend(p.into_iter().map(|x| format!("line {line}: {x}")));
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// Import action items: matched by `id`, else added to the meeting named by `meeting_id` or by
/// `meeting_on` and `meeting_title`.
pub async fn import_actions(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, file_name: &str, bytes: &[u8]) -> Result<Imported, ServiceError> {
    manage(by)?;
    let store = cx.store();
    let (members, meetings, items) = (store.workgroup_members().await?, store.meetings().await?, store.action_items().await?);
    let parsed = read_actions(&members, &meetings, &items, bytes);
    let object = format!("action-items:{file_name}");
    match &parsed {
        Ok(rows) => audit::record(cx, actor, AuditAction::Import, object, &[], AuditOutcome::Success, format!("{} action items", rows.len())).await?,
        Err(p) => audit::record(cx, actor, AuditAction::Import, object, &[], AuditOutcome::Failed, format!("not imported ({} problems)", p.len())).await?,
    }
    let rows = parsed.map_err(|p| refused("action items file", p))?;
    let counts = Imported { added: rows.iter().filter(|m| m.id == 0).count(), changed: rows.iter().filter(|m| m.id != 0).count() };
    store.save_action_items(&rows).await?;
    Ok(counts)
}

fn read_actions(members: &[Member], meetings: &[Meeting], items: &[ActionItem], bytes: &[u8]) -> Result<Vec<ActionItem>, Vec<String>> {
    let rows = rows(bytes, &ACTION_COLUMNS, &["owner", "text", "due_on"])?;
    let known = names(members);
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (line, row) in &rows {
        let mut p = Vec::new();
        let matched = match id(row, "id") {
            Ok(Some(i)) if items.iter().any(|a| a.id == i) => i,
            Ok(Some(i)) => {
                p.push(format!("there is no action item #{i} (leave the id empty to add one)"));
                0
            }
            Ok(None) => 0,
            Err(e) => {
                p.push(e);
                0
            }
        };
        let meeting = match id(row, "meeting_id") {
            Ok(Some(i)) => meetings.iter().find(|m| m.id == i).ok_or_else(|| format!("meeting_id: there is no meeting #{i}")),
            Ok(None) => match day(row, "meeting_on") {
                Ok(Some(d)) => {
                    let title = get(row, "meeting_title");
                    let found: Vec<&Meeting> = meetings.iter().filter(|m| m.held_on == d && (title.is_empty() || m.title.trim().eq_ignore_ascii_case(title))).collect();
                    match found.as_slice() {
                        [m] => Ok(*m),
                        [] => Err(format!("there is no meeting on {d}{}", if title.is_empty() { String::new() } else { format!(" called `{title}`") })),
                        _ => Err(format!("several meetings on {d}: give meeting_title or meeting_id")),
                    }
                }
                Ok(None) => Err("name the meeting it comes from (meeting_id, or meeting_on and meeting_title)".into()),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let owner = member_named(&known, get(row, "owner")).map_err(|e| p.push(format!("owner: {e}"))).ok();
        let due_on = match day(row, "due_on") {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                p.push("due_on: give the day it is due".into());
                None
            }
            Err(e) => {
                p.push(e);
                None
            }
        };
        let status: Option<ActionStatus> = match get(row, "status") {
            "" => Some(ActionStatus::Open),
            s => s.parse().map_err(|e| p.push(format!("status: {e}"))).ok(),
        };
        let decision = match get(row, "decision") {
            "" => None,
            s => s.parse::<u32>().map_err(|_| p.push(format!("decision: `{s}` is not a decision's number"))).ok(),
        };
        let closed_on = day(row, "closed_on").map_err(|e| p.push(e)).ok().flatten();
        match meeting {
            Err(e) => p.push(e),
            Ok(m) => {
                if let (Some(owner), Some(due_on), Some(status)) = (owner, due_on, status) {
                    let closed_on = if status == ActionStatus::Open { None } else { Some(closed_on.unwrap_or(due_on.max(m.held_on))) };
                    let a = ActionItem { id: matched, meeting: m.id, decision, owner, text: get(row, "text").to_string(), due_on, status, follow_up: get(row, "follow_up").to_string(), closed_on };
                    if let Err(e) = a.validate(m, members) {
                        p.extend(e.into_iter().map(|x| format!("{}: {}", x.field, x.message)));
                    }
                    out.push(a);
                }
            }
        }
        problems.extend(p.into_iter().map(|x| format!("line {line}: {x}")));
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}
