//! Referrals recorded with their past: each state change at the time it happened (a partner's
//! system's history, or the synthetic jurisdiction's), checked against the table of legal moves.

use chrono::{DateTime, Utc};
use pmhc_core::services::{ReferralState, TurnAwayReason, check_move};
use pmhc_core::sharing::PartnerId;

use crate::{Store, StoreError, on_pool};

/// One change of state at a past time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastMove {
    pub at: DateTime<Utc>,
    pub to: ReferralState,
    pub reason: Option<TurnAwayReason>,
    pub actor: String,
    pub partner: PartnerId,
}

/// A referral of an encounter to a service and its states, oldest first (the first is the state
/// it was made in: proposed or sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralHistory {
    pub source_system: String,
    pub source_key: String,
    pub service_id: i64,
    pub moves: Vec<PastMove>,
}

impl ReferralHistory {
    /// Every move legal, in time order.
    pub fn check(&self) -> Result<(), String> {
        let first = self.moves.first().ok_or("a referral needs its first state")?;
        if !matches!(first.to, ReferralState::Proposed | ReferralState::Sent) || first.reason.is_some() {
            return Err(format!("a referral starts as proposed or sent, not {}", first.to.label()));
        }
        for w in self.moves.windows(2) {
            check_move(w[0].to, w[1].to, w[1].reason).map_err(|e| e.to_string())?;
            if w[1].at < w[0].at {
                return Err(format!("{} at {} is before the state it follows", w[1].to.label(), w[1].at));
            }
        }
        Ok(())
    }
}

impl Store {
    /// Record referrals with their histories, all or none (each history is checked first).
    pub async fn record_referral_histories(&self, histories: &[ReferralHistory]) -> Result<u64, StoreError> {
        Ok(self.insert_referral_histories(histories).await?.len() as u64)
    }

    /// Check and insert, all or none; the new referrals' ids.
    pub(crate) async fn insert_referral_histories(&self, histories: &[ReferralHistory]) -> Result<Vec<i64>, StoreError> {
        for (i, h) in histories.iter().enumerate() {
            h.check().map_err(|e| StoreError::Invalid(format!("referral {} of {}/{}: {e}", i + 1, h.source_system, h.source_key)))?;
        }
        let op = "record referral histories";
        let mut ids = Vec::with_capacity(histories.len());
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, op))?;
            for h in histories {
                let (first, last) = (&h.moves[0], &h.moves[h.moves.len() - 1]);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO referrals (source_system, source_key, service_id, state, reason, created_at, updated_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(&h.source_system)
                .bind(&h.source_key)
                .bind(h.service_id)
                .bind(last.to.as_str())
                .bind(last.reason.map(TurnAwayReason::as_str))
                .bind(first.at)
                .bind(last.at)
                .bind(&first.actor)
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::db(BACKEND, op))?;
                ids.push(id);
                let mut from: Option<ReferralState> = None;
                for m in &h.moves {
                    sqlx::query(
                        "INSERT INTO referral_events (referral_id, at, from_state, to_state, reason, actor, partner_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(m.at)
                    .bind(from.map(ReferralState::as_str))
                    .bind(m.to.as_str())
                    .bind(m.reason.map(TurnAwayReason::as_str))
                    .bind(&m.actor)
                    .bind(m.partner)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?;
                    from = Some(m.to);
                }
            }
            tx.commit().await.map_err(StoreError::db(BACKEND, op))?;
        });
        Ok(ids)
    }
}
