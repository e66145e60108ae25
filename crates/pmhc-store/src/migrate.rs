//! Versioned schema migrations, embedded in the binary.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::Row;
use sqlx::migrate::Migrator;

use crate::{Backend, MigrationInfo, Store, StoreError, on_pool};

/// The SQLite migrations (`migrations/sqlite`).
pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
/// The PostgreSQL migrations (`migrations/postgres`); the same versions as [`SQLITE_MIGRATOR`].
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The table sqlx records applied migrations in.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

struct Applied {
    description: String,
    success: bool,
    at: Option<DateTime<Utc>>,
}

impl Store {
    fn migrator(&self) -> &'static Migrator {
        match self.inner {
            Backend::Sqlite(_) => &SQLITE_MIGRATOR,
            Backend::Postgres(_) => &POSTGRES_MIGRATOR,
        }
    }

    /// Apply every pending migration. Applying to an up-to-date database does nothing.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let backend = self.backend_name();
        let migrator = self.migrator();
        on_pool!(self, pool => migrator.run(pool).await)
            .map_err(|source| StoreError::Migrate { backend, source })?;
        tracing::debug!(backend, "migrations applied");
        Ok(())
    }

    /// Every migration this build knows, in version order, with whether (and when) the database
    /// has it; followed by any migration the database has that this build does not know (a newer
    /// pmhc wrote it).
    pub async fn migration_status(&self) -> Result<Vec<MigrationInfo>, StoreError> {
        let mut applied = self.applied_migrations().await?;
        let mut out = Vec::new();
        for m in self.migrator().iter().filter(|m| !m.migration_type.is_down_migration()) {
            let a = applied.remove(&m.version);
            out.push(MigrationInfo {
                version: m.version,
                description: m.description.to_string(),
                applied: a.as_ref().is_some_and(|a| a.success),
                applied_at: a.and_then(|a| a.at),
            });
        }
        out.extend(applied.into_iter().map(|(version, a)| MigrationInfo {
            version,
            description: a.description,
            applied: a.success,
            applied_at: a.at,
        }));
        Ok(out)
    }

    /// Whether the schema exists and is exactly at this build's latest migration.
    pub async fn is_initialised(&self) -> Result<bool, StoreError> {
        let known: Vec<i64> =
            self.migrator().iter().filter(|m| !m.migration_type.is_down_migration()).map(|m| m.version).collect();
        let status = self.migration_status().await?;
        Ok(!status.is_empty() && status.iter().all(|s| s.applied && known.contains(&s.version)))
    }

    async fn applied_migrations(&self) -> Result<BTreeMap<i64, Applied>, StoreError> {
        let op = "read the applied migrations";
        let backend = self.backend_name();
        let mut out = BTreeMap::new();
        match &self.inner {
            Backend::Sqlite(pool) => {
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1")
                        .bind(MIGRATIONS_TABLE)
                        .fetch_optional(pool)
                        .await
                        .map_err(StoreError::db(backend, op))?;
                if exists.is_none() {
                    return Ok(out);
                }
                let rows = sqlx::query(
                    "SELECT version, description, success, installed_on FROM _sqlx_migrations ORDER BY version",
                )
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(backend, op))?;
                for r in rows {
                    let at: Option<NaiveDateTime> = r.try_get(3).map_err(StoreError::db(backend, op))?;
                    out.insert(
                        r.try_get(0).map_err(StoreError::db(backend, op))?,
                        Applied {
                            description: r.try_get(1).map_err(StoreError::db(backend, op))?,
                            success: r.try_get(2).map_err(StoreError::db(backend, op))?,
                            at: at.map(|t| t.and_utc()),
                        },
                    );
                }
            }
            Backend::Postgres(pool) => {
                let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                    .bind(MIGRATIONS_TABLE)
                    .fetch_one(pool)
                    .await
                    .map_err(StoreError::db(backend, op))?;
                if !exists {
                    return Ok(out);
                }
                let rows = sqlx::query(
                    "SELECT version, description, success, installed_on FROM _sqlx_migrations ORDER BY version",
                )
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(backend, op))?;
                for r in rows {
                    out.insert(
                        r.try_get(0).map_err(StoreError::db(backend, op))?,
                        Applied {
                            description: r.try_get(1).map_err(StoreError::db(backend, op))?,
                            success: r.try_get(2).map_err(StoreError::db(backend, op))?,
                            at: r.try_get(3).map_err(StoreError::db(backend, op))?,
                        },
                    );
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_have_the_same_migration_versions() {
        let versions = |m: &Migrator| m.iter().map(|m| (m.version, m.migration_type.is_down_migration())).collect::<Vec<_>>();
        assert!(SQLITE_MIGRATOR.iter().next().is_some(), "no migrations embedded");
        assert_eq!(versions(&SQLITE_MIGRATOR), versions(&POSTGRES_MIGRATOR));
        let descriptions = |m: &Migrator| m.iter().map(|m| m.description.to_string()).collect::<Vec<_>>();
        assert_eq!(descriptions(&SQLITE_MIGRATOR), descriptions(&POSTGRES_MIGRATOR));
    }
}
