//! Training records: courses, sessions, the staff roster, completions; and the calls that asked
//! for a CIT officer, which the coverage matches to the roster.

use chrono::NaiveDate;
use pmhc_core::sharing::PartnerId;
use pmhc_core::training::{
    CitCall, Completion, Course, InstructorType, StaffMember, TrainingRecords, TrainingSession, instructors_to_string,
    parse_instructors,
};

use crate::{Store, StoreError, on_pool};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what: what.into(), detail: e.to_string() }
}

type CourseRow = (i64, String, String, f64, Option<i64>);
type SessionRow = (i64, i64, NaiveDate, String, String);
type StaffRow = (i64, i64, String, String, String, Option<String>, Option<String>, String, bool);
type CompletionRow = (i64, i64, NaiveDate, Option<f64>, Option<f64>, Option<i64>);

fn course(r: CourseRow) -> Result<Course, StoreError> {
    Ok(Course {
        id: r.0,
        name: r.1,
        kind: r.2.parse().map_err(|e| corrupt("training_courses.kind", e))?,
        hours: r.3,
        refresher_months: r.4.and_then(|m| u32::try_from(m).ok()),
    })
}

fn session(r: SessionRow) -> Result<TrainingSession, StoreError> {
    Ok(TrainingSession {
        id: r.0,
        course_id: r.1,
        held_on: r.2,
        location: r.3,
        instructors: parse_instructors(&r.4).map_err(|e| corrupt("training_sessions.instructors", e))?,
    })
}

fn staff(r: StaffRow) -> Result<StaffMember, StoreError> {
    Ok(StaffMember {
        id: r.0,
        partner: r.1,
        staff_key: r.2,
        name: r.3,
        agency: r.4,
        precinct: r.5,
        shift: r.6,
        role: r.7.parse().map_err(|e| corrupt("staff.role", e))?,
        active: r.8,
    })
}

/// A session named by its course, day and place (and who taught it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub course_id: i64,
    pub held_on: NaiveDate,
    pub location: String,
    pub instructors: Vec<InstructorType>,
}

/// How a roster or completions file changed the records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaveCounts {
    pub added: u64,
    pub updated: u64,
}

impl Store {
    /// Add a course, or change the one of the same name (in any case); returns it with its id.
    pub async fn save_course(&self, c: &Course) -> Result<Course, StoreError> {
        self.save_courses(std::slice::from_ref(c)).await?.pop().ok_or_else(|| StoreError::Invalid("no course".into()))
    }

