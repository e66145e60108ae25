//! The workgroup: its charge, members and what they say of themselves, the community's
//! demographics, meetings (agenda, attendance, decisions, minutes) and action items. Each write is
//! one transaction; a meeting's agenda, attendance and decisions are replaced with it.

use std::collections::HashMap;

use chrono::NaiveDate;
use pmhc_core::workgroup::{
    ActionItem, AgendaItem, AttendanceRecord, Charge, CommunityShare, Decision, Meeting, MeetingId, Member, MemberId, SelfDescription,
};

use crate::{Store, StoreError, on_pool};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what: what.into(), detail: e.to_string() }
}

fn lines(items: &[String]) -> String {
    items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("\n")
}

fn unlines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

type MemberRow = (i64, String, Option<String>, String, Option<i64>, String, String, Option<i64>, NaiveDate, Option<NaiveDate>);
type MeetingRow = (i64, NaiveDate, String, String, String, String);
type ActionRow = (i64, i64, Option<i64>, i64, String, NaiveDate, String, String, Option<NaiveDate>);


fn member(r: MemberRow) -> Result<Member, StoreError> {
    Ok(Member {
        id: r.0,
        name: r.1,
        username: r.2,
        affiliation: r.3,
        partner: r.4,
        sector: r.5.parse().map_err(|e| corrupt("workgroup_members.sector", e))?,
        role: r.6.parse().map_err(|e| corrupt("workgroup_members.role", e))?,
        substitute_for: r.7,
        joined_on: r.8,
        left_on: r.9,
    })
}

fn action(r: ActionRow) -> Result<ActionItem, StoreError> {
    Ok(ActionItem {
        id: r.0,
        meeting: r.1,
        decision: r.2.and_then(|d| u32::try_from(d).ok()),
        owner: r.3,
        text: r.4,
        due_on: r.5,
        status: r.6.parse().map_err(|e| corrupt("action_items.status", e))?,
        follow_up: r.7,
        closed_on: r.8,
    })
}

