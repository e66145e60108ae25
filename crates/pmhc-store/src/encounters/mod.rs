//! The `encounters` table: batch writes (insert / unchanged / update / stale) and reads.
//!
//! - `columns`: the stored columns, an encounter's values in their order, and reading a row back.
//! - `read`: `get_encounter`, `list_encounters`, `count_encounters` and the filter's SQL.
//! - `write`: `write_batch` (checks, source-system claims, the transaction), then per dialect
//!   `write_sqlite` (prepared single-row statements on the raw handle, see `sqlite_raw`) and
//!   `write_postgres` (multi-row statements, chunked); `write_encounter_version`, one record with
//!   its version kept in the same transaction.
//! - `versions`: the versions of records saved one at a time, a partner's person-key namespace.

pub use versions::EncounterVersion;
pub use write::VersionNote;

mod columns;
mod read;
mod versions;
mod write;
mod write_postgres;
mod write_sqlite;

/// Run CPU-bound work that does not await: on a multi-threaded runtime, tell tokio so that other
/// tasks move off this worker meanwhile.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}
