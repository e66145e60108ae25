//! # pmhc-service
//!
//! The operations pmhc offers, written once and called by the CLI, the web pages and the JSON
//! API alike: importing a file ([`imports`]), computing outcome reports with the cache a server
//! keeps warm ([`outcomes`]), and accounts — password hashing, secrets for sessions and API
//! tokens ([`accounts`]). Everything here goes through [`pmhc_store::Store`]; the domain rules
//! are in `pmhc-core`.

pub mod accounts;
mod definitions;
pub mod imports;
pub mod outcomes;

pub use definitions::definitions_toml;

/// What can go wrong in a service operation.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] pmhc_store::StoreError),
    #[error(transparent)]
    Import(#[from] pmhc_import::ImportError),
    /// Storing a batch failed part-way through an import.
    #[error("storing encounters failed; {stored} encounters were stored before the error (importing the file again is safe): {source}")]
    ImportWrite {
        stored: u64,
        #[source]
        source: pmhc_store::StoreError,
    },
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
    /// A worker thread stopped unexpectedly.
    #[error("internal error: {0}")]
    Internal(String),
}