impl Store {
    /// The workgroup's charge, once it is set.
    pub async fn workgroup_charge(&self) -> Result<Option<Charge>, StoreError> {
        let row: Option<(String, String, String, String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT name, vision, mission, principles, focus_areas FROM workgroup_charge WHERE id = 1")
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read the workgroup's charge"))?
        });
        Ok(row.map(|r| Charge { name: r.0, vision: r.1, mission: r.2, principles: unlines(&r.3), focus_areas: unlines(&r.4) }))
    }

    pub async fn save_workgroup_charge(&self, c: &Charge) -> Result<(), StoreError> {
        let now = crate::clock::real_now();
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO workgroup_charge (id, name, vision, mission, principles, focus_areas, updated_at) VALUES (1, $1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (id) DO UPDATE SET name = $1, vision = $2, mission = $3, principles = $4, focus_areas = $5, updated_at = $6",
            )
            .bind(c.name.trim())
            .bind(c.vision.trim())
            .bind(c.mission.trim())
            .bind(lines(&c.principles))
            .bind(lines(&c.focus_areas))
            .bind(now)
            .execute(pool)
            .await
            .map_err(StoreError::db(BACKEND, "save the workgroup's charge"))?;
        });
        Ok(())
    }

    /// Every member, past and present, by name.
    pub async fn workgroup_members(&self) -> Result<Vec<Member>, StoreError> {
        let rows: Vec<MemberRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, username, affiliation, partner_id, sector, role, substitute_for, joined_on, left_on FROM workgroup_members ORDER BY lower(name), id")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list the workgroup's members"))?
        });
        rows.into_iter().map(member).collect()
    }

    /// Add (id 0) or change members, all or none, in order; returns them with their ids. A
    /// negative `substitute_for` names a row of this batch (-1 the first), so that a file can add
    /// a member and their substitute together.
    pub async fn save_workgroup_members(&self, members: &[Member]) -> Result<Vec<Member>, StoreError> {
        let op = "save workgroup members";
        let now = crate::clock::real_now();
        let mut saved: Vec<Member> = Vec::with_capacity(members.len());
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
            for m in members {
                let substitute_for = match m.substitute_for {
                    Some(r) if r < 0 => Some(
                        saved.get(usize::try_from(-r - 1).unwrap_or(usize::MAX)).map(|s| s.id).ok_or_else(|| StoreError::Invalid(format!("no row {} to substitute for", -r)))?,
                    ),
                    other => other,
                };
                let username = m.username.as_deref().map(str::trim).filter(|u| !u.is_empty());
                let id: Option<i64> = if m.id == 0 {
                    Some(
                        sqlx::query_scalar(
                            "INSERT INTO workgroup_members (name, username, affiliation, partner_id, sector, role, substitute_for, joined_on, left_on, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                        )
                        .bind(m.name.trim())
                        .bind(username)
                        .bind(m.affiliation.trim())
                        .bind(m.partner)
                        .bind(m.sector.as_str())
                        .bind(m.role.as_str())
                        .bind(substitute_for)
                        .bind(m.joined_on)
                        .bind(m.left_on)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(StoreError::db(BACKEND, op))?,
                    )
                } else {
                    sqlx::query_scalar(
                        "UPDATE workgroup_members SET name = $2, username = $3, affiliation = $4, partner_id = $5, sector = $6, role = $7, \
                         substitute_for = $8, joined_on = $9, left_on = $10, updated_at = $11 WHERE id = $1 RETURNING id",
                    )
                    .bind(m.id)
                    .bind(m.name.trim())
                    .bind(username)
                    .bind(m.affiliation.trim())
                    .bind(m.partner)
                    .bind(m.sector.as_str())
                    .bind(m.role.as_str())
                    .bind(substitute_for)
                    .bind(m.joined_on)
                    .bind(m.left_on)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?
                };
                let id = id.ok_or(StoreError::NotFound { what: "workgroup member", id: m.id })?;
                saved.push(Member {
                    id,
                    name: m.name.trim().to_string(),
                    username: username.map(String::from),
                    affiliation: m.affiliation.trim().to_string(),
                    substitute_for,
                    ..m.clone()
                });
            }
            tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
        });
        Ok(saved)
    }

    /// What members say of themselves (personal: the service decides who reads it).
    pub async fn self_descriptions(&self) -> Result<HashMap<MemberId, SelfDescription>, StoreError> {
        let rows: Vec<(i64, Option<String>, String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT member_id, lived_experience, demographics, in_own_words FROM member_self_descriptions")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read the members' self-descriptions"))?
        });
        rows.into_iter()
            .map(|r| {
                let d = SelfDescription {
                    lived_experience: r.1.map(|l| l.parse().map_err(|e| corrupt("member_self_descriptions.lived_experience", e))).transpose()?,
                    demographics: serde_json::from_str(&r.2).map_err(|e| corrupt("member_self_descriptions.demographics", e))?,
                    in_own_words: r.3,
                };
                Ok((r.0, d))
            })
            .collect()
    }

    /// Save what a member says of themself (an empty description removes it).
    pub async fn save_self_description(&self, member: MemberId, d: &SelfDescription) -> Result<(), StoreError> {
        let op = "save a member's self-description";
        let now = crate::clock::real_now();
        let demographics = serde_json::to_string(&d.demographics).map_err(|e| StoreError::Invalid(e.to_string()))?;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
            sqlx::query("DELETE FROM member_self_descriptions WHERE member_id = $1").bind(member).execute(&mut *tx).await.map_err(StoreError::db(BACKEND, op))?;
            if !d.is_empty() {
                sqlx::query(
                    "INSERT INTO member_self_descriptions (member_id, lived_experience, demographics, in_own_words, updated_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(member)
                .bind(d.lived_experience.map(|l| l.as_str()))
                .bind(&demographics)
                .bind(d.in_own_words.trim())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(BACKEND, op))?;
            }
            tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
        });
        Ok(())
    }

    /// The community's demographics, in the order entered.
    pub async fn community_demographics(&self) -> Result<Vec<CommunityShare>, StoreError> {
        let rows: Vec<(String, String, f64, String, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT category, grp, share, source, year FROM community_demographics ORDER BY position")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read the community's demographics"))?
        });
        Ok(rows
            .into_iter()
            .map(|r| CommunityShare { category: r.0, group: r.1, share: r.2, source: r.3, year: i32::try_from(r.4).unwrap_or_default() })
            .collect())
    }

    /// Replace the community's demographics.
    pub async fn save_community_demographics(&self, rows: &[CommunityShare]) -> Result<(), StoreError> {
        let op = "save the community's demographics";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
            sqlx::query("DELETE FROM community_demographics").execute(&mut *tx).await.map_err(StoreError::db(BACKEND, op))?;
            for (i, r) in rows.iter().enumerate() {
                sqlx::query("INSERT INTO community_demographics (position, category, grp, share, source, year) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(i as i64)
                    .bind(r.category.trim())
                    .bind(r.group.trim())
                    .bind(r.share)
                    .bind(r.source.trim())
                    .bind(i64::from(r.year))
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
            }
            tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
        });
        Ok(())
    }

    /// Every meeting, newest first, with its agenda, attendance and decisions.
    pub async fn meetings(&self) -> Result<Vec<Meeting>, StoreError> {
        self.read_meetings(None).await
    }

    /// One meeting.
    pub async fn meeting(&self, id: MeetingId) -> Result<Option<Meeting>, StoreError> {
        Ok(self.read_meetings(Some(id)).await?.pop())
    }

    async fn read_meetings(&self, only: Option<MeetingId>) -> Result<Vec<Meeting>, StoreError> {
        let op = "read meetings";
        let (meetings, agenda, attendance, decisions): (Vec<MeetingRow>, Vec<(i64, i64, String, Option<i64>, Option<i64>)>, Vec<(i64, i64, String)>, Vec<(i64, i64, String)>) =
            on_pool!(self, pool => {
                let m = sqlx::query_as("SELECT id, held_on, kind, title, location, minutes FROM meetings WHERE $1 IS NULL OR id = $1 ORDER BY held_on DESC, id DESC")
                    .bind(only)
                    .fetch_all(pool)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
                let a = sqlx::query_as("SELECT meeting_id, position, title, presenter, minutes FROM agenda_items WHERE $1 IS NULL OR meeting_id = $1 ORDER BY meeting_id, position")
                    .bind(only)
                    .fetch_all(pool)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
                let t = sqlx::query_as("SELECT meeting_id, member_id, attendance FROM meeting_attendance WHERE $1 IS NULL OR meeting_id = $1 ORDER BY meeting_id, member_id")
                    .bind(only)
                    .fetch_all(pool)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
                let d = sqlx::query_as("SELECT meeting_id, number, text FROM meeting_decisions WHERE $1 IS NULL OR meeting_id = $1 ORDER BY meeting_id, number")
                    .bind(only)
                    .fetch_all(pool)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
                (m, a, t, d)
            });
        let mut out: Vec<Meeting> = Vec::with_capacity(meetings.len());
        let mut at: HashMap<i64, usize> = HashMap::new();
        for r in meetings {
            at.insert(r.0, out.len());
            out.push(Meeting {
                id: r.0,
                held_on: r.1,
                kind: r.2.parse().map_err(|e| corrupt("meetings.kind", e))?,
                title: r.3,
                location: r.4,
                minutes: r.5,
                agenda: Vec::new(),
                attendance: Vec::new(),
                decisions: Vec::new(),
            });
        }
        for (m, _, title, presenter, minutes) in agenda {
            if let Some(&i) = at.get(&m) {
                out[i].agenda.push(AgendaItem { title, presenter, minutes: minutes.and_then(|x| u32::try_from(x).ok()) });
            }
        }
        for (m, member, a) in attendance {
            if let Some(&i) = at.get(&m) {
                out[i].attendance.push(AttendanceRecord { member, attendance: a.parse().map_err(|e| corrupt("meeting_attendance.attendance", e))? });
            }
        }
        for (m, number, text) in decisions {
            if let Some(&i) = at.get(&m) {
                out[i].decisions.push(Decision { number: u32::try_from(number).map_err(|e| corrupt("meeting_decisions.number", e))?, text });
            }
        }
        Ok(out)
    }

    /// Add (id 0) or change meetings, all or none; each one's agenda, attendance and decisions are
    /// replaced by those given. Returns them with their ids.
    pub async fn save_meetings(&self, meetings: &[Meeting]) -> Result<Vec<Meeting>, StoreError> {
        let op = "save meetings";
        let now = crate::clock::real_now();
        let mut saved = Vec::with_capacity(meetings.len());
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
            for m in meetings {
                let id: Option<i64> = if m.id == 0 {
                    Some(
                        sqlx::query_scalar("INSERT INTO meetings (held_on, kind, title, location, minutes, updated_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                            .bind(m.held_on)
                            .bind(m.kind.as_str())
                            .bind(m.title.trim())
                            .bind(m.location.trim())
                            .bind(&m.minutes)
                            .bind(now)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(StoreError::db(BACKEND, op))?,
                    )
                } else {
                    sqlx::query_scalar("UPDATE meetings SET held_on = $2, kind = $3, title = $4, location = $5, minutes = $6, updated_at = $7 WHERE id = $1 RETURNING id")
                        .bind(m.id)
                        .bind(m.held_on)
                        .bind(m.kind.as_str())
                        .bind(m.title.trim())
                        .bind(m.location.trim())
                        .bind(&m.minutes)
                        .bind(now)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(StoreError::db(BACKEND, op))?
                };
                let id = id.ok_or(StoreError::NotFound { what: "meeting", id: m.id })?;
                for delete in [
                    "DELETE FROM agenda_items WHERE meeting_id = $1",
                    "DELETE FROM meeting_attendance WHERE meeting_id = $1",
                    "DELETE FROM meeting_decisions WHERE meeting_id = $1",
                ] {
                    sqlx::query(delete).bind(id).execute(&mut *tx).await.map_err(StoreError::db(BACKEND, op))?;
                }
                for (i, a) in m.agenda.iter().enumerate() {
                    sqlx::query("INSERT INTO agenda_items (meeting_id, position, title, presenter, minutes) VALUES ($1, $2, $3, $4, $5)")
                        .bind(id)
                        .bind(i as i64 + 1)
                        .bind(a.title.trim())
                        .bind(a.presenter)
                        .bind(a.minutes.map(i64::from))
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db(BACKEND, op))?;
                }
                for a in &m.attendance {
                    sqlx::query("INSERT INTO meeting_attendance (meeting_id, member_id, attendance) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(a.member)
                        .bind(a.attendance.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db(BACKEND, op))?;
                }
                for d in &m.decisions {
                    sqlx::query("INSERT INTO meeting_decisions (meeting_id, number, text) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(i64::from(d.number))
                        .bind(d.text.trim())
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db(BACKEND, op))?;
                }
                saved.push(Meeting { id, ..m.clone() });
            }
            tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
        });
        Ok(saved)
    }

    /// Every action item, soonest due first.
    pub async fn action_items(&self) -> Result<Vec<ActionItem>, StoreError> {
        let rows: Vec<ActionRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, meeting_id, decision, owner_id, text, due_on, status, follow_up, closed_on FROM action_items ORDER BY due_on, id")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list action items"))?
        });
        rows.into_iter().map(action).collect()
    }

    /// Add (id 0) or change action items, all or none; returns them with their ids.
    pub async fn save_action_items(&self, items: &[ActionItem]) -> Result<Vec<ActionItem>, StoreError> {
        let op = "save action items";
        let now = crate::clock::real_now();
        let mut saved = Vec::with_capacity(items.len());
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
            for a in items {
                // The insert numbers its parameters from $1 too (PostgreSQL types every parameter
                // it is given, so none may go unused).
                let (q, first): (&str, Option<i64>) = if a.id == 0 {
                    (
                        "INSERT INTO action_items (meeting_id, decision, owner_id, text, due_on, status, follow_up, closed_on, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                        None,
                    )
                } else {
                    (
                        "UPDATE action_items SET meeting_id = $1, decision = $2, owner_id = $3, text = $4, due_on = $5, status = $6, follow_up = $7, \
                         closed_on = $8, updated_at = $9 WHERE id = $10 RETURNING id",
                        Some(a.id),
                    )
                };
                let mut query = sqlx::query_scalar(q)
                    .bind(a.meeting)
                    .bind(a.decision.map(i64::from))
                    .bind(a.owner)
                    .bind(a.text.trim())
                    .bind(a.due_on)
                    .bind(a.status.as_str())
                    .bind(a.follow_up.trim())
                    .bind(a.closed_on)
                    .bind(now);
                if let Some(id) = first {
                    query = query.bind(id);
                }
                let id: Option<i64> = query.fetch_optional(&mut *tx).await.map_err(StoreError::db(BACKEND, op))?;
                let id = id.ok_or(StoreError::NotFound { what: "action item", id: a.id })?;
                saved.push(ActionItem { id, text: a.text.trim().to_string(), follow_up: a.follow_up.trim().to_string(), ..a.clone() });
            }
            tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
        });
        Ok(saved)
    }
}
