//! # pmhc-store
//!
//! The encounter store of pmhc, with two backends from one code path:
//!
//! - **SQLite** (the embedded default): one file, WAL journal, `synchronous=NORMAL`,
//!   `busy_timeout` 5 s, foreign keys on; created if missing.
//! - **PostgreSQL** for server deployments.
//!
//! Queries are sqlx *runtime* queries. The SQL is shared where it is portable (`$n` placeholders,
//! `ON CONFLICT`, `RETURNING`, `NULLS LAST`) and per dialect only where it must be (the key lookup
//! of [`Store::write_batch`], the migrations). The schema lives in versioned migrations embedded
//! in the binary: `migrations/sqlite` and `migrations/postgres` hold the same versions.
//!
//! One exception, for speed: on SQLite, [`Store::write_batch`] runs its per-record lookups and
//! writes through the C API on the connection sqlx opened, inside the sqlx transaction (single-row
//! prepared statements bound straight from the records; see `src/sqlite_raw.rs`, the crate's only
//! `unsafe` code). PostgreSQL uses multi-row statements.
//!
//! ```no_run
//! # async fn demo() -> Result<(), pmhc_store::StoreError> {
//! let store = pmhc_store::Store::open("sqlite:pmhc.db").await?;
//! store.migrate().await?;
//! let n = store.count_encounters(&Default::default()).await?;
//! # let _ = n; Ok(()) }
//! ```

use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

mod accounts;
pub mod clock;
mod audit;
mod encounters;
mod error;
mod imports;
mod keys;
mod migrate;
mod model;
mod outcomes;
mod partners;
mod services;
mod settings;
mod sqlite_raw;
mod sqlite_text;
mod training;
mod referral_history;
mod releases;
mod workgroup;

pub use accounts::{ApiTokenInfo, SessionRecord, User};
pub use audit::{AuditFilter, AuditScope};
pub use encounters::{EncounterVersion, VersionNote};
pub use keys::{KEY_FILE_ENV, KeyLocation, Keys};
pub use partners::DisclosureRecord;
pub use services::{ReferralEvent, ReferralRecord};
pub use training::{NewSession, SaveCounts};
pub use referral_history::{PastMove, ReferralHistory};
pub use releases::{NewRelease, ReleaseRecord};
pub use clock::Clock;
pub use error::{StoreError, redact_url};
pub use migrate::{POSTGRES_MIGRATOR, SQLITE_MIGRATOR};
pub use model::{EncounterFilter, ImportRecord, ImportStatus, MigrationInfo, NewImport, UnknownImportStatus};

/// Run the same expression on whichever pool the store has. The expression is compiled once per
/// backend, so it may use anything both sqlx drivers support.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.inner {
            $crate::Backend::Sqlite($pool) => {
                #[allow(unused)]
                const BACKEND: &str = "sqlite";
                $body
            }
            $crate::Backend::Postgres($pool) => {
                #[allow(unused)]
                const BACKEND: &str = "postgres";
                $body
            }
        }
    };
}
pub(crate) use on_pool;

/// Connections kept open to a SQLite file: one writer at a time, concurrent readers (WAL).
const SQLITE_MAX_CONNECTIONS: u32 = 4;
/// Connections kept open to a PostgreSQL server.
const POSTGRES_MAX_CONNECTIONS: u32 = 8;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The encounter store. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    inner: Backend,
    /// What the domain considers "now" (the system clock unless the front end set another).
    clock: Clock,
    /// The key file's location and, once read, the keys (see `keys.rs`).
    keys: std::sync::Arc<keys::KeyRing>,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The path part of a SQLite URL (see [`Store::open`]), without query parameters (the store sets
/// its own options); `None` when the URL is not a SQLite one.
fn sqlite_path(url: &str) -> Option<&str> {
    let path = if let Some(p) = url.strip_prefix("sqlite://") {
        p
    } else if let Some(p) = url.strip_prefix("sqlite:") {
        p
    } else if [".sqlite", ".sqlite3", ".db"].iter().any(|ext| url.ends_with(ext)) && !url.contains("://") {
        url
    } else {
        return None;
    };
    Some(path.split_once('?').map_or(path, |(p, _)| p))
}

/// The file of a SQLite database URL (`None` for PostgreSQL, an in-memory database or a URL
/// [`Store::open`] would refuse), so that a command can tell a missing file from an empty database.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    sqlite_path(url.trim()).filter(|p| !p.is_empty() && *p != ":memory:").map(std::path::PathBuf::from)
}

