//! The imports running in this server (their progress) and the details an import keeps once it
//! ended.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pmhc_core::import::ImportCounts;
use serde::{Deserialize, Serialize};

/// An import running now.
#[derive(Debug, Default)]
pub struct Job {
    pub bytes_total: u64,
    pub bytes_done: AtomicU64,
}

/// The imports running in this server, by import id.
#[derive(Debug, Default)]
pub struct ImportJobs {
    jobs: Mutex<HashMap<i64, Arc<Job>>>,
}

impl ImportJobs {
    /// Progress of a running import in percent of bytes read, if it is running here.
    pub fn progress(&self, id: i64) -> Option<u64> {
        let jobs = self.jobs.lock().ok()?;
        let j = jobs.get(&id)?;
        let done = j.bytes_done.load(Ordering::Relaxed);
        Some((done * 100).checked_div(j.bytes_total).map_or(0, |p| p.min(100)))
    }

    pub(super) fn insert(&self, id: i64, job: Arc<Job>) {
        if let Ok(mut j) = self.jobs.lock() {
            j.insert(id, job);
        }
    }

    pub(super) fn remove(&self, id: i64) {
        if let Ok(mut j) = self.jobs.lock() {
            j.remove(&id);
        }
    }
}

/// What the import page shows once an import ended (stored as JSON with the import).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportDetails {
    #[serde(flatten)]
    pub counts: ImportCounts,
    pub skipped_rows: u64,
    pub encounters: u64,
    pub unknown_codes: Vec<UnknownCode>,
    pub absent_columns: Vec<String>,
    pub first_rejects: Vec<Reject>,
    pub seconds: f64,
    /// Why the import failed, when it did.
    pub failure: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnknownCode {
    pub field: String,
    pub column: String,
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reject {
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
}