    /// Add or change courses (by name, in any case), all or none.
    pub async fn save_courses(&self, courses: &[Course]) -> Result<Vec<Course>, StoreError> {
        for c in courses {
            c.validate().map_err(|e| StoreError::Invalid(format!("course `{}`: {e}", c.name)))?;
        }
        let op = "save courses";
        let mut saved = Vec::with_capacity(courses.len());
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
            for c in courses {
                let name = c.name.trim();
                let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM training_courses WHERE lower(name) = lower($1)")
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
                let id: i64 = match existing {
                    Some(id) => {
                        sqlx::query("UPDATE training_courses SET name = $2, kind = $3, hours = $4, refresher_months = $5 WHERE id = $1")
                            .bind(id)
                            .bind(name)
                            .bind(c.kind.as_str())
                            .bind(c.hours)
                            .bind(c.refresher_months.map(i64::from))
                            .execute(&mut *tx)
                            .await
                            .map_err(StoreError::db(BACKEND, op))?;
                        id
                    }
                    None => sqlx::query_scalar(
                        "INSERT INTO training_courses (name, kind, hours, refresher_months) VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(name)
                    .bind(c.kind.as_str())
                    .bind(c.hours)
                    .bind(c.refresher_months.map(i64::from))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?,
                };
                saved.push(Course { id, name: name.to_string(), ..c.clone() });
            }
            tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
        });
        Ok(saved)
    }

    pub async fn list_courses(&self) -> Result<Vec<Course>, StoreError> {
        let rows: Vec<CourseRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, kind, hours, refresher_months FROM training_courses ORDER BY name")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list courses"))?
        });
        rows.into_iter().map(course).collect()
    }

    pub async fn list_training_sessions(&self) -> Result<Vec<TrainingSession>, StoreError> {
        let rows: Vec<SessionRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, course_id, held_on, location, instructors FROM training_sessions ORDER BY held_on, id")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list training sessions"))?
        });
        rows.into_iter().map(session).collect()
    }

    /// Add or change staff members (by partner and staff number), all or none.
    pub async fn save_staff(&self, members: &[StaffMember]) -> Result<SaveCounts, StoreError> {
        for m in members {
            m.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
        }
        let op = "save the staff roster";
        let now = crate::clock::real_now();
        let mut counts = SaveCounts::default();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
            for m in members {
                let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE partner_id = $1 AND staff_key = $2")
                    .bind(m.partner)
                    .bind(m.staff_key.trim())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
                let q = if existing.is_some() {
                    counts.updated += 1;
                    "UPDATE staff SET name = $3, agency = $4, precinct = $5, shift = $6, role = $7, active = $8, updated_at = $9 \
                     WHERE partner_id = $1 AND staff_key = $2"
                } else {
                    counts.added += 1;
                    "INSERT INTO staff (partner_id, staff_key, name, agency, precinct, shift, role, active, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                };
                sqlx::query(q)
                    .bind(m.partner)
                    .bind(m.staff_key.trim())
                    .bind(m.name.trim())
                    .bind(m.agency.trim())
                    .bind(m.precinct.as_deref().map(str::trim))
                    .bind(m.shift.as_deref().map(str::trim))
                    .bind(m.role.as_str())
                    .bind(m.active)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
            }
            tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
        });
        Ok(counts)
    }

    /// The staff roster (one partner's, or everyone's), by partner and staff number.
    pub async fn list_staff(&self, partner: Option<PartnerId>) -> Result<Vec<StaffMember>, StoreError> {
        let rows: Vec<StaffRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, partner_id, staff_key, name, agency, precinct, shift, role, active FROM staff \
                 WHERE $1 IS NULL OR partner_id = $1 ORDER BY partner_id, staff_key",
            )
            .bind(partner)
            .fetch_all(pool)
            .await
            .map_err(StoreError::db(BACKEND, "list staff"))?
        });
        rows.into_iter().map(staff).collect()
    }

    /// Record completions (a staff member completes a session once: a second record of the same
    /// session replaces the first), all or none.
    pub async fn save_completions(&self, completions: &[Completion]) -> Result<SaveCounts, StoreError> {
        let rows: Vec<(Option<NewSession>, Completion)> = completions.iter().map(|c| (None, c.clone())).collect();
        self.record_completions(&rows).await
    }

    /// Record completions, each of a session given by id or by course, day and place (added when
    /// new; its instructors added to those recorded), all or none in one transaction.
    pub async fn record_completions(&self, rows: &[(Option<NewSession>, Completion)]) -> Result<SaveCounts, StoreError> {
        let op = "record training completions";
        let mut counts = SaveCounts::default();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
            let mut sessions: std::collections::HashMap<(i64, NaiveDate, String), i64> = std::collections::HashMap::new();
            for (new, c) in rows {
                let session_id = match new {
                    None => c.session_id,
                    Some(n) => {
                        let key = (n.course_id, n.held_on, n.location.trim().to_string());
                        match sessions.get(&key) {
                            Some(id) if n.instructors.is_empty() => *id,
                            _ => {
                                let found: Option<(i64, String)> = sqlx::query_as(
                                    "SELECT id, instructors FROM training_sessions WHERE course_id = $1 AND held_on = $2 AND location = $3",
                                )
                                .bind(key.0)
                                .bind(key.1)
                                .bind(&key.2)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(StoreError::db(BACKEND, op))?;
                                let mut all = match &found {
                                    Some(r) => parse_instructors(&r.1).map_err(|e| corrupt("training_sessions.instructors", e))?,
                                    None => Vec::new(),
                                };
                                all.extend_from_slice(&n.instructors);
                                all.sort();
                                all.dedup();
                                let list = instructors_to_string(&all);
                                let id: i64 = match found {
                                    Some((id, _)) => {
                                        sqlx::query("UPDATE training_sessions SET instructors = $1 WHERE id = $2")
                                            .bind(&list)
                                            .bind(id)
                                            .execute(&mut *tx)
                                            .await
                                            .map_err(StoreError::db(BACKEND, op))?;
                                        id
                                    }
                                    None => sqlx::query_scalar(
                                        "INSERT INTO training_sessions (course_id, held_on, location, instructors) VALUES ($1, $2, $3, $4) RETURNING id",
                                    )
                                    .bind(key.0)
                                    .bind(key.1)
                                    .bind(&key.2)
                                    .bind(&list)
                                    .fetch_one(&mut *tx)
                                    .await
                                    .map_err(StoreError::db(BACKEND, op))?,
                                };
                                sessions.insert(key, id);
                                id
                            }
                        }
                    }
                };
                let existing: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM training_completions WHERE staff_id = $1 AND session_id = $2")
                        .bind(c.staff_id)
                        .bind(session_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(StoreError::db(BACKEND, op))?;
                let q = if existing.is_some() {
                    counts.updated += 1;
                    "UPDATE training_completions SET completed_on = $3, pre_score = $4, post_score = $5, evaluation = $6 \
                     WHERE staff_id = $1 AND session_id = $2"
                } else {
                    counts.added += 1;
                    "INSERT INTO training_completions (staff_id, session_id, completed_on, pre_score, post_score, evaluation) \
                     VALUES ($1, $2, $3, $4, $5, $6)"
                };
                sqlx::query(q)
                    .bind(c.staff_id)
                    .bind(session_id)
                    .bind(c.completed_on)
                    .bind(c.pre_score)
                    .bind(c.post_score)
                    .bind(c.evaluation.map(i64::from))
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
            }
            tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
        });
        Ok(counts)
    }

    pub async fn list_completions(&self) -> Result<Vec<Completion>, StoreError> {
        let rows: Vec<CompletionRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT staff_id, session_id, completed_on, pre_score, post_score, evaluation FROM training_completions ORDER BY id",
            )
            .fetch_all(pool)
            .await
            .map_err(StoreError::db(BACKEND, "list training completions"))?
        });
        Ok(rows
            .into_iter()
            .map(|r| Completion {
                staff_id: r.0,
                session_id: r.1,
                completed_on: r.2,
                pre_score: r.3,
                post_score: r.4,
                evaluation: r.5.and_then(|e| u8::try_from(e).ok()),
            })
            .collect())
    }

    /// Everything the training coverage is computed from.
    pub async fn training_records(&self) -> Result<TrainingRecords, StoreError> {
        Ok(TrainingRecords {
            courses: self.list_courses().await?,
            sessions: self.list_training_sessions().await?,
            staff: self.list_staff(None).await?,
            completions: self.list_completions().await?,
        })
    }

    /// The encounters that asked for a CIT officer, of the given partners' source systems: the
    /// day, the precinct and the officers' badge numbers.
    pub async fn cit_requested_calls(&self, partners: &[PartnerId]) -> Result<Vec<CitCall>, StoreError> {
        let owners = self.source_system_owners().await?;
        let mut out = Vec::new();
        for (system, partner) in owners.into_iter().filter(|(_, p)| partners.contains(p)) {
            let rows: Vec<(NaiveDate, Option<String>, String)> = on_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT occurred_on, precinct, officers FROM encounters WHERE source_system = $1 AND cit_requested = TRUE",
                )
                .bind(&system)
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read the calls that requested CIT"))?
            });
            for (occurred_on, precinct, officers) in rows {
                let officers: Vec<pmhc_core::Officer> =
                    serde_json::from_str(&officers).map_err(|e| corrupt("encounters.officers", e))?;
                out.push(CitCall {
                    partner,
                    occurred_on,
                    precinct,
                    officers: officers.into_iter().filter_map(|o| o.id).collect(),
                });
            }
        }
        Ok(out)
    }
}
