//! # pmhc-service
//!
//! The operations pmhc offers, written once and called by the CLI, the web pages and the JSON
//! API alike: importing a file ([`imports`]), computing outcome reports with the cache a server
//! keeps warm ([`outcomes`]), and accounts — password hashing, secrets for sessions and API
//! tokens ([`accounts`]), and record access through partners, agreements and consents
//! ([`sharing`]). Everything here goes through [`pmhc_store::Store`]; the domain rules
//! are in `pmhc-core`.

pub mod accounts;
pub mod audit;
mod definitions;
pub mod imports;
pub mod inventory;
pub mod outcomes;
pub mod referrals;
pub mod sharing;
pub mod training;

pub use definitions::definitions_toml;

/// What can go wrong in a service operation.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(Box<pmhc_store::StoreError>),
    #[error(transparent)]
    Import(Box<pmhc_import::ImportError>),
    /// Storing a batch failed part-way through an import.
    #[error("storing encounters failed; {stored} encounters were stored before the error (importing the file again is safe): {source}")]
    ImportWrite {
        stored: u64,
        #[source]
        source: Box<pmhc_store::StoreError>,
    },
    /// A report was asked for without periods, and the definitions have no default ones.
    #[error(
        "which periods? Give a baseline and a comparison period (FROM..TO, e.g. 2020-01-01..2020-12-31), \
         or save default periods in the shared definitions"
    )]
    NoPeriods,
    /// A definitions version that was never saved.
    #[error("there is no version {0} of the shared definitions")]
    NoSuchDefinitionVersion(u32),
    /// The request cannot be answered as asked (a bad period, an unknown version…); the message
    /// says what to change.
    #[error("{0}")]
    Invalid(String),
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The audit trail could not be written, so the access it would record is refused.
    #[error("the audit trail cannot be written, so this access is refused; try again or tell an administrator")]
    AuditUnavailable,
    /// A worker thread stopped unexpectedly.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<pmhc_store::StoreError> for ServiceError {
    fn from(e: pmhc_store::StoreError) -> Self {
        ServiceError::Store(Box::new(e))
    }
}

impl From<pmhc_import::ImportError> for ServiceError {
    fn from(e: pmhc_import::ImportError) -> Self {
        ServiceError::Import(Box::new(e))
    }
}
