//! `Store::write_batch`: the checks on a batch, the claims of its source systems, and the
//! transaction around the dialect's write (each record inserted, unchanged, updated or stale).

use std::collections::HashMap;

use chrono::SecondsFormat;
use pmhc_core::Encounter;
use pmhc_core::import::ImportCounts;
use pmhc_core::sharing::PartnerId;

use crate::{Backend, Store, StoreError};
use crate::sqlite_raw::Db;
use super::blocking;
use super::columns::COLUMNS;
use super::write_postgres::{Existing, lookup_postgres, write_rows_postgres};
use super::write_sqlite::write_batch_sqlite;

/// Claim the batch's source systems for `partner` in the open transaction `conn`, or fail with
/// [`StoreError::ForeignSource`] when another partner owns one.
macro_rules! claim_sources {
    ($conn:expr, $backend:expr, $batch:expr, $partner:expr) => {{
        let op = "claim a source system";
        let now = crate::clock::real_now();
        for (system, _) in group_by_system($batch) {
            sqlx::query(
                "INSERT INTO source_systems (name, partner_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(system)
            .bind($partner)
            .bind(now)
            .execute(&mut *$conn)
            .await
            .map_err(StoreError::db($backend, op))?;
            let (owner, owner_name): (i64, String) = sqlx::query_as(
                "SELECT s.partner_id, COALESCE(p.name, '') FROM source_systems s LEFT JOIN partners p ON p.id = s.partner_id \
                 WHERE s.name = $1",
            )
            .bind(system)
            .fetch_one(&mut *$conn)
            .await
            .map_err(StoreError::db($backend, op))?;
            if owner != $partner {
                return Err(StoreError::ForeignSource { system: system.to_string(), owner, owner_name });
            }
        }
    }};
}

/// Who saved a record one at a time, and how: the note of its version
/// ([`Store::write_encounter_version`]).
#[derive(Debug, Clone, Copy)]
pub struct VersionNote<'a> {
    /// The account (username) that saved it.
    pub saved_by: &'a str,
    /// How: "field form", "field form edit", "API".
    pub channel: &'a str,
}

/// Keep the record just written as its next version, in the open transaction `conn`; its number.
macro_rules! insert_version {
    ($conn:expr, $backend:expr, $e:expr, $note:expr) => {{
        let op = "keep an encounter's version";
        let record = serde_json::to_string($e).map_err(|err| StoreError::Invalid(format!("an encounter as JSON: {err}")))?;
        let version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM encounter_versions WHERE source_system = $1 AND source_key = $2",
        )
        .bind(&$e.source_system)
        .bind(&$e.source_key)
        .fetch_one(&mut *$conn)
        .await
        .map_err(StoreError::db($backend, op))?;
        sqlx::query(
            "INSERT INTO encounter_versions (source_system, source_key, version, saved_at, saved_by, channel, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&$e.source_system)
        .bind(&$e.source_key)
        .bind(version)
        .bind(crate::clock::real_now())
        .bind($note.saved_by)
        .bind($note.channel)
        .bind(record)
        .execute(&mut *$conn)
        .await
        .map_err(StoreError::db($backend, op))?;
        version
    }};
}

/// The batch's keys grouped by source system (usually one), as batch indices.
pub(super) fn group_by_system(batch: &[Encounter]) -> Vec<(&str, Vec<usize>)> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, e) in batch.iter().enumerate() {
        match groups.iter_mut().find(|(s, _)| *s == e.source_system) {
            Some((_, v)) => v.push(i),
            None => groups.push((&e.source_system, vec![i])),
        }
    }
    groups
}

/// `ON CONFLICT` clause overwriting an existing key in place (every column but `created_at`).
pub(super) fn upsert_clause() -> String {
    use std::fmt::Write;
    let mut s = String::from(" ON CONFLICT (source_system, source_key) DO UPDATE SET ");
    for c in &COLUMNS[2..] {
        let _ = write!(s, "{c} = excluded.{c}, ");
    }
    s.push_str("import_id = excluded.import_id, updated_at = excluded.updated_at");
    s
}

impl Store {
    /// Write a batch of canonical encounters in one transaction, and say what happened to each
    /// (the write counts of the [`ImportCounts`]; its row counts stay 0).
    ///
    /// Every record must be valid ([`Encounter::validate`]) and its key `(source_system,
    /// source_key)` unique within the batch; otherwise nothing is written. Records are stored as
    /// given (normalise them first). For each record:
    /// - absent: inserted;
    /// - present with the same [`Encounter::content_hash`]: unchanged (no write);
    /// - present, both have `source_updated_at` and the incoming one is older: stale (no write);
    /// - otherwise: every column is overwritten (updated), `created_at` is kept.
    ///
    /// On SQLite the transaction takes the write lock at its start (`BEGIN IMMEDIATE`), so the
    /// lookup and the writes see the same state. On PostgreSQL a concurrent writer inserting the
    /// same new key makes the batch fail with a unique violation (retry it).
    ///
    /// The records belong to `partner`: each source system of the batch is claimed for it when
    /// first written, and a source system another partner owns is refused
    /// ([`StoreError::ForeignSource`]), nothing written.
    pub async fn write_batch(
        &self,
        partner: PartnerId,
        import_id: Option<i64>,
        batch: &[Encounter],
    ) -> Result<ImportCounts, StoreError> {
        Ok(self.write_batch_noted(partner, import_id, batch, None).await?.0)
    }

