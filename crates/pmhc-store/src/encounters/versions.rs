//! The versions of encounters saved one at a time (`encounter_versions`: written with the record
//! by `Store::write_encounter_version`), and the namespace of a partner's person keys.

use chrono::{DateTime, Utc};
use pmhc_core::Encounter;
use pmhc_core::sharing::PartnerId;

use crate::{Store, StoreError, on_pool};

/// One version of an encounter: the record as it was saved, by whom, when and how.
#[derive(Debug, Clone, PartialEq)]
pub struct EncounterVersion {
    pub version: i64,
    pub saved_at: DateTime<Utc>,
    pub saved_by: String,
    pub channel: String,
    pub record: Encounter,
}

impl Store {
    /// Every version of an encounter, the first first (none for a record only ever imported).
    pub async fn encounter_versions(&self, source_system: &str, source_key: &str) -> Result<Vec<EncounterVersion>, StoreError> {
        let rows: Vec<(i64, DateTime<Utc>, String, String, String)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT version, saved_at, saved_by, channel, record FROM encounter_versions \
                 WHERE source_system = $1 AND source_key = $2 ORDER BY version",
            )
            .bind(source_system)
            .bind(source_key)
            .fetch_all(pool)
            .await
            .map_err(StoreError::db(BACKEND, "read an encounter's versions"))?
        });
        rows.into_iter()
            .map(|(version, saved_at, saved_by, channel, record)| {
                let record = serde_json::from_str(&record)
                    .map_err(|e| StoreError::Corrupt { what: "encounter_versions.record".into(), detail: e.to_string() })?;
                Ok(EncounterVersion { version, saved_at, saved_by, channel, record })
            })
            .collect()
    }

    /// The namespace of a partner's person keys, when it names one.
    pub async fn person_namespace(&self, partner: PartnerId) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, Option<String>>("SELECT person_namespace FROM partners WHERE id = $1")
                .bind(partner)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read a partner's person-key namespace"))?
        })
        .flatten())
    }

    /// Name (or, with `None`, forget) the namespace of a partner's person keys.
    pub async fn set_person_namespace(&self, partner: PartnerId, namespace: Option<&str>) -> Result<(), StoreError> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE partners SET person_namespace = $2 WHERE id = $1")
                .bind(partner)
                .bind(namespace)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "set a partner's person-key namespace"))?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::PartnerNotFound(partner.to_string()));
        }
        Ok(())
    }
}
