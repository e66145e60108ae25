//! What an import did, counted once for every place that shows or keeps it: the engine (rows),
//! the store (what each batch wrote), the import history, the import page and the API, the
//! audit entry and `pmhc import`'s summary.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

// The rows are counted by the engine, the encounters by the store (`write_batch` fills only
// those; `add_written` adds them up); the sum is what the history keeps. The doc comment below is
// the API's description of the counts.

/// What an import did: the file's rows read, accepted and rejected, and the encounters they
/// made, new, changed, unchanged or stale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportCounts {
    /// Data rows read from the file.
    pub received: u64,
    /// Rows that became (part of) an encounter.
    pub accepted: u64,
    /// Rows refused by the mapping or validation.
    pub rejected: u64,
    /// New encounters.
    pub inserted: u64,
    /// Encounters that existed with other content and were overwritten.
    pub updated: u64,
    /// Encounters that existed with the same content (nothing written).
    pub unchanged: u64,
    /// Encounters older (by `source_updated_at`) than the stored version (nothing written).
    pub stale: u64,
}

impl ImportCounts {
    /// The encounters handed to the store: inserted, updated, unchanged and stale together.
    pub fn encounters(&self) -> u64 {
        self.inserted + self.updated + self.unchanged + self.stale
    }

    /// Add what the store did with a batch (its write counts; its row counts are not read).
    pub fn add_written(&mut self, batch: ImportCounts) {
        self.inserted += batch.inserted;
        self.updated += batch.updated;
        self.unchanged += batch.unchanged;
        self.stale += batch.stale;
    }
}

impl AddAssign for ImportCounts {
    fn add_assign(&mut self, o: ImportCounts) {
        self.received += o.received;
        self.accepted += o.accepted;
        self.rejected += o.rejected;
        self.add_written(o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_writes_add_up_apart() {
        let mut c = ImportCounts { received: 3, accepted: 2, rejected: 1, ..Default::default() };
        c.add_written(ImportCounts { received: 99, inserted: 1, updated: 2, unchanged: 3, stale: 4, ..Default::default() });
        assert_eq!((c.received, c.encounters()), (3, 10), "a batch's row counts are not added");
        c += ImportCounts { received: 1, accepted: 1, inserted: 1, ..Default::default() };
        assert_eq!((c.received, c.accepted, c.rejected, c.inserted), (4, 3, 1, 2));
    }

    /// The JSON keys every front end shows.
    #[test]
    fn the_json_keys_are_the_ones_the_api_shows() {
        let v = serde_json::to_value(ImportCounts::default()).unwrap_or_default();
        let keys: Vec<&str> = v.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        let mut expected = vec!["received", "accepted", "rejected", "inserted", "updated", "unchanged", "stale"];
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }
}