    /// Write one encounter as [`Store::write_batch`] does and, when that inserted or changed it,
    /// keep it as its next version (`encounter_versions`) in the same transaction: the version's
    /// number, or `None` when the record was already stored exactly so (or is stale).
    pub async fn write_encounter_version(&self, partner: PartnerId, e: &Encounter, note: VersionNote<'_>) -> Result<Option<i64>, StoreError> {
        Ok(self.write_batch_noted(partner, None, std::slice::from_ref(e), Some(note)).await?.1)
    }

    async fn write_batch_noted(
        &self,
        partner: PartnerId,
        import_id: Option<i64>,
        batch: &[Encounter],
        note: Option<VersionNote<'_>>,
    ) -> Result<(ImportCounts, Option<i64>), StoreError> {
        if batch.is_empty() {
            return Ok((ImportCounts::default(), None));
        }
        if note.is_some() && batch.len() != 1 {
            return Err(StoreError::Invalid("a version is kept of one record at a time".into()));
        }
        let mut seen: HashMap<(&str, &str), usize> = HashMap::with_capacity(batch.len());
        for (i, e) in batch.iter().enumerate() {
            e.validate().map_err(|source| StoreError::InvalidEncounter {
                source_system: e.source_system.clone(),
                source_key: e.source_key.clone(),
                index: i,
                source,
            })?;
            if let Some(first) = seen.insert((&e.source_system, &e.source_key), i) {
                return Err(StoreError::DuplicateKey {
                    source_system: e.source_system.clone(),
                    source_key: e.source_key.clone(),
                    first,
                    second: i,
                });
            }
        }
        drop(seen);
        let now = crate::clock::real_now();
        let counts = match &self.inner {
            Backend::Sqlite(pool) => {
                let backend = "sqlite";
                let now = now.to_rfc3339_opts(SecondsFormat::AutoSi, false);
                let mut tx =
                    pool.begin_with("BEGIN IMMEDIATE").await.map_err(StoreError::db(backend, "begin a write"))?;
                claim_sources!(&mut *tx, backend, batch, partner);
                let counts = {
                    // The lookups and writes run on the raw handle (see `sqlite_raw`), in this
                    // transaction.
                    let mut locked =
                        tx.lock_handle().await.map_err(StoreError::db(backend, "lock the connection"))?;
                    let db = Db::new(&mut locked);
                    blocking(|| write_batch_sqlite(&db, batch, import_id, &now))?
                };
                let version = match note {
                    Some(note) if counts.inserted + counts.updated > 0 => Some(insert_version!(&mut *tx, backend, &batch[0], note)),
                    _ => None,
                };
                tx.commit().await.map_err(StoreError::db(backend, "commit a batch"))?;
                (counts, version)
            }
            Backend::Postgres(pool) => {
                let backend = "postgres";
                let mut existing: Vec<Option<Existing>> = vec![None; batch.len()];
                let mut tx = pool.begin().await.map_err(StoreError::db(backend, "begin a write"))?;
                claim_sources!(&mut *tx, backend, batch, partner);
                lookup_postgres(&mut tx, batch, &mut existing).await?;
                // Hashes of the records found in the database (to compare); the others are
                // hashed while their rows are encoded.
                let mut hashes: Vec<Option<String>> = vec![None; batch.len()];
                let mut counts = ImportCounts::default();
                let (mut inserts, mut updates) = (Vec::new(), Vec::new());
                for (i, e) in batch.iter().enumerate() {
                    let Some((stored_hash, stored_version)) = &existing[i] else {
                        counts.inserted += 1;
                        inserts.push(i);
                        continue;
                    };
                    let hash = e.content_hash();
                    if hash == *stored_hash {
                        counts.unchanged += 1;
                    } else if let (Some(incoming), Some(stored)) = (e.source_updated_at, stored_version)
                        && incoming < *stored
                    {
                        counts.stale += 1;
                    } else {
                        counts.updated += 1;
                        updates.push(i);
                        hashes[i] = Some(hash);
                    }
                }
                write_rows_postgres(&mut tx, batch, &hashes, &inserts, import_id, &now, false).await?;
                write_rows_postgres(&mut tx, batch, &hashes, &updates, import_id, &now, true).await?;
                let version = match note {
                    Some(note) if counts.inserted + counts.updated > 0 => Some(insert_version!(&mut *tx, backend, &batch[0], note)),
                    _ => None,
                };
                tx.commit().await.map_err(StoreError::db(backend, "commit a batch"))?;
                (counts, version)
            }
        };
        let (counts, version) = counts;
        tracing::debug!(backend = self.backend_name(), records = batch.len(), ?counts, "batch written");
        Ok((counts, version))
    }

}
