//! The service inventory and closed-loop referrals.

use chrono::{DateTime, NaiveDateTime, Utc};
use pmhc_core::capacity::{CapacityUpdate, ReferralSubject};
use pmhc_core::services::{Intercept, ReferralFact, ReferralState, Service, ServiceKind, TurnAwayReason, check_move};
use pmhc_core::sharing::PartnerId;

use crate::{Store, StoreError, on_pool};

type ServiceRow = (i64, i64, String, String, String, String, String, Option<i64>, bool, bool, String, String, String);

const SERVICE_COLUMNS: &str =
    "id, provider_id, name, kind, intercept, eligibility, hours, capacity, police_dropoff, transit_access, phone, address, area";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what: what.into(), detail: e.to_string() }
}

fn capacity_row(service_id: i64, at: DateTime<Utc>, available: i64, total: Option<i64>) -> Result<CapacityUpdate, StoreError> {
    let n = |v: i64| u32::try_from(v).map_err(|e| corrupt("capacity_updates", e));
    Ok(CapacityUpdate { service_id, reported_at: at.naive_utc(), available: n(available)?, total: total.map(n).transpose()? })
}

fn service(r: ServiceRow) -> Result<Service, StoreError> {
    Ok(Service {
        id: r.0,
        provider: r.1,
        name: r.2,
        kind: r.3.parse::<ServiceKind>().map_err(|e| corrupt("services.kind", e))?,
        intercept: r.4.parse::<Intercept>().map_err(|e| corrupt("services.intercept", e))?,
        eligibility: r.5,
        hours: r.6,
        capacity: r.7.and_then(|c| u32::try_from(c).ok()),
        police_dropoff: r.8,
        transit_access: r.9,
        phone: r.10,
        address: r.11,
        area: r.12,
    })
}

/// A referral as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralRecord {
    pub id: i64,
    pub source_system: String,
    pub source_key: String,
    pub service_id: i64,
    pub state: ReferralState,
    pub reason: Option<TurnAwayReason>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
}

/// One change of a referral's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralEvent {
    pub at: DateTime<Utc>,
    pub from: Option<ReferralState>,
    pub to: ReferralState,
    pub reason: Option<TurnAwayReason>,
    pub actor: String,
    pub partner: PartnerId,
}

type ReferralRow = (i64, String, String, i64, String, Option<String>, DateTime<Utc>, DateTime<Utc>, String);

fn referral(r: ReferralRow) -> Result<ReferralRecord, StoreError> {
    Ok(ReferralRecord {
        id: r.0,
        source_system: r.1,
        source_key: r.2,
        service_id: r.3,
        state: r.4.parse().map_err(|e| corrupt("referrals.state", e))?,
        reason: r.5.map(|s| s.parse().map_err(|e| corrupt("referrals.reason", e))).transpose()?,
        created_at: r.6,
        updated_at: r.7,
        created_by: r.8,
    })
}

const REFERRAL_COLUMNS: &str = "id, source_system, source_key, service_id, state, reason, created_at, updated_at, created_by";

