//! The `encounters` table: batch writes (insert / unchanged / update / stale) and reads.
//!
//! - `columns`: the stored columns, an encounter's values in their order, and reading a row back.
//! - `read`: `get_encounter`, `list_encounters`, `count_encounters` and the filter's SQL.
//! - `write`: `write_batch` (checks, source-system claims, the transaction), then per dialect
//!   `write_sqlite` (prepared single-row statements on the raw handle, see `sqlite_raw`) and
//!   `write_postgres` (multi-row statements, chunked).

mod columns;
mod read;
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