impl Store {
    /// Open (connect to) a database. `url` is one of:
    /// - `sqlite:PATH`, `sqlite://PATH` (`sqlite:///abs/path` for an absolute path), or a bare path
    ///   ending in `.sqlite`, `.sqlite3` or `.db`; the file is created if missing;
    /// - `sqlite::memory:` (a private in-memory database, one connection; for tests);
    /// - `postgres://...` or `postgresql://...` (any libpq-style URL sqlx accepts).
    ///
    /// Opening does not create or migrate the schema: call [`Store::migrate`].
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let trimmed = url.trim();
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            return Self::open_postgres(trimmed).await;
        }
        let Some(path) = sqlite_path(trimmed) else {
            return Err(StoreError::InvalidUrl {
                url: redact_url(url),
                reason: "expected sqlite:PATH, sqlite://PATH, a path ending in .sqlite/.sqlite3/.db, postgres://... or postgresql://...",
            });
        };
        if path.is_empty() {
            return Err(StoreError::InvalidUrl { url: redact_url(url), reason: "the SQLite path is empty" });
        }
        Self::open_sqlite(path, url).await
    }

    async fn open_sqlite(path: &str, url: &str) -> Result<Store, StoreError> {
        let in_memory = path == ":memory:";
        let mut options = SqliteConnectOptions::new()
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal)
            // 64 MiB page cache per connection: keeps the indexes hot during large imports.
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
            // Checkpoint the WAL every 8192 pages (64 MiB at 8 KiB pages) instead of 1000: during
            // an import the same index pages are otherwise copied to the database file again and
            // again; about 10% faster bulk writes. Durability is the WAL's, unchanged.
            .pragma("wal_autocheckpoint", "8192");
        options = if in_memory {
            options.in_memory(true)
        } else {
            // 8 KiB pages (for new files): fewer page splits for these wide rows; about 10% faster
            // bulk inserts than 4 KiB in our measurements.
            options.filename(path).create_if_missing(true).page_size(8192).journal_mode(SqliteJournalMode::Wal)
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(if in_memory { 1 } else { SQLITE_MAX_CONNECTIONS })
            // An in-memory database lives as long as its connection.
            .idle_timeout(if in_memory { None } else { Some(Duration::from_secs(600)) })
            .max_lifetime(if in_memory { None } else { Some(Duration::from_secs(1800)) })
            .after_release(|conn, _| Box::pin(async move { healthy_after_release(conn).await }))
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { backend: "sqlite", url: redact_url(url), source })?;
        tracing::debug!(path, "opened SQLite store");
        let keys = keys::KeyRing::new(if in_memory {
            keys::KeyLocation::Memory
        } else {
            keys::location_from_env(keys::default_location_sqlite(path))
        });
        Ok(Store { inner: Backend::Sqlite(pool), clock: Clock::system(), keys })
    }

    async fn open_postgres(url: &str) -> Result<Store, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|source| StoreError::Open { backend: "postgres", url: redact_url(url), source })?;
        // One direct attempt first: the pool would retry an unreachable server until its
        // acquire timeout, and report only the timeout.
        let open_err = |source| StoreError::Open { backend: "postgres", url: redact_url(url), source };
        let probe = PgConnection::connect_with(&options).await.map_err(open_err)?;
        let _ = probe.close().await;
        let keys = keys::KeyRing::new(keys::location_from_env(keys::default_location_postgres(&options)));
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .after_release(|conn, _| Box::pin(async move { healthy_after_release(conn).await }))
            .connect_with(options)
            .await
            .map_err(open_err)?;
        tracing::debug!(url = %redact_url(url), "opened PostgreSQL store");
        Ok(Store { inner: Backend::Postgres(pool), clock: Clock::system(), keys })
    }

    /// This store with `clock` as its domain "now" (see [`clock`]); clones share it.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// The clock this store's rules (and its callers) read "now" and "today" from.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.inner {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The SQLite pool, for code that needs SQL the store does not offer (analytics, sessions).
    /// Keep to the tables' documented meaning; writes to `encounters` belong to [`Store::write_batch`].
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.inner {
            Backend::Sqlite(p) => Some(p),
            Backend::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool (see [`Store::sqlite_pool`]).
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.inner {
            Backend::Sqlite(_) => None,
            Backend::Postgres(p) => Some(p),
        }
    }

    /// Close every connection (waits for connections in use to be returned). Further calls fail.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// Whether a connection handed back may go back to the pool: not while its driver still counts
/// an open transaction. A COMMIT or ROLLBACK that failed (a full disk: SQLite rolls back by
/// itself, and the driver's later ROLLBACK then fails too) leaves the count above zero for ever,
/// and every later `BEGIN` on that connection would fail ("non-zero transaction depth") until a
/// restart. The ping first lets the driver finish a rollback queued when the transaction was
/// dropped. Such a connection is closed; the pool opens a fresh one when needed.
async fn healthy_after_release<C: Connection>(conn: &mut C) -> Result<bool, sqlx::Error> {
    conn.ping().await?;
    let healthy = !conn.is_in_transaction();
    if !healthy {
        tracing::warn!("a connection still in a transaction was closed instead of reused");
    }
    Ok(healthy)
}

/// Saturating conversion of a count for the database (`BIGINT`).
pub(crate) fn count_to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A count read from the database; negative values (impossible unless edited by hand) read as 0.
pub(crate) fn count_from_db(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod url_tests {
    use std::path::PathBuf;

    use super::sqlite_file;

    #[test]
    fn the_file_of_a_sqlite_url() {
        assert_eq!(sqlite_file("sqlite:pmhc.sqlite"), Some(PathBuf::from("pmhc.sqlite")));
        assert_eq!(sqlite_file(" sqlite:///abs/x.db?mode=rwc"), Some(PathBuf::from("/abs/x.db")));
        assert_eq!(sqlite_file("data/x.sqlite3"), Some(PathBuf::from("data/x.sqlite3")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
        assert_eq!(sqlite_file("mysql://u@h/x.db"), None);
    }
}