impl Store {
    /// Every service, by provider and name.
    pub async fn list_services(&self) -> Result<Vec<Service>, StoreError> {
        let sql = format!("SELECT {SERVICE_COLUMNS} FROM services ORDER BY provider_id, name");
        let rows: Vec<ServiceRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.map_err(StoreError::db(BACKEND, "list services"))?
        });
        rows.into_iter().map(service).collect()
    }

    /// Add a service, or change the one of the same provider and name; returns it with its id.
    pub async fn save_service(&self, s: &Service) -> Result<Service, StoreError> {
        s.validate().map_err(|e| StoreError::Invalid(format!("service `{}`: {e}", s.name)))?;
        self.find_partner(&s.provider.to_string()).await?;
        let now = crate::clock::real_now();
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO services (provider_id, name, kind, intercept, eligibility, hours, capacity, police_dropoff, \
                 transit_access, phone, address, area, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
                 ON CONFLICT (provider_id, name) DO UPDATE SET kind = excluded.kind, intercept = excluded.intercept, \
                 eligibility = excluded.eligibility, hours = excluded.hours, capacity = excluded.capacity, \
                 police_dropoff = excluded.police_dropoff, transit_access = excluded.transit_access, \
                 phone = excluded.phone, address = excluded.address, area = excluded.area, updated_at = excluded.updated_at \
                 RETURNING id",
            )
            .bind(s.provider)
            .bind(s.name.trim())
            .bind(s.kind.as_str())
            .bind(s.intercept.as_str())
            .bind(s.eligibility.trim())
            .bind(s.hours.trim())
            .bind(s.capacity.map(i64::from))
            .bind(s.police_dropoff)
            .bind(s.transit_access)
            .bind(s.phone.trim())
            .bind(s.address.trim())
            .bind(s.area.trim())
            .bind(now)
            .fetch_one(pool)
            .await
            .map_err(StoreError::db(BACKEND, "save a service"))?
        });
        Ok(Service { id, name: s.name.trim().to_string(), ..s.clone() })
    }

    /// Record a referral of an encounter to a service, in its first state (proposed or sent).
    pub async fn create_referral(
        &self,
        source_system: &str,
        source_key: &str,
        service_id: i64,
        state: ReferralState,
        actor: &str,
        partner: PartnerId,
    ) -> Result<ReferralRecord, StoreError> {
        if !matches!(state, ReferralState::Proposed | ReferralState::Sent) {
            return Err(StoreError::Invalid(format!("a referral starts as proposed or sent, not {}", state.label())));
        }
        // A referral made now is a history of one state (the same write as a past referral's).
        let history = crate::ReferralHistory {
            source_system: source_system.to_string(),
            source_key: source_key.to_string(),
            service_id,
            moves: vec![crate::PastMove { at: self.clock.now(), to: state, reason: None, actor: actor.to_string(), partner }],
        };
        let id = self.insert_referral_histories(std::slice::from_ref(&history)).await?.pop().ok_or(StoreError::NotFound { what: "referral", id: 0 })?;
        self.referral(id).await?.ok_or(StoreError::NotFound { what: "referral", id })
    }

    /// One referral.
    pub async fn referral(&self, id: i64) -> Result<Option<ReferralRecord>, StoreError> {
        let sql = format!("SELECT {REFERRAL_COLUMNS} FROM referrals WHERE id = $1");
        let row: Option<ReferralRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await.map_err(StoreError::db(BACKEND, "read a referral"))?
        });
        row.map(referral).transpose()
    }

    /// The referrals a partner is party to: made from its encounters, or sent to its services;
    /// newest first, at most `limit`.
    pub async fn referrals_for_partner(&self, partner: PartnerId, limit: u32) -> Result<Vec<ReferralRecord>, StoreError> {
        let cols: Vec<String> = REFERRAL_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect();
        let sql = format!(
            "SELECT {} FROM referrals r JOIN services s ON s.id = r.service_id \
             LEFT JOIN source_systems ss ON ss.name = r.source_system \
             WHERE s.provider_id = $1 OR ss.partner_id = $1 ORDER BY r.id DESC LIMIT $2",
            cols.join(", ")
        );
        let rows: Vec<ReferralRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(partner)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list a partner's referrals"))?
        });
        rows.into_iter().map(referral).collect()
    }

    /// What the gap report and the outcome engine read of every referral: its encounter, service,
    /// state, reason, when it was made, and when a provider first confirmed the connection.
    pub async fn referral_facts(&self) -> Result<Vec<(String, String, pmhc_core::services::ReferralFact)>, StoreError> {
        type Row = (String, String, i64, String, Option<String>, DateTime<Utc>, Option<DateTime<Utc>>);
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.source_system, r.source_key, r.service_id, r.state, r.reason, r.created_at, \
                 MIN(CASE WHEN e.to_state IN ('connected', 'completed') THEN e.at END) \
                 FROM referrals r LEFT JOIN referral_events e ON e.referral_id = r.id \
                 GROUP BY r.id, r.source_system, r.source_key, r.service_id, r.state, r.reason, r.created_at ORDER BY r.id",
            )
            .fetch_all(pool)
            .await
            .map_err(StoreError::db(BACKEND, "read the referrals"))?
        });
        rows.into_iter()
            .map(|(system, key, service_id, state, reason, made, connected)| {
                let fact = pmhc_core::services::ReferralFact {
                    service_id,
                    state: state.parse().map_err(|e| corrupt("referrals.state", e))?,
                    reason: reason.map(|r| r.parse().map_err(|e| corrupt("referrals.reason", e))).transpose()?,
                    made_at: made.naive_utc(),
                    connected_at: connected.map(|c| c.naive_utc()),
                };
                Ok((system, key, fact))
            })
            .collect()
    }

    /// Every referral, oldest first (the operator's export).
    pub async fn list_referrals(&self) -> Result<Vec<ReferralRecord>, StoreError> {
        let sql = format!("SELECT {REFERRAL_COLUMNS} FROM referrals ORDER BY id");
        let rows: Vec<ReferralRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.map_err(StoreError::db(BACKEND, "list referrals"))?
        });
        rows.into_iter().map(referral).collect()
    }

    /// One service.
    pub async fn service(&self, id: i64) -> Result<Option<Service>, StoreError> {
        let sql = format!("SELECT {SERVICE_COLUMNS} FROM services WHERE id = $1");
        let row: Option<ServiceRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await.map_err(StoreError::db(BACKEND, "read a service"))?
        });
        row.map(service).transpose()
    }

    /// The referrals of one encounter, oldest first.
    pub async fn referrals_of(&self, source_system: &str, source_key: &str) -> Result<Vec<ReferralRecord>, StoreError> {
        let sql = format!("SELECT {REFERRAL_COLUMNS} FROM referrals WHERE source_system = $1 AND source_key = $2 ORDER BY id");
        let rows: Vec<ReferralRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(source_system)
                .bind(source_key)
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list referrals"))?
        });
        rows.into_iter().map(referral).collect()
    }

    /// Move a referral to another state if the table allows it from the state it is in now
    /// (checked and written in one transaction: two people moving it at once cannot both win).
    pub async fn move_referral(
        &self,
        id: i64,
        to: ReferralState,
        reason: Option<TurnAwayReason>,
        actor: &str,
        partner: PartnerId,
    ) -> Result<ReferralRecord, StoreError> {
        let op = "move a referral";
        let now = self.clock.now();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
            let from: Option<String> = sqlx::query_scalar("SELECT state FROM referrals WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::db(BACKEND, op))?;
            let from: ReferralState = from
                .ok_or(StoreError::NotFound { what: "referral", id })?
                .parse()
                .map_err(|e| corrupt("referrals.state", e))?;
            check_move(from, to, reason).map_err(|e| StoreError::Invalid(e.to_string()))?;
            // The state is compared again in the update: a concurrent move makes this one fail.
            let n = sqlx::query("UPDATE referrals SET state = $2, reason = $3, updated_at = $4 WHERE id = $1 AND state = $5")
                .bind(id)
                .bind(to.as_str())
                .bind(reason.map(TurnAwayReason::as_str))
                .bind(now)
                .bind(from.as_str())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(BACKEND, op))?
                .rows_affected();
            if n != 1 {
                return Err(StoreError::Invalid(format!("referral #{id} changed meanwhile; reload it")));
            }
            sqlx::query(
                "INSERT INTO referral_events (referral_id, at, from_state, to_state, reason, actor, partner_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(now)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(reason.map(TurnAwayReason::as_str))
            .bind(actor)
            .bind(partner)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::db(BACKEND, op))?;
            tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
        });
        self.referral(id).await?.ok_or(StoreError::NotFound { what: "referral", id })
    }

    /// A referral's history, oldest first.
    pub async fn referral_events(&self, id: i64) -> Result<Vec<ReferralEvent>, StoreError> {
        type Row = (DateTime<Utc>, Option<String>, String, Option<String>, String, i64);
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT at, from_state, to_state, reason, actor, partner_id FROM referral_events WHERE referral_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await
            .map_err(StoreError::db(BACKEND, "read a referral's history"))?
        });
        rows.into_iter()
            .map(|(at, from, to, reason, actor, partner)| {
                let state = |s: String| s.parse::<ReferralState>().map_err(|e| corrupt("referral_events", e));
                Ok(ReferralEvent {
                    at,
                    from: from.map(state).transpose()?,
                    to: state(to)?,
                    reason: reason.map(|r| r.parse().map_err(|e| corrupt("referral_events.reason", e))).transpose()?,
                    actor,
                    partner,
                })
            })
            .collect()
    }
}

