//! The plain data types the store takes and returns (besides `pmhc_core::Encounter`).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use pmhc_core::import::ImportCounts;
use pmhc_core::{Disposition, ResponseModel};

/// One schema migration known to this build, and whether the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    pub version: i64,
    pub description: String,
    pub applied: bool,
    pub applied_at: Option<DateTime<Utc>>,
}

/// What is known about an import when it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewImport {
    pub file_name: String,
    /// Hex SHA-256 of the imported file.
    pub file_sha256: String,
    pub mapping_name: String,
    pub source_system: String,
    /// The partner importing (the records' owner).
    pub partner: i64,
}

/// How an import ended (or that it is still running).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ImportStatus {
    /// Started and not finished (or the process died before finishing it).
    #[default]
    Running,
    /// Every row was accepted.
    Complete,
    /// Some rows were rejected; the accepted ones were stored.
    Partial,
    /// The import stopped with an error.
    Failed,
    /// The process running it died (killed, the machine stopped): found and marked by the next
    /// command. What it stored before stays; importing the file again is safe.
    Interrupted,
    /// Its first rows (1,000) all failed the same way: it stopped there and kept nothing.
    Stopped,
}

impl ImportStatus {
    pub const ALL: [ImportStatus; 6] = [
        ImportStatus::Running,
        ImportStatus::Complete,
        ImportStatus::Partial,
        ImportStatus::Failed,
        ImportStatus::Interrupted,
        ImportStatus::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Running => "running",
            ImportStatus::Complete => "complete",
            ImportStatus::Partial => "partial",
            ImportStatus::Failed => "failed",
            ImportStatus::Interrupted => "interrupted",
            ImportStatus::Stopped => "stopped",
        }
    }
}

impl fmt::Display for ImportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An import status string that is not one of [`ImportStatus::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an import status; expected running, complete, partial, failed, interrupted or stopped")]
pub struct UnknownImportStatus(pub String);

impl FromStr for ImportStatus {
    type Err = UnknownImportStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImportStatus::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownImportStatus(s.to_string()))
    }
}

/// One row of the `imports` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    pub id: i64,
    pub file_name: String,
    pub file_sha256: String,
    pub mapping_name: String,
    pub source_system: String,
    pub status: ImportStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Its totals (all 0 while it runs; an interrupted import's `inserted` is what it stored).
    pub counts: ImportCounts,
    /// The partner that imported (owns the records).
    pub partner: i64,
}

/// Which encounters to list or count. Every condition set must hold; the default selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncounterFilter {
    pub source_system: Option<String>,
    /// First occurrence day included.
    pub from: Option<NaiveDate>,
    /// Last occurrence day included.
    pub to: Option<NaiveDate>,
    pub precinct: Option<String>,
    pub disposition: Option<Disposition>,
    pub response_model: Option<ResponseModel>,
    pub subject_key: Option<String>,
    /// Only records belonging to these partners (`None`: every partner's). The caller sets it
    /// from the viewer's agreements ([`pmhc_core::sharing::SharingView`]).
    pub partners: Option<Vec<i64>>,
}

impl EncounterFilter {
    /// The filter in words, for the audit trail: `precinct "North", disposition referral, from
    /// 2024-01-01 to 2024-12-31`, or `all encounters`. The partners whose records a viewer may see
    /// are the sharing rule's, not the question's, and are left out.
    pub fn describe(&self) -> String {
        use pmhc_core::CodeList;
        let mut parts = Vec::new();
        if let Some(s) = &self.source_system {
            parts.push(format!("source system {s:?}"));
        }
        if let Some(p) = &self.precinct {
            parts.push(format!("precinct {p:?}"));
        }
        if let Some(d) = self.disposition {
            parts.push(format!("disposition {}", d.as_str()));
        }
        if let Some(m) = self.response_model {
            parts.push(format!("response model {}", m.as_str()));
        }
        if self.subject_key.is_some() {
            parts.push("one person".to_string());
        }
        match (self.from, self.to) {
            (Some(f), Some(t)) => parts.push(format!("from {f} to {t}")),
            (Some(f), None) => parts.push(format!("from {f}")),
            (None, Some(t)) => parts.push(format!("until {t}")),
            (None, None) => {}
        }
        if parts.is_empty() { "all encounters".to_string() } else { parts.join(", ") }
    }
}