impl Store {
    /// Record a provider's report of a service's capacity; returns its id. An unknown service is
    /// refused ([`StoreError::NotFound`]).
    pub async fn add_capacity_update(
        &self,
        service_id: i64,
        reported_at: NaiveDateTime,
        available: u32,
        total: Option<u32>,
        reported_by: &str,
    ) -> Result<i64, StoreError> {
        if self.service(service_id).await?.is_none() {
            return Err(StoreError::NotFound { what: "service", id: service_id });
        }
        CapacityUpdate::check_time(reported_at, self.clock.now().naive_utc()).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let at = reported_at.and_utc();
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO capacity_updates (service_id, reported_at, available, total, reported_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(service_id)
            .bind(at)
            .bind(i64::from(available))
            .bind(total.map(i64::from))
            .bind(reported_by)
            .fetch_one(pool)
            .await
            .map_err(StoreError::db(BACKEND, "record a capacity update"))?
        });
        Ok(id)
    }

    /// One capacity report, with who made it.
    pub async fn capacity_update(&self, id: i64) -> Result<Option<(CapacityUpdate, String)>, StoreError> {
        type Row = (i64, DateTime<Utc>, i64, Option<i64>, String);
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as("SELECT service_id, reported_at, available, total, reported_by FROM capacity_updates WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read a capacity update"))?
        });
        row.map(|(service_id, at, available, total, by)| Ok((capacity_row(service_id, at, available, total)?, by))).transpose()
    }

    /// Every capacity report, oldest first.
    pub async fn capacity_updates(&self) -> Result<Vec<CapacityUpdate>, StoreError> {
        type Row = (i64, DateTime<Utc>, i64, Option<i64>);
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as("SELECT service_id, reported_at, available, total FROM capacity_updates ORDER BY reported_at, id")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read the capacity updates"))?
        });
        rows.into_iter().map(|(service_id, at, available, total)| capacity_row(service_id, at, available, total)).collect()
    }

    /// Every referral's fact with what the disparity tables read of its encounter (the owner, the
    /// person's groups and the precinct), unscoped: apply [`ReferralSubject::scoped`] per viewer.
    pub async fn referral_subjects(&self) -> Result<Vec<(ReferralFact, ReferralSubject)>, StoreError> {
        type Row = (i64, String, Option<String>, DateTime<Utc>, Option<DateTime<Utc>>, Option<i64>, Option<String>, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.service_id, r.state, r.reason, r.created_at, \
                 MIN(CASE WHEN ev.to_state IN ('connected', 'completed') THEN ev.at END), \
                 ss.partner_id, e.race_ethnicity, e.gender, e.age_band, e.precinct \
                 FROM referrals r LEFT JOIN referral_events ev ON ev.referral_id = r.id \
                 LEFT JOIN encounters e ON e.source_system = r.source_system AND e.source_key = r.source_key \
                 LEFT JOIN source_systems ss ON ss.name = r.source_system \
                 GROUP BY r.id, r.service_id, r.state, r.reason, r.created_at, ss.partner_id, e.race_ethnicity, e.gender, e.age_band, e.precinct \
                 ORDER BY r.id",
            )
            .fetch_all(pool)
            .await
            .map_err(StoreError::db(BACKEND, "read the referrals and their encounters"))?
        });
        fn code<T: std::str::FromStr<Err: std::fmt::Display> + Default>(v: Option<String>, what: &str) -> Result<T, StoreError> {
            Ok(v.map(|v| v.parse().map_err(|e| corrupt(what, e))).transpose()?.unwrap_or_default())
        }
        rows.into_iter()
            .map(|(service_id, state, reason, made, connected, owner, race, gender, age, precinct)| {
                let fact = ReferralFact {
                    service_id,
                    state: state.parse().map_err(|e| corrupt("referrals.state", e))?,
                    reason: reason.map(|r| r.parse().map_err(|e| corrupt("referrals.reason", e))).transpose()?,
                    made_at: made.naive_utc(),
                    connected_at: connected.map(|c| c.naive_utc()),
                };
                // The owner counts only when the encounter is stored (its codes are never NULL).
                let subject = ReferralSubject {
                    owner: owner.filter(|_| race.is_some()),
                    race_ethnicity: code(race, "encounters.race_ethnicity")?,
                    gender: code(gender, "encounters.gender")?,
                    age_band: code(age, "encounters.age_band")?,
                    precinct: precinct.filter(|p| !p.trim().is_empty()),
                };
                Ok((fact, subject))
            })
            .collect()
    }
}
